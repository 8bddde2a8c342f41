"""The equation kind end to end: planner rule, the real graph and workers, and `ivlu verify --equation`."""

import json

import pytest

from ivlu_agent.cli import main
from ivlu_agent.errors import IvluError
from ivlu_agent.planning.symbolic import SymbolicPlanner


@pytest.fixture(scope="module")
def planner(workers):
    return SymbolicPlanner(describe=lambda s: workers.call("ivlu_agent.tools.common.chem:describe", s), call=workers.call)


def test_quadratic_formula_end_to_end(agent, tmp_path):
    import sympy

    from ivlu_agent.tools.equation.maths import parse_latex, safe_sympify

    result = agent.run("the quadratic formula", out=tmp_path / "out")
    assert result.status == "verified", [v.message for s in result.steps for v in s.verdicts]
    (step,) = result.steps
    verdicts = {v.verifier: v for v in step.verdicts}
    assert set(verdicts) == {"equation.parse", "equation.maths", "equation.glyphs"}
    # The drawn LaTeX, parsed by SymPy, is the pair of roots of a x^2 + b x + c.
    a, b, c, x = sympy.symbols("a b c x")
    for branch in parse_latex(step.spec["latex"]):
        assert sympy.simplify((a * x**2 + b * x + c).subs(x, branch.rhs)) == 0
    plus, _ = safe_sympify(step.spec["expected"])
    assert sympy.simplify(plus.rhs - (-b + sympy.sqrt(b**2 - 4 * a * c)) / (2 * a)) == 0
    assert verdicts["equation.glyphs"].details["read"].lower() == "x=-bb2-4ac2a"
    import cairosvg

    png = cairosvg.svg2png(url=str(tmp_path / "out" / "figure.svg"))  # the composed SVG is well formed
    assert png.startswith(b"\x89PNG") and (tmp_path / "out" / "figure.png").is_file()


def test_planner_computes_and_checks(planner):
    plan = planner.plan("the derivative of x^3·sin x; show that (x^2-1)/(x-1) simplifies to x+1", [], [])
    derivative, identity = plan.steps
    assert derivative.latex == r"\frac{d}{dx}\left(x^{3} \sin {x}\right) = x^{3} \cos {x} + 3 x^{2} \sin {x}"
    assert identity.check == "identity" and identity.latex == r"\frac{x^{2} - 1}{x - 1} = x + 1"
    assert "SymPy" in plan.reasoning


def test_named_formulas_and_raw_latex_in_one_request(planner):
    plan = planner.plan("Euler's identity and the Pythagorean theorem and $E = m c^{2}$", [], [])
    assert [s.name for s in plan.steps] == ["typeset E = m c^{2}", "Euler's identity", "Pythagorean theorem"]
    assert plan.steps[1].i_is_imaginary and plan.steps[1].check == "identity"


@pytest.mark.parametrize("request_, latex", [
    ("factor x^3 - x", r"x^{3} - x = x \left(x - 1\right) \left(x + 1\right)"),
    ("integrate 1/(1+x^2) from 0 to 1", r"\int_{0}^{1} \frac{1}{x^{2} + 1}\, dx = \frac{\pi}{4}"),
    ("differentiate t^2 e^t with respect to t",
     r"\frac{d}{dt}\left(t^{2} e^{t}\right) = t^{2} e^{t} + 2 t e^{t}"),
])
def test_task_phrases(planner, request_, latex):
    (step,) = planner.plan(request_, [], []).steps
    assert step.latex == latex


@pytest.mark.parametrize("request_, message", [
    ("show that (x^2-1)/(x-1) simplifies to x+2", "simplifies it to x \\+ 1"),
    ("the equation $\\frac{a}{$", "Malformed LaTeX"),
    ("Maxwell's equations", "I do not know which formula"),
    ("the equation $1 + 1 = 3$", "the identity is false"),
])
def test_bad_requests_are_clear_errors(planner, request_, message):
    with pytest.raises(IvluError, match=message):
        planner.plan(request_, [], [])


def test_glyph_failure_enlarges_and_rerenders():
    from ivlu_agent.tools.equation.spec import EquationSpec
    from ivlu_agent.types import Verdict

    spec = EquationSpec(latex="a^{2} + b^{2} = c^{2}")
    failed = [Verdict(verifier="equation.glyphs", passed=False, message="'2' read as '3'")]
    bigger, change = spec.refine(failed, 1)
    assert bigger.font_size == 56 and "enlarged" in change
    assert bigger.model_copy(update={"font_size": 96}).refine(failed, 4) is None


def test_cli_verify_equation(tmp_path, capsys):
    from ivlu_agent.tools.equation.render import render_equation

    png = tmp_path / "pythagoras.png"
    out = render_equation({"kind": "equation", "latex": "a^{2} + b^{2} = c^{2}"})
    png.write_bytes(out["files"][0]["data"])
    assert main(["verify", str(png), "--equation", "a^{2} + b^{2} = c^{2}", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["passed"] is True
    assert main(["verify", str(png), "--equation", "a^{2} + b^{3} = c^{2}"]) == 1
    assert main(["verify", str(png), "--equation", "\\frac{a}{"]) == 2
    assert "cannot parse" in capsys.readouterr().err


def test_is_states_a_claim_and_words_are_never_variables(planner):
    (step,) = planner.plan("Show that the derivative of sin(x)^2 is sin(2x)", [], []).steps
    assert step.latex == r"\frac{d}{dx}\left(\sin^{2} {x}\right) = \sin {2 x}" and step.check == "identity"
    with pytest.raises(IvluError, match="The claim is false"):
        planner.plan("show that the derivative of x^3 is 2x^2", [], [])
    with pytest.raises(IvluError, match="The word 'of' is in the expression"):
        planner.plan("integrate x of y", [], [])


def test_every_named_formula_plans_and_checks(workers):
    """Each of the table's named formulas (at least 40) draws what its statement says."""
    from ivlu_agent.tools.equation.named import ALIASES, NAMED

    assert len(NAMED) >= 40 and set(ALIASES.values()) <= set(NAMED)
    for key, named in NAMED.items():
        fields = workers.call("ivlu_agent.tools.equation.plan:plan_equation", "named", name=named.title,
                              latex=named.latex, expected=named.expected, check=named.check, solves=named.solves,
                              e_is_euler=named.e_is_euler, i_is_imaginary=named.i_is_imaginary, timeout_s=60)
        assert fields["latex"] == named.latex, key


@pytest.mark.parametrize("request_text, title", [
    ("Write out the Schrödinger equation (time-independent, 1D)", "time-independent Schrödinger equation (1D)"),
    ("the Nernst equation please", "Nernst equation"),
    ("show the Arrhenius equation", "Arrhenius equation"),
])
def test_everyday_names_of_equations(planner, request_text, title):
    (step,) = planner.plan(request_text, [], []).steps
    assert step.name == title
