"""The trained form-field tagger: it loads offline, splits deviation cells of
phrasings it never saw, can be retrained, and its converter reports spans that
do not align to tokens."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from extract.ner import DEFAULT_PIPELINE, optional_tagger, has_label_marker, load_tagger, split_deviation_with_model
from extract.values import normalise_for_compare
from models.examples import DEVIATION_CAUSE, IMPROVEMENT, deviation_examples, locate_deviation

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


def test_deviation_cells_of_held_out_phrasings_split_as_the_contract_says():
    tagger = load_tagger()
    held_out = deviation_examples("eval", 100, held_out_only=True)
    assert len(held_out) == 100 and held_out.skipped == 0
    exact = 0
    for text, entities in held_out.examples:
        gold = {label: text[s:e] for s, e, label in entities}
        cause, improvement = split_deviation_with_model(text, tagger)
        exact += (_fold(cause) == _fold(gold.get(DEVIATION_CAUSE))
                  and _fold(improvement) == _fold(gold.get(IMPROVEMENT)))
    assert exact / len(held_out) >= 0.9


def test_the_model_alone_splits_the_unlabelled_held_out_phrasing():
    # 受…影响 … 下一年度将…: no label, and a turn the rules do not know.
    tagger = load_tagger()
    cells = deviation_examples("eval", 50, phrasings=["affected_next_year"])
    assert len(cells) == 50
    exact = 0
    for text, entities in cells.examples:
        assert not has_label_marker(text)
        gold = {label: text[s:e] for s, e, label in entities}
        cause, improvement = split_deviation_with_model(text, tagger)
        exact += cause == gold[DEVIATION_CAUSE] and improvement == gold[IMPROVEMENT]
    assert exact / len(cells) >= 0.9


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
    with pytest.raises(ValueError):
        deviation_examples("train", 5, held_out_only=True)


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
        from extract.ner import Span
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
