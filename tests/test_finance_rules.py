"""The money rules' properties (hypothesis): a benefit's realisation, the plan's expected value
on a day, and how a pool's return rule splits realised gains."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from portfolio.finance.rules import REALISATION_CAP_PCT, expected_by, realisation, split_gains

values = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
money = st.integers(min_value=-(10**12), max_value=10**12)
shares = st.integers(min_value=-50, max_value=150)  # also beyond 0–100: the rule clamps


def _apart(baseline: float, target: float) -> None:
    assume(abs(target - baseline) > 1e-6 * max(1.0, abs(baseline), abs(target)))


@given(baseline=values, target=values)
def test_realisation_is_0_at_the_baseline_and_100_at_the_target_in_both_directions(
    baseline: float, target: float
) -> None:
    _apart(baseline, target)
    assert realisation(baseline, target, baseline).pct == 0.0
    at_target = realisation(baseline, target, target)
    assert at_target.pct == 100.0 and not at_target.capped


@given(baseline=values, target=values, a=values, b=values)
def test_realisation_grows_as_the_latest_moves_towards_the_target(
    baseline: float, target: float, a: float, b: float
) -> None:
    _apart(baseline, target)
    nearer, farther = (a, b) if (b - a) * (target - baseline) <= 0 else (b, a)
    # `nearer` lies at least as far in the target's direction as `farther`
    low, high = realisation(baseline, target, farther), realisation(baseline, target, nearer)
    assert low.pct is not None and high.pct is not None
    assert high.pct >= low.pct


@given(baseline=values, target=values, latest=values)
def test_realisation_never_goes_beyond_the_cap_without_saying_so(
    baseline: float, target: float, latest: float
) -> None:
    result = realisation(baseline, target, latest)
    assert result.pct is not None
    assert abs(result.pct) <= REALISATION_CAP_PCT
    if result.capped:
        assert abs(result.pct) == REALISATION_CAP_PCT
    if target != baseline:
        true_pct = (latest - baseline) / (target - baseline) * 100
        assert result.capped == (abs(true_pct) > REALISATION_CAP_PCT)
        if not result.capped:
            assert result.pct == true_pct


@given(level=values, latest=values)
def test_realisation_is_defined_when_the_target_equals_the_baseline(
    level: float, latest: float
) -> None:
    result = realisation(level, level, latest)
    assert result.pct == (100.0 if latest == level else 0.0)
    assert not result.capped


@given(
    baseline=st.one_of(st.none(), values),
    target=st.one_of(st.none(), values),
    latest=st.one_of(st.none(), values),
)
def test_realisation_cannot_be_computed_without_baseline_target_and_measurement(
    baseline: float | None, target: float | None, latest: float | None
) -> None:
    result = realisation(baseline, target, latest)
    assert (result.pct is None) == (None in (baseline, target, latest))


@given(baseline=values, target=values, start=days, length=st.integers(1, 5000), day=days)
def test_the_plan_expects_a_value_between_baseline_and_target(
    baseline: float, target: float, start: date, length: int, day: date
) -> None:
    full = start + timedelta(days=length)
    expected = expected_by(baseline, target, start, full, day)
    assert expected is not None
    slack = 1e-9 * max(1.0, abs(baseline), abs(target))
    assert min(baseline, target) - slack <= expected <= max(baseline, target) + slack
    if day <= start:
        assert expected == baseline
    if day >= full:
        assert expected == target
    # and it moves towards the target as the days pass
    later = expected_by(baseline, target, start, full, day + timedelta(days=1))
    assert later is not None
    assert (later - expected) * (target - baseline) >= -slack


@given(baseline=values, target=values, day=days)
def test_the_plan_has_no_expectation_without_its_dates(
    baseline: float, target: float, day: date
) -> None:
    assert expected_by(baseline, target, None, day, day) is None
    assert expected_by(baseline, target, day, None, day) is None
    assert expected_by(None, target, day, day, day) is None


@given(
    gains=money,
    share=shares,
    repay=st.booleans(),
    investment=money,
    returned=money,
)
def test_split_gains_shares_out_exactly_the_gains_and_never_owes_a_negative_amount(
    gains: int, share: int, repay: bool, investment: int, returned: int
) -> None:
    split = split_gains(
        gains,
        share_pct=share,
        repay_investment=repay,
        investment_dkk=investment,
        already_returned_dkk=returned,
    )
    assert split.to_pool + split.to_political_room == max(gains, 0)
    assert split.to_pool >= 0 and split.to_political_room >= 0
    assert 0 <= split.due_now <= split.to_pool
    assert split.due_now == max(split.to_pool - max(returned, 0), 0)
    repaid = min(max(gains, 0), max(investment, 0)) if repay else 0
    rest = max(gains, 0) - repaid
    # the pool's share of what is left after the investment lies within the share's bounds
    pct = max(0, min(share, 100))
    assert split.to_pool - repaid == rest * pct // 100
    assert rest * pct / 100 - 1 < split.to_pool - repaid <= rest * pct / 100
    if pct == 100:
        assert split.to_political_room == 0
    if pct == 0:
        assert split.to_pool == repaid


@given(gains=st.integers(0, 10**12), investment=st.integers(0, 10**12))
def test_the_investment_is_paid_back_first_when_the_rule_says_so(
    gains: int, investment: int
) -> None:
    split = split_gains(
        gains,
        share_pct=25,
        repay_investment=True,
        investment_dkk=investment,
        already_returned_dkk=0,
    )
    assert split.to_pool >= min(gains, investment)
    unpaid = split_gains(
        gains,
        share_pct=25,
        repay_investment=False,
        investment_dkk=investment,
        already_returned_dkk=0,
    )
    assert unpaid.to_pool == gains * 25 // 100
    assert split.to_pool >= unpaid.to_pool
