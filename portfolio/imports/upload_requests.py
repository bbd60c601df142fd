"""The request side of uploaded workbooks, shared by the portfolio import and the rollout sheet:
the uploader's own store, their uploads only, and the file the form sent."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from portfolio.imports.uploads import Upload, UploadStore

ALLOWED_SUFFIXES = (".xlsx", ".xlsm")


class UploadRefused(Exception):
    """The form sent no file, or not a workbook; the message says so in Danish."""


def upload_store(folder: str) -> UploadStore:
    """The uploads waiting in `folder` of the instance folder (one folder per feature, so one
    feature's tokens and pruning never meet another's)."""
    return UploadStore(
        Path(current_app.instance_path) / folder,
        max_age_seconds=float(current_app.config["UPLOAD_MAX_AGE_SECONDS"]),
        max_pending=int(current_app.config["UPLOAD_MAX_PENDING"]),
    )


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
