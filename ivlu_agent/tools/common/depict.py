
import re

from pydantic import BaseModel, Field

from ...errors import IvluError
from . import colors

COLOR_RE = re.compile(r"^(#[0-9a-fA-F]{6}|[a-z]{3,20})$")



class Depiction(BaseModel):
    """How a structure is drawn. `refine` walks these settings when a raster check fails."""

    size: int = Field(default=600, ge=200, le=2000, description="Canvas width and height in pixels.")
    bond_length: float | None = Field(default=None, ge=10, le=200,
                                      description="Fixed bond length in pixels; None lets RDKit fit the canvas.")
    line_width: int = Field(default=2, ge=1, le=8, description="Bond line width in pixels.")
    font_scale: float = Field(default=1.0, ge=0.5, le=3.0, description="Scale of atom-label fonts.")
    explicit_hydrogens: bool = Field(default=False, description="Draw every hydrogen as an atom.")
    coordgen: bool = Field(default=True, description="Use CoordGen for 2-D coordinates (else RDKit's own).")
    atom_indices: bool = Field(default=False, description="Print atom indices next to atoms.")
    explicit_methyl: bool = Field(default=False, description="Write terminal methyls as CH3.")


def canvas_for(formula: str, displayed: bool) -> int:
    """The canvas a request that names no size gets: 600 px, or for a displayed formula (every hydrogen an
    atom with its label) enough room for ~40 labelled atoms per 600 px square, up to 1,400 px, so the labels
    stay legible and apart."""
    from .formulas import element_counts

    if not displayed:
        return 600
    atoms = sum(element_counts(formula).values())
    return int(min(1400, max(600, round(600 * (atoms / 40) ** 0.5 / 50) * 50)))


def prepare(smiles: str, depiction):
    """Parse, optionally add hydrogens, and lay out 2-D coordinates."""
    from rdkit import Chem, RDLogger
    from rdkit.Chem import rdDepictor

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise IvluError(f"Invalid SMILES {smiles!r}.", "a SMILES that RDKit can sanitise",
                        "fix the SMILES or give the compound's name")
    if depiction.explicit_hydrogens:
        mol = Chem.AddHs(mol)
    rdDepictor.SetPreferCoordGen(depiction.coordgen)
    rdDepictor.Compute2DCoords(mol)
    return mol



def configure(options, depiction) -> None:
    if depiction.bond_length:
        options.fixedBondLength = depiction.bond_length
    options.bondLineWidth = depiction.line_width
    options.baseFontSize = 0.6 * depiction.font_scale
    options.addAtomIndices = depiction.atom_indices
    options.explicitMethyl = depiction.explicit_methyl
    options.legendFontSize = 18
    options.minFontSize = 13  # RDKit's default (6 px) lets long chains' labels shrink below legibility
    options.annotationFontScale = 0.7



def draw(mol, depiction, legend: str, highlight: dict, notes: dict[int, str] | None = None,
         note_color=None) -> tuple[bytes, str, dict[int, tuple[float, float]], dict]:
    """Draw to PNG and SVG. `highlight` holds atoms/bonds and their colours for RDKit.

    Returns the PNG (with the layout embedded, see layout.py), the SVG, the pixel position of each
    highlighted atom, and the layout the depiction certificate checks the PNG against."""
    from rdkit import Chem

    # Prepared once (kekulised, stereo bonds wedged) and drawn as is, so the bond orders and wedges the
    # layout records are the ones on the page. The SMILES is taken before: wedging sets bond directions
    # that SMILES would read as double-bond stereo.
    from rdkit.Chem import rdDepictor
    from rdkit.Chem.Draw import rdMolDraw2D

    smiles = Chem.MolToSmiles(mol)

    def other_layout():
        again = Chem.Mol(mol)
        rdDepictor.SetPreferCoordGen(not depiction.coordgen)
        rdDepictor.Compute2DCoords(again)
        rdDepictor.SetPreferCoordGen(depiction.coordgen)
        return rdMolDraw2D.PrepareMolForDrawing(again)

    # Labels laid on top of each other are unreadable to anyone: RDKit adds an explicit H at stereocentres
    # that need one (ring fusions) and may stack two, and cages crowd drawn hydrogens. Wedging ring bonds
    # instead, or the other 2-D layout engine, is tried, and the drawing with the fewest overlaps is kept.
    candidates = [lambda: rdMolDraw2D.PrepareMolForDrawing(mol),
                  lambda: rdMolDraw2D.PrepareMolForDrawing(mol, addChiralHs=False), other_layout]
    best = None
    for prepared in candidates:
        drawn = _draw_prepared(prepared(), smiles, depiction, legend, highlight, notes, note_color)
        overlaps = overlapping_labels(drawn[3])
        if best is None or overlaps < best[0]:
            best = (overlaps, drawn)
        if not overlaps:
            break
    return best[1]


def overlapping_labels(layout: dict) -> int:
    """How many pairs of atom labels overlap in the layout."""
    boxes = [a["box"] for a in layout["atoms"] if a["box"]]
    return sum(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
               for i, a in enumerate(boxes) for b in boxes[i + 1:])


def _draw_prepared(mol, smiles: str, depiction, legend: str, highlight: dict, notes: dict[int, str] | None,
                   note_color) -> tuple[bytes, str, dict[int, tuple[float, float]], dict]:
    from rdkit.Chem.Draw import rdMolDraw2D

    from .layout import build_layout, embed

    for atom in mol.GetAtoms():
        if notes and atom.GetIdx() in notes:
            atom.SetProp("atomNote", notes[atom.GetIdx()])
        elif atom.HasProp("atomNote"):
            atom.ClearProp("atomNote")
    out = []
    coords: dict[int, tuple[float, float]] = {}
    layout: dict = {}
    for drawer in (rdMolDraw2D.MolDraw2DCairo(depiction.size, depiction.size),
                   rdMolDraw2D.MolDraw2DSVG(depiction.size, depiction.size)):
        configure(drawer.drawOptions(), depiction)
        drawer.drawOptions().prepareMolsBeforeDrawing = False
        # Notes and legend in a mid grey that the OSRA check's binarisation drops (see colors.py).
        drawer.drawOptions().setAtomNoteColour(note_color or colors.TEXT_GREY)
        drawer.drawOptions().setLegendColour(colors.TEXT_GREY)
        drawer.DrawMolecule(mol, legend=legend, **highlight)
        drawer.FinishDrawing()
        if not coords:
            for idx in highlight.get("highlightAtoms", []):
                p = drawer.GetDrawCoords(idx)
                coords[idx] = (round(p.x, 1), round(p.y, 1))
        out.append(drawer.GetDrawingText())
        if len(out) == 2:
            layout = build_layout(mol, smiles, drawer, out[1], (depiction.size, depiction.size),
                                  depiction.line_width)
    return embed(out[0], layout), out[1], coords, layout


# Settings tried in order when OSRA cannot read a drawing back (measured in STACK-NOTES and here).
DEPICTION_LADDER: list[tuple[dict, str]] = [
    ({"size": 500, "bond_length": 40, "line_width": 3}, "shorter, thicker bonds (bond length 40 px, width 3)"),
    ({"size": 600, "bond_length": 40, "line_width": 2, "explicit_hydrogens": True},
     "explicit hydrogens at bond length 40 px"),
    ({"size": 600, "bond_length": None, "line_width": 2, "explicit_hydrogens": False, "coordgen": False},
     "RDKit's own 2-D layout instead of CoordGen"),
    ({"size": 800, "bond_length": 50, "line_width": 3, "font_scale": 1.3, "coordgen": True},
     "a larger canvas with larger labels"),
]
