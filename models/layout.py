"""Where the steps of the models/ project read and write, and their logging.

The steps (models/project.yml), each runnable as ``python -m models.<step>``:

    examples  → build/examples/{train,dev}.jsonl, stats.json
    convert   → build/corpus/{train,dev}.spacy, stats.json
    train     → build/training/{model-best,model-last}
    evaluate  → the score tables (build/evaluation/scores.md from the project)
    promote   → build/training/model-best copied into pipeline/ (the shipped one)

`build/` is git-ignored.  Only `promote` writes `pipeline/`.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from pathlib import Path
from typing import Iterator, Sequence

MODELS_DIR = Path(__file__).resolve().parent
CONFIG_PATH = MODELS_DIR / "config.cfg"
PROJECT_FILE = MODELS_DIR / "project.yml"
PIPELINE_DIR = MODELS_DIR / "pipeline"       # shipped, committed; only `promote` writes it
BUILD_DIR = MODELS_DIR / "build"             # generated, git-ignored
EXAMPLES_DIR = BUILD_DIR / "examples"
CORPUS_DIR = BUILD_DIR / "corpus"
TRAINING_DIR = BUILD_DIR / "training"
BEST_DIR = TRAINING_DIR / "model-best"
EVALUATION_DIR = BUILD_DIR / "evaluation"

TRAIN_JSONL, DEV_JSONL = "train.jsonl", "dev.jsonl"
TRAIN_SPACY, DEV_SPACY = "train.spacy", "dev.spacy"
STATS_JSON = "stats.json"

LOGGER = "selfeval.models"


def logger(step: str) -> logging.Logger:
    """The logger of a step: ``selfeval.models.<step>``."""
    return logging.getLogger(f"{LOGGER}.{step}")


def set_up_logging() -> None:
    """What the steps' `main` calls: their progress (INFO) on stderr.

    Run as a module nobody has configured logging: a stderr handler goes on
    the root logger, which stays at WARNING (so spaCy's own INFO lines stay
    quiet).  Under `selfeval`, its handler is there already and it may have
    set the level of ``selfeval.models`` (-q, -v); only where nobody set it
    is it raised to INFO."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    ours = logging.getLogger(LOGGER)
    if ours.level == logging.NOTSET:
        ours.setLevel(logging.INFO)


def is_within(path: Path, folder: Path) -> bool:
    """`path` is `folder` or lies inside it (both resolved)."""
    path, folder = Path(path).resolve(), Path(folder).resolve()
    return path == folder or folder in path.parents


def start_step(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """A step's command line parsed, and its progress logging set up."""
    args = parser.parse_args(argv)
    set_up_logging()
    return args


@contextlib.contextmanager
def step_errors(parser: argparse.ArgumentParser, *kinds: type[BaseException], says: str = "") -> Iterator[None]:
    """A step's expected failures as one line and exit code 1, no traceback."""
    try:
        yield
    except kinds as exc:
        parser.exit(1, f"{parser.prog}: {says}{exc}\n")
