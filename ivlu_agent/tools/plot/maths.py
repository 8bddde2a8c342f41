"""The expression language of function plots: parse (never eval), evaluate with numpy, find breaks.

A request's expression ("sin(x)/x", "2x^2 - 3x + 1", "tan x") is model- or user-written text, so it
is parsed here by a small recursive-descent parser into a tuple tree of whitelisted operations.
Nothing is ever passed to `eval`, `exec`, `sympify` or `lambdify`. The tree converts to SymPy for
exact analysis (poles, removable points) and evaluates directly with numpy ufuncs.

Shared by the plot planner rule (syntax only, no numpy or SymPy import), the renderer and the
verifier, so all three read an expression the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ...errors import IvluError

MAX_EXPR_CHARS = 200
MAX_DEPTH = 40
# name → SymPy function name; the numpy side is in `_numpy_functions`.
FUNCTIONS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "cot": "cot", "sec": "sec", "csc": "csc",
    "asin": "asin", "arcsin": "asin", "acos": "acos", "arccos": "acos", "atan": "atan", "arctan": "atan",
    "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "exp": "exp", "log": "log", "ln": "log",
    "log10": "log10", "log2": "log2", "sqrt": "sqrt", "cbrt": "cbrt", "abs": "Abs",
    "floor": "floor", "ceil": "ceiling", "sign": "sign",
}
CONSTANTS = {"pi": "pi", "π": "pi", "e": "E"}
_SUPERSCRIPTS = {"²": "^2", "³": "^3", "⁴": "^4"}
_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*|π)"
                    r"|(?P<op>\*\*|[-+*/^(),|]))")


@dataclass(frozen=True)
class Expr:
    """A parsed expression: `tree` is nested tuples, `variable` the free variable's name."""

    text: str
    variable: str
    tree: tuple

    def __call__(self, xs: Any) -> Any:
        """Evaluate at a numpy array (or scalar); undefined points come back as NaN, never raise."""
        import numpy as np

        with np.errstate(all="ignore"):
            out = _eval(self.tree, np.asarray(xs, dtype=float))
            out = np.broadcast_to(np.asarray(out, dtype=float), np.shape(xs)).copy()
        out[~np.isfinite(out)] = np.nan
        return out

    def sympy(self):
        import sympy as sp

        return _to_sympy(self.tree, sp.Symbol(self.variable, real=True))


def _clean(text: str) -> str:
    for sup, rep in _SUPERSCRIPTS.items():
        text = text.replace(sup, rep)
    return text.replace("−", "-").replace("·", "*").replace("×", "*").replace("÷", "/")


def parse(text: str, variable: str | None = None) -> Expr:
    """Parse `text` into an Expr. The variable is `variable`, or the one single-letter name used.

    Raises IvluError naming the position of the problem and the names that are allowed.
    """
    if len(text) > MAX_EXPR_CHARS:
        raise IvluError(f"The expression has {len(text)} characters.", f"at most {MAX_EXPR_CHARS}",
                        "plot a shorter expression")
    src = _clean(text.strip())
    tokens, pos = [], 0
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m or m.end() == pos:
            if not src[pos:].strip():
                break
            raise _syntax(text, src, pos, f"unexpected character {src[pos]!r}")
        kind = m.lastgroup
        tokens.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    if not tokens:
        raise IvluError("The expression is empty.", "a function of x such as 'sin(x)/x'", "write the function")
    for i, (kind, value, at) in enumerate(tokens):
        if kind == "name" and value not in FUNCTIONS and value not in CONSTANTS and len(value) > 1:
            called = i + 1 < len(tokens) and tokens[i + 1][1] == "("
            raise _syntax(text, src, at, f"unknown {'function' if called else 'name'} {value!r}"
                          + ("" if called else " (write products with spaces or '*', e.g. 'x y' or 'sin x')"))
    names = {t[1] for t in tokens if t[0] == "name"}
    if variable is None:
        free = sorted(n for n in names if n not in FUNCTIONS and n not in CONSTANTS)
        if len(free) > 1:
            raise IvluError(f"The expression {text!r} uses several names ({', '.join(free)}).",
                            "a function of one variable, e.g. 'x^2 - 3x + 2'",
                            "use one variable, or write products with '*' ('x*y' is not supported)")
        variable = free[0] if free else "x"
    if not re.fullmatch(r"[a-zA-Z]", variable) or variable in CONSTANTS:
        raise IvluError(f"The plot variable {variable!r} is not a single letter.", "x, t, or another letter",
                        "rename the variable")
    parser = _Parser(tokens, text, src, variable)
    tree = parser.expression(0)
    if parser.i < len(tokens):
        raise _syntax(text, src, tokens[parser.i][2], f"unexpected {tokens[parser.i][1]!r}")
    return Expr(text=" ".join(text.split()), variable=variable, tree=tree)


def check(text: str, variable: str | None = None) -> str | None:
    """None when `text` parses, else the error message (for pydantic validators)."""
    try:
        parse(text, variable)
    except IvluError as e:
        return e.problem
    return None


def _syntax(text: str, src: str, pos: int, what: str) -> IvluError:
    return IvluError(f"Cannot read the expression {text!r}: {what} at position {pos + 1} "
                     f"({src[:pos]}⟨here⟩{src[pos:]}).",
                     "operators + - * / ^, parentheses, numbers, one variable, pi, e and the functions "
                     + ", ".join(sorted(FUNCTIONS)),
                     "fix the expression, e.g. 'sin(x)/x' or '2x^2 - 3x + 1'")


class _Parser:
    """Precedence climbing: sum < product (explicit or implicit) < unary minus < power < call/atom."""

    def __init__(self, tokens, text, src, variable):
        self.tokens, self.text, self.src, self.variable, self.i = tokens, text, src, variable, 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None, len(self.src))

    def take(self, value=None):
        tok = self.peek()
        if tok[0] is None or (value is not None and tok[1] != value):
            raise _syntax(self.text, self.src, tok[2], f"expected {value!r}" if value else "unexpected end")
        self.i += 1
        return tok

    def expression(self, depth):
        if depth > MAX_DEPTH:
            raise _syntax(self.text, self.src, self.peek()[2], "nesting too deep")
        node = self.product(depth)
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            node = ("add" if op == "+" else "sub", node, self.product(depth))
        return node

    def product(self, depth):
        node = self.unary(depth)
        while True:
            kind, value, _ = self.peek()
            if value in ("*", "/"):
                self.take()
                node = ("mul" if value == "*" else "div", node, self.unary(depth))
            elif kind in ("num", "name") or value == "(":  # implicit product: 2x, x sin(x), (x+1)(x-1)
                node = ("mul", node, self.power(depth))
            else:
                return node

    def unary(self, depth):
        if self.peek()[1] in ("-", "+"):
            op = self.take()[1]
            inner = self.unary(depth + 1)
            return ("neg", inner) if op == "-" else inner
        return self.power(depth)

    def power(self, depth):
        base = self.atom(depth)
        if self.peek()[1] in ("^", "**"):
            self.take()
            return ("pow", base, self.unary(depth + 1))  # right-associative; 2^-x allowed
        return base

    def atom(self, depth):
        kind, value, pos = self.take()
        if kind == "num":
            return ("num", float(value))
        if value == "(":
            node = self.expression(depth + 1)
            self.take(")")
            return node
        if value == "|":
            node = self.expression(depth + 1)
            self.take("|")
            return ("call", "abs", node)
        if kind == "name":
            if value in FUNCTIONS:
                if self.peek()[1] == "(":
                    self.take("(")
                    arg = self.expression(depth + 1)
                    self.take(")")
                else:  # 'sin x', 'sin 2x' binds like 'sin(x)', 'sin(2x)'
                    arg = self.product_of_powers(depth + 1)
                if self.peek()[1] in ("^", "**"):  # sin(x)^2 squares the result
                    self.take()
                    return ("pow", ("call", value, arg), self.unary(depth + 1))
                return ("call", value, arg)
            if value in CONSTANTS:
                return ("const", CONSTANTS[value])
            if value == self.variable:
                return ("var",)
            raise _syntax(self.text, self.src, pos, f"unknown name {value!r}")
        raise _syntax(self.text, self.src, pos, f"unexpected {value!r}")

    def product_of_powers(self, depth):
        node = self.power(depth)
        while self.peek()[0] in ("num", "name") and self.peek()[1] not in FUNCTIONS:
            node = ("mul", node, self.power(depth))
        return node


def _numpy_functions():
    import numpy as np

    return {
        "sin": np.sin, "cos": np.cos, "tan": np.tan, "cot": lambda v: 1 / np.tan(v),
        "sec": lambda v: 1 / np.cos(v), "csc": lambda v: 1 / np.sin(v),
        "asin": np.arcsin, "arcsin": np.arcsin, "acos": np.arccos, "arccos": np.arccos,
        "atan": np.arctan, "arctan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
        "exp": np.exp, "log": np.log, "ln": np.log, "log10": np.log10, "log2": np.log2, "sqrt": np.sqrt,
        "cbrt": np.cbrt, "abs": np.abs, "floor": np.floor, "ceil": np.ceil, "sign": np.sign,
    }


@lru_cache(maxsize=1)
def _ufuncs():
    return _numpy_functions()


def _eval(node: tuple, x):
    import numpy as np

    op = node[0]
    if op == "num":
        return node[1]
    if op == "var":
        return x
    if op == "const":
        return np.pi if node[1] == "pi" else np.e
    if op == "neg":
        return -_eval(node[1], x)
    if op == "call":
        return _ufuncs()[node[1]](_eval(node[2], x))
    a, b = _eval(node[1], x), _eval(node[2], x)
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div":
        return np.divide(a, b)
    return _real_power(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


def _real_power(a, b):
    """a**b over the reals: odd roots of negatives are real (x^(1/3)), other negative bases with
    fractional exponents are undefined (NaN)."""
    import numpy as np

    out = np.power(a, b)
    neg = (a < 0) & ~np.isclose(b, np.round(b))
    if np.any(neg):
        inv = np.divide(1.0, b, out=np.zeros_like(b + a), where=b != 0)
        odd_root = np.isclose(inv, np.round(inv)) & (np.round(inv) % 2 == 1)
        fix = neg & odd_root
        out = np.where(fix, -np.power(np.abs(a), b), out)
    return out


def _to_sympy(node: tuple, x):
    import sympy as sp

    op = node[0]
    if op == "num":
        value = node[1]
        return sp.Integer(int(value)) if float(value).is_integer() else sp.Rational(str(value))
    if op == "var":
        return x
    if op == "const":
        return sp.pi if node[1] == "pi" else sp.E
    if op == "neg":
        return -_to_sympy(node[1], x)
    if op == "call":
        arg = _to_sympy(node[2], x)
        name = FUNCTIONS[node[1]]
        if name == "log10":
            return sp.log(arg, 10)
        if name == "log2":
            return sp.log(arg, 2)
        if name == "cbrt":
            return sp.real_root(arg, 3)
        return getattr(sp, name)(arg)
    a, b = _to_sympy(node[1], x), _to_sympy(node[2], x)
    return {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
            "div": lambda: a / b, "pow": lambda: a ** b}[op]()


# -- breaks: poles, jumps and removable points ------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """A point where the curve must not be drawn through (pole, jump, edge of the domain), or a
    removable point whose value is the limit."""

    x: float
    kind: str  # "pole" | "jump" | "removable"
    value: float | None = None  # the limit at a removable point


def classify(f: Expr, p: float, step: float) -> Break:
    """Probe f on both sides of p, from two grid steps down to 1e-7 of one."""
    import numpy as np

    hs = step * np.concatenate([[2.0, 1.0], 10.0 ** -np.arange(1, 8)])
    sides = [f(p - hs), f(p + hs)]
    for v in sides:
        mag = np.abs(v)
        n = int(np.argmin(np.isfinite(mag))) if not np.all(np.isfinite(mag)) else len(mag)
        growing = n >= 2 and np.all(np.diff(mag[:n]) > 0)  # NaN after growth is an overflow
        if growing and (n < len(mag) or mag[n - 1] >= 2 * mag[0] + 1e-12):
            return Break(p, "pole")
    left, right = sides[0][-1], sides[1][-1]
    if np.isfinite(left) and np.isfinite(right) and abs(left - right) <= 1e-6 * (1 + abs(left)):
        return Break(p, "removable", float((left + right) / 2))
    return Break(p, "jump")


def exact_singularities(f: Expr, a: float, b: float, limit: int = 400) -> list[float]:
    """SymPy's singular points of f inside (a, b); [] when SymPy cannot give a finite list."""
    import sympy as sp
    from sympy.calculus.singularities import singularities

    try:
        found = singularities(f.sympy(), sp.Symbol(f.variable, real=True), sp.Interval.open(a, b))
    except Exception:  # noqa: BLE001 - SymPy raises many kinds; exact analysis is a bonus here
        return []
    if not isinstance(found, sp.FiniteSet) or len(found) > limit:
        return []
    points = []
    for p in found:
        try:
            value = float(p)
        except (TypeError, ValueError):
            continue
        if a < value < b:
            points.append(value)
    return sorted(points)


def find_jumps(f: Expr, lo, hi, flo, fhi, iterations: int = 60):
    """Bisect each interval [lo_i, hi_i] towards its largest change. Returns (x, is_break) arrays:
    a break when the change does not shrink with the interval (jump or pole) or f is undefined inside."""
    import numpy as np

    lo, hi = np.array(lo, float), np.array(hi, float)
    flo, fhi = np.array(flo, float), np.array(fhi, float)
    start = np.abs(fhi - flo)
    undefined = np.zeros(lo.shape, bool)
    for _ in range(iterations):
        mid = (lo + hi) / 2
        fm = f(mid)
        bad = ~np.isfinite(fm) & ~undefined
        undefined |= bad
        left = np.abs(fm - flo) >= np.abs(fhi - fm)
        keep = ~undefined
        hi = np.where(keep & left, mid, hi)
        fhi = np.where(keep & left, fm, fhi)
        lo = np.where(keep & ~left, mid, lo)
        flo = np.where(keep & ~left, fm, flo)
        lo = np.where(bad, mid, lo)
        hi = np.where(bad, mid, hi)
    end = np.abs(fhi - flo)
    return (lo + hi) / 2, undefined | (end >= 0.5 * start)


def breaks(f: Expr, a: float, b: float, samples: int, max_candidates: int = 256) -> list[Break]:
    """Every pole, jump and removable point of f in (a, b): SymPy's exact singularities, plus
    the discontinuities a grid of `samples` points reveals (floor, sign, functions SymPy misses)."""
    import numpy as np

    step = (b - a) / (samples - 1)
    found = [classify(f, p, step) for p in exact_singularities(f, a, b)]
    xs = np.linspace(a, b, samples)
    ys = f(xs)
    dy = np.abs(np.diff(ys))
    ok = np.isfinite(dy)
    neighbour = np.maximum(np.concatenate([[0], dy[:-1]]), np.concatenate([dy[1:], [0]]))
    neighbour = np.where(np.isfinite(neighbour), neighbour, 0)
    scale = float(np.nanmax(np.abs(ys))) if np.any(np.isfinite(ys)) else 0.0
    spike = ok & (dy > 3 * neighbour) & (dy > 1e-9 * (1 + scale))
    idx = np.flatnonzero(spike)
    if len(idx) > max_candidates:
        idx = idx[np.argsort(dy[idx])[-max_candidates:]]
    if len(idx):
        where, is_break = find_jumps(f, xs[idx], xs[idx + 1], ys[idx], ys[idx + 1])
        known = np.array([br.x for br in found])
        for x in where[is_break]:
            if known.size and np.min(np.abs(known - x)) < step * 1e-3:
                continue
            found.append(classify(f, float(x), step))
    return sorted(found, key=lambda br: br.x)


def sample(f: Expr, a: float, b: float, samples: int) -> tuple[Any, Any, list[Break]]:
    """Points to draw: a uniform grid, the limit at removable points, NaN at poles and jumps
    (so the line breaks there) and extra points closing in on each pole."""
    import numpy as np

    found = breaks(f, a, b, samples)
    step = (b - a) / (samples - 1)
    extra = [np.linspace(a, b, samples)]
    for br in found:
        if br.kind == "pole":
            near = step * np.array([0.5, 0.25, 0.1, 0.03, 0.01, 1e-3, 1e-4])
            extra.append(np.clip(np.concatenate([br.x - near, br.x + near]), a, b))
    xs = np.unique(np.concatenate(extra))
    gap = [br.x for br in found if br.kind != "removable"]
    if found:  # drop grid points that sit on a break; NaN (gap) or the limit (removable) goes there
        g = np.sort([br.x for br in found])
        i = np.clip(np.searchsorted(g, xs), 1, max(1, len(g) - 1))
        nearest = np.minimum(np.abs(xs - g[i - 1]), np.abs(xs - g[np.minimum(i, len(g) - 1)]))
        xs = xs[nearest > step * 1e-6]
    ys = f(xs)
    fills = [(br.x, br.value) for br in found if br.kind == "removable"]
    if fills:
        xs = np.concatenate([xs, [p for p, _ in fills]])
        ys = np.concatenate([ys, [v for _, v in fills]])
    if gap:
        xs = np.concatenate([xs, gap])
        ys = np.concatenate([ys, np.full(len(gap), np.nan)])
    order = np.argsort(xs, kind="stable")
    return xs[order], ys[order], found


def y_window(ys, poles: bool) -> tuple[float, float]:
    """The y range to show: all of the curve, or (with poles) the bulk of it."""
    import numpy as np

    finite = ys[np.isfinite(ys)]
    if finite.size == 0:
        return -1.0, 1.0
    if poles:
        q0, q1 = np.percentile(finite, [5, 95])
        span = q1 - q0 if q1 > q0 else max(1.0, abs(q0))
        lo, hi = q0 - 0.5 * span, q1 + 0.5 * span
        lo, hi = max(lo, float(finite.min()) - 0.05 * span), min(hi, float(finite.max()) + 0.05 * span)
    else:
        lo, hi = float(finite.min()), float(finite.max())
        pad = 0.05 * (hi - lo) if hi > lo else max(1.0, abs(hi)) * 0.5
        lo, hi = lo - pad, hi + pad
    if not np.isfinite(hi - lo) or hi - lo <= 0:
        raise IvluError("The function's values exceed the floating-point range on this interval.",
                        "values below about 1e300", "narrow the x range or set a y range")
    return float(lo), float(hi)
