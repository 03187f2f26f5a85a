"""The row-text readers where a text reads more than one way: a name and a
target alike in shape, rows a beam would lose, labels split by a page break,
header pieces next to a row's, cells cut at the wrong line."""

from __future__ import annotations

from collections import Counter

from extract.model import Provenance
from extract.parse.assembly import FormAssembly
from extract.parse.row_bands import (
    BandLine, Cell, Context, Token, _can_finish, _cell_endings, _add_endings, _keep, _room, _settle_swap,
    LevelPieces, _with_x_sets, cell_cost, is_verdict, name_odds, solve_band, stray_unit, top_choices,
)
from extract.parse.row_columns import _KNOWN, RowGeometry, _geometry as row_geometry, _spans, _without_level_pieces, \
    label_place
from extract.parse.row_text import _SpacedForm

COLUMNS = ["name", "target", "actual", "ws", "deviation"]


def test_verdicts_are_short_and_made_of_verdict_words():
    assert all(is_verdict(t) for t in ("及时", "达标", "有效保障", "年底前完成", "正常运行"))
    assert not any(is_verdict(t) for t in ("科技服务信息的推送及时性", "推动转型升级", "符合合同要求"))


def test_names_end_as_names_and_targets_read_as_verdicts_bounds_or_sentences():
    assert name_odds("长效管理机制健全性") > 0
    assert name_odds("科技网站运行情况") > 0
    assert name_odds("健全") < 0
    assert name_odds("年鉴及数据手册差错率低于万分之一") < 0
    assert name_odds("与上年度比，传播面更广，受众更多") < 0


def _swap(name: str, target: str) -> tuple[list[Cell], list[Cell]]:
    one, two = [(3, name)], [(2, target[:4]), (4, target[4:])]
    if len(name) > len(target):
        one, two = [(2, name[:4]), (4, name[4:])], [(3, target)]
    return [Cell("name", one), Cell("target", two)], [Cell("name", two), Cell("target", one)]


def test_a_swap_is_settled_by_the_conventions_where_the_document_says_nothing():
    """The first table of a document: no sure rows yet to count endings from."""
    cells, rival = _swap("及时", "科技服务信息的推送及时性")
    chosen, unsure = _settle_swap(cells, rival, {"name", "target"}, {})
    assert chosen[0].column == "name" and "".join(t for _, t in chosen[0].lines) == "科技服务信息的推送及时性"
    assert not unsure


def test_a_swap_nothing_tells_apart_stays_doubted():
    cells, rival = _swap("推动转型升级", "政府公共服务方式转变")
    _, unsure = _settle_swap(cells, rival, {"name", "target"}, {})
    assert unsure == {"name", "target"}


def test_the_documents_endings_are_counters_gathered_table_by_table():
    rows = [[Cell("name", [(1, "培训规模达标率")]), Cell("target", [(1, "及时")])],
            [Cell("name", [(2, "公众知晓率")])]]
    seen = _cell_endings(rows)
    # every column whose cells a tie can move, the actual too (none printed here)
    assert seen == {"name": Counter({"率": 2}), "target": Counter({"时": 1}), "actual": Counter()}
    into = _add_endings({}, seen)
    _add_endings(into, seen)
    assert into["name"]["率"] == 4


def test_a_state_keeps_its_two_cheapest_entries_the_earlier_on_a_tie():
    table: dict = {}
    for cost, tag in ((2.0, "a"), (1.0, "b"), (1.0, "c"), (3.0, "d"), (1.5, "e")):
        _keep(table, (0,), (cost, tag))
    assert table[(0,)] == [(1.0, "b"), (1.0, "c")]


def test_a_state_the_columns_left_cannot_finish_is_not_kept():
    ctx = Context(COLUMNS, {}, {}, False, frozenset({"name", "target", "actual"}))
    # anchor line 0: name, target, actual, 分值, 得分; the actual column taken, 分值 not reached
    room = _room(["ws", "deviation"], ctx)
    assert _can_finish((3, 0), (5, 1), 0, 3, room)
    assert not _can_finish((2, 0), (5, 1), 0, 3, room)


def test_a_tall_row_is_read_though_cheaper_states_would_fill_the_beam():
    """pdftotext, top-aligned: a deviation of eight lines beside a name and an
    actual of two and three; the states a narrow beam keeps first can't finish."""
    rows = [[("报告时效、发布时", 5), ("年底前完成", 21), ("部分达成指标", 35), ("5.0", 52), ("4.0", 63),
             ("因国家反馈数据时", 71)],
            [("效", 5), ("并具有一定效", 35), ("间滞后导致出版物", 71)],
            [("果", 38), ("出版时间延后。改", 71)]] + \
        [[(t, 71)] for t in ("进措施：加强与国", "家数据中心的沟", "通，掌握数据反馈", "时间，准确确定项", "目计划。")]
    lines = [BandLine([Token(t, float(x)) for t, x in row], 36 + k) for k, row in enumerate(rows)]
    ctx = Context(COLUMNS, {"name": 8.0, "target": 6.5, "actual": 6.5, "deviation": 8.0},
                  {"name": [5.0, 8.0], "target": [19.0, 21.0], "actual": [35.0, 40.0], "deviation": [71.0],
                   "ws": [50.0, 52.0]}, True, frozenset({"name", "target", "actual"}))
    choices = _with_x_sets([(0.0, top_choices(len(lines) - 1, COLUMNS))], lines, ctx)[0][1]
    cost, cells, _, _ = solve_band(lines, 0, 3, choices, ctx)
    assert cost < 100
    read = {c.column: [t for _, t in c.lines] for c in cells}
    assert read["name"] == ["报告时效、发布时", "效"]
    assert read["actual"] == ["部分达成指标", "并具有一定效", "果"]
    assert len(read["deviation"]) == 8


def test_a_name_cell_starting_with_a_names_ending_costs_more():
    ctx = Context(COLUMNS, {"name": 8.0, "target": 6.0, "actual": 6.0}, {}, False)
    assert cell_cost("name", ["情况示范报告内容", "传播率"], [None, None], ctx) > \
        cell_cost("name", ["示范报告内容传播", "率"], [None, None], ctx)
    assert cell_cost("name", ["培训完成质量情"], [None], ctx) > cell_cost("name", ["培训完成质量"], [None], ctx)


def test_merged_label_pieces_joined_to_a_name_do_not_widen_its_column():
    assert _without_level_pieces("产出 数量 确保完成科技部下") == "确保完成科技部下"
    assert _without_level_pieces("标 满意 社会公众满意度") == "社会公众满意度"
    assert _without_level_pieces("网站系统运维") == "网站系统运维"


def _geometry(pages: list[int]) -> RowGeometry:
    """Rows of three lines each, one after another, the pages put end to end."""
    tops = [3.0 * r for r in range(len(pages))]
    breaks = [tops[r] for r in range(1, len(pages)) if pages[r] != pages[r - 1]]
    return RowGeometry([t + 1.0 for t in tops], tops, [t + 3.0 for t in tops], breaks, {1: 0.0}, {})


def test_a_label_a_page_break_cuts_prints_in_the_part_holding_the_cells_middle():
    rows = _geometry([1, 1, 2, 2, 2, 2])
    # rows 0-5: middle 9, in the second part (from 6): its label at that part's top
    assert label_place(rows, 0, 6, False, 2) == 7.0
    # rows 0-2: middle 4.5, in the first part (to 6): at its bottom
    assert label_place(rows, 0, 3, False, 2) == 5.0
    # one page: centred on the cell
    assert label_place(rows, 2, 6, False, 2) == 12.0


def test_rows_another_reading_of_the_labels_gives_another_label_are_doubted():
    rows = _geometry([1] * 4)
    # labels centred on rows 0-1 and 2-3: sure
    spans, unsure = _spans([("数量指标", [3]), ("质量指标", [9])], rows, False, None)
    assert spans == [(0, 2), (2, 4)] and not unsure
    # the first label on row 0, the second on rows 2-3: row 1 goes with either as well
    spans, unsure = _spans([("数量指标", [1, 2]), ("质量指标", [9])], rows, False, None)
    assert unsure == {1}


def test_a_first_level_label_spans_the_rows_whose_second_level_labels_are_its_own():
    rows = _geometry([1] * 4)
    # 效益指标's pieces by rows 2-3 only, yet rows 1-3 are 社会效益指标's
    spans, _ = _spans([("产出指标", [1, 2]), ("效益指标", [7, 8])], rows, False, [(0, 1), (1, 4)],
                      ["产出指标", "效益指标", "效益指标", "效益指标"])
    assert spans == [(0, 1), (1, 4)]


def _form(texts: list[str]) -> _SpacedForm:
    return _SpacedForm([(1, t) for t in texts], FormAssembly(), Provenance(1, None, "row-text:lines", 1.0))


def test_a_rows_label_piece_above_a_repeated_header_is_not_the_headers():
    form = _form(["一级 二级 偏差原因分析及改进", "三级指标 年度指标值 实际完成值 分值 得分", "指标 指标 措施",
                  "续影 长效管理机制健", "健全 达成指标 10 10", "响指 全性", "标",
                  "一级 二级 偏差原因分析及改进", "三级指标 年度指标值 实际完成值 分值 得分", "指标 指标 措施"])
    assert form._is_header_piece(0) and form._is_header_piece(2)
    assert form._is_header_piece(7) and form._is_header_piece(9)
    assert not form._is_header_piece(6)


def test_a_top_aligned_header_has_no_lines_above_it_on_a_later_page():
    form = _form(["一级 二级 三级指标 年度指标值 实际完成值 分值 得分 偏差原因分析及改进措施", "指标 指标",
                  "产出 符合《上海市科技两委 符合 达成指标 5.00 5.00", "指标",
                  "一级 二级 三级指标 年度指标值 实际完成值 分值 得分 偏差原因分析及改进措施", "指标 指标"])
    assert form._is_header_piece(1) and form._is_header_piece(5)
    assert not form._is_header_piece(3)


def test_a_unit_printed_apart_belongs_to_a_bare_figure_not_to_a_name():
    assert stray_unit(["社会公众满意度", "（%）"], "name")
    assert stray_unit(["社会公众满意度 （%）"], "name")
    assert not stray_unit(["《统计数据手册》", "（一、二）"], "name")      # a bracketed list, no unit
    assert not stray_unit(["≥90.00", "（%）"], "target")
    assert stray_unit(["100.00（%）", "（%）"], "actual")                # its unit already closes it
    ctx = Context(COLUMNS, {"name": 7.0, "target": 5.5, "actual": 5.5}, {}, False)
    assert cell_cost("name", ["社会公众满意度", "（%）"], [None, None], ctx) > \
        cell_cost("target", ["≥90.00", "（%）"], [None, None], ctx) + 1.0


def test_a_label_is_not_spelled_twice_in_a_row_in_its_column():
    # 数量 / 指标 complete, then a name's last character 数 alone on a line
    # before 质量指标's pieces: 数 + 量指标 would spell 数量指标 again
    lines = [["数", "《上海科技统计", "=350.00(本)", "350.00(本)", "10", "10"], ["量", "年鉴》印刷份数"], ["指"],
             ["《上海科技统计", "=500.00(套)", "500.00(套)", "10", "10"], ["标"], ["数据手册》"], ["(一、二)印数份"],
             ["数"], ["分析报告", "=5.00(份)", "5.00(份)", "10", "10"],
             ["质", "编撰质量内容容", "年鉴及数据手", "达成指标", "10", "10"], ["量", "错率低"], ["指", "万分之一"], ["标"]]
    levels = LevelPieces(_KNOWN, 1.0, ("level1", "level2"))
    strips = levels.read(list(enumerate(lines)), lambda t: t)
    assert strips[7] == 0 and strips[9] == 1
    assert [name for name, _ in levels.groups["level2"]] == ["数量指标", "质量指标"]


def test_a_table_part_holding_only_a_cut_rows_tail_has_a_break_before_it():
    # rows on lines 0 and 2 (part 1); the second row's last line, 6, after a repeated header (part 2)
    cells = [[Cell("name", [(0, "a"), (1, "b")])], [Cell("name", [(2, "c"), (6, "d")])]]
    rows = row_geometry([0, 2], cells, [1, 1], {0: 1, 1: 1, 2: 1, 6: 2}, -1, 8, True)
    assert rows.breaks == [5.5]
