"""Input the database cannot hold: NUL bytes and control characters are a Danish 400, ids beyond
INTEGER a 404, a page number with 25 digits the first page, a 30-digit budget a form error;
never a 500, and nothing is saved."""

from __future__ import annotations

import html as html_module
import re
from collections.abc import Callable
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session
from werkzeug.test import TestResponse

from importers.workbook import read_workbook
from portfolio.edge import INT_MAX, parse_int
from portfolio.projects.models import Project
from portfolio.users.models import LoginAttempt
from tests.conftest import count_rows, csrf_token, snapshot
from tests.importer_fixtures import portfolio, project

REFUSED = "Forespørgslen indeholder tegn, som ikke kan gemmes (fx et NUL-tegn)."
PROJECT_FORM = {
    "name": "Ny fraværsapp",
    "case_number": "85.13.00-P20-9-26",
    "scope": "municipal",
    "kind": "operational",
    "department": "Økonomi & Stab",
    "process_owner": "Peter Damgaard",
    "project_lead": "Mette Sørensen",
    "phase": "analysis",
    "status": "yellow",
    "status_comment": "Godt i gang.",
    "start_date": "01-09-2026",
    "end_date": "31-12-2027",
    "baseline_end_date": "31-12-2027",
    "budget_dkk": "1.250.000",
    "description": "Et nyt system\r\nmed to linjer.",
    "link": "https://kommune.sharepoint.com/sites/it/procesark/9",
}


def _text(response: TestResponse) -> str:
    return html_module.unescape(response.get_data(as_text=True))


def _refused(response: TestResponse) -> bool:
    return response.status_code == 400 and REFUSED in _text(response)


def _form(client: FlaskClient, page: str) -> dict[str, str]:
    """The hidden fields the page's form sends (CSRF token, version) and the project's values."""
    html = client.get(page).get_data(as_text=True)
    hidden = dict(re.findall(r'<input[^>]*name="(csrf_token|version)"[^>]*value="([^"]*)"', html))
    return {**PROJECT_FORM, **hidden}


# --- NUL and control characters: 400 in Danish, nothing saved ---------------------------------


def test_a_nul_in_the_login_email_is_refused_without_a_login_attempt(
    anonymous: FlaskClient, session: Session
) -> None:
    token = csrf_token(anonymous, "/login")
    response = anonymous.post(
        "/login",
        data={"csrf_token": token, "email": "ida\x00@kommune.example", "password": "x", "next": ""},
    )
    assert _refused(response), response.get_data(as_text=True)[:500]
    assert "Intet er gemt." in _text(response)
    assert count_rows(session, LoginAttempt) == 0


@pytest.mark.parametrize(
    "url",
    [
        "/projekter/?q=esdh%00",
        "/overblik/?q=%00",
        "/log/?actor=ida%00",
        "/log/?source=web%00",
        "/log/?project=1%00",
        "/projekter/?department=%01",
        "/projekter/?%00=1",
        "/moeder/2026-12%0008",
    ],
)
def test_a_nul_in_a_search_filter_or_path_is_a_danish_400(
    client: FlaskClient, make_project: Callable[..., Project], url: str
) -> None:
    make_project(name="Nyt ESDH-system")
    response = client.get(url)
    assert _refused(response), (url, response.status_code)


def test_a_nul_in_any_project_field_saves_nothing_on_create_or_edit(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    project = make_project(name="Kørselsapp")
    pages = {
        page: _form(client, page) for page in ("/projekter/ny", f"/projekter/{project.id}/rediger")
    }
    before = snapshot(session)
    for field in PROJECT_FORM:
        for page, form in pages.items():
            data = dict(form)
            data[field] = data[field][:3] + "\x00" + data[field][3:]
            response = client.post(page, data=data)
            assert _refused(response), (page, field, response.status_code)
    assert snapshot(session) == before


def test_other_control_characters_are_refused_but_line_breaks_and_tabs_are_kept(
    client: FlaskClient, session: Session
) -> None:
    form = _form(client, "/projekter/ny")
    before = snapshot(session)
    bad = {**form, "status_comment": "Forsinket\x1b[31m"}
    assert _refused(client.post("/projekter/ny", data=bad))
    assert snapshot(session) == before

    good = {**form, "description": "Linje 1\r\n\tLinje 2"}
    response = client.post("/projekter/ny", data=good)
    assert response.status_code == 302
    assert count_rows(session, Project) == 1
    stored = session.get(Project, 1)
    assert stored is not None and stored.description == "Linje 1\n\tLinje 2"


def test_an_upload_whose_file_name_holds_a_nul_is_refused(
    client: FlaskClient, session: Session, app: Flask
) -> None:
    token = csrf_token(client, "/import/")
    before = snapshot(session)
    response = client.post(
        "/import/",
        data={"csrf_token": token, "file": (BytesIO(b"PK\x03\x04"), "portefølje\x00.xlsx")},
        content_type="multipart/form-data",
    )
    assert _refused(response)
    assert snapshot(session) == before


# --- numbers too large for their column ---------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/projekter/99999999999999999999",
        "/projekter/99999999999999999999/rediger",
        f"/projekter/{INT_MAX + 1}",
        f"/import/koersel/{2**63}",
        f"/brugere/{2**63}",
        "/projekter/" + "9" * 5000,
    ],
)
def test_an_id_beyond_integer_is_a_danish_404(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert "Siden findes ikke" in _text(response)


def test_the_largest_integer_id_is_looked_up_and_simply_not_found(client: FlaskClient) -> None:
    response = client.get(f"/projekter/{INT_MAX}")
    assert response.status_code == 404


def test_a_posted_form_to_an_id_beyond_integer_changes_nothing(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    make_project(name="Kørselsapp")
    token = csrf_token(client, "/projekter/ny")
    before = snapshot(session)
    response = client.post(
        f"/projekter/{2**63}/status", data={"csrf_token": token, "status": "red", "version": "1"}
    )
    assert response.status_code == 404
    assert snapshot(session) == before


@pytest.mark.parametrize("page", ["9" * 25, "-3", "0", "abc", "1e9", "٣"])
def test_an_odd_page_number_in_the_log_shows_the_first_page(
    client: FlaskClient, make_project: Callable[..., Project], page: str
) -> None:
    make_project(name="Kørselsapp")
    response = client.get("/log/", query_string={"page": page, "project": "9" * 25})
    assert response.status_code == 200
    assert "Kørselsapp" in _text(response)


@pytest.mark.parametrize("budget", ["9" * 30, "1" + "0" * 15, "1.000.000.000.000.000"])
def test_a_budget_too_large_is_a_form_error_and_saves_nothing(
    client: FlaskClient, session: Session, make_project: Callable[..., Project], budget: str
) -> None:
    project = make_project(name="Kørselsapp")
    pages = {
        page: _form(client, page) for page in ("/projekter/ny", f"/projekter/{project.id}/rediger")
    }
    before = snapshot(session)
    for page, form in pages.items():
        response = client.post(page, data={**form, "budget_dkk": budget})
        text = _text(response)
        assert response.status_code in (200, 400), (page, response.status_code)
        assert "Beløbet er for stort." in text
        assert f'value="{budget}"' in text  # what the user typed is kept
    assert snapshot(session) == before


@pytest.mark.parametrize(
    "budget", ["9" * 30, "1" + "0" * 40, 1e30, 10**15, "1.000.000.000.000.000 kr."]
)
def test_a_budget_too_large_in_a_sheet_is_a_problem_on_its_cell(budget: object) -> None:
    result = read_workbook(portfolio(project(budget_dkk=budget)))
    assert [(p.cell, p.field) for p in result.problems] == [("N2", "budget_dkk")]
    assert "Beløbet er for stort." in result.problems[0].message
    assert result.rows[0].values.get("budget_dkk") is None


def test_the_largest_budget_is_saved(client: FlaskClient, session: Session) -> None:
    data = {**_form(client, "/projekter/ny"), "budget_dkk": "999.999.999.999.999 kr."}
    assert client.post("/projekter/ny", data=data).status_code == 302
    stored = session.get(Project, 1)
    assert stored is not None and stored.budget_dkk == 999_999_999_999_999


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        (" 42 ", 42),
        (str(INT_MAX), INT_MAX),
        (str(INT_MAX + 1), None),
        ("9" * 5000, None),
        ("-1", None),
        ("1.5", None),
        ("٣", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_int_takes_only_plain_numbers_that_fit(text: str | None, expected: int | None):
    assert parse_int(text) == expected
