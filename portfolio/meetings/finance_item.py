"""Funding pools and benefits in a Chefforum pack, as plain data: the ledger and the benefits
frozen as rows, the section "Finansiering og gevinster", the written orientation item about a
pool (its suggested texts), what changed between two meetings, and the snapshot's JSON.

Pure like rollout_item.py: portfolio.meetings.services fills a FinanceState from the live
ledger (portfolio.finance.services) or from a published meeting's snapshot; the exporters only
read it. The texts are Danish: the pack is the municipality's document of record.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum
from typing import Any, get_args, get_type_hints

from flask_babel import gettext as _
from flask_babel import ngettext

from portfolio.domain import Assessment, BenefitType, MovementKind, label
from portfolio.finance.rules import LedgerFigures
from portfolio.formats import danish_day, danish_money, danish_number
from portfolio.meetings.rollout_item import join_words

# The body whose pool the written orientation is about (the 2018 minutes, Punkt 4).
ORIENTATION_BODY = "Digitaliseringsrådet"


# --- the frozen rows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FinancePool:
    """A pool and its figures, derived from its ledger, on the day they were taken."""

    pool_id: int
    name: str
    owner_body: str
    established_on: date
    return_share_pct: int = 25
    repay_investment: bool = True
    deposited: int = 0
    granted: int = 0
    released: int = 0
    returned: int = 0
    corrected: int = 0  # signed
    rule_return: int = 0  # what the return rule would have sent back by now, in all

    @property
    def figures(self) -> LedgerFigures:
        return LedgerFigures(
            deposited=self.deposited,
            granted=self.granted,
            released=self.released,
            returned=self.returned,
            corrected=self.corrected,
        )

    @property
    def balance(self) -> int:
        return self.figures.balance

    @property
    def net_granted(self) -> int:
        return self.granted - self.released


@dataclass(frozen=True)
class FinanceMovement:
    """One ledger line; `decision` in words ("Chefforum 13. juni 2018" or a case number)."""

    movement_id: int
    pool: str
    kind: MovementKind
    amount_dkk: int
    occurred_on: date
    project: str | None = None
    source: str | None = None
    decision: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class FinanceBenefit:
    """A benefit and where it stood: its latest measurement (or assessment) and realisation."""

    benefit_id: int
    project: str
    title: str
    type: BenefitType
    owner: str | None = None
    department: str | None = None
    unit: str | None = None
    baseline: float | None = None
    target: float | None = None  # the likely target
    latest: float | None = None
    latest_on: date | None = None
    assessment: Assessment | None = None
    evidence: str | None = None  # the latest assessment's comment
    realised_pct: float | None = None
    capped: bool = False
    behind_plan: bool = False
    gain_dkk: int = 0  # realised economic gain per year (economic, or valued time)

    @property
    def latest_text(self) -> str:
        """ "3.800 timer/år", "Delvist realiseret", or "–" before any measurement."""
        if self.type == BenefitType.qualitative:
            return label(self.assessment) if self.assessment else "–"
        return value_text(self.latest, self.unit)

    @property
    def realisation_text(self) -> str:
        return pct_text(self.realised_pct, self.capped)


@dataclass(frozen=True)
class FinanceMeasurement:
    measurement_id: int
    benefit_id: int
    project: str
    benefit: str
    type: BenefitType
    measured_on: date
    value: float | None = None
    unit: str | None = None
    assessment: Assessment | None = None
    comment: str | None = None
    realised_pct: float | None = None
    capped: bool = False

    @property
    def value_text(self) -> str:
        if self.type == BenefitType.qualitative:
            return label(self.assessment) if self.assessment else "–"
        return value_text(self.value, self.unit)


def number_text(value: float) -> str:
    """3800.0 -> "3.800", 2.5 -> "2,5"."""
    return danish_number(value, 0 if float(value).is_integer() else 1)


def value_text(value: float | None, unit: str | None) -> str:
    if value is None:
        return "–"
    return f"{number_text(value)} {unit}".strip() if unit else number_text(value)


def pct_text(pct: float | None, capped: bool = False) -> str:
    if pct is None:
        return "–"
    text = f"{danish_number(pct)} %"
    return _("over %(pct)s", pct=text) if capped else text


# --- (de)serialising the rows -------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return value


def _decode(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    for kind in get_args(hint) or (hint,):
        if kind is date:
            return date.fromisoformat(value)
        if isinstance(kind, type) and issubclass(kind, StrEnum):
            return kind(value)
    return value


def _row_data(row: Any) -> dict[str, Any]:
    return {f.name: _encode(getattr(row, f.name)) for f in fields(row)}


def _row_from(cls: Any, data: Mapping[str, Any]) -> Any:
    hints = get_type_hints(cls)
    # A key no longer known is dropped; a field added since takes its default.
    return cls(**{k: _decode(hints[k], v) for k, v in data.items() if k in hints})


@dataclass(frozen=True)
class FinanceState:
    """Every pool, ledger line, benefit and measurement on one day."""

    taken_on: date
    pools: tuple[FinancePool, ...] = ()
    movements: tuple[FinanceMovement, ...] = ()
    benefits: tuple[FinanceBenefit, ...] = ()
    measurements: tuple[FinanceMeasurement, ...] = ()

    def pool_movements(self, pool: FinancePool) -> list[FinanceMovement]:
        return [m for m in self.movements if m.pool == pool.name]

    @property
    def benefits_in_order(self) -> list[FinanceBenefit]:
        """Behind plan first, then by project and title."""
        return sorted(
            self.benefits,
            key=lambda b: (not b.behind_plan, b.project.casefold(), b.title.casefold()),
        )

    def to_data(self) -> dict[str, Any]:
        return {
            "taken_on": self.taken_on.isoformat(),
            "pools": [_row_data(r) for r in self.pools],
            "movements": [_row_data(r) for r in self.movements],
            "benefits": [_row_data(r) for r in self.benefits],
            "measurements": [_row_data(r) for r in self.measurements],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> FinanceState:
        return cls(
            taken_on=date.fromisoformat(data["taken_on"]),
            pools=tuple(_row_from(FinancePool, r) for r in data.get("pools", ())),
            movements=tuple(_row_from(FinanceMovement, r) for r in data.get("movements", ())),
            benefits=tuple(_row_from(FinanceBenefit, r) for r in data.get("benefits", ())),
            measurements=tuple(
                _row_from(FinanceMeasurement, r) for r in data.get("measurements", ())
            ),
        )


# --- changes since the last meeting -------------------------------------------------------------


@dataclass(frozen=True)
class FinanceChanges:
    """Ledger lines and measurements that were not in the previous meeting's snapshot."""

    movements: tuple[FinanceMovement, ...] = ()
    measurements: tuple[FinanceMeasurement, ...] = ()

    def of_kind(self, kind: MovementKind) -> list[FinanceMovement]:
        return [m for m in self.movements if m.kind == kind]

    def by_kind(self) -> list[tuple[MovementKind, list[FinanceMovement]]]:
        """Grants first, then returns, releases, deposits and corrections; empty kinds left out."""
        order = (
            MovementKind.grant,
            MovementKind.return_,
            MovementKind.release,
            MovementKind.deposit,
            MovementKind.correction,
        )
        return [(k, self.of_kind(k)) for k in order if self.of_kind(k)]

    def __bool__(self) -> bool:
        return bool(self.movements or self.measurements)


def compute_finance_changes(previous: FinanceState, current: FinanceState) -> FinanceChanges:
    """New ledger lines (by date) and new measurements (by date, project, benefit). The ledger
    and the measurements are append-only, so what is new is what the previous one lacked."""
    old_movements = {m.movement_id for m in previous.movements}
    old_measurements = {m.measurement_id for m in previous.measurements}
    return FinanceChanges(
        movements=tuple(
            sorted(
                (m for m in current.movements if m.movement_id not in old_movements),
                key=lambda m: (m.occurred_on, m.movement_id),
            )
        ),
        measurements=tuple(
            sorted(
                (m for m in current.measurements if m.measurement_id not in old_measurements),
                key=lambda m: (m.measured_on, m.project.casefold(), m.benefit.casefold()),
            )
        ),
    )


def movement_title(kind: MovementKind) -> str:
    return {
        MovementKind.grant: _("Nye bevillinger"),
        MovementKind.return_: _("Tilbageløb til puljen"),
        MovementKind.release: _("Frigivne bevillinger"),
        MovementKind.deposit: _("Nye indskud"),
        MovementKind.correction: _("Rettelser"),
    }[kind]


def describe_movement(movement: FinanceMovement) -> str:
    """The line in words: "350.000 kr. til Fælles om Målet (01-11-2017; beslutning: …)"."""
    amount = danish_money(movement.amount_dkk)
    if movement.kind == MovementKind.deposit:
        text = _("%(amount)s fra %(source)s", amount=amount, source=movement.source or "–")
    elif movement.kind == MovementKind.correction:
        text = ("+" if movement.amount_dkk > 0 else "") + amount
        text += f": {movement.note}" if movement.note else ""
    elif movement.kind == MovementKind.grant:
        text = _("%(amount)s til %(project)s", amount=amount, project=movement.project or "–")
    else:
        text = _("%(amount)s fra %(project)s", amount=amount, project=movement.project or "–")
    details = [danish_day(movement.occurred_on)]
    if movement.decision:
        details.append(_("beslutning: %(decision)s", decision=movement.decision))
    text += f" ({'; '.join(details)})"
    if movement.note and movement.kind != MovementKind.correction:
        text += f" – {movement.note}"
    return text


def describe_measurement(measurement: FinanceMeasurement) -> str:
    """ "3.600 timer/år pr. 01-11-2026 (realiseret 40 %)", or an assessment with its evidence."""
    text = _(
        "%(value)s pr. %(day)s",
        value=measurement.value_text,
        day=danish_day(measurement.measured_on),
    )
    if measurement.realised_pct is not None:
        text += " " + _(
            "(realiseret %(pct)s)", pct=pct_text(measurement.realised_pct, measurement.capped)
        )
    if measurement.comment:
        text += f" – {measurement.comment}"
    return text


# --- the section "Finansiering og gevinster" ----------------------------------------------------


@dataclass(frozen=True)
class FinanceSection:
    """The pools' status, the benefits, and the changes since the last meeting (None: no
    earlier meeting froze the finances, so there is nothing to compare with)."""

    state: FinanceState
    changes: FinanceChanges | None = None
    previous_meeting_date: date | None = None


# --- the written orientation item ---------------------------------------------------------------


@dataclass(frozen=True)
class PoolOrientation:
    """ "Skriftlig orientering: <pool>" as an agenda item til orientering: its parts in the
    municipality's order, and the pool and benefits behind them (its Bilag)."""

    state: FinanceState
    pool: FinancePool
    anledning: str
    sagsfremstilling: str
    indstilling: str
    beslutning: str = ""
    bilag: tuple[str, ...] = field(default_factory=tuple)

    @property
    def title(self) -> str:
        return orientation_title(self.pool)

    @property
    def movements(self) -> list[FinanceMovement]:
        return self.state.pool_movements(self.pool)

    @property
    def benefits(self) -> list[FinanceBenefit]:
        return funded_benefits(self.state, self.pool)


TEXT_PARTS = ("anledning", "sagsfremstilling", "indstilling", "bilag")


def orientation_title(pool: FinancePool) -> str:
    return _("Skriftlig orientering: %(pool)s", pool=pool.name)


def orientation_pool(state: FinanceState) -> FinancePool | None:
    """The pool the orientation is about: Digitaliseringsrådet's, else the oldest."""
    for pool in state.pools:
        if pool.owner_body.casefold() == ORIENTATION_BODY.casefold():
            return pool
    return state.pools[0] if state.pools else None


def funded_projects(state: FinanceState, pool: FinancePool) -> list[tuple[str, int]]:
    """The projects the pool has granted money to, with their net grant, in grant order."""
    net: dict[str, int] = {}
    for m in state.pool_movements(pool):
        if m.project and m.kind == MovementKind.grant:
            net[m.project] = net.get(m.project, 0) + m.amount_dkk
        elif m.project and m.kind == MovementKind.release:
            net[m.project] = net.get(m.project, 0) - m.amount_dkk
    return [(name, amount) for name, amount in net.items() if amount > 0]


def funded_benefits(state: FinanceState, pool: FinancePool) -> list[FinanceBenefit]:
    projects = {name for name, _amount in funded_projects(state, pool)}
    return [b for b in state.benefits_in_order if b.project in projects]


def _since_text(changes: FinanceChanges, pool: FinancePool, day: date) -> str:
    mine = [m for m in changes.movements if m.pool == pool.name]

    def total(kind: MovementKind) -> tuple[int, int]:
        found = [m.amount_dkk for m in mine if m.kind == kind]
        return len(found), sum(found)

    grants, granted = total(MovementKind.grant)
    returns, returned = total(MovementKind.return_)
    return _(
        "Siden mødet %(day)s: nye bevillinger %(grants)d (%(granted)s), tilbageløb %(returns)d "
        "(%(returned)s), nye målinger og vurderinger af gevinster %(measurements)d.",
        day=danish_day(day),
        grants=grants,
        granted=danish_money(granted),
        returns=returns,
        returned=danish_money(returned),
        measurements=len(changes.measurements),
    )


def suggested_pool_texts(
    state: FinanceState,
    pool: FinancePool,
    changes: FinanceChanges | None,
    previous_meeting_date: date | None,
) -> dict[str, str]:
    """Anledning, Sagsfremstilling, Indstilling and Bilag (one per line) written from the
    ledger, in the words of the minutes' Punkt 4 (13 June 2018)."""
    day = danish_day(state.taken_on)
    anledning = _(
        "Orientering om status for %(pool)s: puljens midler, bevillinger og tilbageløb samt "
        "gevinsterne i de projekter, puljen har finansieret.",
        pool=pool.name,
    )
    lines = [
        _(
            "%(body)s fremsender hermed status for %(pool)s pr. %(day)s, til orientering for "
            "Chefforum.",
            body=pool.owner_body,
            pool=pool.name,
            day=day,
        )
    ]
    deposits = [m for m in state.pool_movements(pool) if m.kind == MovementKind.deposit]
    money: list[str] = []
    if deposits:
        first = deposits[0]
        money.append(
            _(
                "Ved etableringen af puljen i %(year)d blev der overført %(amount)s fra "
                "%(source)s.",
                year=pool.established_on.year,
                amount=danish_money(first.amount_dkk),
                source=first.source or "–",
            )
        )
        if len(deposits) > 1:
            money.append(
                _(
                    "Puljen har siden fået yderligere %(amount)s i indskud, i alt %(total)s.",
                    amount=danish_money(sum(m.amount_dkk for m in deposits[1:])),
                    total=danish_money(pool.deposited),
                )
            )
    grants = funded_projects(state, pool)
    if grants:
        money.append(
            _(
                "Af disse midler er der bevilget %(grants)s, i alt %(total)s.",
                grants=join_words(
                    [
                        _("%(amount)s til %(project)s", amount=danish_money(a), project=p)
                        for p, a in grants
                    ]
                ),
                total=danish_money(pool.net_granted),
            )
        )
    else:
        money.append(_("Puljen har endnu ikke bevilget midler."))
    if pool.released:
        money.append(
            _(
                "Uforbrugte bevillinger på %(amount)s er frigivet.",
                amount=danish_money(pool.released),
            )
        )
    lines.append(" ".join(money))

    political = 100 - pool.return_share_pct
    if pool.repay_investment:
        rule = _(
            "Efter puljens regel føres investeringen såvel som %(share)d %% af de økonomiske "
            "gevinster tilbage til puljen og %(political)d %% til det politiske råderum.",
            share=pool.return_share_pct,
            political=political,
        )
    else:
        rule = _(
            "Efter puljens regel føres %(share)d %% af de økonomiske gevinster tilbage til "
            "puljen og %(political)d %% til det politiske råderum.",
            share=pool.return_share_pct,
            political=political,
        )
    rule += " " + _(
        "Efter reglen skulle der i alt være ført %(due)s tilbage; der er ført %(returned)s "
        "tilbage.",
        due=danish_money(pool.rule_return),
        returned=danish_money(pool.returned),
    )
    lines.append(rule)

    if pool.balance <= 0:
        lines.append(
            _(
                "Puljens saldo er %(amount)s pr. %(day)s: puljen er opbrugt.",
                amount=danish_money(pool.balance),
                day=day,
            )
        )
    else:
        lines.append(
            _(
                "Puljens saldo er %(amount)s pr. %(day)s.",
                amount=danish_money(pool.balance),
                day=day,
            )
        )

    benefits = funded_benefits(state, pool)
    if benefits:
        counts = {t: sum(1 for b in benefits if b.type == t) for t in BenefitType}
        gains = sum(b.gain_dkk for b in benefits)
        text = [
            ngettext(
                "De finansierede projekter følger %(num)d gevinst: økonomiske %(economic)d, "
                "frigjort tid %(time)d, kvalitative %(qualitative)d.",
                "De finansierede projekter følger %(num)d gevinster: økonomiske %(economic)d, "
                "frigjort tid %(time)d, kvalitative %(qualitative)d.",
                len(benefits),
                economic=counts[BenefitType.economic],
                time=counts[BenefitType.time],
                qualitative=counts[BenefitType.qualitative],
            ),
            _("Realiserede økonomiske gevinster: %(amount)s pr. år.", amount=danish_money(gains)),
        ]
        qualitative = [b for b in benefits if b.type == BenefitType.qualitative]
        if qualitative:
            text.append(
                _("Kvalitative gevinster:")
                + "\n"
                + "\n".join(f"- {b.title} ({b.project}): {b.latest_text}" for b in qualitative)
            )
        behind = [b for b in benefits if b.behind_plan]
        if behind:
            text.append(
                _("Bag planen:") + "\n" + "\n".join(f"- {b.title} ({b.project})" for b in behind)
            )
        lines.append("\n".join(text))
    if changes is not None and previous_meeting_date is not None:
        lines.append(_since_text(changes, pool, previous_meeting_date))

    indstilling = (
        _("Chefen for Økonomi & Stab indstiller,")
        + "\n"
        + "1. "
        + _("at Chefforum tager orienteringen til efterretning")
    )
    bilag = [
        _("Status for %(pool)s pr. %(day)s: bevægelser og gevinster", pool=pool.name, day=day),
        _("Diagram: puljens midler fra indskud til saldo"),
    ]
    return {
        "anledning": anledning,
        "sagsfremstilling": "\n\n".join(lines),
        "indstilling": indstilling,
        "bilag": "\n".join(bilag),
    }


def pool_orientation(
    state: FinanceState, texts: Mapping[str, str], beslutning: str = ""
) -> PoolOrientation | None:
    pool = orientation_pool(state)
    if pool is None:
        return None
    return PoolOrientation(
        state=state,
        pool=pool,
        anledning=texts["anledning"],
        sagsfremstilling=texts["sagsfremstilling"],
        indstilling=texts["indstilling"],
        beslutning=beslutning,
        bilag=tuple(line.strip() for line in texts["bilag"].splitlines() if line.strip()),
    )


# --- the pool's figures, for the chart and the tables -------------------------------------------


def pool_figures(pool: FinancePool) -> list[tuple[str, int]]:
    """The pool's figures as a table's rows (whole kroner)."""
    return [
        (_("Indskud"), pool.deposited),
        (_("Bevilget"), pool.granted),
        (_("Frigivet"), pool.released),
        (_("Tilbageløb"), pool.returned),
        (_("Rettelser"), pool.corrected),
        (_("Saldo"), pool.balance),
        (_("Efter reglen til puljen"), pool.rule_return),
    ]


# --- the snapshot's JSON ------------------------------------------------------------------------


def snapshot_json(state: FinanceState, texts: Mapping[str, str]) -> str:
    """What a published meeting keeps of the finances: the state and the orientation's text."""
    data = {"state": state.to_data(), "texts": {k: texts.get(k, "") for k in TEXT_PARTS}}
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def snapshot_from_json(text: str) -> tuple[FinanceState, dict[str, str]]:
    data = json.loads(text)
    texts = {k: str(data.get("texts", {}).get(k, "")) for k in TEXT_PARTS}
    return FinanceState.from_data(data["state"]), texts
