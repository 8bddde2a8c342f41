"""The public entry point: `Agent(engine=..., home=...)`, then `run`, `stream` or `resume`."""

from __future__ import annotations

import io
import os
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

from . import versions
from .config import ENGINES, MAX_IMAGE_BYTES, MAX_IMAGES, MAX_REQUEST_CHARS, PREFER, default_home
from .errors import IvluError
from .store import ArtifactStore
from .types import ArtifactRef, Attempt, Event, RunResult, StepResult, Verdict, Version

ENGINE_OPTIONS = ("timeout_s",)
PLANNER_OPTIONS = {"plan_retries": "retries", "think_tokens": "think_tokens", "plan_tokens": "plan_tokens",
                   "size": "size", "steps": "steps"}  # engine_options key -> ModelPlanner argument


class Agent:
    """Plans, renders, verifies and refines figures; remembers threads in SQLite.

    Args:
        engine: "symbolic" (rules, no model) or "internvlu" (the model plans, draws, edits and judges).
        home: folder for the artifact store and checkpoints (default IVLU_HOME or ./.ivlu).
        max_refinements: refinement budget per step; when spent the step is marked unverified.
        workers: how many isolated render/verify processes may run at once.
        model_path: the InternVL-U checkpoint folder for engine "internvlu" (default IVLU_MODEL).
        prefer: "exact" (hybrid routing) or "native" (the head attempts every step; exact is the fallback).
        device / dtype: where the model runs (default cuda + bfloat16 when present, else cpu + float32).
        engine_options: more options of engine "internvlu": timeout_s (the engine's), and plan_retries,
            think_tokens, plan_tokens, size, steps (its planner's).
        checkpointer: any LangGraph checkpoint saver (e.g. a Postgres one); the caller owns and closes it.
            Default: SQLite at <home>/checkpoints.sqlite.
        strict: refuse a request where a drafting convention would fill what it leaves open (four holes at
            the corners, a lone hole centred, equal L-bracket legs) instead of applying it with a note.
        approve_plan: pause after planning (status needs_input, the plan's read-back in `question`) until
            `answer(thread, "approve")`, an edit ("replace X with Y"), or "cancel".
    """

    def __init__(self, engine: str = "symbolic", home: str | Path | None = None, max_refinements: int = 3,
                 workers: int = 2, model_path: str | Path | None = None, prefer: str = "exact",
                 device: str | None = None, dtype: str | None = None, engine_options: dict | None = None,
                 checkpointer: Any = None, strict: bool = False, approve_plan: bool = False):
        if engine not in ENGINES:
            raise IvluError(f"Unknown engine {engine!r}.", "one of: " + ", ".join(ENGINES),
                            "use --engine symbolic (the default without a model)")
        if prefer not in PREFER:
            raise IvluError(f"Unknown preference {prefer!r}.", "one of: " + ", ".join(PREFER),
                            "use --prefer exact (default) or --prefer native")
        if prefer == "native" and engine == "symbolic":
            raise IvluError("--prefer native needs a model engine.", "--engine internvlu --model PATH",
                            "add --engine internvlu, or drop --prefer native")
        if engine == "internvlu":
            from .model.engine import check_model_folder

            model_path = check_model_folder(model_path or os.environ.get("IVLU_MODEL"))
        options = dict(engine_options or {})
        unknown = sorted(set(options) - set(ENGINE_OPTIONS) - set(PLANNER_OPTIONS))
        if unknown:
            raise IvluError(f"Unknown engine option(s) {', '.join(unknown)}.",
                            "some of: " + ", ".join([*ENGINE_OPTIONS, *PLANNER_OPTIONS]), "drop or rename them")
        if not 0 <= max_refinements <= 10:
            raise IvluError(f"max_refinements={max_refinements}", "0 to 10", "pick a smaller budget")
        from langgraph.checkpoint.sqlite import SqliteSaver

        from .graph.build import build_graph
        from .graph.nodes import Services
        from .graph.serde import CompressedSerializer
        from .planning.symbolic import SymbolicPlanner
        from .worker import WorkerPool

        self.home = Path(home).resolve() if home else default_home()
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise IvluError(f"Cannot create the agent home {self.home} ({e.strerror}).",
                            "a writable folder", "set IVLU_HOME or pass home=") from None
        self.store = ArtifactStore(self.home)
        self.store.sweep()  # a run killed mid-write leaves a temporary file; never an artifact
        self.workers = WorkerPool(size=workers)
        symbolic = SymbolicPlanner(describe=self._describe, call=self.workers.call, strict=strict,
                                   store_root=str(self.home))
        self.engine = None  # the one door to the model's head (engine "internvlu")
        self.planner = symbolic
        if engine == "internvlu":
            from .model.engine import InternVLUEngine
            from .planning.model import ModelPlanner

            self.engine = InternVLUEngine(model_path, device=device, dtype=dtype,
                                          **{k: v for k, v in options.items() if k in ENGINE_OPTIONS})
            planner_options = {PLANNER_OPTIONS[k]: v for k, v in options.items() if k in PLANNER_OPTIONS}
            self.planner = ModelPlanner(self.engine, symbolic, describe=self._describe, prefer=prefer,
                                        max_refinements=max_refinements, store_root=str(self.home),
                                        **planner_options)
        services = Services(store=self.store, workers=self.workers, planner=self.planner, engine=self.engine,
                            max_refinements=max_refinements)
        self._db = None
        if checkpointer is None:
            self._db = sqlite3.connect(self.home / "checkpoints.sqlite", check_same_thread=False)
            checkpointer = SqliteSaver(self._db, serde=CompressedSerializer())
        self.approve_plan = approve_plan  # written into each run's input, so a resumed run still asks
        self.checkpointer = checkpointer
        self.graph = build_graph(services, self.checkpointer)

    def _describe(self, smiles: str) -> dict:
        return self.workers.call("ivlu_agent.tools.common.chem:describe", smiles, timeout_s=30)

    # -- public API ----------------------------------------------------------------------------------

    def run(self, request: str, thread_id: str | None = None, images: list[str | Path] | None = None,
            out: str | Path | None = None) -> RunResult:
        """Run one request (a turn) on a thread and return its result."""
        return self._final(self.stream(request, thread_id=thread_id, images=images, out=out))

    def stream(self, request: str, thread_id: str | None = None, images: list[str | Path] | None = None,
               out: str | Path | None = None) -> Iterator[Event]:
        """Like `run`, but yield typed progress events; the last one is `done` with the result."""
        request = self._check_request(request)
        if out is not None:
            from .report import check_writable

            check_writable(Path(out))
        if len(images or []) > MAX_IMAGES:
            raise IvluError(f"{len(images)} images were given.", f"at most {MAX_IMAGES}", "send fewer images")
        refs = [self._store_image(p) for p in images or []]
        thread_id = thread_id or uuid.uuid4().hex[:12]
        inputs = {"request": request, "images": [r.model_dump() for r in refs], "approve_plan": self.approve_plan}
        yield from self._drive(inputs, thread_id, out)

    def resume(self, thread_id: str, out: str | Path | None = None) -> RunResult:
        """Finish a run that was interrupted (crash, kill) without redoing finished steps."""
        return self._final(self.resume_stream(thread_id, out=out))

    def resume_stream(self, thread_id: str, out: str | Path | None = None) -> Iterator[Event]:
        """Like `resume`, yielding progress events; only unfinished steps produce step events."""
        state = self._state(thread_id)
        if state.next:
            yield from self._drive(None, thread_id, out)
        else:
            yield self._done(self._result(state.values, thread_id), out)

    def answer(self, thread_id: str, value: str, out: str | Path | None = None) -> RunResult:
        """Answer the question a paused run asked (status needs_input) and finish the run."""
        return self._final(self.answer_stream(thread_id, value, out=out))

    def answer_stream(self, thread_id: str, value: str, out: str | Path | None = None) -> Iterator[Event]:
        """Like `answer`, yielding progress events."""
        from langgraph.types import Command

        state = self._state(thread_id)
        if not state.interrupts:
            raise IvluError(f"Thread {thread_id!r} is not waiting for an answer.",
                            "a thread whose last run ended with status needs_input",
                            "send a new request with `run` instead")
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_REQUEST_CHARS:
            raise IvluError("The answer is empty or too long.", f"one of the proposals, or up to "
                            f"{MAX_REQUEST_CHARS} characters", "answer the question shown")
        yield from self._drive(Command(resume=value.strip()), thread_id, out)

    def result(self, thread_id: str) -> RunResult:
        """The latest result on a thread, from its checkpoint."""
        return self._result(self._state(thread_id).values, thread_id)

    # -- versions: each finished turn of a thread, read from its checkpoints (logic in versions.py) ----

    def history(self, thread_id: str) -> list[Version]:
        """The versions of the thread's current line, oldest first."""
        return versions.history(self.graph, thread_id, self._result)

    def show(self, thread_id: str, version: int | None = None, out: str | Path | None = None) -> RunResult:
        """The result of one version (default: the latest); with `out`, write its files as `run` does."""
        result = versions.show(self.graph, thread_id, version, self._result)
        if out is not None:
            from .report import write_outputs

            result.out_dir = str(write_outputs(result, self.store, Path(out)))
        return result

    def undo(self, thread_id: str) -> Version:
        """Make the previous version the thread's current one; the next run builds on it."""
        return versions.undo(self.graph, thread_id, self._result)

    def branch(self, thread_id: str, version: int, new_thread_id: str) -> Version:
        """Start a new thread at one version of this one (which is left unchanged)."""
        return versions.branch(self.graph, thread_id, version, new_thread_id, self._result)

    def diff(self, thread_id: str, a: int, b: int) -> list[str]:
        """What changed in the plan from version `a` to version `b`, in plain-language lines."""
        return versions.diff(self.graph, thread_id, a, b)

    def close(self) -> None:
        self.workers.close()
        if self.engine is not None:
            self.engine.close()
        if self._db is not None:
            self._db.close()

    def __enter__(self) -> "Agent":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------------------

    @staticmethod
    def _config(thread_id: str) -> dict:
        return {"configurable": {"thread_id": thread_id}, "recursion_limit": 200}

    def _state(self, thread_id: str):
        """The thread's checkpointed state; an unknown thread is bad input."""
        state = self.graph.get_state(self._config(thread_id))
        if not state.values:
            raise IvluError(f"Unknown thread {thread_id!r}.", f"the id of a thread run in this home ({self.home})",
                            "check --thread and --home (or IVLU_HOME)")
        return state

    @staticmethod
    def _final(events: Iterator[Event]) -> RunResult:
        """Drain a progress stream and return the result carried by its `done` event."""
        *_, done = events
        return RunResult.model_validate(done.data["result"])

    def _done(self, result: RunResult, out: str | Path | None) -> Event:
        """Write the outputs when asked, and wrap the result as the stream's last event."""
        if out is not None:
            from .report import write_outputs

            result.out_dir = str(write_outputs(result, self.store, Path(out)))
        return Event(type="done", message=result.status, data={"result": result.model_dump(mode="json")})

    @staticmethod
    def _check_request(request: str) -> str:
        if not isinstance(request, str) or not request.strip():
            raise IvluError("The request is empty.", "a sentence such as 'draw caffeine'",
                            "say what to draw")
        if len(request) > MAX_REQUEST_CHARS:
            raise IvluError(f"The request has {len(request)} characters.", f"at most {MAX_REQUEST_CHARS}",
                            "split it into several requests on one thread")
        return request.strip()

    def _store_image(self, path: str | Path) -> ArtifactRef:
        from PIL import Image, UnidentifiedImageError

        p = Path(path)
        if not p.is_file():
            raise IvluError(f"Image {p} does not exist.", "a path to a PNG or JPEG file", "check the path")
        data = p.read_bytes()
        if len(data) > MAX_IMAGE_BYTES:
            raise IvluError(f"Image {p} is {len(data)} bytes.", f"at most {MAX_IMAGE_BYTES} bytes",
                            "downscale it")
        try:
            with Image.open(io.BytesIO(data)) as im:
                im.load()
                mime = Image.MIME.get(im.format or "", "")
        except UnidentifiedImageError:
            raise IvluError(f"Image {p} cannot be decoded: it is not an image format Pillow knows.",
                            "a complete PNG or JPEG file", "re-export the image") from None
        except (OSError, SyntaxError) as e:
            raise IvluError(f"Image {p} cannot be decoded ({e}).", "a complete PNG or JPEG file",
                            "re-export the image") from None
        if mime not in ("image/png", "image/jpeg"):
            raise IvluError(f"Image {p} is {mime or 'of an unknown type'}.", "PNG or JPEG", "convert it")
        return self.store.put(data, mime, p.name)

    def _drive(self, inputs: dict | None, thread_id: str, out: str | Path | None) -> Iterator[Event]:
        config = self._config(thread_id)
        started = time.perf_counter()
        for namespace, mode, chunk in self.graph.stream(inputs, config, stream_mode=["updates", "custom"],
                                                        subgraphs=True):
            if mode == "custom":
                a = chunk["attempt"]
                ok = Attempt.model_validate(a).passed
                yield Event(type="attempt", step_id=chunk["step_id"],
                            message=f"{chunk['step_id']} attempt {a['number']}: {'passed' if ok else 'failed'}",
                            data={"attempt": a})
                continue
            for node, value in chunk.items():
                event = self._event(node, value or {})
                if event:
                    yield event
        state = self.graph.get_state(config)
        if state.interrupts:  # the run asks before it goes on: nothing is drawn or written yet
            yield self._done(self._waiting(state, thread_id), None)
            return
        yield self._done(self._result(state.values, thread_id, total=time.perf_counter() - started), out)

    @staticmethod
    def _event(node: str, value: dict) -> Event | None:
        if node == "plan" and "plan" in value:  # (a plan paused by a question writes nothing yet)
            steps = value["plan"]["steps"]
            return Event(type="plan", message=f"{len(steps)} step(s)", data={"plan": value["plan"]})
        if node == "finish":
            (step_id, r), = value["results"].items()
            return Event(type="step_done", step_id=step_id, message=r["status"],
                         data={"title": r["title"], "status": r["status"], "attempts": len(r["attempts"])})
        if node == "compose":
            return Event(type="compose", message="figure composed")
        return None

    def _waiting(self, state, thread_id: str) -> RunResult:
        """The result of a run paused by a question (`interrupt`): the question, and no steps yet."""
        return RunResult(status="needs_input", request=state.values.get("request", ""), thread_id=thread_id,
                         question=dict(state.interrupts[0].value), home=str(self.home))

    def _result(self, values: dict, thread_id: str, total: float | None = None) -> RunResult:
        from .tools import parse_step

        plan = values.get("plan") or {"steps": [], "reasoning": ""}
        results = values.get("results") or {}
        # Each step read back from the plan's spec (what was understood), not the refined one (what was drawn).
        steps = [StepResult.model_validate({**results[s["id"]], "describe": parse_step(s).read_back()})
                 for s in plan["steps"] if s["id"] in results]
        statuses = [s.status for s in steps]
        faithful = Verdict.model_validate(plan["faithful"]) if plan.get("faithful") else None
        if steps and len(steps) == len(plan["steps"]) and all(s == "verified" for s in statuses):
            # Every panel checks out; the run is certified only if the plan is what was asked.
            status = "verified" if faithful is None or faithful.passed else "unverified"
        elif not steps or all(s == "failed" for s in statuses):
            status = "failed"
        else:
            status = "unverified"
        timings = dict(values.get("timings") or {})
        timings["render"] = sum(a.render_s for s in steps for a in s.attempts)
        timings["verify"] = sum(a.verify_s for s in steps for a in s.attempts)
        if total is not None:
            timings["total"] = total
        reasoning = plan.get("reasoning", "")
        if plan.get("notes"):
            reasoning += "\n\nNotes: " + "; ".join(plan["notes"])
        return RunResult(
            status=status, request=values.get("plan_request", values.get("request", "")), thread_id=thread_id,
            reasoning=reasoning, planner=plan.get("planner", ""), faithful=faithful, notes=list(plan.get("notes") or []),
            figure=ArtifactRef.model_validate(values["figure"]) if values.get("figure") else None,
            figure_svg=ArtifactRef.model_validate(values["figure_svg"]) if values.get("figure_svg") else None,
            steps=steps, timings=timings, home=str(self.home),
        )
