"""Named locks held until the transaction ends, for read-modify-writes that span many rows."""

from __future__ import annotations

import zlib

from sqlmodel import Session


def hold_lock(session: Session, name: str) -> None:
    """Wait until no other transaction holds the lock `name`, then hold it until this one
    commits or rolls back. Call it before reading what the write depends on.

    PostgreSQL: a transaction-level advisory lock. SQLite: every writing transaction already
    holds the database's single write lock from its BEGIN IMMEDIATE (portfolio.db), so there is
    nothing more to take.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        key = zlib.crc32(f"portfolio:{name}".encode())
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (key,))
