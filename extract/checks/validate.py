"""The contract's arithmetic (FORM_RECORD.md, *Arithmetic the forms obey*).

`validate(record)` returns one `Finding` per broken rule; an empty list means
the record is consistent.  A finding is either a misread or a real error on
the form: a person decides which.  Values that are missing (None) skip the rules
that need them.  Pure: no I/O, numbers as `decimal.Decimal`.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

from extract.checks.compare import as_decimal, numbers_close
from extract.model import FUNDING_KEYS, Finding, iter_fields
from extract.parse.values import normalise_for_compare

# Rule names, as stored in Finding.rule.
EXECUTION_RATE = "execution_rate"                # rate = executed / annual_budget × 100, truncated
FUNDING_SCORE = "funding_score"                  # score = weight × rate / 100, truncated, capped at weight
SCORE_ABOVE_WEIGHT = "score_above_weight"        # a score above its own weight (funding row or indicator)
SCORE_WITHOUT_DEVIATION = "score_without_deviation"  # score < weight and no 偏差原因 given (soft)
TOTAL_SCORE = "total_score"                      # 总分 score = funding total score + Σ indicator scores
TOTAL_WEIGHT = "total_weight"                    # 总分 weight = funding total weight + Σ indicator weights
GRADE = "grade"                                  # 评分等级 matches the band of total_score
# Not arithmetic: a page of the file could not be read, so a form on or
# next to it may be cut short.  Kept through review's re-validation.
PAGE_UNREADABLE = "page_unreadable"

RULES = (EXECUTION_RATE, FUNDING_SCORE, SCORE_ABOVE_WEIGHT, SCORE_WITHOUT_DEVIATION,
         TOTAL_SCORE, TOTAL_WEIGHT, GRADE)
# The contract says the form only "usually" explains a lost point.
SOFT_RULES = frozenset({SCORE_WITHOUT_DEVIATION})

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# (lowest total_score, grade), best first: 优 ≥ 90, 良 80–90, 中 60–80, 差 < 60.
GRADE_BANDS = ((Decimal(90), "优"), (Decimal(80), "良"), (Decimal(60), "中"), (None, "差"))


def validate(record: dict[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    funding = record.get("funding") or {}
    for key in FUNDING_KEYS:
        row = funding.get(key) or {}
        findings += _check_execution_rate(row, f"funding.{key}")
        findings += _check_funding_score(row, f"funding.{key}")
        findings += _check_score_within_weight(row, f"funding.{key}")
    for i, indicator in enumerate(record.get("indicators") or []):
        findings += _check_score_within_weight(indicator, f"indicators[{i}]")
        findings += _check_deviation_given(indicator, f"indicators[{i}]")
    findings += _check_total(record, "score", TOTAL_SCORE)
    findings += _check_total(record, "weight", TOTAL_WEIGHT)
    findings += _check_grade(record)
    return findings


def truncate_cents(value: Decimal) -> Decimal:
    """The forms cut, not round, to 2 decimals (99.32 / 99.34 → 99.97)."""
    return value.quantize(CENT, rounding=ROUND_DOWN)


def expected_execution_rate(executed: Decimal, annual_budget: Decimal) -> Decimal:
    if annual_budget == 0:
        return Decimal(0)   # an empty row (上年结转资金 0.00 0.00 0.00) prints a rate of 0.00
    return truncate_cents(executed * HUNDRED / annual_budget)


def expected_funding_score(weight: Decimal, execution_rate: Decimal) -> Decimal:
    return min(weight, truncate_cents(weight * execution_rate / HUNDRED))


def grade_for(total_score: Decimal) -> str:
    for lowest, grade in GRADE_BANDS:
        if lowest is None or total_score >= lowest:
            return grade
    raise AssertionError("unreachable: the last band has no floor")


def _check_execution_rate(row: dict[str, Any], prefix: str) -> list[Finding]:
    executed, budget, rate = _numbers(row, "executed", "annual_budget", "execution_rate")
    if executed is None or budget is None or rate is None:
        return []
    expected = expected_execution_rate(executed, budget)
    if numbers_close(expected, rate):
        return []
    return [Finding(EXECUTION_RATE,
                    [f"{prefix}.execution_rate", f"{prefix}.executed", f"{prefix}.annual_budget"],
                    expected, rate,
                    f"execution rate {rate} but {executed} / {budget} × 100 truncated is {expected}")]


def _check_funding_score(row: dict[str, Any], prefix: str) -> list[Finding]:
    weight, rate, score = _numbers(row, "weight", "execution_rate", "score")
    if weight is None or rate is None or score is None:
        return []
    expected = expected_funding_score(weight, rate)
    if numbers_close(expected, score):
        return []
    return [Finding(FUNDING_SCORE,
                    [f"{prefix}.score", f"{prefix}.weight", f"{prefix}.execution_rate"],
                    expected, score,
                    f"score {score} but {weight} × {rate}% truncated (at most the weight) is {expected}")]


def _check_score_within_weight(row: dict[str, Any], prefix: str) -> list[Finding]:
    weight, score = _numbers(row, "weight", "score")
    if weight is None or score is None or not _exceeds(score, weight):
        return []
    return [Finding(SCORE_ABOVE_WEIGHT, [f"{prefix}.score", f"{prefix}.weight"], weight, score,
                    f"score {score} above its weight {weight}")]


def _check_deviation_given(indicator: dict[str, Any], prefix: str) -> list[Finding]:
    weight, score = _numbers(indicator, "weight", "score")
    if weight is None or score is None or not _exceeds(weight, score):
        return []
    if (indicator.get("deviation") or "").strip():
        return []
    return [Finding(SCORE_WITHOUT_DEVIATION, [f"{prefix}.deviation", f"{prefix}.score", f"{prefix}.weight"],
                    "a deviation", None,
                    f"score {score} below weight {weight} and no deviation given")]


def _check_total(record: dict[str, Any], part: str, rule: str) -> list[Finding]:
    """总分's `part` ("score" or "weight") = funding total's + every indicator's."""
    stated = as_decimal(record.get(f"total_{part}"))
    funding_part = as_decimal(((record.get("funding") or {}).get("total") or {}).get(part))
    indicator_parts = [as_decimal(ind.get(part)) for ind in record.get("indicators") or []]
    if stated is None or funding_part is None or None in indicator_parts:
        return []
    expected = funding_part + sum(indicator_parts, Decimal(0))
    if numbers_close(expected, stated):
        return []
    fields = [f"total_{part}", f"funding.total.{part}"]
    fields += [f"indicators[{i}].{part}" for i in range(len(indicator_parts))]
    return [Finding(rule, fields, expected, stated,
                    f"total {part} {stated} but funding {funding_part} + indicators give {expected}")]


def _check_grade(record: dict[str, Any]) -> list[Finding]:
    total_score, grade = as_decimal(record.get("total_score")), record.get("grade")
    if total_score is None or grade is None:
        return []
    expected = grade_for(total_score)
    if normalise_for_compare(str(grade)) == expected:
        return []
    return [Finding(GRADE, ["grade", "total_score"], expected, grade,
                    f"grade {grade} but a total score of {total_score} is {expected}")]


def _numbers(row: dict[str, Any], *keys: str) -> list[Decimal | None]:
    return [as_decimal(row.get(key)) for key in keys]


def _exceeds(a: Decimal, b: Decimal) -> bool:
    """a > b by more than the contract's tolerance."""
    return a > b and not numbers_close(a, b)


def unreadable_page_findings(records: list[dict[str, Any]], failed: dict[int, str]) -> list[list[Finding]]:
    """Per record, a finding for each page that could not be read and that
    the form may run into: the last form that starts before the page and the
    first that ends after it.  The finding names every field read from the
    form, so that all of them go to review."""
    findings: list[list[Finding]] = [[] for _ in records]
    spans = [sorted((record.get("source") or {}).get("pages") or []) for record in records]
    for number, error in sorted(failed.items()):
        before = [i for i, pages in enumerate(spans) if pages and pages[0] < number]
        after = [i for i, pages in enumerate(spans) if pages and pages[-1] > number]
        for i in sorted({*before[-1:], *after[:1]}):
            fields = [path for path, _ in iter_fields(records[i])
                      if path not in ("schema_version", "form_id") and not path.startswith("source.")]
            findings[i].append(Finding(PAGE_UNREADABLE, fields, None, number,
                                       f"page {number} could not be read ({error}); the form may be incomplete"))
    return findings
