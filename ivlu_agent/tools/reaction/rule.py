"""Reaction rule: schemes written with an arrow ('A + B ->[H2SO4] C + D') or in words ('A reacts with B to
give C', 'the esterification of A with B to give C and D, catalysed by E')."""


import re
from dataclasses import dataclass

from ...errors import IvluError
from ..base import PlanContext
from ..common.chem import lookup_compound
from ..common.formulas import check_condensed, condensed_smiles, ion_smiles, salt_smiles
from ..common.names import (
    ARROWS,
    ELEMENTAL,
    FILLER,
    SYSTEMATIC_WORD,
    compound_of_formula,
    elemental_spans,
    find_molecules,
    looks_like_smiles,
    molecule_spans,
    only_a_formula,
    systematic_candidates,
)
from .spec import Component, ReactionSpec

# Directive words this rule understands; the plan.faithful check counts them as accounted for.
VOCABULARY = frozenset(FILLER) | {
    "react", "reacts", "reacting", "reacted", "with", "give", "gives", "giving", "yield", "yields", "yielding", "form",
    "forms", "forming", "produce", "produces", "producing", "catalysed", "catalyzed", "catalyst", "conditions",
    "condition", "arrow", "over", "equation", "scheme", "presence", "mainly", "mostly", "predominantly", "heat",
    "heated", "reflux", "reaction", "esterification", "hydrolysis", "oxidation", "reduction", "addition",
    "substitution", "elimination", "dehydration", "hydrogenation", "combustion", "neutralisation", "neutralization",
    "polymerisation", "polymerization", "halogenation", "bromination", "chlorination", "nitration", "hydration",
    # the words that place a reaction's conditions and name its parts
    "write", "under", "aqueous", "dilute", "concentrated", "acidified", "excess", "warm", "warmed", "heating",
    "room", "temperature", "catalytic", "reactant", "reactants", "product", "products", "by-product",
    "by-products", "organic", "inorganic", "conc", "dil", "aq", "arrow", "above", "written", "put", "reagent", "reagents", "made", "prepared", "obtained", "formed",
    "synthesised", "synthesized", "manufactured", "oxidised", "oxidized", "reduced", "converted", "hydrolysed",
    "hydrolyzed", "into", "including", "include", "includes", "species", "side", "overall", "balanced"}


# Reactions in prose: 'propene reacts with HCl to give 2-chloropropane', 'the bromination of benzene with
# bromine in the presence of FeBr3, giving bromobenzene', 'Aspirin is made by reacting salicylic acid with
# ethanoic anhydride', 'ethanol is oxidised to ethanal by acidified dichromate'. The compounds are found
# first; cue phrases between them give each its role: reactant, product, or a condition over the arrow.
PRODUCT_CUE = re.compile(r"\b(?:to\s+)?(?:give|gives|giving|gave|form|forms|forming|formed|yield|yields|yielding|"
                         r"produce|produces|producing|produced|afford|affords|affording)\b|\binto\b|"
                         r"\b(?:by-?|side-?)?products?\b|\bresult(?:s|ing)?\s+in\b", re.I)
CONDITION_CUE = re.compile(r"\b(?:(?:catalys|catalyz)ed\s+by|in\s+the\s+presence\s+of|over|using|under|"
                           r"with\s+(?:an?\s+)?catalyst(?:\s+of)?|by(?!-)(?!\s+\w+ing\b))\s+", re.I)
REACTANT_CUE = re.compile(r"\bwith\b|\bbetween\b", re.I)
MADE_FROM = re.compile(r"\b(?:is|are|was|were|can\s+be|being|gets?)\s+(?:made|prepared|formed|produced|"
                       r"synthesi[sz]ed|obtained|manufactured)\s+(?:by|from)\b", re.I)
TO = re.compile(r"\bto\b", re.I)
# Words that make 'A ... to B' a transformation of A into B ('oxidised to', 'the dehydration of A to B').
TRANSFORM = re.compile(r"\b(?:\w+(?:ation|ysis|ition|ution|ing)|react\w*|oxidi[sz]e[sd]?|reduce[sd]?|converte?d?|"
                       r"hydroly[sz]e[sd]|\w*hydrated|hydrogenated|turn(?:s|ed)?|change[sd]?|isomeri[sz]e[sd]|"
                       r"polymeri[sz]e[sd]|esterified|nitrated|brominated|chlorinated|decompose[sd]?|goe?s|went)\b",
                       re.I)
ADDITION = re.compile(r"\badd(?:s|ed|ing|ition)?\b", re.I)
REACTION_WORD = re.compile(r"\b(?:reaction|reacts?|reacting|reacted|equation|scheme|products?|by-?products?|"
                           r"reactants?|reagents?)\b", re.I)
SENTENCE = re.compile(r"(?<=[.;:])\s+|\n")
REAGENT_ON_ARROW = re.compile(r"\breagents?\b[^.;]{0,60}?\b(?:on|over|above)\s+the\s+arrow", re.I)
# Conditions written after an arrow scheme: '…, with conc. H2SO4 over the arrow', '…, catalysed by Pt', '…; heat'.
ARROW_CONDITIONS = re.compile(r"(?:\s*[,;]\s*|\s+)(?:(?:with|using|under|in\s+the\s+presence\s+of|(?:catalys|catalyz)ed\s+by|"
                              r"catalysts?:?|conditions?:?)\s+)(?P<c>[^;]{1,80}?)(?:\s+(?:written\s+|put\s+)?(?:over|above|on)"
                              r"\s+the\s+arrow)?\s*\.?$", re.I)
# A transformation named before 'of': 'the bromination of', 'Fischer esterification of' -> its caption.
NAMED = re.compile(r"(?:^|\b(?:[Ff]or|[Oo]f|[Ss]how|[Dd]raw|[Ww]rite|[Gg]ive)\s+)(?:the\s+|an?\s+)?(?P<n>(?:[A-Z][\w-]*\s+|[\w-]+-"
                   r"(?:catalys|catalyz)ed\s+)?[a-z-]*(?:ation|ysis|ition|ution))\s+(?:reaction\s+)?of\b")


@dataclass
class Scheme:
    """A reaction read from words: the compounds by role (start, end, name, SMILES) and the conditions."""

    reactants: list[tuple[int, int, str, str]]
    products: list[tuple[int, int, str, str]]
    conditions: list[str]
    name: str = ""


# Physical conditions, written under the arrow by convention (reagents and catalysts go over it).
PHYSICAL = re.compile(r"^(?:\d+(?:\.\d+)?\s*(?:°\s*[CF]|K|atm|bar|[kM]?Pa|h|hours?|min(?:utes)?|s)\b|"
                      r"(?:under\s+)?reflux|heat(?:ed)?|warm(?:ed)?|Δ|hν|(?:uv\s+)?light|uv|room\s+temperature|r\.?t\.?|"
                      r"high\s+(?:temperature|pressure)|(?:in\s+)?(?:water|ethanol|ether|the\s+dark))$", re.I)


def split_conditions(text: str) -> tuple[str, str]:
    """'H3PO4, 300 °C, 60 atm' → ('H3PO4', '300 °C, 60 atm'): reagents over the arrow, physical conditions
    under it. Only when both kinds are present; a lone '300 °C' stays over the arrow."""
    parts = [p.strip() for p in re.split(r",\s*|;\s*|\s+and\s+", text) if p.strip()]
    under = [p for p in parts if PHYSICAL.match(p)]
    over = [p for p in parts if not PHYSICAL.match(p)]
    if not under or not over:
        return text, ""
    return ", ".join(over), ", ".join(under)


def read_scheme(text: str, spans: list[tuple[int, int, str, str]]) -> Scheme | None:
    """The reaction `text` describes, given the compounds found in it; None when it reads as no reaction
    (nothing is said to be formed, or a side is empty)."""
    events: list[tuple[int, int, str]] = [(m.start(), m.end(), "made") for m in MADE_FROM.finditer(text)]
    events += [(m.start(), m.end(), "product") for m in PRODUCT_CUE.finditer(text)]
    events += [(m.start(), m.end(), "condition") for m in CONDITION_CUE.finditer(text)]
    events += [(m.start(), m.end(), "reactant") for m in REACTANT_CUE.finditer(text)]
    events += [(m.start(), m.end(), "to") for m in TO.finditer(text)]
    events += [(m.start(), m.end(), "sentence") for m in SENTENCE.finditer(text)]
    events += [(m.start(), m.end(), "paren")  # '(H3PO4, heat)'; not 'dichromate(VI)', which is a name
               for m in re.finditer(r"(?:(?<=\s)|^)\([^()]{1,80}\)", text)]
    events = [e for e in events if not any(s <= e[0] < end for s, end, _, _ in spans)]  # cues inside a name
    roles: dict[int, str] = {}
    conditions: list[str] = []
    role, sentence, cued = "reactant", 0, False
    items = sorted([(e[0], e[1], e[2], None) for e in events] + [(s[0], s[1], "molecule", s) for s in spans],
                   key=lambda i: (i[0], -i[1]))
    last_molecule: tuple | None = None
    skip_to = -1
    with_next, by_with = False, set()  # reactants introduced by 'with' ('treated with NaOH')
    for start, end, what, span in items:
        if start < skip_to:
            continue
        if what == "sentence":
            role, sentence = "reactant", end
        elif what == "made":  # 'Aspirin is made by reacting …': what came before is the product
            for s in spans:
                if sentence <= s[0] < start and roles.get(s[0]) == "reactant":
                    roles[s[0]] = "product"
            role, cued = "reactant", True
        elif what == "product":
            role, cued = "product", True
        elif what == "to":
            before = text[sentence:start]
            if TRANSFORM.search(before) and not ADDITION.search(before) and role != "condition":
                role, cued = "product", True
        elif what == "reactant":
            if role == "condition":
                role = "reactant"
            with_next = text[start:end].lower() == "with"
        elif what == "condition":
            stop = min([i[0] for i in items if i[0] >= end and i[2] in ("product", "sentence", "reactant", "paren")]
                       + [len(text)])
            phrase = text[end:stop].strip(" ,.;:")
            if phrase and not re.fullmatch(r"(?:the\s+)?arrows?", phrase, re.I):  # 'the reagent over the arrow'
                conditions.append(phrase)
            skip_to = stop
        elif what == "paren":  # '(H3PO4, heat)' after the scheme; '(para-aminobenzoic acid)' glosses a name
            inside = [s for s in spans if start < s[0] < end]
            gloss = last_molecule is not None and len(inside) == 1 and inside[0][3] == last_molecule[3]
            if not gloss and last_molecule is not None and last_molecule[1] <= start:
                conditions.append(text[start + 1:end - 1].strip())
            skip_to = end
        elif span is not None:
            roles[span[0]] = "condition" if role == "condition" else role
            if role == "reactant" and with_next:
                by_with.add(span[0])
            with_next = False
            last_molecule = span
    # 'X is heated with aqueous NaOH to form Y. Draw the reaction, with the reagent written on the arrow': what
    # the substrate is treated with is the reagent the request puts over the arrow.
    if REAGENT_ON_ARROW.search(text) and any(roles.get(s[0]) == "reactant" and s[0] not in by_with for s in spans):
        for s in spans:
            if s[0] in by_with:
                roles[s[0]] = "condition"
                conditions.insert(0, text[s[0]:s[1]])
    reactants = [s for s in spans if roles.get(s[0]) == "reactant"]
    products = [s for s in spans if roles.get(s[0]) == "product"]
    if not cued or not reactants or not products or len(reactants) > 4 or len(products) > 4:
        return None
    named = NAMED.search(text)
    return Scheme(reactants, products, conditions, named.group("n").strip() if named else "")


def _dedupe(side: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    """One entry per structure: 'the by-product ethanoic acid' named twice is drawn once."""
    seen: set[str] = set()
    return [s for s in side if not (s[3] in seen or seen.add(s[3]))]


class ReactionRule:
    """'acetic acid + ethanol ->[H2SO4] ethyl acetate + water', or in words: 'propene reacts with HCl to
    give 2-chloropropane'."""

    name = "reaction"
    priority = 40
    examples = (  # what the planner lists when it understands nothing in a request
        "reaction schemes ('acetic acid + ethanol -> ethyl acetate + water', 'propene reacts with HCl to give "
        "2-chloropropane')"
    )
    vocabulary = VOCABULARY
    keeps_leads = True  # 'Propene reacts with HCl to give …': every compound of the clause has its role

    def claims(self, clause: str) -> bool:
        """A scheme with an arrow between structures ('grass → rabbit' is no reaction), or one in words."""
        if ARROWS.search(clause):
            return bool(molecule_spans(clause)) or bool(re.search(r"\+", clause))
        return self.owns(clause)

    def owns(self, clause: str) -> bool:
        """A reaction in words is the whole clause (its 'and' and commas are not separate requests): two or
        more structures with roles, and something said to be formed. Cheap: a word that looks like a
        systematic name counts as a structure here; OPSIN reads it when the clause is planned."""
        if ARROWS.search(clause) or not (PRODUCT_CUE.search(clause) or MADE_FROM.search(clause)
                                         or TO.search(clause)):
            return False
        spans = elemental_spans(clause, molecule_spans(clause))
        unknown = find_molecules(clause)[1]
        for phrase in systematic_candidates(clause, unknown):
            for m in re.finditer(r"(?<![\w-])" + re.escape(phrase) + r"(?![\w-])", clause):
                if not any(s < m.end() and m.start() < e for s, e, _, _ in spans):
                    spans.append((m.start(), m.end(), phrase, "?" + phrase))
        return read_scheme(clause, sorted(spans)) is not None

    def owns_together(self, clauses: list[str]) -> bool:
        """Sentences that describe one reaction together ('X is heated with Y. Draw the equation for the
        reaction, showing the products Z and W.'): each later one speaks of the reaction."""
        return all(REACTION_WORD.search(c) for c in clauses[1:]) and self.owns("; ".join(clauses))

    def _component(self, part: str, ctx: PlanContext) -> Component:
        phrase = " ".join(w for w in part.split() if w.lower() not in FILLER).strip(" ,.;:")
        if not phrase:
            raise IvluError(f"An empty side in the reaction near {part!r}.", "'A + B -> C'",
                            "name each reactant and product")
        ion = ion_smiles(phrase)  # 'OH-', 'Br-', 'NH4+'
        if ion is not None:
            facts = ctx.describe(ion)
            return Component(name=phrase, smiles=facts["smiles"], inchikey=facts["inchikey"])
        compound, is_formula = compound_of_formula(phrase)  # 'CH4', '2H2O' (the coefficient is not drawn)
        if compound is not None and only_a_formula(phrase):
            facts = ctx.describe(compound.smiles)
            return Component(name=compound.name, smiles=facts["smiles"], inchikey=facts["inchikey"])
        salt = salt_smiles(phrase) if compound is None else None  # 'NaOH', 'CaCl2'
        if salt is not None:
            facts = ctx.describe(salt)
            return Component(name=phrase, smiles=facts["smiles"], inchikey=facts["inchikey"])
        condensed = condensed_smiles(phrase)  # 'CH3COOCH2CH3'
        if condensed is not None and compound is None:
            facts = ctx.describe(condensed)
            check_condensed(phrase, facts)
            return Component(name=phrase, smiles=facts["smiles"], inchikey=facts["inchikey"])
        if looks_like_smiles(phrase):
            facts = ctx.describe(phrase)
            return Component(name="", smiles=facts["smiles"], inchikey=facts["inchikey"])
        try:
            compound = lookup_compound(phrase)
        except IvluError:
            if not SYSTEMATIC_WORD.search(phrase):
                raise
            read = ctx.call("ivlu_agent.tools.common.opsin:parse_names", [phrase])  # a systematic name
            if not read:
                raise
            facts = ctx.describe(read[phrase])
            return Component(name=phrase, smiles=facts["smiles"], inchikey=facts["inchikey"])
        facts = ctx.describe(compound.smiles)
        return Component(name=compound.name, smiles=facts["smiles"], inchikey=facts["inchikey"])

    def _from_words(self, clause: str, ctx: PlanContext) -> ReactionSpec:
        unknown = [w for w in find_molecules(clause)[1] if w.lower() not in ELEMENTAL]
        candidates = systematic_candidates(clause, unknown)
        systematic = ctx.call("ivlu_agent.tools.common.opsin:parse_names", candidates) if candidates else {}
        if systematic:
            ctx.reasoning.append("OPSIN read the systematic name(s) " + ", ".join(systematic))
        scheme = read_scheme(clause, elemental_spans(clause, molecule_spans(clause, systematic)))
        if scheme is None:
            raise IvluError(f"I could not tell the reactants from the products in {clause!r}.",
                            "'A reacts with B to give C', or a scheme with an arrow: 'A + B -> C'",
                            "say what is formed ('to give …') or write the scheme with '->'")

        def component(span: tuple[int, int, str, str]) -> Component:
            facts = ctx.describe(span[3])
            if condensed_smiles(span[2]) == span[3]:
                check_condensed(span[2], facts)
            return Component(name=span[2][:120], smiles=facts["smiles"], inchikey=facts["inchikey"])

        conditions = ", ".join(dict.fromkeys(scheme.conditions))
        if len(conditions) > 80:
            ctx.notes.append(f"the conditions '{conditions}' are cut to 80 characters over the arrow")
            conditions = conditions[:80].rsplit(" ", 1)[0]
        above, below = split_conditions(conditions)
        step = ReactionSpec(reactants=[component(s) for s in _dedupe(scheme.reactants)],
                            products=[component(s) for s in _dedupe(scheme.products)],
                            conditions=above, below=below, title=scheme.name[:1].upper() + scheme.name[1:])
        ctx.reasoning.append(f"Reaction scheme, read from words: {' + '.join(c.name or c.smiles for c in step.reactants)}"
                             f" → {' + '.join(c.name or c.smiles for c in step.products)}"
                             + (f" ({conditions})" if conditions else ""))
        return step

    def plan(self, clause: str, ctx: PlanContext) -> list[ReactionSpec]:
        if not ARROWS.search(clause):
            return [self._from_words(clause, ctx)]
        body = clause.split(":", 1)[1] if ":" in clause.split("->")[0] else clause
        match = ARROWS.search(body)
        left, right = body[:match.start()], body[match.end():]
        conditions = (match.group("cond") or "").strip()
        cond = re.search(r"\((?:conditions?:?\s*)?([^)]{1,80})\)\s*$", right)
        if cond:
            conditions, right = cond.group(1).strip(), right[:cond.start()]
        said = ARROW_CONDITIONS.search(right)  # '…, with conc. H2SO4 over the arrow', '…; catalyst: Pt'
        if said and not conditions:
            conditions, right = said.group("c").strip(" ,.;"), right[:said.start()]
        lead, _, first = left.rpartition(", ")  # 'then its combustion, C2H5OH + 3O2 → …' (not 'buta-1,3-diene')
        if lead and "+" not in lead and first.strip():
            left = first
        # A scheme of several steps ('A ->[c1] B ->[c2] C') is one panel per arrow, each product the next
        # step's reactant; the conditions after the last compound belong to the last arrow.
        stages, arrows = [left], [conditions]
        while (inner := ARROWS.search(right)) is not None:
            stages.append(right[:inner.start()])
            arrows.append((inner.group("cond") or "").strip())
            right = right[inner.end():]
        stages.append(right)
        if len(stages) > 2 and conditions and not match.group("cond"):  # '(…)' or 'with …' after the last one
            arrows[0], arrows[-1] = "", arrows[-1] or conditions
        steps = []
        for n in range(len(stages) - 1):
            above, below = split_conditions(arrows[n])
            step = ReactionSpec(reactants=[self._component(p, ctx) for p in stages[n].split(" + ")],
                                products=[self._component(p, ctx) for p in stages[n + 1].split(" + ")],
                                conditions=above, below=below)
            ctx.reasoning.append(f"Reaction scheme{f', step {n + 1}' if len(stages) > 2 else ''}: "
                                 f"{step.caption()}" + (f" ({arrows[n]})" if arrows[n] else ""))
            steps.append(step)
        return steps

    def follow_up(self, clause: str, previous: list[dict], ctx: PlanContext,
                  same_request: bool = False) -> list[ReactionSpec] | None:
        """'put reflux under the arrow', 'write heat over the arrow': text added to the arrow of each reaction."""
        m = ARROW_TEXT.search(clause)
        reactions = [s for s in previous if s["kind"] == "reaction"]
        if not m or not reactions:
            return None
        field = "below" if m.group("where").lower() in ("under", "below", "beneath", "underneath") else "conditions"
        text = m.group("what").strip(" '\"")
        steps = []
        for old in reactions:
            spec = ReactionSpec.model_validate(old)
            held = getattr(spec, field)
            steps.append(spec.model_copy(update={field: f"{held}, {text}" if held else text}))
        ctx.reasoning.append(f"Writing '{text}' {m.group('where').lower()} the arrow")
        ctx.accounted.append("arrow put write add show under below beneath underneath over above on")
        return steps


# 'put reflux under the arrow', 'write 25 °C over the arrow'
ARROW_TEXT = re.compile(r"(?:\b(?:put|write|add|show|place|label)\s+|^(?:and\s+)?)(?P<what>.+?)\s+(?P<where>under|"
                        r"underneath|below|beneath|over|above|on)\s+(?:the\s+arrow|it)\b", re.I)
