"""The read-only JSON API under /api/v1/: every route from schemas.ROUTES, authenticated by a
personal token only (never the session cookie), paged by an opaque cursor, with ETags."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, NoReturn
from urllib.parse import urlencode

import pydantic_core
import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import col, select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from portfolio.api import schemas
from portfolio.api.tokens import Refusal, authenticate
from portfolio.db import get_engine, get_session
from portfolio.edge import parse_int
from portfolio.finance.models import Benefit, BenefitBase, BenefitMeasurement
from portfolio.meetings import services as meetings
from portfolio.meetings.models import Meeting
from portfolio.permissions import Permission
from portfolio.projects.models import PUBLIC_FIELDS, Department, Person, Project, StatusUpdate
from portfolio.projects.services import ProjectFilter, filter_projects, project_columns
from portfolio.rollout.models import RolloutCell, RolloutCellBase
from portfolio.security import csrf

bp = Blueprint("api", __name__, url_prefix=schemas.PREFIX)
# GET only, and never authenticated by a cookie: no form to forge.
csrf.exempt(bp)

READS = frozenset({"GET", "HEAD"})
OPEN_ENDPOINTS = frozenset({"api.openapi"})  # the description holds no portfolio data
CURSOR_PREFIX = "id:"


# --- answers ---------------------------------------------------------------------------------


def to_json(value: Any) -> bytes:
    """Compact UTF-8 JSON, dates and times as ISO 8601 (pydantic's serialiser: a thousand
    projects in a third of the time the json module takes)."""
    return pydantic_core.to_json(value)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(to_json(body), status, headers, mimetype="application/json")
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Authorization")
    return response


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return _json({"error": message}, status, headers)


def fail(status: int, message: str) -> NoReturn:
    abort(error(status, message))


def _tagged(tag_source: bytes, build: Callable[[], Any]) -> Response:
    """200 with the body `build` makes and a weak ETag of `tag_source` (the rows the body is
    made from, so the tag is known before serialising), or 304 when the client has it."""
    tag = hashlib.sha256(tag_source).hexdigest()[:32]
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304)
        response.set_etag(tag, weak=True)
        response.headers["Cache-Control"] = "private, no-cache"
        response.vary.add("Authorization")
        return response
    response = _json(build())
    response.set_etag(tag, weak=True)  # weak: gzip on the way out changes the bytes, not the data
    return response


def _rows_tag(*parts: Any) -> bytes:
    """What an ETag is made from: the query and the rows as fetched (tuples, cheaper to write
    out than the body's objects), so any change of a listed row changes the tag."""
    return to_json([request.full_path, *parts])


# --- the token, before every route ---------------------------------------------------------------


@bp.before_request
def _authenticate() -> Response | None:
    """Only a token in the Authorization header lets a request in: the session cookie is never
    read, so a logged-in browser cannot be made to fetch the API from another site."""
    if request.method not in READS or request.endpoint in OPEN_ENDPOINTS:
        return None  # other methods: the 405 below, before any token is looked at
    scheme, _sep, raw = request.headers.get("Authorization", "").partition(" ")
    found = authenticate(
        get_engine(),
        raw.strip() if scheme.lower() == "bearer" else None,
        rate_per_minute=int(current_app.config["API_RATE_PER_MINUTE"]),
    )
    if isinstance(found, Refusal):
        if found.status == 429:
            return error(429, found.message, {"Retry-After": str(found.retry_after)})
        challenge = 'Bearer realm="Portefolje"'
        if raw:
            challenge += ', error="invalid_token"'
        return error(401, found.message, {"WWW-Authenticate": challenge})
    user = found.user
    g._login_user = user  # Flask-Login's request user: the token's, never the cookie's
    g.api_token_id = found.token_id
    if not user.can(Permission.view):
        return error(403, _("Brugeren bag API-nøglen må ikke se porteføljen."))
    return None


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    """Errors as JSON, never the HTML error page: our own message (abort(400, description=…)
    from the edge), else a short Danish one."""
    if exc.response is not None:
        return exc.response  # type: ignore[return-value]
    messages = {
        404: _("Findes ikke."),
        405: _("API'et kan kun læse: brug GET."),
        500: _("Der skete en uventet fejl. Prøv igen, eller kontakt IT-afdelingen."),
    }
    code = exc.code or 500
    given = vars(exc).get("description")
    return error(
        code, str(given) if given else messages.get(code, _("Forespørgslen kunne ikke besvares."))
    )


# The app's own 500 handler is registered by code, which Flask asks before this blueprint's
# HTTPException handler: an unexpected error in the API must be JSON too.
bp.register_error_handler(500, _http_error)


@bp.route("/", defaults={"rest": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def elsewhere(rest: str) -> Response:
    """Any other path is a 404, and any method but GET a 405 (the API never writes)."""
    if request.method not in READS:
        return error(405, _("API'et kan kun læse: brug GET."), {"Allow": "GET, HEAD"})
    return error(404, _("Findes ikke."))


@bp.get(schemas.OPENAPI_PATH)
def openapi() -> Response:
    return _json(schemas.openapi_document())


# --- paging ----------------------------------------------------------------------------------


def _limit() -> int:
    text = request.args.get("limit")
    if text is None:
        return schemas.DEFAULT_LIMIT
    number = parse_int(text, minimum=1, maximum=schemas.MAX_LIMIT)
    if number is None:
        fail(400, _("limit skal være et helt tal fra 1 til %(num)d.", num=schemas.MAX_LIMIT))
    return number


def _after() -> int:
    """The id the page starts after (0: the first page)."""
    text = request.args.get("cursor")
    if not text:
        return 0
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    number = parse_int(decoded.removeprefix(CURSOR_PREFIX)) if decoded.startswith("id:") else None
    if number is None:
        fail(400, _("cursor er ugyldig: brug next-linket fra den forrige side."))
    return number


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{last_id}".encode()).decode().rstrip("=")


def _next_link(rows: Sequence[Any], limit: int, id_of: Callable[[Any], int]) -> str | None:
    if len(rows) <= limit:
        return None
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
    args.append(("cursor", encode_cursor(id_of(rows[limit - 1]))))
    return f"{request.base_url}?{urlencode(args)}"


def _page(stmt: Any, id_column: Any, limit: int) -> Any:
    return stmt.where(id_column > _after()).order_by(None).order_by(id_column).limit(limit + 1)


def _id_arg(name: str) -> int | None:
    text = request.args.get(name)
    if text is None:
        return None
    number = parse_int(text, minimum=1)
    if number is None:
        fail(400, _("%(name)s skal være et id (et helt tal).", name=name))
    return number


# --- projects --------------------------------------------------------------------------------


def _as_stored(column: Any) -> Any:
    """The column without SQLAlchemy's per-value conversion where the stored value is already
    what the JSON holds: an enum's text, and a date (SQLite keeps ISO text; PostgreSQL's driver
    gives a date, written as ISO by to_json). A thousand rows then build no enum or date in
    Python on SQLite."""
    if isinstance(getattr(column, "type", None), sa.Enum | sa.Date):
        return sa.type_coerce(column, sa.String())
    return column


_PROJECT_COLUMNS = [_as_stored(c) for c in project_columns(PUBLIC_FIELDS)]


def _project_rows(stmt: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in get_session().connection().execute(stmt).all()]


def _project(row: Sequence[Any]) -> dict[str, Any]:
    return dict(zip(PUBLIC_FIELDS, row, strict=True))


def projects() -> Response:
    limit = _limit()
    flt = ProjectFilter.from_args(request.args)
    stmt = filter_projects(sa.select(*_PROJECT_COLUMNS).select_from(Project), flt)
    rows = _project_rows(_page(stmt, col(Project.id), limit))
    following = _next_link(rows, limit, lambda row: row[0])
    shown = rows[:limit]
    return _tagged(
        _rows_tag(shown, following),
        lambda: {"items": [_project(row) for row in shown], "next": following},
    )


def _project_or_404(project_id: int) -> tuple[Any, ...]:
    for archived in (False, True):  # the filter keeps to one or the other
        base = sa.select(*_PROJECT_COLUMNS).select_from(Project)
        stmt = filter_projects(base, ProjectFilter(archived=archived))
        rows = _project_rows(stmt.where(col(Project.id) == project_id))
        if rows:
            return rows[0]
    fail(404, _("Projektet findes ikke."))


def project(project_id: int) -> Response:
    row = _project_or_404(project_id)
    return _tagged(_rows_tag(row), lambda: _project(row))


def project_history(project_id: int) -> Response:
    if get_session().get(Project, project_id) is None:
        fail(404, _("Projektet findes ikke."))
    limit = _limit()
    names = ("id", "project_id", "changed_at", "changed_by", "field", "old_value", "new_value")
    columns = [getattr(StatusUpdate, n) for n in names]
    stmt = sa.select(*columns, sa.type_coerce(col(StatusUpdate.source), sa.String())).where(
        col(StatusUpdate.project_id) == project_id
    )
    rows = _project_rows(_page(stmt, col(StatusUpdate.id), limit))
    following = _next_link(rows, limit, lambda row: row[0])
    shown = rows[:limit]
    return _tagged(
        _rows_tag(shown, following),
        lambda: {
            "items": [dict(zip((*names, "source"), row, strict=True)) for row in shown],
            "next": following,
        },
    )


# --- meetings --------------------------------------------------------------------------------


def _sees_drafts() -> bool:
    return bool(current_user.can(Permission.manage_meetings))


def _meeting(m: Meeting) -> dict[str, Any]:
    return {
        "id": m.id,
        "meeting_date": m.meeting_date,
        "title": m.title,
        "mode": m.mode.value if hasattr(m.mode, "value") else m.mode,
        "published_at": m.published_at,
        "draft": m.published_at is None,
    }


def meetings_list() -> Response:
    limit = _limit()
    stmt = select(Meeting)
    if not _sees_drafts():
        stmt = stmt.where(col(Meeting.published_at).is_not(None))
    found = list(get_session().exec(_page(stmt, col(Meeting.id), limit)).all())
    following = _next_link(found, limit, lambda m: m.id)
    shown = [_meeting(m) for m in found[:limit]]
    return _tagged(_rows_tag(shown, following), lambda: {"items": shown, "next": following})


def meeting(day: str) -> Response:
    try:
        when = date.fromisoformat(day)
    except ValueError:
        fail(404, _("Mødet findes ikke."))
    found = meetings.meeting_by_date(get_session(), when)
    if found is None or (found.published_at is None and not _sees_drafts()):
        fail(404, _("Mødet findes ikke."))  # a draft is not there for those who see no drafts
    pack = meetings.build_pack(get_session(), found)
    body = {
        "meeting": _meeting(found),
        "previous_meeting_date": pack.previous_meeting_date,
        "anledning": pack.anledning,
        "sagsfremstilling": pack.sagsfremstilling,
        "indstilling": pack.indstilling,
        "beslutning": pack.beslutning,
        "bilag": pack.bilag,
        **{
            section: [
                {
                    "project_id": item.project.id,
                    "reasons": list(item.reasons),
                    "flagged": item.flagged,
                    "decision": item.decision,
                    "previous_decision": item.previous_decision,
                    "previous_decision_date": item.previous_decision_date,
                }
                for item in getattr(pack, section)
            ]
            for section in ("for_decision", "for_information", "other_strategic")
        },
        "projects": [p.model_dump(mode="json") for p in pack.projects],
        "changes": [
            {
                "project_id": c.project_id,
                "project_name": c.project_name,
                "kind": c.kind.value,
                "old": c.old,
                "new": c.new,
            }
            for c in pack.changes
        ],
    }
    return _tagged(to_json(body), lambda: body)


# --- rollout and benefits ----------------------------------------------------------------------

_CELL_FIELDS = [n for n in RolloutCellBase.model_fields if n != "readiness"]


def rollout_cells() -> Response:
    limit = _limit()
    stmt = (
        sa.select(
            col(RolloutCell.id),
            col(RolloutCell.project_id),
            col(Project.name),
            col(RolloutCell.department_id),
            col(Department.name),
            *(
                sa.type_coerce(getattr(RolloutCell, n), sa.String())
                if n == "state"
                else getattr(RolloutCell, n)
                for n in _CELL_FIELDS
            ),
            col(RolloutCell.readiness),
            col(RolloutCell.updated_at),
        )
        .join(Project, col(Project.id) == col(RolloutCell.project_id))
        .join(Department, col(Department.id) == col(RolloutCell.department_id))
    )
    project_id = _id_arg("project_id")
    if project_id is not None:
        stmt = stmt.where(col(RolloutCell.project_id) == project_id)
    department = request.args.get("department")
    if department:
        stmt = stmt.where(col(Department.name) == department)
    rows = _project_rows(_page(stmt, col(RolloutCell.id), limit))
    following = _next_link(rows, limit, lambda row: row[0])
    shown = rows[:limit]
    names = ("id", "project_id", "project", "department_id", "department", *_CELL_FIELDS)

    def cell(row: Sequence[Any]) -> dict[str, Any]:
        out = dict(zip(names, row[: len(names)], strict=True))
        readiness, updated_at = row[len(names) :]
        out["readiness"] = [line.strip() for line in (readiness or "").splitlines() if line.strip()]
        out["updated_at"] = updated_at
        return out

    return _tagged(
        _rows_tag(shown, following), lambda: {"items": [cell(r) for r in shown], "next": following}
    )


def benefits() -> Response:
    limit = _limit()
    session = get_session()
    stmt = select(Benefit)
    project_id = _id_arg("project_id")
    if project_id is not None:
        stmt = stmt.where(col(Benefit.project_id) == project_id)
    found = list(session.exec(_page(stmt, col(Benefit.id), limit)).all())
    following = _next_link(found, limit, lambda b: b.id)
    shown = found[:limit]
    ids = [b.id for b in shown]
    history: dict[int, list[dict[str, Any]]] = {i: [] for i in ids if i is not None}
    fields = ("id", "measured_on", "value", "assessment", "comment", "recorded_by", "recorded_at")
    if ids:
        for m in session.exec(
            select(BenefitMeasurement)
            .where(col(BenefitMeasurement.benefit_id).in_(ids))
            .order_by(col(BenefitMeasurement.measured_on), col(BenefitMeasurement.id))
        ):
            history[m.benefit_id].append(m.model_dump(mode="json", include=set(fields)))
    names = dict(
        session.exec(
            select(Person.id, Person.name).where(
                col(Person.id).in_({b.owner_id for b in shown if b.owner_id})
            )
        ).all()
    )
    places = dict(
        session.exec(
            select(Department.id, Department.name).where(
                col(Department.id).in_({b.department_id for b in shown if b.department_id})
            )
        ).all()
    )
    items = [
        {
            "id": b.id,
            "project_id": b.project_id,
            **b.model_dump(mode="json", include=set(BenefitBase.model_fields)),
            "owner": names.get(b.owner_id) if b.owner_id else None,
            "department": places.get(b.department_id) if b.department_id else None,
            "measurements": history.get(b.id or 0, []),
        }
        for b in shown
    ]
    return _tagged(_rows_tag(items, following), lambda: {"items": items, "next": following})


VIEWS: dict[str, Callable[..., Response]] = {
    "projects": projects,
    "project": project,
    "project_history": project_history,
    "meetings": meetings_list,
    "meeting": meeting,
    "rollout_cells": rollout_cells,
    "benefits": benefits,
}
for _route in schemas.ROUTES:
    bp.add_url_rule(_route.rule, _route.endpoint, VIEWS[_route.endpoint], methods=["GET"])
