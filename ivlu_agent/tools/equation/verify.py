"""Verify an equation: SymPy checks what the LaTeX says, OCR checks what the image shows.

Spec level:
  - `equation.parse`: the LaTeX parses (SymPy `parse_latex`, ANTLR backend) and states the spec's
    `expected` expression, side by side and branch by branch (± gives two branches);
  - `equation.maths`: what must hold does hold (an identity, an antiderivative, a root).
Raster level:
  - `equation.glyphs`: the spec's LaTeX is laid out again to learn where each glyph should be; the
    image is cut at those places, every glyph is set at one size on one baseline, and tesseract
    reads that strip. Letters, digits and operators must all be read back. Glyphs tesseract has no
    alphabet for (π, ±, √, ∫, Greek) are compared by shape against the reference layout.

`plan_equation` does the planner's maths (derivatives, integrals, simplifications, named formulas)
here in the worker, so SymPy never loads in the agent process.
"""

from __future__ import annotations

import ast
import cmath
import random
import re
import string
import tempfile
from pathlib import Path

from ...errors import IvluError
from ..common.images import open_image
from ..common.ocr import read_text
from .spec import DPI, EquationSpec

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


# -- the checks -------------------------------------------------------------------------------------


def check_parse(s: EquationSpec) -> tuple[dict, object | None]:
    """The LaTeX parses and states `expected`."""
    import sympy

    try:
        drawn = parse_latex(s.latex, s.e_is_euler, s.i_is_imaginary)
    except IvluError as e:
        return {"verifier": "equation.parse", "passed": False, "score": 0.0,
                "checked": "the LaTeX parses with SymPy", "message": e.problem}, None
    if not s.expected:
        return {"verifier": "equation.parse", "passed": True, "score": 1.0,
                "checked": "the LaTeX parses with SymPy", "message": f"The LaTeX reads as {drawn}.",
                "details": {"parsed": sympy.srepr(drawn)}}, drawn
    expected = safe_sympify(s.expected)
    ok, how = same_statement(drawn, expected)
    details = {"parsed": sympy.srepr(drawn), "expected": s.expected}
    if not ok:
        details["suggested_latex"] = to_latex(expected)
    return {
        "verifier": "equation.parse", "passed": ok, "score": 1.0 if ok else 0.0,
        "checked": "the drawn LaTeX, parsed by SymPy, states the expected expression",
        "message": (f"The LaTeX states {drawn} ({how})." if ok else
                    f"The LaTeX states {drawn}, but {expected} was expected: {how}."),
        "details": details,
    }, drawn


def check_maths(s: EquationSpec, drawn) -> dict | None:
    if s.check == "none" or drawn is None:
        return None
    try:
        ok, what, details = holds(s, drawn)
    except IvluError as e:
        ok, what, details = False, e.problem, {}
    return {"verifier": "equation.maths", "passed": ok, "score": 1.0 if ok else 0.0,
            "checked": f"SymPy: the formula is a true {s.check}",
            "message": f"The formula {what}." if ok else f"The maths is wrong: {what}.", "details": details}


# -- raster: the glyphs carry the meaning -------------------------------------------------------------

MARKS = string.digits + "+-=()<>/.,!'[]|"
OCR_ALPHABET = string.ascii_letters + MARKS
# What tesseract reads for a glyph, folded to one class: look-alike cases and strokes.
_FOLD = str.maketrans({"−": "-", "–": "-", "—": "-", "X": "x", "C": "c", "O": "o", "0": "o", "S": "s",
                       "V": "v", "W": "w", "Z": "z", "P": "p", "U": "u", "K": "k", "l": "1", "I": "1",
                       "|": "1", "[": "(", "]": ")", "'": ""})
# Strip settings (pixels per em, gap in ems) read in turn until one reads the formula exactly:
# tesseract's errors on isolated glyphs are noisy, a defect reads wrong in every setting.
STRIP_VARIANTS = [(40, 0.1), (32, 0.06), (24, 0.1), (28, 0.03), (48, 0.08)]
SLOT_ASCENT, SLOT_DESCENT = 0.75, 0.22  # each glyph's slot: this much of an em above and below its baseline


def fold(text: str) -> str:
    return "".join(text.split()).translate(_FOLD)


def _ink_box(gray) -> tuple[int, int, int, int] | None:
    import numpy as np

    rows = np.where((gray < 128).any(axis=1))[0]
    cols = np.where((gray < 128).any(axis=0))[0]
    if not len(rows):
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _correlation(a, b) -> float:
    import numpy as np

    a, b = a.astype(float).ravel(), b.astype(float).ravel()
    a, b = a - a.mean(), b - b.mean()
    denom = (np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denom) if denom else 0.0


def slot(g: dict) -> tuple[float, float, float, float]:
    """Where a glyph's character sits: its ink box widened to a full line height around its baseline,
    so a '+' drawn where a '−' belongs is seen whole."""
    em = g["size"] * DPI / 72
    x0, y0, x1, y1 = g["box"]
    top, bottom = g["baseline"] - SLOT_ASCENT * em, g["baseline"] + SLOT_DESCENT * em
    return x0 - 1, min(y0 - 1, top), x1 + 1, max(y1 + 1, bottom)


def glyph_strip(gray, owner, glyphs: list[dict], mapping, em_px: int, gap_em: float):
    """Cut each glyph's slot out of the image and set them in a row at one size (a PIL image).

    `owner` says which reference glyph inks each pixel (in image coordinates); ink another glyph
    or a bar owns is whitened out of a slot, so an italic f's slot does not show part of the next
    '('. Ink nobody owns stays: that is where a wrong glyph shows."""
    from PIL import Image

    pieces = []
    for g in glyphs:
        x0, y0, x1, y1 = (round(v) for v in mapping(slot(g)))
        x0, y0 = max(0, x0), max(0, y0)
        crop = gray[y0:y1, x0:x1].copy()
        others = owner[y0:y1, x0:x1]
        crop[(others != -1) & (others != g["index"])] = 255
        piece = Image.fromarray(crop)
        scale = em_px / (g["size"] * DPI / 72) * (slot(g)[2] - slot(g)[0]) / max(1, piece.width)
        w, h = max(1, round(piece.width * scale)), max(1, round(piece.height * scale))
        rise = (g["baseline"] - slot(g)[1]) * em_px / (g["size"] * DPI / 72)
        pieces.append((piece.resize((w, h), Image.LANCZOS), rise))
    gap = max(1, round(em_px * gap_em))
    pad = em_px // 4
    ascent = max(r for _, r in pieces)
    descent = max(p.height - r for p, r in pieces)
    strip = Image.new("L", (sum(p.width for p, _ in pieces) + gap * (len(pieces) - 1) + 2 * pad,
                            round(ascent + descent) + 2 * pad), 255)
    x = pad
    for piece, rise in pieces:
        strip.paste(piece, (x, round(pad + ascent - rise)))
        x += piece.width + gap
    return strip


def owner_in_image(reference: dict, shape: tuple[int, int], inverse) -> object:
    """The reference's glyph-ownership map resampled onto the image (nearest pixel), grown by one
    pixel so anti-aliased fringes go with their glyph."""
    import numpy as np

    h, w = shape
    xs, ys = inverse(np.arange(w), np.arange(h))
    ref = reference["owner"]
    xi = np.clip(np.round(xs).astype(int), 0, ref.shape[1] - 1)
    yi = np.clip(np.round(ys).astype(int), 0, ref.shape[0] - 1)
    inside = ((xs >= 0) & (xs < ref.shape[1]))[None, :] & ((ys >= 0) & (ys < ref.shape[0]))[:, None]
    mapped = np.where(inside, ref[yi[:, None], xi[None, :]], -1)
    grown = mapped.copy()
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        shifted = np.roll(mapped, (dy, dx), axis=(0, 1))
        grown = np.where((grown == -1) & (shifted != -1), shifted, grown)
    return grown


def _read_strips(gray, owner, glyphs: list[dict], mapping, whitelist: str, variants,
                 tmp: Path) -> tuple[bool, list[str]]:
    """Read the glyphs' strip in each setting until one read is exact: (exact, the reads made)."""
    expected = fold("".join(g["char"] for g in glyphs))
    reads = []
    for n, (em_px, gap_em) in enumerate(variants, start=1):
        path = tmp / f"strip-{len(whitelist)}-{n}.png"
        glyph_strip(gray, owner, glyphs, mapping, em_px, gap_em).save(path)
        reads.append("".join(w["text"] for w in read_text(path, "tesseract", psm=7, whitelist=whitelist)))
        if fold(reads[-1]) == expected:
            return True, reads
    return False, reads


def _sign_differs(expected: str, read: str) -> bool:
    """A read that differs from the expected glyphs in a sign or relation (+ − = < >)."""
    import difflib

    a, b = fold(expected), fold(read)
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return any(set(a[i1:i2] + b[j1:j2]) & set("+-=<>") for op, i1, i2, j1, j2 in ops if op != "equal")


def check_glyphs(s: EquationSpec, image_path: str, strict_shapes: bool = True) -> dict:
    """OCR reads back every letter, digit and operator the LaTeX draws; other glyphs match by shape.

    The whole row is read first. If no setting reads it exactly, and the misreads are not about
    signs (most reads show a + − = < > that should not be there, or miss one), letters and the rest
    (digits, operators) are read as two rows, each with only its own alphabet allowed: tesseract
    then cannot take an italic z for a 2 among digits, and a wrong digit still reads wrong.
    `strict_shapes` False (another renderer's image) compares shapes only at this renderer's scale."""
    import numpy as np
    from PIL import Image

    from .render import layout

    gray = np.asarray(open_image(image_path, "L"))
    reference = layout(s.latex, s.font_size)
    ref_gray = 255 - reference["ink"]
    got, want = _ink_box(gray), _ink_box(ref_gray)
    base = {"verifier": "equation.glyphs", "checked": "OCR of the image reads the formula's letters, digits "
                                                      "and operators; other symbols match by shape"}
    if got is None or want is None:
        return {**base, "passed": False, "score": 0.0, "message": "The image is blank: no formula is drawn."}
    sx = (got[2] - got[0]) / max(1, want[2] - want[0])
    sy = (got[3] - got[1]) / max(1, want[3] - want[1])

    def mapping(box):
        return (got[0] + (box[0] - want[0]) * sx, got[1] + (box[1] - want[1]) * sy,
                got[0] + (box[2] - want[0]) * sx, got[1] + (box[3] - want[1]) * sy)

    def inverse(xs, ys):
        return (xs - got[0]) / sx + want[0], (ys - got[1]) / sy + want[1]

    glyphs = [dict(g, index=i) for i, g in enumerate(reference["glyphs"])]
    readable = [g for g in glyphs if g["char"].translate(_FOLD) in OCR_ALPHABET or g["char"] == "−"]
    shapes = [g for g in glyphs if g not in readable]
    expected = "".join(g["char"] for g in readable)
    owner = owner_in_image(reference, gray.shape, inverse)
    exact, reads, split = not readable, [], False
    with tempfile.TemporaryDirectory() as tmp:
        if readable:
            exact, reads = _read_strips(gray, owner, readable, mapping, OCR_ALPHABET, STRIP_VARIANTS,
                                        Path(tmp))
        signs_doubtful = sum(_sign_differs(expected, r) for r in reads) * 2 >= len(reads)
        if not exact and not signs_doubtful:
            letters = [g for g in readable if g["char"].isalpha()]
            marks = [g for g in readable if not g["char"].isalpha()]
            parts = [_read_strips(gray, owner, group, mapping, alphabet, STRIP_VARIANTS[:3], Path(tmp))
                     for group, alphabet in ((letters, string.ascii_letters), (marks, MARKS)) if group]
            split = exact = all(ok for ok, _ in parts)
            reads_apart = sum(len(r) for _, r in parts)
        else:
            reads_apart = 0
    read = reads[-1] if exact and not split else (reads[0] if reads else "")
    shape_scores = []
    for g in shapes:
        x0, y0, x1, y1 = [round(v) for v in g["box"]]
        ref = Image.fromarray(ref_gray[max(0, y0 - 1):y1 + 2, max(0, x0 - 1):x1 + 2])
        m = [round(v) for v in mapping(g["box"])]
        crop = Image.fromarray(gray).crop((m[0] - 1, m[1] - 1, m[2] + 2, m[3] + 2)).resize(ref.size)
        shape_scores.append((g["char"], _correlation(np.asarray(ref), np.asarray(crop))))
    # Shapes are compared only at this renderer's own scale; another renderer's fonts draw π or ± otherwise.
    same_geometry = strict_shapes or (abs(sx - 1) < 0.05 and abs(sy - 1) < 0.05)
    bad_shapes = [c for c, score in shape_scores if score < 0.8] if same_geometry else []
    import difflib

    want_f, read_f = fold(expected), fold(read)
    ratio = difflib.SequenceMatcher(None, want_f, read_f, autojunk=False).ratio() if want_f else 1.0
    ok = exact and not bad_shapes
    problems = []
    if not exact:
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, want_f, read_f, autojunk=False).get_opcodes():
            if op != "equal":
                want_part, read_part = want_f[i1:i2], read_f[j1:j2]
                problems.append(f"'{want_part}' read as '{read_part}'" if op == "replace" else
                                f"'{want_part}' not read" if op == "delete" else f"extra '{read_part}'")
    if bad_shapes:
        problems.append("symbol(s) " + " ".join(bad_shapes) + " do not match their shape")
    shape_part = ((f" and {len(shapes)} symbol(s) by shape" if same_geometry else
                   f"; {len(shapes)} symbol(s) not compared by shape (another renderer's geometry)")
                  if shapes else "")
    return {
        **base, "passed": ok, "score": round((1.0 if exact else ratio) * (1.0 if not bad_shapes else 0.5), 4),
        "message": (f"OCR read all {len(expected)} letters, digits and operators"
                    + (" (letters and digits read apart)" if split else "") + f"{shape_part}." if ok else
                    "The image does not show the formula's glyphs: " + "; ".join(problems[:6])
                    + "."),
        "details": {"expected": expected, "read": read, "reads": len(reads) + reads_apart,
                    "read_apart": split,
                    "shapes": {c: round(v, 3) for c, v in shape_scores},
                    "scale": [round(sx, 3), round(sy, 3)]},
    }


def verify_equation(spec: dict, files: dict[str, str], meta: dict | None = None) -> list[dict]:
    """All checks for a rendered EquationSpec. `files` maps artifact names to absolute paths."""
    s = EquationSpec.model_validate(spec)
    parse, drawn = check_parse(s)
    verdicts = [parse]
    maths = check_maths(s, drawn)
    if maths:
        verdicts.append(maths)
    if "main.png" in files:
        verdicts.append(check_glyphs(s, files["main.png"]))
    return verdicts


def verify_equation_image(image_path: str, latex: str) -> list[dict]:
    """Raster check of any image (this tool's or another generator's) against a formula."""
    s = EquationSpec(latex=latex)
    parse, _ = check_parse(s)
    if not parse["passed"]:
        raise IvluError(parse["message"], "LaTeX SymPy can parse", "fix the --equation LaTeX")
    from .render import layout

    layout(s.latex, s.font_size)  # malformed mathtext raises a clear error here
    return [parse, check_glyphs(s, image_path, strict_shapes=False)]


# -- the planner's maths (run in the worker through PlanContext.call) --------------------------------

FUNCTIONS = {"sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
             "exp", "log", "ln"}
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "theta", "lambda", "mu", "nu", "sigma", "tau", "phi",
         "omega", "pi", "rho", "kappa", "eta", "zeta", "xi", "chi", "psi"}
_TOKEN = re.compile(r"\s*(\d+(?:\.\d+)?|[A-Za-z]+|\*\*|[-+*/^(),=·×÷−²³]|\S)")
_SUPERSCRIPT = {"²": "2", "³": "3"}


def plain_to_latex(text: str) -> str:
    """'x^3·sin x', '(x^2-1)/(x-1)', 'sqrt(x)*e^(2x)' as LaTeX for SymPy's parser. LaTeX passes through."""
    if "\\" in text or "{" in text:
        return text
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
                    "identity, named or latex", "")


def check_pixels(spec: dict, image_path: str) -> list[dict]:
    """The checks any image of this formula faces (a head's drawing too): OCR reads it back."""
    return verify_equation_image(image_path, spec["latex"])
