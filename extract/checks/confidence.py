"""A confidence in [0, 1] for every field of a record.

It starts from how the field was read (1.0 for a text layer, the engine's
score for OCR) and is then moved by the contract's arithmetic: a number that
makes a rule hold is more trustworthy than its OCR score says, one named by a
broken rule less.
"""

from __future__ import annotations

from typing import Any

from extract.model import FUNDING_KEYS, ParsedForm, iter_fields
from extract.checks.routing import fields_named_by_findings

# How far a rule moves a field's confidence.
BROKEN_RULE_FACTOR = 0.5        # confidence × this
CONFIRMED_DOUBT_FACTOR = 0.25   # the doubt (1 − confidence) × this
DISPUTED_FACTOR = 0.6           # where the model and the rules read a field differently
# A field read as flat text off a page where no grid was found: the lines'
# reading confidence × this, below what the same text in a ruled cell gets.
FLAT_PAGE_FACTOR = 0.8

# A field the parser found no cell for (empty, with no provenance).  A
# printed '-' or an empty cell has provenance; a missing one is a doubt.
NOT_FOUND_CONFIDENCE = 0.5
_NOT_READ_FROM_THE_FORM = frozenset({"schema_version", "form_id"})

# Leaves parsed out of another cell take that cell's reading confidence.
_DERIVED_FROM = {
    "target_op": "target", "target_value": "target", "target_unit": "target",
    "actual_value": "actual", "actual_unit": "actual",
    "deviation_cause": "deviation", "improvement": "deviation",
}


def field_confidence(form: ParsedForm, disputed: set[str] = frozenset()) -> dict[str, float]:
    record = form.record
    broken = fields_named_by_findings(form.findings, soft=False)
    confirmed = arithmetic_fields(record) - broken
    confidence: dict[str, float] = {}
    for path, found in iter_fields(record):
        value = _reading_confidence(form, path, found)
        if path in broken:
            value *= BROKEN_RULE_FACTOR
        elif path in confirmed:
            value = 1.0 - (1.0 - value) * CONFIRMED_DOUBT_FACTOR
        if path in disputed:
            value *= DISPUTED_FACTOR
        confidence[path] = round(min(1.0, max(0.0, value)), 4)
    return confidence


def _reading_confidence(form: ParsedForm, path: str, found: Any) -> float:
    head, _, leaf = path.rpartition(".")
    source_path = f"{head}.{_DERIVED_FROM[leaf]}" if head.startswith("indicators[") and leaf in _DERIVED_FROM else path
    provenance = form.provenance.get(source_path)
    if provenance is not None:
        return provenance.confidence
    if found is None and source_path == path and path not in _NOT_READ_FROM_THE_FORM \
            and not path.startswith("source."):
        return NOT_FOUND_CONFIDENCE  # no cell gave it: a form cut short, a label not recognised
    return 1.0


def arithmetic_fields(record: dict[str, Any]) -> set[str]:
    """The numeric fields some rule of the contract checks, where all its inputs are present."""
    fields: set[str] = set()
    funding = record.get("funding") or {}
    for key in FUNDING_KEYS:
        row = funding.get(key) or {}
        if all(row.get(k) is not None for k in ("executed", "annual_budget", "execution_rate")):
            fields |= {f"funding.{key}.{k}" for k in ("executed", "annual_budget", "execution_rate")}
        if all(row.get(k) is not None for k in ("weight", "execution_rate", "score")):
            fields |= {f"funding.{key}.{k}" for k in ("weight", "execution_rate", "score")}
    indicators = record.get("indicators") or []
    for part in ("score", "weight"):
        parts = [f"total_{part}", f"funding.total.{part}"] + [f"indicators[{i}].{part}" for i in range(len(indicators))]
        values = [record.get(f"total_{part}"), (funding.get("total") or {}).get(part)] + [i.get(part) for i in indicators]
        if all(v is not None for v in values):
            fields |= set(parts)
    if record.get("total_score") is not None and record.get("grade") is not None:
        fields.add("grade")
    return fields
