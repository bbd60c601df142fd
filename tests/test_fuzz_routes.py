"""Every route, fed odd paths, query strings and form values as each role, on both databases:
never a 5xx, and input the database cannot hold (a NUL byte, an integer too large for its
column) changes nothing."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session
from werkzeug.routing import IntegerConverter, Rule
from wtforms.fields.core import UnboundField

from portfolio import forms
from portfolio.domain import Role
from portfolio.meetings import forms as meeting_forms
from portfolio.meetings.pack import PackMode
from portfolio.meetings.services import create_meeting
from portfolio.projects import forms as project_forms
from portfolio.projects.models import Project
from portfolio.users.forms import LoginForm
from portfolio.users.models import User
from tests.conftest import csrf_token, login, snapshot

ROLES = (Role.admin, Role.editor, Role.owner, Role.reader, None)
INT_MAX = 2**31 - 1  # PostgreSQL INTEGER: ids, versions, pages
BUDGET_MAX = 999_999_999_999_999  # the 15 digits a budget may have
MEETING_DAY = date(2027, 3, 2)

# What the views read from the query string, besides random keys.
QUERY_KEYS = (
    "q",
    "page",
    "sort",
    "dir",
    "status",
    "scope",
    "kind",
    "phase",
    "department",
    "process_owner",
    "archived",
    "next",
    "fmt",
    "project",
    "actor",
    "source",
    "group",
)
# Form keys the views read from request.form directly, not through a form class.
EXTRA_FORM_KEYS = (
    "form_prefix",
    "back",
    "fingerprint",
    "sheet",
    "blanks_clear",
    "archive_missing",
    "p1-status",
    "p1-version",
    "p1-status_comment",
)
VERSIONED = ("version",)
# The numbers each endpoint reads: one too large for its column there must change nothing.
# (Elsewhere a long number is just text: a project may well be called "Projekt 2147483648".)
NUMBERS_READ: dict[str, tuple[str, ...]] = {
    "audit.index": ("page", "project"),
    "projects.create": ("budget_dkk",),
    "projects.edit": ("budget_dkk", *VERSIONED),
    "projects.update_status": VERSIONED,
    "projects.archive": VERSIONED,
    "projects.review": VERSIONED,
    "meetings.edit": VERSIONED,
    "meetings.flag": VERSIONED,
    "meetings.publish": VERSIONED,
    "meetings.decide": VERSIONED,
}


def _form_fields() -> tuple[str, ...]:
    """Every field name of the shared, project and meeting forms and of the login form."""
    classes = [
        cls
        for module in (forms, project_forms, meeting_forms)
        for _name, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, FlaskForm) and cls.__module__ == module.__name__
    ]
    names = {
        name
        for cls in [*classes, LoginForm]
        for name, value in inspect.getmembers(cls)
        if isinstance(value, UnboundField)
    }
    return tuple(sorted(names))


FORM_FIELDS = _form_fields()
# A plausible value for each field, so that a POST with one odd value can reach the database.
PLAUSIBLE: dict[str, str] = {
    "name": "Fuzzprojekt",
    "case_number": "FUZZ-1",
    "scope": "municipal",
    "kind": "strategic",
    "phase": "analysis",
    "status": "green",
    "status_comment": "Ok",
    "start_date": "01-02-2026",
    "end_date": "01-02-2027",
    "budget_dkk": "1.000",
    "link": "https://intranet.kommune.example/fuzz",
    "meeting_date": "01-04-2027",
    "mode": PackMode.complete.value,
    "title": "Fuzzmøde",
    "decision": "Godkendt",
    "flagged": "1",
    "archive": "1",
    "language": "da",
    "confirm": "y",
    "email": "fuzz@kommune.example",
    "password": "forkert-adgangskode",
    "version": "1",
}

PLACEHOLDER = re.compile(r"<(?:[^:<>]+:)?(?P<name>\w+)>")
HUGE = (INT_MAX + 1, 2**63, 10**20, 10**25, 10**30)
SPECIALS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x01\x02\x1f",
    "\x7f",
    "💥",
    "æøå ÆØÅ",
    "\u202e",
    "9999-99-99",
    "0000-00-00",
    "2026-02-30",
    "31-12-9999",
    "-1",
    "0",
    "1e999",
    "NaN",
    "1.5",
    "%00",
    "javascript:alert(1)",
    " JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "<script>alert(1)</script>",
    "'; DROP TABLE project; --",
    "../../etc/passwd",
    "//evil.example",
    "https://",
)
any_int = st.integers(min_value=-(10**30), max_value=10**30)
odd_ints = st.one_of(st.sampled_from(HUGE), any_int).map(str)
long_texts = st.builds(
    lambda piece, count: piece * count,
    st.sampled_from(["x", "ø", "💥", "a\x00", "1"]),
    st.integers(min_value=250, max_value=12_000),
)
with_nul = st.tuples(st.text(max_size=8), st.text(max_size=8)).map("\x00".join)
odd_values = st.one_of(
    st.sampled_from(SPECIALS), st.text(max_size=20), odd_ints, long_texts, with_nul
)


@dataclass
class World:
    """The rows the fuzzer aims at, and a browser logged in as the role under test."""

    role: Role | None
    client: FlaskClient
    project_id: int
    victim_id: int
    token: str
    email: str | None = None
    own_id: int | None = None
    rules: list[Rule] = field(default_factory=list)


@dataclass
class Example:
    method: str
    path: str
    query: list[tuple[str, str]]
    form: dict[str, str]
    # True when it holds input the database cannot hold: then nothing may change.
    poisoned: bool


def _is_overflow(value: str, limit: int) -> bool:
    digits = value.strip().replace(".", "")
    return digits.isdigit() and int(digits) > limit


def _poisoned(endpoint: str, pairs: list[tuple[str, str]], ints: list[str]) -> bool:
    if any("\x00" in key or "\x00" in value for key, value in pairs):
        return True
    if any(int(value) > INT_MAX for value in ints):
        return True
    numbers = NUMBERS_READ.get(endpoint, ())
    for key, value in pairs:
        if key in numbers:
            limit = BUDGET_MAX if key == "budget_dkk" else INT_MAX
            if _is_overflow(value, limit):
                return True
    return False


def _path_value(draw: st.DrawFn, rule: Rule, name: str, world: World) -> tuple[str, bool]:
    """An odd value for one path parameter; the flag says whether it is an int parameter."""
    if isinstance(rule._converters[name], IntegerConverter):
        real = {"project_id": world.project_id, "user_id": world.victim_id}.get(name, 1)
        numbers = st.integers(min_value=-5, max_value=10**30)
        if name == "user_id":  # not the account under test: deactivating it ends the run
            numbers = numbers.filter(lambda n: n != world.own_id)
        number = draw(st.one_of(st.just(real), st.sampled_from(HUGE), numbers))
        return str(number), True
    if name == "day":
        plausible = st.just(MEETING_DAY.isoformat())
    elif name == "fmt":
        # pdf and docx start Chromium: too slow for a fuzz loop, and covered by their own tests.
        plausible = st.sampled_from(["xlsx", "html"])
    elif name == "filename":
        plausible = st.just("css/app.css")
    else:
        plausible = st.nothing()
    return draw(st.one_of(plausible, odd_values)), False


@st.composite
def examples(draw: st.DrawFn, world: World) -> Example:
    rule = draw(st.sampled_from(world.rules))
    methods = sorted((rule.methods or set()) & {"GET", "POST"})
    method = draw(st.sampled_from(methods))
    ints: list[str] = []
    values: dict[str, str] = {}
    for name in sorted(rule.arguments - set(rule.defaults or {})):  # those in the path
        values[name], is_int = _path_value(draw, rule, name, world)
        if is_int:
            ints.append(values[name])
    path = PLACEHOLDER.sub(lambda m: quote(values[m["name"]], safe=""), rule.rule)
    keys = st.one_of(st.sampled_from(QUERY_KEYS), st.text(min_size=1, max_size=6))
    query = draw(st.lists(st.tuples(keys, odd_values), max_size=4))
    form: dict[str, str] = {}
    if method == "POST":
        form = {name: PLAUSIBLE.get(name, "") for name in FORM_FIELDS}
        changed = draw(
            st.dictionaries(
                st.one_of(
                    st.sampled_from(FORM_FIELDS + EXTRA_FORM_KEYS), st.text(min_size=1, max_size=6)
                ),
                odd_values,
                min_size=1,
                max_size=4,
            )
        )
        form.update(changed)
        form["csrf_token"] = world.token
    nul_in_path = any("\x00" in value for value in values.values())
    poisoned = nul_in_path or _poisoned(rule.endpoint, [*query, *form.items()], ints)
    return Example(method, path, query, form, poisoned)


@pytest.fixture(params=ROLES, ids=lambda r: r.value if r else "anonymous")
def world(
    request: pytest.FixtureRequest,
    app: Flask,
    session: Session,
    make_project: Callable[..., Project],
    make_user: Callable[..., User],
) -> World:
    """A project, a draft meeting, another user, and a browser as the role (None: anonymous).
    Set up once per role and database; hypothesis then runs every example against it."""
    role: Role | None = request.param
    project = make_project(name="Mål for fuzzing")
    with app.test_request_context():
        create_meeting(
            session=session, meeting_date=MEETING_DAY, mode=PackMode.complete, actor="fuzz"
        )
    session.commit()
    victim = make_user(role=Role.reader, name="Offer for fuzzing")
    assert project.id is not None and victim.id is not None
    world = World(role, app.test_client(), project.id, victim.id, token="")
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
    # In CI hypothesis is derandomised: every role would draw the same choices. Rotating the
    # routes makes the same choices land on other routes for each role.
    turn = ROLES.index(role) * len(rules) // len(ROLES)
    world.rules = rules[turn:] + rules[:turn]
    if role is None:
        world.token = csrf_token(world.client, "/login")
        return world
    user = make_user(role=role, person="Peter Damgaard" if role == Role.owner else None)
    world.email, world.own_id = user.email, user.id
    login(world.client, user.email)
    world.token = csrf_token(world.client, "/projekter/")
    return world


def _still_logged_in(world: World) -> None:
    """A fuzzed logout must not turn the rest of the run anonymous: log in again."""
    if world.email is not None and world.client.get("/projekter/").status_code != 200:
        login(world.client, world.email)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_route_fails_on_odd_input(world: World, session: Session, data: st.DataObject) -> None:
    example = data.draw(examples(world))
    before = snapshot(session) if example.poisoned else None
    if example.method == "GET":
        response = world.client.get(example.path, query_string=example.query)
    else:
        response = world.client.post(example.path, query_string=example.query, data=example.form)
    body = response.get_data().decode("utf-8", "replace")
    response.close()  # a static file's handle, else an unraisable ResourceWarning
    assert response.status_code < 500, (example, body[:500])
    if before is not None:
        assert snapshot(session) == before, example
    if example.method == "POST":
        _still_logged_in(world)
