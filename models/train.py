"""Train the form-field tagger and ship it as models/pipeline.

    OMP_NUM_THREADS=1 python -m models.train [--with-reviews store.db]
    selfeval models train [--with-reviews store.db]

builds models/build/{train,dev}.spacy from the synthetic corpus (and
`corpus.flat` where it exists), trains with models/config.cfg on one CPU
thread with a fixed seed, and copies the best model (by dev F1) to
models/pipeline.  `extra_examples` takes more ``(text, spans)`` examples;
`--with-reviews` adds the deviation cells whose parts a person reviewed in
the store (`models.examples.reviewed_examples`).
"""

from __future__ import annotations

import os

# One CPU thread; set before numpy/blis are imported.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Sequence  # noqa: E402

from models.convert import BUILD_DIR, CONFIG_PATH, MODELS_DIR, write_docbin  # noqa: E402
from models.examples import (  # noqa: E402
    Example, ExampleSet, dev_examples, labels_of, reviewed_examples, training_examples,
)

log = logging.getLogger(__name__)

PIPELINE_DIR = MODELS_DIR / "pipeline"
DEFAULT_TRAIN_COUNT = 4000     # deviation cells of the train split
DEFAULT_DEV_COUNT = 400        # deviation cells of the dev split (model selection)
DEFAULT_FLAT_COUNT = 600       # flat-text forms of the train split, where corpus.flat exists
DEFAULT_FLAT_DEV_COUNT = 100   # flat-text forms of the dev split (model selection)
PIPELINE_NAME = "selfeval_fields"
PIPELINE_VERSION = "0.2.0"     # models/MODEL_CARD.md


def train(output_dir: Path = PIPELINE_DIR, train_count: int = DEFAULT_TRAIN_COUNT, seed: int = 0,
          extra_examples: Sequence[Example] | None = None, *,
          dev_count: int = DEFAULT_DEV_COUNT, flat_count: int = DEFAULT_FLAT_COUNT,
          flat_dev_count: int = DEFAULT_FLAT_DEV_COUNT, max_steps: int | None = None,
          eval_frequency: int | None = None, build_dir: Path | None = None,
          config_path: Path = CONFIG_PATH, overrides: dict[str, Any] | None = None) -> Path:
    """Build the DocBins, train, copy model-best to `output_dir`; returns it."""
    from spacy.cli.train import train as spacy_train

    output_dir = Path(output_dir)
    build_dir = Path(build_dir) if build_dir is not None else BUILD_DIR
    build_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    train_set = training_examples(train_count, flat_count, extra_examples)
    dev_set = dev_examples(dev_count, flat_dev_count)
    train_stats = write_docbin(train_set.examples, build_dir / "train.spacy")
    dev_stats = write_docbin(dev_set.examples, build_dir / "dev.spacy")

    settings: dict[str, Any] = {
        "paths.train": str(build_dir / "train.spacy"),
        "paths.dev": str(build_dir / "dev.spacy"),
        "system.seed": seed,
    }
    if max_steps is not None:
        settings["training.max_steps"] = max_steps
    if eval_frequency is not None:
        settings["training.eval_frequency"] = eval_frequency
    settings.update(overrides or {})

    run_dir = build_dir / "output"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    spacy_train(config_path, run_dir, use_gpu=-1, overrides=settings)

    best = run_dir / "model-best"
    if output_dir.exists():
        shutil.rmtree(output_dir)
    shutil.copytree(best, output_dir)
    _stamp_meta(output_dir / "meta.json", {
        "seed": seed,
        "train_examples": len(train_set),
        "train_skipped": train_set.skipped,
        "train_spans_misaligned": train_stats.misaligned,
        "dev_examples": len(dev_set),
        "dev_skipped": dev_set.skipped,
        "dev_spans_misaligned": dev_stats.misaligned,
        "flat_examples": train_set.phrasings.count("flat"),
        "extra_examples": len(extra_examples or ()),
        "labels": labels_of(train_set.examples),
        "overrides": {k: v for k, v in settings.items() if not k.startswith("paths.")},
        "train_seconds": round(time.monotonic() - started, 1),
    })
    return output_dir


def examples_from_reviews(db: Path | str) -> ExampleSet:
    """Training examples from the reviewed corrections in the store at `db`."""
    from extract.store import Store

    if not Path(db).is_file():
        raise FileNotFoundError(f"{db}: no such store")
    with Store(db) as store:
        reviewed = reviewed_examples(store)
    log.info("%s: %d reviewed deviation cell(s) as training examples, %d skipped",
             db, len(reviewed), reviewed.skipped)
    return reviewed


def _stamp_meta(path: Path, training: dict[str, Any]) -> None:
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["name"] = PIPELINE_NAME
    meta["version"] = PIPELINE_VERSION
    meta["description"] = ("Tags fields of 财政项目支出绩效自评表 text: DEVIATION_CAUSE and IMPROVEMENT "
                           "inside 偏差原因分析及改进措施 cells (and flat-text form fields where trained). "
                           "See models/MODEL_CARD.md.")
    meta["selfeval_training"] = training
    path.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the form-field tagger into models/pipeline.")
    parser.add_argument("--output", type=Path, default=PIPELINE_DIR)
    parser.add_argument("--train-count", type=int, default=DEFAULT_TRAIN_COUNT)
    parser.add_argument("--dev-count", type=int, default=DEFAULT_DEV_COUNT)
    parser.add_argument("--flat-count", type=int, default=DEFAULT_FLAT_COUNT)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--with-reviews", metavar="DB", type=Path, default=None,
                        help="also train on the deviation cells whose cause/improvement a person reviewed "
                             "in this store (selfeval --db)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    started = time.monotonic()
    extra: list[Example] = []
    if args.with_reviews is not None:
        from extract.errors import StoreError

        try:
            reviewed = examples_from_reviews(args.with_reviews)
        except (OSError, StoreError) as exc:
            parser.error(f"--with-reviews: {exc}")
        print(f"{len(reviewed)} reviewed deviation cell(s) added to training, {reviewed.skipped} skipped",
              file=sys.stderr)
        extra = reviewed.examples
    out = train(args.output, args.train_count, args.seed, extra or None, dev_count=args.dev_count,
                flat_count=args.flat_count, max_steps=args.max_steps)
    print(f"pipeline written to {out} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
