"""API tokens: only a valid token gets in (401 JSON otherwise, never the login page), it acts
with its user's rights, counts toward a rate limit, records its last use; the token page shows
a new token once, lists and revokes; `portfolio create-token`."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from portfolio import create_app
from portfolio.api import schemas
from portfolio.api.models import ApiToken
from portfolio.api.tokens import token_hash
from portfolio.domain import Role
from portfolio.users.models import User
from tests.api_fixtures import check, getter, token_for
from tests.conftest import csrf_token, login, snapshot

PROJECTS = "/api/v1/projects"
PAGE = "/konto/api-noegler/"


def _refused(answer, *, status: int = 401) -> str:  # type: ignore[no-untyped-def]
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert "Location" not in answer.headers
    check(answer.get_json(), schemas.Error)
    return str(answer.get_json()["error"])


def test_without_a_valid_token_the_answer_is_401_json(
    app: Flask, session: Session, make_user
) -> None:
    client = app.test_client()
    missing = client.get(PROJECTS)
    assert "Authorization" in _refused(missing)
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "ugyldig" in _refused(client.get(PROJECTS, headers={"Authorization": "Bearer pf_nope"}))
    assert (
        "invalid_token"
        in client.get(PROJECTS, headers={"Authorization": "Bearer x"}).headers["WWW-Authenticate"]
    )
    user = make_user(role=Role.reader)
    raw = token_for(session, user)
    assert _refused(client.get(PROJECTS, headers={"Authorization": f"Basic {raw}"}))

    token = session.exec(select(ApiToken)).one()
    token.expires_at = token.created_at - timedelta(seconds=1)
    session.add(token)
    session.commit()
    assert "udløbet" in _refused(getter(client, raw)(PROJECTS))

    token.expires_at = token.created_at + timedelta(days=1)
    token.revoked_at = token.created_at
    session.add(token)
    session.commit()
    assert "tilbagekaldt" in _refused(getter(client, raw)(PROJECTS))

    other = token_for(session, user, name="Excel")
    assert getter(client, other)(PROJECTS).status_code == 200
    user.active = False
    session.add(user)
    session.commit()
    assert "deaktiveret" in _refused(getter(client, other)(PROJECTS))


def test_every_api_route_refuses_a_request_without_a_token(app: Flask) -> None:
    client = app.test_client()
    for route in schemas.ROUTES:
        path = schemas.PREFIX + route.rule.replace("<int:project_id>", "1").replace(
            "<day>", "2026-12-08"
        )
        _refused(client.get(path))
    assert client.get("/api/v1/openapi.json").status_code == 200  # the description is open


def test_the_session_cookie_does_not_open_the_api(app: Flask, make_user) -> None:
    """A logged-in browser gets 401 too: another site cannot use it to read the API."""
    user = make_user(role=Role.admin)
    client = app.test_client()
    login(client, user.email)
    assert client.get("/projekter/").status_code == 200
    _refused(client.get(PROJECTS))


def test_a_token_records_its_last_use_and_stores_only_a_hash(
    app: Flask, session: Session, make_user
) -> None:
    raw = token_for(session, make_user(role=Role.reader))
    token = session.exec(select(ApiToken)).one()
    assert token.last_used_at is None and token.token_hash == token_hash(raw)
    assert raw not in str(snapshot(session))  # the secret itself is nowhere in the database
    assert getter(app.test_client(), raw)(PROJECTS).status_code == 200
    session.commit()  # a new read transaction: what the request committed
    session.expire_all()
    first = session.exec(select(ApiToken)).one().last_used_at
    assert first is not None
    assert getter(app.test_client(), raw)(PROJECTS).status_code == 200
    session.commit()
    session.expire_all()
    assert session.exec(select(ApiToken)).one().last_used_at >= first


def test_over_the_rate_limit_the_answer_is_429_with_retry_after(
    app: Flask, session: Session, make_user
) -> None:
    app.config["API_RATE_PER_MINUTE"] = 3
    user = make_user(role=Role.reader)
    raw = token_for(session, user)
    get = getter(app.test_client(), raw)
    answers = [get(PROJECTS).status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    limited = get(PROJECTS)
    assert "For mange" in _refused(limited, status=429)
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # Counted in the database: a second app server on the same database refuses it too.
    second = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "SECRET_KEY": "another-server",
            "API_RATE_PER_MINUTE": 3,
        }
    )
    try:
        assert getter(second.test_client(), raw)(PROJECTS).status_code == 429
    finally:
        second.extensions["portfolio_db"].dispose()
    # Counted per token: another token of the same user is not held back.
    assert (
        getter(app.test_client(), token_for(session, user, name="Excel"))(PROJECTS).status_code
        == 200
    )


def test_the_token_page_shows_a_new_token_once_lists_and_revokes(
    app: Flask, session: Session, make_user
) -> None:
    user = make_user(role=Role.reader)
    client = app.test_client()
    login(client, user.email)
    assert "API-nøgler" in client.get("/projekter/").get_data(as_text=True)  # in the menu
    token = csrf_token(client, PAGE)
    made = client.post(PAGE, data={"csrf_token": token, "name": "Power BI", "days": "30"})
    html = made.get_data(as_text=True)
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    raw = re.search(r'id="new-token"[^>]*value="(pf_[^"]+)"', html)
    assert raw, html
    assert getter(app.test_client(), raw.group(1))(PROJECTS).status_code == 200
    listed = client.get(PAGE).get_data(as_text=True)
    assert "Power BI" in listed and raw.group(1) not in listed  # shown once, never again
    assert raw.group(1)[:11] in listed  # the prefix tells it apart
    row = session.exec(select(ApiToken)).one()
    assert (row.expires_at - row.created_at).days == 30

    for bad in ({"name": "", "days": "30"}, {"name": "x", "days": "366"}):
        refused = client.post(PAGE, data={"csrf_token": token, **bad})
        assert refused.status_code == 400
    before = snapshot(session)
    assert client.post(PAGE, data={"name": "Uden CSRF", "days": "30"}).status_code == 400
    revoke = f"/konto/api-noegler/{row.id}/tilbagekald"
    assert client.post(revoke, data={"confirmed": "ja"}).status_code == 400  # no CSRF token
    assert snapshot(session) == before

    assert "Ja, tilbagekald nøglen" in client.get(revoke).get_data(as_text=True)
    unconfirmed = client.post(revoke, data={"csrf_token": token})
    assert (
        unconfirmed.status_code == 302 and session.exec(select(ApiToken)).one().revoked_at is None
    )
    done = client.post(revoke, data={"csrf_token": token, "confirmed": "ja"})
    assert done.status_code == 302
    session.commit()
    session.expire_all()
    assert session.exec(select(ApiToken)).one().revoked_at is not None
    assert "Tilbagekaldt" in client.get(PAGE).get_data(as_text=True)
    _refused(getter(app.test_client(), raw.group(1))(PROJECTS))


def test_nobody_revokes_another_users_token(app: Flask, session: Session, make_user) -> None:
    owner = make_user(role=Role.reader)
    token_for(session, owner, name="Ejerens nøgle")
    row = session.exec(select(ApiToken)).one()
    other = make_user(role=Role.admin)
    client = app.test_client()
    login(client, other.email)
    token = csrf_token(client, PAGE)
    revoke = f"/konto/api-noegler/{row.id}/tilbagekald"
    assert client.get(revoke).status_code == 404
    assert client.post(revoke, data={"csrf_token": token, "confirmed": "ja"}).status_code == 404
    session.commit()
    session.expire_all()
    assert session.exec(select(ApiToken)).one().revoked_at is None
    assert "Ejerens nøgle" not in client.get(PAGE).get_data(as_text=True)


def test_create_token_on_the_command_line(app: Flask, session: Session, make_user) -> None:
    user = make_user(role=Role.reader)
    runner = app.test_cli_runner()
    done = runner.invoke(args=["create-token", user.email, "--name", "ESDH", "--expires", "10"])
    assert done.exit_code == 0, done.output
    raw = done.stdout.strip().splitlines()[0]
    assert raw.startswith("pf_")
    assert getter(app.test_client(), raw)(PROJECTS).status_code == 200
    row = session.exec(select(ApiToken).where(ApiToken.name == "ESDH")).one()
    assert (row.expires_at - row.created_at).days == 10
    assert (
        runner.invoke(args=["create-token", "ingen@kommune.example", "--name", "x"]).exit_code == 1
    )
    too_long = runner.invoke(args=["create-token", user.email, "--name", "x", "--expires", "400"])
    assert too_long.exit_code != 0
    assert session.exec(select(User).where(User.email == user.email)).one().active


def test_errors_in_the_api_are_json(app: Flask, session: Session, make_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    get = getter(app.test_client(), token_for(session, make_user(role=Role.reader)))
    nul = get(f"{PROJECTS}?q=a%00b")  # the edge refuses what no column can hold
    assert "NUL" in _refused(nul, status=400)
    assert "Findes ikke" in _refused(get("/api/v1/findes-ikke"), status=404)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("portfolio.api.views._limit", broken)
    assert "uventet" in _refused(get(PROJECTS), status=500)


def test_creating_and_revoking_a_token_reads_as_words_in_the_audit_log(
    app: Flask, client: FlaskClient, session: Session, make_user
) -> None:
    """The audit log (administrators) names the two actions; they are about no one field."""
    token = csrf_token(client, PAGE)
    client.post(PAGE, data={"csrf_token": token, "name": "Power BI", "days": "30"})
    row = session.exec(select(ApiToken)).one()
    revoke = f"/konto/api-noegler/{row.id}/tilbagekald"
    assert client.post(revoke, data={"csrf_token": token, "confirmed": "ja"}).status_code == 302
    page = client.get("/log/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "API-nøgle oprettet" in html and "API-nøgle tilbagekaldt" in html
    assert "api_token_create" not in html
