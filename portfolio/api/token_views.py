"""A user's own API tokens: create one (shown once), see them with their last use, revoke."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portfolio.api import tokens as svc
from portfolio.api.forms import TokenForm
from portfolio.auth import current_actor
from portfolio.db import discard, get_session
from portfolio.domain import ChangeSource
from portfolio.forms import CsrfForm, confirm_page, is_confirmed
from portfolio.users.models import User

bp = Blueprint("api_tokens", __name__, url_prefix="/konto/api-noegler")


def _page(form: TokenForm, created: str | None = None, status: int = 200) -> Response:
    session = get_session()
    response = Response(
        render_template(
            "api/tokens.html",
            form=form,
            tokens=svc.user_tokens(session, int(current_user.id)),
            state=svc.token_state,
            created=created,
            api_url=url_for("api.projects", _external=True),
            docs_url=url_for("api.openapi", _external=True),
        ),
        status,
        mimetype="text/html",
    )
    # The page that shows a new token once must never be kept by a browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def index() -> Response:
    return _page(TokenForm())


@bp.post("/")
def create() -> Response:
    form = TokenForm()
    if not form.validate_on_submit():
        discard()
        return _page(form, status=400)
    session = get_session()
    user = session.get(User, int(current_user.id))
    if user is None:
        abort(403)
    try:
        _token, raw = svc.create_token(
            session=session,
            user=user,
            name=form.name.data or "",
            days=int(form.days.data or svc.DEFAULT_DAYS),
            actor=current_actor(),
            source=ChangeSource.web,
        )
    except svc.TokenError as exc:
        discard()
        form.name.errors = [str(exc)]
        return _page(form, status=400)
    # Shown on this very answer, never stored or flashed: after this page it cannot be read.
    return _page(TokenForm(formdata=None), created=raw)


@bp.route("/<int:token_id>/tilbagekald", methods=["GET", "POST"])
def revoke(token_id: int) -> str | Response:
    """GET asks on a page of its own; only a POST from that page revokes the token."""
    session = get_session()
    token = svc.own_token(session, int(current_user.id), token_id)
    if token is None:
        abort(404)
    form = CsrfForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if not is_confirmed():
            return redirect(url_for("api_tokens.revoke", token_id=token_id))
        svc.revoke_token(
            session=session, token=token, actor=current_actor(), source=ChangeSource.web
        )
        flash(_("API-nøglen “%(name)s” er tilbagekaldt.", name=token.name), "success")
        return redirect(url_for("api_tokens.index"))
    return confirm_page(
        title=_("Tilbagekald API-nøglen “%(name)s”", name=token.name),
        explanation=[
            _(
                "Nøglen holder op med at virke med det samme: rapporter og systemer, der bruger "
                "den (fx Power BI), får ikke flere data, før de får en ny nøgle."
            ),
            _("Det kan ikke fortrydes."),
        ],
        question=_("Vil du tilbagekalde nøglen?"),
        action=url_for("api_tokens.revoke", token_id=token_id),
        form=form,
        confirm_label=_("Ja, tilbagekald nøglen"),
        cancel=url_for("api_tokens.index"),
        back_label=_("API-nøgler"),
    )
