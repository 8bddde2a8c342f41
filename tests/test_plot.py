"""Plots: the planner rule, the spec's bounds, render → verify round trips, defects the verifier catches,
and the whole loop through the Agent and the CLI."""

import re

import pytest
from conftest import ivlu
from pydantic import ValidationError

from ivlu_agent.errors import IvluError
from ivlu_agent.tools.plot.render import render_plot
from ivlu_agent.tools.plot.rule import PlotRule
from ivlu_agent.tools.plot.spec import PlotSpec
from ivlu_agent.tools.plot.verify import verify_plot


def render_and_verify(tmp_path, spec: dict, drawn: dict | None = None, edit_svg=None) -> dict[str, dict]:
    """Render `drawn` (default: `spec`), optionally tamper with the SVG, verify against `spec`."""
    out = render_plot(drawn or spec)
    files = {}
    for f in out["files"]:
        path = tmp_path / f["name"]
        data = edit_svg(f["data"].decode()).encode() if edit_svg and f["name"] == "main.svg" else f["data"]
        path.write_bytes(data)
        files[f["name"]] = str(path)
    return {v["verifier"]: v for v in verify_plot(spec, files, out["meta"])}


SINC = {"kind": "plot", "functions": [{"expr": "sin(x)/x"}], "x_min": -10, "x_max": 10,
        "title": "y = sin(x)/x", "x_label": "x", "y_label": "y"}
SALES = {"kind": "plot", "chart": "bar", "series": [{"label": "sales", "values": [3, 5, 4, 6, 8]}],
         "categories": ["2019", "2020", "2021", "2022", "2023"], "title": "Sales 2019–2023", "x_label": "Year",
         "y_label": "Sales"}


# -- planner rule ----------------------------------------------------------------------------------


def test_rule_reads_the_issue_examples():
    rule = PlotRule()
    s, _ = rule.build("plot sin(x)/x from -10 to 10"), None
    assert (s.chart, s.functions[0].expr, s.x_min, s.x_max) == ("function", "sin(x)/x", -10, 10)
    bar = rule.build("bar chart of 2019–2023 sales 3, 5, 4, 6, 8")
    assert bar.chart == "bar" and bar.categories == ["2019", "2020", "2021", "2022", "2023"]
    assert bar.series[0].values == [3, 5, 4, 6, 8] and bar.title == "Sales 2019–2023" and bar.y_label == "Sales"
    pie = rule.build("pie chart of apples 30, bananas 50, cherries 20")
    assert pie.categories == ["apples", "bananas", "cherries"] and pie.series[0].values == [30, 50, 20]
    two = rule.build("plot sin(x) and cos(x) from -pi to pi titled 'Waves' with x label 'angle'")
    assert [c.expr for c in two.functions] == ["sin(x)", "cos(x)"] and two.x_max == pytest.approx(3.14159265)
    assert (two.title, two.x_label, two.show_legend()) == ("Waves", "angle", True)
    scatter = rule.build("scatter plot of (1, 2), (2, 4.1), (3, 5.9)")
    assert scatter.series[0].x == [1, 2, 3] and scatter.series[0].values == [2, 4.1, 5.9]


@pytest.mark.parametrize("request_text, problem", [
    ("plot x^2 from 0 to 1e308", "out of bounds"),
    ("plot sin(x) with a million samples", "1,000,000 samples"),
    ("plot sin(x) with 1000000 samples", "1,000,000 samples"),
    ("plot exp(x) from 0 to 1000", "beyond what a linear axis can show"),
    ("plot sqrt(x) from -5 to -1", "no real value"),
    ("plot foo(x)", "unknown function 'foo'"),
    ("bar chart of 2019-2023 sales 3, 5, 4", "5 categories"),
])
def test_rule_rejects_bad_plots_clearly(request_text, problem):
    with pytest.raises(IvluError) as err:
        PlotRule().build(request_text)
    assert problem in err.value.problem and err.value.expected


def test_spec_bounds_everything():
    with pytest.raises(ValidationError, match="less than or equal to 20000"):
        PlotSpec(functions=[{"expr": "x"}], samples=1_000_000)
    with pytest.raises(ValidationError, match="less than or equal to 1000000"):
        PlotSpec(functions=[{"expr": "x"}], x_max=1e308)
    with pytest.raises(ValidationError, match="unexpected character"):
        PlotSpec(functions=[{"expr": "__import__('os')"}])
    with pytest.raises(ValidationError, match="non-negative"):
        PlotSpec(chart="pie", series=[{"values": [1, -2]}], categories=["a", "b"])
    with pytest.raises(ValidationError, match="2 categories but 3 values"):
        PlotSpec(chart="bar", series=[{"values": [1, 2, 3]}], categories=["a", "b"])


# -- render and verify -----------------------------------------------------------------------------


def test_function_plot_round_trips_and_ocr_reads_the_labels(tmp_path):
    verdicts = render_and_verify(tmp_path, SINC)
    assert all(v["passed"] for v in verdicts.values()), verdicts
    assert set(verdicts) == {"plot.curve", "plot.labels", "plot.ocr"}
    assert verdicts["plot.curve"]["details"]["vertices"] >= 1000


def test_poles_break_the_line_and_joining_them_is_caught(tmp_path):
    tan = {**SINC, "functions": [{"expr": "tan(x)"}], "x_min": -3, "x_max": 3, "title": "Tangent"}
    out = render_plot(tan)
    assert out["meta"]["asymptotes"] == pytest.approx([-1.5707963, 1.5707963])
    assert render_and_verify(tmp_path, tan)["plot.curve"]["passed"]

    def join(svg: str) -> str:  # draw the curve straight through the poles: every M after the first → L
        head, d, tail = re.search(r'(<g id="curve-0">\s*<path d=")([^"]+)(")', svg).groups()
        return svg.replace(head + d + tail, head + d[0] + d[1:].replace("M", "L") + tail)

    joined = render_and_verify(tmp_path, tan, edit_svg=join)["plot.curve"]
    assert not joined["passed"] and "straight across the break(s) at x = -1.571, 1.571" in joined["message"]


@pytest.mark.parametrize("wrong", ["sin(x)/x^2", "-sin(x)/x", "sin(2x)/x"])
def test_a_changed_sign_or_exponent_is_caught(tmp_path, wrong):
    drawn = {**SINC, "functions": [{"expr": wrong}]}
    verdicts = render_and_verify(tmp_path, SINC, drawn)
    assert not verdicts["plot.curve"]["passed"] and "off the function" in verdicts["plot.curve"]["message"]


def test_charts_round_trip_and_a_wrong_data_point_is_caught(tmp_path):
    assert all(v["passed"] for v in render_and_verify(tmp_path, SALES).values())
    drawn = {**SALES, "series": [{"label": "sales", "values": [3, 5, 4.5, 6, 8]}]}
    data = render_and_verify(tmp_path, SALES, drawn)["plot.data"]
    assert not data["passed"] and "bar '2021' of sales is drawn at 4.5, expected 4" in data["message"]
    pie = {"kind": "plot", "chart": "pie", "series": [{"values": [30, 50, 20]}],
           "categories": ["apples", "bananas", "cherries"], "title": "Fruit"}
    assert all(v["passed"] for v in render_and_verify(tmp_path, pie).values())
    wrong_pie = render_and_verify(tmp_path, pie, {**pie, "series": [{"values": [30, 45, 25]}]})["plot.data"]
    assert not wrong_pie["passed"] and "bananas" in wrong_pie["message"]
    line = {"kind": "plot", "chart": "line", "series": [{"label": "a", "values": [1, 2, 3]}, {"label": "b",
            "values": [3, 1, 2]}], "categories": ["Mon", "Tue", "Wed"], "title": "Week"}
    assert render_and_verify(tmp_path, line)["plot.data"]["passed"]


def test_missing_or_misspelt_labels_are_caught_in_svg_and_by_ocr(tmp_path):
    verdicts = render_and_verify(tmp_path, SALES, {**SALES, "y_label": ""})
    assert not verdicts["plot.labels"]["passed"] and not verdicts["plot.ocr"]["passed"]
    verdicts = render_and_verify(tmp_path, SALES, {**SALES, "title": "Slaes 2019–2023"})
    assert not verdicts["plot.labels"]["passed"]
    assert not verdicts["plot.ocr"]["passed"] and "sales" in verdicts["plot.ocr"]["details"]["unread"]["title"]


def test_labels_are_text_not_mathtext_or_markup(tmp_path):
    spec = {**SALES, "title": "Cost in $ & <b>units</b>", "y_label": "$x$"}
    verdicts = render_and_verify(tmp_path, spec)
    assert verdicts["plot.labels"]["passed"], verdicts["plot.labels"]
    svg = (tmp_path / "main.svg").read_text()
    assert "Cost in $ &amp; &lt;b&gt;units&lt;/b&gt;" in svg


def test_cjk_labels_render_and_are_read_back(tmp_path):
    spec = {"kind": "plot", "chart": "bar", "series": [{"values": [3, 5, 4]}], "categories": ["苹果", "香蕉", "樱桃"],
            "title": "水果销量", "x_label": "水果", "y_label": "销量"}
    verdicts = render_and_verify(tmp_path, spec)
    assert all(v["passed"] for v in verdicts.values()), verdicts
    assert set(verdicts["plot.ocr"]["details"]["engines"].values()) == {"rapid"}  # tesseract (eng) cannot


def test_refine_enlarges_fonts_when_ocr_fails():
    from ivlu_agent.types import Verdict

    spec = PlotSpec.model_validate(SINC)
    new, change = spec.refine([Verdict(verifier="plot.ocr", passed=False)], 1)
    assert new.style.font_size > spec.style.font_size and "enlarged" in change


# -- the loop ---------------------------------------------------------------------------------------


def test_agent_plots_sinc_verified(agent, tmp_path):
    result = agent.run("plot sin(x)/x from -10 to 10", out=tmp_path / "out")
    assert result.status == "verified", [v.message for s in result.steps for v in s.verdicts]
    (step,) = result.steps
    assert step.kind == "plot" and step.spec["functions"][0]["expr"] == "sin(x)/x"
    assert {v.verifier for v in step.verdicts} == {"plot.curve", "plot.labels", "plot.ocr"}
    svg = (tmp_path / "out" / "panels" / "s1-main.svg").read_text()
    assert 'id="curve-0"' in svg and ">y = sin(x)/x</text>" in svg




@pytest.mark.parametrize("request_text, message", [
    ("plot x^2 from 0 to 1e308", "out of bounds"),
    ("plot sin(x) with a million samples", "1,000,000 samples were requested"),
])
def test_cli_bad_plot_exits_2(tmp_path, request_text, message):
    r = ivlu("run", request_text, "--out", str(tmp_path / "o"), home=tmp_path / "h")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr and "Traceback" not in r.stderr and "Expected:" in r.stderr


def test_mixed_requests_route_each_part_to_its_rule(workers):
    from ivlu_agent.planning.symbolic import SymbolicPlanner
    from ivlu_agent.tools import KINDS

    planner = SymbolicPlanner(describe=lambda smiles: pytest.fail(f"no molecule expected, got {smiles!r}"),
                              call=workers.call)

    def kinds(text):
        return [(s.kind, s.caption()) for s in planner.plan(text, [], []).steps]

    assert kinds("plot sin(x) from -3 to 3 and a flowchart of binary search") == [
        ("plot", "y = sin(x)"), ("diagram", "Flowchart: binary search")]
    # Two-digit values and keys look like SMILES to the molecule rule; commas must not split the list.
    assert kinds("bar chart of 2019-2023 sales 13, 15, 14, 16, 18") == [("plot", "Sales 2019–2023")]
    assert kinds("plot sin(x) and a BST with keys 50, 30, 70, 20") == [
        ("plot", "y = sin(x)"), ("diagram", "Binary search tree")]
    # Arrows in an edge list are not a reaction.
    assert kinds("directed graph A -> B, B -> C, C -> A") == [("diagram", "Directed graph")]
    if "equation" in KINDS:  # the equation kind lands separately
        assert [k for k, _ in kinds("plot sin(x) from -3 to 3 and the quadratic formula")] == ["plot", "equation"]


def test_any_plot_image_is_checked_by_its_labels_and_the_cli_verifies_one(tmp_path):
    from ivlu_agent.tools.plot.verify import verify_plot_image

    good, bad = tmp_path / "good", tmp_path / "bad"
    for folder, spec in ((good, SALES), (bad, {**SALES, "title": "Sales 2019–2032", "x_label": "Yeat"})):
        folder.mkdir()
        for f in render_plot(spec)["files"]:
            (folder / f["name"]).write_bytes(f["data"])
    (ok,) = verify_plot_image(str(good / "main.png"), SALES)
    assert ok["verifier"] == "plot.ocr" and ok["passed"], ok["message"]
    (wrong,) = verify_plot_image(str(bad / "main.png"), SALES)
    assert not wrong["passed"] and "Sales 2019–2023" in wrong["message"] and "Year" in wrong["message"]

    request = "bar chart of 2019–2023 sales 3, 5, 4, 6, 8"
    r = ivlu("verify", str(good / "main.png"), "--plot", request, home=tmp_path / "h")
    assert r.returncode == 0 and "plot.ocr" in r.stdout, (r.stdout, r.stderr)
    r = ivlu("verify", str(bad / "main.png"), "--plot", request, home=tmp_path / "h")
    assert r.returncode == 1 and "✗ plot.ocr" in r.stdout, (r.stdout, r.stderr)
    r = ivlu("verify", str(good / "main.png"), "--plot", "plot x^2 from 0 to 1e308", home=tmp_path / "h")
    assert r.returncode == 2 and "out of bounds" in r.stderr and "Traceback" not in r.stderr


def test_mixed_requests_in_other_words(workers):
    from ivlu_agent.planning.symbolic import SymbolicPlanner

    planner = SymbolicPlanner(describe=lambda s: workers.call("ivlu_agent.tools.common.chem:describe", s), call=workers.call)
    for request in ("a figure with a plot of sin(x) from -3 to 3 and the quadratic formula",
                    "plot sin(x) from -3 to 3 next to the quadratic formula"):
        plot, equation = planner.plan(request, [], []).steps
        assert (plot.kind, plot.functions[0].expr, plot.x_min, plot.x_max) == ("plot", "sin(x)", -3, 3), request
        assert equation.kind == "equation" and equation.caption() == "quadratic formula", request
    (chart,) = planner.plan("a panel showing a bar chart of 2019–2023 sales 3, 5, 4, 6, 8", [], []).steps
    assert chart.title == "Sales 2019–2023" and chart.categories == ["2019", "2020", "2021", "2022", "2023"]


def test_x_value_pairs_are_points_not_values():
    from ivlu_agent.tools.plot.rule import PlotRule

    spec = PlotRule().build("A line chart of CO2 ppm: 2000 369, 2005 379, 2010 389, 2015 400, 2020 412")
    (series,) = spec.series
    assert series.x == [2000, 2005, 2010, 2015, 2020] and series.values == [369, 379, 389, 400, 412]
    assert (spec.title, spec.x_label) == ("CO2 ppm", "Year")
    bars = PlotRule().build("bar chart of CO2 ppm: 2000 369, 2005 379")
    assert bars.categories == ["2000", "2005"] and bars.series[0].values == [369, 379]


def test_named_distributions_and_functions():
    from ivlu_agent.tools.plot.rule import PlotRule

    normal = PlotRule().build("Plot the normal distribution density with mean 0 and standard deviation 1")
    assert (normal.x_min, normal.x_max, normal.title) == (-4, 4, "Normal density")
    from ivlu_agent.tools.plot import maths

    f = maths.parse(normal.functions[0].expr)
    import numpy as np

    assert f(np.array([0.0]))[0] == pytest.approx(1 / np.sqrt(2 * np.pi))  # the peak of N(0, 1)
    shifted = PlotRule().build("plot a gaussian with mean 5 and sd 2")
    assert (shifted.x_min, shifted.x_max) == (-3, 13)
    assert PlotRule().build("plot the logistic function").title == "Logistic function"


def test_units_and_value_first_pairs_in_charts():
    from ivlu_agent.tools.plot.rule import PlotRule

    boiling = PlotRule().build("Bar chart of the boiling points of methanol (65 °C), ethanol (78 °C), "
                               "propan-1-ol (97 °C)")
    assert boiling.categories == ["methanol", "ethanol", "propan-1-ol"]
    assert boiling.series[0].values == [65, 78, 97] and boiling.y_label == "Boiling points (°C)"
    months = PlotRule().build("line chart of monthly average temperature: Jan 5, Feb 7, Mar 10, Apr 14 (°C)")
    assert months.categories == ["Jan", "Feb", "Mar", "Apr"] and months.y_label.endswith("(°C)")
    diet = PlotRule().build("pie chart: 45% protein, 30% carbs, 25% fat")
    assert diet.categories == ["protein", "carbs", "fat"] and diet.series[0].values == [45, 30, 25]
