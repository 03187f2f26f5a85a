"""The OCR engines on a real rendered form: page 1 rasterised at 200 dpi,
its cells' true boxes and texts from the PDF's text layer.  Real engines,
no mocks; the Tesseract call counter only wraps the real function."""

from __future__ import annotations

import time
import unicodedata

import numpy as np
import pytest

from corpus.build import load_gold
from corpus.render import render_forms
from extract.scan import ocr
from extract.checks.compare import edit_distance
from extract.errors import MissingDependency
from extract.sources.pdf import read_text_page

DPI = 200
SCALE = DPI / 72

# Measured on this page (gold form 1): rapidocr 0.998, tesseract 0.967 (Debian's
# chi_sim reads ：；（）≥ as ASCII look-alikes, which counts as an error here).
RAPIDOCR_MIN_ACCURACY = 0.99
TESSERACT_MIN_ACCURACY = 0.95


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """(greyscale page image, true cells) of page 1 of two rendered gold forms."""
    import pypdfium2 as pdfium

    path = tmp_path_factory.mktemp("ocr") / "two_forms.pdf"
    render_forms(load_gold()[:2], path)
    pdf = pdfium.PdfDocument(str(path))
    image = np.array(pdf[0].render(scale=SCALE, grayscale=True).to_pil())
    pdf.close()
    cells = [cell for table in read_text_page(str(path), 1).tables for cell in table.cells]
    return image, cells


def pixel_box(cell, grow: int = 0) -> tuple[int, int, int, int]:
    b = cell.bbox
    x0, y0, x1, y1 = (int(round(v * SCALE)) for v in (b.x0, b.top, b.x1, b.bottom))
    return x0 - grow, y0 - grow, x1 + grow, y1 + grow


def squeeze(text: str) -> str:
    return "".join(text.split())


def char_accuracy(cells, read) -> float:
    errors = sum(edit_distance(squeeze(c.text), squeeze("".join(l.text for l in lines))) for c, lines in zip(cells, read))
    return 1 - errors / sum(len(squeeze(c.text)) for c in cells)


def cell_text(cells, read, truth: str) -> list[str]:
    return next([line.text for line in lines] for cell, lines in zip(cells, read) if cell.text == truth)


@pytest.fixture(scope="module")
def rapidocr_read(page):
    image, cells = page
    engine = ocr.get_engine("rapidocr")
    engine.read_cells(image, [pixel_box(cells[0])])         # load the model outside the timing
    start = time.perf_counter()
    read = engine.read_cells(image, [pixel_box(c) for c in cells])
    print(f"\nrapidocr: {time.perf_counter() - start:.2f} s for {len(cells)} cells")
    return read


@pytest.fixture(scope="module")
def tesseract_read(page):
    """The page read by Tesseract, and the OMP_THREAD_LIMIT each pytesseract
    call ran with (a spy: the real function still runs)."""
    import os

    import pytesseract

    image, cells = page
    engine = ocr.get_engine("tesseract")
    calls = []
    real = pytesseract.image_to_data

    def counting(*args, **kwargs):
        calls.append(os.environ.get("OMP_THREAD_LIMIT"))
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pytesseract, "image_to_data", counting)
        start = time.perf_counter()
        read = engine.read_cells(image, [pixel_box(c) for c in cells])
        print(f"\ntesseract: {time.perf_counter() - start:.2f} s for {len(cells)} cells")
    return read, calls


def test_engines_are_named_and_cached():
    assert ocr.ENGINES == ("tesseract", "rapidocr")
    for name in ocr.ENGINES:
        assert ocr.get_engine(name) is ocr.get_engine(name)
        assert ocr.get_engine(name).name == name
    with pytest.raises(ValueError, match="tesseract, rapidocr"):
        ocr.get_engine("abbyy")


def test_rapidocr_reads_the_cells_accurately(page, rapidocr_read):
    _, cells = page
    assert len(rapidocr_read) == len(cells)
    assert char_accuracy(cells, rapidocr_read) >= RAPIDOCR_MIN_ACCURACY


def test_rapidocr_reads_numbers_exactly(page, rapidocr_read):
    _, cells = page
    for number in ("99.97", "10.00", "9.99", "=350.00(本)", "350.00(本)"):
        assert cell_text(cells, rapidocr_read, number) == [number]


def test_tesseract_reads_the_page_in_one_call(page, tesseract_read):
    _, cells = page
    read, calls = tesseract_read
    assert calls == ["1"]                  # one process, on one OpenMP thread
    assert len(read) == len(cells)
    assert char_accuracy(cells, read) >= TESSERACT_MIN_ACCURACY


@pytest.mark.parametrize("engine", ocr.ENGINES)
def test_empty_cells_give_no_lines(page, rapidocr_read, tesseract_read, engine):
    _, cells = page
    read = rapidocr_read if engine == "rapidocr" else tesseract_read[0]
    empty = [lines for cell, lines in zip(cells, read) if not cell.text.strip()]
    assert empty and all(lines == [] for lines in empty)


@pytest.mark.parametrize("engine", ocr.ENGINES)
def test_a_wrapped_cell_gives_its_lines_in_order(page, rapidocr_read, tesseract_read, engine):
    _, cells = page
    read = rapidocr_read if engine == "rapidocr" else tesseract_read[0]
    cell, lines = max(zip(cells, read), key=lambda pair: pair[0].text.count("\n"))
    truth = cell.text.split("\n")
    assert len(truth) >= 4 and len(lines) == len(truth)
    for expected, line in zip(truth, lines):
        got = unicodedata.normalize("NFKC", line.text)
        assert edit_distance(unicodedata.normalize("NFKC", expected), got) <= 1
        assert 0 < line.confidence <= 1
    tops = [line.box[1] for line in lines]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)
    x0, y0, x1, y1 = pixel_box(cell)
    assert all(x0 <= l.box[0] < l.box[2] <= x1 and y0 <= l.box[1] < l.box[3] <= y1 for l in lines)


def test_ruling_lines_inside_loose_boxes_are_not_read(page, rapidocr_read):
    """Boxes 3 px too large on every side put the ruling lines inside the
    crop, as a line detector's boxes on a scan may: no extra lines appear."""
    image, cells = page
    read = ocr.get_engine("rapidocr").read_cells(image, [pixel_box(c, grow=3) for c in cells])
    assert [len(lines) for lines in read] == [len(lines) for lines in rapidocr_read]
    assert char_accuracy(cells, read) >= RAPIDOCR_MIN_ACCURACY


def test_touching_lines_are_split(page):
    """A wrapped cell with the white rows between its lines cut out, so that
    the lines touch: the profile must still find each one.  Other cells of
    the page tell the engine how tall a line is."""
    image, cells = page
    cell = next(c for c in cells if c.text.count("\n") >= 3 and len(c.text) > 30)
    x0, y0, x1, y1 = pixel_box(cell)
    inside = image[y0 + 4:y1 - 4, x0 + 4:x1 - 4]
    squeezed = inside[inside.min(axis=1) < 128]
    tight = image.copy()
    tight[y0 + 4:y1 - 4, x0 + 4:x1 - 4] = 255
    tight[y0 + 10:y0 + 10 + len(squeezed), x0 + 4:x1 - 4] = squeezed
    context = [c for c in cells if c.text.strip()][:20]
    read = ocr.get_engine("rapidocr").read_cells(tight, [pixel_box(cell)] + [pixel_box(c) for c in context])
    truth = cell.text.split("\n")
    assert len(read[0]) == len(truth)
    assert char_accuracy([cell], read[:1]) >= 0.9


def test_dust_is_not_read(page):
    """Specks of dust, as a scanner's glass leaves them, in empty cells and
    beside a number: no lines appear and the number stays exact."""
    import cv2

    image, cells = page
    dusty = image.copy()
    targets = [c for c in cells if not c.text.strip()] + [c for c in cells if c.text == "99.97"]
    for cell in targets:
        x0, y0, x1, y1 = pixel_box(cell)
        cv2.circle(dusty, (x1 - 14, (y0 + y1) // 2), 2, 40, -1)
    context = [c for c in cells if c.text.strip()][:20]
    read = ocr.get_engine("rapidocr").read_cells(dusty, [pixel_box(c) for c in targets + context])
    assert [[line.text for line in lines] for lines in read[:len(targets)]] == [
        [c.text] if c.text else [] for c in targets]


def test_a_missing_tesseract_is_reported_with_its_install_command(monkeypatch):
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    with pytest.raises(MissingDependency, match="apt-get install tesseract-ocr"):
        ocr.TesseractEngine()


def test_tesseract_full_page_gives_words_with_boxes(page):
    image, _ = page
    words = ocr.tesseract_full_page(image)
    assert len(words) > 50
    height, width = image.shape
    assert all(0 <= w.box[0] < w.box[2] <= width and 0 <= w.box[1] < w.box[3] <= height for w in words)
    assert all(w.text and 0 <= w.confidence <= 1 for w in words)
    assert "项目名称" in "".join(w.text for w in words)
