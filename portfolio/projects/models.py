"""The register's tables: departments, people, projects and their status history."""

import types
import typing
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from pydantic.fields import FieldInfo
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, Relationship, SQLModel

from importers.fields import MAX_LENGTHS
from portfolio.db import enum_column, utcnow, versioned
from portfolio.domain import FIELD_LABELS, ChangeSource, Kind, Phase, Scope, Status


class Department(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=MAX_LENGTHS["department"], unique=True)
    # For rollouts: the chief ("Chefen for …"), who updates the department's own cells; the
    # head count; how much longer than the app's base time it needs (1.0 = the base time).
    chief_id: int | None = Field(default=None, foreign_key="person.id")
    head_count: int | None = None
    implementation_factor: float = Field(default=1.0)

    projects: list["Project"] = Relationship(back_populates="department")


class Person(SQLModel, table=True):
    """A member of staff: a chief (process owner) or a project lead. No citizen data."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    title: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)


def shown(
    group: str = "project",
    *,
    hint: Any = None,
    required: Any = None,
    blank: Any = None,
    datalist: str | None = None,
    overview: bool = False,
) -> dict[str, Any]:
    """How the project's form shows a field, where its type cannot say: its fieldset (FIELDSETS
    in projects/forms.py), the hint under the label, the message when a required field is empty,
    the text of an optional choice's empty option, and the id of the datalist that suggests
    values; and whether the overview's one-line table (Chefforum's view) has it as a column.
    Kept on the field (schema_extra) so a new field is written in one place."""
    form = {"group": group, "hint": hint, "required": required, "blank": blank}
    return {"json_schema_extra": {"form": {**form, "datalist": datalist}, "overview": overview}}


def in_overview(info: FieldInfo) -> bool:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return extra.get("overview") is True


def form_hints(info: FieldInfo) -> dict[str, Any]:
    """The field's shown(...) values; a field without them goes in the first fieldset."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    hints = extra.get("form")
    return dict(hints) if isinstance(hints, dict) else shown()["json_schema_extra"]["form"]


def value_type(info: FieldInfo) -> tuple[type, bool]:
    """The field's value type without its None, and whether None is allowed: (date, True)."""
    annotation = info.annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        (kind,) = args  # a field is one type or that type or None
        return kind, True
    assert isinstance(annotation, type)  # noqa: S101
    return annotation, False


def is_long_text(info: FieldInfo) -> bool:
    """A TEXT column: the form gives it a text area, the sheet lets it wrap."""
    sa_type = getattr(info, "sa_type", None)
    return isinstance(sa_type, type) and issubclass(sa_type, sa.Text)


class ProjectBase(SQLModel):
    """A project's own fields, as a form, an import or the CLI sets them. The one definition the
    form, the JSON, the sheet, the pack snapshot and the overview row derive from (the README's
    architecture section says how to add a field). Text limits come from importers/fields.py,
    which the importer shares."""

    name: str = Field(
        max_length=MAX_LENGTHS["name"],
        index=True,
        schema_extra=shown(required=_l("Projektet skal have et navn."), overview=True),
    )
    case_number: str | None = Field(
        default=None,
        max_length=MAX_LENGTHS["case_number"],
        unique=True,
        schema_extra=shown(hint=_l("Journalnummer, fx 85.13.00-P20-1-20.")),
    )
    scope: Scope = Field(
        sa_column=enum_column(Scope, nullable=False),
        schema_extra=shown(required=_l("Vælg en projekttype."), overview=True),
    )
    kind: Kind = Field(
        sa_column=enum_column(Kind, nullable=False),
        schema_extra=shown(required=_l("Vælg strategisk eller operationelt.")),
    )
    phase: Phase = Field(
        sa_column=enum_column(Phase, nullable=False),
        schema_extra=shown("plan", required=_l("Vælg en fase."), overview=True),
    )
    status: Status | None = Field(
        default=None,
        sa_column=enum_column(Status, nullable=True),
        schema_extra=shown("plan", blank=_l("Ingen status"), overview=True),
    )
    # Long texts are TEXT columns; their limit is checked, not the column's.
    status_comment: str | None = Field(
        default=None,
        max_length=MAX_LENGTHS["status_comment"],
        sa_type=sa.Text,
        schema_extra=shown("plan", hint=_l("Hvorfor har projektet denne status?")),
    )
    start_date: date | None = Field(default=None, schema_extra=shown("plan"))
    end_date: date | None = Field(default=None, schema_extra=shown("plan", overview=True))
    baseline_end_date: date | None = Field(
        default=None,
        schema_extra=shown(
            "plan", hint=_l("Den først godkendte slutdato; viser om projektet er skredet.")
        ),
    )
    budget_dkk: int | None = Field(
        default=None, sa_type=sa.BigInteger, schema_extra=shown("plan", overview=True)
    )
    description: str | None = Field(
        default=None, max_length=MAX_LENGTHS["description"], sa_type=sa.Text
    )
    link: str | None = Field(
        default=None,
        max_length=MAX_LENGTHS["link"],
        schema_extra=shown(hint=_l("Link til procesarket eller dokumenter i SharePoint.")),
    )


class ProjectReferences(SQLModel):
    """The department and people a project points to: given by name, stored as references."""

    department: str | None = Field(
        default=None,
        max_length=MAX_LENGTHS["department"],
        schema_extra=shown("responsibility", datalist="departments-list", overview=True),
    )
    process_owner: str | None = Field(
        default=None,
        max_length=MAX_LENGTHS["process_owner"],
        schema_extra=shown(
            "responsibility",
            hint=_l("Chefen, der ejer projektet."),
            datalist="people-list",
            overview=True,
        ),
    )
    project_lead: str | None = Field(
        default=None,
        max_length=MAX_LENGTHS["project_lead"],
        schema_extra=shown("responsibility", datalist="people-list"),
    )


class ProjectCreate(ProjectReferences, ProjectBase):
    """What creating or editing a project takes: its own fields and its references by name."""


class ProjectPublic(ProjectCreate):
    """A project as the JSON (CLI export) and the sheet show it."""

    id: int
    archived: bool = False


class Project(ProjectBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # Set by archiving and restoring, never by the project's form or an import.
    archived: bool = Field(default=False)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    process_owner_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    project_lead_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    # Optimistic locking: bumped by the ORM on every UPDATE (see _versioned); stale forms are
    # refused, and a concurrent save from the same version fails in the database.
    version: int = Field(default=1)
    # The process owner's last review ("gennemset"), and by whom.
    reviewed_at: datetime | None = Field(default=None)
    reviewed_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    department: Department | None = Relationship(back_populates="projects")
    process_owner: Person | None = Relationship(
        sa_relationship_kwargs={"foreign_keys": "Project.process_owner_id"}
    )
    project_lead: Person | None = Relationship(
        sa_relationship_kwargs={"foreign_keys": "Project.project_lead_id"}
    )
    updates: list["StatusUpdate"] = Relationship(
        back_populates="project",
        sa_relationship_kwargs={"order_by": "StatusUpdate.id.desc()"},
    )

    __mapper_args__ = declared_attr(versioned)  # type: ignore[arg-type,var-annotated]


class StatusUpdate(SQLModel, table=True):
    """One change of a project's status, phase or status comment: history, never edited."""

    __tablename__ = "status_update"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    changed_at: datetime = Field(default_factory=utcnow, index=True)
    changed_by: str = Field(max_length=200)
    field: str = Field(max_length=30)
    old_value: str | None = Field(default=None, sa_type=sa.Text)
    new_value: str | None = Field(default=None, sa_type=sa.Text)
    source: ChangeSource = Field(sa_column=enum_column(ChangeSource, nullable=False))
    # The import that caused the change, when an import did.
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)

    project: Project | None = Relationship(back_populates="updates")


TRACKED_FIELDS = ("status", "phase", "status_comment")


def reading_order(names: Iterable[str]) -> tuple[str, ...]:
    """Field names in the order people read them: DOMAIN.md's, which domain.FIELD_LABELS
    follows; the id first, and a field without a label last (tests/test_projects_shape.py
    refuses that)."""
    rank = {name: i for i, name in enumerate(("id", *FIELD_LABELS))}
    return tuple(sorted(names, key=lambda name: rank.get(name, len(rank))))


# Derived from the models above: the project's own columns, its references, every field a form,
# an import or the CLI may set (in reading order), and the public shape (JSON, sheet rows).
SCALAR_FIELDS: tuple[str, ...] = tuple(ProjectBase.model_fields)
REFERENCE_FIELDS: tuple[str, ...] = tuple(ProjectReferences.model_fields)
PROJECT_FIELDS: tuple[str, ...] = reading_order(ProjectCreate.model_fields)
PUBLIC_FIELDS: tuple[str, ...] = reading_order(ProjectPublic.model_fields)
# The overview table's columns (shown(overview=True)): the name and the traffic light first, the
# two a reader scans a row for, then the rest in reading order. And the fields a list may sort
# by: all but the long texts.
LEADING_COLUMNS: tuple[str, ...] = ("name", "status")
OVERVIEW_FIELDS: tuple[str, ...] = (
    *LEADING_COLUMNS,
    *(
        name
        for name in PROJECT_FIELDS
        if in_overview(ProjectCreate.model_fields[name]) and name not in LEADING_COLUMNS
    ),
)
SORT_FIELDS: tuple[str, ...] = tuple(
    name for name in PROJECT_FIELDS if not is_long_text(ProjectCreate.model_fields[name])
)
