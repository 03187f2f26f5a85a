"""Two shapes in which a form copied from a web page reaches users, and the
content-order text the flat reader reads them as (`corpus.extractors.copied_text`):

    paragraphs  every title line and every non-empty cell a paragraph of
                its own, blank lines between them
    one-line    every title line and every non-empty cell of a form joined
                by single spaces, a line per form

Neither says where a table row ends, and the content-order reader finds a
form's cells by how a page prints them (`corpus.flat`): the cells of a row
printed at one height joined by a space, a merged 一级/二级 label in the
narrow pieces of its column.  `as_content_order` prints the cells so: a
figure (分值, 得分, a funding figure) and a grade at the height of the cell
before it, a level label in pieces, and a row that ends in no figure (a
table without 分值 / 得分, a 其中 sub-row) on a line of its own, its cells
counted by the indicator header.  A web page wraps no cell, so each other
cell is a line (the header's labels too: the reader joins them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extract.layout.labels import (
    FORM_TITLE, GRADES, HEADER_WORD_MAX_CHARS, INDICATOR_COLUMN_LABELS, LEVEL1_NAMES, LEVEL2_NAMES, column_key,
    label_key, without_section_weight,
)
from extract.layout.templates import indicator_column_labels, is_slot_row, label_tables, read_title, starts_sub_row
from extract.parse.flat_lines import SENTENCE_ENDS, _is_piece, _segments
from extract.parse.flat_rows import header_keys
from extract.parse.values import is_number_token

PARAGRAPHS = "paragraphs"
ONE_LINE = "one-line"
# paragraphs: at least this share of the non-empty lines ends a paragraph
# (content-order text: 87-91%, its cells at one height on one line) ...
PARAGRAPH_SHARE = 0.95
# ... and at most this share holds two cells at one height (content-order: 27-36%)
TWO_CELL_SHARE = 0.05
# fewer lines than this are no form copied cell by cell
MIN_PARAGRAPHS = 20
# The widest piece of a merged level label the reader joins (`_is_piece`).
PIECE_CHARS = 4
_LEVEL_NAMES = frozenset(LEVEL1_NAMES + LEVEL2_NAMES)
_FIGURE_COLUMNS = ("weight", "score")
_OPENING, _CLOSING = "(（[【《", ")）]】》"


# --------------------------------------------------------------------------
# The shape
# --------------------------------------------------------------------------

def copied_shape(text: str) -> str | None:
    """`ONE_LINE`, `PARAGRAPHS` or None (another shape)."""
    lines = text.replace("\f", "\n").split("\n")
    if any(_is_form_line(line) for line in lines):
        return ONE_LINE
    filled = [k for k, line in enumerate(lines) if line.strip()]
    if len(filled) < MIN_PARAGRAPHS:
        return None
    ends = sum(1 for k in filled if k + 1 == len(lines) or not lines[k + 1].strip())
    two_cells = sum(1 for k in filled if len(_segments(lines[k].strip())) > 1)
    if ends >= PARAGRAPH_SHARE * len(filled) and two_cells <= TWO_CELL_SHARE * len(filled):
        return PARAGRAPHS
    return None


def _is_form_line(line: str) -> bool:
    """A line holding a whole form: a head label and the indicator
    header's 三级指标 on it (a line of any other shape holds one row)."""
    if len(line) < 100:
        return False
    key = label_key(line)
    heads = (label_key(label) for synonyms in label_tables().head.values() for label in synonyms)
    names = (label_key(label) for label in label_tables().indicator_columns["name"])
    return any(h and h in key for h in heads) and any(n and n in key for n in names)


# --------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------

def copied_cells(text: str, shape: str) -> list[str]:
    """The cells of a copied text in order (title lines too), a form feed a
    cell of its own."""
    text = text.replace("\r", "").replace("\f", "\n\n\f\n\n")
    if shape == PARAGRAPHS:
        return [cell.strip() for cell in re.split(r"\n[ \t]*\n", text) if cell.strip()]
    cells: list[str] = []
    for line in text.split("\n"):
        cells += _line_cells(line) if _is_form_line(line) else ([line.strip()] if line.strip() else [])
    return cells


def _line_cells(line: str) -> list[str]:
    """A form's cells joined by single spaces, cut at the spaces but those
    the reader keeps inside a cell (`不低于 95%`, Latin words) and those
    inside brackets (`（2023 年度）`): a cell closes what it opens."""
    cells: list[str] = []
    for segment in _segments(line):
        if cells and _open_brackets(cells[-1]) > 0:
            cells[-1] += " " + segment
        else:
            cells.append(segment)
    return cells


def _open_brackets(text: str) -> int:
    return sum(text.count(c) for c in _OPENING) - sum(text.count(c) for c in _CLOSING)


# --------------------------------------------------------------------------
# Content order
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class ContentOrder:
    """A copied text printed in content order, and the char ranges of it
    whose cells could not be cut into rows (printed a cell a line): what
    the reader reads from them is in doubt."""
    text: str
    uncut: tuple[tuple[int, int], ...] = ()

    def is_uncut(self, start: int) -> bool:
        return any(a <= start < b for a, b in self.uncut)


def as_content_order(text: str) -> ContentOrder | None:
    """A copied text as the content-order reader reads it, or None when it
    is in no copied shape."""
    shape = copied_shape(text)
    if shape is None:
        return None
    printer = _Printer()
    lines = printer.lines(copied_cells(text, shape))
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    uncut = tuple((starts[a], starts[b]) for a, b in printer.uncut)
    return ContentOrder("\n".join(lines) + "\n", uncut)


class _Printer:
    """Prints cells line by line as a page of a form prints them (module doc)."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.header: list[str] | None = None   # the indicator header's cells while they print
        self.columns: list[str] | None = None  # its columns from 三级指标 on, in the table
        # the cells of a sub-row, or of the rows between two labels where no figure ends a row
        self.row: list[str] = []
        self.uncut: list[tuple[int, int]] = []  # [first, last) of `out` printed a cell a line

    def lines(self, cells: list[str]) -> list[str]:
        for cell in cells:
            self._cell(cell)
        self._close_header()
        self._close_row()
        return self.out

    def _cell(self, cell: str) -> None:
        if cell == "\f" or read_title(cell) is not None or label_key(FORM_TITLE) in label_key(cell):
            self._close_header()
            self._close_row()
            self.columns = None
            self.out.append(cell)
            return
        if _is_column_label(cell) and (self.header is not None or _opens_header(cell)) \
                or self.header is not None and self._continues_header(cell):
            self._close_row()
            self.header = (self.header or []) + [cell]
            return
        self._close_header()
        if self.columns is not None and _ends_table(cell):
            self._close_row()
            self.columns = None
        if self.columns is not None and self._in_table(cell):
            return
        if self.out and (is_number_token(cell) or (cell in GRADES and _ends_in_figure(self.out[-1]))):
            self.out[-1] += " " + cell        # at the height of the cell before it
        else:
            self.out.append(cell)

    # ---------------- the indicator table
    def _continues_header(self, cell: str) -> bool:
        """A label no family prints, in a header that has not printed its
        deviation column yet (that ends it): one the header reads with the
        labels before it, by its words or as a column kept in `extra`
        (年度目标值(A), 核定得分), not a row's first cell."""
        so_far = label_key("".join(self.header or []))
        name = so_far.find(label_key(INDICATOR_COLUMN_LABELS["name"][0]))
        before = header_keys(so_far[name:]) if name >= 0 else None
        if not before or "deviation" in before or len(column_key(cell)) > HEADER_WORD_MAX_CHARS:
            return False
        after = header_keys(so_far[name:] + label_key(cell))
        return after is not None and len(after) > len(before)

    def _close_header(self) -> None:
        if self.header is None:
            return
        self.out += self.header
        line = "".join(self.header)
        name = label_key(line).find(label_key(INDICATOR_COLUMN_LABELS["name"][0]))
        self.columns = header_keys(label_key(line)[name:]) if name >= 0 else None
        self.header = None

    def _in_table(self, cell: str) -> bool:
        """Print a cell of the indicator table; False: print it as any other."""
        if _is_level_label(cell) or is_slot_row(cell):
            self._close_row()
            self.out.append(_as_pieces(cell) if _is_level_label(cell) else cell)
            return True
        if self.row or starts_sub_row(cell) or not self._prints_figures():
            self.row.append(cell)
            if self._prints_figures() and len(self.row) == self._row_width():
                self._close_row()          # a sub-row: its cells, no figures
            return True
        return False

    def _prints_figures(self) -> bool:
        return any(c in _FIGURE_COLUMNS for c in self.columns or ())

    def _row_width(self) -> int:
        """The cells of a row that ends in no figure (三级指标, the target's
        cells, the actual): the header's columns but the figures and the deviation."""
        return sum(1 for c in self.columns or () if c not in _FIGURE_COLUMNS + ("deviation",))

    def _close_row(self) -> None:
        """Print the gathered cells: a sub-row on one line; the rows of a
        table without figures a line each where they cut one way only, else
        a cell a line (the reader finds no rows in them, and says so)."""
        if not self.row:
            return
        if self._prints_figures():
            self.out.append(" ".join(self.row))
        else:
            rows = cut_rows(self.row, self._row_width(), "deviation" in (self.columns or ()))
            if rows is None:
                self.uncut.append((len(self.out), len(self.out) + len(self.row)))
            self.out += [" ".join(row) for row in rows] if rows is not None else self.row
        self.row = []


def cut_rows(cells: list[str], width: int, deviation: bool) -> list[list[str]] | None:
    """The one way to cut a run of cells into rows of `width` cells, each
    followed by its deviation where the table has one (a cell that ends a
    sentence; a 三级指标 is no sentence); None where there is no way or
    more than one (a cell left empty, dropped)."""
    if width < 1:
        return None
    ways = list(_cuts(cells, width, deviation))
    return ways[0] if len(ways) == 1 else None


def _cuts(cells: list[str], width: int, deviation: bool):
    if not cells:
        yield []
        return
    if len(cells) < width or cells[0][-1] in SENTENCE_ENDS:
        return
    sizes = [width] + ([width + 1] if deviation and len(cells) > width and cells[width][-1] in SENTENCE_ENDS else [])
    for size in sizes:
        for rest in _cuts(cells[size:], width, deviation):
            yield [cells[:size]] + rest


def _is_column_label(cell: str) -> bool:
    key = column_key(cell)        # (年度指标值(A): the column's letter is no part of its label)
    return bool(key) and (any(key == label for label, _ in indicator_column_labels()) or key in _level_head_keys())


def _opens_header(cell: str) -> bool:
    """The indicator header's first cell: 一级指标 (or 三级指标 where the table has no level columns)."""
    return label_key(cell) in _level_head_keys() or label_key(cell) in {
        label_key(l) for l in label_tables().indicator_columns["name"]}


def _level_head_keys() -> set[str]:
    return {label_key(l) for key in ("level1", "level2") for l in label_tables().indicator_columns[key]}


def _ends_table(cell: str) -> bool:
    """A cell after the indicator rows: 总分 / 合计, a closing row's label (说明)."""
    key = label_key(cell)
    tables = label_tables()
    return any(key == label_key(l) for l in tables.totals + tables.extra_rows)


def _is_level_label(cell: str) -> bool:
    return without_section_weight(cell)[0] in _LEVEL_NAMES


def _as_pieces(label: str) -> str:
    """A level label in its narrow column's pieces (`社会效益` / `指标`); one
    with its section weight (`产出指标(50分)`) the reader takes whole."""
    if without_section_weight(label)[1] or _is_piece(label):
        return label
    return "\n".join(label[k:k + PIECE_CHARS] for k in range(0, len(label), PIECE_CHARS))


def _ends_in_figure(line: str) -> bool:
    return is_number_token(line.rsplit(" ", 1)[-1])
