"""Benchmark: the `portfolio` command's start and import as whole processes, against bare ones.

Run:  .venv/bin/python benchmarks/startup.py [REPETITIONS] [ROWS]
Measures in one run, each the median of REPETITIONS processes (default 7):
  `portfolio --help` against a bare Flask app's `flask --help` (target ≤ 2×), and
  `portfolio import` of a ROWS-row sheet (default 10,000) into a fresh SQLite database after
  init-db against `python -c` parsing the same file with openpyxl read-only (target ≤ 1.0×).
Wall time is the target; the processes' CPU time (user + system) is printed too, as it moves
less when other work shares the machine.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.import_10k import make_sheet  # noqa: E402

BIN = Path(sys.executable).parent
BARE_APP = "from flask import Flask\n\napp = Flask(__name__)\n"
BARE_PARSE = (
    "import sys\n"
    "from openpyxl import load_workbook\n"
    "wb = load_workbook(sys.argv[1], read_only=True, data_only=True)\n"
    "n = sum(1 for ws in wb.worksheets for _ in ws.iter_rows(values_only=True))\n"
    "wb.close()\n"
)


class Runs:
    """Wall and CPU seconds of each run of one command."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def run(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603
        self.wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")

    def __str__(self) -> str:
        shown = ", ".join(f"{t:.2f}" for t in self.wall)
        return (
            f"median {statistics.median(self.wall):.3f} s ({shown}); "
            f"CPU median {statistics.median(self.cpu):.3f} s"
        )


def verdict(label: str, ours: Runs, bare: Runs, target: float) -> None:
    ratio = statistics.median(ours.wall) / statistics.median(bare.wall)
    cpu = statistics.median(ours.cpu) / statistics.median(bare.cpu)
    met = "meets" if ratio <= target else "MISSES"
    print(f"{label}: {ratio:.2f} × bare ({cpu:.2f} × in CPU) — {met} the {target:g} × target")


def main() -> None:
    repetitions = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    tmp = Path(tempfile.mkdtemp(prefix="portfolio-startup-"))
    try:
        (tmp / "bare_app.py").write_text(BARE_APP)
        sheet = tmp / "portfolio.xlsx"
        sheet.write_bytes(make_sheet(rows))
        database = tmp / "bench.sqlite"
        template = tmp / "template.sqlite"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "PORTFOLIO_"))}
        ours = {**base, "PORTFOLIO_DATABASE_URL": f"sqlite:///{database}"}
        bare = {**base, "FLASK_APP": str(tmp / "bare_app.py")}
        Runs().run([str(BIN / "portfolio"), "init-db"], ours, tmp)
        shutil.copy(database, template)

        def fresh_database() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
            shutil.copy(template, database)

        help_ours, help_bare, import_ours, import_bare = Runs(), Runs(), Runs(), Runs()
        # Interleaved, so that load from other work on the machine falls on both sides alike.
        for _ in range(repetitions):
            help_bare.run([str(BIN / "flask"), "--help"], bare, tmp)
            help_ours.run([str(BIN / "portfolio"), "--help"], ours, tmp)
            import_bare.run([sys.executable, "-c", BARE_PARSE, str(sheet)], base, tmp)
            fresh_database()
            import_ours.run([str(BIN / "portfolio"), "import", str(sheet)], ours, tmp)

        print(f"Sheet: {rows} rows, {sheet.stat().st_size / 1e6:.2f} MB; {repetitions} runs each")
        print(f"bare flask --help:             {help_bare}")
        print(f"portfolio --help:              {help_ours}")
        print(f"bare openpyxl read-only parse: {import_bare}")
        print(f"portfolio import (SQLite):     {import_ours}")
        verdict("portfolio --help", help_ours, help_bare, 2.0)
        verdict("portfolio import", import_ours, import_bare, 1.0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
