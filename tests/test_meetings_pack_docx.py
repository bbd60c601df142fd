"""The pack's Word document is Chefforum's agenda item, and user text in it stays plain text."""

from __future__ import annotations

import dataclasses
import struct
import zlib
from collections.abc import Mapping
from io import BytesIO
from typing import Any

import docx
from docx.oxml.ns import qn
from docx.shared import Cm

from portfolio.domain import label
from portfolio.meetings.charts import pack_charts
from portfolio.meetings.pack import Pack, PackItem, PackMode, change_title, describe_change
from portfolio.meetings.pack_docx import write_pack_docx
from tests.pack_fixtures import FORMULA, PLOTLY_LINK, SCRIPT, make_pack, pack_project

AGENDA = ["Anledning", "Sagsfremstilling", "Indstilling", "Beslutning", "Bilag"]
NO_DRAWING = "Diagrammet kunne ikke tegnes (Chromium mangler); tallene står i tabellen."
NOT_YET = "(Skrives efter mødet)"


def _png(width: int = 4, height: int = 3) -> bytes:
    """A real RGB PNG, built by hand so the test needs no imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    scanlines = b"".join(b"\x00" + b"\xc0\x20\x20" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(scanlines))
        + chunk(b"IEND", b"")
    )


def _export(pack: Pack, images: Mapping[str, bytes] | None = None) -> Any:
    out = BytesIO()
    write_pack_docx(pack, pack_charts(pack), out, images=images)
    return docx.Document(BytesIO(out.getvalue()))


def _headings(doc: Any, prefix: str = "Heading") -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name.startswith(prefix)]


def _texts(doc: Any) -> list[str]:
    """Every paragraph's and every table cell's text, as a reader sees them."""
    texts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            texts.extend(cell.text for cell in row.cells)
    return texts


def _rows(table: Any) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def _decision_table(doc: Any, name: str) -> dict[str, str]:
    tables = [t for t in doc.tables if _rows(t)[0] == ["Projekt", name]]
    assert len(tables) == 1, name
    return dict(_rows(tables[0]))


def test_the_agenda_item_has_title_meeting_line_and_five_parts_in_order() -> None:
    pack = make_pack()
    doc = _export(pack)

    assert _headings(doc, "Title") == [pack.title]
    assert "Mødedato: 8. december 2026 · Offentliggjort 01-12-2026" in _texts(doc)
    assert _headings(doc, "Heading 1") == AGENDA
    headings = _headings(doc)
    inside = headings[headings.index("Sagsfremstilling") : headings.index("Indstilling")]
    subs = ["Til beslutning", "Til orientering", "Ændringer siden sidste møde", "Overblik"]
    assert [h for h in inside if h in subs] == subs
    assert doc.core_properties.title == pack.title


def test_texts_are_split_into_paragraphs_and_bilag_are_numbered() -> None:
    pack = make_pack(hostile=False)
    pack.anledning = "Første afsnit.\n\nAndet afsnit,\nmed linjeskift."
    pack.bilag = ["Porteføljeoversigt", "Gevinstplan"]
    texts = _texts(_export(pack))

    assert "Første afsnit." in texts
    assert "Andet afsnit,\nmed linjeskift." in texts
    bilag = [t for t in texts if t.startswith("Bilag ")]
    assert bilag == ["Bilag 1: Porteføljeoversigt", "Bilag 2: Gevinstplan"]


def test_every_project_for_decision_has_status_word_reasons_and_decisions() -> None:
    pack = make_pack()
    doc = _export(pack)

    for item in pack.for_decision:
        fields = _decision_table(doc, item.project.name)
        assert fields["Status"] == (label(item.project.status) or "Ingen status")
        assert fields["Fase"] == label(item.project.phase)
        for reason in item.reasons:
            assert reason in fields["Begrundelse"]
    esdh = _decision_table(doc, pack.for_decision[0].project.name)
    assert esdh["Status"] == "Rød"
    assert esdh["Statuskommentar"] == f"{SCRIPT} {PLOTLY_LINK}"
    assert esdh["Tidligere beslutning"] == f"22-10-2026: {SCRIPT} {PLOTLY_LINK}"
    assert esdh["Slutdato"] == "30-09-2027 (oprindelig 30-06-2027)"
    assert esdh["Budget"] == "1.250.000 kr."
    assert esdh["Beslutning"] == f"{SCRIPT} {PLOTLY_LINK}"
    new = _decision_table(doc, FORMULA)
    assert new["Status"] == "Ingen status"
    assert new["Procesejer"] == PLOTLY_LINK
    assert new["Beslutning"] == NOT_YET


def test_information_section_lists_operational_projects_with_status_words() -> None:
    pack = make_pack()
    doc = _export(pack)

    tables = [t for t in doc.tables if _rows(t)[0][:2] == ["Projekt", "Projekttype"]]
    assert len(tables) == 1
    rows = _rows(tables[0])[1:]
    assert [r[0] for r in rows] == [i.project.name for i in pack.for_information]
    assert [r[4] for r in rows] == ["Grøn", "Gul"]


def test_every_change_since_the_last_meeting_is_described_under_its_kind() -> None:
    pack = make_pack()
    doc = _export(pack)
    texts = _texts(doc)
    headings = _headings(doc)

    assert pack.changes
    for change in pack.changes:
        assert f"{change.project_name}: {describe_change(change)}" in texts
    for kind, _changes in pack.changes_by_kind():
        assert change_title(kind) in headings


def test_hostile_text_comes_back_verbatim_as_plain_text() -> None:
    pack = make_pack()
    out = BytesIO()
    write_pack_docx(pack, pack_charts(pack), out)
    doc = docx.Document(BytesIO(out.getvalue()))
    texts = _texts(doc)

    assert f"{SCRIPT} {PLOTLY_LINK}" in texts  # the Beslutning and the status comment
    assert f"Nyt ESDH-system {SCRIPT}" in texts
    assert "Bilag 2: " + FORMULA in texts
    assert any(t.endswith(f" {FORMULA}") for t in texts)  # the Anledning
    targets = [rel.target_ref for rel in doc.part.rels.values()]
    assert not [t for t in targets if "evil.example" in t]
    body = doc.element.xml
    assert "<w:hyperlink" not in body and "instrText" not in body and "fldSimple" not in body
    assert "&lt;script&gt;" in body


def test_with_images_every_chart_is_a_picture_with_its_description_as_alt_text() -> None:
    pack = make_pack()
    charts = pack_charts(pack)
    out = BytesIO()
    write_pack_docx(pack, charts, out, images={c.id: _png() for c in charts})
    doc = docx.Document(BytesIO(out.getvalue()))

    shapes = list(doc.inline_shapes)
    assert len(shapes) == len(charts) == 4
    assert [s._inline.docPr.get("descr") for s in shapes] == [c.description for c in charts]
    assert all(abs(s.width - Cm(16)) < Cm(0.1) for s in shapes)
    assert NO_DRAWING not in _texts(doc)
    assert [c.title for c in charts] == [
        h for h in _headings(doc) if h in {c.title for c in charts}
    ]


def test_without_images_each_chart_is_a_table_of_its_numbers_with_a_note() -> None:
    pack = make_pack()
    charts = pack_charts(pack)
    doc = _export(pack, images=None)

    assert len(doc.inline_shapes) == 0
    assert _texts(doc).count(NO_DRAWING) == len(charts)
    all_rows = [_rows(t) for t in doc.tables]
    for chart in charts:
        expected = [chart.columns] + [[n, *map(str, v)] for n, v in chart.rows]
        assert expected in all_rows, chart.id


def test_a_chart_missing_from_images_falls_back_to_its_table() -> None:
    pack = make_pack()
    charts = pack_charts(pack)
    doc = _export(pack, images={charts[0].id: _png()})

    assert len(doc.inline_shapes) == 1
    assert _texts(doc).count(NO_DRAWING) == len(charts) - 1


def test_tables_have_a_header_row_that_repeats_on_every_page() -> None:
    doc = _export(make_pack())

    assert doc.tables
    for table in doc.tables:
        assert table.style.name == "Light Grid Accent 1"
        first, *rest = table.rows
        assert first._tr.trPr.find(qn("w:tblHeader")) is not None
        assert all(r._tr.trPr is None or r._tr.trPr.find(qn("w:tblHeader")) is None for r in rest)


def test_the_page_is_a4_and_the_language_danish() -> None:
    doc = _export(make_pack())

    section = doc.sections[0]
    # Word stores twips, so compare in whole millimetres.
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert round(section.left_margin.mm) == round(section.right_margin.mm) == 25
    assert doc.core_properties.language == "da-DK"
    lang = doc.styles["Normal"].element.rPr.find(qn("w:lang"))
    assert lang.get(qn("w:val")) == "da-DK"


def test_decisions_mode_has_no_information_section() -> None:
    pack = dataclasses.replace(
        make_pack(), mode=PackMode.decisions, for_information=[], other_strategic=[]
    )
    headings = _headings(_export(pack))

    assert "Til beslutning" in headings
    assert "Til orientering" not in headings
    assert "Øvrige strategiske projekter" not in headings
    assert [h for h in headings if h in AGENDA] == AGENDA


def test_a_first_meeting_says_it_is_the_first_review() -> None:
    pack = dataclasses.replace(
        make_pack(), previous_meeting_date=None, changes=[], previous_status=None
    )
    doc = _export(pack)
    texts = _texts(doc)

    assert any("første gennemgang" in t and "komplet status" in t for t in texts)
    headings = _headings(doc)
    assert "Ændringer siden sidste møde" in headings
    assert "Status ændret" not in headings


def test_a_draft_says_kladde_and_leaves_beslutning_to_be_written() -> None:
    pack = make_pack(hostile=False, published=False)
    pack.filter_description = "Afdeling: Børn & Familie"
    doc = _export(pack)
    texts = _texts(doc)

    assert "Mødedato: 8. december 2026 · Kladde" in texts
    assert "Udsnit: Afdeling: Børn & Familie" in texts
    paragraphs = doc.paragraphs
    after = paragraphs[[p.text for p in paragraphs].index("Beslutning") + 1]
    assert after.text == NOT_YET
    assert all(run.italic for run in after.runs)


def test_control_characters_are_dropped_instead_of_breaking_the_export() -> None:
    pack = make_pack(hostile=False)
    project = pack_project(
        9, name="Klokke\x07projekt", status="red", status_comment="Ring\x00\x1f!"
    )
    pack.for_decision = [PackItem(project=project, reasons=("Status rød\x0b",))]
    pack.anledning = "Før\x07efter"
    pack.bilag = ["Bilag\x0ctekst"]
    pack.title = "Chefforum\x07 8. december 2026"
    doc = _export(pack)
    texts = _texts(doc)

    assert "Førefter" in texts
    assert "Bilag 1: Bilagtekst" in texts
    fields = _decision_table(doc, "Klokkeprojekt")
    assert fields["Statuskommentar"] == "Ring!"
    assert fields["Begrundelse"] == "Status rød"
    assert doc.core_properties.title == "Chefforum 8. december 2026"
