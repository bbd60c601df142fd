"""Reflow (WCAG 1.4.10): at 320 px, and at 1280 × 720 zoomed to 200 % (a 640 px viewport),
no page scrolls sideways except inside a data table's own scroll region; the menu folds behind
a button that opens it, and the project list keeps its name column in view."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select
from werkzeug.serving import make_server

from portfolio.db import get_session
from portfolio.domain import Role
from portfolio.meetings.pack import PackMode
from portfolio.permissions import ENDPOINTS, ROLE_PERMISSIONS
from tests.e2e.conftest import EDITOR, OWNER, READER, _e2e_app, log_in

pytestmark = pytest.mark.e2e

ADMIN = "it@kommune.example"
ROLES = {ADMIN: Role.admin, EDITOR: Role.editor, OWNER: Role.owner, READER: Role.reader}
PUBLISHED_MEETING = date(2026, 11, 10)
DRAFT_MEETING = date(2026, 12, 8)

# GET routes that are no page to look at: files, the health probe, and pages that exist only
# for an uploaded sheet (their layout is the import tests' business; the table they show is
# the same data_table macro, in its scroll region).
NOT_PAGES = {
    "static": "a file",
    "vendor": "a file",
    "main.health": "JSON for the load balancer",
    "projects.export": "an Excel file",
    "meetings.export": "a PDF, Word or Excel file",
    "finance_sheets.benefits": "an Excel file",
    "finance_sheets.ledger": "an Excel file",
    "rollout_sheet.export": "an Excel file",
    "imports.preview": "needs an uploaded sheet",
    "imports.values": "needs an uploaded sheet",
    "rollout_sheet.preview": "needs an uploaded sheet",
    "sso.start": "sends the browser to the identity provider",
    "sso.callback": "the identity provider's answer",
    "api.projects": "JSON for Power BI (token only)",
    "api.project": "JSON for Power BI (token only)",
    "api.project_history": "JSON for Power BI (token only)",
    "api.meetings": "JSON for Power BI (token only)",
    "api.meeting": "JSON for Power BI (token only)",
    "api.rollout_cells": "JSON for Power BI (token only)",
    "api.benefits": "JSON for Power BI (token only)",
    "api.elsewhere": "the API's JSON 404",
    "api.openapi": "the API's OpenAPI document (JSON)",
    "api_tokens.revoke": "needs a token of one's own; the page is confirm.html, read elsewhere",
}


def _demo_ids(session: Any) -> dict[str, list[dict[str, Any]]]:
    """The route arguments of each page with arguments: a demo record (or every help topic)."""
    from portfolio.finance.models import Benefit, MovementKind, PoolMovement
    from portfolio.help.topics import TOPICS
    from portfolio.imports.models import ImportProfile, ImportRun
    from portfolio.projects.models import Project
    from portfolio.rollout.models import Rollout, RolloutCell
    from portfolio.users.models import User

    project = session.exec(select(Project).order_by(col(Project.id))).first()
    rollout = session.exec(select(Rollout).order_by(col(Rollout.id))).first()
    cell = session.exec(select(RolloutCell).order_by(col(RolloutCell.id))).first()
    grant = session.exec(
        select(PoolMovement)
        .where(PoolMovement.kind == MovementKind.grant)
        .order_by(col(PoolMovement.id))
    ).first()
    benefit = session.exec(select(Benefit).order_by(col(Benefit.id))).first()
    user = session.exec(select(User).order_by(col(User.id))).first()
    run = session.exec(select(ImportRun).order_by(col(ImportRun.id))).first()
    profile = session.exec(select(ImportProfile).order_by(col(ImportProfile.id))).first()
    one = {
        "projects.detail": {"project_id": project.id},
        "projects.edit": {"project_id": project.id},
        "projects.archive": {"project_id": project.id},
        "benefits.create": {"project_id": project.id},
        "benefits.detail": {"benefit_id": benefit.id},
        "benefits.edit": {"benefit_id": benefit.id},
        "finance.pool": {"pool_id": grant.pool_id},
        "finance.confirm_return": {"pool_id": grant.pool_id, "project_id": grant.project_id},
        "rollout.app_settings": {"project_id": rollout.project_id},
        "rollout.cell": {"cell_id": cell.id},
        "users.edit": {"user_id": user.id},
        "imports.run": {"run_id": run.id},
        "imports.delete_profile": {"profile_id": profile.id if profile else 1},
        "meetings.detail": {"day": DRAFT_MEETING.isoformat()},
        "meetings.delete": {"day": DRAFT_MEETING.isoformat()},
    }
    published = {"day": PUBLISHED_MEETING.isoformat()}
    return {
        **{endpoint: [values] for endpoint, values in one.items()},
        "meetings.detail": [one["meetings.detail"], published],
        "help.topic": [{"slug": topic.slug} for topic in TOPICS],
    }


def _add_meetings(session: Any) -> None:
    """A published pack with every part (the rollout grid, the pools) and a draft after it."""
    from portfolio.meetings.services import create_meeting, publish_meeting

    for day in (PUBLISHED_MEETING, DRAFT_MEETING):
        meeting = create_meeting(
            session=session,
            meeting_date=day,
            mode=PackMode.complete,
            actor="e2e",
            include_rollout=True,
            include_finance=True,
            include_pool_orientation=True,
        )
        if day == PUBLISHED_MEETING:
            publish_meeting(session=session, meeting=meeting, actor="e2e")


@pytest.fixture(scope="module")
def site(demo_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One live server for the module: the demo portfolio with two meetings, and the pages."""
    folder = tmp_path_factory.mktemp("reflow")
    database = folder / "e2e.sqlite"
    for source in demo_database.parent.glob(f"{demo_database.name}*"):
        shutil.copy(source, folder / source.name.replace(demo_database.name, database.name))
    app = _e2e_app(database)
    with app.app_context():
        session = get_session()
        _add_meetings(session)
        session.commit()
        ids = _demo_ids(session)
        session.close()
    with app.test_request_context():
        from flask import url_for

        pages: list[tuple[str, str]] = []
        unfilled = []
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()) or rule.endpoint in NOT_PAGES:
                continue
            if rule.arguments and rule.endpoint not in ids:
                unfilled.append(rule.endpoint)
                continue
            for values in ids.get(rule.endpoint, [{}]):
                pages.append((rule.endpoint, url_for(rule.endpoint, **values)))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {
            "base": f"http://127.0.0.1:{server.server_port}",
            "pages": sorted(pages, key=lambda page: page[1]),
            "unfilled": unfilled,
        }
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["portfolio_db"].dispose()


# The widest thing on the page that is not inside a scroll region of its own: what to fix.
OVERFLOW = """() => {
  const limit = document.documentElement.clientWidth;
  const culprits = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.parentElement.closest('.table-wrap, .chart')) continue;
    const box = el.getBoundingClientRect();
    if (box.width && box.right > limit + 1) {
      const classes = typeof el.className === 'string' ? el.className.split(' ') : [];
      culprits.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        classes.map(c => c ? '.' + c : '').join('') + ' ' + Math.round(box.right));
    }
  }
  return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
          culprits: culprits.slice(0, 5)};
}"""


def test_every_page_is_walked(site: dict[str, Any]) -> None:
    """A new page with route arguments needs its demo values in _demo_ids (or a reason in
    NOT_PAGES), so no page escapes the walk below."""
    assert site["unfilled"] == []
    assert len(site["pages"]) > 30


def _charts_drawn(page: Any) -> None:
    if page.locator(".chart[data-figure]").count():
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.chart[data-figure]'))"
            ".every(c => c.querySelector('.main-svg'))"
        )


def _too_wide(page: Any, label: str) -> list[str]:
    result = page.evaluate(OVERFLOW)
    if result["scroll"] > result["inner"]:
        return [
            f"{label}: {result['scroll']} px wide in {result['inner']} px: {result['culprits']}"
        ]
    return []


# 1280 × 720 at 200 % zoom is a 640 × 360 CSS-pixel viewport.
NARROW = {"width": 320, "height": 640}
ZOOMED = {"width": 640, "height": 360}


@pytest.mark.parametrize("email", list(ROLES))
def test_no_page_scrolls_sideways_at_320_px_or_200_percent_zoom(
    site: dict[str, Any], browser: Any, email: str
) -> None:
    """Every page the app has (its GET routes, demo ids filled in), as each role sees it."""
    context = browser.new_context(locale="da-DK", viewport=NARROW)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    problems: list[str] = []

    def visit(path: str) -> None:
        page.set_viewport_size(NARROW)
        response = page.goto(site["base"] + path)
        if response is None or response.status >= 500:
            problems.append(f"{path}: {response.status if response else 'no response'}")
        _charts_drawn(page)
        problems.extend(_too_wide(page, f"{path} at 320 px"))
        # Zooming in (a wider window) after the page has loaded, as a reader would.
        page.set_viewport_size(ZOOMED)
        problems.extend(_too_wide(page, f"{path} at 200 %"))

    try:
        open_pages = [path for endpoint, path in site["pages"] if ENDPOINTS[endpoint] is None]
        for path in open_pages:  # the login page and others seen before logging in
            visit(path)
        log_in(page, site["base"], email)
        allowed = ROLE_PERMISSIONS[ROLES[email]]
        refused = [
            p for e, p in site["pages"] if p not in open_pages and ENDPOINTS[e] not in allowed
        ]
        for _endpoint, path in site["pages"]:
            # Every page the role may open; of the others, one: their "Adgang nægtet" page.
            if path not in open_pages and (path not in refused or path == refused[0]):
                visit(path)
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
    assert errors == []


@pytest.mark.parametrize("email", [ADMIN, READER])
def test_the_menu_folds_behind_a_button_that_opens_every_link(
    site: dict[str, Any], browser: Any, email: str
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(locale="da-DK", viewport=ZOOMED)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        log_in(page, site["base"], email)
        header = page.locator("header.site-header")
        assert header.bounding_box()["height"] <= 90  # of 360 px: the page starts at once
        menu = page.get_by_role("navigation", name="Hovedmenu")
        button = page.get_by_role("button", name="Menu")
        expect(menu).to_be_hidden()
        expect(button).to_have_attribute("aria-expanded", "false")
        button.click()
        expect(button).to_have_attribute("aria-expanded", "true")
        links = menu.get_by_role("link")
        names = links.all_inner_texts()
        assert "Overblik" in names[0] and "Log" in " ".join(names) if email == ADMIN else True
        for i in range(links.count()):
            link = links.nth(i)
            expect(link).to_be_visible()
            link.scroll_into_view_if_needed()
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= ZOOMED["width"], names[i]
        expect(page.get_by_role("button", name="Log ud")).to_be_visible()
        # Each link is reached with the keyboard, and Escape folds the menu again.
        links.first.focus()
        page.keyboard.press("Escape")
        expect(button).to_be_focused()
        expect(menu).to_be_hidden()
        # A wide window shows the whole menu, no button.
        page.set_viewport_size({"width": 1280, "height": 720})
        expect(button).to_be_hidden()
        expect(menu).to_be_visible()
    finally:
        context.close()


def test_without_javascript_the_menu_is_open_and_wraps(site: dict[str, Any], browser: Any) -> None:
    context = browser.new_context(locale="da-DK", viewport=NARROW, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, site["base"], ADMIN)
        menu = page.get_by_role("navigation", name="Hovedmenu")
        assert menu.is_visible()
        assert page.get_by_role("button", name="Menu").count() == 0  # hidden: nothing to press
        assert page.get_by_role("link", name="Log", exact=True).is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    finally:
        context.close()


def test_the_project_list_puts_status_second_and_keeps_the_name_in_view(
    site: dict[str, Any], browser: Any
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        log_in(page, site["base"], EDITOR)
        table = page.locator("table.projects")
        headers = table.locator("thead th").all_inner_texts()
        assert [h.strip(" ▲▼") for h in headers[:2]] == ["Projektnavn", "Status"]
        region = page.get_by_role("region", name=re.compile("^Projekter"))
        expect(region).to_have_attribute("tabindex", "0")
        # Wider than the screen: the hint above the table says so, before the first row.
        hint = page.get_by_text("Rul vandret for flere kolonner")
        expect(hint).to_be_visible()
        assert hint.bounding_box()["y"] < table.bounding_box()["y"]
        # Scrolled to its last column with the keyboard (the region focused, the right arrow
        # pressed): the budget comes into view and the first project's name stays put.
        name = table.locator("tbody th").first
        before = name.bounding_box()
        region.focus()
        at_end = "r => r.scrollLeft + r.clientWidth >= r.scrollWidth - 1"
        for _ in range(100):
            if region.evaluate(at_end):
                break
            page.keyboard.press("ArrowRight")
        assert region.evaluate(at_end)
        after = name.bounding_box()
        assert after["x"] == before["x"]
        budget = table.locator("thead th").last
        box = budget.bounding_box()
        assert box["x"] + box["width"] <= 1280
        expect(name).to_be_visible()

        # On a phone each project is a card whose cells name their column.
        page.set_viewport_size(NARROW)
        first = table.locator("tbody tr").first
        expect(first.locator("td").first).to_have_attribute("data-label", "Status")
        assert first.bounding_box()["width"] <= NARROW["width"]
        cell = first.locator("td").first
        assert cell.evaluate("td => getComputedStyle(td).display") == "block"
        assert cell.evaluate("td => getComputedStyle(td, '::before').content") != "none"
    finally:
        context.close()
