"""Text step: exact text (English, Chinese, digits, math symbols) laid out as a poster, label or panel."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from ...types import Verdict
from ..base import CliCheck, StepSpec, one_line

MAX_CANVAS = 2400  # pixels, either side
MIN_READABLE_PX = 14  # text is never drawn smaller than this
# Relative sizes of the three roles; the heading's size is the spec's `font_size`.
ROLE_SCALE = {"heading": 1.0, "subheading": 0.58, "body": 0.42}
DEFAULT_WIDTH = {"poster": 1200, "label": 0, "panel": 800}
DEFAULT_FONT = {"poster": 84, "label": 40, "panel": 56}


class TextSpec(StepSpec):
    """Draw exact text. Lines wrap to the canvas width; text that cannot fit is an error, never clipped."""

    kind: Literal["text"] = "text"
    layout: Literal["poster", "label", "panel"] = Field(
        default="poster", description="poster: title, subtitle and body centred; label: one boxed line; "
                                      "panel: a framed box with a title bar and body text.")
    heading: str = Field(default="", max_length=200,
                         description="Poster title, panel title or the label's text.")
    subheading: str = Field(default="", max_length=300, description="Poster subtitle (poster only).")
    body: str = Field(default="", max_length=1500,
                      description="Body text; a line break starts a new paragraph.")
    width: int = Field(default=0, ge=0, le=MAX_CANVAS,
                       description="Canvas width in pixels; 0 picks the layout's default "
                                   "(labels fit their text).")
    height: int = Field(default=0, ge=0, le=MAX_CANVAS,
                        description="Canvas height in pixels; 0 fits the text.")
    font_size: int = Field(default=0, ge=0, le=240,
                           description="Heading size in pixels (subtitle 0.58×, body 0.42×); 0 picks the "
                                       "layout's default. Shrunk as far as `min_font_size` to fit.")
    min_font_size: int = Field(default=18, ge=MIN_READABLE_PX, le=120,
                               description="No text is drawn smaller than this many pixels.")

    style_fields: ClassVar[frozenset[str]] = frozenset({"font_size", "min_font_size"})
    size_field: ClassVar[str] = "width"
    renderer = "ivlu_agent.tools.text.render:render_text"
    verifier = "ivlu_agent.tools.text.verify:verify_text"
    pixel_check = "ivlu_agent.tools.text.verify:check_pixels"
    cli = CliCheck("--text", "text the image must show, read back by OCR; repeat for several strings",
                   "ivlu_agent.tools.text.rule:verify_target", metavar="STRING", repeatable=True)

    @field_validator("heading", "subheading", "body")
    @classmethod
    def _printable(cls, v: str) -> str:
        bad = [c for c in v if (ord(c) < 32 and c != "\n") or 0xD800 <= ord(c) <= 0xDFFF]
        if bad:
            raise ValueError(f"control characters are not drawn: {', '.join(hex(ord(c)) for c in bad[:5])}")
        return v.strip()

    @model_validator(mode="after")
    def _has_text(self) -> TextSpec:
        if not (self.heading or self.subheading or self.body):
            raise ValueError("give some text to draw (heading, subheading or body)")
        if self.layout == "label" and (self.subheading or self.body):
            raise ValueError("a label holds one string: put it in `heading`")
        if 0 < self.width < 160 or 0 < self.height < 60:
            raise ValueError("a canvas is at least 160 × 60 pixels")
        return self

    def strings(self) -> list[tuple[str, str]]:
        """(role, text) for every requested string, in reading order; paragraphs are separate strings."""
        out = [("heading", self.heading), ("subheading", self.subheading)]
        out += [("body", p.strip()) for p in self.body.split("\n")]
        return [(role, text) for role, text in out if text.strip()]

    def canvas_width(self) -> int:
        return self.width or DEFAULT_WIDTH[self.layout]

    def heading_px(self) -> int:
        return self.font_size or DEFAULT_FONT[self.layout]

    def caption(self) -> str:
        if self.title:
            return self.title
        first = self.heading or self.subheading or self.body.split("\n")[0]
        return f"{self.layout}: {first[:60]}"

    def describe(self) -> str:
        """"label: 'Mitochondrion'"; "poster titled 'Relativity', subtitle 'Einstein 1905', body '…'"."""
        def quoted(text: str, limit: int) -> str:
            return f"'{one_line(text, limit)}'"

        if self.layout == "label":
            line = f"label: {quoted(self.heading, 140)}"
        else:
            parts = [f"titled {quoted(self.heading, 60)}"] if self.heading else []
            if self.subheading:
                parts.append(f"subtitle {quoted(self.subheading, 50)}")
            paragraphs = [p for role, p in self.strings() if role == "body"]
            if paragraphs:
                many = f" ({len(paragraphs)} paragraphs)" if len(paragraphs) > 1 else ""
                parts.append(f"{'text' if self.layout == 'panel' else 'body'} {quoted(paragraphs[0], 50)}{many}")
            line = f"{self.layout} " + ", ".join(parts)
        if self.width and self.height:
            line += f", {self.width} × {self.height} px"
        elif self.width:
            line += f", {self.width} px wide"
        return one_line(line)

    def render_timeout_s(self) -> float:
        return 90.0

    def refine(self, verdicts: list[Verdict], attempt: int) -> tuple[TextSpec, str] | None:
        failed = {v.verifier for v in verdicts if not v.passed}
        if "text.ocr" not in failed or attempt > 2:
            return None
        # Larger letters read better; let the canvas grow to hold them.
        smallest = max(self.min_font_size + 6, round(self.min_font_size * 1.35))
        heading = max(self.heading_px(), round(smallest / ROLE_SCALE["body"]) if self.body else smallest)
        if smallest > 120 or heading > 240:
            return None
        changed = self.model_copy(update={"min_font_size": smallest, "font_size": heading, "height": 0})
        return changed, f"enlarged the text (nothing under {smallest} px) and let the canvas grow"
