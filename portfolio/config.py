"""Default settings; any of them can be overridden by PORTFOLIO_* environment variables."""

from __future__ import annotations

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
    "WTF_CSRF_TIME_LIMIT": None,
    # A process owner is asked to review a project not reviewed for this many days.
    "REVIEW_INTERVAL_DAYS": 90,
    # Headless Chromium for PDF packs and the DOCX pack's chart images; None: look on PATH.
    "CHROMIUM": None,
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
    """A secret key kept in the instance folder, so sessions survive a restart."""
    instance.mkdir(parents=True, exist_ok=True)
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()
