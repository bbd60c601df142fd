"""`portfolio import` and `portfolio export` as the IT department runs them."""

from __future__ import annotations

import json
from pathlib import Path

from flask.testing import FlaskCliRunner
from openpyxl import Workbook
from sqlmodel import Session

from portfolio.projects.models import Project
from tests.conftest import count_rows, snapshot

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "portefolje.xlsx"


def test_dry_run_json_shows_the_preview_and_writes_nothing(
    runner: FlaskCliRunner, session: Session
) -> None:
    result = runner.invoke(args=["import", str(SAMPLE), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counts"]["new"] >= 38 and data["can_apply"] is True and data["dry_run"] is True
    assert count_rows(session, Project) == 0


def test_import_then_reimport_then_export_round_trip(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    first = runner.invoke(args=["import", str(SAMPLE), "--json"])
    assert first.exit_code == 0, first.output
    created = json.loads(first.stdout)["counts"]["new"]
    assert count_rows(session, Project) == created
    again = json.loads(runner.invoke(args=["import", str(SAMPLE), "--json"]).stdout)
    assert again["counts"]["new"] == again["counts"]["changed"] == 0
    out = tmp_path / "eksport.xlsx"
    exported = runner.invoke(args=["export", str(out)])
    assert exported.exit_code == 0 and f"{created} projekter" in exported.output
    back = json.loads(runner.invoke(args=["import", str(out), "--dry-run", "--json"]).stdout)
    assert back["counts"]["new"] == back["counts"]["changed"] == back["counts"]["missing"] == 0


def test_an_unusable_file_exits_1_with_one_line_and_writes_nothing(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    runner.invoke(args=["import", str(SAMPLE)])
    before = snapshot(session)
    fake = tmp_path / "projekter.xlsx"
    fake.write_text("Sagsnr.;Projektnavn\n1;Bilagsapp\n", encoding="utf-8")
    result = runner.invoke(args=["import", str(fake)])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output
    assert "CSV" in lines[0] or "tekst" in lines[0].lower()
    assert snapshot(session) == before


def test_a_sheet_with_problems_exits_1_and_lists_them(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Projektnavn", "Projekttype", "Strategisk/operationelt", "Fase", "Status"])
    ws.append(["Ok", "Afdelingsprojekt", "Strategisk", "Idé", "Grøn"])
    ws.append(["Forkert", "Afdelingsprojekt", "Strategisk", "Idé", "Blå"])
    path = tmp_path / "ark.xlsx"
    wb.save(path)
    result = runner.invoke(args=["import", str(path), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [p["cell"] for p in data["problems"]] == ["E3"]
    assert "intet er importeret" in result.stderr.lower()
    assert count_rows(session, Project) == 0


def test_map_places_an_unknown_column(runner: FlaskCliRunner, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Projektnavn", "Projekttype", "Strategisk/operationelt", "Fase", "Ansvarlig chef"])
    ws.append(["Bilagsapp", "Fælles for hele kommunen", "Operationelt", "Idé", "Peter Damgaard"])
    path = tmp_path / "ark.xlsx"
    wb.save(path)
    unmapped = json.loads(runner.invoke(args=["import", str(path), "--dry-run", "--json"]).stdout)
    assert unmapped["unmapped_headers"] == ["Ansvarlig chef"]
    mapped = runner.invoke(
        args=["import", str(path), "--map", "Ansvarlig chef=process_owner", "--json"]
    )
    assert mapped.exit_code == 0, mapped.output
    listed = json.loads(runner.invoke(args=["projects", "--json"]).stdout)
    assert listed[0]["process_owner"] == "Peter Damgaard"
    bad = runner.invoke(args=["import", str(path), "--map", "Ansvarlig chef=boss"])
    assert bad.exit_code == 2 and "Overskrift=felt" in bad.output


def test_a_missing_file_is_one_clear_line(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["import", str(tmp_path / "findes-ikke.xlsx")])
    assert result.exit_code == 1
    assert "findes ikke" in result.stderr
