"""Molecule step: a 2-D depiction of one compound, with optional functional-group highlights."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from ..chem import MAX_SMILES_CHARS
from ..types import Verdict
from .base import StepSpec

COLOR_RE = re.compile(r"^(#[0-9a-fA-F]{6}|[a-z]{3,20})$")


class Depiction(BaseModel):
    """How a structure is drawn. `refine` walks these settings when a raster check fails."""

    size: int = Field(default=600, ge=200, le=2000, description="Canvas width and height in pixels.")
    bond_length: float | None = Field(default=None, ge=10, le=200,
                                      description="Fixed bond length in pixels; None lets RDKit fit the canvas.")
    line_width: int = Field(default=2, ge=1, le=8, description="Bond line width in pixels.")
    font_scale: float = Field(default=1.0, ge=0.5, le=3.0, description="Scale of atom-label fonts.")
    explicit_hydrogens: bool = Field(default=False, description="Draw every hydrogen as an atom.")
    coordgen: bool = Field(default=True, description="Use CoordGen for 2-D coordinates (else RDKit's own).")
    atom_indices: bool = Field(default=False, description="Print atom indices next to atoms.")
    explicit_methyl: bool = Field(default=False, description="Write terminal methyls as CH3.")


# Settings tried in order when OSRA cannot read a drawing back (measured in STACK-NOTES and here).
DEPICTION_LADDER: list[tuple[dict, str]] = [
    ({"size": 500, "bond_length": 40, "line_width": 3}, "shorter, thicker bonds (bond length 40 px, width 3)"),
    ({"size": 600, "bond_length": 40, "line_width": 2, "explicit_hydrogens": True},
     "explicit hydrogens at bond length 40 px"),
    ({"size": 600, "bond_length": None, "line_width": 2, "explicit_hydrogens": False, "coordgen": False},
     "RDKit's own 2-D layout instead of CoordGen"),
    ({"size": 800, "bond_length": 50, "line_width": 3, "font_scale": 1.3, "coordgen": True},
     "a larger canvas with larger labels"),
]


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

    renderer = "ivlu_agent.tools.render_molecule:render_molecule"
    verifier = "ivlu_agent.tools.verify_molecule:verify_molecule"

    @field_validator("colors")
    @classmethod
    def _colors_are_names(cls, v: dict[str, str]) -> dict[str, str]:
        for group, color in v.items():
            if not COLOR_RE.match(color):
                raise ValueError(f"colour {color!r} for {group!r} must be a name like 'red' or '#rrggbb'")
        return v

    def caption(self) -> str:
        if self.title:
            return self.title
        return self.name or self.smiles

    def refine(self, verdicts: list[Verdict], attempt: int) -> tuple["MoleculeSpec", str] | None:
        failed = {v.verifier: v for v in verdicts if not v.passed}
        identity = failed.get("molecule.identity")
        if identity and identity.details.get("target_smiles"):
            fixed = self.model_copy(update={"smiles": identity.details["target_smiles"]})
            return fixed, "replaced the SMILES with the requested compound's structure"
        if "molecule.render" in failed or "molecule.osra" in failed or "molecule.highlight" in failed:
            if attempt - 1 < len(DEPICTION_LADDER):
                change, words = DEPICTION_LADDER[attempt - 1]
                depiction = self.depiction.model_copy(update=change)
                return self.model_copy(update={"depiction": depiction}), f"redrew with {words}"
        return None
