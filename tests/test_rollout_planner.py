"""The rollout planner alone: random requests keep the rules, and a few plans a user would know."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio.rollout.planner import (
    Blackout,
    CellRequest,
    Plan,
    PlannedCell,
    PlanRequest,
    Reason,
    ReasonCode,
    lower_bound,
    propose_plan,
    reason_text,
    week_text,
)

APPS = ["Bilagsapp", "Kørselsapp", "Fraværsapp", "Sagsapp"]
DEPARTMENTS = ["Børn & Familie", "Social & Sundhed", "Miljø & Teknik", "Borgerservice"]
LABELS = ["juli", "jul", "vinterferie", "efterårsferie"]


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def in_blackout(week: date, periods: tuple[Blackout, ...]) -> bool:
    """The rule, written out independently: a weekday of the week lies in a blackout."""
    days = [week + timedelta(days=n) for n in range(5)]
    return any(b.start <= d <= b.end for b in periods for d in days)


def weeks_between(first: date, last: date) -> list[date]:
    return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


@st.composite
def requests(draw: st.DrawFn) -> PlanRequest:
    start = draw(st.dates(date(2025, 1, 1), date(2027, 12, 31)))
    apps = draw(st.lists(st.sampled_from(APPS), min_size=1, max_size=4, unique=True))
    departments = draw(st.lists(st.sampled_from(DEPARTMENTS), min_size=1, max_size=4, unique=True))
    cells: list[CellRequest] = []
    for app in apps:
        for department in departments:
            if not draw(st.booleans()) and len(cells) > 0:
                continue
            weeks = draw(st.integers(1, 12))
            users = draw(st.integers(0, 500))
            if draw(st.integers(0, 5)) == 0:
                locked_start = start + timedelta(days=draw(st.integers(-30, 200)))
                locked_live = locked_start + timedelta(days=draw(st.integers(0, 70)))
                cells.append(CellRequest(app, department, weeks, users, locked_start, locked_live))
            else:
                cells.append(CellRequest(app, department, weeks, users))
    ranking = draw(st.permutations(apps))  # orders follow one ranking, so never a cycle
    pairs = [(a, b) for n, a in enumerate(ranking) for b in ranking[n + 1 :]]
    order = draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else []
    blackouts = {}
    for department in departments:
        periods = []
        for _ in range(draw(st.integers(0, 3))):
            first = start + timedelta(days=draw(st.integers(-20, 300)))
            periods.append(
                Blackout(
                    draw(st.sampled_from(LABELS)),
                    first,
                    first + timedelta(days=draw(st.integers(0, 35))),
                )
            )
        blackouts[department] = tuple(periods)
    return PlanRequest(
        start=start,
        capacity=draw(st.integers(1, 4)),
        cells=tuple(cells),
        order=tuple(order),
        blackouts=blackouts,
    )


def by_cell(plan: Plan) -> dict[tuple[str, str], PlannedCell]:
    return {(c.app, c.department): c for c in plan.cells}


@settings(max_examples=150, deadline=None)
@given(requests())
def test_a_random_plan_keeps_every_rule(request: PlanRequest) -> None:
    plan = propose_plan(request)
    assert [(c.app, c.department) for c in plan.cells] == [
        (c.app, c.department) for c in request.cells
    ]
    locked_load: Counter[date] = Counter()
    proposed_load: Counter[date] = Counter()
    for asked, cell in zip(request.cells, plan.cells, strict=True):
        if asked.locked_start is not None:
            assert cell.locked
            assert (cell.planned_start, cell.planned_go_live) == (
                asked.locked_start,
                asked.locked_go_live,
            )
            assert cell.reasons == (Reason(ReasonCode.locked),)
            locked_load.update(cell.work_weeks)
            continue
        periods = request.blackouts.get(asked.department, ())
        weeks = list(cell.work_weeks)
        assert not cell.locked
        assert len(weeks) == asked.weeks
        assert weeks == sorted(set(weeks))
        assert all(week.weekday() == 0 for week in weeks)
        assert weeks[0] >= monday(request.start)
        assert not any(in_blackout(week, periods) for week in weeks)
        # Between its first and last work week a cell only pauses for blackouts.
        assert all(
            in_blackout(week, periods)
            for week in weeks_between(weeks[0], weeks[-1])
            if week not in cell.work_weeks
        )
        assert cell.planned_start == weeks[0]
        assert cell.planned_go_live == weeks[-1] + timedelta(days=4)
        assert cell.reasons and all(reason_text(r) for r in cell.reasons)
        proposed_load.update(weeks)

    for cell in plan.cells:
        if cell.locked:
            assert cell.work_weeks == tuple(
                weeks_between(monday(cell.planned_start), monday(cell.planned_go_live))
            )
    for week, count in proposed_load.items():
        assert count + locked_load[week] <= request.capacity
    over = [week for week, count in locked_load.items() if count > request.capacity]
    assert any("overskrider kapaciteten" in text for text in plan.problems) == bool(over)

    cells = by_cell(plan)
    for before, after in request.order:
        for department in request.blackouts:
            first, then = cells.get((before, department)), cells.get((after, department))
            if first is None or then is None:
                continue
            kept = monday(then.planned_start) > monday(first.planned_go_live)
            if then.locked:  # a locked cell cannot move: a late one before it is a problem
                assert kept or any(
                    f"den låste {after} starter" in text and department in text
                    for text in plan.problems
                )
            else:
                assert kept

    assert plan.finish == max(c.planned_go_live for c in plan.cells)
    assert plan.lower_bound is not None and plan.finish >= plan.lower_bound
    assert plan.lower_bound == lower_bound(request)
    assert propose_plan(request) == plan


def test_a_department_waits_for_capacity_to_the_right_week() -> None:
    request = PlanRequest(
        start=date(2026, 3, 2),  # uge 10
        capacity=2,
        cells=(
            CellRequest("Bilagsapp", "Børn & Familie", 4, users=300),
            CellRequest("Bilagsapp", "Social & Sundhed", 4, users=500),
            CellRequest("Bilagsapp", "Miljø & Teknik", 4, users=80),
        ),
    )
    plan = propose_plan(request)
    first, second, third = plan.cells
    # The two with most users start at once; the third waits until one of them is live.
    assert first.planned_start == second.planned_start == date(2026, 3, 2)
    assert [reason_text(r) for r in first.reasons] == ["starter ved planens start"]
    free_week = min(first.planned_go_live, second.planned_go_live) + timedelta(days=3)
    assert third.planned_start == free_week
    assert [reason_text(r) for r in third.reasons] == [
        f"venter på kapacitet til uge {free_week.isocalendar().week}, {free_week.year}"
    ]
    assert reason_text(third.reasons[0]) == "venter på kapacitet til uge 14, 2026"
    assert plan.finish == third.planned_go_live == date(2026, 4, 24)


JULY = (Blackout("juli", date(2026, 7, 1), date(2026, 7, 31)),)


def test_july_moves_a_start_and_pauses_a_rollout() -> None:
    request = PlanRequest(
        start=date(2026, 6, 22),
        capacity=4,
        cells=(
            CellRequest("Bilagsapp", "Børn & Familie", 3),
            CellRequest("Kørselsapp", "Børn & Familie", 2),
        ),
        order=(("Bilagsapp", "Kørselsapp"),),
        blackouts={"Børn & Familie": JULY},
    )
    bilag, korsel = propose_plan(request).cells
    # Week 27 (29 June) has 1 July in it, week 31 (27 July) ends on 31 July: both are blacked out.
    assert bilag.work_weeks == (date(2026, 6, 22), date(2026, 8, 3), date(2026, 8, 10))
    assert [reason_text(r) for r in bilag.reasons] == [
        "starter ved planens start",
        "sat på pause i juli",
    ]
    assert korsel.planned_start == date(2026, 8, 17)

    later = PlanRequest(
        start=date(2026, 7, 6),
        capacity=4,
        cells=(CellRequest("Bilagsapp", "Børn & Familie", 3),),
        blackouts={"Børn & Familie": JULY},
    )
    (moved,) = propose_plan(later).cells
    assert moved.planned_start == date(2026, 8, 3)
    assert moved.planned_go_live == date(2026, 8, 21)
    assert [reason_text(r) for r in moved.reasons] == ["flyttet forbi juli"]


def test_fravaersappen_follows_bilagsappen_in_the_same_department() -> None:
    request = PlanRequest(
        start=date(2026, 4, 6),
        capacity=3,
        cells=(
            CellRequest("Fraværsapp", "Børn & Familie", 3, users=400),
            CellRequest("Bilagsapp", "Børn & Familie", 5, users=400),
            CellRequest("Fraværsapp", "Borgerservice", 3, users=60),
        ),
        order=(("Bilagsapp", "Fraværsapp"),),
    )
    plan = propose_plan(request)
    cells = by_cell(plan)
    bilag = cells["Bilagsapp", "Børn & Familie"]
    fravaer = cells["Fraværsapp", "Børn & Familie"]
    assert fravaer.planned_start == bilag.planned_go_live + timedelta(days=3)
    week = fravaer.planned_start.isocalendar()
    assert [reason_text(r) for r in fravaer.reasons] == [
        f"venter på Bilagsapp i samme afdeling til uge {week.week}, {week.year}"
    ]
    # Borgerservice has no Bilagsapp, so its Fraværsapp starts right away.
    alone = cells["Fraværsapp", "Borgerservice"]
    assert alone.planned_start == date(2026, 4, 6)
    # The chain in Børn & Familie (5 + 3 weeks) is what bounds the plan, and the plan meets it.
    assert plan.finish == plan.lower_bound == fravaer.planned_go_live


def test_an_order_in_a_ring_is_refused_in_danish() -> None:
    request = PlanRequest(
        start=date(2026, 4, 6),
        capacity=2,
        cells=(CellRequest("Bilagsapp", "Borgerservice", 2),),
        order=(
            ("Bilagsapp", "Fraværsapp"),
            ("Fraværsapp", "Kørselsapp"),
            ("Kørselsapp", "Bilagsapp"),
        ),
    )
    with pytest.raises(ValueError, match="Rækkefølgen mellem apps går i ring: Bilagsapp → "):
        propose_plan(request)
    with pytest.raises(ValueError, match="går i ring"):
        lower_bound(request)


def test_locked_cells_over_capacity_are_kept_and_named_as_a_problem() -> None:
    request = PlanRequest(
        start=date(2026, 3, 30),  # uge 14
        capacity=1,
        cells=(
            CellRequest("Bilagsapp", "Børn & Familie", 2, 0, date(2026, 3, 30), date(2026, 4, 10)),
            CellRequest("Bilagsapp", "Borgerservice", 2, 0, date(2026, 4, 1), date(2026, 4, 9)),
            CellRequest("Bilagsapp", "Miljø & Teknik", 1),
        ),
    )
    plan = propose_plan(request)
    locked_a, locked_b, proposed = plan.cells
    assert (locked_a.planned_start, locked_a.planned_go_live) == (
        date(2026, 3, 30),
        date(2026, 4, 10),
    )
    assert (locked_b.planned_start, locked_b.planned_go_live) == (
        date(2026, 4, 1),
        date(2026, 4, 9),
    )
    assert [reason_text(r) for r in locked_a.reasons] == ["låst i hånden"]
    assert plan.problems == ("Låste celler alene overskrider kapaciteten på 1 i uge 14–15, 2026",)
    assert proposed.planned_start == date(2026, 4, 13)  # after the locked weeks


def test_a_late_cell_before_a_locked_one_is_a_problem() -> None:
    request = PlanRequest(
        start=date(2026, 4, 6),
        capacity=2,
        cells=(
            CellRequest("Bilagsapp", "Borgerservice", 4),
            CellRequest("Fraværsapp", "Borgerservice", 2, 0, date(2026, 4, 20), date(2026, 5, 1)),
        ),
        order=(("Bilagsapp", "Fraværsapp"),),
    )
    plan = propose_plan(request)
    assert plan.cells[0].planned_start == date(2026, 4, 6)
    assert plan.problems == (
        "Bilagsapp i Borgerservice går først i drift i uge 18, 2026, "
        "men den låste Fraværsapp starter i uge 17, 2026",
    )


def test_reason_texts_go_through_gettext_with_named_placeholders() -> None:
    english = {
        "venter på kapacitet til uge %(week)s": "waits for capacity until week %(week)s",
        "venter på %(app)s i samme afdeling til uge %(week)s": (
            "waits for %(app)s until week %(week)s"
        ),
        "flyttet forbi %(label)s": "moved past %(label)s",
    }
    week = date(2026, 3, 30)
    assert reason_text(Reason(ReasonCode.capacity, week), english.__getitem__) == (
        "waits for capacity until week 14, 2026"
    )
    assert reason_text(Reason(ReasonCode.order, week, "Bilagsapp"), english.__getitem__) == (
        "waits for Bilagsapp until week 14, 2026"
    )
    assert reason_text(Reason(ReasonCode.blackout, week, "juli"), english.__getitem__) == (
        "moved past juli"
    )


def test_week_numbers_carry_their_year_across_new_year() -> None:
    """A plan that runs over New Year says which week 1 it means."""
    assert week_text(date(2026, 12, 28)) == "53, 2026"
    assert week_text(date(2027, 1, 4)) == "1, 2027"
    assert week_text(date(2027, 1, 1)) == "53, 2026"  # a Friday of 2026's last ISO week
    request = PlanRequest(
        start=date(2026, 12, 21),
        capacity=1,
        cells=(
            CellRequest("Bilagsapp", "Borgerservice", 1, 0, date(2026, 12, 21), date(2027, 1, 8)),
            CellRequest("Fraværsapp", "Borgerservice", 1, 0, date(2026, 12, 21), date(2027, 1, 8)),
        ),
    )
    plan = propose_plan(request)
    assert plan.problems == (
        "Låste celler alene overskrider kapaciteten på 1 i uge 52, 2026–1, 2027",
    )


def test_the_same_request_gives_the_same_plan_in_another_process() -> None:
    script = (
        "from datetime import date\n"
        "from portfolio.rollout.planner import CellRequest, PlanRequest, propose_plan\n"
        "apps = ['Bilagsapp', 'Kørselsapp', 'Fraværsapp']\n"
        "depts = ['Børn & Familie', 'Social & Sundhed', 'Miljø & Teknik', 'Borgerservice']\n"
        "cells = tuple(CellRequest(a, d, 3) for a in apps for d in depts)\n"
        "order = (('Bilagsapp', 'Fraværsapp'),)\n"
        "plan = propose_plan(PlanRequest(date(2026, 1, 5), 2, cells, order))\n"
        "print([(c.app, c.department, c.planned_start) for c in plan.cells])\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(Path(__file__).parents[1])},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
