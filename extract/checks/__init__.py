"""The checks a read form goes through, as one ordered list of named stages.

Each stage is a function of the forms of one file and the context: it reads
and fills their `FormResult`s (values, field states, findings) and returns
nothing.  The order matters and is said here once:

1. repair          numbers OCR lost, re-derived where one rule gives them
2. second_opinion  the model's reading of every field and deviation cell
3. validation      the contract's arithmetic, and pages that could not be read
4. confidence      every field's confidence, by the one policy
5. routing         each field accepted, or pending for a person
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from extract.checks.confidence import ConfidencePolicy, score
from extract.checks.repair import repair
from extract.checks.routing import ReviewSettings, routing
from extract.checks.second_opinion import second_opinion
from extract.checks.validate import validation
from extract.model import FormResult

log = logging.getLogger("selfeval.checks")


@dataclass
class CheckContext:
    """What the stages need besides the forms."""

    tagger: Any | None = None                  # the field tagger (extract.parse.tagger), or None: rules only
    review: ReviewSettings = field(default_factory=ReviewSettings)
    policy: ConfidencePolicy = field(default_factory=ConfidencePolicy)
    failed_pages: dict[int, str] = field(default_factory=dict)   # page of the file → why it could not be read


Check = Callable[[list[FormResult], CheckContext], None]

CHECKS: tuple[tuple[str, Check], ...] = (
    ("repair", repair),
    ("second_opinion", second_opinion),
    ("validation", validation),
    ("confidence", score),
    ("routing", routing),
)


def run_checks(forms: list[FormResult], context: CheckContext) -> list[FormResult]:
    """Every stage in order over the forms of one file; returns the forms."""
    for name, check in CHECKS:
        started = time.perf_counter()
        check(forms, context)
        log.debug("%s: %d forms in %.3f s", name, len(forms), time.perf_counter() - started)
    return forms
