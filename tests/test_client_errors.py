"""A server that answers, but not like Label Studio: `review push` and `review
pull` stop with one line naming the URL and what came back, never a
traceback, and leave the store as it was.

The servers here are tiny real HTTP servers on 127.0.0.1 standing for a
wrong --url (another web app, a proxy's error page, a typo'd port)."""

from __future__ import annotations

import contextlib
import copy
import json
import shutil
import sqlite3
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from conftest import run
from corpus.build import load_gold, render_with_truth
from extract.store import Store
from review.credentials import TOKEN_ENV
from review.errors import ReviewServerError
from review.store import ReviewStore

WHOAMI = "/api/current-user/whoami"
HTML = "<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head><body>It works</body></html>"


def _answers(whoami: tuple[int, str], other: tuple[int, str]):
    """A request handler: (status, body) for whoami, and for every other path."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            status, body = whoami if self.path.split("?")[0].rstrip("/") == WHOAMI else other
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html" if body.startswith("<") else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

        def log_message(self, *args) -> None:  # quiet
            pass

    return Handler


EMAIL = (200, json.dumps({"email": "x"}))
SERVERS = {
    "404 to everything": ((404, "<h1>Not Found</h1>"), (404, "<h1>Not Found</h1>")),
    "200 {} to everything": ((200, "{}"), (200, "{}")),
    "a user, then {}": (EMAIL, (200, "{}")),
    "a user, then []": (EMAIL, (200, "[]")),
    "a user, then HTML": (EMAIL, (200, HTML)),
    "an HTML page to everything": ((200, HTML), (200, HTML)),
}
# what the one line must show of the answer, when whoami is the call that fails
SHOWN = {"404 to everything": "HTTP 404", "200 {} to everything": "HTTP 200",
         "an HTML page to everything": "Welcome to nginx"}


@contextlib.contextmanager
def serving(whoami: tuple[int, str], other: tuple[int, str]) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 giving these answers; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _answers(whoami, other))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(params=list(SERVERS))
def fake_server(request):
    with serving(*SERVERS[request.param]) as url:
        yield request.param, url


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """A real small store with fields left to review: a rendered form whose
    总分 does not add up (our own renderer's forms are read right, so a clean
    one leaves nothing to review)."""
    folder = tmp_path_factory.mktemp("store")
    record = copy.deepcopy(load_gold()[0])
    record["total_score"] += Decimal("1.00")
    render_with_truth([record], folder / "total_off.pdf", None)
    db = folder / "store.db"
    assert run("--db", db, "ingest", "--workers", "1", "--no-progress", folder / "total_off.pdf") == 0
    with ReviewStore.open(db, must_exist=True) as store:
        assert store.forms_to_review(), "the sample must leave fields to review"
    return db


@pytest.fixture
def store_copy(ingested, tmp_path):
    db = tmp_path / "store.db"
    shutil.copyfile(ingested, db)
    return db


def _dump(db: Path) -> str:
    connection = sqlite3.connect(db)
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


def _the_one_error_line(err: str, url: str) -> str:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("selfeval:")]
    assert len(lines) == 1, err
    line = lines[0]
    assert url in line and "does not look like Label Studio" in line and "--url" in line, line
    assert "answered HTTP" in line, line
    return line


@pytest.mark.parametrize("action", ["push", "pull"])
def test_a_server_that_is_not_label_studio_is_one_clear_line(action, fake_server, store_copy, tmp_path,
                                                             monkeypatch, capsys):
    name, url = fake_server
    monkeypatch.setenv(TOKEN_ENV, "not-a-real-token")
    if action == "pull":  # a task pushed earlier, so that pull asks the server for it
        with ReviewStore.open(store_copy, must_exist=True) as store:
            form = store.forms_to_review()[0]
            store.save_review_project(url, form.batch, 1)
            store.save_task(url, 1, 7, form.form_id, [f.path for f in form.pending])
    before = _dump(store_copy)
    capsys.readouterr()
    extra = ["--images", tmp_path / "images"] if action == "push" else []
    code = run("--db", store_copy, "review", action, "--url", url, *extra)
    err = capsys.readouterr().err
    assert code == ReviewServerError.exit_code, err
    line = _the_one_error_line(err, url)
    if name in SHOWN:  # the first call fails: it names the request and what came back
        assert f"GET {WHOAMI}" in line and SHOWN[name] in line, line
    assert _dump(store_copy) == before


def test_a_404_to_whoami_names_the_request_and_the_body(monkeypatch, capsys, tmp_path):
    db = tmp_path / "store.db"
    Store(db).close()
    monkeypatch.setenv(TOKEN_ENV, "not-a-real-token")
    with serving((404, '{"detail": "Not found."}'), (404, "")) as url:
        assert run("--db", db, "review", "pull", "--url", url) == ReviewServerError.exit_code
    line = _the_one_error_line(capsys.readouterr().err, url)
    assert f'GET {WHOAMI} answered HTTP 404 "{{"detail": "Not found."}}"' in line, line
    assert "not found when trying" not in line  # not "a project is gone"


def test_the_body_shown_is_short_and_on_one_line(monkeypatch, capsys, tmp_path):
    page = "<html>\n<body>\x1b[31m" + "x" * 500 + "</body></html>"
    db = tmp_path / "store.db"
    Store(db).close()
    monkeypatch.setenv(TOKEN_ENV, "not-a-real-token")
    with serving((200, page), (200, page)) as url:
        assert run("--db", db, "review", "push", "--url", url, "--images", tmp_path / "images") == 6
    err = capsys.readouterr().err
    line = _the_one_error_line(err, url)
    assert "\x1b" not in err and "x" * 101 not in line and len(line) < 600, line
