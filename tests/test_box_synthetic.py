"""Layouts pdfminer gives the synthetic forms that the box-text reader
(extract.parse.box_text) reads back: small plain-text cases as pdfminer
prints them."""

from __future__ import annotations

from decimal import Decimal

from extract.parse.box_boxes import Box, split_joined
from extract.parse.box_rows import Token


def _boxes(*texts: str, page: int = 1) -> list[Box]:
    return [piece for text in texts for piece in split_joined(Box(text.split("\n"), page), in_table=False)]


def test_a_funding_amount_cut_beside_its_label_takes_its_digits_after_the_next_label():
    from extract.parse.box_text import _join_cut_amounts

    # `8,989.88` too wide: `8,989.8` joined to its label on the row's first
    # line, its `8` a box after the next row's label
    cells = _boxes("年度资金总额:", "69,152.\n99", "上年结转资金 8,989.8", "其他资金", "8", "0", "8,989.8\n8")
    assert [c.flat for c in _join_cut_amounts(cells)] == [
        "年度资金总额:", "69,152.99", "上年结转资金", "8,989.88", "其他资金", "0", "8,989.88"]
    # a grid printed to one decimal keeps its bare figures
    cells = _boxes("上年结转资金 8,989.8", "其他资金", "8", "0.0")
    assert [c.flat for c in _join_cut_amounts(cells)] == ["上年结转资金", "8,989.8", "其他资金", "8", "0.0"]


def test_two_figures_cut_in_their_cells_join_where_only_both_joins_leave_two_figures_a_row():
    from extract.parse.box_text import _join_wrapped_figures

    # a row's `14.50` cut as `14.5` / `0` and 总分's `96.17` as `96.1` / `7`;
    # the funding 10 and 9.67: joining 总分 alone makes the sums too (the
    # `0` adds nothing) but leaves an odd count of figures
    values = "15 14.5 0 20 20 5 5 20 20 15 12 15 15 100 96.1 7".split()
    tokens = [Token("num", v, page=1) for v in values]
    out, at = _join_wrapped_figures(tokens, 13, Decimal(10), Decimal("9.67"), "优")
    assert [t.text for t in out][:2] == ["15", "14.50"] and [t.text for t in out][-2:] == ["100", "96.17"]
    assert at == 12
    # a zero score that is a row's own stays: the count is even without the join
    values = "15 14.5 5 0 20 20 5 5 20 20 15 12 15 15 100 96.1 7".split()
    tokens = [Token("num", v, page=1) for v in values]
    out, _ = _join_wrapped_figures(tokens, 14, Decimal(10), Decimal("9.67"), "优")
    assert [t.text for t in out][:4] == ["15", "14.5", "5", "0"]


def test_a_long_run_of_figures_printed_a_few_rows_at_a_time_column_by_column_is_read_in_blocks():
    from extract.parse.box_rows import build_rows

    # nine rows' actuals, then their figures: five rows' weights then their
    # scores, then two rows', then two rows'
    tokens = [t for k in range(9) for t in (Token("text", f"指标{k}数量"), Token("target", f"={k + 1}(项)"),
                                            Token("actual", f"{k + 1}(项)"))]
    tokens += [Token("num", v) for v in "6 9 7 3 9 6 9 7 3 9 12 12 12 12 9 4 9 4".split()]
    rows = build_rows(tokens, target_width=0.0, weight_sum=Decimal(71))
    assert [(r.weight, r.score) for r in rows] == [
        ("6", "6"), ("9", "9"), ("7", "7"), ("3", "3"), ("9", "9"), ("12", "12"), ("12", "12"), ("9", "9"), ("4", "4")]
    assert not any("weight" in r.doubt for r in rows)


def _cut_row_then_next_page(headed: bool) -> list[Token]:
    # a row cut by a page break: its text target and its deviation go on at
    # the top of the next page; pdfminer prints the target's rest first and
    # the deviation's under the 偏差原因 label it repeats there
    return [Token("text", "网站系统运维", 6.0, page=1), Token("text", "保证5个网\n站，1个专\n栏的系统稳", 5.0, 3, page=1),
            Token("actual", "部分达成指标", page=1), Token("num", "4.0", page=1), Token("num", "2.0", page=1),
            Token("deviation", "实际服务需求低于\n预期；下步本部门\n将科学测算年度任", 8.0, 3, page=1),
            Token("text", "定运行。", 4.0, page=2), Token("text", "运维工作达标率", 7.0, page=2),
            Token("target", "=100(%)", page=2), Token("actual", "97.47(%)", page=2),
            Token("num", "9.0", page=2), Token("num", "7.0", page=2),
            Token("text", "务量，合理设定绩\n效目标。", 8.0, 2, page=2, headed=headed)]


def test_the_top_of_the_deviation_column_under_its_label_is_the_cut_deviations_rest():
    from extract.parse.box_text import _join_page_breaks

    texts = [t.text for t in _join_page_breaks(_cut_row_then_next_page(headed=True), (5.0, 10.0))]
    assert "保证5个网\n站，1个专\n栏的系统稳\n定运行。" in texts
    assert "实际服务需求低于\n预期；下步本部门\n将科学测算年度任\n务量，合理设定绩\n效目标。" in texts
    assert "运维工作达标率" in texts
    # not printed under the label: the first sentence on the page goes to the deviation
    texts = [t.text for t in _join_page_breaks(_cut_row_then_next_page(headed=False), (5.0, 10.0))]
    assert "实际服务需求低于\n预期；下步本部门\n将科学测算年度任\n定运行。" in texts


def test_a_deviations_first_line_beside_the_score_takes_the_sentence_atop_the_next_page():
    from extract.parse.box_text import _join_page_breaks

    # `0.0 由于个别服务对象` (top-aligned, the deviation's first line beside
    # the score), its other lines the first box of the next page
    tokens = [Token("text", "用户满意度", 5.0, page=1), Token("target", "≥90%", page=1),
              Token("actual", "88.68%", page=1), Token("num", "4.0", page=1), Token("num", "0.0", page=1),
              Token("text", "由于个别服务对象", 8.0, page=1, tail=True),
              Token("deviation", "对办理流程不够熟\n悉导致满意度测评\n结果有所下降。", 8.0, 3, page=2),
              Token("text", "项目单位满意度", 7.0, page=2), Token("target", "≥95.00(%)", page=2),
              Token("actual", "99.00(%)", page=2), Token("num", "6.0", page=2), Token("num", "6.0", page=2)]
    texts = [t.text for t in _join_page_breaks(tokens)]
    assert "由于个别服务对象\n对办理流程不够熟\n悉导致满意度测评\n结果有所下降。" in texts


def test_a_sentence_narrower_than_the_open_deviations_column_is_no_rest_of_it():
    from extract.parse.box_text import _join_page_breaks

    # `2 实际服务需求低于` (8 em a line) left open by the break; the next
    # page starts with the cut target's rest, 6.5 em wide: not the deviation's
    tokens = [Token("text", "网站系统运维", 6.0, page=1), Token("text", "保证5个网站，", 6.5, page=1),
              Token("actual", "部分达成指标", page=1), Token("num", "4", page=1), Token("num", "2", page=1),
              Token("text", "实际服务需求低于", 8.0, page=1, tail=True),
              Token("text", "1个专栏的系统\n稳定运行。", 6.5, 2, page=2), Token("text", "运维工作达标率", 7.0, page=2),
              Token("target", "=100(%)", page=2), Token("actual", "97.47(%)", page=2), Token("num", "9", page=2),
              Token("deviation", "预期；下步本部门\n将科学测算年度任\n务量，合理设定绩\n效目标。", 8.0, 4, page=2),
              Token("num", "7", page=2)]
    texts = [t.text for t in _join_page_breaks(tokens, (6.5, 7.0))]
    assert "保证5个网站，\n1个专栏的系统\n稳定运行。" in texts
    assert not any(t.startswith("实际服务需求低于\n1个专栏") for t in texts)


def test_a_deviations_last_line_printed_amid_the_next_pages_figures_goes_back_to_it():
    from extract.parse.box_text import _join_page_breaks

    # the break cut `…加大推广力` / `度。`; pdfminer grouped `度。` with the
    # 得分 column beside it, among the next page's figures
    tokens = [Token("text", "年鉴数据完整度", 7.0, page=1), Token("text", "数据完整", 4.0, page=1),
              Token("actual", "未完全达成", page=1), Token("num", "4", page=1), Token("num", "1", page=1),
              Token("deviation", "因项目成效显现需要一定周期导\n致社会效益未充分体现。改进措\n施:拓宽宣传渠道，加大推广力",
                    14.0, 3, page=1),
              Token("text", "档案管理效率", 6.0, page=2), Token("text", "明显提升", 4.0, page=2),
              Token("actual", "达成指标", page=2), Token("num", "4", page=2),
              Token("text", "度。", 2.0, page=2), Token("num", "4", page=2)]
    texts = [t.text for t in _join_page_breaks(tokens, (6.0, 8.0))]
    assert texts[5].endswith("加大推广力\n度。") and "档案管理效率" in texts and "明显提升" in texts


def test_totals_printed_inside_their_columns_are_found_among_bare_targets_by_the_grade():
    from extract.parse.box_text import _take_totals

    # rows' figures with bare targets among them (`100`, `95` `95`), the
    # 分值 column (总分's `100.00` last) then the 得分 column (`99.91` last);
    # the funding 10.00 and 9.91, the grade 优
    values = "15.00 15.00 100 5.00 5.00 10.00 10.00 5.00 5.00 10.00 95 95 " \
             "10.00 15.00 10.00 10.00 100.00 10.00 10.00 15.00 10.00 10.00 99.91".split()
    tokens = [Token("num", v, page=1) for v in values]
    assert _take_totals(tokens, 9, Decimal(10), Decimal("9.91"), "优") == ("100.00", "99.91")
    # no grade to tell: the last two figures
    tokens = [Token("num", v, page=1) for v in values]
    assert _take_totals(tokens, 9, Decimal(10), Decimal("9.91"), None) != ("100.00", "99.91")


def test_a_whole_sentence_after_a_rows_figures_is_its_deviation_beside_the_score_or_too_wide_for_a_target():
    from extract.parse.box_text import _deviations_beside_scores

    def tokens(glued: bool, width: float) -> list[Token]:
        return [Token("actual", "93.72(%)"), Token("num", "9"), Token("num", "8", glued=glued),
                Token("text", "受宣传推广力度不\n足影响，项目效益\n尚未完全显现。", width, 3),
                Token("text", "工作管理机制", 6.0)]

    split_off = tokens(glued=True, width=8.0)      # `8 受宣传推广力度不` on one line
    _deviations_beside_scores(split_off, 8.0)
    assert [t.kind for t in split_off[3:]] == ["deviation", "text"] and not split_off[2].glued
    apart = tokens(glued=False, width=8.0)         # a box of its own, wider than the target column
    _deviations_beside_scores(apart, 5.0)
    assert apart[3].kind == "deviation"
    # as narrow as the target column and printed apart: it may be the next row's target
    narrow = tokens(glued=False, width=5.0)
    _deviations_beside_scores(narrow, 5.0)
    assert narrow[3].kind == "text"


def test_a_cut_off_zero_printed_before_its_figure_joins_it_where_the_count_needs():
    from extract.parse.box_text import _join_wrapped_figures

    # `15.90` cut as `15.9` / `0`, the `0` printed first on the page; 总分
    # `97.83` as `97.8` / `3`; the funding 10 and 9.93
    values = "4 4 16 16 17 16 16 15 0 8 9 16 15.9 8 9 4 4 100 97.8 3".split()
    tokens = [Token("num", v, page=1) for v in values]
    out, at = _join_wrapped_figures(tokens, 17, Decimal(10), Decimal("9.93"), "优")
    texts = [t.text for t in out]
    assert "0" not in texts and texts[-2:] == ["100", "97.83"] and at == 16


def test_the_cells_a_page_break_cut_are_first_those_of_the_pages_last_row():
    from extract.parse.box_text import _join_page_breaks

    # `科技服务信息内` / `容` and `权威、准` / `确、规范`: the last row's name
    # and target; the row above ends in a full line too (`音像资料采集量`)
    tokens = [Token("text", "音像资料采集量", 7.0, page=1), Token("target", "≥198.00(项)", page=1),
              Token("actual", "达成指标", page=1), Token("num", "20.0", page=1), Token("num", "20.0", page=1),
              Token("text", "科技服务信息内", 7.0, page=1), Token("text", "权威、准", 4.0, page=1),
              Token("actual", "达成指标", page=1), Token("num", "5.0", page=1), Token("num", "5.0", page=1),
              Token("text", "容", 1.0, page=2), Token("text", "确、规范", 4.0, page=2),
              Token("text", "报告时效、发布\n时效", 7.0, 2, page=2), Token("text", "当年完成", 4.0, page=2),
              Token("actual", "达成指标", page=2), Token("num", "20.0", page=2), Token("num", "20.0", page=2)]
    texts = [t.text for t in _join_page_breaks(tokens, (5.0, 7.0))]
    assert "科技服务信息内\n容" in texts and "权威、准\n确、规范" in texts and "音像资料采集量" in texts
