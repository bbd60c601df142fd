"""The meeting pack in a real browser: the IT project council prepares, edits, publishes and
downloads it in a few clicks; Chefforum reads it, charts drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from portfolio.i18n import LANGUAGE_COOKIE
from tests.e2e.conftest import EDITOR, READER, log_in

pytestmark = pytest.mark.e2e


def test_prepare_edit_publish_and_export_a_pack(
    live_server: str, page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    log_in(page, live_server, EDITOR)
    page.get_by_role("link", name="Chefforum", exact=True).click()
    page.get_by_label("Mødedato").fill("08-12-2026")
    page.get_by_label("Kun strategiske projekter til beslutning").check()
    page.get_by_role("button", name="Opret møde").click()
    expect(page).to_have_url(f"{live_server}/moeder/2026-12-08")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Chefforum 8. december 2026")

    pack = page.locator("article.pack")
    for heading in ("Anledning", "Sagsfremstilling", "Indstilling", "Beslutning", "Bilag"):
        expect(pack.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(pack.get_by_role("heading", name="Til beslutning", exact=True)).to_be_visible()
    expect(pack.get_by_role("heading", name="Til orientering", exact=True)).to_have_count(0)
    # Charts are drawn by plotly.js (an SVG inside each chart box), with no console errors.
    expect(pack.locator(".chart .main-svg").first).to_be_visible()
    assert page.console_errors == []  # type: ignore[attr-defined]

    page.get_by_text("Redigér dagsordenspunktet").click()
    page.get_by_role("textbox", name="Anledning").fill(
        "Status på de strategiske projekter før budgetseminaret."
    )
    page.get_by_role("button", name="Gem teksten").click()
    expect(page.get_by_role("status").first).to_contain_text("Teksten er gemt")
    expect(pack).to_contain_text("Status på de strategiske projekter før budgetseminaret.")

    page.get_by_label("Jeg har gennemgået pakken").check()
    page.get_by_role("button", name="Offentliggør pakken").click()
    expect(page.get_by_role("status").first).to_contain_text("offentliggjort")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Offentliggjort")

    # After the meeting: Chefforum's decision on a project, which enters its history.
    item = pack.locator("table.pack-decisions tbody tr").first
    name = item.locator("th").inner_text()
    item.get_by_text("Notér beslutning").click()
    item.get_by_role("textbox").fill("Chefforum godkender den nye tidsplan.")
    item.get_by_role("button", name="Gem beslutning").click()
    expect(page.get_by_role("status").first).to_contain_text("Beslutningen er noteret")
    page.goto(f"{live_server}/projekter/?q={name}")
    page.get_by_role("link", name=name, exact=True).first.click()
    expect(page.locator("table.history")).to_contain_text("Chefforum godkender den nye tidsplan.")
    page.goto(f"{live_server}/moeder/2026-12-08")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Hent som PDF").click()
    download = download_info.value
    assert download.suggested_filename == "chefforum-2026-12-08.pdf"
    target = tmp_path / "pakke.pdf"
    download.save_as(target)
    assert target.read_bytes().startswith(b"%PDF")


def test_chefforum_reads_the_published_pack_and_notes_no_decision(
    live_server: str, page: Any
) -> None:
    from playwright.sync_api import expect

    log_in(page, live_server, EDITOR, then="/moeder/")
    page.get_by_label("Mødedato").fill("22.10.2026")
    page.get_by_role("button", name="Opret møde").click()
    page.get_by_label("Jeg har gennemgået pakken").check()
    page.get_by_role("button", name="Offentliggør pakken").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Offentliggjort")
    page.get_by_role("button", name="Log ud").click()

    log_in(page, live_server, READER)
    page.get_by_role("link", name="Chefforum", exact=True).click()
    page.get_by_role("link", name="Chefforum 22. oktober 2026").click()
    expect(page.locator("article.pack")).to_contain_text("Til orientering")
    expect(page.get_by_role("button", name="Gem teksten")).to_have_count(0)
    expect(page.get_by_role("button", name="Offentliggør pakken")).to_have_count(0)
    # The filter narrows the pack, and the URL can be bookmarked.
    page.get_by_text("Udsnit af pakken").click()
    page.locator("summary", has_text="Status").first.click()
    page.get_by_label("Rød", exact=True).check()
    page.get_by_role("button", name="Anvend filtre").click()
    expect(page).to_have_url(f"{live_server}/moeder/2026-10-22?q=&status=red")
    expect(page.locator("article.pack")).to_contain_text("Status: Rød")
    # In the English UI the pack stays a Danish document, its charts too (numbers, months).
    page.context.add_cookies([{"name": LANGUAGE_COOKIE, "value": "en", "url": live_server}])
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    chart = page.locator("article.pack .js-plotly-plot").first
    expect(chart).to_be_visible()
    assert chart.evaluate("gd => gd._context.locale") == "da"
