"""The request side of uploaded workbooks, shared by the portfolio import and the rollout sheet:
the uploader's own store (in the database), their uploads only, and the file the form sent."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import abort, after_this_request, current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portfolio.db import close_session, get_engine, get_session, writing
from portfolio.imports.uploads import Upload, UploadStore, delete_upload

ALLOWED_SUFFIXES = (".xlsx", ".xlsm")


class UploadRefused(Exception):
    """The form sent no file, or not a workbook; the message says so in Danish."""


def upload_store(kind: str) -> UploadStore:
    """The uploads of `kind` waiting in the database (one kind per feature, so one feature's
    tokens and pruning never meet another's), through the request's unit of work: a new upload
    or new choices are kept when the request commits."""
    return UploadStore(
        get_session(),
        kind,
        max_age_seconds=float(current_app.config["UPLOAD_MAX_AGE_SECONDS"]),
        max_pending=int(current_app.config["UPLOAD_MAX_PENDING"]),
        remove=lambda token: _remove_when_answered(kind, token),
    )


def _remove_when_answered(kind: str, token: str) -> None:
    """Deletes an upload for good, whether or not the request commits (a refused apply rolls
    back, yet its upload must go), in a transaction of its own once the request's is over:
    on SQLite a second writer while the request holds the write lock would wait for itself."""
    engine = get_engine()

    @after_this_request
    def remove(response: Response) -> Response:
        if get_session().in_transaction():
            close_session()  # anything still open here is never committed anyway
        try:
            with writing(engine).begin() as connection:
                delete_upload(connection, kind, token)
        except sa.exc.SQLAlchemyError:  # the answer stands; the upload expires in time anyway
            current_app.logger.warning("upload %s… not removed", token[:6], exc_info=True)
        return response


def uploader_id() -> int:
    if not current_user.is_authenticated:  # the guard lets only logged-in users this far
        abort(403)
    return int(current_user.id)


def own_upload(store: UploadStore, token: str) -> tuple[Upload, bytes]:
    """The current user's own upload; anyone else's is a 404, as if it did not exist."""
    try:
        return store.load(token, user_id=uploader_id())
    except KeyError:
        abort(404)


def sent_workbook() -> tuple[str, bytes]:
    """The file name and bytes of the workbook the form sent; UploadRefused if there is none
    or it is not named as an Excel workbook."""
    file = request.files.get("file")
    if file is None or not file.filename:
        raise UploadRefused(_("Vælg en fil at importere."))
    name = Path(file.filename).name
    if not name.lower().endswith(ALLOWED_SUFFIXES):
        raise UploadRefused(
            _(
                "“%(name)s” er ikke en Excel-projektmappe (.xlsx). Åbn filen i Excel, og gem "
                "den som Excel-projektmappe, før du importerer den.",
                name=name,
            )
        )
    return name, file.read()
