"""Danish numbers, amounts and dates as the municipality writes them: pure, no Flask, no request.

The charts, the exporters and the pack use these directly; i18n's template filters use them for
Danish and Babel for other languages.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal


def danish_number(value: float, decimals: int = 0) -> str:
    """1234567.5 -> '1.234.567,5': thousands dot, decimal comma; halves round up (1,25 -> 1,3),
    which Babel's half-even rounding would not (1,2)."""
    if isinstance(value, int) and not decimals:
        return f"{value:,}".replace(",", ".")
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def danish_money(value: float) -> str:
    """1250000 -> '1.250.000 kr.'"""
    return f"{danish_number(value)} kr."


def danish_money_short(value: float) -> str:
    """Amounts for a bar segment: '1,3 mio. kr.', '450 t.kr.'."""
    if abs(value) >= 1_000_000:
        return f"{danish_number(value / 1_000_000, 1)} mio. kr."
    if abs(value) >= 1_000:
        return f"{danish_number(value / 1_000)} t.kr."
    return danish_money(value)


def danish_day(value: date) -> str:
    """22-10-2020 (a datetime gives its date). Thousands of table cells: no strftime."""
    return f"{value.day:02d}-{value.month:02d}-{value.year:04d}"


def danish_timestamp(value: datetime) -> str:
    """22-10-2020 14:05, in whatever time zone `value` is in."""
    return f"{danish_day(value)} {value.hour:02d}:{value.minute:02d}"


def long_date(day: date) -> str:
    """8. december 2026, as the minutes write a meeting's date."""
    from babel.dates import format_date  # babel.dates costs 0.1 s to import; few callers

    return format_date(day, "d. MMMM y", locale="da")


def money(value: int, locale: str = "da") -> str:
    """An amount in kroner: '1.250.000 kr.' in Danish, 'DKK 1,250,000' in English."""
    if locale.startswith("en"):
        from babel.numbers import format_decimal

        return f"DKK {format_decimal(value, locale='en')}"
    return danish_money(value)


class ImpossibleDate(ValueError):
    """Text shaped like a date for a day the calendar does not have, e.g. 31-02-2026."""


_DANISH_DATE = re.compile(r"([0-9]{1,2})[-./]([0-9]{1,2})[-./]([0-9]{4})")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_DIGITS_DATE = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{4})")


def parse_danish_date(text: str) -> date:
    """A date as a Dane types it: 08-12-2026, 8-12-2026, 8/12-2026, 8.12.2026, 08122026
    (ddmmåååå) or ISO 2026-12-08. ValueError if the text is no such shape, ImpossibleDate
    (a ValueError) if it is but the day does not exist. Years have four digits: 08-12-26
    could be 1926 or 2026."""
    clean = text.strip()
    if m := _ISO_DATE.fullmatch(clean):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _DANISH_DATE.fullmatch(clean) or _DIGITS_DATE.fullmatch(clean):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    else:
        raise ValueError(f"not a date: {text!r}")
    try:
        return date(year, month, day)
    except ValueError:
        raise ImpossibleDate(f"no such day: {text!r}") from None
