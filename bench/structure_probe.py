"""Probe: how structure moves routing, on the gold forms typeset in each style.

    .venv/bin/python bench/structure_probe.py [--styles reference,word-breaks] [--wrong]

Renders the 19 gold forms typeset in each style of `corpus.render.STYLES`
into a text PDF (in a temporary folder), reads it back from the text layer
through the pipeline (parse + every check, default review threshold), pairs
every field with the truth by (form position, path) and prints, per style:
fields, the share sent to review (`routing.route`: pending), the share right
among the accepted ones, how many accepted fields are wrong, and how many
fields a `layout_in_doubt` finding names.  A field the reader lost counts as
accepted and wrong (nothing can route a field that does not exist); one it
added counts as wrong.  `--wrong` lists the accepted wrong fields.

`--scan` reads a 200-dpi light scan of each PDF instead (RapidOCR; slow:
seconds a page), `--forms N` only the first N gold forms.

`--without-join-fix` reads with the grid reader's older join of merged
一级/二级 cells (a cell continued under a repeated header not joined): it
shows what the layout doubts alone do about the misreads that join made.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus.build import load_gold, render_with_truth  # noqa: E402
from corpus.render import STYLES, FormStyle  # noqa: E402
from extract.checks.compare import MISSING, fields_equal  # noqa: E402
from extract.checks.routing import PENDING, route  # noqa: E402
from extract.model import iter_fields  # noqa: E402
from extract.pipeline.document import extract_forms, read_document  # noqa: E402
from extract.pipeline.settings import OcrSettings  # noqa: E402
from extract.sources.files import sha256_of  # noqa: E402

LAYOUT_IN_DOUBT = "layout_in_doubt"


def probe(name: str, folder: Path, scan: bool = False, count: int | None = None) -> dict:
    gold = load_gold()[:count]
    path = folder / f"gold_{name}.pdf"
    truth = render_with_truth(gold, path, [FormStyle(typesetting=STYLES[name])] * len(gold))
    ocr = OcrSettings(mode="never")
    if scan:
        from corpus.degrade import retarget_truth, write_scan

        path = write_scan(path, folder / f"gold_{name}_scan.pdf", 200, "light", seed=0, fmt="pdf")[0]
        truth, ocr = retarget_truth(truth, path), OcrSettings()
    document = read_document(path, sha256_of(path), ocr, None)
    forms = extract_forms(document)
    total = pending = accepted = accepted_right = doubted = 0
    wrong: list[tuple] = []
    for position in range(max(len(truth), len(forms))):
        expected = dict(iter_fields(truth[position])) if position < len(truth) else {}
        form = forms[position] if position < len(forms) else None
        got = dict(iter_fields(form.record)) if form is not None else {}
        statuses = route(form) if form is not None else {}
        in_doubt = {str(p) for f in (form.findings if form else []) if f.rule == LAYOUT_IN_DOUBT for p in f.fields}
        for field_path in list(expected) + [p for p in got if p not in expected]:
            gold_value, got_value = expected.get(field_path, MISSING), got.get(field_path, MISSING)
            right = gold_value is not MISSING and got_value is not MISSING and fields_equal(gold_value, got_value)
            total += 1
            doubted += str(field_path) in in_doubt
            if statuses.get(field_path) == PENDING:
                pending += 1
                continue
            accepted += 1
            accepted_right += right
            if not right:
                wrong.append((position + 1, str(field_path), gold_value, got_value))
    return {"style": name, "forms": len(forms), "fields": total, "pending": pending, "accepted": accepted,
            "accepted_right": accepted_right, "doubted": doubted, "wrong": wrong}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--styles", default=",".join(STYLES), help="comma-separated STYLES names (default: all)")
    parser.add_argument("--wrong", action="store_true", help="list the accepted wrong fields")
    parser.add_argument("--without-join-fix", action="store_true",
                        help="merged cells under a repeated header are not joined (the reader before the fix)")
    parser.add_argument("--scan", action="store_true", help="read 200-dpi light scans (RapidOCR)")
    parser.add_argument("--forms", type=int, default=None, help="only the first N gold forms")
    args = parser.parse_args()
    if args.without_join_fix:
        from extract.parse import grid_reader

        joined = grid_reader._continues_over_break
        grid_reader._continues_over_break = lambda *a, **_: joined(*a[:6], first_in_table=False)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'style':<17} {'forms':>5} {'fields':>7} {'review':>8} {'acc.right':>10} {'acc.wrong':>9} {'doubted':>8}")
        for name in args.styles.split(","):
            row = probe(name, Path(tmp), args.scan, args.forms)
            rows.append(row)
            print(f"{name:<17} {row['forms']:>5} {row['fields']:>7} {row['pending'] / row['fields']:>8.2%} "
                  f"{row['accepted_right'] / max(1, row['accepted']):>10.3%} "
                  f"{row['accepted'] - row['accepted_right']:>9} {row['doubted']:>8}", flush=True)
            if args.wrong:
                for item in row["wrong"]:
                    print("    ", *item)
    fields = sum(r["fields"] for r in rows)
    accepted = sum(r["accepted"] for r in rows)
    print(f"{'all':<17} {sum(r['forms'] for r in rows):>5} {fields:>7} "
          f"{sum(r['pending'] for r in rows) / fields:>8.2%} "
          f"{sum(r['accepted_right'] for r in rows) / max(1, accepted):>10.3%} "
          f"{accepted - sum(r['accepted_right'] for r in rows):>9} {sum(r['doubted'] for r in rows):>8}")


if __name__ == "__main__":
    main()
