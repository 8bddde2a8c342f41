"""The model's planner: think in text, write a schema-guided JSON plan, validate, retry, fall back.

1. Think: the model answers the planning prompt (prompts/plan.md) in text mode. Its words are kept
   as the plan's reasoning and shown in report.md.
2. Write: the model continues after its thoughts with a JSON plan, decoded under `model_schema()`
   (the `Plan` schema with the fields code fills hidden and every bound tightened; ivlu_agent/model/guided.py),
   so the JSON always parses and fits the schema, even from random weights.
3. Validate: pydantic, then meaning: every SMILES parses, every compound name is known and matches its
   SMILES, every compound the request names is drawn. A rejected plan is retried with the error fed
   back (prompts/plan_retry.md), at most `retries` times.
4. Fall back: when no model plan passes, the symbolic planner plans the request and the plan says so
   (`planner`, notes, reasoning). A request the rules cannot plan either becomes one generate step.
5. Route (planning/routing.py): structured content to exact renderers, open imagery to the head; with
   prefer="native", every step the head can attempt goes to the head with the exact spec as fallback.
"""

from __future__ import annotations

import copy
import difflib
import re
import time
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from ..errors import IvluError, RenderError, validation_problems
from ..prompts import template
from ..tools import KINDS, Plan
from ..tools.base import ModelCheck, PlanRejected
from ..tools.common.neural import RubricPoint
from ..tools.edit import EditSpec
from ..tools.generate import GenerateSpec
from ..types import ArtifactRef
from .faithful import check_plan
from .routing import route, split_structured

MAX_MODEL_STEPS = 4
MAX_MODEL_CHARS = 160  # any string the model writes (prompts: 400)
MAX_MODEL_ITEMS = 4
LONG_TEXT = {"prompt", "instruction"}
ALWAYS_HIDDEN = frozenset({"id", "depends_on", "source"})  # code numbers steps, wires them, keeps their words
EDIT_WORDS = re.compile(r"^\s*(now\s+)?(make|change|turn|add|remove|replace|recolou?r|put|edit)\b", re.IGNORECASE)


def model_schema(sources: dict[str, str], max_steps: int = MAX_MODEL_STEPS) -> dict:
    """The JSON schema the model writes under: `Plan`'s, minus hidden fields, with tighter bounds.

    `sources` maps the names of images the model may edit to their store paths; with none, the kinds that
    edit an image are left out.
    """
    schema = copy.deepcopy(Plan.model_json_schema())
    schema["properties"] = {"steps": schema["properties"]["steps"]}
    schema["required"] = ["steps"]
    steps = schema["properties"]["steps"]
    steps["maxItems"] = min(steps.get("maxItems", max_steps), max_steps)
    union = steps["items"]
    refs = {kind: ref for kind, ref in (union.get("discriminator") or {}).get("mapping", {}).items()}
    for kind in [k for k in refs if KINDS[k].image_field and not sources]:
        union["oneOf"] = [b for b in union["oneOf"] if b["$ref"] != refs[kind]]
        del union["discriminator"]["mapping"][kind]
    for kind, ref in refs.items():
        spec = schema["$defs"][ref.rsplit("/", 1)[-1]]
        hidden = ALWAYS_HIDDEN | KINDS[kind].hidden_fields
        order = [f for klass in KINDS[kind].__mro__ for f in getattr(klass, "__annotations__", {})]
        order = list(dict.fromkeys(f for f in order if f in spec["properties"]))
        # The kind's own fields first (a molecule's name before its title), as a writer would think of them.
        spec["properties"] = {k: spec["properties"][k] for k in order + list(spec["properties"])
                              if k not in hidden}
        spec["required"] = [k for k in spec.get("required", []) if k not in hidden]
        if KINDS[kind].image_field and sources:
            spec["properties"][KINDS[kind].image_field] = {"enum": sorted(sources)}
        for name, prop in spec["properties"].items():
            _tighten(prop, 400 if name in LONG_TEXT else MAX_MODEL_CHARS)
    step_defs = {ref.rsplit("/", 1)[-1] for ref in refs.values()}
    for name, d in schema["$defs"].items():  # nested models (rubric points, reaction components…)
        if name not in step_defs:
            for prop in (d.get("properties") or {}).values():
                _tighten(prop, MAX_MODEL_CHARS)
    return schema


def _tighten(s: dict, chars: int) -> None:
    """Cap string lengths and array sizes (recursively through unions and items), never loosen them."""
    if s.get("type") == "string" or "maxLength" in s:
        s["maxLength"] = min(s.get("maxLength", chars), chars)
    if s.get("type") == "array":
        s["maxItems"] = min(s.get("maxItems", MAX_MODEL_ITEMS), MAX_MODEL_ITEMS)
        if isinstance(s.get("items"), dict):
            _tighten(s["items"], chars)
    for key in ("anyOf", "oneOf"):
        for b in s.get(key, []):
            _tighten(b, chars)


def describe_kinds(sources: dict[str, str]) -> str:
    """One line per kind the model may use: its name and the first line of its spec's docstring."""
    lines = []
    for kind, spec in KINDS.items():
        if spec.image_field and not sources:
            continue
        doc = (spec.__doc__ or kind).strip().splitlines()[0]
        lines.append(f"- {kind}: {doc}")
    return "\n".join(lines)


READBACK_PREFIX = "Answer (JSON):\n"
READBACK_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["matches", "missing"],
    "properties": {"matches": {"type": "boolean"},
                   "missing": {"type": "array", "maxItems": 5, "items": {"type": "string", "maxLength": 60}}},
}


class ModelPlanner:
    """Plans with a model's text (`think`, `write_json`); see the module docstring for the steps.

    `model` offers `think(prompt, images, max_new_tokens) -> str` and
    `write_json(prompt, images, prefix, schema, max_tokens) -> {"value", "text", ...}`; `images` are
    file paths of the request's images.
    """

    def __init__(self, model, symbolic, describe: Callable[[str], dict], prefer: str = "exact",
                 max_refinements: int = 3, retries: int = 2, think_tokens: int = 128, plan_tokens: int = 384,
                 size: int = 512, steps: int = 20, store_root: str | None = None):
        self.model = model
        self.symbolic = symbolic
        self.describe = describe
        self.prefer = prefer
        self.head_attempts = max(1, min(3, max_refinements + 1))
        self.retries = retries
        self.think_tokens = think_tokens
        self.plan_tokens = plan_tokens
        self.size = size
        self.steps = steps
        self.store_root = store_root or ""  # the artifact store's root: the request's images are files in it
        self.last: dict[str, Any] = {}  # the latest plan's attempts and timings (tests, benchmarks)

    # -- the plan -------------------------------------------------------------------------------------

    def plan(self, request: str, images: list[ArtifactRef], history: list[dict[str, Any]],
             answers: dict[str, str] | None = None) -> Plan:
        started = time.perf_counter()
        sources = self.sources(images, history)
        paths = [f"{self.store_root}/{ref.path}" for ref in images]
        prompt = template("plan.md").substitute(kinds=describe_kinds(sources), request=request,
                                                context=self._context(history, sources))
        thoughts = self.model.think(prompt, paths, self.think_tokens)
        schema = model_schema(sources)
        attempts: list[dict] = []
        plan, error, feedback = None, "", ""
        for number in range(1, self.retries + 2):
            prefix = template("plan_json.md").substitute(thoughts=thoughts)
            out = self.model.write_json(prompt + feedback, paths, prefix, schema, self.plan_tokens)
            try:
                plan = self.validate(out["value"], request, sources)
                attempts.append({"number": number, "json": out["text"], "accepted": True})
                break
            except PlanRejected as e:
                error = str(e)
                attempts.append({"number": number, "json": out["text"], "accepted": False, "error": error})
                feedback = "\n" + template("plan_retry.md").substitute(plan=out["text"][:400], error=error[:600])
        lines = ["Model thinking (internvlu, text mode):", thoughts or "(nothing)", "", "Model plans (JSON, schema-guided):"]
        for a in attempts:
            verdict = "accepted" if a["accepted"] else f"rejected: {a['error']}"
            lines.append(f"{a['number']}. {a['json'][:600]} → {verdict}")
        notes: list[str] = []
        if plan is None:
            plan, planner = self._fallback(request, images, history, sources, len(attempts), error, answers)
            notes.append(f"planner fallback: the model's {len(attempts)} plan(s) failed validation "
                         f"(last: {error[:200]}); {planner} planned this request")
            lines += ["", f"Fallback: {planner} planner.", plan.reasoning]
        else:
            planner = "internvlu"
        plan, routing = route(plan, self.prefer, self.symbolic, head_attempts=self.head_attempts,
                              size=self.size, steps=self.steps)
        if routing:
            lines += ["", "Routing:", *[f"- {r}" for r in routing]]
        doubts, said = self.judge_readback(request, plan)
        lines += ["", said]
        if doubts:
            plan = plan.model_copy(update={"unhonoured": (list(plan.unhonoured) + doubts)[:16]})
        self.last = {"attempts": attempts, "thoughts": thoughts, "planner": planner,
                     "seconds": time.perf_counter() - started}
        reasoning = "\n".join(lines)
        if len(reasoning) > 7900:
            reasoning = reasoning[:7900] + " …"
        return plan.model_copy(update={"reasoning": reasoning, "notes": (notes + list(plan.notes) + routing)[:32],
                                       "planner": planner})

    def judge_readback(self, request: str, plan: Plan) -> tuple[list[str], str]:
        """The model's second opinion on faithfulness: it reads each step's describe() beside the request.
        A 'missing' item counts only when it names words of the request (a judge that points at nothing the
        person wrote has found nothing); those items fail plan.faithful. ([doubts], a line for the reasoning)."""
        from .faithful import FILLER, tokens

        readback = "\n".join(f"- {step.describe()}" for step in plan.steps)
        prompt = template("readback_judge.md").substitute(request=request, readback=readback)
        try:
            out = self.model.write_json(prompt, [], READBACK_PREFIX, READBACK_SCHEMA, 96)
        except (IvluError, RenderError) as e:
            return [], f"Read-back judge: not checked ({str(e).splitlines()[0][:120]})."
        value = out.get("value") if isinstance(out.get("value"), dict) else {}
        asked = set(tokens(request)) - FILLER
        missing = [str(m)[:60] for m in value.get("missing", []) if set(tokens(str(m))) & asked]
        if value.get("matches", True) is True or not missing:
            return [], "Read-back judge: the plan draws what was asked."
        return [f"judge: {m} not drawn" for m in missing[:5]], "Read-back judge: missing " + "; ".join(missing[:5]) + "."

    def sources(self, images: list[ArtifactRef], history: list[dict[str, Any]]) -> dict[str, str]:
        """Images the model may edit, by name: the request's images, the previous figure and neural panels."""
        out = {f"input {i}": ref.path for i, ref in enumerate(images, start=1)}
        if history:
            last = history[-1]
            for sid, result in (last.get("results") or {}).items():
                arts = result["attempts"][-1]["artifacts"] if result.get("attempts") else []
                main = next((a for a in arts if a["name"] == "main.png"), None)
                if main and result.get("kind") in KINDS and KINDS[result["kind"]].needs_model:
                    out[f"previous {sid}"] = main["path"]
            if last.get("figure") and not any(k.startswith("previous ") for k in out):
                out["previous figure"] = last["figure"]["path"]
        return out

    @staticmethod
    def _context(history: list[dict], sources: dict[str, str]) -> str:
        lines = []
        if history:
            last = history[-1]
            steps = ", ".join(f"{s['id']} {s['kind']} '{s.get('title') or s.get('name') or s.get('prompt', '')}'"
                              for s in last["plan"]["steps"])
            lines.append(f"Earlier request: {last['request']} (steps: {steps})")
        if sources:
            lines.append("Images: " + ", ".join(sources))
        return "\n".join(lines)

    # -- validation -----------------------------------------------------------------------------------

    def validate(self, value: dict, request: str, sources: dict[str, str]) -> Plan:
        """Schema and meaning; raises PlanRejected with a message written for the model."""
        steps = [dict(s) for s in value.get("steps", [])]
        for s in steps:
            field = KINDS[s["kind"]].image_field if s.get("kind") in KINDS else ""
            if field:
                if s.get(field) not in sources:
                    raise PlanRejected(f"{s['kind']} {field} {s.get(field)!r} is not one of {sorted(sources)}")
                s[field] = sources[s[field]]
        try:
            plan = Plan.model_validate({"steps": steps})
        except ValidationError as e:
            raise PlanRejected(validation_problems(e, 6)) from None
        problems: list[str] = []
        checked = []
        for i, step in enumerate(plan.steps, start=1):
            try:
                checked.append(step.checked(ModelCheck(request=request, compound=self._compound)))
            except PlanRejected as e:
                problems.append(f"step {i} ({step.kind}): {e}")
        if problems:
            raise PlanRejected("; ".join(problems))
        missing = self._uncovered(request, checked)
        if missing:
            raise PlanRejected("the request names " + ", ".join(missing) + ", which no step draws")
        return plan.model_copy(update={"steps": checked})

    def _facts(self, smiles: str) -> dict:
        try:
            return self.describe(smiles)
        except (IvluError, RenderError) as e:
            raise PlanRejected(f"SMILES {smiles!r} does not parse ({str(e).splitlines()[0][:120]})") from None

    def _compound(self, name: str, smiles: str) -> dict:
        """Facts of a structure, checked against its name when one is given."""
        from ..tools.common.chem import compounds

        facts = self._facts(smiles)
        if name:
            table = compounds()
            key = " ".join(name.lower().split())
            if key not in table:
                close = difflib.get_close_matches(key, sorted(table), n=3, cutoff=0.75)
                raise PlanRejected(f"unknown compound {name!r}" + (f" (did you mean {', '.join(close)}?)" if close
                                                                  else "; leave name empty and give a SMILES"))
            target = self._facts(table[key].smiles)
            if target["inchikey"] != facts["inchikey"]:
                raise PlanRejected(f"{smiles} is not {name}; the SMILES of {name} is {table[key].smiles}")
        return facts

    @staticmethod
    def _uncovered(request: str, steps: list) -> list[str]:
        from ..tools.common.names import find_molecules

        named = [n for n, _ in find_molecules(request)[0] if n]
        drawn = set().union(*(s.compounds_drawn() for s in steps))
        # a compound inside an image prompt is routed to the exact renderer (routing.split_structured) when its
        # part of the prompt is structured content, or drawn by the head as the picture it belongs to
        prompts = " ".join(getattr(s, "prompt", "") for s in steps)
        drawn |= {n.lower() for n, _ in find_molecules(prompts)[0] if n}
        return [n for n in dict.fromkeys(named) if n.lower() not in drawn]

    # -- fallback -------------------------------------------------------------------------------------

    def _fallback(self, request, images, history, sources, tries: int, error: str,
                  answers: dict[str, str] | None = None) -> tuple[Plan, str]:
        try:
            plan = self.symbolic.plan(request, images, history, answers=answers)
            if check_plan(request, plan.steps, plan.unhonoured).passed or images or history:
                return plan, "symbolic"
            # the rules drew only part of it: 'a funny meme of a cat in sunglasses, and draw caffeine' keeps
            # caffeine exact and gives the rest to the head
            exact, rest = split_structured(request, self.symbolic)
            if not exact:
                return plan, "symbolic"
            head = GenerateSpec(prompt=rest, title=rest[:200],
                                rubric=[RubricPoint(question=f"Does the image show {rest[:150]}?")])
            return Plan(reasoning=f"The rules planned {', '.join(e.caption() for e in exact)}; the head draws "
                                  f"'{rest[:120]}'.", steps=[*exact, head]), "symbolic + head"
        except IvluError as e:
            symbolic_error = e.problem
        if sources and EDIT_WORDS.search(request):
            name = next((k for k in sources if k.startswith("previous ")), next(iter(sources)))
            step = EditSpec(source=sources[name], instruction=request[:600], title=request[:200])
            why = f"an edit of {name}"
        else:
            step = GenerateSpec(prompt=request[:600], title=request[:200],
                                rubric=[RubricPoint(question=f"Does the image show {request[:150]}?")])
            why = "open imagery for the head"
        reasoning = (f"The symbolic rules could not plan it either ({symbolic_error}); "
                     f"the whole request becomes {why}.")
        return Plan(reasoning=reasoning, steps=[step]), "default"

