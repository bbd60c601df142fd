"""Exporting the portfolio: the same projects a filter shows, written in the sheet's shape."""

from __future__ import annotations

from datetime import date
from typing import IO

from sqlmodel import Session

from portfolio.exporters.sheet import write_portfolio_sheet
from portfolio.projects.services import ProjectFilter, list_projects, project_to_dict


def export_portfolio_sheet(session: Session, flt: ProjectFilter, target: IO[bytes]) -> int:
    rows = [project_to_dict(p, json_ready=False) for p in list_projects(session, flt)]
    return write_portfolio_sheet(rows, target, exported_on=date.today())
