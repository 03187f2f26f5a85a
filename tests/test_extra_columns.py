"""Indicator columns the record keeps in `extra` (FORM_RECORD.md): a scoring
rule between the actual and 得分 (评分标准, 得分计算方法), a second score after
得分 (核定得分, 复核分).  Every reader keeps them out of the columns they sit
beside; the grid and content-order readers keep their cells under their
labels, and a reader that cannot place them sends the rows to a person."""

from __future__ import annotations

import pytest

from corpus.build import family_forms, render_with_truth
from corpus.extractors import flat_text
from extract.layout.labels import INDICATOR_COLUMN_LABELS, INDICATOR_HEADER_WORDS, label_key, read_with_extra_columns
from extract.parse.flat_reader import parse_flat_text

SHA = "0" * 64
# the contract's own labels only: the columns below are ones no family file names
_KNOWN = tuple(sorted(((label_key(l), key) for key, syn in INDICATOR_COLUMN_LABELS.items() for l in syn),
                      key=lambda kv: -len(kv[0])))


@pytest.mark.parametrize("header, keys, extra", [
    # 评分 is a synonym of 得分: 评分标准 before 得分 is a column of its own, not the score's
    ("三级指标分值年度指标值实际完成值评分标准得分偏差原因分析及改进措施",
     ("name", "weight", "target", "actual", "extra", "score", "deviation"), ("评分标准",)),
    # a second score after 得分, not a part of the deviation's label
    ("三级指标年度指标值实际完成值分值得分核定得分偏差原因分析及改进措施",
     ("name", "target", "actual", "weight", "score", "extra", "deviation"), ("核定得分",)),
    ("三级指标年度指标值实际完成值分值得分计算方法得分偏差原因分析及改进措施",
     ("name", "target", "actual", "weight", "extra", "score", "deviation"), ("得分计算方法",)),
    # a plain header reads as before, with no extra column
    ("三级指标年度指标值实际完成值分值得分偏差原因分析及改进措施",
     ("name", "target", "actual", "weight", "score", "deviation"), ()),
])
def test_a_header_label_no_family_names_is_an_extra_column(header, keys, extra):
    reading = read_with_extra_columns(header, _KNOWN, INDICATOR_HEADER_WORDS)
    assert reading is not None
    assert reading[0] == keys and reading[2] == extra


def test_a_column_letter_is_no_part_of_its_label():
    """Forms print the arithmetic between columns in their headers
    (年度目标值(A), 完成值(B), 执行率(B/A)): the letters are no part of the label."""
    from extract.layout.labels import column_key, match_label

    assert column_key("年度指标值(A)") == column_key("年度指标值") == "年度指标值"
    assert column_key("执行率(B/A)") == "执行率" and column_key("指标A") == "指标"
    assert column_key("A") == "A"                                 # a letter alone is kept
    assert match_label("执行率(B/A)", {"execution_rate": ("执行率",)}) == "execution_rate"
    reading = read_with_extra_columns(label_key("三级指标年度目标值(A)完成值(B)分值得分偏差原因分析及改进措施"),
                                      _KNOWN, INDICATOR_HEADER_WORDS)
    assert reading is not None and reading[0] == ("name", "target", "actual", "weight", "score", "deviation")


def test_a_row_label_after_the_header_is_no_extra_column():
    """The first 一级 label with its section weight (产出指标(36分)) follows
    the header in a copied text: no header label holds a figure."""
    text = label_key("三级指标年度指标值实际完成值分值得分偏差原因分析及改进措施产出指标(36分)")
    assert read_with_extra_columns(text, _KNOWN, INDICATOR_HEADER_WORDS) is None


def _cells(*rows: str) -> str:
    return "\n\n".join(rows) + "\n"


_HEAD = ("项目支出绩效自评表", "（2023年度）", "项目名称 示范项目", "主管部门 示范局 实施单位 示范中心",
         "项目资金（万", "元）", "年初预算数 全年预算数 全年执行数 分值 执行率(%) 得分",
         "年度资金总额 100.00 100.00 100.00 10.00 100.00 10.00", "年度总体目标 预期目标 实际完成情况",
         "完成示范工作。", "完成了示范工作。")


def test_content_order_reads_a_rule_column_before_the_figures_as_a_cell_of_its_own():
    """A cell per paragraph: 三级指标 年度指标值 实际完成值 评分标准 得分 … the
    rule's cell is no part of the actual; its cells go to `extra`."""
    text = _cells(*_HEAD, "一级指标 二级指标 三级指标 分值 年度指标值 实际完成值 评分标准 得分 偏差原因分析及改进措施",
                  "产出指标 数量指标 服务人次 50.00 ≥100人次 120人次 完成得满分 50.00",
                  "培训场次 40.00 ≥4场 3场 按完成比例计分 30.00 受天气影响，部分培训延期。",
                  "总分 100.00 90.00")
    form = parse_flat_text(text, "t.txt", SHA)[0]
    rows = [(i["name"], i["target"], i["actual"], str(i["weight"]), str(i["score"])) for i in form.record["indicators"]]
    assert rows == [("服务人次", "≥100人次", "120人次", "50.00", "50.00"),
                    ("培训场次", "≥4场", "3场", "40.00", "30.00")]
    assert form.record["extra"]["评分标准"] == ["完成得满分", "按完成比例计分"]
    assert form.record["indicators"][1]["deviation"] == "受天气影响，部分培训延期。"


def test_bare_figure_target_and_actual_left_where_the_weight_stood_are_no_row_figures():
    """分值 printed before the target: `满意度 10.00 95 95` then the rule's cell
    and 得分.  With 分值 moved beside its 得分, `满意度 95 95` is the name, the
    target and the actual, not a row of 分值 95 and 得分 95."""
    text = _cells(*_HEAD, "一级指标 二级指标 三级指标 分值 年度指标值 实际完成值 评分标准 得分 偏差原因分析及改进措施",
                  "产出指标 数量指标 服务人次 50.00 ≥100人次 120人次 完成得满分 50.00",
                  "满意度 40.00 95 95", "完成得满分 40.00", "总分 100.00 100.00")
    form = parse_flat_text(text, "t.txt", SHA)[0]
    rows = [(i["name"], i["target"], i["actual"], str(i["weight"]), str(i["score"])) for i in form.record["indicators"]]
    assert rows == [("服务人次", "≥100人次", "120人次", "50.00", "50.00"), ("满意度", "95", "95", "40.00", "40.00")]


def test_bare_figure_target_and_actual_on_a_line_of_their_own_are_no_row_figures():
    """A cell per paragraph with 分值 before the target: `95` and `95` on a
    line of their own between the 分值 and the 得分 are the target and the
    actual, not a row of 分值 95 and 得分 95 (which made an eleventh row,
    accepted)."""
    text = _cells(*_HEAD, "一级指标 二级指标 三级指标 分值 年度指标值 实际完成值 评分标准 得分 偏差原因分析及改进措施",
                  "产出指标 数量指标 服务人次 50.00 ≥100人次 120人次 完成得满分 50.00",
                  "满意度", "40.00", "95 95", "达到目标值", "得满分", "40.00", "总分 100.00 90.00")
    form = parse_flat_text(text, "t.txt", SHA)[0]
    rows = [(i["name"], i["target"], i["actual"], str(i["weight"]), str(i["score"])) for i in form.record["indicators"]]
    assert rows == [("服务人次", "≥100人次", "120人次", "50.00", "50.00"), ("满意度", "95", "95", "40.00", "40.00")]
    assert form.record["extra"]["评分标准"] == ["完成得满分", "达到目标值得满分"]


def test_the_weight_before_the_target_parts_the_name_from_the_target():
    """The 分值 printed between a short name and a long target: the line
    after it starts the target's cell, though the name's column could hold
    the target's first lines; and a deviation whose lines precede a row
    printing several cells on one line is read whole."""
    text = _cells(*_HEAD, "一级指标 二级指标 三级指标 分值 年度指标值 实际完成值 评分标准 得分 偏差原因分析及改进措施",
                  "产出指标 数量指标 服务人次 50.00 ≥100人次 120人次 完成得满分 50.00",
                  "信息共享", "40.00", "报告在平台上公", "开发布。", "达成指标", "完成得满分",
                  "30.00", "受项目成效显现", "需要一定周期影", "响，效益尚未完", "全显现。",
                  "邮件系统运行 10.00 正常运行 达成指标 完成得满分 10.00", "总分 100.00 90.00")
    form = parse_flat_text(text, "t.txt", SHA)[0]
    rows = [(i["name"], i["target"], i["actual"], str(i["weight"]), str(i["score"])) for i in form.record["indicators"]]
    assert rows[1:] == [("信息共享", "报告在平台上公开发布。", "达成指标", "40.00", "30.00"),
                        ("邮件系统运行", "正常运行", "达成指标", "10.00", "10.00")]
    assert form.record["indicators"][1]["deviation"] == "受项目成效显现需要一定周期影响，效益尚未完全显现。"


def test_content_order_reads_a_family_with_a_rule_column_and_routes_what_it_doubts(tmp_path):
    """scoring_rule_columns in content order (分值 before the target, a
    评分标准 column before 得分): every field right, none accepted wrong,
    and most of the form accepted."""
    from extract.checks.compare import compare_records
    from extract.checks.routing import ACCEPTED
    from extract.pipeline.document import read_flat_text_file
    from extract.sources.files import sha256_of

    records, styles = family_forms("scoring_rule_columns", 3)
    pdf = tmp_path / "f.pdf"
    truth = render_with_truth(records, pdf, styles)
    txt = tmp_path / "f.txt"
    txt.write_text(flat_text("content-order", pdf=pdf, records=truth, styles=styles), encoding="utf-8")
    forms = read_flat_text_file(txt, sha256_of(txt))       # with the model, as a user's run
    got = [form.record for form in forms]
    assert len(got) == len(truth)
    for record, expected in zip(got, truth):
        record["form_id"], record["source"] = expected["form_id"], expected["source"]
    assert compare_records(truth, got).accuracy == 1.0
    statuses = [form.status(path) for form in forms for path in form.fields]
    assert sum(status != ACCEPTED for status in statuses) / len(statuses) < 0.2


def test_content_order_takes_a_second_score_off_the_row_figures():
    text = _cells(*_HEAD, "一级指标 二级指标 三级指标 年度指标值 实际完成值 分值 得分 核定得分 偏差原因分析及改进措施",
                  "产出指标 数量指标 服务人次 ≥100人次 120人次 50.00 50.00 50",
                  "培训场次 ≥4场 3场 40.00 30.00 30 受天气影响，部分培训延期。", "总分 100.00 90.00")
    form = parse_flat_text(text, "t.txt", SHA)[0]
    rows = [(i["name"], i["actual"], str(i["weight"]), str(i["score"])) for i in form.record["indicators"]]
    assert rows == [("服务人次", "120人次", "50.00", "50.00"), ("培训场次", "3场", "40.00", "30.00")]
    assert form.record["extra"]["核定得分"] == ["50", "30"]


def test_row_text_takes_a_figure_after_the_score_off_the_line():
    from extract.parse.row_columns import Frag
    from extract.parse.row_text import _figure_after_score

    taken: list[str] = []
    frags = [Frag("设备交付及时性", 0.0), Frag("当年完成", 20.0), Frag("达成指标", 30.0), Frag("11.00 11.00 11", 40.0)]
    out = _figure_after_score(frags, taken)
    assert [f.text for f in out] == ["设备交付及时性", "当年完成", "达成指标", "11.00 11.00"] and taken == ["11"]
    # two figures only (no second score on this line), or three that are no 分值 / 得分 pair: unchanged
    assert _figure_after_score(frags[:3] + [Frag("11.00 11.00", 40.0)], []) == frags[:3] + [Frag("11.00 11.00", 40.0)]
    assert _figure_after_score([Frag("人数 120 95 11", 0.0)], []) == [Frag("人数 120 95 11", 0.0)]


@pytest.mark.parametrize("family, label", [("scoring_rule_columns", "评分标准"), ("verified_scores", "核定得分")])
def test_a_text_pdf_keeps_the_extra_column_cells_under_their_label(family, label, tmp_path):
    from extract.pipeline.document import extract_forms, read_document
    from extract.pipeline.settings import OcrSettings
    from extract.sources.files import sha256_of

    records, styles = family_forms(family, 2)
    path = tmp_path / f"{family}.pdf"
    truth = render_with_truth(records, path, styles)
    forms = extract_forms(read_document(path, sha256_of(path), OcrSettings(mode="never"), None))
    assert [f.record["extra"][label] for f in forms] == [t["extra"][label] for t in truth]


@pytest.mark.parametrize("family, floor", [("verified_scores", 0.97), ("scoring_rule_columns", 0.9)])
def test_row_text_reads_families_with_extra_columns(family, floor, tmp_path):
    from extract.checks.compare import compare_records

    records, styles = family_forms(family, 3)
    pdf = tmp_path / f"{family}.pdf"
    truth = render_with_truth(records, pdf, styles)
    text = flat_text("pdfplumber", pdf=pdf, records=truth, styles=styles)
    got = [form.record for form in parse_flat_text(text, "t.txt", SHA)]
    assert len(got) == len(truth)
    for record, expected in zip(got, truth):
        record["form_id"], record["source"] = expected["form_id"], expected["source"]
    assert compare_records(truth, got).accuracy >= floor


def test_text_boxes_send_rows_beside_a_column_they_cannot_place_to_review(tmp_path):
    """pdfminer's text boxes match a row's cells to the columns by order: a
    评分标准 column shifts them, so every indicator field goes to a person."""
    from extract.checks.routing import ACCEPTED
    from extract.model import FieldPath

    records, styles = family_forms("scoring_rule_columns", 1)
    pdf = tmp_path / "f.pdf"
    render_with_truth(records, pdf, styles)
    form = parse_flat_text(flat_text("pdfminer", pdf=pdf), "t.txt", SHA)[0]
    rows = len(form.record["indicators"])
    assert rows
    assert not [(i, k) for i in range(rows) for k in ("name", "target", "actual", "weight", "score")
                if form.status(FieldPath.indicator(i, k)) == ACCEPTED]
