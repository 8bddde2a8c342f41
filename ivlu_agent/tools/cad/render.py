"""Render a CadSpec with CadQuery: one PNG and SVG per view, a dimensioned multi-view sheet
(main.png / main.svg), and part.step and part.stl.

The solid is built from the spec's numbers only. Views come from `cad_views.project` (hidden-line
removal with an explicit frame); visible edges are solid, hidden edges dashed. The sheet places
the orthographic views in first-angle (ISO) or third-angle (ANSI) positions at one scale, adds
the pictorial views in a column on the right, and dimensions the overall sizes and hole diameters
in blue with horizontal text (so OCR can read them back).
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass

import numpy as np

from .geometry import centred_polygon, cut_depth, expected_bbox, faces, hole_labels
from .spec import (
    Boss,
    Box,
    CadSpec,
    Chamfer,
    Counterbore,
    Cylinder,
    Fillet,
    Hole,
    LBracket,
    Pocket,
    Slot,
    Tube,
    View,
    load_cad_spec,
)
from .views import Placement, Projection, draw_lines, frame, project, project_point, svg_lines

INK = (0, 0, 0)
HIDDEN_INK = (70, 70, 70)
DIM_INK = (25, 75, 200)
DIM_HEX = "#194bc8"
EPS = 0.01  # tools start this far outside a face so booleans never meet coplanar faces
MARGIN_PX = 24
SUPERSAMPLE = 2

# Sheet cells (row, column) of the orthographic views; pictorial views go in an extra column.
LAYOUTS = {
    "third": {"top": (0, 1), "left": (1, 0), "front": (1, 1), "right": (1, 2), "back": (1, 3), "bottom": (2, 1)},
    "first": {"bottom": (0, 1), "right": (1, 0), "front": (1, 1), "left": (1, 2), "back": (1, 3), "top": (2, 1)},
}
PROJECTION_LABEL = {"first": "ISO first-angle projection", "third": "ANSI third-angle projection"}


# -- building -------------------------------------------------------------------------------------


def build_part(s: CadSpec):
    """The finished solid (`cq.Solid`): base, edge blends, bosses, then cuts."""
    import cadquery as cq

    p = s.part
    if isinstance(p, Box):
        wp = cq.Workplane("XY").box(p.length, p.width, p.height, centered=(True, True, False))
    elif isinstance(p, (Cylinder, Tube)):
        d = p.diameter if isinstance(p, Cylinder) else p.outer_diameter
        wp = cq.Workplane("XY").circle(d / 2).extrude(p.height)
    elif isinstance(p, LBracket):
        L, H, t = p.length, p.height, p.thickness
        profile = [(-L / 2, 0), (L / 2, 0), (L / 2, t), (-L / 2 + t, t), (-L / 2 + t, H), (-L / 2, H)]
        wp = cq.Workplane("XZ").polyline(profile).close().extrude(p.width / 2, both=True)
    else:
        wp = cq.Workplane("XY").polyline(centred_polygon(p.points)).close().extrude(p.height)
    for f in s.features:
        if isinstance(f, (Fillet, Chamfer)):
            edges = wp.edges({"vertical": "|Z", "top": ">Z", "bottom": "<Z"}[f.edges])
            wp = edges.fillet(f.radius) if isinstance(f, Fillet) else edges.chamfer(f.size)
    solid = wp.val()
    if isinstance(p, Tube):
        solid = solid.cut(cq.Solid.makeCylinder(p.inner_diameter / 2, p.height + 2 * EPS,
                                                cq.Vector(0, 0, -EPS), cq.Vector(0, 0, 1)))
    available = faces(p)
    for f in s.features:
        if isinstance(f, Boss):
            face = available[f.face]
            solid = solid.fuse(cq.Solid.makeCylinder(f.diameter / 2, f.height + EPS,
                                                     cq.Vector(*face.point(*f.at, -EPS)), cq.Vector(*face.normal)))
    for f in s.features:
        if isinstance(f, (Hole, Counterbore, Slot, Pocket)):
            solid = solid.cut(_cut_tool(f, available[f.face]))
    return solid.clean()


def _cut_tool(f, face):
    """The solid a cut feature removes, reaching EPS outside the face."""
    import cadquery as cq

    inward = cq.Vector(*face.normal) * -1
    start = cq.Vector(*face.point(*f.at, EPS))
    depth = cut_depth(f, face) + (2 if getattr(f, "depth", None) is None else 1) * EPS
    if isinstance(f, Hole):
        return cq.Solid.makeCylinder(f.diameter / 2, depth, start, inward)
    if isinstance(f, Counterbore):
        hole = cq.Solid.makeCylinder(f.diameter / 2, face.thickness + 2 * EPS, start, inward)
        return hole.fuse(cq.Solid.makeCylinder(f.cbore_diameter / 2, f.cbore_depth + EPS, start, inward))
    plane = cq.Plane(origin=face.point(0, 0, EPS), xDir=face.u, normal=face.normal)
    sketch = cq.Workplane(plane).center(*f.at)
    if isinstance(f, Slot):
        sketch = sketch.slot2D(f.length, f.width, f.angle)
    else:
        sketch = sketch.rect(f.length, f.width)
    return sketch.extrude(-depth).val()


def export_files(solid) -> tuple[bytes, bytes]:
    """(STEP bytes, binary STL bytes) of a solid."""
    import cadquery as cq

    bb = solid.BoundingBox()
    tolerance = max(0.005, bb.DiagonalLength / 2000)
    with tempfile.TemporaryDirectory(prefix="ivlu-cad-") as tmp:
        step, stl = os.path.join(tmp, "part.step"), os.path.join(tmp, "part.stl")
        cq.exporters.export(solid, step)
        cq.exporters.export(solid, stl, tolerance=tolerance, angularTolerance=0.1)
        with open(step, "rb") as a, open(stl, "rb") as b:
            return a.read(), b.read()


# -- one view ---------------------------------------------------------------------------------------


@dataclass
class Canvas:
    """A PIL image drawn at SUPERSAMPLE× and an SVG body drawn at 1×, kept in step."""

    width: int
    height: int

    def __post_init__(self):
        from PIL import Image, ImageDraw

        self.image = Image.new("RGB", (self.width * SUPERSAMPLE, self.height * SUPERSAMPLE), "white")
        self.pen = ImageDraw.Draw(self.image)
        self.svg: list[str] = []

    def lines(self, lines: list[np.ndarray], width: float, color, dash=None) -> None:
        k = SUPERSAMPLE
        draw_lines(self.pen, [ln * k for ln in lines], width * k, color, (dash[0] * k, dash[1] * k) if dash else None)
        hex_color = "#{:02x}{:02x}{:02x}".format(*color)
        self.svg.append(svg_lines(lines, width, hex_color, dash))

    def view(self, proj: Projection, place: Placement, line_px: float, hidden: bool) -> None:
        if hidden and proj.hidden:
            dash = (4 * line_px + 2, 2.5 * line_px + 1)
            self.lines([place(h) for h in proj.hidden], max(1.0, line_px * 0.7), HIDDEN_INK, dash)
        self.lines([place(v) for v in proj.drawn], line_px, INK)

    def text(self, text: str, x: float, y: float, size: int, anchor: str = "mm", color=DIM_INK) -> list[float]:
        """Draw text anchored PIL-style ('mm', 'rm', 'ms'…); return its pixel box at 1×."""
        from xml.sax.saxutils import escape

        from ..common.canvas import font

        k = SUPERSAMPLE
        self.pen.text((x * k, y * k), text, fill=color, font=font(size * k), anchor=anchor)
        box = [c / k for c in self.pen.textbbox((x * k, y * k), text, font=font(size * k), anchor=anchor)]
        svg_anchor = {"l": "start", "m": "middle", "r": "end"}[anchor[0]]
        baseline = box[3] - 0.2 * size
        self.svg.append(f'<text x="{x:.1f}" y="{baseline:.1f}" font-family="DejaVu Sans, sans-serif" '
                        f'font-size="{size}" text-anchor="{svg_anchor}" fill="{DIM_HEX}">{escape(text)}</text>')
        return box

    def polygon(self, points: list[tuple[float, float]], color) -> None:
        k = SUPERSAMPLE
        self.pen.polygon([(x * k, y * k) for x, y in points], fill=color)
        hex_color = "#{:02x}{:02x}{:02x}".format(*color)
        self.svg.append(f'<polygon fill="{hex_color}" points="'
                        + " ".join(f"{x:.2f},{y:.2f}" for x, y in points) + '"/>')

    def finish(self) -> tuple[bytes, bytes]:
        small = self.image.reduce(SUPERSAMPLE)
        buf = io.BytesIO()
        small.save(buf, "PNG", optimize=False, compress_level=6)
        svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
               f'viewBox="0 0 {self.width} {self.height}"><rect width="100%" height="100%" fill="#fff"/>'
               + "".join(self.svg) + "</svg>")
        return buf.getvalue(), svg.encode()


def draw_view(proj: Projection, view_px: int = 480, line_px: float = 2, hidden: bool = True,
              margin: int = MARGIN_PX) -> tuple[bytes, bytes, dict]:
    """One view alone, its longest side `view_px` pixels: (PNG, SVG, placement facts)."""
    w, h = proj.size()
    scale = (view_px - 2 * margin) / max(w, h, 1e-9)
    u0, _v0, _u1, v1 = proj.bounds()
    canvas = Canvas(round(w * scale) + 2 * margin, round(h * scale) + 2 * margin)
    place = Placement(scale, u0, v1, margin, margin)
    canvas.view(proj, place, line_px, hidden)
    png, svg = canvas.finish()
    return png, svg, {"scale": scale, "size_mm": [w, h], "box": [margin, margin, margin + w * scale,
                                                                  margin + h * scale]}


# -- the sheet --------------------------------------------------------------------------------------


def _arrow(canvas: Canvas, tip: tuple[float, float], toward: tuple[float, float], size: float) -> None:
    d = np.array(toward) - np.array(tip)
    d = d / (np.linalg.norm(d) or 1)
    n = np.array([-d[1], d[0]])
    base = np.array(tip) + d * size
    canvas.polygon([tuple(tip), tuple(base + n * size * 0.35), tuple(base - n * size * 0.35)], DIM_INK)


def dim_horizontal(canvas: Canvas, x0: float, x1: float, y_from: float, y: float, text: str, font_px: int) -> dict:
    """A horizontal dimension from x0 to x1 at height y, extension lines from y_from; text above the line."""
    down = 1 if y > y_from else -1
    ext = [np.array([[x, y_from + 4 * down], [x, y + 6 * down]]) for x in (x0, x1)]
    canvas.lines([*ext, np.array([[x0, y], [x1, y]])], 1.2, DIM_INK)
    arrow = min(10, max(4, (x1 - x0) / 4))
    _arrow(canvas, (x0, y), (x1, y), arrow)
    _arrow(canvas, (x1, y), (x0, y), arrow)
    box = canvas.text(text, (x0 + x1) / 2, y - 4, font_px, anchor="ms")
    return {"text": text, "box": box}


def dim_vertical(canvas: Canvas, y0: float, y1: float, x_from: float, x: float, text: str, font_px: int) -> dict:
    """A vertical dimension from y0 to y1 at x, extension lines from x_from; horizontal text beside it."""
    out = 1 if x > x_from else -1
    ext = [np.array([[x_from + 4 * out, y], [x + 6 * out, y]]) for y in (y0, y1)]
    canvas.lines([*ext, np.array([[x, y0], [x, y1]])], 1.2, DIM_INK)
    arrow = min(10, max(4, (y1 - y0) / 4))
    _arrow(canvas, (x, y0), (x, y1), arrow)
    _arrow(canvas, (x, y1), (x, y0), arrow)
    box = canvas.text(text, x + 6 * out, (y0 + y1) / 2, font_px, anchor="lm" if out > 0 else "rm")
    return {"text": text, "box": box}


def _first(options: list[str], present) -> str | None:
    return next((v for v in options if v in present), None)


def fmt(mm: float) -> str:
    """A size as written on the sheet: at most two decimals, no trailing zeros."""
    return f"{round(mm, 2):g}"


def dimension_plan(ortho) -> dict[str, tuple[str, str]]:
    """Which view carries each overall size, and how: {'x'|'y'|'z': (view, 'h' or 'v')}."""
    plan = {}
    width_view = _first(["front", "top", "bottom", "back"], ortho)
    if width_view:
        plan["x"] = (width_view, "h")
    height_view = _first(["front", "right", "left", "back"], ortho)
    if height_view:
        plan["z"] = (height_view, "v")
    depth_view = _first(["top", "bottom", "right", "left"], ortho)
    if depth_view:
        plan["y"] = (depth_view, "v" if depth_view in ("top", "bottom") else "h")
    return plan


def render_sheet(s: CadSpec, projections: dict[str, Projection]) -> tuple[bytes, bytes, dict]:
    """The multi-view sheet: orthographic views in projection positions, dimensions, pictorial views."""
    d = s.drawing
    font_px = d.font_px
    cells = LAYOUTS[s.projection]
    ortho = {label: p for label, p in projections.items() if p.view.name in cells}
    pictorial = [p for p in projections.values() if p.view.name not in cells]
    labels = hole_labels(s)
    label_views = _label_views(s, labels, ortho)
    plan = dimension_plan(ortho)

    # Gaps are sized by what sits in them: a vertical dimension left of a column, a horizontal one
    # below a row, hole call-outs above a row.
    small = int(1.6 * font_px)
    rows = sorted({cells[name][0] for name in ortho})
    cols = sorted({cells[name][1] for name in ortho})
    col_mm = {c: max(ortho[n].size()[0] for n in ortho if cells[n][1] == c) for c in cols}
    row_mm = {r: max(ortho[n].size()[1] for n in ortho if cells[n][0] == r) for r in rows}
    left_gap = {c: int(4.6 * font_px) if any(cells[v][1] == c and how == "v" for v, how in plan.values())
                else small for c in cols}
    below = {r: int(3 * font_px) if any(cells[v][0] == r and how == "h" for v, how in plan.values())
             else small for r in rows}
    above = {r: int(1.5 * font_px * sum(1 for v in label_views.values() if cells[v][0] == r) + 0.6 * font_px)
             for r in rows}
    row_gap = {r: max(small, above[r] + (below[rows[i - 1]] if i else 0)) for i, r in enumerate(rows)}
    callout_w = max([len(t) * 0.65 * font_px for t, _, _ in labels] or [0])
    pict_w = max([p.size()[0] for p in pictorial] or [0.0])
    pict_h = [p.size()[1] for p in pictorial]
    title_h = int(2.6 * font_px)

    fixed_w = sum(left_gap.values()) + (small + callout_w + 2 * font_px + 12 if cols else 0) + \
        (2 * small if pictorial else 0)
    fixed_h = sum(row_gap.values()) + (below[rows[-1]] if rows else 0)
    max_w, max_h = d.sheet_px, int(d.sheet_px * 0.8) - title_h
    limits = [(max_w - fixed_w) / max(sum(col_mm.values()) + pict_w, 1e-9)]
    if rows:
        limits.append((max_h - fixed_h) / max(sum(row_mm.values()), 1e-9))
    if pictorial:
        limits.append((max_h - small * (len(pictorial) + 1)) / max(sum(pict_h), 1e-9))
    scale = max(0.01, min(limits))

    col_x, x = {}, 0.0
    for c in cols:
        col_x[c] = x + left_gap[c]
        x = col_x[c] + col_mm[c] * scale
    x += small + (callout_w + 2 * font_px + 12 if labels else 0) if cols else small
    pict_x = x
    width = int(x + (pict_w * scale + 2 * small if pictorial else 0))
    row_y, y = {}, 0.0
    for r in rows:
        row_y[r] = y + row_gap[r]
        y = row_y[r] + row_mm[r] * scale
    ortho_h = y + (below[rows[-1]] if rows else 0)
    pict_total = small + sum(h * scale + small for h in pict_h)
    height = int(max(ortho_h, pict_total if pictorial else 0) + title_h)
    canvas = Canvas(max(width, 16 * font_px), height)

    boxes: dict[str, list[float]] = {}
    for name, proj in ortho.items():
        r, c = cells[name]
        w, h = proj.size()
        # centre in the cell: views sharing a row or column have equal extents, so they stay aligned
        x0 = col_x[c] + (col_mm[c] - w) * scale / 2
        y0 = row_y[r] + (row_mm[r] - h) * scale / 2
        u0, _, _, v1 = proj.bounds()
        canvas.view(proj, Placement(scale, u0, v1, x0, y0), d.line_px, d.hidden)
        boxes[name] = [x0, y0, x0 + w * scale, y0 + h * scale]
    y = small
    for proj in pictorial:
        w, h = proj.size()
        u0, _, _, v1 = proj.bounds()
        x0 = pict_x + small + (pict_w - w) * scale / 2
        canvas.view(proj, Placement(scale, u0, v1, x0, y), d.line_px, d.hidden)
        boxes[proj.view.label] = [x0, y, x0 + w * scale, y + h * scale]
        y += h * scale + small

    dims = _dimensions(s, canvas, plan, boxes, font_px)
    dims += _hole_callouts(s, canvas, labels, label_views, ortho, boxes, scale, font_px)
    title_y = height - title_h / 2
    box = canvas.text(PROJECTION_LABEL[s.projection], small, title_y, int(font_px * 0.8), anchor="lm", color=INK)
    _projection_symbol(canvas, box[2] + font_px, title_y, font_px * 0.8, s.projection)
    png, svg = canvas.finish()
    return png, svg, {"scale": scale, "boxes": boxes, "labels": dims, "projection": s.projection,
                      "size": [canvas.width, canvas.height]}


def _label_views(s: CadSpec, labels, ortho: dict[str, Projection]) -> dict[int, str]:
    """For each hole label, the first sheet view that looks straight at its face."""
    available = faces(s.part)
    chosen = {}
    for i, (_, face_name, _) in enumerate(labels):
        normal = np.array(available[face_name].normal)
        for name, proj in ortho.items():
            if float(np.dot(frame(proj.view)[0], normal)) > 0.999:
                chosen[i] = name
                break
    return chosen


def _dimensions(s, canvas, plan, boxes, font_px) -> list[dict]:
    """Overall width (x), depth (y) and height (z), each on the view `dimension_plan` chose."""
    lo, hi = expected_bbox(s)
    out = []
    for axis, (view, how) in plan.items():
        x0, y0, x1, y1 = boxes[view]
        text = fmt(hi["xyz".index(axis)] - lo["xyz".index(axis)])
        if how == "h":
            out.append(dim_horizontal(canvas, x0, x1, y1, y1 + font_px * 1.6 + 6, text, font_px))
        else:
            out.append(dim_vertical(canvas, y0, y1, x0, x0 - font_px, text, font_px))
        out[-1]["axis"] = axis
    return out


def _hole_callouts(s, canvas, labels, label_views, ortho, boxes, scale, font_px) -> list[dict]:
    """'2× Ø6' with a leader to one of the holes, above the view that shows them as circles."""
    available = faces(s.part)
    out = []
    stacked: dict[str, int] = {}
    for i, (text, face_name, centres) in enumerate(labels):
        name = label_views.get(i)
        if name is None:
            continue
        proj, face = ortho[name], available[face_name]
        x0, y0, _x1, _ = boxes[name]
        u0, _, _, v1 = proj.bounds()
        place = Placement(scale, u0, v1, x0, y0)
        diameter = float(text.split("Ø")[1].split()[0])
        cu, cv = max(centres, key=lambda c: (c[0], c[1]))
        centre = place(np.array([project_point(proj.view, face.point(cu, cv))]))[0]
        r = diameter / 2 * scale
        rim = centre + np.array([r, -r]) / np.sqrt(2)
        level = stacked.get(name, 0)
        stacked[name] = level + 1
        ty = y0 - font_px * (0.9 + 1.5 * level) - 6
        tx = max(rim[0] + min((rim[1] - ty) * 0.6, 2 * font_px), x0)
        canvas.lines([np.array([rim, [tx, ty], [tx + 6, ty]])], 1.2, DIM_INK)
        _arrow(canvas, tuple(rim), (tx, ty), min(9, max(4, r)))
        box = canvas.text(text, tx + 12, ty, font_px, anchor="lm")
        out.append({"text": text, "box": [float(c) for c in box]})
    return out


def _projection_symbol(canvas: Canvas, x: float, y: float, size: float, projection: str) -> None:
    """The truncated-cone symbol: the end view sits left of the cone in first angle, right in third."""
    r_big, r_small, length = size * 0.5, size * 0.28, size * 1.3
    cone_x = x if projection == "third" else x + 2 * r_big + size * 0.6
    end_x = x + length + size * 0.6 + r_big if projection == "third" else x + r_big
    cone = np.array([[cone_x, y - r_big], [cone_x + length, y - r_small], [cone_x + length, y + r_small],
                     [cone_x, y + r_big], [cone_x, y - r_big]])
    t = np.linspace(0, 2 * np.pi, 49)
    circles = [np.column_stack([end_x + r * np.cos(t), y + r * np.sin(t)]) for r in (r_big, r_small)]
    canvas.lines([cone, *circles], 1.4, INK)


# -- entry point ----------------------------------------------------------------------------------


def render_cad(spec: dict) -> dict:
    """Build the part, draw each view and the sheet, export STEP and STL."""
    s = load_cad_spec(spec)
    solid = build_part(s)
    if not solid.isValid():
        raise RuntimeError("the CAD kernel built an invalid solid")
    files: list[dict] = []
    projections: dict[str, Projection] = {}
    views_meta = {}
    for view in s.views:
        proj = project(solid, view)
        projections[view.label] = proj
        png, svg, meta = draw_view(proj, s.drawing.view_px, s.drawing.line_px, s.drawing.hidden)
        files += [{"name": f"{view.label}.png", "mime": "image/png", "data": png},
                  {"name": f"{view.label}.svg", "mime": "image/svg+xml", "data": svg}]
        views_meta[view.label] = {"name": view.name, "rx": view.rx, "ry": view.ry, "rz": view.rz, **meta}
    sheet_png, sheet_svg, sheet = render_sheet(s, projections)
    step, stl = export_files(solid)
    files += [{"name": "main.png", "mime": "image/png", "data": sheet_png},
              {"name": "main.svg", "mime": "image/svg+xml", "data": sheet_svg},
              {"name": "part.step", "mime": "model/step", "data": step},
              {"name": "part.stl", "mime": "model/stl", "data": stl}]
    bb = solid.BoundingBox()
    return {"files": files, "meta": {
        "views": views_meta, "sheet": sheet,
        "part": {"volume": solid.Volume(), "bbox": [[bb.xmin, bb.ymin, bb.zmin], [bb.xmax, bb.ymax, bb.zmax]]},
    }}


__all__ = ["View", "build_part", "draw_view", "export_files", "render_cad", "render_sheet"]
