"""From ruled cell boxes and positioned characters to `Table`s and `TextLine`s.

Pure geometry, shared by every source of cells: the text layer gives cell
boxes (pdfplumber) and characters; a later raster stage gives boxes from line
detection and characters from OCR.  All boxes are in points, top-left origin.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Iterable, Sequence

from extract.model import BBox, Cell, Page, Table, TextLine, Word

EDGE_TOLERANCE = 1.5   # points within which two cell edges are the same rule


@dataclass(frozen=True)
class Glyph:
    """One character with its box and font size, from a text layer or OCR."""

    text: str
    bbox: BBox
    size: float
    confidence: float = 1.0


def _cluster(values: Iterable[float], tolerance: float = EDGE_TOLERANCE) -> list[float]:
    clustered: list[float] = []
    for value in sorted(values):
        if clustered and value - clustered[-1] <= tolerance:
            continue
        clustered.append(value)
    return clustered


def _slot(edges: list[float], value: float) -> int:
    """Index of the edge nearest to `value` (edges are sorted)."""
    i = bisect_right(edges, value)
    if i == 0:
        return 0
    if i == len(edges):
        return len(edges) - 1
    return i if edges[i] - value < value - edges[i - 1] else i - 1


def build_table(cell_boxes: Sequence[BBox], glyphs: Sequence[Glyph]) -> tuple[Table, list[Glyph]]:
    """Place glyphs in the cells whose box holds their centre.

    Returns the table and the glyphs that fell in no cell of it.
    """
    xs = _cluster([v for box in cell_boxes for v in (box.x0, box.x1)])
    ys = _cluster([v for box in cell_boxes for v in (box.top, box.bottom)])
    slot_to_cell: dict[tuple[int, int], int] = {}
    cells: list[Cell] = []
    for box in sorted(cell_boxes, key=lambda b: (round(b.top, 1), b.x0)):
        row, last_row = _slot(ys, box.top), _slot(ys, box.bottom)
        col, last_col = _slot(xs, box.x0), _slot(xs, box.x1)
        if last_row <= row or last_col <= col:
            continue  # a sliver between two rules, not a cell
        index = len(cells)
        cells.append(Cell(bbox=box, text="", row=row, col=col,
                          row_span=last_row - row, col_span=last_col - col))
        for r in range(row, last_row):
            for c in range(col, last_col):
                slot_to_cell.setdefault((r, c), index)
    inside: dict[int, list[Glyph]] = {}
    outside: list[Glyph] = []
    for glyph in glyphs:
        cx, cy = glyph.bbox.center
        if not (xs[0] <= cx <= xs[-1] and ys[0] <= cy <= ys[-1]):
            outside.append(glyph)
            continue
        r = max(0, bisect_right(ys, cy) - 1)
        c = max(0, bisect_right(xs, cx) - 1)
        index = slot_to_cell.get((r, c))
        if index is None:
            outside.append(glyph)
        else:
            inside.setdefault(index, []).append(glyph)
    for index, cell_glyphs in inside.items():
        lines = glyph_lines(cell_glyphs)
        confidence = min(g.confidence for g in cell_glyphs)
        cells[index].text = "\n".join(text for text, _ in lines)
        cells[index].words = [Word(text, box, confidence) for text, box in lines]
        cells[index].confidence = confidence
    table = Table(
        bbox=BBox(xs[0], ys[0], xs[-1], ys[-1]),
        cells=cells,
        rows=len(ys) - 1,
        cols=len(xs) - 1,
    )
    return table, outside


def glyph_lines(glyphs: Sequence[Glyph]) -> list[tuple[str, BBox]]:
    """Group glyphs into lines, top to bottom, and each line's text left to right.

    A space is put where two glyphs stand apart by more than half a character
    and the text layer gave none (Latin words); the text rules later drop the
    ones between a CJK character and a digit.
    """
    ordered = sorted(glyphs, key=lambda g: (g.bbox.top, g.bbox.x0))
    rows: list[list[Glyph]] = []
    for glyph in ordered:
        middle = (glyph.bbox.top + glyph.bbox.bottom) / 2
        if rows:
            last = rows[-1][0]
            if last.bbox.top - 0.1 <= middle <= last.bbox.bottom + 0.1 and abs(glyph.bbox.top - last.bbox.top) < last.size * 0.6:
                rows[-1].append(glyph)
                continue
        rows.append([glyph])
    lines: list[tuple[str, BBox]] = []
    for row in rows:
        row.sort(key=lambda g: g.bbox.x0)
        text = ""
        previous: Glyph | None = None
        for glyph in row:
            if previous is not None and glyph.text != " " and not text.endswith(" "):
                if glyph.bbox.x0 - previous.bbox.x1 > 0.5 * glyph.size:
                    text += " "
            text += glyph.text
            previous = glyph
        box = BBox(min(g.bbox.x0 for g in row), min(g.bbox.top for g in row),
                   max(g.bbox.x1 for g in row), max(g.bbox.bottom for g in row))
        lines.append((text.strip(), box))
    return [(text, box) for text, box in lines if text]


def text_lines(glyphs: Sequence[Glyph]) -> list[TextLine]:
    return [TextLine(text=text, bbox=box) for text, box in glyph_lines(glyphs)]


def is_grid(table: Table) -> bool:
    """A ruled table with at least two rows and two columns (a lone box, such
    as a frame drawn round the page, is none)."""
    return table.rows >= 2 and table.cols >= 2


def has_grid(page: Page) -> bool:
    return any(is_grid(table) for table in page.tables)
