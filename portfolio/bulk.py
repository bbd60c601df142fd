"""Bulk INSERTs of plain rows, fast on both databases: an import writes tens of thousands.

SQLite takes an executemany (with RETURNING for the new ids). PostgreSQL takes COPY, which
is several times faster than psycopg's executemany for large batches; new ids come from the
table's sequence first, so rows keep their order and their ids.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from sqlmodel import Session, SQLModel

# Below this many rows a plain executemany is as fast, and simpler to read in a log.
COPY_FROM = 200


def insert_rows(
    session: Session, model: type[SQLModel], rows: list[dict[str, Any]], *, return_ids: bool = False
) -> list[int]:
    """INSERT `rows` (dicts with the same keys) into `model`'s table, in the session's
    transaction. With return_ids, the new primary keys in the order of `rows`."""
    if not rows:
        return []
    table = model.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    if connection.dialect.name != "postgresql" or len(rows) < COPY_FROM:
        if not return_ids:
            connection.execute(table.insert(), rows)
            return []
        result = connection.execute(
            table.insert().returning(table.c.id, sort_by_parameter_order=True), rows
        )
        return list(result.scalars())
    ids: list[int] = []
    if return_ids:
        sequence = connection.exec_driver_sql(
            "SELECT pg_get_serial_sequence(%s, 'id')", (table.name,)
        ).scalar_one()
        ids = list(
            connection.exec_driver_sql(
                "SELECT nextval(%s) FROM generate_series(1, %s)", (sequence, len(rows))
            ).scalars()
        )
        rows = [{"id": new_id, **row} for new_id, row in zip(ids, rows, strict=True)]
    columns = list(rows[0])
    quoted = ", ".join(f'"{c}"' for c in columns)
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([_plain(row[c]) for c in columns])
    return ids


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value
