"""The indicator rows of a box text: cells back into rows.

In pdfminer's order the cells of one column mostly keep their order among
themselves (a column's cells are grouped top to bottom), but the columns
are interleaved at will: three names, then three targets, then three
actuals each with its weight and score.  So each column is read as a queue
and its k-th cell goes to row k; what cannot be told from the text alone is
decided by what the form obeys:
- the rows: one 实际完成值 per row (达成指标-like text or a measure);
- a weight and a score per row, score <= weight; a run of 2k figures is a
  row-by-row or a column-by-column print of k rows, whichever keeps that;
- a name and a text target look alike: a row's name comes before its
  target, its target usually right before its actual, and a line wider than
  the target column (measured on the document's actuals) is no target;
- a deviation goes to a row that lost points;
- the merged 一级/二级 labels come in order, but not how many rows each spans:
  their spans are fitted to the rows' words (满意度 rows under 服务对象满意度…).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from extract.layout.labels import level_key
from extract.parse.values import parse_measure, parse_number

_HALF_CENT = Decimal("0.005")      # numbers are equal within it (FORM_RECORD.md)

# Text an actual prints instead of a figure.
ACTUAL_WORDS = re.compile(r"达成|^未完成|^已完成$")
# Words of a deviation cell (偏差原因分析及改进措施).
DEVIATION_WORDS = re.compile(r"原因|改进|措施|导致|由于|滞后|下一步|下步|今后|低于预期|未达预期|将进一步|加强|加大")
# Words that tie a row to its 二级指标 (a fit, not a rule: any row may go anywhere).
# How a 三级指标 name ends (its target seldom does).
NAME_ENDING = re.compile(r"(?:率|度|性)$")
# A qualitative 年度指标值 is a short verdict; a name is a noun phrase and
# seldom one (a form may still name a row 及时).
VERDICT = re.compile(r"^(?:及时|按时|达标|良好|优良|健全|合格|完成|当年完成|通过|提高|提升|增长|节约|满足|符合"
                     r"|正常运行|有效保障|建立健全|稳定|降低|减少|下降)$")
VERDICT_AS_NAME = 3.0
LEVEL2_CUES = {
    "数量": (r"数$|数量|次数|份数|场次|量$|完成率|册|份|本|套|张|条|项|场|户|人次|个", 1.0),
    "质量": (r"质量|达标|准确|合格|通过|容错|差错|良好|故障|规范|完整|验收|符合|要求", 1.5),
    "时效": (r"及时|时效|按时|时间|前完成|年底|响应|时限|进度", 2.0),
    "成本": (r"成本|经费|费$|执行率|预算|控制", 2.0),
    "效益": (r"效益|效能|影响|传播|保障|满足|社会|知晓|覆盖|引用|转变|提升|推动|提高|促进|增长", 1.0),
    "可持续": (r"长效|持续|机制|共享|公开|分享|健全", 2.0),
    "满意": (r"满意", 4.0),
}
# 二级 groups that usually hold several rows (成本, 时效, 可持续 seldom more than two).
LONG_GROUPS = ("数量", "社会")
LEVEL2_PARENT = (("满意", "满意度指标"), ("效益", "效益指标"), ("可持续", "效益指标"),
                 ("数量", "产出指标"), ("质量", "产出指标"), ("时效", "产出指标"), ("成本", "产出指标"))


ALL_CELLS = ("name", "target", "actual", "weight", "score", "deviation", "level1", "level2")


@dataclass
class Token:
    kind: str              # num, target, actual, maybe-target (no-op measure), text, deviation
    text: str
    width: float = 0.0     # widest line, in em
    lines: int = 1
    page: int = 0
    tail: bool = False     # the last cell of a one-line box joined to its neighbour (box_boxes.Box.tail)
    glued: bool = False    # a figure split off the text after it (box_boxes.Box.glued)
    settled: bool = False  # a measure with no operator settled as a target (settle_maybe_targets)
    # an actual told by the rows the figures need, not by its words (达标,
    # 符合 and a bare measure print as targets too)
    guessed: bool = False
    beside: bool = False   # a one-line cell joined on its line to the next (box_boxes.Box.beside)
    # among the tokens where another choice of the actuals, nearly as good,
    # differs: the rows there are not sure (box_text._promote_word_actuals)
    unsure: bool = False
    # the first cell pdfminer printed after the 偏差原因 column's label on
    # its page: the top of that column (box_text._read_indicators)
    headed: bool = False


@dataclass
class Row:
    name: str | None = None
    target: str | None = None
    actual: str | None = None
    weight: str | None = None
    score: str | None = None
    deviation: str | None = None
    level1: str | None = None
    level2: str | None = None
    doubt: set[str] = field(default_factory=set)
    page: int = 0          # the page of its actual (0: not known)


def em_width(line: str) -> float:
    # a space pdfminer prints for a gap between a CJK character and a digit is a quarter em
    return sum(0.25 if ch == " " else 0.5 if ord(ch) < 0x2E80 else 1.0 for ch in line)


def content_kind(text: str) -> str:
    flat = re.sub(r"\s+", "", text)
    measure = parse_measure(flat)
    if measure.value is not None:
        return "target" if measure.op is not None else "maybe-target"
    if ACTUAL_WORDS.search(flat) and len(flat) <= 16:
        return "actual"
    if DEVIATION_WORDS.search(flat) and len(flat) >= 12:
        return "deviation"
    return "text"


def _num(text: str | None) -> Decimal | None:
    try:
        return parse_number(text)
    except ValueError:
        return None


def build_rows(tokens: list[Token], target_width: float, weight_sum: Decimal | None = None,
               name_width: float | None = None, figure_sum: Decimal | None = None,
               prints_figures: bool = True) -> list[Row]:
    """The rows of one form's indicator table from its tokens in box order
    (`name_width`: the 三级指标 column's, None where not measured;
    `figure_sum`: what the rows' weights and scores add up to by the
    totals, None where not known; `prints_figures`: False for a table
    with no 分值 / 得分 columns, whose rows lack no figures)."""
    settle_maybe_targets(tokens)
    actuals = [t for t in tokens if t.kind == "actual"]
    figure_rows = _rows_of_figures(tokens, figure_sum)
    rows = [Row() for _ in range(max(len(actuals), figure_rows))]
    if not rows:
        return rows
    if figure_sum is not None and figure_rows != len(rows):
        # the weights and scores do not add up to what the totals leave for
        # this many rows: the count of rows is the actuals' alone, and a
        # row too many or too few shifts every cell after it
        for row in rows:
            row.doubt.update(ALL_CELLS)
    for row, token in zip(rows, actuals):
        row.actual, row.page = token.text, token.page
    for k, token in enumerate(actuals):
        if token.guessed:
            # which of the words is the actual is a guess: a wrong one
            # swaps a target and an actual with the rows beside it
            for row in rows[max(0, k - 1):k + 2]:
                row.doubt.update(("target", "actual"))
    seen = _actuals_before(tokens)
    unsure = [seen[k] for k, token in enumerate(tokens) if token.unsure]
    if unsure:
        # the rows another choice of actuals shifts: from the row before
        # the first such token to the row after the last
        for row in rows[max(0, unsure[0] - 1):unsure[-1] + 2]:
            row.doubt.update(("name", "target", "actual"))
    if len(rows) > len(actuals):
        # the figures tell more rows than actuals were recognised (an
        # actual printed as a target's words): which row lacks its actual
        # is not printed, so no row is sure
        for row in rows:
            row.doubt.update(ALL_CELLS)
    if prints_figures or any(t.kind == "num" for t in tokens):
        _read_figures(rows, tokens, weight_sum)
    _read_names_and_targets(rows, tokens, target_width, name_width)
    _read_deviations(rows, tokens)
    return rows


def _rows_of_figures(tokens: list[Token], figure_sum: Decimal | None) -> int:
    """How many rows the weights and scores make: half their number, where
    they add up to what the totals leave for them (0 where not known)."""
    values = [_num(t.text) for t in tokens if t.kind == "num"]
    if figure_sum is None or len(values) % 2 or None in values or abs(sum(values) - figure_sum) >= _HALF_CENT:
        return 0
    return len(values) // 2


def settle_maybe_targets(tokens: list[Token]) -> None:
    """A measure with no operator is the actual of a target still waiting
    for one (`=5.00(份)` then `5.00(份)`), else a target (`95.00(null)` then
    `95.00(null)`)."""
    waiting = 0
    open_row = False        # a target printed, and no actual nor figure since
    for k, token in enumerate(tokens):
        if token.kind == "maybe-target":
            token.kind = "actual" if waiting > 0 else "target"
            token.settled = token.kind == "target"
        if token.kind == "target":
            waiting += 1
            open_row = True
        elif token.kind == "actual":
            waiting = max(waiting - 1, 0)
            open_row = False
        elif token.kind == "num":
            if open_row and k > 0 and tokens[k - 1].kind == "text":
                # a target, a text, then a row's figures: the text is that
                # target's actual in words (`≥560.00(套)` `符合` `9.00`), so
                # the target waits no more -- else the next row's bare target
                # (`100%` / `100%`) would be read as its actual
                waiting = max(waiting - 1, 0)
            open_row = False


def _read_figures(rows: list[Row], tokens: list[Token], weight_sum: Decimal | None) -> None:
    """Weights and scores.  A run of figures with nothing between them is
    printed row by row (weight, score, weight, …) or column by column (the
    run's weights, then its scores); a run may also close a pair the last
    run left open, and a row's score printed right after its weight is its
    own however many rows still wait for theirs (pdfminer grouped the pair).
    A small dynamic programme over the runs picks the readings that keep
    every score <= its weight, rarely below it, make the weights sum to what
    the totals leave (总分 less the funding weight), and print a row's weight
    after its actual, soon after it rather than rows later."""
    runs = _figure_runs(tokens)
    figures = [t for _, run in runs for t in run]
    values = [_num(t.text) for t in figures]
    n = len(rows)
    if len(figures) != 2 * n or any(v is None for v in values):
        # not two figures a row: the rows themselves are not sure
        for row, (w, sc) in zip(rows, zip(figures[0::2], figures[1::2])):
            row.weight, row.score = w.text, sc.text
        for row in rows:
            row.doubt.update(ALL_CELLS)
        return
    reading = _FigureReading(runs, values, n, weight_sum)
    best = _figure_states(reading)
    ends = [(v, k) for k, v in best.items() if reading.complete(k)]
    if not ends:
        ends = [(v, k) for k, v in best.items() if k[0] == n and k[1] == n]
        for row in rows:
            row.doubt.update(("weight", "score"))
    (cost, labels), _ = min(ends, key=lambda e: e[0][0])
    pairs = _pairs(figures, labels, n)
    for row, (weight, score) in zip(rows, pairs):
        row.weight = weight.text if weight is not None else None
        row.score = score.text if score is not None else None
    plain = replace(reading, positional=False).cost(labels)
    # rows that lost points are no sign of a wrong reading: what is left of
    # the cost is how the figures had to be printed for it
    lost = sum(_num(s.text) < _num(w.text) for w, s in pairs if w is not None and s is not None)
    if plain is None or plain - lost >= IMPLAUSIBLE_ORDER and not reading.order_changes_no_value(labels, lost):
        # no reading keeps every score within its weight, or only with
        # many rows' scores printed before their weights: not sure at all
        for row in rows:
            row.doubt.update(("weight", "score"))
        return
    for k in reading.rows_read_otherwise(labels, cost):
        rows[k].doubt.update(("weight", "score"))


def _figure_states(reading: "_FigureReading") -> dict[tuple, tuple[float, str]]:
    """The programme over the runs: per end state, the cheapest labelling."""
    runs = reading.runs
    best: dict[tuple, tuple[float, str]] = {_START: (0.0, "")}
    for k in range(len(runs)):
        step: dict[tuple, tuple[float, str]] = {}
        for state, (cost, labels) in best.items():
            for labelled, c in reading.readings(k).items():
                got = reading.apply(state, k, labelled)
                if got is not None and cost + c + got[1] < step.get(got[0], (float("inf"), ""))[0]:
                    step[got[0]] = (cost + c + got[1], labels + labelled)
        best = dict(sorted(step.items(), key=lambda item: item[1][0])[:4000])
    return best


def figures_cost(tokens: list[Token], weight_sum: Decimal | None = None) -> float:
    """What the cheapest reading of the weights and scores costs with the
    actuals where the tokens have them (a row's figures print after its
    actual, soon after it): a measure of how well a choice of actuals fits
    the figures; 0 where the figures are not two a row (no reading to
    compare), inf where no reading is complete."""
    n = sum(t.kind == "actual" for t in tokens)
    runs = _figure_runs(tokens)
    values = [_num(t.text) for _, run in runs for t in run]
    if not n or len(values) != 2 * n or any(v is None for v in values):
        return 0.0
    reading = _FigureReading(runs, values, n, weight_sum)
    ends = [cost for state, (cost, _) in _figure_states(reading).items() if reading.complete(state)]
    return min(ends, default=float("inf"))


def _figure_runs(tokens: list[Token]) -> list[tuple[int, list[Token]]]:
    """The runs of figures with nothing between them, each with the number
    of actuals (rows) printed before it."""
    runs: list[tuple[int, list[Token]]] = []
    actuals = 0
    for k, token in enumerate(tokens):
        if token.kind == "actual":
            actuals += 1
        elif token.kind == "num":
            if k == 0 or tokens[k - 1].kind != "num":
                runs.append((actuals, []))
            runs[-1][1].append(token)
    return runs


def _pairs(figures: list, labels: str, n: int) -> list[tuple]:
    """Each row's (weight, score) under a labelling: W the next row's
    weight, S the score of the first row still waiting for one (or of the
    next row, its score printed first), P the score of the row whose weight
    was just printed."""
    weights: list = [None] * n
    scores: list = [None] * n
    waiting: list[int] = []      # rows with a weight and no score, in order
    ahead = 0                    # scores printed before their rows' weights
    nw = 0
    for figure, label in zip(figures, labels):
        if label == "W":
            if nw < n:
                weights[nw] = figure
                if ahead:
                    ahead -= 1
                else:
                    waiting.append(nw)
            nw += 1
        elif label == "P" and waiting:
            scores[waiting.pop()] = figure
        elif waiting:
            scores[waiting.pop(0)] = figure
        elif nw + ahead < n:
            scores[nw + ahead] = figure
            ahead += 1
    return list(zip(weights, scores))


# The state of the figures' programme: weights so far, scores so far, the
# weights' sum, the values waiting to be paired (the rows' weights, or the
# scores printed before their weights).
_START = (0, 0, Decimal(0), ())
# A row's weight printed rows after its actual (pdfminer groups a weight
# with its row's cells; a column of them follows the last of their rows):
# this much a row of lag, and more where it prints before its row's actual.
WEIGHT_LAG = 0.3
WEIGHT_BEFORE_ACTUAL = 2.0
# A row's score printed before its weight (the 得分 column ahead of 分值).
SCORE_FIRST = 0.5


@dataclass
class _FigureReading:
    """The weights and scores of n rows as runs of figures (each with the
    actuals printed before it): what a labelling of them costs."""

    runs: list[tuple[int, list[Token]]]
    values: list
    n: int
    weight_sum: Decimal | None
    positional: bool = True      # whether a weight's place against the actuals counts

    def __post_init__(self) -> None:
        self.starts = []
        at = 0
        for _, run in self.runs:
            self.starts.append(at)
            at += len(run)
        self._readings: dict[int, dict[str, float]] = {}

    def readings(self, k: int) -> dict[str, float]:
        """The labellings of run k with their costs: the usual ones of its
        length, and its reading in blocks (`_block_reading`)."""
        if k not in self._readings:
            at, length = self.starts[k], len(self.runs[k][1])
            out = dict(_reading_costs(length))
            blocks = _block_reading(self.values[at:at + length])
            if blocks is not None and blocks[0] not in out:
                out[blocks[0]] = blocks[1]
            self._readings[k] = out
        return self._readings[k]

    def apply(self, state: tuple, k: int, labelled: str) -> tuple[tuple, float] | None:
        """The state after labelling run k's figures, and their cost."""
        nw, ns, total, waiting = state
        actuals = self.runs[k][0]
        at = self.starts[k]
        cost = 0.0
        for i, label in enumerate(labelled):
            value = self.values[at + i]
            if label == "W":
                if nw >= self.n:
                    return None
                if self.positional:
                    cost += WEIGHT_BEFORE_ACTUAL if nw >= actuals else WEIGHT_LAG * (actuals - 1 - nw)
                if ns > nw:               # its score came first
                    cost += SCORE_FIRST + _pair_cost(value, waiting[0])
                    waiting = waiting[1:]
                else:
                    waiting = waiting + (value,)
                nw, total = nw + 1, total + value
            elif label == "P":
                # the score beside the weight just printed: only right after it
                if ns >= nw or i == 0 or labelled[i - 1] != "W":
                    return None
                cost += _pair_cost(waiting[-1], value)
                waiting = waiting[:-1]
                ns += 1
            else:
                if ns >= self.n:
                    return None
                if ns < nw:
                    cost += _pair_cost(waiting[0], value)
                    waiting = waiting[1:]
                else:
                    cost += SCORE_FIRST
                    waiting = waiting + (value,)
                ns += 1
        return (nw, ns, total, waiting), cost

    def complete(self, state: tuple) -> bool:
        nw, ns, total, _ = state
        return nw == self.n and ns == self.n and (
            self.weight_sum is None or abs(total - self.weight_sum) < _HALF_CENT)

    def cost(self, labels: str) -> float | None:
        """What one labelling of all figures costs (None: impossible)."""
        state, cost = _START, 0.0
        for k, (_, run) in enumerate(self.runs):
            labelled = labels[self.starts[k]:self.starts[k] + len(run)]
            c = self.readings(k).get(labelled)
            got = self.apply(state, k, labelled) if c is not None else None
            if got is None:
                return None
            state, cost = got[0], cost + c + got[1]
        return cost if self.complete(state) else None

    def values_of(self, labels: str) -> list[tuple]:
        """Each row's (weight, score) values under a labelling."""
        return [tuple(None if f is None else self.values[f] for f in pair)
                for pair in _pairs(range(len(self.values)), labels, self.n)]

    def order_changes_no_value(self, labels: str, lost: int) -> bool:
        """Whether the figures read as scores printed before their weights
        read as the weights, and the others as their scores, give every row
        the same values in a plausible order (rows that lost no points: the
        分值 and 得分 columns print alike, which came first is no matter)."""
        if "P" in labels:
            return False
        mirrored = list(labels)
        for weight, score in _pairs(range(len(labels)), labels, self.n):
            if weight is not None and score is not None and score < weight:
                mirrored[weight], mirrored[score] = "S", "W"
        mirrored = "".join(mirrored)
        plain = replace(self, positional=False).cost(mirrored)
        return plain is not None and plain - lost < IMPLAUSIBLE_ORDER \
            and self.values_of(mirrored) == self.values_of(labels)

    def rows_read_otherwise(self, labels: str, cost: float) -> set[int]:
        """The rows whose weight or score another reading of one run gives,
        where that reading costs hardly more and keeps the sum (a run of
        equal pairs, `5 5 10 10 5 5 10 10`, reads row by row or column by
        column)."""
        def values_of(reading: str) -> list[tuple]:
            return [tuple(None if f is None else self.values[f] for f in pair)
                    for pair in _pairs(range(len(self.values)), reading, self.n)]

        chosen = values_of(labels)
        doubtful: set[int] = set()
        for k, (start, (_, run)) in enumerate(zip(self.starts, self.runs)):
            for reading in self.readings(k):
                trial = labels[:start] + reading + labels[start + len(run):]
                if trial == labels:
                    continue
                other = self.cost(trial)
                if other is None or other - cost > FIGURE_MARGIN:
                    continue
                got = values_of(trial)
                doubtful |= {k for k in range(self.n) if got[k] != chosen[k]}
        return doubtful


# A reading that costs this much for its order of printing (many rows'
# scores printed before their weights) is no reading to trust.
IMPLAUSIBLE_ORDER = 8.0
# A reading of the figures that costs at most this much more is as likely:
# the rows it reads otherwise are in doubt.
FIGURE_MARGIN = 1.0


@functools.cache
def _reading_costs(length: int) -> dict[str, float]:
    return dict(_run_readings(length))


@functools.cache
def _run_readings(length: int) -> tuple[tuple[str, float], ...]:
    """The labelings (W weight, S score, P the score of the weight just
    before) of a run of figures, with a small cost for the less usual."""
    half, rest = length // 2, length - length // 2
    readings = {
        ("WS" * rest)[:length]: 0.0,
        ("SW" * rest)[:length]: 0.1,
        "W" * rest + "S" * half: 0.3,
        "W" * half + "S" * rest: 0.3,
        "S" + "W" * ((length - 1) - (length - 1) // 2) + "S" * ((length - 1) // 2): 0.4,
    }
    # a run may close the pairs the runs before it left open: weights (or
    # scores) of its own, then the scores of all the rows still waiting
    for a in range(length + 1):
        readings.setdefault("W" * a + "S" * (length - a), 1.2)
        readings.setdefault("S" * a + "W" * (length - a), 1.3)
    out: dict[str, float] = {}
    for reading, cost in readings.items():
        out[reading] = min(cost, out.get(reading, cost))
    # the score printed right after a weight may be that row's own, however
    # many rows still wait for theirs: a run row by row, or one row's pair
    # and then the scores the rows before it wait for
    for reading in (("WS" * rest)[:length], "WS" + "S" * (length - 2)):
        paired = reading.replace("WS", "WP")
        if length >= 2 and paired != reading:
            out.setdefault(paired, out.get(reading, 1.2))
    return tuple(out.items())


# What each block of a run read in blocks costs (`_block_reading`).
BLOCK_COST = 0.2


def _block_reading(values: list) -> tuple[str, float] | None:
    """A long run of figures pdfminer printed a few rows at a time, each
    block column by column (`6 9 7 3 9 6 9 7 3 9 12 12 12 12 9 4 9 4`: five
    rows' weights then their scores, then two rows', then two): the cut
    into blocks whose pairs lose the fewest points, with no score above its
    weight; None where no cut does, or the run is odd."""
    length = len(values)
    if length % 2 or length < 4 or None in values:
        return None
    # best[p]: (cost, labels) of the figures from p on, read in blocks
    best: dict[int, tuple[float, str]] = {length: (0.0, "")}
    for p in range(length - 2, -1, -2):
        options = []
        for a in range(1, (length - p) // 2 + 1):
            pairs = sum(_pair_cost(values[p + i], values[p + a + i]) for i in range(a))
            if p + 2 * a in best and pairs < SCORE_ABOVE_WEIGHT:
                cost, labels = best[p + 2 * a]
                options.append((cost + pairs + BLOCK_COST, "W" * a + "S" * a + labels))
        if options:
            best[p] = min(options)
    if 0 not in best:
        return None
    cost, labels = best[0]
    return labels, BLOCK_COST * labels.count("WS")


# What a score above its weight costs: more than any order of printing could.
SCORE_ABOVE_WEIGHT = 50.0


def _pair_cost(weight: Decimal, score: Decimal) -> float:
    """A score above its weight is impossible; below it, rare (a row that
    lost points)."""
    return SCORE_ABOVE_WEIGHT if score > weight else 1.0 if score < weight else 0.0


# A labelling of the text cells that costs less than this more than the
# best one is as likely: the rows it fills otherwise are in doubt.
NAME_MARGIN = 2.0


def _read_names_and_targets(rows: list[Row], tokens: list[Token], target_width: float,
                            name_width: float | None = None) -> None:
    """Label each text cell name or target (a small dynamic programme over
    the box order: n names and t targets so far), then fill both queues."""
    items = [(i, t) for i, t in enumerate(tokens) if t.kind in ("text", "target")]
    n_rows = len(rows)
    texts = sum(t.kind == "text" for _, t in items)
    known = len(items) - texts
    # more text cells than names and missing targets: the extra are deviations
    extra = texts - (2 * n_rows - known)
    if extra > 0:
        for token in _likely_deviations(items, tokens, extra):
            token.kind = "deviation"
        items = [(i, t) for i, t in items if t.kind != "deviation"]
    widths = _Widths(target_width, name_width)
    final = _label_texts(items, tokens, n_rows, widths)
    doubtful = final is None
    if final is None:                  # counts do not fit: the nearest reading, in doubt
        final = _label_texts(items, tokens, n_rows, widths, exact=False) or (0.0, [])
    names, targets = _queues(items, final[1])
    for row, name in zip(rows, names):
        row.name = name
    for row, target in zip(rows, targets):
        row.target = target
    if doubtful:
        # the text cells do not make a name and a target a row: the rows are not sure
        for row in rows:
            row.doubt.update(ALL_CELLS)
        return
    # a text cell whose other label costs hardly more: the rows that reading
    # would change are in doubt
    for j, (_, token) in enumerate(items):
        if token.kind != "text":
            continue
        other = _label_texts(items, tokens, n_rows, widths, forced=(j, "T" if final[1][j] == "N" else "N"))
        if other is None or other[0] - final[0] >= NAME_MARGIN:
            continue
        other_names, other_targets = _queues(items, other[1])
        for k, row in enumerate(rows):
            if _at(other_names, k) != row.name or _at(other_targets, k) != row.target:
                row.doubt.update(("name", "target"))


def labelling_cost(tokens: list[Token], target_width: float, name_width: float | None = None) -> float:
    """What the cheapest name/target labelling of the tokens costs (inf
    where the text cells cannot give every row a name and a target): a
    measure of how well a reading of the boxes fits the rows."""
    tokens = [replace(t) for t in tokens]
    settle_maybe_targets(tokens)
    n_rows = sum(t.kind == "actual" for t in tokens)
    items = [(i, t) for i, t in enumerate(tokens) if t.kind in ("text", "target")]
    texts = sum(t.kind == "text" for _, t in items)
    extra = texts - (2 * n_rows - (len(items) - texts))
    if extra > 0:
        for token in _likely_deviations(items, tokens, extra):
            token.kind = "deviation"
        items = [(i, t) for i, t in items if t.kind != "deviation"]
    got = _label_texts(items, tokens, n_rows, _Widths(target_width, name_width))
    return float("inf") if got is None else got[0] + 2.0 * max(extra, 0)


# Words a deviation cell has more often than a name or a target does.
_DEVIATION_HINTS = re.compile(r"影响|不足|不及|不高|减少|偏差|尚未|未能|未完全|较快|增长|主要是|主要由于|受")


def _likely_deviations(items: list, tokens: list[Token], extra: int) -> list[Token]:
    """The `extra` text cells that are most likely deviations the words did
    not tell: printed after a row's figures or after the last actual (a
    column of deviations grouped at the end), long, with a deviation's
    words -- and not right before an actual (a row's target is)."""
    last_actual = max((i for i, t in enumerate(tokens) if t.kind == "actual"), default=-1)

    def likeness(i: int, token: Token) -> float:
        flat = re.sub(r"\s+", "", token.text)
        score = min(len(flat), 60) / 20.0
        score += 1.5 if _DEVIATION_HINTS.search(flat) else 0.0
        if i > last_actual:
            score += 2.0
        if i > 0 and tokens[i - 1].kind in ("num", "deviation"):
            score += 1.0
        if _next_kind(tokens, i) == "actual" and i + 1 < len(tokens) and tokens[i + 1].kind == "actual":
            score -= 3.0
        if NAME_ENDING.search(flat):
            score -= 1.0
        if re.search(r"[。；！]$", flat):
            score += 1.0        # a sentence, as a deviation is (a name never ends so)
        return score

    texts = [(i, t) for i, t in items if t.kind == "text"]
    ranked = sorted(texts, key=lambda it: -likeness(*it))
    return [t for _, t in ranked[:extra]]


def _queues(items: list, labels: list[str]) -> tuple[list[str], list[str]]:
    """The names and the targets in row order: each queue in box order,
    except that a name printed on one line with the target right after it
    (top-aligned, a one-line name's line joined to its target's first) is
    that target's row's, where pdfminer printed the wrapped names of the
    rows below before it."""
    names: list[str] = []
    targets: list[str] = []
    placed: list[tuple[int, str]] = []    # (row, name) of names beside their target
    for j, ((i, token), label) in enumerate(zip(items, labels)):
        if label == "T":
            targets.append(token.text)
        elif label == "N" and _beside_its_target(items, labels, j):
            placed.append((len(targets), token.text))
        elif label == "N":
            names.append(token.text)
    for row, name in sorted(placed, key=lambda p: p[0]):
        names.insert(min(row, len(names)), name)
    return names, targets


def _beside_its_target(items: list, labels: list[str], j: int) -> bool:
    """Whether text cell j is a name on one line with the target right after it."""
    (i, token) = items[j]
    return token.beside and j + 1 < len(items) and labels[j + 1] == "T" and items[j + 1][0] == i + 1


def _at(values: list[str], k: int) -> str | None:
    return values[k] if k < len(values) else None


@dataclass(frozen=True)
class _Widths:
    """The widths (em) of the target and the name columns as measured on
    the document (0 / None: not measured)."""
    target: float
    name: float | None = None

    @property
    def names_wider(self) -> bool:
        """Whether a wrapped line as wide as the target column's is too
        narrow for a name: only where the name column is measurably wider
        (two columns of one width wrap their cells alike)."""
        return bool(self.target) and (self.name is None or self.name > self.target + 0.25)


def _label_texts(items: list, tokens: list[Token], n_rows: int, widths: _Widths,
                 forced: tuple[int, str] | None = None, exact: bool = True) -> tuple[float, list[str]] | None:
    """The cheapest labelling (N name / T target) of the text and target
    cells, state (names so far, targets so far, last label); `forced` fixes
    one cell's label; None where no labelling gives every row both."""
    INF = float("inf")
    done = _actuals_before(tokens)
    best: dict[tuple[int, int, str], tuple[float, list[str]]] = {(0, 0, ""): (0.0, [])}
    for j, (i, token) in enumerate(items):
        after = _next_kind(tokens, i)
        step: dict[tuple[int, int, str], tuple[float, list[str]]] = {}
        if token.kind == "target":
            options = [("T", 0.0)]
        else:
            name_cost = 1.0 if after == "actual" else 0.0
            # a text right before an actual is its row's target: pdfminer
            # groups a row's target and actual, seldom its name and actual
            if i + 1 < len(tokens) and tokens[i + 1].kind == "actual":
                name_cost += 1.0
            # a wrapped line no wider than the target column: a target's
            # (the name column is the wider)
            if widths.names_wider and token.lines > 1 and token.width <= widths.target + 0.25:
                name_cost += 2.5
            # right after a row's figures a new row starts, with its name
            target_cost = (1.0 if after == "target" else 0.0) + \
                (0.5 if i > 0 and tokens[i - 1].kind == "num" else 0.0) + \
                (5.0 if widths.target and token.width > widths.target + 0.75 else 0.0)
            # what the cells say: a name names a measure (…率, …度, …性) and
            # is seldom a bare word of two characters, which targets are (及时, 完成)
            flat = re.sub(r"\s+", "", token.text)
            if VERDICT.match(flat):
                name_cost += VERDICT_AS_NAME
            elif len(flat) <= 2:
                name_cost += 2.0
            if NAME_ENDING.search(flat):
                target_cost += 2.0
            options = [("N", name_cost), ("T", target_cost)]
        if forced is not None and forced[0] == j:
            options = [o for o in options if o[0] == forced[1]]
        for (n, t, last), (cost, labels) in best.items():
            for label, c in options:
                key = (n + 1, t, label) if label == "N" else (n, t + 1, label)
                if key[0] > n_rows or key[1] > n_rows:
                    continue
                if label == "T" and t >= n:
                    # a target before its row's name: a column of targets
                    # printed ahead of the names costs once, not per cell
                    c += 1.5 if t == n or last != "T" else 0.3
                if last and label != last and not _pair_step(label, n, t):
                    c += CHUNK_START
                if (n if label == "N" else t) < done[i]:
                    # its row's actual printed already: a column's cells
                    # seldom print after the row's actual
                    c += 1.5
                total = cost + c
                if total < step.get(key, (INF, []))[0]:
                    step[key] = (total, labels + [label])
        best = step
    ends = [v for (n, t, _), v in best.items() if not exact or (n == n_rows and t == n_rows)]
    return min(ends, key=lambda v: v[0]) if ends else None


# pdfminer prints a column's cells as chunks, a few rows of one column top
# to bottom, or a row's name and target as a pair: a labelling costs this
# much for each chunk it starts beyond the first.
CHUNK_START = 1.0


def _pair_step(label: str, n: int, t: int) -> bool:
    """Whether a cell labelled so, after a cell of the other label, goes on
    printing row by row: the target of the row just named, or the name of
    the next row once every named row has its target."""
    return n == t + 1 if label == "T" else n == t


def _actuals_before(tokens: list[Token]) -> list[int]:
    """Per token: how many actuals print before it (the rows whose actual came)."""
    out, seen = [], 0
    for token in tokens:
        out.append(seen)
        seen += token.kind == "actual"
    return out


def _next_kind(tokens: list[Token], i: int) -> str | None:
    for token in tokens[i + 1:]:
        if token.kind != "num":
            return token.kind
    return None


def _read_deviations(rows: list[Row], tokens: list[Token]) -> None:
    deviations = [t.text for t in tokens if t.kind == "deviation"]
    lost = [row for row in rows if _lost_points(row)]
    if not deviations:
        # the form explains nothing: every row's deviation is empty, a row
        # that lost points too (a form only usually explains them)
        for row in rows:
            row.deviation = ""
        return
    if len(deviations) == len(lost):
        for row, text in zip(lost, deviations):
            row.deviation = text
        for row in rows:
            if row.deviation is None:
                row.deviation = ""     # read as empty: a row that lost no points explains nothing
        # which rows lost points is as sure as their figures
        unsure = [row for row in rows if row.doubt & {"weight", "score"}]
        for row in unsure + (lost if unsure else []):
            row.doubt.add("deviation")
        return
    # otherwise: each to the row whose actual came last before it, in doubt
    row_at, current = {}, -1
    for i, token in enumerate(tokens):
        if token.kind == "actual":
            current += 1
        row_at[i] = max(current, 0)
    for i, token in enumerate(tokens):
        if token.kind == "deviation" and rows:
            row = rows[min(row_at[i], len(rows) - 1)]
            row.deviation = token.text if row.deviation is None else row.deviation + "\n" + token.text
            row.doubt.add("deviation")
    for row in rows:
        if row.deviation is None:
            row.deviation = ""         # none printed near it: empty (in doubt where it lost points)
    for row in lost:
        row.doubt.add("deviation")
    last_actual = max((i for i, t in enumerate(tokens) if t.kind == "actual"), default=-1)
    if len(deviations) > len(lost) and any(t.kind == "deviation" and i > last_actual
                                           for i, t in enumerate(tokens)):
        # deviations printed after every row's cells (pdfminer grouped the
        # column apart), more than the rows that lost points: any row may
        # be theirs (a score rounded up to its weight loses no points it
        # shows)
        for row in rows:
            row.doubt.add("deviation")


def _lost_points(row: Row) -> bool:
    w, s = _num(row.weight), _num(row.score)
    return w is not None and s is not None and s < w


# How much worse (in cue weight) another 二级 label may fit a row and still
# leave its span in doubt.
LEVEL_MARGIN = 1.0


@dataclass(frozen=True)
class LabelPrint:
    """Where a merged 一级/二级 label's text printed."""
    pages: frozenset[int]      # the pages its lines print on
    lines: int                 # how many lines (a vertical label: one a character)


def fit_levels(rows: list[Row], level1: list[str], level2: list[str],
               printed: dict[str, LabelPrint] | None = None) -> bool:
    """Spread the 二级 labels over the rows in order, each over >= 1 row,
    where the rows' words fit them best, within the spans where the labels
    printed allow (`printed`, with `Row.page`); the 一级 label of a row is
    its 二级's parent.  Returns False where the labels cannot cover
    the rows."""
    n, m = len(rows), len(level2)
    if not rows:
        return True
    if m == 0 or m > n:
        return False
    words = [" ".join(filter(None, (r.name, r.target, r.actual))) for r in rows]
    fit = [[_affinity(w, label, r.name) for label in level2] for w, r in zip(words, rows)]
    free = _SpanRule(n, m)
    rule = _SpanRule(n, m, rows, level1, level2, printed) if printed else free
    spread = _spread(fit, rule)
    if spread is None:                 # the prints contradict each other: the words alone
        rule, spread = free, _spread(fit, free)
    whole, labels, alt = spread
    for row, j in zip(rows, labels):
        row.level2 = level2[j]
        row.level1 = _parent(row.level2, level1)
    loose = _spread(fit, free) if rule is not free else None
    for i, (row, chosen) in enumerate(zip(rows, labels)):
        # another label for this row that fits nearly as well: its span is a guess
        if any(alt[i][j] > whole - LEVEL_MARGIN for j in range(m) if j != chosen):
            row.doubt.update(("level1", "level2"))
        elif loose is not None and loose[2][i][chosen] < loose[0] - LEVEL_MARGIN:
            # only where the labels printed ruled the words' reading out: not sure either
            row.doubt.update(("level1", "level2"))
    return True


class _SpanRule:
    """Which rows a 二级 label may span (label j over rows a..b), by where
    the labels printed; allows any span where nothing is known.

    A merged label's lines print only within its rows, so its span holds a
    row on every page the label prints on (a 一级 label's span: its 二级
    labels').  A row is on its actual's page, and the last row of a page may
    reach the next one (Word breaks a row at the foot of a page: the rest
    of its cells prints on the next).

    A label a break cut into no two pieces prints its lines each on the
    page that holds the line's middle where it is centred on its span (a
    part of the span with room for a line keeps the lines centring gives
    it), on the first page where it is top-aligned: so a label printed only
    on the page after a break reaches back over a part of its span no
    taller than its own part less its lines less one (heights in lines,
    bounded from the rows' cells; a row the break may cut counts wholly to
    the label's page).  Reaching on over the next page is no sign: a
    top-aligned label does."""

    def __init__(self, n: int, m: int, rows: list[Row] = (), level1: list[str] = (), level2: list[str] = (),
                 printed: dict[str, LabelPrint] | None = None) -> None:
        self.start, self.end = [n] * m, [-1] * m        # label j starts at row <= start[j], ends >= end[j]
        self.centred: list[LabelPrint | None] = [None] * m
        self.rows = list(rows)
        # the last row of each page (but the last page): a break may cut it
        self.cut = {k for k in range(len(self.rows) - 1) if self.rows[k].page != self.rows[k + 1].page}
        if not printed or any(not row.page for row in rows):
            return
        on_page: dict[int, tuple[int, int]] = {}
        for k, row in enumerate(rows):
            lo, hi = on_page.get(row.page, (k, k))
            on_page[row.page] = (min(lo, k), max(hi, k))
        on_page = {page: (lo - 1, hi) for page, (lo, hi) in on_page.items()}

        def bound(first: int, last: int, label: str) -> None:
            for page in printed[label].pages if label in printed else ():
                if page in on_page:
                    self.start[first] = min(self.start[first], on_page[page][1])
                    self.end[last] = max(self.end[last], on_page[page][0])

        for j, label in enumerate(level2):
            if level2.count(label) == 1:
                bound(j, j, label)
                if label in printed and len(printed[label].pages) == 1:
                    self.centred[j] = printed[label]
        for label in level1:
            children = [j for j, l2 in enumerate(level2) if _parent(l2, level1) == label]
            if level1.count(label) == 1 and children and children == list(range(children[0], children[-1] + 1)):
                bound(children[0], children[-1], label)

    def __call__(self, j: int, a: int, b: int) -> bool:
        if a > self.start[j] or b < self.end[j]:
            return False
        label = self.centred[j]
        return label is None or self._centred_fits(label, a, b)

    def _centred_fits(self, label: LabelPrint, a: int, b: int) -> bool:
        (page,) = label.pages
        span = range(a, b + 1)
        rows = self.rows
        away = [k for k in span if rows[k].page != page and not (k in self.cut and rows[k + 1].page == page)]
        if not away:
            return True
        if {rows[k].page for k in away} != {page - 1} \
                or any(rows[k].doubt & {"name", "target", "actual", "deviation"} for k in span):
            return True                # onto the next page, over several breaks, or cells not sure
        # its own part at most this tall (a row: its lines and padding, at
        # least a minimum height), the other at least its rows' lines
        own = sum(max(1.7, _row_lines(rows[k]) + 0.6) for k in span if k not in away)
        return sum(_row_lines(rows[k]) for k in away) <= own - (label.lines - 1) + 0.5


def _row_lines(row: Row) -> int:
    return max((text.count("\n") + 1 for text in (row.name, row.target, row.actual, row.deviation) if text),
               default=1)


def _spread(fit: list[list[float]], ok) -> tuple[float, list[int], list[list[float]]] | None:
    """The best spread of the labels over the rows, each label over the
    rows a..b that ok(j, a, b) allows: (its fit, each row's label, alt)
    where alt[i][j] is the best fit of a spread with row i under label j
    (-inf: none); None where no spread is allowed.  A tie gives the earlier
    labels more rows: the first groups of a table are the longer."""
    n, m = len(fit), len(fit[0])
    NEG = float("-inf")
    cum = [[0.0] * (n + 1) for _ in range(m)]
    for j in range(m):
        for i in range(n):
            cum[j][i + 1] = cum[j][i] + fit[i][j]

    def seg(j: int, a: int, b: int) -> float:
        return cum[j][b + 1] - cum[j][a]

    # pre[j][a]: rows[:a] under labels[:j], label j starting at row a;
    # post[j][b]: the rows after b under the labels after j, label j ending at row b
    pre = [[NEG] * n for _ in range(m)]
    pre[0][0] = 0.0
    for j in range(1, m):
        for a in range(j, n):
            pre[j][a] = max((pre[j - 1][s] + seg(j - 1, s, a - 1) for s in range(j - 1, a)
                             if pre[j - 1][s] > NEG and ok(j - 1, s, a - 1)), default=NEG)
    post = [[NEG] * n for _ in range(m)]
    post[m - 1][n - 1] = 0.0
    for j in range(m - 2, -1, -1):
        for b in range(j, n - 1):
            post[j][b] = max((seg(j + 1, b + 1, e) + post[j + 1][e] for e in range(b + 1, n)
                              if post[j + 1][e] > NEG and ok(j + 1, b + 1, e)), default=NEG)
    alt = [[NEG] * m for _ in range(n)]
    whole = NEG
    for j in range(m):
        for a in range(n):
            if pre[j][a] == NEG:
                continue
            for b in range(a, n):
                if post[j][b] == NEG or not ok(j, a, b):
                    continue
                total = pre[j][a] + seg(j, a, b) + post[j][b]
                whole = max(whole, total)
                for i in range(a, b + 1):
                    alt[i][j] = max(alt[i][j], total)
    if whole == NEG:
        return None
    labels = [0] * n
    end, need = n - 1, whole
    for j in range(m - 1, -1, -1):
        # the latest start that keeps the best fit
        a = max(a for a in range(j, end + 1) if pre[j][a] > NEG and ok(j, a, end)
                and pre[j][a] + seg(j, a, end) >= need - 1e-9)
        labels[a:end + 1] = [j] * (end + 1 - a)
        need -= seg(j, a, end)
        end = a - 1
    return whole, labels, alt


def _affinity(words: str, label: str, name: str | None = None) -> float:
    score = 0.0
    for cue, (pattern, weight) in LEVEL2_CUES.items():
        # a 满意度 row names satisfaction; a target may aim at it (`不断提高公众满意度`)
        text = name if cue == "满意" and name else words
        if cue in label and re.search(pattern, text):
            score += weight
        elif cue not in label and cue in ("满意",) and re.search(pattern, text):
            score -= weight
    if score == 0 and any(cue in label for cue in LONG_GROUPS):
        score += 0.2       # a row no cue ties to: the groups that hold many rows
    return score


def _parent(level2: str | None, level1: list[str]) -> str | None:
    if not level1:
        return None
    for cue, parent in LEVEL2_PARENT:
        if level2 and cue in level2:
            for label in level1:
                if level_key(label) == parent:      # 效益指标(30分) too
                    return label
    return level1[0] if len(level1) == 1 else None
