"""The review loop against a real Label Studio server: ingest a scan with
planted errors, push, submit a reviewer's corrections through the server's
API, pull, export."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from corpus.render import FONT_CANDIDATES
from extract.model import get_field
from extract.pipeline.document import extract_forms, read_document
from extract.sources.files import sha256_of
from extract.pipeline.settings import OcrSettings
from review.client import ReviewClient
from review.errors import ReviewProjectGone, ReviewUnreachable, TokenRejected
from review.loop import PushSettings, pull, push
from review.store import ReviewStore
from review.tasks import DECISIONS, read_annotation
from conftest import exported_records, run

SAMPLE = Path(__file__).resolve().parent.parent / "corpus" / "sample"
PLANTED_EXECUTED = "631.04"     # printed instead of the true 613.04: breaks 执行率 = 执行数 / 预算数
ERASED_SCORE = "indicators[0].score"

pytestmark = pytest.mark.labelstudio


@pytest.fixture(scope="module")
def planted_scan(tmp_path_factory):
    """Form 1 of the sample scan (its page, the next form's head blanked) with
    全年执行数 overprinted and one 得分 erased, and the truth of that form."""
    folder = tmp_path_factory.mktemp("planted")
    page = folder / "page1.tiff"
    with Image.open(SAMPLE / "scanned_dev_forms.tiff") as image:
        image.seek(0)
        dpi = image.info.get("dpi", (200, 200))
        image.convert("L").save(page, dpi=dpi)
    truth = json.loads((SAMPLE / "scanned_dev_forms.truth.jsonl").read_text(encoding="utf-8").splitlines()[0])
    # Where the cells are: read the clean page once.
    document = read_document(page, sha256_of(page), OcrSettings(), None)
    form = extract_forms(document)[0]
    scale = dpi[0] / 72.0
    with Image.open(page) as image:
        image = image.convert("L")
        draw = ImageDraw.Draw(image)
        # The page also holds the head of the next form: blank it, one form is enough.
        end_of_form = form.provenance("grade").bbox.as_list()[3] * scale + 20
        draw.rectangle((0, end_of_form, image.width, image.height), fill=255)
        font = ImageFont.truetype(next(p for p in FONT_CANDIDATES if Path(p).exists()), int(9 * scale))
        for path, text in (("funding.total.executed", PLANTED_EXECUTED), (ERASED_SCORE, "")):
            x0, top, x1, bottom = (v * scale for v in form.provenance(path).bbox.as_list())
            inset = max(8.0, (bottom - top) * 0.2)  # the box runs to the rules' centres: keep the rules
            draw.rectangle((x0 + inset, top + inset, x1 - inset, bottom - inset), fill=255)
            if text:
                draw.text(((x0 + x1) / 2, (top + bottom) / 2), text, fill=0, font=font, anchor="mm")
        planted = folder / "planted.tiff"
        image.save(planted, dpi=dpi)
    truth["form_id"] = f"{sha256_of(planted)[:12]}-1"
    return planted, truth


@pytest.fixture
def reviewed_store(planted_scan, label_studio, review_images, tmp_path):
    """A store with the planted scan ingested and pushed for review."""
    planted, truth = planted_scan
    db = tmp_path / "store.db"
    assert run("--db", db, "ingest", "--workers", "1", "--no-progress", "--batch", f"test {tmp_path.name}",
               planted) == 0
    client = ReviewClient(label_studio.url, label_studio.token)
    settings = PushSettings(images=review_images, files_root=label_studio.files_root)
    with ReviewStore.open(db) as store:
        before = store.form_record(truth["form_id"])
        pushed = push(store, client, settings)
    return db, client, settings, pushed, before, truth


def submit_as_reviewer(client: ReviewClient, task_id: int, corrections: dict[str, str]) -> None:
    """What Label Studio's Submit button sends: per item a decision, and the
    edited text where the reviewer corrected it."""
    data = client.task_data(task_id)
    result = []
    for index, item in enumerate(data["fields"]):
        text = corrections.get(item["path"])
        decision = "corrected" if text is not None else "accepted"
        result.append({"from_name": f"decision_{index}", "to_name": f"read_{index}", "type": "choices",
                       "value": {"choices": [decision]}})
        result.append({"from_name": f"value_{index}", "to_name": f"read_{index}", "type": "textarea",
                       "value": {"text": [text if text is not None else item["text"]]}})
    client._sdk.annotations.create(id=task_id, result=result, lead_time=12.5)


def test_review_corrects_the_planted_errors_and_nothing_else(reviewed_store, label_studio, tmp_path):
    db, client, settings, pushed, before, truth = reviewed_store
    form_id = truth["form_id"]
    assert pushed.created == 1 and not pushed.errors
    with ReviewStore.open(db) as store:
        in_review = {f.path for f in store.store.fields(form_id, "in_review")}
        (task,) = store.open_tasks(client.url)
    # The planted number breaks the execution-rate rule; the erased score was re-derived.
    assert "funding.total.executed" in in_review
    assert ERASED_SCORE in in_review
    assert before["funding"]["total"]["executed"] == Decimal(PLANTED_EXECUTED)

    cleared_before_pull = _only_reviewed(db, tmp_path / "before.jsonl")
    submit_as_reviewer(client, task.task_id, {"funding.total.executed": "613.04"})
    with ReviewStore.open(db) as store:
        applied = pull(store, client)
        assert (applied.applied, applied.corrected, applied.errors) == (1, 1, [])
        audit = store.audit(form_id)
        counts = store.review_counts()

    records = exported_records(db, tmp_path / "out.jsonl")
    record = next(r for r in records if r["form_id"] == form_id)
    assert record["funding"]["total"]["executed"] == 613.04
    assert record["funding"]["total"]["executed"] == truth["funding"]["total"]["executed"]
    meta = record["_meta"]["fields"]["funding.total.executed"]
    assert meta["status"] == "reviewed" and meta["original"] == float(PLANTED_EXECUTED)
    assert meta["reviewer"] == client.check()

    changed = [a for a in audit if a["old_value"] != a["new_value"]]
    assert [(a["path"], a["old_value"], a["new_value"], a["decision"]) for a in changed] == [
        ("funding.total.executed", Decimal(PLANTED_EXECUTED), Decimal("613.04"), "corrected")]
    assert {a["path"] for a in audit} >= in_review - {"funding.total.executed"}
    assert all(a["task_id"] == task.task_id and a["reviewer"] for a in audit)

    # Nothing else changed: every other field is as ingested.
    after = json.loads(json.dumps(record), parse_float=Decimal)
    for path, value in _leaves(before):
        if path != "funding.total.executed":
            assert get_field(after, path) == value, path
    assert counts["in_review"]["fields"] == 0 and counts["reviewed"]["fields"] >= len(in_review)

    # A second push and pull change nothing.
    with ReviewStore.open(db) as store:
        again = push(store, client, settings)
        pulled_again = pull(store, client)
        assert (again.created, again.adopted, pulled_again.applied) == (0, 0, 0)
        assert store.audit(form_id) == audit
    assert exported_records(db, tmp_path / "again.jsonl") == records
    assert form_id not in cleared_before_pull
    assert form_id in _only_reviewed(db, tmp_path / "after.jsonl")


def _only_reviewed(db: Path, out: Path) -> list[str]:
    """form_ids that `export --only-reviewed` writes: nothing left to review."""
    assert run("--db", db, "export", "--format", "jsonl", "--only-reviewed", "--out", out) == 0
    return [json.loads(line)["form_id"] for line in out.read_text(encoding="utf-8").splitlines()]


def test_an_unsubmitted_task_stays_in_review(reviewed_store):
    db, client, _, _, before, truth = reviewed_store
    with ReviewStore.open(db) as store:
        result = pull(store, client)
        assert (result.applied, result.waiting) == (0, 1)
        assert store.form_record(truth["form_id"]) == before


def test_a_second_push_creates_no_duplicate_and_adopts_a_lost_task(reviewed_store):
    db, client, settings, _, _, truth = reviewed_store
    with ReviewStore.open(db) as store:
        (task,) = store.open_tasks(client.url)
        project_tasks = client.task_keys(task.project_id)
        # A push killed after the server made the task, before the store heard of it:
        store.db.execute("DELETE FROM review_tasks")
        store.db.execute("UPDATE fields SET status = 'pending' WHERE status = 'in_review'")
        again = push(store, client, settings)
        assert (again.created, again.adopted) == (0, 1)
        assert client.task_keys(task.project_id) == project_tasks
        assert [t.task_id for t in store.open_tasks(client.url)] == [task.task_id]


def test_a_deleted_project_is_a_clear_error_and_nothing_is_lost(reviewed_store):
    db, client, settings, _, before, truth = reviewed_store
    with ReviewStore.open(db) as store:
        (task,) = store.open_tasks(client.url)
        client._sdk.projects.delete(id=task.project_id)
        with pytest.raises(ReviewProjectGone, match=f"project {task.project_id}"):
            pull(store, client)
        with pytest.raises(ReviewProjectGone, match="--new-project"):
            push(store, client, settings)
        assert store.form_record(truth["form_id"]) == before
        assert store.open_tasks(client.url) == [task]
        again = push(store, client, settings, new_project=True)
        assert again.created == 1 and again.projects[f"test {Path(db).parent.name}"] != task.project_id


def test_unreachable_server_and_wrong_token_are_clear_errors(reviewed_store, label_studio):
    db, _, settings, _, before, truth = reviewed_store
    with ReviewStore.open(db) as store:
        with pytest.raises(ReviewUnreachable, match="cannot reach Label Studio at http://127.0.0.1:9"):
            pull(store, ReviewClient("http://127.0.0.1:9", label_studio.token, timeout=5))
        with pytest.raises(TokenRejected, match="rejects the token"):
            push(store, ReviewClient(label_studio.url, "not-the-token-0000"), settings)
        assert store.form_record(truth["form_id"]) == before
        assert len(store.open_tasks(label_studio.url)) == 1


def test_the_cli_names_the_cause_and_exits_non_zero(reviewed_store, monkeypatch, capsys):
    db = reviewed_store[0]
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "whatever-token")
    assert run("--db", db, "review", "pull", "--url", "http://127.0.0.1:9") == ReviewUnreachable.exit_code
    assert "cannot reach Label Studio at http://127.0.0.1:9" in capsys.readouterr().err
    assert run("--db", db, "review", "status") == 0
    assert "in_review" in capsys.readouterr().out


def test_reading_an_annotation_maps_choices_back_to_decisions():
    result = [{"from_name": "decision_0", "value": {"choices": ["corrected"]}},
              {"from_name": "value_0", "value": {"text": ["613.04"]}},
              {"from_name": "decision_1", "value": {"choices": [DECISIONS["unreadable"]]}},
              {"from_name": "decision_7", "value": {"choices": ["accepted"]}}]  # no such item
    answers = read_annotation(result, count=2)
    assert answers[0].decision == "corrected" and answers[0].text == "613.04"
    assert answers[1].decision == "unreadable" and set(answers) == {0, 1}


def _leaves(record):
    from extract.model import iter_fields

    return list(iter_fields(record))


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-quic"]
SCREENSHOT = Path(__file__).resolve().parent / "artifacts" / "review_task.png"


def test_a_reviewer_sees_the_image_the_prefilled_fields_and_the_decision(reviewed_store, label_studio_settings,
                                                                         tmp_path):
    from playwright.sync_api import sync_playwright

    from review.credentials import admin_account

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: scripts/test.sh installs it (apt-get install chromium)"
    db, client, _, _, _, truth = reviewed_store
    with ReviewStore.open(db) as store:
        (task,) = store.open_tasks(client.url)
    data = client.task_data(task.task_id)
    admin = admin_account(label_studio_settings)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1600})
        try:
            page = browser.new_page()
            page.goto(f"{client.url}/user/login/")
            page.fill("input[name=email]", admin.email)
            page.fill("input[name=password]", admin.password)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/login" not in url)
            page.goto(f"{client.url}/projects/{task.project_id}/data?task={task.task_id}")
            first = data["fields"][0]
            page.get_by_text(first["label"], exact=True).wait_for(timeout=60_000)
            # Label Studio fetches each task image (from our local-files storage) into a blob: URL.
            images = page.locator("img[src^='blob:']")
            images.first.wait_for(timeout=30_000)
            page.wait_for_function(
                "() => [...document.querySelectorAll(\"img[src^='blob:']\")]"
                ".every(i => i.complete && i.naturalWidth > 0)", timeout=30_000)
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT))
            # The image of every item, each item's label, its prefilled text and the decision.
            assert images.count() == len(data["fields"])
            for item in data["fields"]:
                assert page.get_by_text(item["label"], exact=True).count() == 1
            executed = next(item for item in data["fields"] if item["path"] == "funding.total.executed")
            assert page.get_by_text(executed["text"], exact=True).count() >= 1
            for label in DECISIONS.values():  # each radio's name: the label, then its hotkey
                assert page.get_by_role("radio", name=re.compile(f"^{label}")).count() == len(data["fields"])
        finally:
            browser.close()
    assert SCREENSHOT.stat().st_size > 10_000


def test_the_server_command_finds_the_running_server(label_studio, label_studio_settings, capsys):
    settings = label_studio_settings
    assert run("review", "server", "--home", settings.home, "--port", settings.port,
               "--images", settings.files_root) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == label_studio.url
    assert "already running" in captured.err and label_studio.token not in captured.err + captured.out


def test_push_into_the_servers_own_root_goes_on_past_a_missing_source(planted_scan, label_studio, tmp_path,
                                                                      monkeypatch, capsys):
    """The CLI's defaults with our own server: --images is the server's root,
    so the images go into its tasks/ folder; a form whose source was moved
    is named with the fix, and the other forms are pushed."""
    planted, _ = planted_scan
    moved, kept = tmp_path / "moved.tiff", tmp_path / "kept.tiff"
    moved.write_bytes(planted.read_bytes())
    kept.write_bytes(planted.read_bytes() + b"\0")  # another file to the store, the same page
    db = tmp_path / "store.db"
    monkeypatch.chdir(tmp_path)
    assert run("--db", db, "ingest", "--workers", "1", "--no-progress", "--batch", f"root {tmp_path.name}",
               "moved.tiff", "kept.tiff") == 0
    moved.rename(tmp_path / "elsewhere.tiff")
    monkeypatch.chdir(Path(__file__).resolve().parent)  # push from another working directory
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", label_studio.token)
    capsys.readouterr()
    code = run("--db", db, "review", "push", "--url", label_studio.url, "--images", label_studio.files_root)
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    (missing,) = [line for line in err.splitlines() if "failed:" in line]
    assert str(moved) in missing and "not there any more" in missing and "ingest it again" in missing
    assert "in 1 new tasks" in err
    with ReviewStore.open(db) as store:
        (task,) = store.open_tasks(label_studio.url)
        assert task.form_id.startswith(sha256_of(kept)[:12])
    client = ReviewClient(label_studio.url, label_studio.token)
    url = next(item["image"] for item in client.task_data(task.task_id)["fields"] if item.get("image"))
    assert url.startswith("/data/local-files/?d=tasks/")
    assert (label_studio.files_root / url.split("?d=", 1)[1]).is_file()
    client._sdk.projects.delete(id=task.project_id)
