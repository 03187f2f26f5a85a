"""Forms copied from a web page cell by cell (`paragraphs`) or a form a line
(`one-line`): recognised, printed as the content-order reader reads them
(`extract.parse.copied_shapes`) and read whole."""

from __future__ import annotations

from decimal import Decimal

import pytest

from corpus.build import as_printed, family_forms
from corpus.extractors import copied_text
from extract.checks.compare import fields_equal
from extract.model import iter_fields
from extract.checks.routing import ACCEPTED
from extract.parse.copied_shapes import (
    ONE_LINE, PARAGRAPHS, as_content_order, copied_cells, copied_shape, cut_rows,
)
from extract.parse.flat_reader import parse_flat_text
from extract.pipeline.document import read_flat_text_file

SHA = "0" * 64
IDENTITY = ("form_id", "source")

_HEAD = ["财政项目支出绩效自评表", "（2023 年度）", "项目名称", "示范项目", "主管部门", "示范局",
         "实施单位", "示范中心", "项目资金（万元）", "年初预算数", "全年预算数", "全年执行数", "分值",
         "执行率", "得分", "年度资金总额", "100.00", "100.00", "98.00", "10", "98.00", "9.80",
         "年度总体目标", "预期目标", "实际完成情况", "完成示范工作。", "示范工作已完成。"]
_HEADER = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"]
_ROWS = ["产出指标", "数量指标", "示范场次", "≥10次", "12次", "20", "20",
         "时效指标", "完成及时性", "及时", "及时", "20", "20",
         "效益指标", "社会效益指标", "示范覆盖面", "扩大", "有所扩大", "30", "28", "宣传不足。加大宣传力度。",
         "满意度指标", "服务对象满意度指标", "用户满意度", "≥90%", "95%", "20", "20"]
_TOTAL = ["总分", "100", "98", "优"]
_FORM = _HEAD + _HEADER + _ROWS + _TOTAL


def _paragraphs(*forms: list[str]) -> str:
    return "\n\n".join("\n\n".join(cells) for cells in forms) + "\n"


def _one_line(*forms: list[str]) -> str:
    return "\n\n".join(" ".join(cells) for cells in forms) + "\n"


def _read(text: str):
    return parse_flat_text(text, "t.txt", SHA)


# ---------------------------------------------------------------- the shape

def test_each_copied_shape_is_recognised():
    assert copied_shape(_paragraphs(_FORM)) == PARAGRAPHS
    assert copied_shape(_one_line(_FORM)) == ONE_LINE


def test_content_order_text_is_no_copied_shape():
    """Cells at one height joined by a space, blank lines between text boxes:
    the content-order reader's own shape is left alone."""
    rows = ["财政项目支出绩效自评表", "项目名称 示范项目", "主管部门 示范局 实施单位 示范中心"] + [
        f"示范指标{k} ≥10次 12次 5 5" for k in range(30)]
    text = "\n\n".join(rows) + "\n"
    assert copied_shape(text) is None
    assert as_content_order(text) is None


def test_a_few_paragraphs_are_no_form():
    assert copied_shape(_paragraphs(_HEAD[:10])) is None


# ---------------------------------------------------------------- the cells

def test_one_line_cells_keep_a_bracket_whole():
    """`（2023 年度）` is one cell though a space splits it."""
    cells = copied_cells(_one_line(_FORM), ONE_LINE)
    assert "（2023 年度）" in cells
    assert cells[:4] == _FORM[:4]


def test_one_line_cells_keep_an_operator_with_its_number():
    """As the reader joins them on a line (`flat_lines._segments`)."""
    form = _FORM[:-4] + ["好评率不低于 95%"] + _TOTAL
    assert "好评率不低于95%" in copied_cells(_one_line(form), ONE_LINE)


# ---------------------------------------------------------------- content order

def test_figures_print_at_the_height_of_the_cell_before():
    """分值 / 得分 on the actual's line: the row's anchor."""
    lines = as_content_order(_paragraphs(_FORM)).text.splitlines()
    assert "12次 20 20" in lines
    assert "年度资金总额 100.00 100.00 98.00 10 98.00 9.80" in lines


def test_a_long_level_label_prints_in_pieces():
    lines = as_content_order(_paragraphs(_FORM)).text.splitlines()
    assert "社会效益指标" not in lines
    assert lines[lines.index("社会效益") + 1] == "指标"


def test_a_grade_prints_on_the_total_row():
    assert "总分 100 98 优" in as_content_order(_paragraphs(_FORM)).text.splitlines()


# ---------------------------------------------------------------- read whole

@pytest.mark.parametrize("shape", [_paragraphs, _one_line])
def test_a_copied_form_is_read_whole(shape):
    forms = _read(shape(_FORM))
    assert len(forms) == 1
    record = forms[0].record
    assert record["year"] == 2023 and record["project_name"] == "示范项目"
    assert record["funding"]["total"]["executed"] == Decimal("98.00")
    rows = record["indicators"]
    assert [r["name"] for r in rows] == ["示范场次", "完成及时性", "示范覆盖面", "用户满意度"]
    assert rows[2]["level2"] == "社会效益指标" and rows[2]["score"] == Decimal("28")
    assert rows[2]["deviation"] == "宣传不足。加大宣传力度。"
    assert rows[3]["level1"] == "满意度指标" and rows[3]["target"] == "≥90%"
    assert record["grade"] == "优"


@pytest.mark.parametrize("shape", [_paragraphs, _one_line])
def test_several_forms_in_one_block(shape):
    second = [c.replace("示范项目", "第二项目") for c in _FORM]
    forms = _read(shape(_FORM, second))
    assert [f.record["project_name"] for f in forms] == ["示范项目", "第二项目"]
    assert all(len(f.record["indicators"]) == 4 for f in forms)


def test_several_forms_on_one_line():
    """Forms copied one after the other with no line between them."""
    text = " ".join(_FORM + [c.replace("示范项目", "第二项目") for c in _FORM]) + "\n"
    forms = _read(text)
    assert [f.record["project_name"] for f in forms] == ["示范项目", "第二项目"]


_COUNTY_HEAD = ["2023年度县级专项资金绩效目标自评表", "专项资金名称", "示范项目", "县级主管部门", "示范局",
                "年度总体目标", "年初设定目标", "全年实际完成情况", "完成示范工作。", "示范工作已完成。",
                "一级指标", "二级指标", "三级指标", "年度指标值", "全年完成值", "未完成原因和改进措施"]
_COUNTY_ROWS = ["产出指标", "数量指标", "示范场次", "≥10次", "12次", "完成及时性", "及时", "及时",
                "效益指标", "社会效益指标", "示范覆盖面", "扩大", "有所扩大", "宣传不足。加大宣传力度。",
                "用户满意度", "≥90%", "95%"]


def test_rows_without_figures_print_a_row_a_line():
    """A table without 分值 / 得分 (no figure ends a row): a row's cells on
    one line as a page prints them, its deviation (sentences) after them."""
    cells = _COUNTY_HEAD + _COUNTY_ROWS + ["说明", "无"]
    lines = as_content_order(_paragraphs(cells)).text.splitlines()
    assert "示范场次 ≥10次 12次" in lines
    assert "示范覆盖面 扩大 有所扩大 宣传不足。加大宣传力度。" in lines
    indicators = _read(_paragraphs(cells))[0].record["indicators"]
    assert [(r["name"], r["target"], r["actual"]) for r in indicators] == [
        ("示范场次", "≥10次", "12次"), ("完成及时性", "及时", "及时"), ("示范覆盖面", "扩大", "有所扩大"),
        ("用户满意度", "≥90%", "95%")]
    assert indicators[2]["deviation"] == "宣传不足。加大宣传力度。" and indicators[3]["deviation"] is None


def test_rows_cut_one_way_only():
    """Three cells a row, a deviation after one that ends a sentence; a
    target may be a sentence, a 三级指标 is none."""
    assert cut_rows(["甲", "符合条件的报告公开发布。", "达成", "乙", "提高", "未达成", "宣传不足。"], 3, True) == [
        ["甲", "符合条件的报告公开发布。", "达成"], ["乙", "提高", "未达成", "宣传不足。"]]
    # an empty cell dropped: no cut, or one that opens a row with the deviation
    assert cut_rows(["甲", "提高", "乙", "提高", "达成"], 3, True) is None
    assert cut_rows(["甲", "提高", "未达成", "宣传不足。", "乙", "提高"], 3, True) is None


def test_a_row_left_short_goes_to_review(tmp_path):
    """A cell of a row without figures left empty (dropped by the copy):
    the rows cannot be cut, and what is read of them is not accepted."""
    rows = [c for c in _COUNTY_ROWS if c != "12次"]
    path = tmp_path / "short.txt"
    path.write_text(_paragraphs(_COUNTY_HEAD + rows + ["说明", "无"]), encoding="utf-8")
    form = read_flat_text_file(path, SHA)[0]
    first = [p for p, _ in iter_fields(form.record) if str(p).startswith("indicators[0].")
             and str(p).endswith((".name", ".target", ".actual"))]
    assert first and all(form.status(p) != ACCEPTED for p in first)
    assert "示范场次 ≥10次 完成及时性" not in as_content_order(path.read_text(encoding="utf-8")).text.splitlines()


def test_a_sub_row_prints_on_a_line_of_its_own():
    """A 其中 sub-row (衔接资金 forms) holds no figures: its cells on one line,
    as the reader skips it; the row after it keeps its cells."""
    cells = _HEAD + _HEADER + ["产出指标", "数量指标", "服务人次", "≥100人次", "120人次", "20", "20",
                               "其中：脱贫户", "≥10人次", "12人次", "会议用户数", "≥50户", "50户", "20", "20"] + _TOTAL
    lines = as_content_order(_paragraphs(cells)).text.splitlines()
    assert "其中：脱贫户 ≥10人次 12人次" in lines
    rows = _read(_paragraphs(cells))[0].record["indicators"]
    assert [(r["name"], r["target"], r["actual"]) for r in rows] == [
        ("服务人次", "≥100人次", "120人次"), ("会议用户数", "≥50户", "50户")]


# ---------------------------------------------------------------- families

@pytest.mark.parametrize("family", ["anhui", "hunan_county", "linkage_funds"])
@pytest.mark.parametrize("shape", ["paragraphs", "one-line"])
def test_family_forms_copied_read_as_printed(family, shape, tmp_path):
    """Family forms as a web page holds them, in both shapes, ingested:
    every field as printed (a figure table, one without figures, 其中 sub-rows)."""
    records, styles = family_forms(family, 2, "reference")
    path = tmp_path / "copied.txt"
    path.write_text(copied_text(shape, records, styles), encoding="utf-8")
    forms = read_flat_text_file(path, SHA)
    assert len(forms) == len(records)
    for record, style, form in zip(records, styles, forms):
        expected = dict(iter_fields(as_printed(record, style)))
        got = dict(iter_fields(form.record))
        wrong = [f"{path}: {value!r} got {got.get(path, 'missing')!r}" for path, value in expected.items()
                 if not str(path).startswith(IDENTITY) and not fields_equal(value, got.get(path, "missing"))]
        assert not wrong
