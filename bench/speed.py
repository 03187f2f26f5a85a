"""Benchmark: speed and memory of `selfeval ingest` against the bare libraries, one run, the same inputs.

    .venv/bin/python bench/speed.py [--text-forms 200] [--scan-forms 4] [--workers 1,2]

Renders `--text-forms` synthetic eval forms into text PDFs (10 forms a file)
and `--scan-forms` forms into 200-dpi scanned PDFs (one file a form), then
times each measure in a fresh process, start-up included, as a user's run:

- text PDFs: ingest end to end (read, parse, checks, model, store) on one
  worker, in pages per second, against pdfplumber's bare `find_tables` and
  `extract` on the same pages: the ratio;
- scans: ingest end to end on one worker, in seconds per page, against
  RapidOCR's full-page detection and recognition of the same page images
  (one onnxruntime thread): the ratio;
- workers: a batch of many files (the text forms two to a PDF, and the
  scans) with each of `--workers`, and the speed-up over the first;
- memory: peak RSS of each run's main process and of its largest worker;
- the machine: two one-worker ingests of half the batch each, run at once,
  against one alone: what two busy cores give two processes here, the
  ceiling of the 2-worker speed-up;
- the text measure's time per stage (read, forms, store).

Speed is a benchmark, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SCAN_DPI = 200
BATCH_FORMS_PER_FILE = 2


def _peak_mb() -> tuple[float, float]:
    """Peak RSS of this process and of its largest child so far, in MB (Linux reports KB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def _pdfs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.pdf"))


# ---------------------------------------------------------------- measures (each in its own process)

def _ingest(folder: Path, workers: int) -> dict:
    from extract.pipeline.batch import ingest
    from extract.pipeline.settings import IngestSettings
    from extract.store import Store

    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "speed.db") as store:
        started = time.perf_counter()
        batch = ingest([folder], store, IngestSettings(workers=workers))
        seconds = time.perf_counter() - started
    if not batch.ok:
        raise SystemExit(f"ingest of {folder} failed: {batch.summary()}")
    return {"seconds": seconds, "pages": batch.pages}


def _pdfplumber(folder: Path) -> dict:
    import pdfplumber

    started = time.perf_counter()
    pages = 0
    for path in _pdfs(folder):
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                for table in page.find_tables():
                    table.extract()
                pages += 1
    return {"seconds": time.perf_counter() - started, "pages": pages}


def _rapidocr_page(folder: Path) -> dict:
    from rapidocr import RapidOCR

    from extract.sources.pdf import page_count
    from extract.sources.raster import rasterise_pdf_page

    engine = RapidOCR(params={"Global.log_level": "warning",
                              "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                              "EngineConfig.onnxruntime.inter_op_num_threads": 1})
    started = time.perf_counter()
    pages = 0
    for path in _pdfs(folder):
        for number in range(1, page_count(str(path)) + 1):
            engine(rasterise_pdf_page(str(path), number, SCAN_DPI).pixels)
            pages += 1
    return {"seconds": time.perf_counter() - started, "pages": pages}


def _stages(folder: Path) -> dict:
    """The text measure's seconds per stage, in one process (the first file,
    with the model's loading, not counted): read, forms (parse, checks,
    model), store."""
    from extract.pipeline.document import extract_forms, read_document
    from extract.pipeline.settings import IngestSettings, OcrSettings
    from extract.sources.files import sha256_of
    from extract.store import Store

    files = _pdfs(folder)
    extract_forms(read_document(files[0], sha256_of(files[0]), OcrSettings()))
    seconds = {"read": 0.0, "forms": 0.0, "store": 0.0}
    pages = 0
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "stages.db") as store:
        for path in files[1:]:
            sha256 = sha256_of(path)
            started = time.perf_counter()
            document = read_document(path, sha256, OcrSettings())
            read = time.perf_counter()
            forms = extract_forms(document, IngestSettings())
            parsed = time.perf_counter()
            store.save_source(sha256, str(path), len(document.pages), forms)
            seconds["read"] += read - started
            seconds["forms"] += parsed - read
            seconds["store"] += time.perf_counter() - parsed
            pages += len(document.pages)
    return {"pages": pages, **seconds}


MEASURES = {"ingest": _ingest, "pdfplumber": _pdfplumber, "rapidocr-page": _rapidocr_page, "stages": _stages}


def _child(kind: str, folder: Path, workers: int) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    result = MEASURES[kind](folder, workers) if kind == "ingest" else MEASURES[kind](folder)
    result["rss_main_mb"], result["rss_worker_mb"] = _peak_mb()
    print(json.dumps(result))


def run(kind: str, folder: Path, workers: int = 1) -> dict:
    """One measure in a fresh process: its seconds, pages and peak RSS."""
    return run_at_once([(kind, folder, workers)])[0]


def run_at_once(measures: list[tuple[str, Path, int]]) -> list[dict]:
    """Measures in fresh processes started together, each with its own figures."""
    started = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, __file__, "--child", kind, "--folder", str(folder),
                                   "--child-workers", str(workers)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
                 for kind, folder, workers in measures]
    results = []
    for (kind, folder, _), process in zip(measures, processes):
        out, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"{kind} on {folder}: exit {process.returncode}\n{err[-2000:]}")
        result = json.loads(out.strip().splitlines()[-1])
        result["process_seconds"] = time.perf_counter() - started
        results.append(result)
    return results


# ---------------------------------------------------------------- inputs

def make_inputs(root: Path, text_forms: int, scan_forms: int) -> tuple[Path, Path, Path]:
    """Folders of text PDFs, of scanned PDFs, and of both (the batch)."""
    from corpus.build import render_synthetic, render_with_truth
    from corpus.degrade import write_scan
    from corpus.synth import generate_forms

    text, scans, batch = root / "text", root / "scans", root / "batch"
    for folder in (text, scans, batch):
        folder.mkdir()
    for _ in render_synthetic("eval", text_forms, text, None):
        pass
    sources = root / "scan-sources"
    sources.mkdir()
    for n, record in enumerate(generate_forms("eval", scan_forms)):
        source = sources / f"form_{n:03d}.pdf"
        render_with_truth([record], source)
        write_scan(source, scans / f"scan_{n:03d}.pdf", SCAN_DPI, "light", seed=n, fmt="pdf")
    # The batch: many small files, as an archive's folders hold them.
    records = generate_forms("eval", text_forms)
    for start in range(0, text_forms, BATCH_FORMS_PER_FILE):
        render_with_truth(records[start:start + BATCH_FORMS_PER_FILE], batch / f"text_{start:04d}.pdf")
    for path in _pdfs(scans):
        shutil.copy(path, batch / path.name)
    for half, paths in enumerate((_pdfs(batch)[0::2], _pdfs(batch)[1::2])):
        (root / f"half_{half}").mkdir()
        for path in paths:
            shutil.copy(path, root / f"half_{half}" / path.name)
    return text, scans, batch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text-forms", type=int, default=200, help="synthetic forms in text PDFs (default 200)")
    parser.add_argument("--scan-forms", type=int, default=4, help="synthetic forms in 200-dpi scans (default 4)")
    parser.add_argument("--workers", default="1,2", help="worker counts for the whole batch (default 1,2)")
    parser.add_argument("--child", choices=sorted(MEASURES), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.folder, args.child_workers)
        return 0
    workers = [int(n) for n in args.workers.split(",") if n]
    with tempfile.TemporaryDirectory() as tmp:
        text, scans, batch = make_inputs(Path(tmp), args.text_forms, args.scan_forms)
        ours, bare = run("ingest", text), run("pdfplumber", text)
        stages = run("stages", text)
        print(f"text stages ({stages['pages']} pages after the first file): read {stages['read']:.1f} s, "
              f"forms (parse, checks, model) {stages['forms']:.1f} s, store {stages['store']:.1f} s")
        print(f"text PDFs ({ours['pages']} pages, one worker): selfeval {ours['pages'] / ours['seconds']:.1f} pages/s, "
              f"bare pdfplumber find_tables+extract {bare['pages'] / bare['seconds']:.1f} pages/s: "
              f"ratio {bare['seconds'] / ours['seconds']:.2f}x "
              f"(whole processes: {ours['process_seconds']:.1f} s against {bare['process_seconds']:.1f} s)")
        ours, page = run("ingest", scans), run("rapidocr-page", scans)
        print(f"scans ({ours['pages']} pages at {SCAN_DPI} dpi, one worker): selfeval {ours['seconds'] / ours['pages']:.2f} s/page, "
              f"full-page RapidOCR {page['seconds'] / page['pages']:.2f} s/page: "
              f"ratio {ours['seconds'] / page['seconds']:.2f}x")
        first = None
        for n in workers:
            result = run("ingest", batch, n)
            first = first or result
            print(f"batch ({result['pages']} pages, {len(_pdfs(batch))} files), {n} worker(s): {result['seconds']:.1f} s, "
                  f"speed-up {first['seconds'] / result['seconds']:.2f}x; peak RSS main {result['rss_main_mb']:.0f} MB, "
                  f"largest worker {result['rss_worker_mb']:.0f} MB")
        # What this machine gives two processes at once: the ceiling of the 2-worker figure.
        halves = run_at_once([("ingest", batch.parent / f"half_{n}", 1) for n in (0, 1)])
        alone = run("ingest", batch.parent / "half_0")
        print(f"machine: two one-worker ingests of half the batch each, at once: {max(h['seconds'] for h in halves):.1f} s "
              f"(the first half alone {alone['seconds']:.1f} s: {halves[0]['seconds'] / alone['seconds'] - 1:+.0%} "
              f"with both cores busy); the ceiling of the 2-worker speed-up here: "
              f"{first['seconds'] / max(h['seconds'] for h in halves):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
