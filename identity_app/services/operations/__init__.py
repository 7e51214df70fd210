"""Day-2 operations: rotating the secret key, backup and restore, metrics and readiness."""
