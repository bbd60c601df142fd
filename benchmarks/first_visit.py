"""Benchmark: the bytes a first visit to the overview transfers, and the overview's server time.

Run:  .venv/bin/python benchmarks/first_visit.py [N]      (default: 1000 projects)
Serves the app over real HTTP (werkzeug, one thread) on the demo portfolio and on N generated
projects (benchmarks/overview.py's data), logs in as a reader, and fetches /overblik/ and every
script, stylesheet and icon it references with `Accept-Encoding: gzip`, as a browser with an
empty cache would: the bytes on the wire (status line, headers and body) are counted.
Targets: at most 1.6 MB per first visit (before compression about 4.9 MB); the overview for
1,000 projects in under 100 ms of server time (median, gzip included).
"""

from __future__ import annotations

import gzip
import http.client
import logging
import re
import shutil
import sys
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from flask import Flask
from overview import populate, reader_client, sqlite_database, timings
from werkzeug.serving import make_server

from portfolio import create_app
from portfolio.db import get_session

TARGET_BYTES = 1_600_000
TARGET_MS = 100
GZIP = "gzip, deflate, br"


class Fetched(NamedTuple):
    path: str
    status: int
    encoding: str
    wire: int  # status line + headers + body as sent
    body: int  # the body as the browser has it after unpacking


@contextmanager
def serving(app: Flask) -> Iterator[int]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join()


def fetch(port: int, path: str, cookie: str, form: dict[str, str] | None = None) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Accept-Encoding": GZIP, "Cookie": cookie}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request("POST" if form else "GET", path, body, headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


def wire_size(response: Any, data: bytes) -> int:
    head = f"HTTP/1.1 {response.status} {response.reason}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in response.getheaders()) + "\r\n"
    return len(head.encode("latin-1")) + len(data)


def first_visit(app: Flask, email: str, password: str) -> list[Fetched]:
    with serving(app) as port:
        response, _ = fetch(port, "/login", "", {"email": email, "password": password})
        if response.status != 302:
            raise SystemExit(f"benchmark login failed: HTTP {response.status}")
        cookie = "; ".join(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie"))
        fetched: list[Fetched] = []
        paths = ["/overblik/"]
        while paths:
            path = paths.pop(0)
            response, data = fetch(port, path, cookie)
            encoding = response.getheader("Content-Encoding", "")
            plain = gzip.decompress(data) if encoding == "gzip" else data
            fetched.append(
                Fetched(path, response.status, encoding, wire_size(response, data), len(plain))
            )
            if path == "/overblik/":
                html = plain.decode("utf-8")
                paths += re.findall(r'<(?:script|link)\b[^>]*?(?:src|href)="(/static/[^"]+)"', html)
    return fetched


def report(label: str, fetched: list[Fetched]) -> None:
    print(f"\n{label}: a first visit to /overblik/ with Accept-Encoding: {GZIP}")
    for f in fetched:
        print(
            f"  {f.path:<52} {f.status} {f.encoding or 'identity':<8}"
            f" {f.wire:>10,} B on the wire  ({f.body:>10,} B unpacked)"
        )
    wire = sum(f.wire for f in fetched)
    plain = sum(f.body for f in fetched)
    verdict = "meets" if wire <= TARGET_BYTES else "MISSES"
    print(f"  total {wire:,} B ({wire / 1e6:.2f} MB; {plain / 1e6:.2f} MB unpacked)")
    print(f"  {verdict} ≤ {TARGET_BYTES / 1e6:.1f} MB")


def bench_app(url: str) -> Flask:
    return create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True, "WTF_CSRF_ENABLED": False}
    )


def demo(tmp: Path) -> None:
    from portfolio.demo.services import load_demo_portfolio

    with sqlite_database(tmp, 0) as url:
        app = bench_app(url)
        with app.app_context():
            load_demo_portfolio(session=get_session(), actor="benchmark")
            get_session().commit()
        reader_client(app)  # makes the reader bench@kommune.example
        report("demo portfolio", first_visit(app, "bench@kommune.example", "benchmark-password"))
        app.extensions["portfolio_db"].dispose()


def generated(tmp: Path, n: int) -> None:
    with sqlite_database(tmp, n) as url:
        populate(url, n)
        app = bench_app(url)
        client = reader_client(app)
        report(f"{n:,} projects", first_visit(app, "bench@kommune.example", "benchmark-password"))
        for encoding in ("identity", "gzip"):
            client.environ_base["HTTP_ACCEPT_ENCODING"] = encoding
            (full,) = timings(client, ["/overblik/"])
            verdict = ""
            if n == 1000:
                verdict = f"  meets < {TARGET_MS} ms" if full.median < TARGET_MS else "  MISSES"
            print(
                f"  server time /overblik/ ({encoding:<8}): median {full.median:.1f} ms,"
                f" fastest {full.fastest:.1f} ms, {full.size / 1024:.0f} KiB{verdict}"
            )
        app.extensions["portfolio_db"].dispose()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    tmp = Path(tempfile.mkdtemp())
    try:
        demo(tmp)
        generated(tmp, n)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
