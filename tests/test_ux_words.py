"""Words a user understands (issue 16, item 6): who did what, dates, links that say what they
are, the pack's summary, audit values, the new-user form and an import with nothing to do."""

from __future__ import annotations

import getpass
import html as html_module
import re
from collections.abc import Callable
from datetime import date
from io import BytesIO
from pathlib import Path

from flask.testing import FlaskClient, FlaskCliRunner
from sqlmodel import Session, select

from portfolio.domain import ChangeSource, Role
from portfolio.meetings import services as meeting_svc
from portfolio.meetings.pack import PackMode
from portfolio.projects import services as project_svc
from portfolio.projects.models import Project
from portfolio.users import services as user_svc
from portfolio.users.models import User
from tests.conftest import count_rows, csrf_token, snapshot

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "portefolje.xlsx"


def _text(html: str) -> str:
    """The page as a user reads it: no tags, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", html)))


def _cli_import(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["import", str(SAMPLE)])
    assert result.exit_code == 0, result.output


def test_the_header_shows_name_and_role_on_one_line(client: FlaskClient) -> None:
    html = client.get("/projekter/").get_data(as_text=True)
    account = re.search(r'<span class="account-name">(.*?)</span></span>', html, re.S)
    assert account, "no account name in the header"
    assert _text(account.group(1) + "</span>").strip() == "Ida IT-afdeling · Administrator"
    assert "(Administrator (IT-afdelingen))" not in _text(html)


def test_the_command_line_reads_as_words_wherever_actors_show(
    client: FlaskClient, runner: FlaskCliRunner, session: Session
) -> None:
    _cli_import(runner)
    who = f"Kommandolinjen ({getpass.getuser()})"
    project = session.exec(select(Project)).first()
    assert project is not None
    for url in ("/log/", "/import/", f"/projekter/{project.id}"):
        text = _text(client.get(url).get_data(as_text=True))
        assert who in text, url
        assert "cli:" not in text, url


def test_import_run_links_say_what_they_are(client: FlaskClient, runner: FlaskCliRunner) -> None:
    _cli_import(runner)
    html = client.get("/log/").get_data(as_text=True)
    assert '">import nr. 1</a>' in html
    assert "(#1)" not in _text(html) and ">#1<" not in html


def test_an_import_with_nothing_new_offers_no_apply_button(
    client: FlaskClient, runner: FlaskCliRunner, session: Session
) -> None:
    _cli_import(runner)
    before = snapshot(session)
    token = csrf_token(client, "/import/")
    upload = client.post(
        "/import/",
        data={"csrf_token": token, "file": (BytesIO(SAMPLE.read_bytes()), "portefolje.xlsx")},
        content_type="multipart/form-data",
    )
    html = client.get(upload.headers["Location"]).get_data(as_text=True)
    assert "Ingen ændringer – intet at importere" in html
    assert "Godkend og importér" not in html and "/anvend" not in html
    assert snapshot(session) == before


def test_the_pack_says_no_changes_in_words(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    make_project()
    first = meeting_svc.create_meeting(
        session=session, meeting_date=date(2026, 12, 8), mode=PackMode.complete, actor="test"
    )
    meeting_svc.publish_meeting(session=session, meeting=first, actor="test")
    meeting_svc.create_meeting(
        session=session, meeting_date=date(2027, 2, 2), mode=PackMode.complete, actor="test"
    )
    session.commit()
    text = _text(client.get("/moeder/2027-02-02").get_data(as_text=True))
    assert "Ingen ændringer siden mødet 08-12-2026." in text
    assert "sket 0 ændringer" not in text and "forværringer: 0" not in text


def test_audit_values_read_as_words_and_danish_dates(
    client: FlaskClient, session: Session, make_user: Callable[..., User]
) -> None:
    meeting = meeting_svc.create_meeting(
        session=session, meeting_date=date(2026, 12, 8), mode=PackMode.complete, actor="test"
    )
    meeting_svc.delete_meeting(session=session, meeting=meeting, actor="test")
    user = make_user(role=Role.editor, name="Emil Redaktør")
    user_svc.update_user(
        session=session, user=user, name=user.name, role=Role.reader, person=None,
        active=False, password=None, actor="test", source=ChangeSource.web,
    )  # fmt: skip
    session.commit()
    html = client.get("/log/").get_data(as_text=True)
    cells = re.findall(r'<td class="pre">([^<]*)</td>', html)
    assert "08-12-2026" in cells and "2026-12-08" not in cells
    assert "Nej" in cells and "Ja" in cells
    assert "Læser (Chefforum)" in cells and "Redaktør (IT-projektrådet)" in cells
    assert not {"True", "False", "reader", "editor"} & set(cells)


def test_the_new_user_form_fits_a_new_user(client: FlaskClient, session: Session) -> None:
    html = client.get("/brugere/ny").get_data(as_text=True)
    assert re.search(r'<option selected value="reader">|<option value="reader" selected', html)
    assert "Uden adgangskode kan brugeren ikke logge ind." in html
    assert "beholde den nuværende" not in html
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]*css/app[^"]*)"', html)
    assert stylesheet
    with client.get(stylesheet.group(1)) as response:  # a file response: closed after reading
        css = response.get_data(as_text=True)
    assert "input[type=email]" in css and "input[type=password]" in css


def test_the_new_user_form_shows_every_problem_at_once(
    client: FlaskClient, session: Session
) -> None:
    token = csrf_token(client, "/brugere/ny")
    before = count_rows(session, User)
    response = client.post(
        "/brugere/ny",
        data={
            "csrf_token": token,
            "name": "",
            "email": "ida.it@kommune.example",  # the administrator's own e-mail: taken
            "role": "owner",
            "person": "",
            "password": "kort",
        },
    )
    text = _text(response.get_data(as_text=True))
    summary = text[text.index("Brugeren er ikke gemt") :]
    for problem in (
        "Skriv brugerens navn.",
        "Der findes allerede en bruger med e-mailen ida.it@kommune.example.",
        "Adgangskoden skal være mindst 10 tegn.",
        "En procesejer skal knyttes til en person",
    ):
        assert problem in summary, problem
    assert count_rows(session, User) == before


def test_the_edit_form_keeps_its_own_password_hint(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user(role=Role.reader)
    html = client.get(f"/brugere/{user.id}").get_data(as_text=True)
    assert "Lad feltet stå tomt for at beholde den nuværende." in html


def _two_meetings(session: Session, project: Project) -> None:
    """A published meeting, then a change to the project, then a draft for the next one."""
    first = meeting_svc.create_meeting(
        session=session, meeting_date=date(2026, 12, 8), mode=PackMode.complete, actor="test"
    )
    meeting_svc.publish_meeting(session=session, meeting=first, actor="test")
    project_svc.update_project(
        session=session, project=project, data={"status": "red"}, actor="test",
        source=ChangeSource.web,
    )  # fmt: skip
    meeting_svc.create_meeting(
        session=session, meeting_date=date(2027, 2, 2), mode=PackMode.complete, actor="test"
    )
    session.commit()


def test_the_packs_project_names_link_to_their_projects(
    client: FlaskClient,
    runner: FlaskCliRunner,
    session: Session,
    make_project: Callable[..., Project],
    tmp_path: Path,
) -> None:
    project = make_project(name="Bilagsapp & kvitteringer", status="yellow")
    _two_meetings(session, project)
    link = f'<a href="/projekter/{project.id}">Bilagsapp &amp; kvitteringer</a>'
    html = client.get("/moeder/2027-02-02").get_data(as_text=True)
    # for decision (red), in the changes since the last meeting, and in the portfolio table
    assert f'<th scope="row">{link}</th>' in html
    assert f'<span class="change-project">{link}</span>' in html
    assert html.count(link) >= 3
    # The HTML file is opened from disk: made on the web, its links carry the whole address.
    made_on_web = client.get("/moeder/2027-02-02/pakke.html").get_data(as_text=True)
    assert f'<a href="http://localhost/projekter/{project.id}">' in made_on_web
    # The command line knows no address: the names stand as plain text.
    out = tmp_path / "pakke.html"
    result = runner.invoke(
        args=["pack", "--meeting", "2027-02-02", "--format", "html", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    from_cli = out.read_text(encoding="utf-8")
    assert "Bilagsapp &amp; kvitteringer" in from_cli
    assert "/projekter/" not in from_cli


def test_project_values_in_the_audit_log_read_as_words(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    project = make_project(status="green", phase="analysis", scope="municipal", kind="strategic")
    project_svc.update_project(
        session=session, project=project,
        data={"status": "red", "phase": "procurement", "scope": "national", "kind": "operational"},
        actor="test", source=ChangeSource.web,
    )  # fmt: skip
    session.commit()
    html = client.get("/log/").get_data(as_text=True)
    cells = set(re.findall(r'<td class="pre">([^<]*)</td>', html))
    for words in (
        "Grøn",
        "Rød",
        "Analyse",
        "Anskaffelse",
        "Nationalt skal-projekt",
        "Operationelt",
    ):
        assert words in cells, words
    assert not {"green", "red", "analysis", "procurement", "national", "operational"} & cells


def test_the_upload_page_shows_errors_without_document_write(client: FlaskClient) -> None:
    static = Path(__file__).resolve().parents[1] / "portfolio" / "static" / "js"
    for script in static.glob("*.js"):
        assert "document.write" not in script.read_text(encoding="utf-8"), script.name
    token = csrf_token(client, "/import/")
    refused = client.post(
        "/import/",
        data={"csrf_token": token, "file": (BytesIO(b"not a workbook"), "portefolje.xlsx")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    summary = re.search(r'<div class="error-summary"([^>]*)>', html)
    assert summary, "no error summary"
    attributes = summary.group(1)
    assert 'id="upload-error"' in attributes and 'tabindex="-1"' in attributes
    assert "data-focus-on-load" in attributes
    # The page's own scripts: the one that moves the focus is there, none writes the document.
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert any("js/focus" in src for src in scripts)
    for src in scripts:
        with client.get(src) as response:
            assert "document.write" not in response.get_data(as_text=True), src
