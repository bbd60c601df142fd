"""The edge: input the database cannot hold is refused before a view sees it (400 or 404),
and a stored link becomes an <a href> only if it passes the shared link rule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter, Map

from importers.fields import CONTROL_CHARACTERS, safe_link

# PostgreSQL INTEGER, the type of every id: a larger number names nothing that can exist.
INT_MAX = 2**31 - 1
REFUSED = _l(
    "Forespørgslen indeholder tegn, som ikke kan gemmes (fx et NUL-tegn). "
    "Fjern dem, og prøv igen. Intet er gemt."
)


class BoundedIntConverter(IntegerConverter):
    """<int:…> that fits PostgreSQL's INTEGER: /projekter/99999999999999999999 is a 404."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        limit = INT_MAX if max is None or max > INT_MAX else max
        super().__init__(map, fixed_digits, min, limit, signed)


def parse_int(text: object, *, minimum: int = 0, maximum: int = INT_MAX) -> int | None:
    """A whole number written with ASCII digits within minimum … maximum, else None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    # The length check first: int() of thousands of digits is slow, and limited anyway.
    if not text.isascii() or not text.isdigit() or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def int_arg(name: str, default: int | None = None, *, minimum: int = 1) -> int | None:
    """A query-string number (?page=2): missing, malformed or out of range gives `default`."""
    number = parse_int(request.args.get(name), minimum=minimum)
    return default if number is None else number


def _unstorable(texts: Iterable[str]) -> bool:
    return any(CONTROL_CHARACTERS.search(text) for text in texts)


def _pairs(values: Any) -> Iterable[str]:
    for key, value in values.items(multi=True):
        yield key
        yield value


def refuse_unstorable_input() -> None:
    """400 for a path, query string or form holding characters no column can store."""
    if CONTROL_CHARACTERS.search(request.path) or _unstorable(_pairs(request.args)):
        abort(400, description=str(REFUSED))
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        names = (f.filename or "" for _key, f in request.files.items(multi=True))
        if _unstorable(_pairs(request.form)) or _unstorable(names):
            abort(400, description=str(REFUSED))


def init_app(app: Flask) -> None:
    # Before any blueprint is registered: rules bind their converters when they are added.
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_unstorable_input)
    # {% if project.link|safe_link %}: rows stored before the rule may hold javascript: links.
    app.jinja_env.filters["safe_link"] = safe_link
