"""The CAD rule's vocabulary: numbers and units, part nouns, counts, the words it knows, and the views,
rotations and projection a request names. `rule.py` builds parts from these; `ivlu verify --view`
reads a view with `view_from_text`."""

from __future__ import annotations

import math
import re

from ...errors import IvluError
from .spec import ORTHO_VIEWS, View

NUM = r"-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|\.\d+)"


PARTS = [
    ("l_bracket", r"\bl[\s-]?brackets?\b|\bangle brackets?\b|\bbrackets?\b"),
    ("tube", r"\b(?:tubes?|pipes?|sleeves?|bushings?|spacers?|washers?|annul(?:us|i))\b"),
    ("hex", r"\bhex(?:agon(?:al)?)?(?:\s+(?:prism|bar|nut|block))?\b"),
    ("cylinder", r"\b(?:cylinders?|rods?|discs?|disks?|pucks?|shafts?|round bar)\b"),
    ("box", r"\b(?:plates?|blocks?|box(?:es)?|slabs?|cuboids?|cubes?|bars?|bricks?)\b"),
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
y z degrees degree solid rectangular square elevation elevations down along
row line evenly equally inset distance drilled centered center
inch inches washer washers annulus
cube cubes side sides edge size
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


_INCH = r"(?:inches|inch|in\.|\"|″|in(?=\s+(?:od|id|long|wide|thick|high|tall|deep|diameter|dia|outside|inside|outer|inner|across)\b))"
INCHES = re.compile(rf"({NUM})\s*{_INCH}(?=\s|$|,|;|\.)")
INCH_CHAIN = re.compile(rf"({NUM})\s*(?:x|by|×)\s*({NUM})(?:\s*(?:x|by|×)\s*({NUM}))?\s*{_INCH}(?=\s|$|,|;|\.)")


def _to_mm(m: re.Match) -> str:
    return " x ".join(f"{float(v) * 25.4:g} mm" for v in m.groups() if v)


def inches_written(text: str) -> list[str]:
    """The sizes a request gives in inches ('3 x 2 x 1 inch', '0.5 inch'), as written, for the part's title."""
    t = f" {text.lower()} "
    out = [v for m in INCH_CHAIN.finditer(t) for v in m.groups() if v]
    single = re.compile(rf"((?<![\d.])\d+/\d+|{NUM})\s*{_INCH}(?=\s|$|,|;|\.)")  # '1/2 inch' stays a fraction
    return out + [m.group(1) for m in single.finditer(INCH_CHAIN.sub(" ", t))]


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
    t = re.sub(r"(?<![\d.])(\d+)/(\d+)(?=\s*(?:inches|inch|in\b|\"|″))",  # '1/2 inch', '1/8"'
               lambda m: f"{int(m.group(1)) / int(m.group(2)):g}" if int(m.group(2)) else m.group(), t)
    t = re.sub(r"\bacross\s+the\s+flats\b", "across flats", t)
    t = INCH_CHAIN.sub(_to_mm, t)  # drawings are in mm; the part's title keeps the inches
    t = INCHES.sub(lambda m: f"{float(m.group(1)) * 25.4:g} mm", t)
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
