"""Bulk INSERTs of plain rows, fast on both databases: an import writes tens of thousands.

Both paths run on the session's connection, so the rows commit or roll back with the rest of
the unit of work. SQLite takes one DBAPI executemany of ready-made tuples, converted by the
columns' own SQLAlchemy bind processors (what the ORM would store, without its per-row work).
PostgreSQL takes COPY, its fast path for large batches. New ids come first (SQLite: after the
table's largest, under the write lock the transaction holds; PostgreSQL: from the sequence), so
rows keep their order and the primary key refuses any clash.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

# Below this many rows a plain executemany is as fast, and simpler to read in a log.
COPY_FROM = 200


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection during the block: an import keeps ~1M live objects, and
    each collection would walk them again. Reference counting still frees the rest."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def insert_rows(
    session: Session, model: type[SQLModel], rows: list[dict[str, Any]], *, return_ids: bool = False
) -> list[int]:
    """INSERT `rows` (dicts with the same keys) into `model`'s table, in the session's
    transaction. With return_ids, the new primary keys in the order of `rows`."""
    if not rows:
        return []
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    if postgresql and len(rows) < COPY_FROM:
        if not return_ids:
            connection.execute(table.insert(), rows)
            return []
        result = connection.execute(
            table.insert().returning(table.c.id, sort_by_parameter_order=True), rows
        )
        return list(result.scalars())
    ids = _new_ids(connection, table, len(rows)) if return_ids else []
    if postgresql:
        _copy(connection, table, rows, ids)
    else:
        _executemany(connection, table, rows, ids)
    return ids


def _new_ids(connection: sa.Connection, table: sa.Table, count: int) -> list[int]:
    if connection.dialect.name == "postgresql":
        sequence = connection.exec_driver_sql(
            "SELECT pg_get_serial_sequence(%s, 'id')", (table.name,)
        ).scalar_one()
        return list(
            connection.exec_driver_sql(
                "SELECT nextval(%s) FROM generate_series(1, %s)", (sequence, count)
            ).scalars()
        )
    # SQLite gives a new row max(rowid) + 1 itself; the same ids, known before the INSERT.
    largest = connection.execute(sa.select(sa.func.max(table.c.id))).scalar_one()
    first = (largest or 0) + 1
    return list(range(first, first + count))


def _executemany(
    connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], ids: list[int]
) -> None:
    keys = ["id", *rows[0]] if ids else list(rows[0])
    if any(c.default is not None for c in table.c if c.name not in keys):
        # A Python-side default to fill: SQLAlchemy's own executemany does that.
        if ids:
            rows = [{"id": new_id, **row} for new_id, row in zip(ids, rows, strict=True)]
        connection.execute(table.insert(), rows)
        return
    dialect = connection.dialect
    compiled = table.insert().compile(dialect=dialect, column_keys=keys)
    columns = []
    for name in compiled.positiontup or []:
        proc = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        columns.append(ids if name == "id" and ids else _column_values(rows, name, proc))
    connection.exec_driver_sql(str(compiled), list(zip(*columns, strict=True)))


def _column_values(
    rows: list[dict[str, Any]], name: str, proc: Callable[[Any], Any] | None
) -> list[Any]:
    """One column's values as the DBAPI takes them. A column repeats few values (one `now`, a
    few hundred dates), so each distinct one is converted once; equal values convert alike."""
    if proc is None:
        return [row[name] for row in rows]
    seen: dict[Any, Any] = {}
    out = []
    for row in rows:
        value = row[name]
        try:
            done = seen[value]
        except KeyError:
            done = seen[value] = proc(value)
        except TypeError:  # unhashable (JSON data): converted each time
            done = proc(value)
        out.append(done)
    return out


def _copy(
    connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], ids: list[int]
) -> None:
    columns = list(rows[0])
    quoted = ", ".join(f'"{c}"' for c in (["id", *columns] if ids else columns))
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
            if ids:
                for new_id, row in zip(ids, rows, strict=True):
                    copy.write_row([new_id, *(_plain(row[c]) for c in columns)])
            else:
                for row in rows:
                    copy.write_row([_plain(row[c]) for c in columns])


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value
