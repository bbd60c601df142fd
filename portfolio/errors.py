"""Error pages in Danish, without tracebacks."""

from __future__ import annotations

import hmac

from flask import Flask, current_app, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError, same_origin
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from portfolio.domain import FIELD_LABELS, Role, short_label
from portfolio.security import referring_page

# Flask-WTF's description when a token's signature is good but its time limit has passed.
CSRF_EXPIRED = "The CSRF token has expired."
# Hidden form plumbing: sent again, but not shown among the user's own text.
NOT_SHOWN = frozenset({"version", "next", "back", "form_prefix", "fingerprint"})

TEXTS = {
    400: (
        _l("Forkert forespørgsel"),
        _l("Siden kunne ikke forstå det, der blev sendt."),
    ),
    403: (
        _l("Adgang nægtet"),
        _l("Du har ikke adgang til denne side eller handling."),
    ),
    404: (
        _l("Siden findes ikke"),
        _l("Siden eller projektet findes ikke. Måske er linket forældet."),
    ),
    405: (
        _l("Handlingen er ikke tilladt"),
        _l("Siden kan ikke bruges på den måde."),
    ),
    409: (
        _l("Nogen gemte samtidig"),
        _l(
            "En anden gemte det samme i samme øjeblik, så din ændring er ikke gemt, og intet er "
            "overskrevet. Gå tilbage, genindlæs siden, og prøv igen."
        ),
    ),
    413: (
        _l("Filen er for stor"),
        _l("Filen er større end den tilladte grænse. Del den op, eller fjern indhold."),
    ),
    500: (
        _l("Der skete en fejl"),
        _l("Der skete en uventet fejl. Prøv igen, eller kontakt IT-afdelingen."),
    ),
}


# A refused user is told what their role lets them do instead, and where: (text, link, endpoint).
ROLE_HELP = {
    Role.owner: (
        _l(
            "Som procesejer kan du opdatere status på dine egne projekter og markere dem som "
            "gennemset under Mine projekter."
        ),
        _l("Til Mine projekter"),
        "projects.mine",
    ),
    Role.reader: (
        _l(
            "Som læser kan du se projekterne, overblikket og Chefforums møder og hente dem som "
            "filer, men ikke ændre noget. Skal du kunne det, så kontakt IT-afdelingen."
        ),
        _l("Til overblikket"),
        "overview.index",
    ),
    Role.editor: (
        _l(
            "Som redaktør kan du redigere alle projekter og forberede Chefforums møder; brugere "
            "og import af regnearket klarer IT-afdelingen."
        ),
        _l("Til projektlisten"),
        "projects.index",
    ),
    Role.admin: (
        _l("Som administrator har du adgang til alle sider, men ikke til netop denne handling."),
        _l("Til projektlisten"),
        "projects.index",
    ),
}


def _role_help() -> dict[str, str] | None:
    role = getattr(current_user, "role", None)
    if not current_user.is_authenticated or role not in ROLE_HELP:
        return None
    text, link, endpoint = ROLE_HELP[role]
    found = {"text": str(text), "link": str(link), "url": url_for(endpoint)}
    found.update(_own_project_help(role) or {})
    found["role"] = short_label(role)
    found["help_url"] = url_for("help.topic", slug="roller")
    return found


def _own_project_help(role: Role) -> dict[str, str] | None:
    """An owner refused on one of their own projects (editing all of it, archiving it) is
    pointed at the status form on that project's page: what they may do there instead."""
    project_id = (request.view_args or {}).get("project_id")
    if role != Role.owner or not isinstance(project_id, int) or request.blueprint != "projects":
        return None
    from portfolio.db import get_session
    from portfolio.permissions import Permission
    from portfolio.projects.models import Project

    try:
        project = get_session().get(Project, project_id)
    except SQLAlchemyError:  # a refusal page never fails for want of the extra hint
        return None
    if project is None or not current_user.can(Permission.update_status, project):
        return None
    return {
        "text": _(
            "Som procesejer kan du opdatere status, fase og statuskommentar på dette projekt."
        ),
        "link": _("Opdatér status på “%(name)s” her", name=project.name),
        "url": url_for("projects.detail", project_id=project.id, _anchor="status-heading"),
    }


def _page(code: int, detail: str | None = None) -> tuple[str, int]:
    title, text = TEXTS.get(code, TEXTS[500])
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=str(title),
            text=detail or str(text),
            role_help=_role_help() if code == 403 else None,
        ),
        code,
    )


def _token_field() -> str:
    return str(current_app.config.get("WTF_CSRF_FIELD_NAME") or "csrf_token")


def _submitted_token() -> str | None:
    """The token as Flask-WTF found it: a form field (prefixed or not), else a header."""
    name = _token_field()
    for key, value in request.form.items(multi=True):
        if (key == name or key.endswith(name)) and value:
            return value
    for header in current_app.config.get("WTF_CSRF_HEADERS", ["X-CSRFToken", "X-CSRF-Token"]):
        if request.headers.get(header):
            return request.headers[header]
    return None


def _genuine_expired_token() -> bool:
    """Flask-WTF reports expiry before it compares the token with the session's, so an
    attacker's own old token would read as "expired" too. Genuine means: signed by us, for
    this very session, sent from this site; only then may the form be offered again."""
    token = _submitted_token()
    expected = session.get(_token_field())
    if not token or not isinstance(expected, str):
        return False
    secret: str | bytes = (
        current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key or ""
    )
    serializer = URLSafeTimedSerializer(secret, salt="wtf-csrf-token")  # Flask-WTF's salt
    try:
        raw = serializer.loads(token)  # the signature only: its age is what failed
    except BadData:
        return False
    if not isinstance(raw, str) or not hmac.compare_digest(raw, expected):
        return False
    if request.is_secure and current_app.config.get("WTF_CSRF_SSL_STRICT", True):
        return bool(request.referrer) and same_origin(request.referrer, f"https://{request.host}/")
    return True


def _expired_form_page() -> tuple[str, int]:
    """The form again, as the user filled it in, with a fresh token: one click sends it.

    Files cannot be sent again, and passwords are never written into a page."""
    token_field = _token_field()
    token_names: list[str] = []
    fields: list[tuple[str, str]] = []
    for name, value in request.form.items(multi=True):
        if name == token_field or name.endswith(token_field):
            if name not in token_names:
                token_names.append(name)
        elif "password" not in name.lower():
            fields.append((name, value))
    shown = [
        (str(FIELD_LABELS.get(name, name)), value)
        for name, value in fields
        if value.strip() and name not in NOT_SHOWN
    ]
    has_files = any(file.filename for file in request.files.values())
    return (
        render_template(
            "errors/form_expired.html",
            action=request.full_path.rstrip("?"),
            token_names=token_names or [token_field],
            fields=fields,
            shown=shown,
            has_files=has_files,
            back=referring_page() or url_for("main.index"),
        ),
        400,
    )


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[str, int]:
        if exc.description == CSRF_EXPIRED and _genuine_expired_token():
            return _expired_form_page()
        return _page(
            400,
            _(
                "Formularen er udløbet eller blev sendt fra en anden side. "
                "Gå tilbage, genindlæs siden, og prøv igen. Intet er gemt."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        # Only a description our own code gave (abort(400, description=…)), never werkzeug's
        # English default.
        given = vars(exc).get("description")
        return _page(exc.code or 500, str(given) if given else None)

    @app.errorhandler(IntegrityError)
    @app.errorhandler(StaleDataError)
    def database_conflict(exc: Exception) -> tuple[str, int]:
        # A rule the database enforces (a unique case number, a row's version) stopped a write
        # that raced another one; the services catch the common cases with their own message.
        # The request's unit of work has been rolled back already (portfolio.db).
        current_app.logger.warning("conflict on %s %r: %s", request.method, request.path, exc)
        return _page(409)

    @app.errorhandler(InternalServerError)
    def server_error(_exc: InternalServerError) -> tuple[str, int]:
        return _page(500)
