
import re

from ...errors import IvluError
from ..base import PlanContext
from ..common.chem import lookup_compound
from ..common.names import ARROWS, FILLER, SYSTEMATIC_WORD, looks_like_smiles
from .spec import Component, ReactionSpec

# Directive words this rule understands; the plan.faithful check counts them as accounted for.
VOCABULARY = frozenset(FILLER) | {"react", "reacts", "reacting", "reacted", "with", "give", "gives", "giving", "yield",
                                         "yields", "yielding", "form", "forms", "forming", "produce", "produces", "producing", "catalysed",
                                         "catalyzed", "catalyst", "conditions", "condition", "arrow", "over", "equation", "scheme"}


class ReactionRule:
    """'acetic acid + ethanol ->[H2SO4] ethyl acetate + water'."""

    name = "reaction"
    priority = 40
    examples = (  # what the planner lists when it understands nothing in a request
        "reaction schemes ('acetic acid + ethanol -> ethyl acetate + water')"
    )
    vocabulary = VOCABULARY

    def claims(self, clause: str) -> bool:
        return bool(ARROWS.search(clause))

    def _component(self, part: str, ctx: PlanContext) -> Component:
        phrase = " ".join(w for w in part.split() if w.lower() not in FILLER).strip(" ,.;:")
        if not phrase:
            raise IvluError(f"An empty side in the reaction near {part!r}.", "'A + B -> C'",
                            "name each reactant and product")
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
