"""Edits that plan a step again from its own words (`StepSpec.source`) with the change written in: a node put
into a chain or a tree, a range, a measure or a setting changed, more of the same kind ('also do ammonia'
after a ball-and-stick model), and 'it'/'its' resolved to the step drawn last. The new step must be the
same kind and account for the clause's words, so nothing is ignored silently."""

from __future__ import annotations

import re

from ..errors import IvluError, NeedsInput
from ..tools import StepSpec
from ..tools.base import PlanContext
from .edits import EDIT_WORDS, EditContext, aimed, bare, quiet

PRONOUN_ITS = re.compile(r"\bits\s+(?P<what>[a-z][\w\s-]*?)(?=\s+(?:as\s+well|too|also|next\s+to|beside|please)\b|"
                         r"[,.;!?]|$)", re.I)
PRONOUN_IT = re.compile(r"\b(?:of|for|from)\s+(?:it|that|this)\b", re.I)
KIND_WORDS = re.compile(r"\b(?:structures?|skeletal|formulae?|formulas?|molecules?|2-?d|lewis|models?|3-?d|ball)\b", re.I)


def resolved(clause: str, steps: list[StepSpec]) -> str:
    """'also draw its Lewis structure' → 'also draw the Lewis structure of water': 'it' is the last step drawn."""
    name = getattr(steps[-1], "name", "") if steps else ""
    if not name:
        return clause
    clause = PRONOUN_ITS.sub(lambda m: f"the {m.group('what')} of {name}", clause)
    return PRONOUN_IT.sub(lambda m: f"{m.group().split()[0]} {name}", clause)


def in_kind(planned: list[StepSpec], clause: str, steps: list[StepSpec], edit: EditContext) -> list[StepSpec]:
    """'also do ammonia' after a ball-and-stick model of methane: more of the same kind, planned from the last
    step's own words with its compound written as the new ones. Plain molecules otherwise."""
    last = steps[-1] if steps else None
    name = _written_name(last) if last is not None else ""
    if not planned or last is None or not name or KIND_WORDS.search(clause) \
            or any(p.kind != planned[0].kind for p in planned) or planned[0].kind == last.kind:
        return planned
    compounds = " and ".join(getattr(p, "name", "") or getattr(p, "smiles", "") for p in planned)
    words = re.sub(re.escape(name), lambda _: compounds, last.source, count=1, flags=re.I)
    try:
        again = edit.plan_clause(words, edit.ctx) or []
    except IvluError:
        return planned
    if len(again) == len(planned) and all(p.kind == last.kind for p in again):
        edit.ctx.reasoning.append(f"'{clause}' asks for more of the same: {', '.join(p.caption() for p in again)}")
        return again
    return planned


NUM_PI = r"[-+]?(?:\d+(?:\.\d+)?\s*(?:π|pi)?(?:/\d+)?|(?:π|pi)(?:/\d+)?)"  # 5, -3.5, 2pi, 4π, pi/2
RANGE = re.compile(rf"(?:\bfrom\s+|(?<=\bto\s)|(?<=\bbetween\s)|^)(?P<a>{NUM_PI})\s+(?:to|and)\s+(?P<b>{NUM_PI})(?![\w.])",
                   re.I)
UPPER = re.compile(rf"\b(?:out\s+|up\s+|all\s+the\s+way\s+)?to\s+(?P<b>{NUM_PI})(?![\w.])", re.I)
MEASURE = re.compile(r"(?P<value>\d+(?:\.\d+)?\s*(?:mm|cm|px|°|deg(?:rees)?)?)\s+(?P<what>high|tall|thick|wide|long|deep)\b",
                     re.I)
SETTING = re.compile(r"^(?:change|set|make|switch|update)\s+(?:the\s+)?(?P<key>[a-z][a-z -]{1,24}?)\s+(?:to|=|into)\s+"
                     r"(?P<value>'[^']*'|\"[^\"]*\"|.+)$", re.I)
LEAD_VERB = re.compile(r"^(?:make|show|draw|render|view|have|put|display|give\s+me)\s+(?:it|them|this|that)\s+", re.I)


def amended_words(clause: str, source: str) -> str | None:
    """The step's own words changed as the clause says, when the clause is that change and nothing more: a
    range ('from 0 to 10', 'change the range to 0 to 20'), a measure ('40 mm high'), a value in the same unit
    ('change the temperature to 250 °C'), a setting ('change the subtitle to X'), or a manner added ('show it
    as a displayed formula', 'draw it in 3D'). None for anything else ('make it pop' adds no node 'pop')."""
    text = bare(clause)
    m, old = RANGE.search(text), RANGE.search(source)
    if m and only_edit_words(text, m):  # the range replaced, or given where the words had none
        span = f"from {m.group('a')} to {m.group('b')}"
        return source[:old.start()] + span + source[old.end():] if old else f"{source} {span}"
    m, old = UPPER.search(text), RANGE.search(source)
    if m and old and only_edit_words(text, m):  # 'plot it out to 4π': the far end moved, the near one kept
        return source[:old.start("b")] + m.group("b") + source[old.end("b"):]
    m = MEASURE.search(text)
    if m and only_edit_words(text, m):
        old = re.search(r"\d+(?:\.\d+)?\s*(?:mm|cm|px|°|deg(?:rees)?)?\s+" + m.group("what") + r"\b", source, re.I)
        if old:
            return source[:old.start()] + m.group() + source[old.end():]
    m = UNIT_VALUE.search(text)
    if m and only_edit_words(text, m, keep=r"[a-z]+"):  # 'change the temperature to 250 °C' (one such value)
        unit = re.escape(m.group("unit").replace(" ", ""))
        olds = list(re.finditer(r"-?\d+(?:\.\d+)?\s*" + unit.replace("°", "° ?") + r"(?![\w])", source))
        if len(olds) == 1:
            return source[:olds[0].start()] + m.group().strip() + source[olds[0].end():]
    m = SETTING.match(text)
    if m:
        key = m.group("key").strip()
        old = re.search(r"\b" + re.escape(key) + r"s?\s*(?:of|:|=|is|titled|called|reading)?\s*"
                        r"('[^']*'|\"[^\"]*\"|[^,;]+)", source, re.I)
        if old:
            return source[:old.start(1)] + m.group("value") + source[old.end(1):]
        return None
    retyped = retyped_words(text, source)
    if retyped:
        return retyped
    rest = LEAD_VERB.sub("", text)
    if rest != text and MANNER.match(rest):
        return f"{source} {rest}"
    return None


UNIT_VALUE = re.compile(r"(?P<value>-?\d+(?:\.\d+)?)\s*(?P<unit>° ?C|K|atm|bar|kPa|MPa|%|min|minutes|h|hours|s)(?![\w])")
MANNER = re.compile(r"^(?:as|in|with|without|using|from)\s+\S", re.I)


def only_edit_words(text: str, m: re.Match, keep: str = "") -> bool:
    """Nothing in `text` besides the matched change but the words of an edit ('make it', 'change the range
    to'); with `keep`, words matching it (the name of the value: 'temperature') are allowed too."""
    rest = (text[:m.start()] + " " + text[m.end():]).lower()
    allowed = set(EDIT_WORDS.split()) | {"it", "the", "a", "range", "to", "from", "x", "axis", "of", "its", "them",
                                         "plot", "graph", "extend", "out", "way", "curve", "instead"}
    for word in re.findall(r"[^\W\d_]+|\d+", rest):
        if word not in allowed and not (keep and re.fullmatch(keep, word) and len(word) > 3):
            return False
    return True


def amend(clause: str, steps: list[StepSpec], edit: EditContext) -> list[StepSpec] | None:
    """A change no kind's follow-up reads, made by planning a step again from its own words with the change
    written in. The new step must be the same kind and account for the clause's words, so nothing is ignored
    silently. Aimed at the step named, else the only step, else the last one."""
    from .faithful import check_plan

    scoped = aimed(clause, steps)
    text, chosen = scoped if scoped else (clause, [len(steps) - 1] if steps else [])
    for i in chosen[:1]:
        step = steps[i]
        words = amended_words(text, step.source) if step.source else None
        if not words or words == step.source:
            return None
        probe = quiet(edit.ctx)
        new = _same_kind_again(words, step, edit, probe)
        if new is None or not check_plan(bare(text), [new], accounted=[EDIT_WORDS, step.caption()]).passed:
            return None
        if new.model_dump(exclude={"source"}) == step.model_dump(exclude={"source"}):
            return None
        edit.ctx.notes += probe.notes
        edit.ctx.accounted.append(EDIT_WORDS)
        edit.ctx.reasoning.append(f"Changing {step.caption()}: planned again from '{words}'")
        return [new if j == i else s for j, s in enumerate(steps)]
    return None


def _written_name(step: StepSpec) -> str:
    """The compound's name as the step's own words write it ('but-1-ene' for a step named '1-butene'): the
    shortest run of its words that reads as that compound alone."""
    from ..tools.common.names import find_molecules

    name = getattr(step, "name", "")
    if not name:
        return ""
    if re.search(re.escape(name), step.source, re.I):
        return name
    words = step.source.split()
    for size in range(1, 6):
        for start in range(len(words) - size + 1):
            run = " ".join(words[start:start + size]).strip(",.;:")
            found, rest = find_molecules(run)
            if len(found) == 1 and found[0][0] == name and not rest:
                return run
    return ""


RELATIVE = re.compile(r"^(?:add|insert|put|include)\s+(?:an?\s+|the\s+|one\s+more\s+)?(?P<new>.+?)\s+"
                      r"(?P<rel>after|before|reporting\s+to|who\s+reports\s+to|that\s+reports\s+to|under|below|"
                      r"beneath|as\s+a\s+child\s+of)\s+(?:the\s+)?(?P<old>.+)$", re.I)
ARROW = r"\s*(?:→|->|⟶|=>)\s*"


REPORTS = re.compile(r"^(?:an?\s+|the\s+)?(?P<new>.+?)\s+(?P<rel>reports\s+to|report\s+to|answers\s+to)\s+"
                     r"(?:the\s+)?(?P<old>.+)$", re.I)


def insert(clause: str, steps: list[StepSpec], edit: EditContext) -> list[StepSpec] | None:
    """'add an eagle after the fox', 'add stir before serve', 'add a COO reporting to the CEO', 'a Head of
    Science reports to the Deputy Head': a node put into a chain or a tree, by writing it into the step's own
    words and planning the step again."""
    m = RELATIVE.match(bare(clause)) or REPORTS.match(bare(clause))
    if not m:
        return None
    new, rel, old = m.group("new").strip(" '\""), m.group("rel").lower(), m.group("old").strip(" '\"")
    for i, step in enumerate(steps):
        source = step.source
        at = re.search(r"(?<![\w-])" + re.escape(old) + r"(?![\w-])", source, re.I)
        if not at:
            continue
        if rel in ("after", "before") and re.search(ARROW, source):
            if rel == "after":
                words = source[:at.end()] + f" → {new}" + source[at.end():]
            else:
                words = source[:at.start()] + f"{new} → " + source[at.start():]
        elif rel not in ("after", "before"):  # a tree: the new node reports to the old one
            words = f"{source.rstrip(' .')}, {new} reports to the {old}"
        elif rel == "after":  # a list of steps: 'boil water, add tea bag, add milk'
            words = source[:at.end()] + f", {new}" + source[at.end():]
        else:
            words = source[:at.start()] + f"{new}, " + source[at.start():]
        planned = _same_kind_again(words, step, edit)
        if planned is not None:
            edit.ctx.accounted += [EDIT_WORDS + " after before reporting reports report under below beneath child",
                                   old]
            edit.ctx.reasoning.append(f"Adding {new} {rel} {old} in {step.caption()}")
            return [planned if j == i else s for j, s in enumerate(steps)]
    return None


def _same_kind_again(words: str, step: StepSpec, edit: EditContext,
                     probe: PlanContext | None = None) -> StepSpec | None:
    """The step planned again from `words`: one step of the same kind, else None. What planning says goes to
    `probe` (a fresh context unless given), never to the request's own context."""
    probe = probe or quiet(edit.ctx)
    try:
        planned = edit.plan_clause(words, probe) or []
    except NeedsInput:
        raise
    except IvluError:
        return None
    if len(planned) != 1 or planned[0].kind != step.kind:
        return None
    return planned[0].model_copy(update={"id": step.id, "source": words})


SAME_NOUN = re.compile(r"^(?:make|turn|change|switch|convert)\s+(?:it|this|that|them|the\s+\w+)\s+(?:in)?to\s+|"
                       r"^(?:make|turn)\s+(?:it|this|that|them)\s+", re.I)


def retyped_words(clause: str, source: str) -> str | None:
    """'make it a line chart' where the words say 'bar chart': the same noun with the new word before it."""
    text = bare(clause)
    m = SAME_NOUN.match(text)
    if not m:
        return None
    wanted = re.fullmatch(r"(?:an?\s+|the\s+)?(?P<kind>[a-z-]+)\s+(?P<noun>[a-z]+)", text[m.end():].strip(), re.I)
    if not wanted:
        return None
    old = re.search(r"\b(?P<kind>[a-z-]+)\s+" + re.escape(wanted.group("noun")) + r"\b", source, re.I)
    if not old or old.group("kind").lower() == wanted.group("kind").lower():
        return None
    return source[:old.start("kind")] + wanted.group("kind") + source[old.end("kind"):]


def withdraw(clause: str, words: str, steps: list[StepSpec], edit: EditContext) -> list[StepSpec] | None:
    """'remove the tea bag step', 'drop the cos curve': an item of a list in a step's own words (items apart by
    commas, 'and' or arrows) taken out, and the step planned again. None when no step's words list it."""
    core = re.sub(r"^(?:the|a|an)\s+|\s+(?:step|node|item|curve|line|bar|one|state|box)s?$", "", words.strip(), flags=re.I)
    if len(core) < 3:
        return None
    for i, step in enumerate(steps):
        items = list(re.finditer(r"[^,→]+?(?=\s*(?:,|→|->|\band\b|$))", step.source))
        hit = [m for m in items if re.search(r"(?<![\w-])" + re.escape(core) + r"(?![\w-])", m.group(), re.I)]
        if len(hit) != 1 or len(items) < 3:
            continue
        m = hit[0]
        before = step.source[:m.start()]
        after = step.source[m.end():]
        joint = re.match(r"\s*(?:,|→|->|\band\b)\s*", after)
        if joint:
            after = after[joint.end():]
        else:  # the last item: the separator before it goes
            before = re.sub(r"\s*(?:,|→|->|\band\b)\s*$", "", before)
        planned = _same_kind_again(before + (" " if before and after and not before.endswith(" ") else "") + after,
                                   step, edit)
        if planned is not None and planned.model_dump(exclude={"source"}) != step.model_dump(exclude={"source"}):
            edit.ctx.accounted += [EDIT_WORDS + " step node item curve line bar state box", words]
            edit.ctx.reasoning.append(f"Taking {core} out of {step.caption()}")
            return [planned if j == i else s for j, s in enumerate(steps)]
    return None


DATUM = r"(?P<label>[A-Za-z0-9][\w .'-]{0,30}?)\s*[:=]?\s+(?P<value>-?\d+(?:\.\d+)?)\s*(?P<unit>%|[a-zA-Z]{1,4})?"


def add_datum(clause: str, steps: list[StepSpec], edit: EditContext) -> list[StepSpec] | None:
    """'add 2024 7' to a chart whose words list 'label value' pairs: the pair appended and the chart planned
    again. 'add 2024' with no value asks for it (no convention gives a data value)."""
    text = without_also_words(bare(clause))
    m = re.match(r"^(?:add|append|include|insert)\s+(?P<what>.+)$", text, re.I)
    if not m:
        return None
    what = m.group("what").strip(" .")
    for i, step in enumerate(steps):
        pairs = list(re.finditer(DATUM + r"(?=\s*(?:,|;|\band\b|$))", step.source))
        if len(pairs) < 2:
            continue
        given = re.fullmatch(DATUM, what)
        if given is None:
            if re.fullmatch(r"[\w .'-]{1,30}", what) and not re.search(r"\d+(?:\.\d+)?\s*$", what) or \
                    re.fullmatch(r"\d{4}", what):
                raise NeedsInput(f"What value does {what} have?", [], phrase=what, mode="after",
                                 key=f"datum:{what.lower()}")
            continue
        last = pairs[-1]
        words = step.source[:last.end()] + f", {what}" + step.source[last.end():]
        planned = _same_kind_again(words, step, edit)
        if planned is not None:
            edit.ctx.accounted += [EDIT_WORDS + " append include insert", what]
            edit.ctx.reasoning.append(f"Adding {what} to {step.caption()}")
            return [planned if j == i else s for j, s in enumerate(steps)]
    return None


def without_also_words(text: str) -> str:
    return re.sub(r"^(?:and\s+)?(?:also|plus)\s+", "", text, flags=re.I)
