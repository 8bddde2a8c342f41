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

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from ..types import Verdict
from .base import StepSpec

STORE_PATH = r"^(objects/[0-9a-f]{2}/[0-9a-f]{64}\.(png|jpg))?$"
# Bounds live in the types, so they are part of the JSON schema the model writes under.
Word = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Correction = Annotated[str, StringConstraints(max_length=300)]
NEURAL_KINDS = ("generate", "edit")


class RubricPoint(BaseModel):
    """One GenExam-style scoring point: a yes/no question about the image, with a weight."""

    question: str = Field(min_length=1, max_length=200,
                          description="A yes/no question about the image; 'yes' means the point is met.")
    weight: float = Field(default=1.0, ge=0.0, le=1.0,
                          description="Relative weight; weights are normalised to sum to 1 when scored.")


class NeuralSpec(StepSpec):
    """Fields and refinement shared by the steps the model's head draws."""

    text: list[Word] = Field(default_factory=list, max_length=6,
                             description="Words that must be legible in the image; OCR checks each.")
    rubric: list[RubricPoint] = Field(default_factory=list, max_length=8,
                                      description="Scoring points the judge answers yes or no.")
    width: int = Field(default=512, ge=32, le=1024, description="Output width in pixels.")
    height: int = Field(default=512, ge=32, le=1024, description="Output height in pixels.")
    steps: int = Field(default=20, ge=1, le=50, description="Denoising steps.")
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Noise seed; refinement changes it.")
    head_attempts: int = Field(default=3, ge=1, le=5,
                               description="Attempts by the head before the step falls back (or stops).")
    pass_score: float = Field(default=0.6, ge=0.0, le=1.0,
                              description="Judge score needed when the judge gates the step.")
    corrections: list[Correction] = Field(default_factory=list, max_length=8,
                                   description="What refinement asked for; appended to the prompt.")
    retouch: str = Field(default="", pattern=STORE_PATH,
                         description="Store path of an earlier output to correct by an edit ('' for none).")
    retouch_instruction: str = Field(default="", max_length=300,
                                     description="The edit instruction applied to `retouch`.")

    needs_model: ClassVar[bool] = True  # renderer and verifier run in the model worker (graph/nodes.py)

    def render_timeout_s(self) -> float:
        return 900.0  # the first call loads the model in its worker

    def refine(self, verdicts: list[Verdict], attempt: int) -> tuple[StepSpec, str] | None:
        from ..prompts import neural_prompts

        phrases = neural_prompts()["corrections"]
        if attempt >= self.head_attempts:
            return self._give_up(attempt)
        failed = [v for v in verdicts if not v.passed]
        image = next((v.details.get("image") for v in verdicts if v.details.get("image")), "")
        misspelt = {k: w for v in failed for k, w in v.details.get("misread", {}).items()}
        if misspelt and image:
            wrong, right = next(iter(misspelt.items()))
            instruction = phrases["misspelt"].format(wrong=wrong, right=right)
            return (self.model_copy(update={"retouch": image, "retouch_instruction": instruction}),
                    f"edit the last image: {instruction}")
        fixes: list[str] = []
        for v in verdicts:  # the judge's "no" answers count even when it is only advisory
            for a in v.details.get("answers", []):
                if a["answer"] == "no":
                    fixes.append(phrases["rubric"].format(question=a["question"].rstrip("?")))
        for v in failed:
            for word in v.details.get("missing", []):
                fixes.append(phrases["missing_word"].format(word=word))
            prefix = v.verifier.split(".")[0]
            if prefix in phrases.get("by_kind", {}) and not v.details.get("answers"):
                fixes.append(phrases["by_kind"][prefix])
        fixes = list(dict.fromkeys(f[:300] for f in fixes if f not in self.corrections))
        corrections = (self.corrections + fixes)[-8:]
        new = self.model_copy(update={"corrections": corrections, "seed": (self.seed + 1) % 2**31,
                                      "retouch": "", "retouch_instruction": ""})
        said = "; ".join(fixes) if fixes else "no specific critique"
        return new, f"revised the prompt ({said}) and drew again with seed {new.seed}"

    def _give_up(self, attempt: int) -> tuple[StepSpec, str] | None:
        return None


class GenerateSpec(NeuralSpec):
    """Draw an image with the model's generation head."""

    kind: Literal["generate"] = "generate"
    prompt: str = Field(min_length=1, max_length=600, description="What to draw, in plain words.")
    think: bool = Field(default=False, description="Let the model write a short plan before drawing.")
    fallback: dict[str, Any] | None = Field(
        default=None, description="An exact spec (molecule, reaction, …) to render when the head's attempts fail.")

    renderer = "ivlu_agent.tools.render_generate:render_generate"
    verifier = "ivlu_agent.tools.verify_generate:verify_generate"

    @field_validator("fallback")
    @classmethod
    def _exact_fallback(cls, v: dict | None) -> dict | None:
        if v is None:
            return v
        from . import parse_step

        spec = parse_step(v)
        if getattr(spec, "needs_model", False):
            raise ValueError(f"a fallback must be an exact kind, not {spec.kind!r}")
        return spec.model_dump(mode="json")

    def caption(self) -> str:
        return self.title or self.prompt[:80]

    def full_prompt(self) -> str:
        return " ".join([self.prompt, *self.corrections])

    def fallback_spec(self) -> StepSpec | None:
        from . import parse_step

        if self.fallback is None:
            return None
        return parse_step({**self.fallback, "id": self.id, "title": self.fallback.get("title") or self.title,
                           "depends_on": self.depends_on})

    def _give_up(self, attempt: int) -> tuple[StepSpec, str] | None:
        exact = self.fallback_spec()
        if exact is None:
            return None
        return exact, (f"fell back to the exact {exact.kind} renderer after {attempt} head attempt(s) "
                       "failed verification")
