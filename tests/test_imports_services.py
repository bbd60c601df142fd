"""Import service: preview before writing, atomic apply, re-import changes nothing."""

from __future__ import annotations

import sqlite3
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from sqlmodel import Session, select

from importers.workbook import read_workbook
from portfolio.db import writing
from portfolio.domain import ChangeSource
from portfolio.exporters.sheet import write_portfolio_sheet
from portfolio.imports import services as svc
from portfolio.imports.models import ImportRun
from portfolio.projects.export import export_portfolio_sheet
from portfolio.projects.models import Project, StatusUpdate
from portfolio.projects.services import ProjectFilter, list_projects, project_to_dict
from tests.conftest import snapshot

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "portefolje.xlsx"


def _import(session: Session, data: bytes, **options: object) -> svc.ImportPreview:
    preview = svc.preview_import(session, read_workbook(data), **options)  # type: ignore[arg-type]
    return preview


def _apply(session: Session, data: bytes, archive_missing: bool = False) -> ImportRun:
    preview = _import(session, data)
    run = svc.apply_import(
        session=session,
        preview=preview,
        actor="test",
        source=ChangeSource.import_,
        filename="ark.xlsx",
        sha256=svc.sha256_of(data),
        archive_missing=archive_missing,
    )
    session.commit()
    return run


def _portfolio(session: Session) -> list[dict[str, object]]:
    session.expire_all()
    rows = [project_to_dict(p) for p in list_projects(session)]
    for row in rows:
        row.pop("id")
    return sorted(rows, key=lambda r: str(r["case_number"]))


def _sheet(rows: list[dict[str, object]]) -> bytes:
    out = BytesIO()
    write_portfolio_sheet(rows, out)
    return out.getvalue()


def test_the_sample_imports_and_reimports_with_no_changes(session: Session) -> None:
    data = SAMPLE.read_bytes()
    first = _import(session, data)
    assert first.counts()["new"] == first.rows >= 38
    assert first.problems == []
    run = _apply(session, data)
    assert run.created == first.rows and run.sha256 == svc.sha256_of(data)
    before = snapshot(session)
    again = _import(session, data)
    assert again.counts() == {**again.counts(), "new": 0, "changed": 0, "missing": 0}
    assert len(again.unchanged) == first.rows
    _apply(session, data)
    after = snapshot(session)
    # a second import is recorded, but no project or history row changes
    assert after["project"] == before["project"]
    assert after["status_update"] == before["status_update"]


def test_export_then_import_changes_nothing(session: Session) -> None:
    _apply(session, SAMPLE.read_bytes())
    out = BytesIO()
    export_portfolio_sheet(session, ProjectFilter(), out)
    preview = _import(session, out.getvalue())
    assert preview.problems == []
    assert (len(preview.new), len(preview.changed), len(preview.missing)) == (0, 0, 0)


def test_a_changed_row_shows_old_and_new_and_its_history_points_to_the_import(
    session: Session, make_project
) -> None:
    project = make_project(name="Bilagsapp", case_number="85.13.00-P20-1-20", status="green")
    row = project_to_dict(project, json_ready=False)
    row.update(status="red", status_comment="Leverandøren er bagud", budget_dkk=500_000)
    preview = _import(session, _sheet([row]))
    assert [c.project.id for c in preview.changed] == [project.id]
    changes = {c.field: (c.old, c.new) for c in preview.changed[0].changes}
    assert changes["status"] == ("green", "red")
    assert changes["budget_dkk"] == (None, 500_000)
    run = _apply(session, _sheet([row]))
    update = session.exec(
        select(StatusUpdate).where(StatusUpdate.field == "status", StatusUpdate.new_value == "red")
    ).one()
    assert update.import_run_id == run.id and update.source == ChangeSource.import_
    assert run.updated == 1 and run.created == 0


def test_an_empty_cell_never_blanks_a_value_unless_asked(session: Session, make_project) -> None:
    project = make_project(status_comment="Vigtig kommentar", budget_dkk=100)
    row = project_to_dict(project, json_ready=False)
    row.update(status_comment=None, budget_dkk=None)
    assert _import(session, _sheet([row])).changed == []
    cleared = _import(session, _sheet([row]), blanks_clear=True)
    assert {c.field for c in cleared.changed[0].changes} == {"status_comment", "budget_dkk"}


def test_projects_missing_from_the_sheet_are_listed_and_only_archived_on_request(
    session: Session, make_project
) -> None:
    keep = make_project(name="I arket")
    gone = make_project(name="Ikke i arket")
    data = _sheet([project_to_dict(keep, json_ready=False)])
    preview = _import(session, data)
    assert [p.name for p in preview.missing] == ["Ikke i arket"]
    _apply(session, data)
    session.expire_all()
    assert session.get(Project, gone.id).archived is False  # type: ignore[union-attr]
    _apply(session, data, archive_missing=True)
    session.expire_all()
    assert session.get(Project, gone.id).archived is True  # type: ignore[union-attr]


def test_rows_match_on_normalised_name_when_there_is_no_case_number(
    session: Session, make_project
) -> None:
    project = make_project(name="Digital  Affaldsplanlægning", case_number=None, status="green")
    row = project_to_dict(project, json_ready=False)
    row.update(name="digital affaldsplanlægning", status="yellow", case_number=None)
    preview = _import(session, _sheet([row]))
    assert preview.new == []
    assert [c.project.id for c in preview.changed] == [project.id]


def test_a_sheet_with_problems_is_refused_whole_and_nothing_is_written(
    session: Session, make_project
) -> None:
    make_project(name="Eksisterende")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(
        [
            "Sagsnr.",
            "Projektnavn",
            "Projekttype",
            "Strategisk/operationelt",
            "Fase",
            "Status",
            "Slutdato",
        ]
    )
    ws.append(["1-20", "God række", "Afdelingsprojekt", "Strategisk", "Idé", "Grøn", "22-10-2020"])
    ws.append(["2-20", "Dårlig række", "Afdelingsprojekt", "Strategisk", "Idé", "Lilla", "x"])
    out = BytesIO()
    wb.save(out)
    preview = _import(session, out.getvalue())
    assert preview.problems and not preview.can_apply
    assert any(p.cell == "F3" for p in preview.problems)
    before = snapshot(session)
    with pytest.raises(svc.ImportRefused, match="Intet er importeret"):
        _apply_preview(session, preview)
    session.rollback()
    assert snapshot(session) == before


def test_a_new_row_without_scope_is_a_problem_not_a_guess(session: Session) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Projektnavn", "Fase"])
    ws.append(["Uden type", "Idé"])
    out = BytesIO()
    wb.save(out)
    preview = _import(session, out.getvalue())
    assert preview.new == []
    assert "projekttype" in preview.problems[0].message


def test_the_fingerprint_changes_when_the_portfolio_moves(session: Session, make_project) -> None:
    project = make_project(status="green")
    row = project_to_dict(project, json_ready=False)
    row["status"] = "red"
    data = _sheet([row])
    first = _import(session, data).fingerprint()
    assert _import(session, data).fingerprint() == first
    project.status_comment = "ændret af en anden"
    project.version += 1
    session.add(project)
    session.commit()
    assert _import(session, data).fingerprint() != first


def test_dates_money_and_text_survive_the_round_trip(session: Session, make_project) -> None:
    make_project(
        name='=HYPERLINK("http://evil")',
        start_date=date(2020, 10, 22),
        end_date=date(2021, 1, 31),
        budget_dkk=1_250_000,
        status_comment="-minus\nto linjer",
    )
    before = _portfolio(session)
    out = BytesIO()
    export_portfolio_sheet(session, ProjectFilter(), out)
    preview = _import(session, out.getvalue())
    assert preview.changed == [] and preview.new == [] and preview.problems == []
    assert _portfolio(session) == before


def test_a_project_changed_while_the_import_is_written_refuses_the_whole_import(
    app, database_url: str, make_project
) -> None:
    """The fingerprint was checked, then someone saved before the import wrote its rows.
    PostgreSQL: the database's version check refuses the import, and nothing of it is kept.
    SQLite: the import's transaction holds the write lock from its start (as every writing
    request and command does), so the other save cannot come in between at all."""
    engine = app.extensions["portfolio_db"]
    project = make_project(name="Fraværsapp", status="green")
    row = project_to_dict(project, json_ready=False)
    row["status"] = "red"
    data = _sheet([row, {**row, "name": "Helt nyt", "case_number": None}])
    with Session(writing(engine)) as session:
        preview = _import(session, data)
        assert [c.project.id for c in preview.changed] == [project.id] and len(preview.new) == 1
        if database_url.startswith("sqlite"):
            other = sqlite3.connect(sa.make_url(database_url).database or "", timeout=0.5)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("UPDATE project SET status_comment = 'x' WHERE id = ?", (project.id,))
            other.close()
            _apply_preview(session, preview)
            session.commit()
            assert session.get(Project, project.id).status == "red"  # type: ignore[union-attr]
            return
        # Another editor's save lands in between, in a transaction of its own.
        with Session(engine) as other_session:
            theirs = other_session.get(Project, project.id)
            assert theirs is not None
            theirs.status_comment = "gemt af en anden imens"
            other_session.add(theirs)
            other_session.commit()
        with Session(engine) as fresh:
            before = snapshot(fresh)
        with pytest.raises(svc.ImportRefused, match="ændret af en anden, mens importen kørte"):
            _apply_preview(session, preview)
        session.rollback()
    with Session(engine) as fresh:
        assert snapshot(fresh) == before
        stored = fresh.get(Project, project.id)
        assert stored is not None and stored.status_comment == "gemt af en anden imens"


def _apply_preview(session: Session, preview: svc.ImportPreview) -> ImportRun:
    return svc.apply_import(
        session=session,
        preview=preview,
        actor="test",
        source=ChangeSource.cli,
        filename="ark.xlsx",
        sha256="0" * 64,
    )
