"""Importing the portfolio sheet: preview what would change, then apply it all or nothing."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from importers.results import Placement, Problem, ReadResult, SheetRow
from portfolio.db import utcnow
from portfolio.domain import ChangeSource
from portfolio.imports.choices import ImportChoices, header_texts
from portfolio.imports.models import ImportProfile, ImportRun
from portfolio.locks import hold_lock
from portfolio.projects.models import Project
from portfolio.projects.services import (
    Change,
    References,
    StaleProjectError,
    apply_changes,
    create_projects,
    diff_project,
    set_archived,
)

# A new project cannot be created without these; an existing one keeps its own.
REQUIRED_FOR_NEW = {
    "name": "projektnavn",
    "scope": "projekttype",
    "kind": "strategisk/operationelt",
    "phase": "fase",
}


class ImportRefused(Exception):
    """The import cannot be applied; the message says why, in Danish. `retry`: the sheet is
    fine, the portfolio moved meanwhile, so a fresh preview of the same file can be applied."""

    def __init__(self, message: str, *, retry: bool = False) -> None:
        super().__init__(message)
        self.retry = retry


def normalise_name(name: str) -> str:
    """Names match across case, accents' composition and runs of white space."""
    text = unicodedata.normalize("NFC", name).casefold()
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class ChangedProject:
    project: Project
    row: SheetRow
    changes: list[Change]


@dataclass
class ImportPreview:
    """What applying the sheet would do. Nothing is written while making it."""

    sheet: str
    rows: int
    new: list[SheetRow] = field(default_factory=list)
    changed: list[ChangedProject] = field(default_factory=list)
    unchanged: list[Project] = field(default_factory=list)
    missing: list[Project] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unmapped_headers: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    header_row: int = 0
    transposed: bool = False
    placements: list[Placement] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unknown_values: dict[str, dict[str, int]] = field(default_factory=dict)
    # Defaults for fields the sheet lacks, and per new row the fields they filled.
    defaults: dict[str, str] = field(default_factory=dict)
    defaulted: dict[int, list[str]] = field(default_factory=dict)

    @property
    def can_apply(self) -> bool:
        return not self.problems and self.rows > 0

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "new": len(self.new),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "missing": len(self.missing),
            "problems": len(self.problems),
        }

    def fingerprint(self) -> str:
        """Identifies exactly this set of changes: apply refuses if the portfolio moved since."""
        data = {
            "new": [[_jsonable(v) for v in r.values.values()] for r in self.new],
            "changed": [
                [c.project.id, c.project.version, [(x.field, _jsonable(x.new)) for x in c.changes]]
                for c in self.changed
            ],
            "missing": [p.id for p in self.missing],
        }
        blob = json.dumps(data, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:32]

    def to_json(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "header_row": self.header_row,
            "transposed": self.transposed,
            "placements": [
                {"column": p.column, "header": p.header, "field": p.field, "how": p.how}
                for p in self.placements
            ],
            "defaults": self.defaults,
            "unknown_values": self.unknown_values,
            "skipped": self.skipped,
            "warnings": [_problem_json(p) for p in self.warnings],
            "counts": self.counts(),
            "can_apply": self.can_apply,
            "unmapped_headers": self.unmapped_headers,
            "columns": self.columns,
            "new": [
                {
                    "row": r.row_number,
                    **{k: _jsonable(v) for k, v in r.values.items()},
                    "defaulted": self.defaulted.get(r.row_number, []),
                }
                for r in self.new
            ],
            "changed": [
                {
                    "id": c.project.id,
                    "name": c.project.name,
                    "case_number": c.project.case_number,
                    "row": c.row.row_number,
                    "changes": [
                        {"field": x.field, "old": _jsonable(x.old), "new": _jsonable(x.new)}
                        for x in c.changes
                    ],
                }
                for c in self.changed
            ],
            "missing": [
                {"id": p.id, "name": p.name, "case_number": p.case_number} for p in self.missing
            ],
            "problems": [_problem_json(p) for p in self.problems],
        }


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "sheet": problem.sheet,
        "cell": problem.cell,
        "value": problem.value,
        "message": problem.message,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if value is None or isinstance(value, (int, str, bool, float)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def read_sheet(
    data: bytes,
    *,
    sheet: str | None = None,
    choices: ImportChoices | None = None,
    max_bytes: int | None = None,
) -> ReadResult:
    """Reads the workbook with the user's choices; WorkbookError when it cannot be used."""
    from importers.workbook import read_workbook  # openpyxl: loaded on first use

    choices = choices or ImportChoices()
    kwargs: dict[str, Any] = {}
    if max_bytes is not None:
        kwargs["max_bytes"] = max_bytes
    return read_workbook(data, sheet=sheet, options=choices.read_options(), **kwargs)


def lock_for_import(session: Session) -> None:
    """Before the preview that is applied: one import at a time, each reading what the one
    before it wrote (two imports of the same new rows must not both create them)."""
    hold_lock(session, "import")


def preview_import(
    session: Session,
    result: ReadResult,
    *,
    blanks_clear: bool = False,
    defaults: dict[str, str] | None = None,
) -> ImportPreview:
    """Compares the sheet with the portfolio. Projects match on case number, else on name.
    `defaults` fill fields a new project's row leaves empty; existing projects keep theirs."""
    defaults = dict(defaults or {})
    preview = ImportPreview(
        sheet=result.sheet,
        rows=len(result.rows),
        problems=list(result.problems),
        unmapped_headers=list(result.unmapped_headers),
        columns=dict(result.columns),
        header_row=result.header_row,
        transposed=result.transposed,
        placements=list(result.placements),
        warnings=list(result.warnings),
        skipped=list(result.skipped),
        unknown_values={f: dict(v) for f, v in result.unknown_values.items()},
        defaults=defaults,
    )
    projects = session.exec(
        select(Project)
        .order_by(col(Project.id))
        .options(
            selectinload(Project.department),  # type: ignore[arg-type]
            selectinload(Project.process_owner),  # type: ignore[arg-type]
            selectinload(Project.project_lead),  # type: ignore[arg-type]
        )
    ).all()
    by_case = {p.case_number: p for p in projects if p.case_number}
    by_name: dict[str, list[Project]] = {}
    for p in projects:
        by_name.setdefault(normalise_name(p.name), []).append(p)

    seen: set[int] = set()
    for row in result.rows:
        project = _match(row, by_case, by_name, seen)
        if project is None:
            row = _with_defaults(row, defaults, preview)
            missing = [label for f, label in REQUIRED_FOR_NEW.items() if not row.values.get(f)]
            if missing:
                preview.problems.append(
                    Problem(
                        sheet=row.sheet,
                        cell=row.cells.get("name") or f"A{row.row_number}",
                        value=str(row.values.get("name") or ""),
                        message="Nyt projekt mangler " + ", ".join(missing) + ".",
                        field=None,
                    )
                )
                continue
            preview.new.append(row)
            continue
        assert project.id is not None  # noqa: S101  (stored projects have ids)
        seen.add(project.id)
        changes = diff_project(project, row.values, blanks_clear=blanks_clear)
        if changes:
            preview.changed.append(ChangedProject(project, row, changes))
        else:
            preview.unchanged.append(project)
    preview.missing = [p for p in projects if p.id not in seen and not p.archived]
    preview.missing.sort(key=lambda p: normalise_name(p.name))
    _check_case_numbers(preview, by_case)
    return preview


def _with_defaults(row: SheetRow, defaults: dict[str, str], preview: ImportPreview) -> SheetRow:
    """A new project's row with the defaults in the fields it leaves empty (a copy)."""
    filled = [f for f, v in defaults.items() if v and row.values.get(f) in (None, "")]
    if not filled:
        return row
    preview.defaulted[row.row_number] = filled
    values = {**row.values, **{f: defaults[f] for f in filled}}
    return SheetRow(sheet=row.sheet, row_number=row.row_number, values=values, cells=row.cells)


def _match(
    row: SheetRow,
    by_case: dict[str, Project],
    by_name: dict[str, list[Project]],
    seen: set[int],
) -> Project | None:
    case = row.values.get("case_number")
    if case and case in by_case:
        return by_case[case]
    name = row.values.get("name")
    if not name:
        return None
    for candidate in by_name.get(normalise_name(str(name)), []):
        # A name only matches a project the sheet has not already claimed, and one whose
        # case number (if any) does not contradict the row's.
        if candidate.id in seen:
            continue
        if case and candidate.case_number and candidate.case_number != case:
            continue
        return candidate
    return None


def _check_case_numbers(preview: ImportPreview, by_case: dict[str, Project]) -> None:
    """A new row, or a renumbered one, must not take a case number another project holds."""
    for row in preview.new:
        case = row.values.get("case_number")
        if case and case in by_case:
            preview.problems.append(_case_clash(row, by_case[case]))
    for changed in preview.changed:
        for change in changed.changes:
            if change.field == "case_number" and change.new in by_case:
                preview.problems.append(_case_clash(changed.row, by_case[change.new]))


def _case_clash(row: SheetRow, other: Project) -> Problem:
    return Problem(
        sheet=row.sheet,
        cell=row.cells.get("case_number"),
        value=str(row.values.get("case_number")),
        message=f"Sagsnummeret bruges allerede af projektet “{other.name}”.",
        field="case_number",
    )


def apply_import(
    *,
    session: Session,
    preview: ImportPreview,
    actor: str,
    source: ChangeSource,
    filename: str,
    sha256: str,
    archive_missing: bool = False,
    choices: ImportChoices | None = None,
    profile: str | None = None,
) -> ImportRun:
    """Writes the whole preview, or raises ImportRefused and writes nothing. Flushes only."""
    if preview.problems:
        raise ImportRefused(
            f"Arket har {len(preview.problems)} problem(er); ret dem i arket, og prøv igen. "
            "Intet er importeret."
        )
    if preview.rows == 0:
        raise ImportRefused("Arket har ingen projektrækker. Intet er importeret.")
    run = ImportRun(
        actor=actor,
        source=source,
        filename=filename[:300],
        sha256=sha256,
        sheet=preview.sheet[:200],
        rows=preview.rows,
        created=len(preview.new),
        updated=len(preview.changed),
        unchanged=len(preview.unchanged),
        archived=len(preview.missing) if archive_missing else 0,
        choices=(choices or ImportChoices()).dumps(),
        profile=profile,
    )
    session.add(run)
    session.flush()
    refs = References(session)
    try:
        _write_preview(session, preview, run, actor, source, refs, archive_missing)
    except StaleProjectError as exc:
        raise ImportRefused(
            f"Projektet “{exc.name}” blev ændret af en anden, mens importen kørte. "
            "Intet er importeret: se den nye forhåndsvisning igennem, og godkend på ny.",
            retry=True,
        ) from exc
    return run


def _write_preview(
    session: Session,
    preview: ImportPreview,
    run: ImportRun,
    actor: str,
    source: ChangeSource,
    refs: References,
    archive_missing: bool,
) -> None:
    create_projects(
        session=session,
        rows=[row.values for row in preview.new],
        actor=actor,
        source=source,
        import_run_id=run.id,
        refs=refs,
        checked=True,  # the reader has checked every field's rule
    )
    for changed in preview.changed:
        apply_changes(
            session=session,
            project=changed.project,
            changes=changed.changes,
            actor=actor,
            source=source,
            import_run_id=run.id,
            refs=refs,
        )
    if archive_missing:
        for project in preview.missing:
            set_archived(
                session=session,
                project=project,
                archived=True,
                actor=actor,
                source=source,
                import_run_id=run.id,
            )
    session.flush()


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def recent_imports(session: Session, limit: int = 20) -> Sequence[ImportRun]:
    return session.exec(
        select(ImportRun).order_by(col(ImportRun.created_at).desc()).limit(limit)
    ).all()


# --- profiles: the choices per sheet layout ---------------------------------------------------


class ProfileError(ValueError):
    """A profile that cannot be saved or found; str(error) is one Danish sentence."""


def profile_for_signature(session: Session, signature: str) -> ImportProfile | None:
    return session.exec(
        select(ImportProfile)
        .where(ImportProfile.signature == signature)
        .order_by(col(ImportProfile.updated_at).desc())
    ).first()


def profile_by_name(session: Session, name: str) -> ImportProfile | None:
    return session.exec(select(ImportProfile).where(ImportProfile.name == name.strip())).first()


def list_profiles(session: Session) -> Sequence[ImportProfile]:
    return session.exec(select(ImportProfile).order_by(col(ImportProfile.name))).all()


def save_profile(
    *,
    session: Session,
    name: str,
    signature: str,
    result: ReadResult,
    choices: ImportChoices,
    actor: str,
) -> ImportProfile:
    """Saves the choices under `name` for the layout (replacing that name's choices). Flushes."""
    name = re.sub(r"\s+", " ", name).strip()
    if not name or len(name) > 100:
        raise ProfileError("En profil skal have et navn på højst 100 tegn.")
    profile = profile_by_name(session, name)
    if profile is None:
        profile = ImportProfile(name=name, signature=signature, headers="", choices="", actor="")
    profile.signature = signature
    profile.headers = "\n".join(header_texts(result))
    profile.choices = choices.dumps()
    profile.actor = actor[:200]
    profile.updated_at = utcnow()
    session.add(profile)
    session.flush()
    return profile


def free_profile_name(session: Session, wanted: str) -> str:
    """`wanted`, or `wanted (2)`, … : a name no profile has yet."""
    base = re.sub(r"\s+", " ", wanted).strip()[:90] or "Profil"
    name, n = base, 1
    while profile_by_name(session, name) is not None:
        n += 1
        name = f"{base} ({n})"
    return name


def delete_profile(*, session: Session, profile_id: int) -> bool:
    profile = session.get(ImportProfile, profile_id)
    if profile is None:
        return False
    session.delete(profile)
    session.flush()
    return True
