"""The SymPy side of an equation: read LaTeX and SymPy text safely, decide what is equal and true.

`parse_latex` turns a spec's LaTeX into SymPy (± as two branches, e/i/π as constants); `safe_sympify`
reads the srepr text the planner writes into `expected` without ever evaluating code; `same_statement`
decides whether two statements are the same maths; `holds` checks what a spec's `check` says must be
true (an identity, an antiderivative, a root); `to_latex` writes SymPy back as LaTeX both mathtext and
the parser read. The verifier and the planner both use these, so they read a formula the same way.
"""

from __future__ import annotations

import ast
import cmath
import random
import re

from ...errors import IvluError
from .spec import EquationSpec

# -- parsing: model-written text is data, never code -----------------------------------------------

_SYMPY_CALLS = set("""Symbol Integer Rational Float Add Mul Pow Eq Equality Unequality StrictLessThan LessThan
StrictGreaterThan GreaterThan Ne Lt Le Gt Ge Tuple sin cos tan cot sec csc asin acos atan acot sinh cosh tanh
exp log sqrt Abs factorial binomial Derivative Integral Sum Product Limit Max Min Function""".split())
_SYMPY_CONSTANTS = {"pi": "pi", "E": "E", "I": "I", "oo": "oo", "zoo": "zoo", "nan": "nan"}
_RELATIONS = {"Eq", "Equality", "Unequality", "Ne", "StrictLessThan", "LessThan", "StrictGreaterThan",
              "GreaterThan", "Lt", "Le", "Gt", "Ge"}
MAX_EXPR_CHARS = 4000


def safe_sympify(text: str):
    """A SymPy object from its `srepr` (or SymPy's plain `str` form) without `eval`.

    Only arithmetic, constants and the whitelisted SymPy constructors are allowed; any other name
    becomes a Symbol. Relations are built unevaluated, so `Eq(lhs, rhs)` stays an equation.
    """
    import sympy

    if len(text) > MAX_EXPR_CHARS:
        raise IvluError(f"The expression has {len(text)} characters.", f"at most {MAX_EXPR_CHARS}",
                        "state a shorter formula")
    try:
        tree = ast.parse(text.replace("^", "**"), mode="eval")
    except SyntaxError as e:
        raise IvluError(f"Cannot read the expression {text[:120]!r} ({e.msg}).",
                        "a SymPy expression such as Eq(x, 2*a)", "fix the expression") from None
    binary = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
              ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a ** b}

    def build(node, depth=0):
        if depth > 200:
            raise IvluError("The expression nests too deeply.", "at most 200 levels", "simplify it")
        if isinstance(node, ast.Expression):
            return build(node.body, depth + 1)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool)):
            return sympy.sympify(node.value) if isinstance(node.value, (int, float)) else node.value
        if isinstance(node, ast.Name):
            if node.id in _SYMPY_CONSTANTS:
                return getattr(sympy, _SYMPY_CONSTANTS[node.id])
            return sympy.Symbol(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = build(node.operand, depth + 1)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and type(node.op) in binary:
            return binary[type(node.op)](build(node.left, depth + 1), build(node.right, depth + 1))
        if isinstance(node, (ast.Tuple, ast.List)):
            return sympy.Tuple(*[build(e, depth + 1) for e in node.elts])
        if isinstance(node, ast.Call):
            args = [build(a, depth + 1) for a in node.args]
            kwargs = {}
            for kw in node.keywords:
                if not (kw.arg and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, bool)):
                    raise IvluError("Only true/false options are allowed in an expression.", "", "")
                kwargs[kw.arg] = kw.value.value
            if isinstance(node.func, ast.Name) and node.func.id in _SYMPY_CALLS:
                name = node.func.id
                if name in _RELATIONS:
                    kwargs["evaluate"] = False
                if name in ("Symbol", "Function") and not (len(args) == 1 and isinstance(args[0], str)):
                    raise IvluError(f"{name} takes one name.", f"{name}('x')", "fix the expression")
                return getattr(sympy, name)(*args, **kwargs)
            if isinstance(node.func, ast.Call):  # Function('f')(x)
                func = build(node.func, depth + 1)
                if isinstance(func, sympy.core.function.UndefinedFunction):
                    return func(*args)
        raise IvluError(f"The expression {text[:120]!r} uses something other than arithmetic and SymPy "
                        f"constructors ({type(node).__name__}).", "a SymPy srepr or plain expression",
                        "write it with + - * / ** and functions such as sin, sqrt, Eq")

    with sympy.evaluate(False):  # keep what was written: Eq(exp(I*pi) + 1, 0) stays that equation
        return build(tree)


SPACING = re.compile(r"\\[,;:! ]|\\q?quad\b|\\displaystyle\b")


def branches(latex: str) -> list[str]:
    """The LaTeX with every ± (and ∓) resolved: one string, or two for the + and − branches."""
    if "\\pm" not in latex and "\\mp" not in latex:
        return [latex]
    plus = latex.replace("\\pm", "+").replace("\\mp", "-")
    minus = latex.replace("\\pm", "-").replace("\\mp", "+")
    return [plus, minus]


def parse_latex(latex: str, e_is_euler: bool = True, i_is_imaginary: bool = False):
    """SymPy's reading of the LaTeX: an expression or relation, or a Tuple of ± branches.

    `e`, `i` and `pi` become Euler's number, the imaginary unit and π as the spec says; a one-letter
    'function' such as the n in n(n+1) is read as a product.
    """
    import sympy
    from sympy.core.function import AppliedUndef
    from sympy.core.relational import Relational
    from sympy.logic.boolalg import BooleanAtom
    from sympy.parsing.latex import LaTeXParsingError
    from sympy.parsing.latex import parse_latex as sympy_parse_latex

    clean = SPACING.sub(" ", latex).replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    clean = re.sub(r"\\mathrm\{(\w)\}", r"\1", clean)
    # The strict parser (below) rejects \left( … \right); plain brackets mean the same to it.
    clean = re.sub(r"\\left\s*([(\[])", r"\1", clean)
    clean = re.sub(r"\\right\s*([)\]])", r"\1", clean)
    out = []
    for text in branches(clean):
        try:
            # strict: the lenient parser drops what it cannot read ('x^2 +' came back as x**2, 'a^{}' as a).
            expr = sympy_parse_latex(text, strict=True)
            if isinstance(expr, BooleanAtom) and text.count("=") == 1:  # '1 + 1 = 3' came back as False
                left, right = text.split("=")
                expr = sympy.Eq(sympy_parse_latex(left, strict=True), sympy_parse_latex(right, strict=True),
                                evaluate=False)
        except (LaTeXParsingError, TypeError, ValueError, SyntaxError) as e:
            raise IvluError(f"SymPy cannot parse the LaTeX {latex!r}: {' '.join(str(e).split())[:200]}",
                            "a formula SymPy's LaTeX parser reads (\\frac, \\sqrt, ^, \\sin, \\int …)",
                            "fix the LaTeX, or write the maths in plain form like (x^2-1)/(x-1)") from None
        swap = {sympy.Symbol("pi"): sympy.pi}
        if e_is_euler:
            swap[sympy.Symbol("e")] = sympy.E
        if i_is_imaginary:
            swap[sympy.Symbol("i")] = sympy.I

        def fix(part, swap=swap):
            part = part.xreplace(swap)
            return part.replace(
                lambda n: isinstance(n, AppliedUndef) and len(n.args) == 1 and len(n.func.__name__) == 1,
                lambda n: sympy.Symbol(n.func.__name__) * n.args[0])

        with sympy.evaluate(False):  # e^{iπ} + 1 = 0 must stay an equation, not become True
            if isinstance(expr, Relational):
                expr = type(expr)(fix(expr.lhs), fix(expr.rhs))
            else:
                expr = fix(expr)
        out.append(expr)
    return out[0] if len(out) == 1 else sympy.Tuple(*out)


# -- deciding equality --------------------------------------------------------------------------------


def _numeric_zero(expr, trials: int = 4) -> bool | None:
    """True/False when random points decide whether expr is identically 0; None when they cannot."""
    import sympy

    symbols = sorted(expr.free_symbols, key=str)
    rng = random.Random(1234)
    decided = 0
    for _ in range(trials * 3):
        point = {s: sympy.Float(rng.uniform(0.3, 2.7)) for s in symbols}
        try:
            value = complex(expr.subs(point).evalf(30))
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if cmath.isnan(value) or cmath.isinf(value):
            continue
        if abs(value) > 1e-9 * max(1.0, max((abs(complex(v)) for v in point.values()), default=1.0)):
            return False
        decided += 1
        if decided >= trials:
            return True
    return None


def is_zero(expr) -> tuple[bool, str]:
    """Whether expr is identically zero: symbolically if SymPy can show it, else at random points."""
    import sympy

    expr = expr.doit()
    if expr == 0:
        return True, "symbolically"
    try:
        if sympy.simplify(expr) == 0:
            return True, "symbolically"
    except (TypeError, ValueError, NotImplementedError):
        pass
    numeric = _numeric_zero(expr)
    if numeric is None:
        return False, "undecided"
    return numeric, "at random points"


_OPERATORS = ("Derivative", "Integral", "Sum", "Product", "Limit")


def same_expression(a, b) -> tuple[bool, str]:
    """a and b are the same maths: the same operators (a derivative is not its value) and equal values."""
    import sympy

    for op in _OPERATORS:
        cls = getattr(sympy, op)
        if a.has(cls) != b.has(cls):
            return False, f"one side is an unevaluated {op.lower()}, the other is not"
        # Operator by operator, what it acts on must match too: d/dx(x^3 - 7) and d/dx(x^3 + 7) have the
        # same value but are not the same statement.
        left, right = list(a.atoms(cls)), list(b.atoms(cls))
        if len(left) != len(right):
            return False, f"{len(left)} {op.lower()}(s) drawn, {len(right)} expected"
        for inner in left:
            twin = next((o for o in right if o.args[1:] == inner.args[1:] and is_zero(o.args[0] - inner.args[0])[0]),
                        None)
            if twin is None:
                return False, f"the {op.lower()} of {inner.args[0]} is not the expected one"
            right.remove(twin)
    return is_zero(a - b)


def same_statement(drawn, expected) -> tuple[bool, str]:
    """Relations match side by side, tuples branch by branch (in any order), expressions by value."""
    import sympy
    from sympy.core.relational import Relational

    if isinstance(expected, sympy.Tuple) or isinstance(drawn, sympy.Tuple):
        d = list(drawn) if isinstance(drawn, sympy.Tuple) else [drawn]
        e = list(expected) if isinstance(expected, sympy.Tuple) else [expected]
        if len(d) != len(e):
            return False, f"{len(d)} branch(es) drawn, {len(e)} expected"
        left = list(e)
        for branch in d:
            match = next((x for x in left if same_statement(branch, x)[0]), None)
            if match is None:
                return False, f"the branch {branch} is not expected"
            left.remove(match)
        return True, "every branch matches"
    if isinstance(expected, Relational) or isinstance(drawn, Relational):
        if type(drawn) is not type(expected):
            return False, f"a {type(drawn).__name__} is drawn, a {type(expected).__name__} expected"
        lhs, how = same_expression(drawn.lhs, expected.lhs)
        rhs, how2 = same_expression(drawn.rhs, expected.rhs)
        if lhs and rhs:
            return True, how if how == how2 else f"{how} and {how2}"
        return False, "the left sides differ" if not lhs else "the right sides differ"
    return same_expression(drawn, expected)


def _relations(expr) -> list:
    import sympy

    return list(expr) if isinstance(expr, sympy.Tuple) else [expr]


def holds(s: EquationSpec, drawn) -> tuple[bool, str, dict]:
    """Check what `s.check` says must hold about the drawn statement."""
    import sympy
    from sympy.core.relational import Equality

    details: dict = {}
    for rel in _relations(drawn):
        if not isinstance(rel, Equality):
            return False, f"'{s.check}' needs an equation with '=', got {rel}", details
        if s.check == "identity":
            ok, _ = is_zero(rel.lhs - rel.rhs)
            if not ok:
                rest = sympy.simplify((rel.lhs - rel.rhs).doit())
                return False, f"the two sides differ by {rest}, so the identity is false", details
            excluded = _excluded_points(rel.lhs) | _excluded_points(rel.rhs)
            if excluded:
                details["excluded"] = sorted(str(p) for p in excluded)
        elif s.check == "antiderivative":
            integrals = list(rel.lhs.atoms(sympy.Integral))
            if not integrals:
                return False, "the left side is not an integral", details
            integrand, var = integrals[0].function, integrals[0].limits[0][0]
            ok, _ = is_zero(sympy.diff(rel.rhs, var) - integrand)
            if not ok:
                slope = sympy.diff(rel.rhs, var)
                return False, f"d/d{var} of the right side is {slope}, not {integrand}", details
        elif s.check == "solves":
            if not s.solves:
                return False, "check 'solves' needs the polynomial in `solves`", details
            unknown, value = rel.lhs, rel.rhs
            ok, _ = is_zero(safe_sympify(s.solves).subs(unknown, value))
            if not ok:
                return False, f"{unknown} = {value} is not a root of {s.solves}", details
    what = {"identity": "holds for all values", "antiderivative": "differentiates back to the integrand",
            "solves": f"solves {safe_sympify(s.solves)} = 0" if s.solves else ""}[s.check]
    if details.get("excluded"):
        what += f" (where defined: {', '.join(details['excluded'])} excluded)"
    return True, what, details


def _excluded_points(expr) -> set:
    """Points where a denominator of expr vanishes (one variable, real roots only)."""
    import sympy

    points: set = set()
    free = expr.free_symbols
    if len(free) != 1 or expr.has(sympy.Integral, sympy.Derivative, sympy.Sum):
        return points
    var = next(iter(free))
    denominator = sympy.denom(sympy.together(expr))
    if denominator.is_number:
        return points
    try:
        for root in sympy.solve(denominator, var):
            if root.is_real:
                points.add(f"{var} = {root}")
    except (NotImplementedError, ValueError):
        pass
    return points


# -- writing LaTeX -----------------------------------------------------------------------------------


def to_latex(expr) -> str:
    """SymPy's LaTeX, in the subset both mathtext and SymPy's parser read."""
    import sympy

    if isinstance(expr, sympy.Tuple):
        return ",\\ ".join(to_latex(e) for e in expr)
    if isinstance(expr, sympy.Derivative):
        var = expr.variables[0]
        return f"\\frac{{d}}{{d{var}}}\\left({to_latex(expr.expr)}\\right)"
    if isinstance(expr, sympy.Integral) and len(expr.limits[0]) == 1:
        var = expr.limits[0][0]
        return f"\\int {to_latex(expr.function)}\\, d{var}"
    if isinstance(expr, sympy.Integral):
        var, lo, hi = expr.limits[0]
        return f"\\int_{{{to_latex(lo)}}}^{{{to_latex(hi)}}} {to_latex(expr.function)}\\, d{var}"
    if isinstance(expr, sympy.Equality):
        return f"{to_latex(expr.lhs)} = {to_latex(expr.rhs)}"
    return sympy.latex(expr, inv_trig_style="full", ln_notation=True, fold_func_brackets=True,
                       mul_symbol=None)
