"""Equation rule: named formulas, derivatives, integrals, simplifications, identities and raw LaTeX.

The maths (SymPy) runs in the worker through `ctx.call`; this module only reads the request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...errors import IvluError
from ..base import PlanContext
from ..common.prose import QUOTED
from .spec import EquationSpec

PLAN = "ivlu_agent.tools.equation.plan:plan_equation"


@dataclass(frozen=True)
class Named:
    """A formula the planner knows: how it is written, and what it states as a SymPy expression."""

    title: str
    latex: str
    expected: str  # SymPy srepr-style text, read by maths.safe_sympify (never eval'd)
    check: str = "none"
    solves: str = ""
    i_is_imaginary: bool = False
    e_is_euler: bool = True


NAMED: dict[str, Named] = {
    "quadratic formula": Named(
        "quadratic formula", r"x = \frac{-b \pm \sqrt{b^{2} - 4ac}}{2a}",
        "Tuple(Eq(x, (-b + sqrt(b**2 - 4*a*c))/(2*a)), Eq(x, (-b - sqrt(b**2 - 4*a*c))/(2*a)))",
        "solves", "a*x**2 + b*x + c"),
    "pythagorean theorem": Named("Pythagorean theorem", r"a^{2} + b^{2} = c^{2}", "Eq(a**2 + b**2, c**2)"),
    "euler's identity": Named("Euler's identity", r"e^{i\pi} + 1 = 0", "Eq(exp(I*pi) + 1, 0)", "identity",
                              i_is_imaginary=True),
    "euler's formula": Named("Euler's formula", r"e^{i x} = \cos x + i \sin x",
                             "Eq(exp(I*x), cos(x) + I*sin(x))", "identity", i_is_imaginary=True),
    "mass-energy equivalence": Named("mass–energy equivalence", r"E = m c^{2}", "Eq(Symbol('E'), m*c**2)"),
    "newton's second law": Named("Newton's second law", r"F = m a", "Eq(F, m*a)"),
    "area of a circle": Named("area of a circle", r"A = \pi r^{2}", "Eq(A, pi*r**2)"),
    "circumference of a circle": Named("circumference of a circle", r"C = 2 \pi r", "Eq(C, 2*pi*r)"),
    "ideal gas law": Named("ideal gas law", r"P V = n R T", "Eq(P*V, n*R*T)"),
    "difference of squares": Named("difference of squares",
                                   r"a^{2} - b^{2} = \left(a + b\right)\left(a - b\right)",
                                   "Eq(a**2 - b**2, (a + b)*(a - b))", "identity"),
    "binomial square": Named("square of a sum", r"\left(a + b\right)^{2} = a^{2} + 2 a b + b^{2}",
                             "Eq((a + b)**2, a**2 + 2*a*b + b**2)", "identity"),
    "sum of the first n integers": Named("sum of the first n integers",
                                         r"\sum_{k=1}^{n} k = \frac{n \left(n + 1\right)}{2}",
                                         "Eq(Sum(k, Tuple(k, 1, n)), n*(n + 1)/2)", "identity"),
    "kinetic energy": Named("kinetic energy", r"E_{k} = \frac{1}{2} m v^{2}",
                            "Eq(Symbol('E_{k}'), m*v**2/2)"),
    "law of cosines": Named("law of cosines", r"c^{2} = a^{2} + b^{2} - 2 a b \cos\gamma",
                            "Eq(c**2, a**2 + b**2 - 2*a*b*cos(gamma))"),
    "ohm's law": Named("Ohm's law", r"V = I R", "Eq(V, Symbol('I')*R)"),
    "pythagorean identity": Named("Pythagorean identity", r"\sin^{2} x + \cos^{2} x = 1",
                                  "Eq(sin(x)**2 + cos(x)**2, 1)", "identity"),
    "coulomb's law": Named("Coulomb's law", r"F = k \frac{q_{1} q_{2}}{r^{2}}",
                           "Eq(F, k*Symbol('q_{1}')*Symbol('q_{2}')/r**2)"),
    "gaussian integral": Named("Gaussian integral", r"\int_{-\infty}^{\infty} e^{- x^{2}}\, dx = \sqrt{\pi}",
                               "Eq(Integral(exp(-x**2), Tuple(x, -oo, oo)), sqrt(pi))", "identity"),
    "uniform acceleration": Named("displacement under uniform acceleration", r"s = u t + \frac{1}{2} a t^{2}",
                                  "Eq(s, u*t + a*t**2/2)"),
}
ALIASES: dict[str, str] = {
    "quadratic formula": "quadratic formula", "quadratic equation formula": "quadratic formula",
    "pythagorean theorem": "pythagorean theorem", "pythagoras' theorem": "pythagorean theorem",
    "pythagoras's theorem": "pythagorean theorem", "pythagoras theorem": "pythagorean theorem",
    "pythagoras": "pythagorean theorem", "euler's identity": "euler's identity",
    "euler identity": "euler's identity", "eulers identity": "euler's identity",
    "euler's formula": "euler's formula", "euler formula": "euler's formula",
    "mass-energy equivalence": "mass-energy equivalence",
    "mass–energy equivalence": "mass-energy equivalence",
    "e=mc^2": "mass-energy equivalence", "e = mc^2": "mass-energy equivalence",
    "e=mc²": "mass-energy equivalence",
    "newton's second law": "newton's second law", "newtons second law": "newton's second law",
    "area of a circle": "area of a circle", "circle area": "area of a circle",
    "circumference of a circle": "circumference of a circle", "ideal gas law": "ideal gas law",
    "difference of squares": "difference of squares", "difference of two squares": "difference of squares",
    "square of a sum": "binomial square", "binomial square": "binomial square",
    "sum of the first n integers": "sum of the first n integers", "gauss sum": "sum of the first n integers",
    "sum of the first n natural numbers": "sum of the first n integers",
    "kinetic energy": "kinetic energy", "law of cosines": "law of cosines", "cosine rule": "law of cosines",
    "ohm's law": "ohm's law", "ohms law": "ohm's law", "pythagorean identity": "pythagorean identity",
    "coulomb's law": "coulomb's law", "coulombs law": "coulomb's law",
    "gaussian integral": "gaussian integral",
    "suvat": "uniform acceleration", "equation of motion": "uniform acceleration",
}
_ALIAS_RE = re.compile(r"(?<![\w'])(" + "|".join(re.escape(a) for a in sorted(ALIASES, key=len, reverse=True))
                       + r")(?![\w])", re.I)
_VAR = r"(?:\s*,?\s*(?:with respect to|w\.?\s?r\.?\s?t\.?)\s+(?P<wrt>[a-zA-Z]))?"
TASKS = [
    ("identity", re.compile(r"\b(?:show|prove|verify|check|confirm)\s+that\s+(?P<src>.+?)\s+"
                            r"(?:simplifies to|reduces to|is equal to|equals|is the same as|is|=)\s+"
                            r"(?P<tgt>.+)$", re.I)),
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
DOLLARS = re.compile(r"\$(?P<latex>[^$]{1,400})\$")
BARE_LATEX = re.compile(r"\b(?:latex|typeset|equation|formula)\s*:?\s+(?P<latex>\S*\\[a-zA-Z]+.*)$",
                        re.I)
# "Maxwell's equations": a named formula the table lacks gets a message listing the ones it has.
# Bare "formula" or "equation" is not claimed: molecules have formulas and reactions equations.
GENERIC = re.compile(r"\b[A-Z][\w-]*'s?\s+(?:\w+\s+)?(?:formula|equation|identity|theorem|law|principle)s?\b")
NOT_MINE = re.compile(r"\b(?:plot|chart|histogram|graph of|flowchart|tree|molecule|structure of)\b",
                      re.I)


def _strip(text: str) -> str:
    return text.strip().strip(" .,;:!?'\"").strip()



# Directive words this rule understands; the plan.faithful check counts them as accounted for.
VOCABULARY = frozenset({"equation", "equations", "formula", "formulas", "identity", "law", "theorem", "principle", "rule",
                        "derivative", "differentiate", "differentiated", "integral", "integrate", "integrated", "definite",
                        "indefinite", "from", "to", "of", "with", "respect", "dx", "dt", "show", "prove", "that", "simplifies",
                        "simplify", "simplified", "expand", "expanded", "factor", "factorise", "factorize", "solve", "solved",
                        "limit", "sum", "series", "latex", "typeset", "write", "equals", "equal", "is", "the", "a", "an", "x",
                        "y", "z", "t", "d", "derivation", "evaluate", "evaluated", "compute", "computed", "result", "its",
                        "state", "statement", "expression", "closed", "form", "general", "solution", "roots", "root"})


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
            named = NAMED[ALIASES[m.group(1).lower()]]
            steps.append(self._spec(ctx, named.title, task="named", latex=named.latex,
                                    expected=named.expected, check=named.check, solves=named.solves,
                                    name=named.title,
                                    i_is_imaginary=named.i_is_imaginary, e_is_euler=named.e_is_euler))
        rest = _ALIAS_RE.sub(" ", rest)
        if not steps:
            bare = BARE_LATEX.search(rest)
            if bare:
                steps.append(self._spec(ctx, "typeset " + bare.group("latex"), task="latex",
                                        latex=bare.group("latex").strip()))
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
