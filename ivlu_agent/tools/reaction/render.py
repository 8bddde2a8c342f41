"""Render a ReactionSpec: each structure drawn by RDKit, laid out as 'A + B → C' with conditions."""

from __future__ import annotations

import io

from ..common.canvas import SVG_NAMESPACES, font, nested_svg, svg_text
from ..common.depict import draw, prepare
from ..common.layout import LAYOUT_VERSION, embed
from .spec import ReactionSpec

GAP = 70  # width of a '+' or arrow cell, in pixels
ARROW = 140


def render_reaction(spec: dict) -> dict:
    """Draw the scheme. meta['boxes'] gives each structure's pixel box, so verifiers can crop it."""
    from PIL import Image, ImageDraw

    s = ReactionSpec.model_validate(spec)
    size = s.depiction.size
    cells: list[tuple[str, object]] = []
    for i, c in enumerate(s.reactants):
        if i:
            cells.append(("plus", None))
        cells.append(("mol", c))
    cells.append(("arrow", None))
    for i, c in enumerate(s.products):
        if i:
            cells.append(("plus", None))
        cells.append(("mol", c))
    widths = [size if k == "mol" else (ARROW if k == "arrow" else GAP) for k, _ in cells]
    width, height = sum(widths), size
    image = Image.new("RGB", (width, height), "white")
    pen = ImageDraw.Draw(image)
    svg_parts: list[str] = []
    boxes: list[dict] = []
    arrow: list[int] = []  # the arrow's cell, with room for the text over and under it
    layouts: list[dict] = []  # each structure's layout, in its own box's pixel frame
    x = 0
    mid = height // 2
    for (kind, comp), w in zip(cells, widths):
        if kind == "mol":
            png, svg, _, layout = draw(prepare(comp.smiles, s.depiction), s.depiction, comp.name, {})
            image.paste(Image.open(io.BytesIO(png)).convert("RGB"), (x, 0))
            svg_parts.append(nested_svg(svg, x, 0, size, size))
            boxes.append({"smiles": comp.smiles, "name": comp.name, "box": [x, 0, x + size, size]})
            layouts.append({"box": [x, 0, x + size, size], "layout": layout})
        elif kind == "plus":
            pen.text((x + w / 2, mid), "+", fill="black", font=font(40), anchor="mm")
            svg_parts.append(svg_text("+", x + w / 2, mid + 14, 40))
        else:
            pen.line([(x + 10, mid), (x + w - 12, mid)], fill="black", width=3)
            pen.polygon([(x + w - 4, mid), (x + w - 20, mid - 8), (x + w - 20, mid + 8)], fill="black")
            svg_parts.append(f'<line x1="{x + 10}" y1="{mid}" x2="{x + w - 12}" y2="{mid}" '
                             f'stroke="#000" stroke-width="3"/><polygon points="{x + w - 4},{mid} '
                             f'{x + w - 20},{mid - 8} {x + w - 20},{mid + 8}" fill="#000"/>')
            if s.conditions:
                pen.text((x + w / 2, mid - 14), s.conditions, fill=(120, 120, 120), font=font(14), anchor="mb")
                svg_parts.append(svg_text(s.conditions, x + w / 2, mid - 14, 14))
            arrow = [x, mid - 60, x + w, mid + 60]
            if s.below:
                pen.text((x + w / 2, mid + 14), s.below, fill=(120, 120, 120), font=font(14), anchor="mt")
                svg_parts.append(svg_text(s.below, x + w / 2, mid + 28, 14))
        x += w
    buf = io.BytesIO()
    image.save(buf, "PNG")
    svg_doc = (f'<svg {SVG_NAMESPACES} width="{width}" height="{height}" '
               f'viewBox="0 0 {width} {height}"><rect width="100%" height="100%" fill="#fff"/>'
               + "".join(svg_parts) + "</svg>")
    return {
        "files": [
            {"name": "main.png", "mime": "image/png",
             "data": embed(buf.getvalue(), {"version": LAYOUT_VERSION, "kind": "reaction",
                                            "structures": layouts})},
            {"name": "main.svg", "mime": "image/svg+xml", "data": svg_doc.encode()},
        ],
        "meta": {"boxes": boxes, "arrow": arrow},
    }
