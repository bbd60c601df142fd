"""Benchmark: 50 simulated users against gunicorn with 4 workers, on SQLite and on PostgreSQL.

Run:  .venv/bin/python benchmarks/load.py [--users 50] [--seconds 60] [--think 0] [--engine both]
Each engine gets the demo portfolio (`portfolio demo`) in a database of its own (a SQLite file;
a scratch database on PORTFOLIO_BENCH_POSTGRES_URL, default the local test server), served by
`gunicorn -w 4` on 127.0.0.1 only. Each user logs in once (before the clock starts), then loops
for --seconds: overview, project list and project pages, and every tenth request a status
update (POST, from the version on the page the user just read), with --think seconds between
requests (0: each user sends its next request as soon as the last is answered). Reported:
requests/s, p50/p95/p99 overall and per kind, errors (5xx, timeouts, refused connections),
version conflicts (409: two users saved the same project from one version, which the app
refuses on purpose, counted apart), and `/health`'s throughput with as many users in the same
run. Targets (issue 18): p95 under 1 s at 50 users with zero errors.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.live_server import Browser, gunicorn, hidden, portfolio, server_env  # noqa: E402

EMAILS = ("raad@kommune.example", "it@kommune.example")  # editor and admin: may update status
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CYCLE = ("overview", "list", "project", "list", "project", "overview", "project", "list",
         "project", "status")  # fmt: skip
PROJECT_LINK = re.compile(r'href="/projekter/(\d+)"')


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    conflicts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if status == 409:
                self.conflicts += 1
            elif status >= 500 or status == 0:
                self.errors.append(f"{kind}: {status}")


def _timed(browser: Browser, tally: Tally, kind: str, path: str, data: dict[str, str] | None):
    start = time.perf_counter()
    try:
        reply = browser.request(path, data)
        status, html = reply.status, reply.html
    except OSError as exc:  # refused, reset or timed out
        status, html = 0, str(exc)
    tally.add(kind, time.perf_counter() - start, status)
    return status, html


class Clock:
    """All users start together, once every one of them has logged in."""

    def __init__(self, users: int, seconds: float) -> None:
        self.ready = threading.Barrier(users + 1)
        self.seconds = seconds
        self.stop = 0.0

    def start(self) -> None:
        self.stop = time.monotonic() + self.seconds
        self.ready.wait()


def _user(base: str, email: str, ids: list[int], clock: Clock, think: float, tally: Tally) -> None:
    browser = Browser(base)
    browser.login(email)
    rng = random.Random(email + str(threading.get_ident()))  # noqa: S311 - a benchmark's mix
    clock.ready.wait()
    stop = clock.stop
    step = rng.randrange(len(CYCLE))
    page = ""
    current = rng.choice(ids)
    while time.monotonic() < stop:
        kind = CYCLE[step % len(CYCLE)]
        step += 1
        if kind == "overview":
            _timed(browser, tally, kind, "/overblik/", None)
        elif kind == "list":
            _timed(browser, tally, kind, "/projekter/", None)
        elif kind == "project":
            current = rng.choice(ids)
            _status, page = _timed(browser, tally, kind, f"/projekter/{current}", None)
        elif page:
            form = {
                "csrf_token": hidden(page, "csrf_token"),
                "version": hidden(page, "version"),
                "status": rng.choice(("green", "yellow", "red")),
                "status_comment": f"Belastningstest {step}",
            }
            _timed(browser, tally, kind, f"/projekter/{current}/status", form)
            page = ""
        if think:
            time.sleep(rng.uniform(0.5 * think, 1.5 * think))


def _health(base: str, users: int, seconds: float) -> float:
    """Requests per second that /health answers with `users` clients asking at once."""
    count = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def ask() -> None:
        browser = Browser(base)
        while time.monotonic() < stop:
            browser.get("/health")
            with lock:
                count[0] += 1

    threads = [threading.Thread(target=ask) for _ in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count[0] / seconds


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _line(label: str, values: list[float]) -> str:
    p50, p95, p99 = (_percentile(values, p) * 1000 for p in (50, 95, 99))
    times = f"p50 {p50:7.0f} ms  p95 {p95:7.0f} ms  p99 {p99:7.0f} ms"
    return f"{label:9} {len(values):6} requests  {times}"


def run(database_url: str, engine: str, args: argparse.Namespace) -> None:
    env = server_env(database_url)
    portfolio(env, "demo")
    with gunicorn(env, workers=4) as server:
        reader = Browser(server.base)
        reader.login(EMAILS[0])
        ids = sorted({int(i) for i in PROJECT_LINK.findall(reader.get("/projekter/").html)})
        tally = Tally()
        clock = Clock(args.users, args.seconds)
        threads = [
            threading.Thread(
                target=_user,
                args=(server.base, EMAILS[n % 2], ids, clock, args.think, tally),
                daemon=True,
            )
            for n in range(args.users)
        ]
        for thread in threads:
            thread.start()
        clock.start()  # once every user has logged in
        for thread in threads:
            thread.join(timeout=args.seconds + 120)
        health = _health(server.base, args.users, min(15.0, args.seconds))
    every = [t for values in tally.latencies.values() for t in values]
    rate = len(every) / args.seconds
    print(f"\n{engine}: {args.users} users, {args.seconds:g} s, think {args.think:g} s")
    print(f"  mix: {rate:.1f} requests/s; /health alone: {health:.1f} requests/s "
          f"({rate / health * 100:.1f} % of it)")  # fmt: skip
    print("  " + _line("all", every))
    for kind in ("overview", "list", "project", "status"):
        if tally.latencies.get(kind):
            print("  " + _line(kind, tally.latencies[kind]))
    print(f"  errors: {len(tally.errors)}; version conflicts (409, refused on purpose): "
          f"{tally.conflicts}")  # fmt: skip
    if tally.errors:
        print("  first errors: " + ", ".join(tally.errors[:5]))
    verdict = "meets" if _percentile(every, 95) < 1.0 and not tally.errors else "MISSES"
    median = statistics.median(every) * 1000
    print(f"  {verdict} the target (p95 < 1 s, no errors); median of all {median:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=0.0)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    with ExitStack() as stack:
        if args.engine in ("sqlite", "both"):
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="portfolio-load-"))
            run(f"sqlite:///{Path(folder) / 'load.sqlite'}", "SQLite", args)
        if args.engine in ("postgresql", "both"):
            from tests.conftest import POSTGRES_URL, scratch_postgres_database

            url = os.environ.get("PORTFOLIO_BENCH_POSTGRES_URL") or POSTGRES_URL or DEFAULT_POSTGRES
            os.environ["PORTFOLIO_TEST_POSTGRES_URL"] = url
            import tests.conftest as conftest

            conftest.POSTGRES_URL = url
            database = stack.enter_context(scratch_postgres_database())
            run(database, "PostgreSQL", args)


if __name__ == "__main__":
    main()
