"""Printing (issue 16): Chromium prints the overview and a meeting page to PDF as a person's
print dialog would (print media); the paper holds the title, when it was printed and the
filter in words, two charts a page and the timeline's date axis on every page of it, but no
menu, no user name and none of the screen's controls."""

from __future__ import annotations

import re
import shutil
import subprocess  # noqa: S404 - poppler's pdftotext with fixed arguments
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import EDITOR, log_in
from tests.e2e.test_browser_reflow import PUBLISHED_MEETING, site  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e

USER_NAME = "IT-projektrådet (demo)"  # EDITOR's name, in the header on screen
# The header's menu and account, and the pages' screen-only controls.
SCREEN_ONLY = (
    "Økonomi og gevinster",
    "Nyt projekt",
    "Log ud",
    "Sprog",
    USER_NAME,
    "Hent som Excel",
    "Anvend filtre",
    "Vis som tabel",
    "Gruppér efter",
    "Rul vandret",
)
PAIRED_CHARTS = (
    "Trafiklys",
    "Projekter efter projekttype",
    "Status over tid",
    "Projekter efter afdeling",
    "Projekter efter fase",
    "Budget efter projekttype",
    "Budget efter afdeling",
)


def _printed(page: Any, tmp_path: Path, name: str) -> list[str]:
    """The page printed to A4 by Chromium, as text, one string per sheet of paper."""
    page.emulate_media(media="print")
    target = tmp_path / f"{name}.pdf"
    target.write_bytes(page.pdf(prefer_css_page_size=True))
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext (poppler-utils) is needed"
    text = subprocess.run(  # noqa: S603 - fixed arguments, a file of our own
        [pdftotext, "-layout", str(target), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [sheet for sheet in text.split("\f") if sheet.strip()]


def _lines(sheet: str) -> set[str]:
    return {" ".join(line.split()) for line in sheet.splitlines()}


def test_the_overview_prints_with_title_date_and_filter_two_charts_a_page(
    site: dict[str, Any],  # noqa: F811
    browser: Any,
    tmp_path: Path,
) -> None:
    context = browser.new_context(locale="da-DK", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        base = site["base"]
        log_in(page, base, EDITOR)
        page.goto(f"{base}/overblik/?kind=strategic")
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.chart[data-figure]'))"
            ".every(c => c.querySelector('.main-svg'))"
        )
        sheets = _printed(page, tmp_path, "overblik")
        today = datetime.now(ZoneInfo("Europe/Copenhagen")).strftime("%d-%m-%Y")
    finally:
        context.close()
    whole = "\n".join(sheets)
    first = " ".join(sheets[0].split())
    assert "Overblik over porteføljen" in first
    assert f"Udskrevet {today}" in first
    assert "Strategisk / operationelt: Strategisk" in first  # the filter, in words
    for text in SCREEN_ONLY:
        assert text not in whole, text

    # Two charts a sheet, in the screen's order; then the timeline on sheets of its own.
    titles = [[t for t in PAIRED_CHARTS if t in " ".join(sheet.split())] for sheet in sheets]
    assert [t for t in titles if t] == [
        list(PAIRED_CHARTS[i : i + 2]) for i in range(0, len(PAIRED_CHARTS), 2)
    ]
    timeline = [s for s in sheets if {"Tidslinje", "Tidslinje (fortsat)"} & _lines(s)]
    assert len(timeline) >= 2  # the strategic projects' timeline is taller than a sheet
    for sheet in timeline:
        # the date axis on top of every part: year ticks above the first project row
        head = sheet.split("\n")[:6]
        assert any(re.search(r"\b20\d\d\b", line) for line in head), sheet[:400]


def test_a_meeting_page_prints_the_pack_without_the_screens_controls(
    site: dict[str, Any],  # noqa: F811
    browser: Any,
    tmp_path: Path,
) -> None:
    context = browser.new_context(locale="da-DK", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        log_in(page, site["base"], EDITOR)
        page.goto(f"{site['base']}/moeder/{PUBLISHED_MEETING.isoformat()}")
        assert page.get_by_text("Notér beslutning").count() > 0  # on screen, for the editor
        whole = "\n".join(_printed(page, tmp_path, "moede"))
    finally:
        context.close()
    for text in ("Sagsfremstilling", "Til beslutning", "Indstilling"):
        assert text in whole, text
    for text in (
        "Notér beslutning",
        "Ret beslutning",
        "Udsnit af pakken",  # the filter panel
        "Hent som PDF",
        "Notér Chefforums beslutning",
        "Handling",  # the column of controls
        *SCREEN_ONLY,
    ):
        assert text not in whole, text
