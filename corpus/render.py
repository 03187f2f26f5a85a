"""Render form records into A4 text PDFs that look like the real ones.

Ruled tables drawn line by line, merged 一级/二级 cells, text wrapped inside its
cell, several forms in one file, forms that start mid-page, and indicator
tables that break across a page and continue on the next -- where a merged
cell is cut by the break, its label lines fall on both pages, as Word prints
them.  The font is a TrueType CJK font from Debian (fonts-wqy-zenhei): CFF
(OTF) CJK fonts give PDFs in which pdfminer sees no characters.

Coordinates are PDF points, origin top-left (the product's one convention).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from extract.layout.labels import FORM_TITLE

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)

PAGE_W, PAGE_H = 595.28, 841.89          # A4 in points
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 40.0, 50.0, 50.0
TABLE_W = PAGE_W - 2 * MARGIN_X
FONT_SIZE = 9.0
LINE_H = 11.0
PAD = 3.0
MIN_ROW_H = 18.0
FORM_GAP = 28.0                           # space between two forms on a page

# Column widths of the three grids a form prints (they share the outer frame).
INDICATOR_COLS = (32.0, 32.0, 101.28, 80.0, 80.0, 42.0, 42.0, 106.0)
FUNDING_COLS = (64.0, 91.28, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0)
GOAL_COLS = (64.0, 225.64, 225.64)


@dataclass(frozen=True)
class FormStyle:
    """How one form prints its labels and numbers (real forms vary)."""

    target_label: str = "年度指标值"
    actual_label: str = "实际完成值"
    weight_label: str = "分值"
    score_label: str = "得分"
    deviation_label: str = "偏差原因分析及改进措施"
    funding_weight_label: str = "分数"
    group_thousands: bool = False         # 215,457.60 rather than 215457.60

    @staticmethod
    def varied(seed: int) -> "FormStyle":
        """A style drawn from the synonyms real forms use, for synthetic forms."""
        rng = random.Random(seed)
        return FormStyle(
            target_label=rng.choice(("年度指标值", "年度指标值", "指标值", "目标值")),
            actual_label=rng.choice(("实际完成值", "实际完成值", "实际值", "完成值")),
            weight_label=rng.choice(("分值", "分值", "权重")),
            score_label=rng.choice(("得分", "得分", "评分")),
            deviation_label=rng.choice(("偏差原因分析及改进措施", "偏差原因及改进措施")),
            funding_weight_label=rng.choice(("分数", "分值")),
            group_thousands=rng.random() < 0.3,
        )


@dataclass
class _Cell:
    x0: float
    x1: float
    text: str
    align: str = "C"                      # "C" centred, "L" left


@dataclass
class _Row:
    cells: list[_Cell]
    height: float = MIN_ROW_H
    page: int = 0
    top: float = 0.0


@dataclass
class _Merge:
    """A cell spanning rows first..last (indices into the form's rows)."""

    first: int
    last: int
    x0: float
    x1: float
    text: str


@dataclass
class _FormLayout:
    title_lines: list[str]
    rows: list[_Row] = field(default_factory=list)
    merges: list[_Merge] = field(default_factory=list)


@dataclass
class RenderResult:
    path: Path
    pages: int
    form_pages: list[list[int]]           # 1-based pages each form touches


class FontNotFound(RuntimeError):
    pass


def find_font() -> str:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    raise FontNotFound(
        "no TrueType CJK font found; install one with `apt-get install fonts-wqy-zenhei`"
    )


def render_forms(
    records: Iterable[dict[str, Any]],
    path: str | Path,
    styles: Iterable[FormStyle] | None = None,
) -> RenderResult:
    """Render records one after another into one PDF at `path`."""
    from fpdf import FPDF

    logging.getLogger("fontTools").setLevel(logging.ERROR)
    records = list(records)
    style_list = list(styles) if styles is not None else [FormStyle()] * len(records)
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_creation_date(datetime(2024, 1, 1, tzinfo=timezone.utc))
    pdf.add_font("cjk", fname=find_font())
    pdf.set_font("cjk", size=FONT_SIZE)
    pdf.set_line_width(0.6)
    pdf.add_page()
    cursor = MARGIN_TOP
    form_pages: list[list[int]] = []
    for record, style in zip(records, style_list):
        layout = _layout_form(pdf, record, style)
        # A form starts mid-page when its title and first rows fit there.
        head_h = 40.0 + sum(row.height for row in layout.rows[:3])
        if cursor > MARGIN_TOP and cursor + FORM_GAP + head_h > PAGE_H - MARGIN_BOTTOM:
            pdf.add_page()
            cursor = MARGIN_TOP
        elif cursor > MARGIN_TOP:
            cursor += FORM_GAP
        first_page = pdf.page
        cursor = _draw_form(pdf, layout, cursor)
        form_pages.append(list(range(first_page, pdf.page + 1)))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return RenderResult(path=path, pages=pdf.page, form_pages=form_pages)


def _fmt(value: Any, style: FormStyle) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal) or isinstance(value, (int, float)):
        number = Decimal(str(value))
        if number.as_tuple().exponent > -2:  # forms print two decimals: 10.00
            number = number.quantize(Decimal("0.01"))
        return f"{number:,f}" if style.group_thousands else f"{number:f}"
    return str(value)


def _cols(widths: tuple[float, ...]) -> list[tuple[float, float]]:
    edges = [MARGIN_X]
    for width in widths:
        edges.append(edges[-1] + width)
    return list(zip(edges[:-1], edges[1:]))


def _layout_form(pdf: Any, record: dict[str, Any], style: FormStyle) -> _FormLayout:
    year = record.get("year")
    layout = _FormLayout(title_lines=[FORM_TITLE, f"（{year}年度）" if year else ""])
    rows, merges = layout.rows, layout.merges
    ind = _cols(INDICATOR_COLS)
    fund = _cols(FUNDING_COLS)
    goal = _cols(GOAL_COLS)
    right = MARGIN_X + TABLE_W

    def span(cols: list[tuple[float, float]], a: int, b: int) -> tuple[float, float]:
        return cols[a][0], cols[b][1]

    label_x = span(fund, 0, 1)
    rows.append(_Row([_Cell(*label_x, "项目名称"), _Cell(label_x[1], right, record.get("project_name") or "", "L")]))
    rows.append(_Row([
        _Cell(*label_x, "主管部门"),
        _Cell(label_x[1], fund[4][1], record.get("department") or "", "L"),
        _Cell(*fund[5], "实施单位"),
        _Cell(fund[6][0], right, record.get("implementing_unit") or "", "L"),
    ]))
    # Funding block: the label cell spans the header row and the four rows.
    funding = record.get("funding") or {}
    first = len(rows)
    header = ["", "年初预算数", "全年预算数", "全年执行数", style.funding_weight_label, "执行率(%)", "得分"]
    rows.append(_Row([_Cell(*fund[i + 1], text) for i, text in enumerate(header)]))
    row_labels = (("total", "年度资金总额："), ("current_appropriation", "其中：当年财政拨款"),
                  ("carryover", "上年结转资金"), ("other", "其他资金"))
    keys = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")
    for fkey, label in row_labels:
        frow = funding.get(fkey) or {}
        cells = [_Cell(*fund[1], label, "L")]
        cells += [_Cell(*fund[i + 2], _fmt(frow.get(k), style)) for i, k in enumerate(keys)]
        rows.append(_Row(cells))
    merges.append(_Merge(first, len(rows) - 1, *fund[0], "项目资金（万元）"))
    # Goal block.
    first = len(rows)
    rows.append(_Row([_Cell(*goal[1], "预期目标"), _Cell(*goal[2], "实际完成情况")]))
    rows.append(_Row([_Cell(*goal[1], record.get("goal_expected") or "", "L"),
                      _Cell(*goal[2], record.get("goal_actual") or "", "L")]))
    merges.append(_Merge(first, len(rows) - 1, *goal[0], "年度总体目标"))
    # Indicator table.
    rows.append(_Row([_Cell(*ind[i], text) for i, text in enumerate(
        ("一级指标", "二级指标", "三级指标", style.target_label, style.actual_label,
         style.weight_label, style.score_label, style.deviation_label))]))
    indicators = record.get("indicators") or []
    start = len(rows)
    for indicator in indicators:
        rows.append(_Row([
            _Cell(*ind[2], indicator.get("name") or "", "L"),
            _Cell(*ind[3], indicator.get("target") or ""),
            _Cell(*ind[4], indicator.get("actual") or ""),
            _Cell(*ind[5], _fmt(indicator.get("weight"), style)),
            _Cell(*ind[6], _fmt(indicator.get("score"), style)),
            _Cell(*ind[7], indicator.get("deviation") or "", "L"),
        ]))
    for level, col in (("level1", ind[0]), ("level2", ind[1])):
        for a, b in _runs([(i.get("level1"), i.get("level2") if level == "level2" else None) for i in indicators]):
            merges.append(_Merge(start + a, start + b, *col, indicators[a].get(level) or ""))
    rows.append(_Row([_Cell(ind[0][0], ind[2][1], "总分"), _Cell(ind[3][0], ind[4][1], ""),
                      _Cell(*ind[5], _fmt(record.get("total_weight"), style)),
                      _Cell(*ind[6], _fmt(record.get("total_score"), style)), _Cell(*ind[7], "")]))
    rows.append(_Row([_Cell(ind[0][0], ind[2][1], "评分等级"), _Cell(ind[3][0], right, record.get("grade") or "")]))
    _size_rows(pdf, layout)
    return layout


def _runs(keys: list[Any]) -> list[tuple[int, int]]:
    """Index ranges of consecutive equal keys (the rows a merged cell spans)."""
    runs: list[tuple[int, int]] = []
    for i, key in enumerate(keys):
        if runs and keys[runs[-1][0]] == key:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def wrap_text(pdf: Any, text: str, width: float) -> list[str]:
    """Break text into lines that fit `width`; CJK breaks between any two characters."""
    usable = width - 2 * PAD
    lines: list[str] = []
    line = ""
    for char in text:
        if line and pdf.get_string_width(line + char) > usable:
            lines.append(line)
            line = ""
        line += char
    if line:
        lines.append(line)
    return lines


def _size_rows(pdf: Any, layout: _FormLayout) -> None:
    for row in layout.rows:
        lines = max((len(wrap_text(pdf, c.text, c.x1 - c.x0)) for c in row.cells), default=1)
        row.height = max(MIN_ROW_H, lines * LINE_H + 2 * PAD)
    # A merged cell needs its rows tall enough for its own text.
    for merge in layout.merges:
        need = len(wrap_text(pdf, merge.text, merge.x1 - merge.x0)) * LINE_H + 2 * PAD
        have = sum(r.height for r in layout.rows[merge.first:merge.last + 1])
        if need > have:
            layout.rows[merge.last].height += need - have


def _draw_form(pdf: Any, layout: _FormLayout, cursor: float) -> float:
    # Place every row first, then draw page by page: fpdf2 loses the font
    # state when it goes back to an earlier page.
    title_top = cursor
    for _ in range(len(layout.merges) + 1):
        pages, cursor = _place_rows(layout, pdf.page, title_top + 44)
        # A merged cell cut by a page break may hold less than it needs:
        # grow its last row and place again.
        short = [m for m in layout.merges if not _merge_fits(pdf, layout.rows, m)]
        if not short:
            break
        for merge in short:
            layout.rows[merge.last].height += LINE_H
    parts = [part for merge in layout.merges for part in _merge_parts(pdf, layout.rows, merge)]
    for page in pages:
        if page != pdf.page:
            pdf.add_page()
        if page == pages[0]:
            pdf.set_font("cjk", size=14)
            _centred_text(pdf, layout.title_lines[0], title_top + 16)
            pdf.set_font("cjk", size=FONT_SIZE + 1)
            _centred_text(pdf, layout.title_lines[1], title_top + 34)
            pdf.set_font("cjk", size=FONT_SIZE)
        for row in layout.rows:
            if row.page == page:
                for cell in row.cells:
                    pdf.rect(cell.x0, row.top, cell.x1 - cell.x0, row.height)
                    _cell_text(pdf, cell, row.top, row.height)
        for part in parts:
            if part.page == page:
                pdf.rect(part.cell.x0, part.top, part.cell.x1 - part.cell.x0, part.height)
                if part.lines:
                    _cell_text(pdf, part.cell, part.top, part.height, part.lines, part.first_offset)
    return cursor


def _place_rows(layout: _FormLayout, page: int, cursor: float) -> tuple[list[int], float]:
    bottom = PAGE_H - MARGIN_BOTTOM
    pages = [page]
    for row in layout.rows:
        if cursor + row.height > bottom:
            pages.append(pages[-1] + 1)
            cursor = MARGIN_TOP
        row.page, row.top = pages[-1], cursor
        cursor += row.height
    return pages, cursor


def _centred_text(pdf: Any, text: str, baseline: float) -> None:
    pdf.text(MARGIN_X + (TABLE_W - pdf.get_string_width(text)) / 2, baseline, text)


def _cell_text(pdf: Any, cell: _Cell, top: float, height: float, lines: list[str] | None = None,
               first_offset: float | None = None) -> None:
    lines = wrap_text(pdf, cell.text, cell.x1 - cell.x0) if lines is None else lines
    y = top + (height - len(lines) * LINE_H) / 2 if first_offset is None else top + first_offset
    for line in lines:
        x = cell.x0 + PAD if cell.align == "L" else cell.x0 + (cell.x1 - cell.x0 - pdf.get_string_width(line)) / 2
        pdf.text(x, y + FONT_SIZE, line)
        y += LINE_H


@dataclass
class _MergePart:
    page: int
    top: float
    height: float
    cell: _Cell
    lines: list[str] = field(default_factory=list)
    first_offset: float | None = None


def _merge_parts(pdf: Any, rows: list[_Row], merge: _Merge) -> list[_MergePart]:
    """Cut a merged cell into parts where it crosses a page break.  Its text
    lines go where vertical centring over the whole cell puts them, within
    what each part can hold: a label cut by the break shows on both pages."""
    cell = _Cell(merge.x0, merge.x1, merge.text)
    parts: list[_MergePart] = []
    for row in rows[merge.first:merge.last + 1]:
        if parts and parts[-1].page == row.page:
            parts[-1].height += row.height
        else:
            parts.append(_MergePart(row.page, row.top, row.height, cell))
    lines = wrap_text(pdf, merge.text, merge.x1 - merge.x0)
    if len(parts) == 1:
        parts[0].lines = lines
        return parts
    capacity = [max(0, int((p.height - 2 * PAD) // LINE_H)) for p in parts]
    starts = [sum(p.height for p in parts[:i]) for i in range(len(parts))]
    first = (sum(p.height for p in parts) - len(lines) * LINE_H) / 2
    counts = [0] * len(parts)
    for i in range(len(lines)):
        centre = first + (i + 0.5) * LINE_H
        counts[max(j for j in range(len(parts)) if starts[j] <= centre)] += 1
    for j in range(len(parts) - 1, 0, -1):          # overflow goes up …
        excess = max(0, counts[j] - capacity[j])
        counts[j] -= excess
        counts[j - 1] += excess
    for j in range(len(parts) - 1):                  # … or down
        excess = max(0, counts[j] - capacity[j])
        counts[j] -= excess
        counts[j + 1] += excess
    taken = 0
    for j, part in enumerate(parts):
        part.lines = lines[taken:taken + counts[j]]
        taken += counts[j]
        # The text block reads on across the break: bottom of the first
        # part, top of the next ones.
        part.first_offset = part.height - PAD - len(part.lines) * LINE_H if j == 0 else PAD
    return parts


def _merge_fits(pdf: Any, rows: list[_Row], merge: _Merge) -> bool:
    parts = _merge_parts(pdf, rows, merge)
    return all(len(p.lines) * LINE_H <= p.height - 2 * PAD + 0.01 for p in parts)
