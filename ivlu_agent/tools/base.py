"""What every kind of figure is built from: the step spec, the planner rule, and the small types they share.

A spec is data written by a planner (possibly a model): trusted code renders it, every size is
bounded, and unknown fields are rejected. What a kind knows about itself lives on its spec class
(its renderer and verifier, whether the model's head draws it, the fields a model never writes, how
`ivlu verify` checks an image of it), so shared code never compares kind names. A kind is a folder
in `ivlu_agent/tools/` and one line in the registry, `ivlu_agent/tools/__init__.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Callable, ClassVar, Protocol, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ..errors import IvluError, validation_problems
from ..types import Verdict


@dataclass(frozen=True)
class CliCheck:
    """How `ivlu verify IMAGE --<flag> VALUE` checks any image against this kind."""

    flag: str  # the option, e.g. "--molecule"; one per kind
    help: str  # its help line
    target: str  # "module:function" (value, options: dict, call) -> (check "module:function", args): runs in the
    #              CLI process (rules only, no native library); the check then runs in a worker as check(image, *args)
    metavar: str | None = None
    repeatable: bool = False  # the option may be given several times (value is then a list)
    options: tuple[tuple[str, str], ...] = ()  # further options the target reads: (flag, help)
    empty: str = ""  # when the check finds nothing to look for: what the request should have had


class PlanRejected(ValueError):
    """A model-written step that fails a check of meaning; its message is fed back to the model."""


@dataclass
class ModelCheck:
    """What a kind may use to check a model-written step (`StepSpec.checked`)."""

    request: str  # the user's words
    compound: Callable[[str, str], dict]  # (name, smiles) -> facts; raises PlanRejected when they disagree


class StepSpec(BaseModel):
    """Fields every step has. Subclasses add `kind: Literal[...]` and their own fields."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default="", pattern=r"^[A-Za-z0-9_-]{0,32}$",
                    description="Step id, unique within the plan; the planner fills it ('s1', 's2', …).")
    title: str = Field(default="", max_length=200, description="Caption shown under the panel.")
    depends_on: list[str] = Field(default_factory=list, max_length=16,
                                  description="Ids of steps whose output this step needs; independent steps fan out.")
    source: str = Field(default="", max_length=2000,
                        description="The words of the request this step was planned from (the planner fills it): a "
                                    "follow-up re-plans them to change something inside the step ('use HCl instead "
                                    "of H2SO4'). Never evidence of understanding.")

    # "module:function" names, so nothing is imported until a step needs it. Exact kinds run both in an
    # isolated worker: renderer(spec: dict) -> {"files", "meta"}; verifier(spec, files, meta) -> list[dict].
    # Kinds with `needs_model` run both in the agent process and reach the model only through the engine:
    # renderer(spec, engine) -> {"files", "meta"}; verifier(spec, files, meta, judge, call) -> list[dict].
    renderer: ClassVar[str] = ""
    verifier: ClassVar[str] = ""
    needs_model: ClassVar[bool] = False
    # "module:function" (spec: dict, image_path: str) -> list[dict]: the checks that read pixels alone, which
    # the head's drawing of this kind faces too; "" when the kind has none.
    pixel_check: ClassVar[str] = ""
    # Fields code fills or refinement owns: a model planner never writes them (`id`, `depends_on` for all).
    hidden_fields: ClassVar[frozenset[str]] = frozenset()
    # The field holding the store path of an image this kind changes ('' for none); a model planner offers
    # such a kind only when the request has images, and only those images.
    image_field: ClassVar[str] = ""
    # Fields that say how to draw, never what (a depiction's sizes and line widths): their numbers account for
    # no number of the request in plan.faithful ('double bond' is not the 2 of a line width).
    style_fields: ClassVar[frozenset[str]] = frozenset()
    cli: ClassVar[CliCheck | None] = None  # how `ivlu verify` checks an image of this kind; None: not offered
    # Dotted path of the field that sets the panel's size in pixels ('depiction.size'), for 'make all panels
    # 1200 px'; '' when the kind has none.
    size_field: ClassVar[str] = ""
    max_refinements: ClassVar[int] = 3

    def caption(self) -> str:
        return self.title or self.id

    def describe(self) -> str:
        """What this step will draw, in one line of plain English built from its fields (`one_line`), e.g.
        'caffeine (C8H10N4O2), methyl groups highlighted in red': the read-back of what was understood,
        printed in the summary, report.md and result.json. Every kind defines it (`register` checks);
        it runs in the agent process, so it reads fields and tables only, never a native library."""
        raise NotImplementedError(f"{type(self).__name__} does not say what it draws (describe)")

    def read_back(self) -> str:
        """`describe()`, plus how the panel is drawn where an edit changed it from the kind's default (its size
        in pixels; kinds add more, e.g. bond width): the line printed in the summary, report and result.json."""
        line = self.describe()
        extras = [e for e in self.style_notes() if e not in line]
        return one_line(line + ("; " + ", ".join(extras) if extras else ""), DESCRIBE_CHARS + 40)

    def pixel_size(self) -> tuple[int, int] | None:
        """(this panel's size in pixels, the kind's default) from `size_field`; None when the kind has none.
        0 means the renderer fits the content."""
        if not self.size_field:
            return None
        first, *rest = self.size_field.split(".")
        value, default = getattr(self, first), type(self).model_fields[first].get_default(call_default_factory=True)
        for key in rest:
            value, default = getattr(value, key), getattr(default, key)
        return value, default

    def style_notes(self) -> list[str]:
        """How this panel is drawn where it differs from the kind's defaults, in words ('1200 px')."""
        size = self.pixel_size()
        return [f"{size[0]} px"] if size and size[0] != size[1] else []

    def refine(self, verdicts: list[Verdict], attempt: int) -> tuple["StepSpec", str] | None:
        """Return a changed spec and a sentence saying what changed, or None when nothing is left to try.

        `attempt` is the number of the attempt that just failed (1 for the first render).
        """
        return None

    def resized(self, px: int) -> "StepSpec":
        """This step drawn `px` pixels wide (its `size_field`); out of the field's bounds is bad input."""
        path = self.size_field.split(".")
        data = self.model_dump(mode="json")
        holder = data
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = px
        try:
            return type(self).model_validate(data)
        except ValidationError as e:
            raise IvluError(f"{self.caption()} cannot be drawn {px} px wide ({validation_problems(e, 1)}).",
                            "a size inside the kind's limits", "pick another size") from None

    def carry_over(self, old: "StepSpec", ctx: "PlanContext") -> "StepSpec":
        """This step, replacing `old` of the same kind, with the styling `old` was given (its `style_fields`
        and pixel size) where this one left them at their defaults. Kinds add what else carries over."""
        update = {}
        for name in [*self.style_fields, self.size_field.split(".")[0]]:
            if name and name in type(self).model_fields:
                default = type(self).model_fields[name].get_default(call_default_factory=True)
                if getattr(self, name) == default:
                    update[name] = getattr(old, name)
        return self.model_copy(update=update)

    def render_timeout_s(self) -> float:
        return 60.0

    def summary(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_defaults=False)

    def checked(self, check: ModelCheck) -> "StepSpec":
        """This step, checked for meaning when a model wrote it (facts filled in); raises PlanRejected."""
        return self

    def evidence(self) -> list[str]:
        """What this step accounts for in the request's words (the `plan.faithful` check): by default
        the kind's name and every field name, string and number of the spec. Kinds add what words may
        say instead (a compound's synonyms, a group's names)."""
        out = [self.kind]

        def walk(value: Any) -> None:
            if isinstance(value, dict):
                for key, item in value.items():
                    out.append(str(key).replace("_", " "))
                    walk(item)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    walk(item)
            elif isinstance(value, str):
                out.append(value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                out.append(f"{value:g}")

        walk(self.model_dump(mode="json", exclude={"id", "depends_on", "source", *self.style_fields}))
        return out

    def compounds_drawn(self) -> set[str]:
        """Lower-case names of the compounds this step draws (a model plan must draw every one it was asked for)."""
        return set()


DESCRIBE_CHARS = 160  # the longest read-back line


def one_line(text: str, limit: int = DESCRIBE_CHARS) -> str:
    """`text` on one line (whitespace collapsed), cut to `limit` characters with '…'."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip(" ,;:") + "…"


def listed(items: list[str], limit: int = 6, last: str = " and ") -> str:
    """'a, b and c'; past `limit` items, the first ones and '…'."""
    items = [str(i) for i in items]
    if len(items) > limit:
        return ", ".join(items[:limit]) + ", …"
    return ", ".join(items[:-1]) + last + items[-1] if len(items) > 1 else "".join(items)


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
    notes: list[str] = field(default_factory=list)  # things understood but not acted on, and conventions used
    strict: bool = False  # refuse where a drafting convention would fill what the words leave open
    reasoning: list[str] = field(default_factory=list)  # one line per decision, shown in the report
    unhonoured: list[str] = field(default_factory=list)  # arrangements asked for that the figure cannot honour
    accounted: list[str] = field(default_factory=list)  # words a follow-up consumed ('another 15°'): plan.faithful


class Rule(Protocol):
    """A planner rule. It may also define `owns(text) -> bool`: True when the whole text is one request
    of its kind, so the router keeps it whole instead of splitting it at commas or 'and'."""

    name: str
    priority: int  # lower reads a clause first; the order matters where two rules could claim the same words
    examples: str  # what this rule plans, with example requests (listed when a request is not understood)
    vocabulary: frozenset[str]  # its directive words, accounted for in a request (plan.faithful) when it plans

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


@dataclass(frozen=True)
class Kind:
    """One line of the registry: a spec class, and the symbolic planner's rule for it (None: no rule)."""

    spec: type[StepSpec]
    rule: Rule | None = None

    @property
    def name(self) -> str:
        return self.spec.model_fields["kind"].default


# kind name -> spec class, filled by `register` (the registry's lines in `ivlu_agent/tools/__init__.py`).
KINDS: dict[str, type[StepSpec]] = {}
_adapter: list[Any] = []  # the Step union's validator, built on first use (every kind is registered by then)


def register(spec: type[StepSpec], rule: Rule | None = None) -> Kind:
    """Check a kind when it registers, so a malformed kind fails at import, not deep in a run."""
    kind = Kind(spec, rule)
    problems = [f"{what} is not set" for what in ("renderer", "verifier") if ":" not in getattr(spec, what)]
    if spec.describe is StepSpec.describe:
        problems.append("it does not define describe(), the one line saying what a step of it draws")
    if "kind" not in spec.model_fields or not isinstance(kind.name, str):
        problems.append("it has no `kind: Literal[...]` field with a default")
    elif kind.name in KINDS:
        problems.append(f"the kind name {kind.name!r} is taken")
    if rule is not None and not all(hasattr(rule, a) for a in ("name", "priority", "examples", "vocabulary",
                                                                 "claims", "plan", "follow_up")):
        problems.append("its rule lacks name, priority, examples, vocabulary, claims, plan or follow_up")
    if problems:
        raise TypeError(f"Kind {spec.__name__} cannot be registered: " + "; ".join(problems))
    KINDS[kind.name] = spec
    _adapter.clear()
    return kind


def parse_step(data: dict) -> StepSpec:
    """Validate a step dict (from state or a model) into its kind's spec class."""
    if not _adapter:
        _adapter.append(TypeAdapter(Annotated[Union[tuple(KINDS.values())], Field(discriminator="kind")]))
    return _adapter[0].validate_python(data)


def verdict(name: str, passed: bool, score: float, checked: str, message: str, **details) -> dict:
    """A verdict dict as verifiers return it (the score clamped to [0, 1])."""
    return {"verifier": name, "passed": bool(passed), "score": round(max(0.0, min(1.0, score)), 4),
            "checked": checked, "message": message, "details": details}
