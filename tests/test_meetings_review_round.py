"""The review round before a meeting, against a real SMTP server: an editor starts it, each
chief gets one mail with their projects, `portfolio send-reminders` reminds only those who have
not reviewed everything, once; the meeting page shows the progress and the pack what is left."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlmodel import Session, select

from portfolio import create_app
from portfolio.domain import ChangeSource, Role
from portfolio.mail.models import MailMessage, MailState
from portfolio.meetings import services as svc
from portfolio.meetings.models import Meeting, ReviewRound
from portfolio.meetings.pack import PackMode
from portfolio.meetings.review_round import (
    default_deadline,
    is_working_day,
    municipal_today,
    reminder_day,
    run_review_pass,
    start_review_round,
    working_days_before,
)
from portfolio.projects.models import Project
from portfolio.projects.services import mark_reviewed, set_archived, update_project
from portfolio.users.models import AuditEntry, User
from tests.conftest import TEST_HASH_METHOD, count_rows, csrf_token, login, snapshot
from tests.smtp_server import BASE_URL, SmtpServer, free_port, smtp_server

PETER, HANNE = "peter.damgaard@kommune.example", "hanne.holm@kommune.example"
MINE = f"{BASE_URL}/projekter/mine"


# --- working days ------------------------------------------------------------------------


def test_the_deadline_counts_working_days_back_over_weekends_and_holidays() -> None:
    # Tuesday 8 December 2026: five working days back is Tuesday 1 December.
    assert working_days_before(date(2026, 12, 8), 5) == date(2026, 12, 1)
    # Wednesday 31 March 2027, after Easter: 2. påskedag, langfredag and skærtorsdag are off.
    assert working_days_before(date(2027, 3, 31), 5) == date(2027, 3, 19)
    # Kristi himmelfartsdag 2027 (6 May) and grundlovsdag (5 June) are no working days.
    assert not is_working_day(date(2027, 5, 6)) and not is_working_day(date(2026, 6, 5))
    assert not is_working_day(date(2026, 12, 24)) and is_working_day(date(2026, 12, 23))
    # The reminder two working days before a Monday deadline is the Thursday before.
    assert reminder_day(date(2026, 12, 14)) == date(2026, 12, 10)
    # A meeting too close for five working days gets today as its suggested deadline.
    assert default_deadline(date(2026, 12, 8), today=date(2026, 12, 4)) == date(2026, 12, 4)


# --- the whole round -----------------------------------------------------------------------


def _meeting_day() -> date:
    """A Tuesday some weeks ahead, whatever day the tests run."""
    day = municipal_today() + timedelta(days=40)
    while day.weekday() != 1:
        day += timedelta(days=1)
    return day


@pytest.fixture
def smtp(app: Flask) -> Iterator[SmtpServer]:
    with smtp_server() as server:
        server.configure(app)
        yield server


@pytest.fixture
def portfolio_with_chiefs(
    session: Session,
    make_project: Callable[..., Project],
    make_user: Callable[..., User],
) -> dict[str, Project]:
    """Peter owns three projects (one archived), Hanne one, Ole (no account) one."""
    projects = {
        "esdh": make_project(
            name="Nyt ESDH-system", status="green", process_owner="Peter Damgaard"
        ),
        "portal": make_project(
            name="Borgerportal <beta> & chat", status="yellow", process_owner="Peter Damgaard"
        ),
        "old": make_project(name="Gammel løsning", process_owner="Peter Damgaard"),
        "aula": make_project(name="Aula", status="green", process_owner="Hanne Holm"),
        "ole": make_project(name="Kørselsapp", process_owner="Ole Olsen"),
    }
    set_archived(
        session=session,
        project=projects["old"],
        archived=True,
        actor="test",
        source=ChangeSource.cli,
    )
    update_project(
        session=session,
        project=projects["esdh"],
        data={"status": "red", "status_comment": "Leverandøren er forsinket"},
        actor="test",
        source=ChangeSource.cli,
    )
    session.commit()
    make_user(role=Role.owner, person="Peter Damgaard", name="Peter Damgaard", email=PETER)
    make_user(role=Role.owner, person="Hanne Holm", name="Hanne Holm", email=HANNE)
    return projects


def _editor(app: Flask, make_user: Callable[..., User]) -> FlaskClient:
    editor = make_user(role=Role.editor, name="Eva Editor", email="eva@kommune.example")
    client = app.test_client()
    login(client, editor.email)
    return client


def _review(session: Session, project: Project, actor: str) -> None:
    session.refresh(project)
    mark_reviewed(session=session, project=project, actor=actor)
    session.commit()


def _send_reminders(runner: FlaskCliRunner, day: date) -> str:
    result = runner.invoke(args=["send-reminders", "--today", day.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def test_an_editor_starts_the_round_every_chief_is_mailed_once_and_reminded_once(
    app: Flask,
    session: Session,
    smtp: SmtpServer,
    portfolio_with_chiefs: dict[str, Project],
    make_user: Callable[..., User],
    runner: FlaskCliRunner,
) -> None:
    projects = portfolio_with_chiefs
    meeting_day = _meeting_day()
    svc.create_meeting(session=session, meeting_date=meeting_day, mode=PackMode.complete, actor="t")
    session.commit()
    page = f"/moeder/{meeting_day.isoformat()}"
    # Peter reviewed the portal before the round: that does not count for the round.
    _review(session, projects["portal"], "Peter Damgaard")

    editor = _editor(app, make_user)
    html = editor.get(page).get_data(as_text=True)
    deadline = working_days_before(meeting_day, 5)
    assert "Start gennemgangsrunden" in html
    assert f'value="{deadline:%d-%m-%Y}"' in html  # the suggested deadline, the Danish way

    response = editor.post(
        f"{page}/gennemgangsrunde",
        data={"csrf_token": csrf_token(editor, page), "deadline": f"{deadline:%d-%m-%Y}"},
    )
    assert response.status_code == 302
    html = editor.get(page).get_data(as_text=True)
    assert "Gennemgangsrunden er startet, og 2 chefer får en mail" in html

    # One mail per chief with an account; Ole has none, the archived project is not listed.
    assert sorted(r for m in smtp.inbox.messages for r in m.rcpt_tos) == [HANNE, PETER]
    [peter] = smtp.inbox.to(PETER)
    title = f"Chefforum {meeting_day.day}."
    assert peter.message["Subject"].startswith("Gennemgå dine projekter før " + title)
    text = peter.text
    assert text.startswith("Kære Peter Damgaard")
    assert f"markér det som gennemset senest {deadline:%d-%m-%Y}" in text
    assert "Dine 2 projekter:" in text and "Gammel løsning" not in text
    assert "- Nyt ESDH-system\n  Status: Rød · Fase: Analyse" in text
    assert "  Ændret siden din seneste gennemgang: Status: Grøn → Rød\n" in text
    assert "- Borgerportal <beta> & chat" in text  # plain text: as typed
    assert "Ingen ændringer siden din seneste gennemgang den " in text
    assert MINE in text
    assert "<strong>Borgerportal &lt;beta&gt; &amp; chat</strong>" in peter.html
    assert f'<a href="{MINE}">' in peter.html
    [hanne] = smtp.inbox.to(HANNE)
    assert "Dit projekt:" in hanne.text and "- Aula" in hanne.text
    assert "Aldrig gennemset" in hanne.text

    # The page shows the progress: nobody has reviewed anything since the round began.
    assert "0 af 2 chefer har gennemset alle deres projekter." in html
    assert "Invitation: sendt" in html

    # Hanne reviews hers; Peter only the ESDH system (the portal's earlier review is older).
    _review(session, projects["aula"], "Hanne Holm")
    _review(session, projects["esdh"], "Peter Damgaard")

    # The day before the reminder's day: nothing; on it: Peter alone, once.
    remind_on = reminder_day(deadline)
    before = working_days_before(remind_on, 1)
    assert "Nye mails: 0. Sendt: 0." in _send_reminders(runner, before)
    assert len(smtp.inbox.messages) == 2
    assert "Nye mails: 1. Sendt: 1." in _send_reminders(runner, remind_on)
    [_, reminder] = smtp.inbox.to(PETER)
    assert reminder.message["Subject"] == (
        f"Påmindelse: gennemgå dine projekter senest {deadline:%d-%m-%Y}"
    )
    assert "disse projekter er endnu ikke markeret som gennemset" in reminder.text
    assert "Borgerportal" in reminder.text and "Nyt ESDH-system" not in reminder.text
    assert MINE in reminder.text
    assert smtp.inbox.to(HANNE) == [hanne]

    # Again, and the next day: nobody is mailed twice for the same reason.
    assert "Nye mails: 0. Sendt: 0." in _send_reminders(runner, remind_on)
    assert "Nye mails: 0. Sendt: 0." in _send_reminders(runner, deadline)
    assert len(smtp.inbox.messages) == 3
    assert count_rows(session, MailMessage) == 3

    html = editor.get(page).get_data(as_text=True)
    assert "1 af 2 chefer har gennemset alle deres projekter." in html
    assert "Påmindelse: sendt" in html
    # The pack says what Peter has not reviewed since the round began.
    pack = editor.get(f"{page}/pakke.html").get_data(as_text=True)
    assert "Procesejernes gennemgang" in pack
    assert "1 projekt er ikke gennemset af sin procesejer, siden runden startede:" in pack
    assert "Borgerportal &lt;beta&gt; &amp; chat</span> (Peter Damgaard)" in pack

    # Starting it again is refused, and nobody is mailed.
    before_snapshot = snapshot(session)
    again = editor.post(
        f"{page}/gennemgangsrunde",
        data={"csrf_token": csrf_token(editor, page), "deadline": f"{deadline:%d-%m-%Y}"},
    )
    assert again.status_code == 409
    assert "allerede startet" in again.get_data(as_text=True)
    assert snapshot(session) == before_snapshot
    assert len(smtp.inbox.messages) == 3
    started = session.exec(select(AuditEntry).where(AuditEntry.action == "review_round_start"))
    assert [e.actor for e in started] == ["Eva Editor <eva@kommune.example>"]

    # Published, the pack keeps what stood unreviewed then, whatever is reviewed afterwards.
    meeting = svc.meeting_by_date(session, meeting_day)
    assert meeting is not None
    svc.publish_meeting(session=session, meeting=meeting, actor="Eva Editor")
    session.commit()
    _review(session, projects["portal"], "Peter Damgaard")
    pack = editor.get(f"{page}/pakke.html").get_data(as_text=True)
    assert "Borgerportal &lt;beta&gt; &amp; chat</span> (Peter Damgaard)" in pack
    # And the round is over: no more mails.
    assert "Gennemgangsrunder: 0. Nye mails: 0." in _send_reminders(runner, remind_on)


def test_a_round_started_without_mail_set_up_is_sent_by_send_reminders(
    app: Flask,
    session: Session,
    portfolio_with_chiefs: dict[str, Project],
    runner: FlaskCliRunner,
) -> None:
    """No SMTP host while the round starts; a closed port on the first run (logged, failed,
    exit 1, nothing lost); the server back on the next run: each chief gets one invitation."""
    meeting_day = _meeting_day()
    meeting = svc.create_meeting(
        session=session, meeting_date=meeting_day, mode=PackMode.complete, actor="t"
    )
    app.config["PUBLIC_BASE_URL"] = BASE_URL
    with app.app_context():
        start_review_round(
            session=session,
            meeting=meeting,
            deadline=default_deadline(meeting_day, municipal_today()),
            actor="Eva Editor",
            today=municipal_today(),
        )
    session.commit()
    assert {m.state for m in session.exec(select(MailMessage))} == {MailState.queued}

    with smtp_server() as server:
        server.configure(app, SMTP_PORT=free_port())
        result = runner.invoke(args=["send-reminders"])
        assert result.exit_code == 1
        # The first mail fails; the server is down, so the other waits untried.
        assert "Sendt: 0. Fejlede: 1." in result.output
        assert "1 mails venter til næste kørsel: mailserveren svarede ikke." in result.output
        session.commit()  # a new read transaction: what the command committed
        session.expire_all()
        rows = session.exec(select(MailMessage).order_by(MailMessage.id)).all()  # type: ignore[arg-type]
        assert [(m.state, m.attempts) for m in rows] == [
            (MailState.failed, 1),
            (MailState.queued, 0),
        ]
        assert "kunne ikke nås" in (rows[0].last_error or "")

        server.configure(app)
        result = runner.invoke(args=["send-reminders"])
        assert result.exit_code == 0, result.output
        assert "Nye mails: 0. Sendt: 2. Fejlede: 0." in result.output
        assert sorted(r for m in server.inbox.messages for r in m.rcpt_tos) == [HANNE, PETER]
        assert "Sendt: 0." in runner.invoke(args=["send-reminders"]).output
        assert len(server.inbox.messages) == 2


def test_send_reminders_without_a_public_address_says_what_to_set(
    app: Flask,
    session: Session,
    portfolio_with_chiefs: dict[str, Project],
    runner: FlaskCliRunner,
) -> None:
    meeting_day = _meeting_day()
    meeting = svc.create_meeting(
        session=session, meeting_date=meeting_day, mode=PackMode.complete, actor="t"
    )
    session.flush()
    session.add(ReviewRound(meeting_id=meeting.id, deadline=meeting_day, started_by="Eva Editor"))
    session.commit()
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 1
    assert "PORTFOLIO_PUBLIC_BASE_URL" in result.output
    assert count_rows(session, MailMessage) == 0


def test_only_those_who_prepare_packs_start_a_round_and_a_bad_deadline_is_refused(
    app: Flask,
    session: Session,
    smtp: SmtpServer,
    portfolio_with_chiefs: dict[str, Project],
    make_user: Callable[..., User],
) -> None:
    meeting_day = _meeting_day()
    svc.create_meeting(session=session, meeting_date=meeting_day, mode=PackMode.complete, actor="t")
    session.commit()
    page = f"/moeder/{meeting_day.isoformat()}"
    owner = app.test_client()
    login(owner, PETER)
    token = csrf_token(owner, "/projekter/mine")
    before = snapshot(session)
    refused = owner.post(f"{page}/gennemgangsrunde", data={"csrf_token": token, "deadline": ""})
    assert refused.status_code == 403

    editor = _editor(app, make_user)
    before = snapshot(session)
    late = meeting_day + timedelta(days=1)
    response = editor.post(
        f"{page}/gennemgangsrunde",
        data={"csrf_token": csrf_token(editor, page), "deadline": f"{late:%d-%m-%Y}"},
    )
    assert response.status_code == 409
    assert "Fristen skal ligge før mødet" in response.get_data(as_text=True)
    response = editor.post(
        f"{page}/gennemgangsrunde",
        data={"csrf_token": csrf_token(editor, page), "deadline": "31-02-2027"},
    )
    assert response.status_code == 400
    assert "findes ikke i kalenderen" in response.get_data(as_text=True)
    assert snapshot(session) == before
    assert smtp.inbox.messages == []

    # The mail server is down as the round starts: the round is saved, the editor is told, and
    # the invitations wait for send-reminders.
    smtp.configure(app, SMTP_PORT=free_port())
    response = editor.post(
        f"{page}/gennemgangsrunde",
        data={"csrf_token": csrf_token(editor, page), "deadline": f"{meeting_day:%d-%m-%Y}"},
    )
    assert response.status_code == 302
    html = editor.get(page).get_data(as_text=True)
    assert "2 mails kunne ikke sendes nu; de prøves igen af portfolio send-reminders." in html
    assert count_rows(session, ReviewRound) == 1 and count_rows(session, MailMessage) == 2


# --- two passes at once on PostgreSQL ------------------------------------------------------


@pytest.fixture
def pg_app(
    request: pytest.FixtureRequest, postgres_database: str, tmp_path: Path
) -> Iterator[Flask]:
    from tests.conftest import _empty_all_tables

    _empty_all_tables(request.getfixturevalue("postgres_cleaner"))
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": postgres_database,
            "SECRET_KEY": "test-secret",
            "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
        }
    )
    app.instance_path = str(tmp_path / "instance")
    yield app
    app.extensions["portfolio_db"].dispose()


@pytest.mark.postgres
def test_two_send_reminders_at_once_send_each_mail_once(pg_app: Flask) -> None:
    from portfolio.projects.services import create_project
    from portfolio.users.services import create_user

    app = pg_app
    meeting_day = _meeting_day()
    deadline = working_days_before(meeting_day, 5)
    with Session(app.extensions["portfolio_db"], expire_on_commit=False) as session:
        chiefs = [f"Chef {n}" for n in range(6)]
        for n, chief in enumerate(chiefs):
            create_project(
                session=session,
                data={
                    "name": f"Projekt {n}",
                    "scope": "municipal",
                    "kind": "strategic",
                    "phase": "analysis",
                    "process_owner": chief,
                },
                actor="test",
                source=ChangeSource.cli,
            )
            session.flush()
            create_user(
                session=session,
                email=f"chef{n}@kommune.example",
                name=chief,
                role=Role.owner,
                password=None,
                person=chief,
            )
        meeting = svc.create_meeting(
            session=session, meeting_date=meeting_day, mode=PackMode.complete, actor="t"
        )
        session.flush()
        # The round began with its invitations recorded but not yet sent (mail was off).
        app.config["PUBLIC_BASE_URL"] = BASE_URL
        with app.app_context():
            start_review_round(
                session=session,
                meeting=meeting,
                deadline=deadline,
                actor="Eva Editor",
                today=municipal_today(),
            )
        session.commit()

    with smtp_server() as server:
        server.configure(app)
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def one_pass() -> None:
            try:
                with app.app_context():
                    start.wait(timeout=30)
                    run_review_pass(reminder_day(deadline))
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=one_pass) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        # Six invitations and six reminders (nobody has reviewed), each exactly once.
        received = sorted(r for m in server.inbox.messages for r in m.rcpt_tos)
        assert received == sorted(2 * [f"chef{n}@kommune.example" for n in range(6)])
        subjects = sorted(m.message["Subject"].split(" ")[0] for m in server.inbox.messages)
        assert subjects == 6 * ["Gennemgå"] + 6 * ["Påmindelse:"]

    with Session(app.extensions["portfolio_db"]) as session:
        rows = session.exec(select(MailMessage)).all()
        assert len(rows) == 12
        assert {(m.state, m.attempts) for m in rows} == {(MailState.sent, 1)}
        assert session.execute(sa.select(sa.func.count()).select_from(Meeting)).scalar_one() == 1


def test_the_word_and_excel_packs_note_what_is_not_reviewed() -> None:
    import io

    import docx
    import openpyxl

    from portfolio.meetings.charts import pack_charts
    from portfolio.meetings.pack import ReviewNote
    from portfolio.meetings.pack_docx import write_pack_docx
    from portfolio.meetings.pack_xlsx import write_pack_xlsx
    from tests.pack_fixtures import make_pack

    pack = make_pack(hostile=False)
    pack.review = ReviewNote(
        started_on=date(2026, 11, 24),
        deadline=date(2026, 12, 1),
        in_round=3,
        unreviewed=[("Aula", "Hanne Holm"), ("=SUM(A1)", "Peter Damgaard")],
    )
    out = io.BytesIO()
    write_pack_docx(pack, pack_charts(pack), out)
    texts = [p.text for p in docx.Document(io.BytesIO(out.getvalue())).paragraphs]
    start = texts.index("Procesejernes gennemgang")
    assert texts[start + 1 : start + 5] == [
        "Gennemgangsrunden startede 24-11-2026 med frist 01-12-2026.",
        "2 projekter er ikke gennemset af deres procesejer, siden runden startede:",
        "Aula (Hanne Holm)",
        "=SUM(A1) (Peter Damgaard)",
    ]

    out = io.BytesIO()
    write_pack_xlsx(pack, pack_charts(pack), out)
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue()))["Ændringer"]
    rows = [tuple(c for c in row if c is not None) for row in sheet.iter_rows(values_only=True)]
    start = rows.index(("Procesejernes gennemgang",))
    assert rows[start + 3 : start + 6] == [
        ("Projekt", "Procesejer"),
        ("Aula", "Hanne Holm"),
        ("=SUM(A1)", "Peter Damgaard"),
    ]
    # Text, never a formula.
    assert sheet.cell(start + 6, 1).data_type == "s"
