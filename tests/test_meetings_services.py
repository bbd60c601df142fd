"""Meetings and their packs: frozen snapshots, the change list, sections, decisions."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from portfolio.domain import ChangeSource
from portfolio.meetings import services as svc
from portfolio.meetings.models import Meeting, MeetingSnapshot
from portfolio.meetings.pack import ChangeKind, PackMode, PackProject, compute_changes
from portfolio.projects.models import Project
from portfolio.projects.services import (
    ProjectFilter,
    create_project,
    project_history,
    set_archived,
    update_project,
)
from tests.conftest import snapshot
from tests.pack_fixtures import pack_project

ACTOR = "Ida IT-afdeling <ida.it@kommune.example>"


def _meeting(session: Session, day: date, mode: PackMode = PackMode.complete) -> Meeting:
    meeting = svc.create_meeting(session=session, meeting_date=day, mode=mode, actor=ACTOR)
    session.commit()
    return meeting


def _publish(session: Session, meeting: Meeting) -> int:
    count = svc.publish_meeting(session=session, meeting=meeting, actor=ACTOR)
    session.commit()
    return count


def _edit(session: Session, project: Project, **data: Any) -> None:
    update_project(
        session=session, project=project, data=data, actor=ACTOR, source=ChangeSource.web
    )
    session.commit()


# --- a published pack is frozen ---------------------------------------------------------------


def test_a_published_pack_does_not_change_when_the_projects_do(
    session: Session, make_project: Callable[..., Project]
) -> None:
    red = make_project(name="Nyt ESDH-system", status="red")
    make_project(name="Aula", kind="operational", status="green")
    meeting = _meeting(session, date(2026, 10, 22))
    assert _publish(session, meeting) == 2
    before = svc.build_pack(session, meeting)
    rows_before = session.exec(select(MeetingSnapshot.data)).all()

    _edit(session, red, status="green", name="Omdøbt", phase="implementation")
    set_archived(session=session, project=red, archived=True, actor=ACTOR, source=ChangeSource.web)
    make_project(name="Helt nyt projekt", status="red")
    session.commit()

    after = svc.build_pack(session, meeting)
    assert after.projects == before.projects
    assert [i.project.name for i in after.for_decision] == ["Nyt ESDH-system"]
    assert after.for_decision == before.for_decision
    assert session.exec(select(MeetingSnapshot.data)).all() == rows_before
    # ... while a draft follows the live portfolio.
    draft = svc.build_pack(session, _meeting(session, date(2026, 12, 8)))
    assert {p.name for p in draft.projects} == {"Aula", "Helt nyt projekt"}


def test_published_text_is_frozen_but_the_decision_can_be_written(
    session: Session, make_project: Callable[..., Project]
) -> None:
    make_project(status="red")
    meeting = _meeting(session, date(2026, 10, 22))
    _publish(session, meeting)
    frozen = meeting.sagsfremstilling
    assert "Porteføljen omfatter 1 projekt " in frozen  # the suggestion became the text
    before = snapshot(session)
    with pytest.raises(svc.MeetingError, match="offentliggjort"):
        svc.update_meeting(
            session=session, meeting=meeting, data={"sagsfremstilling": "Ny tekst"}, actor=ACTOR
        )
    session.rollback()
    assert snapshot(session) == before

    changed = svc.update_meeting(
        session=session, meeting=meeting, data={"beslutning": "Godkendt."}, actor=ACTOR
    )
    session.commit()
    assert changed == ["beslutning"]
    assert svc.build_pack(session, meeting).beslutning == "Godkendt."
    assert svc.build_pack(session, meeting).sagsfremstilling == frozen


def test_a_stale_edit_is_refused_and_nothing_changes(session: Session) -> None:
    meeting = _meeting(session, date(2026, 10, 22))
    svc.update_meeting(session=session, meeting=meeting, data={"anledning": "Først"}, actor=ACTOR)
    session.commit()
    before = snapshot(session)
    with pytest.raises(svc.StaleMeetingError):
        svc.update_meeting(
            session=session,
            meeting=meeting,
            data={"anledning": "Fra en gammel formular"},
            actor=ACTOR,
            expected_version=1,
        )
    session.rollback()
    assert snapshot(session) == before


def test_publishing_twice_or_out_of_order_is_refused(
    session: Session, make_project: Callable[..., Project]
) -> None:
    make_project()
    later = _meeting(session, date(2026, 12, 8))
    earlier = _meeting(session, date(2026, 10, 22))
    _publish(session, later)
    with pytest.raises(svc.MeetingError, match="allerede offentliggjort"):
        svc.publish_meeting(session=session, meeting=later, actor=ACTOR)
    session.rollback()
    before = snapshot(session)
    with pytest.raises(svc.MeetingError, match="08-12-2026"):
        svc.publish_meeting(session=session, meeting=earlier, actor=ACTOR)
    session.rollback()
    assert snapshot(session) == before


def test_a_second_meeting_on_the_same_day_is_refused(session: Session) -> None:
    _meeting(session, date(2026, 10, 22))
    with pytest.raises(svc.MeetingError, match="22-10-2026"):
        svc.create_meeting(
            session=session, meeting_date=date(2026, 10, 22), mode=PackMode.complete, actor=ACTOR
        )


# --- changes since the last meeting -----------------------------------------------------------


def test_the_next_pack_shows_exactly_what_changed(
    session: Session, make_project: Callable[..., Project]
) -> None:
    esdh = make_project(name="Nyt ESDH-system", status="green", end_date=date(2027, 3, 1))
    aula = make_project(name="Aula", kind="operational", budget_dkk=400_000)
    portal = make_project(name="Gammel portal")
    quiet = make_project(name="Uændret")
    first = _meeting(session, date(2026, 10, 22))
    _publish(session, first)
    assert svc.build_pack(session, first).changes == []  # nothing to compare the first with

    _edit(session, esdh, status="red", end_date=date(2027, 6, 1))
    _edit(session, aula, budget_dkk=550_000, process_owner="Chefen for Børn & Familie")
    _edit(session, portal, phase="completed")
    new = make_project(name="Fraværsapp", phase="idea", status=None)
    _edit(session, quiet, status_comment="Kun en kommentar: ikke en ændring i pakken")

    second = _meeting(session, date(2026, 12, 8))
    pack = svc.build_pack(session, second)
    got = {(c.project_name, c.kind, c.old, c.new) for c in pack.changes}
    assert got == {
        ("Nyt ESDH-system", ChangeKind.status, "green", "red"),
        ("Nyt ESDH-system", ChangeKind.end_date, "2027-03-01", "2027-06-01"),
        ("Aula", ChangeKind.budget, "400000", "550000"),
        ("Aula", ChangeKind.process_owner, "Peter Damgaard", "Chefen for Børn & Familie"),
        ("Gammel portal", ChangeKind.closed, "analysis", "completed"),
        ("Fraværsapp", ChangeKind.new, None, "idea"),
    }
    assert pack.previous_meeting_date == date(2026, 10, 22)
    reasons = {i.project.name: i.reasons for i in pack.for_decision}
    assert "Status rød" in reasons["Nyt ESDH-system"]
    assert any("Nyt projekt" in r for r in reasons["Fraværsapp"])
    assert "Aula" not in reasons  # operational: for information
    assert "Aula" in {i.project.name for i in pack.for_information}

    # Once published, the third meeting compares with the second, not the first.
    _publish(session, second)
    _edit(session, esdh, status="yellow")
    third = svc.build_pack(session, _meeting(session, date(2027, 2, 2)))
    assert {(c.project_name, c.kind, c.old, c.new) for c in third.changes} == {
        ("Nyt ESDH-system", ChangeKind.status, "red", "yellow")
    }
    _ = new


def test_sections_follow_the_minutes(
    session: Session, make_project: Callable[..., Project]
) -> None:
    make_project(name="Rød strategisk", status="red")
    make_project(name="Gul strategisk", status="yellow")
    green = make_project(name="Grøn strategisk", status="green")
    make_project(name="Rød operationel", kind="operational", status="red")
    meeting = _meeting(session, date(2026, 10, 22))
    pack = svc.build_pack(session, meeting)
    assert [i.project.name for i in pack.for_decision] == ["Rød strategisk", "Gul strategisk"]
    assert [i.project.name for i in pack.for_information] == ["Rød operationel"]
    assert [i.project.name for i in pack.other_strategic] == ["Grøn strategisk"]

    assert green.id is not None
    svc.set_flag(session=session, meeting=meeting, project_id=green.id, flagged=True, actor=ACTOR)
    session.commit()
    pack = svc.build_pack(session, meeting)
    assert "Grøn strategisk" in [i.project.name for i in pack.for_decision]

    svc.update_meeting(session=session, meeting=meeting, data={"mode": "decisions"}, actor=ACTOR)
    session.commit()
    pack = svc.build_pack(session, meeting)
    assert pack.for_information == [] and pack.other_strategic == []
    assert len(pack.for_decision) == 3


def test_flags_are_frozen_with_the_pack(
    session: Session, make_project: Callable[..., Project]
) -> None:
    project = make_project(status="green")
    meeting = _meeting(session, date(2026, 10, 22))
    _publish(session, meeting)
    assert project.id is not None
    before = snapshot(session)
    with pytest.raises(svc.MeetingError):
        svc.set_flag(
            session=session, meeting=meeting, project_id=project.id, flagged=True, actor=ACTOR
        )
    session.rollback()
    assert snapshot(session) == before


def test_the_filter_narrows_the_pack_and_its_changes(
    session: Session, make_project: Callable[..., Project]
) -> None:
    school = make_project(name="Skoleprojekt", department="Skoler & Uddannelser", status="green")
    town = make_project(name="Byprojekt", department="Miljø & Teknik", status="green")
    _publish(session, _meeting(session, date(2026, 10, 22)))
    _edit(session, school, status="red")
    _edit(session, town, status="red")
    draft = _meeting(session, date(2026, 12, 8))
    flt = ProjectFilter(department=["Skoler & Uddannelser"])
    pack = svc.build_pack(session, draft, flt)
    assert [p.name for p in pack.projects] == ["Skoleprojekt"]
    assert [c.project_name for c in pack.changes] == ["Skoleprojekt"]
    assert pack.previous_status is not None and pack.previous_status["green"] == 1
    assert "Skoler & Uddannelser" in pack.filter_description


# --- decisions ------------------------------------------------------------------------------


def test_a_decision_enters_the_history_and_the_next_pack(
    session: Session, make_project: Callable[..., Project]
) -> None:
    project = make_project(name="Nyt ESDH-system", status="red")
    assert project.id is not None
    meeting = _meeting(session, date(2026, 10, 22))
    with pytest.raises(svc.MeetingError, match="offentliggør"):
        svc.record_decision(
            session=session, meeting=meeting, project_id=project.id, text="For tidligt", actor=ACTOR
        )
    session.rollback()
    _publish(session, meeting)
    assert svc.record_decision(
        session=session,
        meeting=meeting,
        project_id=project.id,
        text="Projektet fortsætter med ny tidsplan.",
        actor=ACTOR,
    )
    session.commit()
    history = project_history(session, project.id)
    assert history[0].field == "decision"
    assert "Projektet fortsætter med ny tidsplan." in (history[0].new_value or "")
    assert meeting.title in (history[0].new_value or "")
    pack = svc.build_pack(session, meeting)
    assert pack.for_decision[0].decision == "Projektet fortsætter med ny tidsplan."

    nxt = svc.build_pack(session, _meeting(session, date(2026, 12, 8)))
    item = next(i for i in nxt.for_decision if i.project.id == project.id)
    assert item.previous_decision == "Projektet fortsætter med ny tidsplan."
    assert item.previous_decision_date == date(2026, 10, 22)


def test_a_decision_on_a_project_outside_the_pack_is_refused(
    session: Session, make_project: Callable[..., Project]
) -> None:
    make_project()
    meeting = _meeting(session, date(2026, 10, 22))
    _publish(session, meeting)
    later = make_project(name="Kom efter mødet")
    assert later.id is not None
    before = snapshot(session)
    with pytest.raises(svc.MeetingError, match="ikke med i pakken"):
        svc.record_decision(
            session=session, meeting=meeting, project_id=later.id, text="Nej", actor=ACTOR
        )
    session.rollback()
    assert snapshot(session) == before


# --- the change list, property-based --------------------------------------------------------

STATUSES = st.sampled_from([None, "green", "yellow", "red"])
OPEN_PHASES = ["idea", "analysis", "procurement", "implementation", "benefits", "paused"]


@st.composite
def edits(draw: st.DrawFn) -> dict[str, Any]:
    """One project's fate between two meetings: nothing, some fields changed, closed, archived."""
    fate = draw(st.sampled_from(["keep", "edit", "close", "archive"]))
    out: dict[str, Any] = {"fate": fate}
    if fate == "edit":
        out["status"] = draw(STATUSES)
        out["phase"] = draw(st.sampled_from(OPEN_PHASES))
        out["end_date"] = date(2027, 1, 1) + timedelta(days=draw(st.integers(-200, 400)))
        out["budget_dkk"] = draw(st.sampled_from([None, 100_000, 1_250_000, 6_000_000]))
        out["process_owner"] = draw(
            st.sampled_from(["Peter Damgaard", "Chefen for Børn & Familie"])
        )
    elif fate == "close":
        out["phase"] = draw(st.sampled_from(["completed", "stopped"]))
    return out


START = {
    "status": "green",
    "phase": "analysis",
    "end_date": date(2027, 1, 1),
    "budget_dkk": 1_250_000,
}


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def _expected(name: str, edit: dict[str, Any]) -> set[tuple[str, ChangeKind, Any, Any]]:
    if edit["fate"] == "archive":
        return {(name, ChangeKind.closed, "analysis", None)}
    if edit["fate"] == "close":
        return {(name, ChangeKind.closed, "analysis", edit["phase"])}
    if edit["fate"] == "keep":
        return set()
    out = set()
    before = {**START, "process_owner": "Peter Damgaard"}
    kinds = {
        "status": ChangeKind.status,
        "phase": ChangeKind.phase,
        "end_date": ChangeKind.end_date,
        "budget_dkk": ChangeKind.budget,
        "process_owner": ChangeKind.process_owner,
    }
    for field_name, kind in kinds.items():
        old, new = before[field_name], edit[field_name]
        if old != new:
            out.add((name, kind, _as_text(old), _as_text(new)))
    return out


_days = itertools.count()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(fates=st.lists(edits(), min_size=1, max_size=5), new_projects=st.integers(0, 2))
def test_random_edits_between_two_snapshots_give_exactly_those_changes(
    session: Session, fates: list[dict[str, Any]], new_projects: int
) -> None:
    # Each example adds its own projects and meetings after the previous example's.
    n = next(_days)
    day = date(2030, 1, 1) + timedelta(days=10 * n)
    projects = [
        create_project(
            session=session,
            data={
                "name": f"P{n}-{i}",
                "scope": "municipal",
                "kind": "strategic",
                "process_owner": "Peter Damgaard",
                **START,
            },
            actor=ACTOR,
            source=ChangeSource.cli,
        )
        for i in range(len(fates))
    ]
    session.commit()
    first = _meeting(session, day)
    _publish(session, first)
    expected: set[tuple[str, ChangeKind, Any, Any]] = set()
    for project, edit in zip(projects, fates, strict=True):
        expected |= _expected(project.name, edit)
        if edit["fate"] == "archive":
            set_archived(
                session=session,
                project=project,
                archived=True,
                actor=ACTOR,
                source=ChangeSource.web,
            )
        elif edit["fate"] != "keep":
            update_project(
                session=session,
                project=project,
                data={k: v for k, v in edit.items() if k != "fate"},
                actor=ACTOR,
                source=ChangeSource.web,
            )
    for i in range(new_projects):
        name = f"P{n}-ny-{i}"
        create_project(
            session=session,
            data={"name": name, "scope": "national", "kind": "operational", "phase": "idea"},
            actor=ACTOR,
            source=ChangeSource.cli,
        )
        expected.add((name, ChangeKind.new, None, "idea"))
    session.commit()
    second = _meeting(session, day + timedelta(days=5))
    got = {(c.project_name, c.kind, c.old, c.new) for c in svc.build_pack(session, second).changes}
    assert got == expected
    # Publishing freezes the same list.
    _publish(session, second)
    frozen = {
        (c.project_name, c.kind, c.old, c.new) for c in svc.build_pack(session, second).changes
    }
    assert frozen == expected


@given(
    before=st.dictionaries(st.integers(1, 30), STATUSES, max_size=12),
    after=st.dictionaries(st.integers(1, 30), STATUSES, max_size=12),
)
def test_compute_changes_reports_each_status_move_once(
    before: dict[int, str | None], after: dict[int, str | None]
) -> None:
    previous = {pid: pack_project(pid, status=s) for pid, s in before.items()}
    current = {pid: pack_project(pid, status=s) for pid, s in after.items()}
    changes = compute_changes(previous, current)
    assert {
        c.project_id for c in changes if c.kind == ChangeKind.new
    } == after.keys() - before.keys()
    assert {
        c.project_id for c in changes if c.kind == ChangeKind.closed
    } == before.keys() - after.keys()
    moved = {pid for pid in before.keys() & after.keys() if before[pid] != after[pid]}
    assert {c.project_id for c in changes if c.kind == ChangeKind.status} == moved
    assert len(changes) == len({(c.project_id, c.kind) for c in changes})


def test_snapshot_json_round_trips() -> None:
    project = pack_project(7, status=None, end_date=None, description="Linje 1\nLinje 2 ”citat”")
    assert PackProject.from_json(project.to_json()) == project
