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
from dataclasses import dataclass, field

from extract.layout.flat_format import em_width
from extract.layout.labels import LEVEL1_NAMES, LEVEL2_NAMES, label_key
from extract.parse.values import parse_number
from extract.parse.row_bands import MEASURE, BandLine, Context, LevelPieces, Token, read_table

LEVELS = ("level1", "level2")
TEXT_COLUMNS = ("name", "target", "actual", "deviation")
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


@dataclass
class IndicatorRow:
    cells: dict[str, list[str]] = field(default_factory=dict)     # column → its lines
    weight: str | None = None
    score: str | None = None
    line: int = 0
    levels: dict[str, str | None] = field(default_factory=dict)


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
                         endings: dict | None = None) -> TableRead:
    """The indicator rows of the lines between the header (`first_line`) and
    总分 (`last_line`); `columns` in the header's order.  The merged 一级/二级
    labels' pieces are taken off the lines' starts; the rest is read by the
    rows' shapes (`extract.parse.row_bands`); `endings`, shared by a
    document's tables, gathers how their cells end (`row_bands._cell_endings`)."""
    text_columns = [c for c in columns if c in TEXT_COLUMNS]
    own = capacities(lines, columns)
    caps = {**own, **(caps or {})} if caps else own
    layout = any(f.x is not None for line in lines for f in line.frags)
    band_lines: list[BandLine] = []
    anchors: list[tuple[int, int]] = []
    allowed = tuple(lv for lv in LEVELS if lv in columns)
    levels = LevelPieces(_KNOWN, piece_width, allowed)
    tokens_of = [_tokens(line.frags) for line in lines]
    strips = levels.read([(line.index, [t.text for t in toks]) for line, toks in zip(lines, tokens_of)], label_key) \
        if allowed else [0] * len(lines)
    for line, tokens, strip in zip(lines, tokens_of, strips):
        tokens = tokens[strip:]
        if not tokens:
            continue
        tokens[0].glued = False
        at = anchor_of([Frag(t.text) for t in tokens])
        if at is not None:
            anchors.append((len(band_lines), at))
        band_lines.append(BandLine(tokens, line.index, line.page))
    token_lines = [TextLine([Frag(t.text, t.x) for t in l.tokens], l.index, l.page) for l in band_lines]
    xs = _column_starts(token_lines, text_columns) if layout else {}
    if layout:
        xs["ws"] = [band_lines[p].tokens[at].x for p, at in anchors if band_lines[p].tokens[at].x is not None]
    order = [c for c in text_columns if c != "deviation"] + ["ws"] + (["deviation"] if "deviation" in text_columns else [])
    ctx = Context(order, caps, xs, layout, frozenset(c for c in text_columns if c != "deviation"),
                  endings=endings if endings is not None else {})
    top, cells, doubts = read_table(band_lines, anchors, ctx)
    rows = []
    for (p, at), row_cells in zip(anchors, cells):
        toks = band_lines[p].tokens
        row = IndicatorRow(cells={c: [] for c in text_columns}, weight=toks[at].text, score=toks[at + 1].text,
                           line=band_lines[p].index)
        for cell in row_cells:
            row.cells[cell.column] = [t for _, t in cell.lines]
        rows.append(row)
    read = TableRead(rows, doubts)
    lines_at = [r.line for r in rows]
    if rows:
        # each row's extent: from the middle between its anchor and the one above
        tops = [first_line] + [(a + b) / 2 for a, b in zip(lines_at, lines_at[1:])]
        _group_levels(read, levels, lines_at, top, list(zip(tops, tops[1:] + [last_line])))
    return read


def _tokens(frags: list[Frag]) -> list[Token]:
    out: list[Token] = []
    for f in frags:
        offset = 0
        for k, part in enumerate(f.text.split(" ")):
            if part:
                out.append(Token(part, None if f.x is None else f.x + offset, glued=k > 0))
            offset += len(part) + 1
    return out


def capacities(lines: list[TextLine], columns: list[str]) -> dict[str, float]:
    """The widest line of each column on the anchor lines that name all of
    them (measured over a whole document: a form may have too few); the
    deviation column at least as wide as any line no other column holds."""
    text_columns = [c for c in columns if c in TEXT_COLUMNS]
    caps = {c: 0.0 for c in text_columns}
    pre_cols = [c for c in text_columns if c != "deviation"]
    for line in lines:
        frags = [f for f in line.frags if em_width(f.text) > 0]
        at = anchor_of(frags)
        if at is None:
            continue
        before = [f for f in frags[:at] if em_width(f.text) > 3.5 or MEASURE.search(f.text)]
        if len(before) == len(pre_cols):
            for c, f in zip(pre_cols, before):
                caps[c] = max(caps[c], em_width(f.text))
        if at + 2 < len(frags) and "deviation" in caps:
            caps["deviation"] = max(caps["deviation"], em_width(" ".join(f.text for f in frags[at + 2:])))
    for c in caps:
        caps[c] = caps[c] or 8.0
    if "deviation" in caps:
        others = max([caps[c] for c in caps if c != "deviation"] or [0.0])
        widest = [em_width(f.text) for line in lines for f in line.frags[-1:] if anchor_of(line.frags) is None]
        beyond = [w for w in widest if w > others + 0.6]
        if beyond:
            caps["deviation"] = max(caps["deviation"], max(beyond))
    return caps


def _column_starts(lines: list[TextLine], text_columns: list[str]) -> dict[str, list[float]]:
    """Where each column's fragments start (pdftotext), from the anchor lines."""
    xs: dict[str, list[float]] = {c: [] for c in text_columns}
    pre_cols = [c for c in text_columns if c != "deviation"]
    for line in lines:
        at = anchor_of(line.frags)
        if at is None or any(f.x is None for f in line.frags):
            continue
        before = [f for f in line.frags[:at] if em_width(f.text) > 2.5 or MEASURE.search(f.text)]
        if len(before) == len(pre_cols):
            for c, f in zip(pre_cols, before):
                xs[c].append(f.x)
        if at + 2 < len(line.frags) and "deviation" in xs:
            xs["deviation"].append(line.frags[at + 2].x)
    return xs


def _group_levels(read: TableRead, levels: LevelPieces, lines_at: list[int], top: bool,
                  extents: list[tuple[float, float]]) -> None:
    """Each merged label's rows: top-aligned, from the row its pieces start
    at; centred, the rows whose extent (`extents`, line indices) is centred
    on its pieces."""
    n = len(lines_at)
    tops = [a for a, _ in extents]
    bottoms = [b for _, b in extents]
    l2_bounds, l2_unsure = _spans(levels.groups["level2"], lines_at, tops, bottoms, top, None)
    l1_bounds, l1_unsure = _spans(levels.groups["level1"], lines_at, tops, bottoms, top, l2_bounds)
    for level, bounds, unsure in (("level2", l2_bounds, l2_unsure), ("level1", l1_bounds, l1_unsure)):
        groups = levels.groups[level]
        for (name, _), (a, b) in zip(groups, bounds):
            for r in range(a, b):
                read.rows[r].levels[level] = name
        if not groups and n:
            read.doubts.append((0, level, f"no {level} label found"))
        for r in sorted(unsure):
            read.doubts.append((r, level, "the merged label's rows end one row either side nearly as well"))


# how much worse (in lines) a merged label's bound one row off may fit and still be doubted
LEVEL_DOUBT = 2.0


def _spans(groups: list[tuple[str, list[int]]], lines_at: list[int], tops: list[float], bottoms: list[float],
           top: bool, allowed: list[tuple[int, int]] | None) -> tuple[list[tuple[int, int]], set[int]]:
    """The rows [a, b) each merged label spans, in order, covering all rows;
    and the rows a bound between two labels one row off would give the
    other label at nearly the same cost."""
    n, m = len(lines_at), len(groups)
    if m == 0:
        return [], set()
    cuts = sorted({0, n} | ({a for a, _ in allowed} if allowed else set(range(n + 1))))
    if m >= len(cuts):
        return [(min(j, n - 1), min(j, n - 1) + 1) for j in range(m)], set(range(n))

    def cost(j: int, a: int, b: int) -> float:
        first, last = min(groups[j][1]), max(groups[j][1])
        if top:
            return abs(lines_at[a] - first) + (0 if a == 0 else 0.1)
        return abs((first + last) / 2 - (tops[a] + bottoms[b - 1]) / 2)

    inf = float("inf")
    # best[j][k]: groups 0..j-1 over rows [0, cuts[k])
    best = [[inf] * len(cuts) for _ in range(m + 1)]
    back = [[0] * len(cuts) for _ in range(m + 1)]
    best[0][0] = 0.0
    for j in range(1, m + 1):
        for k in range(1, len(cuts)):
            for p in range(k):
                if best[j - 1][p] < inf:
                    c = best[j - 1][p] + cost(j - 1, cuts[p], cuts[k])
                    if c < best[j][k]:
                        best[j][k], back[j][k] = c, p
    spans, k = [], len(cuts) - 1
    for j in range(m, 0, -1):
        p = back[j][k]
        spans.append((cuts[p], cuts[k]))
        k = p
    spans.reverse()
    unsure: set[int] = set()
    for j in range(m - 1):
        (a, c), (_, b) = spans[j], spans[j + 1]
        here = cost(j, a, c) + cost(j + 1, c, b)
        k = cuts.index(c)
        for other in (cuts[k - 1], cuts[k + 1] if k + 1 < len(cuts) else c):
            if a < other < b and other != c and cost(j, a, other) + cost(j + 1, other, b) - here < LEVEL_DOUBT:
                unsure |= set(range(min(c, other), max(c, other)))
    return spans, unsure
