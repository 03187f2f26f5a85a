"""Cells cut into text-line strips, the unit both OCR engines recognise.

Each ruled cell is cropped inside its ruling lines, its ink cleaned of
specks, line remnants and dust, and cut into text lines by its horizontal
ink profile; each line's glyphs are put alone on white paper.  Full-page OCR
of these tables reads cells in the wrong order and splits wrapped values;
reading the cells line by line fixes both.

Pixel sizes are for 200 dpi pages; the sizes that matter are multiples of
the page's text line height instead, which the page's own cells give.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from extract.scan.lines import Box
from extract.settings import Settings, check_number

log = logging.getLogger("selfeval.ocr")


@dataclass(frozen=True)
class StripSettings(Settings):
    """Tunables of cutting cells into line strips; "× line height" sizes
    scale with the page's text."""

    cell_inset: int = 4               # px cut off inside each cell box: ruling lines are ~2 px wide
    border_band: int = 6              # px from the crop's edge where ruling-line remnants are looked for
    border_ink_share: float = 0.5     # a row/column near the edge with this share (0..1) of ink is a ruling line
    noise_area: int = 4               # px²: ink specks smaller than this are not text
    remnant_thickness: int = 3        # px: ink this thin lying along the crop's edge is a ruling line
    min_contrast: int = 60            # grey levels between paper and darkest ink; less is an empty cell
    ink_floor: int = 96               # grey level: the ink threshold (Otsu's) is at least this …
    ink_ceiling: int = 192            # … and at most this, so a near-empty cell's paper noise is no ink
    min_run: int = 3                  # px: ink runs lower than this are left out of the line height
    line_height_percentile: float = 75.0   # percentile of the page's ink-run heights taken as its line height
    default_line_height: float = 25.0      # px: the line height when a page gives no clue (9 pt at 200 dpi)
    dust_size: float = 0.35           # × line height: a blot no bigger than this, …
    dust_aspect: float = 2.0          # … no longer than this × its width …
    dust_gap: float = 1.0             # … and this × line height from other ink is dust
    merge_gap: float = 0.5            # × line height: ink runs closer than this may be one line …
    merge_height: float = 1.35        # … if together they are no taller than this × line height
    split_height: float = 1.75        # × line height: a run this tall is lines touching each other …
    cut_window: float = 0.3           # … cut within this share of a line's height of where a line should end …
    cut_depth: float = 0.6            # … at a row with at most this share of the run's median ink
    strip_pad: float = 0.25           # × line height: white margin around a line strip …
    min_strip_pad: int = 2            # … and at least this many px

    def __post_init__(self) -> None:
        for name, high in (("cell_inset", 50), ("border_band", 100), ("noise_area", 10_000),
                           ("remnant_thickness", 50), ("min_contrast", 255), ("ink_floor", 255),
                           ("ink_ceiling", 255), ("min_strip_pad", 100)):
            check_number(self, name, 0, high, integer=True)
        check_number(self, "min_run", 1, 1000, integer=True)
        if self.ink_floor > self.ink_ceiling:
            raise ValueError(f"StripSettings.ink_floor ({self.ink_floor}) must not be above "
                             f"ink_ceiling ({self.ink_ceiling})")
        check_number(self, "border_ink_share", 0, 1, open_low=True)
        check_number(self, "line_height_percentile", 0, 100, open_low=True)
        check_number(self, "default_line_height", 0, 1000, open_low=True)
        check_number(self, "dust_size", 0, 10)
        check_number(self, "dust_aspect", 1, 100)
        check_number(self, "dust_gap", 0, 10)
        check_number(self, "merge_gap", 0, 10)
        check_number(self, "merge_height", 0, 10, open_low=True)
        check_number(self, "split_height", 1, 20)
        check_number(self, "cut_window", 0, 1, open_low=True)
        check_number(self, "cut_depth", 0, 1)
        check_number(self, "strip_pad", 0, 5)


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


def cell_line_strips(image: np.ndarray, boxes: Sequence[Box],
                     settings: StripSettings = StripSettings()) -> list[list[LineStrip]]:
    """Cut every cell into its text-line strips, top to bottom."""
    gray = as_gray(image)
    cells = [_cell_ink(gray, box, settings) for box in boxes]
    line_height = _page_line_height(cells, settings)
    strips = [_strips(cell, line_height, settings, index) for index, cell in enumerate(cells)]
    if log.isEnabledFor(logging.DEBUG):
        counts = Counter(len(cell) for cell in strips)
        empty = [i for i, cell in enumerate(strips) if not cell]
        log.debug("%d cells: %d line strips; cells by strip count %s; empty cells %s",
                  len(cells), sum(len(cell) for cell in strips), dict(sorted(counts.items())),
                  _indices(empty))
    return strips


def _indices(indices: list[int], most: int = 30) -> str:
    shown = ", ".join(map(str, indices[:most]))
    return f"[{shown}{', …' if len(indices) > most else ''}]"


def as_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        import cv2

        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY if image.shape[2] == 3 else cv2.COLOR_RGBA2GRAY)
    return image.astype(np.uint8, copy=False)


def _cell_ink(gray: np.ndarray, box: Box, settings: StripSettings) -> _CellInk:
    inset = settings.cell_inset
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0 = max(0, x0 + inset), max(0, y0 + inset)
    x1, y1 = min(gray.shape[1], x1 - inset), min(gray.shape[0], y1 - inset)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return _CellInk(np.full((1, 1), 255, np.uint8), np.zeros((1, 1), bool), 255, (x0, y0), [])
    crop = gray[y0:y1, x0:x1]
    ink = _text_ink(_ink_mask(crop, settings), settings)
    return _CellInk(crop, ink, int(np.percentile(crop, 90)), (x0, y0), _runs(ink.any(axis=1)))


def _ink_mask(crop: np.ndarray, settings: StripSettings) -> np.ndarray:
    import cv2

    if int(np.percentile(crop, 99)) - int(crop.min()) < settings.min_contrast:
        return np.zeros(crop.shape, bool)
    # Otsu finds the paper/ink split; clamped so that a nearly empty cell's
    # paper noise is not called ink.
    otsu, _ = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return crop < min(max(otsu, settings.ink_floor), settings.ink_ceiling)


def _text_ink(ink: np.ndarray, settings: StripSettings) -> np.ndarray:
    """The ink that is text: without specks and ruling-line remnants."""
    import cv2

    ink = _without_border_lines(ink, settings)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    if count <= 1:
        return ink
    keep = np.array([_is_text_blob(stats[i], ink.shape, settings) for i in range(count)])
    keep[0] = False                                   # label 0 is the paper
    return keep[labels]


def _without_border_lines(ink: np.ndarray, settings: StripSettings) -> np.ndarray:
    """Clear near-full rows/columns close to the crop's edge: ruling lines
    that survive the inset (skewed scans, boxes a few px off)."""
    ink = ink.copy()
    h, w = ink.shape
    band, share = settings.border_band, settings.border_ink_share
    for r in {*range(min(band, h)), *range(max(0, h - band), h)}:
        if ink[r].mean() > share:
            ink[r] = False
    for c in {*range(min(band, w)), *range(max(0, w - band), w)}:
        if ink[:, c].mean() > share:
            ink[:, c] = False
    return ink


def _is_text_blob(stat: np.ndarray, shape: tuple[int, int], settings: StripSettings) -> bool:
    import cv2

    x, y, w, h, area = (int(stat[k]) for k in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH,
                                                cv2.CC_STAT_HEIGHT, cv2.CC_STAT_AREA))
    if area < settings.noise_area:
        return False
    # A thin piece lying along the crop's edge is a ruling line broken up by
    # scan noise; glyphs keep clear of the cell's edges.
    thin = settings.remnant_thickness
    along_side = (x == 0 or x + w == shape[1]) and w <= thin
    along_top = (y == 0 or y + h == shape[0]) and h <= thin
    return not (along_side or along_top)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """Ranges [start, stop) of consecutive True values."""
    padded = np.concatenate(([0], flags.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _page_line_height(cells: Sequence[_CellInk], settings: StripSettings) -> float:
    # The 75th percentile: most runs are whole lines of CJK text, shorter
    # ones are digits or punctuation, taller ones touching lines.
    heights = [b - a for cell in cells for a, b in cell.runs if b - a >= settings.min_run]
    if not heights:
        log.debug("line height %.1f px: the default, the page's cells hold no ink", settings.default_line_height)
        return float(settings.default_line_height)
    height = float(np.percentile(heights, settings.line_height_percentile))
    log.debug("line height %.1f px, from %d ink runs", height, len(heights))
    return height


def _strips(cell: _CellInk, line_height: float, settings: StripSettings, index: int) -> list[LineStrip]:
    merged = _merge_close_runs(cell.runs, line_height, settings)
    runs = _split_tall_runs(merged, cell.ink, line_height, settings)
    if len(runs) > len(merged):
        log.debug("cell %d: touching lines cut apart, %d ink runs into %d lines", index, len(merged), len(runs))
    return [strip for run in runs if (strip := _strip(cell, run, line_height, settings)) is not None]


def _without_dust(line_ink: np.ndarray, line_height: float, settings: StripSettings) -> np.ndarray:
    """The line's ink without specks of dust: small round blots standing
    apart from the rest of the line.  A decimal point, a "。" or a dot of a
    character sits next to other ink and stays; a lone "-" is long and stays."""
    import cv2

    count, labels, stats, _ = cv2.connectedComponentsWithStats(line_ink.astype(np.uint8), connectivity=8)
    keep = np.ones(count, bool)
    keep[0] = False                                   # label 0 is the paper
    for i in range(1, count):
        x, w, h = (int(stats[i, k]) for k in (cv2.CC_STAT_LEFT, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
        if max(w, h) <= settings.dust_size * line_height and max(w, h) < settings.dust_aspect * min(w, h):
            other_columns = (line_ink & (labels != i)).any(axis=0)
            reach = round(settings.dust_gap * line_height)
            keep[i] = bool(other_columns[max(0, x - reach):x + w + reach].any())
    return keep[labels]


def _merge_close_runs(runs: list[tuple[int, int]], line_height: float,
                      settings: StripSettings) -> list[tuple[int, int]]:
    """Join the pieces of one line that the profile cut apart (二, =, …)."""
    merged: list[tuple[int, int]] = []
    for top, bottom in runs:
        if merged:
            prev_top, prev_bottom = merged[-1]
            close = top - prev_bottom < settings.merge_gap * line_height
            if close and bottom - prev_top <= settings.merge_height * line_height:
                merged[-1] = (prev_top, bottom)
                continue
        merged.append((top, bottom))
    return merged


def _split_tall_runs(runs: list[tuple[int, int]], ink: np.ndarray, line_height: float,
                     settings: StripSettings) -> list[tuple[int, int]]:
    """Cut runs of touching lines where the profile nearly empties, about
    one line height apart."""
    profile = ink.sum(axis=1)
    out: list[tuple[int, int]] = []
    for top, bottom in runs:
        height = bottom - top
        if height < settings.split_height * line_height:
            out.append((top, bottom))
            continue
        pieces = max(2, round(height / line_height))
        shallow = settings.cut_depth * float(np.median(profile[top:bottom]))
        window = max(1, round(settings.cut_window * height / pieces))
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


def _strip(cell: _CellInk, run: tuple[int, int], line_height: float, settings: StripSettings) -> LineStrip | None:
    top, bottom = run
    line_ink = _without_dust(cell.ink[top:bottom], line_height, settings)
    cols = np.flatnonzero(line_ink.any(axis=0))
    if cols.size == 0:
        return None
    left, right = int(cols[0]), int(cols[-1]) + 1
    glyphs = _line_glyphs(cell, line_ink, top, left, right)
    # At least a line's height, so that a lone "-" or "。" is seen at its
    # true size, not blown up to a full line; plus the margin recognisers
    # were trained with.
    pad = max(settings.min_strip_pad, round(settings.strip_pad * line_height))
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
