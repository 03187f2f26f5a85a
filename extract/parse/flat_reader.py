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

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from extract.parse.deviation import split_deviation
from extract.layout.labels import (
    FORM_TITLE, FUNDING_BLOCK_LABELS, FUNDING_ROW_LABELS, GOAL_BLOCK_LABELS, GOAL_COLUMN_LABELS,
    GRADE_LABELS, GRADES, HEAD_LABELS, IMPROVEMENT_LABELS, IMPROVEMENT_TURNS, INDICATOR_COLUMN_LABELS,
    LEVEL1_NAMES, LEVEL2_NAMES, MEASURE_OPERATOR_WORDS, NULL_MARKS, TOTAL_LABELS, label_key,
)
from extract.model import BBox, Page, ParsedForm, Provenance, empty_indicator, empty_record
from extract.parse.values import clean_cell_text, parse_measure, parse_number

Tagger = Callable[[str], Iterable[tuple[int, int, str]]]
# Where a field was read: (page of the text, start, end) of the lines it came
# from (char offsets into the text) → its provenance.
Locate = Callable[[int, int, int], Provenance]

METHOD = "flat-text"
# Header labels of the indicator table printed before 三级指标 (vertical pieces).
INDICATOR_HEAD_PIECES = (INDICATOR_COLUMN_LABELS["level1"][0], INDICATOR_COLUMN_LABELS["level2"][0])
# The pieces of those labels as OCR may read them: a lone 二 is often 一.
_HEAD_PIECE_READS = re.compile("(?:[一二]级|指标)+")
# Sentence ends that close a cell's text.
SENTENCE_ENDS = "。！!；;."

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_ANCHOR = re.compile(rf"^(?P<pre>.*?)(?:^|\s)(?P<w>{_NUM})\s+(?P<s>{_NUM})(?:\s+(?P<post>[^\d\s].*))?$")
_PAGE_BREAK = re.compile(r"\n[ \t]*(?:\n[ \t]*){3,}|\f")
_OP_WORDS = tuple(sorted(MEASURE_OPERATOR_WORDS, key=len, reverse=True))
_YEAR = re.compile(r"(\d{4})\s*年度")
# two cells printed at one height: a space between CJK text on both sides
_TWO_CELLS = re.compile(r"[\u4e00-\u9fff）》”][ \t]+[\u4e00-\u9fff（《“]")


@dataclass
class Line:
    text: str
    page: int
    start: int          # char offset of the line in the whole text
    indent: bool = False
    tight: bool = False  # one line break before it (not a blank line): in the seed, a new cell


def width(text: str) -> float:
    """Printed width in em: CJK and full-width characters 1, others 1/2, spaces 0."""
    total = 0.0
    for char in text:
        if char.isspace():
            continue
        total += 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.5
    return total


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------

def parse_flat_text(text: str, source_file: str, sha256: str, tagger: Tagger | None = None,
                    locate: Locate | None = None) -> list[ParsedForm]:
    """The forms of a flat text, in order, `form_id` and `source` filled
    (`source.pages` from form feeds or runs of blank lines, 1-based).

    `tagger`, when given, is called once per form on the form's text (from
    its title to the next title, the size of `corpus.flat` examples); its
    spans decide the goal split, the extent of deviation cells and, as a
    strong vote, the name / target / actual boundaries.

    `locate(page, start, end)`, when given, makes each field's provenance
    from the lines it was read from (char offsets into `text`); without it a
    field gets its page, no bbox, method "flat-text" and confidence 1.0."""
    text = text.replace("\r", " ")      # CRLF: same offsets for the tagger's spans
    lines = _lines(text)
    forms: list[list[Line]] = []
    for line in lines:
        if label_key(FORM_TITLE) in label_key(line.text):
            forms.append([line])
        elif forms:
            forms[-1].append(line)
    parsed = []
    doc = _DocumentStats(forms)
    for position, form_lines in enumerate(forms, start=1):
        spans: list[tuple[int, int, str]] = []
        if tagger is not None:
            start = form_lines[0].start
            end = forms[position][0].start if position < len(forms) else len(text)
            spans = sorted((start + a, start + b, label) for a, b, label in tagger(text[start:end]))
        parser = _FormParser(form_lines, text, spans, doc)
        record = parser.parse()
        record["form_id"] = f"{sha256[:12]}-{position}"
        pages = sorted({line.page for line in form_lines})
        record["source"] = {"file": source_file, "sha256": sha256, "pages": pages, "kind": "text"}
        provenance = {}
        for path, read_from in parser.provenance.items():
            page = read_from[0].page
            if locate is None:
                provenance[path] = Provenance(page, None, METHOD, 1.0)
            else:
                start = min(line.start for line in read_from)
                end = max(line.start + len(line.text) for line in read_from)
                provenance[path] = locate(page, start, end)
        parsed.append(ParsedForm(record=record, provenance=provenance))
    return parsed


# --------------------------------------------------------------------------
# Pages on which no ruled table was found
# --------------------------------------------------------------------------

# Pages joined into one flat text the seed's way: lines after a blank line,
# pages after three.
LINE_BREAK = "\n\n"
PAGE_BREAK = "\n\n\n\n"


@dataclass
class _SourceLine:
    start: int            # offsets of the line in the joined text
    end: int
    page: Any             # extract.model.Page
    bbox: BBox
    confidence: float


def reading_lines(page: Page) -> list[tuple[str, BBox, float]]:
    """A page's text lines in reading order, with their reading confidence:
    the lines outside any table and those of tables that are no grid (a
    single box, such as a frame drawn round the page)."""
    lines = [(line.text, line.bbox, line.confidence) for line in page.lines]
    for table in page.tables:
        if not is_grid(table):
            lines += [(word.text, word.bbox, word.confidence) for cell in table.cells for word in cell.words]
    lines.sort(key=lambda item: (round(item[1].top, 1), item[1].x0))
    return [line for line in lines if line[0].strip()]


def is_grid(table: Any) -> bool:
    """A ruled table with at least two rows and two columns (a lone box is none)."""
    return table.rows >= 2 and table.cols >= 2


def has_grid(page: Page) -> bool:
    return any(is_grid(table) for table in page.tables)


def pages_flat_text(pages: Iterable[Page]) -> tuple[str, list[_SourceLine]]:
    """The text of pages in reading order, as a flat text extraction prints
    it (`corpus.flat`), with where each line sits in it; pages without text
    are left out."""
    text = ""
    sources: list[_SourceLine] = []
    for page in pages:
        lines = reading_lines(page)
        if not lines:
            continue
        for i, (line_text, bbox, confidence) in enumerate(lines):
            if text:
                text += LINE_BREAK if i else PAGE_BREAK
            start = len(text)
            text += line_text.strip()
            sources.append(_SourceLine(start, len(text), page, bbox, confidence))
    return text + "\n", sources


def parse_flat_pages(pages: list[Page], source_file: str, sha256: str, tagger: Tagger | None = None,
                     factor: float = 1.0) -> list[ParsedForm]:
    """The forms on pages where no ruled table was found, read as flat text
    in reading order (what a `.txt` extraction goes through).  Only forms
    with content are kept (a title alone may head a form whose table is on
    the next page).  A field's provenance: the page and the box of the lines
    it was read from, method ``flat:<how the page was read>``, confidence
    `factor` × the lowest reading confidence of those lines."""
    text, sources = pages_flat_text(pages)
    if not sources:
        return []
    starts = [s.start for s in sources]

    def locate(_: int, start: int, end: int) -> Provenance:
        first = max(0, bisect_right(starts, start) - 1)
        used = [s for s in sources[first:] if s.start < end] or [sources[first]]
        page = used[0].page
        on_page = [s for s in used if s.page is page]
        bbox = BBox(min(s.bbox.x0 for s in on_page), min(s.bbox.top for s in on_page),
                    max(s.bbox.x1 for s in on_page), max(s.bbox.bottom for s in on_page))
        confidence = factor * min(s.confidence for s in used)
        return Provenance(page.number, bbox, f"flat:{page.method}", confidence)

    text_pages = _pages_with_text(sources)
    kept = []
    for form in parse_flat_text(text, source_file, sha256, tagger, locate):
        record = form.record
        if not (record.get("project_name") or record.get("indicators")):
            continue
        read = [text_pages[p - 1] for p in record["source"]["pages"] if 0 < p <= len(text_pages)]
        record["source"]["pages"] = sorted({page.number for page in read})
        record["source"]["kind"] = "scan" if any(page.kind == "scan" for page in read) else "text"
        kept.append(form)
    return kept


def _pages_with_text(sources: list[_SourceLine]) -> list[Any]:
    """The pages of the joined text, in order (page k of the text is item k − 1)."""
    pages: list[Any] = []
    for source in sources:
        if not pages or pages[-1] is not source.page:
            pages.append(source.page)
    return pages


def _lines(text: str) -> list[Line]:
    out: list[Line] = []
    page = 1
    breaks = [m.start() for m in _PAGE_BREAK.finditer(text)]
    for match in re.finditer(r"[^\n\f]+", text):
        while breaks and breaks[0] < match.start():
            breaks.pop(0)
            page += 1
        raw = match.group()
        if raw.strip():
            a = match.start()
            # Word ends a run of half-width characters with a bare line break
            # too, so only a line without any says "new cell"
            before = text[:a - 1].rstrip(" \t") if a else ""
            tight = (a >= 2 and text[a - 1] == "\n" and bool(before) and before[-1] not in "\n\f"
                     and bool(out) and not re.search(r"[\x21-\x7e]", out[-1].text))
            out.append(Line(raw.strip(), page, a + (len(raw) - len(raw.lstrip())),
                            indent=raw.startswith(("  ", "\u3000")), tight=tight))
    # a single line break means a new cell only where blank lines are the rule
    if sum(line.tight for line in out) > 0.3 * len(out):
        for line in out:
            line.tight = False
    return out


# --------------------------------------------------------------------------
# Per-document column widths
# --------------------------------------------------------------------------

class _DocumentStats:
    """Column capacities (in em) measured over every indicator row of a document."""

    def __init__(self, forms: list[list[Line]]) -> None:
        name_first, narrow = [], []
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
        name_first.sort()
        self.name_capacity = name_first[-1] if name_first else 14.0
        wide = [w for w in narrow if w < self.name_capacity - 1.5]
        # first guess: the most frequent full width, raised to the widest line
        # just above it (a line of half-width characters fills the column more closely)
        mode = _mode_high(wide) if wide else 6.0
        self.narrow_capacity = max([w for w in wide if mode <= w <= mode + 0.5] + [mode])
        # then the capacity under which the rows split best (greedy wrapping
        # explains the most line breaks)
        candidates = sorted({w for w in wide if w >= 3.0} | {self.narrow_capacity})
        if len(candidates) > 1:
            best = max(candidates, key=lambda c: (self._fit(forms, c), -abs(c - self.narrow_capacity)))
            self.narrow_capacity = best

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


class _FormParser:
    def __init__(self, lines: list[Line], text: str, spans: list[tuple[int, int, str]],
                 doc: _DocumentStats | None) -> None:
        self.lines = lines
        self.text = text
        self.spans = spans
        self.doc = doc
        self.record = empty_record()
        self.provenance: dict[str, list[Line]] = {}     # path → the lines it was read from
        self.split_score = 0.0        # how well the rows' cells fit their columns

    # ---------------- sections
    def _find(self, predicate: Callable[[str], bool], start: int = 0, end: int | None = None) -> int | None:
        end = len(self.lines) if end is None else end
        for i in range(start, end):
            if predicate(self.lines[i].text):
                return i
        return None

    def sections(self) -> dict[str, int | None]:
        keys = lambda s: label_key(s)
        head = self._find(lambda t: keys(t).startswith(label_key(HEAD_LABELS["project_name"][0])))
        funding = self._find(lambda t: any(keys(t).startswith(label_key(l)[:4]) for l in FUNDING_BLOCK_LABELS)
                             or "年初预算数" in t, (head or 0) + 1)
        goal_header = self._find(lambda t: any(l in t for l in GOAL_COLUMN_LABELS["goal_expected"]),
                                 funding or 0)
        ind_header = self._find(lambda t: any(l in t for l in INDICATOR_COLUMN_LABELS["name"]),
                                goal_header or 0)
        total = self._find(lambda t: any(t.startswith(l) for l in TOTAL_LABELS), ind_header or 0)
        grade = self._find(lambda t: any(t.startswith(l) for l in GRADE_LABELS), total or 0)
        return {"head": head, "funding": funding, "goal": goal_header, "indicators": ind_header,
                "total": total, "grade": grade}

    def parse(self) -> dict[str, Any]:
        record = self.record
        for line in self.lines[:4]:
            match = _YEAR.search(line.text)
            if match:
                record["year"] = int(match.group(1))
                self.provenance["year"] = [line]
                break
        s = self.sections()
        if s["head"] is not None:
            self._head(s["head"], s["funding"] or s["goal"] or len(self.lines))
        if s["funding"] is not None:
            self._funding(s["funding"], s["goal"] or s["indicators"] or len(self.lines))
        if s["goal"] is not None:
            self._goals(s["goal"], s["indicators"] or len(self.lines))
        if s["indicators"] is not None:
            self._indicators(s["indicators"], s["total"] if s["total"] is not None else len(self.lines))
        if s["total"] is not None:
            stop = s["grade"] if s["grade"] is not None else min(len(self.lines), s["total"] + 3)
            nums = re.findall(_NUM, " ".join(l.text for l in self.lines[s["total"]:max(stop, s["total"] + 1)]))
            if len(nums) >= 2:
                record["total_weight"], record["total_score"] = _number(nums[-2]), _number(nums[-1])
                read_from = self.lines[s["total"]:max(stop, s["total"] + 1)]
                self.provenance["total_weight"] = self.provenance["total_score"] = read_from
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
        return record

    # ---------------- head
    def _head(self, start: int, end: int) -> None:
        joined = "\n".join(line.text for line in self.lines[start:end])
        line_ends = []                 # end offset of each line in `joined`
        for line in self.lines[start:end]:
            line_ends.append((line_ends[-1] + 1 if line_ends else 0) + len(line.text))
        # drop the pieces of the funding block label that precede the funding header
        positions = []
        for key, synonyms in HEAD_LABELS.items():
            for label in synonyms:
                at = joined.find(label)
                if at >= 0:
                    positions.append((at, at + len(label), key))
                    break
        positions.sort()
        for i, (a, b, key) in enumerate(positions):
            stop = positions[i + 1][0] if i + 1 < len(positions) else len(joined)
            value = clean_cell_text(joined[b:stop].strip(" ：:"))
            self.record[key] = value or None
            first = next(k for k, e in enumerate(line_ends) if e >= a)
            last = next((k for k, e in enumerate(line_ends) if e >= stop), len(line_ends) - 1)
            self.provenance[key] = self.lines[start + first:start + last + 1]

    # ---------------- funding
    def _funding(self, start: int, end: int) -> None:
        tokens: list[str] = []
        token_lines: list[Line] = []
        for line in self.lines[start:end]:
            for token in line.text.split():
                tokens.append(token)
                token_lines.append(line)
        label_start = 0
        buffer = ""
        i = 0
        labels = sorted(((label_key(s), key) for key, syn in FUNDING_ROW_LABELS.items() for s in syn),
                        key=lambda kv: -len(kv[0]))
        while i < len(tokens):
            token = tokens[i]
            if _is_number_token(token):
                buffer = ""
                i += 1
                continue
            if not buffer:
                label_start = i
            buffer += label_key(token)
            key = next((k for lk, k in labels if buffer.endswith(lk)), None)
            i += 1
            if key is None:
                continue
            values = []
            while i < len(tokens) and len(values) < 6 and _is_number_token(tokens[i]):
                values.append(tokens[i])
                i += 1
            row = self.record["funding"][key]
            read_from = list(dict.fromkeys(map(id, token_lines[label_start:i])))
            read_lines = [line for line in self.lines[start:end] if id(line) in read_from]
            for rkey, value in zip(("initial_budget", "annual_budget", "executed", "weight",
                                    "execution_rate", "score"), values):
                row[rkey] = _number(value)
            for rkey in row:
                self.provenance[f"funding.{key}.{rkey}"] = read_lines
            buffer = ""

    # ---------------- goals
    def _goals(self, header: int, end: int) -> None:
        # the indicator header's vertical pieces (一级 / 指标 / 二级 / 指标) end the goals
        stop = end
        pieces = "".join(INDICATOR_HEAD_PIECES)
        for j in range(end - 1, header, -1):
            tail = "".join(label_key(l.text) for l in self.lines[j:end])
            if pieces.endswith(tail) and tail:
                stop = j
            elif _HEAD_PIECE_READS.fullmatch(tail) and len(tail) <= len(pieces):
                stop = j          # the pieces as OCR reads them (二级 → 一级)
            else:
                break
        header_text = self.lines[header].text
        first = header + 1
        labels = GOAL_COLUMN_LABELS["goal_expected"] + GOAL_COLUMN_LABELS["goal_actual"] + GOAL_BLOCK_LABELS
        while first < stop and label_key(self.lines[first].text) in {label_key(l) for l in labels}:
            first += 1
        goal_lines = self.lines[first:stop]
        if goal_lines:
            # the block label printed at the height of the first goal line
            for label in GOAL_BLOCK_LABELS:
                if goal_lines[0].text.startswith(label + " "):
                    head = goal_lines[0]
                    goal_lines[0] = Line(head.text[len(label):].strip(), head.page, head.start, head.indent)
        rest = header_text
        for label in GOAL_COLUMN_LABELS["goal_expected"] + GOAL_COLUMN_LABELS["goal_actual"] + GOAL_BLOCK_LABELS:
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

    def _split_goals(self, lines: list[Line]) -> tuple[list[str], list[str]]:
        texts = [line.text for line in lines]
        # The tagger decides where it marks the actual text's start.
        if self.spans:
            a, b = lines[0].start, lines[-1].start + len(lines[-1].text)
            starts = [s for s, e, label in self.spans if label == "GOAL_ACTUAL" and a <= s < b]
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
                return exp, act
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
            # paragraph of it) ends here
            if width(t) + width(_first_chunk(nxt.text)) <= capacity - 0.5:
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
            half = max(1, len(texts) // 2)
            return texts[:half], texts[half:]
        best = max(candidates, key=lambda c: (c[0], -c[1]))
        _, i, char = best
        if char is None:
            return texts[:i], texts[i:]
        return texts[:i] + [texts[i][:char]], [texts[i][char:]] + texts[i + 1:]

    # ---------------- indicators
    def _indicator_lines(self, header: int, end: int) -> list[Line]:
        """Lines of the indicator rows: after the header (and its vertical
        deviation-label pieces), before 总分."""
        column_labels = {label_key(l) for syn in INDICATOR_COLUMN_LABELS.values() for l in syn}
        while header + 1 < end and all(label_key(t) in column_labels for t in self.lines[header + 1].text.split()):
            header += 1
        head = self.lines[header].text
        start = header + 1
        dev_labels = [label_key(l) for l in INDICATOR_COLUMN_LABELS["deviation"]]
        if not any(l in label_key(head) for l in dev_labels):
            acc = ""
            tail_key = label_key(head).split(label_key(INDICATOR_COLUMN_LABELS["score"][0]))[-1]
            acc = tail_key if any(l.startswith(tail_key) for l in dev_labels) else ""
            j = start
            while j < end:
                nxt = acc + label_key(self.lines[j].text)
                if any(l.startswith(nxt) for l in dev_labels):
                    acc = nxt
                    j += 1
                    if acc in dev_labels:
                        break
                else:
                    break
            start = j
        return self.lines[start:end]

    def raw_rows(self) -> list[list[str]]:
        """Rough rows (lines up to each anchor) for measuring column widths."""
        s = self.sections()
        if s["indicators"] is None:
            return []
        lines = self._indicator_lines(s["indicators"], s["total"] if s["total"] is not None else len(self.lines))
        rows, current = [], []
        in_deviation = False
        for line in lines:
            if _is_piece(line.text):
                current = []
                continue
            m = _anchor(line.text)
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
        items = self._items(lines)
        indicators: list[dict[str, Any]] = []
        level1 = level2 = None
        pending: list[Line] = []      # text lines since the last anchor
        last: dict[str, Any] | None = None
        last_meta: dict[str, Any] = {}
        for kind, value, line in items:
            if kind in ("level1", "level2"):
                self._close_pending(last, last_meta, pending, None)
                self._read_from(last, pending, [])
                pending, last = [], None
                # a label printed after rows it spans (a page break moved it down)
                unlabelled = [ind for ind in indicators if ind[kind] is None
                              and (kind == "level1" or ind["level1"] == level1)]
                for ind in unlabelled:
                    ind[kind] = value
                if kind == "level1":
                    if not (unlabelled and level1 is None):
                        level2 = None
                    level1 = value
                else:
                    level2 = value
            elif kind == "text":
                pending.append(value)
            elif kind == "anchor":
                row_lines = self._close_pending(last, last_meta, pending, value)
                self._read_from(last, pending, row_lines)
                pending = []
                indicator, meta = self._row(row_lines, value, line)
                indicator["level1"], indicator["level2"] = level1, level2
                indicators.append(indicator)
                last, last_meta = indicator, meta
        self._close_pending(last, last_meta, pending, None)
        self._read_from(last, pending, [])
        for i, indicator in enumerate(indicators):
            read_from = indicator.pop("_lines")
            _fill_measures(indicator)
            for key in indicator:
                self.provenance[f"indicators[{i}].{key}"] = read_from
        self.record["indicators"] = indicators

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

    def _classify(self, line: Line) -> list[tuple[str, Any, Line]]:
        m = _anchor(line.text)
        if m:
            return [("anchor", m, line)]
        return [("text", line, line)]

    def _match_label(self, lines: list[Line], i: int, current: dict[str, str | None]):
        """A level label whose vertical pieces start at line i: ((level, name,
        printed part), lines used, text after the last piece on its line).
        Pieces that start a known name and stop before a row are that name,
        cut by a page break."""
        acc, j, tail = "", i, ""
        while j < len(lines) and j - i < 12:
            head, _, tail = lines[j].text.partition(" ")
            if not _is_piece(head) or not any(n.startswith(acc + head) for n in _LEVEL_NAMES):
                tail = ""
                break
            acc += head
            j += 1
            if acc in _LEVEL_NAMES and not any(n.startswith(acc) and n != acc for n in _LEVEL_NAMES):
                return (self._level_of(acc, current), acc, acc), j - i, tail
            if tail:
                break
        if acc in _LEVEL_NAMES:
            return (self._level_of(acc, current), acc, acc), j - i, tail
        names = [n for n in _LEVEL_NAMES if n.startswith(acc)]
        if acc and len(acc) >= 2 and names:
            name = min(names, key=len)
            return (self._level_of(name, current), name, acc), j - i, tail
        return None, 0, ""

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
                       anchor: re.Match | None) -> list[Line]:
        """Give the lines after the last anchor to its deviation (or to a cell
        a page break cut); return the lines that start the next row."""
        if last is None:
            return pending
        post = meta.get("post")
        dev: list[str] = [post] if post else []
        rest = list(pending)
        need = 0
        if anchor is not None:
            k = len(_segments(anchor.group("pre").strip()))
            need = 0 if k >= 3 else (1 if k >= 1 else 2)
        lost_points = last["weight"] is not None and last["score"] is not None and last["score"] < last["weight"]
        tagged = self._tagged_deviation_end(rest)
        if tagged is not None:
            dev += [l.text for l in rest[:tagged]]
            rest = rest[tagged:]
            if anchor is None and rest:
                # not a deviation, and no row follows: the rest of a cut cell
                if self._continue_cell(last, meta, rest[0]):
                    rest = rest[1:]
                dev += [l.text for l in rest]
                rest = []
        else:
            if rest and not post and rest[0].page != meta["page"] and len(rest) - 1 >= need:
                if self._continue_cell(last, meta, rest[0]):
                    rest = rest[1:]
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
                available = len(rest) - (3 if k == 0 else max(need, 1))
                n = next((k + 1 for k in range(available) if rest[k].text[-1] in "。！!"), 0)
                if n and not any(l.tight or _TWO_CELLS.search(l.text) for l in rest[:n]):
                    dev += [l.text for l in rest[:n]]
                    rest = rest[n:]
        if dev:
            last["deviation"] = clean_cell_text("\n".join(dev)) or None
        return rest

    def _tagged_deviation_end(self, rest: list[Line]) -> int | None:
        if not self.spans or not rest:
            return None
        a, b = rest[0].start, rest[-1].start + len(rest[-1].text)
        inside = [(s, e) for s, e, label in self.spans
                  if label in ("DEVIATION_CAUSE", "IMPROVEMENT") and e > a and s < b]
        name_start = [s for s, e, label in self.spans if label in ("INDICATOR_NAME", "TARGET", "ACTUAL") and a <= s < b]
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
        starts = tuple(l.rstrip("：") for l in IMPROVEMENT_LABELS) + IMPROVEMENT_TURNS + ("施：", "措施", "改进")
        return nxt.startswith(starts)

    def _continue_cell(self, last: dict[str, Any], meta: dict[str, Any], fragment: Line) -> bool:
        """A cell cut by a page break: add the fragment after the break to the
        cell whose last line filled its column, if one did."""
        cells = meta.get("cell_lines") or {}
        doc = self.doc
        capacities = {"name": doc.name_capacity if doc else 14.0,
                      "target": doc.narrow_capacity if doc else 6.0,
                      "actual": doc.narrow_capacity if doc else 6.0}
        best, fill = None, 0.0
        for key in ("name", "target", "actual"):
            cell = cells.get(key)
            if not cell:
                continue
            # the fragment's first character did not fit on the cell's last line
            if width(cell[-1]) + width(_first_chunk(fragment.text)) <= capacities[key]:
                continue
            ratio = width(cell[-1]) / capacities[key]
            if best is None or ratio > fill + 0.05 or (abs(ratio - fill) <= 0.05 and key != "name"):
                best, fill = key, ratio
        if best is None or width(fragment.text) > capacities[best] + 0.5 or _anchor(fragment.text):
            return False
        last[best] = clean_cell_text((last.get(best) or "") + "\n" + fragment.text)
        return True

    def _row(self, row_lines: list[Line], anchor: re.Match, line: Line) -> tuple[dict[str, Any], dict[str, Any]]:
        indicator = empty_indicator()
        indicator["weight"] = _number(anchor.group("w"))
        indicator["score"] = _number(anchor.group("s"))
        pre = anchor.group("pre").strip()
        cells = self._split_cells(row_lines, pre, line)
        for key in ("name", "target", "actual"):
            indicator[key] = clean_cell_text("\n".join(cells[key])) or None
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
        if not pieces:
            return cells
        if len(pieces) == 1:
            cells["name"] = [pieces[0][0]]
            return cells
        if len(pieces) == 2:
            cells["name"], cells["target"] = [pieces[0][0]], [pieces[1][0]]
            return cells
        # the actual, when on the anchor line, is the anchor line's last piece only
        anchor_pieces = [i for i, p in enumerate(pieces) if p[1] == len(row_lines)]
        best, best_score = None, None
        for a in range(1, len(pieces) - 1):
            for b in range(a + 1, len(pieces)):
                if anchor_pieces and b != anchor_pieces[-1]:
                    continue
                score = self._score_split(pieces, a, b, caps)
                if self.spans:
                    score += 3.0 * (self._span_starts(offsets[a], "TARGET") + self._span_starts(offsets[b], "ACTUAL"))
                if best_score is None or score > best_score:
                    best, best_score = (a, b), score
        if best is None:
            best = (1, 2)
        else:
            self.split_score += best_score
        a, b = best
        for key, run in (("name", pieces[:a]), ("target", pieces[a:b]), ("actual", pieces[b:])):
            cells[key] = _run_lines(run)
        return cells

    def _span_starts(self, offset: int, label: str) -> bool:
        """Whether the tagger starts a `label` span at this char offset."""
        return any(start == offset and lab == label for start, _, lab in self.spans)

    def _score_split(self, pieces: list[tuple[str, int, bool, bool]], a: int, b: int,
                     caps: dict[str, float]) -> float:
        score = 0.0
        runs = {"name": pieces[:a], "target": pieces[a:b], "actual": pieces[b:]}
        for key, run in runs.items():
            lines = _run_lines(run)
            cap = caps[key]
            for k, line in enumerate(lines):
                w = width(line)
                if w > cap + 0.75:
                    score -= 3.0 if key != "name" else 2.0
                if k < len(lines) - 1:
                    # greedy wrapping: the next line's first character did not fit
                    score += 0.5 if w + width(_first_chunk(lines[k + 1])) > cap - 0.25 else -1.5
            # a space inside a cell (not operator + number, not Latin words)
            for k in range(1, len(run)):
                if run[k][1] == run[k - 1][1]:
                    score -= 1.0
            # a single line break inside a cell
            for k in range(1, len(run)):
                if run[k][3]:
                    score -= 2.0
        for start in (a, b):
            if pieces[start][3]:
                score += 1.0
            elif not pieces[start][2]:
                score += 0.5           # two cells at one height
        text_t = "".join(p[0] for p in runs["target"])
        text_a = "".join(p[0] for p in runs["actual"])
        if parse_measure(text_t).value is not None:
            score += 0.75
        if parse_measure(text_a).value is not None:
            score += 0.75
        if re.match(r"^[(（]", text_a) or re.match(r"^[(（]", text_t):
            score -= 2.0              # a unit cut from its number
        return score


def _first_chunk(text: str) -> str:
    """The first character of a line, with the closing punctuation that may
    not start a line (Word moves them down together)."""
    m = re.match(r"^.[，。、；：！？）》”,.;:!?)]*", text.replace(" ", ""))
    return m.group() if m else text[:1]


def _run_lines(run: list[tuple[str, int, bool, bool]]) -> list[str]:
    """The printed lines of a run of pieces (pieces of one line joined by a space)."""
    lines: list[str] = []
    last = None
    for text, n, _, _ in run:
        if n == last:
            lines[-1] += " " + text
        else:
            lines.append(text)
        last = n
    return lines


def _segments(text: str) -> list[str]:
    return [seg for seg, _ in _segments_at(text)]


def _segments_at(text: str) -> list[tuple[str, int]]:
    """A line's space-separated pieces with their offsets, the spaces that
    stay inside one cell joined back: an operator and its number
    (`不超过 100%`, `好评率不低于 95%`) and two Latin words."""
    out: list[tuple[str, int]] = []
    for m in re.finditer(r"\S+", text):
        part = m.group()
        if out and out[-1][0].endswith(_OP_WORDS + ("=", "≥", "≤", ">", "<")) and re.match(r"^\d", part):
            out[-1] = (out[-1][0] + part, out[-1][1])
        elif out and re.search(r"[A-Za-z]$", out[-1][0]) and re.match(r"^[A-Za-z]", part):
            out[-1] = (out[-1][0] + " " + part, out[-1][1])
        else:
            out.append((part, m.start()))
    return out


def _is_piece(text: str) -> bool:
    """A vertical piece of a merged 一级/二级 label: a few CJK characters."""
    return 0 < len(text) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in text)


def _anchor(text: str) -> re.Match | None:
    m = _ANCHOR.match(text)
    if not m:
        return None
    try:
        w, s = parse_number(m.group("w")), parse_number(m.group("s"))
    except ValueError:
        return None
    if w is None or s is None or w > 100 or s > w + 1:
        return None
    return m


def _is_number_token(token: str) -> bool:
    if token in NULL_MARKS:
        return True
    try:
        parse_number(token)
        return True
    except ValueError:
        return False


def _number(token: str) -> Any:
    try:
        return parse_number(token)
    except ValueError:
        return None


def _fill_measures(indicator: dict[str, Any]) -> None:
    op, value, unit = parse_measure(indicator.get("target"))
    indicator["target_op"], indicator["target_value"], indicator["target_unit"] = op, value, unit
    _, value, unit = parse_measure(indicator.get("actual"))
    indicator["actual_value"], indicator["actual_unit"] = value, unit
    indicator["deviation_cause"], indicator["improvement"] = split_deviation(indicator.get("deviation"))

