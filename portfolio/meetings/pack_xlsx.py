"""Writes Chefforum's board-meeting pack as an Excel workbook with native charts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import IO, Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.marker import DataPoint
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo

from importers.columns import SHEET_NAME, SHEET_TITLE
from portfolio.charts import INK, MUTED, STATUS_COLOURS, STATUS_KEYS
from portfolio.domain import FIELD_LABELS, label
from portfolio.exporters.sheet import DATE_FORMAT, MONEY_FORMAT, fill_portfolio_sheet, safe_text
from portfolio.formats import danish_day
from portfolio.meetings.charts import PackChart
from portfolio.meetings.finance_item import (
    FinanceMovement,
    FinanceSection,
    PoolOrientation,
    describe_measurement,
    movement_title,
    pool_figures,
)
from portfolio.meetings.pack import (
    Pack,
    PackItem,
    PackMode,
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

TABLE_STYLE = "TableStyleMedium2"
BOLD = Font(bold=True)
TOP_WRAP = Alignment(wrap_text=True, vertical="top")
# Where the charts' tables start on Oversigt: right of the agenda's wide text column.
CHART_COLUMN = 4
CHART_WIDTH_CM = 16.0
ROW_CM = 0.5  # a default row (15 pt) is 0.53 cm; rounding down keeps room to spare
# The project fields the two item sheets show, in this order (labels from the domain).
ITEM_FIELDS = (
    "name",
    "case_number",
    "scope",
    "department",
    "process_owner",
    "phase",
    "status",
    "status_comment",
)
ITEM_WIDTHS = {"name": 40, "case_number": 20, "status_comment": 48, "scope": 24}


def write_pack_xlsx(pack: Pack, charts: Sequence[PackChart], target: IO[bytes]) -> None:
    """The pack as one workbook: the agenda item and charts, the two sections, the changes
    since the last meeting and the portfolio as the SharePoint sheet (the attachment)."""
    wb = Workbook()
    overview = wb.active
    assert overview is not None  # noqa: S101  (a new workbook always has one sheet)
    overview.title = _("Oversigt")
    _write_overview(overview, pack, charts)

    _write_items(wb.create_sheet(_("Til beslutning")), pack.for_decision, "TilBeslutning", True)
    information = wb.create_sheet(_("Til orientering"))
    if pack.mode == PackMode.complete:
        items = [*pack.for_information, *pack.other_strategic]
        _write_items(information, items, "TilOrientering", False)
    else:
        # Kept as a sheet so a reader looking for it learns why it is empty.
        _put(
            information.cell(1, 1),
            _(
                "Operationelle projekter er ikke en del af denne mødepakke; "
                "de sendes til orientering."
            ),
        )
        information.column_dimensions["A"].width = 90

    changes = wb.create_sheet(_("Ændringer"))
    _write_changes(changes, pack)
    _write_rollout_changes(changes, pack)
    _write_review(changes, pack)
    if pack.rollout is not None:
        _write_rollout(wb.create_sheet(_("Udrulningsplan")), pack.rollout)
    if pack.finance is not None:
        _write_finance(wb.create_sheet(_("Finansiering og gevinster")), pack.finance)
    if pack.pool_orientation is not None:
        _write_pool_orientation(wb.create_sheet(_("Skriftlig orientering")), pack.pool_orientation)

    portfolio = wb.create_sheet(SHEET_NAME)
    fill_portfolio_sheet(
        portfolio,
        (p.as_row() for p in pack.projects),
        title=f"{SHEET_TITLE} pr. {danish_day(pack.meeting_date)}",
    )
    wb.save(target)


# --- cells ------------------------------------------------------------------------------------


def _put(cell: Any, value: object) -> Any:
    """A value in a cell as what it is: text always as text (never a formula), dates as dates."""
    if value is None or value == "":
        return cell
    if isinstance(value, str):
        safe_text(cell, value)
    elif isinstance(value, datetime):
        cell.value = value
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    else:
        cell.value = value
    return cell


def _header(ws: Any, row: int, column: int, texts: Sequence[str]) -> None:
    for offset, text in enumerate(texts):
        _put(ws.cell(row, column + offset), text).font = BOLD


def _add_table(ws: Any, name: str, first_row: int, columns: int, rows: int) -> None:
    # A table needs a data row; an empty list gets one blank row under its header.
    last = get_column_letter(columns)
    table = Table(displayName=name, ref=f"A{first_row}:{last}{first_row + max(rows, 1)}")
    table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
    ws.add_table(table)


# --- Oversigt ---------------------------------------------------------------------------------


def _write_overview(ws: Any, pack: Pack, charts: Sequence[PackChart]) -> None:
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 90
    ws.column_dimensions["C"].width = 3
    title = _put(ws.cell(1, 1), pack.title)
    title.font = Font(bold=True, size=16)

    state = (
        _("Kladde")
        if pack.published_at is None
        else _("Offentliggjort %(day)s", day=pack.published_day)
    )
    facts: list[tuple[str, object]] = [(_("Mødedato"), pack.meeting_date), (_("Status"), state)]
    if pack.filter_description:
        facts.append((_("Udsnit"), pack.filter_description))
    row = 2
    for name, value in facts:
        _put(ws.cell(row, 1), name).font = BOLD
        _put(ws.cell(row, 2), value).alignment = Alignment(horizontal="left")
        row += 1

    row += 1
    agenda = (
        (_("Anledning"), pack.anledning),
        (_("Sagsfremstilling"), pack.sagsfremstilling),
        (_("Indstilling"), pack.indstilling),
        (_("Beslutning"), pack.beslutning),
        (_("Bilag"), "\n".join(pack.bilag)),
    )
    for heading, text in agenda:
        cell = _put(ws.cell(row, 1), heading)
        cell.font = BOLD
        cell.alignment = TOP_WRAP
        _put(ws.cell(row, 2), text or "–").alignment = TOP_WRAP
        row += 1

    # Below the agenda, so the wrapped (tall) text rows never stretch the charts' tables.
    row += 1
    _put(ws.cell(row, CHART_COLUMN), _("Diagrammer")).font = Font(bold=True, size=14)
    row += 2
    ws.column_dimensions[get_column_letter(CHART_COLUMN)].width = 28
    for offset in range(1, len(STATUS_KEYS) + 1):
        ws.column_dimensions[get_column_letter(CHART_COLUMN + offset)].width = 14
    for chart in charts:
        row = _write_chart(ws, chart, row)


def _write_chart(ws: Any, chart: PackChart, row: int) -> int:
    """The chart's numbers as a small table, its native bar chart right below; returns the
    first free row after both."""
    col = CHART_COLUMN
    _put(ws.cell(row, col), chart.title).font = BOLD
    header_row = row + 1
    _header(ws, header_row, col, chart.columns)
    for r, (category, numbers) in enumerate(chart.rows, start=header_row + 1):
        _put(ws.cell(r, col), category)
        for c, number in enumerate(numbers, start=col + 1):
            ws.cell(r, c).value = number
    last_row = header_row + len(chart.rows)
    if not chart.rows:
        # Nothing to draw: an empty chart would only confuse.
        _put(ws.cell(header_row + 1, col), _("Ingen projekter"))
        return header_row + 3

    bars = _bar_chart(ws, chart, header_row, last_row)
    anchor_row = last_row + 2
    ws.add_chart(bars, f"{get_column_letter(col)}{anchor_row}")
    # Rows never shrink below the default height, so this many rows hold the chart.
    return anchor_row + math.ceil(bars.height / ROW_CM) + 2


def _bar_chart(ws: Any, chart: PackChart, header_row: int, last_row: int) -> BarChart:
    col = CHART_COLUMN
    series_count = len(chart.columns) - 1
    bars = BarChart()
    bars.type = "bar"  # horizontal, as in the app
    bars.title = chart.title
    bars.width = CHART_WIDTH_CM
    bars.height = max(6.0, 1.2 * len(chart.rows) + 3.0)
    data = Reference(
        ws, min_col=col + 1, max_col=col + series_count, min_row=header_row, max_row=last_row
    )
    bars.add_data(data, titles_from_data=True)
    # set_categories would refer to the labels as numbers; they are text.
    labels = Reference(ws, min_col=col, min_row=header_row + 1, max_row=last_row)
    for series in bars.series:
        series.cat = AxDataSource(strRef=StrRef(f=str(labels)))

    if chart.status_keys == ("count",):  # the traffic light
        _colour_traffic_light(bars, len(chart.rows))
        bars.dataLabels = DataLabelList(showVal=True)
        if series_count == 1:
            bars.legend = None
    else:
        bars.grouping = "stacked"
        bars.overlap = 100  # stacked bars must overlap fully, or Excel draws them apart
        for series, status in zip(bars.series, chart.status_keys, strict=True):
            _fill(series.graphicalProperties, STATUS_COLOURS[status])
    if bars.legend is not None:
        bars.legend.position = "b"

    # The first category on top, as in the app; the value axis then stays at the bottom.
    bars.x_axis.scaling.orientation = "maxMin"
    bars.y_axis.crosses = "max"
    bars.y_axis.title = _("Antal projekter")
    bars.y_axis.number_format = "0"
    bars.y_axis.majorGridlines = None
    # openpyxl leaves `delete` unset, which recent Excel reads as "hide the axis".
    bars.x_axis.delete = False
    bars.y_axis.delete = False
    return bars


def _fill(properties: Any, colour: str) -> None:
    properties.solidFill = colour.lstrip("#")
    properties.line.solidFill = colour.lstrip("#")


def _colour_traffic_light(bars: BarChart, count: int) -> None:
    """Each bar of "Antal" in its status colour, "Ved sidste møde" as hollow outlines: the two
    series differ by more than colour."""
    current = bars.series[0]
    _fill(current.graphicalProperties, INK)
    # The traffic light's rows are one per status, worst first (charts.traffic_lights).
    for i, status in enumerate(STATUS_KEYS[:count]):
        point = DataPoint(idx=i)
        _fill(point.graphicalProperties, STATUS_COLOURS[status])
        current.dPt.append(point)
    for previous in bars.series[1:]:
        previous.graphicalProperties.noFill = True
        previous.graphicalProperties.line.solidFill = MUTED.lstrip("#")
        previous.graphicalProperties.line.width = 19050  # 1.5 pt, in EMU


# --- Til beslutning / Til orientering -------------------------------------------------------------


def _write_items(ws: Any, items: Sequence[PackItem], table: str, with_reasons: bool) -> None:
    columns = [str(FIELD_LABELS[f]) for f in ITEM_FIELDS]
    widths = [ITEM_WIDTHS.get(f, 18) for f in ITEM_FIELDS]
    if with_reasons:
        columns.append(_("Begrundelse"))
        widths.append(36)
    columns += [_("Tidligere beslutning"), _("Dato for tidligere beslutning"), _("Beslutning")]
    widths += [40, 14, 40]
    _header(ws, 1, 1, columns)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width

    for r, item in enumerate(items, start=2):
        p = item.project
        values: list[object] = [
            p.name,
            p.case_number,
            label(p.scope),
            p.department,
            p.process_owner,
            label(p.phase),
            label(p.status) or _("Ingen status"),
            p.status_comment,
        ]
        if with_reasons:
            values.append("; ".join(item.reasons))
        values += [item.previous_decision, item.previous_decision_date, item.decision]
        for col, value in enumerate(values, start=1):
            _put(ws.cell(r, col), value).alignment = TOP_WRAP
    _add_table(ws, table, 1, len(columns), len(items))
    ws.freeze_panes = "B2"  # the header and the project's name stay in sight


# --- Ændringer --------------------------------------------------------------------------------


def _write_changes(ws: Any, pack: Pack) -> None:
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 20
    ws.column_dimensions["C"].width = 50
    if pack.previous_meeting_date is None:
        heading = _("Første gennemgang – intet tidligere møde at sammenligne med.")
    else:
        heading = _("Ændringer siden mødet %(day)s", day=danish_day(pack.previous_meeting_date))
    _put(ws.cell(1, 1), heading).font = Font(bold=True, size=14)
    if pack.previous_meeting_date is not None and not pack.changes:
        _put(ws.cell(2, 1), _("Ingen ændringer siden sidste møde."))
    if not pack.changes:
        return

    header_row = 3
    _header(ws, header_row, 1, [_("Projekt"), _("Ændring"), _("Fra → til")])
    for r, change in enumerate(pack.changes, start=header_row + 1):
        _put(ws.cell(r, 1), change.project_name)
        _put(ws.cell(r, 2), change_title(change.kind))
        _put(ws.cell(r, 3), describe_change(change))
    _add_table(ws, "Aendringer", header_row, 3, len(pack.changes))
    ws.freeze_panes = ws.cell(header_row + 1, 1)


def _write_rollout_changes(ws: Any, pack: Pack) -> None:
    """The rollout's changes below the projects': a go-live, a slip in days, a blocker."""
    if not pack.rollout_compared:
        return
    row = ws.max_row + 2
    _put(ws.cell(row, 1), _("Udrulningen")).font = Font(bold=True, size=14)
    if not pack.rollout_changes:
        _put(ws.cell(row + 1, 1), _("Ingen ændringer i udrulningen siden sidste møde."))
        return
    header_row = row + 1
    _header(ws, header_row, 1, [_("App og afdeling"), _("Ændring"), _("Fra → til")])
    for r, change in enumerate(pack.rollout_changes, start=header_row + 1):
        _put(ws.cell(r, 1), f"{change.project}, {change.department}")
        _put(ws.cell(r, 2), rollout_change_title(change.kind))
        _put(ws.cell(r, 3), describe_rollout_change(change)).alignment = TOP_WRAP


def _write_review(ws: Any, pack: Pack) -> None:
    """The review round's note below the changes: the projects not reviewed since it began."""
    if pack.review is None:
        return
    row = ws.max_row + 2
    _put(ws.cell(row, 1), review_title()).font = Font(bold=True, size=14)
    for line in review_summary(pack.review):
        row += 1
        _put(ws.cell(row, 1), line)
    if not pack.review.unreviewed:
        return
    header_row = row + 1
    _header(ws, header_row, 1, [_("Projekt"), _("Procesejer")])
    for r, (name, owner) in enumerate(pack.review.unreviewed, start=header_row + 1):
        _put(ws.cell(r, 1), name)
        _put(ws.cell(r, 2), owner)


# --- Udrulningsplan ---------------------------------------------------------------------------

ROLLOUT_DETAIL = (
    "department",
    "project",
    "state",
    "planned_start",
    "planned_go_live",
    "baseline_go_live",
    "actual_go_live",
    "slip_days",
    "late",
    "implementation_weeks",
    "users",
    "blocker",
)


def _rollout_headers() -> list[str]:
    return [
        _("Afdeling"),
        _("App"),
        _("Tilstand"),
        _("Planlagt start"),
        _("Planlagt go-live"),
        _("Oprindelig go-live"),
        _("Faktisk go-live"),
        _("Skred (dage)"),
        _("Forsinket"),
        _("Implementeringstid (uger)"),
        _("Brugere"),
        _("Blokering"),
    ]


def _agenda_rows(ws: Any, row: int, item: Any) -> int:
    """An agenda item's parts in their order (DOMAIN.md), a row each from `row`; the next row."""
    for heading, text in (
        (_("Anledning"), item.anledning),
        (_("Sagsfremstilling"), item.sagsfremstilling),
        (_("Indstilling"), item.indstilling),
        (_("Beslutning"), item.beslutning),
        (_("Bilag"), "\n".join(item.bilag)),
    ):
        cell = _put(ws.cell(row, 1), heading)
        cell.font = BOLD
        cell.alignment = TOP_WRAP
        _put(ws.cell(row, 2), text or "–").alignment = TOP_WRAP
        row += 1
    return row


def _write_rollout(ws: Any, item: RolloutItem) -> None:
    """The rollout item: its parts, the grid (departments × apps: state and go-live date, a
    date cell) and every cell's dates, the Gantt's numbers."""
    plan = item.plan
    ws.column_dimensions["A"].width = 26
    for col in range(2, len(ROLLOUT_DETAIL) + 1):
        ws.column_dimensions[get_column_letter(col)].width = 18
    ws.column_dimensions["B"].width = 60
    _put(ws.cell(1, 1), _("Udrulningsplan – til beslutning")).font = Font(bold=True, size=16)
    row = 3
    row = _agenda_rows(ws, row, item)

    row += 1
    title = _("Udrulningsplan: afdelinger × apps pr. %(day)s", day=danish_day(plan.taken_on))
    _put(ws.cell(row, 1), title).font = Font(bold=True, size=14)
    row += 1
    apps = plan.apps
    # Two columns per app: its state (symbol and word) and its go-live date.
    header: list[str] = [_("Afdeling")]
    for app in apps:
        header += [app, _("%(app)s: go-live", app=app)]
    _header(ws, row, 1, header)
    for department, cells in plan.matrix():
        row += 1
        _put(ws.cell(row, 1), department)
        for i, cell in enumerate(cells):
            if cell is None:
                continue
            state = cell.state_text + (" – " + _("Forsinket") if cell.late else "")
            _put(ws.cell(row, 2 + 2 * i), state)
            _put(ws.cell(row, 3 + 2 * i), cell.go_live)

    row += 2
    _put(ws.cell(row, 1), _("Gantt-diagrammets tal")).font = Font(bold=True, size=14)
    row += 1
    header_row = row
    _header(ws, header_row, 1, _rollout_headers())
    for r, cell in enumerate(plan.rows, start=header_row + 1):
        values = {
            "department": cell.department,
            "project": cell.project,
            "state": cell.state_text,
            "planned_start": cell.planned_start,
            "planned_go_live": cell.planned_go_live,
            "baseline_go_live": cell.baseline_go_live,
            "actual_go_live": cell.actual_go_live,
            "slip_days": cell.slip_days,
            "late": _("Ja") if cell.late else _("Nej"),
            "implementation_weeks": cell.implementation_weeks,
            "users": cell.users,
            "blocker": cell.blocker,
        }
        for c, key in enumerate(ROLLOUT_DETAIL, start=1):
            _put(ws.cell(r, c), values[key]).alignment = TOP_WRAP


# --- Finansiering og gevinster / Skriftlig orientering -----------------------------------------


def _money(cell: Any, amount: int) -> Any:
    """Whole kroner as a number the sheet can add up, shown as 1.250.000 kr."""
    cell.value = amount
    cell.number_format = MONEY_FORMAT
    return cell


def _title(ws: Any, row: int, text: str, size: int = 14) -> int:
    _put(ws.cell(row, 1), text).font = Font(bold=True, size=size)
    return row + 1


def _write_movements(ws: Any, row: int, lines: Sequence[FinanceMovement]) -> int:
    _header(
        ws,
        row,
        1,
        [
            _("Dato"),
            _("Pulje"),
            _("Bevægelse"),
            _("Projekt eller kilde"),
            _("Beløb"),
            _("Beslutning"),
            _("Note"),
        ],
    )
    for line in lines:
        row += 1
        _put(ws.cell(row, 1), line.occurred_on)
        _put(ws.cell(row, 2), line.pool)
        _put(ws.cell(row, 3), label(line.kind))
        _put(ws.cell(row, 4), line.project or line.source)
        _money(ws.cell(row, 5), line.amount_dkk)
        _put(ws.cell(row, 6), line.decision)
        _put(ws.cell(row, 7), line.note).alignment = TOP_WRAP
    return row + 2


def _finance_widths(ws: Any) -> None:
    for col, width in enumerate((36, 30, 22, 36, 18, 30, 40, 14), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def _write_finance(ws: Any, section: FinanceSection) -> None:
    """The pools' status, the ledger's lines and the measurements since the last meeting, and
    every benefit with its latest measurement (behind plan first)."""
    state = section.state
    _finance_widths(ws)
    row = _title(
        ws, 1, _("Finansiering og gevinster pr. %(day)s", day=danish_day(state.taken_on)), 16
    )
    row = _title(ws, row + 1, _("Puljernes status"))
    columns = [
        _("Pulje"),
        _("Ejer"),
        _("Indskud"),
        _("Bevilget"),
        _("Frigivet"),
        _("Tilbageløb"),
        _("Saldo"),
    ]
    _header(ws, row, 1, columns)
    for pool in state.pools:
        row += 1
        _put(ws.cell(row, 1), pool.name)
        _put(ws.cell(row, 2), pool.owner_body)
        for col, amount in enumerate(
            (pool.deposited, pool.granted, pool.released, pool.returned, pool.balance), start=3
        ):
            _money(ws.cell(row, col), amount)
    row += 2
    if section.changes is None:
        row = _title(ws, row, _("Puljernes bevægelser (intet tidligere møde at sammenligne med)"))
        row = _write_movements(ws, row, state.movements)
    else:
        since = danish_day(section.previous_meeting_date) if section.previous_meeting_date else ""
        row = _title(ws, row, _("Siden mødet %(day)s", day=since))
        if not section.changes:
            _put(ws.cell(row, 1), _("Ingen nye bevillinger, tilbageløb eller målinger."))
            row += 2
        for kind, lines in section.changes.by_kind():
            row = _title(ws, row, movement_title(kind), 12)
            row = _write_movements(ws, row, lines)
        if section.changes.measurements:
            row = _title(ws, row, _("Nye målinger og vurderinger"), 12)
            _header(ws, row, 1, [_("Gevinst"), _("Projekt"), _("Dato"), _("Måling")])
            for m in section.changes.measurements:
                row += 1
                _put(ws.cell(row, 1), m.benefit)
                _put(ws.cell(row, 2), m.project)
                _put(ws.cell(row, 3), m.measured_on)
                _put(ws.cell(row, 4), describe_measurement(m)).alignment = TOP_WRAP
            row += 2
    row = _title(ws, row, _("Gevinster"))
    _header(
        ws,
        row,
        1,
        [
            _("Gevinst"),
            _("Projekt"),
            _("Type"),
            _("Gevinstejer"),
            _("Seneste"),
            _("Dokumentation"),
            _("Realiseret (%)"),
            _("Bag planen"),
        ],
    )
    for b in state.benefits_in_order:
        row += 1
        _put(ws.cell(row, 1), b.title)
        _put(ws.cell(row, 2), b.project)
        _put(ws.cell(row, 3), label(b.type))
        _put(ws.cell(row, 4), b.owner)
        _put(ws.cell(row, 5), b.latest_text)
        _put(ws.cell(row, 6), b.evidence).alignment = TOP_WRAP
        if b.realised_pct is not None:
            ws.cell(row, 7).value = round(b.realised_pct, 1)
        _put(ws.cell(row, 8), _("Ja") if b.behind_plan else _("Nej"))


def _write_pool_orientation(ws: Any, item: PoolOrientation) -> None:
    """The written orientation: its five parts, then the Bilag: the pool's figures (with a
    native bar chart), its ledger and the funded projects' benefits."""
    _finance_widths(ws)
    ws.column_dimensions["B"].width = 90
    row = _title(ws, 1, item.title + " – " + _("til orientering"), 16) + 1
    row = _agenda_rows(ws, row, item)
    row += 1
    row = _title(ws, row, _("Puljens tal pr. %(day)s", day=danish_day(item.state.taken_on)))
    header_row = row
    _header(ws, header_row, 1, [_("Post"), _("Beløb")])
    figures = pool_figures(item.pool)
    for name, amount in figures:
        row += 1
        _put(ws.cell(row, 1), name)
        _money(ws.cell(row, 2), amount)
    bars = BarChart()
    bars.type = "col"
    bars.title = _("Puljens midler: %(pool)s", pool=item.pool.name)
    bars.legend = None
    bars.width, bars.height = CHART_WIDTH_CM, 7.5
    bars.add_data(
        Reference(ws, min_col=2, min_row=header_row, max_row=header_row + len(figures)),
        titles_from_data=True,
    )
    labels = Reference(ws, min_col=1, min_row=header_row + 1, max_row=header_row + len(figures))
    for series in bars.series:
        series.cat = AxDataSource(strRef=StrRef(f=str(labels)))
        _fill(series.graphicalProperties, INK)
    bars.y_axis.number_format = MONEY_FORMAT
    bars.x_axis.delete = False
    bars.y_axis.delete = False
    ws.add_chart(bars, f"D{header_row}")
    row = max(row, header_row + math.ceil(bars.height / ROW_CM)) + 2
    row = _title(ws, row, _("Puljens bevægelser"))
    row = _write_movements(ws, row, item.movements)
    if item.benefits:
        row = _title(ws, row, _("Gevinster i de finansierede projekter"))
        _header(
            ws, row, 1, [_("Gevinst"), _("Projekt"), _("Type"), _("Seneste"), _("Realiseret (%)")]
        )
        for b in item.benefits:
            row += 1
            _put(ws.cell(row, 1), b.title)
            _put(ws.cell(row, 2), b.project)
            _put(ws.cell(row, 3), label(b.type))
            _put(ws.cell(row, 4), b.latest_text)
            if b.realised_pct is not None:
                ws.cell(row, 5).value = round(b.realised_pct, 1)
