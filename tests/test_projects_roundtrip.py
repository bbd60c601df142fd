"""Property: any portfolio written to the sheet and imported again comes back unchanged."""

from __future__ import annotations

import shutil
import string
import uuid
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from importers.workbook import read_workbook
from portfolio.db import make_engine
from portfolio.domain import ChangeSource, Kind, Phase, Scope, Status
from portfolio.exporters.sheet import write_portfolio_sheet
from portfolio.imports.services import apply_import, preview_import
from portfolio.projects.services import list_projects, project_to_dict

ALPHABET = string.ascii_letters + string.digits + " æøåÆØÅ&.,;:!?()/%'\"<>-–=+@#\n"


def _text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(ALPHABET, min_size=1, max_size=max_size).map(str.strip).filter(bool)


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


dates = st.dates(min_value=date(1995, 1, 1), max_value=date(2045, 12, 31))
people = st.sampled_from(["Lise Holm", "Peter Damgaard", "Jens Bach", "Anne Kjær", "Ø. Ørsted"])


@st.composite
def portfolios(draw: st.DrawFn) -> list[dict[str, Any]]:
    size = draw(st.integers(min_value=1, max_value=12))
    rows = []
    for i in range(size):
        rows.append(
            {
                "name": draw(_text(60)).replace("\n", " "),
                "case_number": draw(st.one_of(st.none(), st.just(f"85.13.00-P20-{i + 1}-20"))),
                "scope": draw(st.sampled_from(list(Scope))).value,
                "kind": draw(st.sampled_from(list(Kind))).value,
                "department": draw(
                    _optional(st.sampled_from(["Børn & Familie", "Miljø & Teknik"]))
                ),
                "process_owner": draw(_optional(people)),
                "project_lead": draw(_optional(people)),
                "phase": draw(st.sampled_from(list(Phase))).value,
                "status": draw(_optional(st.sampled_from(list(Status)))),
                "status_comment": draw(_optional(_text(200))),
                "start_date": draw(_optional(dates)),
                "end_date": draw(_optional(dates)),
                "baseline_end_date": draw(_optional(dates)),
                "budget_dkk": draw(_optional(st.integers(min_value=0, max_value=10**11))),
                "description": draw(_optional(_text(300))),
                "link": draw(_optional(st.just("https://kommune.sharepoint.com/sites/x?a=1&b=2"))),
            }
        )
        if rows[-1]["status"] is not None:
            rows[-1]["status"] = rows[-1]["status"].value
        if rows[-1]["baseline_end_date"] is None:
            rows[-1]["baseline_end_date"] = rows[-1]["end_date"]
    return rows


def _key(row: dict[str, Any]) -> tuple[str, str]:
    return (str(row["case_number"]), row["name"])


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rows=portfolios())
def test_sheet_round_trip(rows: list[dict[str, Any]], sqlite_template: Path, tmp_path: Path):
    out = BytesIO()
    write_portfolio_sheet(rows, out)
    data = out.getvalue()
    path = tmp_path / f"{uuid.uuid4().hex}.sqlite"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        preview = preview_import(session, read_workbook(data))
        assert preview.problems == []
        apply_import(
            session=session,
            preview=preview,
            actor="hypothesis",
            source=ChangeSource.cli,
            filename="x.xlsx",
            sha256="0" * 64,
        )
        session.commit()
        stored = [project_to_dict(p, json_ready=False) for p in list_projects(session)]
        for row in stored:
            row.pop("id")
            row.pop("archived")
        assert sorted(stored, key=_key) == sorted(rows, key=_key)
        again = preview_import(session, read_workbook(data))
        assert (again.new, again.changed, again.missing) == ([], [], [])
    engine.dispose()
