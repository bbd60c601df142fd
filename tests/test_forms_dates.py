"""Dates typed the Danish way: the parsing rules, and the one date field every form uses."""

from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, select
from wtforms import DateField, Form
from wtforms.fields.core import UnboundField

import portfolio
from portfolio.formats import ImpossibleDate, danish_day, parse_danish_date
from portfolio.forms import DanishDateField
from portfolio.meetings.models import Meeting
from portfolio.projects.models import Project
from tests.conftest import csrf_token, snapshot

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

# Every way the field accepts a day, as a user types it.
WAYS = {
    "dd-mm-åååå": lambda d: f"{d.day:02d}-{d.month:02d}-{d.year:04d}",
    "d-m-åååå": lambda d: f"{d.day}-{d.month}-{d.year:04d}",
    "d/m-åååå": lambda d: f"{d.day}/{d.month}-{d.year:04d}",
    "d.m.åååå": lambda d: f"{d.day}.{d.month}.{d.year:04d}",
    "ddmmåååå": lambda d: f"{d.day:02d}{d.month:02d}{d.year:04d}",
    "ISO": lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}",
}


@given(st.dates(), st.sampled_from(sorted(WAYS)))
def test_every_date_round_trips_through_every_accepted_way_of_typing_it(
    day: date, way: str
) -> None:
    typed = WAYS[way](day)
    assert parse_danish_date(typed) == day
    assert parse_danish_date(f"  {typed} ") == day
    # ... and what the form shows again is read back as the same day
    assert parse_danish_date(danish_day(day)) == day


@given(st.text(max_size=20))
def test_any_text_is_a_date_or_a_value_error(text: str) -> None:
    try:
        parsed = parse_danish_date(text)
    except ValueError:
        return
    assert isinstance(parsed, date)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("08-12-2026", date(2026, 12, 8)),
        ("8-12-2026", date(2026, 12, 8)),
        ("8/12-2026", date(2026, 12, 8)),
        ("8.12.2026", date(2026, 12, 8)),
        ("08122026", date(2026, 12, 8)),  # ddmmåååå, never mmdd: not 12 August
        ("2026-12-08", date(2026, 12, 8)),
        ("29-02-2028", date(2028, 2, 29)),
    ],
)
def test_the_danish_ways_of_writing_8_december(typed: str, expected: date) -> None:
    assert parse_danish_date(typed) == expected


@pytest.mark.parametrize(
    "typed", ["31-02-2026", "29-02-2026", "00-12-2026", "08-13-2026", "2026-02-30", "32122026"]
)
def test_a_day_the_calendar_does_not_have_is_impossible(typed: str) -> None:
    with pytest.raises(ImpossibleDate):
        parse_danish_date(typed)


@pytest.mark.parametrize(
    "typed",
    ["", "i morgen", "08-12-26", "8122026", "12/08/2026 kl. 10", "2026/12/08", "٠٨-١٢-٢٠٢٦"],
)
def test_text_that_is_no_date_is_refused(typed: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_danish_date(typed)
    assert not isinstance(refused.value, ImpossibleDate)


def test_every_form_types_its_dates_into_the_danish_field() -> None:
    for info in pkgutil.walk_packages(portfolio.__path__, "portfolio."):
        module = importlib.import_module(info.name)
        for form in vars(module).values():
            if not (isinstance(form, type) and issubclass(form, Form)):
                continue
            for name, value in vars(form).items():
                if isinstance(value, UnboundField) and issubclass(value.field_class, DateField):
                    assert issubclass(value.field_class, DanishDateField), f"{form}.{name}"
    for template in TEMPLATES.rglob("*.html"):
        assert not re.search(r"type=.date\b", template.read_text()), template


class _Page(HTMLParser):
    """The page's inputs and hint/error paragraphs, by id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.inputs: dict[str, dict[str, str | None]] = {}
        self.texts: dict[str, str] = {}
        self._open: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("id"):
            self.inputs[str(found["id"])] = found
        elif tag == "p" and found.get("id"):
            self._open = str(found["id"])
            self.texts[self._open] = ""

    def handle_data(self, data: str) -> None:
        if self._open:
            self.texts[self._open] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._open = None

    def described(self, field_id: str) -> str:
        ids = str(self.inputs[field_id].get("aria-describedby") or "").split()
        return " ".join(" ".join(self.texts[i].split()) for i in ids)


def test_the_date_box_is_text_for_digits_and_says_its_format(client: FlaskClient) -> None:
    page = _Page(client.get("/moeder/").get_data(as_text=True))
    box = page.inputs["meeting_date"]
    assert box["type"] == "text"
    assert box["inputmode"] == "numeric"
    assert box["autocomplete"] == "off"
    assert "Skriv datoen som dd-mm-åååå, fx 08-12-2026" in page.described("meeting_date")


@pytest.mark.parametrize("typed", ["08122026", "8/12-2026", "8.12.2026", "2026-12-08"])
def test_a_meeting_typed_any_danish_way_is_held_on_8_december(
    client: FlaskClient, session: Session, typed: str
) -> None:
    token = csrf_token(client, "/moeder/")
    response = client.post(
        "/moeder/", data={"csrf_token": token, "meeting_date": typed, "mode": "complete"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/moeder/2026-12-08")
    assert session.exec(select(Meeting.meeting_date)).all() == [date(2026, 12, 8)]


def test_an_impossible_date_is_refused_at_the_field_in_danish(
    client: FlaskClient, session: Session
) -> None:
    token = csrf_token(client, "/moeder/")
    before = snapshot(session)
    response = client.post(
        "/moeder/", data={"csrf_token": token, "meeting_date": "31-02-2026", "mode": "complete"}
    )
    assert response.status_code == 400
    page = _Page(response.get_data(as_text=True))
    assert page.inputs["meeting_date"]["value"] == "31-02-2026"  # exactly as typed
    assert page.inputs["meeting_date"]["aria-invalid"] == "true"
    assert "Datoen 31-02-2026 findes ikke i kalenderen" in page.texts["meeting_date-error"]
    assert "31-02-2026 findes ikke" in page.described("meeting_date")
    assert snapshot(session) == before


def test_dates_come_back_the_danish_way_after_an_error_elsewhere(
    client: FlaskClient, session: Session
) -> None:
    token = csrf_token(client, "/projekter/ny")
    response = client.post(
        "/projekter/ny",
        data={
            "csrf_token": token,
            "name": "Digital dørtelefon",
            "budget_dkk": "en del",
            "start_date": "08122026",
            "end_date": "2027-06-30",
            "baseline_end_date": "i morgen",
        },
    )
    page = _Page(response.get_data(as_text=True))
    assert page.inputs["start_date"]["value"] == "08-12-2026"
    assert page.inputs["end_date"]["value"] == "30-06-2027"
    assert page.inputs["baseline_end_date"]["value"] == "i morgen"
    assert "Skriv datoen som dd-mm-åååå" in page.texts["baseline_end_date-error"]
    assert session.exec(select(Project)).all() == []


def test_a_stored_date_is_shown_the_danish_way_on_the_edit_form(
    client: FlaskClient, make_project
) -> None:
    project = make_project(end_date=date(2026, 12, 8))
    page = _Page(client.get(f"/projekter/{project.id}/rediger").get_data(as_text=True))
    assert page.inputs["end_date"]["value"] == "08-12-2026"
    assert page.inputs["start_date"].get("value", "") == ""
