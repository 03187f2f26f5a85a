"""The indicator table of a flat text: rows found by their anchors, merged
一级/二级 labels assembled from their vertical pieces, the lines between two
anchors given to the deviation of the one and the cells of the next, and a
row's pieces split into 三级指标 / 年度指标值 / 实际完成值 by how well they fit
their columns.

Two mixins of the flat reader's form parser (`extract.parse.flat_reader`);
they work on its state: `lines`, `spans` (the tagger's), `doc` (the
document's column widths), `record`, `provenance` and `split_score`.
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
from dataclasses import replace
from typing import Any

from extract.layout.flat_format import ACTUAL, DEVIATION_LABELS, INDICATOR_NAME, TARGET
from extract.layout.labels import (
    IMPROVEMENT_LABEL_PIECES, IMPROVEMENT_LABELS, IMPROVEMENT_TURNS, INDICATOR_COLUMN_LABELS, INDICATOR_HEADER_WORDS,
    LEVEL1_NAMES, LEVEL1_OF_LEVEL2, LEVEL2_NAMES, TARGET_NATURES, label_key,
    read_with_extra_columns,
    without_section_weight,
)
from extract.layout.templates import indicator_column_labels, is_slot_row, label_tables, starts_sub_row
from extract.model import empty_indicator
from extract.parse.flat_lines import (
    NUMBER, SENTENCE_ENDS, TWO_CELLS, Line, _anchor, _first_chunk, _is_piece, _number, _run_lines, _segments,
    _segments_at, width, width_max,
)
from extract.parse.values import clean_cell_text, is_weight_and_score, parse_measure

log = logging.getLogger("selfeval.parse")

_LEVEL_NAMES = tuple(dict.fromkeys(LEVEL1_NAMES + LEVEL2_NAMES))


def _header_texts() -> tuple[str, ...]:
    """The indicator header from 三级指标 on, as its cells print it (every
    synonym), label keys joined."""
    texts = [""]
    for key in ("name", "target", "actual", "weight", "score", "deviation"):
        texts = [t + label_key(l) for t in texts for l in INDICATOR_COLUMN_LABELS[key]]
    return tuple(texts)


_HEADER_TEXTS = _header_texts()
# The reference header's columns from 三级指标 on.
_REFERENCE_COLUMNS = ("name", "target", "actual", "weight", "score", "deviation")
_HEADER_MIN = label_key(INDICATOR_COLUMN_LABELS["name"][0] + INDICATOR_COLUMN_LABELS["target"][-1])


def _header_run(lines: list[Line], i: int, own: str = "") -> int:
    """How many lines from line i print the indicator header row again (a
    header Word repeats on a later page: its cells in order, a wrapped
    label's pieces on lines of their own); 0 when line i starts none."""
    texts = _HEADER_TEXTS + ((own,) if own else ())
    acc, used, whole = "", 0, 0
    for line in lines[i:i + 12]:
        nxt = acc + label_key(line.text)
        if not any(t.startswith(nxt) for t in texts):
            break
        acc, used = nxt, used + 1
        if acc in texts:
            whole = used
            # a shorter synonym's text (`偏差原因分析`) may be the start of
            # the longer one wrapped on (`及改进措施` on a line of its own)
            if not any(t.startswith(acc) and t != acc for t in texts):
                break
    if whole:
        return whole
    return used if len(acc) >= len(_HEADER_MIN) else 0


def _level_head_lines(lines: list[Line], level_heads: list[str], column_labels: set[str]) -> int:
    """How many of the last lines print the 一级/二级 header cells (or part
    of them, from a page's top) before a repeated header's 三级指标: their
    text joined is the end of some `一级指标二级指标`, or they are column labels."""
    acc, used = "", 0
    for line in reversed(lines):
        key = label_key(line.text)
        if key in column_labels and not acc:
            used += 1
            continue
        if not key or not any(head.endswith(key + acc) for head in level_heads):
            break
        acc, used = key + acc, used + 1
    return used


def _join_wrapped_digits(lines: list[Line]) -> list[Line]:
    """A row's 分值 / 得分 line followed by the last digits its narrow cells
    wrapped after the point (`16.0 15.4` / `1`): the digits join the figures
    they end, the 得分 first where either could take one (scores carry the
    decimals), where joined they can be 分值 and 得分.  A row the page
    ends after prints those digits at the top of the next page, after the
    repeated header and the label cells it continues (`10.0 10.0` / break /
    `质量` / `指标` / `0 0`)."""
    out = list(lines)
    k = 0
    while k < len(out):
        line = out[k]
        m = _anchor(line.text)
        at = _wrapped_digits_after(out, k) if m else None
        fit = _joined_figures(m, out[at].text) if at is not None else None
        if fit is not None:
            (wa, wb), (sa, sb) = m.span("w"), m.span("s")
            text = line.text[:wa] + fit[0] + line.text[wb:sa] + fit[1] + line.text[sb:]
            out[k] = Line(text, line.page, line.start, line.indent, line.tight)
            del out[at]
        k += 1
    return out


_WRAPPED_DIGITS = re.compile(r"^\d{1,2}(?: \d{1,2})?$")


def _wrapped_digits_after(lines: list[Line], k: int) -> int | None:
    """Where the digits wrapped from line k's figures are: the next line on
    its page, or, where line k ends its page, a line among the next page's
    first ones with only pieces of 一级/二级 labels before it."""
    if k + 1 >= len(lines):
        return None
    if lines[k + 1].page == lines[k].page:
        return k + 1 if _WRAPPED_DIGITS.match(lines[k + 1].text) else None
    page = lines[k + 1].page
    for j in range(k + 1, min(k + 9, len(lines))):
        if lines[j].page != page:
            return None
        if _WRAPPED_DIGITS.match(lines[j].text):
            return j
        if re.search(r"\d", lines[j].text):
            return None
    return None


def _joined_figures(anchor: re.Match, digits_text: str) -> tuple[str, str] | None:
    """分值 and 得分 with the wrapped digits joined, if exactly they fit."""
    w, v = anchor.group("w"), anchor.group("s")
    digits = digits_text.split()
    joins = [(w + digits[0], v + digits[1])] if len(digits) == 2 else [(w, v + digits[0]), (w + digits[0], v)]
    # a figure wraps so only after its point: the one extended has one
    return next(((a, b) for a, b in joins if is_weight_and_score(a, b)
                 and all("." in old for old, new in ((w, a), (v, b)) if old != new)), None)


_BRACKETED_UNIT = r"[（(][^（()）\s\d]{1,6}[)）]"      # `（项）`, `(%)`
_UNIT_ALONE = re.compile(rf"^{_BRACKETED_UNIT}$")
_FIGURE_END = re.compile(r"\d$")
_MEASURE_END = re.compile(rf"\d\s*{_BRACKETED_UNIT}$")


def _cells_with_a_bare_figure(indicator: dict[str, Any]) -> list[str]:
    """The 指标值 / 实际值 cells that end in a figure without its unit (a
    page break may have moved the unit down)."""
    return [key for key in ("target", "actual") if indicator.get(key) and _FIGURE_END.search(indicator[key])]


_ENUMERATION_MARKS = ("、", "，", ",")

# A row whose best split into name / target / actual is less than this far
# ahead of the next best (in `_score_split` points) is doubted.
SPLIT_DOUBT_MARGIN = 1.5


_LONE_NUMBER = re.compile(rf"^{NUMBER}$")
_ENDS_IN_NUMBER = re.compile(rf"^(?:(?P<pre>.*)\s)?(?P<n>{NUMBER})$")


def _wrapped_anchor(lines: list[Line], i: int) -> tuple[Line, int] | None:
    """分值 / 得分 on lines of their own from line i, a figure too wide for
    its narrow column wrapped (`16` / `15.9` / `0`: the 得分 of two lines is
    not at the height of the 分值 of one, so no space joins them): the
    anchor line they make (`16 15.90`) and the lines used.  Only where the
    lone figures can be no target and actual of the row after them, and
    one way alone to join them gives 得分 ≤ 分值 ≤ 100."""
    first = _ENDS_IN_NUMBER.match(lines[i].text)
    if first is None or _anchor(lines[i].text):
        return None
    pre = (first.group("pre") or "").strip()
    run = [first.group("n")]
    for line in lines[i + 1:i + 5]:
        if not _LONE_NUMBER.match(line.text):
            break
        run.append(line.text)
    # a weight printed after the row's last cell (`部分达成 22`) and a
    # score below it; figures alone need a third line to be wrapped ones
    if len(run) < (2 if pre else 3):
        return None
    # bare figures before a row that prints its name, target and actual
    # are not that row's target and actual
    following = _anchor(lines[i + len(run)].text) if i + len(run) < len(lines) else None
    if following and len(_segments(following.group("pre").strip())) < 3:
        return None
    fits = []
    for cut in range(1, len(run)):
        weight, score = "".join(run[:cut]), "".join(run[cut:])
        if is_weight_and_score(weight, score):
            fits.append((weight, score))
    if len(fits) != 1:
        return None
    weight, score = fits[0]
    line = lines[i]
    return Line(f"{pre} {weight} {score}".strip(), line.page, line.start, line.indent, line.tight), len(run)


def _label_pieces(lines: list[Line], i: int) -> tuple[str, int, str]:
    """The vertical pieces of a level label from line i (`社会` / `效益` /
    `指标`): their text, the line after the last, and any text after the
    last piece on its line.  They stop at a whole label no longer one
    starts, or at a line that is no piece of one."""
    acc, j, tail = "", i, ""
    while j < len(lines) and j - i < 12:
        head, _, tail = lines[j].text.partition(" ")
        bare, weight = without_section_weight(head)
        if weight and acc + bare in _LEVEL_NAMES:
            return acc + head, j + 1, tail      # 产出指标(50分): the label as printed
        if not _is_piece(head) or not any(n.startswith(acc + head) for n in _LEVEL_NAMES):
            return acc, j, ""
        acc += head
        j += 1
        if (acc in _LEVEL_NAMES and not any(n.startswith(acc) and n != acc for n in _LEVEL_NAMES)) or tail:
            break
    return acc, j, tail


# A 一级指标 printed with its section weight: `产出指标(50分)`.
_WEIGHT_OPENS = re.compile(r"^[\u4e00-\u9fff]{0,4}[(（][\d.]*$")
_WEIGHT_CLOSES = re.compile(r"^[\d.]*分[)）]$")




def _join_section_weights(lines: list[Line]) -> list[Line]:
    """A label's last piece and its section weight wrapped in the narrow
    cell (`标(36` / `分)`) made one piece again."""
    out: list[Line] = []
    for line in lines:
        if out and _WEIGHT_OPENS.match(out[-1].text) and _WEIGHT_CLOSES.match(line.text):
            last = out.pop()
            line = Line(last.text + line.text, last.page, last.start, last.indent, last.tight)
        out.append(line)
    return out


@functools.cache


def header_keys(text: str) -> list[str] | None:
    """The columns a header's joined label keys name, in order; a last
    label may be cut short (its rest on the next line); a label no family
    prints read by its words (`read_with_extra_columns`: columns no key holds as `extra`).  None: no reading."""
    reading = _header_reading(text)
    return list(reading[0]) if reading is not None else None


def _header_reading(text: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] | None:
    """`header_keys`'s reading, with the labels read by their words and
    those read as extra columns."""
    return read_with_extra_columns(text, indicator_column_labels(), INDICATOR_HEADER_WORDS, cut_short=True)


def _is_unit(text: str) -> bool:
    """Text that could be a 度量单位 cell on its own (`%`, `万次`, `页`)."""
    return not re.search(r"\d", text) and parse_measure("1" + text).unit is not None




def _bare_figure(segment: str) -> Any:
    """A segment that is a 分值 or 得分 cell: a number up to 100."""
    value = _number(segment) if re.fullmatch(NUMBER, segment) else None
    return value if value is not None and value <= 100 else None


def _extra_column_after(columns: list[str], key: str) -> bool:
    """Whether a header's `columns` print a column the record keeps in
    `extra` right after `key`'s (核定得分 after 得分)."""
    return key in columns and columns.index(key) + 1 < len(columns) and columns[columns.index(key) + 1] == "extra"


def _text_column_before_figures(columns: list[str]) -> bool:
    """Whether a header's `columns` print a column kept in `extra` between
    the actual and 分值 / 得分 (评分标准): a fourth cell before the anchor."""
    columns = [key for key in columns if key != "weight"]    # (分值 is moved beside 得分)
    return "actual" in columns and "score" in columns \
        and "extra" in columns[columns.index("actual") + 1:columns.index("score")]


_THREE_FIGURES = re.compile(rf"(^|\s)({NUMBER})\s+({NUMBER})\s+({NUMBER})(?=\s+[^\d\s]|$)")


def _figures_after_score(lines: list[Line]) -> tuple[list[Line], list[str]]:
    """A template that prints a figure column after 得分 (核定得分, 复核分):
    that figure taken off each row's `<分值> <得分> <figure>`, so that the row
    ends in the anchor the reference order gives; and the figures taken, in
    the order of the rows."""
    out, taken = [], []
    for line in lines:
        m = _THREE_FIGURES.search(line.text)
        if m is None or _bare_figure(m.group(2)) is None or _bare_figure(m.group(3)) is None:
            out.append(line)
            continue
        taken.append(m.group(4))
        out.append(replace(line, text=line.text[:m.start(4)].rstrip() + line.text[m.end(4):]))
    return out, taken


def _figures_to_row_end(lines: list[Line]) -> list[Line]:
    """A template that prints 分值 before the target (三级指标 分值 指标值
    实际值 得分): its rows' 分值 moved beside their 得分 (`name 16 当年完成
    达成指标 16` → `name 当年完成 达成指标 16 16`), so that each row ends in
    the `<分值> <得分>` anchor the reference order gives.  A row's 分值 is
    the first lone figure after the last 得分; its 得分 the next lone figure
    with the target's and the actual's cells (two pieces at least) between."""
    out = list(lines)
    weight: tuple[int, int, str] | None = None    # (line, segment index, text)
    between = 0
    between_lines: set[int] = set()               # lines of the target's and actual's cells
    for k in range(len(out)):
        segments = _segments(out[k].text)
        for n, segment in enumerate(segments):
            figure = _bare_figure(segment)
            if weight is None:
                if figure is not None:
                    weight, between, between_lines = (k, n, segment), 0, set()
                continue
            if figure is None or between < 2 or figure > _number(weight[2]):
                between += 1
                between_lines.add(k)
                continue
            # (a target and an actual printed as bare figures, `95 95` on a
            # line of their own between the 分值 and the 得分: no anchor)
            for j in between_lines - {k, weight[0]}:
                if _anchor(out[j].text) is not None:
                    out[j] = replace(out[j], no_anchor=True)
            line_w, seg_w, text_w = weight
            if seg_w == len(_segments(out[line_w].text)) - 1 and line_w + 1 < len(out) \
                    and not (line_w + 1 == k and n == 0):
                # the 分值 ended its line: the next line starts the target's cell
                out[line_w + 1] = replace(out[line_w + 1], tight=True)
            segments[n] = f"{text_w} {segment}"
            if line_w == k:
                del segments[seg_w]
            else:
                kept = _segments(out[line_w].text)
                del kept[seg_w]
                # (`name 95 95` left where 分值 stood: the target and actual, no anchor)
                out[line_w] = replace(out[line_w], text=" ".join(kept), no_anchor=_anchor(" ".join(kept)) is not None)
            weight = None
        out[k] = replace(out[k], text=" ".join(segments))
    return [line for line in out if line.text]



class IndicatorRows:
    """The rows of the indicator table (a mixin of the flat form parser)."""

    def _is_sub_row(self, line: Line) -> bool:
        """A `其中…` sub-row of the row above (衔接资金 forms): its cells on
        one line, with no 分值 / 得分 where the header prints them."""
        return starts_sub_row(line.text) and not (self.prints_figures and _anchor(line.text))

    def _read_indicator_header(self, header: int, end: int) -> int:
        """The indicator header's columns from 三级指标 on, in printed order
        (`self.columns`), read from its labels as wrapped over lines; returns
        the line after the header's last."""
        first = self.lines[header].text
        at = first.find(INDICATOR_COLUMN_LABELS["name"][0])
        text, j = label_key(first[max(at, 0):]), header + 1
        keys = header_keys(text)
        if keys is None and j < end and header_keys(text + label_key(self.lines[j].text)) is not None:
            keys = []       # a label no family prints, wrapped: read whole with the next line
        while j < end and keys is not None:
            longer = header_keys(text + label_key(self.lines[j].text))
            if longer is None or not label_key(self.lines[j].text):
                break
            text, keys, j = text + label_key(self.lines[j].text), longer, j + 1
        # a header no label or word reads, or read without a target or an actual
        # (which every form prints): its rows are read by a guess the reader says
        self.header_unread = not keys or "actual" not in keys or not {"target", "target_part"} & set(keys)
        self.columns = keys or list(_REFERENCE_COLUMNS)
        reading = _header_reading(text)
        self.unknown_labels.update(reading[1] + reading[2] if reading is not None else ())
        self.extra_labels = list(reading[2]) if reading is not None else []
        self.header_key = text
        self.target_parts = self.columns.count("target_part") == 3
        self.text_column = _text_column_before_figures(self.columns)
        self.figure_column_after_score = _extra_column_after(self.columns, "score")
        return j

    def _indicator_lines(self, header: int, end: int) -> list[Line]:
        """Lines of the indicator rows: after the header (and its vertical
        deviation-label pieces), before 总分."""
        after_header = self._read_indicator_header(header, end)
        column_labels = {label for label, _ in indicator_column_labels()}
        while header + 1 < end and all(label_key(t) in column_labels for t in self.lines[header + 1].text.split()):
            header += 1
        head = self.lines[header].text
        start = header + 1
        dev_labels = [label_key(l) for l in label_tables().indicator_columns["deviation"]]
        # the 偏差原因分析及改进措施 label's rest on lines of its own (the
        # header may end in a shorter synonym's text: `偏差原因分析及改`)
        tail_key = label_key(head).split(label_key(INDICATOR_COLUMN_LABELS["score"][0]))[-1]
        acc = tail_key if any(l.startswith(tail_key) for l in dev_labels) else ""
        j = start
        while j < end:
            nxt = acc + label_key(self.lines[j].text)
            if nxt == acc or not any(l.startswith(nxt) for l in dev_labels):
                break
            acc = nxt
            j += 1
            if acc in dev_labels and not any(l.startswith(acc) and l != acc for l in dev_labels):
                break
        start = max(j, after_header)
        # A header row repeated on a later page (Word's "repeat as header
        # row") is no indicator text, nor are its 一级/二级 label cells before
        # it, however narrow columns wrap them (`一级指` / `标`, or a
        # character a line).
        level_heads = [label_key(l1 + l2) for l1 in INDICATOR_COLUMN_LABELS["level1"]
                       for l2 in INDICATOR_COLUMN_LABELS["level2"]]
        kept: list[Line] = []
        body = self.lines[start:end]
        skip = 0
        for k, line in enumerate(body):
            if skip:
                skip -= 1
                continue
            tokens = line.text.split()
            if is_slot_row(line.text) or self._is_sub_row(line):
                continue          # an empty slot row (指标2：……) or a 其中 sub-row is no indicator
            run = _header_run(body, k, self.header_key)
            if run or (len(tokens) >= 2 and all(label_key(t) in column_labels for t in tokens)):
                del kept[len(kept) - _level_head_lines(kept, level_heads, column_labels):]
                skip = max(run - 1, 0)
                continue
            kept.append(line)
        targets = [k for k, key in enumerate(self.columns) if key in ("target", "target_part")]
        if "weight" in self.columns and targets and self.columns.index("weight") < targets[0]:
            kept = _figures_to_row_end(kept)
        if self.figure_column_after_score:
            kept, self.figures_after_score = _figures_after_score(kept)
        return _join_wrapped_digits(_join_section_weights(kept))

    def extra_column_label(self, position: int) -> str:
        """The printed label of the header's `position`-th extra column: a
        family's extra column label, or a label no family prints."""
        known = [label for label in label_tables().indicator_extra_columns if label_key(label) in self.header_key]
        found = sorted(known + self.extra_labels, key=lambda l: self.header_key.find(label_key(l)))
        return found[position] if position < len(found) else f"column {position + 1}"

    def raw_rows(self) -> list[list[str]]:
        """Rough rows (lines up to each anchor) for measuring column widths."""
        s = self.sections()
        if s["indicators"] is None:
            return []
        lines = self._indicator_lines(s["indicators"], s["end"])
        if not self.prints_figures:
            # the rows as cut with the widths known so far: their cells' lines
            return [sum((row["_cells"][key] for key in ("name", "target", "actual")), [])
                    for row in self._rows_without_figures(lines)]
        if self.target_parts:
            # narrow split-target cells print pieces as short as a label's:
            # the labels are told apart by their names
            lines = [line for kind, _, line in self._items(lines) if kind in ("text", "anchor")]
        rows, current = [], []
        in_deviation = False
        for line in lines:
            if _is_piece(line.text) and not self.target_parts and not (current and self.text_column):
                # a piece of a merged 一级/二级 label ... or, where a text
                # column stands before the figures, a short cell's last line
                current = []
                continue
            m = _anchor(line.text) if not line.no_anchor else None
            if m:
                pre = m.group("pre").strip()
                rows.append(current + ([pre] if pre else []))
                current = []
                # lines of a deviation cell: up to its sentence end
                in_deviation = bool(m.group("post")) or _number(m.group("s")) < _number(m.group("w"))
            elif in_deviation:
                in_deviation = line.text[-1] not in "。！!"
            else:
                current.append(line.text)
        return rows

    def _indicators(self, header: int, end: int) -> None:
        lines = self._indicator_lines(header, end)
        if not self.prints_figures:
            indicators = self._rows_without_figures(lines)
            for i, indicator in enumerate(indicators):
                del indicator["_cells"]
                for key in ("weight", "score"):
                    self.absent[f"indicators[{i}].{key}"] = indicator["_lines"]
            self._keep_indicators(indicators)
            return
        items = self._items(lines)
        indicators: list[dict[str, Any]] = []
        level1 = level2 = None
        implied = False               # level1 known from a 二级 label, its own not printed yet
        pending: list[Line] = []      # text lines since the last anchor
        last: dict[str, Any] | None = None
        last_meta: dict[str, Any] = {}
        # labels printed at the top of a page, before the rest of the row the
        # break cut (Word breaks a row across pages): that row is theirs too
        held: list[Line] = []
        group_starts: list[int] = []  # the rows at which a label's group began
        for kind, value, line in items:
            if kind in ("level1", "level2"):
                if not held:
                    group_starts.append(len(indicators))
                if last is not None and not pending and (held or line.page != last_meta["page"]) \
                        and not last_meta.get("post"):
                    held.append(line)
                else:
                    self._close_pending(last, last_meta, pending, None)
                    self._read_from(last, pending, [])
                    pending, last, held = [], None, []
                # a label printed after rows it spans (a page break moved it down)
                if kind == "level1" and value == level1 and implied:
                    # the 一级 label its 二级 label already implied, printed
                    # below the rows it spans (a page break moved it down)
                    implied = False
                    continue
                unlabelled = [ind for ind in indicators if ind[kind] is None
                              and (kind == "level1" or ind["level1"] == level1)]
                for ind in unlabelled:
                    ind[kind] = value
                if kind == "level1":
                    if not (unlabelled and level1 is None):
                        level2 = None
                    level1 = value
                    implied = False
                else:
                    level2 = value
                    parent = LEVEL1_OF_LEVEL2.get(value)
                    if parent is not None and parent != without_section_weight(level1 or "")[0]:
                        # the 二级 label names its 一级 group: a 一级 label
                        # not printed yet (a page break cut its cell) is that one
                        level1, implied = parent, True
            elif kind == "text":
                pending.append(value)
            elif kind == "anchor" and held:
                # units alone after the labels: the last lines of the cut
                # row's 指标值 / 实际值 cells (Word moved `（项）` over the break)
                units = self._unit_continuation(last, pending)
                if units:
                    self._read_from(last, pending[:units], [])
                    pending = pending[units:]
                # the rest of the cut row's cell, if the lines before this
                # anchor hold more than its own row needs
                k = len(_segments(value.group("pre").strip()))
                need = 0 if k >= 3 else (1 if k >= 1 else 2)
                options = []          # (score, lines continuing the cut row, its cell, units after them)
                for c in range(0, len(pending) - need + 1):
                    # a cell's last lines, then units alone that end the
                    # figures beside it (top-aligned cells print in column order)
                    units = self._trailing_units(last, pending[:c])
                    text = pending[:c - len(units)]
                    key, fit = self._continuation_fit(last_meta, text) if text else (None, 0.0)
                    if c and text and key is None:
                        continue
                    options.append((fit + self._row_fit(pending[c:], value, line), c, key, units))
                options.sort(key=lambda o: (-o[0], o[1]))
                _, c, key, units = options[0] if options else (0.0, 0, None, [])
                row = len(indicators) - 1
                if c:
                    if key is not None:
                        last[key] = clean_cell_text("\n".join([last.get(key) or ""]
                                                              + [l.text for l in pending[:c - len(units)]]))
                    self._unit_continuation(last, units)
                    last["level1"], last["level2"] = level1, level2
                    self._read_from(last, pending[:c], [])
                # whether the row before the break is in the group of the
                # labels printed after it is a guess either way
                close = len(options) > 1 and options[0][0] - options[1][0] < SPLIT_DOUBT_MARGIN
                paths = ["level1", "level2"] + (["name", "target", "actual"] if close or c else [])
                if close or c:   # the row after the break: what it was left with is a guess too
                    self.doubts.append(([f"indicators[{row + 1}].{k}" for k in ("name", "target", "actual")],
                                        f"row {row + 2}: its first lines may be the rest of the row before"))
                self.doubts.append(([f"indicators[{row}].{k}" for k in paths],
                                    f"row {row + 1}: last before a page break, labels printed after it"
                                    + ("; lines after the break taken as the rest of its cell" if c else "")))
                # a merged label prints where centring over its whole cell
                # puts it: all after the break when most of its rows are
                # there, so rows before the break since the last label's
                # first row may be in its group too (the break hides which)
                since = max([s for s in group_starts if s <= row], default=0)
                earlier = [r for r in range(since + 1, row)
                           if indicators[r]["_lines"][-1].page == last_meta["page"]]
                if earlier:
                    self.doubts.append(([f"indicators[{r}].{k}" for r in earlier for k in ("level1", "level2")],
                                        f"rows {earlier[0] + 1}-{row}: before a page break, labels printed "
                                        f"after it that may be theirs"))
                row_lines = pending[c:]
                pending, held = [], []
                indicator, meta = self._labelled_row(row_lines, value, line, level1, level2, len(indicators))
                indicators.append(indicator)
                last, last_meta = indicator, meta
            elif kind == "anchor":
                self.overruled = False
                row_lines = self._close_pending(last, last_meta, pending, value, line)
                self._read_from(last, pending, row_lines)
                if self.overruled:
                    row = len(indicators)
                    self.doubts.append(([f"indicators[{r}].{k}" for r in (row - 1, row)
                                         for k in ("name", "target", "actual", "deviation")],
                                        f"rows {row} and {row + 1}: lines the model read as a deviation "
                                        f"taken for the next row's cells"))
                pending = []
                indicator, meta = self._labelled_row(row_lines, value, line, level1, level2, len(indicators))
                indicators.append(indicator)
                last, last_meta = indicator, meta
        self._close_pending(last, last_meta, pending, None)
        self._read_from(last, pending, [])
        self._keep_indicators(indicators)

    def _keep_indicators(self, indicators: list[dict[str, Any]]) -> None:
        """The rows read into the record, with the doubts their reading left
        and the lines each was read from; the cells of columns the record
        keeps in `extra` (评分标准, 核定得分), a list per column."""
        texts = [indicator.pop("_extra", None) for indicator in indicators]
        if any(texts):
            self.extra[self.extra_column_label(0)] = [t or "" for t in texts]
        figures = self.figures_after_score
        if figures and len(figures) == len(indicators):
            self.extra[self.extra_column_label(1 if any(texts) else 0)] = list(figures)
        for i, indicator in enumerate(indicators):
            margin = indicator.pop("_margin", None)
            if margin is not None and margin < SPLIT_DOUBT_MARGIN:
                self.doubts.append(([f"indicators[{i}].{k}" for k in ("name", "target", "actual")],
                                    f"row {i + 1}: where its 三级指标 / 指标值 / 实际值 lines part is a close call "
                                    f"(margin {margin:.2f})"))
            guess = indicator.pop("_cut_guess", None)
            if guess:
                self.doubts.append(([f"indicators[{i}].{k}" for k in guess],
                                    f"row {i + 1}: the lines after a page break end one of its "
                                    f"{' / '.join(guess)} cells, as full as each other"))
            read_from = indicator.pop("_lines")
            for key in indicator:
                self.provenance[f"indicators[{i}].{key}"] = read_from
        self.record["indicators"] = indicators

    def _labelled_row(self, row_lines: list[Line], anchor: re.Match, line: Line, level1: str | None,
                      level2: str | None, number: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """The row read from its lines, under the merged labels in force."""
        indicator, meta = self._row(row_lines, anchor, line)
        indicator["level1"], indicator["level2"] = level1, level2
        if self.text:  # not while measuring column widths
            log.debug("row %d at offset %d: %s | %s | %s | %s %s", number, line.start,
                      indicator["name"], indicator["target"], indicator["actual"],
                      indicator["weight"], indicator["score"])
        return indicator, meta

    @staticmethod
    def _read_from(last: dict[str, Any] | None, pending: list[Line], next_row: list[Line]) -> None:
        """Add the lines after a row's anchor that went to its deviation (or
        to a cell a page break cut) to the lines the row was read from."""
        if last is not None:
            kept = set(map(id, next_row))
            last["_lines"] += [line for line in pending if id(line) not in kept]

    def _items(self, lines: list[Line]) -> list[tuple[str, Any, Line]]:
        """Level labels (assembled from their pieces), anchors and text lines."""
        items: list[tuple[str, Any, Line]] = []
        lines = list(lines)
        i = 0
        current: dict[str, str | None] = {"level1": None, "level2": None}
        # the unprinted rest of a label completed from its first pieces (a
        # page break cut it); its pieces come later and are skipped
        rest = {"level1": "", "level2": ""}
        while i < len(lines):
            used, tail = self._skip_rest(lines, i, rest)
            if not used:
                label, used, tail = self._match_label(lines, i, current)
                if label is not None:
                    level, name, printed = label
                    current[level] = name
                    rest[level] = name[len(printed):] if name.startswith(printed) else ""
                    items.append((level, name, lines[i]))
            if used:
                i += used
                if tail:
                    # the text printed at the height of the last piece: read it again
                    i -= 1
                    at = lines[i].text.rfind(tail)
                    lines[i] = Line(tail, lines[i].page, lines[i].start + max(at, 0))
                continue
            wrapped = _wrapped_anchor(lines, i)
            if wrapped is not None:
                merged, used = wrapped
                items.extend(self._classify(merged))
                i += used
                continue
            new = self._classify(lines[i])
            # `name 98 98` then `5.00 5.00`: numbers of the target and actual
            # printed above the row's 分值 / 得分
            if (new[0][0] == "anchor" and items and items[-1][0] == "anchor"
                    and not new[0][1].group("pre").strip() and not items[-1][1].group("post")):
                previous = items.pop()[2]
                merged = Line(previous.text + " " + lines[i].text, previous.page, previous.start, tight=previous.tight)
                new = self._classify(merged)
            items.extend(new)
            i += 1
        return items

    @staticmethod
    def _skip_rest(lines: list[Line], i: int, rest: dict[str, str]) -> tuple[int, str]:
        """Skip the pieces, from line i, that print the rest of a label already
        completed; returns (lines used, text after the last piece on its line)."""
        for level, remaining in rest.items():
            if not remaining:
                continue
            acc, j, tail = "", i, ""
            while j < len(lines):
                head, _, after = lines[j].text.partition(" ")
                if not _is_piece(head) or not remaining.startswith(acc + head):
                    break
                acc, j, tail = acc + head, j + 1, after
                if tail or acc == remaining:
                    break
            ends = acc == remaining or tail or j >= len(lines) or not _is_piece(lines[j].text.partition(" ")[0])
            if acc and ends:
                rest[level] = remaining[len(acc):]
                return j - i, tail
        return 0, ""

    @property
    def prints_figures(self) -> bool:
        """Whether the indicator header prints 分值 or 得分 (rows end in them)."""
        return "weight" in self.columns or "score" in self.columns

    def _classify(self, line: Line) -> list[tuple[str, Any, Line]]:
        m = _anchor(line.text) if self.prints_figures and not line.no_anchor else None
        if m:
            return [("anchor", m, line)]
        return [("text", line, line)]

    def _match_label(self, lines: list[Line], i: int, current: dict[str, str | None]):
        """A level label whose vertical pieces start at line i: ((level, name,
        printed part), lines used, text after the last piece on its line).
        Pieces that start a known name and stop before a row are that name,
        cut by a page break."""
        acc, j, tail = _label_pieces(lines, i)
        bare, _ = without_section_weight(acc)
        if bare in _LEVEL_NAMES:
            return (self._level_of(bare, current), acc, acc), j - i, tail
        names = [n for n in _LEVEL_NAMES if n.startswith(acc)]
        if acc and names and self._cut_label_may_end(lines, j, tail):
            name, confirmed = self._cut_label_name(lines, j, acc, names)
            level = self._level_of(name, current)
            # one character starts too many texts: its rest must follow the
            # break, and it must open a row (a wrapped cell's last character
            # is no label)
            if (len(acc) >= 2 or (confirmed and (i == 0 or _anchor(lines[i - 1].text)))) \
                    and not self._label_before_break(lines, j, tail, level, current):
                return (level, name, acc), j - i, tail
        return None, 0, ""

    def _label_before_break(self, lines: list[Line], j: int, tail: str, level: str,
                            current: dict[str, str | None]) -> bool:
        """Whether a whole label of `level` is printed from line j to the
        next page break: then the group of a label of that level cut at the
        break cannot have started before it (`服务` ending a name above a
        二级 label is no cut 服务对象满意度指标).  A 一级 label may print
        below the first 二级 label of its group, so only the same level counts."""
        k = j
        if tail:
            # the label the text after the pieces starts (`效益 社会` / `效益`
            # / `指标`: 社会效益指标) is not one printed below them
            k = j - 1 + _label_pieces([Line(tail, lines[j - 1].page, 0)] + lines[j:], 0)[1]
        while k < len(lines) and lines[k].page == lines[j - 1].page:
            acc, end, _ = _label_pieces(lines, k)
            acc = without_section_weight(acc)[0]
            if acc in _LEVEL_NAMES and self._level_of(acc, current) == level:
                return True
            k = max(end, k + 1)
        return False

    @staticmethod
    def _cut_label_name(lines: list[Line], j: int, acc: str, names: list[str]) -> tuple[str, bool]:
        """Which label pieces `acc`, cut by a page break, start: the one whose
        rest the pieces after the break print (`社会` / … / `效益` `指标`),
        else the shortest; and whether the rest was found so."""
        names = sorted(names, key=len)
        after = next((k for k in range(j, len(lines)) if lines[k].page != lines[j - 1].page), None)
        if after is not None:
            printed = ""
            for line in lines[after:after + 30]:
                head = line.text.partition(" ")[0]
                if not _is_piece(head):
                    break
                printed += head
            for name in names:
                if name[len(acc):] and name[len(acc):] in printed:
                    return name, True
        return names[0], False

    @staticmethod
    def _cut_label_may_end(lines: list[Line], j: int, tail: str) -> bool:
        """Whether pieces that only start a label may stop before line j (a
        page break cut the label): a page break must lie ahead, and a row
        must follow (the last line of a cell wrapped under the one before,
        `服务` of `…到场` / `服务`, is followed by its row's anchor at once)."""
        # no row after them (the table ends): they are the last lines of
        # the cut row before them (`满意度` of `主管部门及用户` / `满意度`)
        if j >= len(lines):
            return False
        if not any(line.page != lines[j - 1].page for line in lines[j:]):
            return False
        following = tail or lines[j].text
        m = _anchor(following)
        return not (m and len(_segments(m.group("pre").strip())) < 3)

    @staticmethod
    def _level_of(name: str, current: dict[str, str | None]) -> str:
        if name in LEVEL1_NAMES and name not in LEVEL2_NAMES:
            return "level1"
        if name in LEVEL2_NAMES and name not in LEVEL1_NAMES:
            return "level2"
        # 成本指标 is both: a 二级 label when a 一级 group is open and has no 二级 yet
        return "level2" if current.get("level1") and current.get("level1") != name else "level1"

    # ---------------- rows
    def _close_pending(self, last: dict[str, Any] | None, meta: dict[str, Any], pending: list[Line],
                       anchor: re.Match | None, anchor_line: Line | None = None) -> list[Line]:
        """Give the lines after the last anchor (`anchor` on `anchor_line`,
        None before a label or 总分) to its deviation (or to a cell a page
        break cut); return the lines that start the next row."""
        if last is None:
            return pending
        post = meta.get("post")
        dev: list[str] = [post] if post else []
        rest = list(pending)
        need = 0
        cells = 3 + self.text_column         # name, target, actual (and a text column before the figures)
        if anchor is not None:
            k = len(_segments(anchor.group("pre").strip()))
            need = _lines_holding(rest, 0 if k >= cells else (cells - 2 if k >= 1 else cells - 1))
        weight, score = _number(last["weight"] or ""), _number(last["score"] or "")
        lost_points = weight is not None and score is not None and score < weight
        tagged = self._tagged_deviation_end(rest)
        if tagged and not (lost_points or post) and rest[tagged - 1].text[-1] not in "。！!" \
                and self._tagged_deviation_starts_a_line(rest):
            # the model reads a note on a row with full marks that ends no
            # sentence: more likely the next row's text, a guess either way
            # (not where its note starts inside a line, `指标6：` / `系统…`: no cell does)
            self.overruled = True
        if rest and not post and rest[0].page != meta["page"] and len(rest) - 1 >= need:
            rest = rest[self._continue_unless_a_row(last, meta, rest, len(rest) - need, anchor, anchor_line):]
        if anchor is None:
            dev += [l.text for l in rest]         # before a label or 总分: nothing else it can be
            rest = []
        elif lost_points or post:
            n = self._deviation_extent(rest, dev, max(0, len(rest) - need))
            dev += [l.text for l in rest[:n]]
            rest = rest[n:]
        else:
            # a note on a row with full marks: sentences before the next
            # row's lines (a 三级指标 name never ends a sentence)
            k = len(_segments(anchor.group("pre").strip()))
            available = len(rest) - (cells if k == 0 else max(need, 1))
            n = next((k + 1 for k in range(available) if rest[k].text[-1] in "。！!"), 0)
            # (a line that is a split target's 指标性质 cell is the next row's)
            if n and not any(l.tight or TWO_CELLS.search(l.text) or (self.target_parts and l.text in TARGET_NATURES)
                             for l in rest[:n]):
                dev += [l.text for l in rest[:n]]
                rest = rest[n:]
        if dev:
            last["deviation"] = clean_cell_text("\n".join(dev)) or None
        return rest

    def _tagged_deviation_starts_a_line(self, rest: list[Line]) -> bool:
        """Whether the model's first deviation span among these lines starts
        where one of them does."""
        a, b = rest[0].start, rest[-1].start + len(rest[-1].text)
        starts = sorted(s for s, e, label in self.spans if label in DEVIATION_LABELS and e > a and s < b)
        return not starts or starts[0] < a or any(line.start == starts[0] for line in rest)

    def _tagged_deviation_end(self, rest: list[Line]) -> int | None:
        if not self.spans or not rest:
            return None
        a, b = rest[0].start, rest[-1].start + len(rest[-1].text)
        inside = [(s, e) for s, e, label in self.spans
                  if label in DEVIATION_LABELS and e > a and s < b]
        name_start = [s for s, e, label in self.spans if label in (INDICATOR_NAME, TARGET, ACTUAL) and a <= s < b]
        if not inside and not name_start:
            return None
        if not inside:
            return 0
        end = max(e for _, e in inside)
        n = 0
        for k, line in enumerate(rest):
            if line.start < end:
                n = k + 1
        return n

    def _deviation_extent(self, rest: list[Line], dev: list[str], available: int) -> int:
        """How many of `rest` (at most `available`) continue a deviation cell:
        up to the first line that closes a sentence and is not followed by the
        measure part (改进措施 / 下一步将 …)."""
        text = "".join(dev)
        if text and text[-1] in SENTENCE_ENDS[:3] and not self._continues([Line(text, 0, 0)] + rest, 0):
            return 0
        for n in range(1, available + 1):
            line = rest[n - 1]
            if n > 1 and line.tight:
                return 0 if not dev else n - 1
            text += line.text
            if text[-1] in "。！!" and not self._continues(rest, n - 1):
                return n
        return available if dev else 0

    @staticmethod
    def _continues(rest: list[Line], k: int) -> bool:
        """Whether the line after rest[k] continues a deviation (its measure part)."""
        if k + 1 >= len(rest):
            return False
        nxt = rest[k + 1].text
        starts = tuple(l.rstrip("：") for l in IMPROVEMENT_LABELS) + IMPROVEMENT_TURNS + IMPROVEMENT_LABEL_PIECES
        return nxt.startswith(starts)


def _lines_holding(lines: list[Line], cells: int) -> int:
    """How many of the last `lines` the next row's `cells` cells need at
    least: a line may print several cells side by side (`邮件系统运行状况
    正常运行 达成指标`), so fewer lines than cells may hold them all."""
    if cells <= 0 or not lines:
        return 0
    held = 0
    for n, line in enumerate(reversed(lines), start=1):
        held += max(1, len(_segments(line.text)))
        if held >= cells:
            return n
    return len(lines) + cells - held          # more than there are: none to spare


class RowCells:
    """A row's cells: its pieces split into name, target and actual (a mixin
    of the flat form parser)."""

    def _continuation_fit(self, meta: dict[str, Any], fragment: list[Line]) -> tuple[str | None, float]:
        """The cell of a row a page break cut that these lines after the
        break would best continue, and how well they fit it (its lines but
        the last fill the column, none is wider)."""
        cells = meta.get("cell_lines") or {}
        caps = self._cell_capacities()
        best: tuple[str | None, float] = (None, 0.0)
        for key in ("name", "target", "actual"):
            if not cells.get(key):
                continue
            texts = [cells[key][-1]] + [l.text for l in fragment]
            fit = 0.0
            for k, text in enumerate(texts):
                if k and width(text) > caps[key] + 0.75:
                    fit -= 3.0
                if k < len(texts) - 1:
                    full = width_max(text) + width_max(_first_chunk(texts[k + 1])) > caps[key] - 0.25
                    fit += 0.5 if full else -1.5
            if best[0] is None or fit > best[1]:
                best = (key, fit)
        return best

    def _row_fit(self, row_lines: list[Line], anchor: re.Match, line: Line) -> float:
        """How well a row's lines split into its cells (no state changed)."""
        saved = (self.split_score, self.split_margin)
        self.split_score = 0.0
        self._split_cells(row_lines, anchor.group("pre").strip(), line)
        fit = self.split_score
        self.split_score, self.split_margin = saved
        return fit

    def _continue_after_break(self, last: dict[str, Any], meta: dict[str, Any], lines: list[Line],
                              available: int) -> int:
        """How many of the first lines (at most `available`) after a page
        break are the rest of the cut row's cells: units alone, or a cell's
        last lines; they are added to the row."""
        units = self._unit_continuation(last, lines[:available])
        if units:
            return units
        if not available or not (self._continue_cells(last, meta, lines[0])
                                 or self._continue_cell(last, meta, lines[0])):
            return 0
        # a name's rest, then the units of the cells beside it (top-aligned
        # cells print their last lines after the break in column order)
        taken = 1 + self._continue_more(last, meta, lines[1:available])
        return taken + self._unit_continuation(last, lines[taken:available])

    def _continue_unless_a_row(self, last: dict[str, Any], meta: dict[str, Any], lines: list[Line],
                               available: int, anchor: re.Match | None, anchor_line: Line | None) -> int:
        """`_continue_after_break`, unless the lines it would take read
        better as the start of the next row (a row ending its page with a
        name that fills its column is no cut row for that alone)."""
        trial_last, trial_meta = dict(last), dict(meta)
        taken = self._continue_after_break(trial_last, trial_meta, lines, available)
        if taken and anchor is not None and anchor_line is not None:
            _, fit = self._continuation_fit(meta, lines[:taken])
            if fit + self._row_fit(lines[taken:], anchor, anchor_line) < self._row_fit(lines, anchor, anchor_line):
                return 0
        last.update(trial_last)
        meta.update(trial_meta)
        return taken

    @staticmethod
    def _trailing_units(last: dict[str, Any] | None, lines: list[Line]) -> list[Line]:
        """The last of `lines` that are units alone, as many as end the cut
        row's figures that lack their unit (none where more would be needed)."""
        open_cells = _cells_with_a_bare_figure(last or {})
        k, count = len(lines), 0
        while k > 0:
            segments = _segments(lines[k - 1].text)
            if not segments or not all(_UNIT_ALONE.match(seg) for seg in segments):
                break
            k, count = k - 1, count + len(segments)
        if count > len(open_cells):
            return []
        return lines[k:]

    def _unit_continuation(self, last: dict[str, Any], lines: list[Line]) -> int:
        """How many of the first lines are units alone (`（项）`, or
        `（项） （项）` for two cells) that end the cut row's 指标值 and 实际值,
        in that order, where those hold a figure without its unit; they are
        added to the cells.  0 when the lines are no such units."""
        open_cells = _cells_with_a_bare_figure(last)
        pieces: list[tuple[int, str]] = []
        for k, line in enumerate(lines):
            segments = _segments(line.text)
            if not segments or not all(_UNIT_ALONE.match(seg) for seg in segments):
                break
            pieces += [(k + 1, seg) for seg in segments]
        if not pieces or len(pieces) > len(open_cells):
            return 0
        # fewer units than open cells: the last ones are cut (a value's unit
        # prints under it; the 实际值 cell is the one the break reaches last)
        for key, (_, unit) in zip(open_cells[len(open_cells) - len(pieces):], pieces):
            last[key] = clean_cell_text(last[key] + "\n" + unit)
        return pieces[-1][0]

    def _cell_capacities(self) -> dict[str, float]:
        """How many CJK characters a line of each cell holds (the document's
        measure; a default where there is none)."""
        doc = self.doc
        return {"name": doc.name_capacity if doc else 14.0,
                "target": doc.narrow_capacity if doc else 6.0,
                "actual": doc.narrow_capacity if doc else 6.0}

    def _continue_cells(self, last: dict[str, Any], meta: dict[str, Any], fragment: Line) -> bool:
        """Two or three cells cut by a page break go on on one line after it
        (`率 科技工作、成`, or a name's rest and the units of the figures
        beside it, `答辩所有场次 （%） （%）`): its text segments, in column
        order, continue the cells whose last line filled its column, if
        exactly so many did; units after them end the figures, as
        `_unit_continuation` places them."""
        segments = _segments(fragment.text)
        units = 0
        while units < len(segments) and _UNIT_ALONE.match(segments[len(segments) - 1 - units]):
            units += 1
        texts = segments[:len(segments) - units]
        open_cells = _cells_with_a_bare_figure(last)
        if not texts or len(texts) + units < 2 or units > len(open_cells) or _anchor(fragment.text):
            return False
        cells = meta.get("cell_lines") or {}
        capacities = self._cell_capacities()
        # the cells the segments go on, in column order: each one's last
        # line too full for its own segment's first characters (`容 确、规范`
        # after `科技服务信息内` / `权威、准`); where more than one choice
        # fits, the first is a guess (the cells they differ in are doubted)
        keys = [key for key in ("name", "target", "actual") if cells.get(key)]
        fits = [full for full in itertools.combinations(keys, len(texts))
                if all(width(cells[key][-1]) + width(_first_chunk(seg)) > capacities[key]
                       and width(seg) <= capacities[key] + 0.5 for key, seg in zip(full, texts))]
        if not fits:
            return False
        full = list(fits[0])
        if len(fits) > 1:
            differ = {key for fit in fits for key in fit if not all(key in other for other in fits)}
            last["_cut_guess"] = sorted(differ, key=("name", "target", "actual").index)
        for key, seg in zip(full, texts):
            last[key] = clean_cell_text((last.get(key) or "") + "\n" + seg)
        for key, unit in zip(open_cells[len(open_cells) - units:], segments[len(texts):]):
            last[key] = clean_cell_text(last[key] + "\n" + unit)
        meta["continued"] = (full[-1], capacities[full[-1]], texts[-1])
        return True

    def _continue_cell(self, last: dict[str, Any], meta: dict[str, Any], fragment: Line) -> bool:
        """A cell cut by a page break: add the fragment after the break to the
        cell whose last line filled its column, if one did."""
        cells = meta.get("cell_lines") or {}
        capacities = self._cell_capacities()
        candidates = []
        for key in ("name", "target", "actual"):
            cell = cells.get(key)
            # a figure closed by its unit (`100.00（%）`) is a whole value
            if not cell or (key != "name" and _MEASURE_END.search(cell[-1])):
                continue
            # the fragment's first character did not fit on the cell's last line
            if width(cell[-1]) + width(_first_chunk(fragment.text)) <= capacities[key]:
                continue
            candidates.append(key)
        # a sentence's end goes on with a cell that is a sentence
        if fragment.text[-1] in SENTENCE_ENDS:
            sentences = [key for key in candidates if any(mark in "".join(cells[key]) for mark in "，,；;")]
            candidates = sentences or candidates
        best, fill = None, 0.0
        for key in candidates:
            ratio = width(cells[key][-1]) / capacities[key]
            if best is None or ratio > fill + 0.05 or (abs(ratio - fill) <= 0.05 and key != "name"):
                best, fill = key, ratio
        if best is None or width(fragment.text) > capacities[best] + 0.5 or _anchor(fragment.text):
            return False
        # another cell as full as the one taken could as well be the one cut
        tied = [key for key in candidates if key != best
                and abs(width(cells[key][-1]) / capacities[key] - fill) <= 0.05]
        if tied:
            last["_cut_guess"] = sorted({best, *tied}, key=("name", "target", "actual").index)
        last[best] = clean_cell_text((last.get(best) or "") + "\n" + fragment.text)
        meta["continued"] = (best, capacities[best], fragment.text)
        return True

    def _continue_more(self, last: dict[str, Any], meta: dict[str, Any], lines: list[Line]) -> int:
        """After `_continue_cell` took a line after the break: how many of
        `lines` go on with that cell (each line before fills the column, none
        is wider than it); they are added to it."""
        key, capacity, previous = meta.get("continued") or (None, 0.0, "")
        if key is None:
            return 0
        n = 0
        for line in lines:
            if width(previous) + width(_first_chunk(line.text)) <= capacity \
                    or width(line.text) > capacity + 0.5 or _anchor(line.text):
                break
            last[key] = clean_cell_text(last[key] + "\n" + line.text)
            previous, n = line.text, n + 1
        return n
    def _row(self, row_lines: list[Line], anchor: re.Match, line: Line) -> tuple[dict[str, Any], dict[str, Any]]:
        indicator = empty_indicator()
        indicator["weight"] = anchor.group("w")
        indicator["score"] = anchor.group("s")
        pre = anchor.group("pre").strip()
        self.split_margin = None
        cells = self._split_cells(row_lines, pre, line)
        indicator["_margin"] = self.split_margin
        for key in ("name", "target", "actual"):
            indicator[key] = clean_cell_text("\n".join(cells[key])) or None
        if self.text_column:
            indicator["_extra"] = clean_cell_text("\n".join(cells["extra"]))
        indicator["_lines"] = row_lines + [line]
        meta = {"post": (anchor.group("post") or "").strip(), "page": line.page, "cell_lines": cells}
        return indicator, meta

    def _split_cells(self, row_lines: list[Line], pre: str, anchor_line: Line) -> dict[str, list[str]]:
        """Name / target / actual lines of a row: `row_lines` before the anchor
        line, `pre` the anchor line's text before 分值.

        The cells follow one another (name, target, actual); two cells printed
        at one height share a line, separated by a space.  Every split of the
        pieces into three runs is scored by how well each run's lines fit its
        column (a wrapped cell fills its column on every line but the last),
        by the spaces it puts inside a cell, by the single line breaks that
        mark a new cell, and by the target / actual reading as measures."""
        doc = self.doc
        caps = {"name": doc.name_capacity if doc else 14.0,
                "target": doc.narrow_capacity if doc else 6.0,
                "actual": doc.narrow_capacity if doc else 6.0}
        # pieces: (text, line number, new line?, tight?); and where each starts in the text
        pieces: list[tuple[str, int, bool, bool]] = []
        offsets: list[int] = []
        for n, line in enumerate(row_lines + [Line(pre, anchor_line.page, anchor_line.start, tight=anchor_line.tight)]):
            for k, (seg, at) in enumerate(_segments_at(line.text)):
                pieces.append((seg, n, k == 0, line.tight and k == 0))
                offsets.append(line.start + at)
        cells: dict[str, list[str]] = {"name": [], "target": [], "actual": []}
        if self.text_column:
            cells["extra"] = []
        if not pieces:
            return cells
        if len(pieces) == 1:
            cells["name"] = [pieces[0][0]]
            return cells
        if len(pieces) == 2:
            cells["name"], cells["target"] = [pieces[0][0]], [pieces[1][0]]
            return cells
        # the last cell (the actual, or a text column after it), when on the
        # anchor line, is the anchor line's last piece only
        anchor_pieces = [i for i, p in enumerate(pieces) if p[1] == len(row_lines)]
        extra = self.text_column and len(pieces) >= 4
        best, best_score = None, None
        scores: list[float] = []
        for a in range(1, len(pieces) - 1):
            for b in range(a + 1, len(pieces) - extra):
                for c in (range(b + 1, len(pieces)) if extra else (len(pieces),)):
                    last = c if extra else b
                    if anchor_pieces and last != anchor_pieces[-1]:
                        continue
                    score = self._score_split(pieces, a, b, caps, c)
                    if self.spans:
                        target = self._span_starts(offsets[a], TARGET)
                        if self.target_parts and not target and pieces[a][0] in TARGET_NATURES:
                            # the model, trained on one-cell targets, starts one after its 指标性质 cell
                            target = self._span_starts(offsets[a + 1], TARGET)
                        score += 3.0 * (target + self._span_starts(offsets[b], ACTUAL))
                    scores.append(score)
                    if best_score is None or score > best_score:
                        best, best_score = (a, b, c), score
        if best is None:
            best = (1, 2, len(pieces))
        else:
            self.split_score += best_score
            scores.sort(reverse=True)
            # how far the split taken is ahead of the next best one
            self.split_margin = scores[0] - scores[1] if len(scores) > 1 else None
        a, b, c = best
        for key, run in (("name", pieces[:a]), ("target", pieces[a:b]), ("actual", pieces[b:c]),
                         ("extra", pieces[c:])):
            if key in cells:
                cells[key] = _run_lines(run)
        return cells

    def _span_starts(self, offset: int, label: str) -> bool:
        """Whether the tagger starts a `label` span at this char offset."""
        return any(start == offset and lab == label for start, _, lab in self.spans)

    def _score_split(self, pieces: list[tuple[str, int, bool, bool]], a: int, b: int,
                     caps: dict[str, float], c: int | None = None) -> float:
        """How well the runs name | target | actual (| a text column after it,
        from `c`) fit their cells."""
        score = 0.0
        c = len(pieces) if c is None else c
        runs = {"name": pieces[:a], "target": pieces[a:b], "actual": pieces[b:c]}
        if c < len(pieces):
            runs["extra"] = pieces[c:]
        for key, run in runs.items():
            split_target = key == "target" and self.target_parts
            # a split target's lines are those of three columns narrower
            # than the one measured: not weighed by it (the actual's are)
            # (nor a column kept in `extra`, whose width nothing measured)
            lines = [] if split_target else _run_lines(run)
            # (a text column kept in `extra`, 评分标准: no width measured, so
            # taken as narrow as the target's and the actual's)
            cap = caps.get(key, caps["target"])
            if split_target:
                # ... but a line of theirs as wide as the actual's column is none of theirs
                score -= sum(1.0 for line in _run_lines(run)[1:] if width(line) >= caps["actual"] - 0.25)
            for k, line in enumerate(lines):
                w = width(line)
                if w > cap + 0.75:
                    # (measured on rows cut by their alignment alone where no figures end them: less sure)
                    score -= (3.0 if key != "name" else 2.0) if self.prints_figures else 1.0
                if k < len(lines) - 1:
                    # greedy wrapping: the next line's first character did not fit
                    full = width_max(line) + width_max(_first_chunk(lines[k + 1])) > cap
                    score += 0.5 if full else -1.5
                    if line[-1] in "。！!":
                        score -= 1.0      # a 三级指标 / 指标值 / 实际值 is one sentence at most
                    if key in ("target", "actual") and _MEASURE_END.search(line):
                        score -= 1.0      # a figure closed by its unit (`95.87(%)`) ends its cell
            # a space inside a cell (not operator + number, not Latin words;
            # one after an enumeration comma is the extractor's gap before
            # a figure of another font, `卷、 3000件`)
            # (a target split over 指标性质 / 指标值 / 度量单位 is three cells at one height)
            for k in range(1, len(run)):
                if run[k][1] == run[k - 1][1] and not run[k - 1][0].endswith(_ENUMERATION_MARKS) \
                        and not split_target:
                    score -= 1.0
            if split_target and run and (run[0][0] in TARGET_NATURES or run[0][0][:1] in TARGET_NATURES):
                score += 2.0          # the 指标性质 cell opens the target
            # no cell ends in an enumeration comma
            if key not in ("actual", "extra") and run and run[-1][0].endswith(_ENUMERATION_MARKS):
                score -= 1.5
            # a single line break inside a cell
            for k in range(1, len(run)):
                if run[k][3]:
                    score -= 2.0
        for start in (a, b, c)[:len(runs) - 1]:
            if pieces[start][3]:
                score += 1.0
            elif not pieces[start][2] and not pieces[start - 1][0].endswith(_ENUMERATION_MARKS):
                score += 0.5           # two cells at one height
        text_t = "".join(p[0] for p in runs["target"])
        text_a = "".join(p[0] for p in runs["actual"])
        if parse_measure(text_t).value is not None:
            score += 0.75
        if parse_measure(text_a).value is not None:
            score += 0.75
        if re.match(r"^[(（]", text_a) or re.match(r"^[(（]", text_t):
            score -= 2.0              # a unit cut from its number
        actual = runs["actual"]
        if self.target_parts and len(actual) > 1 and not actual[0][2] and _is_unit(actual[0][0]):
            score -= 1.0              # a split target's 度量单位 cell read as the start of the actual
        return score


# How a page's cells may sit in their rows (`corpus.flat`, Word): all centred,
# all at the top, or the 三级指标 / 指标值 cells at the top and the rest centred.
_ALIGNMENTS = ((False, False, False, False), (True, True, True, True),
               (True, False, False, False), (False, True, False, False), (True, True, False, False))
# Rows read without 分值 / 得分 longer than this many lines are not tried.
_MAX_ROW_LINES = 12


def _first_lines(counts: list[int], top: tuple[bool, ...]) -> list[float]:
    """Where each cell's first line sits in a row as tall as its tallest
    cell (in lines from the row's top): at the top or centred."""
    height = max(counts)
    return [0.0 if at_top else (height - c) / 2 for c, at_top in zip(counts, top)]


def _cells_align(cells: list[list[tuple[str, int, bool, bool]]], alignments: tuple[tuple[bool, ...], ...]) -> bool:
    """Whether a row's pieces split into these cells could be printed so, in
    one of `alignments`: the text joins a cell's first line to the line
    before with a space exactly where that line (the last of the cell
    before) sits at its height."""
    counts = [len({piece[1] for piece in cell}) for cell in cells]
    for top in alignments:
        first = _first_lines(counts, top)
        if all((abs(first[k - 1] + counts[k - 1] - 1 - first[k]) < 0.01) == (not cells[k][0][2])
               for k in range(1, len(cells))):
            return True
    return False


def _deviation_fit(deviation: list[tuple[str, int, bool, bool]]) -> float:
    """How well pieces read as a deviation cell of unknown width: each line
    but the last as full as its widest line allows (the next line's first
    word did not fit), a single line break before it and none inside."""
    lines = _run_lines(deviation)
    widest = max((width_max(line) for line in lines), default=0.0)
    fit = sum(-1.5 for line, nxt in zip(lines, lines[1:]) if width_max(line) + width_max(_first_chunk(nxt)) <= widest)
    if deviation and deviation[0][3]:
        fit += 1.0
    return fit - 2.0 * sum(piece[3] for piece in deviation[1:])


class RowsWithoutFigures:
    """Rows of a table that prints no 分值 / 得分 (a mixin of the flat form
    parser): no anchor ends a row, so the lines are cut into rows where
    their cells (三级指标 / 指标值 / 实际值, a deviation after them) fit their
    columns and sit in their row as a page prints them."""

    def _rows_without_figures(self, lines: list[Line]) -> list[dict[str, Any]]:
        """The rows, under the merged labels in force.  A label that opens a
        page may be that of the rows the page before ended with too (its
        merged cell cut by the break): it is given to the last of them that
        did not open its own group, and those fields are doubted."""
        indicators: list[dict[str, Any]] = []
        level1 = level2 = None
        group_start = 0               # the row the 二级 label in force began with
        run: list[Line] = []

        def close() -> None:
            for row in self._cut_rows(run):
                row["level1"], row["level2"] = level1, level2
                indicators.append(row)
            run.clear()

        for kind, value, line in self._items(lines):
            if kind == "text":
                run.append(value)
                continue
            close()
            # rows before any label of theirs: a page break put their merged cell's text after them
            unlabelled = [i for i, row in enumerate(indicators) if row[kind] is None]
            for i in unlabelled:
                indicators[i][kind] = value
            if unlabelled:
                self.doubts.append(([f"indicators[{i}].{kind}" for i in unlabelled],
                                    f"rows {unlabelled[0] + 1}-{unlabelled[-1] + 1}: no label before them, "
                                    f"the {kind} printed after them taken"))
            last = indicators[-1] if indicators else None
            if kind == "level2" and last is not None and line.page != last["_lines"][-1].page \
                    and len(indicators) - 1 > group_start:
                last["level2"] = value
                row = len(indicators) - 1
                self.doubts.append(([f"indicators[{row}].level2"],
                                    f"row {row + 1}: last before a page break, the label after it may be its own"))
            if kind == "level1":
                level1, level2 = value, None
            else:
                level2 = value
                parent = LEVEL1_OF_LEVEL2.get(value)
                if parent is not None and level1 is None:
                    level1 = parent
            group_start = len(indicators)
        close()
        return indicators

    def _cut_rows(self, lines: list[Line]) -> list[dict[str, Any]]:
        """The rows of lines between two labels: of the ways to cut them into
        rows whose cells align, the one that fits the columns best.  A page
        sets its cells one way, so the rows are cut under each alignment
        alone first; any row's own alignment only where none fits them all."""
        cuts = [cut for top in _ALIGNMENTS if (cut := self._cut_rows_aligned(lines, (top,))) is not None]
        best = max(cuts, key=lambda cut: cut[0]) if cuts else self._cut_rows_aligned(lines, _ALIGNMENTS)
        if best is None:
            if lines:
                self.doubts.append(([], f"lines at offset {lines[0].start}: no way to cut them into rows"))
            return []
        self.split_score += best[0]
        return best[1]

    def _cut_rows_aligned(self, lines: list[Line], alignments: tuple[tuple[bool, ...], ...]
                          ) -> tuple[float, list[dict[str, Any]]] | None:
        """The best cut of `lines` into rows aligned in one of `alignments`,
        and its score; None: there is none."""
        n = len(lines)
        best: list[tuple[float, int, Any] | None] = [None] * (n + 1)   # (score, row start, reading)
        best[0] = (0.0, 0, None)
        for j in range(1, n + 1):
            for i in range(max(0, j - _MAX_ROW_LINES), j):
                if best[i] is None:
                    continue
                reading = self._read_row_lines(lines[i:j], alignments)
                if reading is None:
                    continue
                total = best[i][0] + reading[0]       # (the rows' fit, as `_DocumentStats` weighs it)
                if best[j] is None or total > best[j][0]:
                    best[j] = (total, i, reading)
        if best[n] is None:
            return None
        rows: list[dict[str, Any]] = []
        j = n
        while j > 0:
            _, i, (_, cells, margin) = best[j]
            indicator = empty_indicator()
            for key, text in cells.items():
                indicator[key] = clean_cell_text("\n".join(text)) or None
            indicator["_margin"] = margin
            indicator["_lines"] = lines[i:j]
            indicator["_cells"] = cells
            rows.append(indicator)
            j = i
        return best[n][0], rows[::-1]

    def _read_row_lines(self, row_lines: list[Line], alignments: tuple[tuple[bool, ...], ...]
                        ) -> tuple[float, dict[str, list[str]], float | None] | None:
        """One row's lines read as 三级指标 / 指标值 / 实际值 and, after them,
        a deviation that closes a sentence: the best aligned reading's score,
        its cells' lines and its lead over the next best; None: no reading aligns."""
        pieces = [(seg, n, k == 0, line.tight and k == 0)
                  for n, line in enumerate(row_lines) for k, seg in enumerate(_segments(line.text))]
        if len(pieces) < 3:
            return None
        caps = self._cell_capacities()
        scores: list[tuple[float, int, int, int]] = []
        for a in range(1, len(pieces) - 1):
            for b in range(a + 1, len(pieces)):
                for d in range(b + 1, len(pieces) + 1):
                    deviation = pieces[d:]
                    # a deviation is sentences (it ends one), no cell at its height after it
                    if deviation and (deviation[-1][0][-1] not in SENTENCE_ENDS
                                      or not all(piece[2] for piece in deviation[1:])):
                        continue
                    cells = [pieces[:a], pieces[a:b], pieces[b:d]] + ([deviation] if deviation else [])
                    if not _cells_align(cells, alignments):
                        continue
                    scores.append((self._score_split(pieces[:d], a, b, caps) + _deviation_fit(deviation),
                                   a, b, d))
        if not scores:
            return None
        scores.sort(reverse=True)
        score, a, b, d = scores[0]
        cells = {"name": _run_lines(pieces[:a]), "target": _run_lines(pieces[a:b]),
                 "actual": _run_lines(pieces[b:d]), "deviation": _run_lines(pieces[d:])}
        margin = scores[0][0] - scores[1][0] if len(scores) > 1 else None
        return score, cells, margin
