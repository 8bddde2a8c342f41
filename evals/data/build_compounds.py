"""Build ivlu_agent/data/compounds.tsv: the hand-written rows, checked, plus PubChem compounds with their names.

Not run in CI; the table it writes is committed. Run it again when a source changes:

    pip download chemicals==1.5.2 --no-deps -d /tmp/src && unzip -q /tmp/src/chemicals-*.whl -d /tmp/src/chemicals
    pip install --target /tmp/wf wordfreq            # build time only: which words are ordinary English
    PYTHONPATH=/tmp/wf .venv/bin/python evals/data/build_compounds.py \\
        "/tmp/src/chemicals/chemicals/Identifiers/chemical identifiers pubchem large.tsv" --report /tmp/report.txt

Sources (see ivlu_agent/data/SOURCES.md for their licences):
- the table itself: rows whose `source` starts with `hand` (or every row of a table without that column) are
  kept as written; their `inchikey` is PubChem's key of a record found by one of the row's *names*, or
  OPSIN's key of one of its names, and is recorded only when it equals RDKit's key of the row's SMILES
  (a mismatch is printed for a person to look at, and the row keeps only its formula check);
- PUBCHEM_TSV: the PubChem identifier table shipped in the `chemicals` package (MIT; the facts are PubChem's,
  public domain): CID, CAS, formula, mass, SMILES, InChI, InChIKey, IUPAC name, common name, synonyms.

A PubChem record becomes a row when its SMILES is one neutral fragment without radicals or isotopes, not a bare
atom, at most 200 heavy atoms and 1000 characters, RDKit's InChIKey of it equals PubChem's, its structure is not
in the table yet (its names are then merged into that row), and it has a clean name nobody else uses. Records
are taken by how well known they are (the number of PubChem synonyms, a bonus for an INN/USAN/JAN/BAN marker,
and how often English text uses the common name) until the table holds --size compounds.

Names kept as synonyms: letters, digits, spaces and - , ( ) ' + [ ] only; at least 3 characters; not a
registry or company code; a name with a digit only when OPSIN reads it as the same InChIKey (so IUPAC-style
names are checked too); not an ordinary English word (wordfreq), a colour, a functional-group name, nor a
name PubChem gives to two records; not a near-copy of the row's name (misspellings, Latin INN forms).
Abbreviations (short, not a word, their letters an ordered subset of the row's name) go, in capitals, to the
`abbreviations` column, which is matched case-sensitively.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import os
import re
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdkit import Chem, RDLogger

RDLogger.DisableLog("rdApp.*")

REPO = Path(__file__).resolve().parents[2]
TABLE = REPO / "ivlu_agent" / "data" / "compounds.tsv"
GROUPS = REPO / "ivlu_agent" / "data" / "functional_groups.tsv"
COLUMNS = ["name", "synonyms", "abbreviations", "smiles", "formula", "category", "inchikey", "source"]
MAX_SYNONYMS = 8
MAX_IUPAC_CHARS = 120

# The hand-written rows' synonyms that are abbreviations written in capitals (or with their own case)
# in prose; they move to the case-sensitive column. Formulas (h2o, meoh, et3n) and three-letter amino-acid
# codes stay lower-case synonyms.
LEGACY_ABBREVIATIONS = {
    "amp": "AMP", "adp": "ADP", "atp": "ATP", "gtp": "GTP", "camp": "cAMP", "g6p": "G6P", "fbp": "FBP",
    "dhap": "DHAP", "asa": "ASA", "apap": "APAP", "hctz": "HCTZ", "inh": "INH", "azt": "AZT", "5-fu": "5-FU",
    "nac": "NAC", "plp": "PLP", "dhea": "DHEA", "iaa": "IAA", "pge2": "PGE2", "5-ht": "5-HT", "gaba": "GABA",
    "aea": "AEA", "dmt": "DMT", "thc": "THC", "cbd": "CBD", "ipa": "IPA", "mek": "MEK", "dmso": "DMSO",
    "dmf": "DMF", "nmp": "NMP", "thf": "THF", "dcm": "DCM", "dce": "DCE", "tce": "TCE", "mtbe": "MTBE",
    "dme": "DME", "hmpa": "HMPA", "dmc": "DMC", "gbl": "GBL", "tfe": "TFE", "hfip": "HFIP", "dipea": "DIPEA",
    "dmap": "DMAP", "nbs": "NBS", "dnph": "DNPH", "dcc": "DCC", "ptsa": "PTSA", "msa": "MSA", "tppo": "TPPO",
    "edta": "EDTA", "bme": "BME", "dms": "DMS", "dmds": "DMDS", "gsh": "GSH", "dnp": "DNP", "tnt": "TNT",
    "tep": "TEP", "tbp": "TBP", "tphp": "TPHP", "dmmp": "DMMP", "cfc-12": "CFC-12", "r-12": "R-12",
    "tca": "TCA", "tfa": "TFA", "pep": "PEP", "3-pga": "3-PGA", "tmeda": "TMEDA", "bap": "BaP", "epa": "EPA",
    "dha": "DHA", "vcm": "VCM", "mma": "MMA", "bpa": "BPA", "bdo": "BDO", "tdi": "TDI", "hdi": "HDI",
}

# Words of requests and figures that must never name a compound, whatever a source says.
REQUEST_WORDS = set("""
all amino acid base salt ice lead speed ecstasy crack dope plot chart graph line table view front top side draw
show cat dog sketch render image picture figure diagram label legend title axis colour color red blue green
yellow orange black white purple pink brown grey gray violet gold silver iron copper tin zinc carbon structure
molecule compound formula reaction ring bond atom group model part text equation please with make give spirit
glass crystal snow candy coke pot grass weed horse smack rock soda lime potash lye chalk gypsum borax alum
vitriol oil wax tar pitch gum resin fat soap sugar starch milk blood bone
sulfoxide sulfone peroxide hydroperoxide oxide hydride imide azide lactone lactam alkaloid steroid terpene
paraffin olefin polymer monomer surfactant detergent pesticide herbicide insecticide fungicide dye pigment
toxin hormone vitamin enzyme protein
""".split())

DRUG_TAGS = ("inn", "usan", "jan", "ban", "usp", "vandf", "who-dd", "dcf", "ep monograph", "orange book", "jp1",
             "mart.", "nf")
LANGUAGE_TAGS = ("french", "german", "spanish", "latin", "italian", "dutch", "polish", "czech", "russian",
                 "japanese", "portuguese", "swedish", "danish", "finnish", "hungarian", "romanian", "greek")
JUNK_WORDS = {"grade", "solution", "technical", "standard", "reagent", "analytical", "pestanal", "vetranal",
              "acs", "crm", "certified", "reference", "tablet", "tablets", "injection", "hydrochloride",
              "hydrobromide", "mesylate", "maleate", "fumarate", "tartrate", "besylate", "hydrate", "monohydrate",
              "dihydrate", "hemihydrate", "anhydrous", "sodium", "potassium", "calcium", "magnesium", "lithium",
              "salt", "mixture", "isomer", "isomers", "unspecified", "racemic", "form", "powder", "purified",
              "impurity", "metabolite", "labeled", "labelled", "radiolabeled", "deuterated", "van", "mi",
              "inci", "usp", "nf", "bp", "ep", "jp", "min", "max", "approx", "assay", "sigma", "aldrich",
              "fluka", "merck", "tci", "alfa", "aesar", "gmp", "ultrapure", "pharmaceutical", "secondary",
              "primary", "extra", "pure", "grade", "ar", "gr", "lr", "cp", "ci", "obsolete", "dea", "no"}
CODE = re.compile(r"^[a-z]{1,6}[- ]?\d|^\d+-\d+-\d$|^(nsc|unii|chebi|mfcd|einecs|ec|cas|hsdb|ccris|brn|dtxsid|"
                  r"dtxcid|ai3|caswell|epa|nci|ncgc|smr|zinc|chembl|akos|bidd|bspbio|spectrum|prestwick|hms|"
                  r"kbio|lopac|mls|tox21|bdbm|schembl|wln|cid|sbi|hy|cs|st|bbl|stl|ks|ac|ab|ls|db|d0|c0)\b")
ALLOWED = re.compile(r"^[a-z0-9 \-,()'+\[\]]+$")
CHEMICAL_ENDINGS = ("ine", "ol", "ane", "ene", "yne", "one", "ide", "ate", "ite", "in", "ose", "yl", "al", "ium",
                    "oid", "ole", "an", "on", "il", "am", "ic", "ox", "en", "ar", "id", "ast", "tan", "pril")
DRUG_CATEGORY_TAG = re.compile(r"^(inn|usan|jan|ban|vandf|who-dd|dcf)\b")
# CAS index names ('benzoic acid, 2-formyl-'), InChIKey pieces, and names in other languages.
UNNATURAL = re.compile(r", |-$|\(\d*ci\b|[a-z]{14}-[a-z]{8}|saeure|säure|saure\b|^acide? |^acido |^acidum |ique\b|"
                       r"ico\b|inum\b|icacid|\bacid[oe]\b|\bsel\b")


@dataclass
class Record:
    cid: str
    formula: str
    smiles: str
    inchikey: str
    inchi: str
    iupac: str
    common: str
    synonyms: list[str]
    tags: set[str] = field(default_factory=set)
    mol: Chem.Mol | None = None


def read_pubchem(paths: list[Path]) -> list[Record]:
    """Records with a PubChem CID (the files also hold a few of the package's own, CID -1), each CID once."""
    out, seen = [], set()
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                f = line.rstrip("\n").split("\t")
                if len(f) < 9 or not f[0].isdigit() or f[0] in seen:
                    continue
                seen.add(f[0])
                out.append(Record(f[0], f[2], f[4], f[6], f[5], f[7], f[8], f[9:]))
    return out


def parent_key(r: Record) -> str:
    """The InChIKey of the largest component of a salt or hydrate record, from PubChem's InChI (not its SMILES)."""
    if "." not in r.inchi.split("/")[0]:
        return r.inchikey
    mol = Chem.MolFromInchi("InChI=1S/" + r.inchi)
    if mol is None:
        return ""
    frags = sorted(Chem.GetMolFrags(mol, asMols=True), key=lambda m: -m.GetNumHeavyAtoms())
    return Chem.MolToInchiKey(frags[0]) if frags else ""


def split_tag(raw: str) -> tuple[str, list[str]]:
    """'atenolol [inn:ban]' -> ('atenolol', ['inn', 'ban']); 'tenormin (tn)' -> ('tenormin', ['tn'])."""
    name, tags = raw.strip(), []
    while True:
        m = re.search(r"\s*[\[(]([a-z0-9 .:,/\-]+)[\])]\s*$", name)
        if not m or m.start() == 0:
            return name, tags
        inner = m.group(1)
        # A chemical parenthesis ('(s)', '(e)', '(+-)', '(2r)') ends a name only rarely; registry tags are words.
        if not re.fullmatch(r"[a-z][a-z0-9 .:,/\-]*", inner) or len(inner) < 2 or re.fullmatch(r"[rsez+-]+", inner):
            return name, tags
        tags += re.split(r"[:,/]\s*", inner)
        name = name[: m.start()].strip()


class Words:
    """Ordinary English, by wordfreq's Zipf frequency (3 ≈ once per million words)."""

    def __init__(self) -> None:
        from wordfreq import zipf_frequency

        self.zipf = lambda w: zipf_frequency(w, "en")

    def common(self, name: str) -> bool:
        if name in REQUEST_WORDS:
            return True
        tokens = name.split()
        if len(tokens) > 1 and all(t in REQUEST_WORDS or self.zipf(t) >= 4.0 for t in tokens):
            return True  # 'red oil', 'crystal violet': words, whatever else they name
        z = self.zipf(name)
        if len(tokens) > 1:
            return z >= 3.0
        return z >= 4.0 or (z >= 3.0 and not name.endswith(CHEMICAL_ENDINGS))


def opsin_keys(names: list[str]) -> dict[str, str]:
    """Standard InChIKeys OPSIN gives the names (only those it reads)."""
    from py2opsin import py2opsin

    names = sorted(set(names))
    keys: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(0, len(names), 4000):
            chunk = names[i : i + 4000]
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = py2opsin(chunk, output_format="StdInChIKey", tmp_fpath=os.path.join(tmp, "in.txt"))
            if isinstance(got, str):
                got = [got]
            keys.update({n: k for n, k in zip(chunk, got) if k})
    return keys


NON_METALS = {"H", "B", "C", "N", "O", "F", "Si", "P", "S", "Cl", "Se", "Br", "I"}
# Names of one stereoisomer ('(+)-quinidine', 'l-quinine') on a record whose stereo is not given.
STEREO_NAME = re.compile(r"^(\((\+|-|[rs]|\d+[rs]\b[^)]*)\)-?|[dl]-|\(?[+-]\)?-)")


def usable(mol: Chem.Mol | None, smiles: str) -> str:
    """Why a structure cannot be a row ('' when it can)."""
    if mol is None:
        return "does not parse"
    if "." in smiles:
        return "several fragments"
    if len(smiles) > 1000 or mol.GetNumHeavyAtoms() > 200:
        return "too large"
    if Chem.GetFormalCharge(mol) != 0:
        return "charged"
    if any(a.GetNumRadicalElectrons() for a in mol.GetAtoms()):
        return "radical"
    if any(a.GetIsotope() for a in mol.GetAtoms()):
        return "isotope label"
    if {a.GetSymbol() for a in mol.GetAtoms()} - NON_METALS:
        return "metal or metalloid (a solid drawn as a molecule: TiO2, GaAs)"
    if mol.GetNumHeavyAtoms() == 1 and mol.GetAtomWithIdx(0).GetTotalNumHs() == 0:
        return "bare atom"
    if len({a.GetSymbol() for a in mol.GetAtoms()}) == 1 and not any(a.GetTotalNumHs() for a in mol.GetAtoms()):
        return "element"
    return ""


def hill(formula: str) -> bool:
    els = re.findall(r"[A-Z][a-z]?", formula)
    if "C" in els:
        head = ["C"] + (["H"] if "H" in els else [])
        return els == head + sorted(e for e in els if e not in ("C", "H"))
    return els == sorted(els)


def acronym_of(abbr: str, names: list[str]) -> bool:
    """The letters of `abbr`, in order and with gaps, spell out one of `names` from its first letter:
    'dmso' of 'dimethylsulfoxide'; 'benz' is a piece of 'benzene', not an abbreviation of it."""
    letters = "".join(c for c in abbr if c.isalpha())
    flats = [re.sub(r"[^a-z]", "", name) for name in names]
    if not letters or any(letters in flat for flat in flats):
        return False
    for flat in flats:
        it = iter(flat)
        if flat[:1] == letters[0] and all(c in it for c in letters):
            return True
    return False


AMINO_ACID = Chem.MolFromSmarts("[NX3;H2,H1][CX4][CX3](=O)[OX2H1]")
CARBOXYLIC = Chem.MolFromSmarts("[CX3](=O)[OX2H1]")
DYE = re.compile(r"^(c\.i\.|ci |(acid|basic|direct|disperse|solvent|vat|mordant|reactive|food|pigment) "
                 r"(red|blue|yellow|orange|green|violet|black|brown)\b)")
MONOMER = re.compile(r"(acrylate|acrylic|acrylamide|acrylonitrile|vinyl|styrene|caprolactam|diisocyanate|"
                     r"butadiene|isoprene|ethylene glycol)")


def category(r: Record, name: str) -> str:
    mol = r.mol
    symbols = {a.GetSymbol() for a in mol.GetAtoms()}
    heavy = mol.GetNumHeavyAtoms()
    raw = [r.common, *r.synonyms]
    if any(DRUG_CATEGORY_TAG.match(t) for t in r.tags):
        return "drug"
    if any(s.startswith("vitamin ") for s in raw[:30]):
        return "vitamin"
    if any(DYE.match(s) for s in raw[:40]):
        return "dye"
    aromatic = any(a.GetIsAromatic() for a in mol.GetAtoms())
    if symbols <= {"C"}:
        return "aromatic" if aromatic else "hydrocarbon"
    if symbols <= {"C", "F", "Cl", "Br", "I"} and aromatic and heavy <= 16:
        return "aromatic"
    if mol.HasSubstructMatch(AMINO_ACID) and heavy <= 20 and symbols <= {"C", "N", "O", "S"}:
        return "amino_acid"
    counts = Counter(a.GetSymbol() for a in Chem.AddHs(mol).GetAtoms())
    if (symbols == {"C", "O"} and 3 <= counts["C"] <= 7 and counts["O"] == counts["C"] and counts["H"] == 2 * counts["C"]
            and not mol.HasSubstructMatch(CARBOXYLIC)):
        return "sugar"
    if MONOMER.search(name) and heavy <= 20:
        return "polymer_monomer"
    if (symbols == {"C", "O"} and not mol.GetRingInfo().NumRings() and counts["C"] >= 12
            and mol.HasSubstructMatch(CARBOXYLIC)):
        return "lipid"
    if name.endswith(" acid") and heavy <= 15:
        return "acid"
    if name.endswith("amine") and heavy <= 10 and symbols <= {"C", "N", "O"}:
        return "base"
    return "other"


RACEMIC = re.compile(r"^(?:dl|rac|\(±\)|±|\(\+/-\)|\(\+-\))\s?-", re.I)
STATED = re.compile(r"^(?:[dl]|dl|rac|meso|\([+-]\)|[dl]\s?-\s?\([+-]\)|\(\d*[rsez](?:,\d*[rsez])*\)|cis|trans|[rsez])\s?-|"
                    r"-[dl]-|\([+-]\)-", re.I)


def stated_stereo_only(row: dict) -> dict | None:
    """A name stating a configuration ('l-glucose', '(r)-(+)-binap') is kept only on a SMILES with stereo; a
    racemic one ('dl-alanine') also on a stereo-free SMILES with at most one stereocentre. A row whose name
    must go is renamed to its first clean synonym, or dropped (tests/test_data_tables.py checks the rule)."""
    if any(c in row["smiles"] for c in "@/\\"):
        return row
    centres = len(Chem.FindMolChiralCenters(Chem.MolFromSmiles(row["smiles"]), includeUnassigned=True,
                                            useLegacyImplementation=False))
    bad = lambda n: bool(STATED.search(n)) and not (RACEMIC.match(n) and centres <= 1)  # noqa: E731
    keep = [s for s in row["synonyms"] if not bad(s)]
    if bad(row["name"]):
        if not keep:
            return None
        row = {**row, "name": keep.pop(0)}
    return {**row, "synonyms": keep}


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("pubchem", type=Path, nargs="+",
                     help="the 'chemical identifiers pubchem *.tsv' files of the chemicals package (large, small, "
                          "example user db)")
    cli.add_argument("--table", type=Path, default=TABLE, help="the table to extend (default: the bundled one)")
    cli.add_argument("--out", type=Path, default=TABLE)
    cli.add_argument("--size", type=int, default=3050, help="compounds wanted in all")
    cli.add_argument("--report", type=Path, help="write what was dropped and why here")
    args = cli.parse_args()
    words = Words()
    report: list[str] = []

    with open(args.table, newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    legacy = [r for r in table if r.get("source", "hand").startswith("hand")]
    with open(GROUPS, newline="", encoding="utf-8") as fh:
        group_keys = {k for g in csv.DictReader(fh, delimiter="\t") for k in [g["name"], *g["synonyms"].split("|")] if k}

    records = read_pubchem(args.pubchem)
    print(f"{len(records)} PubChem records", file=sys.stderr)

    # Every name a record carries, cleaned; a name on two records is ambiguous and names neither.
    cleaned: list[list[str]] = []
    owners: dict[str, set[int]] = defaultdict(set)
    for i, r in enumerate(records):
        names = []
        for raw in [r.common, *r.synonyms]:
            name, tags = split_tag(raw)
            r.tags.update(tags)
            if any(t.startswith(LANGUAGE_TAGS) or t in ("8ci", "9ci", "van", "obsolete") for t in tags):
                continue
            name = " ".join(name.split())
            if name and name not in names:
                names.append(name)
                owners[name].add(i)
        cleaned.append(names)

    # ---- the hand-written rows: an independent InChIKey, from the PubChem record that carries one of the
    # row's names (or from the parent of a salt record), or from OPSIN reading one of the row's names or one
    # of the systematic names of that PubChem record. Recorded only when it equals RDKit's key of the SMILES.
    rows = []
    for r in legacy:
        syn = [s for s in (r.get("synonyms") or "").split("|") if s]
        abbr = [a for a in (r.get("abbreviations") or "").split("|") if a]
        abbr += [LEGACY_ABBREVIATIONS[s] for s in syn if s in LEGACY_ABBREVIATIONS]
        syn = [s for s in syn if s not in LEGACY_ABBREVIATIONS]
        mol = Chem.MolFromSmiles(r["smiles"])
        rows.append({"name": r["name"], "synonyms": syn, "abbreviations": abbr, "smiles": r["smiles"],
                     "formula": r["formula"], "category": r["category"], "inchikey": "", "source": "hand",
                     "key": Chem.MolToInchiKey(mol), "names": [r["name"], *syn]})
    named = {row["name"]: sorted({i for n in row["names"] for i in owners.get(n, ())}) for row in rows}
    systematic = {i: [n for n in cleaned[i] if any(c.isdigit() for c in n) and len(n) <= 300][:40]
                  for ids in named.values() for i in ids}
    opsin_legacy = opsin_keys([n for row in rows for n in row["names"]] + [n for v in systematic.values() for n in v])
    for row in rows:
        ids = named[row["name"]]
        if any(row["key"] in (records[i].inchikey, parent_key(records[i])) for i in ids):
            row["inchikey"], row["source"] = row["key"], "hand-pubchem"
        elif any(opsin_legacy.get(n) == row["key"] for n in row["names"]) or any(
                opsin_legacy.get(n) == row["key"] for i in ids for n in systematic[i]):
            row["inchikey"], row["source"] = row["key"], "hand-opsin"
        else:
            report.append(f"hand row without an independent key: {row['name']} {row['key']}; PubChem records by name: "
                          f"{[(records[i].cid, records[i].inchikey) for i in ids]}; OPSIN: "
                          f"{ {n: opsin_legacy[n] for n in row['names'] if n in opsin_legacy} }")

    taken: dict[str, str] = {}  # every lower-case name and synonym -> its row's name
    abbr_taken: dict[str, str] = {}
    for row in rows:
        for n in row["names"]:
            taken[n] = row["name"]
        for a in row["abbreviations"]:
            abbr_taken[a] = row["name"]
    by_key = {row["key"]: row for row in rows}

    # ---- PubChem records, best known first
    def is_drug(r: Record) -> bool:
        return any(DRUG_CATEGORY_TAG.match(t) for t in r.tags)

    def score(i: int) -> float:
        """How well known: PubChem's synonyms (the table caps them), an INN marker, and how often English
        text uses the common name (quinine has few synonyms here but is a word people know)."""
        r = records[i]
        common = split_tag(r.common)[0]
        known = words.zipf(common) if re.fullmatch(r"[a-z]{5,}", common) else 0.0  # one word: 'quinine'
        return min(len(r.synonyms), 100) + (15 if is_drug(r) else 0) + 25 * known

    order = sorted(range(len(records)), key=lambda i: (-score(i), int(records[i].cid)))
    dropped: Counter = Counter()
    shortlist = []
    for i in order:
        r = records[i]
        r.mol = Chem.MolFromSmiles(r.smiles)
        why = usable(r.mol, r.smiles)
        if not why and Chem.MolToInchiKey(r.mol) != r.inchikey:
            why = "RDKit's InChIKey of the SMILES differs from PubChem's"
        if not why and not hill(r.formula):
            why = "formula not in Hill order"
        if why:
            dropped[why] += 1
            continue
        shortlist.append(i)
        if len(shortlist) >= 2 * args.size:
            break

    def clean(name: str) -> str:
        """Why `name` cannot be a name or synonym ('' when it can). A name with a digit must in addition be
        read by OPSIN as the record's structure, which no registry code is."""
        if len(name) < 3 or not ALLOWED.match(name) or name.isdigit():
            return "characters"
        if not any(c.isdigit() for c in name) and CODE.search(name):
            return "code"
        if UNNATURAL.search(name):
            return "CAS index form, code or foreign"
        if any(t in JUNK_WORDS for t in re.split(r"[ ,()\[\]]+", name)):
            return "registry or grade word"
        if name in group_keys:
            return "functional group"
        if words.common(name):
            return "English word"
        return ""

    # OPSIN reads the names with a digit and the IUPAC name: one that gives the record's key is a checked
    # synonym; a record whose systematic names all give another skeleton is dropped (a wrong tautomer or a
    # mix-up in the source).
    asked = []
    for i in shortlist:
        asked += [n for n in cleaned[i] if any(c.isdigit() for c in n) and len(n) <= 300][:40]
        if records[i].iupac:
            asked.append(records[i].iupac)
    opsin = opsin_keys(asked)
    print(f"OPSIN read {len(opsin)} of {len(set(asked))} names", file=sys.stderr)

    added = merged = confirmed = 0
    for i in shortlist:
        if len(rows) >= args.size:
            break
        r = records[i]
        read = {n: opsin[n] for n in [*cleaned[i], r.iupac] if n in opsin}
        if read and not any(k[:14] == r.inchikey[:14] for k in read.values()):
            dropped["OPSIN reads its systematic names as another structure"] += 1
            report.append(f"contradicted: CID {r.cid} {r.common} {r.inchikey} OPSIN {sorted(set(read.values()))[:3]}")
            continue
        names = [n for n in cleaned[i] if len(owners[n]) == 1 and not clean(n)]
        if any(c == "?" for _, c in Chem.FindMolChiralCenters(r.mol, includeUnassigned=True, useLegacyImplementation=False)):
            names = [n for n in names if not STEREO_NAME.match(n) or n.startswith(("(+-)", "(rs)", "dl-"))]
        # Latin INN forms ('atenololum') and other near-copies of a name of the record
        names = [n for n in names if not (n.endswith("um") and any(m != n and n.startswith(m[:-1]) for m in names))]
        verified = [n for n in names if any(c.isdigit() for c in n) and read.get(n) == r.inchikey
                    and len(n) <= MAX_IUPAC_CHARS]
        if (read.get(r.iupac) == r.inchikey and len(r.iupac) <= MAX_IUPAC_CHARS and len(owners.get(r.iupac, ())) <= 1
                and not clean(r.iupac) and not re.search(r"(oxidanyl|azanyl|chloranyl|bromanyl|fluoranyl|iodanyl)", r.iupac)):
            verified.append(r.iupac)
        plain = [n for n in names if not any(c.isdigit() for c in n)]
        inn = [n for n in plain if any(split_tag(s)[0] == n and any(t.startswith(("inn", "usan")) and "latin" not in t
                                                                    for t in split_tag(s)[1]) for s in r.synonyms[:80])]
        abbreviations = []
        prominent = {split_tag(x)[0] for x in [r.common, *r.synonyms[:25]]}
        for n in [p for p in plain if p in prominent]:
            vowels = sum(c in "aeiouy" for c in n)
            if (3 <= len(n) <= 6 and re.fullmatch(r"[a-z][a-z0-9-]*", n) and words.zipf(n) < 2.5
                    and vowels <= (1 if len(n) >= 5 else 2) and not re.search(r"[^aeiouy][aeiouy][^aeiouy][aeiouy]", n)
                    and acronym_of(n, [m for m in names if len(m) > len(n) + 3])):  # a brand is pronounceable
                abbreviations.append(n.upper())
        plain = [n for n in plain if n.upper() not in abbreviations]

        if r.inchikey in by_key:  # the table has this structure: its row gets the names it lacks
            row = by_key[r.inchikey]
            extra = [n for n in dict.fromkeys([*inn, *verified[:1]]) if n not in taken and n != row["name"]]
            room = MAX_SYNONYMS - len(row["synonyms"])
            if extra and room > 0:
                row["synonyms"] += extra[:room]
                for n in extra[:room]:
                    taken[n] = row["name"]
                merged += 1
            for a in abbreviations[:1]:
                if a not in abbr_taken and a.lower() not in taken and not row["abbreviations"]:
                    row["abbreviations"].append(a)
                    abbr_taken[a] = row["name"]
            continue

        # The name: the INN, else PubChem's title when clean, else its first clean name.
        common = split_tag(r.common)[0]
        if common in taken:
            dropped["its name belongs to another row (e.g. the other stereoisomer)"] += 1
            continue
        # PubChem's title names the record even where another record lists it among its synonyms.
        common_ok = (not clean(common) and len(common) <= 60
                     and (not any(c.isdigit() for c in common) or read.get(common) == r.inchikey))
        candidates = [n for n in [*inn[:1], *([common] if common_ok else []), *plain, *verified]
                      if n not in taken and n.upper() not in abbreviations]
        name = next(iter(candidates), None)
        if not name or len(name) > 60:
            dropped["no clean, unused name"] += 1
            continue
        if difflib.get_close_matches(name, [n for n in taken if abs(len(n) - len(name)) <= 2], n=1, cutoff=0.95):
            dropped["name nearly equal to another row's"] += 1
            continue
        synonyms: list[str] = []
        for n in [*inn, *([common] if common_ok else []), *verified[:2], *[p for p in plain if p not in inn][:4]]:
            if (n == name or n.upper() in abbreviations or n in synonyms or n in taken or len(synonyms) >= MAX_SYNONYMS
                    or (n not in verified and difflib.SequenceMatcher(None, n, name).ratio() >= 0.8)):
                continue
            synonyms.append(n)
        abbrs = [a for a in abbreviations if a not in abbr_taken and a.lower() not in taken][:1]
        checked = any(read.get(n) == r.inchikey for n in [*cleaned[i], r.iupac])
        confirmed += checked
        row = {"name": name, "synonyms": synonyms, "abbreviations": abbrs, "smiles": Chem.MolToSmiles(r.mol),
               "formula": r.formula, "category": "drug" if is_drug(r) else category(r, name),
               "inchikey": r.inchikey, "source": "pubchem-opsin" if checked else "pubchem",
               "key": r.inchikey, "names": [name, *synonyms]}
        rows.append(row)
        by_key[r.inchikey] = row
        for n in row["names"]:
            taken[n] = name
        for a in abbrs:
            abbr_taken[a] = name
        added += 1

    rows = [r for r in (stated_stereo_only(row) for row in rows) if r is not None]
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        fh.write("\t".join(COLUMNS) + "\n")
        for row in rows:
            values = {**row, "synonyms": "|".join(row["synonyms"]), "abbreviations": "|".join(row["abbreviations"])}
            fh.write("\t".join(values[c] for c in COLUMNS) + "\n")
    summary = [f"{len(rows)} rows: {len(legacy)} hand-written, {added} from PubChem ({confirmed} with a name OPSIN "
               f"reads as the same InChIKey); {merged} hand rows got names",
               f"sources: {Counter(r['source'] for r in rows)}",
               f"categories: {Counter(r['category'] for r in rows)}",
               f"PubChem records passed over: {dict(dropped)}"]
    print("\n".join(summary), file=sys.stderr)
    if args.report:
        args.report.write_text("\n".join(summary + report) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
