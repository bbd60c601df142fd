"""Pools, grants, spending and benefits as the web, the CLI, the sheets and the pack use them.
Services only flush; the request's or command's unit of work commits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from portfolio.db import utcnow
from portfolio.domain import Assessment, BenefitType, ChangeSource, MovementKind, label
from portfolio.finance import rules
from portfolio.finance.models import (
    Benefit,
    BenefitBase,
    BenefitMeasurement,
    Pool,
    PoolMovement,
    ProjectSpending,
)
from portfolio.formats import danish_day, danish_number, money
from portfolio.projects.models import Department, Person, Project
from portfolio.projects.services import References
from portfolio.users.audit import audit_entry

BENEFIT_FIELDS: tuple[str, ...] = tuple(BenefitBase.model_fields)


class FinanceError(Exception):
    """A refused money action; the message is Danish and shown to the user as it is."""


class StaleFinanceError(FinanceError):
    """The pool or benefit changed after the form was opened, or while this was saved."""


# --- pools and their ledger ---------------------------------------------------------------------


def pools(session: Session) -> list[Pool]:
    return list(session.exec(select(Pool).order_by(col(Pool.established_on), col(Pool.name))))


def pool_by_name(session: Session, name: str) -> Pool | None:
    return session.exec(select(Pool).where(Pool.name == name)).first()


def create_pool(
    *,
    session: Session,
    name: str,
    owner_body: str,
    established_on: date,
    return_share_pct: int = 25,
    repay_investment: bool = True,
    description: str | None = None,
    actor: str,
    source: ChangeSource,
) -> Pool:
    name = name.strip()
    if not name:
        raise FinanceError("Puljen skal have et navn.")
    if pool_by_name(session, name) is not None:
        raise FinanceError(f"Der er allerede en pulje med navnet “{name}”.")
    if not 0 <= return_share_pct <= 100:
        raise FinanceError("Andelen til puljen skal være mellem 0 og 100 %.")
    pool = Pool(
        name=name,
        owner_body=owner_body.strip(),
        established_on=established_on,
        return_share_pct=return_share_pct,
        repay_investment=repay_investment,
        description=description,
    )
    session.add(pool)
    session.flush()
    session.add(
        audit_entry(actor=actor, action="pool_create", source=source, field="pool", new=name)
    )
    return pool


def movements(session: Session, pool_id: int) -> list[PoolMovement]:
    return list(
        session.exec(
            select(PoolMovement)
            .where(PoolMovement.pool_id == pool_id)
            .order_by(col(PoolMovement.occurred_on), col(PoolMovement.id))
        )
    )


def figures(session: Session, pool_id: int) -> rules.LedgerFigures:
    return rules.ledger_figures((m.kind, m.amount_dkk) for m in movements(session, pool_id))


def net_grant(session: Session, pool_id: int, project_id: int) -> int:
    """What the pool has granted the project, less what was released again."""
    total = 0
    for m in movements(session, pool_id):
        if m.project_id == project_id and m.kind == MovementKind.grant:
            total += m.amount_dkk
        elif m.project_id == project_id and m.kind == MovementKind.release:
            total -= m.amount_dkk
    return total


def returned_for(session: Session, pool_id: int, project_id: int) -> int:
    return sum(
        m.amount_dkk
        for m in movements(session, pool_id)
        if m.project_id == project_id and m.kind == MovementKind.return_
    )


def add_movement(
    *,
    session: Session,
    pool: Pool,
    kind: MovementKind,
    amount_dkk: int,
    occurred_on: date,
    actor: str,
    project_id: int | None = None,
    source: str | None = None,
    decision_meeting_id: int | None = None,
    decision_case_number: str | None = None,
    note: str | None = None,
    refers_to_id: int | None = None,
    expected_version: int | None = None,
) -> PoolMovement:
    """Append one line to the pool's ledger, after the checks that keep it true: no grant
    beyond the balance, no release beyond what the project holds, a correction has a reason.
    The pool's version moves with every line, so two grants from one balance cannot both
    pass on any database (the second is refused as stale)."""
    kind = MovementKind(kind)
    if expected_version is not None and expected_version != pool.version:
        raise StaleFinanceError(
            "Puljen er ændret, siden du åbnede siden. Se den nye saldo, og prøv igen."
        )
    if kind == MovementKind.correction:
        if amount_dkk == 0:
            raise FinanceError("En rettelse skal have et beløb (plus eller minus).")
        if not (note or "").strip():
            raise FinanceError("En rettelse skal have en begrundelse.")
    elif amount_dkk <= 0:
        raise FinanceError("Beløbet skal være et positivt antal hele kroner.")
    if kind in (MovementKind.grant, MovementKind.release, MovementKind.return_):
        if project_id is None or session.get(Project, project_id) is None:
            raise FinanceError("Vælg det projekt, pengene angår.")
    if kind == MovementKind.deposit and not (source or "").strip():
        raise FinanceError("Skriv, hvor indskuddet kommer fra.")
    assert pool.id is not None  # noqa: S101
    if kind == MovementKind.grant:
        if decision_meeting_id is None and not (decision_case_number or "").strip():
            raise FinanceError("En bevilling skal have sin beslutning: et møde eller et sagsnr.")
        balance = figures(session, pool.id).balance
        if amount_dkk > balance:
            raise FinanceError(
                f"Bevillingen på {money(amount_dkk)} er større end puljens saldo på "
                f"{money(balance)} Intet er bevilget."
            )
    if kind == MovementKind.release:
        assert project_id is not None  # noqa: S101
        held = net_grant(session, pool.id, project_id)
        if amount_dkk > held:
            raise FinanceError(
                f"Projektet har kun {money(held)} bevilget fra puljen; der kan ikke frigives "
                f"{money(amount_dkk)}"
            )
    if kind == MovementKind.correction and figures(session, pool.id).balance + amount_dkk < 0:
        raise FinanceError("Rettelsen ville give puljen en negativ saldo. Intet er rettet.")
    movement = PoolMovement(
        pool_id=pool.id,
        kind=kind,
        amount_dkk=amount_dkk,
        occurred_on=occurred_on,
        project_id=project_id,
        source=(source or "").strip() or None,
        decision_meeting_id=decision_meeting_id,
        decision_case_number=(decision_case_number or "").strip() or None,
        note=(note or "").strip() or None,
        refers_to_id=refers_to_id,
        created_by=actor[:200],
    )
    session.add(movement)
    flag_modified(pool, "name")  # an UPDATE … WHERE version = :loaded, bumping the version
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleFinanceError(
            "Puljen blev ændret af en anden samtidig. Se den nye saldo, og prøv igen."
        ) from exc
    return movement


@dataclass(frozen=True)
class ProjectGrant:
    pool: Pool
    granted: int  # net of releases
    returned: int


def project_grants(session: Session, project_id: int) -> list[ProjectGrant]:
    found = []
    for pool in pools(session):
        assert pool.id is not None  # noqa: S101
        granted = net_grant(session, pool.id, project_id)
        returned = returned_for(session, pool.id, project_id)
        if granted or returned:
            found.append(ProjectGrant(pool, granted, returned))
    return found


# --- project money ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectMoney:
    granted: int
    spent: int
    budget: int
    years: list[ProjectSpending]

    @property
    def remaining(self) -> int:
        return self.granted - self.spent


def spending(session: Session, project_id: int) -> list[ProjectSpending]:
    return list(
        session.exec(
            select(ProjectSpending)
            .where(ProjectSpending.project_id == project_id)
            .order_by(col(ProjectSpending.year))
        )
    )


def project_money(session: Session, project_id: int) -> ProjectMoney:
    years = spending(session, project_id)
    return ProjectMoney(
        granted=sum(g.granted for g in project_grants(session, project_id)),
        spent=sum(y.actual_dkk or 0 for y in years),
        budget=sum(y.budget_dkk or 0 for y in years),
        years=years,
    )


def set_spending(
    *,
    session: Session,
    project_id: int,
    year: int,
    budget_dkk: int | None,
    actual_dkk: int | None,
    actor: str,
    source: ChangeSource,
    expected_version: int | None = None,
) -> ProjectSpending:
    if not 2000 <= year <= 2100:
        raise FinanceError("Året skal være et årstal, fx 2027.")
    for amount in (budget_dkk, actual_dkk):
        if amount is not None and amount < 0:
            raise FinanceError("Beløbene skal være hele kroner, 0 eller mere.")
    row = session.exec(
        select(ProjectSpending).where(
            ProjectSpending.project_id == project_id, ProjectSpending.year == year
        )
    ).first()
    if row is None:
        row = ProjectSpending(project_id=project_id, year=year)
    elif expected_version is not None and expected_version != row.version:
        raise StaleFinanceError("Året er ændret af en anden, siden du åbnede siden.")
    for field, old, new in (
        ("spending.budget", row.budget_dkk, budget_dkk),
        ("spending.actual", row.actual_dkk, actual_dkk),
    ):
        if old != new:
            shown = [f"{year}: {money(v)}" if v is not None else None for v in (old, new)]
            session.add(
                audit_entry(
                    actor=actor,
                    action="spending_update",
                    source=source,
                    project_id=project_id,
                    field=field,
                    old=shown[0],
                    new=shown[1],
                )
            )
    row.budget_dkk, row.actual_dkk = budget_dkk, actual_dkk
    session.add(row)
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleFinanceError("Året blev ændret af en anden samtidig.") from exc
    return row


# --- benefits -----------------------------------------------------------------------------------


def benefits(session: Session, project_id: int | None = None) -> list[Benefit]:
    stmt = select(Benefit).order_by(col(Benefit.project_id), col(Benefit.id))
    if project_id is not None:
        stmt = stmt.where(Benefit.project_id == project_id)
    return list(session.exec(stmt))


def _check_benefit(values: Mapping[str, Any]) -> None:
    if not str(values.get("title") or "").strip():
        raise FinanceError("Gevinsten skal have en titel.")
    kind = BenefitType(values["type"])
    if kind == BenefitType.qualitative:
        numbers = ("baseline_value", "target_pessimistic", "target_likely", "target_optimistic")
        if any(values.get(n) is not None for n in numbers):
            raise FinanceError(
                "En kvalitativ gevinst måles på skalaen, ikke i tal: lad nulpunkt og mål stå tomme."
            )
        if not str(values.get("description") or "").strip():
            raise FinanceError("Beskriv målet for en kvalitativ gevinst.")


def save_benefit(
    *,
    session: Session,
    project: Project,
    values: Mapping[str, Any],
    owner: str | None,
    department: str | None,
    actor: str,
    source: ChangeSource,
    benefit: Benefit | None = None,
    expected_version: int | None = None,
) -> Benefit:
    """Create a benefit, or change one (checked against the version the form was made from);
    each changed field in the project's audit trail, old → new."""
    unknown = set(values) - set(BENEFIT_FIELDS)
    if unknown:
        raise FinanceError(f"Ukendte felter: {', '.join(sorted(unknown))}")
    current = {n: getattr(benefit, n) for n in BENEFIT_FIELDS} if benefit else {}
    merged = {**current, **values}
    _check_benefit(merged)
    created = benefit is None
    before = _benefit_facts(session, benefit) if benefit else {}
    if benefit is None:
        assert project.id is not None  # noqa: S101
        benefit = Benefit(project_id=project.id, **merged)
    elif expected_version is not None and expected_version != benefit.version:
        raise StaleFinanceError("Gevinsten er ændret af en anden, siden du åbnede den.")
    else:
        for name, value in values.items():
            setattr(benefit, name, value)
    refs = References(session)
    try:
        with session.no_autoflush:
            person, place = refs.person(owner), refs.department(department)
        session.flush()  # a person or department named for the first time gets its id
        benefit.owner_id = person.id if person else None
        benefit.department_id = place.id if place else None
        session.add(benefit)
        session.flush()
    except StaleDataError as exc:
        raise StaleFinanceError("Gevinsten blev ændret af en anden samtidig.") from exc
    after = _benefit_facts(session, benefit)
    action = "benefit_create" if created else "benefit_update"
    changes: list[tuple[str, str | None, str | None]] = []
    if created:
        changes.append(("benefit", None, benefit.title))
    for name, old in ({} if created else before).items():
        if old != after[name]:
            changes.append(
                (f"benefit.{name}", _fact(benefit.title, old), _fact(benefit.title, after[name]))
            )
    for field, old_text, new_text in changes:
        session.add(
            audit_entry(
                actor=actor,
                action=action,
                source=source,
                project_id=benefit.project_id,
                field=field,
                old=old_text,
                new=new_text,
            )
        )
    return benefit


def _fact(title: str, value: Any) -> str | None:
    """A benefit's value in the audit trail, with the benefit it names: "Sparede timer: 120"."""
    if value is None:
        return None
    if isinstance(value, StrEnum):
        shown = label(value)
    elif isinstance(value, date):
        shown = danish_day(value)
    elif isinstance(value, float):
        shown = danish_number(value, 2).rstrip("0").rstrip(",")  # 12,5 and 120, not 120,00
    else:
        shown = str(value)
    return f"{title}: {shown}"


def _benefit_facts(session: Session, benefit: Benefit) -> dict[str, Any]:
    """A benefit's fields as the audit trail writes them: its own, its owner and department by
    name."""
    facts: dict[str, Any] = {n: getattr(benefit, n) for n in BENEFIT_FIELDS}
    owner = session.get(Person, benefit.owner_id) if benefit.owner_id else None
    place = session.get(Department, benefit.department_id) if benefit.department_id else None
    facts["owner"] = owner.name if owner else None
    facts["department"] = place.name if place else None
    return facts


def measurements(session: Session, benefit_id: int) -> list[BenefitMeasurement]:
    return list(
        session.exec(
            select(BenefitMeasurement)
            .where(BenefitMeasurement.benefit_id == benefit_id)
            .order_by(col(BenefitMeasurement.measured_on), col(BenefitMeasurement.id))
        )
    )


def record_measurement(
    *,
    session: Session,
    benefit: Benefit,
    measured_on: date,
    actor: str,
    value: float | None = None,
    assessment: Assessment | str | None = None,
    comment: str | None = None,
) -> BenefitMeasurement:
    """A measurement (economic, time) or an assessment on the scale with its evidence
    (qualitative); never both, never the wrong one."""
    assert benefit.id is not None  # noqa: S101
    if benefit.type == BenefitType.qualitative:
        if assessment is None or value is not None:
            raise FinanceError("En kvalitativ gevinst vurderes på skalaen; vælg en vurdering.")
        if not (comment or "").strip():
            raise FinanceError("Skriv, hvad vurderingen bygger på (dokumentation).")
    elif value is None or assessment is not None:
        raise FinanceError("Skriv den målte værdi.")
    if measured_on > utcnow().date():
        raise FinanceError("En måling kan ikke ligge i fremtiden.")
    row = BenefitMeasurement(
        benefit_id=benefit.id,
        measured_on=measured_on,
        value=value,
        assessment=Assessment(assessment) if assessment is not None else None,
        comment=(comment or "").strip() or None,
        recorded_by=actor[:200],
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class BenefitStatus:
    """Where a benefit stands: its latest measurement or assessment, its realisation against
    the likely target, and whether it is behind the plan today."""

    benefit: Benefit
    latest: BenefitMeasurement | None
    realisation: rules.Realisation
    expected_now: float | None
    behind_plan: bool

    @property
    def latest_value(self) -> float | None:
        return self.latest.value if self.latest else None

    @property
    def assessment(self) -> Assessment | None:
        return self.latest.assessment if self.latest else None


def benefit_status(
    benefit: Benefit, history: list[BenefitMeasurement], today: date | None = None
) -> BenefitStatus:
    day = today or utcnow().date()
    latest = history[-1] if history else None
    if benefit.type == BenefitType.qualitative:
        done = latest is not None and latest.assessment == Assessment.realised
        late = benefit.full_effect_on is not None and benefit.full_effect_on <= day
        return BenefitStatus(benefit, latest, rules.Realisation(None), None, late and not done)
    reached = rules.realisation(
        benefit.baseline_value, benefit.target_likely, latest.value if latest else None
    )
    expected = rules.expected_by(
        benefit.baseline_value,
        benefit.target_likely,
        benefit.baseline_date,
        benefit.full_effect_on,
        day,
    )
    behind = False
    if expected is not None and benefit.baseline_value is not None:
        planned = rules.realisation(benefit.baseline_value, benefit.target_likely, expected)
        have = reached.pct if reached.pct is not None else 0.0
        # Behind: more than 5 percentage points short of where the plan is today.
        behind = planned.pct is not None and have < planned.pct - 5
    return BenefitStatus(benefit, latest, reached, expected, behind)


def realised_gain_dkk(benefit: Benefit, latest: BenefitMeasurement | None) -> int:
    """The benefit's realised economic gain per year in kroner: an economic benefit's change
    from its baseline, a time benefit's hours times its worth per hour; 0 otherwise."""
    if latest is None or latest.value is None or benefit.baseline_value is None:
        return 0
    change = latest.value - benefit.baseline_value
    if benefit.target_likely is not None and benefit.target_likely < benefit.baseline_value:
        change = -change  # a benefit aiming down (lower costs) gains as it falls
    if benefit.type == BenefitType.economic:
        return max(int(change), 0)
    if benefit.type == BenefitType.time and benefit.hourly_value_dkk:
        return max(int(change * benefit.hourly_value_dkk), 0)
    return 0


def suggested_return(session: Session, pool: Pool, project_id: int) -> rules.ReturnSplit:
    """What the pool's rule sends back for the project's realised economic gains, less what
    has been returned already: offered to the user as a movement to confirm."""
    assert pool.id is not None  # noqa: S101
    gains = 0
    for benefit in benefits(session, project_id):
        history = measurements(session, benefit.id or 0)
        gains += realised_gain_dkk(benefit, history[-1] if history else None)
    return rules.split_gains(
        gains,
        share_pct=pool.return_share_pct,
        repay_investment=pool.repay_investment,
        investment_dkk=net_grant(session, pool.id, project_id),
        already_returned_dkk=returned_for(session, pool.id, project_id),
    )


def owner_of(session: Session, benefit: Benefit) -> Person | None:
    return session.get(Person, benefit.owner_id) if benefit.owner_id else None


def department_of(session: Session, benefit: Benefit) -> Department | None:
    return session.get(Department, benefit.department_id) if benefit.department_id else None
