"""Review's typed errors: the review server cannot be installed, started or
reached, refuses our token, or lost a project.  They are `SelfevalError`s,
so the CLI turns each into its exit code and message."""

from __future__ import annotations

from extract.errors import SelfevalError


class ReviewServerError(SelfevalError):
    """The local Label Studio review server cannot be installed, started or reached."""

    exit_code = 6


class PortInUse(ReviewServerError):
    """The port asked for the review server is taken by another program."""

    def __init__(self, port: int, message: str):
        super().__init__(message)
        self.port = port


class TokenRejected(ReviewServerError):
    """The review server is up but refuses the API token we hold for it."""


class ReviewUnreachable(ReviewServerError):
    """No Label Studio answers at the review URL."""


class ReviewProjectGone(ReviewServerError):
    """A review project the store knows was deleted on the server."""
