"""A local Label Studio server for reviewing extracted forms: started in the
background bound to 127.0.0.1, found again, stopped.

It is installed first (`review.install`), its token and admin made
(`review.credentials`), its data folder made private (`review.home`); where
it lives and which folder it serves images from is `review.settings`.

The child process gets an environment built from a short allow-list, never
the caller's: Label Studio reads bare ``USERNAME``, ``PASSWORD``, ``PORT``,
``HOST``, ``HOSTNAME``-like, ``DEBUG``, ``CI`` … (and every ``LABEL_STUDIO_*`` /
``HEARTEX_*``) as its own settings, so inheriting them silently changes it.

The token is never logged or printed.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from extract.errors import UsageError
from review.credentials import TOKEN_ENV, AdminAccount, admin_account, ensure_token, env_token, read_token
from review.errors import PortInUse, ReviewServerError, TokenRejected
from review.home import (PRIVATE_DIR, SERVER_UMASK, locked, log_tail, make_home, make_private, open_private_log,
                         rotate_log, write_private)
from review.install import LABEL_STUDIO_VERSION, ensure_installed
from review.settings import HOST, ServerSettings, checked_files_root

log = logging.getLogger("selfeval.review")

IMAGES_MODE = 0o700  # made so when start() creates it; only we (push) and the server need it

# What the child inherits from the caller's environment; everything else is
# dropped.  Locale, time zone, temp dirs, CA bundles and the OpenBLAS
# work-arounds some processors here need.
_INHERITED = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "TZ", "TMPDIR", "TEMP", "TMP",
              "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
              "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "SYSTEMROOT")
_INHERITED_PREFIXES = ("LC_",)


@dataclass(frozen=True)
class RunningServer:
    url: str
    port: int
    pid: int
    home: Path
    files_root: Path
    reused: bool = False                       # True: start() found it already running
    token: str = field(default="", repr=False)

    @property
    def headers(self) -> dict[str, str]:
        """The HTTP header that authenticates with the legacy API token."""
        return {"Authorization": f"Token {self.token}"}

    def client(self, timeout: float = 60):
        """A ``label_studio_sdk.LabelStudio`` client for this server (never through an HTTP proxy).

        The SDK sends a non-JWT key as a legacy ``Authorization: Token …`` header.
        """
        import httpx  # the SDK's own dependency
        from label_studio_sdk import LabelStudio  # imported only when needed

        http = httpx.Client(timeout=timeout, follow_redirects=True, trust_env=False)
        return LabelStudio(base_url=self.url, api_key=self.token, httpx_client=http)


def _make_images_root(settings: ServerSettings) -> None:
    """The review-images folder, created 0700 if missing (an existing one keeps its mode)."""
    if not settings.files_root.is_dir():
        settings.files_root.mkdir(mode=IMAGES_MODE, parents=True, exist_ok=True)


# --------------------------------------------------------------------------- the child's environment


def build_child_env(settings: ServerSettings, token: str, admin: AdminAccount,
                    environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for ``label-studio start``: an allow-list of the caller's, plus our settings."""
    environ = os.environ if environ is None else environ
    env = {k: v for k, v in environ.items() if k in _INHERITED or k.startswith(_INHERITED_PREFIXES)}
    env["PATH"] = os.pathsep.join(p for p in (str(settings.venv / "bin"), env.get("PATH") or os.defpath) if p)
    env.setdefault("LANG", "C.UTF-8")
    env.update({
        "HOME": str(settings.home),
        "PYTHONUNBUFFERED": "1",
        "LABEL_STUDIO_BASE_DATA_DIR": str(settings.data_dir),
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "COLLECT_ANALYTICS": "false",
        "LATEST_VERSION_CHECK": "false",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "LABEL_STUDIO_USERNAME": admin.email,
        "LABEL_STUDIO_PASSWORD": admin.password,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_USER_TOKEN": token,
        "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED": "true",
        "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT": str(settings.files_root),
    })
    return env


def server_command(settings: ServerSettings) -> list[str]:
    """``label-studio start`` with flags only (secrets go through the environment, not argv)."""
    return [str(settings.executable), "start", "--no-browser",
            "--internal-host", HOST, "--port", str(settings.port),
            "--data-dir", str(settings.data_dir), "--enable-legacy-api-token"]


# --------------------------------------------------------------------------- start / stop


_CHILDREN: dict[int, subprocess.Popen] = {}  # servers this process started, so stop() can reap them


def start(settings: ServerSettings, timeout: float = 180) -> RunningServer:
    """Start Label Studio in the background and wait until it serves our token; reuse it if running.

    Raises PortInUse if another program holds the port, TokenRejected if the
    data folder's admin has another token (the server is left running so the
    admin can log in and copy the right one), ReviewServerError otherwise.
    """
    make_home(settings)
    with locked(settings.home / ".server.lock"):
        make_private(settings)
        token = ensure_token(settings)
        running = _our_server(settings)
        if running is not None:
            pid, port = running
            if port != settings.port:
                raise ReviewServerError(
                    f"{settings.home}: a Label Studio server of this data folder already runs on port {port} "
                    f"(pid {pid}); use port {port}, or stop it first to move it")
            root = _served_root(pid)
            if root is not None and root != settings.files_root:
                try:
                    checked_files_root(root, settings.home)
                except UsageError:
                    raise ReviewServerError(
                        f"{settings.home}: the Label Studio server already running (pid {pid}) serves local "
                        f"files below {root}, which lets every reviewer read files that are not review images; "
                        f"stop it (`selfeval review server --stop`) and start it again") from None
                raise ReviewServerError(
                    f"{settings.home}: the Label Studio server already running (pid {pid}) serves local files "
                    f"below {root}, not {settings.files_root}; use that root, or stop it first to change it")
            _make_images_root(settings)
            log.info("Label Studio already running at %s (pid %d)", settings.url, pid)
            deadline = time.monotonic() + timeout
            _wait_healthy(settings, None, deadline)
            _check_token_accepted(settings, token)
            return _running(settings, pid, token, reused=True)
        _remove_stale_pid_file(settings)
        _require_free_port(settings.port)
        ensure_installed(settings)
        admin = admin_account(settings)
        settings.data_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        _make_images_root(settings)
        make_private(settings)
        rotate_log(settings.log_file)
        log_start = settings.log_file.stat().st_size if settings.log_file.exists() else 0
        log.info("starting Label Studio %s at %s (data %s, log %s)", LABEL_STUDIO_VERSION, settings.url,
                 settings.data_dir, settings.log_file)
        started = time.monotonic()
        # A service, not a program run to its end (extract.external): its
        # start is bounded by the health check's timeout below.
        log.debug("run (a service; ready within %g s): %s", timeout, shlex.join(server_command(settings)))
        with open_private_log(settings.log_file) as out:
            proc = subprocess.Popen(server_command(settings), env=build_child_env(settings, token, admin),
                                    cwd=settings.home, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True, umask=SERVER_UMASK)
        _CHILDREN[proc.pid] = proc
        _write_pid(settings, proc.pid)
        try:
            _wait_healthy(settings, proc, started + timeout, log_start=log_start)
            _check_token_accepted(settings, token)
        except TokenRejected:
            raise  # left running, so that the admin can log in and fetch the right token
        except BaseException:
            stop(settings)
            raise
        log.info("Label Studio ready at %s after %.0f s (pid %d)", settings.url, time.monotonic() - started,
                 proc.pid)
        return _running(settings, proc.pid, token, reused=False)


def stop(settings: ServerSettings, timeout: float = 20) -> bool:
    """Stop this data folder's server (its whole process group); True if one was running."""
    pid = _read_pid(settings)
    stopped = False
    port = _is_our_server(pid, settings) if pid is not None else None
    if port is not None:
        log.info("stopping Label Studio (pid %d)", pid)
        _signal_group(pid, signal.SIGTERM)
        if not _wait_gone(pid, timeout):
            log.warning("Label Studio (pid %d) ignored SIGTERM for %.0f s; killing it", pid, timeout)
            _signal_group(pid, signal.SIGKILL)
            _wait_gone(pid, 10)
        deadline = time.monotonic() + 5
        while not port_is_free(port) and time.monotonic() < deadline:  # its sockets close last
            time.sleep(0.1)
        stopped = True
    if pid is not None:
        _CHILDREN.pop(pid, None)
    with contextlib.suppress(FileNotFoundError):
        settings.pid_file.unlink()
    return stopped


def find_running(settings: ServerSettings) -> RunningServer | None:
    """This data folder's server if it runs (healthy or still starting), without starting one."""
    running = _our_server(settings)
    if running is None:
        return None
    pid, port = running
    return RunningServer(url=f"http://{HOST}:{port}", port=port, pid=pid, home=settings.home,
                         files_root=_served_root(pid) or settings.files_root, reused=True,
                         token=read_token(settings))


def _served_root(pid: int) -> Path | None:
    """The local files root a running server was given (from its environment), if readable."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return None
    prefix = b"LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT="
    for item in environ:
        if item.startswith(prefix):
            return Path(item[len(prefix):].decode(errors="replace"))
    return None


def _running(settings: ServerSettings, pid: int, token: str, reused: bool) -> RunningServer:
    return RunningServer(url=settings.url, port=settings.port, pid=pid, home=settings.home,
                         files_root=settings.files_root, reused=reused, token=token)


def _write_pid(settings: ServerSettings, pid: int) -> None:
    tmp = settings.pid_file.with_name(settings.pid_file.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    write_private(tmp, f"{pid}\n")
    os.replace(tmp, settings.pid_file)


def _read_pid(settings: ServerSettings) -> int | None:
    try:
        return int(settings.pid_file.read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _our_server(settings: ServerSettings) -> tuple[int, int] | None:
    """(pid, port) of the live server the PID file names, if it is this data folder's Label Studio."""
    pid = _read_pid(settings)
    if pid is None:
        return None
    port = _is_our_server(pid, settings)
    return None if port is None else (pid, port)


def _is_our_server(pid: int, settings: ServerSettings) -> int | None:
    """The port of process ``pid`` if it is a live ``label-studio start`` on our data dir, else None."""
    if not _alive(pid):
        return None
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    args = [a.decode(errors="replace") for a in argv if a]
    if not any(a.endswith("label-studio") for a in args) or "start" not in args:
        return None
    try:
        if Path(args[args.index("--data-dir") + 1]) != settings.data_dir:
            return None
        return int(args[args.index("--port") + 1])
    except (ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) is not alive; but a leader
    # thread shows "Z" while the process's other threads (and its sockets) live on.
    tasks = Path(f"/proc/{pid}/task")
    try:
        states = [(t / "stat").read_text().rsplit(")", 1)[1].split()[0] for t in tasks.iterdir()]
    except (OSError, IndexError):
        return True
    return any(state not in ("Z", "X") for state in states)


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # start_new_session: the server leads its own group
    except ProcessLookupError:
        pass
    except PermissionError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _wait_gone(pid: int, timeout: float) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:
        try:
            child.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.2)
    return not _alive(pid)


def _remove_stale_pid_file(settings: ServerSettings) -> None:
    if settings.pid_file.exists():
        log.info("removing stale %s", settings.pid_file)
        settings.pid_file.unlink()


def port_is_free(port: int, host: str = HOST) -> bool:
    """True if nothing listens on host:port (bind test, like the server's own)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            if e.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    # Label Studio itself probes with a connect to "localhost" (IPv4): do the same
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) != 0


def _require_free_port(port: int) -> None:
    if not port_is_free(port):
        raise PortInUse(port, f"port {port} on {HOST} is already in use by another program (Label Studio would "
                              f"silently move to another port); choose a free port, or stop that program "
                              f"(see: ss -ltnp 'sport = :{port}')")


def _wait_healthy(settings: ServerSettings, proc: subprocess.Popen | None, deadline: float,
                  log_start: int = 0) -> None:
    url = f"{settings.url}/health"
    while True:
        if proc is not None and proc.poll() is not None:
            raise ReviewServerError(f"Label Studio exited with code {proc.returncode} while starting; "
                                    f"last lines of {settings.log_file}:\n"
                                    + log_tail(settings.log_file, 20, redact=_token_or_none(settings)))
        if proc is not None:
            _check_not_moved(settings, log_start)
        status = _get_status(url, timeout=5)
        if status == 200:
            if proc is not None:
                _check_not_moved(settings, log_start)
            return
        if time.monotonic() >= deadline:
            raise ReviewServerError(f"Label Studio did not answer {url} in time (last status: {status}); "
                                    f"see {settings.log_file}, or start it with a longer timeout")
        time.sleep(1)


def _check_not_moved(settings: ServerSettings, log_start: int) -> None:
    """Label Studio moves to the next port when its own is taken (a race with our check): refuse that."""
    try:
        with open(settings.log_file, "rb") as f:
            f.seek(log_start)
            text = f.read().decode(errors="replace")
    except OSError:
        return
    if f"Port {settings.port} is in use" in text:
        raise PortInUse(settings.port, f"port {settings.port} on {HOST} was taken while Label Studio started; "
                                       f"choose another port and start again")


def _check_token_accepted(settings: ServerSettings, token: str) -> None:
    status = _get_status(f"{settings.url}/api/current-user/whoami", timeout=30,
                         headers={"Authorization": f"Token {token}"})
    if status == 200:
        return
    source = f"${TOKEN_ENV}" if env_token() else str(settings.token_file)
    if status in (401, 403):
        raise TokenRejected(
            f"Label Studio at {settings.url} (data {settings.data_dir}; left running) rejects the API token "
            f"from {source} (HTTP {status}): that data folder was first started with another admin or token, "
            f"or with legacy API tokens disabled. Fix: log in there, open Account & Settings, copy the admin's "
            f"legacy token and set {TOKEN_ENV} to it (or write it into {settings.token_file}), check that "
            f"Organization → API Tokens Settings allows legacy tokens, and start again. Or start afresh, losing "
            f"its projects and annotations: stop the server (`selfeval review server --stop`) and delete "
            f"{settings.data_dir}.")
    raise ReviewServerError(f"Label Studio at {settings.url} answered HTTP {status} to whoami; "
                            f"see {settings.log_file}")


def _get_status(url: str, timeout: float, headers: Mapping[str, str] | None = None) -> int | None:
    """The HTTP status of GET url, or None if nothing answers.  Never through a proxy."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError):
        return None


def _token_or_none(settings: ServerSettings) -> str | None:
    try:
        return read_token(settings)
    except Exception:
        return None


if __name__ == "__main__":  # a quick manual check: python -m review.server [PORT]
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    server = start(ServerSettings(port=int(sys.argv[1]) if len(sys.argv) > 1 else 8080))
    print(server)
