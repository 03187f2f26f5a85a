"""Words of the indicator table's cells by the conventions of 绩效自评表 forms
(data, no code): what a 三级指标 name commonly ends with, and what a
qualitative 年度指标值 says.

An indicator name is a noun phrase naming what is measured: a rate, a
degree, a property, a state of things, a count or an amount.  A qualitative
target is a short verdict (达标, 及时, 良好 …), maybe with an adverb of degree
or time (基本, 有效, 年底前 …); a target may also compare with a bound or
with a past year (不低于, 以上, 较上年 …), or be a sentence (commas, a full
stop), which a name never is.
"""

from __future__ import annotations

# the endings of a 三级指标's name
NAME_ENDINGS = (
    "率", "度", "性", "情况", "状况", "数", "量", "水平", "能力", "效果", "效益", "时效", "成效",
    "比例", "占比", "覆盖面", "规模", "周期", "时长", "次数",
)

# the words of a qualitative target: verdicts, and the adverbs they take
VERDICT_WORDS = (
    "达标", "合格", "良好", "优良", "优秀", "及时", "按时", "准时", "按期", "如期", "完成", "完善", "健全",
    "有效", "高效", "正常", "稳定", "安全", "可靠", "符合", "满足", "达到", "实现", "提高", "提升", "增长",
    "增加", "扩大", "改善", "优化", "降低", "减少", "下降", "持平", "显著", "明显", "规范", "准确", "到位",
    "保障", "运行", "运转", "畅通", "落实", "完好", "较好", "较高", "良性", "是", "否", "有", "无", "高", "好",
    "基本", "全部", "全面", "持续", "逐步", "进一步", "不断", "大幅", "稳步", "年底前", "年内", "当年",
    "确保", "保持", "能", "已", "均",
)
# a verdict is short: a few of those words
VERDICT_MAX_CHARS = 8

# what only a target says: a bound, a comparison with a past year
COMPARISON_WORDS = (
    "低于", "高于", "少于", "多于", "小于", "大于", "超过", "以上", "以下", "以内", "同比", "环比",
    "上年", "往年", "去年",
)
# sentence marks: a target may be a sentence, a name never is
SENTENCE_MARKS = ("，", ",", "。", "；", ";")

# what a name's last line may go on with but no name starts with: the
# endings of a name wrapped off its line (覆盖 / 率, 完成情 / 况)
NAME_CONTINUATIONS = ("情况", "状况", "况", "率", "性", "度")
# what no cell ends with: a word joining what follows (的, 及 …), an opening
# mark, or the first character of a two-character ending (情 of 情况, 指 of
# the verdict 达成指标)
NON_FINAL = ("的", "和", "及", "与", "或", "、", "（", "(", "《", "情", "状", "指")
# what a target's bound ends with: the figure it bounds follows (不超过 / 100%)
BOUND_ENDINGS = ("不超过", "不低于", "不少于", "不小于", "不高于", "不多于", "不大于", "低于", "高于", "少于", "多于",
                 "小于", "大于", "超过", "≥", "≤", ">", "<", "=", "⩾", "⩽")
