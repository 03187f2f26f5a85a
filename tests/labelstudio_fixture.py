"""pytest plugin: one real Label Studio server for the test session.

Listed in conftest's ``pytest_plugins``.  The fixture ``label_studio`` installs
Label Studio (once: ~1 min, ~1 GB) into ``tests/artifacts/labelstudio/venv``,
starts it on a free port of 127.0.0.1 and yields the ``RunningServer`` (its
``url``, ``token`` and ``files_root``: the folder Local Files storages may
read, the parent of pytest's base temp, so every ``tmp_path`` is below it).
The data folder is kept between sessions (a first start migrates a fresh
database for about a minute, later ones take seconds); tests make their own
projects and delete them.  A server of that folder already running (another
session's, or one a killed session left) is reused and left running; one
the fixture started is stopped at the session's end.

Tests that use it are marked ``@pytest.mark.labelstudio``.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

import pytest

from review.server import LABEL_STUDIO_VERSION, ServerSettings, find_running, installed_version, start, stop

# $SELFEVAL_TEST_LABEL_STUDIO_HOME gives two test sessions run at once a server each.
ARTIFACTS = Path(os.environ.get("SELFEVAL_TEST_LABEL_STUDIO_HOME") or
                 Path(__file__).resolve().parent / "artifacts" / "labelstudio")
START_TIMEOUT = 300  # a fresh database migrates for ~1 min on 2 cores; leave room for a loaded machine


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "labelstudio: uses the real Label Studio server (the first run installs it, ~1 min, ~1 GB)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def label_studio_settings(tmp_path_factory) -> ServerSettings:
    """Where the session's server lives; the port is a free one, or that of the server already running."""
    files_root = tmp_path_factory.getbasetemp().resolve().parent
    settings = ServerSettings(home=ARTIFACTS, port=free_port(), files_root=files_root)
    running = find_running(settings)
    if running is not None:
        settings = ServerSettings(home=ARTIFACTS, port=running.port, files_root=running.files_root)
    return settings


@pytest.fixture(scope="session")
def label_studio(label_studio_settings, request):
    """The running server (``url``, ``token``, ``files_root``, ``headers``, ``client()``)."""
    say = _announcer(request)
    if installed_version(label_studio_settings) != LABEL_STUDIO_VERSION:
        say(f"installing Label Studio {LABEL_STUDIO_VERSION} into {label_studio_settings.venv} (~1 min) ...")
    logging.getLogger("selfeval.review").setLevel(logging.INFO)
    server = start(label_studio_settings, timeout=START_TIMEOUT)
    say(f"Label Studio {'reused' if server.reused else 'started'} at {server.url} (pid {server.pid})")
    yield server
    if not server.reused:
        stop(label_studio_settings)


def _announcer(request):
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")

    def say(line: str) -> None:
        if reporter is not None:
            reporter.write_line(f"[labelstudio] {line}")

    return say
