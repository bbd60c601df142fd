"""Recognising header texts: Danish and English column names -> canonical fields."""

from __future__ import annotations

import re
from dataclasses import dataclass

from importers.columns import FIELDS, HEADER_SYNONYMS, SHEET_COLUMNS
from importers.results import WorkbookError
from importers.values import fold, squash, unit_of

IGNORE = "ignore"
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
# "Budget", "Samlet budget (kr.)", "Budget i 1.000 kr.", "Budget (mio. kr.)": the tail is a unit.
_BUDGET = re.compile(r"(?:samlet |total |projekt ?)?budget(?: i)?(?P<unit>(?: [a-z0-9]+)*)")


@dataclass(frozen=True)
class HeaderMatch:
    field: str
    rank: int  # lower wins when two columns claim a field: manual 0, sheet's own 1, synonym 2
    unit: int = 1  # kroner per unit written in the column ("Budget (t.kr.)" -> 1000)


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


def _budget_unit(text: str) -> int | None:
    m = _BUDGET.fullmatch(" ".join(re.findall(r"[a-z0-9]+", fold(text))))
    return unit_of(m["unit"]) if m else None


def match_header(text: str) -> HeaderMatch | None:
    """The field a header names, by its own words or, failing that, without brackets."""
    key = squash(text)
    if not key:
        return None
    unit = _budget_unit(text)
    if unit is not None:
        return HeaderMatch("budget_dkk", 1 if key == squash("Budget (kr.)") else 2, unit)
    if key in HEADER_INDEX:
        return HEADER_INDEX[key]
    bare = squash(_PARENS.sub(" ", text))
    found = HEADER_INDEX.get(bare)
    # A budget whose bracket says another currency or unit must not be read as kroner.
    if found is not None and found.field != "budget_dkk":
        return HeaderMatch(found.field, 3)
    return None


class Mapping:
    """The user's manual choices: header text -> field, or ignore the column."""

    def __init__(self, mapping: dict[str, str] | None) -> None:
        self._fields: dict[str, str] = {}
        for header, field in (mapping or {}).items():
            chosen = (field or "").strip()
            if chosen.casefold() in ("", IGNORE):
                chosen = IGNORE
            elif chosen not in FIELDS:
                raise WorkbookError(
                    f"Kolonnen “{clean_header(header)}” er knyttet til det ukendte felt "
                    f"“{chosen}” – brug et af felterne {', '.join(FIELDS)} eller “ignore”."
                )
            self._fields[clean_header(header).casefold()] = chosen

    def match(self, header: str) -> HeaderMatch | str | None:
        """A manual match, IGNORE, or the automatic match."""
        chosen = self._fields.get(header.casefold())
        if chosen == IGNORE:
            return IGNORE
        if chosen is not None:
            unit = _budget_unit(header) if chosen == "budget_dkk" else None
            return HeaderMatch(chosen, 0, unit or 1)
        return match_header(header)


@dataclass
class HeaderRow:
    """Which column holds which field, for one candidate header row."""

    row: int
    columns: dict[str, int]  # field -> column number
    texts: dict[int, str]  # column number -> header text
    units: dict[str, int]
    unmapped: list[str]

    @property
    def score(self) -> int:
        return len(self.columns) if "name" in self.columns else 0


def resolve_header(row: int, cells: list[tuple[int, object]], mapping: Mapping) -> HeaderRow:
    """Assigns each field its best column; a field claimed twice leaves the loser unmapped."""
    texts: dict[int, str] = {}
    best: dict[str, tuple[int, int, HeaderMatch]] = {}
    leftovers: list[int] = []
    for col, value in cells:
        text = clean_header(value)
        if not text or not isinstance(value, str | int | float):
            continue
        texts[col] = text
        found = mapping.match(text)
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
    unmapped: list[str] = []
    for col in sorted(leftovers):
        if texts[col] not in unmapped:
            unmapped.append(texts[col])
    return HeaderRow(
        row=row,
        columns={field: col for field, (_rank, col, _m) in best.items()},
        texts=texts,
        units={field: m.unit for field, (_rank, _col, m) in best.items() if m.unit != 1},
        unmapped=unmapped,
    )
