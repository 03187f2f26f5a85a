"""The indicator rows of a row-ordered text, read by the rows' shapes.

A text line is one height of the table; its tokens are, left to right, a
line of every cell printed at that height.  What does not depend on the font,
its size or the column widths:
- a row's anchor is the line with its 分值 and 得分 (one line each);
- top-aligned cells start on their row's anchor line and go on downwards;
  centred cells are centred on it: a cell of 2j+1 lines has j lines above the
  anchor, one on it and j below; a cell of 2j lines j above and j below, at
  half-line heights.  So a centred row has as many lines above its anchor as
  below, and given how many of its lines are at whole and how many at half
  heights, where every cell's lines stand follows;
- a cell's lines are its text wrapped: every line but its last fills the
  column (the next line's first word would not have fitted);
- the columns keep the header's order on every line.
Each row's band (which lines between two anchors are the upper row's) and
each line's tokens' columns are chosen together: the split of every gap
between anchors by a dynamic programme over the rows, the cells of a band by
one over the columns (its state: how many tokens of each line are taken).
Where the second best reading of a band is nearly as good, the columns the
two differ in are doubted.  Lines after a page break inside a row (a row
Word broke) continue its cells: each cell one run of them; where the text
marks no page break (pdfplumber), a row may be read as broken anywhere, at
a cost, and is then doubted.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from math import log

from extract.layout.cell_words import (
    BOUND_ENDINGS, COMPARISON_WORDS, NAME_CONTINUATIONS, NAME_ENDINGS, NON_FINAL, SENTENCE_MARKS, VERDICT_MAX_CHARS,
    VERDICT_WORDS,
)
from extract.layout.flat_format import NO_LINE_END, NO_LINE_START, em_width
from extract.parse.flat_lines import SENTENCE_ENDS

INF = float("inf")
FULL_SCORE_REMARK = 1.0   # a deviation cell on a row scored in full (see `_remark_cost`)
UNREAD = 1000.0
# an empty cell: every row has a name (its identity), most a target and an actual
EMPTY_CELL = {"name": 0.8, "target": 0.4, "actual": 0.4}     # a band no reading fits: its cost where the table's bounds are chosen
# what an 实际完成值 says when it is no figure: 达成指标, 部分达成, 已完成, 达到…
_VALUE = re.compile(r"^(?:[=≥≤><≧≦⩾⩽═﹦]|>=|<=)?\d[\d,]*(?:\.\d+)?(?:[(（][^)）]{1,4}[)）]|%)$")
_UNIT = re.compile(r"^[(（][^)）]{1,4}[)）]$")
_BARE_FIGURE = re.compile(r"^(?:[=≥≤><≧≦⩾⩽═﹦]|>=|<=)?\d[\d,]*(?:\.\d+)?$")
_VERDICT = re.compile(r"^(?:部分|基本|全部|已|未)?(?:达成|完成|达到|实现)")
DOUBT_MARGIN = 0.4
CONTINUATION_COST = 1.0     # a cell starting or ending as only a wrapped line's piece does
NAME_END = 0.6              # a target's or actual's last line a name's ending alone (see `cell_cost`)
NAME_SUFFIXES = ("率", "性", "度")      # what a name ends with (覆盖率, 及时性, 满意度), a target seldom
STRAY_UNIT = 2.0            # a cell ending in a unit no figure of it takes (see `stray_unit`)
OPEN_BOUND = 2.0            # a target ending in a bound (不超过): its figure cut off
WHOLE_FIGURE = 1.5          # a target or actual cell going on past its figure's unit, or starting with one
MAX_TAKE = 3        # tokens one cell line may join (a space inside a cell)
BEAM = 8           # states kept after each column
# a row a page break cuts: its cells go on over more lines, in more ways
TAIL_BEAM = 24
_LATIN_RUN = re.compile(r"^[^\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\s]+")
# a bound: what a 年度指标值 starts with, an 实际完成值 never
_BOUND = re.compile(r"^(?:[=≥≤><≧≦⩾⩽═﹦]|>=|<=|不[低少小高超多大]于|不超过)")
# what a target or an actual looks like: an operator or a number first, or a short unit in brackets
MEASURE = re.compile(r"^(?:[=≥≤><≧≦⩾⩽═﹦]|不[低少小高超多大]于|不超过|\d)|[(（][^)）]{1,4}[)）]$")


@dataclass
class Token:
    text: str
    x: float | None = None
    glued: bool = False      # printed one space after the previous token (may be one cell)


@dataclass
class BandLine:
    tokens: list[Token]
    index: int               # the line's index in the form
    page: int = 0
    # a row's figures pdftotext printed apart, joined back to the half line
    # holding its one-line cells: the row's lines stand one more on one side
    joined: bool = False


@dataclass
class Cell:
    column: str
    lines: list[tuple[int, str]]     # (line index, text)


@dataclass
class Context:
    columns: list[str]               # text columns in the header's order, "ws" where 分值/得分 stand
    caps: dict[str, float]
    xs: dict[str, list[float]]
    layout: bool                     # tokens have an x (pdftotext)
    before_ws: frozenset = frozenset()
    cache: dict = field(default_factory=dict)
    # how the document's tables read so far end their name and target cells (`_cell_endings`)
    endings: dict = field(default_factory=dict)
    # the pages (table parts) whose anchor lines measured a column's start
    # (`xs`): pdftotext sets a character's x by the text before it, so its
    # columns stand elsewhere page by page; a line on another page pays no
    # cost for its x in that column
    x_pages: dict[str, set[int]] | None = None
    # the text marks no page break (pdfplumber's pages joined by newlines):
    # a row Word broke over a page may stand anywhere in a centred table
    hidden_breaks: bool = False


def filled_key(column: str) -> str:
    """The key of a Context's caps holding the width a column surely holds
    (`row_columns.capacities`): a line reaching past it filled the column."""
    return column + ":filled"


def first_unit(text: str) -> float:
    """Width of what a wrapped line's next line starts with: a Latin word, or
    one CJK character with the marks that may not start a line; an opening
    bracket (which may not end one) with what follows it."""
    opening = 0
    while opening < len(text) - 1 and text[opening] in NO_LINE_END:
        opening += 1
    if opening:
        return em_width(text[:opening]) + first_unit(text[opening:])
    m = _LATIN_RUN.match(text)
    if m:
        return em_width(m.group())
    unit = text[:1]
    k = 1
    while k < len(text) and text[k] in NO_LINE_START:
        unit += text[k]
        k += 1
    return em_width(unit)


def cell_cost(column: str, texts: list[str], xs: list[float | None], ctx: Context, last_is_end: bool = True) -> float:
    """How unlike a cell of `column` these lines are."""
    cap = ctx.caps.get(column, 8.0)
    cost = 0.0
    for k, text in enumerate(texts):
        w = em_width(text)
        if w > cap + 0.6:
            cost += min(4.0, 1.5 + (w - cap))
        # a cell's lines may go on past the band's last (over a page), but not past a unit
        if k + 1 < len(texts) or not (last_is_end or _UNIT.match(text)):
            nxt = texts[k + 1] if k + 1 < len(texts) else None
            reach = w + (first_unit(nxt) if nxt else 1.0)
            # a line as wide as one the column held would have fitted: no wrap
            slack = 0.08 * sum(1 for ch in text + (nxt or "")[:4] if ord(ch) < 0x2e80)
            # (against the width the column surely holds: one measured on
            # half-width characters is known less exactly)
            sure = min(cap, ctx.caps.get(filled_key(column), cap))
            if reach <= sure - slack + 0.05:
                cost += min(2.5, 0.8 + (sure - reach) / 2)
            if column in ("target", "actual") and _VALUE.match(text) and not _unit_wrapped(text, nxt):
                cost += 1.5         # a figure with its unit is a whole cell
            if column in ("target", "actual") and k and _UNIT.match(text) and _unit_wrapped(texts[k - 1], text):
                cost += WHOLE_FIGURE        # so is a figure with its unit wrapped onto the next line
        elif w >= cap - 0.3 and len(texts) == 1 and column != "deviation":
            cost += 0.3
        measure = bool(MEASURE.search(text))
        if k == 0 and _VERDICT.match(text):
            cost += -0.8 if column == "actual" else 0.8
        if column == "actual" and _BOUND.match(text):
            cost += 1.5         # an actual is what was reached, not a bound (on none of its lines)
        if k == 0 and column in ("target", "actual") and _UNIT.match(text):
            cost += WHOLE_FIGURE        # a unit follows the figure it qualifies: none starts a cell
        if column in ("target", "actual"):
            cost -= 0.6 if measure else 0.0
        elif measure and len(text) < 14:
            cost += 0.6
        if column == "name" and k == 0 and len(texts) == 1 and _VALUE.match(text) and _BOUND.match(text):
            cost += WHOLE_FIGURE    # a bound with its figure and unit is a whole 年度指标值, never a 三级指标
        x = xs[k]
        if x is not None and ctx.xs.get(column):
            lo, hi = min(ctx.xs[column]), max(ctx.xs[column])
            distance = max(lo - x - 1, x - hi - 2, 0.0)
            cost += min(4.0, distance / 3.0)
        elif x is not None and column in ctx.columns:
            # a column no anchor line measured: right of the columns before it
            earlier = [max(ctx.xs[c]) for c in ctx.columns[:ctx.columns.index(column)] if ctx.xs.get(c)]
            if earlier and x < max(earlier) + 1:
                cost += min(4.0, 1.0 + (max(earlier) + 1 - x) / 3.0)
    cost += _target_part_cost(column, texts, "target_op" in ctx.columns)
    if column == "deviation" and texts and re.search(r"[。；;]", texts[-1]):
        cost -= 0.3
    if column == "name" and texts and texts[0].startswith(NAME_CONTINUATIONS):
        cost += CONTINUATION_COST      # the end of a name wrapped off the row above
    if column in ("target", "actual") and len(texts) > 1 and texts[-1] in NAME_SUFFIXES:
        cost += NAME_END      # a wrapped line of a name's last character alone (率): the name's
    if column in ("name", "target", "actual") and texts and last_is_end and texts[-1].endswith(NON_FINAL):
        cost += CONTINUATION_COST      # a cell cut before its last words
    if column == "target" and texts and last_is_end and texts[-1].endswith(BOUND_ENDINGS):
        cost += OPEN_BOUND      # a bound cut off the figure it bounds
    if column in ("name", "target", "actual") and stray_unit(texts, column):
        cost += STRAY_UNIT
    if column in ("name", "target", "actual") and texts:
        unopened, unclosed = unbalanced("".join(texts))
        # a cell's brackets pair up within it: a closing one first is the end
        # of a text wrapped off the row above, an opening one left open a
        # text cut before its end
        cost += CONTINUATION_COST * (unopened + (unclosed and last_is_end))
    return cost


# what a split target's 指标性质 cell holds: an operator, or whether the target is a figure or words
_TARGET_OP = re.compile(r"^(?:[=≥≤><≧≦⩾⩽═﹦]|>=|<=|定性|定量)$")
MISPLACED_PART = 4.0       # a text no such cell prints (a name that is an operator alone, …)


def _target_part_cost(column: str, texts: list[str], split: bool) -> float:
    """How unlike the cells of a target split over 指标性质 / 指标值 / 度量单位
    (`row_columns.TEXT_COLUMNS`) these lines are: 指标性质 one operator or
    定性/定量 alone, which no other cell of such a table prints as a word of
    its own; a 度量单位 no figure."""
    if column == "target_op":
        return MISPLACED_PART * (sum(1 for t in texts if not _TARGET_OP.match(t)) + max(0, len(texts) - 1))
    if split and column in ("name", "target", "target_unit", "actual") and \
            any(_TARGET_OP.match(word) for t in texts for word in t.split()):
        return MISPLACED_PART
    if column == "target_unit" and any(t[:1].isdigit() for t in texts):
        return MISPLACED_PART / 2
    return 0.0


_BRACKETS = {"》": "《", "）": "（", ")": "("}


def unbalanced(text: str) -> tuple[bool, bool]:
    """Whether a text closes a bracket it did not open, and whether it
    leaves one open (《》, （）, ())."""
    depth = {opening: 0 for opening in _BRACKETS.values()}
    unopened = False
    for ch in text:
        if ch in depth:
            depth[ch] += 1
        elif ch in _BRACKETS:
            if depth[_BRACKETS[ch]]:
                depth[_BRACKETS[ch]] -= 1
            else:
                unopened = True
    return unopened, any(depth.values())


def stray_unit(texts: list[str], column: str) -> bool:
    """Whether a cell ends in a unit printed apart (on its own line, or one
    space after the rest) that qualifies no figure of it: a unit (（%）) is
    a target's or an actual's, after a bare figure; no name ends with one,
    and a figure closed by its unit takes no second.  (A bracketed list such
    as （一、二） may stand inside a name.)"""
    words = " ".join(texts).split()
    if not words or not _UNIT.match(words[-1]) or any(mark in words[-1] for mark in "、，,"):
        return False
    return column == "name" or len(words) < 2 or not _BARE_FIGURE.match(words[-2])


def _unit_wrapped(text: str, nxt: str | None) -> bool:
    """Whether a bare figure's unit went on to the next line."""
    return bool(nxt) and bool(_UNIT.match(nxt)) and not text.endswith((")", "）", "%"))


def _cell_cost(column, texts, xs, ctx, last_end):
    key = (column, texts, xs, last_end)
    cache = ctx.cache
    if key not in cache:
        cache[key] = cell_cost(column, list(texts), list(xs), ctx, last_end)
    return cache[key]


def _merge_cost(tokens: list[Token], layout: bool) -> float:
    cost = 0.0
    for t in tokens[1:]:
        cost += (0.6 if t.glued else 5.0) if layout else 1.2
    return cost


def solve_band(lines: list[BandLine], anchor: int, at: int, choices: dict[str, list[tuple[float, list[int]]]],
               ctx: Context, open_end: bool = False) -> tuple[float, list[Cell], set[str]]:
    """The best reading of one band: `lines` its lines, `anchor` the position
    of its anchor line among them, `at` the index of 分值 among that line's
    tokens, `choices` each column's possible line sets (positions in `lines`,
    with a cost of their own).  Returns its cost, its cells and the columns
    the second best reading puts otherwise (doubts)."""
    n = len(lines)
    counts = tuple(len(l.tokens) for l in lines)
    # (a table printing no 分值/得分: no anchor figures, `at` None)
    remark = _remark_cost(lines[anchor].tokens[at:at + 2]) if at is not None else 0.0
    pieces: dict[tuple[int, int, int], tuple[str, float | None, float]] = {}
    cells_at: dict[tuple, list[tuple[float, tuple[int, ...], list[tuple[int, str]]]]] = {}

    def piece(p: int, first: int, take: int) -> tuple[str, float | None, float]:
        """Tokens first..first+take-1 of line p as one cell line: its text, x and merge cost."""
        key = (p, first, take)
        if key not in pieces:
            toks = lines[p].tokens[first:first + take]
            pieces[key] = (" ".join(t.text for t in toks), toks[0].x, _merge_cost(toks, ctx.layout))
        return pieces[key]

    def cell_readings(column: str, positions: tuple[int, ...], starts: tuple[int, ...], last_end: bool):
        """The ways a cell of `column` on `positions` may take tokens from
        `starts` on (each line one to MAX_TAKE): (cost, tokens taken per line, its lines)."""
        key = (column, positions, starts, last_end)
        if key in cells_at:
            return cells_at[key]
        partials: list[tuple[float, tuple[int, ...]]] = [(0.0, ())]
        for p, first in zip(positions, starts):
            left = (at if p == anchor and column in ctx.before_ws else counts[p]) - first
            partials = [(c + piece(p, first, t)[2], takes + (t,)) for c, takes in partials
                        for t in range(1, min(left, MAX_TAKE) + 1)]
        # (a column no anchor line measured keeps its x: it stands right of those before it)
        measured = ctx.x_pages.get(column) or None if ctx.x_pages is not None else None
        out = []
        for c, takes in partials:
            read = [piece(p, first, t) for p, first, t in zip(positions, starts, takes)]
            texts = tuple(r[0] for r in read)
            xs = tuple(r[1] if measured is None or lines[p].page in measured else None
                       for r, p in zip(read, positions))
            cost = c + (_cell_cost(column, texts, xs, ctx, last_end) if texts else
                        EMPTY_CELL.get(column, 0.0))
            if column == "deviation" and texts:
                cost += remark
            out.append((cost, takes, [(lines[p].index, text) for p, text in zip(positions, texts)]))
        cells_at[key] = out
        return out

    beam = TAIL_BEAM if open_end else BEAM
    # states: consumed tuple -> list of (cost, back) best two
    states: dict[tuple[int, ...], list[tuple[float, tuple | None, str, list]]] = {tuple([0] * n): [(0.0, None, "", [])]}
    for k, column in enumerate(ctx.columns):
        nxt: dict[tuple[int, ...], list] = {}
        if column == "ws":
            for state, entries in states.items():
                if state[anchor] != at:
                    continue
                new = list(state)
                new[anchor] += 2
                for e in entries[:2]:
                    _keep(nxt, tuple(new), (e[0], (state, e), column, []))
            states = nxt
            continue
        for state, entries in states.items():
            for own_cost, positions in choices[column]:
                # every line in positions takes one or more tokens
                positions = tuple(positions)
                last_end = not (open_end and positions and positions[-1] == n - 1)
                for cost, takes, cell_lines in cell_readings(column, positions, tuple(state[p] for p in positions),
                                                             last_end):
                    new = list(state)
                    for p, t in zip(positions, takes):
                        new[p] += t
                    new_state = tuple(new)
                    for e in entries[:2]:
                        _keep(nxt, new_state, (e[0] + cost + own_cost, (state, e), column, cell_lines))
        if len(nxt) > beam:
            # the beam keeps the cheapest states that the columns left can still finish
            room = _room(ctx.columns[k + 1:], ctx)
            kept = {}
            for key, entries in sorted(nxt.items(), key=lambda kv: kv[1][0][0]):
                if _can_finish(key, counts, anchor, at, room):
                    kept[key] = entries
                    if len(kept) == beam:
                        break
            nxt = kept
        states = nxt
    final = states.get(counts)
    if not final:
        return INF, [], set(), None
    readings = [_unwind(e) for e in final[:2]]
    cells = readings[0]
    doubts: set[str] = set()
    rival = None
    if len(final) > 1 and final[1][0] - final[0][0] < DOUBT_MARGIN:
        other = {c.column: c.lines for c in readings[1]}
        doubts = {c.column for c in cells if other.get(c.column) != c.lines}
        if final[1][0] - final[0][0] < TIE and doubts == set(SWAPPABLE) and \
                other.get(SWAPPABLE[0]) == next(c.lines for c in cells if c.column == SWAPPABLE[1]):
            rival = readings[1]
        elif doubts == set(VALUE_COLUMNS):
            rival = Rival(readings[1])
            rival.gap = final[1][0] - final[0][0]
    if not ctx.layout and not open_end:
        doubts |= swap_doubts(cells, ctx)
    return final[0][0], cells, doubts, rival


# how much more (in cost) two neighbouring cells read the other way round
# may cost and still be doubted, where the text has no x (see `swap_doubts`)
SWAP_DOUBT = 2.0


def swap_doubts(cells: list[Cell], ctx: Context) -> set[str]:
    """The target and the actual, where their cells, on lines apart, read
    nearly as well the other way round.  Without x, a centred row's
    one-line cell on its anchor line and a two-line one at the half lines
    print the same lines whichever of two neighbouring columns each is in:
    only the columns' widths (measured on the few lines that name every
    column, and in em estimates) and what the texts say tell them apart,
    which a gap the widths alone make does not settle."""
    texts = {c.column: c.lines for c in cells if c.lines}
    out: set[str] = set()
    order = [c for c in ctx.columns if c != "ws"]
    for a, b in zip(order, order[1:]):
        if (a, b) != ("target", "actual") or a not in texts or b not in texts:
            continue        # (a name and a target alike in shape: `_settle_swap`)
        if {i for i, _ in texts[a]} & {i for i, _ in texts[b]}:
            continue        # a line holding both: their order on it tells them
        first = lambda column: texts[column][0][1]
        if (_BOUND.match(first(a)) and not _BOUND.match(first(b))) or \
                (_VERDICT.match(first(b)) and not _VERDICT.match(first(a))):
            continue        # what they say tells them: a bound is a target's, a verdict an actual's
        cost = lambda column, lines: _cell_cost(column, tuple(t for _, t in lines), (None,) * len(lines), ctx, True)
        here = cost(a, texts[a]) + cost(b, texts[b])
        there = cost(a, texts[b]) + cost(b, texts[a])
        if there - here < SWAP_DOUBT:
            out |= {a, b}
    return out


def _settle_name_swap(cells: list[Cell], unsure: set[str], ctx: Context,
                      endings: dict[str, Counter]) -> tuple[list[Cell], set[str]]:
    """Where the text has no x, a row's one-line cells on its anchor line
    and one cell on lines apart (the half lines above and below): the lines
    read the same whichever column the apart cell is in, the anchor line's
    cells filling the others in order (as `swap_doubts` says of a target
    and an actual).  Of the readings the widths barely tell apart, the one
    whose name and target read most as such (`name_odds`, the document's
    endings) is taken, doubted unless the odds are clear."""
    order = [c for c in ("name", "target", "actual") if c in ctx.columns]
    lines = {c.column: c.lines for c in cells if c.column in order}
    if "name" not in order or len(order) < 2 or any(not lines.get(c) for c in order):
        return cells, unsure
    apart = [c for c in order if len(lines[c]) > 1 or lines[c][0][0] not in
             {l[0][0] for o, l in lines.items() if o != c and len(l) == 1}]
    ones = [c for c in order if c not in apart]
    if len(apart) != 1 or len({lines[c][0][0] for c in ones}) != 1 or \
            {i for i, _ in lines[apart[0]]} & {lines[ones[0]][0][0]}:
        return cells, unsure
    cost = lambda column, ls: _cell_cost(column, tuple(t for _, t in ls), (None,) * len(ls), ctx, True)
    text = lambda ls: "".join(t for _, t in ls)

    def odds(reading: dict) -> float:
        if "target" not in reading:
            return 0.0
        name, target = text(reading["name"]), text(reading["target"])
        return name_odds(name) - name_odds(target) + _ending_odds(name, endings) - _ending_odds(target, endings)

    readings = []
    for column in order:
        rest = iter(lines[c] for c in ones)
        reading = {c: (lines[apart[0]] if c == column else next(rest)) for c in order}
        readings.append((sum(cost(c, ls) for c, ls in reading.items()), reading))
    here = sum(cost(c, ls) for c, ls in lines.items())
    # only readings that move the name: a target and an actual the widths and
    # what they say tell apart (`swap_doubts`); on a tie the apart cell, the
    # longer, reads as the name (names run longer than targets)
    close = sorted(((odds(r), r) for total, r in readings if total - here < SWAP_DOUBT
                    and (r == lines or r["name"] != lines["name"])), key=lambda o: -o[0])
    if len(close) < 2:
        return cells, unsure
    best = close[0][1]
    out = [Cell(c.column, best[c.column]) if c.column in best else c for c in cells]
    changed = {c for c in order if best[c] != lines[c]} | {c for c in order if close[1][1][c] != best[c]}
    return out, (unsure if close[0][0] - close[1][0] >= SWAP_SURE else unsure | changed)


def _room(rest: list[str], ctx: Context) -> tuple[int, int, bool]:
    """How many tokens of a line the columns `rest` can still take: those
    before 分值 on the anchor line, those after it, and whether 分值/得分
    are still to come."""
    before = sum(1 for c in rest if c in ctx.before_ws)
    after = sum(1 for c in rest if c != "ws") - before
    return MAX_TAKE * before, MAX_TAKE * after, "ws" in rest


def _can_finish(state: tuple[int, ...], counts: tuple[int, ...], anchor: int, at: int,
                room: tuple[int, int, bool]) -> bool:
    """Whether the columns left (`room`) can take the tokens a state leaves:
    the anchor line's up to 分值 by the columns before it, and every line's all."""
    before, after, pending = room
    for p, (taken, count) in enumerate(zip(state, counts)):
        if p == anchor and pending:
            if not 0 <= at - taken <= before or count - at - 2 > after:
                return False
        elif count - taken > before + after:
            return False
    return True


def _remark_cost(pair: list[Token]) -> float:
    """What a 偏差原因分析 cell costs on a row given its full 分值: the column
    explains a score short of its weight, so is seldom written otherwise."""
    try:
        weight, score = (float(t.text.replace(",", "")) for t in pair)
    except ValueError:
        return 0.0
    return FULL_SCORE_REMARK if score >= weight else 0.0


def _keep(table: dict, key: tuple, entry: tuple) -> None:
    """Keep the two cheapest entries of a state, the earlier first on a tie."""
    entries = table.get(key)
    if entries is None:
        table[key] = [entry]
    elif entry[0] < entries[0][0]:
        entries.insert(0, entry)
        del entries[2:]
    elif len(entries) == 1:
        entries.append(entry)
    elif entry[0] < entries[1][0]:
        entries[1] = entry


def _unwind(entry) -> list[Cell]:
    cells = []
    while entry is not None and entry[1] is not None:
        _, (state, prev), column, lines = entry
        if column != "ws":
            cells.append(Cell(column, lines))
        entry = prev
    return cells[::-1]


# --------------------------------------------------------------------------
# Where a band's cells may stand
# --------------------------------------------------------------------------

ASYM = 2.5      # a centred cell with more lines on one side of its anchor
# pdftotext puts a line at half height on the line just above or below it:
# a centred cell's lines there stand one more on one side of its anchor
LAYOUT_ASYM = 1.2
# a joined anchor line (`BandLine.joined`) holds a half line: one more line on one side is its shape
JOINED_ASYM = 0.2


def centred_choices(n_above: int, n_below: int, columns: list[str],
                    tails: int = 0, asym: float = ASYM) -> list[tuple[float, dict[str, list[tuple[float, list[int]]]]]]:
    """The readings of a centred band's line heights: (cost, each column's
    possible line sets).  Lines 0..n_above-1 are above the anchor (line
    n_above), the next n_below below it, then `tails` lines after a page
    break (each cell goes on over a run of them from their first)."""
    anchor = n_above
    out = []
    for J in range(n_above + 1):
        K = n_above - J
        up = _offsets(J, K)                       # from the anchor upwards: offsets of lines anchor-1, anchor-2, ...
        for J2 in range(n_below + 1):
            K2 = n_below - J2
            if n_above == n_below and (J2 != J):
                continue
            down = _offsets(J2, K2)
            shape_cost = asym * abs(n_above - n_below) + asym * abs(J - J2)
            where: dict[float, int] = {0.0: anchor}
            for k, o in enumerate(up):
                where[-o] = anchor - 1 - k
            for k, o in enumerate(down):
                where[o] = anchor + 1 + k
            sets: list[tuple[float, list[int]]] = [(0.0, [])]
            loose = n_above != n_below or tails
            for ju in range(J + 1):
                for jd in range(J2 + 1):
                    if abs(ju - jd) > (1 if loose else 0):
                        continue
                    pos = sorted(where[float(o)] for o in range(-ju, jd + 1))
                    sets.append((asym * abs(ju - jd), pos))
            for ku in range(K + 1):
                for kd in range(K2 + 1):
                    if ku + kd == 0 or abs(ku - kd) > (1 if loose else 0):
                        continue
                    pos = sorted(where[o - 0.5] for o in range(-ku + 1, kd + 1))
                    sets.append((asym * abs(ku - kd), pos))
            if tails:
                sets = _with_tails(sets, n_above + 1 + n_below, tails)
            out.append((shape_cost, {c: sets for c in columns}))
    return out


def _offsets(whole: int, half: int) -> list[float]:
    return sorted([float(k) for k in range(1, whole + 1)] + [k - 0.5 for k in range(1, half + 1)])


def top_choices(n_below: int, columns: list[str], tails: int = 0) -> dict[str, list[tuple[float, list[int]]]]:
    """A top-aligned band: the anchor line 0 and n_below lines under it; a
    cell is the first h of them."""
    sets: list[tuple[float, list[int]]] = [(0.0, [])] + [(0.0, list(range(h))) for h in range(1, n_below + 2)]
    if tails:
        sets = _with_tails(sets, n_below + 1, tails)
    return {c: sets for c in columns}


def _with_tails(sets: list[tuple[float, list[int]]], start: int, tails: int) -> list[tuple[float, list[int]]]:
    """The sets, and those reaching the last line before a page break gone
    on over the first h lines after it: a broken row keeps as many lines of
    every cell on its first page as the page holds, so only a cell that
    fills them goes on over the page."""
    out = list(sets)
    for cost, pos in sets:
        if not pos or pos[-1] != start - 1:
            continue
        for h in range(1, tails + 1):
            out.append((cost + 0.3, pos + list(range(start, start + h))))
    return out


# --------------------------------------------------------------------------
# The bands of a table
# --------------------------------------------------------------------------

def read_table(lines: list[BandLine], anchors: list[tuple[int, int]], ctx: Context,
               centred: tuple[list[BandLine], list[tuple[int, int]]] | None = None
               ) -> tuple[bool, list[list[Cell]], list[tuple[int, str, str]]]:
    """Top-aligned or centred, whichever reads the lines better: (top,
    each row's cells, doubts).  `centred`: the lines and anchors to read as
    centred rows where they differ (pdftotext's half lines rejoined)."""
    lines_of = {True: (lines, anchors), False: centred or (lines, anchors)}
    readings = [(read_bands(*lines_of[top], ctx, top), top) for top in (True, False)]
    (cost, rows, doubts), top = min(readings, key=lambda r: r[0][0])
    doubted = {r for r, _, _ in doubts}
    _add_endings(ctx.endings, _cell_endings([cells for r, cells in enumerate(rows) if r not in doubted]))
    return top, rows, doubts


def read_bands(lines: list[BandLine], anchors: list[tuple[int, int]], ctx: Context, top: bool
               ) -> tuple[float, list[list[Cell]], list[tuple[int, str, str]]]:
    """Each anchor's row's cells (anchors: (position in `lines`, index of
    分值 in its tokens)) and the doubts (row, column, why), with the cost."""
    n = len(anchors)
    if not n:
        return 0.0, [], []
    pos = [p for p, _ in anchors]
    memo: dict[tuple[int, int, int], tuple[float, list[Cell], set[str], list[Cell] | None]] = {}

    def band(r: int, start: int, end: int) -> tuple[float, list[Cell], set[str], list[Cell] | None]:
        key = (r, start, end)
        if key in memo:
            return memo[key]
        p, at = anchors[r]
        page = lines[p].page
        above = lines[start:p]
        below = [l for l in lines[p + 1:end] if l.page == page]
        tails = lines[p + 1 + len(below):end]
        penalty = 0.0
        if any(l.page != page for l in above):
            penalty += 8.0
        if any(l.page == page for l in tails):
            penalty += 8.0
        band_lines = above + [lines[p]] + below + tails
        anchor = len(above)
        best: tuple[float, list[Cell], set[str], list[Cell] | None] = (INF, [], set(), None)
        readings = []
        if top or tails:
            # a row broken over a page prints each cell's lines from the top
            # of both its parts (Word), whatever the table's alignment
            readings.append((6.0 * len(above), _shift(top_choices(len(below), ctx.columns, len(tails)), len(above))))
        if not top:
            asym = JOINED_ASYM if lines[p].joined else LAYOUT_ASYM if ctx.layout else ASYM
            readings += centred_choices(len(above), len(below), ctx.columns, len(tails), asym)
        broken = None
        if not top and not tails and ctx.hidden_breaks and below:
            # a row broken over a page no mark tells: its cells printed from
            # the anchor line down (the lines after the break go on below them)
            broken = (HIDDEN_BREAK + 6.0 * len(above), _shift(top_choices(len(below), ctx.columns), len(above)))
            readings.append(broken)
        if ctx.layout:
            readings = _with_x_sets(readings, band_lines, ctx)
        # a reading's cells may cost below nothing (a figure in a target or actual
        # column, a verdict in the actual one): a shape is passed over only
        # where even those could not bring it under the best
        bonus = 1.2 * len(band_lines) + 1.1
        for shape_cost, choices in sorted(readings, key=lambda r: r[0]):
            if shape_cost + penalty - bonus >= best[0]:
                continue
            cost, cells, doubts, rival = solve_band(band_lines, anchor, at, choices, ctx, open_end=bool(tails))
            cost += shape_cost + penalty
            if broken is not None and choices is broken[1]:
                # where the page broke is a guess: the row's cells are doubted
                doubts = doubts | {c.column for c in cells if c.lines} | {BROKEN}
            if cost < best[0]:
                best = (cost, cells, doubts, rival)
        memo[key] = best
        return best

    # boundaries: row r spans lines[b[r]:b[r+1]]; b[0] = 0, b[n] = len(lines)
    options = [[0]] + [list(range(pos[r - 1] + 1, pos[r] + 1)) for r in range(1, n)] + [[len(lines)]]
    if top:
        options = [[0]] + [[pos[r]] for r in range(1, n)] + [[len(lines)]]

    def allowed(r: int, start: int, end: int, lean: int = 1) -> bool:
        # a centred row has as many lines above its anchor as below, give or
        # take `lean`, unless a page break cuts it (its parts top-aligned)
        above, below = pos[r] - start, end - pos[r] - 1
        return top or r + 1 == n or abs(above - below) <= lean or \
            len(options[r + 1]) == 1 or lines[end - 1].page != lines[pos[r]].page or \
            (ctx.hidden_breaks and 0 < below - above <= lean + 1)

    best: dict[int, tuple[float, list]] = {0: (0.0, [])}
    for r in range(n):
        nxt: dict[int, tuple[float, list]] = {}
        for start, (cost, path) in best.items():
            for end in options[r + 1]:
                if not allowed(r, start, end):
                    continue
                c = min(band(r, start, end)[0], UNREAD)
                if cost + c < nxt.get(end, (INF, None))[0]:
                    nxt[end] = (cost + c, path + [(start, end)])
        if not nxt:      # nothing fits: cut every gap in the middle
            nxt = {}
            for start, (cost, path) in best.items():
                end = options[r + 1][len(options[r + 1]) // 2]
                nxt[end] = (cost + band(r, start, end)[0], path + [(start, end)])
                break
        best = nxt
    total, spans = min(best.values(), key=lambda v: v[0])
    rows, doubts = [], []
    unread = {r for r, (start, end) in enumerate(spans) if band(r, start, end)[0] == INF}
    chosen = [band(r, start, end) for r, (start, end) in enumerate(spans)]
    endings = _add_endings(_cell_endings([cells for _, cells, unsure, _ in chosen if not unsure]), ctx.endings)
    # pdftotext puts a line at half height on the line above or below: a row
    # leaning two lines, which the bands above do not consider, may still read as well
    split_doubts = _close_splits(spans, options, band, lambda r, a, b: allowed(r, a, b, 2 if ctx.layout else 1))
    broken = {r for r, (_, _, unsure, _) in enumerate(chosen) if BROKEN in unsure}
    poor = {r for r, (cost, _, _, _) in enumerate(chosen) if POOR_FIT <= cost < INF}
    for r, (start, end) in enumerate(spans):
        cost, cells, unsure, rival = chosen[r]
        unsure = unsure - {BROKEN}
        if rival is not None:
            cells, unsure = _settle_swap(cells, rival, unsure, endings)
        if not ctx.layout:
            cells, unsure = _settle_name_swap(cells, unsure, ctx, endings)
        if r - 1 in broken:
            # where the row above took lines as its own after a break, where
            # this row's start is a guess: its cells are doubted too
            unsure = unsure | {c.column for c in cells if c.lines}
        for column in sorted(split_doubts.get(r, set()) - unsure):
            doubts.append((r, column, "the lines between the row and the next split nearly as well elsewhere"))
        if POOR_FIT <= cost < INF:
            for column in sorted({c.column for c in cells if c.lines} - unsure):
                doubts.append((r, column, "even the best reading of the row's lines fits them poorly"))
        elif poor & {r - 1, r + 1}:
            # a row that fits poorly may have taken lines of its neighbours' or left them its own
            for column in sorted({c.column for c in cells if c.lines} - unsure):
                doubts.append((r, column, "the row next to it fits its lines poorly: where they split is a guess"))
        if unread & {r - 1, r, r + 1}:
            # a row no reading fits, and its neighbours whose bounds it may have moved
            unsure = set(ctx.columns) - {"ws"}
            doubts.append((r, "name", "no reading of the row's lines fits its columns"))
        rows.append(cells)
        for column in sorted(unsure):
            doubts.append((r, column, "the row's lines read two ways nearly as well"))
    return total, rows, doubts


BROKEN = "(broken)"      # marks a band read as broken over a hidden page break among its doubts
# what reading a row as broken over a page no mark tells costs (`Context.hidden_breaks`)
HIDDEN_BREAK = 5.0
# what a row's best reading costs where it fits its lines poorly (a wrapped
# line that does not fill its column, a cell wider than its column, lines
# off the row's shape …): its cells are doubted
POOR_FIT = 4.0
# how much more (in cost) another split of the lines between two rows may cost and still be doubted
SPLIT_DOUBT = 0.4


def _close_splits(spans: list[tuple[int, int]], options: list[list[int]], band, allowed) -> dict[int, set[str]]:
    """Where the lines between two rows split nearly as well one line up or
    down: each row's columns whose cells the two splits read otherwise."""
    out: dict[int, set[str]] = {}
    for r in range(1, len(spans)):
        (start, cut), (_, end) = spans[r - 1], spans[r]
        here = band(r - 1, start, cut)[0] + band(r, cut, end)[0]
        for other in (cut - 1, cut + 1):      # one line to the other row
            if other not in options[r] or not (allowed(r - 1, start, other) and allowed(r, other, end)):
                continue
            if band(r - 1, start, other)[0] + band(r, other, end)[0] - here >= SPLIT_DOUBT:
                continue
            for row, a, b in ((r - 1, band(r - 1, start, cut), band(r - 1, start, other)),
                              (r, band(r, cut, end), band(r, other, end))):
                theirs = {c.column: c.lines for c in b[1]}
                out.setdefault(row, set()).update(c.column for c in a[1] if theirs.get(c.column) != c.lines)
    return out


# --------------------------------------------------------------------------
# A name and a target alike in shape
# --------------------------------------------------------------------------

# Without x (pdfplumber) a centred row's one-line cell on the anchor line and
# a two-line one at half heights print the same text whichever column each
# is in: such a tie between the name and the target is settled by what the
# two texts say by the forms' conventions (`extract.layout.cell_words`: a
# name ends as a noun of what is measured, a qualitative target is a short
# verdict, a bound or a sentence) and by how the document's rows read for
# sure end their cells in those columns.
SWAPPABLE = ("name", "target")
# a target and an actual alike in shape (`_settle_swap`)
VALUE_COLUMNS = ("target", "actual")
TIE = 1e-6
SWAP_SURE = 2.0      # log-odds above which the swap is settled without doubt
# log-odds each convention gives a text for being the name rather than the target
NAME_ENDING_ODDS = 1.5
VERDICT_ODDS = 2.0
COMPARISON_ODDS = 1.0
SENTENCE_ODDS = 1.0


def _cell_endings(rows: list[list[Cell]]) -> dict[str, Counter]:
    """How often each column's cells end with each character, over rows."""
    return {column: Counter(cell.lines[-1][1][-1:] for cells in rows for cell in cells
                            if cell.column == column and cell.lines) for column in SWAPPABLE + VALUE_COLUMNS[1:]}


def _add_endings(into: dict[str, Counter], more: dict[str, Counter]) -> dict[str, Counter]:
    for column, seen in more.items():
        into.setdefault(column, Counter()).update(seen)
    return into


def _cell_text(cells: list[Cell], column: str) -> str:
    return "".join(text for cell in cells if cell.column == column for _, text in cell.lines)


def is_verdict(text: str) -> bool:
    """A short text made of verdict words only (达标, 按时完成, 有效保障 …)."""
    text = text.rstrip("。.；;")
    if not text or len(text) > VERDICT_MAX_CHARS:
        return False
    spelled = {0}           # how much of the text the words can spell
    for k in range(len(text)):
        if k in spelled:
            spelled |= {k + len(w) for w in VERDICT_WORDS if text.startswith(w, k)}
    return len(text) in spelled


def name_odds(text: str) -> float:
    """Log-odds, by the forms' conventions alone, that `text` is an
    indicator's name rather than its target."""
    odds = NAME_ENDING_ODDS if text.endswith(NAME_ENDINGS) else 0.0
    if is_verdict(text):
        odds -= VERDICT_ODDS
    if any(w in text for w in COMPARISON_WORDS):
        odds -= COMPARISON_ODDS
    if any(m in text for m in SENTENCE_MARKS):
        odds -= SENTENCE_ODDS
    return odds


def _ending_odds(text: str, endings: dict[str, Counter]) -> float:
    """Log-odds, by how the document's sure rows end their names and
    targets, that `text` is a name rather than a target."""
    last = text[-1:]
    name, target = endings.get("name", Counter()), endings.get("target", Counter())
    return log((name[last] + 0.5) / (sum(name.values()) + 1.0)) - \
        log((target[last] + 0.5) / (sum(target.values()) + 1.0))


class Rival(list):
    """A band's second reading, and how much more it costs."""
    gap: float = 0.0


def _column_fit(cells: list[Cell], column: str, endings: dict[str, Counter]) -> float:
    """Log-likelihood of a cell's last character among how the document's
    sure rows end that column's cells."""
    seen = endings.get(column, Counter())
    return log((seen[_cell_text(cells, column)[-1:]] + 0.5) / (sum(seen.values()) + 1.0))


def _settle_swap(cells: list[Cell], rival: list[Cell], unsure: set[str],
                 endings: dict[str, Counter]) -> tuple[list[Cell], set[str]]:
    """The reading of the two whose name and target read more like a name
    and a target; still doubted unless the odds are clear.  Two readings as
    good that share a target's and an actual's lines otherwise between
    them (a top-aligned row's line below both, which both would fill) go by
    how the document's sure rows end those cells, and stay doubted."""
    if {c.column for c in cells} >= set(VALUE_COLUMNS) and \
            _cell_text(cells, "name") == _cell_text(rival, "name"):
        fit = lambda reading: sum(_column_fit(reading, c, endings) for c in VALUE_COLUMNS)
        return (rival if fit(rival) - getattr(rival, "gap", 0.0) > fit(cells) else cells), unsure
    name, target = _cell_text(cells, "name"), _cell_text(cells, "target")
    odds = (name_odds(name) - name_odds(target)) + (_ending_odds(name, endings) - _ending_odds(target, endings))
    if odds < 0:
        cells = rival
    return cells, (unsure - set(SWAPPABLE) if abs(odds) >= SWAP_SURE else unsure)


X_SET_COST = 0.5


def _with_x_sets(readings: list, band_lines: list[BandLine], ctx: Context) -> list:
    """pdftotext puts a line at half height on the line above or below it,
    so a cell's lines need not be a run of the band's: each column may also
    take the lines with a token where its anchor lines' cells start."""
    extra: dict[str, tuple[float, list[int]]] = {}
    for column in ctx.columns:
        xs = ctx.xs.get(column)
        if column == "ws" or not xs:
            continue
        lo, hi = min(xs), max(xs)
        pos = [k for k, line in enumerate(band_lines)
               if any(t.x is not None and lo - 1.5 <= t.x <= hi + 3 for t in line.tokens)]
        if pos:
            extra[column] = (X_SET_COST, pos)
    if not extra:
        return readings
    out = []
    for shape_cost, choices in readings:
        out.append((shape_cost, {c: (sets + [extra[c]] if c in extra and extra[c][1] not in [p for _, p in sets]
                                     else sets) for c, sets in choices.items()}))
    return out


def _shift(choices: dict[str, list[tuple[float, list[int]]]], k: int) -> dict[str, list[tuple[float, list[int]]]]:
    return {c: [(cost, [p + k for p in pos]) for cost, pos in sets] for c, sets in choices.items()}


# --------------------------------------------------------------------------
# The merged 一级/二级 labels' pieces
# --------------------------------------------------------------------------

# what a label spelled again right after the same label in its column costs:
# rows sharing a label share one merged cell, so the label is printed once
REPEATED_LABEL = 2.0


# a piece of a section weight printed after a 一级 name (标(50 / 分)), folded
_SECTION_PIECE = re.compile(r"(?:指?标)?\d+分?|分")


def _is_section_piece(printed: str, key: str) -> bool:
    """A piece of a section weight (标(50, 分)): bracketed or with 分, never a bare figure."""
    return bool(_SECTION_PIECE.fullmatch(key)) and bool(re.search(r"[(（分]", printed))


def level_name(label: str) -> str:
    """A merged label's name without the section weight it may print (产出指标(50分) → 产出指标)."""
    return re.sub(r"[(（]?\d+分[)）]?$", "", label)


class LevelPieces:
    """Which leading tokens of the table's lines are pieces of the merged
    一级/二级 labels: the two labels' pieces interleave line by line, each
    column's pieces spelling its labels one after another (known names, or a
    name ending in 指标), a line's first piece the 一级 one where it has two.
    Chosen over all lines at once (a dynamic programme over the lines, its
    state what each column has spelled of its current label)."""

    def __init__(self, known: dict[str, tuple[str, ...]], piece_width: float, levels: tuple[str, ...]) -> None:
        self.known = known
        self.piece_width = piece_width
        self.levels = levels
        self.groups: dict[str, list[tuple[str, list[int]]]] = {lv: [] for lv in ("level1", "level2")}

    def _step(self, level: str, pending: str, key: str) -> tuple[str, bool, float] | None:
        """(new pending, label complete, cost) of adding a piece, or None."""
        joined = pending + key
        names = self.known[level]
        weighed = next((m for n in names if len(joined) > len(n)
                        and (m := re.fullmatch(re.escape(n) + r"(\d+)(分?)", joined))), None)
        if weighed is not None:     # a name printed with its section's weight (产出指标(50分)), folded
            return ("", True, 0.0) if weighed.group(2) else (joined, False, 0.0)
        if any(n.startswith(joined) for n in names):
            if joined in names and not any(n != joined and n.startswith(joined) for n in names):
                return "", True, 0.0
            if joined in names:
                return joined, False, 0.0      # 成本指标 / 经济成本指标: may go on
            return joined, False, 0.0
        if pending in names and any(n.startswith(key) for n in names):
            return None
        if len(joined) <= 12 and re.search(r"[\u4e00-\u9fff]", key):
            if joined.endswith("指标"):
                return "", True, 1.2
            return joined, False, 1.2
        return None

    def read(self, lines: list[tuple[int, list[str]]], key_of) -> list[int]:
        """How many leading tokens of each line (index, token texts) are pieces."""
        # a state: what each column has spelled of its current label, and its last whole label
        states: dict[tuple[str, str, str, str], tuple] = {("", "", "", ""): (0.0, None, 0, ())}
        history = []
        printed_of: list[dict[str, str]] = []     # each line's pieces as printed, by their folded key
        for index, texts in lines:
            nxt: dict[tuple[str, str, str, str], tuple] = {}
            cands = []
            printed = {}
            for t in texts[:2]:
                # (a section weight's piece, 指标(10, prints its digits and bracket beside the name's characters)
                if key_of(t) and (em_width(t) <= self.piece_width + 0.3 and any(
                        key_of(t) in n for lv in self.levels for n in self.known[lv])
                        or em_width(t) <= self.piece_width + 1.3 and _is_section_piece(t, key_of(t))):
                    cands.append(key_of(t))
                    printed.setdefault(key_of(t), t)
                else:
                    break
            printed_of.append(printed)
            for key, entry in states.items():
                p1, p2, l1, l2 = key
                cost = entry[0]
                options = [(key, 0.0, 0, ())]
                pend = {"level1": p1, "level2": p2}
                last = {"level1": l1, "level2": l2}

                def spelled(lv: str, step: tuple[str, bool, float], piece: str) -> tuple[str, float]:
                    """A column's last whole label after a step, and what repeating the one before costs."""
                    if not step[1]:
                        return last[lv], 0.0
                    name = pend[lv] + piece
                    return name, REPEATED_LABEL if name == last[lv] else 0.0
                if cands:
                    for lv in self.levels:
                        step = self._step(lv, pend[lv], cands[0])
                        if step:
                            new, done = dict(pend), dict(last)
                            new[lv] = step[0]
                            done[lv], repeat = spelled(lv, step, cands[0])
                            # a lone piece starting a label: mostly a 二级's (成本指标 is both)
                            bias = 0.3 if lv == "level1" and not pend[lv] else 0.0
                            options.append(((new["level1"], new["level2"], done["level1"], done["level2"]),
                                            step[2] - 1.0 + bias + repeat, 1, ((lv, cands[0], step[1]),)))
                    if len(cands) > 1 and self.levels == ("level1", "level2"):
                        s1 = self._step("level1", p1, cands[0])
                        s2 = self._step("level2", p2, cands[1])
                        if s1 and s2:
                            (d1, r1), (d2, r2) = spelled("level1", s1, cands[0]), spelled("level2", s2, cands[1])
                            options.append(((s1[0], s2[0], d1, d2), s1[2] + s2[2] - 2.0 + r1 + r2, 2,
                                            (("level1", cands[0], s1[1]), ("level2", cands[1], s2[1]))))
                for state, c, strip, assigned in options:
                    # a label half spelled while a line goes by without a piece of it is fine (centred)
                    total = cost + c
                    if state not in nxt or total < nxt[state][0]:
                        nxt[state] = (total, key, strip, assigned)
            if len(nxt) > 40:
                nxt = dict(sorted(nxt.items(), key=lambda kv: kv[1][0])[:40])
            history.append(nxt)
            states = nxt
        if not history:
            return []
        end = min(states, key=lambda s: states[s][0] + (3.0 if s[0] else 0) + (3.0 if s[1] else 0))
        strips: list[int] = []
        assigned_per_line = []
        state = end
        for step in reversed(history):
            entry = step[state]
            strips.append(entry[2])
            assigned_per_line.append(entry[3])
            state = entry[1]
        strips.reverse()
        assigned_per_line.reverse()
        open_group = {lv: False for lv in ("level1", "level2")}
        for (index, _), assigned, printed in zip(lines, assigned_per_line, printed_of):
            for lv, key, complete in assigned:
                if not open_group[lv]:
                    self.groups[lv].append(("", []))
                name, where = self.groups[lv][-1]
                # a section weight keeps its brackets as printed; a name's pieces are their keys
                piece = printed.get(key, key) if re.search(r"\d", key) or key == "分" else key
                self.groups[lv][-1] = (name + piece, where + [index])
                open_group[lv] = not complete
        return strips


# --------------------------------------------------------------------------
# A table printing no 分值 / 得分: rows found by their shapes alone
# --------------------------------------------------------------------------

# the most lines one row of such a table prints (a long remark wraps over many)
MAX_ROW_LINES = 9
# the most lines a row read as leaning a line may print (more lean seldom, and cost much to try)
MAX_LEANING = 4
# a row with no 三级指标: every indicator has a name, so such a band is a piece of a row
NAMELESS_ROW = 6.0
# what a row named by a sentence costs (no 三级指标 ends in 。)
SENTENCE_NAME = 3.0
# a row read as broken over a page break (its parts top-aligned)
BROKEN_ROW = 2.0
# how much more (in cost) another cut of the rows may cost and still be doubted
CUT_DOUBT = 0.6


@dataclass
class Band:
    """A row read from its lines alone: lines [start, end) of the table,
    its middle (in lines: a half for a row of an even count centred on no
    line), its cost, cells and the columns its lines read two ways."""
    start: int
    end: int
    middle: float
    cost: float
    cells: list[Cell]
    unsure: set[str]


def _virtual_line(lines: list[BandLine], above: int) -> BandLine:
    """The empty line between the two middle lines of a centred row of an
    even count: its cells' lines all stand at half heights around it."""
    return BandLine([], lines[above - 1].index, lines[above - 1].page)


def unanchored_band(lines: list[BandLine], start: int, end: int, ctx: Context, top: bool) -> Band:
    """The best reading of lines [start, end) as one row of a table with no
    anchor figures: top-aligned from its first line, or centred on its
    middle line (or, an even count, on the half line between its two
    middle ones, or leaning a line either way)."""
    part = lines[start:end]
    page = part[0].page
    first = [l for l in part if l.page == page]
    tails = len(part) - len(first)
    readings: list[tuple[float, list[BandLine], int, dict]] = []
    if top or tails:
        cost = BROKEN_ROW if tails and not top else 0.0
        readings.append((cost, part, 0, top_choices(len(first) - 1, ctx.columns, tails)))
    if not top and not tails:
        h = len(part)
        asym = LAYOUT_ASYM if ctx.layout else ASYM
        if h % 2:
            readings += [(c, part, h // 2, ch) for c, ch in centred_choices(h // 2, h // 2, ctx.columns, 0, asym)]
        else:
            k = h // 2
            halves = [part[:k] + [_virtual_line(part, k)] + part[k:]]
            # (only half-height lines: a cell on the empty middle line can take no token)
            readings += [(c, halves[0], k, ch) for c, ch in centred_choices(k, k, ctx.columns, 0, asym)[:1]]
            # pdftotext puts a half line on the line above or below it: the row leans a line
            for above in ((k - 1, k) if ctx.layout and h <= MAX_LEANING else ()):
                readings += [(c, part, above, ch) for c, ch in
                             centred_choices(above, h - 1 - above, ctx.columns, 0, asym)]
    best = Band(start, end, start, INF, [], set())
    # (cells may cost below nothing: a shape is passed over only where even they could not bring it under the best)
    bonus = 1.2 * len(part) + 1.1
    for shape_cost, band_lines, anchor, choices in sorted(readings, key=lambda r: r[0]):
        if shape_cost - bonus >= best.cost:
            continue
        if ctx.layout:
            choices = _with_x_sets([(shape_cost, choices)], band_lines, ctx)[0][1]
        cost, cells, unsure, _ = solve_band(band_lines, anchor, None, choices, ctx, open_end=bool(tails))
        name = "".join(text for c in cells if c.column == "name" for _, text in c.lines).strip()
        if not name:
            cost += NAMELESS_ROW
        elif name[-1] in SENTENCE_ENDS:       # a piece of another row's target or deviation
            cost += SENTENCE_NAME
        cost += shape_cost
        if cost < best.cost:
            middle = start + (anchor - 0.5 if band_lines is not part else anchor)
            best = Band(start, end, float(start if top or tails else middle), cost, cells, unsure)
    return best


def read_unanchored(lines: list[BandLine], ctx: Context) -> tuple[bool, list[Band], list[tuple[int, str, str]]]:
    """The rows of a table printing no 分值/得分, whose rows no figures
    anchor: the cut of its lines into rows (each at most MAX_ROW_LINES)
    whose readings cost least together, top-aligned or centred, whichever
    reads better.  Doubted: the rows where another cut (a boundary a line
    off, two rows one, one row two) costs nearly as little."""
    readings = [(_cut_rows(lines, ctx, top), top) for top in (True, False)]
    (total, bands, band), top = min(readings, key=lambda r: r[0][0])
    doubts: list[tuple[int, str, str]] = []
    for r, b in enumerate(bands):
        if b.cost >= POOR_FIT:
            doubts += [(r, c.column, "even the best reading of the row's lines fits them poorly")
                       for c in b.cells if c.lines]
        doubts += [(r, column, "the row's lines read two ways nearly as well") for column in sorted(b.unsure)]
    for r, columns in _close_cuts(bands, band).items():
        doubts += [(r, column, "the table's lines cut into rows nearly as well elsewhere") for column in sorted(columns)]
    return top, bands, doubts


def _cut_rows(lines: list[BandLine], ctx: Context, top: bool):
    """(total cost, the rows, the band function) of the cheapest cut."""
    memo: dict[tuple[int, int], Band] = {}

    def band(start: int, end: int) -> Band:
        if (start, end) not in memo:
            memo[start, end] = unanchored_band(lines, start, end, ctx, top)
        return memo[start, end]

    n = len(lines)
    best: list[tuple[float, int]] = [(0.0, 0)] + [(INF, 0)] * n
    for end in range(1, n + 1):
        for start in range(max(0, end - MAX_ROW_LINES), end):
            if best[start][0] < INF:
                cost = best[start][0] + min(band(start, end).cost, UNREAD)
                if cost < best[end][0]:
                    best[end] = (cost, start)
    bands, end = [], n
    while end > 0:
        start = best[end][1]
        bands.append(band(start, end))
        end = start
    bands.reverse()
    return best[n][0], bands, band


def _close_cuts(bands: list[Band], band) -> dict[int, set[str]]:
    """The rows (and their columns) another cut of the lines reads nearly as
    well: a boundary moved a line, two neighbours read as one row, or a row
    read as two."""
    out: dict[int, set[str]] = {}

    def differ(r: int, other: Band | None) -> None:
        theirs = {c.column: c.lines for c in other.cells} if other is not None else {}
        out.setdefault(r, set()).update(c.column for c in bands[r].cells if theirs.get(c.column) != c.lines)

    for r in range(len(bands) - 1):
        a, b = bands[r], bands[r + 1]
        here = a.cost + b.cost
        for cut in (a.end - 1, a.end + 1):
            if a.start < cut < b.end and cut - a.start <= MAX_ROW_LINES and b.end - cut <= MAX_ROW_LINES:
                x, y = band(a.start, cut), band(cut, b.end)
                if x.cost + y.cost - here < CUT_DOUBT:
                    differ(r, x), differ(r + 1, y)
        if b.end - a.start <= MAX_ROW_LINES and band(a.start, b.end).cost - here < CUT_DOUBT:
            differ(r, None), differ(r + 1, None)
    for r, b in enumerate(bands):
        for cut in range(b.start + 1, b.end):
            if band(b.start, cut).cost + band(cut, b.end).cost - b.cost < CUT_DOUBT:
                differ(r, None)
                break
    return {r: columns for r, columns in out.items() if columns}
