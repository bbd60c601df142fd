"""Udrulning in the browser: the grid per role, a cell's page and its chief rules, the
departments' settings, starting a rollout and the project page's rollout section."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from portfolio.domain import ChangeSource, Role, RolloutState
from portfolio.projects.models import Department
from portfolio.rollout.models import Blackout, RolloutCell, RolloutChange
from portfolio.rollout.services import update_cell
from tests.conftest import login, snapshot
from tests.rollout_fixtures import RolloutWorld, make_rollout_world


class _Form(HTMLParser):
    """What a browser would send for the form posting to `action`: its inputs as they stand."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action and a.get("method") == "post"
        if not self.inside or "name" not in a:
            if tag == "option" and self.inside and self._select and "selected" in a:
                self.fields.append((self._select, a.get("value", "")))
            return
        if tag == "input":
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text.removeprefix("\r").removeprefix("\n")))
            self._textarea = None


def form_on(client: FlaskClient, page: str, action: str | None = None) -> list[tuple[str, str]]:
    html = client.get(page).get_data(as_text=True)
    parser = _Form(action or page)
    parser.feed(html)
    assert parser.fields, f"no form posting to {action or page} on {page}"
    return parser.fields


def changed(fields: list[tuple[str, str]], **values: Any) -> list[tuple[str, str]]:
    """The form's fields with some replaced (None: removed; a list: that many values)."""
    out = [(k, v) for k, v in fields if k not in values]
    for key, value in values.items():
        if value is None:
            continue
        for v in value if isinstance(value, list) else [value]:
            out.append((key, str(v)))
    return out


def post(client: FlaskClient, url: str, fields: list[tuple[str, str]]) -> Any:
    from werkzeug.datastructures import MultiDict

    return client.post(url, data=MultiDict(fields))


@pytest.fixture
def world(session: Session, make_project) -> RolloutWorld:
    return make_rollout_world(session, make_project)


def browser(app: Flask, make_user, role: Role | str, person: str | None = None) -> FlaskClient:
    user = make_user(role=role, person=person, name=f"{Role(role).value} {person or ''}".strip())
    client = app.test_client()
    login(client, user.email)
    return client


def cell_of(session: Session, world: RolloutWorld, app: str, department: str) -> RolloutCell:
    session.commit()
    session.expire_all()
    cell = session.exec(
        select(RolloutCell).where(
            RolloutCell.project_id == world.apps[app].id,
            RolloutCell.department_id == world.departments[department].id,
        )
    ).one()
    return cell


def cell_links(html: str) -> set[int]:
    return {int(m) for m in re.findall(r'href="/udrulning/celle/(\d+)"', html)}


def row_of(html: str, department: str) -> str:
    """The grid row of one department (its <tr> … </tr>)."""
    name = department.replace("&", "&amp;")
    match = re.search(rf'<tr>\s*<th scope="row">{re.escape(name)}</th>.*?</tr>', html, re.S)
    assert match, f"no row for {department}"
    return match.group(0)


def departments_in_order(html: str) -> list[str]:
    return [unescape(n) for n in re.findall(r'<th scope="row">([^<]+)</th>', html)]


# --- the grid -----------------------------------------------------------------------------------


def test_the_grid_links_cells_only_where_the_user_may_change_them(
    app: Flask, session: Session, make_user, world: RolloutWorld
) -> None:
    every_cell = set(session.exec(select(RolloutCell.id)).all())
    own = {cell_of(session, world, a, "Børn & Familie").id for a in world.apps}

    reader = browser(app, make_user, Role.reader)
    html = reader.get("/udrulning/").get_data(as_text=True)
    assert ">Udrulning</a>" in html  # the menu item
    assert cell_links(html) == set()
    for name in world.departments:
        assert name.replace("&", "&amp;") in html
    for app_name in world.apps:
        assert app_name in html
    assert "○" in html and "Ikke startet" in html  # symbol and word
    assert "Lise Holm" in html and "420" in html and "1,5" in html  # chief, heads, factor

    chief = browser(app, make_user, Role.owner, "Lise Holm")
    html = chief.get("/udrulning/").get_data(as_text=True)
    assert cell_links(html) == own
    assert cell_links(row_of(html, "Børn & Familie")) == own
    assert cell_links(row_of(html, "Skoler & Uddannelser")) == set()

    editor = browser(app, make_user, Role.editor)
    html = editor.get("/udrulning/").get_data(as_text=True)
    assert cell_links(html) == every_cell
    assert len(every_cell) == len(world.apps) * len(world.departments)


def test_late_cells_say_so_in_words_and_slips_show_the_baseline(
    client: FlaskClient, session: Session, world: RolloutWorld
) -> None:
    today = date.today()
    late = cell_of(session, world, "Bilagsapp", "Miljø & Teknik")
    update_cell(
        session=session,
        cell=late,
        changes={"baseline_go_live": today - timedelta(days=40), "state": "in_progress"},
        actor="test",
        source=ChangeSource.cli,
    )
    update_cell(
        session=session,
        cell=late,
        changes={"planned_go_live": today - timedelta(days=10)},
        actor="test",
        source=ChangeSource.cli,
    )
    session.commit()
    html = client.get("/udrulning/").get_data(as_text=True)
    row = row_of(html, "Miljø & Teknik")
    assert "Forsinket" in row
    assert "30 dage senere" in row
    assert (today - timedelta(days=10)).strftime("%d-%m-%Y") in row
    assert "◑" in row and "I gang" in row
    assert "Forsinket" not in row_of(html, "Børn & Familie")

    only_late = client.get("/udrulning/?late=1").get_data(as_text=True)
    assert departments_in_order(only_late) == ["Miljø & Teknik"]


def test_the_grid_sorts_and_filters_by_its_query_string(
    client: FlaskClient, session: Session, world: RolloutWorld
) -> None:
    by_heads = departments_in_order(client.get("/udrulning/?sort=head_count").get_data(True))
    heads = {name: world.departments[name].head_count or 0 for name in world.departments}
    assert by_heads == sorted(heads, key=lambda n: heads[n])
    down = departments_in_order(client.get("/udrulning/?sort=head_count&dir=desc").get_data(True))
    assert down == list(reversed(by_heads))

    bilag = world.apps["Bilagsapp"]
    dates = {
        "Skoler & Uddannelser": date(2026, 3, 6),
        "Økonomi & Stab": date(2026, 1, 9),
        "Børn & Familie": date(2026, 2, 6),
    }
    for name, day in dates.items():
        update_cell(
            session=session,
            cell=cell_of(session, world, "Bilagsapp", name),
            changes={"planned_go_live": day},
            actor="test",
            source=ChangeSource.cli,
        )
    session.commit()
    by_go_live = departments_in_order(client.get(f"/udrulning/?sort=app-{bilag.id}").get_data(True))
    assert by_go_live == [*sorted(dates, key=lambda n: dates[n]), "Miljø & Teknik"]  # undated last

    one_app = client.get(f"/udrulning/?app={bilag.id}").get_data(as_text=True)
    assert "Bilagsapp" in one_app and "Kørselsapp</a></th>" not in one_app
    assert f'value="{bilag.id}" checked' in one_app  # the filter shows what it filters
    one_dept = client.get("/udrulning/?department=Skoler+%26+Uddannelser").get_data(True)
    assert departments_in_order(one_dept) == ["Skoler & Uddannelser"]

    update_cell(
        session=session,
        cell=cell_of(session, world, "Fraværsapp", "Økonomi & Stab"),
        changes={"state": "live"},
        actor="test",
        source=ChangeSource.cli,
    )
    session.commit()
    live = client.get("/udrulning/?state=live").get_data(as_text=True)
    assert departments_in_order(live) == ["Økonomi & Stab"]
    assert "●" in live and "I drift" in live


# --- a cell --------------------------------------------------------------------------------------


def test_a_chief_changes_their_own_cell_and_it_is_history(
    app: Flask, session: Session, make_user, world: RolloutWorld
) -> None:
    chief = browser(app, make_user, Role.owner, "Lise Holm")
    cell = cell_of(session, world, "Kørselsapp", "Børn & Familie")
    url = f"/udrulning/celle/{cell.id}"
    page = chief.get(url).get_data(as_text=True)
    assert 'name="planned_go_live"' not in page  # the plan is shown, not offered
    assert "Planlagt idriftsættelse" in page
    fields = form_on(chief, url)
    response = post(
        chief,
        url,
        changed(
            fields,
            state="in_progress",
            blocker="Mangler udstyr",
            readiness=["Superbrugere udpeget", "Data klar"],
        ),
    )
    assert response.status_code == 302
    cell = cell_of(session, world, "Kørselsapp", "Børn & Familie")
    assert cell.state == RolloutState.in_progress
    assert cell.blocker == "Mangler udstyr"
    assert cell.readiness_items == ["Superbrugere udpeget", "Data klar"]
    history = session.exec(select(RolloutChange).where(RolloutChange.cell_id == cell.id)).all()
    state_change = next(h for h in history if h.field == "state")
    assert "Lise Holm" in state_change.changed_by
    assert (state_change.old_value, state_change.new_value) == ("not_started", "in_progress")
    assert state_change.source == ChangeSource.web

    page = chief.get(url).get_data(as_text=True)
    history_table = page.split('id="history-heading"')[1]
    assert "Tilstand" in history_table and "Ikke startet" in history_table
    assert "I gang" in history_table and "Lise Holm" in history_table
    assert "Superbrugere udpeget, Data klar" in history_table


def test_a_chief_may_not_touch_another_department_nor_the_plan(
    app: Flask, session: Session, make_user, world: RolloutWorld
) -> None:
    chief = browser(app, make_user, Role.owner, "Lise Holm")
    own = cell_of(session, world, "Bilagsapp", "Børn & Familie")
    other = cell_of(session, world, "Bilagsapp", "Skoler & Uddannelser")
    own_fields = form_on(chief, f"/udrulning/celle/{own.id}")
    page = chief.get(f"/udrulning/celle/{other.id}").get_data(as_text=True)
    assert 'action="/udrulning/celle/' not in page  # read-only: no form at all
    reader = browser(app, make_user, Role.reader)
    before = snapshot(session)

    version = dict(own_fields)["version"]
    token = dict(own_fields)["csrf_token"]
    response = post(
        chief,
        f"/udrulning/celle/{other.id}",
        [("csrf_token", token), ("version", version), ("state", "live")],
    )
    assert response.status_code == 403
    response = post(
        chief,
        f"/udrulning/celle/{own.id}",
        changed(own_fields, state="in_progress", planned_go_live="01-03-2027"),
    )
    assert response.status_code == 403
    assert snapshot(session) == before

    response = post(reader, f"/udrulning/celle/{own.id}", changed(own_fields, state="live"))
    assert response.status_code == 403
    assert snapshot(session) == before


def test_a_stale_cell_form_is_refused_and_nothing_is_saved(
    client: FlaskClient, session: Session, world: RolloutWorld
) -> None:
    cell = cell_of(session, world, "Fraværsapp", "Miljø & Teknik")
    url = f"/udrulning/celle/{cell.id}"
    fields = form_on(client, url)
    update_cell(  # someone else saves in between
        session=session,
        cell=cell,
        changes={"blocker": "Afventer leverandør"},
        actor="en anden",
        source=ChangeSource.cli,
    )
    session.commit()
    before = snapshot(session)
    response = post(client, url, changed(fields, state="live", planned_go_live="05-06-2026"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "ændret af en anden" in page and "Intet er gemt" in page
    assert "Afventer leverandør" in page  # the new values are shown
    assert snapshot(session) == before


def test_an_editor_sets_every_field_and_a_blocker_is_escaped(
    client: FlaskClient, session: Session, world: RolloutWorld
) -> None:
    cell = cell_of(session, world, "Bilagsapp", "Skoler & Uddannelser")
    url = f"/udrulning/celle/{cell.id}"
    hostile = '<script>alert("x")</script>'
    response = post(
        client,
        url,
        changed(
            form_on(client, url),
            planned_start="02-02-2026",
            planned_go_live="27-03-2026",
            users="850",
            blocker=hostile,
            contact="Mette Sørensen",
        ),
    )
    assert response.status_code == 302
    cell = cell_of(session, world, "Bilagsapp", "Skoler & Uddannelser")
    assert cell.planned_go_live == date(2026, 3, 27)
    assert cell.baseline_go_live == date(2026, 3, 27)  # the first plan is the baseline
    assert cell.users == 850 and cell.blocker == hostile and cell.contact_id is not None
    for page in (client.get("/udrulning/"), client.get(url)):
        html = page.get_data(as_text=True)
        assert hostile not in html
        assert "&lt;script&gt;" in html
    assert "Mette Sørensen" in client.get(url).get_data(as_text=True)


# --- departments and apps ------------------------------------------------------------------------


def _department_index(fields: list[tuple[str, str]], department_id: int) -> str:
    for key, value in fields:
        if key.endswith("-department_id") and value == str(department_id):
            return key.removesuffix("-department_id")
    raise AssertionError("department not on the form")


def test_an_editor_saves_department_settings_with_a_decimal_comma(
    app: Flask, session: Session, make_user, world: RolloutWorld
) -> None:
    editor = browser(app, make_user, Role.editor)
    miljo = world.departments["Miljø & Teknik"]
    fields = form_on(editor, "/udrulning/afdelinger")
    prefix = _department_index(fields, miljo.id or 0)
    blackout_labels = [k for k, v in fields if k.startswith(prefix + "-blackouts-") and v == "jul"]
    jul = blackout_labels[0].removesuffix("-label")
    new_row = max(
        int(m.group(1))
        for k, _v in fields
        if (m := re.match(rf"{re.escape(prefix)}-blackouts-(\d+)-label", k))
    )
    response = post(
        editor,
        "/udrulning/afdelinger",
        changed(
            fields,
            **{
                f"{prefix}-implementation_factor": "1,5",
                f"{prefix}-head_count": "275",
                f"{prefix}-chief": "Mette Sørensen",
                f"{jul}-remove": "y",
                f"{prefix}-blackouts-{new_row}-label": "efterårsferie",
                f"{prefix}-blackouts-{new_row}-start": "12-10",
                f"{prefix}-blackouts-{new_row}-end": "16-10",
            },
        ),
    )
    assert response.status_code == 302
    session.commit()
    session.expire_all()
    miljo = session.get(Department, miljo.id)
    assert miljo is not None
    assert miljo.implementation_factor == 1.5 and miljo.head_count == 275
    labels = sorted(
        b.label for b in session.exec(select(Blackout).where(Blackout.department_id == miljo.id))
    )
    assert labels == ["efterårsferie", "juli"]
    # The cells still to be planned follow the new factor: Bilagsapp's 4 weeks × 1,5 = 6.
    assert cell_of(session, world, "Bilagsapp", "Miljø & Teknik").implementation_weeks == 6
    page = editor.get("/udrulning/afdelinger").get_data(as_text=True)
    assert 'value="1,5"' in page and "Mette Sørensen" in page


def _department(session: Session, department_id: int | None) -> Department:
    session.commit()
    session.expire_all()
    found = session.get(Department, department_id)
    assert found is not None
    return found


def test_two_planners_on_the_departments_page_lose_neither_ones_change(
    app: Flask, session: Session, make_user, world: RolloutWorld
) -> None:
    """The page saves every department at once: B, who opened it before A saved, must not
    write Miljø's old settings back over A's change when B saves Børn & Familie."""
    a, b = browser(app, make_user, Role.editor), browser(app, make_user, Role.admin)
    miljo, born = world.departments["Miljø & Teknik"], world.departments["Børn & Familie"]
    seen_by_a, seen_by_b = form_on(a, "/udrulning/afdelinger"), form_on(b, "/udrulning/afdelinger")
    m, f = _department_index(seen_by_a, miljo.id or 0), _department_index(seen_by_b, born.id or 0)
    reply = post(a, "/udrulning/afdelinger", changed(seen_by_a, **{f"{m}-head_count": "275"}))
    assert reply.status_code == 302
    reply = post(b, "/udrulning/afdelinger", changed(seen_by_b, **{f"{f}-head_count": "40"}))
    assert reply.status_code == 302
    assert _department(session, miljo.id).head_count == 275
    assert _department(session, born.id).head_count == 40


def test_a_department_changed_since_the_page_opened_refuses_the_save_and_shows_it_now(
    app: Flask, session: Session, make_user, world: RolloutWorld
) -> None:
    a, b = browser(app, make_user, Role.editor), browser(app, make_user, Role.admin)
    miljo, born = world.departments["Miljø & Teknik"], world.departments["Børn & Familie"]
    seen_by_a, seen_by_b = form_on(a, "/udrulning/afdelinger"), form_on(b, "/udrulning/afdelinger")
    m, f = _department_index(seen_by_a, miljo.id or 0), _department_index(seen_by_b, born.id or 0)
    assert (
        post(
            a, "/udrulning/afdelinger", changed(seen_by_a, **{f"{m}-head_count": "275"})
        ).status_code
        == 302
    )
    before = snapshot(session)
    mine = changed(seen_by_b, **{f"{m}-head_count": "300", f"{f}-implementation_factor": "1,2"})
    reply = post(b, "/udrulning/afdelinger", mine)
    assert reply.status_code == 409
    page = reply.get_data(as_text=True)
    assert "Intet er gemt" in page and "Miljø &amp; Teknik er ændret af en anden" in page
    assert snapshot(session) == before  # neither Miljø's 300 nor Børn's factor
    fields = dict(_parsed(page))
    assert fields[f"{m}-head_count"] == "275"  # Miljø as it is now
    assert fields[f"{f}-implementation_factor"] == "1,2"  # B's other change kept in the form
    # Sent again as the page now stands: B's change to Børn is saved, A's 275 stays.
    assert post(b, "/udrulning/afdelinger", _parsed(page)).status_code == 302
    assert _department(session, miljo.id).head_count == 275
    assert _department(session, born.id).implementation_factor == 1.2


def _parsed(page: str, action: str = "/udrulning/afdelinger") -> list[tuple[str, str]]:
    parser = _Form(action)
    parser.feed(page)
    return parser.fields


def test_department_settings_refuse_bad_values_and_readers(
    app: Flask, session: Session, make_user, world: RolloutWorld
) -> None:
    editor = browser(app, make_user, Role.editor)
    fields = form_on(editor, "/udrulning/afdelinger")
    prefix = _department_index(fields, world.departments["Børn & Familie"].id or 0)
    reader = browser(app, make_user, Role.reader)
    before = snapshot(session)
    response = post(
        editor,
        "/udrulning/afdelinger",
        changed(fields, **{f"{prefix}-implementation_factor": "halvanden"}),
    )
    assert response.status_code == 400
    assert "decimalkomma" in response.get_data(as_text=True)
    assert snapshot(session) == before

    page = reader.get("/udrulning/afdelinger")
    assert page.status_code == 200  # readers see the settings, read-only
    html = page.get_data(as_text=True)
    assert "Lise Holm" in html and 'name="departments-0-chief"' not in html
    response = post(
        reader, "/udrulning/afdelinger", changed(fields, **{f"{prefix}-head_count": "1"})
    )
    assert response.status_code == 403
    assert snapshot(session) == before


def test_an_editor_starts_a_rollout_and_sets_its_base_time(
    client: FlaskClient, session: Session, make_project, world: RolloutWorld
) -> None:
    project = make_project(name="Vagtplanapp")
    page = client.get(f"/projekter/{project.id}").get_data(as_text=True)
    assert "Start udrulning" in page
    fields = form_on(client, f"/projekter/{project.id}", "/udrulning/start")
    response = post(client, "/udrulning/start", fields)
    assert response.status_code == 302
    assert f"app={project.id}" in response.headers["Location"]
    cells = session.exec(select(RolloutCell).where(RolloutCell.project_id == project.id)).all()
    assert len(cells) == len(world.departments)

    url = f"/udrulning/app/{project.id}"
    response = post(
        client, url, changed(form_on(client, url), base_weeks="10", checklist="Data klar\nIT klar")
    )
    assert response.status_code == 302
    session.commit()  # ends the read transaction: what the request committed is seen
    session.expire_all()
    skoler = session.exec(
        select(RolloutCell).where(
            RolloutCell.project_id == project.id,
            RolloutCell.department_id == world.departments["Skoler & Uddannelser"].id,
        )
    ).one()
    assert skoler.implementation_weeks == 20  # 10 weeks × factor 2
    cell_page = client.get(f"/udrulning/celle/{skoler.id}").get_data(as_text=True)
    assert "IT klar" in cell_page and "Superbrugere udpeget" not in cell_page


def test_the_project_page_shows_its_rollout(
    app: Flask, session: Session, make_user, world: RolloutWorld
) -> None:
    update_cell(
        session=session,
        cell=cell_of(session, world, "Bilagsapp", "Økonomi & Stab"),
        changes={"state": "live", "actual_go_live": date(2025, 11, 3)},
        actor="test",
        source=ChangeSource.cli,
    )
    session.commit()
    reader = browser(app, make_user, Role.reader)
    bilag = world.apps["Bilagsapp"]
    html = reader.get(f"/projekter/{bilag.id}").get_data(as_text=True)
    section = html.split('id="rollout-heading"')[1]
    assert "03-11-2025" in section and "●" in section and "I drift" in section
    assert f"/udrulning/?app={bilag.id}" in section
    assert "Start udrulning" not in html
