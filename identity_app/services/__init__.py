"""The application layer: the only code that touches database and storage
together. Plain arguments in (a SQLModel `Session` as keyword `db`), frozen
view objects or domain errors out. Used by the Reflex state, the CLI, the
API routes and the tests alike; never imports reflex."""
