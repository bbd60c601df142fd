"""The database: one engine per app, one unit of work per request or CLI command (commit or
roll back), schema by Alembic migrations."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from flask import (
    Flask,
    abort,
    current_app,
    g,
    has_request_context,
    message_flashed,
    render_template,
    request,
)
from flask import session as flask_session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.engine import Engine
from sqlmodel import Session
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

if TYPE_CHECKING:
    from alembic.config import Config

_Row = TypeVar("_Row")

MIGRATIONS = Path(__file__).parent / "migrations"
WRITE_OPTION = "portfolio_writes"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SCHEMA_READY = "portfolio_schema_ready"
# What answers while the schema is not ready: the health check and the files a page needs.
READY_EXEMPT_ENDPOINTS = frozenset({"static", "vendor", "main.health"})
# How long the health check waits for a lock or a statement, instead of the usual 30 s.
HEALTH_TIMEOUT_MS = 2000


def utcnow() -> datetime:
    return datetime.now(UTC)


def enum_column(enum: type, *, nullable: bool) -> sa.Column:  # type: ignore[type-arg]
    """A string column holding an enum's values."""
    # Stored as plain strings (no native PG enum) so new values need no type migration.
    return sa.Column(
        sa.Enum(
            enum,
            native_enum=False,
            create_constraint=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        nullable=nullable,
    )


def versioned(cls: Any) -> dict[str, Any]:
    """Mapper arguments for a table whose `version` guards every UPDATE: the ORM writes
    `UPDATE … WHERE id = :id AND version = :loaded` and raises StaleDataError when no row
    matched, so two saves from the same version can never both win, on any database."""
    return {"version_id_col": cls.__table__.c.version}


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling is switched off so that we choose the BEGIN:
        # writers lock at BEGIN IMMEDIATE (waiting for busy_timeout) instead of failing
        # mid-transaction when a read lock cannot be upgraded; readers never block.
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    if connection.get_execution_options().get(WRITE_OPTION):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def writing(engine: Engine) -> Engine:
    """The same engine, but its transactions take SQLite's write lock when they begin."""
    return engine.execution_options(**{WRITE_OPTION: True})


def init_app(app: Flask, *, check_schema: bool = True) -> None:
    """The app's engine and session; with `check_schema` (the web app, not the CLI) the schema
    is looked at once now, and a warning is logged if `portfolio init-db` is needed."""
    url = str(app.config["DATABASE_URL"])
    parsed = sa.make_url(url)
    # A file: URI (sqlite:///file:...?uri=true) names no folder to create.
    if parsed.get_backend_name() == "sqlite" and parsed.database and "uri" not in parsed.query:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    app.extensions["portfolio_db"] = make_engine(url)
    app.extensions[SCHEMA_READY] = False
    app.teardown_appcontext(close_session)
    app.before_request(refuse_until_schema_is_ready)
    if check_schema:
        problem = schema_problem(app.extensions["portfolio_db"])
        if problem is None:
            app.extensions[SCHEMA_READY] = True
        else:
            app.logger.warning("%s (siderne svarer 503, indtil databasen er klar)", problem)


def get_engine() -> Engine:
    engine: Engine = current_app.extensions["portfolio_db"]
    return engine


def get_session() -> Session:
    """The request's (or CLI command's) session; its unit of work commits or rolls back."""
    if "db_session" not in g:
        engine = get_engine()
        if not has_request_context() or request.method not in READ_METHODS:
            engine = writing(engine)
        g.db_session = Session(engine, expire_on_commit=False)
    session: Session = g.db_session
    return session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()  # what was not committed is rolled back


# --- the unit of work: one commit at the end, or none ---------------------------------------------

DISCARDED = "db_discarded"
FLASHED = "db_flashed"
AFTER_COMMIT = "db_after_commit"


def get_or_404(session: Session, model: type[_Row], row_id: int) -> _Row:
    """The row with this id, or the Danish 404 page."""
    row = session.get(model, row_id)
    if row is None:
        abort(404)
    return row


def discard() -> None:
    """Roll back what this request has done so far, and commit nothing of it at the end: for
    a refused action whose page (a form error, a conflict, a redirect) is still to be shown."""
    setattr(g, DISCARDED, True)
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def after_commit(action: Callable[[], object]) -> None:
    """Run `action` once this request's changes are committed; never if they are not."""
    g.setdefault(AFTER_COMMIT, []).append(action)


@contextmanager
def refused_with(
    errors: type[Exception] | tuple[type[Exception], ...],
    answer: Callable[[Exception], ResponseReturnValue],
) -> Iterator[None]:
    """When the block raises one of `errors` (a service refusing: a stale version, a state
    that does not allow it), nothing of the request is saved and `answer(exc)` is the page."""
    try:
        yield
    except errors as exc:
        discard()
        abort(current_app.make_response(answer(exc)))


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block did through get_session(), or roll it all back if it raised
    (also SystemExit from a failing CLI command). Every CLI command's boundary; a view uses it
    only where one request must be two transactions (a login attempt counts before the hash)."""
    try:
        yield
    except BaseException:
        session = g.get("db_session")
        if session is not None:
            session.rollback()
        raise
    session = g.get("db_session")
    if session is not None:
        session.commit()


class PortfolioFlask(Flask):
    """Flask with each request one unit of work, as Indico's request handler does it: after
    the view returns, its changes are committed before the response is made, so a failed
    commit becomes the 409 page like a failed flush; any exception rolls everything back."""

    def dispatch_request(self) -> ResponseReturnValue:
        response = self.make_response(super().dispatch_request())
        _end_request(response.status_code)
        return response

    def handle_user_exception(self, e: Exception) -> HTTPException | ResponseReturnValue:
        discard()  # before the error page is rendered: it may read from the same session
        return super().handle_user_exception(e)


def _end_request(status: int) -> None:
    """Commit a writing request that answered < 400 and was not discarded; else roll back."""
    session = g.get("db_session")
    if g.get(DISCARDED) or request.method in READ_METHODS or status >= 400:
        if session is not None:
            session.rollback()
        return
    if session is not None:
        try:
            session.commit()
        except Exception:
            _forget_flashes()
            raise
    for action in g.pop(AFTER_COMMIT, []):
        action()


@message_flashed.connect
def _remember_flash(_app: Flask, message: str, category: str, **_extra: Any) -> None:
    if has_request_context():
        g.setdefault(FLASHED, []).append((category, message))


def _forget_flashes() -> None:
    """The messages this request flashed announced a change that was not saved after all."""
    flashed = g.pop(FLASHED, [])
    kept = list(flask_session.get("_flashes", [])) if flashed else []
    for entry in reversed(flashed):
        # The newest equal message is this request's; one from an earlier request stays.
        for i in range(len(kept) - 1, -1, -1):
            if tuple(kept[i]) == entry:
                del kept[i]
                break
    if flashed:
        flask_session["_flashes"] = kept


def alembic_config(engine: Engine | None = None) -> Config:
    # alembic is imported here, not at the top: `portfolio --help` need not load it.
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


# PostgreSQL's advisory lock for migrations: "portfoli" in ASCII, a bigint no other app takes.
MIGRATION_LOCK = 0x706F7274666F6C69


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """One migration at a time on a database: servers that start together (each runs init-db
    first) wait for the first one, then find the schema up to date. PostgreSQL: an advisory
    lock held by a connection of its own; a SQLite file: a file lock beside it."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
            conn.commit()
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
                conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    import fcntl

    with open(f"{database}.migrating", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process ends
        yield


def upgrade_database(engine: Engine) -> None:
    """Bring the schema to the newest migration (creates it on an empty database)."""
    from alembic import command

    with migration_lock(engine):
        command.upgrade(alembic_config(engine), "head")


# --- is the database ready? (the health check, the web app's start and the CLI) -----------------


@functools.cache
def _migrations() -> tuple[str, frozenset[str]]:
    """The head revision(s) of portfolio/migrations and every known revision, read once.

    Read from the scripts' `revision`/`down_revision` lines rather than by alembic, which
    imports itself and every script: a command's schema check must stay cheap."""
    import ast

    parents: dict[str, set[str]] = {}
    for script in (MIGRATIONS / "versions").glob("*.py"):
        found: dict[str, object] = {}
        for node in ast.parse(script.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.AnnAssign | ast.Assign):
                targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
                for target in targets:
                    if isinstance(target, ast.Name) and node.value is not None:
                        found[target.id] = ast.literal_eval(node.value)
        down = found.get("down_revision")  # None, one revision or a tuple of them (a merge)
        downs = [down] if isinstance(down, str) else list(down) if isinstance(down, tuple) else []
        parents[str(found["revision"])] = {str(d) for d in downs}
    below = set().union(*parents.values())
    return ",".join(sorted(set(parents) - below)), frozenset(parents)


def head_revision() -> str:
    """The Alembic revision this code needs (several heads joined by commas)."""
    return _migrations()[0]


def schema_revision(connectable: Engine | sa.Connection) -> str | None:
    """The database's Alembic revision, or None when it has no schema. Raises the database's
    own error (sqlalchemy.exc.DBAPIError) when it cannot be asked."""
    if isinstance(connectable, Engine):
        with connectable.connect() as conn:
            return schema_revision(conn)
    if not sa.inspect(connectable).has_table("alembic_version"):
        return None
    rows = connectable.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()
    return ",".join(sorted(rows)) or None


def revision_problem(revision: str | None) -> str | None:
    """What is wrong with a database at `revision`, as one Danish line; None when at head."""
    head, known = _migrations()
    if revision == head:
        return None
    if revision is None:
        return _("Databasen er ikke oprettet (tabellerne mangler): kør portfolio init-db")
    if set(revision.split(",")) <= known:
        return _(
            "Databasen er forældet (version %(found)s, programmet kræver %(head)s): "
            "kør portfolio init-db",
            found=revision,
            head=head,
        )
    return _(
        "Databasen har version %(found)s, som denne udgave af Portefølje ikke kender: "
        "opdatér programmet, eller brug den rigtige database.",
        found=revision,
    )


def schema_problem(engine: Engine) -> str | None:
    """None when the schema is at head; otherwise why not (also when the database cannot be
    reached), as one Danish line. Never raises for a database error: one cheap query."""
    try:
        return revision_problem(schema_revision(engine))
    except sa.exc.DBAPIError as exc:
        return database_error_message(exc)


def refuse_until_schema_is_ready() -> Response | None:
    """A before_request hook: until the schema has been found at head once in this process,
    every page but the health check and static files is a 503 saying what to do."""
    if current_app.extensions[SCHEMA_READY] or request.endpoint in READY_EXEMPT_ENDPOINTS:
        return None
    problem = schema_problem(get_engine())
    if problem is None:
        current_app.extensions[SCHEMA_READY] = True
        return None
    # Flask-Login's request user, set to nobody: loading the logged-in user would query the
    # very tables that are missing. The page shows nobody as logged in.
    g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    return Response(
        render_template("errors/not_ready.html", message=problem),
        503,
        {"Retry-After": "30", "Cache-Control": "no-store"},
        mimetype="text/html",
    )


# SQLite result codes (the low byte of an extended code) and PostgreSQL SQLSTATEs.
_SQLITE_BUSY, _SQLITE_READONLY, _SQLITE_CORRUPT, _SQLITE_NOTADB = 5, 8, 11, 26
_PG_READ_ONLY = "25006"


def _error_kind(exc: sa.exc.DBAPIError) -> str:
    code = getattr(exc.orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        code &= 0xFF
        if code == _SQLITE_BUSY:
            return "busy"
        if code == _SQLITE_READONLY:
            return "read-only"
        if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
            return "corrupt"
    if getattr(exc.orig, "sqlstate", None) == _PG_READ_ONLY:
        return "read-only"
    return "connect" if exc.statement is None else "error"


def error_reason(exc: BaseException) -> str:
    """The database's own words, shortened to what an operator needs: 'connection refused'."""
    original = getattr(exc, "orig", None) or exc
    first = next((line.strip() for line in str(original).splitlines() if line.strip()), "")
    # psycopg: 'connection failed: connection to server at "h", port 5432 failed: FATAL:  ...'
    reason = first.rpartition(": ")[2].strip() or first
    if len(reason) > 1 and reason[0].isupper() and reason[1].islower():
        reason = reason[0].lower() + reason[1:]
    return reason or type(original).__name__


def database_error_message(exc: sa.exc.DBAPIError, url: str | None = None) -> str:
    """One Danish line for a database error; `url` (its password hidden) names the database."""
    where = f" {sa.make_url(url).render_as_string(hide_password=True)}" if url else ""
    reason = error_reason(exc)
    kind = _error_kind(exc)
    if kind == "corrupt":
        return _corrupt_message(reason, where)
    if kind == "read-only":
        return _(
            "Databasen%(where)s er skrivebeskyttet (%(reason)s): giv Portefølje skriveadgang.",
            where=where,
            reason=reason,
        )
    if kind == "connect":
        return _(
            "Kan ikke forbinde til databasen%(where)s (%(reason)s).", where=where, reason=reason
        )
    return _("Databasen%(where)s svarede med en fejl (%(reason)s).", where=where, reason=reason)


@dataclass(frozen=True)
class HealthReport:
    """The health check's answer: each check's result ("ok" or what went wrong), the schema
    revision when it was read, and one Danish line saying what to do when not ready."""

    database: str
    checks: dict[str, str] = field(default_factory=dict)
    schema: str | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.message is None

    def to_json(self) -> dict[str, object]:
        if self.ok:
            return {
                "status": "ok",
                "database": self.database,
                "schema": self.schema,
                "checks": self.checks,
            }
        return {
            "status": "error",
            "database": self.database,
            "checks": self.checks,
            "message": self.message,
        }


def check_database(engine: Engine) -> HealthReport:
    """Connect, (SQLite) check the pages, compare the schema with head and prove the database
    takes a write (rolled back). Waits at most HEALTH_TIMEOUT_MS for a lock; leaves no
    transaction open; never raises for a database error."""
    dialect = engine.dialect.name
    checks: dict[str, str] = {}
    try:
        conn = engine.connect()
    except sa.exc.DBAPIError as exc:
        checks["connect"] = error_reason(exc)
        return HealthReport(dialect, checks, message=database_error_message(exc))
    checks["connect"] = "ok"
    step = "connect"
    revision: str | None = None
    try:
        with conn, _short_waits(conn):
            if dialect == "sqlite":
                step = "integrity"
                found = [str(row) for row in conn.exec_driver_sql("PRAGMA quick_check").scalars()]
                if found != ["ok"]:
                    checks[step] = found[0].replace("\n", " ")[:200]
                    return HealthReport(dialect, checks, message=_corrupt_message(checks[step]))
                checks[step] = "ok"
            step = "schema"
            revision = schema_revision(conn)
            problem = revision_problem(revision)
            if problem is not None:
                checks[step] = revision or "missing"
                return HealthReport(dialect, checks, message=problem)
            checks[step] = "ok"
            step = "writable"
            try:
                conn.exec_driver_sql("UPDATE alembic_version SET version_num = version_num")
                checks[step] = "ok"
            except sa.exc.DBAPIError as exc:
                if _error_kind(exc) != "busy":
                    raise
                # Another writer holds SQLite's lock: a busy database, but a writable one.
                checks[step] = "ok (busy)"
            finally:
                conn.rollback()
    except sa.exc.DBAPIError as exc:
        checks[step] = error_reason(exc)
        return HealthReport(dialect, checks, message=database_error_message(exc))
    return HealthReport(dialect, checks, schema=revision)


def _corrupt_message(reason: str, where: str = "") -> str:
    return _(
        "Databasefilen%(where)s er beskadiget (%(reason)s): gendan den fra en sikkerhedskopi.",
        where=where,
        reason=reason,
    )


@contextmanager
def _short_waits(conn: sa.Connection) -> Iterator[None]:
    """Lock and statement timeouts of HEALTH_TIMEOUT_MS for this connection, undone after."""
    if conn.dialect.name == "postgresql":
        # SET LOCAL ends with the transaction, which the health check always rolls back.
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {HEALTH_TIMEOUT_MS}")
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {HEALTH_TIMEOUT_MS}")
        yield
        return
    if conn.dialect.name != "sqlite":
        yield
        return
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None  # noqa: S101
    before = dbapi.execute("PRAGMA busy_timeout").fetchone()[0]
    dbapi.execute(f"PRAGMA busy_timeout = {HEALTH_TIMEOUT_MS}")
    try:
        yield
    finally:
        dbapi.execute(f"PRAGMA busy_timeout = {int(before)}")
