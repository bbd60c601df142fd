"""When a `portfolio` command fails: one clear Danish line on stderr, exit 1, traceback only
with --debug; commands that need the tables say to run `portfolio init-db` instead of migrating."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from portfolio import create_app
from portfolio.db import head_revision
from tests.test_cli import free_port
from tests.test_health import older_revision, set_revision

PORTFOLIO = str(Path(sys.executable).parent / "portfolio")
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "portefolje.xlsx"


def _portfolio(
    *args: str, database_url: str, cwd: Path, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if k not in ("PORTFOLIO_DEBUG", "FLASK_DEBUG")}
    environment = {**inherited, "PORTFOLIO_DATABASE_URL": database_url, **env}
    return subprocess.run(  # noqa: S603
        [PORTFOLIO, *args],
        env=environment,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _unreachable() -> str:
    # A port nobody listens on: the connection is refused at once.
    return f"postgresql+psycopg://postgres:hemmelig-kode@127.0.0.1:{free_port()}/x"


def test_an_unreachable_database_is_one_line_and_exit_1(tmp_path: Path) -> None:
    url = _unreachable()
    shown = sa.make_url(url).render_as_string(hide_password=True)
    for command in (["projects"], ["init-db"]):
        done = _portfolio(*command, database_url=url, cwd=tmp_path)
        assert done.returncode == 1, done.stderr
        assert done.stderr.splitlines() == [
            f"Fejl: kan ikke forbinde til databasen {shown} (connection refused). "
            "Kør med --debug for detaljer."
        ]
        assert "hemmelig-kode" not in done.stdout + done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize("debug", [["--debug"], []], ids=["--debug", "PORTFOLIO_DEBUG=1"])
def test_debug_shows_the_traceback_too(tmp_path: Path, debug: list[str]) -> None:
    env = {} if debug else {"PORTFOLIO_DEBUG": "1"}
    done = _portfolio(*debug, "projects", database_url=_unreachable(), cwd=tmp_path, **env)
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert "sqlalchemy.exc.OperationalError" in done.stderr
    assert done.stderr.splitlines()[-1].startswith("Fejl: kan ikke forbinde til databasen")


def test_click_usage_errors_keep_exit_2(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert _portfolio("projectz", database_url=url, cwd=tmp_path).returncode == 2
    wrong = _portfolio("projects", "--nope", database_url=url, cwd=tmp_path)
    assert wrong.returncode == 2 and "No such option" in wrong.stderr


def test_an_unexpected_error_is_one_line(tmp_path: Path, sqlite_template: Path) -> None:
    db = tmp_path / "ready.sqlite"
    shutil.copy(sqlite_template, db)
    target = tmp_path / "findes-ikke" / "portefolje.xlsx"
    done = _portfolio("export", str(target), database_url=f"sqlite:///{db}", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"Fejl: uventet fejl (FileNotFoundError: [Errno 2] No such file or directory: "
        f"'{target}'). Kør med --debug for detaljer."
    ]


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    names = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    return names


# Each command that uses the tables, with what it needs to get as far as the database.
NEEDS_SCHEMA = {
    "export": (["export", "ud.xlsx"], None),
    "import": (["import", str(SAMPLE)], None),
    "create-user": (
        ["create-user", "a@kommune.example", "--name", "A", "--role", "reader", "--password-stdin"],
        "en-lang-adgangskode\n",
    ),
    "pack": (["pack", "--meeting", "2026-12-08", "--format", "html", "-o", "p.html"], None),
}
NOT_CREATED = "Databasen er ikke oprettet (tabellerne mangler): kør portfolio init-db"


def test_commands_on_an_empty_database_say_to_run_init_db_and_migrate_nothing(
    empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = create_app(
        {"TESTING": True, "DATABASE_URL": empty_database_url, "SECRET_KEY": "x"},
        check_schema=False,
    )
    runner = app.test_cli_runner()
    try:
        for name, (args, stdin) in NEEDS_SCHEMA.items():
            result = runner.invoke(args=args, input=stdin)
            assert result.exit_code == 1, (name, result.output)
            assert result.stderr.splitlines() == [NOT_CREATED], name
            assert _tables(empty_database_url) <= {"alembic_version"}, name
    finally:
        app.extensions["portfolio_db"].dispose()
    assert not (tmp_path / "ud.xlsx").exists() and not (tmp_path / "p.html").exists()
    # The operator's view: `portfolio projects`, then init-db as told, then it works.
    done = _portfolio("projects", database_url=empty_database_url, cwd=tmp_path)
    assert done.returncode == 1 and done.stderr.splitlines() == [NOT_CREATED]
    assert _tables(empty_database_url) <= {"alembic_version"}
    ready = _portfolio("init-db", database_url=empty_database_url, cwd=tmp_path)
    assert ready.returncode == 0, ready.stderr
    listed = _portfolio("projects", database_url=empty_database_url, cwd=tmp_path)
    assert listed.returncode == 0 and listed.stderr.strip() == "0 projekter"


def test_a_command_on_an_outdated_database_says_to_run_init_db(
    tmp_path: Path, sqlite_template: Path
) -> None:
    db = tmp_path / "old.sqlite"
    shutil.copy(sqlite_template, db)
    set_revision(f"sqlite:///{db}", older := older_revision())
    done = _portfolio("projects", database_url=f"sqlite:///{db}", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"Databasen er forældet (version {older}, programmet kræver {head_revision()}): "
        "kør portfolio init-db"
    ]


def test_the_cheap_schema_check_knows_the_revisions_alembic_knows() -> None:
    # Commands read the migrations' revision lines themselves; alembic must agree with them.
    from alembic.script import ScriptDirectory

    from portfolio.db import _migrations, alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    assert _migrations() == (
        ",".join(sorted(script.get_heads())),
        frozenset(rev.revision for rev in script.walk_revisions()),
    )
