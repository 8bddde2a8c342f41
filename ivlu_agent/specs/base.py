"""The base of every step spec.

A spec is data written by a planner (possibly a model): trusted code renders it, every size is
bounded, and unknown fields are rejected. Each kind names its renderer and verifier as
"module:function" strings, run in the isolated worker, so adding a kind touches only its own
spec file, renderer, verifier and one line in `ivlu_agent/specs/__init__.py`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from ..types import Verdict


class StepSpec(BaseModel):
    """Fields every step has. Subclasses add `kind: Literal[...]` and their own fields."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default="", pattern=r"^[A-Za-z0-9_-]{0,32}$",
                    description="Step id, unique within the plan; the planner fills it ('s1', 's2', …).")
    title: str = Field(default="", max_length=200, description="Caption shown under the panel.")
    depends_on: list[str] = Field(default_factory=list, max_length=16,
                                  description="Ids of steps whose output this step needs; independent steps fan out.")

    renderer: ClassVar[str] = ""  # "module:function" taking (spec: dict) -> RenderOutput dict
    verifier: ClassVar[str] = ""  # "module:function" taking (spec: dict, files: dict[str, str]) -> list[dict]
    max_refinements: ClassVar[int] = 3

    def caption(self) -> str:
        return self.title or self.id

    def refine(self, verdicts: list[Verdict], attempt: int) -> tuple["StepSpec", str] | None:
        """Return a changed spec and a sentence saying what changed, or None when nothing is left to try.

        `attempt` is the number of the attempt that just failed (1 for the first render).
        """
        return None

    def render_timeout_s(self) -> float:
        return 60.0

    def summary(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_defaults=False)
