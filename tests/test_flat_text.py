"""Flat text (no table structure) → form records: the seed's text extraction
against the hand-made gold, synthetic flat texts against their truth, and the
span annotation of `corpus.flat`."""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from pathlib import Path

import pytest

from corpus.build import load_gold
from corpus.flat import (FLAT_LABELS, NUMERIC_LABELS, align_spans, flat_text_examples, flat_text_file, form_starts,
                         record_values)
from corpus.build import SEED_TEXT, with_identity_of
from extract.checks.compare import compare_records
from extract.parse.flat_reader import parse_flat_text
from extract.pipeline.document import number_forms
from extract.sources.files import sha256_of

SEED_TXT = SEED_TEXT

# Measured when written: seed text 100.0 % (rules only), synthetic dev flat
# texts 99.9 % (20 forms; 99.7 % over 200 eval forms), the committed gold PDF
# flattened 99.7 %; asserted a little below.
SEED_MIN_ACCURACY = 0.995
# The synthetic files are typeset in the tuning styles now, a style a file
# (other fonts, sizes, columns, rows broken across pages), no longer all in
# the reference one: 98.82% when that changed (2026-12-01), was 99.5%;
# 93.3% once zenhei-11-target and uming-12-narrow joined the tuning styles,
# 98.7% with the widths measured from the text alone (no column assumed
# narrower than another), wrapped figures joined and labels by their group.
SYNTHETIC_MIN_ACCURACY = 0.985
SAMPLE_PDF = Path(__file__).resolve().parents[1] / "corpus" / "sample" / "seed_forms.pdf"


@pytest.fixture(scope="module")
def seed_forms():
    text = SEED_TXT.read_text(encoding="utf-8")
    sha256 = sha256_of(SEED_TXT)
    return number_forms(parse_flat_text(text, SEED_TXT.name, sha256), sha256)


def test_seed_gives_19_forms_with_identity(seed_forms):
    assert len(seed_forms) == 19
    first = seed_forms[0].record
    assert first["form_id"].endswith("-1") and seed_forms[-1].record["form_id"].endswith("-19")
    assert first["source"]["file"] == SEED_TXT.name
    assert first["source"]["kind"] == "text"
    assert all(f.record["year"] == 2023 for f in seed_forms)
    assert all(s.provenance.method == "flat-text" for f in seed_forms for s in f.fields.values() if s.provenance)
    pages = [f.record["source"]["pages"] for f in seed_forms]
    assert pages[0][0] == 1 and all(a[-1] <= b[0] for a, b in zip(pages, pages[1:]))


def test_seed_field_accuracy(seed_forms):
    got = [f.record for f in seed_forms]
    gold = with_identity_of(load_gold(), got)
    result = compare_records(gold, got)
    assert result.accuracy >= SEED_MIN_ACCURACY, result.mismatches[:20]
    assert result.numeric_accuracy == 1.0, [m for m in result.mismatches if not isinstance(m[2], str)]


def test_seed_head_funding_and_interleaved_unit(seed_forms):
    record = seed_forms[0].record
    assert record["project_name"] == "2023年上海科技统计"
    assert record["implementing_unit"] == "上海市科技创新服务中心（上海市科技成果档案资料馆）"
    total = record["funding"]["total"]
    assert [str(total[k]) for k in ("initial_budget", "annual_budget", "executed", "weight",
                                    "execution_rate", "score")] == ["99.34", "99.34", "99.32", "10.00", "99.97", "9.99"]
    assert record["funding"]["carryover"]["weight"] is None


# The tuning styles the content-order reader was first fitted to, and those
# added since with traits it reads worse (rows broken across pages in Droid
# type, figures wrapped in narrow cells, top-aligned rows under a repeated
# header): measured 2026-12-02 on these 20 forms, 0.959 (bench/styles.py
# prints every style).
FIRST_STYLES = ("reference", "uming-11-top", "droid-12-wide", "word-breaks", "dense-9", "droid-ge",
                "zenhei-11-target", "uming-12-narrow")
LATER_STYLES = ("droid-11-top-repeat", "droid-12-breaks")
LATER_MIN_ACCURACY = 0.955


@pytest.fixture(scope="module")
def synthetic_flat(tmp_path_factory):
    folder = tmp_path_factory.mktemp("flat")
    return flat_text_file("dev", 20, folder, FIRST_STYLES)


def test_synthetic_flat_text_of_later_styles_parses_back(tmp_path):
    from corpus.render import TUNING_STYLES
    assert set(FIRST_STYLES + LATER_STYLES) <= set(TUNING_STYLES)
    gold, got = [], []
    for n, (text, truth, _) in enumerate(flat_text_file("dev", 20, tmp_path, LATER_STYLES)):
        records = [f.record for f in parse_flat_text(text, f"flat_{n}.txt", "0" * 64)]
        assert len(records) == len(truth)
        gold += with_identity_of(truth, records)
        got += records
    assert compare_records(gold, got).accuracy >= LATER_MIN_ACCURACY


def test_synthetic_flat_text_parses_back(synthetic_flat):
    gold, got = [], []
    for n, (text, truth, _) in enumerate(synthetic_flat):
        forms = parse_flat_text(text, f"flat_{n}.txt", "0" * 64)
        assert len(forms) == len(truth)
        records = [f.record for f in forms]
        gold += with_identity_of(truth, records)
        got += records
    result = compare_records(gold, got)
    assert result.accuracy >= SYNTHETIC_MIN_ACCURACY, result.mismatches[:20]


def _oracle_tagger(text: str, truth: list[dict]):
    """A tagger that marks the true spans (called per form, offsets local)."""
    starts = form_starts(text) + [len(text)]
    spans = []
    for record, a, b in zip(truth, starts, starts[1:]):
        spans += align_spans(text, record_values(record), a, b)[0]
    calls = []

    def tag(chunk: str):
        at = text.find(chunk)
        calls.append(at)
        return [(s - at, e - at, label) for s, e, label in spans if at <= s and e <= at + len(chunk)]
    return tag, calls


def test_oracle_tagger_is_used(synthetic_flat):
    """A tagger that marks the true spans decides goals, deviations and cells."""
    text, truth, _ = synthetic_flat[0]
    tagger, calls = _oracle_tagger(text, truth)
    forms = parse_flat_text(text, "t.txt", "0" * 64, tagger=tagger)
    assert len(calls) == len(truth) and all(at >= 0 for at in calls)
    got = [f.record for f in forms]
    plain = [f.record for f in parse_flat_text(text, "t.txt", "0" * 64)]
    # Deviation cells are split by rule here (the second opinion splits them
    # with the model later); the synthetic ones include phrasings rules cannot split.
    truth, got, plain = (_without_deviation_parts(r) for r in (truth, got, plain))
    with_tagger = compare_records(with_identity_of(truth, got), got).accuracy
    without = compare_records(with_identity_of(truth, plain), plain).accuracy
    assert with_tagger >= without and with_tagger >= 0.995


def _without_deviation_parts(records):
    records = copy.deepcopy(records)
    for record in records:
        for indicator in record.get("indicators") or []:
            indicator["deviation_cause"] = indicator["improvement"] = None
    return records


def test_flattened_gold_pdf_parses_back():
    """The 19 gold records rendered (committed sample PDF), flattened the
    seed's way, read back."""
    from corpus.flat import pdf_to_flat_text
    text, page_starts = pdf_to_flat_text(SAMPLE_PDF, seed=0)
    forms = parse_flat_text(text, SAMPLE_PDF.name, "0" * 64)
    got = [f.record for f in forms]
    assert len(got) == 19 and len(page_starts) >= 19
    result = compare_records(with_identity_of(load_gold(), got), got)
    assert result.accuracy >= 0.99, result.mismatches[:20]


def test_flat_text_examples_spans():
    examples = flat_text_examples("train", 10)
    assert len(examples) >= 10
    assert flat_text_examples("train", 10) == examples          # deterministic
    labels = set()
    for text, spans in examples:
        assert len(text) <= 3000
        previous_end = 0
        for start, end, label in sorted(spans):
            assert 0 <= start < end <= len(text)
            assert start >= previous_end                        # no overlap
            previous_end = end
            assert label in FLAT_LABELS
            assert text[start].strip() and text[end - 1].strip()
            labels.add(label)
    assert {"PROJECT_NAME", "INDICATOR_NAME", "TARGET", "ACTUAL", "WEIGHT", "SCORE", "GRADE"} <= labels


def test_flat_text_example_spans_equal_record_values(tmp_path):
    text, truth, _ = flat_text_file("train", 10, tmp_path)[0]
    starts = form_starts(text) + [len(text)]
    for record, a, b in zip(truth, starts, starts[1:]):
        values = record_values(record)
        spans, missed = align_spans(text, values, a, b)
        assert missed <= len(values) // 5
        remaining = [(label, printed_as(label, value)) for label, value in values]
        for start, end, label in spans:
            assert (label, printed_as(label, text[start:end])) in remaining


def printed_as(label, value):
    """A value as the comparison sees it: a number by its value (styles print
    `8.00` as `8.0` or `8`), text without white space."""
    value = re.sub(r"\s+", "", value)
    return Decimal(value) if label in NUMERIC_LABELS else value


# ---------------------------------------------------------------- rules by the text's shape

def _form_text(rows: list[str]) -> str:
    """A minimal form in the content-order format, with these indicator lines."""
    head = ["财政项目支出绩效自评表", "（2023年度）", "项目名称 测试项目",
            "主管部门 上海市科学技术委员会 实施单位 上海市科技创新服务中心", "项目资金", "（万元）",
            "年初预算数 全年预算数 全年执行数 分值 执行率(%) 得分", "年度资金总额： 10 10 10 10 100 10",
            "其中：当年财政", "拨款", "10 10 10 - 100 -", "上年结转资金 0 0 0 - 0 -", "其他资金 0 0 0 - 0 -",
            "年度总体目标", "预期目标 实际完成情况", "完成任务。", "已完成任务。", "一级", "指标", "二级", "指标",
            "三级指标 年度指标值 实际完成值 分值 得分 偏差原因分析及改进措施"]
    return "\n\n".join(head + rows + ["总分 100 100", "评分等级 优"]) + "\n"


def _rows(text: str) -> list[tuple]:
    record = parse_flat_text(text, "t.txt", "0" * 64)[0].record
    return [(i["level1"], i["level2"], i["name"], i["target"], i["actual"], i["weight"], i["score"])
            for i in record["indicators"]]


def test_a_level2_label_names_its_level1_printed_below_a_page_break():
    """效益指标 printed after the page break, below the 社会效益指标 row it
    spans: the 二级 label already said the row is in 效益指标."""
    text = _form_text(["产出", "指标", "数量", "指标", "分析报告 =5.00(份) 5.00(份) 50 50",
                       "社会", "效益", "指标", "传播率 提高 达成指标 30 30", "\n\n效益", "指标",
                       "可持", "续影", "响指", "标", "机制健全性 完善 达成指标 20 20"])
    rows = _rows(text)
    assert [r[:2] for r in rows] == [("产出指标", "数量指标"), ("效益指标", "社会效益指标"),
                                     ("效益指标", "可持续影响指标")]


def test_a_wrapped_score_and_total_are_joined_back():
    """A figure too wide for its narrow column wraps (`15.9` / `0`); the
    得分 of two lines is not at the height of the 分值, so no space joins them."""
    text = _form_text(["产出", "指标", "数量", "指标", "分析报告 =5.00(份) 5.00(份) 50 50",
                       "科技报告资源共享率", "=100.00(%)", "部分达成", "50", "49.9", "0",
                       "受项目成效显现需要一定周期影响。"]).replace("总分 100 100", "总分 100\n\n99.9\n\n0")
    forms = parse_flat_text(text, "t.txt", "0" * 64)
    assert _rows(text)[1][5:] == (Decimal("50"), Decimal("49.90"))
    assert (forms[0].record["total_weight"], forms[0].record["total_score"]) == (100, Decimal("99.90"))


def test_wrapped_funding_figures_are_joined_by_the_rows_arithmetic():
    from extract.parse.flat_reader import _join_wrapped_figures

    values = ["181458.5", "5", "181458.5", "5", "179952.4", "4", "10", "99.16", "9.91"]
    starts = [True] * 6 + [True, False, False]
    assert _join_wrapped_figures(values, starts, 6) == (
        ["181458.55", "181458.55", "179952.44", "10", "99.16", "9.91"], True)


def test_a_repeated_header_with_a_wrapped_label_is_no_row_text():
    text = _form_text(["产出", "指标", "数量", "指标", "分析报告 =5.00(份) 5.00(份) 50 50",
                       "\n\n一级", "指标", "二级", "指标", "三级指标 年度指标值 实际完成值 分值 得分 偏差原因分析及改进",
                       "措施", "质量", "指标", "验收合格率 =100.00(%) 100.00(%) 50 50"])
    rows = _rows(text)
    assert rows[1][1:3] == ("质量指标", "验收合格率") and rows[0][4] == "5.00(份)"
    record = parse_flat_text(text, "t.txt", "0" * 64)[0].record
    assert record["indicators"][0]["deviation"] is None


def test_a_close_call_between_two_splits_of_a_row_is_doubted():
    """`高新技术企业` fills the 三级指标 column's line and the 指标值 one's
    alike: where the name ends is a guess, and the row's cells go to review."""
    text = _form_text(["产出", "指标", "数量", "指标", "当年度科研项目、", "的托管、归档完成", "当年度科研项目及",
                       "高新技术企业", "27429箱、", "2300卷、3000", "件", "达成指标 50 50",
                       "科技报告资源共享率 全年完成 达成指标 50 50"])
    form = parse_flat_text(text, "t.txt", "0" * 64)[0]
    doubted = {str(p) for f in form.findings if f.rule == "layout_in_doubt" for p in f.fields}
    assert {"indicators[0].name", "indicators[0].target", "indicators[0].actual"} <= doubted
    assert not any(p.startswith("indicators[1].") for p in doubted)


def test_an_indicator_header_read_without_target_or_actual_doubts_every_row():
    """A header whose labels no label or word reads as a target and an
    actual (every form prints both): the rows' cells are placed by a guess,
    so every indicator field is doubted, none silently shifted."""
    text = SEED_TXT.read_text(encoding="utf-8")
    first = text[:text.index("财政项目支出绩效自评表", 10)]
    header = "三级指标 年度指标值 实际完成值 分值 得分"
    assert header in first
    (good,) = parse_flat_text(first, "x.txt", "0" * 64)
    (bad,) = parse_flat_text(first.replace(header, "三级指标 甲乙 丙丁"), "x.txt", "0" * 64)
    def unread(form):
        return [f for f in form.findings if "read without a target or an actual" in f.message]
    assert not unread(good)
    (finding,) = unread(bad)
    doubted = {str(p) for p in finding.fields}
    assert {f"indicators[{i}].{k}" for i in range(len(bad.record["indicators"])) for k in ("name", "target", "actual")} <= doubted
