"""Ship a trained pipeline as models/pipeline; the last step of the models/
project, and the only code that writes models/pipeline.

    python -m models.promote [--source models/build/training/model-best]
        [--target models/pipeline] [--version 0.3.0]
    selfeval models promote [...]

refuses a source that is missing, is not a loadable spaCy pipeline or has no
`ner` with the DEVIATION_CAUSE and IMPROVEMENT labels the extractor needs;
and one whose ner lacks labels the current target has (a run whose flat-text
examples were left out, say), unless `--allow-fewer-labels`.
It copies the source next to the target (same folder, so same file
system), sets meta.json's `name`, `version` and `description` (name and
version as the current target has them, or `--version`), loads the copy
once more, and swaps it in with two renames: the old folder is moved aside,
the new one into its place (the old one back if that fails), then the old
one is deleted.  The target is never half written.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Sequence

from models.layout import BEST_DIR, PIPELINE_DIR, is_within, logger, start_step, step_errors

log = logger("promote")

PIPELINE_NAME = "selfeval_fields"
PIPELINE_VERSION = "0.2.0"     # models/MODEL_CARD.md; where the target has no meta.json
DESCRIPTION = ("Tags fields of 财政项目支出绩效自评表 text: DEVIATION_CAUSE and IMPROVEMENT "
               "inside 偏差原因分析及改进措施 cells (and flat-text form fields where trained). "
               "See models/MODEL_CARD.md.")
REQUIRED_LABELS = ("DEVIATION_CAUSE", "IMPROVEMENT")


class PromoteError(Exception):
    """The source cannot be shipped (nothing was changed)."""


def check_pipeline(folder: Path) -> list[str]:
    """The NER labels of the spaCy pipeline in `folder`; PromoteError where
    it is missing, does not load, or lacks the labels the extractor needs."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PromoteError(f"{folder}: no trained pipeline there (run the train step first: "
                           "python -m models.train)")
    if not (folder / "meta.json").is_file() or not (folder / "config.cfg").is_file():
        raise PromoteError(f"{folder}: not a spaCy pipeline (no meta.json or config.cfg)")
    import spacy

    try:
        nlp = spacy.load(folder)
    except Exception as exc:  # noqa: BLE001 - whatever spaCy raises, the folder is not shippable
        raise PromoteError(f"{folder}: does not load as a spaCy pipeline ({type(exc).__name__}: {exc})") from exc
    if "ner" not in nlp.pipe_names:
        raise PromoteError(f"{folder}: has no ner component (pipeline {nlp.pipe_names})")
    labels = sorted(nlp.get_pipe("ner").labels)
    lacking = [label for label in REQUIRED_LABELS if label not in labels]
    if lacking:
        raise PromoteError(f"{folder}: its ner lacks the label(s) {', '.join(lacking)}")
    return labels


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def promote(source: Path | str = BEST_DIR, target: Path | str = PIPELINE_DIR,
            version: str | None = None, *, allow_fewer_labels: bool = False) -> Path:
    """Copy the pipeline in `source` into `target`, atomically; returns `target`."""
    source, target = Path(source), Path(target)
    if is_within(source, target) or is_within(target, source):
        raise PromoteError(f"{source} and {target} overlap: promote copies one folder into another")
    labels = check_pipeline(source)
    current = _read_meta(target / "meta.json")
    lost = sorted(set((current.get("labels") or {}).get("ner") or ()) - set(labels))
    if lost and not allow_fewer_labels:
        raise PromoteError(f"{source}: its ner lacks label(s) that {target} has: {', '.join(lost)} "
                           "(were the flat-text examples left out? --allow-fewer-labels to ship it anyway)")
    name = current.get("name") or PIPELINE_NAME
    version = version or current.get("version") or PIPELINE_VERSION

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.promote-", dir=target.parent))
    try:
        staged = staging / "new"
        shutil.copytree(source, staged)
        meta = _read_meta(staged / "meta.json")
        meta.update(name=name, version=version, description=DESCRIPTION)
        (staged / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        check_pipeline(staged)
        _swap(staged, target, staging / "old")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("promoted %s to %s (%s %s, %d labels)", source, target, name, version, len(labels))
    return target


def _swap(new: Path, target: Path, aside: Path) -> None:
    """`new` into the place of `target`, whose old content goes to `aside`
    (`new` and `aside` in a folder next to `target`: one file system, so
    each rename is atomic)."""
    moved = False
    if target.exists() or target.is_symlink():
        os.rename(target, aside)
        moved = True
    try:
        os.rename(new, target)
    except BaseException:
        if moved:
            os.rename(aside, target)
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m models.promote",
        description="Ship a trained pipeline as models/pipeline (step 5 of models/project.yml).")
    parser.add_argument("--source", type=Path, default=BEST_DIR,
                        help="the trained pipeline (default models/build/training/model-best)")
    parser.add_argument("--target", type=Path, default=PIPELINE_DIR,
                        help="the folder to replace (default models/pipeline, the one the extractor loads)")
    parser.add_argument("--version", default=None,
                        help="meta.json version (default: the target's current one); bump it with the model card")
    parser.add_argument("--allow-fewer-labels", action="store_true",
                        help="ship a pipeline whose ner lacks labels the current target has")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = start_step(parser, argv)
    with step_errors(parser, PromoteError, says="refused: "):
        out = promote(args.source, args.target, args.version, allow_fewer_labels=args.allow_fewer_labels)
    log.info("%s: update models/MODEL_CARD.md (version, scores) and commit it", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
