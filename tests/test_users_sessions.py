"""How long a login and a form last: idle and absolute session limits, expired CSRF tokens."""

from __future__ import annotations

import time
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous.timed import TimestampSigner
from sqlmodel import Session
from werkzeug.datastructures import MultiDict

from portfolio import security
from portfolio.domain import Role
from portfolio.projects.models import Project
from portfolio.users.models import User
from tests.conftest import PASSWORD, csrf_token, login, snapshot, version_on

HOUR = 3600


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The session clock; the test moves it forward."""
    now = [time.time()]
    monkeypatch.setattr(security, "clock", lambda: now[0])
    return now


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Moves on the clock that signs and checks form tokens (itsdangerous's), instead of
    sleeping past their time limit."""
    offset = [0]
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + offset[0])

    def advance(seconds: int) -> None:
        offset[0] += seconds

    return advance


@pytest.fixture
def editor(app: Flask, make_user: Callable[..., User], clock: list[float]) -> FlaskClient:
    """An editor who logs in at the clock's start."""
    client = app.test_client()
    login(client, make_user(role=Role.editor, email="eva.editor@kommune.example").email)
    return client


def _login_page_with_next(response, page: str) -> None:
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [page]


# --- idle and absolute limits --------------------------------------------------------------------


def test_an_idle_session_ends_after_eight_hours_and_the_user_comes_back_to_the_page(
    editor: FlaskClient, clock: list[float]
) -> None:
    clock[0] += 7 * HOUR + 59 * 60
    assert editor.get("/projekter/").status_code == 200  # still active: the idle time restarts
    clock[0] += 7 * HOUR + 59 * 60
    assert editor.get("/projekter/").status_code == 200

    clock[0] += 8 * HOUR + 60
    response = editor.get("/projekter/?q=app")
    _login_page_with_next(response, "/projekter/?q=app")
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Du er blevet logget ud, fordi du ikke har været aktiv i 8 timer. Log ind igen." in page
    # logging in again returns to the page the user was on
    token = csrf_token(editor, response.headers["Location"])
    back = editor.post(
        "/login",
        data={
            "csrf_token": token,
            "email": "eva.editor@kommune.example",
            "password": PASSWORD,
            "next": "/projekter/?q=app",
        },
    )
    assert back.status_code == 302 and back.headers["Location"] == "/projekter/?q=app"
    assert editor.get("/projekter/?q=app").status_code == 200


def test_a_session_ends_after_seven_days_even_when_in_use(
    editor: FlaskClient, clock: list[float]
) -> None:
    for _ in range(23):  # seven hours at a time: never idle for eight
        clock[0] += 7 * HOUR
        assert editor.get("/projekter/").status_code == 200
    clock[0] += 6 * HOUR + 59 * 60  # 6 days, 23 hours and 59 minutes after the login
    assert editor.get("/projekter/").status_code == 200
    clock[0] += 2 * 60  # past seven days
    response = editor.get("/projekter/")
    _login_page_with_next(response, "/projekter/")
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Du er blevet logget ud, fordi du har været logget ind i 7 dage. Log ind igen." in page


def test_the_limits_follow_the_settings(
    app: Flask, editor: FlaskClient, clock: list[float]
) -> None:
    app.config["SESSION_IDLE_MINUTES"] = 30
    clock[0] += 29 * 60
    assert editor.get("/projekter/").status_code == 200
    clock[0] += 31 * 60
    response = editor.get("/projekter/")
    _login_page_with_next(response, "/projekter/")
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "fordi du ikke har været aktiv i 30 minutter" in page


def test_a_form_sent_into_an_ended_session_saves_nothing_and_returns_to_its_page(
    app: Flask,
    editor: FlaskClient,
    session: Session,
    clock: list[float],
    make_project: Callable[..., Project],
) -> None:
    project = make_project(name="Kørselsapp", status="green")
    page = f"/projekter/{project.id}"
    token = csrf_token(editor, page)
    clock[0] += 9 * HOUR
    before = snapshot(session)
    response = editor.post(
        f"/projekter/{project.id}/status",
        data={"csrf_token": token, "status": "red", "status_comment": "Forsinket"},
        headers={"Referer": f"http://localhost{page}"},
    )
    _login_page_with_next(response, page)
    assert snapshot(session) == before


def test_last_seen_is_written_at_most_once_a_minute(
    editor: FlaskClient, clock: list[float]
) -> None:
    """Not every page view sends a new session cookie, but activity is still recorded."""
    clock[0] += 5
    editor.get("/projekter/")  # the first page after login may set the form token
    clock[0] += 5
    assert "Set-Cookie" not in editor.get("/projekter/").headers
    clock[0] += 61
    assert "Set-Cookie" in editor.get("/projekter/").headers


# --- expired forms -----------------------------------------------------------------------------


class _ResendForms(HTMLParser):
    """The expired-form page's resend form: its action and the (name, value) of its inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and "resend-form" in values.get("class", "").split():
            self.forms.append((values.get("action", ""), []))
            self._inside = True
        elif tag == "input" and self._inside and "name" in values:
            self.forms[-1][1].append((values["name"], values.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


def _resend_form(html: str) -> tuple[str, list[tuple[str, str]]] | None:
    parser = _ResendForms()
    parser.feed(html)
    return parser.forms[0] if parser.forms else None


def test_an_expired_form_shows_what_was_typed_and_can_be_sent_again(
    app: Flask,
    later: Callable[[int], None],
    client: FlaskClient,
    session: Session,
    make_project: Callable[..., Project],
) -> None:
    project = make_project(name="Kørselsapp", status="green")
    page = f"/projekter/{project.id}/rediger"
    token, version = csrf_token(client, page), version_on(client, page)
    later(app.config["WTF_CSRF_TIME_LIMIT"] + 60)  # the token's time limit passes
    before = snapshot(session)
    typed = {
        "name": "Kørselsapp <script>alert(1)</script>",
        "status_comment": "Leverandøren er forsinket.\nNy plan i maj.",
        "scope": "municipal",
        "kind": "operational",
        "phase": "implementation",
        "status": "yellow",
        "version": version,
    }
    response = client.post(page, data={"csrf_token": token, **typed})

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Formularen er udløbet" in html
    assert "formularen er udløbet, prøv igen — det du skrev, står herunder" in html.lower()
    assert "Kørselsapp &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "Leverandøren er forsinket." in html
    assert snapshot(session) == before

    form = _resend_form(html)
    assert form is not None
    action, fields = form
    assert action == page
    assert dict(fields)["version"] == version  # the stale-version check still applies
    assert dict(fields)["csrf_token"] != token  # a fresh token
    assert "Send igen" in html

    saved = client.post(action, data=MultiDict(fields))
    assert saved.status_code == 302
    session.commit()  # end the read transaction: see what the request committed
    session.expire_all()
    stored = session.get(Project, project.id)
    assert stored is not None
    assert stored.name == "Kørselsapp <script>alert(1)</script>"
    assert stored.status_comment == "Leverandøren er forsinket.\nNy plan i maj."


def test_an_expired_login_form_never_shows_the_password(
    app: Flask, later: Callable[[int], None]
) -> None:
    browser = app.test_client()
    token = csrf_token(browser, "/login")
    later(app.config["WTF_CSRF_TIME_LIMIT"] + 60)
    response = browser.post(
        "/login",
        data={
            "csrf_token": token,
            "email": "lise@kommune.example",
            "password": "hemmelig-kode-123",
            "next": "",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Formularen er udløbet" in html and "lise@kommune.example" in html
    assert "hemmelig-kode-123" not in html
    form = _resend_form(html)
    assert form is not None and form[0] == "/login"
    assert "password" not in dict(form[1])


def test_a_missing_token_gets_no_resend_form(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    project = make_project(name="Kørselsapp")
    page = f"/projekter/{project.id}/rediger"
    version = version_on(client, page)
    before = snapshot(session)
    response = client.post(
        page,
        data={
            "name": "Fra en anden side",
            "scope": "municipal",
            "kind": "operational",
            "phase": "implementation",
            "version": version,
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Formularen er udløbet eller blev sendt fra en anden side" in html
    assert "Send igen" not in html and "Fra en anden side" not in html
    assert _resend_form(html) is None
    assert snapshot(session) == before


def test_someone_elses_expired_token_gets_no_resend_form(
    app: Flask,
    later: Callable[[int], None],
    client: FlaskClient,
    session: Session,
    make_project: Callable[..., Project],
) -> None:
    """An attacker's own old token is genuine and expired, but not this user's: a cross-site
    form carrying it must not become a one-click resend."""
    project = make_project(name="Kørselsapp")
    page = f"/projekter/{project.id}/rediger"
    version = version_on(client, page)
    attackers_token = csrf_token(app.test_client(), "/login")
    later(app.config["WTF_CSRF_TIME_LIMIT"] + 60)
    before = snapshot(session)
    response = client.post(
        page,
        data={
            "csrf_token": attackers_token,
            "name": "Overtaget",
            "scope": "municipal",
            "kind": "operational",
            "phase": "implementation",
            "version": version,
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Formularen er udløbet eller blev sendt fra en anden side" in html
    assert "Send igen" not in html and "Overtaget" not in html
    assert snapshot(session) == before
