"""Whom to contact (the LOGIN_CONTACT setting) as the pages show it: escaped, with each e-mail
address in it as a mailto link."""

from __future__ import annotations

import re

from flask import current_app
from markupsafe import Markup, escape

# Plain addresses only: what the pattern lets through needs no quoting inside href="mailto:…".
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def contact_html(text: str) -> Markup:
    """`text` escaped, each e-mail address in it a mailto link."""
    parts: list[str] = []
    last = 0
    for match in EMAIL_RE.finditer(text):
        address = match.group(0)
        parts.append(str(escape(text[last : match.start()])))
        parts.append(f'<a href="mailto:{escape(address)}">{escape(address)}</a>')
        last = match.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))  # noqa: S704 - every piece escaped above


def login_contact() -> Markup:
    """The configured contact ("IT-afdelingen" by default) for the login page and its help."""
    text = str(current_app.config.get("LOGIN_CONTACT") or "").strip()
    return contact_html(text or "IT-afdelingen")
