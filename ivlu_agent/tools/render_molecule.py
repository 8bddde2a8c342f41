"""Render a MoleculeSpec with RDKit: PNG and SVG, legend, group highlights and labels."""

from __future__ import annotations

from ..chem import group_atoms
from ..errors import IvluError
from ..specs.molecule import MoleculeSpec
from . import colors


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
    options.annotationFontScale = 0.7


def draw(mol, depiction, legend: str, highlight: dict, notes: dict[int, str] | None = None,
         note_color=None) -> tuple[bytes, str, dict[int, tuple[float, float]]]:
    """Draw to PNG and SVG. `highlight` holds atoms/bonds and their colours for RDKit."""
    from rdkit.Chem.Draw import rdMolDraw2D

    for atom in mol.GetAtoms():
        if notes and atom.GetIdx() in notes:
            atom.SetProp("atomNote", notes[atom.GetIdx()])
        elif atom.HasProp("atomNote"):
            atom.ClearProp("atomNote")
    out = []
    coords: dict[int, tuple[float, float]] = {}
    for drawer in (rdMolDraw2D.MolDraw2DCairo(depiction.size, depiction.size),
                   rdMolDraw2D.MolDraw2DSVG(depiction.size, depiction.size)):
        configure(drawer.drawOptions(), depiction)
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
    return out[0], out[1], coords


def render_molecule(spec: dict) -> dict:
    """Draw one molecule. Returns main.png and main.svg plus where each group was highlighted."""
    s = MoleculeSpec.model_validate(spec)
    mol = prepare(s.smiles, s.depiction)
    palette = colors.group_colors(s.highlight, s.colors)
    atoms: dict[int, tuple] = {}
    bonds: dict[int, tuple] = {}
    notes: dict[int, str] = {}
    found: dict[str, list[list[int]]] = {}
    for group in s.highlight:
        fill = colors.pale(palette[group])
        matches = group_atoms(mol, group)
        found[group] = [list(m) for m in matches]
        for match in matches:
            for idx in match:
                atoms.setdefault(idx, fill)
            for bond in mol.GetBonds():
                a, b = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
                if a in match and b in match:
                    bonds.setdefault(bond.GetIdx(), fill)
            if s.label_groups:
                notes.setdefault(match[0], group)
    highlight = {"highlightAtoms": list(atoms), "highlightAtomColors": atoms,
                 "highlightBonds": list(bonds), "highlightBondColors": bonds}
    key = ", ".join(f"{g}: {palette[g]}" for g in s.highlight if found[g])
    legend = "  ·  ".join(x for x in (s.name, key) if x)
    png, svg, coords = draw(mol, s.depiction, legend, highlight, notes,
                            note_color=colors.TEXT_GREY)
    return {
        "files": [
            {"name": "main.png", "mime": "image/png", "data": png},
            {"name": "main.svg", "mime": "image/svg+xml", "data": svg.encode()},
        ],
        "meta": {
            "highlighted": found,
            "colors": {g: palette[g] for g in s.highlight},
            "atom_coords": {str(k): v for k, v in coords.items()},
            "labels": {str(k): v for k, v in notes.items()},
        },
    }
