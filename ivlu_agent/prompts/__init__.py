"""Prompts as data: the planner's instructions (plan.md) and the neural path's phrases (neural.yaml).

Files are read with importlib.resources, so they ship inside the wheel (package-data `prompts/*`).
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import resources
from string import Template


def read(name: str) -> str:
    """The text of prompts/<name>."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


@cache
def template(name: str) -> Template:
    """prompts/<name> as a `string.Template` ($placeholders)."""
    return Template(read(name))


@lru_cache(maxsize=1)
def neural_prompts() -> dict:
    """prompts/neural.yaml: native prompts, rubrics, corrections and judge phrasing."""
    import yaml

    return yaml.safe_load(read("neural.yaml"))


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def fill(text: str, values: dict) -> str:
    """`text.format_map(values)`, with missing fields left blank (phrases are data, fields optional)."""
    return " ".join(text.format_map(_Blank(values)).split())
