"""Row-ordered flat texts of other regions' templates (families): columns
placed by the header's labels and order, columns the header does not print
null and certain, rows that are not indicators skipped, closing rows kept in
`extra`; small hand-written texts, then family forms rendered and read
through each row-text extractor."""

from __future__ import annotations

import pytest

from corpus.build import family_forms, render_with_truth
from corpus.extractors import flat_text
from extract.checks.compare import compare_records
from extract.checks.routing import ACCEPTED
from extract.parse.row_cells import _row_offset
from extract.parse.row_columns import Frag
from extract.parse.row_text import _reading_order, _weight_to_score, parse_row_text, row_text_shape

# 衔接资金-like: no 年初预算数, 分值 before the target, 其中 sub-row, slot row, 注 row.
LINKAGE = "\n".join([
    "绩效目标自评表",
    "(2022年度)",
    "项目名称\t测试项目",
    "主管部门\t某委员会\t实施单位\t某中心",
    "项目资金（万元）\t\t全年预算数(A)\t全年执行数(B)\t分值\t执行率(B/A)\t得分",
    "年度资金总额\t10.00\t9.00\t10.00\t90.00\t9.00",
    "其中：本年财政拨款\t10.00\t9.00\t-\t90.00\t-",
    "其他资金\t0.00\t0.00\t-\t-\t-",
    "年度总体目标\t预期目标\t实际完成情况",
    "完成培训3次。\t完成培训3次。",
    "一级指标\t二级指标\t三级指标\t分值\t年度指标值\t全年实际值\t得分\t未完成原因及拟采取的改进措施",
    "产出指标\t数量指标\t培训次数\t50.00\t=3(次)\t3(次)\t50.00",
    "其中：线上培训\t\t=1(次)\t1(次)",
    "指标2：",
    "质量指标\t培训合格率\t40.00\t≥90(%)\t80(%)\t35.00\t原因：考试难度大。",
    "总分\t100.00\t\t\t94.00",
    "注\t分值合计可超过总分。",
]) + "\n"

# 部门预算-like: 调整后预算数 and 权重, a funding row no key holds, the target
# over three cells, 合计 with the weights only, closing rows.
DEPARTMENT = "\n".join([
    "部门预算项目支出绩效自评表",
    "(2023年度)",
    "项目名称  测试项目",
    "主管部门  某委员会  实施单位  某中心",
    "项目资金（万元）    年初预算  调整后预算数  预算执行数  预算执行率  权重  得分  原因",
    "总额  10.00  12.00  9.00  75.00  10.00  7.50",
    "其中：财政资金  10.00  12.00  9.00  75.00  -  -",
    "单位资金  0.00  0.00  0.00",
    "其他资金  0.00  0.00  0.00  -  -  -",
    "年度总体目标  预期目标  实际完成情况",
    "完成培训3次。  完成培训3次。",
    "一级指标  二级指标  三级指标  指标性质  指标值  度量单位  完成值  权重  得分  未完成原因分析",
    "产出指标  数量指标  培训次数  ≥  90  %  95%  50.00  50.00",
    "质量指标  培训质量  定性  优良    良  40.00  35.00  原因：考试难度大。",
    "合计          100.00",
    "评价结论  基本完成。",
    "项目负责人  李红",
]) + "\n"

# 县级专项资金-like: no 分值 / 得分 anywhere, a 说明 row.
COUNTY = "\n".join([
    "2020年度县级专项资金绩效目标自评表",
    "专项资金名称\t测试项目",
    "县级主管部门\t某委员会\t实施单位\t某中心",
    "项目资金（万元）\t\t全年预算数(A)\t全年执行数(B)\t执行率(B/A)",
    "年度资金总额\t10.00\t9.00\t90.00",
    "其中：中央、省、市补助县级资金\t10.00\t9.00\t90.00",
    "其他资金\t0.00\t0.00\t-",
    "年度总体目标\t年初设定目标\t全年实际完成情况",
    "完成培训3次。\t完成培训3次。",
    "一级指标\t二级指标\t三级指标\t年度指标值\t全年完成值\t未完成原因和改进措施",
    "产出指标\t数量指标\t培训次数\t=3(次)\t3(次)",
    "质量指标\t培训合格率\t≥90(%)\t80(%)\t考试难度大。",
    "说明\t无",
]) + "\n"


def _read(tmp_path, text, name="t.txt"):
    from extract.pipeline.document import read_flat_text_file
    from extract.sources.files import sha256_of

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_flat_text_file(path, sha256_of(path))


def test_family_web_tables_read_as_cells():
    for text in (LINKAGE, DEPARTMENT, COUNTY):
        assert row_text_shape(text) == "cells"


def test_linkage_columns_by_the_header_and_rows_that_are_no_indicators(tmp_path):
    (form,) = _read(tmp_path, LINKAGE)
    record = form.record
    assert record["funding"]["total"]["annual_budget"] == 10 and record["funding"]["total"]["weight"] == 10
    assert record["funding"]["total"]["execution_rate"] == 90
    # the header prints no 年初预算数, and no 上年结转资金 row: null, and certain
    assert record["funding"]["total"]["initial_budget"] is None
    assert form.status("funding.total.initial_budget") == ACCEPTED
    assert form.status("funding.carryover.executed") == ACCEPTED
    # the sub-row and the slot row give no indicator
    assert [i["name"] for i in record["indicators"]] == ["培训次数", "培训合格率"]
    first, second = record["indicators"]
    assert (first["weight"], first["target"], first["actual"], first["score"]) == (50, "=3(次)", "3(次)", 50)
    assert (second["level1"], second["level2"]) == ("产出指标", "质量指标")
    assert (second["weight"], second["target"], second["score"]) == (40, "≥90(%)", 35)
    assert second["deviation"] == "原因：考试难度大。"
    assert record["total_weight"] == 100 and record["total_score"] == 94
    assert record["extra"] == {"注": "分值合计可超过总分。"}


def test_department_funding_order_split_target_and_closing_rows(tmp_path):
    (form,) = _read(tmp_path, DEPARTMENT)
    record = form.record
    total = record["funding"]["total"]
    assert (total["initial_budget"], total["annual_budget"], total["executed"]) == (10, 12, 9)
    assert (total["execution_rate"], total["weight"], total["score"]) == (75, 10, 7.5)
    targets = [i["target"] for i in record["indicators"]]
    assert targets == ["≥90%", "定性优良"]
    assert record["indicators"][0]["target_op"] == "≥" and record["indicators"][0]["target_unit"] == "%"
    assert record["indicators"][1]["actual"] == "良"
    # 合计 prints the weights only: its one figure under 权重
    assert record["total_weight"] == 100 and record["total_score"] is None
    assert record["extra"]["单位资金"] == ["0.00", "0.00", "0.00"]
    assert record["extra"]["评价结论"] == "基本完成。" and record["extra"]["项目负责人"] == "李红"


def test_a_template_without_weights_gives_null_and_certain_weights(tmp_path):
    (form,) = _read(tmp_path, COUNTY)
    record = form.record
    assert record["project_name"] == "测试项目" and record["department"] == "某委员会"
    assert record["goal_expected"] == "完成培训3次。"
    assert record["funding"]["current_appropriation"]["executed"] == 9
    assert [i["name"] for i in record["indicators"]] == ["培训次数", "培训合格率"]
    assert record["indicators"][1]["deviation"] == "考试难度大。"
    for path in ("indicators[0].weight", "indicators[1].score", "total_weight", "total_score",
                 "funding.total.weight", "funding.total.initial_budget"):
        assert form.status(path) == ACCEPTED, path
    assert record["extra"] == {"说明": "无"}


def test_which_merged_cells_a_web_row_lacks_is_told_by_what_its_cells_look_like():
    columns = ["level1", "level2", "name", "target", "actual", "deviation"]
    # a new 二级 label under the 一级 one above, no 分值 column to go by
    assert _row_offset(["质量指标", "培训合格率", "≥90(%)", "80(%)"], columns) == (1, False)
    assert _row_offset(["培训合格率", "≥90(%)", "80(%)"], columns) == (2, False)
    assert _row_offset(["产出指标", "数量指标", "培训次数", "=3(次)"], columns) == (0, False)
    # 成本指标 is both a 一级 and a 二级 name: alone, it fits either
    assert _row_offset(["成本指标"], columns)[1] is True
    assert _row_offset(["成本指标", "成本控制", "≤10(万元)", "9(万元)"], columns) == (1, False)


def test_weight_printed_apart_from_score_is_read_next_to_it():
    columns, apart = _reading_order(["level1", "level2", "name", "weight", "target", "actual", "score", "deviation"])
    assert apart and columns == ["level1", "level2", "name", "target", "actual", "weight", "score", "deviation"]
    assert _reading_order(["name", "target", "weight", "score"]) == (["name", "target", "weight", "score"], False)
    line = [Frag("培训次数"), Frag("50.00"), Frag("=3(次)"), Frag("3(次)"), Frag("45.00"), Frag("原因：略。")]
    assert [f.text for f in _weight_to_score(line)] == ["培训次数", "=3(次)", "3(次)", "50.00", "45.00", "原因：略。"]
    # pdftotext: fragments of words one space apart keep together, the figures taken out with their x
    layout = [Frag("培训次数 50.00", 0.0), Frag("=3(次)", 20.0), Frag("3(次)", 30.0), Frag("45.00", 40.0)]
    moved = _weight_to_score(layout)
    assert [(f.text, f.x) for f in moved] == [("培训次数", 0.0), ("=3(次)", 20.0), ("3(次)", 30.0),
                                              ("50.00", 5.0), ("45.00", 40.0)]
    # a score above its weight is no pair: the line is left as printed
    assert _weight_to_score([Frag("a"), Frag("5"), Frag("b"), Frag("50")])[1].text == "5"


SPACED_FUNDING = "\n".join([
    "部门预算项目支出绩效自评表",
    "(2023年度)",
    "项目名称 测试项目",
    "主管部门 某委员会 实施单位 某中心",
    "调整后预算",
    "年初预算 预算执行数 预算执行率 权重 得分 原因",
    "数",
    "总额 {initial} 12.00 9.00 {rate} 10.00 7.50",
    "其中：财政资金 {initial} 12.00 9.00 {rate} - -",
    "其他资金 0.00 0.00 0.00 - - -",
    "预期目标 实际完成情况",
    "年度总体目标 完成培训3次。 完成培训3次。",
    "一级指标 二级指标 三级指标 年度指标值 实际完成值 分值 得分",
    "产出指标 数量指标 培训次数 =3(次) 3(次) 90.00 90.00",
    "总分 100.00 97.50",
]) + "\n"


@pytest.mark.parametrize("initial, rate, doubted", [("12.00", "75.00", False), ("10.00", "75.00", False),
                                                   ("10.00", "70.00", True)])
def test_a_funding_label_wrapped_off_the_header_is_placed_where_the_figures_add_up(initial, rate, doubted):
    """调整后预算数 wraps above and below the header's line: it may stand
    anywhere on it.  Only where it makes 9 / 12 = 75% is it read, not doubted
    (年初预算 printing 12 too reads alike in first or second place); where no
    place adds up, the funding table is doubted."""
    form, = parse_row_text(SPACED_FUNDING.format(initial=initial, rate=rate), "t.txt", "0" * 64, "spaced")
    total = form.record["funding"]["total"]
    assert (total["executed"], total["weight"], total["score"]) == (9, 10, 7.5)
    if not doubted:
        assert (total["initial_budget"], total["annual_budget"]) == (float(initial), 12)
    fields = {str(path) for finding in form.findings if finding.rule == "layout_in_doubt" for path in finding.fields}
    assert ("funding.total.annual_budget" in fields) is doubted


# measured 2026-12-02 on the 3 forms bench/families.py --forms 3 reads, less
# a point: the column widths are measured over the document's forms, so
# fewer forms read worse (linkage_funds/pdfplumber: 90% on 2)
FAMILY_FLOOR = {
    ("linkage_funds", "pdfplumber"): 0.988, ("linkage_funds", "web-table"): 0.99,
    ("sichuan_department", "pdftotext"): 0.99, ("sichuan_department", "web-table"): 0.99,
    ("hunan_county", "web-table"): 0.99, ("anhui", "pdfplumber"): 0.95,
}


@pytest.mark.parametrize("family, extractor", sorted(FAMILY_FLOOR))
def test_family_forms_through_extractor(tmp_path, family, extractor):
    records, styles = family_forms(family, 3)
    pdf = tmp_path / f"{family}.pdf"
    truth = render_with_truth(records, pdf, styles)
    text = flat_text(extractor, pdf=pdf, records=truth, styles=styles)
    got = [form.record for form in _read(tmp_path, text, f"{family}.{extractor}.txt")]
    assert len(got) == len(truth)
    for record, expected in zip(got, truth):
        record["form_id"], record["source"] = expected["form_id"], expected["source"]
    assert compare_records(truth, got).accuracy >= FAMILY_FLOOR[family, extractor]


def test_a_table_without_figures_through_pdfplumber(tmp_path):
    """hunan_county prints no 分值 / 得分: its rows found by their shapes
    alone (`row_bands.read_unanchored`) read most fields (24% before), and
    what is accepted is right; the rest goes to a person."""
    from extract.checks.compare import fields_equal
    from extract.model import iter_fields

    records, styles = family_forms("hunan_county", 3)
    pdf = tmp_path / "hunan_county.pdf"
    truth = render_with_truth(records, pdf, styles)
    forms = _read(tmp_path, flat_text("pdfplumber", pdf=pdf, records=truth, styles=styles), "hunan.txt")
    assert len(forms) == len(truth)
    for form, expected in zip(forms, truth):
        form.record["form_id"], form.record["source"] = expected["form_id"], expected["source"]
    assert compare_records(truth, [form.record for form in forms]).accuracy >= 0.9
    for form, expected in zip(forms, truth):
        gold = dict(iter_fields(expected))
        accepted = [(path, value) for path, value, _ in form.leaves()
                    if path.is_read_from_form and form.status(str(path)) == ACCEPTED]
        assert accepted and all(fields_equal(gold.get(path, "<no such field>"), value) for path, value in accepted)


def test_an_unanchored_table_is_read_by_its_rows_shapes():
    """A spaced table printing no 分值 / 得分 has no figures to find its rows
    by: its rows are read by their shapes, as printed."""
    (form,) = parse_row_text(COUNTY.replace("\t", " "), "t.txt", "0" * 64, "spaced")
    assert [(r["level2"], r["name"], r["target"], r["actual"], r["deviation"]) for r in form.record["indicators"]] == [
        ("数量指标", "培训次数", "=3(次)", "3(次)", None), ("质量指标", "培训合格率", "≥90(%)", "80(%)", "考试难度大。")]


def test_a_misshapen_row_of_an_unanchored_table_is_doubted():
    """A row that prints one cell fewer (left empty, or taken into another
    row) is doubted, its levels too; the next row is not."""
    text = COUNTY.replace("\t=3(次)", "").replace("\t", " ")
    (form,) = parse_row_text(text, "t.txt", "0" * 64, "spaced")
    assert form.record["indicators"][0]["name"] == "培训次数"
    doubted = {str(path) for finding in form.findings for path in finding.fields}
    assert {f"indicators[0].{c}" for c in ("name", "target", "actual", "level1", "level2")} <= doubted
    assert not any(path.startswith("indicators[1].") for path in doubted)


@pytest.mark.parametrize("family", ["hebei", "hunan_county"])
def test_a_web_pages_own_text_after_a_form_is_no_indicator_row(family, tmp_path):
    """A table copied with the page around it (发布时间, 附件下载 …, before the
    next form): after 总分, 评分等级 or a closing row (说明: a template with no
    total) no line is an indicator."""
    from corpus.build import family_forms, render_with_truth
    from corpus.extractors import copied_text
    from extract.parse.flat_reader import parse_flat_text

    records, styles = family_forms(family, 3)
    truth = render_with_truth(records, tmp_path / f"{family}.pdf", styles)
    text = copied_text("boilerplate", truth, styles)
    assert "发布时间" in text or "附件下载" in text or "现将本单位" in text
    forms = parse_flat_text(text, "page.txt", "0" * 64)
    assert [len(f.record["indicators"]) for f in forms] == [len(t["indicators"]) for t in truth]
