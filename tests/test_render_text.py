"""Text layout: fonts per script, wrapping, fitting, and overflow as an error."""

import io

import pytest
from PIL import Image

from ivlu_agent.errors import IvluError
from ivlu_agent.tools.text.render import fit, fit_check, render_text, runs, tokens, wrap
from ivlu_agent.tools.text.spec import TextSpec


def lines_of(out):
    return [(line["role"], line["text"]) for line in out["meta"]["lines"]]


def test_poster_has_title_and_subtitle_centred():
    out = render_text({"kind": "text", "layout": "poster", "heading": "Photosynthesis",
                       "subheading": "How plants make sugar"})
    assert lines_of(out) == [("heading", "Photosynthesis"), ("subheading", "How plants make sugar")]
    title = out["meta"]["lines"][0]["box"]
    assert abs((title[0] + title[2]) / 2 - out["meta"]["width"] / 2) <= 2
    svg = out["files"][1]["data"].decode()
    assert "Photosynthesis" in svg and 'font-weight="bold"' in svg


def test_long_body_wraps_inside_the_margins():
    body = "Light energy is captured by chlorophyll and stored as chemical energy in glucose. " * 3
    out = render_text({"kind": "text", "layout": "panel", "heading": "Key facts", "body": body.strip()})
    body_lines = [line for line in out["meta"]["lines"] if line["role"] == "body"]
    assert len(body_lines) > 2
    assert " ".join(line["text"] for line in body_lines) == body.strip()  # nothing lost or changed
    assert all(0 < line["box"][0] and line["box"][2] < out["meta"]["width"] for line in body_lines)


def test_chinese_uses_noto_and_breaks_between_characters():
    assert runs("Summary 总结") == [("latin", "Summary "), ("cjk", "总结")]
    assert tokens("二氧化碳，水。") == ["二", "氧", "化", "碳，", "水。"]  # no line starts with ，or 。
    lines = wrap("二氧化碳和水在光照下生成葡萄糖和氧气。", False, 40, 300)
    assert "".join(lines) == "二氧化碳和水在光照下生成葡萄糖和氧气。" and len(lines) > 1
    out = render_text({"kind": "text", "layout": "poster", "heading": "光合作用"})
    assert "Noto Sans CJK SC" in out["files"][1]["data"].decode()


def test_label_fits_its_text():
    out = render_text({"kind": "text", "layout": "label", "heading": "Mitochondrion"})
    im = Image.open(io.BytesIO(out["files"][0]["data"]))
    assert im.size == (out["meta"]["width"], out["meta"]["height"]) and im.width < 500


def test_text_shrinks_to_fit_a_fixed_canvas():
    spec = TextSpec(layout="poster", heading="A fairly long poster title", width=600, height=200)
    laid = fit(spec)
    assert laid.blocks[0].px < spec.heading_px() and laid.height == 200


def test_overflow_is_an_error_never_clipped():
    with pytest.raises(IvluError, match="does not fit a 400 × 300 px canvas"):
        fit_check({"kind": "text", "layout": "poster", "heading": "T", "body": "lorem ipsum " * 120,
                   "width": 400, "height": 300})
    with pytest.raises(IvluError, match="single word is wider"):
        fit_check({"kind": "text", "layout": "panel", "heading": "W" * 150, "width": 400})


def test_undrawable_characters_are_named():
    with pytest.raises(IvluError, match="U\\+0928"):
        render_text({"kind": "text", "heading": "नमस्ते"})
