"""Hybrid routing: which steps the exact renderers draw and which the model's head draws.

Code, not a model call, decides:
- prefer="exact" (default): a `generate` step whose prompt the symbolic rules can plan (a named
  compound, a reaction…) is structured content and goes to the exact renderers; open imagery stays
  with the head.
- prefer="native": every exact step becomes a `generate` step for the head, described by the kind's
  phrase in prompts/neural.yaml, judged by the kind's rubric, with the exact spec as its fallback, so
  the two paths can be compared on the same request.
Neural steps get the engine's defaults for size, denoising steps and head attempts.
"""

from __future__ import annotations

from ..errors import IvluError
from ..prompts import fill, neural_prompts
from ..tools import Plan
from ..tools.base import StepSpec
from ..tools.common.neural import NeuralSpec, RubricPoint
from ..tools.generate import GenerateSpec
from .faithful import check_plan

PREFER = ("exact", "native")


def route(plan: Plan, prefer: str, symbolic, head_attempts: int = 3, size: int = 512,
          steps: int = 20) -> tuple[Plan, list[str]]:
    """The routed plan and one sentence per routing decision."""
    if prefer not in PREFER:
        raise IvluError(f"Unknown preference {prefer!r}.", "one of: " + ", ".join(PREFER),
                        "use --prefer exact (default) or --prefer native")
    out: list[StepSpec] = []
    notes: list[str] = []
    for step in plan.steps:
        if isinstance(step, GenerateSpec) and step.fallback is None and prefer == "exact":
            exact = structured(step.prompt, symbolic)
            if exact and check_plan(step.prompt, exact).passed:  # every word of the prompt is structured
                for e in exact:
                    e.depends_on = step.depends_on
                out += exact
                notes.append(f"'{step.caption()}' is structured content: the exact "
                             f"{', '.join(e.kind for e in exact)} renderer draws it")
                continue
            exact, rest = split_structured(step.prompt, symbolic)
            if exact:  # 'a funny meme of a cat in sunglasses, and draw caffeine': caffeine is exact, the cat is not
                for e in exact:
                    e.depends_on = step.depends_on
                out += exact
                step = step.model_copy(update={"prompt": rest, "title": step.title or rest[:200]})
                notes.append(f"the exact {', '.join(e.kind for e in exact)} renderer draws "
                             f"{', '.join(repr(e.caption()) for e in exact)}; the head draws '{rest[:80]}'")
        if prefer == "native" and not isinstance(step, NeuralSpec):
            step = native(step)
            notes.append(f"prefer native: the head draws {step.fallback['kind']} '{step.caption()}', "
                         "with the exact renderer as fallback")
        if isinstance(step, NeuralSpec):
            update = {"head_attempts": min(step.head_attempts, head_attempts), "steps": steps}
            if isinstance(step, GenerateSpec) or not step.width:  # edits keep a size their spec gives
                update |= {"width": size, "height": size}
            step = step.model_copy(update=update)
        out.append(step)
    return plan.model_copy(update={"steps": out}), notes


def structured(prompt: str, symbolic) -> list[StepSpec] | None:
    """The exact steps the symbolic rules make of `prompt`, or None when they cannot plan it."""
    if symbolic is None:
        return None
    try:
        return list(symbolic.plan(prompt, [], []).steps)
    except IvluError:
        return None


def split_structured(prompt: str, symbolic) -> tuple[list[StepSpec], str]:
    """The parts of a mixed prompt the symbolic rules can plan, as exact steps, and the rest of the prompt
    (open imagery) for the head: split at clause breaks, then at 'and' and commas."""
    if symbolic is None:
        return [], prompt
    from .symbolic import PART_BREAK, SymbolicPlanner, split_outside_quotes

    exact: list[StepSpec] = []
    rest: list[str] = []
    for clause in SymbolicPlanner.clauses(prompt):
        for part in split_outside_quotes(PART_BREAK, clause):
            steps = structured(part, symbolic) if part.strip() else None
            if steps and check_plan(part, steps).passed:  # every word of the part is drawn exactly
                exact += steps
            elif part.strip():
                rest.append(part.strip())
    if not exact or not rest:
        return [], prompt
    return exact, ", ".join(rest)[:600]


def native(step: StepSpec) -> GenerateSpec:
    """A generate step for the head that attempts `step`, keeping `step` as the exact fallback."""
    phrases = neural_prompts()
    fields = step.model_dump(mode="json")
    values = {**fields, "caption": step.caption(), "label": fields.get("name") or step.caption()}
    prompt = fill(phrases["native"].get(step.kind, phrases["native"]["default"]), values)
    rubric = [RubricPoint(question=fill(p["question"], values)[:200], weight=p["weight"])
              for p in phrases["rubric"].get(step.kind, phrases["rubric"]["default"])]
    return GenerateSpec(id=step.id, title=step.caption()[:200], depends_on=step.depends_on, prompt=prompt[:600],
                        rubric=rubric, fallback=fields)
