"""Benchmark: peak memory of ingesting a long multi-page TIFF stays flat.

    .venv/bin/python bench/tiff_memory.py [--pages 50,500]

Writes TIFFs of N A4 pages at 200 dpi (each page a title line, so OCR is
quick), ingests each with one worker in a fresh process, and prints the
peak resident memory: pages are loaded one at a time, so 500 pages should
cost what 50 do.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from corpus.render import find_font  # noqa: E402


def write_tiff(path: Path, pages: int) -> None:
    font = ImageFont.truetype(find_font(), 40)

    def page(number: int) -> Image.Image:
        image = Image.new("L", (1654, 2339), 255)
        ImageDraw.Draw(image).text((400, 200), f"第{number}页 会议纪要", font=font, fill=0)
        return image

    first = page(1)
    first.save(path, save_all=True, append_images=(page(n) for n in range(2, pages + 1)),
               compression="tiff_deflate", dpi=(200, 200))


def run_measured(command: list[str]) -> tuple[float, float]:
    """Peak RSS (MB) and CPU seconds of one child process, from its own rusage."""
    child = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(child.pid, 0)
    return usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default="50,500")
    parser.add_argument("--write", nargs=2, metavar=("PATH", "PAGES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        write_tiff(Path(args.write[0]), int(args.write[1]))
        return
    print(f"{'pages':>6} {'peak RSS (MB)':>14} {'seconds':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for count in map(int, args.pages.split(",")):
            tiff = Path(tmp) / f"pages_{count}.tiff"
            # Written by a child of its own, so that this process stays small.
            run_measured([sys.executable, __file__, "--write", str(tiff), str(count)])
            peak, seconds = run_measured([sys.executable, "-m", "review.cli", "--db", str(Path(tmp) / f"{count}.db"),
                                          "-q", "ingest", "--workers", "1", "--no-progress", str(tiff)])
            print(f"{count:>6} {peak:>14.0f} {seconds:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
