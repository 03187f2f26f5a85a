"""The review loop: push the uncertain fields to Label Studio, pull the
reviewers' answers back into the store.

- push: one project per ingest batch (created once, then reused), one task
  per form holding its pending cells.  A task is keyed (data.key) by form and
  review round, so a push cut short and run again finds the task it made and
  creates no duplicate; a task already pushed is never written again.
- pull: a task's latest submitted annotation becomes field changes, applied
  with an audit line each, the form re-validated; the task is then closed in
  the store, so a second pull changes nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from extract.errors import BadInputFile, SelfevalError
from extract.model import Finding
from extract.parse.tagger import optional_tagger
from extract.checks.validate import PAGE_UNREADABLE, fields_named_by_findings, validate
from review.client import ReviewClient
from review.crops import CropRequest, write_crop
from review.errors import ReviewServerError
from review.settings import DEFAULT_IMAGES
from review.store import AppliedReview, FormToReview, ReviewStore
from review.tasks import (
    CorrectionError,
    ItemAnswer,
    apply_answer,
    check_prediction,
    label_config,
    prediction,
    read_annotation,
    review_items,
    task_data,
)

log = logging.getLogger("selfeval.review")

# Label Studio takes no Local Files storage on its document root itself:
# when the images folder is the root (our own server's default), the task
# images go into this folder below it.
TASK_IMAGES = "tasks"


@dataclass(frozen=True)
class PushSettings:
    images: Path = DEFAULT_IMAGES        # where task images are written; served by a Local Files storage
    files_root: Path | None = None       # the server's LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT; None: `images`

    def __post_init__(self) -> None:
        images = self.images.resolve()
        root = images if self.files_root is None else self.files_root.resolve()
        if root != images and root not in images.parents:
            raise ValueError(f"the image folder {images} must lie under the server's files root {root}")
        object.__setattr__(self, "files_root", root)

    @property
    def folder(self) -> Path:
        """Where the images are written, and the storage that serves them."""
        images = self.images.resolve()
        return images / TASK_IMAGES if images == self.files_root else images


@dataclass
class PushResult:
    projects: dict[str, int] = field(default_factory=dict)   # batch → project id
    created: int = 0
    adopted: int = 0          # found on the server from an interrupted push
    cells: int = 0            # uncertain cells sent (a cell covers the fields parsed out of it)
    errors: list[str] = field(default_factory=list)


@dataclass
class PullResult:
    applied: int = 0
    waiting: int = 0          # tasks nobody has submitted yet
    corrected: int = 0        # fields whose value changed
    errors: list[str] = field(default_factory=list)


def push(store: ReviewStore, client: ReviewClient, settings: PushSettings = PushSettings(),
         new_project: bool = False, on_form: Callable[[], None] | None = None) -> PushResult:
    """Send every pending field to review; returns what was created."""
    result = PushResult()
    client.check()
    for batch, project_id in store.review_projects(client.url).items():
        if client.project_exists(project_id):
            continue
        if not new_project:
            client.require_project(project_id)  # raises, naming the way out
        reopened = store.forget_review_project(client.url, batch)
        log.warning("project %d of batch %r is gone from %s: %d fields go back to pending",
                    project_id, batch, client.url, reopened)
    forms = store.forms_to_review()
    if not forms:
        return result
    tagger = optional_tagger()
    model_version = _model_version(tagger)
    known_keys: dict[int, dict[str, int]] = {}
    for form in forms:
        project_id = _project_for(store, client, form.batch, settings, result)
        keys = known_keys.setdefault(project_id, client.task_keys(project_id))
        try:
            _push_form(store, client, project_id, form, keys, settings, tagger, model_version, result)
        except SourceMissing as exc:
            result.errors.append(exc.message)
        except (OSError, ValueError, BadInputFile) as exc:  # this form's images; the others go on
            result.errors.append(f"{form.form_id}: {getattr(exc, 'message', exc)}")
        if on_form is not None:
            on_form()
    return result


def _project_for(store: ReviewStore, client: ReviewClient, batch: str, settings: PushSettings,
                 result: PushResult) -> int:
    if batch in result.projects:
        return result.projects[batch]
    project_id = store.review_project(client.url, batch)
    if project_id is None:
        title = f"selfeval 复核 · {batch or '未分批'}"[:50]
        project_id = client.create_project(
            title, label_config(), "由 selfeval 推送：机器不确定的字段，请逐项核对并选择“无误/已更正/无法辨认”。")
        store.save_review_project(client.url, batch, project_id)
    settings.folder.mkdir(parents=True, exist_ok=True)  # the storage checks the folder exists
    client.ensure_local_storage(project_id, str(settings.folder))
    result.projects[batch] = project_id
    return project_id


class SourceMissing(SelfevalError):
    """A form's source file is no longer where it was ingested from."""


def source_file(store: ReviewStore, form: FormToReview) -> str:
    """The form's source file as ingested (an absolute path since issue 9;
    an older store's relative path is tried against the store's folder too)."""
    candidates = [Path(form.source_path)]
    if not candidates[0].is_absolute():
        candidates.append(Path(store.path).resolve().parent / form.source_path)
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    raise SourceMissing(
        f"{form.form_id}: its source file {form.source_path} is not there any more (moved or deleted?), so its "
        "page images cannot be made; put the file back there, or ingest it again from where it is now, then push again")


def _push_form(store: ReviewStore, client: ReviewClient, project_id: int, form: FormToReview, keys: dict[str, int],
               settings: PushSettings, tagger, model_version: str, result: PushResult) -> None:
    items = review_items(form.record, form.pending, form.findings)
    if not items:
        return
    leaves = sorted({leaf for item in items for leaf in item.leaves} | {f.path for f in form.pending})
    key = f"{form.form_id}#{store.review_round(form.form_id)}"
    if key in keys:  # created by a push that stopped before the store heard of it
        store.save_task(client.url, project_id, keys[key], form.form_id, leaves)
        result.adopted += 1
        return
    source = source_file(store, form) if any(item.page is not None for item in items) else form.source_path
    urls = [_image_url(source, form, index, item, settings) for index, item in enumerate(items)]
    data = {**task_data(form.record, items, urls), "key": key}
    spans = {}
    if tagger is not None:
        for index, item in enumerate(items):
            if item.path.endswith((".deviation_cause", ".improvement")) and item.read:
                spans[index] = tagger(item.read)
    confidences = {f.path: f.confidence for f in form.pending if f.confidence is not None}
    predicted = prediction(items, spans, confidences)
    problems = check_prediction(label_config(), data, predicted["result"])
    if problems:  # the server would accept them silently and show nothing
        raise ReviewServerError(f"{form.form_id}: the prediction does not fit the config: " + "; ".join(problems))
    task_id = client.create_task(project_id, data, predicted, model_version)
    keys[key] = task_id
    store.save_task(client.url, project_id, task_id, form.form_id, leaves)
    result.created += 1
    result.cells += len(items)


def _image_url(source: str, form: FormToReview, index: int, item, settings: PushSettings) -> str | None:
    if item.page is None:
        return None
    name = re.sub(r"[^\w.-]+", "_", item.path)
    out = settings.folder / form.form_id / f"{index:02d}-{name}.png"
    if not out.exists():
        write_crop(CropRequest(source, item.page, item.bbox, item.continued), out)
    relative = out.relative_to(settings.files_root)
    return f"/data/local-files/?d={relative.as_posix()}"


def pull(store: ReviewStore, client: ReviewClient) -> PullResult:
    """Apply every submitted review not applied yet."""
    result = PullResult()
    client.check()
    tasks = store.open_tasks(client.url)
    for project_id in sorted({t.project_id for t in tasks}):
        client.require_project(project_id)
    for task in tasks:
        submitted = [a for a in client.annotations(task.task_id) if not a.was_cancelled and a.result]
        if not submitted:
            result.waiting += 1
            continue
        annotation = max(submitted, key=lambda a: (a.updated_at, a.id))
        data = client.task_data(task.task_id)
        record = store.form_record(task.form_id)
        answers = read_annotation(annotation.result, len(data.get("fields", [])))
        try:
            changes = [change for index, item in enumerate(data.get("fields", []))
                       for change in apply_answer(record, item, answers.get(index, ItemAnswer("accepted", None)))]
        except CorrectionError as exc:
            result.errors.append(f"task {task.task_id} ({task.form_id}): {exc}; fix it in Label Studio and pull again")
            continue
        # The arithmetic is checked again; a page that could not be read stays a finding.
        findings = validate(record) + [Finding(**f) for f in store.store.findings(task.form_id)
                                       if f["rule"] == PAGE_UNREADABLE]
        store.apply_review(client.url, task, AppliedReview(
            record=record, changes=changes, reviewer=client.user_email(annotation.completed_by),
            reviewed_at=annotation.updated_at, annotation_id=annotation.id, findings=findings,
            repending=fields_named_by_findings(findings),
        ))
        result.applied += 1
        result.corrected += sum(1 for c in changes if c.old != c.new)
    return result


def _model_version(tagger) -> str:
    if tagger is None:
        return "selfeval-rules"
    meta = getattr(tagger.nlp, "meta", {}) or {}
    return f"selfeval-{meta.get('name', 'ner')}-{meta.get('version', '0')}"
