"""The database layer: SQLite settings, and migrations that give exactly the models' schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlmodel import SQLModel

from portfolio import create_app
from portfolio.db import alembic_config, make_engine, upgrade_database


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    engine.dispose()


def test_default_database_is_a_sqlite_file_in_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PORTFOLIO_DATABASE_URL", raising=False)
    app = Flask("probe", instance_path=str(tmp_path / "instance"))
    from portfolio.config import load_config

    load_config(app, {"TESTING": True})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'portfolio.sqlite'}"
    # and a secret key that survives a restart
    first = app.config["SECRET_KEY"]
    again = Flask("probe", instance_path=str(tmp_path / "instance"))
    load_config(again, {"TESTING": True})
    assert again.config["SECRET_KEY"] == first and len(first) >= 32


def test_database_url_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'from-env.sqlite'}"
    monkeypatch.setenv("PORTFOLIO_DATABASE_URL", url)
    app = create_app()
    assert app.config["DATABASE_URL"] == url
    app.extensions["portfolio_db"].dispose()


def test_migrations_produce_exactly_the_models_schema(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    engine.dispose()
    assert diff == []


def test_migrations_downgrade_and_upgrade_cleanly(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'cycle.sqlite'}")
    upgrade_database(engine)
    command.downgrade(alembic_config(engine), "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade_database(engine)
    assert {"project", "status_update", "person", "department"} <= set(
        sa.inspect(engine).get_table_names()
    )
    engine.dispose()
