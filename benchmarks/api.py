"""Benchmark: server time of the API's project list at 1,000 projects.

Run:  .venv/bin/python benchmarks/api.py [N]      (default: 1000 projects)
Creates N projects in a SQLite file, a reader with an API token, and times
`GET /api/v1/projects?limit=N` through the Flask test client: the median of 20 requests
(after one warm-up), and the same with If-None-Match (the 304 a refresh that finds nothing new
gets), next to /health in the same run (how busy the machine is). Set
PORTFOLIO_BENCH_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to measure
PostgreSQL as well, in a scratch database of its own. Target: under 50 ms for 1,000 projects.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from overview import postgres_database  # the overview benchmark's scratch database
from sqlmodel import Session

from portfolio import create_app
from portfolio.api.tokens import create_token
from portfolio.db import make_engine, upgrade_database
from portfolio.domain import ChangeSource, Role
from portfolio.projects.services import create_projects
from portfolio.users.services import create_user

RUNS = 20
DEPARTMENTS = ["Børn & Familie", "Økonomi & Stab", "Teknik & Miljø", "Sundhed & Omsorg"]
PEOPLE = ["Peter Damgaard", "Lise Holm", "Mette Sørensen", "Jonas Friis"]


def _fill(url: str, count: int) -> str:
    """The projects and a reader's token; the token."""
    engine = make_engine(url)
    upgrade_database(engine)
    rng = random.Random(18)
    rows = [
        {
            "name": f"Projekt {n:05d}",
            "case_number": f"85.13.00-P20-{n}-26",
            "scope": rng.choice(["national", "municipal", "department"]),
            "kind": rng.choice(["strategic", "operational"]),
            "phase": rng.choice(["idea", "analysis", "procurement", "implementation"]),
            "status": rng.choice(["green", "yellow", "red"]),
            "status_comment": "Kører efter planen, men leverandøren er presset." * 2,
            "budget_dkk": rng.randrange(100_000, 20_000_000),
            "department": rng.choice(DEPARTMENTS),
            "process_owner": rng.choice(PEOPLE),
            "project_lead": rng.choice(PEOPLE),
        }
        for n in range(count)
    ]
    with Session(engine) as session:
        create_projects(session=session, rows=rows, actor="benchmark", source=ChangeSource.cli)
        user = create_user(
            session=session,
            email="bi@kommune.example",
            name="BI-teamet",
            role=Role.reader,
            password=None,
            person=None,
        )
        _token, raw = create_token(
            session=session, user=user, name="Benchmark", actor="benchmark", source=ChangeSource.cli
        )
        session.commit()
    engine.dispose()
    return raw


def _median_ms(call: object, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(label: str, url: str, count: int) -> None:
    raw = _fill(url, count)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "API_RATE_PER_MINUTE": 10**6})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {raw}"}
    path = f"/api/v1/projects?limit={count}"
    first = client.get(path, headers=headers)
    if first.status_code != 200 or len(first.get_json()["items"]) != count:
        raise SystemExit(first.get_data(as_text=True)[:500])
    tag = first.headers["ETag"]

    def full() -> None:
        if client.get(path, headers=headers).status_code != 200:
            raise SystemExit("the list failed")

    def unchanged() -> None:
        answer = client.get(path, headers={**headers, "If-None-Match": tag})
        if answer.status_code != 304:
            raise SystemExit(f"expected 304, got {answer.status_code}")

    def health() -> None:
        client.get("/health")

    print(f"{label}: GET {path} ({count} projects, {len(first.get_data()) // 1024} KB)")
    print(f"  200: median {_median_ms(full):.1f} ms of {RUNS}")
    print(f"  304: median {_median_ms(unchanged):.1f} ms of {RUNS} (If-None-Match)")
    print(f"  /health for comparison: median {_median_ms(health):.1f} ms of {RUNS}")
    app.extensions["portfolio_db"].dispose()


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        measure("SQLite", f"sqlite:///{Path(folder) / 'bench.sqlite'}", count)
    pg = os.environ.get("PORTFOLIO_BENCH_POSTGRES_URL")
    if pg:
        with postgres_database(pg) as url:
            measure("PostgreSQL", url, count)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
