"""Read the flat text of pdfminer's default layout analysis into form records.

`pdfminer.high_level.extract_text` (and `pdf2txt.py`) print text boxes
separated by blank lines, in the order of its hierarchical grouping
(`boxes_flow=0.5`), which for the ruled 绩效自评表 puts whole columns of
cells one after another and the merged 一级/二级 labels in a bunch.  The
boxes keep each cell's text whole, so this reader does not read lines in
order (the flat reader does) but sorts cells by what they print and puts
them back in their rows (`box_rows`) and the funding grid (`box_funding`),
choosing between readings by the arithmetic the form obeys.  Where it
cannot be sure where a cell belongs, the fields get a `layout_in_doubt`
finding and go to review.

Every template family's form is read so (extract/layout/families): its
title by `read_title`, its labels by `label_tables()` (headers, funding
rows and columns, slot rows, sub-rows, closing rows kept in `extra`), the
columns of its funding grid by the labels it prints.  A target printed
over three cells (指标性质 / 指标值 / 度量单位) and a table with no
weights are read, but in doubt.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import replace
from decimal import Decimal
from itertools import combinations

from extract.layout.labels import (
    FUNDING_BLOCK_LABELS,
    GOAL_BLOCK_LABELS,
    GRADES,
    LEVEL2_NAMES,
    YEAR_IN_TEXT,
    label_key,
)
from extract.model import FieldPath, FormResult
from extract.parse.assembly import FormAssembly
from extract.layout.templates import Title, families, is_extra_column_label, label_tables, money_unit_in, read_title, \
    split_head_total
from extract.parse.box_boxes import (
    FUNDING_COLUMN_KEYS,
    FUNDING_ROW_KEYS,
    HEAD_KEYS,
    Box,
    is_number,
    join_cut_units,
    label_kind,
    merge_label_pieces,
    read_boxes,
    split_joined,
    split_stacked_labels,
    split_stacked_values,
)
from extract.parse.box_funding import COLUMNS, ROWS, solve_funding
from extract.parse.box_rows import (
    NAME_MARGIN,
    LabelPrint,
    Row,
    Token,
    build_rows,
    content_kind,
    em_width,
    figures_cost,
    fit_levels,
    labelling_cost,
    settle_maybe_targets,
)
from extract.parse.flat_lines import _anchor
from extract.layout.templates import is_slot_row
from extract.parse.values import clean_cell_text, parse_measure, parse_number

log = logging.getLogger("selfeval.parse")

# The reader rebuilds the table from boxes in pdfminer's order: its
# structure is a guess (extract.checks.confidence caps such fields).
METHOD = "box-text"

_HALF_CENT = Decimal("0.005")      # numbers are equal within it (FORM_RECORD.md)

# How many boxes a text may print before its first form's title.
_TITLE_REACH = 200
HEAD_ORDER = ("project_name", "department", "implementing_unit", "goal_expected", "goal_actual")
ROW_KEYS = ("name", "target", "actual", "weight", "score", "deviation")


def looks_like_box_text(text: str) -> bool:
    """pdfminer's box text: the form title, and most cells a box of their own
    (as many blank-line gaps as a few lines each; a row-ordered text has
    none or one per page)."""
    boxes = read_boxes(text)
    if not any(_title_line(box) is not None for box in boxes[:_TITLE_REACH]):
        return False
    lines = [line for line in text.split("\n") if line.strip()]
    lone_numbers = sum(1 for b in boxes if len(b.lines) == 1 and is_number(b.lines[0]))
    # A content-order text joins a row's 分值 and 得分 on one line (an anchor
    # per indicator); pdfminer's boxes keep nearly every number apart.
    anchors = sum(1 for line in lines if _anchor(line.strip()))
    return (len(lines) > 0 and len(boxes) >= 0.4 * len(lines) and lone_numbers >= 10
            and lone_numbers >= 4 * anchors)


def parse_box_text(text: str, source_file: str, sha256: str, tagger=None) -> list[FormResult]:
    """The forms of a pdfminer box text, in order.  `tagger` is accepted for
    the readers' common signature; box order gives it nothing to tag."""
    boxes = _join_title_prefixes(_split_at_titles(read_boxes(text)))
    forms: list[list[Box]] = []
    lead: list[Box] = []            # the boxes before the first title
    for box in boxes:
        if _title_line(box) == 0:
            forms.append([box])
        elif forms:
            forms[-1].append(box)
        else:
            lead.append(box)
    _hand_on_right_column(forms, lead)
    _hand_on_labels(forms)
    widths = (_target_width(boxes), _name_width(boxes))
    return [_read_form(form, widths).finish(source_file, sha256) for form in forms]


def _title_line(box: Box) -> int | None:
    """The line of a box where a form's title starts (`read_title`: any
    family's title, its year before or after), alone or wrapped onto the
    next line; None where the box prints none."""
    titles = [read_title(line) is not None for line in box.lines]
    for i in range(len(box.lines)):
        # wrapped: the two lines read a title, the second alone does not
        # (`主管部门` / `财政项目支出绩效自评表` is a label, then a title)
        if titles[i] or (i + 1 < len(box.lines) and not titles[i + 1]
                         and read_title(box.lines[i] + box.lines[i + 1]) is not None):
            return i
    return None


def _box_title(box: Box) -> Title | None:
    """The title a form's first box prints (`Title`), None where it reads none."""
    for lines in (box.lines[:1], box.lines[:2], box.lines[:3]):
        title = read_title("".join(lines))
        if title is not None:
            return title
    return None


def _peeled_prefix(before: str, line: str) -> bool:
    """Whether `before`, put before a title's line, is peeled off as the
    title's prefix (附件：, 报表编号：…): the title reads the same (a grade
    or a cell before it would become part of the title)."""
    alone, joined = read_title(line), read_title(before + " " + line)
    return alone is not None and joined is not None and joined.printed == alone.printed


def _split_at_titles(boxes: list[Box]) -> list[Box]:
    """A title pdfminer put in one box with the lines before it (a label of
    the form above, a cell): the title starts a box of its own."""
    out: list[Box] = []
    for box in boxes:
        at = _title_line(box)
        if at:
            out.append(Box(box.lines[:at], box.page))
            out.append(Box(box.lines[at:], box.page))
        else:
            out.append(box)
    return out


def _join_title_prefixes(boxes: list[Box]) -> list[Box]:
    """What a family prints before its title as a box of its own (附件：,
    附件1, 报表编号：…): a one-line box that, put before the title's line,
    reads as the same title -- no cell of any form, wherever pdfminer
    printed it on the title's page (after the form before's 总分 row, or
    amid the title's own form) -- joins the nearest title on its page."""
    out = list(boxes)
    titles = [k for k, box in enumerate(out) if _title_line(box) == 0]
    gone: set[int] = set()
    for j, before in enumerate(out):
        if len(before.lines) != 1 or j in titles:
            continue
        near = sorted((k for k in titles if out[k].page == before.page), key=lambda k: abs(k - j))
        if near and _peeled_prefix(before.lines[0], out[near[0]].lines[0]):
            title = out[near[0]]
            out[near[0]] = Box([before.lines[0] + " " + title.lines[0]] + title.lines[1:], title.page)
            gone.add(j)
    return [box for j, box in enumerate(out) if j not in gone]


def _hand_on_right_column(forms: list[list[Box]], lead: list[Box]) -> None:
    """pdfminer may group the right edge of a form's head -- the 实施单位
    value and the funding grid's 执行率 and 得分 columns, labels and
    figures -- apart and print it before the form's title: after the form
    before it has printed its last cell (the grade), or before the first
    title.  Such a run, on the title's page, moves to the form: its text
    values after the form's 实施单位 label, its columns at the end of its
    head (where `_funding_columns_after` puts them when they print later)."""
    for k, form in enumerate(forms):
        before = lead if k == 0 else forms[k - 1]
        start = 0 if k == 0 else _after_the_grade(before)
        if start is None:
            continue
        texts, columns = _right_column_run(before[start:], form[0].page)
        if not columns:
            continue
        del before[start:start + len(texts) + len(columns)]
        form[:] = _after_the_unit_label(form, texts)
        header = next((i for i, b in enumerate(form) if label_kind(b.flat) == "indicator-head"), len(form))
        form[header:header] = columns


def _after_the_grade(form: list[Box]) -> int | None:
    """Where the boxes after a form's grade (its last cell) start; None
    where no grade printed."""
    grade = next((i for i in range(len(form) - 1, 0, -1) if form[i].flat in GRADES), None)
    return None if grade is None else grade + 1


def _right_column_run(boxes: list[Box], page: int) -> tuple[list[Box], list[Box]]:
    """The head values (plain text, up to a head's three) and then the
    funding columns from the 执行率 label on (labels and figures) that
    `boxes` start with, all on `page`; nothing where they start otherwise."""
    texts: list[Box] = []
    for box in boxes:
        if box.page != page or len(texts) == 3 or label_kind(box.flat) is not None or is_number(box.text):
            break
        texts.append(box)
    rest = boxes[len(texts):]
    if not rest or rest[0].page != page or _FUNDING_COLUMN_KEYS.get(label_key(rest[0].flat)) != "execution_rate":
        return [], []
    columns: list[Box] = []
    for box in rest:
        if box.page != page or not (label_kind(box.flat) == "funding-head" or is_number(box.text)):
            break
        columns.append(box)
    return texts, columns


_BLOCK_KEYS = {label_key(s) for s in FUNDING_BLOCK_LABELS + GOAL_BLOCK_LABELS}
_LEVEL_HEADS = {"一级指标", "二级指标"}


def _hand_on_labels(forms: list[list[Box]]) -> None:
    """pdfminer groups a page's left column of labels across two forms: the
    next form's 项目资金 / 年度总体目标 / 一级 and 二级 labels may print among
    the boxes of the form before it, ahead of the next title.  A block
    label a form prints twice is the next form's: the labels from there on
    (on the next form's first page) move to the next form; so do funding
    row labels after the 总分 label (`_hand_on_funding_rows`)."""
    for k in range(len(forms) - 1):
        form, after = forms[k], forms[k + 1]
        seen: set[str] = set()
        start = None
        for i, box in enumerate(form):
            key = label_key(box.flat)
            if key in _BLOCK_KEYS:
                if key in seen and box.page == after[0].page:
                    start = i
                    break
                seen.add(key)
        if start is None:
            continue
        moves = [label_key(b.flat) in _BLOCK_KEYS or label_key(b.flat) in _LEVEL_HEADS
                 or label_kind(b.flat) in ("level1", "level2", "level-either") for b in form[start:]]
        moved = [b for b, m in zip(form[start:], moves) if m]
        form[start:] = [b for b, m in zip(form[start:], moves) if not m]
        after[1:1] = moved
    for k in range(len(forms) - 1):
        _hand_on_funding_rows(forms[k], forms[k + 1])


def _hand_on_funding_rows(form: list[Box], after: list[Box]) -> None:
    """A funding row's label printed after the form's 总分 label, on the next
    form's first page, is the next form's (the 总分 row ends a form's table;
    the grid comes first in the next)."""
    total = next((i for i, b in enumerate(form) if label_kind(b.flat) == "total-label"), None)
    if total is None:
        return
    moves = [i for i in range(total + 1, len(form))
             if label_kind(form[i].flat) == "funding-row" and form[i].page == after[0].page]
    figures = []
    for i in range(moves[0] + 1, len(form)) if moves else ():
        kind = label_kind(form[i].flat)
        if kind not in ("funding-row", "funding-head") and not (kind is None and is_number(form[i].text)):
            break
        if kind is None:
            figures.append(i)
    if any(i < moves[-1] for i in figures):
        # the grid's figures printed among those labels (年度资金总额 391.39
        # 其中… 391.39 …), up to the next other cell: the next form's too
        # (figures only after the labels may be this form's 总分)
        moves = sorted(moves + figures)
    after[1:1] = [form[i] for i in moves]
    form[:] = [b for i, b in enumerate(form) if i not in moves]


def _target_width(boxes: list[Box]) -> float:
    """The width (em) of the target/actual columns: the widest first line of a
    wrapped actual (a wrapped cell's first line nearly fills its column)."""
    cells = [piece for box in boxes for piece in split_joined(box, in_table=True)]
    widths = [em_width(b.lines[0]) for b in cells
              if len(b.lines) > 1 and content_kind(b.text) in ("actual", "target")]
    return max(widths, default=0.0)


def _name_width(boxes: list[Box]) -> float | None:
    """The width (em) of the 三级指标 column: the commonest first line of a
    wrapped text cell (the names are the table's most numerous wrapped
    cells, and a wrapped cell's first line fills its column); None where
    no text cell wraps."""
    cells = [piece for box in boxes for piece in split_joined(box, in_table=True)]
    widths = Counter(em_width(b.lines[0]) for b in cells
                     if len(b.lines) > 1 and label_kind(b.flat) is None and content_kind(b.text) == "text")
    return max(widths, key=lambda w: (widths[w], w)) if widths else None


def _read_form(boxes: list[Box], widths: tuple[float, float | None]) -> FormAssembly:
    title = _box_title(boxes[0])
    assembly = FormAssembly(method=METHOD, title=title.printed if title else None,
                            template_families=title.families if title else None)
    for page in sorted({b.page for b in boxes}):
        assembly.touch(page, "text")
    if title is not None and title.total_score is not None:
        assembly.put(FieldPath.top("total_score"), str(title.total_score))   # 项目总得分99分 after the title
    for box in boxes[:2]:
        match = YEAR_IN_TEXT.search(box.flat)
        if match:
            assembly.put(FieldPath.top("year"), match.group(1))
            if (stated := split_head_total(box.flat)[1]) is not None:   # （2022年度）自评得分98
                assembly.put(FieldPath.top("total_score"), str(stated))
            break
    # (an empty slot row's name stays whole: `指标 2` is no name and a figure)
    cells = merge_label_pieces([cell for box in boxes[1:] for part in split_stacked_labels(box)
                                for piece in ([part] if is_slot_row(part.text) else split_joined(part, in_table=True))
                                for cell in split_stacked_values(piece)])
    header = _header_at(cells)
    cells = _take_closing_rows(cells, header, assembly)
    funding_tail = _funding_columns_after(cells, header)
    values = _head_values_before(cells, header, funding_tail)
    # the head's cells printed inside the table are no cells of its rows:
    # out before a cut row's units look for their measures
    cells = join_cut_units([c for c in cells if not any(c is m for m in funding_tail + values)])
    header = _header_at(cells)
    # the merged 一级/二级 labels may print before the header (pdfminer groups them apart)
    levels = [c for c in cells[:header] if label_kind(c.flat) in ("level1", "level2", "level-either")]
    head = _after_the_unit_label(cells[:header], values)
    strays = _deviations_among_head(head)
    head = [c for c in head if not any(c is d for d in strays)]
    early = _table_cells_before_header(head, widths[1])
    _read_head_and_funding(assembly, [c for c in head if not any(c is e for e in early)] + funding_tail)
    _read_indicators(assembly, levels + early + strays + cells[header:], widths, _totals_weights_only(title))
    extra = [c.flat for c in cells[header:header + _HEADER_REACH] if is_extra_column_label(c.flat)]
    if extra:
        # the rows' cells are matched to the reference's columns by order: a column
        # no key holds shifts them, and this reader does not place it
        assembly.doubt([FieldPath.indicator(i, k) for i in range(assembly.indicators)
                        for k in ROW_KEYS + ("level1", "level2")],
                       f"the indicator header prints {' / '.join(extra)}, a column no key holds, "
                       "which text boxes do not place")
    return assembly


# How many cells after the indicator header's first its labels may take.
_HEADER_REACH = 16


_CLOSING_KEYS = {label_key(s) for s in label_tables().extra_rows}

# How many cells after a run of closing labels their values may print
# (the next form's head labels, 总分's figures between).
_CLOSING_REACH = 10


def _take_closing_rows(cells: list[Box], header: int, assembly: FormAssembly) -> list[Box]:
    """The labelled rows after the indicator table that no key holds (注,
    说明, 评价结论 …, `label_tables().extra_rows`) go to the record's
    `extra`: pdfminer prints a run of such labels, then their texts in
    order, after other labels and figures maybe; labels and texts are no
    cells of the table."""
    labels = [k for k in range(header, len(cells)) if label_key(cells[k].flat) in _CLOSING_KEYS]
    taken: set[int] = set(labels)
    runs: list[list[int]] = []
    for k in labels:
        between = range(runs[-1][-1] + 1, k) if runs else ()
        if runs and all(label_kind(cells[i].flat) is not None for i in between):
            runs[-1].append(k)
        else:
            runs.append([k])
    for run in runs:
        texts = [i for i in range(run[-1] + 1, min(len(cells), run[-1] + 1 + _CLOSING_REACH))
                 if i not in taken and cells[i].page == cells[run[-1]].page
                 and label_kind(cells[i].flat) is None and not is_number(cells[i].text)][:len(run)]
        for k, i in zip(run, texts):
            assembly.extra[cells[k].flat] = clean_cell_text(cells[i].text)
            taken.add(i)
    return [c for k, c in enumerate(cells) if k not in taken]


def _totals_weights_only(title: Title | None) -> bool:
    """Whether every family printing the form's title prints only the
    weights' total on its 合计 row (`[totals] weights_only`)."""
    names = title.families if title is not None else ()
    return bool(names) and all(families()[name].totals.get("weights_only") for name in names)


def _take_total_weight(tokens: list[Token], total_at: int | None) -> str | None:
    """The 合计 row's one figure, taken out of the tokens: the figure right
    after the 合计 label, else right before it (pdfminer prints a row's
    cells in either order); None where neither is one."""
    if total_at is None:
        return None
    for k in (total_at, total_at - 1):
        if 0 <= k < len(tokens) and tokens[k].kind == "num":
            return tokens.pop(k).text
    return None


def _header_at(cells: list[Box]) -> int:
    """Where the indicator table's header (三级指标, else its first label) is."""
    header = next((i for i, b in enumerate(cells) if label_key(b.flat) == "三级指标"), None)
    if header is None:
        header = next((i for i, b in enumerate(cells) if label_kind(b.flat) == "indicator-head"), len(cells))
    return header


def _deviations_among_head(head: list[Box]) -> list[Box]:
    """A row's deviation pdfminer grouped with the head's goals (the table's
    top rows sit right under them): where the head has more text cells
    than values, and exactly the surplus of them after the first three
    (the name, department and unit) read as deviations (`content_kind`),
    those before the goals are the table's.  Else none."""
    texts = [c for c in head if label_kind(c.flat) is None and not is_number(c.text)]
    surplus = len(texts) - len(HEAD_ORDER)
    # between the head's values and the last two texts (the goals, which
    # may use a deviation's words)
    found = [c for c in texts[3:len(texts) - 2] if content_kind(c.text) == "deviation"]
    return found if surplus > 0 and len(found) == surplus else []


def _table_cells_before_header(head: list[Box], name_width: float | None) -> list[Box]:
    """The indicator table's first text cells where pdfminer printed them
    before the 三级指标 header (top-aligned, the first row's name beside the
    merged 一级/二级 labels): more text cells than the head has values, the
    last ones after a merged label and no wider than the name column (a
    goal, or a head value cut in two, is wider)."""
    texts = [k for k, c in enumerate(head) if label_kind(c.flat) is None and not is_number(c.text)]
    table = next((k for k, c in enumerate(head) if label_kind(c.flat) in ("level1", "level2", "level-either")), None)
    if table is None or name_width is None or len(texts) <= len(HEAD_ORDER):
        return []
    extra = [head[k] for k in texts[len(HEAD_ORDER):]]
    if texts[len(HEAD_ORDER)] < table or any(em_width(line) > name_width + 0.25 for c in extra for line in c.lines):
        return []
    return extra


def _head_values_before(cells: list[Box], header: int, funding_tail: list[Box]) -> list[Box]:
    """The head values the head lacks where pdfminer printed them with the
    funding columns after the indicator header: the text cells right
    before the 执行率 label, on its page (the 实施单位 value sits at the
    head's right edge, above those columns)."""
    if not funding_tail:
        return []
    missing = len(HEAD_ORDER) - sum(1 for c in cells[:header] if label_kind(c.flat) is None and not is_number(c.text))
    start = next(k for k in range(header, len(cells)) if cells[k] is funding_tail[0])
    values: list[Box] = []
    for cell in reversed(cells[header:start]):
        if len(values) >= missing or cell.page != funding_tail[0].page \
                or label_kind(cell.flat) is not None or is_number(cell.text):
            break
        values.insert(0, cell)
    return values


def _after_the_unit_label(cells: list[Box], values: list[Box]) -> list[Box]:
    """The cells with head values printed elsewhere put right after the
    实施单位 label (the value at the head's right edge), else after the
    first cell."""
    unit = next((i for i, b in enumerate(cells) if HEAD_KEYS.get(label_key(b.flat)) == "implementing_unit"), None)
    at = unit + 1 if unit is not None else 1
    return cells[:at] + values + cells[at:]


def _funding_columns_after(cells: list[Box], header: int) -> list[Box]:
    """The funding grid's 执行率 and 得分 columns where pdfminer printed them
    after the indicator header (a column of the grid's right edge grouped
    with the table below): from the 执行率 label, the labels, figures and
    null marks up to the first other cell.  执行率 heads no indicator column."""
    start = next((k for k in range(header, len(cells))
                  if _FUNDING_COLUMN_KEYS.get(label_key(cells[k].flat)) == "execution_rate"), None)
    if start is None:
        return []
    out = []
    for cell in cells[start:]:
        if not (label_kind(cell.flat) == "funding-head" or is_number(cell.text)):   # figures and null marks
            break
        out.append(cell)
    return out


def _join_cut_amounts(cells: list[Box]) -> list[Box]:
    """A funding row's first amount too wide for its cell cuts its last
    decimals to a second line (`8,989.8` / `8`); top-aligned, pdfminer joins
    the first line to the row's label beside it (`上年结转资金 8,989.8`) and
    prints the digits as a box of their own, after the labels below it.  A
    grid keeps one precision, so such a figure one decimal short of the
    grid's takes the bare digits that come next, only labels between."""
    amounts = [_decimals(c.flat) for c in cells if label_kind(c.flat) is None and is_number(c.text)]
    precision = max(amounts, default=0)
    cells = list(cells)
    for k, cell in enumerate(cells):
        if not (cell.tail and label_kind(cell.flat) is None and is_number(cell.text) and "." in cell.flat
                and _decimals(cell.flat) < precision):
            continue
        j = next((j for j in range(k + 1, len(cells)) if label_kind(cells[j].flat) is None), None)
        if j is not None and cells[j].page == cell.page \
                and re.fullmatch(rf"\d{{{precision - _decimals(cell.flat)}}}", cells[j].flat):
            cells[k] = replace(cell, lines=[cell.flat + cells[j].flat], tail=False)
            del cells[j]
    return cells


def _read_head_and_funding(assembly: FormAssembly, cells: list[Box]) -> None:
    cells = _join_cut_amounts(cells)
    texts, figures, funding_rows, funding_cols = [], [], [], []
    lead = None                 # the column whose label printed right before the first figure
    anchors = []                # (column, figure position): a label right before its column's figures
    for k, cell in enumerate(cells):
        kind = label_kind(cell.flat)
        if kind == "funding-head":
            # the unit the funding table states (项目资金（元）, 全年预算数（元）)
            assembly.money_unit = money_unit_in(cell.text) or assembly.money_unit
        if kind == "funding-head" and label_key(cell.flat) in _FUNDING_COLUMN_KEYS:
            run = 0
            while k + 1 + run < len(cells) and label_kind(cells[k + 1 + run].flat) is None \
                    and is_number(cells[k + 1 + run].text):
                run += 1
            amid = bool(figures) and k > 0 and label_kind(cells[k - 1].flat) is None and is_number(cells[k - 1].text)
            anchors.append((_FUNDING_COLUMN_KEYS[label_key(cell.flat)], len(figures), run, amid))
        if not figures and k and is_number(cell.text) and label_kind(cells[k - 1].flat) == "funding-head":
            lead = _FUNDING_COLUMN_KEYS.get(label_key(cells[k - 1].flat))
        if kind == "funding-row":
            funding_rows.append(FUNDING_ROW_KEYS[label_key(cell.flat)])
        elif kind == "funding-head" and label_key(cell.flat) in _FUNDING_COLUMN_KEYS:
            column = _FUNDING_COLUMN_KEYS[label_key(cell.flat)]
            if column not in funding_cols:
                funding_cols.append(column)
        elif kind is not None:
            continue
        elif is_number(cell.text):
            figures.append(cell.flat)
        else:
            texts.append(cell)
    texts, joins = _head_joins(texts, len(HEAD_ORDER))
    joined = [i for i, clear in joins if not clear]
    # head values and goals print in their order: name, department, unit, goals
    for key, cell in zip(HEAD_ORDER, texts):
        assembly.put(FieldPath.top(key), cell.text)
    if joined:
        assembly.doubt([FieldPath.top(HEAD_ORDER[k]) for k in joined if k < len(HEAD_ORDER)],
                       "head: a value printed as two boxes joined")
    if len(texts) == len(HEAD_ORDER) and len(texts[3].lines) + 2 <= len(texts[4].lines):
        # pdfminer orders boxes by their middle's height: top-aligned, a
        # shorter 实际完成情况 sits higher than the 预期目标 left of it and
        # prints first; centred, they print left to right.  The text does
        # not tell which.
        assembly.doubt([FieldPath.top("goal_expected"), FieldPath.top("goal_actual")],
                       "goals: the shorter goal printed first, its order is not sure")
    if len(texts) != len(HEAD_ORDER):
        assembly.doubt([FieldPath.top(k) for k in HEAD_ORDER],
                       f"head and goals: {len(texts)} text cells for {len(HEAD_ORDER)} fields")
    rows = [r for r in ROWS if r in funding_rows] or list(ROWS)
    # a column's label right before exactly as many figures as there are
    # rows, then no figure, or printed amid the figures before at least as
    # many: the column grouped with its label, its figures first after it
    # (a column of dashes may follow them)
    anchors = [(col, at) for col, at, run, amid in anchors if run == len(rows) or amid and run > len(rows)]
    grid, doubt = solve_funding(figures, rows, _grid_columns(funding_cols, len(figures), len(rows)),
                                funding_cols, lead, anchors)
    for (row, col), printed in grid.items():
        assembly.put(FieldPath.funding(row, col), printed)
    if doubt:
        assembly.doubt([FieldPath.funding(r, c) for r, c in sorted(doubt)],
                       f"funding: {len(figures)} figures, their order in the text is not sure")


_FUNDING_COLUMN_KEYS = FUNDING_COLUMN_KEYS


def _grid_columns(printed: list[str], figures: int, rows: int) -> list[str]:
    """The funding grid's columns in the table's order: those whose labels
    printed (a family prints fewer: no 年初预算数, no 分值 or 得分) where
    their figures fill them, else all the contract's (a label pdfminer
    cut or lost leaves the grid whole)."""
    columns = [c for c in COLUMNS if c in printed]
    return columns if columns and len(columns) * rows == figures else list(COLUMNS)


def _join_head_pieces(texts: list[Box], fields: int) -> tuple[list[Box], list[int]]:
    """More text cells than head fields: a wrapped value was printed as two
    boxes.  Top-aligned, a value's first line sits beside its label (one
    box) and its other lines make the next box; else the piece whose lines
    are no wider than the line before it is taken.  Returns the texts and
    the values joined."""
    texts, joins = _head_joins(texts, fields)
    return texts, [i for i, _ in joins]


def _head_joins(texts: list[Box], fields: int) -> tuple[list[Box], list[tuple[int, bool]]]:
    """`_join_head_pieces`, each value joined with whether that join was
    clear (no other fits nearly as well)."""
    texts = list(texts)
    joins: list[tuple[int, bool]] = []
    while len(texts) > fields:
        def fit(i: int) -> float:
            head, piece = texts[i], texts[i + 1]
            last = em_width(head.lines[-1])
            widest = max(em_width(line) for line in piece.lines)
            return (2.0 if head.tail else 0.0) + (1.0 if widest <= last + 1.5 else 0.0) \
                + (0.5 if head.page == piece.page else 0.0)
        ranked = sorted(range(len(texts) - 1), key=lambda k: (-fit(k), k))
        i = ranked[0]
        joins.append((i, len(ranked) == 1 or fit(ranked[1]) <= fit(i) - _CLEAR_FIT))
        texts[i] = Box(texts[i].lines + texts[i + 1].lines, texts[i].page)
        del texts[i + 1]
    return texts, joins


# How much better the chosen join of head pieces fits than any other for it
# to be sure (a value's first line beside its label, the rest no wider).
_CLEAR_FIT = 1.5


def _read_indicators(assembly: FormAssembly, cells: list[Box], widths: tuple[float, float | None],
                     weights_only: bool = False) -> None:
    """The indicator table's rows and its 总分 row (`weights_only`: a 合计
    row that prints the weights' total alone, as the family's file says)."""
    target_width, name_width = widths
    level1: list[str] = []
    level2: list[str] = []
    label_pages: dict[str, set[int]] = {}      # the pages each merged label prints on
    label_lines: dict[str, int] = {}
    tokens: list[Token] = []
    grade = None
    total_at = None
    # the page of a 偏差原因 label printed right after a cell, apart from the
    # header's other labels: its column grouped with it, top down
    deviation_head = None
    previous = None
    slots: list[int] = []          # per slot row: how many actuals printed before it
    # a table with no 分值 / 得分 columns (湖南 县级专项资金): a figure is a
    # bare target or actual, and the rows are a name, target and actual each
    figured = _prints_figures(cells)
    sub_row_cells = 0              # the cells of a 其中… sub-row still to come
    for cell in cells:
        kind = label_kind(cell.flat)
        if kind == "total-label" and total_at is None:
            total_at = len(tokens)
        after_a_cell = previous is not None and label_kind(previous.flat) is None
        previous = cell
        if label_key(cell.flat) in _DEVIATION_HEAD_KEYS:
            deviation_head = cell.page if after_a_cell else None
            continue
        top = kind is None and deviation_head == cell.page
        if kind is not None or is_number(cell.text):
            sub_row_cells = 0
        if kind is None:
            deviation_head = None
        if kind in ("level1", "level2", "level-either"):
            label_pages.setdefault(cell.flat, set()).update(filter(None, (cell.page, cell.end_page)))
            label_lines[cell.flat] = max(label_lines.get(cell.flat, 0), len(cell.lines))
        if kind == "level1":
            _add_level(level1, cell.flat)
        elif kind in ("level2", "level-either"):
            _add_level(level2, cell.flat)
        elif kind is not None:
            continue
        elif _is_sub_row(cell.flat):
            sub_row_cells = _SUB_ROW_CELLS       # a 其中… row's measures: no indicator's
            continue
        elif sub_row_cells and content_kind(cell.text) in ("target", "maybe-target", "actual"):
            sub_row_cells -= 1
            continue
        elif is_slot_row(cell.text):
            # an empty slot row's name (指标2, ……): no indicator, but a row
            # its 二级 label spans (a label may span only slot rows)
            slots.append(sum(t.kind == "actual" for t in tokens))
        elif cell.flat in GRADES:
            grade = cell.flat
        elif is_number(cell.text) and cell.flat != "一" and not cell.flat.endswith("%") and figured:
            # 一 is no figure's null mark here; a weight or score prints no
            # `%` (`95%` is a target or an actual)
            tokens.append(Token("num", cell.flat, page=cell.page, glued=cell.glued))
        else:
            tokens.append(Token(content_kind(cell.text), cell.text,
                                max(em_width(line) for line in cell.lines), len(cell.lines), cell.page,
                                tail=cell.tail, beside=cell.beside, headed=top))
    if grade is not None:
        assembly.put(FieldPath.top("grade"), grade)
    funding_weight = _number(assembly.text(FieldPath.funding("total", "weight")))
    funding_score = _number(assembly.text(FieldPath.funding("total", "score")))
    if _weight_before_target(cells):
        tokens = _weights_after_actuals(tokens)
    _deviations_beside_scores(tokens, target_width)
    tokens, total_at = _join_cut_decimals(tokens, total_at)
    weight_sum = figure_sum = None
    if weights_only:
        # the 合计 row prints the weights' total alone (四川 部门预算)
        totals = None
        total_weight = _take_total_weight(tokens, total_at)
        if total_weight is not None:
            assembly.put(FieldPath.top("total_weight"), total_weight)
            if funding_weight is not None and _number(total_weight) is not None:
                weight_sum = _number(total_weight) - funding_weight
    else:
        tokens, total_at = _join_wrapped_figures(tokens, total_at, funding_weight, funding_score, grade)
        guessed = not _choose_totals(tokens, total_at, funding_weight, funding_score, grade)[1] \
            and _total_readings_differ(tokens, total_at)
        totals = _take_totals(tokens, total_at, funding_weight, funding_score, grade)
        if totals is not None and guessed:
            assembly.doubt([FieldPath.top("total_weight"), FieldPath.top("total_score")],
                           "总分: the figures sum to no reading of it, and its readings differ")
    if totals is not None:
        assembly.put(FieldPath.top("total_weight"), totals[0])
        assembly.put(FieldPath.top("total_score"), totals[1])
    if totals is not None and funding_weight is not None and funding_score is not None \
            and _number(totals[0]) is not None and _number(totals[1]) is not None:
        weight_sum = _number(totals[0]) - funding_weight
        figure_sum = weight_sum + _number(totals[1]) - funding_score
        bare = _bare_targets(tokens, figure_sum)
        tokens = _reglue(tokens)
        # two bare figures taken out side by side, where the rows lack an
        # actual: a target and its actual (`98`, `96`), not two rows' targets
        missing = sum(t.kind == "num" for t in tokens) // 2 - sum(t.kind == "actual" for t in tokens)
        for a, b in zip(tokens, tokens[1:]):
            if missing > 0 and a.kind == "target" and b.kind == "target" and id(a) in bare and id(b) in bare:
                b.kind = "actual"
                missing -= 1
    tokens = _join_open_brackets(tokens)
    _promote_word_actuals(tokens, widths, weight_sum, None if figured else _rows_of_cells(tokens))
    tokens = _join_page_breaks(tokens, widths)
    tokens = _split_stacked_cells(tokens)
    level2 = _canonical_order(level2)
    rows = build_rows(tokens, target_width, weight_sum, name_width, figure_sum, figured)
    printed = {label: LabelPrint(frozenset(pages), label_lines[label]) for label, pages in label_pages.items()}
    if not fit_levels(_with_slot_rows(rows, slots), level1, level2, printed):
        for row in rows:
            row.doubt.update(("level1", "level2"))
    if not figured:
        # no weights and scores to tie the cells to their rows: pdfminer may
        # print a row before the rows above it, which the cells alone do
        # not tell
        for row in rows:
            row.doubt.update(("name", "target", "actual", "deviation", "level1", "level2"))
    if _prints_target_parts(cells):
        # 指标性质 / 指标值 / 度量单位: pdfminer prints a target's three cells
        # as boxes of their own, among the other rows' cells; which pieces
        # make which row's target (and so where the rows' text cells fall)
        # is not read here
        for row in rows:
            row.doubt.update(("name", "target", "actual", "deviation", "level1", "level2"))
    for row in rows:
        _put_row(assembly, row)


_WEIGHT_HEAD_KEYS = {label_key(s) for s in label_tables().indicator_columns["weight"]}
_TARGET_HEAD_KEYS = {label_key(s) for s in label_tables().indicator_columns["target"] + label_tables().target_parts}

# How many cells from the table's first header label its labels print in.
_HEADER_SPAN = 12


def _weight_before_target(cells: list[Box]) -> bool:
    """Whether the indicator header prints 分值 before 年度指标值 (衔接资金
    forms: 三级指标 分值 年度指标值 …): by the labels' order after 三级指标."""
    start = next((k for k, c in enumerate(cells) if label_key(c.flat) == "三级指标"), None)
    if start is None:
        return False
    keys = [label_key(c.flat) for c in cells[start:start + _HEADER_SPAN]]
    weight = next((k for k, key in enumerate(keys) if key in _WEIGHT_HEAD_KEYS), None)
    target = next((k for k, key in enumerate(keys) if key in _TARGET_HEAD_KEYS), None)
    return weight is not None and target is not None and weight < target


# A sub-row's cells after its name: its target and its actual.
_SUB_ROW_CELLS = 2


def _is_sub_row(flat: str) -> bool:
    """A `其中…` sub-row's name (衔接资金 forms: 其中：脱贫户), whose row is
    no indicator (`label_tables().sub_rows`)."""
    key = label_key(flat)
    # (the families' labels read when a form is, not when the module is imported)
    return any(key.startswith(sub) and key != sub for sub in map(label_key, label_tables().sub_rows))


def _with_slot_rows(rows: list[Row], slots: list[int]) -> list[Row]:
    """The rows with an empty row for each slot row, after the rows whose
    actuals printed before it (where its 二级 label spans it); the 二级
    labels spread over them, and only the real rows keep theirs."""
    if not rows:
        return rows
    out = [Row(page=rows[0].page) for at in slots if at == 0]
    for k, row in enumerate(rows, start=1):
        out.append(row)
        out += [Row(page=row.page) for at in slots if min(at, len(rows)) == k]
    return out


_TARGET_PART_KEYS = {label_key(s) for s in label_tables().target_parts}


def _prints_target_parts(cells: list[Box]) -> bool:
    """Whether the indicator header prints the target over three cells
    (`label_tables().target_parts`: 指标性质 / 指标值 / 度量单位)."""
    keys = {label_key(c.flat) for c in cells if label_kind(c.flat) == "indicator-head"}
    return bool(_TARGET_PART_KEYS) and _TARGET_PART_KEYS <= keys


_ACTUAL_HEAD_KEYS = {label_key(s) for s in label_tables().indicator_columns["actual"]}
_FIGURE_HEAD_KEYS = {label_key(s) for key in ("weight", "score") for s in label_tables().indicator_columns[key]}


def _prints_figures(cells: list[Box]) -> bool:
    """Whether the indicator table prints a 分值 or 得分 column: False only
    where its header (after 三级指标) prints its target or actual label
    and neither of those."""
    start = next((k for k, c in enumerate(cells) if label_key(c.flat) == "三级指标"), None)
    if start is None:
        return True
    # (the header's labels may print far apart, among the first rows' cells)
    keys = {label_key(part) for c in cells[start:] if label_kind(c.flat) is not None or " " in c.text
            for part in [c.flat] + c.text.split()}
    return bool(keys & _FIGURE_HEAD_KEYS) or not keys & (_TARGET_HEAD_KEYS | _ACTUAL_HEAD_KEYS)


def _rows_of_cells(tokens: list[Token]) -> int | None:
    """A table with no figures: its rows by its cells -- a name, a target
    and an actual each, deviations apart -- where they come out whole."""
    cells = sum(t.kind in ("text", "target", "maybe-target", "actual") for t in tokens)
    return cells // 3 if cells % 3 == 0 else None


def _weights_after_actuals(tokens: list[Token]) -> list[Token]:
    """A table whose 分值 column comes before the target prints each row's
    weight right after its name: a figure with only a name since the
    figure before it (the row before's score) moves to right before the
    row's score -- the first figure after a cell that is none -- where the
    rows read as the other tables' (name, target, actual, weight, score)."""
    out = list(tokens)
    k, last_figure = 0, -1
    while k < len(out):
        token = out[k]
        if token.kind != "num":
            k += 1
            continue
        if k - last_figure == 2 and out[k - 1].kind == "text":
            score = next((j for j in range(k + 2, len(out))
                          if out[j].kind == "num" and out[j - 1].kind != "num"), None)
            if score is not None:
                token.glued = False          # a weight, not the start of the target
                out.insert(score - 1, out.pop(k))
                last_figure = score          # the row's score
                k = score + 1
                continue
        last_figure = k
        k += 1
    return out


_DEVIATION_HEAD_KEYS = {label_key(s) for s in label_tables().indicator_columns["deviation"]}


def _deviations_beside_scores(tokens: list[Token], target_width: float) -> None:
    """A whole sentence right after a row's weight and score is that row's
    deviation, whatever its words, where pdfminer split it off the score on
    its line (`9` / `8 受宣传推广力度不…显现。`) or its lines are wider than
    the target column: a name never ends a sentence, and a target that
    does is no wider than its column."""
    for k in range(2, len(tokens)):
        token, figure = tokens[k], tokens[k - 1]
        if not (token.kind == "text" and figure.kind == tokens[k - 2].kind == "num"
                and _SENTENCE_END.search(token.text.strip()) and len(re.sub(r"\s+", "", token.text)) >= 12):
            continue
        if figure.glued or target_width and token.width > target_width + 1.5:
            token.kind = "deviation"
            figure.glued = False        # a score, not the start of the text


def _add_level(labels: list[str], label: str) -> None:
    """A merged label a page break cut prints on both pages: once is enough."""
    if not labels or labels[-1] != label:
        labels.append(label)


# Words a 实际完成值 may print that a 年度指标值 prints too (达标, 符合).
_WORD_ACTUALS = {"完成", "达标", "符合", "已达标", "已完成"}


def _promote_word_actuals(tokens: list[Token], widths: tuple[float, float | None] = (0.0, None),
                          weight_sum: Decimal | None = None, rows: int | None = None) -> None:
    """A row per weight and score: where the figures leave more rows than
    the text has actuals, the measures with no operator read as targets
    right after a target or an actual, then the bare words that may be
    either (达标, 符合) are the missing actuals -- first those right before
    a row's figures."""
    settle_maybe_targets(tokens)
    figures = sum(t.kind == "num" for t in tokens) if rows is None else 2 * rows   # `rows`: no figures to count
    missing = figures // 2 - sum(t.kind == "actual" for t in tokens)
    if figures % 2 or missing <= 0:
        return
    # a measure with no operator taken for a target because a text target's
    # actual came between (`>=90%`, `达成指标`, `90.36%`): right after a
    # target or an actual, or the measure of a target just before, it is
    # the actual of the target before
    def measure_of(token: Token) -> str:
        return re.sub(r"^[=≥≤<>⩾⩽]+|\s+", "", token.text)

    def echoes(k: int) -> bool:
        """The same measure as a target with an operator shortly before, or
        soon after (a column of actuals printed ahead of the targets)."""
        return any(t.kind == "target" and not t.settled and measure_of(t) == measure_of(tokens[k])
                   for t in tokens[max(0, k - 8):k] + tokens[k + 1:k + 1 + _ECHO_AHEAD])

    def after_a_measure(k: int) -> bool:
        return k > 0 and tokens[k - 1].kind in ("target", "actual")

    def before_figures(k: int) -> bool:
        """Followed by a row's figures, or last: a target's actual follows it,
        figures follow the actual (pdfminer put a row's last cell after the
        figures of the row before)."""
        return k + 1 == len(tokens) or tokens[k + 1].kind == "num"

    def above_an_actual(k: int) -> bool:
        """Right before an actual that is a bare measure of the same unit:
        the column of actuals printed together (`100.00(%)` / `98.00(%)`),
        whose targets' count was taken by word actuals printed between."""
        if k + 1 >= len(tokens) or tokens[k + 1].kind != "actual":
            return False
        here, below = parse_measure(measure_of(tokens[k])), parse_measure(measure_of(tokens[k + 1]))
        return below.value is not None and below.op is None and below.unit == here.unit

    def ahead_of_its_target(k: int) -> bool:
        """Right before an actual, with a target of its unit and an operator
        soon after and none shortly before: a column of actuals printed
        ahead of the targets (`184.00（项）` / `2211.00（次）` … `≥100.00（项）`)."""
        if k + 1 >= len(tokens) or tokens[k + 1].kind != "actual":
            return False
        unit = parse_measure(measure_of(tokens[k])).unit

        def its_target(t: Token) -> bool:
            measure = parse_measure(t.text.replace("\n", ""))
            return t.kind == "target" and not t.settled and measure.op is not None and measure.unit == unit

        return unit is not None and not any(its_target(t) for t in tokens[max(0, k - 8):k]) \
            and any(its_target(t) for t in tokens[k + 2:k + 2 + _ECHO_AHEAD])

    settled = [k for k, t in enumerate(tokens) if t.settled and t.kind == "target"
               and (after_a_measure(k) or echoes(k) or before_figures(k) or above_an_actual(k)
                    or ahead_of_its_target(k))]
    settled.sort(key=lambda k: (not echoes(k), not after_a_measure(k), k))
    words = [k for k, t in enumerate(tokens)
             if t.kind == "text" and (re.sub(r"\s+", "", t.text) in _WORD_ACTUALS or _repeats(tokens, k))]
    strong = [k for k in settled if echoes(k) or after_a_measure(k)]
    if words and len(strong) < missing:
        # only the weaker cues (above an actual, before figures, ahead of a
        # target) left: a bare measure right above another is as often its
        # row's target (`90%` / `90%`), and a word actual (达标, 符合) may be
        # the row's instead; which is told by the reading of the rows
        weak = [k for k in settled if k not in strong]
        settled = strong
        words = sorted(weak + words)
    # chosen among more than the rows need: which ones is a guess
    chosen, guessed = sorted(settled[:missing]), len(settled) > missing
    for k in chosen:
        tokens[k].kind, tokens[k].guessed = "actual", guessed
        tokens[k].settled = False
    missing -= len(chosen)
    if missing <= 0:
        return
    # a pair of equal bare measures both read as actuals (`100%` / `100%`)
    # may be one row's target and actual: a word then is the actual missing
    pairs = [k for k in range(len(tokens) - 1) if _equal_bare_actuals(tokens[k], tokens[k + 1])]
    chosen, flipped, span = _choose_word_actuals(tokens, words, missing, widths, weight_sum, pairs)
    for k in chosen:
        tokens[k].kind, tokens[k].guessed = "actual", span is not None
        tokens[k].settled = False
    if flipped is not None:
        tokens[flipped].kind, tokens[flipped].settled = "target", True
        tokens[flipped + 1].guessed = tokens[flipped + 1].guessed or span is not None
    if span is not None:
        # another choice nearly as good gives the rows between its words
        # and the chosen ones other names, targets and actuals (each row's
        # cells shift by one there): all of them are in doubt
        for token in tokens[span[0]:span[1] + 1]:
            token.unsure = True


def _repeats(tokens: list[Token], k: int) -> bool:
    """Whether text cell k prints what the text cell right before it does:
    a text target's actual that repeats it (`7700卷、1361箱、2700盒` twice),
    as likely as a word actual (a name never is its target)."""
    return k > 0 and tokens[k - 1].kind == "text" \
        and re.sub(r"\s+", "", tokens[k - 1].text) == re.sub(r"\s+", "", tokens[k].text)


def _equal_bare_actuals(a: Token, b: Token) -> bool:
    """Two actuals side by side that print the same measure with no operator."""
    return a.kind == b.kind == "actual" and content_kind(a.text) == "maybe-target" \
        and re.sub(r"\s+", "", a.text) == re.sub(r"\s+", "", b.text)


# How far after a bare measure its target may print (a column of a few
# rows' actuals, each with its figures, then their names and targets).
_ECHO_AHEAD = 16

# Beyond this many ways to choose the word actuals, they are ranked, not tried.
_WORD_CHOICES = 24


def _choose_word_actuals(tokens: list[Token], words: list[int], missing: int,
                         widths: tuple[float, float | None], weight_sum: Decimal | None = None,
                         pairs: list[int] = ()) -> tuple[list[int], int | None, tuple[int, int] | None]:
    """Which `missing` of the candidate words are actuals: each way is tried
    and the one whose text cells then give the rows their names and
    targets best wins (a column's cells print together, a row's target
    right before its actual), and whose figures print after their rows'
    actuals (`figures_cost`: `≥560.00(套)` `符合` `9.00` `9.00` is a row
    whose actual is 符合).  A way may also read the first of a pair of
    equal bare actuals (`pairs`, their first indexes) as the target of the
    second, and take one word more.  Returns the words, the pair read so
    (None: none), and the span of tokens (first, last) where other ways
    that cost hardly more differ from it (None: the choice is sure)."""
    ways = [(way, None) for way in combinations(words, missing)]
    ways += [(way, k) for k in pairs for way in combinations(words, missing + 1)]
    if len(ways) <= 1:
        return (list(ways[0][0]), ways[0][1], None) if ways else (words, None, None)
    if len(ways) > _WORD_CHOICES:
        # too many to try: first the words right before a row's figures or
        # after an actual, last those beside a target
        ranked = sorted(words, key=lambda k: (-_actual_likeness(tokens, k), k))
        return sorted(ranked[:missing]), None, (min(words), max(words))

    def cost(way: tuple[int, ...], flipped: int | None) -> float:
        trial = [replace(t, kind="actual") if k in way else replace(t, kind="target") if k == flipped else t
                 for k, t in enumerate(tokens)]
        return labelling_cost(trial, *widths) + figures_cost(trial, weight_sum)

    costs = sorted((cost(way, flipped), way, -1 if flipped is None else flipped) for way, flipped in ways)
    best, way, flipped = costs[0]
    chosen = set(way) | {flipped}
    differ = [k for c, other, f in costs[1:] if c - best < NAME_MARGIN
              for k in chosen ^ (set(other) | {f}) if k >= 0]
    span = (min(differ), max(differ) + 1) if differ else None     # +1: a pair's second
    return list(way), None if flipped < 0 else flipped, span


def _actual_likeness(tokens: list[Token], k: int) -> int:
    """How much the neighbours of token k say it is an actual: an actual or
    a row's figures beside it do, a target beside it says it is one."""
    before = tokens[k - 1].kind if k > 0 else None
    after = tokens[k + 1].kind if k + 1 < len(tokens) else None
    return (after == "num") + (before == "actual") - (before == "target") - (after == "target")


_LEVEL2_RANK = {label_key(name): k for k, name in enumerate(LEVEL2_NAMES)}


def _canonical_order(labels: list[str]) -> list[str]:
    """The 二级 labels in the order the form prints them.  pdfminer's box
    order is not the table's (a column of merged cells is grouped with its
    neighbours at will), but the template's is fixed: 数量, 质量, 时效, 成本,
    then the 效益 labels, then 满意度.  A label a page break cut prints on
    both pages: once is enough.  Labels the template does not know keep
    their place after the known label before them."""
    keyed, rank = [], -1.0
    for k, label in enumerate(labels):
        known = _LEVEL2_RANK.get(label_key(label))
        rank = known if known is not None else rank + 1e-3
        keyed.append((rank, k, label))
    out: list[str] = []
    for _, _, label in sorted(keyed):
        if label not in out:
            out.append(label)
    return out


# How an actual's verdict ends when it is whole.
_VERDICT_END = re.compile(r"(?:指标|达成|完成|效果|达标|未完成)$")

# How many boxes after a top-aligned cut cell its rest may print: the row's
# figures and actual, then the one-line names of the rows below, which sit
# higher than the cut cell's second line.
_REST_REACH = 12


def _join_page_breaks(tokens: list[Token], widths: tuple[float, float | None] = (0.0, None)) -> list[Token]:
    """A row broken across a page (Word's break_rows) leaves the rest of its
    long cells at the top of the next page, before that page's first figure
    or actual (after the repeated header, whose labels are no cells): the
    end of a deviation's sentence goes back to it, and where the form has
    more text cells than its rows have names and text targets, the other
    pieces to its last rows' text cells (`_join_to_cut_cells`)."""
    settle_maybe_targets(tokens)
    rows = sum(t.kind == "actual" for t in tokens)
    surplus = sum(t.kind == "text" for t in tokens) - (2 * rows - sum(t.kind == "target" for t in tokens))
    # top-aligned cells: a wrapped cell's first line joined to the cell
    # beside it, its other lines the next box
    for k in range(len(tokens) - 1):
        head = tokens[k]
        if surplus <= 0:
            break
        # an actual's verdict cut the same way (`部分达成指标并具` … `有一定效果`):
        # a worded one (no figure) that does not end as a verdict does
        cut_actual = head.kind == "actual" and not re.search(r"\d", head.text) \
            and not _VERDICT_END.search(head.text.strip())
        if not (head.tail and (head.kind == "text" or cut_actual)):
            continue
        if _SENTENCE_END.search(head.text.strip()):
            continue            # a whole sentence (`供应商交付周期延长。`): no cut cell
        # its other lines: a text box soon after it on its page, no wider
        # than its first line; where several could be, the one that best
        # leaves a name and a target a row
        options = [j for j in range(k + 1, min(len(tokens), k + 1 + _REST_REACH))
                   if tokens[j].kind in ("text", "deviation") and tokens[j].page == head.page
                   and not tokens[j].tail
                   and max(em_width(line) for line in tokens[j].text.split("\n")) <= head.width + 1.5]
        if not options:
            continue
        if len(options) > 1:
            options.sort(key=lambda j: (_cost_if_joined(tokens, k, j, widths), j))
        _join_rest(head, tokens[options[0]])
        surplus -= 1
    tokens = [t for t in tokens if t.kind != "joined"]
    out: list[Token] = []
    for i, token in enumerate(tokens):
        if out and token.page != out[-1].page and token.kind in ("text", "deviation"):
            surplus -= _join_to_cut_cells(out, tokens[i:], surplus, widths)
        if token.kind != "joined":
            out.append(token)
    return out


def _join_to_cut_cells(before: list[Token], page: list[Token], surplus: int,
                       widths: tuple[float, float | None] = (0.0, None)) -> int:
    """The rest of the previous page's last rows' cells, printed first on
    the next page (`page`): the end of a sentence goes to a deviation a
    break left open (`准确确定项` … `目计划。`: a name never ends so); the
    other text pieces, no more than the form's surplus of text cells, to
    the text cells of the last rows whose last line is widest (a cell cut
    by the break fills its lines).  pdfminer may print the page column by
    column, each column's piece first in it (`_pieces_by_column`).
    Returns how many text cells it joined."""
    # the last rows' cells: after the third-last actual, where a column of
    # actuals pdfminer printed together counts as one (the rows' names and
    # targets print before it)
    actual_at = [k for k, t in enumerate(before) if t.kind == "actual" and (k == 0 or before[k - 1].kind != "actual")]
    since = actual_at[-3] + 1 if len(actual_at) >= 3 else 0
    # a deviation the break left open; or its first line alone, joined to
    # the row's score beside it (top-aligned: `0.0 由于个别服务对象`), too
    # short for a deviation's words
    open_deviations = [t for k, t in enumerate(before[since:], start=since)
                       if (t.kind == "deviation" or t.kind == "text" and t.tail and k and before[k - 1].kind == "num")
                       and not _SENTENCE_END.search(t.text.strip())]
    # the rest of the deviation the break left open where pdfminer printed
    # it apart from the page's first cells: the top of the 偏差原因 column
    # printed under its label, else (no sentence's end among the first
    # cells) a sentence's end amid the figures
    rest = next((t for t in page if t.page == page[0].page and t.headed and t.kind in ("text", "deviation")), None)
    if rest is None and open_deviations and not any(
            _SENTENCE_END.search(t.text.strip()) and _fills_column_of(t, open_deviations[-1])
            for t in _first_text_run(page)):
        rest = _sentence_amid_figures(page, open_deviations[-1])
    sentences = [rest] if open_deviations and rest is not None and (rest.kind == "deviation" or surplus > 0) else []
    pieces = []
    for piece in page:
        if piece.page != page[0].page:
            break
        if any(piece is s for s in sentences):
            continue
        texts = len(pieces) + sum(p.kind == "text" for p in sentences + _ends_for(open_deviations, sentences))
        if len(sentences) < len(open_deviations) and _SENTENCE_END.search(piece.text.strip()) \
                and any(_fills_column_of(piece, d) for d in open_deviations) \
                and (piece.kind == "deviation" or piece.kind == "text" and texts < surplus):
            sentences.append(piece)
        elif piece.kind == "text" and texts < surplus:
            pieces.append(piece)
        else:
            break
    ended = _ends_for(open_deviations, sentences)
    candidates = [t for t in before[since:] if t.kind == "text" and not any(t is e for e in ended)]
    # the page's last row: after the second-last actual
    last_row = {id(t) for t in before[actual_at[-2] + 1 if len(actual_at) >= 2 else 0:]}
    # a cell that leaves a bracket open (`《2022张江`) was cut for sure: first;
    # then the cells of the last row (the break cut it), the fullest last
    # line, then the widest; on a tie the later cell
    ranked = sorted(range(len(candidates)), key=lambda k: (not _leaves_open(candidates[k].text),
                                                           id(candidates[k]) not in last_row,
                                                           -_last_line_fill(candidates[k], widths),
                                                           -em_width(candidates[k].text.split("\n")[-1]), -k))
    heads = [candidates[k] for k in sorted(ranked[:len(pieces)])]
    pieces = _pieces_by_column(before, page, sentences, pieces, heads, widths)
    pieces, heads = _pieces_that_end_the_sentence(before, page, sentences, pieces, heads)
    joins = list(zip(sentences, ended)) + list(zip(pieces, heads))
    joined = sum(piece.kind == "text" for piece, _ in joins) + sum(head.kind == "text" for head in ended)
    for piece, head in joins:
        head.text += "\n" + piece.text
        head.width = max(head.width, piece.width)
        piece.kind = "joined"
    for head in ended:
        head.kind = "deviation"
    return joined


def _sentence_amid_figures(page: list[Token], deviation: Token) -> Token | None:
    """The rest of a deviation the break left open where pdfminer grouped
    it with the 得分 column beside it (`6` `度。` `4`): the first text cell
    on the page between two figures that ends a sentence and fits the
    deviation's column (a name or a target never prints amid the figures
    and ends so)."""
    for k in range(1, len(page) - 1):
        piece = page[k]
        if piece.page != page[0].page:
            break
        if piece.kind == "text" and page[k - 1].kind == page[k + 1].kind == "num" \
                and _SENTENCE_END.search(piece.text.strip()) and _fills_column_of(piece, deviation) \
                and piece.width <= max(em_width(line) for line in deviation.text.split("\n")) + 0.25:
            return piece
    return None


def _fills_column_of(piece: Token, head: Token) -> bool:
    """Whether a cut cell's rest may be `piece`: its lines but the last fill
    the head's column (no more than a character short, which the break
    rules may move down), as the head's own lines do."""
    column = max(em_width(line) for line in head.text.split("\n"))
    return all(em_width(line) >= column - 1.0 for line in piece.text.split("\n")[:-1])


def _ends_for(open_deviations: list[Token], sentences: list[Token]) -> list[Token]:
    """The open deviations the sentences found end: the last ones."""
    return open_deviations[len(open_deviations) - len(sentences):] if sentences else []


def _join_rest(head: Token, piece: Token) -> None:
    """A cut cell's rest joined to it: its lines, its width, and a deviation
    cell's kind where either piece is one."""
    head.text += "\n" + piece.text
    head.width = max(head.width, piece.width)
    head.lines += piece.lines
    head.tail = False
    if piece.kind == "deviation" or content_kind(head.text) == "deviation":
        head.kind = "deviation"
    piece.kind = "joined"


_BRACKETS = ("《》", "（）", "()", "【】")


def _leaves_open(text: str, pair: str | None = None) -> bool:
    """Whether a text opens a bracket it does not close: a cell's text never
    does, so the cell goes on elsewhere."""
    return any(_depths(text, p)[1] > 0 for p in ([pair] if pair else _BRACKETS))


def _closes_first(text: str, pair: str) -> bool:
    """Whether a text closes a bracket it never opened (`细则》的要求`): the
    rest of a cell that left it open."""
    return _depths(text, pair)[0] < 0


def _depths(text: str, pair: str) -> tuple[int, int]:
    """The lowest and the last nesting depth of a bracket pair in a text."""
    depth = lowest = 0
    for ch in text:
        depth += (ch == pair[0]) - (ch == pair[1])
        lowest = min(lowest, depth)
    return lowest, depth


def _join_open_brackets(tokens: list[Token]) -> list[Token]:
    """A text cell that leaves a bracket open (`符合《上海市科技` /
    `两委档案操作实施`) was cut into two boxes -- pdfminer split the cell, or
    a page break did -- and its rest is the first text box after it, on its
    page or the next, that closes a bracket it never opened (`细则》的要求`),
    the names and figures of other rows between.  Where another open cell
    of the same bracket comes between, which rest is whose is not told:
    left apart."""
    blocked: set[int] = set()      # open cells after another open one, before its rest
    for k, head in enumerate(tokens):
        if head.kind not in ("text", "deviation") or k in blocked:
            continue
        for pair in _BRACKETS:
            if not _leaves_open(head.text, pair):
                continue
            for j in range(k + 1, len(tokens)):
                piece = tokens[j]
                if piece.page > head.page + 1:
                    break
                if piece.kind not in ("text", "deviation"):
                    continue
                if _closes_first(piece.text, pair):
                    _join_rest(head, piece)
                    break
                if _leaves_open(piece.text, pair):
                    blocked.add(j)
                    break
            break
    return [t for t in tokens if t.kind != "joined"]


def _pieces_that_end_the_sentence(before: list[Token], page: list[Token], sentences: list[Token],
                                  pieces: list[Token], heads: list[Token]) -> tuple[list[Token], list[Token]]:
    """A cut cell whose sentence the break left open (`…信息800-900` /
    `条。`) takes the piece that ends it where the page prints it right
    after the one-line piece chosen: that is the next row's name, which
    sits a line high, above a cut cell's rest (top-aligned), and never
    ends a sentence.  A name never ends one either: where the head chosen is a
    one-line cell right before a wrapped text cell (a row's name, then
    its target), the target takes the piece.  Returns the pieces and
    their heads."""
    run = [t for t in _first_text_run(page) if not any(t is s for s in sentences)]
    pieces, heads = list(pieces), list(heads)
    for i, (piece, head) in enumerate(zip(list(pieces), list(heads))):
        if _SENTENCE_END.search(head.text.strip()) or _SENTENCE_END.search(piece.text.strip()) \
                or "\n" in piece.text.strip():
            continue
        at = next(k for k, t in enumerate(run) if t is piece)
        rest = run[at + 1] if at + 1 < len(run) else None
        if rest is None or not _SENTENCE_END.search(rest.text.strip()) or any(rest is p for p in pieces):
            continue
        head = _sentence_cell_of(before, head, heads)
        column = max(em_width(line) for line in head.text.split("\n"))
        if rest.width <= column + 0.25:
            pieces[i], heads[i] = rest, head
    return pieces, heads


def _sentence_cell_of(before: list[Token], head: Token, heads: list[Token]) -> Token:
    """The cell a sentence's end goes to instead of `head`: the wrapped text
    cell right after a one-line head (its row's target after its name)."""
    at = next(k for k, t in enumerate(before) if t is head)
    after = before[at + 1] if at + 1 < len(before) else None
    if "\n" in head.text.strip() or after is None or after.kind != "text" or "\n" not in after.text.strip() \
            or _SENTENCE_END.search(after.text.strip()) or any(after is h for h in heads):
        return head
    return after


def _first_text_run(page: list[Token]) -> list[Token]:
    """The text cells a page prints first, before its first figure or actual."""
    run = []
    for token in page:
        if token.page != page[0].page or token.kind not in ("text", "deviation"):
            break
        if token.kind == "text":
            run.append(token)
    return run


def _last_line_fill(token: Token, widths: tuple[float, float | None]) -> float:
    """How nearly a cell's last line fills its column (1: full, as a line a
    page break cut does): the column is the cell's widest line where it
    wraps, else the narrowest measured column (targets', names') it fits."""
    lines = token.text.split("\n")
    last = em_width(lines[-1])
    if len(lines) > 1:
        column = max(em_width(line) for line in lines)
    else:
        column = min((w for w in widths if w and w >= last - 0.25), default=last)
    return min(last / column, 1.0) if column else 0.0


def _pieces_by_column(before: list[Token], page: list[Token], sentences: list[Token], pieces: list[Token],
                      heads: list[Token], widths: tuple[float, float | None]) -> list[Token]:
    """Which of the text cells printed first on the page are the rest of the
    cut `heads`: the cells at its top (`pieces`), or -- pdfminer printing
    the page column by column (`_column_pieces`) -- the first cell of each
    head's column.  The reading whose names and targets then fit the rows
    best wins; the cells at the top on a tie."""
    if not pieces:
        return pieces
    run = [t for t in _first_text_run(page) if not any(t is s for s in sentences)]
    by_column = _column_pieces(run, heads)
    if by_column is None or all(a is b for a, b in zip(by_column, pieces)):
        return pieces

    def cost(chosen: list[Token]) -> float:
        trial = [replace(t) for t in before + page]
        at = {id(t): k for k, t in enumerate(before + page)}
        for piece, head in zip(chosen, heads):
            trial[at[id(head)]].text += "\n" + piece.text
            trial[at[id(piece)]].kind = "joined"
        return labelling_cost([t for t in trial if t.kind != "joined"], *widths)

    return by_column if cost(by_column) < cost(pieces) else pieces


def _column_pieces(run: list[Token], heads: list[Token]) -> list[Token] | None:
    """The pieces of the cut `heads` (in column order) where the page's
    first run of text cells prints column by column: each head's column
    starts right after the last cell too wide for it (a cut cell's first
    line fills its column), the first at the run's start where none is,
    every cell of a column no wider than it.  None where the widths do not
    tell where a column starts."""
    limits = [em_width(head.text.split("\n")[0]) + 1.5 for head in heads]
    starts: list[int] = []
    for limit in limits:
        after = starts[-1] + 1 if starts else 0
        too_wide = [k for k in range(after, len(run)) if run[k].width > limit]
        if not too_wide and starts:
            return None
        start = too_wide[-1] + 1 if too_wide else 0
        if start >= len(run):
            return None
        starts.append(start)
    ends = starts[1:] + [len(run)]
    if any(run[k].width > limit for start, end, limit in zip(starts, ends, limits) for k in range(start, end)):
        return None
    return [run[k] for k in starts]


# A line whose second character may not start a line (`比，传播面`): the
# break rules moved its first character down with it, so the line before
# is short without ending a cell.
_PUSHED_DOWN = re.compile(r"^.[，。、；：！？）》」』,.;:!?)]")

_COMPLETE_NAME = re.compile(r"(?:率|度|性|数|量|次|数量)$")


def _split_stacked_cells(tokens: list[Token]) -> list[Token]:
    """Fewer text cells than the rows need names and text targets: pdfminer
    put the cells of two rows, one above the other in a column, in one box
    (`服务人次` / `系统运维工作完成率`).  A wrapped cell's first line fills
    its column, so a line narrower than the line after it, and one that ends
    as a name does (…率, …次), is where the next cell starts; so is the end
    of a sentence before a last line that ends as a name does (any time: a
    deviation and a name)."""
    settle_maybe_targets(tokens)
    rows = sum(t.kind == "actual" for t in tokens)
    last_actual = max((k for k, t in enumerate(tokens) if t.kind == "actual"), default=-1)
    # deviations the words did not tell: sentences after the last actual or
    # after a row's figures (a target that is one comes before its actual)
    sentences = sum(1 for k, t in enumerate(tokens)
                    if t.kind == "text" and _SENTENCE_END.search(t.text.strip())
                    and (k > last_actual or k > 0 and tokens[k - 1].kind == "num")
                    and not (k + 1 < len(tokens) and tokens[k + 1].kind == "actual"))
    deficit = (2 * rows - sum(t.kind == "target" for t in tokens)) \
        - (sum(t.kind == "text" for t in tokens) - sentences)
    cuts, chosen = [], {}
    for k, token in enumerate(tokens):
        lines = token.text.split("\n")
        if token.kind != "text" or len(lines) < 2:
            continue
        if len(lines) > 2 and _SENTENCE_END.search(lines[-2]) and _COMPLETE_NAME.search(lines[-1]) \
                and len("".join(lines[:-1])) >= 12:
            chosen[k] = {len(lines) - 2}   # a deviation's last sentence, then the next row's name
            continue
        for i in range(len(lines) - 1):
            if _PUSHED_DOWN.match(lines[i + 1]):
                continue        # the line is short by the break rules, not where a cell ends
            gain = em_width(lines[i + 1]) - em_width(lines[i])
            score = gain + (2.0 if _COMPLETE_NAME.search(lines[i]) else 0.0)
            if gain > 0 and score >= 3.0:
                cuts.append((score, k, i))
    for score, k, i in sorted(cuts, reverse=True):
        if deficit > 0:             # a box may hold the cells of three rows
            chosen.setdefault(k, set()).add(i)
            deficit -= 1
    if not chosen:
        return tokens
    out: list[Token] = []
    for k, token in enumerate(tokens):
        if k not in chosen:
            out.append(token)
            continue
        lines = token.text.split("\n")
        start = 0
        for end in sorted(chosen[k]) + [len(lines) - 1]:
            part = lines[start:end + 1]
            out.append(replace(token, text="\n".join(part), lines=len(part),
                               width=max(em_width(line) for line in part), tail=False))
            start = end + 1
    return out


def _cost_if_joined(tokens: list[Token], k: int, j: int, widths: tuple[float, float | None]) -> float:
    trial = [replace(t) for t in tokens]
    trial[k].text += "\n" + trial[j].text
    if trial[j].kind == "deviation":
        trial[k].kind = "deviation"
    del trial[j]
    trial = [t for t in trial if t.kind != "joined"]
    # a box of one character is hardly a cell of its own (a cut cell's last line)
    lone = sum(1 for t in trial if t.kind == "text" and len(re.sub(r"\s+", "", t.text)) <= 1)
    return labelling_cost(trial, *widths) + lone - _ends_a_sentence(tokens, k, j)


_SENTENCE_END = re.compile(r"[。；;！!]$")


def _ends_a_sentence(tokens: list[Token], k: int, j: int) -> float:
    """A cut cell's rest ends its sentence (`地调整取消。`) where the cut
    line did not; a name never does, and a target that does is followed by
    its actual."""
    head, piece = tokens[k].text.strip(), tokens[j].text.strip()
    if _SENTENCE_END.search(head) or not _SENTENCE_END.search(piece):
        return 0.0
    if j + 1 < len(tokens) and tokens[j + 1].kind == "actual":
        return 0.0
    return 1.5


def _put_row(assembly: FormAssembly, row: Row) -> None:
    index = assembly.new_indicator()
    for key in ROW_KEYS + ("level1", "level2"):
        value = getattr(row, key)
        if value is not None:
            assembly.put(FieldPath.indicator(index, key), value)
    if row.doubt:
        assembly.doubt([FieldPath.indicator(index, k) for k in sorted(row.doubt)],
                       f"indicator {index + 1}: cells matched to the row by order, not sure")


def _number(text: str | None):
    try:
        return parse_number(text)
    except ValueError:
        return None


def _take_totals(tokens: list[Token], total_at: int | None = None,
                 funding_weight=None, funding_score=None, grade: str | None = None) -> tuple[str, str] | None:
    """总分's two figures: the first two figures after the 总分 label, or
    the last two figures of the form (pdfminer mostly prints the 总分 row
    last, but a row's cell cut in two may print after it); the weight is the
    larger.  Where both readings differ, the one whose totals the other
    figures sum to (weights and scores, less the funding's) wins.  Where
    neither does (pdfminer printed the 得分 column, 总分's score last in it,
    before the 分值 column), the one pair of figures anywhere that does,
    with a score no more than its weight and in the printed grade's band;
    else the reading with the larger weight."""
    chosen = _choose_totals(tokens, total_at, funding_weight, funding_score, grade)[0]
    if chosen is None:
        return None
    a, b = tokens[chosen[0]].text, tokens[chosen[1]].text
    for i in sorted(chosen, reverse=True):
        del tokens[i]
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None and nb > na:
        a, b = b, a
    return a, b


def _total_readings_differ(tokens: list[Token], total_at: int | None) -> bool:
    """Whether 总分's readings -- the first two figures after its label, the
    form's last two -- print different values (where neither fits the
    sums, the choice between them is a guess)."""
    figures = [i for i, t in enumerate(tokens) if t.kind == "num"]
    after = [i for i in figures if total_at is not None and i >= total_at][:2]
    if len(figures) < 2 or len(after) < 2:
        return False
    values = lambda pair: sorted(_number(tokens[i].text) or Decimal(0) for i in pair)
    return values(after) != values(figures[-2:])


def _choose_totals(tokens: list[Token], total_at: int | None, funding_weight, funding_score,
                   grade: str | None) -> tuple[list[int] | None, bool]:
    """The token indexes of 总分's two figures (`_take_totals`), None where
    the form has fewer than two figures, and whether the other figures sum
    to them."""
    figures = [i for i, t in enumerate(tokens) if t.kind == "num"]
    if len(figures) < 2:
        return None, False
    options = [figures[-2:]]
    after = [i for i in figures if total_at is not None and i >= total_at]
    if len(after) >= 2 and after[:2] != figures[-2:]:
        options.insert(0, after[:2])
    values = {i: _number(tokens[i].text) for i in figures}

    def fits(pair: list[int]) -> bool:
        got = [values[i] for i in pair]
        rest = [values[i] for i in figures if i not in pair]
        if None in got or None in rest or funding_weight is None or funding_score is None:
            return False
        return abs(sum(rest) - (max(got) - funding_weight) - (min(got) - funding_score)) < _HALF_CENT

    def largest(pair: list[int]) -> Decimal:
        return max((values[i] or Decimal(0) for i in pair), default=Decimal(0))

    chosen = next((pair for pair in options if fits(pair)), None) or _the_pair_that_fits(figures, values, fits, grade)
    if chosen is not None:
        return chosen, True

    def fits_but_bare_targets(pair: list[int]) -> bool:
        got = [values[i] for i in pair]
        if None in got or funding_weight is None or funding_score is None:
            return False
        rest = [tokens[i] for i in figures if i not in pair]
        return _bare_target_choice(rest, max(got) - funding_weight + min(got) - funding_score) is not None

    # bare targets among the figures (`100`, `95`) keep any pair from
    # fitting: the one pair in the printed grade's band that the others sum
    # to once some of them are taken out (taking out figures fits many
    # pairs: the grade must tell)
    chosen = _the_pair_that_fits(figures, values, fits_but_bare_targets, grade) if grade is not None else None
    if chosen is not None:
        return chosen, False
    # neither fits (a bare target among the figures): the total weight is
    # the form's largest figure but a target's; the last two on a tie
    return max(reversed(options), key=largest), False


def _join_wrapped_figures(tokens: list[Token], total_at: int | None, funding_weight, funding_score,
                          grade: str | None) -> tuple[list[Token], int | None]:
    """A figure too wide for its narrow cell (总分's 得分 `98.99` beside its
    分值) wraps its last digits to a line pdfminer prints as a box of its
    own: `98.9` … `9`.  Where the figures do not sum to any reading of the
    totals, a figure with decimals and the bare digits right after it on
    its page are one figure if, joined, they do -- and only one such join
    does, or does once bare targets are taken out (`_bare_targets`); where
    no one join leaves the figures an even count, one pair of joins may.
    Returns the tokens and where the 总分 label is among them."""
    def add_up(trial: list[Token], at: int | None) -> bool:
        pair, fits = _choose_totals(trial, at, funding_weight, funding_score, grade)
        if fits or pair is None or funding_weight is None or funding_score is None:
            return fits
        values = [_number(trial[i].text) for i in pair]
        if None in values:
            return False
        weight, score = max(values), min(values)
        rest = [t for i, t in enumerate(trial) if t.kind == "num" and i not in pair]
        return _bare_target_choice(rest, weight - funding_weight + score - funding_score) is not None

    if add_up(tokens, total_at):
        return tokens, total_at
    cuts = [(k, k + 1) for k in range(len(tokens) - 1)
            if tokens[k].kind == tokens[k + 1].kind == "num" and "." in tokens[k].text
            and _CUT_DIGITS.match(tokens[k + 1].text) and tokens[k].page == tokens[k + 1].page
            and _decimals(tokens[k].text) + len(tokens[k + 1].text) <= _MOST_DECIMALS]
    joins = [_joined_at(tokens, total_at, [cut]) for cut in cuts]
    fitting = [join for join in joins if add_up(*join)]
    if not any(_even_figures(join[0]) for join in fitting):
        # two figures cut so (a row's `14.50` as `14.5` / `0` and 总分's
        # `96.1` / `7`): where no one join leaves two figures a row and two
        # for 总分 -- an even count -- the one pair of joins that does and
        # makes the sums.  A cut-off `0` changes no value: it may join a
        # one-decimal figure printed anywhere near (pdfminer may print the
        # `0` before its figure, whose line it joined to a cell beside it)
        cuts += [(k, z) for z, zero in enumerate(tokens) if zero.kind == "num" and zero.text == "0" and not zero.glued
                 for k, head in enumerate(tokens) if head.kind == "num" and _decimals(head.text) == 1
                 and abs(head.page - zero.page) <= 1 and abs(k - z) > 1]
        both: dict[tuple, tuple[list[Token], int | None]] = {}
        for a, b in combinations(cuts, 2):
            if len(set(a) | set(b)) == 4:
                trial = _joined_at(tokens, total_at, [a, b])
                if _even_figures(trial[0]) and add_up(*trial):
                    # where the `0` goes changes no value: one reading
                    both.setdefault(tuple(_number(t.text) for t in trial[0] if t.kind == "num"), trial)
        if len(both) == 1:
            return next(iter(both.values()))
    if len(fitting) == 1:
        return fitting[0]
    misread = funding_weight is None or funding_score is None or funding_score > funding_weight
    if misread and not fitting and len(joins) == 1 and sum(t.kind == "num" for t in tokens) % 2:
        # the sums cannot tell (no funding weight and score, or a score
        # above its weight: the grid misread), but the count does: two
        # figures a row and two for 总分 are an even number, and one figure
        # cut so (`100 98.5` `9`) makes it odd
        return joins[0]
    return tokens, total_at


def _even_figures(tokens: list[Token]) -> bool:
    return sum(t.kind == "num" for t in tokens) % 2 == 0


def _joined_at(tokens: list[Token], total_at: int | None,
               cuts: list[tuple[int, int]]) -> tuple[list[Token], int | None]:
    """The tokens with each cut figure (head, rest) joined to its cut-off
    digits, the digits' token gone, and where the 总分 label then is."""
    out = list(tokens)
    for head, rest in cuts:
        out[head] = replace(out[head], text=out[head].text + out[rest].text)
    gone = {rest for _, rest in cuts}
    at = total_at - sum(1 for k in gone if k < total_at) if total_at is not None else None
    return [t for k, t in enumerate(out) if k not in gone], at


def _join_cut_decimals(tokens: list[Token], total_at: int | None) -> tuple[list[Token], int | None]:
    """A table whose weights and scores print to two decimals (`5.00`) and
    whose cells are too narrow for a wider one (`10.00`) cuts it as `10.0`
    on the cell's first line and its last digit below; pdfminer may print
    that digit as a box of its own, after the figure or a few boxes later
    (the first line joined to the cells beside it), or on the next page
    where a page break cut the row.  A table keeps one
    precision, so a figure one decimal short takes the next bare digit
    that no other such figure took: left apart, the digits read as
    weights of rows that do not exist.  Returns the tokens and where the 总分
    label is among them."""
    nums = [t for t in tokens if t.kind == "num"]
    full = sum(_decimals(t.text) == _MOST_DECIMALS for t in nums)
    short = [k for k, t in enumerate(tokens) if t.kind == "num" and _decimals(t.text) == _MOST_DECIMALS - 1]
    whole = sum(_decimals(t.text) == 0 for t in nums)
    if not full or not short or whole - len(short) >= full:
        # no two-decimal table: more figures print without decimals than
        # the cut ones leave (a table that drops trailing zeros, `16`,
        # `15.9`, where only 总分 prints `97.83`) -- a bare digit is a figure
        return tokens, total_at
    joins: dict[int, int] = {}
    taken: set[int] = set()
    for k in short:
        for j in range(k + 1, len(tokens)):
            rest = tokens[j]
            if rest.page > tokens[k].page + 1:
                break
            if j not in taken and _cut_digit(rest):
                joins[k] = j
                taken.add(j)
                break
    _join_digits_printed_before(tokens, short, joins, taken)
    if not joins:
        return tokens, total_at
    out: list[Token] = []
    at = total_at
    for k, token in enumerate(tokens):
        if k in taken:
            if total_at is not None and k < total_at:
                at -= 1
            continue
        out.append(replace(token, text=token.text + tokens[joins[k]].text) if k in joins else token)
    return out, at


def _cut_digit(token: Token) -> bool:
    """A bare digit that may be the last line of a figure its cell cut."""
    return token.kind == "num" and re.fullmatch(r"\d", token.text) is not None and not token.glued


def _join_digits_printed_before(tokens: list[Token], short: list[int], joins: dict[int, int],
                                taken: set[int]) -> None:
    """A cut figure whose first line pdfminer joined to the row's cell
    beside it (`184.00(项) 10.0`) keeps its place in the row, while its
    digit goes with the column of figures printed before it.  Where as many
    cut figures lack a digit as digits are left, one for one, and every cut
    digit of the table is the same (so which figure takes which changes no
    value), each such figure takes a digit left before it."""
    left = [k for k in short if k not in joins]
    spare = [j for j, t in enumerate(tokens) if j not in taken and _cut_digit(t)]
    if not left or len(left) != len(spare):
        return
    if len({tokens[j].text for j in list(taken) + spare}) != 1:
        return
    for k, j in zip(left, spare):
        if not (j < k and tokens[k].page - 1 <= tokens[j].page <= tokens[k].page):
            return
    for k, j in zip(left, spare):
        joins[k] = j
        taken.add(j)


# The digits of a figure's last line when its cell wrapped it.
_CUT_DIGITS = re.compile(r"^\d{1,2}$")

# The forms print figures to two decimals at most (amounts to the cent;
# numbers are equal within half of it).
_MOST_DECIMALS = 2


def _the_pair_that_fits(figures: list[int], values: dict, fits, grade: str | None) -> list[int] | None:
    """The figures, anywhere, that the others sum to as totals (`fits`), the
    score no more than the weight and in the grade's band: the latest such
    pair, where all such pairs print the same two values; None where no
    pair or pairs of different values do."""
    from extract.checks.validate import grade_for   # the checks import this module

    found: dict[tuple, list[int]] = {}
    for a, b in combinations(figures, 2):
        if values[a] is None or values[b] is None:
            continue
        weight, score = max(values[a], values[b]), min(values[a], values[b])
        if grade is not None and grade_for(score) != grade:
            continue
        if fits([a, b]):
            found[(weight, score)] = [a, b]      # pairs come in print order: the latest kept
    return next(iter(found.values())) if len(found) == 1 else None


def _bare_targets(tokens: list[Token], expected_sum) -> set[int]:
    """Targets printed as a bare figure (`100`, `90`) look like weights: take
    out the fewest of the least weight-like figures that make the rest sum to
    the weights and scores the totals give; returns the ids of the tokens
    taken out."""
    figures = [t for t in tokens if t.kind == "num"]
    chosen = _bare_target_choice(figures, expected_sum) or ()
    for k in chosen:
        figures[k].kind = "glue" if figures[k].glued else "target"
    return {id(figures[k]) for k in chosen}


def _bare_target_choice(figures: list[Token], expected_sum) -> tuple[int, ...] | None:
    """`_bare_targets`' choice: the indexes of the figures to take out for
    the rest to sum to `expected_sum`, () where they already do, None where
    no choice among the suspects makes them."""
    values = [_number(t.text) for t in figures]
    if any(v is None for v in values) or expected_sum is None:
        return None
    surplus = sum(values) - expected_sum
    if abs(surplus) < _HALF_CENT:
        return ()
    # least weight-like first: large, and printed unlike most figures (decimals)
    common = max({_decimals(t.text) for t in figures}, key=lambda d: sum(_decimals(t.text) == d for t in figures))
    # a figure split off the text after it first (`24 小时…` is one cell)
    suspects = sorted(range(len(figures)), key=lambda k: (not figures[k].glued,
                                                          _decimals(figures[k].text) == common, -values[k]))[:10]
    for size in range(1, len(suspects) + 1):
        for chosen in combinations(suspects, size):
            if abs(sum(values[k] for k in chosen) - surplus) < _HALF_CENT:
                return chosen
    return None


def _reglue(tokens: list[Token]) -> list[Token]:
    """Put a figure that is no weight or score back at the start of the
    text it was split from."""
    out: list[Token] = []
    for k, token in enumerate(tokens):
        if token.kind == "glue":
            after = tokens[k + 1] if k + 1 < len(tokens) else None
            if after is None or after.kind == "num":
                token.kind = "target"
            else:
                after.text = token.text + after.text
                after.kind = content_kind(after.text)
                after.width += em_width(token.text)
                continue
        out.append(token)
    return out


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


