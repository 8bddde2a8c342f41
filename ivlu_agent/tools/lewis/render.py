"""Draw a LewisSpec with matplotlib (Agg) from RDKit's 2-D coordinates: PNG, SVG and the pixel layout."""

from __future__ import annotations

import io

from ...errors import IvluError
from .electrons import bookkeeping, molecule
from .layout import FONT_PX, LINE_W, SIGN_LEN, layout
from .spec import LewisSpec

DPI = 100  # one point of matplotlib is DPI/72 pixels; the layout is in pixels
INK = "#000000"
FOCUS = "#1d4ed8"  # dark blue: lone pairs the request points at (dark enough to read as ink)


def coordinates(smiles: str) -> list[tuple[float, float]]:
    """RDKit's 2-D coordinates of the structure with every hydrogen, atom by atom (as `bookkeeping` numbers them)."""
    from rdkit.Chem import rdDepictor

    mol = molecule(smiles)
    rdDepictor.Compute2DCoords(mol)
    conf = mol.GetConformer()
    return [(conf.GetAtomPosition(i).x, conf.GetAtomPosition(i).y) for i in range(mol.GetNumAtoms())]


def render_lewis(spec: dict) -> dict:
    """Draw one Lewis structure. Returns main.png, main.svg and, in `meta`, the layout in pixels (atoms, bond
    strokes, each lone pair's two dots, charge signs), the electron bookkeeping and the notes on octets."""
    s = LewisSpec.model_validate(spec)
    book = bookkeeping(s.smiles)
    coords = coordinates(s.smiles)
    plan = layout(book, coords, s.bond_px)
    if s.width:  # 'make it 1200 px': the bond length that fills about that width, then centred on exactly it
        bond = s.bond_px * s.width / plan["size"][0]
        plan = layout(book, coords, max(30.0, min(400.0, bond)))
        while plan["size"][0] > s.width and bond > 30:
            bond *= 0.9
            plan = layout(book, coords, bond)
        if plan["size"][0] > s.width:
            raise IvluError(f"The Lewis structure of {s.caption()} does not fit {s.width} px.", "a wider image",
                            "ask for a larger width")
        plan = layout(book, coords, bond if plan["size"][0] <= s.width else 30.0, width=s.width)
    png, svg = draw(plan, set(s.lone_pairs_on))
    return {
        "files": [{"name": "main.png", "mime": "image/png", "data": png},
                  {"name": "main.svg", "mime": "image/svg+xml", "data": svg}],
        "meta": {"layout": plan, "valence_electrons": book["total"], "charge": book["charge"],
                 "notes": book["notes"]},
    }


def draw(plan: dict, focus: set[str]) -> tuple[bytes, bytes]:
    """PNG and SVG bytes of a layout: white ground, black strokes and symbols, round dots, '+'/'−' signs."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle

    width, height = plan["size"]
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)  # pixels, y down
    ax.set_axis_off()
    line = LINE_W * 72 / DPI
    for bond in plan["bonds"]:
        for x1, y1, x2, y2 in bond["strokes"]:
            ax.plot([x1, x2], [y1, y2], color=INK, linewidth=line, solid_capstyle="butt")
    for atom in plan["atoms"]:
        x, y = atom["xy"]
        ax.text(x, y, atom["symbol"], ha="center", va="center", fontsize=FONT_PX * 72 / DPI, color=INK,
                family="DejaVu Sans")
    style = plan["style"]
    for pair in plan["dots"]:
        color = FOCUS if plan["atoms"][pair["atom"]]["symbol"] in focus else INK
        for x, y in pair["xy"]:
            ax.add_patch(Circle((x, y), style["dot_r"], facecolor=color, edgecolor="none"))
    h = SIGN_LEN / 2
    for sign in plan["charges"]:
        x, y = sign["xy"]
        ax.plot([x - h, x + h], [y, y], color=INK, linewidth=line, solid_capstyle="butt")
        if sign["charge"] > 0:
            ax.plot([x, x], [y - h, y + h], color=INK, linewidth=line, solid_capstyle="butt")
        if abs(sign["charge"]) > 1:  # '2−': the magnitude before the sign
            ax.text(x - h - 2, y, str(abs(sign["charge"])), ha="right", va="center", fontsize=12 * 72 / DPI,
                    color=INK, family="DejaVu Sans")
    png, svg = io.BytesIO(), io.BytesIO()
    fig.savefig(png, format="png", dpi=DPI, facecolor="white")
    fig.savefig(svg, format="svg", facecolor="white")
    return png.getvalue(), svg.getvalue()
