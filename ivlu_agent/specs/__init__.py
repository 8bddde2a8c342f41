"""Step specs: one model per kind, joined into the `Step` union that plans are made of.

To add a kind: write its spec module here (naming its renderer and verifier), add its class to
`SPECS` below, and write the renderer and verifier in `ivlu_agent/tools/`. Nothing else changes.
"""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import BaseModel, Field, TypeAdapter

from .base import StepSpec
from .cad import CadSpec
from .diagram import DiagramSpec
from .edit import EditSpec
from .equation import EquationSpec
from .generate import GenerateSpec
from .molecule import Depiction, MoleculeSpec
from .plot import PlotSpec
from .reaction import Component, ReactionSpec
from .text import TextSpec

SPECS: list[type[StepSpec]] = [
    MoleculeSpec,
    ReactionSpec,
    EquationSpec,
    TextSpec,
    CadSpec,
    PlotSpec,
    DiagramSpec,
    GenerateSpec,  # neural: the model's head draws (needs_model)
    EditSpec,
]

KINDS: dict[str, type[StepSpec]] = {s.model_fields["kind"].default: s for s in SPECS}

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


_step_adapter: TypeAdapter = TypeAdapter(Step)


def parse_step(data: dict) -> StepSpec:
    """Validate a step dict (from state or a model) into its spec class."""
    return _step_adapter.validate_python(data)


__all__ = ["SPECS", "KINDS", "Step", "Plan", "StepSpec", "MoleculeSpec", "ReactionSpec", "CadSpec", "Component",
           "Depiction", "parse_step", "MAX_STEPS", "EquationSpec", "TextSpec"]
