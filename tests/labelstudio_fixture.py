"""pytest plugin: one real Label Studio server for the test session.

Listed in conftest's ``pytest_plugins``.  The fixture ``label_studio`` installs
Label Studio (once: ~1 min, ~1 GB) into ``tests/artifacts/labelstudio/venv``,
starts it on a free port of 127.0.0.1 and yields the ``RunningServer`` (its
``url``, ``token`` and ``files_root``: the review-images folder, the only one
Local Files storages may read: ``selfeval-review-images`` beside pytest's
base temps, shared by the sessions; ``tmp_path`` is *not* below it).  Tests
that push images put them in the ``review_images`` fixture's folder below it.
The data folder is kept between sessions (a first start migrates a fresh
database for about a minute, later ones take seconds); tests make their own
projects and delete them.  A server of that folder already running (another
session's, or one a killed session left) is reused and left running if it
serves that images folder; one serving another root (a session from before
the images root, which served ``/`` or all of pytest's temp folders) is
stopped and started again.  One the fixture started is stopped at the
session's end.

Tests that use it are marked ``@pytest.mark.labelstudio``.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
from pathlib import Path
from typing import Iterator

import pytest

from review.install import LABEL_STUDIO_VERSION, installed_version
from review.server import find_running, start, stop
from review.settings import ServerSettings

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
def label_studio_settings(tmp_path_factory, request) -> ServerSettings:
    """Where the session's server lives; the port is a free one, or that of the server already running."""
    files_root = tmp_path_factory.getbasetemp().resolve().parent / "selfeval-review-images"
    files_root.mkdir(mode=0o700, exist_ok=True)
    settings = ServerSettings(home=ARTIFACTS, port=free_port(), files_root=files_root)
    running = find_running(settings)
    if running is not None:
        if running.files_root == settings.files_root:
            return ServerSettings(home=ARTIFACTS, port=running.port, files_root=files_root)
        _announcer(request)(f"the running Label Studio (pid {running.pid}) serves {running.files_root}, "
                            f"not {settings.files_root}: stopping it to start it again")
        stop(settings)
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


@pytest.fixture
def review_images(label_studio, tmp_path) -> Iterator[Path]:
    """A fresh folder for one test's task images below the server's files root (removed afterwards).

    Named after the session's base temp and the test's ``tmp_path``, so tests and
    sessions sharing the root do not meet."""
    folder = label_studio.files_root / f"{tmp_path.parent.name}-{tmp_path.name}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _announcer(request):
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")

    def say(line: str) -> None:
        if reporter is not None:
            reporter.write_line(f"[labelstudio] {line}")

    return say
