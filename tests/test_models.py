"""The trained form-field tagger: it loads offline, splits deviation cells of
phrasings it never saw (where the rules alone do not), can be retrained (also
on reviewed corrections), and its converter reports spans that do not align
to tokens."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from corpus import synth
from extract.parse.tagger import DEFAULT_PIPELINE, optional_tagger, has_label_marker, load_tagger, split_deviation_with_model
from extract.parse.values import normalise_for_compare
from models.evaluate import compare_splits, evaluate
from models.examples import DEVIATION_CAUSE, IMPROVEMENT, deviation_examples, locate_deviation, reviewed_examples

REPO = Path(__file__).resolve().parent.parent

def _fold(text: str | None) -> str | None:
    return None if text is None else normalise_for_compare(text)


def test_the_shipped_pipeline_loads_and_tags_without_network():
    script = textwrap.dedent(f"""
        import json, socket, sys
        def _no_network(*args, **kwargs):
            raise OSError("network access attempted")
        class _NoSocket(socket.socket):
            def __init__(self, *args, **kwargs):
                raise OSError("network access attempted")
        socket.socket = _NoSocket
        socket.create_connection = _no_network
        socket.getaddrinfo = _no_network
        import spacy
        nlp = spacy.load({str(DEFAULT_PIPELINE)!r})
        doc = nlp("受政府采购流程耗时较长影响，系统上线时间推迟。下一年度将提前启动采购程序，合理安排项目实施进度。")
        print(json.dumps([[e.start_char, e.end_char, e.label_] for e in doc.ents]))
    """)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    spans = json.loads(done.stdout.strip().splitlines()[-1])
    assert {label for _, _, label in spans} == {DEVIATION_CAUSE, IMPROVEMENT}


def test_the_tagger_is_loaded_once_per_process():
    assert load_tagger() is load_tagger(str(DEFAULT_PIPELINE))
    spans = load_tagger().tag("因部分设备老化导致运行稳定性有所下降，后续将加快老旧设备更新，提升系统可靠性。")
    assert [s.label for s in spans] == [DEVIATION_CAUSE, IMPROVEMENT]
    for span in spans:
        assert span.text and span.end > span.start
    # As the flat-text parser calls it: (start, end, label) triples.
    assert load_tagger()("设备老化。改进措施：更新设备。") == [
        (s.start, s.end, s.label) for s in load_tagger().tag("设备老化。改进措施：更新设备。")]
    assert optional_tagger() is load_tagger()
    assert optional_tagger("/nonexistent/pipeline") is None


HELD_OUT_CELLS = 280     # 40 per held-out phrasing, about


@pytest.fixture(scope="module")
def held_out():
    cells = deviation_examples("eval", HELD_OUT_CELLS, held_out_only=True)
    assert len(cells) == HELD_OUT_CELLS and cells.skipped == 0
    assert set(cells.phrasings) == set(synth.HELD_OUT_PHRASINGS)
    return cells


def test_the_model_splits_held_out_phrasings_that_the_rules_alone_do_not(held_out):
    """Cells whose turn to the measure (明年将, 拟于, 为此, 针对上述问题…),
    cause-only wording or measure-first order no training phrasing and no
    rule holds: F1 >= 0.95 per label for the model, as NER spans and as the
    split the extractor makes; the rules alone score lower."""
    spans = evaluate(DEFAULT_PIPELINE, held_out.examples)
    split = compare_splits(DEFAULT_PIPELINE, held_out.examples)
    for label in (DEVIATION_CAUSE, IMPROVEMENT):
        assert spans[label]["f"] >= 0.95, (label, spans[label])
        assert split["model"][label]["f"] >= 0.95, (label, split["model"][label])
        assert split["rules alone"][label]["f"] < split["model"][label]["f"] - 0.3, (label, split)
    assert split["rules alone"][IMPROVEMENT]["r"] == 0.0       # no held-out turn is a rule's


def test_each_held_out_phrasing_is_split_by_the_model(held_out):
    tagger = load_tagger()
    right: dict[str, list[bool]] = {}
    for (text, entities), phrasing in zip(held_out.examples, held_out.phrasings):
        assert not has_label_marker(text)
        gold = {label: text[s:e] for s, e, label in entities}
        cause, improvement = split_deviation_with_model(text, tagger)
        right.setdefault(phrasing, []).append(
            _fold(cause) == _fold(gold.get(DEVIATION_CAUSE)) and _fold(improvement) == _fold(gold.get(IMPROVEMENT)))
    for phrasing, cells in right.items():
        assert sum(cells) / len(cells) >= 0.85, (phrasing, sum(cells), len(cells))


def test_labels_stay_out_of_the_parts_and_rules_take_labelled_cells():
    tagger = load_tagger()
    cause, improvement = split_deviation_with_model("原因分析：供应商交付周期延长。整改措施：提前启动采购程序。", tagger)
    assert (cause, improvement) == ("供应商交付周期延长。", "提前启动采购程序。")
    assert split_deviation_with_model(None, tagger) == (None, None)
    assert split_deviation_with_model("  ", tagger) == (None, None)
    assert split_deviation_with_model("设备老化。", None) == ("设备老化。", None)


def test_examples_locate_cause_and_improvement_or_are_skipped():
    assert locate_deviation("原因：设备老化；措施：更新设备。", "设备老化", "更新设备。") == [
        (3, 7, DEVIATION_CAUSE), (11, 16, IMPROVEMENT)]
    assert locate_deviation("设备老化。", "设备陈旧", None) is None
    # A cell that opens with the measure; a part whose line break a reviewer dropped.
    assert locate_deviation("着力更新设备。出现偏差系设备老化所致。", "出现偏差系设备老化所致。", "着力更新设备。") == [
        (0, 7, IMPROVEMENT), (7, 19, DEVIATION_CAUSE)]
    assert locate_deviation("设备\n老化。更新设备。", "设备老化。", "更新设备。") == [
        (0, 6, DEVIATION_CAUSE), (6, 11, IMPROVEMENT)]
    with pytest.raises(ValueError):
        deviation_examples("train", 5, held_out_only=True)
    with pytest.raises(ValueError):                 # model selection does not see them either
        deviation_examples("dev", 5, held_out_only=True)


def test_the_converter_warns_about_spans_that_do_not_align(caplog):
    from models.convert import to_docbin

    examples = [
        ("设备老化。 更新设备。", [(0, 5, DEVIATION_CAUSE), (5, 11, IMPROVEMENT)]),   # starts on the space
        ("设备老化。更新设备。", [(0, 5, DEVIATION_CAUSE), (5, 10, IMPROVEMENT)]),
    ]
    with caplog.at_level(logging.WARNING, logger="models.convert"):
        docbin, stats = to_docbin(examples)
    assert stats.misaligned == 1 and stats.docs == 2 and stats.spans == 3
    assert "1 span(s) that do not align" in caplog.text and "更新设备" in caplog.text
    assert len(docbin) == 2


def test_training_on_a_tiny_corpus_gives_a_loadable_pipeline(tmp_path):
    from models.examples import deviation_examples as examples_of
    from models.train import train

    extra = examples_of("train", 5, start=5000).examples
    out = train(tmp_path / "pipeline", train_count=40, seed=0, extra_examples=extra, dev_count=10,
                flat_count=0, flat_dev_count=0, max_steps=6, eval_frequency=3, build_dir=tmp_path / "build")
    assert (out / "meta.json").exists()
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["selfeval_training"]["train_examples"] == 45
    assert meta["selfeval_training"]["extra_examples"] == 5
    import spacy

    nlp = spacy.load(out)
    assert nlp.pipe_names == ["tok2vec", "ner"]
    assert set(nlp.get_pipe("ner").labels) >= {DEVIATION_CAUSE, IMPROVEMENT}
    nlp("设备老化。改进措施：更新设备。")

    # The same seed gives the same weights.
    again = train(tmp_path / "again", train_count=40, seed=0, extra_examples=extra, dev_count=10,
                  flat_count=0, flat_dev_count=0, max_steps=6, eval_frequency=3, build_dir=tmp_path / "build2")
    for part in ("tok2vec/model", "ner/model"):
        assert (out / part).read_bytes() == (again / part).read_bytes()


class _FakeTagger:
    def __init__(self, spans):
        self.spans = spans

    def tag(self, text):
        from extract.parse.tagger import Span
        return [Span(s, e, label, text[s:e]) for s, e, label in self.spans]


def test_the_rules_keep_text_that_the_model_tags_as_neither_part():
    text = "部分设备老化。接下来将更新设备。"
    # The model finds the cause only: the rest would be lost, so the rules decide.
    assert split_deviation_with_model(text, _FakeTagger([(0, 7, DEVIATION_CAUSE)])) == (text, None)
    # Nothing found at all: the rules.
    assert split_deviation_with_model("设备老化。", _FakeTagger([])) == ("设备老化。", None)
    # Both parts found, only punctuation between them.
    assert split_deviation_with_model(text, _FakeTagger([(0, 7, DEVIATION_CAUSE), (7, 16, IMPROVEMENT)])) == (
        "部分设备老化。", "接下来将更新设备。")


class _FakeStore:
    """What `extract.store.Store.reviewed_forms()` yields: (record with the
    corrected values, the field paths a person reviewed)."""

    def __init__(self, forms):
        self.forms = forms

    def reviewed_forms(self):
        yield from self.forms


def _record(*indicators):
    return {"form_id": "f1", "source": {"file": "a.pdf"}, "indicators": [
        {"deviation": d, "deviation_cause": c, "improvement": i} for d, c, i in indicators]}


def test_reviewed_corrections_become_deviation_examples(caplog):
    record = _record(
        ("设备老化。明年将更新设备。", "设备老化。", "明年将更新设备。"),          # 0: cause reviewed
        ("采购延后。拟于6月底前完成。", "采购延后。", "拟于6月底前完成。"),        # 1: not reviewed
        ("着力优化流程。偏差系人手不足所致。", "偏差系人手不足所致。", "着力优化流程。"),  # 2: improvement reviewed
        ("需求变更。", "需求变更较多。", None),                                  # 3: does not align
        (None, None, None),                                                     # 4: no cell
        ("数据\n滞后。为此，将加强沟通。", "数据滞后。", "为此，将加强沟通。"),     # 5: line break dropped
    )
    reviewed = {"indicators[0].deviation_cause", "indicators[2].improvement", "indicators[3].deviation_cause",
                "indicators[4].improvement", "indicators[5].improvement", "indicators[1].score", "project_name",
                "indicators[9].improvement"}
    with caplog.at_level(logging.WARNING, logger="models.examples"):
        examples = reviewed_examples(_FakeStore([(record, reviewed), (_record(), set())]))
    assert examples.examples == [
        ("设备老化。明年将更新设备。", [(0, 5, DEVIATION_CAUSE), (5, 13, IMPROVEMENT)]),
        ("着力优化流程。偏差系人手不足所致。", [(0, 7, IMPROVEMENT), (7, 17, DEVIATION_CAUSE)]),
        ("数据\n滞后。为此，将加强沟通。", [(0, 6, DEVIATION_CAUSE), (6, 15, IMPROVEMENT)]),
    ]
    assert examples.phrasings == ["reviewed"] * 3
    assert examples.skipped == 3          # 3 (not in the cell), 4 (no cell), 9 (no such indicator)
    assert "indicators[3]" in caplog.text and "not found" in caplog.text


def test_train_takes_reviews_from_the_cli(tmp_path, monkeypatch, capsys):
    """`selfeval models train --with-reviews DB` reaches models.train, which
    reads the store's reviewed corrections into `extra_examples`."""
    import models.train as training
    from review.cli import main

    with pytest.raises(SystemExit) as missing:
        main(["models", "train", "--with-reviews", str(tmp_path / "none.db")])
    assert missing.value.code == 2 and "no such store" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()

    db = tmp_path / "store.db"
    db.write_bytes(b"")
    cell = ("设备老化。明年将更新设备。", "设备老化。", "明年将更新设备。")
    monkeypatch.setattr("extract.store.Store", lambda path: _ContextStore([(_record(cell), {
        "indicators[0].improvement"})]))
    seen = {}

    def fake_train(output, train_count, seed, extra_examples=None, **kwargs):
        seen.update(output=output, extra=extra_examples, **kwargs)
        return output

    monkeypatch.setattr(training, "train", fake_train)
    assert main(["models", "train", "--with-reviews", str(db), "--max-steps", "5",
                 "--output", str(tmp_path / "out")]) == 0
    assert seen["extra"] == [(cell[0], [(0, 5, DEVIATION_CAUSE), (5, 13, IMPROVEMENT)])]
    assert seen["max_steps"] == 5
    assert "1 reviewed deviation cell(s) added" in capsys.readouterr().err


class _ContextStore(_FakeStore):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None
