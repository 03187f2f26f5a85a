"""Layouts one at a time, each on a small rendered PDF, read from the text
layer and from a 200-dpi scan of it; and the reader's doubts about a
table's structure, on small fakes and on real PDFs.

Each layout fixture chooses the record's content (how many indicators, how
long the goal text) so that the layout lands where the test needs it, and
asserts with pdfplumber that it did, so that a change of the renderer
cannot make a test silently test nothing:
(i)   a row broken across a page with only two of its cells continuing
      (the target's last line and the rest of the deviation);
(ii)  the indicator header repeated at the top of the next page, a merged
      一级/二级 cell cut by the break;
(iii) a form starting mid-page under the previous one;
(iv)  a form's totals (总分 and 评分等级 rows) alone on the next page.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest
from PIL import Image

from corpus.build import load_gold, render_with_truth
from corpus.degrade import retarget_truth, write_scan
from corpus.render import FormStyle, Typesetting
from extract.checks import CheckContext, run_checks
from extract.checks.compare import compare_records, fields_equal
from extract.checks.confidence import ConfidencePolicy
from extract.checks.routing import DEFAULT_REVIEW_THRESHOLD, PENDING, route
from extract.checks.validate import LAYOUT_IN_DOUBT, TOTAL_WEIGHT, fields_named_by_findings, grade_for
from extract.model import BBox, Cell, Document, FieldPath, FormResult, Page, Provenance, Table
from extract.parse.assembly import cell_values
from extract.parse.grid_reader import parse_document
from extract.pipeline.document import extract_forms, read_document
from extract.pipeline.settings import OcrSettings
from extract.sources.files import sha256_of
from extract.store import Store
from review.crops import CropRequest, write_crop

BREAKS = Typesetting(break_rows=True)
REPEATS = Typesetting(repeat_header=True)
LONG_TARGET = "按计划完成全部年度任务"          # two lines in the target column
LONG_DEVIATION = "原因：部分设备到货延迟，影响了整体进度安排。改进措施：下一步将加强采购计划管理。"   # four lines


# ---------------------------------------------------------------- records

def indicator(name: str, target: str = "=100.00(%)", actual: str = "100.00(%)", weight: float | None = 5,
              score: float | None = None, deviation: str | None = None,
              level1: str = "产出指标", level2: str = "数量指标") -> dict:
    """An indicator with its parsed leaves as the contract gives them."""
    score = weight if score is None else score
    ind = {"level1": level1, "level2": level2, "name": name, "target": target, "actual": actual,
           "weight": None if weight is None else Decimal(str(weight)),
           "score": None if score is None else Decimal(str(score)), "deviation": deviation}
    for key in ("target", "actual", "deviation"):
        for path, value in cell_values(FieldPath.indicator(0, key), ind[key]).items():
            ind[path.key] = value
    return ind


def fillers(count: int, start: int = 0, **levels: str) -> list[dict]:
    """One-line indicators with names unique in the file (完成第7项工作)."""
    return [indicator(f"完成第{start + k + 1}项工作", **levels) for k in range(count)]


def broken_row(weight: float | None = 10, score: float | None = 8) -> dict:
    """The row the page break cuts in (i): a one-line name and actual, a
    two-line target and a four-line deviation."""
    return indicator("完成测试", target=LONG_TARGET, actual="达成指标", weight=weight, score=score,
                     deviation=LONG_DEVIATION)


def form(indicators: list[dict], goal_chars: int = 40, name: str = "测试项目") -> dict:
    """A form with gold form 5's head and funding, these indicators, a goal
    text of `goal_chars` characters, and totals and grade that add up."""
    record = copy.deepcopy(load_gold()[4])
    record["project_name"] = name
    record["goal_expected"] = ("年度目标" * 100)[:goal_chars]
    record["indicators"] = indicators
    funding = record["funding"]["total"]
    record["total_weight"] = funding["weight"] + sum(i["weight"] or 0 for i in indicators)
    record["total_score"] = funding["score"] + sum(i["score"] or 0 for i in indicators)
    record["grade"] = grade_for(record["total_score"])
    return record


# ---------------------------------------------------------------- where things are printed

def page_tables(pdf: Path, number: int) -> list:
    with pdfplumber.open(pdf) as document:
        page = document.pages[number - 1]
        return [[[page.crop(cell).extract_text().replace("\n", "") if cell else None for cell in row.cells]
                 for row in table.rows] for table in sorted(page.find_tables(), key=lambda t: t.bbox[1])]


def first_row(pdf: Path, number: int) -> list[str | None]:
    """The texts of the first row of the page's first table, left to right."""
    return page_tables(pdf, number)[0][0]


def word_tops(pdf: Path, number: int, text: str) -> list[float]:
    with pdfplumber.open(pdf) as document:
        return [w["top"] for w in document.pages[number - 1].extract_words() if text in w["text"]]


def page_text(pdf: Path, number: int) -> str:
    with pdfplumber.open(pdf) as document:
        return document.pages[number - 1].extract_text().replace("\n", "")


# ---------------------------------------------------------------- the four layouts

def layout_broken_row(folder: Path) -> tuple[Path, list[dict]]:
    """(i): 22 one-line rows and a 160-character goal put the broken row's
    top where one line of it fits on page 1."""
    pdf = folder / "broken_row.pdf"
    truth = render_with_truth([form(fillers(22) + [broken_row()] + fillers(2, 22), goal_chars=160)], pdf,
                              [FormStyle(typesetting=BREAKS)])
    assert truth[0]["source"]["pages"] == [1, 2]
    assert_only_target_and_deviation_continue(pdf)
    return pdf, truth


def assert_only_target_and_deviation_continue(pdf: Path) -> None:
    """Page 2 opens with a piece of the broken row in which only the target
    (its last line) and the deviation (the rest of it) print anything; page 1
    holds the start of both."""
    piece = first_row(pdf, 2)
    assert len(piece) == 8, piece
    printed = {i: text for i, text in enumerate(piece) if text}
    assert sorted(printed) == [3, 7], piece                  # 年度指标值 and 偏差原因分析及改进措施
    for whole, rest in ((LONG_TARGET, printed[3]), (LONG_DEVIATION, printed[7])):
        assert whole.endswith(rest) and len(rest) < len(whole), (whole, rest)
        assert whole[:len(whole) - len(rest)] in page_text(pdf, 1)
    assert printed[3] == LONG_TARGET[-len(printed[3]):] and len(printed[3]) <= 4   # one line of the target


def layout_repeated_header(folder: Path) -> tuple[Path, list[dict]]:
    """(ii): 25 rows and a long goal text: the break cuts the 产出指标 group
    of 20 rows and its 质量指标 group of 10."""
    pdf = folder / "repeated_header.pdf"
    record = form(fillers(10) + fillers(10, 10, level2="质量指标")
                  + fillers(5, 20, level1="效益指标", level2="社会效益指标"), goal_chars=440)
    truth = render_with_truth([record], pdf, [FormStyle(typesetting=REPEATS)])
    assert truth[0]["source"]["pages"] == [1, 2]
    header = first_row(pdf, 2)
    assert "三级指标" in header and "年度指标值" in header, header
    page1, page2 = page_text(pdf, 1), page_text(pdf, 2)
    on_page2 = [k for k in range(25) if f"完成第{k + 1}项工作" in page2 and f"完成第{k + 1}项工作" not in page1]
    first = on_page2[0]
    # The break cuts the 质量指标 group (rows 10–19) and so the 产出指标 one.
    assert 10 < first < 20, first
    return pdf, truth


def layout_mid_page(folder: Path) -> tuple[Path, list[dict]]:
    """(iii): two forms of two indicators each share page 1."""
    pdf = folder / "mid_page.pdf"
    records = [form(fillers(2), name="第一个项目"), form(fillers(2, 2), name="第二个项目")]
    truth = render_with_truth(records, pdf)
    assert [r["source"]["pages"] for r in truth] == [[1], [1]]
    titles = word_tops(pdf, 1, "财政项目支出绩效自评表")
    assert len(titles) == 2 and titles[1] > 300, titles          # the second starts mid-page
    return pdf, truth


def layout_totals_alone(folder: Path) -> tuple[Path, list[dict]]:
    """(iv): 24 rows and a 117-character goal fill page 1 to 12 pt above
    its foot, too little for the 总分 row."""
    pdf = folder / "totals_alone.pdf"
    truth = render_with_truth([form(fillers(24), goal_chars=117)], pdf)
    assert truth[0]["source"]["pages"] == [1, 2]
    tables = page_tables(pdf, 2)
    assert len(tables) == 1 and len(tables[0]) == 2, tables        # the two rows alone
    assert tables[0][0][0] == "总分" and tables[0][1][0] == "评分等级", tables
    assert "完成第24项工作" in page_text(pdf, 1)
    return pdf, truth


LAYOUTS = {"broken_row": layout_broken_row, "repeated_header": layout_repeated_header,
           "mid_page": layout_mid_page, "totals_alone": layout_totals_alone}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    made: dict[str, tuple[Path, list[dict]]] = {}

    def get(name: str) -> tuple[Path, list[dict]]:
        if name not in made:
            made[name] = LAYOUTS[name](tmp_path_factory.mktemp(name))
        return made[name]
    return get


@pytest.fixture(scope="module")
def scanned(rendered):
    made: dict[str, tuple[Path, list[dict], list[FormResult]]] = {}

    def get(name: str) -> tuple[Path, list[dict], list[FormResult]]:
        if name not in made:
            pdf, truth = rendered(name)
            scan = write_scan(pdf, pdf.with_name(f"{pdf.stem}_scan.pdf"), 200, "light", seed=0, fmt="pdf")[0]
            made[name] = (scan, retarget_truth(truth, scan), read(scan, OcrSettings()))
        return made[name]
    return get


def read(path: Path, ocr: OcrSettings = OcrSettings(mode="never")) -> list[FormResult]:
    return extract_forms(read_document(path, sha256_of(path), ocr, None))


def layout_doubts(form: FormResult) -> list:
    return [f for f in form.findings if f.rule == LAYOUT_IN_DOUBT]


# ---------------------------------------------------------------- (i) a row broken across a page

BROKEN = 22   # the broken row's position


def test_text_a_broken_row_with_two_cells_continuing_is_one_row(rendered):
    pdf, truth = rendered("broken_row")
    forms = read(pdf)
    result = compare_records(truth, [f.record for f in forms])
    assert result.accuracy == 1.0, result.mismatches[:10]
    (form_,) = forms
    assert not layout_doubts(form_)
    target = form_.provenance(f"indicators[{BROKEN}].target")
    deviation = form_.provenance(f"indicators[{BROKEN}].deviation")
    name = form_.provenance(f"indicators[{BROKEN}].name")
    # Provenance of both pieces: the first on page 1, the rest at the top of page 2.
    assert [page for page, _ in target.parts] == [1, 2]
    assert [page for page, _ in deviation.parts] == [1, 2]
    assert target.parts[1][1].top < 100 < target.parts[0][1].top
    assert not name.continued and name.page == 1
    # Its parsed leaves come from both pieces too; the join itself costs no
    # confidence (the model may still dispute a text target: not the layout's doing).
    assert [page for page, _ in form_.provenance(f"indicators[{BROKEN}].improvement").parts] == [1, 2]
    assert target.confidence == 1.0
    assert not fields_named_by_findings(form_.findings) & {FieldPath.of(f"indicators[{BROKEN}].target")}


def test_scan_a_broken_row_with_two_cells_continuing_is_one_row(scanned):
    scan, truth, forms = scanned("broken_row")
    (form_,) = forms
    assert len(form_.record["indicators"]) == len(truth[0]["indicators"])
    got = form_.record["indicators"][BROKEN]
    want = truth[0]["indicators"][BROKEN]
    for key in ("name", "target", "actual", "weight", "score", "deviation"):
        assert fields_equal(want[key], got[key]), (key, want[key], got[key])
    assert [page for page, _ in form_.provenance(f"indicators[{BROKEN}].target").parts] == [1, 2]
    assert [page for page, _ in form_.provenance(f"indicators[{BROKEN}].deviation").parts] == [1, 2]
    assert compare_records(truth, [form_.record]).accuracy >= 0.97


# ---------------------------------------------------------------- (ii) a repeated header

def test_text_a_repeated_header_is_no_row_and_cut_groups_keep_their_labels(rendered):
    pdf, truth = rendered("repeated_header")
    forms = read(pdf)
    result = compare_records(truth, [f.record for f in forms])
    assert result.accuracy == 1.0, result.mismatches[:10]
    assert not layout_doubts(forms[0])


def test_scan_a_repeated_header_is_no_row_and_cut_groups_keep_their_labels(scanned):
    scan, truth, forms = scanned("repeated_header")
    (form_,) = forms
    assert len(form_.record["indicators"]) == 25
    assert [i["level1"] for i in form_.record["indicators"]] == [i["level1"] for i in truth[0]["indicators"]]
    assert [i["level2"] for i in form_.record["indicators"]] == [i["level2"] for i in truth[0]["indicators"]]
    assert compare_records(truth, [form_.record]).accuracy >= 0.97


# ---------------------------------------------------------------- (iii) a form starting mid-page

def test_text_a_form_starting_mid_page_is_a_form_of_its_own(rendered):
    pdf, truth = rendered("mid_page")
    forms = read(pdf)
    assert [f.record["project_name"] for f in forms] == ["第一个项目", "第二个项目"]
    result = compare_records(truth, [f.record for f in forms])
    assert result.accuracy == 1.0, result.mismatches[:10]
    second = forms[1].provenance("project_name")
    assert second.page == 1 and second.bbox.top > 300


def test_scan_a_form_starting_mid_page_is_a_form_of_its_own(scanned):
    scan, truth, forms = scanned("mid_page")
    assert len(forms) == 2
    assert [len(f.record["indicators"]) for f in forms] == [2, 2]
    assert [f.record["source"]["pages"] for f in forms] == [[1], [1]]
    assert compare_records(truth, [f.record for f in forms]).accuracy >= 0.97


# ---------------------------------------------------------------- (iv) totals alone on the next page

def test_text_totals_alone_on_the_next_page_are_the_forms(rendered):
    pdf, truth = rendered("totals_alone")
    (form_,) = read(pdf)
    result = compare_records(truth, [form_.record])
    assert result.accuracy == 1.0, result.mismatches[:10]
    assert form_.provenance("total_weight").page == 2 and form_.provenance("grade").page == 2
    assert form_.record["source"]["pages"] == [1, 2]


def test_scan_totals_alone_on_the_next_page_are_the_forms(scanned):
    scan, truth, forms = scanned("totals_alone")
    (form_,) = forms
    for key in ("total_weight", "total_score", "grade"):
        assert fields_equal(truth[0][key], form_.record[key]), (key, form_.record[key])
    assert form_.provenance("total_score").page == 2
    assert len(form_.record["indicators"]) == 24
    assert compare_records(truth, [form_.record]).accuracy >= 0.97


# ---------------------------------------------------------------- the reader's doubts, on fakes

EDGES = [40.0]
for _width in (32.0, 32.0, 101.28, 80.0, 80.0, 42.0, 42.0, 106.0):
    EDGES.append(EDGES[-1] + _width)
HEADER = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施")
ROW_H = 18.0


def table(rows: list[list[tuple]], top: float = 60.0) -> Table:
    """A ruled table from rows of cells (first column, text, column span, row span)."""
    cells = []
    for r, row in enumerate(rows):
        for cell in row:
            col, text, col_span, row_span = (tuple(cell) + (1, 1))[:4]
            box = BBox(EDGES[col], top + r * ROW_H, EDGES[col + col_span], top + (r + row_span) * ROW_H)
            cells.append(Cell(box, text, r, col, row_span, col_span))
    return Table(BBox(EDGES[0], top, EDGES[-1], top + len(rows) * ROW_H), cells, len(rows), 8)


def values(name: str, target: str, actual: str = "达成", weight: str = "5", score: str = "5",
           deviation: str = "") -> list[tuple]:
    return [(2, name), (3, target), (4, actual), (5, weight), (6, score), (7, deviation)]


def fake_form(*, header=HEADER, last_numbers=("10", "8"), piece_level1="", row_b=None,
              piece=None, page2_rows=None, own_groups=False) -> FormResult:
    """Page 1: 项目名称, the header, rows A and B (B reaches the foot of the
    page); page 2: a piece of B (its target's and deviation's rest), row C
    and 总分.  Keywords change one part; `own_groups`: row A's 一级/二级
    cells span it alone (row B gives its own)."""
    span = 1 if own_groups else 2
    a = [(0, "产出指标", 1, span), (1, "数量指标", 1, span)] + values("指标甲", "=100(%)")
    b = row_b or values("指标乙", "按计划完成", weight=last_numbers[0], score=last_numbers[1],
                        deviation="原因：设备到货延迟。")
    page1 = table([[(0, "项目名称", 2), (2, "测试项目", 6)], [(i, text) for i, text in enumerate(header)], a, b])
    rest = piece or [(0, piece_level1, 1, 2), (1, "", 1, 2)] + values("", "全部任务", "", "", "", "改进措施：加强管理。")
    rows = page2_rows or [rest, values("指标丙", "=1(个)"), [(0, "总分", 3), (3, "", 2), (5, "20"), (6, "18"),
                                                          (7, "")]]
    pages = [Page(1, 595.28, 841.89, tables=[page1]), Page(2, 595.28, 841.89, tables=[table(rows, 50.0)])]
    (form_,) = parse_document(Document("fake.pdf", "0" * 64, pages))
    return form_


def doubted(form_: FormResult) -> set[str]:
    return {str(p) for f in layout_doubts(form_) for p in f.fields}


def test_a_clear_continuation_is_joined_without_doubt_and_keeps_both_pieces():
    form_ = fake_form()
    assert not layout_doubts(form_)
    assert [i["name"] for i in form_.record["indicators"]] == ["指标甲", "指标乙", "指标丙"]
    assert form_.record["indicators"][1]["target"] == "按计划完成全部任务"
    target = form_.provenance("indicators[1].target")
    assert [page for page, _ in target.parts] == [1, 2]
    assert target.bbox.top == 60 + 3 * ROW_H and target.continued[0].bbox.top == 50
    assert form_.provenance("indicators[1].target_value").parts == target.parts
    assert form_.provenance("indicators[1].level1").page == 1


def test_a_piece_after_a_row_without_figures_could_be_a_row_of_its_own():
    """(b) The last row printed no 分值/得分: that the piece has none either tells nothing."""
    form_ = fake_form(last_numbers=("-", "-"))
    assert len(form_.record["indicators"]) == 3            # still joined: the likelier reading
    assert {"indicators[1].target", "indicators[1].target_value", "indicators[1].deviation",
            "indicators[1].improvement", "indicators[1].weight"} <= doubted(form_)
    assert "indicators[0].target" not in doubted(form_)


def test_a_piece_beside_a_new_level_label_could_be_a_row_of_its_own():
    form_ = fake_form(piece_level1="效益指标")
    assert {"indicators[1].target", "indicators[1].deviation", "indicators[1].level1"} <= doubted(form_)


def test_a_row_opening_the_page_with_figures_but_no_name_is_doubted_with_the_row_before():
    piece = [(0, "", 1, 2), (1, "", 1, 2)] + values("", "全部任务", "", "3", "3", "")
    form_ = fake_form(piece=piece)
    assert len(form_.record["indicators"]) == 4
    assert {"indicators[1].target", "indicators[2].target", "indicators[2].weight"} <= doubted(form_)


def test_figures_a_narrow_cell_wrapped_over_the_break_end_the_row_before():
    """`10.0` / `0`: the 分值 and 得分 cells wrapped `10.00`, and the break
    fell between their lines; `0` and `0` are no 分值 and 得分 of a row."""
    piece = [(0, "", 1, 2), (1, "", 1, 2)] + values("", "全部任务", "", "0", "0", "")
    form_ = fake_form(last_numbers=("10.0", "10.0"), piece=piece)
    assert [i["name"] for i in form_.record["indicators"]] == ["指标甲", "指标乙", "指标丙"]
    assert form_.record["indicators"][1]["weight"] == form_.record["indicators"][1]["score"] == Decimal("10.00")
    assert form_.record["indicators"][1]["target"] == "按计划完成全部任务"
    # figures that are a row's own (`3` / `3`) still start a row
    piece[-3:-1] = [(5, "3"), (6, "3")]
    assert len(fake_form(last_numbers=("10.0", "10.0"), piece=piece).record["indicators"]) == 4


def test_a_header_cell_no_label_matches_leaves_its_column_in_doubt():
    """(c) 指标目标 is no synonym of 年度指标值: the targets were not read."""
    form_ = fake_form(header=HEADER[:3] + ("指标目标",) + HEADER[4:])
    assert all(i["target"] is None for i in form_.record["indicators"])
    assert {f"indicators[{i}].target" for i in range(3)} <= doubted(form_)
    assert "indicators[0].actual" not in doubted(form_)


def test_one_cell_under_two_columns_is_doubted_for_both():
    """(d) A rule OCR lost makes target and actual one cell."""
    merged = [(2, "指标乙"), (3, "=5(个) 5(个)", 2), (5, "10"), (6, "8"), (7, "原因：延迟。")]
    form_ = fake_form(row_b=merged)
    assert {"indicators[1].target", "indicators[1].actual", "indicators[1].actual_value"} <= doubted(form_)
    assert "indicators[1].name" not in doubted(form_)


def test_a_merged_level_cell_left_empty_by_a_page_break_is_doubted():
    b = [(0, "", 1, 1), (1, "", 1, 1)] + values("指标乙", "=1(个)", weight="10", score="8", deviation="原因：延迟。")
    rows = [[(0, "", 1, 2), (1, "", 1, 2)] + values("指标丙", "=1(个)"), values("指标丁", "=1(个)"),
            [(0, "总分", 3), (3, "", 2), (5, "30"), (6, "28"), (7, "")]]
    form_ = fake_form(row_b=b, page2_rows=rows, own_groups=True)
    assert [i["level1"] for i in form_.record["indicators"]] == ["产出指标", None, None, None]
    assert {"indicators[1].level1", "indicators[2].level1", "indicators[3].level1"} <= doubted(form_)


def test_a_merged_level_cell_continued_under_a_repeated_header_is_joined():
    """A group starting in the last row of page 1 whose label is printed
    under the header repeated on page 2 (the first body row is row 1)."""
    b = [(0, "", 1, 1), (1, "", 1, 1)] + values("指标乙", "=1(个)", weight="10", score="8", deviation="原因：延迟。")
    rows = [[(i, text) for i, text in enumerate(HEADER)],
            [(0, "效益指标", 1, 2), (1, "社会效益指标", 1, 2)] + values("指标丙", "=1(个)"), values("指标丁", "=1(个)"),
            [(0, "总分", 3), (3, "", 2), (5, "30"), (6, "28"), (7, "")]]
    form_ = fake_form(row_b=b, page2_rows=rows, own_groups=True)
    assert [i["level1"] for i in form_.record["indicators"]] == ["产出指标", "效益指标", "效益指标", "效益指标"]
    assert not layout_doubts(form_)
    assert [page for page, _ in form_.provenance("indicators[1].level1").parts] == [2]


def test_doubted_fields_go_to_review_however_well_they_were_read():
    form_ = fake_form(last_numbers=("-", "-"))
    run_checks([form_], CheckContext())
    for path in ("indicators[1].target", "indicators[1].target_value", "indicators[1].deviation"):
        assert form_.confidence(path) <= ConfidencePolicy().layout_doubt < DEFAULT_REVIEW_THRESHOLD
        assert form_.status(path) == PENDING
    assert form_.confidence("indicators[0].name") == 1.0 and form_.status("indicators[0].name") != PENDING


# ---------------------------------------------------------------- the doubts end to end, on real PDFs

def test_a_broken_row_printing_no_figures_is_joined_in_doubt_and_sent_to_review(tmp_path):
    """(b) Layout (i), but the broken row prints 分值 and 得分 as `-`: the
    piece on page 2 has none either, so it could be a row of its own."""
    pdf = tmp_path / "no_figures.pdf"
    truth = render_with_truth([form(fillers(22) + [broken_row(None, None)] + fillers(2, 22), goal_chars=160)],
                              pdf, [FormStyle(typesetting=BREAKS)])
    assert_only_target_and_deviation_continue(pdf)
    (form_,) = read(pdf)
    assert compare_records(truth, [form_.record]).accuracy == 1.0        # read right, yet in doubt
    named = doubted(form_)
    statuses = route(form_)
    for key in ("target", "target_value", "deviation", "deviation_cause", "improvement", "weight", "score"):
        path = FieldPath.indicator(BROKEN, key)
        assert path in named and statuses[path] == PENDING, path
        assert form_.confidence(path) <= ConfidencePolicy().layout_doubt
    assert statuses[FieldPath.indicator(BROKEN - 1, "target")] != PENDING


def test_an_indicator_column_no_label_matches_is_sent_to_review(tmp_path):
    """(c) A template heading the target column 指标目标 (no synonym the reader knows)."""
    pdf = tmp_path / "unknown_header.pdf"
    render_with_truth([form(fillers(3))], pdf, [FormStyle(target_label="指标目标")])
    (form_,) = read(pdf)
    statuses = route(form_)
    for i in range(3):
        assert {f"indicators[{i}].target", f"indicators[{i}].target_value"} <= doubted(form_)
        assert statuses[FieldPath.indicator(i, "target")] == PENDING
        assert f"indicators[{i}].actual" not in doubted(form_)     # only the column not found
    assert any("指标目标" in f.message for f in layout_doubts(form_))


def test_a_total_that_does_not_add_up_names_the_rows_joined_across_the_break(tmp_path):
    """(a) 总分's weight is off by one row's 10: a join may have swallowed a row,
    so the joined row's cells are named with the weights."""
    record = form(fillers(22) + [broken_row()] + fillers(2, 22), goal_chars=160)
    record["total_weight"] += 10
    pdf = tmp_path / "bad_total.pdf"
    render_with_truth([record], pdf, [FormStyle(typesetting=BREAKS)])
    (form_,) = read(pdf)
    (finding,) = [f for f in form_.findings if f.rule == TOTAL_WEIGHT]
    named = set(finding.fields)
    assert {f"indicators[{BROKEN}].{k}" for k in ("name", "target", "deviation", "improvement")} <= named
    assert "indicators[0].weight" in named and "indicators[0].name" not in named
    assert route(form_)[FieldPath.indicator(BROKEN, "target")] == PENDING


# ---------------------------------------------------------------- both pieces kept: store and crops

def test_the_store_keeps_both_pieces_of_a_cell_and_migrates_old_stores(rendered, tmp_path):
    pdf, truth = rendered("broken_row")
    forms = read(pdf)
    forms[0].record["form_id"] = truth[0]["form_id"]
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as db:        # a store written before `continued` existed
        db.executescript("""CREATE TABLE fields (form_id TEXT NOT NULL, path TEXT NOT NULL, value TEXT,
            page INTEGER, bbox TEXT, method TEXT, confidence REAL, status TEXT NOT NULL DEFAULT 'accepted',
            original TEXT, reviewer TEXT, reviewed_at TEXT, PRIMARY KEY (form_id, path));""")
    with Store(old) as store:
        assert store.save_source(truth[0]["source"]["sha256"], str(pdf), 2, forms)
        by_path = {f.path: f for f in store.fields(truth[0]["form_id"])}
        target = by_path[f"indicators[{BROKEN}].target"]
        want = forms[0].provenance(f"indicators[{BROKEN}].target")
        assert target.page == 1 and target.continued == ((2, want.continued[0].bbox.as_list()),)
        assert [page for page, _ in target.parts] == [1, 2]
        assert by_path[f"indicators[{BROKEN}].name"].continued == ()
        (record,) = store.records(with_meta=True)
        meta = record["_meta"]["fields"]
        assert meta[f"indicators[{BROKEN}].deviation"]["continued"][0]["page"] == 2
        assert "continued" not in meta[f"indicators[{BROKEN}].name"]


def test_a_crop_of_a_two_page_cell_shows_both_pieces(rendered, tmp_path):
    pdf, _ = rendered("broken_row")
    (form_,) = read(pdf)
    target = form_.provenance(f"indicators[{BROKEN}].target")
    first = CropRequest(str(pdf), target.page, tuple(target.bbox.as_list()))
    both = CropRequest(str(pdf), target.page, tuple(target.bbox.as_list()),
                       tuple((p.page, tuple(p.bbox.as_list())) for p in target.continued))
    one = Image.open(write_crop(first, tmp_path / "one.png"))
    two = Image.open(write_crop(both, tmp_path / "two.png"))
    assert two.width == one.width and two.height > one.height * 1.5
    assert both.parts[0] == (first.page, first.bbox) and both.parts[1][0] == 2


def test_provenance_of_a_cut_cell_lists_every_piece_and_the_lowest_confidence():
    first = Provenance(1, BBox(0, 700, 10, 790), "ocr:rapidocr", 0.99)
    whole = first.with_continuation(Provenance(2, BBox(0, 50, 10, 70), "ocr:rapidocr", 0.9))
    assert whole.parts == [(1, first.bbox), (2, BBox(0, 50, 10, 70))] and whole.confidence == 0.9
    assert first.continued == [] and first.confidence == 0.99            # the first is left as it was
    assert whole.to_dict()["continued"][0]["page"] == 2 and "continued" not in first.to_dict()
    assert json.dumps(whole.to_dict())
