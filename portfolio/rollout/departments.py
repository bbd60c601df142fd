"""Department settings for rollouts (chief, head count, implementation factor, blackouts) and an
app's rollout settings (base weeks, checklist); each change in the audit trail. Services only
flush: the request's or the command's unit of work commits."""

from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from portfolio.domain import ChangeSource
from portfolio.projects.models import Department, Person
from portfolio.projects.services import References
from portfolio.rollout.models import Blackout, Rollout, RolloutCell
from portfolio.rollout.services import (
    PLANNABLE,
    RolloutError,
    StaleRolloutError,
    default_weeks,
    update_cell,
)
from portfolio.users.audit import audit_entry

MAX_FACTOR = 10.0
MAX_BASE_WEEKS = 104
MAX_HEAD_COUNT = 1_000_000


@dataclass(frozen=True)
class BlackoutPeriod:
    """A yearly period as a form gives it: label, from (day, month) to (day, month)."""

    label: str
    start_day: int
    start_month: int
    end_day: int
    end_month: int

    def text(self) -> str:
        return (
            f"{self.label} {self.start_day:02d}-{self.start_month:02d}"
            f"–{self.end_day:02d}-{self.end_month:02d}"
        )


@dataclass(frozen=True)
class DepartmentSettings:
    chief: str | None
    head_count: int | None
    implementation_factor: float
    blackouts: tuple[BlackoutPeriod, ...] = ()


def seen_mark(settings: DepartmentSettings) -> str:
    """A short mark of a department's settings as a form showed them. The departments page
    saves every department at once, so a save writes only the rows its user changed, and
    refuses a row that someone else changed since the page was opened (no lost update)."""
    canonical = json.dumps(
        [
            (settings.chief or "").strip(),
            settings.head_count,
            round(float(settings.implementation_factor), 4),
            sorted(
                (p.label.strip(), p.start_day, p.start_month, p.end_day, p.end_month)
                for p in settings.blackouts
            ),
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


def current_settings(
    session: Session, department: Department, *, lock: bool = False
) -> DepartmentSettings:
    """The department's settings as they are now. lock=True first locks its row until the
    request's transaction ends (SELECT … FOR UPDATE on PostgreSQL; SQLite's writers take turns
    anyway), so two saves of one department cannot both read the old settings."""
    if lock:
        locked = session.get(
            Department, department.id, with_for_update=True, populate_existing=True
        )
        assert locked is not None  # noqa: S101 - the row the caller holds
        department = locked
    chief = session.get(Person, department.chief_id) if department.chief_id else None
    periods = session.exec(
        select(Blackout)
        .where(Blackout.department_id == department.id)
        .order_by(col(Blackout.start_month), col(Blackout.id))
    )
    return DepartmentSettings(
        chief=chief.name if chief else None,
        head_count=department.head_count,
        implementation_factor=department.implementation_factor,
        blackouts=tuple(period_of(b) for b in periods),
    )


def edited_rows(
    session: Session, rows: Sequence[tuple[Department, DepartmentSettings, str | None]]
) -> tuple[
    list[tuple[Department, DepartmentSettings]], list[tuple[Department, DepartmentSettings]]
]:
    """Of a page's rows (department, settings sent, seen_mark of what the page showed): those
    the user changed, to save, and those someone else changed since, with their settings now
    (nothing may then be saved). An unchanged row is neither: its old values are not written."""
    edited, overtaken = [], []
    for department, wanted, seen in rows:
        if seen_mark(wanted) == seen:
            continue
        now = current_settings(session, department, lock=True)
        if seen_mark(now) not in (seen, seen_mark(wanted)):
            overtaken.append((department, now))
        else:
            edited.append((department, wanted))
    return edited, overtaken


def check_day_month(day: int, month: int) -> None:
    """A day that exists in some year (29-02 does; 31-04 does not)."""
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2024, month)[1]:
        raise RolloutError(f"{day:02d}-{month:02d} er ikke en dato (skriv dd-mm, fx 01-07).")


def period_of(blackout: Blackout) -> BlackoutPeriod:
    return BlackoutPeriod(
        blackout.label,
        blackout.start_day,
        blackout.start_month,
        blackout.end_day,
        blackout.end_month,
    )


def blackouts_by_department(session: Session) -> dict[int, list[Blackout]]:
    found: dict[int, list[Blackout]] = {}
    for b in session.exec(select(Blackout).order_by(col(Blackout.start_month), col(Blackout.id))):
        found.setdefault(b.department_id, []).append(b)
    return found


def _audit(
    session: Session,
    *,
    actor: str,
    action: str,
    source: ChangeSource,
    field: str,
    old: Any,
    new: Any,
    project_id: int | None = None,
) -> None:
    session.add(
        audit_entry(
            actor=actor,
            action=action,
            source=source,
            project_id=project_id,
            field=field,
            old=old,
            new=new,
        )
    )


def _refresh_weeks(
    session: Session,
    pairs: Sequence[tuple[RolloutCell, int, int]],
    *,
    actor: str,
    source: ChangeSource,
) -> None:
    """Cells still to be planned whose implementation time was the old default get the new
    one (with history); a time set by hand stays."""
    for cell, old_default, new_default in pairs:
        if (
            cell.state in PLANNABLE
            and cell.implementation_weeks == old_default
            and old_default != new_default
        ):
            update_cell(
                session=session,
                cell=cell,
                changes={"implementation_weeks": new_default},
                actor=actor,
                source=source,
            )


def update_department(
    *,
    session: Session,
    department: Department,
    settings: DepartmentSettings,
    actor: str,
    source: ChangeSource,
) -> list[str]:
    """Set a department's rollout settings; returns the fields that changed."""
    assert department.id is not None  # noqa: S101
    if settings.head_count is not None and not 0 <= settings.head_count <= MAX_HEAD_COUNT:
        raise RolloutError(f"Antal medarbejdere i {department.name} skal være 0 eller flere.")
    if not 0 < settings.implementation_factor <= MAX_FACTOR:
        raise RolloutError(
            f"Faktoren for {department.name} skal være over 0 og højst {MAX_FACTOR:g}."
        )
    for period in settings.blackouts:
        if not period.label.strip():
            raise RolloutError(f"En ferieperiode i {department.name} mangler sit navn.")
        check_day_month(period.start_day, period.start_month)
        check_day_month(period.end_day, period.end_month)
    changed: list[str] = []

    old_chief = session.get(Person, department.chief_id) if department.chief_id else None
    new_chief = References(session).person(settings.chief) if settings.chief else None
    if (old_chief.name if old_chief else None) != (new_chief.name if new_chief else None):
        if new_chief is not None and new_chief.id is None:
            session.flush()
        department.chief_id = new_chief.id if new_chief else None
        changed.append("chief")
        _audit(
            session,
            actor=actor,
            action="department_update",
            source=source,
            field="department.chief",
            old=f"{department.name}: {old_chief.name}" if old_chief else None,
            new=f"{department.name}: {new_chief.name}" if new_chief else None,
        )
    if department.head_count != settings.head_count:
        changed.append("head_count")
        _audit(
            session,
            actor=actor,
            action="department_update",
            source=source,
            field="department.head_count",
            old=f"{department.name}: {department.head_count}"
            if department.head_count is not None
            else None,
            new=f"{department.name}: {settings.head_count}"
            if settings.head_count is not None
            else None,
        )
        department.head_count = settings.head_count
    old_factor = department.implementation_factor or 1.0
    if abs(old_factor - settings.implementation_factor) > 1e-9:
        changed.append("implementation_factor")
        _audit(
            session,
            actor=actor,
            action="department_update",
            source=source,
            field="department.factor",
            old=f"{department.name}: {old_factor:g}",
            new=f"{department.name}: {settings.implementation_factor:g}",
        )
        rows = session.exec(
            select(RolloutCell, Rollout)
            .join(Rollout, col(Rollout.project_id) == col(RolloutCell.project_id))
            .where(RolloutCell.department_id == department.id)
        ).all()
        before = [(cell, default_weeks(rollout, department)) for cell, rollout in rows]
        department.implementation_factor = settings.implementation_factor
        session.add(department)
        _refresh_weeks(
            session,
            [
                (cell, old, default_weeks(rollout, department))
                for (cell, old), (_c, rollout) in zip(before, rows, strict=True)
            ],
            actor=actor,
            source=source,
        )

    existing = list(
        session.exec(
            select(Blackout)
            .where(Blackout.department_id == department.id)
            .order_by(col(Blackout.id))
        )
    )
    old_periods = [period_of(b) for b in existing]
    new_periods = list(dict.fromkeys(settings.blackouts))  # the same period twice is once
    if sorted(old_periods, key=str) != sorted(new_periods, key=str):
        for blackout in existing:
            if period_of(blackout) not in new_periods:
                session.delete(blackout)
        for period in new_periods:
            if period not in old_periods:
                session.add(
                    Blackout(
                        department_id=department.id,
                        label=period.label.strip()[:60],
                        start_month=period.start_month,
                        start_day=period.start_day,
                        end_month=period.end_month,
                        end_day=period.end_day,
                    )
                )
        changed.append("blackouts")
        _audit(
            session,
            actor=actor,
            action="department_update",
            source=source,
            field="department.blackouts",
            old=f"{department.name}: " + "; ".join(p.text() for p in old_periods),
            new=f"{department.name}: " + "; ".join(p.text() for p in new_periods),
        )
    if changed:
        session.add(department)
        session.flush()
    return changed


def update_rollout_settings(
    *,
    session: Session,
    rollout: Rollout,
    base_weeks: int,
    checklist: Sequence[str],
    actor: str,
    source: ChangeSource,
    expected_version: int | None = None,
) -> list[str]:
    """Set an app's base implementation time and readiness checklist; cells still to be
    planned that had the old default time get the new one."""
    if expected_version is not None and expected_version != rollout.version:
        raise StaleRolloutError(
            "Udrulningens indstillinger er ændret af en anden, siden du åbnede dem. "
            "Se de nye værdier og prøv igen."
        )
    if not 1 <= base_weeks <= MAX_BASE_WEEKS:
        raise RolloutError(f"Grundtiden skal være mellem 1 og {MAX_BASE_WEEKS} uger.")
    items = list(dict.fromkeys(line.strip()[:200] for line in checklist if line.strip()))
    text = "\n".join(items)
    changed: list[str] = []
    if text != rollout.checklist:
        changed.append("checklist")
        _audit(
            session,
            actor=actor,
            action="rollout_update",
            source=source,
            field="rollout.checklist",
            old=rollout.checklist.replace("\n", "; "),
            new=text.replace("\n", "; "),
            project_id=rollout.project_id,
        )
        rollout.checklist = text
    if base_weeks != rollout.base_weeks:
        changed.append("base_weeks")
        _audit(
            session,
            actor=actor,
            action="rollout_update",
            source=source,
            field="rollout.base_weeks",
            old=rollout.base_weeks,
            new=base_weeks,
            project_id=rollout.project_id,
        )
        rows = session.exec(
            select(RolloutCell, Department)
            .join(Department, col(Department.id) == col(RolloutCell.department_id))
            .where(RolloutCell.project_id == rollout.project_id)
        ).all()
        before = [(cell, default_weeks(rollout, dept)) for cell, dept in rows]
        rollout.base_weeks = base_weeks
        _refresh_weeks(
            session,
            [
                (cell, old, default_weeks(rollout, dept))
                for (cell, old), (_c, dept) in zip(before, rows, strict=True)
            ],
            actor=actor,
            source=source,
        )
    if changed:
        session.add(rollout)
        session.flush()
    return changed
