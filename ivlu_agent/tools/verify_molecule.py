"""Verify a molecule drawing: identity and groups at the spec level, OSRA read-back at the raster level."""

from __future__ import annotations

from ..chem import group_atoms, lookup_compound
from ..errors import IvluError
from ..specs.molecule import MoleculeSpec
from . import colors
from .read_osra import match_structure


def check_identity(s: MoleculeSpec) -> dict:
    """The spec's structure sanitises and is the compound that was asked for."""
    from rdkit import Chem
    from rdkit.Chem.rdMolDescriptors import CalcMolFormula

    mol = Chem.MolFromSmiles(s.smiles)
    if mol is None:
        return {"verifier": "molecule.identity", "passed": False, "score": 0.0,
                "checked": "the SMILES sanitises", "message": f"The SMILES {s.smiles!r} does not sanitise."}
    key, formula = Chem.MolToInchiKey(mol), CalcMolFormula(mol)
    target_key, target_formula, target_smiles = s.inchikey or key, s.formula or formula, ""
    if s.name:
        try:
            c = lookup_compound(s.name)
            target_smiles = c.smiles
            target_key, target_formula = Chem.MolToInchiKey(Chem.MolFromSmiles(c.smiles)), c.formula
        except IvluError:
            pass
    ok = key == target_key and formula == target_formula
    what = s.name or s.smiles
    return {
        "verifier": "molecule.identity", "passed": ok, "score": 1.0 if ok else 0.0,
        "checked": f"InChIKey and formula of the drawn structure against {what}",
        "message": (f"The structure is {what} ({formula}, {key})." if ok else
                    f"The structure ({formula}, {key}) is not {what} ({target_formula}, {target_key})."),
        "details": {"inchikey": key, "formula": formula, "target_inchikey": target_key,
                    "target_formula": target_formula,
                    **({"target_smiles": target_smiles} if not ok and target_smiles else {})},
    }


def check_groups(s: MoleculeSpec, png_path: str | None, meta: dict) -> list[dict]:
    """Every requested group exists in the molecule, and its atoms are highlighted in the pixels."""
    if not s.highlight:
        return []
    import numpy as np
    from PIL import Image
    from rdkit import Chem

    mol = Chem.MolFromSmiles(s.smiles)
    if s.depiction.explicit_hydrogens:
        mol = Chem.AddHs(mol)
    pixels = np.asarray(Image.open(png_path).convert("RGB")).astype(int) if png_path else None
    coords = {int(k): v for k, v in meta.get("atom_coords", {}).items()}
    palette = meta.get("colors", {})
    radius = max(4, int(0.012 * s.depiction.size))
    verdicts = []
    for group in s.highlight:
        matches = group_atoms(mol, group)
        name = s.name or s.smiles
        if not matches:
            verdicts.append({"verifier": "molecule.highlight", "passed": False, "score": 0.0,
                             "checked": f"{group} groups exist and are highlighted",
                             "message": f"{name} has no {group} group, so none can be highlighted; "
                                        f"remove '{group}' from this molecule's highlights."})
            continue
        atoms = sorted({i for m in matches for i in m})
        fill = np.array(colors.pale(palette.get(group, "blue"))) * 255
        seen = 0
        for idx in atoms:
            if pixels is None or idx not in coords:
                continue
            x, y = coords[idx]
            y0, y1 = max(0, int(y) - radius), min(pixels.shape[0], int(y) + radius + 1)
            x0, x1 = max(0, int(x) - radius), min(pixels.shape[1], int(x) + radius + 1)
            patch = pixels[y0:y1, x0:x1].reshape(-1, 3)
            if (np.abs(patch - fill).max(axis=1) <= 12).any():
                seen += 1
        score = seen / len(atoms)
        ok = score == 1.0
        verdicts.append({
            "verifier": "molecule.highlight", "passed": ok, "score": round(score, 4),
            "checked": f"{len(matches)} {group} group(s) ({len(atoms)} atoms) show the highlight colour in the PNG",
            "message": (f"All {len(matches)} {group} group(s) are highlighted." if ok else
                        f"Only {seen} of {len(atoms)} {group} atoms show the highlight colour; redrawing."),
            "details": {"matches": [list(m) for m in matches], "atoms_with_colour": seen},
        })
    return verdicts


def verify_molecule(spec: dict, files: dict[str, str], meta: dict | None = None) -> list[dict]:
    """All checks for a rendered MoleculeSpec. `files` maps artifact names to absolute paths."""
    s = MoleculeSpec.model_validate(spec)
    identity = check_identity(s)
    verdicts = [identity, *check_groups(s, files.get("main.png"), meta or {})]
    if "main.png" in files:
        target = identity.get("details", {}).get("target_smiles") or s.smiles
        verdicts.append(match_structure(files["main.png"], target, "molecule.osra"))
    return verdicts


def verify_molecule_image(image_path: str, smiles: str) -> list[dict]:
    """Raster check of any image (from this tool or another generator) against a structure."""
    return [match_structure(image_path, smiles, "molecule.osra")]
