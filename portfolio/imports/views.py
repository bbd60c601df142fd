"""Importing the SharePoint sheet from the browser: upload, map columns, preview, apply."""

from __future__ import annotations

import re
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
from werkzeug.wrappers import Response

from importers.results import ReadResult, WorkbookError
from portfolio.auth import current_actor
from portfolio.db import after_commit, discard, get_session
from portfolio.domain import FIELD_LABELS, ChangeSource
from portfolio.forms import CsrfForm, confirm_page, is_confirmed
from portfolio.imports import services as svc
from portfolio.imports.choices import (
    BLANKABLE,
    DEFAULTABLE,
    ChoiceError,
    ImportChoices,
    enum_choice,
    header_signature,
    parse_rate,
)
from portfolio.imports.models import ImportProfile, ImportRun
from portfolio.imports.upload_requests import (
    UploadRefused,
    own_upload,
    sent_workbook,
    upload_store,
    uploader_id,
)
from portfolio.imports.uploads import Upload, UploadStore
from portfolio.projects.services import CANONICAL_ORDER

# Defaults offered in the mapping step: the enum fields a foreign sheet lacks.
DEFAULT_FIELDS = ("scope", "kind", "phase")
RATE_RE = re.compile(r"[A-Za-z]{3}\s*=\s*\d+(?:[.,]\d+)?")


def _store() -> UploadStore:
    """The portfolio import's uploads."""
    return upload_store("uploads")


bp = Blueprint("imports", __name__, url_prefix="/import")


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
    try:
        name, data = sent_workbook()
    except UploadRefused as exc:
        return _upload_error(str(exc))
    # Read before storing: a file that cannot be used is refused now and never kept.
    try:
        result = _read(data, filename=name)
    except WorkbookError as exc:
        return _upload_error(str(exc))
    store = _store()
    upload = store.save(data, name, svc.sha256_of(data), user_id=uploader_id())
    # The same layout as a saved profile: its choices are used at once (the user can undo).
    profile = svc.profile_for_signature(get_session(), header_signature(result))
    if profile is not None:
        _set_choices(upload, ImportChoices.from_json(profile.choices))
        upload.profile = profile.name
        store.update(upload)
    return redirect(url_for("imports.preview", token=upload.token))


def _choices(upload: Upload) -> ImportChoices:
    return ImportChoices(
        mapping=dict(upload.mapping),
        defaults=dict(upload.defaults),
        values={f: dict(v) for f, v in upload.values.items()},
        rates=dict(upload.rates),
        blank_unparsable=list(upload.blank_unparsable),
    )


def _set_choices(upload: Upload, choices: ImportChoices) -> None:
    upload.mapping = dict(choices.mapping)
    upload.defaults = dict(choices.defaults)
    upload.values = {f: dict(v) for f, v in choices.values.items()}
    upload.rates = dict(choices.rates)
    upload.blank_unparsable = list(choices.blank_unparsable)


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
    choices: ImportChoices | None = None,
) -> ReadResult:
    """The workbook as the importer reads it; WorkbookError (in Danish) when it cannot be used."""
    try:
        return svc.read_sheet(data, sheet=sheet, choices=choices)
    except WorkbookError:
        raise
    except Exception as exc:  # a hostile file must never reach the user as a traceback
        current_app.logger.exception("unexpected error reading %r", filename)
        raise WorkbookError(
            _("Filen kunne ikke læses som et regneark. Intet er importeret.")
        ) from exc


def _preview(upload: Upload, data: bytes) -> Any:
    choices = _choices(upload)
    result = _read(data, filename=upload.filename, sheet=upload.sheet, choices=choices)
    preview = svc.preview_import(
        get_session(), result, blanks_clear=upload.blanks_clear, defaults=choices.defaults
    )
    return result, preview


def _enum_options(field: str) -> list[tuple[str, str]]:
    from importers.values import VALUE_LABELS

    return [(value, str(text)) for value, text in VALUE_LABELS[field].items()]


def _unknown_rows(result: ReadResult) -> list[dict[str, Any]]:
    """Every unknown value once: its field, text, count and the suggested canonical value."""
    from importers.values import suggest_value

    return [
        {"field": field, "raw": raw, "count": count, "suggestion": suggest_value(field, raw)}
        for field, found in result.unknown_values.items()
        for raw, count in found.items()
    ]


def _render_values(upload: Upload, result: ReadResult) -> str:
    rows = _unknown_rows(result)
    return render_template(
        "imports/values.html",
        upload=upload,
        result=result,
        rows=rows,
        options={row["field"]: _enum_options(row["field"]) for row in rows},
        form=CsrfForm(),
        field_labels=FIELD_LABELS,
    )


@bp.get("/<token>")
def preview(token: str) -> str | tuple[str, int]:
    upload, data = own_upload(_store(), token)
    try:
        result, preview = _preview(upload, data)
    except WorkbookError as exc:
        if not upload.sheet and _choices(upload).is_empty():
            _store().delete(token)  # unusable as uploaded: nothing to come back to
        return _upload_error(str(exc))
    # The value step sits between the mapping and the changes: on this page, above them.
    rows = _unknown_rows(result)
    return render_template(
        "imports/preview.html",
        upload=upload,
        result=result,
        preview=preview,
        form=CsrfForm(),
        field_labels=FIELD_LABELS,
        field_choices=[(f, FIELD_LABELS[f]) for f in CANONICAL_ORDER],
        default_fields=[(f, FIELD_LABELS[f], _enum_options(f)) for f in DEFAULT_FIELDS],
        blankable=[f for f in BLANKABLE if f in preview.columns],
        rates_text=", ".join(f"{code}={rate}" for code, rate in upload.rates.items()),
        rows=rows,
        options={row["field"]: _enum_options(row["field"]) for row in rows},
    )


@bp.get("/<token>/vaerdier")
def values(token: str) -> str | tuple[str, int]:
    """The value-mapping step on its own, to come back to from the preview."""
    upload, data = own_upload(_store(), token)
    try:
        result, _unused = _preview(upload, data)
    except WorkbookError as exc:
        return _upload_error(str(exc))
    return _render_values(upload, result)


@bp.post("/<token>/vaerdier")
def save_values(token: str) -> Response:
    """Each unknown value mapped to a canonical value, to blank, or left as a problem."""
    upload, _data = own_upload(_store(), token)
    if not CsrfForm().validate_on_submit():
        abort(400)
    values = {f: dict(v) for f, v in upload.values.items()}
    for key in request.form:
        if not key.startswith("value-") or key.count("-") != 1:
            continue
        field = request.form.get(f"{key}-field", "")
        raw = request.form.get(f"{key}-raw", "")
        choice = request.form.get(key, "")
        if not raw or field not in ("scope", "kind", "phase", "status"):
            continue
        if choice == "-":  # not chosen: stays a problem in the preview
            values.get(field, {}).pop(raw, None)
        elif choice == "" or enum_choice(field, choice) == choice:
            values.setdefault(field, {})[raw] = choice
    upload.values = {f: v for f, v in values.items() if v}
    try:
        _store().update(upload)
    except KeyError:
        abort(404)
    return redirect(url_for("imports.preview", token=token))


@bp.post("/<token>/uden-profil")
def undo_profile(token: str) -> Response:
    """Drops the profile's choices applied on upload: the sheet as read without them."""
    upload, _data = own_upload(_store(), token)
    if not CsrfForm().validate_on_submit():
        abort(400)
    _set_choices(upload, ImportChoices())
    upload.profile = None
    try:
        _store().update(upload)
    except KeyError:
        abort(404)
    flash(_("Profilens valg er fjernet. Vælg selv nedenfor."), "success")
    return redirect(url_for("imports.preview", token=token))


@bp.post("/<token>/indstillinger")
def options(token: str) -> Response:
    """The mapping step: sheet choice, hand-placed columns and whether blanks clear values."""
    upload, _data = own_upload(_store(), token)
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
    defaults = {}
    for name in DEFAULTABLE:
        value = request.form.get(f"default:{name}", "").strip()
        if not value:
            continue
        canonical = enum_choice(name, value) if name in DEFAULT_FIELDS else value[:200]
        if canonical is not None:
            defaults[name] = canonical
    if any(key.startswith("default:") for key in request.form):
        upload.defaults = defaults
    if "blanks_shown" in request.form:
        upload.blank_unparsable = [
            name for name in BLANKABLE if request.form.get(f"blank:{name}") == "1"
        ]
    rates = {}
    text = request.form.get("rates", "")
    # "GBP=8,65, USD=6,90": a decimal comma inside a rate, a comma (or ;) between them.
    items = RATE_RE.findall(text)
    leftover = RATE_RE.sub("", text).strip(" ,;\n\r\t")
    try:
        if leftover:
            parse_rate(leftover)  # raises: say what is wrong with it
        for item in items:
            code, rate = parse_rate(item)
            rates[code] = rate
    except ChoiceError as exc:
        flash(str(exc), "error")
        return redirect(url_for("imports.preview", token=token))
    if "rates" in request.form:
        upload.rates = rates
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
    upload, data = own_upload(_store(), token)
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
            choices=_choices(upload),
            profile=upload.profile,
        )
        _remember(upload, _result)
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


def _remember(upload: Upload, result: ReadResult) -> None:
    """Saves the choices as the layout's profile, when the user made any and asked to."""
    choices = _choices(upload)
    if choices.is_empty() or request.form.get("save_profile") != "1":
        return
    session = get_session()
    signature = header_signature(result)
    wanted = (request.form.get("profile_name") or "").strip() or Path(upload.filename).stem
    existing = svc.profile_by_name(session, wanted)
    if existing is not None and existing.signature != signature:
        wanted = svc.free_profile_name(session, wanted)
    try:
        svc.save_profile(
            session=session,
            name=wanted,
            signature=signature,
            result=result,
            choices=choices,
            actor=current_actor(),
        )
    except svc.ProfileError as exc:
        raise svc.ImportRefused(str(exc), retry=True) from exc


@bp.get("/profiler")
def profiles() -> str:
    return render_template(
        "imports/profiles.html",
        profiles=[
            (p, ImportChoices.from_json(p.choices)) for p in svc.list_profiles(get_session())
        ],
        form=CsrfForm(),
        field_labels=FIELD_LABELS,
    )


@bp.route("/profiler/<int:profile_id>/slet", methods=["GET", "POST"])
def delete_profile(profile_id: int) -> str | Response:
    """GET asks on a page of its own; only a POST from that page deletes the profile."""
    session = get_session()
    profile = session.get(ImportProfile, profile_id)
    if profile is None:
        abort(404)
    form = CsrfForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if not is_confirmed():  # an old one-click button: ask first, change nothing
            return redirect(url_for("imports.delete_profile", profile_id=profile_id))
        svc.delete_profile(session=session, profile_id=profile_id)
        flash(_("Importprofilen er slettet."), "success")
        return redirect(url_for("imports.profiles"))
    return confirm_page(
        title=_("Slet importprofilen “%(name)s”", name=profile.name),
        explanation=[
            _(
                "Profilen husker valgene for ark med de samme overskrifter. Når den er slettet, "
                "skal kolonner og værdier vælges igen, næste gang sådan et ark uploades."
            ),
            _("Projekterne og de tidligere importer ændres ikke."),
        ],
        question=_("Vil du slette profilen?"),
        action=url_for("imports.delete_profile", profile_id=profile_id),
        form=form,
        confirm_label=_("Ja, slet profilen"),
        cancel=url_for("imports.profiles"),
        back_label=_("Importprofiler"),
    )


@bp.get("/koersel/<int:run_id>")
def run(run_id: int) -> str:
    run = get_session().get(ImportRun, run_id)
    if run is None:
        abort(404)
    return render_template(
        "imports/run.html",
        run=run,
        choices=ImportChoices.from_json(run.choices),
        field_labels=FIELD_LABELS,
    )
