"""`portfolio pools` and `portfolio benefits`: the pools' ledgers and the benefits register
from a terminal, through the same services as the web and the sheets."""

from __future__ import annotations

import json
from datetime import date

import click
from flask.cli import with_appcontext

from portfolio.db import get_session, unit_of_work


@click.command("pools")
@click.option("--json", "as_json", is_flag=True, help="Skriv puljerne og bevægelserne som JSON.")
@with_appcontext
@unit_of_work()
def pools_command(as_json: bool) -> None:
    """Vis puljerne med saldo og bevægelser."""
    from portfolio.cli import require_current_schema
    from portfolio.domain import label
    from portfolio.finance.registers import pool_to_dict
    from portfolio.finance.services import pools
    from portfolio.formats import danish_day
    from portfolio.formats import danish_money as kr

    require_current_schema()
    session = get_session()
    rows = [pool_to_dict(session, pool) for pool in pools(session)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    lines = []
    for row in rows:
        lines.append(
            f"{row['name']} ({row['owner']}): saldo {kr(row['balance_dkk'])}, "
            f"bevilget {kr(row['granted_dkk'])}, tilbageført {kr(row['returned_dkk'])}"
        )
        for move in row["movements"]:
            day = danish_day(date.fromisoformat(move["occurred_on"]))
            what = move["project"] or move["source"] or move["note"] or ""
            lines.append(f"  {day}  {label(move['kind']):<22} {kr(move['amount_dkk']):>15}  {what}")
    if lines:
        click.echo("\n".join(lines))
    click.echo(f"{len(rows)} pulje(r)", err=True)


@click.command("benefits")
@click.option("--project", "project_name", help="Kun dette projekts gevinster.")
@click.option("--json", "as_json", is_flag=True, help="Skriv gevinsterne som JSON.")
@with_appcontext
@unit_of_work()
def benefits_command(project_name: str | None, as_json: bool) -> None:
    """Vis gevinsterne med seneste måling og realisering."""
    from sqlmodel import select

    from portfolio.cli import fail, require_current_schema
    from portfolio.domain import BenefitType, label
    from portfolio.finance.registers import benefit_rows, benefit_to_dict
    from portfolio.formats import danish_number
    from portfolio.projects.models import Project

    require_current_schema()
    session = get_session()
    project_id = None
    if project_name is not None:
        project = session.exec(select(Project).where(Project.name == project_name)).first()
        if project is None:
            fail(f"Der er intet projekt med navnet “{project_name}”.")
        project_id = project.id
    rows = benefit_rows(session, project_id)
    if as_json:
        click.echo(json.dumps([benefit_to_dict(r) for r in rows], ensure_ascii=False, indent=2))
        return
    lines = []
    for row in rows:
        status = row.status
        if row.benefit.type == BenefitType.qualitative:
            latest = label(status.assessment) if status.assessment else "ikke vurderet"
        elif status.latest_value is None:
            latest = "ikke målt"
        else:
            latest = f"{danish_number(status.latest_value)} {row.benefit.unit or ''}".strip()
        pct = "" if row.realised_pct is None else f"{danish_number(row.realised_pct)} %"
        late = "  bag planen" if status.behind_plan else ""
        lines.append(
            f"{row.project:<36} {row.benefit.title:<44} {label(row.benefit.type):<12} "
            f"{row.owner or '-':<18} {latest:<22} {pct:>7}{late}"
        )
    if lines:
        click.echo("\n".join(lines))
    click.echo(f"{len(rows)} gevinst(er)", err=True)
