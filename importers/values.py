"""Turning raw cell values into typed field values: text, enum words, dates and kroner."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from openpyxl.utils.datetime import WINDOWS_EPOCH, from_excel
from openpyxl.utils.escape import unescape

from importers.columns import HEADERS, VALUE_LABELS, VALUE_SYNONYMS
from importers.fields import MAX_BUDGET, FieldError, check_budget, check_text

# "Nothing here" in a person, department, choice, date, amount, case-number or link cell
# (pandas writes "nan", people write dashes). Names and free text keep them as written.
NULL_WORDS = frozenset({"nan", "none", "null", "-", "--", "—", "–", "n/a"})
# A row named like this is the sheet's sum line, not a project.
TOTAL_WORDS = frozenset({"ialt", "total", "totalt", "sum", "summa", "samlet", "grandtotal"})

LONG_TEXT_FIELDS = ("status_comment", "description")
ENUM_FIELDS = ("scope", "kind", "phase", "status")
DATE_FIELDS = ("start_date", "end_date", "baseline_end_date")
MONEY_FIELDS = ("budget_dkk",)

# Plain numbers in a date column are read as Excel serials only in a plausible span (1950-2100),
# so a year such as 2024 typed into a date cell is reported instead of becoming 1905-07-16.
SERIAL_SPAN = (18_264, 73_051)
ELLIPSIS_AT = 100

_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ß": "ss"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_EMOJI = {"🟢": " green ", "🟡": " yellow ", "🟠": " amber ", "🔴": " red "}


class CellProblem(ValueError):
    """A cell's value cannot be used; the message says why, in Danish."""


def fold(text: str) -> str:
    """Lower case, æ/ø/å spelled out and accents dropped, so spellings compare equal."""
    folded = text.casefold().translate(_FOLD)
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return folded


def words(text: str) -> list[str]:
    """The folded letter-and-digit runs of a text."""
    return [w for w in _NOT_ALNUM.split(fold(text)) if w]


def squash(text: str) -> str:
    """The comparison key: folded, with everything but letters and digits removed."""
    return "".join(words(text))


def shorten(value: object) -> str | None:
    """The raw cell text as shown in a problem, cut to a readable length."""
    if value is None:
        return None
    text = format_text(value)
    return text if len(text) <= ELLIPSIS_AT else text[:ELLIPSIS_AT] + "…"


def format_text(value: object) -> str:
    """A non-text cell value as the user would see it in the sheet."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if value.time() == time(0):
            return f"{value:%d-%m-%Y}"
        return f"{value:%d-%m-%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d-%m-%Y}"
    if isinstance(value, time):
        return f"{value:%H:%M}"
    return str(value)


def _sharepoint_parts(text: str) -> list[str]:
    """SharePoint writes lookups as "Navn;#12" or "12;#Navn" and choices as ";#A;#B;#"."""
    parts = [p.strip() for p in text.split(";#")]
    parts = [p for p in parts if p]
    ids = [p.isdigit() for p in parts]
    even, odd = ids[0::2], ids[1::2]
    # Lookup ids alternate with the values; drop them only in exactly that pattern.
    if len(parts) >= 2 and ((all(even) and not any(odd)) or (all(odd) and not any(even))):
        parts = [p for p, is_id in zip(parts, ids, strict=True) if not is_id]
    return parts


def _text(raw: object) -> str:
    text = raw if isinstance(raw, str) else format_text(raw)
    # Excel escapes control characters in its XML as _xHHHH_ (a line break as _x000D_).
    return unescape(text) if "_x" in text else text


def plain_text(raw: object) -> str | None:
    """A name as written: only the ends are trimmed, and line breaks become spaces.

    Inner spacing and words like "-" are kept, so an exported name always reads back the same.
    """
    text = _text(raw).strip()
    if "\n" in text or "\r" in text:
        text = " ".join(text.split())
    return text or None


def optional_text(raw: object) -> str | None:
    """Like plain_text, but "-", "nan" and the like mean the cell is empty."""
    text = plain_text(raw)
    return None if text is None or text.casefold() in NULL_WORDS else text


def single_text(raw: object) -> str | None:
    """A person, department or choice: SharePoint lookups resolved, spacing tidied, "-" empty."""
    text = _text(raw)
    if ";#" in text:
        parts = _sharepoint_parts(text)
        text = parts[0] if parts else ""
    text = " ".join(text.split())
    if not text or text.casefold() in NULL_WORDS:
        return None
    return text


def long_text(raw: object) -> str | None:
    """Free text as written, line breaks kept; a SharePoint multi-choice (";#A;#B;#") joined.

    Only the ends are trimmed: a comment of "-" is the writer's own text, and a comment must
    read back exactly as it was exported.
    """
    text = _text(raw)
    if text.startswith(";#") and text.endswith(";#") and len(text) > 4:
        text = ", ".join(_sharepoint_parts(text))
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip() or None


def _checked(field: str, text: str | None) -> str | None:
    """The text, if the shared field rules (length, control characters) let it be stored."""
    if text is None:
        return None
    try:
        return check_text(field, text, label=HEADERS[field])
    except FieldError as error:
        raise CellProblem(str(error)) from None


# --- enum words -------------------------------------------------------------------------------

_SKIP_WORDS = frozenset({"fase", "phase", "status", "projekt"})


def _enum_words(text: str) -> list[str]:
    if not text.isascii():
        for emoji, word in _EMOJI.items():
            if emoji in text:
                text = text.replace(emoji, word)
    return words(text)


def _build_enum_index(field: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for value, label in VALUE_LABELS[field].items():
        for spelling in (value, label, *VALUE_SYNONYMS.get(field, {}).get(value, ())):
            key = "".join(_enum_words(spelling))
            if index.setdefault(key, value) != value:
                raise RuntimeError(f"{field}: {spelling!r} names two values")  # a table bug
    return index


ENUM_INDEX: dict[str, dict[str, str]] = {f: _build_enum_index(f) for f in ENUM_FIELDS}


def _or_list(labels: list[str]) -> str:
    return ", ".join(labels[:-1]) + " eller " + labels[-1]


def match_enum(field: str, text: str) -> str | None:
    """The canonical value a word means, or None if it means none of them."""
    index = ENUM_INDEX[field]
    found = _enum_words(text)
    key = "".join(found)
    if key in index:
        return index[key]
    # "Fase 3: Gennemførelse", "1. Idé": drop numbering and the column's own name.
    core = [w for w in found if not w.isdigit() and w not in _SKIP_WORDS]
    key = "".join(core)
    if key in index:
        return index[key]
    # "🟢 Grøn": every word means the same value.
    meanings = {index.get(w) for w in core}
    if len(meanings) == 1 and None not in meanings:
        return meanings.pop()
    return None


def enum_value(field: str, raw: object, header: str) -> str | None:
    text = single_text(raw)
    if text is None:
        return None
    value = match_enum(field, text)
    if value is None:
        allowed = _or_list(list(VALUE_LABELS[field].values()))
        raise CellProblem(f"“{text}” er ikke en gyldig værdi i kolonnen {header} – brug {allowed}.")
    return value


# --- dates ------------------------------------------------------------------------------------

_TIME = r"(?:[ t]+(?:kl\.? ?)?\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?)?"
_DMY = re.compile(rf"(\d{{1,2}}) ?[-./] ?(\d{{1,2}}) ?[-./] ?(\d{{4}}|\d{{2}}){_TIME}")
_YMD = re.compile(rf"(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}")
_D_MONTH_Y = re.compile(r"(\d{1,2})\.? ?([a-z]+)\.?,? ?(\d{4})")
_MONTH_D_Y = re.compile(r"([a-z]+)\.? (\d{1,2}),? (\d{4})")
MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "januar jan january",
        "februar feb february",
        "marts mar march",
        "april apr",
        "maj may",
        "juni jun june",
        "juli jul july",
        "august aug",
        "september sep sept",
        "oktober okt october oct",
        "november nov",
        "december dec",
    ),
    start=1,
):
    MONTHS.update(dict.fromkeys(_names.split(), _number))

DATE_HINT = "skriv den som dd-mm-åååå, fx 22-10-2020"


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year


def parse_date_text(text: str) -> date | None:
    """Danish, ISO and written-out dates; None if the text is not a date."""
    clean = " ".join(fold(text).split())
    if m := _DMY.fullmatch(clean):
        day, month, year = int(m[1]), int(m[2]), _year(m[3])
    elif m := _YMD.fullmatch(clean):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif (m := _D_MONTH_Y.fullmatch(clean)) and m[2] in MONTHS:
        day, month, year = int(m[1]), MONTHS[m[2]], int(m[3])
    elif (m := _MONTH_D_Y.fullmatch(clean)) and m[1] in MONTHS:
        day, month, year = int(m[2]), MONTHS[m[1]], int(m[3])
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def date_value(raw: object, epoch: datetime = WINDOWS_EPOCH) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, bool) or isinstance(raw, time | timedelta):
        raise CellProblem(f"“{format_text(raw)}” er ikke en dato – {DATE_HINT}.")
    if isinstance(raw, int | float):
        if math.isfinite(raw) and SERIAL_SPAN[0] <= raw < SERIAL_SPAN[1]:
            # A date typed into a cell without date format arrives as Excel's day number.
            converted = from_excel(raw, epoch)
            if isinstance(converted, datetime):
                return converted.date()
        raise CellProblem(f"Tallet {format_text(raw)} er ikke en dato – {DATE_HINT}.")
    text = single_text(raw)
    if text is None:
        return None
    parsed = parse_date_text(text)
    if parsed is None:
        raise CellProblem(f"“{text}” er ikke en gyldig dato – {DATE_HINT}.")
    return parsed


# --- money ------------------------------------------------------------------------------------

# Units, after currency words and dots are removed: "250 t.kr." -> "t", "1,5 mio. kr." -> "mio".
UNITS: dict[str, int] = {
    "": 1,
    "t": 1_000,
    "k": 1_000,
    "tusind": 1_000,
    "tusinde": 1_000,
    "1000": 1_000,
    "m": 1_000_000,
    "mio": 1_000_000,
    "mill": 1_000_000,
    "million": 1_000_000,
    "millioner": 1_000_000,
    "1000000": 1_000_000,
    "mia": 1_000_000_000,
    "mrd": 1_000_000_000,
    "milliard": 1_000_000_000,
    "milliarder": 1_000_000_000,
}
_CURRENCY = re.compile(r"kroner|kr|dkk|dkr")
_AMOUNT = re.compile(r"(?P<pre>[^\d]*?)(?P<minus>-)? ?(?P<num>\d(?:[\d., ]*\d)?)(?P<post>\D*)")
_DANISH_GROUPS = re.compile(r"\d{1,3}(?:\.\d{3})+")
_ENGLISH_GROUPS = re.compile(r"\d{1,3}(?:,\d{3}){2,}")
_ENGLISH_ANY_GROUPS = re.compile(r"\d{1,3}(?:,\d{3})+")
_ONE_COMMA_GROUP = re.compile(r"\d{1,3},\d{3}")
_SPACE_GROUPS = re.compile(r"\d{1,3}(?: \d{3})+")
_APPROX = re.compile(r"^(?:ca\.?|cirka|~|≈)\s*")
_WHOLE_KRONER = re.compile(r",\s*[-–]\s*$")

MONEY_HINT = "skriv et beløb i hele kroner, fx 1.250.000"


def unit_of(text: str) -> int | None:
    """The multiplier a unit text means ("t.kr." -> 1000), or None if it is no unit."""
    return UNITS.get(_CURRENCY.sub("", text.replace(".", "").replace(" ", "")))


def _number_text(num: str, unit: int) -> Decimal | None:
    """Danish first ("." groups thousands, "," marks decimals); English only if unambiguous."""
    if " " in num:
        whole, mark, fraction = num.partition(",")
        if not _SPACE_GROUPS.fullmatch(whole):
            return None
        num = whole.replace(" ", "") + mark + fraction
    if "." in num and "," in num:
        decimal_mark = "," if num.rfind(",") > num.rfind(".") else "."
        group_mark = "." if decimal_mark == "," else ","
        whole, _, fraction = num.rpartition(decimal_mark)
        grouped = _DANISH_GROUPS if group_mark == "." else _ENGLISH_ANY_GROUPS
        if not grouped.fullmatch(whole) or not fraction.isdigit():
            return None
        return Decimal(whole.replace(group_mark, "") + "." + fraction)
    if "." in num:
        if _DANISH_GROUPS.fullmatch(num):
            return Decimal(num.replace(".", ""))
        if num.count(".") == 1:
            return Decimal(num)
        return None
    if "," in num:
        if _ENGLISH_GROUPS.fullmatch(num):
            return Decimal(num.replace(",", ""))
        if _ONE_COMMA_GROUP.fullmatch(num) and unit == 1:
            thousands = num.replace(",", ".")
            raise CellProblem(
                f"“{num}” kan betyde både {thousands} kr. og {num} kr. med decimaler – skriv "
                f"beløbet med punktum som tusindtalsskilletegn, fx {thousands}."
            )
        if num.count(",") == 1:
            return Decimal(num.replace(",", "."))
        return None
    return Decimal(num) if num.isdigit() else None


def _whole_kroner(exact: Decimal) -> int:
    """Rounded half up. Past the budget cap only the size matters: it comes back as
    MAX_BUDGET + 1, since quantize cannot round a number of 29 digits or more."""
    if abs(exact) >= MAX_BUDGET + 1:
        return MAX_BUDGET + 1 if exact > 0 else -(MAX_BUDGET + 1)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_money_text(text: str, unit: int = 1) -> int | None:
    """Kroner from text like "1.250.000 kr.", "1,5 mio.", "250 t.kr." or "DKK 1,250,000";
    an amount past the budget cap as MAX_BUDGET + 1."""
    clean = _WHOLE_KRONER.sub("", " ".join(fold(text).replace("\u2212", "-").split()))
    clean = _APPROX.sub("", clean)
    m = _AMOUNT.fullmatch(clean)
    if not m:
        return None
    pre, post, minus = m["pre"].strip(), m["post"].strip(), bool(m["minus"])
    written = unit_of(pre + post)
    if written is None or (pre and unit_of(pre) != 1):
        return None
    amount = _number_text(m["num"].strip(), written if written != 1 else unit)
    if amount is None:
        return None
    factor = written if written != 1 else unit
    kroner = _whole_kroner(amount * factor)
    return -kroner if minus else kroner


def money_value(raw: object, unit: int = 1) -> int | None:
    """Whole kroner; `unit` is the header's own unit ("Budget (t.kr.)" -> 1000)."""
    if isinstance(raw, bool) or isinstance(raw, date | time | timedelta):
        raise CellProblem(f"“{format_text(raw)}” er ikke et beløb – {MONEY_HINT}.")
    if isinstance(raw, int):
        kroner = raw * unit
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise CellProblem(f"“{format_text(raw)}” er ikke et beløb – {MONEY_HINT}.")
        kroner = _whole_kroner(Decimal(repr(raw)) * unit)
    else:
        text = single_text(raw)
        if text is None:
            return None
        parsed = parse_money_text(text, unit)
        if parsed is None:
            raise CellProblem(f"“{text}” er ikke et beløb – {MONEY_HINT}.")
        kroner = parsed
    try:
        return check_budget(kroner)
    except FieldError as error:
        raise CellProblem(str(error)) from None


# --- one converter per column -----------------------------------------------------------------

Converter = Callable[[object], object]


def converter_for(field: str, header: str, *, unit: int = 1, epoch: datetime) -> Converter:
    """The function that turns this column's raw cells into typed values."""
    if field in ENUM_FIELDS:
        return _cached(lambda raw: enum_value(field, raw, header))
    if field in DATE_FIELDS:
        return lambda raw: date_value(raw, epoch)
    if field in MONEY_FIELDS:
        return lambda raw: money_value(raw, unit)
    if field in LONG_TEXT_FIELDS:
        return lambda raw: _checked(field, long_text(raw))
    if field in ("department", "process_owner", "project_lead"):
        return _cached(lambda raw: _checked(field, single_text(raw)))
    if field == "name":
        return lambda raw: _checked(field, plain_text(raw))
    # The link's own rule (http/https only) is checked once the cell's hyperlink is known.
    return lambda raw: _checked(field, optional_text(raw))


def _cached(convert: Converter) -> Converter:
    """Columns with few distinct values (enums, people) convert each distinct text once."""
    seen: dict[object, object] = {}
    failed: dict[object, CellProblem] = {}

    def cached(raw: object) -> object:
        if raw.__class__ is not str:
            return convert(raw)
        try:
            return seen[raw]
        except KeyError:
            pass
        if raw in failed:
            raise failed[raw]
        try:
            value = seen[raw] = convert(raw)
        except CellProblem as problem:
            failed[raw] = problem
            raise
        return value

    return cached
