"""The engine protocol: what a planner/generator backend offers the graph.

Four operations: `plan` (every engine), and `generate`, `edit`, `judge` (engines with a neural
head). The symbolic engine plans only; InternVL-U (`internvlu_engine.InternVLUEngine`) implements all
four; a remote engine later implements the same protocol over HTTP.

Images cross the protocol as PNG bytes (or a path going in), never as tensors, so the same calls
work in a worker process or over the network; graph state only ever holds store references.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from ..specs import Plan
from ..types import ArtifactRef


class JudgeAnswer(BaseModel):
    """The judge's answer to one yes/no question about an image."""

    question: str = Field(max_length=400, description="The question as asked.")
    answer: Literal["yes", "no"] = Field(description="'yes' when the image meets the point.")
    rationale: str = Field(default="", max_length=400, description="Why, in a sentence (the model's words).")


@runtime_checkable
class Engine(Protocol):
    name: str

    def plan(self, request: str, images: list[ArtifactRef], history: list[dict[str, Any]]) -> Plan:
        """Break a request into typed steps. `history` holds earlier turns of the thread
        (each: request, plan, results). Raises IvluError when the request cannot be planned."""
        ...


@runtime_checkable
class NeuralEngine(Engine, Protocol):
    """An engine with a generation head and a judge (InternVL-U here; a remote server later)."""

    def generate(self, spec: Any) -> bytes:
        """PNG bytes of an image drawn for a GenerateSpec."""
        ...

    def edit(self, image: str | Path | bytes, instruction: str) -> bytes:
        """PNG bytes of `image` changed as `instruction` says."""
        ...

    def judge(self, image: str | Path | bytes, questions: list[str]) -> list[JudgeAnswer]:
        """One yes/no answer with a rationale per question."""
        ...
