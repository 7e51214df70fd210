"""`cli evaluate mrz --generated N --seed S` draws documents from seed S (it was silently ignored,
so a tuning run on seeds 5000.. read the held-out seeds 1000.. instead)."""
from __future__ import annotations

import pytest

from identity_app import cli

pytestmark = pytest.mark.slow


def test_the_seed_option_chooses_the_generated_documents(capsys, tmp_path):
    assert cli.main(["evaluate", "mrz", "--generated", "1", "--seed", "5000", "--no-baseline",
                     "--json", str(tmp_path / "m.json")]) == 0
    out = capsys.readouterr().out
    assert "seed 5000" in out and "seed 1000" not in out
