
import re
from functools import lru_cache
from typing import Any

from ...errors import IvluError
from . import chem
from .chem import compounds, groups
from .colors import NAMED as COLOR_NAMES
from .formulas import FORMULA, condensed_smiles, element_counts, ion_smiles, salt_smiles
from .prose import FILLER as PROSE_FILLER

ARROWS = re.compile(r"\s*(?:->|→|=>|⟶|⇌|⇄|<=>|<->|⟷)(?:\[(?P<cond>[^\]]{0,80})\])?\s*")



FILLER = set("""
a an the and or of in on with its their to as for by at from into then now also too please draw show depict
render make give me display create generate side next each all every both structure structures molecule
molecules compound compounds formula formulas scheme reaction reactions group groups highlight highlighted
highlighting highlights label labelled labeled labels labelling labeling mark marked colour color coloured
colored them it this that these those is are be 2d 2-d picture figure image diagram panel panels
chemical skeletal well only
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
    if re.fullmatch(r"\(?[RSEZ]\)?|\([RSEZ](?:,[RSEZ])*\)|\d+s", token):  # '(S)'; 'Year 11s', '1990s'
        return False  # '(S)' is a stereo descriptor in words ('(R) on the left and (S) on the right')
    if not any(ch.isalpha() for ch in token):
        return False  # '20', '(3)' and '1.5' are numbers, not structures
    if any(ch in token for ch in "()=#[]@/\\") or any(ch.isdigit() for ch in token):
        return True
    # Capitals alone ('CCO', 'NCCO') are a SMILES only in the common organic atoms: an acronym such as 'CIP'
    # or 'CSP' would parse, with a hypervalent I or P, as a structure nobody asked for.
    return token.isupper() and any(c in token for c in "CN") and not any(c in token for c in "IPB")



@lru_cache(maxsize=1)
def _group_regex() -> re.Pattern:
    keys = sorted(groups(), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?P<key>" + "|".join(map(re.escape, keys)) + r")(?:e?s)?(?P<g>\s+(?:functional\s+)?groups?)?\b",
                      re.I)  # not inside a hyphenated word: a beta-lactam ring is no lactam group of any amide



@lru_cache(maxsize=1)
def _longest_name() -> int:
    return max(map(len, compounds()))


# Where a name may start and end in prose: not inside a word or a hyphenated word ('ethanol' is not in
# 'methanol', 'styrene' is not in 'polystyrene').
_NAME_END = re.compile(r"(?<=[^\s])(?=[^\w-]|$)")


WRITTEN_STEREO = re.compile(r"(?:\([0-9RSEZ,+−-]+\)|[DL]|cis|trans|meso)-", re.I)  # '(S)-', 'L-', 'cis-'


def compound_spans(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, name, SMILES) of every name or abbreviation of the compound table in `text`; overlapping
    mentions included (the caller keeps the longest). A dictionary lookup per start and end of a word, so a
    table of thousands of names costs the same as a small one."""
    table = compounds()
    abbreviations = getattr(chem, "abbreviations", dict)()  # case-sensitive: 'ATP' yes, 'atp' is a word
    longest = max(_longest_name(), max(map(len, abbreviations), default=0))
    ends = [m.start() for m in _NAME_END.finditer(text)]
    low = text.lower()
    found: list[tuple[int, int, str, str]] = []
    j = 0
    for s in range(len(text)):
        if text[s].isspace() or (s and (text[s - 1].isalnum() or text[s - 1] in "_-)]")):
            continue
        while j < len(ends) and ends[j] <= s:
            j += 1
        for e in ends[j:]:
            if e - s > longest:
                break
            key = " ".join(low[s:e].split())
            hit = table.get(key) or abbreviations.get(text[s:e])
            if hit is not None and len(key) <= 3 and text[s:e].islower():
                continue  # 'hf' in 'E = hf' is no hydrogen fluoride: a two- or three-letter name needs capitals
            if hit is not None:  # a stereo descriptor as written stays in the name: the panel's caption says it
                found.append((s, e, " ".join(text[s:e].split()) if WRITTEN_STEREO.match(text, s) else hit.name,
                              hit.smiles))
    return found


# Elements named as reagents are their molecules ('bromine' in a reaction is Br2). Only reactions read
# these: elsewhere 'hydrogen bonds' or 'oxygen atoms' name no molecule.
ELEMENTAL = {"hydrogen": "[H][H]", "nitrogen": "N#N", "oxygen": "O=O", "fluorine": "FF", "chlorine": "ClCl",
             "bromine": "BrBr", "iodine": "II"}


def elemental_spans(text: str, taken: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    """`taken` plus the elements named as reagents outside it, in order."""
    out = list(taken)
    for m in re.finditer(r"(?<![\w-])(" + "|".join(ELEMENTAL) + r")(?![\w-])", text, re.I):
        if not any(s < m.end() and m.start() < e for s, e, _, _ in out):
            out.append((m.start(), m.end(), m.group().lower(), ELEMENTAL[m.group().lower()]))
    return sorted(out)


# A group is drawn highlighted only when the words ask for it: a highlight, colour, mark or label directive,
# or a colour named right after the group. A group word inside a class name ('the amino acids glycine
# and alanine', 'nitro compounds') describes the molecules and highlights nothing.
HIGHLIGHT_DIRECTIVE = re.compile(
    r"\b(?:highlight|colou?r|mark|label|circle|emphasi[sz]e|indicat|shade|identify|point(?:ing)?\s+out|stand\s+out|"
    r"stands\s+out)\w*|"
    r"\bshow(?:s|ing)?\s+(?:the\s+|its\s+|all\s+)?(?=[\w-]+(?:\s+[\w-]+)?\s+groups?\b)", re.I)  # 'show the aldehyde group in'

# A compound named as a part of another ('the indole ring of serotonin', 'its benzene ring'): a substructure,
# never a molecule of its own.
PART_OF = re.compile(r"\s+(?:rings?|moiet(?:y|ies)|core|nucleus|scaffold|skeleton|unit|system|fragment|residue)\b", re.I)


# The rest of a list whose last item ends in 'groups': 'ether' in 'its aldehyde, ether and phenol groups'.
LISTED_GROUPS = re.compile(r"(?:\s*(?:,|,?\s+and|,?\s+or|&)\s+[\w-]+){1,6}\s+(?:functional\s+)?groups?\b", re.I)


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
        if key in compound_names and not m.group("g") and not LISTED_GROUPS.match(text, m.end()):
            continue  # 'alcohol' alone names ethanol; 'alcohol groups', 'ether and phenol groups' name groups
        if not asked and compound_spans(m.group()) and not re.search(r"\b(?:in|on|of)\s+(?:the\s+|its\s+)?$",
                                                                     text[:m.start()]):
            continue  # 'draw a benzene ring' asks for benzene; 'the benzene ring in aspirin' is a group
        name = table[key].name
        color = re.match(r"\s*(?:(?:highlighted|colou?red|shown|marked|drawn|shaded|circled|emphasi[sz]ed)\s+)?"
                         r"(?:in|as|to|with)?\s*(\w+)", text[m.end():m.end() + 40].lower())
        if color and color.group(1) in COLOR_NAMES:
            colors[name] = color.group(1)
        if asked or name in colors:
            found.append((m.start(), name))
        blanked = blanked[:m.start()] + " " * (m.end() - m.start()) + blanked[m.end():]
    return list(dict.fromkeys(name for _, name in sorted(found))), colors, blanked


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


# A prefix left hanging for the name after it: 'ortho-, meta- and para-xylene', 'cis- and trans-but-2-ene'.
SUSPENDED = re.compile(r"(?<![\w-])(?P<heads>(?:[\w(),']+-\s*,\s*)*[\w(),']+-)\s+(?:and|or|&)\s+(?P<last>[\w(),']+)-"
                       r"(?P<stem>[A-Za-z][\w,-]*(?:\s+(?:acid|ester|ether|alcohol))?)")


def expand_suspended(text: str) -> str:
    """'ortho-, meta- and para-xylene' → 'ortho-xylene, meta-xylene and para-xylene'."""
    def expand(m: re.Match) -> str:
        heads = [h.strip().rstrip("-") for h in m.group("heads").split(",") if h.strip()]
        names = [f"{h}-{m.group('stem')}" for h in heads]
        return ", ".join(names) + f" and {m.group('last')}-{m.group('stem')}"
    return SUSPENDED.sub(expand, text)


def find_molecules(text: str, systematic: dict[str, str] | None = None) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, SMILES) pairs in request order, and the words left over. `systematic` maps more names (read by
    OPSIN, see `systematic_candidates`) to their SMILES; they are found like the table's, longest first."""
    spans = molecule_spans(text, systematic)
    rest = text
    for s, e, _, _ in spans:
        rest = rest[:s] + " " * (e - s) + rest[e:]
    leftovers = [w.strip(",;:.!?'\"()") for w in rest.split()]
    return [(name, smiles) for _, _, name, smiles in spans], [w for w in leftovers if w]


def balanced(token: str) -> str:
    """The token without a bracket it does not close: '(H3PO4' -> 'H3PO4', 'heat)' -> 'heat'."""
    for _ in range(3):
        token = token.strip(",;:.!?'\"")
        if token and token[0] in "([" and token.count(token[0]) > token.count({"(": ")", "[": "]"}[token[0]]):
            token = token[1:]
        elif token and token[-1] in ")]" and token.count(token[-1]) > token.count({")": "(", "]": "["}[token[-1]]):
            token = token[:-1]
    return token.strip(",;:.!?'\"")


def molecule_spans(text: str, systematic: dict[str, str] | None = None) -> list[tuple[int, int, str, str]]:
    """(start, end, name, SMILES) of every structure named in `text`, in order: table names and
    abbreviations, systematic names already read, ions, one-carbon formulas and SMILES."""
    found: list[tuple[int, int, str, str]] = []
    for name in systematic or {}:
        for m in re.finditer(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", text, re.I):
            found.append((m.start(), m.end(), m.group(), systematic[name]))
    found += compound_spans(text)
    spans: list[tuple[int, int, str, str]] = []
    for span in sorted(found, key=lambda f: f[0] - f[1]):  # the longest name wins: 'dimethyl ether', not 'ether'
        if not any(s < span[1] and span[0] < e for s, e, _, _ in spans):
            spans.append(span)
    parts = [sp for sp in spans if PART_OF.match(text, sp[1])]
    if parts and len(parts) < len(spans):  # 'serotonin … the indole ring': indole is part of serotonin
        spans = [sp for sp in spans if sp not in parts]
    for m in re.finditer(r"\S+", text):
        token = balanced(m.group().strip(",;:.!?'\""))
        start = m.start() + m.group().index(token) if token else m.start()
        if not token or any(s < m.end() and m.start() < e for s, e, _, _ in spans):
            continue
        ion = ion_smiles(token)
        if ion is not None:
            spans.append((start, start + len(token), token, ion))
            continue
        compound, is_formula = compound_of_formula(token)
        condensed = (condensed_smiles(token) or salt_smiles(token)) if compound is None else None
        if condensed is not None:  # 'CH3CH2OH' (its atoms are checked when it is planned), 'NaOH'
            spans.append((start, start + len(token), token, condensed))
            continue
        if is_formula and only_a_formula(token):
            if compound is not None:
                spans.append((start, start + len(token), compound.name, compound.smiles))
            continue  # a formula the table cannot resolve ('C2H6O') is a word left over, never a SMILES
        if looks_like_smiles(token):
            spans.append((start, start + len(token), "", token))
    return sorted(spans)



# Peptides in three-letter codes ('Gly-Ala-Ser') and names with a stereo prefix the table lacks
# ('D-alanine', 'meso-tartaric acid', '(R)-ibuprofen'): found here in words, built in the worker
# (ivlu_agent.tools.common.stereo).
_CODES = "ala|arg|asn|asp|cys|gln|glu|gly|his|ile|leu|lys|met|phe|pro|ser|thr|trp|tyr|val"
PEPTIDE_WORD = re.compile(rf"(?<![\w-])(?:{_CODES})(?:-(?:{_CODES})){{1,11}}(?![\w-])", re.I)
STEREO_WORD = re.compile(r"(?<![\w(-])(?P<p>[DL]|meso|rac|\((?:[RS]|[EZ])\)|cis|trans)-(?=[a-z])", re.I)


def prefixed_names(text: str) -> list[tuple[str, str, str, str]]:
    """(phrase as written, what, SMILES or sequence, table name) for each peptide and stereo-prefixed name:
    what is 'peptide' or the prefix ('meso', 'D', '(R)')."""
    out = [(m.group(), "peptide", m.group(), "") for m in PEPTIDE_WORD.finditer(text)]
    table = compounds()
    prefixes = list(STEREO_WORD.finditer(text))
    starts = {sp[0] for sp in compound_spans(text)} if prefixes else set()
    for m in prefixes:
        if m.start() in starts:
            continue  # the table knows the prefixed name itself ('L-alanine')
        after = [sp for sp in compound_spans(text[m.end():]) if sp[0] == 0]
        if after:
            end = max(after, key=lambda sp: sp[1])
            name = text[m.start():m.end() + end[1]]
            base = table[end[2]]
            named = next((k for k in (base.name, *base.synonyms) if re.match(r"^[dl]-", k)), "")
            out.append((name, m.group("p"), base.smiles, named))
    return out


# A word that may be (part of) a systematic name: a chemical ending, or locants ('2-methylpropan-2-ol',
# 'buta-1,3-diene', '(E)-but-2-enoic'). Only such words are offered to OPSIN.
# A word that is surely (part of) a systematic name: locants, o/m/p, substituent stems on a parent.
STRONG_SYSTEMATIC = re.compile(r"\d[\d,]*-[a-z]|[a-z]-\d|^\([A-Za-z0-9,+-]{1,12}\)-|^(?:ortho|meta|para|[omp])-[a-z]|"
                               r"\w*(?:hydroxy|methoxy|ethoxy|amino|chloro|bromo|fluoro|iodo|nitro|cyano|methyl|"
                               r"ethyl|phenyl|oxo|thio|sulfo|phospho|carboxy)\w*(?:urea|benzene|phenol|aniline|"
                               r"pyridine|toluene|acid|ester|amide|amine|ol|one|al)\b", re.I)
SYSTEMATIC_WORD = re.compile(STRONG_SYSTEMATIC.pattern + r"|(?:oic|ine|ol|one|ide|ate|ane|ene|yne|ose|al|yl|ium|ite|"
                             r"yde)$", re.I)
# A word with only a chemical ending ('-al', '-ate', '-ine') goes to OPSIN only when it also has a chemical stem:
# 'hexanal' does, 'conventional' does not (each OPSIN call starts a JVM, so prose words must not trigger one).
CHEM_STEM = re.compile(r"meth|eth|prop|but|pent|hex|hept|oct|non|dec|cycl|benz|phen|tolu|xyl|anil|pyr|fur|thi|"
                       r"oxy|oxo|hydr|amin|amid|imid|chlor|brom|fluor|iod|nitr|sulf|sulph|phos|acet|form|carb|"
                       r"glyc|ure|ket|ald|ester|anhydr|azo|azi|indol|quinol|purin|pyrimid|sacchar|ribo|gluc|fruct",
                       re.I)


# Words that end a two-word name ('ethanoic acid', 'methyl propanoate'), and that start one.
NAME_TAILS = {"acid", "anhydride", "chloride", "bromide", "iodide", "fluoride", "oxide", "hydroxide", "ester",
              "ether", "alcohol", "aldehyde", "ketone", "amide", "nitrile", "cation", "anion", "salt"}
NAME_HEADS = {"methyl", "ethyl", "propyl", "isopropyl", "butyl", "tert-butyl", "sec-butyl", "isobutyl", "pentyl",
              "hexyl", "phenyl", "benzyl", "vinyl", "allyl", "sodium", "potassium", "lithium", "calcium",
              "magnesium", "ammonium", "dimethyl", "diethyl", "trimethyl", "cis", "trans"}


def systematic_candidates(text: str, unknown: list[str]) -> list[str]:
    """Phrases around the unknown words that may be systematic names, longest first per word: with the word
    before it ('methyl propanoate') and after it ('ethanoic acid') when those fit a name."""
    question = ambiguous_name(unknown)  # 'pentanol' is no systematic name to read (OPSIN takes pentan-1-ol): ask
    if question is not None:
        raise question
    tokens = [balanced(t) for t in text.split()]
    wanted = {u.lower() for u in unknown}
    out: list[str] = []
    for i, token in enumerate(tokens):
        bare = token.strip("()").lower()
        if not token or bare in PROSE_FILLER or not (bare in wanted or token.lower() in wanted) \
                or not SYSTEMATIC_WORD.search(token):
            continue
        before = tokens[i - 1] if i and tokens[i - 1].lower() in NAME_HEADS else ""
        after = tokens[i + 1] if i + 1 < len(tokens) and tokens[i + 1].lower() in NAME_TAILS else ""
        if not (before or after or STRONG_SYSTEMATIC.search(token)
                or (CHEM_STEM.search(token) and _english_count(bare) < 50)):
            continue  # a lone English word ('appropriate') costs an OPSIN call for nothing; 'sodium hydroxide' not
        for phrase in (" ".join(p for p in (before, token, after) if p), " ".join(p for p in (token, after) if p),
                       " ".join(p for p in (before, token) if p), token):
            if phrase not in out:
                out.append(phrase)
    return out


def close_names(word: str, limit: int = 5) -> list[str]:
    """Compound names a word may be a misspelling of ('cafeine' -> caffeine), closest first, by rapidfuzz's
    edit-distance ratio. A word that contains a known name ('polystyrene' holds styrene) is a derived word,
    not a typo, and gets none; so do short words."""
    from rapidfuzz import fuzz, process

    key = word.lower()
    table = compounds()
    if len(key) < 5 or key in PROSE_FILLER or _english_count(key) >= 50:
        return []  # an English word ('final', 'natural') is no misspelt compound, whatever it looks like
    hits = process.extract(key, _all_names(), scorer=fuzz.ratio, score_cutoff=85, limit=limit * 3)
    if not hits or any(len(name) >= 5 and name in key and len(key) - len(name) >= 3 for name in _single_word_names()):
        return []
    return list(dict.fromkeys(table[name].name for name, _, _ in hits))[:limit]


@lru_cache(maxsize=1)
def _english() -> Any:
    from spellchecker import SpellChecker  # pyspellchecker: an English word-frequency list (MIT)

    return SpellChecker(language="en", distance=1).word_frequency


def _english_count(word: str) -> int:
    """How often `word` occurs in pyspellchecker's English corpus (0: not an English word)."""
    return int(_english()[word])


@lru_cache(maxsize=1)
def _all_names() -> list[str]:
    return list(compounds())


@lru_cache(maxsize=1)
def _single_word_names() -> frozenset[str]:
    return frozenset(k for k in compounds() if " " not in k)


def reject_unknown_compounds(unknown: list[str], understood: list[str]) -> None:
    """A word that reads as a misspelt compound name ('cafeine') stops the request with 'did you mean'. Any
    other unknown word does not: the plan goes on, and plan.faithful names the word as not understood, so
    'caffeine and unobtainium' draws caffeine and ends unverified."""
    question = ambiguous_name(unknown)  # 'butanol' is no misspelling: it names four compounds, so ask
    if question is not None:
        raise question
    for word in dict.fromkeys(unknown):
        close = close_names(word)
        if close:
            got = f" I understood: {', '.join(understood)}." if understood else ""
            raise IvluError(
                f"Unknown compound name {word!r}.{got}",
                "a compound from the bundled table, a systematic name or a SMILES string",
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


# Names people write that mean several compounds: the run asks which one (never picks for them). The
# isomers are the constitutional ones a textbook lists first; every option resolves through OPSIN.
AMBIGUOUS_NAMES: dict[str, list[str]] = {
    "butanol": ["butan-1-ol", "butan-2-ol", "2-methylpropan-1-ol", "2-methylpropan-2-ol"],
    "pentanol": ["pentan-1-ol", "pentan-2-ol", "pentan-3-ol"],
    "hexanol": ["hexan-1-ol", "hexan-2-ol", "hexan-3-ol"],
    "butene": ["but-1-ene", "but-2-ene", "2-methylpropene"],
    "xylene": ["o-xylene", "m-xylene", "p-xylene"],
    "cresol": ["o-cresol", "m-cresol", "p-cresol"],
    "dichlorobenzene": ["1,2-dichlorobenzene", "1,3-dichlorobenzene", "1,4-dichlorobenzene"],
    "dichloroethane": ["1,1-dichloroethane", "1,2-dichloroethane"],
    "chlorobutane": ["1-chlorobutane", "2-chlorobutane"],
    "bromobutane": ["1-bromobutane", "2-bromobutane"],
}


def ambiguous_name(words: list[str]):
    """A NeedsInput question for the first word that names several compounds, else None."""
    from ...errors import NeedsInput

    for word in words:
        options = AMBIGUOUS_NAMES.get(word.lower())
        if options:
            return NeedsInput(f"'{word}' names {len(options)} compounds; which one?", options, phrase=word,
                              mode="replace", key=f"name:{word.lower()}")
    return None
