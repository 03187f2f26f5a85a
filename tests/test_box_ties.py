"""Ties the pdfminer box-text reader settles from the document itself: the
totals by the form's arithmetic, the figures by where they print against
the rows, names and targets by the chunks a column prints in, and the
number of rows by the figures; and what it leaves in doubt."""

from __future__ import annotations

from decimal import Decimal

from extract.parse.box_boxes import Box, split_stacked_values
from extract.parse.box_funding import COLUMNS, ROWS, _score, solve_funding
from extract.parse.box_rows import ALL_CELLS, Token, build_rows
from extract.parse.box_text import _take_totals


def _row(name: str, target: str, actual: str) -> list[Token]:
    kind = "target" if target[0] in "=≥<>" else "text"
    return [Token("text", name), Token(kind, target), Token("actual", actual)]


def _nums(*values: str) -> list[Token]:
    return [Token("num", v) for v in values]


def test_totals_printed_inside_their_columns_are_found_by_the_arithmetic():
    # the 得分 column (总分's score last) printed before the 分值 column
    tokens = _nums("30", "59.97", "99.86", "30", "60", "100")
    assert _take_totals(tokens, 0, Decimal("10"), Decimal("9.89"), "优") == ("100", "99.86")
    assert [t.text for t in tokens] == ["30", "59.97", "30", "60"]


def test_a_score_printed_right_after_its_weight_is_that_rows_own():
    # rows 0 and 1 print their weights after their actuals; row 2 its weight
    # and score as a pair, then the scores rows 0 and 1 wait for
    tokens = _row("甲完成率", "=1(项)", "1(项)") + _nums("20") + _row("乙完成率", "=2(项)", "2(项)") + _nums("10") \
        + _row("丙完成率", "=3(项)", "3(项)") + _nums("5", "5", "20", "10")
    rows = build_rows(tokens, target_width=0.0, weight_sum=Decimal(35))
    assert [(r.weight, r.score) for r in rows] == [("20", "20"), ("10", "10"), ("5", "5")]
    assert not any("weight" in r.doubt for r in rows)


def test_a_weight_printed_right_after_its_actual_is_that_rows():
    # `10` after row 2's actual is row 2's weight, not a score of row 0
    tokens = _row("甲完成率", "=1(项)", "1(项)") + _nums("10", "10") \
        + _row("乙完成率", "=2(项)", "2(项)") + _nums("5") \
        + _row("丙完成率", "=3(项)", "3(项)") + _nums("10") \
        + _row("丁完成率", "=4(项)", "4(项)") + _nums("5", "5", "10", "5")
    rows = build_rows(tokens, target_width=0.0, weight_sum=Decimal(30))
    assert [r.weight for r in rows] == ["10", "5", "10", "5"]


def test_names_and_verdicts_printed_as_two_column_chunks_are_sure():
    # three names, then their three targets, then the actuals
    tokens = [Token("text", "软件功能维护"), Token("text", "完成验收"), Token("text", "满足人员查档需求"),
              Token("text", "完成"), Token("text", "通过"), Token("text", "完成")]
    for _ in range(3):
        tokens += [Token("actual", "达成指标")] + _nums("10", "10")
    rows = build_rows(tokens, target_width=0.0, weight_sum=Decimal(30))
    assert [(r.name, r.target) for r in rows] == [("软件功能维护", "完成"), ("完成验收", "通过"), ("满足人员查档需求", "完成")]
    assert not any({"name", "target"} & r.doubt for r in rows)


def test_rows_the_figures_need_are_kept_where_an_actual_was_not_recognised():
    # three rows of figures adding up to the totals, two actuals: three rows, none sure
    tokens = _row("甲完成率", "=1(项)", "1(项)") + _nums("10", "10") + _row("乙完成率", "=2(项)", "2(项)") \
        + _nums("10", "10") + [Token("text", "丙满意度"), Token("text", "提高"), Token("text", "完成")] + _nums("10", "10")
    rows = build_rows(tokens, target_width=0.0, weight_sum=Decimal(30), figure_sum=Decimal(60))
    assert len(rows) == 3
    assert all(set(ALL_CELLS) <= r.doubt for r in rows)


def test_a_form_that_explains_nothing_reads_every_deviation_as_empty():
    tokens = _row("甲完成率", "=1(项)", "1(项)") + _nums("10", "9") + _row("乙完成率", "=2(项)", "2(项)") + _nums("10", "10")
    rows = build_rows(tokens, target_width=0.0, weight_sum=Decimal(20))
    assert [r.deviation for r in rows] == ["", ""]
    assert not any("deviation" in r.doubt for r in rows)


def test_cells_stacked_in_one_box_are_split_but_a_wrapped_value_is_not():
    def split(*lines: str) -> list[list[str]]:
        return [b.lines for b in split_stacked_values(Box(list(lines), 1))]

    assert split("达成指标", "达成指标") == [["达成指标"], ["达成指标"]]
    assert split("5", "5") == [["5"], ["5"]]
    assert split("10.00", "10.00") == [["10.00"], ["10.00"]]
    assert split("=5.00(份)", "5.00(份)") == [["=5.00(份)"], ["5.00(份)"]]
    assert split("99.8", "6") == [["99.8", "6"]]                    # 99.86 in a narrow column
    assert split("≥10000.0", "0(张)") == [["≥10000.0", "0(张)"]]
    assert split("≥1000000.00", "(页)") == [["≥1000000.00", "(页)"]]
    assert split("27429 箱、", "2300 卷、", "3000 件") == [["27429 箱、", "2300 卷、", "3000 件"]]
    assert split("部分达成指标并具", "有一定效果") == [["部分达成指标并具", "有一定效果"]]


def test_the_funding_score_is_unchanged_by_scoring_rows_once():
    grid = {("total", "initial_budget"): Decimal("16"), ("total", "annual_budget"): Decimal("16"),
            ("total", "executed"): Decimal("16"), ("total", "weight"): Decimal("10"),
            ("total", "execution_rate"): Decimal("100"), ("total", "score"): Decimal("10")}
    # each rule of the total row holds: rate 2, executed <= annual 0.5,
    # budgets unchanged 0.1, score from the rate 2, score <= weight 0.5
    assert abs(_score(grid) - 5.1) < 1e-9
    tokens = "16 16 16 10 100 10 16 16 16 - 100 - 0 0 0 - 0 - 0 0 0 - 0 -".split()
    got, doubt = solve_funding(tokens, list(ROWS), list(COLUMNS))
    assert got[("total", "score")] == "10" and got[("current_appropriation", "weight")] == "-"


def _level_rows(text: str, monkeypatch) -> list:
    """The rows _read_indicators makes of a pdfminer box text (pages split by \\f)."""
    from extract.parse import box_text
    from extract.parse.assembly import FormAssembly
    from extract.parse.box_boxes import merge_label_pieces, read_boxes

    got: list = []
    monkeypatch.setattr(box_text, "_put_row", lambda assembly, row: got.append(row))
    text += "总分\n\n100\n\n100\n\n"        # the totals row closes the table
    box_text._read_indicators(FormAssembly(method="box-text"), merge_label_pieces(read_boxes(text)), (8.0, None))
    return got


def _vertical(label: str) -> str:
    return "\n".join(label)


def _plain_row(name: str, n: int) -> str:
    return f"{name}\n\n={n}(卷)\n\n{n}(卷)\n\n10\n\n10\n\n"


def test_a_centred_label_printed_on_one_page_spans_no_taller_part_on_the_next(monkeypatch):
    # 数量指标 prints on page 1, 社会效益指标 (six lines) on page 2: no word
    # ties the rows to either, but the label centred on page 2 cannot reach
    # back over a whole row of page 1 (the last row there the break may cut)
    labels1 = f"{_vertical('产出指标')}\n\n{_vertical('数量指标')}\n\n"
    labels2 = f"{_vertical('效益指标')}\n\n{_vertical('社会效益指标')}\n\n"
    text = (labels1 + _plain_row("档案整理", 2) + _plain_row("资料归集", 3) + _plain_row("目录编制", 4)
            + "\f" + labels2 + _plain_row("卷宗移交", 5))
    rows = _level_rows(text, monkeypatch)
    assert [r.level2 for r in rows] == ["数量指标", "数量指标", "数量指标", "社会效益指标"]
    assert [bool({"level1", "level2"} & r.doubt) for r in rows] == [False, False, True, False]


def test_a_label_a_break_cut_spans_the_break(monkeypatch):
    # 质量指标 prints on both pages: its span holds the last row of page 1
    # (the row the break may cut), however many rows 数量's words would take
    labels1 = f"{_vertical('产出指标')}\n\n{_vertical('数量指标')}\n\n质\n量\n\n"
    labels2 = f"指\n标\n\n{_vertical('时效指标')}\n\n"
    text = (labels1 + _plain_row("档案整理", 2) + _plain_row("资料归集", 3) + _plain_row("目录编制", 4)
            + "\f" + labels2 + _plain_row("卷宗移交", 5) + _plain_row("案卷装订", 6) + _plain_row("档案上架", 7))
    rows = _level_rows(text, monkeypatch)
    assert [r.level2 for r in rows][:3] == ["数量指标", "数量指标", "质量指标"]
    assert not {"level1", "level2"} & rows[2].doubt


def test_a_row_the_prints_take_from_the_label_its_words_name_stays_in_doubt():
    # 及时率 names a 时效 row, but 时效指标 (printed on page 2 only) cannot reach
    # back over it: it goes to 数量, in doubt, for the words said otherwise
    from extract.parse.box_rows import LabelPrint, Row, fit_levels

    rows = [Row(name=name, target="=2(卷)", actual="2(卷)", page=page)
            for name, page in (("档案整理", 1), ("及时率", 1), ("目录编制", 1), ("卷宗移交", 2))]
    printed = {"产出指标": LabelPrint(frozenset({1}), 4), "数量指标": LabelPrint(frozenset({1}), 4),
               "时效指标": LabelPrint(frozenset({2}), 4)}
    assert fit_levels(rows, ["产出指标"], ["数量指标", "时效指标"], printed)
    assert rows[1].level2 == "数量指标" and "level2" in rows[1].doubt
