"""The indicator table of a row-ordered text: text lines → indicator rows.

Row-ordered texts (pdfplumber's `extract_text`, `pdftotext -layout`) print
the table line by line: one text line holds a line of every cell printed at
its height, left to right.  Here each text line's fragments are given to the
columns of the header, and each column's fragments to the rows:
- a row's anchor is the line holding its 分值 and 得分;
- 一级/二级 fragments are the pieces of the merged labels (prefixes of the
  known names, `extract.layout.labels`), their groups' rows found from where
  the pieces stand (top: from the row they start at; centred: the rows whose
  middle is nearest the pieces' middle);
- other fragments go to a column by their x (pdftotext) or, without one
  (pdfplumber), by which cells are still open (a wrapped line fills its
  column, so the cell goes on after it), width and content;
- between two anchors a centred cell's lines below the first anchor belong to
  the first row while that cell is open, the rest to the second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extract.layout.flat_format import em_width
from extract.layout.labels import LEVEL1_NAMES, LEVEL2_NAMES, label_key
from extract.parse.flat_lines import _is_number_token
from extract.parse.values import parse_number

LEVELS = ("level1", "level2")
TEXT_COLUMNS = ("name", "target", "actual", "deviation")
_KNOWN = {"level1": tuple(label_key(n) for n in LEVEL1_NAMES), "level2": tuple(label_key(n) for n in LEVEL2_NAMES)}
# what a target or an actual looks like: an operator or a number first, or a short unit in brackets
_MEASURE = re.compile(r"^(?:[=≥≤><≧≦⩾⩽═﹦]|不[低少小高超多大]于|不超过|\d)|[(（][^)）]{1,4}[)）]$")


@dataclass
class Frag:
    text: str
    x: float | None = None       # its column in the text (pdftotext), None where the text has none


@dataclass
class TextLine:
    frags: list[Frag]
    index: int                   # position among the form's lines (a proxy of height)


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


class _Levels:
    """The pieces of the merged 一级/二级 labels read so far."""

    def __init__(self, piece_width: float) -> None:
        self.piece_width = piece_width
        self.pending = {level: "" for level in LEVELS}
        self.groups: dict[str, list[tuple[str, list[int]]]] = {level: [] for level in LEVELS}

    def _complete(self, level: str, key: str) -> bool:
        return key in _KNOWN[level] or (not any(n.startswith(key) for n in _KNOWN[level]) and key.endswith("指标"))

    def _continues(self, level: str, key: str) -> bool:
        so_far = self.pending[level]
        if not so_far:
            return False
        joined = so_far + key
        return any(n.startswith(joined) for n in _KNOWN[level]) or (key.endswith(("指标", "标")) and len(key) <= 3)

    def _starts(self, level: str, text: str) -> bool:
        key = label_key(text)
        if not key or self.pending[level]:
            return False
        full = [n for n in _KNOWN[level] if n.startswith(key)]
        # a merged label's first piece fills its narrow column (or is the whole label)
        return any(abs(em_width(text) - min(self.piece_width, len(n))) < 0.3 for n in full)

    def take(self, text: str, line: int, allowed: tuple[str, ...]) -> str | None:
        """The level this leading fragment is a piece of, or None."""
        key = label_key(text)
        if em_width(text) > self.piece_width + 0.3:
            return None
        level = next((lv for lv in allowed if self._continues(lv, key)), None)
        if level is None:
            starts = [lv for lv in allowed if self._starts(lv, text)]
            level = starts[-1] if starts else None   # 成本指标 is both: mostly a 二级
            if level is None:
                return None
            self.groups[level].append(("", []))
        name, lines = self.groups[level][-1]
        self.groups[level][-1] = (name + key, lines + [line])
        self.pending[level] = "" if self._complete(level, name + key) else name + key
        return level


def read_indicator_lines(lines: list[TextLine], columns: list[str], piece_width: float,
                         first_line: int, last_line: int, caps: dict[str, float] | None = None) -> TableRead:
    """The indicator rows of the lines between the header (`first_line`) and
    总分 (`last_line`); `columns` in the header's order."""
    levels = _Levels(piece_width)
    text_columns = [c for c in columns if c in TEXT_COLUMNS]
    placed: list[tuple[int, str, str]] = []           # (line, column, text)
    anchors: list[tuple[int, str, str]] = []          # (line, weight, score)
    own = capacities(lines, columns)
    # The document's widths where it measured them; this form's own for a
    # column the document's first form did not print.
    caps = {**own, **(caps or {})} if caps else own
    xs = _column_starts(lines, text_columns)
    open_cells: dict[str, bool] = {c: False for c in text_columns}
    for line in lines:
        frags = list(line.frags)
        taken = 0
        allowed = [lv for lv in LEVELS if lv in columns]
        while frags and allowed:
            level = levels.take(frags[0].text, line.index, tuple(allowed))
            if level is None:
                break
            frags.pop(0)
            allowed = allowed[allowed.index(level) + 1:]
            taken += 1
        at = anchor_of(frags)
        if at is not None:
            anchors.append((line.index, frags[at].text, frags[at + 1].text))
            before, after = frags[:at], frags[at + 2:]
            pre_cols = [c for c in text_columns if c != "deviation"]
            for column, frag in _assign(before, pre_cols, open_cells, caps, xs, on_anchor=True):
                placed.append((line.index, column, frag.text))
            if after and "deviation" in text_columns:
                placed.append((line.index, "deviation", " ".join(f.text for f in after)))
            _update_open(open_cells, placed, line.index, caps)
            continue
        assignment = _assign(frags, text_columns, open_cells, caps, xs)
        for column, frag in assignment:
            placed.append((line.index, column, frag.text))
        _update_open(open_cells, placed, line.index, caps)
    return _rows(placed, anchors, text_columns, levels, caps, first_line, last_line)


def _fit(frags: list[Frag], slots: int) -> list[Frag]:
    """More fragments than slots (a space inside a cell): join the leftmost."""
    while len(frags) > slots:
        frags = [Frag(frags[0].text + " " + frags[1].text, frags[0].x)] + frags[2:]
    return frags


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
        before = [f for f in frags[:at] if em_width(f.text) > 3.5 or _MEASURE.search(f.text)]
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
        before = [f for f in line.frags[:at] if em_width(f.text) > 2.5 or _MEASURE.search(f.text)]
        if len(before) == len(pre_cols):
            for c, f in zip(pre_cols, before):
                xs[c].append(f.x)
        if at + 2 < len(line.frags) and "deviation" in xs:
            xs["deviation"].append(line.frags[at + 2].x)
    return xs


def _update_open(open_cells: dict[str, bool], placed: list[tuple[int, str, str]], index: int,
                 caps: dict[str, float]) -> None:
    """A cell stays open after a line that fills its column (the text wrapped)."""
    here = {c: t for i, c, t in placed if i == index}
    for column, text in here.items():
        open_cells[column] = em_width(text) >= caps[column] - 1.1


def _assign(frags: list[Frag], columns: list[str], open_cells: dict[str, bool], caps: dict[str, float],
            xs: dict[str, list[float]], on_anchor: bool = False) -> list[tuple[str, Frag]]:
    """The best order-keeping assignment of a line's fragments to columns."""
    frags = _fit(frags, len(columns))
    best: tuple[float, list[tuple[str, Frag]]] = (float("-inf"), [])

    def score(column: str, frag: Frag) -> float:
        s = 0.0
        width = em_width(frag.text)
        if width > caps[column] + 0.6:
            s -= 6.0
        full = width >= caps[column] - 1.1
        if open_cells[column]:
            s += 2.0
        elif not on_anchor:
            # off the anchor line a new cell has more lines to come: this one fills its column
            s += 0.5 if full else -3.0
        if frag.x is not None and xs.get(column):
            lo, hi = min(xs[column]), max(xs[column])
            distance = max(lo - frag.x, frag.x - hi, 0.0)
            s -= distance / 2.0
        if _MEASURE.search(frag.text):
            s += 2.5 if column in ("target", "actual") else -1.0
        if re.search(r"[。；;]", frag.text) and column == "deviation":
            s += 1.0
        if on_anchor and column in ("target", "actual"):
            # the short cells stand on the anchor line; an actual is rarely empty
            s += 2.5 if column == "actual" else 0.5
        return s

    def search(i: int, start: int, total: float, chosen: list[tuple[str, Frag]]) -> None:
        nonlocal best
        if i == len(frags):
            # a column left open that gets no line here was closed (prefer filling it)
            missed = sum(1.0 for c in columns if open_cells[c] and c not in {k for k, _ in chosen})
            value = total - 0.5 * missed
            if value > best[0]:
                best = (value, list(chosen))
            return
        for j in range(start, len(columns) - (len(frags) - i - 1)):
            chosen.append((columns[j], frags[i]))
            search(i + 1, j + 1, total + score(columns[j], frags[i]), chosen)
            chosen.pop()

    search(0, 0, 0.0, [])
    return best[1]


def _rows(placed: list[tuple[int, str, str]], anchors: list[tuple[int, str, str]], columns: list[str],
          levels: _Levels, caps: dict[str, float], first_line: int, last_line: int) -> TableRead:
    rows = [IndicatorRow(cells={c: [] for c in columns}, weight=w, score=s, line=i) for i, w, s in anchors]
    read = TableRead(rows)
    if not rows:
        return read
    lines_at = [r.line for r in rows]
    top = _top_aligned(placed, lines_at, first_line)
    by_column: dict[str, list[tuple[int, str]]] = {c: [] for c in columns}
    for i, c, t in placed:
        by_column[c].append((i, t))
    for column, frags in by_column.items():
        owner = [None] * len(frags)
        for k, (i, _) in enumerate(frags):
            after = [r for r, a in enumerate(lines_at) if a <= i]
            if top or (after and lines_at[after[-1]] == i):
                owner[k] = after[-1] if after else 0
        if not top:
            _centred_owners(frags, owner, lines_at, caps[column])
        for (i, t), r in zip(frags, owner):
            rows[r].cells[column].append(t)
    _group_levels(read, levels, lines_at, top, first_line, last_line)
    return read


def _top_aligned(placed: list[tuple[int, str, str]], lines_at: list[int], first_line: int) -> bool:
    """Cells printed at the top of their rows: no text stands above the first anchor."""
    return not any(first_line < i < lines_at[0] for i, _, _ in placed)


def _centred_owners(frags: list[tuple[int, str]], owner: list[int | None], lines_at: list[int], cap: float) -> None:
    """A centred cell's lines off its anchor line: the ones above the first
    anchor are the first row's; between two anchors, the upper row's while its
    cell is open (its last line filled the column), then the lower row's."""
    for k, (i, text) in enumerate(frags):
        if owner[k] is not None:
            continue
        below = [r for r, a in enumerate(lines_at) if a < i]
        if not below:
            owner[k] = 0
            continue
        upper = below[-1]
        if upper == len(lines_at) - 1:
            owner[k] = upper
            continue
        previous = k - 1
        if previous >= 0 and owner[previous] == upper and em_width(frags[previous][1]) >= cap - 1.1:
            owner[k] = upper
        else:
            owner[k] = upper + 1


def _group_levels(read: TableRead, levels: _Levels, lines_at: list[int], top: bool,
                  first_line: int, last_line: int) -> None:
    n = len(lines_at)
    tops = [first_line] + [(a + b) / 2 for a, b in zip(lines_at, lines_at[1:])]
    bottoms = tops[1:] + [last_line]
    l2_bounds = _spans(levels.groups["level2"], lines_at, tops, bottoms, top, None)
    l1_bounds = _spans(levels.groups["level1"], lines_at, tops, bottoms, top, l2_bounds)
    for level, bounds in (("level2", l2_bounds), ("level1", l1_bounds)):
        groups = levels.groups[level]
        for (name, _), (a, b) in zip(groups, bounds):
            for r in range(a, b):
                read.rows[r].levels[level] = name
        if not groups and n:
            read.doubts.append((0, level, f"no {level} label found"))


def _spans(groups: list[tuple[str, list[int]]], lines_at: list[int], tops: list[float], bottoms: list[float],
           top: bool, allowed: list[tuple[int, int]] | None) -> list[tuple[int, int]]:
    """The rows [a, b) each merged label spans, in order, covering all rows."""
    n, m = len(lines_at), len(groups)
    if m == 0:
        return []
    cuts = sorted({0, n} | ({a for a, _ in allowed} if allowed else set(range(n + 1))))
    if m >= len(cuts):
        return [(min(j, n - 1), min(j, n - 1) + 1) for j in range(m)]

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
    return spans[::-1]
