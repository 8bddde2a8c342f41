"""The two protocols the graph works with: a planner, and a neural engine (the one door to the model).

- `Planner.plan` breaks a request into typed steps. The symbolic planner (rules) and the model
  planner (InternVL-U's chain of thought, schema-guided) implement it.
- `NeuralEngine` draws, edits and judges with a model's head, and writes text and JSON for the model
  planner. InternVL-U (`ivlu_agent.model.engine.InternVLUEngine`) implements it in a worker process it
  owns; a remote engine implements the same calls over HTTP. Kinds that the head draws receive the
  engine (their renderer) or its `judge` (their verifier); nothing else reaches the model.

Images cross the protocol as PNG bytes (or a path going in), never as tensors, so the same calls
work in a worker process or over the network; graph state only ever holds store references.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..tools import Plan
from ..types import ArtifactRef, HeadImage, JudgeAnswer


@runtime_checkable
class Planner(Protocol):
    name: str

    def plan(self, request: str, images: list[ArtifactRef], history: list[dict[str, Any]],
             answers: dict[str, str] | None = None) -> Plan:
        """Break a request into typed steps. `history` holds the thread's previous turn, if any (request,
        plan, results): a follow-up edits it. `answers` settle questions asked before (`NeedsInput`, by key).
        Raises IvluError when the request cannot be planned, NeedsInput when it must ask."""
        ...


@runtime_checkable
class NeuralEngine(Protocol):
    """A model with a generation head and a judge (InternVL-U here; a remote server later)."""

    name: str

    def generate(self, prompt: str, *, width: int, height: int, steps: int, seed: int,
                 think: bool = False) -> HeadImage:
        """An image drawn for the prompt."""
        ...

    def edit(self, image: str | Path | bytes, instruction: str, *, width: int = 0, height: int = 0,
             steps: int = 20, seed: int = 0) -> HeadImage:
        """`image` changed as `instruction` says (0 keeps the source's size)."""
        ...

    def judge(self, image: str | Path | bytes, questions: list[str]) -> list[JudgeAnswer]:
        """One yes/no answer with a rationale per question."""
        ...

    def think(self, prompt: str, images: list[str], max_new_tokens: int) -> str:
        """Free text (the planner's chain of thought)."""
        ...

    def write_json(self, prompt: str, images: list[str], prefix: str, schema: dict, max_tokens: int) -> dict:
        """{"value", "text", "tokens", "seconds"}: a JSON document decoded under `schema`."""
        ...

    def close(self) -> None:
        ...
