"""Electron bookkeeping for a Lewis structure, from RDKit's valence model (runs in the worker).

Bond orders and formal charges come from the SMILES (aromatic rings as one Kekulé form); every hydrogen is
made explicit. Per atom: lone electrons = valence electrons − bonding electrons − formal charge − unpaired
electrons, drawn as lone pairs (two dots) and single dots for unpaired electrons.
"""

from __future__ import annotations

from ...errors import IvluError

MAX_HEAVY_ATOMS = 40  # a Lewis structure of a bigger molecule is a wall of dots nobody can read
# Main-group elements only: their valence electrons are the outer-shell count; a transition metal's are not.
MAIN_GROUP = frozenset("""H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Ga Ge As Se Br Kr Rb Sr In Sn Sb Te I Xe
Cs Ba Tl Pb Bi""".split())
DUET = frozenset({"H", "He", "Li", "Be"})  # full with two electrons (Li+ and Be2+ keep their 1s pair only)


def molecule(smiles: str):
    """The RDKit molecule a Lewis structure draws: explicit hydrogens, Kekulé bonds; a clear error otherwise."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise IvluError(f"Invalid SMILES {smiles!r}: RDKit cannot parse or sanitise it.",
                        "a valid SMILES such as 'O' (water) or '[O-][N+](=O)[O-]' (nitrate)",
                        "check brackets, charges and valences, or give the compound's name")
    heavy = mol.GetNumHeavyAtoms()
    if heavy > MAX_HEAVY_ATOMS:
        raise IvluError(f"The structure has {heavy} heavy atoms, too many for a readable Lewis structure.",
                        f"at most {MAX_HEAVY_ATOMS} heavy (non-hydrogen) atoms",
                        "draw a smaller molecule or a fragment, or ask for a skeletal structure instead")
    odd = sorted({a.GetSymbol() for a in mol.GetAtoms() if a.GetSymbol() not in MAIN_GROUP})
    if odd:
        raise IvluError(f"The structure holds {', '.join(odd)}, whose valence electrons a Lewis structure "
                        "cannot count simply.", "main-group elements only (H, B, C, N, O, F, P, S, Cl, …)",
                        "draw it as a skeletal structure instead")
    aromatic = any(a.GetIsAromatic() for a in mol.GetAtoms())
    mol = Chem.AddHs(mol)
    Chem.Kekulize(mol, clearAromaticFlags=True)
    mol.SetBoolProp("lewis_aromatic", aromatic)
    return mol


def bookkeeping(smiles: str) -> dict:
    """Every atom's electrons and every bond's order, the total, and what departs from the octet rule.

    Returns {"atoms": [{symbol, charge, valence, bonding, lone_pairs, unpaired, shell}], "bonds": [{begin,
    end, order}], "total": valence electrons of the species, "charge": net charge, "notes": [sentences]}.
    """
    from rdkit import Chem

    mol = molecule(smiles)
    table = Chem.GetPeriodicTable()
    atoms, bonds = [], []
    for bond in mol.GetBonds():
        order = {Chem.BondType.SINGLE: 1, Chem.BondType.DOUBLE: 2, Chem.BondType.TRIPLE: 3}.get(bond.GetBondType())
        if order is None:
            raise IvluError(f"The structure has a {bond.GetBondType()} bond, which a Lewis structure cannot draw.",
                            "single, double and triple bonds", "give the structure as a SMILES with such bonds")
        bonds.append({"begin": bond.GetBeginAtomIdx(), "end": bond.GetEndAtomIdx(), "order": order})
    for atom in mol.GetAtoms():
        symbol = atom.GetSymbol()
        valence = table.GetNOuterElecs(atom.GetAtomicNum())
        bonding = sum(b["order"] for b in bonds if atom.GetIdx() in (b["begin"], b["end"]))
        unpaired = atom.GetNumRadicalElectrons()
        lone = valence - bonding - atom.GetFormalCharge() - unpaired
        if lone < 0 or lone % 2:
            raise IvluError(f"{symbol} (atom {atom.GetIdx() + 1}) would have {lone} non-bonding electrons.",
                            "a structure whose charges and bonds leave each atom whole electron pairs",
                            "check the formal charges in the SMILES")
        atoms.append({"symbol": symbol, "charge": atom.GetFormalCharge(), "valence": valence, "bonding": bonding,
                      "lone_pairs": lone // 2, "unpaired": unpaired, "shell": 2 * bonding + lone + unpaired})
    charge = sum(a["charge"] for a in atoms)
    total = sum(a["valence"] for a in atoms) - charge
    return {"atoms": atoms, "bonds": bonds, "total": total, "charge": charge,
            "notes": exceptions(atoms) + resonance(smiles, mol.GetBoolProp("lewis_aromatic"))}


def exceptions(atoms: list[dict]) -> list[str]:
    """Sentences naming each departure from the octet (duet for H): incomplete, expanded, unpaired."""
    notes: dict[str, list[int]] = {}
    for a in atoms:
        full = 2 if a["symbol"] in DUET else 8
        if a["unpaired"]:
            notes.setdefault(f"unpaired electron on {a['symbol']} (a radical, {a['shell']} electrons)", []).append(1)
        elif a["shell"] < full and a["shell"] > 0:
            notes.setdefault(f"incomplete octet on {a['symbol']} ({a['shell']} electrons)", []).append(1)
        elif a["shell"] > full:
            notes.setdefault(f"expanded octet on {a['symbol']} ({a['shell']} electrons)", []).append(1)
    return [f"{what} ×{len(n)}" if len(n) > 1 else what for what, n in notes.items()]


def resonance(smiles: str, aromatic: bool) -> list[str]:
    """A sentence when the drawing is one of several resonance forms (charges spread, or a Kekulé ring)."""
    from rdkit import Chem

    notes = []
    try:
        forms = len(Chem.ResonanceMolSupplier(Chem.MolFromSmiles(smiles)))
    except RuntimeError:  # radicals and odd structures: the supplier gives up; say nothing rather than guess
        forms = 0
    if forms > 1:
        notes.append(f"one of {forms} resonance forms")
    if aromatic:
        notes.append("one Kekulé form of the aromatic ring")
    return notes


def facts(smiles: str) -> dict:
    """The counts a step's read-back needs (`LewisFacts`): bonds by order, lone pairs and charges by element."""
    book = bookkeeping(smiles)
    lone: dict[str, int] = {}
    charges: dict[str, int] = {}
    for a in book["atoms"]:
        if a["lone_pairs"]:
            lone[a["symbol"]] = lone.get(a["symbol"], 0) + a["lone_pairs"]
        if a["charge"]:
            key = f"{a['charge']:+d} {a['symbol']}"
            charges[key] = charges.get(key, 0) + 1
    orders = [b["order"] for b in book["bonds"]]
    return {"valence_electrons": book["total"], "single": orders.count(1), "double": orders.count(2),
            "triple": orders.count(3), "lone_pairs": lone, "charges": charges, "notes": book["notes"][:8],
            "heavy_atoms": sum(a["symbol"] != "H" for a in book["atoms"])}
