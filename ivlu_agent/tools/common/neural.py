"""The spec fields and refinement shared by the steps the model's head draws (generate, edit)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, Field, StringConstraints

from ...types import Verdict
from ..base import ModelCheck, PlanRejected, StepSpec

STORE_PATH = r"^(objects/[0-9a-f]{2}/[0-9a-f]{64}\.(png|jpg))?$"


# Bounds live in the types, so they are part of the JSON schema the model writes under.
Word = Annotated[str, StringConstraints(min_length=1, max_length=40)]


Correction = Annotated[str, StringConstraints(max_length=300)]


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

    needs_model: ClassVar[bool] = True  # drawn by the model's head, through the engine
    # What code fills or refinement owns: a model planner never writes these.
    hidden_fields: ClassVar[frozenset[str]] = frozenset({
        "width", "height", "steps", "seed", "head_attempts", "pass_score", "corrections", "retouch",
        "retouch_instruction"})

    def render_timeout_s(self) -> float:
        return 900.0  # the first call loads the model in its worker

    def checked(self, check: ModelCheck) -> "NeuralSpec":
        """A model may ask the head to write only words the request asks to show."""
        words = " ".join(check.request.lower().split())
        unasked = [w for w in self.text if " ".join(w.lower().split()) not in words]
        if unasked:
            raise PlanRejected(f"text {unasked[0]!r} is not in the request; list only words the request "
                               "asks to show")
        return self

    def refine(self, verdicts: list[Verdict], attempt: int) -> tuple[StepSpec, str] | None:
        from ...prompts import neural_prompts

        phrases = neural_prompts()["corrections"]
        if attempt >= self.head_attempts:
            return self._give_up(attempt)
        failed = [v for v in verdicts if not v.passed and v.required]
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
