"""The money rules, pure: a pool's figures from its ledger, a benefit's realisation, and what a
pool's return rule sends back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from portfolio.domain import MovementKind

# Above this, a realisation is shown as the cap and said to be more ("over 200 %").
REALISATION_CAP_PCT = 200.0


@dataclass(frozen=True)
class LedgerFigures:
    deposited: int = 0
    granted: int = 0
    released: int = 0
    returned: int = 0
    corrected: int = 0  # signed

    @property
    def balance(self) -> int:
        """Deposits − grants + releases + returns ± corrections."""
        return self.deposited - self.granted + self.released + self.returned + self.corrected

    @property
    def net_granted(self) -> int:
        return self.granted - self.released


def ledger_figures(movements: Iterable[tuple[MovementKind, int]]) -> LedgerFigures:
    totals = dict.fromkeys(MovementKind, 0)
    for kind, amount in movements:
        totals[MovementKind(kind)] += amount
    return LedgerFigures(
        deposited=totals[MovementKind.deposit],
        granted=totals[MovementKind.grant],
        released=totals[MovementKind.release],
        returned=totals[MovementKind.return_],
        corrected=totals[MovementKind.correction],
    )


@dataclass(frozen=True)
class Realisation:
    pct: float | None  # None: not measurable yet (no baseline, target or measurement)
    capped: bool = False  # the true figure is beyond ±REALISATION_CAP_PCT


def realisation(baseline: float | None, target: float | None, latest: float | None) -> Realisation:
    """How far the latest measurement has come from the baseline towards the target, in %.
    Direction-aware: a benefit aiming down (fewer errors) has target < baseline, and moving
    down is progress. A target equal to the baseline (keep a level) is 100 % when the latest
    equals it and 0 % otherwise. Beyond ±REALISATION_CAP_PCT the cap is shown, flagged."""
    if baseline is None or target is None or latest is None:
        return Realisation(None)
    if target == baseline:
        return Realisation(100.0 if latest == target else 0.0)
    pct = (latest - baseline) / (target - baseline) * 100
    if abs(pct) > REALISATION_CAP_PCT:
        return Realisation(REALISATION_CAP_PCT if pct > 0 else -REALISATION_CAP_PCT, True)
    return Realisation(pct)


def expected_by(
    baseline: float | None,
    target: float | None,
    baseline_date: date | None,
    full_effect_on: date | None,
    day: date,
) -> float | None:
    """The value the plan expects on `day`: straight from the baseline at its date to the
    target at full effect; None when the plan has no dates or values."""
    if None in (baseline, target, baseline_date, full_effect_on):
        return None
    assert baseline is not None and target is not None  # noqa: S101
    assert baseline_date is not None and full_effect_on is not None  # noqa: S101
    if day >= full_effect_on or full_effect_on <= baseline_date:
        return target
    if day <= baseline_date:
        return baseline
    share = (day - baseline_date).days / (full_effect_on - baseline_date).days
    return baseline + (target - baseline) * share


@dataclass(frozen=True)
class ReturnSplit:
    """What a pool's rule makes of realised economic gains: to the pool in all, to the
    political room for manoeuvre, and what is still due to the pool after earlier returns."""

    to_pool: int
    to_political_room: int
    due_now: int


def split_gains(
    gains_dkk: int,
    *,
    share_pct: int,
    repay_investment: bool,
    investment_dkk: int,
    already_returned_dkk: int,
) -> ReturnSplit:
    """The old rule of the minutes: the investment back to the pool first (when the rule says
    so), then `share_pct` % of the rest of the gains to the pool and the remainder to the
    political room. Whole kroner; the pool's share is rounded down."""
    gains = max(gains_dkk, 0)
    repaid = min(gains, max(investment_dkk, 0)) if repay_investment else 0
    rest = gains - repaid
    share = rest * max(0, min(share_pct, 100)) // 100
    to_pool = repaid + share
    return ReturnSplit(
        to_pool=to_pool,
        to_political_room=rest - share,
        due_now=max(to_pool - max(already_returned_dkk, 0), 0),
    )
