"""The planner's maths: turn a request's task (derivative, integral, simplify, identity, named formula,
raw LaTeX) into EquationSpec fields, with SymPy doing the work.

`plan_equation` is called by the equation rule through `PlanContext.call`, so it runs in the worker
and SymPy never loads in the agent process. `plain_to_latex` and `read_maths` read the plain maths a
request is written in ('x^3 sin x', '(x^2-1)/(x-1)'). Every spec it returns has passed the verifier's
own parse and maths checks, so a plan never states what the verifier would reject.
"""

from __future__ import annotations

import re

from ...errors import IvluError
from .maths import is_zero, parse_latex, safe_sympify, to_latex
from .spec import EquationSpec
from .verify import check_maths, check_parse

# -- the planner's maths (run in the worker through PlanContext.call) --------------------------------

FUNCTIONS = {"sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
             "exp", "log", "ln"}
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "theta", "lambda", "mu", "nu", "sigma", "tau", "phi",
         "omega", "pi", "rho", "kappa", "eta", "zeta", "xi", "chi", "psi"}
# English words that a request's prose may leave in an expression ('… is sin(2x)'): never variables.
WORDS = {"is", "of", "the", "and", "or", "to", "at", "in", "on", "by", "as", "be", "if", "it", "its", "for", "with",
         "that", "this", "then", "than", "are", "was", "equals", "gives", "where", "when", "from", "into", "over"}
_TOKEN = re.compile(r"\s*(\d+(?:\.\d+)?|[A-Za-z]+|\*\*|[-+*/^(),=·×÷−²³]|\S)")
_SUPERSCRIPT = {"²": "2", "³": "3"}
GREEK_LETTERS = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "θ": "theta", "λ": "lambda",
                 "μ": "mu", "ν": "nu", "σ": "sigma", "τ": "tau", "φ": "phi", "ω": "omega", "ρ": "rho", "κ": "kappa",
                 "η": "eta", "ζ": "zeta", "ξ": "xi", "χ": "chi", "ψ": "psi"}


def plain_to_latex(text: str) -> str:
    """'x^3·sin x', '(x^2-1)/(x-1)', 'sqrt(x)*e^(2x)' as LaTeX for SymPy's parser. LaTeX passes through."""
    if "\\" in text or "{" in text:
        return text
    text = "".join(f" {GREEK_LETTERS[c]} " if c in GREEK_LETTERS else c for c in text)  # 'sin²θ': θ is theta
    tokens = [t for t in _TOKEN.findall(text) if t]

    def group(i: int) -> tuple[str, int]:
        """The LaTeX of the parenthesised group or single token at i, and the index after it."""
        if i < len(tokens) and tokens[i] == "(":
            depth, j = 0, i
            while j < len(tokens):
                depth += {"(": 1, ")": -1}.get(tokens[j], 0)
                if depth == 0:
                    break
                j += 1
            if depth:
                raise IvluError(f"Unbalanced parentheses in {text!r}.", "every '(' closed by ')'",
                                "close the parentheses")
            return convert(tokens[i + 1:j]), j + 1
        if i < len(tokens) and tokens[i] in ("-", "−"):
            inner, nxt = group(i + 1)
            return "-" + inner, nxt
        if i < len(tokens):
            return convert([tokens[i]]), i + 1
        raise IvluError(f"The expression {text!r} ends early.", "an operand after every operator",
                        "complete the expression")

    def convert(toks: list[str]) -> str:
        nonlocal tokens
        saved, tokens = tokens, toks
        parts: list[str] = []
        i = 0
        while i < len(tokens):
            t = tokens[i]
            if t in ("^", "**"):
                inner, i = group(i + 1)
                parts.append("^{" + inner + "}")
                continue
            if t in _SUPERSCRIPT:
                parts.append("^{" + _SUPERSCRIPT[t] + "}")
            elif t == "sqrt":
                inner, i = group(i + 1)
                parts.append("\\sqrt{" + inner + "}")
                continue
            elif t in FUNCTIONS:
                name = {"arcsin": "arcsin", "ln": "ln"}.get(t, t)
                parts.append("\\" + name + " ")
            elif t in GREEK:
                parts.append("\\" + t + " ")
            elif t.lower() in WORDS and len(t) > 1:
                raise IvluError(f"The word {t!r} is in the expression {text!r}.",
                                "maths only, e.g. 'x^2 sin x'; words such as 'is' or 'of' are not variables",
                                "say 'show that A equals B', or write the maths alone")
            elif t.isalpha():
                parts.append(" ".join(t) + " ")  # 'xy' is x times y
            elif t in ("*", "·", "×"):
                parts.append(" \\cdot ")
            elif t in ("÷", "/"):
                parts.append(" / ")
            elif t == "−":
                parts.append("-")
            elif re.fullmatch(r"\d+(?:\.\d+)?|[-+(),=]", t):
                parts.append(t)
            else:
                raise IvluError(f"Unexpected {t!r} in the expression {text!r}.",
                                "numbers, letters, + - * / ^ ( ) and functions such as sin, sqrt, ln",
                                "rewrite the expression, or give it as LaTeX")
            i += 1
        tokens = saved
        return "".join(parts).strip()

    return convert(tokens)


def read_maths(text: str, i_is_imaginary: bool = False):
    """Plain maths or LaTeX from a request, as an evaluated SymPy expression (x^2 - 5x + 6 is one sum)."""
    def evaluated(e):
        return e.func(*[evaluated(a) for a in e.args]) if e.args else e

    parsed = parse_latex(plain_to_latex(text), True, i_is_imaginary)
    return parsed if not hasattr(parsed, "func") or parsed.is_Relational else evaluated(parsed)


def plan_equation(task: str, source: str = "", rhs: str = "", variable: str = "",
                  lower: str = "", upper: str = "", name: str = "", latex: str = "",
                  expected: str = "", check: str = "none", solves: str = "",
                  e_is_euler: bool = True, i_is_imaginary: bool = False) -> dict:
    """Do the maths a request asks for and return EquationSpec fields.

    Tasks: 'derivative', 'integral', 'simplify', 'expand', 'factor' (of `source`), 'identity'
    (`source` equals `rhs`; a false claim is an IvluError), 'named' (a table entry: its `latex`
    and `expected`), 'latex' (typeset `latex` as given).
    """
    import sympy

    def fields(statement, display: str, chk: str, **extra) -> dict:
        out = {"latex": display, "expected": sympy.srepr(statement), "check": chk, "name": name,
               "e_is_euler": e_is_euler, "i_is_imaginary": i_is_imaginary, **extra}
        spec = EquationSpec.model_validate({"kind": "equation", **out})
        from .render import layout

        layout(spec.latex, spec.font_size)  # mathtext must draw it (raises a clear IvluError)
        verdict, drawn = check_parse(spec)
        if not verdict["passed"]:
            raise IvluError(f"Internal check failed: {verdict['message']}", "", "report this request")
        maths = check_maths(spec, drawn)
        if maths and not maths["passed"]:
            raise IvluError(maths["message"], "a true statement", "check the formula")
        return out

    if task == "named":
        statement = safe_sympify(expected)
        return fields(statement, latex, check, solves=sympy.srepr(safe_sympify(solves)) if solves else "")
    if task == "plain":  # 'E = hf', 'sin²θ + cos²θ = 1' written in words' maths: typeset as LaTeX
        task, latex = "latex", plain_to_latex(source)
    if task == "latex":
        from .render import layout

        layout(latex, 40)
        statement = parse_latex(latex, e_is_euler, i_is_imaginary)
        closed = isinstance(statement, sympy.Equality) and not statement.free_symbols
        return fields(statement, latex, "identity" if closed else "none")

    expr = read_maths(source, i_is_imaginary)
    if isinstance(expr, (sympy.Tuple, sympy.core.relational.Relational)):
        raise IvluError(f"{source!r} is an equation; a {task} needs an expression.",
                        "an expression such as x^3 sin x", "drop the '=' part")
    free = sorted(expr.free_symbols, key=str)
    var = sympy.Symbol(variable) if variable else (sympy.Symbol("x") if sympy.Symbol("x") in free or not free
                                                    else free[0])
    if task == "derivative":
        result = sympy.diff(expr, var)
        statement = sympy.Eq(sympy.Derivative(expr, var), result, evaluate=False)
        return fields(statement, to_latex(statement), "identity")
    if task == "integral":
        if lower or upper:
            lo, hi = read_maths(lower or "0"), read_maths(upper)
            result = sympy.integrate(expr, (var, lo, hi))
            if result.has(sympy.Integral):
                raise IvluError(f"SymPy cannot integrate {expr} from {lo} to {hi} in closed form.",
                                "an integrand with an elementary antiderivative", "pick another integral")
            statement = sympy.Eq(sympy.Integral(expr, (var, lo, hi)), sympy.simplify(result), evaluate=False)
            return fields(statement, to_latex(statement), "identity")
        result = sympy.integrate(expr, var)
        if result.has(sympy.Integral):
            raise IvluError(f"SymPy cannot integrate {expr} in closed form.",
                            "an integrand with an elementary antiderivative", "pick another integral")
        c = sympy.Symbol("C")
        statement = sympy.Eq(sympy.Integral(expr, var), result + c, evaluate=False)
        return fields(statement, to_latex(statement), "antiderivative")
    if task in ("simplify", "expand", "factor"):
        result = {"simplify": sympy.simplify, "expand": sympy.expand, "factor": sympy.factor}[task](expr)
        if result == expr:
            raise IvluError(f"{source!r} is already as {task}ed as SymPy can make it.", "",
                            "ask for the expression itself, e.g. 'the equation $...$'")
        statement = sympy.Eq(expr, result, evaluate=False)
        return fields(statement, to_latex(statement), "identity")
    if task == "derivative_identity":  # the claim d/dvar(source) = rhs, checked before it is drawn
        other = read_maths(rhs, i_is_imaginary)
        ok, _ = is_zero(sympy.diff(expr, var) - other)
        if not ok:
            raise IvluError(f"The claim is false: the derivative of {source} is not {rhs}; SymPy gives "
                            f"{sympy.simplify(sympy.diff(expr, var))}.", "a derivative that holds",
                            "check the claim")
        statement = sympy.Eq(sympy.Derivative(expr, var), other, evaluate=False)
        return fields(statement, to_latex(statement), "identity")
    if task == "identity":
        other = read_maths(rhs, i_is_imaginary)
        ok, _ = is_zero(expr - other)
        if not ok:
            simpler = sympy.simplify(expr)
            raise IvluError(f"The claim is false: {source} does not simplify to {rhs}; "
                            f"SymPy simplifies it to {simpler}.", "an identity that holds",
                            f"did you mean '{source} simplifies to {simpler}'?")
        statement = sympy.Eq(expr, other, evaluate=False)
        return fields(statement, to_latex(statement), "identity")
    raise IvluError(f"Unknown equation task {task!r}.", "derivative, integral, simplify, expand, factor, "
                    "identity, derivative_identity, named or latex", "")
