"""`portfolio --help` answers without building the app; its list is the commands' own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from portfolio import cli, console

PROBE = """
import sys
sys.argv = ["portfolio", "--help"]
from portfolio.console import main
try:
    main()
except SystemExit as exit:
    assert exit.code == 0, exit.code
heavy = ("portfolio.cli", "portfolio.db", "sqlalchemy", "openpyxl")
heavy = sorted(m for m in heavy if m in sys.modules)
print("loaded:", ",".join(heavy))
"""


def test_help_lists_each_command_with_its_own_summary() -> None:
    assert console.SUMMARIES == {
        name: command.get_short_help_str(limit=200) for name, command in cli.COMMANDS.items()
    }


def test_help_loads_neither_the_commands_nor_the_database_layer() -> None:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    # The column is as wide as the longest name (send-reminders).
    assert re.search(r"^  import +Importér projektporteføljearket \(\.xlsx\)\.$", done.stdout, re.M)
    assert done.stdout.splitlines()[-1] == "loaded: "


APP_PROBE = """
import sys
from portfolio import create_app
create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "probe"})
heavy = ("openpyxl", "docx", "alembic", "hypothesis")
print("loaded:", ",".join(sorted(m for m in heavy if m in sys.modules)))
"""


def test_building_the_app_loads_no_workbook_or_document_library() -> None:
    """Every command and worker builds the app: the sheet readers and writers, Word and the
    migrations are loaded by the pages and commands that use them, not at start."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", APP_PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "loaded: "


SAMPLE_SHEET = Path(__file__).resolve().parents[1] / "sample_data" / "portefolje.xlsx"
IMPORT_PROBE = """
import sys
sys.argv = ["portfolio", *sys.argv[1:]]
from portfolio.console import main
try:
    main()
except SystemExit as exit:
    print("exit:", exit.code)
views = sorted(m for m in sys.modules if m.endswith(("views", "forms")) and "portfolio" in m)
print("views:", ",".join(views))
"""


def test_a_data_only_command_builds_no_pages(tmp_path: Path) -> None:
    """`portfolio import` reads a sheet into the database: it pays for no view or form."""
    database = tmp_path / "cli.sqlite"
    env = {**os.environ, "PORTFOLIO_DATABASE_URL": f"sqlite:///{database}"}
    init = subprocess.run(  # noqa: S603
        [sys.executable, "-c", IMPORT_PROBE, "init-db"], env=env, capture_output=True, check=False
    )
    assert b"exit: 0" in init.stdout, init.stderr
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", IMPORT_PROBE, "import", str(SAMPLE_SHEET), "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "exit: 0" in done.stdout, done.stderr
    assert "Projekt" in done.stdout or "ny:" in done.stdout, done.stdout[:2000]
    assert done.stdout.splitlines()[-1] == "views: "
    assert set(console.DATA_ONLY) <= set(console.SUMMARIES)
