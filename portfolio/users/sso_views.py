"""Single sign-on's two pages: off to the provider, and back from it (authorization code flow
with PKCE S256; state and nonce checked). A login made here is the same Flask-Login session as
a password login (session version, idle and absolute limits), so logout and expiry work alike."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from portfolio.auth import session_user
from portfolio.db import get_session, unit_of_work
from portfolio.domain import Role
from portfolio.security import CSP, local_path, start_session_clock
from portfolio.users import sso

bp = Blueprint("sso", __name__)


@bp.get("/login/sso")
def start() -> Response | tuple[str, int]:
    """Off to the provider's login, with a fresh state, nonce and PKCE verifier kept in the
    session (Authlib's state data); `next` rides along to the page after login."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not sso.sso_enabled(app.config):
        abort(404)
    from portfolio.auth import landing_page

    if current_user.is_authenticated:
        return redirect(landing_page(current_user.role))
    import requests

    client = sso.oidc_client(app)
    redirect_uri = url_for("sso.callback", _external=True)
    try:
        sso.provider_metadata(client, str(app.config["OIDC_ISSUER"]))
        found = client.create_authorization_url(redirect_uri)
    except (requests.RequestException, ValueError, RuntimeError) as exc:
        app.logger.warning("single sign-on: the provider's discovery failed: %r", exc)
        return _unreachable()
    client.save_authorize_data(
        redirect_uri=redirect_uri, next=local_path(request.args.get("next"), ""), **found
    )
    return redirect(found["url"])


@bp.get("/login/sso/svar")
def callback() -> Response | tuple[str, int]:
    """Back from the provider: the state must be one this browser was given (once), the code
    is exchanged with the PKCE verifier, and the ID token must be for us with our nonce."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not sso.sso_enabled(app.config):
        abort(404)
    import requests
    from authlib.integrations.base_client import OAuthError

    client = sso.oidc_client(app)
    state = request.args.get("state") or ""
    data = client.framework.get_state_data(session, state) if state else None
    if state:
        client.framework.clear_state_data(session, state)  # a state is good for one answer
    try:
        if data is None:
            raise sso.SsoRefused("state")
        if request.args.get("error"):
            detail = f"{request.args.get('error')}: {request.args.get('error_description', '')}"
            raise sso.SsoRefused("provider_error", None, detail[:300])
        answered_by = request.args.get("iss")  # RFC 9207: which provider answered
        if answered_by and answered_by != client.load_server_metadata().get("issuer"):
            raise sso.SsoRefused("provider_error", None, f"iss {answered_by[:200]}")
        code = request.args.get("code")
        if not code:
            raise sso.SsoRefused("token", None, "ingen code")
        try:
            token = client.fetch_access_token(
                redirect_uri=data["redirect_uri"], code=code, code_verifier=data["code_verifier"]
            )
        except OAuthError as exc:
            raise sso.SsoRefused("token", None, str(exc.error)) from exc
        claims = sso.check_id_token(client, token, nonce=data.get("nonce"))
        claims = sso.with_userinfo(client, token, claims)
        identity = sso.identity_from_claims(claims, app.config)
        with unit_of_work():
            user = sso.sign_in(get_session(), identity)
            role = Role(user.role)
            login = session_user(user)
    except sso.SsoRefused as refused:
        return _refused(refused)
    except requests.RequestException as exc:
        app.logger.warning("single sign-on: the provider did not answer: %r", exc)
        return _refused(sso.SsoRefused("unreachable", None, type(exc).__name__))
    from portfolio.auth import landing_page

    session.clear()  # a fresh session: nothing from before the login carries over
    login_user(login)
    start_session_clock()
    session[sso.SSO_LOGIN] = True
    id_token = str(token.get("id_token") or "")
    if len(id_token) <= sso.MAX_ID_TOKEN_IN_COOKIE:
        session[sso.SSO_ID_TOKEN] = id_token
    return redirect(local_path(str(data.get("next") or ""), landing_page(role)))


def _refused(refused: sso.SsoRefused) -> tuple[str, int]:
    """The refusal in the audit log, and a Danish page that says whom to ask."""
    current_app.logger.warning("single sign-on refused: %s", refused)
    with unit_of_work():
        sso.record_refusal(get_session(), refused)
    if refused.reason == "no_group":
        message = _(
            "Du er logget ind hos kommunen, men du er ikke i en gruppe, der giver adgang til "
            "Portefølje."
        )
    elif refused.reason in {
        "no_person",
        "email_unverified",
        "no_email",
        "bad_email",
        "linked_elsewhere",
    }:
        message = _("Din konto i kommunens login kan ikke knyttes til en bruger i Portefølje.")
    elif refused.reason == "inactive":
        message = _("Din bruger i Portefølje er deaktiveret.")
    elif refused.reason == "unreachable":
        message = _("Kommunens login svarer ikke lige nu. Prøv igen om lidt.")
    else:
        message = _("Login med kommunens login mislykkedes. Prøv igen fra login-siden.")
    page = render_template("auth/sso_refused.html", message=message)
    return page, 502 if refused.reason == "unreachable" else 403


def _unreachable() -> tuple[str, int]:
    message = _("Kommunens login svarer ikke lige nu. Prøv igen om lidt.")
    page = render_template("auth/sso_refused.html", message=message)
    return page, 502


def _form_action(response: Response) -> Response:
    """Our forms may be redirected on to the provider (logout ends its session too), so the
    provider's origin joins form-action 'self' in the Content-Security-Policy."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if sso.sso_enabled(app.config) and "Content-Security-Policy" not in response.headers:
        origins = " ".join(sso.provider_origins(app))
        if origins:
            response.headers["Content-Security-Policy"] = CSP.replace(
                "form-action 'self'", f"form-action 'self' {origins}"
            )
    return response


def init_app(app: Flask) -> None:
    app.after_request(_form_action)
