"""The `portfolio` commands: database set-up, demo data, serving, export and packs; import,
rollout and finance commands live in their features (registered in COMMANDS below).

The console script itself (the group, error lines) is portfolio/console.py."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import date
from pathlib import Path
from typing import NoReturn

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from portfolio.db import (
    get_engine,
    get_session,
    revision_problem,
    schema_revision,
    unit_of_work,
    upgrade_database,
)


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _database_label() -> str:
    return make_url(str(current_app.config["DATABASE_URL"])).render_as_string(hide_password=True)


def require_current_schema() -> None:
    """Commands that use the tables stop at once on a database without them, or with old ones;
    only init-db, demo and run migrate. One cheap query."""
    problem = revision_problem(schema_revision(get_engine()))
    if problem is not None:
        fail(problem)


def _load_demo(reset: bool) -> None:
    from portfolio.demo.services import create_demo_users, load_demo_portfolio, portfolio_is_empty
    from portfolio.finance.models import (
        Benefit,
        BenefitMeasurement,
        Pool,
        PoolMovement,
        ProjectSpending,
    )
    from portfolio.imports.models import ImportRun
    from portfolio.meetings.models import (
        Meeting,
        MeetingItem,
        MeetingRolloutSnapshot,
        MeetingSnapshot,
    )
    from portfolio.projects.models import Project, StatusUpdate
    from portfolio.rollout.models import Blackout, Rollout, RolloutCell, RolloutChange
    from portfolio.users.models import AuditEntry

    upgrade_database(get_engine())
    with unit_of_work():  # its own, so that `run` serves what was committed
        session = get_session()
        if reset:
            session.execute(sa.update(Meeting).values(previous_meeting_id=None))
            for model in (
                # Append-only in the ORM (a Core delete empties them); a grant names a meeting.
                BenefitMeasurement,
                Benefit,
                PoolMovement,
                Pool,
                ProjectSpending,
                MeetingItem,
                MeetingSnapshot,
                MeetingRolloutSnapshot,
                Meeting,
                AuditEntry,
                StatusUpdate,
                RolloutChange,
                RolloutCell,
                Rollout,
                Blackout,
                Project,
                ImportRun,
            ):
                session.execute(sa.delete(model))
            session.flush()
        count = None
        if portfolio_is_empty(session):
            count = load_demo_portfolio(session=session, actor=cli_actor())
        create_demo_users(session)
    if count is None:
        click.echo(
            "Databasen har allerede projekter; demodata er ikke indlæst igen (brug --reset)."
        )
    else:
        click.echo(f"Demodata indlæst: {count} projekter i {_database_label()}")


def print_demo_logins() -> None:
    from portfolio.demo.services import DEMO_PASSWORD, DEMO_USERS

    click.echo(f"Demo-logins (adgangskode for alle: {DEMO_PASSWORD}):")
    for email, _name, role, _person in DEMO_USERS:
        click.echo(f"  {role:<7} {email}")


@click.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="Brugerens navn.")
@click.option("--role", required=True, type=click.Choice(["admin", "editor", "owner", "reader"]))
@click.option("--person", help="Procesejeren, brugeren handler for (kræves for owner).")
@click.option("--password-stdin", is_flag=True, help="Læs adgangskoden fra standard input.")
@with_appcontext
@unit_of_work()
def create_user_command(
    email: str, name: str, role: str, person: str | None, password_stdin: bool
) -> None:
    """Opret en bruger."""
    from portfolio.domain import ChangeSource
    from portfolio.users.services import UserError, create_user

    require_current_schema()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Adgangskode", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(
            session=get_session(),
            email=email,
            name=name,
            role=role,
            password=password,
            person=person,
            actor=cli_actor(),
            source=ChangeSource.cli,
        )
    except UserError as exc:
        fail(str(exc))
    click.echo(f"Brugeren {user.email} ({role}) er oprettet.")


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
    """Opret databasen og indlæs demoporteføljen og en demobruger pr. rolle."""
    _load_demo(reset)
    print_demo_logins()


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Adressen der lyttes på.")
@click.option("--port", default=5000, show_default=True, type=int, help="Porten der lyttes på.")
@click.option("--demo", is_flag=True, help="Indlæs demodata, hvis databasen er tom.")
@click.option("--threads", default=8, show_default=True, type=int)
@with_appcontext
def run_command(host: str, port: int, demo: bool, threads: int) -> None:
    """Start Portefølje (waitress)."""
    from waitress import serve

    from portfolio.config import KEY_NOT_SET_MESSAGE

    if not current_app.config.get("SECRET_KEY"):
        fail(KEY_NOT_SET_MESSAGE)
    if demo:
        _load_demo(reset=False)
        print_demo_logins()
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
@unit_of_work()
def projects_command(as_json: bool, archived: bool) -> None:
    """Vis alle projekter."""
    from portfolio.projects.services import ProjectFilter, list_projects, project_to_dict

    require_current_schema()
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


def fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


def parse_day(text: str) -> date:
    """A date as an operator types it (2026-12-08, 08-12-2026, 8.12.2026 … as in the forms);
    else a Danish error, exit 1."""
    from portfolio.formats import ImpossibleDate, parse_danish_date

    try:
        return parse_danish_date(text)
    except ImpossibleDate:
        fail(f"Datoen “{text}” findes ikke i kalenderen; skriv fx 2026-12-08.")
    except ValueError:
        fail(f"“{text}” er ikke en dato; skriv fx 2026-12-08.")


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--archived", is_flag=True, help="Eksportér de arkiverede projekter.")
@with_appcontext
@unit_of_work()
def export_command(file: Path, archived: bool) -> None:
    """Eksportér porteføljen som regneark i projektarkets form."""
    from portfolio.projects.export import export_portfolio_sheet
    from portfolio.projects.services import ProjectFilter

    require_current_schema()
    with file.open("wb") as out:
        count = export_portfolio_sheet(get_session(), ProjectFilter(archived=archived), out)
    click.echo(f"{count} projekter skrevet til {file}")


@click.command("pack")
@click.option(
    "--meeting", "day", required=True, help="Mødets dato, fx 2026-12-08 eller 08-12-2026."
)
@click.option("--format", "fmt", required=True, type=click.Choice(["html", "pdf", "xlsx", "docx"]))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Filen, pakken skrives til.",
)
@click.option(
    "--filter",
    "query",
    default="",
    help='Et udsnit som i adresselinjen, fx "department=Børn & Familie&status=red".',
)
@with_appcontext
@unit_of_work()
def pack_command(day: str, fmt: str, output: Path, query: str) -> None:
    """Skriv mødepakken til Chefforum som HTML, PDF, Excel eller Word."""
    from urllib.parse import parse_qsl

    from werkzeug.datastructures import MultiDict

    from portfolio.exporters.chromium import ChromiumFailed, ChromiumMissing, find_chromium
    from portfolio.meetings.export import export_pack
    from portfolio.meetings.services import meeting_by_date
    from portfolio.projects.services import ProjectFilter

    meeting_date = parse_day(day)
    require_current_schema()
    session = get_session()
    meeting = meeting_by_date(session, meeting_date)
    if meeting is None:
        fail(f"Der er intet møde den {meeting_date:%d-%m-%Y}. Opret det under Chefforum i appen.")
    flt = ProjectFilter.from_args(MultiDict(parse_qsl(query, keep_blank_values=False)))
    try:
        content = export_pack(
            session=session,
            meeting=meeting,
            flt=flt,
            fmt=fmt,
            chromium=find_chromium(current_app.config.get("CHROMIUM")),
        )
    except (ChromiumMissing, ChromiumFailed) as exc:
        fail(str(exc))
    output.write_bytes(content)
    state = "kladde" if meeting.published_at is None else "offentliggjort"
    click.echo(f"Mødepakken for {meeting.title} ({state}) er skrevet til {output}")


@click.command("send-reminders")
@click.option(
    "--today",
    "day",
    help="Kør, som om det var denne dato (fx for at indhente en dag, hvor kørslen udeblev).",
)
@click.option(
    "--resend-unconfirmed",
    is_flag=True,
    help="Send igen de mails, hvis afsendelse blev afbrudt, når du har sikret dig, at de ikke "
    "kom frem.",
)
@with_appcontext
def send_reminders_command(day: str | None, resend_unconfirmed: bool) -> None:
    """Send gennemgangsrundernes mails, og prøv mislykkede mails igen."""
    # No unit_of_work around it: each mail is claimed and marked in transactions of its own
    # (portfolio/mail/sending.py), so a failure midway loses nothing already sent.
    from portfolio.mail.sending import MailSettingsError, release_unconfirmed
    from portfolio.mail.services import MailError
    from portfolio.meetings.review_round import municipal_today, run_review_pass

    today = parse_day(day) if day else municipal_today()
    require_current_schema()
    try:
        if resend_unconfirmed:
            click.echo(f"{release_unconfirmed()} afbrudte mails sendes igen.")
        report = run_review_pass(today)
    except (MailError, MailSettingsError) as exc:
        fail(str(exc))
    click.echo(
        f"Gennemgangsrunder: {report.rounds}. Nye mails: {report.queued}. "
        f"Sendt: {report.sent}. Fejlede: {report.failed}."
    )
    if report.waiting:
        click.echo(f"{report.waiting} mails venter: PORTFOLIO_SMTP_HOST er ikke sat.", err=True)
    if report.deferred:
        click.echo(
            f"{report.deferred} mails venter til næste kørsel: mailserveren svarede ikke.",
            err=True,
        )
    if report.unconfirmed:
        click.echo(
            f"{report.unconfirmed} mails blev afbrudt under afsendelsen og sendes ikke igen af "
            "sig selv (de kan være kommet frem). Se efter, og kør med --resend-unconfirmed.",
            err=True,
        )
    if report.given_up:
        click.echo(
            f"{report.given_up} mails er opgivet efter for mange forsøg (MAIL_MAX_ATTEMPTS).",
            err=True,
        )
    if report.failed:
        sys.exit(1)  # cron and systemd show the run as failed; the next run tries again


# The group's commands; portfolio/console.py lists them for `portfolio --help` without this module.
from portfolio.api.cli import create_token_command  # noqa: E402
from portfolio.backup.cli import backup_command, restore_command  # noqa: E402
from portfolio.finance.cli import benefits_command, pools_command  # noqa: E402
from portfolio.imports.cli import import_command  # noqa: E402
from portfolio.rollout.cli import rollout_group  # noqa: E402  (it uses the helpers above)

COMMANDS: dict[str, click.Command] = {
    command.name: command
    for command in (
        create_user_command,
        create_token_command,
        init_db_command,
        demo_command,
        run_command,
        projects_command,
        import_command,
        export_command,
        pack_command,
        rollout_group,
        pools_command,
        benefits_command,
        backup_command,
        restore_command,
        send_reminders_command,
    )
    if command.name is not None
}


def register_commands(app: object) -> None:
    for command in COMMANDS.values():
        app.cli.add_command(command)  # type: ignore[attr-defined]
