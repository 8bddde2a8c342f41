"""Draw a Model3dSpec with matplotlib (Agg): balls and sticks painted far to near, an element key and the
viewpoint; main.png, main.svg, and the conformer itself as model.sdf (runs in an isolated worker)."""

from __future__ import annotations

import io

from . import geometry
from .spec import Model3dSpec

DPI = 100  # one matplotlib point is DPI/72 pixels; the layout is in pixels


def render_model3d(spec: dict) -> dict:
    """Build the conformer and draw it. Returns main.png, main.svg, model.sdf and the pixel layout (meta)."""
    from .chemistry import conformer

    s = Model3dSpec.model_validate(spec)
    mol, used = conformer(s.smiles, s.seed, s.force_field)
    return draw(mol, s, used)


def draw(mol, s: Model3dSpec, force_field: str) -> dict:
    """Draw a molecule that already has its conformer (the perturbation set distorts one first)."""
    from rdkit import Chem

    from .chemistry import model_parts

    coords, elements, bonds = model_parts(mol)
    if s.elevation is None or s.azimuth is None:  # a step a model wrote without a viewpoint
        elevation, azimuth, _ = geometry.best_view(coords, elements, bonds)
        s = s.model_copy(update={"elevation": elevation, "azimuth": azimuth, "view_chosen": True})
    lay = geometry.layout(coords, elements, bonds, s.elevation, s.azimuth, s.size)
    lay["legend"] = legend_entries(elements, s.size, lay["legend_top"])
    png, svg = paint(lay, s)
    lay |= {"force_field": force_field, "viewpoint": s.viewpoint(), "view_chosen": s.view_chosen}
    return {
        "files": [
            {"name": "main.png", "mime": "image/png", "data": png},
            {"name": "main.svg", "mime": "image/svg+xml", "data": svg},
            {"name": "model.sdf", "mime": "chemical/x-mdl-sdfile", "data": Chem.MolToMolBlock(mol).encode()},
        ],
        "meta": lay,
    }


def legend_entries(elements: list[str], size: int, top: float) -> list[dict]:
    """One key entry per element drawn (Hill order: C, H, then alphabetical), left to right."""
    present = sorted(set(elements), key=lambda e: (e != "C", e != "H", e))
    band = size - top
    r = max(5.0, 0.16 * band)
    y = top + 0.35 * band
    step = (size - 0.08 * size) / max(len(present), 4)
    return [{"element": e, "name": geometry.NAMES.get(e, e), "x": round(0.06 * size + i * step, 2),
             "y": round(y, 2), "r": round(r, 2)} for i, e in enumerate(present)]


def paint(lay: dict, s: Model3dSpec) -> tuple[bytes, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle

    size = lay["size"]
    rgb = lambda c: tuple(v / 255 for v in c)  # noqa: E731
    pt = 72 / DPI  # points per pixel
    edge = geometry.outline_px(size)
    fig = Figure(figsize=(size / DPI, size / DPI), dpi=DPI, facecolor=rgb(geometry.BACKGROUND))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, size)
    ax.set_ylim(size, 0)
    ax.set_axis_off()
    ax.set_facecolor(rgb(geometry.BACKGROUND))
    for b in lay["balls"]:
        ax.add_patch(Circle((b["x"], b["y"]), b["r"] - edge / 2, facecolor=rgb(geometry.color(b["element"])),
                            edgecolor=rgb(geometry.OUTLINE), linewidth=edge * pt, zorder=2 * b["order"] + 1))
    for st in lay["sticks"]:
        xs, ys, width = (st["x1"], st["x2"]), (st["y1"], st["y2"]), 2 * st["half"]
        z = 2 * st["order"] + 1
        ax.plot(xs, ys, color=rgb(geometry.OUTLINE), linewidth=width * pt, solid_capstyle="butt", zorder=z)
        ax.plot(xs, ys, color=rgb(geometry.STICK), linewidth=max(1.0, width - 2 * edge) * pt,
                solid_capstyle="butt", zorder=z + 0.5)
    top = lay["legend_top"]
    ax.axhline(top, color=rgb(geometry.STICK), linewidth=pt)
    font = max(7.0, 0.22 * (size - top)) * pt
    for entry in lay["legend"]:
        ax.add_patch(Circle((entry["x"], entry["y"]), entry["r"], facecolor=rgb(geometry.color(entry["element"])),
                            edgecolor=rgb(geometry.OUTLINE), linewidth=edge * pt, zorder=1e6))
        ax.text(entry["x"] + 1.6 * entry["r"], entry["y"], f"{entry['element']} {entry['name']}", fontsize=font,
                va="center", ha="left", color=rgb(geometry.TEXT), zorder=1e6)
    view = f"viewed from {s.viewpoint()}" + (" (least occluded)" if s.view_chosen else "")
    ax.text(0.06 * size - lay["legend"][0]["r"], top + 0.78 * (size - top), view, fontsize=font * 0.9,
            va="center", ha="left", color=rgb(geometry.TEXT), zorder=1e6)
    png, svg = io.BytesIO(), io.BytesIO()
    fig.savefig(png, format="png", dpi=DPI, facecolor=fig.get_facecolor())
    fig.savefig(svg, format="svg", dpi=DPI, facecolor=fig.get_facecolor())
    return png.getvalue(), svg.getvalue()
