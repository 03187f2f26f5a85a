"""The content-order flat reader on other template families: columns placed
by the header's labels (funding and indicator headers in any order, columns
a template does not print null and certain), slot rows and section weights,
closing rows into `extra`, totals as the family prints them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from corpus.build import family_forms, render_with_truth
from corpus.extractors import flat_text
from extract.model import FieldPath
from extract.parse.flat_reader import parse_flat_text

SHA = "0" * 64


def _cells(*rows: str) -> str:
    """Lines of a flat text, each a cell (blank lines between)."""
    return "\n\n".join(rows) + "\n"


def _read(text: str):
    forms = parse_flat_text(text, "t.txt", SHA)
    assert len(forms) == 1
    return forms[0]


_HEAD = ("2023年度县级专项资金绩效目标自评表", "专项资金名称 示范项目", "县级主管部门 示范局 实施单位 示范中心")


def test_funding_without_weight_columns_is_read_by_its_header():
    """No 年初预算数, 分值, 得分 (Hunan's county template): figures go under
    the columns the header prints; the others are null and certain."""
    form = _read(_cells(*_HEAD, "项目资金（万", "元）", "全年预算数(A) 全年执行数(B) 执行率(B/A)",
                        "年度资金总额 371.99 369.72 99.38", "其中：中央、省、市", "补助县级资金",
                        "371.99 369.72 99.38", "其他资金 0.00 0.00 -"))
    funding = form.record["funding"]
    assert funding["total"]["annual_budget"] == Decimal("371.99")
    assert funding["total"]["executed"] == Decimal("369.72")
    assert funding["total"]["execution_rate"] == Decimal("99.38")
    assert funding["total"]["weight"] is None and funding["total"]["initial_budget"] is None
    assert funding["current_appropriation"]["execution_rate"] == Decimal("99.38")
    absent = form.state(FieldPath.funding("total", "weight")).provenance
    assert absent is not None and absent.confidence == 1.0
    assert form.record["project_name"] == "示范项目"
    assert form.record["department"] == "示范局"


def test_funding_columns_in_another_order_and_extra_rows():
    """Sichuan's 年初预算 调整后预算数 预算执行数 预算执行率 权重 得分 原因, a
    wrapped header label, and funding rows no key holds (单位资金) in `extra`."""
    form = _read(_cells("部门预算项目支出绩效自评表", "(2023年度)", "项目名称 示范项目",
                        "主管部门 示范局 实施单位 示范中心", "项目资金（万", "元）", "年初预算 调整后预算", "数",
                        "预算执行数 预算执行率 权重 得分 原因", "总额 371.99 371.99 369.72 99.38 10.00 9.93",
                        "其中：财政资金 371.99 371.99 369.72 99.38 - -", "单位资金 0.00 0.00 0.00",
                        "其他资金 0.00 0.00 0.00 - - -"))
    total = form.record["funding"]["total"]
    assert (total["initial_budget"], total["annual_budget"], total["executed"]) == \
        (Decimal("371.99"), Decimal("371.99"), Decimal("369.72"))
    assert (total["execution_rate"], total["weight"], total["score"]) == \
        (Decimal("99.38"), Decimal("10.00"), Decimal("9.93"))
    assert form.record["funding"]["other"]["executed"] == Decimal("0.00")
    assert form.record["extra"]["单位资金"] == ["0.00", "0.00", "0.00"]


def test_a_funding_row_with_fewer_figures_than_columns_is_doubted():
    form = _read(_cells(*_HEAD, "项目资金（万元）", "全年预算数(A) 全年执行数(B) 执行率(B/A)",
                        "年度资金总额 371.99 369.72"))
    doubted = {path for finding in form.findings for path in finding.fields}
    assert FieldPath.funding("total", "execution_rate") in doubted


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Forms of a family printed to PDF and read back as content-order flat text."""
    folder = tmp_path_factory.mktemp("families")

    def read(family: str, count: int = 2):
        records, styles = family_forms(family, count)
        truth = render_with_truth(records, folder / f"{family}.pdf", styles)
        text = flat_text("content-order", pdf=folder / f"{family}.pdf", records=truth, styles=styles)
        return truth, parse_flat_text(text, f"{family}.txt", SHA)

    return read


def _indicator_fields(indicator):
    return [indicator[k] for k in ("name", "target", "actual", "weight", "score")]


def _norm(values):
    return ["".join(str(v).split()) if v is not None else None for v in values]


def test_weight_before_target_is_placed_by_the_header(rendered):
    """衔接资金 forms print 分值 before the target: every row's 分值 and
    得分 are its own, and no row takes a neighbour's cells."""
    truth, forms = rendered("linkage_funds")
    assert len(forms) == len(truth)
    for want, got in zip(truth, forms):
        assert len(got.record["indicators"]) == len(want["indicators"])
        for a, b in zip(want["indicators"], got.record["indicators"]):
            assert _norm(_indicator_fields(b)) == _norm(_indicator_fields(a))


def test_slot_rows_and_section_weights(rendered):
    """Anhui's slot rows (`指标2：` `……`) give no indicator and no deviation
    text; a 一级指标 printed with its section weight keeps it."""
    truth, forms = rendered("anhui")
    for want, got in zip(truth, forms):
        indicators = got.record["indicators"]
        assert [i["level1"] for i in indicators] == [i["level1"] for i in want["indicators"]]
        assert all("指标" not in (i["deviation"] or "") for i in indicators)


def test_split_target_and_grade_on_the_total_row(rendered):
    """Yunnan: 指标性质 / 指标值 / 度量单位 joined into the target; the closing
    row before 总分 into `extra`, the grade printed after the total read."""
    truth, forms = rendered("yunnan")
    for want, got in zip(truth, forms):
        assert got.record["grade"] == want["grade"]
        assert got.record["total_score"] == Decimal(str(want["total_score"]))
        assert "其他需要说明事项" in got.record["extra"]
        targets = [i["target"] for i in got.record["indicators"]]
        assert sum(_norm([t]) == _norm([w["target"]]) for t, w in zip(targets, want["indicators"])) \
            >= len(want["indicators"]) - 1


def test_rows_without_weight_and_score_are_cut_by_how_their_cells_sit(rendered):
    """Hunan's county template prints no 分值 / 得分, so no figures end a
    row: rows are cut where their cells align and fit their columns; 分值 and
    得分 are null and certain; 说明 goes to `extra`."""
    truth, forms = rendered("hunan_county", 3)
    right = total = 0
    for want, got in zip(truth, forms):
        indicators = got.record["indicators"]
        assert len(indicators) == len(want["indicators"])
        for a, b in zip(want["indicators"], indicators):
            total += 1
            right += _norm(_indicator_fields(b) + [b["deviation"]]) == _norm(_indicator_fields(a) + [a["deviation"]])
        assert all(i["weight"] is None and i["score"] is None for i in indicators)
        weight = got.state(FieldPath.indicator(0, "weight")).provenance
        assert weight is not None and weight.confidence == 1.0
        assert got.record["extra"].get("说明") == "无"
        assert got.record["goal_expected"] == want["goal_expected"]
    assert right >= total - 1


def test_a_form_in_traditional_characters_is_read_and_kept_as_printed():
    form = _read(_cells("2019年度項目支出績效自評表", "項目名稱 中小學教師培訓",
                        "主管部門 天津市教育委員會 實施單位 天津市教育委員會（本級）", "項目資金（萬", "元）",
                        "年初預算數 全年預算數 全年執行數 分值 執行率(%) 得分",
                        "年度資金總額 260.72 260.72 238.08 10.00 91.31 9.13"))
    assert form.record["project_name"] == "中小學教師培訓"
    assert form.record["implementing_unit"] == "天津市教育委員會（本級）"
    assert form.record["funding"]["total"]["executed"] == Decimal("238.08")


_LINKAGE_HEAD = ("绩效目标自评表", "(2023年度)", "项目名称 示范项目", "主管部门 示范局 实施单位 示范中心",
                 "项目资金（万元）", "全年预算数(A) 全年执行数(B) 分值 执行率(B/A) 得分",
                 "年度资金总额 371.99 369.72 10.00 99.38 9.93", "年度总体目标 预期目标 实际完成情况",
                 "完成运行保障。", "完成了运行保障。",
                 "一级指标 二级指标 三级指标 分值 年度指标值 全年实际值 得分 未完成原因及拟采取的改进措施")


def test_sub_rows_give_no_indicator_and_weights_before_targets_stay_their_rows():
    form = _read(_cells(*_LINKAGE_HEAD, "产出指标 数量指标 培训人次 40.00 ≥8300.00(人次) 12277.00(人次) 40.00",
                        "其中：脱贫户 ≥467.00(户) 467.00(户)",
                        "时效指标 完成及时率 50.00 及时 达成指标 50.00", "总分 100.00 99.93"))
    indicators = form.record["indicators"]
    assert [(i["name"], i["target"], i["weight"], i["score"]) for i in indicators] == [
        ("培训人次", "≥8300.00(人次)", Decimal("40.00"), Decimal("40.00")),
        ("完成及时率", "及时", Decimal("50.00"), Decimal("50.00"))]
    assert indicators[0]["deviation"] is None
    assert form.record["funding"]["total"]["initial_budget"] is None


def test_a_header_label_wrapped_onto_a_line_of_its_own_is_no_closing_row(tmp_path):
    """`偏差原因分析及` / `改进措施`: at 12 pt in a narrow deviation column the
    header's last label wraps, and `改进措施` alone is also a closing row's
    label (the record's `extra`); under the first header and under one
    repeated after a page break, every cell on a line of its own, it must not
    end the indicator table."""
    from corpus.build import load_gold, render_with_truth
    from corpus.extractors import content_order_text
    from corpus.render import FormStyle, Typesetting
    from extract.parse.flat_reader import parse_flat_text

    typesetting = Typesetting(font_size=12, decimals=0, repeat_header=True,
                              indicator_cols=(36.0, 36.0, 110.28, 78.0, 78.0, 40.0, 40.0, 97.0))
    gold = load_gold()[:6]
    pdf = tmp_path / "wrapped-header.pdf"
    truth = render_with_truth(gold, pdf, [FormStyle(typesetting=typesetting)] * len(gold))
    text = content_order_text(pdf)
    assert "偏差原因分析及\n\n改进措施" in text
    forms = parse_flat_text(text, pdf.name, "0" * 64)
    assert [len(f.record["indicators"]) for f in forms] == [len(t["indicators"]) for t in truth]
    assert not any("改进措施" in f.record["extra"] for f in forms)
