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
