"""The overview's numbers: the filtered projects in one lean query, their counts and budgets, and
the traffic light at each month end, reconstructed from the status history."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col

from portfolio.domain import is_slipped
from portfolio.projects.models import OVERVIEW_FIELDS, Project, StatusUpdate
from portfolio.projects.services import (
    NO_STATUS,
    ProjectFilter,
    filter_projects,
    project_columns,
    select_rows,
)

TRACKED_STATUSES = ("red", "yellow", "green")


class ProjectRow(NamedTuple):
    """What the overview needs of a project: plain values, no ORM object (a thousand rows). The
    query's columns follow these names (project_columns): the fields the charts count, and in
    `shown` the values of the table's columns (OVERVIEW_FIELDS: a field marked
    shown(overview=True) in the project model)."""

    id: int
    name: str
    case_number: str | None
    scope: str
    kind: str
    department: str | None
    process_owner: str | None
    phase: str
    status: str | None
    start_date: date | None
    end_date: date | None
    baseline_end_date: date | None
    budget_dkk: int | None
    shown: tuple[Any, ...] = ()

    @property
    def status_key(self) -> str:
        return self.status or NO_STATUS

    @property
    def slipped(self) -> bool:
        return is_slipped(self.end_date, self.baseline_end_date)


def overview_projects(session: Session, flt: ProjectFilter) -> list[ProjectRow]:
    """The projects the filter selects, in its sort order, as lean rows."""
    counted = ProjectRow._fields[:-1]
    columns = (*project_columns(counted), *project_columns(OVERVIEW_FIELDS))
    n = len(counted)
    return [ProjectRow._make((*row[:n], row[n:])) for row in select_rows(session, flt, *columns)]


class Tally(NamedTuple):
    """The rows counted for the charts: projects (or kroner) per group and status."""

    status: Counter[str]
    scope: Counter[tuple[str, str]]
    department: Counter[tuple[str, str]]  # a project without a department counts under ""
    phase: Counter[tuple[str, str]]
    budget_by_scope: Counter[tuple[str, str]]
    budget_by_department: Counter[tuple[str, str]]


def tally(rows: Iterable[ProjectRow]) -> Tally:
    """Every count the charts need, in one pass over the rows."""
    t = Tally(Counter(), Counter(), Counter(), Counter(), Counter(), Counter())
    for r in rows:
        status = r.status or NO_STATUS
        department = r.department or ""
        t.status[status] += 1
        t.scope[(r.scope, status)] += 1
        t.department[(department, status)] += 1
        t.phase[(r.phase, status)] += 1
        if r.budget_dkk:
            t.budget_by_scope[(r.scope, status)] += r.budget_dkk
            t.budget_by_department[(department, status)] += r.budget_dkk
    return t


# --- the traffic light over time ---------------------------------------------------------------


def month_ends(today: date, months: int = 12) -> list[date]:
    """The last `months` month ends before today's month, oldest first."""
    ends = []
    first = today.replace(day=1)
    for _ in range(months):
        end = first - timedelta(days=1)
        ends.append(end)
        first = end.replace(day=1)
    return ends[::-1]


def end_of_day(day: date, tz: tzinfo) -> datetime:
    """The instant `day` ends in the municipality's time zone (midnight after it), in UTC."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)


def status_at(
    session: Session,
    flt: ProjectFilter,
    days: Sequence[date],
    tz: tzinfo,
    current: Mapping[str, int],
) -> list[Counter[str]]:
    """How many of the filtered projects were green, yellow and red at the end of each day.

    Every status change is a move old → new. Walking back from today's counts (`current`), a
    move into red after a day means one fewer red project on that day, a move out of red one
    more. The database counts the moves since the first day per period between two days and per
    old and new value: one GROUP BY over the last months' changes only (the index on changed_at
    skips older history), at most 13 × 4 × 4 rows back, the same SQL on SQLite and PostgreSQL.
    A project without any history is taken to have had today's status all along.
    """
    if not days:
        return []
    cutoffs = [end_of_day(d, tz) for d in days]
    changed_at = col(StatusUpdate.changed_at)
    # Period k holds the changes between day k − 1 and day k; the last one those after all days.
    period = sa.case(*((changed_at < c, i) for i, c in enumerate(cutoffs) if i), else_=len(cutoffs))
    project_ids = filter_projects(sa.select(col(Project.id)).select_from(Project), flt).order_by(
        None
    )
    old, new = col(StatusUpdate.old_value), col(StatusUpdate.new_value)
    stmt = (
        sa.select(period, old, new, sa.func.count())
        .where(
            col(StatusUpdate.field) == "status",
            changed_at >= cutoffs[0],
            col(StatusUpdate.project_id).in_(project_ids),
        )
        .group_by(period, old, new)
    )
    net = [Counter[str]() for _ in range(len(days) + 1)]
    for period_no, old_value, new_value, count in session.connection().execute(stmt).all():
        net[period_no][new_value] += count
        net[period_no][old_value] -= count
    out = []
    running = Counter({s: current.get(s, 0) for s in TRACKED_STATUSES})
    for k in range(len(days), 0, -1):
        running.subtract(net[k])  # undo the moves made after day k − 1
        # max(0, …) only matters if history was edited by hand and no longer adds up.
        out.append(Counter({s: max(0, running[s]) for s in TRACKED_STATUSES if running[s]}))
    return out[::-1]
