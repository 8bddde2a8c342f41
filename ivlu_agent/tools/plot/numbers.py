"""Numbers as a plot request writes them: '-3', '2.5', '2pi', 'π/2', '1e308'."""

from __future__ import annotations

from ...errors import IvluError
from . import maths

NUM = (r"(?:[-+−]\s*)?(?:(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)(?:\s*\*?\s*(?:pi|π))?|pi|π)"
       r"(?:\s*/\s*\d+)?")


def constant(text: str, what: str) -> float:
    """A number written like '-3', '2pi', 'π/2' or '1e308', read with the plot expression parser."""
    import numpy as np

    cleaned = text.replace(" ", "")
    try:
        expr = maths.parse(cleaned, "x")
    except IvluError:
        raise IvluError(f"Cannot read {text!r} as the {what}.", "a number such as -3, 2.5, 2pi or pi/2",
                        "write the number plainly") from None
    value = float(expr(np.zeros(1))[0])
    if "var" in repr(expr.tree) or not np.isfinite(value):
        raise IvluError(f"{text!r} is not a finite number ({what}).", "a number such as -3 or 2pi",
                        "write the number plainly")
    return value
