"""The rollout sheet: export, edit in Excel, re-import through preview and all-or-nothing apply."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from html import unescape
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from importers.rollout_sheet import COLUMNS, STATE_LABELS, read_rollout_sheet
from portfolio.domain import LABELS, ChangeSource, Role, RolloutState
from portfolio.rollout import services
from portfolio.rollout.models import RolloutCell, RolloutChange
from tests.conftest import csrf_token, login, snapshot
from tests.importer_fixtures import BILLION_LAUGHS_DTD, entries, replace_entries
from tests.rollout_fixtures import RolloutWorld, make_rollout_world

UPLOAD_PAGE = "/udrulning/ark/"
EXPORT = "/udrulning/ark/eksport"
LETTER = {name: chr(ord("A") + i) for i, (name, _h) in enumerate(COLUMNS)}
HYPERLINK = '=HYPERLINK("https://evil.example","Klik")'


def _cell(session: Session, world: RolloutWorld, app: str, department: str) -> RolloutCell:
    session.commit()  # end the read transaction: see what the requests committed
    session.expire_all()
    return session.exec(
        select(RolloutCell).where(
            RolloutCell.project_id == world.apps[app].id,
            RolloutCell.department_id == world.departments[department].id,
        )
    ).one()


def _set(session: Session, world: RolloutWorld, app: str, department: str, **changes: Any) -> None:
    services.update_cell(
        session=session,
        cell=_cell(session, world, app, department),
        changes=changes,
        actor="testfixture",
        source=ChangeSource.web,
    )
    session.commit()


@pytest.fixture
def world(session: Session, make_project: Callable[..., Any]) -> RolloutWorld:
    """The fixture's three apps in four departments, some cells planned, one live, one
    blocked with a text a spreadsheet would take for a formula, one with line breaks."""
    world = make_rollout_world(session, make_project)
    _set(
        session,
        world,
        "Bilagsapp",
        "Børn & Familie",
        state=RolloutState.in_progress,
        planned_start=date(2021, 1, 4),
        planned_go_live=date(2021, 2, 26),
        blocker="Mangler udstyr\r\ni to afdelinger",
    )
    _set(
        session,
        world,
        "Bilagsapp",
        "Miljø & Teknik",
        state=RolloutState.live,
        planned_go_live=date(2020, 11, 27),
        actual_go_live=date(2020, 12, 4),
    )
    _set(session, world, "Kørselsapp", "Økonomi & Stab", blocker=HYPERLINK)
    _set(session, world, "Fraværsapp", "Skoler & Uddannelser", state=RolloutState.not_relevant)
    return world


def _export(client: FlaskClient) -> bytes:
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return response.data


def _row_of(data: bytes, app: str, department: str) -> int:
    ws = load_workbook(BytesIO(data))["Udrulning"]
    for row in ws.iter_rows(min_row=4):
        if row[0].value == department and row[1].value == app:
            return int(row[0].row)
    raise AssertionError(f"no row for {app} in {department}")


def _edited(data: bytes, edit: Callable[[Any], None]) -> bytes:
    wb = load_workbook(BytesIO(data))
    edit(wb["Udrulning"])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(client: FlaskClient, data: bytes, name: str = "udrulning.xlsx") -> Any:
    return client.post(
        UPLOAD_PAGE,
        data={"csrf_token": csrf_token(client, UPLOAD_PAGE), "file": (BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _preview(client: FlaskClient, data: bytes) -> tuple[str, str]:
    response = _upload(client, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    url = response.headers["Location"]
    return url, client.get(url).get_data(as_text=True)


def _apply(client: FlaskClient, url: str, html: str) -> str:
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', html)
    assert fingerprint
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert token
    done = client.post(
        f"{url}/anvend",
        data={"csrf_token": token.group(1), "fingerprint": fingerprint.group(1)},
        follow_redirects=True,
    )
    return done.get_data(as_text=True)


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


# --- the file ----------------------------------------------------------------------------------


def test_the_sheet_speaks_the_domains_state_words(app: Flask) -> None:
    with app.test_request_context():
        assert {s.value: str(LABELS[s]) for s in RolloutState} == STATE_LABELS


def test_export_has_real_dates_a_state_drop_down_and_an_overview(
    client: FlaskClient, world: RolloutWorld
) -> None:
    data = _export(client)
    wb = load_workbook(BytesIO(data))
    assert wb.sheetnames == ["Udrulning", "Oversigt"]
    ws = wb["Udrulning"]
    assert [c.value for c in ws[3]] == [header for _f, header in COLUMNS]
    row = _row_of(data, "Bilagsapp", "Børn & Familie")
    assert ws[f"{LETTER['planned_go_live']}{row}"].value == datetime(2021, 2, 26)
    assert ws[f"{LETTER['planned_go_live']}{row}"].is_date
    assert ws[f"{LETTER['state']}{row}"].value == "I gang"
    assert ws.max_row - 3 == 12  # 3 apps × 4 departments
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1
    labels = lists[0].formula1.strip('"').split(",")
    assert labels == ["Ikke startet", "Forberedes", "I gang", "I drift", "Udskudt", "Ikke relevant"]
    assert f"{LETTER['state']}{row}" in lists[0].sqref
    overview = wb["Oversigt"]
    values = [c.value for r in overview.iter_rows() for c in r]
    assert datetime(2020, 12, 4) in values  # the live department's actual go-live
    assert "● I drift" in values and "Kørselsapp" in values


def test_a_blocker_that_looks_like_a_formula_is_exported_as_text(
    client: FlaskClient, world: RolloutWorld
) -> None:
    data = _export(client)
    cell = load_workbook(BytesIO(data))["Udrulning"][
        f"{LETTER['blocker']}{_row_of(data, 'Kørselsapp', 'Økonomi & Stab')}"
    ]
    assert cell.value == HYPERLINK and cell.data_type == "s"
    with zipfile.ZipFile(BytesIO(data)) as package:
        assert b"<f>" not in package.read("xl/worksheets/sheet1.xml")


# --- the round trip ----------------------------------------------------------------------------


def test_export_then_import_changes_nothing(
    client: FlaskClient, session: Session, world: RolloutWorld
) -> None:
    data = _export(client)
    rows = read_rollout_sheet(data)
    assert rows.problems == [] and len(rows.rows) == 12
    before = snapshot(session)
    url, html = _preview(client, data)
    assert "Arket svarer til udrulningen i Portefølje: intet ville blive ændret." in html
    assert snapshot(session) == before
    text = _text(_apply(client, url, html))
    assert "Arket er importeret. Intet var ændret." in text
    assert snapshot(session) == before
    assert client.get(url).status_code == 404  # the upload is gone once applied


def test_an_edited_sheet_previews_exactly_its_changes_and_applies_them_with_history(
    client: FlaskClient, session: Session, world: RolloutWorld
) -> None:
    data = _export(client)
    moved = _row_of(data, "Bilagsapp", "Børn & Familie")
    went_live = _row_of(data, "Fraværsapp", "Miljø & Teknik")
    blocked = _row_of(data, "Kørselsapp", "Skoler & Uddannelser")

    def edit(ws: Any) -> None:
        ws[f"{LETTER['planned_go_live']}{moved}"] = datetime(2021, 3, 12)
        ws[f"{LETTER['state']}{went_live}"] = "I drift"
        ws[f"{LETTER['actual_go_live']}{went_live}"] = "15-03-2021"  # typed as text
        ws[f"{LETTER['blocker']}{blocked}"] = "Venter på vinterferien"

    url, html = _preview(client, _edited(data, edit))
    text = _text(html)
    assert "3 ændrede celler" in text and "4 ændrede værdier" in text
    assert f"Udrulning!{LETTER['planned_go_live']}{moved}" in text
    assert "26-02-2021 12-03-2021" in text  # old → new
    assert f"Udrulning!{LETTER['state']}{went_live}" in text and "○ Ikke startet ● I drift" in text
    assert "– Venter på vinterferien" in text
    assert _cell(session, world, "Bilagsapp", "Børn & Familie").planned_go_live == date(2021, 2, 26)

    history_before = len(session.exec(select(RolloutChange)).all())
    done = _text(_apply(client, url, html))
    assert "Arket er importeret: 3 celler er ændret." in done
    assert _cell(session, world, "Bilagsapp", "Børn & Familie").planned_go_live == date(2021, 3, 12)
    live = _cell(session, world, "Fraværsapp", "Miljø & Teknik")
    assert live.state == RolloutState.live and live.actual_go_live == date(2021, 3, 15)
    assert _cell(session, world, "Kørselsapp", "Skoler & Uddannelser").blocker == (
        "Venter på vinterferien"
    )
    new = session.exec(select(RolloutChange).where(col(RolloutChange.id) > history_before)).all()
    assert sorted(c.field for c in new) == [
        "actual_go_live",
        "blocker",
        "planned_go_live",
        "state",
    ]
    assert {c.source for c in new} == {ChangeSource.import_}
    moved_change = next(c for c in new if c.field == "planned_go_live")
    assert (moved_change.old_value, moved_change.new_value) == ("2021-02-26", "2021-03-12")
    # and the sheet exported now reads back unchanged again
    _url, again = _preview(client, _export(client))
    assert "intet ville blive ændret" in again


def test_going_live_without_a_date_shows_todays_date_in_the_preview(
    client: FlaskClient, session: Session, world: RolloutWorld
) -> None:
    data = _export(client)
    row = _row_of(data, "Kørselsapp", "Børn & Familie")

    def edit(ws: Any) -> None:
        ws[f"{LETTER['state']}{row}"] = "I drift"

    url, html = _preview(client, _edited(data, edit))
    assert f"{services.today():%d-%m-%Y}" in _text(html)
    _apply(client, url, html)
    cell = _cell(session, world, "Kørselsapp", "Børn & Familie")
    assert cell.actual_go_live == services.today()


# --- refusals ----------------------------------------------------------------------------------


def _sheet_edit(column: str, app: str, department: str, value: Any) -> Callable[[bytes], bytes]:
    def make(data: bytes) -> bytes:
        row = _row_of(data, app, department)

        def edit(ws: Any) -> None:
            ws[f"{LETTER[column]}{row}"] = value

        return _edited(data, edit)

    return make


def _duplicate(data: bytes) -> bytes:
    def edit(ws: Any) -> None:
        last = ws.max_row
        for col_index in range(1, len(COLUMNS) + 1):
            ws.cell(last + 1, col_index).value = ws.cell(4, col_index).value
        ws.cell(last + 1, 3).value = "Udskudt"

    return _edited(data, edit)


@pytest.mark.parametrize(
    ("change", "column", "message"),
    [
        (
            _sheet_edit("state", "Bilagsapp", "Børn & Familie", "Færdig"),
            "state",
            "“Færdig” er ikke en kendt tilstand – brug Ikke startet, Forberedes",
        ),
        (
            _sheet_edit("planned_go_live", "Bilagsapp", "Børn & Familie", "snart"),
            "planned_go_live",
            "“snart” er ikke en gyldig dato",
        ),
        (
            _sheet_edit("department", "Bilagsapp", "Børn & Familie", "Kultur & Fritid"),
            "department",
            "Afdelingen “Kultur & Fritid” findes ikke i Portefølje",
        ),
        (
            _sheet_edit("project", "Bilagsapp", "Børn & Familie", "Mødeapp"),
            "project",
            "“Mødeapp” har ingen udrulning i Portefølje",
        ),
        (
            _sheet_edit("users", "Bilagsapp", "Børn & Familie", -5),
            "users",
            "“Brugere” skal være mellem 0 og",
        ),
        (
            _sheet_edit("implementation_weeks", "Kørselsapp", "Miljø & Teknik", "=B4*2"),
            "implementation_weeks",
            "har ingen gemt værdi – åbn og gem filen i Excel",
        ),
        (_duplicate, "department", "står også i række 4"),
    ],
)
def test_a_problem_in_a_cell_is_named_by_its_cell_and_nothing_is_written(
    client: FlaskClient,
    session: Session,
    world: RolloutWorld,
    change: Callable[[bytes], bytes],
    column: str,
    message: str,
) -> None:
    edited = change(_export(client))
    before = snapshot(session)
    url, html = _preview(client, edited)
    text = _text(html)
    assert message in text
    assert re.search(rf"Udrulning!{LETTER[column]}\d+", text)
    assert "Importen kan ikke gennemføres, før problemerne er rettet i arket." in text
    assert "Godkend og importér" not in text
    refused = _text(_apply(client, url, html))
    assert "problem(er); ret dem i arket" in refused
    assert snapshot(session) == before


def _with_dtd(data: bytes) -> bytes:
    sheet = entries(data)["xl/worksheets/sheet1.xml"].decode()
    head, _sep, rest = sheet.partition("<worksheet")
    hostile = head + BILLION_LAUGHS_DTD + "<worksheet" + rest.replace("Ikke startet", "&lol9;", 1)
    return replace_entries(data, {"xl/worksheets/sheet1.xml": hostile.encode()})


def _xxe(data: bytes) -> bytes:
    sheet = entries(data)["xl/worksheets/sheet1.xml"].decode()
    head, _sep, rest = sheet.partition("<worksheet")
    dtd = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    return replace_entries(
        data, {"xl/worksheets/sheet1.xml": (head + dtd + "<worksheet" + rest).encode()}
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda _d: b"Afdeling;App\nBorn;Bilagsapp\n", "Filen er en CSV- eller tekstfil"),
        (lambda d: d[: len(d) // 2], "Filen er beskadiget eller ufuldstændig"),
        (_with_dtd, "DTD-entiteter"),
        (_xxe, "DTD-entiteter"),
    ],
)
def test_a_hostile_or_broken_file_is_refused_with_one_danish_sentence(
    client: FlaskClient,
    session: Session,
    world: RolloutWorld,
    make: Callable[[bytes], bytes],
    message: str,
) -> None:
    data = make(_export(client))
    before = snapshot(session)
    response = _upload(client, data)
    assert response.status_code == 422
    text = _text(response.get_data(as_text=True))
    assert message in text and "Intet er ændret i udrulningen." in text
    assert "Traceback" not in text
    assert snapshot(session) == before


def test_a_file_not_named_xlsx_is_refused(client: FlaskClient, world: RolloutWorld) -> None:
    response = _upload(client, _export(client), name="udrulning.csv")
    assert response.status_code == 422
    assert "er ikke en Excel-projektmappe (.xlsx)" in response.get_data(as_text=True)


def test_a_sheet_without_the_rollout_columns_says_which_it_needs(
    client: FlaskClient, world: RolloutWorld
) -> None:
    portfolio = client.get("/projekter/eksport.xlsx")
    assert portfolio.status_code == 200
    response = _upload(client, portfolio.data)
    assert response.status_code == 422
    assert "intet ark med kolonnerne “Afdeling” og “App”" in response.get_data(as_text=True)


def test_a_stale_preview_is_refused_and_nothing_is_written(
    client: FlaskClient, session: Session, world: RolloutWorld
) -> None:
    data = _export(client)
    row = _row_of(data, "Bilagsapp", "Økonomi & Stab")

    def edit(ws: Any) -> None:
        ws[f"{LETTER['blocker']}{row}"] = "Fra arket"

    url, html = _preview(client, _edited(data, edit))
    # someone changes another cell of the grid after the preview was shown
    _set(session, world, "Fraværsapp", "Børn & Familie", users=99)
    before = snapshot(session)
    text = _text(_apply(client, url, html))
    assert "Udrulningen er ændret, siden forhåndsvisningen blev lavet." in text
    assert "Intet er importeret." in text
    assert snapshot(session) == before
    assert "Fra arket" in _text(client.get(url).get_data(as_text=True))  # upload kept


@pytest.mark.parametrize("role", [Role.reader, Role.owner])
def test_only_planners_may_import_but_everyone_may_export(
    app: Flask, session: Session, world: RolloutWorld, make_user: Callable[..., Any], role: Role
) -> None:
    user = make_user(role=role, person="Lise Holm" if role == Role.owner else None)
    client = app.test_client()
    login(client, user.email)
    assert client.get(EXPORT).status_code == 200
    assert client.get(UPLOAD_PAGE).status_code == 403
    before = snapshot(session)
    response = client.post(
        UPLOAD_PAGE,
        data={"file": (BytesIO(b"x"), "udrulning.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert snapshot(session) == before
