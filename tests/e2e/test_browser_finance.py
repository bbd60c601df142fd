"""Pools and benefits in a real browser: an editor puts money into the demo's (empty) pool and
grants some of it to a project, the chief of Økonomi & Stab records a measurement on a benefit
they own, and the pool page and the benefits overview show both."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import EDITOR, OWNER, log_in

pytestmark = pytest.mark.e2e

POOL = "Digitaliseringsrådets pulje"
PROJECT = "Bilagsapp"  # the demo grants it nothing from the pool
BENEFIT = "Sparede udgifter til målopfølgning"  # Fælles om Målet's; owner Peter Damgaard (OWNER)


def _pool_page(page: Any, base: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/oekonomi/")
    page.get_by_role("link", name=POOL).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(POOL)


def _rule_row(page: Any, project: str) -> Any:
    return page.locator("table.returns tbody tr").filter(has=page.get_by_role("link", name=project))


def test_an_editor_grants_from_the_pool_a_chief_measures_and_both_show(
    live_server: str, page: Any, browser: Any
) -> None:
    from playwright.sync_api import expect

    # the editor finds the pool as the minutes left it: empty
    log_in(page, live_server, EDITOR, then="/oekonomi/")
    _pool_page(page, live_server)
    expect(page.locator("#pool-balance")).to_have_text("0 kr.")
    # a grant beyond the balance is refused, and nothing is booked
    grant = page.locator("#form-grant")
    grant.get_by_label("Projekt").select_option(label=PROJECT)
    grant.get_by_label("Beløb").fill("60.000")
    grant.get_by_label("eller sagsnr. for beslutningen").fill("85.13.00-000-2-26")
    grant.get_by_role("button", name="Bogfør").click()
    expect(page.get_by_role("alert").first).to_contain_text("større end puljens saldo")
    expect(page.locator("#pool-balance")).to_have_text("0 kr.")
    # the refusal is a 400 page, which the browser reports; nothing else went wrong
    assert [e for e in page.console_errors if "400" not in e] == []
    page.console_errors.clear()

    # so money goes in first ...
    _pool_page(page, live_server)
    deposit = page.locator("#form-deposit")
    deposit.locator("summary").click()
    deposit.get_by_label("Beløb").fill("100.000")
    deposit.get_by_label("Kilde").fill("Budgetforlig 2027")
    deposit.get_by_role("button", name="Bogfør").click()
    expect(page.locator("#pool-balance")).to_have_text("100.000 kr.")
    # ... and then the grant to the Bilagsapp
    grant = page.locator("#form-grant")
    grant.get_by_label("Projekt").select_option(label=PROJECT)
    grant.get_by_label("Beløb").fill("60.000")
    grant.get_by_label("eller sagsnr. for beslutningen").fill("85.13.00-000-2-26")
    grant.get_by_role("button", name="Bogfør").click()
    expect(page.locator("#pool-balance")).to_have_text("40.000 kr.")
    booked = page.locator("table.movements tbody tr").filter(has_text=PROJECT)
    expect(booked).to_have_count(1)
    expect(booked).to_contain_text("Bevilling")
    expect(booked).to_contain_text("60.000 kr.")
    expect(booked).to_contain_text("85.13.00-000-2-26")
    assert page.console_errors == []

    # the chief of Økonomi & Stab records a measurement on their own benefit
    chief = browser.new_context(locale="da-DK", viewport={"width": 1400, "height": 1000})
    try:
        other = chief.new_page()
        other.set_default_timeout(30_000)
        errors: list[str] = []
        other.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        other.on("pageerror", lambda exc: errors.append(str(exc)))
        log_in(other, live_server, OWNER, then="/oekonomi/gevinster/")
        _pool_page(other, live_server)
        before = _rule_row(other, "Fælles om Målet").locator("td").nth(1).inner_text()
        other.goto(f"{live_server}/oekonomi/gevinster/")
        other.get_by_role("link", name=BENEFIT).click()
        expect(other.get_by_role("heading", level=1)).to_have_text(BENEFIT)
        expect(other.locator("#chart-measurements svg.main-svg").first).to_be_visible()
        other.get_by_label("Målt værdi").fill("150.000")
        other.get_by_label("Kommentar").fill("Årsopgørelse fra regnskabet")
        other.get_by_role("button", name="Gem").click()
        expect(other.get_by_text("Målingen er gemt.")).to_be_visible()
        expect(other.locator("#realisation")).to_have_text("100 %")
        history = other.locator("#benefit-history tbody tr").first
        expect(history).to_contain_text("150.000 kr./år")
        expect(history).to_contain_text("Årsopgørelse fra regnskabet")
        expect(history).to_contain_text("Peter Damgaard")

        # the benefits overview shows the measurement ...
        other.goto(f"{live_server}/oekonomi/gevinster/")
        row = other.locator("#benefits-table tbody tr").filter(
            has=other.get_by_role("link", name=BENEFIT)
        )
        expect(row).to_contain_text("150.000 kr./år")
        expect(row).to_contain_text("100 %")
        expect(other.locator("#chart-economic-year svg.main-svg").first).to_be_visible()
        # ... and the pool page shows the grant and what the rule now sends back
        _pool_page(other, live_server)
        expect(other.locator("#pool-balance")).to_have_text("40.000 kr.")
        expect(other.locator("table.movements tbody tr").filter(has_text=PROJECT)).to_contain_text(
            "60.000 kr."
        )
        after = _rule_row(other, "Fælles om Målet").locator("td").nth(1).inner_text()
        assert _kroner(after) > _kroner(before)
        assert errors == []
    finally:
        chief.close()
    assert page.console_errors == []


def _kroner(text: str) -> int:
    digits = re.sub(r"[^\d]", "", text)
    assert digits, text
    return int(digits)
