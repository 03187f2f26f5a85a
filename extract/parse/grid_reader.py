"""The grid reader: the ruled cells of a document's pages → forms.

It finds what a row is by its labels (`extract.layout.labels`), never by column
position: the head rows by their row labels, the funding and indicator
columns by their header labels and synonyms, each value by the column header
its cell lies under.  It reads pages in order as one stream, so a form runs
over a page break, several forms share a file, and a form may start
mid-page.  Merged 一级/二级 cells that a page break cuts are joined again.
What it finds goes into a `FormAssembly`, which makes the record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Iterator

from extract.layout.labels import (
    FORM_TITLE, FUNDING_COLUMN_LABELS, FUNDING_ROW_LABELS, GOAL_COLUMN_LABELS, GRADE_LABELS,
    HEAD_LABELS, INDICATOR_COLUMN_LABELS, LEVEL1_NAMES, LEVEL2_NAMES, TOTAL_LABELS, YEAR_PATTERN,
    is_label, label_key, match_label,
)
from extract.model import BBox, Cell, Document, FieldPath, FormResult, Page, Provenance, Table
from extract.parse.assembly import FormAssembly
from extract.parse.values import clean_cell_text

log = logging.getLogger("selfeval.parse")

_TITLE_KEY = label_key(FORM_TITLE)
_FUNDING_HEADER_MARKERS = ("annual_budget", "initial_budget", "executed")


@dataclass
class _Row:
    """Grid row `index` of a table, with every cell that covers it, left to right."""

    page: Page
    table: Table
    table_serial: int
    index: int
    cells: list[Cell]

    def labelled(self, synonyms: tuple[str, ...]) -> Cell | None:
        return next((c for c in self.cells if is_label(c.text, synonyms)), None)

    def under(self, column: BBox) -> Cell | None:
        """The cell of this row that lies under a header cell's x-range."""
        best, best_overlap = None, 0.0
        for cell in self.cells:
            overlap = cell.bbox.x_overlap(column)
            if overlap > best_overlap:
                best, best_overlap = cell, overlap
        if best is None or best_overlap < 0.5 * min(best.bbox.width, column.width):
            return None
        return best


@dataclass
class _LevelGroup:
    """The rows one merged 一级 or 二级 cell spans, in parts cut by page breaks."""

    parts: list[tuple[_Row, Cell | None]]
    indicators: list[int] = field(default_factory=list)

    def text(self) -> str:
        return clean_cell_text("\n".join(cell.text for _, cell in self.parts if cell is not None))


class _FormBuilder:
    """The form being read: its assembly, and the columns its header rows set."""

    def __init__(self) -> None:
        self.assembly = FormAssembly()
        self.funding_columns: dict[str, BBox] = {}
        self.goal_columns: dict[str, BBox] = {}
        self.indicator_columns: dict[str, BBox] = {}
        self.goal_values_next = False
        self.levels: dict[str, list[_LevelGroup]] = {"level1": [], "level2": []}
        self.year_read = False
        self.last_indicator_row: _Row | None = None   # the row the last 三级指标 was read from
        self.indicator_tables: set[int] = set()        # tables that gave an indicator row

    @property
    def has_content(self) -> bool:
        return self.assembly.has_content

    def touch(self, page: Page) -> None:
        self.assembly.touch(page.number, page.kind)

    def put(self, path: FieldPath, row: _Row, cell: Cell | None) -> None:
        """The text of `cell` (None: no cell under the column) for `path`."""
        if cell is None:
            self.assembly.put(path, None)
        else:
            self.assembly.put(path, cell.text, _provenance(row, cell))


def _provenance(row: _Row, cell: Cell) -> Provenance:
    return Provenance(row.page.number, cell.bbox, row.page.method, cell.confidence)


def parse_document(document: Document) -> list[FormResult]:
    """Every form of a document, in order, with its `source` filled."""
    forms: list[FormResult] = []
    builder = _FormBuilder()

    def finish() -> None:
        nonlocal builder
        if builder.has_content:
            _close_levels(builder)
            forms.append(builder.assembly.finish(document.file_name, document.sha256))
        builder = _FormBuilder()

    for page, item in _stream(document):
        if isinstance(item, str):
            key = label_key(item)
            if _TITLE_KEY in key and len(key) <= len(_TITLE_KEY) + 3:
                log.debug("page %d: a title line %r starts a form", page.number, item)
                finish()
                builder.touch(page)
            elif (year := YEAR_PATTERN.search(item)) and not builder.year_read:
                builder.assembly.put(FieldPath.top("year"), year.group(1))
                builder.year_read = True
            continue
        row = item
        if row.labelled(HEAD_LABELS["project_name"]) and builder.assembly.text(FieldPath.top("project_name")):
            log.debug("page %d: a second 项目名称 row starts a form without a title line", page.number)
            finish()
        builder.touch(page)
        _read_row(builder, row)
    finish()
    return forms


def _stream(document: Document) -> Iterator[tuple[Page, Any]]:
    """Text lines and table rows of every page, in reading order."""
    serial = 0
    for page in document.pages:
        items: list[tuple[float, int, Any]] = []
        for line in page.lines:
            items.append((line.bbox.top, 0, line.text))
        for table in page.tables:
            serial += 1
            covering: list[list[Cell]] = [[] for _ in range(table.rows)]
            tops: list[float | None] = [None] * table.rows
            for cell in table.cells:
                for r in range(cell.row, min(cell.row + cell.row_span, table.rows)):
                    covering[r].append(cell)
                if tops[cell.row] is None or cell.bbox.top < tops[cell.row]:  # type: ignore[operator]
                    tops[cell.row] = cell.bbox.top
            for r in range(table.rows):
                if tops[r] is None:
                    continue  # no cell starts here: nothing new to read
                cells = sorted(covering[r], key=lambda c: c.bbox.x0)
                items.append((tops[r], 1, _Row(page, table, serial, r, cells)))  # type: ignore[arg-type]
        items.sort(key=lambda item: (item[0], item[1]))
        for _, _, item in items:
            yield page, item


def _read_row(builder: _FormBuilder, row: _Row) -> None:
    if row.labelled(INDICATOR_COLUMN_LABELS["name"]):
        builder.indicator_columns = _header_columns(row, INDICATOR_COLUMN_LABELS)
        log.debug("page %d: indicator header, columns %s", row.page.number, sorted(builder.indicator_columns))
        return
    if any(row.labelled(FUNDING_COLUMN_LABELS[k]) for k in _FUNDING_HEADER_MARKERS):
        builder.funding_columns = _header_columns(row, FUNDING_COLUMN_LABELS)
        log.debug("page %d: funding header, columns %s", row.page.number, sorted(builder.funding_columns))
        return
    if any(row.labelled(s) for s in HEAD_LABELS.values()):
        for i, cell in enumerate(row.cells[:-1]):
            key = match_label(cell.text, HEAD_LABELS)
            if key:
                builder.put(FieldPath.top(key), row, row.cells[i + 1])
        return
    funding_label = next((c for c in row.cells if match_label(c.text, FUNDING_ROW_LABELS)), None)
    if funding_label is not None and builder.funding_columns:
        fkey = match_label(funding_label.text, FUNDING_ROW_LABELS)
        for column, box in builder.funding_columns.items():
            builder.put(FieldPath.funding(fkey, column), row, row.under(box))
        return
    if all(row.labelled(s) for s in GOAL_COLUMN_LABELS.values()):
        builder.goal_columns = _header_columns(row, GOAL_COLUMN_LABELS)
        builder.goal_values_next = True
        return
    if builder.goal_values_next:
        builder.goal_values_next = False
        for key, box in builder.goal_columns.items():
            builder.put(FieldPath.top(key), row, row.under(box))
        return
    if row.labelled(TOTAL_LABELS):
        _read_totals(builder, row)
        return
    grade_label = row.labelled(GRADE_LABELS)
    if grade_label is not None:
        value = next((c for c in row.cells if c is not grade_label and clean_cell_text(c.text)), None)
        builder.put(FieldPath.top("grade"), row, value)
        return
    if builder.indicator_columns and _is_indicator_row(builder, row):
        if _continues_last_row(builder, row):
            _read_continuation(builder, row)
        else:
            _read_indicator(builder, row)
    else:
        log.debug("page %d, row %d: not read (%s)", row.page.number, row.index,
                  " | ".join(clean_cell_text(c.text)[:12] for c in row.cells))


def _header_columns(row: _Row, labels: dict[str, tuple[str, ...]]) -> dict[str, BBox]:
    columns: dict[str, BBox] = {}
    for cell in row.cells:
        key = match_label(cell.text, labels)
        if key and key not in columns:
            columns[key] = cell.bbox
    return columns


def _read_totals(builder: _FormBuilder, row: _Row) -> None:
    columns = builder.indicator_columns
    for key, column in (("total_weight", "weight"), ("total_score", "score")):
        cell = row.under(columns[column]) if column in columns else None
        builder.put(FieldPath.top(key), row, cell)


def _is_indicator_row(builder: _FormBuilder, row: _Row) -> bool:
    name_column = builder.indicator_columns.get("name")
    return name_column is not None and row.under(name_column) is not None


def _continues_last_row(builder: _FormBuilder, row: _Row) -> bool:
    """A piece of the last 三级指标 row that a page break cut, as Word and WPS
    print it: the first indicator row of a new table, right after a row that
    reached the bottom of its table, with no 分值 and no 得分 of its own but
    text in some of the other cells."""
    last = builder.last_indicator_row
    if last is None or row.table_serial == last.table_serial or row.table_serial in builder.indicator_tables:
        return False
    if max(cell.last_row for cell in last.cells) < last.table.rows - 1:
        return False
    columns = builder.indicator_columns

    def printed(key: str) -> str:
        cell = row.under(columns[key]) if key in columns else None
        return clean_cell_text(cell.text) if cell is not None else ""

    if "weight" not in columns or printed("weight") or printed("score"):
        return False
    return any(printed(key) for key in ("name", "target", "actual", "deviation"))


def _read_continuation(builder: _FormBuilder, row: _Row) -> None:
    """Join a cut row's piece to its row, cell by cell."""
    index = builder.assembly.indicators - 1
    columns = builder.indicator_columns
    log.debug("page %d: row %d continues indicator %d across the page break", row.page.number, row.index, index)
    for key in ("name", "target", "actual", "deviation"):
        cell = row.under(columns[key]) if key in columns else None
        if cell is not None and clean_cell_text(cell.text):
            builder.assembly.add_text(FieldPath.indicator(index, key), cell.text, _provenance(row, cell))
    for level in ("level1", "level2"):
        cell = row.under(columns[level]) if level in columns else None
        if cell is not None:
            _continue_level(builder, level, row, cell)
    builder.indicator_tables.add(row.table_serial)
    builder.last_indicator_row = row


def _continue_level(builder: _FormBuilder, level: str, row: _Row, cell: Cell) -> None:
    """A merged 一级/二级 cell beside a continuation piece: more of the last
    group's label, or the start of a group the next rows will join."""
    groups = builder.levels[level]
    if groups:
        last_row, last_cell = groups[-1].parts[-1]
        if cell is last_cell:
            return
        if _continues_over_break(level, groups[-1], last_row, last_cell, row, cell):
            groups[-1].parts.append((row, cell))
            return
    groups.append(_LevelGroup(parts=[(row, cell)]))


def _read_indicator(builder: _FormBuilder, row: _Row) -> None:
    columns = builder.indicator_columns
    index = builder.assembly.new_indicator()

    def cell_of(key: str) -> Cell | None:
        return row.under(columns[key]) if key in columns else None

    for key in ("name", "target", "actual", "weight", "score", "deviation"):
        builder.put(FieldPath.indicator(index, key), row, cell_of(key))
    level1_continues = _join_level(builder, "level1", row, cell_of("level1"), index, parent_continues=True)
    _join_level(builder, "level2", row, cell_of("level2"), index, parent_continues=level1_continues)
    builder.indicator_tables.add(row.table_serial)
    builder.last_indicator_row = row


def _join_level(builder: _FormBuilder, level: str, row: _Row, cell: Cell | None, index: int,
                parent_continues: bool) -> bool:
    """Add indicator `index` to the merged-cell group its 一级/二级 cell belongs to.

    Returns whether the row stays in the previous row's group (so that a
    二级 group never continues across a new 一级 group).
    """
    groups = builder.levels[level]
    last = groups[-1] if groups else None
    same = False
    if last is not None:
        last_row, last_cell = last.parts[-1]
        if cell is not None and cell is last_cell:
            same = True
        elif parent_continues and _continues_over_break(level, last, last_row, last_cell, row, cell):
            last.parts.append((row, cell))
            same = True
    if not same:
        last = _LevelGroup(parts=[(row, cell)])
        groups.append(last)
    last.indicators.append(index)
    return same


def _continues_over_break(level: str, group: _LevelGroup, last_row: _Row, last_cell: Cell | None,
                          row: _Row, cell: Cell | None) -> bool:
    """A merged cell cut by a page break: the old part reaches the bottom of
    its table and the new one starts the next table, and the label read so
    far is not already a whole one."""
    if row.table_serial == last_row.table_serial:
        return False
    reached_bottom = last_cell is None or last_cell.last_row >= last_row.table.rows - 1
    starts_top = cell is None or cell.row == 0
    if not (reached_bottom and starts_top):
        return False
    names = LEVEL1_NAMES if level == "level1" else LEVEL2_NAMES
    so_far, new = group.text(), clean_cell_text(cell.text if cell else "")
    return not so_far or not new or label_key(so_far) not in {label_key(n) for n in names}


def _close_levels(builder: _FormBuilder) -> None:
    """Each merged 一级/二级 cell's text, joined over page breaks, for every
    indicator it spans, with the provenance of its first part."""
    for level, groups in builder.levels.items():
        for group in groups:
            text = "\n".join(cell.text for _, cell in group.parts if cell is not None)
            first_row, first_cell = next(((r, c) for r, c in group.parts if c is not None), group.parts[0])
            where = _provenance(first_row, first_cell) if first_cell is not None else None
            for index in group.indicators:
                builder.assembly.put(FieldPath.indicator(index, level), text or None, where)
