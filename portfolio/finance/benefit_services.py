"""Benefits across the portfolio: every benefit's status in one pass, the overview's filter and
sort (behind plan first), and the gains per year and department its charts and tables show."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from portfolio.db import utcnow
from portfolio.domain import BenefitType
from portfolio.finance import benefit_charts as charts
from portfolio.finance import rules
from portfolio.finance import services as svc
from portfolio.finance.benefit_charts import GainFigure
from portfolio.finance.models import Benefit, BenefitMeasurement
from portfolio.i18n import chart_text
from portfolio.projects.models import Department, Person, Project

SORTS = ("title", "project", "type", "department", "owner", "latest", "realisation")
NO_DEPARTMENT = "–"


@dataclass(frozen=True)
class BenefitRow:
    """A benefit as the overview and the project page list it."""

    status: svc.BenefitStatus
    project: Project
    owner: str | None
    department: str | None
    history: list[BenefitMeasurement]

    @property
    def benefit(self) -> Benefit:
        return self.status.benefit


def benefit_rows(
    session: Session, *, project_id: int | None = None, today: date | None = None
) -> list[BenefitRow]:
    """Every benefit (of one project) with its history and status, in four queries."""
    found = svc.benefits(session, project_id)
    ids = [b.id for b in found if b.id is not None]
    histories: dict[int, list[BenefitMeasurement]] = {i: [] for i in ids}
    if ids:
        for m in session.exec(
            select(BenefitMeasurement)
            .where(col(BenefitMeasurement.benefit_id).in_(ids))
            .order_by(col(BenefitMeasurement.measured_on), col(BenefitMeasurement.id))
        ):
            histories[m.benefit_id].append(m)
    projects = _by_id(session, Project, {b.project_id for b in found})
    people = _by_id(session, Person, {b.owner_id for b in found if b.owner_id})
    places = _by_id(session, Department, {b.department_id for b in found if b.department_id})
    day = today or utcnow().date()
    rows = []
    for b in found:
        history = histories.get(b.id or 0, [])
        owner = people.get(b.owner_id) if b.owner_id else None
        place = places.get(b.department_id) if b.department_id else None
        rows.append(
            BenefitRow(
                status=svc.benefit_status(b, history, today=day),
                project=projects[b.project_id],
                owner=owner.name if owner else None,  # type: ignore[attr-defined]
                department=place.name if place else None,  # type: ignore[attr-defined]
                history=history,
            )
        )
    return rows


def _by_id(session: Session, model: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in session.exec(select(model).where(col(model.id).in_(ids)))}


@dataclass(frozen=True)
class BenefitFilter:
    """The overview's filters and sort as they travel in the URL (bookmarkable)."""

    type: BenefitType | None = None
    department: str | None = None
    project_id: int | None = None
    behind_only: bool = False
    sort: str = "project"
    descending: bool = False

    @classmethod
    def from_args(cls, args: Any) -> BenefitFilter:
        kind = args.get("type", "")
        project = args.get("projekt", "")
        sort = args.get("sort", "project")
        return cls(
            type=BenefitType(kind) if kind in {t.value for t in BenefitType} else None,
            department=(args.get("afdeling") or "").strip()[:200] or None,
            project_id=int(project) if project.isdigit() and len(project) < 10 else None,
            behind_only=args.get("bag") == "1",
            sort=sort if sort in SORTS else "project",
            descending=args.get("dir") == "desc",
        )

    def active(self) -> bool:
        return bool(self.type or self.department or self.project_id or self.behind_only)

    def keep(self, rows: Iterable[BenefitRow]) -> list[BenefitRow]:
        return [
            r
            for r in rows
            if (self.type is None or r.benefit.type == self.type)
            and (self.department is None or r.department == self.department)
            and (self.project_id is None or r.benefit.project_id == self.project_id)
            and (not self.behind_only or r.status.behind_plan)
        ]

    def sorted(self, rows: Iterable[BenefitRow]) -> list[BenefitRow]:
        """Behind plan first, always; within that the chosen column (empty values last)."""
        key = _SORT_KEYS[self.sort]
        known = [r for r in rows if key(r) is not None]
        unknown = [r for r in rows if key(r) is None]
        known.sort(key=lambda r: key(r), reverse=self.descending)  # type: ignore[arg-type,return-value]
        ordered = known + unknown
        ordered.sort(key=lambda r: not r.status.behind_plan)
        return ordered

    def apply(self, rows: Iterable[BenefitRow]) -> list[BenefitRow]:
        return self.sorted(self.keep(rows))


def _latest_on(r: BenefitRow) -> Any:
    return r.status.latest.measured_on if r.status.latest else None


_SORT_KEYS: dict[str, Any] = {
    "title": lambda r: r.benefit.title.casefold(),
    "project": lambda r: (r.project.name.casefold(), r.benefit.title.casefold()),
    "type": lambda r: list(BenefitType).index(r.benefit.type),
    "department": lambda r: r.department.casefold() if r.department else None,
    "owner": lambda r: r.owner.casefold() if r.owner else None,
    "latest": _latest_on,
    "realisation": lambda r: r.status.realisation.pct,
}


# --- gains per year ------------------------------------------------------------------------------


def gain(benefit: Benefit, value: float | None) -> float | None:
    """A value's distance from the baseline towards the target (fewer hours, more kroner …)."""
    if value is None or benefit.baseline_value is None:
        return None
    change = value - benefit.baseline_value
    if benefit.target_likely is not None and benefit.target_likely < benefit.baseline_value:
        return -change
    return change


def _in_kroner(benefit: Benefit, hours: float | None) -> float | None:
    if hours is None or benefit.type != BenefitType.time or not benefit.hourly_value_dkk:
        return None
    return hours * benefit.hourly_value_dkk


def gain_figures(rows: Sequence[BenefitRow], today: date | None = None) -> list[GainFigure]:
    """Per numeric benefit type, department and year: the gain the plan expects by the end of
    the year and the gain the year's latest measurement shows (years to come: none)."""
    day = today or utcnow().date()
    numeric = [r for r in rows if r.benefit.type != BenefitType.qualitative]
    years: set[int] = set()
    for r in numeric:
        b = r.benefit
        for d in (b.baseline_date, b.full_effect_on, *(m.measured_on for m in r.history)):
            if d is not None:
                years.add(d.year)
    if not years:
        return []
    first, last = min(years), max(max(years), day.year)
    sums: dict[tuple[BenefitType, str, int], list[float | None]] = {}
    for r in numeric:
        b = r.benefit
        place = r.department or NO_DEPARTMENT
        for year in range(max(first, last - 30), last + 1):
            end = date(year, 12, 31)
            planned = rules.expected_by(
                b.baseline_value, b.target_likely, b.baseline_date, b.full_effect_on, end
            )
            expected = gain(b, planned)
            realised = None
            if year <= day.year:
                upto = [m for m in r.history if m.measured_on <= end and m.value is not None]
                realised = gain(b, upto[-1].value) if upto else None
            if expected is None and realised is None:
                continue
            row = sums.setdefault((b.type, place, year), [0.0, None, None, None])
            row[0] = (row[0] or 0.0) + (expected or 0.0)
            for i, amount in (
                (1, realised),
                (2, _in_kroner(b, expected)),
                (3, _in_kroner(b, realised)),
            ):
                if amount is not None:
                    row[i] = (row[i] or 0.0) + amount
    return [
        GainFigure(kind, place, year, float(v[0] or 0.0), v[1], v[2], v[3])
        for (kind, place, year), v in sorted(sums.items(), key=lambda kv: (kv[0][2], kv[0][1]))
    ]


def value_text(benefit: Benefit, value: float | None) -> str:
    """A benefit's value in its unit, in the user's language: "3.800 timer/år"."""
    return charts.value_text(value, benefit.unit, chart_text())


def display_helpers() -> dict[str, Any]:
    """What the benefit templates (overview, page, project section) format with."""
    return {
        "value_text": value_text,
        "assessment_text": charts.assessment_text,
        "pct_text": charts.pct_text,
        "behind_symbol": charts.BEHIND_SYMBOL,
    }


def project_benefits(session: Session, project_id: int) -> dict[str, Any]:
    """The benefits section of a project's page."""
    return {
        "benefit_rows": benefit_rows(session, project_id=project_id),
        "benefit_helpers": display_helpers(),
    }
