import pytest

from extract.parse.deviation import split_deviation


@pytest.mark.parametrize("text, cause, improvement", [
    ("因国家反馈数据时间滞后导致出版物出版时间延后。改进措施：加强与国家数据中心的沟通。",
     "因国家反馈数据时间滞后导致出版物出版时间延后。", "加强与国家数据中心的沟通。"),
    ("原因：预算编制偏高；措施：加强预算管理。", "预算编制偏高；", "加强预算管理。"),
    ("偏差原因：设备老化。改进措施:及时更新设备。", "设备老化。", "及时更新设备。"),
    ("主要原因是项目延期。下一步将加快进度。", "主要原因是项目延期。", "下一步将加快进度。"),
    ("由于疫情导致延期，今后将加强管理。", "由于疫情导致延期，", "今后将加强管理。"),
    ("设备老化。", "设备老化。", None),
    (None, None, None),
    ("", None, None),
])
def test_split_deviation_by_rule(text, cause, improvement):
    assert split_deviation(text) == (cause, improvement)


def test_an_improvement_label_whose_colon_ocr_dropped_still_splits_after_a_sentence():
    assert split_deviation("设备老化。改进措施及时更新设备。") == ("设备老化。", "及时更新设备。")
    # Inside a sentence the words are text, not a label.
    assert split_deviation("落实改进措施不到位。") == ("落实改进措施不到位。", None)


def test_the_rules_alone_do_not_split_the_held_out_phrasings():
    """The held-out phrasings of the synthetic corpus turn to the measure in
    words the rules do not know, so only the model splits them
    (tests/test_models.py): by rule the measure stays part of the cause, or
    the cut falls in the wrong place.  Adding these words to extract.layout.labels
    would make that test moot."""
    from extract.checks.compare import fields_equal
    from extract.layout.labels import IMPROVEMENT_TURNS
    from corpus.synth import HELD_OUT_WORDS
    from models.examples import DEVIATION_CAUSE, IMPROVEMENT, deviation_examples

    assert not [w for w in HELD_OUT_WORDS for turn in IMPROVEMENT_TURNS if w in turn or turn in w]
    cells = deviation_examples("eval", 70, held_out_only=True)
    with_measure = 0
    for text, entities in cells.examples:
        gold = {label: text[s:e] for s, e, label in entities}
        got = split_deviation(text)
        right = fields_equal(gold[DEVIATION_CAUSE], got[0]) and fields_equal(gold.get(IMPROVEMENT), got[1])
        if IMPROVEMENT in gold:
            with_measure += 1
            assert not right, text
        else:
            assert right, text          # a cause only: nothing to split
    assert with_measure >= 50
