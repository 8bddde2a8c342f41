"""The conformer and its VSEPR reading (runs in a worker: it imports RDKit).

The conformer is RDKit's ETKDG embedding with a fixed seed, optimised with MMFF94 (UFF where MMFF has
no parameters or refinement asks for it), every hydrogen explicit, turned to its principal axes so a
viewpoint means the same thing on every run. VSEPR: the steric number is the bonded neighbours plus
the lone pairs (valence electrons not used in bonds, halved); a lone pair next to a π system is
delocalised, which pulls the centre towards planar.
"""

from __future__ import annotations

import itertools
import math

from ...errors import IvluError
from . import geometry
from .spec import MAX_HEAVY_ATOMS, TOLERANCE_DEG

# (steric number, lone pairs) -> the VSEPR shape of the centre.
SHAPES = {(2, 0): "linear", (3, 0): "trigonal planar", (3, 1): "bent", (4, 0): "tetrahedral",
          (4, 1): "trigonal pyramidal", (4, 2): "bent", (4, 3): "linear", (5, 0): "trigonal bipyramidal",
          (5, 1): "seesaw", (5, 2): "T-shaped", (5, 3): "linear", (6, 0): "octahedral",
          (6, 1): "square pyramidal", (6, 2): "square planar"}
PARENT = {2: 180.0, 3: 120.0, 4: 109.5}  # the electron-pair geometry's angle
EXPANDED = {5: (90.0, 120.0, 180.0), 6: (90.0, 180.0)}  # steric numbers 5 and 6: each angle nears one of these
OUTLIER_DEG = 15.0  # no single angle further than this from its ideal (substituents spread single angles)


def conformer(smiles: str, seed: int, force_field: str):
    """(molecule with all hydrogens and one 3-D conformer in its principal-axes frame, the force field used)."""
    import numpy as np
    from rdkit import Chem, RDLogger
    from rdkit.Chem import AllChem

    RDLogger.DisableLog("rdApp.*")
    base = Chem.MolFromSmiles(smiles)
    if base is None:
        raise IvluError(f"Invalid SMILES {smiles!r}.", "a SMILES RDKit can parse", "check the structure")
    if base.GetNumHeavyAtoms() > MAX_HEAVY_ATOMS:
        raise IvluError(f"The molecule has {base.GetNumHeavyAtoms()} heavy atoms.",
                        f"at most {MAX_HEAVY_ATOMS} heavy atoms in a ball-and-stick model", "draw a smaller molecule")
    mol = Chem.AddHs(base)
    params = AllChem.ETKDGv3()
    params.randomSeed = seed
    params.numThreads = 1
    if AllChem.EmbedMolecule(mol, params) != 0:
        params.useRandomCoords = True  # cages and crowded rings embed from random starts
        if AllChem.EmbedMolecule(mol, params) != 0:
            raise IvluError(f"RDKit could not build 3-D coordinates for {smiles!r}.",
                            "a structure ETKDG can embed", "check the structure, or draw it in 2-D instead")
    used = "ETKDG only"
    if force_field == "MMFF94" and AllChem.MMFFHasAllMoleculeParams(mol):
        AllChem.MMFFOptimizeMolecule(mol, maxIters=2000)
        used = "MMFF94"
    elif AllChem.UFFHasAllMoleculeParams(mol):
        AllChem.UFFOptimizeMolecule(mol, maxIters=2000)
        used = "UFF"
    conf = mol.GetConformer()
    xyz = conf.GetPositions()
    xyz -= xyz.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(xyz.T) if len(xyz) > 1 else np.eye(3))
    # Screen axes at elevation 0, azimuth 0: the longest axis across, the middle one up, the shortest
    # towards the viewer (a flat molecule faces the front). Signs fixed by the third moment; a rotation,
    # never a mirror, so chirality is kept.
    longest, middle = vectors[:, 2], vectors[:, 1]
    longest = longest if ((xyz @ longest) ** 3).sum() >= 0 else -longest
    middle = middle if ((xyz @ middle) ** 3).sum() >= 0 else -middle
    frame = np.stack([np.cross(longest, middle), longest, middle])
    for i, p in enumerate(xyz @ frame.T):
        conf.SetAtomPosition(i, p.tolist())
    return mol, used


def model_parts(mol) -> tuple[list, list[str], list[tuple[int, int, int]]]:
    """(coordinates, element symbols, bonds as (a, b, order) with aromatic rings kekulised) of a molecule."""
    from rdkit import Chem

    kek = Chem.Mol(mol)
    Chem.Kekulize(kek, clearAromaticFlags=True)
    bonds = [(b.GetBeginAtomIdx(), b.GetEndAtomIdx(), int(round(b.GetBondTypeAsDouble()))) for b in kek.GetBonds()]
    return mol.GetConformer().GetPositions(), [a.GetSymbol() for a in mol.GetAtoms()], bonds


def steric(atom) -> tuple[int, int, bool]:
    """(steric number, lone pairs, lone pair delocalised) of an atom, all hydrogens explicit."""
    from rdkit import Chem

    valence = Chem.GetPeriodicTable().GetNOuterElecs(atom.GetAtomicNum())
    used = sum(b.GetBondTypeAsDouble() for b in atom.GetBonds())
    lone = max(0, int(round(valence - atom.GetFormalCharge() - used)) // 2)
    neighbours = atom.GetDegree()
    # RDKit calls a lone-pair atom next to a π system sp2 (amides, anilines, pyrroles, esters).
    delocalised = bool(lone) and neighbours + lone == 4 and atom.GetHybridization() == Chem.HybridizationType.SP2
    return neighbours + lone, lone, delocalised


def ideal_range(atom) -> tuple[float, float] | None:
    """The VSEPR ideal of the centre's mean bond angle, as (low, high): one value for a centre without
    lone pairs; with lone pairs, from the compressed value (NH3 107°, H2O 104.5°; 92° for heavier
    centres, Drago's rule) up to the parent geometry's angle; delocalised, from tetrahedral to planar.
    None for steric numbers 5 and 6 (checked angle by angle)."""
    number, lone, delocalised = steric(atom)
    if number not in PARENT:
        return None
    parent = PARENT[number]
    if delocalised:
        return 109.5, 120.0
    if not lone or number == 2:
        return parent, parent
    low = 92.0 if atom.GetAtomicNum() > 10 else parent - 2.5 * lone - (0 if number == 4 else 2.5)
    return low, parent


def shape(atom) -> str:
    number, lone, delocalised = steric(atom)
    if delocalised:  # the lone pair sits in a p orbital: three pairs about the centre in a plane
        number, lone = 3, 0
    return SHAPES.get((number, lone), f"steric number {number}")


def centres(mol) -> list[int]:
    """Atoms with two or more neighbours: the ones with a shape and bond angles."""
    return [a.GetIdx() for a in mol.GetAtoms() if a.GetDegree() >= 2]


def label(atom) -> str:
    return f"{atom.GetSymbol()}{atom.GetIdx() + 1}"


def angle(xyz, i: int, j: int, k: int) -> float:
    u, v = xyz[j] - xyz[i], xyz[k] - xyz[i]
    cos = float(u @ v) / math.sqrt(float(u @ u) * float(v @ v))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def angle_report(mol) -> dict:
    """Every bond angle against its VSEPR ideal: per centre, the mean angle within TOLERANCE_DEG of the
    ideal range, and no single angle further than OUTLIER_DEG from it. Angles inside rings of three to
    five atoms are set by the ring: they are compared with the regular polygon's angle (60°, 90°, 108°;
    down to 88° at the heavier atoms of five-rings), and the other angles at atoms of three- and
    four-rings are strained, so not checked."""
    xyz = mol.GetConformer().GetPositions()
    rings = [set(r) for r in mol.GetRingInfo().AtomRings()]
    checked, failures, skipped, rows = 0, [], 0, []
    for i in centres(mol):
        atom = mol.GetAtomWithIdx(i)
        ideal = ideal_range(atom)
        strained = any(i in r and len(r) <= 4 for r in rings)
        free: list[float] = []
        for j, k in itertools.combinations([n.GetIdx() for n in atom.GetNeighbors()], 2):
            value = angle(xyz, i, j, k)
            ring = min((len(r) for r in rings if {i, j, k} <= r), default=0)
            if ring and ring <= 5:
                polygon = 180.0 * (ring - 2) / ring
                want = (polygon - (20.0 if atom.GetAtomicNum() > 10 else 0.0), polygon)
            elif strained:
                skipped += 1
                continue
            elif ideal is None:
                nearest = min(EXPANDED.get(steric(atom)[0], (109.5,)), key=lambda t: abs(t - value))
                want = (nearest, nearest)
            else:
                want = ideal
                free.append(value)
            off = max(want[0] - value, value - want[1], 0.0)
            checked += 1
            limit = TOLERANCE_DEG if ideal is None else OUTLIER_DEG
            if off > limit:
                failures.append(f"the angle at {label(atom)} is {value:.1f}°, {off:.1f}° outside {_span(want)}")
        if free and ideal is not None:
            mean = sum(free) / len(free)
            off = max(ideal[0] - mean, mean - ideal[1], 0.0)
            if off > TOLERANCE_DEG:
                failures.append(f"{label(atom)} ({shape(atom)}) has a mean angle of {mean:.1f}°, "
                                f"{off:.1f}° outside its VSEPR ideal {_span(ideal)}")
            rows.append({"atom": label(atom), "shape": shape(atom), "mean": round(mean, 1),
                         "ideal": [ideal[0], ideal[1]]})
    return {"angles": checked, "not_checked": skipped, "failures": failures, "centres": rows}


def _span(want: tuple[float, float]) -> str:
    return f"{want[0]:g}°" if want[0] == want[1] else f"{want[0]:g}–{want[1]:g}°"


def shapes(mol, limit: int = 3) -> list[dict]:
    """The VSEPR shape of each centre of a small molecule (at most `limit` centres; none past that)."""
    found = centres(mol)
    if len(found) > limit:
        return []
    out = []
    for i in found:
        atom = mol.GetAtomWithIdx(i)
        number, lone, _ = steric(atom)
        out.append({"atom": label(atom), "element": atom.GetSymbol(), "shape": shape(atom),
                    "bonded": atom.GetDegree(), "lone_pairs": lone})
    return out


def plan_facts(smiles: str, seed: int, force_field: str, elevation: float | None, azimuth: float | None) -> dict:
    """What the planner needs from the conformer: the shapes of a small molecule's centres, and the viewpoint
    that hides the fewest balls when the words leave it open."""
    mol, used = conformer(smiles, seed, force_field)
    coords, elements, bonds = model_parts(mol)
    hidden = None
    if elevation is None or azimuth is None:
        elevation, azimuth, hidden = geometry.best_view(coords, elements, bonds)
    return {"shapes": shapes(mol), "elevation": elevation, "azimuth": azimuth, "hidden": hidden,
            "atoms": len(elements), "force_field": used}
