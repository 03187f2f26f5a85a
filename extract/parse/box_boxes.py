"""The text boxes of a pdfminer text, and what kind of cell each one is.

pdfminer's default layout analysis (`extract_text`, `pdf2txt.py`) prints one
text box after another, separated by a blank line, pages by a form feed.  A
box is one cell's lines, or now and then two cells side by side that it put
on one text line joined by a space (`=350.00(本) 350.00(本)`, `达成指标 10`,
`4.00 因国家反馈…`).  The order of the boxes is the order of pdfminer's
hierarchical grouping (LTTextGroupLRTB: pairs of nearest boxes, each pair
ordered by its height on the page), not the order of the table's rows: a
column of cells may come before the row they start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extract.layout.labels import (
    FUNDING_BLOCK_LABELS,
    GOAL_BLOCK_LABELS,
    GRADE_LABELS,
    LEVEL1_NAMES,
    LEVEL2_NAMES,
    NULL_MARKS,
    label_key,
)
from extract.layout.templates import MONEY_UNITS, label_tables
from extract.layout.labels import column_key, level_key
from extract.parse.values import parse_measure

# A weight, score or funding figure as a box prints it (a dash: no value).
_BARE_NUMBER = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?%?$")
_CJK = "\u3400-\u9fff\uf900-\ufaff"
# How an 实际完成值 printed as words starts (no cell's text has it inside).
_ACTUAL_START = re.compile(r"^(?:部分)?达成|^未达成|^未完成")


@dataclass
class Box:
    lines: list[str]
    page: int                  # 1-based page of the text
    kind: str = ""             # set by `classify`
    # the last cell of a one-line box that pdfminer joined to a cell beside
    # it (top-aligned cells share their first line): the rest of its lines
    # may come as a box of their own
    tail: bool = False
    # a figure split off the text after it (`24 小时内到场服务`): a weight
    # beside a cell, or the start of the cell (a gap between digit and CJK)
    glued: bool = False
    # a cell whose one line pdfminer joined to the next cell's first line:
    # top-aligned cells side by side, so the same row's
    beside: bool = False
    # the page a label a page break cut ends on (merge_label_pieces; 0: its own)
    end_page: int = 0

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def flat(self) -> str:
        """The box's text without line breaks or spaces (labels, numbers)."""
        return re.sub(r"\s+", "", self.text)


def read_boxes(text: str) -> list[Box]:
    boxes: list[Box] = []
    for page, page_text in enumerate(text.replace("\r", "").split("\f"), start=1):
        for chunk in re.split(r"\n[ \t]*\n", page_text):
            lines = [line.strip() for line in chunk.split("\n") if line.strip()]
            if lines:
                boxes.append(Box(lines, page))
    return boxes


def is_number(text: str) -> bool:
    flat = re.sub(r"\s+", "", text)
    return bool(_BARE_NUMBER.match(flat)) or flat in NULL_MARKS and flat != ""


def _label_keys(*tables) -> set[str]:
    keys: set[str] = set()
    for table in tables:
        values = table.values() if isinstance(table, dict) else [table]
        for synonyms in values:
            keys.update(label_key(s) for s in synonyms)
    return keys


def _keyed(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {label_key(s): key for key, synonyms in table.items() for s in synonyms}


# Every known family's labels (`label_tables`): a family's own headers
# (全年预算数(A), 专项资金名称, 权重, 指标性质 …) are labels, never cells.
_TABLES = label_tables()
HEAD_KEYS = _keyed(_TABLES.head)
FUNDING_ROW_KEYS = _keyed(_TABLES.funding_rows)
FUNDING_COLUMN_KEYS = _keyed(_TABLES.funding_columns)
# the funding block's label with either money unit (项目资金（元）, districts)
_BLOCK_WITH_UNITS = tuple(f"{label}（{unit}）" for label in FUNDING_BLOCK_LABELS for unit in MONEY_UNITS)
FUNDING_HEAD_KEYS = set(FUNDING_COLUMN_KEYS) | _label_keys(FUNDING_BLOCK_LABELS, _BLOCK_WITH_UNITS) \
    | {"万元", "项目资金万", "元"}
GOAL_KEYS = _label_keys(GOAL_BLOCK_LABELS, _TABLES.goal)
INDICATOR_HEAD_KEYS = _label_keys(_TABLES.indicator_columns, _TABLES.target_parts) | {"一级指标", "二级指标"}
LEVEL1_KEYS = {label_key(s) for s in LEVEL1_NAMES}
LEVEL2_KEYS = {label_key(s) for s in LEVEL2_NAMES}
TOTAL_KEYS = _label_keys(_TABLES.totals)
GRADE_KEYS = _label_keys(GRADE_LABELS)


def _lettered_tails(table: dict[str, tuple[str, ...]]) -> set[str]:
    """The bracketed marks some labels end in (全年预算数(A), 执行率(B/A)):
    a header cell that wraps prints the mark as a line of its own, which
    pdfminer may print as a box apart.  Only marks with a letter: a unit in
    brackets (`(%)`, `（元）`) may as well be a measure's last line."""
    tails = {m.group() for synonyms in table.values() for s in synonyms
             if (m := re.search(r"[(（][^()（）]*[A-Za-z][^()（）]*[)）]$", s))}
    return {label_key(t) for t in tails}


FUNDING_TAIL_KEYS = _lettered_tails(_TABLES.funding_columns)


def label_kind(flat: str) -> str | None:
    """What label a box is, by its folded text; None for a cell's content."""
    key = label_key(flat)
    if key in HEAD_KEYS:
        return "head-label"
    if key in FUNDING_ROW_KEYS:
        return "funding-row"
    if key in FUNDING_HEAD_KEYS or key in FUNDING_TAIL_KEYS and re.fullmatch(r"[(（].*[)）]", flat):
        return "funding-head"
    if key in GOAL_KEYS:
        return "goal-label"
    if key in INDICATOR_HEAD_KEYS or column_key(flat) in INDICATOR_HEAD_KEYS:   # (年度指标值(A) too)
        return "indicator-head"
    level = level_key(flat)        # 产出指标(50分): a section weight after the label
    if level in LEVEL2_KEYS and level not in LEVEL1_KEYS:
        return "level2"
    if level in LEVEL1_KEYS and level not in LEVEL2_KEYS:
        return "level1"
    if level in LEVEL1_KEYS:
        return "level-either"
    if key in TOTAL_KEYS:
        return "total-label"
    if key in GRADE_KEYS:
        return "grade-label"
    # header labels printed on one line side by side (年初预算数 全年预算数 …)
    return None


def _is_header_run(line: str) -> bool:
    parts = line.split()
    return len(parts) > 1 and all(label_kind(p) in ("funding-head", "indicator-head", "head-label",
                                                       "total-label", "grade-label", "goal-label")
                                  for p in parts)


def split_joined(box: Box, in_table: bool) -> list[Box]:
    """Split a box that holds cells pdfminer joined on one text line.

    Only the first line is split (the box's other lines continue its last
    cell: pdfminer joins cells whose first lines meet side by side); a space
    splits where both sides are what different cells print: a label and
    content, two measures, a bare number and text, two CJK texts (a cell's
    own text has no space between two CJK characters)."""
    first = box.lines[0]
    if " " not in first:
        return [box]
    if _is_header_run(first):
        parts = [Box([p], box.page) for p in first.split()]
        if box.lines[1:] and label_key(parts[-1].flat + "".join(box.lines[1:])) in _ALL_LABEL_KEYS:
            # the run's last label wrapped (`… 得分 偏差原因分析` / `及改进措施`):
            # the box's other lines are its rest, no cell of their own
            parts[-1] = Box([parts[-1].lines[0]] + box.lines[1:], box.page)
            return parts
        return parts + ([Box(box.lines[1:], box.page)] if box.lines[1:] else [])
    tokens = first.split(" ")
    cells: list[str] = [tokens[0]]
    for i, token in enumerate(tokens[1:], start=1):
        # the line ends in figures only from here: a weight and a score (or
        # a lone one where the box has no more lines) beside the cell
        trailing = len(tokens) - i
        last = all(is_number(t) for t in tokens[i:]) and (len(box.lines) == 1 or trailing >= 2) \
            or trailing >= 2 and is_number(tokens[i]) and (is_number(tokens[i + 1]) or _ACTUAL_START.match(tokens[i + 1]))
        if _boundary(cells[-1], token, in_table, last):
            cells.append(token)
        else:
            cells[-1] += " " + token
    if len(cells) == 1:
        return [box]
    out = [Box([c], box.page, beside=True) for c in cells[:-1]]
    out.append(Box([cells[-1]] + box.lines[1:], box.page, tail=len(box.lines) == 1))
    for piece, after in zip(out, out[1:]):
        piece.glued = in_table and is_number(piece.text) and not is_number(after.lines[0]) \
            and bool(re.match(rf"^[{_CJK}]", after.lines[0]))
    return out


def split_stacked_labels(box: Box) -> list[Box]:
    """Split a box whose lines are merged label cells side by side.

    Top-aligned, the 一级 and 二级 labels of a group's first row start at the
    row's top, one or two characters a line in their narrow columns, so
    pdfminer reads them across: `产 数 用户数 >200(户) …`, `出 量`, `指 指`,
    `标 标`.  Read down, each column is a label; the rest of the first line
    are the row's cells.  A box that does not read so is returned whole."""
    if len(box.lines) < 2:
        return [box]
    rest = [line.split() for line in box.lines[1:]]
    short = re.compile(rf"^[{_CJK}]{{1,3}}$")
    if not all(toks and all(short.match(t) for t in toks) for toks in rest):
        return [box]
    first = box.lines[0].split()
    m = max(len(toks) for toks in rest)
    if m < 2 or len(first) < m or not all(short.match(t) for t in first[:m]):
        return [box]
    columns = [[t] for t in first[:m]]
    for toks in rest:
        if len(toks) == m:
            open_columns = list(range(m))
        else:       # the shorter labels ended: the columns not yet a whole label go on
            open_columns = [j for j in range(m) if label_key("".join(columns[j])) not in _ALL_LABEL_KEYS][:len(toks)]
            if len(open_columns) < len(toks):
                return [box]
        for j, tok in zip(open_columns, toks):
            columns[j].append(tok)
    if not all(label_key("".join(col)) in _ALL_LABEL_KEYS for col in columns):
        return [box]
    out = [Box(["".join(col)], box.page) for col in columns]
    if first[m:]:
        out.append(Box([" ".join(first[m:])], box.page))
    return out


# An 实际完成值 that is a verdict, whole on its line.
_WHOLE_VERDICT = re.compile(r"^(?:部分|未)?达成指标$")


def split_stacked_values(box: Box) -> list[Box]:
    """Split a box of cells pdfminer stacked in one column (rows too close
    for a gap between their lines): every line a whole value of its own --
    a verdict (`达成指标` / `达成指标`), a measure or a figure (`5` / `5`,
    `10.00` / `10.00`) -- where the lines do not read as one value wrapped
    (a figure cut in a narrow column, `99.8` / `6`, leaves a shorter last
    line; a measure cut so leaves a unit alone, `(页)`)."""
    if len(box.lines) < 2:
        return [box]
    lines = [re.sub(r"\s+", "", line) for line in box.lines]
    verdicts = all(_WHOLE_VERDICT.match(line) for line in lines)
    values = all(_whole_value(line) for line in lines)
    if not (verdicts or values) or values and _wrapped_value(lines):
        return [box]
    return [Box([line], box.page) for line in box.lines]


def _whole_value(line: str) -> bool:
    """A figure or a measure that ends as one does: its unit in brackets or
    a `%` (`3000 件`, `27429 箱、` may be one item of a list)."""
    measure = parse_measure(line)
    return measure.value is not None and (measure.unit is None or bool(re.search(r"[)）%]$", line)))


def _wrapped_value(lines: list[str]) -> bool:
    """One value wrapped in a column too narrow for it: its lines join to
    one measure (`≥10000.0` / `0(张)`), or to one figure with every line but
    the last as long as the first and the last shorter (`99.8` / `6`; two
    stacked figures of one size fill their lines alike)."""
    joined = "".join(lines)
    if parse_measure(joined).value is not None and not _BARE_NUMBER.match(joined):
        return True
    return bool(_BARE_NUMBER.match(joined)) and len(lines[-1]) < len(lines[0]) \
        and all(len(line) == len(lines[0]) for line in lines[:-1])


def _boundary(left: str, right: str, in_table: bool, last: bool) -> bool:
    if not left or not right:
        return False
    if in_table and _ACTUAL_START.match(right):
        return True            # 达成指标 and the like start the 实际完成值 cell
    if label_kind(left) is not None and label_kind(left) != "level-either":
        return True
    if in_table and is_number(left) and not is_number(right):
        # a weight/score before text; a CJK-digit gap (`3 次`) has a unit after it
        small = not re.match(r"^\d", left) or float(re.sub(r"[^\d.]", "", left) or 0) <= 100
        return small and not re.match(rf"^[{_CJK}]{{1,2}}[，。；、]?$", right)
    if in_table and is_number(right) and not is_number(left):
        # text, then a weight/score: only as the line's last token (a gap
        # inside text such as `完成 48 期` goes on), never after an operator
        # word (`不超过 100%` is one target)
        if parse_measure(left).value is not None:
            return True        # a measure, then a figure: two cells
        return last and "%" not in right and parse_measure(left + right).op is None
    if in_table and is_number(left) and is_number(right):
        return True
    if parse_measure(left).value is not None and parse_measure(right).value is not None:
        return True
    if in_table and re.search(rf"[{_CJK}]$", left) and parse_measure(right).value is not None \
            and parse_measure(left + right).op is None and not parse_measure(left + right).value:
        return True            # a name, then a target that is a bare measure (`95.00(null)`)
    return bool(re.search(rf"[{_CJK}）)》。%]$", left) and re.match(rf"^[{_CJK}（(《=≥≤<>⩾]", right))


# A unit alone in brackets (`（项）`): the last line of a measure, never a cell.
_LONE_UNIT = re.compile(r"^[（(][^（）()\d]{1,8}[）)]$")


def join_cut_units(cells: list[Box]) -> list[Box]:
    """Give a unit printed as a box of its own back to its measure.

    A row broken across a page (or a top-aligned cell whose first line
    pdfminer joined to the cell beside it) leaves a measure's last line,
    its unit, in a box apart: `≥120.00` … `（项）`.  A run of such units goes,
    in order, to the latest measures before it that print no unit: a
    target with an operator, or the figure right after a target (its
    actual) among the row's last cells (`_UNIT_REACH`)."""
    cells = list(cells)
    waiting: list[tuple[int, int]] = []   # (content cell number, index) of measures printed without a unit
    run: list[int] = []                   # the lone units since the last other content cell
    after_target = False
    seen = 0                              # content cells so far
    page = None                           # the page of the last content cell
    for k, cell in enumerate(cells):
        if label_kind(cell.flat) is not None:
            continue
        # a measure's last digits with its unit first on a page (`≥10000.0` …
        # `0（张）`): the break cut the number
        cut_digits = (cell.page != page or run or _cut_at_its_first_line(cells, k)) \
            and bool(_DIGITS_AND_UNIT.match(cell.flat))
        page = cell.page
        if _LONE_UNIT.match(cell.flat) or cut_digits:
            run.append(k)
            continue
        _give_units(cells, [i for n, i in waiting if n >= seen - _UNIT_REACH], run)
        waiting = [(n, i) for n, i in waiting if cells[i].lines and _unitless(cells[i])]
        run = []
        seen += 1
        measure = parse_measure(cell.flat)
        if measure.value is not None and _unitless(cell) and (measure.op is not None or after_target):
            waiting.append((seen, k))
        after_target = measure.value is not None and measure.op is not None
    _give_units(cells, [i for n, i in waiting if n >= seen - _UNIT_REACH], run)
    return [cell for cell in cells if cell.lines]


_DIGITS_AND_UNIT = re.compile(r"^\d{1,3}[（(][^（）()\d]{1,8}[）)]$")


def _cut_at_its_first_line(cells: list[Box], k: int) -> bool:
    """Whether a cell shortly before cell k is a measure cut in its decimals
    whose first line pdfminer joined to the cell beside it (top-aligned:
    `名称 ≥1000000.0`), its other lines (`0（页）`) the next box -- or a
    few boxes on, after the names of the rows below (a one-line name sits
    higher than a two-line measure's last line), with only plain text
    between."""
    for before in reversed(cells[max(0, k - 1 - _NAMES_BETWEEN):k]):
        if before.page != cells[k].page:
            return False
        if before.tail and "." in before.flat and parse_measure(before.flat).value is not None \
                and _unitless(before):
            return True
        if label_kind(before.flat) is None and (is_number(before.text) or parse_measure(before.flat).value is not None):
            return False    # another measure or figure between: not the cut one's rest
    return False


# How many names of the rows below may print between a top-aligned cut
# measure's first line and its rest.
_NAMES_BETWEEN = 3


# How many content cells before a lone unit its measure may print: a cut
# row's cells (a name, target, actual, weight, score, deviation, and the
# row's neighbours pdfminer grouped with it).
_UNIT_REACH = 12


def _unitless(cell: Box) -> bool:
    """A measure that prints no unit, or is cut right after its decimal
    point (`≥1000000.`: the point reads as a unit)."""
    return parse_measure(cell.flat).unit is None or bool(_CUT_AT_THE_POINT.match(cell.flat))


_CUT_AT_THE_POINT = re.compile(r"^[=≥≤<>⩾⩽]*\d+\.$")


def _give_units(cells: list[Box], waiting: list[int], run: list[int]) -> None:
    """Join the lone units of `run` to the last measures of `waiting`, in
    order (the cut row's target, then its actual), emptying the units."""
    take = min(len(run), len(waiting))
    if not take:
        return
    heads = waiting[len(waiting) - take:]
    for head, unit in zip(heads, run[len(run) - take:]):
        if _DIGITS_AND_UNIT.match(cells[unit].flat) and "." not in cells[head].flat:
            continue          # digits go on only a number cut inside its decimals
        cells[head] = Box(cells[head].lines + cells[unit].lines, cells[head].page, glued=cells[head].glued)
        cells[unit] = Box([], cells[unit].page)


_ALL_LABEL_KEYS = (set(HEAD_KEYS) | set(FUNDING_ROW_KEYS) | FUNDING_HEAD_KEYS | GOAL_KEYS | INDICATOR_HEAD_KEYS
                   | LEVEL1_KEYS | LEVEL2_KEYS | TOTAL_KEYS | GRADE_KEYS)


def _open_section_weight(key: str) -> bool:
    """A 一级 label whose section weight a narrow cell cut before its 分
    (`满意度指标（4` … `分）`): a level label, then digits."""
    match = re.fullmatch(r"(.+?)\d+(?:\.\d+)?", key)
    return match is not None and match.group(1) in LEVEL1_KEYS | LEVEL2_KEYS


def merge_label_pieces(cells: list[Box], reach: int = 80) -> list[Box]:
    """Join a label pdfminer cut into two boxes (`偏差原因分析及改` … `进措施`,
    `社会` … `效益指标`): a short box that is no label but the start of one,
    with the first box within `reach` that completes it.  A merged 一级/二级
    label a page break cut (`数量` on one page, `指标` at the top of the
    next) may find its rest a whole page of cells later: its reach is the
    form's."""
    cells = list(cells)
    i = 0
    while i < len(cells):
        head = label_key(cells[i].flat)
        weighed = _open_section_weight(head)
        if head and label_kind(head) is None and len(head) <= 10 \
                and (weighed or any(k.startswith(head) and k != head for k in _ALL_LABEL_KEYS)):
            level = weighed or any(k.startswith(head) for k in LEVEL1_KEYS | LEVEL2_KEYS)
            for j in range(i + 1, len(cells) if level else min(len(cells), i + 1 + reach)):
                joined = label_key(head + cells[j].flat)
                if joined in _ALL_LABEL_KEYS or weighed and level_key(joined) in LEVEL1_KEYS | LEVEL2_KEYS \
                        and joined != level_key(joined):
                    cells[i] = Box(cells[i].lines + cells[j].lines, cells[i].page,
                                   end_page=cells[j].page if cells[j].page != cells[i].page else 0)
                    del cells[j]
                    break
        i += 1
    return cells
