"""Checks of the chemistry data tables in ivlu_agent/data with RDKit.

compounds.tsv: every SMILES must parse and sanitise, RDKit's formula (CalcMolFormula) must equal the recorded
formula (compared element by element, since RDKit does not follow Hill order for carbon-free formulas such as
ClH or BH3O3), RDKit's InChIKey must equal the InChIKey the row's source gives (data/SOURCES.md), names,
synonyms and abbreviations must be unique and clean enough to be matched in prose, categories valid, every
defined stereocentre must carry the CIP label the compound is known to have.
functional_groups.tsv: every SMARTS must parse and hit (and not hit) hand-picked molecules.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from rdkit import Chem, RDLogger
from rdkit.Chem import rdCIPLabeler
from rdkit.Chem.rdMolDescriptors import CalcMolFormula

RDLogger.DisableLog("rdApp.*")

DATA = Path(__file__).resolve().parents[1] / "ivlu_agent" / "data"

# fmt: off
CATEGORIES = {
    "drug", "amino_acid", "nucleobase", "nucleoside", "sugar", "solvent", "reagent", "natural_product",
    "hormone", "vitamin", "neurotransmitter", "lipid", "polymer_monomer", "dye", "gas", "acid", "base",
    "hydrocarbon", "aromatic", "other",
}
# fmt: on


def _read(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return rows


@cache
def compounds() -> tuple[dict[str, str], ...]:
    return tuple(_read("compounds.tsv"))


@cache
def groups() -> tuple[dict[str, str], ...]:
    return tuple(_read("functional_groups.tsv"))


@cache
def compound_mols() -> dict[str, Chem.Mol]:
    return {r["name"]: Chem.MolFromSmiles(r["smiles"]) for r in compounds()}


_ELEMENT = re.compile(r"([A-Z][a-z]?)(\d*)")


def parse_formula(formula: str) -> Counter:
    """'C8H10N4O2' -> Counter({'C': 8, 'H': 10, 'N': 4, 'O': 2}); raises on anything that is not a formula."""
    parts = _ELEMENT.findall(formula)
    if not formula or "".join(el + n for el, n in parts) != formula:
        raise ValueError(f"not a plain molecular formula: {formula!r}")
    counts: Counter = Counter()
    for el, n in parts:
        if el in counts:
            raise ValueError(f"element {el} repeated in {formula!r}")
        if n.startswith("0") or n == "1":
            raise ValueError(f"bad count for {el} in {formula!r}")
        counts[el] = int(n or 1)
    return counts


def is_hill_order(formula: str) -> bool:
    els = [el for el, _ in _ELEMENT.findall(formula)]
    if "C" in els:
        head = ["C"] + (["H"] if "H" in els else [])
        rest = [e for e in els if e not in ("C", "H")]
        return els == head + sorted(rest)
    return els == sorted(els)


def test_formula_helpers():
    assert parse_formula("C8H10N4O2") == Counter(C=8, H=10, N=4, O=2)
    assert parse_formula("ClH") == Counter(Cl=1, H=1)
    assert is_hill_order("C8H10N4O2") and is_hill_order("CHCl3") and is_hill_order("ClH")
    assert is_hill_order("BH3O3") and is_hill_order("H2O4S")
    assert not is_hill_order("H3BO3") and not is_hill_order("HCl") and not is_hill_order("C2H6OCl")
    for bad in ("C1H4", "c6h6", "C6H6+", "CH3CH3", ""):
        with pytest.raises(ValueError):
            parse_formula(bad)


# ---------------------------------------------------------------- compounds.tsv

COLUMNS = ["name", "synonyms", "abbreviations", "smiles", "formula", "category", "inchikey", "source"]
# Hand-written rows may lack a source's key (SOURCES.md says which and why); every other row has one.
SOURCES = {"hand", "hand-pubchem", "hand-opsin", "pubchem", "pubchem-opsin"}
MAX_HAND_ROWS_WITHOUT_KEY = 30

# Words of requests and of everyday English that must never name a compound: names are matched inside prose.
# fmt: off
STOP_WORDS = {
    "ice", "salt", "lead", "speed", "ecstasy", "crack", "plot", "chart", "graph", "line", "table", "view", "front",
    "top", "side", "draw", "show", "sketch", "render", "cat", "all", "amino", "acid", "base", "image", "picture",
    "figure", "diagram", "label", "legend", "title", "structure", "molecule", "compound", "formula", "reaction",
    "ring", "bond", "atom", "group", "model", "part", "text", "equation", "red", "blue", "green", "yellow",
    "orange", "black", "white", "purple", "pink", "brown", "violet", "gold", "silver", "iron", "copper", "zinc",
    "tin", "carbon", "sugar", "oil", "wax", "soap", "milk", "blood", "glass", "crystal", "snow", "rock", "spirit",
    "condition", "gradual", "solution", "standard", "grade", "mixture", "camp", "pep", "bap",
}
# fmt: on
# Hand-written synonyms that are also functional-group names on purpose: 'alcohol' alone names ethanol,
# 'alcohol groups' the hydroxyl (see tools/common/names.py).
GROUP_NAMES_ALLOWED = {"alcohol": "ethanol", "ether": "diethyl ether"}
SYNONYM_CHARS = re.compile(r"^[a-z0-9 \-,()'+\[\]]+$")
ABBREVIATION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]*$")
REGISTRY_CODE = re.compile(
    r"^\d+-\d\d-\d$|^(nsc|unii|chebi|mfcd|einecs|cas|hsdb|dtxsid|chembl|zinc|schembl)\b|^[a-z]{1,5}[- ]?\d{3,}$"
)


def test_compounds_header_and_size():
    with open(DATA / "compounds.tsv", encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split("\t")
    assert header == COLUMNS
    rows = compounds()
    assert len(rows) >= 3000
    for r in rows:
        assert None not in r and all(v is not None for v in r.values()), f"wrong column count: {r}"


def test_compound_smiles_parse_and_sanitise():
    bad = []
    for r in compounds():
        mol = Chem.MolFromSmiles(r["smiles"])
        if mol is None:
            bad.append(f"{r['name']}: SMILES does not parse/sanitise: {r['smiles']}")
            continue
        if "." in r["smiles"]:
            bad.append(f"{r['name']}: several fragments (salt or mixture)")
        if Chem.GetFormalCharge(mol) != 0:
            bad.append(f"{r['name']}: net charge {Chem.GetFormalCharge(mol)}")
        if any(a.GetNumRadicalElectrons() for a in mol.GetAtoms()):
            bad.append(f"{r['name']}: radical")
    assert not bad, "\n".join(bad)


def test_compound_formulas_match_smiles():
    bad = []
    for r in compounds():
        mol = Chem.MolFromSmiles(r["smiles"])
        if mol is None:
            continue  # reported by the parse test
        try:
            recorded = parse_formula(r["formula"])
        except ValueError as exc:
            bad.append(f"{r['name']}: {exc}")
            continue
        if not is_hill_order(r["formula"]):
            bad.append(f"{r['name']}: formula {r['formula']} is not in Hill order")
        computed = CalcMolFormula(mol)
        if parse_formula(computed) != recorded:
            bad.append(f"{r['name']}: recorded {r['formula']} but SMILES gives {computed}")
    assert not bad, "\n".join(bad)


def test_compound_names_unique_and_clean():
    seen: dict[str, str] = {}
    bad = []
    for r in compounds():
        keys = [r["name"]] + [s for s in r["synonyms"].split("|") if s]
        if r["synonyms"] and "" in r["synonyms"].split("|"):
            bad.append(f"{r['name']}: empty synonym in {r['synonyms']!r}")
        for key in keys:
            if key != key.strip().lower() or "  " in key or not key:
                bad.append(f"{r['name']}: {key!r} is not a clean lowercase name")
            if key in seen:
                bad.append(f"{key!r} used by both {seen[key]!r} and {r['name']!r}")
            seen[key] = r["name"]
    assert not bad, "\n".join(bad)


def test_compound_categories_valid():
    bad = [f"{r['name']}: {r['category']!r}" for r in compounds() if r["category"] not in CATEGORIES]
    assert not bad, "\n".join(bad)


def test_compound_smiles_unique():
    seen: dict[str, str] = {}
    bad = []
    for name, mol in compound_mols().items():
        if mol is None:
            continue
        key = Chem.MolToSmiles(mol)
        if key in seen:
            bad.append(f"{name} and {seen[key]} are the same structure")
        seen[key] = name
    assert not bad, "\n".join(bad)


# fmt: off
REQUIRED_COMPOUNDS = [
    # the 20 proteinogenic amino acids
    "glycine", "alanine", "valine", "leucine", "isoleucine", "proline", "phenylalanine", "tryptophan",
    "methionine", "serine", "threonine", "cysteine", "tyrosine", "asparagine", "glutamine", "aspartic acid",
    "glutamic acid", "lysine", "arginine", "histidine",
    # nucleobases, nucleosides, nucleotides
    "adenine", "guanine", "cytosine", "thymine", "uracil", "adenosine", "adenosine triphosphate",
    # sugars
    "glucose", "fructose", "galactose", "sucrose", "lactose", "maltose", "ribose", "deoxyribose",
    "glucose-6-phosphate",
    # drugs
    "aspirin", "paracetamol", "ibuprofen", "naproxen", "penicillin g", "amoxicillin", "metformin",
    "atorvastatin", "omeprazole", "diazepam", "morphine", "codeine", "nicotine", "caffeine", "warfarin",
    # solvents
    "water", "methanol", "ethanol", "acetone", "dimethyl sulfoxide", "dimethylformamide", "tetrahydrofuran",
    "dichloromethane", "chloroform", "toluene", "hexane", "acetonitrile", "ethyl acetate", "diethyl ether",
    # reagents
    "acetic acid", "acetic anhydride", "benzaldehyde", "phenol", "aniline", "nitrobenzene", "benzoic acid",
    # natural products, vitamins, hormones, neurotransmitters
    "menthol", "limonene", "capsaicin", "curcumin", "quercetin", "vanillin", "camphor", "theobromine",
    "cholesterol", "ascorbic acid", "retinol", "testosterone", "estradiol", "dopamine", "serotonin",
    "adrenaline",
    # simple organics, phosphates, thiols
    "methane", "ethane", "propane", "butane", "pentane", "hexane", "heptane", "octane", "nonane", "decane",
    "benzene", "naphthalene", "trimethyl phosphate", "ethanethiol",
]
# fmt: on


def test_required_compounds_present():
    names = {r["name"] for r in compounds()}
    missing = [n for n in REQUIRED_COMPOUNDS if n not in names]
    assert not missing, missing


def test_synonym_lookup_examples():
    index = {}
    for r in compounds():
        for key in [r["name"]] + [s for s in r["synonyms"].split("|") if s]:
            index[key] = r["name"]
    assert index["acetylsalicylic acid"] == "aspirin"
    assert index["acetaminophen"] == "paracetamol"
    assert index["ethyl alcohol"] == "ethanol"
    assert index["epinephrine"] == "adrenaline"
    assert index["vitamin c"] == "ascorbic acid"
    abbreviations = {a: r["name"] for r in compounds() for a in r["abbreviations"].split("|") if a}
    assert abbreviations["DMSO"] == "dimethyl sulfoxide" and "dmso" not in index
    assert abbreviations["ATP"] == "adenosine triphosphate" and abbreviations["cAMP"] == "cyclic amp"
    assert "camp" not in index  # a word in lower case: only the case-sensitive abbreviation names cAMP
    for name in ("quinine", "atenolol", "propranolol", "benzocaine", "sarcosine", "benzoin", "dazomet"):
        assert name in index, name


def test_compound_inchikeys_match_the_source():
    """The independent check of every row: the InChIKey its source gives (PubChem's record, or OPSIN reading one
    of the compound's names) is RDKit's InChIKey of the row's SMILES, stereo layer included."""
    bad, without = [], []
    for r in compounds():
        if r["source"] not in SOURCES:
            bad.append(f"{r['name']}: unknown source {r['source']!r}")
        if not r["inchikey"]:
            if r["source"] != "hand":
                bad.append(f"{r['name']}: a {r['source']} row without its source's InChIKey")
            without.append(r["name"])
            continue
        mol = Chem.MolFromSmiles(r["smiles"])
        if mol is not None and Chem.MolToInchiKey(mol) != r["inchikey"]:
            bad.append(f"{r['name']}: SMILES gives {Chem.MolToInchiKey(mol)}, the source says {r['inchikey']}")
    assert not bad, "\n".join(bad)
    assert len(without) <= MAX_HAND_ROWS_WITHOUT_KEY, without


def test_compound_inchikeys_unique():
    keys = Counter(r["inchikey"] for r in compounds() if r["inchikey"])
    assert not [k for k, n in keys.items() if n > 1]


def test_sources_are_documented():
    text = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    for tag in SOURCES:
        assert f"`{tag}`" in text, tag


def test_compound_names_fit_prose():
    """Names, synonyms and abbreviations are matched inside free English: none is a common word, a functional
    group, a registry code or carries a brand mark; abbreviations are apart and matched case-sensitively."""
    group_keys = {k for g in groups() for k in [g["name"]] + [s for s in g["synonyms"].split("|") if s]}
    names = {k for r in compounds() for k in [r["name"]] + [s for s in r["synonyms"].split("|") if s]}
    bad = []
    seen: dict[str, str] = {}
    for r in compounds():
        synonyms = [s for s in r["synonyms"].split("|") if s]
        hand = r["source"].startswith("hand")
        for key in [r["name"], *synonyms]:
            if key in STOP_WORDS:
                bad.append(f"{r['name']}: {key!r} is an ordinary word")
            if key in group_keys and GROUP_NAMES_ALLOWED.get(key) != r["name"]:
                bad.append(f"{r['name']}: {key!r} names a functional group")
            if len(key) > 120:
                bad.append(f"{r['name']}: {key!r} is longer than 120 characters")
            if not hand and (len(key) < 3 or not SYNONYM_CHARS.match(key) or REGISTRY_CODE.search(key)):
                bad.append(f"{r['name']}: {key!r} is too short, a code or has odd characters")
        if not hand and len(synonyms) > 8:
            bad.append(f"{r['name']}: {len(synonyms)} synonyms, at most 8")
        for a in [a for a in r["abbreviations"].split("|") if a]:
            if not ABBREVIATION.match(a) or len(a) < 3 or a == a.lower():
                bad.append(f"{r['name']}: abbreviation {a!r} is not written as one")
            if a.lower() in names or a.lower() in group_keys:
                bad.append(f"{r['name']}: abbreviation {a!r} is also a lower-case name")
            if a in seen:
                bad.append(f"abbreviation {a!r} used by both {seen[a]!r} and {r['name']!r}")
            seen[a] = r["name"]
    assert not bad, "\n".join(bad)


# CIP labels of every stereocentre (atoms, in SMILES order) followed by every stereo double bond (E/Z,
# in SMILES order), from RDKit's new CIP labeller. The values are the known configurations of the natural /
# marketed stereoisomers (e.g. L-amino acids S except Cys/Sec R; morphine 5R,6S,9R,13S,14R; cholesterol
# 3S,8S,9S,10R,13R,14S,17R,20R); the glycosides were in addition checked by cutting the glycosidic bond and
# comparing the halves with the monosaccharide rows.
# fmt: off
STEREO_EXPECTED = {
    "alanine": "S", "valine": "S", "leucine": "S", "isoleucine": "SS", "proline": "S",
    "phenylalanine": "S", "tryptophan": "S", "methionine": "S", "serine": "S", "threonine": "SR",
    "cysteine": "R", "tyrosine": "S", "asparagine": "S", "glutamine": "S", "aspartic acid": "S",
    "glutamic acid": "S", "lysine": "S", "arginine": "S", "histidine": "S", "selenocysteine": "R",
    "ornithine": "S", "citrulline": "S", "homocysteine": "S", "hydroxyproline": "SR", "d-alanine": "R",
    "phosphoserine": "S", "adenosine": "RRSR", "guanosine": "RRSR", "cytidine": "RRSR",
    "uridine": "RRSR", "inosine": "RRSR", "thymidine": "RSR", "2'-deoxyadenosine": "RSR",
    "2'-deoxyguanosine": "RSR", "2'-deoxycytidine": "RSR", "adenosine monophosphate": "RRSR",
    "adenosine diphosphate": "RRSR", "adenosine triphosphate": "RRSR", "guanosine triphosphate": "RRSR",
    "cyclic amp": "RRSR", "glucose": "RRRSS", "alpha-d-glucopyranose": "RSRSS",
    "aldehydo-d-glucose": "RSRR", "fructose": "RRRS", "beta-d-fructofuranose": "RRSS",
    "galactose": "RRRSR", "mannose": "RSSSS", "ribose": "RRRS", "deoxyribose": "SR", "xylose": "RSR",
    "arabinose": "RSS", "glyceraldehyde": "R", "sorbitol": "SRRR", "mannitol": "RRRR",
    "glucose-6-phosphate": "RSRSS", "glyceraldehyde 3-phosphate": "R", "glucosamine": "RRRRS",
    "n-acetylglucosamine": "RRRRS", "xylitol": "SrR", "erythritol": "RS", "salicin": "RSRSS",
    "glucuronic acid": "SRRSS", "naproxen": "S", "penicillin g": "RRS", "amoxicillin": "RRRS",
    "ampicillin": "RRRS", "atorvastatin": "RR", "morphine": "SRRRS", "codeine": "SRRRS",
    "heroin": "SRRRS", "nicotine": "S", "sertraline": "SS", "lisinopril": "SSS", "captopril": "SS",
    "chloramphenicol": "RR", "zidovudine": "RSS", "oseltamivir": "RSR", "methotrexate": "S",
    "tamoxifen": "Z", "clopidogrel": "S", "pregabalin": "S", "levetiracetam": "S",
    "methamphetamine": "S", "ephedrine": "SR", "pseudoephedrine": "SS", "acetylcysteine": "R",
    "levodopa": "S", "ascorbic acid": "SR", "riboflavin": "SSR", "pantothenic acid": "R",
    "biotin": "SRS", "folic acid": "S", "retinol": "EEEE", "retinal": "EEEE", "retinoic acid": "EEEE",
    "beta-carotene": "EEEEEEEEE", "cholecalciferol": "RRSRSEZ", "alpha-tocopherol": "RRR",
    "phylloquinone": "RRE", "lipoic acid": "R", "testosterone": "SSRSSR", "estradiol": "SSRSS",
    "estrone": "SSRS", "progesterone": "SSSSSR", "cortisol": "RSSSSSR", "cortisone": "RSSSSR",
    "dehydroepiandrosterone": "SSSRSR", "thyroxine": "S", "triiodothyronine": "S",
    "prostaglandin e2": "SRRREZ", "adrenaline": "R", "noradrenaline": "R", "anandamide": "ZZZZ",
    "menthol": "SRR", "limonene": "R", "carvone": "R", "camphor": "RR", "alpha-pinene": "RR",
    "geraniol": "E", "nerol": "Z", "citral": "E", "anethole": "E", "cinnamaldehyde": "E",
    "capsaicin": "E", "curcumin": "EE", "resveratrol": "E", "catechin": "RS", "caffeic acid": "E",
    "ferulic acid": "E", "piperine": "EE", "gingerol": "S", "cocaine": "SRRS",
    "tetrahydrocannabinol": "RR", "cannabidiol": "RR", "squalene": "EEEE", "fumaric acid": "E",
    "maleic acid": "Z", "malic acid": "S", "tartaric acid": "RR", "lactic acid": "S",
    "cinnamic acid": "E", "3-phosphoglyceric acid": "R", "cis-2-butene": "Z", "trans-2-butene": "E",
    "stilbene": "E", "oleic acid": "Z", "linoleic acid": "ZZ", "alpha-linolenic acid": "ZZZ",
    "arachidonic acid": "ZZZZ", "eicosapentaenoic acid": "ZZZZZ", "docosahexaenoic acid": "ZZZZZZ",
    "cholesterol": "RRSRSSRS", "triolein": "ZZZ", "sphingosine": "RSE", "glycerol 3-phosphate": "R",
    "indigo": "E", "tyrian purple": "E", "methyl orange": "E", "methyl red": "E", "azobenzene": "E",
    "aniline yellow": "E", "sudan i": "E", "para red": "E", "aspartame": "SS", "glutathione": "SR",
    "sucrose": "RRSRSSRSS", "lactose": "RSSRRRRRSR", "maltose": "RRSRRRRRSS", "cellobiose": "RSSRRRRRSS",
    "trehalose": "RRRRSSRRSS", "fructose-1,6-bisphosphate": "RRSS",
}
# fmt: on


def _stereo_labels(mol: Chem.Mol) -> str:
    mol = Chem.Mol(mol)
    rdCIPLabeler.AssignCIPLabels(mol)
    atoms = "".join(a.GetProp("_CIPCode") for a in mol.GetAtoms() if a.HasProp("_CIPCode"))
    bonds = "".join(b.GetProp("_CIPCode") for b in mol.GetBonds() if b.HasProp("_CIPCode"))
    return atoms + bonds


def test_stereochemistry_of_defined_stereoisomers():
    mols = compound_mols()
    bad = []
    for name, expected in STEREO_EXPECTED.items():
        if name not in mols:
            bad.append(f"{name}: missing from compounds.tsv")
        elif mols[name] is not None and _stereo_labels(mols[name]) != expected:
            bad.append(f"{name}: CIP labels {_stereo_labels(mols[name])}, expected {expected}")
    assert not bad, "\n".join(bad)


def test_meso_compounds_are_achiral():
    mols = compound_mols()
    for name in ("erythritol", "xylitol"):
        smi = Chem.MolToSmiles(mols[name])
        mirror = smi.replace("@@", "\0").replace("@", "@@").replace("\0", "@")
        assert Chem.CanonSmiles(mirror) == smi, name


# ---------------------------------------------------------------- functional_groups.tsv

# fmt: off
REQUIRED_GROUPS = [
    "methyl", "hydroxyl", "carbonyl", "aldehyde", "ketone", "carboxylic acid", "ester", "amide",
    "primary amine", "secondary amine", "tertiary amine", "aromatic ring", "nitro", "halide", "ether",
    "thiol", "phosphate", "alkene", "alkyne", "nitrile", "sulfonamide", "phenyl", "amine",
]
# fmt: on

# group -> (positives as (SMILES, expected number of unique matches), negatives as SMILES)
EXAMPLES: dict[str, tuple[list[tuple[str, int]], list[str]]] = {
    "methyl": (
        [("CCO", 1), ("CC(C)C", 3), ("Cc1ccccc1", 1), ("CO", 1), ("Cn1cnc2c1c(=O)n(C)c(=O)n2C", 3)],
        ["C", "c1ccccc1", "C1CCCCC1", "OCCO"],
    ),
    "hydroxyl": (
        [
            ("CCO", 1),
            ("Oc1ccccc1", 1),
            ("OCC(O)CO", 3),
            ("OC[C@H]1O[C@@H](O)[C@H](O)[C@@H](O)[C@@H]1O", 5),
            ("OC(=O)c1ccccc1O", 1),
        ],
        ["CC(C)=O", "CC(=O)O", "COC", "O", "OP(=O)(O)O"],
    ),
    "phenolic hydroxyl": (
        [("Oc1ccccc1", 1), ("CC(=O)Nc1ccc(O)cc1", 1), ("Oc1ccccc1O", 2)],
        ["OCc1ccccc1", "CCO", "OC(=O)c1ccccc1"],
    ),
    "carbonyl": (
        [
            ("CC(C)=O", 1),
            ("CC(=O)O", 1),
            ("CCOC(C)=O", 1),
            ("CC(N)=O", 1),
            ("O=c1cc[nH]c(=O)[nH]1", 2),
            ("CC(=O)OC(C)=O", 2),
        ],
        ["CCO", "O=C=O", "CCOCC"],
    ),
    "aldehyde": (
        [("CC=O", 1), ("O=Cc1ccccc1", 1), ("C=O", 1), ("O=C[C@H](O)[C@@H](O)[C@H](O)[C@H](O)CO", 1)],
        ["CC(C)=O", "OC=O", "CC(=O)O", "COC=O", "CN(C)C=O"],
    ),
    "ketone": (
        [("CC(C)=O", 1), ("O=C1CCCCC1", 1), ("CC(=O)c1ccccc1", 1), ("O=C1C=CC(=O)C=C1", 2)],
        ["CC=O", "CC(=O)O", "CCOC(C)=O", "CC(N)=O", "O=c1cc[nH]c(=O)[nH]1"],
    ),
    "carboxylic acid": (
        [("CC(=O)O", 1), ("OC(=O)c1ccccc1", 1), ("OC(=O)C(=O)O", 2), ("OC(=O)CC(O)(CC(=O)O)C(=O)O", 3)],
        ["CCOC(C)=O", "CC(C)=O", "CCO", "CC(N)=O"],
    ),
    "ester": (
        [
            ("CCOC(C)=O", 1),
            ("COC=O", 1),
            ("O=C1CCCO1", 1),
            ("CC(=O)Oc1ccccc1C(=O)O", 1),
            ("O=c1ccc2ccccc2o1", 1),
            ("CC(=O)OCC(COC(C)=O)OC(C)=O", 3),
        ],
        ["CC(=O)O", "CC(=O)OC(C)=O", "CCOCC", "CC(C)=O", "COC(=O)OC"],
    ),
    "amide": (
        [("CC(N)=O", 1), ("CN(C)C=O", 1), ("CNC(C)=O", 1), ("CC(=O)Nc1ccc(O)cc1", 1)],
        ["CCN", "CC(=O)O", "CCOC(C)=O", "Nc1ccc(S(N)(=O)=O)cc1"],
    ),
    "primary amine": (
        [
            ("CCN", 1),
            ("Nc1ccccc1", 1),
            ("N[C@@H](CCCCN)C(=O)O", 2),
            ("NCCN", 2),
            ("Nc1ccc(S(N)(=O)=O)cc1", 1),
        ],
        ["CC(N)=O", "CNC", "CN(C)C", "NC(N)=O", "NC(N)=N", "NN", "N", "O=[N+]([O-])c1ccccc1"],
    ),
    "secondary amine": (
        [("CNC", 1), ("C1CCNCC1", 1), ("C1COCCN1", 1), ("CCNCC", 1)],
        ["CCN", "CNC(C)=O", "CN(C)C", "c1cc[nH]c1", "c1ccc2[nH]ccc2c1"],
    ),
    "tertiary amine": (
        [("CN(C)C", 1), ("CCN(CC)CC", 1), ("CN1CCC[C@H]1c1cccnc1", 1), ("C1CN2CCN1CC2", 2)],
        ["CN(C)C=O", "CNC", "c1ccncc1", "Cn1cnc2c1c(=O)n(C)c(=O)n2C", "C[N+](=O)[O-]", "C1CCC2=NCCCN2CC1"],
    ),
    "amine": (
        [("CCN", 1), ("CNC", 1), ("CN(C)C", 1), ("NCCN", 2), ("CCN(CC)CC(=O)Nc1c(C)cccc1C", 1)],
        ["CC(N)=O", "c1ccncc1", "N", "O=[N+]([O-])c1ccccc1", "NC(N)=O"],
    ),
    "aromatic ring": (
        [("c1ccccc1", 6), ("c1ccncc1", 6), ("c1ccc2ccccc2c1", 10), ("c1ccoc1", 5)],
        ["C1CCCCC1", "C1=CCCCC1", "C=CC=C"],
    ),
    "phenyl": (
        [("Cc1ccccc1", 1), ("c1ccc(-c2ccccc2)cc1", 2), ("c1ccc(Cc2ccccc2)cc1", 2)],
        ["c1ccccc1", "Cc1ccc(C)cc1", "c1ccc2ccccc2c1", "c1ccncc1"],
    ),
    "nitro": (
        [
            ("O=[N+]([O-])c1ccccc1", 1),
            ("C[N+](=O)[O-]", 1),
            ("Cc1c([N+](=O)[O-])cc([N+](=O)[O-])cc1[N+](=O)[O-]", 3),
        ],
        ["Nc1ccccc1", "O=[N+]([O-])OCC(CO[N+](=O)[O-])O[N+](=O)[O-]", "O[N+](=O)[O-]", "O=Nc1ccccc1"],
    ),
    "halide": (
        [("ClC(Cl)Cl", 3), ("Brc1ccccc1", 1), ("FC(F)(F)C(Cl)Br", 5), ("CC(Cl)=O", 1)],
        ["Cl", "CCO", "c1ccccc1"],
    ),
    "ether": (
        [("CCOCC", 1), ("COc1ccccc1", 1), ("C1CCOC1", 1), ("C1COCCO1", 2), ("COCCOC", 2)],
        ["CCOC(C)=O", "CCO", "c1ccoc1", "CC(=O)OC(C)=O"],
    ),
    "thiol": (
        [("CCS", 1), ("N[C@@H](CS)C(=O)O", 1), ("OCCS", 1)],
        ["CSC", "S", "N[C@@H](CCSC)C(=O)O", "c1ccsc1"],
    ),
    "sulfide": (
        [("CSC", 1), ("N[C@@H](CCSC)C(=O)O", 1), ("CSc1ccccc1", 1)],
        ["c1ccsc1", "CCS", "CS(C)=O", "CSSC"],
    ),
    "disulfide": (
        [("CSSC", 1), ("C=CCSSCC=C", 1), ("OC(=O)CCCC[C@@H]1CCSS1", 1)],
        ["CSC", "CCS", "C=CCSS(=O)CC=C"],
    ),
    "phosphate": (
        [
            ("COP(=O)(OC)OC", 1),
            ("OP(=O)(O)O", 1),
            ("OP(=O)(O)OC[C@H]1O[C@H](O)[C@H](O)[C@@H](O)[C@@H]1O", 1),
            ("Nc1ncnc2c1ncn2[C@@H]1O[C@H](COP(=O)(O)OP(=O)(O)OP(=O)(O)O)[C@@H](O)[C@H]1O", 3),
        ],
        ["COP(C)(=O)OC", "O=P(c1ccccc1)(c1ccccc1)c1ccccc1", "CN(C)P(=O)(N(C)C)N(C)C", "OC(=O)CNCP(=O)(O)O"],
    ),
    "alkene": (
        [("C=C", 1), ("C1=CCCCC1", 1), ("C=CC=C", 2), ("C=Cc1ccccc1", 1)],
        ["c1ccccc1", "CC", "C#C", "CC(C)=O"],
    ),
    "alkyne": ([("C#C", 1), ("CC#C", 1)], ["CC#N", "C=C"]),
    "nitrile": ([("CC#N", 1), ("N#Cc1ccccc1", 1), ("C=CC#N", 1)], ["C#C", "CN", "[C-]#[N+]C"]),
    "sulfonamide": (
        [
            ("Nc1ccc(S(N)(=O)=O)cc1", 1),
            ("NS(=O)(=O)c1cc2c(cc1Cl)NCNS2(=O)=O", 2),
            ("Cc1cc(NS(=O)(=O)c2ccc(N)cc2)no1", 1),
        ],
        ["CS(=O)(=O)O", "NC(=O)c1ccccc1", "Cc1ccc(S(=O)(=O)Cl)cc1"],
    ),
    "sulfonic acid": (
        [("CS(=O)(=O)O", 1), ("Cc1ccc(S(=O)(=O)O)cc1", 1)],
        ["OS(=O)(=O)O", "COS(=O)(=O)OC", "Nc1ccc(S(N)(=O)=O)cc1"],
    ),
    "acyl halide": (
        [("CC(Cl)=O", 1), ("O=C(Cl)c1ccccc1", 1), ("O=C(Cl)C(=O)Cl", 2)],
        ["OC(=O)CCl", "CC(=O)O", "ClCc1ccccc1"],
    ),
    "anhydride": (
        [("CC(=O)OC(C)=O", 1), ("O=C1C=CC(=O)O1", 1), ("O=C1OC(=O)c2ccccc21", 1)],
        ["CCOC(C)=O", "CC(=O)O"],
    ),
    "imine": (
        [("C(=Nc1ccccc1)c1ccccc1", 1), ("CC(C)=N", 1), ("CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21", 1)],
        ["C1CCC2=NCCCN2CC1", "NC(N)=N", "CC(C)=NO", "c1ccncc1", "CC#N"],
    ),
    "azo": (
        [("c1ccc(/N=N/c2ccccc2)cc1", 1), ("CN(C)c1ccc(/N=N/c2ccc(S(=O)(=O)O)cc2)cc1", 1)],
        ["NN", "C=[N+]=[N-]", "Nc1ccccc1"],
    ),
    "epoxide": ([("C1CO1", 1), ("CC1CO1", 1), ("ClCC1CO1", 1)], ["C1CCOC1", "C1COC1", "CCOCC"]),
    "isocyanate": (
        [("Cc1ccc(N=C=O)cc1N=C=O", 2), ("CN=C=O", 1)],
        ["CN=C=S", "O=C=O", "C(=NC1CCCCC1)=NC1CCCCC1"],
    ),
}

# For single-atom groups: which element every match must be.
MATCH_ELEMENTS = {
    "methyl": {"C"},
    "hydroxyl": {"O"},
    "phenolic hydroxyl": {"O"},
    "primary amine": {"N"},
    "secondary amine": {"N"},
    "tertiary amine": {"N"},
    "amine": {"N"},
    "halide": {"F", "Cl", "Br", "I"},
    "ether": {"O"},
    "thiol": {"S"},
    "sulfide": {"S"},
}


@cache
def group_patterns() -> dict[str, Chem.Mol]:
    return {g["name"]: Chem.MolFromSmarts(g["smarts"]) for g in groups()}


def test_groups_header_and_size():
    with open(DATA / "functional_groups.tsv", encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split("\t")
    assert header == ["name", "synonyms", "smarts", "description"]
    assert len(groups()) >= 20
    names = {g["name"] for g in groups()}
    assert not [n for n in REQUIRED_GROUPS if n not in names]
    for g in groups():
        assert g["description"].strip(), g["name"]


def test_group_names_unique():
    seen: dict[str, str] = {}
    for g in groups():
        for key in [g["name"]] + [s for s in g["synonyms"].split("|") if s]:
            assert key == key.strip().lower() and key, key
            assert key not in seen, f"{key!r} used by {seen[key]!r} and {g['name']!r}"
            seen[key] = g["name"]


def test_every_smarts_parses():
    bad = [f"{name}: {g}" for name, g in group_patterns().items() if g is None]
    assert not bad, bad


def test_every_group_has_examples():
    names = {g["name"] for g in groups()}
    assert names == set(EXAMPLES), names ^ set(EXAMPLES)
    for name, (pos, neg) in EXAMPLES.items():
        assert pos and neg, name


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_group_examples(name):
    patt = group_patterns()[name]
    assert patt is not None
    positives, negatives = EXAMPLES[name]
    for smi, count in positives:
        mol = Chem.MolFromSmiles(smi)
        assert mol is not None, smi
        hits = mol.GetSubstructMatches(patt)
        assert len(hits) == count, f"{name} in {smi}: {len(hits)} matches, expected {count}"
        if name in MATCH_ELEMENTS:
            for hit in hits:
                assert len(hit) == 1 and mol.GetAtomWithIdx(hit[0]).GetSymbol() in MATCH_ELEMENTS[name]
    for smi in negatives:
        mol = Chem.MolFromSmiles(smi)
        assert mol is not None, smi
        assert not mol.HasSubstructMatch(patt), f"{name} should not match {smi}"


def test_group_atom_sets():
    """Spot checks that the patterns cover exactly the atoms of the group, no neighbours."""

    def atoms(group, smi):
        mol = Chem.MolFromSmiles(smi)
        hits = mol.GetSubstructMatches(group_patterns()[group])
        return sorted(sorted(mol.GetAtomWithIdx(i).GetSymbol() for i in h) for h in hits)

    assert atoms("ester", "CCOC(C)=O") == [["C", "C", "O", "O"]]
    assert atoms("carboxylic acid", "CC(=O)O") == [["C", "O", "O"]]
    assert atoms("amide", "CC(N)=O") == [["C", "N", "O"]]
    assert atoms("carbonyl", "CC(C)=O") == [["C", "O"]]
    assert atoms("nitro", "C[N+](=O)[O-]") == [["N", "O", "O"]]
    assert atoms("phosphate", "COP(=O)(OC)OC") == [["O", "O", "O", "O", "P"]]
    assert atoms("phenyl", "Cc1ccccc1") == [["C"] * 6]
    assert atoms("sulfonamide", "CS(N)(=O)=O") == [["N", "O", "O", "S"]]
    assert atoms("nitrile", "CC#N") == [["C", "N"]]
    assert atoms("alkene", "CC=CC") == [["C", "C"]]


def test_groups_on_table_compounds():
    """The functional groups of a few table compounds come out as a chemist would list them."""
    mols = compound_mols()
    pats = group_patterns()

    def present(name):
        return {g for g, p in pats.items() if mols[name].HasSubstructMatch(p)}

    assert present("aspirin") >= {"ester", "carboxylic acid", "aromatic ring", "carbonyl", "methyl"}
    assert not present("aspirin") & {"hydroxyl", "ketone", "aldehyde", "amine", "ether"}
    assert present("paracetamol") >= {"amide", "hydroxyl", "phenolic hydroxyl", "aromatic ring", "methyl"}
    assert not present("paracetamol") & {"amine", "primary amine", "ester", "ketone"}
    assert present("cysteine") >= {"thiol", "primary amine", "carboxylic acid"}
    assert present("glucose-6-phosphate") >= {"phosphate", "hydroxyl", "ether"}
    assert present("nitrobenzene") == {"nitro", "aromatic ring", "phenyl"}
    assert present("vanillin") >= {"aldehyde", "ether", "hydroxyl", "phenolic hydroxyl"}
    assert present("nicotine") >= {"tertiary amine", "amine", "aromatic ring"}
    assert "secondary amine" not in present("nicotine")


def test_a_stereo_name_names_a_structure_with_its_stereo():
    """'L-glucose' or '(R)-BINAP' on a structure without stereo would draw, and certify, the wrong molecule:
    a name that states a configuration must be on a SMILES that has one. A racemic name ('DL-alanine') may
    name the stereo-free structure only when it has at most one stereocentre."""
    racemic = re.compile(r"^(?:dl|rac|\(±\)|±|\(\+/-\))\s?-", re.I)
    stated = re.compile(r"^(?:[dl]|dl|rac|meso|\([+-]\)|[dl]\s?-\s?\([+-]\)|\(\d*[rsez](?:,\d*[rsez])*\)|cis|trans|"
                        r"[rsez])\s?-|-[dl]-|\([+-]\)-", re.I)
    bad = []
    for r in compounds():
        if any(c in r["smiles"] for c in "@/\\"):
            continue
        centres = len(Chem.FindMolChiralCenters(compound_mols()[r["name"]], includeUnassigned=True,
                                                useLegacyImplementation=False))
        for name in [r["name"], *filter(None, r["synonyms"].split("|"))]:
            if stated.search(name) and not (racemic.match(name) and centres <= 1):
                bad.append(f"{r['name']}: '{name}' states a configuration the SMILES {r['smiles']} lacks")
    assert not bad, "\n".join(bad)
