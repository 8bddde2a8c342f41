"""Named functions and distributions for plots ('the normal distribution with mean 0 and standard deviation 1'),
and the cut between a function and the description after it."""

from __future__ import annotations

import re

from ..base import BadRequest
from . import maths
from .numbers import NUM, constant

# Named functions and distributions: 'the normal distribution with mean 0 and standard deviation 1'. Each is
# an expression in the plot language with its parameters' names, defaults and a default x range.
NAMED_FUNCTIONS = [
    (re.compile(r"\b(?:standard\s+)?(?:normal|gaussian|bell)\s*(?:distribution|density|pdf|curve|function)?"
                r"(?:\s+(?:density|pdf|function|curve))?", re.I),
     "Normal density", "exp(-(x - {mu})^2 / (2*{sigma}^2)) / ({sigma}*sqrt(2*pi))", {"mu": 0.0, "sigma": 1.0},
     lambda p: (p["mu"] - 4 * p["sigma"], p["mu"] + 4 * p["sigma"])),
    (re.compile(r"\b(?:logistic|sigmoid)\s*(?:function|curve|growth)?", re.I),
     "Logistic function", "{L} / (1 + exp(-{k}*(x - {x0})))", {"L": 1.0, "k": 1.0, "x0": 0.0},
     lambda p: (p["x0"] - 6 / p["k"], p["x0"] + 6 / p["k"])),
    (re.compile(r"\bexponential\s+(?:distribution|density|pdf)", re.I),
     "Exponential density", "{lam}*exp(-{lam}*x)", {"lam": 1.0}, lambda p: (0.0, 5 / p["lam"])),
    (re.compile(r"\bexponential\s+decay", re.I),
     "Exponential decay", "{A}*exp(-{lam}*x)", {"A": 1.0, "lam": 1.0}, lambda p: (0.0, 5 / p["lam"])),
]
PARAMETERS = [  # words for a named function's parameters, and which parameter each sets
    (re.compile(rf"\b(?:mean|mu|μ|average)\s*(?:of|=|is)?\s*(?P<v>{NUM})", re.I), "mu"),
    (re.compile(rf"\b(?:standard\s+deviation|std(?:\.|\s+dev)?|sd|sigma|σ)\s*(?:of|=|is)?\s*(?P<v>{NUM})", re.I),
     "sigma"),
    (re.compile(rf"\b(?:rate|lambda|λ|decay\s+constant)\s*(?:of|=|is)?\s*(?P<v>{NUM})", re.I), "lam"),
    (re.compile(rf"\b(?:growth\s+rate|steepness|k)\s*(?:of|=|is)?\s*(?P<v>{NUM})", re.I), "k"),
    (re.compile(rf"\b(?:midpoint|centre|center|x0)\s*(?:of|at|=|is)?\s*(?P<v>{NUM})", re.I), "x0"),
    (re.compile(rf"\b(?:carrying\s+capacity|maximum|L)\s*(?:of|=|is)?\s*(?P<v>{NUM})", re.I), "L"),
    (re.compile(rf"\b(?:initial\s+(?:value|amount)|amplitude|A)\s*(?:of|=|is)?\s*(?P<v>{NUM})", re.I), "A"),
]


def named_function(body: str) -> tuple[str, str, tuple[float, float]] | None:
    """(expression, title, default x range) for a named function or distribution in `body`, else None."""
    for pattern, title, template, defaults, span in NAMED_FUNCTIONS:
        if not pattern.search(body):
            continue
        params = dict(defaults)
        for word, name in PARAMETERS:
            m = word.search(body)
            if m and name in params:
                params[name] = constant(m.group("v"), name)
        if params.get("sigma", 1.0) <= 0 or params.get("lam", 1.0) <= 0 or params.get("k", 1.0) == 0:
            raise BadRequest(f"The {title.lower()} needs a positive spread or rate.", "e.g. 'standard deviation 1'",
                            "give a positive value")
        shown = {k: f"({v:g})" for k, v in params.items()}
        return template.format(**shown), title, span(params)
    return None


WORD = re.compile(r"[^\W\d_]{3,}")


def maths_only(piece: str) -> str:
    """The expression without the description that trails it ('sin(x) please neatly for my lecture'): cut at
    the first word of three letters or more that names no function or constant. The words cut are left for
    plan.faithful to name ('' when the piece opens with such a word); an expression that fails for another
    reason is kept whole, to fail loudly."""
    for m in WORD.finditer(piece):
        if m.group().lower() not in maths.FUNCTIONS and m.group().lower() not in maths.CONSTANTS:
            return piece[:m.start()].strip(" ,;:.")
    return piece
