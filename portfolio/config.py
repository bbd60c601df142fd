"""Default settings; any of them can be overridden by PORTFOLIO_* environment variables."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from flask import Flask

DEFAULTS: dict[str, object] = {
    # None means: a SQLite file in the instance folder.
    "DATABASE_URL": None,
    "BABEL_DEFAULT_LOCALE": "da",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Copenhagen",
    "LANGUAGES": ["da", "en"],
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Set PORTFOLIO_PROXY_FIX=1 behind a reverse proxy that terminates https.
    "PROXY_FIX": False,
    # A form's CSRF token lasts this many seconds; an expired one offers to send the form again.
    # Shorter than the idle limit below, so a form left open for hours usually meets that
    # offer rather than the login page.
    "WTF_CSRF_TIME_LIMIT": 4 * 3600,
    # A login ends after this long without a request, and after this long whatever happens.
    "SESSION_IDLE_MINUTES": 480,
    "SESSION_MAX_DAYS": 7,
    # An upload not applied within this many seconds is removed; each user keeps at most
    # this many waiting (one more removes their oldest).
    "UPLOAD_MAX_AGE_SECONDS": 2 * 3600,
    "UPLOAD_MAX_PENDING": 5,
    # A process owner is asked to review a project not reviewed for this many days.
    "REVIEW_INTERVAL_DAYS": 90,
    # Headless Chromium for PDF packs and the DOCX pack's chart images; None: look on PATH.
    "CHROMIUM": None,
    # Login throttling: failures allowed per e-mail and address (and per address alone, in the
    # last hour) before each further failure doubles the wait (1 s, 2 s, 4 s … up to the cap).
    "LOGIN_FREE_FAILURES": 5,
    "LOGIN_FREE_FAILURES_PER_ADDRESS": 50,
    "LOGIN_MAX_DELAY_SECONDS": 900,
    # Password hashes at once per process, and how long a login waits for one before "busy".
    "LOGIN_HASH_CONCURRENCY": 2,
    "LOGIN_HASH_WAIT_SECONDS": 2.0,
    "LOGIN_ATTEMPT_RETENTION_DAYS": 30,
    # How passwords are hashed (werkzeug.security.generate_password_hash's method). scrypt is
    # slow on purpose; the test suite sets a cheap method so that each login is not.
    "PASSWORD_HASH_METHOD": "scrypt",
    # Mail (portfolio/mail/): the SMTP server, and how to reach it. SMTP_SECURITY is "starttls"
    # (port 587), "ssl" (port 465) or "none" (a relay on the local network, port 25). No host:
    # mails are recorded as waiting and sent by `portfolio send-reminders` once one is set.
    "SMTP_HOST": None,
    "SMTP_PORT": 587,
    "SMTP_SECURITY": "starttls",
    "SMTP_USER": None,
    "SMTP_PASSWORD": None,
    "SMTP_SENDER": None,  # the From address, e.g. "Portefølje <portefolje@kommune.dk>"
    "SMTP_TIMEOUT_SECONDS": 30,
    # A failed mail is tried again by each `portfolio send-reminders`, at most this many times.
    "MAIL_MAX_ATTEMPTS": 10,
    # The app's address as users reach it, for the links in mails (no request to take it from):
    # e.g. "https://portefolje.kommune.dk" or "https://intra.kommune.dk/portefolje".
    "PUBLIC_BASE_URL": None,
    # Who to ask for access, named on the pages that refuse a login (e.g. single sign-on for
    # someone in no mapped group): a team, a phone number or an e-mail address.
    "LOGIN_CONTACT": "IT-afdelingen",
    # Single sign-on with OpenID Connect (portfolio/users/sso.py): on when the issuer and the
    # client id are set. The issuer is the provider's address; its discovery document
    # (<issuer>/.well-known/openid-configuration) is read at the first SSO login, never at start.
    "OIDC_ISSUER": None,
    "OIDC_CLIENT_ID": None,
    "OIDC_CLIENT_SECRET": None,
    "OIDC_SCOPES": "openid email profile",
    # The claim whose values (groups or app roles) give the role, through OIDC_ROLE_MAP: group →
    # role (admin, editor, owner, reader), from the environment as JSON ({"g1": "owner"}) or as
    # "g1=owner,g2=reader". Several mapped groups: the highest role wins; none: refused.
    "OIDC_ROLE_CLAIM": "groups",
    "OIDC_ROLE_MAP": {},
    "OIDC_EMAIL_CLAIM": "email",
    "OIDC_NAME_CLAIM": "name",
    # 0: no password form, single sign-on only; an active admin with a local password (made with
    # `portfolio create-user --role admin`) can still log in at /login/noedadgang.
    "LOCAL_LOGIN": True,
    # The JSON API (portfolio/api/): requests per minute for each token, counted in the
    # database so that every app server counts the same; one more is a 429 with Retry-After.
    "API_RATE_PER_MINUTE": 120,
}


KEY_NOT_SET_MESSAGE = (
    "PORTFOLIO_SECRET_KEY er ikke sat. Med PostgreSQL kan flere servere dele databasen, og de "
    "skal bruge samme hemmelige nøgle, ellers virker et login kun på den server, det blev lavet "
    "på: sæt PORTFOLIO_SECRET_KEY til den samme lange tilfældige værdi på alle servere (fx fra "
    "python3 -c 'import secrets; print(secrets.token_hex(32))'), og start igen."
)


class ConfigError(RuntimeError):
    """A setting that keeps Portefølje from starting; the message says what to do (Danish)."""


def load_config(app: Flask, test_config: dict[str, object] | None, *, serving: bool = True) -> None:
    """The settings; `serving` (the web app, not the CLI) refuses to start without a secret
    key it can share with other servers (see _secret_key)."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_prefixed_env("PORTFOLIO")
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("DATABASE_URL"):
        path = Path(app.instance_path) / "portfolio.sqlite"
        app.config["DATABASE_URL"] = f"sqlite:///{path}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app, serving=serving)


def _secret_key(app: Flask, *, serving: bool) -> str | None:
    """The key when PORTFOLIO_SECRET_KEY is not set. SQLite (one server): generated once into
    the instance folder. PostgreSQL (a database several servers can share): never generated,
    since a second server would make a key of its own; a key file made before this rule is
    still used (one server keeps working after an upgrade, with a warning), else the web app
    refuses to start. CLI commands sign nothing and need no key (`portfolio run` checks)."""
    url = str(app.config["DATABASE_URL"])
    instance = Path(app.instance_path)
    if url.startswith("sqlite"):
        return _instance_secret(instance)
    key_file = instance / "secret_key"
    if key_file.exists():
        if serving:
            app.logger.warning(
                "Den hemmelige nøgle læses fra %s. Sæt PORTFOLIO_SECRET_KEY, før en server "
                "mere startes mod samme database.",
                key_file,
            )
        return _instance_secret(instance)
    if serving:
        raise ConfigError(KEY_NOT_SET_MESSAGE)
    return None


def _instance_secret(instance: Path) -> str:
    """A secret key kept in the instance folder, so sessions survive a restart.

    Workers starting together must agree on one key, and it is never readable by others even
    for a moment: each writes a candidate to a private temp file, and the first to hard-link
    it into place wins; the others read the winner's key.
    """
    instance.mkdir(parents=True, exist_ok=True)
    key_file = instance / "secret_key"
    if not key_file.exists():
        candidate = instance / f".secret_key.{secrets.token_hex(8)}.tmp"
        fd = os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as file:
                file.write(secrets.token_hex(32))
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileExistsError):  # another worker won: use its key
                os.link(candidate, key_file)
        finally:
            candidate.unlink(missing_ok=True)
    key = key_file.read_text(encoding="ascii").strip()
    if not key:
        raise RuntimeError(
            f"Nøglefilen {key_file} er tom. Slet den, og start Portefølje igen: "
            "så laves en ny nøgle."
        )
    return key
