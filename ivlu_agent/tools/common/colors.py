"""Highlight colours. Fills are pale on purpose: the OSRA check binarises drawings and drops
pixels whose darkest channel is above INK_THRESHOLD, so pale fills never read as atoms."""

from __future__ import annotations

INK_THRESHOLD = 110
TEXT_GREY = (0.46, 0.46, 0.48)  # readable text that still binarises to white (0.46 * 255 > 110)

NAMED = {
    "red": (0.90, 0.10, 0.10), "orange": (0.95, 0.55, 0.05), "yellow": (0.95, 0.85, 0.10),
    "green": (0.10, 0.70, 0.20), "blue": (0.15, 0.35, 0.95), "purple": (0.55, 0.20, 0.80),
    "pink": (0.95, 0.35, 0.65), "cyan": (0.05, 0.75, 0.85), "teal": (0.0, 0.55, 0.55),
    "brown": (0.55, 0.35, 0.15), "grey": (0.5, 0.5, 0.5), "gray": (0.5, 0.5, 0.5),
    "magenta": (0.85, 0.15, 0.85), "lime": (0.5, 0.9, 0.1),
}
DEFAULT_CYCLE = ["blue", "red", "green", "orange", "purple", "cyan", "pink", "brown"]


def parse(color: str) -> tuple[float, float, float]:
    if color.startswith("#") and len(color) == 7:
        return tuple(int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]
    if color in NAMED:
        return NAMED[color]
    raise ValueError(f"unknown colour {color!r}; use one of {', '.join(sorted(NAMED))} or '#rrggbb'")


def pale(color: str) -> tuple[float, float, float]:
    """The fill used for a highlight: the colour mixed with white so no channel is ink."""
    r, g, b = parse(color)
    return tuple(round(0.5 * c + 0.5, 4) for c in (r, g, b))  # type: ignore[return-value]


def label(color: str) -> tuple[float, float, float]:
    """Text colour for a group label: readable, but still above the ink threshold (≥ 0.47)."""
    r, g, b = parse(color)
    return tuple(round(0.5 * c + 0.47, 4) for c in (r, g, b))  # type: ignore[return-value]


def group_colors(groups: list[str], chosen: dict[str, str]) -> dict[str, str]:
    out, cycle = {}, [c for c in DEFAULT_CYCLE if c not in chosen.values()]
    for i, g in enumerate(groups):
        out[g] = chosen.get(g) or cycle[i % len(cycle)]
    return out
