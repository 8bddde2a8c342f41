"""Where a part's features go when the words give a count but not every position: in a row at a spacing,
on a bolt circle, centred, or by a drafting convention (four at the corners, n evenly in a row), each
convention stated in the plan's notes, or refused with --strict."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...errors import IvluError, NeedsInput


@dataclass
class Assumptions:
    """The plan's notes, and whether drafting conventions may fill what the words leave open. Each convention
    used is a note the plan shows; with `strict`, the request is refused instead."""

    notes: list[str]
    strict: bool = False

    def use(self, convention: str, missing: str, example: str) -> None:
        if self.strict:
            raise IvluError(f"{missing} (strict: no drafting convention fills it).", example,
                            "add it to the request, or run without --strict")
        self.notes.append(convention)



def spread(count: int, spacing: float | None, circle: float | None, along_u: bool, what: str,
            notes: Assumptions, size: tuple[float, float] | None = None, corners: bool = False,
            row: bool = False, inset: float | None = None, diameter: float = 0.0) -> list:
    """Positions of `count` equal features: centred in a row `spacing` apart, or on a circle. Where the words
    give no spacing, two drafting conventions fill it, and the plan says so: four features go at the corners
    of the face (at a stated inset, else 1.5 diameters from each edge), and n features 'in a row' are evenly
    spaced along the face's long side. `size` is the face's (u, v) extent when it is a rectangle."""
    if count == 1:
        return [(0.0, 0.0)]
    if circle is not None:
        r = circle / 2
        return [(round(r * math.cos(2 * math.pi * k / count), 6), round(r * math.sin(2 * math.pi * k / count), 6))
                for k in range(count)]
    if spacing is None and size is not None and (corners or (count == 4 and not row)):
        if count != 4:
            raise IvluError(f"{count} {what}s cannot all go at the 4 corners.", f"four {what}s at the corners",
                            "give the spacing instead")
        edge = inset if inset is not None else round(1.5 * diameter, 3)
        u, v = size[0] / 2 - edge, size[1] / 2 - edge
        if u <= diameter / 2 or v <= diameter / 2:
            raise IvluError(f"Four {what}s {edge:g} mm in from the edges do not fit a {size[0]:g} x {size[1]:g} face.",
                            "a smaller inset or a larger part", "give the positions or the spacing")
        notes.use(f"the four {what}s go at the corners, {edge:g} mm in from each edge"
                  + ("" if inset is not None else f" (1.5 × their {diameter:g} mm diameter; say 'N mm from the "
                     "edges' to choose)"),
                  f"Where the four {what}s go is not given", f"'four {what}s 10 mm from the edges' or "
                  f"'four {what}s 40 mm apart'")
        return [(-u, -v), (u, -v), (u, v), (-u, v)]
    if spacing is None and size is not None and row:
        length = size[0] if along_u else size[1]
        spacing = round(length / count, 3)
        notes.use(f"the {count} {what}s are evenly spaced in a row along the {length:g} mm side, {spacing:g} mm "
                  "apart", f"The spacing of the {count} {what}s is not given", f"'{count} {what}s 20 mm apart'")
    if spacing is None and not notes.strict:  # no convention places two, three, five…: ask where they go
        options = ["in a row"] + ([f"{round(size[0 if along_u else 1] / count):g} mm apart"] if size else []) \
            + ([f"on a {round(min(size) * 0.6):g} mm bolt circle"] if size and count > 2 else [])
        raise NeedsInput(f"Where do the {count} {what}s go?", options, phrase=f"{what}s", mode="after",
                         key=f"cad.spacing:{count} {what}s")
    if spacing is None:
        raise IvluError(f"The spacing of the {count} {what}s is missing.",
                        f"where they go, e.g. '{count} {what}s 40 mm apart', 'on a 50 mm bolt circle', "
                        f"'at the corners' or 'in a row'", "give the distance between them")
    offsets = [(k - (count - 1) / 2) * spacing for k in range(count)]
    return [(o, 0.0) if along_u else (0.0, o) for o in offsets]



def placed(at: tuple[float, float] | None, what: str, where: str, notes: Assumptions) -> tuple[float, float]:
    """A lone feature without a position sits at the centre of its face, and the plan says so."""
    if at is not None:
        return at
    notes.use(f"the {what} is centred on {where} (no position was given; say 'at (x, y)' to place it)",
              f"Where the {what} goes on {where} is not given", f"'a {what} in the middle' or 'at (10, 5)'")
    return (0.0, 0.0)



def face_size(part: dict, face: str) -> tuple[float, float] | None:
    """The (u, v) extent of a box's face, for the conventions that place features by its edges."""
    if part["shape"] != "box":
        return None
    length, width, height = part["length"], part["width"], part["height"]
    return {"top": (length, width), "bottom": (length, width), "front": (length, height),
            "back": (length, height), "left": (width, height), "right": (width, height)}.get(face)
