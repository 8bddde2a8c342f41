"""Lewis step: one compound or ion with every valence electron drawn (bond lines, lone-pair dots, charges)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from ...types import Verdict
from ..base import ModelCheck, PlanRejected, StepSpec, listed, one_line
from .electrons import MAX_HEAVY_ATOMS
from .species import ELEMENT_NAMES, by_key

MAX_LEWIS_SMILES = 300  # 40 heavy atoms fit easily
PIXEL_CHECKS = ("lewis.atoms", "lewis.bonds", "lewis.lone_pairs", "lewis.charges", "lewis.total")
BOND_LADDER = (100, 120, 140)  # bond lengths (px) to redraw at when the pixels do not read back


class LewisFacts(BaseModel):
    """What the structure holds, counted by RDKit in the worker when the step is planned (for the read-back)."""

    model_config = ConfigDict(extra="forbid")

    valence_electrons: int = Field(ge=0, le=800, description="Valence electrons of the species, charge included.")
    single: int = Field(ge=0, le=300, description="Single bonds, hydrogens included.")
    double: int = Field(ge=0, le=100, description="Double bonds (aromatic rings as one Kekulé form).")
    triple: int = Field(ge=0, le=100, description="Triple bonds.")
    lone_pairs: dict[str, int] = Field(default_factory=dict, max_length=20,
                                       description="Element symbol → lone pairs on atoms of that element.")
    charges: dict[str, int] = Field(default_factory=dict, max_length=20,
                                    description="'+1 N' → how many atoms carry that formal charge.")
    notes: list[str] = Field(default_factory=list, max_length=8,
                             description="Octet exceptions and resonance, in words ('incomplete octet on B').")
    heavy_atoms: int = Field(ge=0, le=MAX_HEAVY_ATOMS, description="Non-hydrogen atoms.")


class LewisSpec(StepSpec):
    """Draw the Lewis structure (electron-dot structure) of one compound or ion: bonds, lone pairs, charges."""

    kind: Literal["lewis"] = "lewis"
    name: str = Field(default="", max_length=120, description="Compound or ion as named ('water', 'nitrate'); "
                      "'' for a bare SMILES.")
    smiles: str = Field(min_length=1, max_length=MAX_LEWIS_SMILES,
                        description="SMILES of the structure; its bond orders and formal charges are drawn.")
    formula: str = Field(default="", max_length=60, description="Expected molecular formula, charge included.")
    inchikey: str = Field(default="", max_length=27, description="Expected InChIKey.")
    lone_pairs_on: list[str] = Field(default_factory=list, max_length=4,
                                     description="Element symbols whose lone pairs the request points at ('N'); "
                                                 "their dots are drawn in blue.")
    facts: LewisFacts | None = Field(default=None, description="Counts of the structure, filled by the planner.")
    bond_px: int = Field(default=80, ge=50, le=160, description="Bond length in pixels.")
    width: int = Field(default=0, ge=0, le=3000, description="Image width in pixels; 0 fits the structure. With "
                       "a width, bonds are lengthened or shortened to fill about that width, centred on exactly it.")

    size_field: ClassVar[str] = "width"
    renderer = "ivlu_agent.tools.lewis.render:render_lewis"
    verifier = "ivlu_agent.tools.lewis.verify:verify_lewis"
    hidden_fields: ClassVar[frozenset[str]] = frozenset({"formula", "inchikey", "facts", "bond_px"})
    style_fields: ClassVar[frozenset[str]] = frozenset({"bond_px"})

    def caption(self) -> str:
        return self.title or (f"{self.name} (Lewis structure)" if self.name else self.smiles)

    def describe(self) -> str:
        """'Lewis structure of water (H2O): 2 bonds, 2 lone pairs on O, 8 valence electrons'."""
        what = self.name or one_line(self.smiles, 60)
        line = f"Lewis structure of {what}" + (f" ({self.formula})" if self.formula else "")
        f = self.facts
        if f is None:
            return one_line(line)
        parts = [bonds_phrase(f.single, f.double, f.triple)]
        lone = sorted(f.lone_pairs.items(), key=lambda kv: -kv[1])
        if lone:
            parts.append(listed([f"{n} lone pair{'s' * (n != 1)} on {el}" if i == 0 else f"{n} on {el}"
                                 for i, (el, n) in enumerate(lone)], last=", "))
        else:
            parts.append("no lone pairs")
        if f.charges:
            signed = {k: k.split()[0].replace("-", "−") for k in f.charges}  # '+1 N' -> '+1', '−1'
            parts.append("charges " + ", ".join(f"{signed[k]} on {n} {k.split()[1]}" if n > 1 else
                                                       f"{signed[k]} on {k.split()[1]}" for k, n in f.charges.items()))
        parts.append(f"{f.valence_electrons} valence electrons")
        parts += f.notes
        if self.lone_pairs_on:
            parts.append("lone pairs on " + listed(self.lone_pairs_on) + " in blue")
        return one_line(line + ": " + ", ".join(parts))

    def checked(self, check: ModelCheck) -> "LewisSpec":
        """The model's SMILES parses and is the species it names (the Lewis table's ions, else the compounds')."""
        species = by_key().get(" ".join(self.name.lower().split()))
        if species is None:
            facts = check.compound(self.name, self.smiles)
        else:
            facts, target = check.compound("", self.smiles), check.compound("", species.smiles)
            if facts["inchikey"] != target["inchikey"]:
                raise PlanRejected(f"{self.smiles} is not {self.name}; its SMILES is {species.smiles}")
        if facts.get("heavy_atoms", 0) > MAX_HEAVY_ATOMS:
            raise PlanRejected(f"{self.name or self.smiles} has {facts['heavy_atoms']} heavy atoms; a Lewis "
                               f"structure is drawn for at most {MAX_HEAVY_ATOMS}")
        return self.model_copy(update={"smiles": facts["smiles"], "formula": facts["formula"],
                                       "inchikey": facts["inchikey"]})

    def compounds_drawn(self) -> set[str]:
        return {self.name.lower()} if self.name else set()

    def evidence(self) -> list[str]:
        """The spec's words, the other names of its compound, and the names of the elements it points at."""
        from ..common.chem import other_names

        key = " ".join(self.name.lower().split())
        out = super().evidence() + other_names(key)
        species = by_key().get(key)
        if species is not None:
            out += [species.name, *species.synonyms]
        from ..common.formulas import element_counts

        # the atoms drawn, by name ('the incomplete octet on boron'), and its lone pairs ('the lone pair on N')
        out += [ELEMENT_NAMES.get(symbol, symbol) for symbol in element_counts(self.formula.rstrip("+-0123456789"))]
        if self.facts is not None and self.facts.lone_pairs:
            out.append("lone pair pairs")
        return out

    def refine(self, verdicts: list[Verdict], attempt: int) -> tuple["LewisSpec", str] | None:
        failed = {v.verifier: v for v in verdicts if not v.passed}
        identity = failed.get("lewis.identity")
        if identity and identity.details.get("target_smiles"):
            fixed = self.model_copy(update={"smiles": identity.details["target_smiles"]})
            return fixed, "replaced the SMILES with the requested compound's structure"
        if any(name in failed for name in PIXEL_CHECKS) or "lewis.render" in failed:
            bigger = [px for px in BOND_LADDER if px > self.bond_px]
            if bigger:
                return self.model_copy(update={"bond_px": bigger[0]}), \
                    f"redrew with {bigger[0]} px bonds, leaving more room for the dots"
        return None


def bonds_phrase(single: int, double: int, triple: int) -> str:
    """'2 bonds' (all single), '2 double bonds', '3 bonds (1 double)', '11 bonds (3 double, 1 triple)'."""
    total = single + double + triple
    if not total:
        return "no bonds"
    multiple = [f"{n} {word}" for n, word in ((double, "double"), (triple, "triple")) if n]
    if len(multiple) == 1 and not single:  # every bond is double (CO2) or triple (N2)
        return f"{total} {multiple[0].split()[1]} bond{'s' * (total != 1)}"
    return f"{total} bond{'s' * (total != 1)}" + (f" ({', '.join(multiple)})" if multiple else "")
