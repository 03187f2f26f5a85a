"""The contract's comparison of two records: text folding, number tolerance, null, pairing."""

import copy
from decimal import Decimal

import pytest

from extract.checks.compare import MISSING, compare_records, fields_equal
from extract.model import INDICATOR_KEYS, empty_indicator, empty_record, iter_fields


def _record(file="a.pdf", project="2023年上海科技统计", names=("分析报告", "用户数")):
    record = empty_record()
    record.update(form_id="", source={"file": file, "sha256": "", "pages": [1], "kind": "text"},
                  year=2023, project_name=project, total_weight=Decimal("100.00"), total_score=Decimal("98.99"))
    record["funding"]["total"]["execution_rate"] = Decimal("99.97")
    for name in names:
        indicator = empty_indicator()
        indicator.update(name=name, target="=5.00(份)", target_value=Decimal("5.00"), weight=Decimal(10))
        record["indicators"].append(indicator)
    return record


def _field_count(record):
    return sum(1 for _ in iter_fields(record))


@pytest.mark.parametrize("gold, got", [
    ("上海市科技创新服务中心（上海市科技成果档案资料馆）", "上海市科技创新服务中心(上海市科技成果档案资料馆)"),
    ("与上年度比，传播面更广", "与上年度\n比，传播面 更广"),
    ("加强沟通。", "加强沟通"),
    ("加强沟通", "加强沟通；"),
    ("≥90.00(%)", "≥90.00（％）"),
])
def test_text_is_folded(gold, got):
    assert fields_equal(gold, got)


def test_text_differs():
    assert not fields_equal("数量指标", "质量指标")
    assert not fields_equal("。加强沟通", "加强沟通")   # only trailing punctuation is stripped


@pytest.mark.parametrize("gold, got, equal", [
    (Decimal("99.97"), Decimal("99.97"), True),
    (Decimal("99.97"), 99.974, True),
    (Decimal("99.97"), Decimal("99.975"), True),
    (Decimal("99.97"), 99.976, False),
    (Decimal("99.97"), Decimal("99.98"), False),
    (Decimal("10.00"), 10, True),
    (Decimal("10.00"), "10", True),
    ("99.97", Decimal("99.97"), True),
    (Decimal("215457.6"), "215,457.6", True),
    (Decimal("86.19"), "86.19%", True),
    (Decimal("10"), "十", False),
])
def test_numbers_within_tolerance(gold, got, equal):
    assert fields_equal(gold, got) is equal


def test_null_equals_only_null():
    assert fields_equal(None, None)
    assert not fields_equal(None, "")
    assert not fields_equal(None, Decimal(0))
    assert not fields_equal(Decimal(0), None)
    assert not fields_equal("", None)
    assert not fields_equal(None, MISSING)


def test_lists_element_wise():
    assert fields_equal([1, 2], [Decimal(1), 2.001])
    assert not fields_equal([1, 2], [1])
    assert not fields_equal([1, 2], [2, 1])
    assert fields_equal([], [])


def test_identical_records_are_fully_accurate():
    gold = [_record(), _record(project="科技服务信息专递")]
    result = compare_records(gold, copy.deepcopy(gold))
    assert result.fields_total == sum(map(_field_count, gold))
    assert result.fields_equal == result.fields_total
    assert result.accuracy == 1.0
    assert result.mismatches == []


def test_a_field_counts_once_and_is_reported():
    gold = [_record()]
    got = copy.deepcopy(gold)
    got[0]["total_score"] = Decimal("98.90")
    result = compare_records(gold, got)
    assert result.fields_total - result.fields_equal == 1
    assert result.mismatches == [("a.pdf#1", "total_score", Decimal("98.99"), Decimal("98.90"))]
    assert result.accuracy == pytest.approx(1 - 1 / result.fields_total)


def test_missing_form_counts_all_its_fields_wrong():
    gold = [_record(), _record(project="科技服务信息专递")]
    result = compare_records(gold, [copy.deepcopy(gold[0])])
    missing = _field_count(gold[1])
    assert result.fields_total - result.fields_equal == missing
    assert {key for key, *_ in result.mismatches} == {"a.pdf#2"}
    assert all(got is MISSING for *_, got in result.mismatches)


def test_forms_pair_by_file_and_position():
    gold = [_record("a.pdf", "A1"), _record("b.pdf", "B1"), _record("a.pdf", "A2")]
    got = [copy.deepcopy(gold[2]), copy.deepcopy(gold[1]), copy.deepcopy(gold[0])]
    # the other side lists b.pdf first and a.pdf's forms in its own order
    got = [got[1], got[2], got[0]]
    assert compare_records(gold, got).accuracy == 1.0
    swapped = [copy.deepcopy(gold[2]), copy.deepcopy(gold[1]), copy.deepcopy(gold[0])]
    mismatched = {path for _, path, *_ in compare_records(gold, swapped).mismatches}
    assert mismatched == {"project_name"}


def test_indicators_pair_by_position():
    gold = [_record(names=("分析报告", "用户数", "公众满意度"))]
    fewer = copy.deepcopy(gold)
    fewer[0]["indicators"].pop()
    result = compare_records(gold, fewer)
    assert result.fields_total - result.fields_equal == len(INDICATOR_KEYS)
    assert {path.split(".")[0] for _, path, *_ in result.mismatches} == {"indicators[2]"}

    reordered = copy.deepcopy(gold)
    reordered[0]["indicators"].reverse()
    names_off = {path for _, path, *_ in compare_records(gold, reordered).mismatches}
    assert names_off == {"indicators[0].name", "indicators[2].name"}


def test_extra_forms_indicators_and_meta_are_ignored():
    gold = [_record()]
    got = copy.deepcopy(gold) + [_record(project="多余")]
    got[0]["indicators"].append(empty_indicator())
    got[0]["_meta"] = {"confidence": {"total_score": 0.5}}
    result = compare_records(gold, got)
    assert result.fields_total == _field_count(gold[0])
    assert result.accuracy == 1.0


def test_no_gold_is_vacuously_accurate():
    assert compare_records([], [_record()]).accuracy == 1.0


def test_numeric_fields_have_their_own_tally():
    from extract.checks.compare import compare_records
    from extract.model import empty_record

    gold = empty_record()
    gold["source"] = {"file": "a.pdf", "sha256": "x", "pages": [1], "kind": "text"}
    gold["total_score"], gold["total_weight"], gold["grade"] = Decimal("98.99"), Decimal("100"), "优"
    got = {**gold, "total_score": Decimal("89.99"), "grade": "良"}
    comparison = compare_records([gold], [got])
    assert (comparison.numeric_total, comparison.numeric_equal) == (2, 1)
    assert comparison.numeric_accuracy == 0.5
    assert comparison.fields_total - comparison.fields_equal == 2


def test_title_and_money_unit_count_where_the_truth_gives_them():
    gold = _record()
    gold.update(title="财政项目支出绩效自评表", money_unit="万元")
    got = copy.deepcopy(gold)
    got.update(title="部门预算项目支出绩效自评表", money_unit="元", extra={"评价结论": "好"})
    result = compare_records([gold], [got])
    assert {path for _, path, _, _ in result.mismatches} == {"title", "money_unit"}   # extra is not compared
    older = {k: v for k, v in gold.items() if k not in ("title", "money_unit", "extra")}
    older_result = compare_records([older], [got])
    assert older_result.mismatches == []
    assert older_result.fields_total == result.fields_total - 2
