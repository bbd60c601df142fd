"""The pack as PDF and the charts as PNG, made by the real headless Chromium: the text is there
as text (escaped, not run), the charts are drawn, and a missing or stuck browser is a clear
error in Danish."""

from __future__ import annotations

import shutil
import struct
import subprocess  # noqa: S404 - poppler's tools with fixed arguments
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from portfolio import create_app
from portfolio.exporters.chromium import (
    ChromiumFailed,
    ChromiumMissing,
    chart_images,
    find_chromium,
    html_to_pdf,
)
from portfolio.meetings.charts import PackChart, pack_charts
from portfolio.meetings.pack_html import render_pack_for_print
from tests.conftest import IN_CI
from tests.pack_fixtures import SCRIPT, make_pack

# One pytest-xdist worker runs the whole module: the printed PDF is a module fixture, built once.
pytestmark = pytest.mark.xdist_group("pack-pdf")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RED = (0xB4, 0x23, 0x18)  # charts.STATUS_COLOURS["red"]
POPPLER = {name: shutil.which(name) or name for name in ("pdftoppm", "pdftotext")}


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_chromium(None)
    missing = [name for name, path in POPPLER.items() if not Path(path).is_absolute()]
    if found is None or missing:
        message = (
            f"Chromium or {missing} not found on PATH (apt-get install chromium poppler-utils)"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def charts() -> list[PackChart]:
    return pack_charts(make_pack())


@pytest.fixture(scope="module")
def pdf(
    chromium: str, charts: list[PackChart], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("pdf")
    app = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{folder}/x.sqlite", "SECRET_KEY": "t"}
    )
    with app.app_context():
        html = render_pack_for_print(make_pack(), charts)
    started = time.monotonic()
    data = html_to_pdf(html, chromium=chromium)
    assert time.monotonic() - started < 30  # a normal pack prints in a few seconds
    path = folder / "pack.pdf"
    path.write_bytes(data)
    yield path


def _text(pdf: Path) -> str:
    done = subprocess.run(  # noqa: S603
        [POPPLER["pdftotext"], "-layout", str(pdf), "-"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout.decode("utf-8")


def _ppm_pixels(path: Path) -> list[bytes]:
    """The pages of a binary PPM (P6) stream, each as raw RGB bytes."""
    data = path.read_bytes()
    pages = []
    while data:
        parts = data.split(maxsplit=4)
        assert parts[0] == b"P6"
        width, height, _maximum = int(parts[1]), int(parts[2]), int(parts[3])
        size = width * height * 3
        pages.append(parts[4][:size])
        data = parts[4][size:]
    return pages


def _count(rgb: bytes, colour: tuple[int, int, int], tolerance: int = 4) -> int:
    r, g, b = colour
    return sum(
        1
        for x, y, z in zip(rgb[0::3], rgb[1::3], rgb[2::3], strict=True)
        if abs(x - r) <= tolerance and abs(y - g) <= tolerance and abs(z - b) <= tolerance
    )


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_pdf_is_a_pdf_with_pages_poppler_can_draw(pdf: Path, tmp_path: Path) -> None:
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(  # noqa: S603
        [POPPLER["pdftoppm"], "-r", "60", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages
    for page in pages:
        width, height = _png_size(page.read_bytes())
        assert min(width, height) > 400  # A4 at 60 dpi: 496 × 702 (or landscape)


def test_the_pdf_holds_the_agenda_and_the_hostile_text_as_plain_text(pdf: Path) -> None:
    text = _text(pdf)
    positions = [
        text.find(f"\n{heading}\n")
        for heading in ("Anledning", "Sagsfremstilling", "Indstilling", "Beslutning", "Bilag")
    ]
    assert -1 not in positions and positions == sorted(positions), positions
    assert "Til beslutning" in text and "Ændringer siden sidste møde" in text
    assert "Kørselsapp" in text and "Porteføljeoversigt" in text
    # Printed as letters: the page escaped it, no script ran.
    assert SCRIPT in text.replace("\n", "")
    assert "Offentliggjort 01-12-2026" in text


def test_a_formula_or_an_address_breaks_rather_than_push_a_column_off_the_paper(
    pdf: Path,
) -> None:
    """The tables' columns are as wide as their longest word; a token longer than any word
    (the hostile formula, an address) breaks instead, so the decision table's last column,
    Beslutning, is still on the page (without that, Chromium cut it off)."""
    [header] = [
        line for line in _text(pdf).splitlines() if "Projektnavn" in line and "Begrundelse" in line
    ]
    assert header.split()[-1] == "Beslutning", header


def test_the_charts_are_drawn_before_printing(pdf: Path, tmp_path: Path) -> None:
    assert "Antal projekter" in _text(pdf)  # the charts' axis title, drawn by plotly.js
    out = tmp_path / "pages.ppm"
    with out.open("wb") as f:
        subprocess.run(  # noqa: S603
            [POPPLER["pdftoppm"], "-r", "60", str(pdf)], stdout=f, check=True, timeout=60
        )
    red = sum(_count(page, RED) for page in _ppm_pixels(out))
    # The red bars (about 9,000 pixels); without charts only the badges' thin red borders
    # have this colour (about 50).
    assert red > 1000, red


def test_chart_images_gives_a_png_per_chart_at_twice_1000_px(
    chromium: str, charts: list[PackChart]
) -> None:
    started = time.monotonic()
    images = chart_images(charts, chromium=chromium)
    assert time.monotonic() - started < 40
    assert set(images) == {chart.id for chart in charts}
    for chart in charts:
        width, height = _png_size(images[chart.id])
        assert width == 2000
        assert height == 2 * (chart.figure.layout.height or 500)


def test_find_chromium_takes_the_configured_browser_or_none(tmp_path: Path) -> None:
    assert find_chromium("/nonexistent/chromium") is None
    browser = tmp_path / "my-chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    assert find_chromium(str(browser)) == str(browser)


def test_a_missing_or_stuck_browser_is_a_danish_error(tmp_path: Path) -> None:
    message = str(ChromiumMissing())
    assert "PDF kræver Chromium på serveren" in message and "HTML" in message
    with pytest.raises(ChromiumMissing):
        html_to_pdf("<p>x</p>", chromium=str(tmp_path / "no-such-browser"))
    broken = tmp_path / "broken"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    with pytest.raises(ChromiumFailed, match="fejlkode 3"):
        html_to_pdf("<p>x</p>", chromium=str(broken))
    stuck = tmp_path / "stuck"
    stuck.write_text("#!/bin/sh\nexec sleep 30\n")
    stuck.chmod(0o755)
    started = time.monotonic()
    with pytest.raises(ChromiumFailed, match="inden for 1 sekunder"):
        html_to_pdf("<p>x</p>", chromium=str(stuck), timeout=1)
    assert time.monotonic() - started < 10
    silent = tmp_path / "silent"
    silent.write_text("#!/bin/sh\nexit 0\n")
    silent.chmod(0o755)
    with pytest.raises(ChromiumFailed, match="ingen PDF"):
        html_to_pdf("<p>x</p>", chromium=str(silent))
    with pytest.raises(ChromiumFailed, match="diagrammerne"):
        chart_images(pack_charts(make_pack()), chromium=str(silent))
