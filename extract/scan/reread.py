"""A second look at the text lines OCR is unsure of.

RapidOCR scores a line of small print (9–11 pt at 200 dpi) 0.88–0.96 though
every character of it is right, so such forms sent a fifth of their fields
to review.  A line scored under `below` is read again from its strip
enlarged by `first_scale` and by `second_scale`: the recogniser sees other
pixels, so a misread character rarely comes out the same three times.
- all readings agree (by the contract's text comparison): the line keeps its
  first reading, its doubt (1 − score) cut to `doubt_kept` of the surest
  reading's;
- they differ: the first reading, with the lowest score of the three.
Measured per style by bench/styles.py (scan rows: review share and the
accuracy of what routing accepts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from extract.parse.values import normalise_for_compare
from extract.settings import Settings, check_number

Recognise = Callable[[np.ndarray], "tuple[str, float] | None"]


@dataclass(frozen=True)
class RereadSettings(Settings):
    """When a line is read a second time, and what agreeing readings earn."""

    below: float = 0.97          # lines scored under this are read again (0: never)
    first_scale: float = 1.5     # the strip enlarged by this …
    second_scale: float = 2.0    # … and by this for the other readings
    doubt_kept: float = 0.25     # agreeing readings leave this share of the surest one's doubt

    def __post_init__(self) -> None:
        check_number(self, "below", 0, 1)
        check_number(self, "first_scale", 1, 4, open_low=True)
        check_number(self, "second_scale", 1, 4, open_low=True)
        check_number(self, "doubt_kept", 0, 1)


def reread(strip: np.ndarray, first: tuple[str, float], recognise: Recognise,
           settings: RereadSettings = RereadSettings()) -> tuple[str, float]:
    """The text and score of a strip first read as `first`, looked at again
    where its score is under `settings.below`; `recognise(image)` reads an image."""
    text, score = first
    if score >= settings.below:
        return first
    import cv2

    readings = [first]
    for scale in (settings.first_scale, settings.second_scale):
        enlarged = cv2.resize(strip, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        readings.append(recognise(enlarged) or ("", 0.0))
    if all(normalise_for_compare(other) == normalise_for_compare(text) for other, _ in readings[1:]):
        surest = max(s for _, s in readings)
        return text, 1.0 - (1.0 - surest) * settings.doubt_kept
    return text, min(s for _, s in readings)
