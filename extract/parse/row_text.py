"""Row-ordered flat texts of 绩效自评表 forms → form records.

Three extractors people use print a form's table row by row, not cell by
cell as the content-order text does (`extract.parse.flat_reader`):
- ``cells``: a table copied from a web page: a line per row, its cells split
  by one separator (tab, ``" | "`` or two spaces), a merged cell only in the
  first row it spans;
- ``spaced``: lines by height, a line of every cell printed at that height on
  one text line: pdfplumber splits cells by one space, ``pdftotext -layout``
  by runs of spaces (their start a rough x).

`row_text_shape` tells them from the content-order text by the indicator
header line; `parse_row_text` reads them.  The head, funding, goal and total
rows are read by their labels (`extract.layout.labels`); the indicator table
by `extract.parse.row_columns`.  Everything read goes into a `FormAssembly`.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from dataclasses import replace
from itertools import product
from typing import Callable

from extract.layout.flat_format import em_width
from extract.layout.labels import (
    FORM_TITLE, FUNDING_BLOCK_LABELS, GOAL_BLOCK_LABELS, GOAL_COLUMN_LABELS, GRADE_LABELS, GRADES, HEAD_LABELS,
    HEADER_LABEL_ENDINGS, HEADER_WORD_MAX_CHARS, INDICATOR_COLUMN_LABELS, INDICATOR_HEADER_WORDS, NULL_MARKS,
    SLOT_NAME, YEAR_IN_TEXT, column_key, is_closing_label, is_label, label_key, match_header_word, match_label,
)
from extract.layout.templates import (
    Title, is_appropriation_row, is_extra_column_label, label_tables, money_unit_in, read_title, split_head_total,
)
from extract.model import FUNDING_KEYS as FUNDING_ROW_NAMES, FieldPath, FormResult, Provenance
from extract.parse.assembly import FormAssembly
from extract.parse.values import is_number_token, is_weight_and_score, parse_number
from extract.parse.row_cells import header_keys, read_cell_rows
from extract.parse.row_bands import first_unit
from extract.parse.row_columns import Frag, TextLine, capacities, document_decimals, read_indicator_lines

METHOD = "row-text"
# Lines by height (pdfplumber, pdftotext): which column a piece of a line
# belongs to is a guess (extract.checks.confidence caps such fields); a web
# table's cells are split by its separator.
GUESSED_METHOD = f"{METHOD}:lines"
WEB_SEPARATORS = ("\t", " | ")
FUNDING_KEYS = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")
INDICATOR_ORDER = ("level1", "level2", "name", "target", "actual", "weight", "score", "deviation")
# the columns a target split over 指标性质 / 指标值 / 度量单位 is read as, in that order
TARGET_PARTS = ("target_op", "target", "target_unit")
_TITLE = label_key(FORM_TITLE)
_ALL_INDICATOR_LABELS = tuple(label_key(s) for syn in label_tables().indicator_columns.values() for s in syn) + \
    tuple(label_key(s) for s in label_tables().target_parts)
# the columns an indicator header may name, in the reference order
_INDICATOR_COLUMNS = tuple(label_tables().indicator_columns)


# --------------------------------------------------------------------------
# Which shape a text has
# --------------------------------------------------------------------------

def _header_lines(text: str) -> list[str]:
    name = INDICATOR_COLUMN_LABELS["name"][0]
    return [line for line in text.split("\n") if name in line and any(
        t in line for t in INDICATOR_COLUMN_LABELS["target"] + INDICATOR_COLUMN_LABELS["actual"])]


def cell_separator(text: str) -> str | None:
    """The separator of a web table's cells, from its indicator header lines."""
    headers = _header_lines(text)
    if not headers:
        return None
    for sep in WEB_SEPARATORS:
        if all(sep in h for h in headers):
            return sep
    # two spaces: every run of spaces in the header is two long, none leads
    if all(not h.startswith(" ") and re.search(r"\S  \S", h)
           and all(len(run) == 2 for run in re.findall(r" +", h.strip())) for h in headers):
        return "  "
    return None


def row_text_shape(text: str) -> str | None:
    """``cells``, ``spaced`` or None (the content-order text, or no form)."""
    headers = _header_lines(text)
    if not headers:
        return None
    if cell_separator(text) is not None:
        return "cells"
    if any(re.search(r"\S {2,}\S", h) for h in headers):
        return "spaced"         # pdftotext -layout: columns apart by runs of spaces
    lines = [line for line in text.split("\n")]
    blank = sum(1 for line in lines if not line.strip())
    # the content-order text puts a blank line between cells; pdfplumber none
    if blank <= 0.05 * len(lines):
        return "spaced"
    return None


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------

def parse_row_text(text: str, source_file: str, sha256: str, shape: str,
                   page_of: Callable[[int], tuple[int, str]] | None = None) -> list[FormResult]:
    """The forms of a row-ordered text, in order, `source` filled."""
    raw = text.replace("\r", "")
    lines: list[tuple[int, str]] = []
    page = 1
    for part in raw.split("\n"):
        pieces = part.split("\f")
        for k, piece in enumerate(pieces):
            if k:
                page += 1
            lines.append((page, piece))
    forms: list[list[tuple[int, str]]] = []
    titles: list[Title | None] = []
    for page, line in lines:
        title = read_title(line.strip(" |\t"))      # a web table's title row may carry its separators
        if title is not None or (_TITLE in label_key(line) and len(label_key(line)) <= len(_TITLE) + 6):
            forms.append([])
            titles.append(title)
        if forms:
            forms[-1].append((page, line))
    separator = cell_separator(raw) if shape == "cells" else None
    caps = None
    decimals = None
    if separator is None:
        # column widths, and the decimals of the rows' figures, measured over the whole document
        regions = [_SpacedForm(f, FormAssembly(), Provenance(1, None, METHOD, 1.0)).indicator_region() for f in forms]
        regions = [r for r in regions if r is not None]
        if regions:
            caps = capacities([line for r in regions for line in r[0]], regions[0][1])
            decimals = document_decimals([line for r in regions for line in r[0]])
    # pdfplumber joins pages by newlines: a text with no form feed may hide its page breaks
    hidden = "\f" not in raw
    results = []
    endings: dict = {}      # how the document's name and target cells end, gathered form by form
    for form_lines, title in zip(forms, titles):
        assembly = FormAssembly(title=title.printed if title else None,
                                template_families=title.families if title else None)
        for page in sorted({p for p, _ in form_lines}):
            assembly.touch(*(page_of(page) if page_of is not None else (page, "text")))
        where = Provenance(form_lines[0][0], None, METHOD if separator is not None else GUESSED_METHOD, 1.0)
        if title is not None and title.total_score is not None:      # 项目总得分99分 after the title
            assembly.put(FieldPath.top("total_score"), str(title.total_score), where)
        if separator is not None:
            read_cell_rows([(p, [c.strip() for c in line.split(separator)]) for p, line in form_lines
                            if line.strip()], assembly, where)
        else:
            _SpacedForm(form_lines, assembly, where, caps, endings, decimals, hidden).read()
        results.append(assembly.finish(source_file, sha256))
    return results


# --------------------------------------------------------------------------
# Lines by height (pdfplumber, pdftotext)
# --------------------------------------------------------------------------

def _frags(line: str, layout: bool) -> list[Frag]:
    if layout:
        return [Frag(m.group(), float(m.start())) for m in re.finditer(r"\S+(?: \S+)*", line)]
    return [Frag(t) for t in line.split()]


def _reading_order(columns: list[str]) -> tuple[list[str], bool]:
    """The columns as the rows are read: a row is found by its 分值 and 得分
    side by side, so where the header prints text columns between them
    (分值 before the target), 分值 is read as if it stood before 得分; and
    whether it had to be."""
    if not {"weight", "score"} <= set(columns) or columns.index("score") == columns.index("weight") + 1:
        return columns, False
    rest = [c for c in columns if c != "weight"]
    at = rest.index("score")
    return rest[:at] + ["weight"] + rest[at:], True


_PLAIN_FIGURE = re.compile(r"\d+(?:\.\d+)?")


def _figure_after_score(frags: list[Frag], taken: list[str]) -> list[Frag]:
    """A row line's figure printed after its 分值 and 得分 (核定得分) taken off
    (appended to `taken`): the last of three plain figures with no number
    after them, where the first two read as 分值 and 得分."""
    words = [(k, part) for k, f in enumerate(frags) for part, _ in _words_of(f.text)]
    figures = [n for n, (_, word) in enumerate(words) if _PLAIN_FIGURE.fullmatch(word)]
    if len(figures) < 3 or figures[-3:] != list(range(figures[-1] - 2, figures[-1] + 1)) \
            or any(is_number_token(word) for _, word in words[figures[-1] + 1:]) \
            or not is_weight_and_score(words[figures[-3]][1], words[figures[-2]][1]):
        return frags
    k, word = words[figures[-1]]
    taken.append(word)
    text = frags[k].text
    at = text.rfind(word)
    rest = (text[:at].rstrip() + " " + text[at + len(word):].lstrip()).strip()
    return frags[:k] + ([replace(frags[k], text=rest)] if rest else []) + frags[k + 1:]


def _weight_to_score(frags: list[Frag]) -> list[Frag]:
    """A line's 分值 figure moved next to its 得分 one, where the header
    prints 分值 apart from 得分: the first plain figure of the line taken as
    分值, the last as 得分, where they read as a pair (score ≤ weight ≤ 100)."""
    words = [(k, part, None if f.x is None else f.x + offset)
             for k, f in enumerate(frags) for part, offset in _words_of(f.text)]
    figures = [n for n, (_, word, _) in enumerate(words) if _plain_figure(word.replace(",", ""))]
    if len(figures) < 2:
        return frags
    w, s = figures[0], figures[-1]
    weight, score = parse_number(words[w][1]), parse_number(words[s][1])
    if s == w + 1 or weight > 100 or score > weight + 1:
        return frags
    out: list[Frag] = []
    for n, (k, word, x) in enumerate(words):
        if n == w:
            continue
        if n == s:
            out.append(Frag(words[w][1], words[w][2]))
            out.append(Frag(word, x))
            continue
        # the other words keep the fragments they were printed in (one space apart: maybe one cell)
        if out and n - 1 not in (w, s) and words[n - 1][0] == k:
            out[-1] = Frag(out[-1].text + " " + word, out[-1].x)
        else:
            out.append(Frag(word, x))
    return out


def _words_of(text: str) -> list[tuple[str, int]]:
    """The words of a fragment, each with its offset in it."""
    return [(m.group(), m.start()) for m in re.finditer(r"\S+", text)]


def _holds_slot(frags: list[Frag]) -> bool:
    """A line printing an empty slot row's name (指标2, ……) last, and no figure."""
    words = [w for f in frags for w in f.text.split()]
    return bool(words) and bool(SLOT_NAME.match(words[-1])) and not any(is_number_token(w) for w in words[:-1])


def _funding_adds_up(values: dict[str | None, str]) -> bool:
    """A funding row's figures as one order reads them obey the form's
    arithmetic (FORM_RECORD.md): the rate is executed / budget (truncated
    or rounded to the decimals it prints), a score at most its weight."""
    def number(key: str):
        try:
            return parse_number(values.get(key))
        except (ValueError, TypeError):
            return None
    budget, executed, rate = number("annual_budget"), number("executed"), number("execution_rate")
    # truncated or rounded to the decimals it prints: off by less than its last digit
    step = Decimal(1).scaleb(min(0, rate.as_tuple().exponent)) if rate is not None else None
    if budget and executed is not None and rate is not None and abs(executed / budget * 100 - rate) > step:
        return False
    weight, score = number("weight"), number("score")
    return weight is None or score is None or score <= weight + Decimal("0.005")


# the tail of a figure wrapped in its narrow cell, on the line below (`3,719,900.0` / `0`)
_FIGURE_TAIL = re.compile(r"[\d.]{1,4}")


def join_wrapped_funding_figures(lines: list[tuple[int, list[str]]], columns: tuple[str | None, ...]
                                 ) -> list[tuple[int, list[str]]]:
    """A funding table's lines (index, texts) with the figures that wrapped
    in their cells joined again: a row whose wide money figures (its first
    columns) print on the line above its label and their last digits on
    the line below (`3,719,900.0` / `年度资金总额 10.00 99.38 9.93` / `0`)
    becomes one line, where the joined row obeys the form's arithmetic."""
    filled = [(i, texts) for i, texts in lines if texts]
    out: dict[int, list[str]] = dict(lines)
    k = 0
    while k + 2 < len(filled):
        (a, above), (b, row), (c, below) = filled[k:k + 3]
        # pdftotext joins cells one space apart into one fragment: by words
        above, below = " ".join(above).split(), " ".join(below).split()
        figures = [t for t in row if is_number_token(t)]
        label = row[:len(row) - len(figures)]
        if (above and below and len(above) == len(below) and label and row[len(label):] == figures
                and all(is_number_token(t) and t not in NULL_MARKS for t in above)
                and all(_FIGURE_TAIL.fullmatch(t) for t in below)
                and len(above) + len(figures) == sum(1 for column in columns if column)):
            joined = [head + tail for head, tail in zip(above, below)]
            if _funding_adds_up(dict(zip([column for column in columns if column], joined + figures))):
                out[a], out[c] = [], []
                out[b] = label + joined + figures
                k += 3
                continue
        k += 1
    return [(i, out[i]) for i, _ in lines]


def _closing_pieces(line: str) -> bool:
    """A line of one piece of a closing label (其他需要说明事, 项)."""
    tokens = line.split()
    return len(tokens) == 1 and _is_piece_of(tokens[0], label_tables().extra_rows) and \
        not is_label(tokens[0], label_tables().extra_rows)


def _is_total_line(line: str) -> bool:
    """The 总分 / 合计 line: it starts with the label, or with a closing
    label and its text before it."""
    tokens = line.split()
    totals = label_tables().totals
    if not tokens:
        return False
    if any(label_key(line).startswith(label_key(l)) for l in totals):
        return True
    # a closing label's text (its label maybe wrapped onto the lines around) before 总分, figures after it
    at = next((k for k, t in enumerate(tokens[:4]) if is_label(t, totals)), None)
    return at is not None and all(is_number_token(t) or t in GRADES for t in tokens[at + 1:]) and (
        is_label(tokens[0], label_tables().extra_rows) or at + 1 < len(tokens))


def _is_funding_header(line: str) -> bool:
    """A line naming two funding columns, one a budget or execution column
    (the reference's three by their first four characters, wrapped or not)."""
    keys = [k for k in (match_label(t, label_tables().funding_columns) for t in line.split()) if k]
    if len(keys) >= 2 and any(k in ("initial_budget", "annual_budget", "executed") for k in keys):
        return True
    return sum(label_key(s)[:4] in label_key(line) for s in ("年初预算数", "全年预算数", "全年执行数")) >= 2


def _is_piece_of(text: str, labels: tuple[str, ...]) -> bool:
    """A piece of one of `labels` (of a wrapped header label), or the piece
    of one with a note after it (`得分(分值×执行` / `率)`)."""
    keys = {label_key(text), column_key(text)} - {""}
    return bool(keys) and any(key in label_key(l) for l in labels for key in keys)


class _SpacedForm:
    def __init__(self, lines: list[tuple[int, str]], assembly: FormAssembly, where: Provenance,
                 caps: dict[str, float] | None = None, endings: dict | None = None,
                 decimals: int | None = None, hidden_breaks: bool = False) -> None:
        self.hidden_breaks = hidden_breaks
        self.caps = caps
        self.decimals = decimals
        self.endings = endings
        self.pages = [p for p, _ in lines]
        self.texts = [t for _, t in lines]
        self.layout = any(re.search(r"\S {2,}\S", t) for t in self.texts)
        self.frags = [_frags(t, self.layout) for t in self.texts]
        self.assembly = assembly
        self.where = where
        self.extra_labels: list[str] = []       # the indicator header's labels of columns kept in `extra`

    def put(self, path: FieldPath, text: str | None, line: int | None = None) -> None:
        where = self.where if line is None else replace(self.where, page=self.pages[line])
        self.assembly.put(path, text, where)

    def find(self, predicate: Callable[[str], bool], start: int = 0) -> int | None:
        return next((i for i in range(start, len(self.texts)) if predicate(self.texts[i])), None)

    def read(self) -> None:
        key = lambda t: label_key(t)
        for i, t in enumerate(self.texts[:4]):
            if (m := YEAR_IN_TEXT.search(t)):
                self.put(FieldPath.top("year"), m.group(1), i)
                if (stated := split_head_total(t)[1]) is not None:      # （2022年度）自评得分98
                    self.put(FieldPath.top("total_score"), str(stated), i)
                break
        tables = label_tables()
        head = self.find(lambda t: any(key(t).startswith(label_key(l)) for l in tables.head["project_name"]))
        dept = self.find(lambda t: any(key(t).startswith(label_key(l)) for l in tables.head["department"])
                         or label_key(HEAD_LABELS["department"][0]) in key(t), head or 0)
        funding = self.find(_is_funding_header, dept or 0)
        if funding is not None and funding + 2 < len(self.texts) and _is_funding_header(self.texts[funding + 1]) \
                and self._funding_label_pieces(funding + 2):
            # labels wrapped above the header's line and below it (全年预算数 / (A)),
            # as many above as name two columns: the header is the line between
            funding += 1
        goal = self.find(lambda t: any(l in t for l in tables.goal["goal_expected"]), funding or 0)
        header = self.find(lambda t: INDICATOR_COLUMN_LABELS["name"][0] in t, goal or 0)
        total = self.find(_is_total_line, header or 0)
        closing = self._closing_lines(header, total)
        grade = self.find(lambda t: any(key(t).startswith(label_key(l)) for l in GRADE_LABELS), total or 0)
        end = len(self.texts)
        if head is not None:
            self._head(head, dept, self._funding_header_top(funding, dept) if funding is not None else goal or end)
        if funding is not None:
            self._funding(funding, goal or header or end)
        if goal is not None and header is not None:
            goal_end = header
            while goal_end - 1 > goal and self._is_header_piece(goal_end - 1):
                goal_end -= 1       # the header's pieces printed above it (一级 / 二级)
            self._goals(goal, goal_end)
        wrapped_total = None
        if total is not None:
            # pdftotext prints the two figures one space apart where their cells meet: one fragment
            numbers = [w for f in self.frags[total] for w in f.text.split() if is_number_token(w) and w not in "-—/"]
            words = lambda i: [w for f in self.frags[i] for w in f.text.split()] if 0 <= i < end else []
            figures = lambda i: words(i) if words(i) and all(_plain_figure(w) for w in words(i)) else []
            wrapped_total = wrapped_total_figures(numbers, figures(total - 1), figures(total + 1))
            topped = top_wrapped_total_figures(numbers, figures(total + 1)) if wrapped_total is None else None
            if topped is not None:
                numbers = list(topped)
                self.assembly.doubt([FieldPath.top("total_score"), FieldPath.top("total_weight")],
                                    "总分's figures joined with the line below it")
        total_weight = wrapped_total[0] if wrapped_total is not None else \
            numbers[-2] if total is not None and len(numbers) >= 2 else None
        if header is not None:
            table_end = total - self._closing_pieces_above(total) if total is not None else min(closing, default=end)
            self._indicators(header, table_end - (wrapped_total is not None and total is not None), total_weight)
        if wrapped_total is not None:
            self.put(FieldPath.top("total_weight"), wrapped_total[0], total)
            self.put(FieldPath.top("total_score"), wrapped_total[1], total)
            pieced = [FieldPath.top("total_score")] + ([FieldPath.top("total_weight")] if not numbers else [])
            self.assembly.doubt(pieced, "总分's figures read from the lines around it")
        elif total is not None:
            if len(numbers) >= 2:
                self.put(FieldPath.top("total_weight"), numbers[-2], total)
                self.put(FieldPath.top("total_score"), numbers[-1], total)
            elif len(numbers) == 1:
                # 合计 100 (weights only) or a score alone: which, its place does not tell here
                self.put(FieldPath.top("total_weight"), numbers[0], total)
                self.assembly.doubt([FieldPath.top("total_weight"), FieldPath.top("total_score")],
                                    "总分 prints one figure: 分值 or 得分")
            grade_after = [w for f in self.frags[total] for w in f.text.split()][-1:]
            if grade_after and grade_after[0] in GRADES:
                self.put(FieldPath.top("grade"), grade_after[0], total)      # the grade on the 总分 row
            self._closing_label_before_total(total)
        if header is not None:
            columns = self._indicator_columns(header)[0]
            for key, column in (("total_weight", "weight"), ("total_score", "score")):
                if column not in columns and FieldPath.top(key) not in self.assembly.printed:
                    self.put_absent(FieldPath.top(key), header)
        for i in closing:
            tokens = [w for f in self.frags[i] for w in f.text.split()]
            self.assembly.extra[tokens[0]] = " ".join(tokens[1:])
            self.assembly.header_labels.add(label_key(tokens[0]))      # (which families print it)
        if grade is not None:
            rest = " ".join(f.text for f in self.frags[grade])
            for label in GRADE_LABELS:
                rest = rest.replace(label, "", 1) if rest.startswith(label) else rest
            rest = rest.strip(" ：:") or (self.texts[grade + 1].strip() if grade + 1 < end else "")
            value = next((g for g in GRADES if rest.startswith(g)), rest or None)
            self.put(FieldPath.top("grade"), value, grade)

    def _closing_lines(self, header: int | None, total: int | None) -> list[int]:
        """The lines after the indicator table labelled by a closing row's
        label (评价结论, 说明, 项目负责人 …): the record's `extra`.  A label no
        family prints (目标未完成原因分析) counts where no figure follows it
        (no indicator row does), in a table whose rows print 分值 or 得分."""
        if header is None:
            return []
        labels = label_tables().extra_rows
        prints_figures = bool({"weight", "score"} & set(self._indicator_columns(header)[0]))

        def figures_after(i: int) -> bool:
            stop = total if total is not None and total > i else len(self.texts)
            return any(is_number_token(w) for k in range(i + 1, stop) for w in self.texts[k].split())

        return [i for i in range(header + 1, len(self.texts)) if i != total and self.frags[i]
                and (is_label(first := self.frags[i][0].text.split()[0], labels)
                     or prints_figures and is_closing_label(first) and not figures_after(i))]

    def _closing_label_before_total(self, total: int) -> None:
        """A closing label and its text printed on the 总分 row before 总分
        (其他需要说明事项 无 总分 100 96 优), the label maybe wrapped onto
        the lines around (其他需要说明事 / 无 总分 … / 项)."""
        tokens = [w for f in self.frags[total] for w in f.text.split()]
        at = next((k for k, w in enumerate(tokens) if is_label(w, label_tables().totals)), 0)
        if at and is_label(tokens[0], label_tables().extra_rows):
            self.assembly.extra[tokens[0]] = " ".join(tokens[1:at])
        elif at:
            above = self._closing_pieces_above(total)
            below = total + 1 if total + 1 < len(self.texts) and _closing_pieces(self.texts[total + 1]) else total
            label = "".join("".join(self.texts[i].split()) for i in range(total - above, below + 1) if i != total)
            if is_label(label, label_tables().extra_rows):
                self.assembly.extra[label] = " ".join(tokens[:at])

    def _closing_pieces_above(self, total: int) -> int:
        """How many lines right above the 总分 line are pieces of a closing
        label wrapped around it (其他需要说明事): none of the table's."""
        k = 0
        # (two characters at least: a lone 分 may as well end a 一级 label's (10分))
        while k < 2 and total - k - 1 >= 0 and _closing_pieces(self.texts[total - k - 1]) \
                and len(label_key(self.texts[total - k - 1])) >= 2:
            k += 1
        return k

    # ---------------- head
    def _head(self, head: int, dept: int | None, end: int) -> None:
        frags = self.frags[head]
        self.put(FieldPath.top("project_name"), " ".join(f.text for f in frags[1:]) or None, head)
        label = next((l for l in label_tables().head["project_name"] if frags and frags[0].text.startswith(l)), "")
        if frags and label_key(frags[0].text) != label_key(label):
            self.put(FieldPath.top("project_name"), frags[0].text[len(label):].strip(), head)
        if dept is None:
            return
        values: dict[str, list[str]] = {"department": [], "implementing_unit": []}
        starts: dict[str, float | None] = {}
        current = None
        for f in _split_head_labels(self.frags[dept]):
            k = match_label(f.text, label_tables().head)
            if k in values:
                current = k
                continue
            if current:
                starts.setdefault(current, f.x)
                values[current].append(f.text)
        above = [i for i in range(head + 1, dept)]
        below = [i for i in range(dept + 1, end)]
        for where, rows in (("above", above), ("below", below)):
            for i in (reversed(rows) if where == "above" else rows):
                frags = [f for f in self.frags[i] if not _is_piece_of(f.text, FUNDING_BLOCK_LABELS)]
                if not frags:
                    continue
                if len(frags) >= 2:
                    parts = {"department": [frags[0].text], "implementing_unit": [" ".join(f.text for f in frags[1:])]}
                else:
                    x = frags[0].x
                    side = "implementing_unit"
                    if x is not None and starts.get("department") is not None and starts.get("implementing_unit") is not None:
                        if abs(x - starts["department"]) < abs(x - starts["implementing_unit"]):
                            side = "department"
                    parts = {side: [frags[0].text]}
                for k, texts in parts.items():
                    values[k] = texts + values[k] if where == "above" else values[k] + texts
        for k, texts in values.items():
            self.put(FieldPath.top(k), "\n".join(texts) or None, dept)

    # ---------------- funding
    def _funding_header_top(self, header: int, after: int | None) -> int:
        """The first line of the funding header: a centred header whose
        labels wrap (执行率 / （%）) prints their pieces on lines above its
        own as many as below it, none of them the head's (a line of label
        pieces only, after line `after`)."""
        pieces = self._funding_label_pieces
        below = 0
        while header + below + 1 < len(self.texts) and below < 3 and pieces(header + below + 1):
            below += 1
        top = header
        while top - 1 > (after if after is not None else -1) and header - top < below and pieces(top - 1):
            top -= 1
        return top

    def _funding_label_pieces(self, i: int) -> list[str]:
        """Line i's tokens where all are pieces of funding column labels
        (a wrapped header's), else none."""
        texts = [t for f in self.frags[i] for t in f.text.split() if not _is_piece_of(t, FUNDING_BLOCK_LABELS)]
        return texts if texts and all(_is_piece_of(t, _FUNDING_COLUMN_PIECES) for t in texts) else []

    def _funding(self, header: int, end: int) -> None:
        orders, complete = self._funding_columns(header)
        width = len(orders[0])
        rows: list[tuple[int, list[str], list[str]]] = []     # (line, label pieces on it, its figures)
        gaps: list[list[str]] = [[]]        # label pieces on the lines before, between and after them
        lines = [(i, [f.text for f in self.frags[i] if not _is_piece_of(f.text, FUNDING_BLOCK_LABELS)])
                 for i in range(header + 1, end)]
        for i, texts in join_wrapped_funding_figures(lines, orders[0]):
            numbers = 0
            while numbers < len(texts) and is_number_token(texts[len(texts) - 1 - numbers]):
                numbers += 1
            self.assembly.money_unit = money_unit_in(self.texts[i]) or self.assembly.money_unit   # 项目资金（元）
            if texts and numbers and is_label(texts[0], label_tables().funding_extra_rows):
                self.assembly.extra[texts[0]] = texts[1:]        # 单位资金: a funding row no key holds
            elif numbers >= sum(1 for c in orders[0] if c):
                figures = min(numbers, width)
                rows.append((i, texts[:len(texts) - figures], texts[len(texts) - figures:]))
                gaps.append([])
            elif not rows and texts and all(_is_piece_of(t, _FUNDING_COLUMN_PIECES) for t in texts):
                continue        # the header's wrapped lines (数 数 数)
            else:
                gaps[-1] += texts
        columns = self._settle_funding_order(orders, [figures for _, _, figures in rows])
        labels = funding_labels(gaps, [inline for _, inline, _ in rows])
        # every line of figures read as a row, each row placed: a row the table does not print is null, certain
        whole = complete and not any(is_number_token(t) for gap in gaps for t in gap)
        for (i, _, figures), label in zip(rows, labels):
            key = _funding_row(label)
            if key is None and is_appropriation_row(
                    label, FieldPath.funding("current_appropriation", "annual_budget") in self.assembly.printed):
                key = "current_appropriation"
            if key is None:
                whole = False
                continue
            for column, value in zip(columns, figures):
                if column is not None:
                    self.put(FieldPath.funding(key, column), value, i)
            if complete:
                for column in FUNDING_KEYS:
                    if column not in columns:
                        self.put_absent(FieldPath.funding(key, column), i)
        if whole and rows:
            for row in FUNDING_ROW_NAMES:
                if not any(FieldPath.funding(row, c) in self.assembly.printed for c in FUNDING_KEYS):
                    for column in FUNDING_KEYS:
                        self.put_absent(FieldPath.funding(row, column), rows[-1][0])

    def _settle_funding_order(self, orders: list[tuple[str | None, ...]],
                              rows: list[list[str]]) -> tuple[str | None, ...]:
        """The one of the header's possible orders (a wrapped label's place
        unknown) whose figures add up on every row; where several do and
        read the rows differently, or none does, the funding table is doubted."""
        if len(orders) == 1:
            return orders[0]
        widest = max((len(figures) for figures in rows), default=0)
        # the figures fill the keyed columns: those past the widest row's are ones no key holds (原因)
        fits = [order for order in orders if not any(order[widest:])
                and all(_funding_adds_up(dict(zip(order, figures))) for figures in rows)]
        readings = {tuple(tuple(sorted((k, v) for k, v in zip(order, figures) if k)) for figures in rows)
                    for order in fits}
        if len(readings) != 1:
            self.assembly.doubt([FieldPath.funding(row, column) for row in FUNDING_ROW_NAMES for column in FUNDING_KEYS],
                                f"a funding header label wrapped off its line; {len(fits)} of its places "
                                "make the figures add up")
        return (fits or orders)[0]

    def put_absent(self, path: FieldPath, line: int) -> None:
        """A field whose column the form's header does not print: null, and certain."""
        self.assembly.put(path, None, Provenance(self.pages[line], None, METHOD, 1.0))

    def _funding_columns(self, header: int) -> tuple[list[tuple[str | None, ...]], bool]:
        """The orders the funding header's keys may stand in (None: a column
        no key holds, 原因), and whether it named every column.  A label
        wrapped off the header's line (调整后预算 / 数 above and below it) may
        stand anywhere on it: each place is an order.  The reference order
        where the line names too few (年初 / 预算数)."""
        tokens = [t for f in self.frags[header] for t in f.text.split() if not _is_piece_of(t, FUNDING_BLOCK_LABELS)]
        keys, unknown = header_keys(tokens, label_tables().funding_columns)
        found = [k for k in keys if k]
        if len(found) < 3 or unknown:
            return [FUNDING_KEYS], False
        orders = [tuple(keys)]
        for key in self._wrapped_funding_keys(header):
            if key not in orders[0]:
                orders = [order[:at] + (key,) + order[at:] for order in orders for at in range(len(order) + 1)]
        return orders, True

    def _wrapped_funding_keys(self, header: int) -> list[str]:
        """The funding keys whose labels wrapped off the header's line: their
        pieces on the lines of label pieces above and below it, joined."""
        above = self._funding_label_pieces(header - 1) if header > 0 else []
        below = self._funding_label_pieces(header + 1) if header + 1 < len(self.texts) else []
        labels = above + below + ([a + b for a, b in zip(above, below)] if len(above) == len(below) else [])
        keys = [match_label(label, label_tables().funding_columns) for label in labels]
        return list(dict.fromkeys(k for k in keys if k))

    # ---------------- goals
    def _goals(self, header: int, end: int) -> None:
        block = GOAL_BLOCK_LABELS + GOAL_COLUMN_LABELS["goal_expected"] + GOAL_COLUMN_LABELS["goal_actual"]
        head_x = [f.x for f in self.frags[header] if not _is_piece_of(f.text, GOAL_BLOCK_LABELS)]
        rows: list[list[Frag]] = []
        for i in range(header + 1, end):
            frags = []
            for f in self.frags[i]:
                text = f.text
                for label in GOAL_BLOCK_LABELS:
                    # the label, or its first line, printed one space from a value
                    head = next((label[:k] for k in range(len(label), 1, -1) if text.startswith(label[:k] + " ")), None)
                    if head:
                        text = text[len(head):].strip()
                if label_key(text) in {label_key(l) for l in block} or (
                        _is_piece_of(text, GOAL_BLOCK_LABELS) and len(label_key(text)) < 6 and not frags):
                    continue
                # a label cut off: the value starts where its text does
                frags.append(Frag(text, None if f.x is None else f.x + f.text.find(text)))
            if frags and all(label_key(f.text) in _ALL_INDICATOR_LABELS or
                             _is_piece_of(f.text, tuple(INDICATOR_COLUMN_LABELS["level1"] + INDICATOR_COLUMN_LABELS["level2"]))
                             for f in frags):
                continue      # the indicator header's pieces (一级 二级)
            if frags:
                rows.append(frags)
        expected, actual, unsure = _two_columns(rows, head_x)
        if unsure:
            self.assembly.doubt([FieldPath.top("goal_expected"), FieldPath.top("goal_actual")],
                                "the goal cells' lines interleave either way round")
        self.put(FieldPath.top("goal_expected"), "\n".join(expected) or None, header)
        self.put(FieldPath.top("goal_actual"), "\n".join(actual) or None, header)

    # ---------------- indicators
    def indicator_region(self) -> tuple[list[TextLine], list[str]] | None:
        header = self.find(lambda t: INDICATOR_COLUMN_LABELS["name"][0] in t)
        if header is None:
            return None
        total = self.find(_is_total_line, header)
        end = total if total is not None else min(self._closing_lines(header, None), default=len(self.texts))
        columns, apart = _reading_order(self._indicator_columns(header)[0])
        return self._indicator_lines(header, end, apart), columns

    def _indicator_lines(self, header: int, end: int, apart: bool = False) -> list[TextLine]:
        """The table's lines; where the header prints 分值 apart from 得分,
        each line's 分值 figure moved next to its 得分 (`_weight_to_score`)."""
        parts = self._table_parts(header, end)
        lines = [TextLine(self.frags[i], i, self.pages[i], parts[i - header - 1], _holds_slot(self.frags[i]))
                 for i in range(header + 1, end) if self.frags[i] and not self._is_header_piece(i)]
        if apart:
            lines = [replace(line, frags=_weight_to_score(line.frags)) for line in lines]
        return [line for line in lines if line.frags]

    def _table_parts(self, header: int, end: int) -> list[int]:
        """Which part of the table each line after the header is in, counted
        up at a page break and at a repeated header line: pdfplumber marks
        no page break, but a table repeats its header at the top of a page."""
        name = INDICATOR_COLUMN_LABELS["name"][0]
        parts, part = [], self.pages[header]
        for i in range(header + 1, end):
            if self.pages[i] != self.pages[i - 1] or name in self.texts[i]:
                part += 1
            parts.append(part)
        return parts

    def _indicators(self, header: int, end: int, total_weight: str | None = None) -> None:
        self.extra_labels.clear()
        printed, piece_width = self._indicator_columns(header)
        columns, apart = _reading_order(printed)
        lines = self._indicator_lines(header, end, apart)
        figures_after_score: list[str] = []
        if "extra" in columns and "score" in columns and columns.index("extra") == columns.index("score") + 1:
            # a figure column after 得分 (核定得分): taken off each row's figures, kept in `extra`
            lines = [replace(line, frags=_figure_after_score(line.frags, figures_after_score)) for line in lines]
            columns = [c for c in columns if c != "extra"]
        read = read_indicator_lines(lines, columns, piece_width, header, end, self.caps, self.endings, total_weight,
                                    self.decimals, hidden_breaks=self.hidden_breaks)
        # the rows are found by their 分值 and 得分, or, a table printing neither, by their
        # shapes alone (`row_bands.read_unanchored`); one printing only one of them is read by guess
        anchored = {"weight", "score"} <= set(columns) or not {"weight", "score"} & set(columns)
        split = TARGET_PARTS[0] in columns
        indexes: dict[int, int] = {}        # row of the table → its indicator (a slot row gives none)
        for r, row in enumerate(read.rows):
            if row.slot:
                continue
            index = indexes[r] = self.assembly.new_indicator()
            if split:       # the three cells joined as printed (≥ 90 % → ≥90%)
                row.cells["target"] = ["".join(line for part in TARGET_PARTS for line in row.cells.get(part) or [])]
            for column in ("name", "target", "actual", "deviation"):
                if column in columns:
                    self.put(FieldPath.indicator(index, column), "\n".join(row.cells.get(column) or []) or None, row.line)
                elif anchored:
                    self.put_absent(FieldPath.indicator(index, column), row.line)
            self.put(FieldPath.indicator(index, "weight"), row.weight, row.line)
            self.put(FieldPath.indicator(index, "score"), row.score, row.line)
            for level in ("level1", "level2"):
                if level in columns:
                    self.put(FieldPath.indicator(index, level), row.levels.get(level), row.line)
            if not anchored:
                self.assembly.doubt([FieldPath.indicator(index, c) for c in INDICATOR_ORDER],
                                    f"the header prints {' / '.join(columns)}: no 分值 and 得分 side by side "
                                    "to find the rows by")
        for r, column, why in read.doubts:
            column = "target" if column in TARGET_PARTS else column
            if r in indexes and column != "extra":
                self.assembly.doubt([FieldPath.indicator(indexes[r], column)], why)
        self._keep_extra_columns(read.rows, indexes, "extra" in columns, figures_after_score)

    def _keep_extra_columns(self, rows: list, indexes: dict[int, int], text_column: bool,
                            figures: list[str]) -> None:
        """The cells of the header's columns kept in `extra`, a list each
        under its printed label: a text column read with the row's cells,
        a figure column after 得分 as its figures were taken off."""
        labels = iter(self.extra_labels)
        if text_column:
            label = next(labels, "column 1")
            self.assembly.extra[label] = ["\n".join(rows[r].cells.get("extra") or []) for r in indexes]
        if figures and len(figures) == len(indexes):
            self.assembly.extra[next(labels, "column 2")] = figures

    def _is_header_piece(self, i: int) -> bool:
        if INDICATOR_COLUMN_LABELS["name"][0] in self.texts[i]:
            return True
        if not self._all_label_pieces(i):
            return False
        # only the pieces printed next to a header line (not a row's 指标 指标)
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(self.texts) and abs(j - i) <= 3:
                if INDICATOR_COLUMN_LABELS["name"][0] in self.texts[j]:
                    return step < 0 or j - i <= self._header_reach(j)
                if not self._all_label_pieces(j):
                    break
                j += step
        return False

    def _header_reach(self, header: int) -> int:
        """How many lines above a header line are the header's: the header
        row is centred or top-aligned, so no more than below it; and a
        header repeated on a later page is printed as the first one, so no
        more than above that (the rest are a row's label pieces)."""
        reach = min(self._piece_lines(header, -1), self._piece_lines(header, 1))
        first = self.find(lambda t: INDICATOR_COLUMN_LABELS["name"][0] in t)
        if first is not None and first != header:
            reach = min(reach, self._header_reach(first))
        return reach

    def _piece_lines(self, header: int, step: int) -> int:
        """How many lines of label pieces run from a header line up (-1) or down (1), at most 3."""
        k = 0
        while k < 3 and 0 <= header + step * (k + 1) < len(self.texts) and \
                self._all_label_pieces(header + step * (k + 1)):
            k += 1
        return k

    def _all_label_pieces(self, i: int) -> bool:
        tokens = [t for f in self.frags[i] for t in f.text.split()]
        return bool(tokens) and all(label_key(t) and any(label_key(t) in l for l in _ALL_INDICATOR_LABELS)
                                    for t in tokens)

    def _header_labels_near(self, header: int) -> set[str]:
        """The labels (folded) the indicator header prints on its line, and
        those wrapped over the lines of pieces above and below it, each
        piece above joined to the one below it in the same place."""
        tokens = lambda i: [t for f in self.frags[i] for t in f.text.split()] \
            if 0 <= i < len(self.texts) and self._is_header_piece(i) and i != header else []
        above, below = tokens(header - 1), tokens(header + 1)
        wrapped = [a + b for a, b in zip(above, below)] if len(above) == len(below) else []
        return {label_key(t) for t in [t for f in self.frags[header] for t in f.text.split()] + wrapped}

    def _indicator_columns(self, header: int) -> tuple[list[str], float]:
        """The indicator header's columns in its order (a target split over
        指标性质 / 指标值 / 度量单位 three: `TARGET_PARTS`), found by their labels and the pieces of
        wrapped ones; and the width of a 一级 piece.  The reference's where
        it names no 三级指标 or neither 分值/得分 nor a target."""
        found: dict[str, float] = {}     # column → where it stands (line's token order, pieces after)
        piece_width = 0.0
        tables = label_tables()
        split = bool(tables.target_parts) and all(label_key(label) in self._header_labels_near(header)
                                                  for label in tables.target_parts)
        for i in range(header - 3, header + 4):
            if not 0 <= i < len(self.texts) or (i != header and not self._is_header_piece(i)):
                continue
            tokens = [t for f in self.frags[i] for t in (f.text.split() if i != header or self.layout else [f.text])]
            for k, token in enumerate(tokens):
                key = column_key(token)        # (a column's letter, 年度指标值(A), is no part of its label)
                column = next((part for label, part in zip(tables.target_parts, TARGET_PARTS)
                               if key == label_key(label)), None) if split else None
                for name in _INDICATOR_COLUMNS:
                    if column:
                        break
                    labels = [column_key(s) for s in tables.indicator_columns[name]]
                    if key in labels or (any(l.startswith(key) for l in labels)
                                         and (len(key) >= 2 or name in ("level1", "level2"))
                                         and name in ("level1", "level2", "deviation")):
                        column = name
                if column is None and i == header and is_extra_column_label(key):
                    column = "extra"          # a column the record keeps in `extra` (评分标准, 核定得分)
                    self.extra_labels.append(token)
                    self.assembly.header_labels.add(label_key(token))     # (which families print it)
                elif column is None and i == header and key.endswith(HEADER_LABEL_ENDINGS) \
                        and len(key) <= HEADER_WORD_MAX_CHARS:
                    # a label no family prints, by its words (年度目标值), where no label gave its column
                    by_words = match_header_word(key, INDICATOR_HEADER_WORDS)
                    column = by_words if by_words in _INDICATOR_COLUMNS and by_words not in found else None
                    if column:
                        self.assembly.header_labels.add(label_key(token))
                if column is None:
                    continue
                if column == "level1" and not piece_width:
                    piece_width = float(len(key))
                # the header line's order; a piece of a wrapped label keeps its column's place
                place = k if i == header else _INDICATOR_COLUMNS.index(
                    "target" if column in TARGET_PARTS else column) - 0.5
                found.setdefault(column, place)
        if split and "target" in found:
            # 指标性质 and 度量单位 stand either side of 指标值, wrapped off its line or not
            found["target_op"], found["target_unit"] = found["target"] - 0.1, found["target"] + 0.1
        elif split:
            found.pop("target_op", None), found.pop("target_unit", None)
        ordered = sorted(found, key=lambda c: (c not in ("level1", "level2"), c == "deviation", found[c]))
        piece_width = piece_width or 2.0
        if "name" in ordered and ({"weight", "score"} <= set(ordered) or "target" in ordered):
            return ordered, piece_width
        return list(INDICATOR_ORDER), piece_width


def _split_head_labels(frags: list[Frag]) -> list[Frag]:
    """A head line's fragments, a label printed one space from its value
    (pdftotext keeps a single space inside a fragment) cut off it."""
    out: list[Frag] = []
    for f in frags:
        for labels in label_tables().head.values():
            label = next((l for l in labels if f.text.startswith(l + " ")), None)
            if label:
                rest = f.text[len(label):].lstrip()
                out += [Frag(label, f.x), Frag(rest, None if f.x is None else f.x + len(f.text) - len(rest))]
                break
        else:
            out.append(f)
    return out


def _plain_figure(text: str) -> bool:
    return bool(re.fullmatch(r"\d+(?:\.\d*)?", text))


def wrapped_total_figures(inline: list[str], above: list[str], below: list[str]) -> tuple[str, str] | None:
    """总分's 分值 and 得分 when narrow cells wrapped them: the 总分 line holds
    fewer than two figures, the line above it a first piece of each wrapped
    one and the line below (if any) their last pieces, left to right.  One
    wrapped: either (the wider), 分值 the larger (a score never passes its
    full mark).  None where they did not wrap."""
    missing = 2 - len(inline)
    if missing not in (1, 2) or len(above) != missing or len(below) not in (0, missing):
        return None
    if missing == 2 and not below:
        return None         # the figures of a line above, not pieces
    pieces = [a + (below[k] if below else "") for k, a in enumerate(above)]
    if missing == 2:
        return pieces[0], pieces[1]
    try:
        pieced_larger = parse_number(pieces[0]) > parse_number(inline[0])
    except ValueError:
        pieced_larger = False
    return (pieces[0], inline[0]) if pieced_larger else (inline[0], pieces[0])


def top_wrapped_total_figures(inline: list[str], below: list[str]) -> tuple[str, str] | None:
    """总分's 分值 and 得分 when top-aligned cells wrapped them: the 总分 line
    holds the first piece of each, the line below the rest of one or both,
    left to right.  The one way of joining them with 得分 ≤ 分值 ≤ 100, or
    None (no such line, or no single way)."""
    if len(inline) != 2 or len(below) not in (1, 2):
        return None
    joins = [(inline[0] + below[0], inline[1] + below[1])] if len(below) == 2 else \
        [(inline[0] + below[0], inline[1]), (inline[0], inline[1] + below[0])]
    fits = [(weight, score) for weight, score in joins if is_weight_and_score(weight, score)]
    return fits[0] if len(fits) == 1 else None


_FUNDING_COLUMN_PIECES = tuple(s for syn in label_tables().funding_columns.values() for s in syn)
_FUNDING_ROW_KEYS = {label_key(s) for syn in label_tables().funding_rows.values() for s in syn} | \
    {label_key(s) for s in label_tables().funding_extra_rows}
DROPPED_PIECE = 0.1


def _label_fit(label: str) -> float:
    """How well a funding row's label reads as one: a row label whole (3),
    one it starts or ends with (1), none (0)."""
    key = label_key(label)
    return 3.0 if key in _FUNDING_ROW_KEYS else 1.0 if _funding_row(label) else 0.0


def funding_labels(gaps: list[list[str]], inline: list[list[str]]) -> list[str]:
    """The funding rows' labels.  A row's label cell is centred on its
    figures' line, so a wrapped label prints pieces above and below it: the
    pieces between two rows' figures are cut where both labels read best
    (the lower row's own pieces above its figures, the upper's below), the
    pieces before the first row and after the last kept where they fit.
    `gaps` has one more entry than `inline` (the rows' pieces on their
    figures' line)."""
    n = len(inline)
    if n == 0:
        return []
    # cuts[0]: pieces of gap 0 dropped; cuts[r]: pieces of gap r that end row r-1's label
    choices = [range(len(g) + 1) for g in gaps]
    if sum(len(g) for g in gaps) > 12:
        choices = [[0]] + [[0] for _ in gaps[1:]]        # no label wraps so much: as printed
    best: tuple[float, list[str]] | None = None
    for cuts in product(*choices):
        labels = []
        for r in range(n):
            above = gaps[r][cuts[r]:]
            below = gaps[r + 1][:cuts[r + 1]]
            labels.append("".join(above + inline[r] + below))
        dropped = cuts[0] + len(gaps[n]) - cuts[n]
        score = sum(_label_fit(label) for label in labels) - DROPPED_PIECE * dropped
        if best is None or score > best[0]:
            best = (score, labels)
    return best[1]


def _funding_row(label: str) -> str | None:
    key = label_key(label)
    if not key:
        return None
    best, best_len = None, 0
    for row, synonyms in label_tables().funding_rows.items():
        for s in synonyms:
            s = label_key(s)
            if s == key or s.startswith(key) or key.endswith(s) or key.startswith(s):
                length = min(len(s), len(key))
                if length > best_len:
                    best, best_len = row, length
    return best


def _two_columns(rows: list[list[Frag]], head_x: list[float | None]) -> tuple[list[str], list[str], bool]:
    """The goal block's lines: two cells side by side, each line one or both;
    and whether another reading is as good.  With no x, by the cells'
    shapes (`_two_cells_by_shape`); else a line alone goes by its x, or to
    the cell that goes on past the shared lines."""
    if rows and all(f.x is None for r in rows for f in r):
        shaped = _two_cells_by_shape(rows)
        if shaped is not None:
            return shaped
    if rows and all(f.x is not None for r in rows for f in r):
        by_x = _two_cells_by_x(rows)
        if by_x is not None:
            return by_x
    seconds = [r[1].x for r in rows if len(r) >= 2 and r[1].x is not None]
    threshold = min(seconds) - 1 if seconds else None
    paired = [r for r in rows if len(r) >= 2]
    cap = [max([em_width(r[0].text) for r in paired] or [0]),
           max([em_width(" ".join(f.text for f in r[1:])) for r in paired] or [0])]
    side = 0
    if paired:
        last_left, last_right = paired[-1][0].text, " ".join(f.text for f in paired[-1][1:])
        if em_width(last_right) >= cap[1] - 1.1 and em_width(last_left) < cap[0] - 1.1:
            side = 1
    cols: list[list[str]] = [[], []]
    for r in rows:
        if len(r) >= 2:
            cols[0].append(r[0].text)
            cols[1].append(" ".join(f.text for f in r[1:]))
        elif r[0].x is not None and threshold is not None:
            cols[1 if r[0].x >= threshold else 0].append(r[0].text)
        else:
            cols[side].append(r[0].text)
    return cols[0], cols[1], False


def _two_cells_by_x(rows: list[list[Frag]]) -> tuple[list[str], list[str], bool] | None:
    """The goal cells of lines with x (pdftotext): both cells' lines start at
    their cell's left edge, the right one's the leftmost x of a fragment that
    does not start at the left one's.  A fragment reaching over both (the
    cells one space apart) is cut at the space where the right cell starts.
    None where no fragment stands right of the left edge."""
    xs = [f.x for r in rows for f in r]
    left_x = min(xs)
    right_xs = [x for x in xs if x > left_x + 2]
    right_x = min(right_xs) if right_xs else _joined_cells_edge(rows)
    if right_x is None:
        return None
    cols: list[list[str]] = [[], []]
    for r in rows:
        parts: list[list[str]] = [[], []]
        for f in r:
            if f.x >= right_x - 1:
                parts[1].append(f.text)
                continue
            # pdftotext sets characters by where they print: a run of narrow
            # digits moves the space a few columns off the right cell's edge
            spaces = [k for k, ch in enumerate(f.text) if ch == " " and abs(f.x + k + 1 - right_x) <= JOIN_REACH]
            cut = min(spaces, key=lambda k: abs(f.x + k + 1 - right_x), default=None)
            if cut is None:
                parts[0].append(f.text)
            else:
                parts[0].append(f.text[:cut])
                parts[1].append(f.text[cut + 1:])
        for side in (0, 1):
            if parts[side]:
                cols[side].append(" ".join(parts[side]))
    return cols[0], cols[1], False


# how many columns off the right goal cell's edge the space joining the two cells may stand
JOIN_REACH = 3


def _joined_cells_edge(rows: list[list[Frag]]) -> float | None:
    """Where the right goal cell starts when pdftotext printed it one space
    after the left one on every line (no fragment of its own): the column
    after a space most lines have (within a column either way).  Goal sentences seldom
    hold a space, so two lines spaced alike are two cells."""
    edges = Counter(e for r in rows for e in {f.x + k + 1 for f in r if f.x is not None
                                               for k, ch in enumerate(f.text) if ch == " "})
    best = max(edges, key=lambda e: (sum(edges[e + d] for d in (-1, 0, 1)), edges[e]), default=None)
    if best is None or sum(edges[best + d] for d in (-1, 0, 1)) < 2:
        return None
    return best


def _shape_pattern(a: int, b: int, centred: bool) -> list[str]:
    """The lines two side-by-side cells of a and b lines print, top to
    bottom: "L", "R" or "LR" (both at one height).  Centred cells share a
    middle: the shorter one's lines stand at half heights when a - b is odd."""
    m = max(a, b)
    lo, ro = ((m - a) / 2, (m - b) / 2) if centred else (0.0, 0.0)
    heights: dict[float, str] = {}
    for k in range(a):
        heights[lo + k] = "L"
    for k in range(b):
        heights[ro + k] = heights.get(ro + k, "") + "R"
    return [heights[h] for h in sorted(heights)]


def _fill_cost(lines: list[str]) -> float:
    """How unlike a wrapped cell's lines these are: every line but the last
    fills the column (its width the widest line's, give or take the next
    line's first character)."""
    if len(lines) < 2:
        return 0.0
    cap = max(em_width(t) for t in lines)
    cost = 0.0
    for k, text in enumerate(lines[:-1]):
        reach = em_width(text) + first_unit(lines[k + 1])
        # (half-width characters' em estimate is rough: a line of digits fills its column less surely)
        slack = 0.08 * sum(1 for ch in text + lines[k + 1][:4] if ord(ch) < 0x2e80)
        if reach < cap - 0.35 - slack:
            cost += min(2.0, 0.6 + (cap - reach) / 2)
    return cost


def _cut_choices(counts: list[int]) -> list[tuple[int, ...]]:
    """Where lines printing both cells in more than two tokens may be cut
    (after token 1 .. n-1), every combination where few, else after the first."""
    combos: list[tuple[int, ...]] = [()]
    for n in counts:
        combos = [c + (k,) for c in combos for k in range(1, n)]
        if len(combos) > 27:
            return [tuple(1 for _ in counts)]
    return combos


def _unended(lines: list[str]) -> float:
    """A goal cell is sentences: its text ends with a sentence's mark (a
    reading cutting it elsewhere less likely)."""
    return 0.4 if lines and lines[-1][-1:] not in "。.；;！!）)”\"" else 0.0


def _two_cells_by_shape(rows: list[list[Frag]]) -> tuple[list[str], list[str], bool] | None:
    """The goal cells of lines with no x (pdfplumber): the two cells' lines
    interleave as their shapes print them, top-aligned or centred on one
    middle; the shape whose cells' lines wrap best (each but the last fills
    its column), both cells given text, wins.  None where no shape prints
    the lines' pattern (a line of one token can't be both cells')."""
    n = len(rows)
    if n == 0 or n > 80:
        return None
    readings: list[tuple[float, list[str], list[str]]] = []
    seen: set[tuple[str, ...]] = set()
    for centred in (False, True):
        for a in range(0, n + 1):
            for b in range(0, n + 1):
                if a + b < n or max(a, b) > n:
                    continue
                pattern = _shape_pattern(a, b, centred)
                if len(pattern) != n or tuple(pattern) in seen:
                    continue
                seen.add(tuple(pattern))
                if any(p == "LR" and len(r) < 2 for p, r in zip(pattern, rows)):
                    continue
                both = [k for k, p in enumerate(pattern) if p == "LR" and len(rows[k]) > 2]
                for cuts in _cut_choices([len(rows[k]) for k in both]):
                    cut_at = dict(zip(both, cuts))
                    left: list[str] = []
                    right: list[str] = []
                    for k, (p, r) in enumerate(zip(pattern, rows)):
                        texts = [f.text for f in r]
                        if p == "L":
                            left.append(" ".join(texts))
                        elif p == "R":
                            right.append(" ".join(texts))
                        else:
                            c = cut_at.get(k, 1)
                            left.append(" ".join(texts[:c]))
                            right.append(" ".join(texts[c:]))
                    # pdfplumber prints one space between cells, seldom one inside a cell
                    joins = sum(len(r) - (2 if p == "LR" else 1) for p, r in zip(pattern, rows))
                    cost = _fill_cost(left) + _fill_cost(right) + (3.0 if not left or not right else 0.0) \
                        + 0.6 * joins + _unended(left) + _unended(right)
                    readings.append((cost, left, right))
    if not readings:
        return None
    # the first best (the shorter cell on the left) where mirrored shapes tie
    readings.sort(key=lambda r: r[0])
    best = readings[0]
    rival = next((r for r in readings[1:] if (r[1], r[2]) != (best[1], best[2])), None)
    unsure = rival is not None and rival[0] - best[0] < 0.3
    return best[1], best[2], unsure
