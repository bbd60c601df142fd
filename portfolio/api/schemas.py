"""What the API answers, defined once: the response models (derived from the features' own
SQLModel shapes, so a new field appears in the API and its description together), the table of
routes the views are registered from, and the OpenAPI 3.1 document built from both."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model
from pydantic.fields import FieldInfo
from pydantic.json_schema import models_json_schema

from portfolio.domain import Kind, Phase, Scope, Status
from portfolio.finance.models import BenefitBase, BenefitMeasurement
from portfolio.meetings.models import Meeting
from portfolio.meetings.pack import PACK_FIELDS, ChangeKind, PackProject
from portfolio.projects.models import PUBLIC_FIELDS, ProjectPublic, StatusUpdate
from portfolio.projects.services import NO_STATUS
from portfolio.rollout.models import RolloutCellBase

REF = "#/components/schemas/{model}"
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


def derived(
    name: str,
    fields: Mapping[str, FieldInfo],
    names: Iterable[str],
    doc: str,
    **extra: Any,
) -> type[ApiModel]:
    """A response model with these fields of a feature's model: the same types, every one
    present in each answer (null when empty), without the form's limits and hints (a published
    pack must be served even after a limit has been lowered)."""
    chosen: dict[str, Any] = {n: (fields[n].annotation, ...) for n in names}
    chosen.update(extra)
    model: type[ApiModel] = create_model(name, __base__=ApiModel, __doc__=doc, **chosen)
    return model


class Error(ApiModel):
    """Why the request was refused, in Danish."""

    error: str


Project = derived(
    "Project",
    ProjectPublic.model_fields,
    PUBLIC_FIELDS,
    "A project, with the field names and values of `portfolio projects --json`. Dates are "
    "ISO dates, money whole kroner.",
)
StatusChange = derived(
    "StatusChange",
    StatusUpdate.model_fields,
    ("id", "project_id", "changed_at", "changed_by", "field", "old_value", "new_value", "source"),
    "One change of a project's status, phase or status comment.",
    id=(int, ...),
)
MeetingSummary = derived(
    "MeetingSummary",
    Meeting.model_fields,
    ("id", "meeting_date", "title", "mode", "published_at"),
    "A Chefforum meeting; published_at is null for a draft.",
    id=(int, ...),
    draft=(bool, ...),
)
PackProjectOut = derived(
    "PackProject",
    PackProject.model_fields,
    PACK_FIELDS,
    "A project as the pack shows it: frozen at publishing, live in a draft.",
)


class PackItem(ApiModel):
    """A project in the pack's Til beslutning or Til orientering section."""

    project_id: int
    reasons: list[str]
    flagged: bool
    decision: str | None
    previous_decision: str | None
    previous_decision_date: date | None


class PackChange(ApiModel):
    """What changed for a project since the previous meeting (old and new as canonical text)."""

    project_id: int
    project_name: str
    kind: ChangeKind
    old: str | None
    new: str | None


class MeetingPack(ApiModel):
    """A meeting and its pack's data: the agenda item, the sections and the projects."""

    meeting: MeetingSummary  # type: ignore[valid-type]
    previous_meeting_date: date | None
    anledning: str
    sagsfremstilling: str
    indstilling: str
    beslutning: str
    bilag: list[str]
    for_decision: list[PackItem]
    for_information: list[PackItem]
    other_strategic: list[PackItem]
    projects: list[PackProjectOut]  # type: ignore[valid-type]
    changes: list[PackChange]


RolloutCell = derived(
    "RolloutCell",
    RolloutCellBase.model_fields,
    [n for n in RolloutCellBase.model_fields if n != "readiness"],
    "A project's rollout in one department.",
    id=(int, ...),
    project_id=(int, ...),
    project=(str, ...),
    department_id=(int, ...),
    department=(str, ...),
    readiness=(list[str], ...),
    updated_at=(datetime, ...),
)
Measurement = derived(
    "Measurement",
    BenefitMeasurement.model_fields,
    ("id", "measured_on", "value", "assessment", "comment", "recorded_by", "recorded_at"),
    "A benefit's measurement, or a qualitative benefit's assessment.",
    id=(int, ...),
)
Benefit = derived(
    "Benefit",
    BenefitBase.model_fields,
    BenefitBase.model_fields,
    "A benefit (gevinst) of a project with its measurements, oldest first.",
    id=(int, ...),
    project_id=(int, ...),
    owner=(str | None, ...),
    department=(str | None, ...),
    measurements=(list[Measurement], ...),  # type: ignore[valid-type]
)


def page_of(model: type[BaseModel], what: str) -> type[ApiModel]:
    """A page of a list: the items, and the link to the next page (null on the last)."""
    return create_model(
        f"{model.__name__}Page",
        __base__=ApiModel,
        __doc__=f"A page of {what}. Follow `next` until it is null.",
        items=(list[model], ...),  # type: ignore[valid-type]
        next=(str | None, ...),
    )


ProjectPage = page_of(Project, "projects, in the order they were created")
StatusChangePage = page_of(StatusChange, "a project's status history, oldest first")
MeetingPage = page_of(MeetingSummary, "meetings, in the order they were created")
RolloutCellPage = page_of(RolloutCell, "rollout cells")
BenefitPage = page_of(Benefit, "benefits")


# --- the routes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    schema: dict[str, Any]
    description: str
    where: str = "query"
    repeated: bool = False  # ?status=red&status=yellow


def _enum(values: Iterable[str]) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


PAGING = (
    Param(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        "Rows per page.",
    ),
    Param("cursor", {"type": "string"}, "Where the page starts: taken from the last page's next."),
)
# The project list's filters, as in the list's and the overview's URLs.
PROJECT_FILTERS = (
    Param("scope", _enum(Scope), "Projekttype.", repeated=True),
    Param("kind", _enum(Kind), "Strategisk eller operationelt.", repeated=True),
    Param("phase", _enum(Phase), "Fase.", repeated=True),
    Param("status", _enum([*Status, NO_STATUS]), "Status; none: no status.", repeated=True),
    Param("department", {"type": "string"}, "Afdelingens navn.", repeated=True),
    Param("process_owner", {"type": "string"}, "Procesejerens navn.", repeated=True),
    Param("q", {"type": "string", "maxLength": 200}, "Søgning i navn, sagsnummer og tekster."),
    Param("archived", _enum(["1"]), "1: the archived projects instead of the active ones."),
)


@dataclass(frozen=True)
class Route:
    endpoint: str  # the view's name in portfolio/api/views.py and the blueprint's endpoint
    rule: str  # Flask's rule, under /api/v1
    summary: str
    response: type[BaseModel]
    parameters: tuple[Param, ...] = field(default=())


ROUTES: tuple[Route, ...] = (
    Route("projects", "/projects", "The projects", ProjectPage, (*PROJECT_FILTERS, *PAGING)),
    Route(
        "project",
        "/projects/<int:project_id>",
        "One project",
        Project,
        (Param("project_id", {"type": "integer"}, "The project's id.", where="path"),),
    ),
    Route(
        "project_history",
        "/projects/<int:project_id>/history",
        "A project's status history",
        StatusChangePage,
        (Param("project_id", {"type": "integer"}, "The project's id.", where="path"), *PAGING),
    ),
    Route(
        "meetings",
        "/meetings",
        "Chefforum's meetings (drafts only for those who prepare packs)",
        MeetingPage,
        PAGING,
    ),
    Route(
        "meeting",
        "/meetings/<day>",
        "A meeting's pack",
        MeetingPack,
        (
            Param(
                "day",
                {"type": "string", "format": "date"},
                "The meeting's date, e.g. 2026-12-08.",
                where="path",
            ),
        ),
    ),
    Route(
        "rollout_cells",
        "/rollout/cells",
        "Rollout cells (project × department)",
        RolloutCellPage,
        (
            Param("project_id", {"type": "integer"}, "Only this project's cells."),
            Param("department", {"type": "string"}, "Only this department's cells."),
            *PAGING,
        ),
    ),
    Route(
        "benefits",
        "/benefits",
        "Benefits with their measurements",
        BenefitPage,
        (Param("project_id", {"type": "integer"}, "Only this project's benefits."), *PAGING),
    ),
)
PREFIX = "/api/v1"
OPENAPI_PATH = "/openapi.json"


def _path(rule: str) -> str:
    """/projects/<int:project_id> → /api/v1/projects/{project_id}"""
    import re

    return PREFIX + re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", rule)


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
    }


def _parameter(param: Param) -> dict[str, Any]:
    schema = {"type": "array", "items": param.schema} if param.repeated else param.schema
    out: dict[str, Any] = {
        "name": param.name,
        "in": param.where,
        "required": param.where == "path",
        "description": param.description,
        "schema": schema,
    }
    if param.repeated:
        out.update(style="form", explode=True)
    return out


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document: the schemas from the response models above, the paths from
    ROUTES, which the views are registered from too."""
    models: list[type[BaseModel]] = [Error, *dict.fromkeys(route.response for route in ROUTES)]
    names, top = models_json_schema(
        [(model, "serialization") for model in models], ref_template=REF
    )
    schemas: dict[str, Any] = dict(top.get("$defs", {}))
    paths: dict[str, Any] = {}
    for route in ROUTES:
        ref = names[(route.response, "serialization")]["$ref"]
        paths[_path(route.rule)] = {
            "get": {
                "operationId": route.endpoint,
                "summary": route.summary,
                "parameters": [_parameter(p) for p in route.parameters],
                "responses": {
                    "200": {
                        "description": "OK",
                        "headers": {
                            "ETag": {
                                "description": "Send it back as If-None-Match: 304 when "
                                "nothing changed.",
                                "schema": {"type": "string"},
                            }
                        },
                        "content": {"application/json": {"schema": {"$ref": ref}}},
                    },
                    "304": {"description": "Not modified since the ETag sent"},
                    "400": _error("A parameter with a value it cannot have"),
                    "401": _error("No valid token (missing, unknown, expired or revoked)"),
                    "404": _error("Not found"),
                    "429": {
                        **_error("Too many requests for this token; see Retry-After"),
                        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                    },
                },
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Portefølje API",
            "version": "1",
            "description": "The municipality's IT project portfolio, read-only. Every request "
            "needs a personal token: Authorization: Bearer <token>.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


def schema_name(model: type[BaseModel]) -> str:
    """The name a response model has under components/schemas (for the tests)."""
    return model.__name__
