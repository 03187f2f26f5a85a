"""The data folder's own files: private modes, the process locks, the logs.

The data folder is private, made so at every start (so a folder made before this rule is fixed
too): ``<home>`` is made 0700; our files in it (token, admin.json, the logs,
the pid and lock files) 0600; ``data/`` and everything in it, at any depth,
0700 (folders) / 0600 (files).  The server runs with umask 077, so what Label
Studio writes later (its SQLite database ``data/label_studio.sqlite3``, which
holds the token in plain text, uploads, exports) is private as well.  The
venv is not secret and is left as pip made it, behind the 0700 home.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from pathlib import Path
from typing import Iterator

from review.settings import ServerSettings

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SERVER_UMASK = 0o077  # what Label Studio creates later (its database, uploads, exports) is private too


def make_home(settings: ServerSettings) -> None:
    """Create ``<home>`` if missing, mode 0700 either way."""
    settings.home.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    os.chmod(settings.home, PRIVATE_DIR)


def make_private(settings: ServerSettings) -> None:
    """``<home>`` 0700; our files in it (token, admin.json, logs, pid and lock files) 0600; ``data/``
    recursively 0600 / 0700.  Fixes a data folder made before these rules.  The venv, and anything
    else in ``<home>``, is left alone; symbolic links are not followed."""
    make_home(settings)
    for entry in _own_files(settings):
        if entry.is_file() and not entry.is_symlink():
            _chmod(entry, PRIVATE_FILE)
    data = settings.data_dir
    if data.is_symlink() or not data.is_dir():
        return
    _chmod(data, PRIVATE_DIR)
    for folder, dirs, files in os.walk(data):  # does not descend into linked folders
        for name in dirs:
            path = Path(folder, name)
            if not path.is_symlink():
                _chmod(path, PRIVATE_DIR)
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink():
                _chmod(path, PRIVATE_FILE)


def _own_files(settings: ServerSettings) -> list[Path]:
    return [settings.token_file, settings.admin_file, settings.admin_file.with_suffix(".tmp"),
            settings.pid_file, settings.pid_file.with_name(settings.pid_file.name + ".tmp"),
            settings.log_file, settings.log_file.with_name(settings.log_file.name + ".1"),
            settings.install_log, settings.home / ".install.lock", settings.home / ".server.lock"]


def _chmod(path: Path, mode: int) -> None:
    with contextlib.suppress(FileNotFoundError):  # a file Label Studio removed meanwhile (a -journal)
        if stat.S_IMODE(path.lstat().st_mode) != mode:
            os.chmod(path, mode)


def write_private(path: Path, text: str) -> None:
    """A new file `path` (never an existing one), 0600, holding `text`."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def open_private_log(path: Path):
    """``path`` opened to append, created 0600 (and made 0600 if it was not)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    return os.fdopen(fd, "ab")


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock between processes (two installs or starts of one folder)."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def log_tail(path: Path, lines: int, redact: str | None = None) -> str:
    """The last `lines` of a log, indented, for an error message; `redact` (a secret) shown as ***."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    tail = "\n".join(
        line for line in text.splitlines()[-lines * 4:]
        if not line.startswith("WARNING: Location ")  # pip's noise about unused local index folders
    ).splitlines()[-lines:]
    out = "\n".join("    " + line for line in tail)
    return out.replace(redact, "***") if redact else out


def rotate_log(path: Path, limit: int = 5_000_000) -> None:
    """Keep one older log: the server appends to its log across starts."""
    with contextlib.suppress(FileNotFoundError):
        if path.stat().st_size > limit:
            os.replace(path, path.with_name(path.name + ".1"))
