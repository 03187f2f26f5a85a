"""The one command-line entry point: `selfeval`.

Thin by design: it parses arguments, calls the pipeline, writes data to
stdout and logs to stderr, and turns typed errors into exit codes.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Sequence

from extract.errors import SelfevalError, UsageError
from extract.ocr import ENGINES
from extract.pipeline import DEFAULT_OCR_ENGINE, OCR_MODES
from extract.routing import DEFAULT_REVIEW_THRESHOLD
from extract.store import DB_ENV, Store, default_db_path
from review.client import DEFAULT_IMAGES, DEFAULT_URL, URL_ENV
from review.server import TOKEN_ENV


class _Console:
    """Messages for the user on stderr; stdout is kept for data."""

    quiet = False

    def say(self, message: str) -> None:
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    def error(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)


console = _Console()

EXIT_SOME_FILES_FAILED = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="selfeval",
        description="Turn 财政项目支出绩效自评表 (performance self-evaluation forms) in PDFs into a clean dataset.",
    )
    parser.add_argument("--db", default=None,
                        help=f"the SQLite store (default: ${DB_ENV} or ./selfeval.db)")
    parser.add_argument("-q", "--quiet", action="store_true", help="log only errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    ingest = commands.add_parser("ingest", help="read forms from PDFs, scans and folders into the store",
                                 description="Read forms from text PDFs, scanned PDFs and TIFF/PNG/JPEG scans, "
                                             "files or folders (recursively), into the store.")
    ingest.add_argument("paths", nargs="+", metavar="PATH", help="a PDF or image file, or a folder of them")
    ingest.add_argument("--workers", type=int, default=None,
                        help="worker processes that read pages (default: the number of cores)")
    ingest.add_argument("--ocr", choices=OCR_MODES, default="auto",
                        help="OCR PDF pages: auto (pages without a text layer), always, never (default: auto)")
    ingest.add_argument("--ocr-engine", choices=ENGINES, default=DEFAULT_OCR_ENGINE,
                        help=f"the OCR engine for scans (default: {DEFAULT_OCR_ENGINE}, the more accurate "
                             "on the scanned corpus)")
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar")
    ingest.add_argument("--batch", default=None,
                        help="a name for the files of this run, one review project per batch "
                             "(default: the date and time of the run)")
    ingest.add_argument("--review-threshold", type=float, default=DEFAULT_REVIEW_THRESHOLD,
                        help="fields below this confidence go to review (default: "
                             f"{DEFAULT_REVIEW_THRESHOLD}, set from the scanned corpus: README, Review)")

    export = commands.add_parser("export", help="write the stored records as JSONL, CSV, XLSX or Parquet",
                                 description="Write the stored form records as JSONL (the contract), or as "
                                             "forms/funding/indicators tables in CSV, XLSX or Parquet.")
    export.add_argument("--format", required=True, choices=("jsonl", "csv", "xlsx", "parquet"))
    export.add_argument("--out", default="-",
                        help="a file for jsonl and xlsx, a folder for csv and parquet; '-' (jsonl only) is stdout")
    export.add_argument("--only-reviewed", action="store_true",
                        help="only the forms with nothing left to review (every field accepted or reviewed)")

    review = commands.add_parser(
        "review", help="human review of uncertain fields in Label Studio",
        description="Run a local Label Studio server, push the fields the machine is unsure of to it, pull the "
                    "reviewers' corrections back, and count what is left. The token comes from "
                    f"${TOKEN_ENV} or, for our own server, from its data folder.")
    review_actions = review.add_subparsers(dest="review_action", metavar="ACTION", required=True)
    server = review_actions.add_parser("server", help="install (once) and start a local Label Studio server")
    server.add_argument("--port", type=int, default=8080, help="the port on 127.0.0.1 (default: 8080)")
    server.add_argument("--home", default=None,
                        help="its data folder (default: $SELFEVAL_LABEL_STUDIO_HOME or ./labelstudio)")
    server.add_argument("--files-root", default="/",
                        help="the folder below which it may serve task images (default: /)")
    server.add_argument("--stop", action="store_true", help="stop the server of this data folder instead")
    for name, text in (("push", "send the pending fields to Label Studio, one task per form"),
                       ("pull", "apply the submitted reviews to the store"),
                       ("status", "count pending, in-review and reviewed fields and forms")):
        action = review_actions.add_parser(name, help=text, description=text)
        action.add_argument("--url", default=None,
                            help=f"the Label Studio server (default: ${URL_ENV} or {DEFAULT_URL})")
        if name == "push":
            action.add_argument("--images", default=str(DEFAULT_IMAGES),
                                help=f"where task images are written (default: ./{DEFAULT_IMAGES})")
            action.add_argument("--files-root", default="/",
                                help="the server's local-files root, which --images lies below (default: /)")
            action.add_argument("--new-project", action="store_true",
                                help="when a batch's project was deleted on the server, push its open fields "
                                     "again into a new one")

    corpus = commands.add_parser("corpus", help="build the rendered sample and synthetic corpus",
                                 description="Render the gold and synthetic forms into text PDFs, and scanned variants of them, under a folder.")
    corpus.add_argument("--out", default="corpus/generated", help="the folder to write (default: corpus/generated)")
    corpus.add_argument("--synthetic", type=int, default=200, help="synthetic forms per split (default: 200)")
    corpus.add_argument("--scanned", type=int, default=100,
                        help="synthetic eval forms also scanned, besides the gold (default: 100)")
    models = commands.add_parser("models", help="train or evaluate the field-tagging NER model",
                                 description="Train the spaCy NER model that tags form fields (models/), or "
                                             "print its precision/recall/F1 per label.")
    models.add_argument("action", choices=("train", "evaluate"))
    models.add_argument("options", nargs=argparse.REMAINDER,
                        help="passed on: see `selfeval models train -- --help`")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console.quiet = args.quiet
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s", stream=sys.stderr)
    # The review server's install and start take a minute: say what happens.
    logging.getLogger("selfeval.review").setLevel(logging.WARNING if args.quiet else logging.INFO)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        if args.command == "ingest":
            return _ingest(args)
        if args.command == "export":
            return _export(args)
        if args.command == "corpus":
            return _corpus(args)
        if args.command == "models":
            return _models(args)
        if args.command == "review":
            return _review(args)
    except SelfevalError as exc:
        console.error(f"selfeval: {exc.message}")
        return exc.exit_code
    except KeyboardInterrupt:
        console.error("selfeval: interrupted; what was stored is kept, run the same command again to go on")
        return 130
    return 2  # pragma: no cover - argparse rejects unknown commands


def _ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from extract.pipeline import FileResult, IngestSettings, OcrSettings, default_workers, ingest
    from extract.routing import ReviewSettings

    workers = args.workers if args.workers is not None else default_workers()
    try:
        settings = IngestSettings(workers=workers, ocr=OcrSettings(mode=args.ocr, engine=args.ocr_engine),
                                  review=ReviewSettings(args.review_threshold),
                                  batch=args.batch or datetime.now().strftime("%Y-%m-%d %H:%M"))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    bar = tqdm(unit="page", desc="ingest", disable=True if args.no_progress else None, file=sys.stderr)

    def report(result: FileResult) -> None:
        if result.status == "ok":
            note = f", {result.findings} findings to check" if result.findings else ""
            note += f"; {result.message}" if result.message else ""
            line = f"ok      {result.path}: {result.forms} forms, {result.pages} pages{note}"
        else:
            line = f"{result.status:<7} {result.path}: {result.message}"
        if result.status == "failed" or not console.quiet:
            bar.write(line, file=sys.stderr)

    with Store(args.db or default_db_path()) as store:
        batch = ingest(args.paths, store, settings, on_file=report, on_page=lambda: bar.update(1))
    bar.close()
    console.say(f"selfeval: {batch.summary()}")
    for failed in (f for f in batch.files if f.status == "failed" or f.page_errors):
        console.error(f"  failed: {failed.path}: {failed.message}")
    return 0 if batch.ok else EXIT_SOME_FILES_FAILED


def _export(args: argparse.Namespace) -> int:
    from review.export import export, write_jsonl_stream

    with Store(args.db or default_db_path()) as store:
        records = list(store.records(with_meta=True, only_reviewed=args.only_reviewed))
    if args.out == "-":
        if args.format != "jsonl":
            raise UsageError(f"--format {args.format} writes several tables: give --out a folder or file")
        write_jsonl_stream(records, sys.stdout)
    else:
        path = export(records, args.format, Path(args.out))
        console.say(f"selfeval: wrote {len(records)} forms as {args.format} to {path}")
    return 0


def _corpus(args: argparse.Namespace) -> int:
    from corpus.build import build_corpus

    for line in build_corpus(Path(args.out), synthetic_per_split=args.synthetic,
                             scanned_synthetic=args.scanned):
        console.say(line)
    return 0


def _models(args: argparse.Namespace) -> int:
    options = [o for o in args.options if o != "--"]
    if args.action == "train":
        from models.train import main as train_main

        return train_main(options)
    from models.evaluate import main as evaluate_main

    return evaluate_main(options)


def _review(args: argparse.Namespace) -> int:
    if args.review_action == "server":
        return _review_server(args)
    from review.client import ReviewClient

    client = ReviewClient.from_environment(args.url) if args.review_action != "status" else None
    with Store(args.db or default_db_path()) as store:
        if args.review_action == "status":
            return _review_status(store)
        if args.review_action == "push":
            return _review_push(args, store, client)
        return _review_pull(store, client)


def _review_server(args: argparse.Namespace) -> int:
    from review.server import ServerSettings, start, stop

    settings = ServerSettings(home=Path(args.home) if args.home else None, port=args.port,
                              files_root=Path(args.files_root))
    if args.stop:
        console.say("selfeval: stopped the review server" if stop(settings) else "selfeval: no review server was running")
        return 0
    running = start(settings)
    state = "already running" if running.reused else "started"
    console.say(f"selfeval: Label Studio {state} at {running.url} (data in {running.home}); "
                f"log in with the admin in {settings.admin_file}, stop it with `selfeval review server --stop`")
    print(running.url)
    return 0


def _review_push(args: argparse.Namespace, store: Store, client) -> int:
    from review.loop import PushSettings, push

    try:
        settings = PushSettings(images=Path(args.images), files_root=Path(args.files_root))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    result = push(store, client, settings, new_project=args.new_project)
    for batch, project in result.projects.items():
        console.say(f"selfeval: batch {batch or '-'}: project {client.url}/projects/{project}")
    console.say(f"selfeval: pushed {result.cells} uncertain cells in {result.created} new tasks"
                + (f", {result.adopted} tasks found from an earlier push" if result.adopted else ""))
    for error in result.errors:
        console.error(f"  failed: {error}")
    return 1 if result.errors else 0


def _review_pull(store: Store, client) -> int:
    from review.loop import pull

    result = pull(store, client)
    console.say(f"selfeval: applied {result.applied} reviews ({result.corrected} fields corrected); "
                f"{result.waiting} tasks still wait for a reviewer")
    for error in result.errors:
        console.error(f"  not applied: {error}")
    return 1 if result.errors else 0


def _review_status(store: Store) -> int:
    counts = store.review_counts()
    print(f"{'status':<10} {'fields':>8} {'forms':>6}")
    for status, row in counts.items():
        print(f"{status:<10} {row['fields']:>8} {row['forms']:>6}")
    return 0


def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
