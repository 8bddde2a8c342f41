"""Stereochemistry read back from a drawing: the structure rebuilt from its layout's atoms, bonds, 2-D
positions and wedges, as a chemist reads the picture, then compared with the requested stereoisomer and with
the descriptors its caption names ('cis-but-2-ene (Z)', '(R)-alanine').

The positions and wedges come from the layout, which the depiction certificate has just matched to the
pixels (every stroke where the layout puts it, wedges pointing the right way), so what is read here is
what the picture shows.
"""

from __future__ import annotations

import re

_CIP = re.compile(r"\(((?:\d*[RSEZ],?)+)\)")  # '(R)', '(2R,3S)', '(Z)'
_WORD = re.compile(r"^(cis|trans)-", re.I)


def rebuild(layout: dict):
    """An RDKit molecule from the layout alone, with stereo perceived from the drawn geometry and wedges."""
    from rdkit import Chem
    from rdkit.Geometry import Point3D

    mol = Chem.RWMol()
    for a in layout["atoms"]:
        atom = Chem.Atom(a["symbol"])
        atom.SetFormalCharge(a.get("charge", 0))
        atom.SetNumExplicitHs(a.get("hs", 0))
        atom.SetNoImplicit(True)
        mol.AddAtom(atom)
    orders = {1: Chem.BondType.SINGLE, 2: Chem.BondType.DOUBLE, 3: Chem.BondType.TRIPLE}
    for b in layout["bonds"]:
        mol.AddBond(b["a"], b["b"], orders[b["order"]])
    conf = Chem.Conformer(len(layout["atoms"]))
    for i, a in enumerate(layout["atoms"]):
        conf.SetAtomPosition(i, Point3D(a["x"], -a["y"], 0.0))  # pixel rows grow downwards
    mol.AddConformer(conf, assignId=True)
    for b in layout["bonds"]:
        if b["stereo"]:
            bond = mol.GetBondBetweenAtoms(b["a"], b["b"])
            bond.SetBondDir(Chem.BondDir.BEGINWEDGE if b["stereo"] == "wedge" else Chem.BondDir.BEGINDASH)
    mol = mol.GetMol()
    Chem.SanitizeMol(mol)
    Chem.AssignChiralTypesFromBondDirs(mol)
    Chem.DetectBondStereochemistry(mol)
    Chem.AssignStereochemistry(mol, cleanIt=True, force=True)
    return mol


def descriptors(mol) -> list[str]:
    """The CIP labels of the rebuilt molecule: R/S per centre, E/Z per stereo double bond."""
    from rdkit import Chem

    Chem.AssignCIPLabels(mol)
    out = [a.GetProp("_CIPCode") for a in mol.GetAtoms() if a.HasProp("_CIPCode")]
    out += [b.GetProp("_CIPCode") for b in mol.GetBonds() if b.HasProp("_CIPCode")]
    return sorted(x.upper() for x in out if x.upper() in ("R", "S", "E", "Z"))


def named(title: str) -> tuple[list[str], str]:
    """The descriptors a caption names: CIP letters ('(2R,3S)' → ['R', 'S']) and a cis/trans word."""
    letters = [ch for group in _CIP.findall(title) for ch in group if ch in "RSEZ"]
    word = _WORD.match(title.strip())
    return sorted(letters), (word.group(1).lower() if word else "")


def cis_or_trans(mol) -> str:
    """'cis' or 'trans' for a drawn double bond with one substituent besides H on each end, else ''."""
    bonds = [b for b in mol.GetBonds() if b.GetBondTypeAsDouble() == 2.0 and not b.IsInRing()]
    found = set()
    pos = mol.GetConformer().GetPositions()
    for bond in bonds:
        a, b = bond.GetBeginAtom(), bond.GetEndAtom()
        sa = [n.GetIdx() for n in a.GetNeighbors() if n.GetIdx() != b.GetIdx() and n.GetAtomicNum() > 1]
        sb = [n.GetIdx() for n in b.GetNeighbors() if n.GetIdx() != a.GetIdx() and n.GetAtomicNum() > 1]
        if len(sa) != 1 or len(sb) != 1:
            continue
        ax, ay = pos[a.GetIdx()][:2]
        dx, dy = pos[b.GetIdx()][0] - ax, pos[b.GetIdx()][1] - ay

        def side(i: int) -> float:
            return dx * (pos[i][1] - ay) - dy * (pos[i][0] - ax)

        found.add("cis" if side(sa[0]) * side(sb[0]) > 0 else "trans")
    return found.pop() if len(found) == 1 else ""


def check_stereo(layout: dict, target_smiles: str, title: str, verifier: str) -> dict | None:
    """A verdict on the drawn stereochemistry, or None when neither the structure nor the caption has any."""
    from rdkit import Chem

    target = Chem.MolFromSmiles(target_smiles)
    want_letters, want_word = named(title)
    has_stereo = target is not None and (
        any(a.GetChiralTag() != Chem.ChiralType.CHI_UNSPECIFIED for a in target.GetAtoms())
        or any(b.GetStereo() != Chem.BondStereo.STEREONONE for b in target.GetBonds()))
    if not (has_stereo or want_letters or want_word):
        return None
    checked = ("the structure read back from the drawing (its atoms, bonds, 2-D positions and wedges) is the "
               "requested stereoisomer (InChIKey), and has the descriptors its caption names")
    try:
        drawn = rebuild(layout)
    except Exception as e:  # noqa: BLE001 - a layout RDKit cannot rebuild is a finding, not a crash
        return {"verifier": verifier, "passed": False, "score": 0.0, "checked": checked,
                "message": f"The drawing's structure could not be rebuilt to read its stereochemistry ({e}).",
                "details": {}}
    problems = []
    drawn_key, target_key = Chem.MolToInchiKey(drawn), Chem.MolToInchiKey(target)
    if drawn_key != target_key:
        problems.append(f"the drawing shows {Chem.MolToSmiles(drawn)}, not the requested stereoisomer {target_smiles}")
    labels = descriptors(drawn)
    if want_letters and want_letters != labels:
        problems.append(f"the caption names {','.join(want_letters)} but the drawing reads {','.join(labels) or 'none'}")
    word = cis_or_trans(drawn) if want_word else ""
    if want_word and word != want_word:
        problems.append(f"the caption says {want_word} but the drawn double bond is {word or 'not readable as either'}")
    details = {"drawn_inchikey": drawn_key, "target_inchikey": target_key, "descriptors": labels,
               "cis_trans": word or None}
    if problems:
        return {"verifier": verifier, "passed": False, "score": 0.0, "checked": checked,
                "message": "Stereochemistry: " + "; ".join(problems) + ".", "details": details}
    said = ", ".join(x for x in (word, ",".join(labels)) if x) or "no stereo descriptor"
    return {"verifier": verifier, "passed": True, "score": 1.0, "checked": checked,
            "message": f"The drawing reads back as the requested stereoisomer ({said}).", "details": details}
