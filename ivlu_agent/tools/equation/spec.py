"""Equation step: one displayed formula in LaTeX (matplotlib mathtext), checked by SymPy and by OCR."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator

from ...types import Verdict
from ..base import CliCheck, StepSpec, one_line

DPI = 100
# Font sizes (points at DPI) tried in order when OCR cannot read the glyphs back.
FONT_LADDER = [56, 72, 96]


class EquationSpec(StepSpec):
    """Typeset one formula; SymPy checks what it says, OCR checks what is drawn."""

    kind: Literal["equation"] = "equation"
    latex: str = Field(min_length=1, max_length=400,
                       description="The formula to draw, LaTeX in mathtext's subset, without dollar signs.")
    expected: str = Field(default="", max_length=4000,
                          description="SymPy srepr of what the formula must state (a Tuple for ± branches); "
                                      "'' checks only that the LaTeX parses.")
    check: Literal["none", "identity", "antiderivative", "solves"] = Field(
        default="none",
        description="What must hold mathematically: 'identity' (both sides equal for all values), "
                    "'antiderivative' (d/dx of the right side is the integrand), 'solves' (the right side "
                    "is a root of `solves`), 'none' (a definition such as E = mc^2).")
    solves: str = Field(default="", max_length=1000,
                        description="For check='solves': SymPy srepr of the expression that must vanish.")
    name: str = Field(default="", max_length=120,
                      description="The named formula ('quadratic formula') or the request it answers.")
    font_size: int = Field(default=40, ge=16, le=120, description="Base font size in points at 100 dpi.")
    width: int = Field(default=0, ge=0, le=4000, description="Image width in pixels; 0 fits the formula at "
                       "`font_size`. With a width, the font is scaled until the formula fills it.")
    e_is_euler: bool = Field(default=True, description="Read the letter e as Euler's number.")
    i_is_imaginary: bool = Field(default=False, description="Read the letter i as the imaginary unit.")

    size_field: ClassVar[str] = "width"
    renderer = "ivlu_agent.tools.equation.render:render_equation"
    verifier = "ivlu_agent.tools.equation.verify:verify_equation"
    pixel_check = "ivlu_agent.tools.equation.verify:check_pixels"
    cli = CliCheck("--equation", "the formula the image should show, in LaTeX, e.g. 'a^{2} + b^{2} = c^{2}'",
                   "ivlu_agent.tools.equation.rule:verify_target", metavar="LATEX")

    def evidence(self) -> list[str]:
        """The spec's words, and the other names of a named formula ('Pythagoras' for the Pythagorean theorem)."""
        from .named import ALIASES, NAMED

        out = super().evidence()
        if self.name:
            out += [alias for alias, key in ALIASES.items() if self.name.lower() in (key, NAMED[key].title.lower())]
        return out

    @field_validator("latex")
    @classmethod
    def _one_formula(cls, v: str) -> str:
        v = v.strip()
        if "$" in v or "\n" in v:
            raise ValueError("give one formula without dollar signs or line breaks")
        return v

    def caption(self) -> str:
        return self.title or self.name or self.latex

    def describe(self) -> str:
        """'equation: E = mc^2'; 'equation: quadratic formula — x = \\frac{-b \\pm …}{2a}'."""
        name = self.name.removeprefix("typeset ").strip()
        if "".join(name.split()) == "".join(self.latex.split()):  # the name only repeats the formula
            name = ""
        return one_line("equation: " + (f"{name} — " if name else "") + self.latex)

    def refine(self, verdicts: list[Verdict], attempt: int) -> tuple[EquationSpec, str] | None:
        failed = {v.verifier: v for v in verdicts if not v.passed}
        parse = failed.get("equation.parse")
        if parse and parse.details.get("suggested_latex") and parse.details["suggested_latex"] != self.latex:
            return (self.model_copy(update={"latex": parse.details["suggested_latex"]}),
                    "rewrote the LaTeX from the expected expression")
        if "equation.glyphs" in failed or "equation.render" in failed:
            bigger = [size for size in FONT_LADDER if size > self.font_size]
            if bigger:
                changed = self.model_copy(update={"font_size": bigger[0]})
                return changed, f"enlarged the font to {bigger[0]} pt"
        return None
