"""Dates typed the Danish way in a real browser, whatever the browser's own locale: the bug was
Chromium's mm/dd/yyyy date picker turning 08122026 into 12 August."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import EDITOR, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def us_page(browser: Any) -> Iterator[Any]:
    """A browser set to American English, whose date picker would read mm/dd/yyyy."""
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def test_typing_08122026_saves_8_december_and_survives_an_error_elsewhere(
    live_server: str, us_page: Any
) -> None:
    from playwright.sync_api import expect

    page = us_page
    log_in(page, live_server, EDITOR, then="/projekter/ny")
    start = page.get_by_label("Startdato")
    expect(start).to_have_attribute("type", "text")
    expect(start).to_have_attribute("inputmode", "numeric")
    expect(start).to_have_accessible_description("Skriv datoen som dd-mm-åååå, fx 08-12-2026")
    page.get_by_label("Projektnavn").fill("Digital dørtelefon")
    start.press_sequentially("08122026")
    page.get_by_label("Budget (kr.)").fill("en del")
    page.get_by_role("button", name="Opret projekt").click()

    expect(page.locator(".error-summary")).to_contain_text("Skriv beløbet i hele kroner")
    expect(page.get_by_label("Startdato")).to_have_value("08-12-2026")
    page.get_by_label("Budget (kr.)").fill("1.250.000")
    page.get_by_role("button", name="Opret projekt").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Digital dørtelefon")
    facts = page.locator(".facts").first
    expect(facts.locator("dt", has_text="Startdato").locator("+ dd")).to_have_text("08-12-2026")


def test_an_impossible_date_is_refused_at_the_field_in_danish(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    log_in(page, live_server, EDITOR, then="/moeder/")
    page.get_by_label("Mødedato").fill("31-02-2026")
    page.get_by_role("button", name="Opret møde").click()

    box = page.get_by_label("Mødedato")
    expect(box).to_have_value("31-02-2026")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_accessible_description(
        "Skriv datoen som dd-mm-åååå, fx 08-12-2026 "
        "Datoen 31-02-2026 findes ikke i kalenderen. Skriv fx 08-12-2026."
    )
    expect(page).to_have_url(f"{live_server}/moeder/")  # no meeting was made
