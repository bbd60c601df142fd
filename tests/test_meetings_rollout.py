"""The rollout plan as an agenda item til beslutning in Chefforum's pack: its four parts written
from the grid's numbers, in every pack format, frozen at publishing, its changes in the next
pack, and user text kept as text."""

from __future__ import annotations

import html as html_module
import re
import shutil
import subprocess  # noqa: S404 - poppler's pdftotext with fixed arguments
from collections.abc import Callable
from datetime import date, datetime, timedelta
from io import BytesIO
from typing import Any

import docx
import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from portfolio.domain import ChangeSource, RolloutState
from portfolio.exporters.chromium import find_chromium
from portfolio.formats import danish_day
from portfolio.meetings import services as svc
from portfolio.meetings.models import Meeting, MeetingRolloutSnapshot
from portfolio.meetings.pack import PackMode
from portfolio.meetings.rollout_item import (
    REQUEST_QUOTE,
    RolloutChangeKind,
    RolloutPlan,
    compute_rollout_changes,
    rollout_numbers,
    snapshot_from_json,
    snapshot_json,
    suggested_rollout_texts,
)
from portfolio.projects.models import Project
from portfolio.rollout.services import grid_cells, today, update_cell
from tests.conftest import IN_CI
from tests.pack_fixtures import FORMULA, SCRIPT, rollout_plan
from tests.rollout_fixtures import make_rollout_world

ACTOR = "Ida IT-afdeling <ida.it@kommune.example>"
FIRST, SECOND = date(2026, 10, 22), date(2026, 12, 8)
INDSTILLING = (
    "Chefen for Økonomi & Stab indstiller,\n"
    "1. at udrulningsplanen for Bilagsapp, Fraværsapp og Kørselsapp godkendes"
)


# --- pure rules --------------------------------------------------------------------------------


def test_the_numbers_name_first_and_last_go_live_and_the_slower_departments() -> None:
    plan = rollout_plan()
    numbers = rollout_numbers(plan)
    assert numbers.apps == ("Bilagsapp", "Kørselsapp")
    assert numbers.cells == 3  # Ikke relevant is not a rollout
    assert (numbers.live, numbers.late, numbers.unplanned) == (1, 1, 0)
    assert numbers.users == 260 + 900 + 420
    assert numbers.first_go_live == date(2026, 11, 2)  # the live one's actual go-live
    assert numbers.last_go_live == date(2027, 3, 26)
    assert [s.name for s in numbers.slow] == ["Skoler & Uddannelser", "Børn & Familie"]
    assert numbers.common_blackouts == ("juli", "jul")

    texts = suggested_rollout_texts(plan, None, None)
    assert REQUEST_QUOTE in texts["anledning"] and "22-10-2020" in texts["anledning"]
    case = texts["sagsfremstilling"]
    assert "2 apps (Bilagsapp og Kørselsapp) i 3 afdelinger: 3 udrulninger" in case
    assert "1.580 brugere" in case
    assert "Første go-live er 02-11-2026, og sidste go-live er 26-03-2027." in case
    assert (
        "- Skoler & Uddannelser: implementeringstid × 2,0 (8 uger pr. app); desuden ingen "
        "udrulning i vinterferie" in case
    )
    assert "- Børn & Familie: implementeringstid × 1,5 (5 uger pr. app)" in case
    assert "Miljø & Teknik:" not in case
    assert "Ingen afdeling får en udrulning i juli og jul." in case
    assert texts["indstilling"].startswith(
        "Chefen for Økonomi & Stab indstiller,\n"
        "1. at udrulningsplanen for Bilagsapp og Kørselsapp godkendes"
    )
    # Something is live and something late: Chefforum is also told the status.
    assert (
        "2. at orienteringen om udrulningens status tages til efterretning"
        in (texts["indstilling"])
    )
    assert "Siden mødet" not in case  # nothing to compare with


def test_changes_between_two_plans_are_go_lives_slips_in_days_and_new_blockers() -> None:
    before = rollout_plan(blocker="Mangler superbrugere")
    rows = {r.cell_id: r for r in before.rows}
    after = RolloutPlan(
        taken_on=date(2027, 1, 10),
        rows=(
            rows[1],
            # Slipped three weeks; the same blocker as before is not new.
            rows[2].__class__(**{**rows[2].__dict__, "planned_go_live": date(2027, 4, 16)}),
            rows[3].__class__(
                **{
                    **rows[3].__dict__,
                    "state": RolloutState.live,
                    "actual_go_live": date(2026, 12, 14),
                    "late": False,
                }
            ),
            rows[4].__class__(**{**rows[4].__dict__, "blocker": "Ikke relevant alligevel"}),
        ),
        departments=before.departments,
    )
    changes = compute_rollout_changes(before, after)
    assert [(c.kind, c.project, c.department) for c in changes] == [
        (RolloutChangeKind.live, "Kørselsapp", "Børn & Familie"),
        (RolloutChangeKind.moved, "Bilagsapp", "Skoler & Uddannelser"),
    ]
    assert changes[1].days == 21 and changes[1].worsening

    blocked = RolloutPlan(
        taken_on=after.taken_on,
        rows=tuple(
            r.__class__(**{**r.__dict__, "blocker": "Ny blokering"}) if r.cell_id == 2 else r
            for r in after.rows
        ),
        departments=after.departments,
    )
    kinds = [c.kind for c in compute_rollout_changes(before, blocked)]
    assert kinds.count(RolloutChangeKind.blocker) == 1
    texts = suggested_rollout_texts(blocked, compute_rollout_changes(before, blocked), FIRST)
    assert (
        "Siden mødet 22-10-2026: nye go-lives 1, skredne go-lives 1, nye blokeringer 1"
        in texts["sagsfremstilling"]
    )


def test_a_snapshot_reads_back_as_the_same_plan_and_text() -> None:
    plan = rollout_plan(blocker=f"{SCRIPT} {FORMULA}")
    texts = suggested_rollout_texts(plan, None, None)
    assert snapshot_from_json(snapshot_json(plan, texts)) == (plan, texts)


# --- with a database ---------------------------------------------------------------------------


def _cell(session: Session, app: str, department: str) -> Any:
    return next(
        c.cell for c in grid_cells(session) if c.project == app and c.department == department
    )


def _set(session: Session, app: str, department: str, **changes: Any) -> None:
    update_cell(
        session=session,
        cell=_cell(session, app, department),
        changes=changes,
        actor=ACTOR,
        source=ChangeSource.web,
    )
    session.commit()


def _plan_the_world(session: Session, make_project: Callable[..., Project]) -> dict[str, date]:
    """The three apps with a live department, a late one, and planned ones."""
    make_rollout_world(session, make_project)
    now = today()
    days = {
        "live": now - timedelta(days=20),
        "late": now - timedelta(days=10),
        "schools": now + timedelta(days=120),
        "last": now + timedelta(days=200),
    }
    _set(
        session,
        "Bilagsapp",
        "Miljø & Teknik",
        planned_go_live=days["live"],
        state=RolloutState.live,
        actual_go_live=days["live"],
    )
    _set(
        session,
        "Kørselsapp",
        "Børn & Familie",
        planned_start=now - timedelta(days=50),
        planned_go_live=days["late"],
        state=RolloutState.in_progress,
    )
    _set(
        session,
        "Bilagsapp",
        "Skoler & Uddannelser",
        planned_start=now + timedelta(days=30),
        planned_go_live=days["schools"],
    )
    _set(
        session,
        "Fraværsapp",
        "Skoler & Uddannelser",
        planned_start=now + timedelta(days=130),
        planned_go_live=days["last"],
    )
    return days


def _meeting(session: Session, day: date, *, include_rollout: bool = True) -> Meeting:
    meeting = svc.create_meeting(
        session=session,
        meeting_date=day,
        mode=PackMode.complete,
        actor=ACTOR,
        include_rollout=include_rollout,
    )
    session.commit()
    return meeting


def _publish(session: Session, meeting: Meeting) -> None:
    svc.publish_meeting(session=session, meeting=meeting, actor=ACTOR)
    session.commit()


def _page_text(html: str) -> str:
    return html_module.unescape(re.sub(r"<[^>]+>", " ", html))


def test_a_meeting_with_the_rollout_item_shows_its_parts_from_the_grid(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    days = _plan_the_world(session, make_project)
    meeting = _meeting(session, SECOND, include_rollout=False)
    page = f"/moeder/{SECOND.isoformat()}"
    assert "Udrulningsplan for" not in client.get(page).get_data(as_text=True)

    # The editor puts the rollout on the agenda from the meeting's text form.
    html = client.get(page).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    version = re.search(r'name="version"[^>]*value="(\d+)"', html)
    assert token and version
    response = client.post(
        f"{page}/tekst",
        data={
            "csrf_token": token.group(1),
            "version": version.group(1),
            "mode": "complete",
            "include_rollout": "y",
        },
    )
    assert response.status_code == 302
    session.commit()
    session.expire_all()
    assert session.get(Meeting, meeting.id).include_rollout  # type: ignore[union-attr]

    pack = svc.build_pack(session, meeting)
    assert pack.rollout is not None
    numbers = pack.rollout.numbers
    assert numbers.apps == ("Bilagsapp", "Fraværsapp", "Kørselsapp")
    assert len(numbers.departments) == 4 and numbers.cells == 12
    assert numbers.first_go_live == days["live"] and numbers.last_go_live == days["last"]
    assert (numbers.live, numbers.late) == (1, 1)

    text = _page_text(client.get(page).get_data(as_text=True))
    assert "Udrulningsplan for Bilagsapp, Fraværsapp, Kørselsapp" in text
    section = text[text.index("Udrulningsplan for Bilagsapp") :]
    assert section.split()[5:7] == ["Til", "beslutning"]
    for heading in ("Anledning", "Sagsfremstilling", "Indstilling", "Beslutning", "Bilag"):
        assert heading in section
    assert REQUEST_QUOTE in section
    assert (
        f"Første go-live er {danish_day(days['live'])}, og sidste go-live er "
        f"{danish_day(days['last'])}." in section
    )
    assert "Skoler & Uddannelser: implementeringstid × 2,0" in section
    assert "vinterferie" in section
    assert INDSTILLING.replace("\n", " ") in " ".join(section.split())
    assert "● I drift" in section and "Forsinket" in section
    assert "Udrulning af Bilagsapp pr. afdeling" in section  # the Gantt, as a Bilag


def _export(client: FlaskClient, fmt: str) -> bytes:
    response = client.get(f"/moeder/{SECOND.isoformat()}/pakke.{fmt}")
    assert response.status_code == 200, response.headers.get("Location")
    return response.get_data()


def _xlsx_texts(data: bytes) -> tuple[Any, list[Any]]:
    book = openpyxl.load_workbook(BytesIO(data))
    ws = book["Udrulningsplan"]
    return ws, [c for row in ws.iter_rows() for c in row if c.value is not None]


def _docx_texts(data: bytes) -> list[str]:
    doc = docx.Document(BytesIO(data))
    texts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            texts.extend(cell.text for cell in row.cells)
    return texts


def _pdf_text(data: bytes, tmp_path: Any) -> str:
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext (poppler-utils) is needed"
    path = tmp_path / "pack.pdf"
    path.write_bytes(data)
    done = subprocess.run(  # noqa: S603
        [pdftotext, str(path), "-"], capture_output=True, check=True, timeout=60
    )
    return done.stdout.decode("utf-8")


def test_every_format_carries_the_rollout_item(
    client: FlaskClient, session: Session, make_project: Callable[..., Project], tmp_path: Any
) -> None:
    days = _plan_the_world(session, make_project)
    _meeting(session, SECOND)
    last = danish_day(days["last"])

    html = _page_text(_export(client, "html").decode("utf-8"))
    assert "Udrulningsplan for Bilagsapp" in html and REQUEST_QUOTE in html
    assert INDSTILLING.replace("\n", " ") in " ".join(html.split())
    assert f"sidste go-live er {last}" in html

    ws, cells = _xlsx_texts(_export(client, "xlsx"))
    values = [c.value for c in cells]
    assert "Udrulningsplan – til beslutning" in values
    assert any(isinstance(v, str) and v.startswith(INDSTILLING) for v in values)
    assert any(isinstance(v, str) and REQUEST_QUOTE in v for v in values)
    # The grid: each department's go-live as a real date beside its state in words.
    live = next(c for c in cells if c.value == "● I drift")
    date_cell = ws.cell(live.row, live.column + 1)
    assert isinstance(date_cell.value, datetime) and date_cell.value.date() == days["live"]
    assert "◑ I gang – Forsinket" in values

    texts = _docx_texts(_export(client, "docx"))
    assert "Udrulningsplan for Bilagsapp, Fraværsapp, Kørselsapp" in texts
    assert "Til beslutning" in texts
    assert any(INDSTILLING in t for t in texts)
    assert any(f"sidste go-live er {last}" in t for t in texts)
    assert any(t.startswith("Skoler & Uddannelser") for t in texts)

    if find_chromium(None) is None:
        if IN_CI:
            pytest.fail("Chromium is needed for the PDF pack")
        pytest.skip("Chromium not found")
    pdf = " ".join(_pdf_text(_export(client, "pdf"), tmp_path).split())
    assert "Udrulningsplan for Bilagsapp" in pdf
    assert "at udrulningsplanen for Bilagsapp, Fraværsapp og Kørselsapp godkendes" in pdf
    assert f"sidste go-live er {last}" in pdf


def test_publishing_freezes_the_rollout(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    _plan_the_world(session, make_project)
    meeting = _meeting(session, SECOND)
    _publish(session, meeting)
    before = svc.build_pack(session, meeting)
    stored = session.exec(select(MeetingRolloutSnapshot.data)).all()
    html_before = _export(client, "html")
    assert before.rollout is not None

    _set(
        session,
        "Bilagsapp",
        "Skoler & Uddannelser",
        state=RolloutState.live,
        blocker="Ny blokering",
    )
    _set(
        session, "Fraværsapp", "Skoler & Uddannelser", planned_go_live=today() + timedelta(days=400)
    )

    after = svc.build_pack(session, meeting)
    assert after.rollout == before.rollout
    assert session.exec(select(MeetingRolloutSnapshot.data)).all() == stored
    assert _export(client, "html") == html_before
    assert "Ny blokering" not in _page_text(html_before.decode("utf-8"))

    # The Beslutning on the item is written after the meeting, into a published pack.
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
            "rollout_beslutning": "Chefforum godkendte udrulningsplanen.",
        },
    )
    assert response.status_code == 302
    assert "Teksten er gemt." in client.get(page).get_data(as_text=True)
    session.commit()  # a new read transaction: see what the request wrote
    session.expire_all()
    decided = svc.build_pack(session, session.get(Meeting, meeting.id))  # type: ignore[arg-type]
    assert decided.rollout is not None
    assert decided.rollout.beslutning == "Chefforum godkendte udrulningsplanen."
    assert decided.rollout.plan == before.rollout.plan


def test_a_later_pack_lists_the_rollout_changes_since_the_last_meeting(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    days = _plan_the_world(session, make_project)
    _publish(session, _meeting(session, FIRST, include_rollout=False))

    went_live = today() - timedelta(days=1)
    _set(session, "Kørselsapp", "Børn & Familie", state=RolloutState.live, actual_go_live=went_live)
    _set(
        session,
        "Bilagsapp",
        "Skoler & Uddannelser",
        planned_go_live=days["schools"] + timedelta(days=14),
    )
    _set(session, "Fraværsapp", "Børn & Familie", blocker="Venter på nye pc'er")

    later = _meeting(session, SECOND)
    pack = svc.build_pack(session, later)
    assert pack.rollout_compared
    assert [(c.kind, c.project, c.department) for c in pack.rollout_changes] == [
        (RolloutChangeKind.live, "Kørselsapp", "Børn & Familie"),
        (RolloutChangeKind.moved, "Bilagsapp", "Skoler & Uddannelser"),
        (RolloutChangeKind.blocker, "Fraværsapp", "Børn & Familie"),
    ]
    assert pack.rollout is not None
    assert "nye go-lives 1, skredne go-lives 1, nye blokeringer 1" in (
        pack.rollout.sagsfremstilling
    )

    html = _page_text(_export(client, "html").decode("utf-8"))
    assert f"Kørselsapp, Børn & Familie : I drift fra {danish_day(went_live)}" in html
    assert "(skredet 14 dage)" in html
    assert "Blokering: Venter på nye pc'er" in html
    texts = _docx_texts(_export(client, "docx"))
    assert (
        "Bilagsapp, Skoler & Uddannelser: "
        + (
            f"{danish_day(days['schools'])} → "
            f"{danish_day(days['schools'] + timedelta(days=14))} (skredet 14 dage)"
        )
        in texts
    )
    book = openpyxl.load_workbook(BytesIO(_export(client, "xlsx")))
    changes = [c.value for row in book["Ændringer"].iter_rows() for c in row]
    assert "Udrulningen" in changes and "Nye blokeringer" in changes

    # Once published, the later pack keeps the same list, whatever happens next.
    _publish(session, later)
    _set(session, "Fraværsapp", "Børn & Familie", blocker="Endnu en blokering")
    assert svc.build_pack(session, later).rollout_changes == pack.rollout_changes


def test_a_hostile_blocker_stays_text_in_every_format(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    _plan_the_world(session, make_project)
    hostile = f"{SCRIPT} {FORMULA}"
    _set(session, "Bilagsapp", "Økonomi & Stab", blocker=hostile)
    _set(session, "Kørselsapp", "Økonomi & Stab", blocker=FORMULA)
    _meeting(session, SECOND)

    raw = _export(client, "html").decode("utf-8")
    assert SCRIPT not in raw
    assert "&lt;script&gt;alert(" in raw
    assert hostile in _page_text(raw)

    ws, cells = _xlsx_texts(_export(client, "xlsx"))
    formula = next(c for c in cells if c.value == FORMULA)
    assert formula.data_type == "s"  # text, never a formula
    assert any(c.value == hostile for c in cells)
    assert not any(c.data_type == "f" for c in cells)

    texts = _docx_texts(_export(client, "docx"))
    assert any(hostile in t for t in texts)
