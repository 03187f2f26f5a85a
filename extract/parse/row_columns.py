"""The indicator table of a row-ordered text: text lines → indicator rows.

Row-ordered texts (pdfplumber's `extract_text`, `pdftotext -layout`) print
the table line by line: one text line holds a line of every cell printed at
its height, left to right.  Here:
- each line is cut into tokens (pdfplumber's single spaces; pdftotext's runs
  of spaces, a single space kept as a hint that two tokens may be one cell);
- the merged 一级/二级 labels' pieces are taken off the lines' starts, the
  two columns' pieces spelling known names (`row_bands.LevelPieces`), their
  groups' rows found from where the pieces stand (top: from the row they
  start at; centred: the rows whose middle is nearest the pieces' middle);
- a row's anchor is the line holding its 分值 and 得分;
- the rest is read by the rows' shapes, top-aligned or centred, whichever
  fits better (`extract.parse.row_bands`), with the columns' widths measured
  over the document (`capacities`) and, for pdftotext, their x.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from itertools import product

from extract.layout.flat_format import em_width
from extract.layout.labels import LEVEL1_NAMES, LEVEL1_OF_LEVEL2, LEVEL2_NAMES, label_key
from extract.parse.flat_lines import SENTENCE_ENDS
from extract.parse.values import parse_number
from extract.parse.row_bands import (
    MEASURE, BandLine, Context, LevelPieces, Token, filled_key, level_name, read_table, read_unanchored,
)
from extract.parse.row_figures import figure_decimals, join_wrapped_figures

LEVELS = ("level1", "level2")
# a target split over 指标性质 / 指标值 / 度量单位 is read as three columns,
# target_op / target / target_unit, joined afterwards (`row_text.TARGET_PARTS`)
# (`extra`: a text column the record keeps in `extra`, 评分标准, read like the others)
TEXT_COLUMNS = ("name", "target_op", "target", "target_unit", "actual", "extra", "deviation")
# the widest piece of a merged 一级/二级 label a narrow column prints on a line
MAX_PIECE_WIDTH = 3.0
SLOT_FIGURE = "0"        # the figures a slot row is anchored by (`TextLine.slot`)
WRAP_DOUBT = "the row's figures read as wrapped onto the next line, but join it no single way"
_KNOWN = {"level1": tuple(label_key(n) for n in LEVEL1_NAMES), "level2": tuple(label_key(n) for n in LEVEL2_NAMES)}


@dataclass
class Frag:
    text: str
    x: float | None = None       # its column in the text (pdftotext), None where the text has none


@dataclass
class TextLine:
    frags: list[Frag]
    index: int                   # position among the form's lines (a proxy of height)
    page: int = 0
    # the part of a table broken over pages the line is in, where it tells
    # more than the page (pdfplumber marks no page break; a repeated header does)
    part: int | None = None
    # an empty slot row's line (指标2, ……): a row of the table, but no indicator
    slot: bool = False


@dataclass
class IndicatorRow:
    cells: dict[str, list[str]] = field(default_factory=dict)     # column → its lines
    weight: str | None = None
    score: str | None = None
    line: int = 0
    levels: dict[str, str | None] = field(default_factory=dict)
    slot: bool = False       # an empty slot row: it takes its place in the table, it gives no indicator


@dataclass
class TableRead:
    rows: list[IndicatorRow]
    doubts: list[tuple[int, str, str]] = field(default_factory=list)   # (row, column, why)


def anchor_of(frags: list[Frag]) -> int | None:
    """Index of the 分值 fragment when the line holds a row's 分值 and 得分: the
    first pair of numbers with no number after them."""
    for i in range(len(frags) - 1):
        a, b = frags[i].text, frags[i + 1].text
        if _plain_number(a) is not None and _plain_number(b) is not None:
            if i + 2 < len(frags) and _plain_number(frags[i + 2].text) is not None:
                continue
            w, s = _plain_number(a), _plain_number(b)
            if w <= 100 and s <= w + 1:
                return i
    return None


def _plain_number(text: str):
    if not re.fullmatch(r"\d+(?:,\d{3})*(?:\.\d+)?", text):
        return None
    try:
        return parse_number(text)
    except ValueError:
        return None


def read_indicator_lines(lines: list[TextLine], columns: list[str], piece_width: float,
                         first_line: int, last_line: int, caps: dict[str, float] | None = None,
                         endings: dict | None = None, total_weight: str | None = None,
                         decimals: int | None = None, hidden_breaks: bool = False) -> TableRead:
    """The indicator rows of the lines between the header (`first_line`) and
    总分 (`last_line`); `columns` in the header's order.  The merged 一级/二级
    labels' pieces are taken off the lines' starts; the rest is read by the
    rows' shapes (`extract.parse.row_bands`); `endings`, shared by a
    document's tables, gathers how their cells end (`row_bands._cell_endings`);
    `total_weight`, 总分's 分值, settles which of two lines is a row's anchor;
    `decimals`, those the document prints its rows' figures with, tells a
    figure a narrow cell wrapped (`row_figures`; measured on these lines if None);
    `hidden_breaks`, the text marks no page break (`Context.hidden_breaks`)."""
    text_columns = [c for c in columns if c in TEXT_COLUMNS]
    layout = any(f.x is not None for line in lines for f in line.frags)
    band_lines: list[BandLine] = []
    anchors: list[tuple[int, int]] = []
    allowed = tuple(lv for lv in LEVELS if lv in columns)
    levels = LevelPieces(_KNOWN, piece_width, allowed)
    tokens_of = [_tokens(line.frags) for line in lines]
    strips = levels.read([(line.index, [t.text for t in toks]) for line, toks in zip(lines, tokens_of)], label_key) \
        if allowed else [0] * len(lines)
    kept = [(line, tokens[strip:]) for line, tokens, strip in zip(lines, tokens_of, strips) if tokens[strip:]]
    if not {"weight", "score"} & set(columns):
        return _read_unanchored_lines(lines, kept, text_columns, levels, first_line, last_line, caps,
                                      endings, hidden_breaks)
    own = capacities(lines, columns)
    caps = {**own, **caps} if caps else own
    if decimals is None:
        decimals = figure_decimals([tokens for line, tokens in kept if not line.slot])
    joined = join_wrapped_figures([tokens for _, tokens in kept], decimals)
    unsure_lines = {kept[k][0].index for k in joined.unsure}
    slot_lines = set()
    for (line, _), tokens in zip(kept, joined.lines):
        if not tokens:
            continue
        tokens[0].glued = False
        if line.slot:
            # a slot row prints no figures: it is anchored as if it did, to keep its place among the rows
            tokens = tokens + [Token(SLOT_FIGURE), Token(SLOT_FIGURE)]
            slot_lines.add(line.index)
        at = anchor_of([Frag(t.text) for t in tokens])
        if at is not None:
            anchors.append((len(band_lines), at))
        band_lines.append(BandLine(tokens, line.index, line.page if line.part is None else line.part))
    anchors = settle_anchor_clashes(anchors, band_lines, total_weight)
    xs, x_pages = _column_starts(band_lines, text_columns) if layout else ({}, None)
    if layout:
        xs["ws"] = [band_lines[p].tokens[at].x for p, at in anchors if band_lines[p].tokens[at].x is not None]
    order = [c for c in text_columns if c != "deviation"] + ["ws"] + (["deviation"] if "deviation" in text_columns else [])
    ctx = Context(order, caps, xs, layout, frozenset(c for c in text_columns if c != "deviation"),
                  endings=endings if endings is not None else {}, x_pages=x_pages,
                  hidden_breaks=hidden_breaks and not layout)
    centred = join_bare_figures(band_lines, anchors, xs) if layout else None
    top, cells, doubts = read_table(band_lines, anchors, ctx, centred)
    if centred is not None and not top:
        band_lines, anchors = centred
    rows = []
    for (p, at), row_cells in zip(anchors, cells):
        toks = band_lines[p].tokens
        row = IndicatorRow(cells={c: [] for c in text_columns}, weight=toks[at].text, score=toks[at + 1].text,
                           line=band_lines[p].index, slot=band_lines[p].index in slot_lines)
        for cell in row_cells:
            row.cells[cell.column] = [t for _, t in cell.lines]
        rows.append(row)
    read = TableRead(rows, doubts)
    for r, row in enumerate(rows):
        if row.line in unsure_lines:
            read.doubts += [(r, "weight", WRAP_DOUBT), (r, "score", WRAP_DOUBT)]
    if rows:
        # the table's parts (a page's, or the lines after a repeated header where no page break is marked)
        page_of = {line.index: line.page if line.part is None else line.part for line in lines}
        geometry = _geometry([r.line for r in rows], cells, [page_of[band_lines[p].index] for p, _ in anchors],
                             page_of, first_line, last_line, top)
        _group_levels(read, levels, geometry, top)
    return read


def _read_unanchored_lines(lines: list[TextLine], kept: list[tuple[TextLine, list[Token]]], text_columns: list[str],
                           levels: LevelPieces, first_line: int, last_line: int, caps: dict[str, float] | None,
                           endings: dict | None, hidden_breaks: bool) -> TableRead:
    """The rows of a table printing no 分值/得分 (`row_bands.read_unanchored`):
    read once with the columns' widths guessed, then again with the widths
    (and, for pdftotext, the x) its surely read rows measure."""
    layout = any(t.x is not None for _, tokens in kept for t in tokens)
    band_lines = [BandLine([replace(t, glued=t.glued and k > 0) for k, t in enumerate(tokens)], line.index,
                           line.page if line.part is None else line.part) for line, tokens in kept]
    if not band_lines:
        return TableRead([], [(0, "name", "the indicator table's lines read no row")])
    order = list(text_columns)
    context = lambda caps, xs: Context(order, caps, xs, layout, frozenset(), endings=endings if endings is not None else {},
                                       hidden_breaks=hidden_breaks and not layout)
    guessed = caps or _unanchored_capacities(band_lines, text_columns)
    top, bands, doubts = read_unanchored(band_lines, context(guessed, {}))
    measured, xs = _measured_columns(bands, doubts, band_lines, text_columns)
    if measured:
        top, bands, doubts = read_unanchored(band_lines, context({**guessed, **measured}, xs if layout else {}))
    rows = []
    for band in bands:
        row = IndicatorRow(cells={c: [] for c in text_columns}, line=band_lines[band.start].index)
        for cell in band.cells:
            row.cells[cell.column] = [t for _, t in cell.lines]
        rows.append(row)
    read = TableRead(rows, doubts + _misshapen_rows(rows, text_columns))
    if rows:
        page_of = {line.index: line.page if line.part is None else line.part for line in lines}
        middles = [_line_at(band_lines, b.middle) for b in bands]
        pages = [band_lines[b.start].page for b in bands]
        geometry = _geometry(middles, [b.cells for b in bands], pages, page_of, first_line, last_line, top)
        _group_levels(read, levels, geometry, top)
    return read


def _misshapen_rows(rows: list[IndicatorRow], text_columns: list[str]) -> list[tuple[int, str, str]]:
    """Doubts on the rows of an unanchored table that no indicator prints so:
    a name, target or actual left empty (a cell taken into the row before or
    after), or a name that ends a sentence (a target or a deviation read as one)."""
    doubts = []
    must = [c for c in ("name", "actual") if c in text_columns] + [c for c in text_columns if c.startswith("target")][:1]
    for r, row in enumerate(rows):
        empty = [c for c in must if not "".join(row.cells.get(c) or []).strip()]
        name = "".join(row.cells.get("name") or []).strip()
        why = (f"the row prints no {' / '.join(empty)}: its cells may be another row's" if empty else
               "the row's name ends a sentence: a target or a deviation may be read as it"
               if name and name[-1] in SENTENCE_ENDS else None)
        if why:
            doubts += [(r, c, why) for c in text_columns + ["level1", "level2"]]
    return doubts


def _line_at(lines: list[BandLine], position: float) -> float:
    """The form line (index) at a position among the table's lines, a half
    one between the two lines either side of it."""
    k = int(position)
    if position == k or k + 1 >= len(lines):
        return float(lines[k].index)
    return (lines[k].index + lines[k + 1].index) / 2


def _unanchored_capacities(lines: list[BandLine], text_columns: list[str]) -> dict[str, float]:
    """The columns' widths guessed from the lines printing a token for every
    column (each token one column's), else the widest token of all."""
    caps = {c: 0.0 for c in text_columns}
    for line in lines:
        if len(line.tokens) == len(text_columns):
            for c, t in zip(text_columns, line.tokens):
                caps[c] = max(caps[c], em_width(t.text))
    widest = max((em_width(t.text) for line in lines for t in line.tokens), default=8.0)
    return {c: w or widest for c, w in caps.items()}


def _measured_columns(bands, doubts: list[tuple[int, str, str]], lines: list[BandLine], text_columns: list[str]
                      ) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Each column's widest cell line and where its lines start (x), over
    the rows read with no doubt on that column."""
    doubted = {(r, c) for r, c, _ in doubts}
    by_index = {line.index: line for line in lines}
    widths: dict[str, float] = {}
    xs: dict[str, list[float]] = {c: [] for c in text_columns}
    for r, band in enumerate(bands):
        for cell in band.cells:
            if (r, cell.column) in doubted or not cell.lines:
                continue
            for i, text in cell.lines:
                widths[cell.column] = max(widths.get(cell.column, 0.0), em_width(text))
                x = _start_of(by_index[i].tokens, text)
                if x is not None:
                    xs[cell.column].append(x)
    return widths, {c: v for c, v in xs.items() if v}


def _start_of(tokens: list[Token], text: str) -> float | None:
    """The x of the token a cell line (tokens joined by spaces) starts with."""
    for k, t in enumerate(tokens):
        if " ".join(u.text for u in tokens[k:k + len(text.split(" "))]) == text:
            return t.x
    return None


def settle_anchor_clashes(anchors: list[tuple[int, int]], band_lines: list[BandLine],
                          total_weight: str | None) -> list[tuple[int, int]]:
    """The anchors, one of each two on adjacent lines dropped where one of
    them holds nothing but its two figures.  Such a line is a row's anchor
    only when the row's other cells wrap above and below it, so no other
    row's anchor stands next to it; else it is a target's and an actual's
    figures, their units wrapped off.  The reading whose 分值 add up to
    总分's is kept; failing that, the bare line is dropped.  Where the text
    has x (pdftotext), a bare line whose figures stand where the other rows'
    分值 do is an anchor all the same: pdftotext may print a centred row's
    other cells on the half lines above its figures (`_at_figure_column`)."""
    at_figures = _at_figure_column(anchors, band_lines)
    bare = lambda k: len(band_lines[anchors[k][0]].tokens) == 2 and k not in at_figures
    clashes = [k for k in range(len(anchors) - 1)
               if anchors[k + 1][0] == anchors[k][0] + 1 and (bare(k) or bare(k + 1))
               and band_lines[anchors[k][0]].page == band_lines[anchors[k + 1][0]].page]
    if not clashes or len(clashes) > 6:
        return anchors
    target = _plain_number(total_weight or "")

    def weights(kept: list[tuple[int, int]]):
        return sum(_plain_number(band_lines[p].tokens[at].text) for p, at in kept)

    default = {k + (0 if bare(k) else 1) for k in clashes}
    readings = [default] + [set(c) for c in product(*[(k, k + 1) for k in clashes]) if set(c) != default]
    for dropped in readings:
        kept = [a for k, a in enumerate(anchors) if k not in dropped]
        if target is not None and weights(kept) == target:
            return kept
    return [a for k, a in enumerate(anchors) if k not in default]


def join_bare_figures(band_lines: list[BandLine], anchors: list[tuple[int, int]], xs: dict[str, list[float]]
                      ) -> tuple[list[BandLine], list[tuple[int, int]]] | None:
    """The lines of a centred table as pdftotext meant them, where it printed
    a row's figures on a line of their own (a bare anchor) and the row's
    other one-line cells on the half line above or below (with its target's
    and actual's first or last lines): the figures joined to the one of the
    two lines next to them, neither an anchor, that holds a cell starting in
    the name column (left of the middle between the anchor lines' names and
    targets; the other holding none: a name of two lines prints a line on
    each).  `xs`: where the anchor lines' cells start.  None where no line
    is joined."""
    if not xs.get("name"):
        return None
    edge = (max(xs["name"]) + min(xs["target"])) / 2 if xs.get("target") else max(xs["name"]) + 3
    anchored = {p for p, _ in anchors}
    named = lambda q: 0 <= q < len(band_lines) and q not in anchored and \
        band_lines[q].tokens[0].x is not None and band_lines[q].tokens[0].x < edge
    joins: dict[int, int] = {}          # bare anchor line -> the line it joins
    for p, at in anchors:
        line = band_lines[p]
        if len(line.tokens) != 2 or any(t.x is None for t in line.tokens):
            continue
        sides = [q for q in (p - 1, p + 1) if named(q) and band_lines[q].page == line.page]
        # (a line between two bare anchors is neither's for sure)
        if len(sides) == 1 and not (named(p - 1) and named(p + 1)) and sides[0] not in joins.values():
            joins[p] = sides[0]
    if not joins:
        return None
    lines: list[BandLine] = []
    moved: dict[int, int] = {}          # old position -> new
    into = {q: p for p, q in joins.items()}
    for k, line in enumerate(band_lines):
        if k in joins:
            continue
        if k in into:
            figures = [replace(t, glued=False) for t in band_lines[into[k]].tokens]
            line = replace(line, tokens=line.tokens + figures, joined=True)
            moved[into[k]] = len(lines)
        moved[k] = len(lines)
        lines.append(line)
    new_anchors = []
    for p, at in anchors:
        at = len(lines[moved[p]].tokens) - 2 if p in joins else at
        new_anchors.append((moved[p], at))
    return lines, new_anchors


# how many columns off the rows' 分值 a bare line's first figure may stand and still be one
FIGURE_REACH = 3.0


def _at_figure_column(anchors: list[tuple[int, int]], band_lines: list[BandLine]) -> set[int]:
    """The bare anchors (a line of two figures alone) whose first figure
    stands where the rows' 分值 stand (the middle x of the other anchors'),
    nearer it than the 年度指标值 column's start (a target's and an actual's
    figures stand left of it)."""
    tokens = lambda k: band_lines[anchors[k][0]].tokens
    bare = [k for k in range(len(anchors)) if len(tokens(k)) == 2 and tokens(k)[0].x is not None]
    xs = sorted(tokens(k)[anchors[k][1]].x for k in range(len(anchors))
                if k not in bare and tokens(k)[anchors[k][1]].x is not None)
    if not bare or len(xs) < 3:
        return set()
    middle = xs[len(xs) // 2]
    return {k for k in bare if abs(tokens(k)[0].x - middle) <= FIGURE_REACH}


@dataclass
class RowGeometry:
    """Where a table's rows stand, in lines, the pages put end to end (each
    page's part of the table after the part before it): each row's anchor,
    top and bottom, where the pages break, and each line's place."""
    anchors: list[float]
    tops: list[float]
    bottoms: list[float]
    breaks: list[float]
    shift: dict[int, float]          # page -> what its line indices move by
    line_page: dict[int, int]

    def at(self, line: int) -> float:
        page = self.line_page.get(line, min(self.shift))
        known = [p for p in self.shift if p <= page] or [min(self.shift)]
        return line + self.shift[max(known)]


def _geometry(anchors: list[int], cells: list[list], pages: list[int], line_page: dict[int, int],
              first_line: int, last_line: int, top: bool) -> RowGeometry:
    """Each page's run of rows measured by `_extents` within its own lines
    (from the header, or the page's first line of the table, to its last
    row's last line on the page, or 总分), the runs then put end to end.  A
    row a page break cuts (its lines go on over the page) reaches into the
    next run."""
    own = [[anchor] + [i for cell in row for i, _ in cell.lines if line_page.get(i, page) == page]
           for anchor, row, page in zip(anchors, cells, pages)]
    tails = [[i for cell in row for i, _ in cell.lines if line_page.get(i, page) != page]
             for row, page in zip(cells, pages)]
    runs: list[list[int]] = []
    for r, page in enumerate(pages):
        if runs and pages[runs[-1][-1]] == page:
            runs[-1].append(r)
        else:
            runs.append([r])
    tops: list[float] = []
    bottoms: list[float] = []
    breaks: list[float] = []
    shift: dict[int, float] = {}
    for k, run in enumerate(runs):
        page = pages[run[0]]
        carried = [i for r in range(run[0]) for i in tails[r] if line_page.get(i) == page]
        lo = first_line if k == 0 else min(carried + own[run[0]]) - 0.5
        hi = last_line if k == len(runs) - 1 else max(own[run[-1]]) + 0.5
        extents = _extents([anchors[r] for r in run], [max(own[r]) - min(own[r]) + 1 for r in run], lo, hi, top)
        move = bottoms[-1] - lo if bottoms else 0.0
        if bottoms:
            breaks.append(bottoms[-1])
        shift[page] = move
        tops += [a + move for a, _ in extents]
        bottoms += [b + move for _, b in extents]
    for r, lines in enumerate(tails):
        for i in lines:
            if line_page.get(i) in shift:
                bottoms[r] = max(bottoms[r], i + shift[line_page[i]] + 0.5)
    # a part holding no anchor, only rows' lines gone on over a break: a break before it too
    for page in sorted({line_page[i] for lines in tails for i in lines if line_page.get(i) not in shift}):
        start = min(i for i, p in line_page.items() if p == page)
        move = shift[max(p for p in shift if p < page)] if any(p < page for p in shift) else 0.0
        breaks.append(start - 0.5 + move)
        shift[page] = move
    moved = [anchor + shift[page] for anchor, page in zip(anchors, pages)]
    return RowGeometry(moved, tops, bottoms, breaks, shift, line_page)


def _extents(anchors: list[int], heights: list[int], first_line: float, last_line: float,
             top: bool = False) -> list[tuple[float, float]]:
    """Each row's extent in lines, from its anchor.  Top-aligned: from its
    anchor line to the next one's.  Centred: a row of h lines and padding d
    stands h + d high centred on its anchor, so two rows' anchors are
    (h + h') / 2 + d apart, and the rule between them stands (h - h') / 4
    off the middle between them; the first and last rows take the padding
    of the gap next to them (within the table's lines)."""
    n = len(anchors)
    if top:
        starts = [a - 0.5 for a in anchors]
        return list(zip(starts, starts[1:] + [max(last_line, starts[-1] + heights[-1])]))
    if n == 1:
        return [(float(first_line), float(last_line))]
    gaps = [b - a for a, b in zip(anchors, anchors[1:])]
    rules = [a + g / 2 + (h - h2) / 4 for a, g, h, h2 in zip(anchors, gaps, heights, heights[1:])]
    pad = lambda k: max(0.0, gaps[k] - (heights[k] + heights[k + 1]) / 2)
    first = max(float(first_line), anchors[0] - (heights[0] + pad(0)) / 2)
    last = min(float(last_line), anchors[-1] + (heights[-1] + pad(n - 2)) / 2)
    return list(zip([first] + rules, rules + [last]))


def _tokens(frags: list[Frag]) -> list[Token]:
    out: list[Token] = []
    for f in frags:
        offset = 0
        for k, part in enumerate(f.text.split(" ")):
            if part:
                out.append(Token(part, None if f.x is None else f.x + offset, glued=k > 0))
            offset += len(part) + 1
    return out


def document_decimals(lines: list[TextLine]) -> int | None:
    """How many decimals a document's rows print their 分值 and 得分 with
    (`row_figures.figure_decimals`), over all its tables' lines."""
    return figure_decimals([_tokens(line.frags) for line in lines if not line.slot])


def capacities(lines: list[TextLine], columns: list[str]) -> dict[str, float]:
    """The widest line of each column on the anchor lines that name all of
    them (measured over a whole document: a form may have too few); the
    deviation column at least as wide as any line no other column holds;
    and, under `filled_key(column)`, the width each column surely holds
    (its lines less what their half-width characters may print narrower)."""
    text_columns = [c for c in columns if c in TEXT_COLUMNS]
    caps = {c: 0.0 for c in text_columns}
    filled: dict[str, float] = {}
    pre_cols = [c for c in text_columns if c != "deviation"]
    for line in lines:
        frags = [f for f in line.frags if em_width(f.text) > 0]
        at = anchor_of(frags)
        if at is None:
            continue
        before = _cells_before(frags[:at], lambda f: em_width(f.text) > 3.5 or MEASURE.search(f.text), pre_cols)
        if len(before) == len(pre_cols):
            for c, f in zip(pre_cols, before):
                text = _without_level_pieces(f.text)
                caps[c] = max(caps[c], em_width(text))
                filled[c] = max(filled.get(c, 0.0), em_width(text) - _width_doubt(text))
        if at + 2 < len(frags) and "deviation" in caps:
            caps["deviation"] = max(caps["deviation"], em_width(" ".join(f.text for f in frags[at + 2:])))
    for c in caps:
        caps[c] = caps[c] or 8.0
    if "deviation" in caps:
        others = max([caps[c] for c in text_columns if c != "deviation"] or [0.0])
        widest = [em_width(f.text) for line in lines for f in line.frags[-1:] if anchor_of(line.frags) is None]
        beyond = [w for w in widest if w > others + 0.6]
        if beyond:
            caps["deviation"] = max(caps["deviation"], max(beyond))
    # the width a column surely holds, for telling a line that filled it
    caps.update({filled_key(c): min(w, caps[c]) for c, w in filled.items() if w > 0})
    return caps


def _cells_before(pieces: list, starts_cell, pre_cols: list[str]) -> list:
    """The pieces of an anchor line that start the cells before 分值: those
    `starts_cell` takes (not a merged label's short piece, nor a word one
    space after another).  Where the target is split over three narrow
    cells (≥ / 90 / %), short pieces after the first cell start cells too:
    the merged labels' pieces stand only before it."""
    if "target_op" not in pre_cols:
        return [p for p in pieces if starts_cell(p)]
    first = next((k for k, p in enumerate(pieces) if starts_cell(p)), len(pieces))
    return pieces[first:]


def _width_doubt(text: str) -> float:
    """How much less than `em_width` a line may print: em_width counts a
    half-width character half an em, a font may print it narrower (a
    line of 8 ideographs and two brackets fits where 9 ideographs wrap)."""
    return NARROW_DOUBT * sum(1 for ch in text if ord(ch) < 0x2e80)


NARROW_DOUBT = 0.08


def _without_level_pieces(text: str) -> str:
    """A fragment without the merged labels' pieces printed one space before
    it (pdftotext joins a top-aligned row's 产出 数量 to its name)."""
    words = text.split(" ")
    while len(words) > 1 and em_width(words[0]) <= MAX_PIECE_WIDTH and _is_level_piece(words[0]):
        words.pop(0)
    return " ".join(words)


def _is_level_piece(word: str) -> bool:
    key = label_key(word)
    return bool(key) and any(key in name for names in _KNOWN.values() for name in names)


def _column_starts(lines: list[BandLine], text_columns: list[str]
                   ) -> tuple[dict[str, list[float]], dict[str, set[int]]]:
    """Where each column's fragments start (pdftotext), from the anchor lines
    holding one before 分值 for each column: the merged labels' pieces are
    off the lines, so a token starting a fragment starts a cell, whatever
    its width (a short verdict, 良好, too); one a single space after another
    (glued) may (two cells one space apart) where it reads as a cell's
    start (wide, or a measure).  With the pages (table parts) each column
    was measured on."""
    xs: dict[str, list[float]] = {c: [] for c in text_columns}
    pages: dict[str, set[int]] = {c: set() for c in text_columns}
    pre_cols = [c for c in text_columns if c != "deviation"]
    for line in lines:
        tokens = line.tokens
        at = anchor_of([Frag(t.text) for t in tokens])
        if at is None or any(t.x is None for t in tokens):
            continue
        before = _cells_before(tokens[:at], lambda t: not t.glued or em_width(t.text) > 2.5 or MEASURE.search(t.text),
                               pre_cols)
        if len(before) == len(pre_cols):
            for c, t in zip(pre_cols, before):
                xs[c].append(t.x)
                pages[c].add(line.page)
        if at + 2 < len(tokens) and "deviation" in xs:
            xs["deviation"].append(tokens[at + 2].x)
            pages["deviation"].add(line.page)
    return xs, pages

def _group_levels(read: TableRead, levels: LevelPieces, rows: RowGeometry, top: bool) -> None:
    """Each merged label's rows (`_spans`), the 一级 ones over whole 二级 groups."""
    n = len(rows.anchors)
    slots = {r for r, row in enumerate(read.rows) if row.slot}
    l2_bounds, l2_unsure = _spans(levels.groups["level2"], rows, top, None, slots=slots)
    parents: list[str | None] = [None] * n
    for (name, _), (a, b) in zip(levels.groups["level2"], l2_bounds):
        for r in range(a, b):
            parents[r] = LEVEL1_OF_LEVEL2.get(name)
    l1_bounds, l1_unsure = _spans(levels.groups["level1"], rows, top, l2_bounds, parents, slots)
    l1_unsure = set(l1_unsure) | set(l2_unsure)     # the 一级 spans are cut at the 二级 ones
    for level, bounds, unsure in (("level2", l2_bounds, l2_unsure), ("level1", l1_bounds, l1_unsure)):
        groups = levels.groups[level]
        for (name, _), (a, b) in zip(groups, bounds):
            for r in range(a, b):
                read.rows[r].levels[level] = name
        if not groups and n:
            read.doubts.append((0, level, f"no {level} label found"))
        for r in sorted(unsure):
            read.doubts.append((r, level, "another reading of the merged labels gives the row another nearly as well"))


# how much worse (in lines) a reading of all the table's labels that gives a row
# another label may fit and still doubt it
LEVEL_DOUBT = 1.5
# what (in lines) a 一级 label over a row whose 二级 label belongs to another costs
WRONG_PARENT = 10.0
# what (in lines) a label printed on both sides of a page break costs over rows the break does not cut
CUT_LABEL = 5.0
# what (in lines) a group starting with an empty slot row costs (`_spans`)
SLOT_START = 1.5
# what a line between a cut cell's label and the cell's middle costs (a weak preference)
NEAR = 0.1


def label_place(rows: RowGeometry, a: int, b: int, top: bool, n_lines: int) -> float:
    """Where the middle of a merged label over rows [a, b) of `n_lines`
    lines is printed: top-aligned, its lines from the first row's; centred,
    in the cell's middle.  A cell a page break cuts prints its label in the
    part holding the cell's middle, at that part's bottom if the first
    part, else at its top (the lines read on across the break)."""
    first, last = rows.tops[a], max(rows.bottoms[a:b])
    cuts = [x for x in rows.breaks if first < x < last]
    if not cuts:
        return rows.anchors[a] + (n_lines - 1) / 2 if top else (first + last) / 2
    middle = (first + last) / 2
    bounds = [first] + cuts + [last]
    held = max(k for k in range(len(bounds) - 1) if bounds[k] <= middle)
    return bounds[held + 1] - n_lines / 2 if held == 0 else bounds[held] + n_lines / 2


def _cut_cell(rows: RowGeometry, a: int, b: int) -> bool:
    return any(rows.tops[a] < x < max(rows.bottoms[a:b]) for x in rows.breaks)


def _spans(groups: list[tuple[str, list[int]]], rows: RowGeometry, top: bool, allowed: list[tuple[int, int]] | None,
           parents: list[str | None] | None = None, slots: set[int] = frozenset()
           ) -> tuple[list[tuple[int, int]], set[int]]:
    """The rows [a, b) each merged label spans, in order, covering all rows,
    each label's pieces where `label_place` prints its label; and the rows
    some reading of all the labels nearly as good gives another label.
    `parents`: the 一级 label each row's 二级 one belongs to, where known;
    `slots`: the empty slot rows (`IndicatorRow.slot`)."""
    n, m = len(rows.anchors), len(groups)
    if m == 0:
        return [], set()
    cuts = sorted({0, n} | ({a for a, _ in allowed} if allowed else set(range(n + 1))))
    if m >= len(cuts):
        return [(min(j, n - 1), min(j, n - 1) + 1) for j in range(m)], set(range(n))
    middles = [(rows.at(min(lines)) + rows.at(max(lines))) / 2 for _, lines in groups]
    # a label with pieces in two parts of the table: its cell goes on over the break (a label cut by it)
    straddles = [len({rows.line_page.get(i) for i in lines}) > 1 for _, lines in groups]
    sizes = [len(set(lines)) for _, lines in groups]

    memo: dict[tuple[int, int, int], float] = {}

    def cost(j: int, p: int, q: int) -> float:
        """Group j over rows [cuts[p], cuts[q])."""
        if (j, p, q) not in memo:
            a, b = cuts[p], cuts[q]
            strays = sum(1 for r in range(a, b) if parents[r] not in (None, level_name(groups[j][0]))) if parents else 0
            c = abs(middles[j] - label_place(rows, a, b, top, sizes[j])) + (0.1 if top and a else 0.0)
            if _cut_cell(rows, a, b):
                # a page break leaves where the cell starts or ends open: the nearer the likelier
                c += NEAR * abs(middles[j] - (rows.tops[a] + max(rows.bottoms[a:b])) / 2)
            elif straddles[j]:
                c += CUT_LABEL
            # the empty slot rows (指标2, ……) a group's cell prints end it: seldom the first of one
            memo[j, p, q] = c + WRONG_PARENT * strays + (SLOT_START if a in slots else 0.0)
        return memo[j, p, q]

    inf = float("inf")
    last = len(cuts) - 1
    # head[j][k]: groups 0..j-1 over rows [0, cuts[k]); tail[j][k]: groups j.. over [cuts[k], n)
    head = [[inf] * len(cuts) for _ in range(m + 1)]
    back = [[0] * len(cuts) for _ in range(m + 1)]
    head[0][0] = 0.0
    for j in range(1, m + 1):
        for k in range(1, len(cuts)):
            for p in range(k):
                if head[j - 1][p] < inf and head[j - 1][p] + cost(j - 1, p, k) < head[j][k]:
                    head[j][k], back[j][k] = head[j - 1][p] + cost(j - 1, p, k), p
    tail = [[inf] * len(cuts) for _ in range(m + 1)]
    tail[m][last] = 0.0
    for j in range(m - 1, -1, -1):
        for k in range(last):
            tail[j][k] = min((cost(j, k, q) + tail[j + 1][q] for q in range(k + 1, len(cuts))
                              if tail[j + 1][q] < inf), default=inf)
    spans, k = [], last
    for j in range(m, 0, -1):
        p = back[j][k]
        spans.append((cuts[p], cuts[k]))
        k = p
    spans.reverse()
    chosen = [j for j, (a, b) in enumerate(spans) for _ in range(a, b)]
    # a row another label takes in a reading of all the table's labels nearly as good
    unsure: set[int] = set()
    for j in range(m):
        for p in range(last):
            for q in range(p + 1, len(cuts)):
                if head[j][p] + cost(j, p, q) + tail[j + 1][q] - head[m][last] < LEVEL_DOUBT:
                    unsure |= {r for r in range(cuts[p], cuts[q]) if chosen[r] != j}
    return spans, unsure
