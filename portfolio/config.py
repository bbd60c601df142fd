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
}


def load_config(app: Flask, test_config: dict[str, object] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_prefixed_env("PORTFOLIO")
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    if not app.config.get("DATABASE_URL"):
        path = Path(app.instance_path) / "portfolio.sqlite"
        app.config["DATABASE_URL"] = f"sqlite:///{path}"


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
