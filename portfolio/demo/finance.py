"""The demo's money and benefits: Digitaliseringsrådets pulje as Chefforum's minutes of
13 June 2018 tell it (600.000 kr. from Digitaliseringsstyregruppen, all granted by 1 May 2018),
and benefits of all three types with their history, dated from the day the demo is loaded."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from portfolio.db import utcnow
from portfolio.demo.data import DEPARTMENTS
from portfolio.domain import Assessment, BenefitType, ChangeSource, MovementKind
from portfolio.finance.services import (
    add_movement,
    create_pool,
    pool_by_name,
    record_measurement,
    save_benefit,
)
from portfolio.projects.models import Project

POOL = "Digitaliseringsrådets pulje"
CASE = "85.13.00-000-1-18"  # the minutes' case on financing digitalisation projects
FAELLES = "Fælles om Målet"
KVALITET = "Kvalitetskontrol af journalisering"

# project, amount, day, note: the two grants of the minutes; together the whole pool.
GRANTS = (
    (
        FAELLES,
        350_000,
        date(2017, 10, 2),
        "Anskaffelse og implementering af Fælles om Målet; besluttet i Direktørforum.",
    ),
    (
        KVALITET,
        250_000,
        date(2018, 4, 30),
        "De resterende midler: anskaffelse og implementering af Kvalitetskontrol, der skal sikre "
        "korrekt journalisering i alle afdelinger. Puljen er hermed opbrugt pr. 1. maj 2018.",
    ),
)

BILAG = {
    "title": "Færre timer på bilagshåndtering",
    "type": BenefitType.time,
    "description": "Bilag fotograferes og konteres i appen i stedet for på papir.",
    "indicator": "Timer brugt på bilagshåndtering pr. år (tidsregistrering)",
    "unit": "timer/år",
    "hourly_value_dkk": 400,
}
# Bilagsappen, one benefit per department where it landed (its chief owns it): baseline,
# pessimistic / likely / optimistic, baseline and full effect in days from today, and the
# measurements as (days from today, hours). Børn & Familie is behind: the rollout is late.
BILAG_DEPARTMENTS: tuple[tuple[str, float, tuple[float, float, float], int, int, Any], ...] = (
    (
        "Økonomi & Stab",
        2400,
        (1800, 1600, 1400),
        -410,
        -45,
        ((-290, 2150), (-170, 1850), (-40, 1580)),
    ),
    (
        "Miljø & Teknik",
        1500,
        (1200, 1050, 900),
        -315,
        50,
        ((-200, 1380), (-100, 1200), (-20, 1090)),
    ),
    ("Borgerservice", 800, (640, 560, 480), -190, 175, ((-100, 720), (-15, 660))),
    ("Børn & Familie", 3600, (2900, 2600, 2300), -120, 245, ((-20, 3560),)),
)

# project, department, fields, baseline and full effect (days from today), measurements
OTHERS: tuple[tuple[str, str, dict[str, Any], int, int, Any], ...] = (
    (
        FAELLES,
        "Økonomi & Stab",
        {
            "title": "Sparede udgifter til målopfølgning",
            "type": BenefitType.economic,
            "description": "Færre eksterne konsulenttimer til opfølgning på mål og resultater; "
            "gevinsten er indregnet i afdelingernes øvrige besparelser.",
            "indicator": "Udgifter til ekstern målopfølgning pr. år",
            "unit": "kr./år",
            "baseline_value": 0.0,
            "target_pessimistic": 100_000.0,
            "target_likely": 150_000.0,
            "target_optimistic": 200_000.0,
        },
        -500,
        200,
        ((-330, 40_000), (-30, 120_000)),
    ),
    (
        "Kørselsapp",
        "Miljø & Teknik",
        {
            "title": "Lavere udgifter til kørselsgodtgørelse",
            "type": BenefitType.economic,
            "description": "Kørsel registreres med rute, så dobbelt- og fejludbetalinger undgås.",
            "indicator": "Udbetalt kørselsgodtgørelse pr. år",
            "unit": "kr./år",
            "baseline_value": 1_250_000.0,
            "target_pessimistic": 1_180_000.0,
            "target_likely": 1_150_000.0,
            "target_optimistic": 1_100_000.0,
        },
        -260,
        105,
        ((-140, 1_215_000), (-30, 1_170_000)),
    ),
    (
        "Kørselsapp",
        "Økonomi & Stab",
        {
            "title": "Mindre tid på kørselsregnskab",
            "type": BenefitType.time,
            "indicator": "Timer brugt på kontrol af kørselsregnskaber pr. år",
            "unit": "timer/år",
            "baseline_value": 300.0,
            "target_pessimistic": 220.0,
            "target_likely": 180.0,
            "target_optimistic": 150.0,
            "hourly_value_dkk": 400,
        },
        -150,
        215,
        ((-10, 245),),
    ),
    (
        "Fraværsapp",
        "Borgerservice",
        {
            "title": "Færre timer på fraværsregistrering",
            "type": BenefitType.time,
            "indicator": "Timer brugt på registrering og opfølgning på fravær pr. år",
            "unit": "timer/år",
            "baseline_value": 260.0,
            "target_pessimistic": 200.0,
            "target_likely": 170.0,
            "target_optimistic": 140.0,
            "hourly_value_dkk": 400,
        },
        14,  # the nulpunkt is measured when the rollout starts
        480,
        (),
    ),
)

QUALITY = {
    "title": "Korrekt journalisering i alle afdelinger",
    "type": BenefitType.qualitative,
    "description": "Sager journaliseres korrekt første gang i alle afdelinger, så kommunen "
    "overholder reglerne for journalisering og kan finde sine sager.",
    "indicator": "Kvartalsvis stikprøve af journaliserede sager",
}
# days from today, assessment, evidence
QUALITY_HISTORY = (
    (-420, Assessment.not_begun, "Nulpunkt: stikprøve af 200 sager, 58 % journaliseret korrekt."),
    (
        -240,
        Assessment.underway,
        "Kvalitetskontrol kører i Økonomi & Stab og Borgerservice; stikprøve 71 % korrekt.",
    ),
    (
        -60,
        Assessment.partly,
        "Alle afdelinger er koblet på; stikprøve 84 % korrekt. Skoler & Uddannelser mangler "
        "oplæring af sagsbehandlere.",
    ),
)


def load_demo_finance(*, session: Session, actor: str, now: datetime) -> None:
    """The pool with its deposit and two grants (balance 0) and the benefits; the caller
    commits. Projects missing from the demo sheet are skipped."""
    projects = {p.name: p for p in session.exec(select(Project)).all()}
    if pool_by_name(session, POOL) is None:
        _load_pool(session, projects, actor)
    today = now.date()
    # A measurement cannot lie in the future, also when the demo is dated ahead of the clock.
    latest_day = min(today, utcnow().date())

    def day(offset: int) -> date:
        return today + timedelta(days=offset)

    def measured(offset: int) -> date:
        return min(day(offset), latest_day)

    def chief(department: str) -> str:
        return DEPARTMENTS[department][0]

    if "Bilagsapp" in projects:
        for department, baseline, targets, start, full, history in BILAG_DEPARTMENTS:
            values = {
                **BILAG,
                "baseline_value": float(baseline),
                "baseline_date": day(start),
                "target_pessimistic": float(targets[0]),
                "target_likely": float(targets[1]),
                "target_optimistic": float(targets[2]),
                "full_effect_on": day(full),
            }
            benefit = save_benefit(
                session=session,
                actor=actor,
                source=ChangeSource.demo,
                project=projects["Bilagsapp"],
                values=values,
                owner=chief(department),
                department=department,
            )
            for offset, value in history:
                record_measurement(
                    session=session,
                    benefit=benefit,
                    measured_on=measured(offset),
                    value=float(value),
                    actor=chief(department),
                )
    for name, department, fields, start, full, history in OTHERS:
        if name not in projects:
            continue
        benefit = save_benefit(
            session=session,
            actor=actor,
            source=ChangeSource.demo,
            project=projects[name],
            values={**fields, "baseline_date": day(start), "full_effect_on": day(full)},
            owner=chief(department),
            department=department,
        )
        for offset, value in history:
            record_measurement(
                session=session,
                benefit=benefit,
                measured_on=measured(offset),
                value=float(value),
                actor=chief(department),
            )
    if KVALITET in projects:
        quality = save_benefit(
            session=session,
            actor=actor,
            source=ChangeSource.demo,
            project=projects[KVALITET],
            values={**QUALITY, "full_effect_on": day(120)},
            owner=chief("Økonomi & Stab"),
            department="Økonomi & Stab",
        )
        for offset, grade, evidence in QUALITY_HISTORY:
            record_measurement(
                session=session,
                benefit=quality,
                measured_on=measured(offset),
                assessment=grade,
                comment=evidence,
                actor=chief("Økonomi & Stab"),
            )
    session.flush()


def _load_pool(session: Session, projects: dict[str, Project], actor: str) -> None:
    established = date(2017, 3, 1)
    pool = create_pool(
        session=session,
        actor=actor,
        source=ChangeSource.demo,
        name=POOL,
        owner_body="Digitaliseringsrådet",
        established_on=established,
        return_share_pct=25,
        repay_investment=True,
        description=(
            "Overført fra den tidligere Digitaliseringsstyregruppe ved Digitaliseringsrådets "
            "etablering i 2017. Regel: investeringen og 25 % af de økonomiske gevinster føres "
            "tilbage til puljen, 75 % til det politiske råderum."
        ),
    )
    add_movement(
        session=session,
        pool=pool,
        kind=MovementKind.deposit,
        amount_dkk=600_000,
        occurred_on=established,
        source="Digitaliseringsstyregruppen",
        note="Overført ved etableringen af Digitaliseringsrådet.",
        actor=actor,
    )
    for name, amount, day, note in GRANTS:
        if name in projects:
            add_movement(
                session=session,
                pool=pool,
                kind=MovementKind.grant,
                amount_dkk=amount,
                occurred_on=day,
                project_id=projects[name].id,
                decision_case_number=CASE,
                note=note,
                actor=actor,
            )
