"""A consistent copy of the database while the app runs, and bringing one back into an empty
database. SQLite: the online backup API (sqlite3 Connection.backup), so the copy is itself a
SQLite file. PostgreSQL: pg_dump's custom format, restored with pg_restore in one transaction;
the password goes to both in PGPASSWORD, never on a command line others can read."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa

from portfolio.db import head_revision

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# pg_dump and pg_restore of a small municipality's portfolio take seconds; a hung server not.
TIMEOUT_SECONDS = 3600


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one Danish line."""


# --- where the database is ---------------------------------------------------------------------


def _sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:" or "uri" in url.query:
        raise BackupError(
            "Databasen er ikke en SQLite-fil (PORTFOLIO_DATABASE_URL): der er intet at tage "
            "kopi af eller gendanne i."
        )
    return Path(url.database)


def _engine_kind(url: sa.URL) -> str:
    backend = url.get_backend_name()
    if backend in ("sqlite", "postgresql"):
        return backend
    raise BackupError(f"Sikkerhedskopier kan kun tages af SQLite og PostgreSQL, ikke {backend}.")


def _libpq(url: sa.URL) -> tuple[str, dict[str, str]]:
    """The connection string for pg_dump/pg_restore, without the password, and an environment
    that carries it (PGPASSWORD: not visible in the process list)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = sa.URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return plain.render_as_string(hide_password=False), env


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} findes ikke på denne maskine: installér PostgreSQL-klienten (Debian: "
            "apt-get install postgresql-client) i en version mindst som serverens."
        )
    return found


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603  (our own arguments, no shell)
            args, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BackupError(f"{what} tog mere end {TIMEOUT_SECONDS} sekunder og er stoppet.") from exc
    if done.returncode != 0:
        reason = next(
            (line.strip() for line in done.stderr.splitlines() if line.strip()), "ukendt fejl"
        )
        raise BackupError(f"{what} mislykkedes: {reason}")
    return done.stdout


# --- backup ------------------------------------------------------------------------------------


def backup(database_url: str, target: Path) -> str:
    """Writes a consistent copy of the database to `target` (replacing it only when the copy
    is complete); the copy's schema version."""
    url = sa.make_url(database_url)
    kind = _engine_kind(url)
    target = target.resolve()
    if not target.parent.is_dir():
        raise BackupError(f"Mappen {target.parent} findes ikke.")
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        if kind == "sqlite":
            _sqlite_backup(_sqlite_path(url), partial)
        else:
            conninfo, env = _libpq(url)
            _run(
                [_program("pg_dump"), "--format=custom", f"--file={partial}", "--dbname", conninfo],
                env,
                "pg_dump",
            )
        revision = backup_revision(partial)
        if revision is None:
            raise BackupError(
                "Databasen er ikke oprettet (tabellerne mangler): intet at tage kopi af."
            )
        partial.chmod(0o600)  # the copy holds everything the database does
        os.replace(partial, target)
        return revision
    finally:
        partial.unlink(missing_ok=True)


def _sqlite_backup(source: Path, partial: Path) -> None:
    if not source.is_file():
        raise BackupError(f"Databasefilen {source} findes ikke.")
    # Read-only: a backup never creates or changes the database it copies.
    with (
        contextlib.closing(_read_only(source)) as src,
        contextlib.closing(sqlite3.connect(partial)) as dst,
    ):
        src.execute("PRAGMA busy_timeout = 30000")
        # All pages in one step, under one read transaction: a snapshot even while the app
        # writes (WAL: the writers go on meanwhile).
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        checked = dst.execute("PRAGMA quick_check").fetchone()
        if checked is None or checked[0] != "ok":
            raise BackupError(f"Kopien er ikke hel (quick_check: {checked}); prøv igen.")


# --- what a backup holds -----------------------------------------------------------------------


def backup_kind(path: Path) -> str:
    """ "sqlite" or "postgresql" by the file's first bytes; BackupError if neither."""
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"Sikkerhedskopien {path} kan ikke læses ({exc.strerror}).") from exc
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} er ikke en sikkerhedskopi fra portfolio backup.")


def backup_revision(path: Path) -> str | None:
    """The schema version (Alembic revision) recorded in the backup; None if it has none."""
    if backup_kind(path) == "sqlite":
        with contextlib.closing(_read_only(path)) as db:
            try:
                rows = db.execute("SELECT version_num FROM alembic_version").fetchall()
            except sqlite3.DatabaseError:
                return None
        return ",".join(sorted(str(r[0]) for r in rows)) or None
    listing = _run(
        [_program("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(path)],
        dict(os.environ),
        "pg_restore",
    )
    # COPY public.alembic_version (version_num) FROM stdin;\n0008\n\.
    match = re.search(r"^COPY \S*alembic_version .*?FROM stdin;\n(.*?)^\\\.$", listing, re.M | re.S)
    if match is None:
        return None
    return ",".join(sorted(line for line in match.group(1).splitlines() if line)) or None


# --- restore -----------------------------------------------------------------------------------


def restore(database_url: str, source: Path) -> str:
    """Brings the backup at `source` into the database, which must be empty (no tables); the
    backup's schema must be this program's. Refusals change nothing. The restored revision."""
    url = sa.make_url(database_url)
    kind = _engine_kind(url)
    found = backup_kind(source)
    if found != kind:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(
            f"Sikkerhedskopien er fra {names[found]}, men databasen er {names[kind]}: gendan i "
            "samme slags database, som kopien blev taget af."
        )
    revision = backup_revision(source)
    head = head_revision()
    if revision != head:
        raise BackupError(
            f"Sikkerhedskopien har skemaversion {revision or 'ingen'}, men denne udgave af "
            f"Portefølje bruger {head}: gendan den med den udgave, der tog den (og kør derefter "
            "portfolio init-db med den nye)."
        )
    if kind == "sqlite":
        _sqlite_restore(source, _sqlite_path(url))
    else:
        if _pg_tables(url):
            raise _not_empty()
        conninfo, env = _libpq(url)
        _run(
            [
                _program("pg_restore"),
                "--exit-on-error",
                "--single-transaction",
                "--no-owner",
                "--no-privileges",
                "--dbname",
                conninfo,
                str(source),
            ],
            env,
            "pg_restore",
        )
    return revision


def _not_empty() -> BackupError:
    return BackupError(
        "Databasen er ikke tom: gendan kun i en tom database (uden tabeller), fx en ny "
        "PostgreSQL-database (createdb) eller en ny SQLite-fil. Intet er ændret."
    )


def _pg_tables(url: sa.URL) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return sa.inspect(conn).get_table_names()
    finally:
        engine.dispose()


def _sqlite_restore(source: Path, target: Path) -> None:
    if target.exists():  # opened as it is (with its WAL), only read
        with contextlib.closing(sqlite3.connect(target)) as db:
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if tables is None or tables[0] > 0:
            raise _not_empty()
    elif not target.parent.is_dir():
        raise BackupError(f"Mappen {target.parent} findes ikke.")
    with (
        contextlib.closing(_read_only(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = WAL")  # as the app runs it
        checked = dst.execute("PRAGMA quick_check").fetchone()
    if checked is None or checked[0] != "ok":
        raise BackupError(f"Den gendannede database er ikke hel (quick_check: {checked}).")


def _read_only(path: Path) -> sqlite3.Connection:
    """Opened so that it cannot be created or changed through this connection."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
