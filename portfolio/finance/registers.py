"""The ledger and the benefits register as rows: one shape for the CLI's JSON and tables and
for the sheets, read through the finance services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from portfolio.finance import rules, services
from portfolio.finance.models import Benefit, Pool, PoolMovement
from portfolio.meetings.models import Meeting
from portfolio.projects.models import Project


@dataclass(frozen=True)
class LedgerLine:
    """One movement as the ledger shows it: names resolved and the balance after it."""

    movement: PoolMovement
    project: str | None
    decision: str | None
    balance_after: int


def _project_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(Project.id, Project.name).where(col(Project.id).in_(ids)))
    return {int(pid or 0): name for pid, name in rows}


def decision_text(meeting: Meeting | None, case_number: str | None) -> str | None:
    """A grant's decision as one line: the meeting, its case number, or both."""
    parts = []
    if meeting is not None:
        parts.append(f"{meeting.title} ({meeting.meeting_date:%d-%m-%Y})")
    if case_number:
        parts.append(f"sagsnr. {case_number}")
    return ", ".join(parts) or None


def ledger_lines(session: Session, pool: Pool) -> list[LedgerLine]:
    assert pool.id is not None  # noqa: S101
    moves = services.movements(session, pool.id)
    names = _project_names(session, {m.project_id for m in moves if m.project_id is not None})
    lines, balance = [], 0
    for move in moves:
        # The pure rule gives one movement's effect on the balance (a grant counts down).
        balance += rules.ledger_figures([(move.kind, move.amount_dkk)]).balance
        meeting = (
            session.get(Meeting, move.decision_meeting_id) if move.decision_meeting_id else None
        )
        lines.append(
            LedgerLine(
                movement=move,
                project=names.get(move.project_id) if move.project_id is not None else None,
                decision=decision_text(meeting, move.decision_case_number),
                balance_after=balance,
            )
        )
    return lines


def movement_to_dict(line: LedgerLine) -> dict[str, Any]:
    move = line.movement
    return {
        "kind": move.kind.value,
        "amount_dkk": move.amount_dkk,
        "occurred_on": move.occurred_on.isoformat(),
        "project": line.project,
        "source": move.source,
        "decision": line.decision,
        "note": move.note,
        "balance_after_dkk": line.balance_after,
        "created_by": move.created_by,
    }


def pool_to_dict(session: Session, pool: Pool) -> dict[str, Any]:
    assert pool.id is not None  # noqa: S101
    figures = services.figures(session, pool.id)
    return {
        "name": pool.name,
        "owner": pool.owner_body,
        "established_on": pool.established_on.isoformat(),
        "return_share_pct": pool.return_share_pct,
        "repay_investment": pool.repay_investment,
        "deposited_dkk": figures.deposited,
        "granted_dkk": figures.granted,
        "released_dkk": figures.released,
        "returned_dkk": figures.returned,
        "corrected_dkk": figures.corrected,
        "balance_dkk": figures.balance,
        "movements": [movement_to_dict(line) for line in ledger_lines(session, pool)],
    }


@dataclass(frozen=True)
class BenefitRow:
    """A benefit with its project, owner, department and where it stands today."""

    benefit: Benefit
    project: str
    owner: str | None
    department: str | None
    status: services.BenefitStatus

    @property
    def latest_on(self) -> date | None:
        return self.status.latest.measured_on if self.status.latest else None

    @property
    def realised_pct(self) -> float | None:
        pct = self.status.realisation.pct
        return None if pct is None else round(pct, 1)


def benefit_rows(
    session: Session, project_id: int | None = None, today: date | None = None
) -> list[BenefitRow]:
    """Every benefit (or one project's), by project name, each with its status on `today`."""
    found = services.benefits(session, project_id)
    names = _project_names(session, {b.project_id for b in found})
    rows = []
    for benefit in found:
        owner = services.owner_of(session, benefit)
        place = services.department_of(session, benefit)
        history = services.measurements(session, benefit.id or 0)
        rows.append(
            BenefitRow(
                benefit=benefit,
                project=names.get(benefit.project_id, ""),
                owner=owner.name if owner else None,
                department=place.name if place else None,
                status=services.benefit_status(benefit, history, today),
            )
        )
    rows.sort(key=lambda r: (r.project.casefold(), r.benefit.id or 0))
    return rows


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def benefit_to_dict(row: BenefitRow) -> dict[str, Any]:
    benefit, status = row.benefit, row.status
    return {
        "project": row.project,
        "title": benefit.title,
        "type": benefit.type.value,
        "owner": row.owner,
        "baseline": benefit.baseline_value,
        "target": benefit.target_likely,
        "latest": status.latest_value,
        "realised_pct": row.realised_pct,
        "assessment": status.assessment.value if status.assessment else None,
        "department": row.department,
        "indicator": benefit.indicator,
        "unit": benefit.unit,
        "baseline_date": _iso(benefit.baseline_date),
        "target_pessimistic": benefit.target_pessimistic,
        "target_optimistic": benefit.target_optimistic,
        "full_effect_on": _iso(benefit.full_effect_on),
        "latest_on": _iso(row.latest_on),
        "realised_capped": status.realisation.capped,
        "behind_plan": status.behind_plan,
    }
