"""What a file is, and its identity: the SHA-256 that keys it in the store.

Small on purpose: the corpus builder and the benchmarks hash files without
loading the OCR, model or store stack.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from extract.errors import BadInputFile

PDF_SUFFIXES = frozenset({".pdf"})
IMAGE_SUFFIXES = frozenset({".tif", ".tiff", ".png", ".jpg", ".jpeg"})
# Flat text: a text extraction with no table structure left.
TEXT_SUFFIXES = frozenset({".txt"})
SUPPORTED_SUFFIXES = PDF_SUFFIXES | IMAGE_SUFFIXES | TEXT_SUFFIXES
# The encodings a flat text may come in, tried in this order.
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def kind_of(path: str | Path) -> str:
    """``pdf``, ``image`` or ``text``, by the file's suffix (anything else is read as a PDF,
    so that a mislabelled file gets the PDF reader's clear error)."""
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return "pdf"


def check_readable_pdf(path: Path) -> None:
    """Fail early, with the cause, on what is plainly not a PDF."""
    size = path.stat().st_size
    if size == 0:
        raise BadInputFile(str(path), "the file is empty (0 bytes)")
    with open(path, "rb") as handle:
        head = handle.read(1024)
    if b"%PDF-" not in head:
        raise BadInputFile(str(path), f"not a PDF (it starts with {head[:8]!r}); only PDF files are read")


def read_text_file(path: Path) -> str:
    """A flat text extraction, decoded (UTF-8, or GB18030 as Chinese Windows saves it)."""
    raw = path.read_bytes()
    if not raw.strip():
        raise BadInputFile(str(path), "the file is empty")
    for encoding in TEXT_ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BadInputFile(str(path), "not UTF-8 or GB18030 text")
