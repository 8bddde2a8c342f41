"""Plot step: function plots (y = f(x)) and data charts (line, bar, scatter, pie) drawn by matplotlib.

Expressions are text in the small language of `ivlu_agent.tools.plot.maths` (parsed, never evaluated as
code). Every size is bounded: the x range, the number of samples, the number of curves, series,
values and categories.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from ...types import Verdict
from ..base import CliCheck, StepSpec, listed, one_line
from . import maths

MAX_ABS_X = 1e6  # |x| limit of a function plot's range
MIN_SPAN = 1e-6  # narrowest x range
MAX_SAMPLES = 20_000
MAX_ABS_VALUE = 1e12  # data values
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Value = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_ABS_VALUE, le=MAX_ABS_VALUE)]
Label = Annotated[str, Field(max_length=80)]


def _no_control(text: str) -> str:
    if CONTROL.search(text):
        raise ValueError(f"{text!r} contains control characters; use plain text")
    return text


class Curve(BaseModel):
    """One function y = f(x)."""

    expr: str = Field(min_length=1, max_length=maths.MAX_EXPR_CHARS,
                      description="The function in plotmath syntax, e.g. 'sin(x)/x', '2x^2 - 3x + 1'.")
    label: Label = Field(default="", description="Legend entry; '' uses 'y = <expr>'.")
    variable: str = Field(default="x", pattern=r"^[a-zA-Z]$", description="The free variable's name.")

    @model_validator(mode="after")
    def _parses(self) -> Curve:
        problem = maths.check(self.expr, self.variable)
        if problem:
            raise ValueError(problem)
        _no_control(self.label)
        return self

    def legend(self) -> str:
        return self.label or f"y = {' '.join(self.expr.split())}"


class Series(BaseModel):
    """One data series: values, and for scatter (or numeric line charts) their x positions."""

    label: Label = Field(default="", description="Legend entry; '' for a single unnamed series.")
    values: list[Value] = Field(min_length=1, max_length=500, description="y values (bar heights, pie sizes…).")
    x: list[Value] = Field(default_factory=list, max_length=500,
                           description="x positions, one per value (scatter; optional for line charts).")

    @field_validator("label")
    @classmethod
    def _plain(cls, v: str) -> str:
        return _no_control(v)


class PlotStyle(BaseModel):
    """How the chart is drawn. `refine` enlarges fonts when OCR cannot read the labels."""

    width: int = Field(default=800, ge=320, le=2400, description="Canvas width in pixels (at 100 dpi).")
    height: int = Field(default=560, ge=240, le=1800, description="Canvas height in pixels.")
    font_size: float = Field(default=13.0, ge=8, le=32, description="Base font size in points.")
    line_width: float = Field(default=2.0, ge=0.5, le=6, description="Curve width in points.")


class PlotSpec(StepSpec):
    """Draw a function plot or a data chart."""

    kind: Literal["plot"] = "plot"
    chart: Literal["function", "line", "bar", "scatter", "pie"] = Field(
        default="function", description="'function' plots `functions`; the others draw `series`.")
    functions: list[Curve] = Field(default_factory=list, max_length=6, description="Curves of a function plot.")
    x_min: float = Field(default=-10.0, ge=-MAX_ABS_X, le=MAX_ABS_X, description="Left end of a function plot.")
    x_max: float = Field(default=10.0, ge=-MAX_ABS_X, le=MAX_ABS_X, description="Right end of a function plot.")
    y_min: float | None = Field(default=None, ge=-1e15, le=1e15, description="Bottom of the y axis; None: auto.")
    y_max: float | None = Field(default=None, ge=-1e15, le=1e15, description="Top of the y axis; None: auto.")
    samples: int = Field(default=1000, ge=50, le=MAX_SAMPLES,
                         description="Uniform samples per curve; a few more are added next to poles.")
    series: list[Series] = Field(default_factory=list, max_length=6, description="Data of a chart.")
    categories: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=60, description="Category names (bar, pie, line): one per value.")
    x_label: Label = Field(default="", description="x-axis label.")
    y_label: Label = Field(default="", description="y-axis label.")
    legend: bool | None = Field(default=None, description="Show a legend; None: when there are several curves.")
    style: PlotStyle = Field(default_factory=PlotStyle)

    renderer = "ivlu_agent.tools.plot.render:render_plot"
    size_field: ClassVar[str] = "style.width"
    verifier = "ivlu_agent.tools.plot.verify:verify_plot"
    pixel_check = "ivlu_agent.tools.plot.verify:check_pixels"
    cli = CliCheck("--plot", "the plot in words, e.g. 'plot sin(x)/x from -10 to 10'; OCR reads its labels",
                   "ivlu_agent.tools.plot.rule:verify_target", metavar="REQUEST",
                   empty="a plot with labels (a title, axis labels, categories or node names)")

    @field_validator("x_label", "y_label", "title")
    @classmethod
    def _plain(cls, v: str) -> str:
        return _no_control(v)

    @field_validator("categories")
    @classmethod
    def _plain_categories(cls, v: list[str]) -> list[str]:
        return [_no_control(c) for c in v]

    @model_validator(mode="after")
    def _consistent(self) -> PlotSpec:
        if self.chart == "function":
            if not self.functions:
                raise ValueError("a function plot needs at least one function")
            if self.series:
                raise ValueError("a function plot takes `functions`, not `series`")
            if not self.x_max - self.x_min >= MIN_SPAN:
                raise ValueError(f"x range {self.x_min:g} to {self.x_max:g}: the right end must exceed "
                                 f"the left by at least {MIN_SPAN:g}")
        else:
            if not self.series:
                raise ValueError(f"a {self.chart} chart needs at least one data series")
            if self.functions:
                raise ValueError(f"a {self.chart} chart takes `series`, not `functions`")
            for s in self.series:
                n = len(s.values)
                if self.chart == "scatter" and len(s.x) != n:
                    raise ValueError(f"scatter series {s.label!r} has {n} values and {len(s.x)} x positions")
                if self.chart != "scatter" and s.x and len(s.x) != n:
                    raise ValueError(f"series {s.label!r} has {n} values and {len(s.x)} x positions")
                if self.categories and len(self.categories) != n:
                    raise ValueError(f"{len(self.categories)} categories but {n} values in {s.label or 'the series'}")
            if self.chart in ("bar", "pie") and not self.categories:
                raise ValueError(f"a {self.chart} chart needs one category name per value")
            if self.chart == "pie":
                values = self.series[0].values
                if len(self.series) != 1:
                    raise ValueError("a pie chart shows exactly one series")
                if min(values) < 0 or not sum(values) > 0:
                    raise ValueError("pie values must be non-negative with a positive total")
        if self.y_min is not None and self.y_max is not None and not self.y_max > self.y_min:
            raise ValueError(f"y range {self.y_min:g} to {self.y_max:g}: the top must exceed the bottom")
        return self

    def caption(self) -> str:
        if self.title:
            return self.title
        if self.chart == "function":
            return ", ".join(c.legend() for c in self.functions)
        return f"{self.chart} chart"

    def describe(self) -> str:
        """'plot of y = sin(x)/x, x from -10 to 10'; 'line chart of CO2 ppm: 5 points, x 2000–2020';
        'bar chart of Sales: 2019 3, 2020 5, …'."""
        if self.chart == "function":
            line = f"plot of {listed([c.legend() for c in self.functions], 4)}, x from {self.x_min:g} to {self.x_max:g}"
        else:
            subject = self.title or listed([s.label for s in self.series if s.label], 4) or self.y_label
            line = f"{self.chart} chart" + (f" of {subject}" if subject else "")
            values = self.series[0].values
            if len(self.series) == 1 and self.categories and len(values) <= 8:  # every bar or slice, named
                line += ": " + ", ".join(f"{c} {v:g}" for c, v in zip(self.categories, values))
            else:
                n = len(values)
                line += f": {len(self.series)} series of {n} points" if len(self.series) > 1 else f": {n} points"
                xs = [x for s in self.series for x in s.x]
                if self.categories:
                    line += f", {self.categories[0]}–{self.categories[-1]}"
                elif xs:
                    line += f", x {min(xs):g}–{max(xs):g}"
        if self.y_min is not None or self.y_max is not None:
            low, high = (f"{v:g}" if v is not None else "auto" for v in (self.y_min, self.y_max))
            line += f", y from {low} to {high}"
        return one_line(line)

    def show_legend(self) -> bool:
        if self.legend is not None:
            return self.legend
        if self.chart == "function":
            return len(self.functions) > 1
        return self.chart != "pie" and len(self.series) > 1

    def refine(self, verdicts: list[Verdict], attempt: int) -> tuple[PlotSpec, str] | None:
        failed = {v.verifier for v in verdicts if not v.passed}
        if "plot.ocr" in failed and self.style.font_size < 32:
            size = min(32.0, math.ceil(self.style.font_size * 1.35))
            style = self.style.model_copy(update={
                "font_size": size, "width": min(2400, int(self.style.width * 1.2)),
                "height": min(1800, int(self.style.height * 1.2))})
            return self.model_copy(update={"style": style}), f"enlarged the fonts to {size:g} pt for OCR"
        if "plot.curve" in failed and self.samples < MAX_SAMPLES:
            samples = min(MAX_SAMPLES, self.samples * 2)
            return self.model_copy(update={"samples": samples}), f"sampled the curves at {samples} points"
        return None
