"""SymPy checks of what a formula says, and OCR of what its image shows."""

import pytest

from ivlu_agent.errors import IvluError
from ivlu_agent.tools.equation.maths import parse_latex, safe_sympify
from ivlu_agent.tools.equation.plan import plain_to_latex, plan_equation
from ivlu_agent.tools.equation.render import render_equation
from ivlu_agent.tools.equation.verify import verify_equation, verify_equation_image


def by_name(verdicts):
    return {v["verifier"]: v for v in verdicts}


def drawn(tmp_path, latex, **spec):
    out = render_equation({"kind": "equation", "latex": latex, **spec})
    path = tmp_path / f"{abs(hash(latex))}.png"
    path.write_bytes(out["files"][0]["data"])
    return str(path), out["meta"]


def test_safe_sympify_reads_srepr_and_never_evaluates_code():
    import sympy

    x = sympy.Symbol("x")
    assert safe_sympify("Eq(Symbol('E'), m*c**2)").lhs == sympy.Symbol("E")
    assert safe_sympify(sympy.srepr(sympy.Derivative(x**3 * sympy.sin(x), x))).has(sympy.Derivative)
    for code in ["__import__('os').system('true')", "().__class__", "lambda: 1", "open('/etc/passwd')"]:
        with pytest.raises(IvluError):
            safe_sympify(code)


def test_plus_minus_gives_two_branches_and_pi_e_i_are_constants():
    import sympy

    branches = parse_latex(r"x = \frac{-b \pm \sqrt{b^{2} - 4ac}}{2a}")
    assert isinstance(branches, sympy.Tuple) and len(branches) == 2
    euler = parse_latex(r"e^{i\pi} + 1 = 0", i_is_imaginary=True)
    assert sympy.simplify(euler.lhs.doit()) == 0
    with pytest.raises(IvluError, match="SymPy cannot parse"):
        parse_latex(r"\frac{a}{")


def test_plain_maths_from_requests():
    assert plain_to_latex("x^3·sin x") == r"x ^{3} \cdot \sin x"
    assert str(parse_latex(plain_to_latex("(x^2-1)/(x-1)"))) == "(x**2 - 1)/(x - 1)"
    assert plain_to_latex(r"\frac{1}{x}") == r"\frac{1}{x}"  # LaTeX passes through


def test_derivative_is_computed_not_guessed():
    import sympy

    fields = plan_equation("derivative", source="x^3·sin x")
    x = sympy.Symbol("x")
    stated = safe_sympify(fields["expected"])
    assert sympy.simplify(stated.rhs - (3 * x**2 * sympy.sin(x) + x**3 * sympy.cos(x))) == 0
    assert fields["check"] == "identity" and r"\frac{d}{dx}" in fields["latex"]


def test_false_identity_is_refused_with_the_right_one():
    fields = plan_equation("identity", source="(x^2-1)/(x-1)", rhs="x+1")
    assert fields["latex"] == r"\frac{x^{2} - 1}{x - 1} = x + 1"
    with pytest.raises(IvluError, match="simplifies it to x \\+ 1"):
        plan_equation("identity", source="(x^2-1)/(x-1)", rhs="x+2")


def test_integral_checks_the_antiderivative():
    fields = plan_equation("integral", source="x^2")
    assert fields["check"] == "antiderivative" and "C" in fields["latex"]
    wrong = {**fields, "kind": "equation", "latex": r"\int x^{2}\, dx = C + \frac{x^{3}}{2}", "expected": ""}
    maths = by_name(verify_equation(wrong, {}))["equation.maths"]
    assert not maths["passed"] and "not x**2" in maths["message"]


def test_correct_render_passes_every_check(tmp_path):
    fields = plan_equation("derivative", source="x^3·sin x")
    path, meta = drawn(tmp_path, fields["latex"])
    verdicts = by_name(verify_equation({"kind": "equation", **fields}, {"main.png": path}, meta))
    assert all(v["passed"] for v in verdicts.values()), verdicts
    assert verdicts["equation.glyphs"]["details"]["read"].replace("X", "x") == "ddx(x3sinx)=x3cosx+3x2sinx"


@pytest.mark.parametrize("wrong", [r"a^{3} + b^{2} = c^{2}", r"a^{2} - b^{2} = c^{2}"])
def test_a_changed_exponent_or_sign_in_the_image_is_caught(tmp_path, wrong):
    spec = {"kind": "equation", "latex": r"a^{2} + b^{2} = c^{2}", "expected": "Eq(a**2 + b**2, c**2)"}
    path, meta = drawn(tmp_path, wrong)
    verdicts = by_name(verify_equation(spec, {"main.png": path}, meta))
    assert verdicts["equation.parse"]["passed"]  # the spec is right...
    glyphs = verdicts["equation.glyphs"]
    assert not glyphs["passed"] and "read as" in glyphs["message"]  # ...the picture is not


def test_latex_that_states_something_else_fails_and_suggests_the_expected(tmp_path):
    spec = {"kind": "equation", "latex": r"a^{2} + b^{2} = c^{3}", "expected": "Eq(a**2 + b**2, c**2)"}
    parse = by_name(verify_equation(spec, {}))["equation.parse"]
    assert not parse["passed"] and parse["details"]["suggested_latex"] == "a^{2} + b^{2} = c^{2}"


def test_verify_any_image(tmp_path):
    path, _ = drawn(tmp_path, r"E = m c^{2}", font_size=60)  # another size than the spec's default
    assert all(v["passed"] for v in verify_equation_image(path, r"E = m c^{2}"))
    assert not all(v["passed"] for v in verify_equation_image(path, r"E = m c^{3}"))


@pytest.mark.parametrize("latex, expected, why", [
    (r"x^{2} +", "x**2", "SymPy cannot parse"),  # the lenient parser used to drop the '+'
    (r"a^{} + 1", "a + 1", "SymPy cannot parse"),
    (r"\frac{d}{dx}\left(x^{3} - 7\right)", "Derivative(x**3 + 7, x)", "derivative of x**3 - 7 is not the expected"),
])
def test_what_the_lenient_reading_or_the_value_alone_would_let_through(latex, expected, why):
    parse = by_name(verify_equation({"kind": "equation", "latex": latex, "expected": expected}, {}))["equation.parse"]
    assert not parse["passed"] and why in parse["message"]


def test_left_right_brackets_parse_in_the_strict_reading():
    import sympy

    drawn = parse_latex(r"\left(y - 15\right)^{2} = y^{2} - 30 y + 225")
    y = sympy.Symbol("y")
    assert sympy.simplify(drawn.lhs - (y - 15) ** 2) == 0 and sympy.simplify(drawn.rhs - (y**2 - 30 * y + 225)) == 0
    fields = plan_equation("expand", source="(a+b)^3")
    assert by_name(verify_equation({"kind": "equation", **fields}, {}))["equation.parse"]["passed"]
