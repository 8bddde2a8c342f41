"""Follow-ups as typed operations on the steps drawn so far (the previous turn's, or this request's).

A follow-up touches only what it names; every other step is kept as it was, so its artifacts are reused
(graph/nodes.py carries the results of unchanged steps over to the new turn). The operations:

- replace an entity: 'replace X with Y', 'use Y instead of X', 'swap X for Y', 'change X to Y';
- remove a step: 'remove X', 'drop X', 'get rid of X', 'without X';
- add a step: a clause that plans something new with 'also', 'add', 'too', 'as well', 'another';
- modify a parameter: each kind's rule (`Rule.follow_up`: 'make the holes 8 mm', 'colour the carbonyls red'),
  applied to the steps the clause names ('… in aspirin'), else to every step of that kind;
- restyle every panel: 'make all panels 1200 px' (each kind's `StepSpec.size_field`).

The words an edit consumes (the verb, the replaced or removed entity) are recorded in `PlanContext.accounted`
so that plan.faithful accounts for them: 'aspirin' in 'replace aspirin with ibuprofen' is understood, though
no step draws it any more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from ..errors import IvluError, NeedsInput
from ..tools import REGISTRY, StepSpec, parse_step
from ..tools.base import PlanContext

# Words that open a follow-up without adding meaning: 'actually, …', 'ok now …', 'can you …'.
LEAD = re.compile(r"^(?:(?:ok(?:ay)?|actually|please|pls|now|so|hmm+|nah|no|wait|and|but|then|oh|right|great|"
                  r"thanks|cool|nice|hey|can\s+you|could\s+you|would\s+you|will\s+you|let'?s|i'?d\s+(?:like|rather)"
                  r"|(?:could|can|may)\s+i\s+(?:also\s+)?(?:get|have)|give\s+me"
                  r"(?:\s+to)?|i\s+want(?:\s+to)?|just|maybe|instead)[,!.\s]+)+", re.I)
TAIL = re.compile(r"[\s,]*(?:please|pls|thanks|thank you|instead|too|as well)?[\s.!?]*$", re.I)

REPLACE = [
    # 'replace X with Y', 'swap X for Y', 'change X to Y', 'switch X out for Y'
    re.compile(r"^(?:replace|swap|switch|exchange|trade|change|turn|rename|relabel)\s+(?P<old>.+?)\s+(?:out\s+)?(?:with|for|by|to|"
               r"into|as)\s+"
               r"(?P<new>.+)$", re.I),
    # 'put Y where the X is', 'the X has become Y', 'make that Y'
    re.compile(r"^(?:put|place|use|have)\s+(?P<new>.+?)\s+where\s+(?P<old>.+?)\s+(?:is|was|are|were)$", re.I),
    re.compile(r"^(?P<old>.+?)\s+(?:has|have)\s+become\s+(?P<new>.+)$|^(?P<old2>.+?)\s+(?:is|are)\s+now\s+"
               r"(?P<new2>.+)$", re.I),
    # 'use Y instead of X', 'draw Y rather than X', 'Y instead of X'
    re.compile(r"^(?:(?:use|draw|show|do|put|have|try|make\s+it|go\s+with)\s+)?(?P<new>.+?)\s+(?:instead\s+of|in\s+place"
               r"\s+of|rather\s+than)\s+(?P<old>.+)$", re.I),
    # 'instead of X, use Y'
    re.compile(r"^(?:instead\s+of|in\s+place\s+of|rather\s+than)\s+(?P<old>.+?),?\s+(?:use|draw|show|do|put|have|"
               r"try|go\s+with|i\s+want|i'?d\s+like|give\s+me|let'?s\s+have)\s+(?P<new>.+)$", re.I),
    # 'substitute Y for X'
    re.compile(r"^substitute\s+(?P<new>.+?)\s+for\s+(?P<old>.+)$", re.I),
]
REMOVE = re.compile(r"^(?:remove|delete|drop|omit|lose|hide|cut|skip|scrap|ditch|bin|nix|get\s+rid\s+of|take\s+(?:out|away)|"
                    r"leave\s+out|no\s+need\s+for|no|without|don'?t\s+(?:show|draw|include))\s+(?P<old>.+?)"
                    r"(?:\s+any\s*more)?$|^(?:take|leave)\s+(?P<old2>.+?)\s+(?:out|off)$|"
                    r"^(?P<old3>.+?)\s+(?:can|could|should|may)\s+go$", re.I)
ADDITIVE = re.compile(r"\b(?:also|too|as\s+well|add|another|in\s+addition|additionally|alongside|next\s+to\s+(?:it|them)|"
                      r"beside\s+(?:it|them)|plus|one\s+more)\b", re.I)
# Words that point at steps rather than naming them.
ARTICLES = re.compile(r"\b(?:the|a|an|that|this|those|these|its|their|my|our|one|ones|panel|panels|step|steps|"
                      r"figure|picture|drawing|structure|molecule|compound|image|plot|chart|graph|diagram|view)s?\b",
                      re.I)
ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "sixth": 5, "last": -1}
EDIT_WORDS = ("ok okay actually please pls now so hmm nah wait but then oh right great thanks cool nice hey can "
              "could would will let's like rather want just maybe replace swap switch exchange change turn with for by to into use instead of place rather than "
              "substitute remove delete drop omit lose hide cut skip get rid take out away leave no without don't "
              "dont show draw include also too as well add another in addition additionally alongside next beside "
              "plus one more it them all every each panel panels step steps figure everything px pixels pixel "
              "size wide make set both bump up down need scrap ditch bin nix trade become now where widen narrow tilt thicken bigger larger smaller wider narrower go goes run runs range span stretch extend view show as rotate rotated tilt "
              "spin rename relabel")  # one string: plan.faithful reads its words
SCALE = re.compile(r"\b(?:bigger|larger|smaller)\b", re.I)  # with no size: 1.5× (or 1/1.5×), said in a note
PIXELS = re.compile(r"\b(?P<px>\d{3,4})\s*(?:px|pixels?)\b(?:\s+wide)?", re.I)


@dataclass
class EditContext:
    """What the planner hands an edit: how to plan new words. An edit records the words it consumed in
    `ctx.accounted`."""

    ctx: PlanContext
    plan_clause: Callable[[str, PlanContext], list[StepSpec] | None]
    new_figure: bool = False  # a clause started a new figure: the previous turn's panels were let go


def bare(clause: str) -> str:
    """The clause without the opening and closing words of conversation."""
    clause = LEAD.sub("", clause.strip())
    return TAIL.sub("", clause).strip()


def additive(clause: str) -> bool:
    """The clause asks for something on top of what is drawn ('also draw benzene', 'add a top view')."""
    return bool(ADDITIVE.search(clause))


def without_also(clause: str) -> str:
    """'also plot x^2 from -3 to 3' → 'plot x^2 from -3 to 3': the words that say 'on top of what is drawn' are
    the edit's, not the new step's."""
    text = re.sub(r"^(?:and\s+)?(?:(?:also|plus|additionally|in\s+addition,?|as\s+well,?)\s+)?(?:add|include|put\s+in)?\s*",
                  "", bare(clause), flags=re.I)
    return text or clause


def names_of(step: StepSpec) -> list[str]:
    """The lower-case names a person may call a step by: its name, title and caption, and its kind."""
    out = [getattr(step, "name", ""), step.title, step.caption()]
    return [n.lower() for n in dict.fromkeys(out) if n and n != step.id]


def targets(words: str, steps: list[StepSpec]) -> list[int]:
    """Positions of the steps `words` names: by name ('the aspirin'), by position ('the second one', 'panel 2',
    's2'), by kind ('the plot'), or 'it' when one step is drawn."""
    text = " ".join(words.lower().split()).strip(" .,!?'\"")
    if not text:
        return []
    if re.fullmatch(r"(?:it|that|this|them|everything|both(?:\s+of\s+them)?|each(?:\s+one)?|all(?:\s+of\s+them)?)",
                    text):
        return list(range(len(steps))) if text.split()[0] in ("them", "everything", "both", "each", "all") or \
            len(steps) == 1 else []
    m = re.fullmatch(r"(?:the\s+)?(?:panel|step|figure)\s*(\d{1,2})|s(\d{1,2})", text)
    if m:
        n = int(m.group(1) or m.group(2)) - 1
        return [n] if 0 <= n < len(steps) else []
    m = re.fullmatch(r"(?:the\s+)?(first|second|third|fourth|fifth|sixth|last)(?:\s+\w+)?", text)
    if m:
        n = ORDINALS[m.group(1)]
        return [n % len(steps)] if -len(steps) <= n < len(steps) else []
    named = [i for i, s in enumerate(steps) if any(_mentions(text, n) for n in names_of(s))]
    if named:
        return named
    core = ARTICLES.sub(" ", text).strip()
    if len(core) >= 3:  # 'the cis one' names 'cis-but-2-ene (Z)': a word of the name, hyphens apart
        loose = [i for i, s in enumerate(steps)
                 if any(re.search(r"(?<![^\W_])" + re.escape(core) + r"(?![^\W_])", n) for n in names_of(s))]
        if len(loose) == 1:
            return loose
    if not core:  # 'the plot', 'the structure': every step whose kind's rule uses that word
        word = text.split()[-1].rstrip("s")
        rules = {k.name: k.rule for k in REGISTRY}
        return [i for i, s in enumerate(steps) if rules.get(s.kind) is not None
                and {word, word + "s"} & set(rules[s.kind].vocabulary)]
    named = [i for i, s in enumerate(steps) if any(_mentions(core, n) for n in names_of(s))]
    return named or by_kind_words(core, steps)


FIGURE_NOUNS = {"reaction", "reactions", "scheme", "schemes", "model", "models", "equation", "equations", "poster",
                "posters", "label", "labels", "slide", "part", "parts", "flowchart", "tree", "trees", "lewis", "ball-and-stick",
                "3d", "formula", "formulas", "banner", "title"}


def by_kind_words(words: str, steps: list[StepSpec]) -> list[int]:
    """'the 3D model', 'the reaction scheme': the steps whose kind's rule owns every one of these words, when
    that picks out some steps and not others (words every kind shares name nothing)."""
    rules = {k.name: k.rule for k in REGISTRY}
    wanted = set(re.findall(r"[\w-]+", words.lower()))
    if not wanted & FIGURE_NOUNS:  # 'the top view' names a view of a part, not a kind of panel
        return []
    hit = [i for i, s in enumerate(steps) if rules.get(s.kind) is not None
           and wanted <= set(rules[s.kind].vocabulary) | {s.kind}]
    kinds = {steps[i].kind for i in hit}
    return hit if hit and (len(hit) < len(steps) or len({s.kind for s in steps}) == 1) and len(kinds) == 1 else []


def _mentions(words: str, name: str) -> bool:
    """`words` is, or names, a step called `name` ('the aspirin' names 'aspirin'; 'caffeine' names
    'caffeine (C8H10N4O2)')."""
    words = ARTICLES.sub(" ", words)
    words = " ".join(words.split())
    if not words:
        return False
    if words == name:
        return True
    return bool(re.search(r"(?<![\w-])" + re.escape(words) + r"(?![\w-])", name)) and len(words) >= 3


AGAIN = re.compile(r"^(?:re-?)?(?:draw|show|render|depict|display|clean\s+up|tidy(?:\s+up)?)\s+(?:it|this|that|them|these|"
                   r"the|my)?\s*(?:molecule|structure|drawing|image|picture|figure|one)?\s*(?:again|as\s+is)?$", re.I)


def again(clause: str, steps: list[StepSpec], edit: EditContext) -> list[StepSpec] | None:
    """'redraw it', 'draw this molecule' (with the user's own image): the steps as they are."""
    if not AGAIN.match(bare(clause)):
        return None
    edit.ctx.accounted.append(EDIT_WORDS + " again redraw re depict display clean tidy molecule structure drawing "
                              "image picture figure")
    return list(steps)


def replace(clause: str, steps: list[StepSpec], edit: EditContext) -> list[StepSpec] | None:
    """'replace X with Y' and its variants. X may name whole steps ('aspirin') or something inside one (a
    reaction's catalyst, a diagram's node, a plotted function): the step is planned again from its own words
    with X written as Y, so it stays the kind it was. None when the words are no replacement."""
    text = bare(clause)
    for pattern in REPLACE:
        m = pattern.match(text)
        if not m:
            continue
        old = (m.groupdict().get("old") or m.groupdict().get("old2") or "").strip(" ,'\"")
        new = (m.groupdict().get("new") or m.groupdict().get("new2") or "").strip(" ,'\"")
        old = re.sub(r"^(?:the|a|an)\s+", "", old, flags=re.I)
        new = re.sub(r"^(?:the|a|an|some)\s+", "", new, flags=re.I)  # 'for a mouse' puts 'mouse' in the chain
        hit = targets(old, steps) or inside(old, steps)
        if not hit:
            if drawable(old, edit):
                raise missing(old, clause, steps)
            continue
        planned = _replanned(steps[hit[0]], steps, old, new, edit)
        if not planned:
            return None  # 'turn it into a displayed formula': no new thing, perhaps a change of a step
        out: list[StepSpec] = []
        for i, step in enumerate(steps):
            if i == hit[0]:
                out += [p.carry_over(step, edit.ctx) if p.kind == step.kind else p for p in planned]
            elif i not in hit:
                out.append(step)
        edit.ctx.accounted += [old, EDIT_WORDS]
        edit.ctx.reasoning.append(f"Replacing {old} with {new} in {', '.join(steps[i].caption() for i in hit)}; "
                                  "the other steps are kept as drawn")
        return out
    return None


def inside(words: str, steps: list[StepSpec]) -> list[int]:
    """Positions of the steps whose own words (`source`) hold `words`: the first such step only, since one
    edit names one thing."""
    for i, step in enumerate(steps):
        if words and re.search(r"(?<![\w-])" + re.escape(words) + r"(?![\w-])", step.source, re.I):
            return [i]
    return []


def _replanned(step: StepSpec, steps: list[StepSpec], old: str, new: str, edit: EditContext) -> list[StepSpec]:
    """The step planned again from its own words with `old` written as `new` (else a plain 'draw NEW')."""
    if step.source and re.search(r"(?<![\w-])" + re.escape(old) + r"(?![\w-])", step.source, re.I):
        words = re.sub(r"(?<![\w-])" + re.escape(old) + r"(?![\w-])", lambda _: new, step.source, flags=re.I)
        planned = edit.plan_clause(words, edit.ctx) or []
        same = [p for p in planned if p.kind == step.kind]
        siblings = [s for s in steps if s.source == step.source and s.kind == step.kind]
        if len(same) == len(siblings) and step in siblings:
            chosen = same[siblings.index(step)]
            chosen.source = words
            return [chosen]
        if len(same) == 1:
            return same
    try:
        return edit.plan_clause(f"draw {new}", edit.ctx) or edit.plan_clause(new, edit.ctx) or []
    except NeedsInput:
        raise
    except IvluError:
        return []


def quiet(ctx: PlanContext) -> PlanContext:
    """A context to try a plan in: the same tools, but its notes and reasoning stay out of the request's."""
    return PlanContext(describe=ctx.describe, call=ctx.call, strict=ctx.strict)


def drawable(words: str, edit: EditContext) -> bool:
    """`words` name something the planner could draw (a compound, a part…): an edit naming it means that thing."""
    try:
        return bool(edit.plan_clause(f"draw {ARTICLES.sub(' ', words).strip()}", quiet(edit.ctx)))
    except IvluError:
        return False


def missing(words: str, clause: str, steps: list[StepSpec]) -> IvluError:
    """An edit that names something the figure does not have."""
    shown = ", ".join(f"{s.id} {s.caption()}" for s in steps[:6]) + (", …" if len(steps) > 6 else "")
    words = re.sub(r"^(?:the|a|an|any)\s+", "", words.strip(), flags=re.I)
    return IvluError(f"There is no {words} in the figure, so {clause!r} changes nothing (it has {shown}).",
                     "an edit naming one of those panels, or what is inside one",
                     "name a panel that is drawn, or ask for something new ('also draw …')")


def remove(clause: str, steps: list[StepSpec], edit: EditContext) -> list[StepSpec] | None:
    """'remove X', 'drop X', 'get rid of X', when X names whole steps; else None (a rule may remove a part of
    a step: 'drop the top view'). X that names something drawable which the figure lacks is refused."""
    m = REMOVE.match(bare(clause))
    if not m:
        return None
    old = m.group("old") or m.group("old2") or m.group("old3")
    hit = targets(old, steps)
    if not hit:
        from .rework import withdraw  # an item inside a step: 'remove the tea bag step'

        inner = withdraw(clause, old, steps, edit)
        if inner is not None:
            return inner
        if drawable(old, edit):
            raise missing(old, clause, steps)
        return None
    kept = [s for i, s in enumerate(steps) if i not in hit]
    if not kept:
        raise IvluError(f"{clause!r} would remove every panel, leaving nothing to draw.",
                        "an edit that leaves at least one panel", "undo the turn (`ivlu undo`) or ask for "
                        "something new to draw")
    edit.ctx.accounted += [old, EDIT_WORDS]
    edit.ctx.reasoning.append(f"Removing {', '.join(steps[i].caption() for i in hit)}; the other steps are kept")
    return kept


def aimed(clause: str, steps: list[StepSpec]) -> tuple[str, list[int]] | None:
    """A modification aimed at named steps: 'colour the carbonyls in aspirin red' → ('colour the carbonyls
    red', [aspirin's position]). None when the clause names no step."""
    for i, step in enumerate(steps):
        for name in names_of(step):
            if len(name) < 3:
                continue
            m = re.search(r"\s*\b(?:in|of|on|for|to)\s+(?:the\s+)?" + re.escape(name) + r"(?![\w-])", clause, re.I) \
                or re.search(r"(?<![\w-])(?:the\s+)?" + re.escape(name) + r"(?:'s)?(?![\w-])", clause, re.I)
            if m:
                rest = (clause[:m.start()] + " " + clause[m.end():]).strip()
                if rest:
                    return rest, [j for j, s in enumerate(steps) if name in names_of(s)]
    return None


def modify(clause: str, steps: list[StepSpec], edit: EditContext,
           follow_up: Callable[[str, list[dict]], list[StepSpec] | None]) -> list[StepSpec] | None:
    """A kind's own follow-up ('make the holes 8 mm'), applied to the steps the clause names, else to all; each
    rework replaces its original (matched by id)."""
    scoped = aimed(clause, steps)
    clause_for, chosen = scoped if scoped else (clause, list(range(len(steps))))
    reworked = follow_up(clause_for, [steps[i].model_dump(mode="json") for i in chosen])
    if not reworked and scoped:  # the name was part of the edit's meaning, not a target
        reworked = follow_up(clause, [s.model_dump(mode="json") for s in steps])
    if not reworked:
        return None
    edit.ctx.accounted.append(EDIT_WORDS)
    if scoped:
        edit.ctx.accounted += [steps[i].caption() for i in chosen]
    by_id = {s.id: s for s in reworked}
    return [by_id.get(s.id, s) for s in steps]


def restyle(clause: str, steps: list[StepSpec], edit: EditContext, scale: bool = False) -> list[StepSpec] | None:
    """'make all panels 1200 px', '1200 px wide': every panel with a pixel size gets it (or the named ones).
    With `scale`, 'make it bigger' (no size) makes them 1.5× (a kind's own 'bigger' is tried before this)."""
    m = PIXELS.search(clause)
    scale = SCALE.search(clause) if not m and scale else None
    if not m and not scale:
        return None
    factor = 1.0 if m else (1.5 if scale.group().lower() in ("bigger", "larger") else 1 / 1.5)
    rest = bare((PIXELS if m else SCALE).sub(" ", clause))
    rest = re.sub(r"\b(?:make|set|render|draw|show|resize|scale|bump|up|down|need|want|i|at|to|all|every|each|the|"
                  r"panels?|figures?|everything|images?|them|it|size|wide|high|of|in|please|would|like|could|can|you|"
                  r"be|should|is|are|across)\b", " ", rest, flags=re.I).strip(" ,.")
    chosen = targets(rest, steps) if rest else list(range(len(steps)))
    if rest and not chosen:
        return None
    out, sized, unsized = list(steps), [], []
    for i in chosen:
        step = steps[i]
        size = step.pixel_size()
        if not size or (not m and not (size[0] or size[1])):
            unsized.append(step.caption())
            continue
        px = int(m.group("px")) if m else int(round((size[0] or size[1]) * factor / 10) * 10)
        out[i] = step.resized(px)
        sized.append(f"{step.caption()} ({px} px)")
    if not sized:
        raise IvluError(f"None of the panels named in {clause!r} has a pixel size to change "
                        f"({', '.join(unsized)}).", "a panel drawn at a size in pixels (a structure, part, plot "
                        "or model)", "change its font size instead, or name another panel")
    if unsized:
        edit.ctx.notes.append(f"{', '.join(unsized)} {'has' if len(unsized) == 1 else 'have'} no pixel size; "
                              "kept as drawn")
    edit.ctx.accounted += [EDIT_WORDS, rest, m.group("px") if m else "bigger larger smaller"]
    if not m:
        edit.ctx.notes.append(f"'{scale.group()}' made {factor:.2g}× the size: {', '.join(sized)}")
    edit.ctx.reasoning.append(f"Resizing {', '.join(sized)}")
    return out


def refusal(clause: str, steps: list[StepSpec]) -> IvluError:
    """A follow-up that matches no operation: three lines naming the steps it could apply to."""
    shown = ", ".join(f"{s.id} {s.caption()}" for s in steps[:6]) + (", …" if len(steps) > 6 else "")
    text = clause if len(clause) <= 80 else clause[:77] + "…"
    return IvluError(f"I could not apply {text!r} to the figure ({shown}).",
                     "an edit: 'also draw X', 'remove X', 'replace X with Y', a value such as 'make the holes "
                     "8 mm' or 'colour the carbonyls red', or '1200 px'",
                     "rephrase it as one of those, or ask for a new figure ('draw …')")


def unsettled(history: list[dict]) -> list[str]:
    """What the previous turn's plan did not understand. A follow-up that keeps its figure keeps that too, so
    an edit never turns a misread figure into a verified one."""
    faithful = (history[-1]["plan"].get("faithful") or {}) if history else {}
    details = faithful.get("details") or {}
    left = [*details.get("not_understood", []), *details.get("numbers_unused", [])]
    return [f"{w} (in the earlier request)" for w in left][:8]


def inherited(history: list[dict]) -> list[StepSpec]:
    """The previous turn's steps, as specs to edit."""
    if not history:
        return []
    return [parse_step(s) for s in history[-1]["plan"]["steps"]]
