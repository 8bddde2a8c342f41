"""ivlu-agent: figures that are verified to be right.

    from ivlu_agent import Agent
    result = Agent().run("draw caffeine with its methyl groups highlighted", out="out")

Heavy libraries (RDKit, LangGraph, torch) load only when a run needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Agent", "RunResult", "StepResult", "Verdict", "ArtifactRef", "Event", "Plan", "Version", "IvluError",
           "NeedsInput"]

if TYPE_CHECKING:
    from .agent import Agent
    from .errors import IvluError, NeedsInput
    from .tools import Plan
    from .types import ArtifactRef, Event, RunResult, StepResult, Verdict, Version

_WHERE = {"Agent": "agent", "IvluError": "errors", "Plan": "tools", "RunResult": "types",
          "StepResult": "types", "Verdict": "types", "ArtifactRef": "types", "Event": "types", "Version": "types",
          "NeedsInput": "errors"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'ivlu_agent' has no attribute {name!r}")
