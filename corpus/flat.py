"""Flat texts like the seed's, from synthetic forms, with the char spans of
their field values (training and test material for `extract.parse.flat_reader` and
the NER model).

The seed (`corpus/seed/*.txt`) is a text extraction in the PDF's content-stream
order: cell after cell, row by row, each line of a cell on a line of its own,
a merged 一级/二级 cell before the first row it spans, a line that sits at the
same height as the one printed just before it joined to it with a space,
lines separated by a blank line (now and then by a single line break), and a
page break as three blank lines.  `page.extract_text()` of pdfplumber orders
words by height instead (it interleaves every cell of a table row, and the
merged label cells with them), so this module reads the rendered PDF's words
and ruled cells with pdfplumber and emits them in the seed's cell order.
Vertical alignment of the cells (all centred, all at the top, or the
三级指标 / 指标值 columns at the top and the rest centred -- which decides
which neighbouring cells share a line) and the spaces Word puts between a CJK
character and a digit are varied per page, seeded.

`flat_text_examples(split, count)` gives one example per form:
``(text, [(start, end, label), ...])``; a span may cover line breaks inside
its value (the value equals the spanned text with white space removed).
Values that cannot be aligned (a merged label a page break cut or moved below
its first row, mostly) are skipped; `flat_text_examples.last_stats` counts
them (`{"aligned": n, "missed": m}`), as does `align_spans`.
"""

from __future__ import annotations

import random
import re
import tempfile
from pathlib import Path
from typing import Any

from corpus.render import INDICATOR_COLS, LINE_H, MARGIN_X, PAD
from extract.layout.flat_format import CELL_BREAK, FLAT_LABELS, PAGE_BREAK, SAME_HEIGHT  # noqa: F401 - FLAT_LABELS: the corpus's labels

MAX_EXAMPLE_CHARS = 3000
SEARCH_WINDOW = 250      # compact chars a value may lie past the previous one
_CJK = r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]"
_CJK_DIGIT = re.compile(rf"(?<={_CJK})(?=\d)")


def _text_columns_x0() -> frozenset[float]:
    """Left edges of the 三级指标 and 年度指标值 columns of the rendered forms."""
    edges = [MARGIN_X]
    for col_width in INDICATOR_COLS:
        edges.append(edges[-1] + col_width)
    return frozenset({round(edges[2], 1), round(edges[3], 1)})


TEXT_COLUMNS_X0 = _text_columns_x0()


# --------------------------------------------------------------------------
# PDF → flat text
# --------------------------------------------------------------------------

def pdf_to_flat_text(path: str | Path, seed: int = 0) -> tuple[str, list[int]]:
    """The seed-like flat text of a rendered PDF, and where each page starts in it."""
    import pdfplumber

    rng = random.Random(seed)
    pages_text: list[str] = []
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            pages_text.append(_page_flat_text(page, rng))
    starts, text = [], ""
    for i, page_text in enumerate(pages_text):
        if i:
            text += PAGE_BREAK
        starts.append(len(text))
        text += page_text
    return text + "\n", starts


def _page_flat_text(page: Any, rng: random.Random) -> str:
    words = page.extract_words(use_text_flow=True, keep_blank_chars=True)
    rects = [(r["x0"], r["top"], r["x1"], r["bottom"]) for r in page.rects]
    alignment = rng.choice(("centre", "top", "mixed"))
    spacing = rng.choice((0.0, 0.0, 0.3, 0.7))       # CJK–digit spaces Word puts in
    items = []
    for word in words:
        cx, cy = (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2
        inside = [r for r in rects if r[0] <= cx <= r[2] and r[1] <= cy <= r[3]]
        cell = min(inside, key=lambda r: (r[2] - r[0]) * (r[3] - r[1])) if inside else None
        items.append((cell, word))
    by_cell: dict[Any, list[dict]] = {}
    order: list[Any] = []
    for cell, word in items:
        key = cell if cell is not None else ("line", word["top"], word["x0"])
        if key not in by_cell:
            by_cell[key] = []
            order.append(key)
        by_cell[key].append(word)

    def cell_sort(key: Any) -> tuple[float, float]:
        if key[0] == "line":
            return (key[1], key[2])
        return (key[1], key[0])

    out = ""
    prev_y: float | None = None
    column_modes: dict[Any, str] = {}
    for key in sorted(order, key=cell_sort):
        cell_words = sorted(by_cell[key], key=lambda w: (round(w["top"], 1), w["x0"]))
        if alignment == "mixed" and (key[0] == "line" or round(key[0], 1) not in TEXT_COLUMNS_X0):
            mode = "centre"           # only 三级指标 / 指标值 text may sit at the top
        elif alignment == "mixed":
            column = round(key[0]) if key[0] != "line" else None
            if column not in column_modes:
                column_modes[column] = rng.choice(("centre", "top"))
            mode = column_modes[column]
        else:
            mode = alignment
        for i, word in enumerate(cell_words):
            if key[0] != "line" and mode == "top":
                y = key[1] + PAD + i * LINE_H
            else:
                y = word["top"]
            text = word["text"].strip()
            if spacing and _CJK_DIGIT.search(text):
                text = _CJK_DIGIT.sub(lambda m: " " if rng.random() < spacing else "", text)
            if not out:
                out = text
            elif prev_y is not None and abs(y - prev_y) < 1.0:
                out += SAME_HEIGHT + text
            else:
                # now and then a single line break, as Word's extractions have
                out += ("\n" if i == 0 and rng.random() < 0.15 else CELL_BREAK) + text
            prev_y = y
    return out


# --------------------------------------------------------------------------
# Span alignment
# --------------------------------------------------------------------------

def _fmt_number(value: Any) -> str | None:
    from corpus.render import FormStyle, _fmt
    return None if value is None else _fmt(value, FormStyle())


def record_values(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, printed value) of a record, in document order."""
    from extract.parse.deviation import split_deviation

    values: list[tuple[str, str]] = []

    def add(label: str, value: Any) -> None:
        if value not in (None, ""):
            values.append((label, str(value)))

    add("PROJECT_NAME", record.get("project_name"))
    add("DEPARTMENT", record.get("department"))
    add("IMPLEMENTING_UNIT", record.get("implementing_unit"))
    add("GOAL_EXPECTED", record.get("goal_expected"))
    add("GOAL_ACTUAL", record.get("goal_actual"))
    previous: dict[str, Any] = {}
    for indicator in record.get("indicators") or []:
        level1, level2 = indicator.get("level1"), indicator.get("level2")
        if level1 != previous.get("level1"):
            add("LEVEL1", level1)
        if (level1, level2) != (previous.get("level1"), previous.get("level2")):
            add("LEVEL2", level2)
        previous = indicator
        add("INDICATOR_NAME", indicator.get("name"))
        add("TARGET", indicator.get("target"))
        add("ACTUAL", indicator.get("actual"))
        add("WEIGHT", _fmt_number(indicator.get("weight")))
        add("SCORE", _fmt_number(indicator.get("score")))
        cause, improvement = indicator.get("deviation_cause"), indicator.get("improvement")
        deviation = indicator.get("deviation")
        if deviation and cause is None and improvement is None:
            cause, improvement = split_deviation(deviation)
        parts = [("DEVIATION_CAUSE", cause), ("IMPROVEMENT", improvement)]
        if deviation and cause and improvement and 0 <= deviation.find(improvement) < deviation.find(cause):
            parts.reverse()        # a cell that opens with the measure
        for label, part in parts:
            add(label, part)
    add("TOTAL_WEIGHT", _fmt_number(record.get("total_weight")))
    add("TOTAL_SCORE", _fmt_number(record.get("total_score")))
    add("GRADE", record.get("grade"))
    return values


def align_spans(text: str, values: list[tuple[str, str]], start: int = 0,
                end: int | None = None) -> tuple[list[tuple[int, int, str]], int]:
    """Spans of `values` found in order in text[start:end], white space skipped.
    Returns (spans, how many values could not be aligned)."""
    end = len(text) if end is None else end
    positions = [i for i in range(start, end) if not text[i].isspace()]
    compact = "".join(text[i] for i in positions)
    spans: list[tuple[int, int, str]] = []
    missed = 0
    pointer = 0
    for index, (label, value) in enumerate(values):
        needle = re.sub(r"\s+", "", value)
        if not needle:
            continue
        found = _find(text, positions, compact, needle, pointer,
                      numeric=label in ("WEIGHT", "SCORE", "TOTAL_WEIGHT", "TOTAL_SCORE"))
        limit = pointer + SEARCH_WINDOW
        if label in ("LEVEL1", "LEVEL2"):
            # a merged label prints before its first row (a page break may
            # move it below): it must come before that row's name
            name = next((v for l, v in values[index:] if l == "INDICATOR_NAME"), None)
            at = compact.find(re.sub(r"\s+", "", name), pointer) if name else -1
            limit = min(limit, at - len(needle)) if at >= 0 else limit
        if found < 0 or found > limit:
            missed += 1
            continue
        spans.append((positions[found], positions[found + len(needle) - 1] + 1, label))
        pointer = found + len(needle)
    return spans, missed


def _find(text: str, positions: list[int], compact: str, needle: str, pointer: int, numeric: bool) -> int:
    """Index in `compact` of needle from pointer; a number only as a whole
    token of the original text."""
    at = compact.find(needle, pointer)
    while numeric and at >= 0:
        a, b = positions[at], positions[at + len(needle) - 1] + 1
        before = text[a - 1] if a else ""
        after = text[b:b + 1]
        if not (before.isdigit() or before == "." or after.isdigit() or after == "."):
            break
        at = compact.find(needle, at + 1)
    return at


# --------------------------------------------------------------------------
# Examples
# --------------------------------------------------------------------------

def flat_text_file(split: str, count: int, folder: Path) -> list[tuple[str, list[dict[str, Any]], list[int]]]:
    """(flat text, truth records, page starts) per rendered synthetic file."""
    from corpus.build import render_synthetic
    from corpus.synth import SPLIT_SEEDS

    out = []
    for n, (path, truth) in enumerate(render_synthetic(split, count, folder)):
        text, starts = pdf_to_flat_text(path, seed=SPLIT_SEEDS[split] + n)
        out.append((text, truth, starts))
    return out


def form_starts(text: str) -> list[int]:
    from extract.layout.labels import FORM_TITLE
    return [m.start() for m in re.finditer(re.escape(FORM_TITLE), text)]


def flat_text_examples(split: str, count: int) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """`count` synthetic forms of `split` as seed-like flat texts, one example
    per form (longer forms cut at blank lines between spans into pieces of at
    most MAX_EXAMPLE_CHARS), with their value spans.  Deterministic."""
    stats = {"aligned": 0, "missed": 0}
    examples: list[tuple[str, list[tuple[int, int, str]]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for text, truth, _ in flat_text_file(split, count, Path(tmp)):
            starts = form_starts(text) + [len(text)]
            for record, a, b in zip(truth, starts, starts[1:]):
                spans, missed = align_spans(text, record_values(record), a, b)
                stats["aligned"] += len(spans)
                stats["missed"] += missed
                chunk = text[a:b].strip("\n")
                offset = a + (len(text[a:b]) - len(text[a:b].lstrip("\n")))
                local = [(s - offset, e - offset, label) for s, e, label in spans]
                examples.extend(_cut(chunk, local))
    flat_text_examples.last_stats = stats  # type: ignore[attr-defined]
    return examples


def _cut(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """Cut a form's text into pieces ≤ MAX_EXAMPLE_CHARS at blank lines outside spans."""
    if len(text) <= MAX_EXAMPLE_CHARS:
        return [(text, spans)]
    inside = [False] * (len(text) + 1)
    for s, e, _ in spans:
        for i in range(s, e):
            inside[i] = True
    cuts = [m.end() for m in re.finditer(r"\n\n+", text) if not inside[m.start()]]
    pieces = []
    start = 0
    last_ok = None
    for cut in cuts + [len(text)]:
        if cut - start > MAX_EXAMPLE_CHARS and last_ok is not None and last_ok > start:
            pieces.append((start, last_ok))
            start = last_ok
        last_ok = cut
    pieces.append((start, len(text)))
    out = []
    for a, b in pieces:
        piece = text[a:b]
        out.append((piece, [(s - a, e - a, label) for s, e, label in spans if a <= s and e <= b]))
    return out
