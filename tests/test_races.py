"""Two users save from the same version at the same moment, against a real server with several
workers, on SQLite and on PostgreSQL: exactly one save wins each round, the other is shown the
conflict, and the history stays an unbroken chain."""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import ExitStack
from datetime import date, timedelta
from http.cookiejar import CookieJar

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from portfolio.db import make_engine
from portfolio.meetings.models import Meeting, MeetingSnapshot
from portfolio.projects.models import Department, Person, Project, StatusUpdate
from portfolio.users.models import AuditEntry
from tests.conftest import scratch_postgres_database
from tests.live_server import (
    DEMO_PASSWORD,
    Browser,
    LiveServer,
    Reply,
    gunicorn,
    hidden,
    portfolio,
    server_env,
)

# One pytest-xdist worker runs the whole module: its servers are module fixtures, built once.
pytestmark = pytest.mark.xdist_group("live-servers")

ROUNDS = 20  # per kind of save; each round is two saves racing
ADMIN, EDITOR = "it@kommune.example", "raad@kommune.example"
OWNER = "chef.oekonomi@kommune.example"  # Peter Damgaard, process owner
CONFLICT = "ændret af en anden"

Prepare = Callable[[Browser, str, int], dict[str, str]]


def _race(a: Browser, b: Browser, path: str, prepare: Prepare, rounds: int) -> list[list[Reply]]:
    """`rounds` rounds: both browsers open the page, then both submit at the same instant."""
    barrier = threading.Barrier(2)
    results = []
    with ThreadPoolExecutor(2) as pool:
        for n in range(rounds):
            forms = [prepare(a, "A", n), prepare(b, "B", n)]

            def submit(browser: Browser, data: dict[str, str]) -> Reply:
                barrier.wait(timeout=60)
                return browser.post(path, data)

            results.append(list(pool.map(submit, (a, b), forms)))
    return results


def _tally(results: list[list[Reply]]) -> Counter[str]:
    tally: Counter[str] = Counter()
    for replies in results:
        won = [r for r in replies if r.status == 302]
        lost = [r for r in replies if r.status == 409 and CONFLICT in r.html]
        tally["rounds"] += 1
        tally["wins"] += len(won)
        tally["conflicts"] += len(lost)
        tally["rounds with exactly one winner"] += len(won) == 1 and len(lost) == 1
        for other in replies:
            if other not in won and other not in lost:
                heading = other.html[other.html.find("<h1") :][:300]
                tally[f"other reply: {other.status} {heading}"] += 1
    return tally


def _chain_breaks(session: Session, project_id: int, field: str) -> tuple[int, int]:
    """(rows, breaks): a break is a history row whose old value is not the previous row's new."""
    rows = session.exec(
        select(StatusUpdate)
        .where(StatusUpdate.project_id == project_id, StatusUpdate.field == field)
        .order_by(col(StatusUpdate.id))
    ).all()
    pairs = zip(rows, rows[1:], strict=False)
    breaks = sum(1 for before, after in pairs if after.old_value != before.new_value)
    return len(rows), breaks


def _project_form(browser: Browser, page: str) -> dict[str, str]:
    html = browser.get(page).html
    return {"csrf_token": hidden(html, "csrf_token"), "version": hidden(html, "version")}


Live = tuple[LiveServer, Browser, Browser, sa.Engine]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """One server per database for this module (starting one costs a demo load and four
    workers); each test races on projects of its own."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('races') / 'races.sqlite'}"
        else:
            url = stack.enter_context(scratch_postgres_database())
        env = server_env(url)
        portfolio(env, "demo")
        engine = make_engine(url)
        stack.callback(engine.dispose)
        server = stack.enter_context(gunicorn(env, workers=4))
        a, b = Browser(server.base), Browser(server.base)
        a.login(ADMIN)
        b.login(EDITOR)
        yield server, a, b, engine


def _projects(engine: sa.Engine, kind: str, count: int, skip: int = 0) -> list[int]:
    """The ids of `count` active projects of a kind, after the first `skip` (each test takes
    its own, so the tests sharing one server do not touch each other's projects)."""
    with Session(engine) as s:
        ids = s.exec(
            select(Project.id)
            .where(Project.kind == kind, col(Project.archived).is_(False))
            .order_by(col(Project.id))
        ).all()
    return [int(i) for i in ids[skip : skip + count] if i is not None]


def test_two_status_updates_from_one_version_never_both_win(live: Live) -> None:
    server, a, b, engine = live
    (pid,) = _projects(engine, "strategic", 1)
    page = f"/projekter/{pid}"

    def prepare(browser: Browser, who: str, n: int) -> dict[str, str]:
        return {
            **_project_form(browser, page),
            "status": ("yellow", "red")[(n + (who == "B")) % 2],
            "phase": "implementation",
            "status_comment": f"runde {n} fra {who}",
        }

    tally = _tally(_race(a, b, f"{page}/status", prepare, ROUNDS))
    with Session(engine) as s:
        comments, comment_breaks = _chain_breaks(s, pid, "status_comment")
        _statuses, status_breaks = _chain_breaks(s, pid, "status")
        latest = s.get(Project, pid)
        assert latest is not None
        saved = s.exec(
            select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.project_id == pid, AuditEntry.field == "status_comment")
        ).one()
    print(f"\nstatus updates [{engine.dialect.name}]: {dict(tally)}, chain breaks {comment_breaks}")
    log = server.log()
    assert "Traceback" not in log, log[log.find("Traceback") - 500 :][:6000]
    assert tally["rounds with exactly one winner"] == ROUNDS, tally
    assert comment_breaks == 0 and status_breaks == 0
    # Every won save, and only those, is in the history: one new comment per round.
    assert comments == ROUNDS + 1  # the demo's own first comment starts the chain
    assert saved == ROUNDS
    assert latest.status_comment is not None and latest.status_comment.startswith(
        f"runde {ROUNDS - 1} fra"
    )


def test_two_edits_of_a_project_from_one_version_never_both_win(live: Live) -> None:
    server, a, b, engine = live
    (pid,) = _projects(engine, "operational", 1)
    page = f"/projekter/{pid}/rediger"
    with Session(engine) as s:
        project = s.get(Project, pid)
        assert project is not None
        base = {
            "name": project.name,
            "scope": project.scope.value,
            "kind": project.kind.value,
            "phase": project.phase.value,
            "status": "green",
        }

    def prepare(browser: Browser, who: str, n: int) -> dict[str, str]:
        return {**_project_form(browser, page), **base, "status_comment": f"rettet {n} af {who}"}

    tally = _tally(_race(a, b, page, prepare, ROUNDS // 2))
    with Session(engine) as s:
        _rows, breaks = _chain_breaks(s, pid, "status_comment")
    print(f"\nproject edits [{engine.dialect.name}]: {dict(tally)}, chain breaks {breaks}")
    log = server.log()
    assert "Traceback" not in log, log[log.find("Traceback") - 500 :][:6000]
    assert tally["rounds with exactly one winner"] == ROUNDS // 2, tally
    assert breaks == 0


def test_archive_and_review_from_one_version_never_both_win(live: Live) -> None:
    server, a, b, engine = live
    (pid,) = _projects(engine, "operational", 1, skip=1)
    with Session(engine) as s:
        other = s.exec(
            select(Project.id)
            .join(Person, col(Person.id) == col(Project.process_owner_id))
            .where(Person.name == "Peter Damgaard")
        ).first()
    # The process owner and the IT department both mark the owner's project as reviewed.
    owner = Browser(server.base)
    owner.login(OWNER)

    def archive(browser: Browser, who: str, n: int) -> dict[str, str]:
        return {
            **_project_form(browser, f"/projekter/{pid}"),
            "archive": "1" if n % 2 else "0",
            "confirmed": "ja",
        }

    def review(browser: Browser, who: str, n: int) -> dict[str, str]:
        return _project_form(browser, f"/projekter/{other}")

    # Round 0 restores a project that is not archived: nothing to do, both "win" without a
    # write. From then on each round archives or restores, and one of the two is refused.
    archived = _tally(_race(a, b, f"/projekter/{pid}/arkiv", archive, 7)[1:])
    reviewed = _tally(_race(a, owner, f"/projekter/{other}/gennemset", review, 6))
    with Session(engine) as s:
        archive_rows = s.exec(
            select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.project_id == pid, AuditEntry.field == "archived")
        ).one()
    print(f"\narchive [{engine.dialect.name}]: {dict(archived)}; review: {dict(reviewed)}")
    log = server.log()
    assert "Traceback" not in log, log[log.find("Traceback") - 500 :][:6000]
    assert archived["rounds with exactly one winner"] == 6, archived
    assert archive_rows == 6  # one archive or restore per round, never two
    assert reviewed["rounds with exactly one winner"] == 6, reviewed


def _create_meeting(browser: Browser, day: date) -> str:
    token = hidden(browser.get("/moeder/").html, "csrf_token")
    reply = browser.post(
        "/moeder/",
        {"csrf_token": token, "meeting_date": day.isoformat(), "title": "", "mode": "complete"},
    )
    assert reply.status == 302, reply.html[:2000]
    return f"/moeder/{day.isoformat()}"


def _meeting_form(browser: Browser, page: str) -> dict[str, str]:
    html = browser.get(page).html
    return {"csrf_token": hidden(html, "csrf_token"), "version": hidden(html, "version")}


def test_meeting_text_flag_publish_and_decision_from_one_version_never_both_win(live: Live) -> None:
    server, a, b, engine = live
    (pid,) = _projects(engine, "operational", 1, skip=2)
    first = date.today() + timedelta(days=30)
    page = _create_meeting(a, first)

    def text(browser: Browser, who: str, n: int) -> dict[str, str]:
        return {
            **_meeting_form(browser, page),
            "title": f"Chefforum runde {n}",
            "mode": "complete",
            "anledning": f"Anledning {n} skrevet af {who}",
            "beslutning": "",
        }

    def flag(browser: Browser, who: str, n: int) -> dict[str, str]:
        return {**_meeting_form(browser, page), "flagged": "0" if n % 2 else "1"}

    texts = _tally(_race(a, b, f"{page}/tekst", text, ROUNDS // 2))
    flags = _tally(_race(a, b, f"{page}/projekt/{pid}/til-beslutning", flag, 6))

    # Publishing: a new draft each round, both publish it at once.
    publishes: Counter[str] = Counter()
    days = [first + timedelta(days=7 * (n + 1)) for n in range(4)]
    for day in days:
        meeting_page = _create_meeting(a, day)

        def publish(
            browser: Browser, who: str, n: int, meeting_page: str = meeting_page
        ) -> dict[str, str]:
            return {**_meeting_form(browser, meeting_page), "confirm": "y"}

        publishes += _tally(_race(a, b, f"{meeting_page}/offentliggoer", publish, 1))

    published = f"/moeder/{days[-1].isoformat()}"

    def decide(browser: Browser, who: str, n: int) -> dict[str, str]:
        return {**_meeting_form(browser, published), "decision": f"Beslutning {n} ({who})"}

    decisions = _tally(_race(a, b, f"{published}/projekt/{pid}/beslutning", decide, 6))
    with Session(engine) as s:
        decision_rows, decision_breaks = _chain_breaks(s, pid, "decision")
        active = s.exec(
            select(sa.func.count()).select_from(Project).where(col(Project.archived).is_(False))
        ).one()
        for day in days:
            meeting = s.exec(select(Meeting).where(Meeting.meeting_date == day)).one()
            frozen = s.exec(
                select(sa.func.count())
                .select_from(MeetingSnapshot)
                .where(MeetingSnapshot.meeting_id == meeting.id)
            ).one()
            assert frozen == active  # one snapshot, not two
        flag_rows = s.exec(
            select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "meeting_flag")
        ).one()
    print(
        f"\nmeetings [{engine.dialect.name}]: text {dict(texts)}; flag {dict(flags)}; "
        f"publish {dict(publishes)}; decision {dict(decisions)}, chain breaks {decision_breaks}"
    )
    log = server.log()
    assert "Traceback" not in log, log[log.find("Traceback") - 500 :][:6000]
    assert texts["rounds with exactly one winner"] == ROUNDS // 2, texts
    assert flags["rounds with exactly one winner"] == 6, flags
    assert flag_rows == 6
    assert publishes["rounds with exactly one winner"] == len(days), publishes
    assert decisions["rounds with exactly one winner"] == 6, decisions
    assert decision_rows == 6 and decision_breaks == 0


def test_two_new_projects_with_one_case_number_at_once_make_one_project(live: Live) -> None:
    server, a, b, engine = live
    replies: list[Reply] = []
    for n in range(6):
        case = f"85.13.00-P20-{900 + n}-26"

        def new(browser: Browser, who: str, n: int, case: str = case) -> dict[str, str]:
            return {
                "csrf_token": hidden(browser.get("/projekter/ny").html, "csrf_token"),
                "name": f"Nyt projekt {n} fra {who}",
                "case_number": case,
                "scope": "department",
                "kind": "operational",
                "phase": "idea",
                "status": "",
            }

        replies += [r for pair in _race(a, b, "/projekter/ny", new, 1) for r in pair]
    log = server.log()
    with Session(engine) as s:
        made = s.exec(select(Project.case_number).where(col(Project.name).like("Nyt projekt %")))
        cases = sorted(c for c in made.all() if c)
    assert cases == [f"85.13.00-P20-{900 + n}-26" for n in range(6)]  # one project each
    assert sorted(r.status for r in replies).count(302) == 6
    losers = [r for r in replies if r.status != 302]
    # The one who lost is told, whichever database noticed: the form (the case number is
    # taken) or the conflict page (both saved in the same instant).
    assert all(r.status in (200, 409) for r in losers), [r.status for r in losers]
    assert all("bruges allerede" in r.html or "gemte det samme" in r.html for r in losers)
    assert "Traceback" not in log, log[log.find("Traceback") - 500 :][:6000]


# --- many writers at once -------------------------------------------------------------------------

WRITERS = 6
UPDATES_EACH = 8


def _writer(base: str, project_id: int, n: int) -> list[int]:
    """One user: logs in, then changes the comment of one project n times, as a browser would."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def form(url: str) -> tuple[str, str | None]:
        html = opener.open(base + url, timeout=60).read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        version = re.search(r'name="version"[^>]*value="(\d+)"', html)
        return token.group(1) if token else "", version.group(1) if version else None

    def post(url: str, data: dict[str, str]) -> int:
        body = urllib.parse.urlencode(data).encode()
        try:
            return int(opener.open(base + url, body, timeout=60).status)
        except urllib.error.HTTPError as exc:
            return exc.code

    token, _ = form("/login")
    codes = [post("/login", {"csrf_token": token, "email": EDITOR, "password": DEMO_PASSWORD})]
    page = f"/projekter/{project_id}"
    for i in range(n):
        token, version = form(page)
        codes.append(
            post(
                f"{page}/status",
                {
                    "csrf_token": token,
                    "version": version or "",
                    "status": "yellow",
                    "phase": "implementation",
                    "status_comment": f"skriver {project_id} opdatering {i}",
                },
            )
        )
    return codes


def test_concurrent_writers_under_several_workers_lose_nothing(live: Live) -> None:
    """Several users, each changing a project of their own over and over through the four
    workers at once: no lock errors, no lost write."""
    server, _a, _b, engine = live
    ids = _projects(engine, "strategic", WRITERS, skip=1)
    with Session(engine) as s:
        before = len(s.exec(select(StatusUpdate)).all())
    with ProcessPoolExecutor(WRITERS) as pool:
        results = list(pool.map(_writer, [server.base] * WRITERS, ids, [UPDATES_EACH] * WRITERS))
    log = server.log()
    codes = [c for r in results for c in r]
    # Each writer works on its own project, so no save of theirs is a conflict.
    assert all(c in (200, 302) for c in codes), codes
    assert "database is locked" not in log and "Traceback" not in log, log[-3000:]
    with Session(engine) as s:
        comments = s.exec(select(StatusUpdate).where(StatusUpdate.field == "status_comment")).all()
        texts = {u.new_value for u in comments}
        for pid in ids:
            for i in range(UPDATES_EACH):
                assert f"skriver {pid} opdatering {i}" in texts
        assert len(s.exec(select(StatusUpdate)).all()) >= before + WRITERS * UPDATES_EACH


DEPARTMENTS_PAGE = "/udrulning/afdelinger"


def _departments_form(browser: Browser) -> dict[str, str]:
    from tests.test_rollout_views import _Form

    parser = _Form(DEPARTMENTS_PAGE)
    parser.feed(browser.get(DEPARTMENTS_PAGE).html)
    return dict(parser.fields)


def test_two_planners_saving_the_departments_page_at_once_lose_nothing(live: Live) -> None:
    """The page saves every department at once. Two planners who opened it together and save
    at the same instant, each one department: both changes stay. Both the same department:
    exactly one wins, the other is told and nothing of theirs is saved."""
    server, a, b, engine = live
    rows = {
        key.removesuffix("-department_id"): int(value)
        for key, value in _departments_form(a).items()
        if key.endswith("-department_id")
    }
    (first, first_id), (second, second_id) = sorted(rows.items())[:2]

    def head_counts() -> tuple[int | None, int | None]:
        with Session(engine) as s:
            one, two = s.get(Department, first_id), s.get(Department, second_id)
            assert one is not None and two is not None
            return one.head_count, two.head_count

    barrier = threading.Barrier(2)

    def submit(browser: Browser, data: dict[str, str]) -> Reply:
        barrier.wait(timeout=60)
        return browser.post(DEPARTMENTS_PAGE, data)

    lost = []
    with ThreadPoolExecutor(2) as pool:
        for n in range(ROUNDS // 2):
            forms = [
                {**_departments_form(a), f"{first}-head_count": str(1000 + n)},
                {**_departments_form(b), f"{second}-head_count": str(2000 + n)},
            ]
            replies = list(pool.map(submit, (a, b), forms))
            assert [r.status for r in replies] == [302, 302], [r.html[:300] for r in replies]
            if head_counts() != (1000 + n, 2000 + n):
                lost.append((n, head_counts()))
    assert lost == []

    def same(browser: Browser, who: str, n: int) -> dict[str, str]:
        return {
            **_departments_form(browser),
            f"{first}-head_count": str(3000 + 10 * n + 5 * (who == "B")),
        }

    tally = _tally(_race(a, b, DEPARTMENTS_PAGE, same, ROUNDS // 2))
    assert tally == {
        "rounds": ROUNDS // 2,
        "wins": ROUNDS // 2,
        "conflicts": ROUNDS // 2,
        "rounds with exactly one winner": ROUNDS // 2,
    }
    last = 3000 + 10 * (ROUNDS // 2 - 1)
    assert head_counts()[0] in (last, last + 5)
