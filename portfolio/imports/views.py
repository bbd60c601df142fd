"""Importing the SharePoint sheet from the browser: upload, map columns, preview, apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from importers.results import ReadResult, WorkbookError
from portfolio.auth import current_actor
from portfolio.db import after_commit, discard, get_session
from portfolio.domain import FIELD_LABELS, ChangeSource
from portfolio.forms import CsrfForm
from portfolio.imports import services as svc
from portfolio.imports.models import ImportRun
from portfolio.imports.uploads import Upload, UploadStore
from portfolio.projects.services import CANONICAL_ORDER

bp = Blueprint("imports", __name__, url_prefix="/import")

ALLOWED_SUFFIXES = (".xlsx", ".xlsm")


def _store() -> UploadStore:
    return UploadStore(
        Path(current_app.instance_path) / "uploads",
        max_age_seconds=float(current_app.config["UPLOAD_MAX_AGE_SECONDS"]),
        max_pending=int(current_app.config["UPLOAD_MAX_PENDING"]),
    )


def _uploader() -> int:
    if not current_user.is_authenticated:  # the guard lets only logged-in users this far
        abort(403)
    return int(current_user.id)


def _load(token: str) -> tuple[Upload, bytes]:
    """The current user's own upload; anyone else's is a 404, as if it did not exist."""
    try:
        return _store().load(token, user_id=_uploader())
    except KeyError:
        abort(404)


@bp.get("/")
def index() -> str:
    return render_template(
        "imports/index.html",
        form=CsrfForm(),
        runs=svc.recent_imports(get_session()),
        limit_mb=int(current_app.config["MAX_CONTENT_LENGTH"]) // (1024 * 1024),
    )


@bp.post("/")
def upload() -> str | Response | tuple[str, int]:
    form = CsrfForm()
    if not form.validate_on_submit():
        abort(400)
    file = request.files.get("file")
    if file is None or not file.filename:
        return _upload_error(_("Vælg en fil at importere."))
    name = Path(file.filename).name
    if not name.lower().endswith(ALLOWED_SUFFIXES):
        return _upload_error(
            _(
                "“%(name)s” er ikke en Excel-projektmappe (.xlsx). Åbn filen i Excel, og gem "
                "den som Excel-projektmappe, før du importerer den.",
                name=name,
            )
        )
    data = file.read()
    # Read before storing: a file that cannot be used is refused now and never kept.
    try:
        _read(data, filename=name)
    except WorkbookError as exc:
        return _upload_error(str(exc))
    upload = _store().save(data, name, svc.sha256_of(data), user_id=_uploader())
    return redirect(url_for("imports.preview", token=upload.token))


def _upload_error(message: str) -> tuple[str, int]:
    return (
        render_template(
            "imports/index.html",
            form=CsrfForm(),
            runs=svc.recent_imports(get_session()),
            error=message,
            limit_mb=int(current_app.config["MAX_CONTENT_LENGTH"]) // (1024 * 1024),
        ),
        422,
    )


def _read(
    data: bytes,
    *,
    filename: str,
    sheet: str | None = None,
    mapping: dict[str, str] | None = None,
) -> ReadResult:
    """The workbook as the importer reads it; WorkbookError (in Danish) when it cannot be used."""
    from importers.workbook import read_workbook  # openpyxl: loaded by the first upload

    try:
        return read_workbook(data, sheet=sheet, mapping=mapping)
    except WorkbookError:
        raise
    except Exception as exc:  # a hostile file must never reach the user as a traceback
        current_app.logger.exception("unexpected error reading %r", filename)
        raise WorkbookError(
            _("Filen kunne ikke læses som et regneark. Intet er importeret.")
        ) from exc


def _preview(upload: Upload, data: bytes) -> Any:
    result = _read(data, filename=upload.filename, sheet=upload.sheet, mapping=upload.mapping)
    preview = svc.preview_import(get_session(), result, blanks_clear=upload.blanks_clear)
    return result, preview


@bp.get("/<token>")
def preview(token: str) -> str | tuple[str, int]:
    upload, data = _load(token)
    try:
        result, preview = _preview(upload, data)
    except WorkbookError as exc:
        if not upload.sheet and not upload.mapping:
            _store().delete(token)  # unusable as uploaded: nothing to come back to
        return _upload_error(str(exc))
    return render_template(
        "imports/preview.html",
        upload=upload,
        result=result,
        preview=preview,
        form=CsrfForm(),
        field_labels=FIELD_LABELS,
        field_choices=[(f, FIELD_LABELS[f]) for f in CANONICAL_ORDER],
    )


@bp.post("/<token>/indstillinger")
def options(token: str) -> Response:
    """The mapping step: sheet choice, hand-placed columns and whether blanks clear values."""
    upload, _data = _load(token)
    if not CsrfForm().validate_on_submit():
        abort(400)
    allowed = set(CANONICAL_ORDER) | {"ignore"}
    mapping = dict(upload.mapping)
    for key, value in request.form.items(multi=True):
        if key.startswith("map:"):
            header = key[4:]
            if value in allowed:
                mapping[header] = value
            elif value == "":
                mapping.pop(header, None)
    upload.mapping = mapping
    sheet = request.form.get("sheet") or None
    upload.sheet = sheet
    upload.blanks_clear = request.form.get("blanks_clear") == "1"
    try:
        _store().update(upload)
    except KeyError:
        abort(404)  # applied or removed in another tab meanwhile
    return redirect(url_for("imports.preview", token=token))


@bp.post("/<token>/anvend")
def apply(token: str) -> str | Response | tuple[str, int]:
    upload, data = _load(token)
    if not CsrfForm().validate_on_submit():
        abort(400)
    session = get_session()
    svc.lock_for_import(session)  # the preview below is what gets written
    try:
        _result, preview = _preview(upload, data)
    except WorkbookError as exc:
        _store().delete(token)  # refused: the file is of no further use
        return _upload_error(str(exc))
    if preview.fingerprint() != request.form.get("fingerprint"):
        discard()
        flash(
            _(
                "Porteføljen er ændret, siden forhåndsvisningen blev lavet. Se den nye "
                "forhåndsvisning igennem, og godkend igen. Intet er importeret."
            ),
            "error",
        )
        return redirect(url_for("imports.preview", token=token))
    try:
        run = svc.apply_import(
            session=session,
            preview=preview,
            actor=current_actor(),
            source=ChangeSource.import_,
            filename=upload.filename,
            sha256=upload.sha256,
            archive_missing=request.form.get("archive_missing") == "1",
        )
    except svc.ImportRefused as exc:
        discard()
        flash(str(exc), "error")
        if exc.retry:  # the portfolio moved meanwhile: the same file, previewed afresh
            return redirect(url_for("imports.preview", token=token))
        _store().delete(token)  # refused: a corrected file has to be uploaded anyway
        return redirect(url_for("imports.index"))
    after_commit(lambda: _store().delete(token))  # a failed commit keeps the upload
    flash(_("Importen er gennemført."), "success")
    return redirect(url_for("imports.run", run_id=run.id))


@bp.get("/koersel/<int:run_id>")
def run(run_id: int) -> str:
    run = get_session().get(ImportRun, run_id)
    if run is None:
        abort(404)
    return render_template("imports/run.html", run=run)
