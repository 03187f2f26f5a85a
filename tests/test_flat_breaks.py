"""Content-order text (the seed's shape) of rows broken across pages, as
Droid's metrics break them: a repeated header whose 一级/二级 cells wrap a
character a line, units alone after the break, two cells going on on one
line, totals too wide for their cells.  Pure parsers on plain lines, then a
rendered tuning style end to end."""

from __future__ import annotations

from extract.parse.flat_lines import Line
from extract.parse.flat_reader import _total_pair
from extract.parse.flat_rows import _level_head_lines
from extract.layout.labels import INDICATOR_COLUMN_LABELS, label_key

from tests.test_flat_routing import routed


def lines(*texts: str, page: int = 1) -> list[Line]:
    return [Line(text, page, k * 10) for k, text in enumerate(texts)]


def test_totals_wrapped_after_their_point_are_joined_back():
    assert _total_pair(lines("总分", "100.", "0", "100.", "0")) == ("100.0", "100.0")
    assert _total_pair(lines("总分", "100.", "0", "98.9", "9")) == ("100.0", "98.99")
    assert _total_pair(lines("总分 100 98.9", "9")) == ("100", "98.99")


def test_a_repeated_headers_level_cells_wrapped_a_character_a_line_are_no_row_text():
    heads = [label_key(a + b) for a in INDICATOR_COLUMN_LABELS["level1"] for b in INDICATOR_COLUMN_LABELS["level2"]]
    columns = {label_key(l) for syn in INDICATOR_COLUMN_LABELS.values() for l in syn}
    body = lines("持续利用。", *"一级指标二级指标")
    assert _level_head_lines(body, heads, columns) == 8
    # a page that starts inside them, and row text that merely ends in 指标
    assert _level_head_lines(lines("持续利用。", "指", "标", "二级指", "标"), heads, columns) == 4
    assert _level_head_lines(lines("达成指标"), heads, columns) == 0


def test_rows_broken_across_pages_in_droid_type_read_and_route_right(tmp_path):
    forms, review, accepted_right = routed(tmp_path, "droid-12-breaks", "content-order")
    assert forms == 6
    # measured 100.000% accepted right and 6.5% to review on all 19 forms
    assert accepted_right >= 0.999, f"accepted {accepted_right:.4f} right"
    assert review <= 0.10, f"{review:.2%} sent to review"


def test_digits_a_narrow_cell_wrapped_over_a_page_break_join_the_row_before():
    from extract.parse.flat_rows import _join_wrapped_digits

    before = lines("验收通过", "=1.00(项) 1.00(项) 10.0 10.0")
    after = lines("质量", "指标", "0 0", "需求满足度 ≥95.00(%) 99.00(%) 10.00 9.00", page=2)
    joined = _join_wrapped_digits(before + after)
    assert [l.text for l in joined] == ["验收通过", "=1.00(项) 1.00(项) 10.00 10.00", "质量", "指标",
                                        "需求满足度 ≥95.00(%) 99.00(%) 10.00 9.00"]
    # the cut row's rest may come first; figures after it are not its digits
    cut = lines("完整度 市科技工", "作、成果情", "况", "0 0", page=2)
    assert [l.text for l in _join_wrapped_digits(before + cut)][1] == "=1.00(项) 1.00(项) 10.00 10.00"
    stray = lines("新闻发布 12", "0 0", page=2)
    assert [l.text for l in _join_wrapped_digits(before + stray)][1] == "=1.00(项) 1.00(项) 10.0 10.0"
    # figures that end with no point took no wrapped digits
    whole = lines("验收通过", "=1.00(项) 1.00(项) 10 10") + lines("0 0", page=2)
    assert [l.text for l in _join_wrapped_digits(whole)][1] == "=1.00(项) 1.00(项) 10 10"


def test_figures_wrapped_on_lines_of_their_own_before_a_whole_row_are_this_rows():
    from extract.parse.flat_rows import _wrapped_anchor

    body = lines("更多", "达成指标 10.0", "0", "10.0", "0", "年鉴、手册数据 基本反映全 达成指标 10.00 10.00")
    anchor, used = _wrapped_anchor(body, 1)
    assert anchor.text == "达成指标 10.00 10.00" and used == 4
    # before a row that prints no target and actual, bare figures may be its
    bare = lines("更多", "达成指标 10.0", "0", "10.0", "0", "年鉴、手册数据 10.00 10.00")
    assert _wrapped_anchor(bare, 1) is None


def test_figures_wrapped_at_two_decimals_over_breaks_read_and_route_right(tmp_path):
    # every 分值/得分 of this style wraps (`10.0` / `0`), over page breaks too
    forms, review, accepted_right = routed(tmp_path, "droid-11-wrapped-figures", "content-order")
    assert forms == 6
    # measured 100% accepted right and 8.5% to review (13.0% before the
    # digits after a break joined their row)
    assert accepted_right >= 0.999, f"accepted {accepted_right:.4f} right"
    assert review <= 0.10, f"{review:.2%} sent to review"


def _read_rendered(tmp_path, style: str, forms: int, must_print: str):
    """The first `forms` seed forms typeset in `style`, their content-order
    text read back: (records read, truth)."""
    from corpus.build import load_gold, render_with_truth
    from corpus.extractors import flat_text
    from corpus.render import STYLES, FormStyle
    from extract.pipeline.document import read_flat_text_file
    from extract.sources.files import sha256_of

    gold = load_gold()[:forms]
    styles = [FormStyle(typesetting=STYLES[style])] * len(gold)
    truth = render_with_truth(gold, tmp_path / "forms.pdf", styles)
    text = flat_text("content-order", pdf=tmp_path / "forms.pdf", records=gold, styles=styles)
    assert must_print in text          # the layout the test is about
    (tmp_path / "forms.txt").write_text(text, encoding="utf-8")
    read = read_flat_text_file(tmp_path / "forms.txt", sha256_of(tmp_path / "forms.txt"))
    return [form.record for form in read], truth


def test_rows_at_a_break_in_a_wide_name_column_keep_their_cells(tmp_path):
    """Forms 4 and 5 of the seed in droid-11-wide-breaks.  Form 4: 记录并整理
    各大会议资料 fills the wide name column and ends its page; the next
    page's first row is a row of its own, not the rest of that name (it was,
    and every cell after it moved a row).  Form 5: a name's rest and the
    units of its two figures go on on one line after the break
    (`答辩所有场次 （%） （%）`; the units were taken into the name)."""
    records, truth = _read_rendered(tmp_path, "droid-11-wide-breaks", 5, "答辩所有场次 （%） （%）")
    for k in (3, 4):
        got = [(i["name"], i["target"], i["actual"]) for i in records[k]["indicators"]]
        assert got == [(i["name"], i["target"], i["actual"]) for i in truth[k]["indicators"]], f"form {k + 1}"


def test_labels_after_a_break_name_the_row_before_it_that_lost_points(tmp_path):
    """Form 10 of the seed in uming-11-top-repeat: 科技成果内容传播率 (8.0 / 7.0,
    no deviation text) ends its page; its 效益指标 / 社会效益指标 labels print
    at the top of the next one, before the rest of its target."""
    records, truth = _read_rendered(tmp_path, "uming-11-top-repeat", 10, "科技成果内容传")
    got = records[9]["indicators"][5]
    want = truth[9]["indicators"][5]
    assert (got["level1"], got["level2"], got["target"]) == (want["level1"], want["level2"], want["target"])


def test_a_labels_first_piece_is_a_cut_label_only_if_no_label_of_its_level_follows_before_the_break():
    from extract.parse.flat_rows import IndicatorRows

    rows = IndicatorRows()
    # `服务` ends a name; a 二级 label follows before the break, so the
    # 服务对象满意度指标 printed after the break is not cut here
    page1 = lines("达成指标 10.0 10.0", "提供优质的政务", "服务", "不断提高公", "型。", "达成指标 15.0 15.0",
                  "可持", "续影", "响指", "标", "长效管理机制健", "健全", "达成指标 15.0 15.0")
    page2 = lines("满意", "度指", "标", "服务", "对象", "满意", "度指", "标", "好差评评价 好评率", "达成指标 10.0 10.0",
                  page=2)
    assert rows._match_label(page1 + page2, 2, {"level1": "效益指标"}) == (None, 0, "")
    # `效益` cut at the break beside a whole 二级 label (`效益 社会` / `效益` /
    # `指标`): the label below is the 二级 one, the 一级 cut still is one
    page1 = lines("达成指标 5.0 5.0", "效益 社会", "效益", "指标", "科技成果内容传", "达成指标 10.0 10.0")
    page2 = lines("指标 作、成果情", "况", "可持", "续影", "响指", "标", "信息共享", "达成指标 10.0 10.0", page=2)
    assert rows._match_label(page1 + page2, 1, {"level1": "产出指标"}) == (("level1", "效益指标", "效益"), 1, "社会")
