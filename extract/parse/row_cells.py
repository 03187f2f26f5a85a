"""A form copied from a web table: a line per table row, its cells given.

Rows are told by their labels (`extract.layout.templates.label_tables`: the
contract's synonyms and every family's), values by the column header they
stand under, in whatever order the header prints the columns.  A merged
cell (rowspan) stands only in the first row it spans, so an indicator row
lacks the cells of the merged 一级/二级 labels of the rows above: which of
them it lacks is chosen by what its cells look like (`_row_offset`), and
doubted where two choices fit as well.  A column the header does not print
is null and certain; a header label no table knows leaves its row's
unplaced fields in doubt.
"""

from __future__ import annotations

import re

from extract.layout.labels import (
    FUNDING_BLOCK_LABELS, FUNDING_HEADER_WORDS, GRADE_LABELS, GRADES, HEAD_WORDS,
    HEADER_WORD_MAX_CHARS, INDICATOR_HEADER_WORDS, LEVEL1_NAMES, LEVEL2_NAMES, NULL_MARKS,
    SLOT_NAME, YEAR_IN_TEXT, goal_keys_by_words, is_closing_label, is_label, label_key, match_header_word, match_label,
)
from extract.layout.templates import is_appropriation_row, is_sub_row, label_tables, money_unit_in, split_head_total
from extract.model import FUNDING_ROW_KEYS, FieldPath, Provenance
from extract.parse.assembly import FormAssembly
from extract.parse.values import is_number_token

# The indicator fields every row gives (levels apart) and the header columns
# that tell a funding header.
ROW_FIELDS = ("name", "target", "actual", "weight", "score", "deviation")
LEVELS = ("level1", "level2")
FUNDING_HEADER_MARKERS = ("initial_budget", "annual_budget", "executed")
# A column of the three a split target is printed in (指标性质 / 指标值 / 度量单位).
TARGET_PART = "target_part"
_FUNDING_BLOCK_KEY = label_key(FUNDING_BLOCK_LABELS[-1])
# A merged label cell: a known 一级/二级 name, or one a template prints its own way (产出指标(50分)).
_LEVEL_LIKE = re.compile(r"指标(?:\d+分)?$|\d+分$")


def extra_column_labels() -> tuple[str, ...]:
    """Header labels of columns no record key holds (原因, 得分计算方法): known, kept in no field."""
    return label_tables().extra_columns + label_tables().extra_rows


def header_keys(cells: list[str], table: dict[str, tuple[str, ...]], parts: tuple[str, ...] = (),
                words: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> tuple[list[str | None], list[str]]:
    """Each header cell's key (None: a known column no key holds, or an
    unknown one) and the labels no table knows.  A cell no label matches is
    read by its `words` for a key no cell has (年度目标值: a header of a
    family no file describes), as the grid reader's `_header_cells`."""
    keys: list[str | None] = []
    unknown = []
    # the three parts where the header prints all three (指标值 alone is a whole target)
    split = bool(parts) and all(any(is_label(cell, (part,)) for cell in cells) for part in parts)
    for cell in cells:
        key = TARGET_PART if split and is_label(cell, parts) else match_label(cell, table)
        keys.append(key if key not in keys or key == TARGET_PART else None)
    for k, cell in enumerate(cells):
        if keys[k] is not None or match_label(cell, table) or is_label(cell, extra_column_labels()):
            continue
        key = match_header_word(cell, words) if words else None
        if key in table and key not in keys:
            keys[k] = key
        else:
            unknown.append(cell)
    return keys, unknown


def is_empty_value(text: str) -> bool:
    return not text or bool(SLOT_NAME.match(text))


def read_cell_rows(rows: list[tuple[int, list[str]]], assembly: FormAssembly, where: Provenance) -> None:
    """Fill `assembly` from one form's rows (page, cells)."""
    reader = _CellReader(assembly, where)
    for page, cells in rows:
        reader.read(page, cells)
    reader.finish()


class _CellReader:
    def __init__(self, assembly: FormAssembly, where: Provenance) -> None:
        self.assembly = assembly
        self.where = where
        self.page = where.page
        self.funding_columns: list[str | None] | None = None
        self.funding_complete = False
        self.funding_unread = False         # a row of figures under the funding header no label placed
        self.indicator_columns: list[str | None] | None = None
        self.unknown_header: list[str] = []
        self.goal_columns: list[str] | None = None
        self.levels: dict[str, str | None] = {"level1": None, "level2": None}
        self.table_closed = False           # 总分, 评分等级 or a closing row read: no indicator row follows

    def put(self, path: FieldPath, text: str | None) -> None:
        self.assembly.put(path, text or None, Provenance(self.page, None, self.where.method, 1.0))

    def read(self, page: int, cells: list[str]) -> None:
        self.page = page
        tables = label_tables()
        first = cells[0] if cells else ""
        texts = [c for c in cells if c]
        if not texts:
            return
        if len(texts) == 1 and (unit := money_unit_in(first)) and self.indicator_columns is None:
            self.assembly.money_unit = unit           # 金额单位：元 above the table
        if len(cells) == 1 and (m := YEAR_IN_TEXT.search(first)) and self.assembly.text(FieldPath.top("year")) is None:
            self.put(FieldPath.top("year"), m.group(1))
            if (stated := split_head_total(first)[1]) is not None:      # （2022年度）自评得分98
                self.put(FieldPath.top("total_score"), str(stated))
            return
        if self.goal_columns is not None:
            self._goal_values(cells)
            return
        if any(is_label(c, tables.indicator_columns["name"]) for c in cells):
            self.indicator_columns, self.unknown_header = header_keys(cells, tables.indicator_columns,
                                                                      tables.target_parts, INDICATOR_HEADER_WORDS)
            self.assembly.header_labels |= {label_key(c) for c in texts}
            return
        if any(match_label(c, tables.funding_columns) in FUNDING_HEADER_MARKERS for c in cells):
            self._funding_header(cells)
            return
        if any(is_label(c, tables.goal["goal_expected"]) for c in cells):
            self.goal_columns = [k for k in (match_label(c, tables.goal) for c in cells) if k]
            return
        if goal_words := self._goal_header_by_words(texts):
            self.goal_columns = goal_words
            return
        head = [(i, match_label(c, tables.head) or self._head_by_words(c, i)) for i, c in enumerate(cells)]
        if any(k for _, k in head):
            for i, key in head:
                if key and i + 1 < len(cells):
                    self.put(FieldPath.top(key), cells[i + 1])
            return
        if any(is_label(c, tables.totals) for c in cells):
            self._totals(cells)
            self.table_closed = True
            return
        if is_label(first, tables.extra_rows):
            self.assembly.extra[first] = " ".join(texts[1:])
            self.table_closed = self.indicator_columns is not None    # closing rows follow the indicators
            return
        if self.indicator_columns is None and is_label(first, tables.funding_extra_rows):
            self.assembly.extra[first] = texts[1:]
            return
        fkey = self._funding_row_key(first)
        if fkey:
            for column, value in zip(self.funding_columns or (), cells[1:]):
                if column is not None:
                    self.put(FieldPath.funding(fkey, column), value)
            if self.funding_complete:
                for column in FUNDING_ROW_KEYS:
                    if column not in self.funding_columns:
                        self.put(FieldPath.funding(fkey, column), None)
            return
        if is_label(first, GRADE_LABELS):
            self.put(FieldPath.top("grade"), next((c for c in cells[1:] if c), None))
            self.table_closed = True
            return
        closing = self.indicator_columns is not None and self._is_closing_row(texts)
        if self.table_closed and not (closing and is_closing_label(texts[0])):
            return                          # the page's own text after the form (发布时间, 附件下载 …)
        if closing:
            self.assembly.extra[texts[0]] = texts[1]
            self.assembly.header_labels.add(label_key(texts[0]))      # (which families print it)
            self.table_closed = True          # as a closing row a family names: no indicator follows
        elif self.indicator_columns is not None:
            self._indicator_row(cells)
        elif self.funding_columns is not None and any(is_number_token(c) for c in texts[1:]):
            self.funding_unread = True

    def finish(self) -> None:
        """A template with no 分值 / 得分 column prints no total of them
        either; one whose funding table prints no 上年结转资金 row, none of its
        figures (where every row of the table was read)."""
        if self.funding_complete and not self.funding_unread:
            for path in self.assembly.unprinted_funding_cells():
                self.put(path, None)
        columns = self.indicator_columns or ()
        if self.indicator_columns is not None and not self.unknown_header:
            for key, column in (("total_weight", "weight"), ("total_score", "score")):
                if column not in columns and FieldPath.top(key) not in self.assembly.printed:
                    self.put(FieldPath.top(key), None)

    # ---------------- head, funding, goals, totals

    def _head_by_words(self, cell: str, position: int) -> str | None:
        """A head label of a family no file describes (专项资金名称, 县级主管部门)
        by its words, in a label's place (cells alternate label and value),
        above the tables, for a key not yet read: as the grid reader's."""
        if position % 2 or self.funding_columns is not None or self.indicator_columns is not None \
                or len(label_key(cell)) > HEADER_WORD_MAX_CHARS:
            return None
        key = match_header_word(cell, HEAD_WORDS)
        return key if key and FieldPath.top(key) not in self.assembly.printed else None

    def _goal_header_by_words(self, texts: list[str]) -> list[str]:
        """The goal header of a family no file describes (`goal_keys_by_words`),
        where no goal or indicator header was read yet; [] for any other row."""
        if self.goal_columns is not None or self.indicator_columns is not None:
            return []
        return list(goal_keys_by_words(texts))

    def _funding_header(self, cells: list[str]) -> None:
        for cell in cells:
            self.assembly.money_unit = money_unit_in(cell) or self.assembly.money_unit
        labels = [c for c in cells if c and not label_key(c).startswith(_FUNDING_BLOCK_KEY)]
        self.funding_columns, unknown = header_keys(labels, label_tables().funding_columns, (), FUNDING_HEADER_WORDS)
        self.funding_complete = not unknown
        self.assembly.header_labels |= {label_key(c) for c in labels}

    def _funding_row_key(self, label: str) -> str | None:
        """A funding row's key; the first `其中` row, whatever its label, is
        the current appropriation (FORM_RECORD.md)."""
        if self.funding_columns is None or self.indicator_columns is not None:
            return None
        key = match_label(label, label_tables().funding_rows)
        if key is None and is_appropriation_row(
                label, FieldPath.funding("current_appropriation", "annual_budget") in self.assembly.printed):
            key = "current_appropriation"
        return key

    def _goal_values(self, cells: list[str]) -> None:
        columns, self.goal_columns = self.goal_columns or [], None
        if len(cells) >= len(columns):
            for key, text in zip(columns, cells[len(cells) - len(columns):]):
                self.put(FieldPath.top(key), text)
        elif cells:
            self.put(FieldPath.top(columns[0] if columns else "goal_expected"), cells[0])
            self.assembly.doubt([FieldPath.top("goal_expected"), FieldPath.top("goal_actual")],
                                "one goal cell where two were expected")

    def _totals(self, cells: list[str]) -> None:
        """The 总分 / 合计 row: a closing label and its text may stand before
        it (其他需要说明事项 无 总分 100 96 优), the grade after its figures."""
        tables = label_tables()
        at = next(i for i, c in enumerate(cells) if is_label(c, tables.totals))
        if at and is_label(cells[0], tables.extra_rows):
            self.assembly.extra[cells[0]] = " ".join(c for c in cells[1:at] if c)
        after = cells[at + 1:]
        figures = [(j, c) for j, c in enumerate(after) if c and c not in NULL_MARKS and is_number_token(c)]
        columns = self.indicator_columns or []
        printed = [column for column in ("weight", "score") if column in columns]
        paths = {"weight": FieldPath.top("total_weight"), "score": FieldPath.top("total_score")}
        if len(figures) == len(printed):
            for column, (_, text) in zip(printed, figures):
                self.put(paths[column], text)
        elif len(figures) == 1 and "name" in columns:
            # a label over the columns up to 三级指标, then a cell per column
            j, text = figures[0]
            at_column = columns.index("name") + 1 + j
            column = columns[at_column] if at_column < len(columns) else None
            self.put(paths[column if column in paths else "weight"], text)
            if column in paths:         # the other one's cell printed empty (合计 100: weights only)
                self.put(paths["score" if column == "weight" else "weight"], None)
            else:
                self.assembly.doubt(list(paths.values()), "总分's one figure stands under no 分值/得分 column")
        elif figures:
            self.put(paths["weight"], figures[-2][1] if len(figures) >= 2 else figures[0][1])
            self.put(paths["score"], figures[-1][1] if len(figures) >= 2 else None)
            self.assembly.doubt(list(paths.values()), f"总分 prints {len(figures)} figures")
        for column in ("weight", "score"):
            if column not in columns and not self.unknown_header:
                self.put(paths[column], None)
        grade = next((c for c in after if c in GRADES), None)
        if grade is not None:
            self.put(FieldPath.top("grade"), grade)

    # ---------------- indicators

    def _indicator_row(self, cells: list[str]) -> None:
        columns = self.indicator_columns or []
        placed = _row_offset(cells, columns)
        if placed is None:
            # a lost row leaves the totals unchecked
            self.assembly.doubt([FieldPath.top("total_weight"), FieldPath.top("total_score")],
                                f"a row of {len(cells)} cells under a header of {len(columns)}: not read")
            return
        offset, unsure = placed
        given = dict(zip(range(offset, len(columns)), cells))
        for k, column in enumerate(columns):
            if column in LEVELS and k in given:
                self.levels[column] = given[k] or None
                if column == "level1" and k + 1 not in given:
                    self.levels["level2"] = None
        value = {column: given.get(k, "") for k, column in enumerate(columns)
                 if column is not None and column != TARGET_PART}
        parts = [given.get(k, "") for k, column in enumerate(columns) if column == TARGET_PART]
        if parts:
            value["target"] = "".join(parts)
        if self._holds_no_indicator(value, parts):
            return
        index = self.assembly.new_indicator()
        for column in ROW_FIELDS:
            if column in value or not self.unknown_header:
                self.put(FieldPath.indicator(index, column), value.get(column))
        for level in LEVELS:
            if level in columns:
                self.put(FieldPath.indicator(index, level), self.levels[level])
        missing = [c for c in ROW_FIELDS + LEVELS if c not in value]
        if missing and self.unknown_header:
            self.assembly.doubt([FieldPath.indicator(index, c) for c in missing],
                                f"no column for {', '.join(missing)}: the header's "
                                f"{' / '.join(self.unknown_header)} matched no label")
        if unsure:
            self.assembly.doubt([FieldPath.indicator(index, c) for c in ROW_FIELDS + LEVELS if c in columns],
                                "the row's cells fit the header's columns two ways (which merged labels it lacks)")

    def _is_closing_row(self, texts: list[str]) -> bool:
        """A row after the indicators whose label no family prints (目标未完成原因分析 |
        …): a label and a text, and no figure where the header prints 分值 or
        得分; every indicator row prints its figures."""
        columns = self.indicator_columns or []
        return (self.assembly.indicators > 0 and len(texts) == 2 and bool({"weight", "score"} & set(columns))
                and not any(is_number_token(t) for t in texts))

    @staticmethod
    def _holds_no_indicator(value: dict[str, str], parts: list[str]) -> bool:
        """An empty slot row (指标2, ……), a 二级指标 with no 三级指标, a `其中`
        sub-row without weight or score."""
        name = value.get("name", "")
        others = [value.get(c, "") for c in ("target", "actual", "weight", "score", "deviation")] + parts
        if is_empty_value(name) and all(is_empty_value(v) for v in others):
            return True
        return is_sub_row(name, value.get("weight"), value.get("score"))


def _row_offset(cells: list[str], columns: list[str | None]) -> tuple[int, bool] | None:
    """How many of the header's leading 一级/二级 columns a row lacks (their
    merged cells stand in a row above), by how well its cells fit the
    columns; and whether another offset fits as well.  None: none fits."""
    leading = 0
    while leading < len(columns) and columns[leading] in LEVELS:
        leading += 1
    fits = [(sum(_cell_fit(columns[k + i], text) for i, text in enumerate(cells)), k)
            for k in range(leading + 1) if len(cells) <= len(columns) - k]
    if not fits:
        return None
    fits.sort(key=lambda fit: -fit[0])
    unsure = len(fits) > 1 and fits[1][0] == fits[0][0]
    return fits[0][1], unsure


def _cell_fit(column: str | None, text: str) -> float:
    """How well a cell's text fits a column: figures under 分值/得分, merged
    labels under 一级/二级, a 三级指标 that is neither."""
    if not text:
        return -2.0 if column == "name" else 0.0
    key = label_key(text)
    figure = is_number_token(text)
    if column in ("weight", "score"):
        return 1.0 if figure else -3.0
    if column in LEVELS:
        if figure:
            return -3.0
        own, other = (LEVEL1_NAMES, LEVEL2_NAMES) if column == "level1" else (LEVEL2_NAMES, LEVEL1_NAMES)
        if any(key.startswith(label_key(n)) for n in own):
            return 2.0
        return 1.0 if _LEVEL_LIKE.search(key) or any(key.startswith(label_key(n)) for n in other) else -1.0
    if column == "name":
        if figure:
            return -2.0
        return -2.0 if any(key == label_key(n) for n in LEVEL1_NAMES + LEVEL2_NAMES) else 0.0
    return 0.0
