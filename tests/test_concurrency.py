"""Several gunicorn workers and several writers at once on one database (SQLite file and
PostgreSQL): no lock errors, no lost write."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from http.cookiejar import CookieJar

from sqlmodel import Session, col, select

from portfolio.db import make_engine
from portfolio.projects.models import Project, StatusUpdate
from tests.live_server import gunicorn, portfolio, server_env

WRITERS = 6
UPDATES_EACH = 8
EMAIL, PASSWORD = "skriver@kommune.example", "skriver-kode-123"


def _writer(base: str, project_id: int, n: int) -> list[int]:
    """One user: logs in, then changes the comment of one project n times, as a browser would."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def form(url: str) -> tuple[str, str | None]:
        html = opener.open(base + url, timeout=60).read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        version = re.search(r'name="version"[^>]*value="(\d+)"', html)
        return token.group(1) if token else "", version.group(1) if version else None

    def post(url: str, data: dict[str, str]) -> int:
        body = urllib.parse.urlencode(data).encode()
        try:
            return int(opener.open(base + url, body, timeout=60).status)
        except urllib.error.HTTPError as exc:
            return exc.code

    token, _ = form("/login")
    codes = [post("/login", {"csrf_token": token, "email": EMAIL, "password": PASSWORD})]
    page = f"/projekter/{project_id}"
    for i in range(n):
        token, version = form(page)
        codes.append(
            post(
                f"{page}/status",
                {
                    "csrf_token": token,
                    "version": version or "",
                    "status": "yellow",
                    "phase": "implementation",
                    "status_comment": f"skriver {project_id} opdatering {i}",
                },
            )
        )
    return codes


def test_concurrent_writers_under_several_workers_lose_nothing(database_url: str) -> None:
    env = server_env(database_url)
    portfolio(env, "demo")
    portfolio(
        env,
        *("create-user", EMAIL, "--name", "Skriver", "--role", "editor", "--password-stdin"),
        stdin=PASSWORD + "\n",
    )
    engine = make_engine(database_url)
    with Session(engine) as s:
        ids = [p.id for p in s.exec(select(Project).order_by(col(Project.id))).all()][:WRITERS]
        before = len(s.exec(select(StatusUpdate)).all())
    with gunicorn(env, workers=4) as server:
        with ProcessPoolExecutor(WRITERS) as pool:
            results = list(
                pool.map(_writer, [server.base] * WRITERS, ids, [UPDATES_EACH] * WRITERS)
            )
        log = server.log()
    codes = [c for r in results for c in r]
    # Each writer works on its own project, so no save of theirs is a conflict.
    assert all(c in (200, 302) for c in codes), codes
    assert "database is locked" not in log and "Traceback" not in log, log[-3000:]
    with Session(engine) as s:
        comments = s.exec(select(StatusUpdate).where(StatusUpdate.field == "status_comment")).all()
        texts = {u.new_value for u in comments}
        for pid in ids:
            for i in range(UPDATES_EACH):
                assert f"skriver {pid} opdatering {i}" in texts
        assert len(s.exec(select(StatusUpdate)).all()) >= before + WRITERS * UPDATES_EACH
    engine.dispose()
