"""The rollout in a real browser: an editor proposes a plan with capacity 2 and uses it, a chief
marks their department live, and the coverage chart's actual share moves."""

from __future__ import annotations

import re
from typing import Any

import pytest

from portfolio.formats import danish_day
from portfolio.rollout.services import today
from tests.e2e.conftest import EDITOR, OWNER, log_in

pytestmark = pytest.mark.e2e

CHIEF_DEPARTMENT = "Økonomi & Stab"  # the demo's Peter Damgaard (OWNER) is its chief
APP = "Fraværsapp"  # not started there in the demo


def _actual_share_today(page: Any, base: str) -> float:
    """The coverage chart's actual share today, read from its data table (the text alternative),
    after plotly has drawn the chart."""
    from playwright.sync_api import expect

    page.goto(f"{base}/udrulning/diagrammer")
    expect(page.locator("#chart-coverage svg.main-svg").first).to_be_visible()
    row = page.locator("#chart-coverage ~ details table tbody tr").filter(
        has=page.locator("th", has_text=danish_day(today()))
    )
    text = row.locator("td").nth(1).text_content() or ""
    match = re.fullmatch(r"(\d+),(\d) %", text.strip())
    assert match, text
    return float(f"{match.group(1)}.{match.group(2)}")


def test_an_editor_plans_a_chief_goes_live_and_coverage_moves(
    live_server: str, page: Any, browser: Any
) -> None:
    from playwright.sync_api import expect

    # the editor proposes a plan for the three apps with capacity 2 ...
    log_in(page, live_server, EDITOR, then="/udrulning/foreslaa")
    for app in ("Bilagsapp", "Kørselsapp", "Fraværsapp"):
        expect(page.get_by_label(app, exact=True)).to_be_checked()
    page.get_by_label("Start").fill(f"{today():%d%m%Y}")  # ddmmåååå, as typed on a keypad
    page.get_by_label("Kapacitet").fill("2")
    page.get_by_role("button", name="Foreslå plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forslag til udrulningsplan")
    expect(page.locator(".summary-counts")).to_contain_text("Kapacitet: 2")
    planned = int(page.locator("#plan-count").inner_text())
    assert planned > 0
    assert page.locator("table.plan-cells tbody tr").count() >= planned
    expect(page.locator("table.plan-cells")).to_contain_text("starter ved planens start")
    # ... and uses it: back on the grid with the count
    page.get_by_role("button", name="Brug planen").click()
    page.wait_for_url(f"{live_server}/udrulning/")
    expect(page.get_by_text(f"Planen er brugt: {planned} celler er planlagt.")).to_be_visible()
    before = _actual_share_today(page, live_server)
    assert page.console_errors == []

    # the chief of Økonomi & Stab marks the fraværsapp live there, from the grid
    chief = browser.new_context(locale="da-DK", viewport={"width": 1400, "height": 1000})
    try:
        other = chief.new_page()
        other.set_default_timeout(30_000)
        log_in(other, live_server, OWNER, then="/udrulning/")
        other.get_by_role("link", name=re.compile(f"redigér {APP} i {CHIEF_DEPARTMENT}")).click()
        other.get_by_label("Tilstand").select_option(label="I drift")
        other.get_by_role("button", name="Gem").click()
        expect(other.locator("body")).not_to_contain_text("Adgang nægtet")
        after = _actual_share_today(other, live_server)
    finally:
        chief.close()
    assert after > before
