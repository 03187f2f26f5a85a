"""The short way characters are made into pdfplumber objects
(`extract.sources.pdf._fast_char_objects`) reads every page as pdfplumber's
own way does: the same tables, cells, glyphs and lines."""

from __future__ import annotations

from pathlib import Path

import pytest

import extract.sources.pdf as pdf_source

SAMPLE = Path(__file__).resolve().parent.parent / "corpus" / "sample"


@pytest.mark.parametrize("name", ["seed_forms.pdf", "synthetic_dev_0001.pdf"])
def test_the_short_way_reads_each_page_as_pdfplumber_does(name, monkeypatch):
    path = str(SAMPLE / name)
    fast = [pdf_source.read_text_page(path, n) for n in range(1, pdf_source.page_count(path) + 1)]
    pdf_source.close_cached_pdfs()
    plain = pdf_source._plumber_page
    monkeypatch.setattr(pdf_source, "_plumber_page", lambda p, n: plain(p, n, fast_chars=False))
    slow = [pdf_source.read_text_page(path, n) for n in range(1, len(fast) + 1)]
    pdf_source.close_cached_pdfs()
    assert sum(len(page.tables) for page in fast) > 0
    assert fast == slow


def test_the_short_way_gives_the_attributes_the_reader_uses():
    path = str(SAMPLE / "synthetic_dev_0001.pdf")
    fast = pdf_source._plumber_page(path, 1).chars
    pdf_source.close_cached_pdfs()
    slow = pdf_source._plumber_page(path, 1, fast_chars=False).chars
    pdf_source.close_cached_pdfs()
    assert len(fast) == len(slow) > 100
    for ours, theirs in zip(fast, slow):
        assert {key: theirs[key] for key in ours} == ours


def test_a_page_of_few_characters_and_no_image_is_read_from_its_text_layer(tmp_path):
    """A text PDF's last page holding only the closing rows is no scan."""
    from fpdf import FPDF
    from PIL import Image

    from corpus.render import find_font
    from extract.pipeline.jobs import page_needs_ocr

    path = tmp_path / "closing.pdf"
    pdf = FPDF()
    pdf.add_font("cjk", fname=find_font())
    pdf.set_font("cjk", size=12)
    pdf.add_page()
    pdf.text(20, 20, "总分 100.00 82.92 评分等级 良")         # 16 characters, no image
    pdf.add_page()
    picture = tmp_path / "scan.png"
    Image.new("L", (200, 100), 255).save(picture)
    pdf.image(str(picture), x=10, y=30, w=100)
    pdf.text(20, 20, "总分 100.00")                          # a few characters over a picture
    pdf.output(str(path))
    assert not page_needs_ocr(str(path), 1, "auto")
    assert page_needs_ocr(str(path), 2, "auto")
    assert pdf_source.read_text_page(str(path), 1).lines[0].text.startswith("总分")
    pdf_source.close_cached_pdfs()
