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
from .spec import MAX_FEATURES, ORTHO_VIEWS, CadSpec, View, describe_part, make_cad_spec

NUM = r"-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|\.\d+)"
PARTS = [
    ("l_bracket", r"\bl[\s-]?brackets?\b|\bangle brackets?\b|\bbrackets?\b"),
    ("tube", r"\b(?:tubes?|pipes?|sleeves?|bushings?|spacers?)\b"),
    ("hex", r"\bhex(?:agon(?:al)?)?(?:\s+(?:prism|bar|nut|block))?\b"),
    ("cylinder", r"\b(?:cylinders?|rods?|discs?|disks?|pucks?|shafts?|round bar)\b"),
    ("box", r"\b(?:plates?|blocks?|box(?:es)?|slabs?|cuboids?|bars?|bricks?)\b"),
]
PART_RE = re.compile("|".join(f"(?:{p})" for _, p in PARTS))
COUNTS = {"a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
          "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "pair of": 2}
VIEW_WORDS = {"front": "front", "top": "top", "plan": "top", "right": "right", "side": "right", "end": "right",
              "left": "left", "bottom": "bottom", "underside": "bottom", "back": "back", "rear": "back",
              "iso": "iso", "isometric": "iso"}
FACE_WORDS = {"top", "bottom", "front", "back", "left", "right", "base", "upright"}
# Every word a part request may use; others are reported as ignored.
_WORDS = """
a an the with and of on in into at to by from for its it this that them one each every both all six three
two four five seven eight nine ten twelve pair single x mm cm deg about around axis rotate rotated
rotating turn turned show draw make render give me please display create generate model part drawing sheet
view views orthographic projection first third angle iso ansi standard plus having then now also instead
only same again top bottom front back left right side plan end rear underside isometric isometrically base
upright leg legs face faces surface edge edges corner corners outline vertical upper lower length long
width wide height high tall thickness thick deep depth diameter radius outer inner outside inside od id
bore across flats af hex hexagon hexagonal prism nut plate plates block blocks box boxes slab cuboid bar
bars brick cylinder cylinders rod rods disc disk puck shaft round tube tubes pipe sleeve bushing
spacer bracket brackets l hole holes bores through blind drilled axial centre middle centred central
counterbore counterbored counterbores slot slots pocket pockets recess boss bosses fillet fillets filleted
rounded rounds chamfer chamfers chamfered bevelled beveled apart spaced between circle bolt pitch pcd is
are be as has
"""
VOCABULARY = frozenset(_WORDS.split())
FEATURE_RE = re.compile(r"\b(holes?|bores?|slots?|pockets?|recess(?:es)?|bosses|boss|fillets?|filleted|rounded|"
                        r"rounds?|chamfers?|chamfered|bevell?ed)\b")


def number(token: str, what: str) -> float:
    """A number from the words, or a clear error naming what it was meant to be."""
    try:
        value = float(token.replace(",", ""))
    except ValueError:
        raise IvluError(f"The {what} {token!r} is not a number.", f"a number for the {what}, e.g. 45",
                        "write it in digits") from None
    if not math.isfinite(value):
        raise IvluError(f"The {what} {token!r} is not a finite number.", "a number such as 45", "write it in digits")
    return value


def normalise(text: str) -> str:
    """Lower case, one spelling per symbol ('x', 'diameter', 'deg', 'mm'), thousands separators dropped,
    and positions written 'at (u | v)' so that splitting at commas leaves them whole."""
    t = f" {text.lower()} "
    t = re.sub(r"(?<=\d),(?=\d{3}\b)", "", t)
    t = re.sub(rf"\bat\s*\(?\s*({NUM})\s*(?:mm)?\s*,\s*({NUM})\s*(?:mm)?\s*\)?", r" at (\1 | \2) ", t)
    t = re.sub(r"[×✕*]", " x ", t)
    t = re.sub(r"[øØ⌀∅]", " diameter ", t)
    t = re.sub(r"°|º", " deg ", t)
    t = re.sub(r"\bdegrees?\b", " deg ", t)
    t = re.sub(r"\b(?:dia|diam)\b\.?", " diameter ", t)
    t = re.sub(r"(\d)\s*(?:millimet(?:re|er)s?|mm)\b", r"\1 mm", t)
    t = re.sub(r"(?<=\d)x(?=\s*\d)|(?<=\d)\s+x(?=\d)", " x ", t)
    t = re.sub(r"\bby\b(?=\s*-?\d)", " x ", t)
    t = re.sub(r"\br(?=\d)", " radius ", t)
    t = re.sub(r"(\d)(cm)\b", r"\1 \2", t)
    t = re.sub(r"\bcentres?\b|\bcenters?\b", " centre ", t)
    return re.sub(r"[ \t]+", " ", t)


class Words:
    """A phrase whose matched pieces are blanked out as they are understood."""

    def __init__(self, text: str):
        self.text = text

    def take(self, pattern: str) -> re.Match | None:
        m = re.search(pattern, self.text)
        if m:
            self.text = self.text[:m.start()] + " " * (m.end() - m.start()) + self.text[m.end():]
        return m

    def take_all(self, pattern: str) -> list[re.Match]:
        found = []
        while (m := self.take(pattern)) is not None:
            found.append(m)
        return found

    def numbers(self) -> list[str]:
        return re.findall(NUM, self.text)


def mm(m: re.Match, group: str | int = 1) -> float:
    """A length in mm from a match; 'cm' after the number multiplies by 10."""
    value = number(m.group(group), "size")
    tail = m.string[m.end(group):m.end(group) + 4]
    return value * 10 if re.match(r"\s*cm\b", tail) else value


# -- views, rotations and projection ----------------------------------------------------------------


def take_rotations(w: Words) -> list[View]:
    """'rotated 30 deg about z', 'rotate it by 45 deg around the x axis' → one rotated view.

    Several turns in one clause combine as rx, then ry, then rz (the order `View` applies them in).
    """
    keywords = w.take_all(r"\brotat\w*\b(?:\s+(?:it|them|this|that|the \w+))?(?:\s+by)?")
    if not keywords:
        return []
    turns = w.take_all(r"(?<=[\s,])(?P<a>[^\s,]+)\s*(?:deg\b)?\s*(?:about|around)\s+(?:the\s+)?(?P<ax>[xyz])\b"
                       r"(?:[\s-]*axis)?")
    if not turns:
        raise IvluError(f"'{keywords[0].group().strip()}' does not say by how much or about which axis.",
                        "an angle and an axis, e.g. 'rotated 30° about z'", "add the angle and the axis")
    angles = {"x": 0.0, "y": 0.0, "z": 0.0}
    for t in turns:
        angles[t.group("ax")] += number(t.group("a"), "angle")
    return [View(name="rotated", rx=angles["x"], ry=angles["y"], rz=angles["z"])]


def take_projection(w: Words) -> str | None:
    if w.take(r"\bfirst[\s-]angle(?:\s+projection)?\b|\biso\s+(?:projection|standard|128)\b"):
        return "first"
    if w.take(r"\bthird[\s-]angle(?:\s+projection)?\b|\bansi(?:\s+projection)?\b"):
        return "third"
    return None


def take_views(w: Words) -> list[View]:
    """Named views: 'front, top and right views', 'an isometric view', 'all six views'."""
    names: list[str] = []
    if w.take(r"\b(?:all(?:\s+six)?|six)\s+(?:orthographic\s+)?views\b"):
        names += list(ORTHO_VIEWS)
    if w.take(r"\bthree\s+views\b"):
        names += ["front", "top", "right"]
    for m in list(re.finditer(r"\bviews?\b", w.text)):
        before = w.text[:m.start()].replace("/", " ").split()  # 'front/top/side views'
        found, i = [], len(before) - 1
        while i >= 0 and (before[i].strip(",") in VIEW_WORDS or before[i].strip(",") in ("and", "&", "the", "")):
            word = before[i].strip(",")
            if word in VIEW_WORDS:
                found.insert(0, VIEW_WORDS[word])
            i -= 1
        if not found:
            word = before[-1].strip(",") if before else ""
            if word and not re.fullmatch(NUM, word) and word not in ("the", "a", "in", "and", "of", "orthographic",
                                                                    "its", "these", "those", "each", "every"):
                raise IvluError(f"Unknown view {word!r}.",
                                "front, top, right, left, bottom, back, isometric, or 'rotated N° about x|y|z'",
                                "name one of those views")
            continue
        names += found
        w.text = " ".join(before[:i + 1]) + " " * (len(w.text[:m.end()]) - len(" ".join(before[:i + 1]))) \
            + w.text[m.end():]
    if w.take(r"\bisometric(?:ally)?\b|\bin iso\b"):
        names.append("iso")
    return [View(name=n) for n in dict.fromkeys(names)]


def view_from_text(text: str) -> View:
    """A view from a name or a file stem: 'front', 'isometric', 'rotated-z30', 'rotated 30° about z'."""
    t = text.strip().lower()
    stem = re.fullmatch(r"rotated((?:-[xyz]-?[\d.]+)+|-0)", t)
    if stem:
        angles = {ax: float(v) for ax, v in re.findall(r"-([xyz])(-?[\d.]+)", stem.group(1))}
        return View(name="rotated", rx=angles.get("x", 0), ry=angles.get("y", 0), rz=angles.get("z", 0))
    if t in VIEW_WORDS:
        return View(name=VIEW_WORDS[t])
    w = Words(normalise(t))
    rotated = take_rotations(w)
    if rotated:
        return rotated[0]
    raise IvluError(f"Unknown view {text!r}.",
                    "front, top, right, left, bottom, back, iso, or 'rotated 30 about z' (file stem 'rotated-z30')",
                    "name one of those views")


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


def take_base(w: Words, kind: str, noun: str, notes: list[str]) -> dict:
    triple = w.take(rf"({NUM})\s*(?:mm|cm)?\s*x\s*({NUM})\s*(?:mm|cm)?\s*x\s*({NUM})(?:\s*(?:mm|cm))?")
    pair = None if triple else w.take(rf"({NUM})\s*(?:mm|cm)?\s*x\s*({NUM})(?:\s*(?:mm|cm))?")
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
            notes.append(f"the L bracket's legs are both {length:g} mm (equal legs, as 'L bracket {length:g} by "
                         f"{width:g} by {thickness:g}' reads); say 'height H' for a different upright leg")
        return {"shape": "l_bracket", "length": length, "width": width, "height": height, "thickness": thickness}
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
        height = _named(w, "height|length", "high|tall|long")
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
    if w.take(r"\b(?:at|in) the (?:centre|middle)\b|\bcentred\b|\bcentral\b"):
        return (0.0, 0.0)
    return None


def _spread(count: int, spacing: float | None, circle: float | None, along_u: bool, what: str) -> list:
    """Positions of `count` equal features: centred in a row `spacing` apart, or on a circle."""
    if count == 1:
        return [(0.0, 0.0)]
    if circle is not None:
        r = circle / 2
        return [(round(r * math.cos(2 * math.pi * k / count), 6), round(r * math.sin(2 * math.pi * k / count), 6))
                for k in range(count)]
    if spacing is None:
        raise IvluError(f"The spacing of the {count} {what}s is missing.",
                        f"where they go, e.g. '{count} {what}s 40 mm apart' or 'on a 50 mm bolt circle'",
                        "give the distance between them")
    offsets = [(k - (count - 1) / 2) * spacing for k in range(count)]
    return [(o, 0.0) if along_u else (0.0, o) for o in offsets]


def _placed(at: tuple[float, float] | None, what: str, where: str, notes: list[str]) -> tuple[float, float]:
    """A lone feature without a position sits at the centre of its face, and the plan says so."""
    if at is not None:
        return at
    notes.append(f"the {what} is centred on {where} (no position was given; say 'at (x, y)' to place it)")
    return (0.0, 0.0)


def plan_feature(phrase: str, part: dict, notes: list[str]) -> list[dict]:
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
        depth_m = w.take(rf"({NUM})\s*(?:mm)?\s*deep\b") or w.take(rf"\bdepth\s*({NUM})")
        spacing_m = w.take(rf"({NUM})\s*(?:mm)?\s*(?:apart|between centres|centre to centre)\b") or \
            w.take(rf"\bon\s+({NUM})\s*(?:mm)?\s*centres?\b|\bspaced\s+({NUM})")
        circle_m = w.take(rf"\bon\s+an?\s+({NUM})\s*(?:mm)?\s*(?:diameter\s+)?(?:bolt|pitch)?\s*(?:circle|pcd)\b")
        dia_m = w.take(rf"({NUM})\s*(?:mm|cm)?\s*(?:diameter\s*)?(?:\w+\s+)?(?:holes?|bores?)\b") or \
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
            positions = _spread(count, spacing, circle, along_u, "hole")
        elif at is None and axial and part["shape"] in ("cylinder", "tube"):
            positions = [(0.0, 0.0)]  # 'axial' says where it goes
        else:
            positions = [_placed(at, "hole", "each leg" if each_leg else f"the {face} face", notes)]
        if axial and part["shape"] not in ("cylinder", "tube"):
            notes.append("'axial' read as a hole through the middle of the top face")
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
        positions = [_placed(at, "slot", f"the {face} face", notes)] if count == 1 else _spread(
            count, mm(spacing_m) if spacing_m else None, None, not along_u, "slot")
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
        feats.append({"type": "pocket", "face": face, "at": _placed(_position(w), "pocket", f"the {face} face", notes),
                      "length": length, "width": width, "depth": depth})
    elif kind.startswith("boss"):
        bare = w.take(rf"({NUM})\s*(?:mm)?\s*(?:diameter\s+)?boss")
        diameter = _named(w, "diameter") or (mm(bare) if bare else None)
        height = _named(w, "height", "high|tall|long")
        got = {"diameter": diameter, "height": height}
        missing = [k for k, v in got.items() if v is None]
        if missing:
            raise _missing("boss", missing, got, "a 10 mm boss 5 mm high")
        face = _face(w, base_faces)
        feats.append({"type": "boss", "face": face, "at": _placed(_position(w), "boss", f"the {face} face", notes),
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
            notes.append(f"the {'chamfer' if chamfer else 'fillet'} goes on the {edges} edges "
                         "(say 'vertical', 'top' or 'bottom' edges to choose)")
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


def plan_part(text: str, notes: list[str] | None = None) -> CadSpec:
    """A CadSpec from plain words; raises IvluError naming what is missing or not understood."""
    notes = notes if notes is not None else []
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
    phrases = re.split(r",|;|\bwith\b|\band\b|\bplus\b|\bhaving\b", w.text)
    base_phrases = [p for p in phrases if not FEATURE_RE.search(p)]
    base_words = Words(" ; ".join(base_phrases))  # ';' keeps a size from pairing across phrases
    part = take_base(base_words, kind, found.group(), notes)
    _no_leftovers(base_words, text)
    features: list[dict] = []
    for phrase in phrases:
        if FEATURE_RE.search(phrase):
            features += plan_feature(phrase, part, notes)
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
    spec.name = describe_part(spec, noun=re.sub(r"(?:e?s)$", "", found.group()) if kind == "box" else None)
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
        spec = plan_part(clause, notes)
        ctx.notes += notes
        ctx.reasoning.append(f"CAD part: {spec.name}; views: {', '.join(v.words for v in spec.views)}; "
                             f"{'ISO first-angle' if spec.projection == 'first' else 'ANSI third-angle'} sheet"
                             + (f" ({'; '.join(notes)})" if notes else ""))
        return [spec]

    def follow_up(self, clause: str, previous: list[dict], ctx: PlanContext,
                  same_request: bool = False) -> list[CadSpec] | None:
        """'rotate it 45° about x', 'show the left view', 'third angle'. On a thread the new views replace
        the old ones; earlier in the same request they are added to the views already asked for."""
        parts = [s for s in previous if s.get("kind") == "cad"]
        if not parts:
            return None
        w = Words(normalise(clause))
        rotated = take_rotations(w)
        projection = take_projection(w)
        views = take_views(w)
        if not (rotated or projection or views):
            return None
        steps = []
        for old in parts:
            spec = CadSpec.model_validate(old)
            update: dict = {}
            if rotated or views:
                kept = list(spec.views) if same_request else []
                update["views"] = list({v.label: v for v in [*kept, *views, *rotated]}.values())
            if projection:
                update["projection"] = projection
            steps.append(spec.model_copy(update=update))
        ctx.reasoning.append("Redrawing " + ", ".join(s.caption() for s in steps) + ": "
                             + ", ".join(v.words for v in steps[0].views)
                             + (f"; {projection}-angle projection" if projection else ""))
        return steps


def verify_target(value: str, options: dict, call) -> tuple[str, list]:
    """`ivlu verify IMAGE --cad WORDS --view VIEW`: the part and view parsed here (no CAD kernel needed)."""
    view = options.get("view")
    if not view:
        raise IvluError("--cad needs --view.", "the view the image shows, e.g. --view front", "add --view NAME")
    return "ivlu_agent.tools.cad.verify:verify_cad_image", [plan_part(value).model_dump(mode="json"),
                                                           view_from_text(view).model_dump(mode="json")]
