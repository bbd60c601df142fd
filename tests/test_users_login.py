"""Accounts: login, logout that really ends the session, throttling, and every route's guard."""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from portfolio.domain import Role
from portfolio.permissions import ENDPOINTS, ROLE_PERMISSIONS, Permission
from portfolio.projects.models import Project
from portfolio.users.models import AuditEntry, LoginAttempt, User
from tests.conftest import PASSWORD, csrf_token, login, snapshot
from tests.test_users_login_throttle import freeze_login_clock


def test_every_page_but_login_requires_an_account(app: Flask, make_project) -> None:
    project = make_project()
    anonymous = app.test_client()
    for rule in app.url_map.iter_rules():
        if ENDPOINTS[rule.endpoint] is None:
            continue
        url = _url_for_rule(rule, project.id)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):  # type: ignore[operator]
            response = anonymous.open(url, method=method)
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"].startswith("/login"), (method, url)


def _url_for_rule(rule, project_id: int) -> str:  # type: ignore[no-untyped-def]
    values = {}
    for arg in rule.arguments:
        values[arg] = {
            "project_id": project_id,
            "user_id": 1,
            "run_id": 1,
            "token": "x" * 32,
            "name": "plotly.min.js",
            "filename": "css/app.css",
            "meeting_id": 1,
        }.get(arg, 1)
    return rule.build(values)[1]


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_exactly_what_the_matrix_says(
    app: Flask, role: Role, make_user, make_project, caplog: pytest.LogCaptureFixture
) -> None:
    """Walks the whole URL map: allowed routes never answer 403, forbidden ones always do."""
    user = make_user(role=role, person="Lise Holm" if role == Role.owner else None)
    # an owner's own project, so that owner-only-own rights are tested on a real case
    project = make_project(process_owner=user.person.name if user.person else "Peter Damgaard")
    client = app.test_client()
    login(client, user.email)
    allowed = ROLE_PERMISSIONS[role]
    checked = 0
    for rule in app.url_map.iter_rules():
        permission = ENDPOINTS[rule.endpoint]
        if permission is None or rule.endpoint == "auth.logout":
            continue
        url = _url_for_rule(rule, project.id)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):  # type: ignore[operator]
            caplog.clear()
            with caplog.at_level(logging.WARNING):
                response = client.open(url, method=method, data={})
            checked += 1
            if permission in allowed:
                assert response.status_code != 403, (role, method, url)
            else:
                assert response.status_code == 403, (role, method, url, response.status_code)
                assert "Adgang nægtet" in response.get_data(as_text=True)
                assert any("403" in r.getMessage() for r in caplog.records), (method, url)
    assert checked > 20


def test_an_owner_cannot_update_another_owners_project(
    app: Flask, session: Session, make_user, make_project
) -> None:
    owner = make_user(role=Role.owner, person="Lise Holm")
    theirs = make_project(process_owner="Peter Damgaard", status="green")
    client = app.test_client()
    login(client, owner.email)
    page = f"/projekter/{theirs.id}"
    html = client.get(page).get_data(as_text=True)
    assert "Gem status" not in html and "Redigér" not in html
    before = snapshot(session)
    response = client.post(
        f"{page}/status",
        data={
            "csrf_token": csrf_token(client, "/projekter/"),
            "status": "red",
            "phase": "analysis",
            "version": "1",
        },
    )
    assert response.status_code == 403
    assert snapshot(session) == before


def test_a_reader_sees_no_edit_controls(app: Flask, make_user, make_project) -> None:
    reader = make_user(role=Role.reader)
    project = make_project()
    client = app.test_client()
    login(client, reader.email)
    for url in ("/projekter/", f"/projekter/{project.id}"):
        html = client.get(url).get_data(as_text=True)
        for control in ("Nyt projekt", "Redigér", "Gem status", "Arkivér", "Import"):
            assert control not in html, (url, control)
        assert "Hent som Excel" in html or url != "/projekter/"


def test_wrong_password_gets_a_generic_message_and_throttling_kicks_in(
    app: Flask, session: Session, make_user
) -> None:
    user = make_user(role=Role.editor)
    client = app.test_client()
    unknown = _post_login(client, "ingen@kommune.example", "forkert-kode-123")
    wrong = _post_login(client, user.email, "forkert-kode-123")
    assert unknown.status_code == wrong.status_code == 401
    assert "Forkert e-mail eller adgangskode." in unknown.get_data(as_text=True)
    assert "Forkert e-mail eller adgangskode." in wrong.get_data(as_text=True)
    freeze_login_clock(app)  # the waits below are seconds: no slow machine may outlast them
    for _ in range(4):
        _post_login(client, user.email, "forkert-kode-123")
    # the sixth failure asks to wait a moment, and until then even the right password is
    # refused (429, with how long to wait); an unknown e-mail is answered alike
    sixth = _post_login(client, user.email, "forkert-kode-123")
    assert sixth.status_code == 401
    assert "Forkert e-mail eller adgangskode. Vent 1 sekund" in sixth.get_data(as_text=True)
    throttled = _post_login(client, user.email, PASSWORD)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    assert "For mange mislykkede forsøg. Vent 1 sekund, og prøv igen." in throttled.get_data(
        as_text=True
    )
    assert client.get("/projekter/").status_code == 302
    assert session.exec(select(LoginAttempt).where(LoginAttempt.succeeded)).all() == []


def _post_login(client: FlaskClient, email: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/login",
        data={"csrf_token": csrf_token(client, "/login"), "email": email, "password": password},
    )


def test_logout_ends_the_session_even_for_a_copied_cookie(app: Flask, make_user) -> None:
    user = make_user(role=Role.editor)
    client = app.test_client()
    login(client, user.email)
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert client.get("/projekter/").status_code == 200
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/projekter/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/projekter/")})
    assert client.get("/projekter/").status_code == 302
    assert thief.get("/projekter/").status_code == 302


def test_login_gives_a_fresh_session_and_a_safe_redirect(app: Flask, make_user) -> None:
    user = make_user(role=Role.reader)
    client = app.test_client()
    with client.session_transaction() as s:
        s["planted"] = "før login"
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(client, "/login"),
            "email": user.email,
            "password": PASSWORD,
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "/overblik/", "/projekter/")
    with client.session_transaction() as s:
        assert "planted" not in s
    cookie_header = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie_header and "SameSite=Lax" in cookie_header


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "evil.example"]
)
def test_the_login_and_language_forms_only_send_users_to_this_site(
    app: Flask, make_user, target: str
) -> None:
    user = make_user(role=Role.reader)
    client = app.test_client()
    token = csrf_token(client, "/login")
    language = client.post("/sprog", data={"csrf_token": token, "language": "en", "next": target})
    assert language.status_code == 302 and language.headers["Location"] == "/projekter/"
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": user.email, "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302 and "evil" not in response.headers["Location"]


def test_the_audit_log_shows_every_change_with_its_author_and_escapes_it(
    app: Flask, session: Session, make_user, make_project
) -> None:
    editor = make_user(role=Role.editor, name="Rikke Redaktør")
    project = make_project(status="green")
    client = app.test_client()
    login(client, editor.email)
    page = f"/projekter/{project.id}"
    version = re.search(
        r'name="version"[^>]*value="(\d+)"', client.get(page).get_data(as_text=True)
    ).group(1)  # type: ignore[union-attr]
    evil = "ok\n2026-01-01 admin slettede alt <script>alert(1)</script>"
    client.post(
        f"{page}/status",
        data={
            "csrf_token": csrf_token(client, page),
            "version": version,
            "status": "red",
            "phase": "analysis",
            "status_comment": evil,
        },
    )
    entries = session.exec(select(AuditEntry).where(AuditEntry.project_id == project.id)).all()
    fields = {e.field: e for e in entries if e.action == "update"}
    assert fields["status"].old_value == "green" and fields["status"].new_value == "red"
    assert "Rikke Redaktør" in fields["status"].actor
    admin = make_user(role=Role.admin)
    admin_client = app.test_client()
    login(admin_client, admin.email)
    html = admin_client.get(f"/log/?project={project.id}").get_data(as_text=True)
    assert "Rikke Redaktør" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    # the comment's line break stays inside its table cell: no forged row
    rows = re.findall(r"<tr>", html.split("<tbody>", 1)[1])
    assert len(rows) == len(entries)


def test_owner_sees_own_projects_needing_review_and_can_mark_them(
    app: Flask, session: Session, make_user, make_project
) -> None:
    owner = make_user(role=Role.owner, person="Lise Holm")
    mine = make_project(name="Underretningsportal", process_owner="Lise Holm")
    make_project(name="Andens projekt", process_owner="Peter Damgaard")
    client = app.test_client()
    login(client, owner.email)
    html = client.get("/projekter/mine").get_data(as_text=True)
    assert "Underretningsportal" in html and "Andens projekt" not in html
    assert "Aldrig gennemset" in html
    client.post(
        f"/projekter/{mine.id}/gennemset",
        data={
            "csrf_token": csrf_token(client, "/projekter/mine"),
            "version": re.findall(
                rf'name="p{mine.id}-version"[^>]*value="(\d+)"',
                client.get("/projekter/mine").get_data(as_text=True),
            )[0],
            "back": "mine",
        },
    )
    html = client.get("/projekter/mine").get_data(as_text=True)
    assert "Aldrig gennemset" not in html and "Alle dine projekter er gennemset." in html
    session.expire_all()
    stored = session.get(Project, mine.id)
    assert stored is not None and stored.reviewed_at is not None


def test_admin_creates_a_user_who_can_log_in(app: Flask, session: Session, make_user) -> None:
    admin = make_user(role=Role.admin)
    client = app.test_client()
    login(client, admin.email)
    response = client.post(
        "/brugere/ny",
        data={
            "csrf_token": csrf_token(client, "/brugere/ny"),
            "name": "Anne Kjær",
            "email": "Anne.Kjaer@Kommune.example",
            "role": "owner",
            "person": "Anne Kjær",
            "password": "en-lang-adgangskode",
            "active": "y",
        },
    )
    assert response.status_code == 302
    created = session.exec(select(User).where(User.email == "anne.kjaer@kommune.example")).one()
    assert created.role == Role.owner and created.password_hash != "en-lang-adgangskode"
    assert created.password_hash is not None
    assert created.password_hash.startswith(app.config["PASSWORD_HASH_METHOD"] + "$")
    other = app.test_client()
    login(other, "anne.kjaer@kommune.example", "en-lang-adgangskode")
    assert other.get("/projekter/mine").status_code == 200


def test_production_hashes_passwords_with_scrypt(database_url: str, tmp_path) -> None:
    """The suite's apps use a cheap hash; an app without that override uses scrypt, for new
    passwords and for the stand-in hash an unknown e-mail is checked against."""
    from portfolio import create_app
    from portfolio.users.login_views import login_guard
    from portfolio.users.services import create_user

    production = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x"})
    production.instance_path = str(tmp_path / "production")
    try:
        assert production.config["PASSWORD_HASH_METHOD"] == "scrypt"
        with production.app_context(), Session(production.extensions["portfolio_db"]) as db:
            user = create_user(
                session=db,
                email="ny@kommune.example",
                name="Ny Bruger",
                role=Role.reader,
                password="en-lang-adgangskode",
            )
            db.commit()
            assert user.password_hash is not None and user.password_hash.startswith("scrypt:")
        client = production.test_client()
        login(client, "ny@kommune.example", "en-lang-adgangskode")
        assert client.get("/projekter/").status_code == 200
        assert login_guard(production).policy.hash_method == "scrypt"
    finally:
        production.extensions["portfolio_db"].dispose()


def test_create_user_command_reads_the_password_from_stdin(app: Flask, session: Session):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "chef@kommune.example",
            "--name",
            "Chef",
            "--role",
            "reader",
            "--password-stdin",
        ],
        input="hemmelig-kode-123\n",
    )
    assert result.exit_code == 0, result.output
    client = app.test_client()
    login(client, "chef@kommune.example", "hemmelig-kode-123")
    assert client.get("/projekter/").status_code == 200
    short = runner.invoke(
        args=[
            "create-user",
            "x@kommune.example",
            "--name",
            "X",
            "--role",
            "reader",
            "--password-stdin",
        ],
        input="kort\n",
    )
    assert short.exit_code == 1 and "mindst 10 tegn" in short.output


def test_every_route_declares_its_permission(app: Flask) -> None:
    declared = set(ENDPOINTS)
    assert {r.endpoint for r in app.url_map.iter_rules()} <= declared
    assert all(p is None or isinstance(p, Permission) for p in ENDPOINTS.values())


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(app: Flask, make_user) -> None:
    user = make_user(role=Role.reader)
    for base, secure in (("http://localhost", False), ("https://localhost", True)):
        client = app.test_client()
        page = client.get("/login", base_url=base).get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token
        response = client.post(
            "/login",
            base_url=base,
            headers={"Referer": f"{base}/login"},  # over https, CSRF also checks the referrer
            data={"csrf_token": token.group(1), "email": user.email, "password": PASSWORD},
        )
        assert response.status_code == 302
        cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure, cookie
        if secure:
            assert "max-age" in response.headers.get("Strict-Transport-Security", "")


def test_behind_a_proxy_https_is_recognised(database_url: str, tmp_path, make_user) -> None:
    from portfolio import create_app

    proxied = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "x", "PROXY_FIX": True}
    )
    proxied.instance_path = str(tmp_path / "proxied")
    response = proxied.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "max-age" in response.headers.get("Strict-Transport-Security", "")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie
    proxied.extensions["portfolio_db"].dispose()


def test_a_forbidden_path_with_a_line_break_cannot_forge_a_log_line(
    app: Flask, make_user, caplog: pytest.LogCaptureFixture
) -> None:
    reader = make_user(role=Role.reader)
    client = app.test_client()
    login(client, reader.email)
    with caplog.at_level(logging.WARNING):
        response = client.get("/import/x%0A403%20GET%20falsk%20for%20admin")
    assert response.status_code == 403
    logged = [r.getMessage() for r in caplog.records if "403" in r.getMessage()]
    assert len(logged) == 1 and "\n" not in logged[0] and "\\n" in logged[0]
