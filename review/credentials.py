"""The admin's API token and account for our Label Studio.

The token is ``$LABEL_STUDIO_API_KEY``, else ``<home>/token`` (generated at
the first start); the admin's e-mail and password the environment's, else
``<home>/admin.json`` (generated once).  Both files are 0600.  The token is
never logged or printed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from dataclasses import dataclass, field

from extract.errors import UsageError
from review.errors import ReviewServerError
from review.home import make_home, write_private
from review.settings import ServerSettings, default_home

TOKEN_ENV = "LABEL_STUDIO_API_KEY"
ADMIN_EMAIL_ENV = "SELFEVAL_LS_ADMIN_EMAIL"
ADMIN_PASSWORD_ENV = "SELFEVAL_LS_ADMIN_PASSWORD"
DEFAULT_ADMIN_EMAIL = "admin@selfeval.localhost"

_TOKEN_RE = re.compile(r"^[A-Za-z0-9._\-]{6,40}$")  # Label Studio applies tokens > 5 chars; the key column is 40


@dataclass(frozen=True)
class AdminAccount:
    email: str
    password: str = field(repr=False)


def read_token(settings: ServerSettings | None = None) -> str:
    """The admin's API token: ``$LABEL_STUDIO_API_KEY``, else ``<home>/token``
    (of the default data folder when no settings are given)."""
    token = env_token()
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
    if env_token():
        return read_token(settings)
    if not settings.token_file.exists():
        make_home(settings)
        with contextlib.suppress(FileExistsError):
            write_private(settings.token_file, secrets.token_hex(20) + "\n")
    return read_token(settings)


def env_token() -> str | None:
    """``$LABEL_STUDIO_API_KEY``, checked, or None when it is not set."""
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
        make_home(settings)
        tmp = settings.admin_file.with_suffix(".tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        write_private(tmp, json.dumps({"email": email, "password": password}, indent=2) + "\n")
        os.replace(tmp, settings.admin_file)
    return AdminAccount(email, password)
