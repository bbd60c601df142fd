"""The rules for a project's values, shared by the web form, the importer and the services.

Pure Python, no Flask: the importer must not import Flask, and the form, the sheet reader and the
write path must refuse the same values with the same words. Messages are Danish msgids marked
with N_ so the web form can show them translated; str(FieldError) is the Danish sentence.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

# The longest text each field may hold. The one place for it: the project's model
# (portfolio/projects/models.py) reads its max_length from here, as the form's maxlength does.
MAX_LENGTHS: dict[str, int] = {
    "name": 300,
    "case_number": 60,
    "department": 120,
    "process_owner": 200,
    "project_lead": 200,
    "status_comment": 4000,
    "description": 10000,
    "link": 2000,
}

# 15 digits: far above any municipal budget, far below what BIGINT holds.
MAX_BUDGET = 999_999_999_999_999

LINK_SCHEMES = frozenset({"http", "https"})

# The C0 control characters but tab, line feed and carriage return: NUL (PostgreSQL text cannot
# hold it) and the rest (XML 1.0, and so the exported sheet, cannot hold them).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Lone surrogates are no UTF-8 at all; only a command line in another encoding produces them.
# One pattern for both, as every stored text is searched once.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# A plain http(s) address: urlsplit finds a host in it (letters, digits, dots, hyphens, a
# port) and the per-character check has nothing to find if the text is printable with no space.
_PLAIN_LINK = re.compile(r"[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.-]+(?::[0-9]*)?(?:[/?#].*)?", re.S)


def N_(message: str) -> str:  # the name Babel looks for by default
    """Marks a message for the translation catalogue; it is translated where it is shown."""
    return message


UNSTORABLE = N_(
    "Teksten indeholder tegn, som ikke kan gemmes (fx et NUL-tegn eller et andet kontroltegn) "
    "– fjern dem, og prøv igen."
)
TOO_LONG = N_("Teksten er for lang (%(length)d tegn) – %(label)s må højst have %(limit)d tegn.")
LINK_SCHEME = N_("Linket skal begynde med http:// eller https://.")
LINK_WHOLE = N_("Skriv en hel webadresse, fx https://…")
LINK_SPACES = N_("Linket må ikke indeholde mellemrum eller kontroltegn – skriv en hel webadresse.")
BUDGET_TOO_LARGE = N_("Beløbet er for stort. Det største beløb er 999.999.999.999.999 kr.")
BUDGET_NEGATIVE = N_("Budgettet kan ikke være negativt – skriv beløbet uden minus.")


class FieldError(ValueError):
    """A value breaks its field's rule.

    `message` is the Danish msgid (for translation), `params` fill its placeholders, and
    str(error) is the Danish sentence, ready for a sheet's problem list or a command line.
    """

    def __init__(self, field: str, message: str, **params: object) -> None:
        self.field = field
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)


def check_text(field: str, text: str, *, label: str) -> str:
    """The text, if it can be stored in `field`; `label` names the field in the message."""
    if _UNSTORABLE.search(text):
        raise FieldError(field, UNSTORABLE)
    limit = MAX_LENGTHS.get(field)
    if limit is not None and len(text) > limit:
        raise FieldError(field, TOO_LONG, length=len(text), label=label, limit=limit)
    return text


def link_error(link: str) -> FieldError | None:
    """Why `link` may not be shown as a link, or None: http(s) with a host, nothing else.

    javascript:, data:, vbscript:, file: and every other scheme are refused, and so are
    spaces and control characters anywhere (a browser drops some of them, so " javascript:"
    and "java\\tscript:" would run). Surrounding spaces are the caller's to trim.
    """
    # Fast path, same answer: every space (but " ") and every Cc/Cs character is unprintable.
    if (
        len(link) <= MAX_LENGTHS["link"]
        and link.isprintable()
        and " " not in link
        and _PLAIN_LINK.fullmatch(link)
    ):
        return None
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cs") for ch in link):
        return FieldError("link", LINK_SPACES)
    if len(link) > MAX_LENGTHS["link"]:
        return FieldError(
            "link", TOO_LONG, length=len(link), label="Link", limit=MAX_LENGTHS["link"]
        )
    scheme, colon, rest = link.partition(":")
    if not colon or scheme.lower() not in LINK_SCHEMES:
        return FieldError("link", LINK_SCHEME)
    try:
        host = urlsplit(link).hostname
    except ValueError:  # a malformed [IPv6] host
        host = None
    if not rest.startswith("//") or not host:
        return FieldError("link", LINK_WHOLE)
    return None


def check_link(link: str) -> str:
    """The link, if it is an http(s) address with a host; else FieldError."""
    error = link_error(link)
    if error is not None:
        raise error
    return link


def safe_link(value: object) -> str | None:
    """The stored link if it may be rendered as <a href>, else None (show it as text)."""
    if not isinstance(value, str):
        return None
    link = value.strip()
    return link if link and link_error(link) is None else None


def check_budget(kroner: int) -> int:
    """Whole kroner within 0 … MAX_BUDGET."""
    if kroner < 0:
        raise FieldError("budget_dkk", BUDGET_NEGATIVE)
    if kroner > MAX_BUDGET:
        raise FieldError("budget_dkk", BUDGET_TOO_LARGE)
    return kroner


def check_value(field: str, value: object, *, label: str) -> None:
    """Every rule for one field's (already trimmed) value; None and non-rule fields pass."""
    if value is None:
        return
    if isinstance(value, str):
        check_text(field, value, label=label)
        if field == "link":
            check_link(value)
    elif field == "budget_dkk" and isinstance(value, int) and not isinstance(value, bool):
        check_budget(value)
