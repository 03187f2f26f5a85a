"""Scanned variants of text PDFs: deterministic, greyscale, resolution recorded,
truth retargeted to the scan."""

from __future__ import annotations

import hashlib
import random
import shutil
from pathlib import Path

import numpy as np
import pdfplumber
import pytest
from PIL import Image

from corpus.build import SAMPLE_DIR, load_records
from corpus.degrade import (
    DEGRADATIONS,
    SUFFIXES,
    Degradation,
    build_scans,
    degrade_image,
    main,
    rasterise_pdf_pages,
    retarget_truth,
    write_scan,
)
from corpus.render import PAGE_H, PAGE_W

SAMPLE_STEM = "synthetic_dev_0001"
# Low resolutions keep the suite fast; the checks do not depend on it.
FAST_DPI = 72


@pytest.fixture(scope="module")
def text_pdf(tmp_path_factory) -> Path:
    """The committed sample PDF (several forms, several pages) and its truth, copied."""
    folder = tmp_path_factory.mktemp("text")
    for suffix in (".pdf", ".truth.jsonl"):
        shutil.copy(SAMPLE_DIR / f"{SAMPLE_STEM}{suffix}", folder / f"{SAMPLE_STEM}{suffix}")
    return folder / f"{SAMPLE_STEM}.pdf"


@pytest.fixture(scope="module")
def page_count(text_pdf) -> int:
    with pdfplumber.open(text_pdf) as pdf:
        return len(pdf.pages)


@pytest.fixture(scope="module")
def first_page(text_pdf) -> Image.Image:
    pages = rasterise_pdf_pages(text_pdf, FAST_DPI)
    page = next(pages)
    pages.close()                                        # closes the document
    return page


def a4_pixels(dpi: float) -> tuple[float, float]:
    return PAGE_W * dpi / 72, PAGE_H * dpi / 72


def scan(text_pdf: Path, out: Path, fmt: str, seed: int = 7, level: str = "heavy",
         dpi: float = FAST_DPI) -> list[Path]:
    return write_scan(text_pdf, out / f"scan{SUFFIXES[fmt]}", dpi, level, seed, fmt)


@pytest.mark.parametrize("fmt", ["pdf", "tiff", "png"])
def test_same_seed_gives_the_same_bytes(text_pdf, tmp_path, fmt):
    first = scan(text_pdf, tmp_path / "a", fmt)
    second = scan(text_pdf, tmp_path / "b", fmt)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_same_seed_gives_the_same_pdf_page_images(text_pdf, tmp_path):
    first, = scan(text_pdf, tmp_path / "a", "pdf")
    second, = scan(text_pdf, tmp_path / "b", "pdf")
    for page_a, page_b in zip(rasterise_pdf_pages(first, FAST_DPI),
                              rasterise_pdf_pages(second, FAST_DPI), strict=True):
        assert page_a.tobytes() == page_b.tobytes()


def test_another_seed_gives_another_scan(text_pdf, tmp_path):
    first, = scan(text_pdf, tmp_path / "a", "tiff", seed=1)
    second, = scan(text_pdf, tmp_path / "b", "tiff", seed=2)
    assert first.read_bytes() != second.read_bytes()


@pytest.mark.parametrize("fmt", ["tiff", "png", "jpeg"])
def test_image_files_record_their_dpi_and_are_a4_in_grey(text_pdf, tmp_path, fmt):
    dpi = 100
    paths = scan(text_pdf, tmp_path, fmt, dpi=dpi)
    with Image.open(paths[0]) as image:
        assert image.mode == "L"
        assert image.info["dpi"] == pytest.approx((dpi, dpi), abs=0.05)   # PNG stores pixels per metre
        assert image.size == pytest.approx(a4_pixels(dpi), abs=1.0)


def test_pdf_scan_is_image_only_with_its_dpi_in_the_page_size(text_pdf, tmp_path, page_count):
    dpi = 100
    path, = scan(text_pdf, tmp_path, "pdf", dpi=dpi)
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) == page_count
        page = pdf.pages[0]
        assert not page.chars
        image, = page.images
        # points = pixels × 72 / dpi, so dpi = pixels × 72 / points.
        assert image["srcsize"][0] * 72 / float(page.width) == pytest.approx(dpi)
        assert image["srcsize"] == pytest.approx(a4_pixels(dpi), abs=1.0)
        one_pixel = 72 / dpi                                # rendering rounds to whole pixels
        assert (float(page.width), float(page.height)) == pytest.approx((PAGE_W, PAGE_H), abs=one_pixel)


def embedded_page_images(pdf_path: Path) -> list[np.ndarray]:
    """The image each page of an image-only PDF holds, as stored (not re-rendered)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    document = pdfium.PdfDocument(str(pdf_path))
    try:
        images = []
        for page in document:
            image, = page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])
            images.append(np.asarray(image.get_bitmap(render=False).to_pil().convert("L"), dtype=int))
        return images
    finally:
        document.close()


def tiff_frames(path: Path) -> list[np.ndarray]:
    with Image.open(path) as image:
        frames = []
        for index in range(image.n_frames):
            image.seek(index)
            assert image.mode == "L"
            frames.append(np.asarray(image, dtype=int))
        return frames


@pytest.mark.parametrize("level", ["clean", "light"])
def test_pdf_and_tiff_of_one_scan_hold_the_same_pages(text_pdf, tmp_path, level):
    pdf_path, = scan(text_pdf, tmp_path, "pdf", level=level)
    tiff_path, = scan(text_pdf, tmp_path, "tiff", level=level)
    for pdf_page, tiff_page in zip(embedded_page_images(pdf_path), tiff_frames(tiff_path), strict=True):
        assert pdf_page.shape == tiff_page.shape
        # Clean pages are lossless in both; the TIFF re-encodes JPEG pages at the same quality.
        assert np.abs(pdf_page - tiff_page).mean() <= (0.0 if level == "clean" else 1.0)


def test_multi_page_tiff_has_a_grey_frame_per_pdf_page(text_pdf, tmp_path, page_count):
    path, = scan(text_pdf, tmp_path, "tiff")
    assert len(tiff_frames(path)) == page_count


def test_page_image_formats_write_one_numbered_file_per_page(text_pdf, tmp_path, page_count):
    paths = scan(text_pdf, tmp_path, "png", level="clean")
    assert [p.name for p in paths] == [f"scan_p{n:03d}.png" for n in range(1, page_count + 1)]


@pytest.mark.parametrize("level", sorted(DEGRADATIONS))
def test_degraded_images_are_grey_and_keep_their_size(first_page, level):
    rgb = first_page.convert("RGB")
    degraded = degrade_image(rgb, DEGRADATIONS[level], random.Random(0))
    assert degraded.mode == "L"
    assert degraded.size == first_page.size


def test_clean_level_changes_no_pixel(first_page):
    clean = degrade_image(first_page, DEGRADATIONS["clean"], random.Random(0))
    assert clean.tobytes() == first_page.tobytes()


def test_a_rotated_page_differs_from_the_clean_one(first_page):
    tilted = Degradation("tilted", max_rotation_deg=2.0)
    rotated = degrade_image(first_page, tilted, random.Random(0))
    clean = degrade_image(first_page, DEGRADATIONS["clean"], random.Random(0))
    assert rotated.tobytes() != clean.tobytes()
    # White fill: the corners stay paper-coloured, not black.
    pixels = np.asarray(rotated)
    assert pixels[0, 0] == pixels[0, -1] == pixels[-1, 0] == pixels[-1, -1] == 255


def test_degrading_with_the_same_rng_state_is_deterministic(first_page):
    first = degrade_image(first_page, DEGRADATIONS["heavy"], random.Random(3))
    second = degrade_image(first_page, DEGRADATIONS["heavy"], random.Random(3))
    assert first.tobytes() == second.tobytes()


@pytest.mark.parametrize("bad", [
    {"blur_radius": -0.5},
    {"max_rotation_deg": 11.0},
    {"max_rotation_deg": float("nan")},
    {"noise_sigma": -1.0},
    {"jpeg_quality": 0},
    {"jpeg_quality": 101},
    {"jpeg_quality": 75.5},
    {"contrast_jitter": 1.0},
    {"speckles": -3},
    {"speckles": True},
    {"name": ""},
    {"name": "two words"},
])
def test_degradation_rejects_nonsense(bad):
    with pytest.raises(ValueError):
        Degradation(**{"name": "odd", **bad})


def test_unknown_level_or_format_is_refused(text_pdf, tmp_path):
    with pytest.raises(ValueError, match="level"):
        write_scan(text_pdf, tmp_path / "x.pdf", FAST_DPI, "smudged", 0, "pdf")
    with pytest.raises(ValueError, match="format"):
        write_scan(text_pdf, tmp_path / "x.gif", FAST_DPI, "clean", 0, "gif")


def test_retarget_truth_names_the_scan_and_keeps_the_rest(text_pdf, tmp_path):
    truth = load_records(text_pdf.with_suffix(".truth.jsonl"))
    scan_path, = scan(text_pdf, tmp_path, "pdf")
    sha256 = hashlib.sha256(scan_path.read_bytes()).hexdigest()
    retargeted = retarget_truth(truth, scan_path)
    assert [r["form_id"] for r in retargeted] == [f"{sha256[:12]}-{n}" for n in range(1, len(truth) + 1)]
    for before, after in zip(truth, retargeted, strict=True):
        assert after["source"] == {"file": scan_path.name, "sha256": sha256,
                                   "pages": before["source"]["pages"], "kind": "scan"}
        assert before["source"]["kind"] == "text"          # the input is left alone
        assert {k: v for k, v in after.items() if k not in ("form_id", "source")} == \
               {k: v for k, v in before.items() if k not in ("form_id", "source")}


def test_build_scans_writes_every_combination_with_its_truth(text_pdf, tmp_path):
    written = build_scans([text_pdf], tmp_path, dpis=(FAST_DPI,), levels=("clean", "heavy"),
                          fmts=("pdf", "tiff"))
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    assert names == {f"{fmt}/{SAMPLE_STEM}__{FAST_DPI}dpi_{level}.{fmt}"
                     for fmt in ("pdf", "tiff") for level in ("clean", "heavy")}
    for path in written:
        truth = load_records(path.with_suffix(".truth.jsonl"))
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        assert {r["source"]["sha256"] for r in truth} == {sha256}
        assert {r["source"]["file"] for r in truth} == {path.name}


def test_cli_writes_the_scan_and_its_truth(text_pdf, tmp_path, capsys):
    assert main([str(text_pdf), str(tmp_path), "--dpi", str(FAST_DPI),
                 "--level", "light", "--fmt", "tiff"]) == 0
    scan_path = tmp_path / f"{SAMPLE_STEM}__{FAST_DPI}dpi_light.tiff"
    assert scan_path.exists() and scan_path.with_suffix(".truth.jsonl").exists()
    assert str(scan_path) in capsys.readouterr().out


def test_a_failed_scan_leaves_no_file_behind(tmp_path):
    import pypdfium2 as pdfium

    not_a_pdf = tmp_path / "broken.pdf"
    not_a_pdf.write_bytes(b"%PDF-1.4 truncated")
    with pytest.raises(pdfium.PdfiumError):
        write_scan(not_a_pdf, tmp_path / "out" / "scan.pdf", FAST_DPI, "clean", 0, "pdf")
    assert list((tmp_path / "out").iterdir()) == []
