"""Scanned variants of rendered text PDFs, for the OCR stage.

Each page is rasterised in grey, then put through what a scanner and its
software do to paper: skew, dust, optical blur, a tone shift, sensor noise
and JPEG compression.  The result is written as an image-only PDF, a
multi-page TIFF, or one PNG/JPEG per page, always recording its resolution
so that readers can turn pixels into points (× 72 / dpi).

Pages stream: one page is rasterised, degraded and written before the next
is rendered, so a long PDF never sits in memory whole.  The same seed gives
the same bytes.

    python -m corpus.degrade IN.pdf OUT_DIR --dpi 200 --level heavy --fmt pdf
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import io
import os
import random
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, TiffImagePlugin

from corpus.build import load_records, write_records
from extract.sources.files import sha256_of


@dataclass(frozen=True)
class Degradation:
    """How much a simulated scan damages a page; zero leaves that step out."""

    name: str
    max_rotation_deg: float = 0.0     # skew drawn uniformly in ± this
    noise_sigma: float = 0.0          # Gaussian sensor noise, in grey levels (0-255)
    blur_radius: float = 0.0          # Gaussian blur radius, in pixels
    jpeg_quality: int | None = None   # JPEG round-trip; None keeps the pixels lossless
    contrast_jitter: float = 0.0      # contrast scaled by a factor drawn in 1 ± this
    brightness_jitter: float = 0.0    # grey levels added, drawn in ± this
    speckles: int = 0                 # dark specks (dust on the glass) per page

    def __post_init__(self) -> None:
        if not (isinstance(self.name, str) and self.name.isidentifier()):
            raise ValueError(f"degradation name must be a plain word, not {self.name!r}")
        # Beyond these bounds a page no longer looks like a scan of a form.
        _check_range(self, "max_rotation_deg", 0.0, 10.0)
        _check_range(self, "noise_sigma", 0.0, 64.0)
        _check_range(self, "blur_radius", 0.0, 5.0)
        _check_range(self, "contrast_jitter", 0.0, 0.5)
        _check_range(self, "brightness_jitter", 0.0, 64.0)
        _check_range(self, "speckles", 0, 1000, integer=True)
        if self.jpeg_quality is not None:
            # Pillow advises against quality above 95: it only grows the file.
            _check_range(self, "jpeg_quality", 1, 95, integer=True)


def _check_range(level: Degradation, field: str, low: float, high: float,
                 integer: bool = False) -> None:
    value = getattr(level, field)
    kinds = (int,) if integer else (int, float)
    # bool is an int to Python, but True is no count of anything.
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        kind = "an integer" if integer else "a number"
        raise ValueError(f"{level.name}: {field} must be {kind} in [{low}, {high}], not {value!r}")


DEGRADATIONS: dict[str, Degradation] = {
    level.name: level
    for level in (
        Degradation("clean"),
        Degradation("light", max_rotation_deg=1.0, noise_sigma=3.0, blur_radius=0.5,
                    jpeg_quality=75),
        Degradation("heavy", max_rotation_deg=2.0, noise_sigma=8.0, blur_radius=1.0,
                    jpeg_quality=50, contrast_jitter=0.15, brightness_jitter=20.0,
                    speckles=40),
    )
}

FORMATS = ("pdf", "tiff", "png", "jpeg")
SUFFIXES = {"pdf": ".pdf", "tiff": ".tiff", "png": ".png", "jpeg": ".jpg"}
# Formats that hold a whole document, so a truth file can describe them.
MULTI_PAGE_FORMATS = ("pdf", "tiff")
# A JPEG file must be lossy even for the clean level; keep the loss small.
CLEAN_JPEG_QUALITY = 95


@dataclass(frozen=True)
class ScanPage:
    """A degraded page: the pixels a reader decodes, and the JPEG they were
    decoded from when the level compresses (written as is, not re-encoded)."""

    image: Image.Image
    jpeg: bytes | None = None
    jpeg_quality: int | None = None   # what `jpeg` was encoded at, for formats that re-encode


# ---------------------------------------------------------------- rasterising

def rasterise_pdf_pages(pdf_path: str | Path, dpi: float) -> Iterator[Image.Image]:
    """The pages of a PDF in grey ('L') at `dpi`, one at a time; each image
    carries its resolution in `info["dpi"]`."""
    import pypdfium2 as pdfium

    if not dpi > 0:
        raise ValueError(f"dpi must be positive, not {dpi!r}")
    document = pdfium.PdfDocument(str(pdf_path))
    try:
        if len(document) == 0:
            raise ValueError(f"{pdf_path}: the PDF has no pages")
        for index in range(len(document)):
            yield _render_page(document, index, dpi)
    finally:
        document.close()


def _render_page(document: Any, index: int, dpi: float) -> Image.Image:
    page = document[index]
    try:
        bitmap = page.render(scale=dpi / 72.0, grayscale=True)
        # to_pil() shares the bitmap's buffer; convert() copies it out before closing.
        image = bitmap.to_pil().convert("L")
        bitmap.close()
    finally:
        page.close()
    image.info["dpi"] = (dpi, dpi)
    return image


# ---------------------------------------------------------------- degrading

def degrade_image(image: Image.Image, degradation: Degradation,
                  rng: random.Random) -> Image.Image:
    """The page as a scanner would give it back, in grey; the same rng state
    gives the same pixels."""
    return degrade_page(image, degradation, rng).image


def degrade_page(image: Image.Image, degradation: Degradation,
                 rng: random.Random) -> ScanPage:
    """`degrade_image`, keeping the JPEG bytes the pixels were decoded from."""
    dpi = image.info.get("dpi")
    page = image.convert("L")
    # In the order paper meets scanner: skew, dust, optics, then sensor and encoder.
    page = _rotate(page, rng.uniform(-1.0, 1.0) * degradation.max_rotation_deg)
    page = _add_speckles(page, degradation.speckles, rng)
    if degradation.blur_radius:
        page = page.filter(ImageFilter.GaussianBlur(degradation.blur_radius))
    page = _shift_tone_and_add_noise(page, degradation, rng)
    if dpi:
        page.info["dpi"] = dpi
    if degradation.jpeg_quality is None:
        return ScanPage(page)
    jpeg = _jpeg_bytes(page, degradation.jpeg_quality)
    return ScanPage(_decode_jpeg(jpeg), jpeg, degradation.jpeg_quality)


def _rotate(page: Image.Image, angle_deg: float) -> Image.Image:
    if not angle_deg:
        return page
    # White fill: the scanner bed shows as paper colour, not black corners.
    return page.rotate(angle_deg, resample=Image.Resampling.BICUBIC, expand=False,
                       fillcolor=255)


def _add_speckles(page: Image.Image, count: int, rng: random.Random) -> Image.Image:
    if not count:
        return page
    page = page.copy()
    draw = ImageDraw.Draw(page)
    width, height = page.size
    for _ in range(count):
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        radius = rng.uniform(0.5, 2.5)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=rng.randint(0, 90))
    return page


def _shift_tone_and_add_noise(page: Image.Image, degradation: Degradation,
                              rng: random.Random) -> Image.Image:
    contrast = 1.0 + rng.uniform(-1.0, 1.0) * degradation.contrast_jitter
    brightness = rng.uniform(-1.0, 1.0) * degradation.brightness_jitter
    if contrast == 1.0 and not brightness and not degradation.noise_sigma:
        return page
    pixels = np.asarray(page, dtype=np.float32)
    pixels = (pixels - 128.0) * contrast + 128.0 + brightness
    if degradation.noise_sigma:
        # numpy's generator is seeded from the caller's rng, so one seed fixes everything.
        noise_rng = np.random.default_rng(rng.getrandbits(64))
        pixels += noise_rng.normal(0.0, degradation.noise_sigma, pixels.shape).astype(np.float32)
    return Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8))   # 2-D uint8: 'L'


def _jpeg_bytes(page: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    dpi = page.info.get("dpi")
    page.save(buffer, "JPEG", quality=quality, **({"dpi": dpi} if dpi else {}))
    return buffer.getvalue()


def _decode_jpeg(jpeg: bytes) -> Image.Image:
    with Image.open(io.BytesIO(jpeg)) as decoded:
        return decoded.convert("L")     # a loaded copy; keeps the JFIF dpi in info


# ---------------------------------------------------------------- writing

def write_scan(pdf_path: str | Path, out_path: str | Path, dpi: float,
               degradation: Degradation | str, seed: int, fmt: str) -> list[Path]:
    """Write a scanned variant of `pdf_path` and return the files written:
    `out_path` itself for "pdf" and "tiff", `<stem>_p001<suffix>`... beside
    it for "png" and "jpeg" (one file per page)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown scan format {fmt!r}; expected one of {', '.join(FORMATS)}")
    level = _as_degradation(degradation)
    rng = random.Random(seed)
    pages = (degrade_page(image, level, rng) for image in rasterise_pdf_pages(pdf_path, dpi))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "pdf":
        return [_write_whole(out_path, pages, dpi, _write_pdf)]
    if fmt == "tiff":
        return [_write_whole(out_path, pages, dpi, _write_tiff)]
    return _write_page_files(out_path, pages, dpi, fmt)


def _as_degradation(degradation: Degradation | str) -> Degradation:
    if isinstance(degradation, Degradation):
        return degradation
    try:
        return DEGRADATIONS[degradation]
    except KeyError:
        raise ValueError(f"unknown degradation level {degradation!r}; "
                         f"expected one of {', '.join(DEGRADATIONS)}") from None


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary path that becomes `path` only once it is fully written, so
    an interrupted build leaves no truncated scan that looks complete."""
    partial = path.with_name(path.name + ".part")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


PageWriter = Callable[[BinaryIO, Iterable[ScanPage], float], None]


def _write_whole(path: Path, pages: Iterable[ScanPage], dpi: float, write: PageWriter) -> Path:
    with _replacing(path) as partial, open(partial, "w+b") as handle:
        write(handle, pages, dpi)
    return path


def _write_pdf(handle: BinaryIO, pages: Iterable[ScanPage], dpi: float) -> None:
    pdf = _ImagePdfWriter(handle)
    for page in pages:
        pdf.add_page(page, dpi)
    pdf.finish()


def _write_tiff(handle: BinaryIO, pages: Iterable[ScanPage], dpi: float) -> None:
    # Pillow's save_all lists every frame first; its appending writer takes them one by one.
    with TiffImagePlugin.AppendingTiffWriter(handle) as tiff:
        for page in pages:
            page.image.save(tiff, "TIFF", dpi=(dpi, dpi), **_tiff_compression(page))
            tiff.newFrame()


def _tiff_compression(page: ScanPage) -> dict[str, Any]:
    """JPEG-in-TIFF, as scanners write grey pages, when the level compresses:
    re-encoding at the same quality moves pixels by ~0.1 grey level on average
    and is 3-6x smaller than deflating noise.  Lossless levels stay lossless."""
    if page.jpeg_quality is None:
        return {"compression": "tiff_deflate"}
    return {"compression": "jpeg", "quality": page.jpeg_quality}


def _write_page_files(out_path: Path, pages: Iterable[ScanPage], dpi: float,
                      fmt: str) -> list[Path]:
    written = []
    for number, page in enumerate(pages, start=1):
        path = out_path.with_name(f"{out_path.stem}_p{number:03d}{out_path.suffix}")
        with _replacing(path) as partial:
            partial.write_bytes(_page_file_bytes(page, dpi, fmt))
        written.append(path)
    return written


def _page_file_bytes(page: ScanPage, dpi: float, fmt: str) -> bytes:
    if fmt == "jpeg" and page.jpeg is not None:
        return page.jpeg           # already carries the dpi; re-encoding would lose more
    buffer = io.BytesIO()
    options = {"quality": CLEAN_JPEG_QUALITY} if fmt == "jpeg" else {}
    page.image.save(buffer, fmt.upper(), dpi=(dpi, dpi), **options)
    return buffer.getvalue()


class _ImagePdfWriter:
    """An image-only PDF written page by page: each page's image goes to the
    file as it comes, and only object offsets are kept for the xref table.

    JPEG pages are embedded as they are (DCTDecode); lossless pages are
    deflated (FlateDecode).  The page size is the image size × 72 / dpi, which
    is how a PDF records a scan's resolution.  No dates or ids: same pages,
    same bytes.
    """

    _CATALOG_ID, _PAGES_ID = 1, 2

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._offsets: dict[int, int] = {}
        self._page_ids: list[int] = []
        self._next_id = 3
        # The binary comment tells transfer tools the file is not text.
        handle.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def add_page(self, page: ScanPage, dpi: float) -> None:
        width_px, height_px = page.image.size
        width_pt, height_pt = _pdf_number(width_px * 72.0 / dpi), _pdf_number(height_px * 72.0 / dpi)
        image_id, contents_id, page_id = self._new_id(), self._new_id(), self._new_id()
        if page.jpeg is not None:
            data, image_filter = page.jpeg, "/DCTDecode"
        else:
            data, image_filter = zlib.compress(page.image.tobytes(), 6), "/FlateDecode"
        self._write_object(image_id, (
            f"<< /Type /XObject /Subtype /Image /Width {width_px} /Height {height_px} "
            f"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter {image_filter} "
            f"/Length {len(data)} >>"), data)
        contents = f"q {width_pt} 0 0 {height_pt} 0 0 cm /Scan Do Q\n".encode("ascii")
        self._write_object(contents_id, f"<< /Length {len(contents)} >>", contents)
        self._write_object(page_id, (
            f"<< /Type /Page /Parent {self._PAGES_ID} 0 R /MediaBox [0 0 {width_pt} {height_pt}] "
            f"/Resources << /XObject << /Scan {image_id} 0 R >> >> /Contents {contents_id} 0 R >>"))
        self._page_ids.append(page_id)

    def finish(self) -> None:
        kids = " ".join(f"{page_id} 0 R" for page_id in self._page_ids)
        self._write_object(self._PAGES_ID,
                           f"<< /Type /Pages /Kids [{kids}] /Count {len(self._page_ids)} >>")
        self._write_object(self._CATALOG_ID, f"<< /Type /Catalog /Pages {self._PAGES_ID} 0 R >>")
        xref_offset = self._handle.tell()
        size = self._next_id
        lines = [f"xref\n0 {size}\n", "0000000000 65535 f \n"]
        lines += [f"{self._offsets[object_id]:010d} 00000 n \n" for object_id in range(1, size)]
        lines.append(f"trailer\n<< /Size {size} /Root {self._CATALOG_ID} 0 R >>\n"
                     f"startxref\n{xref_offset}\n%%EOF\n")
        self._handle.write("".join(lines).encode("ascii"))

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def _write_object(self, object_id: int, dictionary: str, stream: bytes | None = None) -> None:
        self._offsets[object_id] = self._handle.tell()
        self._handle.write(f"{object_id} 0 obj\n{dictionary}\n".encode("ascii"))
        if stream is not None:
            self._handle.write(b"stream\n" + stream + b"\nendstream\n")
        self._handle.write(b"endobj\n")


def _pdf_number(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------- truth

def retarget_truth(truth_records: Sequence[dict[str, Any]],
                   scan_path: str | Path) -> list[dict[str, Any]]:
    """The truth of a text PDF, made the truth of its scan: `form_id` and
    `source` (file, sha256, kind "scan") name the scan; `pages` stay, since a
    scan keeps the text PDF's pages in order."""
    scan_path = Path(scan_path)
    sha256 = sha256_of(scan_path)
    retargeted = []
    for position, record in enumerate(truth_records, start=1):
        record = copy.deepcopy(record)
        record["form_id"] = f"{sha256[:12]}-{position}"
        record["source"] = {**record.get("source", {}), "file": scan_path.name,
                            "sha256": sha256, "kind": "scan"}
        retargeted.append(record)
    return retargeted


def truth_path(document_path: str | Path) -> Path:
    """Where a document's truth lives: same folder, same stem, `.truth.jsonl`."""
    return Path(document_path).with_suffix(".truth.jsonl")


def write_scan_truth(text_pdf: Path, scan_path: Path) -> Path | None:
    """Copy the text PDF's truth beside its scan, retargeted; None when the
    text PDF has no truth."""
    source_truth = truth_path(text_pdf)
    if not source_truth.exists():
        return None
    target = truth_path(scan_path)
    write_records(retarget_truth(load_records(source_truth), scan_path), target)
    return target


# ---------------------------------------------------------------- corpus

def scan_name(text_pdf: Path, dpi: int, level: str, fmt: str) -> str:
    return f"{text_pdf.stem}__{dpi}dpi_{level}{SUFFIXES[fmt]}"


def build_scans(text_pdfs: list[Path], out_dir: Path,
                dpis: Sequence[int] = (150, 200, 300),
                levels: Sequence[str] = ("clean", "light", "heavy"),
                fmts: Sequence[str] = ("pdf", "tiff"),
                seed: int = 0) -> list[Path]:
    """Every (file, dpi, level, format) scan under `out_dir/<fmt>/`, with the
    text PDF's truth retargeted beside each PDF or TIFF; returns the scans.

    One folder per format, because a PDF and a TIFF of the same scan share a
    stem and so would share `<stem>.truth.jsonl`.  A page-image format (png,
    jpeg) gets no truth: a form may span files.  A combination's seed depends
    on the file, dpi and level, not the format, so its PDF and TIFF show the
    same scan (the TIFF re-encodes JPEG pages, see `_tiff_compression`).
    """
    for fmt in fmts:
        if fmt not in FORMATS:
            raise ValueError(f"unknown scan format {fmt!r}; expected one of {', '.join(FORMATS)}")
    for level in levels:
        _as_degradation(level)
    written: list[Path] = []
    for text_pdf in map(Path, text_pdfs):
        for dpi in dpis:
            for level in levels:
                combination_seed = _combination_seed(seed, text_pdf.stem, dpi, level)
                for fmt in fmts:
                    out_path = Path(out_dir) / fmt / scan_name(text_pdf, dpi, level, fmt)
                    scans = write_scan(text_pdf, out_path, dpi, level, combination_seed, fmt)
                    if fmt in MULTI_PAGE_FORMATS:
                        write_scan_truth(text_pdf, out_path)
                    written.extend(scans)
    return written


def _combination_seed(seed: int, stem: str, dpi: int, level: str) -> int:
    """A seed per combination, so levels and files do not all skew alike;
    from a hash, not hash(), which changes between runs."""
    key = f"{seed}\x00{stem}\x00{dpi}\x00{level}".encode("utf-8")
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big")


# ---------------------------------------------------------------- CLI

def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m corpus.degrade",
                                     description="Write a scanned variant of a text PDF.")
    parser.add_argument("pdf", type=Path, help="text PDF to scan")
    parser.add_argument("out_dir", type=Path, help="folder for the scan (and its truth)")
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--level", choices=tuple(DEGRADATIONS), default="light")
    parser.add_argument("--fmt", choices=FORMATS, default="pdf",
                        help="pdf and tiff get the truth beside them as <stem>.truth.jsonl, "
                             "so give each format its own OUT_DIR")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out_path = args.out_dir / scan_name(args.pdf, args.dpi, args.level, args.fmt)
    written = write_scan(args.pdf, out_path, args.dpi, args.level, args.seed, args.fmt)
    if args.fmt in MULTI_PAGE_FORMATS:
        truth = write_scan_truth(args.pdf, out_path)
        written += [truth] if truth else []
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
