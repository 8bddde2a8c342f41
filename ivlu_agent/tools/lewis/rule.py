"""Words to Lewis structures: 'Draw the Lewis structure of water', 'the lone pairs on the nitrogen of pyridine'."""

from __future__ import annotations

import re

from ...errors import IvluError
from ..base import PlanContext
from ..common.names import molecule_spans, reject_unknown_compounds, systematic_candidates
from ..common.prose import FILLER as PROSE_FILLER
from .electrons import MAX_HEAVY_ATOMS
from .spec import LewisFacts, LewisSpec
from .species import ELEMENTS, find_species

FACTS = "ivlu_agent.tools.lewis.electrons:facts"
# What makes a clause a Lewis request: the structure's names, and the electrons it is about.
DIRECTIVE = re.compile(r"\blewis\b|\belectron[- ]dots?\b|\bdot[- ]?(?:and|&|n)[- ]?cross\b|\blone[- ]pairs?\b|"
                       r"\b(?:valence|non-?bonding|unshared)\s+electrons?\b", re.I)
_ELEMENT = "|".join(sorted(ELEMENTS, key=len, reverse=True))
_SYMBOL = "|".join(sorted(set(ELEMENTS.values()), key=len, reverse=True))
_EACH = r"(?:(?:the|its|each|every|both|all|two|three|four|of)\s+)"
# 'the lone pairs on the nitrogen', 'around each oxygen atom', 'on both oxygens', 'on the N', 'the nitrogen lone
# pair': an atom pointed at (its lone pairs are drawn in blue).
POINTED = re.compile(rf"\b(?:on|around|at)\s+{_EACH}*(?:(?P<a>{_ELEMENT})s?|(?-i:{_EACH}+(?P<s>{_SYMBOL})))"
                     rf"(?:\s+atoms?)?(?![\w-])|\b(?P<b>{_ELEMENT})(?:'s)?\s+(?=lone[- ]pairs?\b)", re.I)
# 'highlight its lone pairs': every atom's lone pairs in blue (unless the words point at some atoms).
_MARK = r"\b(?:highlight|colou?r|mark|emphasi[sz]e)\w*\b"
HIGHLIGHT = re.compile(rf"{_MARK}[^.;]*?\blone[- ]pairs?\b|\blone[- ]pairs?\b[^.;]*?{_MARK}", re.I)
EVERY = "*"  # in the pointed list: every element with lone pairs
# Directive words, accounted for by plan.faithful when this rule plans.
VOCABULARY = frozenset("""lewis dot dots electron electrons cross structure structures diagram diagrams formula
formulas formulae lone pair pairs valence bonding nonbonding non unshared shared octet octets ion ions anion
anions cation cations formal charge charges resonance atom atoms bond bonds single double triple molecule
molecules compound compounds species representation point points shell outer every all form forms equivalent
exception exceptions rule incomplete expanded sextet duet visible
highlight highlighted highlighting colour colored coloured color mark marked emphasise emphasize blue
aromatic heterocycle heterocycles heterocyclic""".split())  # the last words describe compounds, asking nothing
NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten".split())  # plan.faithful checks them
# Request typography read as plain text, one character for one, so spans stay where they were: 'NO3−', 'CO3²⁻'.
PLAIN = str.maketrans("−–⁻⁺⁰¹²³⁴⁵⁶⁷⁸⁹", "---+0123456789")


def blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


OPSIN = "ivlu_agent.tools.common.opsin:parse_names"


def read(clause: str) -> tuple[list[tuple[str, str, str]], list[str], list[str]]:
    """(name, SMILES, expected formula) of each species named in order, the element symbols pointed at, and
    the words left over that are neither directives nor filler. Plain text: no native library."""
    clause = clause.translate(PLAIN)
    rest = clause
    found: list[tuple[int, str, str, str]] = []
    for start, end, species in find_species(rest):  # first: 'on nitrogen dioxide' names no atom
        found.append((start, species.name, species.smiles, species.formula))
        rest = blank(rest, start, end)
    pointed: list[str] = []
    for m in POINTED.finditer(rest):
        pointed.append(m.group("s") or ELEMENTS[(m.group("a") or m.group("b")).lower()])
        rest = blank(rest, m.start(), m.end())
    for start, end, name, smiles in molecule_spans(rest):
        found.append((start, name, smiles, ""))
        rest = blank(rest, start, end)
    leftover = [w.strip(",;:.!?'\"()") for w in re.split(r"[\s/]+", DIRECTIVE.sub(" ", rest))]
    unknown = [w for w in leftover if w and not w.isdigit() and not known_word(w)]
    if not pointed and HIGHLIGHT.search(clause):
        pointed = [EVERY]
    return [f[1:] for f in sorted(found)], list(dict.fromkeys(pointed)), unknown


def known_word(word: str) -> bool:
    parts = [p for p in re.split(r"[-–]", word.lower()) if p]  # 'dot-and-cross', 'non-bonding'
    return all(p in VOCABULARY or p in PROSE_FILLER or p in NUMBER_WORDS for p in parts)


class LewisRule:
    """'Draw the Lewis structure of water', 'the lone pairs on the nitrogen of pyridine', 'dot-and-cross of CO2'."""

    name = "lewis"
    priority = 45  # before cad, equations and molecules: every compound it names is a molecule to them too
    examples = ("Lewis structures with every valence electron ('Draw the Lewis structure of water', 'the Lewis "
                "dot structure for ammonia', 'show the lone pairs on the nitrogen of pyridine', 'Lewis structure "
                "of the nitrate ion', 'electron dot structure of HCN')")
    vocabulary = VOCABULARY

    def claims(self, clause: str) -> bool:
        return bool(DIRECTIVE.search(clause))

    def owns(self, clause: str) -> bool:
        """The whole clause is Lewis structures: every word is a species, a directive or filler (so the planner
        keeps 'Lewis structures of water, ammonia and methane' whole instead of splitting it at commas)."""
        if not self.claims(clause):
            return False
        named, _, unknown = read(clause)
        return bool(named) and not unknown

    def owns_together(self, clauses: list[str]) -> bool:
        """Sentences that make one Lewis request between them: 'Boron trifluoride is an exception to the octet
        rule. Draw the Lewis structure of BF3', 'Draw a Lewis structure for ammonia. Show the lone pair on the
        nitrogen atom.' One of them asks for a Lewis structure, one names the species, every word is accounted
        for, and some sentence is no request on its own (each sentence a whole request stays one)."""
        if not any(self.claims(c) for c in clauses) or not self.owns("; ".join(clauses)):
            return False
        return any(not self.claims(c) or not read(c)[0] for c in clauses)

    def plan(self, clause: str, ctx: PlanContext) -> list[LewisSpec]:
        named, pointed, unknown = read(clause)
        candidates = systematic_candidates(clause, unknown) if unknown else []  # asks for 'pentanol'
        for phrase, smiles in (ctx.call(OPSIN, candidates) if candidates else {}).items():  # 'pentan-2-ol'
            words = set(phrase.lower().split())
            if any(w.lower() in words for w in unknown):
                named.append((phrase, smiles, ""))
                unknown = [w for w in unknown if w.lower() not in words]
                ctx.reasoning.append(f"OPSIN read the systematic name {phrase}")
        reject_unknown_compounds(unknown, [n or s for n, s, _ in named])  # 'amonia': did you mean ammonia?
        if not named:
            shown = ", ".join(repr(w) for w in unknown) or repr(clause)
            raise IvluError(f"No compound or ion I know in {shown} to draw a Lewis structure of.",
                            "a compound name ('water', 'pyridine'), a formula ('NH3', 'CO2', 'NO3-'), an ion "
                            "('the nitrate ion') or a SMILES", "name the compound, e.g. 'Draw the Lewis "
                            "structure of water'")
        if unknown:
            ctx.notes.append("ignored words: " + ", ".join(unknown))
        steps, seen = [], set()
        for name, smiles, formula in named:
            facts = ctx.describe(smiles)
            if facts["inchikey"] in seen:  # 'ammonia, NH3': a name and its formula are one structure
                continue
            seen.add(facts["inchikey"])
            shown = name or facts["smiles"]
            if facts["heavy_atoms"] > MAX_HEAVY_ATOMS:
                raise IvluError(f"{shown} has {facts['heavy_atoms']} heavy atoms, too many for a readable Lewis "
                                "structure.", f"at most {MAX_HEAVY_ATOMS} heavy (non-hydrogen) atoms",
                                "ask for its skeletal structure instead ('draw " + shown + "')")
            counts = LewisFacts.model_validate(ctx.call(FACTS, facts["smiles"]))
            atoms = sorted(counts.lone_pairs, key=lambda el: -counts.lone_pairs[el])[:4] if EVERY in pointed \
                else pointed
            focus = [el for el in atoms if counts.lone_pairs.get(el)]  # 'the incomplete octet on boron': no dots
            missing = [el for el in atoms if not re.search(rf"{el}(?![a-z])", formula or facts["formula"])]
            if missing:
                ctx.notes.append(f"{shown} has no {', '.join(missing)} atom")
            steps.append(LewisSpec(name=name, smiles=facts["smiles"], formula=formula or facts["formula"],
                                   inchikey=facts["inchikey"], lone_pairs_on=focus, facts=counts))
            for note in counts.notes:
                ctx.notes.append(f"{shown}: {note}")
            ctx.reasoning.append(f"Lewis structure of {shown}: {counts.valence_electrons} valence electrons from "
                                 "RDKit's valence model (bond orders and formal charges of the SMILES, every "
                                 "hydrogen explicit)")
        return steps

    def follow_up(self, clause: str, previous: list[dict], ctx: PlanContext,
                  same_request: bool = False) -> list[LewisSpec] | None:
        return None
