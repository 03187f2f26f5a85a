"""The table grid of a scanned page: deskew, ruling lines, cell boxes.

Pure image work, no OCR: a greyscale page in, the deskewed page and each
ruled table's cell boxes out.  Lengths are fractions of the page's short side
(595 pt on A4), so one setting serves 150, 200 and 300 dpi alike.

A merged cell comes out as one box because cells are the regions the ruling
lines enclose, not the slots of a row × column grid; tables are the connected
pieces of the line mask, so a title between two forms keeps them apart.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from extract.settings import Settings

log = logging.getLogger("selfeval.grid")

Box = tuple[int, int, int, int]   # (x0, y0, x1, y1) in pixels, x1/y1 exclusive


@dataclass(frozen=True)
class GridSettings(Settings):
    """Tunables of `find_grid`; lengths are fractions of the page's short side.

    On an A4 page 0.01 of the short side is about 6 pt; the forms print 9 pt
    text in rows at least 18 pt high and columns at least 32 pt wide.
    """

    # A ruling line at least this long is taken on its own (~30 pt: three CJK
    # characters, so a run of text strokes is never one).
    min_line: float = 0.05
    # Shortest cell side (~12 pt).  Line pieces this long count only where they
    # join two long perpendicular lines: a row 18 pt high cut by a page break.
    min_cell: float = 0.02
    # Adaptive threshold window (~12 pt) and how much darker than its
    # neighbourhood a pixel must be to count as ink (grey levels).
    block: float = 0.02
    ink_contrast: float = 15.0
    # How far (along the line) breaks from noise or JPEG are bridged, and how
    # far a short piece's end may stop from the line it joins.
    gap: float = 0.003
    # Deskew: search ±max_skew degrees, coarse then fine.
    max_skew: float = 3.0
    coarse_step: float = 0.25
    fine_step: float = 0.02
    # Below this (degrees) the page is left as it is: rotating costs time and blurs.
    min_rotation: float = 0.05

    def __post_init__(self) -> None:
        fractions = {"min_line": self.min_line, "min_cell": self.min_cell, "block": self.block, "gap": self.gap}
        for name, value in fractions.items():
            if not 0 < value < 0.5:
                raise ValueError(f"GridSettings.{name} must be a fraction of the page in (0, 0.5), got {value}")
        if self.min_cell >= self.min_line:
            raise ValueError("GridSettings.min_cell must be shorter than min_line")
        if self.gap >= self.min_cell:
            raise ValueError("GridSettings.gap must be shorter than min_cell")
        if not 0 < self.ink_contrast < 255:
            raise ValueError(f"GridSettings.ink_contrast must be in (0, 255), got {self.ink_contrast}")
        if not 0 <= self.max_skew <= 10:
            raise ValueError(f"GridSettings.max_skew must be in [0, 10] degrees, got {self.max_skew}")
        if not 0 < self.fine_step <= self.coarse_step:
            raise ValueError("GridSettings needs 0 < fine_step <= coarse_step")
        if self.min_rotation < 0:
            raise ValueError("GridSettings.min_rotation must not be negative")


@dataclass
class PageGrid:
    """A deskewed page and its tables' cells.

    Cell boxes are the inner boxes, just inside the ruling lines, so two
    neighbouring cells stand `line_width` pixels apart; grow each box by half
    of it to get boxes that meet on the lines' centres, as the cells of a text
    PDF do (see `centred_boxes`).
    """

    image: np.ndarray                 # the deskewed greyscale page, uint8
    angle: float                      # degrees it was rotated by (counter-clockwise positive)
    tables: list[list[Box]] = field(default_factory=list)   # per table, top to bottom: cell boxes
    line_width: float = 0.0           # typical width of the ruling lines in `image`, pixels


def find_grid(gray: np.ndarray, settings: GridSettings = GridSettings()) -> PageGrid:
    """Deskew a page and find its ruled tables' cells (inner boxes, pixels of `image`)."""
    image = as_gray(gray)
    ink = binarize(image, settings)
    angle = estimate_skew(ink, settings)
    if abs(angle) >= settings.min_rotation:
        image = rotate(image, angle)
        ink = binarize(image, settings)
    else:
        angle = 0.0
    lines = line_mask(ink, settings)
    tables = table_cells(lines, _pixels(image, settings.min_cell / 2, 2))
    width = line_width(tables, widest=_pixels(image, settings.min_cell / 4, 3))
    log.debug("grid: page %d×%d px turned by %.3f°; %d table(s) of %s cells; ruling lines %.1f px wide",
              image.shape[1], image.shape[0], angle, len(tables), [len(t) for t in tables], width)
    return PageGrid(image=image, angle=angle, tables=tables, line_width=width)


def as_gray(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8:
        raise TypeError(f"find_grid needs a uint8 image, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY if image.shape[2] == 3 else cv2.COLOR_BGRA2GRAY)
    if image.ndim != 2:
        raise ValueError(f"find_grid needs a greyscale page (rows × columns), got shape {image.shape}")
    return np.ascontiguousarray(image)


def _pixels(image: np.ndarray, fraction: float, minimum: int = 1) -> int:
    return max(minimum, round(fraction * min(image.shape[:2])))


def binarize(gray: np.ndarray, settings: GridSettings) -> np.ndarray:
    """Ink as 255 on 0: darker than its neighbourhood by `ink_contrast`."""
    block = _pixels(gray, settings.block, 3) | 1
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                 block, settings.ink_contrast)


# --- deskew -----------------------------------------------------------------

def estimate_skew(ink: np.ndarray, settings: GridSettings) -> float:
    """Degrees to rotate the page by (counter-clockwise) to level the rulings
    of its binarised ink.

    A projection-profile search over the pixels of the long straight strokes:
    at the right angle the horizontal rulings fall into few rows and the
    vertical ones into few columns, which maximises the sum of squared counts.
    """
    if settings.max_skew == 0:
        return 0.0
    horizontal, vertical = _tilted_strokes(ink, settings)
    if len(horizontal[0]) + len(vertical[0]) < min(ink.shape) // 2:
        log.debug("deskew: too few ruling-line pixels (%d), the page is left as it is",
                  len(horizontal[0]) + len(vertical[0]))
        return 0.0   # no rulings worth the name: leave the page as it is
    coarse = np.arange(-settings.max_skew, settings.max_skew + 1e-9, settings.coarse_step)
    best = _best_angle(horizontal, vertical, coarse, bin_px=4)
    fine = np.arange(best - settings.coarse_step, best + settings.coarse_step + 1e-9, settings.fine_step)
    fine = fine[np.abs(fine) <= settings.max_skew + 1e-9]
    return round(_best_angle(horizontal, vertical, fine, bin_px=1, refine=True), 3)


def _tilted_strokes(ink: np.ndarray, settings: GridSettings, stride: int = 4
                    ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Pixel coordinates (xs, ys) of horizontal-ish and vertical-ish long strokes.

    Thickening across the line first keeps a tilted thin line one piece: a
    line as thick as it drifts along the opening kernel at the steepest skew
    searched is one straight run, where a 1 px line at 2° is steps of ~30 px.
    Every `stride`-th column of the horizontal strokes (row of the vertical
    ones) is enough: only the position across the line carries the angle.
    """
    length = _pixels(ink, settings.min_line / 2, 8)
    thick = math.ceil(length * math.tan(math.radians(settings.max_skew))) + 1
    flat = cv2.morphologyEx(cv2.dilate(ink, np.ones((thick, 1), np.uint8)), cv2.MORPH_OPEN,
                            np.ones((1, length), np.uint8))
    tall = cv2.morphologyEx(cv2.dilate(ink, np.ones((1, thick), np.uint8)), cv2.MORPH_OPEN,
                            np.ones((length, 1), np.uint8))
    ys, xs = np.nonzero(flat[:, ::stride])
    horizontal = (xs * float(stride), ys.astype(np.float64))
    ys, xs = np.nonzero(tall[::stride, :])
    vertical = (xs.astype(np.float64), ys * float(stride))
    return horizontal, vertical


def _best_angle(horizontal: tuple[np.ndarray, np.ndarray], vertical: tuple[np.ndarray, np.ndarray],
                angles: np.ndarray, bin_px: int, refine: bool = False) -> float:
    scores = np.array([_alignment(horizontal, vertical, a, bin_px) for a in angles])
    i = int(np.argmax(scores))
    if not refine or i == 0 or i == len(angles) - 1:
        return float(angles[i])
    # A parabola through the peak and its neighbours: finer than the step.
    left, mid, right = scores[i - 1:i + 2]
    curvature = left - 2 * mid + right
    shift = 0.0 if curvature >= 0 else 0.5 * (left - right) / curvature
    return float(angles[i] + shift * (angles[1] - angles[0]))


def _alignment(horizontal: tuple[np.ndarray, np.ndarray], vertical: tuple[np.ndarray, np.ndarray],
               angle: float, bin_px: int) -> float:
    """How sharply the strokes line up if the page is skewed by `angle` degrees
    (positive: lines fall to the right in image coordinates)."""
    slope = math.tan(math.radians(angle))
    hx, hy = horizontal
    vx, vy = vertical
    rows = _histogram((hy - hx * slope) / bin_px)
    cols = _histogram((vx + vy * slope) / bin_px)
    return float(np.dot(rows, rows) + np.dot(cols, cols))


def _histogram(positions: np.ndarray) -> np.ndarray:
    if not len(positions):
        return np.zeros(1, np.int64)
    bins = positions.astype(np.int64)
    return np.bincount(bins - bins.min())


def rotate(gray: np.ndarray, angle: float) -> np.ndarray:
    """Rotate counter-clockwise by `angle` degrees about the centre, white outside."""
    height, width = gray.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return cv2.warpAffine(gray, matrix, (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=255)


# --- ruling lines -----------------------------------------------------------

def line_mask(ink: np.ndarray, settings: GridSettings) -> np.ndarray:
    """The ruling lines (255) of a levelled page's ink.

    Long straight runs are lines.  Shorter runs (down to a cell's side) are
    lines only where both their ends meet a long perpendicular line, which
    text strokes, inset from the rulings, never do.
    """
    gap = _pixels(ink, settings.gap)
    long_px, short_px = _pixels(ink, settings.min_line, 8), _pixels(ink, settings.min_cell, 4)
    long_flat, long_tall = _runs(ink, long_px, gap, True), _runs(ink, long_px, gap, False)
    short_flat, short_tall = _runs(ink, short_px, gap, True), _runs(ink, short_px, gap, False)
    lines = long_flat | long_tall
    lines |= _bridging(short_tall, long_flat, gap, horizontal=False)
    lines |= _bridging(short_flat, long_tall, gap, horizontal=True)
    return lines


def _runs(ink: np.ndarray, length: int, gap: int, horizontal: bool) -> np.ndarray:
    """Straight runs of ink at least `length` long, with breaks up to `gap` bridged."""
    shape = (1, length) if horizontal else (length, 1)
    runs = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones(shape, np.uint8))
    # Closing after the opening joins only pieces that are lines already.
    bridge = (1, 2 * gap + 1) if horizontal else (2 * gap + 1, 1)
    return cv2.morphologyEx(runs, cv2.MORPH_CLOSE, np.ones(bridge, np.uint8))


def _bridging(pieces: np.ndarray, across: np.ndarray, reach: int, horizontal: bool) -> np.ndarray:
    """The pieces whose two ends both touch a line of `across`."""
    height, width = pieces.shape
    kept = np.zeros_like(pieces)
    contours, _ = cv2.findContours(pieces, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if horizontal:
            ends = (across[y:y + h, max(0, x - reach):x + reach + 1],
                    across[y:y + h, max(0, x + w - 1 - reach):min(width, x + w + reach)])
        else:
            ends = (across[max(0, y - reach):y + reach + 1, x:x + w],
                    across[max(0, y + h - 1 - reach):min(height, y + h + reach), x:x + w])
        if all(end.any() for end in ends):
            cv2.drawContours(kept, [contour], -1, 255, thickness=cv2.FILLED)
    return kept & pieces   # filling the outline must not fill a hole in the piece


# --- tables and cells -------------------------------------------------------

def table_cells(lines: np.ndarray, least: int) -> list[list[Box]]:
    """Per connected piece of the line mask, top to bottom: the inner boxes of
    the holes it encloses (its cells) at least `least` pixels each way.

    Holes are the 4-connected background inside an 8-connected piece, so a
    diagonal step between two line pixels does not join two cells.  The lines
    are thickened by a pixel first so a pinhole cannot either; the boxes are
    grown back by as much.
    """
    sealed = cv2.dilate(lines, np.ones((3, 3), np.uint8))
    contours, hierarchy = cv2.findContours(sealed, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    links = hierarchy[0]          # per contour: next, previous, first child, parent
    tables = []
    for outer in np.flatnonzero(links[:, 3] < 0):
        cells = list(_holes(contours, links, outer, least))
        if cells:
            tables.append((cv2.boundingRect(contours[outer]), cells))
    tables = _drop_frames(tables)
    return [sorted(cells, key=lambda b: (b[1], b[0])) for _, cells in sorted(tables, key=lambda t: t[0][1])]


def _holes(contours, links: np.ndarray, outer: int, least: int):
    hole = links[outer, 2]
    while hole >= 0:
        # A hole's contour runs on the sealed line pixels around it: its
        # bounding box, end-exclusive, is the hole grown back by the seal.
        x, y, w, h = cv2.boundingRect(contours[hole])
        if w - 2 >= least and h - 2 >= least:
            yield (x, y, x + w, y + h)
        hole = links[hole, 0]


def _drop_frames(tables: list[tuple[tuple[int, int, int, int], list[Box]]]):
    """Drop the "cells" that hold a whole table: the frame of a page border
    or of a scanner's dark edge, not a cell of a form."""
    outlines = [(x, y, x + w, y + h) for (x, y, w, h), _ in tables]
    kept = []
    for outline, cells in tables:
        cells = [c for c in cells if not any(_inside(o, c) for o in outlines if o != outline)]
        if cells:
            kept.append((outline, cells))
    return kept


def _inside(inner: Box, outer: Box) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def line_width(tables: list[list[Box]], widest: int) -> float:
    """The median gap, up to `widest` pixels, between a cell's far edge and
    the nearest near edge beyond it: the width of the ruling line between two
    neighbouring cells (0 with no neighbours)."""
    gaps = []
    for cells in tables:
        boxes = np.array(cells, dtype=np.int64).reshape(-1, 4)
        for near, far in ((boxes[:, 2], boxes[:, 0]), (boxes[:, 3], boxes[:, 1])):
            starts = np.sort(far)
            after = starts[np.minimum(np.searchsorted(starts, near), len(starts) - 1)] - near
            gaps.append(after[(after >= 0) & (after <= widest)])
    found = np.concatenate(gaps) if gaps else np.empty(0)
    return float(np.median(found)) if len(found) else 0.0


def centred_boxes(cells: list[Box], width: float) -> list[tuple[float, float, float, float]]:
    """Inner boxes grown by half a line width: they meet on the lines' centres."""
    half = width / 2
    return [(x0 - half, y0 - half, x1 + half, y1 + half) for x0, y0, x1, y1 in cells]
