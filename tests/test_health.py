"""`/health` tells the truth about the database, and pages say what to do before `init-db`."""

from __future__ import annotations

import hashlib
import logging
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from flask import Flask

from portfolio import create_app
from portfolio.db import alembic_config, head_revision, make_engine, upgrade_database
from tests.conftest import login, scratch_postgres_database
from tests.test_cli import free_port


def _app(url: str, tmp_path: Path) -> Flask:
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "health-test"})
    app.instance_path = str(tmp_path / "instance")
    return app


@pytest.fixture
def apps(tmp_path: Path) -> Iterator[list[Flask]]:
    """Apps a test creates on databases of its own; their engines are closed afterwards."""
    made: list[Flask] = []
    yield made
    for app in made:
        app.extensions["portfolio_db"].dispose()


def _health(app: Flask) -> tuple[int, dict[str, Any]]:
    response = app.test_client().get("/health")
    assert response.is_json, response.get_data(as_text=True)[:500]
    return response.status_code, response.get_json()


def older_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    older = script.get_revision(head_revision()).down_revision
    assert isinstance(older, str), "the tests need a migration before head"
    return older


def set_revision(url: str, revision: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
    engine.dispose()


# --- ready -------------------------------------------------------------------------------------


def test_health_is_ok_with_the_database_kind_and_schema_revision(app: Flask) -> None:
    response = app.test_client().get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == app.extensions["portfolio_db"].dialect.name
    assert body["database"] in ("sqlite", "postgresql")
    assert body["schema"] == head_revision()
    assert set(body["checks"].values()) == {"ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_health_leaves_no_transaction_or_lock_behind(app: Flask, database_url: str) -> None:
    assert _health(app)[0] == 200
    if database_url.startswith("sqlite"):
        # Its rolled-back write took SQLite's write lock; another writer gets it at once.
        other = sqlite3.connect(sa.make_url(database_url).database or "", timeout=0)
        other.execute("BEGIN IMMEDIATE")
        other.rollback()
        other.close()
        return
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        hanging = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
            )
        ).scalar_one()
    engine.dispose()
    assert hanging == 0


# --- not ready ---------------------------------------------------------------------------------


def test_health_is_503_when_the_schema_is_missing(
    empty_database_url: str, tmp_path: Path, apps: list[Flask]
) -> None:
    apps.append(app := _app(empty_database_url, tmp_path))
    status, body = _health(app)
    assert status == 503
    assert body["status"] == "error"
    assert body["checks"]["connect"] == "ok" and body["checks"]["schema"] == "missing"
    assert body["message"] == (
        "Databasen er ikke oprettet (tabellerne mangler): kør portfolio init-db"
    )
    # The health check only looks: it created nothing.
    assert sa.inspect(app.extensions["portfolio_db"]).get_table_names() == []


def test_health_is_503_when_the_schema_is_behind(
    app: Flask, database_url: str, tmp_path: Path, apps: list[Flask]
) -> None:
    older = older_revision()
    set_revision(database_url, older)
    try:
        status, body = _health(app)
        assert status == 503
        assert body["checks"]["schema"] == older
        assert body["message"] == (
            f"Databasen er forældet (version {older}, programmet kræver {head_revision()}): "
            "kør portfolio init-db"
        )
        # An app started on it refuses its pages the same way.
        apps.append(fresh := _app(database_url, tmp_path))
        page = fresh.test_client().get("/login")
        assert page.status_code == 503
        assert "Databasen er forældet" in page.get_data(as_text=True)
    finally:
        set_revision(database_url, head_revision())


def test_health_is_503_when_sqlite_is_read_only(
    sqlite_template: Path, tmp_path: Path, apps: list[Flask]
) -> None:
    path = tmp_path / "read-only.sqlite"
    shutil.copy(sqlite_template, path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    # Tests run as root, which ignores file modes: SQLite's own read-only mode instead.
    apps.append(app := _app(f"sqlite:///file:{path}?mode=ro&uri=true", tmp_path))
    status, body = _health(app)
    assert status == 503
    assert body["checks"]["schema"] == "ok"
    assert "readonly" in body["checks"]["writable"]
    assert body["message"].startswith("Databasen er skrivebeskyttet (")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


@pytest.mark.postgres
def test_health_is_503_when_postgresql_is_read_only(tmp_path: Path, apps: list[Flask]) -> None:
    with scratch_postgres_database() as url:
        engine = make_engine(url)
        upgrade_database(engine)
        engine.dispose()
        name = sa.make_url(url).database
        owner = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with owner.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        owner.dispose()
        apps.append(app := _app(url, tmp_path))
        status, body = _health(app)
        assert status == 503
        assert body["database"] == "postgresql"
        assert body["checks"]["schema"] == "ok"
        assert "read-only transaction" in body["checks"]["writable"]
        assert body["message"].startswith("Databasen er skrivebeskyttet (")
        app.extensions["portfolio_db"].dispose()


def test_health_is_503_when_sqlite_pages_are_corrupt(
    sqlite_template: Path, tmp_path: Path, apps: list[Flask]
) -> None:
    path = tmp_path / "corrupt.sqlite"
    shutil.copy(sqlite_template, path)
    db = sqlite3.connect(path)
    db.execute("VACUUM")  # no free pages left for the damage to land on harmlessly
    db.close()
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(size // 2)
        f.write(b"\xff" * 8192)
    apps.append(app := _app(f"sqlite:///{path}", tmp_path))
    status, body = _health(app)
    assert status == 503
    assert body["checks"]["integrity"] != "ok"
    assert body["message"].startswith("Databasefilen er beskadiget (")
    assert body["message"].endswith("gendan den fra en sikkerhedskopi.")


def test_health_is_503_when_the_database_server_cannot_be_reached(
    tmp_path: Path, apps: list[Flask]
) -> None:
    url = f"postgresql+psycopg://postgres:hemmelig-kode@127.0.0.1:{free_port()}/x"
    apps.append(app := _app(url, tmp_path))
    status, body = _health(app)
    assert status == 503
    assert body["checks"] == {"connect": "connection refused"}
    assert body["message"] == "Kan ikke forbinde til databasen (connection refused)."
    assert "hemmelig-kode" not in str(body)


# --- pages before init-db ----------------------------------------------------------------------


def test_pages_before_init_db_say_to_run_it_until_it_has_run(
    empty_database_url: str, tmp_path: Path, apps: list[Flask]
) -> None:
    apps.append(app := _app(empty_database_url, tmp_path))
    browser = app.test_client()
    page = browser.get("/login")
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert "Databasen er ikke klar" in html and "kør portfolio init-db" in html
    assert browser.post("/login", data={"email": "a@b.dk", "password": "x"}).status_code == 503
    with browser.get("/static/css/app.css") as css:  # the page keeps its looks
        assert css.status_code == 200
    assert browser.get("/health").status_code == 503
    upgrade_database(app.extensions["portfolio_db"])  # the operator runs portfolio init-db
    page = browser.get("/login")
    assert page.status_code == 200 and "Log ind" in page.get_data(as_text=True)
    assert browser.get("/health").status_code == 200


def test_a_browser_still_logged_in_sees_the_503_page_when_the_tables_are_gone(
    empty_database_url: str, tmp_path: Path, apps: list[Flask]
) -> None:
    from portfolio.db import get_session
    from portfolio.domain import Role
    from portfolio.users.services import create_user

    apps.append(app := _app(empty_database_url, tmp_path))
    engine = app.extensions["portfolio_db"]
    upgrade_database(engine)
    with app.app_context():
        create_user(
            session=get_session(),
            email="ida.it@kommune.example",
            name="Ida IT-afdeling",
            role=Role.admin,
            password="en-lang-adgangskode",
            person=None,
        )
        get_session().commit()
    browser = app.test_client()
    login(browser, "ida.it@kommune.example", "en-lang-adgangskode")
    assert "Ida IT-afdeling" in browser.get("/projekter/").get_data(as_text=True)
    command.downgrade(alembic_config(engine), "base")  # every table gone
    apps.append(restarted := _app(empty_database_url, tmp_path))
    same_browser = restarted.test_client()
    cookie = browser.get_cookie("session")
    assert cookie is not None
    same_browser.set_cookie("session", cookie.value)
    page = same_browser.get("/projekter/")
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert "kør portfolio init-db" in html and "Ida IT-afdeling" not in html


def test_the_app_logs_one_warning_at_start_when_the_schema_is_missing(
    tmp_path: Path, sqlite_template: Path, apps: list[Flask], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        apps.append(_app(f"sqlite:///{tmp_path / 'empty.sqlite'}", tmp_path))
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [
        "Databasen er ikke oprettet (tabellerne mangler): kør portfolio init-db "
        "(siderne svarer 503, indtil databasen er klar)"
    ]
    caplog.clear()
    ready = tmp_path / "ready.sqlite"
    shutil.copy(sqlite_template, ready)
    with caplog.at_level(logging.WARNING):
        apps.append(_app(f"sqlite:///{ready}", tmp_path))
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
