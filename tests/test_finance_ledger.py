"""The pool ledger's invariants on SQLite and PostgreSQL: the balance is what the rows say, a
grant never takes it below zero, nothing is updated or deleted, two racing grants cannot both
take the same money; and the return rule's split."""

from __future__ import annotations

import itertools
import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from portfolio.db import make_engine, writing
from portfolio.domain import ChangeSource, MovementKind
from portfolio.finance import rules
from portfolio.finance import services as svc
from portfolio.finance.models import HistoryIsAppendOnly, Pool, PoolMovement
from tests.finance_fixtures import make_finance_world

KINDS = list(MovementKind)
_names = itertools.count(1)


def _fresh_pool(session: Session, share: int = 25) -> Pool:
    pool = svc.create_pool(
        session=session,
        actor="test",
        source=ChangeSource.cli,
        name=f"Testpulje {next(_names)}",
        owner_body="Digitaliseringsrådet",
        established_on=date(2017, 9, 1),
        return_share_pct=share,
    )
    session.commit()
    return pool


def _balance_from_rows(session: Session, pool_id: int) -> int:
    """Deposits − grants + releases + returns ± corrections, straight from the table."""
    sign = {"deposit": 1, "grant": -1, "release": 1, "return": 1, "correction": 1}
    rows = session.execute(
        sa.text("SELECT kind, amount_dkk FROM pool_movement WHERE pool_id = :p"), {"p": pool_id}
    ).all()
    return sum(sign[str(kind)] * int(amount) for kind, amount in rows)


def _count(session: Session, pool_id: int) -> int:
    return len(session.exec(select(PoolMovement).where(PoolMovement.pool_id == pool_id)).all())


step = st.tuples(
    st.sampled_from(KINDS),
    st.integers(min_value=-300_000, max_value=900_000),
    st.integers(min_value=0, max_value=1),
)


def test_the_balance_is_what_the_rows_say_and_a_grant_never_overdraws(
    session: Session, make_project
) -> None:
    projects = [make_project(), make_project()]

    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.lists(step, max_size=12))
    def run(steps: list[tuple[MovementKind, int, int]]) -> None:
        pool = _fresh_pool(session)
        assert pool.id is not None
        day = date(2018, 1, 1)
        for kind, amount, which in steps:
            before_rows = _count(session, pool.id)
            before = svc.figures(session, pool.id)
            if kind != MovementKind.correction:
                amount = abs(amount) or 1
            try:
                svc.add_movement(
                    session=session,
                    pool=pool,
                    kind=kind,
                    amount_dkk=amount,
                    occurred_on=day,
                    actor="property",
                    project_id=projects[which].id,
                    source="Budget",
                    decision_case_number="85.13.00-000-1-18",
                    note="Fejl i indskud",
                    expected_version=pool.version,
                )
                session.commit()
                accepted = True
            except svc.FinanceError:
                session.rollback()
                accepted = False
            after = svc.figures(session, pool.id)
            if kind == MovementKind.grant:
                # a grant is accepted exactly when the balance covers it
                assert accepted == (amount <= before.balance)
            if not accepted:
                assert _count(session, pool.id) == before_rows
                assert after == before
            assert after.balance == _balance_from_rows(session, pool.id)
            assert after.balance >= 0
            day += timedelta(days=1)

    run()


def test_a_movement_is_never_updated_or_deleted(app, session: Session, make_project) -> None:  # type: ignore[no-untyped-def]
    world = make_finance_world(session, make_project)
    first = session.exec(select(PoolMovement).order_by(PoolMovement.id)).first()  # type: ignore[arg-type]
    assert first is not None
    first.amount_dkk = 1
    with pytest.raises(HistoryIsAppendOnly):
        session.flush()
    session.rollback()
    session.delete(first)
    with pytest.raises(HistoryIsAppendOnly):
        session.flush()
    session.rollback()
    engine = app.extensions["portfolio_db"]
    with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="historik"):
        conn.execute(sa.text("UPDATE pool_movement SET amount_dkk = 1"))
    session.expire_all()
    assert svc.figures(session, world.pool.id or 0).deposited == 600_000
    assert svc.figures(session, world.pool.id or 0).balance == 0


@pytest.mark.parametrize("with_form_version", [True, False])
def test_two_grants_racing_for_one_balance_cannot_both_win(
    database_url: str, session: Session, make_project, with_form_version: bool
) -> None:
    pool = _fresh_pool(session)
    svc.add_movement(
        session=session,
        pool=pool,
        kind=MovementKind.deposit,
        amount_dkk=600_000,
        occurred_on=date(2017, 9, 1),
        source="Digitaliseringsstyregruppen",
        actor="test",
    )
    session.commit()
    projects = [make_project(), make_project()]
    seen_version = pool.version  # what both users' forms were opened with
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    engines = [writing(make_engine(database_url)) for _ in projects]

    def grant(engine: sa.Engine, project_id: int) -> None:
        with Session(engine) as own:
            barrier.wait(timeout=30)
            try:
                mine = own.get(Pool, pool.id)
                assert mine is not None
                svc.add_movement(
                    session=own,
                    pool=mine,
                    kind=MovementKind.grant,
                    amount_dkk=400_000,
                    occurred_on=date(2017, 11, 1),
                    project_id=project_id,
                    decision_case_number="85.13.00-000-1-18",
                    actor="race",
                    expected_version=seen_version if with_form_version else None,
                )
                own.commit()
                outcomes.append("granted")
            except svc.StaleFinanceError:
                own.rollback()
                outcomes.append("stale")
            except svc.FinanceError as exc:
                own.rollback()
                assert "større end puljens saldo" in str(exc)
                outcomes.append("over-grant")

    threads = [
        threading.Thread(target=grant, args=(e, p.id))
        for e, p in zip(engines, projects, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for e in engines:
        e.dispose()
    assert outcomes.count("granted") == 1, outcomes
    assert len(outcomes) == 2
    session.commit()
    session.expire_all()
    assert svc.figures(session, pool.id or 0).balance == 200_000
    assert _balance_from_rows(session, pool.id or 0) == 200_000


@given(
    gains=st.integers(min_value=-1_000, max_value=5_000_000),
    share=st.integers(min_value=0, max_value=100),
    repay=st.booleans(),
    investment=st.integers(min_value=0, max_value=2_000_000),
    already=st.integers(min_value=0, max_value=3_000_000),
)
def test_split_gains_shares_out_exactly_the_gains(
    gains: int, share: int, repay: bool, investment: int, already: int
) -> None:
    split = rules.split_gains(
        gains,
        share_pct=share,
        repay_investment=repay,
        investment_dkk=investment,
        already_returned_dkk=already,
    )
    real = max(gains, 0)
    assert split.to_pool + split.to_political_room == real  # nothing lost, nothing made up
    assert split.to_pool >= 0 and split.to_political_room >= 0
    assert split.due_now == max(split.to_pool - already, 0)
    repaid = min(real, investment) if repay else 0
    assert split.to_pool >= repaid  # the investment comes back first
    # the pool's share of what is left, rounded down to whole kroner
    assert split.to_pool - repaid <= (real - repaid) * share / 100 < split.to_pool - repaid + 1


def test_the_return_suggestion_follows_the_pool_rule(session: Session, make_project) -> None:
    world = make_finance_world(session, make_project)
    pool = world.pool
    invested = world.projects["Fælles om Målet"]
    # 200.000 kr./år realised, 350.000 kr. invested: all of it goes to repay the investment
    split = svc.suggested_return(session, pool, invested.id or 0)
    assert (split.to_pool, split.to_political_room, split.due_now) == (200_000, 0, 200_000)
    # the Bilagsapp got nothing from the pool: 200 hours saved × 400 kr. = 80.000 kr. a year,
    # 25 % to the pool and 75 % to the political room
    app_split = svc.suggested_return(session, pool, world.projects["Bilagsapp"].id or 0)
    assert (app_split.to_pool, app_split.to_political_room) == (20_000, 60_000)
    # once returned, nothing is due any more
    svc.add_movement(
        session=session,
        pool=pool,
        kind=MovementKind.return_,
        amount_dkk=split.due_now,
        occurred_on=date(2020, 1, 1),
        project_id=invested.id,
        actor="test",
    )
    session.commit()
    assert svc.suggested_return(session, pool, invested.id or 0).due_now == 0
    assert svc.figures(session, pool.id or 0).balance == 200_000
