"""The `portfolio` command: database set-up, demo data, serving and listing projects."""

from __future__ import annotations

import getpass
import json
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.engine import make_url

from portfolio.db import get_engine, get_session, upgrade_database


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _database_label() -> str:
    return make_url(str(current_app.config["DATABASE_URL"])).render_as_string(hide_password=True)


def _load_demo(reset: bool) -> None:
    from portfolio.models import Project, StatusUpdate
    from portfolio.services.demo import load_demo_portfolio, portfolio_is_empty

    upgrade_database(get_engine())
    session = get_session()
    if reset:
        session.query(StatusUpdate).delete()
        session.query(Project).delete()
        session.flush()
    if not portfolio_is_empty(session):
        click.echo(
            "Databasen har allerede projekter; demodata er ikke indlæst igen (brug --reset)."
        )
        return
    count = load_demo_portfolio(session=session, actor=cli_actor())
    session.commit()
    click.echo(f"Demodata indlæst: {count} projekter i {_database_label()}")


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Opret eller opdatér databasens tabeller."""
    upgrade_database(get_engine())
    click.echo(f"Databasen er klar: {_database_label()}")


@click.command("demo")
@click.option("--reset", is_flag=True, help="Slet alle projekter først.")
@with_appcontext
def demo_command(reset: bool) -> None:
    """Opret databasen og indlæs demoporteføljen."""
    _load_demo(reset)


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Adressen der lyttes på.")
@click.option("--port", default=5000, show_default=True, type=int, help="Porten der lyttes på.")
@click.option("--demo", is_flag=True, help="Indlæs demodata, hvis databasen er tom.")
@click.option("--threads", default=8, show_default=True, type=int)
@with_appcontext
def run_command(host: str, port: int, demo: bool, threads: int) -> None:
    """Start Portefølje (waitress)."""
    from waitress import serve

    if demo:
        _load_demo(reset=False)
    else:
        upgrade_database(get_engine())
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host  # noqa: S104
    click.echo(f"Portefølje kører på http://{shown}:{port}/  (stop med Ctrl+C)")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    serve(app, host=host, port=port, threads=threads, ident="Portefolje")


@click.command("projects")
@click.option("--json", "as_json", is_flag=True, help="Skriv projekterne som JSON.")
@click.option("--archived", is_flag=True, help="Vis arkiverede projekter i stedet.")
@with_appcontext
def projects_command(as_json: bool, archived: bool) -> None:
    """Vis alle projekter."""
    from portfolio.services.projects import ProjectFilter, list_projects, project_to_dict

    rows = [
        project_to_dict(p) for p in list_projects(get_session(), ProjectFilter(archived=archived))
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['case_number'] or '-':<22} {row['status'] or '-':<7} "
            f"{row['phase']:<15} {row['name']}"
        )
    click.echo(f"{len(rows)} projekter", err=True)


def register_commands(app: object) -> None:
    for command in (init_db_command, demo_command, run_command, projects_command):
        app.cli.add_command(command)  # type: ignore[attr-defined]


def main() -> None:
    from portfolio import create_app

    group = FlaskGroup(
        name="portfolio",
        help="Portefølje: kommunens IT-projektportefølje.",
        create_app=lambda: create_app(),
        add_default_commands=False,
        add_version_option=False,
        load_dotenv=False,
    )
    sys.exit(group.main())
