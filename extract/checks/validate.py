"""The contract's arithmetic (FORM_RECORD.md, *Arithmetic the forms obey*).

`validate(record)` returns one `Finding` per broken rule; an empty list means
the record is consistent.  A finding is either a misread or a real error on
the form: a person decides which.  Values that are missing (None) skip the rules
that need them.  Pure: no I/O, numbers as `decimal.Decimal`.

`validation` is the check stage: the arithmetic, and a finding for each form
on or next to a page of its file that could not be read.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any, Iterable

from extract.checks.compare import as_decimal, numbers_close
from extract.layout.templates import family_arithmetic
from extract.model import FUNDING_KEYS, FieldPath, Finding, FormResult, iter_fields
from extract.parse.assembly import LAYOUT_IN_DOUBT as ASSEMBLY_LAYOUT_IN_DOUBT
from extract.parse.values import cut_and_rounded, normalise_for_compare, printed_places

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
# Not arithmetic either: the reader doubts the table's structure (a row
# joined or split by guess, a column not found by its header); its fields
# go to review whatever their text.  Made by the readers, not here.
LAYOUT_IN_DOUBT = ASSEMBLY_LAYOUT_IN_DOUBT

RULES = (EXECUTION_RATE, FUNDING_SCORE, SCORE_ABOVE_WEIGHT, SCORE_WITHOUT_DEVIATION,
         TOTAL_SCORE, TOTAL_WEIGHT, GRADE)
# The contract says the form only "usually" explains a lost point.
SOFT_RULES = frozenset({SCORE_WITHOUT_DEVIATION})

CENT = Decimal("0.01")
EITHER_ROUNDING = "either"     # a form of no known family: cut or rounded, whichever it prints
HUNDRED = Decimal(100)
# (lowest total_score, grade), best first: 优 ≥ 90, 良 80–90, 中 60–80, 差 < 60.
GRADE_BANDS = ((Decimal(90), "优"), (Decimal(80), "良"), (Decimal(60), "中"), (None, "差"))


def validate(record: dict[str, Any], families: tuple[str, ...] | None = None) -> list[Finding]:
    """The contract's arithmetic, as the form's family does it (`families`,
    as the reader found them; else those printing its title;
    `extract.layout.templates.family_arithmetic`): its rounding, and weights
    above the total where its forms print them so.  A form of no known
    family, or of families that differ, is checked as either rounding allows
    (EITHER_ROUNDING); a record that names neither (no families, no title)
    by the contract's, where its places can tell."""
    findings: list[Finding] = []
    rules = family_arithmetic(families, record.get("title"))
    told = families is not None or bool(record.get("title"))
    rounding = rules.rate if rules else (EITHER_ROUNDING if told else None)
    funding = record.get("funding") or {}
    for key in FUNDING_KEYS:
        row = funding.get(key) or {}
        findings += _check_execution_rate(row, FieldPath.funding(key, "execution_rate"), rounding)
        findings += _check_funding_score(row, FieldPath.funding(key, "score"), rounding)
        findings += _check_score_within_weight(row, FieldPath.funding(key, "score"))
    for i, indicator in enumerate(record.get("indicators") or []):
        findings += _check_score_within_weight(indicator, FieldPath.indicator(i, "score"))
        findings += _check_deviation_given(indicator, FieldPath.indicator(i, "deviation"))
    findings += _check_total(record, "score", TOTAL_SCORE)
    findings += _check_total(record, "weight", TOTAL_WEIGHT,
                             parts_may_exceed=rules is not None and rules.weights_may_exceed_total)
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


def _as_the_family_prints(found: Decimal, exact: Decimal | None, rounding: str | None) -> bool:
    """Whether `found` is `exact` cut or rounded to the places it prints, as
    the form's family does it (`rounding`, `Arithmetic.rate`): other regions
    round where Shanghai truncates (Hebei prints 37.24 / 43.2 as 86).  Of a
    form of no known family (EITHER_ROUNDING) it may be either: the
    contract's rule is Shanghai's, and other regions round (FORM_RECORD.md,
    Other templates).  With nothing known (None) a figure of fewer than two
    decimals may be either, as its printed figure cannot say which; two
    decimals cut is the contract's rule and is checked by the caller."""
    places = printed_places(found)
    if exact is None or places > 2:
        return False
    cut, rounded = cut_and_rounded(exact, places)
    if rounding == EITHER_ROUNDING:
        return found in (cut, rounded)
    if rounding is None:
        return places < 2 and found in (cut, rounded)
    return found == (cut if rounding == "truncate" else rounded)


def _exact_execution_rate(executed: Decimal, annual_budget: Decimal) -> Decimal | None:
    return executed * HUNDRED / annual_budget if annual_budget else None


def _exact_funding_score(weight: Decimal, execution_rate: Decimal) -> Decimal:
    return min(weight, weight * execution_rate / HUNDRED)


def _derived_rule(rule: str, result: FieldPath, inputs: tuple[str, str], row: dict[str, Any],
                  expected_of, exact_of, message: str, rounding: str | None) -> list[Finding]:
    """A funding row's `result` that its two `inputs` give (execution rate, score)."""
    a, b, found = _numbers(row, *inputs, result.key)
    if a is None or b is None or found is None:
        return []
    expected, exact = expected_of(a, b), exact_of(a, b)
    if rounding in (None, "truncate") and numbers_close(expected, found):
        return []
    if _as_the_family_prints(found, exact, rounding):
        return []
    if rounding not in (None, "truncate", EITHER_ROUNDING) and exact is not None:   # say what the family's rounding gives
        expected = cut_and_rounded(exact, min(2, printed_places(found)))[1]
        message = message.replace("truncated", "rounded")
    return [Finding(rule, [result] + [result.sibling(key) for key in inputs], expected, found,
                    message.format(found=found, a=a, b=b, expected=expected))]


def _check_execution_rate(row: dict[str, Any], rate: FieldPath, rounding: str | None = None) -> list[Finding]:
    return _derived_rule(EXECUTION_RATE, rate, ("executed", "annual_budget"), row, expected_execution_rate,
                         _exact_execution_rate, "execution rate {found} but {a} / {b} × 100 truncated is {expected}",
                         rounding)


def _check_funding_score(row: dict[str, Any], score: FieldPath, rounding: str | None = None) -> list[Finding]:
    return _derived_rule(FUNDING_SCORE, score, ("weight", "execution_rate"), row, expected_funding_score,
                         _exact_funding_score, "score {found} but {a} × {b}% truncated (at most the weight) is {expected}",
                         rounding)


def _check_score_within_weight(row: dict[str, Any], score_path: FieldPath) -> list[Finding]:
    weight, score = _numbers(row, "weight", "score")
    if weight is None or score is None or not _exceeds(score, weight):
        return []
    return [Finding(SCORE_ABOVE_WEIGHT, [score_path, score_path.sibling("weight")], weight, score,
                    f"score {score} above its weight {weight}")]


def _check_deviation_given(indicator: dict[str, Any], deviation: FieldPath) -> list[Finding]:
    weight, score = _numbers(indicator, "weight", "score")
    if weight is None or score is None or not _exceeds(weight, score):
        return []
    if (indicator.get("deviation") or "").strip():
        return []
    return [Finding(SCORE_WITHOUT_DEVIATION, [deviation, deviation.sibling("score"), deviation.sibling("weight")],
                    "a deviation", None,
                    f"score {score} below weight {weight} and no deviation given")]


# The printed cells of an indicator row: what a row joined or split wrongly moves.
ROW_CELLS = ("name", "target", "actual", "weight", "score", "deviation")


def row_fields(index: int) -> list[FieldPath]:
    """Every leaf read from indicator `index`'s row but its merged 一级/二级 cells."""
    cells = [FieldPath.indicator(index, key) for key in ROW_CELLS]
    return [leaf for cell in cells for leaf in (cell, *cell.parsed)]


def _check_total(record: dict[str, Any], part: str, rule: str, parts_may_exceed: bool = False) -> list[Finding]:
    """总分's `part` ("score" or "weight") = funding total's + every indicator's;
    `parts_may_exceed`: the parts may add up to more than the total (衔接资金
    forms print weights so), not to less.

    Where some indicators print the part and others print none, the sum
    cannot be checked, and a row with no 分值/得分 is most often a piece of
    another row read as one of its own (or a row whose numbers were lost):
    the finding names those rows' cells, and the total."""
    stated = as_decimal(record.get(f"total_{part}"))
    funding_part = as_decimal(((record.get("funding") or {}).get("total") or {}).get(part))
    indicator_parts = [as_decimal(ind.get(part)) for ind in record.get("indicators") or []]
    if stated is None or funding_part is None:
        return []
    lacking = [i for i, value in enumerate(indicator_parts) if value is None]
    if lacking and len(lacking) < len(indicator_parts):
        fields = [FieldPath.top(f"total_{part}")] + [f for i in lacking for f in row_fields(i)]
        return [Finding(rule, fields, "a figure per indicator", None,
                        f"total {part} {stated}, but indicators {', '.join(map(str, lacking))} print no {part}: "
                        "a row split or joined wrongly, or a figure lost")]
    if lacking:
        return []
    expected = funding_part + sum(indicator_parts, Decimal(0))
    if numbers_close(expected, stated) or (parts_may_exceed and expected > stated):
        return []
    fields = total_parts(record, part)
    return [Finding(rule, fields, expected, stated,
                    f"total {part} {stated} but funding {funding_part} + indicators give {expected}")]


def _check_grade(record: dict[str, Any]) -> list[Finding]:
    total_score, grade = as_decimal(record.get("total_score")), record.get("grade")
    if total_score is None or grade is None:
        return []
    expected = grade_for(total_score)
    if normalise_for_compare(str(grade)) == expected:
        return []
    return [Finding(GRADE, [FieldPath.top("grade"), FieldPath.top("total_score")], expected, grade,
                    f"grade {grade} but a total score of {total_score} is {expected}")]


def total_parts(record: dict[str, Any], part: str) -> list[FieldPath]:
    """总分's `part` ("score" or "weight"), then the funding total's and each indicator's."""
    return ([FieldPath.top(f"total_{part}"), FieldPath.funding("total", part)]
            + [FieldPath.indicator(i, part) for i in range(len(record.get("indicators") or []))])


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
            fields = [path for path, _ in iter_fields(records[i]) if path.is_read_from_form]
            findings[i].append(Finding(PAGE_UNREADABLE, fields, None, number,
                                       f"page {number} could not be read ({error}); the form may be incomplete"))
    return findings


def fields_named_by_findings(findings: Iterable[Finding], soft: bool = False) -> set[FieldPath]:
    """The field paths that the findings name; soft rules count only with `soft`."""
    return {FieldPath.of(path) for finding in findings if soft or finding.rule not in SOFT_RULES
            for path in finding.fields}


def joined_indicators(form: FormResult) -> list[int]:
    """The indicators a cell of which was read in pieces on two pages (a row
    Word broke across a page, joined again by the reader)."""
    joined = []
    for i in range(len(form.record.get("indicators") or [])):
        provenances = (form.provenance(FieldPath.indicator(i, key)) for key in ROW_CELLS)
        if any(p is not None and p.continued for p in provenances):
            joined.append(i)
    return joined


def with_structure_suspects(form: FormResult, findings: list[Finding]) -> list[Finding]:
    """A total that does not add up names every indicator's weight or score,
    but where a row was joined across a page break, the join is as likely the
    cause as any figure (a row of its own taken for the rest of the one
    before, so one indicator too few): the joined rows' cells are named too."""
    joined = joined_indicators(form)
    if not joined:
        return findings
    for finding in findings:
        if finding.rule in (TOTAL_SCORE, TOTAL_WEIGHT):
            named = set(finding.fields)
            finding.fields = list(finding.fields) + [f for i in joined for f in row_fields(i) if f not in named]
            finding.message += f"; indicators {', '.join(map(str, joined))} were joined across a page break"
    return findings


def validation(forms: list[FormResult], context: "CheckContext") -> None:
    """The check stage: each form's arithmetic, and its unreadable neighbours."""
    for form in forms:
        form.findings.extend(with_structure_suspects(form, validate(form.record, form.families)))
    if context.failed_pages:
        found = unreadable_page_findings([form.record for form in forms], context.failed_pages)
        for form, findings in zip(forms, found):
            form.findings.extend(findings)


if TYPE_CHECKING:
    from extract.checks import CheckContext
