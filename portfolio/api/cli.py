"""`portfolio create-token`: a personal API token for a user, printed once."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from portfolio.api.tokens import DEFAULT_DAYS, MAX_DAYS
from portfolio.db import get_session, unit_of_work


@click.command("create-token")
@click.argument("email")
@click.option("--name", required=True, help="Hvad nøglen bruges til, fx “Power BI”.")
@click.option(
    "--expires",
    "days",
    default=DEFAULT_DAYS,
    show_default=True,
    type=click.IntRange(1, MAX_DAYS),
    help="Antal dage nøglen gælder.",
)
@with_appcontext
@unit_of_work()
def create_token_command(email: str, name: str, days: int) -> None:
    """Opret en API-nøgle til en bruger (vises kun én gang)."""
    from portfolio.api.tokens import TokenError, create_token
    from portfolio.cli import cli_actor, fail, require_current_schema
    from portfolio.domain import ChangeSource
    from portfolio.users.services import user_by_email

    require_current_schema()
    session = get_session()
    user = user_by_email(session, email)
    if user is None:
        fail(f"Der findes ingen bruger med e-mailen {email}.")
    try:
        token, raw = create_token(
            session=session,
            user=user,
            name=name,
            days=days,
            actor=cli_actor(),
            source=ChangeSource.cli,
        )
    except TokenError as exc:
        fail(str(exc))
    click.echo(raw)
    click.echo(
        f"API-nøglen “{token.name}” til {user.email} gælder til "
        f"{token.expires_at:%d-%m-%Y}. Den vises kun denne ene gang.",
        err=True,
    )
