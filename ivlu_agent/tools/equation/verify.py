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

The SymPy reading and truth tests live in `maths`, the OCR read-back in `glyphs`, and the planner's
maths (`plan_equation`) in `plan`; this module turns them into verdicts.
"""

from __future__ import annotations

from ...errors import IvluError
from .glyphs import check_glyphs
from .maths import holds, parse_latex, safe_sympify, same_statement, to_latex
from .spec import EquationSpec

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


def check_pixels(spec: dict, image_path: str) -> list[dict]:
    """The checks any image of this formula faces (a head's drawing too): OCR reads it back."""
    return verify_equation_image(image_path, spec["latex"])
