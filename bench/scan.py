"""Benchmark: OCR of scanned forms, per engine and per resolution/degradation.

    .venv/bin/python bench/scan.py [--synthetic 20] [--dpis 150,200,300]
                                   [--levels light,heavy] [--engines rapidocr,tesseract]

Renders the 19 gold forms and `--synthetic` evaluation forms into text PDFs,
turns them into image-only PDFs at each dpi and degradation level
(`corpus.degrade`), reads every page on one core with each engine (per-cell
recognition) and with plain full-page Tesseract fed to the same parser
(`tesseract-page`), and prints side by side: field accuracy, numeric-field
accuracy, character accuracy of the text fields (1 − edit distance / length,
white space removed, NFKC) and seconds per page.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus.build import load_gold, render_synthetic, render_with_truth  # noqa: E402
from corpus.degrade import retarget_truth, write_scan  # noqa: E402
from extract.checks.compare import compare_records, edit_distance  # noqa: E402
from extract.model import Document, iter_fields  # noqa: E402
from extract.scan.engines import get_engine  # noqa: E402
from extract.pipeline.document import extract_forms  # noqa: E402
from extract.sources.files import sha256_of  # noqa: E402
from extract.sources.raster import rasterise_pdf_page  # noqa: E402
from extract.scan.page import read_scan_page, read_scan_page_full_page_ocr  # noqa: E402
from extract.sources.pdf import page_count  # noqa: E402


def page_readers() -> dict[str, Callable[[Any, int], Any]]:
    return {
        "rapidocr": lambda image, n: read_scan_page(image, n, get_engine("rapidocr")),
        "tesseract": lambda image, n: read_scan_page(image, n, get_engine("tesseract")),
        "tesseract-page": read_scan_page_full_page_ocr,
    }


def character_accuracy(truth: list[dict], records: list[dict]) -> float:
    """Over every text leaf of the truth, paired by form position and path."""
    def fold(value: Any) -> str:
        return "".join(unicodedata.normalize("NFKC", value).split()) if isinstance(value, str) else ""

    errors = total = 0
    for expected, got in zip(truth, records + [{}] * (len(truth) - len(records))):
        got_fields = dict(iter_fields(got)) if got else {}
        for path, value in iter_fields(expected):
            if not isinstance(value, str) or path.startswith(("source.", "form_id", "schema_version")):
                continue
            want = fold(value)
            errors += min(len(want), edit_distance(want, fold(got_fields.get(path))))
            total += len(want)
    return 1 - errors / total if total else 1.0


def read_scan(path: Path, reader: Callable[[Any, int], Any], dpi: int) -> tuple[list[dict], float, int]:
    pages = []
    started = time.perf_counter()
    for number in range(1, page_count(str(path)) + 1):
        pages.append(reader(rasterise_pdf_page(str(path), number, dpi), number))
    seconds = time.perf_counter() - started
    document = Document(path=str(path), sha256=sha256_of(path), pages=pages)
    return [form.record for form in extract_forms(document)], seconds, len(pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=20, help="synthetic eval forms besides the gold (20)")
    parser.add_argument("--dpis", default="150,200,300")
    parser.add_argument("--levels", default="light,heavy")
    parser.add_argument("--engines", default="rapidocr,tesseract,tesseract-page")
    args = parser.parse_args()
    readers = page_readers()
    engines = args.engines.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sources = [(root / "seed_forms.pdf", render_with_truth(load_gold(), root / "seed_forms.pdf"))]
        if args.synthetic:
            sources += list(render_synthetic("eval", args.synthetic, root / "synthetic"))
        forms = sum(len(t) for _, t in sources)
        print(f"{forms} forms ({len(sources)} files); figures per engine, one core\n")
        print(f"{'dpi':>4} {'level':<6} {'engine':<15} {'field acc':>9} {'numeric':>8} {'chars':>8} {'s/page':>7}")
        for dpi in map(int, args.dpis.split(",")):
            for level in args.levels.split(","):
                scans = []
                for index, (text_pdf, truth) in enumerate(sources):
                    scan = write_scan(text_pdf, root / "scans" / f"{text_pdf.stem}_{dpi}_{level}.pdf",
                                      dpi, level, seed=index, fmt="pdf")[0]
                    scans.append((scan, retarget_truth(truth, scan)))
                for engine in engines:
                    truth_all: list[dict] = []
                    got_all: list[dict] = []
                    seconds = pages = 0
                    for scan, truth in scans:
                        records, spent, count = read_scan(scan, readers[engine], dpi)
                        truth_all += truth
                        got_all += records
                        seconds += spent
                        pages += count
                    comparison = compare_records(truth_all, got_all)
                    print(f"{dpi:>4} {level:<6} {engine:<15} {comparison.accuracy:>9.2%} "
                          f"{comparison.numeric_accuracy:>8.2%} "
                          f"{character_accuracy(truth_all, got_all):>8.2%} {seconds / pages:>7.2f}", flush=True)


if __name__ == "__main__":
    main()
