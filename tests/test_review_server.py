"""review.server (with review.settings, install, credentials and home): install and run a
real Label Studio, and talk to it as the product does."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import socket
import stat
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from extract.errors import SelfevalError, UsageError
from review import server as ls
from review.credentials import (ADMIN_EMAIL_ENV, ADMIN_PASSWORD_ENV, DEFAULT_ADMIN_EMAIL, TOKEN_ENV, AdminAccount,
                                admin_account, ensure_token, read_token)
from review.errors import PortInUse, ReviewServerError, TokenRejected
from review.home import make_private
from review.install import LABEL_STUDIO_VERSION, ensure_installed, installed_version
from review.server import build_child_env, start, stop
from review.settings import DEFAULT_IMAGES, HOME_ENV, ServerSettings

PNG = bytes.fromhex(  # a 1x1 white PNG
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8ffff3f0005fe02fea7d6a4d60000000049454e44ae426082")


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    return call(urllib.request.build_opener(urllib.request.ProxyHandler({})), "GET", url,
                headers={"Authorization": f"Token {token}"} if token else {})


def call(opener, method: str, url: str, body: dict | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """(status, body) of one request; a JSON body if given.  Errors are answers too."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {**(headers or {}), **({"Content-Type": "application/json"} if data is not None else {})}
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def browser() -> tuple[http.cookiejar.CookieJar, urllib.request.OpenerDirector]:
    """A cookie session like a browser's (never through a proxy)."""
    jar = http.cookiejar.CookieJar()
    return jar, urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar))


# --------------------------------------------------------------------------- without a server


def test_child_env_drops_variables_label_studio_would_read(tmp_path):
    settings = ServerSettings(home=tmp_path / "ls", port=18123, files_root=tmp_path / "images")
    caller = {
        "PATH": "/usr/local/bin:/usr/bin", "LANG": "zh_CN.UTF-8", "LC_CTYPE": "zh_CN.UTF-8", "TZ": "Asia/Shanghai",
        # bare names Label Studio's settings read (get_env tries LABEL_STUDIO_X, HEARTEX_X, then X)
        "USERNAME": "bob", "PASSWORD": "hunter2", "PORT": "9999", "HOST": "http://evil", "DEBUG": "1",
        "CI": "true", "HOSTNAME": "box", "SECRET_KEY": "s", "USER_TOKEN": "t" * 10, "DJANGO_DB": "default",
        "LOCAL_FILES_DOCUMENT_ROOT": "/etc", "LABEL_STUDIO_PORT": "1", "HEARTEX_USERNAME": "eve",
        "DJANGO_SETTINGS_MODULE": "x.y", "VIRTUAL_ENV": "/work/main/.venv", "PYTHONPATH": "/nowhere",
        "HOME": "/root", "XDG_DATA_HOME": "/root/.local/share", "http_proxy": "http://proxy:3128",
        "LABEL_STUDIO_API_KEY": "from-the-product-env",
    }
    admin = AdminAccount("admin@example.localhost", "pw-123456")
    env = build_child_env(settings, "a" * 40, admin, environ=caller)

    for name in ("USERNAME", "PASSWORD", "PORT", "HOST", "DEBUG", "CI", "HOSTNAME", "SECRET_KEY", "USER_TOKEN",
                 "DJANGO_DB", "LOCAL_FILES_DOCUMENT_ROOT", "LABEL_STUDIO_PORT", "HEARTEX_USERNAME",
                 "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV", "PYTHONPATH", "XDG_DATA_HOME", "http_proxy",
                 "LABEL_STUDIO_API_KEY"):
        assert name not in env, name
    assert env["PATH"] == f"{settings.venv / 'bin'}:/usr/local/bin:/usr/bin"
    assert (env["LANG"], env["LC_CTYPE"], env["TZ"]) == ("zh_CN.UTF-8", "zh_CN.UTF-8", "Asia/Shanghai")
    assert env["HOME"] == str(settings.home)
    assert env["LABEL_STUDIO_BASE_DATA_DIR"] == str(settings.home / "data")
    assert env["SENTRY_DSN"] == env["FRONTEND_SENTRY_DSN"] == ""
    assert env["COLLECT_ANALYTICS"] == env["LATEST_VERSION_CHECK"] == "false"
    assert env["LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK"] == "true"
    assert env["LABEL_STUDIO_USERNAME"] == "admin@example.localhost"
    assert env["LABEL_STUDIO_PASSWORD"] == "pw-123456"
    assert env["LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN"] == "true"
    assert env["LABEL_STUDIO_USER_TOKEN"] == "a" * 40
    assert env["LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED"] == "true"
    assert env["LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT"] == str(tmp_path / "images")


def test_command_binds_loopback_and_keeps_secrets_out_of_argv(tmp_path):
    settings = ServerSettings(home=tmp_path, port=18124)
    cmd = ls.server_command(settings)
    assert cmd[:2] == [str(tmp_path / "venv" / "bin" / "label-studio"), "start"]
    assert cmd[cmd.index("--internal-host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--port") + 1] == "18124"
    assert cmd[cmd.index("--data-dir") + 1] == str(tmp_path / "data")
    assert "--no-browser" in cmd
    assert not {"--password", "--username", "--user-token", "--host"} & set(cmd)


@pytest.mark.parametrize("kwargs", [
    {"port": 0}, {"port": 70000}, {"port": "8080"}, {"port": True},
])
def test_settings_validate_themselves(tmp_path, kwargs):
    with pytest.raises(UsageError):
        ServerSettings(home=tmp_path, files_root=tmp_path.parent / "images", **kwargs)


@pytest.mark.parametrize("root, says", [
    ("/", "whole file system"),
    ("/.", "whole file system"),
    ("{home}", "contains the Label Studio data folder"),
    ("{home}/..", "contains the Label Studio data folder"),
    ("{tmp}", "contains the Label Studio data folder"),
    ("{home}/data", "lies inside the Label Studio data folder"),
    ("{home}/images", "lies inside the Label Studio data folder"),
    ("{tmp}/to-home/data", "lies inside the Label Studio data folder"),  # through a symbolic link
    ("{tmp}/link-to-home", "contains the Label Studio data folder"),
    ("{tmp}/a-file", "not a folder"),
])
def test_a_files_root_that_would_serve_more_than_images_is_refused(tmp_path, root, says):
    home = tmp_path / "ls"
    home.mkdir()
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "link-to-home").symlink_to(home)
    (tmp_path / "to-home").symlink_to(home)
    with pytest.raises(UsageError, match=says):
        ServerSettings(home=home, files_root=Path(root.format(home=home, tmp=tmp_path)))


def test_the_files_root_defaults_to_review_images_and_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(HOME_ENV, raising=False)
    assert DEFAULT_IMAGES == Path("review-images")
    assert ServerSettings().files_root == tmp_path / "review-images"   # missing: created when the server starts
    assert not (tmp_path / "review-images").exists()
    assert ServerSettings(files_root=Path("scans/../pages")).files_root == tmp_path / "pages"
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    assert ServerSettings(files_root=Path("alias")).files_root == tmp_path / "real"  # as Label Studio compares


def test_the_images_root_is_created_private_when_missing(tmp_path):
    settings = ServerSettings(home=tmp_path / "ls", files_root=tmp_path / "review" / "images")
    ls._make_images_root(settings)
    assert settings.files_root.is_dir() and stat.S_IMODE(settings.files_root.stat().st_mode) == 0o700


def test_a_running_server_that_serves_too_much_is_not_reused(tmp_path, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    settings = ServerSettings(home=tmp_path / "ls", port=18125, files_root=tmp_path / "images")
    monkeypatch.setattr(ls, "_our_server", lambda s: (4242, 18125))  # an older start, with the root "/"
    monkeypatch.setattr(ls, "_served_root", lambda pid: Path("/"))
    with pytest.raises(ReviewServerError, match=r"serves local files below /, which lets every reviewer .*--stop"):
        start(settings)


def test_make_private_fixes_an_old_data_folder_and_leaves_the_venv(tmp_path):
    home = tmp_path / "ls"
    (home / "data" / "media" / "upload").mkdir(parents=True)
    (home / "venv" / "bin").mkdir(parents=True)
    secrets = [home / "token", home / "admin.json", home / "server.pid", home / "server.log",
               home / "server.log.1", home / "install.log", home / ".server.lock",
               home / "data" / "label_studio.sqlite3", home / "data" / "media" / "upload" / "scan.png"]
    for path in secrets:
        path.write_text("secret")
        path.chmod(0o644)
    (home / "venv" / "bin" / "python").write_text("#!")
    (home / "venv" / "bin" / "python").chmod(0o755)
    (home / "venv").chmod(0o755)
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours")
    outside.chmod(0o644)
    (home / "data" / "link").symlink_to(outside)
    for folder in (home, home / "data", home / "data" / "media", home / "data" / "media" / "upload"):
        folder.chmod(0o755)

    make_private(ServerSettings(home=home, files_root=tmp_path / "images"))

    mode = lambda p: stat.S_IMODE(p.lstat().st_mode)  # noqa: E731
    for folder in (home, home / "data", home / "data" / "media", home / "data" / "media" / "upload"):
        assert mode(folder) == 0o700, folder
    for path in secrets:
        assert mode(path) == 0o600, path
    assert (mode(home / "venv"), mode(home / "venv" / "bin" / "python")) == (0o755, 0o755)  # not secret
    assert mode(outside) == 0o644  # a link is not followed


def test_settings_home_defaults_to_env_then_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(HOME_ENV, raising=False)
    assert ServerSettings().home == tmp_path / "labelstudio"
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "elsewhere"))
    assert ServerSettings().home == tmp_path / "elsewhere"
    assert ServerSettings(home=tmp_path / "arg").home == tmp_path / "arg"
    (tmp_path / "afile").write_text("x")
    with pytest.raises(UsageError):
        ServerSettings(home=tmp_path / "afile")


def test_token_and_admin_files_are_private_and_stable(tmp_path, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    monkeypatch.delenv(ADMIN_EMAIL_ENV, raising=False)
    monkeypatch.delenv(ADMIN_PASSWORD_ENV, raising=False)
    settings = ServerSettings(home=tmp_path)
    with pytest.raises(ReviewServerError, match="no API token yet"):
        read_token(settings)
    token = ensure_token(settings)
    assert len(token) == 40 and int(token, 16) >= 0
    assert ensure_token(settings) == read_token(settings) == token
    admin = admin_account(settings)
    assert admin_account(settings) == admin and admin.email == DEFAULT_ADMIN_EMAIL
    assert admin.password not in repr(admin)
    for path in (settings.token_file, settings.admin_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert json.loads(settings.admin_file.read_text())["password"] == admin.password

    monkeypatch.setenv(TOKEN_ENV, "b" * 40)
    monkeypatch.setenv(ADMIN_EMAIL_ENV, "me@example.localhost")
    monkeypatch.setenv(ADMIN_PASSWORD_ENV, "chosen-password")
    assert read_token(settings) == "b" * 40
    assert admin_account(settings) == AdminAccount("me@example.localhost", "chosen-password")
    monkeypatch.setenv(TOKEN_ENV, "no spaces allowed")
    with pytest.raises(UsageError):
        read_token(settings)


def test_busy_port_is_a_typed_error_before_anything_is_installed(tmp_path, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        settings = ServerSettings(home=tmp_path / "ls", port=port, files_root=tmp_path / "images")
        assert not ls.port_is_free(port)
        with pytest.raises(PortInUse) as caught:
            start(settings)
    assert caught.value.port == port and str(port) in caught.value.message
    assert isinstance(caught.value, SelfevalError) and caught.value.exit_code == ReviewServerError.exit_code
    assert not settings.venv.exists() and not settings.files_root.exists()  # failed fast: no install for nothing
    assert ls.port_is_free(port)


def test_stop_leaves_a_process_that_is_not_our_server_alone(tmp_path):
    settings = ServerSettings(home=tmp_path)
    assert stop(settings) is False
    settings.pid_file.write_text(f"{os.getpid()}\n")  # a stale PID file naming some other live process
    assert stop(settings) is False
    assert not settings.pid_file.exists()


# --------------------------------------------------------------------------- against the real server


@pytest.mark.labelstudio
def test_server_is_healthy_and_accepts_only_its_token(label_studio):
    assert label_studio.url.startswith("http://127.0.0.1:")
    assert get(f"{label_studio.url}/health")[0] == 200
    status, body = get(f"{label_studio.url}/api/current-user/whoami", label_studio.token)
    assert status == 200
    assert json.loads(body)["email"] == admin_account(ServerSettings(home=label_studio.home)).email
    assert get(f"{label_studio.url}/api/current-user/whoami", "0" * 40)[0] == 401
    assert get(f"{label_studio.url}/api/current-user/whoami")[0] == 401
    assert label_studio.token not in repr(label_studio)


@pytest.mark.labelstudio
def test_signup_without_an_invite_link_is_refused(label_studio):
    _, session = browser()
    page = session.open(f"{label_studio.url}/user/signup/", timeout=30).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "email": "intruder@example.com",
                                   "password": "An-intruder-1234"}).encode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        session.open(urllib.request.Request(f"{label_studio.url}/user/signup/", data=form), timeout=30)
    assert refused.value.code == 403
    assert b"csrf" not in refused.value.read().lower()  # refused as a signup, not for a bad form
    status, body = get(f"{label_studio.url}/api/users/", label_studio.token)
    assert status == 200 and "intruder@example.com" not in [u["email"] for u in json.loads(body)]


@pytest.mark.labelstudio
def test_start_again_reuses_the_running_server(label_studio, label_studio_settings):
    again = start(label_studio_settings)
    assert again.reused and (again.pid, again.url, again.token) == (label_studio.pid, label_studio.url,
                                                                    label_studio.token)
    found = ls.find_running(label_studio_settings)
    assert found is not None and (found.pid, found.port, found.files_root) == (
        label_studio.pid, label_studio.port, label_studio.files_root)


@pytest.mark.labelstudio
def test_start_on_another_port_or_root_while_running_is_refused(label_studio, label_studio_settings, tmp_path):
    other_port = ServerSettings(home=label_studio.home, port=_free_port(), files_root=label_studio.files_root)
    with pytest.raises(ReviewServerError, match=f"already runs on port {label_studio.port}"):
        start(other_port)
    other_root = ServerSettings(home=label_studio.home, port=label_studio.port, files_root=tmp_path)
    with pytest.raises(ReviewServerError, match="serves local files below"):
        start(other_root)


@pytest.mark.labelstudio
def test_a_token_the_server_does_not_know_is_a_typed_error(label_studio, label_studio_settings, monkeypatch):
    wrong = "c" * 40
    monkeypatch.setenv(TOKEN_ENV, wrong)
    with pytest.raises(TokenRejected) as caught:
        start(label_studio_settings)
    assert wrong not in caught.value.message and label_studio.token not in caught.value.message
    assert TOKEN_ENV in caught.value.message  # says what to do
    assert get(f"{label_studio.url}/health")[0] == 200  # and left the running server alone


@pytest.mark.labelstudio
def test_install_is_recorded_and_not_repeated(label_studio_settings, label_studio, monkeypatch):
    assert installed_version(label_studio_settings) == LABEL_STUDIO_VERSION

    def no_subprocess(*args, **kwargs):
        raise AssertionError("ensure_installed ran a command although Label Studio is installed")

    monkeypatch.setattr(ls.subprocess, "run", no_subprocess)
    assert ensure_installed(label_studio_settings) == label_studio_settings.executable


@pytest.mark.labelstudio
def test_secrets_stay_out_of_the_logs(label_studio, label_studio_settings):
    admin = admin_account(label_studio_settings)
    for log in (label_studio_settings.log_file, label_studio_settings.install_log):
        if log.exists():
            text = log.read_text(errors="replace")
            assert label_studio.token not in text and admin.password not in text, log


@pytest.mark.labelstudio
def test_product_sdk_talks_to_it_and_local_files_are_served(label_studio, review_images, tmp_path):
    assert review_images.resolve().parent == label_studio.files_root
    assert not tmp_path.resolve().is_relative_to(label_studio.files_root)  # the test temp folders are not served
    pages = review_images / "pages"
    pages.mkdir()
    (pages / "page-1.png").write_bytes(PNG)

    client = label_studio.client()
    project = client.projects.create(
        title=f"server test {os.getpid()}",  # titles are at most 50 characters
        label_config='<View><Image name="page" value="$image"/>'
                     '<RectangleLabels name="box" toName="page"><Label value="cell"/></RectangleLabels></View>')
    try:
        assert project.id in [p.id for p in client.projects.list()]
        storage = client.import_storage.local.create(project=project.id, path=str(pages.resolve()),
                                                     regex_filter=r".*\.png", use_blob_urls=True)
        client.import_storage.local.sync(id=storage.id)
        tasks = list(client.tasks.list(project=project.id))
        assert len(tasks) == 1
        url = tasks[0].data["image"]
        assert url.startswith("/data/local-files/?d=")
        status, body = get(label_studio.url + url, label_studio.token)
        assert (status, body) == (200, PNG)
        # a folder outside the root is refused
        for outside in ("/proc/self", str(tmp_path.resolve()), str(label_studio.home)):
            with pytest.raises(Exception, match="must be a subdirectory of LOCAL_FILES_DOCUMENT_ROOT"):
                client.import_storage.local.create(project=project.id, path=outside)
    finally:
        client.projects.delete(id=project.id)


# Who may read what.  Label Studio 1.23.2 confines Local Files to LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT
# (our review-images folder) in two places, in its io_storages/localfiles package:
# - models.py, LocalFilesMixin.validate_connection (run when any storage, import or export, is created or
#   validated): the path, after os.path.normpath (functions.normalize_storage_path, so "root/../../etc" is
#   "/etc"), must exist and lie strictly below the root (`document_root in path.parents`; the root itself is
#   refused too).  It is a comparison of text: links are not resolved, which is why ServerSettings resolves
#   the root and why no link out of it may be put below it.
# - views.py, localfiles_data (GET /data/local-files/?d=...): only for a logged-in user; d is
#   posixpath.normpath'ed and joined to the root with django.utils._os.safe_join, which raises
#   SuspiciousFileOperation for a path outside the root (surfaced as HTTP 500 by Label Studio's exception
#   handler); then the file is served only if its folder lies within the path of a Local Files import storage
#   of a project the user may see (_is_within_storage), else 404.
# In the community edition every member of the organisation may see every project and create storages, so
# all that protects the server's data and the rest of the machine is that root: never "/", never holding the
# data folder (ServerSettings refuses both).


class Reviewer:
    """Someone who joined through the organisation's invite link, using a browser's cookie session."""

    def __init__(self, url: str, jar: http.cookiejar.CookieJar, session, email: str):
        self.url, self.jar, self.session, self.email = url, jar, session, email

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        csrf = next(c.value for c in self.jar if c.name == "csrftoken")  # what the web app sends with a change
        return call(self.session, method, self.url + path, body, {"X-CSRFToken": csrf})


@pytest.fixture
def invited_reviewer(label_studio):
    admin = {"Authorization": f"Token {label_studio.token}"}
    plain = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    status, body = call(plain, "GET", f"{label_studio.url}/api/invite", headers=admin)
    assert status == 200, body
    invite = json.loads(body)["invite_url"]
    assert invite.startswith("/user/signup/?token=")

    jar, session = browser()
    page = session.open(label_studio.url + invite, timeout=30).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    email = f"reviewer-{os.getpid()}-{secrets.token_hex(4)}@example.com"
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "email": email,
                                   "password": "A-reviewer-pass-" + secrets.token_hex(4)}).encode()
    with session.open(urllib.request.Request(label_studio.url + invite, data=form), timeout=30) as joined:
        assert joined.status == 200 and "/user/signup" not in joined.url  # signed up, logged in, sent on
    reviewer = Reviewer(label_studio.url, jar, session, email)
    status, body = reviewer.call("GET", "/api/current-user/whoami")
    assert status == 200 and json.loads(body)["email"] == email
    user_id = json.loads(body)["id"]
    try:
        yield reviewer
    finally:
        status, body = call(plain, "DELETE", f"{label_studio.url}/api/users/{user_id}/", headers=admin)
        assert status == 204, body


@pytest.mark.labelstudio
def test_a_member_who_joined_by_invite_reads_review_images_and_nothing_else(label_studio, invited_reviewer,
                                                                            review_images, tmp_path):
    root, home = label_studio.files_root, label_studio.home
    settings = ServerSettings(home=home, files_root=root)
    secret = tmp_path / "planted-secret.txt"  # outside the images folder: the test temp folders are not served
    secret.write_text(f"planted secret {secrets.token_hex(16)}\n")
    (database,) = settings.data_dir.glob("*.sqlite3")  # holds the admin's token in plain text
    secrets_here = {secret: secret.read_bytes().strip(),
                    settings.admin_file: json.loads(settings.admin_file.read_text())["password"].encode(),
                    settings.token_file: label_studio.token.encode(),
                    database: b"SQLite format 3",
                    Path("/etc/passwd"): b"root:x:0:0:"}
    pages = review_images / "pages"
    pages.mkdir()
    (pages / "page-1.png").write_bytes(PNG)

    reviewer = invited_reviewer
    status, body = reviewer.call("POST", "/api/projects", {
        "title": f"intruder test {os.getpid()}",
        "label_config": '<View><Image name="page" value="$image"/>'
                        '<RectangleLabels name="box" toName="page"><Label value="cell"/></RectangleLabels></View>'})
    assert status == 201, body
    project = json.loads(body)["id"]
    try:
        # (a) no storage outside the images folder, however the path is written
        up = "../" * len(root.parts)
        for path in ("/etc", str(home), str(settings.data_dir), str(tmp_path), "/", str(root), f"{root}/",
                     f"{root}/{up}etc", f"{review_images}/{up}{str(home).lstrip('/')}", "data", "../etc"):
            for kind in ("localfiles", "export/localfiles"):  # reading, and writing annotations there
                status, body = reviewer.call("POST", f"/api/storages/{kind}",
                                             {"project": project, "path": path, "use_blob_urls": True})
                assert status == 400, (kind, path, status, body)
                assert b"Validation error" in body, (kind, path, body)
        status, body = reviewer.call("GET", f"/api/storages/localfiles?project={project}")
        assert status == 200 and json.loads(body) == []

        # (c) but a storage on a folder of review images works, and serves them
        status, body = reviewer.call("POST", "/api/storages/localfiles", {
            "project": project, "path": str(pages), "regex_filter": r".*\.png", "use_blob_urls": True})
        assert status == 201, body
        storage = json.loads(body)["id"]
        assert reviewer.call("POST", f"/api/storages/localfiles/{storage}/sync")[0] == 200
        status, body = reviewer.call("GET", f"/api/tasks?project={project}")
        assert status == 200, body
        (task,) = json.loads(body)["tasks"]
        image = task["data"]["image"]
        assert image == "/data/local-files/?d=" + urllib.parse.quote(str((pages / "page-1.png").relative_to(root)))
        assert reviewer.call("GET", image) == (200, PNG)

        # (b) and through that storage nothing outside it: ../, absolute paths, encodings
        sub = str(pages.relative_to(root))
        q = urllib.parse.quote
        for target, wanted in secrets_here.items():
            relative = os.path.relpath(target, root)  # ../../…
            attempts = {
                # normpath keeps the leading ../ and safe_join raises SuspiciousFileOperation: 500
                q(relative): 500,
                relative: 500,
                q(f"{sub}/../../{'../' * len(pages.parts)}{str(target).lstrip('/')}"): 500,
                q(f"{sub}/{os.path.relpath(target, pages)}"): 500,
                q(f"{sub}/page-1.png\0/../{os.path.relpath(target, pages)}"): 500,
                # an absolute path is read below the root (its leading / is stripped): no storage there, 404
                q(str(target)): 404,
                q(f"/{target}"): 404,
                q(f"file://{target}"): 404,
                # encodings that are decoded once only stay names, not steps up: 404
                q(relative.replace("/", "%2f")): 404,
                q(relative.replace("..", "%2e%2e")): 404,
                q(f"{sub}/{os.path.relpath(target, pages)}".replace("/", "%2F")): 404,
                q(f"{sub}\\" + os.path.relpath(target, pages).replace("/", "\\")): 404,
            }
            for d, status_wanted in attempts.items():
                status, body = reviewer.call("GET", f"/data/local-files/?d={d}")
                assert status == status_wanted, (target, d, status, body[:300])
                assert wanted not in body and PNG not in body, (target, d)

        # and without a session at all, not even the image
        assert get(label_studio.url + image)[0] == 401
    finally:
        call(urllib.request.build_opener(urllib.request.ProxyHandler({})), "DELETE",
             f"{label_studio.url}/api/projects/{project}/", headers={"Authorization": f"Token {label_studio.token}"})


@pytest.mark.labelstudio
def test_the_data_folder_is_private(label_studio):
    settings = ServerSettings(home=label_studio.home, files_root=label_studio.files_root)
    mode = lambda path: stat.S_IMODE(path.lstat().st_mode)  # noqa: E731
    assert mode(settings.home) == 0o700
    for path in (settings.token_file, settings.admin_file, settings.pid_file, settings.log_file):
        assert mode(path) == 0o600, path
    (database,) = settings.data_dir.glob("*.sqlite3")
    assert database.name == "label_studio.sqlite3" and mode(database) == 0o600
    assert mode(settings.data_dir) == 0o700
    # everything Label Studio wrote, also since this start (umask 077): no bits for group or others
    exposed = []
    for path in settings.data_dir.rglob("*"):
        try:
            if not path.is_symlink() and mode(path) & 0o077:
                exposed.append(path)
        except FileNotFoundError:  # a journal the server removed meanwhile
            pass
    assert exposed == []
    with open(f"/proc/{label_studio.pid}/status") as status:
        assert re.search(r"^Umask:\s+0077$", status.read(), re.M)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
