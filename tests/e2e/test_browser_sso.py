"""Single sign-on against a real OpenID provider: the npm package oidc-provider (pinned in
package.json), run with the machine's Node.js from tests/oidc_provider.mjs on a free loopback
port, and Chromium walking the whole flow — the provider's own login form, the code exchange
with PKCE, the ID token's checks, and RP-initiated logout at the provider.

What is tested where, honestly:
- a chief's login (owner role from the `groups` claim, linked to their Person by e-mail, no
  password), a user in no mapped group, a tampered state, a wrong nonce and logout: in the
  browser, against the provider's real answers;
- an ID token for another client: in the browser the provider itself refuses to exchange a code
  issued to another client; and the app's own audience check is tested by giving its ID-token
  validation a real token the provider issued (and signed) for the other client.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlmodel import Session, col, select
from werkzeug.serving import make_server

from portfolio import create_app
from portfolio.domain import Role
from portfolio.projects.models import Person, Project
from portfolio.users import sso
from portfolio.users.models import AuditEntry, User
from tests.conftest import TEST_HASH_METHOD

# One worker runs them all: one provider and one app for the module.
pytestmark = pytest.mark.xdist_group("sso")

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_SCRIPT = ROOT / "tests" / "oidc_provider.mjs"
CLIENT_ID, CLIENT_SECRET = "portefolje", "portefolje-hemmelighed"
OTHER_ID, OTHER_SECRET = "anden-app", "anden-hemmelighed"
CHIEF = "Lise Holm"  # process owner of the demo's Børn & Familie projects
CHIEF_EMAIL = "lise.holm@kommune.example"  # the provider sends it as Lise.Holm@…


@dataclass
class SsoSite:
    base: str  # the app
    issuer: str  # the provider
    app: Flask

    def db(self) -> Session:
        return Session(self.app.extensions["portfolio_db"], expire_on_commit=False)


def _node() -> str:
    """Node.js and the installed oidc-provider, or a failure: these tests never skip."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider").is_dir():
        pytest.fail(
            "Node.js or node_modules/oidc-provider mangler til single sign-on-testene: kør npm ci"
        )
    return node


def _start_provider(node: str, app_base: str, log: Path) -> tuple[subprocess.Popen[str], str]:
    with log.open("w") as errors:
        process = subprocess.Popen(  # noqa: S603
            [node, str(PROVIDER_SCRIPT)],
            cwd=ROOT,
            env={**os.environ, "OIDC_APP_BASE": app_base},
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    assert process.stdout is not None  # noqa: S101
    line = process.stdout.readline()  # "listening <issuer>", or "" if node died
    if not line.startswith("listening "):
        process.kill()
        process.wait(timeout=10)
        process.stdout.close()
        pytest.fail(f"the OpenID provider did not start: {line!r} {log.read_text()[-2000:]}")
    issuer = line.split()[1]
    deadline = time.monotonic() + 30
    while True:  # ready when the discovery document answers
        try:
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                return process, issuer
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            process.wait(timeout=10)
            process.stdout.close()
            pytest.fail("the OpenID provider's discovery document never answered")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def sso_site(demo_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SsoSite]:
    """The app (demo data, SQLite copy, password login off) and the provider, each on a free
    loopback port; the app's port is known first, as the provider's clients redirect to it."""
    node = _node()
    folder = tmp_path_factory.mktemp("sso")
    database = folder / "sso.sqlite"
    for source in demo_database.parent.glob(f"{demo_database.name}*"):
        shutil.copy(source, folder / source.name.replace(demo_database.name, database.name))
    holder: dict[str, Flask] = {}

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return holder["app"](environ, start_response)

    server = make_server("127.0.0.1", 0, dispatch, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    provider, issuer = _start_provider(node, base, folder / "provider.log")
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{database}",
            "SECRET_KEY": "e2e-sso",
            "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
            "OIDC_ISSUER": issuer,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_SCOPES": "openid email profile groups",
            "OIDC_ROLE_MAP": "portefolje-chefer=owner,portefolje-raad=editor",
            "LOCAL_LOGIN": False,
        }
    )
    holder["app"] = app
    site = SsoSite(base, issuer, app)
    with site.db() as db:  # the chief's e-mail, as the municipality's staff register has it
        person = db.exec(select(Person).where(Person.name == CHIEF)).one()
        person.email = CHIEF_EMAIL
        db.add(person)
        db.commit()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        thread.join(timeout=10)
        provider.terminate()
        provider.wait(timeout=10)
        if provider.stdout is not None:
            provider.stdout.close()
        app.extensions["portfolio_db"].dispose()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A browser of its own per test: no cookies, neither the app's nor the provider's."""
    context = browser.new_context(locale="da-DK")
    context.set_default_timeout(30_000)
    yield context
    context.close()


def _provider_login(page: Any, account: str) -> None:
    """The provider's own login form (oidc-provider's dev interaction): the login name is the
    test account; any password."""
    page.locator("input[name=login]").fill(account)
    page.locator("input[name=password]").fill("hvad-som-helst")
    page.get_by_role("button", name="Sign-in").click()


def _audit(site: SsoSite, action: str) -> list[AuditEntry]:
    with site.db() as db:
        return list(
            db.exec(
                select(AuditEntry).where(AuditEntry.action == action).order_by(col(AuditEntry.id))
            )
        )


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _is_authorization(site: SsoSite) -> Callable[[str], bool]:
    return lambda url: url.startswith(site.issuer) and urlsplit(url).path == "/auth"


def test_a_chief_logs_in_with_the_municipal_login_and_out_again(
    sso_site: SsoSite, context: Any
) -> None:
    site, page = sso_site, context.new_page()
    logins_before = len(_audit(site, "sso_login"))
    requested: list[str] = []

    def note(request: Any) -> None:
        if _is_authorization(site)(request.url):
            requested.append(request.url)

    page.on("request", note)
    page.goto(f"{site.base}/login")
    # PORTFOLIO_LOCAL_LOGIN=0: only the municipality's login is offered.
    assert page.get_by_label("Adgangskode").count() == 0
    page.get_by_role("link", name="Log ind med kommunens login").click()
    page.wait_for_url(f"{site.issuer}/interaction/**")
    asked = parse_qs(urlsplit(requested[0]).query)
    assert asked["code_challenge_method"] == ["S256"]
    assert asked["client_id"] == [CLIENT_ID] and asked["state"] and asked["nonce"]
    _provider_login(page, "chef")

    # A chief lands on their own projects, as the owner from the chiefs' group.
    page.wait_for_url(f"{site.base}/projekter/mine")
    with site.db() as db:
        user = db.exec(select(User).where(User.email == CHIEF_EMAIL)).one()
        assert user.role == Role.owner
        assert user.person is not None and user.person.name == CHIEF
        assert (user.external_issuer, user.external_subject) == (site.issuer, "chef")
        assert user.password_hash is None
        own = db.exec(
            select(Project).where(Project.process_owner_id == user.person_id).limit(1)
        ).one()
    assert page.locator(".account-name").inner_text().startswith(CHIEF)
    assert page.get_by_text(own.name).first.is_visible()
    logins = _audit(site, "sso_login")[logins_before:]
    assert [(a.field, a.new_value) for a in logins] == [(f"{CHIEF_EMAIL}:role", "owner")]
    assert [a.field for a in _audit(site, "user_create")][-1] == f"{CHIEF_EMAIL}:role"

    # Logout ends our session and the provider's (RP-initiated logout, its confirm page).
    page.get_by_role("button", name="Log ud").click()
    page.wait_for_url(f"{site.issuer}/session/end**")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{site.base}/login?**")
    assert page.get_by_text("Du er logget ud.").is_visible()
    page.goto(f"{site.base}/projekter/mine")
    assert urlsplit(page.url).path == "/login"
    # The provider forgot the login too: it asks for it again instead of sending us back.
    page.get_by_role("link", name="Log ind med kommunens login").click()
    page.wait_for_url(f"{site.issuer}/interaction/**")
    assert page.locator("input[name=login]").is_visible()
    # Logging in again links the same user (by issuer and subject), and makes no new one.
    _provider_login(page, "chef")
    page.wait_for_url(f"{site.base}/projekter/mine")
    with site.db() as db:
        assert len(db.exec(select(User).where(User.email == CHIEF_EMAIL)).all()) == 1
    assert len(_audit(site, "sso_login")) == logins_before + 2


def _start(page: Any, site: SsoSite, **changes: str) -> dict[str, Any]:
    """Begin a single sign-on as the login page's link does, but hold the app's redirect to
    the provider (Playwright cannot change a redirect on its way) and send the browser to the
    authorization request with `changes`. Returns the state data the app keeps for it in this
    browser's session cookie (Flask's cookie is signed, not encrypted)."""
    started = page.request.get(f"{site.base}/login/sso", max_redirects=0)
    assert started.status == 302, started.text()
    authorization = started.headers["location"]
    state = parse_qs(urlsplit(authorization).query)["state"][0]
    cookie = next(c["value"] for c in page.context.cookies(site.base) if c["name"] == "session")
    serializer = SecureCookieSessionInterface().get_signing_serializer(site.app)
    assert serializer is not None  # noqa: S101
    held: dict[str, Any] = serializer.loads(cookie)[f"_state_oidc_{state}"]["data"]
    page.goto(_with_query(authorization, **changes) if changes else authorization)
    return held


def test_refused_logins_say_whom_to_ask_and_are_in_the_audit_log(
    sso_site: SsoSite, browser: Any
) -> None:
    site = sso_site

    # Staff in no group that gives access: a Danish page naming whom to ask; no user made.
    context = browser.new_context(locale="da-DK")
    page = context.new_page()
    page.goto(f"{site.base}/login")
    page.get_by_role("link", name="Log ind med kommunens login").click()
    _provider_login(page, "udenfor")
    page.wait_for_url(f"{site.base}/login/sso/svar**")
    assert page.get_by_role("heading", name="Ingen adgang til Portefølje").is_visible()
    assert page.get_by_text("ikke i en gruppe, der giver adgang").is_visible()
    assert page.get_by_text("Kontakt IT-afdelingen, hvis du skal have adgang.").is_visible()
    refusal = _audit(site, "sso_refused")[-1]
    assert refusal.field == "ulla.udenfor@kommune.example:login"
    assert refusal.new_value == "ingen gruppe med adgang (alle-ansatte)"
    with site.db() as db:
        assert db.exec(select(User).where(User.email == "ulla.udenfor@kommune.example")).all() == []
    context.close()

    # A tampered state: the provider answers with a state this browser was never given.
    context = browser.new_context(locale="da-DK")
    page = context.new_page()
    _start(page, site, state="forfalsket-state")
    _provider_login(page, "chef")
    page.wait_for_url(f"{site.base}/login/sso/svar?**state=forfalsket-state**")
    assert page.get_by_text("Login med kommunens login mislykkedes").is_visible()
    assert _audit(site, "sso_refused")[-1].new_value == "ukendt eller brugt state"
    page.goto(f"{site.base}/projekter/")
    assert urlsplit(page.url).path == "/login"  # nobody was logged in
    context.close()

    # A wrong nonce: the provider's ID token carries another nonce than this state's.
    context = browser.new_context(locale="da-DK")
    page = context.new_page()
    _start(page, site, nonce="en-anden-nonce")
    _provider_login(page, "chef")
    page.wait_for_url(f"{site.base}/login/sso/svar**")
    assert page.get_by_text("Login med kommunens login mislykkedes").is_visible()
    assert _audit(site, "sso_refused")[-1].new_value == "ID-tokenets nonce passer ikke"
    context.close()


def test_an_id_token_for_another_client_is_refused(sso_site: SsoSite, browser: Any) -> None:
    """The authorization request is changed to ask for the other client (which may redirect
    to us too). The provider refuses the app's exchange of that client's code; and the ID token
    it issues the other client for the same code (exchanged here with that client's secret and
    the PKCE verifier from this browser's session) is refused by the app's audience check."""
    site = sso_site
    context = browser.new_context(locale="da-DK")
    page = context.new_page()
    answers: list[str] = []
    callback = f"{site.base}/login/sso/svar?"
    page.on("request", lambda r: answers.append(r.url) if r.url.startswith(callback) else None)
    held = _start(page, site, client_id=OTHER_ID)
    _provider_login(page, "chef")
    page.wait_for_url(f"{callback}**")
    assert page.get_by_text("Login med kommunens login mislykkedes").is_visible()
    assert _audit(site, "sso_refused")[-1].new_value == (
        "koden kunne ikke veksles til et token (invalid_grant)"
    )
    context.close()

    (answer,) = answers
    code = parse_qs(urlsplit(answer).query)["code"][0]
    token = requests.post(
        f"{site.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": held["redirect_uri"],
            "code_verifier": held["code_verifier"],
        },
        auth=(OTHER_ID, OTHER_SECRET),
        timeout=10,
    ).json()
    assert "id_token" in token, token
    with site.app.app_context():
        with pytest.raises(sso.SsoRefused) as refused:
            sso.check_id_token(sso.oidc_client(site.app), token, nonce=held["nonce"])
        assert refused.value.reason == "audience"
    # The same token is good for the client it was issued to: the refusal was the audience's.
    other = create_app(
        {
            "DATABASE_URL": "sqlite://",
            "SECRET_KEY": "other",
            "OIDC_ISSUER": site.issuer,
            "OIDC_CLIENT_ID": OTHER_ID,
            "OIDC_CLIENT_SECRET": OTHER_SECRET,
        },
        check_schema=False,
    )
    with other.app_context():
        claims = sso.check_id_token(sso.oidc_client(other), token, nonce=held["nonce"])
        assert claims["sub"] == "chef" and claims["aud"] == OTHER_ID
        with pytest.raises(sso.SsoRefused) as refused:
            sso.check_id_token(sso.oidc_client(other), token, nonce="en-anden-nonce")
        assert refused.value.reason == "nonce"
