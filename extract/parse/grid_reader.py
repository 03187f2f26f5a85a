"""The grid reader: the ruled cells of a document's pages → forms.

It finds what a row is by its labels (`extract.layout.labels`), never by column
position: the head rows by their row labels, the funding and indicator
columns by their header labels and synonyms, each value by the column header
its cell lies under.  It reads pages in order as one stream, so a form runs
over a page break, several forms share a file, and a form may start
mid-page.  Merged 一级/二级 cells that a page break cuts are joined again.
What it finds goes into a `FormAssembly`, which makes the record.

Where it has to guess at the table's structure it says so
(`FormAssembly.doubt`, rule `layout_in_doubt`), naming the fields the guess
touches, so that they go to review however well their text was read:
- a continuation piece that could as well be a row of its own (the last
  row printed no 分值/得分 either, a new 一级/二级 label starts beside it, or
  a row at the top of the page prints numbers but no 三级指标);
- an indicator column the header row did not give (a header cell no label
  matched, or no indicator header at all before indicator-like rows);
- a cell read from an unexpected column: one cell under two columns, several
  cells under one, or a cell that covers only part of its column;
- a merged 一级/二级 cell cut by a page break whose text is empty or no
  whole label once joined.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Iterator

from extract.layout.labels import (
    FUNDING_BLOCK_LABELS, FUNDING_HEADER_WORDS, FUNDING_ROW_WORDS, GOAL_BLOCK_LABELS, GOAL_WORDS, GRADE_LABELS, GRADES,
    HEAD_WORDS, HEADER_WORD_MAX_CHARS, INDICATOR_HEADER_WORDS, LEVEL1_NAMES, LEVEL2_NAMES, NOTE_LABEL_ENDINGS,
    SLOT_NAME, TARGET_NATURES, YEAR_PATTERN, is_label, label_key, level_key, match_header_word, match_label,
)
from extract.layout.templates import is_appropriation_row, is_sub_row, label_tables, money_unit_in, read_title, \
    split_head_total
from extract.model import (
    FUNDING_ROW_KEYS, BBox, Cell, Document, FieldPath, FormResult, Page, Provenance, Table,
)
from extract.parse.assembly import FormAssembly
from extract.parse.values import clean_cell_text, is_number_token, is_weight_and_score, parse_number

log = logging.getLogger("selfeval.parse")



_FUNDING_HEADER_MARKERS = ("annual_budget", "initial_budget", "executed")
_FUNDING_BLOCK_KEY = label_key(FUNDING_BLOCK_LABELS[-1])      # 项目资金, whatever unit follows
# The columns every indicator row is read from.
_INDICATOR_KEYS = ("level1", "level2", "name", "target", "actual", "weight", "score", "deviation")
# A cell lies under its column as expected when it and the column overlap
# by at least this share of the wider of the two (ruled grids: about 1).
_COLUMN_FIT = 0.75


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

    def misfit(self, column: BBox, cell: Cell) -> str | None:
        """Why `cell`, the one `under(column)` chose, may not be the column's
        value: it covers only part of the column or much beyond it, or other
        cells of the row lie under the column too.  None: it fits."""
        overlap = cell.bbox.x_overlap(column)
        if overlap < _COLUMN_FIT * max(cell.bbox.width, column.width):
            return (f"the cell ({cell.bbox.x0:.0f}–{cell.bbox.x1:.0f} pt) and its column "
                    f"({column.x0:.0f}–{column.x1:.0f} pt) overlap by {overlap:.0f} pt only")
        others = [c for c in self.cells if c is not cell and clean_cell_text(c.text)
                  and c.bbox.x_overlap(column) >= 0.5 * c.bbox.width]
        if others:
            return f"{len(others) + 1} cells lie under the column"
        return None


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
        self.funding_header_complete = False          # every funding header cell matched a label
        self.funding_unread = False                     # a row of figures in the funding table read as no row
        self.funding_closed = False                     # the funding table ended (a goal or indicator header)
        self.total_row: _Row | None = None              # the 总分 row, where it prints no grade
        self.grade_after_total = False                  # a cell after that row prints a grade (优, 良 …)
        self.column_labels: dict[str, str] = {}         # funding and indicator keys → header as printed
        self.target_parts: list[BBox] = []             # 指标性质 / 指标值 / 度量单位, where the target is split
        self.goal_values_next = False
        self.levels: dict[str, list[_LevelGroup]] = {"level1": [], "level2": []}
        self.year_read = False
        self.last_indicator_row: _Row | None = None   # the row the last 三级指标 was read from
        self.indicator_tables: set[int] = set()        # tables that gave an indicator row
        self.unmatched_header: list[str] = []           # indicator header cells no label matched
        self.extra_columns: list[tuple[str, BBox]] = []  # indicator columns kept in `extra` (复核分), as printed
        self.skipped_rows = 0                           # rows after the head that nothing read

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

    def put_absent(self, path: FieldPath, row: _Row) -> None:
        """A field whose column the form's header, read whole, does not
        print (a template without 分值 or 年初预算数): null, and certain."""
        self.assembly.put(path, None, Provenance(row.page.number, None, row.page.method, 1.0))

    def put_under(self, path: FieldPath, row: _Row, column: BBox | None,
                  used: dict[int, FieldPath] | None = None) -> Cell | None:
        """`put` the cell of `row` under `column` (None: the header gave no
        such column), doubting it when it is not where the column says:
        a cell that does not fit the column, or one already read for another
        field of the row (`used`: id of each cell read → its field)."""
        cell = row.under(column) if column is not None else None
        self.put(path, row, cell)
        if cell is None:
            return None
        why = row.misfit(column, cell)
        other = used.get(id(cell)) if used is not None else None
        if other is not None:
            why = f"the same cell is read for {other} too"
            self.doubt([other], row, f"{other}: {why.replace(str(other), str(path))}")
        if why is not None:
            self.doubt([path], row, f"{path}: {why}")
        if used is not None:
            used.setdefault(id(cell), path)
        return cell

    def doubt(self, paths: list[FieldPath], row: _Row, message: str) -> None:
        """Doubt where these cells belong; their parsed leaves go with them."""
        fields = list(dict.fromkeys(leaf for path in paths for leaf in (path, *path.parsed)))
        log.debug("page %d, row %d: layout in doubt: %s", row.page.number, row.index, message)
        self.assembly.doubt(fields, f"page {row.page.number}: {message}")


def _read_money_unit(builder: _FormBuilder, row: _Row) -> None:
    """The unit the funding table states in its block label (项目资金（元）,
    which a page break may carry to a later row) or a column header."""
    for cell in row.cells:
        if label_key(cell.text).startswith(_FUNDING_BLOCK_KEY) or match_label(cell.text, label_tables().funding_columns):
            builder.assembly.money_unit = money_unit_in(cell.text) or builder.assembly.money_unit


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
            _doubt_missing_header(builder)
            _close_grade(builder)
            forms.append(builder.assembly.finish(document.file_name, document.sha256))
        builder = _FormBuilder()

    for page, item in _stream(document):
        if isinstance(item, str):
            title = read_title(item)
            if title is not None:
                log.debug("page %d: a title line %r starts a form", page.number, item)
                finish()
                builder.touch(page)
                builder.assembly.title = title.printed
                builder.assembly.template_families = title.families
                if title.total_score is not None:          # 项目总得分99分: a 总分 row, if any, comes later
                    builder.assembly.put(FieldPath.top("total_score"), str(title.total_score))
                if title.year is not None:
                    builder.assembly.put(FieldPath.top("year"), str(title.year))
                    builder.year_read = True
            elif (unit := money_unit_in(item)) and not builder.assembly.indicators:
                builder.assembly.money_unit = unit          # 金额单位：元 above the table
            elif not builder.year_read:
                line, stated = split_head_total(item)        # （2022年度）自评得分98
                if (year := YEAR_PATTERN.search(line)):
                    builder.assembly.put(FieldPath.top("year"), year.group(1))
                    builder.year_read = True
                    if stated is not None:
                        builder.assembly.put(FieldPath.top("total_score"), str(stated))
            continue
        row = item
        if row.labelled(label_tables().head["project_name"]) and builder.assembly.text(FieldPath.top("project_name")):
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


def _close_funding(builder: _FormBuilder, row: _Row) -> None:
    """The funding table ends (at the goal or indicator header): where its
    header and every row of it were read, a funding row it does not print
    (a template without 上年结转资金) is null, and certain."""
    if builder.funding_closed or not builder.funding_columns:
        return
    builder.funding_closed = True
    if not builder.funding_header_complete or builder.funding_unread:
        return
    for path in builder.assembly.unprinted_funding_cells():
        builder.put_absent(path, row)


def _read_row(builder: _FormBuilder, row: _Row) -> None:
    _read_money_unit(builder, row)
    if builder.total_row is not None and any(clean_cell_text(c.text) in GRADES for c in row.cells):
        builder.grade_after_total = True
    if row.labelled(label_tables().indicator_columns["name"]):
        _close_funding(builder, row)
        header = _header_cells(row, label_tables().indicator_columns, INDICATOR_HEADER_WORDS)
        builder.indicator_columns = _bboxes(header)
        builder.column_labels.update(_printed_labels(header, "indicator"))
        builder.target_parts = _target_parts(row)
        builder.assembly.header_labels |= {label_key(c.text) for c in row.cells if clean_cell_text(c.text)}
        _level_columns_by_place(row, builder.indicator_columns)
        taken = {id(cell) for cell in header.values()}
        builder.unmatched_header = [clean_cell_text(c.text) for c in row.cells if clean_cell_text(c.text)
                                    and id(c) not in taken and not _is_labelled_elsewhere(c)]
        # columns the record keeps in `extra`: a family's (复核分), or a header
        # cell no label matched (its cells are kept under its label, not lost)
        builder.extra_columns = [(clean_cell_text(c.text), c.bbox) for c in row.cells if id(c) not in taken
                                 and (is_label(c.text, label_tables().indicator_extra_columns)
                                      or clean_cell_text(c.text) in builder.unmatched_header)]
        log.debug("page %d: indicator header, columns %s", row.page.number, sorted(builder.indicator_columns))
        return
    if _is_funding_header(row):
        header = _header_cells(row, label_tables().funding_columns, FUNDING_HEADER_WORDS)
        builder.funding_columns = _bboxes(header)
        builder.column_labels.update(_printed_labels(header, "funding"))
        builder.assembly.header_labels |= {label_key(c.text) for c in row.cells if clean_cell_text(c.text)
                                           and not label_key(c.text).startswith(_FUNDING_BLOCK_KEY)}
        taken = {id(cell) for cell in header.values()}
        builder.funding_header_complete = all(
            id(c) in taken or _is_labelled_elsewhere(c) or _is_note_column(c)
            for c in row.cells if clean_cell_text(c.text) and not label_key(c.text).startswith(_FUNDING_BLOCK_KEY))
        log.debug("page %d: funding header, columns %s", row.page.number, sorted(builder.funding_columns))
        return
    if _is_head_row(builder, row):
        for i, cell in enumerate(row.cells[:-1]):
            key = match_label(cell.text, label_tables().head) or _head_by_words(builder, cell)
            if key:
                builder.put(FieldPath.top(key), row, row.cells[i + 1])
        return
    if _read_extra_row(builder, row):
        return
    funding_label, fkey = _funding_row_label(builder, row)
    if funding_label is not None and builder.funding_columns:
        used: dict[int, FieldPath] = {}
        for column, box in builder.funding_columns.items():
            builder.put_under(FieldPath.funding(fkey, column), row, box, used)
            if f"funding.{column}" in builder.column_labels:
                builder.assembly.labels[FieldPath.funding(fkey, column)] = \
                    f"{clean_cell_text(funding_label.text)}·{builder.column_labels[f'funding.{column}']}"
        if builder.funding_header_complete:
            for column in FUNDING_ROW_KEYS:
                if column not in builder.funding_columns:
                    builder.put_absent(FieldPath.funding(fkey, column), row)
        return
    goal_header = _goal_header(builder, row)
    if goal_header is not None:
        _close_funding(builder, row)
        builder.goal_columns = _bboxes(goal_header)
        builder.goal_values_next = True
        return
    if builder.goal_values_next:
        builder.goal_values_next = False
        used = {}
        for key, box in builder.goal_columns.items():
            builder.put_under(FieldPath.top(key), row, box, used)
        return
    if row.labelled(label_tables().totals):
        _read_totals(builder, row)
        return
    grade_label = row.labelled(GRADE_LABELS)
    if grade_label is not None:
        value = next((c for c in row.cells if c is not grade_label and clean_cell_text(c.text)), None)
        builder.put(FieldPath.top("grade"), row, value)
        return
    if builder.indicator_columns and _is_indicator_row(builder, row):
        if _read_closing_row(builder, row):
            log.debug("page %d, row %d: a closing row, kept in extra", row.page.number, row.index)
        elif _is_not_an_indicator(builder, row):
            log.debug("page %d, row %d: a slot, sub-row or empty 二级指标, no indicator", row.page.number, row.index)
        elif _continues_last_row(builder, row):
            _read_continuation(builder, row)
        else:
            could_continue = _could_continue(builder, row)
            index = _read_indicator(builder, row)
            name = builder.assembly.text(FieldPath.indicator(index, "name"))
            if could_continue and not clean_cell_text(name or "") and index > 0:
                keys = ("name", "target", "actual", "weight", "score", "deviation")
                builder.doubt([FieldPath.indicator(i, k) for i in (index - 1, index) for k in keys], row,
                              f"indicator {index} opens the page with numbers but no 三级指标: "
                              f"a row of its own, or the rest of indicator {index - 1}")
    else:
        if builder.goal_columns and sum(1 for c in row.cells if clean_cell_text(c.text)) >= 3:
            builder.skipped_rows += 1
        texts = [clean_cell_text(c.text) for c in row.cells if clean_cell_text(c.text)
                 and not label_key(c.text).startswith(_FUNDING_BLOCK_KEY)]
        if builder.funding_columns and not builder.funding_closed and any(is_number_token(t) for t in texts):
            builder.funding_unread = True             # which row it is, no label says: its key stays open
            if not is_number_token(texts[0]):
                builder.assembly.extra[texts[0]] = texts[1:]    # a funding row with no key: kept, not lost
        log.debug("page %d, row %d: not read (%s)", row.page.number, row.index,
                  " | ".join(clean_cell_text(c.text)[:12] for c in row.cells))


def _funding_row_label(builder: _FormBuilder, row: _Row) -> tuple[Cell | None, str | None]:
    """The cell that labels a funding row and its key.  The first `其中` row,
    whatever its label, is the current appropriation (FORM_RECORD.md)."""
    rows = label_tables().funding_rows
    for cell in row.cells:
        key = match_label(cell.text, rows)
        if key:
            return cell, key
    if builder.funding_columns and not builder.indicator_columns:
        first = next((c for c in row.cells if clean_cell_text(c.text)
                      and not label_key(c.text).startswith(_FUNDING_BLOCK_KEY)), None)   # the merged 项目资金 cell
        if first is None or is_number_token(clean_cell_text(first.text)) or is_label(first.text, label_tables().totals):
            return None, None

        def taken(key: str) -> bool:
            return any(FieldPath.funding(key, column) in builder.assembly.printed for column in FUNDING_ROW_KEYS)

        if is_appropriation_row(first.text, taken("current_appropriation")):
            return first, "current_appropriation"
        key = match_header_word(first.text, FUNDING_ROW_WORDS)
        if key is not None and not taken(key) and not _is_labelled_elsewhere(first):
            log.debug("funding row %r read as %s by its words", first.text, key)
            return first, key
    return None, None


def _read_extra_row(builder: _FormBuilder, row: _Row) -> bool:
    """A labelled row no key holds (评价结论, 项目负责人, a funding row such as
    单位资金): kept in the record's `extra`, label → text as printed."""
    texts = [clean_cell_text(c.text) for c in row.cells if clean_cell_text(c.text)
             and not label_key(c.text).startswith(_FUNDING_BLOCK_KEY)]   # the merged 项目资金 cell beside it
    if not texts:
        return False
    tables = label_tables()
    label = texts[0]
    if is_label(label, tables.extra_rows) and not row.labelled(tables.totals):
        builder.assembly.extra[label] = " ".join(texts[1:])
        return True
    if builder.funding_columns and is_label(label, tables.funding_extra_rows):
        builder.assembly.extra[label] = texts[1:]
        return True
    return False


def _read_closing_row(builder: _FormBuilder, row: _Row) -> bool:
    """A row after the indicators whose label no family prints (目标未完成原因分析,
    改进措施及…): its label is one cell across the 一级 to 三级指标 columns, which
    an indicator's never is, and it prints no 分值 or 得分 of its own.  Kept in
    the record's `extra`, label → text as printed, as a known closing row is."""
    columns = builder.indicator_columns
    if not builder.assembly.indicators or "level1" not in columns:
        return False
    label = row.under(columns["name"])
    if label is None or row.under(columns["level1"]) is not label or not clean_cell_text(label.text):
        return False
    figures = {id(cell) for key in ("weight", "score") if key in columns
               and (cell := row.under(columns[key])) is not None and is_number_token(clean_cell_text(cell.text))}
    if figures:
        return False
    texts = [clean_cell_text(c.text) for c in row.cells if c is not label and clean_cell_text(c.text)]
    builder.assembly.extra[clean_cell_text(label.text)] = " ".join(texts)
    builder.assembly.header_labels.add(label_key(label.text))      # (which families print it)
    return True


def _is_not_an_indicator(builder: _FormBuilder, row: _Row) -> bool:
    """A row of the indicator table that holds no indicator: an empty slot
    row (指标2, ……, a row of /), a 二级指标 with no 三级指标, a `其中` sub-row
    without weight or score."""
    columns = builder.indicator_columns

    def printed(key: str) -> str:
        cell = row.under(columns[key]) if key in columns else None
        return clean_cell_text(cell.text) if cell is not None else ""

    values = [printed(key) for key in ("target", "actual", "weight", "score", "deviation")]
    values += [clean_cell_text(cell.text) for column in builder.target_parts
               if (cell := row.under(column)) is not None]
    empty = all(not v or SLOT_NAME.match(v) for v in values)
    name = printed("name")
    if empty and (not name or SLOT_NAME.match(name)):
        return not _could_continue(builder, row) or not name and not any(values)
    return is_sub_row(name, printed("weight"), printed("score"))


def _level_columns_by_place(row: _Row, columns: dict[str, BBox]) -> None:
    """一级 and 二级 stand left of 三级指标, in that order: a header cell there
    that OCR misread (二级指标 as 一一级指标) is still that column.  The cell's
    unmatched label keeps the column's fields in doubt."""
    name = columns["name"]
    before = sorted((c for c in row.cells if c.bbox.x1 <= name.x0 + 1 and clean_cell_text(c.text)),
                    key=lambda c: c.bbox.x0)
    if len(before) != 2:
        return
    for key, cell in zip(("level1", "level2"), before):
        if key not in columns and not match_label(cell.text, label_tables().indicator_columns):
            log.debug("page %d: header %r taken as the %s column by its place", row.page.number, cell.text, key)
            columns[key] = cell.bbox


def _target_parts(row: _Row) -> list[BBox]:
    """The three cells a split target is printed in (指标性质 / 指标值 / 度量单位),
    where the header has all three."""
    parts = label_tables().target_parts
    found = {label_key(p): None for p in parts}
    for cell in row.cells:
        key = label_key(cell.text)
        if key in found and found[key] is None:
            found[key] = cell.bbox
    return list(found.values()) if parts and all(found.values()) else []  # type: ignore[arg-type]


def _header_cells(row: _Row, labels: dict[str, tuple[str, ...]],
                  words: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> dict[str, Cell]:
    """Each key's header cell: the first of the row that one of its labels
    matches; then, for a key still without one, the first cell that no label
    of any table matches and that holds one of the key's `words` (a header
    of a family no file describes: 全年完成值)."""
    cells: dict[str, Cell] = {}
    for cell in row.cells:
        key = match_label(cell.text, labels)
        if key and key not in cells:
            cells[key] = cell
    for cell in row.cells:
        if not clean_cell_text(cell.text) or match_label(cell.text, labels) or _is_labelled_elsewhere(cell):
            continue
        key = match_header_word(cell.text, words)
        if key in labels and key not in cells:
            log.debug("header %r read as the %s column by its words", cell.text, key)
            cells[key] = cell
    return cells


def _is_note_column(cell: Cell) -> bool:
    """A funding header cell no family names that labels a column of notes,
    which the record keeps in `extra` (原因, 备注, 评分说明, 计分方法)."""
    key = label_key(cell.text)
    return match_header_word(cell.text, FUNDING_HEADER_WORDS) == "extra" or \
        len(key) <= HEADER_WORD_MAX_CHARS and key.endswith(NOTE_LABEL_ENDINGS)


def _is_labelled_elsewhere(cell: Cell) -> bool:
    """A header cell that is a label but no key's column: a part of a split
    target, a column or row the record keeps in `extra`."""
    tables = label_tables()
    return is_label(cell.text, tables.target_parts + tables.extra_rows + tables.extra_columns + GOAL_BLOCK_LABELS)


def _head_by_words(builder: _FormBuilder, cell: Cell) -> str | None:
    """A head label of a family no file describes, above the tables, for a
    key not yet read."""
    if builder.funding_columns or builder.indicator_columns:
        return None
    key = match_header_word(cell.text, HEAD_WORDS)
    return key if key and FieldPath.top(key) not in builder.assembly.printed else None


def _is_head_row(builder: _FormBuilder, row: _Row) -> bool:
    if any(row.labelled(s) for s in label_tables().head.values()):
        return True
    filled = [c for c in row.cells if clean_cell_text(c.text)]
    return len(filled) >= 2 and _head_by_words(builder, filled[0]) is not None


def _goal_header(builder: _FormBuilder, row: _Row) -> dict[str, Cell] | None:
    """The goal table's header cells: by its labels, or in a family no file
    describes, after the goal block's label a cell for each goal by its
    words; None for any other row."""
    goal = label_tables().goal
    if all(row.labelled(s) for s in goal.values()):
        return _header_cells(row, goal, GOAL_WORDS)
    if builder.indicator_columns or builder.goal_columns or not row.labelled(GOAL_BLOCK_LABELS):
        return None
    header = _header_cells(row, goal, GOAL_WORDS)
    return header if set(header) == set(goal) else None


def _is_funding_header(row: _Row) -> bool:
    """The funding table's header: a column label of its own, or, in a family
    no file describes, the words of an executed amount and of a budget."""
    if any(row.labelled(label_tables().funding_columns[k]) for k in _FUNDING_HEADER_MARKERS):
        return True
    keys = {match_header_word(c.text, FUNDING_HEADER_WORDS) for c in row.cells if clean_cell_text(c.text)}
    return "executed" in keys and bool(keys & {"annual_budget", "initial_budget"})


def _bboxes(cells: dict[str, Cell]) -> dict[str, BBox]:
    return {key: cell.bbox for key, cell in cells.items()}


def _printed_labels(cells: dict[str, Cell], table: str) -> dict[str, str]:
    """`table.key` → the header cell as printed, for review to show (权重, 全年实际值)."""
    return {f"{table}.{key}": clean_cell_text(cell.text) for key, cell in cells.items()}


def _read_totals(builder: _FormBuilder, row: _Row) -> None:
    """The 总分/合计 row; some families print the grade on it, after the
    total, and a closing label before it (其他需要说明事项 无 总分 100 96 优)."""
    columns = builder.indicator_columns
    used: dict[int, FieldPath] = {}
    for key, column in (("total_weight", "weight"), ("total_score", "score")):
        builder.put_under(FieldPath.top(key), row, columns.get(column), used)
    texts = [(cell, clean_cell_text(cell.text)) for cell in row.cells if clean_cell_text(cell.text)]
    if texts and is_label(texts[0][1], label_tables().extra_rows) and len(texts) > 1:
        builder.assembly.extra[texts[0][1]] = texts[1][1]
    grade = next((cell for cell, text in texts if text in GRADES and id(cell) not in used), None)
    if grade is not None:
        builder.put(FieldPath.top("grade"), row, grade)
    else:
        builder.total_row = row


def _close_grade(builder: _FormBuilder) -> None:
    """A form whose 总分 row prints no grade, and no cell after it one:
    the template prints none (合计 100, no 评分等级), null and certain."""
    if builder.total_row is not None and not builder.grade_after_total \
            and FieldPath.top("grade") not in builder.assembly.printed:
        builder.put_absent(FieldPath.top("grade"), builder.total_row)


def _doubt_missing_header(builder: _FormBuilder) -> None:
    """A form whose indicator header was never found (its rows went unread)
    cannot know where its totals are."""
    if builder.indicator_columns or not builder.skipped_rows:
        return
    fields = [FieldPath.top(k) for k in ("total_weight", "total_score", "grade")]
    builder.assembly.doubt(fields, f"no indicator header (三级指标 …) found; {builder.skipped_rows} rows "
                                   "of the form were not read")


def _is_indicator_row(builder: _FormBuilder, row: _Row) -> bool:
    name_column = builder.indicator_columns.get("name")
    return name_column is not None and row.under(name_column) is not None


def _could_continue(builder: _FormBuilder, row: _Row) -> bool:
    """Where a piece of the last row would be: the first indicator row of a
    new table, right after a row that reached the bottom of its table."""
    last = builder.last_indicator_row
    if last is None or row.table_serial == last.table_serial or row.table_serial in builder.indicator_tables:
        return False
    return max(cell.last_row for cell in last.cells) >= last.table.rows - 1


def _continues_last_row(builder: _FormBuilder, row: _Row) -> bool:
    """A piece of the last 三级指标 row that a page break cut, as Word and WPS
    print it: the first indicator row of a new table, right after a row that
    reached the bottom of its table, with no 分值 and no 得分 of its own but
    text in some of the other cells."""
    if not _could_continue(builder, row):
        return False
    columns = builder.indicator_columns

    def printed(key: str) -> str:
        cell = row.under(columns[key]) if key in columns else None
        return clean_cell_text(cell.text) if cell is not None else ""

    if "weight" not in columns:
        return False
    if printed("weight") or printed("score"):
        return _wrapped_figures_continue(builder, printed("weight"), printed("score"))
    return any(printed(key) for key in ("name", "target", "actual", "deviation"))


def _wrapped_figures_continue(builder: _FormBuilder, weight: str, score: str) -> bool:
    """Figures at the top of a page that end the last row's 分值 / 得分, which
    their narrow cells wrapped (`10.0` / `0`) and the break cut: on their
    own no 分值 and 得分, joined to the last row's the only ones they make."""
    index = builder.assembly.indicators - 1
    last_weight, last_score = (clean_cell_text(builder.assembly.text(FieldPath.indicator(index, k)) or "")
                               for k in ("weight", "score"))
    if is_weight_and_score(weight or last_weight, score or last_score):
        return False
    return is_weight_and_score(last_weight + weight, last_score + score)


def _read_continuation(builder: _FormBuilder, row: _Row) -> None:
    """Join a cut row's piece to its row, cell by cell.  Each cell that
    continues keeps where both its pieces are (`Provenance.continued`)."""
    index = builder.assembly.indicators - 1
    columns = builder.indicator_columns
    log.debug("page %d: row %d continues indicator %d across the page break", row.page.number, row.index, index)
    touched: list[FieldPath] = []
    used: dict[int, FieldPath] = {}
    for key in ("name", "target", "actual", "deviation", "weight", "score"):
        cell = row.under(columns[key]) if key in columns else None
        if cell is None or not clean_cell_text(cell.text):
            continue
        path = FieldPath.indicator(index, key)
        piece = _provenance(row, cell)
        known = builder.assembly.printed.get(path)
        first = known.where if known is not None and known.text and known.where is not None else None
        builder.assembly.add_text(path, cell.text, piece)
        if first is not None:
            builder.assembly.printed[path].where = first.with_continuation(piece)
        touched.append(path)
        why = row.misfit(columns[key], cell)
        if id(cell) in used:
            why = f"the same cell continues {used[id(cell)]} too"
        if why is not None:
            builder.doubt([path], row, f"{path}: {why}")
        used.setdefault(id(cell), path)
    new_groups = []
    for level in ("level1", "level2"):
        cell = row.under(columns[level]) if level in columns else None
        if cell is not None and _continue_level(builder, level, row, cell) and clean_cell_text(cell.text):
            new_groups.append(level)
    weight, score = (builder.assembly.text(FieldPath.indicator(index, k)) for k in ("weight", "score"))
    reasons = []
    if not _has_figure(weight) and not _has_figure(score):
        reasons.append(f"indicator {index} printed no 分值/得分 either")
    if new_groups:
        reasons.append(f"a new {'/'.join(new_groups)} label starts beside it")
    if reasons:
        levels = [FieldPath.indicator(index, level) for level in new_groups]
        builder.doubt(touched + levels + [FieldPath.indicator(index, k) for k in ("weight", "score")], row,
                      f"the piece at the top of the page is joined to indicator {index}, but it could be a row "
                      f"of its own: {'; '.join(reasons)}")
    builder.indicator_tables.add(row.table_serial)
    builder.last_indicator_row = row


def _has_figure(text: str | None) -> bool:
    """A cell that prints a number (or something OCR made of one), not
    nothing or a dash."""
    try:
        return parse_number(text) is not None
    except ValueError:
        return True


def _continue_level(builder: _FormBuilder, level: str, row: _Row, cell: Cell) -> bool:
    """A merged 一级/二级 cell beside a continuation piece: more of the last
    group's label, or the start of a group the next rows will join.  Returns
    whether it starts a group."""
    groups = builder.levels[level]
    if groups:
        last_row, last_cell = groups[-1].parts[-1]
        if cell is last_cell:
            return False
        if _continues_over_break(level, groups[-1], last_row, last_cell, row, cell, first_in_table=True):
            groups[-1].parts.append((row, cell))
            return False
    groups.append(_LevelGroup(parts=[(row, cell)]))
    return True


def _read_indicator(builder: _FormBuilder, row: _Row) -> int:
    """A 三级指标 row; returns the indicator's position."""
    columns = builder.indicator_columns
    index = builder.assembly.new_indicator()

    def cell_of(key: str) -> Cell | None:
        return row.under(columns[key]) if key in columns else None

    used: dict[int, FieldPath] = {}
    for key in ("name", "target", "actual", "weight", "score", "deviation"):
        if f"indicator.{key}" in builder.column_labels:
            builder.assembly.labels[FieldPath.indicator(index, key)] = builder.column_labels[f"indicator.{key}"]
        if key not in columns and not builder.unmatched_header:
            builder.put_absent(FieldPath.indicator(index, key), row)
        else:
            builder.put_under(FieldPath.indicator(index, key), row, columns.get(key), used)
    if builder.target_parts:
        _join_target_parts(builder, row, index)
    for label, column in builder.extra_columns:
        cell = row.under(column)
        cells = builder.assembly.extra.setdefault(label, [])
        if isinstance(cells, list):
            cells += [""] * (index - len(cells)) + [clean_cell_text(cell.text) if cell is not None else ""]
    missing = [key for key in _INDICATOR_KEYS if key not in columns]
    if missing and builder.unmatched_header:
        builder.doubt([FieldPath.indicator(index, key) for key in missing], row,
                      f"no column for {', '.join(missing)}: the header's "
                      f"{' / '.join(builder.unmatched_header)} matched no label")
    first_in_table = row.table_serial not in builder.indicator_tables
    level1_continues = _join_level(builder, "level1", row, cell_of("level1"), index, True, first_in_table)
    _join_level(builder, "level2", row, cell_of("level2"), index, level1_continues, first_in_table)
    builder.indicator_tables.add(row.table_serial)
    builder.last_indicator_row = row
    return index


def _join_target_parts(builder: _FormBuilder, row: _Row, index: int) -> None:
    """A target printed over three cells is the three joined as printed
    (`≥` `90` `%` → `≥90%`, FORM_RECORD.md), with the 指标值 cell's place."""
    cells = [row.under(column) for column in builder.target_parts]
    text = "".join(clean_cell_text(cell.text) for cell in cells if cell is not None)
    where = next((cell for cell in cells[1:2] + cells if cell is not None), None)
    builder.put(FieldPath.indicator(index, "target"), row, where)
    if where is not None:
        builder.assembly.put(FieldPath.indicator(index, "target"), text or None, _provenance(row, where))
    nature = clean_cell_text(cells[0].text) if cells[0] is not None else ""
    if nature and nature not in TARGET_NATURES:
        # (a scan's `≧` read as `三`: the joined target would parse as no measure)
        builder.assembly.doubt([FieldPath.indicator(index, "target")],
                               f"row {index + 1}: the 指标性质 cell reads {nature!r}, no comparison nor 定性/定量")


def _join_level(builder: _FormBuilder, level: str, row: _Row, cell: Cell | None, index: int,
                parent_continues: bool, first_in_table: bool = False) -> bool:
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
        elif parent_continues and _continues_over_break(level, last, last_row, last_cell, row, cell,
                                                        first_in_table):
            last.parts.append((row, cell))
            same = True
    if not same:
        last = _LevelGroup(parts=[(row, cell)])
        groups.append(last)
    last.indicators.append(index)
    return same


def _continues_over_break(level: str, group: _LevelGroup, last_row: _Row, last_cell: Cell | None,
                          row: _Row, cell: Cell | None, first_in_table: bool = False) -> bool:
    """A merged cell cut by a page break: the old part reaches the bottom of
    its table and the new one starts the next table's body (its first row,
    or its first indicator row under a repeated header: `first_in_table`),
    and the label read so far is not already a whole one."""
    if row.table_serial == last_row.table_serial:
        return False
    reached_bottom = last_cell is None or last_cell.last_row >= last_row.table.rows - 1
    starts_top = cell is None or cell.row == 0 or (first_in_table and cell.row == row.index)
    if not (reached_bottom and starts_top):
        return False
    names = LEVEL1_NAMES if level == "level1" else LEVEL2_NAMES
    so_far, new = group.text(), clean_cell_text(cell.text if cell else "")
    return not so_far or not new or level_key(so_far) not in {label_key(n) for n in names}


# A section weight some families print after the 一级指标 (产出指标(50分)).




def _close_levels(builder: _FormBuilder) -> None:
    """Each merged 一级/二级 cell's text, joined over page breaks, for every
    indicator it spans, with the provenance of its first part and the
    further parts as `continued`.  A group at a page break whose text is
    empty or no whole label is doubted, and so is the group before it."""
    for level, groups in builder.levels.items():
        names = {label_key(n) for n in (LEVEL1_NAMES if level == "level1" else LEVEL2_NAMES)}
        for g, group in enumerate(groups):
            printed = [(r, c) for r, c in group.parts if c is not None and clean_cell_text(c.text)]
            text = "\n".join(cell.text for _, cell in group.parts if cell is not None)
            first_row, first_cell = (printed or [(r, c) for r, c in group.parts if c is not None]
                                     or group.parts)[0]
            where = _provenance(first_row, first_cell) if first_cell is not None else None
            if where is not None:
                for part_row, part_cell in printed:
                    if part_cell is not first_cell:
                        where = where.with_continuation(_provenance(part_row, part_cell))
            for index in group.indicators:
                builder.assembly.put(FieldPath.indicator(index, level), text or None, where)
            if not group.indicators:
                continue
            # A label a template prints its own way (产出指标(50分)) is kept
            # as printed; only one a page break cut is in doubt.
            if not _at_page_break(group) or all(c is None for _, c in group.parts):
                continue
            if not clean_cell_text(text):
                why = "is empty"
            elif level_key(text) not in names:
                why = f"'{clean_cell_text(text)}' is no whole label"
            else:
                continue
            indicators = list(group.indicators)
            if g > 0 and _at_page_break(group):
                indicators = groups[g - 1].indicators + indicators
            row = group.parts[0][0]
            builder.doubt([FieldPath.indicator(i, level) for i in indicators], row,
                          f"the merged {level} cell of indicators {group.indicators[0]}–{group.indicators[-1]} "
                          f"{why} at a page break")


def _at_page_break(group: _LevelGroup) -> bool:
    """The group's cells lie on two tables, or it starts a later table's body
    or reaches the bottom of its table."""
    tables = {row.table_serial for row, _ in group.parts}
    if len(tables) > 1:
        return True
    row, cell = group.parts[0]
    last_row, last_cell = group.parts[-1]
    starts = cell is not None and cell.row <= 1 and row.index <= 1
    ends = last_cell is not None and last_cell.last_row >= last_row.table.rows - 1
    return starts or ends
