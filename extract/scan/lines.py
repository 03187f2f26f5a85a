"""What an OCR engine gives back, whichever engine it is.

Boxes are pixels of the page image, ``(x0, y0, x1, y1)``; the page stage
converts them to points.  Text is left as the engine read it apart from
white space: NFKC and the like belong to the parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class OcrLine:
    text: str
    confidence: float         # 0..1
    box: Box                  # x0, y0, x1, y1 in pixels of the page image


class OcrEngine(Protocol):
    name: str

    def read_cells(self, image: np.ndarray, boxes: Sequence[Box]) -> list[list[OcrLine]]:
        """For each cell box, the cell's text lines top to bottom ([] when empty)."""
        ...


def clean_text(text: str) -> str:
    """Engine noise only: surrounding and repeated white space."""
    return re.sub(r"\s+", " ", text).strip()


def regroup(cells: Sequence[Sequence[object]], lines: Sequence[OcrLine | None]) -> list[list[OcrLine]]:
    """Lines of a flat list (one per strip, None for an empty read) back
    into their cells, empty reads dropped."""
    out, i = [], 0
    for cell in cells:
        out.append([line for line in lines[i:i + len(cell)] if line is not None])
        i += len(cell)
    return out
