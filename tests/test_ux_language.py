"""Language of parts and input purpose (issue 16, item 8): in the English UI the meeting pack
stays the Danish document of record and says so (lang="da"), while the app around it, and an
editor's controls inside it, are English; the login and user forms tell password managers
what each field is for."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from html.parser import HTMLParser

from flask.testing import FlaskClient
from sqlmodel import Session

from portfolio.i18n import LANGUAGE_COOKIE
from portfolio.meetings import services as meeting_svc
from portfolio.meetings.pack import PackMode
from portfolio.projects.models import Project

DAY = date(2026, 12, 8)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _Languages(HTMLParser):
    """Each text of the page with the language a screen reader reads it in (the nearest lang),
    and each form field's attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str]] = []
        self.texts: list[tuple[str, str]] = []
        self.fields: dict[str, dict[str, str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "input" and "name" in values:
            self.fields[values["name"]] = values
        if tag not in VOID:
            lang = values.get("lang") or (self.stack[-1][1] if self.stack else "")
            self.stack.append((tag, lang))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and self.stack and self.stack[-1][0] not in ("script", "style"):
            self.texts.append((text, self.stack[-1][1]))

    def language_of(self, text: str) -> set[str]:
        return {lang for t, lang in self.texts if t == text}


def _read(html: str) -> _Languages:
    parser = _Languages()
    parser.feed(html)
    return parser


def _english(client: FlaskClient) -> FlaskClient:
    client.set_cookie(LANGUAGE_COOKIE, "en")
    return client


def _meeting(session: Session, make_project: Callable[..., Project], *, published: bool) -> str:
    make_project(name="Nyt ESDH-system", status="red", status_comment="Udbud annulleret.")
    meeting = meeting_svc.create_meeting(
        session=session, meeting_date=DAY, mode=PackMode.complete, actor="test"
    )
    if published:
        meeting_svc.publish_meeting(session=session, meeting=meeting, actor="test")
    session.commit()
    return f"/moeder/{DAY.isoformat()}"


def test_in_english_the_pack_stays_danish_and_is_marked_so(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    url = _meeting(session, make_project, published=False)
    html = _english(client).get(url).get_data(as_text=True)
    page = _read(html)
    assert re.search(r'<html lang="en"', html)
    assert re.search(r'<article class="pack" lang="da"', html)
    # The pack's own words are Danish, and read as Danish.
    for danish in ("Anledning", "Sagsfremstilling", "Til beslutning", "Projekter til beslutning"):
        assert page.language_of(danish) == {"da"}, danish
    assert page.language_of("Nyt ESDH-system") == {"da"}
    assert "da" not in page.language_of("Background")  # the edit form's label, not the pack
    # The app around the pack is English, and read as English.
    assert page.language_of("Download as PDF") == {"en"}
    # An editor's control inside the pack belongs to the app: English, read as English.
    assert page.language_of("Included (see reason)") == {"en"}


def test_in_english_a_published_packs_decision_form_is_english_inside_the_danish_pack(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    url = _meeting(session, make_project, published=True)
    page = _read(_english(client).get(url).get_data(as_text=True))
    assert page.language_of("Record decision") == {"en"}
    assert page.language_of("Save decision") == {"en"}
    assert page.language_of("Beslutning") == {"da"}


def test_in_danish_the_pack_reads_as_before(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    url = _meeting(session, make_project, published=False)
    page = _read(client.get(url).get_data(as_text=True))
    assert page.language_of("Anledning") == {"da"}
    assert page.language_of("Med (se begrundelse)") == {"da"}
    assert page.language_of("Hent som PDF") == {"da"}


def test_the_pack_file_is_danish_in_the_english_ui(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    url = _meeting(session, make_project, published=False)
    html = _english(client).get(f"{url}/pakke.html").get_data(as_text=True)
    assert re.search(r'<html lang="da"', html)
    assert _read(html).language_of("Anledning") == {"da"}


def test_login_fields_say_what_they_are_for(anonymous: FlaskClient) -> None:
    fields = _read(anonymous.get("/login").get_data(as_text=True)).fields
    assert fields["email"].get("autocomplete") == "username"
    assert fields["password"].get("autocomplete") == "current-password"


def test_the_user_forms_password_is_a_new_one(client: FlaskClient) -> None:
    for url in ("/brugere/ny", "/brugere/1"):
        fields = _read(client.get(url).get_data(as_text=True)).fields
        assert fields["password"].get("autocomplete") == "new-password", url
