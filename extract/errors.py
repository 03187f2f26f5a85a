"""Typed errors: each carries an exit code and a message that tells the user
what is wrong with which file and how to fix the cause (OCRmyPDF's way)."""

from __future__ import annotations

import unicodedata


class SelfevalError(Exception):
    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadInputFile(SelfevalError):
    """A file that cannot be read as a form source (corrupt, encrypted, empty, …)."""

    exit_code = 2

    def __init__(self, path: str, cause: str):
        super().__init__(f"{path}: {cause}")
        self.path = path
        self.cause = cause


class NoFormFound(BadInputFile):
    """A readable file that holds no 绩效自评表."""

    exit_code = 3


class PageTooLarge(BadInputFile):
    """A page over the pixel budget: it fails alone, before anything is decoded."""


class MissingDependency(SelfevalError):
    exit_code = 4


class StoreError(SelfevalError):
    exit_code = 5


# Exit code 6 is review's: review.errors.ReviewServerError and its kinds.


class ClusterError(SelfevalError):
    """The Dask scheduler cannot be reached, or has no worker to run the jobs."""

    exit_code = 7


class UsageError(SelfevalError):
    exit_code = 64


def printable(text: object) -> str:
    """`text` safe to print on one terminal line: control characters (a
    newline or an escape sequence in a file name, say) shown escaped, so a
    name cannot forge or hide a line of the output."""
    return "".join(
        ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
        for ch in str(text))
