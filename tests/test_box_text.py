"""The pdfminer box-text reader (extract.parse.box_text): small plain-text
cases, and gold forms rendered, extracted by pdfminer and read back."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extract.parse.box_boxes import Box, merge_label_pieces, read_boxes, split_joined
from extract.parse.box_funding import COLUMNS, ROWS, solve_funding
from extract.parse.box_rows import Token, build_rows
from extract.parse.box_text import looks_like_box_text, parse_box_text


def _cells(text: str) -> list[str]:
    return [piece.text for piece in split_joined(Box(text.split("\n"), 1), in_table=True)]


def test_joined_cells_split_but_a_target_with_its_operator_word_stays_whole():
    assert _cells("达成指标 10") == ["达成指标", "10"]
    assert _cells("=350.00(本) 350.00(本)") == ["=350.00(本)", "350.00(本)"]
    assert _cells("4.00 因国家反馈数据时间滞后\n导致出版物出版时间延后") == ["4.00", "因国家反馈数据时间滞后\n导致出版物出版时间延后"]
    assert _cells("不超过 100%") == ["不超过 100%"]
    assert _cells("完成专递 48 期，提供服务") == ["完成专递 48 期，提供服务"]


def test_a_line_ending_in_figures_splits_before_them():
    # top-aligned cells share their first line: text, then a weight and a score
    assert _cells("达成指标 10.00 10.00") == ["达成指标", "10.00", "10.00"]
    assert _cells("227.00(户) 10.00 10.00") == ["227.00(户)", "10.00", "10.00"]
    assert _cells("部分达成指标并 5.00 4.00 因国家反馈") == ["部分达成指标并", "5.00", "4.00", "因国家反馈"]
    assert _cells("不低于720P 达成指标") == ["不低于720P", "达成指标"]
    assert _cells("响应速度 95.00(null)") == ["响应速度", "95.00(null)"]
    assert _cells("完成 48 期 达成指标") == ["完成 48 期", "达成指标"]
    assert _cells("不低于 90 10.00 10.00") == ["不低于 90", "10.00", "10.00"]


def test_a_head_value_printed_as_two_boxes_is_joined():
    from extract.parse.box_text import _join_head_pieces

    unit = split_joined(Box(["实施单位 上海市科技创新服务中心"], 1), in_table=True)[-1]
    assert unit.tail
    texts = [Box(["某项目"], 1), Box(["上海市科学技术委员会"], 1), unit,
             Box(["（上海市科技成果档案资料", "馆）"], 1), Box(["预期"], 1), Box(["实际"], 1)]
    joined, at = _join_head_pieces(texts, 5)
    assert [b.flat for b in joined][2] == "上海市科技创新服务中心（上海市科技成果档案资料馆）"
    assert at == [2]


def test_level2_labels_go_back_to_the_template_order_once_each():
    from extract.parse.box_text import _canonical_order

    got = _canonical_order(["社会效益指标", "数量指标", "服务对象满意度指标", "质量指标", "社会效益指标", "时效指标"])
    assert got == ["数量指标", "质量指标", "时效指标", "社会效益指标", "服务对象满意度指标"]


def test_the_next_forms_labels_printed_among_this_forms_boxes_move_to_it():
    from extract.parse.box_text import _hand_on_labels

    first = [Box(["财政项目支出绩效自评表"], 1), Box(["项目资金（万元）"], 1), Box(["数量", "指标"], 1),
             Box(["达成指标"], 2), Box(["项目资金（万", "元）"], 2), Box(["年度总体目标"], 2),
             Box(["产出", "指标"], 2), Box(["质量", "指标"], 2), Box(["10.00"], 2)]
    second = [Box(["财政项目支出绩效自评表"], 2), Box(["某项目"], 2)]
    forms = [first, second]
    _hand_on_labels(forms)
    assert [b.flat for b in forms[0]] == ["财政项目支出绩效自评表", "项目资金（万元）", "数量指标", "达成指标", "10.00"]
    assert [b.flat for b in forms[1]][1:5] == ["项目资金（万元）", "年度总体目标", "产出指标", "质量指标"]


def test_a_wrapped_cell_top_aligned_beside_a_figure_gets_its_other_lines_back():
    # `4.00 因国家反馈数据时间滞后` is one line (score and the deviation's
    # first line), the deviation's other lines a box of their own
    tokens = [Token("text", "用户数", 3.0), Token("target", ">200(户)"), Token("actual", "227(户)"),
              Token("num", "10"), Token("num", "10"),
              Token("text", "故障率", 3.0), Token("target", "<10(%)"), Token("actual", "0(%)"),
              Token("num", "5"), Token("num", "4"),
              Token("text", "因国家反馈数据时间滞后", 11.0, tail=True),
              Token("deviation", "导致出版物出版时间延\n后。改进措施：加强与国", 11.0, 2)]
    from extract.parse.box_text import _join_page_breaks

    out = _join_page_breaks(tokens)
    rows = build_rows(out, target_width=0.0, weight_sum=Decimal(15))
    assert rows[1].deviation.startswith("因国家反馈数据时间滞后\n导致")
    assert not rows[0].deviation          # read as empty: the row lost no points


def test_a_worded_actual_cut_top_aligned_gets_the_rest_of_its_verdict():
    # `部分达成指标并具` printed beside the target, its other line
    # `有一定效果` after the row's figures: it is no name of the next row
    tokens = [Token("text", "网站访问量", 5.0), Token("target", "≥8910(万次)", 7.0, beside=True),
              Token("actual", "部分达成指标并具", 8.0, tail=True),
              Token("num", "10"), Token("num", "0"),
              Token("text", "有一定效果", 5.0),
              Token("text", "差错率", 3.0), Token("target", "<1(%)"), Token("actual", "达成指标", 4.0, tail=True),
              Token("num", "10"), Token("num", "10"),
              Token("text", "响应时间", 4.0), Token("target", "<24(小时)"), Token("actual", "14(小时)"),
              Token("num", "10"), Token("num", "10")]
    from extract.parse.box_text import _join_page_breaks

    out = _join_page_breaks(tokens)
    rows = build_rows(out, target_width=0.0, weight_sum=Decimal(30))
    assert rows[0].actual == "部分达成指标并具\n有一定效果"
    assert [r.name for r in rows] == ["网站访问量", "差错率", "响应时间"]
    assert rows[1].actual == "达成指标"   # a whole verdict takes nothing


def test_merged_labels_read_across_are_read_down():
    from extract.parse.box_boxes import split_stacked_labels

    box = Box(["产 数 用户数 >200.00(户) 227.00(户) 10.00 10.00", "出 量", "指 指", "标 标"], 1)
    assert [b.text for b in split_stacked_labels(box)] == ["产出指标", "数量指标",
                                                         "用户数 >200.00(户) 227.00(户) 10.00 10.00"]
    assert [b.text for b in split_stacked_labels(Box(["效 社", "益 会", "指 效", "标 益", "指", "标"], 1))] == \
        ["效益指标", "社会效益指标"]
    text_box = Box(["完成 验收", "通过 率"], 1)
    assert split_stacked_labels(text_box) == [text_box]


def test_a_title_in_one_box_with_the_lines_before_it_starts_a_form():
    from extract.parse.box_text import _split_at_titles

    got = _split_at_titles([Box(["主管部门", "财政项目支出绩效自评表", "（2023年度）"], 1)])
    assert [b.lines for b in got] == [["主管部门"], ["财政项目支出绩效自评表", "（2023年度）"]]


def test_a_label_cut_into_two_boxes_is_joined():
    cells = merge_label_pieces([Box(["偏差原因分析及改"], 1), Box(["数量", "指标"], 1), Box(["进措施"], 1)])
    assert [c.flat for c in cells] == ["偏差原因分析及改进措施", "数量指标"]


def test_funding_printed_column_by_column_is_read_back_into_rows():
    tokens = "99.34 99.34 0.00 0.00 99.34 99.34 0.00 0.00 99.32 99.32 0.00 0.00 " \
             "10.00 - - - 99.97 99.97 0.00 0.00 9.99 - - -"
    grid, doubt = solve_funding(tokens.split(), list(ROWS), list(COLUMNS))
    assert grid[("total", "executed")] == "99.32"
    assert grid[("total", "score")] == "9.99"
    assert grid[("current_appropriation", "weight")] == "-"
    assert not doubt


def test_figures_printed_as_columns_go_back_to_their_rows():
    # three rows, the weight column then the score column (pdfminer grouped them)
    tokens = [Token("text", "用户数"), Token("target", ">200(户)"), Token("actual", "227(户)"),
              Token("text", "故障率"), Token("target", "<10(%)"), Token("actual", "0(%)"),
              Token("text", "响应度"), Token("text", "及时"), Token("actual", "达成指标"),
              *(Token("num", v) for v in ("20", "10", "30", "20", "10", "28"))]
    rows = build_rows(tokens, target_width=0.0, weight_sum=Decimal(60))
    assert [(r.name, r.target, r.weight, r.score) for r in rows] == [
        ("用户数", ">200(户)", "20", "20"), ("故障率", "<10(%)", "10", "10"), ("响应度", "及时", "30", "28")]


def test_rows_whose_figures_do_not_pair_up_are_all_in_doubt():
    tokens = [Token("text", "用户数"), Token("target", ">200(户)"), Token("actual", "227(户)"),
              Token("text", "故障率"), Token("target", "<10(%)"), Token("actual", "0(%)"),
              *(Token("num", v) for v in ("20", "20", "10"))]
    rows = build_rows(tokens, target_width=0.0, weight_sum=Decimal(30))
    assert all({"name", "target", "actual", "weight", "score"} <= row.doubt for row in rows)


def test_row_ordered_text_is_not_box_text():
    row_text = "财政项目支出绩效自评表\n（2023年度）\n项目名称 某项目\n年度资金总额： 10.00 10.00 9.00 10.00 90.00 9.00\n" * 3
    assert not looks_like_box_text(row_text)
    assert len(read_boxes("a\n\nb\n\n\fc")) == 3


# ---------------------------------------------------------------- rendered gold forms

FORMS = (0, 1, 7, 8)          # 11, 8, 8 and 4 indicators; a deviation; a no-op target


def _accuracy(style: str, tmp_path) -> tuple[float, int]:
    from corpus.build import load_gold, render_with_truth
    from corpus.extractors import pdfminer_text
    from corpus.render import STYLES, FormStyle
    from extract.checks.compare import compare_records

    gold = [load_gold()[i] for i in FORMS]
    pdf = tmp_path / f"{style}.pdf"
    truth = render_with_truth(gold, pdf, [FormStyle(typesetting=STYLES[style])] * len(gold))
    text = pdfminer_text(pdf)
    assert looks_like_box_text(text)
    forms = parse_box_text(text, pdf.name, truth[0]["source"]["sha256"])
    got = [form.record for form in forms]
    for record, expected in zip(got, truth):
        record["form_id"], record["source"] = expected["form_id"], expected["source"]
    return compare_records(truth, got).accuracy, len(got)


# measured on these 4 forms: reference 1.0, word-breaks 1.0, dense-9 0.953 (tuning
# styles); zenhei-12-thick 1.0, uming-10-breaks 0.966 (held-out styles, no rule
# was fitted to them)
@pytest.mark.parametrize("style, threshold", [("reference", 0.99), ("word-breaks", 0.99), ("dense-9", 0.945),
                                              ("zenhei-12-thick", 0.99), ("uming-10-breaks", 0.955)])
def test_gold_forms_read_back_from_pdfminer_text(style, threshold, tmp_path):
    accuracy, forms = _accuracy(style, tmp_path)
    assert forms == len(FORMS)
    assert accuracy >= threshold, f"{style}: field accuracy {accuracy:.4f} < {threshold}"


# ---------------------------------------------------------------- synthetic-form cases

def _indicators(cells: list[str], funding: tuple[str, str] | None = None) -> list[dict]:
    """The indicator rows _read_indicators makes of a column of cells
    (`funding`: the funding row's weight and score)."""
    from extract.model import FieldPath
    from extract.parse.assembly import FormAssembly
    from extract.parse.box_text import _read_indicators

    assembly = FormAssembly(method="box-text")
    if funding:
        assembly.put(FieldPath.funding("total", "weight"), funding[0])
        assembly.put(FieldPath.funding("total", "score"), funding[1])
    _read_indicators(assembly, [Box(c.split("\n"), 1) for c in cells], (8.0, None))
    rows = []
    for i in range(20):
        row = {k: assembly.text(FieldPath.indicator(i, k)) for k in ("name", "target", "actual", "weight", "score")}
        if not any(row.values()):
            break
        rows.append(row)
    return rows


def test_a_percentage_is_a_target_or_an_actual_not_a_weight():
    rows = _indicators(["三级指标", "用户数", ">200(户)", "227(户)", "10.00", "10.00",
                        "测评合格率", "95%", "96%", "15.00", "15.00", "总分", "25.00", "25.00"])
    assert [(r["name"], r["target"], r["actual"], r["weight"]) for r in rows] == [
        ("用户数", ">200(户)", "227(户)", "10.00"), ("测评合格率", "95%", "96%", "15.00")]


def test_the_totals_are_the_figures_after_the_total_label_where_they_add_up():
    from extract.parse.box_text import _take_totals

    # a row's score cut off with its deviation prints after 总分's figures
    tokens = [Token("num", v) for v in ("10.00", "10.00", "5.00", "100.00", "93.00", "3.00")]
    assert _take_totals(tokens, 3, Decimal(80), Decimal(75)) == ("100.00", "93.00")
    assert [t.text for t in tokens] == ["10.00", "10.00", "5.00", "3.00"]
    # the last row's figures print after the label: the last two are the totals
    tokens = [Token("num", v) for v in ("10.00", "10.00", "5.00", "5.00", "100.0", "100.0")]
    assert _take_totals(tokens, 2, Decimal(85), Decimal(85)) == ("100.0", "100.0")


def test_a_deviation_without_its_words_is_told_from_a_long_target():
    # `受…影响，任务量有所减少。` has none of the deviation words; the long
    # text target is right before its actual
    tokens = [Token("text", "专递内容运维服务", 8.0), Token("text", "制作40-45期专递，含各类科技服务信息800-900条。", 8.0),
              Token("actual", "部分达成指标并具有一定效果"), Token("num", "5.00"), Token("num", "0.00"),
              Token("text", "印刷份数", 4.0), Token("target", "=250.00(本)"), Token("actual", "237.00(本)"),
              Token("num", "10.00"), Token("num", "0.00"),
              Token("deviation", "主要原因是部分活动因场地调整取消。", 11.0),
              Token("text", "受部分活动因场地调整取消影响，任务量有所减少。", 11.0)]
    rows = build_rows(tokens, target_width=0.0, weight_sum=Decimal(15))
    assert rows[0].target.startswith("制作40-45期")
    assert rows[1].deviation.startswith("受部分活动")


def test_a_measure_after_a_text_targets_actual_is_an_actual():
    from extract.parse.box_text import _promote_word_actuals

    tokens = [Token("text", "邮件系统运行状况"), Token("text", "社会影响力"), Token("text", "正常运行"),
              Token("target", ">=90%"), Token("actual", "达成指标"), Token("maybe-target", "90.36%"),
              Token("text", "带动社会投资"), Token("target", "=3100.00(万元)"), Token("text", "不断网"),
              Token("actual", "达标"), Token("num", "5"), Token("num", "5"),
              Token("maybe-target", "3100.00(万元)"),
              *(Token("num", v) for v in ("5", "5", "3", "3", "2", "2"))]
    _promote_word_actuals(tokens)
    assert tokens[5].kind == "actual" and tokens[12].kind == "actual"


def test_two_cells_pdfminer_stacked_in_one_box_are_split():
    from extract.parse.box_text import _split_stacked_cells

    tokens = [Token("text", "服务人次\n系统运维工作完成率", 9.0, 2), Token("target", ">100(人次)"), Token("actual", "120(人次)"),
              Token("target", "≥100.00(%)"), Token("actual", "100.00(%)"),
              Token("text", "受部分活动因场地\n调整取消影响，任\n务量有所减少。\n科技报告资源共享率", 9.0, 4),
              Token("target", "=100.00(%)"), Token("actual", "89.50(%)")]
    got = [t.text for t in _split_stacked_cells(tokens) if t.kind == "text"]
    assert got == ["服务人次", "系统运维工作完成率", "受部分活动因场地\n调整取消影响，任\n务量有所减少。", "科技报告资源共享率"]
    three = [Token("text", "举办专题活动场次\n视频答辩系统老旧设备\n逐年改造完成率\n培训工作完成次数", 10.0, 4),
             *(Token(kind, "=1(次)" if kind == "target" else "1(次)") for kind in ("target", "actual") * 3)]
    assert [t.text for t in _split_stacked_cells(three)][:3] == ["举办专题活动场次", "视频答辩系统老旧设备\n逐年改造完成率",
                                                                 "培训工作完成次数"]
    whole = [Token("text", "确保完成科技部下\n达视频答辩所有场次", 9.0, 2), Token("target", "=1(次)"), Token("actual", "1(次)")]
    assert len(_split_stacked_cells(whole)) == 3


def test_a_cut_deviation_gets_the_piece_that_ends_its_sentence():
    from extract.parse.box_text import _join_page_breaks

    # `0.00 主要原因是宣传推广力度` is one line; `不足。` comes after the next row's name
    tokens = [Token("text", "共享率", 3.0), Token("target", "=100.00(%)"), Token("actual", "89.50(%)"),
              Token("num", "5.00"), Token("num", "0.00"),
              Token("text", "主要原因是宣传推广力度", 11.0, tail=True),
              Token("text", "档案管理效率", 6.0), Token("text", "提升", 2.0), Token("actual", "未完全达成"),
              Token("num", "5.00"), Token("text", "不足。", 3.0), Token("num", "0.00")]
    out = _join_page_breaks(tokens)
    assert "主要原因是宣传推广力度\n不足。" in [t.text for t in out]
    assert "档案管理效率" in [t.text for t in out]
    # a whole sentence is no cut cell
    whole = [Token("num", "0.03"), Token("text", "供应商交付周期延长。", 10.0, tail=True), Token("text", "申请量", 3.0),
             Token("target", "=2(项)"), Token("actual", "1(项)")]
    assert "供应商交付周期延长。" in [t.text for t in _join_page_breaks(whole)]


def test_a_satisfaction_row_is_told_by_its_name_not_its_target():
    from extract.parse.box_rows import Row, fit_levels

    rows = [Row(name="设备购置数量", target="=19(套)"), Row(name="提供优质的政务服务", target="不断提高公众满意度"),
            Row(name="社会影响力", target="=95(%)"), Row(name="公众满意度", target="≥95(%)")]
    assert fit_levels(rows, ["产出指标", "效益指标", "满意度指标"], ["数量指标", "社会效益指标", "服务对象满意度指标"])
    assert [r.level2 for r in rows] == ["数量指标", "社会效益指标", "社会效益指标", "服务对象满意度指标"]


def test_goals_printed_shorter_first_are_in_doubt():
    from extract.parse.assembly import FormAssembly
    from extract.parse.box_text import _read_head_and_funding

    assembly = FormAssembly(method="box-text")
    cells = [Box(["某项目"], 1), Box(["某部门"], 1), Box(["某单位"], 1), Box(["按照项目计划完成既定任务。"], 1),
             Box(["通过对项目实施日常运行维护，", "保障系统全年稳定运行，提升", "用户满意率。完成项目相关工作"], 1)]
    _read_head_and_funding(assembly, cells)
    form = assembly.finish("x.txt", "0" * 64)
    assert any("goals" in str(f) for f in form.findings)


def test_two_bare_figures_side_by_side_are_a_target_and_its_actual():
    rows = _indicators(["三级指标", "用户数", ">200(户)", "227(户)", "20.00", "20.00",
                        "用户满意度", "98", "96", "10.00", "5.00", "总分", "40.00", "35.00"], funding=("10.00", "10.00"))
    assert [(r["target"], r["actual"], r["weight"], r["score"]) for r in rows] == [
        (">200(户)", "227(户)", "20.00", "20.00"), ("98", "96", "10.00", "5.00")]
    # a column of two rows' bare targets, each row with its actual: both stay targets
    rows = _indicators(["三级指标", "用户数", "社会公众满意度", "98", "90", "达成指标", "达成指标",
                        "20.00", "20.00", "10.00", "5.00", "总分", "40.00", "35.00"], funding=("10.00", "10.00"))
    assert [(r["target"], r["actual"]) for r in rows] == [("98", "达成指标"), ("90", "达成指标")]


def test_the_name_column_is_measured_and_a_same_width_target_column_gives_no_clue():
    from extract.parse.box_rows import _Widths
    from extract.parse.box_text import _name_width
    boxes = [Box(["视频答辩系统改", "造工作完成情况"], 1), Box(["会场技术支持工", "作完成质量情况"], 1),
             Box(["长效管理机制健", "全性"], 1), Box(["部分达成指标并", "具有一定效果"], 1)]
    assert _name_width(boxes) == 7.0
    assert not _Widths(7.0, 7.0).names_wider       # both columns wrap at 7 characters
    assert _Widths(7.0, 9.0).names_wider and _Widths(7.0, None).names_wider


def test_funding_columns_printed_in_their_labels_order():
    """pdfminer printed 得分 before 分数: the labels' order is tried too."""
    grid = {"initial_budget": ["104.8", "104.8", "0", "0"], "annual_budget": ["104.8", "104.8", "0", "0"],
            "executed": ["104.67", "104.67", "0", "0"], "execution_rate": ["99.87", "99.87", "0", "0"],
            "score": ["9.98", "-", "-", "-"], "weight": ["10", "-", "-", "-"]}
    printed = ["initial_budget", "annual_budget", "executed", "execution_rate", "score", "weight"]
    tokens = [t for col in printed for t in grid[col]]
    got, doubt = solve_funding(tokens, list(ROWS), list(COLUMNS), printed)
    assert got[("total", "weight")] == "10" and got[("total", "score")] == "9.98"
    assert ("total", "weight") not in doubt


def test_equal_pairs_read_row_or_column_wise_leave_their_rows_in_doubt():
    tokens = []
    for k in range(4):
        tokens += [Token("text", f"指标{k}完成率"), Token("target", "=100(%)"), Token("actual", "100(%)")]
    tokens += [Token("num", v) for v in ("5", "5", "10", "10", "5", "5", "10", "10")]
    rows = build_rows(tokens, target_width=0.0, weight_sum=Decimal(30))
    assert [r.weight for r in rows] == ["5", "10", "5", "10"]
    # read column-wise rows 2 and 3 swap (5 5 | 10 10): those two are in doubt
    assert [{"weight", "score"} <= r.doubt for r in rows] == [False, True, True, False]


def test_level_spans_doubted_only_where_another_label_fits_as_well():
    from extract.parse.box_rows import Row, fit_levels
    rows = [Row(name="培训场次数量", target="=2(场)"), Row(name="验收合格率", target="=100(%)"),
            Row(name="服务对象满意度", target="≥90(%)")]
    assert fit_levels(rows, ["产出指标", "满意度指标"], ["数量指标", "质量指标", "服务对象满意度指标"])
    assert [r.level2 for r in rows] == ["数量指标", "质量指标", "服务对象满意度指标"]
    assert not any(r.doubt for r in rows)


def test_a_unit_cut_off_by_a_page_break_goes_back_to_its_measures():
    from extract.parse.box_boxes import join_cut_units

    # the row's target and actual print their number on one page, their
    # units after the next page's repeated header
    cells = [Box(["音像资料采集量"], 7), Box(["≥120.00"], 7), Box(["241.00"], 7), Box(["9.0"], 7), Box(["9.0"], 7),
             Box(["三级指标"], 8), Box(["（项）"], 8), Box(["（项）"], 8), Box(["整理并入库照片"], 8)]
    got = [c.flat for c in join_cut_units(cells)]
    assert got == ["音像资料采集量", "≥120.00（项）", "241.00（项）", "9.0", "9.0", "三级指标", "整理并入库照片"]
    # a figure that is no actual (after a word actual) keeps no unit: the unit goes to the target
    cells = [Box(["≥2000.00"], 6), Box(["2200.00(份)"], 6), Box(["20"], 6), Box(["20"], 6), Box(["(份)"], 7)]
    assert [c.flat for c in join_cut_units(cells)] == ["≥2000.00(份)", "2200.00(份)", "20", "20"]
    # a number cut inside its decimals: its last digits and unit first on the next page
    cells = [Box(["≥10000.0"], 6), Box(["三级指标"], 7), Box(["0（张）"], 7), Box(["15133.00（张）"], 7)]
    assert [c.flat for c in join_cut_units(cells)] == ["≥10000.00（张）", "三级指标", "15133.00（张）"]
    # on its page's own, `0（张）` is a cell (an actual of nought)
    cells = [Box(["≥10000.0"], 6), Box(["名称"], 6), Box(["0（张）"], 6)]
    assert [c.flat for c in join_cut_units(cells)] == ["≥10000.0", "名称", "0（张）"]


def test_the_end_of_a_deviation_after_a_page_break_is_the_deviations():
    from extract.parse.box_text import _join_page_breaks

    # `准确确定项` … (the next page) `目计划。`: the piece ends the open sentence, not the name
    tokens = [Token("text", "编撰质量内容容错率低", 10.0, page=1), Token("text", "差错率低", 4.0, page=1),
              Token("actual", "达成指标", page=1), Token("num", "10.0", page=1), Token("num", "10.0", page=1),
              Token("text", "年底前完成", 5.0, page=1), Token("actual", "部分达成", page=1),
              Token("num", "5.0", page=1), Token("num", "4.0", page=1),
              Token("deviation", "因数据时间滞后导致延后。改进措施：\n准确确定项", 9.0, 2, page=1),
              Token("text", "目计划。", 4.0, page=2), Token("text", "经费执行率", 5.0, page=2)]
    out = _join_page_breaks(tokens)
    assert "因数据时间滞后导致延后。改进措施：\n准确确定项\n目计划。" in [t.text for t in out]
    assert "编撰质量内容容错率低" in [t.text for t in out]


def test_actuals_printed_ahead_of_their_targets_are_actuals():
    from extract.parse.box_text import _promote_word_actuals

    # a column of actuals with their figures, then the names and targets
    tokens = [Token("maybe-target", "1000.00(册)"), Token("num", "10"), Token("num", "10"),
              Token("maybe-target", "500.00(册)"), Token("num", "10"), Token("num", "10"),
              Token("text", "年鉴印刷份数"), Token("text", "报告印刷份数"),
              Token("target", "=1000.00(册)"), Token("target", "=500.00(册)")]
    _promote_word_actuals(tokens)
    assert [t.kind for t in tokens if "册" in t.text] == ["actual", "actual", "target", "target"]


def test_a_level_label_cut_by_a_page_break_finds_its_rest_on_the_next_page():
    cells = [Box(["数量"], 1)] + [Box([f"单元{k}"], 1) for k in range(100)] + [Box(["指标"], 2)]
    merged = merge_label_pieces(cells)
    assert merged[0].flat == "数量指标" and len(merged) == 101
    assert merged[0].end_page == 2          # it printed on both pages (no label centred on one)


def test_rows_the_figures_do_not_confirm_are_in_doubt():
    # three actuals but the figures add up to two rows' weights and scores less than the totals leave
    tokens = [Token("text", "甲完成率"), Token("target", "=1(项)"), Token("actual", "1(项)"), Token("num", "10"), Token("num", "10"),
              Token("text", "乙完成率"), Token("target", "=2(项)"), Token("actual", "2(项)"), Token("num", "10"), Token("num", "10"),
              Token("text", "丙完成率"), Token("target", "=3(项)"), Token("actual", "3(项)"), Token("num", "5"), Token("num", "5")]
    rows = build_rows(tokens, target_width=0.0, weight_sum=Decimal(30), figure_sum=Decimal(60))
    assert len(rows) == 3 and all("name" in r.doubt and "actual" in r.doubt for r in rows)
    sure = build_rows(tokens, target_width=0.0, weight_sum=Decimal(25), figure_sum=Decimal(50))
    assert not any("name" in r.doubt for r in sure)


def test_a_total_score_wrapped_in_its_narrow_cell_is_joined_where_the_sums_confirm_it():
    from extract.parse.box_text import _join_wrapped_figures, _take_totals

    # 总分 `100 98.9` / `9`: rows 50+49.49 and 40+40, the funding 10 and 9.5
    tokens = [Token("num", v) for v in ("50", "49.49", "40", "40", "100", "98.9", "9")]
    tokens, at = _join_wrapped_figures(tokens, 4, Decimal(10), Decimal("9.5"), None)
    assert at == 4 and _take_totals(tokens, at, Decimal(10), Decimal("9.5")) == ("100", "98.99")
    assert [t.text for t in tokens] == ["50", "49.49", "40", "40"]
    # with a bare target among the figures, once it is taken out
    bare = [Token("num", v) for v in ("50", "49.49", "100", "40", "40", "100", "98.9", "9")]
    assert [t.text for t in _join_wrapped_figures(bare, 5, Decimal(10), Decimal("9.5"), None)[0]][-2:] == ["100", "98.99"]
    # the sums do not confirm the join: the figures stay apart
    apart = [Token("num", v) for v in ("50", "49.49", "40", "40", "100", "98.9", "7")]
    assert [t.text for t in _join_wrapped_figures(apart, 4, Decimal(10), Decimal("9.5"), None)[0]][-2:] == ["98.9", "7"]


def test_a_measure_after_a_rows_figures_is_the_missing_actual():
    from extract.parse.box_text import _promote_word_actuals

    # pdfminer put the last row's actual after the figures of the row before
    tokens = [Token("text", "项目单位满意度"), Token("text", "社会公众满意度"),
              Token("target", "≥90.00(%)"), Token("target", "≥90.00(%)"),
              Token("maybe-target", "100.00(%)"), Token("num", "5.0"), Token("num", "5.0"),
              Token("maybe-target", "98.00(%)"), Token("num", "5.0"), Token("num", "5.0")]
    _promote_word_actuals(tokens)
    assert [t.kind for t in tokens if "%" in t.text] == ["target", "target", "actual", "actual"]


def test_the_pieces_of_a_cut_row_printed_column_by_column_go_to_their_cells():
    from extract.parse.box_text import _join_page_breaks

    # the last row before the break cut in its name (7 em column) and its
    # target (5 em column); the next page prints its name column (the
    # name's rest first), then its target column (the target's rest first)
    p1 = [Token("text", "科技成果内容传\n播率", 7.0, 2, page=1), Token("text", "与上年度\n比，传播面\n更广", 5.0, 3, page=1),
          Token("actual", "达成指标", page=1), Token("num", "10.0", page=1), Token("num", "10.0", page=1),
          Token("text", "年鉴、手册数据", 7.0, page=1), Token("text", "基本反映全", 5.0, page=1),
          Token("actual", "达成指标", page=1), Token("num", "10.0", page=1), Token("num", "10.0", page=1)]
    p2 = [Token("text", "完整度", 3.0, page=2), Token("text", "信息共享", 4.0, page=2),
          Token("text", "项目单位满意度", 7.0, page=2), Token("text", "市科技工\n作、成果情\n况", 5.0, 3, page=2),
          Token("text", "为载体予以\n出版及非公\n开领域共享", 5.0, 3, page=2), Token("target", "≥90.00(%)", page=2),
          Token("actual", "达成指标", page=2), Token("num", "10.0", page=2), Token("num", "10.0", page=2),
          Token("actual", "98.00(%)", page=2), Token("num", "5.0", page=2), Token("num", "5.0", page=2)]
    texts = [t.text for t in _join_page_breaks(p1 + p2, (5.0, 7.0))]
    assert "年鉴、手册数据\n完整度" in texts and "基本反映全\n市科技工\n作、成果情\n况" in texts
    assert "信息共享" in texts


def test_the_cut_cell_is_the_one_whose_last_line_fills_its_column():
    from extract.parse.box_text import _last_line_fill

    # a one-line name of 6 em in a 7 em column is whole; a 5 em last line
    # of a cell wrapped at 5 em is full
    assert _last_line_fill(Token("text", "编写发布时效", 6.0), (5.0, 7.0)) < 1.0
    assert _last_line_fill(Token("text", "与上年度\n比，传播面", 5.0, 2), (5.0, 7.0)) == 1.0


def test_funding_columns_printed_after_the_indicator_header_are_the_fundings():
    from extract.parse.box_text import _funding_columns_after

    cells = [Box([t], 1) for t in ("三级指标", "年度指标值", "执行率（%）", "98.93", "0.0", "得分", "9.89", "-",
                                   "两委文书档案整理", "≥8357.00（件）")]
    assert [c.flat for c in _funding_columns_after(cells, 0)] == ["执行率（%）", "98.93", "0.0", "得分", "9.89", "-"]
    assert _funding_columns_after(cells[:2] + cells[8:], 0) == []


def test_funding_row_labels_after_the_total_label_are_the_next_forms():
    from extract.parse.box_text import _hand_on_labels

    first = [Box(["财政项目支出绩效自评表"], 1), Box(["年度资金总额："], 1), Box(["总分"], 2),
             Box(["年度资金总额："], 3), Box(["其中：当年财政拨款"], 3), Box(["100"], 3)]
    second = [Box(["财政项目支出绩效自评表"], 3), Box(["上年结转资金"], 3)]
    forms = [first, second]
    _hand_on_labels(forms)
    assert [b.flat for b in forms[0]] == ["财政项目支出绩效自评表", "年度资金总额：", "总分", "100"]
    assert [b.flat for b in forms[1]][1:3] == ["年度资金总额：", "其中：当年财政拨款"]


def test_a_figure_cut_one_decimal_short_takes_the_next_bare_digit():
    from extract.parse.box_text import _join_cut_decimals
    # `10.00` too wide for its cell: `10.0` on the row's first line, its `0`
    # a box of its own a few boxes on, or on the next page after a break
    tokens = [Token("actual", "达成指标", page=1), Token("num", "10.0", page=1), Token("num", "10.0", page=1),
              Token("text", "信息共享", page=2), Token("num", "0", page=2), Token("num", "0", page=2),
              Token("num", "5.00", page=2), Token("num", "4.00", page=2)]
    out, at = _join_cut_decimals(tokens, 6)
    assert [t.text for t in out] == ["达成指标", "10.00", "10.00", "信息共享", "5.00", "4.00"]
    assert at == 4


def test_a_one_decimal_table_keeps_its_bare_digits():
    from extract.parse.box_text import _join_cut_decimals
    tokens = [Token("num", "10.0", page=1), Token("num", "9.5", page=1), Token("num", "5", page=1)]
    out, at = _join_cut_decimals(tokens, None)
    assert [t.text for t in out] == ["10.0", "9.5", "5"] and at is None


def test_the_right_column_printed_before_a_title_moves_to_its_form():
    from extract.parse.box_text import _hand_on_right_column

    # the 实施单位 value and the 执行率 / 得分 columns print after the form
    # before has printed its grade, ahead of the next title
    first = [Box(["财政项目支出绩效自评表"], 1), Box(["总分"], 1), Box(["100.0"], 1), Box(["优"], 1),
             Box(["某服务中心"], 1), Box(["执行率", "（%）"], 1), Box(["99.97"], 1), Box(["0.0"], 1),
             Box(["得分"], 1), Box(["9.99"], 1), Box(["-"], 1)]
    second = [Box(["财政项目支出绩效自评表"], 1), Box(["项目名称"], 1), Box(["某项目"], 1), Box(["实施单位"], 1),
              Box(["年初预算", "数"], 1), Box(["10.0"], 1), Box(["三级指标"], 1), Box(["用户数"], 1)]
    lead = [Box(["甲中心"], 1), Box(["执行率", "（%）"], 1), Box(["98.0"], 1), Box(["得分"], 1), Box(["9.8"], 1)]
    third = [Box(["财政项目支出绩效自评表"], 1), Box(["实施单位"], 1), Box(["三级指标"], 1)]
    forms = [first, second]
    _hand_on_right_column(forms, [])
    assert [b.flat for b in forms[0]] == ["财政项目支出绩效自评表", "总分", "100.0", "优"]
    assert [b.flat for b in forms[1]] == ["财政项目支出绩效自评表", "项目名称", "某项目", "实施单位", "某服务中心",
                                          "年初预算数", "10.0", "执行率（%）", "99.97", "0.0", "得分", "9.99", "-",
                                          "三级指标", "用户数"]
    # before the first title: the first form's
    forms = [third]
    _hand_on_right_column(forms, lead)
    assert [b.flat for b in forms[0]] == ["财政项目支出绩效自评表", "实施单位", "甲中心", "执行率（%）", "98.0",
                                          "得分", "9.8", "三级指标"]


def test_a_bare_measure_above_an_actual_of_its_unit_is_an_actual():
    from extract.parse.box_text import _promote_word_actuals

    # two targets with operators, their rows' word actuals, then the column
    # of the last rows' actuals: `100.00(%)` / `98.00(%)`
    tokens = [Token("text", "甲满意度"), Token("text", "乙满意度"), Token("target", "≥90.00(%)"),
              Token("target", "≥90.00(%)"), Token("actual", "达成指标"), Token("num", "10"), Token("num", "10"),
              Token("actual", "达成指标"), Token("num", "10"), Token("num", "10"),
              Token("maybe-target", "100.00(%)"), Token("maybe-target", "98.00(%)"),
              *(Token("num", v) for v in ("5", "5", "5", "5", "5", "5", "5", "5"))]
    _promote_word_actuals(tokens)
    assert [t.kind for t in tokens if t.text.endswith("%)")] == ["target", "target", "actual", "actual"]


def test_the_unit_value_printed_with_the_funding_columns_after_the_header_is_the_heads():
    from extract.parse.box_text import _read_form

    boxes = [Box([line], 1) for line in ("财政项目支出绩效自评表", "项目名称", "某项目", "主管部门", "某委员会",
                                         "实施单位", "预期目标", "实际完成情况", "完成预期的各项工作任务。",
                                         "完成了全年的各项工作任务。", "三级指标", "用户数", ">200(户)", "227(户)",
                                         "10", "10", "某服务中心", "执行率（%）", "100.0", "得分", "10.0")]
    form = _read_form(boxes, (8.0, None)).finish("x.txt", "0" * 64)
    assert form.record["implementing_unit"] == "某服务中心"
    assert form.record["indicators"][0]["name"] == "用户数"


def test_a_first_name_printed_before_the_header_beside_the_merged_labels_is_the_tables():
    from extract.parse.box_text import _table_cells_before_header

    head = [Box([t], 1) for t in ("某项目", "某委员会", "某服务中心", "预期目标", "完成预期的各项工作任务。",
                                  "完成了全年的各项工作任务。", "一级指标", "产出指标", "数量指标", "用户数")]
    assert [b.flat for b in _table_cells_before_header(head, 11.0)] == ["用户数"]
    # a goal after the merged labels, wider than the name column, stays the head's
    wide = head[:5] + [Box(["一级指标"], 1), Box(["数量指标"], 1), Box(["完成了全年的各项工作任务并通过了验收。"], 1)]
    assert _table_cells_before_header(wide, 11.0) == []


def test_funding_columns_printed_first_with_their_label_are_read_back():
    # 执行率 and 得分 grouped with their labels print before the budgets
    rate, score = ["91.57", "91.57", "0.0", "0.0"], ["9.15", "-", "-", "-"]
    left = ["145.0", "145.0", "0.0", "0.0", "145.0", "145.0", "0.0", "0.0",
            "132.79", "132.79", "0.0", "0.0", "10.0", "-", "-", "-"]
    tokens = rate + score + left
    got, doubt = solve_funding(tokens, list(ROWS), list(COLUMNS), lead="execution_rate")
    assert got[("total", "executed")] == "132.79" and got[("total", "score")] == "9.15"
    assert got[("total", "weight")] == "10.0" and not doubt
    assert solve_funding(tokens, list(ROWS), list(COLUMNS))[0][("total", "weight")] != "10.0"


def test_a_measure_cut_in_its_decimals_beside_a_joined_first_line_gets_its_rest():
    from extract.parse.box_boxes import join_cut_units

    # top-aligned: `名称 ≥1000000.0` one line, the target's `0（页）` the next box
    cells = split_joined(Box(["数字档案馆资源建设业务 ≥1000000.0"], 1), in_table=True) \
        + [Box(["0（页）"], 1), Box(["1000000.00", "（页）"], 1)]
    assert [c.flat for c in join_cut_units(cells)] == ["数字档案馆资源建设业务", "≥1000000.00（页）", "1000000.00（页）"]


def test_a_cut_rows_units_skip_the_head_cells_printed_inside_the_table():
    from extract.parse.box_text import _read_form

    # the row's target and actual cut by a page break; between them and
    # their units the 实施单位 value and the 执行率 / 得分 columns print
    page1 = ("财政项目支出绩效自评表", "项目名称", "某项目", "主管部门", "某委员会", "实施单位", "预期目标",
             "完成预期的各项工作任务。", "完成了全年的各项工作任务。", "三级指标", "场次完成率", "=100.00", "100.00",
             "20", "20", "用户数", "某服务中心", "执行率（%）", "99.0", "99.0", "0.0", "0.0", "得分", "9.9", "-", "-", "-")
    boxes = [Box([t], 1) for t in page1] + [Box([t], 2) for t in ("三级指标", "（%）", "（%）")]
    record = _read_form(boxes, (8.0, None)).finish("x.txt", "0" * 64).record
    assert record["implementing_unit"] == "某服务中心"
    assert (record["indicators"][0]["target"], record["indicators"][0]["actual"]) == ("=100.00（%）", "100.00（%）")


def test_a_measure_cut_at_its_point_gets_its_rest_after_the_names_below_it():
    from extract.parse.box_boxes import join_cut_units

    # top-aligned: `名称 ≥1000000.0` one line; the one-line names of the rows
    # below sit higher than the target's `0（页）` and print before it
    cells = split_joined(Box(["数字档案馆资源建设业务 ≥1000000.0"], 1), in_table=True) \
        + [Box(["数字档案馆基础建设项目"], 1), Box(["数字化业务保障"], 1), Box(["0（页）"], 1),
           Box(["=1.00", "（项）"], 1)]
    assert [c.flat for c in join_cut_units(cells)] == ["数字档案馆资源建设业务", "≥1000000.00（页）", "数字档案馆基础建设项目",
                                                      "数字化业务保障", "=1.00（项）"]


def test_a_measure_cut_right_after_its_point_is_a_measure_without_its_unit():
    from extract.parse.box_boxes import join_cut_units

    # `≥1000000.` reads its point as a unit; it waits for its rest all the same
    cells = split_joined(Box(["数字档案馆资源建设业务 ≥1000000."], 1), in_table=True) + [Box(["00（页）"], 1)]
    assert [c.flat for c in join_cut_units(cells)] == ["数字档案馆资源建设业务", "≥1000000.00（页）"]


def test_a_cut_target_takes_the_piece_that_ends_its_sentence_after_the_next_name():
    from extract.parse.box_text import _join_page_breaks

    # the last row's target cut by the break (`…800-900` / `条。`); the next
    # page prints the next row's one-line name first, then the rest
    p1 = [Token("text", "专递内容运维服务", 8.0, page=1),
          Token("text", "制作40-45\n期专递，含\n各类科技服\n务信息\n800-900", 5.0, 5, page=1),
          Token("actual", "达成指标", page=1), Token("num", "10.0", page=1), Token("num", "10.0", page=1)]
    p2 = [Token("text", "科技服务信息内容", 8.0, page=2), Token("text", "条。", 2.0, page=2),
          Token("text", "权威、准\n确、规范", 4.0, 2, page=2), Token("actual", "达成指标", page=2),
          Token("num", "20.0", page=2), Token("num", "20.0", page=2)]
    texts = [t.text for t in _join_page_breaks(p1 + p2, (5.0, 11.0))]
    assert "制作40-45\n期专递，含\n各类科技服\n务信息\n800-900\n条。" in texts
    assert "专递内容运维服务" in texts and "科技服务信息内容" in texts


def test_a_bare_measure_ahead_of_its_rows_target_is_an_actual():
    from extract.parse.box_text import _promote_word_actuals

    # the names, then the column of actuals (`184.00（项）` / `2211.00（次）`)
    # with the figures, then the targets with their operators
    tokens = [Token("text", "甲申请量"), Token("text", "乙浏览数量"), Token("text", "丙共享"),
              Token("maybe-target", "184.00\n（项）"), Token("actual", "2211.00\n（次）"),
              *(Token("num", "10.0") for _ in range(4)), Token("actual", "达成指标"),
              Token("num", "5.0"), Token("num", "5.0"),
              Token("target", "≥100.00\n（项）"), Token("target", "≥1500.00\n（次）"),
              Token("text", "符合条件的\n报告公开发\n布。")]
    _promote_word_actuals(tokens)
    assert tokens[3].kind == "actual"


def test_a_cut_figure_left_without_a_digit_takes_the_like_digit_printed_before_it():
    from extract.parse.box_text import _join_cut_decimals
    # `184.00(项) 10.0`: the figure's first line joined to the row's actual
    # keeps its place; its `0` went with the column of figures printed before
    tokens = [Token("num", "20.00", page=1), Token("num", "0", page=1), Token("actual", "184.00(项)", page=1),
              Token("num", "10.0", page=1), Token("num", "10.0", page=1), Token("num", "0", page=1)]
    out, at = _join_cut_decimals(tokens, None)
    assert [t.text for t in out] == ["20.00", "184.00(项)", "10.00", "10.00"] and at is None


def test_cut_digits_that_differ_are_not_joined_backwards():
    from extract.parse.box_text import _join_cut_decimals
    # which figure takes which digit would change values: left as printed
    tokens = [Token("num", "5.00", page=1), Token("num", "5", page=1), Token("actual", "达成指标", page=1),
              Token("num", "10.0", page=1), Token("num", "10.0", page=1), Token("num", "0", page=1)]
    out, _ = _join_cut_decimals(tokens, None)
    assert [t.text for t in out] == ["5.00", "5", "达成指标", "10.00", "10.0"]


def test_a_one_line_name_printed_on_its_targets_line_is_that_rows_name():
    # top-aligned: `科技报告编审量 ≥2000.00` share their first line, while
    # pdfminer printed the wrapped names of the two rows below before it
    name, target = split_joined(Box(["科技报告编审量 ≥2000.00"], 1), in_table=True)
    assert name.beside and not target.beside
    tokens = [Token("text", "科技报告编审通\n过率", 7.0, 2), Token("text", "按时完成报告汇\n交及数据发布", 7.0, 2),
              Token("text", name.text, 7.0, beside=True), Token("target", target.text, 4.0),
              Token("actual", "2200.00", 3.5), Token("target", "=95.00(%)", 4.5), Token("actual", "95.00(%)", 4.0),
              Token("num", "20.00"), Token("num", "20.00"), Token("num", "10.00"), Token("num", "10.00"),
              Token("text", "及时", 2.0), Token("actual", "达成指标", 4.0), Token("num", "10.00"), Token("num", "10.00")]
    rows = build_rows(tokens, 5.0)
    assert [(r.name, r.target) for r in rows] == [("科技报告编审量", "≥2000.00"), ("科技报告编审通\n过率", "=95.00(%)"),
                                                  ("按时完成报告汇\n交及数据发布", "及时")]


def test_figures_printed_as_a_column_before_their_rows_are_sure_where_either_column_gives_the_same_values():
    # a run of figures before any actual (the 分值 or the 得分 column, both
    # alike), then one figure after each of those rows' actuals: whichever
    # column printed first, every row reads the same weight and score
    def row(k: int, *figures: str) -> list[Token]:
        return [Token("text", f"名称{k}", 3.0), Token("target", "=100.00(%)", 5.0),
                Token("actual", "100.00(%)", 4.5)] + [Token("num", v) for v in figures]

    tokens = [Token("num", v) for v in ("20.00", "10.00", "10.00", "10.00", "10.00")]
    tokens += row(0, "20.00") + row(1, "10.00") + row(2, "10.00") + row(3, "10.00") + row(4, "10.00")
    tokens += row(5, "5.00", "5.00") + row(6, "10.00", "10.00") + row(7, "5.00", "5.00") + row(8, "10.00", "10.00")
    rows = build_rows(tokens, 5.0, weight_sum=Decimal("90.00"))
    assert [r.weight for r in rows] == ["20.00", "10.00", "10.00", "10.00", "10.00", "5.00", "10.00", "5.00", "10.00"]
    assert all(r.score == r.weight for r in rows)
    assert not any(r.doubt & {"weight", "score"} for r in rows)



def test_a_funding_column_printed_after_its_label_between_the_other_figures_is_read_back():
    from extract.parse.box_text import _read_form

    # pdfminer grouped 执行率 and 得分, each with its label, apart: the total
    # row's budgets and weight print first, then those two columns, then
    # the other rows' budgets row by row, then their weights -- an order no
    # cutting of the whole grid gives
    labels = ["年初预算数", "全年预算数", "全年执行数", "分数", "年度资金总额："]
    figures = ["150.00", "150.00", "140.00", "10.00", "执行率（%）", "93.33", "90.00", "100.00", "0.00",
               "得分", "9.33", "-", "-", "-", "其中：当年财政拨款", "100.00", "100.00", "90.00",
               "上年结转资金", "其他资金", "50.00", "50.00", "50.00", "0.00", "0.00", "0.00", "-", "-", "-"]
    boxes = [Box([line], 1) for line in ["财政项目支出绩效自评表", "项目名称", "某项目", "主管部门", "某委员会",
                                         "实施单位", "某服务中心"] + labels + figures
             + ["预期目标", "实际完成情况", "完成预期的各项工作任务。", "完成了全年的各项工作任务。",
                "三级指标", "用户数", ">200(户)", "227(户)", "90", "90", "总分", "100", "99.33", "优"]]
    form = _read_form(boxes, (8.0, None)).finish("x.txt", "0" * 64)
    funding = {row: {k: (None if v is None else str(v)) for k, v in cols.items()}
               for row, cols in form.record["funding"].items()}
    assert funding["total"] == {"initial_budget": "150.00", "annual_budget": "150.00", "executed": "140.00",
                                "weight": "10.00", "execution_rate": "93.33", "score": "9.33"}
    assert funding["current_appropriation"]["executed"] == "90.00"
    assert funding["current_appropriation"]["execution_rate"] == "90.00"
    assert funding["carryover"]["execution_rate"] == "100.00"
    assert not [f for f in form.findings if "funding" in str(f)]


def test_a_funding_label_anchors_its_column_only_before_as_many_figures_as_rows():
    tokens = ["150.00", "150.00", "140.00", "10.00", "93.33", "90.00", "100.00", "0.00", "9.33", "-", "-", "-",
              "100.00", "100.00", "90.00", "50.00", "50.00", "50.00", "0.00", "0.00", "0.00", "-", "-", "-"]
    got, doubt = solve_funding(tokens, list(ROWS), list(COLUMNS),
                               anchors=[("execution_rate", 4), ("score", 8)])
    assert got[("carryover", "execution_rate")] == "100.00" and got[("total", "score")] == "9.33"
    assert not doubt
    # without the labels' places no reading fits: all in doubt
    assert solve_funding(tokens, list(ROWS), list(COLUMNS))[1]


def test_a_header_runs_wrapped_last_label_keeps_its_rest():
    cells = split_joined(Box(["实际完成值 分值 得分 偏差原因分析", "及改进措施"], 1), in_table=True)
    assert [c.flat for c in cells] == ["实际完成值", "分值", "得分", "偏差原因分析及改进措施"]
    # lines that do not complete the label stay a box of their own
    cells = split_joined(Box(["分值 得分", "10"], 1), in_table=True)
    assert [c.flat for c in cells] == ["分值", "得分", "10"]


def test_a_top_aligned_cut_target_finds_its_rest_after_the_names_of_the_rows_below():
    from extract.parse.box_text import _join_page_breaks

    # `科技服务信息内容 权威、准确、` one line; the target's `规范` prints after
    # the row's actual and figures and the one-line names of four rows below
    tokens = [Token("text", "专递内容运维服务", 8.0), Token("text", "制作40-45期", 6.0),
              Token("actual", "达成指标"), Token("num", "10"), Token("num", "10"),
              Token("text", "科技服务信息内容", 8.0, beside=True), Token("text", "权威、准确、", 6.0, tail=True),
              Token("actual", "达成指标"), Token("num", "20"), Token("num", "20"),
              Token("text", "科技服务信息的推\n送及时性", 8.0, 2), Token("text", "委托业务费", 5.0),
              Token("text", "政府公共服务方式\n转变", 8.0, 2), Token("text", "公众知晓率", 5.0),
              Token("text", "长效管理机制健全\n性", 8.0, 2), Token("text", "规范", 2.0),
              Token("text", "及时", 2.0), Token("text", "较2022年持\n平", 6.0, 2),
              Token("actual", "达成指标"), Token("num", "10"), Token("num", "10"),
              Token("actual", "达成指标"), Token("num", "10"), Token("num", "10"),
              Token("text", "推动转型升级", 6.0), Token("actual", "达成指标"), Token("num", "10"), Token("num", "10"),
              Token("text", "提高", 2.0), Token("actual", "达成指标"), Token("num", "10"), Token("num", "10"),
              Token("text", "健全", 2.0), Token("actual", "达成指标"), Token("num", "10"), Token("num", "10")]
    texts = [t.text for t in _join_page_breaks(tokens, (6.0, 8.0))]
    assert "权威、准确、\n规范" in texts and "委托业务费" in texts


def test_a_cell_that_leaves_a_bracket_open_takes_the_box_that_closes_it():
    from extract.parse.box_text import _join_open_brackets

    tokens = [Token("text", "符合《上海市科技\n两委档案操作实施", 8.0, 2), Token("target", "100"),
              Token("actual", "达成指标"), Token("num", "5.00"), Token("num", "5.00"),
              Token("text", "符合", 2.0), Token("actual", "达成指标"), Token("num", "5.00"), Token("num", "5.00"),
              Token("text", "细则》的要求", 6.0), Token("text", "会场保障工作完成\n质量情况", 8.0, 2)]
    texts = [t.text for t in _join_open_brackets(tokens)]
    assert texts[0] == "符合《上海市科技\n两委档案操作实施\n细则》的要求" and "细则》的要求" not in texts
    # two open cells before the closing box: whose rest it is is not told
    two = [Token("text", "符合《甲", 4.0), Token("text", "《乙", 2.0), Token("text", "细则》", 3.0)]
    assert [t.text for t in _join_open_brackets(two)] == ["符合《甲", "《乙", "细则》"]


def test_the_cell_a_page_break_cut_is_first_the_one_that_leaves_a_bracket_open():
    from extract.parse.box_text import _join_to_cut_cells

    # the name fills its column, but the target left 《 open: the break cut it
    before = [Token("actual", "达成指标", page=1), Token("num", "3", page=1), Token("num", "3", page=1),
              Token("text", "报告编写发布时效", 8.0, page=1), Token("text", "《2022张江", 5.5, page=1),
              Token("actual", "达成指标", page=1)]
    page = [Token("text", "国家自主创新\n示范区报告\n9月份前完成", 6.0, 3, page=2), Token("actual", "达成指标", page=2)]
    _join_to_cut_cells(before, page, 1, (6.0, 8.0))
    assert before[4].text.startswith("《2022张江\n国家自主创新") and before[3].text == "报告编写发布时效"


def test_a_funding_label_amid_the_figures_anchors_its_column_before_a_run_of_dashes():
    from extract.parse.box_text import _read_form

    # 得分 printed amid the figures, its column (`9.47 - - -`) then the
    # 分数 column's dashes of the other rows: its column is the first four
    figures = ["31.26", "31.26", "29.62", "10.00", "其中：当年财政拨款", "25.01", "25.01", "23.37",
               "上年结转资金", "其他资金", "6.25", "0.00", "6.25", "0.00", "6.25", "0.00",
               "执行率（%）", "94.75", "93.44", "100.00", "0.00", "得分", "9.47", "-", "-", "-", "-", "-", "-"]
    boxes = [Box([line], 1) for line in ["财政项目支出绩效自评表", "项目名称", "某项目", "主管部门", "某委员会",
                                         "实施单位", "某服务中心", "年初预算数", "全年预算数", "全年执行数",
                                         "分数", "年度资金总额："] + figures
             + ["预期目标", "实际完成情况", "完成预期的各项工作任务。", "完成了全年的各项工作任务。",
                "三级指标", "用户数", ">200(户)", "227(户)", "90", "90", "总分", "100", "99.47", "优"]]
    form = _read_form(boxes, (8.0, None)).finish("x.txt", "0" * 64)
    funding = {row: {k: (None if v is None else str(v)) for k, v in cols.items()}
               for row, cols in form.record["funding"].items()}
    assert funding["total"] == {"initial_budget": "31.26", "annual_budget": "31.26", "executed": "29.62",
                                "weight": "10.00", "execution_rate": "94.75", "score": "9.47"}
    assert funding["carryover"]["executed"] == "6.25" and funding["other"]["executed"] == "0.00"
    assert not [f for f in form.findings if "funding" in str(f)]


def test_a_target_then_a_text_then_figures_waits_for_no_actual():
    from extract.parse.box_rows import settle_maybe_targets

    # `≥560.00(套)` `符合` `9.00` `9.00`: the row's actual is the word, so the
    # next row's `100%` / `100%` is its target and its actual
    tokens = [Token("text", "甲印数份数"), Token("target", "≥560.00(套)"), Token("text", "符合"),
              Token("num", "9.00"), Token("num", "9.00"), Token("text", "乙场次"),
              Token("maybe-target", "100%"), Token("maybe-target", "100%"), Token("num", "3.00"), Token("num", "3.00")]
    settle_maybe_targets(tokens)
    assert [t.kind for t in tokens[6:8]] == ["target", "actual"]


def test_a_word_actual_before_its_rows_figures_beats_a_bare_measure_above_its_twin():
    from extract.parse.box_text import _promote_word_actuals

    # `达标` right before its row's figures is the actual the rows lack, not
    # the first of `90%` / `90%` (a row's target and actual)
    tokens = [Token("text", "甲视频"), Token("target", "≥198.00(条)"), Token("maybe-target", "198.00(条)"),
              Token("num", "15.00"), Token("num", "15.00"), Token("text", "乙运维"),
              Token("text", "保证5个网站\n稳定运行。", 6.0, 2), Token("text", "达标", 2.0),
              Token("num", "15.00"), Token("num", "15.00"), Token("text", "丙满意度"),
              Token("maybe-target", "90%"), Token("maybe-target", "90%"), Token("num", "10.00"), Token("num", "10.00")]
    _promote_word_actuals(tokens)
    assert tokens[7].kind == "actual" and [t.kind for t in tokens[11:13]] == ["target", "actual"]


def test_the_word_actuals_are_the_ones_their_rows_figures_follow():
    from extract.parse.box_text import _promote_word_actuals

    # 符合 between a target and its row's figures, and 完成 after a text
    # target, are the actuals (each row's figures print after its actual);
    # 符合 and 达标 right before an actual are targets
    tokens = [
        Token('text', '《上海市民科学素\n质读本》（一、\n二）印数份数', 8.0, 3),
        Token('target', '≥560.00（套）', 6.5, 1),
        Token('text', '符合', 2.0, 1),
        Token('num', '9.00'),
        Token('num', '9.00'),
        Token('text', '整理并入库科技活\n动照片', 8.0, 2),
        Token('target', '=15400.00\n（张）', 4.5, 2),
        Token('maybe-target', '15400.00（张）', 7.0, 1),
        Token('num', '6.00'),
        Token('num', '6.00'),
        Token('text', '确保完成科技部下\n达视频答辩所有场\n次', 8.0, 3),
        Token('text', '符合《行政服务中\n心建设和运行管理\n规范》的要求', 8.0, 3),
        Token('maybe-target', '100%', 2.0, 1),
        Token('maybe-target', '100%', 2.0, 1),
        Token('num', '3.00'),
        Token('num', '3.00'),
        Token('text', '符合', 2.0, 1),
        Token('actual', '达成指标', 4.0, 1),
        Token('num', '8.00'),
        Token('num', '8.00'),
        Token('text', '编撰质量内容容错\n率低', 8.0, 2),
        Token('text', '差错率低于万分之\n一', 8.0, 2),
        Token('actual', '达成指标', 4.0, 1),
        Token('num', '4.00'),
        Token('num', '4.00'),
        Token('text', '培训完成质量情况', 8.0, 1),
        Token('text', '达标', 2.0, 1),
        Token('actual', '达成指标', 4.0, 1),
        Token('num', '4.00'),
        Token('num', '4.00'),
        Token('text', '培训规模达标率', 7.0, 1),
        Token('target', '≥90.00（无）', 6.0, 1),
        Token('maybe-target', '91.19（无）', 5.5, 1),
        Token('num', '2.00'),
        Token('num', '2.00'),
        Token('text', '需求满足度', 5.0, 1),
        Token('target', '≥90.00（%）', 5.5, 1),
        Token('maybe-target', '96.00（%）', 5.0, 1),
        Token('num', '2.00'),
        Token('num', '2.00'),
        Token('text', '网站内容运维工作\n完成及时性', 8.0, 2),
        Token('text', '2小时内响应', 5.5, 1),
        Token('text', '完成', 2.0, 1),
        Token('num', '8.00'),
        Token('num', '8.00'),
        Token('text', '会议响应度', 5.0, 1),
        Token('text', '年底前完成', 5.0, 1),
        Token('actual', '已完成', 3.0, 1),
        Token('num', '6.00'),
        Token('num', '6.00'),
        Token('text', '做好上海科技资源', 8.0, 1),
        Token('text', '让全球人才会用，', 8.0, 1),
        Token('actual', '达成指标', 4.0, 1),
        Token('num', '8.00'),
        Token('num', '8.00'),
        Token('text', '和发展现状的外宣\n窗口', 8.0, 2),
        Token('text', '好用，爱用', 5.0, 1),
        Token('text', '系统正常运转率', 7.0, 1),
        Token('target', '≥98.00（%）', 5.5, 1),
        Token('maybe-target', '99.00（%）', 5.0, 1),
        Token('num', '8.00'),
        Token('num', '8.00'),
        Token('text', '社会影响力', 5.0, 1),
        Token('target', '≥95.00（%）', 5.5, 1),
        Token('maybe-target', '98.00（%）', 5.0, 1),
        Token('num', '9.00'),
        Token('num', '9.00'),
        Token('text', '被各类媒体引用张\n数', 8.0, 2),
        Token('text', '科技报告资源共享\n率', 8.0, 2),
        Token('target', '≥77.00（张）', 6.0, 1),
        Token('maybe-target', '87.00（张）', 5.5, 1),
        Token('num', '7.00'),
        Token('num', '7.00'),
        Token('target', '=100.00（%）', 6.0, 1),
        Token('maybe-target', '100.00（%）', 5.5, 1),
        Token('num', '2.00'),
        Token('num', '2.00'),
        Token('text', '社会公众满意度', 7.0, 1),
        Token('target', '>95.00（%）', 5.5, 1),
        Token('maybe-target', '95.60（%）', 5.0, 1),
        Token('num', '4.00'),
        Token('num', '4.00'),
    ]
    _promote_word_actuals(tokens, (8.0, 8.0), Decimal(90))
    assert [tokens[k].kind for k in (2, 16, 26, 42)] == ["actual", "text", "text", "actual"]


def test_equal_bare_actuals_may_be_a_target_and_its_actual_where_a_word_is_the_missing_actual():
    from extract.parse.box_text import _promote_word_actuals

    # no figures between the rows: `100%` / `100%` read as two actuals left
    # the first row's 符合 a target; read as a row's pair, 符合 and 完成 are
    # the actuals and every row has a name and a target
    tokens = [Token("text", "甲印数份数"), Token("target", "≥560.00(套)"), Token("text", "符合", 2.0),
              Token("text", "乙照片"), Token("target", "=15400.00(张)"), Token("maybe-target", "15400.00(张)"),
              Token("text", "丙场次"), Token("maybe-target", "100%"), Token("maybe-target", "100%"),
              Token("text", "丁规范要求"), Token("text", "符合", 2.0), Token("actual", "达成指标"),
              Token("text", "戊及时性"), Token("text", "2小时内响应", 5.5), Token("text", "完成", 2.0),
              *(Token("num", v) for v in ("9", "6", "3", "8", "8", "9", "6", "3", "8", "8"))]
    _promote_word_actuals(tokens, (8.0, 10.0))
    assert [tokens[k].kind for k in (2, 7, 8, 10, 14)] == ["actual", "target", "actual", "text", "actual"]


def test_rows_another_choice_of_actuals_would_shift_are_in_doubt():
    # the tokens where a nearly as good choice of the word actuals differs
    # (box_text._promote_word_actuals marks them): their rows' cells shift
    tokens = [Token("text", "甲"), Token("target", "=1(个)"), Token("actual", "1(个)"), Token("num", "5"), Token("num", "5"),
              Token("text", "乙"), Token("text", "符合", unsure=True), Token("actual", "达成指标", unsure=True),
              Token("num", "5"), Token("num", "5"),
              Token("text", "丙"), Token("text", "及时"), Token("actual", "完成"), Token("num", "5"), Token("num", "5"),
              Token("text", "丁"), Token("text", "良好"), Token("actual", "达成指标"), Token("num", "5"), Token("num", "5")]
    rows = build_rows(tokens, 8.0)
    assert [bool(r.doubt & {"name", "target", "actual"}) for r in rows] == [True, True, True, False]


def test_a_table_that_drops_trailing_zeros_keeps_its_bare_digits():
    from extract.parse.box_text import _join_cut_decimals

    # `16`, `15.9`, `8`: only 总分 prints two decimals (`97.83`); `15.9` is
    # a whole figure and `8` the next row's weight
    tokens = [Token("num", v, page=1) for v in ("4", "4", "16", "15.9", "8", "8", "97.83", "100")]
    out, _ = _join_cut_decimals(tokens, 6)
    assert [t.text for t in out] == ["4", "4", "16", "15.9", "8", "8", "97.83", "100"]


def test_a_cut_total_joins_by_the_count_of_figures_where_the_funding_was_misread():
    from extract.parse.box_text import _join_wrapped_figures

    # `100 98.5` then `9`: an odd count of figures, one join that makes it
    # even, and a funding score above its weight (the grid misread)
    tokens = [Token("num", v, page=1) for v in ("5", "5", "10", "10", "100", "98.5", "9")]
    out, _ = _join_wrapped_figures(tokens, 4, Decimal(0), Decimal(100), None)
    assert [t.text for t in out][-2:] == ["100", "98.59"]


def test_a_text_actual_that_repeats_its_target_is_the_missing_actual():
    from extract.parse.box_text import _promote_word_actuals

    # `7700卷、1361箱、2700盒` printed twice: the target and its actual
    tokens = [Token("text", "甲托管、归档", 9.0, 2), Token("text", "7700卷、1361\n箱、2700盒", 6.0, 2),
              Token("text", "7700卷、1361\n箱、2700盒", 6.0, 2), Token("num", "10.00"), Token("num", "10.00"),
              Token("text", "乙系统升级", 8.0), Token("text", "按计划完成", 5.0), Token("actual", "达成指标"),
              Token("num", "10.00"), Token("num", "10.00")]
    _promote_word_actuals(tokens, (8.0, 10.0))
    assert [t.kind for t in tokens[1:3]] == ["text", "actual"]
