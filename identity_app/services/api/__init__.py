"""The REST API's own records: keys (and Yoti-style SDK keys), idempotent creation, webhooks."""
