"""Small drawing helpers shared by the compositing tools (fonts, SVG nesting)."""

from __future__ import annotations

import re
from functools import lru_cache
from xml.sax.saxutils import escape

# Root attributes for a composed SVG: nested panels (matplotlib's among them) may use xlink:href.
SVG_NAMESPACES = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'

FONT_PATHS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
]


@lru_cache(maxsize=32)
def font(size: int):
    from PIL import ImageFont

    for path in FONT_PATHS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def text_width(text: str, size: int) -> int:
    box = font(size).getbbox(text)
    return int(box[2] - box[0])


def nested_svg(svg: str, x: float, y: float, width: float, height: float) -> str:
    """Place a whole SVG document at (x, y) inside another, scaled to width × height."""
    body = re.sub(r"<\?xml[^>]*\?>", "", svg).strip()
    match = re.search(r"<svg\b([^>]*)>", body)
    if not match:
        raise ValueError("not an SVG document")
    attrs = match.group(1)
    view = re.search(r'viewBox=[\'"]([^\'"]+)[\'"]', attrs)
    if view is None:
        w = re.search(r"width=['\"]([\d.]+)", attrs)
        h = re.search(r"height=['\"]([\d.]+)", attrs)
        viewbox = f"0 0 {w.group(1) if w else width} {h.group(1) if h else height}"
    else:
        viewbox = view.group(1)
    inner = body[match.end():body.rfind("</svg>")]
    return (f'<svg x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
            f'viewBox="{viewbox}" preserveAspectRatio="xMidYMid meet">{inner}</svg>')


def svg_text(text: str, x: float, y: float, size: int, anchor: str = "middle") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="DejaVu Sans, Noto Sans CJK SC, sans-serif" '
            f'font-size="{size}" text-anchor="{anchor}" fill="#000">{escape(text)}</text>')
