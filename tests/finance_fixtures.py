"""Digitaliseringsrådets pulje as in the 2018 minutes, and benefits of all three types: for the
finance tests (pass the test's session; it commits)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from portfolio.domain import Assessment, BenefitType, ChangeSource, MovementKind
from portfolio.finance.models import Benefit, Pool
from portfolio.finance.services import add_movement, create_pool, record_measurement, save_benefit
from portfolio.projects.models import Project


@dataclass
class FinanceWorld:
    pool: Pool
    projects: dict[str, Project]
    benefits: dict[str, Benefit]  # by title


def make_finance_world(
    session: Session, make_project: Callable[..., Project], *, granted: bool = True
) -> FinanceWorld:
    """The 600.000 kr. pool (25 % back, investment repaid); Fælles om Målet and
    Kvalitetskontrol granted 350.000 and 250.000 kr. (balance 0) unless granted=False; the
    Bilagsapp saving hours (owner Lise Holm, behind plan), an economic benefit (owner Peter
    Damgaard) and a qualitative one for Kvalitetskontrol (owner Peter Damgaard)."""
    projects = {
        name: make_project(name=name, kind="strategic", department="Økonomi & Stab")
        for name in ("Fælles om Målet", "Kvalitetskontrol af journalisering", "Bilagsapp")
    }
    pool = create_pool(
        session=session,
        actor="test",
        source=ChangeSource.cli,
        name="Digitaliseringsrådets pulje",
        owner_body="Digitaliseringsrådet",
        established_on=date(2017, 9, 1),
        return_share_pct=25,
        repay_investment=True,
    )
    add_movement(
        session=session,
        pool=pool,
        kind=MovementKind.deposit,
        amount_dkk=600_000,
        occurred_on=date(2017, 9, 1),
        source="Digitaliseringsstyregruppen",
        actor="testfixture",
    )
    if granted:
        for name, amount, day in (
            ("Fælles om Målet", 350_000, date(2017, 11, 1)),
            ("Kvalitetskontrol af journalisering", 250_000, date(2018, 2, 1)),
        ):
            add_movement(
                session=session,
                pool=pool,
                kind=MovementKind.grant,
                amount_dkk=amount,
                occurred_on=day,
                project_id=projects[name].id,
                decision_case_number="85.13.00-000-1-18",
                actor="testfixture",
            )
    hours = save_benefit(
        session=session,
        actor="test",
        source=ChangeSource.cli,
        project=projects["Bilagsapp"],
        values={
            "title": "Færre timer på bilagshåndtering",
            "type": BenefitType.time,
            "indicator": "Timer brugt på bilag pr. år",
            "unit": "timer/år",
            "baseline_value": 4000.0,
            "baseline_date": date(2024, 1, 1),
            "target_pessimistic": 3500.0,
            "target_likely": 3000.0,
            "target_optimistic": 2500.0,
            "full_effect_on": date(2025, 12, 31),
            "hourly_value_dkk": 400,
        },
        owner="Lise Holm",
        department="Børn & Familie",
    )
    record_measurement(
        session=session, benefit=hours, measured_on=date(2025, 6, 1), value=3800.0, actor="t"
    )
    money = save_benefit(
        session=session,
        actor="test",
        source=ChangeSource.cli,
        project=projects["Fælles om Målet"],
        values={
            "title": "Lavere licensudgifter",
            "type": BenefitType.economic,
            "unit": "kr./år",
            "baseline_value": 0.0,
            "baseline_date": date(2018, 1, 1),
            "target_likely": 200_000.0,
            "full_effect_on": date(2019, 12, 31),
        },
        owner="Peter Damgaard",
        department="Økonomi & Stab",
    )
    record_measurement(
        session=session, benefit=money, measured_on=date(2019, 12, 1), value=200_000.0, actor="t"
    )
    quality = save_benefit(
        session=session,
        actor="test",
        source=ChangeSource.cli,
        project=projects["Kvalitetskontrol af journalisering"],
        values={
            "title": "Korrekt journalisering i alle afdelinger",
            "type": BenefitType.qualitative,
            "description": "Sager journaliseres rigtigt første gang.",
            "full_effect_on": date(2019, 6, 30),
        },
        owner="Peter Damgaard",
        department="Økonomi & Stab",
    )
    for day, grade, evidence in (
        (date(2018, 6, 1), Assessment.underway, "Stikprøve: 60 % korrekt."),
        (date(2019, 1, 15), Assessment.partly, "Stikprøve: 80 % korrekt."),
    ):
        record_measurement(
            session=session,
            benefit=quality,
            measured_on=day,
            assessment=grade,
            comment=evidence,
            actor="t",
        )
    session.commit()
    return FinanceWorld(pool, projects, {b.title: b for b in (hours, money, quality)})
