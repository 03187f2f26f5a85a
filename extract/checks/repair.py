"""Numbers OCR could not read, re-derived from the contract's arithmetic.

Only on scanned pages, only where a number is missing (its cell was empty or
unreadable) and exactly one rule gives it from numbers that were read.  A
derived number gets method "arithmetic" and a low confidence, so that a
reviewer still looks at it.
"""

from __future__ import annotations

from decimal import Decimal

from extract.checks.compare import as_decimal
from extract.model import FUNDING_KEYS, ParsedForm, Provenance, get_field, set_field
from extract.checks.validate import expected_execution_rate

DERIVED_CONFIDENCE = 0.6


def repair_missing_numbers(form: ParsedForm) -> list[str]:
    """Fill what can be derived; returns the paths filled."""
    record = form.record
    filled: list[str] = []

    def missing(path: str) -> bool:
        provenance = form.provenance.get(path)
        return provenance is not None and provenance.method.startswith("ocr") and get_field(record, path) is None

    def fill(path: str, value: Decimal) -> None:
        set_field(record, path, value)
        old = form.provenance[path]
        form.provenance[path] = Provenance(old.page, old.bbox, "arithmetic", min(old.confidence, DERIVED_CONFIDENCE))
        filled.append(path)

    for key in FUNDING_KEYS:
        prefix = f"funding.{key}"
        executed, budget = (as_decimal(get_field(record, f"{prefix}.{k}")) for k in ("executed", "annual_budget"))
        if missing(f"{prefix}.execution_rate") and executed is not None and budget is not None:
            fill(f"{prefix}.execution_rate", expected_execution_rate(executed, budget))
    indicators = record.get("indicators") or []
    for part in ("score", "weight"):
        paths = [f"total_{part}", f"funding.total.{part}"] + [f"indicators[{i}].{part}" for i in range(len(indicators))]
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

