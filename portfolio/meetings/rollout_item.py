"""The rollout plan as an agenda item of a Chefforum pack, as plain data: the grid frozen as
rows, its numbers for the Sagsfremstilling, the suggested texts, and what changed between two
meetings' rollouts.

Pure like pack.py: portfolio.meetings.services fills a RolloutPlan from the live grid
(portfolio.rollout.services) or from a published meeting's snapshot; the exporters only read
it. The texts are Danish: the pack is the municipality's document of record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from enum import StrEnum
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from portfolio.domain import ROLLOUT_SYMBOLS, RolloutState, label
from portfolio.formats import danish_day, danish_number

# Chefforum's request in the minutes of 22 October 2020 (shared/seeds): quoted as written.
REQUEST_DATE = date(2020, 10, 22)
REQUEST_QUOTE = (
    "et bud på en plan for hvordan bilagsappen, kørselsappen og fraværsappen kan udrulles i "
    "hele organisationen. Dette med øje for diversiteten i at nogle afdelinger har længere "
    "implementeringstid end andre"
)
# States that count as done: a department live, or one the app does not concern.
_DONE = frozenset({RolloutState.live, RolloutState.not_relevant})
_DATE_FIELDS = ("planned_start", "planned_go_live", "baseline_go_live", "actual_go_live")


@dataclass(frozen=True)
class RolloutRow:
    """One cell as frozen: the fields of services.cell_to_dict(json_ready=False), the cell's
    id (to compare two meetings even after a rename), and whether it was late and by how much
    its go-live had slipped on the day it was taken."""

    cell_id: int
    project: str
    department: str
    state: RolloutState = RolloutState.not_started
    planned_start: date | None = None
    planned_go_live: date | None = None
    baseline_go_live: date | None = None
    actual_go_live: date | None = None
    implementation_weeks: int | None = None
    users: int | None = None
    blocker: str | None = None
    late: bool = False
    slip_days: int | None = None

    @classmethod
    def from_cell(
        cls, values: Mapping[str, Any], *, cell_id: int, late: bool, slip_days: int | None
    ) -> RolloutRow:
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in values.items() if k in known}
        return cls(cell_id=cell_id, late=late, slip_days=slip_days, **data)

    @property
    def relevant(self) -> bool:
        return self.state != RolloutState.not_relevant

    @property
    def go_live(self) -> date | None:
        """When the department went live, or is planned to."""
        if self.state == RolloutState.live and self.actual_go_live:
            return self.actual_go_live
        return self.planned_go_live

    @property
    def state_text(self) -> str:
        """The state as a symbol and a word, never colour alone: "● I drift"."""
        return f"{ROLLOUT_SYMBOLS[self.state]} {label(self.state)}"

    def as_cell(self) -> dict[str, Any]:
        """The cell_to_dict(json_ready=False) shape the rollout charts take."""
        data = asdict(self)
        for key in ("cell_id", "late", "slip_days"):
            data.pop(key)
        return data

    def to_data(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.value
        for key in _DATE_FIELDS:
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> RolloutRow:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}  # a key no longer known is dropped
        values["state"] = RolloutState(values.get("state") or RolloutState.not_started)
        for key in _DATE_FIELDS:
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        return cls(**values)


@dataclass(frozen=True)
class RolloutDepartment:
    """A department as the plan's numbers explain it: its pace and its blackout periods."""

    name: str
    implementation_factor: float = 1.0
    head_count: int | None = None
    blackouts: tuple[str, ...] = ()  # labels as in a sentence: "juli", "jul", "vinterferie"


@dataclass(frozen=True)
class RolloutPlan:
    """The grid on one day: every cell, by department then app, and the departments."""

    taken_on: date
    rows: tuple[RolloutRow, ...]
    departments: tuple[RolloutDepartment, ...] = ()

    @property
    def apps(self) -> list[str]:
        return sorted({r.project for r in self.rows}, key=str.casefold)

    @property
    def department_names(self) -> list[str]:
        return sorted({r.department for r in self.rows}, key=str.casefold)

    def cells(self) -> list[dict[str, Any]]:
        """Every cell in the charts' shape."""
        return [r.as_cell() for r in self.rows]

    def matrix(self) -> list[tuple[str, list[RolloutRow | None]]]:
        """The grid: per department (rows) its cell in each app (columns, as `apps`)."""
        apps = self.apps
        by_key = {(r.department, r.project): r for r in self.rows}
        return [(d, [by_key.get((d, a)) for a in apps]) for d in self.department_names]

    def to_data(self) -> dict[str, Any]:
        return {
            "taken_on": self.taken_on.isoformat(),
            "rows": [r.to_data() for r in self.rows],
            "departments": [asdict(d) for d in self.departments],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> RolloutPlan:
        return cls(
            taken_on=date.fromisoformat(data["taken_on"]),
            rows=tuple(RolloutRow.from_data(r) for r in data.get("rows", ())),
            departments=tuple(
                RolloutDepartment(
                    name=d["name"],
                    implementation_factor=float(d.get("implementation_factor") or 1.0),
                    head_count=d.get("head_count"),
                    blackouts=tuple(d.get("blackouts") or ()),
                )
                for d in data.get("departments", ())
            ),
        )


# --- the numbers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlowDepartment:
    """A department that takes longer than the apps' base time, and why."""

    name: str
    factor: float
    weeks: tuple[int, ...]  # its implementation time per app, ascending, distinct
    extra_blackouts: tuple[str, ...]  # blackouts the other departments do not have


@dataclass(frozen=True)
class RolloutNumbers:
    apps: tuple[str, ...]
    departments: tuple[str, ...]
    cells: int  # department rollouts that concern the department (not Ikke relevant)
    live: int
    late: int
    blocked: int
    unplanned: int  # neither live nor given a planned go-live
    users: int  # users affected across the relevant cells
    first_go_live: date | None
    last_go_live: date | None
    slow: tuple[SlowDepartment, ...]
    common_blackouts: tuple[str, ...]  # blackouts every department has


def rollout_numbers(plan: RolloutPlan) -> RolloutNumbers:
    relevant = [r for r in plan.rows if r.relevant]
    dates = [d for d in (r.go_live for r in relevant) if d is not None]
    in_plan = set(plan.department_names)
    departments = [d for d in plan.departments if d.name in in_plan]
    common = set.intersection(*(set(d.blackouts) for d in departments)) if departments else set()
    slow = []
    for d in sorted(departments, key=lambda d: (-d.implementation_factor, d.name.casefold())):
        extra = tuple(b for b in d.blackouts if b not in common)
        if d.implementation_factor > 1.0 or extra:
            weeks = sorted(
                {
                    r.implementation_weeks
                    for r in relevant
                    if r.department == d.name and r.implementation_weeks
                }
            )
            slow.append(SlowDepartment(d.name, d.implementation_factor, tuple(weeks), extra))
    # Common blackouts in the order the departments list them.
    ordered_common = tuple(
        dict.fromkeys(b for d in departments for b in d.blackouts if b in common)
    )
    return RolloutNumbers(
        apps=tuple(plan.apps),
        departments=tuple(plan.department_names),
        cells=len(relevant),
        live=sum(1 for r in relevant if r.state == RolloutState.live),
        late=sum(1 for r in relevant if r.late),
        blocked=sum(1 for r in relevant if r.blocker and r.state not in _DONE),
        unplanned=sum(
            1 for r in relevant if r.state != RolloutState.live and r.planned_go_live is None
        ),
        users=sum(r.users or 0 for r in relevant),
        first_go_live=min(dates) if dates else None,
        last_go_live=max(dates) if dates else None,
        slow=tuple(slow),
        common_blackouts=ordered_common,
    )


def join_words(words: Sequence[str]) -> str:
    """ "a, b og c", as Danish lists them."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " " + _("og") + " " + words[-1]


def _factor(value: float) -> str:
    return danish_number(value, 1)


def _weeks(weeks: Sequence[int]) -> str:
    if not weeks:
        return ""
    if len(weeks) == 1:
        return ngettext("%(num)d uge", "%(num)d uger", weeks[0])
    return _("%(low)d–%(high)d uger", low=weeks[0], high=weeks[-1])


def slow_reason(slow: SlowDepartment) -> str:
    """Why a department takes longer, in words: "implementeringstid × 2,0 (8–10 uger pr. app);
    desuden ingen udrulning i vinterferie"."""
    parts = []
    if slow.factor > 1.0:
        text = _("implementeringstid × %(factor)s", factor=_factor(slow.factor))
        if slow.weeks:
            text += " " + _("(%(weeks)s pr. app)", weeks=_weeks(slow.weeks))
        parts.append(text)
    if slow.extra_blackouts:
        periods = join_words(list(slow.extra_blackouts))
        if parts:
            parts.append(_("desuden ingen udrulning i %(periods)s", periods=periods))
        else:
            parts.append(_("ingen udrulning i %(periods)s", periods=periods))
    return "; ".join(parts)


# --- changes since the last meeting -----------------------------------------------------------


class RolloutChangeKind(StrEnum):
    live = "live"  # a department went live
    moved = "moved"  # the planned go-live moved (slipped, or brought forward)
    blocker = "blocker"  # a new (or changed) blocker


ROLLOUT_CHANGE_ORDER = tuple(RolloutChangeKind)


@dataclass(frozen=True)
class RolloutChange:
    kind: RolloutChangeKind
    project: str
    department: str
    old: date | None = None  # the planned go-live before (moved)
    new: date | None = None  # the go-live now (live, moved)
    blocker: str | None = None  # the new blocker's text

    @property
    def days(self) -> int | None:
        if self.old is None or self.new is None:
            return None
        return (self.new - self.old).days

    @property
    def worsening(self) -> bool:
        return self.kind == RolloutChangeKind.blocker or (
            self.kind == RolloutChangeKind.moved and (self.days or 0) > 0
        )


def compute_rollout_changes(previous: RolloutPlan, current: RolloutPlan) -> list[RolloutChange]:
    """What changed in the rollout between two meetings, by kind, then app and department: a
    department that went live, a planned go-live that moved (in days), a new blocker."""
    before = {r.cell_id: r for r in previous.rows}
    changes: list[RolloutChange] = []
    for row in current.rows:
        old = before.get(row.cell_id)
        was_live = old is not None and old.state == RolloutState.live
        if row.state == RolloutState.live and not was_live:
            changes.append(
                RolloutChange(RolloutChangeKind.live, row.project, row.department, new=row.go_live)
            )
        elif (
            old is not None
            and row.state not in _DONE
            and old.planned_go_live
            and row.planned_go_live
            and old.planned_go_live != row.planned_go_live
        ):
            changes.append(
                RolloutChange(
                    RolloutChangeKind.moved,
                    row.project,
                    row.department,
                    old=old.planned_go_live,
                    new=row.planned_go_live,
                )
            )
        if row.blocker and row.state not in _DONE and row.blocker != (old.blocker if old else None):
            changes.append(
                RolloutChange(
                    RolloutChangeKind.blocker, row.project, row.department, blocker=row.blocker
                )
            )
    rank = {k: i for i, k in enumerate(ROLLOUT_CHANGE_ORDER)}
    return sorted(
        changes,
        key=lambda c: (rank[c.kind], c.project.casefold(), c.department.casefold()),
    )


def rollout_change_title(kind: RolloutChangeKind) -> str:
    return {
        RolloutChangeKind.live: _("Nye go-lives"),
        RolloutChangeKind.moved: _("Go-live flyttet"),
        RolloutChangeKind.blocker: _("Nye blokeringer"),
    }[kind]


def describe_rollout_change(change: RolloutChange) -> str:
    """The change in words, without the app and department (shown beside it)."""
    if change.kind == RolloutChangeKind.live:
        if change.new is None:
            return _("I drift")
        return _("I drift fra %(day)s", day=danish_day(change.new))
    if change.kind == RolloutChangeKind.moved:
        assert change.old is not None and change.new is not None  # noqa: S101
        days = change.days or 0
        text = f"{danish_day(change.old)} → {danish_day(change.new)} "
        if days > 0:
            return text + ngettext("(skredet %(num)d dag)", "(skredet %(num)d dage)", days)
        return text + ngettext("(fremrykket %(num)d dag)", "(fremrykket %(num)d dage)", -days)
    return _("Blokering: %(text)s", text=change.blocker or "")


def rollout_changes_by_kind(
    changes: Iterable[RolloutChange],
) -> list[tuple[RolloutChangeKind, list[RolloutChange]]]:
    groups: dict[RolloutChangeKind, list[RolloutChange]] = {k: [] for k in ROLLOUT_CHANGE_ORDER}
    for change in changes:
        groups[change.kind].append(change)
    return [(k, v) for k, v in groups.items() if v]


# --- the agenda item --------------------------------------------------------------------------


@dataclass(frozen=True)
class RolloutItem:
    """The rollout plan as an agenda item *til beslutning*: its parts in the municipality's
    order (DOMAIN.md), the plan behind them, and the Bilag (the grid and the Gantt)."""

    plan: RolloutPlan
    anledning: str
    sagsfremstilling: str
    indstilling: str
    beslutning: str = ""
    bilag: tuple[str, ...] = field(default_factory=tuple)

    @property
    def numbers(self) -> RolloutNumbers:
        return rollout_numbers(self.plan)


TEXT_PARTS = ("anledning", "sagsfremstilling", "indstilling", "bilag")


def suggested_rollout_texts(
    plan: RolloutPlan,
    changes: Sequence[RolloutChange] | None,
    previous_meeting_date: date | None,
) -> dict[str, str]:
    """Anledning, Sagsfremstilling, Indstilling and Bilag (one per line) written from the plan's
    numbers, as the IT department would write them by hand. `changes` is None when there is
    no earlier rollout to compare with."""
    n = rollout_numbers(plan)
    anledning = _(
        "Chefforum bad på mødet %(day)s IT-afdelingen om “%(request)s”. IT-afdelingen "
        "forelægger hermed udrulningsplanen.",
        day=danish_day(REQUEST_DATE),
        request=REQUEST_QUOTE,
    )
    lines = [
        _(
            "Planen omfatter %(apps)s i %(departments)s: %(cells)s, der berører %(users)s brugere.",
            apps=ngettext("%(num)d app", "%(num)d apps", len(n.apps))
            + f" ({join_words(list(n.apps))})",
            departments=ngettext("%(num)d afdeling", "%(num)d afdelinger", len(n.departments)),
            cells=ngettext("%(num)d udrulning", "%(num)d udrulninger", n.cells),
            users=danish_number(n.users),
        )
    ]
    if n.first_go_live and n.last_go_live:
        lines.append(
            _(
                "Første go-live er %(first)s, og sidste go-live er %(last)s.",
                first=danish_day(n.first_go_live),
                last=danish_day(n.last_go_live),
            )
        )
    else:
        lines.append(_("Der er endnu ingen planlagte go-lives."))
    lines.append(
        _(
            "I drift: %(live)d. Forsinket: %(late)d. Med blokering: %(blocked)d. Uden planlagt "
            "go-live: %(unplanned)d.",
            live=n.live,
            late=n.late,
            blocked=n.blocked,
            unplanned=n.unplanned,
        )
    )
    if n.slow:
        lines.append(
            _("Afdelinger med længere implementeringstid:")
            + "\n"
            + "\n".join(f"- {s.name}: {slow_reason(s)}" for s in n.slow)
        )
    else:
        lines.append(_("Alle afdelinger har appens grundtid som implementeringstid."))
    if n.common_blackouts:
        lines.append(
            _(
                "Ingen afdeling får en udrulning i %(periods)s.",
                periods=join_words(list(n.common_blackouts)),
            )
        )
    if changes is not None and previous_meeting_date is not None:
        counts = dict.fromkeys(RolloutChangeKind, 0)
        for change in changes:
            counts[change.kind] += 1
        slipped = sum(1 for c in changes if c.kind == RolloutChangeKind.moved and c.worsening)
        lines.append(
            _(
                "Siden mødet %(day)s: nye go-lives %(live)d, skredne go-lives %(slipped)d, nye "
                "blokeringer %(blockers)d; se afsnittet Ændringer siden sidste møde.",
                day=danish_day(previous_meeting_date),
                live=counts[RolloutChangeKind.live],
                slipped=slipped,
                blockers=counts[RolloutChangeKind.blocker],
            )
        )
    points = [_("at udrulningsplanen for %(apps)s godkendes", apps=join_words(list(n.apps)))]
    if n.live or n.late or n.blocked:
        points.append(_("at orienteringen om udrulningens status tages til efterretning"))
    indstilling = (
        _("Chefen for Økonomi & Stab indstiller,")
        + "\n"
        + "\n".join(f"{i}. {point}" for i, point in enumerate(points, start=1))
    )
    bilag = [
        _("Udrulningsplan: afdelinger × apps pr. %(day)s", day=danish_day(plan.taken_on)),
        _("Gantt-diagram: udrulningen pr. app og afdeling"),
    ]
    return {
        "anledning": anledning,
        "sagsfremstilling": "\n\n".join(lines),
        "indstilling": indstilling,
        "bilag": "\n".join(bilag),
    }


def rollout_item(plan: RolloutPlan, texts: Mapping[str, str], beslutning: str = "") -> RolloutItem:
    return RolloutItem(
        plan=plan,
        anledning=texts["anledning"],
        sagsfremstilling=texts["sagsfremstilling"],
        indstilling=texts["indstilling"],
        beslutning=beslutning,
        bilag=tuple(line.strip() for line in texts["bilag"].splitlines() if line.strip()),
    )


# --- the snapshot's JSON ----------------------------------------------------------------------


def snapshot_json(plan: RolloutPlan, texts: Mapping[str, str]) -> str:
    """What a published meeting keeps of the rollout: the plan and the item's text."""
    data = {"plan": plan.to_data(), "texts": {k: texts.get(k, "") for k in TEXT_PARTS}}
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def snapshot_from_json(text: str) -> tuple[RolloutPlan, dict[str, str]]:
    data = json.loads(text)
    texts = {k: str(data.get("texts", {}).get(k, "")) for k in TEXT_PARTS}
    return RolloutPlan.from_data(data["plan"]), texts
