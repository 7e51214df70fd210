"""Applications: creating them, their members, their requested checks and preferences."""
