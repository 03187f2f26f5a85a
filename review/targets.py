"""Where an export may write, and writing there safely.

Export writes jsonl and xlsx to a file, csv and parquet to a folder of table
files.  Before anything is written, `check_file_target` and
`check_folder_target` (through `review.export.check_target`) refuse a target
that is the wrong kind (a folder for a file, a file for a folder), anything
that is not a regular file (a symbolic link, a FIFO, a device such as
/dev/null), a read-only file and a folder it may not write, naming the path
and the fix in an `ExportTargetError`; they touch nothing.  `replacing`
writes beside each target and renames onto it, so an existing file is
replaced atomically and a failed export leaves the old one whole.
"""

from __future__ import annotations

import os
import stat
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from extract.errors import UsageError


class ExportTargetError(UsageError):
    """An --out that export will not write, and why: "<path>: <cause and fix>"."""

    def __init__(self, path: Path | str, cause: str):
        super().__init__(f"{path}: {cause}")
        self.path = str(path)
        self.cause = cause


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"),
                       (stat.S_ISREG, "a regular file"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"  # pragma: no cover - door, whiteout, …


def _lstat(path: Path, target: Path) -> os.stat_result | None:
    """What is at `path`, never following a link; None when nothing is."""
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise ExportTargetError(target, "a part of the path above it is a file, not a folder; "
                                        "give --out a path inside a folder") from None
    except OSError as exc:
        raise ExportTargetError(target, f"cannot look at it ({exc.strerror}); give --out a path you may write") from exc


def _read_only_fs(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def _check_writable_folder(folder: Path, target: Path) -> None:
    """Export writes a temp file in `folder`, then renames it onto `target`."""
    if os.access(folder, os.W_OK | os.X_OK):
        return
    where = "this folder" if folder == target else f"the folder {folder}"
    why = "is on a read-only file system" if _read_only_fs(folder) else "is not writable (permission denied)"
    raise ExportTargetError(target, f"cannot write it: {where} {why}; give --out a path you may write")


def _check_creatable(path: Path, target: Path) -> None:
    """`path` does not exist: its nearest existing ancestor must be a folder we may write."""
    ancestor = path.absolute().parent
    while True:
        try:
            info = os.stat(ancestor)  # an ancestor may be a link to a folder
            break
        except FileNotFoundError:
            ancestor = ancestor.parent
        except NotADirectoryError:
            raise ExportTargetError(target, "a part of the path above it is a file, not a folder; "
                                            "give --out a path inside a folder") from None
        except OSError as exc:
            raise ExportTargetError(target, f"cannot create it ({exc.strerror}); "
                                            "give --out a path you may write") from exc
    if not stat.S_ISDIR(info.st_mode):
        raise ExportTargetError(target, f"{ancestor} is {_kind(info.st_mode)}, not a folder; "
                                        "give --out a path inside a folder")
    _check_writable_folder(ancestor, target)


def _check_replaceable(path: Path, info: os.stat_result, fmt: str) -> None:
    """An existing `path` that export would replace: only a regular file it may write."""
    if stat.S_ISLNK(info.st_mode):
        raise ExportTargetError(path, "is a symbolic link; export neither writes through a link nor replaces "
                                      "one: give --out the real path, or a new file")
    if not stat.S_ISREG(info.st_mode):
        fix = "give --out - for standard output" if fmt == "jsonl" else "give --out a path for a new file"
        raise ExportTargetError(path, f"is {_kind(info.st_mode)}, not a regular file; export writes only "
                                      f"regular files: {fix}")
    if not info.st_mode & 0o222:
        raise ExportTargetError(path, f"is read-only (mode {stat.S_IMODE(info.st_mode):o}); make it writable "
                                      "(chmod u+w) to replace it, or give --out another path")


def check_file_target(out: Path, fmt: str) -> None:
    """Refuse an `out` where one file of format `fmt` must not be written."""
    info = _lstat(out, out)
    if info is None:
        _check_creatable(out, out)
        return
    if stat.S_ISDIR(info.st_mode):
        raise ExportTargetError(out, f"is a folder; --format {fmt} writes one file: give --out a file "
                                     f"name, e.g. {out / ('forms.' + fmt)}")
    _check_replaceable(out, info, fmt)
    _check_writable_folder(out.absolute().parent, out)


def check_folder_target(out: Path, fmt: str, tables: tuple[str, ...], written: tuple[str, ...]) -> None:
    """Refuse an `out` where a folder of `fmt` table files (`tables`, each
    `<name>.<fmt>`; `written`, the ones every export writes) must not be written."""
    info = _lstat(out, out)
    if info is None:
        _check_creatable(out, out)
        return
    if stat.S_ISLNK(info.st_mode):
        raise ExportTargetError(out, "is a symbolic link; export does not write through a link: "
                                     "give --out the real folder")
    if not stat.S_ISDIR(info.st_mode):
        names = ", ".join(f"{name}.{fmt}" for name in written)
        raise ExportTargetError(out, f"is {_kind(info.st_mode)}; --format {fmt} writes a folder of "
                                     f"tables ({names}): give --out a folder")
    _check_writable_folder(out, out)
    for name in tables:
        table = out / f"{name}.{fmt}"
        info = _lstat(table, table)
        if info is None:
            continue
        if stat.S_ISDIR(info.st_mode):
            raise ExportTargetError(table, f"is a folder where the {name} table is written; move it "
                                           "away, or give --out another folder")
        _check_replaceable(table, info, fmt)


@contextmanager
def replacing(targets: list[Path]) -> Iterator[list[Path]]:
    """Temp paths beside `targets` (same folder, so the rename is atomic),
    moved into place only when the block succeeds: a failed export leaves the
    old files, or none, never half-written ones.  A replaced file keeps its
    permissions.  An OSError raised after some targets were replaced carries
    them in its `replaced` attribute."""
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
    temps = [target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp") for target in targets]
    try:
        yield temps
        for temp, target in zip(temps, targets):
            try:
                old = os.lstat(target)
            except FileNotFoundError:
                old = None
            if old is not None and stat.S_ISREG(old.st_mode):
                os.chmod(temp, stat.S_IMODE(old.st_mode))
        replaced: list[Path] = []
        for temp, target in zip(temps, targets):
            try:
                os.replace(temp, target)
            except OSError as exc:
                exc.replaced = replaced  # type: ignore[attr-defined]
                raise
            replaced.append(target)
    finally:
        for temp in temps:
            try:
                temp.unlink(missing_ok=True)
            except OSError:  # pragma: no cover - the error that brought us here matters more
                pass
