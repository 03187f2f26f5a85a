"""Each arithmetic rule of the contract fires on a broken record and is silent on a good one."""

import copy
from decimal import Decimal

import pytest

from extract.model import empty_indicator, empty_record
from extract.checks.validate import (
    EXECUTION_RATE,
    FUNDING_SCORE,
    GRADE,
    RULES,
    SCORE_ABOVE_WEIGHT,
    SCORE_WITHOUT_DEVIATION,
    SOFT_RULES,
    TOTAL_SCORE,
    TOTAL_WEIGHT,
    expected_execution_rate,
    expected_funding_score,
    grade_for,
    truncate_cents,
    validate,
)

D = Decimal


def _indicator(weight, score, deviation=None):
    indicator = empty_indicator()
    indicator.update(name="分析报告", weight=D(weight), score=D(score), deviation=deviation)
    return indicator


def good_record():
    """Form 1 of the seed, reduced to two indicators worth 89 of 90."""
    record = empty_record()
    record["funding"]["total"].update(initial_budget=D("99.34"), annual_budget=D("99.34"), executed=D("99.32"),
                                      weight=D("10.00"), execution_rate=D("99.97"), score=D("9.99"))
    record["funding"]["current_appropriation"].update(initial_budget=D("99.34"), annual_budget=D("99.34"),
                                                      executed=D("99.32"), execution_rate=D("99.97"))
    record["funding"]["carryover"].update(initial_budget=D(0), annual_budget=D(0), executed=D(0),
                                          execution_rate=D(0))
    record["indicators"] = [_indicator("85.00", "85.00"), _indicator("5.00", "4.00", "因数据滞后。改进措施：加强沟通。")]
    record.update(total_weight=D("100.00"), total_score=D("98.99"), grade="优")
    return record


def rules(record):
    return sorted(f.rule for f in validate(record))


def test_good_record_is_silent():
    assert validate(good_record()) == []


@pytest.mark.parametrize("executed, budget, rate", [
    ("99.32", "99.34", "99.97"),
    ("3.00", "3.44", "87.20"),
    ("65.00", "75.00", "86.66"),   # cut, never rounded up to 86.67
    ("0", "0", "0.00"),
])
def test_execution_rate_is_truncated(executed, budget, rate):
    assert expected_execution_rate(D(executed), D(budget)) == D(rate)


def test_funding_score_is_truncated_and_capped():
    assert expected_funding_score(D(10), D("99.97")) == D("9.99")
    assert expected_funding_score(D(10), D("87.20")) == D("8.72")
    assert expected_funding_score(D(10), D("120.00")) == D(10)
    assert truncate_cents(D("9.999")) == D("9.99")


def test_execution_rate_rule():
    record = good_record()
    record["funding"]["total"]["execution_rate"] = D("99.98")   # rounded instead of cut
    findings = [f for f in validate(record) if f.rule == EXECUTION_RATE]
    assert len(findings) == 1
    assert findings[0].fields[0] == "funding.total.execution_rate"
    assert (findings[0].expected, findings[0].found) == (D("99.97"), D("99.98"))


def test_execution_rate_rule_per_row():
    record = good_record()
    record["funding"]["current_appropriation"]["execution_rate"] = D("90.00")
    assert [f.fields[0] for f in validate(record)] == ["funding.current_appropriation.execution_rate"]


def test_zero_budget_allows_only_a_zero_rate():
    record = good_record()
    record["funding"]["carryover"]["execution_rate"] = None
    assert validate(record) == []
    record["funding"]["carryover"]["execution_rate"] = D("5.00")
    assert [f.fields[0] for f in validate(record)] == ["funding.carryover.execution_rate"]


def test_funding_score_rule():
    record = good_record()
    record["funding"]["total"]["score"] = D("10.00")
    record["total_score"] = D("99.00")   # keep 总分 consistent: only the funding score is off
    assert rules(record) == [FUNDING_SCORE]


def test_funding_score_above_weight():
    record = good_record()
    total = record["funding"]["total"]
    total.update(executed=D("120.00"), annual_budget=D("100.00"), execution_rate=D("120.00"), score=D("12.00"))
    record["total_score"] = D("101.00")
    assert rules(record) == sorted([FUNDING_SCORE, SCORE_ABOVE_WEIGHT])


def test_total_score_rule():
    record = good_record()
    record["total_score"] = D("97.99")
    findings = validate(record)
    assert [f.rule for f in findings] == [TOTAL_SCORE]
    assert findings[0].expected == D("98.99")
    assert findings[0].fields[:2] == ["total_score", "funding.total.score"]


def test_total_weight_rule():
    record = good_record()
    record["indicators"][0]["weight"] = D("80.00")
    record["indicators"][0]["score"] = D("80.00")
    record["total_score"] = D("93.99")
    assert rules(record) == [TOTAL_WEIGHT]


def test_indicator_score_above_weight():
    record = good_record()
    record["indicators"][0].update(weight=D("80.00"), score=D("85.00"))
    record["indicators"][1].update(weight=D("10.00"))
    findings = validate(record)
    assert [(f.rule, f.fields[0]) for f in findings] == [(SCORE_ABOVE_WEIGHT, "indicators[0].score")]


def test_lost_points_without_deviation_is_soft():
    record = good_record()
    record["indicators"][1]["deviation"] = None
    findings = validate(record)
    assert [(f.rule, f.fields[0]) for f in findings] == [(SCORE_WITHOUT_DEVIATION, "indicators[1].deviation")]
    assert SCORE_WITHOUT_DEVIATION in SOFT_RULES
    record["indicators"][1]["deviation"] = "  "
    assert rules(record) == [SCORE_WITHOUT_DEVIATION]


@pytest.mark.parametrize("score, grade", [
    ("100", "优"), ("90", "优"), ("89.99", "良"), ("80", "良"), ("79.99", "中"), ("60", "中"), ("59.99", "差"), ("0", "差"),
])
def test_grade_bands(score, grade):
    assert grade_for(D(score)) == grade


def test_grade_rule():
    record = good_record()
    record["grade"] = "良"
    findings = validate(record)
    assert [(f.rule, f.expected, f.found) for f in findings] == [(GRADE, "优", "良")]


def test_within_tolerance_is_silent():
    record = good_record()
    record["total_score"] = D("98.994")
    record["funding"]["total"]["execution_rate"] = D("99.974")
    assert validate(record) == []


def test_missing_values_skip_rules():
    record = good_record()
    record["funding"]["total"].update(executed=None, score=None)
    record["indicators"][0]["score"] = None
    record.update(total_weight=None, grade=None)
    assert validate(record) == []
    assert validate(empty_record()) == []


def test_float_int_and_str_inputs():
    record = good_record()
    total = record["funding"]["total"]
    total.update(annual_budget=99.34, executed="99.32", weight=10, execution_rate="99.97%", score=9.99)
    record["total_score"] = 98.99
    assert validate(record) == []
    broken = copy.deepcopy(record)
    broken["funding"]["total"]["execution_rate"] = 99.98
    assert rules(broken) == [EXECUTION_RATE]


def test_rule_names_are_snake_case_and_findings_serialise():
    assert all(rule.isidentifier() and rule.islower() for rule in RULES)
    record = good_record()
    record["grade"] = "差"
    assert validate(record)[0].to_dict()["rule"] == GRADE


def test_an_indicator_without_a_weight_among_weighted_ones_breaks_the_total():
    """A row with no 分值 is most often a piece of another row read as its
    own: the sum cannot be checked, and the finding names that row's cells."""
    from extract.checks.validate import row_fields

    record = good_record()
    extra = empty_indicator()
    extra.update(name="的完成情况", target="全部")
    record["indicators"].append(extra)
    (finding,) = [f for f in validate(record) if f.rule == TOTAL_WEIGHT]
    assert finding.fields[0] == "total_weight"
    assert set(row_fields(2)) <= set(finding.fields)
    assert "indicators[2].target_value" in finding.fields and "indicators[0].name" not in finding.fields
    assert TOTAL_SCORE in rules(record)


def test_a_template_without_weights_is_silent():
    record = good_record()
    for indicator in record["indicators"]:
        indicator.update(weight=None, score=None)
    assert TOTAL_WEIGHT not in rules(record) and TOTAL_SCORE not in rules(record)


def test_a_total_off_names_the_rows_joined_across_a_page_break():
    from extract.checks import CheckContext
    from extract.checks.validate import validation
    from extract.model import BBox, FormResult, Provenance

    record = good_record()
    record["total_weight"] = D("110.00")
    form = FormResult(record)
    cut = Provenance(1, BBox(0, 700, 10, 790), "pdf-text").with_continuation(Provenance(2, BBox(0, 50, 10, 70),
                                                                                        "pdf-text"))
    form.state("indicators[1].target").provenance = cut
    validation([form], CheckContext())
    (finding,) = [f for f in form.findings if f.rule == TOTAL_WEIGHT]
    assert {"indicators[1].name", "indicators[1].target", "indicators[1].deviation",
            "indicators[1].improvement", "indicators[0].weight"} <= set(finding.fields)
    assert "indicators[0].name" not in finding.fields and "joined across a page break" in finding.message
    assert [f.rule for f in form.findings].count(TOTAL_SCORE) == 0


def _integer_funding(executed, budget, rate, score):
    record = empty_record()
    record["funding"]["total"].update(annual_budget=D(budget), executed=D(executed),
                                      weight=D("10"), execution_rate=D(rate), score=D(score))
    return record


@pytest.mark.parametrize("rate, score, broken", [
    ("86", "9", []),                  # Hebei: 37.24 / 43.2 = 86.20 printed 86, 10 × 86% = 8.6 printed 9
    ("86", "8", []),                  # ... or cut, as Shanghai does, to the places printed
    ("86.2", "8.6", []),
    ("87", "9", [EXECUTION_RATE]),    # neither cut nor rounded
    ("86.00", "8.60", [EXECUTION_RATE]),  # printed with two decimals: Shanghai's rule, 86.20
])
def test_a_figure_printed_coarser_is_checked_at_its_own_places(rate, score, broken):
    assert [f.rule for f in validate(_integer_funding("37.24", "43.2", rate, score))] == broken


# ---------------------------------------------------------------- per family

@pytest.mark.parametrize("families, rate, score, broken", [
    (("hebei",), "86", "9", []),                     # Hebei rounds: 86.20 → 86, 8.62 → 9
    (("hebei",), "86", "8", [FUNDING_SCORE]),        # ... so a cut 8 is no Hebei figure
    (("shanghai",), "86", "8", []),                  # Shanghai cuts, at any places
    (("shanghai",), "86", "9", [FUNDING_SCORE]),
    (("anhui", "hebei"), "86", "9", []),             # families that differ: either rounding
    (("anhui", "hebei"), "86", "8", []),
])
def test_a_family_s_own_rounding_is_checked(families, rate, score, broken):
    record = _integer_funding("37.24", "43.2", rate, score)
    assert [f.rule for f in validate(record, families)] == broken


@pytest.mark.parametrize("families, rate, broken", [
    (None, "66.66", []), (None, "66.67", [EXECUTION_RATE]),          # the contract: cut to 2 decimals
    (("hebei",), "66.67", []), (("hebei",), "66.66", [EXECUTION_RATE]),  # 2 / 3 rounded
    ((), "66.67", []), ((), "66.66", []), ((), "66.68", [EXECUTION_RATE]),  # no known family: either
])
def test_two_decimals_follow_the_family_s_rounding(families, rate, broken):
    record = empty_record()
    record["funding"]["total"].update(annual_budget=D("3"), executed=D("2"), execution_rate=D(rate))
    findings = validate(record, families)
    assert [f.rule for f in findings] == broken
    if broken and families:
        assert findings[0].expected == D("66.67") and "rounded" in findings[0].message


def test_the_family_is_known_by_the_title_where_the_reader_does_not_tell():
    record = _integer_funding("37.24", "43.2", "86", "9")
    record["title"] = "财政项目支出绩效自评表"          # Shanghai's alone: it cuts
    assert [f.rule for f in validate(record)] == [FUNDING_SCORE]
    record["title"] = "项目支出绩效自评表"              # printed by families that round and that cut
    assert validate(record) == []


def test_weights_above_the_total_where_the_family_prints_them_so():
    """衔接资金 forms (linkage_funds) print weights adding up to more than 总分."""
    record = good_record()
    record["total_weight"] = D("80.00")
    assert TOTAL_WEIGHT not in [f.rule for f in validate(record, ("linkage_funds",))]
    assert TOTAL_WEIGHT in [f.rule for f in validate(record, ("shanghai",))]
    record["total_weight"] = D("120.00")            # weights below the total: still a finding
    assert TOTAL_WEIGHT in [f.rule for f in validate(record, ("linkage_funds",))]
