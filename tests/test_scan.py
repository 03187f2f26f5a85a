import pytest

from extract.scan.page import clean_ocr_line


@pytest.mark.parametrize("read, kept", [
    ("·200.00(张)", "200.00(张)"),
    ("•", ""),
    ("·。", ""),
    ("效益指标•", "效益指标"),
    ("100.00(%)·", "100.00(%)"),
    (".达成指标", "达成指标"),
    ("约翰·史密斯", "约翰·史密斯"),   # a middle dot inside a name is text
    ("≤1.00(%o)", "≤1.00(‰)"),       # RapidOCR's reading of a per-mille unit
    ("0.60(%0）", "0.60(‰）"),
    ("≥90.00(%)", "≥90.00(%)"),
    ("(%)", "(%)"),                  # the unit of a target wrapped onto its own line
    ("·(", ""),
])
def test_specks_of_the_scan_are_dropped_from_ocr_lines(read, kept):
    assert clean_ocr_line(read) == kept


# --- ScanSettings: the page stage's tunables ---------------------------------------

def _text_page():
    """A ruling-free page with two lines of grey (60) print, as a PageGrid."""
    import cv2
    import numpy as np

    from extract.scan.grid import PageGrid

    image = np.full((1000, 800), 255, np.uint8)
    cv2.putText(image, "Performance 2024", (100, 200), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 60, 3)
    cv2.putText(image, "self-evaluation form", (100, 400), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 60, 3)
    return PageGrid(image=image, angle=0.0, tables=[], line_width=0.0)


def test_text_bands_follow_the_scan_settings():
    import pytest

    from extract.scan.page import ScanSettings, text_band_boxes

    grid = _text_page()
    bands = text_band_boxes(grid, 200)
    assert bands == text_band_boxes(grid, 200, ScanSettings())
    assert len(bands) == 2 and bands[0][1] < 200 < bands[0][3] and bands[1][1] < 400 < bands[1][3]
    assert text_band_boxes(grid, 200, ScanSettings(min_band_pt=50.0)) == []     # no line is that tall
    assert text_band_boxes(grid, 200, ScanSettings(ink_level=50)) == []         # the print is lighter
    wide = text_band_boxes(grid, 200, ScanSettings(band_margin_pt=10.0))
    assert all(w[0] < b[0] and w[3] > b[3] for w, b in zip(wide, bands))
    with pytest.raises(ValueError, match="ScanSettings.ink_level must be a whole number in"):
        ScanSettings(ink_level=300)


def test_scan_settings_are_applied_by_name_and_travel():
    import pickle

    import pytest

    from extract.scan.page import ScanSettings

    settings = ScanSettings.from_mapping({"min_band_pt": 6, "max_skew_points": 100_000})
    assert settings == ScanSettings(min_band_pt=6.0, max_skew_points=100_000)
    assert pickle.loads(pickle.dumps(settings)) == settings and ScanSettings() == ScanSettings.from_mapping({})
    assert (ScanSettings().ink_level, ScanSettings().min_band_pt, ScanSettings().text_rotation_gain) == (140, 5.0, 1.02)
    with pytest.raises(ValueError, match=r"unknown ScanSettings setting: ink \(known: ink_level, "):
        ScanSettings.from_mapping({"ink": 100})
    with pytest.raises(ValueError, match="max_skew_points must not be below min_level_points"):
        ScanSettings(max_skew_points=100)


def test_levelling_a_text_page_is_logged(caplog):
    import logging

    from extract.scan.page import level_text_page

    grid = _text_page()
    with caplog.at_level(logging.DEBUG, logger="selfeval.scan"):
        assert level_text_page(grid) is grid                      # level print stays as it is
    assert any("not worth a turn" in r.getMessage() for r in caplog.records if r.name == "selfeval.scan")
