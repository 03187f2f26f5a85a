"""The lines and tokens of a flat text: what the flat reader reads.

A `Line` is a line of the text with its page and offset; `split_lines`
cuts a text into them.  The helpers below read a line's pieces (cells
printed at one height are separated by a space), an indicator row's anchor
(the `<分值> <得分>` that ends it), and printed widths in em.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from extract.layout.flat_format import PAGE_BREAK_PATTERN, break_allowed, em_width, em_width_max
from extract.layout.labels import MEASURE_OPERATOR_WORDS
from extract.parse.values import parse_number

# Sentence ends that close a cell's text.
SENTENCE_ENDS = "。！!；;."
NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?"
_ANCHOR = re.compile(rf"^(?P<pre>.*?)(?:^|\s)(?P<w>{NUMBER})\s+(?P<s>{NUMBER})(?:\s+(?P<post>[^\d\s].*))?$")
_OP_WORDS = tuple(sorted(MEASURE_OPERATOR_WORDS, key=len, reverse=True))
# two cells printed at one height: a space between CJK text on both sides
TWO_CELLS = re.compile(r"[\u4e00-\u9fff）》”][ \t]+[\u4e00-\u9fff（《“]")


@dataclass
class Line:
    text: str
    page: int
    start: int          # char offset of the line in the whole text
    indent: bool = False
    tight: bool = False  # one line break before it (not a blank line): in the seed, a new cell
    # figures that are a row's target and actual, not its 分值 / 得分 (the 分值
    # printed before the target moved off this line to its 得分)
    no_anchor: bool = False


width = em_width
width_max = em_width_max


def split_lines(text: str) -> list[Line]:
    out: list[Line] = []
    page = 1
    breaks = [m.start() for m in PAGE_BREAK_PATTERN.finditer(text)]
    for match in re.finditer(r"[^\n\f]+", text):
        while breaks and breaks[0] < match.start():
            breaks.pop(0)
            page += 1
        raw = match.group()
        if raw.strip():
            a = match.start()
            # Word ends a run of half-width characters with a bare line break
            # too, so only a line without any says "new cell"
            before = text[:a - 1].rstrip(" \t") if a else ""
            tight = (a >= 2 and text[a - 1] == "\n" and bool(before) and before[-1] not in "\n\f"
                     and bool(out) and not re.search(r"[\x21-\x7e]", out[-1].text))
            out.append(Line(raw.strip(), page, a + (len(raw) - len(raw.lstrip())),
                            indent=raw.startswith(("  ", "\u3000")), tight=tight))
    # a single line break means a new cell only where blank lines are the rule
    if sum(line.tight for line in out) > 0.3 * len(out):
        for line in out:
            line.tight = False
    return out


def _first_chunk(text: str) -> str:
    """What of a line could have ended the line before it: its text up to
    the first place a line may break (Word moves a closing mark down with
    the character before it, an opening bracket with the one after it, and
    keeps a run of Latin letters and digits whole)."""
    text = text.replace(" ", "")
    for k in range(1, len(text)):
        if break_allowed(text[k - 1], text[k]):
            return text[:k]
    return text


def _run_lines(run: list[tuple[str, int, bool, bool]]) -> list[str]:
    """The printed lines of a run of pieces (pieces of one line joined by a space)."""
    lines: list[str] = []
    last = None
    for text, n, _, _ in run:
        if n == last:
            lines[-1] += " " + text
        else:
            lines.append(text)
        last = n
    return lines


def _segments(text: str) -> list[str]:
    return [seg for seg, _ in _segments_at(text)]


def _segments_at(text: str) -> list[tuple[str, int]]:
    """A line's space-separated pieces with their offsets, the spaces that
    stay inside one cell joined back: an operator and its number
    (`不超过 100%`, `好评率不低于 95%`) and two Latin words."""
    out: list[tuple[str, int]] = []
    for m in re.finditer(r"\S+", text):
        part = m.group()
        if out and out[-1][0].endswith(_OP_WORDS + ("=", "≥", "≤", ">", "<")) and re.match(r"^\d", part):
            out[-1] = (out[-1][0] + part, out[-1][1])
        elif out and re.search(r"[A-Za-z]$", out[-1][0]) and re.match(r"^[A-Za-z]", part):
            out[-1] = (out[-1][0] + " " + part, out[-1][1])
        else:
            out.append((part, m.start()))
    return out


def _is_piece(text: str) -> bool:
    """A vertical piece of a merged 一级/二级 label: a few CJK characters."""
    return 0 < len(text) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in text)


def _anchor(text: str) -> re.Match | None:
    m = _ANCHOR.match(text)
    if not m:
        return None
    try:
        w, s = parse_number(m.group("w")), parse_number(m.group("s"))
    except ValueError:
        return None
    if w is None or s is None or w > 100 or s > w + 1:
        return None
    return m


def _number(token: str) -> Any:
    try:
        return parse_number(token)
    except ValueError:
        return None

