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
])
def test_specks_of_the_scan_are_dropped_from_ocr_lines(read, kept):
    assert clean_ocr_line(read) == kept
