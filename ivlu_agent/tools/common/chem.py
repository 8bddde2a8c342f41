"""Chemistry facts shared by the molecule planner, renderers and verifiers.

The compound table and the functional-group SMARTS are data files in `ivlu_agent/data/`.
Anything that parses a SMILES runs inside the isolated worker (`describe`), because RDKit can
crash on hostile input; the table lookups themselves are plain text and safe in-process.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ...errors import IvluError

MAX_HEAVY_ATOMS = 200  # larger molecules are unreadable as a 2-D panel anyway
MAX_SMILES_CHARS = 1000


@dataclass(frozen=True)
class Compound:
    name: str
    synonyms: tuple[str, ...]  # lower case, matched case-insensitively
    smiles: str
    formula: str  # Hill order
    category: str
    abbreviations: tuple[str, ...] = ()  # as written ('ATP', 'DMSO'), matched case-sensitively
    inchikey: str = ""  # the source's InChIKey; empty only for a few hand-written rows (see data/SOURCES.md)
    source: str = ""  # where the row comes from, a tag of data/SOURCES.md


@dataclass(frozen=True)
class Group:
    name: str
    synonyms: tuple[str, ...]
    smarts: str
    description: str


def _rows(filename: str) -> list[dict[str, str]]:
    text = resources.files("ivlu_agent.data").joinpath(filename).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines(), delimiter="\t"))


def _split(s: str | None) -> tuple[str, ...]:
    return tuple(x.strip().lower() for x in (s or "").split("|") if x.strip())


@lru_cache(maxsize=1)
def _compound_rows() -> tuple[Compound, ...]:
    return tuple(
        Compound(r["name"].strip().lower(), _split(r.get("synonyms")), r["smiles"].strip(), r["formula"].strip(),
                 r.get("category", "").strip(),
                 tuple(a.strip() for a in (r.get("abbreviations") or "").split("|") if a.strip()),
                 (r.get("inchikey") or "").strip(), (r.get("source") or "").strip())
        for r in _rows("compounds.tsv"))


@lru_cache(maxsize=1)
def compounds() -> dict[str, Compound]:
    """Every name and synonym (lower case) → its compound. Abbreviations are not here: see `abbreviations`."""
    table: dict[str, Compound] = {}
    for c in _compound_rows():
        for key in (c.name, *c.synonyms):
            table[key] = c
    return table


# A stereo descriptor leading a name: '(2R,3S)-', 'L-', 'cis-', 'meso-'.
STEREO_DESCRIPTOR = re.compile(r"^(?:\([0-9RSEZ,]+\)|[DL]|cis|trans|meso)-", re.I)


def other_names(key: str) -> list[str]:
    """The name, synonyms and abbreviations of the table's compound called `key` (lower case); [] for none."""
    compound = compounds().get(key)
    return [compound.name, *compound.synonyms, *compound.abbreviations] if compound is not None else []


@lru_cache(maxsize=1)
def abbreviations() -> dict[str, Compound]:
    """Every abbreviation, case as written ('ATP', 'DMSO', 'cAMP') → its compound; match it case-sensitively,
    since in lower case many are words ('camp', 'pep')."""
    return {a: c for c in _compound_rows() for a in c.abbreviations}


@lru_cache(maxsize=1)
def groups() -> dict[str, Group]:
    """Every functional-group name and synonym (lower case) → its group."""
    table: dict[str, Group] = {}
    for r in _rows("functional_groups.tsv"):
        g = Group(r["name"].strip().lower(), _split(r.get("synonyms")), r["smarts"].strip(),
                  r.get("description", "").strip())
        for key in (g.name, *g.synonyms):
            table[key] = g
    return table


def lookup_compound(name: str) -> Compound:
    """The compound called `name`, or an error offering the closest names."""
    key = " ".join(name.lower().split())
    table = compounds()
    if key in table:
        return table[key]
    if name.strip() in abbreviations():  # 'DMSO', as written
        return abbreviations()[name.strip()]
    from rapidfuzz import fuzz, process

    close = list(dict.fromkeys(table[k].name for k, _, _ in
                               process.extract(key, list(table), scorer=fuzz.ratio, score_cutoff=80, limit=8)))[:5]
    raise IvluError(
        f"Unknown compound name {name!r}.",
        f"one of the {len({c.name for c in table.values()})} compounds in the bundled table, or a SMILES string",
        ("did you mean: " + ", ".join(close) + "?") if close else "write the structure as a SMILES string",
    )


def lookup_group(name: str) -> Group:
    key = " ".join(name.lower().split())
    table = groups()
    for candidate in (key, key.rstrip("s"), key[:-2] if key.endswith("es") else key):
        if candidate in table:
            return table[candidate]
    raise IvluError(
        f"Unknown functional group {name!r}.",
        "one of: " + ", ".join(sorted({g.name for g in table.values()})),
        "use one of the listed group names",
    )


# --- functions below run inside the worker (they import RDKit) ---------------------------------


@lru_cache(maxsize=None)
def _pattern(smarts: str):
    from rdkit import Chem

    return Chem.MolFromSmarts(smarts)


def describe(smiles: str) -> dict:
    """Parse and sanitise a SMILES; return canonical SMILES, formula, InChIKey, size and group counts.

    Raises IvluError for anything a person must fix (unparsable, too large).
    """
    return dict(_describe(smiles))


@lru_cache(maxsize=512)
def _describe(smiles: str) -> dict:
    if not smiles or len(smiles) > MAX_SMILES_CHARS:
        raise IvluError(f"SMILES of {len(smiles)} characters is outside the allowed range.",
                        f"1 to {MAX_SMILES_CHARS} characters", "give a smaller molecule")
    from rdkit import Chem, RDLogger
    from rdkit.Chem.rdMolDescriptors import CalcMolFormula

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise IvluError(
            f"Invalid SMILES {smiles!r}: RDKit cannot parse or sanitise it.",
            "a valid SMILES such as 'CCO' (ethanol) or 'c1ccccc1' (benzene)",
            "check ring-closure digits, brackets and valences, or give the compound's name",
        )
    heavy = mol.GetNumHeavyAtoms()
    if heavy > MAX_HEAVY_ATOMS:
        raise IvluError(f"The molecule has {heavy} heavy atoms.",
                        f"at most {MAX_HEAVY_ATOMS} heavy atoms per panel", "draw a fragment of it instead")
    return {
        "smiles": Chem.MolToSmiles(mol),
        "formula": CalcMolFormula(mol),
        "inchikey": Chem.MolToInchiKey(mol),
        "heavy_atoms": heavy,
        "groups": {g.name: len(mol.GetSubstructMatches(_pattern(g.smarts)))
                   for g in {g.name: g for g in groups().values()}.values()},
    }


def group_atoms(mol, group_name: str) -> list[tuple[int, ...]]:
    """Atom-index tuples of every match of the named group in an RDKit molecule."""
    return [tuple(m) for m in mol.GetSubstructMatches(_pattern(lookup_group(group_name).smarts))]


def check_identity(smiles: str, name: str = "", inchikey: str = "", formula: str = "") -> dict:
    """The structure `smiles` sanitises and is the compound asked for: `name` from the table when given,
    else the expected `inchikey` and `formula` (each defaults to the structure's own)."""
    from rdkit import Chem
    from rdkit.Chem.rdMolDescriptors import CalcMolFormula

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return {"verifier": "molecule.identity", "passed": False, "score": 0.0,
                "checked": "the SMILES sanitises", "message": f"The SMILES {smiles!r} does not sanitise."}
    key, drawn_formula = Chem.MolToInchiKey(mol), CalcMolFormula(mol)
    target_key, target_formula, target_smiles = inchikey or key, formula or drawn_formula, ""
    if name:
        try:
            c = lookup_compound(name)
            target_smiles = c.smiles
            target_key, target_formula = Chem.MolToInchiKey(Chem.MolFromSmiles(c.smiles)), c.formula
        except IvluError:
            pass
    from .formulas import element_counts

    # Hill order puts carbon first and leaves the rest alphabetical; RDKit writes carbon-free formulas its own
    # way ('HCl' where the table says 'ClH'), so the formulas are compared atom by atom.
    ok = key == target_key and (drawn_formula == target_formula
                                or element_counts(drawn_formula) == element_counts(target_formula))
    what = name or smiles
    return {
        "verifier": "molecule.identity", "passed": ok, "score": 1.0 if ok else 0.0,
        "checked": f"InChIKey and formula of the drawn structure against {what}",
        "message": (f"The structure is {what} ({drawn_formula}, {key})." if ok else
                    f"The structure ({drawn_formula}, {key}) is not {what} ({target_formula}, {target_key})."),
        "details": {"inchikey": key, "formula": drawn_formula, "target_inchikey": target_key,
                    "target_formula": target_formula,
                    **({"target_smiles": target_smiles} if not ok and target_smiles else {})},
    }


MAX_STEREOISOMERS = 8


def stereoisomers(smiles: str, mirror: bool = False) -> list[dict]:
    """Every stereoisomer of a structure whose double bonds and centres the SMILES leaves open, each with
    its canonical SMILES and CIP labels: [{"smiles", "labels": ["Z"] or ["R", "S"…]}]. With `mirror`, a
    structure whose centres are all set gives itself and its mirror image (the two enantiomers). Runs in a
    worker."""
    from rdkit import Chem
    from rdkit.Chem.EnumerateStereoisomers import EnumerateStereoisomers, StereoEnumerationOptions

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise IvluError(f"Invalid SMILES {smiles!r}.", "a SMILES RDKit can parse", "check the structure")
    options = StereoEnumerationOptions(onlyUnassigned=True, unique=True, maxIsomers=MAX_STEREOISOMERS)
    isomers = list(EnumerateStereoisomers(mol, options=options))
    if mirror and len(isomers) == 1 and Chem.FindMolChiralCenters(mol, useLegacyImplementation=False):
        image = Chem.Mol(mol)
        for atom in image.GetAtoms():
            atom.InvertChirality()
        isomers = [mol, image]
    out = []
    for isomer in isomers:
        Chem.AssignStereochemistry(isomer, cleanIt=True, force=True)
        bonds = [{Chem.BondStereo.STEREOE: "E", Chem.BondStereo.STEREOZ: "Z"}.get(b.GetStereo())
                 for b in isomer.GetBonds() if b.GetBondType() == Chem.BondType.DOUBLE]
        centres = [label for _, label in Chem.FindMolChiralCenters(isomer, useLegacyImplementation=False)]
        out.append({"smiles": Chem.MolToSmiles(isomer), "labels": [b for b in bonds if b] + centres})
    return out
