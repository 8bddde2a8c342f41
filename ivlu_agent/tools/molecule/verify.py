"""Verify a molecule drawing: identity and groups at the spec level, OSRA read-back at the raster level."""

from __future__ import annotations

from ..common import colors
from ..common.certificate import certify
from ..common.chem import check_identity, group_atoms
from ..common.drawn_stereo import check_stereo
from ..common.layout import extract
from ..common.osra import match_structure
from .spec import MoleculeSpec


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
    identity = check_identity(s.smiles, s.name, s.inchikey, s.formula)
    verdicts = [identity, *check_groups(s, files.get("main.png"), meta or {})]
    if "main.png" in files:
        target = identity.get("details", {}).get("target_smiles") or s.smiles
        layout = extract(files["main.png"])
        verdicts += image_checks(files["main.png"], target, layout)
        stereo = check_stereo(layout, target, s.title or s.name, "molecule.stereo") if layout else None
        verdicts += [stereo] if stereo else []
        if s.displayed:
            certificate = next((v for v in verdicts if v["verifier"] == "molecule.depiction"), None)
            verdicts.append(check_displayed(target, layout, certificate or {"passed": False}))
    return verdicts


def check_displayed(target: str, layout: dict | None, certificate: dict) -> dict:
    """A displayed (full structural, Kekulé) formula shows every hydrogen as a drawn, read-back atom and every
    bond with its own strokes: the layout has as many H atoms as the structure has hydrogens, alternating
    single and double bonds for aromatic rings, and the certificate read every one of them in the pixels."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(target)
    hydrogens = sum(a.GetTotalNumHs() for a in mol.GetAtoms()) if mol is not None else -1
    drawn_h = sum(a["symbol"] == "H" for a in (layout or {}).get("atoms", []))
    hidden_h = sum(a.get("hs", 0) for a in (layout or {}).get("atoms", []) if a["symbol"] != "H")
    doubles = sum(b["order"] == 2 for b in (layout or {}).get("bonds", []))
    ok = layout is not None and drawn_h == hydrogens and hidden_h == 0 and certificate["passed"]
    checked = ("every hydrogen is drawn as its own atom and read back, and every bond shows its strokes "
               "(aromatic rings as alternating single and double bonds)")
    if ok:
        message = f"All {hydrogens} hydrogens are drawn and read back; {doubles} double bond(s) drawn as such."
    elif layout is None:
        message = "The drawing carries no layout, so its hydrogens could not be counted."
    else:
        message = (f"The structure has {hydrogens} hydrogens; the drawing shows {drawn_h} as atoms"
                   + (f" and writes {hidden_h} inside other atoms' labels" if hidden_h else "")
                   + ("" if certificate["passed"] else ", and its depiction certificate failed") + ".")
    return {"verifier": "molecule.displayed", "passed": ok, "score": 1.0 if ok else 0.0, "checked": checked,
            "message": message, "details": {"hydrogens": hydrogens, "drawn": drawn_h, "double_bonds": doubles}}


def verify_molecule_image(image_path: str, smiles: str) -> list[dict]:
    """Raster check of any image against a structure.

    One of our drawings carries its layout (common/layout.py): the depiction certificate decides, and
    OSRA's reading is reported beside it. Any other image is read by OSRA alone; when OSRA finds no
    structure at all the image is "not checkable", which is not a finding that it is wrong."""
    return image_checks(image_path, smiles, extract(image_path))


def image_checks(image_path: str, smiles: str, layout: dict | None) -> list[dict]:
    """`verify_molecule_image` with the image's embedded layout (None for a foreign image) already read."""
    osra = match_structure(image_path, smiles, "molecule.osra")
    if layout is not None:
        osra["message"] = "Second reader: " + osra["message"]
        return [certify(image_path, layout, smiles), {**osra, "required": False}]
    if not osra["details"]["read"]:
        osra["message"] += (" The image is not checkable: no layout of ours is embedded in it and OSRA read no "
                            "structure. This says nothing about whether it is right; check it by eye, or "
                            "redraw it with `ivlu run`.")
        osra["details"]["not_checkable"] = True
    return [osra]


def check_pixels(spec: dict, image_path: str) -> list[dict]:
    """The checks any image of this molecule faces (a head's drawing too): OSRA reads it back."""
    return verify_molecule_image(image_path, spec["smiles"])
