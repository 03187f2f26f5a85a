"""Scans in (image PDFs, TIFF, PNG, PDFs mixing text and scanned pages), the
same records out -- with the real OCR engines, no fakes."""

from __future__ import annotations

import sqlite3

import pypdfium2 as pdfium
import pytest
from PIL import Image

from conftest import exported_records, run
from corpus.build import load_gold, render_synthetic, render_with_truth
from corpus.degrade import retarget_truth, write_scan
from extract.checks.compare import compare_records


@pytest.fixture(scope="session")
def gold_scan(gold_pdf, tmp_path_factory):
    """The 19 gold forms as a degraded (rotated, noisy, blurred, JPEG) 200-dpi image-only PDF."""
    path, truth = gold_pdf
    scan = write_scan(path, tmp_path_factory.mktemp("gold_scan") / "seed_forms_scan.pdf", 200, "heavy",
                      seed=7, fmt="pdf")[0]
    return scan, retarget_truth(truth, scan)


@pytest.fixture(scope="session")
def small_forms(tmp_path_factory):
    """Two synthetic forms in a text PDF of a few pages."""
    folder = tmp_path_factory.mktemp("small")
    path, truth = next(render_synthetic("dev", 2, folder))
    return path, truth


def test_gold_forms_from_a_degraded_200_dpi_scan(gold_scan, tmp_path):
    scan, truth = gold_scan
    db = tmp_path / "store.db"
    assert run("--db", db, "ingest", "--workers", "2", scan) == 0
    records = exported_records(db, tmp_path / "forms.jsonl")
    comparison = compare_records(truth, records)
    assert comparison.accuracy >= 0.98, comparison.mismatches[:30]
    assert comparison.numeric_accuracy >= 0.995, [m for m in comparison.mismatches if not isinstance(m[2], str)]
    assert {r["source"]["kind"] for r in records} == {"scan"}
    with sqlite3.connect(db) as connection:
        confidences = [c for (c,) in connection.execute("SELECT confidence FROM fields")]
        methods = {m for (m,) in connection.execute("SELECT DISTINCT method FROM fields")}
    assert confidences and all(c is not None and 0.0 <= c <= 1.0 for c in confidences)
    assert "ocr:rapidocr" in methods
    assert min(confidences) < 1.0  # OCR scores show through


def test_a_multi_page_tiff_read_with_tesseract(small_forms, tmp_path):
    path, truth = small_forms
    tiff = write_scan(path, tmp_path / "forms.tiff", 200, "light", seed=1, fmt="tiff")[0]
    db = tmp_path / "store.db"
    assert run("--db", db, "ingest", "--workers", "1", "--ocr-engine", "tesseract", tiff) == 0
    records = exported_records(db, tmp_path / "forms.jsonl")
    assert len(records) == len(truth)
    comparison = compare_records(retarget_truth(truth, tiff), records)
    # Debian's chi_sim cannot read ≥ ≤ （ ） ： ；, so Tesseract's bar is lower.
    assert comparison.accuracy >= 0.85, comparison.mismatches[:20]


def test_a_png_page(tmp_path):
    record = load_gold()[4]                     # a form that fits on one page
    text_pdf = tmp_path / "one.pdf"
    truth = render_with_truth([record], text_pdf)
    assert truth[0]["source"]["pages"] == [1]
    png = write_scan(text_pdf, tmp_path / "one.png", 200, "light", seed=2, fmt="png")[0]
    db = tmp_path / "store.db"
    assert run("--db", db, "ingest", "--workers", "1", png) == 0
    records = exported_records(db, tmp_path / "forms.jsonl")
    assert compare_records(retarget_truth(truth, png), records).accuracy >= 0.97


def test_a_pdf_mixing_text_and_scanned_pages(gold_pdf, gold_scan, tmp_path):
    text_pdf, truth = gold_pdf
    scan, _ = gold_scan
    mixed_path = tmp_path / "mixed.pdf"
    mixed = pdfium.PdfDocument.new()
    mixed.import_pages(pdfium.PdfDocument(str(text_pdf)), [0, 1])
    mixed.import_pages(pdfium.PdfDocument(str(scan)), [2, 3])
    mixed.save(str(mixed_path))
    expected = [r for r in retarget_truth(truth, mixed_path) if max(r["source"]["pages"]) <= 4]
    for record in expected:
        record["source"]["kind"] = "scan" if max(record["source"]["pages"]) >= 3 else "text"
    db = tmp_path / "store.db"
    assert run("--db", db, "ingest", "--workers", "1", mixed_path) == 0
    records = exported_records(db, tmp_path / "forms.jsonl")
    assert [r["source"]["kind"] for r in records] == [r["source"]["kind"] for r in expected]
    comparison = compare_records(expected, records)
    assert comparison.accuracy >= 0.98, comparison.mismatches[:20]
    text_only = compare_records([r for r in expected if r["source"]["kind"] == "text"],
                                [r for r in records if r["source"]["kind"] == "text"])
    assert text_only.accuracy == 1.0


def test_bad_images_fail_alone_and_a_bad_page_fails_alone(small_forms, tmp_path, capsys):
    path, truth = small_forms
    folder = tmp_path / "batch"
    folder.mkdir()
    Image.new("L", (400, 300), 255).save(folder / "a_blank.png", dpi=(200, 200))
    good_png = (folder / "a_blank.png").read_bytes()
    (folder / "b_corrupt.png").write_bytes(good_png[:40] + b"\x00garbage" * 50)
    (folder / "c_zero_pages.tiff").write_bytes(b"II*\x00\x00\x00\x00\x00")
    tiff = write_scan(path, tmp_path / "pages.tiff", 200, "clean", seed=3, fmt="tiff")[0]
    data = bytearray(tiff.read_bytes())
    with Image.open(tiff) as frames:
        frames.seek(1)
        strips = list(zip(frames.tag_v2[273], frames.tag_v2[279]))    # the second page's pixel data
    for start, length in strips:
        data[start + 2:start + length] = bytes(length - 2)           # damage that page only
    (folder / "d_one_bad_page.tiff").write_bytes(bytes(data))
    db = tmp_path / "store.db"
    code = run("--db", db, "ingest", "--workers", "1", folder)
    err = capsys.readouterr().err
    assert code == 1
    assert "b_corrupt.png: not a readable image" in err
    assert "c_zero_pages.tiff: the TIFF has no pages" in err
    assert "a_blank.png: no 财政项目支出绩效自评表 found" in err
    bad_page_line = next(line for line in err.splitlines() if "d_one_bad_page.tiff" in line and line.startswith("ok"))
    assert "1 pages failed: page 2:" in bad_page_line
    assert exported_records(db, tmp_path / "out.jsonl"), "the readable pages' forms are kept"
