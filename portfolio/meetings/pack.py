"""The board-meeting pack as plain data, and the pure rules behind it: what changed between two
snapshots, which projects go to Chefforum for decision, and the agenda item's suggested text.

`portfolio.meetings.services.build_pack` fills a Pack from a meeting and its (frozen or live)
snapshot; the exporters in `portfolio/exporters/pack_*.py` only read it. Nothing here touches
the database or Flask (gettext works without an app: it then gives the Danish source text), so
the rules and the exports can be tested on hand-made packs.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import ngettext
from pydantic import BaseModel, create_model
from sqlmodel.main import SQLModelConfig

from portfolio.charts import NO_STATUS
from portfolio.domain import is_slipped, label
from portfolio.formats import danish_day, danish_money, long_date
from portfolio.meetings.finance_item import FinanceChanges, FinanceSection, PoolOrientation
from portfolio.meetings.rollout_item import (
    RolloutChange,
    RolloutChangeKind,
    RolloutItem,
    rollout_changes_by_kind,
)
from portfolio.projects.models import ProjectCreate, reading_order

CLOSED_PHASES = frozenset({"completed", "stopped"})
# The app's default BABEL_DEFAULT_TIMEZONE: the day a pack was published, as its readers count.
MUNICIPAL_TIME = ZoneInfo("Europe/Copenhagen")


class PackMode(StrEnum):
    complete = "complete"  # a complete status: every project, decision and information sections
    decisions = "decisions"  # only strategic projects brought for decision


class ChangeKind(StrEnum):
    new = "new"  # in this snapshot, not in the previous one
    closed = "closed"  # left the active portfolio: archived, completed or stopped
    status = "status"  # e.g. green -> red
    phase = "phase"
    end_date = "end_date"  # slipped (or brought forward)
    budget = "budget"
    process_owner = "process_owner"


# The order changes are listed in, per project; and the fields each one compares.
CHANGE_ORDER = tuple(ChangeKind)
COMPARED_FIELDS = {
    ChangeKind.status: "status",
    ChangeKind.phase: "phase",
    ChangeKind.end_date: "end_date",
    ChangeKind.budget: "budget_dkk",
    ChangeKind.process_owner: "process_owner",
}


class PackProject(ProjectCreate):
    """One project as frozen in a snapshot: the id and every field of the project's shape,
    inherited from ProjectCreate, so a new field is frozen and exported with the rest (give it a
    default: snapshots published before it must still load). Enum fields hold the enum members,
    which equal their canonical values ("red", ...)."""

    model_config = SQLModelConfig(frozen=True)

    id: int

    @property
    def is_open(self) -> bool:
        return self.phase not in CLOSED_PHASES

    @property
    def slipped(self) -> bool:
        return is_slipped(self.end_date, self.baseline_end_date)

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> PackProject:
        """A row of the columns PACK_FIELDS names, in that order (live_projects)."""
        return cls.model_validate(dict(zip(PACK_FIELDS, row, strict=True)))

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str) -> PackProject:
        """A snapshot's project; one frozen before a field existed has None for it, and a key
        no longer known is dropped. Read without today's limits: a published pack must load
        even after a limit has been lowered."""
        loaded = _snapshot_reader().model_validate_json(text)
        return cls.model_construct(**dict(loaded))

    def as_row(self) -> dict[str, Any]:
        """Canonical field names and values, as the portfolio sheet's exporter takes them."""
        return self.model_dump()


@functools.cache
def _snapshot_reader() -> type[BaseModel]:
    """PackProject's fields with their types and defaults but no length limits."""
    fields: dict[str, Any] = {
        name: (info.annotation, ... if info.is_required() else info.get_default())
        for name, info in PackProject.model_fields.items()
    }
    return create_model("PackSnapshot", **fields)


# In reading order, the id first: the columns live_projects selects, a snapshot's JSON keys.
PACK_FIELDS: tuple[str, ...] = reading_order(PackProject.model_fields)


@dataclass(frozen=True)
class Change:
    project_id: int
    project_name: str
    kind: ChangeKind
    old: str | None  # canonical value, ISO date or whole kroner as text; None when absent
    new: str | None


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def compute_changes(
    previous: Mapping[int, PackProject], current: Mapping[int, PackProject]
) -> list[Change]:
    """What changed between two snapshots (project id -> project), in a fixed order.

    A project only in `current` is `new`, and nothing else is said of it. A project only in
    `previous` (archived or deleted since) is `closed`, and so is one that moved from an open
    phase into Afsluttet or Stoppet (old and new phase given); nothing else is said of those
    either. Otherwise each of status, phase, end date, budget and process owner that differs
    is one change.
    """
    changes: list[Change] = []
    for pid in sorted(
        previous.keys() | current.keys(), key=lambda i: _order_key(i, previous, current)
    ):
        before, after = previous.get(pid), current.get(pid)
        if before is None and after is not None:
            changes.append(Change(pid, after.name, ChangeKind.new, None, after.phase))
            continue
        if before is not None and after is None:
            changes.append(Change(pid, before.name, ChangeKind.closed, before.phase, None))
            continue
        assert before is not None and after is not None  # noqa: S101
        if before.is_open and not after.is_open:
            changes.append(Change(pid, after.name, ChangeKind.closed, before.phase, after.phase))
            continue
        for kind, name in COMPARED_FIELDS.items():
            old, new = _text(getattr(before, name)), _text(getattr(after, name))
            if old != new:
                changes.append(Change(pid, after.name, kind, old, new))
    return changes


def _order_key(
    pid: int, previous: Mapping[int, PackProject], current: Mapping[int, PackProject]
) -> tuple[str, int]:
    project = current.get(pid) or previous[pid]
    return (project.name.casefold(), pid)


# --- describing changes to a reader --------------------------------------------------------


def change_title(kind: ChangeKind) -> str:
    return {
        ChangeKind.new: _("Nyt projekt"),
        ChangeKind.closed: _("Lukket"),
        ChangeKind.status: _("Status ændret"),
        ChangeKind.phase: _("Ny fase"),
        ChangeKind.end_date: _("Slutdato flyttet"),
        ChangeKind.budget: _("Budget ændret"),
        ChangeKind.process_owner: _("Ny procesejer"),
    }[kind]


def _value_text(kind: ChangeKind, value: str | None) -> str:
    if value is None:
        return "–"
    if kind in (ChangeKind.status, ChangeKind.phase, ChangeKind.new, ChangeKind.closed):
        return label(value)
    if kind == ChangeKind.end_date:
        return danish_day(date.fromisoformat(value))
    if kind == ChangeKind.budget:
        return danish_money(int(value))
    return value


def describe_change(change: Change) -> str:
    """The change in words: "Grøn → Rød", "01-03-2027 → 01-06-2027 (skredet 92 dage)" …"""
    kind = change.kind
    if kind == ChangeKind.new:
        return _("Nyt i porteføljen (fase: %(phase)s)", phase=_value_text(kind, change.new))
    if kind == ChangeKind.closed:
        if change.new is None:
            return _("Arkiveret eller fjernet siden sidste møde")
        return f"{_value_text(kind, change.old)} → {_value_text(kind, change.new)}"
    text = f"{_value_text(kind, change.old)} → {_value_text(kind, change.new)}"
    if kind == ChangeKind.end_date and change.old and change.new:
        days = (date.fromisoformat(change.new) - date.fromisoformat(change.old)).days
        if days > 0:
            text += " " + ngettext("(skredet %(num)d dag)", "(skredet %(num)d dage)", days)
        else:
            text += " " + ngettext("(fremrykket %(num)d dag)", "(fremrykket %(num)d dage)", -days)
    elif kind == ChangeKind.budget and change.old and change.new:
        diff = int(change.new) - int(change.old)
        sign = "+" if diff > 0 else "−"
        text += f" ({sign}{danish_money(abs(diff))})"
    return text


def is_worsening(change: Change) -> bool:
    """Changes a reader should see first: a worse light, a slip, a higher budget."""
    rank = {"green": 0, "yellow": 1, "red": 2}
    if change.kind == ChangeKind.status:
        return rank.get(change.new or "", -1) > rank.get(change.old or "", -1) and bool(change.new)
    if change.kind == ChangeKind.end_date and change.old and change.new:
        return change.new > change.old
    if change.kind == ChangeKind.budget and change.old and change.new:
        return int(change.new) > int(change.old)
    return False


# --- the pack -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackItem:
    """A project in the *Til beslutning* or *Til orientering* section."""

    project: PackProject
    reasons: tuple[str, ...] = ()  # Danish, e.g. ("Status rød", "Ny fase: Analyse → Anskaffelse")
    flagged: bool = False  # put forward for decision by hand
    decision: str | None = None  # Chefforum's *Beslutning* for this project at this meeting
    previous_decision: str | None = None  # from the last meeting where one was recorded
    previous_decision_date: date | None = None


@dataclass(frozen=True)
class ReviewNote:
    """The review round before the meeting (portfolio/meetings/review_round.py): when it began,
    its deadline, how many of the pack's projects are in it (their owner has an account), and
    those their owner has not reviewed since it began, as (project, process owner)."""

    started_on: date
    deadline: date
    in_round: int
    unreviewed: list[tuple[str, str]]


def review_title() -> str:
    return _("Procesejernes gennemgang")


def review_summary(note: ReviewNote) -> list[str]:
    """The note in sentences, for every format: when the round began, and what is left
    (the projects themselves are listed after the last sentence)."""
    lines = [
        _(
            "Gennemgangsrunden startede %(day)s med frist %(deadline)s.",
            day=danish_day(note.started_on),
            deadline=danish_day(note.deadline),
        )
    ]
    if note.unreviewed:
        lines.append(
            ngettext(
                "%(num)d projekt er ikke gennemset af sin procesejer, siden runden startede:",
                "%(num)d projekter er ikke gennemset af deres procesejer, siden runden startede:",
                len(note.unreviewed),
            )
        )
    elif note.in_round:
        lines.append(_("Alle projekterne er gennemset af deres procesejer, siden runden startede."))
    return lines


@dataclass
class Pack:
    meeting_id: int
    meeting_date: date
    title: str  # "Chefforum 8. december 2026"
    mode: PackMode
    published_at: datetime | None  # None: a draft computed from the live portfolio
    previous_meeting_date: date | None  # what "changes since the last meeting" compares with
    # The agenda item, in the municipality's order (DOMAIN.md).
    anledning: str
    sagsfremstilling: str
    indstilling: str
    beslutning: str
    bilag: list[str] = field(default_factory=list)
    for_decision: list[PackItem] = field(default_factory=list)
    for_information: list[PackItem] = field(default_factory=list)  # operational projects
    other_strategic: list[PackItem] = field(default_factory=list)  # complete status only
    projects: list[PackProject] = field(default_factory=list)  # the attachment table
    changes: list[Change] = field(default_factory=list)
    # Traffic lights at the previous meeting (same filter), for "change since last meeting".
    previous_status: Counter[str] | None = None
    filter_description: str = ""  # Danish, e.g. "Afdeling: Børn & Familie"; "" when unfiltered
    # The rollout plan as its own agenda item til beslutning, when the meeting includes it.
    rollout: RolloutItem | None = None
    # The rollout's changes since the last meeting; rollout_compared: that meeting froze a
    # rollout to compare with (else there is nothing to say).
    rollout_changes: list[RolloutChange] = field(default_factory=list)
    rollout_compared: bool = False
    # Funding pools and benefits (issue 15): the section "Finansiering og gevinster" and the
    # pool's written orientation as an item of its own, when the meeting takes them up; the
    # ledger's and the benefits' changes since the last meeting (None: nothing to compare with).
    finance: FinanceSection | None = None
    pool_orientation: PoolOrientation | None = None
    finance_changes: FinanceChanges | None = None
    # The review round, when one was started for the meeting.
    review: ReviewNote | None = None

    @property
    def is_draft(self) -> bool:
        return self.published_at is None

    @property
    def published_day(self) -> str:
        """The day it was published, as the municipality's calendar has it: 01-12-2026."""
        if self.published_at is None:
            return ""
        aware = self.published_at
        if aware.tzinfo is None:
            aware = aware.replace(tzinfo=UTC)  # stored in UTC
        return danish_day(aware.astimezone(MUNICIPAL_TIME).date())

    @property
    def status_counts(self) -> Counter[str]:
        return Counter(p.status or NO_STATUS for p in self.projects)

    def changes_by_kind(self) -> list[tuple[ChangeKind, list[Change]]]:
        """The changes grouped under a heading per kind, in CHANGE_ORDER; empty kinds left out."""
        groups: dict[ChangeKind, list[Change]] = {k: [] for k in CHANGE_ORDER}
        for change in self.changes:
            groups[change.kind].append(change)
        return [(k, v) for k, v in groups.items() if v]

    def rollout_changes_by_kind(self) -> list[tuple[RolloutChangeKind, list[RolloutChange]]]:
        return rollout_changes_by_kind(self.rollout_changes)


def decision_reasons(
    project: PackProject, changes: Sequence[Change], *, flagged: bool, first_meeting: bool
) -> tuple[str, ...]:
    """Why a strategic project goes to Chefforum for decision; empty when it need not.

    Red or yellow; at a phase gate (a new project, or a new phase since the last meeting); or
    put forward by hand. Closed projects only when flagged.
    """
    reasons: list[str] = []
    if flagged:
        reasons.append(_("Sat på til beslutning"))
    if project.kind != "strategic" or not project.is_open:
        return tuple(reasons)
    if project.status == "red":
        reasons.append(_("Status rød"))
    elif project.status == "yellow":
        reasons.append(_("Status gul"))
    if not first_meeting:
        for change in changes:
            if change.kind == ChangeKind.new:
                reasons.append(_("Nyt projekt: beslutning om opstart"))
            elif change.kind == ChangeKind.phase:
                reasons.append(
                    _(
                        "Ved faseovergang: %(old)s → %(new)s",
                        old=label(change.old) or "–",
                        new=label(change.new) or "–",
                    )
                )
    return tuple(reasons)


def sort_for_decision(items: Iterable[PackItem]) -> list[PackItem]:
    """Red first, then yellow, then the rest; by name within each."""
    rank = {"red": 0, "yellow": 1}
    return sorted(
        items, key=lambda i: (rank.get(i.project.status or "", 2), i.project.name.casefold())
    )


# --- the agenda item's suggested text --------------------------------------------------------


def default_title(day: date) -> str:
    # A name and a Danish date, in every language: the pack is a Danish document.
    return f"Chefforum {long_date(day)}"


def suggested_texts(pack: Pack) -> dict[str, str]:
    """Anledning, Sagsfremstilling, Indstilling and Bilag, written from the pack's numbers: what
    the IT department would write by hand, for the user to edit before publishing."""
    counts = pack.status_counts
    total = len(pack.projects)
    strategic = sum(1 for p in pack.projects if p.kind == "strategic")
    first = pack.previous_meeting_date is None
    if pack.mode == PackMode.complete:
        anledning = _(
            "IT-projektrådet forelægger en samlet status for kommunens IT-projektportefølje. "
            "Strategiske projekter forelægges til beslutning eller drøftelse; operationelle "
            "projekter til orientering."
        )
    else:
        anledning = _(
            "IT-projektrådet forelægger de strategiske IT-projekter, der kræver Chefforums "
            "beslutning. Operationelle projekter sendes til orientering."
        )
    lines = [
        ngettext(
            "Porteføljen omfatter %(num)d projekt (strategiske: %(strategic)d).",
            "Porteføljen omfatter %(num)d projekter (strategiske: %(strategic)d).",
            total,
            strategic=strategic,
        )
        + " "
        + _(
            "Status: røde %(red)d, gule %(yellow)d, grønne %(green)d, uden status %(none)d.",
            red=counts.get("red", 0),
            yellow=counts.get("yellow", 0),
            green=counts.get("green", 0),
            none=counts.get(NO_STATUS, 0),
        )
    ]
    if first:
        lines.append(_("Dette er den første gennemgang og derfor en komplet status."))
    else:
        assert pack.previous_meeting_date is not None  # noqa: S101
        worse = sum(1 for c in pack.changes if is_worsening(c))
        if not pack.changes:
            lines.append(
                _(
                    "Ingen ændringer siden mødet %(day)s.",
                    day=danish_day(pack.previous_meeting_date),
                )
            )
        else:
            lines.append(
                ngettext(
                    "Siden mødet %(day)s er der sket %(num)d ændring (forværringer: %(worse)d); "
                    "se afsnittet Ændringer siden sidste møde.",
                    "Siden mødet %(day)s er der sket %(num)d ændringer (forværringer: %(worse)d); "
                    "se afsnittet Ændringer siden sidste møde.",
                    len(pack.changes),
                    day=danish_day(pack.previous_meeting_date),
                    worse=worse,
                )
            )
    if pack.for_decision:
        lines.append(
            ngettext(
                "%(num)d projekt forelægges til beslutning: %(names)s.",
                "%(num)d projekter forelægges til beslutning: %(names)s.",
                len(pack.for_decision),
                names=", ".join(i.project.name for i in pack.for_decision),
            )
        )
    else:
        lines.append(_("Ingen projekter kræver beslutning på dette møde."))
    points = [_("at orienteringen om porteføljens status tages til efterretning")]
    if pack.for_decision:
        points.append(_("at Chefforum træffer beslutning om de projekter, der er til beslutning"))
    indstilling = (
        _("Chefen for Økonomi & Stab indstiller,")
        + "\n"
        + "\n".join(f"{n}. {point}" for n, point in enumerate(points, start=1))
    )
    bilag = [
        _(
            "Porteføljeoversigt (projektporteføljearket) pr. %(day)s",
            day=danish_day(pack.meeting_date),
        )
    ]
    return {
        "anledning": anledning,
        "sagsfremstilling": "\n\n".join(lines),
        "indstilling": indstilling,
        "bilag": "\n".join(bilag),
    }
