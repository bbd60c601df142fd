"""The rollout sheet in the browser: download it, upload an edited one, preview, apply."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from importers.results import WorkbookError
from portfolio.auth import current_actor
from portfolio.db import after_commit, discard, get_session
from portfolio.domain import ROLLOUT_SYMBOLS
from portfolio.forms import CsrfForm
from portfolio.imports.services import sha256_of
from portfolio.imports.upload_requests import (
    UploadRefused,
    own_upload,
    sent_workbook,
    upload_store,
    uploader_id,
)
from portfolio.imports.uploads import Upload, UploadStore

if TYPE_CHECKING:  # the reader loads openpyxl: imported when a sheet is read, not at start
    from importers.rollout_sheet import RolloutReadResult
    from portfolio.rollout.sheet_import import RolloutPreview


def _store() -> UploadStore:
    """The rollout sheets' uploads: a folder of their own."""
    return upload_store("rollout-uploads")


bp = Blueprint("rollout_sheet", __name__, url_prefix="/udrulning/ark")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _limit_mb() -> int:
    return int(current_app.config["MAX_CONTENT_LENGTH"]) // (1024 * 1024)


@bp.get("/eksport")
def export() -> Response:
    from portfolio.rollout.sheet import export_rollout_sheet  # openpyxl: loaded when used

    buffer = BytesIO()
    export_rollout_sheet(get_session(), buffer)
    buffer.seek(0)
    return send_file(
        buffer,
        mimetype=XLSX,
        as_attachment=True,
        download_name=f"udrulning-{date.today():%Y-%m-%d}.xlsx",
    )


@bp.get("/")
def index() -> str:
    return render_template("rollout/sheet_upload.html", form=CsrfForm(), limit_mb=_limit_mb())


def _upload_error(message: str) -> tuple[str, int]:
    return (
        render_template(
            "rollout/sheet_upload.html", form=CsrfForm(), error=message, limit_mb=_limit_mb()
        ),
        422,
    )


def _read(data: bytes, *, filename: str) -> RolloutReadResult:
    """The workbook as the reader sees it; WorkbookError (in Danish) when it cannot be used."""
    from importers.rollout_sheet import read_rollout_sheet  # openpyxl: loaded when used

    try:
        return read_rollout_sheet(data)
    except WorkbookError:
        raise
    except Exception as exc:  # a hostile file must never reach the user as a traceback
        current_app.logger.exception("unexpected error reading %r", filename)
        raise WorkbookError(
            _("Filen kunne ikke læses som et regneark. Intet er importeret.")
        ) from exc


@bp.post("/")
def upload() -> str | Response | tuple[str, int]:
    if not CsrfForm().validate_on_submit():
        abort(400)
    try:
        name, data = sent_workbook()
    except UploadRefused as exc:
        return _upload_error(str(exc))
    try:
        _read(data, filename=name)  # a file that cannot be used is refused now, never kept
    except WorkbookError as exc:
        return _upload_error(str(exc))
    upload = _store().save(data, name, sha256_of(data), user_id=uploader_id())
    return redirect(url_for("rollout_sheet.preview", token=upload.token))


def _preview(upload: Upload, data: bytes) -> RolloutPreview:
    from portfolio.rollout import sheet_import as svc

    return svc.preview_rollout_import(get_session(), _read(data, filename=upload.filename))


@bp.get("/<token>")
def preview(token: str) -> str | tuple[str, int]:
    from portfolio.rollout import sheet_import as svc

    upload, data = own_upload(_store(), token)
    try:
        preview = _preview(upload, data)
    except WorkbookError as exc:
        _store().delete(token)
        return _upload_error(str(exc))
    return render_template(
        "rollout/sheet_preview.html",
        upload=upload,
        preview=preview,
        form=CsrfForm(),
        field_label=svc.field_label,
        symbols=ROLLOUT_SYMBOLS,
    )


@bp.post("/<token>/anvend")
def apply(token: str) -> Response | tuple[str, int]:
    from portfolio.rollout import sheet_import as svc

    upload, data = own_upload(_store(), token)
    if not CsrfForm().validate_on_submit():
        abort(400)
    session = get_session()
    try:
        preview = _preview(upload, data)
    except WorkbookError as exc:
        _store().delete(token)
        return _upload_error(str(exc))
    try:
        count = svc.apply_rollout_import(
            session=session,
            preview=preview,
            expected_fingerprint=request.form.get("fingerprint", ""),
            actor=current_actor(),
        )
    except svc.RolloutImportRefused as exc:
        discard()
        flash(str(exc), "error")
        if exc.retry:  # the grid moved meanwhile: the same file, previewed afresh
            return redirect(url_for("rollout_sheet.preview", token=token))
        _store().delete(token)
        return redirect(url_for("rollout_sheet.index"))
    after_commit(lambda: _store().delete(token))  # a failed commit keeps the upload
    flash(_n_cells(count), "success")
    return redirect(_after_apply())


def _n_cells(count: int) -> str:
    from flask_babel import ngettext

    if count == 0:
        return _("Arket er importeret. Intet var ændret.")
    return ngettext(
        "Arket er importeret: %(num)d celle er ændret.",
        "Arket er importeret: %(num)d celler er ændret.",
        count,
    )


def _after_apply() -> Any:
    """The grid, once its page exists; until then the upload page."""
    if "rollout.index" in current_app.view_functions:
        return url_for("rollout.index")
    return url_for("rollout_sheet.index")
