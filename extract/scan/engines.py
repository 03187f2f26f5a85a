"""The OCR engines behind one interface, `OcrEngine.read_cells`, and
`get_engine`, which makes each once per process.

Both engines read the ruled cells of a greyscale page image: each cell is
cut into its text-line strips (`extract.scan.strips`) and each strip is
recognised on its own (recognition only, no detection).  RapidOCR runs its
bundled PP-OCR model in this process, and reads a line it is unsure of
again, enlarged (`extract.scan.reread`); Tesseract is a program, called once
per page through `extract.external.run_program` (`extract.scan.tesseract`).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from extract.errors import MissingDependency
from extract.scan.lines import Box, OcrEngine, OcrLine, clean_text, regroup
from extract.scan.reread import RereadSettings, reread
from extract.scan.strips import LineStrip, StripSettings, cell_line_strips
from extract.scan.tesseract import TesseractEngine, TesseractSettings

log = logging.getLogger("selfeval.ocr")

ENGINES = ("tesseract", "rapidocr")

RAPIDOCR_INSTALL_HINT = "pip install rapidocr onnxruntime"

__all__ = ["ENGINES", "OcrEngine", "OcrLine", "RapidOcrEngine", "TesseractEngine", "clean_text", "get_engine"]


def get_engine(name: str, *, strips: StripSettings | None = None,
               tesseract: TesseractSettings | None = None, reread: RereadSettings | None = None) -> OcrEngine:
    """The engine called `name` with these settings, created once per process.

    Without `tesseract` settings, Tesseract's command and timeout come from
    $SELFEVAL_TESSERACT and $SELFEVAL_TESSERACT_TIMEOUT where set."""
    if name not in ENGINES:
        raise ValueError(f"unknown OCR engine {name!r}; choose one of: {', '.join(ENGINES)}")
    strips = StripSettings() if strips is None else strips
    if name == "tesseract":
        return _engine(name, strips, TesseractSettings.from_environment() if tesseract is None else tesseract, None)
    return _engine(name, strips, None, RereadSettings() if reread is None else reread)


@lru_cache(maxsize=None)
def _engine(name: str, strips: StripSettings, tesseract: TesseractSettings | None,
            reread: RereadSettings | None) -> OcrEngine:
    log.debug("OCR engine %s: %r, %r, %r", name, strips, tesseract, reread)
    return TesseractEngine(tesseract, strips) if name == "tesseract" else RapidOcrEngine(strips, reread)


class RapidOcrEngine:
    """RapidOCR's bundled PP-OCR recogniser on each line strip."""

    name = "rapidocr"

    def __init__(self, strips: StripSettings = StripSettings(), reread: RereadSettings = RereadSettings()) -> None:
        self.strips = strips
        self.reread = reread
        self._ocr = _rapid_ocr()

    def read_cells(self, image: np.ndarray, boxes: Sequence[Box]) -> list[list[OcrLine]]:
        cells = cell_line_strips(image, boxes, self.strips)
        lines = [self._read_strip(strip) for cell in cells for strip in cell]
        return regroup(cells, lines)

    def _read_strip(self, strip: LineStrip) -> OcrLine | None:
        # Recognition only: the strip is already one line; the direction
        # classifier would turn short numbers upside down (99.97 → 2666).
        first = self._recognise(strip.image)
        if first is None:
            return None
        text, score = reread(strip.image, first, self._recognise, self.reread)
        return OcrLine(text, score, strip.box)

    def _recognise(self, image: np.ndarray) -> tuple[str, float] | None:
        result = self._ocr(image, use_det=False, use_cls=False, use_rec=True)
        texts, scores = result.txts or (), result.scores or ()
        text = clean_text(" ".join(texts))
        return (text, float(min(scores)) if scores else 0.0) if text else None


# The narrowest image, in pixels at the recogniser's 48 px height, a line
# strip is padded to.  RapidOCR's default (`rec_img_shape` [3, 48, 320])
# pads every strip to 320 px, though most lines in these cells are 60-150 px
# wide.  Narrower floors read the one-glyph cells of a split target worse
# (64 px: yunnan and sichuan_department scans 100 → 96%); 128 px reads
# them as 320 px does (bench/families.py --channels scan).
REC_MIN_WIDTH = 128


@lru_cache(maxsize=1)
def _rapid_ocr() -> Any:
    """One RapidOCR per process (loading the models is slow), on one
    onnxruntime thread so that worker processes don't fight over the cores,
    a strip padded to REC_MIN_WIDTH at least."""
    try:
        from rapidocr import RapidOCR
    except ImportError as exc:
        raise MissingDependency(f"the rapidocr package is not installed; install it with `{RAPIDOCR_INSTALL_HINT}`") from exc
    return RapidOCR(params={
        "Global.use_det": False,
        "Global.use_cls": False,
        "Global.log_level": "warning",
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        "Rec.rec_img_shape": [3, 48, REC_MIN_WIDTH],
    })
