"""The English catalogue: complete, compiled, placeholder-safe, and really used when chosen.

Danish is the source language: every msgid in the code and templates is Danish, so Danish is
complete by construction. These tests keep English complete. When one fails because of a new
string, run scripts/update_translations.sh, translate the empty entries in
portfolio/translations/en/LC_MESSAGES/messages.po, and run the script with --compile.
"""

from __future__ import annotations

import html
import re
import shlex
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parents[1]
BABEL_CFG = ROOT / "babel.cfg"
SCRIPT = ROOT / "scripts" / "update_translations.sh"
TRANSLATIONS = ROOT / "portfolio" / "translations"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo"

# The keywords scripts/update_translations.sh adds to Babel's defaults (checked below).
EXTRA_KEYWORDS = ["_l", "lazy_gettext", "lazy_ngettext:1,2"]

# %(name)s, %(num)d, %s, %% ... as Python's %-formatting reads them; and str.format's {name}.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?.|\{[^{}]*\}"
)


def _catalogue() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f, locale="en")


def _forms(message: Message) -> list[str]:
    if isinstance(message.string, (list, tuple)):
        return [str(s or "") for s in message.string]
    return [str(message.string or "")]


def _placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(0) != "%%")


def _extracted() -> dict[tuple[str | tuple[str, ...], str | None], list[str]]:
    """Every msgid in the source now, with where it is: the same extraction as the script."""
    with BABEL_CFG.open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, str(BABEL_CFG))
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(EXTRA_KEYWORDS)}
    found: dict[tuple[str | tuple[str, ...], str | None], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.setdefault((message, context), []).append(f"{filename}:{lineno}")
    return found


# --- the catalogue -----------------------------------------------------------------------------


def test_the_script_and_this_test_extract_with_the_same_keywords() -> None:
    words = shlex.split(SCRIPT.read_text(encoding="utf-8"), comments=True)
    script_keywords = [words[i + 1] for i, w in enumerate(words) if w in ("-k", "--keyword")]
    assert script_keywords == EXTRA_KEYWORDS


def test_extraction_finds_python_templates_lazy_and_plural_messages() -> None:
    """Guards the guard: a broken babel.cfg would make the completeness test pass vacuously."""
    found = _extracted()
    files = {where.split(":")[0] for places in found.values() for where in places}
    assert any(f.startswith("templates/") for f in files), files
    assert any(f.startswith("portfolio/projects/") for f in files), files
    assert ("Projekter", None) in found  # templates
    assert ("Projektnavn", None) in found  # _l in portfolio/domain.py and forms.py
    assert (("%(num)d projekt", "%(num)d projekter"), None) in found  # ngettext in a template
    assert len(found) > 100


def test_every_message_in_the_source_has_an_english_translation() -> None:
    catalogue = _catalogue()
    problems = []
    for (msgid, context), places in sorted(_extracted().items(), key=lambda item: item[1][0]):
        where = ", ".join(places[:3])
        entry = catalogue.get(msgid, context=context)
        if entry is None:
            problems.append(f"{where}: {msgid!r} is not in the catalogue")
        elif "fuzzy" in entry.flags:
            problems.append(f"{where}: {msgid!r} is marked fuzzy")
        elif isinstance(msgid, tuple) and not entry.pluralizable:
            problems.append(f"{where}: {msgid!r} is plural in the source but not in the catalogue")
        elif not all(form.strip() for form in _forms(entry)):
            problems.append(f"{where}: {msgid!r} has no English translation")
    assert not problems, (
        f"{len(problems)} message(s) lack English: run scripts/update_translations.sh, translate "
        "them in portfolio/translations/en/LC_MESSAGES/messages.po, then run it with --compile.\n"
        + "\n".join(problems)
    )


def test_no_fuzzy_entries_and_the_catalogue_is_not_fuzzy() -> None:
    catalogue = _catalogue()
    assert not catalogue.fuzzy
    fuzzy = [m.id for m in catalogue if m.id and "fuzzy" in m.flags]
    assert not fuzzy, fuzzy


def test_english_plural_forms() -> None:
    catalogue = _catalogue()
    assert catalogue.num_plurals == 2
    assert catalogue.plural_expr.replace(" ", "") in ("(n!=1)", "n!=1")
    for message in catalogue:
        if message.id and message.pluralizable:
            assert len(_forms(message)) == 2, message.id


def test_translations_keep_the_placeholders_of_their_msgid() -> None:
    problems = []
    for message in _catalogue():
        if not message.id:
            continue
        ids = list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]
        for index, form in enumerate(_forms(message)):
            if not form:
                continue
            source = ids[min(index, len(ids) - 1)]
            if _placeholders(form) != _placeholders(source):
                problems.append(f"{source!r} -> {form!r}")
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


def test_babel_finds_no_format_errors_in_the_catalogue() -> None:
    errors = [(m.id, [str(e) for e in errs]) for m, errs in _catalogue().check()]
    assert not errors, errors


def test_the_committed_mo_is_compiled_from_the_current_po() -> None:
    compiled = BytesIO()
    write_mo(compiled, _catalogue(), use_fuzzy=False)
    compiled.seek(0)
    fresh = read_mo(compiled)
    with MO.open("rb") as f:
        committed = read_mo(f)

    def frozen(value: object) -> object:
        return tuple(value) if isinstance(value, (list, tuple)) else value

    def messages(catalogue: Catalog) -> dict[object, object]:
        return {(frozen(m.id), m.context): frozen(m.string) for m in catalogue if m.id}

    assert messages(committed) == messages(fresh), (
        "portfolio/translations/en/LC_MESSAGES/messages.mo is stale: "
        "run scripts/update_translations.sh --compile and commit the .mo"
    )
    assert committed.plural_forms == fresh.plural_forms


# --- the running app ---------------------------------------------------------------------------

DANISH_LETTERS = re.compile(r"[æøåÆØÅ]")
# Proper names stay Danish in English: the product, the language's own name, the council.
KEPT_DANISH = ("Portefølje", "Dansk", "Digitaliseringsrådet")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    from portfolio import create_app
    from portfolio.db import upgrade_database

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path}/t.sqlite",
            "SECRET_KEY": "x",
            "WTF_CSRF_ENABLED": False,
        }
    )
    app.instance_path = str(tmp_path / "instance")
    upgrade_database(app.extensions["portfolio_db"])
    yield app
    app.extensions["portfolio_db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A client that may see every page: logged in as an administrator once logins exist."""
    client = app.test_client()
    response = client.get("/projekter/")
    if response.status_code in (301, 302, 303) and "login" in response.location:
        from portfolio.db import get_session
        from portfolio.users.services import create_user

        with app.app_context():
            session = get_session()
            create_user(
                session=session,
                email="i18n@example.org",
                name="I18n Test",
                role="admin",
                password="i18n-test-password",
            )
            session.commit()
        response = client.post(
            "/login", data={"email": "i18n@example.org", "password": "i18n-test-password"}
        )
        assert response.status_code in (302, 303), response.get_data(as_text=True)
    return client


def _h1(page: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert match, "no <h1> on the page"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def _visible_text(page: str) -> str:
    """What a user reads or hears: text, plus the attributes shown or read out or put on screen."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    attributes = re.findall(r'\s(?:title|placeholder|aria-label|alt|data-[\w-]+)="([^"]*)"', page)
    text = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(" ".join([text, *attributes]))


def _danish_left(page: str) -> list[str]:
    text = _visible_text(page)
    for word in KEPT_DANISH:
        text = text.replace(word, "")
    return sorted({w for w in re.findall(r"\S+", text) if DANISH_LETTERS.search(w)})


def test_english_when_the_language_cookie_says_so(client: FlaskClient) -> None:
    client.set_cookie("portfolio_lang", "en")
    response = client.get("/projekter/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert _h1(page) == "Projects"
    assert "Nyt projekt" not in page
    assert "New project" in page
    assert "0 projects" in page  # ngettext, plural form


def test_danish_without_the_cookie(client: FlaskClient) -> None:
    response = client.get("/projekter/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="da">' in page
    assert _h1(page) == "Projekter"
    assert "Nyt projekt" in page
    assert "New project" not in page


def test_an_unknown_language_in_the_cookie_falls_back_to_danish(client: FlaskClient) -> None:
    client.set_cookie("portfolio_lang", "xx")
    page = client.get("/projekter/").get_data(as_text=True)
    assert '<html lang="da">' in page
    assert _h1(page) == "Projekter"


def test_english_pages_carry_no_danish_text(client: FlaskClient) -> None:
    """Catches Danish typed straight into a template or view, not wrapped in _()."""
    client.set_cookie("portfolio_lang", "en")
    created = client.post(
        "/projekter/ny",
        data={
            "name": "Bridge",
            "case_number": "1-2-3",
            "scope": "municipal",
            "kind": "strategic",
            "phase": "analysis",
            "status": "yellow",
            "department": "IT",
            "process_owner": "Alex Smith",
            "project_lead": "Sam Jones",
            "start_date": "01-02-2026",
            "end_date": "01-12-2026",
            "baseline_end_date": "01-10-2026",
            "budget_dkk": "1250000",
        },
    )
    assert created.status_code in (302, 303), created.get_data(as_text=True)
    detail = created.location
    project_id = int(detail.rstrip("/").rsplit("/", 1)[-1])
    headings = {
        "/projekter/": "Projects",
        "/projekter/?archived=1": "Archived projects",
        "/projekter/ny": "New project",
        detail: "Bridge",
        "/import/": "Import the project sheet",
    }
    pages = [*headings, *_html_pages(client.application, project_id)]
    found, checked = {}, []
    for path in dict.fromkeys(pages):
        response = client.get(path)
        if path in headings:
            assert response.status_code == 200, path
            assert _h1(response.get_data(as_text=True)) == headings[path], path
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        checked.append(path)
        if danish := _danish_left(response.get_data(as_text=True)):
            found[path] = danish
    assert not found, f"Danish text on English pages: {found}"
    assert len(checked) >= len(headings), checked
    detail_page = client.get(detail).get_data(as_text=True)
    for english in ("Municipality-wide", "Strategic", "Analysis", "Yellow", "Case no.", "Bridge"):
        assert english in detail_page


def _html_pages(app: Flask, project_id: int) -> list[str]:
    """Every GET page the app has that needs no argument, or only a project."""
    from flask import url_for

    paths = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()) or rule.endpoint in ("static", "vendor"):
                continue
            if not set(rule.arguments) <= {"project_id"}:
                continue
            values = {"project_id": project_id} if rule.arguments else {}
            paths.append(url_for(rule.endpoint, **values))
    return sorted(paths)


def test_english_form_errors(client: FlaskClient) -> None:
    client.set_cookie("portfolio_lang", "en")
    response = client.post("/projekter/ny", data={"name": "", "end_date": "32-13-2026"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The project must have a name." in page
    assert "Enter the date as dd-mm-yyyy" in page
    assert not _danish_left(page), _danish_left(page)


def test_english_error_pages(client: FlaskClient) -> None:
    client.set_cookie("portfolio_lang", "en")
    response = client.get("/projekter/999999")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert not _danish_left(page), _danish_left(page)
    assert "Siden findes ikke" not in page


def test_one_set_of_danish_formats_serves_pages_charts_and_exports(app: Flask) -> None:
    """The template filters, the charts' Danish text and the exporters write numbers and dates
    the same way, in a request or without one (the CLI's exports)."""
    from datetime import date, datetime

    from portfolio import charts, formats
    from portfolio.i18n import format_day, format_money

    assert formats.long_date(date(2026, 5, 1)) == "1. maj 2026"
    assert formats.danish_timestamp(datetime(2020, 10, 22, 9, 5)) == "22-10-2020 09:05"
    assert charts.DANISH.money(1_250_000) == formats.money(1_250_000) == "1.250.000 kr."
    assert charts.DANISH.day(date(2020, 10, 22)) == format_day(date(2020, 10, 22)) == "22-10-2020"
    assert formats.money(1_250_000, "en") == "DKK 1,250,000"
    with app.test_request_context():
        assert format_money(1_250_000) == "1.250.000 kr."
        assert format_money(1_250_000, "en") == "DKK 1,250,000"


def test_every_choice_has_its_own_label() -> None:
    """LABELS is keyed by enum values, and StrEnums compare as their text: two enums sharing
    a value (a rollout's and an assessment's "not_started") would show one's label for the
    other."""
    from enum import StrEnum

    from portfolio.domain import LABELS, label

    enums = {type(key) for key in LABELS}
    values = [member.value for enum in enums for member in enum]  # type: ignore[attr-defined]
    assert len(values) == len(set(values))
    assert all(issubclass(enum, StrEnum) for enum in enums)
    for key, text in LABELS.items():
        assert label(key) == str(text)
