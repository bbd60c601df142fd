"""CSRF protection, how long a login lasts, and the security headers every response carries."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import logout_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response as BaseResponse

csrf = CSRFProtect()

# The session clock: a module attribute, so tests can move time forward.
clock = time.time

# Kept in the signed session cookie: when the user logged in, and was last seen.
LOGIN_AT = "login_at"
SEEN_AT = "seen_at"
# Last-seen is rewritten at most this often, so not every response sets a new cookie.
SEEN_RESOLUTION_SECONDS = 60

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over https (or the setting says
    so), so one installation works on plain http in a test and behind https in production."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (
            has_request_context() and request.is_secure
        )


def start_session_clock() -> None:
    """Called right after login_user: the idle and absolute limits count from now."""
    now = int(clock())
    session[LOGIN_AT] = now
    session[SEEN_AT] = now


def _session_expired_message() -> str | None:
    """Why the logged-in session must end now, in Danish; None while it is still good."""
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return _("Du er blevet logget ud. Log ind igen.")  # a cookie from before the limits
    now = clock()
    max_days = int(current_app.config["SESSION_MAX_DAYS"])
    if now - login_at > max_days * 86400:
        return ngettext(
            "Du er blevet logget ud, fordi du har været logget ind i %(num)d dag. Log ind igen.",
            "Du er blevet logget ud, fordi du har været logget ind i %(num)d dage. Log ind igen.",
            max_days,
        )
    idle_minutes = int(current_app.config["SESSION_IDLE_MINUTES"])
    if now - seen_at > idle_minutes * 60:
        if idle_minutes % 60 == 0:
            return ngettext(
                "Du er blevet logget ud, fordi du ikke har været aktiv i %(num)d time. "
                "Log ind igen.",
                "Du er blevet logget ud, fordi du ikke har været aktiv i %(num)d timer. "
                "Log ind igen.",
                idle_minutes // 60,
            )
        return ngettext(
            "Du er blevet logget ud, fordi du ikke har været aktiv i %(num)d minut. Log ind igen.",
            "Du er blevet logget ud, fordi du ikke har været aktiv i %(num)d minutter. "
            "Log ind igen.",
            idle_minutes,
        )
    if now - seen_at >= SEEN_RESOLUTION_SECONDS:
        session[SEEN_AT] = int(now)
    return None


def end_expired_session() -> BaseResponse | None:
    """A before_request hook, run before the permission guard: a login that has been idle or
    alive too long is logged out here, and the guard then sends the user to the login page
    with `next` pointing back. Only the signed cookie is read; no database query."""
    if "_user_id" not in session:  # Flask-Login's key: nobody is logged in
        return None
    message = _session_expired_message()
    if message is None:
        return None
    logout_user()
    session.pop(LOGIN_AT, None)
    session.pop(SEEN_AT, None)
    flash(message, "info")
    if request.method in ("GET", "HEAD"):
        return None
    # A form sent into an ended session: after logging in, back to the page it was on.
    page = referring_page()
    return redirect(url_for("auth.login", next=page) if page else url_for("auth.login"))


def local_path(target: str | None, default: str) -> str:
    """`target` if it is a path on this site, else `default`: no form or link of ours may
    become an open redirect ("//evil", "https://evil", "/\\evil" are refused)."""
    target = target or ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


def referring_page() -> str | None:
    """The path (and query) of the page on this site that sent the request, if it says so."""
    if not request.referrer:
        return None
    parts = urlsplit(request.referrer)
    if parts.netloc != request.host or not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.after_request(_headers)
    app.session_interface = SessionInterface()
    if app.config.get("PROXY_FIX"):
        # Behind the municipality's reverse proxy: trust its X-Forwarded-For/-Proto (one hop),
        # so https is seen as https (Secure cookie, HSTS) and throttling sees the real address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
