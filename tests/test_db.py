"""The database layer: SQLite settings, and migrations that give exactly the models' schema."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlmodel import SQLModel

from portfolio import create_app
from portfolio.db import alembic_config, head_revision, make_engine, upgrade_database


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


def test_servers_starting_together_migrate_the_database_once(empty_database_url: str) -> None:
    """Each server runs `portfolio init-db` before it starts (deploy/portefolje.service, the
    Containerfile): three started at once on an empty database all succeed, and the schema is
    the newest once, not three half-made copies or a crash on a table that already exists."""
    import portfolio.models  # noqa: F401 - every table, for the comparison below
    from tests.live_server import BIN, server_env

    env = server_env(empty_database_url)
    starts = [
        subprocess.Popen(  # noqa: S603
            [os.path.join(BIN, "portfolio"), "init-db"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=180)[0] for process in starts]
    assert [process.returncode for process in starts] == [0, 0, 0], "\n".join(outputs)
    assert all("Databasen er klar" in output for output in outputs), outputs
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            versions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()
            assert versions.all() == [head_revision()]
            differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert differences == []
    finally:
        engine.dispose()
