"""Render a TextSpec with Pillow: DejaVu Sans for Latin, Greek and math symbols, Noto Sans CJK for Chinese.

Lines wrap at spaces (Latin) or between characters (CJK, never before closing punctuation). The
fitter shrinks the text step by step to the spec's smallest size; if it still does not fit, that is
an IvluError, never clipped text. `fit` is also what the planner calls to reject text too long for
any canvas before anything is drawn.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache
from xml.sax.saxutils import escape

from ...errors import IvluError
from ..common.prose import is_cjk
from .spec import MAX_CANVAS, ROLE_SCALE, TextSpec

FONTS = {
    ("latin", False): ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0, "DejaVu Sans"),
    ("latin", True): ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 0, "DejaVu Sans"),
    ("cjk", False): ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2, "Noto Sans CJK SC"),
    ("cjk", True): ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2, "Noto Sans CJK SC"),
}
LINE_SPACING = 1.3
NO_LINE_START = set("，。、！？；：）」』》〉】〕…·,.!?;:)]}%")
INK = (20, 20, 20)
RULE = (120, 120, 120)
PANEL_BAR = (232, 232, 232)


@lru_cache(maxsize=4)
def _charmap(script: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(FONTS[(script, False)][0]).get_charmap())


def script_of(ch: str) -> str:
    """Which font draws a character: CJK-wide characters and anything DejaVu lacks go to Noto CJK."""
    if is_cjk(ch) or ord(ch) not in _charmap("latin"):
        return "cjk"
    return "latin"


def check_drawable(text: str) -> None:
    missing = sorted({c for c in text if not c.isspace() and ord(c) not in _charmap("latin")
                      and ord(c) not in _charmap("cjk")})
    if missing:
        raise IvluError(f"No font here can draw {''.join(missing[:8])!r} "
                        f"({', '.join(f'U+{ord(c):04X}' for c in missing[:8])}).",
                        "English, Chinese, digits and math symbols (DejaVu Sans and Noto Sans CJK)",
                        "remove or replace those characters (Devanagari or Thai, say, have no font here)")


@lru_cache(maxsize=64)
def font(script: str, bold: bool, px: int):
    from PIL import ImageFont

    path, index, _ = FONTS[(script, bold)]
    return ImageFont.truetype(path, px, index=index)


def runs(text: str) -> list[tuple[str, str]]:
    """Split text into (script, chunk) runs that one font draws."""
    out: list[tuple[str, str]] = []
    for ch in text:
        script = out[-1][0] if ch == " " and out else script_of(ch)
        if out and out[-1][0] == script:
            out[-1] = (script, out[-1][1] + ch)
        else:
            out.append((script, ch))
    return out


def width_of(text: str, bold: bool, px: int) -> float:
    return sum(font(script, bold, px).getlength(chunk) for script, chunk in runs(text))


def tokens(paragraph: str) -> list[str]:
    """Breakable pieces: Latin words with their trailing space, single CJK characters (closing
    punctuation stays with the character before it)."""
    out: list[str] = []
    word = ""
    for ch in paragraph:
        if is_cjk(ch):
            if word:
                out.append(word)
                word = ""
            if ch in NO_LINE_START and out:
                out[-1] += ch
            else:
                out.append(ch)
        elif ch == " ":
            word += ch
            out.append(word)
            word = ""
        elif ch in NO_LINE_START and not word and out:
            out[-1] += ch
        else:
            word += ch
    if word:
        out.append(word)
    return out


def wrap(paragraph: str, bold: bool, px: int, max_width: float) -> list[str] | None:
    """Lines of the paragraph no wider than max_width, or None when a single piece is wider."""
    lines: list[str] = []
    line = ""
    for token in tokens(paragraph):
        trial = line + token
        if width_of(trial.rstrip(), bold, px) <= max_width:
            line = trial
            continue
        if line:
            lines.append(line.rstrip())
        if width_of(token.rstrip(), bold, px) > max_width:
            return None
        line = token
    if line.strip():
        lines.append(line.rstrip())
    return lines


@dataclass
class Block:
    role: str
    text: str
    px: int
    bold: bool
    lines: list[str] = field(default_factory=list)
    top: int = 0  # y of the block's first line box


@dataclass
class Layout:
    width: int
    height: int
    margin: int
    bar: int  # panel title bar height (0 for other layouts)
    blocks: list[Block]
    align: str


def _line_height(px: int) -> int:
    return round(px * LINE_SPACING)


def _arrange(s: TextSpec, heading_px: int, width: int) -> Layout | None:
    """Wrap and place every block at these sizes; None when a single piece is wider than a line."""
    margin = max(16, round(width * (0.06 if s.layout == "poster" else 0.04)))
    blocks = []
    for role, text in s.strings():
        px = max(s.min_font_size, round(heading_px * ROLE_SCALE[role]))
        lines = wrap(text, role == "heading", px, width - 2 * margin)
        if lines is None:
            return None
        blocks.append(Block(role, text, px, role == "heading", lines))
    bar = 0
    y = margin // 2 if s.layout == "panel" else margin
    for n, b in enumerate(blocks):
        if n:
            y += round(b.px * 0.6)
        if s.layout == "panel" and n == 1 and blocks[0].role == "heading":
            bar = y
            y += margin // 2
        b.top = y
        y += _line_height(b.px) * len(b.lines)
    if s.layout == "panel" and len(blocks) == 1 and blocks[0].role == "heading":
        bar = y + margin // 2
    height = y + margin
    return Layout(width, height, margin, bar, blocks, "left" if s.layout == "panel" else "center")


def fit(s: TextSpec) -> Layout:
    """The largest text sizes at which every line fits the canvas. Raises IvluError when none does.

    With no width given, wider canvases (up to MAX_CANVAS) are tried before the text shrinks further."""
    for _, text in s.strings():
        check_drawable(text)
    widths = [s.canvas_width()] if s.width or s.layout == "label" else \
        [w for w in (s.canvas_width(), 1600, 2000, MAX_CANVAS) if w >= s.canvas_width()]
    limit = s.height or MAX_CANVAS
    heading_px, laid = s.heading_px(), None
    while True:
        for width in widths:
            if not width:  # a label: as wide as its text, within the largest canvas
                longest = max(width_of(t, r == "heading",
                                       max(s.min_font_size, round(heading_px * ROLE_SCALE[r])))
                              for r, t in s.strings())
                width = min(MAX_CANVAS, int(longest) + 2 * max(16, round(0.04 * (longest + 64))) + 2)
            laid = _arrange(s, heading_px, width)
            if laid is not None and laid.height <= limit:
                if s.height:
                    laid.height = s.height
                return laid
        if all(round(heading_px * ROLE_SCALE[r]) <= s.min_font_size for r, _ in s.strings()):
            break
        heading_px = max(s.min_font_size, int(heading_px * 0.92))
    chars = sum(len(t) for _, t in s.strings())
    canvas = (f"a {s.width} × {s.height or MAX_CANVAS} px canvas" if s.width else
              f"any canvas up to {MAX_CANVAS} × {limit} px")
    raise IvluError(
        f"The text ({chars} characters) does not fit {canvas} even at {s.min_font_size} px without clipping"
        + (" (a single word is wider than the canvas)" if laid is None else "") + ".",
        f"text that fits at {s.min_font_size} px or more on a canvas of at most "
        f"{MAX_CANVAS} × {MAX_CANVAS} px",
        "shorten the text, split it over several panels, or allow a larger canvas")


def fit_check(spec: dict) -> dict:
    """For the planner: the sizes the text will be drawn at (raises IvluError if it cannot fit)."""
    laid = fit(TextSpec.model_validate(spec))
    return {"width": laid.width, "height": laid.height,
            "px": {b.role: b.px for b in laid.blocks}, "lines": sum(len(b.lines) for b in laid.blocks)}


def draw(laid: Layout, layout: str) -> tuple[bytes, bytes, list[dict]]:
    """PNG bytes, SVG bytes and the box of every line."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (laid.width, laid.height), "white")
    pen = ImageDraw.Draw(image)
    svg = ['<rect width="100%" height="100%" fill="#fff"/>']
    if layout == "panel":
        pen.rectangle([1, 1, laid.width - 2, laid.height - 2], outline=RULE, width=2)
        svg.append(f'<rect x="1" y="1" width="{laid.width - 3}" height="{laid.height - 3}" fill="none" '
                   f'stroke="rgb{RULE}" stroke-width="2"/>')
        if laid.bar:
            pen.rectangle([2, 2, laid.width - 3, laid.bar], fill=PANEL_BAR)
            svg.append(f'<rect x="2" y="2" width="{laid.width - 5}" height="{laid.bar - 2}" '
                       f'fill="rgb{PANEL_BAR}"/>')
    if layout == "label":
        pen.rounded_rectangle([1, 1, laid.width - 2, laid.height - 2], radius=laid.margin // 2, outline=RULE,
                              width=2)
        svg.append(f'<rect x="1" y="1" width="{laid.width - 3}" height="{laid.height - 3}" '
                   f'rx="{laid.margin // 2}" fill="none" stroke="rgb{RULE}" stroke-width="2"/>')
    boxes = []
    for block in laid.blocks:
        y = block.top
        align = "center" if layout == "panel" and block.role == "heading" else laid.align
        for line in block.lines:
            wide = width_of(line, block.bold, block.px)
            x = (laid.width - wide) / 2 if align == "center" else laid.margin
            baseline = y + round(block.px * 1.0)
            for script, chunk in runs(line):
                f = font(script, block.bold, block.px)
                pen.text((x, baseline), chunk, font=f, fill=INK, anchor="ls")
                family = FONTS[(script, block.bold)][2]
                weight = ' font-weight="bold"' if block.bold else ""
                svg.append(f'<text x="{x:.1f}" y="{baseline}" font-family="{family}" font-size="{block.px}"'
                           f'{weight} fill="rgb{INK}" xml:space="preserve">{escape(chunk)}</text>')
                x += f.getlength(chunk)
            left = (laid.width - wide) / 2 if align == "center" else laid.margin
            boxes.append({"role": block.role, "text": line, "px": block.px,
                          "box": [round(left), y, round(left + wide), y + _line_height(block.px)]})
            y += _line_height(block.px)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    doc = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{laid.width}" height="{laid.height}" '
           f'viewBox="0 0 {laid.width} {laid.height}">' + "".join(svg) + "</svg>")
    return buf.getvalue(), doc.encode(), boxes


def render_text(spec: dict) -> dict:
    """Draw the spec's text: main.png and main.svg, with every line's box and size in meta."""
    s = TextSpec.model_validate(spec)
    laid = fit(s)
    png, svg, lines = draw(laid, s.layout)
    return {
        "files": [{"name": "main.png", "mime": "image/png", "data": png},
                  {"name": "main.svg", "mime": "image/svg+xml", "data": svg}],
        "meta": {"width": laid.width, "height": laid.height, "margin": laid.margin,
                 "px": {b.role: b.px for b in laid.blocks}, "lines": lines},
    }
