"""The product's one door to a Label Studio server: label-studio-sdk calls,
with the server's failures turned into typed errors that say what to do.

Works with any Label Studio 1.23-compatible server, ours (`selfeval review
server`) or a team's: `--url` and the token in $LABEL_STUDIO_API_KEY.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from typing import Any, Iterator

from extract.errors import UsageError
from review.credentials import TOKEN_ENV
from review.errors import ReviewProjectGone, ReviewServerError, ReviewUnreachable, TokenRejected

URL_ENV = "LABEL_STUDIO_URL"
DEFAULT_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class Annotation:
    id: int
    result: list[dict[str, Any]]
    completed_by: int | None
    updated_at: str
    was_cancelled: bool


class ReviewClient:
    """A connected server.  The token is kept out of repr and messages."""

    def __init__(self, url: str, token: str, timeout: float = 60.0):
        import httpx  # the SDK's own dependency; loaded only when a server is used
        from label_studio_sdk import LabelStudio

        if not url.startswith(("http://", "https://")):
            raise UsageError(f"--url must start with http:// or https://, not {url!r}")
        self.url = url.rstrip("/")
        # A proxy from the environment must not see calls to our own loopback server.
        loopback = httpx.URL(self.url).host in ("127.0.0.1", "localhost", "::1")
        # The last answer, to say what came back when it is not Label Studio's.
        self._last: tuple[str, int, str] | None = None
        http = httpx.Client(timeout=timeout, follow_redirects=True, trust_env=not loopback,
                            event_hooks={"response": [self._remember]})
        self._sdk = LabelStudio(base_url=self.url, api_key=token, httpx_client=http)
        self._emails: dict[int, str] = {}

    def __repr__(self) -> str:
        return f"ReviewClient({self.url!r})"

    @classmethod
    def from_environment(cls, url: str | None) -> "ReviewClient":
        token = os.environ.get(TOKEN_ENV)
        if not token:  # our own server's token, from its data folder
            from review.credentials import read_token

            try:
                token = read_token()
            except (ReviewServerError, UsageError):
                token = None
        if not token:
            raise UsageError(f"no Label Studio token: set ${TOKEN_ENV} (Label Studio → Account & Settings → "
                             "Access Token), or start our own server with `selfeval review server`")
        return cls(url or os.environ.get(URL_ENV) or DEFAULT_URL, token)

    # ------------------------------------------------------------ calls

    def check(self) -> str:
        """The e-mail of the token's user; fails clearly if the server or token is wrong."""
        with self._calling("check the token", first=True):
            email = self._sdk.users.whoami().email
            if not isinstance(email, str) or not email:
                raise _NotLabelStudio("a user without an e-mail")
            return email

    def create_project(self, title: str, label_config: str, description: str) -> int:
        with self._calling("create a project", first=True):
            return _an_id(self._sdk.projects.create(title=title, label_config=label_config,
                                                    description=description).id, "a project without an id")

    def project_exists(self, project_id: int) -> bool:
        try:
            with self._calling(f"read project {project_id}"):
                if self._sdk.projects.get(id=project_id).id != project_id:
                    raise _NotLabelStudio(f"not project {project_id}")
        except ReviewProjectGone:
            return False
        return True

    def require_project(self, project_id: int) -> None:
        if not self.project_exists(project_id):
            raise ReviewProjectGone(
                f"review project {project_id} is no longer on {self.url} (deleted?); the store keeps its "
                "fields in review. Run `selfeval review push --new-project` to push them into a new project")

    def ensure_local_storage(self, project_id: int, folder: str) -> None:
        """A Local Files storage over `folder`, through which the server serves the task images."""
        with self._calling("set up the image storage"):
            storages = self._sdk.import_storage.local.list(project=project_id)
            if not isinstance(storages, list):
                raise _NotLabelStudio("not a list of storages")
            if any((s.path or "").rstrip("/") == folder.rstrip("/") for s in storages):
                return
            self._sdk.import_storage.local.create(project=project_id, path=folder, title="selfeval review images",
                                                  use_blob_urls=False)

    def task_keys(self, project_id: int) -> dict[str, int]:
        """Task id by our key (data.key) for the tasks of a project."""
        keys: dict[str, int] = {}
        with self._calling(f"list the tasks of project {project_id}"):
            for task in self._sdk.tasks.list(project=project_id, fields="all"):
                key = (task.data or {}).get("key")
                if key:
                    keys[key] = _an_id(task.id, "a task without an id")
        return keys

    def create_task(self, project_id: int, data: dict[str, Any], prediction: dict[str, Any],
                    model_version: str) -> int:
        """One task with its prediction, in one request."""
        request = {"data": data, "predictions": [{**prediction, "model_version": model_version}]}
        with self._calling(f"create a task in project {project_id}"):
            response = self._sdk.projects.import_tasks(id=project_id, request=[request], return_task_ids=True)
            task_ids = response.task_ids
            if not isinstance(task_ids, list):
                raise _NotLabelStudio("no task ids")
            if len(task_ids) != 1:
                raise ReviewServerError(f"{self.url} created {len(task_ids)} tasks for one import (expected 1)")
            return _an_id(task_ids[0], "a task id that is no number")

    def task_data(self, task_id: int) -> dict[str, Any]:
        with self._calling(f"read task {task_id}"):
            data = self._sdk.tasks.get(id=str(task_id)).data
            if not isinstance(data, dict):
                raise _NotLabelStudio("a task without data")
            return dict(data)

    def annotations(self, task_id: int) -> list[Annotation]:
        with self._calling(f"read the annotations of task {task_id}"):
            found = self._sdk.annotations.list(id=task_id)
            if not isinstance(found, list):
                raise _NotLabelStudio("not a list of annotations")
            return [Annotation(_an_id(a.id, "an annotation without an id"), list(a.result or []),
                               _user_id(a.completed_by), str(a.updated_at or a.created_at), bool(a.was_cancelled))
                    for a in found]

    def user_email(self, user_id: int | None) -> str:
        if user_id is None:
            return "unknown"
        if user_id not in self._emails:
            with self._calling(f"read user {user_id}"):
                self._emails[user_id] = self._sdk.users.get(id=user_id).email or f"user {user_id}"
        return self._emails[user_id]

    def _remember(self, response) -> None:
        """httpx response hook: the request and the start of the answer."""
        try:
            response.read()
            body = response.text
        except Exception:  # noqa: BLE001 - a body we cannot read is shown as none
            body = ""
        request = f"{response.request.method} {response.request.url.path}"
        self._last = (request, response.status_code, " ".join(body[:1000].split())[:100])

    def _answered(self) -> str:
        """`GET /api/... answered HTTP 200 "<body>"`, or how the server failed to answer."""
        if self._last is None:
            return "no answer"
        request, status, body = self._last
        return f"{request} answered HTTP {status} " + (f"\"{body}\"" if body else "with an empty body")

    def _not_label_studio(self, what: str, why: str = "") -> ReviewServerError:
        why = f" ({why})" if why else ""
        return ReviewServerError(
            f"{self.url} does not look like Label Studio: trying to {what}, {self._answered()}{why}; "
            f"check --url (or ${URL_ENV}) names a Label Studio server")

    @contextlib.contextmanager
    def _calling(self, what: str, first: bool = False) -> Iterator[None]:
        """Turn the failures of the calls in the block into typed errors.

        `first`: a call that any Label Studio answers (whoami, creating a
        project), so that a 404 means the URL is not one, not that a project
        was deleted."""
        import httpx
        from label_studio_sdk.core.api_error import ApiError
        from pydantic import ValidationError

        try:
            from label_studio_sdk.core.parse_error import ParsingError
        except ImportError:  # pragma: no cover - older SDKs raise pydantic's error itself
            ParsingError = ValidationError  # noqa: N806

        self._last = None
        try:
            yield
        except httpx.TransportError as exc:
            raise ReviewUnreachable(
                f"cannot reach Label Studio at {self.url} to {what} ({type(exc).__name__}); start it with "
                "`selfeval review server`, or pass the URL of a running one with --url") from exc
        except ApiError as exc:
            status = exc.status_code or 0
            if status in (401, 403):
                raise TokenRejected(
                    f"Label Studio at {self.url} rejects the token (HTTP {status}) when trying to {what}; "
                    f"set ${TOKEN_ENV} to the Access Token of a user of that server") from exc
            if 200 <= status < 300:  # an answer that is not JSON
                raise self._not_label_studio(what, "not JSON") from exc
            if status == 404 and first:
                raise self._not_label_studio(what) from exc
            if status == 404:
                raise ReviewProjectGone(f"Label Studio at {self.url}: not found when trying to {what}") from exc
            raise ReviewServerError(f"Label Studio at {self.url} failed to {what} (HTTP {status}: "
                                    f"{' '.join(str(exc.body).split())[:300]})") from exc
        except _NotLabelStudio as exc:
            raise self._not_label_studio(what, exc.why) from exc
        except (ParsingError, ValidationError, json.JSONDecodeError, AttributeError, TypeError, KeyError) as exc:
            # the SDK could not read the answer as Label Studio's
            raise self._not_label_studio(what, type(exc).__name__) from exc


class _NotLabelStudio(Exception):
    """An answer that parsed, but not as Label Studio's."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


def _an_id(value: Any, why: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _NotLabelStudio(why)
    return value


def _user_id(completed_by: Any) -> int | None:
    if completed_by is None:
        return None
    if isinstance(completed_by, int):
        return completed_by
    return getattr(completed_by, "id", None)
