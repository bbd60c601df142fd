"""Benchmark: the meeting pack: publishing (the snapshot), building a draft's pack with its change
list, and each export format.

Run:  .venv/bin/python benchmarks/pack.py [N ...]      (default: 100 1000 projects)
A first meeting is published, a tenth of the projects are changed, and the second meeting's draft
pack is built and exported. Set PORTFOLIO_BENCH_POSTGRES_URL (e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/test) to measure PostgreSQL as well. PDF and the Word
pack's chart images need Chromium (PORTFOLIO_CHROMIUM or `chromium` on PATH).
The issue names no target. Aim: a draft pack for 1,000 projects builds in about 100 ms (the page
and every export build one); the Chromium formats take seconds and the page says so.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from portfolio import create_app
from portfolio.db import get_engine, get_session, upgrade_database
from portfolio.domain import ChangeSource
from portfolio.exporters.chromium import find_chromium
from portfolio.meetings import services as meetings
from portfolio.meetings.export import FORMATS, export_pack
from portfolio.meetings.pack import PackMode
from portfolio.projects.services import (
    ProjectFilter,
    create_projects,
    list_projects,
    update_project,
)

DEPARTMENTS = ["Børn & Familie", "Skoler & Uddannelser", "Miljø & Teknik", "Økonomi & Stab"]


def _timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench(url: str, label: str, projects: int) -> None:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    rng = random.Random(7)
    with app.app_context():
        upgrade_database(get_engine())
        session = get_session()
        create_projects(
            session=session,
            rows=[
                {
                    "name": f"Projekt {i:05d}",
                    "scope": rng.choice(["national", "municipal", "department"]),
                    "kind": rng.choice(["strategic", "operational"]),
                    "phase": rng.choice(["analysis", "procurement", "implementation"]),
                    "status": rng.choice(["green", "yellow", "red", None]),
                    "department": rng.choice(DEPARTMENTS),
                    "process_owner": f"Chef {i % 12}",
                    "end_date": date(2027, 1, 1) + timedelta(days=i % 400),
                    "budget_dkk": 100_000 * (i % 50),
                }
                for i in range(projects)
            ],
            actor="bench",
            source=ChangeSource.cli,
        )
        session.commit()
        first = meetings.create_meeting(
            session=session, meeting_date=date(2026, 10, 22), mode=PackMode.complete, actor="b"
        )
        start = time.perf_counter()
        meetings.publish_meeting(session=session, meeting=first, actor="bench")
        session.commit()
        publish = time.perf_counter() - start
        for project in list_projects(session)[::10]:
            update_project(
                session=session,
                project=project,
                data={"status": "red", "end_date": date(2028, 6, 30)},
                actor="bench",
                source=ChangeSource.cli,
            )
        session.commit()
        second = meetings.create_meeting(
            session=session, meeting_date=date(2026, 12, 8), mode=PackMode.complete, actor="b"
        )
        session.commit()
        build, pack = _timed(lambda: meetings.build_pack(session, second), 7)
        published, _ = _timed(lambda: meetings.build_pack(session, first), 7)
        print(
            f"{label:10} {projects:6d} projects: publish {publish * 1000:7.1f} ms, "
            f"draft pack {build * 1000:6.1f} ms ({len(pack.changes)} changes, "
            f"{len(pack.for_decision)} for decision), published pack {published * 1000:6.1f} ms"
        )
        chromium = find_chromium(os.environ.get("PORTFOLIO_CHROMIUM"))
        for fmt in FORMATS:
            if fmt == "pdf" and chromium is None:
                print(f"{'':10} {fmt:5}: skipped (no Chromium)")
                continue
            seconds, content = _timed(
                lambda fmt=fmt: export_pack(
                    session=session, meeting=second, flt=ProjectFilter(), fmt=fmt, chromium=chromium
                ),
                1,
            )
            print(f"{'':10} {fmt:5}: {seconds:6.2f} s, {len(content) / 1024:8.0f} kB")
    app.extensions["portfolio_db"].dispose()


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [100, 1000]
    postgres = os.environ.get("PORTFOLIO_BENCH_POSTGRES_URL", "")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            bench(f"sqlite:///{Path(tmp) / 'bench.sqlite'}", "SQLite", n)
        if postgres:
            admin = sa.create_engine(postgres, isolation_level="AUTOCOMMIT")
            name = f"portfolio_bench_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            try:
                bench(
                    sa.make_url(postgres).set(database=name).render_as_string(False),
                    "PostgreSQL",
                    n,
                )
            finally:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.dispose()


if __name__ == "__main__":
    main()
