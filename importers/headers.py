"""Recognising header texts: Danish and English column names -> canonical fields."""

from __future__ import annotations

import re
from collections.abc import Mapping as MappingType
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from openpyxl.utils.cell import column_index_from_string, get_column_letter

from importers.columns import FIELDS, HEADER_SYNONYMS, SHEET_COLUMNS
from importers.results import WorkbookError
from importers.values import MONEY_FIELDS, fold, money_unit, squash, unit_of

MAX_COLUMNS = 16_384  # Excel's last column, XFD

IGNORE = "ignore"
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
# "Budget", "Samlet budget (kr.)", "Budget i 1.000 kr.", "Budget (mio. kr.)": the tail is a unit.
_BUDGET = re.compile(r"(?:samlet |total |projekt ?)?budget(?: i)?(?P<unit>(?: [a-z0-9]+)*)")
# "Project - Start Date", "Projekt: Fase": the sheet's own prefix says nothing about the field.
_PREFIX = re.compile(r"^\s*(?:project|projekt|programme|program|use case)\s*(?:-|–|—|:)\s*", re.I)
# An explanation after the name: "RAG – overall delivery confidence", "Stage: where we are".
_EXPLAINED = re.compile(r"\s+(?:-|–|—)\s+|:\s+")
_LETTERS = re.compile(r"[A-Z]{1,3}")


@dataclass(frozen=True)
class HeaderMatch:
    field: str
    rank: int  # lower wins when two columns claim a field: manual 0, sheet's own 1, synonym 2
    unit: int = 1  # kroner per unit written in the column ("Budget (t.kr.)" -> 1000)
    currency: str | None = None  # a foreign currency the column is in ("Budget (£m)" -> GBP)


def _build_index() -> dict[str, HeaderMatch]:
    index: dict[str, HeaderMatch] = {}
    own = {field: (field, header) for field, header in SHEET_COLUMNS}
    for field in FIELDS:
        for rank, spellings in ((1, own[field]), (2, HEADER_SYNONYMS.get(field, ()))):
            for spelling in spellings:
                key = squash(spelling)
                known = index.setdefault(key, HeaderMatch(field, rank))
                if known.field != field:
                    raise RuntimeError(f"header {spelling!r} names two fields")  # a table bug
    return index


HEADER_INDEX = _build_index()


def clean_header(value: object) -> str:
    """A header cell as shown to the user: text with its white space collapsed."""
    if value is None:
        return ""
    return " ".join(str(value).split())


def header_names(text: str) -> list[str]:
    """The ways a header may name its field, best first: as written, its first line, without
    a prefix such as "Project - ", without brackets, and before an explanation after a dash."""
    lines = [line for line in re.split(r"[\r\n]+", text) if line.strip()]
    base = [text, lines[0]] if len(lines) > 1 else [text]
    # The dash is split off only once a prefix is gone: "Project - Risk owner" is no "Project".
    bare = [_PARENS.sub(" ", _PREFIX.sub("", name)) for name in base]
    names = [*base, *(_PREFIX.sub("", name) for name in base), *bare]
    names += [_EXPLAINED.split(name.strip(), maxsplit=1)[0] for name in bare]
    seen: list[str] = []
    for name in names:
        if squash(name) and name not in seen:
            seen.append(name)
    return seen


def _budget_unit(text: str) -> int | None:
    m = _BUDGET.fullmatch(" ".join(re.findall(r"[a-z0-9]+", fold(text))))
    return unit_of(m["unit"]) if m else None


def money_match(field: str, text: str, rank: int) -> HeaderMatch:
    """A money column's match with the unit and currency its whole header states."""
    unit, currency = money_unit(text)
    if unit == 1:
        unit = _budget_unit(text) or 1
    return HeaderMatch(field, rank, unit, currency)


def match_header(text: str) -> HeaderMatch | None:
    """The field a header names, by its own words or, failing that, cleaned (header_names)."""
    key = squash(text)
    if not key:
        return None
    first = re.split(r"[\r\n]+", text.strip())[0]
    if _budget_unit(first) is not None:
        rank = 1 if squash(first) == squash("Budget (kr.)") else 2
        return money_match("budget_dkk", text, rank)
    for number, name in enumerate(header_names(text)):
        found = HEADER_INDEX.get(squash(name))
        if found is None:
            continue
        rank = found.rank if number == 0 else 3
        if found.field in MONEY_FIELDS:
            return money_match(found.field, text, rank)
        return HeaderMatch(found.field, rank)
    return None


def _key(text: str) -> str:
    return clean_header(text).casefold()


def _listed(texts: dict[int, str]) -> str:
    shown = [f"{get_column_letter(c)}: “{t}”" for c, t in sorted(texts.items())]
    return ", ".join(shown) if shown else "ingen"


def _checked_field(header: str, field: str) -> str:
    chosen = (field or "").strip()
    if chosen.casefold() in ("", IGNORE):
        return IGNORE
    if chosen not in FIELDS:
        raise WorkbookError(
            f"Kolonnen “{clean_header(header)}” er knyttet til det ukendte felt "
            f"“{chosen}” – brug et af felterne {', '.join(FIELDS)} eller “ignore”."
        )
    return chosen


def resolve_mapping(
    texts: dict[int, str], mapping: MappingType[str, str] | None, *, strict: bool = True
) -> dict[int, str]:
    """Column number -> field (or "ignore") for the user's mapping on one header row.

    `texts` is the header row (column number -> header text). A key of `mapping` is the
    header's text (case and spacing do not count), a column letter ("L", upper case), or a
    prefix that only one header starts with ("Project - Start"); a value is a field or
    "ignore" ("" too). A key that names no column, or a prefix shared by several headers, is a
    WorkbookError listing the headers (with strict=False such keys are passed over, for rows
    that are only candidates for the header).
    """
    by_text: dict[str, list[int]] = {}
    for col, text in texts.items():
        by_text.setdefault(_key(text), []).append(col)
    chosen: dict[int, str] = {}
    for key, field in (mapping or {}).items():
        target = _checked_field(key, field)
        wanted = _key(key)
        cols = by_text.get(wanted, [])
        if not cols and _LETTERS.fullmatch(key.strip()):
            number = column_index_from_string(key.strip())
            cols = [number] if number <= MAX_COLUMNS else []
        if not cols and wanted:
            cols = [c for c, t in texts.items() if _key(t).startswith(wanted)]
            if len(cols) > 1 and strict:
                matching = ", ".join(f"“{texts[c]}”" for c in sorted(cols))
                raise WorkbookError(
                    f"“{clean_header(key)}” passer på flere overskrifter ({matching}) – skriv "
                    "mere af overskriften, eller brug kolonnens bogstav (fx “L=end_date”)."
                )
            if len(cols) > 1:
                cols = []
        if not cols:
            if strict:
                raise WorkbookError(
                    f"Overskriften “{clean_header(key)}” findes ikke i arket – arkets "
                    f"overskrifter er {_listed(texts)}. Brug en af dem, begyndelsen af en af "
                    "dem eller kolonnens bogstav."
                )
            continue
        for col in cols:
            if chosen.get(col, target) != target and strict:
                raise WorkbookError(
                    f"Kolonne {get_column_letter(col)} er knyttet til både “{chosen[col]}” og "
                    f"“{target}” – vælg ét felt."
                )
            chosen[col] = target
    return chosen


class Mapping:
    """The user's manual choices: header text, unique prefix or column letter -> field, or
    ignore the column. Built on resolve_mapping; check() makes it strict for the chosen row."""

    def __init__(self, mapping: MappingType[str, str] | None) -> None:
        self.entries: dict[str, str] = {}
        for header, field in (mapping or {}).items():
            self.entries[header] = _checked_field(header, field)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def resolve(self, texts: dict[int, str], *, strict: bool = False) -> dict[int, str]:
        return resolve_mapping(texts, self.entries, strict=strict)

    def check(self, header: HeaderRow) -> None:
        """WorkbookError listing the headers if a key names no column of the chosen header
        row, or an ambiguous prefix. The reader calls it once the header row is chosen."""
        self.resolve(header.texts, strict=True)

    def match(self, header: str) -> HeaderMatch | str | None:
        """A manual match by the header's whole text, IGNORE, or the automatic match (letters
        and prefixes need the whole row: resolve)."""
        wanted = _key(header)
        for key, chosen in self.entries.items():
            if _key(key) == wanted:
                return _manual(chosen, header)
        return match_header(header)


def _manual(chosen: str, header: str) -> HeaderMatch | str:
    if chosen == IGNORE:
        return IGNORE
    if chosen in MONEY_FIELDS:
        return money_match(chosen, header, 0)
    return HeaderMatch(chosen, 0)


@dataclass
class HeaderRow:
    """Which column holds which field, for one candidate header row."""

    row: int
    columns: dict[str, int]  # field -> column number
    texts: dict[int, str]  # column number -> header text
    units: dict[str, int]
    unmapped: list[str]
    currencies: dict[str, str] = dataclass_field(default_factory=dict)  # field -> "GBP"
    # column number -> "matched", "mapped" (by the user) or "ignored" (by the user)
    how: dict[int, str] = dataclass_field(default_factory=dict)

    @property
    def score(self) -> int:
        return len(self.columns) if "name" in self.columns else 0


def resolve_header(row: int, cells: list[tuple[int, object]], mapping: Mapping) -> HeaderRow:
    """Assigns each field its best column; a field claimed twice leaves the loser unmapped.

    The user's mapping (by text, prefix or letter) is applied leniently here, since every
    candidate row passes through; call mapping.check(header) on the row finally chosen."""
    texts: dict[int, str] = {}
    for col, value in cells:
        text = clean_header(value)
        if text and isinstance(value, str | int | float):
            texts[col] = text
    manual = mapping.resolve(texts) if mapping else {}
    for col in manual:
        # A column chosen by its letter may have no header of its own.
        texts.setdefault(col, f"Kolonne {get_column_letter(col)}")
    raw = dict(cells)
    best: dict[str, tuple[int, int, HeaderMatch]] = {}
    leftovers: list[int] = []
    how: dict[int, str] = {}
    for col in sorted(texts):
        value = raw.get(col)
        text = value if isinstance(value, str) else texts[col]
        found: HeaderMatch | str | None
        if col in manual:
            found = _manual(manual[col], text)
            how[col] = "ignored" if found == IGNORE else "mapped"
        else:
            found = match_header(text)
        if found == IGNORE:
            continue
        if not isinstance(found, HeaderMatch):
            leftovers.append(col)
            continue
        current = best.get(found.field)
        if current is None or (found.rank, col) < current[:2]:
            if current is not None:
                leftovers.append(current[1])
            best[found.field] = (found.rank, col, found)
        else:
            leftovers.append(col)
    for _rank, col, _m in best.values():
        how.setdefault(col, "matched")
    unmapped: list[str] = []
    for col in sorted(leftovers):
        how.pop(col, None)
        if texts[col] not in unmapped:
            unmapped.append(texts[col])
    return HeaderRow(
        row=row,
        columns={field: col for field, (_rank, col, _m) in best.items()},
        texts=texts,
        units={field: m.unit for field, (_rank, _col, m) in best.items() if m.unit != 1},
        unmapped=unmapped,
        currencies={f: m.currency for f, (_r, _c, m) in best.items() if m.currency},
        how=how,
    )
