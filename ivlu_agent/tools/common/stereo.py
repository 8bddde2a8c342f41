"""Names with a stereo or sequence prefix the compound table does not hold as such: 'D-alanine',
'meso-tartaric acid', '(R)-ibuprofen', 'Gly-Ala'. Runs in a worker (RDKit)."""

from __future__ import annotations

from ...errors import IvluError

# The standard amino acids by three-letter code (IUPAC-IUBMB), to their one-letter codes.
THREE_LETTER = {"ala": "A", "arg": "R", "asn": "N", "asp": "D", "cys": "C", "gln": "Q", "glu": "E", "gly": "G",
                "his": "H", "ile": "I", "leu": "L", "lys": "K", "met": "M", "phe": "F", "pro": "P", "ser": "S",
                "thr": "T", "trp": "W", "tyr": "Y", "val": "V"}



def peptide(sequence: str) -> str:
    """The SMILES of a peptide written in three-letter codes ('Gly-Ala'), L-residues, N- to C-terminus."""
    from rdkit import Chem

    codes = [THREE_LETTER[c.lower()] for c in sequence.split("-")]
    mol = Chem.MolFromSequence("".join(codes))
    if mol is None:
        raise IvluError(f"Cannot build the peptide {sequence!r}.", "three-letter codes such as Gly-Ala-Ser",
                        "check the residue codes")
    return Chem.MolToSmiles(mol)


def with_prefix(prefix: str, smiles: str, named: str = "") -> str | None:
    """The stereoisomer of `smiles` that `prefix` names, or None when the prefix does not fit the structure.

    - 'meso': the stereoisomer with stereocentres that is its own mirror image;
    - 'D' / 'L': the table's structure when its name says so ('l-alanine'), else its mirror image;
    - 'R' / 'S' (one stereocentre) and 'E' / 'Z', 'cis' / 'trans' (one stereo double bond): that isomer.
    """
    from rdkit import Chem
    from rdkit.Chem.EnumerateStereoisomers import EnumerateStereoisomers, StereoEnumerationOptions

    p = prefix.strip("()").lower()
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    if p in ("d", "l"):
        if not Chem.FindMolChiralCenters(mol, includeUnassigned=False, useLegacyImplementation=False):
            return None
        if named.lower().startswith(f"{p}-"):
            return Chem.MolToSmiles(mol)
        mirror = Chem.Mol(mol)
        for atom in mirror.GetAtoms():
            atom.InvertChirality()
        return Chem.MolToSmiles(mirror)
    flat = Chem.Mol(mol)
    Chem.RemoveStereochemistry(flat)
    isomers = list(EnumerateStereoisomers(flat, options=StereoEnumerationOptions(unique=True, maxIsomers=64)))
    picked = []
    for iso in isomers:
        Chem.AssignStereochemistry(iso, cleanIt=True, force=True)
        bonds = [{Chem.BondStereo.STEREOE: "e", Chem.BondStereo.STEREOZ: "z"}.get(b.GetStereo())
                 for b in iso.GetBonds() if b.GetBondType() == Chem.BondType.DOUBLE]  # before the centres:
        centres = [label for _, label in Chem.FindMolChiralCenters(iso, useLegacyImplementation=False)]  # resets E/Z
        bonds = [b for b in bonds if b]
        smi = Chem.MolToSmiles(iso)
        if p in ("meso", "rac", "dl"):
            mirror = Chem.Mol(iso)
            for atom in mirror.GetAtoms():
                atom.InvertChirality()
            if p == "meso" and len(centres) >= 2 and Chem.MolToSmiles(mirror) == smi:
                picked.append(smi)
        elif p in ("r", "s") and len(centres) == 1 and centres[0].lower() == p:
            picked.append(smi)
        elif p in ("e", "z", "cis", "trans") and len(bonds) == 1 and bonds[0] == {"cis": "z", "trans": "e"}.get(p, p):
            picked.append(smi)
    return picked[0] if len(picked) == 1 else None
