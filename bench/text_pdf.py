"""Benchmark: field accuracy per corpus split and ingest speed of text PDFs.

    .venv/bin/python bench/text_pdf.py [--forms 200] [--workers 1]

Renders the gold forms and `--forms` synthetic forms per split into text PDFs
(in a temporary folder), ingests each split into a fresh store as
`selfeval ingest` does, and prints, per split, field accuracy by the
contract's comparison and pages per second (read + parse + validate + store).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus.build import load_gold, render_synthetic, render_with_truth  # noqa: E402
from extract.checks.compare import compare_records  # noqa: E402
from extract.pipeline.settings import IngestSettings  # noqa: E402
from extract.pipeline.batch import ingest  # noqa: E402
from extract.store import Store  # noqa: E402


def measure(name: str, folder: Path, truth: list[dict], workers: int) -> str:
    with Store(folder / "bench.db") as store:
        started = time.perf_counter()
        batch = ingest([folder], store, IngestSettings(workers=workers))
        seconds = time.perf_counter() - started
        records = list(store.records())
    comparison = compare_records(truth, records)
    return (f"{name:<10} {len(truth):>6} {batch.pages:>6} {comparison.fields_total:>8} "
            f"{comparison.accuracy:>9.4%} {batch.pages / seconds:>8.1f} {seconds:>7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, default=200, help="synthetic forms per split (default 200)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1: one core)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print(f"{'split':<10} {'forms':>6} {'pages':>6} {'fields':>8} {'accuracy':>9} {'pages/s':>8} {'seconds':>7}")
        gold_dir = root / "gold"
        gold_dir.mkdir()
        truth = render_with_truth(load_gold(), gold_dir / "seed_forms.pdf")
        print(measure("gold", gold_dir, truth, args.workers))
        for split in ("train", "eval"):
            folder = root / split
            truth = [r for _, file_truth in render_synthetic(split, args.forms, folder) for r in file_truth]
            print(measure(split, folder, truth, args.workers))


if __name__ == "__main__":
    main()
