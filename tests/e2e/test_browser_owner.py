"""A chief in a real browser: lands on Mine projekter, sees how many wait, saves and reviews a
project in one step and stays on it, with the focus on the confirmation."""

from __future__ import annotations

import re
from typing import Any

import pytest

from portfolio.demo.services import DEMO_PASSWORD
from tests.e2e.conftest import OWNER

pytestmark = pytest.mark.e2e

COUNT = re.compile(r"Mine projekter \((\d+) venter på gennemsyn\)")


def _waiting(page: Any) -> int:
    link = page.locator("header a[href='/projekter/mine']")
    name = link.evaluate("a => a.textContent.replace(/\\s+/g, ' ').trim()")
    match = COUNT.fullmatch(name)
    assert match, name
    return int(match.group(1))


def test_an_owner_lands_on_their_projects_and_reviews_one_in_one_step(
    live_server: str, page: Any
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(OWNER)
    page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{live_server}/projekter/mine")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mine projekter")
    before = _waiting(page)
    assert before > 0

    project = page.locator("details.mine-project.needs-review").first
    pid = project.get_attribute("data-project")
    project.locator("summary").click()
    expect(project).to_have_attribute("open", "")
    project.get_by_label("Statuskommentar").fill("Gennemgået med projektlederen")
    project.get_by_role("button", name="Gem og markér som gennemset").click()

    page.wait_for_url(f"{live_server}/projekter/mine?aaben={pid}#projekt-{pid}")
    opened = page.locator(f"details[data-project='{pid}']")
    expect(opened).to_have_attribute("open", "")
    confirmation = opened.get_by_role("status")
    expect(confirmation).to_contain_text("markeret som gennemset")
    expect(confirmation).to_be_focused()
    focused = page.evaluate(
        "() => [document.activeElement.id,"
        " document.activeElement.closest('details')?.dataset.project]"
    )
    assert focused == [f"projekt-{pid}", pid]
    assert page.locator("details.mine-project[open]").count() == 1
    assert _waiting(page) == before - 1
    assert page.console_errors == []  # type: ignore[attr-defined]
