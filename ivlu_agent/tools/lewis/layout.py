"""Where everything of a Lewis structure goes, in pixels: atoms from RDKit's 2-D coordinates, bond strokes,
lone-pair dots in the directions with the most free space around each atom, and formal-charge signs.

The renderer draws exactly this layout and returns it in `meta`; the verifier reads the pixels back at it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

FONT_PX = 22  # height of an element symbol
DOT_R = 3.2  # radius of one electron dot
PAIR_GAP = 10.0  # centre to centre of the two dots of a lone pair
DOT_CLEAR = 8.0  # from the edge of the symbol to the dots
LINE_W = 2.4  # bond stroke width
OFFSETS = {1: (0.0,), 2: (-4.5, 4.5), 3: (-7.5, 0.0, 7.5)}  # parallel strokes of a bond, from its axis
SIGN_LEN = 11.0  # arm length of a '+' or '−'
SIGN_R = 8.0  # room a sign needs around its centre
MARGIN = 40.0  # beyond the outermost atom, dot or sign centre
ANGLES = 72  # directions tried for each lone pair and sign (every 5°)
CLEARANCE_CAP = 30.0  # past this much free space, spread evenly around the atom instead


@dataclass(frozen=True)
class Style:
    """The sizes the layout used; the verifier reads dots and strokes with them."""

    dot_r: float = DOT_R
    pair_gap: float = PAIR_GAP
    line_w: float = LINE_W
    sign_len: float = SIGN_LEN


def label_radius(symbol: str) -> float:
    """Room kept clear around an atom's centre for its symbol (bonds stop here)."""
    return 12.0 if len(symbol) == 1 else 16.0


def _segment_distance(p: tuple[float, float], seg: tuple[float, float, float, float]) -> float:
    x1, y1, x2, y2 = seg
    dx, dy = x2 - x1, y2 - y1
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p[0] - x1) * dx + (p[1] - y1) * dy) / length2))
    return math.hypot(p[0] - (x1 + t * dx), p[1] - (y1 + t * dy))


def _gap(a: float, b: float) -> float:
    """Angle between two directions, in degrees, 0 to 180."""
    d = abs(a - b) % 360
    return min(d, 360 - d)


class _Space:
    """What is already drawn: strokes and discs (symbols, dots, signs), for the free space around a point."""

    def __init__(self) -> None:
        self.segments: list[tuple[float, float, float, float]] = []
        self.discs: list[tuple[float, float, float, int]] = []  # x, y, radius, owner atom (-1: none)

    def clearance(self, points: list[tuple[float, float]], radius: float, own: int) -> float:
        best = CLEARANCE_CAP
        for p in points:
            for seg in self.segments:
                best = min(best, _segment_distance(p, seg) - LINE_W / 2 - radius)
            for x, y, r, owner in self.discs:
                if owner == own and r > DOT_R + 1:  # its own symbol: the dots sit at a fixed distance from it
                    continue
                best = min(best, math.hypot(p[0] - x, p[1] - y) - r - radius)
        return best


def _pair(centre: tuple[float, float], angle: float, distance: float, n: int) -> list[tuple[float, float]]:
    """The dots of one slot at `angle` (degrees, y down): two side by side for a pair, one for an unpaired electron."""
    ux, uy = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    cx, cy = centre[0] + distance * ux, centre[1] + distance * uy
    if n == 1:
        return [(cx, cy)]
    h = PAIR_GAP / 2
    return [(cx - h * uy, cy + h * ux), (cx + h * uy, cy - h * ux)]


def layout(book: dict, coords: list[tuple[float, float]], bond_px: float, width: int = 0) -> dict:
    """The pixel layout of a Lewis structure. `book` is `electrons.bookkeeping`, `coords` RDKit's 2-D
    coordinates (one per atom, y up, bonds about 1.5 long). A `width` wider than the drawing centres it on a
    canvas that wide."""
    scale = bond_px / 1.5
    pts = [(x * scale, -y * scale) for x, y in coords]
    atoms = book["atoms"]
    space = _Space()
    for i, a in enumerate(atoms):
        space.discs.append((*pts[i], label_radius(a["symbol"]), i))
    directions: dict[int, list[float]] = {i: [] for i in range(len(atoms))}
    bonds = []
    for b in book["bonds"]:
        (x1, y1), (x2, y2) = pts[b["begin"]], pts[b["end"]]
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        r1, r2 = label_radius(atoms[b["begin"]]["symbol"]), label_radius(atoms[b["end"]]["symbol"])
        strokes = []
        for off in OFFSETS[b["order"]]:
            nx, ny = -uy * off, ux * off
            strokes.append((x1 + ux * r1 + nx, y1 + uy * r1 + ny, x2 - ux * r2 + nx, y2 - uy * r2 + ny))
        space.segments += strokes
        directions[b["begin"]].append(math.degrees(math.atan2(uy, ux)))
        directions[b["end"]].append(math.degrees(math.atan2(-uy, -ux)))
        bonds.append({**b, "strokes": [[round(v, 2) for v in s] for s in strokes]})
    dots = []
    order = sorted(range(len(atoms)), key=lambda i: -(atoms[i]["lone_pairs"] + atoms[i]["unpaired"]))
    for i in order:
        a = atoms[i]
        distance = label_radius(a["symbol"]) + DOT_CLEAR
        for n in [2] * a["lone_pairs"] + [1] * a["unpaired"]:
            angle = _best_angle(space, pts[i], distance, n, DOT_R, i, directions[i])
            placed = _pair(pts[i], angle, distance, n)
            space.discs += [(x, y, DOT_R, i) for x, y in placed]
            directions[i].append(angle)
            dots.append({"atom": i, "angle": angle, "xy": [[round(x, 2), round(y, 2)] for x, y in placed]})
    charges = []
    for i, a in enumerate(atoms):
        if not a["charge"]:
            continue
        room = SIGN_R + (7.0 if abs(a["charge"]) > 1 else 0.0)  # a digit before the sign: '2−'
        distance = label_radius(a["symbol"]) + room + 2
        angle = _best_angle(space, pts[i], distance, 1, room, i, directions[i], prefer=-45.0)
        (x, y), = _pair(pts[i], angle, distance, 1)
        space.discs.append((x, y, room, i))
        charges.append({"atom": i, "charge": a["charge"], "xy": [round(x, 2), round(y, 2)]})
    return _framed(atoms, pts, bonds, dots, charges, width)


def _best_angle(space: _Space, centre: tuple[float, float], distance: float, n: int, radius: float, own: int,
                taken: list[float], prefer: float | None = None) -> float:
    """The direction whose slot has the most free space; ties go to the direction farthest from the atom's
    bonds and earlier slots (and, for a sign, nearest `prefer`: upper right, where charges are written)."""
    best, best_score = 0.0, -math.inf
    for k in range(ANGLES):
        angle = -180.0 + k * 360.0 / ANGLES
        score = space.clearance(_pair(centre, angle, distance, n), radius, own)
        spread = min((_gap(angle, t) for t in taken), default=180.0)
        score += 0.02 * spread - (0.005 * _gap(angle, prefer) if prefer is not None else 0.0)
        if score > best_score:
            best, best_score = angle, score
    return best


def _framed(atoms: list[dict], pts: list[tuple[float, float]], bonds: list[dict], dots: list[dict],
            charges: list[dict], width: int = 0) -> dict:
    """Shift everything so the drawing starts at the margin; the canvas size follows."""
    xs = [p[0] for p in pts] + [xy[0] for d in dots for xy in d["xy"]] + [c["xy"][0] for c in charges]
    ys = [p[1] for p in pts] + [xy[1] for d in dots for xy in d["xy"]] + [c["xy"][1] for c in charges]
    span_x, span_y = max(xs) - min(xs) + 2 * MARGIN, max(ys) - min(ys) + 2 * MARGIN
    width, height = max(160, math.ceil(span_x), width), max(120, math.ceil(span_y))
    dx = MARGIN - min(xs) + (width - span_x) / 2  # centred when the minimum size pads it
    dy = MARGIN - min(ys) + (height - span_y) / 2

    def moved(x: float, y: float) -> list[float]:
        return [round(x + dx, 2), round(y + dy, 2)]

    return {
        "size": [width, height],
        "style": asdict(Style()),
        "atoms": [{"symbol": a["symbol"], "xy": moved(*pts[i]), "charge": a["charge"], "lone_pairs": a["lone_pairs"],
                   "unpaired": a["unpaired"]} for i, a in enumerate(atoms)],
        "bonds": [{**b, "strokes": [moved(s[0], s[1]) + moved(s[2], s[3]) for s in b["strokes"]]} for b in bonds],
        "dots": [{**d, "xy": [moved(*xy) for xy in d["xy"]]} for d in dots],
        "charges": [{**c, "xy": moved(*c["xy"])} for c in charges],
    }
