"""A form copied from a web table: a line per table row, its cells given.

Rows are told by their labels (`extract.layout.labels`), values by the
column header they stand under.  A merged cell (rowspan) stands only in the
first row it spans, so an indicator row holds the last cells of the header's
columns before 分值; the cells it lacks on the left are the merged 一级/二级
labels of the rows above.
"""

from __future__ import annotations

from extract.layout.labels import (
    FUNDING_COLUMN_LABELS, FUNDING_ROW_LABELS, GOAL_COLUMN_LABELS, GRADE_LABELS, HEAD_LABELS,
    INDICATOR_COLUMN_LABELS, TOTAL_LABELS, YEAR_IN_TEXT, is_label, match_label,
)
from extract.model import FieldPath, Provenance
from extract.parse.assembly import FormAssembly
from extract.parse.values import is_number_token

DEFAULT_FUNDING = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")
DEFAULT_INDICATOR = ("level1", "level2", "name", "target", "actual", "weight", "score", "deviation")


def read_cell_rows(rows: list[tuple[int, list[str]]], assembly: FormAssembly, where: Provenance) -> None:
    """Fill `assembly` from one form's rows (page, cells)."""
    funding_columns: tuple[str, ...] = DEFAULT_FUNDING
    indicator_columns: list[str] | None = None
    goal_next = False
    levels: dict[str, str | None] = {"level1": None, "level2": None}

    def put(path: FieldPath, text: str | None, page: int) -> None:
        assembly.put(path, text, Provenance(page, None, where.method, 1.0))

    for page, cells in rows:
        first = cells[0] if cells else ""
        if len(cells) == 1 and (m := YEAR_IN_TEXT.search(first)) and assembly.text(FieldPath.top("year")) is None:
            put(FieldPath.top("year"), m.group(1), page)
            continue
        if goal_next:
            goal_next = False
            values = [c for c in cells]
            if len(values) >= 2:
                put(FieldPath.top("goal_expected"), values[-2] or None, page)
                put(FieldPath.top("goal_actual"), values[-1] or None, page)
            elif values:
                put(FieldPath.top("goal_expected"), values[0] or None, page)
                assembly.doubt([FieldPath.top("goal_expected"), FieldPath.top("goal_actual")],
                               "one goal cell where two were expected")
            continue
        if any(is_label(c, INDICATOR_COLUMN_LABELS["name"]) for c in cells):
            found = [match_label(c, INDICATOR_COLUMN_LABELS) for c in cells]
            indicator_columns = [k for k in found if k] if {"name", "weight", "score"} <= set(found) \
                else list(DEFAULT_INDICATOR)
            continue
        if any(is_label(c, FUNDING_COLUMN_LABELS["initial_budget"] + FUNDING_COLUMN_LABELS["annual_budget"]) for c in cells):
            found = [match_label(c, FUNDING_COLUMN_LABELS) for c in cells]
            found = [k for k in found if k]
            funding_columns = tuple(found) if len(set(found)) == len(found) >= 3 else DEFAULT_FUNDING
            continue
        if any(is_label(c, GOAL_COLUMN_LABELS["goal_expected"]) for c in cells):
            goal_next = True
            continue
        head = [(i, match_label(c, HEAD_LABELS)) for i, c in enumerate(cells)]
        if any(k for _, k in head):
            for i, key in head:
                if key and i + 1 < len(cells):
                    put(FieldPath.top(key), cells[i + 1] or None, page)
            continue
        fkey = match_label(first, FUNDING_ROW_LABELS)
        if fkey:
            for column, value in zip(funding_columns, cells[1:]):
                put(FieldPath.funding(fkey, column), value, page)
            continue
        if is_label(first, TOTAL_LABELS):
            numbers = [c for c in cells[1:] if c and is_number_token(c)]
            if len(numbers) >= 2:
                put(FieldPath.top("total_weight"), numbers[-2], page)
                put(FieldPath.top("total_score"), numbers[-1], page)
            continue
        if is_label(first, GRADE_LABELS):
            put(FieldPath.top("grade"), next((c for c in cells[1:] if c), None), page)
            continue
        if indicator_columns is not None:
            _indicator_row(cells, indicator_columns, levels, assembly, put, page)


def _indicator_row(cells: list[str], columns: list[str], levels: dict[str, str | None],
                   assembly: FormAssembly, put, page: int) -> None:
    """An indicator row: the header's columns up to 分值 right-aligned on the
    cells before the 分值/得分 pair, the rest after it."""
    if "weight" not in columns:
        return
    w = columns.index("weight")
    before_cols = columns[:w]
    own = [c for c in before_cols if c not in levels]
    at = None
    for i in range(min(len(cells) - 2, len(before_cols)), len(own) - 1, -1):
        if i + 1 < len(cells) and is_number_token(cells[i]) and is_number_token(cells[i + 1]) and cells[i]:
            at = i
            break
    if at is None:
        return            # no 分值/得分: not an indicator row (a slot row, a note)
    index = assembly.new_indicator()
    given = before_cols[len(before_cols) - at:]
    for column, text in zip(given, cells[:at]):
        if column in levels:
            levels[column] = text or None
            if column == "level1":
                levels["level2"] = None
        else:
            put(FieldPath.indicator(index, column), text or None, page)
    for column, text in zip(columns[w:], cells[at:]):
        put(FieldPath.indicator(index, column), text or None, page)
    for column in columns[w:]:
        if assembly.text(FieldPath.indicator(index, column)) is None and column not in ("weight", "score"):
            put(FieldPath.indicator(index, column), None, page)
    for level, text in levels.items():
        if level in columns:
            put(FieldPath.indicator(index, level), text, page)
