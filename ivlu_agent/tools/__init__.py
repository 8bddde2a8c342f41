"""The registry of figure kinds: one folder each, one line each below.

Each kind's folder holds its spec (what to draw, typed and bounded), its planner rule (words to specs),
its renderer and its verifier. The order of `REGISTRY` is the order of the `Step` union, so of the
JSON schema a model plans under; a rule's `priority` decides which rule reads a clause first.
"""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import BaseModel, Field

from ..types import Verdict
from .base import KINDS, Kind, StepSpec, parse_step, register
from .cad import CadRule, CadSpec
from .diagram import DiagramRule, DiagramSpec
from .edit import EditSpec
from .equation import EquationRule, EquationSpec
from .generate import GenerateSpec
from .lewis import LewisRule, LewisSpec
from .model3d import Model3dRule, Model3dSpec
from .molecule import MoleculeRule, MoleculeSpec
from .plot import PlotRule, PlotSpec
from .reaction import ReactionRule, ReactionSpec
from .text import TextRule, TextSpec

REGISTRY: list[Kind] = [
    register(MoleculeSpec, MoleculeRule()),
    register(LewisSpec, LewisRule()),
    register(ReactionSpec, ReactionRule()),
    register(EquationSpec, EquationRule()),
    register(TextSpec, TextRule()),
    register(CadSpec, CadRule()),
    register(PlotSpec, PlotRule()),
    register(DiagramSpec, DiagramRule()),
    register(Model3dSpec, Model3dRule()),
    register(GenerateSpec),  # the model's head draws; no rule: model planners and routing write these
    register(EditSpec),
]

SPECS: list[type[StepSpec]] = [k.spec for k in REGISTRY]
RULES = sorted((k.rule for k in REGISTRY if k.rule is not None), key=lambda r: r.priority)
Step = Annotated[Union[tuple(SPECS)], Field(discriminator="kind")]  # type: ignore[valid-type]
MAX_STEPS = 12


class Plan(BaseModel):
    """What the planner decided: ordered steps and why."""

    reasoning: str = Field(default="", max_length=8000, description="The planner's reasoning, shown in the report.")
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS, description="Steps in order; ids are unique.")
    notes: list[str] = Field(default_factory=list, max_length=32,
                             description="Things the planner understood but could not act on.")
    planner: str = Field(default="", max_length=40,
                         description="Who made the steps: '' or 'symbolic' (rules), 'internvlu' (the model), "
                                     "or the fallback that planned after the model's plans failed validation.")
    unhonoured: list[str] = Field(default_factory=list, max_length=16,
                                  description="What the request asks of the arrangement that the figure cannot "
                                              "honour ('inside the poster'); plan.faithful names each and fails.")
    accounted: list[Annotated[str, Field(max_length=1000)]] = Field(
        default_factory=list, max_length=64, description="Words of a follow-up that the edit itself consumed "
        "(the verb, the replaced or removed entity): plan.faithful counts them as understood.")
    faithful: Verdict | None = Field(default=None, description="Whether the steps account for every word and "
                                     "number of the request (planning/faithful.py); a failed one keeps the run "
                                     "from being verified.")


__all__ = ["REGISTRY", "SPECS", "RULES", "KINDS", "Step", "Plan", "StepSpec", "parse_step", "MAX_STEPS"]
