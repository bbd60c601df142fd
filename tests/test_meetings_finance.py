"""Funding pools and benefits in Chefforum's pack: the section "Finansiering og gevinster" and
the written orientation "Skriftlig orientering: Digitaliseringsrådets pulje", written from the
ledger, in every pack format, frozen at publishing, its changes in the next pack, and user
text kept as text."""

from __future__ import annotations

import html as html_module
import re
import shutil
import subprocess  # noqa: S404 - poppler's pdftotext with fixed arguments
from collections.abc import Callable
from datetime import date, timedelta
from io import BytesIO
from typing import Any

import docx
import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from portfolio.db import utcnow
from portfolio.domain import MovementKind
from portfolio.exporters.chromium import find_chromium
from portfolio.exporters.sheet import MONEY_FORMAT
from portfolio.finance.services import add_movement, record_measurement
from portfolio.meetings import services as svc
from portfolio.meetings.finance_item import (
    snapshot_from_json,
    snapshot_json,
    suggested_pool_texts,
)
from portfolio.meetings.models import Meeting, MeetingFinanceSnapshot
from portfolio.meetings.pack import PackMode
from portfolio.projects.models import Project
from tests.conftest import IN_CI
from tests.finance_fixtures import FinanceWorld, make_finance_world
from tests.pack_fixtures import FORMULA, SCRIPT, finance_state

ACTOR = "Ida IT-afdeling <ida.it@kommune.example>"
FIRST, SECOND = date(2026, 10, 22), date(2026, 12, 8)
TITLE = "Skriftlig orientering: Digitaliseringsrådets pulje"
INDSTILLING = (
    "Chefen for Økonomi & Stab indstiller,\n1. at Chefforum tager orienteringen til efterretning"
)
GRANTS = "350.000 kr. til Fælles om Målet og 250.000 kr. til Kvalitetskontrol af journalisering"
PARTS = ("Anledning", "Sagsfremstilling", "Indstilling", "Beslutning", "Bilag")


def _meeting(session: Session, day: date, *, include: bool = True) -> Meeting:
    meeting = svc.create_meeting(
        session=session,
        meeting_date=day,
        mode=PackMode.complete,
        actor=ACTOR,
        include_finance=include,
        include_pool_orientation=include,
    )
    session.commit()
    return meeting


def _publish(session: Session, meeting: Meeting) -> None:
    svc.publish_meeting(session=session, meeting=meeting, actor=ACTOR)
    session.commit()


def _export(client: FlaskClient, fmt: str, day: date = SECOND) -> bytes:
    response = client.get(f"/moeder/{day.isoformat()}/pakke.{fmt}")
    assert response.status_code == 200, response.headers.get("Location")
    return response.get_data()


def _page_text(html: str) -> str:
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _docx_texts(data: bytes) -> list[str]:
    doc = docx.Document(BytesIO(data))
    texts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            texts.extend(cell.text for cell in row.cells)
    return texts


def _cells(data: bytes, sheet: str) -> list[Any]:
    ws = openpyxl.load_workbook(BytesIO(data))[sheet]
    return [c for row in ws.iter_rows() for c in row if c.value is not None]


def _more_money(session: Session, world: FinanceWorld) -> None:
    """After a meeting: a new deposit and grant (to the Bilagsapp), a return from Fælles om
    Målet, and a new measurement of the Bilagsapp's hours."""
    today = utcnow().date()
    projects = world.projects
    for kind, amount, project, source in (
        (MovementKind.deposit, 150_000, None, "Budgetaftale 2027"),
        (MovementKind.grant, 100_000, projects["Bilagsapp"].id, None),
        (MovementKind.return_, 50_000, projects["Fælles om Målet"].id, None),
    ):
        add_movement(
            session=session,
            pool=world.pool,
            kind=kind,
            amount_dkk=amount,
            occurred_on=today,
            project_id=project,
            source=source,
            decision_case_number="85.13.00-000-2-26" if kind == MovementKind.grant else None,
            actor=ACTOR,
        )
    record_measurement(
        session=session,
        benefit=world.benefits["Færre timer på bilagshåndtering"],
        measured_on=today - timedelta(days=1),
        value=3600.0,
        actor=ACTOR,
    )
    session.commit()


# --- pure rules --------------------------------------------------------------------------------


def test_the_orientation_is_written_in_the_words_of_the_2018_minutes() -> None:
    state = finance_state()
    texts = suggested_pool_texts(state, state.pools[0], None, None)
    assert "Orientering om status for Digitaliseringsrådets pulje" in texts["anledning"]
    case = texts["sagsfremstilling"]
    assert "Digitaliseringsrådet fremsender hermed status for Digitaliseringsrådets pulje" in case
    assert (
        "Ved etableringen af puljen i 2017 blev der overført 600.000 kr. fra "
        "Digitaliseringsstyregruppen." in case
    )
    assert "350.000 kr. til Fælles om Målet og 250.000 kr. til Kvalitetskontrol" in case
    assert "investeringen såvel som 25 % af de økonomiske gevinster" in case
    assert "75 % til det politiske råderum" in case
    assert "skulle der i alt være ført 200.000 kr. tilbage; der er ført 0 kr. tilbage" in case
    assert "Puljens saldo er 0 kr. pr. 01-12-2026: puljen er opbrugt." in case
    assert "- Korrekt journalisering (Kvalitetskontrol): Delvist realiseret" in case
    assert "Siden mødet" not in case  # nothing to compare with
    assert texts["indstilling"] == INDSTILLING


def test_a_snapshot_reads_back_as_the_same_state_and_text() -> None:
    state = finance_state(note=f"{SCRIPT} {FORMULA}")
    texts = suggested_pool_texts(state, state.pools[0], None, None)
    assert snapshot_from_json(snapshot_json(state, texts)) == (state, texts)


# --- with a database ---------------------------------------------------------------------------


def test_the_section_and_the_item_carry_the_pools_figures(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    make_finance_world(session, make_project)
    meeting = _meeting(session, SECOND)
    pack = svc.build_pack(session, meeting)

    assert pack.finance is not None and pack.pool_orientation is not None
    (pool,) = pack.finance.state.pools
    assert (pool.deposited, pool.granted, pool.returned, pool.balance) == (600_000, 600_000, 0, 0)
    assert pack.finance.changes is None  # the first meeting: nothing to compare with
    titles = [b.title for b in pack.finance.state.benefits_in_order]
    assert titles[0] == "Færre timer på bilagshåndtering"  # behind plan first
    item = pack.pool_orientation
    assert item.title == TITLE
    assert "600.000 kr." in item.sagsfremstilling and GRANTS in item.sagsfremstilling
    assert "Puljens saldo er 0 kr." in item.sagsfremstilling
    assert item.indstilling == INDSTILLING

    text = _page_text(client.get(f"/moeder/{SECOND.isoformat()}").get_data(as_text=True))
    section = text[text.index("Finansiering og gevinster Puljer og gevinster") :]
    assert "Digitaliseringsrådets pulje Digitaliseringsrådet 600.000 kr. 600.000 kr." in section
    assert "Korrekt journalisering i alle afdelinger" in section
    assert "Delvist realiseret" in section
    orientation = text[text.index(f"{TITLE} Til orientering") :]
    positions = [orientation.index(part) for part in PARTS]
    assert positions == sorted(positions)
    assert INDSTILLING.replace("\n", " ") in orientation
    assert "Skrives efter mødet" in orientation  # Beslutning, written after the meeting
    assert "Puljens midler: Digitaliseringsrådets pulje" in orientation  # the chart, a Bilag


def test_a_meeting_takes_up_the_items_from_its_text_form(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    make_finance_world(session, make_project)
    meeting = _meeting(session, SECOND, include=False)
    page = f"/moeder/{SECOND.isoformat()}"
    html = client.get(page).get_data(as_text=True)
    assert TITLE not in _page_text(html)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    version = re.search(r'name="version"[^>]*value="(\d+)"', html)
    assert token and version
    response = client.post(
        f"{page}/tekst",
        data={
            "csrf_token": token.group(1),
            "version": version.group(1),
            "mode": "complete",
            "include_finance": "y",
            "include_pool_orientation": "y",
        },
    )
    assert response.status_code == 302
    session.commit()
    session.expire_all()
    stored = session.get(Meeting, meeting.id)
    assert stored is not None and stored.include_finance and stored.include_pool_orientation
    assert f"{TITLE} Til orientering" in _page_text(client.get(page).get_data(as_text=True))


def _pdf_text(data: bytes, tmp_path: Any) -> str:
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext (poppler-utils) is needed"
    path = tmp_path / "pack.pdf"
    path.write_bytes(data)
    done = subprocess.run(  # noqa: S603
        [pdftotext, str(path), "-"], capture_output=True, check=True, timeout=60
    )
    return " ".join(done.stdout.decode("utf-8").split())


def test_every_format_carries_the_section_and_the_orientation(
    client: FlaskClient, session: Session, make_project: Callable[..., Project], tmp_path: Any
) -> None:
    make_finance_world(session, make_project)
    _meeting(session, SECOND)

    html = _page_text(_export(client, "html").decode("utf-8"))
    assert "Finansiering og gevinster" in html and f"{TITLE} Til orientering" in html
    assert GRANTS in html and INDSTILLING.replace("\n", " ") in html

    xlsx = _export(client, "xlsx")
    section = _cells(xlsx, "Finansiering og gevinster")
    balance = next(c for c in section if c.value == "Digitaliseringsrådets pulje")
    row = [c for c in section if c.row == balance.row]
    assert [c.value for c in row[2:]] == [600_000, 600_000, 0, 0, 0]
    assert all(c.number_format == MONEY_FORMAT for c in row[2:])
    item = _cells(xlsx, "Skriftlig orientering")
    values = [c.value for c in item]
    assert f"{TITLE} – til orientering" in values
    headings = [v for v in values if v in PARTS]
    assert headings[:5] == list(PARTS)
    assert INDSTILLING in values
    assert any(isinstance(v, str) and GRANTS in v for v in values)
    granted = next(c for c in item if c.value == "Bevilget")
    assert item[item.index(granted) + 1].value == 600_000

    texts = _docx_texts(_export(client, "docx"))
    assert "Finansiering og gevinster" in texts and TITLE in texts
    assert any(GRANTS in t for t in texts)
    assert INDSTILLING in texts
    assert "600.000 kr." in texts and "Delvist realiseret" in texts

    if find_chromium(None) is None:
        if IN_CI:
            pytest.fail("Chromium is needed for the PDF pack")
        pytest.skip("Chromium not found")
    pdf = _pdf_text(_export(client, "pdf"), tmp_path)
    assert "Finansiering og gevinster" in pdf and TITLE in pdf
    assert "at Chefforum tager orienteringen til efterretning" in pdf
    assert "Puljens saldo er 0 kr." in pdf


def test_publishing_freezes_the_pool_and_the_benefits(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    world = make_finance_world(session, make_project)
    meeting = _meeting(session, SECOND)
    _publish(session, meeting)
    before = svc.build_pack(session, meeting)
    stored = session.exec(select(MeetingFinanceSnapshot.data)).all()
    html_before = _export(client, "html")

    _more_money(session, world)

    after = svc.build_pack(session, meeting)
    assert after.finance == before.finance and after.pool_orientation == before.pool_orientation
    assert session.exec(select(MeetingFinanceSnapshot.data)).all() == stored
    assert _export(client, "html") == html_before
    assert "Budgetaftale 2027" not in _page_text(html_before.decode("utf-8"))

    # The orientation's Beslutning is written after the meeting, into the published pack.
    page = f"/moeder/{SECOND.isoformat()}"
    html = client.get(page).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    version = re.search(r'name="version"[^>]*value="(\d+)"', html)
    assert token and version
    response = client.post(
        f"{page}/tekst",
        data={
            "csrf_token": token.group(1),
            "version": version.group(1),
            "beslutning": "",
            "pool_beslutning": "Chefforum tog orienteringen til efterretning.",
        },
    )
    assert response.status_code == 302
    session.commit()  # a new read transaction: see what the request wrote
    session.expire_all()
    decided = svc.build_pack(session, session.get(Meeting, meeting.id))  # type: ignore[arg-type]
    assert decided.pool_orientation is not None
    assert decided.pool_orientation.beslutning == "Chefforum tog orienteringen til efterretning."
    assert decided.pool_orientation.state == before.pool_orientation.state  # type: ignore[union-attr]


def test_a_later_pack_lists_the_new_grant_return_and_measurement(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    world = make_finance_world(session, make_project)
    # The first meeting takes up neither, yet freezes the ledger for the next to compare.
    _publish(session, _meeting(session, FIRST, include=False))
    _more_money(session, world)

    later = _meeting(session, SECOND)
    pack = svc.build_pack(session, later)
    assert pack.finance is not None and pack.finance.changes is not None
    changes = pack.finance.changes
    assert [(m.kind, m.project, m.amount_dkk) for m in changes.movements] == [
        (MovementKind.deposit, None, 150_000),
        (MovementKind.grant, "Bilagsapp", 100_000),
        (MovementKind.return_, "Fælles om Målet", 50_000),
    ]
    assert [(m.benefit, m.value) for m in changes.measurements] == [
        ("Færre timer på bilagshåndtering", 3600.0)
    ]
    assert pack.pool_orientation is not None
    assert (
        "Siden mødet 22-10-2026: nye bevillinger 1 (100.000 kr.), tilbageløb 1 (50.000 kr.), "
        "nye målinger og vurderinger af gevinster 1." in pack.pool_orientation.sagsfremstilling
    )
    (pool,) = pack.finance.state.pools
    assert pool.balance == 150_000 - 100_000 + 50_000

    html = _page_text(_export(client, "html").decode("utf-8"))
    assert "Sammenlignet med mødet 22-10-2026." in html
    assert "Nye bevillinger" in html and "100.000 kr. til Bilagsapp" in html
    assert "Tilbageløb til puljen" in html and "50.000 kr. fra Fælles om Målet" in html
    assert "Færre timer på bilagshåndtering (Bilagsapp) : 3.600 timer/år" in html
    assert "(realiseret 40 %)" in html
    texts = _docx_texts(_export(client, "docx"))
    assert any(
        t.startswith("Digitaliseringsrådets pulje: 100.000 kr. til Bilagsapp") for t in texts
    )
    values = [c.value for c in _cells(_export(client, "xlsx"), "Finansiering og gevinster")]
    assert "Nye bevillinger" in values and "Tilbageløb til puljen" in values
    assert "Nye målinger og vurderinger" in values

    # Once published, the later pack keeps the same list, whatever happens next.
    _publish(session, later)
    record_measurement(
        session=session,
        benefit=world.benefits["Færre timer på bilagshåndtering"],
        measured_on=utcnow().date(),
        value=3400.0,
        actor=ACTOR,
    )
    session.commit()
    assert svc.build_pack(session, later).finance == pack.finance


def test_hostile_text_stays_text_in_every_format(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    world = make_finance_world(session, make_project, granted=False)
    hostile = f"{SCRIPT} {FORMULA}"
    add_movement(
        session=session,
        pool=world.pool,
        kind=MovementKind.grant,
        amount_dkk=350_000,
        occurred_on=date(2017, 11, 1),
        project_id=world.projects["Fælles om Målet"].id,
        decision_case_number=FORMULA,
        note=hostile,
        actor=ACTOR,
    )
    record_measurement(
        session=session,
        benefit=world.benefits["Korrekt journalisering i alle afdelinger"],
        measured_on=date(2019, 6, 1),
        assessment="realised",
        comment=FORMULA,
        actor=ACTOR,
    )
    session.commit()
    _meeting(session, SECOND)

    raw = _export(client, "html").decode("utf-8")
    assert SCRIPT not in raw
    assert "&lt;script&gt;alert(" in raw
    assert hostile in _page_text(raw)

    xlsx = _export(client, "xlsx")
    for sheet in ("Finansiering og gevinster", "Skriftlig orientering"):
        cells = _cells(xlsx, sheet)
        assert any(c.value == hostile for c in cells)
        assert not any(c.data_type == "f" for c in cells)
    evidence = next(c for c in _cells(xlsx, "Finansiering og gevinster") if c.value == FORMULA)
    assert evidence.data_type == "s"  # text, never a formula

    texts = _docx_texts(_export(client, "docx"))
    assert any(hostile in t for t in texts)
    assert any(t.endswith(FORMULA) for t in texts)
