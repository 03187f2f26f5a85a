"""The text layer of a PDF page, read with pdfplumber into the document model."""

from __future__ import annotations

import atexit
import os
import unicodedata
from collections import OrderedDict
from typing import Any

from extract.errors import BadInputFile
from extract.model import BBox, Page
from extract.sources.cells import Glyph, build_table, text_lines

# Ruled tables only: the forms are drawn with lines, and text-aligned
# guessing would split merged cells.
TABLE_SETTINGS = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 2,
    "join_tolerance": 2,
    "intersection_tolerance": 2,
}
# Fewer characters than this on a page with an image means no usable text
# layer (a scan with a stamp's or a header's few characters over it).
MIN_TEXT_CHARS = 20


def open_pdf(path: str) -> Any:
    """Open a PDF with pdfplumber, turning its failures into BadInputFile."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        pdf = pdfplumber.open(path)
        pages = pdf.pages  # parses the page tree: a broken file fails here
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFPasswordIncorrect) or "password" in str(cause).lower():
            raise BadInputFile(path, "the PDF is encrypted; save an unencrypted copy and ingest that") from exc
        raise BadInputFile(path, f"not a readable PDF ({_describe(cause)}); check the file is complete") from exc
    except Exception as exc:  # pdfminer raises many kinds for a damaged file
        raise BadInputFile(path, f"not a readable PDF ({_describe(exc)}); check the file is complete") from exc
    if not pages:
        pdf.close()
        raise BadInputFile(path, "the PDF has no pages")
    return pdf


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 120 else text[:117] + "..."


# A worker reads many pages of one file in turn: each PDF is opened once.
# The key holds the file's size and mtime so that a rewritten file is
# reopened; a PDF pushed out of the cache, or left at exit, is closed.
_OPEN_PDFS: OrderedDict[tuple[str, int, int], Any] = OrderedDict()
_OPEN_PDFS_MAX = 4


def _cached_pdf(path: str) -> Any:
    stat = os.stat(path)
    key = (path, stat.st_size, stat.st_mtime_ns)
    if key in _OPEN_PDFS:
        _OPEN_PDFS.move_to_end(key)
        return _OPEN_PDFS[key]
    pdf = _OPEN_PDFS[key] = open_pdf(path)
    while len(_OPEN_PDFS) > _OPEN_PDFS_MAX:
        _OPEN_PDFS.popitem(last=False)[1].close()
    return pdf


@atexit.register
def close_cached_pdfs() -> None:
    while _OPEN_PDFS:
        _OPEN_PDFS.popitem()[1].close()


def _plumber_page(path: str, number: int, fast_chars: bool = True) -> Any:
    """Page `number` of a cached PDF, its characters made into pdfplumber's
    objects by `_fast_char_objects` unless told otherwise."""
    page = _cached_pdf(path).pages[number - 1]
    if fast_chars and "process_object" not in vars(page):
        page.process_object = _fast_char_objects(page)
    return page


def _fast_char_objects(page: Any) -> Any:
    """pdfplumber's `process_object` with a short way for characters.

    pdfplumber resolves every attribute of every object (colours, font
    objects, matrices): two thirds of the time of reading a text page went
    to its characters' attributes, of which the reader uses the text, the
    box and the size.  A character gets those (with pdfplumber's own
    coordinates: top-left origin, the MediaBox offset added); lines,
    rectangles and curves, the few objects the ruled tables are found from,
    go through pdfplumber's way unchanged."""
    from pdfminer.layout import LTChar

    general = page.process_object
    height, number, doctop = page.height, page.page_number, page.initial_doctop
    mb_x0, mb_top = page.mediabox[:2]
    norm = page.pdf.unicode_norm

    def process_object(obj: Any) -> dict:
        if type(obj) is not LTChar:
            return general(obj)
        text = obj.get_text()
        top = height - obj.y1 + mb_top
        return {"object_type": "char", "page_number": number,
                "text": unicodedata.normalize(norm, text) if norm is not None else text,
                "x0": obj.x0 + mb_x0, "x1": obj.x1 + mb_x0, "y0": obj.y0, "y1": obj.y1,
                "top": top, "bottom": height - obj.y0 + mb_top, "doctop": doctop + top,
                "width": obj.width, "height": obj.height, "size": obj.size, "upright": obj.upright,
                "fontname": obj.fontname}

    return process_object


def page_count(path: str) -> int:
    pdf = open_pdf(path)
    try:
        return len(pdf.pages)
    finally:
        pdf.close()


def has_text_layer(path: str, number: int) -> bool:
    """Whether the page is read from its text layer: it has MIN_TEXT_CHARS
    characters, or some and no image (a text PDF's last page holding only
    总分 and 评分等级; OCR would read the same text slower, and less surely)."""
    page = _plumber_page(path, number)
    chars = sum(1 for c in page.chars if not c["text"].isspace())
    return chars >= MIN_TEXT_CHARS or (chars > 0 and not page.images)


def read_text_page(path: str, number: int) -> Page:
    """Read page `number` (1-based): its ruled tables with each cell's text,
    and the lines of text outside them."""
    plumber_page = _plumber_page(path, number)
    glyphs = [
        Glyph(text=c["text"], bbox=BBox(c["x0"], c["top"], c["x1"], c["bottom"]), size=c.get("size", 9.0))
        for c in plumber_page.chars
    ]
    page = Page(number=number, width=float(plumber_page.width), height=float(plumber_page.height), kind="text")
    remaining = glyphs
    for found in sorted(plumber_page.find_tables(TABLE_SETTINGS), key=lambda t: t.bbox[1]):
        boxes = [BBox(*cell) for cell in found.cells]
        if not boxes:
            continue
        table, remaining = build_table(boxes, remaining)
        page.tables.append(table)
    page.lines = text_lines([g for g in remaining if not g.text.isspace()])
    plumber_page.flush_cache()
    return page
