"""Importing the rollout sheet: compare each row with its cell, preview, then apply all or
nothing through services.update_cell (history, versions), refusing if the grid moved."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from importers.results import Problem
from importers.rollout_sheet import HEADERS, RolloutReadResult, RolloutRow
from portfolio.domain import ChangeSource, RolloutState
from portfolio.imports.services import normalise_name
from portfolio.rollout import services
from portfolio.rollout.services import GridCell, StaleRolloutError


@dataclass(frozen=True)
class CellChange:
    field: str
    old: Any
    new: Any
    cell: str | None  # where in the sheet, e.g. "E7"; None for a value Portefølje derives


@dataclass
class ChangedCell:
    grid_cell: GridCell
    row: RolloutRow
    changes: list[CellChange]

    def values(self) -> dict[str, Any]:
        return {c.field: c.new for c in self.changes}


@dataclass
class RolloutPreview:
    """What applying the sheet would do. Nothing is written while making it."""

    sheet: str
    rows: int
    grid: str  # services.fingerprint of the whole grid when the preview was made
    changed: list[ChangedCell] = field(default_factory=list)
    unchanged: int = 0
    missing: list[GridCell] = field(default_factory=list)  # cells the sheet has no row for
    problems: list[Problem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def can_apply(self) -> bool:
        return not self.problems and self.rows > 0

    @property
    def change_count(self) -> int:
        return sum(len(c.changes) for c in self.changed)

    def fingerprint(self) -> str:
        """The grid and the changes: applying refuses when either differs from what was shown."""
        data = [
            self.grid,
            [
                [c.grid_cell.cell.id, [(x.field, _plain(x.new)) for x in c.changes]]
                for c in self.changed
            ],
        ]
        blob = json.dumps(data, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:32]


def _plain(value: Any) -> Any:
    if isinstance(value, RolloutState):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def _comparable(name: str, value: Any) -> Any:
    """Values as the sheet can hold them: text with \\n line breaks and no outer space."""
    if name == "state" and value is not None:
        return RolloutState(value)
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
        return value or None
    return value


def preview_rollout_import(session: Session, result: RolloutReadResult) -> RolloutPreview:
    """Matches each row to its cell by department and app name, and lists what would change."""
    cells = services.grid_cells(session)
    preview = RolloutPreview(
        sheet=result.sheet,
        rows=len(result.rows),
        grid=services.fingerprint(cells),
        problems=list(result.problems),
        columns=dict(result.columns),
    )
    by_key = {(normalise_name(c.department), normalise_name(c.project)): c for c in cells}
    departments = {normalise_name(c.department) for c in cells} | {
        normalise_name(d.name) for d in services.departments(session)
    }
    apps = {normalise_name(c.project) for c in cells}
    first_row: dict[int, int] = {}
    for row in result.rows:
        department, app = normalise_name(row.department), normalise_name(row.project)
        grid_cell = by_key.get((department, app))
        if grid_cell is None:
            preview.problems.append(_unmatched(row, department in departments, app in apps))
            continue
        cell_id = int(grid_cell.cell.id or 0)
        if cell_id in first_row:
            preview.problems.append(
                Problem(
                    row.sheet,
                    row.cells.get("department"),
                    f"{row.department} / {row.project}",
                    f"{row.project} i {row.department} står også i række {first_row[cell_id]} "
                    "– slet den ene af rækkerne.",
                    None,
                )
            )
            continue
        first_row[cell_id] = row.row_number
        changes = diff_cell(grid_cell, row)
        if changes:
            preview.changed.append(ChangedCell(grid_cell, row, changes))
        else:
            preview.unchanged += 1
    preview.missing = [c for c in cells if int(c.cell.id or 0) not in first_row]
    return preview


def _unmatched(row: RolloutRow, known_department: bool, known_app: bool) -> Problem:
    if not known_department:
        return Problem(
            row.sheet,
            row.cells.get("department"),
            row.department,
            f"Afdelingen “{row.department}” findes ikke i Portefølje – skriv navnet, som det "
            "står i Portefølje (se arket Oversigt).",
            "department",
        )
    if not known_app:
        return Problem(
            row.sheet,
            row.cells.get("project"),
            row.project,
            f"“{row.project}” har ingen udrulning i Portefølje – skriv appens navn, som det "
            "står i Portefølje (se arket Oversigt).",
            "project",
        )
    return Problem(
        row.sheet,
        row.cells.get("project"),
        row.project,
        f"{row.project} har ingen udrulningscelle for {row.department} – start udrulningen i "
        "afdelingen i Portefølje først.",
        "project",
    )


def diff_cell(grid_cell: GridCell, row: RolloutRow) -> list[CellChange]:
    """The fields the row changes, and what Portefølje derives from them as update_cell does
    (going live without a date takes today's; the first planned go-live becomes the
    baseline), so that the preview shows everything that will be written."""
    cell = grid_cell.cell
    changes: list[CellChange] = []
    for name, raw in row.values.items():
        new, old = _comparable(name, raw), _comparable(name, getattr(cell, name))
        if new != old:
            changes.append(CellChange(name, getattr(cell, name), new, row.cells.get(name)))
    wanted = {c.field: c.new for c in changes}
    for name, new in services.derived_changes(cell, wanted).items():
        changes.append(CellChange(name, getattr(cell, name), new, None))
    return changes


class RolloutImportRefused(Exception):
    """The sheet cannot be applied; the message says why, in Danish. `retry`: the grid moved
    meanwhile, so a fresh preview of the same file can be applied."""

    def __init__(self, message: str, *, retry: bool = False) -> None:
        super().__init__(message)
        self.retry = retry


def apply_rollout_import(
    *, session: Session, preview: RolloutPreview, expected_fingerprint: str, actor: str
) -> int:
    """Writes every change of the preview with history (source: import), or raises
    RolloutImportRefused and the caller's unit of work writes nothing. Returns the cells
    changed. Flushes only."""
    if preview.problems:
        raise RolloutImportRefused(
            f"Arket har {len(preview.problems)} problem(er); ret dem i arket, og prøv igen. "
            "Intet er importeret."
        )
    if preview.rows == 0:
        raise RolloutImportRefused("Arket har ingen udrulningsrækker. Intet er importeret.")
    if preview.fingerprint() != expected_fingerprint:
        raise RolloutImportRefused(
            "Udrulningen er ændret, siden forhåndsvisningen blev lavet. Se den nye "
            "forhåndsvisning igennem, og godkend igen. Intet er importeret.",
            retry=True,
        )
    for changed in preview.changed:
        cell = changed.grid_cell.cell
        try:
            services.update_cell(
                session=session,
                cell=cell,
                changes=changed.values(),
                actor=actor,
                source=ChangeSource.import_,
                expected_version=cell.version,
            )
        except StaleRolloutError as exc:
            raise RolloutImportRefused(
                f"{changed.grid_cell.project} i {changed.grid_cell.department} blev ændret af "
                "en anden, mens importen kørte. Intet er importeret: se den nye "
                "forhåndsvisning igennem, og godkend på ny.",
                retry=True,
            ) from exc
    session.flush()
    return len(preview.changed)


def field_label(name: str) -> str:
    """The sheet's own header for a field: the preview speaks the sheet's language."""
    return HEADERS.get(name, name)
