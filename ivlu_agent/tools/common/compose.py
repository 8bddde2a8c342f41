"""Lay the step panels out as one figure: a grid with a caption under each panel."""

from __future__ import annotations

import io
from pathlib import Path

from .canvas import SVG_NAMESPACES, font, nested_svg, svg_text

CAPTION = 22  # caption font size in pixels
PAD = 16


def compose_figure(panels: list[dict], max_columns: int = 3, panel_size: int = 480) -> dict:
    """`panels`: [{"caption", "png": path, "svg": path or None}]. Returns figure.png (+ figure.svg)."""
    from PIL import Image, ImageDraw

    n = len(panels)
    columns = min(max_columns, n)
    images = [Image.open(p["png"]).convert("RGB") for p in panels]
    # Each cell keeps its panel's aspect ratio (a CAD sheet or reaction is wide, a molecule square).
    cell_h = panel_size
    widths = [int(cell_h * min(max(im.width / im.height, 0.75), 3.0)) for im in images]
    rows = [list(range(i, min(i + columns, n))) for i in range(0, n, columns)]
    width = max(sum(widths[i] for i in row) + (len(row) + 1) * PAD for row in rows)
    height = len(rows) * (cell_h + CAPTION + 2 * PAD) + PAD
    figure = Image.new("RGB", (width, height), "white")
    pen = ImageDraw.Draw(figure)
    svg_parts = ['<rect width="100%" height="100%" fill="#fff"/>']
    for r, row in enumerate(rows):
        x0 = PAD + (width - sum(widths[i] for i in row) - (len(row) + 1) * PAD) // 2
        y0 = PAD + r * (cell_h + CAPTION + 2 * PAD)
        for i in row:
            panel, im, cell_w = panels[i], images[i], widths[i]
            scale = min(cell_w / im.width, cell_h / im.height)
            w, h = max(1, int(im.width * scale)), max(1, int(im.height * scale))
            px, py = x0 + (cell_w - w) // 2, y0 + (cell_h - h) // 2
            figure.paste(im.resize((w, h), Image.LANCZOS), (px, py))
            caption = f"({chr(ord('a') + i)}) {panel['caption']}" if n > 1 else panel["caption"]
            pen.text((x0 + cell_w / 2, y0 + cell_h + PAD), caption, fill="black", font=font(CAPTION), anchor="mt")
            if panel.get("svg"):
                svg_parts.append(nested_svg(Path(panel["svg"]).read_text(), px, py, w, h))
            svg_parts.append(svg_text(caption, x0 + cell_w / 2, y0 + cell_h + PAD + CAPTION, CAPTION))
            x0 += cell_w + PAD
    buf = io.BytesIO()
    figure.save(buf, "PNG")
    files = [{"name": "figure.png", "mime": "image/png", "data": buf.getvalue()}]
    if all(p.get("svg") for p in panels):
        svg = (f'<svg {SVG_NAMESPACES} width="{width}" height="{height}" '
               f'viewBox="0 0 {width} {height}">' + "".join(svg_parts) + "</svg>")
        files.append({"name": "figure.svg", "mime": "image/svg+xml", "data": svg.encode()})
    return {"files": files, "meta": {"columns": columns, "rows": len(rows)}}
