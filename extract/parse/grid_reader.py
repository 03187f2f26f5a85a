"""One form parser: the cells of a document's pages → form records.

It finds what a row is by its labels (`extract.layout.labels`), never by column
position: the head rows by their row labels, the funding and indicator
columns by their header labels and synonyms, each value by the column header
its cell lies under.  It reads pages in order as one stream, so a form runs
over a page break, several forms share a file, and a form may start
mid-page.  Merged 一级/二级 cells that a page break cuts are joined again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from extract.parse.deviation import split_deviation
from extract.layout.labels import (
    FORM_TITLE, FUNDING_COLUMN_LABELS, FUNDING_ROW_LABELS, GOAL_COLUMN_LABELS, GRADE_LABELS,
    HEAD_LABELS, INDICATOR_COLUMN_LABELS, LEVEL1_NAMES, LEVEL2_NAMES, TOTAL_LABELS, YEAR_PATTERN,
    is_label, label_key, match_label,
)
from extract.model import (
    BBox, Cell, Document, Finding, Page, ParsedForm, Provenance, Table,
    empty_indicator, empty_record,
)
from extract.parse.values import clean_cell_text, parse_measure, parse_number, text_or_none

RULE_UNREADABLE_NUMBER = "unreadable_number"
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
    def __init__(self) -> None:
        self.record = empty_record()
        self.provenance: dict[str, Provenance] = {}
        self.findings: list[Finding] = []
        self.pages: list[int] = []
        self.kinds: set[str] = set()
        self.funding_columns: dict[str, BBox] = {}
        self.goal_columns: dict[str, BBox] = {}
        self.indicator_columns: dict[str, BBox] = {}
        self.goal_values_next = False
        self.levels: dict[str, list[_LevelGroup]] = {"level1": [], "level2": []}

    @property
    def has_content(self) -> bool:
        return bool(self.record["project_name"] or self.record["indicators"])

    def touch(self, page: Page) -> None:
        if page.number not in self.pages:
            self.pages.append(page.number)
        self.kinds.add(page.kind)

    def put_text(self, path: str, row: _Row, cell: Cell | None, target: dict[str, Any], key: str) -> None:
        target[key] = text_or_none(cell.text) if cell else None
        if cell is not None:
            self._provenance(path, row, cell)

    def put_number(self, path: str, row: _Row, cell: Cell | None, target: dict[str, Any], key: str) -> None:
        if cell is None:
            target[key] = None
            return
        try:
            target[key] = parse_number(cell.text)
        except ValueError:
            target[key] = None
            self.findings.append(Finding(RULE_UNREADABLE_NUMBER, [path], "a number", clean_cell_text(cell.text),
                                         f"{path}: '{clean_cell_text(cell.text)}' is not a number"))
        self._provenance(path, row, cell)

    def _provenance(self, path: str, row: _Row, cell: Cell) -> None:
        self.provenance[path] = Provenance(row.page.number, cell.bbox, row.page.method, cell.confidence)


def parse_document(document: Document) -> list[ParsedForm]:
    """Every form of a document, in order, with `form_id` and `source` filled."""
    forms: list[ParsedForm] = []
    builder = _FormBuilder()

    def finish() -> None:
        nonlocal builder
        if builder.has_content:
            forms.append(_finish(builder, document, len(forms) + 1))
        builder = _FormBuilder()

    for page, item in _stream(document):
        if isinstance(item, str):
            key = label_key(item)
            if _TITLE_KEY in key and len(key) <= len(_TITLE_KEY) + 3:
                finish()
                builder.touch(page)
            elif (year := YEAR_PATTERN.search(item)) and builder.record["year"] is None:
                builder.record["year"] = int(year.group(1))
            continue
        row = item
        if row.labelled(HEAD_LABELS["project_name"]) and builder.record["project_name"]:
            finish()  # a form without a title line of its own
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
    record = builder.record
    if row.labelled(INDICATOR_COLUMN_LABELS["name"]):
        builder.indicator_columns = _header_columns(row, INDICATOR_COLUMN_LABELS)
        return
    if any(row.labelled(FUNDING_COLUMN_LABELS[k]) for k in _FUNDING_HEADER_MARKERS):
        builder.funding_columns = _header_columns(row, FUNDING_COLUMN_LABELS)
        return
    if any(row.labelled(s) for s in HEAD_LABELS.values()):
        for i, cell in enumerate(row.cells[:-1]):
            key = match_label(cell.text, HEAD_LABELS)
            if key:
                builder.put_text(key, row, row.cells[i + 1], record, key)
        return
    funding_label = next((c for c in row.cells if match_label(c.text, FUNDING_ROW_LABELS)), None)
    if funding_label is not None and builder.funding_columns:
        fkey = match_label(funding_label.text, FUNDING_ROW_LABELS)
        for column, box in builder.funding_columns.items():
            builder.put_number(f"funding.{fkey}.{column}", row, row.under(box), record["funding"][fkey], column)
        return
    if all(row.labelled(s) for s in GOAL_COLUMN_LABELS.values()):
        builder.goal_columns = _header_columns(row, GOAL_COLUMN_LABELS)
        builder.goal_values_next = True
        return
    if builder.goal_values_next:
        builder.goal_values_next = False
        for key, box in builder.goal_columns.items():
            builder.put_text(key, row, row.under(box), record, key)
        return
    if row.labelled(TOTAL_LABELS):
        _read_totals(builder, row)
        return
    grade_label = row.labelled(GRADE_LABELS)
    if grade_label is not None:
        value = next((c for c in row.cells if c is not grade_label and clean_cell_text(c.text)), None)
        builder.put_text("grade", row, value, record, "grade")
        return
    if builder.indicator_columns and _is_indicator_row(builder, row):
        _read_indicator(builder, row)


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
        builder.put_number(key, row, cell, builder.record, key)


def _is_indicator_row(builder: _FormBuilder, row: _Row) -> bool:
    name_column = builder.indicator_columns.get("name")
    return name_column is not None and row.under(name_column) is not None


def _read_indicator(builder: _FormBuilder, row: _Row) -> None:
    columns = builder.indicator_columns
    index = len(builder.record["indicators"])
    indicator = empty_indicator()
    prefix = f"indicators[{index}]"

    def cell_of(key: str) -> Cell | None:
        return row.under(columns[key]) if key in columns else None

    for key in ("name", "target", "actual", "deviation"):
        builder.put_text(f"{prefix}.{key}", row, cell_of(key), indicator, key)
    for key in ("weight", "score"):
        builder.put_number(f"{prefix}.{key}", row, cell_of(key), indicator, key)
    for key in ("target", "actual"):
        op, value, unit = parse_measure(indicator[key])
        if key == "target":
            indicator["target_op"] = op
        indicator[f"{key}_value"], indicator[f"{key}_unit"] = value, unit
    indicator["deviation_cause"], indicator["improvement"] = split_deviation(indicator["deviation"])
    builder.record["indicators"].append(indicator)
    level1_continues = _join_level(builder, "level1", row, cell_of("level1"), index, parent_continues=True)
    _join_level(builder, "level2", row, cell_of("level2"), index, parent_continues=level1_continues)


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


def _finish(builder: _FormBuilder, document: Document, position: int) -> ParsedForm:
    record = builder.record
    for level, groups in builder.levels.items():
        for group in groups:
            text = group.text() or None
            for index in group.indicators:
                record["indicators"][index][level] = text
            first_row, first_cell = next(((r, c) for r, c in group.parts if c is not None), group.parts[0])
            if first_cell is not None:
                for index in group.indicators:
                    builder.provenance[f"indicators[{index}].{level}"] = Provenance(
                        first_row.page.number, first_cell.bbox, first_row.page.method, first_cell.confidence)
    record["form_id"] = f"{document.sha256[:12]}-{position}"
    record["source"] = {
        "file": document.file_name,
        "sha256": document.sha256,
        "pages": sorted(builder.pages),
        "kind": "scan" if "scan" in builder.kinds else "text",
    }
    return ParsedForm(record=record, provenance=builder.provenance, findings=builder.findings)
