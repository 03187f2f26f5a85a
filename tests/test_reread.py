"""RapidOCR's second look at the lines it is unsure of (extract.scan.reread):
the rule on a fake recogniser, then the real engine on a small-print scan."""

from __future__ import annotations

import numpy as np
import pytest

from extract.scan.reread import RereadSettings, reread

STRIP = np.full((20, 80), 255, dtype=np.uint8)


class Recogniser:
    def __init__(self, *readings):
        self.readings = list(readings)
        self.sizes = []

    def __call__(self, image):
        self.sizes.append(image.shape)
        return self.readings.pop(0)


def test_agreeing_readings_cut_the_doubt_of_the_surest():
    recognise = Recogniser(("350.00（本）", 0.90), ("350.00 (本)", 0.94))
    text, score = reread(STRIP, ("350.00(本)", 0.92), recognise)
    assert text == "350.00(本)"
    assert score == pytest.approx(1 - 0.06 * 0.25)
    assert recognise.sizes == [(30, 120), (40, 160)]     # enlarged 1.5× and 2×


def test_differing_readings_keep_the_first_with_the_lowest_score():
    text, score = reread(STRIP, (">90.00(%)", 0.95), Recogniser(("≥90.00(%)", 0.97), (">90.00(%)", 0.96)))
    assert (text, score) == (">90.00(%)", 0.95)
    text, score = reread(STRIP, ("5.00(份)", 0.93), Recogniser(None, ("5.00(份)", 0.99)))
    assert (text, score) == ("5.00(份)", 0.0)             # a reading that found nothing disagrees


def test_a_sure_line_is_read_once_and_below_zero_turns_it_off():
    recognise = Recogniser()
    assert reread(STRIP, ("及时", 0.97), recognise) == ("及时", 0.97)
    assert reread(STRIP, ("及时", 0.2), recognise, RereadSettings(below=0)) == ("及时", 0.2)
    assert recognise.sizes == []


def test_settings_refuse_what_cannot_be_meant():
    for bad in ({"below": 1.5}, {"first_scale": 1.0}, {"second_scale": 9}, {"doubt_kept": -0.1}):
        with pytest.raises(ValueError, match="RereadSettings"):
            RereadSettings(**bad)


def test_small_print_scan_sends_far_fewer_fields_to_review_and_accepts_none_wrongly(tmp_path):
    """Two gold forms typeset at 9 pt, scanned at 200 dpi, read by the real
    RapidOCR with and without the second look (measured: 18.7% of fields
    sent to review without it, 1.1% with it, over 4 forms)."""
    from corpus.build import load_gold, render_with_truth
    from corpus.degrade import retarget_truth, write_scan
    from corpus.render import STYLES, FormStyle
    from extract.checks.compare import fields_equal
    from extract.checks.routing import ACCEPTED
    from extract.model import iter_fields
    from extract.pipeline.document import extract_forms, read_document
    from extract.pipeline.settings import OcrSettings
    from extract.sources.files import sha256_of

    truth = render_with_truth(load_gold()[:2], tmp_path / "form.pdf", [FormStyle(typesetting=STYLES["dense-9"])] * 2)
    scan = write_scan(tmp_path / "form.pdf", tmp_path / "scan.pdf", 200, "light", seed=0, fmt="pdf")[0]
    golds = [dict(iter_fields(record)) for record in retarget_truth(truth, scan)]

    def routed(settings: RereadSettings) -> tuple[float, int]:
        ocr = OcrSettings(mode="always", reread=settings)
        forms = extract_forms(read_document(scan, sha256_of(scan), ocr, None))
        assert len(forms) == 2
        fields = pending = wrong = 0
        for form, gold in zip(forms, golds):
            found = dict(iter_fields(form.record))
            fields += len(found)
            pending += sum(form.status(path) != ACCEPTED for path in found)
            wrong += sum(form.status(path) == ACCEPTED and not fields_equal(gold.get(path), value)
                         for path, value in found.items() if path in gold)
        return pending / fields, wrong

    without, _ = routed(RereadSettings(below=0))
    share, accepted_wrong = routed(RereadSettings())
    assert without > 0.08 and share < without / 3, (without, share)
    assert accepted_wrong == 0
