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
