"""Render an EquationSpec with matplotlib mathtext (no TeX install): main.png, main.svg and glyph boxes.

`layout` is also what the verifier uses: it lays the spec's LaTeX out again to learn where each
glyph should be, so the raster check needs nothing from the renderer but the image.
"""

from __future__ import annotations

import io
import math

from ...errors import IvluError
from .spec import DPI, EquationSpec

MARGIN_EM = 0.5  # white border around the formula, in ems of the base font size


def mathtext_error(latex: str, error: Exception) -> IvluError:
    detail = " ".join(str(error).split())
    return IvluError(f"Malformed LaTeX {latex!r}: {detail[:300]}",
                     "LaTeX in matplotlib's mathtext subset (\\frac, \\sqrt, ^, _, \\int, \\sum, Greek…)",
                     "fix the braces or commands; TeX packages and environments are not available")


def layout(latex: str, font_size: int, dpi: int = DPI) -> dict:
    """Lay the formula out. Returns {"ink": uint8 array (255 = ink), "owner": which glyph inked each
    pixel (-1 none, -2 a fraction or radical bar), "glyphs": [...], "rects": bars, "size": (w, h)}.

    Each glyph is {"char", "size" (points), "box": [x0, y0, x1, y1] in pixels, "baseline"}.
    Uses matplotlib's private `_mathtext` module: the public API hides glyph positions.
    """
    import numpy as np
    from matplotlib import _mathtext, mathtext
    from matplotlib.font_manager import FontProperties
    from matplotlib.ft2font import LoadFlags

    prop = FontProperties(size=font_size, math_fontfamily="dejavusans")
    parser = mathtext.MathTextParser("agg")
    fontset = parser._font_type_mapping[prop.get_math_fontfamily()](prop, LoadFlags.NO_HINTING)
    if parser._parser is None:
        parser.__class__._parser = _mathtext.Parser()
    try:
        box = parser._parser.parse(f"${latex}$", fontset, font_size, dpi)
    except ValueError as e:
        raise mathtext_error(latex, e) from None
    placed = _mathtext.ship(box)
    xs = [ox + g.metrics.xmin for ox, oy, g in placed.glyphs] + [x for x, y, w, h in placed.rects]
    xe = [ox + g.metrics.xmax for ox, oy, g in placed.glyphs] + [x + w for x, y, w, h in placed.rects]
    ys = [oy - g.metrics.ymax for ox, oy, g in placed.glyphs] + [y for x, y, w, h in placed.rects]
    ye = [oy - g.metrics.ymin for ox, oy, g in placed.glyphs] + [y + h for x, y, w, h in placed.rects]
    if not xs:
        raise IvluError(f"The LaTeX {latex!r} draws nothing.", "a formula with at least one symbol",
                        "write the formula")
    margin = max(4, round(MARGIN_EM * font_size * dpi / 72))
    width = math.ceil(max(xe) - min(xs)) + 2 * margin
    height = math.ceil(max(ye) - min(ys)) + 2 * margin
    shifted = _mathtext.ship(box, (margin - min(xs), margin - min(ys)))
    ink = np.zeros((height, width), np.uint8)
    owner = np.full((height, width), -1, np.int16)  # which glyph drew each pixel (-2: a rule)
    glyphs = []
    for ox, oy, g in shifted.glyphs:
        alone = np.zeros_like(ink)
        g.font.draw_glyph_to_bitmap(alone, int(ox), int(oy - g.metrics.iceberg), g.glyph, antialiased=True)
        owner[alone > 32] = len(glyphs)
        np.maximum(ink, alone, out=ink)
        glyphs.append({"char": chr(g.num), "size": float(g.fontsize),
                       "box": [ox + g.metrics.xmin, oy - g.metrics.ymax,
                               ox + g.metrics.xmax, oy - g.metrics.ymin],
                       "baseline": float(oy)})
    rects = []
    for x, y, w, h in shifted.rects:  # fraction bars and radical overlines, as mathtext draws them
        thick = max(int(h) - 1, 0)
        top = int(y + h / 2 - 0.5) if thick == 0 else int(y)
        ink[top:top + thick + 1, math.floor(x):math.ceil(x + w) + 1] = 255
        owner[top:top + thick + 1, math.floor(x):math.ceil(x + w) + 1] = -2
        rects.append([math.floor(x), top, math.ceil(x + w) + 1, top + thick + 1])
    return {"ink": ink, "owner": owner, "glyphs": glyphs, "rects": rects, "size": (width, height),
            "margin": margin}


def to_svg(latex: str, font_size: int, width: int, height: int, margin: int, dpi: int = DPI) -> bytes:
    """The same formula as vector paths, on a canvas of the PNG's size (for composed SVG figures)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    fig.patch.set_facecolor("white")
    fig.text(margin / width, 0.5, f"${latex}$", fontsize=font_size, va="center", ha="left",
             math_fontfamily="dejavusans")
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "ivlu"}):
        fig.savefig(buf, format="svg", dpi=dpi, metadata={"Date": None})
    # Plain `href` (SVG 2): the composed figure nests this document and declares no xlink namespace.
    return buf.getvalue().replace(b"xlink:href=", b"href=")


def render_equation(spec: dict) -> dict:
    """Draw the spec's LaTeX: main.png (black on white) and main.svg, plus glyph facts in meta."""
    import numpy as np
    from PIL import Image

    s = EquationSpec.model_validate(spec)
    font_size = s.font_size
    laid = layout(s.latex, font_size)
    if s.width:  # 'make it 1200 px': the font that makes the formula fill that width, then white either side
        font_size = max(8, min(400, int(font_size * s.width / laid["size"][0])))
        laid = layout(s.latex, font_size)
        while laid["size"][0] > s.width and font_size > 8:
            font_size -= 1
            laid = layout(s.latex, font_size)
        if laid["size"][0] > s.width:
            raise IvluError(f"The formula does not fit {s.width} px even at 8 pt.", "a wider image",
                            "ask for a larger width")
    ink, margin = laid["ink"], laid["margin"]
    if s.width:
        pad = s.width - ink.shape[1]
        ink = np.pad(ink, ((0, 0), (pad // 2, pad - pad // 2)))
        margin += pad // 2
    height, width = ink.shape
    buf = io.BytesIO()
    Image.fromarray((255 - ink).astype(np.uint8)).save(buf, "PNG")
    return {
        "files": [
            {"name": "main.png", "mime": "image/png", "data": buf.getvalue()},
            {"name": "main.svg", "mime": "image/svg+xml",
             "data": to_svg(s.latex, font_size, width, height, margin)},
        ],
        "meta": {"width": width, "height": height, "font_size": font_size, "dpi": DPI,
                 "glyphs": "".join(g["char"] for g in laid["glyphs"])},
    }
