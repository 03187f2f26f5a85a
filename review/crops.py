"""Images for reviewers: the band of the page around an uncertain cell, with
the cell outlined in red.

The band runs the page's whole width, so the row's 三级指标 and the column
headers nearby are in view; the outline is drawn into the image, so any
Label Studio (ours or a team's) shows it without predictions of regions.
Bounding boxes are in points with the origin at the top-left (extract.model).

A cell a page break cut (a row Word broke across two pages) has a piece on
each page: the request's `page`/`bbox` is the first piece and `continued`
the others; the image shows the first piece's band with each further
piece's band under it, each outlined, so the reviewer reads the whole cell.
A request without `continued` gives the one band, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from extract.sources.files import IMAGE_SUFFIXES
from extract.sources.raster import PageImage, load_image_page, rasterise_pdf_page

# PDF pages are drawn at this resolution for review: sharp enough to read
# a 9 pt character, small enough to load at once in a browser.
REVIEW_DPI = 110
OUTLINE = (220, 30, 30)
# Points of page shown above and below the cell.
CONTEXT_PT = 45.0
MAX_BAND_PT = 260.0


# Pixels of white between the bands of a cell's pieces.
PIECE_GAP_PX = 6

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class CropRequest:
    source_path: str
    page: int                           # 1-based
    bbox: Box | None                    # points: x0, top, x1, bottom
    continued: tuple[tuple[int, Box | None], ...] = ()   # further pieces of a cut cell: (page, bbox)

    @property
    def parts(self) -> list[tuple[int, Box | None]]:
        return [(self.page, self.bbox), *self.continued]


def write_crop(request: CropRequest, out: Path) -> Path:
    """Write the reviewer's image of one field to `out` (PNG)."""
    bands = [_band(request.source_path, page, bbox) for page, bbox in request.parts]
    rgb = bands[0]
    if len(bands) > 1:
        width = max(band.width for band in bands)
        height = sum(band.height for band in bands) + PIECE_GAP_PX * (len(bands) - 1)
        rgb = Image.new("RGB", (width, height), (255, 255, 255))
        y = 0
        for band in bands:
            rgb.paste(band, (0, y))
            y += band.height + PIECE_GAP_PX
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_suffix(".tmp.png")
    rgb.save(temporary, format="PNG", optimize=True)
    temporary.replace(out)
    return out


def _band(source_path: str, page: int, bbox: Box | None) -> Image.Image:
    """The page (bbox None), or the band of it around `bbox` with the cell outlined."""
    image = _page_image(source_path, page)
    scale = image.dpi / 72.0
    rgb = Image.fromarray(image.pixels).convert("RGB")
    if bbox is not None:
        x0, top, x1, bottom = (v * scale for v in bbox)
        context = CONTEXT_PT * scale
        band_top = max(0.0, top - context)
        band_bottom = min(float(rgb.height), bottom + context, band_top + MAX_BAND_PT * scale)
        band_bottom = max(band_bottom, min(float(rgb.height), bottom + 4))
        draw = ImageDraw.Draw(rgb)
        width = max(2, round(scale * 1.5))
        draw.rectangle((x0 - width, top - width, x1 + width, bottom + width), outline=OUTLINE, width=width)
        rgb = rgb.crop((0, int(band_top), rgb.width, int(np.ceil(band_bottom))))
    return rgb


@lru_cache(maxsize=4)
def _page_image(source_path: str, page: int) -> PageImage:
    # Fields of one form sit on the same few pages: draw each page once.
    if Path(source_path).suffix.lower() in IMAGE_SUFFIXES:
        return load_image_page(source_path, page)
    return rasterise_pdf_page(source_path, page, REVIEW_DPI)
