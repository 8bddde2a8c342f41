"""Graph nodes: plain functions from state (plus services) to partial updates.

The wiring that connects them lives in build.py; routing decisions are the small functions
at the bottom of this file.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from langgraph.config import get_stream_writer
from langgraph.types import Overwrite, Send, interrupt

from ..errors import IvluError, NeedsInput, RenderError
from ..planning.faithful import check_plan
from ..planning.protocol import NeuralEngine, Planner
from ..store import ArtifactStore
from ..tools import KINDS, Plan, StepSpec, parse_step
from ..types import ArtifactRef, Attempt, StepResult, Verdict
from ..worker import WorkerPool, resolve


@dataclass(kw_only=True)
class Services:
    """What nodes need besides state, built whole by the Agent before the graph. Never checkpointed."""

    store: ArtifactStore  # files; state holds references to them only
    workers: WorkerPool  # isolated processes for every renderer and verifier of the exact kinds
    planner: Planner  # symbolic, or the model's planner
    engine: NeuralEngine | None = None  # the one door to the model's head; None when the agent has no model
    max_refinements: int = 3

    def head(self, spec: StepSpec) -> NeuralEngine:
        """The engine for a step that the model's head draws; a clear error when the agent has none."""
        if self.engine is None:
            raise IvluError(f"Step {spec.id} ({spec.kind}) needs a model engine.",
                            "an agent started with engine='internvlu' and a model folder",
                            "run with --engine internvlu --model PATH (or set IVLU_MODEL)")
        return self.engine


# -- the run ---------------------------------------------------------------------------------------


def plan(state: dict, services: Services) -> dict:
    """Ask the planner for a plan. The previous turn (the checkpoint this turn starts from) is what a follow-up
    edits; steps the new plan keeps unchanged keep their results, so they are not drawn again. A question the
    planner cannot settle (`NeedsInput`) pauses the run with `interrupt`; so does plan approval."""
    started = time.perf_counter()
    previous = [{"turn": state.get("turn", 1), "request": state.get("plan_request", ""), "plan": state["plan"],
                 "results": state.get("results", {}), "figure": state.get("figure")}] if state.get("plan") else []
    images = [ArtifactRef.model_validate(i) for i in state.get("images", [])]
    request = state["request"]
    result = _plan_with_answers(services, request, images, previous)
    while state.get("approve_plan"):  # the run's own setting, so an answer from another process keeps it
        answer = str(interrupt({"kind": "approve", "question": "Approve this plan?",
                                "plan": [f"{s.id}  {s.read_back()}" for s in result.steps],
                                "options": ["approve", "cancel", "or an edit, e.g. 'replace X with Y'"]})).strip()
        if answer.lower() in APPROVE:
            break
        if answer.lower() in CANCEL:
            raise IvluError("The plan was cancelled; nothing was drawn.", "", "send a new request")
        request = f"{request}; {answer}"  # an edit of the proposed plan, planned again and shown again
        result = _plan_with_answers(services, request, images, previous)
    result.faithful = check_plan(request, result.steps, result.unhonoured, result.accounted)  # part of the certificate
    ids = set()
    for i, step in enumerate(result.steps, start=1):
        step.id = step.id if step.id and step.id not in ids else f"s{i}"
        ids.add(step.id)
    return {
        "plan": result.model_dump(mode="json"),
        "plan_request": request,
        "turn": state.get("turn", 0) + 1,
        "results": Overwrite(_unchanged(result.steps, state.get("plan"), state.get("results") or {})),
        "figure": None,
        "figure_svg": None,
        "timings": {"plan": time.perf_counter() - started},
    }


APPROVE = {"approve", "approved", "yes", "y", "ok", "okay", "go", "go ahead", "looks good", "lgtm"}
CANCEL = {"cancel", "no", "n", "stop", "abort", "quit"}


def _plan_with_answers(services: Services, request: str, images: list[ArtifactRef], previous: list[dict]) -> Plan:
    """The planner's plan; each question it asks is put to the user (`interrupt`) and planning runs again with
    the answers so far. On resume LangGraph replays the answers in order, so no question is asked twice."""
    answers: dict[str, str] = {}
    while True:
        try:
            return services.planner.plan(request, images, previous, answers=answers)
        except NeedsInput as question:
            if question.key in answers:
                raise IvluError(f"The answer {answers[question.key]!r} did not settle: {question.question}",
                                "one of: " + "; ".join(question.options), "answer with one of those") from None
            answers[question.key] = str(interrupt({"kind": "question", **question.payload()})).strip()


def _unchanged(steps: list[StepSpec], old_plan: dict | None, old_results: dict) -> dict:
    """The previous turn's results of the steps the new plan keeps exactly as planned (spec equal but for the
    id), renamed to their new ids: an edit re-draws only what it names."""
    if not old_plan:
        return {}
    planned = {}
    for s in old_plan["steps"]:
        if s["id"] in old_results:
            planned.setdefault(_key(s), old_results[s["id"]])
    carried = {}
    for step in steps:
        data = step.model_dump(mode="json")
        old = planned.get(_key(data))
        if old is not None:
            spec = {**old["spec"], "id": step.id}
            carried[step.id] = {**old, "id": step.id, "spec": spec,
                                "attempts": [{**a, "spec": {**a["spec"], "id": step.id}} for a in old["attempts"]]}
    return carried


def _key(spec: dict) -> str:
    return json.dumps({k: v for k, v in spec.items() if k != "id"}, sort_keys=True)


def gather(state: dict) -> dict:
    """Join point after a wave of steps (fan-in)."""
    return {}


def compose(state: dict, services: Services) -> dict:
    """Lay out every rendered panel of this turn into figure.png (and figure.svg)."""
    from ..tools.common.compose import compose_figure

    started = time.perf_counter()
    panels = []
    for step in state["plan"]["steps"]:
        result = state["results"].get(step["id"])
        if not result or not result["attempts"]:
            continue
        arts = {a["name"]: a for a in result["attempts"][-1]["artifacts"]}
        if "main.png" not in arts:
            continue
        panels.append({
            "caption": result["title"] or step["id"],
            "png": str(services.store.path(arts["main.png"]["path"])),
            "svg": str(services.store.path(arts["main.svg"]["path"])) if "main.svg" in arts else None,
        })
    if not panels:
        return {"timings": {"compose": time.perf_counter() - started}}
    out = compose_figure(panels)
    refs = {f["name"]: services.store.put(f["data"], f["mime"], f["name"]) for f in out["files"]}
    return {
        "figure": refs["figure.png"].model_dump(),
        "figure_svg": refs["figure.svg"].model_dump() if "figure.svg" in refs else None,
        "timings": {"compose": time.perf_counter() - started},
    }


# -- one step: execute → verify → (refine → execute)* → finish --------------------------------------


def execute(state: dict, services: Services) -> dict:
    """Render the step (in an isolated worker, or through the engine for the head's kinds); store its files."""
    spec = parse_step(state["step"])
    data = spec.model_dump(mode="json")
    try:
        if spec.needs_model:  # in this process: the engine's own worker holds the model
            started = time.perf_counter()
            out = resolve(spec.renderer)(data, services.head(spec), services.store)
            seconds = time.perf_counter() - started
        else:
            out, seconds = services.workers.call_timed(spec.renderer, data, timeout_s=spec.render_timeout_s())
    except (RenderError, IvluError) as e:
        return {"pending": {"error": str(e), "render_s": 0.0, "change": state.get("change", "")}}
    refs = [services.store.put(f["data"], f["mime"], f["name"]).model_dump() for f in out["files"]]
    return {"pending": {"artifacts": refs, "meta": out.get("meta", {}),
                        "render_s": seconds, "change": state.get("change", "")}}


def verify(state: dict, services: Services) -> dict:
    """Run the kind's verifier on the stored files; record the attempt."""
    spec = parse_step(state["step"])
    pending = state["pending"]
    seconds = 0.0
    if "error" in pending:
        verdicts = [Verdict(verifier=f"{spec.kind}.render", passed=False, checked="the renderer finished",
                            message=f"Rendering failed: {pending['error']}")]
    else:
        files = {a["name"]: str(services.store.path(a["path"])) for a in pending["artifacts"]}
        data = spec.model_dump(mode="json")
        try:
            if spec.needs_model:  # the judge is the engine's; pixel checks still run in the workers
                started = time.perf_counter()
                raw = resolve(spec.verifier)(data, files, pending["meta"], judge=services.head(spec).judge,
                                             call=services.workers.call, store=services.store)
                seconds = time.perf_counter() - started
            else:
                raw, seconds = services.workers.call_timed(spec.verifier, data, files, pending["meta"],
                                                           timeout_s=spec.render_timeout_s() * 2)
            verdicts = [Verdict.model_validate(v) for v in raw]
        except (RenderError, IvluError) as e:
            verdicts = [Verdict(verifier=f"{spec.kind}.verify", passed=False, checked="the verifier finished",
                                message=f"Verification could not run: {e}")]
    attempt = Attempt(number=len(state.get("attempts", [])) + 1, spec=spec.model_dump(mode="json"),
                      artifacts=[ArtifactRef.model_validate(a) for a in pending.get("artifacts", [])],
                      verdicts=verdicts, render_s=pending["render_s"],
                      verify_s=seconds, change=pending.get("change", ""))
    record = attempt.model_dump(mode="json")
    _emit({"type": "attempt", "step_id": spec.id, "attempt": record})
    return {"attempts": [record]}


def _emit(event: dict) -> None:
    """Send a progress event to `Agent.stream` (a no-op outside a streaming run)."""
    try:
        get_stream_writer()(event)
    except RuntimeError:
        pass


def refine(state: dict, services: Services) -> dict:
    """Turn the failed verdicts into a changed spec, or give up when nothing is left to try."""
    spec = parse_step(state["step"])
    last = state["attempts"][-1]
    verdicts = [Verdict.model_validate(v) for v in last["verdicts"]]
    changed = spec.refine(verdicts, len(_same_route(state["attempts"], state["step"])))
    if changed is None:
        return {"gave_up": True}
    new_spec, change = changed
    return {"step": new_spec.model_dump(mode="json"), "change": change}


def finish(state: dict) -> dict:
    """Publish the step's result to the parent graph."""
    spec = parse_step(state["step"])
    attempts = [Attempt.model_validate(a) for a in state.get("attempts", [])]
    if attempts and attempts[-1].passed:
        status = "verified"
    elif any(a.artifacts for a in attempts):
        status = "unverified"
    else:
        status = "failed"
    # Keep the best attempt last: the one with the most passed checks, then the highest score.
    if status == "unverified":
        best = max(attempts, key=lambda a: (sum(v.passed for v in a.verdicts if v.required),
                                            sum(v.score for v in a.verdicts), a.number))
        if best is not attempts[-1] and best.artifacts:
            attempts.append(best.model_copy(update={"number": len(attempts) + 1,
                                                    "change": f"kept attempt {best.number}, the best so far"}))
            spec = parse_step(best.spec)
    # A neural step that ended on its exact fallback says so (report.md, result.json).
    fell_back = next((a for a in attempts if not _needs_model(a.spec)), None) \
        if attempts and _needs_model(attempts[0].spec) else None
    result = StepResult(id=spec.id, kind=spec.kind, title=spec.caption(), spec=spec.model_dump(mode="json"),
                        status=status, attempts=attempts, fallback=fell_back.change if fell_back else "")
    return {"results": {spec.id: result.model_dump(mode="json")}}


# -- routing ---------------------------------------------------------------------------------------


def dispatch(state: dict) -> list[Send] | str:
    """Send every step whose dependencies are done and that has not run yet; compose when none is left."""
    done = state.get("results") or {}
    ready = [s for s in state["plan"]["steps"]
             if s["id"] not in done and all(d in done for d in s.get("depends_on", []))]
    if not ready:
        return "compose"
    return [Send("step", {"step": s}) for s in ready]


def _needs_model(spec: dict) -> bool:
    return KINDS[spec["kind"]].needs_model


def _same_route(attempts: list[dict], spec: dict) -> list[dict]:
    """The attempts made on the same route (head or exact renderer) as `spec`: each route has its own budget."""
    return [a for a in attempts if _needs_model(a["spec"]) == _needs_model(spec)]


def after_verify(state: dict, services: Services) -> str:
    attempts = state["attempts"]
    if Attempt.model_validate(attempts[-1]).passed:
        return "finish"
    # A neural step with an exact fallback always goes to refine: its spec bounds the head's attempts,
    # then hands over to the exact renderer.
    if len(_same_route(attempts, state["step"])) > services.max_refinements and not state["step"].get("fallback"):
        return "finish"
    return "refine"


def after_refine(state: dict) -> str:
    return "finish" if state.get("gave_up") else "execute"
