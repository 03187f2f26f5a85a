"""Field accuracy of the pdfminer box-text reader on the 19 gold forms, per style.

    .venv/bin/python bench/box_text.py              # tuning styles
    .venv/bin/python bench/box_text.py --held-out   # held-out styles, reported apart
    .venv/bin/python bench/box_text.py reference -v # one style, list mismatches

Renders each style once into a cache folder (BOX_BENCH_CACHE, default
/tmp/boxbench) and reuses it; pass --fresh to render again.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus.build import load_gold, render_with_truth
from corpus.extractors import pdfminer_text
from corpus.render import HELD_OUT_STYLES, STYLES, TUNING_STYLES, FormStyle
from extract.checks.compare import compare_records
from extract.parse.box_text import parse_box_text

CACHE = Path(os.environ.get("BOX_BENCH_CACHE", "/tmp/boxbench"))


def rendered(style: str, fresh: bool = False) -> tuple[str, list[dict]]:
    """The pdfminer text of the gold forms in one style, and their truth."""
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"{style}.pickle"
    if cached.exists() and not fresh:
        return pickle.loads(cached.read_bytes())
    gold = load_gold()
    pdf = CACHE / f"{style}.pdf"
    truth = render_with_truth(gold, pdf, [FormStyle(typesetting=STYLES[style])] * len(gold))
    text = pdfminer_text(pdf)
    (CACHE / f"{style}.pdfminer.txt").write_text(text)
    cached.write_bytes(pickle.dumps((text, truth)))
    return text, truth


def measure(style: str, fresh: bool = False, verbose: bool = False) -> float:
    text, truth = rendered(style, fresh)
    forms = parse_box_text(text, truth[0]["source"]["file"], truth[0]["source"]["sha256"])
    got = [form.record for form in forms]
    for record, expected in zip(got, truth):
        record["form_id"], record["source"] = expected["form_id"], expected["source"]
    result = compare_records(truth, got)
    print(f"{style:<16} forms {len(got):>2}/{len(truth)}  field accuracy {result.accuracy:.4f}")
    if verbose:
        for mismatch in result.mismatches:
            print("   ", mismatch)
    return result.accuracy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("styles", nargs="*")
    parser.add_argument("--held-out", action="store_true", help="measure the held-out styles")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    styles = args.styles or list(HELD_OUT_STYLES if args.held_out else TUNING_STYLES)
    scores = [measure(style, args.fresh, args.verbose) for style in styles]
    print(f"{'mean':<16}                field accuracy {sum(scores) / len(scores):.4f}")


if __name__ == "__main__":
    main()
