"""The meeting pages: prepare, edit, publish and minute a pack; who may; and every export."""

from __future__ import annotations

import html as html_module
import re
import zipfile
from collections.abc import Callable
from datetime import date
from io import BytesIO
from pathlib import Path

import docx
import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlmodel import Session, select

from portfolio.domain import ChangeSource, MovementKind, Role
from portfolio.finance.services import add_movement, create_pool
from portfolio.meetings import services as svc
from portfolio.meetings.models import Meeting, MeetingSnapshot
from portfolio.meetings.pack import PackMode
from portfolio.projects.models import Project, StatusUpdate
from portfolio.users.models import User
from tests.conftest import count_rows, csrf_token, login, snapshot, version_on
from tests.pack_fixtures import SCRIPT

DAY = "2026-12-08"
PAGE = f"/moeder/{DAY}"
ACTOR = "test"


def _client(app: Flask, make_user: Callable[..., User], role: Role) -> FlaskClient:
    user = make_user(role=role, person="Peter Damgaard" if role == Role.owner else None)
    client = app.test_client()
    login(client, user.email)
    return client


def _create(session: Session, day: date = date(2026, 12, 8)) -> Meeting:
    meeting = svc.create_meeting(
        session=session, meeting_date=day, mode=PackMode.complete, actor=ACTOR
    )
    session.commit()
    return meeting


def _publish(session: Session, meeting: Meeting) -> None:
    svc.publish_meeting(session=session, meeting=meeting, actor=ACTOR)
    session.commit()


def _form_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    assert match, f"no {name} on the page"
    return match.group(1)


def _textarea(html: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, f"no textarea {name}"
    return html_module.unescape(match.group(1)).strip()


# --- preparing and publishing -------------------------------------------------------------


def test_the_it_department_prepares_edits_and_publishes_a_pack(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    make_project(name="Nyt ESDH-system", status="red")
    make_project(name="Kørselsapp", kind="operational", status="green")
    token = csrf_token(client, "/moeder/")
    response = client.post(
        "/moeder/", data={"csrf_token": token, "meeting_date": "08-12-2026", "mode": "complete"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(PAGE)

    html = client.get(PAGE).get_data(as_text=True)
    for heading in ("Anledning", "Sagsfremstilling", "Indstilling", "Beslutning", "Bilag"):
        assert f">{heading}<" in html
    assert "Til beslutning" in html and "Til orientering" in html
    assert "Nyt ESDH-system" in html and "Kørselsapp" in html
    assert "Kladde" in html

    # Edit the Anledning; the parts left as suggested stay empty, so they follow the portfolio.
    response = client.post(
        f"{PAGE}/tekst",
        data={
            "csrf_token": _form_value(html, "csrf_token"),
            "version": _form_value(html, "version"),
            "title": "Chefforum december",
            "mode": "complete",
            "anledning": "Kvartalsvis status.",
            "sagsfremstilling": _textarea(html, "sagsfremstilling"),
            "indstilling": _textarea(html, "indstilling"),
            "beslutning": "",
            "bilag": _textarea(html, "bilag"),
        },
    )
    assert response.status_code == 302
    session.expire_all()
    meeting = session.exec(select(Meeting)).one()
    assert meeting.anledning == "Kvartalsvis status."
    assert meeting.title == "Chefforum december"
    assert meeting.indstilling == ""  # still the live suggestion

    html = client.get(PAGE).get_data(as_text=True)
    response = client.post(
        f"{PAGE}/offentliggoer",
        data={
            "csrf_token": _form_value(html, "csrf_token"),
            "version": re.findall(r'name="version"[^>]*value="(\d+)"', html)[-1],
            "confirm": "y",
        },
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Pakken er offentliggjort og fastfrosset med 2 projekter" in page
    assert count_rows(session, MeetingSnapshot) == 2
    session.expire_all()
    meeting = session.exec(select(Meeting)).one()
    assert meeting.published_at is not None
    assert "Chefen for Økonomi & Stab indstiller" in meeting.indstilling  # frozen text
    assert "Redigér dagsordenspunktet" not in page and "Notér Chefforums beslutning" in page


def test_publishing_needs_the_confirmation_and_changes_nothing_without_it(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    make_project()
    _create(session)
    html = client.get(PAGE).get_data(as_text=True)
    before = snapshot(session)
    response = client.post(
        f"{PAGE}/offentliggoer",
        data={"csrf_token": _form_value(html, "csrf_token"), "version": "1"},
    )
    assert response.status_code == 400
    assert "Bekræft, at pakken er gennemgået" in response.get_data(as_text=True)
    assert snapshot(session) == before


def test_a_stale_text_form_keeps_the_users_text_and_saves_nothing(
    client: FlaskClient, session: Session
) -> None:
    meeting = _create(session)
    html = client.get(PAGE).get_data(as_text=True)
    token, version = _form_value(html, "csrf_token"), _form_value(html, "version")
    svc.update_meeting(
        session=session, meeting=meeting, data={"anledning": "Kollegas"}, actor=ACTOR
    )
    session.commit()
    before = snapshot(session)
    response = client.post(
        f"{PAGE}/tekst",
        data={
            "csrf_token": token,
            "version": version,
            "anledning": "Min egen tekst",
            "mode": "complete",
        },
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "ændret af en anden" in page
    assert _textarea(page, "anledning") == "Min egen tekst"
    assert snapshot(session) == before


def test_forms_without_csrf_are_refused(client: FlaskClient, session: Session) -> None:
    _create(session)
    before = snapshot(session)
    for url, data in (
        ("/moeder/", {"meeting_date": "09-12-2026", "mode": "complete"}),
        (f"{PAGE}/tekst", {"anledning": "x", "version": "1"}),
        (f"{PAGE}/offentliggoer", {"confirm": "y", "version": "1"}),
        (f"{PAGE}/slet", {}),
    ):
        response = client.post(url, data=data)
        assert response.status_code == 400, url
        assert "Intet er gemt" in response.get_data(as_text=True)
    assert snapshot(session) == before


def test_a_meeting_date_that_is_taken_or_not_a_date_gets_a_message(
    client: FlaskClient, session: Session
) -> None:
    _create(session)
    token = csrf_token(client, "/moeder/")
    before = snapshot(session)
    taken = client.post("/moeder/", data={"csrf_token": token, "meeting_date": "08-12-2026"})
    assert taken.status_code == 400
    assert "Der findes allerede et møde den 08-12-2026" in taken.get_data(as_text=True)
    bad = client.post("/moeder/", data={"csrf_token": token, "meeting_date": "32-13-2026"})
    assert "Skriv datoen som dd-mm-åååå" in bad.get_data(as_text=True)
    assert snapshot(session) == before


def test_a_draft_can_be_deleted_but_a_published_pack_cannot(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    make_project()
    meeting = _create(session)
    token = csrf_token(client, PAGE)
    confirmed = {"csrf_token": token, "confirmed": "ja"}
    assert client.post(f"{PAGE}/slet", data=confirmed).status_code == 302
    assert count_rows(session, Meeting) == 0
    meeting = _create(session)
    _publish(session, meeting)
    before = snapshot(session)
    response = client.post(f"{PAGE}/slet", data=confirmed, follow_redirects=True)
    assert "kan ikke slettes" in response.get_data(as_text=True)
    assert snapshot(session) == before


def test_a_draft_named_as_a_grants_decision_cannot_be_deleted(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    project = make_project()
    meeting = _create(session)
    pool = create_pool(
        session=session,
        actor="test",
        source=ChangeSource.cli,
        name="Puljen",
        owner_body="Digitaliseringsrådet",
        established_on=date(2026, 1, 1),
    )
    for kind, extra in (
        (MovementKind.deposit, {"source": "Budget"}),
        (MovementKind.grant, {"project_id": project.id, "decision_meeting_id": meeting.id}),
    ):
        add_movement(
            session=session, pool=pool, kind=kind, amount_dkk=1000, occurred_on=date(2026, 1, 2),
            actor="test", **extra,
        )  # fmt: skip
    session.commit()
    before = snapshot(session)
    token = csrf_token(client, PAGE)
    response = client.post(
        f"{PAGE}/slet", data={"csrf_token": token, "confirmed": "ja"}, follow_redirects=True
    )
    assert "beslutningen bag en bevilling" in response.get_data(as_text=True)
    assert snapshot(session) == before


# --- flags and decisions --------------------------------------------------------------------


def test_flagging_and_recording_a_decision(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    green = make_project(name="Grønt strategisk projekt", status="green")
    _create(session)
    token = csrf_token(client, PAGE)
    response = client.post(
        f"{PAGE}/projekt/{green.id}/til-beslutning",
        data={"csrf_token": token, "version": version_on(client, PAGE), "flagged": "1"},
        follow_redirects=True,
    )
    assert "sat på til beslutning" in response.get_data(as_text=True)
    meeting = session.exec(select(Meeting)).one()
    pack = svc.build_pack(session, meeting)
    assert [i.project.name for i in pack.for_decision] == ["Grønt strategisk projekt"]

    _publish(session, meeting)
    response = client.post(
        f"{PAGE}/projekt/{green.id}/beslutning",
        data={
            "csrf_token": token,
            "version": version_on(client, PAGE),
            "decision": "Chefforum godkender overgang til udbud.",
        },
        follow_redirects=True,
    )
    assert "Beslutningen er noteret" in response.get_data(as_text=True)
    project_page = client.get(f"/projekter/{green.id}").get_data(as_text=True)
    assert "Chefforums beslutning" in project_page
    assert "Chefforum godkender overgang til udbud." in project_page
    rows = session.exec(select(StatusUpdate).where(StatusUpdate.field == "decision")).all()
    assert len(rows) == 1


def test_a_decision_on_a_draft_is_refused_with_a_message(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    project = make_project()
    _create(session)
    token = csrf_token(client, PAGE)
    before = snapshot(session)
    response = client.post(
        f"{PAGE}/projekt/{project.id}/beslutning",
        data={"csrf_token": token, "version": version_on(client, PAGE), "decision": "For tidligt"},
        follow_redirects=True,
    )
    assert "Beslutninger skrives efter mødet" in response.get_data(as_text=True)
    assert snapshot(session) == before


# --- who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.reader, Role.owner])
def test_chefforum_and_chiefs_read_published_packs_only(
    app: Flask,
    session: Session,
    make_user: Callable[..., User],
    make_project: Callable[..., Project],
    role: Role,
) -> None:
    project = make_project(name="Synligt projekt")
    draft = _create(session, date(2027, 1, 5))
    published = _create(session)
    _publish(session, published)
    client = _client(app, make_user, role)
    listing = client.get("/moeder/").get_data(as_text=True)
    assert published.title in listing and draft.title not in listing
    assert "Nyt møde" not in listing
    assert client.get("/moeder/2027-01-05").status_code == 403
    page = client.get(PAGE).get_data(as_text=True)
    assert "Synligt projekt" in page and "Notér Chefforums beslutning" not in page
    assert client.get(f"{PAGE}/pakke.xlsx").status_code == 200
    assert client.get("/moeder/2027-01-05/pakke.xlsx").status_code == 403
    before = snapshot(session)
    token = csrf_token(client, PAGE)
    for url, data in (
        ("/moeder/", {"meeting_date": "09-12-2026"}),
        (f"{PAGE}/tekst", {"beslutning": "Hacket"}),
        (f"{PAGE}/projekt/{project.id}/beslutning", {"decision": "Hacket"}),
        ("/moeder/2027-01-05/offentliggoer", {"confirm": "y"}),
    ):
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    assert snapshot(session) == before


# --- escaping ---------------------------------------------------------------------------------


def test_user_text_is_escaped_on_the_pack_page(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    make_project(
        name=f"Projekt {SCRIPT}",
        status="red",
        status_comment='<a href="https://evil.example/">x</a>',
    )
    meeting = _create(session)
    svc.update_meeting(session=session, meeting=meeting, data={"anledning": SCRIPT}, actor=ACTOR)
    session.commit()
    html = client.get(PAGE).get_data(as_text=True)
    assert SCRIPT not in html
    assert "&lt;script&gt;" in html
    assert '<a href="https://evil.example/">' not in html
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        assert "<" not in block  # chart labels cannot close the script element


# --- exports ----------------------------------------------------------------------------------


def test_every_export_opens_and_honours_the_filter(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    make_project(name="Skoleprojekt", department="Skoler & Uddannelser", status="red")
    # Green: not named in the frozen Sagsfremstilling, which lists those for decision.
    make_project(name="Byprojekt", department="Miljø & Teknik", status="green")
    _publish(session, _create(session))
    query = "?department=Skoler+%26+Uddannelser"

    xlsx = client.get(f"{PAGE}/pakke.xlsx{query}")
    assert xlsx.status_code == 200
    assert 'filename="chefforum-2026-12-08.xlsx"' in xlsx.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(BytesIO(xlsx.data))
    names = [str(c.value) for row in workbook["Portefølje"].iter_rows() for c in row if c.value]
    assert "Skoleprojekt" in names and "Byprojekt" not in names

    document = docx.Document(BytesIO(client.get(f"{PAGE}/pakke.docx{query}").data))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "Sagsfremstilling" in text and "Skoleprojekt" in cells and "Byprojekt" not in cells

    html = client.get(f"{PAGE}/pakke.html{query}")
    assert html.mimetype == "text/html"
    body = html.get_data(as_text=True)
    assert "Skoleprojekt" in body and "Byprojekt" not in body
    assert "Til beslutning" in body
    assert html.headers["Content-Disposition"].startswith("attachment")


def test_without_chromium_pdf_gets_a_clear_message_and_word_still_works(
    app: Flask,
    client: FlaskClient,
    session: Session,
    make_project: Callable[..., Project],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_project()
    _publish(session, _create(session))
    app.config["CHROMIUM"] = "/nonexistent/chromium"
    monkeypatch.setenv("PATH", "/nonexistent")
    before = snapshot(session)
    response = client.get(f"{PAGE}/pakke.pdf", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "PDF kræver Chromium" in page
    document = docx.Document(BytesIO(client.get(f"{PAGE}/pakke.docx").data))
    assert len(document.inline_shapes) == 0
    assert any("tallene står i tabellen" in p.text for p in document.paragraphs)
    assert snapshot(session) == before


def test_the_cli_writes_the_pack(
    runner: FlaskCliRunner, session: Session, make_project: Callable[..., Project], tmp_path: Path
) -> None:
    make_project(name="Nyt ESDH-system", status="red")
    _create(session)
    out = tmp_path / "pakke.xlsx"
    result = runner.invoke(args=["pack", "--meeting", DAY, "--format", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "kladde" in result.output
    with zipfile.ZipFile(out) as z:
        assert any(n.startswith("xl/charts/") for n in z.namelist())
    missing = runner.invoke(
        args=["pack", "--meeting", "2031-01-01", "--format", "html", "-o", str(out)]
    )
    assert missing.exit_code == 1
    assert "Der er intet møde den 01-01-2031" in missing.output


def test_a_pack_published_from_the_english_ui_is_still_a_danish_document(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    make_project(status="red")
    _create(session)
    client.set_cookie("portfolio_lang", "en")
    html = client.get(PAGE).get_data(as_text=True)
    assert "Publish the pack" in html or "Download as" in html  # the page speaks English
    response = client.post(
        f"{PAGE}/offentliggoer",
        data={"csrf_token": _form_value(html, "csrf_token"), "version": "1", "confirm": "y"},
    )
    assert response.status_code == 302
    session.expire_all()
    meeting = session.exec(select(Meeting)).one()
    assert meeting.indstilling.startswith("Chefen for Økonomi & Stab indstiller,")
    assert "Porteføljen omfatter 1 projekt" in meeting.sagsfremstilling
    document = docx.Document(BytesIO(client.get(f"{PAGE}/pakke.docx").data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:2] == ["Anledning", "Sagsfremstilling"]


def test_publishing_from_a_stale_page_is_refused_and_nothing_is_frozen(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    make_project()
    meeting = _create(session)
    html = client.get(PAGE).get_data(as_text=True)
    svc.update_meeting(session=session, meeting=meeting, data={"anledning": "Ny"}, actor=ACTOR)
    session.commit()
    before = snapshot(session)
    response = client.post(
        f"{PAGE}/offentliggoer",
        data={"csrf_token": _form_value(html, "csrf_token"), "version": "1", "confirm": "y"},
        follow_redirects=True,
    )
    assert "ændret af en anden" in response.get_data(as_text=True)
    assert snapshot(session) == before
    assert count_rows(session, MeetingSnapshot) == 0


def test_demo_reset_clears_meetings_too(
    runner: FlaskCliRunner, session: Session, make_project: Callable[..., Project]
) -> None:
    make_project()
    _publish(session, _create(session))
    result = runner.invoke(args=["demo", "--reset"])
    assert result.exit_code == 0, result.output
    assert count_rows(session, Meeting) == 0
    assert count_rows(session, Project) > 1
