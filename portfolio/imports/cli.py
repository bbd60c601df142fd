"""`portfolio import`: the portfolio sheet from a terminal, through the same services as the web.

Choices (mapping, defaults, value mappings, rates, blanks) come from the options, from a saved
profile (`--profile`), or both (the options win); `--save-profile` remembers them."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import current_app
from flask.cli import with_appcontext

from portfolio.imports import readahead

# Light imports only above: the sheet starts being read (portfolio/imports/readahead.py) before
# the database layer and the app are loaded.


def _refuse(message: str, as_json: bool, problems: list[dict[str, Any]] | None = None) -> NoReturn:
    """Stops the command: the line on stderr and, for scripts, a JSON object on stdout."""
    from portfolio.cli import fail

    if as_json:
        click.echo(
            json.dumps({"error": message, "problems": problems or []}, ensure_ascii=False, indent=2)
        )
    fail(message)


def _print_preview(preview: Any, as_json: bool, extra: dict[str, Any] | None = None) -> None:
    if as_json:
        click.echo(json.dumps({**preview.to_json(), **(extra or {})}, ensure_ascii=False, indent=2))
        return
    counts = preview.counts()
    where = "kolonne A" if preview.transposed else f"række {preview.header_row}"
    lines = [
        f"Ark “{preview.sheet}” (overskrifter i {where}): {counts['rows']} rækker — "
        f"{counts['new']} nye, {counts['changed']} ændrede, {counts['unchanged']} uændrede, "
        f"{counts['missing']} i databasen men ikke i arket, {counts['problems']} problemer."
    ]
    how_words = {"matched": "genkendt", "mapped": "placeret med --map", "ignored": "ignoreret"}
    for placement in preview.placements:
        target = placement.field or "–"
        how = how_words.get(placement.how, "ikke placeret")
        lines.append(f"  kolonne {placement.column} “{placement.header}” → {target} ({how})")
    if preview.defaults:
        shown = ", ".join(f"{k}={v}" for k, v in preview.defaults.items())
        lines.append(f"  standardværdier for nye projekter: {shown}")
    for changed in preview.changed:
        lines.append(f"  ændret: {changed.project.name}")
        for change in changed.changes:
            lines.append(f"    {change.field}: {change.old!s} → {change.new!s}")
    for row in preview.new:
        filled = preview.defaulted.get(row.row_number)
        note = f" (standard: {', '.join(filled)})" if filled else ""
        lines.append(f"  ny: {row.values.get('name')}{note}")
    lines.extend(f"  ikke i arket: {project.name}" for project in preview.missing)
    lines.extend(f"  sprunget over: {line}" for line in preview.skipped)
    for field, found in preview.unknown_values.items():
        for value, count in found.items():
            lines.append(
                f"  ukendt værdi i {field}: “{value}” ({count} rækker) — brug "
                f'--value "{field}:{value}=værdi"'
            )
    for warning in preview.warnings:
        lines.append(f"  advarsel {warning.sheet}!{warning.cell or ''}: {warning.message}")
    for problem in preview.problems:
        lines.append(f"  problem {problem.sheet}!{problem.cell or ''}: {problem.message}")
    if preview.unmapped_headers:
        lines.append("  kolonner uden felt (brug --map): " + ", ".join(preview.unmapped_headers))
    click.echo("\n".join(lines))  # one write: click.echo flushes on every call


READ_AHEAD = "portfolio.import.read_ahead"


def _reading_ahead(command: Callable[..., None]) -> Callable[..., None]:
    """Starts reading the sheet in a second process before `with_appcontext` builds the app."""

    @functools.wraps(command)
    def run(**options: Any) -> None:
        chosen = ("profile_name", "mappings", "values", "rates", "blanks")
        plain = not any(options[name] for name in chosen)
        ahead = readahead.start(options["file"], sheet=options["sheet"], plain=plain)
        click.get_current_context().meta[READ_AHEAD] = ahead
        from portfolio.bulk import paused_gc  # the database layer: after the child has started

        try:
            with paused_gc():  # from the app's start on, as before
                command(**options)
        finally:
            if ahead is not None:
                ahead.close()

    return run


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sheet", help="Arkets navn, hvis det ikke skal findes automatisk.")
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="OVERSKRIFT=felt",
    help="Placér en kolonne i et felt; overskrift, entydig begyndelse eller kolonnebogstav.",
)
@click.option(
    "--default",
    "defaults",
    multiple=True,
    metavar="felt=værdi",
    help="Værdi for nye projekter, hvor arket intet har, fx scope=department (kan gentages).",
)
@click.option(
    "--value",
    "values",
    multiple=True,
    metavar="felt:arkets værdi=værdi",
    help='Oversæt en af arkets værdier, fx "status:On Track=green"; tom = lad stå tomt.',
)
@click.option(
    "--rate", "rates", multiple=True, metavar="VALUTA=kurs", help="Valutakurs, fx GBP=8.65."
)
@click.option(
    "--blank-unparsable",
    "blanks",
    multiple=True,
    metavar="FELT",
    help="Lad ulæselig tekst (NA, Exempt …) stå tom i denne kolonne, fx budget_dkk.",
)
@click.option("--profile", "profile_name", help="Brug valgene fra en gemt importprofil.")
@click.option("--save-profile", "save_as", help="Gem valgene som importprofil med dette navn.")
@click.option("--dry-run", is_flag=True, help="Vis hvad der ville ske; skriv intet.")
@click.option("--json", "as_json", is_flag=True, help="Skriv forhåndsvisning/resultat som JSON.")
@click.option(
    "--archive-missing",
    is_flag=True,
    help="Arkivér projekter, der er i databasen, men ikke i arket.",
)
@click.option("--blanks-clear", is_flag=True, help="Lad tomme celler slette eksisterende værdier.")
@_reading_ahead
@with_appcontext
def import_command(**options: Any) -> None:
    """Importér projektporteføljearket (.xlsx)."""
    from portfolio.db import unit_of_work

    with unit_of_work():
        _import(**options)


def _import(
    file: Path,
    sheet: str | None,
    mappings: tuple[str, ...],
    defaults: tuple[str, ...],
    values: tuple[str, ...],
    rates: tuple[str, ...],
    blanks: tuple[str, ...],
    profile_name: str | None,
    save_as: str | None,
    dry_run: bool,
    as_json: bool,
    archive_missing: bool,
    blanks_clear: bool,
) -> None:
    from importers.results import WorkbookError
    from portfolio.cli import cli_actor, require_current_schema
    from portfolio.db import get_session
    from portfolio.domain import ChangeSource
    from portfolio.imports import services as svc
    from portfolio.imports.choices import (
        ChoiceError,
        ImportChoices,
        header_signature,
        parse_choices,
    )

    try:
        given = parse_choices(
            mappings=mappings, defaults=defaults, values=values, rates=rates, blanks=blanks
        )
    except ChoiceError as exc:
        # A usage error (exit 2) like click's own; scripts asking for JSON still get JSON.
        if as_json:
            click.echo(json.dumps({"error": str(exc), "problems": []}, ensure_ascii=False))
        raise click.BadParameter(f"{exc} Intet er importeret.", param_hint=exc.option) from exc
    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    try:
        if file.stat().st_size > limit:
            raise WorkbookError(
                f"Filen er større end grænsen på {limit // (1024 * 1024)} MB. Intet er importeret."
            )
        data = file.read_bytes()
    except FileNotFoundError:
        _refuse(f"Filen {file} findes ikke.", as_json)
    except WorkbookError as exc:
        _refuse(str(exc), as_json)
    require_current_schema()
    session = get_session()
    choices = given
    if profile_name:
        profile = svc.profile_by_name(session, profile_name)
        if profile is None:
            known = ", ".join(p.name for p in svc.list_profiles(session)) or "ingen"
            _refuse(
                f"Der er ingen importprofil ved navn “{profile_name}”. Kendte: {known}.", as_json
            )
        choices = ImportChoices.from_json(profile.choices).merged(given)
    ahead = click.get_current_context().meta.get(READ_AHEAD)
    try:
        result = None
        if ahead is not None:
            options = choices.read_options()
            result = ahead.take(data, sheet=sheet, options=options, max_bytes=limit)
        if result is None:
            result = svc.read_sheet(data, sheet=sheet, choices=choices, max_bytes=limit)
    except WorkbookError as exc:
        _refuse(str(exc), as_json, list(getattr(exc, "problems", []) or []))
    signature = header_signature(result)
    if not profile_name and not save_as:
        matching = svc.profile_for_signature(session, signature)
        if matching is not None:
            click.echo(
                f"Importprofilen “{matching.name}” passer til arket; brug --profile "
                f'"{matching.name}" for at bruge dens valg.',
                err=True,
            )
    if not dry_run:
        svc.lock_for_import(session)
    preview = svc.preview_import(
        session, result, blanks_clear=blanks_clear, defaults=choices.defaults
    )
    extra: dict[str, Any] = {"dry_run": dry_run, "profile": profile_name}
    if preview.problems or dry_run:
        message = (
            f"Arket har {len(preview.problems)} problem(er); intet er importeret. "
            "Ret dem i arket, og prøv igen."
        )
        if preview.problems:
            extra["error"] = message
        _print_preview(preview, as_json, extra)
        if preview.problems:
            from portfolio.cli import fail

            fail(message)
        return
    try:
        run = svc.apply_import(
            session=session,
            preview=preview,
            actor=cli_actor(),
            source=ChangeSource.cli,
            filename=file.name,
            sha256=svc.sha256_of(data),
            archive_missing=archive_missing,
            choices=choices,
            profile=save_as or profile_name,
        )
        if save_as:
            svc.save_profile(
                session=session,
                name=save_as,
                signature=signature,
                result=result,
                choices=choices,
                actor=cli_actor(),
            )
    except svc.ImportRefused as exc:
        _refuse(str(exc), as_json)
    except svc.ProfileError as exc:
        _refuse(f"{exc} Intet er importeret.", as_json)
    extra.update({"import_id": run.id, "archived": run.archived})
    _print_preview(preview, as_json, extra)
    if not as_json:
        saved = f" Valgene er gemt som profilen “{save_as}”." if save_as else ""
        click.echo(
            f"Importeret som import nr. {run.id}: {run.created} nye, {run.updated} ændrede, "
            f"{run.archived} arkiverede.{saved}"
        )
