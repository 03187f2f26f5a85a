"""review.server: install and run a real Label Studio, and talk to it as the product does."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import stat
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from extract.errors import PortInUse, ReviewServerError, SelfevalError, TokenRejected, UsageError
from review import server as ls
from review.server import AdminAccount, ServerSettings, build_child_env, ensure_installed, start, stop

PNG = bytes.fromhex(  # a 1x1 white PNG
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8ffff3f0005fe02fea7d6a4d60000000049454e44ae426082")


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"} if token else {})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# --------------------------------------------------------------------------- without a server


def test_child_env_drops_variables_label_studio_would_read(tmp_path):
    settings = ServerSettings(home=tmp_path / "ls", port=18123, files_root=tmp_path)
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
    assert env["LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT"] == str(tmp_path)


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
    {"files_root": Path("relative/root")}, {"files_root": Path("/no/such/folder")},
])
def test_settings_validate_themselves(tmp_path, kwargs):
    with pytest.raises(UsageError):
        ServerSettings(home=tmp_path, **kwargs)


def test_settings_home_defaults_to_env_then_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ls.HOME_ENV, raising=False)
    assert ServerSettings().home == tmp_path / "labelstudio"
    monkeypatch.setenv(ls.HOME_ENV, str(tmp_path / "elsewhere"))
    assert ServerSettings().home == tmp_path / "elsewhere"
    assert ServerSettings(home=tmp_path / "arg").home == tmp_path / "arg"
    (tmp_path / "afile").write_text("x")
    with pytest.raises(UsageError):
        ServerSettings(home=tmp_path / "afile")


def test_token_and_admin_files_are_private_and_stable(tmp_path, monkeypatch):
    monkeypatch.delenv(ls.TOKEN_ENV, raising=False)
    monkeypatch.delenv(ls.ADMIN_EMAIL_ENV, raising=False)
    monkeypatch.delenv(ls.ADMIN_PASSWORD_ENV, raising=False)
    settings = ServerSettings(home=tmp_path)
    with pytest.raises(ReviewServerError, match="no API token yet"):
        ls.read_token(settings)
    token = ls.ensure_token(settings)
    assert len(token) == 40 and int(token, 16) >= 0
    assert ls.ensure_token(settings) == ls.read_token(settings) == token
    admin = ls.admin_account(settings)
    assert ls.admin_account(settings) == admin and admin.email == ls.DEFAULT_ADMIN_EMAIL
    assert admin.password not in repr(admin)
    for path in (settings.token_file, settings.admin_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert json.loads(settings.admin_file.read_text())["password"] == admin.password

    monkeypatch.setenv(ls.TOKEN_ENV, "b" * 40)
    monkeypatch.setenv(ls.ADMIN_EMAIL_ENV, "me@example.localhost")
    monkeypatch.setenv(ls.ADMIN_PASSWORD_ENV, "chosen-password")
    assert ls.read_token(settings) == "b" * 40
    assert ls.admin_account(settings) == AdminAccount("me@example.localhost", "chosen-password")
    monkeypatch.setenv(ls.TOKEN_ENV, "no spaces allowed")
    with pytest.raises(UsageError):
        ls.read_token(settings)


def test_busy_port_is_a_typed_error_before_anything_is_installed(tmp_path, monkeypatch):
    monkeypatch.delenv(ls.TOKEN_ENV, raising=False)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        settings = ServerSettings(home=tmp_path / "ls", port=port)
        assert not ls.port_is_free(port)
        with pytest.raises(PortInUse) as caught:
            start(settings)
    assert caught.value.port == port and str(port) in caught.value.message
    assert isinstance(caught.value, SelfevalError) and caught.value.exit_code == ReviewServerError.exit_code
    assert not settings.venv.exists()  # failed fast: no install for nothing
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
    assert json.loads(body)["email"] == ls.admin_account(ServerSettings(home=label_studio.home)).email
    assert get(f"{label_studio.url}/api/current-user/whoami", "0" * 40)[0] == 401
    assert get(f"{label_studio.url}/api/current-user/whoami")[0] == 401
    assert label_studio.token not in repr(label_studio)


@pytest.mark.labelstudio
def test_signup_without_an_invite_link_is_refused(label_studio):
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar))
    page = browser.open(f"{label_studio.url}/user/signup/", timeout=30).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "email": "intruder@example.com",
                                   "password": "An-intruder-1234"}).encode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        browser.open(urllib.request.Request(f"{label_studio.url}/user/signup/", data=form), timeout=30)
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
    monkeypatch.setenv(ls.TOKEN_ENV, wrong)
    with pytest.raises(TokenRejected) as caught:
        start(label_studio_settings)
    assert wrong not in caught.value.message and label_studio.token not in caught.value.message
    assert ls.TOKEN_ENV in caught.value.message  # says what to do
    assert get(f"{label_studio.url}/health")[0] == 200  # and left the running server alone


@pytest.mark.labelstudio
def test_install_is_recorded_and_not_repeated(label_studio_settings, label_studio, monkeypatch):
    assert ls.installed_version(label_studio_settings) == ls.LABEL_STUDIO_VERSION

    def no_subprocess(*args, **kwargs):
        raise AssertionError("ensure_installed ran a command although Label Studio is installed")

    monkeypatch.setattr(ls.subprocess, "run", no_subprocess)
    assert ensure_installed(label_studio_settings) == label_studio_settings.executable


@pytest.mark.labelstudio
def test_secrets_stay_out_of_the_logs(label_studio, label_studio_settings):
    admin = ls.admin_account(label_studio_settings)
    for log in (label_studio_settings.log_file, label_studio_settings.install_log):
        if log.exists():
            text = log.read_text(errors="replace")
            assert label_studio.token not in text and admin.password not in text, log


@pytest.mark.labelstudio
def test_product_sdk_talks_to_it_and_local_files_are_served(label_studio, tmp_path):
    assert tmp_path.resolve().is_relative_to(label_studio.files_root)
    pages = tmp_path / "pages"
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
        with pytest.raises(Exception):
            client.import_storage.local.create(project=project.id, path="/proc/self")
    finally:
        client.projects.delete(id=project.id)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
