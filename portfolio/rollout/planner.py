"""The rollout planner: a pure function from the IT department's wishes to a plan per cell.

Why a hand-written heuristic and not a solver (e.g. OR-Tools CP-SAT): the serial list schedule
below meets the targets (see benchmarks/rollout_planner.py) with no new dependency, is
deterministic by construction, explains each cell's start directly, and plans 20 apps × 60
departments well within a second; a solver would add a large wheel and time limits to tune.

The rules, in whole weeks (a week is Monday to Friday; a week is named by its Monday):

- A week is a *blackout week* for a department if any of its Monday–Friday days lies in one of
  that department's blackouts. A cell does no work in its blackout weeks: its work weeks skip them
  (it pauses), it never starts in one, and its go-live is the Friday of its last work week.
- A proposed (not locked) cell works exactly ``weeks`` weeks, none before the week of
  ``request.start``; ``planned_start`` is the Monday of its first work week.
- *Capacity*: in every week at most ``capacity`` cells are in work. A proposed cell counts in its
  work weeks only (not while paused); a locked cell counts in every week from ``locked_start``'s
  week to ``locked_go_live``'s week and is returned exactly as given. If locked cells alone exceed
  the capacity, proposed cells get no room in those weeks and the plan lists a problem.
- *Order* (A, B): in each department with a cell of both A and B, B's first work week comes after
  A's last work week. Only departments with both apps are tied (A > B > C does not make C wait for
  A where B is missing). A cycle in the order is refused with ValueError. A proposed A ordered
  before a locked B is placed first; if it still ends too late, the plan lists a problem.
- *Objective*: the earliest finish (the latest go-live), then more users live sooner (a lower sum
  of users × go-live week). Cells are placed one by one, each at its earliest feasible start
  (a serial schedule generation scheme) in the order of a priority rule (cells before a locked
  cell first, then the longest chain still to come, the longest cell, the most users); a few rules
  are tried and the best plan kept.
- ``lower_bound``: the latest of (a) the week by which all proposed work fits in the capacity left
  by locked cells, counting in each week at most the cells whose department is not in blackout;
  (b) per department, the earliest finish along each order chain, blackouts included; (c) the last
  locked go-live. No plan obeying the rules can finish earlier.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

__all__ = [
    "Blackout",
    "CellRequest",
    "Plan",
    "PlanRequest",
    "PlannedCell",
    "Reason",
    "ReasonCode",
    "lower_bound",
    "propose_plan",
    "reason_text",
    "week_text",
]


@dataclass(frozen=True)
class Blackout:
    """A period a department cannot run a rollout (e.g. "juli", "jul", "vinterferie")."""

    label: str  # Danish, lower case as shown in a sentence: "juli"
    start: date  # inclusive
    end: date  # inclusive


@dataclass(frozen=True)
class CellRequest:
    app: str
    department: str
    weeks: int  # implementation time in work weeks (>= 1), base time × factor, rounded up
    users: int = 0
    locked_start: date | None = None  # both set: a cell fixed by hand, kept exactly as given
    locked_go_live: date | None = None

    @property
    def locked(self) -> bool:
        return self.locked_start is not None and self.locked_go_live is not None


@dataclass(frozen=True)
class PlanRequest:
    start: date
    capacity: int
    cells: tuple[CellRequest, ...]
    order: tuple[tuple[str, str], ...] = ()  # (before_app, after_app)
    blackouts: Mapping[str, tuple[Blackout, ...]] = field(default_factory=dict)


class ReasonCode(StrEnum):
    start = "start"  # starts at the plan's start
    capacity = "capacity"  # waited for room in the IT department's capacity
    blackout = "blackout"  # start moved past a blackout, or (pause=True) the work pauses in one
    order = "order"  # waited for another app in the same department
    locked = "locked"  # fixed by hand
    running = "running"  # already under way: keeps its dates (set by the services, not here)


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    week: date | None = None  # the Monday waited for (capacity/order) or resumed at (blackout)
    label: str | None = None  # the blackout's label, or the app waited for (order)
    pause: bool = False  # blackout only: the cell pauses in it (rather than starting after it)


@dataclass(frozen=True)
class PlannedCell:
    app: str
    department: str
    planned_start: date
    planned_go_live: date
    work_weeks: tuple[date, ...]
    reasons: tuple[Reason, ...]
    locked: bool


@dataclass(frozen=True)
class Plan:
    cells: tuple[PlannedCell, ...]  # same order as request.cells
    finish: date | None
    lower_bound: date | None
    problems: tuple[str, ...]


def reason_text(reason: Reason, gettext: Callable[[str], str] = lambda s: s) -> str:
    """The reason as a Danish sentence fragment (translated through ``gettext``)."""
    week = week_text(reason.week) if reason.week else ""
    match reason.code:
        case ReasonCode.start:
            return gettext("starter ved planens start")
        case ReasonCode.capacity:
            return gettext("venter på kapacitet til uge %(week)s") % {"week": week}
        case ReasonCode.blackout if reason.pause:
            return gettext("sat på pause i %(label)s") % {"label": reason.label}
        case ReasonCode.blackout:
            return gettext("flyttet forbi %(label)s") % {"label": reason.label}
        case ReasonCode.order:
            return gettext("venter på %(app)s i samme afdeling til uge %(week)s") % {
                "app": reason.label,
                "week": week,
            }
        case ReasonCode.locked:
            return gettext("låst i hånden")
        case ReasonCode.running:
            return gettext("i gang; beholder sine datoer")
    raise ValueError(reason.code)  # pragma: no cover - exhaustive above


# Weeks are integers: the week of day d is (d.toordinal() - 1) // 7 (date(1, 1, 1) was a Monday).
def _week(day: date) -> int:
    return (day.toordinal() - 1) // 7


def _monday(week: int) -> date:
    return date.fromordinal(week * 7 + 1)


def week_text(day: date) -> str:
    """The ISO week of a day with its year, as a Danish calendar writes it: "53, 2026". A plan
    crosses New Year, so the week number alone would be ambiguous."""
    iso = day.isocalendar()
    return f"{iso.week}, {iso.year}"


def _iso(week: int) -> str:
    return week_text(_monday(week))


def _blackout_weeks(blackouts: Sequence[Blackout]) -> dict[int, str]:
    """Week -> label of the first blackout touching one of its weekdays."""
    weeks: dict[int, str] = {}
    for blackout in blackouts:
        first, last = blackout.start, blackout.end
        while first.weekday() >= 5:
            first += timedelta(days=1)
        while last.weekday() >= 5:
            last -= timedelta(days=1)
        for week in range(_week(first), _week(last) + 1) if first <= last else ():
            weeks.setdefault(week, blackout.label)
    return weeks


def _run(start: int, weeks: int, black: Mapping[int, str]) -> list[int]:
    """The ``weeks`` work weeks from ``start`` (itself a work week), skipping blackout weeks."""
    out: list[int] = []
    week = start
    while len(out) < weeks:
        if week not in black:
            out.append(week)
        week += 1
    return out


def _first_free(week: int, black: Mapping[int, str]) -> int:
    while week in black:
        week += 1
    return week


@dataclass
class _Problem:
    """The request in weeks, validated, with the order as edges between cells."""

    first: int  # the plan's first week
    capacity: int
    cells: tuple[CellRequest, ...]
    black: list[dict[int, str]]  # per cell: its department's blackout weeks
    locked: dict[int, tuple[int, int]]  # cell -> (first week, last week)
    locked_dates: dict[int, tuple[date, date]]  # cell -> (start, go-live) as given
    preds: list[list[int]]
    succs: list[list[int]]
    topo: list[int]  # cells in an order that respects the order edges
    locked_use: dict[int, int]  # week -> locked cells in it
    blacked: dict[int, int]  # week (from the first) -> proposed cells in blackout in it
    last_event: int  # the last week with a blackout or a locked cell (or the first week)

    @property
    def free(self) -> list[int]:
        return [i for i in range(len(self.cells)) if i not in self.locked]


def _check_cycles(order: Sequence[tuple[str, str]]) -> None:
    graph: dict[str, list[str]] = {}
    for before, after in order:
        graph.setdefault(before, []).append(after)
        graph.setdefault(after, [])
    state: dict[str, int] = {}  # 1 on the path, 2 done
    for root in graph:
        if root in state:
            continue
        path = [root]
        stack = [iter(graph[root])]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                ring = " → ".join([*path[path.index(nxt) :], nxt])
                raise ValueError(f"Rækkefølgen mellem apps går i ring: {ring}")
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(graph[nxt]))


def _prepare(request: PlanRequest) -> _Problem:
    if request.capacity < 1:
        raise ValueError("Kapaciteten skal være mindst 1 afdeling ad gangen")
    _check_cycles(request.order)
    black_by_dept = {dept: _blackout_weeks(periods) for dept, periods in request.blackouts.items()}
    index: dict[str, dict[str, int]] = {}
    locked: dict[int, tuple[int, int]] = {}
    locked_dates: dict[int, tuple[date, date]] = {}
    locked_use: dict[int, int] = {}
    for i, cell in enumerate(request.cells):
        where = f"{cell.app} i {cell.department}"
        if cell.app in index.setdefault(cell.department, {}):
            raise ValueError(f"{where} står mere end én gang i planen")
        index[cell.department][cell.app] = i
        if (cell.locked_start is None) != (cell.locked_go_live is None):
            raise ValueError(f"Den låste {where} skal have både planlagt start og go-live")
        if cell.locked_start is not None and cell.locked_go_live is not None:
            if cell.locked_go_live < cell.locked_start:
                raise ValueError(f"Den låste {where} går i drift før den starter")
            locked_dates[i] = (cell.locked_start, cell.locked_go_live)
            span = (_week(cell.locked_start), _week(cell.locked_go_live))
            locked[i] = span
            for week in range(span[0], span[1] + 1):
                locked_use[week] = locked_use.get(week, 0) + 1
        elif cell.weeks < 1:
            raise ValueError(f"{where} skal have en implementeringstid på mindst 1 uge")
    n = len(request.cells)
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    for before, after in dict.fromkeys(request.order):
        for apps in index.values():
            if before in apps and after in apps:
                preds[apps[after]].append(apps[before])
                succs[apps[before]].append(apps[after])
    indegree = [len(p) for p in preds]
    ready = [i for i in range(n) if not indegree[i]]
    heapq.heapify(ready)
    topo: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        topo.append(i)
        for j in succs[i]:
            indegree[j] -= 1
            if not indegree[j]:
                heapq.heappush(ready, j)
    first = _week(request.start)
    departments = Counter(c.department for i, c in enumerate(request.cells) if i not in locked)
    blacked: dict[int, int] = {}
    for dept, count in departments.items():
        for week in black_by_dept.get(dept, {}):
            if week >= first:
                blacked[week] = blacked.get(week, 0) + count
    empty: dict[int, str] = {}
    return _Problem(
        first=first,
        capacity=request.capacity,
        cells=request.cells,
        black=[black_by_dept.get(c.department, empty) for c in request.cells],
        locked=locked,
        locked_dates=locked_dates,
        preds=preds,
        succs=succs,
        topo=topo,
        locked_use=locked_use,
        blacked=blacked,
        last_event=max([first, *blacked, *locked_use]),
    )


def _bound(p: _Problem) -> date | None:
    """The lower bound: a Friday for proposed work, a locked go-live as given."""
    locked_live = max((live for _, live in p.locked_dates.values()), default=None)
    free = p.free
    if not free:
        return locked_live
    bound = p.first
    # (b) the order chains, locked cells at their weeks.
    finish: dict[int, int] = {}
    for i in p.topo:
        if i in p.locked:
            finish[i] = p.locked[i][1]
        else:
            release = max([p.first, *(finish[j] + 1 for j in p.preds[i])])
            black = p.black[i]
            finish[i] = _run(_first_free(release, black), p.cells[i].weeks, black)[-1]
            bound = max(bound, finish[i])
    # (a) all proposed work within the capacity left, never more than the cells not in blackout.
    work = sum(p.cells[i].weeks for i in free)
    week, done = p.first, 0
    while week <= p.last_event:
        room = max(0, p.capacity - p.locked_use.get(week, 0))
        done += min(room, len(free) - p.blacked.get(week, 0))
        if done >= work:
            break
        week += 1
    else:  # past every blackout and locked cell the full capacity is there
        week = p.last_event + math.ceil((work - done) / min(p.capacity, len(free)))
    friday = _monday(max(bound, week)) + timedelta(days=4)
    return friday if locked_live is None else max(friday, locked_live)


def lower_bound(request: PlanRequest) -> date | None:
    """The Friday before which no plan obeying the rules can have every cell live."""
    return _bound(_prepare(request))


@dataclass
class _Schedule:
    runs: dict[int, list[int]]  # proposed cell -> its work weeks
    release: dict[int, int]  # proposed cell -> first week its order allowed
    waited_for: dict[int, int]  # proposed cell -> the predecessor that set its release
    finish: int
    weighted: int  # sum of users × go-live week


def _priority_keys(p: _Problem) -> list[Callable[[int], tuple[float, ...]]]:
    n = len(p.cells)
    weeks = [c.weeks for c in p.cells]
    users = [c.users for c in p.cells]
    tail = [0] * n  # the longest chain from the cell on, itself included
    due: list[float] = [math.inf] * n  # latest last work week, from locked successors
    for i in reversed(p.topo):
        if i in p.locked:
            continue
        tail[i] = weeks[i] + max([0, *(tail[j] for j in p.succs[i] if j not in p.locked)])
        for j in p.succs[i]:
            latest = p.locked[j][0] - 1 if j in p.locked else due[j] - weeks[j]
            due[i] = min(due[i], latest)

    return [
        lambda i: (due[i], -tail[i], -weeks[i], -users[i], i),
        lambda i: (due[i], -weeks[i], -tail[i], -users[i], i),
        lambda i: (due[i], -tail[i], -users[i] / weeks[i], i),
    ]


def _schedule(p: _Problem, key: Callable[[int], tuple[float, ...]]) -> _Schedule:
    free = p.free
    base = min([p.first, *(span[0] for span in p.locked.values())])
    size = p.last_event - base + sum(p.cells[i].weeks for i in free) + 2
    cap = p.capacity
    use = [0] * (size + 1)
    for week, count in p.locked_use.items():
        use[week - base] = count
    # Weeks where every proposed cell is in blackout are as good as full.
    for week, count in p.blacked.items():
        if count == len(free):
            use[week - base] = cap
    # nxt[w]: a week >= w (path-compressed) towards the first one with room left.
    nxt = [w + 1 if use[w] >= cap else w for w in range(size + 1)]
    nxt[size] = size

    def room_from(w: int) -> int:
        root = w
        while nxt[root] != root:
            root = nxt[root]
        while nxt[w] != root:
            nxt[w], w = root, nxt[w]
        return root

    last: dict[int, int] = {i: span[1] for i, span in p.locked.items()}
    runs: dict[int, list[int]] = {}
    release: dict[int, int] = {}
    waited_for: dict[int, int] = {}
    pending = [sum(1 for j in p.preds[i] if j not in p.locked) for i in range(len(p.cells))]
    ready = [(key(i), i) for i in free if not pending[i]]
    heapq.heapify(ready)
    while ready:
        _, i = heapq.heappop(ready)
        black = p.black[i]
        rel = p.first
        for j in p.preds[i]:
            if last[j] + 1 > rel:
                rel = last[j] + 1
                waited_for[i] = j
        release[i] = rel
        start = rel
        while True:
            start = room_from(start - base) + base
            if start in black:
                start += 1
                continue
            run = _run(start, p.cells[i].weeks, black)
            clash = next((w for w in run if use[w - base] >= cap), None)
            if clash is None:
                break
            start = clash + 1
        for w in run:
            use[w - base] += 1
            if use[w - base] >= cap:
                nxt[w - base] = w - base + 1
        runs[i] = run
        last[i] = run[-1]
        for j in p.succs[i]:
            if j not in p.locked:
                pending[j] -= 1
                if not pending[j]:
                    heapq.heappush(ready, (key(j), j))
    finish = max(last.values(), default=p.first)
    weighted = sum(p.cells[i].users * last[i] for i in last)
    return _Schedule(runs, release, waited_for, finish, weighted)


def _reasons(p: _Problem, s: _Schedule, i: int) -> tuple[Reason, ...]:
    run, black = s.runs[i], p.black[i]
    reasons: list[Reason] = []
    rel = s.release[i]
    if i in s.waited_for:
        app = p.cells[s.waited_for[i]].app
        reasons.append(Reason(ReasonCode.order, _monday(rel), app))
    ready = _first_free(rel, black)
    if ready > rel:
        reasons.append(Reason(ReasonCode.blackout, _monday(ready), black[ready - 1]))
    if run[0] > ready:
        reasons.append(Reason(ReasonCode.capacity, _monday(run[0])))
    if not reasons:
        reasons.append(Reason(ReasonCode.start, _monday(run[0])))
    for before, after in zip(run, run[1:], strict=False):
        if after > before + 1:
            reasons.append(Reason(ReasonCode.blackout, _monday(after), black[before + 1], True))
    return tuple(reasons)


def _weeks_text(weeks: list[int]) -> str:
    runs: list[str] = []
    start = prev = weeks[0]
    for week in [*weeks[1:], None]:
        if week is not None and week == prev + 1:
            prev = week
            continue
        first, last = _monday(start).isocalendar(), _monday(prev).isocalendar()
        if start == prev:
            runs.append(_iso(start))
        elif first.year == last.year:  # "14–15, 2026"
            runs.append(f"{first.week}–{last.week}, {last.year}")
        else:  # "52, 2026–2, 2027"
            runs.append(f"{_iso(start)}–{_iso(prev)}")
        if week is not None:
            start = prev = week
    return ", ".join(runs)


def _problems(p: _Problem, s: _Schedule) -> list[str]:
    problems: list[str] = []
    over = sorted(w for w, count in p.locked_use.items() if count > p.capacity)
    if over:
        problems.append(
            f"Låste celler alene overskrider kapaciteten på {p.capacity} i uge {_weeks_text(over)}"
        )
    first = {i: span[0] for i, span in p.locked.items()} | {i: r[0] for i, r in s.runs.items()}
    last = {i: span[1] for i, span in p.locked.items()} | {i: r[-1] for i, r in s.runs.items()}
    for j in p.locked:
        for i in p.preds[j]:
            if last[i] >= first[j]:
                a, b = p.cells[i], p.cells[j]
                problems.append(
                    f"{a.app} i {a.department} går først i drift i uge {_iso(last[i])}, "
                    f"men den låste {b.app} starter i uge {_iso(first[j])}"
                )
    return problems


def propose_plan(request: PlanRequest) -> Plan:
    """Propose a planned start and go-live for every cell that is not locked (see the module)."""
    p = _prepare(request)
    best = min(
        (_schedule(p, key) for key in _priority_keys(p)),
        key=lambda s: (s.finish, s.weighted),  # min keeps the first rule on a tie
    )
    cells: list[PlannedCell] = []
    for i, cell in enumerate(request.cells):
        if i in p.locked:
            first, last = p.locked[i]
            cells.append(
                PlannedCell(
                    app=cell.app,
                    department=cell.department,
                    planned_start=p.locked_dates[i][0],
                    planned_go_live=p.locked_dates[i][1],
                    work_weeks=tuple(_monday(w) for w in range(first, last + 1)),
                    reasons=(Reason(ReasonCode.locked),),
                    locked=True,
                )
            )
            continue
        run = best.runs[i]
        cells.append(
            PlannedCell(
                app=cell.app,
                department=cell.department,
                planned_start=_monday(run[0]),
                planned_go_live=_monday(run[-1]) + timedelta(days=4),
                work_weeks=tuple(_monday(w) for w in run),
                reasons=_reasons(p, best, i),
                locked=False,
            )
        )
    return Plan(
        cells=tuple(cells),
        finish=max((c.planned_go_live for c in cells), default=None),
        lower_bound=_bound(p),
        problems=tuple(_problems(p, best)),
    )
