"""The scan grid finder against the cells of real rendered forms.

Ground truth is the text layer: pdfplumber's cells of each rendered page
(points, ruled-line centres), scaled to pixels.  The page is rasterised with
pypdfium2 and, for the scan cases, rotated, blurred, noised and JPEG-compressed
before `find_grid` sees it.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
import pdfplumber
import pypdfium2 as pdfium
import pytest
from PIL import Image

from corpus.build import load_gold
from corpus.render import render_forms
from extract.scan.grid import GridSettings, PageGrid, centred_boxes, find_grid
from extract.model import BBox
from extract.sources.pdf import TABLE_SETTINGS
from extract.sources.cells import build_table

# Gold forms 0-3: four pages; pages 2 and 3 hold two forms each (a title
# between the tables), and the indicator tables of the third and fourth
# forms break across pages 2-3 and 3-4.
FORMS = slice(0, 4)
MATCH_IOU = 0.8


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    path = tmp_path_factory.mktemp("grid") / "forms.pdf"
    result = render_forms(load_gold()[FORMS], path)
    assert result.form_pages[2:] == [[2, 3], [3, 4]]      # the page breaks the tests rely on
    return _Pages(str(path), result.pages)


class _Pages:
    """Rasters and true cells of the rendered pages, made once each."""

    def __init__(self, path: str, count: int):
        self.path, self.count = path, count
        self.raster = lru_cache(maxsize=None)(self._raster)
        self.truth = lru_cache(maxsize=None)(self._truth)

    def _raster(self, index: int, dpi: int) -> np.ndarray:
        document = pdfium.PdfDocument(self.path)
        try:
            bitmap = document[index].render(scale=dpi / 72, grayscale=True)
            return np.asarray(bitmap.to_pil().convert("L"))
        finally:
            document.close()

    def _truth(self, index: int, dpi: int) -> list[list[tuple[float, ...]]]:
        """The page's tables, top to bottom, each its cells in pixels at `dpi`."""
        with pdfplumber.open(self.path) as pdf:
            found = sorted(pdf.pages[index].find_tables(TABLE_SETTINGS), key=lambda t: t.bbox[1])
            return [[tuple(v * dpi / 72 for v in cell) for cell in table.cells] for table in found]


# --- helpers ------------------------------------------------------------------

def iou(a, b) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def matching(true_tables, found_tables) -> tuple[float, int]:
    """Share of true cells some found box matches (IoU ≥ 0.8), and the number
    of found boxes that overlap no true cell (IoU < 0.5)."""
    true = [box for table in true_tables for box in table]
    found = [box for table in found_tables for box in table]
    matched = sum(any(iou(t, f) >= MATCH_IOU for f in found) for t in true)
    extra = sum(all(iou(f, t) < 0.5 for t in true) for f in found)
    return matched / len(true), extra


def layout(boxes, dpi: float):
    """The table's grid as the rest of the product sees it: rows, columns and
    every cell's slot and span, from `build_table` on boxes in points."""
    scale = 72 / dpi
    table, _ = build_table([BBox(*(v * scale for v in box)) for box in boxes], [])
    return table.rows, table.cols, sorted((c.row, c.col, c.row_span, c.col_span) for c in table.cells)


def found_layouts(grid: PageGrid, dpi: float):
    return [layout(centred_boxes(cells, grid.line_width), dpi) for cells in grid.tables]


def rotated(image: np.ndarray, degrees: float) -> np.ndarray:
    """A scan fed in crooked: counter-clockwise by `degrees`, white outside."""
    return np.asarray(Image.fromarray(image).rotate(degrees, resample=Image.BICUBIC, fillcolor=255))


def degraded(image: np.ndarray, seed: int = 0) -> np.ndarray:
    """Blur, Gaussian noise and JPEG at quality 50, as a cheap scanner gives."""
    rng = np.random.default_rng(seed)
    image = cv2.GaussianBlur(image, (0, 0), 0.8)
    image = np.clip(image + rng.normal(0, 10, image.shape), 0, 255).astype(np.uint8)
    _, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 50])
    return cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)


def moved(tables, degrees: float, shape) -> list[list[tuple[float, ...]]]:
    """True boxes carried into a frame rotated by `degrees` about the page
    centre: only their centres move, by at most a few pixels here."""
    matrix = cv2.getRotationMatrix2D((shape[1] / 2, shape[0] / 2), degrees, 1.0)
    out = []
    for table in tables:
        boxes = np.array(table)
        centres = np.column_stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2, np.ones(len(boxes))])
        shift = centres @ matrix.T - centres[:, :2]
        out.append([tuple(box) for box in boxes + np.hstack([shift, shift])])
    return out


def assert_matches(true_tables, grid: PageGrid, dpi: float) -> None:
    assert len(grid.tables) == len(true_tables)
    share, extra = matching(true_tables, grid.tables)
    cells = sum(len(table) for table in true_tables)
    assert share >= 0.99, f"{share:.3f} of {cells} true cells matched"
    assert extra <= max(1, cells // 100), f"{extra} found boxes match no true cell"
    assert found_layouts(grid, dpi) == [layout(table, dpi) for table in true_tables]


# --- clean pages ----------------------------------------------------------------

def test_every_page_at_200_dpi_gives_the_text_layers_cells_and_tables(pages):
    for index in range(pages.count):
        grid = find_grid(pages.raster(index, 200))
        assert grid.angle == 0.0 and grid.image.shape == pages.raster(index, 200).shape
        assert_matches(pages.truth(index, 200), grid, 200)


@pytest.mark.parametrize("index, dpi", [(2, 150), (0, 300)])
def test_other_resolutions(pages, index, dpi):
    assert_matches(pages.truth(index, dpi), find_grid(pages.raster(index, dpi)), dpi)


def test_merged_cells_come_out_whole(pages):
    """Page 1's 一级/二级 cells span rows and the funding label spans five."""
    grid = find_grid(pages.raster(0, 200))
    spans = [(rows, cols) for *_, rows, cols in found_layouts(grid, 200)[0][2]]
    assert max(rows for rows, _ in spans) >= 5
    assert sum(rows > 1 for rows, _ in spans) >= 8
    assert any(cols > 1 for _, cols in spans)


def test_tables_are_top_to_bottom_and_cells_inside_the_lines(pages):
    grid = find_grid(pages.raster(1, 200))
    tops = [min(box[1] for box in cells) for cells in grid.tables]
    assert tops == sorted(tops) and len(tops) == 2
    for cells in grid.tables:
        assert cells == sorted(cells, key=lambda b: (b[1], b[0]))
        for x0, y0, x1, y1 in cells:
            # Inside a cell's inner box there is no ruling: its border rows and
            # columns are paper, not line.
            inner = grid.image[y0:y1, x0:x1]
            assert inner[0].mean() > 200 and inner[-1].mean() > 200
            assert inner[:, 0].mean() > 200 and inner[:, -1].mean() > 200
    assert 1 <= grid.line_width <= 4


# --- scans ------------------------------------------------------------------------

@pytest.mark.parametrize("degrees", [1.5, -2.0])
def test_rotated_scan_is_deskewed_and_keeps_its_cells(pages, degrees):
    index, dpi = 2, 200             # a table's continuation, then the next form
    image = pages.raster(index, dpi)
    grid = find_grid(rotated(image, degrees))
    residual = degrees + grid.angle
    assert abs(residual) < 0.15
    assert_matches(moved(pages.truth(index, dpi), residual, image.shape), grid, dpi)


@pytest.mark.parametrize("index, dpi, degrees", [(1, 200, 0.0), (3, 150, -1.0)])
def test_noisy_blurred_jpeg_scan(pages, index, dpi, degrees):
    image = pages.raster(index, dpi)
    scan = degraded(rotated(image, degrees) if degrees else image, seed=index)
    grid = find_grid(scan)
    residual = degrees + grid.angle
    assert abs(residual) < 0.15
    assert_matches(moved(pages.truth(index, dpi), residual, image.shape), grid, dpi)


def test_dark_scanner_edge_is_not_a_table(pages):
    image = rotated(pages.raster(0, 200), 1.0).copy()
    image[:30], image[-40:], image[:, :35], image[:, -25:] = 20, 30, 25, 20
    grid = find_grid(image)
    assert len(grid.tables) == 1
    assert matching(moved(pages.truth(0, 200), 1.0 + grid.angle, image.shape), grid.tables)[0] >= 0.99


def test_page_without_rulings_has_no_tables():
    blank = np.full((2339, 1654), 255, np.uint8)
    noise = np.clip(np.random.default_rng(1).normal(235, 20, blank.shape), 0, 255).astype(np.uint8)
    for page in (blank, noise):
        grid = find_grid(page)
        assert grid.tables == [] and grid.angle == 0.0 and grid.line_width == 0.0


def test_colour_input_is_read_as_grey(pages):
    grey = pages.raster(3, 150)
    assert find_grid(np.dstack([grey] * 3)).tables == find_grid(grey).tables


# --- settings ---------------------------------------------------------------------

@pytest.mark.parametrize("bad", [
    {"min_line": 0.0}, {"min_line": 0.6}, {"min_cell": 0.06}, {"gap": 0.03},
    {"ink_contrast": 0}, {"max_skew": -1}, {"fine_step": 0.5}, {"min_rotation": -0.1},
])
def test_settings_refuse_nonsense(bad):
    with pytest.raises(ValueError):
        GridSettings(**bad)


def test_settings_are_frozen():
    with pytest.raises(AttributeError):
        GridSettings().min_line = 0.1


def test_a_settings_section_is_applied_by_name():
    import pickle

    assert GridSettings.from_mapping({"max_skew": 2, "gap": 0.002}) == GridSettings(max_skew=2.0, gap=0.002)
    assert pickle.loads(pickle.dumps(GridSettings(max_skew=2.0))) == GridSettings(max_skew=2.0)
    with pytest.raises(ValueError, match=r"unknown GridSettings setting: max_skw \(known: min_line, "):
        GridSettings.from_mapping({"max_skw": 2})
    with pytest.raises(ValueError, match="GridSettings.max_skew must be a number, not 'two'"):
        GridSettings.from_mapping({"max_skew": "two"})
    with pytest.raises(ValueError, match="min_cell must be shorter than min_line"):
        GridSettings.from_mapping({"min_cell": 0.2})


def test_the_grid_found_is_logged(pages, caplog):
    import logging

    with caplog.at_level(logging.DEBUG, logger="selfeval.grid"):
        grid = find_grid(rotated(pages.raster(0, 200), 1.0))
    message = next(r.getMessage() for r in caplog.records if r.name == "selfeval.grid")
    assert f"turned by {grid.angle:.3f}°; 1 table(s) of [{len(grid.tables[0])}] cells" in message


def test_wrong_image_type_is_refused():
    with pytest.raises(TypeError):
        find_grid(np.zeros((100, 100), np.float32))
    with pytest.raises(ValueError):
        find_grid(np.zeros((10, 10, 10, 10), np.uint8))
