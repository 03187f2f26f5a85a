"""The one confidence policy: a confidence in [0, 1] for every field.

It starts from how the field was read (1.0 for a text layer, the engine's
score for OCR, a lower share of the lines' score for text read off a page
with no grid) and is then moved by what the other checks found:
- a number that makes a rule of the contract hold is more trustworthy than
  its reading says, one named by a broken rule less;
- a field the model reads otherwise (`DISPUTED`) drops where OCR read it
  (or the model itself split it); read from a text layer it keeps its
  confidence: the model then reads the very characters the parser placed,
  so its dispute is only about where a value sits, which the reader's own
  layout doubts and the form's arithmetic judge far better (measured on the
  tuning styles' flat text: the dispute alone sent 2.6–2.9% of all fields
  to review, of which 0.1–0.7% were wrong).  The doubt stays on the field
  for a reviewer who sees it for another reason;
- a field whose place in the table the reader doubts (a `layout_in_doubt`
  finding: a row joined or split by guess, a column not found by its
  header, a cell under an unexpected column) is at most `layout_doubt`,
  however perfectly its text was read and whatever rule it makes hold: a
  rule cannot confirm a value that may belong to another row;
- a number re-derived by arithmetic (`DERIVED`) stays at most
  `derived` however its rules come out: the rule that gave it cannot also
  confirm it.  Routing sends every `DERIVED` field to a person, at any
  threshold;
- a field of a flat text whose table the reader had to guess (lines by
  height, pdfminer's boxes) is at most `guessed_layout` when its form's
  totals do not add up (a row lost, two forms run together): such a table
  was rebuilt wrong somewhere the reader could not see.  Where they add up,
  the reader's own doubts (layout_in_doubt) say which cells it guessed;
- a cell read by OCR whose text holds a comparison sign that fonts draw in
  two forms (≥ or ⩾, ≤ or ⩽: mostly targets) is at most `variant_sign`: no
  recogniser tells them apart, and the contract keeps the character
  printed.  The leaves parsed from it (operator, value, unit) are the same
  either way and are not capped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from extract.checks.validate import (LAYOUT_IN_DOUBT, SCORE_ABOVE_WEIGHT, TOTAL_SCORE, TOTAL_WEIGHT,
                                    fields_named_by_findings)
from extract.model import FUNDING_KEYS, FieldPath, FormResult, Provenance, iter_fields
from extract.parse.box_text import METHOD as BOX_TEXT
from extract.parse.row_text import GUESSED_METHOD as ROW_TEXT_GUESSED
from extract.settings import Settings, check_number

log = logging.getLogger("selfeval.checks")

# Readers that rebuild a table from a flat text by guessing which row and
# column each piece belongs to (pdfplumber's and pdftotext's lines, pdfminer's
# boxes).  They name the cells whose place was a close call; what they cannot
# see is a table rebuilt wrong as a whole, which its totals show.
GUESSED_LAYOUT_METHODS = frozenset({ROW_TEXT_GUESSED, BOX_TEXT})
# The rules a table rebuilt wrong as a whole breaks.
STRUCTURE_RULES = frozenset({TOTAL_WEIGHT, TOTAL_SCORE, SCORE_ABOVE_WEIGHT})

# Comparison signs some fonts draw in a second form (≥ as ⩾): OCR reads
# both as one and cannot say which was printed.
VARIANT_SIGNS = "≥≤⩾⩽"
OCR_METHOD_PREFIX = "ocr:"
NER_METHOD = "ner"          # a part the model split off a cell (extract.checks.second_opinion)

# What a check may doubt about a field (FieldState.doubts).
DISPUTED = "disputed"      # the model reads it otherwise (extract.checks.second_opinion)
DERIVED = "derived"        # re-derived by arithmetic, not read (extract.checks.repair)
# Doubts that send a field to a person whatever its confidence.
ALWAYS_REVIEWED = frozenset({DERIVED})


@dataclass(frozen=True)
class ConfidencePolicy(Settings):
    """How far each finding moves a field's confidence."""

    broken_rule: float = 0.5        # confidence × this for a field a broken rule names
    confirmed_doubt: float = 0.25   # a rule that holds leaves its fields this share of their doubt (1 − confidence)
    disputed: float = 0.6           # confidence × this where the model reads a field otherwise ...
    disputed_text_layer: float = 1.0  # ... and this where its cell came from a text layer (module doc)
    derived: float = 0.6            # a number re-derived by arithmetic: at most this
    flat_page: float = 0.8          # text read off a page with no grid: the lines' score × this
    not_found: float = 0.5          # a field no cell gave (no provenance): a form cut short, a label not known
    layout_doubt: float = 0.4       # a field a layout_in_doubt finding names: at most this
    guessed_layout: float = 0.9     # a field of a guessed flat table whose totals do not add up: at most this
    variant_sign: float = 0.9       # a cell's OCR text holding ≥ ≤ (which some fonts draw ⩾ ⩽): at most this

    def __post_init__(self) -> None:
        for item in fields(self):
            check_number(self, item.name, 0, 1)


def field_confidence(form: FormResult, policy: ConfidencePolicy = ConfidencePolicy()) -> dict[FieldPath, float]:
    """The confidence of every leaf of the form, by the policy."""
    record = form.record
    layout = fields_named_by_findings(f for f in form.findings if f.rule == LAYOUT_IN_DOUBT)
    broken = fields_named_by_findings((f for f in form.findings if f.rule != LAYOUT_IN_DOUBT), soft=False)
    confirmed = arithmetic_fields(record) - broken - layout
    structure_broken = any(f.rule in STRUCTURE_RULES for f in form.findings)
    confidence: dict[FieldPath, float] = {}
    for path, found in iter_fields(record):
        doubts = form.state(path).doubts
        value = _reading_confidence(form, path, found, policy)
        if path in broken:
            value *= policy.broken_rule
        elif path in confirmed and DERIVED not in doubts:
            value = 1.0 - (1.0 - value) * policy.confirmed_doubt
        if DERIVED in doubts:
            value = min(value, policy.derived)
        provenance = form.provenance(path.cell)
        if DISPUTED in doubts:
            # a part the model split off its cell carries a provenance of its own
            read_from_text = read_from_text_layer(form.provenance(path) or provenance)
            value *= policy.disputed_text_layer if read_from_text else policy.disputed
        if path in layout or path.cell in layout:
            value = min(value, policy.layout_doubt)
        if structure_broken and provenance is not None and provenance.method in GUESSED_LAYOUT_METHODS:
            value = min(value, policy.guessed_layout)
        if provenance is not None and path.cell == path and _has_variant_sign(provenance, found):
            value = min(value, policy.variant_sign)
        confidence[path] = round(min(1.0, max(0.0, value)), 4)
    return confidence


def _reading_confidence(form: FormResult, path: FieldPath, found: Any, policy: ConfidencePolicy) -> float:
    provenance = form.provenance(path.cell)   # a parsed leaf is as sure as the cell it comes from
    if provenance is not None:
        factor = policy.flat_page if provenance.method.startswith("flat:") else 1.0
        return provenance.confidence * factor
    if found is None and path.cell == path and path.is_read_from_form:
        return policy.not_found
    return 1.0


def read_from_text_layer(provenance: Provenance | None) -> bool:
    """A cell whose characters a text layer gave (not OCR, not the model's own split)."""
    return provenance is not None and OCR_METHOD_PREFIX not in provenance.method and provenance.method != NER_METHOD


def _has_variant_sign(provenance: Provenance, found: Any) -> bool:
    return (provenance.method.startswith(OCR_METHOD_PREFIX) and isinstance(found, str)
            and any(sign in found for sign in VARIANT_SIGNS))


def arithmetic_fields(record: dict[str, Any]) -> set[FieldPath]:
    """The numeric fields some rule of the contract checks, where all its inputs are present."""
    from extract.checks.validate import total_parts

    found: set[FieldPath] = set()
    funding = record.get("funding") or {}
    for key in FUNDING_KEYS:
        row = funding.get(key) or {}
        for rule in (("executed", "annual_budget", "execution_rate"), ("weight", "execution_rate", "score")):
            if all(row.get(k) is not None for k in rule):
                found |= {FieldPath.funding(key, k) for k in rule}
    indicators = record.get("indicators") or []
    for part in ("score", "weight"):
        values = [record.get(f"total_{part}"), (funding.get("total") or {}).get(part)] + [i.get(part) for i in indicators]
        if all(v is not None for v in values):
            found |= set(total_parts(record, part))
    if record.get("total_score") is not None and record.get("grade") is not None:
        found.add(FieldPath.top("grade"))
    return found


def score(forms: list[FormResult], context: "CheckContext") -> None:
    """The check stage: every field's confidence, by the context's policy."""
    for form in forms:
        for path, value in field_confidence(form, context.policy).items():
            form.state(path).confidence = value


if TYPE_CHECKING:
    from extract.checks import CheckContext
