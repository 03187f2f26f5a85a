"""The flat texts people get from a form, by the extractors they use: the
corpus's material for the flat parser, its tests and the NER model.

    content-order  the seed's shape: content-stream order, cell after cell,
                   blank lines between text boxes (`corpus.flat`)
    pdfplumber     `page.extract_text()` of every page, joined by newlines:
                   lines by height, the cells of a row interleaved line by line
    pdfminer       `pdfminer.high_level.extract_text` with its default layout
                   analysis (what `pdf2txt.py` prints): text boxes grouped by
                   column, form feeds between pages
    pdftotext      `pdftotext -layout` of Debian's poppler-utils: lines by
                   height, columns kept apart by runs of spaces
    web-table      a form published as an HTML table and copied from the
                   browser: a line per row, cells split by tabs, runs of
                   spaces or ` | `, a merged cell only in its first row

Besides, the shapes in which a copied table reaches users (`COPIED_SHAPES`,
TEMPLATES.md, last list), each printed from the records like web-table:

    one-line       a whole form on one line, its cells split by spaces
    paragraphs     one cell per paragraph (blank lines between cells)
    boilerplate    a web table after a paragraph of the page's own text
    run-together   one cell per paragraph, a funding row's figures run
                   together in one (`371.99369.7299.38`)

`flat_text(name, pdf, records, styles, seed)` gives one extractor's text; the
PDF-based ones read `pdf`, `web-table` prints `records` in their `styles` (a
web page has no pages, so no row is broken across one).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Sequence

from corpus.render import FormStyle, printed_rows
from extract.external import run_program

FLAT_EXTRACTORS = ("content-order", "pdfplumber", "pdfminer", "pdftotext", "web-table")
WEB_SEPARATORS = ("\t", "  ", " | ")
COPIED_SHAPES = ("one-line", "paragraphs", "boilerplate", "run-together")
BOILERPLATE = ("根据财政部门关于开展预算绩效自评工作的要求，现将本单位{year}年度项目支出绩效自评结果公开如下。",
               "发布时间：{year}-06-30　来源：本部门　字号：大 中 小",
               "附件下载：项目支出绩效自评表.pdf（点击查看）")


def content_order_text(pdf: Path, seed: int = 0) -> str:
    from corpus.flat import pdf_to_flat_text

    return pdf_to_flat_text(pdf, seed)[0]


def pdfplumber_text(pdf: Path) -> str:
    import pdfplumber

    with pdfplumber.open(str(pdf)) as document:
        return "\n".join(page.extract_text() or "" for page in document.pages) + "\n"


def pdfminer_text(pdf: Path) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(str(pdf))


def pdftotext_text(pdf: Path) -> str:
    result = run_program(["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"], timeout=120,
                         install_hint="apt-get install poppler-utils")
    return result.stdout.decode("utf-8")


def web_table_text(records: Sequence[dict[str, Any]], styles: Sequence[FormStyle] | None = None,
                   seed: int = 0) -> str:
    """The forms as copied from a web page: title lines, then a line per table
    row with its cells split by one separator (drawn per text, seeded)."""
    separator = random.Random(seed).choice(WEB_SEPARATORS)
    styles = list(styles) if styles is not None else [FormStyle()] * len(records)
    lines: list[str] = []
    for record, style in zip(records, styles):
        title_lines, rows = printed_rows(record, style)
        lines += [line for line in title_lines if line]
        lines += [separator.join(cells).rstrip() for cells in rows]
        lines.append("")
    return "\n".join(lines)


def copied_text(shape: str, records: Sequence[dict[str, Any]], styles: Sequence[FormStyle] | None = None,
                seed: int = 0) -> str:
    """The forms in one of `COPIED_SHAPES`, from the cells a web page holds."""
    rng = random.Random(f"{shape} {seed}")
    styles = list(styles) if styles is not None else [FormStyle()] * len(records)
    blocks: list[str] = []
    for record, style in zip(records, styles):
        title_lines, rows = printed_rows(record, style)
        titles = [line for line in title_lines if line]
        cells = [cell for row in rows for cell in row if cell]
        if shape == "one-line":
            blocks.append(" ".join(titles + cells))
        elif shape == "paragraphs":
            blocks.append("\n\n".join(titles + cells))
        elif shape == "run-together":
            cells = [cell for row in rows for cell in _figures_run_together(row) if cell]
            blocks.append("\n\n".join(titles + cells))
        elif shape == "boilerplate":
            lead = [line.format(year=record.get("year") or "") for line in rng.sample(BOILERPLATE, 2)]
            blocks.append("\n".join(lead + titles + ["  ".join(row).rstrip() for row in rows]))
        else:
            raise ValueError(f"shape {shape!r}: not one of {', '.join(COPIED_SHAPES)}")
    return "\n\n".join(blocks) + "\n"


def _figures_run_together(row: list[str]) -> list[str]:
    """A funding row's neighbouring figures in one cell, as a copy that lost
    the separators prints them (`371.99369.7299.38`); other rows as they are."""
    from extract.layout.labels import label_key
    from extract.layout.templates import label_tables
    from extract.parse.values import is_number_token

    labels = {label_key(label) for synonyms in label_tables().funding_rows.values() for label in synonyms}
    if not row or label_key(row[0]) not in labels:
        return row
    out: list[str] = [row[0]]
    glued = False
    for cell in row[1:]:
        figure = bool(cell) and is_number_token(cell) and cell not in "-/—"
        if figure and glued:
            out[-1] += cell
        else:
            out.append(cell)
        glued = figure
    return out


def flat_text(name: str, pdf: Path | None = None, records: Sequence[dict[str, Any]] | None = None,
              styles: Sequence[FormStyle] | None = None, seed: int = 0) -> str:
    if name == "content-order":
        return content_order_text(_needs(pdf, name), seed)
    if name == "pdfplumber":
        return pdfplumber_text(_needs(pdf, name))
    if name == "pdfminer":
        return pdfminer_text(_needs(pdf, name))
    if name == "pdftotext":
        return pdftotext_text(_needs(pdf, name))
    if name == "web-table":
        if records is None:
            raise ValueError("web-table: needs the records (a web page is printed from them)")
        return web_table_text(records, styles, seed)
    if name in COPIED_SHAPES:
        if records is None:
            raise ValueError(f"{name}: needs the records (the copied table is printed from them)")
        return copied_text(name, records, styles, seed)
    raise ValueError(f"extractor {name!r}: not one of {', '.join(FLAT_EXTRACTORS)}")


def _needs(pdf: Path | None, name: str) -> Path:
    if pdf is None:
        raise ValueError(f"{name}: needs the PDF")
    return Path(pdf)
