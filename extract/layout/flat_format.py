"""The flat-text format: a form's text with no table left, as a PDF's text
layer gives it in content-stream order (the seed's extraction).

Owned here, once, for the three that use it: the corpus writes it from
rendered PDFs (`corpus.flat`), the flat reader reads it
(`extract.parse.flat_reader`), and the second opinion writes parsed forms
back into it for the model (`extract.checks.second_opinion`).

The format:
- cell after cell, row by row; each line of a cell on a line of its own,
  after a blank line (`CELL_BREAK`);
- a line printed at the height of the line before it joined to it with a
  space (`SAME_HEIGHT`): two cells centred in one row share a line;
- merged 一级/二级 labels in narrow vertical pieces before the first row they span;
- a page break as three or more blank lines (`PAGE_BREAK`), or a form feed.

The model tags a form's flat text with one label per field (`FIELD_LABELS`).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from extract.model import BBox, Page, Provenance
from extract.sources.cells import is_grid

CELL_BREAK = "\n\n"
SAME_HEIGHT = " "
PAGE_BREAK = "\n\n\n\n"
PAGE_BREAK_PATTERN = re.compile(r"\n[ \t]*(?:\n[ \t]*){3,}|\f")

# The model's label of each field it tags: record keys, then indicator keys.
RECORD_FIELD_LABELS = {
    "project_name": "PROJECT_NAME", "department": "DEPARTMENT", "implementing_unit": "IMPLEMENTING_UNIT",
    "goal_expected": "GOAL_EXPECTED", "goal_actual": "GOAL_ACTUAL",
    "total_weight": "TOTAL_WEIGHT", "total_score": "TOTAL_SCORE", "grade": "GRADE",
}
INDICATOR_FIELD_LABELS = {
    "level1": "LEVEL1", "level2": "LEVEL2", "name": "INDICATOR_NAME", "target": "TARGET", "actual": "ACTUAL",
    "weight": "WEIGHT", "score": "SCORE", "deviation_cause": "DEVIATION_CAUSE", "improvement": "IMPROVEMENT",
}
GOAL_ACTUAL = RECORD_FIELD_LABELS["goal_actual"]
INDICATOR_NAME = INDICATOR_FIELD_LABELS["name"]
TARGET = INDICATOR_FIELD_LABELS["target"]
ACTUAL = INDICATOR_FIELD_LABELS["actual"]
DEVIATION_CAUSE = INDICATOR_FIELD_LABELS["deviation_cause"]
IMPROVEMENT = INDICATOR_FIELD_LABELS["improvement"]
DEVIATION_LABELS = (DEVIATION_CAUSE, IMPROVEMENT)
# Every label, in the order a form prints its fields.
FLAT_LABELS = (
    "PROJECT_NAME", "DEPARTMENT", "IMPLEMENTING_UNIT", "GOAL_EXPECTED", "GOAL_ACTUAL",
    "LEVEL1", "LEVEL2", "INDICATOR_NAME", "TARGET", "ACTUAL", "WEIGHT", "SCORE",
    "DEVIATION_CAUSE", "IMPROVEMENT", "TOTAL_WEIGHT", "TOTAL_SCORE", "GRADE",
)
assert set(FLAT_LABELS) == set(RECORD_FIELD_LABELS.values()) | set(INDICATOR_FIELD_LABELS.values())

# Column widths in em (9 pt text, 3 pt padding each side) of the reference
# forms the model was trained on, as measured on their rendered text: a value
# written into the format is wrapped to its column, as those forms print it.
COLUMN_EM = {
    "level": 2.8, "name": 10.5, "measure": 8.2, "number": 4.0, "deviation": 11.1, "goal": 24.4, "label": 6.4,
    "project_name": 39.3, "department": 19.3, "implementing_unit": 12.7,
}


def em_width(text: str, half_width: float = 0.5) -> float:
    """Printed width in em: CJK and full-width characters 1, others
    `half_width`, spaces 0."""
    total = 0.0
    for char in text:
        if char.isspace():
            continue
        total += 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else half_width
    return total


# A half-width character's width is the Latin font's, not known from the
# text: 1/2 em in fonts with their own Latin glyphs, up to ~0.65 em where a
# CJK font without digits is paired with a wider Latin one (Droid Sans
# Fallback with DejaVu Sans).  `em_width` gives the narrow bound, this the wide one.
HALF_WIDTH_EM_MAX = 0.65


def em_width_max(text: str) -> float:
    """Printed width in em with half-width characters at their widest."""
    return em_width(text, HALF_WIDTH_EM_MAX)


# Line breaking as Word and WPS do it: CJK breaks between any two
# characters, but a run of Latin letters, digits and their signs
# (`≥90.00(%)`, `2023`) is one word, a closing bracket or punctuation mark
# never starts a line and an opening bracket never ends one.
NO_LINE_START = frozenset(")）]】」』》〉、。，,．.：:；;！!？?%‰")
NO_LINE_END = frozenset("(（[【「『《〈")


def _in_word(char: str) -> bool:
    return (char.isascii() and not char.isspace()) or char in "≥≤⩾⩽‰"


def break_allowed(before: str, after: str, inside_words: bool = False) -> bool:
    """Whether a line may end between these two characters (`inside_words`:
    a word too long for its line may be broken, but not at a bracket)."""
    if after in NO_LINE_START or before in NO_LINE_END:
        return False
    return inside_words or not (_in_word(before) and _in_word(after))


def wrap_lines(text: str, fits: Callable[[str], bool]) -> list[str]:
    """`text` in lines that `fits`, broken where `break_allowed`; a word
    longer than a line is broken where it must."""
    lines: list[str] = []
    line = ""
    for char in text:
        if line and not fits(line + char):
            joined = line + char
            cut = next((k for inside in (False, True) for k in range(len(line), 0, -1)
                        if break_allowed(joined[k - 1], joined[k], inside)), len(line))
            lines.append(line[:cut])
            line = line[cut:]
        line += char
    if line:
        lines.append(line)
    return lines


def wrap(text: str, width: float) -> list[str]:
    """`text` wrapped to a column `width` em wide, as a form prints it."""
    lines = wrap_lines(text, lambda line: em_width(line) <= width)
    return [part.strip() for part in lines if part.strip()]


# ---------------------------------------------------------------- writing


@dataclass(frozen=True)
class FieldRange:
    """Where a field's value (or a merged 一级/二级 label shared by several
    indicators) sits in a written text, and the labels the model may give it."""

    paths: tuple[str, ...]
    start: int
    end: int
    labels: tuple[str, ...]


@dataclass
class FlatCell:
    """A cell of one printed row: its lines, and the fields it holds."""

    lines: list[str]
    paths: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


@dataclass
class FlatTextWriter:
    """Rows of cells into the format, keeping where each field's text lies."""

    text: str = ""
    fields: list[FieldRange] = field(default_factory=list)

    def row(self, cells: Sequence[FlatCell]) -> None:
        """One table row: cell after cell, each line after a blank line, or
        after a space where it sits at the height of the line before it
        (every cell centred vertically in the row)."""
        cells = [c for c in cells if c.lines]
        height = max((len(c.lines) for c in cells), default=0)
        previous_y: float | None = None
        for cell in cells:
            first = (height - len(cell.lines)) / 2
            start = None
            for i, line in enumerate(cell.lines):
                y = first + i
                if self.text:
                    self.text += SAME_HEIGHT if previous_y is not None and y == previous_y else CELL_BREAK
                if start is None:
                    start = len(self.text)
                self.text += line
                previous_y = y
            if cell.paths and cell.labels and start is not None:
                self.fields.append(FieldRange(cell.paths, start, len(self.text), cell.labels))


# ---------------------------------------------------------------- pages into the format


@dataclass(frozen=True)
class SourceLine:
    """A line of a page as it sits in the flat text made of the pages."""

    start: int            # offsets of the line in the joined text
    end: int
    page: Page
    bbox: BBox
    confidence: float


def reading_lines(page: Page) -> list[tuple[str, BBox, float]]:
    """A page's text lines in reading order, with their reading confidence:
    the lines outside any table and those of tables that are no grid (a
    single box, such as a frame drawn round the page)."""
    lines = [(line.text, line.bbox, line.confidence) for line in page.lines]
    for table in page.tables:
        if not is_grid(table):
            lines += [(word.text, word.bbox, word.confidence) for cell in table.cells for word in cell.words]
    lines.sort(key=lambda item: (round(item[1].top, 1), item[1].x0))
    return [line for line in lines if line[0].strip()]


def pages_flat_text(pages: Iterable[Page]) -> tuple[str, list[SourceLine]]:
    """The text of pages in reading order, in the format, with where each
    line sits in it; pages without text are left out."""
    text = ""
    sources: list[SourceLine] = []
    for page in pages:
        lines = reading_lines(page)
        if not lines:
            continue
        for i, (line_text, bbox, confidence) in enumerate(lines):
            if text:
                text += CELL_BREAK if i else PAGE_BREAK
            start = len(text)
            text += line_text.strip()
            sources.append(SourceLine(start, len(text), page, bbox, confidence))
    return text + "\n", sources


def locator(sources: list[SourceLine]):
    """``locate(page, start, end)`` for a text made by `pages_flat_text`:
    the provenance of what lies between two offsets — the page and the box
    of those lines, method ``flat:<how the page was read>``, and the lowest
    reading confidence of the lines."""
    starts = [s.start for s in sources]

    def locate(_: int, start: int, end: int) -> Provenance:
        first = max(0, bisect_right(starts, start) - 1)
        used = [s for s in sources[first:] if s.start < end] or [sources[first]]
        page = used[0].page
        on_page = [s for s in used if s.page is page]
        bbox = BBox(min(s.bbox.x0 for s in on_page), min(s.bbox.top for s in on_page),
                    max(s.bbox.x1 for s in on_page), max(s.bbox.bottom for s in on_page))
        return Provenance(page.number, bbox, f"flat:{page.method}", min(s.confidence for s in used))

    return locate


def text_pages(sources: list[SourceLine]) -> list[Page]:
    """The pages of a joined text, in order (page k of the text is item k − 1)."""
    pages: list[Page] = []
    for source in sources:
        if not pages or pages[-1] is not source.page:
            pages.append(source.page)
    return pages
