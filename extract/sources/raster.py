"""Page images: PDF pages rasterised with pypdfium2, and TIFF/PNG/JPEG frames.

One page at a time: a job loads only the page it works on, so a 500-page
TIFF never sits in memory whole.  Images are greyscale uint8 arrays; with
them comes the resolution that turns pixels into points (× 72 / dpi).

A page is measured before it is decoded or rendered: one over the pixel
budget fails alone (`PageTooLarge`) instead of taking the machine's memory.
Every error Pillow raises for a damaged file (it raises TypeError,
SyntaxError, struct.error … as well as OSError) becomes a BadInputFile that
names the page, and its warnings go to the debug log, not the terminal.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from extract.errors import BadInputFile, PageTooLarge

log = logging.getLogger("selfeval.raster")

# Scans that do not record their resolution are taken to be at this one.
ASSUMED_SCAN_DPI = 200.0
# The most pixels one page may have: an A3 sheet at 600 dpi is 70 MP, and a
# greyscale page costs about ten times its pixel count in bytes through the
# grid and OCR stages.  Pillow's own limit (a decompression bomb) is above it.
DEFAULT_MAX_PAGE_PIXELS = 80_000_000
_TIFF_HEADERS = (b"II*\x00", b"MM\x00*")


@dataclass
class PageImage:
    pixels: np.ndarray      # greyscale, uint8, rows × columns
    dpi: float

    @property
    def points_per_pixel(self) -> float:
        return 72.0 / self.dpi


def check_page_size(path: str, width: int, height: int, max_pixels: int,
                    dpi: float | None = None) -> None:
    """Refuse a page over the pixel budget, naming its size and the limit
    (the message is the page's: the caller says which page it is)."""
    if width * height <= max_pixels:
        return
    at = f" at {dpi:g} dpi" if dpi else ""
    raise PageTooLarge(path, f"{width}×{height} px{at} ({width * height / 1e6:.0f} MP), over "
                             f"the limit of {max_pixels / 1e6:.0f} MP a page; read it at a lower resolution "
                             f"or raise the limit (--max-page-megapixels)")


def rasterise_pdf_page(path: str, number: int, dpi: float,
                       max_pixels: int = DEFAULT_MAX_PAGE_PIXELS) -> PageImage:
    """Render page `number` (1-based) of a PDF in grey at `dpi`."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    try:
        page = document[number - 1]
        try:
            width_pt, height_pt = page.get_size()
            scale = dpi / 72.0
            check_page_size(path, round(width_pt * scale), round(height_pt * scale), max_pixels, dpi)
            bitmap = page.render(scale=scale, grayscale=True)
            pixels = np.asarray(bitmap.to_pil().convert("L"))
        finally:
            page.close()
    finally:
        document.close()
    return PageImage(pixels=pixels, dpi=dpi)


@contextlib.contextmanager
def _pillow(path: str) -> Iterator[None]:
    """Pillow's warnings, and what libtiff writes straight to the process's
    stderr about a damaged file, to the debug log; Pillow's bomb check left
    to our budget, which looks at the size before anything is decoded."""
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    caught: list[warnings.WarningMessage] = []
    try:
        with _stderr_captured(path), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = limit
        for warning in caught:
            log.debug("%s: Pillow: %s", path, warning.message)


@contextlib.contextmanager
def _stderr_captured(path: str) -> Iterator[None]:
    """File descriptor 2 into a temporary file for the block (C libraries
    write there, past Python's sys.stderr)."""
    import tempfile

    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read().decode(errors="replace").strip()
            if text:
                log.debug("%s: the image library said: %s", path, text)


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
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds for a damaged header
        raise BadInputFile(path, f"not a readable image ({_describe(exc)})") from exc


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def pdf_page_count(path: str) -> int:
    """A PDF's pages as pdfium counts them, without parsing any page: cheap
    enough for the process that only schedules work (an unreadable file
    raises whatever pdfium raises; the reader then says why)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    try:
        return len(document)
    finally:
        document.close()


def image_page_count(path: str) -> int:
    """Frames of a TIFF (1 for PNG/JPEG); a corrupt or empty image is an error.

    Frames are counted by stepping through their directories.  A directory
    that cannot be read (a file cut off between frames) still counts: that
    page then fails alone, and the frames before it are kept."""
    if Path(path).stat().st_size == 0:
        raise BadInputFile(path, "the file is empty (0 bytes)")
    with _pillow(path), _open_image(path) as image:
        count = 1
        while True:
            try:
                image.seek(count)
            except EOFError:
                break
            except Exception as exc:  # noqa: BLE001 - a damaged frame directory
                log.debug("%s: frame %d cannot be reached (%s)", path, count + 1, _describe(exc))
                count += 1
                break
            count += 1
    return count


def load_image_page(path: str, number: int, max_pixels: int = DEFAULT_MAX_PAGE_PIXELS) -> PageImage:
    """Frame `number` (1-based) of an image file, in grey, with its dpi."""
    with _pillow(path), _open_image(path) as image:
        try:
            image.seek(number - 1)
            width, height = image.size
        except Exception as exc:  # noqa: BLE001
            raise BadInputFile(path, f"not a readable image ({_describe(exc)})") from exc
        check_page_size(path, width, height, max_pixels)
        try:
            dpi = image.info.get("dpi", (ASSUMED_SCAN_DPI,))[0] or ASSUMED_SCAN_DPI
            pixels = np.asarray(image.convert("L"))
        except Exception as exc:  # noqa: BLE001
            raise BadInputFile(path, f"not a readable image ({_describe(exc)})") from exc
    return PageImage(pixels=pixels, dpi=float(dpi))
