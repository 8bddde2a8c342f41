"""The deterministic planner (engine `symbolic`): rules, tables and no model.

A request is split into clauses ("…, then …", ";", new lines). Each clause goes to the rule
that claims it (`RULES`: each kind's rule, by priority; ivlu_agent/tools/<kind>/rule.py). A clause that
no rule claims gets a clear message listing what was understood and what is supported. A clause
that names nothing new may rework what was drawn before it (a follow-up): the steps planned earlier in
the same request ("…, then show it rotated 30° about z"), or else, on a thread, the previous turn's.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from pydantic import ValidationError

from ..errors import IvluError, NeedsInput, validation_problems
from ..tools import MAX_STEPS, RULES, Plan
from ..tools.base import PlanContext, Rule, StepSpec
from ..tools.common.prose import ABBREVIATION, ENUMERATOR, QUOTED
from ..types import ArtifactRef
from . import edits, rework
from .faithful import check_plan, only_framing

CLAUSE_BREAK = re.compile(r"\s*(?:;|\n|,?\s+\bthen\b|\.\s+(?=[A-Z])|" + ENUMERATOR.pattern + r")\s*", re.I)
_PART_JOINS = (r",\s*and\s+|,(?!\d)\s*|\s+and\s+|\s+plus\s+|\s+(?:next to|beside|alongside|under|underneath|above|"
               r"below|beneath|showing|featuring|containing)\s+")
PART_BREAK = re.compile(rf"\s*(?:{_PART_JOINS})\s*")
# A part that names a figure of its own: 'and the reaction HCl + NaOH → …', 'and a plot of …'.
KIND_NOUN = re.compile(r"\b(?:reactions?|equations?|schemes?|structures?|molecules?|formulas?|plots?|graphs?|charts?|"
                       r"diagrams?|flow\s*charts?|trees?|posters?|labels?|slides?|views?|banners?|titles?|parts?)\b", re.I)
HOLDS = re.compile(r"\b(?:showing|featuring|containing)\b", re.I)
# Where a clause owned by one rule may still start with a part for another: 'a poster titled 'X' with the
# structure of caffeine and a bar chart of …: coffee 95 mg, …'.
LEAD_BREAK = re.compile(rf"\s*(?:{_PART_JOINS}|\s+with\s+)\s*")


# Quoted text, $LaTeX$ and abbreviations ('Dr. Patel') are never split.
PROTECTED = re.compile(QUOTED.pattern + r"|\$[^$\n]+\$|" + ABBREVIATION.pattern, re.I)


def split_outside_quotes(pattern: re.Pattern, text: str) -> list[str]:
    """pattern.split(text), except inside quoted strings and $…$ (a poster's 'Salt and Pepper. Fresh!')."""
    spans: list[str] = []

    def hide(m: re.Match) -> str:
        spans.append(m.group())
        return f"\0{len(spans) - 1}\0"

    parts = pattern.split(PROTECTED.sub(hide, text))
    return [re.sub(r"\0(\d+)\0", lambda m: spans[int(m.group(1))], part) for part in parts]


def pieces(pattern: re.Pattern, text: str) -> list[tuple[str, str]]:
    """(the separator before it, the piece) for each piece of `text` split at `pattern` outside quotes."""
    masked = PROTECTED.sub(lambda m: "\0" * len(m.group()), text)
    out, start, before = [], 0, ""
    for m in pattern.finditer(masked):
        if m.start() > start:
            out.append((before, text[start:m.start()]))
            before = text[m.start():m.end()]
        else:
            before += text[m.start():m.end()]
        start = m.end()
    if text[start:]:
        out.append((before, text[start:]))
    return [(sep, part) for sep, part in out if part.strip()]


class SymbolicPlanner:
    """Plans by rules. `describe(smiles)` and `call(target, ...)` run native code in the worker."""

    name = "symbolic"

    def __init__(self, describe: Callable[[str], dict], call: Callable[..., Any] | None = None,
                 strict: bool = False, store_root: str = ""):
        self.describe = describe
        self.call = call or self._no_worker
        self.strict = strict  # refuse where a drafting convention would fill what the words leave open
        self.store_root = store_root  # where the images given with a request are stored (the agent home)

    @staticmethod
    def _no_worker(target: str, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"this planner was built without a worker pool, so it cannot run {target}")

    def plan(self, request: str, images: list[ArtifactRef], history: list[dict[str, Any]],
             answers: dict[str, str] | None = None) -> Plan:
        """Plan the request. On a thread (`history`), it edits the previous turn's figure (planning/edits.py)
        or, when it asks for something new without 'also'/'add', starts a new one. `answers` hold the answers
        to questions asked earlier (`NeedsInput`), by question key."""
        ctx = PlanContext(describe=self.describe, call=self.call, strict=self.strict)
        edit = edits.EditContext(ctx, lambda clause, c: self._answered(clause, c, answers or {}))
        steps: list[StepSpec] = edits.inherited(history)
        if images:  # the user's own drawings: read as molecules (OSRA), then the request edits them
            steps = self._read_images(images, ctx)
        inherited = bool(steps)  # True while `steps` are the previous turn's, untouched by this request
        for clause in self._joined(self.clauses(" ".join(request.split(" ")))):
            steps, inherited = self._settled(clause, steps, inherited, edit, answers or {})
        if history and not edit.new_figure and not images:
            ctx.unhonoured[:] = (ctx.unhonoured + edits.unsettled(history))[:16]
        return Plan(reasoning="\n".join(ctx.reasoning), steps=steps, notes=list(dict.fromkeys(ctx.notes)),
                    unhonoured=ctx.unhonoured, accounted=[a[:1000] for a in dict.fromkeys(ctx.accounted) if a][:64])

    def _settled(self, clause: str, steps: list[StepSpec], inherited: bool, edit: edits.EditContext,
                 answers: dict[str, str]) -> tuple[list[StepSpec], bool]:
        """`_clause`, with each question it raises that was answered before written into the clause."""
        return settled(clause, answers, edit.ctx, lambda words: self._clause(words, list(steps), inherited, edit))

    def _clause(self, clause: str, steps: list[StepSpec], inherited: bool,
                edit: edits.EditContext) -> tuple[list[StepSpec], bool]:
        """One clause applied to the steps so far: an edit of them, or new steps (added, or a new figure).
        Returns the steps and whether they are still only the previous turn's."""
        ctx = edit.ctx
        try:
            changed = self._edit(clause, steps, edit) if steps else None
            if changed is not None:
                steps, inherited = changed, False
                self._number(steps)
                return steps, inherited
            refused = None
            said = len(ctx.notes), len(ctx.reasoning), len(ctx.unhonoured)  # what planning new steps adds
            try:
                if steps and edits.additive(clause):  # 'also draw its Lewis structure', 'also do ammonia'
                    planned = edit.plan_clause(edits.without_also(rework.resolved(clause, steps)), ctx)
                    planned = rework.in_kind(planned or [], clause, steps, edit) or None
                else:
                    planned = edit.plan_clause(clause, ctx)
            except NeedsInput:
                raise
            except IvluError as e:  # 'make the plate 12 mm thick' reads as a new part lacking sizes …
                if not steps:
                    raise
                planned, refused = None, e  # … but it is an edit of the part drawn, if one applies
            if planned and inherited and not edits.additive(clause):
                # 'write H2SO4 above the arrow' plans a molecule H2SO4, but it is an edit of the reaction drawn:
                # an edit of another kind than the new steps wins, and what planning them said is taken back
                planned_at = len(ctx.notes), len(ctx.reasoning), len(ctx.unhonoured)
                changed = edits.modify(clause, steps, edit, self._follow_up_with(ctx))
                kinds = {s.kind for s, old in zip(changed or [], steps) if s != old}
                if changed is not None and kinds and not kinds & {p.kind for p in planned}:
                    for said_list, start, end in zip((ctx.notes, ctx.reasoning, ctx.unhonoured), said, planned_at):
                        del said_list[start:end]
                    return changed, False
            if planned is None and steps:  # 'make the holes 8 mm', 'now highlight its carbonyls'
                changed = edits.modify(clause, steps, edit, self._follow_up_with(ctx)) \
                    or rework.amend(clause, steps, edit) or edits.restyle(clause, steps, edit, scale=True)
                if changed is not None:
                    steps, inherited = changed, False
                    return steps, inherited
            if refused is not None:
                raise refused
            if planned is None and only_framing(clause):
                ctx.reasoning.append(f"'{clause}' frames the request and asks for nothing itself")
                return steps, inherited  # 'two things pls:', 'I need three figures:'
            if planned is None and steps and not inherited and check_plan(clause, steps).passed:
                # 'Draw the reaction scheme.' after the scheme: every word is already accounted for
                ctx.reasoning.append(f"'{clause}' asks for nothing beyond the steps before it")
                return steps, inherited
        except ValidationError as e:
            raise IvluError(f"The request asks for something out of bounds in {clause!r}: "
                            + validation_problems(e),
                            "values inside the documented limits", "change the sizes or counts") from None
        if planned is None:
            if inherited:
                raise edits.refusal(clause, steps)
            raise self._not_understood(clause, [f"{s.kind} '{s.caption()}'" for s in steps])
        if inherited:
            if edits.additive(clause):
                ctx.accounted.append(edits.EDIT_WORDS)
                ctx.reasoning.append("Adding to the figure so far: " + ", ".join(s.caption() for s in planned))
            else:  # a new request on the thread: a new figure (the previous one stays in its history)
                ctx.reasoning.append("A new figure: the request names something new without 'also' or "
                                     "'add', so the previous turn's panels are not kept")
                steps = []
                edit.new_figure = True
        inherited = False
        steps += planned
        if len(steps) > MAX_STEPS:
            raise IvluError(f"The request asks for more than {MAX_STEPS} panels (I had planned {len(steps)} "
                            f"when I reached {clause[:60]!r}).", f"at most {MAX_STEPS} panels in one figure",
                            "split the request into several runs")
        self._number(steps)  # reworks later in the request find their originals by id
        return steps, inherited

    def _read_images(self, images: list[ArtifactRef], ctx: PlanContext) -> list[StepSpec]:
        """A molecule step per image, read by OSRA; an image it cannot read is a clear error."""
        from ..tools import parse_step
        from ..tools.molecule.from_image import steps_from_images

        paths = [f"{self.store_root}/{ref.path}" for ref in images]
        shown = {path: ref.name or "the image" for path, ref in zip(paths, images)}

        def named(text: str) -> str:  # the user's file name, not the store's path
            for path, name in shown.items():
                text = text.replace(path, name)
            return text

        try:
            specs, lines = steps_from_images(paths, self.call)
        except IvluError as e:
            raise IvluError(named(e.problem), named(e.expected), named(e.fix)) from None
        ctx.notes += [named(line) for line in lines]
        steps = [parse_step(s) for s in specs]
        for ref, step in zip(images, steps):  # OSRA misreads a few drawings as another real molecule: never certified
            ctx.unhonoured.append(f"{ref.name or 'the image'} as read by OSRA ({step.caption()}, {step.formula}): "
                                  "check that it is your structure")
        return steps

    def _edit(self, clause: str, steps: list[StepSpec], edit: edits.EditContext) -> list[StepSpec] | None:
        """An explicit edit of the steps so far: replace, remove, a change aimed at a named step, a new size."""
        if rework.SETTING.match(edits.bare(clause)):  # 'change the subtitle to X': a setting, not an entity
            changed = rework.amend(clause, steps, edit)
            if changed is not None:
                return changed
        for operation in (edits.again, rework.insert, rework.add_datum, edits.replace, edits.remove):
            changed = operation(clause, steps, edit)
            if changed is not None:
                return changed
        if edits.aimed(clause, steps):
            changed = edits.modify(clause, steps, edit, self._follow_up_with(edit.ctx))
            if changed is not None:
                return changed
        return edits.restyle(clause, steps, edit)

    def _follow_up_with(self, ctx: PlanContext):
        return lambda clause, previous: self._follow_up(clause, previous, ctx, same_request=True)

    def _answered(self, clause: str, ctx: PlanContext, answers: dict[str, str]) -> list[StepSpec] | None:
        """Plan a clause; a question it raises that was answered before is answered by amending the clause."""
        return settled(clause, answers, ctx, lambda words: sourced(self._plan_clause(words, ctx), words))

    @staticmethod
    def _number(steps: list[StepSpec]) -> None:
        for i, step in enumerate(steps, start=1):
            step.id = f"s{i}"

    @staticmethod
    def _follow_up(clause: str, previous: list[dict], ctx: PlanContext, same_request: bool) -> list[StepSpec] | None:
        for rule in RULES:
            reworked = rule.follow_up(clause, previous, ctx, same_request=same_request)
            if reworked:
                return reworked
        return None

    @staticmethod
    def clauses(request: str) -> list[str]:
        return [c.strip(" .,") for c in split_outside_quotes(CLAUSE_BREAK, request.strip()) if c and c.strip(" .,")]

    @staticmethod
    def _joined(clauses: list[str]) -> list[str]:
        """Consecutive clauses that one rule reads together (a reaction told over two or three sentences)
        become one clause; a rule says so with `owns_together(clauses)`."""
        joiners = [r for r in RULES if getattr(r, "owns_together", None)]
        out: list[str] = []
        i = 0
        while i < len(clauses):
            for n in (3, 2):
                group = clauses[i:i + n]
                if len(group) == n and any(r.owns_together(group) for r in joiners):
                    out.append("; ".join(group))
                    i += n
                    break
            else:
                out.append(clauses[i])
                i += 1
        return out

    def _plan_clause(self, clause: str, ctx: PlanContext) -> list[StepSpec] | None:
        claimed = [r for r in RULES if r.claims(clause)]
        if not claimed:  # a rule may read what no other claims ('write Happy Birthday Ana': unquoted text)
            claimed = [r for r in RULES if getattr(r, "claims_unclaimed", None) and r.claims_unclaimed(clause)][:1]
        if len(claimed) == 1:
            return sourced(claimed[0].plan(clause, ctx), clause)
        if len(claimed) > 1:
            # A rule that reads the whole clause as one request (an edge list, a data series) takes it.
            whole = [r for r in claimed if getattr(r, "owns", None) and r.owns(clause)]
            if len(whole) == 1:
                return sourced(self._plan_owned(whole[0], clause, ctx), clause)
            return sourced(self._plan_mixed(clause, ctx), clause)
        return None

    def _plan_owned(self, owner: Rule, clause: str, ctx: PlanContext) -> list[StepSpec]:
        """`owner` reads the clause whole; a leading part it does not need, which another rule claims, is
        planned on its own first: the shortest such lead, so the owner keeps all it can. A rule whose reading
        gives every part of its clause a role (a reaction's compounds) sets `keeps_leads` and is never split."""
        if getattr(owner, "keeps_leads", False):
            return owner.plan(clause, ctx)
        masked = PROTECTED.sub(lambda m: "\0" * len(m.group()), clause)  # never break inside quotes
        for m in LEAD_BREAK.finditer(masked):
            lead, tail = clause[:m.start()], clause[m.end():]
            if not lead.strip() or not tail.strip():
                continue
            others = [r for r in RULES if r is not owner and r.claims(lead)]
            if others and not owner.claims(lead) and owner.owns(tail):
                if m.group().strip() == "with":  # 'a poster titled X with a chart of …': drawn beside it
                    ctx.unhonoured.append("with (what it holds is drawn beside it, not inside)")
                return self._plan_clause(lead, ctx) + self._plan_owned(owner, tail, ctx)
        # … and a trailing part another rule claims: 'a flowchart (fill → titrate → record) and the reaction
        # HCl + NaOH → NaCl + H2O' is a flowchart and a reaction, never node labels holding a reaction
        for m in reversed(list(PART_BREAK.finditer(masked))):
            head, tail = clause[:m.start()], clause[m.end():]
            if len(tail.split()) < 3 or not head.strip() or not KIND_NOUN.search(tail):
                continue  # only a part that names its own figure ('the reaction …'); 'ethanol (78 °C)' is data
            if not owner.claims(tail) and any(r.claims(tail) for r in RULES if r is not owner) \
                    and owner.owns(head):
                return self._plan_owned(owner, head, ctx) + (self._plan_clause(tail, ctx) or [])
        return owner.plan(clause, ctx)

    def _plan_mixed(self, clause: str, ctx: PlanContext) -> list[StepSpec]:
        """Several rules claim one clause: split it at 'and' / commas and route each part."""
        parts: list[tuple[Rule | None, str]] = []
        for separator, part in pieces(PART_BREAK, clause):
            owners = [r for r in RULES if r.claims(part)]
            owner = owners[0] if owners else None
            previous = parts[-1][0] if parts else None
            joined = parts[-1][1] + separator + part if parts else part  # the words as written, commas kept
            continues = getattr(previous, "owns", None) and previous.owns(joined)
            if parts and (owner is None or owner is previous or continues):
                parts[-1] = (parts[-1][0] or owner, joined)
            else:
                parts.append((owner, part))
        steps: list[StepSpec] = []
        for owner, text in parts:
            if owner is None:
                raise self._not_understood(text)
            steps += sourced(owner.plan(text, ctx), text)
        holds = HOLDS.search(PROTECTED.sub(" ", clause))
        if holds and len(parts) > 1 and any(getattr(s, "layout", "") == "poster" for s in steps):
            # 'a poster titled X showing methane, ethane …': panels side by side, not inside the poster
            ctx.unhonoured.append(f"{holds.group().strip()} (what it holds is drawn beside it, not inside)")
        return steps

    @staticmethod
    def _not_understood(text: str, understood: list[str] | None = None) -> IvluError:
        """At most three short lines: what was not understood, the closest supported phrasing, and where to
        find every phrasing (`ivlu examples KIND`)."""
        kind, phrasing = closest_phrasing(text)
        got = f" (understood so far: {', '.join(understood)})" if understood else ""
        shown = text if len(text) <= 120 else text[:117] + "…"
        return IvluError(
            f"I could not find anything to draw in {shown!r}{got}.",
            f"a supported request; the closest is '{phrasing}' ({kind})",
            f"rephrase it (`ivlu examples {kind}` lists every {kind} phrasing, `ivlu examples` all kinds), "
            "or use a model engine for open imagery",
        )


def settled(clause: str, answers: dict[str, str], ctx: PlanContext, attempt: Callable[[str], Any]) -> Any:
    """`attempt(clause)`; each question it raises that was answered before is answered by writing the answer
    into the clause and attempting again."""
    for _ in range(8):  # each answer settles one question; a clause asks few
        try:
            return attempt(clause)
        except NeedsInput as question:
            if question.key not in answers:
                raise
            meant = question.resolve(answers[question.key])
            amended = question.amend(clause, meant)
            if amended == clause:
                raise IvluError(f"The answer {answers[question.key]!r} did not settle: {question.question}",
                                "; ".join(question.options), "answer with one of the proposals") from None
            ctx.notes.append(f"asked: {question.question} answer: {meant}")
            ctx.accounted.append(question.phrase)  # the words the answer settled
            clause = amended
    raise IvluError(f"{clause!r} kept asking questions.", "a request with its values given",
                    "write the values into the request")


def sourced(steps: list[StepSpec] | None, words: str) -> list[StepSpec] | None:
    """The steps, each knowing the words it was planned from (kept where a narrower part already set them)."""
    for step in steps or []:
        if not step.source:
            step.source = words
    return steps


def closest_phrasing(text: str) -> tuple[str, str]:
    """(kind, example) of the supported phrasing closest to `text`, from the rules' own examples."""
    from rapidfuzz import fuzz

    options = [(rule.name, example) for rule in RULES
               for example in re.findall(r"'([^']{4,120})'|\"([^\"]{4,120})\"", rule.examples)
               for example in [next(e for e in example if e)] if "…" not in example]
    return max(options, key=lambda o: fuzz.token_set_ratio(text.lower(), o[1].lower()))
