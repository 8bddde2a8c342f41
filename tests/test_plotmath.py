"""The plot expression language: parsing without eval, numpy evaluation, poles, jumps, removable points."""

import numpy as np
import pytest

from ivlu_agent.errors import IvluError
from ivlu_agent.tools.plot import maths as plotmath


@pytest.mark.parametrize("text, sympy_form", [
    ("sin(x)/x", "sin(x)/x"),
    ("2x^2 - 3x + 1", "2*x**2 - 3*x + 1"),
    ("sin x^2", "sin(x**2)"),
    ("sin(x)^2", "sin(x)**2"),
    ("-x^2", "-x**2"),
    ("2^-x", "2**(-x)"),
    ("(x+1)(x-1)", "(x - 1)*(x + 1)"),
    ("e^(-x) sin(5x)", "exp(-x)*sin(5*x)"),
    ("|x| - 1", "Abs(x) - 1"),
    ("x²", "x**2"),
    ("log10(x)", "log(x)/log(10)"),
])
def test_parses_to_the_expected_sympy(text, sympy_form):
    assert str(plotmath.parse(text).sympy()) == sympy_form


@pytest.mark.parametrize("text, problem", [
    ("__import__('os').system('id')", "unexpected character"),
    ("x.__class__", "unexpected character"),
    ("foo(x)", "unknown function 'foo'"),
    ("sinx", "unknown name 'sinx'"),
    ("x + y", "several names"),
    ("sin(x", "expected ')'"),
    ("x +", "unexpected end"),
    ("", "empty"),
    ("x" + "+x" * 150, "characters"),
])
def test_rejects_what_is_not_the_language(text, problem):
    with pytest.raises(IvluError) as err:
        plotmath.parse(text)
    assert problem in err.value.problem


def test_deep_nesting_is_refused_not_a_recursion_error():
    with pytest.raises(IvluError, match="nesting too deep"):
        plotmath.parse("(" * 60 + "x" + ")" * 60)


def test_evaluates_with_numpy_and_undefined_points_are_nan():
    f = plotmath.parse("sqrt(x) + log(x)")
    ys = f(np.array([-1.0, 0.0, 1.0]))
    assert np.isnan(ys[0]) and np.isnan(ys[1]) and ys[2] == pytest.approx(1.0)
    assert plotmath.parse("x^(1/3)")(np.array([-8.0]))[0] == pytest.approx(-2.0)  # odd roots of negatives
    assert plotmath.parse("t^2 + 1").variable == "t"


def test_breaks_find_poles_jumps_and_removable_points():
    kinds = {name: [(round(b.x, 4), b.kind) for b in plotmath.breaks(plotmath.parse(name), a, b, 1001)]
             for name, a, b in [("tan(x)", -3, 3), ("1/x^2", -1, 1), ("floor(x)", -1.5, 1.5),
                                ("sin(x)/x", -5, 5), ("x^3 - x", -2, 2)]}
    assert kinds["tan(x)"] == [(-1.5708, "pole"), (1.5708, "pole")]
    assert kinds["1/x^2"] == [(0.0, "pole")]  # same sign on both sides: SymPy finds it, a jump test would not
    assert kinds["floor(x)"] == [(-1.0, "jump"), (0.0, "jump"), (1.0, "jump")]
    assert kinds["sin(x)/x"] == [(0.0, "removable")]
    assert kinds["x^3 - x"] == []


def test_sample_breaks_the_line_at_poles_and_fills_removable_points():
    xs, ys, _ = plotmath.sample(plotmath.parse("1/x"), -1, 1, 200)
    at = np.flatnonzero(np.isnan(ys))
    assert len(at) == 1 and xs[at[0]] == 0.0
    assert np.nanmax(np.abs(ys)) > 1e3  # points closing in on the pole
    xs, ys, _ = plotmath.sample(plotmath.parse("sin(x)/x"), -1, 1, 201)  # the grid hits x = 0
    assert not np.isnan(ys).any() and ys[xs == 0][0] == pytest.approx(1.0)
