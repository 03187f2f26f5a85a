"""The product's one door to a Label Studio server: label-studio-sdk calls,
with the server's failures turned into typed errors that say what to do.

Works with any Label Studio 1.23-compatible server, ours (`selfeval review
server`) or a team's: `--url` and the token in $LABEL_STUDIO_API_KEY.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from extract.errors import ReviewProjectGone, ReviewServerError, ReviewUnreachable, TokenRejected, UsageError
from review.server import TOKEN_ENV

URL_ENV = "LABEL_STUDIO_URL"
DEFAULT_URL = "http://127.0.0.1:8080"
# Where push writes task images; the server serves them from a Local Files storage.
DEFAULT_IMAGES = Path("review-images")


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
        http = httpx.Client(timeout=timeout, follow_redirects=True, trust_env=not loopback)
        self._sdk = LabelStudio(base_url=self.url, api_key=token, httpx_client=http)
        self._emails: dict[int, str] = {}

    def __repr__(self) -> str:
        return f"ReviewClient({self.url!r})"

    @classmethod
    def from_environment(cls, url: str | None) -> "ReviewClient":
        token = os.environ.get(TOKEN_ENV)
        if not token:  # our own server's token, from its data folder
            from review.server import ServerSettings, read_token

            try:
                token = read_token(ServerSettings())
            except (ReviewServerError, UsageError):
                token = None
        if not token:
            raise UsageError(f"no Label Studio token: set ${TOKEN_ENV} (Label Studio → Account & Settings → "
                             "Access Token), or start our own server with `selfeval review server`")
        return cls(url or os.environ.get(URL_ENV) or DEFAULT_URL, token)

    # ------------------------------------------------------------ calls

    def check(self) -> str:
        """The e-mail of the token's user; fails clearly if the server or token is wrong."""
        with self._calling("check the token"):
            return self._sdk.users.whoami().email

    def create_project(self, title: str, label_config: str, description: str) -> int:
        with self._calling("create a project"):
            return self._sdk.projects.create(title=title, label_config=label_config, description=description).id

    def project_exists(self, project_id: int) -> bool:
        try:
            with self._calling(f"read project {project_id}"):
                self._sdk.projects.get(id=project_id)
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
                    keys[key] = task.id
        return keys

    def create_task(self, project_id: int, data: dict[str, Any], prediction: dict[str, Any],
                    model_version: str) -> int:
        """One task with its prediction, in one request."""
        request = {"data": data, "predictions": [{**prediction, "model_version": model_version}]}
        with self._calling(f"create a task in project {project_id}"):
            response = self._sdk.projects.import_tasks(id=project_id, request=[request], return_task_ids=True)
        task_ids = getattr(response, "task_ids", None) or []
        if len(task_ids) != 1:
            raise ReviewServerError(f"{self.url} created {len(task_ids)} tasks for one import (expected 1)")
        return int(task_ids[0])

    def task_data(self, task_id: int) -> dict[str, Any]:
        with self._calling(f"read task {task_id}"):
            return dict(self._sdk.tasks.get(id=str(task_id)).data or {})

    def annotations(self, task_id: int) -> list[Annotation]:
        with self._calling(f"read the annotations of task {task_id}"):
            found = self._sdk.annotations.list(id=task_id)
        return [Annotation(a.id, list(a.result or []), _user_id(a.completed_by), str(a.updated_at or a.created_at),
                           bool(a.was_cancelled)) for a in found]

    def user_email(self, user_id: int | None) -> str:
        if user_id is None:
            return "unknown"
        if user_id not in self._emails:
            with self._calling(f"read user {user_id}"):
                self._emails[user_id] = self._sdk.users.get(id=user_id).email or f"user {user_id}"
        return self._emails[user_id]

    @contextlib.contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        import httpx
        from label_studio_sdk.core.api_error import ApiError

        try:
            yield
        except httpx.TransportError as exc:
            raise ReviewUnreachable(
                f"cannot reach Label Studio at {self.url} to {what} ({type(exc).__name__}); start it with "
                "`selfeval review server`, or pass the URL of a running one with --url") from exc
        except ApiError as exc:
            if exc.status_code in (401, 403):
                raise TokenRejected(
                    f"Label Studio at {self.url} rejects the token (HTTP {exc.status_code}) when trying to {what}; "
                    f"set ${TOKEN_ENV} to the Access Token of a user of that server") from exc
            if exc.status_code == 404:
                raise ReviewProjectGone(f"Label Studio at {self.url}: not found when trying to {what}") from exc
            raise ReviewServerError(f"Label Studio at {self.url} failed to {what} (HTTP {exc.status_code}: "
                                    f"{str(exc.body)[:300]})") from exc


def _user_id(completed_by: Any) -> int | None:
    if completed_by is None:
        return None
    if isinstance(completed_by, int):
        return completed_by
    return getattr(completed_by, "id", None)
