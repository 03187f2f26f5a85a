"""Every call of an external OCR program or model, behind one interface.

An engine reads the ruled cells of a greyscale page image: each cell is one
unit, cut into text lines by its horizontal ink profile, and each line strip
is recognised on its own (recognition only, no detection).  Full-page OCR of
these tables reads cells in the wrong order and splits wrapped values; the
cell grid, found elsewhere, fixes both.

Boxes here are pixels of the page image, ``(x0, y0, x1, y1)``; the raster
stage converts them to points.  Text is left as the engine read it apart from
white space: NFKC and the like belong to the parser.
"""

from __future__ import annotations

import bisect
import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator, Protocol, Sequence

import numpy as np

from extract.errors import MissingDependency

Box = tuple[int, int, int, int]

ENGINES = ("tesseract", "rapidocr")

TESSERACT_LANG = "chi_sim"
TESSERACT_INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-chi-sim"
RAPIDOCR_INSTALL_HINT = "pip install rapidocr onnxruntime"

# Cell cropping and line finding.  Pixel sizes are for 200 dpi pages; the
# ones that matter scale with the page's text line height instead.
CELL_INSET = 4                # px inside the cell box: ruling lines are ~2 px wide
BORDER_BAND = 6               # px from the crop's edge where line remnants are looked for
BORDER_INK_SHARE = 0.5        # a row/column this full of ink near the edge is a ruling line
NOISE_AREA = 4                # ink specks smaller than this (px) are not text
REMNANT_THICKNESS = 3         # px: ink this thin along the crop's edge is a ruling line
DUST_SIZE = 0.35              # a blot no bigger than this × line height, …
DUST_ASPECT = 2.0             # … no longer than this × its width …
DUST_GAP = 1.0                # … and this × line height from other ink is dust
MIN_CONTRAST = 60             # grey levels between paper and ink; less is an empty cell
MERGE_GAP = 0.5               # runs closer than this × line height may be one line …
MERGE_HEIGHT = 1.35           # … if together they are no taller than this × line height
SPLIT_HEIGHT = 1.75           # a run this tall (× line height) is touching lines …
CUT_WINDOW = 0.3              # … cut within this × line height of where a line should end …
CUT_DEPTH = 0.6               # … at a row with at most this share of the run's median ink
STRIP_PAD = 0.25              # white margin around a line strip, × line height
DEFAULT_LINE_HEIGHT = 25      # px: 9 pt text at 200 dpi, when a page gives no clue

# Tesseract: all strips of a page stacked into one image, one process call.
STACK_MARGIN = 16             # px of white left of and between the stacked strips
STACK_SCALE = 1.5             # Tesseract reads 9 pt text at 200 dpi better enlarged
TESSERACT_STACK_CONFIG = "--psm 6 -c preserve_interword_spaces=1 -c textord_noise_rejwords=0 -c textord_noise_rejrows=0"
TESSERACT_PAGE_CONFIG = "--psm 3"      # Tesseract's own default: automatic layout
WORD_SPACE = 0.3              # a gap wider than this × ink height is a space between ASCII words …
WIDE_WORD_SPACE = 1.0         # … and this next to CJK text, whose glyphs sit in wide, loose boxes


@dataclass(frozen=True)
class OcrLine:
    text: str
    confidence: float         # 0..1
    box: Box                  # x0, y0, x1, y1 in pixels of the page image


class OcrEngine(Protocol):
    name: str

    def read_cells(self, image: np.ndarray, boxes: Sequence[Box]) -> list[list[OcrLine]]:
        """For each cell box, the cell's text lines top to bottom ([] when empty)."""
        ...


def get_engine(name: str) -> OcrEngine:
    """The engine called `name`, created once per process."""
    if name not in ENGINES:
        raise ValueError(f"unknown OCR engine {name!r}; choose one of: {', '.join(ENGINES)}")
    return _engine(name)


@lru_cache(maxsize=None)
def _engine(name: str) -> OcrEngine:
    return TesseractEngine() if name == "tesseract" else RapidOcrEngine()


def clean_text(text: str) -> str:
    """Engine noise only: surrounding and repeated white space."""
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------- line strips

@dataclass(frozen=True)
class LineStrip:
    """One text line of a cell, its glyphs alone on plain paper, ready to recognise."""

    image: np.ndarray         # greyscale uint8
    box: Box                  # where the line's ink lies on the page


@dataclass(frozen=True)
class _CellInk:
    crop: np.ndarray          # the cell's inside, as scanned
    ink: np.ndarray           # bool mask of the ink that is text
    paper: int                # grey level of the cell's paper
    origin: tuple[int, int]   # page px of crop[0, 0]
    runs: list[tuple[int, int]]   # row ranges [top, bottom) holding ink


def cell_line_strips(image: np.ndarray, boxes: Sequence[Box]) -> list[list[LineStrip]]:
    """Cut every cell into its text-line strips, top to bottom."""
    gray = _as_gray(image)
    cells = [_cell_ink(gray, box) for box in boxes]
    line_height = _page_line_height(cells)
    return [_strips(cell, line_height) for cell in cells]


def _as_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        import cv2

        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY if image.shape[2] == 3 else cv2.COLOR_RGBA2GRAY)
    return image.astype(np.uint8, copy=False)


def _cell_ink(gray: np.ndarray, box: Box) -> _CellInk:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0 = max(0, x0 + CELL_INSET), max(0, y0 + CELL_INSET)
    x1, y1 = min(gray.shape[1], x1 - CELL_INSET), min(gray.shape[0], y1 - CELL_INSET)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return _CellInk(np.full((1, 1), 255, np.uint8), np.zeros((1, 1), bool), 255, (x0, y0), [])
    crop = gray[y0:y1, x0:x1]
    ink = _text_ink(_ink_mask(crop))
    return _CellInk(crop, ink, int(np.percentile(crop, 90)), (x0, y0), _runs(ink.any(axis=1)))


def _ink_mask(crop: np.ndarray) -> np.ndarray:
    import cv2

    if int(np.percentile(crop, 99)) - int(crop.min()) < MIN_CONTRAST:
        return np.zeros(crop.shape, bool)
    # Otsu finds the paper/ink split; clamped so that a nearly empty cell's
    # paper noise is not called ink.
    otsu, _ = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return crop < min(max(otsu, 96), 192)


def _text_ink(ink: np.ndarray) -> np.ndarray:
    """The ink that is text: without specks and ruling-line remnants."""
    import cv2

    ink = _without_border_lines(ink)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    if count <= 1:
        return ink
    keep = np.array([_is_text_blob(stats[i], ink.shape) for i in range(count)])
    keep[0] = False                                   # label 0 is the paper
    return keep[labels]


def _without_border_lines(ink: np.ndarray) -> np.ndarray:
    """Clear near-full rows/columns close to the crop's edge: ruling lines
    that survive the inset (skewed scans, boxes a few px off)."""
    ink = ink.copy()
    h, w = ink.shape
    for r in {*range(min(BORDER_BAND, h)), *range(max(0, h - BORDER_BAND), h)}:
        if ink[r].mean() > BORDER_INK_SHARE:
            ink[r] = False
    for c in {*range(min(BORDER_BAND, w)), *range(max(0, w - BORDER_BAND), w)}:
        if ink[:, c].mean() > BORDER_INK_SHARE:
            ink[:, c] = False
    return ink


def _is_text_blob(stat: np.ndarray, shape: tuple[int, int]) -> bool:
    import cv2

    x, y, w, h, area = (int(stat[k]) for k in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH,
                                                cv2.CC_STAT_HEIGHT, cv2.CC_STAT_AREA))
    if area < NOISE_AREA:
        return False
    # A thin piece lying along the crop's edge is a ruling line broken up by
    # scan noise; glyphs keep clear of the cell's edges.
    along_side = (x == 0 or x + w == shape[1]) and w <= REMNANT_THICKNESS
    along_top = (y == 0 or y + h == shape[0]) and h <= REMNANT_THICKNESS
    return not (along_side or along_top)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """Ranges [start, stop) of consecutive True values."""
    padded = np.concatenate(([0], flags.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _page_line_height(cells: Sequence[_CellInk]) -> float:
    # The 75th percentile: most runs are whole lines of CJK text, shorter
    # ones are digits or punctuation, taller ones touching lines.
    heights = [b - a for cell in cells for a, b in cell.runs if b - a >= 3]
    return float(np.percentile(heights, 75)) if heights else float(DEFAULT_LINE_HEIGHT)


def _strips(cell: _CellInk, line_height: float) -> list[LineStrip]:
    runs = _split_tall_runs(_merge_close_runs(cell.runs, line_height), cell.ink, line_height)
    return [strip for run in runs if (strip := _strip(cell, run, line_height)) is not None]


def _without_dust(line_ink: np.ndarray, line_height: float) -> np.ndarray:
    """The line's ink without specks of dust: small round blots standing
    apart from the rest of the line.  A decimal point, a "。" or a dot of a
    character sits next to other ink and stays; a lone "-" is long and stays."""
    import cv2

    count, labels, stats, _ = cv2.connectedComponentsWithStats(line_ink.astype(np.uint8), connectivity=8)
    keep = np.ones(count, bool)
    keep[0] = False                                   # label 0 is the paper
    for i in range(1, count):
        x, w, h = (int(stats[i, k]) for k in (cv2.CC_STAT_LEFT, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
        if max(w, h) <= DUST_SIZE * line_height and max(w, h) < DUST_ASPECT * min(w, h):
            other_columns = (line_ink & (labels != i)).any(axis=0)
            reach = round(DUST_GAP * line_height)
            keep[i] = bool(other_columns[max(0, x - reach):x + w + reach].any())
    return keep[labels]


def _merge_close_runs(runs: list[tuple[int, int]], line_height: float) -> list[tuple[int, int]]:
    """Join the pieces of one line that the profile cut apart (二, =, …)."""
    merged: list[tuple[int, int]] = []
    for top, bottom in runs:
        if merged:
            prev_top, prev_bottom = merged[-1]
            close = top - prev_bottom < MERGE_GAP * line_height
            if close and bottom - prev_top <= MERGE_HEIGHT * line_height:
                merged[-1] = (prev_top, bottom)
                continue
        merged.append((top, bottom))
    return merged


def _split_tall_runs(runs: list[tuple[int, int]], ink: np.ndarray, line_height: float) -> list[tuple[int, int]]:
    """Cut runs of touching lines where the profile nearly empties, about
    one line height apart."""
    profile = ink.sum(axis=1)
    out: list[tuple[int, int]] = []
    for top, bottom in runs:
        height = bottom - top
        if height < SPLIT_HEIGHT * line_height:
            out.append((top, bottom))
            continue
        pieces = max(2, round(height / line_height))
        shallow = CUT_DEPTH * float(np.median(profile[top:bottom]))
        window = max(1, round(CUT_WINDOW * height / pieces))
        cuts = [top]
        for k in range(1, pieces):
            centre = top + round(k * height / pieces)
            lo, hi = max(cuts[-1] + 1, centre - window), min(bottom - 1, centre + window)
            if hi < lo:
                continue
            cut = lo + int(np.argmin(profile[lo:hi + 1]))
            if profile[cut] <= shallow:            # no gap-like row: not two lines
                cuts.append(cut)
        cuts.append(bottom)
        out.extend(zip(cuts[:-1], cuts[1:]))
    return out


def _strip(cell: _CellInk, run: tuple[int, int], line_height: float) -> LineStrip | None:
    top, bottom = run
    line_ink = _without_dust(cell.ink[top:bottom], line_height)
    cols = np.flatnonzero(line_ink.any(axis=0))
    if cols.size == 0:
        return None
    left, right = int(cols[0]), int(cols[-1]) + 1
    glyphs = _line_glyphs(cell, line_ink, top, left, right)
    # At least a line's height, so that a lone "-" or "。" is seen at its
    # true size, not blown up to a full line; plus the margin recognisers
    # were trained with.
    pad = max(2, round(STRIP_PAD * line_height))
    extra = max(0, round(line_height) - glyphs.shape[0])
    image = np.pad(glyphs, ((pad + extra // 2, pad + extra - extra // 2), (pad, pad)), constant_values=255)
    ox, oy = cell.origin
    return LineStrip(image=image, box=(ox + left, oy + top, ox + right, oy + bottom))


def _line_glyphs(cell: _CellInk, line_ink: np.ndarray, top: int, left: int, right: int) -> np.ndarray:
    """The line's own ink (with its anti-aliased rim) on white paper: no
    scan noise, no line remnants, no tops of the next line's glyphs."""
    import cv2

    own = np.zeros_like(cell.ink)
    own[top:top + len(line_ink)] = line_ink
    rim = cv2.dilate(own.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    bottom = min(cell.ink.shape[0], top + len(line_ink) + 1)
    top, left, right = max(0, top - 1), max(0, left - 1), min(cell.ink.shape[1], right + 1)
    window = _on_white(cell.crop[top:bottom, left:right], cell.paper, int(cell.crop.min()))
    return np.where(rim[top:bottom, left:right], window, 255).astype(np.uint8)


def _on_white(grey: np.ndarray, paper: int, darkest: int) -> np.ndarray:
    """Stretch grey levels so that the paper is white and the ink black: a
    greyish scan then looks like the clean print recognisers were trained on."""
    span = max(1, paper - darkest)
    return np.clip((grey.astype(np.float32) - darkest) * (255 / span), 0, 255).astype(np.uint8)


# ------------------------------------------------------------------ Tesseract

class TesseractEngine:
    """Tesseract `chi_sim` through pytesseract: one process call per page."""

    name = "tesseract"

    def __init__(self) -> None:
        _check_tesseract()

    def read_cells(self, image: np.ndarray, boxes: Sequence[Box]) -> list[list[OcrLine]]:
        cells = cell_line_strips(image, boxes)
        strips = [strip for cell in cells for strip in cell]
        if not strips:
            return [[] for _ in cells]
        stacked, tops = _stack(strips)
        words = _tesseract_words(_enlarge(stacked, STACK_SCALE), TESSERACT_STACK_CONFIG)
        words = [_shrink_word(word, STACK_SCALE) for word in words]
        lines = _lines_from_stacked_words(words, strips, tops)
        return _regroup(cells, lines)


def _check_tesseract() -> None:
    import pytesseract

    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        raise MissingDependency(f"the tesseract program is not installed; install it with `{TESSERACT_INSTALL_HINT}`")
    if TESSERACT_LANG not in pytesseract.get_languages(config=""):
        raise MissingDependency(
            f"Tesseract has no {TESSERACT_LANG} language data; install it with `apt-get install tesseract-ocr-chi-sim`"
        )


@contextmanager
def _one_omp_thread() -> Iterator[None]:
    """OMP_THREAD_LIMIT=1 for the tesseract child only: its OpenMP threads
    make it ~5× slower on 2 cores.  pytesseract passes os.environ on."""
    previous = os.environ.get("OMP_THREAD_LIMIT")
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("OMP_THREAD_LIMIT", None)
        else:
            os.environ["OMP_THREAD_LIMIT"] = previous


@dataclass(frozen=True)
class _Word:
    text: str
    confidence: float
    box: Box


def _tesseract_words(image: np.ndarray, config: str) -> list[_Word]:
    import pytesseract

    with _one_omp_thread():
        data = pytesseract.image_to_data(
            image, lang=TESSERACT_LANG, config=config, output_type=pytesseract.Output.DICT
        )
    words = []
    for i, text in enumerate(data["text"]):
        conf = float(data["conf"][i])
        if conf < 0 or not text.strip():              # layout rows carry conf -1
            continue
        left, top = int(data["left"][i]), int(data["top"][i])
        box = (left, top, left + int(data["width"][i]), top + int(data["height"][i]))
        words.append(_Word(text.strip(), conf / 100.0, box))
    return words


def _stack(strips: Sequence[LineStrip]) -> tuple[np.ndarray, list[int]]:
    """All strips one under another on white, with the y where each starts."""
    width = max(s.image.shape[1] for s in strips) + 2 * STACK_MARGIN
    tops, y = [], STACK_MARGIN
    for strip in strips:
        tops.append(y)
        y += strip.image.shape[0] + STACK_MARGIN
    canvas = np.full((y, width), 255, np.uint8)
    for strip, top in zip(strips, tops):
        h, w = strip.image.shape
        canvas[top:top + h, STACK_MARGIN:STACK_MARGIN + w] = strip.image
    return canvas, tops


def _enlarge(image: np.ndarray, scale: float) -> np.ndarray:
    import cv2

    if scale == 1:
        return image
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def _shrink_word(word: _Word, scale: float) -> _Word:
    return _Word(word.text, word.confidence, tuple(int(round(v / scale)) for v in word.box))


def _lines_from_stacked_words(words: Sequence[_Word], strips: Sequence[LineStrip],
                              tops: Sequence[int]) -> list[OcrLine | None]:
    """Give each word to the strip its vertical centre falls in; one line per strip."""
    per_strip: list[list[_Word]] = [[] for _ in strips]
    for word in words:
        centre = (word.box[1] + word.box[3]) / 2
        index = bisect.bisect_right(tops, centre) - 1
        if index >= 0 and centre < tops[index] + strips[index].image.shape[0]:
            per_strip[index].append(word)
    lines: list[OcrLine | None] = []
    for strip, strip_words in zip(strips, per_strip):
        text = _join_words(sorted(strip_words, key=lambda w: w.box[0]), strip.box[3] - strip.box[1])
        if not text:
            lines.append(None)
            continue
        confidence = sum(w.confidence for w in strip_words) / len(strip_words)
        lines.append(OcrLine(text, confidence, strip.box))
    return lines


def _join_words(words: Sequence[_Word], ink_height: int) -> str:
    # chi_sim gives a CJK line as many one-character "words": join them
    # unless the gap between them is wide enough to be a real space.
    text, prev = "", None
    for word in words:
        if prev is not None:
            ascii_pair = prev.text[-1].isascii() and word.text[0].isascii()
            space = (WORD_SPACE if ascii_pair else WIDE_WORD_SPACE) * ink_height
            if word.box[0] - prev.box[2] > space:
                text += " "
        text += word.text
        prev = word
    return clean_text(text)


def _regroup(cells: Sequence[Sequence[LineStrip]], lines: Sequence[OcrLine | None]) -> list[list[OcrLine]]:
    """Lines of the flat strip list back into their cells, empty reads dropped."""
    out, i = [], 0
    for cell in cells:
        out.append([line for line in lines[i:i + len(cell)] if line is not None])
        i += len(cell)
    return out


def tesseract_full_page(image: np.ndarray) -> list[OcrLine]:
    """Plain full-page Tesseract (its default automatic layout), one OcrLine
    per word: the baseline the cell-wise engines are measured against."""
    _check_tesseract_once()
    words = _tesseract_words(_as_gray(image), TESSERACT_PAGE_CONFIG)
    return [OcrLine(clean_text(w.text), w.confidence, w.box) for w in words]


@lru_cache(maxsize=1)
def _check_tesseract_once() -> None:
    _check_tesseract()


# ------------------------------------------------------------------- RapidOCR

class RapidOcrEngine:
    """RapidOCR's bundled PP-OCR recogniser on each line strip."""

    name = "rapidocr"

    def __init__(self) -> None:
        self._ocr = _rapid_ocr()

    def read_cells(self, image: np.ndarray, boxes: Sequence[Box]) -> list[list[OcrLine]]:
        cells = cell_line_strips(image, boxes)
        lines = [self._read_strip(strip) for cell in cells for strip in cell]
        return _regroup(cells, lines)

    def _read_strip(self, strip: LineStrip) -> OcrLine | None:
        # Recognition only: the strip is already one line; the direction
        # classifier would turn short numbers upside down (99.97 → 2666).
        result = self._ocr(strip.image, use_det=False, use_cls=False, use_rec=True)
        texts, scores = result.txts or (), result.scores or ()
        text = clean_text(" ".join(texts))
        if not text:
            return None
        return OcrLine(text, float(min(scores)) if scores else 0.0, strip.box)


@lru_cache(maxsize=1)
def _rapid_ocr() -> Any:
    """One RapidOCR per process (loading the models is slow), on one
    onnxruntime thread so that worker processes don't fight over the cores."""
    try:
        from rapidocr import RapidOCR
    except ImportError as exc:
        raise MissingDependency(f"the rapidocr package is not installed; install it with `{RAPIDOCR_INSTALL_HINT}`") from exc
    return RapidOCR(params={
        "Global.use_det": False,
        "Global.use_cls": False,
        "Global.log_level": "warning",
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    })
