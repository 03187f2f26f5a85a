"""A scanned page into the document model: deskew, table grid, per-cell OCR.

The grid comes from the ruling lines (`extract.scan.grid`); each cell is read as
one unit by an OCR engine (`extract.scan.engines`), which keeps wrapped values whole
and in order.  Text outside the tables (the title, the year) is read band by
band; on a page where no grid was found that is all its text, which the
pipeline then reads as flat text.  Pixels become points here, so every
later stage sees one convention.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass

import numpy as np

from extract.scan.grid import GridSettings, PageGrid, binarize, centred_boxes, find_grid, rotate
from extract.model import BBox, Page, TextLine
from extract.scan.lines import OcrEngine, OcrLine
from extract.scan.tesseract import TesseractSettings
from extract.settings import Settings, check_number
from extract.sources.raster import PageImage
from extract.sources.cells import Glyph, build_table, text_lines

log = logging.getLogger("selfeval.scan")


@dataclass(frozen=True)
class ScanSettings(Settings):
    """Tunables of reading a scanned page around its tables: the text bands
    outside them and the levelling of a page without rulings."""

    ink_level: int = 140              # grey level: darker pixels are ink when looking for text outside tables
    min_band_pt: float = 5.0          # pt: a band of text outside the tables is at least this tall
    band_margin_pt: float = 2.0       # pt: margin cleared around each table and kept around each band …
    min_band_margin: int = 2          # … and at least this many px
    row_ink_every: int = 400          # px of page width per ink pixel a row needs to hold text …
    min_row_ink: int = 3              # … and at least this many ink pixels
    min_column_ink: int = 2           # ink pixels a column of a band needs to widen the band's box
    min_level_points: int = 500       # ink pixels a page without rulings needs to be levelled at all
    max_skew_points: int = 200_000    # ink pixels sampled (at most) to level a page by its text rows
    min_text_rotation: float = 0.1    # degrees: a smaller turn of a text page is not worth it …
    text_rotation_gain: float = 1.02  # … nor one whose rows are not at least this much sharper than level

    def __post_init__(self) -> None:
        check_number(self, "ink_level", 1, 255, integer=True)
        check_number(self, "min_band_pt", 0, 100, open_low=True)
        check_number(self, "band_margin_pt", 0, 100)
        check_number(self, "min_band_margin", 0, 1000, integer=True)
        check_number(self, "row_ink_every", 1, 100_000, integer=True)
        check_number(self, "min_row_ink", 1, 100_000, integer=True)
        check_number(self, "min_column_ink", 1, 100_000, integer=True)
        check_number(self, "min_level_points", 1, 10**9, integer=True)
        check_number(self, "max_skew_points", 1, 10**9, integer=True)
        if self.max_skew_points < self.min_level_points:
            raise ValueError("ScanSettings.max_skew_points must not be below min_level_points")
        check_number(self, "min_text_rotation", 0, 10)
        check_number(self, "text_rotation_gain", 1, 100)


def read_scan_page(image: PageImage, number: int, engine: OcrEngine, *, settings: ScanSettings = ScanSettings(),
                   grid_settings: GridSettings = GridSettings()) -> Page:
    grid = find_grid(image.pixels, grid_settings)
    if not grid.tables:
        grid = level_text_page(grid, grid_settings, scan=settings)
    scale = image.points_per_pixel
    height, width = grid.image.shape[:2]
    page = Page(number=number, width=width * scale, height=height * scale, kind="scan",
                method=f"ocr:{engine.name}")
    table_boxes = [box for cells in grid.tables for box in cells]
    bands = text_band_boxes(grid, image.dpi, settings)
    log.debug("page %d: %d tables, %d cells and %d text bands to read with %s",
              number, len(grid.tables), len(table_boxes), len(bands), engine.name)
    lines = engine.read_cells(grid.image, table_boxes + bands)
    cell_lines, band_lines = lines[:len(table_boxes)], lines[len(table_boxes):]
    start = 0
    for cells in grid.tables:
        glyphs = [g for found in cell_lines[start:start + len(cells)] for g in _glyphs(found, scale)]
        # Inner boxes stand a line width apart; centred on the rules they
        # meet as a text layer's cells do, so the grid slots come out right.
        centred = centred_boxes(cells, grid.line_width)
        table, _ = build_table([_bbox(box, scale) for box in centred], glyphs)
        page.tables.append(table)
        start += len(cells)
    page.lines = scored_text_lines([g for found in band_lines for g in _glyphs(found, scale)])
    return page


def scored_text_lines(glyphs: list[Glyph]) -> list[TextLine]:
    """`extract.sources.cells.text_lines`, each line scored with the lowest score of
    the OCR lines it is made of."""
    out: list[TextLine] = []
    for line in text_lines(glyphs):
        inside = [g.confidence for g in glyphs if line.bbox.contains_point(*g.bbox.center, tol=0.5)]
        out.append(TextLine(line.text, line.bbox, min(inside) if inside else 1.0))
    return out


def level_text_page(grid: PageGrid, settings: GridSettings = GridSettings(), *,
                    scan: ScanSettings = ScanSettings()) -> PageGrid:
    """A page with no ruling lines (whose deskew needs them), levelled by its
    text rows instead: the angle at which the ink falls into the fewest,
    fullest rows (a projection profile, as `extract.scan.grid` does with
    rulings), searched within the same ±max_skew degrees.  The page is
    turned only where that clearly beats leaving it: near level the profile
    is flat, and a turn blurs the text."""
    ys, xs = np.nonzero(binarize(grid.image, settings))
    if len(ys) < scan.min_level_points:
        log.debug("no rulings and only %d ink pixels: the page is left as it is", len(ys))
        return grid
    if len(ys) > scan.max_skew_points:
        pick = np.random.default_rng(0).choice(len(ys), scan.max_skew_points, replace=False)
        ys, xs = ys[pick], xs[pick]
    ys = ys - grid.image.shape[0] // 2       # whole pixels: at 0° every row keeps its own bin
    xs = xs - grid.image.shape[1] // 2

    def sharpness(angle: float) -> float:
        # where a point lands, vertically, after `rotate(image, angle)`
        theta = math.radians(angle)
        rows = np.floor(ys * math.cos(theta) - xs * math.sin(theta)).astype(np.int64)
        counts = np.bincount(rows - rows.min()).astype(np.float64)
        return float((counts * counts).sum())

    coarse = np.arange(-settings.max_skew, settings.max_skew + 1e-9, settings.coarse_step)
    best = max(coarse, key=sharpness)
    fine = np.arange(best - settings.coarse_step, best + settings.coarse_step + 1e-9, settings.fine_step)
    angle = round(float(max(fine, key=sharpness)), 3)
    if abs(angle) < scan.min_text_rotation or sharpness(angle) < scan.text_rotation_gain * sharpness(0.0):
        log.debug("no rulings; text rows sharpest at %.3f°, not worth a turn: the page is left as it is", angle)
        return grid
    log.debug("no rulings; the page is levelled by its text rows: turned by %.3f°", angle)
    return PageGrid(image=rotate(grid.image, angle), angle=grid.angle + angle, tables=[],
                    line_width=grid.line_width)


def _glyphs(found: list[OcrLine], scale: float) -> list[Glyph]:
    return [g for g in (_glyph(line, scale) for line in found) if g.text]


def read_scan_page_full_page_ocr(image: PageImage, number: int, *, tesseract: TesseractSettings | None = None,
                                 grid_settings: GridSettings = GridSettings()) -> Page:
    """The baseline the benchmark compares with: plain full-page Tesseract,
    its words placed into the detected cells by position."""
    from extract.scan.tesseract import tesseract_full_page

    grid = find_grid(image.pixels, grid_settings)
    scale = image.points_per_pixel
    height, width = grid.image.shape[:2]
    page = Page(number=number, width=width * scale, height=height * scale, kind="scan",
                method="ocr:tesseract-full-page")
    remaining = [_glyph(word, scale) for word in tesseract_full_page(grid.image, tesseract)]
    for cells in grid.tables:
        centred = centred_boxes(cells, grid.line_width)
        table, remaining = build_table([_bbox(box, scale) for box in centred], remaining)
        page.tables.append(table)
    page.lines = text_lines(remaining)
    return page


def _bbox(box: tuple[int, int, int, int], scale: float) -> BBox:
    x0, y0, x1, y1 = box
    return BBox(x0 * scale, y0 * scale, x1 * scale, y1 * scale)


def _glyph(line: OcrLine, scale: float) -> Glyph:
    box = _bbox(line.box, scale)
    return Glyph(text=clean_ocr_line(line.text), bbox=box, size=max(box.height, 1.0), confidence=line.confidence)


# Specks a scan adds and OCR reads as bullets or dots; the forms print none
# at the start of a line, and no bullets at all.
_BULLETS = re.compile("[•●▪■◆]")
_LINE_START_SPECKS = "·・.,。、'`"


def clean_ocr_line(text: str) -> str:
    """An OCR line without the specks of the scan; empty when nothing but
    specks and punctuation is left."""
    cleaned = _BULLETS.sub("", text).lstrip(_LINE_START_SPECKS + " ").rstrip("·・ ")
    cleaned = _PER_MILLE_READ_AS_PERCENT_O.sub("‰", cleaned)
    # A line of signs alone is kept: `(%)` is the unit of a wrapped target.
    return cleaned if re.search(r"[\w%‰≥≤<>=]", cleaned) else ""


# RapidOCR reads a ‰ unit as "%o" or "%0" (the scanned corpus): no form prints those.
_PER_MILLE_READ_AS_PERCENT_O = re.compile(r"%[oO0](?=[)）]|$)")


def text_band_boxes(grid: PageGrid, dpi: float, settings: ScanSettings = ScanSettings()
                    ) -> list[tuple[int, int, int, int]]:
    """Boxes of the text lines outside every table (titles, the year)."""
    ink = grid.image < settings.ink_level
    margin = max(settings.min_band_margin, int(dpi / 72 * settings.band_margin_pt))
    for cells in grid.tables:
        x0 = min(b[0] for b in cells) - margin
        y0 = min(b[1] for b in cells) - margin
        x1 = max(b[2] for b in cells) + margin
        y1 = max(b[3] for b in cells) + margin
        ink[max(0, y0):y1, max(0, x0):x1] = False
    min_band = int(settings.min_band_pt * dpi / 72)
    # Rows with a few dark pixels are noise; text rows have many.
    row_has_text = ink.sum(axis=1) >= max(settings.min_row_ink, ink.shape[1] // settings.row_ink_every)
    boxes: list[tuple[int, int, int, int]] = []
    for top, bottom in _runs(row_has_text, gap=max(1, min_band // 3)):
        if bottom - top < min_band:
            continue
        columns = np.flatnonzero(ink[top:bottom].sum(axis=0) >= settings.min_column_ink)
        if columns.size == 0:
            continue
        pad = margin
        boxes.append((max(0, int(columns[0]) - pad), max(0, top - pad),
                      min(ink.shape[1], int(columns[-1]) + pad + 1), min(ink.shape[0], bottom + pad)))
    return boxes


def _runs(flags: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """[start, end) runs of True, bridging gaps of up to `gap` False rows."""
    runs: list[tuple[int, int]] = []
    for index in np.flatnonzero(flags):
        index = int(index)
        if runs and index - runs[-1][1] <= gap:
            runs[-1] = (runs[-1][0], index + 1)
        else:
            runs.append((index, index + 1))
    return runs
