"""Loading the demo portfolio into an empty database."""

from __future__ import annotations

from sqlmodel import Session, func, select

from portfolio.demo_data import demo_projects, person_titles
from portfolio.domain import ChangeSource
from portfolio.models import Project
from portfolio.services.projects import create_project, get_or_create_person


def portfolio_is_empty(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Project)).one() == 0


def load_demo_portfolio(*, session: Session, actor: str) -> int:
    """Adds the demo projects; returns how many. The caller commits."""
    for name, title in person_titles().items():
        get_or_create_person(session, name, title)
    rows = demo_projects()
    for row in rows:
        create_project(session=session, data=row, actor=actor, source=ChangeSource.demo)
    return len(rows)
