"""Reaction rule: schemes written with an arrow ('A + B ->[H2SO4] C + D') or in words ('A reacts with B to
give C', 'the esterification of A with B to give C and D, catalysed by E')."""


import re

from ...errors import IvluError
from ..base import PlanContext
from ..common.chem import lookup_compound
from ..common.names import (
    ARROWS,
    FILLER,
    SYSTEMATIC_WORD,
    compound_of_formula,
    find_molecules,
    looks_like_smiles,
    only_a_formula,
)
from .spec import Component, ReactionSpec

# Directive words this rule understands; the plan.faithful check counts them as accounted for.
VOCABULARY = frozenset(FILLER) | {
    "react", "reacts", "reacting", "reacted", "with", "give", "gives", "giving", "yield", "yields", "yielding", "form",
    "forms", "forming", "produce", "produces", "producing", "catalysed", "catalyzed", "catalyst", "conditions",
    "condition", "arrow", "over", "equation", "scheme", "presence", "mainly", "mostly", "predominantly", "heat",
    "heated", "reflux", "reaction", "esterification", "hydrolysis", "oxidation", "reduction", "addition",
    "substitution", "elimination", "dehydration", "hydrogenation", "combustion", "neutralisation", "neutralization",
    "polymerisation", "polymerization", "halogenation", "bromination", "chlorination", "nitration", "hydration"}


# Reactions in prose: 'propene reacts with HCl to give 2-chloropropane', 'the esterification of A with B to
# give C and D, catalysed by E'. A product verb splits reactants from products; conditions go over the arrow.
PRODUCT_VERB = re.compile(r"\s+(?:to\s+)?(?:give|gives|giving|gave|form|forms|forming|formed|yield|yields|yielding|"
                          r"produce|produces|producing|produced)\s+", re.I)
REACTANT_LEAD = re.compile(r"^\s*(?:(?:please\s+)?(?:show|draw|write|give)\s+(?:me\s+)?)?(?:the\s+)?"
                           r"(?:(?:[a-z-]+\s+)?(?:reaction|[a-z-]+(?:ation|ysis|ition|ution))\s+(?:of|between)\s+)?",
                           re.I)
REACTANT_BREAK = re.compile(r"\s+(?:reacts?|reacting|is\s+reacted|are\s+reacted|reacted)\s+with\s+|\s+with\s+|"
                            r"\s+and\s+|\s*\+\s*", re.I)
PRODUCT_BREAK = re.compile(r"\s+and\s+|\s*\+\s*|,\s*", re.I)
CONDITIONS = re.compile(r"[,;]?\s*(?:(?:catalys|catalyz)ed\s+by|in\s+the\s+presence\s+of|using|over|with\s+(?:an?\s+)?"
                        r"(?:catalyst|heat))\s+(?P<c>[^,;]{1,80})\s*$|\s*\((?P<p>[^()]{1,80})\)\s*$", re.I)
HEDGES = re.compile(r"^(?:mainly|mostly|only|predominantly|chiefly|the\s+product|a\s+mixture\s+of)\s+", re.I)


def prose_to_scheme(clause: str) -> tuple[list[str], list[str], str] | None:
    """(reactants, products, conditions) of a reaction written in words, or None when it reads as no reaction."""
    verb = PRODUCT_VERB.search(clause)
    if not verb:
        return None
    left, right = clause[:verb.start()], clause[verb.end():].strip(" .")
    left = left.split(":", 1)[1] if ":" in left else left  # 'The Diels-Alder reaction: A and B give C'
    conditions = []
    while (c := CONDITIONS.search(right)) is not None:
        conditions.insert(0, (c.group("c") or c.group("p")).strip())
        right = right[:c.start()].rstrip(" ,;")
    reactants = [r.strip(" ,.") for r in REACTANT_BREAK.split(REACTANT_LEAD.sub("", left, count=1)) if r.strip(" ,.")]
    products = [HEDGES.sub("", p.strip(" ,.")) for p in PRODUCT_BREAK.split(right) if p.strip(" ,.")]
    if not reactants or not products or len(reactants) > 4 or len(products) > 4:
        return None
    return reactants, products, ", ".join(conditions)


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

    def claims(self, clause: str) -> bool:
        return bool(ARROWS.search(clause)) or self.owns(clause)

    def owns(self, clause: str) -> bool:
        """A reaction in words is the whole clause (its 'and' and commas are not separate requests): every
        reactant and product names a compound the table knows, a formula, or a systematic name."""
        scheme = prose_to_scheme(clause)
        return scheme is not None and all(find_molecules(part)[0] or SYSTEMATIC_WORD.search(part)
                                          for side in scheme[:2] for part in side)

    def _component(self, part: str, ctx: PlanContext) -> Component:
        phrase = " ".join(w for w in part.split() if w.lower() not in FILLER).strip(" ,.;:")
        if not phrase:
            raise IvluError(f"An empty side in the reaction near {part!r}.", "'A + B -> C'",
                            "name each reactant and product")
        compound, is_formula = compound_of_formula(phrase)  # 'CH4', '2H2O' (the coefficient is not drawn)
        if compound is not None and only_a_formula(phrase):
            facts = ctx.describe(compound.smiles)
            return Component(name=compound.name, smiles=facts["smiles"], inchikey=facts["inchikey"])
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

    def plan(self, clause: str, ctx: PlanContext) -> list[ReactionSpec]:
        if not ARROWS.search(clause):
            reactants, products, conditions = prose_to_scheme(clause)
            step = ReactionSpec(reactants=[self._component(p, ctx) for p in reactants],
                                products=[self._component(p, ctx) for p in products], conditions=conditions)
            ctx.reasoning.append(f"Reaction scheme, read from words: {step.caption()}"
                                 + (f" ({conditions})" if conditions else ""))
            return [step]
        body = clause.split(":", 1)[1] if ":" in clause.split("->")[0] else clause
        match = ARROWS.search(body)
        left, right = body[:match.start()], body[match.end():]
        conditions = (match.group("cond") or "").strip()
        cond = re.search(r"\((?:conditions?:?\s*)?([^)]{1,80})\)\s*$", right)
        if cond:
            conditions, right = cond.group(1).strip(), right[:cond.start()]
        if ARROWS.search(right):
            raise IvluError("Multi-step schemes are not supported yet.", "one arrow: 'A + B -> C'",
                            "split the scheme into one request per step")
        step = ReactionSpec(reactants=[self._component(p, ctx) for p in left.split(" + ")],
                            products=[self._component(p, ctx) for p in right.split(" + ")],
                            conditions=conditions)
        ctx.reasoning.append(f"Reaction scheme: {step.caption()}" + (f" ({conditions})" if conditions else ""))
        return [step]

    def follow_up(self, clause: str, previous: list[dict], ctx: PlanContext, same_request: bool = False) -> None:
        return None
