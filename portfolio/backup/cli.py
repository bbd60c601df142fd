"""`portfolio backup FILE` and `portfolio restore FILE`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


def _database_url() -> str:
    return str(current_app.config["DATABASE_URL"])


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Tag en sikkerhedskopi af databasen, mens appen kører."""
    from portfolio.backup.services import BackupError, backup
    from portfolio.cli import fail

    # Any schema: the copy taken before `portfolio init-db` migrates is the one to keep.
    try:
        revision = backup(_database_url(), file)
    except BackupError as exc:
        fail(str(exc))
    click.echo(f"Sikkerhedskopien er skrevet til {file} (skemaversion {revision}).")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Gendan en sikkerhedskopi i en tom database."""
    from portfolio.backup.services import BackupError, restore
    from portfolio.cli import fail

    try:
        revision = restore(_database_url(), file)
    except BackupError as exc:
        fail(str(exc))
    click.echo(f"Sikkerhedskopien {file} er gendannet (skemaversion {revision}).")
