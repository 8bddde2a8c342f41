"""Render a MoleculeSpec with RDKit: PNG and SVG, legend, group highlights and labels."""

from __future__ import annotations

from ..common import colors
from ..common.chem import group_atoms
from ..common.depict import draw, prepare
from .spec import MoleculeSpec


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
    png, svg, coords, layout = draw(mol, s.depiction, legend, highlight, notes,
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
