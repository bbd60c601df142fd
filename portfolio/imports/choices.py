"""What the user chose for one sheet: column mapping, defaults for new projects, value mappings,
currency rates and columns left blank where unreadable. Parsed from the CLI's options and the
web's forms alike, turned into importers' ReadOptions, saved as JSON with an import or profile."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from importers.options import ReadOptions
from importers.results import ReadResult
from portfolio.domain import FIELD_LABELS
from portfolio.projects.services import CANONICAL_ORDER

# The enum fields whose values a sheet may spell its own way (importers.values.ENUM_FIELDS).
ENUM_FIELDS = ("scope", "kind", "phase", "status")
# Fields a default may fill for new projects: the ones other organisations' sheets lack.
DEFAULTABLE = ("scope", "kind", "phase", "status", "department", "process_owner", "project_lead")
# Fields whose unreadable text ("NA", "Exempt …") may be left blank.
BLANKABLE = ("budget_dkk", "start_date", "end_date")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


class ChoiceError(ValueError):
    """A choice that cannot be used; str(error) is one Danish sentence, `option` the CLI's
    option that gave it."""

    option = ""


@dataclass
class ImportChoices:
    mapping: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    rates: dict[str, str] = field(default_factory=dict)  # currency -> kroner, as text
    blank_unparsable: list[str] = field(default_factory=list)

    def read_options(self) -> ReadOptions:
        return ReadOptions(
            mapping=dict(self.mapping),
            values={f: dict(v) for f, v in self.values.items()},
            rates={code: Decimal(rate) for code, rate in self.rates.items()},
            blank_unparsable=frozenset(self.blank_unparsable),
        )

    def is_empty(self) -> bool:
        return not (
            self.mapping or self.defaults or self.values or self.rates or self.blank_unparsable
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "mapping": dict(self.mapping),
            "defaults": dict(self.defaults),
            "values": {f: dict(v) for f, v in self.values.items()},
            "rates": dict(self.rates),
            "blank_unparsable": sorted(self.blank_unparsable),
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, data: Any) -> ImportChoices:
        """Choices as stored; anything malformed is dropped rather than trusted."""
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                data = {}
        if not isinstance(data, dict):
            data = {}

        def strings(value: Any) -> dict[str, str]:
            if not isinstance(value, dict):
                return {}
            return {str(k): str(v) for k, v in value.items() if isinstance(v, str)}

        values = data.get("values")
        blanks = data.get("blank_unparsable")
        return cls(
            mapping=strings(data.get("mapping")),
            defaults=strings(data.get("defaults")),
            values={str(f): strings(v) for f, v in values.items()}
            if isinstance(values, dict)
            else {},
            rates=strings(data.get("rates")),
            blank_unparsable=[str(b) for b in blanks] if isinstance(blanks, list) else [],
        )

    def merged(self, other: ImportChoices) -> ImportChoices:
        """These choices with `other`'s on top (the command line over a profile)."""
        values = {f: dict(v) for f, v in self.values.items()}
        for f, v in other.values.items():
            values.setdefault(f, {}).update(v)
        return ImportChoices(
            mapping={**self.mapping, **other.mapping},
            defaults={**self.defaults, **other.defaults},
            values=values,
            rates={**self.rates, **other.rates},
            blank_unparsable=sorted({*self.blank_unparsable, *other.blank_unparsable}),
        )


def _field_list(fields: Iterable[str]) -> str:
    return ", ".join(fields)


def enum_choice(field_name: str, text: str) -> str | None:
    """The canonical value `text` names in an enum field (its value or its label)."""
    from importers.values import match_enum  # the sheet readers load on first use

    text = text.strip()
    if not text:
        return None
    return match_enum(field_name, text)


def parse_default(item: str) -> tuple[str, str]:
    """`scope=department` (or `scope=Afdelingsprojekt`) -> ("scope", "department")."""
    name, sep, value = item.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or name not in DEFAULTABLE or not value:
        raise ChoiceError(
            f"“{item}” skal have formen felt=værdi, hvor felt er et af: {_field_list(DEFAULTABLE)}."
        )
    if name in ENUM_FIELDS:
        canonical = enum_choice(name, value)
        if canonical is None:
            raise ChoiceError(
                f"“{value}” er ikke en gyldig værdi for {name}; brug en af: "
                f"{_field_list(_enum_values(name))}."
            )
        return name, canonical
    return name, value[:200]


def parse_value(item: str) -> tuple[str, str, str]:
    """`status:On Track=green` -> ("status", "On Track", "green"); `status:NA=` maps to blank."""
    name, sep, rest = item.partition(":")
    raw, eq, value = rest.rpartition("=")
    name, raw, value = name.strip(), raw.strip(), value.strip()
    if not sep or not eq or name not in ENUM_FIELDS or not raw:
        raise ChoiceError(
            f"“{item}” skal have formen felt:arkets værdi=værdi (tom værdi = lad feltet stå "
            f"tomt), hvor felt er et af: {_field_list(ENUM_FIELDS)}."
        )
    if value == "":
        return name, raw, ""
    canonical = enum_choice(name, value)
    if canonical is None:
        raise ChoiceError(
            f"“{value}” er ikke en gyldig værdi for {name}; brug en af: "
            f"{_field_list(_enum_values(name))}, eller ingenting for tomt."
        )
    return name, raw, canonical


def parse_rate(item: str) -> tuple[str, str]:
    """`GBP=8.65` (or `GBP=8,65`) -> ("GBP", "8.65"): kroner per unit of the currency."""
    code, sep, rate = item.partition("=")
    code = code.strip().upper()
    text = rate.strip().replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal(0)
    if not sep or not CURRENCY_RE.match(code) or not amount.is_finite() or amount <= 0:
        raise ChoiceError(
            f"“{item}” skal have formen VALUTA=kurs i kroner, fx GBP=8,65 (kursen er et "
            "positivt tal)."
        )
    if code == "DKK":
        raise ChoiceError("Kroner skal ikke have en kurs; angiv kun fremmed valuta, fx GBP=8,65.")
    return code, str(amount)


def parse_blank(item: str) -> str:
    """A field name, or its Danish label, whose unreadable text is left blank."""
    text = item.strip()
    for name in BLANKABLE:
        if text.casefold() in (name, str(FIELD_LABELS[name]).casefold()):
            return name
    raise ChoiceError(
        f"“{item}” kan ikke efterlades tom ved ulæselig tekst; brug et af: "
        f"{_field_list(BLANKABLE)}."
    )


def parse_mapping(item: str) -> tuple[str, str]:
    header, sep, name = item.rpartition("=")
    name = name.strip()
    allowed = set(CANONICAL_ORDER) | {"ignore"}
    if not sep or not header.strip() or (name and name not in allowed):
        raise ChoiceError(
            f'“{item}” skal have formen "Overskrift=felt", hvor felt er et af: '
            + _field_list(sorted(allowed))
        )
    return header.strip(), name


def parse_choices(
    *,
    mappings: Iterable[str] = (),
    defaults: Iterable[str] = (),
    values: Iterable[str] = (),
    rates: Iterable[str] = (),
    blanks: Iterable[str] = (),
) -> ImportChoices:
    """The CLI's options as choices; ChoiceError on the first one that cannot be used."""
    choices = ImportChoices()
    option = "--map"
    try:
        for item in mappings:
            header, name = parse_mapping(item)
            choices.mapping[header] = name
        option = "--default"
        for item in defaults:
            name, value = parse_default(item)
            choices.defaults[name] = value
        option = "--value"
        for item in values:
            name, raw, value = parse_value(item)
            choices.values.setdefault(name, {})[raw] = value
        option = "--rate"
        for item in rates:
            code, rate = parse_rate(item)
            choices.rates[code] = rate
        option = "--blank-unparsable"
        choices.blank_unparsable = sorted({parse_blank(item) for item in blanks})
    except ChoiceError as exc:
        exc.option = option
        raise
    return choices


def _enum_values(field_name: str) -> list[str]:
    from importers.values import VALUE_LABELS

    return list(VALUE_LABELS[field_name])


def header_texts(result: ReadResult) -> list[str]:
    """The sheet's header texts, in column order when the reader says how it placed them."""
    if result.placements:
        return [p.header for p in result.placements]
    # Without placements, in an order that does not depend on the mapping chosen.
    return sorted([*result.columns.values(), *result.unmapped_headers])


def _normalised(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return re.sub(r"\s+", " ", text).strip()


def header_signature(result: ReadResult) -> str:
    """The layout's fingerprint: a hash of its normalised header texts, in order."""
    blob = "\n".join(_normalised(t) for t in header_texts(result)).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()
