"""Pure verification checks: numpy images or text in, frozen reports out.

Nothing here imports reflex, sqlmodel, boto3 or the settings: thresholds
arrive as arguments, so a stored report can always say what produced it.
"""
