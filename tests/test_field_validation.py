"""One rule per field wherever the value comes from: the web form, a sheet and the services
refuse the same links, lengths and control characters, and a bad link already stored is shown
as text, never as a link."""

from __future__ import annotations

import html as html_module
import re
from collections.abc import Callable
from io import BytesIO
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlmodel import Session

from importers.fields import MAX_LENGTHS, FieldError, check_link, safe_link
from importers.workbook import read_workbook
from portfolio.domain import ChangeSource
from portfolio.imports import services as import_svc
from portfolio.projects.models import Department, Person, Project
from portfolio.projects.services import create_project, update_project
from tests.conftest import snapshot
from tests.importer_fixtures import portfolio, project

BAD_LINKS = (
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "https://",
    "https:///sti",
    "https:\\\\evil.example",
    "https://kommune .sharepoint.com/",
    "kommune.sharepoint.com/sites/it",
)
GOOD_LINK = "https://kommune.sharepoint.com/sites/it/procesark/7?a=1&b=2#top"
LINK_COLUMN = "P"  # the sheet's 16th column
SCHEME_MESSAGE = "Linket skal begynde med http:// eller https://."


def _text(response: Any) -> str:
    return html_module.unescape(response.get_data(as_text=True))


def _form(client: FlaskClient, page: str, **values: str) -> dict[str, str]:
    html = client.get(page).get_data(as_text=True)
    hidden = dict(re.findall(r'<input[^>]*name="(csrf_token|version)"[^>]*value="([^"]*)"', html))
    base = {"name": "Kørselsapp", "scope": "municipal", "kind": "strategic", "phase": "analysis"}
    return {**base, **hidden, **values}


# --- the shared rule ------------------------------------------------------------------------------


@pytest.mark.parametrize("link", BAD_LINKS)
def test_the_link_rule_takes_only_http_and_https_addresses(link: str) -> None:
    with pytest.raises(FieldError):
        check_link(link.strip())
    assert safe_link(link) is None


@pytest.mark.parametrize(
    "link", [GOOD_LINK, "http://intranet/side", "HTTPS://KOMMUNE.DK", "https://[::1]:8080/"]
)
def test_the_link_rule_keeps_web_addresses(link: str) -> None:
    assert check_link(link) == link
    assert safe_link(f" {link} ") == link


def test_the_lengths_are_the_database_columns_lengths() -> None:
    table = Project.__table__  # type: ignore[attr-defined]
    names = {"department": Department.__table__, "process_owner": Person.__table__}  # type: ignore[attr-defined]
    names["project_lead"] = names["process_owner"]
    for name, limit in MAX_LENGTHS.items():
        column = names[name].c["name"] if name in names else table.c[name]
        length = getattr(column.type, "length", None)
        assert length in (None, limit), f"{name}: the column holds {length}, the rule {limit}"


# --- the web form ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:x", "data:,x"]
)
def test_the_form_refuses_a_link_that_is_no_web_address(
    client: FlaskClient, session: Session, make_project: Callable[..., Project], link: str
) -> None:
    existing = make_project(name="Bilagsapp")
    before = snapshot(session)
    for page in ("/projekter/ny", f"/projekter/{existing.id}/rediger"):
        response = client.post(page, data=_form(client, page, link=link))
        text = _text(response)
        assert response.status_code == 200, page
        assert SCHEME_MESSAGE in text, page
    assert snapshot(session) == before


def test_the_form_refuses_a_text_longer_than_its_field_and_says_how_long(
    client: FlaskClient, session: Session
) -> None:
    before = snapshot(session)
    data = _form(client, "/projekter/ny", name="x" * 301, status_comment="y" * 4001)
    text = _text(client.post("/projekter/ny", data=data))
    assert "Teksten er for lang (301 tegn) – Projektnavn må højst have 300 tegn." in text
    assert "Statuskommentar må højst have 4000 tegn." in text
    assert snapshot(session) == before


def test_the_form_tells_the_browser_each_fields_limit(client: FlaskClient) -> None:
    html = client.get("/projekter/ny").get_data(as_text=True)
    for name in ("name", "case_number", "department", "link"):
        assert re.search(rf'<input[^>]*maxlength="{MAX_LENGTHS[name]}"[^>]*name="{name}"', html), (
            name
        )


def test_the_form_saves_a_web_address(client: FlaskClient, session: Session) -> None:
    response = client.post("/projekter/ny", data=_form(client, "/projekter/ny", link=GOOD_LINK))
    assert response.status_code == 302
    stored = session.exec(sa.select(Project.link)).one()  # type: ignore[call-overload]
    assert stored == (GOOD_LINK,)


# --- the importer ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:x", "data:,x"]
)
def test_a_bad_link_in_a_sheet_is_a_problem_on_its_cell(link: str) -> None:
    result = read_workbook(portfolio(project(link=link)))
    problems = [p for p in result.problems if p.field == "link"]
    assert [(p.cell, p.message) for p in problems] == [(f"{LINK_COLUMN}2", SCHEME_MESSAGE)]
    assert "link" not in result.rows[0].values


def test_a_hyperlink_to_a_script_is_not_taken_as_the_link() -> None:
    def tweak(ws: Any) -> None:
        ws[f"{LINK_COLUMN}2"].hyperlink = "javascript:alert(1)"  # text: a web address
        ws[f"{LINK_COLUMN}3"].hyperlink = "javascript:alert(2)"  # text: a word
        ws[f"{LINK_COLUMN}4"].hyperlink = GOOD_LINK  # text: a word; the target is the link
        ws["B5"].hyperlink = "vbscript:msgbox(1)"  # on the name, no link column value

    data = portfolio(
        project(case_number="1", name="A", link="https://kommune.sharepoint.com/a"),
        project(case_number="2", name="B", link="Procesark"),
        project(case_number="3", name="C", link="Procesark"),
        project(case_number="4", name="D", link=None),
        tweak=tweak,
    )
    result = read_workbook(data)
    links = {row.values["name"]: row.values.get("link") for row in result.rows}
    assert links == {"A": "https://kommune.sharepoint.com/a", "B": None, "C": GOOD_LINK, "D": None}
    assert [(p.cell, p.value) for p in result.problems] == [(f"{LINK_COLUMN}3", "Procesark")]


def test_a_control_character_excel_wrote_as_an_escape_is_a_problem_on_its_cell() -> None:
    # Excel keeps control characters in its XML as _xHHHH_; read back they are the real thing.
    result = read_workbook(portfolio(project(name="Bilags_x0000_app", department="Øko_x0007_")))
    assert [(p.cell, p.value) for p in result.problems] == [
        ("B2", "Bilags_x0000_app"),
        ("E2", "Øko_x0007_"),
    ]
    assert all("som ikke kan gemmes" in p.message for p in result.problems)


def test_a_too_long_comment_in_a_sheet_is_a_problem_like_in_the_form() -> None:
    result = read_workbook(portfolio(project(status_comment="y" * 4001)))
    assert [p.cell for p in result.problems] == ["J2"]
    assert "Statuskommentar må højst have 4000 tegn." in result.problems[0].message


def test_a_sheet_with_a_bad_link_is_shown_in_the_preview_and_not_applied(
    client: FlaskClient, session: Session
) -> None:
    data = portfolio(project(link="JaVaScRiPt:alert(1)"))
    before = snapshot(session)
    page = client.get("/import/")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert token
    upload = client.post(
        "/import/",
        data={"csrf_token": token.group(1), "file": (BytesIO(data), "portefolje.xlsx")},
        content_type="multipart/form-data",
    )
    preview_url = upload.headers["Location"]
    html = _text(client.get(preview_url))
    assert f"{LINK_COLUMN}2" in html and SCHEME_MESSAGE in html
    fingerprint = import_svc.preview_import(session, read_workbook(data)).fingerprint()
    session.rollback()
    applied = client.post(
        f"{preview_url}/anvend",
        data={"csrf_token": token.group(1), "fingerprint": fingerprint},
        follow_redirects=True,
    )
    assert "Intet er importeret" in _text(applied)
    assert snapshot(session) == before


# --- the services ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("link", "javascript:alert(1)"),
        ("link", " JaVaScRiPt:alert(1)"),
        ("link", "data:text/html,x"),
        ("name", "x" * 301),
        ("name", "Bilags\x00app"),
        ("department", "Økonomi\x00"),
        ("description", "\x07"),
        ("budget_dkk", 10**15),
        ("budget_dkk", -1),
    ],
)
def test_the_services_refuse_what_the_form_and_the_sheet_refuse(
    session: Session, make_project: Callable[..., Project], field: str, value: object
) -> None:
    existing = make_project(name="Bilagsapp")
    before = snapshot(session)
    data = {"name": "Kørselsapp", "scope": "municipal", "kind": "strategic", "phase": "idea"}
    with pytest.raises(ValueError, match=r"[æøå]|tegn|http") as refused:
        create_project(
            session=session, data={**data, field: value}, actor="cli", source=ChangeSource.cli
        )
    assert isinstance(refused.value, FieldError) and refused.value.field == field
    session.rollback()
    with pytest.raises(FieldError):
        update_project(
            session=session,
            project=existing,
            data={field: value},
            actor="cli",
            source=ChangeSource.cli,
        )
    session.rollback()
    assert snapshot(session) == before


# --- the project page -----------------------------------------------------------------------------


@pytest.mark.parametrize("link", ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:,x"])
def test_a_bad_link_already_stored_is_shown_as_text(
    client: FlaskClient, session: Session, make_project: Callable[..., Project], link: str
) -> None:
    stored = make_project(name="Gammelt projekt")
    # A row from before the rule: written past the services, as an old import would have.
    session.execute(sa.update(Project).where(Project.id == stored.id).values(link=link))  # type: ignore[arg-type]
    session.commit()
    html = client.get(f"/projekter/{stored.id}").get_data(as_text=True)
    assert html_module.escape(link.strip()) in html
    assert not re.search(r'<a [^>]*href="\s*(javascript|data):', html, re.IGNORECASE)


def test_a_good_link_is_a_link(client: FlaskClient, make_project: Callable[..., Project]) -> None:
    stored = make_project(name="Nyt projekt", link=GOOD_LINK)
    html = client.get(f"/projekter/{stored.id}").get_data(as_text=True)
    assert f'<a href="{html_module.escape(GOOD_LINK)}"' in html
