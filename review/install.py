"""Label Studio installed once, from PyPI, into its own virtual environment
under the data folder (never into the product's environment: it pins its own
``label-studio-sdk``); ``<home>/venv`` unless `ServerSettings.venv` says.
pip's output goes to ``<home>/install.log``.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

from extract.errors import MissingDependency
from extract.external import ExternalProgramError, ProgramFailed, run_program
from review.home import locked, log_tail, make_home, open_private_log
from review.settings import ServerSettings

log = logging.getLogger("selfeval.review")

LABEL_STUDIO_VERSION = "1.23.2"
PYTHON_ENV = "SELFEVAL_LS_PYTHON"  # the interpreter that builds the venv (default: python3 on PATH)


def ensure_installed(settings: ServerSettings) -> Path:
    """Install Label Studio into ``settings.venv`` once; return its ``label-studio`` executable."""
    make_home(settings)
    with locked(settings.home / ".install.lock"):
        return _ensure_installed(settings)


def installed_version(settings: ServerSettings) -> str | None:
    """The version the stamp file records, if the executable is there too."""
    try:
        version = settings.stamp.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return version if version and settings.executable.exists() else None


def _ensure_installed(settings: ServerSettings) -> Path:
    if installed_version(settings) == LABEL_STUDIO_VERSION:
        return settings.executable
    python = settings.venv / "bin" / "python"
    started = time.monotonic()
    if not python.exists():
        base = _base_python()
        log.info("creating a virtual environment for Label Studio in %s", settings.venv)
        _run_logged([base, "-m", "venv", str(settings.venv)], settings, "python3 -m venv",
                    hint="on Debian/Ubuntu: apt-get install python3-venv")
    log.info("installing label-studio==%s into %s from PyPI (about a minute, ~1 GB) …",
             LABEL_STUDIO_VERSION, settings.venv)
    _run_logged([str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
                 f"label-studio=={LABEL_STUDIO_VERSION}"], settings, "pip install label-studio",
                hint="check that PyPI is reachable and the disk has ~1.5 GB free")
    try:
        found = run_program([str(python), "-c", "import importlib.metadata as m; print(m.version('label-studio'))"],
                            timeout=PROBE_TIMEOUT, unset=_CLEARED).stdout.decode().strip()
    except ExternalProgramError:
        found = ""
    if found != LABEL_STUDIO_VERSION or not settings.executable.exists():
        raise MissingDependency(f"{settings.venv}: pip finished but label-studio {found or 'is not'} installed "
                                f"(wanted {LABEL_STUDIO_VERSION}); delete {settings.venv} and try again. "
                                f"pip's output is in {settings.install_log}")
    settings.stamp.write_text(LABEL_STUDIO_VERSION + "\n", encoding="utf-8")
    log.info("Label Studio %s installed in %.0f s", LABEL_STUDIO_VERSION, time.monotonic() - started)
    return settings.executable


def _base_python() -> str:
    wanted = os.environ.get(PYTHON_ENV) or "python3"
    found = shutil.which(wanted)
    if not found:
        raise MissingDependency(f"{wanted}: not found; Label Studio needs Python >= 3.10 to build its own "
                                f"environment (install python3 and python3-venv, or set {PYTHON_ENV})")
    try:
        probe = run_program([found, "-c", "import sys, venv, ensurepip; print(sys.version_info >= (3, 10))"],
                            timeout=PROBE_TIMEOUT).stdout.decode().strip()
    except ExternalProgramError:
        probe = ""
    if probe != "True":
        raise MissingDependency(f"{found}: cannot build a virtual environment for Label Studio (it needs "
                                f"Python >= 3.10 with the venv and ensurepip modules; on Debian/Ubuntu: "
                                f"apt-get install python3-venv), or set {PYTHON_ENV} to such an interpreter")
    return found


# What the product's own environment must not pass on to the install.
_CLEARED = ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH", "PIP_REQUIRE_VIRTUALENV", "PIP_USER")
PROBE_TIMEOUT = 60.0          # s: a Python that answers a one-line question
INSTALL_TIMEOUT = 1800.0      # s: creating the venv or pip's install (about a minute here)


def _run_logged(cmd: list[str], settings: ServerSettings, what: str, hint: str) -> None:
    with open_private_log(settings.install_log) as out:
        out.write(f"\n$ {' '.join(cmd)}\n".encode())
        out.flush()
        try:
            run_program(cmd, timeout=INSTALL_TIMEOUT, unset=_CLEARED, output=out,
                        timeout_fix="check that PyPI answers, then start the server again")
        except ProgramFailed as exc:
            failed = f"{what} failed (exit {exc.returncode})"
        except ExternalProgramError as exc:
            failed = f"{what} failed ({exc.message})"
        else:
            return
    raise MissingDependency(f"{failed} while installing Label Studio into {settings.venv}; {hint}. "
                            f"Last lines of {settings.install_log}:\n" + log_tail(settings.install_log, 15))
