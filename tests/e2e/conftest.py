"""Browser fixtures: the app served on a free port, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from portfolio import create_app
from portfolio.db import get_engine, get_session, upgrade_database
from portfolio.demo.services import DEMO_PASSWORD, create_demo_users, load_demo_portfolio
from tests.conftest import IN_CI, TEST_HASH_METHOD

CHROMIUM = os.environ.get("PORTFOLIO_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _e2e_app(database: Path) -> Any:
    return create_app(
        {
            "DATABASE_URL": f"sqlite:///{database}",
            "SECRET_KEY": "e2e",
            # Logins stay cheap; test_views_auth proves that production hashes with scrypt.
            "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
        }
    )


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo portfolio and demo users in a SQLite file, built once; each test gets a copy."""
    path = tmp_path_factory.mktemp("e2e-template") / "demo.sqlite"
    app = _e2e_app(path)
    with app.app_context():
        upgrade_database(get_engine())
        load_demo_portfolio(session=get_session(), actor="e2e")
        create_demo_users(get_session())
        get_session().commit()
    app.extensions["portfolio_db"].dispose()
    return path


@pytest.fixture
def live_server(demo_database: Path, tmp_path: Path) -> Iterator[str]:
    """The real app with the demo portfolio, on a SQLite file of its own, in a server thread."""
    database = tmp_path / "e2e.sqlite"
    for source in demo_database.parent.glob(f"{demo_database.name}*"):  # with any -wal file
        shutil.copy(source, tmp_path / source.name.replace(demo_database.name, database.name))
    app = _e2e_app(database)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["portfolio_db"].dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(locale="da-DK", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)  # CI shares two cores with PostgreSQL and gunicorn
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors  # type: ignore[attr-defined]
    yield page
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def log_in(page: Any, base: str, email: str, then: str = "/projekter/") -> None:
    """Log in through the login form as a demo user, as a person would, and land on `then`
    (the project list by default: lighter than the chart-heavy overview at /)."""
    page.goto(f"{base}/login?next={then}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{base}{then}")


EDITOR = "raad@kommune.example"
OWNER = "chef.oekonomi@kommune.example"  # Peter Damgaard, process owner of demo projects
READER = "chefforum@kommune.example"
