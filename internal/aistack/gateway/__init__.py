"""AI Stack's gateway: its conventions (envelope, errors, lists), authentication, rate limits,
per-port serving and per-system OpenAPI documents, shared by every system."""
