"""The one command-line entry point: `selfeval`.

Thin by design: it parses arguments, calls the pipeline, writes data to
stdout and logs to stderr, and turns typed errors into exit codes.  Every
line it prints for the user goes through `printable`, so a file name cannot
forge or hide a line; a bug is one line too, its traceback only under -v.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from datetime import datetime
from pathlib import Path
from typing import Sequence

from extract.errors import SelfevalError, UsageError, printable
from extract.scan.engines import ENGINES
from extract.pipeline.settings import DEFAULT_OCR_DPI, DEFAULT_OCR_ENGINE, OCR_MODES
from extract.sources.raster import DEFAULT_MAX_PAGE_PIXELS
from extract.checks.routing import DEFAULT_REVIEW_THRESHOLD
from extract.store import DB_ENV, Store, default_db_path
from review.client import DEFAULT_URL, URL_ENV
from review.credentials import TOKEN_ENV
from review.settings import DEFAULT_IMAGES
from review.store import ReviewStore


class _Console:
    """Messages for the user on stderr, one line each, control characters
    escaped; stdout is kept for data."""

    quiet = False

    def say(self, message: str) -> None:
        if not self.quiet:
            print(printable(message), file=sys.stderr, flush=True)

    def error(self, message: str) -> None:
        print(printable(message), file=sys.stderr, flush=True)


console = _Console()

EXIT_SOME_FILES_FAILED = 1
# models/project.yml, in order; `selfeval models STEP` runs `models.STEP.main`.
MODEL_STEPS = ("examples", "convert", "train", "evaluate", "promote")
EXIT_INTERNAL_ERROR = 70    # sysexits' EX_SOFTWARE: a bug of ours
EXIT_BROKEN_PIPE = 141      # 128 + SIGPIPE, what a shell shows for a reader that went away


class _LogFormatter(logging.Formatter):
    """`logger: message` on one line, escaped; the traceback of a record
    logged with exc_info only under -v."""

    def __init__(self, verbose: bool):
        super().__init__()
        self.verbose = verbose

    def format(self, record: logging.LogRecord) -> str:
        line = f"{record.name}: {printable(record.getMessage())}"
        if self.verbose and record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if self.verbose and record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class _LogHandler(logging.Handler):
    """Log records to the current sys.stderr (looked up at each record)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 - logging's own convention
            self.handleError(record)


def _set_up_logging(verbose: bool, quiet: bool) -> None:
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _LogHandler)]:  # main() run again in one process
        root.removeHandler(old)
    handler = _LogHandler()
    handler.setFormatter(_LogFormatter(verbose))
    root.addHandler(handler)
    # -v: everything of ours, with the pipeline's per-file tracebacks (logged at debug level)
    logging.getLogger("selfeval").setLevel(logging.DEBUG if verbose else logging.NOTSET)
    # The review server's install and start take a minute: say what happens.
    logging.getLogger("selfeval.review").setLevel(
        logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    # Training takes minutes: its progress (examples, epochs, steps, losses, dev scores).
    logging.getLogger("selfeval.models").setLevel(
        logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)


def _silence_stdout() -> None:
    """After a broken pipe: no second error when Python flushes stdout at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="selfeval",
        description="Turn 财政项目支出绩效自评表 (performance self-evaluation forms) in PDFs into a clean dataset.",
    )
    parser.add_argument("--db", default=None,
                        help=f"the SQLite store (default: ${DB_ENV} or ./selfeval.db)")
    parser.add_argument("-q", "--quiet", action="store_true", help="log only errors")
    parser.add_argument("-v", "--debug", dest="verbose", action="store_true",
                        help="log everything, with the traceback of each failed file or page and of an "
                             "internal error (without it, no traceback is printed)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    ingest = commands.add_parser("ingest", help="read forms from PDFs, scans and folders into the store",
                                 description="Read forms from text PDFs, scanned PDFs and TIFF/PNG/JPEG scans, "
                                             "files or folders (recursively), into the store.")
    ingest.add_argument("paths", nargs="+", metavar="PATH", help="a PDF or image file, or a folder of them")
    ingest.add_argument("--workers", type=int, default=None,
                        help="worker processes that read files (default: the number of cores)")
    ingest.add_argument("--scheduler", metavar="tcp://HOST:PORT", default=None,
                        help="run the file jobs on the Dask cluster of this scheduler (needs "
                             "selfeval[cluster]; the files on a path every worker sees); this process "
                             "writes the store")
    ingest.add_argument("--settings", metavar="FILE", default=None,
                        help="a TOML settings file (every tunable of reading, checking and routing; "
                             "`selfeval settings` prints the defaults); the options below win over it")
    ingest.add_argument("--ocr", choices=OCR_MODES, default=None,
                        help="OCR PDF pages: auto (pages without a text layer), always, never (default: auto)")
    ingest.add_argument("--ocr-engine", choices=ENGINES, default=None,
                        help=f"the OCR engine for scans (default: {DEFAULT_OCR_ENGINE}, the more accurate "
                             "on the scanned corpus)")
    ingest.add_argument("--ocr-dpi", type=int, default=None,
                        help=f"the resolution PDF pages are rasterised at for OCR (default: {DEFAULT_OCR_DPI}; "
                             "72 to 600)")
    ingest.add_argument("--max-page-megapixels", type=float, default=None,
                        help="a page image larger than this fails alone, before it is decoded (default: "
                             f"{DEFAULT_MAX_PAGE_PIXELS / 1e6:g})")
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar")
    ingest.add_argument("--batch", default=None,
                        help="a name for the files of this run, one review project per batch "
                             "(default: the date and time of the run)")
    ingest.add_argument("--review-threshold", type=float, default=None,
                        help="fields below this confidence go to review (default: "
                             f"{DEFAULT_REVIEW_THRESHOLD}, set from the scanned corpus: README, Review)")

    settings = commands.add_parser("settings", help="print the settings, as a file `ingest --settings` reads",
                                   description="Print every tunable of reading, checking and routing with its "
                                               "value: the defaults, or those of a settings file (checked).")
    settings.add_argument("file", nargs="?", default=None, help="a settings file to check and show whole")

    export = commands.add_parser("export", help="write the stored records as JSONL, CSV, XLSX or Parquet",
                                 description="Write the stored form records as JSONL (the contract), or as "
                                             "forms/funding/indicators tables in CSV, XLSX or Parquet.")
    export.add_argument("--format", required=True, choices=("jsonl", "csv", "xlsx", "parquet"))
    export.add_argument("--out", default=None,
                        help="a file for jsonl and xlsx, a folder for csv and parquet (created if missing); "
                             "'-' or none: standard output (jsonl only). An existing file is replaced "
                             "atomically; a folder where a file is meant (or the reverse), a symbolic link, "
                             "a FIFO or a device is refused")
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
    server.add_argument("--images", default=str(DEFAULT_IMAGES), metavar="DIR",
                        help="the folder it serves task images from (its local-files root; created if "
                             f"missing); give `review push` the same --images (default: ./{DEFAULT_IMAGES})")
    # the earlier name of --images
    server.add_argument("--files-root", dest="images", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    server.add_argument("--stop", action="store_true", help="stop the server of this data folder instead")
    for name, text in (("push", "send the pending fields to Label Studio, one task per form"),
                       ("pull", "apply the submitted reviews to the store"),
                       ("status", "count pending, in-review and reviewed fields and forms")):
        action = review_actions.add_parser(name, help=text, description=text)
        action.add_argument("--url", default=None,
                            help=f"the Label Studio server (default: ${URL_ENV} or {DEFAULT_URL})")
        if name == "push":
            action.add_argument("--images", default=str(DEFAULT_IMAGES), metavar="DIR",
                                help="where task images are written, the folder `review server --images` "
                                     f"serves (default: ./{DEFAULT_IMAGES})")
            action.add_argument("--files-root", default=None, metavar="DIR",
                                help="the server's local-files root (LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT), "
                                     "which --images lies in or below; give it for a server not started by "
                                     "`selfeval review server` (default: the --images folder itself, our "
                                     "own server's root)")
            action.add_argument("--new-project", action="store_true",
                                help="when a batch's project was deleted on the server, push its open fields "
                                     "again into a new one")

    corpus = commands.add_parser("corpus", help="build the rendered sample and synthetic corpus",
                                 description="Render the gold and synthetic forms into text PDFs, and scanned variants of them, under a folder.")
    corpus.add_argument("--out", default="corpus/generated", help="the folder to write (default: corpus/generated)")
    corpus.add_argument("--synthetic", type=int, default=200, help="synthetic forms per split (default: 200)")
    corpus.add_argument("--scanned", type=int, default=100,
                        help="synthetic eval forms also scanned, besides the gold (default: 100)")
    models = commands.add_parser("models", help="build, train, evaluate or ship the field-tagging NER model",
                                 description="The steps of the spaCy project models/project.yml: build the "
                                             "examples, convert them, train into models/build/training "
                                             "(train runs all three), print precision/recall/F1 per label, "
                                             "promote a trained pipeline to models/pipeline.")
    models.add_argument("action", choices=MODEL_STEPS)
    models.add_argument("options", nargs=argparse.REMAINDER,
                        help="passed on: see `selfeval models train -- --help`")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console.quiet = args.quiet
    _set_up_logging(args.verbose, args.quiet)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        if args.command == "ingest":
            return _ingest(args)
        if args.command == "export":
            return _export(args)
        if args.command == "settings":
            return _settings(args)
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
    except BrokenPipeError:  # the reader of stdout went away (`selfeval export --format jsonl | head`)
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # noqa: BLE001 - a bug of ours: one line, the traceback only under -v
        if args.verbose:
            traceback.print_exc(file=sys.stderr)
        console.error(f"selfeval: internal error: {type(exc).__name__}: {exc}"
                      + ("" if args.verbose else " (run with -v for the traceback)"))
        return EXIT_INTERNAL_ERROR
    return 2  # pragma: no cover - argparse rejects unknown commands


def _ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from extract.pipeline.batch import FileResult, ingest

    settings = _ingest_settings(args)
    bar = tqdm(unit="page", desc="ingest", disable=True if args.no_progress else None, file=sys.stderr)

    def report(result: FileResult) -> None:
        # status, the escaped path, what was read, the pipeline's message: whatever the status
        parts = []
        if result.status == "ok":
            parts.append(f"{result.forms} forms, {result.pages} pages"
                         + (f", {result.findings} findings to check" if result.findings else ""))
        if result.message:
            parts.append(result.message)
        line = f"{result.status:<7} {result.path}" + (": " + "; ".join(parts) if parts else "")
        if result.status not in ("ok", "skipped") or not console.quiet:
            bar.write(printable(line), file=sys.stderr)

    with Store(args.db or default_db_path()) as store:
        batch = ingest(args.paths, store, settings, on_file=report, on_pages=bar.update)
    bar.close()
    console.say(f"selfeval: {batch.summary()}")
    for failed in (f for f in batch.files if f.status == "failed" or f.page_errors):
        console.error(f"  failed: {printable(failed.path)}: {printable(failed.message)}")
    return 0 if batch.ok else EXIT_SOME_FILES_FAILED


def _ingest_settings(args: argparse.Namespace):
    """The settings file's (or the defaults), with the options given on the command line over them."""
    import dataclasses

    from extract.pipeline.workers import default_workers
    from extract.pipeline.settings import IngestSettings, load_settings

    settings = load_settings(args.settings) if args.settings else IngestSettings()
    ocr = {key: value for key, value in (("mode", args.ocr), ("engine", args.ocr_engine), ("dpi", args.ocr_dpi))
           if value is not None}
    if args.max_page_megapixels is not None:
        ocr["max_page_pixels"] = round(args.max_page_megapixels * 1e6)
    try:
        review = settings.review if args.review_threshold is None else \
            dataclasses.replace(settings.review, threshold=args.review_threshold)
        return dataclasses.replace(
            settings, ocr=dataclasses.replace(settings.ocr, **ocr), review=review,
            workers=args.workers if args.workers is not None else default_workers(), scheduler=args.scheduler,
            batch=args.batch or datetime.now().strftime("%Y-%m-%d %H:%M"))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _settings(args: argparse.Namespace) -> int:
    from extract.pipeline.settings import IngestSettings, load_settings, settings_toml

    print(settings_toml(load_settings(args.file) if args.file else IngestSettings()), end="")
    return 0


def _export(args: argparse.Namespace) -> int:
    from review.export import FILE_FORMATS, check_target, export, write_jsonl_stream

    to_stdout = args.out in (None, "-")
    if to_stdout and args.format != "jsonl":
        what = "a file, e.g. forms.xlsx" if args.format in FILE_FORMATS else "a folder for its tables"
        raise UsageError(f"--format {args.format} cannot go to standard output: give --out {what}")
    with Store(args.db or default_db_path(), must_exist=True) as store:
        if not to_stdout:
            check_target(args.format, Path(args.out))  # before the work of reading the records
        records = list(store.records(with_meta=True, only_reviewed=args.only_reviewed))
    if to_stdout:
        write_jsonl_stream(records, sys.stdout)
        sys.stdout.flush()
    else:
        path = export(records, args.format, Path(args.out))
        console.say(f"selfeval: wrote {len(records)} forms as {args.format} to {printable(path)}")
    return 0


def _corpus(args: argparse.Namespace) -> int:
    from corpus.build import build_corpus

    for line in build_corpus(Path(args.out), synthetic_per_split=args.synthetic,
                             scanned_synthetic=args.scanned):
        console.say(line)
    return 0


def _models(args: argparse.Namespace) -> int:
    import importlib

    options = [o for o in args.options if o != "--"]
    return importlib.import_module(f"models.{args.action}").main(options)


def _review(args: argparse.Namespace) -> int:
    if args.review_action == "server":
        return _review_server(args)
    from review.client import ReviewClient

    with ReviewStore.open(args.db or default_db_path(), must_exist=True) as store:
        if args.review_action == "status":
            return _review_status(store)
        client = ReviewClient.from_environment(args.url)
        if args.review_action == "push":
            return _review_push(args, store, client)
        return _review_pull(store, client)


def _review_server(args: argparse.Namespace) -> int:
    from review.server import ServerSettings, start, stop

    # the folder it serves task images from, created by start() when missing
    settings = ServerSettings(home=Path(args.home) if args.home else None, port=args.port,
                              files_root=Path(args.images))
    if args.stop:
        console.say("selfeval: stopped the review server" if stop(settings) else "selfeval: no review server was running")
        return 0
    running = start(settings)
    state = "already running" if running.reused else "started"
    console.say(f"selfeval: Label Studio {state} at {running.url} (data in {running.home}); "
                f"log in with the admin in {settings.admin_file}, stop it with `selfeval review server --stop`")
    print(running.url)
    return 0


def _review_push(args: argparse.Namespace, store: ReviewStore, client) -> int:
    from review.loop import PushSettings, push

    images = Path(args.images)
    try:
        # our own server serves the --images folder itself (`selfeval review server --images`)
        settings = PushSettings(images=images, files_root=Path(args.files_root) if args.files_root else images)
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


def _review_pull(store: ReviewStore, client) -> int:
    from review.loop import pull

    result = pull(store, client)
    console.say(f"selfeval: applied {result.applied} reviews ({result.corrected} fields corrected); "
                f"{result.waiting} tasks still wait for a reviewer")
    for error in result.errors:
        console.error(f"  not applied: {error}")
    return 1 if result.errors else 0


def _review_status(store: ReviewStore) -> int:
    counts = store.review_counts()
    print(f"{'status':<10} {'fields':>8} {'forms':>6}")
    for status, row in counts.items():
        print(f"{status:<10} {row['fields']:>8} {row['forms']:>6}")
    incomplete = store.incomplete_forms()
    if incomplete:
        console.say(f"selfeval: {len(incomplete)} forms sit next to a page that could not be read; their fields "
                    "go to review, and the next ingest of their file reads it again:")
        for form_id, path, pages in incomplete:
            console.say(f"  {form_id}  {path}  (page {', '.join(map(str, pages))} unreadable)")
    return 0


def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
