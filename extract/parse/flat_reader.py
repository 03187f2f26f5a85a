"""Parse flat text extractions of 绩效自评表 PDFs (no table structure) into
form records.

The text is in the PDF's content-stream order (see `corpus.flat`): cell after
cell, row by row, each line of a cell on a line of its own, a line printed at
the height of the previous one joined to it with a space, merged 一级/二级
labels in vertical pieces before the first row they span, a page break as a
run of three or more blank lines (or a form feed).

What decides:
- head, funding and goal blocks by their labels (`extract.layout.labels`);
- indicator rows by their anchor, the line that ends in `<分值> <得分>`;
  the lines between two anchors hold the deviation of the first row (only when
  it lost points or its anchor line carries text after the score) and the
  name / target / actual of the second; cell boundaries inside them come from
  the spaces that join cells printed at one height and from line widths (a
  wrapped cell's lines but the last fill its column; the 三级指标 column is
  wider than the 指标值 columns), both measured per document;
- the optional `tagger` (``tag(text) -> [(start, end, label)]``, labels of
  `corpus.flat.FLAT_LABELS`) decides the goal split and the extent of
  deviation cells where it gives spans.

`parse_flat_pages` reads PDF or scanned pages on which no ruled table was
found the same way: their text lines in reading order, joined as such a text
prints them, each field's provenance made from the lines it was read from.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import replace
from decimal import Decimal
from typing import Any, Callable, Iterable

from extract.layout.labels import (
    FORM_TITLE, FUNDING_BLOCK_LABELS, FUNDING_HEADER_WORDS, FUNDING_ROW_WORDS, GOAL_BLOCK_LABELS,
    GRADE_LABELS, GRADES, HEAD_WORDS, HEADER_WORD_MAX_CHARS, INDICATOR_COLUMN_LABELS, INDICATOR_HEAD_PIECE_READS,
    LEVEL1_NAMES, LEVEL2_NAMES, YEAR_IN_TEXT, column_key, goal_keys_by_words, is_closing_label, is_label, label_key,
    match_header_word,
    read_run_together,
)
from extract.layout.flat_format import (
    GOAL_ACTUAL, locator,
    pages_flat_text, text_pages,
)
from extract.layout.templates import Title, label_tables, money_unit_in, read_title, split_head_total
from extract.model import (
    FUNDING_KEYS, FUNDING_ROW_KEYS, INDICATOR_KEYS, FieldPath, FormResult, Page, Provenance, empty_funding_row, empty_record,
    iter_fields,
)
from extract.parse.assembly import FormAssembly
from extract.parse.flat_lines import NUMBER, SENTENCE_ENDS, Line, _first_chunk, split_lines, width, width_max
from extract.parse.flat_rows import _REFERENCE_COLUMNS, IndicatorRows, RowCells, RowsWithoutFigures, header_keys
from extract.parse.box_text import looks_like_box_text, parse_box_text
from extract.parse.copied_shapes import as_content_order
from extract.parse.row_text import parse_row_text, row_text_shape
from extract.parse.run_together import is_run_together, split_run_together
from extract.parse.values import clean_cell_text, is_number_token, is_weight_and_score, parse_number

Tagger = Callable[[str], Iterable[tuple[int, int, str]]]
# Where a field was read: (page of the text, start, end) of the lines it came
# from (char offsets into the text) → its provenance.
Locate = Callable[[int, int, int], Provenance]

log = logging.getLogger("selfeval.parse")

METHOD = "flat-text"
# Header labels of the indicator table printed before 三级指标 (vertical pieces).
INDICATOR_HEAD_PIECES = (INDICATOR_COLUMN_LABELS["level1"][0], INDICATOR_COLUMN_LABELS["level2"][0])


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------

def parse_flat_text(text: str, source_file: str, sha256: str, tagger: Tagger | None = None,
                    locate: Locate | None = None,
                    page_of: Callable[[int], tuple[int, str]] | None = None) -> list[FormResult]:
    """The forms of a flat text, in order, `source` filled (`source.pages`
    from form feeds or runs of blank lines, 1-based; `page_of(k)` gives
    page k of the text as (page number, kind) where it came from pages).

    `tagger`, when given, is called once per form on the form's text (from
    its title to the next title, the size of `corpus.flat` examples); its
    spans decide the goal split, the extent of deviation cells and, as a
    strong vote, the name / target / actual boundaries.

    `locate(page, start, end)`, when given, makes each field's provenance
    from the lines it was read from (char offsets into `text`); without it a
    field gets its page, no bbox, method "flat-text" and confidence 1.0."""
    copied = as_content_order(text) if locate is None else None
    if copied is not None:
        text = copied.text      # a form copied cell by cell or on one line: read as content order prints it
    elif locate is None:
        # Other extractors' shapes: pdfminer's text boxes grouped by column;
        # a text printed row by row (pdfplumber, pdftotext -layout, a web table).
        if looks_like_box_text(text):
            return parse_box_text(text, source_file, sha256, tagger)
        shape = row_text_shape(text)
        if shape is not None:
            return parse_row_text(text, source_file, sha256, shape, page_of)
    text = text.replace("\r", " ")      # CRLF: same offsets for the tagger's spans
    lines = split_lines(text)
    forms: list[list[Line]] = []
    titles: list[Title | None] = []
    for line in lines:
        title = read_title(line.text)
        if title is not None or label_key(FORM_TITLE) in label_key(line.text):
            forms.append([line])
            titles.append(title)
        elif forms:
            forms[-1].append(line)
    parsed = []
    folds = [_Folding(form_lines) for form_lines in forms]
    doc = _DocumentStats([fold.lines for fold in folds])
    for position, (form_lines, fold) in enumerate(zip(forms, folds), start=1):
        spans: list[tuple[int, int, str]] = []
        if tagger is not None:
            start = form_lines[0].start
            end = forms[position][0].start if position < len(forms) else len(text)
            spans = sorted((start + a, start + b, label) for a, b, label in tagger(text[start:end]))
        parser = _FormParser(fold.lines, text, spans, doc)
        printed = parser.parse()
        title = titles[position - 1]
        assembly = FormAssembly(template_families=title.families if title else None)
        for _ in printed["indicators"]:
            assembly.new_indicator()
        for page in sorted({line.page for line in form_lines}):
            assembly.touch(*(page_of(page) if page_of is not None else (page, "text")))
        for path, value in iter_fields(printed):
            read_from = parser.provenance.get(path)
            if path in parser.absent and path.cell == path:
                assembly.put(path, None, _absent(parser.absent[path], locate))
                continue
            if path.cell != path or not path.is_read_from_form or (read_from is None and value is None):
                continue
            if isinstance(value, str) and value not in GRADES:     # a grade is the contract's word
                value, sure = fold.as_printed(value)
                if not sure:
                    parser.doubts.append(([path], f"{path}: which traditional character it prints is unsure"))
            assembly.put(path, value, _where(read_from, locate) if read_from else None)
        assembly.extra.update({fold.as_printed(label)[0]: fold.as_printed(value)[0] if isinstance(value, str)
                               else [fold.as_printed(v)[0] for v in value] for label, value in parser.extra.items()})
        assembly.money_unit = parser.money_unit
        assembly.header_labels |= parser.unknown_labels
        total = FieldPath.top("total_score")
        if title is not None and title.total_score is not None and not assembly.text(total):
            assembly.put(total, str(title.total_score))     # 项目总得分99分 after the title, no 总分 row
        assembly.put(FieldPath.top("title"), title.printed if title else FORM_TITLE, _where([form_lines[0]], locate))
        if parser.header_unread:
            parser.doubts.append(([f"indicators[{i}].{key}" for i in range(len(printed["indicators"]))
                                   for key in INDICATOR_KEYS],
                                  "the indicator header is read without a target or an actual column: "
                                  "its rows' cells are placed by a guess"))
        if copied is not None:
            for path, read_from in parser.provenance.items():
                if any(copied.is_uncut(line.start) for line in read_from):
                    parser.doubts.append(([path], f"{path}: read from cells copied without rows, which no cut places"))
        for paths, why in parser.doubts:
            assembly.doubt([FieldPath.of(p) for p in paths], why)
        parsed.append(assembly.finish(source_file, sha256))
    return parsed


@functools.cache
def _traditional_to_simplified() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


class _Folding:
    """A form printed in traditional characters (項目名稱) is read in
    simplified ones, as the labels are written, and its values are given
    back as printed, character by character (OpenCC's t2s keeps a text's
    length; a form whose text it does not keep is read as printed)."""

    def __init__(self, lines: list[Line]) -> None:
        convert = _traditional_to_simplified().convert
        folded = [convert(line.text) for line in lines]
        self.lines = lines
        self.back: dict[str, set[str]] = {}        # simplified character → the characters printed
        if folded == [line.text for line in lines] or any(len(f) != len(l.text) for f, l in zip(folded, lines)):
            return
        for text, line in zip(folded, lines):
            for simple, printed in zip(text, line.text):
                self.back.setdefault(simple, set()).add(printed)
        self.lines = [Line(text, line.page, line.start, line.indent, line.tight) for text, line in zip(folded, lines)]

    def as_printed(self, text: str) -> tuple[str, bool]:
        """A value read from the folded lines as the form prints it, and
        whether each character could only be the one given (a form that
        prints both 后 and 後 leaves 后 unsure)."""
        if not self.back:
            return text, True
        printed = [next(iter(self.back[c])) if len(self.back.get(c, ())) == 1 else c for c in text]
        return "".join(printed), all(len(self.back.get(c, ())) <= 1 for c in text)


def _absent(row: list["Line"], locate: Locate | None) -> Provenance:
    """The provenance of a field whose column the form's header, read
    whole, does not print (a template without 分值 or 年初预算数): the row's
    page, and certain (as the grid reader's `put_absent`)."""
    return replace(_where(row, locate), bbox=None, confidence=1.0, continued=[])


def _where(read_from: list["Line"], locate: Locate | None) -> Provenance:
    """The provenance of a field read from these lines."""
    page = read_from[0].page
    if locate is None:
        return Provenance(page, None, METHOD, 1.0)
    start = min(line.start for line in read_from)
    end = max(line.start + len(line.text) for line in read_from)
    return locate(page, start, end)


# --------------------------------------------------------------------------
# Pages on which no ruled table was found
# --------------------------------------------------------------------------

def parse_flat_pages(pages: list[Page], source_file: str, sha256: str,
                     tagger: Tagger | None = None) -> list[FormResult]:
    """The forms on pages where no ruled table was found, read as flat text
    in reading order (what a `.txt` extraction goes through).  Only forms
    with content are kept (a title alone may head a form whose table is on
    the next page).  A field's provenance: the page and the box of the lines
    it was read from, method ``flat:<how the page was read>``, and the lowest
    reading confidence of those lines (the confidence policy lowers it)."""
    text, sources = pages_flat_text(pages)
    if not sources:
        return []
    read = text_pages(sources)

    def page_of(k: int) -> tuple[int, str]:
        page = read[min(max(k, 1), len(read)) - 1]
        return page.number, page.kind

    forms = parse_flat_text(text, source_file, sha256, tagger, locator(sources), page_of)
    return [form for form in forms if form.record.get("project_name") or form.record.get("indicators")]

# Goal splits whose best place is less than this far ahead of the next (in
# `_split_goals` points) are doubted.
GOAL_DOUBT_MARGIN = 1.0
FUNDING_HEADER_START = "年初预算"
# A funding header marks itself by one of these columns.
_FUNDING_HEADER_MARKERS = ("annual_budget", "initial_budget", "executed")


def _funding_header(text: str) -> tuple[list[str], bool, tuple[str, ...]]:
    """The funding header's columns in printed order, from its labels'
    keys joined (`text`: what stands before the first row's label, the
    block label 项目资金（万元） too): each label read longest first, as
    wrapped labels (`年初预算` / `数`) join again, one no family prints by
    its words.  Whether the header was read (else the reference columns),
    and the labels read by their words."""
    tables = label_tables()
    labels = sorted([(label_key(s), key) for key, syn in tables.funding_columns.items() for s in syn]
                    + [(label_key(s), "extra") for s in label_tables().extra_columns], key=lambda kv: -len(kv[0]))
    for block in sorted(map(label_key, FUNDING_BLOCK_LABELS + ("项目资金(元)",)), key=len, reverse=True):
        text = text.replace(block, "", 1) if block in text else text
    reading = read_run_together(text, tuple(labels), FUNDING_HEADER_WORDS)
    if reading is None or not any(c in _FUNDING_HEADER_MARKERS for c in reading[0]):
        return list(FUNDING_ROW_KEYS), False, ()
    columns = list(reading[0])
    # a label of a key the header has already, right before a column of
    # notes, is that column's first word (评分说明: 评分 is 得分's synonym)
    for k in range(len(columns) - 1, 0, -1):
        if columns[k] == "extra" and columns[k - 1] != "extra" and columns[k - 1] in columns[:k - 1]:
            del columns[k - 1]
    return columns, True, reading[1]


def _is_funding_header_line(text: str) -> bool:
    """A line that is a funding header of its own, whatever its first
    column: three or more of its labels, no figure."""
    tokens = text.split()
    if len(tokens) < 3 or any(is_number_token(t) for t in tokens):
        return False
    columns, read, _ = _funding_header(label_key(text))
    return read and len([c for c in columns if c != "extra"]) >= 3


def _join_wrapped_figures(values: list[str], starts: list[bool],
                          columns: list[str] | int) -> tuple[list[str], bool] | None:
    """A funding row's figures when some wrapped in their cells
    (`181458.5` / `5`): cells at one height are joined by a space, so only a
    figure that starts a line may continue the one before.  Of the ways to
    join `len(values) - len(columns)` such pairs, the one the row's arithmetic
    (执行率 = 全年执行数 / 全年预算数, 得分 = 分值 × 执行率) fits best; and
    whether it alone fits (else the row is doubted).  None: no way.
    `columns`: the header's column keys, or a count of the reference's."""
    from itertools import combinations

    from extract.layout.labels import NULL_MARKS

    if isinstance(columns, int):
        columns = list(FUNDING_ROW_KEYS[:columns])

    joins = [k for k in range(1, len(values)) if starts[k] and values[k] not in NULL_MARKS
             and values[k - 1] not in NULL_MARKS]
    need = len(values) - len(columns)
    best: list[tuple[float, list[str]]] = []
    for chosen in combinations(joins, need):
        out: list[str] = []
        for k, value in enumerate(values):
            if k in chosen:
                out[-1] += value
            else:
                out.append(value)
        best.append((_funding_misfit(dict(zip(columns, out))), out))
    if not best:
        return None
    best.sort(key=lambda b: b[0])
    sure = best[0][0] < 0.05 and (len(best) == 1 or best[1][0] >= 0.05)
    return best[0][1], sure


def _funding_misfit(row: dict[str, str]) -> float:
    """How far a funding row's figures (by column) are from its arithmetic
    (0: it holds; inf: a figure that is no number)."""
    try:
        figures = {key: parse_number(value) for key, value in row.items()}
    except ValueError:
        return float("inf")          # two figures joined into no number (`181458.55179952.4`)
    annual, executed, weight, rate, score = (figures.get(k) for k in
                                             ("annual_budget", "executed", "weight", "execution_rate", "score"))
    misfit = Decimal(0)
    # in percentage points and points: printed to two decimals, cut or rounded
    if annual and executed is not None and rate is not None:
        misfit += abs(executed / annual * 100 - rate)
    if weight is not None and rate is not None and score is not None:
        misfit += abs(weight * min(rate, Decimal(100)) / 100 - score)
    return float(misfit)


def _goal_labels() -> tuple[str, ...]:
    """The goal block's column and block labels, longest first (实际完成情况
    is the end of 全年实际完成情况)."""
    goal = label_tables().goal
    return tuple(sorted(goal["goal_expected"] + goal["goal_actual"] + GOAL_BLOCK_LABELS, key=len, reverse=True))


def _goal_header_words(line: str) -> tuple[str, ...]:
    """The goal labels of a goal header line no family prints (年度总体目标
    年初设定目标 全年实际完成情况): after the block label, a label for each
    goal by its words; () for any other line."""
    tokens = line.split()
    return tuple(tokens[1:]) if goal_keys_by_words(tokens) else ()


def _total_label_at(text: str) -> int | None:
    """Where a 总分 / 合计 label stands in a line, as a cell of its own (a
    closing label may print before it, `无 总分 100 96 优`); None: nowhere."""
    for m in re.finditer(r"\S+", text):
        if is_label(m.group(), label_tables().totals):
            return m.start()
    return None


def _total_pair(lines: list[Line]) -> tuple[str, str] | None:
    """总分's 分值 and 得分.  Two numbers on one line (joined with a space)
    are two cells; a number cell too narrow for its figure wraps it, and its
    rest starts the next line (`100 98.9` / `9`): of the ways to join such
    pieces back into two numbers, the one where 得分 does not exceed 分值
    (≤ 100) is taken, the last two numbers when none or several are."""
    pieces: list[tuple[str, int]] = []          # (number, line index)
    for k, line in enumerate(lines):
        # a figure may wrap right after its point (`100.` / `0`)
        for token in re.findall(rf"{NUMBER}\.?", line.text):
            pieces.append((token, k))
    if len(pieces) < 2:
        return None
    if len(pieces) == 2:
        return pieces[0][0], pieces[1][0]
    fits = []
    for cut in range(1, len(pieces)):
        groups = (pieces[:cut], pieces[cut:])
        # pieces of one cell sit on lines that follow one another
        if any(b[1] != a[1] + 1 for g in groups for a, b in zip(g, g[1:])):
            continue
        weight, score = ("".join(p[0] for p in g) for g in groups)
        if is_weight_and_score(weight, score):
            fits.append((weight, score))
    if len(fits) == 1:
        return fits[0]
    return pieces[-2][0], pieces[-1][0]


# --------------------------------------------------------------------------
# Per-document column widths
# --------------------------------------------------------------------------

class _DocumentStats:
    """Column capacities (in em) measured over every indicator row of a document."""

    def __init__(self, forms: list[list[Line]]) -> None:
        name_first, narrow = [], []
        exact: set[float] = set()     # widths of lines with no half-width character (known exactly)
        for form in forms:
            rows = _FormParser(form, "", [], None).raw_rows()
            for row_lines in rows:
                if row_lines:
                    first = row_lines[0]
                    if " " not in first:
                        name_first.append(width(first))
                for line in row_lines[1:]:
                    if " " not in line:
                        narrow.append(width(line))
                        if width(line) == width_max(line):
                            exact.add(width(line))
        name_first.sort()
        self.name_capacity = name_first[-1] if name_first else 14.0
        wide = [w for w in narrow if w <= self.name_capacity + 0.5]
        # first guess: the most frequent full width, raised to the widest line
        # just above it (a line of half-width characters fills the column more closely)
        mode = _mode_high(wide) if wide else 6.0
        self.narrow_capacity = max([w for w in wide if mode <= w <= mode + 0.5] + [mode])
        # then the capacity under which the rows split best (greedy wrapping
        # explains the most line breaks)
        candidates = sorted({w for w in wide if w >= 3.0} | {self.narrow_capacity})
        if len(candidates) > 1:
            # of capacities that split the rows equally well, the narrowest a
            # line of full-width characters (whose width is known) fills
            fits = {c: self._fit(forms, c) for c in candidates}
            top = max(fits.values())
            tied = [c for c in candidates if fits[c] == top]
            self.narrow_capacity = min(tied, key=lambda c: (c not in exact, c))

    def _fit(self, forms: list[list[Line]], capacity: float) -> float:
        saved = self.narrow_capacity
        self.narrow_capacity = capacity
        total = 0.0
        for form in forms:
            parser = _FormParser(form, "", [], self)
            parser.parse()
            total += parser.split_score
        self.narrow_capacity = saved
        return total

    def __repr__(self) -> str:
        return f"<stats name={self.name_capacity} narrow={self.narrow_capacity}>"


def _mode_high(values: list[float]) -> float:
    """The capacity of a narrow column: the most frequent of the larger widths."""
    values = sorted(values)
    top = values[int(len(values) * 0.5):]
    counts: dict[float, int] = {}
    for v in top:
        counts[v] = counts.get(v, 0) + 1
    return max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]

# --------------------------------------------------------------------------
# One form
# --------------------------------------------------------------------------

_LEVEL_NAMES = tuple(dict.fromkeys(LEVEL1_NAMES + LEVEL2_NAMES))

class _FormParser(IndicatorRows, RowCells, RowsWithoutFigures):
    def __init__(self, lines: list[Line], text: str, spans: list[tuple[int, int, str]],
                 doc: _DocumentStats | None) -> None:
        self.lines = lines
        self.text = text
        self.spans = spans
        self.doc = doc
        self.record = empty_record()
        self.provenance: dict[str, list[Line]] = {}     # path → the lines it was read from
        self.split_score = 0.0        # how well the rows' cells fit their columns
        self.split_margin: float | None = None   # of the last row split: its lead over the next best
        self.doubts: list[tuple[list[str], str]] = []   # (paths, why): cells placed by a close guess
        # fields whose column the header, read whole, does not print → the lines of their row
        self.absent: dict[str, list[Line]] = {}
        # the indicator header's columns from 三级指标 on, its label keys
        # joined, and whether it splits the target over three cells
        self.columns: list[str] = list(_REFERENCE_COLUMNS)
        self.header_key = ""
        self.target_parts = False
        self.money_unit: str | None = None          # the unit the funding table states
        self.extra: dict[str, Any] = {}               # labelled cells no key holds (FORM_RECORD.md, extra)
        self.unknown_labels: set[str] = set()         # labels read by their words, which no family prints
        self.header_unread = False                    # the indicator header misread (flat_rows)
        self.header_prints_figures = False            # the indicator header prints 分值 or 得分 (sections)
        self.text_column = False                      # a column kept in `extra` before 分值 / 得分 (flat_rows)
        self.figure_column_after_score = False        # ... or one after 得分
        self.figures_after_score: list[str] = []      # that column's figures, row by row (flat_rows)
        self.extra_labels: list[str] = []              # indicator header labels read as extra columns (flat_rows)
        self.overruled = False        # the rules overruled the model's deviation before this row

    # ---------------- sections
    def _find(self, predicate: Callable[[str], bool], start: int = 0, end: int | None = None) -> int | None:
        end = len(self.lines) if end is None else end
        for i in range(start, end):
            if predicate(self.lines[i].text):
                return i
        return None

    def sections(self) -> dict[str, int | None]:
        keys = lambda s: label_key(s)
        tables = label_tables()
        names = tuple(label_key(l) for l in tables.head["project_name"])
        head = self._find(lambda t: keys(t).startswith(names))
        if head is None:       # a head label no family prints (专项资金名称), by its words
            head = self._find(lambda t: match_header_word(t.split(maxsplit=1)[0] if t.split() else "", HEAD_WORDS)
                              == "project_name")
        # the funding header's first cell may wrap (年初预算 / 数); out of reading
        # order, the header may print before the block label 项目资金（万元）
        funding = self._find(lambda t: any(keys(t).startswith(label_key(l)[:4]) for l in FUNDING_BLOCK_LABELS)
                             or FUNDING_HEADER_START in t or _is_funding_header_line(t), (head or 0) + 1)
        goal_header = self._find(lambda t: any(l in t for l in tables.goal["goal_expected"]),
                                 funding or 0)
        if goal_header is None:     # goal labels no family prints (年初设定目标), by their words
            goal_header = self._find(lambda t: bool(_goal_header_words(t)), funding or 0)
        ind_header = self._find(lambda t: any(l in t for l in INDICATOR_COLUMN_LABELS["name"]),
                                goal_header or 0)
        total = self._find(lambda t: _total_label_at(t) is not None, (ind_header or 0) + 1)
        header_text = self._header_read(ind_header)[0]
        keys = header_keys(header_text) if header_text else None
        self.header_prints_figures = bool({"weight", "score"} & set(keys or ()))
        closing = next((k for k in range(self._header_end(ind_header), len(self.lines))
                        if self._extra_label_at(k) is not None and not self._in_a_header(k)), None)
        grade = self._find(lambda t: any(t.startswith(l) for l in GRADE_LABELS), total or 0)
        ends = [k for k in (total, closing) if k is not None]
        return {"head": head, "funding": funding, "goal": goal_header, "indicators": ind_header,
                "total": total, "grade": grade, "closing": closing,
                "end": min(ends) if ends else len(self.lines)}

    def _header_end(self, ind_header: int | None) -> int:
        """The line after the indicator header, its labels wrapped over lines
        joined (`header_keys`); past the end where there is no header."""
        return self._header_read(ind_header)[1]

    def _header_read(self, ind_header: int | None) -> tuple[str, int]:
        """The indicator header's label keys from 三级指标 on, joined over the
        lines they wrap onto, and the line after it."""
        if ind_header is None:
            return "", len(self.lines)
        first = self.lines[ind_header].text
        text = label_key(first[max(first.find(INDICATOR_COLUMN_LABELS["name"][0]), 0):])
        j = ind_header + 1
        while j < len(self.lines) and label_key(self.lines[j].text) \
                and header_keys(text + label_key(self.lines[j].text)) is not None:
            text += label_key(self.lines[j].text)
            j += 1
        return text, j

    def _in_a_header(self, k: int) -> bool:
        """Whether line k is the wrapped rest of an indicator header (the first
        or one repeated after a page break): `偏差原因分析及` / `改进措施` is no
        closing row."""
        name = INDICATOR_COLUMN_LABELS["name"][0]
        return any(name in self.lines[h].text and self._header_end(h) > k for h in range(max(0, k - 8), k))

    def _extra_label_at(self, k: int) -> tuple[str, int, str] | None:
        """A closing row's label (评价结论, 说明, 注, 其他需要说明事项 …, that
        the record keeps in `extra`) from line k: the label as printed, the
        lines it takes (a narrow cell wraps it), and the text after it on
        its last line.  The label is a cell of its own: a line's first
        piece, or whole lines."""
        labels = [label_key(l) for l in label_tables().extra_rows]
        head, _, tail = self.lines[k].text.partition(" ")
        # (only where rows print figures: a table without 分值 / 得分 has none to end it by)
        if label_key(head) not in labels and is_closing_label(head) and (tail.strip() or k + 1 < len(self.lines)) \
                and self.header_prints_figures and not self._figures_after(k):
            self.unknown_labels.add(label_key(head))
            return head, 1, tail.strip()        # a label no family prints, and no indicator after it
        acc, printed = "", ""
        for j in range(k, min(k + 3, len(self.lines))):
            head, _, tail = self.lines[j].text.partition(" ")
            key = acc + label_key(head)
            if key in labels:
                return printed + head, j - k + 1, tail.strip()
            if tail or not any(l.startswith(key) for l in labels) or not key:
                return None
            acc, printed = key, printed + head
        return None

    def _figures_after(self, k: int) -> bool:
        """Whether a line after line k, before the 总分 row, prints a figure
        (an indicator row's 分值 or 得分)."""
        for line in self.lines[k + 1:]:
            if _total_label_at(line.text) is not None:
                return False
            if any(is_number_token(token) for token in line.text.split()):
                return True
        return False

    def _closing(self, start: int) -> None:
        """The closing rows from line `start` into `extra` (label → text as
        printed), the 总分 row left to its reader."""
        label, value = None, []

        def flush() -> None:
            if label is not None:
                self.extra[label] = clean_cell_text("\n".join(value))

        k = start
        while k < len(self.lines):
            found = self._extra_label_at(k)
            if found is not None:
                flush()
                label, used, tail = found
                value = [tail] if tail else []
                k += used
                continue
            text = self.lines[k].text
            at = _total_label_at(text)
            if at is not None:
                value.append(text[:at])
                flush()
                label = None
            elif label is not None:
                value.append(text)
            k += 1
        flush()

    def parse(self) -> dict[str, Any]:
        record = self.record
        for line in self.lines[:4]:
            match = YEAR_IN_TEXT.search(line.text)
            if match:
                record["year"] = match.group(1)
                self.provenance["year"] = [line]
                stated = split_head_total(line.text)[1]     # （2022年度）自评得分98; a 总分 row is read later
                if stated is not None:
                    record["total_score"] = str(stated)
                    self.provenance["total_score"] = [line]
                break
        s = self.sections()
        if self.text:  # not while measuring column widths
            log.debug("form at offset %d (page %d): section lines %s", self.lines[0].start, self.lines[0].page,
                      {k: v for k, v in s.items() if v is not None})
        if s["head"] is not None:
            self._head(s["head"], s["funding"] or s["goal"] or len(self.lines))
        if s["funding"] is not None:
            self._funding(s["funding"], s["goal"] or s["indicators"] or len(self.lines),
                          closed=(s["goal"] or s["indicators"]) is not None)
        if s["goal"] is not None:
            self._goals(s["goal"], s["indicators"] or len(self.lines))
        if s["indicators"] is not None:
            self._indicators(s["indicators"], s["end"])
        if s["closing"] is not None:
            self._closing(s["closing"])
        if s["total"] is not None:
            self._totals(s["total"])
        if s["grade"] is not None:
            rest = self.lines[s["grade"]].text
            for label in GRADE_LABELS:
                if rest.startswith(label):
                    rest = rest[len(label):]
                    break
            rest = rest.strip(" ：:")
            self.provenance["grade"] = [self.lines[s["grade"]]]
            if not rest and s["grade"] + 1 < len(self.lines):
                rest = self.lines[s["grade"] + 1].text
                self.provenance["grade"].append(self.lines[s["grade"] + 1])
            grade = next((g for g in GRADES if rest.startswith(g)), None)
            record["grade"] = grade or (clean_cell_text(rest) or None)
        self._close_totals(s)
        return record

    def _close_totals(self, s: dict[str, int | None]) -> None:
        """总分 and 评分等级 that a form whose indicator header was read whole
        does not print: null and certain, as the grid reader's `_close_grade`.
        No total row under a header without 分值 / 得分 has no figures to
        print; no grade label and no grade word (优, 良, …) after the header,
        where a total row or a closing row shows the table's end was read,
        is no grade.  A total stated in the head is kept; with no total row
        the form prints no total weight either."""
        ind_header = s["indicators"]
        if ind_header is None or not self.columns:
            return
        table_end = s["total"] if s["total"] is not None else s["closing"]
        # (a total stated in the head, 自评得分98, and no total row after the
        # table: the form prints no 总分 row, so no total weight)
        stated_in_head = "total_score" in self.provenance and s["total"] is None and table_end is not None
        if s["total"] is None and (not self.prints_figures or stated_in_head):
            for path in ("total_weight", "total_score"):
                if path not in self.provenance:
                    self.absent[path] = [self.lines[ind_header]]
        if s["grade"] is None and table_end is not None and self.record["grade"] is None \
                and "grade" not in self.provenance:
            after = self.lines[self._header_end(ind_header):]
            if not any(word in GRADES for line in after for word in line.text.split()):
                self.absent["grade"] = [self.lines[table_end]]

    def _totals(self, at: int) -> None:
        """总分 / 合计: its 分值 and 得分, read from its line and the lines of
        figures its narrow cells wrapped onto; a template that prints the
        weight only (`合计 100`) gives no 得分; a grade after them is the
        grade (`总分 100 96 优`)."""
        line = self.lines[at]
        first = Line(line.text[_total_label_at(line.text):], line.page, line.start, line.indent, line.tight)
        read_from = [first]
        for nxt in self.lines[at + 1:at + 5]:
            if not re.fullmatch(rf"(?:{NUMBER}\.?\s*)+", nxt.text):
                break
            read_from.append(nxt)
        pair = _total_pair(read_from)
        figures = re.findall(NUMBER, first.text)
        if pair is None and len(read_from) == 1 and len(figures) == 1:
            pair = (figures[0], None)
        if pair is not None:
            self.record["total_weight"], self.record["total_score"] = pair
            self.provenance["total_weight"] = self.provenance["total_score"] = read_from
        grade = first.text.split()[-1]
        if grade in GRADES:
            self.record["grade"] = grade
            self.provenance["grade"] = [line]

    # ---------------- head
    def _head(self, start: int, end: int) -> None:
        joined = "\n".join(line.text for line in self.lines[start:end])
        line_ends = []                 # end offset of each line in `joined`
        for line in self.lines[start:end]:
            line_ends.append((line_ends[-1] + 1 if line_ends else 0) + len(line.text))
        # drop the pieces of the funding block label that precede the funding header
        positions = []
        for key, synonyms in label_tables().head.items():
            # longest first: 主管部门 is the end of 县级主管部门
            for label in sorted(synonyms, key=len, reverse=True):
                at = joined.find(label)
                if at >= 0:
                    # a label is a word of its own: 县级主管部门 is all label, not 县级 and a label
                    word = max(joined.rfind(" ", 0, at), joined.rfind("\n", 0, at)) + 1
                    if at - word + len(label) <= HEADER_WORD_MAX_CHARS:
                        at = word
                    positions.append((at, joined.find(label, at) + len(label), key))
                    break
        found = {key for _, _, key in positions}
        for token in re.finditer(r"\S+", joined):     # labels no family prints (县级主管部门), by their words
            key = match_header_word(token.group(), HEAD_WORDS)
            if key is not None and key not in found and not any(a <= token.start() < b for a, b, _ in positions):
                positions.append((token.start(), token.end(), key))
                found.add(key)
                self.unknown_labels.add(label_key(token.group()))
        positions.sort()
        for i, (a, b, key) in enumerate(positions):
            stop = positions[i + 1][0] if i + 1 < len(positions) else len(joined)
            value = clean_cell_text(joined[b:stop].strip(" ：:"))
            self.record[key] = value or None
            first = next(k for k, e in enumerate(line_ends) if e >= a)
            last = next((k for k, e in enumerate(line_ends) if e >= stop), len(line_ends) - 1)
            self.provenance[key] = self.lines[start + first:start + last + 1]

    # ---------------- funding
    def _funding(self, start: int, end: int, closed: bool = False) -> None:
        """The funding rows, each figure under the header column it stands in
        (the header's labels in printed order, `_funding_header`); a column
        the header does not print is null for every row, and certain.  A row
        the block does not print is null and certain too where the block was
        read whole (`closed`: the goals or the indicators follow it; the
        header read whole; every label with figures placed), as the grid
        reader's `FormAssembly.unprinted_funding_cells`."""
        tokens: list[str] = []
        token_lines: list[Line] = []
        first_on_line: list[bool] = []
        for line in self.lines[start:end]:
            for k, token in enumerate(line.text.split()):
                tokens.append(token)
                token_lines.append(line)
                first_on_line.append(k == 0)
        tables = label_tables()
        labels = sorted(((label_key(s), key) for key, syn in tables.funding_rows.items() if key != "extra"
                         for s in syn), key=lambda kv: -len(kv[0]))
        extra_labels = sorted((label_key(s) for s in tables.funding_extra_rows), key=len, reverse=True)
        columns: list[str] | None = None
        complete = False
        label_start = 0
        buffer = ""
        i = 0
        unread = False                # figures under a label no table names
        while i < len(tokens):
            token = tokens[i]
            if is_number_token(token) or is_run_together(token):
                unread = unread or (bool(buffer) and columns is not None)
                buffer = ""
                i += 1
                continue
            if not buffer:
                label_start = i
            buffer += column_key(token)     # (a column's note, 得分(分值×执行率), no label of its own)
            label, key = next(((lk, k) for lk, k in labels if buffer.endswith(lk)), (None, None))
            extra = None
            if key is None:
                extra = label = next((lk for lk in extra_labels if buffer.endswith(lk)), None)
            # the first 其中 row, whatever its label, is the current appropriation
            if key is None and extra is None and i + 1 < len(tokens) and is_number_token(tokens[i + 1]) \
                    and "其中" in buffer and self.record["funding"]["current_appropriation"] == empty_funding_row():
                label = buffer[buffer.index("其中"):]
                key = "current_appropriation"
            if key is None and extra is None and i + 1 < len(tokens) and is_number_token(tokens[i + 1]):
                label, key = self._funding_row_by_words(buffer)
            i += 1
            if key is None and extra is None:
                continue
            if columns is None:
                columns, complete, by_words = _funding_header(buffer[:len(buffer) - len(label)])
                self.unknown_labels.update(by_words)
                # the unit the block label or a column header states (项目资金（元）)
                self.money_unit = money_unit_in("".join(tokens[:i]))
            values, starts = [], []
            while i < len(tokens) and len(values) < 2 * len(columns) and (
                    is_number_token(tokens[i]) or is_run_together(tokens[i])):
                values.append(tokens[i])
                starts.append(first_on_line[i])
                i += 1
            buffer = ""
            read_from = list(dict.fromkeys(map(id, token_lines[label_start:i])))
            read_lines = [line for line in self.lines[start:end] if id(line) in read_from]
            if extra is not None:
                printed = clean_cell_text(" ".join(tokens[label_start:i - len(values)]))
                self.extra[printed] = values
                continue
            self._funding_row(key, columns, complete, values, starts, read_lines)
        if closed and complete and not unread and columns is not None:
            block = self.lines[start:end]
            for key in FUNDING_KEYS:
                paths = [f"funding.{key}.{k}" for k in FUNDING_ROW_KEYS]
                if not any(path in self.provenance or path in self.absent for path in paths):
                    self.absent.update((path, block) for path in paths)

    def _funding_row_by_words(self, buffer: str) -> tuple[str | None, str | None]:
        """A funding row's label no family prints (总额), the end of what was
        read before its figures, by its words; a row already read is not
        read twice (财政专户管理资金 after 财政资金)."""
        for start in range(len(buffer) - 2, max(-1, len(buffer) - HEADER_WORD_MAX_CHARS - 1), -1):   # shortest first
            key = match_header_word(buffer[start:], FUNDING_ROW_WORDS)
            if key is not None and self.record["funding"][key] == empty_funding_row():
                self.unknown_labels.add(buffer[start:])
                return buffer[start:], key
        return None, None

    def _funding_row(self, key: str, columns: list[str], complete: bool, values: list[str],
                     starts: list[bool], read_lines: list[Line]) -> None:
        """One funding row's figures into the header's columns."""
        paths = [f"funding.{key}.{k}" for k in FUNDING_ROW_KEYS]
        if len(values) > len(columns):
            joined = _join_wrapped_figures(values, starts, columns)
            if joined is None:
                values = values[:len(columns)]
                self.doubts.append((paths, f"funding row {key}: more figures than the header has columns"))
            else:
                values, sure = joined
                if not sure:
                    self.doubts.append((paths, f"funding row {key}: figures wrapped in their cells joined by a guess"))
        run_together = split_run_together(values, [c for c in columns if c in FUNDING_ROW_KEYS])
        if run_together is not None:       # 194.9194.9100%: cut where the row's arithmetic holds
            values, sure = run_together
            if not sure:
                self.doubts.append((paths, f"funding row {key}: figures run together cut by a guess"))
        keyed = [c for c in columns if c in FUNDING_ROW_KEYS]
        if len(values) < len(columns) and any(c in FUNDING_ROW_KEYS for c in columns[len(values):]):
            # a cell left empty moves the figures after it left: which one is unknown
            self.doubts.append((paths, f"funding row {key}: {len(values)} figures under {len(columns)} columns"))
        row = self.record["funding"][key]
        for column, value in zip(columns, values):
            if column in FUNDING_ROW_KEYS:
                row[column] = value
        for rkey in FUNDING_ROW_KEYS:
            path = f"funding.{key}.{rkey}"
            if rkey in keyed:
                self.provenance[path] = read_lines
            elif complete:
                self.absent[path] = read_lines
            else:
                self.provenance[path] = read_lines
                self.doubts.append(([path], f"funding row {key}: the header gave no column for {rkey}"))

    # ---------------- goals
    def _goals(self, header: int, end: int) -> None:
        # the indicator header's vertical pieces (一级 / 指标 / 二级 / 指标) end the goals
        stop = end
        pieces = "".join(INDICATOR_HEAD_PIECES)
        for j in range(end - 1, header, -1):
            tail = "".join(label_key(l.text) for l in self.lines[j:end])
            if pieces.endswith(tail) and tail:
                stop = j
            elif INDICATOR_HEAD_PIECE_READS.fullmatch(tail) and len(tail) <= len(pieces):
                stop = j          # the pieces as OCR reads them (二级 → 一级)
            else:
                break
        header_text = self.lines[header].text
        first = header + 1
        labels = _goal_labels()
        while first < stop and label_key(self.lines[first].text) in {label_key(l) for l in labels}:
            first += 1
        # the block label wrapped in its narrow cell (年度总体目 / 标), printed
        # after the column labels where a page break moved it down
        # (its last piece may share its line with the first goal line:
        # `年度总体` / `目标 提升邮件…`)
        block_labels = {label_key(l) for l in GOAL_BLOCK_LABELS}
        acc, k, lead = "", first, None
        while k < stop and k - first < 4:
            line = self.lines[k]
            head, _, tail = line.text.partition(" ")
            shared = k > first and bool(tail.strip())
            acc += label_key(head if shared else line.text)
            k += 1
            if acc in block_labels:
                first = k
                if shared:
                    lead = Line(tail.strip(), line.page, line.start + line.text.index(tail.strip()), line.indent)
                break
            if shared or not any(l.startswith(acc) for l in block_labels):
                break
        goal_lines = ([lead] if lead else []) + self.lines[first:stop]
        if goal_lines:
            # the block label printed at the height of the first goal line
            for label in GOAL_BLOCK_LABELS:
                if goal_lines[0].text.startswith(label + " "):
                    head = goal_lines[0]
                    goal_lines[0] = Line(head.text[len(label):].strip(), head.page, head.start, head.indent)
        rest = header_text
        by_words = _goal_header_words(header_text)
        self.unknown_labels.update(map(label_key, by_words))
        for label in by_words + labels:      # whole labels first: 全年实际完成情况
            rest = rest.replace(label, " ")
        if rest.strip():
            goal_lines = [Line(rest.strip(), self.lines[header].page, self.lines[header].start)] + goal_lines
        if not goal_lines:
            return
        expected, actual = self._split_goals(goal_lines)
        self.record["goal_expected"] = clean_cell_text("\n".join(expected)) or None
        self.record["goal_actual"] = clean_cell_text("\n".join(actual)) or None
        self.provenance["goal_expected"] = goal_lines[:max(1, len(expected))]
        self.provenance["goal_actual"] = goal_lines[max(0, len(goal_lines) - len(actual)):] or goal_lines[-1:]

    def _doubt_goals(self, why: str) -> None:
        self.doubts.append((["goal_expected", "goal_actual"], why))

    def _split_goals(self, lines: list[Line]) -> tuple[list[str], list[str]]:
        texts = [line.text for line in lines]
        # The tagger proposes where the actual text starts; where the line
        # shapes part the cells elsewhere, theirs is kept and both go to
        # review (a model trained on rendered forms is the second opinion).
        if self.spans:
            a, b = lines[0].start, lines[-1].start + len(lines[-1].text)
            starts = [s for s, e, label in self.spans if label == GOAL_ACTUAL and a <= s < b]
            if starts:
                cut = starts[0]
                exp, act = [], []
                for line in lines:
                    end = line.start + len(line.text)
                    if end <= cut:
                        exp.append(line.text)
                    elif line.start >= cut:
                        act.append(line.text)
                    else:
                        exp.append(line.text[:cut - line.start])
                        act.append(line.text[cut - line.start:])
                if any(t.strip() for t in exp) and any(t.strip() for t in act):
                    rule = self._split_goals_by_rule(lines, doubt=False)
                    if ("".join(rule[0]).replace(" ", "") != "".join(exp).replace(" ", "")):
                        self._doubt_goals("the model and the line shapes part the goals apart")
                        return rule
                    return exp, act
                # a cut that leaves a cell empty: the model misread the block
        return self._split_goals_by_rule(lines)

    def _split_goals_by_rule(self, lines: list[Line], doubt: bool = True) -> tuple[list[str], list[str]]:
        texts = [line.text for line in lines]
        if not doubt:
            saved, self.doubts = self.doubts, []
            try:
                return self._split_goals_by_rule(lines)
            finally:
                self.doubts = saved
        # A line holding the end of one cell and the start of the other (same height).
        capacity = max(width(t) for t in texts)
        candidates: list[tuple[float, int, int | None]] = []   # (score, line index, char index)
        for i, t in enumerate(texts):
            for m in re.finditer(r"(?<=[。；;.！!）)])\s+(?=\S)", t):
                # two cells at one height; a space before a digit is Word's spacing
                candidates.append((1.0 if t[m.end()].isdigit() else 2.5, i, m.start()))
        for i in range(len(texts) - 1):
            t, nxt = texts[i], lines[i + 1]
            score = 0.0
            if t[-1] in SENTENCE_ENDS:
                score += 1.0
            # the line stopped before the column was full: its cell (or a
            # paragraph of it) ends here; even with Latin letters and digits
            # at their widest (`DB31/T` / `862-2014的…` is a word too wide to fit)
            if width_max(t) + width_max(_first_chunk(nxt.text)) <= capacity - 0.5:
                score += 2.0
            if nxt.indent:
                score -= 1.0          # a paragraph of the same cell
            if nxt.tight:
                score += 0.5
            if re.match(r"^\d{4}\s*年", nxt.text):
                score += 0.5          # what was done, dated
            if score > 0:
                candidates.append((score, i + 1, None))
        if not candidates:
            self._doubt_goals("no line of the goals ends a cell: split in half")
            half = max(1, len(texts) // 2)
            return texts[:half], texts[half:]
        best = max(candidates, key=lambda c: (c[0], -c[1]))
        others = [c[0] for c in candidates if c[1:] != best[1:]]
        if others and best[0] - max(others) < GOAL_DOUBT_MARGIN:
            self._doubt_goals(f"where 预期目标 ends and 实际完成情况 starts is a close call "
                              f"(margin {best[0] - max(others):.2f})")
        _, i, char = best
        if char is None:
            return texts[:i], texts[i:]
        return texts[:i] + [texts[i][:char]], [texts[i][char:]] + texts[i + 1:]

    # ---------------- indicators
