"""Money figures for many projects at once (the overview, the pool list): a few grouped
queries instead of one ledger walk per project."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portfolio.domain import MovementKind
from portfolio.finance.models import PoolMovement, ProjectSpending


@dataclass(frozen=True)
class MoneyTotals:
    granted: int = 0  # net of releases, from every pool
    spent: int = 0  # actual spending, every year
    returned: int = 0

    @property
    def remaining(self) -> int:
        return self.granted - self.spent

    def __bool__(self) -> bool:
        return bool(self.granted or self.spent or self.returned)


def money_totals(session: Session, project_ids: Iterable[int]) -> MoneyTotals:
    """Granted (net), spent and returned summed over these projects; the same figures as
    services.project_money gives one project at a time."""
    wanted = set(project_ids)
    if not wanted:
        return MoneyTotals()
    signed = sa.case(
        (col(PoolMovement.kind) == MovementKind.grant, col(PoolMovement.amount_dkk)),
        (col(PoolMovement.kind) == MovementKind.release, -col(PoolMovement.amount_dkk)),
        else_=0,
    )
    back = sa.case(
        (col(PoolMovement.kind) == MovementKind.return_, col(PoolMovement.amount_dkk)), else_=0
    )
    granted = returned = spent = 0
    rows = session.exec(
        select(PoolMovement.project_id, sa.func.sum(signed), sa.func.sum(back))
        .where(col(PoolMovement.project_id).is_not(None))
        .group_by(col(PoolMovement.project_id))
    ).all()
    for project_id, net, gained in rows:
        if project_id in wanted:
            granted += int(net or 0)
            returned += int(gained or 0)
    for project_id, actual in session.exec(
        select(ProjectSpending.project_id, sa.func.sum(col(ProjectSpending.actual_dkk))).group_by(
            col(ProjectSpending.project_id)
        )
    ).all():
        if project_id in wanted:
            spent += int(actual or 0)
    return MoneyTotals(granted=granted, spent=spent, returned=returned)
