"""How two records are compared (FORM_RECORD.md, *How two records are compared*).

Field accuracy = gold fields that the other side has equal / all gold fields.
Forms are paired by (source.file, position among that file's forms),
indicators by position; a form or an indicator the other side lacks counts
all its gold fields as wrong.  Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from extract.model import iter_fields
from extract.parse.values import normalise_for_compare, parse_number

TOLERANCE = Decimal("0.005")   # numbers are equal within this


class _Missing:
    """Stands for a field whose form or indicator the other side lacks."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()


@dataclass
class Comparison:
    fields_total: int = 0
    fields_equal: int = 0
    # (form_key, path, gold value, got value); form_key is "file#position" (1-based)
    mismatches: list[tuple[str, str, Any, Any]] = field(default_factory=list)
    # The same tally over the gold fields that hold a number.
    numeric_total: int = 0
    numeric_equal: int = 0

    @property
    def accuracy(self) -> float:
        return self.fields_equal / self.fields_total if self.fields_total else 1.0

    @property
    def numeric_accuracy(self) -> float:
        return self.numeric_equal / self.numeric_total if self.numeric_total else 1.0


def fields_equal(gold_value: Any, got_value: Any) -> bool:
    """One leaf: text folded, numbers within 0.005, null only null, lists element-wise."""
    if gold_value is MISSING or got_value is MISSING:
        return False
    if gold_value is None or got_value is None:
        return gold_value is None and got_value is None
    if isinstance(gold_value, (list, tuple)) or isinstance(got_value, (list, tuple)):
        return _lists_equal(gold_value, got_value)
    if _is_number(gold_value) or _is_number(got_value):
        # a number on either side makes it a numeric field; the other may be a numeric string
        gold_number, got_number = as_decimal(gold_value), as_decimal(got_value)
        return None not in (gold_number, got_number) and numbers_close(gold_number, got_number)
    if isinstance(gold_value, str) and isinstance(got_value, str):
        return normalise_for_compare(gold_value) == normalise_for_compare(got_value)
    return gold_value == got_value


def numbers_close(a: Decimal, b: Decimal) -> bool:
    """The contract's equality of numbers."""
    return abs(a - b) <= TOLERANCE


def as_decimal(value: Any) -> Decimal | None:
    """A number or a numeric string (`1,234.5`, `86.19%`) as a finite Decimal, else None."""
    if isinstance(value, str):
        try:
            return parse_number(value)
        except ValueError:
            return None
    if not _is_number(value):
        return None
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return number if number.is_finite() else None


# Fields that count only where the ground truth gives them (FORM_RECORD.md):
# truth written before schema 1.1 has no title or money unit.
COMPARED_WHERE_GIVEN = frozenset({"title", "money_unit"})


def compare_records(gold: list[dict[str, Any]], got: list[dict[str, Any]]) -> Comparison:
    result = Comparison()
    got_by_key = dict(_keyed(got))
    for key, gold_record in _keyed(gold):
        got_record = got_by_key.get(key)
        got_fields = dict(iter_fields(got_record)) if got_record is not None else {}
        for path, gold_value in iter_fields(gold_record):
            if path in COMPARED_WHERE_GIVEN and path not in gold_record:
                continue
            got_value = got_fields.get(path, MISSING)
            equal = fields_equal(gold_value, got_value)
            result.fields_total += 1
            result.fields_equal += equal
            if _is_number(gold_value):
                result.numeric_total += 1
                result.numeric_equal += equal
            if not equal:
                result.mismatches.append((key, path, gold_value, got_value))
    return result


def _keyed(records: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Each record with its key "file#position", position counted per file."""
    seen: dict[str, int] = {}
    keyed = []
    for record in records:
        file = (record.get("source") or {}).get("file") or ""
        seen[file] = seen.get(file, 0) + 1
        keyed.append((f"{file}#{seen[file]}", record))
    return keyed


def _lists_equal(gold_value: Any, got_value: Any) -> bool:
    if not (isinstance(gold_value, (list, tuple)) and isinstance(got_value, (list, tuple))):
        return False
    return len(gold_value) == len(got_value) and all(map(fields_equal, gold_value, got_value))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: what character accuracy of OCR is measured with."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
