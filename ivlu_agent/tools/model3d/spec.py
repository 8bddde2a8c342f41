"""Model3d step: a 3-D ball-and-stick model of one compound, seen from a stated viewpoint."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ...types import Verdict
from ..base import ModelCheck, StepSpec, listed, one_line
from ..common.chem import MAX_SMILES_CHARS

MAX_HEAVY_ATOMS = 150  # past this a ball-and-stick model is a tangle of balls
TOLERANCE_DEG = 8.0  # how far a centre's mean bond angle may be from its VSEPR ideal
SEED = 42  # ETKDG's random seed: the same request gives the same conformer
Shape = Literal["", "linear", "bent", "trigonal planar", "trigonal pyramidal", "tetrahedral", "trigonal bipyramidal",
                "seesaw", "T-shaped", "octahedral", "square pyramidal", "square planar"]


class Model3dSpec(StepSpec):
    """Draw a 3-D ball-and-stick model of one molecule (RDKit conformer, CPK colours, element key)."""

    kind: Literal["model3d"] = "model3d"
    name: str = Field(default="", max_length=120, description="Compound name as requested, '' for a bare SMILES.")
    smiles: str = Field(min_length=1, max_length=MAX_SMILES_CHARS, description="Canonical SMILES of the compound.")
    formula: str = Field(default="", max_length=100, description="Expected molecular formula (Hill notation).")
    inchikey: str = Field(default="", max_length=27, description="Expected InChIKey of the requested compound.")
    elevation: float | None = Field(default=None, ge=-90, le=90, description="Viewpoint above the model's "
                                    "principal plane, in degrees; None: the planner picks the least occluded view.")
    azimuth: float | None = Field(default=None, ge=-360, le=360, description="Viewpoint round the model's "
                                  "vertical axis, in degrees; None: the planner picks the least occluded view.")
    view_chosen: bool = Field(default=False, description="The viewpoint was chosen by code to hide the fewest "
                              "balls, not asked for.")
    size: int = Field(default=800, ge=200, le=2000, description="Side of the square image in pixels.")
    asked_shape: Shape = Field(
        default="", description="The VSEPR shape the words name ('the tetrahedral shape of methane'); '' if none.")
    shapes: list[str] = Field(default_factory=list, max_length=3, description="The VSEPR shape of each centre of a "
                              "small molecule, 'C1 tetrahedral' (filled by the planner, read back in describe).")
    force_field: Literal["MMFF94", "UFF"] = Field(default="MMFF94", description="Force field that optimises "
                                                  "the conformer (UFF where MMFF94 has no parameters).")
    seed: int = Field(default=SEED, ge=0, le=2**31 - 1, description="ETKDG's random seed.")

    style_fields: ClassVar[frozenset[str]] = frozenset({"size", "force_field", "seed"})
    size_field: ClassVar[str] = "size"
    renderer = "ivlu_agent.tools.model3d.render:render_model3d"
    verifier = "ivlu_agent.tools.model3d.verify:verify_model3d"
    hidden_fields: ClassVar[frozenset[str]] = frozenset({"formula", "inchikey", "view_chosen", "shapes",
                                                         "force_field", "seed"})

    def caption(self) -> str:
        return self.title or f"{self.name or self.smiles} (ball and stick)"

    def viewpoint(self) -> str:
        if self.elevation is None or self.azimuth is None:
            return "the least occluded viewpoint"
        return f"elevation {self.elevation:g}°, azimuth {self.azimuth:g}°"

    def describe(self) -> str:
        """'ball-and-stick model of methane (CH4), viewed from elevation 20°, azimuth 30°; C1 tetrahedral'."""
        what = self.name or f"the molecule {one_line(self.smiles, 60)}"
        line = f"ball-and-stick model of {what}" + (f" ({self.formula})" if self.formula else "")
        line += f", viewed from {self.viewpoint()}"
        if self.shapes:
            line += "; " + listed(self.shapes, 3)
        if self.asked_shape:
            line += f"; {self.asked_shape} shape asked for"
        return one_line(line)

    def checked(self, check: ModelCheck) -> "Model3dSpec":
        """The model's SMILES parses and is the compound it names; the facts come from RDKit."""
        facts = check.compound(self.name, self.smiles)
        return self.model_copy(update={"smiles": facts["smiles"], "formula": facts["formula"],
                                       "inchikey": facts["inchikey"]})

    def compounds_drawn(self) -> set[str]:
        return {self.name.lower()}

    def evidence(self) -> list[str]:
        """The spec's words, the compound's other names, and the viewpoint only when the words gave it."""
        from ..common.chem import other_names

        out = [e for e in super().evidence() if e not in ("elevation", "azimuth", "view chosen")]
        if self.view_chosen:  # numbers code chose account for no number of the request
            drop = {f"{v:g}" for v in (self.elevation, self.azimuth) if v is not None}
            out = [e for e in out if e not in drop]
        else:
            out += ["elevation", "azimuth", "viewed from degrees"]
        out += ["3-D 3D three-dimensional", "ball-and-stick balls and sticks"]
        return out + other_names(self.name.lower())

    def refine(self, verdicts: list[Verdict], attempt: int) -> tuple["Model3dSpec", str] | None:
        failed = {v.verifier for v in verdicts if not v.passed}
        if "model3d.angles" in failed and self.force_field == "MMFF94":
            return self.model_copy(update={"force_field": "UFF"}), "re-optimised the conformer with UFF"
        if "model3d.angles" in failed and self.seed == SEED:
            return self.model_copy(update={"seed": SEED + 1}), "embedded a new conformer (another ETKDG seed)"
        return None
