"""The `portfolio` console script: the command group, which builds the app only for a command."""

from __future__ import annotations

import os
import sys
import traceback
from typing import TYPE_CHECKING, NoReturn

import click
from flask import Flask
from flask.cli import FlaskGroup

if TYPE_CHECKING:
    import sqlalchemy as sa

DEBUG_ENV = "PORTFOLIO_DEBUG"
# What `portfolio --help` lists, so that listing imports neither the commands nor the app
# (tests/test_cli_startup.py checks these against the commands' own docstrings).
SUMMARIES = {
    "backup": "Tag en sikkerhedskopi af databasen, mens appen kører.",
    "benefits": "Vis gevinsterne med seneste måling og realisering.",
    "create-token": "Opret en API-nøgle til en bruger (vises kun én gang).",
    "create-user": "Opret en bruger.",
    "demo": "Opret databasen og indlæs demoporteføljen og en demobruger pr. rolle.",
    "export": "Eksportér porteføljen som regneark i projektarkets form.",
    "import": "Importér projektporteføljearket (.xlsx).",
    "init-db": "Opret eller opdatér databasens tabeller.",
    "pack": "Skriv mødepakken til Chefforum som HTML, PDF, Excel eller Word.",
    "pools": "Vis puljerne med saldo og bevægelser.",
    "projects": "Vis alle projekter.",
    "restore": "Gendan en sikkerhedskopi i en tom database.",
    "rollout": "Vis udrulningen pr. afdeling, eller foreslå en plan.",
    "run": "Start Portefølje (waitress).",
    "send-reminders": "Send gennemgangsrundernes mails, og prøv mislykkede mails igen.",
}

# Commands that only read and write data: their app has no pages (see create_app's `pages`).
# The others serve pages, or render templates with links to them (the pack, the mails).
DATA_ONLY = frozenset(
    {
        "backup",
        "benefits",
        "create-token",
        "create-user",
        "export",
        "import",
        "init-db",
        "pools",
        "projects",
        "restore",
        "rollout",
    }
)


class PortfolioGroup(FlaskGroup):
    """Flask's group, but the commands are ours, loaded when one is run; only
    `with_appcontext` (inside the command) builds the app."""

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in SUMMARIES:
            return None
        if name == "import":
            # Its own light module: it starts reading the sheet before the app is loaded.
            from portfolio.imports.cli import import_command

            return import_command
        from portfolio.cli import COMMANDS

        return COMMANDS[name]

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUMMARIES)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, SUMMARIES[name]) for name in self.list_commands(ctx)])


def _debug_option() -> click.Option:
    def remember(_ctx: click.Context, _param: click.Parameter, value: bool | None) -> None:
        if value is not None:
            os.environ[DEBUG_ENV] = "1" if value else "0"
            os.environ["FLASK_DEBUG"] = "1" if value else "0"  # as Flask's own --debug

    return click.Option(
        ["--debug/--no-debug"],
        default=None,
        expose_value=False,
        is_eager=True,
        callback=remember,
        help=f"Vis hele fejlsporet (traceback), når en kommando fejler (også {DEBUG_ENV}=1).",
    )


def failure_line(exc: Exception, database_url: str | None) -> str:
    """An unexpected error as the one line the operator reads on stderr (passwords hidden)."""
    import sqlalchemy as sa

    from portfolio.db import database_error_message

    url = _parsed_url(database_url)
    if isinstance(exc, sa.exc.DBAPIError):
        text = database_error_message(exc, database_url if url else None)
    elif isinstance(exc, sa.exc.ArgumentError) or (database_url and url is None):
        text = f"databaseadressen (PORTFOLIO_DATABASE_URL) kan ikke bruges ({_first_line(exc)})."
    else:
        text = f"uventet fejl ({': '.join(filter(None, [type(exc).__name__, _first_line(exc)]))})."
    if url is not None and url.password:
        text = text.replace(str(url.password), "***")
    return f"Fejl: {text[:1].lower()}{text[1:]} Kør med --debug for detaljer."


def _first_line(exc: Exception) -> str:
    return next((line.strip() for line in str(exc).splitlines() if line.strip()), "")


def _parsed_url(url: str | None) -> sa.URL | None:
    import sqlalchemy as sa

    try:
        return sa.make_url(url) if url else None
    except (sa.exc.ArgumentError, ValueError):
        return None


def main() -> NoReturn:
    created: list[Flask] = []

    def make_app() -> Flask:
        from portfolio import create_app

        # The CLI does not look at the database at start: each command checks what it needs.
        command = click.get_current_context().find_root().invoked_subcommand
        app = create_app(check_schema=False, pages=command not in DATA_ONLY)
        created.append(app)
        return app

    group = PortfolioGroup(
        name="portfolio",
        help="Portefølje: kommunens IT-projektportefølje.",
        create_app=make_app,
        add_default_commands=False,
        add_version_option=False,
        load_dotenv=False,
    )
    # Our --debug replaces Flask's: it still sets debug mode, and also shows tracebacks.
    group.params = [p for p in group.params if p.name != "debug"] + [_debug_option()]
    from portfolio.imports import readahead

    readahead.allow()  # this process has no other thread yet: `import` may fork to read ahead
    try:
        sys.exit(group.main())  # click's own usage errors exit with 2
    except Exception as exc:
        if os.environ.get(DEBUG_ENV, "").lower() in ("1", "true", "yes"):
            traceback.print_exc()
        url = str(created[0].config["DATABASE_URL"]) if created else None
        click.echo(failure_line(exc, url or os.environ.get("PORTFOLIO_DATABASE_URL")), err=True)
        sys.exit(1)
