"""Benchmark: server time of the overview page (/overblik/) next to a bare route (/health).

Run:  .venv/bin/python benchmarks/overview.py [N ...]      (default: 300 1000 10000 projects)
Each project gets 20 status changes over the last two years, the last to its status today. Set
PORTFOLIO_BENCH_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to measure
PostgreSQL as well. Target: the overview for 1,000 projects in under 100 ms.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask.testing import FlaskClient
from import_10k import DEPARTMENTS, PHASES, SCOPES, STATUSES  # the import benchmark's values
from sqlmodel import Session, col

from portfolio import create_app
from portfolio.db import make_engine, upgrade_database
from portfolio.domain import ChangeSource
from portfolio.projects.models import StatusUpdate
from portfolio.projects.services import create_projects

KINDS = ["strategic", "operational"]

UPDATES_PER_PROJECT = 20
RUNS = 15


class Timing(NamedTuple):
    median: float
    fastest: float
    size: int


def populate(url: str, projects: int, *, seed: int = 5) -> int:
    """`projects` projects with UPDATES_PER_PROJECT status changes each; returns the updates."""
    rnd = random.Random(seed)
    today = date.today()
    rows: list[dict[str, Any]] = []
    for i in range(projects):
        start = today - timedelta(days=rnd.randint(0, 900))
        end = start + timedelta(days=rnd.randint(90, 1100))
        slip = rnd.choice([0, 0, 0, 30, 90, 200])
        rows.append(
            {
                "name": f"Projekt {i + 1} – digitalisering af område {i % 97}",
                "case_number": f"85.13.00-P20-{i + 1}-24",
                "scope": SCOPES[i % 3],
                "kind": KINDS[i % 2],
                "department": DEPARTMENTS[i % len(DEPARTMENTS)],
                "process_owner": f"Chef {i % 12}",
                "project_lead": f"Projektleder {i % 150}",
                "phase": PHASES[i % len(PHASES)],
                "status": STATUSES[i % len(STATUSES)],
                "status_comment": "Følger planen." if i % 2 else "Afventer leverandør.",
                "start_date": start,
                "end_date": end + timedelta(days=slip),
                "baseline_end_date": end,
                "budget_dkk": 50_000 + (i * 7919) % 5_000_000,
            }
        )
    engine = make_engine(url)
    now = datetime.now(UTC)
    with Session(engine) as session:
        created = create_projects(
            session=session, rows=rows, actor="benchmark", source=ChangeSource.cli
        )
        # A consistent past for each project: UPDATES_PER_PROJECT changes over about two
        # years (old → new, the first from nothing), the last one to today's status.
        session.execute(sa.delete(StatusUpdate).where(col(StatusUpdate.field) == "status"))
        history: list[dict[str, Any]] = []
        for project_id, row in zip(created, rows, strict=True):
            value: str | None = None
            for step in range(UPDATES_PER_PROJECT):
                last = step == UPDATES_PER_PROJECT - 1
                new = row["status"] if last else None
                if not last:
                    new = rnd.choice([c for c in ("green", "yellow", "red") if c != value])
                days_back = (UPDATES_PER_PROJECT - step) * 36 + rnd.randint(0, 20)
                history.append(
                    {
                        "project_id": project_id,
                        "changed_at": now - timedelta(days=days_back),
                        "changed_by": "benchmark",
                        "field": "status",
                        "old_value": value,
                        "new_value": new,
                        "source": ChangeSource.cli,
                    }
                )
                value = new
        for i in range(0, len(history), 5000):
            session.execute(sa.insert(StatusUpdate), history[i : i + 5000])
        session.commit()
    if engine.dialect.name == "postgresql":
        # What autovacuum does soon after a bulk load (and then it does not run during the
        # timing); without statistics the planner guesses 2 rows and sorts instead of hashing.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return len(history)


def timings(client: FlaskClient, paths: list[str], runs: int = RUNS) -> list[Timing]:
    """Each path once to warm up, then `runs` rounds of all paths in turn (so a slow spell of
    the machine hits them alike): median and fastest wall time in ms, and the response size."""
    sizes = []
    for path in paths:
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        sizes.append(len(response.data))
    times: list[list[float]] = [[] for _ in paths]
    for _ in range(runs):
        for i, path in enumerate(paths):
            t0 = time.perf_counter()
            client.get(path).close()
            times[i].append((time.perf_counter() - t0) * 1000)
    return [
        Timing(statistics.median(t), min(t), size) for t, size in zip(times, sizes, strict=True)
    ]


def reference_ms() -> float:
    """A fixed pure-Python workload, to compare runs on machines of different speed."""
    t0 = time.perf_counter()
    sum(i * i for i in range(1_000_000))
    return (time.perf_counter() - t0) * 1000


@contextmanager
def sqlite_database(tmp: Path, n: int) -> Iterator[str]:
    path = tmp / f"bench-{n}.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_database(engine)
    engine.dispose()
    yield f"sqlite:///{path}"


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"portfolio_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade_database(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def reader_client(app: Any) -> FlaskClient:
    """A browser logged in as a Chefforum member: the overview is behind the login."""
    from portfolio.db import get_session
    from portfolio.users.services import create_user

    with app.app_context():
        create_user(
            session=get_session(),
            email="bench@kommune.example",
            name="Benchmark",
            role="reader",
            password="benchmark-password",  # noqa: S106  (a throwaway benchmark database)
        )
        get_session().commit()
    client = app.test_client()
    response = client.post(
        "/login", data={"email": "bench@kommune.example", "password": "benchmark-password"}
    )
    if response.status_code != 302:
        raise SystemExit(f"benchmark login failed: HTTP {response.status_code}")
    return client


def measure(label: str, n: int, database: Callable[[], Any]) -> None:
    with database() as url:
        t0 = time.perf_counter()
        updates = populate(url, n)
        filled = time.perf_counter() - t0
        app = create_app(
            {"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True, "WTF_CSRF_ENABLED": False}
        )
        bare, full, red = timings(
            reader_client(app), ["/health", "/overblik/", "/overblik/?status=red&group=department"]
        )
        app.extensions["portfolio_db"].dispose()
    verdict = ""
    if n == 1000:
        verdict = "  meets < 100 ms" if full.median < 100 else "  MISSES 100 ms"
    print(
        f"  {label:<10} {n:>6} {updates:>8} {bare.median:>8.1f}"
        f" {full.median:>8.1f} {full.fastest:>7.1f} {red.median:>9.1f}"
        f" {full.size / 1024:>6.0f}  (data made in {filled:.1f} s){verdict}",
        flush=True,
    )


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [300, 1000, 10_000]
    tmp = Path(tempfile.mkdtemp())
    print(f"server time via app.test_client(): median (and fastest) of {RUNS} runs after a warm-up")
    print(f"reference: a fixed pure-Python loop takes {reference_ms():.0f} ms on this machine now")
    print(
        f"  {'database':<10} {'proj.':>6} {'updates':>8} {'/health':>8}"
        f" {'/overblik/':>8} {'(min)':>7} {'filtered':>9} {'KiB':>6}"
    )
    try:
        for n in sizes:
            measure("SQLite", n, partial(sqlite_database, tmp, n))
        pg = os.environ.get("PORTFOLIO_BENCH_POSTGRES_URL")
        if pg:
            for n in sizes:
                measure("PostgreSQL", n, partial(postgres_database, pg))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("filtered: /overblik/?status=red&group=department")


if __name__ == "__main__":
    main()
