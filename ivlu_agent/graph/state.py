"""Graph state. Only references and small JSON live here: pixels stay in the artifact store."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict


def merge_results(old: dict | None, new: dict | None) -> dict:
    """Step results merge by step id; `None` clears them. A new turn overwrites them (`Overwrite`) with the
    results its plan keeps from the previous turn. Earlier turns live in the checkpoints, not in the state."""
    if new is None:
        return {}
    return {**(old or {}), **new}


def merge_dicts(old: dict | None, new: dict | None) -> dict:
    return {**(old or {}), **(new or {})}


class RunState(TypedDict, total=False):
    """One conversation thread. Each request on the thread is a turn."""

    request: str  # the current request
    images: list[dict]  # ArtifactRef dicts of images given with the request
    approve_plan: bool  # pause after planning until the plan is approved, edited or cancelled
    turn: int  # 1 for the first request on the thread
    plan: dict  # Plan.model_dump() of the current turn
    plan_request: str  # the request `plan` answers (kept when the next turn's request arrives)
    results: Annotated[dict[str, dict], merge_results]  # step id -> StepResult dict (current turn)
    figure: dict | None  # ArtifactRef dict of figure.png
    figure_svg: dict | None  # ArtifactRef dict of figure.svg, when every panel has an SVG
    timings: Annotated[dict[str, float], merge_dicts]  # seconds per phase of the current turn


class StepInput(TypedDict):
    step: dict  # the spec to render, as planned


class StepOutput(TypedDict):
    results: Annotated[dict[str, dict], merge_results]


class StepState(TypedDict, total=False):
    """One step's render → verify → refine loop, run as a subgraph per step (fan-out with Send)."""

    step: dict  # the spec as it will be rendered next (refine rewrites it)
    pending: dict[str, Any]  # the latest render: artifacts, meta, render_s, error, change
    attempts: Annotated[list[dict], operator.add]  # Attempt dicts, oldest first
    gave_up: bool  # refine had nothing left to try
    change: str  # what the last refinement changed
    results: Annotated[dict[str, dict], merge_results]
