"""Layout knowledge as data: the labels a 绩效自评表 prints and their synonyms.

The form parser reads only these tables; a new regional variant of the form
is a change here, not in the parser.  Labels are compared after
`label_key()` folding (NFKC, no white space, no `：:` punctuation).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

FORM_TITLE = "财政项目支出绩效自评表"
# The year line under the title, （2023年度）; OCR may lose a parenthesis.
YEAR_PATTERN = re.compile(r"^\D{0,3}?(\d{4})\s*年度\D{0,3}$")
# The year anywhere in a line of flat text.
YEAR_IN_TEXT = re.compile(r"(\d{4})\s*年度")

# Row labels of the head of the form -> record key.
HEAD_LABELS = {
    "project_name": ("项目名称",),
    "department": ("主管部门",),
    "implementing_unit": ("实施单位",),
}
FUNDING_BLOCK_LABELS = ("项目资金（万元）", "项目资金(万元)", "项目资金")
GOAL_BLOCK_LABELS = ("年度总体目标", "总体目标")
GOAL_COLUMN_LABELS = {
    "goal_expected": ("预期目标",),
    "goal_actual": ("实际完成情况", "实际完成"),
}

# Funding rows (row label) and columns (header label) -> contract keys, with
# every synonym FORM_RECORD.md (Other templates) names, whatever family
# prints it: a form of a family no data file describes is read by them too.
# (A column's letter, 全年预算数(A), is no part of its label: column_key.)
FUNDING_ROW_LABELS = {
    "total": ("年度资金总额", "资金总额", "总额", "年度财政资金总额"),
    "current_appropriation": ("其中：当年财政拨款", "当年财政拨款", "财政拨款", "本年财政拨款", "财政资金",
                              "本年一般公共预算拨款", "中央、省、市补助县级资金"),
    "carryover": ("上年结转资金", "上年结转"),
    "other": ("其他资金",),
}
FUNDING_COLUMN_LABELS = {
    "initial_budget": ("年初预算数",),
    "annual_budget": ("全年预算数", "调整后预算数", "调整预算数", "预算数"),
    "executed": ("全年执行数", "预算执行数", "执行数"),
    "weight": ("分数", "分值", "权重"),
    "execution_rate": ("执行率(%)", "执行率（%）", "执行率", "预算执行率"),
    "score": ("得分", "评分"),
}

# Indicator table header labels -> indicator keys.
INDICATOR_COLUMN_LABELS = {
    "level1": ("一级指标",),
    "level2": ("二级指标",),
    "name": ("三级指标",),
    "target": ("年度指标值", "指标值", "目标值", "年初目标值", "年初指标值"),
    "actual": ("实际完成值", "实际值", "完成值", "全年实际值", "全年完成值", "年终完成值"),
    "weight": ("分值", "权重"),
    "score": ("得分", "评分", "自评分"),
    "deviation": ("偏差原因分析及改进措施", "偏差原因及改进措施", "偏差原因分析", "未完成原因分析",
                  "未完成原因和改进措施", "未完成原因及拟采取的改进措施"),
}
# Of those, the synonyms only FORM_RECORD.md names (no reference label): every
# reader knows them, but they recognise no family's template unless its file
# names them too (`templates.families_printing`): a form whose table prints
# 自评分 is of no family whose file does not say so.
CONTRACT_ONLY_LABELS = frozenset({
    "总额", "年度财政资金总额", "本年财政拨款", "财政资金", "本年一般公共预算拨款", "中央、省、市补助县级资金",
    "调整后预算数", "调整预算数", "预算数", "预算执行数", "执行数", "预算执行率",
    "年初目标值", "年初指标值", "全年实际值", "全年完成值", "年终完成值", "自评分",
    "未完成原因分析", "未完成原因和改进措施", "未完成原因及拟采取的改进措施",
})
# The three headers of a target split over three cells (FORM_RECORD.md: the
# cells joined as printed, `≥` `90` `%` → `≥90%`): the contract's, so every
# reader joins them where no family file names them either.
TARGET_PART_LABELS = ("指标性质", "指标值", "度量单位")
TOTAL_LABELS = ("总分", "合计")
# The words a header cell is read by where no label of any family matches it
# whole: a form of a family no file describes (全年完成值, 未完成原因和改进措施,
# 调整后预算数, 预算执行率).  Each key with its words, tried in this order:
# 未完成原因 is a deviation before it is an actual, 执行率 a rate before 执行数
# an amount, 年初 the initial budget before any other 预算.
INDICATOR_HEADER_WORDS = (
    ("deviation", ("原因", "措施", "偏差")),
    ("actual", ("实际", "完成")),
    ("target", ("指标值", "目标值")),
    ("weight", ("分值", "权重")),
    ("score", ("得分", "评分")),
)
# Head and goal labels by their words, in a family no file describes
# (专项资金名称, 县级主管部门; 年初设定目标, 全年实际完成情况).
HEAD_WORDS = (
    ("project_name", ("名称",)),
    ("department", ("主管部门", "主管单位")),
    ("implementing_unit", ("实施单位", "执行单位")),
)
GOAL_WORDS = (
    ("goal_actual", ("完成", "实际")),
    ("goal_expected", ("目标",)),
)
# A funding row's label in a family no file describes (总额, 其中：财政资金);
# a key already read is not read twice (财政专户管理资金 after 财政资金).
FUNDING_ROW_WORDS = (
    ("total", ("总额", "总计", "合计")),
    ("carryover", ("结转",)),
    ("other", ("其他",)),
    ("current_appropriation", ("财政", "拨款", "补助")),
)
FUNDING_HEADER_WORDS = (
    ("execution_rate", ("执行率",)),
    ("executed", ("执行数", "执行金额", "支出数")),
    ("initial_budget", ("年初",)),
    ("annual_budget", ("预算",)),
    ("weight", ("分值", "权重", "分数")),
    ("score", ("得分", "评分")),
    ("extra", ("原因", "备注", "说明")),      # a column the record keeps in `extra`
)
# Labelled rows and columns that no key of the record holds: the record keeps
# them in `extra` (FORM_RECORD.md, `extra`).
# Funding rows no key holds that FORM_RECORD.md names (kept in `extra`).  Its
# 中央补助 is left out: printed 其中：中央补助 it is the first 其中 row, the
# current appropriation, by the contract's own rule.
FUNDING_EXTRA_ROW_LABELS = ("财政专户管理资金", "单位资金", "自治区补助")
EXTRA_LABELS = ("评价结论", "存在问题", "改进措施", "其他需要说明事项", "说明", "注", "项目负责人",
                "财务负责人", "得分计算方法", "复核分")
# An empty slot row's 三级指标 (指标2, 指标3：) and rows of marks (……, /).
SLOT_NAME = re.compile(r"^指标\d{1,2}[:：]?$|^[…\.。/／\s]+$")
# A 其中… row under an indicator that prints no weight or score is a
# sub-row, no indicator (FORM_RECORD.md), whatever the family.
SUB_ROW_LABELS = ("其中",)
GRADE_LABELS = ("评分等级", "等级")
GRADES = ("优", "良", "中", "差")

# Marks a funding cell prints for "no value"; OCR reads a dash as 一 too,
# which a numeric cell never means.
NULL_MARKS = frozenset({"", "-", "—", "–", "－", "/", "／", "——", "--", "一"})
# What OCR confuses in a numeric cell, where only digits, `.`, `,`, `%` belong.
NUMERIC_CONFUSABLES = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "。": ".", "，": ","})
# A printed `-` that OCR reads as a dot, and the specks it reads around a number.
DASH_LOOKALIKES = frozenset({"•", "·", "・", "．", "."})
NUMBER_EDGE_SPECKS = ".,•·・'`"

# Operators at the start of a target (FORM_RECORD.md, Values, rule 2).
# (`≧ ≦ ═` as the contract lists them; `⩾ ⩽` as some fonts print ≥ ≤.)
MEASURE_OPERATOR_SYMBOLS = {
    ">=": "≥", "≥": "≥", "≧": "≥", "⩾": "≥",
    "<=": "≤", "≤": "≤", "≦": "≤", "⩽": "≤",
    "=": "=", "═": "=", ">": ">", "<": "<",
}
# What a split target's 指标性质 cell holds: a comparison, or the kind of target.
TARGET_NATURES = frozenset(MEASURE_OPERATOR_SYMBOLS) | {"定性", "定量"}
MEASURE_OPERATOR_WORDS = {
    "不低于": "≥", "不少于": "≥", "不小于": "≥",
    "不高于": "≤", "不超过": "≤", "不多于": "≤", "不大于": "≤",
    "高于": ">", "大于": ">", "超过": ">", "多于": ">",
    "低于": "<", "小于": "<", "少于": "<",
    "等于": "=",
}

# Labels that open the cause / the improvement inside a deviation cell
# (longest first: `原因：` is also the tail of `偏差原因：`).
CAUSE_LABELS = ("偏差原因分析：", "偏差原因：", "原因分析：", "原因：")
IMPROVEMENT_LABELS = ("改进措施：", "整改措施：", "下一步措施：", "措施：")
# Where no label stands, the measure starts where the text turns to what
# will be done (FORM_RECORD.md, `improvement`).
IMPROVEMENT_TURNS = ("下一步将", "下一步", "下一年度将", "下一年度", "今后将", "今后", "后续将", "下阶段将", "将进一步", "未来将")

# What is left of an improvement label at the start of a line that a
# narrow column broke inside the label (改进措 / 施：).
IMPROVEMENT_LABEL_PIECES = ("施：", "措施", "改进")
# The vertical pieces of the 一级指标 / 二级指标 headers as OCR may read
# them: a lone 二 is often 一.
INDICATOR_HEAD_PIECE_READS = re.compile("(?:[一二]级|指标)+")

# Names a merged 一级/二级 cell prints; a label cut by a page break is known
# to continue when its first part is not one of these.
LEVEL1_NAMES = ("产出指标", "效益指标", "满意度指标", "成本指标")
LEVEL2_NAMES = (
    "数量指标", "质量指标", "时效指标", "成本指标", "经济成本指标", "社会成本指标",
    "经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标", "服务对象满意度指标",
    "生态环境成本指标",
)

# The 一级指标 each 二级指标 belongs to (the national framework of
# performance indicators the forms follow).  成本指标, a 二级 label under
# 产出指标 and a 一级 label of its own, is left out: it implies nothing.
LEVEL1_OF_LEVEL2 = {
    "数量指标": "产出指标", "质量指标": "产出指标", "时效指标": "产出指标",
    "经济效益指标": "效益指标", "社会效益指标": "效益指标", "生态效益指标": "效益指标",
    "可持续影响指标": "效益指标", "服务对象满意度指标": "满意度指标",
    "经济成本指标": "成本指标", "社会成本指标": "成本指标", "生态环境成本指标": "成本指标",
}
assert set(LEVEL1_OF_LEVEL2) <= set(LEVEL2_NAMES) and set(LEVEL1_OF_LEVEL2.values()) <= set(LEVEL1_NAMES)


# The name of every field of the record as the reference form prints it: what
# reviewers see (with the row's 三级指标) and row 1 of every XLSX sheet.
FIELD_NAMES_ZH = {
    "year": "年度",
    "project_name": "项目名称",
    "department": "主管部门",
    "implementing_unit": "实施单位",
    "goal_expected": "年度总体目标·预期目标",
    "goal_actual": "年度总体目标·实际完成情况",
    "total_weight": "总分·分值",
    "total_score": "总分·得分",
    "grade": "评分等级",
    "title": "表名",
    "money_unit": "金额单位",
    "initial_budget": "年初预算数",
    "annual_budget": "全年预算数",
    "executed": "全年执行数",
    "weight": "分值",
    "execution_rate": "执行率(%)",
    "score": "得分",
    "level1": "一级指标",
    "level2": "二级指标",
    "name": "三级指标",
    "target": "年度指标值",
    "target_op": "年度指标值·比较符",
    "target_value": "年度指标值·数值",
    "target_unit": "年度指标值·单位",
    "actual": "实际完成值",
    "actual_value": "实际完成值·数值",
    "actual_unit": "实际完成值·单位",
    "deviation": "偏差原因分析及改进措施",
    "deviation_cause": "偏差原因",
    "improvement": "改进措施",
}


@functools.cache
def _to_simplified() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """`text` in simplified characters (OpenCC's t2s), NFKC-normalised."""
    return _to_simplified().convert(unicodedata.normalize("NFKC", text))


@functools.lru_cache(maxsize=65536)
def label_key(text: str) -> str:
    """Fold a printed label for lookup: NFKC, simplified characters, and
    nothing but CJK, letters, digits and `%` -- so that colons, brackets, the
    specks OCR reads as `•` or `。` and traditional characters (項目名稱) do
    not hide a label."""
    folded = re.sub(r"[^\w%]|_", "", unicodedata.normalize("NFKC", text or ""))
    return simplified(folded) if folded and not folded.isascii() else folded


# A column's letter after its label, as forms print the arithmetic between
# columns: 年度指标值(A), 全年实际值(B), 执行率(B/A) (folded: A, B, BA) ...
_COLUMN_MARK = re.compile(r"(?<=[^\x00-\x7f])[A-Z]{1,3}$")
# ... and a note of the column's points or rule in brackets: 分值(10分),
# 得分(分值×执行率)
_COLUMN_NOTE = re.compile(r"(?<=\S)\s*[(（][^()（）]*(?:\d分|[×*/÷]|分值|执行率)[^()（）]*[)）]?\s*$")
# (the same, in label keys run together: `10分` after the label)
_FOLDED_MARK = re.compile(r"(?:[A-Z]{1,3}|\d+(?:\.\d+)?分)(?=[^\x00-\x7f]|$)")


@functools.lru_cache(maxsize=65536)
def column_key(text: str) -> str:
    """`label_key` without a column's letter or note after the label: a
    header label with or without its (A), (B) or (10分) is one label."""
    return _COLUMN_MARK.sub("", label_key(_COLUMN_NOTE.sub("", text or "")))


def skip_column_mark(text: str) -> str:
    """`text` (label keys run together) without a column's letter or points at its start."""
    mark = _FOLDED_MARK.match(text)
    return text[mark.end():] if mark else text


def match_label(text: str, table: dict[str, tuple[str, ...]]) -> str | None:
    """The key whose synonyms include `text` exactly (after folding; a
    column's letter, (A), is no part of the label)."""
    key = column_key(text)
    return next((name for name, keys in _folded_table(tuple(table.items())) if key in keys), None)


@functools.lru_cache(maxsize=1024)
def _folded_table(items: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[tuple[str, frozenset[str]], ...]:
    """A label table's synonyms folded once: the readers ask of every cell."""
    return tuple((name, frozenset(column_key(s) for s in synonyms)) for name, synonyms in items)


# A label is a short cell: a value that happens to hold a word (…名称…,
# …目标…) is none.  (未完成原因及拟采取的改进措施: 14.)
HEADER_WORD_MAX_CHARS = 16
# How a header label ends, where a flat text runs the labels together
# (全年完成值未完成原因和改进措施): a value, an amount, a rate, a cause, a measure.
HEADER_LABEL_ENDINGS = ("值", "数", "率", "原因", "分析", "措施", "情况", "说明", "分", "权重", "预算",
                        "金额")


def match_header_word(text: str, words: tuple[tuple[str, tuple[str, ...]], ...]) -> str | None:
    """The first key (`INDICATOR_HEADER_WORDS`, `FUNDING_HEADER_WORDS`, …) one
    of whose words the header cell holds; for a cell no label matches whole."""
    key = label_key(text)
    if len(key) > HEADER_WORD_MAX_CHARS:
        return None
    return next((name for name, kin in words if any(word in key for word in kin)), None)


def goal_keys_by_words(cells: list[str]) -> tuple[str, ...]:
    """The goal keys of a goal header no family prints (年度总体目标 |
    年初设定目标 | 全年实际完成情况): the block label, then a label for each
    goal by its words; () for any other row."""
    if len(cells) != 3 or not is_label(cells[0], GOAL_BLOCK_LABELS):
        return ()
    keys = tuple(match_header_word(cell, GOAL_WORDS) for cell in cells[1:])
    return keys if sorted(k or "" for k in keys) == sorted(GOAL_COLUMN_LABELS) else ()  # type: ignore[return-value]


def read_run_together(text: str, known: tuple[tuple[str, str], ...], words: tuple[tuple[str, tuple[str, ...]], ...],
                      cut_short: bool = False) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The keys a header's label keys run together name, in order (a flat
    text prints a header so): each `known` (label key, key) in the order
    given; `cut_short`: a last label may be cut short (its rest on the next
    line).  Where no known label reads the text, a label no family prints
    is read by its `words` (全年完成值, 调整后预算数), ending where a known
    label or a word starts or ends and as a header label ends
    (`HEADER_LABEL_ENDINGS`), each key once; of such readings the one of
    most columns, then of the shortest longest label (调整后预算数 | 预算执行数,
    not 调整后预算数预算执行数 | 预算).  Returns the keys and the labels read
    by their words (which no family prints); None: no reading."""
    reading = _run_together(text, known, words, cut_short, frozenset())
    return (reading[0], reading[2]) if reading is not None else None


# How a column label no key holds may end (评分标准, 计算方法): as a rule's
# label, or as any header label does.
RULE_LABEL_ENDINGS = ("标准", "方法", "办法", "依据")
# How a column of notes ends (原因, 备注, 评分说明, 得分计算方法).
NOTE_LABEL_ENDINGS = ("原因", "备注", "说明") + RULE_LABEL_ENDINGS
# How the label of a closing row no family prints ends (目标未完成原因分析,
# 改进措施及整改情况, 结果应用方案): such a row after the indicators, with no
# figure after it, is kept in `extra` too.
CLOSING_LABEL_ENDINGS = ("分析", "情况", "措施", "方案", "说明", "结论", "事项", "问题", "意见")
CLOSING_LABEL_CHARS = (4, 14)


def is_closing_label(text: str) -> bool:
    """Whether `text` reads as the label of a closing row no family prints:
    a short phrase, no figure in it, that ends as such labels do."""
    key = label_key(text)
    low, high = CLOSING_LABEL_CHARS
    return low <= len(key) <= high and key.endswith(CLOSING_LABEL_ENDINGS) and not any(ch.isdigit() for ch in key)
EXTRA_LABEL_ENDINGS = HEADER_LABEL_ENDINGS + RULE_LABEL_ENDINGS


def names_extra_column(key: str, word_key: str | None, read: frozenset[str] = frozenset()) -> bool:
    """Whether a header label no family prints (folded `key`, whose words
    name `word_key`, `match_header_word`) names a column the record keeps in
    `extra`: it ends as a header label does and holds the words of a scoring
    column (核定得分) or of a key `read` already, or it holds no key's words
    and ends as a rule's label (评分标准, 计算方法)."""
    if not (len(key) <= HEADER_WORD_MAX_CHARS and key.endswith(EXTRA_LABEL_ENDINGS)):
        return False
    return word_key in ("score", "weight") or word_key in read \
        or word_key is None and key.endswith(RULE_LABEL_ENDINGS)


def read_with_extra_columns(text: str, known: tuple[tuple[str, str], ...],
                            words: tuple[tuple[str, tuple[str, ...]], ...],
                            cut_short: bool = False) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] | None:
    """`read_run_together`, where a header may also print columns no key
    holds (a second score, 核定得分; a scoring rule, 评分标准).  Where the
    plain reading fails or reads one label by the words of two keys (`标准得分偏差原因…`)
    or two known labels as one (`得分核定得分`), a column it could not place,
    every way of cutting the text into known labels, labels read by the words of one key and
    `extra` labels is weighed: fewest extra labels, then most columns, then
    fewest labels read by words, then no extra label ending in a known label
    (`…得分` is that column's), each key once.  Returns the keys, the labels
    read by their words and those read as extra columns, in printed order."""
    plain = read_run_together(text, known, words, cut_short)
    known_labels = {label for label, _ in known}
    if plain is not None and not any(len(_keys_of(label, words)) > 1 or _known_inside(label, known_labels) > 1
                                     for label in plain[1]):
        return plain + ((),)
    found = _cut_with_extra(text, known, words, cut_short, frozenset())
    if found is None:
        return plain + ((),) if plain is not None else None
    _, keys, labels = found
    return (keys, tuple(label for key, label in labels if key != "extra"),
            tuple(label for key, label in labels if key == "extra"))


def _known_inside(piece: str, known_labels: set[str]) -> int:
    """How many known labels `piece` holds, none overlapping (longest first)."""
    count, at = 0, 0
    while at < len(piece):
        label = max((l for l in known_labels if piece.startswith(l, at)), key=len, default=None)
        count, at = (count + 1, at + len(label)) if label else (count, at + 1)
    return count


def _keys_of(label: str, words: tuple[tuple[str, tuple[str, ...]], ...]) -> set[str]:
    return {key for key, kin in words if any(word in label for word in kin)}


# ((-extra labels, columns, -labels read by words, -extra labels ending in a known one), keys,
#  (key, label) of the labels read by words or as extra)
ExtraReading = tuple[tuple[int, int, int, int], tuple[str, ...], tuple[tuple[str, str], ...]]


@functools.cache
def _cut_with_extra(text: str, known: tuple[tuple[str, str], ...], words: tuple[tuple[str, tuple[str, ...]], ...],
                    cut_short: bool, used: frozenset[str]) -> ExtraReading | None:
    if not text:
        return (0, 0, 0, 0), (), ()
    # a last label cut short (its rest on the next line): read when the next line is
    best: ExtraReading | None = None
    if cut_short and any(label.startswith(text) and label != text for label, _ in known):
        best = (0, 0, 0, 0), (), ()
    known_labels = {label for label, _ in known}
    options: list[tuple[int, str, bool, int]] = []    # (end, key, read by words or extra, penalty)
    for label, key in known:
        if text.startswith(label) and (key not in used or key in ("extra", "target_part")):
            options.append((len(text) - len(skip_column_mark(text[len(label):])), key, False, 0))
    for end in _piece_bounds(text, known, words):
        piece = text[:end]
        if re.search(r"\d", piece):
            break                  # no header label holds a figure (产出指标(36分) is a row's)
        key = match_header_word(piece, words)
        # (a label read by words holds one key's words, and one known label at most:
        # 评分标准得分 is two columns)
        if key is not None and key not in used and piece.endswith(HEADER_LABEL_ENDINGS) and piece not in known_labels \
                and len(_keys_of(piece, words)) == 1 and _known_inside(piece, known_labels) <= 1:
            options.append((end, key, True, 0))
        # an extra column: a second scoring column (核定得分), a rule (评分标准), a key's label again
        if piece not in known_labels and names_extra_column(piece, key, used):
            ends_known = any(piece.endswith(label) for label in known_labels)
            options.append((end, "extra", True, int(ends_known)))
    for end, key, by_words, penalty in options:
        rest = _cut_with_extra(skip_column_mark(text[end:]), known, words, cut_short, used | {key})
        if rest is None:
            continue
        (extras, columns, by_word, bad), keys, labels = rest
        score = (extras - (key == "extra"), columns + 1, by_word - (by_words and key != "extra"), bad - penalty)
        reading = score, (key,) + keys, (((key, text[:end]),) if by_words else ()) + labels
        if best is None or reading[0] > best[0]:
            best = reading
    return best


Reading = tuple[tuple[str, ...], int, tuple[str, ...]]    # keys, longest label read by words, those labels


@functools.cache
def _run_together(text: str, known: tuple[tuple[str, str], ...], words: tuple[tuple[str, tuple[str, ...]], ...],
                  cut_short: bool, used: frozenset[str]) -> Reading | None:
    """The best reading of `text`; `used`: keys read before it."""
    if not text:
        return (), 0, ()
    for label, key in known:
        if text.startswith(label):
            rest = _run_together(skip_column_mark(text[len(label):]), known, words, cut_short, used | {key})
            if rest is not None:
                return (key,) + rest[0], rest[1], rest[2]
    if cut_short and any(label.startswith(text) for label, _ in known):
        return (), 0, ()
    best: Reading | None = None
    for end in _piece_bounds(text, known, words):
        key = match_header_word(text[:end], words)
        if key is None or key in used or not text[:end].endswith(HEADER_LABEL_ENDINGS):
            continue
        rest = _run_together(skip_column_mark(text[end:]), known, words, cut_short, used | {key})
        if rest is None or key in rest[0]:
            continue
        reading = (key,) + rest[0], max(end, rest[1]), (text[:end],) + rest[2]
        if best is None or (len(reading[0]), -reading[1]) > (len(best[0]), -best[1]):
            best = reading
    return best


def _piece_bounds(text: str, known: tuple[tuple[str, str], ...],
                  words: tuple[tuple[str, tuple[str, ...]], ...]) -> list[int]:
    bounds = {len(text)}
    for piece in (*(label for label, _ in known), *(word for _, kin in words for word in kin)):
        at = text.find(piece)
        while at >= 0:
            bounds |= {at, at + len(piece)}
            at = text.find(piece, at + 1)
    return sorted(b for b in bounds if b > 0)


def is_label(text: str, synonyms: tuple[str, ...]) -> bool:
    """Whether `text` is one of `synonyms` (folded; a column's letter is no
    part of a label, but a note is: 产出指标(50分) is no 产出指标)."""
    return _unmarked_key(text) in _unmarked_keys(synonyms)


@functools.lru_cache(maxsize=65536)
def _unmarked_key(text: str) -> str:
    return _COLUMN_MARK.sub("", label_key(text))


@functools.lru_cache(maxsize=4096)
def _unmarked_keys(synonyms: tuple[str, ...]) -> frozenset[str]:
    """A label list folded once: the grid reader asks of every cell of every row."""
    return frozenset(_unmarked_key(s) for s in synonyms)


# A section weight printed after a 一级 label: 产出指标(50分), 效益指标（70分）
SECTION_WEIGHT = re.compile(r"[(（]\d+(?:\.\d+)?分[)）]$")
# ... and as a grid cell may hold it, its brackets lost (效益指标70分)
_LOOSE_SECTION_WEIGHT = re.compile(r"[(（]?\d+(?:\.\d+)?分[)）]?$")


def without_section_weight(label: str) -> tuple[str, str]:
    """A level label and the section weight printed after it (`''` when none)."""
    m = SECTION_WEIGHT.search(label)
    return (label[:m.start()], m.group()) if m else (label, "")


def level_key(text: str) -> str:
    """A level label's key without the section weight printed after it: a
    whole `效益指标(70分)` is no piece of a label a page break cut."""
    return _LOOSE_SECTION_WEIGHT.sub("", label_key(text))
