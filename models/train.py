"""Train the form-field tagger into the build folder; the third step of the
models/ project.  It never writes models/pipeline: `models.promote` ships a
trained folder there.

    OMP_NUM_THREADS=1 python -m models.train [--with-reviews store.db]
    selfeval models train [--with-reviews store.db]

builds the examples (`models.examples`) into models/build/examples, converts
them (`models.convert`) into models/build/corpus/{train,dev}.spacy, and
trains with models/config.cfg on one CPU thread with a fixed seed into
models/build/training/{model-best,model-last} (model-best by dev F1).
With ``--corpus DIR`` it trains on the DocBins already in DIR: the train step
of models/project.yml, after its examples and convert steps.

The progress (epochs, steps, losses, dev scores: spaCy's console table) is
logged to stderr under ``selfeval.models.train``, run as a module or through
`selfeval`.  `extra_examples` takes more ``(text, spans)`` examples;
`--with-reviews` adds the deviation cells whose parts a person reviewed in
the store (`models.examples.reviewed_examples`).
"""

from __future__ import annotations

import os

# One CPU thread; set before numpy/blis are imported.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Sequence  # noqa: E402

from models.convert import convert  # noqa: E402
from models.examples import (  # noqa: E402, F401 - examples_from_reviews: where it was before
    DEFAULT_CELL_REPEATS, DEFAULT_DEV_COUNT, DEFAULT_FLAT_COUNT, DEFAULT_FLAT_DEV_COUNT, DEFAULT_TRAIN_COUNT, Example,
    add_count_options, build_examples, examples_from_reviews, reviews_or_exit,
)
from models.layout import (  # noqa: E402
    BUILD_DIR, CONFIG_PATH, DEV_SPACY, PIPELINE_DIR, STATS_JSON, TRAIN_SPACY, TRAINING_DIR, is_within, logger,
    set_up_logging,
)
from models.promote import PIPELINE_NAME, PIPELINE_VERSION  # noqa: E402, F401 - where they were before

log = logger("train")

TRAINED_FOLDERS = ("model-best", "model-last")


class ShippedPipelineError(ValueError):
    """Training was asked to write into the shipped models/pipeline."""


def refuse_shipped(output_dir: Path) -> None:
    if is_within(output_dir, PIPELINE_DIR) or is_within(PIPELINE_DIR, output_dir):
        raise ShippedPipelineError(
            f"{output_dir}: training does not write the shipped pipeline ({PIPELINE_DIR}); train into the "
            "build folder and ship with `python -m models.promote` (selfeval models promote)")


def train(output_dir: Path | None = None, train_count: int = DEFAULT_TRAIN_COUNT, seed: int = 0,
          extra_examples: Sequence[Example] | None = None, *,
          dev_count: int = DEFAULT_DEV_COUNT, flat_count: int = DEFAULT_FLAT_COUNT,
          flat_dev_count: int = DEFAULT_FLAT_DEV_COUNT, max_steps: int | None = None,
          eval_frequency: int | None = None, build_dir: Path | None = None,
          config_path: Path = CONFIG_PATH, overrides: dict[str, Any] | None = None,
          extractors: Sequence[str] | None = None, init_from: Path | None = None,
          cell_repeats: int = 1, family_count: int = 0, family_dev_count: int = 0) -> Path:
    """examples → convert → train, all in `build_dir` (default models/build:
    examples/, corpus/, and the training in `output_dir`, default
    `build_dir`/training).  Returns `output_dir`/model-best."""
    build_dir = Path(build_dir) if build_dir is not None else BUILD_DIR
    output_dir = Path(output_dir) if output_dir is not None else build_dir / "training"
    refuse_shipped(output_dir)           # before a minute of building examples
    build_examples(build_dir / "examples", train_count, dev_count, flat_count, flat_dev_count, extra_examples,
                   extractors, cell_repeats, family_count, family_dev_count)
    convert(build_dir / "examples", build_dir / "corpus")
    return train_on_corpus(build_dir / "corpus", output_dir, seed=seed, max_steps=max_steps,
                           eval_frequency=eval_frequency, config_path=config_path, overrides=overrides,
                           init_from=init_from)


def train_on_corpus(corpus_dir: Path, output_dir: Path = TRAINING_DIR, *, seed: int = 0,
                    max_steps: int | None = None, eval_frequency: int | None = None,
                    config_path: Path = CONFIG_PATH, overrides: dict[str, Any] | None = None,
                    init_from: Path | None = None) -> Path:
    """Train with `config_path` on `corpus_dir`/{train,dev}.spacy into
    `output_dir`/{model-best,model-last}; returns model-best.  Their
    meta.json get `selfeval_training` (seed, example counts, settings).
    With `init_from` (a trained pipeline, e.g. models/pipeline) the tok2vec
    and ner start from its weights (spaCy's `source`) instead of random
    ones: a retraining on new material that needs far fewer steps."""
    corpus_dir, output_dir = Path(corpus_dir), Path(output_dir)
    refuse_shipped(output_dir)
    missing = [str(corpus_dir / name) for name in (TRAIN_SPACY, DEV_SPACY) if not (corpus_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(f"no corpus: {', '.join(missing)} missing (run the convert step first: "
                                "python -m models.convert)")
    settings: dict[str, Any] = {
        "paths.train": str(corpus_dir / TRAIN_SPACY),
        "paths.dev": str(corpus_dir / DEV_SPACY),
        "system.seed": seed,
    }
    if max_steps is not None:
        settings["training.max_steps"] = max_steps
    if eval_frequency is not None:
        settings["training.eval_frequency"] = eval_frequency
    settings.update(overrides or {})

    output_dir.mkdir(parents=True, exist_ok=True)
    for name in TRAINED_FOLDERS:          # a stale model-best must not outlive this run
        if (output_dir / name).exists():
            shutil.rmtree(output_dir / name)
    started = time.monotonic()
    _run_spacy_training(Path(config_path), output_dir, settings, init_from)
    seconds = time.monotonic() - started
    training = _training_record(corpus_dir, seed, settings, seconds)
    if init_from is not None:
        training["initialised_from"] = _describe_source(Path(init_from))
    for name in TRAINED_FOLDERS:
        if (output_dir / name / "meta.json").is_file():
            _stamp_meta(output_dir / name / "meta.json", training)
    best = output_dir / "model-best"
    performance = _performance(best)
    log.info("trained in %.0f s: %s%s", seconds, best,
             f" (dev ents_f {performance:.3f})" if performance is not None else "")
    return best


def _describe_source(folder: Path) -> str:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        return f"{folder.name} ({meta.get('name')} {meta.get('version')})"
    except (OSError, ValueError, AttributeError):
        return folder.name


def _run_spacy_training(config_path: Path, output_dir: Path, settings: dict[str, Any],
                        init_from: Path | None = None) -> None:
    """What `spacy train` does, with spaCy's console output (the progress
    table) logged line by line instead of printed on stdout."""
    from spacy import util
    from spacy.cli._util import show_validation_error
    from spacy.training.initialize import init_nlp
    from spacy.training.loop import train as train_nlp

    with show_validation_error(config_path):
        config = util.load_config(config_path, overrides=settings, interpolate=False)
    if init_from is not None:
        if not (Path(init_from) / "meta.json").is_file():
            raise FileNotFoundError(f"{init_from}: no trained pipeline to start from")
        for component in ("tok2vec", "ner"):
            config["components"][component] = {"source": str(Path(init_from).resolve())}
        log.info("tok2vec and ner start from the weights of %s", init_from)
    training = config["training"]
    log.info("initializing the pipeline of %s (seed %s) …", config_path.name, settings.get("system.seed"))
    with show_validation_error(config_path, hint_fill=False):
        nlp = init_nlp(config, use_gpu=-1)
    steps = settings.get("training.max_steps", training.get("max_steps"))
    every = settings.get("training.eval_frequency", training.get("eval_frequency"))
    log.info("training %s into %s: up to %s steps, dev scores every %s steps (E = epoch, # = step)",
             nlp.pipe_names, output_dir, steps, every)
    console = LogLines(log)
    try:
        train_nlp(nlp, output_dir, use_gpu=-1, stdout=console, stderr=console)
    finally:
        console.close()


class LogLines(io.TextIOBase):
    """A text stream whose lines become log records (escape sequences of
    colour taken out, empty lines dropped)."""

    _ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

    def __init__(self, target: logging.Logger, level: int = logging.INFO):
        super().__init__()
        self.target, self.level, self._pending = target, level, ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = re.split(r"\r\n|\r|\n", self._pending)
        for line in lines:
            self._emit(line)
        return len(text)

    def close(self) -> None:
        if self._pending:
            self._emit(self._pending)
            self._pending = ""
        super().close()

    def _emit(self, line: str) -> None:
        line = self._ANSI.sub("", line).rstrip()
        if line.strip():
            self.target.log(self.level, "%s", line)


def _training_record(corpus_dir: Path, seed: int, settings: dict[str, Any], seconds: float) -> dict[str, Any]:
    stats_path = corpus_dir / STATS_JSON
    stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.is_file() else {}
    examples = stats.get("examples", {})
    train_set, dev_set = examples.get("train", {}), examples.get("dev", {})
    return {
        "seed": seed,
        "train_examples": train_set.get("examples", stats.get("train", {}).get("docs")),
        "train_docs": stats.get("train", {}).get("docs"),          # with the deviation cells repeated
        "train_skipped": train_set.get("skipped"),
        "train_spans_misaligned": stats.get("train", {}).get("misaligned"),
        "dev_examples": dev_set.get("examples", stats.get("dev", {}).get("docs")),
        "dev_skipped": dev_set.get("skipped"),
        "dev_spans_misaligned": stats.get("dev", {}).get("misaligned"),
        "flat_examples": train_set.get("flat"),
        "extra_examples": train_set.get("extra"),
        "labels": train_set.get("labels"),
        "overrides": {k: v for k, v in settings.items() if not k.startswith("paths.")},
        "train_seconds": round(seconds, 1),
    }


def _stamp_meta(path: Path, training: dict[str, Any]) -> None:
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["name"] = PIPELINE_NAME          # the version stays spaCy's 0.0.0 until `promote` ships it
    meta["selfeval_training"] = training
    path.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _performance(folder: Path) -> float | None:
    try:
        return float(json.loads((folder / "meta.json").read_text(encoding="utf-8"))["performance"]["ents_f"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m models.train",
        description="Train the form-field tagger into the build folder (models/build/training); "
                    "`python -m models.promote` ships it as models/pipeline.")
    parser.add_argument("--output", type=Path, default=None,
                        help="training folder for model-best and model-last (default: BUILD/training, "
                             "models/build/training); never models/pipeline")
    parser.add_argument("--build", type=Path, default=BUILD_DIR,
                        help="build folder for examples/ and corpus/ (default models/build)")
    parser.add_argument("--corpus", type=Path, default=None,
                        help="train on DIR/train.spacy and DIR/dev.spacy as they are (the convert step's "
                             "output) instead of building examples and corpus first")
    add_count_options(parser)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-steps", type=int, default=None, help="override training.max_steps")
    parser.add_argument("--eval-frequency", type=int, default=None, help="override training.eval_frequency")
    parser.add_argument("--learn-rate", type=float, default=None,
                        help="override training.optimizer.learn_rate (e.g. 0.0005 with --init-from)")
    parser.add_argument("--init-from", type=Path, default=None, metavar="PIPELINE",
                        help="start tok2vec and ner from this trained pipeline's weights (e.g. models/pipeline) "
                             "rather than from random ones")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    output = args.output if args.output is not None else args.build / "training"
    try:
        refuse_shipped(output)
    except ShippedPipelineError as exc:
        parser.error(str(exc))
    if args.corpus is not None:
        building = [flag for flag, value, default in (
            ("--train-count", args.train_count, DEFAULT_TRAIN_COUNT), ("--dev-count", args.dev_count, DEFAULT_DEV_COUNT),
            ("--flat-count", args.flat_count, DEFAULT_FLAT_COUNT),
            ("--flat-dev-count", args.flat_dev_count, DEFAULT_FLAT_DEV_COUNT),
            ("--with-reviews", args.with_reviews, None), ("--extractors", args.extractors, None),
            ("--cell-repeats", args.cell_repeats, DEFAULT_CELL_REPEATS),
            ("--family-count", args.family_count, 0), ("--family-dev-count", args.family_dev_count, 0))
            if value != default]
        if building:
            parser.error(f"{', '.join(building)}: these build the examples, which --corpus skips "
                         "(give them to python -m models.examples)")
    overrides = {"training.optimizer.learn_rate": args.learn_rate} if args.learn_rate is not None else None
    set_up_logging()
    started = time.monotonic()
    try:
        if args.corpus is not None:
            best = train_on_corpus(args.corpus, output, seed=args.seed, max_steps=args.max_steps,
                                   eval_frequency=args.eval_frequency, init_from=args.init_from,
                                   overrides=overrides)
        else:
            extra = reviews_or_exit(parser, args.with_reviews)
            kwargs: dict[str, Any] = dict(dev_count=args.dev_count, flat_count=args.flat_count,
                                          flat_dev_count=args.flat_dev_count, max_steps=args.max_steps,
                                          build_dir=args.build, extractors=args.extractors,
                                          init_from=args.init_from, cell_repeats=args.cell_repeats,
                                          family_count=args.family_count, family_dev_count=args.family_dev_count,
                                          overrides=overrides)
            if args.eval_frequency is not None:
                kwargs["eval_frequency"] = args.eval_frequency
            best = train(output, args.train_count, args.seed, extra or None, **kwargs)
    except FileNotFoundError as exc:
        parser.exit(1, f"{parser.prog}: {exc}\n")
    log.info("done in %.0f s; score %s with `selfeval models evaluate`, ship it with `selfeval models promote`",
             time.monotonic() - started, best)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
