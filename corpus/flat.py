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

`extractor_examples(split, count, extractors, style_names)` gives the same
forms in the flat text of every extractor of `corpus.extractors` (and the
style and extractor of each example).  In pdfplumber and pdftotext text the
cells of a row are interleaved line by line, so `align_contiguous` spans a
value only where it is contiguous (one line; a pdfminer text box; a
web-table cell) and counts, per extractor, the values it cannot align.
Which columns of a page hold 三级指标 / 指标值 text is read from its ruled
header cells (`_detect_text_columns`), so styles with other column widths
get the same treatment as the reference one.
"""

from __future__ import annotations

import logging
import random
import re
import tempfile
from pathlib import Path
from typing import Any, Iterator, Sequence

from corpus.render import FONT_SIZE, INDICATOR_COLS, LINE_H, MARGIN_X, PAD
from extract.layout.flat_format import CELL_BREAK, FLAT_LABELS, PAGE_BREAK, SAME_HEIGHT  # noqa: F401 - FLAT_LABELS: the corpus's labels

log = logging.getLogger("selfeval.corpus.flat")

MAX_EXAMPLE_CHARS = 3000
NUMERIC_LABELS = ("WEIGHT", "SCORE", "TOTAL_WEIGHT", "TOTAL_SCORE")
SEARCH_WINDOW = 250      # compact chars a value may lie past the previous one
_CJK = r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]"
_CJK_DIGIT = re.compile(rf"(?<={_CJK})(?=\d)")


def _text_columns_x0(widths: tuple[float, ...] = INDICATOR_COLS) -> frozenset[float]:
    """Left edges of the 三级指标 and 年度指标值 columns of an indicator
    table with these column widths (the reference widths unless told)."""
    edges = [MARGIN_X]
    for col_width in widths:
        edges.append(edges[-1] + col_width)
    return frozenset({round(edges[2], 1), round(edges[3], 1)})


# The reference typesetting's columns: only a fallback now.  A typesetting
# with other widths has its own (`_text_columns_x0(ts.columns)`), and a page
# shows its own in the ruled header cells (`_detect_text_columns`).
TEXT_COLUMNS_X0 = _text_columns_x0()
_COLUMN_TOLERANCE = 0.6


# --------------------------------------------------------------------------
# PDF → flat text
# --------------------------------------------------------------------------

def pdf_to_flat_text(path: str | Path, seed: int = 0, typesetting: Any = None) -> tuple[str, list[int]]:
    """The seed-like flat text of a rendered PDF, and where each page starts in it.

    Which columns hold 三级指标 / 指标值 text (the only ones whose text may
    sit at the top of its cell) is read from the indicator header's ruled
    cells of each page; a page without that header keeps the columns of the
    page before it, else those of `typesetting` (a `corpus.render.Typesetting`,
    when the caller knows it), else the reference widths."""
    import pdfplumber

    rng = random.Random(seed)
    columns = _text_columns_x0(typesetting.columns) if typesetting is not None else TEXT_COLUMNS_X0
    pages_text: list[str] = []
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            page_text, columns = _page_flat_text(page, rng, columns)
            pages_text.append(page_text)
    starts, text = [], ""
    for i, page_text in enumerate(pages_text):
        if i:
            text += PAGE_BREAK
        starts.append(len(text))
        text += page_text
    return text + "\n", starts


def _detect_text_columns(words: list[dict], rects: list[tuple[float, float, float, float]]) -> frozenset[float] | None:
    """The left edges of the 三级指标 cell of the indicator header and of the
    cell right of it (年度指标值 or its synonym), from the page's ruled cells;
    None where the page has no such header."""
    for word in words:
        if word["text"].strip() != "三级指标":
            continue
        cx, cy = (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2
        inside = [r for r in rects if r[0] <= cx <= r[2] and r[1] <= cy <= r[3]]
        if not inside:
            continue
        cell = min(inside, key=lambda r: (r[2] - r[0]) * (r[3] - r[1]))
        right = [r for r in rects if abs(r[0] - cell[2]) < _COLUMN_TOLERANCE and r[1] <= cy <= r[3]]
        if right:
            return frozenset({round(cell[0], 1), round(min(right, key=lambda r: r[2] - r[0])[0], 1)})
    return None


def _in_columns(x0: float, columns: frozenset[float]) -> bool:
    return any(abs(x0 - c) < _COLUMN_TOLERANCE for c in columns)


def _page_flat_text(page: Any, rng: random.Random,
                    columns: frozenset[float] = TEXT_COLUMNS_X0) -> tuple[str, frozenset[float]]:
    """A page's flat text, and the text columns it used (its own where its
    indicator header shows them, else `columns`)."""
    words = page.extract_words(use_text_flow=True, keep_blank_chars=True)
    rects = [(r["x0"], r["top"], r["x1"], r["bottom"]) for r in page.rects]
    columns = _detect_text_columns(words, rects) or columns
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
        if alignment == "mixed" and (key[0] == "line" or not _in_columns(key[0], columns)):
            mode = "centre"           # only 三级指标 / 指标值 text may sit at the top
        elif alignment == "mixed":
            column = round(key[0]) if key[0] != "line" else None
            if column not in column_modes:
                column_modes[column] = rng.choice(("centre", "top"))
            mode = column_modes[column]
        else:
            mode = alignment
        # line height and padding scale with the font size (a word's height)
        size = (cell_words[0]["bottom"] - cell_words[0]["top"]) or FONT_SIZE
        line_h, pad = LINE_H * size / FONT_SIZE, PAD * size / FONT_SIZE
        for i, word in enumerate(cell_words):
            if key[0] != "line" and mode == "top":
                y = key[1] + pad + i * line_h
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
    return out, columns


# --------------------------------------------------------------------------
# Span alignment
# --------------------------------------------------------------------------

def _fmt_style(value: Any, style: Any = None) -> str | None:
    from corpus.render import FormStyle, _fmt
    return None if value is None else _fmt(value, style if style is not None else FormStyle())


def record_values(record: dict[str, Any], style: Any = None) -> list[tuple[str, str]]:
    """(label, printed value) of a record, in document order; numbers as
    `style` (the form's `corpus.render.FormStyle`; default: the reference
    one) prints them."""
    from extract.parse.deviation import split_deviation

    def _fmt_number(value: Any) -> str | None:
        return _fmt_style(value, style)

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
        if label in NUMERIC_LABELS:
            found, needle = _find_number(text, positions, compact, needle, pointer)
        else:
            found = _find(text, positions, compact, needle, pointer, numeric=False)
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


def _find_number(text: str, positions: list[int], compact: str, number: str, pointer: int) -> tuple[int, str]:
    """The first place from pointer where `number` is printed, in any of the
    forms a style prints it (`8.00`, `8.0`, `8`: styles print fewer
    decimals than the record keeps), and the form found there."""
    forms = [number]
    while "." in forms[-1] and forms[-1].endswith("0") or forms[-1].endswith("."):
        forms.append(forms[-1][:-1])
    hits = [(at, form) for form in dict.fromkeys(forms)
            if (at := _find(text, positions, compact, form, pointer, numeric=True)) >= 0]
    return min(hits) if hits else (-1, number)


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

def rendered_files(split: str, count: int, folder: Path, style_names: Sequence[str] | None = None,
                   ) -> Iterator[tuple[Path, list[dict[str, Any]], list[Any], str]]:
    """(PDF, truth records, the forms' `FormStyle`s, typesetting name) per
    synthetic file of a split, rendered as `corpus.build.render_synthetic`
    renders them (same records, seeds, styles and file names): one of
    `style_names` per file (default: the tuning styles; the held-out ones
    only when asked for)."""
    from corpus.build import FORMS_PER_SYNTHETIC_FILE, render_with_truth, synthetic_styles
    from corpus.render import STYLES, TUNING_STYLES
    from corpus.synth import SPLIT_SEEDS, generate_forms

    style_names = TUNING_STYLES if style_names is None else tuple(style_names)
    records = generate_forms(split, count)
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, count, FORMS_PER_SYNTHETIC_FILE):
        chunk = records[start:start + FORMS_PER_SYNTHETIC_FILE]
        seeds = range(SPLIT_SEEDS[split] + start, SPLIT_SEEDS[split] + start + len(chunk))
        styles = synthetic_styles(seeds, style_names)
        path = folder / f"synthetic_{split}_{start // FORMS_PER_SYNTHETIC_FILE + 1:04d}.pdf"
        truth = render_with_truth(chunk, path, styles)
        name = next((n for n, ts in STYLES.items() if ts == styles[0].typesetting), "custom")
        yield path, truth, styles, name


def flat_text_file(split: str, count: int, folder: Path, style_names: Sequence[str] | None = None,
                   ) -> list[tuple[str, list[dict[str, Any]], list[int]]]:
    """(flat text, truth records, page starts) per rendered synthetic file."""
    from corpus.synth import SPLIT_SEEDS

    out = []
    for n, (path, truth, styles, _) in enumerate(rendered_files(split, count, folder, style_names)):
        text, starts = pdf_to_flat_text(path, seed=SPLIT_SEEDS[split] + n, typesetting=styles[0].typesetting)
        out.append((text, truth, starts))
    return out


def form_starts(text: str, titles: Sequence[str] | None = None) -> list[int]:
    """Where each form's title starts (the reference title unless `titles`)."""
    from extract.layout.labels import FORM_TITLE

    pattern = "|".join(re.escape(title) for title in sorted(titles or (FORM_TITLE,), key=len, reverse=True))
    return [m.start() for m in re.finditer(pattern, text)]


def flat_text_examples(split: str, count: int) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """`count` synthetic forms of `split` as seed-like flat texts, one example
    per form (longer forms cut at blank lines between spans into pieces of at
    most MAX_EXAMPLE_CHARS), with their value spans.  Deterministic."""
    examples = [(text, spans) for text, spans, _ in
                extractor_examples(split, count, extractors=("content-order",))]
    stats = extractor_examples.last_stats.get("content-order", {"aligned": 0, "missed": 0})  # type: ignore[attr-defined]
    flat_text_examples.last_stats = {"aligned": stats["aligned"], "missed": stats["missed"]}  # type: ignore[attr-defined]
    return examples


# --------------------------------------------------------------------------
# Other extractors' texts: spans only where a value is contiguous
# --------------------------------------------------------------------------

# The white space a value's span may hold between two of its characters, per
# extractor.  pdfplumber and pdftotext interleave the cells of a row line by
# line, so a value is contiguous only on one line (a space inside it, as the
# extractor may put one between a CJK character and a digit; pdftotext's
# columns are runs of spaces); a web-table cell is one line between
# separators; a pdfminer text box may hold line breaks but no blank line.
_ONE_LINE = re.compile(r" ?")
CONTIGUOUS_GAP = {
    "pdfplumber": _ONE_LINE,
    "pdftotext": _ONE_LINE,
    "web-table": _ONE_LINE,
    "pdfminer": re.compile(r"[ \t]*(?:\n[ \t]*)?"),
}
# Labels that may lie inside a cell (after `原因：`, say): no word boundary asked.
_IN_CELL = frozenset({"DEVIATION_CAUSE", "IMPROVEMENT"})
# Labels a value of which may be found out of order (pdfminer groups text
# boxes by column; merged 一级/二级 cells come where their middle is) when
# its text occurs once in the form: never numbers, whose text repeats.
_ANY_ORDER = frozenset({"PROJECT_NAME", "DEPARTMENT", "IMPLEMENTING_UNIT", "GOAL_EXPECTED", "GOAL_ACTUAL",
                        "LEVEL1", "LEVEL2", "INDICATOR_NAME", "DEVIATION_CAUSE", "IMPROVEMENT"})


def align_contiguous(text: str, values: list[tuple[str, str]], extractor: str, start: int = 0,
                     end: int | None = None) -> tuple[list[tuple[int, int, str]], int]:
    """Spans of `values` in text[start:end] of another extractor than the
    content-order one: a value is aligned only where it lies contiguous in
    the text (between two of its characters only the white space
    CONTIGUOUS_GAP[extractor] allows) and as a whole cell (white space, `|`
    or the text's edge either side; a deviation part may sit inside its
    cell).  In order first (SEARCH_WINDOW past the previous value), else, for
    the labels of _ANY_ORDER, where its text occurs exactly once.  Spans do
    not overlap.  Returns (spans, how many values could not be aligned)."""
    if extractor == "content-order":
        return align_spans(text, values, start, end)
    gap_ok = CONTIGUOUS_GAP[extractor]
    end = len(text) if end is None else end
    positions = [i for i in range(start, end) if not text[i].isspace()]
    compact = "".join(text[i] for i in positions)
    taken = bytearray(len(compact))

    def valid(at: int, n: int, label: str) -> bool:
        if any(taken[at:at + n]):
            return False
        a, b = positions[at], positions[at + n - 1] + 1
        if label not in _IN_CELL:
            before = text[a - 1] if a > start else " "
            after = text[b] if b < end else " "
            if not (before.isspace() or before == "|") or not (after.isspace() or after == "|"):
                return False
        for k in range(at, at + n - 1):
            gap = text[positions[k] + 1:positions[k + 1]]
            if gap and not gap_ok.fullmatch(gap):
                return False
        return True

    spans: list[tuple[int, int, str]] = []
    missed = 0
    pointer = 0
    for label, value in values:
        needle = re.sub(r"\s+", "", value)
        if not needle:
            continue
        n = len(needle)
        found = -1
        at = compact.find(needle, pointer)
        while 0 <= at <= pointer + SEARCH_WINDOW:
            if valid(at, n, label):
                found = at
                break
            at = compact.find(needle, at + 1)
        if found >= 0:
            pointer = found + n
        elif label in _ANY_ORDER and n >= 2:
            everywhere = [at for at in _occurrences(compact, needle)]
            if len(everywhere) == 1 and valid(everywhere[0], n, label):
                found = everywhere[0]
                if label not in ("LEVEL1", "LEVEL2"):     # a row's cells follow it (merged cells: anywhere)
                    pointer = max(pointer, found + n)
        if found < 0:
            missed += 1
            continue
        taken[found:found + n] = b"\x01" * n
        spans.append((positions[found], positions[found + n - 1] + 1, label))
    return sorted(spans), missed


def _occurrences(haystack: str, needle: str) -> Iterator[int]:
    at = haystack.find(needle)
    while at >= 0:
        yield at
        at = haystack.find(needle, at + 1)


def extractor_texts(path: Path, truth: list[dict[str, Any]], styles: list[Any], seed: int,
                    extractors: Sequence[str]) -> dict[str, str]:
    """The flat text of each extractor for one rendered file."""
    from corpus.extractors import flat_text

    texts = {}
    for name in extractors:
        if name == "content-order":
            texts[name] = pdf_to_flat_text(path, seed, typesetting=styles[0].typesetting)[0]
        else:
            texts[name] = flat_text(name, pdf=path, records=truth, styles=styles, seed=seed)
    return texts


def file_examples(text: str, truth: list[dict[str, Any]], styles: list[Any], extractor: str,
                  stats: dict[str, int], whole_forms_only: bool = False) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """One extractor's text of a file as examples, a form (or a piece of at
    most MAX_EXAMPLE_CHARS) each, with the spans that align; `stats` counts
    aligned and missed values (and files whose forms cannot be told apart).
    `whole_forms_only`: a form with a value that does not align gives no
    example (counted as `forms_skipped`): its text would teach the model
    that the value is no field."""
    starts = form_starts(text, sorted({record.get("title") or "" for record in truth} - {""}) or None)
    if len(starts) != len(truth):
        stats["files_skipped"] = stats.get("files_skipped", 0) + 1
        return []
    starts.append(len(text))
    examples = []
    for record, style, a, b in zip(truth, styles, starts, starts[1:]):
        spans, missed = align_contiguous(text, record_values(record, style), extractor, a, b)
        stats["aligned"] += len(spans)
        stats["missed"] += missed
        if missed and whole_forms_only:
            stats["forms_skipped"] = stats.get("forms_skipped", 0) + 1
            continue
        spans += not_annotated_spans(text, record, spans, a, b)
        chunk = text[a:b].strip("\n")
        offset = a + (len(text[a:b]) - len(text[a:b].lstrip("\n")))
        local = [(s - offset, e - offset, label) for s, e, label in spans]
        if extractor == "content-order":
            examples.extend(_cut(chunk, local))
        else:                  # no blank lines between cells: cut at line breaks
            examples.extend(_cut(chunk.rstrip(), local, r"\n[\s]*"))
    return examples


# The label of a span the model is taught nothing of (spaCy's missing
# annotation, `models.convert`): the value of a closing or extra row
# (目标未完成原因分析, 存在问题, 改进措施) reads as a deviation cause or a
# measure but is no field of the record; left outside every entity it
# taught the model that cause-only cells (经分析，…所致。) are no field.
NOT_ANNOTATED = "NOT_ANNOTATED"


def not_annotated_spans(text: str, record: dict[str, Any], spans: list[tuple[int, int, str]],
                        start: int, end: int) -> list[tuple[int, int, str]]:
    """NOT_ANNOTATED spans over each occurrence in text[start:end] of a
    value of the record's `extra` (white space skipped) that overlaps no
    span of `spans`; values of fewer than four characters (无, 张明) are
    left as they are, outside every entity."""
    values = {re.sub(r"\s+", "", str(value)) for value in (record.get("extra") or {}).values()}
    values = {value for value in values if len(value) >= 4}
    if not values:
        return []
    positions = [i for i in range(start, end) if not text[i].isspace()]
    compact = "".join(text[i] for i in positions)
    out: list[tuple[int, int, str]] = []
    for value in sorted(values):
        for at in _occurrences(compact, value):
            a, b = positions[at], positions[at + len(value) - 1] + 1
            if not any(s < b and a < e for s, e, _ in spans + out):
                out.append((a, b, NOT_ANNOTATED))
    return out


def extractor_examples(split: str, count: int, extractors: Sequence[str] | None = None,
                       style_names: Sequence[str] | None = None,
                       ) -> list[tuple[str, list[tuple[int, int, str]], dict[str, str]]]:
    """`count` synthetic forms of `split`, rendered a typesetting of
    `style_names` per file (default the tuning styles), in the flat text of
    each of `extractors` (default all of `corpus.extractors.FLAT_EXTRACTORS`):
    ``(text, spans, {"style": name, "extractor": name})`` per form and
    extractor.  A value that does not align (not contiguous in that
    extractor's text) is left out and counted per extractor in
    `extractor_examples.last_stats` (``{extractor: {"aligned", "missed"}}``),
    with a warning.  Deterministic."""
    from corpus.extractors import FLAT_EXTRACTORS
    from corpus.synth import SPLIT_SEEDS

    extractors = tuple(FLAT_EXTRACTORS if extractors is None else extractors)
    stats = {name: {"aligned": 0, "missed": 0} for name in extractors}
    out: list[tuple[str, list[tuple[int, int, str]], dict[str, str]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, (path, truth, styles, style) in enumerate(rendered_files(split, count, Path(tmp), style_names)):
            texts = extractor_texts(path, truth, styles, SPLIT_SEEDS[split] + n, extractors)
            for name in extractors:
                meta = {"style": style, "extractor": name}
                out.extend((text, spans, dict(meta)) for text, spans in
                           file_examples(texts[name], truth, styles, name, stats[name]))
            path.unlink(missing_ok=True)
    for name, counts in stats.items():
        total = counts["aligned"] + counts["missed"]
        if counts["missed"] or counts.get("files_skipped"):
            log.warning("%s: %d of %d value(s) of %d %s form(s) do not align (not contiguous in the text) "
                        "and are left out%s", name, counts["missed"], total, count, split,
                        f"; {counts['files_skipped']} file(s) whose forms could not be told apart"
                        if counts.get("files_skipped") else "")
    extractor_examples.last_stats = stats  # type: ignore[attr-defined]
    return out


def _cut(text: str, spans: list[tuple[int, int, str]],
         breaks: str = r"\n\n+") -> list[tuple[str, list[tuple[int, int, str]]]]:
    """Cut a form's text into pieces ≤ MAX_EXAMPLE_CHARS at `breaks` (blank
    lines) outside spans."""
    if len(text) <= MAX_EXAMPLE_CHARS:
        return [(text, spans)]
    inside = [False] * (len(text) + 1)
    for s, e, _ in spans:
        for i in range(s, e):
            inside[i] = True
    cuts = [m.end() for m in re.finditer(breaks, text) if not inside[m.start()]]
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


def family_examples(split: str, count: int, extractors: Sequence[str] | None = None,
                    families: Sequence[str] | None = None,
                    ) -> list[tuple[str, list[tuple[int, int, str]], dict[str, str]]]:
    """`count` forms of `split` per template family (`corpus.templates`;
    default the tuning families, the held-out ones only in eval), printed
    in the family's layout, in the flat text of each of `extractors`, and
    each form as the second opinion writes it back for the model (the
    reference layout with the family's values: split targets joined, 指标1
    names, 产出指标(50分), traditional characters): ``(text, spans,
    {"family", "extractor"})``.  Values that do not align are left out and
    counted in `family_examples.last_stats`, as `extractor_examples` does."""
    from corpus.build import family_forms, render_with_truth
    from corpus.extractors import FLAT_EXTRACTORS
    from corpus.render import FormStyle
    from corpus.synth import SPLIT_SEEDS
    from corpus.templates import HELD_OUT_FAMILIES, TUNING_FAMILIES
    from extract.checks.second_opinion import form_text, model_text

    names = tuple(families or TUNING_FAMILIES)
    if set(names) & set(HELD_OUT_FAMILIES) and split != "eval":
        raise ValueError(f"held-out families {sorted(set(names) & set(HELD_OUT_FAMILIES))} only in eval")
    extractors = tuple(FLAT_EXTRACTORS if extractors is None else extractors)
    stats = {name: {"aligned": 0, "missed": 0} for name in extractors + ("second-opinion",)}
    out: list[tuple[str, list[tuple[int, int, str]], dict[str, str]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, family in enumerate(names):
            records, styles = family_forms(family, count, split=split)
            path = Path(tmp) / f"{family}.pdf"
            truth = render_with_truth(records, path, styles)
            texts = extractor_texts(path, truth, styles, SPLIT_SEEDS[split] + n, extractors)
            for name in extractors:
                out.extend((text, spans, {"family": family, "extractor": name}) for text, spans in
                           file_examples(texts[name], truth, styles, name, stats[name], whole_forms_only=True))
            for record in truth:
                # the values as the model reads them (model_text: NFKC, one glyph per operator)
                as_read = _with_text(record, model_text)
                out.extend((text, spans, {"family": family, "extractor": "second-opinion"}) for text, spans in
                           file_examples(form_text(record).text, [{**as_read, "title": None}], [FormStyle()],
                                         "content-order", stats["second-opinion"]))
    family_examples.last_stats = stats  # type: ignore[attr-defined]
    return out


def _with_text(value: Any, convert: Any) -> Any:
    """A copy of a record with every string `convert`ed."""
    if isinstance(value, str):
        return convert(value)
    if isinstance(value, dict):
        return {key: _with_text(item, convert) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_text(item, convert) for item in value]
    return value
