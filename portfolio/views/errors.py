"""Error pages in Danish, without tracebacks."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

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
    413: (
        _l("Filen er for stor"),
        _l("Filen er større end den tilladte grænse. Del den op, eller fjern indhold."),
    ),
    500: (
        _l("Der skete en fejl"),
        _l("Der skete en uventet fejl. Prøv igen, eller kontakt IT-afdelingen."),
    ),
}


def _page(code: int, detail: str | None = None) -> tuple[str, int]:
    title, text = TEXTS.get(code, TEXTS[500])
    return (
        render_template("errors/error.html", code=code, title=str(title), text=detail or str(text)),
        code,
    )


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_exc: CSRFError) -> tuple[str, int]:
        return _page(
            400,
            _(
                "Formularen er udløbet eller blev sendt fra en anden side. "
                "Gå tilbage, genindlæs siden, og prøv igen. Intet er gemt."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        return _page(exc.code or 500)

    @app.errorhandler(InternalServerError)
    def server_error(_exc: InternalServerError) -> tuple[str, int]:
        return _page(500)
