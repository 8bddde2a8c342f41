"""Follow-ups on a drawn part: views added, dropped or turned further, holes resized, the projection changed.
Views a follow-up does not name are kept ('only', 'just' or 'instead' keep just the named ones)."""

from __future__ import annotations

import re

from ...errors import IvluError, NeedsInput
from ..base import PlanContext
from .spec import CadSpec, View
from .words import NUM, Words, normalise, take_projection, take_rotations, take_views

DROP = (r"\b(?:remove|delete|drop|omit|hide|lose|skip|get rid of|take out|leave out|without|no|don't show|"
        r"dont show)\b")
FURTHER = (rf"\b(?:rotat\w*|turn)\s+(?:it\s+|them\s+)?(?:by\s+)?(?:another|a further|further|more|an extra|"
           rf"an additional)\s+(?:by\s+)?({NUM})\s*(?:deg)?(?:\s+more)?(?:\s+(?:about|around)\s+(?:the\s+)?"
           rf"([xyz])\b(?:[\s-]*axis)?)?")
MEASURE = rf"(?P<value>{NUM})\s*mm\s+(?P<what>thick|high|tall|long|wide)\b"
HOLE_SIZE = (rf"\b(?:holes?|bores?)\b.{{0,40}}?({NUM})\s*mm\b(?!\s*(?:apart|from|centre|deep))",
             rf"({NUM})\s*mm\s+(?:diameter\s+)?(?:holes?|bores?)\b")


FEATURES_ADDED = re.compile(r"^(?:please\s+)?(?:put|add|drill|cut|bore|include|give\s+it)\s+(?P<what>.+?\b(?:holes?|slots?|"
                            r"pockets?|boss(?:es)?|fillets?|chamfers?|counterbores?)\b.*?)(?:\s+(?:in|into|on|to|"
                            r"through)\s+(?:it|them|the\s+\w+))?[\s.!]*$", re.I)


def rework(clause: str, previous: list[dict], ctx: PlanContext) -> list[CadSpec] | None:
    """The parts of `previous` changed as `clause` says, or None when it says nothing about parts."""
    parts = [s for s in previous if s.get("kind") == "cad"]
    if not parts:
        return None
    added = FEATURES_ADDED.match(clause.strip())
    if added and all(p.get("source") for p in parts):  # 'put three 6 mm holes in it': the part planned again
        return [_with_features(p, added.group("what"), ctx) for p in parts]
    w = Words(normalise(clause))
    w.text = re.sub(r"\b(?:tilt|spin|turn)(?=\s+(?:it|them|the\s+\w+)?\s*(?:by\s+)?-?\d)", "rotate", w.text)
    w.text = re.sub(r"\bthicken\s+(?:it|the\s+\w+)\s+to\s+(" + NUM + r")\s*mm\b", r"\1 mm thick", w.text)
    dropping = bool(w.take(DROP))
    only = bool(w.take(r"\b(?:only|just|instead)\b"))
    further = w.take(FURTHER)
    rotated = [] if further else take_rotations(w)
    projection = take_projection(w)
    views = take_views(w)
    hole = w.take(HOLE_SIZE[0]) or w.take(HOLE_SIZE[1])
    if not hole:
        _ask_hole_size(w.text, parts)
    measure = w.take(MEASURE)
    if not (rotated or projection or views or hole or further or measure):
        return None
    steps = []
    for old in parts:
        spec = CadSpec.model_validate(old)
        drawn = list(spec.views)
        if further:
            drawn = _turned(spec, drawn, float(further.group(1)), further.group(2), ctx)
        if dropping:
            gone = {v.label for v in [*views, *rotated]}
            absent = sorted(gone - {v.label for v in drawn})
            if absent:
                raise IvluError(f"{spec.caption()} has no {' or '.join(absent)} view to drop (it shows "
                                f"{', '.join(v.label for v in drawn)}).", "a view that is drawn",
                                "name one of those views")
            drawn = [v for v in drawn if v.label not in gone]
            if not drawn:
                raise IvluError("That would remove every view of the part.", "at least one view left",
                                "name fewer views to drop")
        elif rotated or views:
            drawn = [*([] if only else drawn), *views, *rotated]
        data = spec.model_dump(mode="json")
        data["views"] = [v.model_dump(mode="json") for v in {v.label: v for v in drawn}.values()]
        if projection:
            data["projection"] = projection
        if measure:
            _measured(data, spec, measure.group("what"), float(measure.group("value")))
        if hole:
            if not any(f.type in ("hole", "counterbore") for f in spec.features):
                raise IvluError(f"{spec.caption()} has no holes to resize.", "a part with holes",
                                "add holes to the part first ('with two 6 mm holes 40 mm apart')")
            for f in data["features"]:
                if f["type"] in ("hole", "counterbore"):
                    data["name"] = data.get("name", "").replace(f"Ø{f['diameter']:g} ", f"Ø{float(hole.group(1)):g} ")
                    f["diameter"] = float(hole.group(1))
        steps.append(CadSpec.model_validate(data))
    ctx.reasoning.append("Redrawing " + ", ".join(s.caption() for s in steps) + ": "
                         + ", ".join(v.words for v in steps[0].views)
                         + (f"; {projection}-angle projection" if projection else "")
                         + (f"; holes {float(hole.group(1)):g} mm" if hole else ""))
    return steps


def _with_features(old: dict, what: str, ctx: PlanContext) -> CadSpec:
    """The part planned again from its own words with the new features, keeping its views and projection."""
    from .rule import plan_part

    notes: list[str] = []
    spec = plan_part(f"{old['source'].rstrip(' .')}, with {what}", notes, strict=ctx.strict)
    ctx.notes += notes
    previous = CadSpec.model_validate(old)
    ctx.reasoning.append(f"Adding {what} to {previous.caption()}")
    ctx.accounted.append("put add drill cut bore include give it in into on to through")
    return spec.model_copy(update={"id": previous.id, "views": previous.views, "projection": previous.projection,
                                   "source": f"{old['source'].rstrip(' .')}, with {what}"})


def _ask_hole_size(text: str, parts: list[dict]) -> None:
    """'make the holes bigger' says no size, and no convention gives one: ask, proposing a few."""
    m = re.search(r"\bholes?\b.{0,30}?\b(?P<how>bigger|larger|wider|smaller|narrower)\b|"
                  r"\b(?P<how2>bigger|larger|wider|smaller|narrower)\s+holes?\b", text)
    if not m:
        return
    how = m.group("how") or m.group("how2")
    sizes = [f["diameter"] for p in parts for f in p.get("features", []) if f["type"] in ("hole", "counterbore")]
    if not sizes:
        return
    d = sizes[0]
    factors = (1.5, 2.0, 1.25) if how in ("bigger", "larger", "wider") else (0.75, 0.5, 0.9)
    options = list(dict.fromkeys(f"{round(d * k * 2) / 2:g} mm" for k in factors))
    raise NeedsInput(f"How big should the holes be (they are Ø{d:g} mm now)?", options, phrase=how, mode="after",
                     key=f"cad.hole-size:{how}")


def _measured(data: dict, spec: CadSpec, what: str, value: float) -> None:
    """'make it 12 mm thick', '40 mm high': the part's dimension that word names."""
    shape = data["part"]["shape"]
    fields = {("box", "thick"): "height", ("box", "high"): "height", ("box", "tall"): "height",
              ("box", "long"): "length", ("box", "wide"): "width",
              ("l_bracket", "thick"): "thickness", ("l_bracket", "high"): "height", ("l_bracket", "tall"): "height",
              ("l_bracket", "long"): "length", ("l_bracket", "wide"): "width",
              ("cylinder", "high"): "height", ("cylinder", "tall"): "height", ("cylinder", "long"): "height",
              ("tube", "high"): "height", ("tube", "tall"): "height", ("tube", "long"): "height",
              ("cylinder", "thick"): "height", ("tube", "thick"): "height"}  # a disc's or a washer's thickness
    field = fields.get((shape, what))
    if field is None:
        raise IvluError(f"I do not know which size of the {spec.caption()} is '{what}'.",
                        "a size the part has, e.g. 'make it 40 mm high' or 'make the plate 12 mm thick'",
                        "name the dimension, e.g. '60 x 40 x 12 mm plate'")
    old = data["part"][field]
    data["part"][field] = value
    # the part's name carries its sizes ('100 × 60 × 10 mm plate'): the changed one changes there too
    hits = re.findall(rf"(?<![\d.]){re.escape(f'{old:g}')}(?![\d.])", data.get("name", ""))
    if len(hits) == 1:
        data["name"] = re.sub(rf"(?<![\d.]){re.escape(f'{old:g}')}(?![\d.])", f"{value:g}", data["name"])
    else:
        data["name"] = ""  # ambiguous: the caption is built from the part instead


def _turned(spec: CadSpec, views: list[View], degrees: float, axis: str | None, ctx: PlanContext) -> list[View]:
    """'rotate another 15°': the last rotated view turned further about its axis (or the axis named)."""
    turned = [v for v in views if v.name == "rotated"]
    if not turned:
        raise IvluError(f"{spec.caption()} has no rotated view to turn further.",
                        "a rotated view first, e.g. 'rotate it 45° about x'",
                        "say the axis: 'rotate it 15° about z'")
    last = turned[-1]
    if axis is None:
        axes = [a for a in "xyz" if getattr(last, f"r{a}")]
        if len(axes) != 1:
            raise IvluError("The rotated view turns about several axes; which one should turn further?",
                            "an axis, e.g. 'rotate another 15° about z'", "name the axis")
        axis = axes[0]
    new = last.model_copy(update={f"r{axis}": getattr(last, f"r{axis}") + degrees})
    ctx.accounted += [f"{degrees:g}", "another", "further", "more"]  # the turn is in the sum the view shows
    return [new if v is last else v for v in views]
