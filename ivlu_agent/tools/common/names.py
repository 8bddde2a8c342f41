
import difflib
import re
from functools import lru_cache

from ...errors import IvluError
from .chem import compounds, groups
from .colors import NAMED as COLOR_NAMES

ARROWS = re.compile(r"\s*(?:->|→|=>|⟶|⇌|⇄|<=>|<->|⟷)(?:\[(?P<cond>[^\]]{0,80})\])?\s*")



FILLER = set("""
a an the and or of in on with its their to as for by at from into then now also too please draw show depict
render make give me display create generate side next each all every both structure structures molecule
molecules compound compounds formula formulas scheme reaction reactions group groups highlight highlighted
highlighting highlights label labelled labeled labels labelling labeling mark marked colour color coloured
colored them it this that these those is are be 2d 2-d picture figure image diagram panel panels
chemical skeletal well only red blue green orange purple yellow pink cyan teal brown grey gray magenta lime
what which where plus using use emphasise emphasize outline circle atoms atom bonds bond same again instead
clearly indicate indicates indicating indicated identify identifying showing shown displayed display complete full
functional circling circled marking colouring coloring emphasising emphasizing
""".split())



SMILES_CHARS = re.compile(r"^(?:Cl|Br|[BCNOSPFIH]|[bcnops]|[\[\]()=#@+\-\\/%.0-9])+$")



CHEMICAL_ENDINGS = ("ine", "ol", "one", "ide", "ate", "ane", "ene", "yne", "acid", "ose", "in", "al", "yl", "oic")



NOT_SMILES = {"NO", "OR", "IN", "ON", "IS", "SO", "OF", "I", "A", "CO", "HI", "OH", "BC"}



def looks_like_smiles(token: str) -> bool:
    if len(token) < 2 or not SMILES_CHARS.match(token) or token in NOT_SMILES:
        return False
    if not any(ch.isalpha() for ch in token):
        return False  # '20', '(3)' and '1.5' are numbers, not structures
    if any(ch in token for ch in "()=#[]@/\\") or any(ch.isdigit() for ch in token):
        return True
    return token.isupper() and any(c in token for c in "CN")



@lru_cache(maxsize=1)
def _group_regex() -> re.Pattern:
    keys = sorted(groups(), key=len, reverse=True)
    return re.compile(r"\b(?P<key>" + "|".join(map(re.escape, keys)) + r")(?:e?s)?(?P<g>\s+(?:functional\s+)?groups?)?\b", re.I)



@lru_cache(maxsize=1)
def _compound_regex() -> re.Pattern:
    keys = sorted(compounds(), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, keys)) + r")(?![\w-])")



# A group is drawn highlighted only when the words ask for it: a highlight, colour, mark or label directive,
# or a colour named right after the group. A group word inside a class name ('the amino acids glycine
# and alanine', 'nitro compounds') describes the molecules and highlights nothing.
HIGHLIGHT_DIRECTIVE = re.compile(
    r"\b(?:highlight|colou?r|mark|label|circle|emphasi[sz]e|indicat|shade|identify|point(?:ing)?\s+out)\w*", re.I)


def find_groups(text: str) -> tuple[list[str], dict[str, str], str]:
    """Functional groups asked to be shown (highlighted, coloured or labelled), their colours, and the text
    with every group mention blanked (a mention that asks for nothing is description)."""
    table = groups()
    compound_names = compounds()
    found: list[tuple[int, str]] = []
    colors: dict[str, str] = {}
    blanked = text
    asked = bool(HIGHLIGHT_DIRECTIVE.search(text))
    for m in _group_regex().finditer(text):
        key = m.group("key").lower()
        start = text.rfind(" ", 0, m.start()) + 1
        end = len(text) if text.find(" ", m.end()) < 0 else text.find(" ", m.end())
        token = text[start:end].strip(",;:.!?'\"")
        if token != m.group() and looks_like_smiles(token):
            continue  # 'C=C' inside the SMILES C/C=C\C is part of a structure, not a group's name
        if key in compound_names and not m.group("g"):
            continue  # 'alcohol' alone names ethanol; 'alcohol groups' names hydroxyl
        name = table[key].name
        color = re.match(r"\s*(?:in|as|to|with)?\s*(\w+)", text[m.end():m.end() + 30].lower())
        if color and color.group(1) in COLOR_NAMES:
            colors[name] = color.group(1)
        if asked or name in colors:
            found.append((m.start(), name))
        blanked = blanked[:m.start()] + " " * (m.end() - m.start()) + blanked[m.end():]
    return list(dict.fromkeys(name for _, name in sorted(found))), colors, blanked


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


@lru_cache(maxsize=1)
def _by_formula() -> dict[tuple, list]:
    table: dict[tuple, list] = {}
    for c in {c.name: c for c in compounds().values()}.values():
        table.setdefault(tuple(sorted(element_counts(c.formula).items())), []).append(c)
    return table


def compound_of_formula(token: str):
    """(the compound a formula names, or None when it may name several or the table has none; whether it
    reads as a formula at all). 'CH4' is methane; 'C2H6O' is ethanol or dimethyl ether, so None."""
    m = FORMULA.match(token)
    if not m:
        return None, False
    counts = element_counts(m.group("f"))
    if counts.get("C", 0) >= 2:
        return None, True  # C2H6O is ethanol or dimethyl ether: two carbons or more have isomers
    found = _by_formula().get(tuple(sorted(counts.items())), [])
    return (found[0] if len(found) == 1 else None), True


def only_a_formula(token: str) -> bool:
    """A formula-shaped token that cannot be a SMILES: a SMILES writes H only inside brackets, never starts
    with a count, and closes every ring it opens (each ring digit comes in pairs). 'CH4', 'CO2' and '2NH3'
    are formulas; 'CO' and 'OC' (methanol) are SMILES."""
    digits = re.findall(r"\d", token)
    return "H" in token or token[:1].isdigit() or any(digits.count(d) % 2 for d in set(digits))


def find_molecules(text: str, systematic: dict[str, str] | None = None) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, SMILES) pairs in request order, and the words left over. `systematic` maps more names (read by
    OPSIN, see `systematic_candidates`) to their SMILES; they are found like the table's, longest first."""
    table = compounds()
    found: list[tuple[int, int, str, str]] = []
    for name in systematic or {}:
        for m in re.finditer(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", text, re.I):
            found.append((m.start(), m.end(), m.group(), systematic[name]))
    for m in _compound_regex().finditer(text.lower()):  # the alternation is longest-first
        c = table[m.group()]
        found.append((m.start(), m.end(), c.name, c.smiles))
    spans: list[tuple[int, int, str, str]] = []
    for span in sorted(found, key=lambda f: f[0] - f[1]):  # the longest name wins: 'dimethyl ether', not 'ether'
        if not any(s < span[1] and span[0] < e for s, e, _, _ in spans):
            spans.append(span)
    for m in re.finditer(r"\S+", text):
        token = m.group().strip(",;:.!?'\"")
        if any(s < m.end() and m.start() < e for s, e, _, _ in spans):
            continue
        compound, is_formula = compound_of_formula(token)
        if is_formula and only_a_formula(token):
            if compound is not None:
                spans.append((m.start(), m.end(), compound.name, compound.smiles))
            continue  # a formula the table cannot resolve ('C2H6O') is a word left over, never a SMILES
        if looks_like_smiles(token):
            spans.append((m.start(), m.end(), "", token))
    spans.sort()
    rest = text
    for s, e, _, _ in spans:
        rest = rest[:s] + " " * (e - s) + rest[e:]
    leftovers = [w.strip(",;:.!?'\"()") for w in rest.split()]
    return [(name, smiles) for _, _, name, smiles in spans], [w for w in leftovers if w]



# A word that may be (part of) a systematic name: a chemical ending, or locants ('2-methylpropan-2-ol',
# 'buta-1,3-diene', '(E)-but-2-enoic'). Only such words are offered to OPSIN.
SYSTEMATIC_WORD = re.compile(r"\d[\d,]*-[a-z]|[a-z]-\d|^\([A-Za-z0-9,+-]{1,12}\)-|(?:oic|ine|ol|one|ide|ate|ane|ene|yne|"
                             r"ose|al|yl|ium|ite|yde)$", re.I)
# Words that end a two-word name ('ethanoic acid', 'methyl propanoate'), and that start one.
NAME_TAILS = {"acid", "anhydride", "chloride", "bromide", "iodide", "fluoride", "oxide", "hydroxide", "ester",
              "ether", "alcohol", "aldehyde", "ketone", "amide", "nitrile", "cation", "anion", "salt"}
NAME_HEADS = {"methyl", "ethyl", "propyl", "isopropyl", "butyl", "tert-butyl", "sec-butyl", "isobutyl", "pentyl",
              "hexyl", "phenyl", "benzyl", "vinyl", "allyl", "sodium", "potassium", "lithium", "calcium",
              "magnesium", "ammonium", "dimethyl", "diethyl", "trimethyl", "cis", "trans"}


def systematic_candidates(text: str, unknown: list[str]) -> list[str]:
    """Phrases around the unknown words that may be systematic names, longest first per word: with the word
    before it ('methyl propanoate') and after it ('ethanoic acid') when those fit a name."""
    tokens = [t.strip(",;:.!?'\"") for t in text.split()]
    wanted = {u.lower() for u in unknown}
    out: list[str] = []
    for i, token in enumerate(tokens):
        bare = token.strip("()").lower()
        if not token or not (bare in wanted or token.lower() in wanted) or not SYSTEMATIC_WORD.search(token):
            continue
        before = tokens[i - 1] if i and tokens[i - 1].lower() in NAME_HEADS else ""
        after = tokens[i + 1] if i + 1 < len(tokens) and tokens[i + 1].lower() in NAME_TAILS else ""
        for phrase in (" ".join(p for p in (before, token, after) if p), " ".join(p for p in (token, after) if p),
                       " ".join(p for p in (before, token) if p), token):
            if phrase not in out:
                out.append(phrase)
    return out


def reject_unknown_compounds(unknown: list[str], understood: list[str]) -> None:
    """A word that reads as a misspelt compound name ('cafeine') stops the request with 'did you mean'. Any
    other unknown word does not: the plan goes on, and plan.faithful names the word as not understood, so
    'caffeine and unobtainium' draws caffeine and ends unverified."""
    names = sorted({c.name for c in compounds().values()})
    for word in unknown:
        close = difflib.get_close_matches(word.lower(), names, n=5, cutoff=0.75)
        if close:
            got = f" I understood: {', '.join(understood)}." if understood else ""
            raise IvluError(
                f"Unknown compound name {word!r}.{got}",
                "a compound from the bundled table or a SMILES string",
                "did you mean: " + ", ".join(close) + "?",
            )


# 'the displayed formula', 'showing all the atoms and bonds', 'indicating all carbon, hydrogen and oxygen atoms':
# a depiction directive (every atom drawn), never a request for the elements as compounds.
_ELEMENT_WORD = r"(?:carbon|hydrogen|oxygen|nitrogen|sulfur|sulphur|phosphorus|chlorine|bromine|iodine|fluorine)"
ATOMS_PHRASE = re.compile(rf"\b(?:(?:all|every|each)\s+(?:of\s+)?(?:the\s+)?)?{_ELEMENT_WORD}(?:\s*,\s*(?:and\s+)?"
                          rf"{_ELEMENT_WORD}|\s+and\s+{_ELEMENT_WORD})*\s+atoms?\b", re.I)
DISPLAYED = re.compile(r"\b(?:displayed|full|complete|expanded)\s+(?:structural\s+)?formula\b|"
                       r"\b(?:all|every|each)\s+(?:of\s+)?(?:the\s+)?(?:atoms?|bonds?|hydrogens?)\b|"
                       r"\bhydrogen\s+atoms\b", re.I)


def displayed_formula(text: str) -> tuple[bool, str]:
    """Whether the words ask for every atom to be drawn, and the text with element-atom phrases blanked."""
    wanted = bool(DISPLAYED.search(text) or ATOMS_PHRASE.search(text))
    return wanted, ATOMS_PHRASE.sub(lambda m: " " * len(m.group()), text)
