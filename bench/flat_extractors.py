"""Field accuracy of the flat-text parser on the gold forms, per typesetting
style (rows) and text extractor (columns); held-out styles printed apart.

    .venv/bin/python bench/flat_extractors.py [--forms N] [--styles a,b] [--extractors x,y]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpus.build import load_gold, render_with_truth  # noqa: E402
from corpus.extractors import FLAT_EXTRACTORS, flat_text  # noqa: E402
from corpus.render import HELD_OUT_STYLES, STYLES, TUNING_STYLES, FormStyle  # noqa: E402
from extract.checks.compare import compare_records  # noqa: E402
from extract.parse.flat_reader import parse_flat_text  # noqa: E402


def accuracy(name: str, pdf: Path, truth: list[dict], records: list[dict], styles: list[FormStyle]) -> float:
    text = flat_text(name, pdf=pdf, records=records, styles=styles)
    got = [form.record for form in parse_flat_text(text, pdf.name, truth[0]["source"]["sha256"])]
    for record, expected in zip(got, truth):
        record["form_id"], record["source"] = expected["form_id"], expected["source"]
    return compare_records(truth, got).accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, default=0, help="only the first N gold forms (0: all 19)")
    parser.add_argument("--styles", default="", help="comma-separated style names (default: all)")
    parser.add_argument("--extractors", default=",".join(FLAT_EXTRACTORS))
    args = parser.parse_args()
    gold = load_gold()
    gold = gold[:args.forms] if args.forms else gold
    names = args.extractors.split(",")
    chosen = args.styles.split(",") if args.styles else list(STYLES)
    folder = Path(tempfile.mkdtemp(prefix="flat-bench-"))
    for title, group in (("tuning styles", TUNING_STYLES), ("held-out styles", HELD_OUT_STYLES)):
        group = [s for s in group if s in chosen]
        if not group:
            continue
        print(f"\n{title} ({len(gold)} gold forms)")
        print(f"{'style':<17}" + "".join(f"{n:>15}" for n in names))
        for style_name in group:
            styles = [FormStyle(typesetting=STYLES[style_name])] * len(gold)
            pdf = folder / f"{style_name}.pdf"
            truth = render_with_truth(gold, pdf, styles)
            row = [accuracy(n, pdf, truth, gold, styles) for n in names]
            print(f"{style_name:<17}" + "".join(f"{a:>15.4f}" for a in row), flush=True)


if __name__ == "__main__":
    main()
