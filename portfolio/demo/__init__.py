"""The demo portfolio and its users."""
