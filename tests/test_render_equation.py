"""mathtext rendering: PNG, SVG and the glyph layout the verifier reuses."""

import io

import pytest
from PIL import Image

from ivlu_agent.errors import IvluError
from ivlu_agent.tools.equation.render import layout, render_equation

QUADRATIC = r"x = \frac{-b \pm \sqrt{b^{2} - 4ac}}{2a}"


def test_png_and_svg_of_the_quadratic_formula():
    out = render_equation({"kind": "equation", "latex": QUADRATIC})
    files = {f["name"]: f for f in out["files"]}
    im = Image.open(io.BytesIO(files["main.png"]["data"])).convert("L")
    assert im.size == (out["meta"]["width"], out["meta"]["height"])
    assert im.getextrema()[0] < 50 and im.getpixel((0, 0)) == 255  # black ink on a white border
    svg = files["main.svg"]["data"]
    assert b"<svg" in svg and b"<path" in svg and b"xlink:href" not in svg  # nests in the composed SVG
    assert out["meta"]["glyphs"] == "x=−b±√b2−4ac2a"


def test_layout_places_superscripts_smaller_and_higher():
    laid = layout("a^{2} + b^{2} = c^{2}", 40)
    a, two = laid["glyphs"][0], laid["glyphs"][1]
    assert (a["char"], two["char"]) == ("a", "2")
    assert two["size"] < a["size"] and two["baseline"] < a["baseline"]
    assert (laid["owner"] == 0).any() and laid["rects"] == []


def test_fraction_bar_is_a_rule_not_a_glyph():
    laid = layout(r"\frac{1}{2}", 40)
    assert [g["char"] for g in laid["glyphs"]] == ["1", "2"] and len(laid["rects"]) == 1


def test_bigger_font_gives_a_bigger_image():
    small = render_equation({"kind": "equation", "latex": "E = m c^{2}", "font_size": 40})["meta"]
    big = render_equation({"kind": "equation", "latex": "E = m c^{2}", "font_size": 72})["meta"]
    assert big["width"] > 1.6 * small["width"]


@pytest.mark.parametrize("latex", [r"\frac{a}{", r"x^{2", r"\notacommand{x}"])
def test_malformed_latex_is_a_clear_error(latex):
    with pytest.raises(IvluError, match="Malformed LaTeX"):
        render_equation({"kind": "equation", "latex": latex})
