"""The interface every planner rule implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from pydantic import ValidationError

from ...errors import IvluError
from ...specs import StepSpec


class BadRequest(IvluError):
    """The text is a request of the rule's kind, but it asks for something that cannot be drawn;
    planning stops here with this message."""


def owns_whole(rule: Any, text: str) -> bool:
    """True when `rule` reads the whole text as one request of its kind (so the router must not split it
    at commas): its `build(text)` succeeds, or fails as a bad request of that kind, which plan() reports."""
    if not rule.claims(text):
        return False
    try:
        rule.build(text)
    except (BadRequest, ValidationError):
        return True
    except (IvluError, ValueError):
        return False
    return True


@dataclass
class PlanContext:
    """What rules may use while planning. `describe` parses SMILES in the isolated worker."""

    describe: Callable[[str], dict]
    call: Callable[..., Any]  # WorkerPool.call, for other checks that need a native library
    notes: list[str] = field(default_factory=list)  # things understood but not acted on
    reasoning: list[str] = field(default_factory=list)  # one line per decision, shown in the report


class Rule(Protocol):
    """A planner rule. It may also define `owns(text) -> bool`: True when the whole text is one request
    of its kind, so the router keeps it whole instead of splitting it at commas or 'and'."""

    name: str

    def claims(self, clause: str) -> bool:
        """True when this rule can plan the clause (cheap: no native libraries)."""
        ...

    def plan(self, clause: str, ctx: PlanContext) -> list[StepSpec]:
        """Specs for the clause; raises IvluError with a clear message when it cannot."""
        ...

    def follow_up(self, clause: str, previous: list[dict], ctx: PlanContext,
                  same_request: bool = False) -> list[StepSpec] | None:
        """Rework earlier steps of this kind for a follow-up ('now highlight its carbonyls'), or None if
        the clause is not one. `previous` holds the previous turn's steps, or with `same_request` the steps
        planned so far in this request. Each rework keeps its original's `id`: the planner replaces the
        original with it."""
        ...
