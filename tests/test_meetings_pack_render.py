"""The Word and PDF packs read well when rendered: the demo pack's DOCX as LibreOffice lays it out
(as Word would show it) and its HTML as headless Chromium prints it, both read back with
pdftotext. No word of a table is broken across lines, and no project's card is split across
pages. One rendering per format for the whole module."""

from __future__ import annotations

import re
import shutil
import subprocess  # noqa: S404 - LibreOffice and poppler with fixed arguments
from collections import Counter
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn
from sqlmodel import Session

from portfolio import create_app
from portfolio.db import make_engine
from portfolio.demo.services import load_demo_portfolio
from portfolio.exporters.chromium import find_chromium
from portfolio.meetings import services as svc
from portfolio.meetings.docx_layout import column_extents, layout_table, text_width
from portfolio.meetings.export import export_pack
from portfolio.meetings.pack import PackMode
from portfolio.meetings.pack_docx import TEXT_WIDTH
from portfolio.projects.services import ProjectFilter
from tests.conftest import IN_CI

# One pytest-xdist worker runs the whole module: each rendering is a module fixture, made once.
pytestmark = pytest.mark.xdist_group("pack-render")

SOFFICE = shutil.which("soffice")
PDFTOTEXT = shutil.which("pdftotext")
# The words the issue saw broken ("Bibliote ksautom ater", "Gennemf ørelse", "Anskaffe lse").
SEEN_BROKEN = ("Biblioteksautomater", "Gennemførelse", "Anskaffelse")
_WORD = re.compile(r"[^\W\d_]+")
_TOKEN = re.compile(r"\S+")


def _tool(path: str | None, message: str) -> str:
    if path is None:
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def _words(text: str) -> list[str]:
    """The words of `text` a reader would see broken: letters only, longer than 3."""
    return [w for w in _WORD.findall(text) if len(w) > 3]


def _pages(pdf: Path) -> list[str]:
    done = subprocess.run(  # noqa: S603
        [_tool(PDFTOTEXT, "pdftotext not found (apt-get install poppler-utils)"), "-layout"]
        + [str(pdf), "-"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout.decode("utf-8").split("\f")


def _fragments(text: str, words: set[str], vocabulary: set[str]) -> list[str]:
    """Words broken across two lines of pdftotext's layout: a line's token is the start of a
    word, and no word of the text itself, and the token below it (in the same column) goes on
    with the rest."""
    found: list[str] = []
    lines = text.splitlines()
    for above, below in zip(lines, lines[1:], strict=False):
        under = [(m.start(), m.group()) for m in _TOKEN.finditer(below)]
        for match in _TOKEN.finditer(above):
            head = match.group().lstrip("([„“\"'")
            if len(head) < 2 or not head.isalpha() or head in vocabulary:
                continue
            column = match.start() + len(match.group()) - len(head)
            for start, token in under:
                if abs(start - column) > 3:
                    continue
                tail = re.match(r"[^\W\d_]+", token)
                if tail is None:
                    continue
                joined = head + tail.group()
                found.extend(
                    f"{head}|{tail.group()} ({w})"
                    for w in words
                    if w.startswith(joined) and w != head
                )
    return found


# --- the demo pack, made once --------------------------------------------------------------


@dataclass(frozen=True)
class Demo:
    folder: Path
    docx: bytes
    html: str
    pdf: bytes | None  # None without Chromium


@pytest.fixture(scope="module")
def demo(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo portfolio with a complete meeting that takes up the rollout, the finance
    section and the pool's orientation, exported as DOCX (its charts as tables of numbers:
    more tables to check), as HTML and, with Chromium, as PDF."""
    folder = tmp_path_factory.mktemp("pack-render")
    shutil.copy(sqlite_template, folder / "demo.sqlite")
    url = f"sqlite:///{folder / 'demo.sqlite'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "t"})
    engine = make_engine(url)
    try:
        with app.app_context(), Session(engine) as session:
            load_demo_portfolio(session=session, actor="demo")
            meeting = svc.create_meeting(
                session=session,
                meeting_date=date(2026, 12, 8),
                mode=PackMode.complete,
                actor="demo",
                include_rollout=True,
                include_finance=True,
                include_pool_orientation=True,
            )
            session.commit()

            def export(fmt: str, chromium: str | None = None) -> bytes:
                return export_pack(
                    session=session,
                    meeting=meeting,
                    flt=ProjectFilter(),
                    fmt=fmt,
                    chromium=chromium,
                )

            chromium = find_chromium(None)
            return Demo(
                folder,
                export("docx"),
                export("html").decode("utf-8"),
                export("pdf", chromium) if chromium else None,
            )
    finally:
        engine.dispose()
        app.extensions["portfolio_db"].dispose()


@pytest.fixture(scope="module")
def document(demo: Demo) -> Any:
    return docx.Document(BytesIO(demo.docx))


@pytest.fixture(scope="module")
def word_pages(demo: Demo) -> list[str]:
    """The DOCX as LibreOffice lays it out, page by page."""
    soffice = _tool(SOFFICE, "soffice not found (apt-get install libreoffice-writer-nogui)")
    source = demo.folder / "pack.docx"
    source.write_bytes(demo.docx)
    out = demo.folder / "lo"
    subprocess.run(  # noqa: S603
        [
            soffice,
            f"-env:UserInstallation=file://{demo.folder / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(source),
        ],
        capture_output=True,
        check=True,
        timeout=180,
    )
    return _pages(out / "pack.pdf")


@pytest.fixture(scope="module")
def chromium_pages(demo: Demo) -> list[str]:
    """The HTML pack as headless Chromium prints it (the PDF export), page by page."""
    if demo.pdf is None:
        _tool(None, "Chromium not found (apt-get install chromium)")
    pdf = demo.folder / "pack.pdf"
    pdf.write_bytes(demo.pdf or b"")
    return _pages(pdf)


def _cell_texts(document: Any) -> list[str]:
    return [cell.text for table in document.tables for row in table.rows for cell in row.cells]


def _all_texts(document: Any) -> list[str]:
    return [p.text for p in document.paragraphs] + _cell_texts(document)


class _TableText(HTMLParser):
    """The text of the HTML pack's table cells that print (not the charts' tables, which the
    print stylesheet hides behind the drawn charts)."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._cell: list[str] | None = None
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "details":
            self._hidden += 1 if "chart-table" in classes or self._hidden else 0
        elif tag in ("td", "th") and not self._hidden:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "details" and self._hidden:
            self._hidden -= 1
        elif tag in ("td", "th") and self._cell is not None:
            self.cells.append(" ".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


# --- the Word document as rendered ----------------------------------------------------------


def test_no_word_of_a_docx_table_is_broken_across_lines(
    document: Any, word_pages: list[str]
) -> None:
    words = {w for text in _cell_texts(document) for w in _words(text)}
    assert set(SEEN_BROKEN) <= words  # the demo has the words the issue saw broken
    rendered = "\n".join(word_pages)
    vocabulary = {w for text in _all_texts(document) for w in _WORD.findall(text)}
    assert _fragments(rendered, words, vocabulary) == []
    # Every time the document holds a word, the rendering shows it whole (the repeated
    # header rows of a table running over pages may add some).
    written = Counter(w for text in _all_texts(document) for w in _words(text))
    shown = Counter(_words(rendered))
    short = {w: (shown[w], written[w]) for w in words if shown[w] < written[w]}
    assert short == {}, "shown whole fewer times than written: " + repr(short)


def test_no_project_card_is_split_across_pages(document: Any, word_pages: list[str]) -> None:
    cards = [
        [cell.text for cell in (table.rows[0].cells[1], table.rows[-1].cells[0])]
        for table in document.tables
        if len(table.columns) == 2 and table.rows[0].cells[0].text == "Projekt"
    ]
    assert len(cards) >= 5  # the demo's projects for decision
    rendered = "\f\n".join(word_pages)
    at = rendered.index("Til beslutning")
    for name, last_field in cards:
        title = re.compile(r"^[ \t]*Projekt[ \t]+" + re.escape(name.split()[0]), re.MULTILINE)
        found = title.search(rendered, at)
        assert found is not None, name
        end = re.compile(rf"^[ \t]*{re.escape(last_field)}[ \t]", re.MULTILINE).search(
            rendered, found.end()
        )
        assert end is not None, name
        assert "\f" not in rendered[found.start() : end.start()], f"{name} is split"
        at = end.end()


def test_docx_tables_have_fixed_widths_that_fit_the_page_and_the_words(document: Any) -> None:
    """What Word reads: the fixed layout, a width on every cell, rows that do not split; wide
    tables in a landscape section."""
    body = document.element.body
    landscape = 0
    for table in document.tables:
        tbl = table._tbl
        assert tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        grid = [int(c.get(qn("w:w"))) for c in tbl.tblGrid.findall(qn("w:gridCol"))]
        for row in table.rows:
            assert row._tr.trPr.find(qn("w:cantSplit")) is not None
            assert [int(c.width.twips) for c in row.cells] == grid
        # The section a table is in: the next section break after it, or the body's last.
        breaks = (p.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") for p in tbl.itersiblings())
        sect = next((b for b in breaks if b is not None), body.sectPr)
        size = sect.find(qn("w:pgSz"))
        wide = int(size.get(qn("w:w"))) > int(size.get(qn("w:h")))
        landscape += wide
        assert sum(grid) <= TEXT_WIDTH[wide]
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        sizes = {
            r.font.size.pt
            for row in table.rows
            for c in row.cells
            for r in c.paragraphs[0].runs
            if r.font.size
        }
        least, _most = column_extents(rows, max(sizes, default=11))
        for width, needed in zip(grid, least, strict=True):
            assert width >= needed * 20 - 1, (rows[0], grid, least)
    assert landscape >= 2  # Til orientering's seven columns, the ledger's six


def test_a_table_too_wide_for_an_upright_page_turns_landscape_then_shrinks() -> None:
    narrow = [["Post", "Beløb"], ["Indskud", "600.000 kr."]]
    layout = layout_table(narrow, portrait_twips=9071, landscape_twips=14003)
    assert (layout.landscape, layout.size_pt, layout.fits, sum(layout.widths)) == (
        False,
        11,
        True,
        9071,
    )
    wide = [["Gevinstrealisering"] * 6]
    layout = layout_table(wide, portrait_twips=9071, landscape_twips=14003)
    assert layout.landscape and layout.fits and layout.size_pt < 11
    assert min(layout.widths) >= text_width("Gevinstrealisering", layout.size_pt, bold=True) * 20
    # An address or a formula longer than any word may break: it claims no column of its own.
    address = [["https://www.kombit.dk/indhold/sags-og-partsoverblik", "Gennemførelse"]]
    layout = layout_table(address, portrait_twips=9071, landscape_twips=14003)
    assert (layout.landscape, layout.fits) == (False, True)
    # No page holds the words: the smallest size, and every column in proportion.
    hopeless = [["Gevinstrealisering"] * 20]
    layout = layout_table(hopeless, portrait_twips=9071, landscape_twips=14003)
    assert not layout.fits and layout.landscape and sum(layout.widths) == 14003
    assert len(set(layout.widths[:-1])) == 1


# --- the PDF as Chromium prints it -----------------------------------------------------------


def test_no_word_of_a_pdf_table_is_broken_across_lines(
    demo: Demo, chromium_pages: list[str]
) -> None:
    parser = _TableText()
    parser.feed(demo.html)
    words = {w for text in parser.cells for w in _words(text)}
    assert set(SEEN_BROKEN) <= words
    rendered = "\n".join(chromium_pages)
    assert _fragments(rendered, words, set(_WORD.findall(demo.html))) == []
    shown = set(_words(rendered))
    assert sorted(words - shown) == []
