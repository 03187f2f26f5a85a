"""The trained form-field tagger: it loads offline, splits deviation cells of
phrasings it never saw (where the rules alone do not), can be retrained (also
on reviewed corrections) into the build folder only, shows its training
progress on stderr, is shipped only by `promote`, and its converter reports
spans that do not align to tokens.  models/project.yml names the steps."""

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
    with caplog.at_level(logging.WARNING, logger="selfeval.models.convert"):
        docbin, stats = to_docbin(examples)
    assert stats.misaligned == 1 and stats.docs == 2 and stats.spans == 3
    assert "1 span(s) that do not align" in caplog.text and "更新设备" in caplog.text
    assert len(docbin) == 2


def test_an_extra_rows_text_is_missing_annotation_not_taught_as_no_field():
    """A closing row's value (目标未完成原因分析: 个别指标受疫情影响进度滞后。)
    reads as a cause but is no field of the record: it is NOT_ANNOTATED, and
    in the DocBin its tokens are missing (ent_iob 0), not outside (2), so
    training takes no loss there; a value inside a field's span, or of
    fewer than four characters (无), is left as it was."""
    from corpus.flat import NOT_ANNOTATED, not_annotated_spans
    from models.convert import blank_nlp, to_docbin

    text = "目标未完成原因分析\n\n个别指标受疫情影响进度滞后。\n\n说明\n\n无\n\n项目名称\n\n加强项目管理工程"
    name_at = text.index("加强项目管理工程")
    fields = [(name_at, len(text), "PROJECT_NAME")]
    record = {"extra": {"目标未完成原因分析": "个别指标受疫情影响 进度滞后。", "说明": "无", "备注": "加强项目管理"}}
    unannotated = not_annotated_spans(text, record, fields, 0, len(text))
    cause_at = text.index("个别")
    assert unannotated == [(cause_at, cause_at + len("个别指标受疫情影响进度滞后。"), NOT_ANNOTATED)]

    docbin, stats = to_docbin([(text, fields + unannotated)])
    assert (stats.spans, stats.unannotated) == (1, 1)
    doc = next(docbin.get_docs(blank_nlp().vocab))
    iob = {token.i: token.ent_iob for token in doc}
    missing = [token.text for token in doc if iob[token.i] == 0]
    assert "".join(missing) == "个别指标受疫情影响进度滞后。"
    assert doc[0].ent_iob == 2 and [ent.label_ for ent in doc.ents] == ["PROJECT_NAME"]


def _digest(folder: Path) -> dict[str, bytes]:
    return {str(f.relative_to(folder)): f.read_bytes() for f in sorted(folder.rglob("*")) if f.is_file()}


def test_training_on_a_tiny_corpus_writes_the_build_folder_it_is_given(tmp_path):
    from models.examples import deviation_examples as examples_of
    from models.train import train, train_on_corpus

    shipped = _digest(DEFAULT_PIPELINE)
    extra = examples_of("train", 5, start=5000).examples
    build = tmp_path / "build"
    out = train(build / "training", train_count=40, seed=0, extra_examples=extra, dev_count=10,
                flat_count=0, flat_dev_count=0, max_steps=6, eval_frequency=3, build_dir=build)
    assert out == build / "training" / "model-best"
    for step_output in ("examples/train.jsonl", "examples/dev.jsonl", "examples/stats.json",
                        "corpus/train.spacy", "corpus/dev.spacy", "corpus/stats.json",
                        "training/model-best/meta.json", "training/model-last/meta.json"):
        assert (build / step_output).is_file(), step_output
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["selfeval_training"]["train_examples"] == 45
    assert meta["selfeval_training"]["extra_examples"] == 5
    assert meta["selfeval_training"]["overrides"] == {
        "system.seed": 0, "training.max_steps": 6, "training.eval_frequency": 3}
    import spacy

    nlp = spacy.load(out)
    assert nlp.pipe_names == ["tok2vec", "ner"]
    assert set(nlp.get_pipe("ner").labels) >= {DEVIATION_CAUSE, IMPROVEMENT}
    nlp("设备老化。改进措施：更新设备。")

    # The project's train step (on the corpus the convert step wrote), with
    # the same seed, gives the same weights.
    again = train_on_corpus(build / "corpus", tmp_path / "again", seed=0, max_steps=6, eval_frequency=3)
    for part in ("tok2vec/model", "ner/model"):
        assert (out / part).read_bytes() == (again / part).read_bytes()
    assert _digest(DEFAULT_PIPELINE) == shipped            # training never touches models/pipeline


def test_training_refuses_to_write_the_shipped_pipeline(tmp_path, capsys):
    from models.train import ShippedPipelineError, main, train_on_corpus

    for target in (DEFAULT_PIPELINE, DEFAULT_PIPELINE / "model-best", DEFAULT_PIPELINE.parent):
        with pytest.raises(ShippedPipelineError):
            train_on_corpus(tmp_path, target)
    with pytest.raises(SystemExit) as refused:
        main(["--output", str(DEFAULT_PIPELINE)])
    assert refused.value.code == 2 and "promote" in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match="convert step"):
        train_on_corpus(tmp_path / "no-corpus", tmp_path / "training")


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    """build/examples and build/corpus of a handful of deviation cells."""
    from models.convert import convert
    from models.examples import build_examples

    build = tmp_path_factory.mktemp("build")
    stats = build_examples(build / "examples", train_count=12, dev_count=4, flat_count=0, flat_dev_count=0)
    assert stats["train"]["examples"] == 12 and stats["dev"]["examples"] == 4
    convert(build / "examples", build / "corpus")
    return build / "corpus"


def test_training_progress_goes_to_stderr_through_selfeval(tiny_corpus, tmp_path, capsys):
    """`selfeval models train` shows spaCy's progress table (epoch, step,
    losses, dev scores) on stderr, under selfeval.models.train; stdout
    stays empty."""
    from review.cli import main

    assert main(["models", "train", "--corpus", str(tiny_corpus), "--output", str(tmp_path / "training"),
                 "--max-steps", "4", "--eval-frequency", "2"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = [line for line in captured.err.splitlines() if line.startswith("selfeval.models.train: ")]
    table = [line.split(": ", 1)[1].split() for line in lines]
    assert ["E", "#", "LOSS", "TOK2VEC", "LOSS", "NER", "ENTS_F", "ENTS_P", "ENTS_R", "SCORE"] in table
    steps = [int(row[1]) for row in table if len(row) == 8 and row[0].isdigit()]
    assert steps == [0, 2, 4]
    assert "\x1b" not in captured.err                    # no colour escapes
    assert (tmp_path / "training" / "model-best" / "meta.json").is_file()


def test_training_progress_is_logged_when_run_as_a_module(tiny_corpus, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "models.train", "--corpus", str(tiny_corpus),
                           "--output", str(tmp_path / "training"), "--max-steps", "2", "--eval-frequency", "2"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "INFO selfeval.models.train: E    #" in done.stderr
    assert "INFO selfeval.models.train:   0       2" in done.stderr


def test_examples_round_trip_through_json_lines(tmp_path):
    from models.examples import ExampleSet, read_jsonl, write_jsonl

    examples = ExampleSet([("设备老化。明年将更新设备。", [(0, 5, DEVIATION_CAUSE), (5, 13, IMPROVEMENT)]),
                           ("无偏差。", [])], ["next_year", "cause_only"])
    write_jsonl(examples, tmp_path / "set.jsonl")
    again = read_jsonl(tmp_path / "set.jsonl")
    assert again.examples == examples.examples and again.phrasings == examples.phrasings
    (tmp_path / "bad.jsonl").write_text('{"text": "x"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        read_jsonl(tmp_path / "bad.jsonl")


# --------------------------------------------------------------------------
# promote: the only way into models/pipeline.
# --------------------------------------------------------------------------

def _small_pipeline(folder: Path, labels=(DEVIATION_CAUSE, IMPROVEMENT)) -> Path:
    import spacy

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    if labels is not None:
        ner = nlp.add_pipe("ner")
        for label in labels:
            ner.add_label(label)
    nlp.initialize()
    folder.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(folder)
    return folder


def test_promote_refuses_a_missing_or_broken_source(tmp_path):
    from models.promote import PromoteError, main, promote

    target = tmp_path / "pipeline"
    with pytest.raises(PromoteError, match="no trained pipeline"):
        promote(tmp_path / "missing", target)
    broken = tmp_path / "broken"
    broken.mkdir()
    with pytest.raises(PromoteError, match="not a spaCy pipeline"):
        promote(broken, target)
    (broken / "meta.json").write_text("{not json", encoding="utf-8")
    (broken / "config.cfg").write_text("[nlp]\nlang = \"zh\"\n", encoding="utf-8")
    with pytest.raises(PromoteError, match="does not load"):
        promote(broken, target)
    with pytest.raises(PromoteError, match="no ner"):
        promote(_small_pipeline(tmp_path / "no-ner", labels=None), target)
    with pytest.raises(PromoteError, match="IMPROVEMENT"):
        promote(_small_pipeline(tmp_path / "cause-only", labels=(DEVIATION_CAUSE,)), target)
    with pytest.raises(PromoteError, match="overlap"):
        promote(tmp_path / "cause-only", tmp_path / "cause-only" / "inner")
    assert not target.exists()
    with pytest.raises(SystemExit) as refused:
        main(["--source", str(tmp_path / "missing"), "--target", str(target)])
    assert refused.value.code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken", "cause-only", "no-ner"]   # nothing staged left


def test_promote_swaps_a_pipeline_into_the_target(tmp_path):
    import spacy

    from models.promote import PromoteError, promote

    source = _small_pipeline(tmp_path / "model-best")
    target = tmp_path / "models" / "pipeline"
    # The current pipeline: its name and version are kept, its files replaced.
    _small_pipeline(target, labels=(DEVIATION_CAUSE, IMPROVEMENT, "GRADE"))
    meta = json.loads((target / "meta.json").read_text(encoding="utf-8"))
    meta.update(name="selfeval_fields", version="0.2.0")
    (target / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    (target / "stale.txt").write_text("from the old pipeline", encoding="utf-8")

    with pytest.raises(PromoteError, match="GRADE"):         # it would lose a label
        promote(source, target)
    assert (target / "stale.txt").exists()
    assert promote(source, target, allow_fewer_labels=True) == target
    assert not (target / "stale.txt").exists()
    meta = json.loads((target / "meta.json").read_text(encoding="utf-8"))
    assert (meta["name"], meta["version"]) == ("selfeval_fields", "0.2.0")
    assert "MODEL_CARD" in meta["description"]
    assert spacy.load(target).get_pipe("ner").labels == (DEVIATION_CAUSE, IMPROVEMENT)
    assert sorted(p.name for p in target.parent.iterdir()) == ["pipeline"]   # no staging folder left
    assert json.loads((source / "meta.json").read_text(encoding="utf-8"))["name"] == "pipeline"  # source as it was

    promote(source, target, "0.3.0")
    assert json.loads((target / "meta.json").read_text(encoding="utf-8"))["version"] == "0.3.0"
    # Into a folder that does not exist yet: name and version of the card.
    fresh = promote(source, tmp_path / "fresh" / "pipeline")
    meta = json.loads((fresh / "meta.json").read_text(encoding="utf-8"))
    assert (meta["name"], meta["version"]) == ("selfeval_fields", "0.2.0")


def test_promote_keeps_the_old_pipeline_when_the_swap_fails(tmp_path, monkeypatch):
    import models.promote as promoting

    source = _small_pipeline(tmp_path / "model-best")
    target = _small_pipeline(tmp_path / "pipeline")
    (target / "old.txt").write_text("old", encoding="utf-8")
    renames = []
    real_rename = os.rename

    def failing_rename(src, dst):
        renames.append((Path(src).name, Path(dst).name))
        if len(renames) == 2:                   # the new folder into place
            raise OSError("disk trouble")
        real_rename(src, dst)

    monkeypatch.setattr(promoting.os, "rename", failing_rename)
    with pytest.raises(OSError, match="disk trouble"):
        promoting.promote(source, target)
    assert (target / "old.txt").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model-best", "pipeline"]


# --------------------------------------------------------------------------
# models/project.yml
# --------------------------------------------------------------------------

STEPS = ["examples", "convert", "train", "evaluate", "promote"]


def _project():
    import srsly
    from weasel.schemas import ProjectConfigSchema, validate
    from weasel.util.config import substitute_project_variables
    from weasel.util.validation import validate_project_commands

    from models.layout import PROJECT_FILE

    config = srsly.read_yaml(PROJECT_FILE)
    assert validate(ProjectConfigSchema, config) == []
    validate_project_commands(config)            # exits on a bad workflow
    return substitute_project_variables(config)


def test_the_project_names_the_five_steps_with_their_inputs_and_outputs():
    import importlib
    import shlex

    from models.layout import MODELS_DIR

    project = _project()
    commands = {c["name"]: c for c in project["commands"]}
    assert list(commands) == STEPS
    assert project["workflows"]["all"] == STEPS[:4]      # promote is run by hand, after reading the scores
    produced: set[str] = set()
    for name in STEPS:
        command = commands[name]
        assert command["deps"] and command["outputs"], name
        for dep in command["deps"]:
            assert dep in produced or (MODELS_DIR / dep).exists(), (name, dep)
        assert f"{name}.py" in command["deps"]
        for output in command["outputs"]:
            inside_build = Path(output).parts[0] == "build"
            assert inside_build or (name == "promote" and output == "pipeline"), (name, output)
            produced.add(output)
        # Each script is `python -m models.<step>` with options the step takes.
        (script,) = command["script"]
        argv = shlex.split(script)
        assert argv[:3] == ["python", "-m", f"models.{name}"], script
        step = importlib.import_module(f"models.{name}")
        step.build_parser().parse_args(argv[3:])
    assert commands["train"]["outputs"] == ["build/training/model-best", "build/training/model-last"]
    assert "build/training/model-best" in commands["promote"]["deps"]
    assert (MODELS_DIR / "pipeline" / "meta.json").is_file()
    # The generated folders and the project's lock file stay out of git.
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/models/build/" in ignored and "/models/project.lock" in ignored
    for directory in project["directories"]:
        assert Path(directory).parts[0] == "build", directory


def test_evaluate_scores_the_build_s_model_best_by_default(tmp_path, monkeypatch, capsys):
    import models.evaluate as evaluating

    monkeypatch.setattr(evaluating, "BEST_DIR", tmp_path / "training" / "model-best")
    assert evaluating.default_pipeline() == evaluating.PIPELINE_DIR       # nothing trained yet
    _small_pipeline(tmp_path / "training" / "model-best")
    assert evaluating.default_pipeline() == tmp_path / "training" / "model-best"
    with pytest.raises(SystemExit) as missing:
        evaluating.main(["--pipeline", str(tmp_path / "none")])
    assert missing.value.code == 1 and "train step" in capsys.readouterr().err


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
    """What `review.store.ReviewStore.reviewed_forms()` yields: (record with the
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
    with caplog.at_level(logging.WARNING, logger="selfeval.models.examples"):
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
    monkeypatch.setattr("review.store.ReviewStore.open", lambda path, **_: _ContextStore([(_record(cell), {
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


# --------------------------------------------------------------------------
# Flat text of every extractor and style; held-out styles kept out.
# --------------------------------------------------------------------------

def test_flat_examples_carry_style_and_extractor_and_keep_held_out_styles_out(tmp_path):
    from corpus.render import HELD_OUT_STYLES, TUNING_STYLES
    from models.examples import flat_examples, read_jsonl, write_jsonl

    extractors = ("content-order", "pdfplumber", "web-table")
    examples = flat_examples("dev", 10, extractors)
    metas = examples.metadata()
    assert {m["extractor"] for m in metas} == set(extractors)
    assert len({m["style"] for m in metas}) == 1 and metas[0]["style"] in TUNING_STYLES
    assert set(examples.alignment) == set(extractors)
    # one-line cells align in pdfplumber's interleaved rows, multi-line ones do not
    assert examples.alignment["pdfplumber"]["missed"] > examples.alignment["web-table"]["missed"]
    for (text, spans), meta in zip(examples.examples, metas):
        for start, end, _ in spans:
            if meta["extractor"] in ("pdfplumber", "web-table"):
                assert "\n" not in text[start:end]
    write_jsonl(examples, tmp_path / "flat.jsonl")
    again = read_jsonl(tmp_path / "flat.jsonl")
    assert again.examples == examples.examples and again.metadata() == metas
    for split in ("train", "dev"):
        with pytest.raises(ValueError):
            flat_examples(split, 10, extractors, styles=HELD_OUT_STYLES[:1])


def test_contiguous_alignment_of_interleaved_rows():
    from corpus.flat import align_contiguous

    text = "名称 监测站点数量 ≥98(个) 6.00\n信息公开 公开出版并分发至 达成指标 27.00\n共享 相关部门参阅。\n"
    values = [("INDICATOR_NAME", "监测站点数量"), ("TARGET", "≥98(个)"), ("WEIGHT", "6.00"),
              ("INDICATOR_NAME", "信息公开共享"), ("TARGET", "公开出版并分发至相关部门参阅。"),
              ("ACTUAL", "达成指标"), ("WEIGHT", "27.00")]
    spans, missed = align_contiguous(text, values, "pdfplumber")
    assert [text[s:e] for s, e, _ in spans] == ["监测站点数量", "≥98(个)", "6.00", "达成指标", "27.00"]
    assert missed == 2
    # a pdfminer text box keeps a wrapped value together
    box = "信息公开共享\n\n公开出版并分发至\n相关部门参阅。\n\n达成指标\n"
    spans, missed = align_contiguous(box, values[3:6], "pdfminer")
    assert missed == 0 and [label for _, _, label in spans] == ["INDICATOR_NAME", "TARGET", "ACTUAL"]


def test_a_form_whose_values_do_not_all_align_can_be_left_out_whole():
    """A value the text does not hold as written is left out of the spans;
    with `whole_forms_only` (family examples) the form gives no example at
    all, so its unlabelled text does not teach that the value is no field."""
    from corpus.flat import _with_text, file_examples
    from corpus.render import FormStyle
    from extract.checks.second_opinion import form_text, model_text

    printed = synth.generate_forms("train", 1)[0]
    record = {**_with_text(printed, model_text), "title": None}
    text = form_text(printed).text
    name = record["indicators"][0]["name"]
    garbled = text.replace(name, name[:2] + "某" + name[2:], 1)
    for body, missed in ((text, 0), (garbled, 1)):
        for whole in (False, True):
            stats = {"aligned": 0, "missed": 0}
            examples = file_examples(body, [record], [FormStyle()], "content-order", stats, whole_forms_only=whole)
            assert stats["missed"] == missed
            assert len(examples) == (0 if missed and whole else 1)
            assert stats.get("forms_skipped", 0) == (1 if missed and whole else 0)


def test_the_content_order_text_finds_the_text_columns_of_any_width(tmp_path):
    import pdfplumber

    from corpus.flat import _detect_text_columns, _text_columns_x0, rendered_files
    from corpus.render import STYLES

    path, _, styles, name = next(rendered_files("eval", 2, tmp_path, ("zenhei-12-thick",)))
    assert name == "zenhei-12-thick" and styles[0].typesetting == STYLES[name]
    with pdfplumber.open(str(path)) as pdf:
        page = pdf.pages[0]
        words = page.extract_words(use_text_flow=True, keep_blank_chars=True)
        rects = [(r["x0"], r["top"], r["x1"], r["bottom"]) for r in page.rects]
        found = _detect_text_columns(words, rects)
    assert found == _text_columns_x0(STYLES[name].columns) != _text_columns_x0()
