"""Hand-made packs for the exporters' tests: no database, and text that tries to break out."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from portfolio.meetings.pack import (
    Change,
    ChangeKind,
    Pack,
    PackItem,
    PackMode,
    PackProject,
    compute_changes,
    suggested_texts,
)
from portfolio.meetings.rollout_item import RolloutDepartment, RolloutPlan, RolloutRow

# Text a user could type into any field: HTML, plotly label markup, a spreadsheet formula.
SCRIPT = "<script>alert('x')</script>"
PLOTLY_LINK = '<a href="https://evil.example/">klik</a>'
FORMULA = '=HYPERLINK("https://evil.example/","klik")'


def pack_project(pid: int, **fields: object) -> PackProject:
    data: dict[str, object] = {
        "id": pid,
        "name": f"Projekt {pid}",
        "case_number": f"85.13.00-P20-{pid}-26",
        "scope": "municipal",
        "kind": "strategic",
        "department": "Økonomi & Stab",
        "process_owner": "Peter Damgaard",
        "project_lead": "Mette Sørensen",
        "phase": "analysis",
        "status": "green",
        "status_comment": None,
        "start_date": date(2026, 1, 1),
        "end_date": date(2027, 6, 30),
        "baseline_end_date": date(2027, 6, 30),
        "budget_dkk": 1_250_000,
        "description": None,
        "link": None,
    }
    data.update(fields)
    return PackProject(**data)  # type: ignore[arg-type]


def make_pack(*, hostile: bool = True, published: bool = True) -> Pack:
    """A pack with both sections, changes since a previous meeting and (by default) hostile
    text in every place a user can write."""
    bad = f"{SCRIPT} {PLOTLY_LINK}" if hostile else "Ingen bemærkninger"
    previous = {
        1: pack_project(1, name="Nyt ESDH-system", status="green"),
        2: pack_project(2, name="Aula", kind="operational", phase="implementation"),
        3: pack_project(3, name="Gammel portal", phase="implementation"),
        5: pack_project(5, name="Kørselsapp", kind="operational", budget_dkk=400_000),
    }
    current = {
        1: pack_project(
            1,
            name="Nyt ESDH-system" + (f" {SCRIPT}" if hostile else ""),
            status="red",
            status_comment=bad,
            end_date=date(2027, 9, 30),
            department=FORMULA if hostile else "Økonomi & Stab",
        ),
        2: pack_project(2, name="Aula", kind="operational", phase="implementation"),
        4: pack_project(
            4,
            name=FORMULA if hostile else "Fraværsapp",
            phase="idea",
            status=None,
            scope="national",
            process_owner=PLOTLY_LINK if hostile else "Chefen for Børn & Familie",
        ),
        5: pack_project(
            5, name="Kørselsapp", kind="operational", budget_dkk=550_000, status="yellow"
        ),
    }
    changes = compute_changes(previous, current)
    items = {
        pid: PackItem(project=p, decision=(bad if pid == 1 and published else None))
        for pid, p in current.items()
    }
    pack = Pack(
        meeting_id=2,
        meeting_date=date(2026, 12, 8),
        title="Chefforum 8. december 2026" + (f" {SCRIPT}" if hostile else ""),
        mode=PackMode.complete,
        published_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC) if published else None,
        previous_meeting_date=date(2026, 10, 22),
        anledning="",
        sagsfremstilling="",
        indstilling="",
        beslutning=bad if published else "",
        for_decision=[
            PackItem(
                project=current[1],
                reasons=("Status rød",),
                decision=items[1].decision,
                previous_decision=bad,
                previous_decision_date=date(2026, 10, 22),
            ),
            PackItem(project=current[4], reasons=("Nyt projekt: beslutning om opstart",)),
        ],
        for_information=[items[2], items[5]],
        other_strategic=[],
        projects=sorted(current.values(), key=lambda p: p.name.casefold()),
        changes=changes,
        previous_status=Counter(p.status or "none" for p in previous.values()),
        filter_description="",
    )
    texts = suggested_texts(pack)
    pack.anledning = texts["anledning"] + (f" {FORMULA}" if hostile else "")
    pack.sagsfremstilling = texts["sagsfremstilling"] + (f"\n\n{bad}" if hostile else "")
    pack.indstilling = texts["indstilling"]
    pack.bilag = [texts["bilag"], FORMULA] if hostile else [texts["bilag"]]
    return pack


def rollout_plan(taken_on: date = date(2026, 12, 1), *, blocker: str | None = None) -> RolloutPlan:
    """A hand-made frozen rollout: two apps in three departments, one of them slower (factor
    2.0 and a winter holiday of its own), one live, one late, one slipped."""
    from portfolio.domain import RolloutState as S

    def row(cid: int, app: str, dept: str, state: S, **dates: object) -> RolloutRow:
        return RolloutRow(cell_id=cid, project=app, department=dept, state=state, **dates)  # type: ignore[arg-type]

    rows = (
        row(
            1,
            "Bilagsapp",
            "Miljø & Teknik",
            S.live,
            actual_go_live=date(2026, 11, 2),
            planned_go_live=date(2026, 10, 30),
            implementation_weeks=4,
            users=260,
        ),
        row(
            2,
            "Bilagsapp",
            "Skoler & Uddannelser",
            S.preparing,
            planned_start=date(2027, 1, 4),
            planned_go_live=date(2027, 3, 26),
            baseline_go_live=date(2027, 3, 12),
            implementation_weeks=8,
            users=900,
            slip_days=14,
            blocker=blocker,
        ),
        row(
            3,
            "Kørselsapp",
            "Børn & Familie",
            S.in_progress,
            planned_start=date(2026, 10, 5),
            planned_go_live=date(2026, 11, 20),
            implementation_weeks=5,
            users=420,
            late=True,
        ),
        row(4, "Kørselsapp", "Miljø & Teknik", S.not_relevant, users=260),
    )
    departments = (
        RolloutDepartment("Børn & Familie", 1.5, 420, ("juli", "jul")),
        RolloutDepartment("Miljø & Teknik", 1.0, 260, ("juli", "jul")),
        RolloutDepartment("Skoler & Uddannelser", 2.0, 900, ("juli", "jul", "vinterferie")),
    )
    return RolloutPlan(taken_on=taken_on, rows=rows, departments=departments)


__all__ = [
    "FORMULA",
    "PLOTLY_LINK",
    "SCRIPT",
    "Change",
    "ChangeKind",
    "finance_state",
    "make_pack",
    "pack_project",
    "rollout_plan",
]


def finance_state(taken_on: date = date(2026, 12, 1), *, note: str | None = None) -> Any:
    """A hand-made frozen ledger: the 2018 pool with its deposit and two grants (balance 0),
    and one benefit of each type; `note` goes on the second grant."""
    from portfolio.domain import Assessment, BenefitType, MovementKind
    from portfolio.meetings.finance_item import (
        FinanceBenefit,
        FinanceMeasurement,
        FinanceMovement,
        FinancePool,
        FinanceState,
    )

    pool = FinancePool(
        pool_id=1,
        name="Digitaliseringsrådets pulje",
        owner_body="Digitaliseringsrådet",
        established_on=date(2017, 9, 1),
        deposited=600_000,
        granted=600_000,
        rule_return=200_000,
    )
    lines = (
        FinanceMovement(
            1,
            pool.name,
            MovementKind.deposit,
            600_000,
            date(2017, 9, 1),
            source="Digitaliseringsstyregruppen",
        ),
        FinanceMovement(
            2,
            pool.name,
            MovementKind.grant,
            350_000,
            date(2017, 11, 1),
            project="Fælles om Målet",
            decision="Direktørforum",
        ),
        FinanceMovement(
            3,
            pool.name,
            MovementKind.grant,
            250_000,
            date(2018, 2, 1),
            project="Kvalitetskontrol",
            decision="sagsnr. 85.13.00-000-1-18",
            note=note,
        ),
    )
    benefits = (
        FinanceBenefit(
            1,
            "Fælles om Målet",
            "Lavere licensudgifter",
            BenefitType.economic,
            unit="kr./år",
            baseline=0.0,
            target=200_000.0,
            latest=200_000.0,
            latest_on=date(2019, 12, 1),
            realised_pct=100.0,
            gain_dkk=200_000,
        ),
        FinanceBenefit(
            2,
            "Kvalitetskontrol",
            "Korrekt journalisering",
            BenefitType.qualitative,
            assessment=Assessment.partly,
            evidence=note or "Stikprøve: 80 % korrekt.",
        ),
    )
    measurements = (
        FinanceMeasurement(
            1,
            2,
            "Kvalitetskontrol",
            "Korrekt journalisering",
            BenefitType.qualitative,
            date(2019, 1, 15),
            assessment=Assessment.partly,
            comment=note,
        ),
    )
    return FinanceState(taken_on, (pool,), lines, benefits, measurements)
