"""The OCR engines on a real rendered form: page 1 rasterised at 200 dpi,
its cells' true boxes and texts from the PDF's text layer.  Real engines,
no mocks; the Tesseract call counter only wraps the real runner."""

from __future__ import annotations

import dataclasses
import os
import pickle
import time
import unicodedata

import numpy as np
import pytest

from corpus.build import load_gold
from corpus.render import render_forms
from extract.scan import tesseract as tess
from extract.scan.engines import ENGINES, get_engine
from extract.scan.strips import StripSettings, cell_line_strips
from extract.scan.tesseract import TesseractEngine, TesseractSettings, parse_tsv, tesseract_full_page
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
    engine = get_engine("rapidocr")
    engine.read_cells(image, [pixel_box(cells[0])])         # load the model outside the timing
    start = time.perf_counter()
    read = engine.read_cells(image, [pixel_box(c) for c in cells])
    print(f"\nrapidocr: {time.perf_counter() - start:.2f} s for {len(cells)} cells")
    return read


@pytest.fixture(scope="module")
def tesseract_read(page):
    """The page read by Tesseract, and the (argv, env overlay, timeout) of
    each program call (a spy: the real runner still runs the program)."""
    image, cells = page
    engine = get_engine("tesseract")
    calls = []
    real = tess.run_program

    def counting(argv, **kwargs):
        calls.append((list(argv), kwargs.get("env"), kwargs.get("timeout"), os.environ.get("OMP_THREAD_LIMIT")))
        return real(argv, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tess, "run_program", counting)
        start = time.perf_counter()
        read = engine.read_cells(image, [pixel_box(c) for c in cells])
        print(f"\ntesseract: {time.perf_counter() - start:.2f} s for {len(cells)} cells")
    return read, calls


def test_engines_are_named_and_cached():
    assert ENGINES == ("tesseract", "rapidocr")
    for name in ENGINES:
        assert get_engine(name) is get_engine(name)
        assert get_engine(name).name == name
        assert get_engine(name, strips=StripSettings()) is get_engine(name)
    with pytest.raises(ValueError, match="tesseract, rapidocr"):
        get_engine("abbyy")


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
    assert len(calls) == 1                 # one process for the page …
    argv, env, timeout, ours = calls[0]
    assert env == {"OMP_THREAD_LIMIT": "1"} and timeout == 120.0   # … on one OpenMP thread, with a timeout
    assert ours == os.environ.get("OMP_THREAD_LIMIT")               # os.environ is left alone
    assert argv[0] == "tesseract" and argv[2:5] == ["stdout", "-l", "chi_sim"] and "--psm" in argv
    assert len(read) == len(cells)
    assert char_accuracy(cells, read) >= TESSERACT_MIN_ACCURACY


@pytest.mark.parametrize("engine", ENGINES)
def test_empty_cells_give_no_lines(page, rapidocr_read, tesseract_read, engine):
    _, cells = page
    read = rapidocr_read if engine == "rapidocr" else tesseract_read[0]
    empty = [lines for cell, lines in zip(cells, read) if not cell.text.strip()]
    assert empty and all(lines == [] for lines in empty)


@pytest.mark.parametrize("engine", ENGINES)
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
    read = get_engine("rapidocr").read_cells(image, [pixel_box(c, grow=3) for c in cells])
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
    read = get_engine("rapidocr").read_cells(tight, [pixel_box(cell)] + [pixel_box(c) for c in context])
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
    read = get_engine("rapidocr").read_cells(dusty, [pixel_box(c) for c in targets + context])
    assert [[line.text for line in lines] for lines in read[:len(targets)]] == [
        [c.text] if c.text else [] for c in targets]


def test_a_missing_tesseract_is_reported_with_its_install_command():
    with pytest.raises(MissingDependency, match="apt-get install tesseract-ocr"):
        TesseractEngine(TesseractSettings(command="/nonexistent/tesseract"))


def test_tesseract_full_page_gives_words_with_boxes(page):
    image, _ = page
    words = tesseract_full_page(image)
    assert len(words) > 50
    height, width = image.shape
    assert all(0 <= w.box[0] < w.box[2] <= width and 0 <= w.box[1] < w.box[3] <= height for w in words)
    assert all(w.text and 0 <= w.confidence <= 1 for w in words)
    assert "项目名称" in "".join(w.text for w in words)


def test_tesseract_tsv_is_read_as_pytesseract_read_it():
    """Layout rows (conf -1) and empty words dropped; confidence cut to a
    whole percent, as pytesseract's DICT output had it; a last row without
    its text cell tolerated."""
    head = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = ["1\t1\t0\t0\t0\t0\t0\t0\t800\t200\t-1\t",
            "5\t1\t1\t1\t1\t1\t502\t145\t38\t41\t96.382195\t项目",
            "5\t1\t1\t1\t1\t2\t549\t152\t41\t26\t9.9\t 99.97 ",
            "5\t1\t1\t1\t1\t3\t597\t154\t17\t24\t95.0\t ",
            "5\t1\t1\t1\t1\t4\t620\t154\t17\t24\t95.0"]
    words = parse_tsv("\n".join([head, *rows]) + "\n")
    assert [(w.text, w.confidence, w.box) for w in words] == [
        ("项目", 0.96, (502, 145, 540, 186)), ("99.97", 0.09, (549, 152, 590, 178))]
    assert parse_tsv("") == [] and parse_tsv(head) == []
    with pytest.raises(ValueError, match="no TSV"):
        parse_tsv("Error in pixReadStream\nsomething else")


def test_strip_settings_reach_the_engine(page):
    """Settings make their own engine; with every blot of ink taken for a speck, every cell is empty."""
    image, cells = page
    blind = StripSettings(noise_area=10_000)
    engine = get_engine("rapidocr", strips=blind)
    assert engine is not get_engine("rapidocr") and engine.strips == blind
    assert engine.read_cells(image, [pixel_box(c) for c in cells[:30]]) == [[] for _ in cells[:30]]


def test_cutting_strips_logs_its_decisions(page, caplog):
    import logging

    image, cells = page
    with caplog.at_level(logging.DEBUG, logger="selfeval.ocr"):
        strips = cell_line_strips(image, [pixel_box(c) for c in cells])
    messages = [r.getMessage() for r in caplog.records if r.name == "selfeval.ocr"]
    assert any(m.startswith("line height ") and "ink runs" in m for m in messages)
    summary = next(m for m in messages if "line strips" in m)
    assert f"{len(cells)} cells: {sum(len(s) for s in strips)} line strips" in summary and "empty cells [" in summary


@pytest.mark.parametrize("cls", [StripSettings, TesseractSettings])
def test_settings_are_frozen_picklable_and_default_to_todays_values(cls):
    settings = cls()
    assert pickle.loads(pickle.dumps(settings)) == settings and hash(settings) == hash(cls())
    assert cls.from_mapping({}) == settings
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.timeout = 1
    assert StripSettings().cell_inset == 4 and StripSettings().default_line_height == 25
    assert TesseractSettings().stack_scale == 1.5 and TesseractSettings().timeout == 120


def test_a_settings_section_is_applied_and_checked():
    assert StripSettings.from_mapping({"cell_inset": 5, "dust_size": 1}) == StripSettings(cell_inset=5, dust_size=1.0)
    base = TesseractSettings(timeout=30)
    assert TesseractSettings.from_mapping({"threads": 2}, base=base) == TesseractSettings(timeout=30, threads=2)
    with pytest.raises(ValueError, match=r"unknown StripSettings settings: cell_insert, dust \(known: cell_inset, "):
        StripSettings.from_mapping({"cell_insert": 5, "dust": 1})
    with pytest.raises(ValueError, match="StripSettings.cell_inset must be a whole number, not 4.5"):
        StripSettings.from_mapping({"cell_inset": 4.5})
    with pytest.raises(ValueError, match="TesseractSettings.timeout must be a number, not '2'"):
        TesseractSettings.from_mapping({"timeout": "2"})


@pytest.mark.parametrize("cls, values, message", [
    (StripSettings, {"cell_inset": -1}, r"StripSettings.cell_inset must be a whole number in \[0, 50\], not -1"),
    (StripSettings, {"ink_floor": 200}, "ink_floor .200. must not be above ink_ceiling .192."),
    (StripSettings, {"cut_depth": 1.5}, r"StripSettings.cut_depth must be a number in \[0, 1\]"),
    (StripSettings, {"default_line_height": 0}, r"default_line_height must be a number in \(0, 1000\]"),
    (TesseractSettings, {"timeout": 0}, r"TesseractSettings.timeout must be a number in \(0, 86400\], not 0"),
    (TesseractSettings, {"threads": 0}, "TesseractSettings.threads must be a whole number"),
    (TesseractSettings, {"command": " "}, "TesseractSettings.command must name a program"),
    (TesseractSettings, {"lang": "chi sim"}, "TesseractSettings.lang must be Tesseract language names"),
    (TesseractSettings, {"stack_config": "--psm 6 -l eng"}, "no -l"),
    (TesseractSettings, {"page_config": "--psm '3"}, "cannot be split into options"),
])
def test_bad_settings_are_refused_by_name(cls, values, message):
    with pytest.raises(ValueError, match=message):
        cls(**values)


def test_the_tesseract_environment_variables_are_the_defaults_without_settings():
    env = {"SELFEVAL_TESSERACT": "/opt/tesseract/bin/tesseract", "SELFEVAL_TESSERACT_TIMEOUT": "45"}
    assert TesseractSettings.from_environment(env) == TesseractSettings(command="/opt/tesseract/bin/tesseract",
                                                                        timeout=45.0)
    assert TesseractSettings.from_environment({}) == TesseractSettings()
    assert TesseractSettings(threads=3).environment == {"OMP_THREAD_LIMIT": "3"}
