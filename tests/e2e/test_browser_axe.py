"""axe-core on every page of the app, for every role, in Danish and English: in the states a
user meets (validation errors, every <details> opened), zero WCAG 2.1 A/AA violations.

axe (the npm package, installed by `npm ci`) is put into each page by Playwright's init script,
which the browser runs through DevTools and not as page content: the app's strict CSP stays on
while axe runs, so the pages are checked as users get them (add_script_tag would be an inline
<script>, which that CSP rightly refuses)."""

from __future__ import annotations

import io
import shutil
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select
from werkzeug.serving import make_server

from portfolio.demo.services import DEMO_PASSWORD, sample_workbook
from portfolio.domain import ChangeSource, MovementKind, Role
from portfolio.help.topics import TOPICS
from portfolio.i18n import LANGUAGE_COOKIE
from portfolio.permissions import ENDPOINTS, Permission, has_permission
from tests.e2e.conftest import EDITOR, OWNER, READER, _e2e_app

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ADMIN = "it@kommune.example"
ROLES = {Role.admin: ADMIN, Role.editor: EDITOR, Role.owner: OWNER, Role.reader: READER}
LANGUAGES = ("da", "en")
OWNER_NAME = "Peter Damgaard"  # the demo owner's person: process owner, chief, gevinstejer
DRAFT_DAY = date(2026, 12, 8)
PUBLISHED_DAY = date(2026, 10, 22)

# GET endpoints that answer with something other than a page, and why axe does not read them.
NOT_PAGES = {
    "static": "files: CSS, JS, images",
    "vendor": "files: plotly.js",
    "main.health": "JSON for the load balancer",
    "main.index": "a redirect to the overview",
    "projects.export": "an Excel download",
    "meetings.export": "the pack as a download (HTML, PDF, Excel, Word)",
    "rollout_sheet.export": "an Excel download",
    "finance_sheets.ledger": "an Excel download",
    "finance_sheets.benefits": "an Excel download",
    "sso.start": "a redirect to the identity provider",
    "sso.callback": "the identity provider's redirect back",
    # Redirects to the login page while password login is on, as in the demo; with it off,
    # it is the login page's template (read here as auth.login) for administrators.
    "auth.emergency": "a redirect to the login page",
    **dict.fromkeys(
        (
            "api.projects",
            "api.project",
            "api.project_history",
            "api.meetings",
            "api.meeting",
            "api.rollout_cells",
            "api.benefits",
            "api.elsewhere",
            "api.openapi",
        ),
        "JSON: the API",
    ),
}
# Pages for someone not logged in (a logged-in user is sent on).
ANONYMOUS_PAGES = ("auth.login", "help.login")
# Every page for a logged-in user: url_for arguments, "{name}" filled in from the demo's ids.
# More than one entry: each state worth reading (an own project and another chief's; a draft
# and a published pack; a benefit type still to choose and its form).
PAGES: dict[str, tuple[dict[str, str], ...]] = {
    "overview.index": ({},),
    "projects.index": ({}, {"q": "findes-ikke"}),
    "projects.detail": ({"project_id": "{own_project}"}, {"project_id": "{other_project}"}),
    "projects.create": ({},),
    "projects.edit": ({"project_id": "{own_project}"},),
    "projects.archive": ({"project_id": "{own_project}"},),
    "projects.mine": ({},),
    "imports.index": ({},),
    "imports.preview": ({"token": "{import_token}"},),
    "imports.values": ({"token": "{import_token}"},),
    "imports.run": ({"run_id": "{run}"},),
    "imports.profiles": ({},),
    "imports.delete_profile": ({"profile_id": "{profile}"},),
    "users.index": ({},),
    "users.create": ({},),
    "users.edit": ({"user_id": "{owner_user}"},),
    "audit.index": ({},),
    "meetings.index": ({},),
    "meetings.detail": ({"day": "{draft_day}"}, {"day": "{published_day}"}),
    "meetings.delete": ({"day": "{draft_day}"},),
    "rollout.index": ({},),
    "rollout.departments": ({},),
    "rollout.app_settings": ({"project_id": "{rollout_project}"},),
    "rollout.cell": ({"cell_id": "{own_cell}"}, {"cell_id": "{other_cell}"}),
    "rollout_plan.charts": ({},),
    "rollout_plan.propose": ({},),
    "rollout_sheet.index": ({},),
    "rollout_sheet.preview": ({"token": "{rollout_token}"},),
    "finance.index": ({},),
    "finance.pool": ({"pool_id": "{pool}"},),
    "finance.confirm_return": ({"pool_id": "{pool}", "project_id": "{granted_project}"},),
    "benefits.index": ({},),
    "benefits.detail": ({"benefit_id": "{own_benefit}"},),
    "benefits.edit": ({"benefit_id": "{own_benefit}"},),
    "benefits.create": (
        {"project_id": "{own_project}"},
        {"project_id": "{own_project}", "type": "time"},
    ),
    "api_tokens.index": ({},),
    "api_tokens.revoke": ({"token_id": "{api_token}"},),  # the role's own key
    "help.index": ({},),
    "help.topic": tuple({"slug": topic.slug} for topic in TOPICS),
}
# Forms sent empty or wrong, so that their error states are read too: the page, its url_for
# arguments, the form's selector, the fields to fill (selector -> value) before sending, and
# the endpoint the form posts to (whose permission decides whether the role has the form).
ERROR_STATES: tuple[tuple[str, dict[str, str], str, dict[str, str], str], ...] = (
    ("projects.create", {}, "main form", {"[name=start_date]": "31-02-2026"}, "projects.create"),
    ("users.create", {}, "main form", {"[name=email]": "ikke-en-adresse"}, "users.create"),
    (
        "meetings.index",
        {},
        "form[action$='/moeder/']",
        {"[name=meeting_date]": "32-13-2026"},
        "meetings.create",
    ),
    (
        "benefits.create",
        {"project_id": "{own_project}", "type": "time"},
        "main form",
        {},
        "benefits.create",
    ),
    ("finance.index", {}, "form[action$='/puljer']", {}, "finance.create_pool"),
    ("imports.index", {}, "#upload-form", {}, "imports.upload"),
    ("api_tokens.index", {}, "form[action*='api-noegler']", {}, "api_tokens.create"),
    ("rollout_sheet.index", {}, "#upload-form", {}, "rollout_sheet.upload"),
    (
        "rollout.cell",
        {"cell_id": "{own_cell}"},
        "form.rollout-cell-form",
        {"[name=actual_go_live]": "x"},
        "rollout.update_cell",
    ),
)
# Submitting a form whose answer is a page of its own (the planner's proposal).
SUBMITTED_STATES: tuple[tuple[str, str], ...] = (("rollout_plan.propose", "main form"),)


def get_endpoints(app: Any) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or set())}


def test_every_get_page_is_read_by_axe(tmp_path: Path) -> None:
    """A new page cannot be forgotten: every GET endpoint is in PAGES, or named as no page."""
    app = _e2e_app(tmp_path / "unused.sqlite")
    endpoints = get_endpoints(app)
    listed = set(PAGES) | set(ANONYMOUS_PAGES) | set(NOT_PAGES)
    assert endpoints - listed == set(), "GET pages that axe does not read: add them to PAGES"
    assert listed - endpoints == set(), "no longer GET endpoints: remove them here"


@dataclass
class Demo:
    base: str
    app: Any
    ids: dict[str, str]
    import_workbook: bytes


@dataclass
class Findings:
    """Violations by rule: what it is, and where (page, state, target selectors)."""

    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    places: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    pages_read: int = 0

    def add(self, where: str, result: dict[str, Any]) -> None:
        for v in result["violations"]:
            self.rules.setdefault(v["id"], v)
            targets = "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:5])
            more = f" (+{len(v['nodes']) - 5})" if len(v["nodes"]) > 5 else ""
            self.places[v["id"]].append(f"{where}: {targets}{more}")

    def report(self) -> str:
        lines = []
        for rule_id, v in sorted(self.rules.items()):
            lines.append(f"{rule_id} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
            places = self.places[rule_id]
            lines += [f"    {p}" for p in places[:12]]
            if len(places) > 12:
                lines.append(f"    … and {len(places) - 12} more places")
        return "\n".join(lines)


def _workbook_with_unknown_values() -> bytes:
    """The demo sheet with a status the importer does not know and a changed budget: the
    preview shows its value step, a change and a problem."""
    wb = load_workbook(sample_workbook())
    ws = wb.active
    assert ws is not None
    header = next(r for r in ws.iter_rows(min_row=1, max_row=10) if r[0].value == "Sagsnr.")
    columns = {str(c.value): c.column for c in header}
    first = header[0].row + 1
    ws.cell(row=first, column=columns["Status"], value="Lilla")
    ws.cell(row=first + 1, column=columns["Budget (kr.)"], value=1_250_000)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _prepare(app: Any) -> dict[str, str]:
    """Two meetings (a published pack with a decision, and a draft after it), an import
    profile, and the ids of the demo's own and other projects, cells, benefit and pool."""
    from portfolio.api.tokens import create_token
    from portfolio.db import get_session
    from portfolio.finance.models import Benefit, PoolMovement
    from portfolio.imports import services as import_svc
    from portfolio.imports.choices import ImportChoices, header_signature
    from portfolio.imports.models import ImportRun
    from portfolio.meetings import services as meeting_svc
    from portfolio.meetings.pack import PackMode
    from portfolio.projects.models import Department, Person, Project
    from portfolio.rollout.models import Rollout, RolloutCell
    from portfolio.users.models import User

    with app.app_context():
        session = get_session()
        includes = {"include_rollout": True, "include_finance": True}
        published = meeting_svc.create_meeting(
            session=session,
            meeting_date=PUBLISHED_DAY,
            mode=PackMode.complete,
            actor="e2e",
            include_pool_orientation=True,
            **includes,
        )
        meeting_svc.publish_meeting(session=session, meeting=published, actor="e2e")
        decided = meeting_svc.build_pack(session, published).for_decision[0]
        meeting_svc.record_decision(
            session=session,
            meeting=published,
            project_id=decided.project.id,
            text="Chefforum godkender den nye tidsplan.",
            actor="e2e",
        )
        meeting_svc.create_meeting(
            session=session, meeting_date=DRAFT_DAY, mode=PackMode.complete, actor="e2e", **includes
        )
        result = import_svc.read_sheet(sample_workbook().read_bytes())
        profile = import_svc.save_profile(
            session=session,
            name="Demoarket",
            signature=header_signature(result),
            result=result,
            choices=ImportChoices(),
            actor="e2e",
        )
        owner = session.exec(select(Person).where(Person.name == OWNER_NAME)).one()
        projects = session.exec(select(Project).order_by(col(Project.id))).all()
        own = next(p for p in projects if p.process_owner_id == owner.id and not p.archived)
        other = next(p for p in projects if p.process_owner_id not in (None, owner.id))
        own_departments = {
            d.id for d in session.exec(select(Department).where(Department.chief_id == owner.id))
        }
        cells = session.exec(select(RolloutCell).order_by(col(RolloutCell.id))).all()
        grant = session.exec(
            select(PoolMovement).where(
                PoolMovement.kind == MovementKind.grant, col(PoolMovement.project_id).is_not(None)
            )
        ).first()
        assert grant is not None
        benefit = session.exec(select(Benefit).where(Benefit.owner_id == owner.id)).first()
        assert benefit is not None
        ids = {
            "own_project": own.id,
            "other_project": other.id,
            "run": session.exec(select(ImportRun.id).limit(1)).one(),
            "profile": profile.id,
            "owner_user": session.exec(select(User).where(User.email == OWNER)).one().id,
            "draft_day": DRAFT_DAY.isoformat(),
            "published_day": PUBLISHED_DAY.isoformat(),
            "rollout_project": session.exec(select(Rollout.project_id).limit(1)).one(),
            "own_cell": next(c.id for c in cells if c.department_id in own_departments),
            "other_cell": next(c.id for c in cells if c.department_id not in own_departments),
            "pool": grant.pool_id,
            "granted_project": grant.project_id,
            "own_benefit": benefit.id,
        }
        for user in session.exec(select(User)):
            token, _raw = create_token(
                session=session, user=user, name="Power BI", actor="e2e", source=ChangeSource.demo
            )
            ids[f"api_token_{user.role}"] = token.id
        session.commit()
    return {name: str(value) for name, value in ids.items()}


@pytest.fixture(scope="module")
def demo(demo_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """One server for the whole module: the demo portfolio, two meetings and a profile."""
    folder = tmp_path_factory.mktemp("axe")
    database = folder / "axe.sqlite"
    for source in demo_database.parent.glob(f"{demo_database.name}*"):  # with any -wal file
        shutil.copy(source, folder / source.name.replace(demo_database.name, database.name))
    app = _e2e_app(database)
    app.instance_path = str(folder / "instance")  # the uploads' store: not the checkout's
    ids = _prepare(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Demo(
            f"http://127.0.0.1:{server.server_port}", app, ids, _workbook_with_unknown_values()
        )
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["portfolio_db"].dispose()


def _url(demo: Demo, endpoint: str, args: dict[str, str], ids: dict[str, str]) -> str:
    from flask import url_for

    with demo.app.test_request_context():
        return url_for(endpoint, **{k: v.format(**ids) for k, v in args.items()})


AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
# Opens every closed <details> and has axe read what came into view: the rest of the page is
# as it was when axe read it a moment before (reading it again would double the cost).
OPEN_DETAILS_AND_READ = """async options => {
    const closed = [...document.querySelectorAll('details:not([open])')];
    if (!closed.length) return {violations: []};
    closed.forEach(d => { d.open = true; });
    // What the page's scripts do when a <details> opens (a table's scroll region becomes a tab
    // stop once it overflows) happens before the next frame is painted: read after it.
    await new Promise(painted => requestAnimationFrame(() => requestAnimationFrame(painted)));
    return axe.run({include: closed}, options);
}"""


def _read(page: Any, where: str, findings: Findings) -> None:
    """axe on the page as it is, then on every <details> it holds closed, opened."""
    findings.pages_read += 1
    findings.add(where, page.evaluate("options => axe.run(document, options)", AXE_OPTIONS))
    findings.add(f"{where} [<details> opened]", page.evaluate(OPEN_DETAILS_AND_READ, AXE_OPTIONS))


def _send(page: Any, form: str, fill: dict[str, str]) -> Any:
    """Sends the form as a user would, past the browser's own checks (the server's are read)."""
    target = page.locator(form).first
    target.evaluate("f => { f.noValidate = true; }")
    for selector, value in fill.items():
        target.locator(selector).fill(value)
    with page.expect_navigation():
        target.locator("button[type=submit], input[type=submit]").first.click()


def _log_in(page: Any, base: str, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def _upload(page: Any, url: str, name: str, data: bytes) -> str:
    """Uploads a workbook on `url`'s form; the token of the preview it lands on."""
    page.goto(url)
    page.locator("#upload-form input[type=file]").set_input_files(
        {"name": name, "mimeType": "application/octet-stream", "buffer": data}
    )
    with page.expect_navigation():
        page.locator("#upload-form button[type=submit]").click()
    token = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert "?" not in token and token, page.url
    return token


def _may(role: Role, endpoint: str) -> bool:
    needed: Permission | None = ENDPOINTS[endpoint]
    return needed is None or has_permission(role, needed)


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: kør npm ci")
    return AXE.read_text(encoding="utf-8")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", list(ROLES), ids=[r.value for r in ROLES])
def test_axe_finds_nothing_on_any_page(
    demo: Demo, browser: Any, axe_source: str, role: Role, language: str
) -> None:
    findings = Findings()
    context = browser.new_context(locale="da-DK", viewport={"width": 1400, "height": 1000})
    context.add_init_script(script=axe_source)
    context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": demo.base}])
    page = context.new_page()
    page.set_default_timeout(30_000)
    base = demo.base
    statuses: list[str] = []

    def visit(endpoint: str, args: dict[str, str], ids: dict[str, str]) -> None:
        url = _url(demo, endpoint, args, ids)
        response = page.goto(base + url)
        status = response.status if response else 0
        allowed = _may(role, endpoint)
        # Beyond the permission table, only a draft pack is refused to those who do not make packs.
        draft = args.get("day") == "{draft_day}" and not _may(role, "meetings.create")
        expected = {200} if allowed and not draft else {403}
        if status not in expected:
            statuses.append(f"{url}: {status}, expected {sorted(expected)}")
        _read(page, f"{url} ({status})", findings)

    try:
        if role is Role.admin:  # the pages before login are the same for every role
            for endpoint in ANONYMOUS_PAGES:
                url = _url(demo, endpoint, {}, demo.ids)
                page.goto(base + url)
                _read(page, url, findings)
            page.goto(base + _url(demo, "auth.login", {}, demo.ids))
            _send(page, "main form", {})
            _read(page, "/login [sent empty]", findings)
            _send(page, "main form", {"[name=email]": ADMIN, "[name=password]": "forkert"})
            _read(page, "/login [wrong password]", findings)
        _log_in(page, base, ROLES[role])
        ids = dict(demo.ids, import_token="ukendt", rollout_token="ukendt")
        ids["api_token"] = demo.ids[f"api_token_{role.value}"]
        if _may(role, "imports.upload"):
            url = _url(demo, "imports.index", {}, ids)
            ids["import_token"] = _upload(page, base + url, "lilla.xlsx", demo.import_workbook)
        if _may(role, "rollout_sheet.upload"):
            sheet = page.request.get(base + _url(demo, "rollout_sheet.export", {}, ids)).body()
            url = _url(demo, "rollout_sheet.index", {}, ids)
            ids["rollout_token"] = _upload(page, base + url, "udrulning.xlsx", sheet)
        for endpoint, variants in PAGES.items():
            for args in variants:
                visit(endpoint, args, ids)
        for endpoint, args, form, fill, posts_to in ERROR_STATES:
            if not _may(role, posts_to):
                continue
            page.goto(base + _url(demo, endpoint, args, ids))
            _send(page, form, fill)
            shown = page.locator(".error-summary, .error, [aria-invalid=true]").count()
            if not shown:
                statuses.append(f"{page.url.removeprefix(base)}: no error shown for {endpoint}")
            _read(page, f"{page.url.removeprefix(base)} [{endpoint} sent with errors]", findings)
        for endpoint, form in SUBMITTED_STATES:
            if _may(role, endpoint):
                page.goto(base + _url(demo, endpoint, {}, ids))
                _send(page, form, {})
                _read(page, f"{page.url.removeprefix(base)} [{endpoint} sent]", findings)
        page.goto(f"{base}/projekter/999999")
        _read(page, "/projekter/999999 (404)", findings)
    finally:
        context.close()
    problems = []
    if statuses:
        problems.append(
            "Pages that did not open as this role should see them:\n" + "\n".join(statuses)
        )
    if findings.rules:
        problems.append(
            f"axe found WCAG 2.1 A/AA violations as {role.value} in {language} "
            f"({findings.pages_read} pages read):\n{findings.report()}"
        )
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)
