"""Every save that changes a versioned record carries the version it was made from: a form
without one, or with one that is not a number, is refused (400, in Danish) and saves nothing.
Drafts stay private, and the log speaks in words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from portfolio.domain import Role
from portfolio.meetings import services as meetings_svc
from portfolio.meetings.pack import PackMode
from portfolio.projects.models import Project
from portfolio.users.models import User
from tests.conftest import csrf_token, login, snapshot

DAY = date(2026, 12, 8)
PAGE = f"/moeder/{DAY.isoformat()}"
REFUSED = "Formularen mangler sit versionsnummer, eller det er ugyldigt"


def _meeting(session: Session) -> None:
    meetings_svc.create_meeting(
        session=session, meeting_date=DAY, mode=PackMode.complete, actor="test"
    )
    session.commit()


def _saves(project: Project) -> list[tuple[str, dict[str, str], bool]]:
    """(url, form data without a version, published meeting needed) for every versioned save."""
    p = f"/projekter/{project.id}"
    return [
        (f"{p}/status", {"status": "red", "phase": "analysis", "status_comment": "x"}, False),
        (
            f"{p}/rediger",
            {"name": "Nyt navn", "scope": "national", "kind": "strategic", "phase": "idea"},
            False,
        ),
        (f"{p}/arkiv", {"archive": "1", "confirmed": "ja"}, False),
        (f"{p}/gennemset", {}, False),
        (f"{PAGE}/tekst", {"title": "Ny titel", "anledning": "Ny tekst"}, False),
        (f"{PAGE}/projekt/{project.id}/til-beslutning", {"flagged": "1"}, False),
        (f"{PAGE}/offentliggoer", {"confirm": "y"}, False),
        (f"{PAGE}/projekt/{project.id}/beslutning", {"decision": "Godkendt"}, True),
    ]


@pytest.mark.parametrize("version", [None, "", "abc", "1.5", "-1", "9" * 30])
def test_a_save_without_a_proper_version_is_refused_and_saves_nothing(
    client: FlaskClient,
    session: Session,
    make_project: Callable[..., Project],
    version: str | None,
) -> None:
    project = make_project(name="Versioneret projekt")
    _meeting(session)
    for url, data, needs_published in _saves(project):
        meeting = meetings_svc.meeting_by_date(session, DAY)
        assert meeting is not None
        if needs_published and meeting.published_at is None:
            meetings_svc.publish_meeting(session=session, meeting=meeting, actor="test")
            session.commit()
        form = {"csrf_token": csrf_token(client, PAGE), **data}
        if version is not None:
            form["version"] = version
        before = snapshot(session)
        response = client.post(url, data=form)
        assert response.status_code == 400, url
        assert REFUSED in response.get_data(as_text=True), url
        assert snapshot(session) == before, url


def test_flagging_a_draft_is_seen_in_the_project_log_only_by_those_who_see_drafts(
    app: Flask,
    client: FlaskClient,
    session: Session,
    make_project: Callable[..., Project],
    make_user: Callable[..., User],
) -> None:
    project = make_project(name="Kørselsapp", process_owner="Peter Damgaard")
    _meeting(session)
    token = csrf_token(client, PAGE)
    page = client.get(PAGE).get_data(as_text=True)
    version = page.split('name="version" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        f"{PAGE}/projekt/{project.id}/til-beslutning",
        data={"csrf_token": token, "version": version, "flagged": "1"},
    )
    assert response.status_code == 302
    label = "Sat på eller taget af dagsordenen"
    # The IT department sees its own work on the draft, in words.
    html = client.get(f"/projekter/{project.id}").get_data(as_text=True)
    assert label in html
    assert "Nej" in html and "Ja" in html
    assert "False" not in html and "True" not in html
    for role in (Role.reader, Role.owner):
        user = make_user(role=role, person="Peter Damgaard" if role == Role.owner else None)
        other = app.test_client()
        login(other, user.email)
        html = other.get(f"/projekter/{project.id}").get_data(as_text=True)
        assert "Kørselsapp" in html
        assert label not in html, role
        assert "False" not in html and "True" not in html


def test_archiving_reads_as_yes_and_no_in_the_log(
    client: FlaskClient, make_project: Callable[..., Project]
) -> None:
    project = make_project(name="Arkivprojekt")
    page = f"/projekter/{project.id}"
    html = client.get(page).get_data(as_text=True)
    version = html.split('name="version" value="', 1)[1].split('"', 1)[0]
    token = csrf_token(client, page)
    response = client.post(
        f"{page}/arkiv",
        data={"csrf_token": token, "version": version, "archive": "1", "confirmed": "ja"},
    )
    assert response.status_code == 302
    html = client.get(page).get_data(as_text=True)
    log = html[html.index("Ændringslog") :]
    assert "Arkiveret" in log and ">Nej<" in log and ">Ja<" in log
    assert "False" not in log and "True" not in log
    audit = client.get("/log/").get_data(as_text=True)
    assert ">Ja<" in audit and "True" not in audit
