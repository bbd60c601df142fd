"""`portfolio --help` answers without building the app; its list is the commands' own."""

from __future__ import annotations

import subprocess
import sys

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
    assert "import       Importér projektporteføljearket (.xlsx)." in done.stdout
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
