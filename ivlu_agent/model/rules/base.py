"""The interface every planner rule implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from ...specs import StepSpec


@dataclass
class PlanContext:
    """What rules may use while planning. `describe` parses SMILES in the isolated worker."""

    describe: Callable[[str], dict]
    call: Callable[..., Any]  # WorkerPool.call, for other checks that need a native library
    notes: list[str] = field(default_factory=list)  # things understood but not acted on
    reasoning: list[str] = field(default_factory=list)  # one line per decision, shown in the report


class Rule(Protocol):
    name: str

    def claims(self, clause: str) -> bool:
        """True when this rule can plan the clause (cheap: no native libraries)."""
        ...

    def plan(self, clause: str, ctx: PlanContext) -> list[StepSpec]:
        """Specs for the clause; raises IvluError with a clear message when it cannot."""
        ...

    def follow_up(self, clause: str, previous: list[dict], ctx: PlanContext) -> list[StepSpec] | None:
        """Rework the previous turn's steps of this kind for a follow-up, or None if not one."""
        ...
