"""Where our Label Studio lives and how it is served: `ServerSettings`.

The data folder (``<home>``; ``$SELFEVAL_LABEL_STUDIO_HOME`` or
``./labelstudio``) holds::

    venv/           Label Studio 1.23.2 and its stamp file
    data/           Label Studio's database and media (LABEL_STUDIO_BASE_DATA_DIR)
    token           the admin's legacy API token, unless $LABEL_STUDIO_API_KEY
    admin.json      the admin's e-mail and password
    server.pid      the running server's process id
    server.log      the server's stdout and stderr
    install.log     pip's output from the install

(kept private: see `review.home`).

Local files are served from the review-images folder only: it is Label
Studio's ``LOCAL_FILES_DOCUMENT_ROOT`` (``ServerSettings.files_root``, default
``./review-images`` made absolute, links resolved; created 0700 at start if
missing).  Every member of the organisation (anyone who joined through its
invite link; the community edition has no roles) may create a Local Files
storage, so everything below that root is readable by every reviewer, and
nothing else is.  Label Studio enforces it in ``io_storages/localfiles``:
``LocalFilesMixin.validate_connection`` (``models.py``) accepts a storage
only on an existing folder strictly below the root, compared as text after
``os.path.normpath`` (so never the root itself: push writes its images into
a folder below it); ``localfiles_data`` (``views.py``, behind
``/data/local-files/?d=...``) serves only logged-in users, joins ``d`` to the
root with Django's ``safe_join`` (which refuses ``../`` out of it) and serves
a file only from within a storage's folder.  So a root of ``/``, one holding
the data folder, or one inside it is refused.  Symbolic links below the root
are followed: put none there that point out of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from extract.errors import UsageError

HOME_ENV = "SELFEVAL_LABEL_STUDIO_HOME"
DEFAULT_HOME = Path("labelstudio")
HOST = "127.0.0.1"
STAMP_NAME = ".selfeval-label-studio-version"
# The review-images folder: the only one our server serves local files from (push writes the task
# images into a folder below it: Label Studio takes no storage on the root itself).
DEFAULT_IMAGES = Path("review-images")


def default_home() -> Path:
    """``$SELFEVAL_LABEL_STUDIO_HOME``, else ``./labelstudio``."""
    return Path(os.environ.get(HOME_ENV) or DEFAULT_HOME)


def checked_files_root(files_root: Path | None, home: Path) -> Path:
    """The local files root, absolute and with symbolic links resolved (Label Studio compares
    paths as text), or UsageError if it would let reviewers read more than review images."""
    given = Path(files_root) if files_root is not None else DEFAULT_IMAGES
    root = Path(os.path.realpath(given.expanduser()))
    real_home = Path(os.path.realpath(home))
    what = f"{given}: the local files root (the review-images folder every reviewer can read)"
    if root == Path(root.anchor):
        raise UsageError(f"{what} is the whole file system; give the folder push writes the task images "
                         f"to, e.g. ./{DEFAULT_IMAGES}")
    if root == real_home or root in real_home.parents:
        raise UsageError(f"{what} contains the Label Studio data folder {home}, whose database, token and "
                         f"admin password reviewers could then read; give a folder of images only, "
                         f"e.g. ./{DEFAULT_IMAGES}")
    if real_home in root.parents:
        raise UsageError(f"{what} lies inside the Label Studio data folder {home}, which must never be "
                         f"served; give a folder outside it, e.g. ./{DEFAULT_IMAGES}")
    if root.exists() and not root.is_dir():
        raise UsageError(f"{what} is not a folder; give a folder (it is created if missing)")
    return root


@dataclass(frozen=True)
class ServerSettings:
    """Where Label Studio lives and how it is served.  Paths are made absolute."""

    home: Path | None = None        # None: default_home()
    port: int = 8080
    files_root: Path | None = None  # None: ./review-images. LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT:
    #                                 the review-images folder; Local Files storages must lie below it
    venv: Path | None = None        # None: <home>/venv

    def __post_init__(self) -> None:
        home = Path(self.home) if self.home is not None else default_home()
        home = home.expanduser().absolute()
        if home.exists() and not home.is_dir():
            raise UsageError(f"{home}: the Label Studio data folder is a file; "
                             f"point {HOME_ENV} (or --home) at a folder")
        object.__setattr__(self, "home", home)
        venv = Path(self.venv).expanduser().absolute() if self.venv is not None else home / "venv"
        object.__setattr__(self, "venv", venv)
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 1 <= self.port <= 65535:
            raise UsageError(f"port {self.port!r}: give a TCP port between 1 and 65535 (e.g. 8080)")
        object.__setattr__(self, "files_root", checked_files_root(self.files_root, home))

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def executable(self) -> Path:
        return self.venv / "bin" / "label-studio"

    @property
    def stamp(self) -> Path:
        return self.venv / STAMP_NAME

    @property
    def pid_file(self) -> Path:
        return self.home / "server.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "server.log"

    @property
    def install_log(self) -> Path:
        return self.home / "install.log"

    @property
    def token_file(self) -> Path:
        return self.home / "token"

    @property
    def admin_file(self) -> Path:
        return self.home / "admin.json"

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"
