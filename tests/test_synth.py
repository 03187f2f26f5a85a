"""The synthetic form generator: deterministic, split-safe, and true to the contract."""

from __future__ import annotations

import re
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from corpus import synth
from corpus import vocabulary as vocab
from extract.layout.labels import CAUSE_LABELS, IMPROVEMENT_LABELS
from extract.model import (
    SCHEMA_VERSION,
    FUNDING_KEYS, FUNDING_ROW_KEYS, INDICATOR_KEYS, RECORD_KEYS, SOURCE_KEYS, dumps_record, loads_record,
)
from extract.checks.validate import SOFT_RULES, validate
from extract.parse.values import parse_measure

REPO = Path(__file__).resolve().parents[1]
EVAL_COUNT = 300
TRAIN_COUNT = 1000
LABELS = sorted(CAUSE_LABELS + IMPROVEMENT_LABELS, key=len, reverse=True)
PUNCTUATION = re.compile(r"[。；;，,：:\s]")


@pytest.fixture(scope="module")
def eval_forms():
    return synth.generate_forms_with_meta("eval", EVAL_COUNT)


@pytest.fixture(scope="module")
def train_forms():
    return synth.generate_forms_with_meta("train", TRAIN_COUNT)


def all_indicators(forms):
    for record, meta in forms:
        yield from zip(record["indicators"], meta["deviation_phrasings"])


# --- determinism and splits ------------------------------------------------

def test_same_seed_gives_identical_json():
    for seed in (0, 7, 2_000_123):
        assert dumps_record(synth.generate_form(seed)) == dumps_record(synth.generate_form(seed))


def test_different_seeds_differ():
    texts = {dumps_record(synth.generate_form(seed)) for seed in range(50)}
    assert len(texts) == 50


def test_generate_forms_uses_split_seeds():
    forms = synth.generate_forms("dev", 3, start=2)
    expected = [synth.generate_form(synth.SPLIT_SEEDS["dev"] + i) for i in (2, 3, 4)]
    assert [dumps_record(f) for f in forms] == [dumps_record(f) for f in expected]


def test_splits_are_disjoint():
    seeds = {split: set(synth.split_seeds(split, 1000)) for split in synth.SPLIT_SEEDS}
    splits = list(seeds)
    for i, a in enumerate(splits):
        for b in splits[i + 1:]:
            assert not seeds[a] & seeds[b]
    train = {dumps_record(r) for r in synth.generate_forms("train", 100)}
    evaluation = {dumps_record(r) for r in synth.generate_forms("eval", 100)}
    assert not train & evaluation


def test_split_seed_ranges_do_not_overlap():
    bases = sorted(synth.SPLIT_SEEDS.values())
    assert all(b - a >= synth.SPLIT_SIZE for a, b in zip(bases, bases[1:]))
    with pytest.raises(ValueError):
        synth.split_seeds("eval", synth.SPLIT_SIZE + 1)
    with pytest.raises(ValueError):
        synth.split_seeds("test", 1)


# --- shape --------------------------------------------------------------------

def test_every_contract_key_in_order(eval_forms):
    for record, _ in eval_forms:
        assert tuple(record) == RECORD_KEYS
        assert tuple(record["source"]) == SOURCE_KEYS
        assert record["source"] == {"file": None, "sha256": None, "pages": [], "kind": None}
        assert record["form_id"] is None
        assert record["schema_version"] == SCHEMA_VERSION == "1.1"
        assert tuple(record["funding"]) == FUNDING_KEYS
        for row in record["funding"].values():
            assert tuple(row) == FUNDING_ROW_KEYS
        assert 3 <= len(record["indicators"]) <= 16
        for indicator in record["indicators"]:
            assert tuple(indicator) == INDICATOR_KEYS


def test_field_types_and_ranges(eval_forms):
    for record, _ in eval_forms:
        assert 2019 <= record["year"] <= 2025
        for key in ("project_name", "department", "implementing_unit", "goal_expected", "goal_actual"):
            assert isinstance(record[key], str) and record[key] and "\n" not in record[key]
        total = record["funding"]["total"]
        assert Decimal("1.00") <= total["annual_budget"] <= Decimal("250000.00")
        for row in record["funding"].values():
            for key in ("initial_budget", "annual_budget", "executed", "execution_rate"):
                assert row[key].as_tuple().exponent == -2
            assert row["executed"] <= row["annual_budget"]
        for key in ("weight", "score"):
            assert record["funding"]["current_appropriation"][key] is None
            assert record["funding"]["carryover"][key] is None
            assert record["funding"]["other"][key] is None
        assert record["total_weight"] == Decimal("100.00")
        for indicator in record["indicators"]:
            assert 4 <= len(indicator["name"]) <= 25, indicator["name"]
            assert indicator["weight"].as_tuple().exponent == -2
            assert Decimal(0) <= indicator["score"] <= indicator["weight"]


def test_funding_total_is_sum_of_parts(eval_forms):
    for record, _ in eval_forms:
        funding = record["funding"]
        for key in ("initial_budget", "annual_budget", "executed"):
            parts = sum(funding[part][key] for part in ("current_appropriation", "carryover", "other"))
            assert funding["total"][key] == parts


def test_levels_are_consecutive_and_in_form_order(eval_forms):
    order = [(l1, l2) for l1, l2s in vocab.INDICATOR_LEVELS for l2, _, _ in l2s]
    for record, _ in eval_forms:
        pairs = [(i["level1"], i["level2"]) for i in record["indicators"]]
        positions = [order.index(p) for p in pairs]
        assert positions == sorted(positions)
        names = [(i["level2"], i["name"]) for i in record["indicators"]]
        assert len(names) == len(set(names))


def test_json_round_trip(eval_forms):
    for record, _ in eval_forms[:50]:
        text = dumps_record(record)
        assert dumps_record(loads_record(text)) == text


# --- the contract's arithmetic -----------------------------------------------

def test_passes_contract_arithmetic(eval_forms):
    for record, meta in eval_forms:
        hard = [f.to_dict() for f in validate(record) if f.rule not in SOFT_RULES]
        assert hard == [], (meta["seed"], hard)


def test_grades_vary(train_forms):
    grades = {record["grade"] for record, _ in train_forms}
    assert grades == {"优", "良", "中", "差"}
    excellent = sum(record["grade"] == "优" for record, _ in train_forms)
    assert excellent > TRAIN_COUNT * 0.7


def test_funding_varieties_occur(train_forms):
    totals = [record["funding"] for record, _ in train_forms]
    assert any(f["carryover"]["annual_budget"] > 0 for f in totals)
    assert any(f["other"]["annual_budget"] > 0 for f in totals)
    assert any(f["current_appropriation"]["annual_budget"] == 0 for f in totals)
    assert any(f["total"]["initial_budget"] != f["total"]["annual_budget"] for f in totals)
    assert {f["total"]["weight"] for f in totals} == {Decimal("5.00"), Decimal("10.00"), Decimal("20.00")}


# --- targets and actuals ---------------------------------------------------------

def test_target_and_actual_fields_come_from_parse_measure(eval_forms):
    for indicator, _ in all_indicators(eval_forms):
        target = parse_measure(indicator["target"])
        actual = parse_measure(indicator["actual"])
        assert (indicator["target_op"], indicator["target_value"], indicator["target_unit"]) == tuple(target)
        assert (indicator["actual_value"], indicator["actual_unit"]) == (actual.value, actual.unit)


def test_target_varieties_occur(train_forms):
    targets = {indicator["target"] for indicator, _ in all_indicators(train_forms)}
    ops = {indicator["target_op"] for indicator, _ in all_indicators(train_forms)}
    assert ops == {"=", "≥", ">", "≤", "<", None}
    for pattern in (r"^=\d+\.00\(.+\)$", r"^≥\d+\.00\(%\)$", r"^不超过\d+%$", r"^\d+\.00\(null\)$",
                    r"^\d+$", r"^\d+[^\d、]+、\d+", r"^及时$"):
        assert any(re.search(pattern, t) for t in targets), pattern


# --- deviations ----------------------------------------------------------------------

def strip_labels(text: str) -> str:
    for label in LABELS:
        text = text.replace(label, "")
    return PUNCTUATION.sub("", text)


def test_deviation_parts_reconstruct_the_cell(eval_forms):
    seen = 0
    for indicator, phrasing in all_indicators(eval_forms):
        if indicator["deviation"] is None:
            assert phrasing is None
            assert indicator["deviation_cause"] is None and indicator["improvement"] is None
            continue
        seen += 1
        assert phrasing in synth.DEVIATION_PHRASINGS
        cause, improvement = indicator["deviation_cause"], indicator["improvement"]
        assert cause and cause in indicator["deviation"]
        parts = [cause, improvement or ""]
        if improvement is not None:
            assert improvement in indicator["deviation"]
            if phrasing in vocab.IMPROVEMENT_FIRST:
                assert indicator["deviation"].startswith(improvement) and indicator["deviation"].endswith(cause)
                parts.reverse()
            else:
                assert indicator["deviation"].index(cause) < indicator["deviation"].rindex(improvement)
        assert strip_labels(indicator["deviation"]) == PUNCTUATION.sub("", "".join(parts))
        assert not cause.startswith(tuple(CAUSE_LABELS))
        assert not (improvement or "").startswith(tuple(IMPROVEMENT_LABELS))
    assert seen > 30


def test_deviation_phrasings_match_their_shape(train_forms):
    for indicator, phrasing in all_indicators(train_forms):
        deviation, improvement = indicator["deviation"], indicator["improvement"]
        measures = {a + m + "。" for ms in vocab.DEVIATION_MEASURES.values() for m in ms for a, _ in vocab.MEASURE_ADVERBS}
        turned = improvement is not None and any(improvement.endswith(m) and improvement != m for m in measures)
        if phrasing == "marker_improvement":
            assert any(f"。{label}" in deviation for label in IMPROVEMENT_LABELS)
        elif phrasing == "labelled_cause_measure":
            assert deviation.startswith(CAUSE_LABELS) and "；措施：" in deviation
        elif phrasing == "main_reason_turn":
            assert indicator["deviation_cause"].startswith("主要原因是") and turned
        elif phrasing in ("due_to_turn", "cause_turn", "cause_comma_turn", "affected_turn"):
            assert turned, improvement
        elif phrasing == "measure_first":
            assert deviation.startswith(improvement)
        elif phrasing == "cause_then_measure":
            assert improvement in measures
        elif phrasing in ("cause_only", "explanatory_note"):
            assert improvement is None
        if phrasing == "explanatory_note":
            assert indicator["score"] == indicator["weight"]
        elif phrasing is not None:
            assert indicator["score"] < indicator["weight"]


def test_held_out_phrasings_absent_from_train(train_forms, eval_forms):
    assert len(synth.HELD_OUT_PHRASINGS) >= 5
    assert set(synth.HELD_OUT_PHRASINGS) <= set(synth.DEVIATION_PHRASINGS)
    train_used = {p for _, p in all_indicators(train_forms)}
    eval_used = {p for _, p in all_indicators(synth.generate_forms_with_meta("eval", 1000))}
    dev_used = {p for _, p in all_indicators(synth.generate_forms_with_meta("dev", 500))}
    assert not train_used & set(synth.HELD_OUT_PHRASINGS)
    assert not dev_used & set(synth.HELD_OUT_PHRASINGS)      # model selection does not see them either
    assert set(synth.HELD_OUT_PHRASINGS) <= eval_used
    assert len(train_used - {None}) >= 10


def _texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def test_held_out_words_occur_in_no_training_text(train_forms):
    """Each held-out phrasing holds a word that no training phrasing, turn or
    text holds, and that the rules do not know either: a model can split it
    only by generalising."""
    from extract.layout.labels import IMPROVEMENT_TURNS

    words = synth.HELD_OUT_WORDS
    for _, _, variants in vocab.HELD_OUT_DEVIATION_PHRASINGS:
        for variant in variants:
            assert any(word in "".join(part or "" for part in variant) for word in words), variant
    # The templates and turn words of training, and the rule lists.
    training_templates = [part or "" for _, _, variants in vocab.DEVIATION_PHRASINGS + (vocab.EXPLANATORY_NOTE_PHRASING,)
                          for variant in variants for part in variant]
    training_templates += [t for t, _ in vocab.TURN_TIMES + vocab.TURN_LEADS + vocab.TURN_SUBJECTS + vocab.TURN_MODALS
                           + vocab.TURN_LEAD_PREPOSITIONS + vocab.TURN_LEAD_OBJECTS + vocab.MEASURE_ADVERBS]
    rule_words = IMPROVEMENT_TURNS + CAUSE_LABELS + IMPROVEMENT_LABELS
    for word in words:
        assert not [t for t in training_templates if word in t], word
        assert not [r for r in rule_words if word in r or r in word], word
    # Every text of 1000 train forms, and the deviation cells the model trains on.
    train_text = "\n".join(t for record, _ in train_forms for t in _texts(record))
    from models.examples import deviation_examples
    from models.train import DEFAULT_TRAIN_COUNT

    cells = deviation_examples("train", DEFAULT_TRAIN_COUNT)
    train_text += "\n".join(text for text, _ in cells.examples)
    for word in words:
        assert word not in train_text, word
    # The flat texts around them hold nothing else (form labels).
    from corpus.flat import flat_text_examples

    flat = "\n".join(text for text, _ in flat_text_examples("train", 2))
    assert not [word for word in words if word in flat]


def test_rewording_deviation_cells_leaves_the_other_fields_alone(monkeypatch):
    """The wording of a cell comes from a generator of its own: other turn
    words change the cells' text and nothing else of a form."""
    def without_cells(split):
        records = synth.generate_forms(split, 40)
        for record in records:
            for indicator in record["indicators"]:
                for key in ("deviation", "deviation_cause", "improvement"):
                    indicator[key] = indicator[key] is not None
        return [dumps_record(r) for r in records]

    before = {split: without_cells(split) for split in synth.SPLIT_SEEDS}
    monkeypatch.setattr(vocab, "TURN_TIMES", (("来日", 1),))
    monkeypatch.setattr(vocab, "MEASURE_ADVERBS", (("务必", 1),))
    assert {split: without_cells(split) for split in synth.SPLIT_SEEDS} == before
    assert "来日" in "".join(i["deviation"] or "" for r in synth.generate_forms("train", 40) for i in r["indicators"])


def test_seed_outside_splits_counts_as_train():
    used = {p for seed in range(300) for p in synth.generate_form_with_meta(seed)[1]["deviation_phrasings"]}
    assert not used & set(synth.HELD_OUT_PHRASINGS)


def test_every_indicator_name_fill_has_form_length():
    for entries in vocab.INDICATOR_NAMES.values():
        for template, kind, _ in entries:
            assert kind in synth.MEASURE_BUILDERS
            fills = [template]
            if "{pub}" in template:
                fills = [template.replace("{pub}", pub) for pub in vocab.PUBLICATIONS]
            if "{standard}" in template:
                fills = [template.replace("{standard}", std) for std in vocab.STANDARDS]
            for fill in fills:
                fill = fill.format(city="上海", year=2023)
                assert 4 <= len(fill) <= 25, fill


def test_most_deductions_explained(train_forms):
    short = [(i, p) for i, p in all_indicators(train_forms) if i["score"] < i["weight"]]
    explained = sum(i["deviation"] is not None for i, _ in short)
    assert len(short) > 100 and 0.75 < explained / len(short) < 1.0
    notes = [i for i, p in all_indicators(train_forms) if p == synth.EXPLANATORY_NOTE]
    assert notes


# --- speed and CLI -------------------------------------------------------------------

def test_thousand_forms_generate_fast():
    started = time.perf_counter()
    synth.generate_forms("train", 1000)
    assert time.perf_counter() - started < 3.0


def test_cli_prints_jsonl():
    result = subprocess.run(
        [sys.executable, "-m", "corpus.synth", "--split", "eval", "--count", "5"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    assert lines == [dumps_record(r) for r in synth.generate_forms("eval", 5)]


def test_output_does_not_depend_on_hash_seed():
    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run(
            [sys.executable, "-m", "corpus.synth", "--split", "train", "--count", "50", "--meta"],
            cwd=REPO, capture_output=True, text=True, check=True, env=env,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1
