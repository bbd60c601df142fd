"""Benchmark: the full import of a 10,000-row sheet against a bare openpyxl parse of the same file.

Run:  .venv/bin/python benchmarks/import_10k.py [ROWS]
Set PORTFOLIO_BENCH_POSTGRES_URL to measure PostgreSQL as well. Target: full ≤ 1.5 × bare.
Also times the sheet reader alone with its C-parser fast path and with defusedxml for every
sheet, which is what keeps the fast path (importers/sheetxml.py iterparse_for). The import as
whole `portfolio` processes is measured by benchmarks/startup.py.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any
from unittest import mock

import sqlalchemy as sa
from defusedxml.ElementTree import iterparse as guarded_iterparse
from openpyxl import load_workbook
from sqlmodel import Session

from importers import sheetxml
from importers.workbook import read_workbook
from portfolio.db import make_engine, upgrade_database
from portfolio.domain import ChangeSource
from portfolio.exporters.sheet import write_portfolio_sheet
from portfolio.imports.services import apply_import, preview_import, sha256_of

SCOPES = ["national", "municipal", "department"]
PHASES = ["idea", "analysis", "procurement", "implementation", "benefits", "completed"]
STATUSES = ["green", "yellow", "red", None]
DEPARTMENTS = [
    "Børn & Familie",
    "Skoler & Uddannelser",
    "Miljø & Teknik",
    "Økonomi & Stab",
    "Kultur & Fritid",
    "Social & Sundhed",
    "Borgerservice",
]


def make_sheet(rows: int) -> bytes:
    start = date(2024, 1, 1)
    data: list[dict[str, Any]] = []
    for i in range(rows):
        data.append(
            {
                "case_number": f"85.13.00-P20-{i + 1}-24",
                "name": f"Projekt {i + 1} – digitalisering af område {i % 97}",
                "scope": SCOPES[i % 3],
                "kind": "strategic" if i % 4 == 0 else "operational",
                "department": DEPARTMENTS[i % len(DEPARTMENTS)],
                "process_owner": f"Chef {i % 12}",
                "project_lead": f"Projektleder {i % 150}",
                "phase": PHASES[i % len(PHASES)],
                "status": STATUSES[i % len(STATUSES)],
                "status_comment": "Følger planen."
                if i % 2
                else "Afventer leverandør; se procesarket.",
                "start_date": start + timedelta(days=i % 700),
                "end_date": start + timedelta(days=400 + i % 900),
                "baseline_end_date": start + timedelta(days=380 + i % 900),
                "budget_dkk": 50_000 + (i * 7919) % 5_000_000,
                "description": f"Beskrivelse af projekt {i + 1}.",
                "link": f"https://kommune.sharepoint.com/sites/TT/procesark/{i + 1}",
            }
        )
    out = BytesIO()
    write_portfolio_sheet(data, out)
    return out.getvalue()


def bare_parse(data: bytes) -> int:
    wb = load_workbook(BytesIO(data), read_only=True, data_only=True)
    count = 0
    for ws in wb.worksheets:
        for _row in ws.iter_rows(values_only=True):
            count += 1
    wb.close()
    return count


def full_import(data: bytes, url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        preview = preview_import(session, read_workbook(data))
        if preview.problems:
            raise SystemExit(f"generated sheet has problems: {preview.problems[:3]}")
        run = apply_import(
            session=session,
            preview=preview,
            actor="benchmark",
            source=ChangeSource.cli,
            filename="bench.xlsx",
            sha256=sha256_of(data),
        )
        session.commit()
        created = run.created
    engine.dispose()
    return created


def median_time(fn: Callable[[], object], runs: int, setup: Callable[[], None] | None = None):
    times = []
    for _ in range(runs):
        if setup:
            setup()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def _fmt(times: list[float]) -> str:
    return ", ".join(f"{t:.3f}" for t in times)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    runs = 3
    data = make_sheet(rows)
    print(f"Sheet: {rows} rows, {len(data) / 1e6:.2f} MB")
    bare, bare_all = median_time(lambda: bare_parse(data), runs)
    print(f"bare openpyxl read-only parse: median {bare:.3f} s  ({_fmt(bare_all)})")
    fast, fast_all = median_time(lambda: read_workbook(data), runs)
    print(f"sheet reader, C parser (no DTD): median {fast:.3f} s  ({_fmt(fast_all)})")
    with mock.patch.object(sheetxml, "iterparse_for", lambda _reader: guarded_iterparse):
        slow, slow_all = median_time(lambda: read_workbook(data), runs)
    print(f"sheet reader, defusedxml always: median {slow:.3f} s  ({_fmt(slow_all)})")

    tmp = Path(tempfile.mkdtemp())
    template = tmp / "template.sqlite"
    engine = make_engine(f"sqlite:///{template}")
    upgrade_database(engine)
    engine.dispose()
    target = tmp / "bench.sqlite"

    def fresh_sqlite() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copy(template, target)

    results = [
        (
            "SQLite",
            median_time(lambda: full_import(data, f"sqlite:///{target}"), runs, fresh_sqlite),
        )
    ]

    pg = os.environ.get("PORTFOLIO_BENCH_POSTGRES_URL")
    if pg:
        admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
        name = f"portfolio_bench_{uuid.uuid4().hex[:8]}"
        pg_url = sa.make_url(pg).set(database=name).render_as_string(hide_password=False)

        def fresh_pg() -> None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            e = make_engine(pg_url)
            upgrade_database(e)
            e.dispose()

        results.append(
            ("PostgreSQL", median_time(lambda: full_import(data, pg_url), runs, fresh_pg))
        )
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    for label, (median, all_runs) in results:
        ratio = median / bare
        verdict = "meets" if ratio <= 1.5 else "MISSES"
        print(
            f"full import ({label}): median {median:.3f} s  ({_fmt(all_runs)})"
            f"  = {ratio:.2f} × bare parse — {verdict} the 1.5 × target"
        )
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
