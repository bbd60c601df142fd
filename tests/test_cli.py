"""The `portfolio` command: database set-up, demo data and the JSON listing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from flask.testing import FlaskCliRunner
from sqlmodel import Session

from portfolio.demo.data import demo_projects
from portfolio.projects.models import Project, StatusUpdate
from tests.conftest import count_rows

CANONICAL = {
    "name",
    "case_number",
    "scope",
    "kind",
    "department",
    "process_owner",
    "project_lead",
    "phase",
    "status",
    "status_comment",
    "start_date",
    "end_date",
    "baseline_end_date",
    "budget_dkk",
    "description",
    "link",
}


def test_demo_loads_the_sample_portfolio_once(runner: FlaskCliRunner, session: Session) -> None:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert f"Demodata indlæst: {len(demo_projects())} projekter" in result.output
    assert count_rows(session, Project) == len(demo_projects())
    history = count_rows(session, StatusUpdate)
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert "allerede projekter" in again.output
    assert count_rows(session, Project) == len(demo_projects())
    assert count_rows(session, StatusUpdate) == history


def test_projects_json_lists_canonical_fields(runner: FlaskCliRunner) -> None:
    runner.invoke(args=["demo"])
    result = runner.invoke(args=["projects", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    expected = {row["case_number"]: row for row in demo_projects()}
    assert len(rows) == len(expected)
    for row in rows:
        assert CANONICAL <= set(row)
        source = expected[row["case_number"]]
        assert row["name"] == source["name"]
        assert row["scope"] == source["scope"] and row["status"] == source["status"]
        assert row["start_date"] == source["start_date"].isoformat()
        assert isinstance(row["budget_dkk"], int) and row["budget_dkk"] == source["budget_dkk"]
        assert row["department"] == source["department"]
        assert row["process_owner"] == source["process_owner"]


def test_init_db_is_safe_to_run_twice(runner: FlaskCliRunner) -> None:
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0
        assert "Databasen er klar" in result.output


def _run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        list(args), env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_console_script_and_flask_app_option_work_on_a_fresh_database(tmp_path: Path):
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PORTFOLIO_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}"}
    demo = _run(str(bin_dir / "portfolio"), "demo", env=env, cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    listed = _run(str(bin_dir / "portfolio"), "projects", "--json", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == len(demo_projects())
    via_flask = _run(
        str(bin_dir / "flask"), "--app", "portfolio", "projects", "--json", env=env, cwd=tmp_path
    )
    assert via_flask.returncode == 0, via_flask.stderr
    assert json.loads(via_flask.stdout) == json.loads(listed.stdout)
    helped = _run(str(bin_dir / "portfolio"), "--help", env=env, cwd=tmp_path)
    for command in ("init-db", "demo", "run", "projects"):
        assert command in helped.stdout


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_run_with_demo_serves_the_app_and_prints_its_address(tmp_path: Path) -> None:
    import http.cookiejar
    import re
    import time
    import urllib.parse
    import urllib.request

    port = free_port()
    env = {**os.environ, "PORTFOLIO_DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite'}"}
    server = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).parent / "portfolio"), "run", "--demo", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        base = f"http://127.0.0.1:{port}"
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login_page = ""
        while time.monotonic() < deadline:
            try:
                with browser.open(f"{base}/projekter/") as r:  # anonymous: the login page
                    login_page = r.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert "Log ind" in login_page
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page)
        assert token
        form = urllib.parse.urlencode(
            {
                "csrf_token": token.group(1),
                "email": "chefforum@kommune.example",
                "password": "portefolje-demo",
                "next": "/projekter/",
            }
        ).encode()
        with browser.open(f"{base}/login", data=form) as r:
            body = r.read().decode()
        assert "Bilagsapp" in body and "Kørselsapp" in body and "Fraværsapp" in body
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    # the logins of the demo users are printed next to the address
    assert "chefforum@kommune.example" in output and "portefolje-demo" in output
    assert f"http://localhost:{port}/" in output
