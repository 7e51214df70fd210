"""The load benchmark: `python -m identity_app.cli bench load` (see load.py)."""
