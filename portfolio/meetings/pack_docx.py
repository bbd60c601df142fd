"""Writes Chefforum's agenda item (punkt) for a board-meeting pack as a Word document."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from io import BytesIO
from typing import IO, Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.image.exceptions import UnrecognizedImageError
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Mm, Pt, Twips
from flask_babel import gettext as _
from flask_babel import ngettext

from portfolio.domain import label
from portfolio.formats import danish_day, danish_money, long_date
from portfolio.meetings.charts import PackChart, RolloutChart, finance_charts, rollout_charts
from portfolio.meetings.docx_layout import layout_table
from portfolio.meetings.finance_item import (
    FinanceMovement,
    describe_measurement,
    describe_movement,
    movement_title,
    pool_figures,
)
from portfolio.meetings.pack import (
    Pack,
    PackItem,
    PackMode,
    PackProject,
    change_title,
    describe_change,
    review_summary,
    review_title,
)
from portfolio.meetings.rollout_item import (
    RolloutItem,
    describe_rollout_change,
    rollout_change_title,
)

LANGUAGE = "da-DK"
TABLE_STYLE = "Light Grid Accent 1"
PICTURE_WIDTH = Cm(16)
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = Mm(210), Mm(297), Cm(2.5)
# The width between the margins, in twips, on an upright and on a landscape page.
TEXT_WIDTH = {
    False: Emu(PAGE_WIDTH - 2 * MARGIN).twips,
    True: Emu(PAGE_HEIGHT - 2 * MARGIN).twips,
}
BODY_SIZE = 11  # points: the template's Normal style
SHORT_TABLE = 12  # rows: a table this short is kept on one page, like a project's card
# Characters XML 1.0 cannot hold at all (lxml refuses them); CR is folded into LF first.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_DIGIT_HYPHEN = re.compile(r"(?<=\d)-(?=\d)")


def clean(text: str | None) -> str:
    """Text as a run can carry it: no XML-illegal characters, newlines as LF."""
    if not text:
        return ""
    return _ILLEGAL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _status_word(status: str | None) -> str:
    # The word, never the colour alone: the document may be printed in black and white.
    return label(status) or _("Ingen status")


def _or_dash(value: str | None) -> str:
    return value if value else "–"


def _day(value: date | None) -> str:
    return danish_day(value) if value else "–"


def _end_date(project: PackProject) -> str:
    text = _day(project.end_date)
    if project.slipped and project.baseline_end_date:
        text += " " + _("(oprindelig %(day)s)", day=danish_day(project.baseline_end_date))
    return text


# --- building blocks ------------------------------------------------------------------------


def _landscape(doc: Any) -> bool:
    return bool(doc.sections[-1].orientation == WD_ORIENT.LANDSCAPE)


def _is_heading(element: Any) -> bool:
    if element.tag != qn("w:p"):
        return False
    style = element.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
    return style is not None and str(style.get(qn("w:val"))).startswith("Heading")


def _turn(doc: Any, landscape: bool) -> None:
    """Go on in a new section on a new page, upright or landscape. The headings written just
    before move along, so a heading stays on the page of the table it introduces."""
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    if landscape:
        section.page_width, section.page_height = PAGE_HEIGHT, PAGE_WIDTH
    else:
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    # python-docx ends the previous section with a paragraph just before the body's sectPr.
    ending = doc.element.body.sectPr.getprevious()
    first = None
    previous = ending.getprevious()
    while previous is not None and _is_heading(previous):
        first, previous = previous, previous.getprevious()
    if first is not None:
        first.addprevious(ending)


def _new_page(doc: Any) -> None:
    """A new agenda item starts on a new, upright page."""
    if _landscape(doc):
        _turn(doc, False)
    else:
        doc.add_page_break()


def _heading(doc: Any, text: str, level: int) -> None:
    # A landscape section serves its wide tables; the next section of the text is upright.
    if level <= 2 and _landscape(doc):
        _turn(doc, False)
    doc.add_heading(clean(text), level=level)


def _italic(container: Any, text: str) -> None:
    container.add_paragraph().add_run(clean(text)).italic = True


def _text_block(container: Any, text: str | None, empty: str) -> None:
    """A user's text as paragraphs (split on blank lines), line breaks inside kept."""
    paragraphs = [p.strip("\n") for p in _BLANK_LINE.split(clean(text).strip())]
    paragraphs = [p for p in paragraphs if p.strip()]
    if not paragraphs:
        _italic(container, empty)
        return
    for paragraph in paragraphs:
        container.add_paragraph(paragraph)


def _repeat_header(row: Any) -> None:
    # python-docx has no API for "repeat as header row": w:trPr/w:tblHeader does it.
    tr_pr = row._tr.get_or_add_trPr()
    if tr_pr.find(qn("w:tblHeader")) is None:
        tr_pr.append(OxmlElement("w:tblHeader"))


def _set_cell(cell: Any, text: str, *, italic: bool = False) -> None:
    text = clean(text)
    if not _DIGIT_HYPHEN.search(text):
        cell.paragraphs[0].add_run(text).italic = italic
        return
    # A date or a case number breaks at its hyphens only when nothing else can: Word's
    # non-breaking hyphen (read back as "-").
    run = cell.paragraphs[0].add_run()
    run.italic = italic
    for number, line in enumerate(text.split("\n")):
        if number:
            run.add_break()
        for index, part in enumerate(_DIGIT_HYPHEN.split(line)):
            if index:
                run._r.append(OxmlElement("w:noBreakHyphen"))
            if part:
                run.add_text(part)


def _row_property(row: Any, name: str) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    if tr_pr.find(qn(name)) is None:
        tr_pr.append(OxmlElement(name))


def _fix_widths(table: Any, widths: Sequence[int]) -> None:
    """Fixed column widths, as Word and LibreOffice both honour them: the fixed layout, the
    table's width, the grid and every cell's width (python-docx sets none of them)."""
    table.autofit = False  # w:tblLayout w:type="fixed"
    tbl_pr = table._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        tbl_pr.append(tbl_w)
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(sum(widths)))
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Twips(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Twips(width)


def _table(
    doc: Any, columns: Sequence[str], rows: Sequence[Sequence[str]], *, card: bool = False
) -> Any:
    """A table in a built-in style whose first row is a header repeated on every page, its
    columns fixed and none narrower than its longest word (a landscape page or a smaller size
    when the words need it), and no row split across pages. A short table is kept on one
    page, and so is a `card` (a project's fields), its labels on one line each."""
    texts = [[clean(t) for t in columns], *([clean(t) for t in row] for row in rows)]
    layout = layout_table(
        texts,
        portrait_twips=TEXT_WIDTH[False],
        landscape_twips=TEXT_WIDTH[True],
        landscape_now=_landscape(doc),
        keep=(0,) if card else (),
    )
    if layout.landscape and not _landscape(doc):
        _turn(doc, True)
    table = doc.add_table(rows=1, cols=len(columns))
    table.style = TABLE_STYLE
    header = table.rows[0]
    _repeat_header(header)
    for cell, text in zip(header.cells, columns, strict=True):
        _set_cell(cell, text)
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            _set_cell(cell, text)
    _fix_widths(table, layout.widths)
    last = len(table.rows) - 1
    together = card or last <= SHORT_TABLE
    for number, row in enumerate(table.rows):
        _row_property(row, "w:cantSplit")
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                if layout.size_pt != BODY_SIZE:
                    for run in paragraph.runs:
                        run.font.size = Pt(layout.size_pt)
                if together and number < last:
                    # Word keeps a table on one page when every row but the last keeps with
                    # the next.
                    paragraph.paragraph_format.keep_with_next = True
    return table


# --- the sections ---------------------------------------------------------------------------


def _decision_table(doc: Any, item: PackItem) -> None:
    """One project for decision as a two-column table; its name is the repeated header."""
    project = item.project
    if item.previous_decision:
        previous = f"{_day(item.previous_decision_date)}: {item.previous_decision}"
    else:
        previous = "–"
    fields = [
        (_("Status"), _status_word(project.status)),
        (_("Fase"), label(project.phase)),
        (_("Procesejer"), _or_dash(project.process_owner)),
        (_("Projekttype"), label(project.scope)),
        (_("Afdeling"), _or_dash(project.department)),
        (_("Slutdato"), _end_date(project)),
        (_("Budget"), danish_money(project.budget_dkk) if project.budget_dkk is not None else "–"),
        (_("Begrundelse"), "\n".join(item.reasons) or "–"),
        (_("Statuskommentar"), _or_dash(project.status_comment)),
        (_("Tidligere beslutning"), previous),
        (_("Beslutning"), item.decision or _("(Skrives efter mødet)")),
    ]
    table = _table(doc, [_("Projekt"), project.name], fields, card=True)
    if not item.decision:
        for run in table.rows[-1].cells[1].paragraphs[0].runs:
            run.italic = True
    doc.add_paragraph()  # keeps two projects' tables from merging into one


def _information_table(doc: Any, items: Sequence[PackItem]) -> None:
    if not items:
        _italic(doc, _("Ingen projekter."))
        return
    columns = [
        _("Projekt"),
        _("Projekttype"),
        _("Afdeling"),
        _("Fase"),
        _("Status"),
        _("Slutdato"),
        _("Statuskommentar"),
    ]
    rows = [
        [
            i.project.name,
            label(i.project.scope),
            _or_dash(i.project.department),
            label(i.project.phase),
            _status_word(i.project.status),
            _end_date(i.project),
            _or_dash(i.project.status_comment),
        ]
        for i in items
    ]
    _table(doc, columns, rows)


def _changes(doc: Any, pack: Pack) -> None:
    _heading(doc, _("Ændringer siden sidste møde"), 2)
    if pack.previous_meeting_date is None:
        doc.add_paragraph(
            _(
                "Dette er den første gennemgang af porteføljen og derfor en komplet status; "
                "der er ikke et tidligere møde at sammenligne med."
            )
        )
        return
    since = danish_day(pack.previous_meeting_date)
    if not pack.changes:
        doc.add_paragraph(_("Ingen ændringer siden mødet %(day)s.", day=since))
        return
    doc.add_paragraph(_("Sammenlignet med mødet %(day)s.", day=since))
    for kind, changes in pack.changes_by_kind():
        _heading(doc, change_title(kind), 3)
        for change in changes:
            paragraph = doc.add_paragraph(style="List Bullet")
            paragraph.add_run(clean(change.project_name)).bold = True
            paragraph.add_run(": " + clean(describe_change(change)))


def _review(doc: Any, pack: Pack) -> None:
    """The review round's note: what the process owners have not reviewed since it began."""
    if pack.review is None:
        return
    _heading(doc, review_title(), 2)
    for line in review_summary(pack.review):
        doc.add_paragraph(line)
    for name, owner in pack.review.unreviewed:
        paragraph = doc.add_paragraph(style="List Bullet")
        paragraph.add_run(clean(name)).bold = True
        if owner:
            paragraph.add_run(f" ({clean(owner)})")


def _chart(doc: Any, chart: PackChart, png: bytes | None) -> None:
    _heading(doc, chart.title, 3)
    if png is not None:
        try:
            shape = doc.add_paragraph().add_run().add_picture(BytesIO(png), width=PICTURE_WIDTH)
        except UnrecognizedImageError:
            shape = None  # a broken image must not cost the whole pack: show the numbers
        if shape is not None:
            # python-docx 1.2 has no alt-text API; Word reads wp:docPr/@descr.
            shape._inline.docPr.set("descr", clean(chart.description))
            shape._inline.docPr.set("title", clean(chart.title))
            return
    _table(
        doc,
        chart.columns,
        [[name, *(str(n) for n in numbers)] for name, numbers in chart.rows],
    )
    _italic(doc, _("Diagrammet kunne ikke tegnes (Chromium mangler); tallene står i tabellen."))


def _rollout_changes(doc: Any, pack: Pack) -> None:
    if not pack.rollout_compared:
        return
    _heading(doc, _("Udrulningen"), 3)
    if not pack.rollout_changes:
        doc.add_paragraph(_("Ingen ændringer i udrulningen siden sidste møde."))
        return
    for kind, changes in pack.rollout_changes_by_kind():
        _heading(doc, rollout_change_title(kind), 4)
        for change in changes:
            paragraph = doc.add_paragraph(style="List Bullet")
            paragraph.add_run(clean(f"{change.project}, {change.department}")).bold = True
            paragraph.add_run(": " + clean(describe_rollout_change(change)))


def _rollout_grid(doc: Any, item: RolloutItem) -> None:
    """Departments × apps: each cell its state in words, its go-live and what holds it up."""
    plan = item.plan
    rows = []
    for department, cells in plan.matrix():
        texts = [department]
        for cell in cells:
            if cell is None:
                texts.append("")
                continue
            lines = [cell.state_text]
            if cell.go_live:
                lines.append(danish_day(cell.go_live))
            if cell.late:
                lines.append(_("Forsinket"))
            if cell.slip_days and cell.slip_days > 0:
                lines.append(
                    ngettext("skredet %(num)d dag", "skredet %(num)d dage", cell.slip_days)
                )
            if cell.blocker:
                lines.append(_("Blokering") + ": " + cell.blocker)
            texts.append("\n".join(lines))
        rows.append(texts)
    _table(doc, [_("Afdeling"), *plan.apps], rows)


def _gantt(doc: Any, chart: RolloutChart, png: bytes | None) -> None:
    _heading(doc, chart.title, 3)
    if png is not None:
        try:
            shape = doc.add_paragraph().add_run().add_picture(BytesIO(png), width=PICTURE_WIDTH)
        except UnrecognizedImageError:
            shape = None
        if shape is not None:
            shape._inline.docPr.set("descr", clean(chart.description))
            shape._inline.docPr.set("title", clean(chart.title))
            return
    _table(doc, chart.columns, chart.rows)
    _italic(doc, _("Diagrammet kunne ikke tegnes (Chromium mangler); tallene står i tabellen."))


def _agenda_parts(doc: Any, item: Any) -> None:
    """An agenda item's parts in their order (DOMAIN.md), under its own heading."""
    _heading(doc, _("Anledning"), 2)
    _text_block(doc, item.anledning, _("(Ikke udfyldt)"))
    _heading(doc, _("Sagsfremstilling"), 2)
    _text_block(doc, item.sagsfremstilling, _("(Ikke udfyldt)"))
    _heading(doc, _("Indstilling"), 2)
    _text_block(doc, item.indstilling, _("(Ikke udfyldt)"))
    _heading(doc, _("Beslutning"), 2)
    _text_block(doc, item.beslutning, _("(Skrives efter mødet)"))
    _heading(doc, _("Bilag"), 2)
    for number, text in enumerate(item.bilag, start=1):
        doc.add_paragraph(_("Bilag %(num)d: %(text)s", num=number, text=clean(text)))


def _rollout_item(doc: Any, pack: Pack, images: Mapping[str, bytes] | None) -> None:
    """The rollout plan as its own agenda item til beslutning, after the portfolio's."""
    item = pack.rollout
    if item is None:
        return
    _new_page(doc)
    _heading(doc, _("Udrulningsplan for %(apps)s", apps=", ".join(item.plan.apps)), 1)
    _italic(doc, _("Til beslutning"))
    _agenda_parts(doc, item)
    _heading(
        doc,
        _("Udrulningsplan: afdelinger × apps pr. %(day)s", day=danish_day(item.plan.taken_on)),
        3,
    )
    _rollout_grid(doc, item)
    for chart in rollout_charts(pack):
        _gantt(doc, chart, (images or {}).get(chart.id))


def _bullet(doc: Any, lead: str, text: str) -> None:
    paragraph = doc.add_paragraph(style="List Bullet")
    paragraph.add_run(clean(lead)).bold = True
    paragraph.add_run(": " + clean(text))


def _finance(doc: Any, pack: Pack) -> None:
    """The section "Finansiering og gevinster": the pools' status, what is new since the last
    meeting (or every ledger line at the first), and the benefits, behind plan first."""
    section = pack.finance
    if section is None:
        return
    state = section.state
    _heading(doc, _("Finansiering og gevinster"), 2)
    doc.add_paragraph(_("Puljer og gevinster pr. %(day)s.", day=danish_day(state.taken_on)))
    _heading(doc, _("Puljernes status"), 3)
    _table(
        doc,
        [_("Pulje"), _("Indskud"), _("Bevilget"), _("Frigivet"), _("Tilbageløb"), _("Saldo")],
        [
            [
                p.name,
                *(
                    danish_money(a)
                    for a in (p.deposited, p.granted, p.released, p.returned, p.balance)
                ),
            ]
            for p in state.pools
        ],
    )
    _heading(doc, _("Bevillinger, tilbageløb og målinger siden sidste møde"), 3)
    if section.changes is None:
        doc.add_paragraph(
            _("Intet tidligere møde at sammenligne med: alle puljernes bevægelser vises.")
        )
        for m in state.movements:
            _bullet(doc, f"{label(m.kind)}, {m.pool}", describe_movement(m))
    elif not section.changes:
        doc.add_paragraph(
            _(
                "Ingen nye bevillinger, tilbageløb eller målinger siden mødet %(day)s.",
                day=_day(section.previous_meeting_date),
            )
        )
    else:
        doc.add_paragraph(
            _("Sammenlignet med mødet %(day)s.", day=_day(section.previous_meeting_date))
        )
        for kind, lines in section.changes.by_kind():
            _heading(doc, movement_title(kind), 4)
            for m in lines:
                _bullet(doc, m.pool, describe_movement(m))
        if section.changes.measurements:
            _heading(doc, _("Nye målinger og vurderinger"), 4)
            for measurement in section.changes.measurements:
                _bullet(
                    doc,
                    f"{measurement.benefit} ({measurement.project})",
                    describe_measurement(measurement),
                )
    _heading(doc, _("Gevinster"), 3)
    benefits = state.benefits_in_order
    if not benefits:
        _italic(doc, _("Der er ingen gevinster."))
        return
    _table(
        doc,
        [_("Gevinst"), _("Projekt"), _("Type"), _("Seneste"), _("Realiseret"), _("Bag planen")],
        [
            [
                b.title,
                b.project,
                label(b.type),
                b.latest_text + (f"\n{b.evidence}" if b.evidence else ""),
                b.realisation_text,
                _("Ja") if b.behind_plan else _("Nej"),
            ]
            for b in benefits
        ],
    )


def _movement_rows(lines: Sequence[FinanceMovement]) -> list[list[str]]:
    return [
        [
            danish_day(m.occurred_on),
            label(m.kind),
            m.project or m.source or "",
            danish_money(m.amount_dkk),
            m.decision or "",
            m.note or "",
        ]
        for m in lines
    ]


def _pool_orientation(doc: Any, pack: Pack, images: Mapping[str, bytes] | None) -> None:
    """The pool's written orientation as its own agenda item til orientering."""
    item = pack.pool_orientation
    if item is None:
        return
    _new_page(doc)
    _heading(doc, item.title, 1)
    _italic(doc, _("Til orientering"))
    _agenda_parts(doc, item)
    _heading(doc, _("Puljens tal pr. %(day)s", day=danish_day(item.state.taken_on)), 3)
    _table(doc, [_("Post"), _("Beløb")], [[n, danish_money(a)] for n, a in pool_figures(item.pool)])
    _heading(doc, _("Puljens bevægelser"), 3)
    _table(
        doc,
        [
            _("Dato"),
            _("Bevægelse"),
            _("Projekt eller kilde"),
            _("Beløb"),
            _("Beslutning"),
            _("Note"),
        ],
        _movement_rows(item.movements),
    )
    if item.benefits:
        _heading(doc, _("Gevinster i de finansierede projekter"), 3)
        _table(
            doc,
            [_("Gevinst"), _("Projekt"), _("Type"), _("Seneste"), _("Realiseret")],
            [
                [b.title, b.project, label(b.type), b.latest_text, b.realisation_text]
                for b in item.benefits
            ],
        )
    for chart in finance_charts(pack):
        _money_chart(doc, chart, (images or {}).get(chart.id))


def _money_chart(doc: Any, chart: PackChart, png: bytes | None) -> None:
    """A chart of kroner: its picture, or its numbers as amounts."""
    if png is not None:
        _chart(doc, chart, png)
        return
    _heading(doc, chart.title, 3)
    _table(doc, chart.columns, [[n, *(danish_money(v) for v in vs)] for n, vs in chart.rows])
    _italic(doc, _("Diagrammet kunne ikke tegnes (Chromium mangler); tallene står i tabellen."))


def _sagsfremstilling(
    doc: Any, pack: Pack, charts: Sequence[PackChart], images: Mapping[str, bytes] | None
) -> None:
    _heading(doc, _("Sagsfremstilling"), 1)
    _text_block(doc, pack.sagsfremstilling, _("(Ikke udfyldt)"))

    _heading(doc, _("Til beslutning"), 2)
    if not pack.for_decision:
        _italic(doc, _("Ingen projekter kræver beslutning på dette møde."))
    for item in pack.for_decision:
        _decision_table(doc, item)

    if pack.mode == PackMode.complete:
        _heading(doc, _("Til orientering"), 2)
        _information_table(doc, pack.for_information)
        _heading(doc, _("Øvrige strategiske projekter"), 3)
        _information_table(doc, pack.other_strategic)

    _changes(doc, pack)
    _rollout_changes(doc, pack)
    _review(doc, pack)
    _finance(doc, pack)

    _heading(doc, _("Overblik"), 2)
    for chart in charts:
        _chart(doc, chart, (images or {}).get(chart.id))


def _setup(doc: Any, pack: Pack) -> None:
    """A4 with ordinary margins, Danish proofing language and the document's properties."""
    for section in doc.sections:
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        section.top_margin = section.bottom_margin = MARGIN
        section.left_margin = section.right_margin = MARGIN
    # Word's spell checker follows w:lang on the default style, not the core property.
    r_pr = doc.styles["Normal"].element.get_or_add_rPr()
    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        r_pr.append(lang)
    lang.set(qn("w:val"), LANGUAGE)
    props = doc.core_properties
    props.title = clean(pack.title)
    props.subject = _("Chefforum: IT-projektporteføljen")
    props.language = LANGUAGE
    props.author = props.last_modified_by = _("IT-projektrådet")
    props.comments = ""  # the template says "generated by python-docx"
    props.created = props.modified = pack.published_at or datetime.now(UTC)
    props.revision = 1


def write_pack_docx(
    pack: Pack,
    charts: Sequence[PackChart],
    target: IO[bytes],
    images: Mapping[str, bytes] | None = None,
) -> None:
    """Write the pack as the agenda item: Anledning, Sagsfremstilling (decisions, information,
    changes, charts), Indstilling, Beslutning, Bilag. `images` maps a chart id to its PNG;
    a chart without one is shown as its numbers in a table."""
    doc = Document()
    _setup(doc, pack)

    doc.add_heading(clean(pack.title), level=0)
    if pack.is_draft or pack.published_at is None:
        state = _("Kladde")
    else:
        state = _("Offentliggjort %(day)s", day=pack.published_day)
    doc.add_paragraph(_("Mødedato: %(day)s", day=long_date(pack.meeting_date)) + " · " + state)
    if pack.filter_description:
        doc.add_paragraph(_("Udsnit: %(filter)s", filter=clean(pack.filter_description)))

    _heading(doc, _("Anledning"), 1)
    _text_block(doc, pack.anledning, _("(Ikke udfyldt)"))
    _sagsfremstilling(doc, pack, charts, images)
    _heading(doc, _("Indstilling"), 1)
    _text_block(doc, pack.indstilling, _("(Ikke udfyldt)"))
    _heading(doc, _("Beslutning"), 1)
    _text_block(doc, pack.beslutning, _("(Skrives efter mødet)"))
    _heading(doc, _("Bilag"), 1)
    bilag = [b for b in (clean(b).strip() for b in pack.bilag) if b]
    if not bilag:
        _italic(doc, _("Ingen bilag."))
    for number, text in enumerate(bilag, start=1):
        doc.add_paragraph(_("Bilag %(num)d: %(text)s", num=number, text=text))
    _rollout_item(doc, pack, images)
    _pool_orientation(doc, pack, images)

    doc.save(target)
