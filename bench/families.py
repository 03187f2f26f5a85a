"""Benchmark: field accuracy and routing per template family, the held-out
families apart, for text PDFs, 200-dpi scans and each flat extractor.

    .venv/bin/python bench/families.py [--forms 10] [--families a,b,...]
                                       [--channels text,scan,pdfplumber,...]
                                       [--typesetting reference] [--wrong] [--why]
                                       [--unknown a,b,...]

For every family of `corpus.templates.TEMPLATES` (the tuning families
first, then `HELD_OUT_FAMILIES`, for which the readers have no data file),
`--forms` synthetic evaluation forms are printed in that family's template
and read the way a user's file would be (the channels of `bench/styles.py`,
and the shapes in which a copied table reaches users: a whole form on one
line, one cell per paragraph, boilerplate before the form).
Each row prints field accuracy by the contract's comparison, the share of
fields routing sends to review, and the accuracy of the fields it accepts.
The issue's bars: text PDFs ≥ 99.5%, scans ≥ 98%, flat text ≥ 95% per
family; accepted ≥ 99.5% right with ≤ 10% sent to review.

`--unknown` reads the named tuning families with their data files hidden
($SELFEVAL_FAMILIES_DIR set to a copy of the others): the readers meet them
as they meet a held-out family, so what routing does with a family it does
not know can be tuned on these, leave-one-out, and never on the held-out.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpus.build import family_forms, render_with_truth  # noqa: E402
from corpus.extractors import COPIED_SHAPES  # noqa: E402
from corpus.render import STYLES  # noqa: E402
from corpus.templates import HELD_OUT_FAMILIES, TEMPLATES, TUNING_FAMILIES  # noqa: E402
from extract.layout.templates import FAMILIES_DIR, FAMILIES_DIR_VARIABLE  # noqa: E402


def _styles_bench():
    """bench/styles.py, whose tally and channels this benchmark shares."""
    spec = importlib.util.spec_from_file_location("bench_styles", ROOT / "bench" / "styles.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_styles"] = module
    spec.loader.exec_module(module)
    return module


def main(argv: Sequence[str] | None = None) -> int:
    bench = _styles_bench()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, default=10, help="synthetic eval forms per family (default 10)")
    parser.add_argument("--families", default=",".join(TUNING_FAMILIES + HELD_OUT_FAMILIES))
    channels_known = bench.CHANNELS + COPIED_SHAPES
    parser.add_argument("--channels", default=",".join(channels_known),
                        help="text, scan, the flat extractors and the copied shapes (corpus.extractors)")
    parser.add_argument("--typesetting", default="reference", help="a style of corpus.render.STYLES")
    parser.add_argument("--wrong", action="store_true",
                        help="list every wrong field of the tuning families (held-out ones stay unseen)")
    parser.add_argument("--why", action="store_true",
                        help="print why fields went to review, for the tuning families")
    parser.add_argument("--unknown", default="",
                        help="tuning families to read with their data files hidden (leave-one-out)")
    args = parser.parse_args(argv)
    names, channels = bench.listed(parser, args.families, TEMPLATES, args.channels, channels_known)
    if args.typesetting not in STYLES:
        parser.error(f"unknown typesetting {args.typesetting!r}")
    if args.unknown:
        hidden = [n for n in args.unknown.split(",") if n]
        for name in hidden:
            if name not in TUNING_FAMILIES:
                parser.error(f"--unknown {name!r}: not a tuning family ({', '.join(TUNING_FAMILIES)})")
        return _without_data_files(hidden, args)

    def typeset_one(name: str, folder: Path) -> tuple[Path, list, list]:
        records, styles = family_forms(name, args.forms, args.typesetting)
        pdf = folder / f"{name}.pdf"
        return pdf, render_with_truth(records, pdf, styles), styles

    # (scan_forms None: the scan holds every form, as bench.measure counts them)
    bench.run_groups("family", names, HELD_OUT_FAMILIES, "held-out families (no data file, never tuned to)",
                     channels, typeset_one, None, args.wrong, args.why)
    return 0


def _without_data_files(hidden: list[str], args: argparse.Namespace) -> int:
    """This benchmark again, in a process whose readers know every family but `hidden`."""
    with tempfile.TemporaryDirectory() as folder:
        for path in sorted(FAMILIES_DIR.glob("*.toml")):
            if tomllib.loads(path.read_text(encoding="utf-8"))["name"] not in hidden:
                shutil.copy(path, folder)
        print(f"-- read without the data files of: {', '.join(hidden)}", flush=True)
        child = [sys.executable, __file__, "--forms", str(args.forms), "--families", args.families,
                 "--channels", args.channels, "--typesetting", args.typesetting]
        child += ["--wrong"] * args.wrong + ["--why"] * args.why
        return subprocess.run(child, env={**os.environ, FAMILIES_DIR_VARIABLE: folder}).returncode


if __name__ == "__main__":
    sys.exit(main())
