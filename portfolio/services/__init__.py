"""Business operations: fn(*, session, ...) that flush and never commit."""
