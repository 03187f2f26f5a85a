"""Which fields a person reviews (in Label Studio) and which are accepted as read.

A field is *pending* when its confidence is below the review threshold,
when a hard finding names it, or when it was re-derived rather than read;
every other field is *accepted*.  A reader's doubt about the table's
structure (`layout_in_doubt`: a row joined by guess, a column its header did
not give, a cell under an unexpected column) is a hard finding, and its
confidence is capped below any sensible threshold
(`ConfidencePolicy.layout_doubt`): what is accepted was read right *and* from
the right row and column.  Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from extract.checks.confidence import ALWAYS_REVIEWED
from extract.checks.validate import fields_named_by_findings
from extract.model import FieldPath, FormResult
from extract.settings import Settings

PENDING = "pending"
ACCEPTED = "accepted"
STATUSES = (PENDING, ACCEPTED)

# Set from the scanned evaluation corpus, not guessed:
#     .venv/bin/python bench/review_threshold.py --forms 100 --gold
# (100 synthetic eval forms and the 19 gold forms, each scanned at 200 dpi
# light and heavy and read by RapidOCR through the pipeline: 238 forms,
# 40,272 fields, 99.33% right before review).  At 0.97, 2.99% of fields go
# to review and the accepted ones are 99.63% right (145 wrong of 39,069).
# The lowest threshold reaching 99.5% over the whole set is 0.60 (1.87% to
# review, 99.58%), but it fails heavy scans alone (99.45%) and sits on a
# cliff: a disputed field read at 1.0 scores exactly 0.6.  0.97 is the lowest
# that reaches 99.5% on every slice alone (light, heavy, gold, synthetic;
# synthetic heavy: 99.51%).  What stays wrong yet confident is OCR's: a lost
# 、 or 。, ‰ read as %, a speck read as a dot, all at 0.96–0.9999.
DEFAULT_REVIEW_THRESHOLD = 0.97

# Whether a soft finding (validate.SOFT_RULES: points lost with no deviation
# given) sends the fields it names to review.  It does not.  The contract
# says a form only "usually" explains a lost point, so such a finding is a
# property of the form, not a sign of a misread.  Measured both ways (the
# bench prints both): soft findings named 90 fields of the set above, none of
# them wrong; routing them adds 0.22 points of review and no accuracy.  A
# misread that does cause one (a deviation read as empty, a score misread)
# shows in its own confidence or in the hard rules (totals, score ≤ weight).
ROUTE_SOFT_FINDINGS = False


@dataclass(frozen=True)
class ReviewSettings(Settings):
    """How fields are routed: below `threshold` a field goes to review."""

    threshold: float = DEFAULT_REVIEW_THRESHOLD
    soft_findings: bool = ROUTE_SOFT_FINDINGS

    def __post_init__(self) -> None:
        threshold = self.threshold
        # bool is an int to Python, but True is no threshold
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
            raise ValueError(f"the review threshold must be a number in (0, 1], not {threshold!r}")
        if not isinstance(self.soft_findings, bool):
            raise ValueError(f"soft_findings must be True or False, not {self.soft_findings!r}")


def route(form: FormResult, threshold: float | ReviewSettings = DEFAULT_REVIEW_THRESHOLD) -> dict[FieldPath, str]:
    """PENDING or ACCEPTED for every field path of the form's record, in contract order.

    A field with no confidence recorded is pending: what was not scored was
    not checked.  So is one a hard finding names, and one whose doubts
    always want a person (a number re-derived by arithmetic), whatever the
    threshold.
    """
    settings = threshold if isinstance(threshold, ReviewSettings) else ReviewSettings(threshold)
    named = fields_named_by_findings(form.findings, settings.soft_findings)
    statuses: dict[FieldPath, str] = {}
    for path, _, state in form.leaves():
        doubtful = state.confidence is None or state.confidence < settings.threshold
        statuses[path] = PENDING if doubtful or path in named or state.doubts & ALWAYS_REVIEWED else ACCEPTED
    return statuses


def routing(forms: list[FormResult], context: "CheckContext") -> None:
    """The check stage: each field accepted as read, or pending for a person."""
    for form in forms:
        for path, status in route(form, context.review).items():
            form.state(path).status = status


def pending_fields(form: FormResult, threshold: float | ReviewSettings = DEFAULT_REVIEW_THRESHOLD) -> list[str]:
    """The paths that go to review, in contract order."""
    return [path for path, status in route(form, threshold).items() if status == PENDING]


if TYPE_CHECKING:
    from extract.checks import CheckContext
