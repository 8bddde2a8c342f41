"""Plot rule: function plots ('plot sin(x)/x from -10 to 10') and data charts ('bar chart of
2019–2023 sales 3, 5, 4, 6, 8', 'pie chart of apples 30, bananas 50', 'scatter plot of (1, 2), (2, 4)')."""

from __future__ import annotations

import re

from pydantic import ValidationError

from ...errors import IvluError, validation_problems
from ..base import BadRequest, PlanContext, owns_whole
from . import maths
from .named import maths_only, named_function
from .numbers import NUM, constant
from .spec import MAX_ABS_X, MAX_SAMPLES, MIN_SPAN, Curve, PlotSpec, Series

PLOT_WORDS = re.compile(
    r"\b(plot|plots|plotted|plotting|graph of|graph y|bar[- ]?charts?|bar[- ]graphs?|column charts?|line[- ]charts?|"
    r"line[- ]graphs?|pie(?:[- ]charts?)?|scatter(?:[- ]?plots?)?|histograms?|charts? of)\b", re.IGNORECASE)
SKETCH = re.compile(r"\b(?:sketch|draw|graph)\s+(?:the\s+)?(?:function\s+|curve\s+)?(?:y|f\s*\(\s*[a-z]\s*\))\s*=",
                    re.IGNORECASE)
NOT_PLOTS = re.compile(r"\b(?:flow\s*-?\s*charts?|state\s+charts?|org(?:anisation|anization)?\s+charts?)\b",
                       re.IGNORECASE)
QUOTED = r"[\"“‘'](?P<q>[^\"”’']{1,80})[\"”’']"
OPTION_END = r"(?=\s*(?:,|;|$|\bwith\b|\band\s+(?:x|y|a|the)\b|\btitled\b|\blabell?ed\b|\bfrom\b))"
TITLE = re.compile(rf"\b(?:titled|entitled|with\s+(?:the\s+)?title|title)\s*:?\s*(?:{QUOTED}|(?P<w>[^,;]{{1,80}}?){OPTION_END})",
                   re.IGNORECASE)
AXIS_LABEL = re.compile(
    rf"\b(?:(?P<a1>[xy])[- ]?(?:axis)?[- ]?label(?:led|ed)?|label(?:led|ed|)?\s+(?:the\s+)?(?P<a2>[xy])[- ]?axis"
    rf"|(?P<a3>[xy])[- ]axis(?:\s+label(?:led|ed)?)?)\s*(?:as|:|=)?\s*(?:{QUOTED}|(?P<w>[^,;]{{1,80}}?){OPTION_END})",
    re.IGNORECASE)
SAMPLES = re.compile(r"\b(?:with|using|at)?\s*(?P<n>\d[\d,_]*(?:\.\d+)?(?:[eE]\+?\d+)?|a\s+million|one\s+million"
                     r"|a\s+billion|a\s+thousand)\s+(?:sample(?:s|\s+points)?|points)\b", re.IGNORECASE)
RANGE_WORDS = r"(?:from|over|on|between|for|in|across|when)"
X_RANGE = re.compile(
    rf"\b{RANGE_WORDS}\s+(?:(?P<v>[a-z])\s*(?:=|from|in|between|∈)?\s*)?"
    rf"(?:[\[(]\s*(?P<a1>{NUM})\s*,\s*(?P<b1>{NUM})\s*[\])]|(?P<a2>{NUM})\s*(?:to|and|\.\.|…|–|—)\s*(?:[a-z]\s*=\s*)?(?P<b2>{NUM}))"
    r"(?:\s*(?P<unit>s|ms|min|h|m|cm|mm|km|kg|g|K|°C|V|A|Hz|days?|years?|seconds?|minutes?|hours?)\b)?",
    re.IGNORECASE)
Y_RANGE = re.compile(
    rf"\b(?:with\s+)?y\s*(?:from|between|in|range|limits?|∈)\s*:?\s*(?:[\[(]\s*(?P<a1>{NUM})\s*,\s*(?P<b1>{NUM})\s*[\])]|"
    rf"(?P<a2>{NUM})\s*(?:to|and|\.\.|–)\s*(?P<b2>{NUM}))", re.IGNORECASE)
LEGEND = re.compile(r"\b(with(?:out)?|no)\s+(?:a\s+)?legend\b", re.IGNORECASE)
LEAD = re.compile(r"^\s*(?:please\s+)?(?:(?:a|an|one)\s+(?:figure|panel|picture|image)\s+(?:with|showing|of|containing)\s+)?"
                  r"(?:(?:plot|graph|draw|sketch|show|make|give me)\s+(?:of\s+)?)?"
                  r"(?:(?:a|the)\s+)?(?:(?:plot|graph)\s+(?:of\s+)?)?(?:(?:the\s+)?(?:function|curve)s?\s+)?", re.IGNORECASE)
FUNC_LEAD = re.compile(r"^\s*(?:y|f\s*\(\s*[a-z]\s*\))\s*=\s*", re.IGNORECASE)
YEAR_RANGE = re.compile(r"\b(1[5-9]\d\d|2[01]\d\d)\s*(?:–|—|-|to|through)\s*(1[5-9]\d\d|2[01]\d\d)\b")
CATEGORY_LIST = re.compile(r"\b(?:for|over|across|in|by)\s+(?P<items>[A-Za-z][\w.'’-]*(?:\s*(?:,|and|&)\s*[A-Za-z][\w.'’-]*)+)\s*$")
PAIR = re.compile(rf"\(\s*(?P<x>{NUM})\s*,\s*(?P<y>{NUM})\s*\)")
# Units written with the values ('65 °C', '(°C)', '25 mL'): kept as the value axis's unit, never as names.
UNIT = r"(?:°\s*[CF]|K|%|mL|ml|L|mg|g|kg|mm|cm|km|m|s|min|h|ppm|kPa|Pa|atm|mol|M|mM|J|kJ|W|V|A)"
UNIT_AFTER = re.compile(rf"(?P<v>\d(?:[\d.]*\d)?)\s*{UNIT}(?![\w°])")
UNIT_ALONE = re.compile(rf"\(\s*(?:in\s+)?(?P<u>{UNIT})\s*\)")
VALUE_FIRST = re.compile(rf"^\s*(?P<v>{NUM})\s*%?\s+(?:of\s+)?(?P<n>[A-Za-z][\w'’ -]{{0,40}}?)\s*$")
# 'CO2 ppm: 2000 369, 2005 379, 2010 389': every item is an x and its value (a year and a reading).
XY_ITEM = re.compile(rf"^\s*(?P<x>{NUM})\s*(?:[:=]\s*|\s+)(?P<y>{NUM})\s*$")
CHART_WORDS = re.compile(
    r"\b(?:please|draw|make|show|create|give me|a(?!\s*[:=]?\s*[-−]?\d)|an|the|plot|of|bar|column|line|pie|scatter|chart|charts|graph|"
    r"graphs|histogram|values?|data|with|showing|for|points?|plotted|figure|panel|picture|image|containing)\b",
    re.IGNORECASE)
# Words that put functions on axes without saying 'plot': 'sin x and cos x on the same axes'.
AXES = re.compile(r"\b(?:on|in)\s+(?:the\s+same|one|a\s+single|common|shared)\s+(?:set\s+of\s+)?axes\b", re.I)
# A function defined with its range is a curve to draw: 'N = 100 e^(-0.2 t) for t from 0 to 20 s'.
DEFINED = re.compile(r"(?:^|\s)(?P<dep>[A-Za-z]\w{0,3}|[A-Za-z]\s*\(\s*[a-z]\s*\))\s*=\s*(?=\S)")
INEQUALITY_RANGE = re.compile(rf"(?:\b(?:for|on|over|with|where)\s+)?(?P<a>{NUM})\s*(?:≤|<=|<|⩽)\s*(?P<v>[a-z])\s*"
                              rf"(?:≤|<=|<|⩽)\s*(?P<b>{NUM})", re.I)
# 'temperature (°C) against time (min)': the quantity on the y axis, then the one on the x axis.
AGAINST = re.compile(r"^(?:(?:please\s+)?(?:plot|graph|draw|sketch|chart)\s+)?(?:(?:a|an|the)\s+)?(?:(?:line\s+)?"
                     r"(?:graph|plot|chart)\s+of\s+)?(?P<y>[^:]{1,60}?)\s+(?:against|versus|vs\.?)\s+(?P<x>[^:]{1,60})$",
                     re.I)
# Two lists, one against the other: 'volume of NaOH 0, 5, 10, 15 mL against pH 2.9, 4.3, 4.8, 5.6'.
_LIST = rf"(?:{NUM})(?:\s*,\s*(?:{NUM})){{2,}}"
PAIRED_LISTS = re.compile(rf"(?P<xl>[A-Za-z][^:\d]{{0,60}}?)?\s*(?P<xs>{_LIST})\s*(?P<xu>[A-Za-z°%]{{1,4}})?\s*,?\s+"
                          rf"(?:against|versus|vs\.?|and)\s+(?:the\s+)?(?P<yl>[A-Za-z][^:\d]{{0,60}}?)?\s*"
                          rf"(?P<ys>{_LIST})\s*(?P<yu>[A-Za-z°%]{{1,4}})?\s*\.?$", re.I)
MILLION = {"a million": 1_000_000, "one million": 1_000_000, "a billion": 1_000_000_000, "a thousand": 1000}


def check_range(a: float, b: float, said: str) -> None:
    if abs(a) > MAX_ABS_X or abs(b) > MAX_ABS_X or not b - a >= MIN_SPAN:
        raise BadRequest(f"The plot range {said} is out of bounds ({a:g} to {b:g}).",
                        f"x limits between {-MAX_ABS_X:g} and {MAX_ABS_X:g}, the left end below the right "
                        f"by at least {MIN_SPAN:g}", "narrow the range, e.g. 'from -10 to 10'")


def split_top_level(text: str) -> list[str]:
    """Split a list of functions at ',', ';', ' and ', ' vs ' outside parentheses."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            m = re.match(r",\s*(?:and\s+)?|\s+(?:and|vs\.?|versus|&)\s+", text[i:])
            if m:
                parts.append(text[start:i])
                i += m.end()
                start = i
                continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


CONNECTOR = re.compile(r"(?:\s*(?:,|\band\b|\bwith\b))+\s*$", re.IGNORECASE)


def take(pattern: re.Pattern, text: str) -> tuple[re.Match | None, str]:
    """The first match of `pattern`, and the text without it (and without the 'and'/'with' before it)."""
    m = pattern.search(text)
    if not m:
        return None, text
    head = CONNECTOR.sub("", text[:m.start()])
    return m, (head + " " + text[m.end():])


def options(text: str) -> tuple[dict, str]:
    """Title, axis labels, legend and sample count; the text with them removed."""
    found: dict = {}
    m, text = take(TITLE, text)
    if m:
        found["title"] = (m.group("q") or m.group("w") or "").strip()
    for _ in range(2):
        m, text = take(AXIS_LABEL, text)
        if m:
            axis = (m.group("a1") or m.group("a2") or m.group("a3")).lower()
            found[f"{axis}_label"] = (m.group("q") or m.group("w") or "").strip()
    m, text = take(LEGEND, text)
    if m:
        found["legend"] = m.group(1).lower() == "with"
    m, text = take(SAMPLES, text)
    if m:
        raw = " ".join(m.group("n").lower().split())
        n = MILLION.get(raw) or float(raw.replace(",", "").replace("_", ""))
        if not n >= 50 or n > MAX_SAMPLES or n != int(n):
            raise BadRequest(f"{int(n) if n == int(n) else n:,} samples were requested.",
                            f"a whole number of samples from 50 to {MAX_SAMPLES:,} per curve (points next to "
                            "poles are added automatically)", "ask for fewer samples, or leave the number out")
        found["samples"] = int(n)
    return found, text


def numbers(text: str) -> list[float]:
    return [float(v.replace("−", "-")) for v in re.findall(r"[-−]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", text)]



# Directive words this rule understands; the plan.faithful check counts them as accounted for.
VOCABULARY = frozenset({"plot", "plots", "plotted", "graph", "graphs", "chart", "charts", "bar", "bars", "line", "lines",
                        "pie", "scatter", "histogram", "curve", "curves", "function", "functions", "from", "to", "between",
                        "over", "range", "domain", "x", "y", "axis", "axes", "label", "labels", "labelled", "labeled",
                        "title", "titled", "entitled", "legend", "without", "no", "samples", "sample", "points", "point",
                        "sampled", "versus", "vs", "against", "of", "and", "with", "data", "values", "value", "series",
                        "sketch", "f", "in", "for", "by", "across", "years", "year", "pi", "π", "million", "thousand", "billion",
                        "grid", "log", "scale", "linear", "comparing", "compare", "showing", "sales", "y-axis", "x-axis",
                        # named functions and their parameters (NAMED_FUNCTIONS, PARAMETERS)
                        "normal", "gaussian", "bell", "distribution", "density", "pdf", "standard",
                        "mean", "average", "deviation", "sd", "std", "sigma", "mu", "logistic", "sigmoid",
                        "exponential", "decay", "growth", "rate", "lambda", "constant", "steepness",
                        "midpoint", "carrying", "capacity", "maximum", "initial", "amount", "amplitude"})


class PlotRule:
    """Function plots and data charts."""

    name = "plot"
    priority = 10
    examples = (  # what the planner lists when it understands nothing in a request
        "function plots ('plot sin(x)/x from -10 to 10') and charts ('bar chart of 2019–2023 "
        "sales 3, 5, 4, 6, 8', 'pie chart of apples 30, bananas 50')"
    )
    vocabulary = VOCABULARY

    def claims(self, clause: str) -> bool:
        text = NOT_PLOTS.sub(" ", clause)
        return bool(PLOT_WORDS.search(text) or SKETCH.search(text) or AXES.search(text)
                    or (DEFINED.search(text) and (X_RANGE.search(text) or INEQUALITY_RANGE.search(text)))
                    or PAIRED_LISTS.search(text))

    def owns(self, text: str) -> bool:
        """True when the whole text reads as one plot request (e.g. a list with commas)."""
        return owns_whole(self, text)

    def plan(self, clause: str, ctx: PlanContext) -> list[PlotSpec]:
        spec = self.build(clause, lenient=True)
        if spec.chart == "function":
            ctx.reasoning.append(f"Function plot of {', '.join(c.legend() for c in spec.functions)} on "
                                 f"[{spec.x_min:g}, {spec.x_max:g}] with {spec.samples} samples per curve; "
                                 "poles and jumps break the line.")
        else:
            ctx.reasoning.append(f"{spec.chart.capitalize()} chart of {sum(len(s.values) for s in spec.series)} "
                                 f"value(s) in {len(spec.series)} series"
                                 + (f" over {', '.join(spec.categories)}" if spec.categories else "") + ".")
        return [spec]

    def follow_up(self, clause: str, previous: list[dict], ctx: PlanContext, same_request: bool = False) -> None:
        return None

    # -- parsing -----------------------------------------------------------------------------------

    def build(self, clause: str, lenient: bool = False) -> PlotSpec:
        """The plot a clause asks for. With `lenient` (planning a clause this rule alone claims), description
        trailing the functions is left for plan.faithful; without it (deciding whether the rule owns a clause
        others claim too), such words make the clause no plot of its own."""
        text = NOT_PLOTS.sub(" ", " ".join(clause.split()))
        opts, text = options(text)
        chart = self.chart_kind(text)
        paired = PAIRED_LISTS.search(text.strip(" ."))
        if paired and chart in ("function", "line", "scatter"):
            return self.paired(paired, text, "scatter" if chart == "scatter" else "line", opts)
        head, _, rows = text.partition(":")
        if rows and chart in ("function", "line") and self.xy_pairs(rows):  # 'temperature against time: 0 20, 5 35'
            against = AGAINST.match(head.strip())
            if against:
                opts.setdefault("y_label", against.group("y").strip())
                opts.setdefault("x_label", against.group("x").strip())
                title = f"{against.group('y').strip()} against {against.group('x').strip()}"
                opts.setdefault("title", title[:1].upper() + title[1:])
            return self.data_chart(text, "line", opts)
        if chart == "function":
            return self.function_plot(text, opts, lenient)
        return self.data_chart(text, chart, opts)

    @staticmethod
    def chart_kind(text: str) -> str:
        lowered = text.lower()
        for kind, pattern in (("pie", r"\bpie\b"), ("bar", r"\b(?:bar|column|histogram)"),
                              ("scatter", r"\bscatter"), ("line", r"\bline[- ]?(?:chart|graph|plot)")):
            if re.search(pattern, lowered):
                return kind
        if PAIR.search(text) and not re.search(r"[a-z]\s*\(", text.replace("(x", "")):
            return "scatter"
        if re.search(r"\bchart\b", lowered):
            return "bar"
        return "function"

    def function_plot(self, text: str, opts: dict, lenient: bool = False) -> PlotSpec:
        y_range, text = take(Y_RANGE, text)
        x_range, text = take(X_RANGE, text)
        _, text = take(AXES, text)  # 'on the same axes': every curve of a request shares one set of axes
        inequality = None
        if x_range is None:
            inequality, text = take(INEQUALITY_RANGE, text)
        body = FUNC_LEAD.sub("", LEAD.sub("", text).strip(" ,.;:")).strip(" ,.;:")
        defined = DEFINED.search(body)
        if defined and not FUNC_LEAD.match(body):  # 'Radioactive decay N = 100 e^(-0.2 t)': a title, then N(t)
            lead = body[:defined.start()].strip(" ,.;:-")
            if lead and not re.search(r"[=()^*/+]", lead):
                opts.setdefault("title", lead[:1].upper() + lead[1:])
            if lead == "" or not re.search(r"[=()^*/+]", lead):
                opts.setdefault("y_label", re.sub(r"\s+", "", defined.group("dep")))
                body = body[defined.end():].strip(" ,.;:")
        if not body:
            raise IvluError("No function to plot was given.", "an expression such as 'sin(x)/x'",
                            "write the function, e.g. 'plot sin(x)/x from -10 to 10'")
        named = named_function(body)
        pieces = [named[0]] if named else [FUNC_LEAD.sub("", p) for p in split_top_level(body)]
        curves = []
        skipped = ""
        for piece in pieces:
            kept = maths_only(piece)
            if lenient and curves and (not kept or (kept != piece
                                                    and not re.search(r"[()^*/+\-]|\d.*[a-z]|[a-z].*\d", kept))):
                skipped = skipped or piece  # '… and neatly for my lecture': description, no further function
                continue
            if skipped:
                maths.parse(skipped)  # words between functions are no description: fail loudly on them
            expr = maths.parse((kept or piece) if lenient else piece)
            curves.append(Curve(expr=expr.text, variable=expr.variable))
        x_min, x_max = named[2] if named else (-10.0, 10.0)
        if named:
            opts.setdefault("title", named[1])
        if x_range:
            a = x_range.group("a1") or x_range.group("a2")
            b = x_range.group("b1") or x_range.group("b2")
            said = x_range.group(0).strip()
            x_min, x_max = constant(a, "left end of the range"), constant(b, "right end of the range")
            check_range(x_min, x_max, repr(said))
            if x_range.group("v") and x_range.group("v") not in {c.variable for c in curves}:
                raise BadRequest(f"The range names {x_range.group('v')!r}, the function uses "
                                f"{', '.join(sorted({c.variable for c in curves}))}.",
                                "the same variable in the function and the range", "rename one of them")
        if inequality:
            x_min, x_max = constant(inequality.group("a"), "left end"), constant(inequality.group("b"), "right end")
            check_range(x_min, x_max, repr(inequality.group(0).strip()))
        y_min = y_max = None
        if y_range:
            y_min = constant(y_range.group("a1") or y_range.group("a2"), "bottom of the y range")
            y_max = constant(y_range.group("b1") or y_range.group("b2"), "top of the y range")
        self.check_values(curves, x_min, x_max)
        variable = curves[0].variable
        if x_range is not None and x_range.group("unit"):
            opts.setdefault("x_label", f"{variable} ({x_range.group('unit')})")
        spec = PlotSpec(
            chart="function", functions=curves, x_min=x_min, x_max=x_max, y_min=y_min, y_max=y_max,
            samples=opts.get("samples", 1000), legend=opts.get("legend"),
            title=opts.get("title", curves[0].legend() if len(curves) == 1 else ""),
            x_label=opts.get("x_label", variable), y_label=opts.get("y_label", "y"),
        )
        return spec

    @staticmethod
    def paired(m: re.Match, text: str, chart: str, opts: dict) -> PlotSpec:
        """'volume of NaOH 0, 5, 10 mL against pH 2.9, 4.3, 4.8': x values against y values, each list with
        its name and unit as the axis label; the subject before a colon is the title."""
        xs = [constant(v, "x value") for v in re.split(r"\s*,\s*", m.group("xs"))]
        ys = [constant(v, "y value") for v in re.split(r"\s*,\s*", m.group("ys"))]
        if len(xs) != len(ys):
            raise BadRequest(f"{len(xs)} x values but {len(ys)} y values.", "one y value per x value",
                             "check the two lists")

        def label(name: str | None, unit: str | None) -> str:
            name = re.sub(r"^(?:(?:plot|graph|draw|show|sketch)\s+)?(?:the\s+)?", "", (name or "").strip(" ,:"), flags=re.I)
            return f"{name} ({unit})" if name and unit else (name or unit or "")

        head = text[:m.start()]
        subject = head.split(":")[0] if ":" in head else ""
        subject = re.sub(r"^\s*(?:(?:please\s+)?(?:plot|graph|draw|show|sketch|make)\s+)?(?:an?\s+|the\s+)?", "",
                         subject, flags=re.I).strip(" ,.")
        x_label, y_label = label(m.group("xl"), m.group("xu")), label(m.group("yl"), m.group("yu"))
        return PlotSpec(chart=chart, series=[Series(label=y_label, x=xs, values=ys)],
                        title=opts.get("title", subject[:1].upper() + subject[1:]),
                        x_label=opts.get("x_label", x_label), y_label=opts.get("y_label", y_label),
                        legend=opts.get("legend"))

    @staticmethod
    def check_values(curves: list[Curve], x_min: float, x_max: float) -> None:
        """Reject functions with no real value on the range, or values no linear axis can show."""
        import numpy as np

        xs = np.linspace(x_min, x_max, 2001)
        for c in curves:
            ys = maths.parse(c.expr, c.variable)(xs)
            finite = ys[np.isfinite(ys)]
            if finite.size == 0:
                raise BadRequest(f"{c.legend()} has no real value on [{x_min:g}, {x_max:g}].",
                                "a range where the function is defined", "change the range")
            if np.max(np.abs(finite)) > 1e250:
                raise BadRequest(f"{c.legend()} reaches {np.max(np.abs(finite)):.3g} on [{x_min:g}, {x_max:g}], "
                                "beyond what a linear axis can show.", "values below about 1e250",
                                "narrow the x range")

    def data_chart(self, text: str, chart: str, opts: dict) -> PlotSpec:
        subject = ""
        if ":" in text:
            head, text = text.split(":", 1)
            # the subject is what the chart is 'of', not the whole sentence before the colon (which may ask for
            # other things: 'a poster titled … with … and a bar chart of caffeine per drink: …')
            of = list(re.finditer(r"\b(?:chart|graph|plot|histogram|diagram)s?\s+(?:of|for|showing)\s+", head, re.I))
            head = head[of[-1].end():] if of else head
            subject = " ".join(w for w in CHART_WORDS.sub(" ", head).split())
        else:  # 'bar chart of the boiling points of methanol (65 °C), ethanol (78 °C)': what is measured, of what
            measured = re.match(r"^\s*(?P<head>.*?\bof\s+(?:the\s+)?)(?P<s>[A-Za-z][\w -]{2,40}?)\s+of\s+"
                                r"(?P<rest>[A-Za-z].*\d.*)$", text)
            if measured and len(re.findall(r"\d", measured.group("rest"))) >= 2:
                subject, text = measured.group("s").strip(), measured.group("head") + measured.group("rest")
        y_range, text = take(Y_RANGE, text)
        categories: list[str] = []
        years = YEAR_RANGE.search(text)
        if years:
            a, b = int(years.group(1)), int(years.group(2))
            if not 0 < b - a < 60:
                raise BadRequest(f"The year range {years.group(0)} is not increasing or spans over 60 years.",
                                "a range like 2019–2023", "check the years")
            categories = [str(y) for y in range(a, b + 1)]
            text = text[:years.start()] + " " + text[years.end():]
        else:
            listed = CATEGORY_LIST.search(text.strip(" .;"))
            if listed:
                categories = [c for c in re.split(r"\s*(?:,|\band\b|&)\s*", listed.group("items")) if c]
                text = text.strip(" .;")[:listed.start()]
        if chart == "scatter":
            pairs = [(constant(m.group("x"), "x value"), constant(m.group("y"), "y value"))
                     for m in PAIR.finditer(text)]
            if len(pairs) < 1:
                raise IvluError("No points for the scatter plot.", "points like (1, 2), (2, 4.1)",
                                "list the points in parentheses")
            rest = CHART_WORDS.sub(" ", PAIR.sub(" ", text))
            leftover = [w for w in re.findall(r"[A-Za-z][\w'-]*", rest)]
            name = " ".join(leftover)
            series = [Series(label="", x=[p[0] for p in pairs], values=[p[1] for p in pairs])]
            return PlotSpec(chart="scatter", series=series, title=opts.get("title", (subject or name).capitalize()),
                            x_label=opts.get("x_label", "x"), y_label=opts.get("y_label", "y"),
                            legend=opts.get("legend"))
        units = [m.group("u") for m in UNIT_ALONE.finditer(text)]
        text = UNIT_ALONE.sub(" ", text)
        units += [m.group(0)[len(m.group("v")):].strip() for m in UNIT_AFTER.finditer(text)]
        text = UNIT_AFTER.sub(lambda m: m.group("v"), text)
        text = re.sub(r"\(\s*([-−]?\d[\d.]*)\s*\)", r" \1", text)  # 'methanol (65)': the value in brackets
        unit = next(iter(dict.fromkeys(u.replace(" ", "") for u in units)), "")
        if unit:
            opts.setdefault("y_label", f"{subject[:1].upper() + subject[1:]} ({unit})".strip() if subject else unit)
        firsts = [VALUE_FIRST.match(i) for i in re.split(r"\s*[,;]\s*|\s+and\s+", text.strip(" .")) if i.strip()]
        if len(firsts) >= 2 and all(firsts) and not categories:  # '45% protein, 30% carbs, 25% fat'
            text = ", ".join(f"{m.group('n')} {m.group('v')}" for m in firsts)
        xy = self.xy_pairs(text)
        if xy and not categories and chart in ("line", "bar"):
            xs, ys = [p[0] for p in xy], [p[1] for p in xy]
            yearly = all(x.is_integer() and 1500 <= x <= 2200 for x in xs)
            what = subject[:1].upper() + subject[1:]  # 'CO2 ppm' keeps its capitals
            series = ([Series(label=subject, x=xs, values=ys)] if chart == "line"
                      else [Series(label=subject, values=ys)])
            return PlotSpec(chart=chart, series=series, categories=[f"{x:g}" for x in xs] if chart == "bar" else [],
                            title=opts.get("title", what), x_label=opts.get("x_label", "Year" if yearly else ""),
                            y_label=opts.get("y_label", what), legend=opts.get("legend"))
        groups = self.groups(text)
        if not groups:
            raise IvluError(f"No values found for the {chart} chart.",
                            "numbers in the request, e.g. 'bar chart of sales 3, 5, 4' or 'apples 30, bananas 50'",
                            "list the values")
        single = all(len(v) == 1 for _, v in groups) and len(groups) > 1 and all(n for n, _ in groups)
        if single:  # 'apples 30, bananas 50': category–value pairs
            if categories:
                raise BadRequest("Both category names and name–value pairs were given.",
                                "either 'A 3, B 5' or '3, 5 for A, B'", "give one of the two")
            categories = [n for n, _ in groups]
            series = [Series(label=subject, values=[v[0] for _, v in groups])]
        else:
            series = [Series(label=name, values=values) for name, values in groups]
        n = len(series[0].values)
        if any(len(s.values) != n for s in series):
            raise BadRequest("The series have different numbers of values: "
                            + ", ".join(f"{s.label or 'unnamed'} {len(s.values)}" for s in series) + ".",
                            "the same number of values in every series", "check the lists")
        if categories and len(categories) != n:
            raise BadRequest(f"{len(categories)} categories ({', '.join(categories)}) but {n} values.",
                            "one value per category", "check the lists")
        if chart in ("bar", "pie") and not categories:
            categories = [str(i) for i in range(1, n + 1)]
        if chart == "line" and not categories:
            series = [s.model_copy(update={"x": [float(i) for i in range(1, n + 1)]}) for s in series]
        names = [s.label for s in series if s.label]
        what = subject or (names[0] if len(names) == 1 else "")
        title = opts.get("title", " ".join(p for p in (what.capitalize(),
                                                        f"{categories[0]}–{categories[-1]}" if years else "") if p))
        y_label = opts.get("y_label", what.capitalize() if chart != "pie" and len(series) == 1 else "")
        x_label = opts.get("x_label", "Year" if years else "")
        if chart == "pie":
            x_label = y_label = ""
        return PlotSpec(chart=chart, series=series, categories=categories, title=title, x_label=x_label,
                        y_label=y_label, legend=opts.get("legend"),
                        y_min=constant(y_range.group("a1") or y_range.group("a2"), "bottom of the y range")
                        if y_range else None,
                        y_max=constant(y_range.group("b1") or y_range.group("b2"), "top of the y range")
                        if y_range else None)

    @staticmethod
    def xy_pairs(text: str) -> list[tuple[float, float]]:
        """'2000 369, 2005 379, 2010 389' → [(2000, 369), (2005, 379), (2010, 389)]; [] unless every item of
        the list is exactly an x and its value."""
        items = [i for i in re.split(r"\s*[,;]\s*|\s+and\s+", text.strip(" .")) if i.strip()]
        matches = [XY_ITEM.match(i) for i in items]
        if len(items) < 2 or not all(matches):
            return []
        return [(constant(m.group("x"), "x value"), constant(m.group("y"), "value")) for m in matches]

    @staticmethod
    def groups(text: str) -> list[tuple[str, list[float]]]:
        """'sales 3, 5, 4 and costs 1, 2, 3' → [('sales', [3, 5, 4]), ('costs', [1, 2, 3])]. A name
        with no number after it is left over, so the text is not a chart."""
        text = CHART_WORDS.sub(" ", text)
        tokens = re.findall(r"[-−]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?%?|[A-Za-z][\w'’.-]*|\S", text)
        out: list[tuple[str, list[float]]] = []
        name: list[str] = []
        for tok in tokens:
            if re.fullmatch(r"[-−]?\d.*", tok):
                value = float(tok.rstrip("%").replace("−", "-"))
                if name or not out:
                    out.append((" ".join(name), [value]))
                    name = []
                else:
                    out[-1][1].append(value)
            elif re.fullmatch(r"[A-Za-z][\w'’.-]*", tok):
                if tok.lower() in ("and", "vs", "versus", "in", "per"):
                    continue
                name.append(tok)
            elif tok not in ",;&=:":
                name.append(tok)
        if name:
            raise IvluError(f"{' '.join(name)!r} has no values.", "a name followed by its numbers",
                            "give the values, or remove the words")
        return out


def verify_target(value: str, options: dict, call) -> tuple[str, list]:
    """`ivlu verify IMAGE --plot WORDS`: the plot planned by the same rule as `ivlu run`."""
    try:
        spec = PlotRule().build(value)
    except ValidationError as e:
        raise IvluError(f"The plot {value!r} is out of bounds: " + validation_problems(e),
                        "values inside the documented limits", "change the sizes or counts") from None
    return "ivlu_agent.tools.plot.verify:verify_plot_image", [spec.model_dump(mode="json")]
