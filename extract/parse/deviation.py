"""Split a 偏差原因分析及改进措施 cell into cause and improvement, by rule.

Rules cover the phrasings that carry a label (`改进措施：`, `原因：…；措施：…`)
or a turn to what will be done (`下一步将…`); the trained NER model of
`models/` takes over where these say nothing.
"""

from __future__ import annotations

import re

from extract.layout.labels import CAUSE_LABELS, IMPROVEMENT_LABELS, IMPROVEMENT_TURNS


def _fold(label: str) -> str:
    # Labels are matched with either colon, as OCR and typists vary it.
    return re.escape(label.rstrip("：")) + "[：:]"


# A label with its colon anywhere; without one (OCR drops it) only where a
# sentence ends before it, so that 改进措施 inside a sentence stays text.
_IMPROVEMENT_LABEL = re.compile(
    "|".join(_fold(label) for label in IMPROVEMENT_LABELS)
    + "|(?<=[。；;！!])(?:" + "|".join(re.escape(label.rstrip("：")) for label in IMPROVEMENT_LABELS) + ")"
)
_CAUSE_LABEL = re.compile("^(?:" + "|".join(_fold(label) for label in CAUSE_LABELS) + ")")
_TURN = re.compile(r"(?<=[。；;，,！!])\s*(?=(?:" + "|".join(map(re.escape, IMPROVEMENT_TURNS)) + "))")


def split_deviation(text: str | None) -> tuple[str | None, str | None]:
    """(deviation_cause, improvement) of a deviation cell; (None, None) when empty."""
    if not text:
        return None, None
    labelled = _IMPROVEMENT_LABEL.search(text)
    if labelled:
        cause, improvement = text[:labelled.start()], text[labelled.end():]
    else:
        turn = _TURN.search(text)
        cause, improvement = (text[:turn.start()], text[turn.end():]) if turn else (text, None)
    cause = _CAUSE_LABEL.sub("", cause.strip()).strip()
    improvement = improvement.strip() if improvement else None
    return (cause or None), (improvement or None)

