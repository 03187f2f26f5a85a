"""Numbers OCR could not read, re-derived from the contract's arithmetic.

Only on scanned pages, only where a number is missing (its cell was empty or
unreadable) and exactly one rule gives it from numbers that were read.  A
derived number gets method "arithmetic" and the doubt `DERIVED`: the
confidence policy keeps it low, and routing always sends it to a person.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from extract.checks.compare import as_decimal
from extract.checks.confidence import DERIVED
from extract.checks.validate import expected_execution_rate, total_parts
from extract.model import FUNDING_KEYS, FieldPath, FormResult, Provenance, get_field, set_field

log = logging.getLogger("selfeval.checks")


def repair_missing_numbers(form: FormResult) -> list[FieldPath]:
    """Fill what can be derived; returns the paths filled."""
    record = form.record
    filled: list[FieldPath] = []

    def missing(path: FieldPath) -> bool:
        provenance = form.provenance(path)
        return provenance is not None and provenance.method.startswith("ocr") and get_field(record, path) is None

    def fill(path: FieldPath, value: Decimal) -> None:
        set_field(record, path, value)
        state = form.state(path)
        old = state.provenance
        state.provenance = Provenance(old.page, old.bbox, "arithmetic", old.confidence)
        state.doubts.add(DERIVED)
        filled.append(path)
        log.debug("%s: OCR read no number; %s given by the arithmetic", path, value)

    for key in FUNDING_KEYS:
        rate = FieldPath.funding(key, "execution_rate")
        executed, budget = (as_decimal(get_field(record, rate.sibling(k))) for k in ("executed", "annual_budget"))
        # (no rate divides by a budget of 0: such a row prints `-`, which OCR reads as nothing)
        if missing(rate) and executed is not None and budget:
            fill(rate, expected_execution_rate(executed, budget))
    for part in ("score", "weight"):
        paths = total_parts(record, part)
        values = [as_decimal(get_field(record, p)) for p in paths]
        unknown = [i for i, v in enumerate(values) if v is None]
        if len(unknown) != 1 or not missing(paths[unknown[0]]):
            continue
        index = unknown[0]
        known_parts = sum((v for i, v in enumerate(values[1:], 1) if i != index), Decimal(0))
        value = known_parts if index == 0 else values[0] - known_parts
        if value >= 0:
            fill(paths[index], value.quantize(Decimal("0.01")))
    return filled


def repair(forms: list[FormResult], context: "CheckContext") -> None:
    """The check stage: re-derive what OCR lost, form by form."""
    for form in forms:
        repair_missing_numbers(form)


if TYPE_CHECKING:
    from extract.checks import CheckContext
