"""Training and evaluation examples of the form-field tagger; the first
step of the models/ project:

    python -m models.examples [--out models/build/examples] [--train-count 4000]
        [--dev-count 400] [--flat-count 600] [--flat-dev-count 100] [--with-reviews DB]

writes train.jsonl and dev.jsonl (one example a line: ``{"text", "entities",
"phrasing"}``) and stats.json (counts, skipped cells, labels) there.

An example is ``(text, [(start, end, label), ...])`` with character offsets
into `text`.  Two sources:

* deviation cells (偏差原因分析及改进措施) of the synthetic forms
  (`corpus.synth`): the cell's text, with its `deviation_cause` and
  `improvement` located inside it by exact substring search, labelled
  DEVIATION_CAUSE and IMPROVEMENT.  Cells whose parts cannot be located are
  skipped and counted.  Training uses the train split, evaluation the eval
  (or dev) split; `held_out_only=True` keeps only the phrasings that never
  occur in train (`corpus.synth.HELD_OUT_PHRASINGS`).
* flat-text examples of whole forms, from `corpus.flat.extractor_examples`
  when that module exists (it is optional: without it the tagger learns the
  deviation labels only): synthetic forms rendered in the tuning typesetting
  styles (`corpus.render.TUNING_STYLES`, one per file), each form in the flat
  text of every extractor of `corpus.extractors.FLAT_EXTRACTORS`
  (content-order, pdfplumber, pdfminer, pdftotext, web-table), with the
  values that lie contiguous in that text as spans (the others are counted
  and warned about).  Each example's metadata names its `style` and
  `extractor`.  The held-out styles (`corpus.render.HELD_OUT_STYLES`) are
  never rendered for training or dev: `held_out_style_examples` gives the
  eval split in each of them, for `models.evaluate`.
* reviewed corrections (`reviewed_examples`): deviation cells whose
  `deviation_cause` or `improvement` a person reviewed in the store, with
  the corrected parts located in the cell.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence

from corpus import synth
from corpus.extractors import FLAT_EXTRACTORS
from corpus.render import HELD_OUT_STYLES, TUNING_STYLES
from extract.model import FieldPath
from models.layout import DEV_JSONL, EXAMPLES_DIR, STATS_JSON, TRAIN_JSONL, logger, start_step

log = logger("examples")

Entity = tuple[int, int, str]
Example = tuple[str, list[Entity]]

DEVIATION_CAUSE = "DEVIATION_CAUSE"
IMPROVEMENT = "IMPROVEMENT"
DEVIATION_LABELS = (DEVIATION_CAUSE, IMPROVEMENT)

# Forms are drawn in chunks until enough deviation cells are found.
_FORMS_PER_CHUNK = 200
_MAX_FORMS = 200_000


def _load_flat() -> Callable[..., list[Any]] | None:
    """`corpus.flat.extractor_examples` (or the older `flat_text_examples`),
    or None where it does not (yet) exist."""
    try:
        from corpus import flat  # noqa: PLC0415 - optional module
    except ImportError:
        return None
    except Exception as exc:  # a half-written module must not break training
        log.warning("corpus.flat cannot be imported (%s: %s); flat-text examples left out",
                    type(exc).__name__, exc)
        return None
    function = getattr(flat, "extractor_examples", None) or getattr(flat, "flat_text_examples", None)
    return function if callable(function) else None


_flat_text_examples = _load_flat()
FLAT_AVAILABLE = _flat_text_examples is not None


@dataclass
class ExampleSet:
    """Examples with what was left out on the way."""

    examples: list[Example] = field(default_factory=list)
    phrasings: list[str] = field(default_factory=list)   # per example, "flat" for flat text
    skipped: int = 0                                      # cells whose parts were not found
    skipped_samples: list[str] = field(default_factory=list)
    # per example: {"style", "extractor"} of a flat text ({} for a cell)
    meta: list[dict[str, str]] = field(default_factory=list)
    # per extractor: {"aligned", "missed"} values of the flat texts
    alignment: dict[str, dict[str, int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.examples)

    def metadata(self) -> list[dict[str, str]]:
        """Per example its metadata ({} where none was recorded)."""
        return self.meta + [{} for _ in range(len(self.examples) - len(self.meta))]

    def extend(self, other: "ExampleSet") -> None:
        self.meta = self.metadata()
        self.examples.extend(other.examples)
        self.phrasings.extend(other.phrasings)
        self.meta.extend(other.metadata())
        self.skipped += other.skipped
        self.skipped_samples.extend(other.skipped_samples[: max(0, 5 - len(self.skipped_samples))])
        for name, counts in other.alignment.items():
            mine = self.alignment.setdefault(name, {})
            for key, value in counts.items():
                mine[key] = mine.get(key, 0) + value


def locate_deviation(text: str, cause: str | None, improvement: str | None) -> list[Entity] | None:
    """The entities of one deviation cell, or None when a part is not in the text.

    The improvement is searched after the cause, so that a measure that
    repeats words of the cause is found in its own place; where it is not
    there, before it (a cell that opens with the measure).  A part that is
    not in the text verbatim is found with white space skipped (a reviewer's
    correction may drop a line break)."""
    entities: list[Entity] = []
    after = 0
    if cause:
        found = _find(text, cause)
        if found is None:
            return None
        after = found[1]
        entities.append((found[0], found[1], DEVIATION_CAUSE))
    if improvement:
        found = _find(text, improvement, after)
        if found is None and cause:
            found = _find(text, improvement, 0, entities[0][0])
        if found is None:
            return None
        entities.append((found[0], found[1], IMPROVEMENT))
    return sorted(entities)


def _find(text: str, part: str, start: int = 0, end: int | None = None) -> tuple[int, int] | None:
    """(start, end) of `part` in text[start:end], verbatim or with white space
    skipped on both sides; None when it is not there."""
    end = len(text) if end is None else end
    at = text.find(part, start, end)
    if at >= 0:
        return at, at + len(part)
    needle = "".join(part.split())
    if not needle:
        return None
    positions = [i for i in range(start, end) if not text[i].isspace()]
    at = "".join(text[i] for i in positions).find(needle)
    if at < 0:
        return None
    return positions[at], positions[at + len(needle) - 1] + 1


def deviation_examples(split: str, count: int, *, start: int = 0,
                       phrasings: Iterable[str] | None = None,
                       held_out_only: bool = False) -> ExampleSet:
    """Up to `count` deviation-cell examples of a split, forms taken in order
    from form `start`.  `phrasings` (or `held_out_only`) keeps only cells of
    those phrasing ids."""
    if held_out_only:
        phrasings = synth.HELD_OUT_PHRASINGS
    wanted = set(phrasings) if phrasings is not None else None
    if wanted is not None and split not in synth.SPLITS_WITH_HELD_OUT and wanted <= set(synth.HELD_OUT_PHRASINGS):
        raise ValueError(f"the {split} split holds no held-out phrasing")
    result = ExampleSet()
    form = start
    while len(result) < count and form - start < _MAX_FORMS:
        chunk = min(_FORMS_PER_CHUNK, synth.SPLIT_SIZE - form)
        if chunk <= 0:
            break
        for record, meta in synth.generate_forms_with_meta(split, chunk, form):
            for indicator, phrasing in zip(record["indicators"], meta["deviation_phrasings"]):
                text = indicator["deviation"]
                if not text or phrasing is None or (wanted is not None and phrasing not in wanted):
                    continue
                entities = locate_deviation(text, indicator["deviation_cause"], indicator["improvement"])
                if entities is None:
                    result.skipped += 1
                    if len(result.skipped_samples) < 5:
                        result.skipped_samples.append(text)
                    continue
                result.examples.append((text, entities))
                result.phrasings.append(phrasing)
                if len(result) >= count:
                    break
            if len(result) >= count:
                break
        form += chunk
    if result.skipped:
        log.warning("%d deviation cell(s) of %s skipped: cause/improvement not found in the text; first: %s",
                    result.skipped, split, result.skipped_samples)
    return result


def flat_examples(split: str, count: int, extractors: Sequence[str] | None = None,
                  styles: Sequence[str] | None = None) -> ExampleSet:
    """Flat-text examples from `corpus.flat`, or none where it is missing:
    `count` forms of `split` rendered in `styles` (default the tuning
    styles, one per file), each in the text of every one of `extractors`
    (default all of FLAT_EXTRACTORS), so up to count × extractors examples."""
    result = ExampleSet()
    if _flat_text_examples is None or count <= 0:
        return result
    held_out = set(styles or ()) & set(HELD_OUT_STYLES)
    if held_out and split != "eval":
        raise ValueError(f"held-out style(s) {sorted(held_out)} only in the eval split, not {split}")
    try:
        if _flat_text_examples.__name__ == "extractor_examples":
            produced = _flat_text_examples(split, count, extractors=extractors, style_names=styles)
            result.alignment = {name: dict(counts) for name, counts in
                                getattr(_flat_text_examples, "last_stats", {}).items()}
        else:                                     # the older corpus.flat: content-order only
            produced = [(text, spans, {"extractor": "content-order"}) for text, spans in
                        _flat_text_examples(split, count)]
    except Exception as exc:  # noqa: BLE001 - an optional source must not stop training
        log.warning("corpus.flat flat-text examples (%r, %d) failed (%s: %s); flat-text examples left out",
                    split, count, type(exc).__name__, exc)
        return result
    for text, entities, meta in produced:
        result.examples.append((text, [(int(s), int(e), str(label)) for s, e, label in entities]))
        result.phrasings.append("flat")
        result.meta.append({"style": str(meta.get("style", "")), "extractor": str(meta.get("extractor", ""))})
    return result


# The extractors whose text of a family form the values align in.  In
# pdfplumber's, pdftotext's and pdfminer's text the cells of the families'
# other column orders interleave, so that about 40% of the values (most
# deviation parts) would be left untagged: the model learnt to abstain on
# deviation cells it had tagged before.
FAMILY_EXTRACTORS = ("content-order", "web-table")


def family_flat_examples(split: str, count: int, extractors: Sequence[str] | None = None) -> ExampleSet:
    """`count` forms of `split` per tuning template family (`corpus.templates`),
    in the flat text of `extractors` (default FAMILY_EXTRACTORS) and as the
    second opinion writes them back (`corpus.flat.family_examples`); the
    held-out families never."""
    result = ExampleSet()
    if count <= 0:
        return result
    from corpus.flat import family_examples

    chosen = tuple(e for e in (extractors or FAMILY_EXTRACTORS) if e in FAMILY_EXTRACTORS)
    for text, entities, meta in family_examples(split, count, chosen):
        result.examples.append((text, [(int(s), int(e), str(label)) for s, e, label in entities]))
        result.phrasings.append("flat")
        result.meta.append({"style": f"family:{meta['family']}", "extractor": meta["extractor"]})
    for name, counts in getattr(family_examples, "last_stats", {}).items():
        mine = result.alignment.setdefault(f"family:{name}", {})
        for key, value in counts.items():
            mine[key] = mine.get(key, 0) + value
    return result


def held_out_style_examples(count: int, extractors: Sequence[str] | None = None) -> dict[str, ExampleSet]:
    """{held-out style: `count` eval-split forms typeset in it, in every
    extractor's flat text}: material no training or model selection sees."""
    return {style: flat_examples("eval", count, extractors, styles=(style,)) for style in HELD_OUT_STYLES}


def training_examples(train_count: int, flat_count: int = 0,
                      extra_examples: Sequence[Example] | None = None,
                      extractors: Sequence[str] | None = None, family_count: int = 0) -> ExampleSet:
    """The train split's deviation cells, flat-text forms (tuning styles,
    every extractor), forms of the tuning families and any extra (reviewed)
    examples."""
    result = deviation_examples("train", train_count)
    result.extend(flat_examples("train", flat_count, extractors))
    result.extend(family_flat_examples("train", family_count, extractors))
    if extra_examples:
        result.examples.extend((text, list(entities)) for text, entities in extra_examples)
        result.phrasings.extend(["extra"] * len(extra_examples))
    return result


def seen_phrasings() -> tuple[str, ...]:
    """The phrasing ids the train split uses (all but the held-out ones)."""
    return tuple(p for p in synth.DEVIATION_PHRASINGS if p not in synth.HELD_OUT_PHRASINGS)


def dev_examples(count: int, flat_count: int = 0, extractors: Sequence[str] | None = None,
                 family_count: int = 0) -> ExampleSet:
    """The dev split, used by spaCy to pick model-best.  Held-out phrasings
    are kept out of it too, so that not even model selection has seen them;
    the scores of the model card come from the eval split."""
    result = deviation_examples("dev", count, phrasings=seen_phrasings())
    result.extend(flat_examples("dev", flat_count, extractors))
    result.extend(family_flat_examples("dev", family_count, extractors))
    return result


def labels_of(examples: Iterable[Example]) -> list[str]:
    return sorted({label for _, entities in examples for _, _, label in entities})


# --------------------------------------------------------------------------
# Reviewed corrections.
# --------------------------------------------------------------------------

class ReviewSource(Protocol):
    """What `reviewed_examples` reads: `review.store.ReviewStore` offers it."""

    def reviewed_forms(self) -> Iterator[tuple[dict[str, Any], set[str]]]: ...


def reviewed_examples(source: ReviewSource) -> ExampleSet:
    """Deviation-cell examples from reviewed corrections.

    `source.reviewed_forms()` yields ``(record, reviewed_paths)``: the record
    with the corrected values, and the field paths a person reviewed
    (``indicators[3].deviation_cause``).  Each indicator with a reviewed
    `deviation_cause` or `improvement` gives one example: its `deviation`
    cell with both parts of the (corrected) record located in it.  An
    indicator whose parts are not in the cell (a correction that rewrote
    the text) is skipped with a warning and counted."""
    result = ExampleSet()
    for record, paths in source.reviewed_forms():
        indicators = record.get("indicators") or []
        reviewed = sorted({path.index for path in map(FieldPath.of, paths)
                           if path.key in ("deviation_cause", "improvement")})
        for index in reviewed:
            where = f"{record.get('form_id') or (record.get('source') or {}).get('file')} indicators[{index}]"
            if index >= len(indicators):
                _skip(result, where, "no such indicator")
                continue
            indicator = indicators[index]
            text = indicator.get("deviation")
            cause, improvement = indicator.get("deviation_cause"), indicator.get("improvement")
            if not text or not (cause or improvement):
                _skip(result, where, "no deviation cell, or neither part set")
                continue
            entities = locate_deviation(text, cause, improvement)
            if entities is None:
                _skip(result, where, f"parts not found in the cell {text[:40]!r}")
                continue
            result.examples.append((text, entities))
            result.phrasings.append("reviewed")
    return result


def _skip(result: ExampleSet, where: str, why: str) -> None:
    log.warning("reviewed deviation %s skipped: %s", where, why)
    result.skipped += 1
    if len(result.skipped_samples) < 5:
        result.skipped_samples.append(where)


# --------------------------------------------------------------------------
# The `examples` step: build the sets and write them as JSON lines.
# --------------------------------------------------------------------------

DEFAULT_TRAIN_COUNT = 4000     # deviation cells of the train split
DEFAULT_DEV_COUNT = 400        # deviation cells of the dev split (model selection)
DEFAULT_FLAT_COUNT = 200       # flat-text forms of the train split (× every extractor), where corpus.flat exists
DEFAULT_CELL_REPEATS = 3       # each training deviation cell written 3 times (weight next to flat text)
DEFAULT_FLAT_DEV_COUNT = 40    # flat-text forms of the dev split (model selection, × every extractor)


def examples_from_reviews(db: Path | str) -> ExampleSet:
    """Training examples from the reviewed corrections in the store at `db`."""
    from review.store import ReviewStore

    if not Path(db).is_file():
        raise FileNotFoundError(f"{db}: no such store")
    with ReviewStore.open(db) as store:
        reviewed = reviewed_examples(store)
    log.info("%s: %d reviewed deviation cell(s) as training examples, %d skipped",
             db, len(reviewed), reviewed.skipped)
    return reviewed


def write_jsonl(examples: ExampleSet, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    phrasings = examples.phrasings + [""] * (len(examples.examples) - len(examples.phrasings))
    with path.open("w", encoding="utf-8") as out:
        for (text, entities), phrasing, meta in zip(examples.examples, phrasings, examples.metadata()):
            row = {"text": text, "entities": [list(e) for e in entities], "phrasing": phrasing}
            row.update({key: meta[key] for key in ("style", "extractor") if meta.get(key)})
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> ExampleSet:
    """The examples `write_jsonl` wrote (skipped counts are in stats.json)."""
    result = ExampleSet()
    with Path(path).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                entities = [(int(s), int(e), str(label)) for s, e, label in row["entities"]]
                text = str(row["text"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not an example ({type(exc).__name__}: {exc})") from None
            result.examples.append((text, entities))
            result.phrasings.append(str(row.get("phrasing") or ""))
            result.meta.append({key: str(row[key]) for key in ("style", "extractor") if row.get(key)})
    return result


def _set_stats(examples: ExampleSet) -> dict[str, Any]:
    meta = examples.metadata()
    return {"examples": len(examples), "skipped": examples.skipped,
            "flat": examples.phrasings.count("flat"),
            "extra": examples.phrasings.count("extra"),
            "flat_by_extractor": dict(sorted(Counter(m["extractor"] for m in meta if m.get("extractor")).items())),
            "flat_by_style": dict(sorted(Counter(m["style"] for m in meta if m.get("style")).items())),
            "flat_values_by_extractor": examples.alignment,
            "labels": labels_of(examples.examples)}


def repeat_cells(examples: ExampleSet, times: int) -> ExampleSet:
    """The set with each deviation cell (not flat text, not extra) `times` times over."""
    if times <= 1:
        return examples
    out = ExampleSet(skipped=examples.skipped, skipped_samples=list(examples.skipped_samples),
                     alignment=examples.alignment)
    for example, phrasing, meta in zip(examples.examples, examples.phrasings, examples.metadata()):
        for _ in range(times if phrasing not in ("flat", "extra", "reviewed") else 1):
            out.examples.append(example)
            out.phrasings.append(phrasing)
            out.meta.append(meta)
    return out


def build_examples(out_dir: Path = EXAMPLES_DIR, train_count: int = DEFAULT_TRAIN_COUNT,
                   dev_count: int = DEFAULT_DEV_COUNT, flat_count: int = DEFAULT_FLAT_COUNT,
                   flat_dev_count: int = DEFAULT_FLAT_DEV_COUNT,
                   extra_examples: Sequence[Example] | None = None,
                   extractors: Sequence[str] | None = None, cell_repeats: int = 1,
                   family_count: int = 0, family_dev_count: int = 0) -> dict[str, Any]:
    """Write `out_dir`/train.jsonl, dev.jsonl and stats.json; returns the stats.
    Flat-text forms are rendered in the tuning styles only and given in the
    text of each of `extractors` (default every one of FLAT_EXTRACTORS).
    `cell_repeats` writes each training deviation cell that many times, so
    that the short cells keep their weight next to the long flat texts (a
    model fine-tuned on flat text alone forgets held-out turns such as 明年将)."""
    out_dir = Path(out_dir)
    started = time.monotonic()
    log.info("examples: %d deviation cells and %d flat-text forms of the train split%s …",
             train_count, flat_count, f", {len(extra_examples)} extra" if extra_examples else "")
    train_set = training_examples(train_count, flat_count, extra_examples, extractors, family_count)
    log.info("examples: %d of the dev split (%d deviation cells, %d flat-text forms) …",
             dev_count + flat_dev_count, dev_count, flat_dev_count)
    dev_set = dev_examples(dev_count, flat_dev_count, extractors, family_dev_count)
    if flat_count and not train_set.phrasings.count("flat"):
        log.warning("no flat-text examples: corpus.flat is missing or failed (see above); "
                    "the tagger learns the deviation labels only")
    write_jsonl(repeat_cells(train_set, cell_repeats), out_dir / TRAIN_JSONL)
    write_jsonl(dev_set, out_dir / DEV_JSONL)
    stats = {
        "requested": {"train_count": train_count, "dev_count": dev_count,
                      "flat_count": flat_count, "flat_dev_count": flat_dev_count,
                      "extractors": list(extractors or FLAT_EXTRACTORS), "styles": list(TUNING_STYLES),
                      "cell_repeats": cell_repeats, "family_count": family_count,
                      "family_dev_count": family_dev_count},
        "train": _set_stats(train_set),
        "dev": _set_stats(dev_set),
        "seconds": round(time.monotonic() - started, 1),
    }
    stats["train"]["extra"] = len(extra_examples or ())
    (out_dir / STATS_JSON).write_text(json.dumps(stats, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log.info("examples: %s: %d train (%d flat, %d extra, %d cells skipped), %d dev, in %.0f s",
             out_dir, len(train_set), stats["train"]["flat"], stats["train"]["extra"], train_set.skipped,
             len(dev_set), stats["seconds"])
    return stats


def _extractor_list(value: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = [name for name in names if name not in FLAT_EXTRACTORS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"{value!r}: extractors are {', '.join(FLAT_EXTRACTORS)}")
    return names


def add_count_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--train-count", type=int, default=DEFAULT_TRAIN_COUNT,
                        help=f"deviation cells of the train split (default {DEFAULT_TRAIN_COUNT})")
    parser.add_argument("--dev-count", type=int, default=DEFAULT_DEV_COUNT,
                        help=f"deviation cells of the dev split (default {DEFAULT_DEV_COUNT})")
    parser.add_argument("--flat-count", type=int, default=DEFAULT_FLAT_COUNT,
                        help=f"flat-text forms of the train split (default {DEFAULT_FLAT_COUNT})")
    parser.add_argument("--flat-dev-count", type=int, default=DEFAULT_FLAT_DEV_COUNT,
                        help=f"flat-text forms of the dev split (default {DEFAULT_FLAT_DEV_COUNT})")
    parser.add_argument("--family-count", type=int, default=0,
                        help="forms of the train split per tuning template family (default 0)")
    parser.add_argument("--family-dev-count", type=int, default=0,
                        help="forms of the dev split per tuning template family (default 0)")
    parser.add_argument("--extractors", type=_extractor_list, default=None, metavar="NAME[,NAME…]",
                        help=f"flat-text extractors to give each form in (default all: {', '.join(FLAT_EXTRACTORS)})")
    parser.add_argument("--cell-repeats", type=int, default=DEFAULT_CELL_REPEATS,
                        help=f"write each training deviation cell this many times (default {DEFAULT_CELL_REPEATS})")
    parser.add_argument("--with-reviews", metavar="DB", type=Path, default=None,
                        help="also train on the deviation cells whose cause/improvement a person reviewed "
                             "in this store (selfeval --db)")


def reviews_or_exit(parser: argparse.ArgumentParser, db: Path | None) -> list[Example]:
    """The examples of `--with-reviews DB` (none without it); a usage error
    (exit 2) for a store that is missing or unreadable."""
    if db is None:
        return []
    from extract.errors import StoreError

    try:
        reviewed = examples_from_reviews(db)
    except (OSError, StoreError) as exc:
        parser.error(f"--with-reviews: {exc}")
    print(f"{len(reviewed)} reviewed deviation cell(s) added to training, {reviewed.skipped} skipped",
          file=sys.stderr)
    return reviewed.examples


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m models.examples",
                                     description="Build the training and dev examples of the form-field tagger "
                                                 "(step 1 of models/project.yml).")
    parser.add_argument("--out", type=Path, default=EXAMPLES_DIR,
                        help="folder for train.jsonl, dev.jsonl, stats.json (default models/build/examples)")
    add_count_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = start_step(parser, argv)
    extra = reviews_or_exit(parser, args.with_reviews)
    build_examples(args.out, args.train_count, args.dev_count, args.flat_count, args.flat_dev_count, extra or None,
                   args.extractors, args.cell_repeats, args.family_count, args.family_dev_count)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
