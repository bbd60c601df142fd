"""`portfolio rollout show` and `portfolio rollout propose`: the grid and the planner from a
terminal, through the same services as the web."""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import with_appcontext

from portfolio.db import get_session, unit_of_work


@click.group("rollout")
def rollout_group() -> None:
    """Vis udrulningen pr. afdeling, eller foreslå en plan."""


def _project_ids(names: tuple[str, ...]) -> dict[str, int]:
    """The rollouts named, by name; an unknown name stops the command with the known ones."""
    from portfolio.cli import fail
    from portfolio.rollout.services import rollouts

    known = {project.name: int(project.id or 0) for project, _ in rollouts(get_session())}
    missing = [name for name in names if name not in known]
    if missing:
        names_known = ", ".join(sorted(known)) or "ingen"
        fail(f"Ingen udrulning for {', '.join(missing)}. Kendte: {names_known}.")
    return {name: known[name] for name in names}


@rollout_group.command("show")
@click.option("--project", "projects", multiple=True, help="Kun denne app (kan gentages).")
@click.option("--json", "as_json", is_flag=True, help="Skriv hver celle som JSON.")
@with_appcontext
@unit_of_work()
def show_command(projects: tuple[str, ...], as_json: bool) -> None:
    """Vis hver afdelings udrulning af apps."""
    from portfolio.cli import require_current_schema
    from portfolio.domain import label
    from portfolio.rollout.services import cell_to_dict, grid_cells

    require_current_schema()
    ids = list(_project_ids(projects).values()) if projects else None
    rows = [cell_to_dict(c) for c in grid_cells(get_session(), ids)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        live = row["actual_go_live"] or row["planned_go_live"] or "-"
        click.echo(f"{row['department']:<24} {row['project']:<16} {label(row['state']):<14} {live}")
    click.echo(f"{len(rows)} celler", err=True)


def _parse_order(items: tuple[str, ...], ids: dict[str, int]) -> tuple[tuple[int, int], ...]:
    from portfolio.cli import fail

    order = []
    for item in items:
        after, sep, before = item.partition(">")
        after, before = after.strip(), before.strip()
        if not sep or after not in ids or before not in ids:
            fail(
                f'“{item}” skal have formen "App>App" med to af de valgte apps: den første '
                "udrulles efter den anden i hver afdeling."
            )
        order.append((ids[before], ids[after]))
    return tuple(order)


@rollout_group.command("propose")
@click.option("--project", "projects", multiple=True, required=True, help="En app (gentag).")
@click.option("--start", required=True, help="Planens start, fx 2027-01-04.")
@click.option(
    "--capacity", required=True, type=click.IntRange(min=1), help="Samtidige udrulninger."
)
@click.option(
    "--after",
    "after",
    multiple=True,
    help='Rækkefølge: "Fraværsapp>Bilagsapp" = fraværsappen efter bilagsappen i hver afdeling.',
)
@click.option("--json", "as_json", is_flag=True, help="Skriv forslaget som JSON.")
@click.option("--apply", "apply", is_flag=True, help="Brug planen (uden: intet skrives).")
@with_appcontext
@unit_of_work()
def propose_command(
    projects: tuple[str, ...],
    start: str,
    capacity: int,
    after: tuple[str, ...],
    as_json: bool,
    apply: bool,
) -> None:
    """Foreslå planlagt start og idriftsættelse for hver afdeling."""
    from portfolio.cli import cli_actor, fail, parse_day, require_current_schema
    from portfolio.domain import ChangeSource
    from portfolio.rollout.planner import reason_text
    from portfolio.rollout.services import (
        PlanSettings,
        RolloutError,
        apply_proposal,
        propose_plan,
    )

    require_current_schema()
    day = parse_day(start)
    ids = _project_ids(projects)
    settings = PlanSettings(
        project_ids=tuple(ids.values()),
        start=day,
        capacity=capacity,
        order=_parse_order(after, ids),
    )
    session = get_session()
    try:
        proposal = propose_plan(session, settings)
        if apply:
            apply_proposal(
                session=session,
                settings=settings,
                expected_fingerprint=proposal.fingerprint,
                actor=cli_actor(),
                source=ChangeSource.plan,
            )
    except RolloutError as exc:
        fail(str(exc))
    cells: list[dict[str, Any]] = [
        {
            "project": grid.project,
            "department": grid.department,
            "planned_start": planned.planned_start.isoformat(),
            "planned_go_live": planned.planned_go_live.isoformat(),
            "implementation_weeks": grid.cell.implementation_weeks,
            "locked": planned.locked,
            "reason": "; ".join(reason_text(r) for r in planned.reasons),
        }
        for grid, planned in proposal.planned()
    ]
    plan = proposal.plan
    if as_json:
        out = {
            "start": day.isoformat(),
            "capacity": capacity,
            "finish": plan.finish.isoformat() if plan.finish else None,
            "lower_bound": plan.lower_bound.isoformat() if plan.lower_bound else None,
            "applied": apply,
            "problems": list(plan.problems),
            "cells": cells,
        }
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        for c in cells:
            click.echo(
                f"{c['department']:<24} {c['project']:<16} {c['planned_start']} → "
                f"{c['planned_go_live']}  {c['reason']}"
            )
        for problem in plan.problems:
            click.echo(f"Bemærk: {problem}")
        finish = f"{plan.finish:%d-%m-%Y}" if plan.finish else "-"
        click.echo(f"Alle er i drift {finish}.")
    if apply:
        click.echo(f"Planen er brugt: {len(cells)} celler er planlagt.", err=True)
    else:
        click.echo("Intet er skrevet; brug --apply for at bruge planen.", err=True)
