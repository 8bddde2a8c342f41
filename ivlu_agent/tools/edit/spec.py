"""Edit step: InternVL-U's head changes an existing image (an input image or an earlier neural output).

Verification and refinement are those of the generate step (`NeuralSpec`): OCR of `text`, the judge's
rubric, corrections fed back as a revised instruction or as a local edit of the last output. An edit
has no exact fallback; when its attempts are spent the best one is kept and the step is unverified.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ..base import listed, one_line
from ..common.neural import STORE_PATH, NeuralSpec


class EditSpec(NeuralSpec):
    """Change an image as the instruction says."""

    kind: Literal["edit"] = "edit"
    source: str = Field(min_length=1, pattern=STORE_PATH,
                        description="Store path of the image to edit (an input image or an earlier output).")
    instruction: str = Field(min_length=1, max_length=600, description="What to change, in plain words.")
    width: int = Field(default=0, ge=0, le=1024, description="Output width; 0 keeps the source's.")
    height: int = Field(default=0, ge=0, le=1024, description="Output height; 0 keeps the source's.")

    renderer = "ivlu_agent.tools.edit.render:render_edit"
    verifier = "ivlu_agent.tools.edit.verify:verify_edit"
    image_field: ClassVar[str] = "source"  # a model planner may edit only the images the request has

    def caption(self) -> str:
        return self.title or self.instruction[:80]

    def describe(self) -> str:
        """"edit of an image: 'make the sky orange', showing the words 'Sunset'"."""
        line = f"edit of an image: '{one_line(self.instruction, 100)}'"
        if self.text:
            line += ", showing the words " + listed([f"'{w}'" for w in self.text], 4)
        if self.width and self.height:
            line += f", {self.width} × {self.height} px"
        return one_line(line)

    def full_prompt(self) -> str:
        return " ".join([self.instruction, *self.corrections])
