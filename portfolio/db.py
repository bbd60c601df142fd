"""The database: one engine per app, one session per request, schema by Alembic migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy.engine import Engine
from sqlmodel import Session

MIGRATIONS = Path(__file__).parent / "migrations"
WRITE_OPTION = "portfolio_writes"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling is switched off so that we choose the BEGIN:
        # writers lock at BEGIN IMMEDIATE (waiting for busy_timeout) instead of failing
        # mid-transaction when a read lock cannot be upgraded; readers never block.
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    if connection.get_execution_options().get(WRITE_OPTION):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def writing(engine: Engine) -> Engine:
    """The same engine, but its transactions take SQLite's write lock when they begin."""
    return engine.execution_options(**{WRITE_OPTION: True})


def init_app(app: Flask) -> None:
    url = str(app.config["DATABASE_URL"])
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    app.extensions["portfolio_db"] = make_engine(url)
    app.teardown_appcontext(close_session)


def get_engine() -> Engine:
    engine: Engine = current_app.extensions["portfolio_db"]
    return engine


def get_session() -> Session:
    """The request's session; the view (or CLI command) commits once."""
    if "db_session" not in g:
        engine = get_engine()
        if not has_request_context() or request.method not in READ_METHODS:
            engine = writing(engine)
        g.db_session = Session(engine, expire_on_commit=False)
    session: Session = g.db_session
    return session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade_database(engine: Engine) -> None:
    """Bring the schema to the newest migration (creates it on an empty database)."""
    command.upgrade(alembic_config(engine), "head")
