"""Self-hosted identity verification: console for operators, capture flow for end users."""
