"""Pages on which no ruled table is found are read as flat text (issue 4):
a text PDF without ruling lines, the same page as a scan through OCR, and
such pages mixed with ruled ones in one document."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path

import pytest

from conftest import exported_records, run
from corpus.build import load_gold, render_with_truth, with_identity_of
from corpus.degrade import write_scan
from corpus.flat import PAGE_BREAK, flat_text_file
from corpus.render import find_font
from extract.checks.compare import compare_records
from extract.checks.confidence import ConfidencePolicy

FLAT_PAGE_FACTOR = ConfidencePolicy().flat_page
from extract.layout.labels import FORM_TITLE
from extract.model import Document, Page
from extract.pipeline.settings import OcrSettings

# Measured when written (2 synthetic dev forms, 288 fields): the text PDF
from extract.pipeline.document import extract_forms, read_document

# Measured when written (2 synthetic dev forms, 288 fields): the text PDF
from extract.sources.files import sha256_of

# Measured when written (2 synthetic dev forms, 288 fields): the text PDF
# 98.6% (the same as parsing its flat text directly), the 200-dpi greyscale
# scan of it through RapidOCR 94.4%.  Asserted a little below.
TEXT_MIN_ACCURACY = 0.95
SCAN_MIN_ACCURACY = 0.90
FONT_SIZE, LINE_HEIGHT, MARGIN = 9.0, 11.0, 40.0


def render_without_rules(text: str, path: Path) -> None:
    """A seed-like flat text printed line by line, with no table and no
    ruling line: the pieces a line joins with spaces stand one em apart, a
    page of the text starts a new page, a full page goes on to the next."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("cjk", fname=find_font())
    pdf.set_font("cjk", size=FONT_SIZE)
    for page_text in text.split(PAGE_BREAK):
        lines = [line.strip() for line in page_text.split("\n") if line.strip()]
        if not lines:
            continue
        pdf.add_page()
        y = MARGIN
        for line in lines:
            if y + LINE_HEIGHT > pdf.h - MARGIN:
                pdf.add_page()
                y = MARGIN
            x = MARGIN
            for piece in line.split():
                pdf.text(x, y + FONT_SIZE, piece)
                x += pdf.get_string_width(piece) + FONT_SIZE
            y += LINE_HEIGHT
    pdf.output(str(path))


@pytest.fixture(scope="module")
def flat_pdf(tmp_path_factory):
    """Two synthetic forms printed as flat text without rules, with their truth
    (in one named style: the pages the second form runs on depend on it)."""
    folder = tmp_path_factory.mktemp("no_grid")
    text, truth, _ = flat_text_file("dev", 2, folder, ["word-breaks"])[0]
    path = folder / "flat_forms.pdf"
    render_without_rules(text, path)
    return path, truth


def stored_fields(db: Path) -> list[tuple[str, float, str]]:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT method, confidence, bbox FROM fields WHERE method IS NOT NULL").fetchall()


def test_a_text_pdf_without_ruling_lines_is_read_as_flat_text(flat_pdf, tmp_path):
    path, truth = flat_pdf
    db = tmp_path / "store.db"
    assert run("--db", db, "ingest", "--workers", "1", path) == 0
    records = exported_records(db, tmp_path / "forms.jsonl")
    assert len(records) == len(truth) == 2
    comparison = compare_records(with_identity_of(truth, records), records)
    assert comparison.accuracy >= TEXT_MIN_ACCURACY, comparison.mismatches[:20]
    assert all(r["source"]["file"] == path.name and r["source"]["kind"] == "text" for r in records)
    assert records[-1]["source"]["pages"][-1] == 3           # the second form runs on to page 3
    fields = stored_fields(db)
    # "ner": a deviation cell whose parts the model split where the rules could not.
    assert {method for method, _, _ in fields} - {"ner"} == {"flat:pdf-text"}
    # below a ruled cell's 1.0; arithmetic that holds lifts a number back up a little
    assert all(confidence < 1.0 for _, confidence, _ in fields)
    assert sum(confidence <= FLAT_PAGE_FACTOR for _, confidence, _ in fields) > len(fields) / 2
    assert all(bbox for _, _, bbox in fields)               # the lines it was read from


def test_the_same_pages_as_a_scan_are_read_through_ocr(flat_pdf, tmp_path):
    path, truth = flat_pdf
    scan = write_scan(path, tmp_path / "flat_forms.tiff", 200, "clean", seed=0, fmt="tiff")[0]
    db = tmp_path / "store.db"
    assert run("--db", db, "ingest", "--workers", "1", "--ocr-engine", "rapidocr", scan) == 0
    records = exported_records(db, tmp_path / "forms.jsonl")
    assert len(records) == 2
    comparison = compare_records(with_identity_of(truth, records), records)
    assert comparison.accuracy >= SCAN_MIN_ACCURACY, comparison.mismatches[:20]
    assert {r["source"]["kind"] for r in records} == {"scan"}
    fields = stored_fields(db)
    assert {method for method, _, _ in fields} - {"ner"} == {"flat:ocr:rapidocr"}
    assert min(confidence for _, confidence, _ in fields) < FLAT_PAGE_FACTOR   # OCR scores show through


# ------------------------------------------------- mixed with ruled pages

@pytest.fixture(scope="module")
def ruled_form(tmp_path_factory):
    """One gold form on one ruled page, read, with its truth."""
    path = tmp_path_factory.mktemp("ruled") / "one.pdf"
    truth = render_with_truth([load_gold()[4]], path)
    document = read_document(path, sha256_of(path), OcrSettings(), None)
    assert len(document.pages) == 1 and document.pages[0].tables
    return document, truth


def renumbered(pages: list[Page], first: int) -> list[Page]:
    out = []
    for number, page in enumerate(pages, start=first):
        page = copy.deepcopy(page)
        page.number = number
        out.append(page)
    return out


def test_ruled_and_unruled_pages_in_one_document_give_their_forms_in_page_order(ruled_form, flat_pdf):
    ruled, ruled_truth = ruled_form
    flat_path, flat_truth = flat_pdf
    flat = read_document(flat_path, sha256_of(flat_path), OcrSettings(), None)
    assert not any(page.tables for page in flat.pages)
    pages = renumbered(ruled.pages, 1) + renumbered(flat.pages, 2)
    document = Document("mixed.pdf", "ab" * 32, pages)
    forms = extract_forms(document)
    records = [f.record for f in forms]
    assert [r["form_id"] for r in records] == [f"{'ab' * 6}-{n}" for n in (1, 2, 3)]
    assert [r["project_name"] for r in records] == [
        ruled_truth[0]["project_name"], flat_truth[0]["project_name"], flat_truth[1]["project_name"]]
    assert [r["source"]["pages"] for r in records] == [[1], [2], [2, 3, 4]]
    methods = [{s.provenance.method for s in f.fields.values() if s.provenance} - {"ner"} for f in forms]
    assert methods == [{"pdf-text"}, {"flat:pdf-text"}, {"flat:pdf-text"}]
    truth = with_identity_of(ruled_truth + flat_truth, records)
    assert compare_records(truth, records).accuracy >= TEXT_MIN_ACCURACY


def test_an_unruled_page_with_no_form_is_read_with_the_ruled_pages_after_it(ruled_form):
    """A title alone at the foot of a page, its table on the next page."""
    ruled, truth = ruled_form
    page = copy.deepcopy(ruled.pages[0])
    head = [line for line in page.lines if line.bbox.bottom < page.tables[0].bbox.top]
    assert any(FORM_TITLE in line.text for line in head)
    page.lines = [line for line in page.lines if line not in head]
    title_page = Page(number=1, width=page.width, height=page.height, lines=head)
    page.number = 2
    forms = extract_forms(Document("split.pdf", "cd" * 32, [title_page, page]))
    assert len(forms) == 1
    record = forms[0].record
    assert record["source"]["pages"] == [1, 2]
    assert record["year"] == truth[0]["year"]
    expected = with_identity_of(truth, [record])
    assert compare_records(expected, [record]).accuracy == 1.0
