"""The pdfminer box-text reader (extract.parse.box_text) on the template
families other than Shanghai's: titles, labels, funding grids and rows
that the families' data files (extract/layout/families) describe."""

from __future__ import annotations

from extract.model import FieldPath
from extract.parse.assembly import FormAssembly
from extract.parse.box_boxes import Box, label_kind
from extract.parse.box_funding import COLUMNS, solve_funding
from extract.parse.box_rows import Row, Token
from extract.parse.box_text import (
    _grid_columns,
    _join_title_prefixes,
    _prints_target_parts,
    _take_closing_rows,
    _title_line,
    _weight_before_target,
    _weights_after_actuals,
    _with_slot_rows,
    looks_like_box_text,
    parse_box_text,
)


def _boxes(*texts: str, page: int = 1) -> list[Box]:
    return [Box(text.split("\n"), page) for text in texts]


def test_any_familys_title_starts_a_form():
    assert _title_line(Box(["2023年度县级专项资金绩效目标自评表"], 1)) == 0
    assert _title_line(Box(["部门预算项目支出绩效自评表", "(2023年度)"], 1)) == 0
    assert _title_line(Box(["项目支出绩效自", "评表"], 1)) == 0            # wrapped
    # a label, then the title: the title starts on the second line
    assert _title_line(Box(["主管部门", "绩效目标自评表"], 1)) == 1
    assert _title_line(Box(["上海市科学技术委员会"], 1)) is None


def test_a_title_prefix_printed_apart_joins_its_title_but_a_grade_does_not():
    boxes = _boxes("附件1", "项目名称", "主管部门", "优", "项目支出绩效自评表\n2023年度)", "某项目")
    got = _join_title_prefixes(boxes)
    assert [b.lines[0] for b in got] == ["项目名称", "主管部门", "优", "附件1 项目支出绩效自评表", "某项目"]
    # a prefix printed after its title, amid the form, on the title's page
    got = _join_title_prefixes(_boxes("报表编号：510000_0013zp", "部门预算项目支出绩效自评表", "项目名称",
                                      "附件：", page=2))
    assert [b.lines[0] for b in got] == ["附件： 报表编号：510000_0013zp 部门预算项目支出绩效自评表", "项目名称"]


def test_the_families_labels_are_labels():
    assert label_kind("全年预算数(A)") == "funding-head"
    assert label_kind("执行率(B/A)") == "funding-head"
    assert label_kind("调整后预算数") == "funding-head"
    assert label_kind("项目资金（元）") == "funding-head"
    assert label_kind("专项资金名称") == "head-label"
    assert label_kind("年初设定目标") == "goal-label"
    assert label_kind("总额") == "funding-row"
    assert label_kind("其中:中央、省、市补助县级资金") == "funding-row"
    assert label_kind("指标性质") == "indicator-head"
    assert label_kind("未完成原因和改进措施") == "indicator-head"
    # a section weight after a 一级 label (产出指标(50分))
    assert label_kind("产出指标(50分)") == "level1"
    assert label_kind("效益指标（30分）") == "level1"


def test_the_funding_grid_has_the_columns_whose_labels_printed():
    printed = ["annual_budget", "executed", "execution_rate"]
    assert _grid_columns(printed, 9, 3) == printed
    # figures that do not fill them: a label lost, the whole grid
    assert _grid_columns(printed, 10, 3) == list(COLUMNS)
    # the table's order, whatever order the labels printed in
    assert _grid_columns(["score", "annual_budget", "executed", "weight", "execution_rate"], 5, 1) == \
        ["annual_budget", "executed", "weight", "execution_rate", "score"]


def test_a_grid_with_empty_rows_and_dashes_for_their_rates_is_sure():
    figures = ["371.9943", "371.9969", "369.7263", "10.00", "99.38", "9.93",
               "371.9943", "371.9969", "369.7263", "-", "99.38", "-",
               "0.00", "0.00", "0.00", "-", "-", "-",
               "0.00", "0.00", "0.00", "-", "-", "-"]
    rows = ["total", "current_appropriation", "carryover", "other"]
    grid, doubt = solve_funding(figures, rows, list(COLUMNS))
    assert grid[("total", "execution_rate")] == "99.38" and grid[("carryover", "execution_rate")] == "-"
    assert not doubt


def test_rates_and_scores_rounded_to_integers_fit_the_arithmetic():
    # 369.72 / 371.99 = 99.39%, printed 99; 10 x 99% = 9.9, printed 10
    figures = ["371.99", "371.99", "369.72", "10", "99", "10",
               "371.99", "371.99", "369.72", "-", "99", "-"]
    grid, doubt = solve_funding(figures, ["total", "current_appropriation"], list(COLUMNS))
    assert grid[("total", "score")] == "10" and not doubt


def test_closing_rows_go_to_extra_and_out_of_the_table():
    cells = _boxes("三级指标", "好差评评价", "注", "项目名称", "1.一级指标分值根据项目实际情况确定。", "100.00")
    assembly = FormAssembly()
    left = _take_closing_rows(cells, 0, assembly)
    assert [c.flat for c in left] == ["三级指标", "好差评评价", "项目名称", "100.00"]
    assert assembly.extra == {"注": "1.一级指标分值根据项目实际情况确定。"}
    # a run of labels, then their texts in order
    cells = _boxes("三级指标", "合计", "评价结论", "存在问题", "项目负责人", "良好。", "偏慢。", "李红")
    assembly = FormAssembly()
    left = _take_closing_rows(cells, 0, assembly)
    assert [c.flat for c in left] == ["三级指标", "合计"]
    assert assembly.extra == {"评价结论": "良好。", "存在问题": "偏慢。", "项目负责人": "李红"}


def test_slot_rows_stand_between_the_rows_for_the_labels_to_span():
    rows = [Row(name="a", page=1), Row(name="b", page=1), Row(name="c", page=2)]
    got = _with_slot_rows(rows, [0, 2, 5])
    assert [r.name for r in got] == [None, "a", "b", None, "c", None]
    assert [r.page for r in got] == [1, 1, 1, 1, 2, 2]
    assert _with_slot_rows(rows, []) == rows


def test_a_weight_printed_before_the_target_moves_after_the_actual():
    header = _boxes("一级指标", "二级指标", "三级指标", "分值", "年度指标值", "全年实际值", "得分")
    assert _weight_before_target(header)
    assert not _weight_before_target(_boxes("三级指标", "年度指标值", "实际完成值", "分值", "得分"))
    tokens = [Token("text", "设备交付及时性"), Token("num", "16.00", glued=True), Token("text", "当年完成"),
              Token("actual", "达成指标"), Token("num", "16.00"),
              Token("text", "好差评评价"), Token("num", "4.00"), Token("target", "≥95%"),
              Token("actual", "96%"), Token("num", "3.00")]
    got = _weights_after_actuals(tokens)
    assert [t.text for t in got] == ["设备交付及时性", "当年完成", "达成指标", "16.00", "16.00",
                                     "好差评评价", "≥95%", "96%", "4.00", "3.00"]
    assert not got[3].glued


def test_a_target_over_three_cells_is_seen():
    assert _prints_target_parts(_boxes("三级指标", "指标性质", "指标值", "度量单位", "完成值"))
    assert not _prints_target_parts(_boxes("三级指标", "年度指标值", "实际完成值"))


# A form of a family with slot rows under its 二级 labels (a typesetting
# that spaces CJK from digits prints `指标 2`), 附件1 before the title and
# rates rounded to integers (河北), as pdfminer prints its boxes.
_SLOT_FORM = """附件1

项目支出绩效自评表
2023年度)

项目名称

某平台运行保障

主管部门

上海市科学技术委员会

实施单位

上海市科学技术交流中心

年初预算数 全年预算数 全年执行数

项目资金（元）

年度资金总额

100.00

其中：当年财政拨款

100.00

100.00

100.00

99.00

99.00

上年结转资金

其他资金

0

0

预期目标

0

0

0

0

分值

10

-

-

-

执行率(%)

99

99

-

-

实际完成情况

得分

10

-

-

-

年度总体目标

完成平台运行保障的系统功能升级。

完成平台运行保障的技术支持。

一级指标

二级指标

三级指标

年度指标值

实际完成值

分值

得分

偏差原因分析及改进措施

产出指标

数量指标

指标1：系统升级次数

指标 2

≥4.00(次) 4.00(次)

40

40

效益指标

社会效益指标

指标2：平台运行保障

正常运行

达成指标

30

30

满意度指标

服务对象满意度指标

指标3：服务对象满意度

指标2

≥90.00(%) 95.00(%)

20

20

总分

评分等级

100

100

优
"""


def test_a_form_of_another_family_is_read_by_the_box_reader():
    assert looks_like_box_text(_SLOT_FORM)
    (form,) = parse_box_text(_SLOT_FORM, "x.txt", "0" * 64)
    record = form.record
    assert record["title"] == "项目支出绩效自评表" and record["year"] == 2023
    assert record["money_unit"] == "元"
    assert record["implementing_unit"] == "上海市科学技术交流中心"
    assert [i["name"] for i in record["indicators"]] == ["指标1：系统升级次数", "指标2：平台运行保障",
                                                        "指标3：服务对象满意度"]
    assert [i["level2"] for i in record["indicators"]] == ["数量指标", "社会效益指标", "服务对象满意度指标"]
    assert str(record["funding"]["total"]["execution_rate"]) == "99"
    funding_doubts = [f for f in form.findings if any(str(p).startswith("funding") for p in f.fields)]
    assert not funding_doubts


def test_a_sub_row_is_no_indicator():
    from extract.parse.box_text import _is_sub_row, _read_indicators

    assert _is_sub_row("其中：脱贫户") and not _is_sub_row("其中") and not _is_sub_row("服务人次")
    cells = _boxes("三级指标", "分值", "年度指标值", "全年实际值", "得分",
                   "服务人次", "15.00", "≥8300.00(人次)", "12277.00(人次)", "15.00",
                   "其中：脱贫户", "≥8300.00(人次)", "12277.00(人次)",
                   "会议系统用户数", "5.00", "≥467.00(户)", "460.00(户)", "4.00", "总分", "20.00", "19.00")
    assembly = FormAssembly()
    _read_indicators(assembly, cells, (0.0, None))
    got = [(assembly.text(FieldPath.indicator(i, "name")), assembly.text(FieldPath.indicator(i, "target")),
            assembly.text(FieldPath.indicator(i, "weight")), assembly.text(FieldPath.indicator(i, "score")))
           for i in range(assembly.indicators)]
    assert got == [("服务人次", "≥8300.00(人次)", "15.00", "15.00"), ("会议系统用户数", "≥467.00(户)", "5.00", "4.00")]


def test_more_deviations_after_the_rows_than_rows_that_lost_points_leave_every_row_in_doubt():
    from extract.parse.box_rows import _read_deviations

    # 河北 rounds scores: a row 16 / 15.9 prints 16 / 16 and still explains why
    rows = [Row(weight="17", score="15"), Row(weight="16", score="16"), Row(weight="4", score="4")]
    tokens = [Token("actual", "达成指标"), Token("actual", "部分达成"), Token("actual", "达成指标"),
              Token("deviation", "因受众范围较预期有所缩小导致传播覆盖面不及预期。"),
              Token("deviation", "受项目成效显现需要一定周期影响，项目效益尚未完全显现。")]
    _read_deviations(rows, tokens)
    assert all("deviation" in row.doubt for row in rows)
    # as many as the rows that lost points: theirs, sure
    rows = [Row(weight="17", score="15"), Row(weight="16", score="16")]
    _read_deviations(rows, tokens[:2] + tokens[3:4])
    assert rows[0].deviation.startswith("因受众") and not any("deviation" in row.doubt for row in rows)


def test_a_total_row_of_weights_only_takes_one_figure():
    from extract.layout.templates import read_title
    from extract.parse.box_text import _take_total_weight, _totals_weights_only

    assert _totals_weights_only(read_title("部门预算项目支出绩效自评表"))
    assert not _totals_weights_only(read_title("财政项目支出绩效自评表"))
    assert not _totals_weights_only(None)
    # the figure before the 合计 label (at 2: where the tokens stood when it printed)
    tokens = [Token("num", "4.00"), Token("num", "100.00"), Token("text", "评价结论的文字")]
    assert _take_total_weight(tokens, 2) == "100.00" and [t.text for t in tokens] == ["4.00", "评价结论的文字"]
    tokens = [Token("num", "4.00"), Token("num", "100.00")]
    assert _take_total_weight(tokens, 1) == "100.00"


def test_a_deviation_printed_among_the_goals_is_the_tables():
    from extract.parse.box_text import _deviations_among_head

    head = _boxes("项目名称", "全民健康信息平台运行维护", "主管部门", "上海市卫生健康委员会", "实施单位",
                  "上海市卫生健康委员会监督所", "受实际服务需求低于预期影响，实际完成量略低于年度指标值。",
                  "建立健全信息平台运行维护长效管理机制。", "全年共完成1128份报告。")
    assert [c.flat for c in _deviations_among_head(head)] == ["受实际服务需求低于预期影响，实际完成量略低于年度指标值。"]
    # no surplus: a goal with a deviation's words stays
    assert _deviations_among_head(head[:6] + head[7:8] + _boxes("因故导致进度滞后，下一步将加强管理。")) == []
    # a surplus from a value cut in two: a goal with a deviation's words stays
    cut = _boxes("项目名称", "某项目", "主管部门", "上海市科学技术委员会", "实施单位", "上海市科技创新服务中心",
                 "（上海市科技成果档案资料馆）", "确保档案库房存放条件达到规定标准，并加强安全性管理。", "完成既定任务。")
    assert _deviations_among_head(cut) == []


def test_a_table_with_no_weights_has_a_row_per_name_target_and_actual():
    from extract.parse.box_text import _prints_figures, _read_indicators

    header = ("三级指标", "年度指标值", "全年完成值", "未完成原因和改进措施")
    assert not _prints_figures(_boxes(*header))
    assert _prints_figures(_boxes("三级指标", "年度指标值", "实际完成值", "分值", "得分"))
    assert _prints_figures(_boxes("三级指标", "用户数"))          # a header not read: figures as usual
    cells = _boxes(*header, "数字档案馆资源建设业务", "≥446800.00(页)", "491956.00(页)",
                   "网站内容运维工作及时性", "24小时内到场服务", "符合",
                   "主管部门及用户满意度", "95", "95")
    assembly = FormAssembly()
    _read_indicators(assembly, cells, (0.0, None))
    got = [tuple(assembly.text(FieldPath.indicator(i, k)) for k in ("name", "target", "actual", "weight"))
           for i in range(assembly.indicators)]
    assert got == [("数字档案馆资源建设业务", "≥446800.00(页)", "491956.00(页)", None),
                   ("网站内容运维工作及时性", "24小时内到场服务", "符合", None),
                   ("主管部门及用户满意度", "95", "95", None)]
    assert assembly.text(FieldPath.top("total_weight")) is None
    # the rows' order is the boxes': in doubt (no figures tie cells to rows)
    assert any(FieldPath.indicator(0, "name") in f.fields for f in assembly.doubts)


def test_a_section_weight_cut_before_its_points_joins_its_label():
    from extract.parse.box_boxes import merge_label_pieces

    cells = _boxes("满意度\n指标\n（4", "服务对\n象满意\n度指标", "好差评评价", "4", "分）")
    got = merge_label_pieces(cells)
    assert [c.flat for c in got] == ["满意度指标（4分）", "服务对象满意度指标", "好差评评价", "4"]
    assert label_kind(got[0].flat) == "level1"


def test_a_column_mark_wrapped_apart_is_a_label_but_a_unit_is_not():
    # `全年预算数` / `(A)`: the mark's own box is no figure nor text cell
    assert label_kind("(A)") == "funding-head" and label_kind("(B/A)") == "funding-head"
    assert label_kind("(%)") is None and label_kind("（项）") is None     # a measure's unit, cut


def test_the_next_forms_funding_figures_printed_among_its_row_labels_move_with_them():
    from extract.parse.box_text import _hand_on_labels

    first = _boxes("项目支出绩效自评表", "年度资金总额", "10.00", "10.00", page=3) + _boxes(
        "总分", "年度资金总额", "391.39", "其中：本年财政拨款", "391.39", "上年结转资金", "其他资金",
        "0.00", "0.00", "预期目标", "100.00", "52.98", page=4)
    second = _boxes("项目支出绩效自评表", "办公设备购置", page=4)
    forms = [first, second]
    _hand_on_labels(forms)
    assert [b.flat for b in forms[0]][4:] == ["总分", "预期目标", "100.00", "52.98"]
    assert [b.flat for b in forms[1]] == ["项目支出绩效自评表", "年度资金总额", "391.39", "其中：本年财政拨款",
                                          "391.39", "上年结转资金", "其他资金", "0.00", "0.00", "办公设备购置"]
