"""Single sign-on's own rules, without a provider: the role map, who is linked to whom, what a
refusal leaves behind, and the password form turned off. The whole flow against a real
OpenID provider is in tests/e2e/test_browser_sso.py."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from portfolio.domain import Role
from portfolio.projects.models import Person
from portfolio.users import sso
from portfolio.users.audit import user_field
from portfolio.users.models import AuditEntry, User
from tests.conftest import PASSWORD, csrf_token, login, snapshot

ISSUER = "https://login.kommune.example"
ROLE_MAP = "portefolje-chefer=owner,portefolje-raad=editor,it=admin,chefforum=reader"
CONFIG: dict[str, Any] = {
    "OIDC_ROLE_CLAIM": "groups",
    "OIDC_ROLE_MAP": ROLE_MAP,
    "OIDC_EMAIL_CLAIM": "email",
    "OIDC_NAME_CLAIM": "name",
}


def identity(sub: str = "abc-123", **claims: Any) -> sso.Identity:
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": sub,
        "email": "Lise.Holm@Kommune.example",
        "email_verified": True,
        "name": "Lise Holm",
        "groups": ["alle", "portefolje-chefer"],
    }
    base.update(claims)
    return sso.identity_from_claims(base, CONFIG)


def test_the_role_map_is_read_as_json_pairs_or_a_mapping() -> None:
    expected = {"g1": Role.owner, "g 2": Role.reader}
    assert sso.parse_role_map('{"g1": "owner", "g 2": "reader"}') == expected
    assert sso.parse_role_map(" g1=owner, g 2 = reader ,") == expected
    assert sso.parse_role_map({"g1": "owner", "g 2": "reader"}) == expected
    # Entra ID sends group ids; an "=" inside a group name is kept (the role is after the last).
    assert sso.parse_role_map("a=b=editor") == {"a=b": Role.editor}
    assert sso.parse_role_map("") == {} == sso.parse_role_map(None)
    with pytest.raises(ValueError, match="rollen 'chef' for 'g1' findes ikke"):
        sso.parse_role_map("g1=chef")
    with pytest.raises(ValueError, match="er ikke gruppe=rolle"):
        sso.parse_role_map("g1")


def test_the_highest_mapped_role_wins_and_claims_are_read_as_configured() -> None:
    roles = sso.parse_role_map(ROLE_MAP)
    assert sso.mapped_role(["chefforum", "portefolje-chefer"], roles) == Role.owner
    assert sso.mapped_role(["portefolje-raad", "it", "chefforum"], roles) == Role.admin
    assert sso.mapped_role(["alle", "andre"], roles) is None
    assert sso.mapped_role([], roles) is None

    found = identity()
    assert (found.email, found.email_verified, found.role) == (
        "lise.holm@kommune.example",
        True,
        Role.owner,
    )
    # One group as text, e-mail_verified as text (some providers), other claim names.
    config = {**CONFIG, "OIDC_ROLE_CLAIM": "roles", "OIDC_EMAIL_CLAIM": "upn"}
    other = sso.identity_from_claims(
        {"iss": ISSUER, "sub": "x", "upn": "a@k.example", "email_verified": "true", "roles": "it"},
        config,
    )
    assert (other.email, other.email_verified, other.role, other.name) == (
        "a@k.example",
        True,
        Role.admin,
        "a@k.example",
    )
    assert not identity(email_verified="false").email_verified
    assert not identity(email_verified=None).email_verified


def _chief(session: Session) -> Person:
    person = Person(name="Lise Holm", email="lise.holm@kommune.example")
    session.add(person)
    session.commit()
    return person


def _audit(session: Session, action: str) -> list[AuditEntry]:
    session.commit()
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_first_sso_login_makes_an_owner_acting_for_the_person_with_their_email(
    session: Session,
) -> None:
    person = _chief(session)
    user = sso.sign_in(session, identity())
    session.commit()
    assert user.email == "lise.holm@kommune.example" and user.name == "Lise Holm"
    assert user.role == Role.owner and user.person_id == person.id
    assert (user.external_issuer, user.external_subject) == (ISSUER, "abc-123")
    assert user.password_hash is None and user.last_login_at is not None
    assert [a.field for a in _audit(session, "user_create")] == ["lise.holm@kommune.example:role"]
    assert [a.new_value for a in _audit(session, "sso_login")] == ["owner"]


def test_a_long_email_fits_the_audit_log(session: Session) -> None:
    """PostgreSQL refuses an audit field over 40 characters: it is shortened from the left."""
    email = "anne-marie.christiansen-oestergaard@kommune.example"
    session.add(Person(name="Anne-Marie Christiansen-Østergaard", email=email))
    session.commit()
    user = sso.sign_in(session, identity(email=email))
    sso.record_refusal(session, sso.SsoRefused("no_group", email, "alle"))
    session.commit()
    assert user.email == email
    fields = {a.field for a in _audit(session, "sso_login") + _audit(session, "sso_refused")}
    assert fields == {
        "…iansen-oestergaard@kommune.example:role",
        "…ansen-oestergaard@kommune.example:login",
    }
    assert all(len(field) == 40 for field in fields)
    assert user_field("a@k.dk", "role") == "a@k.dk:role"


def test_an_account_is_linked_once_by_verified_email_then_by_subject_and_its_role_follows(
    session: Session, make_user: Callable[..., User]
) -> None:
    existing = make_user(role=Role.reader, email="lise.holm@kommune.example", name="Lise")
    version = existing.session_version
    user = sso.sign_in(session, identity(groups=["portefolje-raad"]))
    session.commit()
    assert user.id == existing.id
    assert user.role == Role.editor and user.session_version == version + 1
    assert user.password_hash == existing.password_hash  # a local password stays as it was
    assert user.external_subject == "abc-123"
    # Next time by (issuer, sub), even with another e-mail at the provider, and unverified.
    again = sso.sign_in(
        session, identity(email="ny@kommune.example", email_verified=False, groups=["chefforum"])
    )
    session.commit()
    assert again.id == existing.id and again.email == "lise.holm@kommune.example"
    assert again.role == Role.reader
    changes = [(a.old_value, a.new_value) for a in _audit(session, "user_update")]
    assert changes == [("reader", "editor"), ("editor", "reader")]
    assert len(_audit(session, "sso_login")) == 2


@pytest.mark.parametrize(
    ("claims", "setup", "reason"),
    [
        ({"groups": ["alle"]}, None, "no_group"),
        ({"email_verified": False}, None, "email_unverified"),
        ({"email_verified": False}, "user", "email_unverified"),
        ({"email": None}, None, "no_email"),
        ({}, None, "no_person"),  # an owner, but no Person has the e-mail
        ({}, "inactive", "inactive"),
        ({"groups": ["chefforum"]}, "linked", "linked_elsewhere"),
    ],
)
def test_a_refused_sso_login_changes_nothing(
    session: Session,
    make_user: Callable[..., User],
    claims: dict[str, Any],
    setup: str | None,
    reason: str,
) -> None:
    if setup is not None:
        user = make_user(role=Role.reader, email="lise.holm@kommune.example")
        user.active = setup != "inactive"
        if setup == "linked":
            user.external_issuer, user.external_subject = ISSUER, "someone-else"
        if setup == "inactive":
            user.external_issuer, user.external_subject = ISSUER, "abc-123"
        session.add(user)
        session.commit()
    before = snapshot(session)
    with pytest.raises(sso.SsoRefused) as refused:
        sso.sign_in(session, identity(**claims))
    session.rollback()
    assert refused.value.reason == reason
    assert snapshot(session) == before


def test_without_local_login_the_password_form_is_gone_and_refused(
    app: Flask, anonymous: FlaskClient, make_user: Callable[..., User], session: Session
) -> None:
    editor = make_user(role=Role.editor)
    admin = make_user(role=Role.admin)
    token = csrf_token(anonymous, "/login")
    app.config.update(LOCAL_LOGIN="0", OIDC_ISSUER=ISSUER, OIDC_CLIENT_ID="portefolje")
    page = anonymous.get("/login").get_data(as_text=True)
    assert 'type="password"' not in page
    assert "Log ind med kommunens login" in page and 'href="/login/sso' in page

    before = snapshot(session)
    response = anonymous.post(
        "/login", data={"csrf_token": token, "email": editor.email, "password": PASSWORD}
    )
    assert response.status_code == 403
    refusal = response.get_data(as_text=True)
    assert "Adgangskoder bruges ikke her" in refusal and 'type="password"' not in refusal
    assert snapshot(session) == before  # no login attempt, no last login, nothing
    assert anonymous.get("/projekter/").status_code == 302

    # The emergency door: an administrator's local password only.
    form = anonymous.get("/login/noedadgang").get_data(as_text=True)
    assert "Nødadgang til Portefølje" in form and 'type="password"' in form
    data = {"csrf_token": token, "password": PASSWORD, "next": ""}
    refused = anonymous.post("/login/noedadgang", data={**data, "email": editor.email})
    assert refused.status_code == 401
    assert "Forkert e-mail eller adgangskode." in refused.get_data(as_text=True)
    done = anonymous.post("/login/noedadgang", data={**data, "email": admin.email})
    assert done.status_code == 302
    assert anonymous.get("/projekter/").status_code == 200

    app.config["LOCAL_LOGIN"] = True  # the ordinary form serves again; no second door
    other = app.test_client()
    assert other.get("/login/noedadgang").headers["Location"] == "/login"


def test_a_callback_without_its_state_is_refused_on_a_danish_page_and_audited(
    app: Flask, anonymous: FlaskClient, session: Session
) -> None:
    app.config.update(OIDC_ISSUER=ISSUER, OIDC_CLIENT_ID="portefolje")
    response = anonymous.get("/login/sso/svar?code=abc&state=gaet")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Login med kommunens login mislykkedes" in page
    assert "Kontakt IT-afdelingen, hvis du skal have adgang." in page
    assert [a.new_value for a in _audit(session, "sso_refused")] == ["ukendt eller brugt state"]
    # SSO not configured: the routes do not exist.
    app.config["OIDC_ISSUER"] = None
    assert anonymous.get("/login/sso").status_code == 404


def test_logout_after_sso_ends_the_session_even_when_the_provider_is_down(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user(role=Role.reader)
    client = app.test_client()
    login(client, user.email)
    # A closed port: the discovery document cannot be read, the local logout still happens.
    app.config.update(OIDC_ISSUER="http://127.0.0.1:9", OIDC_CLIENT_ID="portefolje")
    with client.session_transaction() as cookie:
        cookie[sso.SSO_LOGIN] = True
    page = client.get("/projekter/")
    # Forms may go on to the provider (logout), so its origin is in form-action.
    assert "form-action 'self' http://127.0.0.1:9;" in page.headers["Content-Security-Policy"]
    token = csrf_token(client, "/projekter/")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.headers["Location"] == "/login"
    assert client.get("/projekter/").status_code == 302


APP_PROBE = """
import sys
from portfolio import create_app
app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "probe",
                  "OIDC_ISSUER": "http://127.0.0.1:9", "OIDC_CLIENT_ID": "c"})
heavy = ("authlib", "requests", "joserfc")
print("loaded:", ",".join(sorted(m for m in heavy if m in sys.modules)))
"""


def test_building_the_app_with_sso_configured_loads_no_oidc_library() -> None:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", APP_PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "loaded: "
