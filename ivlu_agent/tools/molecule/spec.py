"""Molecule step: a 2-D depiction of one compound, with optional functional-group highlights."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator

from ...types import Verdict
from ..base import CliCheck, ModelCheck, StepSpec, listed, one_line
from ..common.chem import MAX_SMILES_CHARS
from ..common.depict import COLOR_RE, DEPICTION_LADDER, Depiction


class MoleculeSpec(StepSpec):
    """Draw one molecule."""

    kind: Literal["molecule"] = "molecule"
    name: str = Field(default="", max_length=120, description="Compound name as requested, '' for a bare SMILES.")
    smiles: str = Field(min_length=1, max_length=MAX_SMILES_CHARS,
                        description="Canonical SMILES of the structure to draw.")
    formula: str = Field(default="", max_length=100, description="Expected molecular formula (Hill notation).")
    inchikey: str = Field(default="", max_length=27, description="Expected InChIKey of the requested compound.")
    highlight: list[str] = Field(default_factory=list, max_length=8,
                                 description="Functional groups to highlight, by name (see functional_groups.tsv).")
    label_groups: bool = Field(default=False, description="Write each highlighted group's name next to it.")
    colors: dict[str, str] = Field(default_factory=dict, max_length=8,
                                   description="Group name → colour ('red' or '#rrggbb'); defaults otherwise.")
    depiction: Depiction = Field(default_factory=Depiction)
    displayed: bool = Field(default=False, description="Draw every atom and bond (a displayed formula): "
                            "hydrogens are drawn, and refinement keeps them.")

    style_fields: ClassVar[frozenset[str]] = frozenset({"depiction"})
    size_field: ClassVar[str] = "depiction.size"
    renderer = "ivlu_agent.tools.molecule.render:render_molecule"
    verifier = "ivlu_agent.tools.molecule.verify:verify_molecule"
    pixel_check = "ivlu_agent.tools.molecule.verify:check_pixels"
    hidden_fields: ClassVar[frozenset[str]] = frozenset({"formula", "inchikey", "depiction", "displayed"})
    cli = CliCheck("--molecule", "compound name or SMILES the image should show",
                   "ivlu_agent.tools.molecule.rule:verify_target")

    @field_validator("colors")
    @classmethod
    def _colors_are_names(cls, v: dict[str, str]) -> dict[str, str]:
        for group, color in v.items():
            if not COLOR_RE.match(color):
                raise ValueError(f"colour {color!r} for {group!r} must be a name like 'red' or '#rrggbb'")
        return v

    def carry_over(self, old: StepSpec, ctx) -> "MoleculeSpec":
        """Replacing `old`: its highlights (those this compound has), colours, labels and canvas carry over."""
        spec = super().carry_over(old, ctx)
        if not isinstance(old, MoleculeSpec) or not old.highlight or self.highlight:
            return spec
        present = ctx.describe(self.smiles)["groups"]
        kept = [g for g in old.highlight if present.get(g, 0) > 0]
        for g in old.highlight:
            if g not in kept:
                ctx.notes.append(f"{self.caption()} has no {g} group to highlight")
        return spec.model_copy(update={"highlight": kept, "colors": {g: c for g, c in old.colors.items() if g in kept},
                                       "label_groups": old.label_groups and bool(kept)})

    def style_notes(self) -> list[str]:
        width = self.depiction.line_width
        extra = [] if width == Depiction().line_width else [f"bond width {width} px ({'thicker' if width > 2 else 'thinner'})"]
        return [*super().style_notes(), *extra]

    def caption(self) -> str:
        if self.title:
            return self.title
        return self.name or self.smiles

    def describe(self) -> str:
        """'caffeine (C8H10N4O2), methyl groups highlighted in red and labelled'; 'the molecule CC(=O)O (C2H4O2)'."""
        from ..common.chem import compounds

        compound = compounds().get(self.name.lower()) if self.name else None
        formula = compound.formula if compound is not None else self.formula
        what = self.name or f"the molecule {one_line(self.smiles, 60)}"
        line = ("displayed formula of " if self.displayed else "") + what + (f" ({formula})" if formula else "")
        if self.title and self.title != self.name:  # a stereoisomer's label ('cis-but-2-ene (Z)')
            line += f", captioned '{self.title}'"
        groups = list(dict.fromkeys([*self.highlight, *self.colors]))
        if groups:
            shades = {self.colors.get(g) for g in groups}
            if len(shades) == 1:  # one colour (or the defaults) for every group
                shade = shades.pop()
                line += f", {listed(groups)} groups highlighted" + (f" in {shade}" if shade else "")
            else:
                line += ", " + listed([f"{g} ({self.colors[g]})" if g in self.colors else g for g in groups]) \
                    + " groups highlighted"
            line += " and labelled" if self.label_groups else ""
        return one_line(line)

    def checked(self, check: ModelCheck) -> "MoleculeSpec":
        """The model's SMILES parses and is the compound it names; the facts come from RDKit."""
        facts = check.compound(self.name, self.smiles)
        return self.model_copy(update={"smiles": facts["smiles"], "formula": facts["formula"],
                                       "inchikey": facts["inchikey"]})

    def compounds_drawn(self) -> set[str]:
        return {self.name.lower()}

    def evidence(self) -> list[str]:
        """The spec's words, and the other names of its compound and of its highlighted groups."""
        from ..common.chem import STEREO_DESCRIPTOR, groups, other_names

        out = super().evidence()
        # a stereoisomer panel '(S)-2-butanol' accounts for its compound's names too
        out += other_names(self.name.lower()) or other_names(STEREO_DESCRIPTOR.sub("", self.name.lower()))
        if self.displayed:
            out += ["displayed formula with every atom and bond", "carbon hydrogen oxygen nitrogen sulfur sulphur "
                    "phosphorus chlorine bromine iodine fluorine atoms hydrogens bonds"]
        for g in [*self.highlight, *self.colors]:
            group = groups().get(g)
            if group is not None:
                out += [group.name, *group.synonyms]
        return out

    def refine(self, verdicts: list[Verdict], attempt: int) -> tuple["MoleculeSpec", str] | None:
        failed = {v.verifier: v for v in verdicts if not v.passed and v.required}
        identity = failed.get("molecule.identity")
        if identity and identity.details.get("target_smiles"):
            fixed = self.model_copy(update={"smiles": identity.details["target_smiles"]})
            return fixed, "replaced the SMILES with the requested compound's structure"
        if {"molecule.render", "molecule.depiction", "molecule.osra", "molecule.highlight"} & set(failed):
            if attempt - 1 < len(DEPICTION_LADDER):
                change, words = DEPICTION_LADDER[attempt - 1]
                if self.displayed:  # a displayed formula keeps its hydrogens on every rung
                    change = {**change, "explicit_hydrogens": True}
                depiction = self.depiction.model_copy(update=change)
                return self.model_copy(update={"depiction": depiction}), f"redrew with {words}"
        return None
