"""Every external program behind one call: `run_program`.

A program is run with an argument list (no shell), a timeout, an optional
overlay on this process's environment (the child's alone: ``os.environ`` is
never changed) and optional bytes on its standard input.  It runs in its own
process group, so that on a timeout the whole group (the program and any
children it started) is killed, not only the program; on Linux it is also
killed if this process dies first.  Each way of going wrong has its own
typed error, whose message names the program and the fix.

The command line is logged at debug level under ``selfeval.external``.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import BinaryIO, Mapping, Sequence

from extract.errors import MissingDependency, SelfevalError, printable

log = logging.getLogger("selfeval.external")

# Lines of the program's stderr a failure message quotes, and how long each may be.
STDERR_TAIL_LINES = 5
STDERR_LINE_CHARS = 200
# After the kill, how long the killed group's pipes are drained for (seconds).
_REAP_SECONDS = 5.0


class ExternalProgramError(SelfevalError):
    """An external program could not be run to a good end."""

    def __init__(self, program: str, message: str):
        super().__init__(message)
        self.program = program


class ProgramMissing(ExternalProgramError, MissingDependency):
    """The program is not installed (or not where it was said to be)."""

    def __init__(self, program: str, install_hint: str | None = None):
        fix = f"; install it with `{install_hint}`" if install_hint else ""
        super().__init__(program, f"the {printable(program)} program is not installed "
                                  f"(not found on PATH or not executable){fix}")


class ProgramTimedOut(ExternalProgramError):
    """The program ran longer than its timeout and was killed."""

    def __init__(self, program: str, timeout: float, fix: str | None = None):
        fix = fix or "raise the timeout if the input is just slow to process"
        super().__init__(program, f"{printable(program)} did not finish within {timeout:g} s "
                                  f"and was stopped; {fix}")
        self.timeout = timeout


class ProgramFailed(ExternalProgramError):
    """The program ended with an exit code that means failure."""

    def __init__(self, program: str, returncode: int, stderr_tail: str):
        how = f"was killed by signal {-returncode}" if returncode < 0 else f"exited with code {returncode}"
        said = f": {stderr_tail}" if stderr_tail else " (nothing on stderr)"
        super().__init__(program, f"{printable(program)} {how}{said}")
        self.returncode = returncode
        self.stderr_tail = stderr_tail


@dataclass(frozen=True)
class ProgramResult:
    argv: tuple[str, ...]     # as run, the program resolved to its path
    returncode: int
    stdout: bytes
    stderr: bytes
    seconds: float            # wall time of the run


def run_program(argv: Sequence[str], *, timeout: float, env: Mapping[str, str] | None = None,
                stdin: bytes | None = None, install_hint: str | None = None, timeout_fix: str | None = None,
                ok_codes: Sequence[int] = (0,), cwd: str | os.PathLike[str] | None = None,
                unset: Sequence[str] = (), output: BinaryIO | None = None) -> ProgramResult:
    """Run `argv` to its end, or for `timeout` seconds at most.

    `env` is laid over this process's environment for the child only, and
    the variables in `unset` are left out of it.  With `output` (a file
    open for writing) the program's stdout and stderr go there instead of
    into the result (a long install's log).
    Raises `ProgramMissing` (with `install_hint`), `ProgramTimedOut` (with
    `timeout_fix`, the caller's advice, e.g. which setting to raise) and
    `ProgramFailed` (exit code not in `ok_codes`; the last lines of stderr)."""
    if not argv or not all(isinstance(a, str) for a in argv):
        raise ValueError(f"run_program needs a non-empty list of strings, got {argv!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"run_program needs a timeout of more than 0 seconds, got {timeout!r}")
    if cwd is not None and not os.path.isdir(cwd):
        raise ValueError(f"run_program: no folder {cwd!r} to run {argv[0]!r} in")
    program = os.path.basename(argv[0])
    child_env = dict(os.environ)
    if env:
        child_env.update(env)
    for name in unset:
        child_env.pop(name, None)
    path = find_program(argv[0], child_env.get("PATH"))
    if path is None:
        raise ProgramMissing(program, install_hint)
    command = (path, *argv[1:])
    if log.isEnabledFor(logging.DEBUG):
        overlay = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
        log.debug("run (timeout %g s): %s%s", timeout, overlay + " " if overlay else "", shlex.join(argv))
    start = time.monotonic()
    try:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                                stdout=subprocess.PIPE if output is None else output,
                                stderr=subprocess.PIPE if output is None else subprocess.STDOUT,
                                env=child_env, cwd=cwd, start_new_session=True,
                                preexec_fn=_die_with_parent_in_child())
    except (FileNotFoundError, PermissionError) as exc:   # gone since the look-up, or a broken #! line
        raise ProgramMissing(program, install_hint) from exc
    try:
        stdout, stderr = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        log.debug("%s: killed after %.2f s (timeout %g s)", program, time.monotonic() - start, timeout)
        raise ProgramTimedOut(program, timeout, timeout_fix) from None
    except BaseException:              # Ctrl-C, or anything else: leave no child behind
        _kill_group(proc)
        raise
    seconds = time.monotonic() - start
    log.debug("%s: exit code %d after %.2f s", program, proc.returncode, seconds)
    stdout, stderr = stdout or b"", stderr or b""
    if proc.returncode not in ok_codes:
        raise ProgramFailed(program, proc.returncode, stderr_tail(stderr))
    return ProgramResult(command, proc.returncode, stdout, stderr, seconds)


def find_program(name: str, path: str | None = None) -> str | None:
    """The executable `name` (looked up on `path`, default PATH), or None."""
    if os.sep in name:
        return name if os.path.isfile(name) and os.access(name, os.X_OK) else None
    return shutil.which(name, path=path)


def stderr_tail(stderr: bytes, lines: int = STDERR_TAIL_LINES) -> str:
    """The last non-empty lines of a program's stderr, printable, joined by " | "."""
    text = stderr.decode("utf-8", errors="replace").splitlines()
    kept = [printable(line.strip())[:STDERR_LINE_CHARS] for line in text if line.strip()][-lines:]
    return " | ".join(kept)


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL to the child's whole process group, then reap the child."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)   # the child leads its own group (start_new_session)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.communicate(timeout=_REAP_SECONDS)
    except subprocess.TimeoutExpired:       # a grandchild in another group still holds a pipe
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        proc.wait()


def _die_with_parent_in_child():
    """A pre-exec hook for Linux: the child gets SIGKILL when this process
    dies (PR_SET_PDEATHSIG), so a worker killed mid-page leaves no program
    running.  None elsewhere."""
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()                      # per call: a forked process has its own

    def hook() -> None:
        prctl(1, signal.SIGKILL, 0, 0, 0)     # 1 = PR_SET_PDEATHSIG
        if os.getppid() != parent:            # the parent died before the hook ran
            os._exit(1)

    return hook


@lru_cache(maxsize=1)
def _prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
