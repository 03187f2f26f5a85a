from decimal import Decimal

import pytest

from extract.parse.values import Measure, clean_cell_text, normalise_for_compare, parse_measure, parse_number


@pytest.mark.parametrize("printed, expected", [
    # The contract's own table (FORM_RECORD.md, Values).
    ("=350.00(本)", ("=", Decimal("350"), "本")),
    ("≧735人次", ("≥", Decimal("735"), "人次")),
    ("≥10000.00(张)", ("≥", Decimal("10000"), "张")),
    (">=90%", ("≥", Decimal("90"), "%")),
    ("不超过100%", ("≤", Decimal("100"), "%")),
    ("95.00(null)", (None, Decimal("95"), "null")),
    ("100", (None, Decimal("100"), None)),
    ("好评率>95%", (None, None, None)),
    ("及时", (None, None, None)),
    ("4小时内完成", (None, None, None)),
    ("27429箱、2300卷、3000件", (None, None, None)),
    # The contract's other symbols (≦ ═, ﹦ by NFKC), and ⩾ ⩽ as some fonts print ≥ ≤.
    ("≦10个", ("≤", Decimal("10"), "个")),
    ("═5(份)", ("=", Decimal("5"), "份")),
    ("﹦5(份)", ("=", Decimal("5"), "份")),
    ("⩾90%", ("≥", Decimal("90"), "%")),
    ("⩽3(天)", ("≤", Decimal("3"), "天")),
    # Word operators, thousands separators, NFKC, bare units, white space.
    ("不低于 95 %", ("≥", Decimal("95"), "%")),
    ("少于3个", ("<", Decimal("3"), "个")),
    ("1,234.5(万元)", (None, Decimal("1234.5"), "万元")),
    ("＞９０％", (">", Decimal("90"), "%")),
    ("<=5(天)", ("≤", Decimal("5"), "天")),
    ("90百分比", (None, Decimal("90"), "百分比")),
    ("3天内", (None, None, None)),
    ("40-45期", (None, None, None)),
    ("", (None, None, None)),
    (None, (None, None, None)),
])
def test_parse_measure_follows_the_contract(printed, expected):
    assert parse_measure(printed) == Measure(*expected)


def test_parse_number_strips_separators_and_percent_and_keeps_digits_exact():
    assert parse_number("215,457.6") == Decimal("215457.6")
    assert parse_number("86.19%") == Decimal("86.19")
    assert str(parse_number("10.00")) == "10.00"
    for null in ("-", "—", "/", "", "  "):
        assert parse_number(null) is None


def test_parse_number_refuses_text_that_is_no_number():
    with pytest.raises(ValueError, match="not a number"):
        parse_number("达成指标")


def test_cell_text_rules():
    assert clean_cell_text("与上年度\n比，传播面\n更广") == "与上年度比，传播面更广"
    assert clean_cell_text("较 2022年持\n平") == "较2022年持平"
    assert clean_cell_text("培训会 3次") == "培训会3次"
    assert clean_cell_text("上海市科技创新服务中心（上\n海市科技成果档案资料馆）") == "上海市科技创新服务中心（上海市科技成果档案资料馆）"
    assert clean_cell_text("Web of\nScience") == "Web of Science"


def test_comparison_folding():
    assert normalise_for_compare("加强管理。") == normalise_for_compare("加强 管理")
    assert normalise_for_compare("（一）；") == "(一)"


def test_ocr_confusions_in_numeric_cells():
    assert parse_number("一") is None                 # a dash read as the character 一
    assert parse_number("1O.0O") == Decimal("10.00")
    assert parse_number("99。97") == Decimal("99.97")


def test_specks_ocr_reads_around_a_number_or_for_a_dash():
    assert parse_number("•") is None and parse_number("·") is None
    assert parse_number(".9.95") == Decimal("9.95")
    assert parse_number(". 5.00") == Decimal("5.00")
    assert parse_number("100.00.") == Decimal("100.00")
