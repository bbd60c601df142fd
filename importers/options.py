"""What the user chose for one sheet's import: manual column mapping, value mappings, currency
rates and columns whose unreadable text is left blank. Saved per sheet layout as a profile."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class ReadOptions:
    # header text, a prefix unique among the sheet's headers, or a column letter ("L")
    # -> canonical field, or "ignore"
    mapping: Mapping[str, str] = field(default_factory=dict)
    # field -> {the sheet's own value: canonical value, or "" to leave it blank}
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # currency code -> kroner per unit, e.g. {"GBP": Decimal("8.65")}
    rates: Mapping[str, Decimal] = field(default_factory=dict)
    # fields whose text that is no amount or date ("NA", "Exempt …") is left blank, as a warning
    blank_unparsable: frozenset[str] = frozenset()
