"""Benchmark: GET /login latency with and without a flood of wrong-password logins.

Run:  .venv/bin/python benchmarks/login_flood.py [--gunicorn] [--clients 16] [--posts 40]
Starts Portefølje on 127.0.0.1 with a demo SQLite database (waitress, as `portfolio run`, 8 threads;
or gunicorn with 2 gthread workers of 8 threads), then measures GET /login (median and p95) alone,
during a flood from one address, and during a flood from as many loopback addresses
(127.0.0.x) as there are clients, which the per-address throttle cannot slow. Each flooding
client sends at most --posts logins and stops after --seconds, so the run is bounded.
Before the throttling and the bounded hashing, 16 flooding clients pushed GET /login from about
4 ms to 1.5 s. Aim: GET /login stays in the tens of milliseconds during either flood.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# Run as a script: the repository root on the path for the tests' HTTP helpers.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.live_server import http_exchange  # noqa: E402
from tests.test_cli import free_port  # noqa: E402

DEMO_EMAIL = "raad@kommune.example"
HOST = "127.0.0.1"


def request(
    port: int,
    path: str,
    form: dict[str, str] | None = None,
    *,
    source: str = HOST,
    cookie: str = "",
) -> tuple[int, str, str]:
    """One request on a fresh connection: status, body and the session cookie it set."""
    status, text, cookies = http_exchange(port, path, form, source=source, cookie=cookie)
    session = next((c.split(";", 1)[0] for c in cookies if c.startswith("session=")), "")
    return status, text, session or cookie


def start_server(env: dict[str, str], port: int, use_gunicorn: bool) -> subprocess.Popen[bytes]:
    bin_dir = Path(sys.executable).parent
    if use_gunicorn:
        cmd = [str(bin_dir / "gunicorn"), "-w", "2", "-k", "gthread", "--threads", "8"]
        cmd += ["-b", f"{HOST}:{port}", "portfolio:create_app()"]
    else:
        cmd = [str(bin_dir / "portfolio"), "run", "--host", HOST, "--port", str(port)]
    server = subprocess.Popen(  # noqa: S603
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if request(port, "/health")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not start")


def login_latencies(port: int, stop: threading.Event | None, count: int) -> list[float]:
    """Milliseconds per GET /login: `count` of them, or until `stop` is set (at least 5)."""
    times: list[float] = []
    while len(times) < count if stop is None else (not stop.is_set() or len(times) < 5):
        start = time.perf_counter()
        status = request(port, "/login")[0]
        times.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise SystemExit(f"GET /login answered {status}")
    return times


def flood_client(port: int, source: str, posts: int, deadline: float) -> list[int]:
    _, page, cookie = request(port, "/login", source=source)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    token = match.group(1) if match else ""
    codes = []
    for i in range(posts):
        if time.monotonic() > deadline:
            break
        form = {"csrf_token": token, "email": DEMO_EMAIL, "password": f"forkert-{i}"}
        codes.append(request(port, "/login", form, source=source, cookie=cookie)[0])
    return codes


def flood(
    port: int, sources: list[str], posts: int, seconds: float
) -> tuple[list[float], dict[int, int]]:
    stop = threading.Event()
    deadline = time.monotonic() + seconds
    with ThreadPoolExecutor(len(sources) + 1) as pool:
        runs = [pool.submit(flood_client, port, s, posts, deadline) for s in sources]
        probe = pool.submit(login_latencies, port, stop, 0)
        codes = collections.Counter(c for run in runs for c in run.result())
        stop.set()
        times = probe.result()
    return times, dict(sorted(codes.items()))


def summary(times: list[float]) -> str:
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
    return f"median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   (n={len(times)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gunicorn", action="store_true", help="gunicorn instead of waitress")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--posts", type=int, default=40, help="logins per flooding client")
    parser.add_argument("--seconds", type=float, default=30.0, help="longest flood")
    parser.add_argument("--probes", type=int, default=200, help="GET /login without a flood")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "PORTFOLIO_DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite'}",
            "PORTFOLIO_SECRET_KEY": "login-flood-benchmark",
        }
        portfolio = str(Path(sys.executable).parent / "portfolio")
        subprocess.run(  # noqa: S603
            [portfolio, "demo"], env=env, check=True, capture_output=True, timeout=300
        )
        port = free_port()
        server = start_server(env, port, args.gunicorn)
        try:
            print(f"server: {'gunicorn -w 2 gthread x8' if args.gunicorn else 'waitress x8'}")
            login_latencies(port, None, 20)  # warm up
            quiet = login_latencies(port, None, args.probes)
            print(f"GET /login, no flood:            {summary(quiet)}")
            for label, sources in (
                ("one address", [HOST] * args.clients),
                (f"{args.clients} addresses", [f"127.0.0.{10 + i}" for i in range(args.clients)]),
            ):
                times, codes = flood(port, sources, args.posts, args.seconds)
                print(f"GET /login, flood {label + ':':15}{summary(times)}   logins {codes}")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
