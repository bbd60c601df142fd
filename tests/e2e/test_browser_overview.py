"""A reader in a real browser: every chart is drawn, and a click on a bar filters the page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import plotly
import pytest

from tests.e2e.conftest import READER, log_in

pytestmark = pytest.mark.e2e

CHARTS = [
    "chart-traffic-light",
    "chart-scope",
    "chart-trend",
    "chart-department",
    "chart-phase",
    "chart-budget-scope",
    "chart-budget-department",
    "chart-timeline",
]
ROWS = "table.overview-projects tbody tr"


@pytest.fixture(autouse=True)
def _as_chefforum_member(live_server: str, page: Any) -> None:
    """The overview is what Chefforum reads: every test here runs as a reader."""
    log_in(page, live_server, READER)


def _drawn(page: Any) -> None:
    """Wait until plotly has drawn every chart (no wait_for_function: the CSP forbids eval)."""
    from playwright.sync_api import expect

    for chart_id in CHARTS:
        expect(page.locator(f"#{chart_id} svg.main-svg").first).to_be_visible()


def _open(page: Any, url: str) -> None:
    page.goto(url)
    _drawn(page)


def _query(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_the_front_page_draws_every_chart(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    _open(page, f"{live_server}/")
    expect(page).to_have_url(re.compile(r"/overblik/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Overblik over porteføljen")
    for chart_id in CHARTS:
        chart = page.locator(f"#{chart_id}")
        expect(chart.locator("svg.main-svg").first).to_be_visible()
        expect(chart).to_have_attribute("role", "img")
        assert chart.get_attribute("aria-label")
    assert page.locator("#chart-scope .bars .point").count() > 0
    assert page.locator("#chart-timeline .bars .point").count() >= 30
    assert page.locator("#chart-trend .scatterlayer .trace").count() == 3
    # Danish words in the drawn charts, status in words as well as colour
    expect(page.locator("#chart-scope")).to_contain_text("Nationalt skal-projekt")
    expect(page.locator("#chart-traffic-light")).to_contain_text("Rød")
    expect(page.locator("#chart-timeline")).to_contain_text("I dag")
    # the numbers as a table, one click away
    page.locator("#chart-scope").locator("xpath=..").get_by_text("Vis som tabel").click()
    expect(page.locator("#chart-scope ~ details table")).to_be_visible()
    assert page.console_errors == []


def test_clicking_a_bar_filters_the_table(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    _open(page, f"{live_server}/overblik/")
    total = page.locator(ROWS).count()
    assert total >= 38

    # the red bar of the traffic light: the first bar, worst first
    page.locator("#chart-traffic-light .bars .point path").first.click(force=True)
    expect(page).to_have_url(re.compile(r"status=red"))
    _drawn(page)
    red = page.locator(ROWS).count()
    assert 0 < red < total
    for i in range(red):
        expect(page.locator(ROWS).nth(i).locator(".status")).to_have_text(re.compile("Rød"))
    expect(page.locator("input[name=status][value=red]")).to_be_checked()

    # a segment of the project-type chart narrows it further, keeping the status filter
    segment = page.locator("#chart-scope .bars .point path").first
    segment.click(force=True)
    expect(page).to_have_url(re.compile(r"scope="))
    query = _query(page)
    assert query["status"] == ["red"]
    (scope,) = query["scope"]
    label = {
        "national": "Nationalt skal-projekt",
        "municipal": "Fælles for hele kommunen",
        "department": "Afdelingsprojekt",
    }[scope]
    _drawn(page)
    narrowed = page.locator(ROWS).count()
    assert 0 < narrowed <= red
    for i in range(narrowed):
        expect(page.locator(ROWS).nth(i).locator("td[data-label=Projekttype]")).to_have_text(label)
    assert page.console_errors == []


def test_a_timeline_bar_opens_its_project(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    _open(page, f"{live_server}/overblik/?group=department")
    expect(page.locator("#chart-timeline")).to_contain_text("ØKONOMI & STAB")
    page.locator("#chart-timeline .bars .point path").first.click(force=True)
    expect(page).to_have_url(re.compile(r"/projekter/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.console_errors == []


def test_printing_hides_the_filters_and_fits_a4_landscape(live_server: str, page: Any) -> None:
    _open(page, f"{live_server}/overblik/")
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert not page.locator("form.filters").is_visible()
    assert not page.locator("details.chart-table").first.is_visible()
    # redrawn at paper width: A4 landscape leaves 273 mm (about 1030 px) inside the margins
    widths = page.evaluate(
        "Array.from(document.querySelectorAll('.chart svg.main-svg:first-of-type'))"
        ".map(s => s.getBoundingClientRect().width)"
    )
    assert len(widths) == len(CHARTS)
    assert max(widths) <= 1000
    assert sorted(widths)[0] <= 500  # two abreast
    pdf = page.pdf(prefer_css_page_size=True)
    width, height = (
        float(v) for v in re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf).groups()
    )
    assert (round(width), round(height)) in {(842, 595), (842, 596)}  # A4 landscape, in points
    assert page.console_errors == []


def test_plotly_css_is_the_stylesheet_the_bundled_plotly_js_would_inject(browser: Any) -> None:
    """plotly.css stands in for the <style> plotly.js adds (refused by the CSP); after a
    plotly upgrade, regenerate it from the rules this test prints."""
    bundle = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    ours = Path(__file__).resolve().parents[2] / "portfolio" / "static" / "css" / "plotly.css"
    page = browser.new_page()
    try:
        page.set_content("<html><head></head><body></body></html>")
        page.add_script_tag(path=str(bundle))
        injected = page.evaluate(
            "Array.from(document.getElementById('plotly.js-style-global').sheet.cssRules)"
            ".map(r => r.cssText)"
        )
        page.set_content("<html><head></head><body></body></html>")
        page.add_style_tag(path=str(ours))
        served = page.evaluate("Array.from(document.styleSheets[0].cssRules).map(r => r.cssText)")
    finally:
        page.close()
    assert served == injected, "\n".join(injected)
