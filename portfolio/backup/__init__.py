"""Backups: a consistent copy of the database while the app runs, and restoring one."""
