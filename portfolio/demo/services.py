"""Loading the demo portfolio: the sample workbook through the real importer, plus history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, func, select

from importers.workbook import read_workbook
from portfolio.demo.data import person_titles
from portfolio.demo.finance import load_demo_finance
from portfolio.demo.rollout import load_demo_rollouts
from portfolio.domain import ChangeSource
from portfolio.imports.services import apply_import, preview_import, sha256_of
from portfolio.projects.models import Project, StatusUpdate
from portfolio.projects.services import References

SAMPLE_NAME = "portefolje.xlsx"


def sample_workbook() -> Path:
    """The sample sheet: packaged in the wheel, or in sample_data/ of a source checkout."""
    here = Path(__file__).resolve().parents[1]
    for candidate in (here / "sample_data", here.parent / "sample_data"):
        candidate = candidate / SAMPLE_NAME
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("the sample workbook portefolje.xlsx is missing")


def portfolio_is_empty(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Project)).one() == 0


def load_demo_portfolio(*, session: Session, actor: str, now: datetime | None = None) -> int:
    """Imports the sample workbook and gives it a year of history; the caller commits."""
    path = sample_workbook()
    data = path.read_bytes()
    preview = preview_import(session, read_workbook(data))
    run = apply_import(
        session=session,
        preview=preview,
        actor=actor,
        source=ChangeSource.demo,
        filename=path.name,
        sha256=sha256_of(data),
    )
    refs = References(session)
    for name, title in person_titles().items():
        refs.person(name, title)
    when = now or datetime.now(UTC)
    _backdate_history(session, when)
    session.flush()
    load_demo_rollouts(session=session, actor=actor, now=when)
    session.flush()
    load_demo_finance(session=session, actor=actor, now=when)
    return run.created


def _backdate_history(session: Session, now: datetime) -> None:
    """A plausible past: projects started green a year ago and drifted to today's light."""
    year_ago = now - timedelta(days=365)
    for update in session.exec(select(StatusUpdate)):
        update.changed_at = year_ago
    projects = session.exec(select(Project).where(col(Project.status).is_not(None))).all()
    for i, project in enumerate(sorted(projects, key=lambda p: p.id or 0)):
        assert project.id is not None  # noqa: S101
        path = {"red": ["green", "yellow", "red"], "yellow": ["green", "yellow"]}.get(
            str(project.status), ["green", "yellow", "green"] if i % 3 == 0 else ["green"]
        )
        first = session.exec(
            select(StatusUpdate).where(
                StatusUpdate.project_id == project.id, StatusUpdate.field == "status"
            )
        ).first()
        if first is not None:
            first.new_value = path[0]
        for step, (old, new) in enumerate(zip(path, path[1:], strict=False)):
            months_back = (len(path) - 1 - step) * 3 - (i % 3)
            session.add(
                StatusUpdate(
                    project_id=project.id,
                    changed_at=now - timedelta(days=30 * max(months_back, 0) + 3),
                    changed_by=project.process_owner.name if project.process_owner else "demo",
                    field="status",
                    old_value=old,
                    new_value=new,
                    source=ChangeSource.demo,
                )
            )


DEMO_PASSWORD = "portefolje-demo"  # noqa: S105  (printed for the demo; never for real accounts)
DEMO_USERS = (
    ("it@kommune.example", "IT-afdelingen (demo)", "admin", None),
    ("raad@kommune.example", "IT-projektrådet (demo)", "editor", None),
    ("chef.oekonomi@kommune.example", "Peter Damgaard", "owner", "Peter Damgaard"),
    ("chefforum@kommune.example", "Chefforum-medlem (demo)", "reader", None),
)


def create_demo_users(session: Session) -> None:
    """One demo login per role (the process owner is Peter Damgaard, owner of demo projects)."""
    from portfolio.users.services import create_user, user_by_email

    for email, name, role, person in DEMO_USERS:
        if user_by_email(session, email) is None:
            create_user(
                session=session,
                email=email,
                name=name,
                role=role,
                password=DEMO_PASSWORD,
                person=person,
            )
