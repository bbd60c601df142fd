"""The generated secret key: one key for every worker that starts at once, never world-readable."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path
from typing import Any

from portfolio.config import _instance_secret

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
