"""Equation rule: named formulas, derivatives, integrals, simplifications, identities and raw LaTeX.

The maths (SymPy) runs in the worker through `ctx.call`; this module only reads the request.
"""

from __future__ import annotations

import re
import unicodedata

from ...errors import IvluError
from ..base import PlanContext
from ..common.names import looks_like_smiles
from ..common.prose import QUOTED
from .named import ALIASES, NAMED
from .spec import EquationSpec

PLAN = "ivlu_agent.tools.equation.plan:plan_equation"


# People call a formula a law, an equation, a relation…: 'the ideal gas equation' is the ideal gas law, and
# 'Schrodinger's equation' the Schrödinger equation. Every alias gets those variants.
KIND_WORDS = ("law", "equation", "formula", "theorem", "identity", "relation", "relationship", "rule", "principle")


def _variants(alias: str) -> set[str]:
    folded = "".join(c for c in unicodedata.normalize("NFKD", alias) if not unicodedata.combining(c))
    out = {alias, folded, alias.replace("^2", "²").replace("^3", "³")}  # 'E = mc²'
    out |= {v.replace(" = ", "=") for v in out} | {v.replace("=", " = ") for v in out if " = " not in v}
    for name in (alias, folded):
        head, _, last = name.rpartition(" ")
        if head and last in KIND_WORDS:
            out |= {f"{head} {word}" for word in KIND_WORDS}
    for name in list(out):
        first, _, tail = name.partition(" ")
        if tail and first.endswith("'s"):
            out |= {f"{first[:-2]} {tail}", f"{first[:-2]}s {tail}"}
        elif tail and first.isalpha() and name.rpartition(" ")[2] in KIND_WORDS:
            out.add(f"{first}'s {tail}")  # 'Schrodinger's equation'; 'ideal's gas law' is never written
    return out


ALIAS_OF: dict[str, str] = {}
for _alias, _key in ALIASES.items():
    for _v in _variants(_alias):
        ALIAS_OF.setdefault(_v.lower(), _key)
_ALIAS_RE = re.compile(r"(?<![\w'])(" + "|".join(re.escape(a) for a in sorted(ALIAS_OF, key=len, reverse=True))
                       + r")(?![\w])", re.I)
_VAR = r"(?:\s*,?\s*(?:with respect to|w\.?\s?r\.?\s?t\.?)\s+(?P<wrt>[a-zA-Z]))?"
TASKS = [
    ("identity", re.compile(r"\b(?:show|prove|verify|check|confirm)\s+that\s+(?P<src>.+?)\s+"
                            r"(?:simplifies to|reduces to|is equal to|equals|is the same as|is|=)\s+"
                            r"(?P<tgt>.+)$", re.I)),
    ("identity", re.compile(r"\b(?:show|prove|verify|check|confirm)\s+(?:the\s+)?(?:identity|equation|formula|result)"
                            r"\s*:?\s+(?P<src>[^=]+?)\s*=\s*(?P<tgt>[^=]+?)(?:\s+[—–]+\s+.*)?\s*\.?$", re.I)),
    ("derivative", re.compile(r"\b(?:(?:first\s+)?derivative|differentiate|d/d(?P<dv>[a-z]))(?:\s+of)?\s+"
                              r"(?P<src>.+?)" + _VAR + r"\s*$", re.I)),
    ("integral", re.compile(r"\b(?:(?:indefinite\s+|definite\s+)?integral|integrate|antiderivative)"
                            r"(?:\s+of)?\s+"
                            r"(?P<src>.+?)(?:\s*\bd(?P<dv>[a-z]))?(?:\s+(?:from|between)\s+(?P<lo>\S+)\s+"
                            r"(?:to|and)\s+(?P<hi>\S+))?" + _VAR + r"\s*$", re.I)),
    ("simplify", re.compile(r"\bsimplify\s+(?P<src>.+)$", re.I)),
    ("expand", re.compile(r"\bexpand\s+(?P<src>.+)$", re.I)),
    ("factor", re.compile(r"\bfactor(?:i[sz]e)?\s+(?P<src>.+)$", re.I)),
]
# The left side of an identity may itself be a derivative: 'the derivative of f (with respect to x) is g'.
CALCULUS_SIDE = re.compile(r"^(?:the\s+)?(?:first\s+)?(?:derivative\s+of|d/d(?P<dv>[a-z])\s+(?:of\s+)?)\s*(?P<f>.+?)"
                           r"(?:\s*,?\s*(?:with respect to|w\.?\s?r\.?\s?t\.?)\s+(?P<v>[a-z]))?$", re.I)
SHOW_RESULT = re.compile(r"[,;]?\s+(?:and\s+)?(?:show|give|display|state|write(?:\s+down)?|find)\s+(?:me\s+)?"
                         r"(?:the\s+|its\s+)?(?:result|answer|value|working|steps|roots?|solutions?)\b.*$", re.I)
DOLLARS = re.compile(r"\$(?P<latex>[^$]{1,400})\$")
BARE_LATEX = re.compile(r"\b(?:latex|typeset|equation|formula)\s*:?\s+(?P<latex>\S*\\[a-zA-Z]+.*)$",
                        re.I)
# "Maxwell's equations": a named formula the table lacks gets a message listing the ones it has.
# Bare "formula" or "equation" is not claimed: molecules have formulas and reactions equations.
GENERIC = re.compile(r"\b[A-Z][\w-]*'s?\s+(?:\w+\s+)?(?:formula|equation|identity|theorem|law|principle)s?\b")
NOT_MINE = re.compile(r"\b(?:plot|chart|histogram|graph of|flowchart|tree|molecule|structure of)\b",
                      re.I)


# An equation written plainly in a request: 'E = hf', 'y = mx + c', 'sin²θ + cos²θ = 1', 'PV = nRT'. Each side is
# a run of maths tokens around '='; a word of three letters or more that names no function ends it, and one side
# must hold a letter next to an operator, a function or another letter ('d = 20' and 'x = 5' are values).
_MATHS_TOKEN = re.compile(r"^[A-Za-zα-ωΑ-ΩΔ0-9²³⁰¹⁴⁵⁶⁷⁸⁹₀-₉().^*/+·×−-]+$")
_FUNCTION = re.compile(r"^(?:sin|cos|tan|cot|sec|csc|sinh|cosh|tanh|ln|log|exp|sqrt|arcsin|arccos|arctan)", re.I)
_MATHS = re.compile(r"[A-Za-zα-ω]\s*[-+*/^·×²³]|[-+*/^·×²³]\s*[A-Za-zα-ω]|\b(?:sin|cos|tan|ln|log|exp|sqrt)|"
                    r"[A-Za-zα-ω]{2}")


def _maths_word(token: str) -> bool:
    letters = re.sub(r"[^A-Za-z]", "", token)
    english = len(letters) >= 3 and (letters.islower() or (letters[0].isupper() and letters[1:].islower()))
    return bool(_MATHS_TOKEN.match(token)) and (len(letters) <= 2 or bool(_FUNCTION.match(token))
                                                or (len(letters) <= 4 and not english))  # 'PV', 'nRT' yes; 'the' no


def bare_equation(text: str) -> str:
    """The plainly written equation in `text`, or ''."""
    text = QUOTED.sub(" ", text)
    if re.search(r"[∫∑∏√∂∞]|\\|\$", text):
        return ""  # an integral, sum or root written with symbols is not read here: never typeset half of it
    for m in re.finditer(r"(?<![<>=!])=(?!=)", text):
        start, end = text.rfind(" ", 0, m.start()) + 1, text.find(" ", m.end())
        if looks_like_smiles(text[start:end if end >= 0 else len(text)].strip(",;.")):
            continue  # the '=' of a SMILES double bond ('F/C=C/F')
        left = text[:m.start()].split()
        right = re.split(r"(?<=\S)[,;](?=\s|$)|\.(?=\s|$)", text[m.end():], maxsplit=1)[0].split()
        lhs: list[str] = []
        for token in reversed(left):
            if not _maths_word(token):
                break
            lhs.insert(0, token)
        rhs: list[str] = []
        for token in right:
            if not _maths_word(token.rstrip(",;.")):
                break
            rhs.append(token.rstrip(",;."))
        if lhs and rhs and (_MATHS.search(" ".join(lhs)) or _MATHS.search(" ".join(rhs))):
            return f"{' '.join(lhs)} = {' '.join(rhs)}"
    return ""


def _strip(text: str) -> str:
    return text.strip().strip(" .,;:!?'\"").strip()


# Directive words this rule understands; the plan.faithful check counts them as accounted for.
VOCABULARY = frozenset({"equation", "equations", "formula", "formulas", "identity", "law", "theorem", "principle", "rule",
                        "derivative", "differentiate", "differentiated", "integral", "integrate", "integrated", "definite",
                        "indefinite", "from", "to", "of", "with", "respect", "dx", "dt", "show", "prove", "that", "simplifies",
                        "simplify", "simplified", "expand", "expanded", "factor", "factorise", "factorize", "solve", "solved",
                        "limit", "sum", "series", "latex", "typeset", "write", "equals", "equal", "is", "the", "a", "an", "x",
                        "y", "z", "t", "d", "derivation", "evaluate", "evaluated", "compute", "computed", "result", "its",
                        "state", "statement", "expression", "closed", "form", "general", "solution", "roots", "root",
                        "result", "answer", "value", "working", "steps", "display", "give", "find", "down", "trig",
                        "trigonometric", "typeset", "nicely"}) | set(KIND_WORDS)


class EquationRule:
    """'the quadratic formula', 'the derivative of x^3·sin x', 'show that (x^2-1)/(x-1) simplifies to x+1',
    'integrate x^2 from 0 to 1', 'factor x^2-5x+6', 'the equation $E = mc^2$'."""

    name = "equation"
    priority = 60
    examples = (  # what the planner lists when it understands nothing in a request
        "equations ('the quadratic formula', 'the derivative of x^3·sin x', 'show that "
        "(x^2-1)/(x-1) simplifies to x+1', 'integrate x^2 from 0 to 1', 'the equation $E = "
        "mc^2$')"
    )
    vocabulary = VOCABULARY

    def claims(self, clause: str) -> bool:
        if DOLLARS.search(clause) or BARE_LATEX.search(clause) or _ALIAS_RE.search(clause):
            return True
        if bare_equation(clause):
            return True
        if any(pattern.search(clause) for _, pattern in TASKS):
            return True
        unquoted = QUOTED.sub(" ", clause)  # a poster titled 'Ohm's Law' is text
        return bool(GENERIC.search(unquoted)) and not NOT_MINE.search(unquoted)

    def owns(self, clause: str) -> bool:
        """A whole clause that is one equation request (its maths may contain 'and' or commas)."""
        if DOLLARS.fullmatch(clause.strip()):
            return True
        if _ALIAS_RE.search(clause):
            return False
        return any(kind in ("identity", "integral") and pattern.search(clause) for kind, pattern in TASKS) \
            and not NOT_MINE.search(clause)

    def plan(self, clause: str, ctx: PlanContext) -> list[EquationSpec]:
        steps = []
        for raw in [m.group("latex") for m in DOLLARS.finditer(clause)]:
            steps.append(self._spec(ctx, f"typeset {raw.strip()}", task="latex", latex=raw.strip(),
                                    i_is_imaginary=bool(re.search(r"e\^\{?\\?i", raw))))
        rest = DOLLARS.sub(" ", clause)
        for m in _ALIAS_RE.finditer(rest):
            named = NAMED[ALIAS_OF[m.group(1).lower()]]
            steps.append(self._spec(ctx, named.title, task="named", latex=named.latex,
                                    expected=named.expected, check=named.check, solves=named.solves,
                                    name=named.title,
                                    i_is_imaginary=named.i_is_imaginary, e_is_euler=named.e_is_euler))
        rest = _ALIAS_RE.sub(" ", rest)
        rest = SHOW_RESULT.sub("", rest)  # 'integrate x^2 from 0 to 3 and show the result': the step shows it
        if not steps:
            bare = BARE_LATEX.search(rest)
            if bare:
                steps.append(self._spec(ctx, "typeset " + bare.group("latex"), task="latex",
                                        latex=bare.group("latex").strip()))
                rest = ""
        if not steps and not any(pattern.search(rest) for _, pattern in TASKS):
            plain = bare_equation(rest)  # 'the photon energy equation E = hf', 'y = mx + c'
            if plain:
                steps.append(self._spec(ctx, plain, task="plain", source=plain))
                rest = ""
        for kind, pattern in TASKS:
            m = pattern.search(rest)
            if not m:
                continue
            fields = {"task": kind, "source": _strip(m.group("src"))}
            groups = m.groupdict()
            calculus = CALCULUS_SIDE.match(fields["source"]) if kind == "identity" else None
            if calculus:  # 'show that the derivative of sin(x)^2 is sin(2x)': d/dx of the left is the right
                fields["task"] = "derivative_identity"
                fields["source"] = _strip(calculus.group("f"))
                if calculus.group("v"):
                    fields["variable"] = calculus.group("v")
            if groups.get("tgt"):
                fields["rhs"] = _strip(groups["tgt"])
            variable = groups.get("wrt") or groups.get("dv")
            if variable:
                fields["variable"] = variable
            if groups.get("hi"):
                fields["lower"], fields["upper"] = _strip(groups["lo"]), _strip(groups["hi"])
            if not fields["source"]:
                raise IvluError(f"No expression after '{kind}' in {clause!r}.",
                                "e.g. 'the derivative of x^3 sin x'", "add the expression")
            title = {"identity": f"{fields['source']} = {fields.get('rhs', '')}",
                     "derivative_identity": f"d/d{fields.get('variable', 'x')} {fields['source']} = "
                                            f"{fields.get('rhs', '')}"}.get(fields["task"], f"{kind} of {fields['source']}")
            steps.append(self._spec(ctx, title, name=title, **fields))
            break
        if not steps:
            known = ", ".join(n.title for n in NAMED.values())
            raise IvluError(f"I do not know which formula {clause!r} means.",
                            f"a named formula ({known}), a task such as 'the derivative of x^3 sin x', "
                            "or LaTeX between dollar signs such as '$E = mc^2$'",
                            "name one of those formulas or write it in LaTeX")
        ctx.reasoning.append("Equations (SymPy-checked):\n" + "\n".join(
            f"- {s.name or s.latex}: ${s.latex}$" + (f" ({s.check})" if s.check != "none" else "")
            for s in steps))
        return steps

    @staticmethod
    def _spec(ctx: PlanContext, title: str, **request) -> EquationSpec:
        fields = ctx.call(PLAN, timeout_s=60, **request)
        fields["name"] = fields.get("name") or title
        return EquationSpec(**fields, title=title[:200])

    def follow_up(self, clause: str, previous: list[dict], ctx: PlanContext,
                  same_request: bool = False) -> list[EquationSpec] | None:
        """'make it bigger' / 'larger' after equations were drawn (earlier in the request or on the thread)."""
        eqs = [s for s in previous if s["kind"] == "equation"]
        if not eqs or not re.search(r"\b(bigger|larger|enlarge)\b", clause, re.I):
            return None
        steps = []
        for old in eqs:
            spec = EquationSpec.model_validate(old)
            bigger = min(120, round(spec.font_size * 1.5))
            steps.append(spec.model_copy(update={"font_size": bigger}))
        ctx.reasoning.append(f"Redrawing {len(steps)} equation(s) 1.5× larger")
        return steps


def verify_target(value: str, options: dict, call) -> tuple[str, list]:
    """`ivlu verify IMAGE --equation LATEX`."""
    return "ivlu_agent.tools.equation.verify:verify_equation_image", [value]
