"""Formulas as requests write them: molecular formulas ('CH4', '(CH3)2CO'), ions ('OH-', 'SO4^2-') and condensed
structural formulas ('CH3COOCH2CH3'). Plain text to SMILES; the structures are checked in the worker."""

from __future__ import annotations

import re

from ...errors import IvluError

# A condensed molecular formula as written in a request: 'CH4', 'H2O', 'CH3Br', '2NH3' (a stoichiometric
# coefficient in front), '(CH3)2CO'.
FORMULA = re.compile(r"^(?P<n>\d+)?(?P<f>(?:[A-Z][a-z]?\d*|\((?:[A-Z][a-z]?\d*)+\)\d*)+)$")
ELEMENT = re.compile(r"\(((?:[A-Z][a-z]?\d*)+)\)(\d*)|([A-Z][a-z]?)(\d*)")


def element_counts(formula: str) -> dict[str, int]:
    """{'C': 1, 'H': 4} for 'CH4'; groups in parentheses are multiplied out ('(CH3)2CO')."""
    counts: dict[str, int] = {}
    for group, times, symbol, n in ELEMENT.findall(formula):
        inner = element_counts(group) if group else {symbol: 1}
        for k, v in inner.items():
            counts[k] = counts.get(k, 0) + v * int((times if group else n) or 1)
    return counts


# Ions written as formulas with their charge ('OH-', 'Br-', 'NH4+', 'SO4^2-', 'Ca²⁺'), as in reaction
# equations. Common polyatomic ions by SMILES; a single element with a charge is built.
IONS = {
    "OH-": "[OH-]", "H+": "[H+]", "H-": "[H-]", "H3O+": "[OH3+]", "NH4+": "[NH4+]", "CN-": "[C-]#N",
    "NO3-": "[O-][N+](=O)[O-]", "NO2-": "O=N[O-]", "NO2+": "O=[N+]=O", "HSO4-": "OS(=O)(=O)[O-]",
    "SO42-": "[O-]S(=O)(=O)[O-]", "SO32-": "[O-]S(=O)[O-]", "CO32-": "[O-]C(=O)[O-]", "HCO3-": "OC(=O)[O-]",
    "PO43-": "[O-]P(=O)([O-])[O-]", "MnO4-": "[O-][Mn](=O)(=O)=O", "CH3O-": "C[O-]", "CH3COO-": "CC(=O)[O-]",
    "CH3CO2-": "CC(=O)[O-]", "C2H5O-": "CC[O-]", "NH2-": "[NH2-]", "HS-": "[SH-]", "S2-": "[S-2]", "O2-": "[O-2]",
}
ION_ELEMENTS = set("""H Li Be Na Mg Al K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Rb Sr Ag Cd Sn Cs Ba Pt Au Hg Pb
F Cl Br I O S N P Se""".split())
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻−", "0123456789+--")


def ion_smiles(token: str) -> str | None:
    """The SMILES of an ion written as a formula with its charge, or None."""
    t = token.translate(_SUPERSCRIPT).replace("^", "")
    if t in IONS:
        return IONS[t]
    m = re.fullmatch(r"(?P<f>[A-Z][a-z]?)(?P<n>\d?)(?P<sign>[+-])", t)
    if not m or m.group("f") not in ION_ELEMENTS:  # a single element with a charge: 'Na+', 'Ca2+', 'Cl-'
        return None
    n = m.group("n") or ""
    return f"[{m.group('f')}{m.group('sign')}{n if n not in ('', '1') else ''}]"


# Condensed structural formulas as exams write them: 'CH3CH2OH', 'CH3COOCH2CH3', '(CH3)3COH', 'CH3CH(OH)CH3',
# 'CH3(CH2)4CH3', 'CH2=CHCl', 'C6H5COOH'. Read group by group into a SMILES; the molecule's formula is then
# checked against the token's elements in the worker (`condensed_agrees`), so a misread never draws.
CONDENSED_GROUPS = [  # longest first; (text, SMILES, bonds left open after it)
    ("C6H5", "c1ccccc1", 1), ("C6H4", "c1ccc(cc1)", 1), ("C2H5", "CC", 1), ("C3H7", "CCC", 1), ("CONH2", "C(=O)N", 0), ("COOH", "C(=O)O", 0),
    ("CO2H", "C(=O)O", 0), ("COO", "C(=O)O", 1), ("CHO", "C=O", 0), ("CO", "C(=O)", 1), ("CN", "C#N", 0),
    ("NO2", "[N+](=O)[O-]", 0), ("NH2", "N", 1), ("NH", "N", 1), ("OH", "O", 0), ("SH", "S", 0),
    ("CH3", "C", 1), ("CH2", "C", 1), ("CH", "C", 1), ("Cl", "Cl", 0), ("Br", "Br", 0), ("C", "C", 1),
    ("O", "O", 1), ("N", "N", 1), ("S", "S", 1), ("F", "F", 0), ("I", "I", 0),
]
_CONDENSED = re.compile(r"\(((?:[A-Z][a-z]?\d*)+)\)(\d*)|"
                        + "|".join(re.escape(g) + ("(?![H\\d])" if g in ("CO", "CHO") else "")  # 'COH' is C + OH
                                   for g, _, _ in CONDENSED_GROUPS) + r"|[=≡#]")


def condensed_smiles(token: str) -> str | None:
    """The SMILES a condensed structural formula spells, or None when it is no such formula ('C2H6O' is a
    molecular formula: it says which atoms, not how they join)."""
    t = token.strip()
    if len(t) < 4 or "C" not in t or "H" not in t or not re.fullmatch(r"[A-Za-z0-9()=≡#]+", t):
        return None  # a condensed formula writes its hydrogens; 'C(Cl)' or 'CCO' is a SMILES
    hydrogen = t.startswith("HC")
    t = t[1:] if hydrogen else t  # 'HCOOH', 'HCHO': the hydrogen on the first carbon
    out, pos, first = [], 0, True
    lead_branches = 0
    while pos < len(t):
        m = _CONDENSED.match(t, pos)
        if not m:
            return None
        if m.group(1) is not None:  # '(CH3)2' branches, '(CH2)4' a repeated chain unit
            inner = condensed_smiles_part(m.group(1))
            times = int(m.group(2) or 1)
            if inner is None or times > 12:
                return None
            if m.group(1) == "CH2":
                out.append(inner * times)
            elif first:  # '(CH3)3COH': one becomes the chain's start, the others branch off the next atom
                out.append(inner)
                lead_branches = times - 1
            else:
                out.append(f"({inner})" * times)
        elif m.group() in "=≡#":
            out.append("#" if m.group() in "≡#" else "=")
        else:
            smiles = next(sm for g, sm, _ in CONDENSED_GROUPS if g == m.group())
            out.append(smiles + (f"({out[0]})" * lead_branches if lead_branches else ""))
            lead_branches = 0
        first = False
        pos = m.end()
    enough = len(out) >= 2 or (hydrogen and len(out) == 1)  # one group alone is a formula, not a chain
    return "".join(out) if enough and lead_branches == 0 else None


def condensed_smiles_part(text: str) -> str | None:
    """A group inside parentheses ('CH3', 'OH', 'CH2'), as SMILES."""
    return next((sm for g, sm, _ in CONDENSED_GROUPS if g == text), None)


def condensed_agrees(token: str, formula: str) -> bool:
    """Whether a structure's formula has exactly the elements a condensed formula writes (H included)."""
    written = re.sub(r"[=≡#]", "", token)
    return element_counts(written) == element_counts(formula)


def check_condensed(written: str, facts: dict) -> None:
    """A condensed formula ('CH3COOCH2CH3') read as a structure must have exactly the atoms it writes."""
    if not condensed_agrees(written, facts["formula"]):
        raise IvluError(f"I read {written!r} as {facts['smiles']}, whose formula {facts['formula']} is not the "
                        f"one {written!r} writes.", "a condensed formula whose groups join in a chain, e.g. "
                        "CH3COOCH2CH3", "write the structure as a SMILES string or by name")


# Ionic compounds written as formulas ('NaOH', 'CaCl2', 'Ca(OH)2', 'Na2SO4', 'KMnO4'): a cation then an anion,
# drawn as their ions with charges that balance.
CATIONS = {"Li": ("[Li+]", 1), "Na": ("[Na+]", 1), "K": ("[K+]", 1), "Rb": ("[Rb+]", 1), "Cs": ("[Cs+]", 1),
           "Ag": ("[Ag+]", 1), "NH4": ("[NH4+]", 1), "Mg": ("[Mg+2]", 2), "Ca": ("[Ca+2]", 2), "Ba": ("[Ba+2]", 2),
           "Sr": ("[Sr+2]", 2), "Zn": ("[Zn+2]", 2), "Cu": ("[Cu+2]", 2), "Fe": ("[Fe+3]", 3), "Al": ("[Al+3]", 3)}
ANIONS = {"OH": ("[OH-]", 1), "F": ("[F-]", 1), "Cl": ("[Cl-]", 1), "Br": ("[Br-]", 1), "I": ("[I-]", 1),
          "CN": ("[C-]#N", 1), "NO3": ("[O-][N+](=O)[O-]", 1), "NO2": ("O=N[O-]", 1), "HCO3": ("OC(=O)[O-]", 1),
          "HSO4": ("OS(=O)(=O)[O-]", 1), "CH3COO": ("CC(=O)[O-]", 1), "MnO4": ("[O-][Mn](=O)(=O)=O", 1),
          "SO4": ("[O-]S(=O)(=O)[O-]", 2), "CO3": ("[O-]C(=O)[O-]", 2), "SO3": ("[O-]S(=O)[O-]", 2),
          "Cr2O7": ("[O-][Cr](=O)(=O)O[Cr](=O)(=O)[O-]", 2), "O": ("[O-2]", 2), "S": ("[S-2]", 2),
          "PO4": ("[O-]P(=O)([O-])[O-]", 3)}
_SALT = re.compile(r"^(?P<c>NH4|[A-Z][a-z]?)(?P<cn>\d?)(?:\((?P<pa>[A-Za-z0-9]+)\)(?P<pn>\d)|(?P<rest>[A-Z][A-Za-z0-9]*))$")


def salt_smiles(token: str) -> str | None:
    """The SMILES of an ionic compound written as a formula, or None. The charges must balance: 'NaCl2' is
    no salt; 'FeCl3' is iron(III) chloride (iron is read as Fe3+, so 'FeCl2' is refused rather than guessed)."""
    m = _SALT.match(token.strip())
    if not m or m.group("c") not in CATIONS:
        return None
    if m.group("pa"):
        anion, n_anion = m.group("pa"), int(m.group("pn"))
    else:  # 'SO4' is sulfate; 'Cl2' is two chlorides
        rest = m.group("rest")
        anion, n_anion = (rest, 1) if rest in ANIONS else (rest[:-1], int(rest[-1])) if rest[-1:].isdigit() else ("", 0)
    if anion not in ANIONS:
        return None
    (cation_smiles, plus), (anion_smiles, minus) = CATIONS[m.group("c")], ANIONS[anion]
    n_cation = int(m.group("cn") or 1)
    if n_cation * plus != n_anion * minus:
        return None
    return ".".join([cation_smiles] * n_cation + [anion_smiles] * n_anion)
