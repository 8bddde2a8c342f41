"""Account for every word of a request: the plan-level verdict `plan.faithful`, part of the certificate.

A run is certified only when its plan accounts for what was asked. Each word of the request must be
accounted for by one of:

- the plan itself: a step's evidence (`StepSpec.evidence()`: its names, texts, numbers, groups, the
  synonyms of its compounds…);
- the directive words of the kinds' rules (`Rule.vocabulary`: "highlight", "views", "chart"…);
- the filler below: function words, politeness, and the words teachers and examiners wrap requests in.

Arrangement words the figure does not honour ('below', 'above', 'in a column') are not filler: panels
are laid out side by side in a row, so only those words are accounted for. Every number must be used by
the plan. Words or numbers left over mean the planner did not understand
part of the request: the verdict fails and lists them, so the run cannot end `verified`. The check is
plain code over words; it never reads pixels, and it errs towards "not understood".
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Iterable

from ..tools import REGISTRY, StepSpec
from ..tools.common.chem import STEREO_DESCRIPTOR
from ..tools.common.prose import ENUMERATOR
from ..tools.common.prose import FILLER as PROSE_FILLER
from ..types import Verdict

FILLER = PROSE_FILLER  # the lexicon lives with the kinds (tools/common/prose.py): rules read it too
# Numbers written as words are counts the rules read ('two holes'); they must be used like digits.
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "twelve": 12, "pair": 2}
# A number that says where the request comes from, not what to draw: 'for my Year 12 class', 'lecture 3',
# 'question 2b', 'chapter 4', 'page 17'.
CONTEXT_NUMBER = re.compile(r"\b(?:year|grade|class|form|lecture|lesson|week|unit|chapter|section|question|q|"
                            r"exercise|problem|page|p|slide|part|module|module|session|day|homework|hw|test|quiz|"
                            r"exam|paper|level|ks|key\s+stage)\s*\d{1,3}[a-z]?\b", re.I)
# 'one' as a pronoun, not a count: 'label each one', 'which one', 'one panel for each enantiomer'.
ONE_PRONOUN = re.compile(r"\b(?:each|every|which|any)\s+one\b|\bone(?=(?:\s+(?:panel|picture|drawing|figure|image))?"
                         r"\s+(?:for|per)\s+(?:each|every)\b)", re.I)
PI_MULTIPLE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)?\s*(?:π|\bpi\b)(?![\w])|(?<![\w.])(\d+(?:\.\d+)?)(?=pi\b)pi", re.I)
WORD = re.compile(r"[^\W\d_]+(?:'s)?|[0-9]+(?:\.[0-9]+)?", re.UNICODE)
ENDINGS = ("'s", "s", "es", "ed", "d", "ing", "ly", "ies")


def tokens(text: str) -> list[str]:
    """Words and numbers, lower-cased; CJK runs are one token each. Superscript and subscript digits are digits
    ('mc²', '[A]₀'), so a number token is always ASCII digits."""
    return [t.lower() for t in WORD.findall(unicodedata.normalize("NFKC", text))]


# A chemical name's locants ('1,3,7-trimethylxanthine', 'propan-2-ol'): its digits count nothing on their own.
LOCANTS = re.compile(r"(?:^|[\s(,-])\d+(?:,\d+)*-[A-Za-z(]|[A-Za-z]-\d+(?:,\d+)*-[A-Za-z]")


def evidence_tokens(strings: Iterable[str]) -> tuple[set[str], set[float]]:
    """The words and numbers a plan's evidence holds. The digits of a name with locants are not numbers: a
    synonym '1,3,7-trimethylxanthine' must not account for the 'three' of 'three molecules' (the name itself,
    written in a request, is accounted for whole by `named_spans`)."""
    words: set[str] = set()
    numbers: set[float] = set()
    for s in strings:
        locants = bool(LOCANTS.search(s))
        for t in tokens(s):
            if t[0].isdigit():
                if not locants:
                    numbers.add(float(t))
            else:
                words.add(t)
    return words, numbers


def named_spans(request: str, evidence: list[str]) -> str:
    """The request with every name with locants that the plan holds blanked where it is written."""
    names = {e for e in evidence if LOCANTS.search(e)}
    names |= {STEREO_DESCRIPTOR.sub("", n) for n in names}  # a stereoisomer panel '(E)-1,2-dichloroethene' names its base
    for name in sorted(names, key=len, reverse=True):
        request = re.sub(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", lambda m: " " * len(m.group()), request,
                         flags=re.I)
    return request


def stems(word: str) -> set[str]:
    """The word and its simple inflections removed: 'holes' -> 'hole', 'labelled' -> 'label'."""
    out = {word}
    for end in ENDINGS:
        if word.endswith(end) and len(word) > len(end) + 2:
            base = word[: -len(end)]
            out |= {base, base + "e", base + "y"}
            if len(base) > 2 and base[-1] == base[-2]:
                out.add(base[:-1])  # labelled -> label
    return out


def glued_symbols(word: str, words: set[str]) -> bool:
    """'mc' in 'E = mc^2' is m times c: a short run of letters each of which the plan has as a symbol."""
    return len(word) <= 4 and all(ch in words for ch in word)


FORMULA_WORD = re.compile(r"(?<![\w-])(?:\(?[A-Z][a-z]?\d*\)?\d*){2,}(?![\w-])")


def same_formulas(request: str, evidence: list[str]) -> str:
    """The request with every formula blanked that has the atoms of a formula the plan holds: 'methanol,
    CH3OH' is accounted for by the step drawing CH4O."""
    from ..tools.common.formulas import element_counts

    held = [element_counts(e) for e in evidence if FORMULA_WORD.fullmatch(e)]
    return FORMULA_WORD.sub(lambda m: " " * len(m.group()) if element_counts(m.group()) in held else m.group(),
                            request)


def account(request: str, evidence: Iterable[str], vocabulary: Iterable[str], unhonoured: Iterable[str] = ()) -> Verdict:
    """The `plan.faithful` verdict: every word and number of `request` is accounted for. `unhonoured` names what
    the planner read but the figure cannot honour; each is listed as not understood."""
    evidence = list(evidence)
    request = named_spans(same_formulas(request, evidence), evidence)
    words, numbers = evidence_tokens(evidence)
    known = FILLER | set(vocabulary) | words
    left_words: list[str] = []
    left_numbers: list[str] = []
    request = ONE_PRONOUN.sub(lambda m: m.group().lower().replace("one", "   "), request)
    # '4π' or '2pi' is one number, the one a plan holds ('x from 0 to 12.5664')
    request = PI_MULTIPLE.sub(lambda m: f" {float(m.group(1) or m.group(2) or 1) * math.pi:g} ", request)
    for t in tokens(CONTEXT_NUMBER.sub(" ", ENUMERATOR.sub(" ", request))):  # '(a)', 'Slide 2:' number the request's parts
        if t[0].isdigit():
            if float(t) not in numbers and t not in words:
                left_numbers.append(t)
        elif t in NUMBER_WORDS:
            if float(NUMBER_WORDS[t]) not in numbers and t not in words:
                left_numbers.append(t)
        elif not (stems(t) & known) and not any(len(t) > 3 and w.startswith(t) for w in words) \
                and not glued_symbols(t, words):
            left_words.append(t)
    left_words = list(dict.fromkeys(left_words)) + list(unhonoured)
    left_numbers = list(dict.fromkeys(left_numbers))
    passed = not left_words and not left_numbers
    problems = ([f"not understood: {', '.join(left_words)}"] if left_words else []) + \
               ([f"numbers not used by the plan: {', '.join(left_numbers)}"] if left_numbers else [])
    return Verdict(verifier="plan.faithful", passed=passed, score=1.0 if passed else 0.0,
                   checked="every word and number of the request is accounted for by the plan",
                   message="Every word of the request is accounted for." if passed else "; ".join(problems) + ".",
                   details={"not_understood": left_words, "numbers_unused": left_numbers})


# 'three things', 'two figures': a count of the figure's parts, accounted for when the plan has that many steps.
PARTS_COUNT = re.compile(r"\b(?P<n>\d{1,2}|two|three|four|five|six)\s+(?:things|figures|panels|parts|items|pictures|"
                         r"images|diagrams|drawings|plots|structures)\b", re.I)


def only_framing(clause: str) -> bool:
    """A clause of filler and a count alone ('two things pls:'): it frames the request, asking for nothing."""
    words = tokens(clause)
    return bool(words) and all(w in FILLER or w in NUMBER_WORDS or w.isdigit() or w in ("things", "need", "want")
                               for w in words)


def check_plan(request: str, steps: list[StepSpec], unhonoured: Iterable[str] = (),
               accounted: Iterable[str] = ()) -> Verdict:
    """`account` over the plan's steps, with the directive words of the rules of the kinds it draws; what the
    planner read but the figure cannot honour (`Plan.unhonoured`) is named as not understood."""
    rules = {k.name: k.rule for k in REGISTRY}
    vocabulary: set[str] = set()
    for step in steps:
        if rules.get(step.kind) is not None:
            vocabulary |= rules[step.kind].vocabulary
    evidence = [e for step in steps for e in step.evidence()] + list(accounted)  # what an edit consumed
    for m in PARTS_COUNT.finditer(request):  # 'three things: …' with three steps
        word = m.group("n").lower()
        if (int(word) if word.isdigit() else NUMBER_WORDS[word]) == len(steps):
            evidence.append(m.group())
    return account(request, evidence, vocabulary, unhonoured)
