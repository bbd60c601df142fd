"""Accounts, login and the audit log."""
