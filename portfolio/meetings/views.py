"""Chefforum's meetings: prepare the pack, edit its text, publish it, note decisions, export it."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date
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
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlmodel import Session
from werkzeug.wrappers import Response

from portfolio import static_assets
from portfolio.auth import current_actor, require
from portfolio.db import after_commit, discard, get_session, refused_with
from portfolio.forms import CsrfForm, confirm_page, is_confirmed
from portfolio.i18n import chart_text, format_day
from portfolio.mail.services import MailError
from portfolio.meetings import review_round as rr
from portfolio.meetings import services as svc
from portfolio.meetings.charts import pack_charts
from portfolio.meetings.export import FORMATS, export_pack, pack_filename
from portfolio.meetings.forms import (
    DecisionForm,
    FlagForm,
    MeetingForm,
    MeetingTextForm,
    PublishForm,
    ReviewRoundForm,
)
from portfolio.meetings.models import Meeting
from portfolio.meetings.pack import PackMode
from portfolio.permissions import Permission
from portfolio.projects.services import ProjectFilter, filter_options

bp = Blueprint("meetings", __name__, url_prefix="/moeder")


def _meeting_or_404(session: Session, day: str) -> Meeting:
    try:
        meeting_date = date.fromisoformat(day)
    except ValueError:
        abort(404)
    meeting = svc.meeting_by_date(session, meeting_date)
    if meeting is None:
        abort(404)
    # A draft is the IT department's work in progress: only those who prepare packs see it.
    if meeting.published_at is None:
        require(Permission.manage_meetings)
    return meeting


def _day(meeting: Meeting) -> str:
    return meeting.meeting_date.isoformat()


def _with_query(url: str) -> str:
    """The URL with this request's query (the pack's filter) carried along."""
    query = request.query_string.decode("utf-8", "replace")
    return f"{url}?{query}" if query else url


@bp.get("/")
def index() -> str:
    session = get_session()
    can_manage = current_user.can(Permission.manage_meetings)
    meetings = svc.list_meetings(session, include_drafts=can_manage)
    return render_template("meetings/index.html", meetings=meetings, form=MeetingForm())


@bp.post("/")
def create() -> str | Response | tuple[str, int]:
    session = get_session()
    form = MeetingForm()
    if form.validate_on_submit():
        try:
            meeting = svc.create_meeting(
                session=session,
                meeting_date=form.meeting_date.data,
                mode=PackMode(form.mode.data),
                title=form.title.data,
                actor=current_actor(),
                include_rollout=bool(form.include_rollout.data),
                include_finance=bool(form.include_finance.data),
                include_pool_orientation=bool(form.include_pool_orientation.data),
            )
        except svc.MeetingError as exc:
            discard()
            form.meeting_date.errors = [*form.meeting_date.errors, str(exc)]
        else:
            flash(
                _("Mødet er oprettet. Pakken er en kladde, indtil den offentliggøres."), "success"
            )
            return redirect(url_for("meetings.detail", day=_day(meeting)))
    meetings = svc.list_meetings(session, include_drafts=True)
    return render_template("meetings/index.html", meetings=meetings, form=form), 400


def _text_form(meeting: Meeting, suggested: dict[str, str]) -> MeetingTextForm:
    """The edit form as stored; an empty part shows the suggestion it stands for."""
    data: dict[str, Any] = {
        "title": meeting.title,
        "mode": PackMode(meeting.mode).value,
        "beslutning": meeting.beslutning,
        "include_rollout": meeting.include_rollout,
        "rollout_beslutning": meeting.rollout_beslutning,
        "include_finance": meeting.include_finance,
        "include_pool_orientation": meeting.include_pool_orientation,
        "pool_beslutning": meeting.pool_beslutning,
        "version": meeting.version,
    }
    for name in svc.TEXT_FIELDS:
        data[name] = getattr(meeting, name) or suggested.get(name, "")
    return MeetingTextForm(formdata=None, data=data)


def _render_detail(
    session: Session,
    meeting: Meeting,
    *,
    text_form: MeetingTextForm | None = None,
    publish_form: PublishForm | None = None,
    review_form: ReviewRoundForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    from portfolio.meetings.pack_html import PACK_LANGUAGE, pack_context

    flt = ProjectFilter.from_args(request.args)
    can_manage = current_user.can(Permission.manage_meetings)
    # The pack is the Danish document of record, as its files are, in every language the app
    # is read in: built, charted and written in Danish (templates/meetings/_pack.html).
    with force_locale(PACK_LANGUAGE):
        pack = svc.build_pack(session, meeting, flt)
        pack_view = pack_context(pack, pack_charts(pack, chart_text()), controls=can_manage)
    if text_form is None and can_manage:
        suggested = {}
        if meeting.published_at is None:
            # The suggestion is written from the whole portfolio: reuse the pack when it is.
            whole = None if flt.active() else pack
            suggested = svc.suggested_meeting_texts(session, meeting, unfiltered=whole)
        text_form = _text_form(meeting, suggested)
    exports = [
        (fmt, _with_query(url_for("meetings.export", day=_day(meeting), fmt=fmt)))
        for fmt in FORMATS
    ]
    return (
        render_template(
            "meetings/detail.html",
            meeting=meeting,
            **pack_view,
            text_form=text_form,
            publish_form=publish_form
            or PublishForm(formdata=None, data={"version": meeting.version}),
            exports=exports,
            flt=flt,
            filter_args={"day": _day(meeting)},
            **filter_options(session),
            plotly_map_style_id=static_assets.PLOTLY_MAP_STYLE_ID,
            back=request.full_path.rstrip("?"),
            **(_review_context(session, meeting, review_form) if can_manage else {}),
        ),
        status,
    )


def _review_context(
    session: Session, meeting: Meeting, form: ReviewRoundForm | None
) -> dict[str, Any]:
    """The review round's panel: its progress once started, else the form that starts it."""
    round_ = rr.round_for(session, meeting)
    if form is None and round_ is None:
        today = rr.municipal_today()
        form = ReviewRoundForm(
            formdata=None, data={"deadline": rr.default_deadline(meeting.meeting_date, today)}
        )
    return {
        "review": rr.round_progress(session, round_) if round_ else None,
        "review_form": form,
        "mail_state_text": rr.mail_state_text,
        "mail_on": bool(current_app.config.get("SMTP_HOST")),
    }


@bp.get("/<day>")
def detail(day: str) -> tuple[str, int]:
    session = get_session()
    return _render_detail(session, _meeting_or_404(session, day))


def _back(meeting: Meeting) -> str:
    """Back to the pack as the user was looking at it (its filter), never to another site."""
    target = request.form.get("back", "")
    prefix = url_for("meetings.detail", day=_day(meeting))
    if target == prefix or target.startswith(prefix + "?"):
        return target
    return prefix


def _refused(session: Session, meeting: Meeting) -> AbstractContextManager[None]:
    """The meeting's state does not allow it, or someone changed the pack since the page was
    opened: nothing is saved, and the user is told why. A conflict shows the pack as it is now
    (409), so the user sees what the other person did before trying again."""

    def answer(exc: Exception) -> Response | tuple[str, int]:
        if isinstance(exc, svc.StaleMeetingError):
            flash(STALE_MESSAGE, "error")
            return _render_detail(session, meeting, status=409)
        flash(str(exc), "error")
        return redirect(_back(meeting))

    return refused_with((svc.MeetingError, svc.StaleMeetingError), answer)


STALE_MESSAGE = _l(
    "Pakken er ændret af en anden, siden du åbnede siden, og intet er gemt. Se siden igennem, "
    "og prøv igen."
)


@bp.post("/<day>/tekst")
def edit(day: str) -> Response | tuple[str, int]:
    session = get_session()
    meeting = _meeting_or_404(session, day)
    form = MeetingTextForm()
    if not form.validate_on_submit():
        flash(_("Teksten kunne ikke gemmes: kontroller felterne."), "error")
        return _render_detail(session, meeting, text_form=form, status=400)
    data: dict[str, Any] = {"beslutning": form.beslutning.data or ""}
    if "rollout_beslutning" in request.form:
        data["rollout_beslutning"] = form.rollout_beslutning.data or ""
    if "pool_beslutning" in request.form:
        data["pool_beslutning"] = form.pool_beslutning.data or ""
    if meeting.published_at is None:
        for name in svc.INCLUDE_FIELDS:
            data[name] = bool(getattr(form, name).data)
        data["title"] = form.title.data or ""
        data["mode"] = form.mode.data or meeting.mode
        for name in svc.TEXT_FIELDS:
            data[name] = getattr(form, name).data or ""

    def refused(exc: Exception) -> tuple[str, int]:
        if isinstance(exc, svc.StaleMeetingError):
            session.refresh(meeting)
            form.version.data = str(meeting.version)
            flash(
                _(
                    "Pakken er ændret af en anden, siden du åbnede siden, og intet er gemt. Din "
                    "tekst står stadig i felterne: gem igen for at erstatte den anden tekst med "
                    "din."
                ),
                "error",
            )
        else:
            flash(str(exc), "error")
        return _render_detail(session, meeting, text_form=form, status=409)

    with refused_with((svc.StaleMeetingError, svc.MeetingError), refused):
        changed = svc.update_meeting(
            session=session,
            meeting=meeting,
            data=data,
            actor=current_actor(),
            expected_version=form.expected_version(),
        )
    flash(
        _("Teksten er gemt.") if changed else _("Der var ingen ændringer at gemme."),
        "success" if changed else "info",
    )
    return redirect(_back(meeting))


@bp.post("/<day>/gennemgangsrunde")
def start_review_round(day: str) -> Response | tuple[str, int]:
    """Start the review round; the invitations are sent once the round is saved."""
    session = get_session()
    meeting = _meeting_or_404(session, day)
    form = ReviewRoundForm()
    if not form.validate_on_submit():
        return _render_detail(session, meeting, review_form=form, status=400)

    def refused(exc: Exception) -> tuple[str, int]:
        if rr.round_for(session, meeting) is None:  # said at the field it is about
            form.deadline.errors = [*form.deadline.errors, str(exc)]
        else:  # the form has given way to the round's progress
            flash(str(exc), "error")
        return _render_detail(session, meeting, review_form=form, status=409)

    with refused_with((rr.ReviewRoundError, MailError), refused):
        _round, queued = rr.start_review_round(
            session=session,
            meeting=meeting,
            deadline=form.deadline.data,
            actor=current_actor(),
            today=rr.municipal_today(),
        )
    after_commit(lambda: _send_after_commit(queued))
    if current_app.config.get("SMTP_HOST"):
        flash(
            ngettext(
                "Gennemgangsrunden er startet, og %(num)d chef får en mail med sine projekter.",
                "Gennemgangsrunden er startet, og %(num)d chefer får en mail med deres projekter.",
                len(queued),
            ),
            "success",
        )
    else:
        flash(
            _(
                "Gennemgangsrunden er startet. Mail er ikke sat op (PORTFOLIO_SMTP_HOST): "
                "mailene venter og sendes af portfolio send-reminders, når den er sat."
            ),
            "info",
        )
    return redirect(_back(meeting))


def _send_after_commit(mail_ids: list[int]) -> None:
    """Send the round's invitations now that the round is saved; one that fails is recorded
    as failed and tried again by `portfolio send-reminders`, never an error page."""
    from portfolio.mail.sending import MailSettingsError, deliver_mail

    try:
        report = deliver_mail(only=mail_ids)
    except MailSettingsError as exc:
        flash(str(exc), "error")
        return
    unsent = len(report.failed) + report.deferred
    if unsent:
        flash(
            ngettext(
                "%(num)d mail kunne ikke sendes nu; den prøves igen af portfolio send-reminders.",
                "%(num)d mails kunne ikke sendes nu; de prøves igen af portfolio send-reminders.",
                unsent,
            ),
            "error",
        )


@bp.post("/<day>/projekt/<int:project_id>/til-beslutning")
def flag(day: str, project_id: int) -> Response | tuple[str, int]:
    session = get_session()
    meeting = _meeting_or_404(session, day)
    form = FlagForm()
    if not form.validate_on_submit():
        abort(400)
    flagged = form.flagged.data == "1"
    with _refused(session, meeting):
        svc.set_flag(
            session=session,
            meeting=meeting,
            project_id=project_id,
            flagged=flagged,
            actor=current_actor(),
            expected_version=form.expected_version(),
        )
    flash(
        _("Projektet er sat på til beslutning.")
        if flagged
        else _("Projektet er taget af listen til beslutning."),
        "success",
    )
    return redirect(_back(meeting))


@bp.post("/<day>/offentliggoer")
def publish(day: str) -> Response | tuple[str, int]:
    session = get_session()
    meeting = _meeting_or_404(session, day)
    form = PublishForm()
    if not form.validate_on_submit():
        flash(_("Pakken er ikke offentliggjort: bekræft, at den er gennemgået."), "error")
        return _render_detail(session, meeting, publish_form=form, status=400)

    def stale(_exc: Exception) -> tuple[str, int]:
        flash(
            _(
                "Pakken er ændret af en anden, siden du åbnede siden, og den er ikke "
                "offentliggjort. Gennemgå den igen, og offentliggør derefter."
            ),
            "error",
        )
        return _render_detail(session, meeting, status=409)

    with _refused(session, meeting), refused_with(svc.StaleMeetingError, stale):
        count = svc.publish_meeting(
            session=session,
            meeting=meeting,
            actor=current_actor(),
            expected_version=form.expected_version(),
        )
    flash(
        ngettext(
            "Pakken er offentliggjort og fastfrosset med %(num)d projekt. Ændringer i "
            "porteføljen herefter kommer med i næste møde.",
            "Pakken er offentliggjort og fastfrosset med %(num)d projekter. Ændringer i "
            "porteføljen herefter kommer med i næste møde.",
            count,
        ),
        "success",
    )
    return redirect(_back(meeting))


@bp.post("/<day>/projekt/<int:project_id>/beslutning")
def decide(day: str, project_id: int) -> Response | tuple[str, int]:
    session = get_session()
    meeting = _meeting_or_404(session, day)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(
            _(
                "Beslutningen kunne ikke gemmes: %(error)s",
                error=" ".join(form.decision.errors) or _("formularen er ugyldig."),
            ),
            "error",
        )
        return redirect(_back(meeting))
    with _refused(session, meeting):
        changed = svc.record_decision(
            session=session,
            meeting=meeting,
            project_id=project_id,
            text=form.decision.data or "",
            actor=current_actor(),
            expected_version=form.expected_version(),
        )
    flash(
        _("Beslutningen er noteret og står i projektets historik.")
        if changed
        else _("Beslutningen var uændret; intet er gemt."),
        "success" if changed else "info",
    )
    return redirect(_back(meeting))


@bp.route("/<day>/slet", methods=["GET", "POST"])
def delete(day: str) -> str | Response | tuple[str, int]:
    """GET asks on a page of its own; only a POST from that page deletes the draft."""
    session = get_session()
    meeting = _meeting_or_404(session, day)
    form = CsrfForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if is_confirmed():
            with _refused(session, meeting):
                svc.delete_meeting(session=session, meeting=meeting, actor=current_actor())
            flash(_("Mødekladden er slettet."), "success")
            return redirect(url_for("meetings.index"))
        # An old one-click button or a replayed request: ask first, change nothing.
        return redirect(url_for("meetings.delete", day=_day(meeting)))
    if meeting.published_at is not None:
        flash(_("Et offentliggjort møde kan ikke slettes."), "error")
        return redirect(url_for("meetings.detail", day=_day(meeting)))
    return confirm_page(
        title=_("Slet kladden “%(title)s”", title=meeting.title),
        explanation=[
            _(
                "Kladden til mødet %(day)s slettes med dens tekster og dagsordenspunkter. "
                "Det kan ikke gøres om.",
                day=format_day(meeting.meeting_date),
            ),
            _("Projekterne og deres historik ændres ikke."),
        ],
        question=_("Vil du slette kladden?"),
        action=url_for("meetings.delete", day=_day(meeting)),
        form=form,
        confirm_label=_("Ja, slet kladden"),
        cancel=url_for("meetings.detail", day=_day(meeting)),
        back_label=meeting.title,
    )


@bp.get("/<day>/pakke.<fmt>")
def export(day: str, fmt: str) -> Response:
    from flask import make_response

    from portfolio.exporters.chromium import ChromiumFailed, ChromiumMissing, find_chromium

    if fmt not in FORMATS:
        abort(404)
    session = get_session()
    meeting = _meeting_or_404(session, day)
    chromium = find_chromium(current_app.config.get("CHROMIUM"))
    try:
        content = export_pack(
            session=session,
            meeting=meeting,
            flt=ProjectFilter.from_args(request.args),
            fmt=fmt,
            chromium=chromium,
        )
    except (ChromiumMissing, ChromiumFailed) as exc:
        flash(str(exc), "error")
        return redirect(_with_query(url_for("meetings.detail", day=_day(meeting))))
    response = make_response(content)
    response.mimetype = FORMATS[fmt].mimetype.split(";")[0]
    response.headers["Content-Type"] = FORMATS[fmt].mimetype
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{pack_filename(meeting, fmt)}"'
    )
    # A pack may hold a draft's numbers: never from a shared cache.
    response.headers["Cache-Control"] = "private, no-store"
    return response
