"""A user in a real browser: filter the list, open a project, change its status, see the history."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import EDITOR, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _as_editor(live_server: str, page: Any) -> None:
    """The IT project council maintains the register: these tests run as an editor."""
    log_in(page, live_server, EDITOR)


def test_filter_open_a_project_and_update_its_status(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server}/projekter/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Projekter")
    total = page.locator("table.projects tbody tr").count()
    assert total >= 38

    # Filter to red projects with the checkbox group, as a user would.
    page.locator("summary", has_text="Status").click()
    page.get_by_label("Rød").check()
    page.get_by_role("button", name="Anvend filtre").click()
    expect(page).to_have_url(re.compile(r"status=red"))
    rows = page.locator("table.projects tbody tr")
    count = rows.count()
    assert 0 < count < total
    for i in range(count):
        expect(rows.nth(i).locator(".status")).to_have_text(re.compile("Rød"))
    expect(page.locator(".result-count")).to_have_text(f"{count} projekter")

    # The filtered view survives a reload: it lives in the URL.
    page.reload()
    assert page.locator("table.projects tbody tr").count() == count
    assert parse_qs(urlsplit(page.url).query)["status"] == ["red"]

    # Open the first red project and turn it yellow with a comment.
    name = rows.first.locator("th a").inner_text()
    rows.first.locator("th a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.get_by_label("Ny status").select_option("yellow")
    page.get_by_label("Statuskommentar").fill("Ny leverandørplan godkendt – tilbage på sporet")
    page.get_by_role("button", name="Gem status").click()

    expect(page.get_by_role("status").first).to_have_text("Status er opdateret.")
    history = (
        page.locator("table.history tbody tr")
        .filter(has=page.get_by_role("cell", name="Status", exact=True))
        .first
    )
    expect(history).to_contain_text("Rød")
    expect(history).to_contain_text("Gul")
    expect(page.locator("table.history")).to_contain_text(
        "Ny leverandørplan godkendt – tilbage på sporet"
    )
    assert page.console_errors == []


def test_sorting_by_a_column_header_and_keyboard_skip_link(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server}/projekter/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Spring til indhold")).to_be_focused()
    page.get_by_role("link", name="Budget (kr.)").click()
    expect(page).to_have_url(re.compile(r"sort=budget_dkk"))
    page.get_by_role("link", name=re.compile(r"Budget \(kr\.\)")).click()
    expect(page).to_have_url(re.compile(r"dir=desc"))
    budgets = page.locator("table.projects tbody td.num").all_inner_texts()
    values = [int(re.sub(r"\D", "", b)) for b in budgets if b]
    assert values == sorted(values, reverse=True)
    assert page.console_errors == []


def test_a_new_project_with_a_mistake_is_explained_and_kept(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server}/projekter/ny")
    page.get_by_label("Projektnavn").fill("Digital dørtelefon")
    page.get_by_label("Budget (kr.)").fill("en del")
    page.get_by_role("button", name="Opret projekt").click()
    expect(page.locator(".error-summary")).to_contain_text("Skriv beløbet i hele kroner")
    expect(page.get_by_label("Projektnavn")).to_have_value("Digital dørtelefon")
    page.get_by_label("Budget (kr.)").fill("1.250.000")
    page.get_by_role("button", name="Opret projekt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Digital dørtelefon")
    expect(page.locator(".facts").first).to_contain_text("1.250.000 kr.")
