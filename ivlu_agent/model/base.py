"""The engine protocol: what a planner/generator backend offers the graph.

Four operations: `plan` (every engine), and `generate`, `edit`, `judge` (engines with a neural
head). The symbolic engine plans only; InternVL-U implements all four; a remote engine later
implements the same protocol over HTTP.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from ..specs import Plan
from ..types import ArtifactRef


@runtime_checkable
class Engine(Protocol):
    name: str

    def plan(self, request: str, images: list[ArtifactRef], history: list[dict[str, Any]]) -> Plan:
        """Break a request into typed steps. `history` holds earlier turns of the thread
        (each: request, plan, results). Raises IvluError when the request cannot be planned."""
        ...


ENGINES = ("symbolic",)
