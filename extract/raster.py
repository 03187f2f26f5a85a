"""Page images: PDF pages rasterised with pypdfium2, and TIFF/PNG/JPEG frames.

One page at a time: a job loads only the page it works on, so a 500-page
TIFF never sits in memory whole.  Images are greyscale uint8 arrays; with
them comes the resolution that turns pixels into points (× 72 / dpi).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from extract.errors import BadInputFile

IMAGE_SUFFIXES = frozenset({".tif", ".tiff", ".png", ".jpg", ".jpeg"})
# Scans that do not record their resolution are taken to be at this one.
ASSUMED_SCAN_DPI = 200.0
_TIFF_HEADERS = (b"II*\x00", b"MM\x00*")


@dataclass
class PageImage:
    pixels: np.ndarray      # greyscale, uint8, rows × columns
    dpi: float

    @property
    def points_per_pixel(self) -> float:
        return 72.0 / self.dpi


def rasterise_pdf_page(path: str, number: int, dpi: float) -> PageImage:
    """Render page `number` (1-based) of a PDF in grey at `dpi`."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    try:
        page = document[number - 1]
        try:
            bitmap = page.render(scale=dpi / 72.0, grayscale=True)
            pixels = np.asarray(bitmap.to_pil().convert("L"))
        finally:
            page.close()
    finally:
        document.close()
    return PageImage(pixels=pixels, dpi=dpi)


def _open_image(path: str):
    from PIL import Image, UnidentifiedImageError

    try:
        return Image.open(path)
    except UnidentifiedImageError as exc:
        with open(path, "rb") as handle:
            head = handle.read(8)
        if head[:4] in _TIFF_HEADERS and head[4:8] in (b"\x00\x00\x00\x00",):
            raise BadInputFile(path, "the TIFF has no pages (its first page directory is missing)") from exc
        raise BadInputFile(path, "not a readable image (damaged or of an unknown format)") from exc
    except OSError as exc:
        raise BadInputFile(path, f"not a readable image ({exc})") from exc


def image_page_count(path: str) -> int:
    """Frames of a TIFF (1 for PNG/JPEG); a corrupt or empty image is an error."""
    if Path(path).stat().st_size == 0:
        raise BadInputFile(path, "the file is empty (0 bytes)")
    with _open_image(path) as image:
        try:
            count = getattr(image, "n_frames", 1)
        except (OSError, EOFError, ValueError) as exc:
            raise BadInputFile(path, f"not a readable image ({exc})") from exc
    if count < 1:
        raise BadInputFile(path, "the image file has no pages")
    return count


def load_image_page(path: str, number: int) -> PageImage:
    """Frame `number` (1-based) of an image file, in grey, with its dpi."""
    with _open_image(path) as image:
        try:
            image.seek(number - 1)
            dpi = image.info.get("dpi", (ASSUMED_SCAN_DPI,))[0] or ASSUMED_SCAN_DPI
            pixels = np.asarray(image.convert("L"))
        except (OSError, EOFError, ValueError, SyntaxError) as exc:
            raise BadInputFile(path, f"page {number} is not a readable image ({exc})") from exc
    return PageImage(pixels=pixels, dpi=float(dpi))
