"""Chiefs land on their work: the owner's landing, the menu's review count, the one-step
"Gem og markér som gennemset", the 403 page that names the role, and the login's autocomplete."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from portfolio.db import utcnow
from portfolio.domain import Role
from portfolio.projects import services as svc
from portfolio.projects.models import Project, StatusUpdate
from tests.conftest import PASSWORD, csrf_token, login, snapshot

OWNER = "Lise Holm"


def _post_login(app: Flask, email: str, next_: str = "") -> str:
    client = app.test_client()
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(client, "/login"),
            "email": email,
            "password": PASSWORD,
            "next": next_,
        },
    )
    assert response.status_code == 302
    return response.headers["Location"]


@pytest.mark.parametrize("role", list(Role))
def test_an_owner_lands_on_mine_projekter_and_the_others_where_they_did(
    app: Flask, make_user, role: Role
) -> None:
    user = make_user(role=role, person=OWNER if role == Role.owner else None)
    expected = "/projekter/mine" if role == Role.owner else "/"
    assert _post_login(app, user.email) == expected
    # a safe `next` still wins, an unsafe one falls back to the landing page
    assert _post_login(app, user.email, "/projekter/") == "/projekter/"
    assert _post_login(app, user.email, "https://evil.example/") == expected


def _owner_with_projects(session: Session, make_user, make_project) -> tuple[Any, list[Project]]:
    """An owner with a project of each kind: never reviewed, up to date, changed since the
    review, not reviewed for long, archived; and another owner's project."""
    owner = make_user(role=Role.owner, person=OWNER)
    never = make_project(name="Aldrig set", process_owner=OWNER)
    fresh = make_project(name="Frisk", process_owner=OWNER)
    changed = make_project(name="Ændret", process_owner=OWNER)
    stale = make_project(name="Gammel", process_owner=OWNER)
    archived = make_project(name="Arkiveret", process_owner=OWNER)
    make_project(name="En andens", process_owner="Peter Damgaard")
    now = utcnow()
    for project, reviewed, updated in (
        (fresh, now - timedelta(days=1), now - timedelta(days=2)),
        (changed, now - timedelta(days=3), now - timedelta(days=1)),
        (stale, now - timedelta(days=400), now - timedelta(days=401)),
    ):
        project.reviewed_at, project.updated_at = reviewed, updated
        session.add(project)
    archived.archived = True
    session.add(archived)
    # the history of their creation lies before every review
    session.execute(sa.update(StatusUpdate).values(changed_at=now - timedelta(days=500)))
    session.commit()
    return owner, [never, fresh, changed, stale]


def _menu_item(html: str) -> str:
    match = re.search(r'<a href="/projekter/mine"[^>]*>(.*?)</a>', html, re.S)
    assert match, "no Mine projekter in the menu"
    return match.group(1)


def test_the_menu_counts_what_review_reason_says_with_one_query(
    app: Flask, session: Session, make_user, make_project
) -> None:
    owner, _projects = _owner_with_projects(session, make_user, make_project)
    days = int(app.config["REVIEW_INTERVAL_DAYS"])
    owned = svc.owned_projects(session, owner.person_id)
    waiting = sum(svc.review_reason(p, days) is not None for p in owned)
    assert 0 < waiting < len(owned)  # the demo of every case above is meaningful
    client = app.test_client()
    login(client, owner.email)

    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = app.extensions["portfolio_db"]
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        html = client.get("/projekter/").get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    item = _menu_item(html)
    text = " ".join(re.sub(r"<[^>]+>", "", item).split())
    assert text == f"Mine projekter ({waiting} venter på gennemsyn)"
    assert '<span class="visually-hidden"> venter på gennemsyn</span>' in item
    assert sum("count(" in s.lower() and "reviewed_at" in s for s in statements) == 1


def test_no_count_when_nothing_waits_and_none_for_readers(
    app: Flask, make_user, make_project
) -> None:
    owner = make_user(role=Role.owner, person="Ole Uden Projekter")
    client = app.test_client()
    login(client, owner.email)
    assert _menu_item(client.get("/projekter/").get_data(as_text=True)).strip() == (
        "Mine projekter"
    )
    reader = make_user(role=Role.reader)
    other = app.test_client()
    login(other, reader.email)
    assert 'href="/projekter/mine"' not in other.get("/projekter/").get_data(as_text=True)


def _mine_form(client: FlaskClient, project: Project) -> dict[str, str]:
    """The quick status form of one project on Mine projekter, as the browser would send it."""
    html = client.get("/projekter/mine").get_data(as_text=True)
    prefix = f"p{project.id}"
    block = html.split(f'data-project="{project.id}"', 1)[1].split("</details>", 1)[0]
    values = dict(re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', block))
    for name in ("csrf_token", "version"):
        assert f"{prefix}-{name}" in values, name
    return {
        f"{prefix}-csrf_token": values[f"{prefix}-csrf_token"],
        f"{prefix}-version": values[f"{prefix}-version"],
        "form_prefix": prefix,
        "back": "mine",
        f"{prefix}-status": "red",
        f"{prefix}-phase": "analysis",
        f"{prefix}-status_comment": "Leverandøren er forsinket",
        "and_review": "1",
    }


def test_save_and_review_writes_both_in_one_step_and_returns_to_the_project(
    app: Flask, session: Session, make_user, make_project
) -> None:
    owner, (never, *_rest) = _owner_with_projects(session, make_user, make_project)
    client = app.test_client()
    login(client, owner.email)
    before = _menu_item(client.get("/projekter/mine").get_data(as_text=True))
    version = never.version
    response = client.post(f"/projekter/{never.id}/status", data=_mine_form(client, never))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/projekter/mine?aaben={never.id}#projekt-{never.id}"

    session.expire_all()
    stored = session.get(Project, never.id)
    assert stored is not None and stored.reviewed_at is not None
    assert stored.status is not None and stored.status.value == "red"
    assert svc.review_reason(stored, int(app.config["REVIEW_INTERVAL_DAYS"])) is None
    history = session.exec(
        select(StatusUpdate).where(
            StatusUpdate.project_id == never.id, StatusUpdate.field == "status"
        )
    ).all()
    assert [h.new_value for h in history][-1] == "red"
    assert stored.version == version + 2  # the save and the review, each versioned

    page = client.get(response.headers["Location"].split("#")[0]).get_data(as_text=True)
    opened = re.findall(r'<details[^>]*data-project="(\d+)"[^>]*?( open)?>', page)
    assert [pid for pid, is_open in opened if is_open] == [str(never.id)]
    block = page.split(f'data-project="{never.id}"', 1)[1].split("</details>", 1)[0]
    confirmation = re.search(r"<p[^>]*data-focus-on-load[^>]*>(.*?)</p>", block, re.S)
    assert confirmation, "no confirmation inside the saved project"
    # the fragment's target: focusable, announced
    for attribute in (f'id="projekt-{never.id}"', 'tabindex="-1"', 'role="status"'):
        assert attribute in confirmation.group(0)
    assert page.count(f'id="projekt-{never.id}"') == 1
    assert "markeret som gennemset" in confirmation.group(1)
    assert '<script src="/static/js/focus.js' in page or "js/focus." in page
    assert _menu_item(page) != before  # one fewer waits
    # shown once: a reload shows no old confirmation
    assert "data-focus-on-load" not in client.get("/projekter/mine").get_data(as_text=True)


def test_a_stale_version_refuses_the_save_and_the_review(
    app: Flask, session: Session, make_user, make_project
) -> None:
    owner, (never, *_rest) = _owner_with_projects(session, make_user, make_project)
    client = app.test_client()
    login(client, owner.email)
    form = _mine_form(client, never)
    form[f"p{never.id}-version"] = str(never.version - 1)
    before = snapshot(session)
    response = client.post(f"/projekter/{never.id}/status", data=form)
    assert response.status_code == 409
    assert snapshot(session) == before


def test_the_project_list_shows_what_changed_since_the_review(
    app: Flask, session: Session, make_user, make_project
) -> None:
    owner, (_never, _fresh, changed, _stale) = _owner_with_projects(
        session, make_user, make_project
    )
    client = app.test_client()
    login(client, owner.email)
    editor = make_user(role=Role.editor)
    other = app.test_client()
    login(other, editor.email)
    page = other.get(f"/projekter/{changed.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page)
    assert token and version
    other.post(
        f"/projekter/{changed.id}/status",
        data={
            "csrf_token": token.group(1),
            "version": version.group(1),
            "status": "yellow",
            "phase": "analysis",
            "status_comment": "",
        },
    )
    html = client.get("/projekter/mine").get_data(as_text=True)
    summary = html.split(f'data-project="{changed.id}"', 1)[1].split("</summary>", 1)[0]
    text = " ".join(re.sub(r"<[^>]+>", " ", summary).split())
    assert "Siden sidste gennemsyn: Status Grøn → Gul" in text


@pytest.mark.parametrize(
    ("role", "url", "says", "link"),
    [
        (Role.owner, "/projekter/ny", "Som procesejer kan du opdatere status", "/projekter/mine"),
        (Role.reader, "/projekter/ny", "Som læser kan du se projekterne", "/overblik/"),
        (Role.editor, "/brugere/", "Som redaktør kan du redigere alle projekter", "/projekter/"),
    ],
)
def test_the_403_page_names_the_role_and_what_it_can_do(
    app: Flask, make_user, role: Role, url: str, says: str, link: str
) -> None:
    user = make_user(role=role, person=OWNER if role == Role.owner else None)
    client = app.test_client()
    login(client, user.email)
    response = client.get(url)
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert says in html
    main = html.split('<main id="main"', 1)[1]
    assert f'href="{link}"' in main


def test_the_login_fields_say_what_to_autocomplete(app: Flask) -> None:
    html = app.test_client().get("/login").get_data(as_text=True)
    email = re.search(r"<input[^>]*type=\"email\"[^>]*>", html)
    password = re.search(r"<input[^>]*type=\"password\"[^>]*>", html)
    assert email and 'autocomplete="username"' in email.group(0)
    assert password and 'autocomplete="current-password"' in password.group(0)
