"""A local Label Studio server for reviewing extracted forms.

Label Studio is installed once, from PyPI, into its own virtual environment
under the data folder (never into the product's environment: it pins its own
``label-studio-sdk``), then run as a background process bound to 127.0.0.1.

The data folder (``<home>``; ``$SELFEVAL_LABEL_STUDIO_HOME`` or
``./labelstudio``) holds::

    venv/           Label Studio 1.23.2 and its stamp file
    data/           Label Studio's database and media (LABEL_STUDIO_BASE_DATA_DIR)
    token           the admin's legacy API token, unless $LABEL_STUDIO_API_KEY
    admin.json      the admin's e-mail and password
    server.pid      the running server's process id
    server.log      the server's stdout and stderr
    install.log     pip's output from the install

It is private, at every start (so a folder made before this rule is fixed
too): ``<home>`` is made 0700; our files in it (token, admin.json, the logs,
the pid and lock files) 0600; ``data/`` and everything in it, at any depth,
0700 (folders) / 0600 (files).  The server runs with umask 077, so what Label
Studio writes later (its SQLite database ``data/label_studio.sqlite3``, which
holds the token in plain text, uploads, exports) is private as well.  The
venv is not secret and is left as pip made it, behind the 0700 home.

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

The child process gets an environment built from a short allow-list, never
the caller's: Label Studio reads bare ``USERNAME``, ``PASSWORD``, ``PORT``,
``HOST``, ``HOSTNAME``-like, ``DEBUG``, ``CI`` … (and every ``LABEL_STUDIO_*`` /
``HEARTEX_*``) as its own settings, so inheriting them silently changes it.

The token is never logged or printed.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

from extract.errors import MissingDependency, PortInUse, ReviewServerError, TokenRejected, UsageError

log = logging.getLogger("selfeval.review")

LABEL_STUDIO_VERSION = "1.23.2"
HOME_ENV = "SELFEVAL_LABEL_STUDIO_HOME"
DEFAULT_HOME = Path("labelstudio")
TOKEN_ENV = "LABEL_STUDIO_API_KEY"
ADMIN_EMAIL_ENV = "SELFEVAL_LS_ADMIN_EMAIL"
ADMIN_PASSWORD_ENV = "SELFEVAL_LS_ADMIN_PASSWORD"
PYTHON_ENV = "SELFEVAL_LS_PYTHON"  # the interpreter that builds the venv (default: python3 on PATH)
DEFAULT_ADMIN_EMAIL = "admin@selfeval.localhost"
HOST = "127.0.0.1"
STAMP_NAME = ".selfeval-label-studio-version"
# The review-images folder: the only one our server serves local files from (push writes the task
# images into a folder below it: Label Studio takes no storage on the root itself).
DEFAULT_IMAGES = Path("review-images")
IMAGES_MODE = 0o700  # made so when start() creates it; only we (push) and the server need it

# What the child inherits from the caller's environment; everything else is
# dropped.  Locale, time zone, temp dirs, CA bundles and the OpenBLAS
# work-arounds some processors here need.
_INHERITED = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "TZ", "TMPDIR", "TEMP", "TMP",
              "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
              "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "SYSTEMROOT")
_INHERITED_PREFIXES = ("LC_",)

_TOKEN_RE = re.compile(r"^[A-Za-z0-9._\-]{6,40}$")  # Label Studio applies tokens > 5 chars; the key column is 40


def default_home() -> Path:
    """``$SELFEVAL_LABEL_STUDIO_HOME``, else ``./labelstudio``."""
    return Path(os.environ.get(HOME_ENV) or DEFAULT_HOME)


def _checked_root(files_root: Path | None, home: Path) -> Path:
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
        object.__setattr__(self, "files_root", _checked_root(self.files_root, home))

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


@dataclass(frozen=True)
class AdminAccount:
    email: str
    password: str = field(repr=False)


# --------------------------------------------------------------------------- install


def ensure_installed(settings: ServerSettings) -> Path:
    """Install Label Studio into ``settings.venv`` once; return its ``label-studio`` executable."""
    _make_home(settings)
    with _locked(settings.home / ".install.lock"):
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
    found = subprocess.run([str(python), "-c",
                            "import importlib.metadata as m; print(m.version('label-studio'))"],
                           capture_output=True, text=True, env=_install_env()).stdout.strip()
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
    probe = subprocess.run([found, "-c", "import sys, venv, ensurepip; print(sys.version_info >= (3, 10))"],
                           capture_output=True, text=True)
    if probe.stdout.strip() != "True":
        raise MissingDependency(f"{found}: cannot build a virtual environment for Label Studio (it needs "
                                f"Python >= 3.10 with the venv and ensurepip modules; on Debian/Ubuntu: "
                                f"apt-get install python3-venv), or set {PYTHON_ENV} to such an interpreter")
    return found


def _install_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH", "PIP_REQUIRE_VIRTUALENV", "PIP_USER"):
        env.pop(name, None)
    return env


def _run_logged(cmd: list[str], settings: ServerSettings, what: str, hint: str) -> None:
    with _open_private_log(settings.install_log) as out:
        out.write(f"\n$ {' '.join(cmd)}\n".encode())
        out.flush()
        result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=_install_env())
    if result.returncode != 0:
        raise MissingDependency(f"{what} failed (exit {result.returncode}) while installing Label Studio into "
                                f"{settings.venv}; {hint}. Last lines of {settings.install_log}:\n"
                                + _tail(settings.install_log, 15))


# --------------------------------------------------------------------------- token and admin


def read_token(settings: ServerSettings | None = None) -> str:
    """The admin's API token: ``$LABEL_STUDIO_API_KEY``, else ``<home>/token``
    (of the default data folder when no settings are given)."""
    token = _env_token()
    if token:
        return token
    token_file = settings.token_file if settings is not None else default_home().expanduser().absolute() / "token"
    try:
        token = token_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ReviewServerError(f"{token_file}: no API token yet; start the review server once "
                                f"(it creates one) or set {TOKEN_ENV}") from None
    _check_token(token, str(token_file))
    return token


def ensure_token(settings: ServerSettings) -> str:
    """The token as ``read_token``, creating ``<home>/token`` (0600) the first time."""
    if _env_token():
        return read_token(settings)
    if not settings.token_file.exists():
        _make_home(settings)
        with contextlib.suppress(FileExistsError):
            _write_private(settings.token_file, secrets.token_hex(20) + "\n")
    return read_token(settings)


def _env_token() -> str | None:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        _check_token(token, f"${TOKEN_ENV}")
    return token or None


def _check_token(token: str, source: str) -> None:
    if not _TOKEN_RE.match(token):
        raise UsageError(f"{source}: not a usable Label Studio legacy API token (6 to 40 letters, digits, "
                         f"'.', '_' or '-'); copy the admin's token from Label Studio's Account & Settings "
                         f"page, or unset it to use a generated one")


def admin_account(settings: ServerSettings) -> AdminAccount:
    """The admin's e-mail and password: the env variables, else ``<home>/admin.json`` (made once, 0600)."""
    stored: dict = {}
    if settings.admin_file.exists():
        try:
            stored = json.loads(settings.admin_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ReviewServerError(f"{settings.admin_file}: cannot read it ({e}); fix or delete it "
                                    f"(a new password is then generated)") from None
    email = os.environ.get(ADMIN_EMAIL_ENV) or stored.get("email") or DEFAULT_ADMIN_EMAIL
    password = os.environ.get(ADMIN_PASSWORD_ENV) or stored.get("password")
    if not password:
        password = secrets.token_urlsafe(18)
    if stored.get("email") != email or stored.get("password") != password:
        _make_home(settings)
        tmp = settings.admin_file.with_suffix(".tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        _write_private(tmp, json.dumps({"email": email, "password": password}, indent=2) + "\n")
        os.replace(tmp, settings.admin_file)
    return AdminAccount(email, password)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


# --------------------------------------------------------------------------- private files

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SERVER_UMASK = 0o077  # what Label Studio creates later (its database, uploads, exports) is private too


def _make_home(settings: ServerSettings) -> None:
    """Create ``<home>`` if missing, mode 0700 either way."""
    settings.home.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    os.chmod(settings.home, PRIVATE_DIR)


def make_private(settings: ServerSettings) -> None:
    """``<home>`` 0700; our files in it (token, admin.json, logs, pid and lock files) 0600; ``data/``
    recursively 0600 / 0700.  Fixes a data folder made before these rules.  The venv, and anything
    else in ``<home>``, is left alone; symbolic links are not followed."""
    _make_home(settings)
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


def _open_private_log(path: Path):
    """``path`` opened to append, created 0600 (and made 0600 if it was not)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    return os.fdopen(fd, "ab")


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
    _make_home(settings)
    with _locked(settings.home / ".server.lock"):
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
                    _checked_root(root, settings.home)
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
        _rotate(settings.log_file)
        log_start = settings.log_file.stat().st_size if settings.log_file.exists() else 0
        log.info("starting Label Studio %s at %s (data %s, log %s)", LABEL_STUDIO_VERSION, settings.url,
                 settings.data_dir, settings.log_file)
        started = time.monotonic()
        with _open_private_log(settings.log_file) as out:
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
    _write_private(tmp, f"{pid}\n")
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
                                    + _tail(settings.log_file, 20, redact=_token_or_none(settings)))
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
    source = f"${TOKEN_ENV}" if _env_token() else str(settings.token_file)
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


def _tail(path: Path, lines: int, redact: str | None = None) -> str:
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


def _rotate(path: Path, limit: int = 5_000_000) -> None:
    """Keep one older log: the server appends to its log across starts."""
    with contextlib.suppress(FileNotFoundError):
        if path.stat().st_size > limit:
            os.replace(path, path.with_name(path.name + ".1"))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock between processes (two installs or starts of one folder)."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


if __name__ == "__main__":  # a quick manual check: python -m review.server [PORT]
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    server = start(ServerSettings(port=int(sys.argv[1]) if len(sys.argv) > 1 else 8080))
    print(server)
