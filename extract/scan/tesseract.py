"""Tesseract `chi_sim`, the program, run through `extract.external.run_program`.

All line strips of a page are stacked into one image and read by one call
of ``tesseract IMAGE stdout -l chi_sim --psm 6 … -c tessedit_create_tsv=1``
(the TSV gives each word's box and confidence), with a timeout and the
OpenMP thread limit in the child's environment only.  Which program runs is
`TesseractSettings.command`; without settings, ``$SELFEVAL_TESSERACT`` or
``tesseract`` on PATH (and ``$SELFEVAL_TESSERACT_TIMEOUT`` for the timeout).
"""

from __future__ import annotations

import bisect
import logging
import os
import re
import shlex
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np

from extract.external import run_program
from extract.errors import MissingDependency
from extract.scan.lines import Box, OcrLine, clean_text, regroup
from extract.settings import Settings, check_number
from extract.scan.strips import LineStrip, StripSettings, as_gray, cell_line_strips

log = logging.getLogger("selfeval.ocr")

TESSERACT_INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-chi-sim"
# Without settings, the engine's command and timeout come from these (else the defaults).
COMMAND_VARIABLE = "SELFEVAL_TESSERACT"
TIMEOUT_VARIABLE = "SELFEVAL_TESSERACT_TIMEOUT"
_LANG = re.compile(r"^[a-z_]+(\+[a-z_]+)*$")


@dataclass(frozen=True)
class TesseractSettings(Settings):
    """How Tesseract is run and its words made into lines."""

    command: str = "tesseract"        # the program: a name looked up on PATH, or a path
    lang: str = "chi_sim"             # Tesseract language(s), as for `-l`
    stack_margin: int = 16            # px of white left of and between the stacked strips
    stack_scale: float = 1.5          # × : the stack is enlarged by this (9 pt at 200 dpi reads better bigger)
    stack_config: str = ("--psm 6 -c preserve_interword_spaces=1 -c textord_noise_rejwords=0 "
                         "-c textord_noise_rejrows=0")   # options for the stacked strips: one uniform block
    page_config: str = "--psm 3"      # options for full-page OCR: Tesseract's own automatic layout
    word_space: float = 0.3           # × ink height: a wider gap between ASCII words is a space …
    wide_word_space: float = 1.0      # … and this next to CJK text, whose glyphs sit in wide, loose boxes
    threads: int = 1                  # OpenMP threads per call (OMP_THREAD_LIMIT); more is ~5× slower on 2 cores
    timeout: float = 120.0            # s: one page's call is stopped after this
    probe_timeout: float = 30.0       # s: `--version` and `--list-langs` are stopped after this

    def __post_init__(self) -> None:
        if not isinstance(self.command, str) or not self.command.strip():
            raise ValueError(f"TesseractSettings.command must name a program, not {self.command!r}")
        if not isinstance(self.lang, str) or not _LANG.match(self.lang):
            raise ValueError(f"TesseractSettings.lang must be Tesseract language names like chi_sim "
                             f"or chi_sim+eng, not {self.lang!r}")
        for name in ("stack_config", "page_config"):
            value = getattr(self, name)
            try:
                words = shlex.split(value) if isinstance(value, str) else None
            except ValueError as exc:
                raise ValueError(f"TesseractSettings.{name} cannot be split into options: {exc}") from None
            if words is None or any(w in ("-l", "--list-langs", "--version") for w in words):
                raise ValueError(f"TesseractSettings.{name} must be Tesseract options (no -l: that is "
                                 f"`lang`), not {value!r}")
        check_number(self, "stack_margin", 0, 1000, integer=True)
        check_number(self, "stack_scale", 0, 8, open_low=True)
        check_number(self, "word_space", 0, 100)
        check_number(self, "wide_word_space", 0, 100)
        check_number(self, "threads", 1, 1024, integer=True)
        check_number(self, "timeout", 0, 86_400, open_low=True)
        check_number(self, "probe_timeout", 0, 86_400, open_low=True)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None,
                         base: TesseractSettings | None = None) -> TesseractSettings:
        """`base` (default: the defaults) with the command and timeout of
        $SELFEVAL_TESSERACT and $SELFEVAL_TESSERACT_TIMEOUT where set."""
        environ = os.environ if environ is None else environ
        settings = base if base is not None else cls()
        if environ.get(COMMAND_VARIABLE, "").strip():
            settings = settings.replace(command=environ[COMMAND_VARIABLE].strip())
        raw = environ.get(TIMEOUT_VARIABLE, "").strip()
        if raw:
            try:
                settings = settings.replace(timeout=float(raw))
            except ValueError:
                raise ValueError(f"${TIMEOUT_VARIABLE} must be a number of seconds, not {raw!r}") from None
        return settings

    @property
    def environment(self) -> dict[str, str]:
        """The overlay on the child's environment."""
        return {"OMP_THREAD_LIMIT": str(self.threads)}


class TesseractEngine:
    """Tesseract `chi_sim` on the stacked line strips: one process call per page."""

    name = "tesseract"

    def __init__(self, settings: TesseractSettings | None = None, strips: StripSettings = StripSettings()) -> None:
        self.settings = TesseractSettings.from_environment() if settings is None else settings
        self.strips = strips
        self._env = self.settings.environment          # once per engine, i.e. per worker process
        check_tesseract(self.settings)

    def read_cells(self, image: np.ndarray, boxes: Sequence[Box]) -> list[list[OcrLine]]:
        cells = cell_line_strips(image, boxes, self.strips)
        strips = [strip for cell in cells for strip in cell]
        if not strips:
            return [[] for _ in cells]
        s = self.settings
        stacked, tops = _stack(strips, s.stack_margin)
        words = tesseract_words(_enlarge(stacked, s.stack_scale), s.stack_config, s, self._env)
        words = [_shrink_word(word, s.stack_scale) for word in words]
        lines = _lines_from_stacked_words(words, strips, tops, s)
        log.debug("tesseract: %d words on %d stacked strips, %d lines read",
                  len(words), len(strips), sum(line is not None for line in lines))
        return regroup(cells, lines)


def check_tesseract(settings: TesseractSettings) -> None:
    """The program runs and has the language: else MissingDependency (or a
    ProgramMissing, ProgramTimedOut or ProgramFailed from the runner)."""
    probe = {"timeout": settings.probe_timeout, "env": settings.environment,
             "install_hint": TESSERACT_INSTALL_HINT,
             "timeout_fix": f"check that `{settings.command} --version` answers"}
    if log.isEnabledFor(logging.DEBUG):
        version = run_program([settings.command, "--version"], **probe)
        first = (version.stdout or version.stderr).decode("utf-8", "replace").strip().splitlines()
        log.debug("tesseract at %s: %s", version.argv[0], first[0] if first else "no version given")
    # Tesseract 3 answered --list-langs with exit code 1; 4 and 5 print to stdout, 3 to stderr.
    listed = run_program([settings.command, "--list-langs"], ok_codes=(0, 1), **probe)
    text = (listed.stdout + b"\n" + listed.stderr).decode("utf-8", "replace")
    languages = {line.strip() for line in text.splitlines() if re.fullmatch(r"[a-z_]+", line.strip())}
    missing = [lang for lang in settings.lang.split("+") if lang not in languages]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang.replace('_', '-')}" for lang in missing)
        raise MissingDependency(f"Tesseract has no {', '.join(missing)} language data; install it with "
                                f"`apt-get install {packages}`")


@dataclass(frozen=True)
class _Word:
    text: str
    confidence: float
    box: Box


def tesseract_words(image: np.ndarray, config: str, settings: TesseractSettings,
                    env: Mapping[str, str] | None = None) -> list[_Word]:
    """The words Tesseract reads on `image` (uint8, greyscale or RGB), with
    boxes in its pixels and confidences 0..1; layout rows and empty words left out."""
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="selfeval-tess-") as folder:
        path = os.path.join(folder, "page.png")
        Image.fromarray(image).save(path, format="PNG")
        result = run_program(
            [settings.command, path, "stdout", "-l", settings.lang, "-c", "tessedit_create_tsv=1",
             *shlex.split(config)],
            timeout=settings.timeout, env=settings.environment if env is None else env,
            install_hint=TESSERACT_INSTALL_HINT,
            timeout_fix=f"raise the Tesseract timeout (TesseractSettings.timeout, or ${TIMEOUT_VARIABLE}) "
                        f"if pages are just slow, or check that `{settings.command}` works")
    return parse_tsv(result.stdout.decode("utf-8", errors="replace"))


def parse_tsv(tsv: str) -> list[_Word]:
    """Words of Tesseract's TSV output.  Confidence is taken as pytesseract's
    DICT output gave it (truncated to a whole percent), so that reads stay
    as they were."""
    rows = [row.split("\t") for row in tsv.strip().split("\n")]
    if len(rows) < 2:
        return []
    header = rows.pop(0)
    try:
        at = {name: header.index(name) for name in ("left", "top", "width", "height", "conf", "text")}
    except ValueError:
        raise ValueError(f"Tesseract gave no TSV table (its first line: {header[:12]!r})") from None
    words = []
    for row in rows:
        if len(row) <= at["conf"]:
            continue
        conf = int(float(row[at["conf"]]))
        text = row[at["text"]] if len(row) > at["text"] else ""
        if conf < 0 or not text.strip():              # layout rows carry conf -1
            continue
        left, top = int(float(row[at["left"]])), int(float(row[at["top"]]))
        width, height = int(float(row[at["width"]])), int(float(row[at["height"]]))
        words.append(_Word(text.strip(), conf / 100.0, (left, top, left + width, top + height)))
    return words


def _stack(strips: Sequence[LineStrip], margin: int) -> tuple[np.ndarray, list[int]]:
    """All strips one under another on white, with the y where each starts."""
    width = max(s.image.shape[1] for s in strips) + 2 * margin
    tops, y = [], margin
    for strip in strips:
        tops.append(y)
        y += strip.image.shape[0] + margin
    canvas = np.full((y, width), 255, np.uint8)
    for strip, top in zip(strips, tops):
        h, w = strip.image.shape
        canvas[top:top + h, margin:margin + w] = strip.image
    return canvas, tops


def _enlarge(image: np.ndarray, scale: float) -> np.ndarray:
    import cv2

    if scale == 1:
        return image
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def _shrink_word(word: _Word, scale: float) -> _Word:
    return _Word(word.text, word.confidence, tuple(int(round(v / scale)) for v in word.box))


def _lines_from_stacked_words(words: Sequence[_Word], strips: Sequence[LineStrip], tops: Sequence[int],
                              settings: TesseractSettings) -> list[OcrLine | None]:
    """Give each word to the strip its vertical centre falls in; one line per strip."""
    per_strip: list[list[_Word]] = [[] for _ in strips]
    for word in words:
        centre = (word.box[1] + word.box[3]) / 2
        index = bisect.bisect_right(tops, centre) - 1
        if index >= 0 and centre < tops[index] + strips[index].image.shape[0]:
            per_strip[index].append(word)
    lines: list[OcrLine | None] = []
    for strip, strip_words in zip(strips, per_strip):
        text = _join_words(sorted(strip_words, key=lambda w: w.box[0]), strip.box[3] - strip.box[1], settings)
        if not text:
            lines.append(None)
            continue
        confidence = sum(w.confidence for w in strip_words) / len(strip_words)
        lines.append(OcrLine(text, confidence, strip.box))
    return lines


def _join_words(words: Sequence[_Word], ink_height: int, settings: TesseractSettings) -> str:
    # chi_sim gives a CJK line as many one-character "words": join them
    # unless the gap between them is wide enough to be a real space.
    text, prev = "", None
    for word in words:
        if prev is not None:
            ascii_pair = prev.text[-1].isascii() and word.text[0].isascii()
            space = (settings.word_space if ascii_pair else settings.wide_word_space) * ink_height
            if word.box[0] - prev.box[2] > space:
                text += " "
        text += word.text
        prev = word
    return clean_text(text)


def tesseract_full_page(image: np.ndarray, settings: TesseractSettings | None = None) -> list[OcrLine]:
    """Plain full-page Tesseract (its default automatic layout), one OcrLine
    per word: the baseline the cell-wise engines are measured against."""
    settings = TesseractSettings.from_environment() if settings is None else settings
    _check_once(settings)
    words = tesseract_words(as_gray(image), settings.page_config, settings)
    return [OcrLine(clean_text(w.text), w.confidence, w.box) for w in words]


@lru_cache(maxsize=8)
def _check_once(settings: TesseractSettings) -> None:
    check_tesseract(settings)
