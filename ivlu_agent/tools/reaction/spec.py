"""Reaction step: a scheme 'A + B -> C' drawn as one image."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from ...types import Verdict
from ..base import ModelCheck, StepSpec, one_line
from ..common.chem import MAX_SMILES_CHARS
from ..common.depict import DEPICTION_LADDER, Depiction


class Component(BaseModel):
    """One reactant or product."""

    name: str = Field(default="", max_length=120, description="Compound name, '' for a bare SMILES.")
    smiles: str = Field(min_length=1, max_length=MAX_SMILES_CHARS, description="Canonical SMILES.")
    inchikey: str = Field(default="", max_length=27, description="Expected InChIKey.")


class ReactionSpec(StepSpec):
    """Draw a reaction scheme."""

    kind: Literal["reaction"] = "reaction"
    reactants: list[Component] = Field(min_length=1, max_length=4)
    products: list[Component] = Field(min_length=1, max_length=4)
    conditions: str = Field(default="", max_length=80, description="Text over the arrow: reagents and catalysts, "
                            "e.g. 'conc. H2SO4'.")
    below: str = Field(default="", max_length=80, description="Text under the arrow: temperature, pressure, time, "
                       "solvent, e.g. '300 °C, 60 atm'.")
    depiction: Depiction = Field(default_factory=lambda: Depiction(size=400))

    style_fields: ClassVar[frozenset[str]] = frozenset({"depiction"})
    size_field: ClassVar[str] = "depiction.size"
    renderer = "ivlu_agent.tools.reaction.render:render_reaction"
    verifier = "ivlu_agent.tools.reaction.verify:verify_reaction"
    pixel_check = "ivlu_agent.tools.reaction.verify:check_pixels"
    hidden_fields: ClassVar[frozenset[str]] = frozenset({"depiction"})

    def caption(self) -> str:
        if self.title:
            return self.title
        name = lambda c: c.name or c.smiles  # noqa: E731
        return " + ".join(map(name, self.reactants)) + " → " + " + ".join(map(name, self.products))

    def describe(self) -> str:
        """'reaction: acetic acid + ethanol → ethyl acetate + water, over the arrow: H2SO4, heat'."""
        def side(components: list[Component]) -> str:
            return " + ".join(c.name or f"the molecule {one_line(c.smiles, 40)}" for c in components)

        line = f"reaction: {side(self.reactants)} → {side(self.products)}"
        line += f", over the arrow: {self.conditions}" if self.conditions else ""
        return one_line(line + (f", under the arrow: {self.below}" if self.below else ""))

    def checked(self, check: ModelCheck) -> "ReactionSpec":
        """Every component's SMILES parses and is the compound it names."""
        parts = {}
        for side in ("reactants", "products"):
            parts[side] = [c.model_copy(update={"smiles": f["smiles"], "inchikey": f["inchikey"]})
                           for c in getattr(self, side) for f in [check.compound(c.name, c.smiles)]]
        return self.model_copy(update=parts)

    def compounds_drawn(self) -> set[str]:
        return {c.name.lower() for c in self.reactants + self.products}

    def evidence(self) -> list[str]:
        """The spec's words, and the other names of every component's compound."""
        from ..common.chem import compounds

        out = super().evidence()
        for c in self.reactants + self.products:
            compound = compounds().get(c.name.lower())
            if compound is not None:
                out += [compound.name, *compound.synonyms, *compound.abbreviations, compound.formula]
        return out

    def refine(self, verdicts: list[Verdict], attempt: int) -> tuple["ReactionSpec", str] | None:
        if any(not v.passed and v.required and v.verifier in ("reaction.depiction", "reaction.osra", "reaction.render")
               for v in verdicts):
            if attempt - 1 < len(DEPICTION_LADDER):
                change, words = DEPICTION_LADDER[attempt - 1]
                change = {**change, "size": max(400, min(change.get("size", 400), 500))}
                return self.model_copy(update={"depiction": self.depiction.model_copy(update=change)}), \
                    f"redrew each structure with {words}"
        return None
