"""The end user's capture flow behind a session link: documents, liveness frames, stored media."""
