"""Roles in a real browser: a process owner updates an own project, not another's; a reader
sees no edit controls."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import OWNER, READER, log_in

pytestmark = pytest.mark.e2e


def test_a_process_owner_updates_an_own_project_but_not_another_chiefs(
    live_server: str, page: Any
) -> None:
    from playwright.sync_api import expect

    log_in(page, live_server, OWNER)
    page.get_by_role("link", name="Mine projekter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mine projekter")
    own = page.locator("details.mine-project", has_text="Kørselsapp").first
    own.locator("summary").click()
    own.get_by_label("Ny status").select_option("red")
    own.get_by_label("Statuskommentar").fill("Leverandøren er forsinket – ny plan i januar")
    own.get_by_role("button", name="Gem status", exact=True).click()
    own = page.locator("details.mine-project[open]", has_text="Kørselsapp")
    expect(own.get_by_role("status")).to_contain_text("opdateret")

    page.goto(f"{live_server}/projekter/?q=Kørselsapp")
    page.get_by_role("link", name="Kørselsapp").first.click()
    status_rows = page.locator("table.history tbody tr").filter(
        has=page.get_by_role("cell", name="Status", exact=True)
    )
    expect(status_rows.first).to_contain_text("Rød")
    expect(status_rows.first).to_contain_text("Peter Damgaard")
    audit = page.locator("table.audit tbody")
    expect(audit).to_contain_text("Leverandøren er forsinket – ny plan i januar")

    # A project whose process owner is someone else: no status form, and posting is refused.
    page.goto(f"{live_server}/projekter/")
    rows = page.locator("table.projects tbody tr").filter(has_not_text="Peter Damgaard")
    rows.first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Gem status")).to_have_count(0)
    expect(page.get_by_role("link", name="Redigér")).to_have_count(0)
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post(
        f"{page.url}/status",
        form={"csrf_token": token, "status": "green", "phase": "idea", "version": "1"},
    )
    assert response.status == 403


def test_a_reader_sees_no_edit_controls(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    log_in(page, live_server, READER)
    page.goto(f"{live_server}/projekter/")
    expect(page.get_by_role("link", name="Hent som Excel")).to_be_visible()
    for name in ("Nyt projekt", "Import", "Brugere", "Mine projekter"):
        expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)
    page.locator("table.projects tbody tr").first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for name in ("Gem status", "Arkivér", "Markér som gennemset"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    expect(page.get_by_role("link", name="Arkivér")).to_have_count(0)
    expect(page.get_by_role("link", name="Redigér")).to_have_count(0)
    page.goto(f"{live_server}/projekter/ny")
    expect(page.get_by_role("heading", level=1)).to_have_text("Adgang nægtet")
