"""The secret key: from PORTFOLIO_SECRET_KEY; else, on SQLite, generated once for every worker
that starts at once, never world-readable; on PostgreSQL never generated per server."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from portfolio import create_app
from portfolio.config import ConfigError, _instance_secret, load_config
from portfolio.db import PortfolioFlask

WORKERS = 8
ROUNDS = 50  # fresh instance folders, each met by all workers at once


def _start_worker(root: str, barrier: Any, keys: Any) -> None:
    found = []
    for n in range(ROUNDS):
        barrier.wait()  # all at once, like gunicorn's workers importing the app
        found.append(_instance_secret(Path(root) / f"instance-{n}"))
    keys.put(found)


def test_workers_starting_together_agree_on_one_private_key(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")  # no fork of a process with threads
    barrier = ctx.Barrier(WORKERS)
    keys = ctx.Queue()
    workers = [
        ctx.Process(target=_start_worker, args=(str(tmp_path), barrier, keys))
        for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    got = [keys.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0

    for n in range(ROUNDS):
        instance = tmp_path / f"instance-{n}"
        key_file = instance / "secret_key"
        seen = {found[n] for found in got}
        assert seen == {key_file.read_text()}, f"round {n}: workers got {len(seen)} keys"
        assert len(key_file.read_text()) == 64
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert [p.name for p in instance.iterdir()] == ["secret_key"]  # no temp file left


def test_the_key_survives_a_restart(tmp_path: Path) -> None:
    first = _instance_secret(tmp_path)
    assert _instance_secret(tmp_path) == first


# --- the key with PostgreSQL: shared by every server, so never generated per server -------------

PG_URL = "postgresql+psycopg://portefolje@db.invalid/portefolje"  # never connected to here


def _configured(tmp_path: Path, monkeypatch: Any, *, serving: bool = True, **env: str) -> Flask:
    for name in ("PORTFOLIO_SECRET_KEY", "PORTFOLIO_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(f"PORTFOLIO_{name}", value)
    app = Flask("probe", instance_path=str(tmp_path / "instance"))
    load_config(app, None, serving=serving)
    return app


def test_the_key_from_the_environment_is_used_and_no_file_is_made(
    tmp_path: Path, monkeypatch: Any
) -> None:
    for url in (PG_URL, f"sqlite:///{tmp_path / 'x.sqlite'}"):
        app = _configured(tmp_path, monkeypatch, SECRET_KEY="fra-miljoeet", DATABASE_URL=url)
        assert app.config["SECRET_KEY"] == "fra-miljoeet"
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_postgresql_without_a_key_refuses_to_start_and_says_what_to_set(
    tmp_path: Path, monkeypatch: Any
) -> None:
    with pytest.raises(ConfigError) as refused:
        _configured(tmp_path, monkeypatch, DATABASE_URL=PG_URL)
    assert "PORTFOLIO_SECRET_KEY er ikke sat" in str(refused.value)
    assert "samme" in str(refused.value) and "alle servere" in str(refused.value)
    assert not (tmp_path / "instance" / "secret_key").exists()  # no per-server key made


def test_postgresql_keeps_a_key_file_made_before_the_rule_with_a_warning(
    tmp_path: Path, monkeypatch: Any, caplog: pytest.LogCaptureFixture
) -> None:
    made = _instance_secret(tmp_path / "instance")  # an installation from before
    app = _configured(tmp_path, monkeypatch, DATABASE_URL=PG_URL)
    assert app.config["SECRET_KEY"] == made
    assert "Sæt PORTFOLIO_SECRET_KEY, før en server mere startes" in caplog.text


def test_the_cli_needs_no_key_but_run_refuses_to_serve_without_one(
    tmp_path: Path, monkeypatch: Any
) -> None:
    app = _configured(tmp_path, monkeypatch, serving=False, DATABASE_URL=PG_URL)
    assert not app.config.get("SECRET_KEY")
    assert not (tmp_path / "instance").exists()

    _instance_in(tmp_path, monkeypatch)
    served = create_app({"DATABASE_URL": PG_URL}, check_schema=False)
    result = served.test_cli_runner().invoke(args=["run", "--port", "1"])
    assert result.exit_code == 1
    assert "PORTFOLIO_SECRET_KEY er ikke sat" in result.output


def _instance_in(tmp_path: Path, monkeypatch: Any) -> None:
    """create_app's instance folder in tmp_path, not the checkout's (which may hold a key)."""
    monkeypatch.setattr(
        PortfolioFlask, "auto_find_instance_path", lambda _app: str(tmp_path / "instance")
    )


def test_the_web_app_refuses_to_start_on_postgresql_without_a_key(
    tmp_path: Path, monkeypatch: Any
) -> None:
    _instance_in(tmp_path, monkeypatch)
    monkeypatch.delenv("PORTFOLIO_SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTFOLIO_DATABASE_URL", PG_URL)
    with pytest.raises(ConfigError, match="PORTFOLIO_SECRET_KEY er ikke sat"):
        create_app()  # what gunicorn calls; it stops before the database is looked at
