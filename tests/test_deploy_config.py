"""deploy/gunicorn.conf.py: the production start loads, serves, and logs one JSON line per
request without the query string or anything the user typed."""

from __future__ import annotations

import json
import os
import runpy
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from portfolio import create_app
from tests.conftest import TEST_HASH_METHOD
from tests.live_server import BIN, Browser, LiveServer, _wait_until_up, server_env
from tests.test_cli import free_port

CONFIG = Path(__file__).parent.parent / "deploy" / "gunicorn.conf.py"
PASSWORD = "Sikker-adgangskode-42"


@contextmanager
def deployed(
    env: dict[str, str], workers: int = 1, log_file: Path | None = None, *, count: int = 1
) -> Iterator[list[LiveServer]]:
    """`count` copies of the app as deploy/ starts it (gunicorn -c deploy/gunicorn.conf.py),
    each on a free loopback port, started together, until the block ends; their output in
    `log_file` (one server; complete once the block has ended: gunicorn writes a request's
    line after its answer)."""
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        servers = []
        for n in range(count):
            port = free_port()
            own = {**env, "PORTFOLIO_BIND": f"127.0.0.1:{port}", "PORTFOLIO_WORKERS": str(workers)}
            log = (log_file if count == 1 and log_file else None) or Path(folder) / f"{n}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(  # noqa: S603
                    [os.path.join(BIN, "gunicorn"), "-c", str(CONFIG)],
                    env=own,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=folder,  # nothing of the checkout's instance folder or config is used
                )
            stack.callback(_stop, process)
            servers.append(LiveServer(f"http://127.0.0.1:{port}", process, log))
        for server in servers:
            _wait_until_up(server)
        yield servers


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


def cli(url: str, *args: str, stdin: str | None = None) -> str:
    """A `portfolio` command in this process (as fast as the suite's other CLI tests)."""
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "deploy-test",
            "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
        },
        check_schema=False,
    )
    result = app.test_cli_runner().invoke(args=list(args), input=stdin)
    app.extensions["portfolio_db"].dispose()
    assert result.exit_code == 0, result.output
    return result.output


def access_lines(log: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.splitlines() if line.startswith('{"method"')]


def test_workers_follow_the_cores_capped_and_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTFOLIO_WORKERS", raising=False)
    settings = runpy.run_path(str(CONFIG))
    assert settings["workers"] == min(2 * len(os.sched_getaffinity(0)) + 1, 8)
    assert settings["wsgi_app"] == "portfolio:create_app()" and settings["accesslog"] == "-"
    monkeypatch.setenv("PORTFOLIO_WORKERS", "3")
    assert runpy.run_path(str(CONFIG))["workers"] == 3


def test_the_app_starts_with_the_config_and_logs_each_request_without_secrets(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = tmp_path / "deploy.sqlite"
    shutil.copy(sqlite_template, database)
    url = f"sqlite:///{database}"
    cli(
        url, "create-user", "drift@kommune.example", "--name", "Drift", "--role", "admin",
        "--password-stdin", stdin=f"{PASSWORD}\n",
    )  # fmt: skip
    log_file = tmp_path / "server.log"
    with deployed(server_env(url), log_file=log_file) as [server]:
        browser = Browser(server.base)
        assert browser.get("/health").status == 200
        browser.login("drift@kommune.example", PASSWORD)
        assert browser.get("/projekter/?q=hemmelig-soegning&token=hemmelig-token").status == 200
        crooked = browser.get("/findes/ikke/%22med%5Ccitat%0Aog-ny-linje")  # decoded: " \ \n
        assert crooked.status == 404
    log = log_file.read_text(encoding="utf-8")

    lines = access_lines(log)  # every access line is valid JSON, one per request
    by_path = {(line["method"], line["path"]): line for line in lines}
    health = by_path[("GET", "/health")]
    assert health["status"] == 200 and health["user_id"] is None
    assert isinstance(health["duration_ms"], int) and health["remote"] == "127.0.0.1"
    assert by_path[("POST", "/login")]["status"] == 302
    listed = by_path[("GET", "/projekter/")]
    assert listed["status"] == 200 and isinstance(listed["user_id"], int)
    assert by_path[("GET", '/findes/ikke/"med\\citat\nog-ny-linje')]["status"] == 404
    # Never the password, the query string, or the CSRF token.
    assert PASSWORD not in log and "hemmelig" not in log and "csrf" not in log
