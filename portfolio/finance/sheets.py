"""The pools' ledgers and the benefits register as workbooks: money as numbers in kroner,
dates as dates, text never a formula. Always in Danish: a sheet is a municipal document."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from io import BytesIO
from typing import Any

from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from sqlmodel import Session

from portfolio.db import utcnow
from portfolio.domain import BenefitType, label
from portfolio.exporters.sheet import DATE_FORMAT, MONEY_FORMAT, safe_text
from portfolio.finance import registers, services
from portfolio.finance.models import Pool
from portfolio.finance.rules import REALISATION_CAP_PCT
from portfolio.formats import danish_day

TITLE_ROW = 1
SUMMARY_ROW = 3
NUMBER_FORMAT = "#,##0"
PERCENT_FORMAT = "0%"

LEDGER_COLUMNS = (
    ("occurred_on", "Dato", 12),
    ("kind", "Bevægelse", 20),
    ("project", "Projekt", 36),
    ("amount_dkk", "Beløb", 16),
    ("balance_after", "Saldo efter", 16),
    ("decision", "Beslutning", 36),
    ("source", "Kilde", 28),
    ("note", "Note", 48),
    ("created_by", "Registreret af", 20),
)
SUMMARY = (
    ("deposited", "Indskudt"),
    ("granted", "Bevilget"),
    ("released", "Frigivet"),
    ("returned", "Tilbageført"),
    ("corrected", "Rettelser"),
    ("balance", "Saldo"),
)
BENEFIT_COLUMNS = (
    ("project", "Projekt", 32),
    ("title", "Gevinst", 36),
    ("type", "Type", 14),
    ("owner", "Gevinstejer", 20),
    ("department", "Afdeling", 22),
    ("indicator", "Indikator", 30),
    ("unit", "Enhed", 12),
    ("baseline_value", "Nulpunkt", 14),
    ("baseline_date", "Nulpunktsdato", 14),
    ("target_pessimistic", "Mål, pessimistisk", 16),
    ("target_likely", "Mål, forventet", 16),
    ("target_optimistic", "Mål, optimistisk", 16),
    ("full_effect_on", "Fuld effekt", 12),
    ("latest", "Seneste måling/vurdering", 22),
    ("latest_on", "Dato for seneste", 14),
    ("realised", "Realisering", 12),
    ("behind_plan", "Bag planen", 11),
    ("remark", "Bemærkning", 30),
    ("evidence", "Seneste kommentar", 40),
    ("description", "Beskrivelse", 48),
)
BENEFIT_NUMBERS = frozenset(
    {"baseline_value", "target_pessimistic", "target_likely", "target_optimistic", "latest"}
)
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def _xlsx(wb: Workbook) -> bytes:
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _put(cell: Any, value: Any, number_format: str | None = None) -> None:
    if isinstance(value, str):
        safe_text(cell, value)  # a note "=HYPERLINK(…)" stays text
        return
    cell.value = value
    if isinstance(value, date):
        cell.number_format = DATE_FORMAT
    elif number_format and value is not None:
        cell.number_format = number_format


def _title(ws: Any, text: str, width: int) -> None:
    safe_text(ws.cell(TITLE_ROW, 1), text)
    ws.cell(TITLE_ROW, 1).style = "Title"
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=width)


def _table(ws: Any, name: str, header_row: int, columns: int, rows: int) -> None:
    last = get_column_letter(columns)
    table = Table(displayName=name, ref=f"A{header_row}:{last}{header_row + max(rows, 1)}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = ws.cell(header_row + 1, 1)


def sheet_name(name: str, taken: set[str]) -> str:
    """A pool's name as Excel allows a sheet to be named: 31 characters, no []:*?/\\, unique."""
    base = _SHEET_NAME_BAD.sub(" ", name).strip().strip("'")[:31] or "Pulje"
    candidate, n = base, 2
    while candidate.casefold() in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.casefold())
    return candidate


def _fill_ledger(ws: Any, session: Session, pool: Pool, table_name: str, today: date) -> None:
    assert pool.id is not None  # noqa: S101
    _title(ws, f"{pool.name} – udtræk {danish_day(today)}", len(LEDGER_COLUMNS))
    rule = (
        f"Ejer: {pool.owner_body}. Oprettet {danish_day(pool.established_on)}. Regel for "
        f"tilbageløb: {pool.return_share_pct} % af de økonomiske gevinster til puljen"
        + (", og investeringen betales tilbage." if pool.repay_investment else ".")
    )
    safe_text(ws.cell(TITLE_ROW + 1, 1), rule)
    figures = services.figures(session, pool.id)
    for i, (name, heading) in enumerate(SUMMARY):
        ws.cell(SUMMARY_ROW + i, 1, heading).font = Font(bold=True)
        _put(ws.cell(SUMMARY_ROW + i, 2), getattr(figures, name), MONEY_FORMAT)
    header_row = SUMMARY_ROW + len(SUMMARY) + 1
    for c, (_name, heading, width) in enumerate(LEDGER_COLUMNS, start=1):
        ws.cell(header_row, c, heading)
        ws.column_dimensions[get_column_letter(c)].width = width
    lines = registers.ledger_lines(session, pool)
    for r, line in enumerate(lines, start=header_row + 1):
        move = line.movement
        values = {
            "occurred_on": move.occurred_on,
            "kind": label(move.kind),
            "project": line.project,
            "amount_dkk": move.amount_dkk,
            "balance_after": line.balance_after,
            "decision": line.decision,
            "source": move.source,
            "note": move.note,
            "created_by": move.created_by,
        }
        for c, (name, _heading, _width) in enumerate(LEDGER_COLUMNS, start=1):
            money = name in ("amount_dkk", "balance_after")
            _put(ws.cell(r, c), values[name], MONEY_FORMAT if money else None)
            if name == "note":
                ws.cell(r, c).alignment = Alignment(wrap_text=True, vertical="top")
    _table(ws, table_name, header_row, len(LEDGER_COLUMNS), len(lines))


def ledger_workbook(session: Session, pool_id: int | None = None) -> bytes:
    """One sheet per pool (or only the pool asked for): the summary block, then the ledger."""
    chosen = [p for p in services.pools(session) if pool_id is None or p.id == pool_id]
    today = utcnow().date()
    wb = Workbook()
    first = wb.active
    assert first is not None  # noqa: S101  (a new workbook always has one sheet)
    with force_locale("da"):
        if not chosen:
            first.title = "Puljer"
            first.cell(TITLE_ROW, 1, "Der er ingen puljer endnu.")
        taken: set[str] = set()
        for n, pool in enumerate(chosen, start=1):
            ws = first if n == 1 else wb.create_sheet()
            ws.title = sheet_name(pool.name, taken)
            _fill_ledger(ws, session, pool, f"Pulje{n}", today)
    return _xlsx(wb)


def _benefit_values(row: registers.BenefitRow) -> dict[str, Any]:
    benefit, status = row.benefit, row.status
    qualitative = benefit.type == BenefitType.qualitative
    pct = status.realisation.pct
    remark = None
    if status.realisation.capped:
        cap = int(REALISATION_CAP_PCT) * (1 if (pct or 0) > 0 else -1)
        beyond = "Mere end" if cap > 0 else "Mindre end"
        remark = f"{beyond} {cap} % (vist som {cap} %)."
    elif not qualitative and pct is None:
        remark = "Kan ikke beregnes endnu: mangler nulpunkt, mål eller måling."
    return {
        "project": row.project,
        "title": benefit.title,
        "type": label(benefit.type),
        "owner": row.owner,
        "department": row.department,
        "indicator": benefit.indicator,
        "unit": benefit.unit,
        "baseline_value": benefit.baseline_value,
        "baseline_date": benefit.baseline_date,
        "target_pessimistic": benefit.target_pessimistic,
        "target_likely": benefit.target_likely,
        "target_optimistic": benefit.target_optimistic,
        "full_effect_on": benefit.full_effect_on,
        "latest": label(status.assessment) if qualitative else status.latest_value,
        "latest_on": row.latest_on,
        "realised": None if pct is None else pct / 100,
        "behind_plan": "Ja" if status.behind_plan else "Nej",
        "remark": remark,
        "evidence": status.latest.comment if status.latest else None,
        "description": benefit.description,
    }


def write_benefits_sheet(ws: Any, rows: Sequence[registers.BenefitRow], today: date) -> None:
    _title(ws, f"Gevinstregister – udtræk {danish_day(today)}", len(BENEFIT_COLUMNS))
    ws.cell(TITLE_ROW + 1, 1).value = (
        "Realisering = (seneste − nulpunkt) / (forventet mål − nulpunkt). Kvalitative gevinster "
        "vurderes på skalaen ikke påbegyndt, på vej, delvist realiseret, realiseret."
    )
    header_row = TITLE_ROW + 3
    for c, (_name, heading, width) in enumerate(BENEFIT_COLUMNS, start=1):
        ws.cell(header_row, c, heading)
        ws.column_dimensions[get_column_letter(c)].width = width
    for r, row in enumerate(rows, start=header_row + 1):
        values = _benefit_values(row)
        numbers = MONEY_FORMAT if row.benefit.type == BenefitType.economic else NUMBER_FORMAT
        for c, (name, _heading, _width) in enumerate(BENEFIT_COLUMNS, start=1):
            fmt = numbers if name in BENEFIT_NUMBERS else None
            _put(ws.cell(r, c), values[name], PERCENT_FORMAT if name == "realised" else fmt)
    _table(ws, "Gevinster", header_row, len(BENEFIT_COLUMNS), len(rows))


def benefits_workbook(session: Session, project_id: int | None = None) -> bytes:
    """Every benefit (or one project's), its targets, latest measurement and realisation."""
    today = utcnow().date()
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101
    ws.title = "Gevinster"
    with force_locale("da"):
        write_benefits_sheet(ws, registers.benefit_rows(session, project_id, today), today)
    return _xlsx(wb)
