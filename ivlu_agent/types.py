"""Core result types shared by the graph, the CLI and the Python API.

Specs (what to draw) live with their kinds in `ivlu_agent.tools`; these are the records of what happened,
and what the model's head hands back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ArtifactRef(BaseModel):
    """A file in the content-addressed artifact store. Graph state holds these, never pixels."""

    model_config = ConfigDict(frozen=True)

    sha256: str = Field(description="Hex SHA-256 of the file's bytes; also its identity in the store.")
    path: str = Field(description="Path relative to the store root, e.g. 'objects/ab/abcd….png'.")
    mime: str = Field(description="MIME type, e.g. 'image/png', 'image/svg+xml', 'model/step'.")
    width: int | None = Field(default=None, description="Pixel width for raster images, else None.")
    height: int | None = Field(default=None, description="Pixel height for raster images, else None.")
    name: str = Field(default="", description="Role of the file within its step, e.g. 'main.png', 'top.svg'.")


class Verdict(BaseModel):
    """One verifier's decision about one artifact or spec."""

    verifier: str = Field(description="Which check made this verdict, e.g. 'molecule.identity', 'molecule.osra'.")
    passed: bool = Field(description="True when the check holds.")
    score: float = Field(default=0.0, ge=0.0, le=1.0, description="Confidence or similarity in [0, 1].")
    checked: str = Field(default="", description="What was compared, in words.")
    message: str = Field(default="", description="What is wrong and what to do about it, for a person.")
    details: dict[str, Any] = Field(default_factory=dict, description="Machine-readable facts (InChIKeys, counts…).")
    required: bool = Field(default=True, description="False for a second reader's report (OSRA beside the "
                           "depiction certificate): shown with the others, but it never decides a step's status.")


class HeadImage(BaseModel):
    """An image drawn or edited by the model's head, as the engine hands it back."""

    png: bytes = Field(description="The image, PNG-encoded.")
    meta: dict[str, Any] = Field(default_factory=dict,
                                 description="Facts of the call: mode, prompt, seed, model seconds, thoughts.")


class JudgeAnswer(BaseModel):
    """The judge's answer to one yes/no question about an image."""

    question: str = Field(max_length=400, description="The question as asked.")
    answer: Literal["yes", "no"] = Field(description="'yes' when the image meets the point.")
    rationale: str = Field(default="", max_length=400, description="Why, in a sentence (the model's words).")


StepStatus = Literal["pending", "verified", "unverified", "failed"]
RunStatus = Literal["verified", "unverified", "failed", "needs_input"]


class Attempt(BaseModel):
    """One render-and-verify round of a step."""

    number: int = Field(description="1 for the first render; each refinement adds one.")
    spec: dict[str, Any] = Field(description="The spec as rendered in this attempt (after refinement).")
    artifacts: list[ArtifactRef] = Field(default_factory=list)
    verdicts: list[Verdict] = Field(default_factory=list)
    render_s: float = Field(default=0.0, description="Seconds spent inside the renderer (in its worker).")
    verify_s: float = Field(default=0.0, description="Seconds spent inside the verifiers (in their worker).")
    change: str = Field(default="", description="What refinement changed before this attempt.")

    @property
    def passed(self) -> bool:
        counted = [v for v in self.verdicts if v.required]
        return bool(counted) and all(v.passed for v in counted)


class StepResult(BaseModel):
    """The outcome of one plan step after all its attempts."""

    id: str = Field(description="Step id, unique within the thread, e.g. 's1'.")
    kind: str = Field(description="Step kind: 'molecule', 'reaction', …")
    title: str = Field(default="", description="Caption under the panel.")
    describe: str = Field(default="", description="What the plan asked this step to draw, in one line of plain "
                                                  "English (its spec's `describe()`): the read-back of what was "
                                                  "understood.")
    spec: dict[str, Any] = Field(description="The final spec (molecule specs carry canonical `smiles`).")
    status: StepStatus = Field(description="verified, unverified (budget spent) or failed (could not render).")
    attempts: list[Attempt] = Field(default_factory=list)
    fallback: str = Field(default="", description="Set when the model's head failed and the exact renderer "
                                                  "drew the step instead: what happened, in words.")

    @property
    def artifacts(self) -> list[ArtifactRef]:
        return self.attempts[-1].artifacts if self.attempts else []

    @property
    def verdicts(self) -> list[Verdict]:
        return self.attempts[-1].verdicts if self.attempts else []


class RunResult(BaseModel):
    """What `Agent.run` returns and what `result.json` holds."""

    status: RunStatus = Field(description="verified when every step is and the plan accounts for the whole request, "
                                          "failed when none rendered, else unverified.")
    request: str
    thread_id: str
    reasoning: str = Field(default="", description="The planner's reasoning text.")
    planner: str = Field(default="", description="Who planned: 'symbolic', 'internvlu', or the fallback used.")
    faithful: Verdict | None = Field(default=None, description="plan.faithful: whether the plan accounts for every "
                                     "word and number of the request; failed, it lists what was not understood.")
    notes: list[str] = Field(default_factory=list, description="What the planner assumed (drafting conventions) or "
                             "understood but did not act on; printed in the summary and report.md.")
    figure: ArtifactRef | None = Field(default=None, description="The composed figure PNG.")
    figure_svg: ArtifactRef | None = Field(default=None, description="The composed SVG, when every panel has one.")
    steps: list[StepResult] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per phase: plan, steps, compose, total.")
    home: str = Field(default="", description="The agent home holding the artifact store.")
    out_dir: str | None = Field(default=None, description="Where figure.png, report.md and result.json were written.")
    question: dict[str, Any] | None = Field(default=None, description="With status needs_input: what the paused run "
                                            "asks ('question', proposed 'options'; 'plan' for a plan to approve). "
                                            "Answer with `Agent.answer(thread_id, value)`.")

    @property
    def exit_code(self) -> int:
        return {"verified": 0, "needs_input": 2}.get(self.status, 1)

    def to_json_dict(self) -> dict[str, Any]:
        """The documented result.json schema (see README)."""
        def art(a: ArtifactRef, rel: str | None = None) -> dict[str, Any]:
            return {"path": rel or a.path, "sha256": a.sha256, "mime": a.mime, "width": a.width, "height": a.height}

        return {
            "status": self.status,
            **({"question": self.question} if self.question else {}),
            "request": self.request,
            "thread_id": self.thread_id,
            "reasoning": self.reasoning,
            "planner": self.planner or None,
            "notes": self.notes,
            "faithful": ({"passed": self.faithful.passed, "message": self.faithful.message, **self.faithful.details}
                         if self.faithful else None),
            "figure": "figure.png" if self.figure else None,
            "figure_svg": "figure.svg" if self.figure_svg else None,
            "steps": [
                {
                    "id": s.id,
                    "kind": s.kind,
                    "title": s.title,
                    "describe": s.describe,
                    "spec": s.spec,
                    "status": s.status,
                    "attempts": len(s.attempts),
                    "fallback": s.fallback or None,
                    "artifacts": [art(a, f"panels/{s.id}-{a.name}") for a in s.artifacts],
                    "verdicts": [
                        {"verifier": v.verifier, "passed": v.passed, "score": round(v.score, 4),
                         "message": v.message, **({} if v.required else {"required": False})}
                        for v in s.verdicts
                    ],
                }
                for s in self.steps
            ],
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


class Version(BaseModel):
    """One finished turn of a thread, read back from the checkpoint that ended it (`Agent.history`)."""

    thread_id: str = Field(description="The thread this version is on.")
    number: int = Field(description="The turn, 1-based: version N is the thread after its Nth request "
                                    "(a branch keeps the numbers of the line it was taken from).")
    request: str = Field(description="The request this version answers.")
    describe: list[str] = Field(default_factory=list, description="Each plan step's read-back (`describe()`), "
                                                                  "in plan order.")
    status: RunStatus = Field(description="The version's result status, as in RunResult.")
    artifacts: list[ArtifactRef] = Field(default_factory=list, description="The composed figure (PNG, then SVG when "
                                         "there is one), then each step's last-attempt files.")
    checkpoint_id: str = Field(description="The LangGraph checkpoint holding this version.")
    created_at: datetime = Field(description="When that checkpoint was written (an undo's or a branch's copy "
                                             "carries the time of the undo or branch).")


class Event(BaseModel):
    """A typed progress event from `Agent.stream`."""

    type: Literal["plan", "attempt", "step_done", "compose", "done"]
    step_id: str | None = None
    message: str = ""
    data: dict[str, Any] = Field(default_factory=dict)
