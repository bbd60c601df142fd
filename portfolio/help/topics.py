"""What the help pages say that comes from the code: the areas, the role table (from
ROLE_PERMISSIONS) and the sheet's columns (from the importer's column table)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from importers.columns import HEADER_SYNONYMS, SHEET_COLUMNS, VALUE_LABELS
from portfolio.domain import FIELD_LABELS, LABELS, Role, short_label
from portfolio.permissions import (
    OWN_BENEFITS_ONLY,
    OWN_DEPARTMENT_ONLY,
    OWN_PROJECTS_ONLY,
    ROLE_PERMISSIONS,
    Permission,
)

# What each permission lets a user do, in the words of the role table. Every Permission needs
# one (a test checks it), so a new permission shows in the help the day it is added.
PERMISSION_TEXTS: dict[Permission, LazyString] = {
    Permission.view: _l(
        "Se projekterne, overblikket, historikken, udrulningen, puljerne, gevinsterne og de "
        "offentliggjorte mødepakker"
    ),
    Permission.export: _l("Hente porteføljen og mødepakkerne som filer (Excel, Word, PDF, HTML)"),
    Permission.update_status: _l("Opdatere status, fase og statuskommentar"),
    Permission.review: _l("Markere projekter som gennemset (Mine projekter)"),
    Permission.edit_project: _l("Rette alle felter på alle projekter"),
    Permission.create_project: _l("Oprette projekter"),
    Permission.archive_project: _l("Arkivere projekter"),
    Permission.import_sheet: _l("Importere projektporteføljearket"),
    Permission.manage_users: _l("Oprette og ændre brugere og deres roller"),
    Permission.view_audit: _l("Se ændringsloggen"),
    Permission.manage_meetings: _l(
        "Forberede, offentliggøre og slette mødepakker og notere Chefforums beslutninger"
    ),
    Permission.plan_rollout: _l("Planlægge udrulninger og rette alle felter i udrulningsplanen"),
    Permission.update_rollout: _l(
        "Opdatere udrulningens tilstand, parathed, blokering og faktiske idriftsættelse"
    ),
    Permission.manage_finance: _l(
        "Oprette puljer, bogføre indskud, bevillinger og tilbageløb, og oprette gevinster"
    ),
    Permission.record_benefit: _l("Registrere målinger og vurderinger af gevinster"),
}

# How a right is limited for a process owner (SessionUser.can applies these to owners only).
SCOPES: tuple[tuple[frozenset[Permission], LazyString], ...] = (
    (OWN_PROJECTS_ONLY, _l("Egne projekter")),
    (OWN_DEPARTMENT_ONLY, _l("Egen afdeling")),
    (OWN_BENEFITS_ONLY, _l("Egne gevinster")),
)


@dataclass(frozen=True)
class Topic:
    slug: str
    title: LazyString
    summary: LazyString
    # The rights this area is about: the page says which of them the reader's role has.
    permissions: tuple[Permission, ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        "roller",
        _l("Roller: hvem må hvad"),
        _l("De fire roller, og hvad hver af dem må i Portefølje."),
        tuple(Permission),
    ),
    Topic(
        "projekter",
        _l("Projekter, status og gennemsyn"),
        _l("Trafiklyset, statuskommentaren og procesejerens gennemsyn."),
        (
            Permission.view,
            Permission.update_status,
            Permission.review,
            Permission.edit_project,
            Permission.create_project,
            Permission.archive_project,
        ),
    ),
    Topic(
        "import",
        _l("Import af projektarket"),
        _l("Sådan importeres arket fra Teams/SharePoint, og hvilke kolonner der læses."),
        (Permission.import_sheet,),
    ),
    Topic(
        "moeder",
        _l("Mødepakker til Chefforum"),
        _l("Sådan laves, offentliggøres og refereres en mødepakke."),
        (Permission.view, Permission.export, Permission.manage_meetings),
    ),
    Topic(
        "udrulning",
        _l("Udrulningsplaner"),
        _l("Udrulning af fælles apps afdeling for afdeling."),
        (Permission.view, Permission.plan_rollout, Permission.update_rollout),
    ),
    Topic(
        "oekonomi",
        _l("Puljer og gevinster"),
        _l("Digitaliseringsrådets pulje, bevillinger, tilbageløb og gevinstrealisering."),
        (Permission.view, Permission.manage_finance, Permission.record_benefit),
    ),
)
TOPIC_BY_SLUG = {topic.slug: topic for topic in TOPICS}


def right_text(role: Role, permission: Permission) -> str:
    """A cell of the role table: "Ja", "Nej", or how the right is limited for the role."""
    if permission not in ROLE_PERMISSIONS[role]:
        return str(_l("Nej"))
    if role == Role.owner:
        for scoped, text in SCOPES:
            if permission in scoped:
                return str(text)
    return str(_l("Ja"))


@dataclass(frozen=True)
class RoleColumn:
    role: Role
    short: str  # "Procesejer"
    full: str  # "Procesejer (chef)"


@dataclass(frozen=True)
class RoleRow:
    permission: Permission
    text: str
    cells: tuple[str, ...]  # one per role, in ROLES' order


ROLES: tuple[Role, ...] = tuple(Role)


def role_columns() -> list[RoleColumn]:
    return [RoleColumn(role, short_label(role), str(LABELS[role])) for role in ROLES]


def role_table(permissions: tuple[Permission, ...] = tuple(Permission)) -> list[RoleRow]:
    """The role matrix as the help shows it, straight from ROLE_PERMISSIONS."""
    return [
        RoleRow(p, str(PERMISSION_TEXTS[p]), tuple(right_text(r, p) for r in ROLES))
        for p in permissions
    ]


@dataclass(frozen=True)
class RoleRights:
    """What one role may and may not do among some permissions, for "Din rolle" boxes."""

    may: list[tuple[str, str | None]]  # (text, limit such as "Egne projekter")
    may_not: list[str]


def role_rights(role: Role, permissions: tuple[Permission, ...]) -> RoleRights:
    may: list[tuple[str, str | None]] = []
    may_not: list[str] = []
    for permission in permissions:
        text = str(PERMISSION_TEXTS[permission])
        cell = right_text(role, permission)
        if permission not in ROLE_PERMISSIONS[role]:
            may_not.append(text)
        else:
            may.append((text, None if cell == str(_l("Ja")) else cell))
    return RoleRights(may, may_not)


@dataclass(frozen=True)
class SheetColumn:
    header: str  # the sheet's own header, as export writes it
    field: str  # canonical name
    label: str  # the app's label
    values: tuple[str, ...]  # the words the sheet uses for a list field
    also: tuple[str, ...]  # a few other headers the import recognises


# Other headers shown per column: enough to recognise a sheet, not the whole synonym list.
SYNONYMS_SHOWN = 3


def sheet_columns() -> list[SheetColumn]:
    """The columns the import reads, in the sheet's order (importers/columns.py)."""
    columns = []
    for field, header in SHEET_COLUMNS:
        others = [s for s in HEADER_SYNONYMS.get(field, ()) if s != header]
        columns.append(
            SheetColumn(
                header=header,
                field=field,
                label=str(FIELD_LABELS.get(field, field)),
                values=tuple(VALUE_LABELS.get(field, {}).values()),
                also=tuple(others[:SYNONYMS_SHOWN]),
            )
        )
    return columns
