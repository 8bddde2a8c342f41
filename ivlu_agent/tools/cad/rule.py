"""CAD rule: parts described in plain words, e.g.

    "a 60×40×8 mm plate with two 6 mm holes 40 mm apart, front top and right views"
    "an L bracket 50 by 30 by 5 with a 5 mm hole in each leg"
    "cylinder diameter 20 height 30 with an axial 6 mm hole, front and top views"
    "rotate it 45° about x"   (a follow-up on a thread)

Every number must be accounted for: a size the part needs but the words do not give is reported as
missing (never guessed), and a number the rule cannot place is reported too.
"""

from __future__ import annotations

import math
import re

from ...errors import IvluError
from ..base import PlanContext
from .placing import Assumptions, face_size, placed, spread
from .spec import MAX_FEATURES, CadSpec, describe_part, make_cad_spec
from .words import (
    COUNTS,
    FEATURE_RE,
    NUM,
    PART_RE,
    PARTS,
    VOCABULARY,
    Words,
    inches_written,
    mm,
    normalise,
    number,
    take_projection,
    take_rotations,
    take_views,
    view_from_text,
)

# -- the base solid ---------------------------------------------------------------------------------


def _named(w: Words, nouns: str = "", adjectives: str = "") -> float | None:
    """A size named by a noun before it ('length 60', 'diameter of 20', '20 mm diameter') or by an
    adjective after it ('60 mm long', '20 across flats')."""
    m = None
    if adjectives:
        m = w.take(rf"({NUM})\s*(?:mm|cm)?\s*(?:{adjectives})\b")
    if m is None and nouns:
        m = w.take(rf"\b(?:{nouns})\s*(?:of\s+|=\s*|:\s*)?({NUM})(?:\s*(?:mm|cm))?") or \
            w.take(rf"({NUM})\s*(?:mm|cm)\s*(?:{nouns})\b")
    return mm(m) if m else None


def _missing(part: str, missing: list[str], got: dict[str, float], example: str) -> IvluError:
    have = ", ".join(f"{k} {v:g}" for k, v in got.items() if v is not None)
    return IvluError(f"The {part}'s {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing"
                     + (f" (I read {have} mm)." if have else "."),
                     f"every size of the {part}, e.g. '{example}'", f"give the {' and '.join(missing)}")


def take_base(w: Words, kind: str, noun: str, notes: Assumptions) -> dict:
    triple = w.take(rf"({NUM})\s*(?:mm|cm)?\s*x\s*({NUM})\s*(?:mm|cm)?\s*x\s*({NUM})(?:\s*(?:mm|cm))?")
    pair = None if triple else w.take(rf"({NUM})\s*(?:mm|cm)?\s*x\s*({NUM})(?:\s*(?:mm|cm))?")
    if kind == "box" and noun.lower().startswith("cube") and not (triple or pair):
        side = _named(w, "side|edge|size|side length", "wide|long|high|tall|across")
        if side is None and (bare := w.take(rf"({NUM})\s*(?:mm|cm)?")):
            side = mm(bare)
        if side is None:
            raise IvluError("The cube's side is missing.", "'a 30 mm cube' or 'a cube of side 30 mm'",
                            "give the side")
        return {"shape": "box", "length": side, "width": side, "height": side}
    square = None if (triple or pair) else w.take(rf"({NUM})\s*(?:mm|cm)?\s*square\b")  # 'a 60 mm square plate'
    if kind == "box" and square:
        side = mm(square)
        height = _named(w, "thickness|height", "thick|high|tall|deep")
        if height is None:
            raise _missing(noun, ["thickness"], {"length": side, "width": side}, "60 mm square plate 8 mm thick")
        return {"shape": "box", "length": side, "width": side, "height": height}
    if kind == "box":
        length = mm(triple, 1) if triple else mm(pair, 1) if pair else _named(w, "length", "long")
        width = mm(triple, 2) if triple else mm(pair, 2) if pair else _named(w, "width", "wide")
        height = mm(triple, 3) if triple else _named(w, "thickness|height", "thick|high|tall|deep")
        got = {"length": length, "width": width, "thickness": height}
        missing = [k for k, v in got.items() if v is None]
        if missing:
            raise _missing(noun, missing, got, "60 x 40 x 8 mm plate")
        return {"shape": "box", "length": length, "width": width, "height": height}
    if kind == "l_bracket":
        length = mm(triple, 1) if triple else mm(pair, 1) if pair else _named(w, "length", "long")
        width = mm(triple, 2) if triple else mm(pair, 2) if pair else _named(w, "width", "wide")
        thickness = mm(triple, 3) if triple else _named(w, "thickness", "thick")
        height = _named(w, "height|upright(?: leg)?", "high|tall")
        got = {"length": length, "width": width, "thickness": thickness}
        missing = [k for k, v in got.items() if v is None]
        if missing:
            raise _missing("L bracket", missing, got, "L bracket 50 by 30 by 5 (length by width by thickness)")
        if height is None:
            height = length
            notes.use(f"the L bracket's legs are both {length:g} mm (equal legs, as 'L bracket {length:g} by "
                      f"{width:g} by {thickness:g}' reads); say 'height H' for a different upright leg",
                      "The L bracket's upright leg height is not given", "'L bracket 50 by 30 by 5, height 40'")
        return {"shape": "l_bracket", "length": length, "width": width, "height": height, "thickness": thickness}
    if kind == "cylinder" and pair and re.search(r"diameter\s*$", w.text[:pair.start()]):
        return {"shape": "cylinder", "diameter": mm(pair, 1), "height": mm(pair, 2)}  # 'Ø25 × 40'
    if triple or pair:
        raise IvluError(f"'{(triple or pair).group().strip()}' does not say which size is the diameter.",
                        f"named sizes for a {noun}, e.g. 'diameter 20 height 30'", "name each size")
    if kind == "cylinder":
        radius = _named(w, "radius")
        diameter = _named(w, "outer diameter|diameter") or (2 * radius if radius else None)
        height = _named(w, "height|length|thickness", "high|tall|long|thick")
        got = {"diameter": diameter, "height": height}
        missing = [k for k, v in got.items() if v is None]
        if missing:
            raise _missing(noun, missing, got, "cylinder diameter 20 height 30")
        return {"shape": "cylinder", "diameter": diameter, "height": height}
    if kind == "tube":
        outer = _named(w, "outer diameter|outside diameter|od")
        inner = _named(w, "inner diameter|inside diameter|id|bore")
        wall = _named(w, "wall(?: thickness)?", "wall(?: thickness)?|thick wall")  # 'a 2 mm wall'
        if inner is None and outer is not None and wall is not None:
            inner = outer - 2 * wall
        height = _named(w, "height|length|thickness", "high|tall|long|thick")
        got = {"outer diameter": outer, "inner diameter": inner, "length": height}
        missing = [k for k, v in got.items() if v is None]
        if missing:
            raise _missing(noun, missing, got, "tube outer diameter 30 inner diameter 20 length 40")
        return {"shape": "tube", "outer_diameter": outer, "inner_diameter": inner, "height": height}
    flats = _named(w, "", "across flats|af")
    height = _named(w, "height|length|thickness", "high|tall|long|thick")
    got = {"size across flats": flats, "height": height}
    missing = [k for k, v in got.items() if v is None]
    if missing:
        raise _missing("hexagonal prism", missing, got, "hex prism 20 across flats, 10 high")
    r = flats / math.sqrt(3)
    return {"shape": "extrusion", "height": height,
            "points": [(round(r * math.cos(math.pi / 3 * k), 6), round(r * math.sin(math.pi / 3 * k), 6))
                       for k in range(6)]}


# -- features ---------------------------------------------------------------------------------------


def _count(w: Words, noun: str) -> int | None:
    """'two 6 mm holes', '4 x 6 mm holes', '10 6 mm holes', '4 holes' (a bare number before 'mm' is a size)."""
    ahead = rf"(?=(?:{NUM}\s*(?:mm|cm)?\s*)?(?:[a-z]+\s+){{0,2}}(?:{noun})\b)"
    m = (w.take(rf"\b({'|'.join(COUNTS)})\s+(?=(?:[^;|]*?)\b(?:{noun})\b)")
         or w.take(rf"(?<![\w.])({NUM})\s*x\s+{ahead}")
         or w.take(rf"(?<![\w.])({NUM})\s+(?={NUM}\s*(?:mm|cm)?\s*(?:[a-z]+\s+){{0,2}}(?:{noun})\b)")
         or w.take(rf"(?<![\w.])({NUM})\s+(?=(?:(?!mm\b|cm\b)[a-z]+\s+){{0,2}}(?:{noun})\b)"))
    if not m:
        return None
    token = m.group(1)
    return COUNTS[token] if token in COUNTS else int(number(token, "count"))


def _face(w: Words, default: str) -> str:
    m = w.take(r"\b(?:on|in|into|through|from)\s+(?:the\s+)?(top|bottom|front|back|left|right|base|upright)"
               r"(?:\s+(?:face|side|leg|surface))?\b")
    return m.group(1) if m else default


def _position(w: Words) -> tuple[float, float] | None:
    m = w.take(rf"\bat \(({NUM}) \| ({NUM})\)")
    if m:
        return (mm(m, 1), mm(m, 2))
    if w.take(r"\b(?:at|in|through|down|on) the (?:centre|center|middle)\b|\bcentred\b|\bcentered\b|\bcentral\b"):
        return (0.0, 0.0)
    return None


def plan_feature(phrase: str, part: dict, notes: Assumptions) -> list[dict]:
    """Features named in one phrase, e.g. 'two 6 mm holes 40 mm apart'."""
    w = Words(phrase)
    kind = FEATURE_RE.search(phrase).group(1)
    base_faces = {"l_bracket": "base"}.get(part["shape"], "top")
    along_u = part.get("length", 1) >= part.get("width", 0) if part["shape"] == "box" else True
    feats: list[dict] = []
    if kind.startswith(("hole", "bore")):
        each_leg = w.take(r"\bin (?:each|both|every) legs?\b|\bone in each leg\b")
        axial = w.take(r"\baxial\b|\balong the axis\b|\bthrough the axis\b")
        count = _count(w, r"holes?|bores?")
        if count is None and re.search(r"\b(?:holes|bores)\b", phrase) and not each_leg:
            raise IvluError(f"The number of holes is missing in {phrase.strip()!r}.",
                            "a count, e.g. 'four 6 mm holes'", "say how many holes")
        count = count or 1
        if count > MAX_FEATURES:
            raise IvluError(f"{count} holes were asked for.", f"at most {MAX_FEATURES} features on one part",
                            "use fewer holes")
        cbore = w.take(rf"\bcounter-?bored?s?\s*(?:to\s+|of\s+)?(?:diameter\s*)?({NUM})\s*(?:mm)?\s*(?:diameter\s*)?"
                       rf"(?:x|,)?\s*(?:({NUM})\s*(?:mm)?\s*(?:deep)?)?")
        if w.take(r"\bcounter-?bored?s?\b") and not cbore:
            raise IvluError("The counterbore's diameter and depth are missing.",
                            "'counterbored 10 x 3 deep' (diameter x depth)", "give both")
        depth_m = w.take(rf"({NUM})\s*(?:mm)?\s*(?:deep|depth)\b") or w.take(rf"\bdepth\s*(?:of\s+)?({NUM})")
        inset_m = w.take(rf"({NUM})\s*(?:mm)?\s*(?:in\s+)?from\s+(?:the|each|all|every|both)\s+(?:edges?|sides?|corners?)\b") or \
            w.take(rf"\b(?:inset|edge distance)\s*(?:of\s+)?({NUM})")
        corners = w.take(r"\b(?:at|in|on|near)\s+(?:the\s+|each\s+|all\s+)?(?:four\s+|4\s+)?corners?\b|"
                         r"\bone\s+(?:at|in)\s+each\s+corner\b")
        row = w.take(r"\bin\s+a\s+(?:row|line)\b|\bevenly\s+spaced\b|\bequally\s+spaced\b")
        spacing_m = w.take(rf"({NUM})\s*(?:mm)?\s*(?:apart|between centres|centre to centre)\b") or \
            w.take(rf"\b(?:on|at)\s+({NUM})\s*(?:mm)?\s*centres?\b|\bspaced\s+({NUM})")
        circle_m = w.take(rf"\bon\s+an?\s+({NUM})\s*(?:mm)?\s*(?:diameter\s+)?(?:bolt|pitch)?\s*(?:circle|pcd)\b")
        dia_m = w.take(rf"({NUM})\s*(?:mm|cm)?\s*(?:diameter\s*)?(?:\w+\s+)?(?:holes?|bores?)\b") or \
            w.take(rf"({NUM})\s*(?:mm|cm)?\s*diameter\b") or \
            w.take(rf"\b(?:diameter)\s*({NUM})") or w.take(rf"\b(?:holes?|bores?)\s+(?:of\s+)?({NUM})\b")
        if dia_m is None:
            raise IvluError(f"The hole diameter is missing in {phrase.strip()!r}.",
                            "a diameter, e.g. 'a 6 mm hole'", "give the hole's diameter")
        diameter = mm(dia_m)
        face = _face(w, base_faces)
        at = _position(w)
        spacing = mm(spacing_m, next(g for g in (1, 2) if spacing_m.group(g))) if spacing_m else None
        circle = mm(circle_m) if circle_m else None
        faces_for = ["base", "upright"] if each_leg else [face]
        if each_leg and part["shape"] != "l_bracket":
            raise IvluError("'in each leg' needs an L bracket.", "holes on a named face", "say which face")
        if count > 1:
            positions = spread(count, spacing, circle, along_u, "hole", notes, face_size(part, face),
                                bool(corners), bool(row), mm(inset_m) if inset_m else None, diameter)
        elif at is None and axial and part["shape"] in ("cylinder", "tube"):
            positions = [(0.0, 0.0)]  # 'axial' says where it goes
        else:
            positions = [placed(at, "hole", "each leg" if each_leg else f"the {face} face", notes)]
        if axial and part["shape"] not in ("cylinder", "tube"):
            notes.notes.append("'axial' read as a hole through the middle of the top face")
        for face_name in faces_for:
            for pos in positions:
                f = {"face": face_name, "at": pos, "diameter": diameter}
                if cbore:
                    if cbore.group(2) is None:
                        raise IvluError("The counterbore depth is missing.", "'counterbored 10 x 3 deep'",
                                        "give the counterbore's depth")
                    f.update(type="counterbore", cbore_diameter=mm(cbore, 1), cbore_depth=mm(cbore, 2))
                else:
                    f.update(type="hole", depth=mm(depth_m) if depth_m else None)
                feats.append(f)
    elif kind.startswith("slot"):
        count = _count(w, r"slots?") or 1
        size = w.take(rf"({NUM})\s*(?:mm)?\s*x\s*({NUM})")
        angle_m = w.take(rf"\b(?:at|angled?|turned)\s+({NUM})\s*deg\b") or w.take(rf"({NUM})\s*deg\b")
        length = mm(size, 1) if size else _named(w, "length", "long")
        width = mm(size, 2) if size else _named(w, "width", "wide")
        depth = _named(w, "depth", "deep")
        if length is None or width is None:
            raise IvluError(f"The slot's {'length' if length is None else 'width'} is missing.",
                            "'a 20 x 6 slot' (length x width)", "give both sizes")
        spacing_m = w.take(rf"({NUM})\s*(?:mm)?\s*apart\b")
        face = _face(w, base_faces)
        at = _position(w)
        positions = [placed(at, "slot", f"the {face} face", notes)] if count == 1 else spread(
            count, mm(spacing_m) if spacing_m else None, None, not along_u, "slot", notes)
        feats += [{"type": "slot", "face": face, "at": p, "length": length, "width": width,
                   "angle": number(angle_m.group(1), "angle") if angle_m else 0.0, "depth": depth} for p in positions]
    elif kind.startswith(("pocket", "recess")):
        size = w.take(rf"({NUM})\s*(?:mm)?\s*x\s*({NUM})(?:\s*(?:mm)?\s*x\s*({NUM}))?")
        length = mm(size, 1) if size else _named(w, "length", "long")
        width = mm(size, 2) if size else _named(w, "width", "wide")
        depth = (mm(size, 3) if size and size.group(3) else None) or _named(w, "depth", "deep")
        got = {"length": length, "width": width, "depth": depth}
        missing = [k for k, v in got.items() if v is None]
        if missing:
            raise _missing("pocket", missing, got, "a 20 x 10 x 3 mm pocket (length x width x depth)")
        face = _face(w, base_faces)
        feats.append({"type": "pocket", "face": face, "at": placed(_position(w), "pocket", f"the {face} face", notes),
                      "length": length, "width": width, "depth": depth})
    elif kind.startswith("boss"):
        diameter = _named(w, "diameter")  # 'Ø10 boss' first: its number is the diameter
        bare = None if diameter else w.take(rf"({NUM})\s*(?:mm)?\s*(?:diameter\s+)?boss")
        diameter = diameter or (mm(bare) if bare else None)
        height = _named(w, "height", "high|tall|long")
        got = {"diameter": diameter, "height": height}
        missing = [k for k, v in got.items() if v is None]
        if missing:
            raise _missing("boss", missing, got, "a 10 mm boss 5 mm high")
        face = _face(w, base_faces)
        feats.append({"type": "boss", "face": face, "at": placed(_position(w), "boss", f"the {face} face", notes),
                      "diameter": diameter, "height": height})
    else:
        chamfer = kind.startswith(("chamfer", "bevel"))
        edges_m = w.take(r"\b(vertical|top|bottom|upper|lower)\s+(?:\w+\s+)?(?:edges?|corners?|outline)\b")
        w.take(r"\b(?:edges?|corners?)\b")
        size = _named(w, "radius|size")
        if size is None and (bare := w.take(rf"({NUM})\s*(?:mm)?")):
            size = mm(bare)
        if size is None:
            raise IvluError(f"The {'chamfer size' if chamfer else 'fillet radius'} is missing.",
                            f"e.g. '{'1 mm chamfer' if chamfer else '3 mm fillets'} on the vertical edges'",
                            "give the size")
        edges = {"upper": "top", "lower": "bottom"}.get(edges_m.group(1), edges_m.group(1)) if edges_m else \
            ("vertical" if part["shape"] in ("box", "extrusion") else "top")
        if not edges_m:
            notes.use(f"the {'chamfer' if chamfer else 'fillet'} goes on the {edges} edges "
                      "(say 'vertical', 'top' or 'bottom' edges to choose)",
                      f"Which edges the {'chamfer' if chamfer else 'fillet'} goes on is not given",
                      "'3 mm fillets on the vertical edges'")
        feats.append({"type": "chamfer", "edges": edges, "size": size} if chamfer else
                     {"type": "fillet", "edges": edges, "radius": size})
    w.take(FEATURE_RE.pattern)
    _no_leftovers(w, phrase)
    return feats


def _no_leftovers(w: Words, phrase: str) -> None:
    left = w.numbers()
    if left:
        raise IvluError(f"I could not tell what {left[0]} means in {phrase.strip()!r}.",
                        "sizes named or placed as in '60 x 40 x 8 mm plate with two 6 mm holes 40 mm apart'",
                        "say what the number measures")


# -- the rule -----------------------------------------------------------------------------------------


SIZE_ONLY = re.compile(rf"^\s*(?:an?\s+)?{NUM}\s*(?:mm|cm)?\s*(?:long|wide|deep|high|tall)\s*$")
# Where the features just named go: '…, 10 mm in from each edge', '…, 40 mm apart', '…, evenly spaced'.
PLACEMENT_ONLY = re.compile(rf"^\s*(?:each\s+|all\s+)?(?:{NUM}\s*(?:mm)?\s*(?:in\s+)?from\s+(?:the|each|all|every|both)\s+"
                            rf"(?:edges?|sides?|corners?)|{NUM}\s*(?:mm)?\s*apart|(?:evenly|equally)\s+spaced|"
                            rf"in\s+a\s+(?:row|line)|on\s+{NUM}\s*(?:mm)?\s*centres?|"
                            rf"(?:one\s+)?(?:near|at|in|on)\s+(?:the\s+|each\s+|all\s+)?(?:four\s+)?corners?)"
                            rf"(?:\s+(?:at|in|on)\s+(?:the\s+|each\s+|all\s+)?(?:four\s+)?corners?)?\s*\.?\s*$")


# 'a boss of diameter 20 mm and height 10 mm': a depth or height after 'and' is the feature's, not the part's
FEATURE_SIZE = re.compile(rf"^\s*(?:(?:a|its|the)\s+)?(?:(?:height|depth)\s*(?:of\s+)?{NUM}\s*(?:mm)?|{NUM}\s*(?:mm)?\s*"
                          rf"(?:high|deep|tall|depth|height))(?:\s+(?:in|at|on)\s+the\s+(?:centre|middle|top|bottom)"
                          rf"(?:\s+of\s+the\s+\w+\s+face|\s+face)?)?\s*\.?\s*$")


def _feature_phrases(phrases: list[str]) -> list[str]:
    """'a 60 mm long, 10 mm wide slot': a bare size just before a feature belongs to that feature, and a
    placement just after one ('four holes at the corners, 10 mm in from each edge') to that feature."""
    out: list[str] = []
    for phrase in phrases:
        if out and SIZE_ONLY.match(out[-1]) and re.search(r"\b(?:slots?|pockets?|recess(?:es)?)\b", phrase):
            out[-1] = out[-1] + " " + phrase  # a slot's length before it; a hole is never 'long'
        elif out and (PLACEMENT_ONLY.match(phrase) or FEATURE_SIZE.match(phrase)) and FEATURE_RE.search(out[-1]):
            out[-1] = out[-1] + " " + phrase
        else:
            out.append(phrase)
    return out


def plan_part(text: str, notes: list[str] | None = None, strict: bool = False) -> CadSpec:
    """A CadSpec from plain words; raises IvluError naming what is missing or not understood. With `strict`,
    what a drafting convention would fill (where holes go, equal legs) is refused instead."""
    notes = notes if notes is not None else []
    assumed = Assumptions(notes, strict)
    w = Words(normalise(text))
    rotated = take_rotations(w)
    projection = take_projection(w)
    views = take_views(w)
    nouns = part_nouns(w.text)
    found = nouns[0] if nouns else None
    if not found:
        raise IvluError(f"No part named in {text!r}.", "a plate, block, cylinder, tube, L bracket or hex prism",
                        "say what the part is, e.g. 'a 60 x 40 x 8 mm plate'")
    kind = next(k for k, p in PARTS if re.fullmatch(p, found.group()))
    others = [m.group() for m in nouns[1:]]
    if others:
        raise IvluError(f"More than one part in {text!r} ({found.group()}, {', '.join(others)}).",
                        "one part per clause", "separate the parts with ';'")
    w.text = w.text[:found.start()] + " " * (found.end() - found.start()) + w.text[found.end():]
    if kind == "tube":  # a washer's '13 mm hole' is its bore
        w.text = re.sub(rf"({NUM})\s*mm\s*(?:diameter\s+)?(?:(?:centre|central|middle)\s+)?(?:hole|bore)\b",
                        r"inner diameter \1 mm", w.text, count=1)
    phrases = _feature_phrases(re.split(r",|;|\bwith\b|\band\b|\bplus\b|\bhaving\b|\bha[sv]e?\b|\bcontains\b", w.text))
    base_phrases = [p for p in phrases if not FEATURE_RE.search(p)]
    base_words = Words(" ; ".join(base_phrases))  # ';' keeps a size from pairing across phrases
    part = take_base(base_words, kind, found.group(), assumed)
    _no_leftovers(base_words, text)
    features: list[dict] = []
    for phrase in phrases:
        if FEATURE_RE.search(phrase):
            features += plan_feature(phrase, part, assumed)
    if len(features) > MAX_FEATURES:
        raise IvluError(f"The part has {len(features)} features.", f"at most {MAX_FEATURES}",
                        "use fewer features or split the part")
    unknown = [word for word in re.findall(r"[a-z]+", normalise(text)) if word not in VOCABULARY]
    if unknown:
        notes.append("ignored words: " + ", ".join(dict.fromkeys(unknown)))
    fields = {"part": part, "features": features}
    chosen = [*views, *rotated]
    if chosen:
        fields["views"] = chosen
    if projection:
        fields["projection"] = projection
    spec = make_cad_spec(**fields)
    spec.name = describe_part(spec, noun=re.sub(r"(?:e?s)$", "", found.group()) if kind in ("box", "tube") else None)
    inches = inches_written(text)
    if inches:  # drawn in mm; the title keeps the sizes as asked
        spec.name = f"{spec.name} ({' × '.join(inches)} in)"[:120]
        notes.append(f"sizes given in inches ({', '.join(inches)} in) are drawn in mm (1 in = 25.4 mm)")
    return spec


def _references_part(clause: str) -> bool:
    """'the bracket', 'it' — a part drawn earlier, not a new one."""
    return bool(re.search(r"\b(?:it|them|the\s+(?:\w+\s+)?(?:" + PART_RE.pattern + "))", clause.lower()))


SIZE_CUE = re.compile(rf"{NUM}\s*(?:mm|cm)\b|{NUM}\s*x\s*{NUM}|\bdiameter\b|\bradius\b|\bacross flats\b|"
                      r"\b(?:length|width|thickness|height|thick|wide|long|high|tall)\b")
NOT_A_PART = re.compile(r"\s*(?:charts?|plots?|graphs?|diagrams?|codes?|lines?)\b")  # a bar chart, a box plot


def part_nouns(text: str) -> list[re.Match]:
    """Part nouns in normalised text, not counting 'bar chart', 'box plot' and the like."""
    return [m for m in PART_RE.finditer(text) if not NOT_A_PART.match(text[m.end():])]


class CadRule:
    """Parts described in words: base solid, holes, slots, pockets, bosses, fillets, views, rotations."""

    name = "cad"
    priority = 50  # before molecules: '20' in 'diameter 20' looks like a SMILES to them
    examples = (  # what the planner lists when it understands nothing in a request
        "CAD parts and their views ('a 60x40x8 mm plate with two 6 mm holes 40 mm apart, front "
        "top and right views', 'cylinder diameter 20 height 30 with an axial 6 mm hole', 'an L "
        "bracket 50 by 30 by 5 with a 5 mm hole in each leg'; follow-ups 'rotate it 45° about x', "
        "'show the left and back views')"
    )
    vocabulary = VOCABULARY  # the words the rule reads (cad/words.py)

    def claims(self, clause: str) -> bool:
        t = normalise(re.sub(r"'[^']*'|\"[^\"]*\"|“[^”]*”|‘[^’]*’", " ", clause))  # quoted text is not a size
        if not part_nouns(t):
            return False
        new_part = re.search(r"\b(?:a|an|one)\s+(?:[\w.-]+\s+){0,6}?(?:" + PART_RE.pattern + ")", t)
        return bool(SIZE_CUE.search(t)) or (bool(new_part) and not _references_part(clause))

    def owns(self, clause: str) -> bool:
        """The whole clause is about one part (when another rule also claims it, e.g. for a '20')."""
        return self.claims(clause) and all(w in VOCABULARY for w in re.findall(r"[a-z]+", normalise(clause)))

    def plan(self, clause: str, ctx: PlanContext) -> list[CadSpec]:
        notes: list[str] = []
        spec = plan_part(clause, notes, strict=ctx.strict)
        ctx.notes += notes
        ctx.reasoning.append(f"CAD part: {spec.name}; views: {', '.join(v.words for v in spec.views)}; "
                             f"{'ISO first-angle' if spec.projection == 'first' else 'ANSI third-angle'} sheet"
                             + (f" ({'; '.join(notes)})" if notes else ""))
        return [spec]

    def follow_up(self, clause: str, previous: list[dict], ctx: PlanContext,
                  same_request: bool = False) -> list[CadSpec] | None:
        """'rotate it 45° about x', 'also show the left view', 'drop the top view', 'make the holes 8 mm',
        'rotate another 15°', 'third angle' (tools/cad/follow_up.py)."""
        from .follow_up import rework

        return rework(clause, previous, ctx)


def verify_target(value: str, options: dict, call) -> tuple[str, list]:
    """`ivlu verify IMAGE --cad WORDS --view VIEW`: the part and view parsed here (no CAD kernel needed)."""
    view = options.get("view")
    if not view:
        raise IvluError("--cad needs --view.", "the view the image shows, e.g. --view front", "add --view NAME")
    return "ivlu_agent.tools.cad.verify:verify_cad_image", [plan_part(value).model_dump(mode="json"),
                                                           view_from_text(view).model_dump(mode="json")]
