"""`portfolio backup` while the app writes, and `portfolio restore` into an empty database: the
demo portfolio round-trips table by table on SQLite and PostgreSQL; refusals change nothing."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result

from portfolio import create_app
from portfolio.backup import services
from portfolio.db import head_revision, make_engine, writing
from portfolio.domain import ChangeSource
from portfolio.projects.models import StatusUpdate
from tests.conftest import TEST_HASH_METHOD, scratch_postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """`databases(n)`: a new empty database URL of the engine under test (no tables)."""
    with ExitStack() as stack:

        def new(name: str) -> str:
            if request.param == "sqlite":
                return f"sqlite:///{tmp_path / f'{name}.sqlite'}"
            return str(stack.enter_context(scratch_postgres_database()))

        yield new


def _portfolio(url: str, *args: str) -> Result:
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "backup-test",
            "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
        },
        check_schema=False,
    )
    result = app.test_cli_runner().invoke(args=list(args))
    app.extensions["portfolio_db"].dispose()
    return result


def _tables(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in the database (as reflected, alembic_version too), and on
    PostgreSQL where each sequence stands."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            meta = sa.MetaData()
            meta.reflect(conn)
            out = {
                name: [
                    tuple(row)
                    for row in conn.execute(
                        sa.select(table).order_by(*(table.primary_key.columns or table.columns))
                    )
                ]
                for name, table in sorted(meta.tables.items())
            }
            if engine.dialect.name == "postgresql":
                sequences = conn.exec_driver_sql(
                    "SELECT sequencename, last_value FROM pg_sequences ORDER BY 1"
                )
                out["(sequences)"] = [tuple(row) for row in sequences]
            return out
    finally:
        engine.dispose()


class StatusWriter(threading.Thread):
    """The app at work: each transaction bumps one project's version and adds its history row,
    as a status update does. `counts` holds the history's length after each commit."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = make_engine(url)
        self.stop = threading.Event()
        self.written = threading.Condition()
        self.counts: list[int] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        table = StatusUpdate.__table__
        try:
            with self.engine.connect() as conn:
                ids = list(conn.exec_driver_sql("SELECT id FROM project ORDER BY id").scalars())
                count = conn.exec_driver_sql("SELECT count(*) FROM status_update").scalar_one()
            with self.written:
                self.counts.append(count)
            n = 0
            while not self.stop.is_set():
                project = ids[n % len(ids)]
                with writing(self.engine).begin() as conn:
                    conn.execute(
                        sa.text(
                            "UPDATE project SET status_comment = :c, version = version + 1 "
                            "WHERE id = :id"
                        ),
                        {"c": f"Skrevet under kopien {n}", "id": project},
                    )
                    conn.execute(
                        sa.insert(table).values(
                            project_id=project,
                            changed_at=datetime.now(UTC),
                            changed_by="test",
                            field="status_comment",
                            new_value=f"Skrevet under kopien {n}",
                            source=ChangeSource.cli,
                        )
                    )
                n += 1
                with self.written:
                    self.counts.append(count + n)
                    self.written.notify_all()
        except BaseException as exc:  # pragma: no cover - reported by the test
            self.error = exc
            with self.written:
                self.written.notify_all()
        finally:
            self.engine.dispose()

    def wait_for(self, writes: int) -> None:
        with self.written:
            ok = self.written.wait_for(
                lambda: self.error is not None or len(self.counts) > writes, timeout=120
            )
        assert ok and self.error is None, self.error


def _history(url: str) -> tuple[int, int]:
    """The status history's length and the sum of the projects' versions."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            count = conn.exec_driver_sql("SELECT count(*) FROM status_update").scalar_one()
            versions = conn.exec_driver_sql("SELECT sum(version) FROM project").scalar_one()
            return int(count), int(versions)
    finally:
        engine.dispose()


def test_a_backup_taken_while_the_app_writes_restores_to_an_identical_database(
    databases: Any, tmp_path: Path
) -> None:
    source = databases("source")
    demo = _portfolio(source, "demo")
    assert demo.exit_code == 0, demo.output
    count0, versions0 = _history(source)

    writer = StatusWriter(source)
    writer.start()
    try:
        writer.wait_for(3)  # the app is writing before the copy starts …
        busy = tmp_path / "under-drift.backup"
        taken = _portfolio(source, "backup", str(busy))
        seen = len(writer.counts)
        writer.wait_for(seen + 2)  # … and goes on writing while and after it is taken
    finally:
        writer.stop.set()
        writer.join(timeout=60)
    assert writer.error is None
    assert taken.exit_code == 0, taken.output
    assert f"skemaversion {head_revision()}" in taken.output

    # The copy is one moment of the database: whole transactions, never half of one.
    copy = databases("copy")
    restored = _portfolio(copy, "restore", str(busy))
    assert restored.exit_code == 0, restored.output
    count, versions = _history(copy)
    assert count in writer.counts and count > count0
    assert versions - versions0 == count - count0
    if copy.startswith("sqlite"):
        with sqlite3.connect(copy.removeprefix("sqlite:///")) as db:
            assert db.execute("PRAGMA quick_check").fetchone() == ("ok",)
    assert _portfolio(copy, "projects", "--json").exit_code == 0  # the app can use it

    # Taken when nothing moves, the restored database is the source, row by row.
    quiet = tmp_path / "stille.backup"
    assert _portfolio(source, "backup", str(quiet)).exit_code == 0
    twin = databases("twin")
    assert _portfolio(twin, "restore", str(quiet)).exit_code == 0
    expected = _tables(source)
    assert expected["project"] and expected["status_update"] and expected["app_user"]
    assert _tables(twin) == expected


def test_restore_refuses_a_database_with_tables_or_another_schema_and_changes_nothing(
    databases: Any, tmp_path: Path
) -> None:
    source = databases("source")
    assert _portfolio(source, "demo").exit_code == 0
    good = tmp_path / "god.backup"
    assert _portfolio(source, "backup", str(good)).exit_code == 0

    # Not into a database that has tables: here the source itself.
    before = _tables(source)
    refused = _portfolio(source, "restore", str(good))
    assert refused.exit_code == 1
    assert refused.output.strip().startswith("Databasen er ikke tom")
    assert len(refused.output.strip().splitlines()) == 1
    assert _tables(source) == before

    # Not a copy from an older or a newer schema, even into an empty database.
    empty = databases("empty")
    for revision in ("0007", "0099"):
        engine = sa.create_engine(source)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
        engine.dispose()
        other = tmp_path / f"skema-{revision}.backup"
        taken = _portfolio(source, "backup", str(other))  # any schema can be backed up
        assert taken.exit_code == 0 and f"skemaversion {revision}" in taken.output
        refused = _portfolio(empty, "restore", str(other))
        assert refused.exit_code == 1
        assert f"Sikkerhedskopien har skemaversion {revision}" in refused.output
        assert f"denne udgave af Portefølje bruger {head_revision()}" in refused.output
        if empty.startswith("sqlite"):
            assert not Path(empty.removeprefix("sqlite:///")).exists()
        else:
            assert _tables(empty) == {"(sequences)": []}

    # Not a file that is no backup.
    junk = tmp_path / "noter.txt"
    junk.write_text("ikke en kopi")
    refused = _portfolio(empty, "restore", str(junk))
    assert refused.exit_code == 1 and "er ikke en sikkerhedskopi" in refused.output


def test_the_postgresql_password_goes_in_the_environment_never_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []

    def run(args: list[str], *, env: dict[str, str], **_kw: Any) -> Any:
        calls.append((args, env))
        raise services.subprocess.TimeoutExpired(args, 1)

    monkeypatch.setattr(services.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(services.subprocess, "run", run)
    url = "postgresql+psycopg://portefolje:hemmelig-kode@db.kommune.example:5433/pf?sslmode=require"
    with pytest.raises(services.BackupError, match="pg_dump tog mere end"):
        services.backup(url, tmp_path / "kopi.backup")
    (args, env) = calls[0]
    assert not any("hemmelig-kode" in arg for arg in args)
    assert "postgresql://portefolje@db.kommune.example:5433/pf?sslmode=require" in args
    assert env["PGPASSWORD"] == "hemmelig-kode"
    assert not list(tmp_path.iterdir())  # no half-written copy left behind
