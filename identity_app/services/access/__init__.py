"""Who may do what: sign-in (password, TOTP, guessing limits), invitations, permissions."""
