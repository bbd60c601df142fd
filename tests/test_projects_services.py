"""Project services: history of status, phase and comment; stale edits; listing and filters."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import Session, select

from portfolio.domain import ChangeSource, Phase, Status
from portfolio.projects import services as svc
from portfolio.projects.models import Project, StatusUpdate
from tests.conftest import snapshot


def _history(session: Session, project: Project) -> list[tuple[str, str | None, str | None]]:
    session.expire_all()
    rows = session.exec(
        select(StatusUpdate).where(StatusUpdate.project_id == project.id).order_by(StatusUpdate.id)
    ).all()
    return [(u.field, u.old_value, u.new_value) for u in rows]


def test_a_new_project_starts_its_history(session: Session, make_project: Callable[..., Project]):
    project = make_project(status="yellow", phase="analysis", status_comment="Afventer udbud")
    assert _history(session, project) == [
        ("status", None, "yellow"),
        ("phase", None, "analysis"),
        ("status_comment", None, "Afventer udbud"),
    ]
    assert project.baseline_end_date == project.end_date


def test_an_edit_records_old_and_new_for_status_phase_and_comment_only(
    session: Session, make_project: Callable[..., Project]
) -> None:
    project = make_project(status="green", phase="analysis")
    before = len(_history(session, project))
    changes = svc.update_project(
        session=session,
        project=project,
        data={"status": "red", "phase": "implementation", "budget_dkk": 900_000, "name": "Nyt"},
        actor="Lise Holm",
        source=ChangeSource.web,
        expected_version=project.version,
    )
    session.commit()
    assert {c.field for c in changes} == {"status", "phase", "budget_dkk", "name"}
    history = _history(session, project)[before:]
    assert sorted(history) == [("phase", "analysis", "implementation"), ("status", "green", "red")]
    stored = session.get(Project, project.id)
    assert stored is not None
    assert (stored.status, stored.phase, stored.budget_dkk) == (
        Status.red,
        Phase.implementation,
        900_000,
    )
    assert stored.version == 2
    last = session.exec(select(StatusUpdate).order_by(StatusUpdate.id.desc())).first()  # type: ignore[union-attr]
    assert last is not None and last.changed_by == "Lise Holm" and last.source == ChangeSource.web


def test_saving_the_same_values_changes_nothing(session: Session, make_project) -> None:
    project = make_project()
    before = snapshot(session)
    changes = svc.update_project(
        session=session,
        project=project,
        data=svc.current_values(project),
        actor="x",
        source=ChangeSource.web,
    )
    session.commit()
    assert changes == []
    assert snapshot(session) == before


def test_a_stale_edit_is_refused_and_nothing_changes(session: Session, make_project) -> None:
    project = make_project(status="green")
    svc.update_project(
        session=session,
        project=project,
        data={"status": "yellow"},
        actor="a",
        source=ChangeSource.web,
        expected_version=1,
    )
    session.commit()
    before = snapshot(session)
    with pytest.raises(svc.StaleProjectError):
        svc.update_project(
            session=session,
            project=project,
            data={"status": "red"},
            actor="b",
            source=ChangeSource.web,
            expected_version=1,
        )
    session.rollback()
    assert snapshot(session) == before


def test_people_and_departments_are_reused_by_name(session: Session, make_project) -> None:
    a = make_project(process_owner="Lise Holm", department="Børn & Familie")
    b = make_project(
        process_owner="Lise Holm", project_lead="Lise Holm", department="Børn & Familie"
    )
    assert a.process_owner_id == b.process_owner_id == b.project_lead_id
    assert a.department_id == b.department_id


def _names(session: Session, **args: object) -> list[str]:
    from werkzeug.datastructures import MultiDict

    md = MultiDict()
    for key, value in args.items():
        for v in value if isinstance(value, list) else [value]:
            md.add(key, v)
    return [p.name for p in svc.list_projects(session, svc.ProjectFilter.from_args(md))]


def test_filters_combine_and_accept_several_values(session: Session, make_project) -> None:
    make_project(name="A", scope="national", status="red", department="Borgerservice")
    make_project(name="B", scope="national", status="green", department="Kultur & Fritid")
    make_project(name="C", scope="department", status="red", department="Borgerservice")
    make_project(name="D", scope="municipal", status=None, phase="idea")
    assert _names(session, scope="national") == ["A", "B"]
    assert _names(session, scope="national", status="red") == ["A"]
    assert _names(session, status=["red", "none"]) == ["A", "C", "D"]
    assert _names(session, department="Borgerservice") == ["A", "C"]
    assert _names(session, phase="idea") == ["D"]
    assert _names(session, process_owner="Peter Damgaard") == ["A", "B", "C", "D"]
    assert _names(session, process_owner="Ingen Sådan") == []
    # values that are not part of the vocabulary are ignored rather than failing
    assert _names(session, scope="galaxy") == ["A", "B", "C", "D"]


def test_free_text_search_looks_in_names_comments_people_and_treats_wildcards_literally(
    session: Session, make_project
) -> None:
    make_project(name="Bilagsapp", status_comment="Udrulning forsinket")
    make_project(name="Kørselsapp", project_lead="Camilla Jensen")
    make_project(name="100% digital", status_comment=None)
    assert _names(session, q="FORSINKET") == ["Bilagsapp"]
    assert _names(session, q="camilla") == ["Kørselsapp"]
    assert _names(session, q="%") == ["100% digital"]
    assert _names(session, q="app") == ["Bilagsapp", "Kørselsapp"]


def test_sorting_by_status_puts_red_first_and_missing_status_last(session: Session, make_project):
    make_project(name="G", status="green")
    make_project(name="N", status=None)
    make_project(name="R", status="red")
    make_project(name="Y", status="yellow")
    assert _names(session, sort="status") == ["R", "Y", "G", "N"]
    assert _names(session, sort="status", dir="desc") == ["G", "Y", "R", "N"]


def test_sorting_by_budget_and_phase(session: Session, make_project) -> None:
    make_project(name="Small", budget_dkk=10, phase="completed")
    make_project(name="Big", budget_dkk=5_000_000, phase="idea")
    make_project(name="None", budget_dkk=None, phase="implementation")
    assert _names(session, sort="budget_dkk", dir="desc") == ["Big", "Small", "None"]
    assert _names(session, sort="phase") == ["Big", "None", "Small"]


def test_archived_projects_leave_the_list_but_keep_their_data(session: Session, make_project):
    keep = make_project(name="Aktiv")
    gone = make_project(name="Gammel")
    svc.set_archived(
        session=session,
        project=gone,
        archived=True,
        actor="t",
        source=ChangeSource.web,
        expected_version=gone.version,
    )
    session.commit()
    assert _names(session) == [keep.name]
    assert _names(session, archived="1") == ["Gammel"]


def test_project_to_dict_uses_the_canonical_fields(session: Session, make_project) -> None:
    from datetime import date

    project = make_project(start_date=date(2020, 10, 22), budget_dkk=1_250_000, status="yellow")
    data = svc.project_to_dict(project)
    assert data["start_date"] == "2020-10-22"
    assert data["budget_dkk"] == 1_250_000
    assert data["status"] == "yellow" and data["scope"] == "municipal"
    assert data["process_owner"] == "Peter Damgaard"
    assert list(data)[:3] == ["id", "name", "case_number"]


def test_a_large_batch_keeps_every_row_its_own_id_history_and_audit(session: Session) -> None:
    """Large batches take the bulk path (COPY on PostgreSQL): ids must match rows, in order."""
    from portfolio.bulk import COPY_FROM
    from portfolio.users.models import AuditEntry

    count = COPY_FROM + 50
    rows = [
        {
            "name": f"Projekt {i:04d}",
            "scope": "department",
            "kind": "operational",
            "phase": "idea" if i % 2 else "analysis",
            "status": ["green", "yellow", None][i % 3],
            "status_comment": None if i % 5 else f"Linje 1\nLinje 2 for {i}",
            "department": f"Afdeling {i % 7}",
            "budget_dkk": i * 1000,
        }
        for i in range(count)
    ]
    ids = svc.create_projects(
        session=session, rows=rows, actor="Import <it@kommune.example>", source=ChangeSource.cli
    )
    session.commit()
    assert len(set(ids)) == count
    by_id = {p.id: p for p in session.exec(select(Project))}
    for project_id, row in zip(ids, rows, strict=True):
        project = by_id[project_id]
        assert project.name == row["name"] and project.budget_dkk == row["budget_dkk"]
        assert project.department is not None and project.department.name == row["department"]
        assert project.status_comment == row["status_comment"]
    history = session.exec(select(StatusUpdate)).all()
    expected = sum(1 for r in rows for f in ("status", "phase", "status_comment") if r[f])
    assert len(history) == expected
    first = next(h for h in history if h.project_id == ids[1] and h.field == "status")
    assert first.new_value == "yellow" and first.old_value is None
    assert first.source == ChangeSource.cli and first.changed_by.startswith("Import")
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "create")).all()
    assert sorted(a.project_id for a in audit) == sorted(ids)
