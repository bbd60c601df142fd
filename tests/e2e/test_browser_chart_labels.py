"""Charts on a phone (320 px) stay readable: no text under 12 px, no tick label turned on its
side or over another, none cut off at the chart's edge; the pool's waterfall lies down there and
stands up again on a wide screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import EDITOR, log_in

pytestmark = pytest.mark.e2e

NARROW = {"width": 320, "height": 640}
WIDE = {"width": 1400, "height": 1000}
POOL = "Digitaliseringsrådets pulje"

# Every text plotly drew in each chart: its size, whether it (or its group) is rotated, and
# whether it reaches past the chart's box (cut off on screen).
CHART_TEXT = """() => {
  const found = [];
  for (const chart of document.querySelectorAll('.chart[data-figure]')) {
    const box = chart.getBoundingClientRect();
    for (const text of chart.querySelectorAll('svg text')) {
      const shown = text.getBoundingClientRect();
      if (!text.textContent.trim() || !shown.width) continue;
      const turned = [text, text.parentElement].some(
        el => /rotate\\((?!0[,)])/.test(el.getAttribute('transform') || ''));
      found.push({chart: chart.id, text: text.textContent.trim(),
                  size: parseFloat(getComputedStyle(text).fontSize),
                  tick: Boolean(text.closest('.xtick, .ytick')), turned: turned,
                  cut: shown.left < box.left - 1 || shown.right > box.right + 1});
    }
    for (const axis of ['xtick', 'ytick']) {  // two labels of one axis over each other
      const ticks = [...chart.querySelectorAll('.' + axis + ' text')]
        .filter(t => t.textContent.trim()).map(t => [t.textContent, t.getBoundingClientRect()]);
      ticks.forEach(([a, p], i) => ticks.slice(i + 1).forEach(([b, q]) => {
        if (p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1 &&
            q.top < p.bottom - 1) {
          found.push({chart: chart.id, text: a + ' / ' + b, size: 99, overlap: true});
        }
      }));
    }
  }
  return found;
}"""
ORIENTATION = "id => document.getElementById(id).data[0].orientation"


def _drawn(page: Any) -> None:
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chart[data-figure]')]"
        ".every(c => c.querySelector('.main-svg'))"
    )


def _unreadable(page: Any, where: str) -> list[str]:
    _drawn(page)
    texts = page.evaluate(CHART_TEXT)
    assert texts, f"{where}: no chart text found"
    problems = []
    for t in texts:
        if t["size"] < 12:
            problems.append(f"{where} {t['chart']}: {t['text']!r} is {t['size']} px")
        if t.get("tick") and t.get("turned"):
            problems.append(f"{where} {t['chart']}: {t['text']!r} is turned on its side")
        if t.get("overlap"):
            problems.append(f"{where} {t['chart']}: {t['text']!r} overlap")
        if t.get("cut"):
            problems.append(f"{where} {t['chart']}: {t['text']!r} is cut off")
    return problems


def test_charts_on_a_phone_have_level_labels_of_12_px_or_more(live_server: str, page: Any) -> None:
    log_in(page, live_server, EDITOR)
    page.set_viewport_size(NARROW)
    problems = []
    for path in ("/overblik/", "/udrulning/diagrammer", "/oekonomi/gevinster/"):
        page.goto(live_server + path)
        problems += _unreadable(page, path)
    page.goto(f"{live_server}/oekonomi/")
    page.get_by_role("link", name=POOL).click()
    waterfall = page.locator(".chart[data-figure]").first.get_attribute("id")
    problems += _unreadable(page, "the pool page")
    assert problems == [], "\n".join(problems)
    assert page.evaluate(ORIENTATION, waterfall) == "h"  # a step a row, its label level

    page.set_viewport_size(WIDE)  # a wider window: the steps stand side by side again
    page.wait_for_function(f"() => ({ORIENTATION})({waterfall!r}) === 'v'")
    assert _unreadable(page, "the pool page, wide") == []
