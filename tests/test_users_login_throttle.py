"""Login throttling: growing delays per e-mail and address and per address, never a lock-out
that a stranger can trigger; no password hash while throttled; bounded hashing under a flood;
old login attempts pruned."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select
from werkzeug.test import TestResponse

from portfolio.db import utcnow
from portfolio.users.login_views import login_guard
from portfolio.users.models import LoginAttempt, User
from tests.conftest import PASSWORD, count_rows, csrf_token
from tests.live_server import http_exchange
from tests.test_cli import free_port

ATTACKER, OWNER_ADDR = "203.0.113.66", "198.51.100.7"
GENERIC = "Forkert e-mail eller adgangskode."


class FrozenClock:
    """The login guard's clock, moved on by the test instead of sleeping."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def freeze_login_clock(app: Flask) -> FrozenClock:
    """Give the app's login guard a clock the test controls (set LOGIN_* config first)."""
    clock = FrozenClock()
    login_guard(app).clock = clock
    return clock


@pytest.fixture
def clock(app: Flask) -> FrozenClock:
    return freeze_login_clock(app)


def browser(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def attempt(client: FlaskClient, email: str, password: str) -> TestResponse:
    return client.post(
        "/login",
        data={"csrf_token": csrf_token(client, "/login"), "email": email, "password": password},
    )


def error_text(response: TestResponse) -> str:
    """The message the login page shows above the form."""
    match = re.search(r'class="error-summary"[^>]*><p>(.*?)</p>', response.get_data(as_text=True))
    return html.unescape(match.group(1)) if match else ""


def fail_until_delayed(client: FlaskClient, email: str) -> TestResponse:
    """Wrong passwords until the login page first asks to wait; returns that answer."""
    for n in range(1, 20):
        response = attempt(client, email, f"forkert-gæt-{n}")
        assert response.status_code == 401
        if error_text(response) != GENERIC:
            return response
    raise AssertionError("no delay after 20 wrong passwords")


def test_an_attacker_hammering_an_account_cannot_stop_its_owner_from_another_address(
    app: Flask, make_user: Callable[..., User], clock: FrozenClock
) -> None:
    owner = make_user(role="editor")
    attacker = browser(app, ATTACKER)
    checked = refused = 0
    for n in range(40):
        response = attempt(attacker, owner.email, f"gæt-nummer-{n}")
        if response.status_code == 429:
            refused += 1
            clock.advance(int(response.headers["Retry-After"]))  # the attacker waits as told
        else:
            assert response.status_code == 401
            checked += 1
    assert checked >= 15 and refused >= 10
    attempt(attacker, owner.email, "et-sidste-gæt")
    # the attacker must now wait minutes even with the right password; the owner, elsewhere,
    # is not held up at all
    throttled = attempt(attacker, owner.email, PASSWORD)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 60
    owner_browser = browser(app, OWNER_ADDR)
    typo = attempt(owner_browser, owner.email, "en-tastefejl-42")
    assert typo.status_code == 401 and error_text(typo) == GENERIC
    assert attempt(owner_browser, owner.email, PASSWORD).status_code == 302
    assert owner_browser.get("/projekter/").status_code == 200
    assert attacker.get("/projekter/").status_code == 302


def test_the_attackers_address_waits_longer_after_each_failure_and_is_told_how_long(
    app: Flask, make_user: Callable[..., User]
) -> None:
    app.config["LOGIN_MAX_DELAY_SECONDS"] = 60
    clock = freeze_login_clock(app)
    owner = make_user(role="editor")
    attacker = browser(app, ATTACKER)
    for n in range(5):  # a few free tries, as anyone mistyping needs
        response = attempt(attacker, owner.email, f"gæt-{n}")
        assert response.status_code == 401 and error_text(response) == GENERIC
    told = [
        ("1 sekund", 1),
        ("2 sekunder", 2),
        ("4 sekunder", 4),
        ("8 sekunder", 8),
        ("16 sekunder", 16),
        ("32 sekunder", 32),
        ("1 minut", 60),  # the cap
        ("1 minut", 60),
    ]
    for n, (words, seconds) in enumerate(told):
        response = attempt(attacker, owner.email, f"endnu-et-gæt-{n}")
        assert response.status_code == 401
        assert error_text(response) == f"{GENERIC} Vent {words}, og prøv igen."
        again = attempt(attacker, owner.email, f"utålmodigt-gæt-{n}")
        assert again.status_code == 429
        assert again.headers["Retry-After"] == str(seconds)
        assert error_text(again) == f"For mange mislykkede forsøg. Vent {words}, og prøv igen."
        if seconds > 1:  # the wait counts down
            clock.advance(seconds - 1)
            nearly = attempt(attacker, owner.email, f"næsten-gæt-{n}")
            assert nearly.status_code == 429 and nearly.headers["Retry-After"] == "1"
            assert "Vent 1 sekund, og prøv igen." in error_text(nearly)
            clock.advance(1)
        else:
            clock.advance(1)


def test_the_wait_is_told_in_minutes_once_it_passes_a_minute(
    app: Flask, make_user: Callable[..., User], clock: FrozenClock
) -> None:
    owner = make_user(role="editor")
    attacker = browser(app, ATTACKER)
    fail_until_delayed(attacker, owner.email)
    for _ in range(7):  # each waited out: the waits after them grow to 2, 4 … 128 seconds
        clock.advance(900)
        attempt(attacker, owner.email, "endnu-et-forkert-gæt")
    clock.advance(30)  # 128 s after the last failure, 98 s are left: two minutes, rounded up
    response = attempt(attacker, owner.email, PASSWORD)
    assert response.status_code == 429 and response.headers["Retry-After"] == "98"
    assert error_text(response) == "For mange mislykkede forsøg. Vent 2 minutter, og prøv igen."


def test_while_throttled_no_password_is_hashed_and_nothing_is_written(
    app: Flask, session: Session, make_user: Callable[..., User]
) -> None:
    app.config["LOGIN_HASH_WAIT_SECONDS"] = 0.05
    clock = freeze_login_clock(app)
    owner = make_user(role="editor")
    attacker = browser(app, ATTACKER)
    fail_until_delayed(attacker, owner.email)
    rows = count_rows(session, LoginAttempt)
    guard = login_guard(app)
    for _ in range(guard.policy.hash_concurrency):  # every hash slot taken: no hash can run
        guard.hash_slots.acquire()
    try:
        # even the right password is refused, at once: the throttled request never waited
        # for a hash slot (that would have been "busy")
        throttled = attempt(attacker, owner.email, PASSWORD)
        assert throttled.status_code == 429, error_text(throttled)
        assert attacker.get("/projekter/").status_code == 302
        # a request that is not throttled does need a hash, and is told to come back shortly
        busy = attempt(browser(app, OWNER_ADDR), owner.email, PASSWORD)
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
        assert error_text(busy) == "Der er travlt lige nu. Prøv igen om lidt."
    finally:
        for _ in range(guard.policy.hash_concurrency):
            guard.hash_slots.release()
    assert count_rows(session, LoginAttempt) == rows  # neither the refusal nor "busy" counted
    clock.advance(1)
    assert attempt(attacker, owner.email, PASSWORD).status_code == 302
    assert attacker.get("/projekter/").status_code == 200
    # the success cleared this pair's delay: a later slip is a plain failure again
    attacker.post("/logout", data={"csrf_token": csrf_token(attacker, "/projekter/")})
    slip = attempt(attacker, owner.email, "en-tastefejl-igen")
    assert slip.status_code == 401 and error_text(slip) == GENERIC


def test_unknown_and_known_e_mails_are_throttled_alike(
    app: Flask, make_user: Callable[..., User], clock: FrozenClock
) -> None:
    owner = make_user(role="editor")
    answers = []
    for email in (owner.email, "findes.ikke@kommune.example"):
        client = browser(app, ATTACKER)
        delayed = fail_until_delayed(client, email)
        throttled = attempt(client, email, PASSWORD)
        answers.append(
            (
                error_text(delayed),
                throttled.status_code,
                throttled.headers["Retry-After"],
                error_text(throttled),
            )
        )
    assert answers[0] == answers[1]
    assert answers[0][1] == 429


def test_one_address_trying_many_accounts_is_slowed_but_no_other_address_is(
    app: Flask, make_user: Callable[..., User]
) -> None:
    app.config["LOGIN_FREE_FAILURES_PER_ADDRESS"] = 6
    freeze_login_clock(app)
    users = [make_user(role="reader") for _ in range(8)]
    attacker = browser(app, ATTACKER)
    for user in users[:6]:  # one guess each: no single account is tried often
        assert error_text(attempt(attacker, user.email, "sommer2026!!")) == GENERIC
    seventh = attempt(attacker, users[6].email, "sommer2026!!")
    assert error_text(seventh) == f"{GENERIC} Vent 1 sekund, og prøv igen."
    assert attempt(attacker, users[7].email, "sommer2026!!").status_code == 429
    # everyone elsewhere logs in as usual, among them the accounts that were tried
    for user in (users[0], users[7]):
        assert attempt(browser(app, OWNER_ADDR), user.email, PASSWORD).status_code == 302


def test_old_login_attempts_are_pruned_now_and_then_and_recent_ones_kept(
    app: Flask, session: Session, make_user: Callable[..., User], clock: FrozenClock
) -> None:
    owner = make_user(role="editor")

    def add(days_ago: float, *, succeeded: bool = False) -> int:
        row = LoginAttempt(
            at=clock.now - timedelta(days=days_ago),
            email=owner.email,
            remote_addr="192.0.2.9",
            succeeded=succeeded,
        )
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id

    old = [add(31), add(45, succeeded=True), add(400)]
    recent = [add(29), add(0.01, succeeded=True)]

    def kept() -> set[int]:
        """The rows added here that are still in the database."""
        session.commit()  # a fresh read: see what the app's requests committed
        session.expire_all()
        rows = session.exec(select(LoginAttempt).where(LoginAttempt.remote_addr == "192.0.2.9"))
        return {row.id for row in rows.all() if row.id is not None}

    assert kept() == set(old + recent)
    attacker = browser(app, ATTACKER)
    attempt(attacker, owner.email, "forkert-kode-1")
    assert kept() == set(recent)
    later = add(60)
    attempt(attacker, owner.email, "forkert-kode-2")  # pruned minutes ago: not again yet
    assert later in kept()
    clock.advance(11 * 60)
    attempt(attacker, owner.email, "forkert-kode-3")
    assert kept() == set(recent)
    assert attempt(browser(app, OWNER_ADDR), owner.email, PASSWORD).status_code == 302


# --- a flood against a real server -------------------------------------------------------------

FLOOD_CLIENTS, FLOOD_POSTS_EACH = 16, 8


class Browser:
    """A browser talking to 127.0.0.1 from a loopback address of its choice: keeps cookies."""

    def __init__(self, port: int, source: str = "127.0.0.1") -> None:
        self.port, self.source = port, source
        self.cookies: dict[str, str] = {}

    def open(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        status, text, set_cookies = http_exchange(
            self.port, path, form, source=self.source, cookie=cookie, timeout=120
        )
        for header in set_cookies:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return status, text

    def csrf_token(self, path: str = "/login") -> str:
        status, text = self.open(path)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text)
        assert status == 200 and match, (status, text[:500])
        return match.group(1)


def _start_gunicorn(database_url: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    env = {
        **os.environ,
        "PORTFOLIO_DATABASE_URL": database_url,
        "PORTFOLIO_SECRET_KEY": "flood-test",
        # one hash at a time per worker and little queueing for it, so that "busy" shows up
        # among 16 clients; and the address slowed after a few failures, so that a bounded
        # flood shows that too (the defaults are tested above)
        "PORTFOLIO_LOGIN_HASH_CONCURRENCY": "1",
        "PORTFOLIO_LOGIN_HASH_WAIT_SECONDS": "0.1",
        "PORTFOLIO_LOGIN_FREE_FAILURES_PER_ADDRESS": "5",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(  # noqa: S603
        [
            str(gunicorn),
            *("-w", "2", "-k", "gthread", "--threads", "8"),
            *("-b", f"127.0.0.1:{port}"),
            "portfolio:create_app()",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if Browser(port).open("/health")[0] == 200:
                return server, port
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.terminate()
                raise AssertionError(server.communicate(timeout=30)[0][-3000:]) from None
            time.sleep(0.2)


def _flood(port: int, n: int, emails: list[str]) -> list[int]:
    """One anonymous client posting wrong passwords as fast as it gets answers."""
    client = Browser(port)
    token = client.csrf_token()
    codes = []
    for i in range(FLOOD_POSTS_EACH):
        form = {"csrf_token": token, "email": emails[(n + i) % len(emails)], "password": f"x{i}"}
        codes.append(client.open("/login", form)[0])
    return codes


def test_a_login_flood_leaves_other_pages_answering_and_its_owner_able_to_log_in(
    database_url: str, make_user: Callable[..., User]
) -> None:
    owner = make_user(role="editor")
    emails = [owner.email] + [f"gæt{i}@kommune.example" for i in range(5)]
    server, port = _start_gunicorn(database_url)
    probes: list[tuple[str, int]] = []
    flooding = threading.Event()
    flooding.set()

    def probe() -> None:
        reader = Browser(port)
        while flooding.is_set():
            for path in ("/login", "/health"):
                probes.append((path, reader.open(path)[0]))

    try:
        prober = threading.Thread(target=probe)
        prober.start()
        try:
            with ThreadPoolExecutor(FLOOD_CLIENTS) as pool:
                runs = pool.map(
                    _flood, [port] * FLOOD_CLIENTS, range(FLOOD_CLIENTS), [emails] * FLOOD_CLIENTS
                )
                codes = [c for run in runs for c in run]
        finally:
            flooding.clear()
            prober.join(timeout=120)
        # the owner, from another address, logs in straight after the flood
        owner_browser = Browser(port, source="127.0.0.2")
        form = {"csrf_token": owner_browser.csrf_token(), "email": owner.email}
        status, _ = owner_browser.open("/login", {**form, "password": PASSWORD})
        assert status == 302
        assert owner_browser.open("/projekter/")[0] == 200
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[0]
    assert len(codes) == FLOOD_CLIENTS * FLOOD_POSTS_EACH
    assert set(codes) <= {401, 429, 503}, codes
    assert 429 in codes, codes  # the flooding address was made to wait: no hash for those
    assert 503 in codes, codes  # hashes were bounded: the rest were told to come back
    assert {p for p, _ in probes} == {"/login", "/health"}
    assert all(status == 200 for _, status in probes), probes
    assert "Traceback" not in log, log[-3000:]
