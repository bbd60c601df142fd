"""One transaction per request and per CLI command: committed once on success, nothing kept
of a request or command that fails or is refused, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import click
import pytest
import sqlalchemy as sa
from flask import Blueprint, Flask, flash, redirect
from flask.cli import with_appcontext
from flask.testing import FlaskClient
from sqlmodel import Session, select

from portfolio.auth import current_actor
from portfolio.db import get_session, refused_with, unit_of_work
from portfolio.domain import ChangeSource
from portfolio.permissions import ENDPOINTS, Permission
from portfolio.projects.models import Department, Person, Project
from portfolio.projects.services import create_project
from tests.conftest import csrf_token, login, snapshot, version_on

probe = Blueprint("uow_probe", __name__, url_prefix="/probe")


def _write_a_project() -> None:
    create_project(
        session=get_session(),
        data={"name": "Halvfærdigt", "scope": "municipal", "kind": "strategic", "phase": "idea"},
        actor=current_actor(),
        source=ChangeSource.web,
    )  # flushed: the row is in the database's transaction


@probe.post("/raise")
def raise_after_flush() -> str:
    _write_a_project()
    raise RuntimeError("a bug after the write")


@probe.post("/refuse")
def refuse_after_flush() -> Any:
    with refused_with(LookupError, lambda exc: redirect(f"/projekter/?why={exc}")):
        _write_a_project()
        raise LookupError("stale")
    return "not reached"


@probe.post("/late-conflict")
def conflict_at_commit() -> Any:
    taken = get_session().exec(select(Department)).first()
    assert taken is not None
    # Not flushed: the unique name fails only when the boundary commits.
    get_session().add(Department(name=taken.name))
    flash("Probe gemt.", "success")
    return redirect("/projekter/")


@pytest.fixture
def app(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The real app with routes that fail after writing, declared like every route."""
    for endpoint in ("raise_after_flush", "refuse_after_flush", "conflict_at_commit"):
        monkeypatch.setitem(ENDPOINTS, f"uow_probe.{endpoint}", Permission.create_project)
    app.register_blueprint(probe)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the user's 500 page, not the test's traceback
    yield app


@pytest.fixture
def commits(app: Flask) -> Iterator[list[object]]:
    """Every COMMIT the app's engine sends, from the moment the test asks for it."""
    seen: list[object] = []

    def count(conn: object) -> None:
        seen.append(conn)

    engine = app.extensions["portfolio_db"]
    sa.event.listen(engine, "commit", count)
    yield seen
    sa.event.remove(engine, "commit", count)


def _post(client: FlaskClient, url: str, **data: str) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client, "/projekter/ny"), **data})


def test_a_view_that_raises_after_flushing_leaves_the_database_unchanged(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    make_project(name="Findes")
    before = snapshot(session)
    response = _post(client, "/probe/raise")
    assert response.status_code == 500
    assert "Der skete en fejl" in response.get_data(as_text=True)
    assert snapshot(session) == before


def test_a_refusal_answered_with_a_redirect_keeps_nothing(
    client: FlaskClient, session: Session
) -> None:
    before = snapshot(session)
    response = _post(client, "/probe/refuse")
    assert response.status_code == 302 and response.location.endswith("why=stale")
    assert snapshot(session) == before


def test_a_stale_edit_that_created_a_department_first_keeps_nothing(
    app: Flask, session: Session, make_project: Callable[..., Project], make_user: Any
) -> None:
    project = make_project(name="Kørselsapp")
    page = f"/projekter/{project.id}/rediger"
    alice, bob = app.test_client(), app.test_client()
    login(alice, make_user(role="editor").email)
    login(bob, make_user(role="editor").email)
    form = {"scope": "municipal", "kind": "operational", "phase": "implementation"}
    b_token, b_version = csrf_token(bob, page), version_on(bob, page)
    saved = alice.post(
        page,
        data={**form, "csrf_token": csrf_token(alice, page), "version": version_on(alice, page)}
        | {"name": "Kørselsapp", "status": "yellow"},
    )
    assert saved.status_code == 302
    before = snapshot(session)
    # Bob's save names a new department (written and flushed) before its version is refused.
    refused = bob.post(
        page,
        data={**form, "csrf_token": b_token, "version": b_version}
        | {"name": "Kørselsapp 2.0", "department": "Helt ny afdeling"},
    )
    assert refused.status_code == 409
    assert snapshot(session) == before
    assert session.exec(select(Department).where(Department.name == "Helt ny afdeling")).all() == []


def test_a_form_error_after_a_write_keeps_nothing(client: FlaskClient, session: Session) -> None:
    before = snapshot(session)
    # The new person is added before the password is found too short: the form comes back (200).
    response = _post(
        client,
        "/brugere/ny",
        name="Ny Ejer",
        email="ny.ejer@kommune.example",
        role="owner",
        person="Helt Ny Procesejer",
        password="kort",
    )
    assert response.status_code == 200
    assert "mindst 10 tegn" in response.get_data(as_text=True)
    assert snapshot(session) == before
    assert session.exec(select(Person).where(Person.name == "Helt Ny Procesejer")).all() == []


def test_a_meeting_refused_with_400_keeps_nothing(client: FlaskClient, session: Session) -> None:
    token = csrf_token(client, "/moeder/")
    first = client.post(
        "/moeder/", data={"csrf_token": token, "meeting_date": "08-12-2026", "mode": "complete"}
    )
    assert first.status_code == 302
    before = snapshot(session)
    again = client.post(
        "/moeder/", data={"csrf_token": token, "meeting_date": "08-12-2026", "mode": "complete"}
    )
    assert again.status_code == 400
    assert snapshot(session) == before


def test_a_successful_request_commits_once(
    client: FlaskClient, session: Session, commits: list[object]
) -> None:
    token = csrf_token(client, "/projekter/ny")
    commits.clear()  # the page above read only
    response = client.post(
        "/projekter/ny",
        data={
            "csrf_token": token,
            "name": "Nyt projekt",
            "scope": "municipal",
            "kind": "strategic",
            "phase": "analysis",
            "department": "Ny afdeling",
        },
    )
    assert response.status_code == 302
    assert len(commits) == 1
    names = [p.name for p in session.exec(select(Project)).all()]
    assert names == ["Nyt projekt"]


def test_a_failed_commit_is_the_conflict_page_without_the_success_message(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    make_project(name="Har en afdeling")
    before = snapshot(session)
    response = _post(client, "/probe/late-conflict")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Nogen gemte samtidig" in html
    assert "Probe gemt." not in html
    assert "Probe gemt." not in client.get("/projekter/").get_data(as_text=True)
    assert response.headers.get("X-Content-Type-Options") == "nosniff"  # headers as usual
    assert snapshot(session) == before


def test_reading_pages_commit_nothing(client: FlaskClient, commits: list[object]) -> None:
    assert client.get("/projekter/").status_code == 200
    assert commits == []


def test_a_cli_command_that_fails_midway_leaves_the_database_unchanged(
    app: Flask, session: Session, make_project: Callable[..., Project]
) -> None:
    make_project(name="Findes")

    @click.command("probe-fail")
    @with_appcontext
    @unit_of_work()
    def probe_fail() -> None:
        create_project(
            session=get_session(),
            data={
                "name": "Halvfærdigt",
                "scope": "municipal",
                "kind": "strategic",
                "phase": "idea",
            },
            actor="cli",
            source=ChangeSource.cli,
        )
        raise SystemExit(1)

    app.cli.add_command(probe_fail)
    before = snapshot(session)
    result = app.test_cli_runner().invoke(args=["probe-fail"])
    assert result.exit_code == 1
    assert snapshot(session) == before


def test_create_user_refused_after_adding_a_person_leaves_the_database_unchanged(
    app: Flask, session: Session
) -> None:
    before = snapshot(session)
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "ejer@kommune.example",
            "--name",
            "Ejer",
            "--role",
            "owner",
            "--person",
            "Helt Ny Procesejer",
            "--password-stdin",
        ],
        input="kort\n",
    )
    assert result.exit_code == 1 and "mindst 10 tegn" in result.output
    assert snapshot(session) == before
