"""The hand-made gold records of the seed: shape, arithmetic, and values read off the seed."""

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest

from corpus.build import SAMPLE_DIR
from extract.model import (
    SCHEMA_VERSION,
    FUNDING_KEYS,
    FUNDING_ROW_KEYS,
    INDICATOR_KEYS,
    RECORD_KEYS,
    SOURCE_KEYS,
    loads_record,
)
from extract.checks.validate import SCORE_WITHOUT_DEVIATION, validate
from extract.parse.values import clean_cell_text, parse_measure

GOLD = Path(__file__).resolve().parent.parent / "corpus" / "gold" / "seed_forms.jsonl"

# (form number 1-based, rule, first field) — the findings listed in corpus/gold/NOTES.md
KNOWN_FINDINGS = {
    (9, SCORE_WITHOUT_DEVIATION, "indicators[3].deviation"),
    (10, SCORE_WITHOUT_DEVIATION, "indicators[5].deviation"),
    (13, SCORE_WITHOUT_DEVIATION, "indicators[13].deviation"),
    (17, SCORE_WITHOUT_DEVIATION, "indicators[7].deviation"),
    (18, SCORE_WITHOUT_DEVIATION, "indicators[3].deviation"),
}
INDICATORS_PER_FORM = [11, 8, 5, 8, 8, 9, 6, 8, 4, 11, 9, 8, 14, 21, 6, 6, 14, 9, 10]
TEXT_KEYS = ("project_name", "department", "implementing_unit", "goal_expected", "goal_actual", "grade")
INDICATOR_TEXT_KEYS = ("level1", "level2", "name", "target", "actual", "deviation", "deviation_cause", "improvement")


@pytest.fixture(scope="module")
def gold():
    with GOLD.open(encoding="utf-8") as fh:
        return [loads_record(line) for line in fh if line.strip()]


def test_nineteen_forms_in_document_order(gold):
    assert len(gold) == 19
    assert [len(r["indicators"]) for r in gold] == INDICATORS_PER_FORM
    assert [r["project_name"] for r in (gold[0], gold[9], gold[18])] == [
        "2023年上海科技统计", "2023年上海科技年鉴年报", "移动式会议线上直播系统"]


def test_every_contract_key_in_contract_order(gold):
    for record in gold:
        assert tuple(record) == RECORD_KEYS
        assert tuple(record["source"]) == SOURCE_KEYS
        assert tuple(record["funding"]) == FUNDING_KEYS
        for row in record["funding"].values():
            assert tuple(row) == FUNDING_ROW_KEYS
        for indicator in record["indicators"]:
            assert tuple(indicator) == INDICATOR_KEYS


def test_source_and_id_point_at_the_committed_sample(gold):
    sha256 = hashlib.sha256((SAMPLE_DIR / "seed_forms.pdf").read_bytes()).hexdigest()
    for position, record in enumerate(gold, start=1):
        assert record["schema_version"] == SCHEMA_VERSION == "1.1"
        assert record["form_id"] == f"{sha256[:12]}-{position}"
        assert {k: record["source"][k] for k in ("file", "sha256", "kind")} == {
            "file": "seed_forms.pdf", "sha256": sha256, "kind": "text"}
        assert record["source"]["pages"]
        assert record["year"] == 2023


def test_only_the_findings_listed_in_notes(gold):
    found = {(n, f.rule, f.fields[0]) for n, record in enumerate(gold, 1) for f in validate(record)}
    assert found == KNOWN_FINDINGS


def test_text_is_stored_per_the_text_rules(gold):
    # no line break left, no space between a CJK character and a digit
    for record in gold:
        texts = [record[k] for k in TEXT_KEYS]
        texts += [ind[k] for ind in record["indicators"] for k in INDICATOR_TEXT_KEYS]
        for text in filter(None, texts):
            assert clean_cell_text(text) == text


def test_measures_are_parsed_from_the_printed_text(gold):
    for record in gold:
        for ind in record["indicators"]:
            assert (ind["target_op"], ind["target_value"], ind["target_unit"]) == tuple(parse_measure(ind["target"]))
            assert (ind["actual_value"], ind["actual_unit"]) == tuple(parse_measure(ind["actual"]))[1:]


def test_form_1(gold):
    form = gold[0]
    assert form["department"] == "上海市科学技术委员会"
    assert form["implementing_unit"] == "上海市科技创新服务中心（上海市科技成果档案资料馆）"
    assert form["funding"]["total"] == {
        "initial_budget": Decimal("99.34"), "annual_budget": Decimal("99.34"), "executed": Decimal("99.32"),
        "weight": Decimal("10.00"), "execution_rate": Decimal("99.97"), "score": Decimal("9.99")}
    assert form["funding"]["current_appropriation"]["weight"] is None
    assert form["funding"]["current_appropriation"]["execution_rate"] == Decimal("99.97")
    assert (form["total_weight"], form["total_score"], form["grade"]) == (Decimal("100.00"), Decimal("98.99"), "优")
    first = form["indicators"][0]
    assert (first["level1"], first["level2"], first["name"]) == ("产出指标", "数量指标", "《上海科技统计年鉴》印刷份数")
    assert (first["target"], first["target_op"], first["target_value"], first["target_unit"]) == (
        "=350.00(本)", "=", Decimal("350"), "本")
    late = form["indicators"][4]
    assert (late["actual"], late["weight"], late["score"]) == ("部分达成指标并具有一定效果", Decimal(5), Decimal(4))
    assert late["deviation_cause"] == "因国家反馈数据时间滞后导致出版物出版时间延后。"
    assert late["improvement"] == "加强与国家数据中心的沟通，掌握数据反馈时间，准确确定项目计划。"
    cost = form["indicators"][5]
    assert (cost["target"], cost["target_op"], cost["target_value"], cost["target_unit"]) == (
        "不超过100%", "≤", Decimal("100"), "%")
    assert [i["level2"] for i in form["indicators"][6:]] == [
        "社会效益指标", "社会效益指标", "可持续影响指标", "服务对象满意度指标", "服务对象满意度指标"]


def test_merged_and_cut_cells(gold):
    assert gold[1]["indicators"][-1]["level2"] == "服务对象满意度指标"   # cut by a page break
    assert gold[5]["indicators"][7]["target"] == "符合条件的科技报告在平台上公开发布，推动科技报告的持续利用。"
    assert gold[13]["indicators"][7]["name"] == "报告内容反映示范区年度发展情况"
    assert gold[13]["indicators"][1]["target"] == "27429箱、2300卷、3000件"
    assert gold[13]["indicators"][1]["target_value"] is None


def test_other_values_read_off_the_seed(gold):
    assert gold[7]["funding"]["total"]["execution_rate"] == Decimal("87.20")
    assert gold[8]["indicators"][3]["target_unit"] == "null"
    assert gold[13]["funding"]["other"]["executed"] == Decimal("65.00")
    assert gold[13]["funding"]["current_appropriation"]["annual_budget"] == Decimal("0.00")
    assert gold[18]["funding"]["total"]["initial_budget"] == Decimal("74.80")
    clarity = gold[18]["indicators"][2]
    assert (clarity["target"], clarity["target_op"], clarity["target_value"], clarity["target_unit"]) == (
        "不低于720P", "≥", Decimal("720"), "P")
