"""Turning raw cell values into typed field values: text, enum words, dates and kroner."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from openpyxl.utils.datetime import WINDOWS_EPOCH, from_excel
from openpyxl.utils.escape import unescape

from importers.columns import CURRENCIES, HEADERS, VALUE_LABELS, VALUE_SUGGESTIONS, VALUE_SYNONYMS
from importers.fields import MAX_BUDGET, FieldError, check_budget, check_text
from importers.options import ReadOptions
from importers.results import WorkbookError

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


class UnknownValue(CellProblem):
    """An enum cell (scope, kind, phase, status) holds a word the importer does not know and the
    user has not mapped. `text` is the cell's text as the user would map it (ReadOptions.values
    key), `suggestion` a canonical value, "" for "leave blank", or None when there is none."""

    def __init__(self, field: str, text: str, suggestion: str | None, *, header: str = "") -> None:
        self.field = field
        self.text = text
        self.suggestion = suggestion
        allowed = _or_list(list(VALUE_LABELS[field].values()))
        where = f" i kolonnen {header}" if header else ""
        hint = ""
        if suggestion == "":
            hint = " (forslag: lad feltet stå tomt)"
        elif suggestion is not None:
            hint = f" (forslag: {VALUE_LABELS[field][suggestion]})"
        super().__init__(f"“{text}” er ikke en gyldig værdi{where} – brug {allowed}{hint}.")


class Unparsable(CellProblem):
    """Text in a date or money cell that is no date or amount at all ("NA", "Exempt …",
    "Ongoing"). A problem by default; blank with a warning for fields in
    ReadOptions.blank_unparsable (the reader decides, the message serves both)."""

    def __init__(self, field: str, text: str, message: str) -> None:
        self.field = field
        self.text = text
        super().__init__(message)


class MissingRate(CellProblem):
    """An amount written in a foreign currency ("$2,400,000") with no rate given for it."""

    def __init__(self, text: str, currency: str) -> None:
        self.currency = currency
        super().__init__(
            f"“{text}” er ikke et beløb i kroner, men i {currency}: angiv en kurs "
            f"(--rate {currency}={CURRENCIES[currency][1]})."
        )


class ColumnProblem(WorkbookError):
    """A whole column cannot be read as it stands: a money column in a foreign currency with no
    rate. Raised by converter_for; the reader reports it on the header cell (or, if it lets it
    through, the file is refused with this sentence)."""

    def __init__(self, field: str, header: str, currency: str) -> None:
        self.field = field
        self.header = header
        self.currency = currency
        super().__init__(
            f"Kolonnen {header} er i {currency}: angiv en kurs "
            f"(--rate {currency}={CURRENCIES[currency][1]})."
        )


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


def value_key(text: str) -> str:
    """How a sheet's own value is looked up in a value map: case and spaces do not count."""
    return "".join(text.split()).casefold()


def _suggestion_index(field: str) -> dict[str, str]:
    return {"".join(_enum_words(k)): v for k, v in VALUE_SUGGESTIONS.get(field, {}).items()}


SUGGESTION_INDEX: dict[str, dict[str, str]] = {f: _suggestion_index(f) for f in ENUM_FIELDS}
_ENUMERATOR = re.compile(r"^\s*(?:[a-z]|\d{1,2}|[ivx]{1,4})[).:]\s+", re.I)
_EXPLANATION = re.compile(r"\s+[-–—:]\s+|\s*[(\n]")


def suggest_value(field: str, text: str) -> str | None:
    """A canonical value (or "" for blank) to offer for an unknown word, or None.

    "a) Pre-deployment – design and build" is looked up as "Pre-deployment"."""
    index = SUGGESTION_INDEX[field]
    tried = [text]
    bare = _ENUMERATOR.sub("", text)
    tried.append(bare)
    tried.append(_EXPLANATION.split(bare, maxsplit=1)[0])
    for candidate in tried:
        key = "".join(_enum_words(candidate))
        if key in index:
            return index[key]
        known = match_enum(field, candidate) if candidate != text else None
        if known is not None:
            return known
    return None


ValueMap = Mapping[str, str]


def value_map(field: str, mapping: ValueMap | None, header: str = "") -> dict[str, str | None]:
    """The user's value map for one enum column, keyed by value_key: canonical value, or None for
    blank. A target may be the canonical value or a word the importer knows ("Grøn")."""
    checked: dict[str, str | None] = {}
    for sheet_value, target in (mapping or {}).items():
        wanted = (target or "").strip()
        if not wanted:
            checked[value_key(sheet_value)] = None
            continue
        canonical = wanted if wanted in VALUE_LABELS[field] else match_enum(field, wanted)
        if canonical is None:
            allowed = ", ".join(VALUE_LABELS[field])
            where = f" i kolonnen {header}" if header else f" for {field}"
            raise WorkbookError(
                f"Værdien “{sheet_value}”{where} er knyttet til “{wanted}”, som ikke er en "
                f"gyldig værdi – brug en af {allowed} eller ingenting (tomt)."
            )
        checked[value_key(sheet_value)] = canonical
    return checked


def enum_value(
    field: str, raw: object, header: str, values: Mapping[str, str | None] | None = None
) -> str | None:
    """The canonical value of an enum cell. `values` (from value_map) is the user's own mapping
    and wins over the importer's words; an unknown word raises UnknownValue."""
    text = single_text(raw)
    if text is None:
        return None
    if values:
        key = value_key(text)
        if key in values:
            return values[key]
    value = match_enum(field, text)
    if value is None:
        raise UnknownValue(field, text, suggest_value(field, text), header=header)
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


def _looks_like_date(text: str) -> bool:
    """Digits and at most month names: a date written wrong, not "TBC 2025" or "Ongoing"."""
    found = words(text)
    return any(w.isdigit() for w in found) and all(
        w.isdigit() or w in MONTHS or w in ("kl", "t", "z") for w in found
    )


def date_value(
    raw: object, epoch: datetime = WINDOWS_EPOCH, field: str = "end_date"
) -> date | None:
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
        message = f"“{text}” er ikke en gyldig dato – {DATE_HINT}."
        if not _looks_like_date(text):
            raise Unparsable(field, text, message)  # "NA", "Ongoing", "TBC 2025"
        raise CellProblem(message)  # "31-02-2020", "2020": a date written wrong
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
    "mn": 1_000_000,
    "millions": 1_000_000,
    "bn": 1_000_000_000,
    "thousand": 1_000,
    "thousands": 1_000,
    "000": 1_000,
    "000s": 1_000,
    "'000": 1_000,
    "'000s": 1_000,
    "000000": 1_000_000,
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


_CURRENCY_SIGNS = {sign: code for code, (signs, _rate) in CURRENCIES.items() for sign in signs}
_BY_LENGTH = sorted(_CURRENCY_SIGNS, key=len, reverse=True)
_CURRENCY_WORDS = re.compile(
    r"(?<![a-z])(?:" + "|".join(re.escape(s) for s in _BY_LENGTH if s.isalpha()) + r")(?![a-z])"
)
_CURRENCY_SYMBOLS = re.compile("|".join(re.escape(s) for s in _BY_LENGTH if not s.isalpha()))


def currency_of(text: str) -> tuple[str | None, str]:
    """The foreign currency a text is written in ("£34m" -> GBP), and the text without it."""
    folded = fold(text)
    found: set[str] = set()
    for pattern in (_CURRENCY_SYMBOLS, _CURRENCY_WORDS):
        for m in pattern.finditer(folded):
            found.add(_CURRENCY_SIGNS[m[0]])
        folded = pattern.sub(" ", folded)
    if len(found) > 1:
        raise CellProblem(f"“{text}” nævner flere valutaer ({', '.join(sorted(found))}).")
    return (found.pop() if found else None), " ".join(folded.split())


_BRACKETS = re.compile(r"\(([^)]*)\)|\[([^\]]*)\]")
_SIGN_UNIT = re.compile(r"[£$€]\s?('?000s?|k|m|mn|bn)(?![a-z])")


def money_unit(header: str) -> tuple[int, str | None]:
    """The unit and currency a money header states: "Budget (t.kr.)" -> (1000, None),
    "Whole life cost\n(£m)" -> (1_000_000, "GBP"), "Budget ($)" -> (1, "USD"). Brackets that
    state neither are explanations and count for nothing."""
    currency, _rest = currency_of(header)
    unit = 1
    folded = fold(header)
    for bracket in _BRACKETS.finditer(folded):
        inner = bracket[1] if bracket[1] is not None else bracket[2]
        _code, bare = currency_of(inner)
        found = unit_of(bare)
        if found is not None and found != 1:
            unit = found
    if unit == 1 and (sign := _SIGN_UNIT.search(folded)):
        unit = UNITS[sign[1]]
    return unit, currency


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


def parse_money_text(text: str, unit: int = 1, rate: Decimal | None = None) -> int | None:
    """Kroner from text like "1.250.000 kr.", "1,5 mio.", "250 t.kr." or "DKK 1,250,000";
    an amount past the budget cap as MAX_BUDGET + 1. With a `rate` (kroner per unit of a
    foreign currency) the text is that currency, "£34m" or "$2,400,000"; the caller takes the
    currency off the text first (currency_of)."""
    english = rate is not None
    clean = _WHOLE_KRONER.sub("", " ".join(fold(text).replace("\u2212", "-").split()))
    clean = _APPROX.sub("", clean)
    m = _AMOUNT.fullmatch(clean)
    if not m:
        return None
    pre, post, minus = m["pre"].strip(), m["post"].strip(), bool(m["minus"])
    written = unit_of(pre + post)
    if written is None or (pre and unit_of(pre) != 1):
        return None
    num = m["num"].strip()
    if english and _ENGLISH_ANY_GROUPS.fullmatch(num):
        num = num.replace(",", "")  # foreign amounts group thousands with commas
    amount = _number_text(num, written if written != 1 else unit)
    if amount is None:
        return None
    factor = written if written != 1 else unit
    kroner = _whole_kroner(amount * factor * (rate if rate is not None else 1))
    return -kroner if minus else kroner


def money_value(
    raw: object,
    unit: int = 1,
    *,
    currency: str | None = None,
    rates: Mapping[str, Decimal] | None = None,
    field: str = "budget_dkk",
) -> int | None:
    """Whole kroner; `unit` and `currency` are the header's own ("Budget (£m)" -> 1_000_000,
    "GBP"), `rates` the kroner per unit of each foreign currency. A cell may name its own
    currency ("$2,400,000", "1,5 mio. kr."); a foreign one without a rate is MissingRate,
    text that is no amount at all Unparsable."""
    if raw is None:
        return None
    rates = rates or {}
    column_rate = _rate(currency, rates)
    if currency and column_rate is None and isinstance(raw, int | float):
        raise MissingRate(format_text(raw), currency)
    if isinstance(raw, bool) or isinstance(raw, date | time | timedelta):
        raise CellProblem(f"“{format_text(raw)}” er ikke et beløb – {MONEY_HINT}.")
    factor = Decimal(unit) * (column_rate if column_rate is not None else 1)
    if isinstance(raw, int):
        kroner = raw * unit if column_rate is None else _whole_kroner(raw * factor)
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise CellProblem(f"“{format_text(raw)}” er ikke et beløb – {MONEY_HINT}.")
        kroner = _whole_kroner(Decimal(repr(raw)) * factor)
    else:
        text = single_text(raw)
        if text is None:
            return None
        written, bare = currency_of(text)
        if _CURRENCY.search(fold(text)) and written is None:
            rate, bare = None, text  # kroner said in the cell win over the column's currency
        elif written is not None or currency:
            code = written or currency or ""
            rate = _rate(code, rates)
            if rate is None:
                raise MissingRate(text, code)
        else:
            rate, bare = None, text
        parsed = parse_money_text(bare, unit, rate)
        if parsed is None:
            message = f"“{text}” er ikke et beløb – {MONEY_HINT}."
            if not any(ch.isdigit() for ch in text) or re.search(r"[a-z]{3,}", fold(bare)):
                raise Unparsable(field, text, message)  # "NA", "Exempt …", "Included in 1.1"
            raise CellProblem(message)
        kroner = parsed
    try:
        return check_budget(kroner)
    except FieldError as error:
        raise CellProblem(str(error)) from None


def _rate(code: str | None, rates: Mapping[str, Decimal]) -> Decimal | None:
    if not code:
        return None
    for key, rate in rates.items():
        if key.strip().upper() == code:
            return Decimal(rate)
    return None


# --- one converter per column -----------------------------------------------------------------

Converter = Callable[[object], object]


def converter_for(
    field: str,
    header: str,
    *,
    unit: int = 1,
    epoch: datetime = WINDOWS_EPOCH,
    options: ReadOptions | None = None,
    currency: str | None = None,
) -> Converter:
    """The function that turns this column's raw cells into typed values.

    `header` is the header as shown in messages, quoted (“Budget (£m)”); `unit` the header's
    money unit (HeaderRow.units). For money the currency is read from the header unless given.
    The converter raises CellProblem; in particular UnknownValue (enum word neither known nor
    in options.values: collect it for value mapping), Unparsable (a date/money text that is no
    date/amount: blank + warning if field in options.blank_unparsable, else a problem) and
    MissingRate (a cell in a foreign currency without options.rates). Building the converter
    raises ColumnProblem (a WorkbookError) for a foreign-currency money column without a rate,
    and WorkbookError for a value map naming no valid value.
    """
    options = options or ReadOptions()
    if field in ENUM_FIELDS:
        mapped = value_map(field, options.values.get(field), header)
        return _cached(lambda raw: enum_value(field, raw, header, mapped))
    if field in DATE_FIELDS:
        return lambda raw: date_value(raw, epoch, field)
    if field in MONEY_FIELDS:
        if currency is None:
            header_unit, currency = money_unit(header.strip("“”"))
            unit = unit if unit != 1 else header_unit
        rates = options.rates
        if currency is not None and _rate(currency, rates) is None:
            raise ColumnProblem(field, header, currency)
        return lambda raw: money_value(raw, unit, currency=currency, rates=rates, field=field)
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
