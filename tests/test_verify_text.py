"""Reading rendered text back: tesseract for Latin, RapidOCR for CJK and symbols; CVTG-2k metrics."""

import pytest

from ivlu_agent.tools.common.readback import edit_distance, normalise, verify_text_image, words_of
from ivlu_agent.tools.text.render import render_text
from ivlu_agent.tools.text.verify import verify_text

POSTER = {"kind": "text", "layout": "poster", "heading": "Photosynthesis",
          "subheading": "How plants turn light into sugar"}


def drawn(tmp_path, spec, name="main.png"):
    out = render_text(spec)
    path = tmp_path / name
    path.write_bytes(out["files"][0]["data"])
    return str(path), out["meta"]


def by_name(verdicts):
    return {v["verifier"]: v for v in verdicts}


def test_metrics_helpers():
    assert edit_distance("kitten", "sitting") == 3 and edit_distance("", "abc") == 3
    assert normalise("6 CO₂ — “fast”") == '6CO2-"fast"'
    assert words_of("光合作用 in plants") == ["光", "合", "作", "用", "in", "plants"]


def test_poster_is_read_back_word_for_word(tmp_path):
    path, meta = drawn(tmp_path, POSTER)
    ocr = by_name(verify_text(POSTER, {"main.png": path}, meta))["text.ocr"]
    assert ocr["passed"], ocr["message"]
    assert ocr["details"]["word_accuracy"] == 1.0 and ocr["details"]["ned"] == 0.0
    assert [s["engine"] for s in ocr["details"]["strings"]] == ["tesseract", "tesseract"]


def test_a_misspelt_word_in_the_image_fails(tmp_path):
    path, meta = drawn(tmp_path, {**POSTER, "heading": "Photosynthesls"})
    ocr = by_name(verify_text(POSTER, {"main.png": path}, meta))["text.ocr"]
    assert not ocr["passed"] and "Photosynthesls" in ocr["message"]
    assert ocr["details"]["word_accuracy"] == pytest.approx(6 / 7, abs=1e-4)


def test_a_title_is_not_found_inside_the_subtitle(tmp_path):
    spec = {"kind": "text", "layout": "poster", "heading": "Erosion", "subheading": "Erosion by wind and water"}
    path, meta = drawn(tmp_path, {**spec, "heading": "Erasion"})
    ocr = by_name(verify_text(spec, {"main.png": path}, meta))["text.ocr"]
    assert [s["read"] for s in ocr["details"]["strings"]] == [False, True]


def test_chinese_and_symbols_go_to_rapidocr(tmp_path):
    spec = {"kind": "text", "layout": "panel", "heading": "光合作用",
            "body": "6 CO₂ + 6 H₂O → C₆H₁₂O₆ + 6 O₂\n植物在光照下制造葡萄糖。"}
    path, meta = drawn(tmp_path, spec)
    ocr = by_name(verify_text(spec, {"main.png": path}, meta))["text.ocr"]
    assert ocr["passed"], ocr["message"]
    assert {s["engine"] for s in ocr["details"]["strings"]} == {"rapid"}
    wrong = {**spec, "heading": "光和作用"}
    assert not by_name(verify_text(wrong, {"main.png": path}, meta))["text.ocr"]["passed"]


def test_verify_any_image_and_fit(tmp_path):
    path, meta = drawn(tmp_path, POSTER)
    assert verify_text_image(path, ["Photosynthesis"])[0]["passed"]
    assert not verify_text_image(path, ["Respiration"])[0]["passed"]
    fit = by_name(verify_text(POSTER, {"main.png": path}, meta))["text.fit"]
    assert fit["passed"] and fit["details"]["px"]["heading"] == 84
