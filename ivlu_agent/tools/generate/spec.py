"""Generate step: InternVL-U's head draws an image from a prompt (open imagery, or a neural attempt at
an exact kind when `fallback` holds that kind's spec).

What is verified:
  - the exact raster check of the fallback's kind, on the head's pixels (OSRA for a molecule…);
  - OCR of every word in `text`;
  - the judge: the model answers each rubric question yes or no; the weighted share of yes is the score.
    The judge gates a step only when no exact check applies (open imagery); next to an exact check it is
    advisory, so a judge that guesses cannot fail a render that OSRA or OCR has verified.

Refinement (`refine`, plain code): the failed checks become corrections. A misspelt word becomes an
edit of the last image ("the word 'Quantun' is misspelt; change it to 'Quantum'"); anything else a
revised prompt and a new seed. After `head_attempts` attempts the step falls back to the exact spec.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from ..base import StepSpec, listed, one_line, parse_step
from ..common.neural import NeuralSpec


class GenerateSpec(NeuralSpec):
    """Draw an image with the model's generation head."""

    kind: Literal["generate"] = "generate"
    prompt: str = Field(min_length=1, max_length=600, description="What to draw, in plain words.")
    think: bool = Field(default=False, description="Let the model write a short plan before drawing.")
    fallback: dict[str, Any] | None = Field(
        default=None, description="An exact spec (molecule, reaction, …) to render when the head's attempts fail.")

    renderer = "ivlu_agent.tools.generate.render:render_generate"
    verifier = "ivlu_agent.tools.generate.verify:verify_generate"
    hidden_fields: ClassVar[frozenset[str]] = NeuralSpec.hidden_fields | {"fallback", "think"}

    @field_validator("fallback")
    @classmethod
    def _exact_fallback(cls, v: dict | None) -> dict | None:
        if v is None:
            return v
        spec = parse_step(v)
        if spec.needs_model:
            raise ValueError(f"a fallback must be an exact kind, not {spec.kind!r}")
        return spec.model_dump(mode="json")

    def caption(self) -> str:
        return self.title or self.prompt[:80]

    def describe(self) -> str:
        """"image from the prompt: 'a red fox in snow', showing the words 'Fox'"; with a fallback, what it is."""
        line = f"image from the prompt: '{one_line(self.prompt, 90)}'"
        if self.text:
            line += ", showing the words " + listed([f"'{w}'" for w in self.text], 4)
        exact = self.fallback_spec()
        if exact is not None:
            line += f"; if the model cannot draw it, the exact {exact.kind}: {exact.describe()}"
        return one_line(line)

    def full_prompt(self) -> str:
        return " ".join([self.prompt, *self.corrections])

    def fallback_spec(self) -> StepSpec | None:
        if self.fallback is None:
            return None
        return parse_step({**self.fallback, "id": self.id, "title": self.fallback.get("title") or self.title,
                           "depends_on": self.depends_on})

    def compounds_drawn(self) -> set[str]:
        exact = self.fallback_spec() if self.fallback else None
        return exact.compounds_drawn() if exact is not None else set()

    def _give_up(self, attempt: int) -> tuple[StepSpec, str] | None:
        exact = self.fallback_spec()
        if exact is None:
            return None
        return exact, (f"fell back to the exact {exact.kind} renderer after {attempt} head attempt(s) "
                       "failed verification")
