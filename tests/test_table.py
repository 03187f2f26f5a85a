from extract.model import BBox
from extract.sources.cells import Glyph, build_table, glyph_lines


def glyphs(text, x, top, size=9.0):
    return [Glyph(ch, BBox(x + i * size, top, x + (i + 1) * size, top + size), size) for i, ch in enumerate(text)]


def test_build_table_finds_spans_and_places_glyphs_by_centre():
    # A 2x2 grid whose left column is one merged cell.
    boxes = [BBox(0, 0, 50, 40), BBox(50, 0, 100, 20), BBox(50, 20, 100, 40)]
    chars = glyphs("产出", 5, 15) + glyphs("数量", 55, 5) + glyphs("质量", 55, 25) + glyphs("标题", 10, 60)
    table, outside = build_table(boxes, chars)
    assert (table.rows, table.cols) == (2, 2)
    merged = next(c for c in table.cells if c.text == "产出")
    assert (merged.row, merged.col, merged.row_span, merged.col_span) == (0, 0, 2, 1)
    assert sorted(c.text for c in table.cells if c.col == 1) == ["数量", "质量"]
    assert [w.text for w in merged.words] == ["产出"] and merged.words[0].bbox.x0 == 5
    assert "".join(g.text for g in outside) == "标题"


def test_glyph_lines_orders_lines_and_adds_a_space_only_for_a_gap():
    chars = glyphs("Web", 0, 0, 5) + glyphs("of", 25, 0, 5) + glyphs("下行", 0, 12)
    assert [text for text, _ in glyph_lines(chars)] == ["Web of", "下行"]
