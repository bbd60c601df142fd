"""Shared fixtures: an app on a real SQLite file or a real PostgreSQL database, and factories."""

from __future__ import annotations

import functools
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jinja2
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlmodel import Session, SQLModel

from portfolio import create_app
from portfolio.db import PortfolioFlask, make_engine, upgrade_database
from portfolio.domain import ChangeSource, Role
from portfolio.projects.models import Project
from portfolio.projects.services import create_project
from portfolio.users.models import User
from portfolio.users.services import create_user, hash_password

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("PORTFOLIO_TEST_POSTGRES_URL", "")
# Production hashes with scrypt (slow on purpose, ~0.1 s a login); the suite's apps use a cheap
# method so that hundreds of logins stay fast. test_views_auth proves the scrypt default.
TEST_HASH_METHOD = "pbkdf2:sha256:1000"


class SharedTemplateCode(jinja2.BytecodeCache):
    """Compiled templates kept in memory for the whole run: every test builds an app of its
    own, and compiling the templates again for each was a third of a view test's time. Jinja
    checks each template's source checksum, so an edited template is compiled anew."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


# Every app the tests create in this process (fixtures, e2e servers, create_app in a test).
PortfolioFlask.jinja_options = {
    **PortfolioFlask.jinja_options,
    "bytecode_cache": SharedTemplateCode(),
}


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not POSTGRES_URL:
        raise pytest.UsageError(
            "CI=true but PORTFOLIO_TEST_POSTGRES_URL is not set: the PostgreSQL tests must run."
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)
    # In CI a skipped test is a gap, not a pass: browser and PostgreSQL tests must run.
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which is not allowed: {report.longrepr}"


# --- databases ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating each time would be slow)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_database(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated once, dropped at the end."""
    with scratch_postgres_database() as url:
        engine = make_engine(url)
        upgrade_database(engine)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def postgres_cleaner(postgres_database: str) -> Iterator[sa.Engine]:
    """One engine for the session that empties the database before each test."""
    engine = sa.create_engine(postgres_database)
    yield engine
    engine.dispose()


@contextmanager
def scratch_postgres_database() -> Iterator[str]:
    """An empty PostgreSQL database of its own (no tables), dropped when the block ends."""
    if not POSTGRES_URL:
        pytest.skip("PORTFOLIO_TEST_POSTGRES_URL is not set")
    admin_url = sa.make_url(POSTGRES_URL)
    name = f"portfolio_scratch_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database before `portfolio init-db`: no tables at all, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    with scratch_postgres_database() as url:
        yield url


def _empty_all_tables(engine: sa.Engine) -> None:
    """Every table empty and every id counting from 1 again, as after the migration. DELETE
    (children first) and restarting the used sequences cost a tenth of TRUNCATE here."""
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())
        used = conn.exec_driver_sql(
            "SELECT sequencename FROM pg_sequences"
            " WHERE schemaname = 'public' AND last_value IS NOT NULL"
        ).scalars()
        for sequence in used.all():
            conn.exec_driver_sql(f'ALTER SEQUENCE "{sequence}" RESTART')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that needs a database runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "portfolio.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    _empty_all_tables(request.getfixturevalue("postgres_cleaner"))
    return url


# --- the app -----------------------------------------------------------------------------------


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
        }
    )
    app.instance_path = str(tmp_path / "instance")
    yield app
    app.extensions["portfolio_db"].dispose()


@pytest.fixture
def anonymous(app: Flask) -> FlaskClient:
    """A browser that has not logged in."""
    return app.test_client()


@pytest.fixture
def client(app: Flask, make_user: Callable[..., User]) -> FlaskClient:
    """A browser logged in as an administrator (IT department): allowed everything."""
    admin = make_user(role=Role.admin, name="Ida IT-afdeling", email="ida.it@kommune.example")
    client = app.test_client()
    login(client, admin.email)
    return client


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session of its own: what it reads is what the database holds, not the request's cache."""
    with Session(app.extensions["portfolio_db"], expire_on_commit=False) as s:
        yield s


@pytest.fixture
def make_project(session: Session) -> Callable[..., Project]:
    counter = iter(range(1, 10_000))

    def make(**fields: Any) -> Project:
        n = next(counter)
        data: dict[str, Any] = {
            "name": f"Testprojekt {n}",
            "case_number": f"85.13.00-P20-{n}-26",
            "scope": "municipal",
            "kind": "strategic",
            "phase": "analysis",
            "status": "green",
            "department": "Økonomi & Stab",
            "process_owner": "Peter Damgaard",
            "project_lead": "Mette Sørensen",
        }
        data.update(fields)
        project = create_project(
            session=session, data=data, actor="testfixture", source=ChangeSource.cli
        )
        session.commit()
        return project

    return make


# --- accounts ----------------------------------------------------------------------------------

PASSWORD = "test-adgangskode-42"


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD, method=TEST_HASH_METHOD)  # hashed once per test run


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(
        *,
        role: Role | str,
        person: str | None = None,
        name: str | None = None,
        email: str | None = None,
    ) -> User:
        n = next(counter)
        user = create_user(
            session=session,
            email=email or f"bruger{n}.{Role(role).value}@kommune.example",
            name=name or f"Bruger {n}",
            role=role,
            password=None,
            person=person,
        )
        user.password_hash = _password_hash()
        session.add(user)
        session.commit()
        session.refresh(user)
        _ = user.person  # loaded now, then the read transaction ends: later reads see new rows
        session.commit()
        return user

    return make


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    """Log in through the login form, as a user would; fails the test if it does not work."""
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"csrf_token": token, "email": email, "password": password, "next": ""}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


# --- helpers for forms -------------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, page: str) -> str:
    """The CSRF token a user's browser would hold after opening `page`."""
    html = client.get(page).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {page}"
    return match.group(1)


def version_on(client: FlaskClient, page: str) -> str:
    html = client.get(page).get_data(as_text=True)
    match = re.search(r'name="version"[^>]*value="(\d+)"', html) or re.search(
        r'value="(\d+)"[^>]*name="version"', html
    )
    assert match, f"no version field on {page}"
    return match.group(1)


def _fresh(session: Session) -> None:
    """End the session's read transaction so it sees what other connections committed."""
    session.commit()
    session.expire_all()


def count_rows(session: Session, model: type[SQLModel]) -> int:
    _fresh(session)
    return int(session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: to prove that a refused action changed nothing. Uploads
    waiting for preview (`pending_upload`, files on disk before issue 18) are left out: they
    come and go with each upload; tests/test_imports_uploads.py looks at them."""
    _fresh(session)
    out = {}
    for table in SQLModel.metadata.sorted_tables:
        if table.name == "pending_upload":
            continue
        rows = session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        out[table.name] = [tuple(r) for r in rows]
    return out
