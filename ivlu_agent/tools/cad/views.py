"""Project a CadQuery solid into a named view: visible and hidden edges as 2-D polylines.

The renderer draws these polylines and the view verifier compares images against them, so
both share one definition of every view. Each view is an explicit frame `gp_Ax2(origin,
normal, x_dir)`: `normal` points at the viewer and `x_dir` is the image's right-hand direction.
(CadQuery's default SVG projector derives x from the view direction, which turns front and side
views by 90°.) Coordinates are millimetres with v pointing up.

    front  (viewer at -y)  right = +x  up = +z      back   (+y)  right = -x  up = +z
    right  (viewer at +x)  right = +y  up = +z      left   (-x)  right = -y  up = +z
    top    (viewer at +z)  right = +x  up = +y      bottom (-z)  right = +x  up = -y
    iso    (viewer at +x -y +z)                     rotated: the front view of the part turned
                                                    rx, then ry, then rz degrees about x, y, z
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .spec import View

AXES: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "front": ((0, -1, 0), (1, 0, 0)),
    "back": ((0, 1, 0), (-1, 0, 0)),
    "right": ((1, 0, 0), (0, 1, 0)),
    "left": ((-1, 0, 0), (0, -1, 0)),
    "top": ((0, 0, 1), (1, 0, 0)),
    "bottom": ((0, 0, -1), (1, 0, 0)),
    "iso": ((1 / math.sqrt(3), -1 / math.sqrt(3), 1 / math.sqrt(3)), (1 / math.sqrt(2), 1 / math.sqrt(2), 0)),
}


def rotation(rx: float, ry: float, rz: float) -> np.ndarray:
    """The matrix that turns a point rx° about x, then ry° about y, then rz° about z (fixed axes)."""
    a, b, c = (math.radians(t) for t in (rx, ry, rz))
    Rx = np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])
    Ry = np.array([[math.cos(b), 0, math.sin(b)], [0, 1, 0], [-math.sin(b), 0, math.cos(b)]])
    Rz = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
    return Rz @ Ry @ Rx


def frame(view: View) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(normal towards the viewer, image right, image up) for a view, as unit vectors in part space."""
    if view.name == "rotated":
        normal, right = (np.array(v, dtype=float) for v in AXES["front"])
        # Seeing the turned part R·p along a fixed frame equals seeing p along the frame turned by Rᵀ.
        R = rotation(view.rx, view.ry, view.rz)
        normal, right = R.T @ normal, R.T @ right
    else:
        normal, right = (np.array(v, dtype=float) for v in AXES[view.name])
    return normal, right, np.cross(normal, right)


def project_point(view: View, p) -> tuple[float, float]:
    _, right, up = frame(view)
    return float(np.dot(p, right)), float(np.dot(p, up))


@dataclass
class Projection:
    """A view's edges: polylines of (u, v) millimetres, v up.

    `visible` holds sharp edges and outlines; `smooth` the visible seams where faces meet
    tangentially (a fillet's edges), drawn as lines but with no shading step across them.
    """

    view: View
    visible: list[np.ndarray] = field(default_factory=list)
    hidden: list[np.ndarray] = field(default_factory=list)
    smooth: list[np.ndarray] = field(default_factory=list)
    triangles: np.ndarray | None = field(default=None, repr=False)  # (n, 3, 2) mm: the solid's mesh, projected

    @property
    def drawn(self) -> list[np.ndarray]:
        """Every visible line of a line drawing."""
        return [*self.visible, *self.smooth]

    def bounds(self) -> tuple[float, float, float, float]:
        """(umin, vmin, umax, vmax) of the visible edges, which hold the outline."""
        pts = np.concatenate(self.drawn or self.hidden)
        return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())

    def size(self) -> tuple[float, float]:
        u0, v0, u1, v1 = self.bounds()
        return u1 - u0, v1 - v0

    def mirrored(self) -> Projection:
        flip = lambda lines: [line * np.array([-1.0, 1.0]) for line in lines]
        triangles = None if self.triangles is None else self.triangles * np.array([-1.0, 1.0])
        return Projection(self.view, flip(self.visible), flip(self.hidden), flip(self.smooth), triangles)


def _polylines(compound, detail: float) -> list[np.ndarray]:
    """Each edge of an HLR result compound as a polyline within `detail` mm of the curve."""
    from OCP.BRepAdaptor import BRepAdaptor_Curve
    from OCP.GCPnts import GCPnts_QuasiUniformDeflection
    from OCP.GeomAbs import GeomAbs_Line
    from OCP.TopAbs import TopAbs_EDGE
    from OCP.TopExp import TopExp_Explorer
    from OCP.TopoDS import TopoDS

    if compound.IsNull():
        return []
    lines = []
    explorer = TopExp_Explorer(compound, TopAbs_EDGE)
    while explorer.More():
        curve = BRepAdaptor_Curve(TopoDS.Edge_s(explorer.Current()))
        explorer.Next()
        if curve.GetType() == GeomAbs_Line:
            pts = [curve.Value(curve.FirstParameter()), curve.Value(curve.LastParameter())]
        else:
            sampler = GCPnts_QuasiUniformDeflection(curve, detail)
            if not sampler.IsDone():
                continue
            pts = [sampler.Value(i) for i in range(1, sampler.NbPoints() + 1)]
        line = np.array([(p.X(), p.Y()) for p in pts], dtype=float)
        if len(line) >= 2 and np.ptp(line, axis=0).max() > 1e-9:
            lines.append(line)
    return lines


def project(shape, view: View, mesh: bool = False) -> Projection:
    """Hidden-line projection of a CadQuery shape (`cq.Shape` or `cq.Workplane`) into `view`;
    with `mesh`, also its triangles (for silhouettes of shaded pictures)."""
    from OCP.gp import gp_Ax2, gp_Dir, gp_Pnt
    from OCP.HLRAlgo import HLRAlgo_Projector
    from OCP.HLRBRep import HLRBRep_Algo, HLRBRep_HLRToShape

    solid = shape.val() if hasattr(shape, "val") else shape
    normal, right, _ = frame(view)
    algo = HLRBRep_Algo()
    algo.Add(solid.wrapped)
    algo.Projector(HLRAlgo_Projector(gp_Ax2(gp_Pnt(0, 0, 0), gp_Dir(*normal), gp_Dir(*right))))
    algo.Update()
    algo.Hide()
    out = HLRBRep_HLRToShape(algo)
    bb = solid.BoundingBox()
    detail = max(bb.DiagonalLength, 1e-6) / 2000  # chord error: 0.05 % of the part's diagonal
    visible = [*_polylines(out.VCompound(), detail), *_polylines(out.OutLineVCompound(), detail)]
    hidden = [*_polylines(out.HCompound(), detail), *_polylines(out.OutLineHCompound(), detail)]
    triangles = None
    if mesh:
        verts, tris = solid.tessellate(bb.DiagonalLength / 2000, 0.2)
        points = np.array([v.toTuple() for v in verts])
        triangles = np.stack([points @ right, points @ np.cross(normal, right)], axis=-1)[np.array(tris)]
    return Projection(view, visible, hidden, _polylines(out.Rg1LineVCompound(), detail), triangles)


# -- drawing polylines in pixels -----------------------------------------------------------------


@dataclass
class Placement:
    """Maps (u, v) millimetres to pixels: x = x0 + (u - u0)·scale, y = y0 + (v1 - v)·scale."""

    scale: float
    u0: float
    v1: float
    x0: float
    y0: float

    def __call__(self, line: np.ndarray) -> np.ndarray:
        return np.column_stack([self.x0 + (line[:, 0] - self.u0) * self.scale,
                                self.y0 + (self.v1 - line[:, 1]) * self.scale])


def dashes(line: np.ndarray, on: float, off: float) -> list[np.ndarray]:
    """Split a pixel polyline into dashes `on` long with `off` gaps."""
    seg = np.diff(line, axis=0)
    lengths = np.hypot(seg[:, 0], seg[:, 1])
    total = float(lengths.sum())
    if total <= on:
        return [line]
    cum = np.concatenate([[0.0], np.cumsum(lengths)])
    # stretch the pattern a little so that the line starts and ends with a dash
    count = max(1, round((total + off) / (on + off)))
    stretch = total / (count * on + (count - 1) * off)
    out = []
    for k in range(count):
        a = k * (on + off) * stretch
        b = min(total, a + on * stretch)
        inner = (cum > a) & (cum < b)
        pts = [np.array([np.interp(a, cum, line[:, 0]), np.interp(a, cum, line[:, 1])]), *line[inner],
               np.array([np.interp(b, cum, line[:, 0]), np.interp(b, cum, line[:, 1])])]
        out.append(np.array(pts))
    return out


def draw_lines(pen, lines: list[np.ndarray], width: float, fill, dash: tuple[float, float] | None = None) -> None:
    """Draw pixel polylines with PIL, dashed when `dash` = (on, off) is given."""
    for line in lines:
        for piece in dashes(line, *dash) if dash else [line]:
            pen.line([tuple(p) for p in piece], fill=fill, width=max(1, round(width)), joint="curve")


def svg_lines(lines: list[np.ndarray], width: float, color: str, dash: tuple[float, float] | None = None) -> str:
    style = f'fill="none" stroke="{color}" stroke-width="{width:.2f}" stroke-linecap="round" stroke-linejoin="round"'
    if dash:
        style += f' stroke-dasharray="{dash[0]:.1f} {dash[1]:.1f}"'
    return "".join(
        f'<polyline {style} points="' + " ".join(f"{x:.2f},{y:.2f}" for x, y in line) + '"/>' for line in lines)


def fill_triangles(triangles: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Boolean mask of pixel triangles (n, 3, 2) on a (width, height) canvas: a solid's silhouette."""
    from PIL import Image, ImageDraw

    canvas = Image.new("L", size, 0)
    pen = ImageDraw.Draw(canvas)
    for tri in triangles:
        pen.polygon([tuple(p) for p in tri], fill=255)
    return np.asarray(canvas) > 127


def rasterise(lines: list[np.ndarray], size: tuple[int, int], width: float) -> np.ndarray:
    """Boolean mask of pixel polylines drawn `width` wide on a (width, height) canvas."""
    from PIL import Image, ImageDraw

    canvas = Image.new("L", size, 0)
    draw_lines(ImageDraw.Draw(canvas), lines, width, 255)
    return np.asarray(canvas) > 127
