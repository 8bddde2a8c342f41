"""Geometry of a CadSpec's part, in pure Python (no CAD kernel): the faces that carry features,
each feature's outline on its face, the polygon helpers, `check_part` (which rejects a part that
cannot be made: a hole wider than its face, a feature outside the body, features that cut into
each other) and the `expected_*` measures (volume, bounding box, hole walls) and hole labels that
the built solid and its sheet must show. Faces and their (u, v) axes are listed in `spec.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...errors import IvluError
from .spec import (
    CUTS,
    MAX_SIZE_MM,
    MIN_SIZE_MM,
    MIN_WALL_MM,
    Boss,
    Box,
    CadSpec,
    Chamfer,
    Counterbore,
    Cylinder,
    Extrusion,
    Fillet,
    Hole,
    LBracket,
    Pocket,
    Slot,
    Tube,
    feature_words,
)

# -- faces and feature outlines ----------------------------------------------------------------------

Vec = tuple[float, float, float]


@dataclass(frozen=True)
class Face:
    """A planar face that can carry features. Region: 'rect' (half sizes), 'circle', 'annulus' or 'polygon'."""

    name: str
    origin: Vec
    normal: Vec
    u: Vec
    v: Vec
    thickness: float  # material depth under the face, along -normal
    region: str
    half: tuple[float, float]  # half extents of the face in u and v
    radius: float = 0.0
    inner: float = 0.0
    polygon: tuple[tuple[float, float], ...] = ()

    def point(self, u: float, v: float, n: float = 0.0) -> Vec:
        return tuple(o + u * a + v * b + n * c for o, a, b, c in zip(self.origin, self.u, self.v, self.normal))

    def words(self) -> str:
        if self.region == "rect":
            return f"the {self.name} face ({2 * self.half[0]:g} × {2 * self.half[1]:g} mm)"
        if self.region == "circle":
            return f"the {self.name} face (Ø{2 * self.radius:g} mm)"
        if self.region == "annulus":
            return f"the {self.name} face (a ring Ø{2 * self.inner:g} to Ø{2 * self.radius:g} mm)"
        return f"the {self.name} face ({2 * self.half[0]:g} × {2 * self.half[1]:g} mm polygon)"

    def inside(self, u: float, v: float, margin: float) -> bool:
        if self.region == "rect":
            return abs(u) <= self.half[0] - margin + 1e-9 and abs(v) <= self.half[1] - margin + 1e-9
        r = math.hypot(u, v)
        if self.region == "circle":
            return r <= self.radius - margin + 1e-9
        if self.region == "annulus":
            return self.inner + margin - 1e-9 <= r <= self.radius - margin + 1e-9
        return point_in_polygon(u, v, self.polygon) and distance_to_outline(u, v, self.polygon) >= margin - 1e-9


def centred_polygon(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    return [(x - cx, y - cy) for x, y in points]


def faces(part) -> dict[str, Face]:
    """The faces of a base solid that features may be placed on."""
    if isinstance(part, Box):
        L, W, H = part.length, part.width, part.height
        rect = lambda a, b: {"region": "rect", "half": (a / 2, b / 2)}
        return {
            "top": Face("top", (0, 0, H), (0, 0, 1), (1, 0, 0), (0, 1, 0), H, **rect(L, W)),
            "bottom": Face("bottom", (0, 0, 0), (0, 0, -1), (1, 0, 0), (0, -1, 0), H, **rect(L, W)),
            "front": Face("front", (0, -W / 2, H / 2), (0, -1, 0), (1, 0, 0), (0, 0, 1), W, **rect(L, H)),
            "back": Face("back", (0, W / 2, H / 2), (0, 1, 0), (-1, 0, 0), (0, 0, 1), W, **rect(L, H)),
            "right": Face("right", (L / 2, 0, H / 2), (1, 0, 0), (0, 1, 0), (0, 0, 1), L, **rect(W, H)),
            "left": Face("left", (-L / 2, 0, H / 2), (-1, 0, 0), (0, -1, 0), (0, 0, 1), L, **rect(W, H)),
        }
    if isinstance(part, (Cylinder, Tube)):
        R = (part.diameter if isinstance(part, Cylinder) else part.outer_diameter) / 2
        ri = part.inner_diameter / 2 if isinstance(part, Tube) else 0.0
        region = {"region": "annulus" if ri else "circle", "half": (R, R), "radius": R, "inner": ri}
        return {
            "top": Face("top", (0, 0, part.height), (0, 0, 1), (1, 0, 0), (0, 1, 0), part.height, **region),
            "bottom": Face("bottom", (0, 0, 0), (0, 0, -1), (1, 0, 0), (0, -1, 0), part.height, **region),
        }
    if isinstance(part, LBracket):
        L, W, H, t = part.length, part.width, part.height, part.thickness
        return {
            "base": Face("base", (t / 2, 0, t), (0, 0, 1), (1, 0, 0), (0, 1, 0), t,
                         region="rect", half=((L - t) / 2, W / 2)),
            "upright": Face("upright", (-L / 2 + t, 0, (H + t) / 2), (1, 0, 0), (0, 1, 0), (0, 0, 1), t,
                            region="rect", half=(W / 2, (H - t) / 2)),
        }
    pts = centred_polygon(part.points)
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    half = (max(xs), max(ys))
    return {
        "top": Face("top", (0, 0, part.height), (0, 0, 1), (1, 0, 0), (0, 1, 0), part.height,
                    region="polygon", half=half, polygon=tuple(pts)),
        "bottom": Face("bottom", (0, 0, 0), (0, 0, -1), (1, 0, 0), (0, -1, 0), part.height,
                       region="polygon", half=half, polygon=tuple((x, -y) for x, y in pts)),
    }


def footprint(f, samples: int = 48) -> list[tuple[float, float]]:
    """The outline of a face feature in its face's (u, v) coordinates."""
    cu, cv = f.at
    if isinstance(f, Pocket):
        a, b = f.length / 2, f.width / 2
        return [(cu - a, cv - b), (cu + a, cv - b), (cu + a, cv + b), (cu - a, cv + b)]
    if isinstance(f, Slot):
        r, half = f.width / 2, (f.length - f.width) / 2
        c, s = math.cos(math.radians(f.angle)), math.sin(math.radians(f.angle))
        pts = []
        for end, start in ((half, -90.0), (-half, 90.0)):
            for i in range(samples // 2 + 1):
                a = math.radians(start + 180.0 * i / (samples // 2))
                x, y = end + r * math.cos(a), r * math.sin(a)
                pts.append((cu + x * c - y * s, cv + x * s + y * c))
        return pts
    r = {Hole: lambda: f.diameter, Counterbore: lambda: f.cbore_diameter, Boss: lambda: f.diameter}[type(f)]() / 2
    return [(cu + r * math.cos(2 * math.pi * i / samples), cv + r * math.sin(2 * math.pi * i / samples))
            for i in range(samples)]


def cut_depth(f, face: Face) -> float:
    """How deep a cut feature goes, along -normal."""
    if isinstance(f, Counterbore):
        return face.thickness
    return face.thickness if f.depth is None else f.depth


def point_in_polygon(x: float, y: float, poly) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(poly, [*poly[1:], poly[0]]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _segment_distance(px, py, ax, ay, bx, by) -> float:
    dx, dy = bx - ax, by - ay
    t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def distance_to_outline(x: float, y: float, poly) -> float:
    return min(_segment_distance(x, y, *a, *b) for a, b in zip(poly, [*poly[1:], poly[0]]))


def _segments_cross(a, b, c, d) -> bool:
    def orient(p, q, r):
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    return (orient(a, b, c) * orient(a, b, d) < 0) and (orient(c, d, a) * orient(c, d, b) < 0)


def polygon_area(poly) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(poly, [*poly[1:], poly[0]]))) / 2


def _interior_angles(poly) -> list[float]:
    """Interior angle at each corner, radians (polygon in either winding)."""
    sign = 1 if sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(poly, [*poly[1:], poly[0]])) > 0 else -1
    angles = []
    for i, (x, y) in enumerate(poly):
        (px, py), (nx, ny) = poly[i - 1], poly[(i + 1) % len(poly)]
        a1, a2 = math.atan2(py - y, px - x), math.atan2(ny - y, nx - x)
        turn = (a1 - a2) % (2 * math.pi) if sign > 0 else (a2 - a1) % (2 * math.pi)
        angles.append(turn)
    return angles


# -- validation ----------------------------------------------------------------------------------


def _bad(problem: str, expected: str, fix: str) -> IvluError:
    return IvluError(problem, expected, fix)


def _check_base(p) -> None:
    if isinstance(p, Tube) and p.inner_diameter >= p.outer_diameter - 2 * MIN_WALL_MM:
        raise _bad(f"The tube's inner diameter {p.inner_diameter:g} mm leaves no wall inside its outer "
                   f"diameter {p.outer_diameter:g} mm.", "inner diameter smaller than the outer one",
                   "swap or correct the diameters")
    if isinstance(p, LBracket) and p.thickness >= min(p.length, p.height) - MIN_WALL_MM:
        raise _bad(f"The L bracket's thickness {p.thickness:g} mm is not less than its legs "
                   f"({p.length:g} and {p.height:g} mm).", "legs longer than the thickness",
                   "give a thinner bracket or longer legs")
    if isinstance(p, Extrusion):
        pts = p.points
        n = len(pts)
        edges = [(pts[i], pts[(i + 1) % n]) for i in range(n)]
        for i in range(n):
            for j in range(i + 2, n):
                if i == 0 and j == n - 1:
                    continue
                if _segments_cross(*edges[i], *edges[j]):
                    raise _bad("The extrusion's profile crosses itself.", "a simple polygon, corners in order",
                               "reorder the points")
        if polygon_area(pts) < MIN_SIZE_MM ** 2:
            raise _bad("The extrusion's profile has no area.", "at least three corners that enclose an area",
                       "check the points")
        xs, ys = [q[0] for q in pts], [q[1] for q in pts]
        if max(xs) - min(xs) > MAX_SIZE_MM or max(ys) - min(ys) > MAX_SIZE_MM:
            raise _bad("The extrusion's profile is larger than 5000 mm.", "sizes up to 5000 mm", "scale it down")


def _blend_size(f) -> float:
    return f.radius if isinstance(f, Fillet) else f.size


def _check_blends(p, blends: list) -> float:
    """Fillets and chamfers: which edge sets a base allows, and how large. Returns the largest blend size."""
    seen: dict[str, str] = {}
    for f in blends:
        what = feature_words(f)
        size = _blend_size(f)
        if f.edges in seen:
            raise _bad(f"The {f.edges} edges are rounded twice ({seen[f.edges]} and {what}).",
                       "one fillet or chamfer per edge set", "keep one of them")
        seen[f.edges] = what
        if isinstance(p, (LBracket,)):
            raise _bad(f"Fillets and chamfers on an L bracket are not supported ({what}).",
                       "fillets and chamfers on boxes, cylinders, tubes and extrusions", "drop it")
        if isinstance(p, (Cylinder, Tube)) and f.edges == "vertical":
            raise _bad(f"A {p.shape} has no vertical edges to round ({what}).", "'top' or 'bottom' edges",
                       "say 'fillet the top edge'")
        if isinstance(p, Extrusion) and f.edges != "vertical":
            raise _bad(f"Only the vertical edges of an extrusion can be rounded ({what}).", "'vertical' edges",
                       "round the vertical edges instead")
        if isinstance(p, Box):
            limit = min(p.length, p.width) / 2 if f.edges == "vertical" else min(min(p.length, p.width) / 2,
                                                                                 p.height)
        elif isinstance(p, Cylinder):
            limit = min(p.diameter / 2, p.height)
        elif isinstance(p, Tube):
            limit = min((p.outer_diameter - p.inner_diameter) / 2 - MIN_WALL_MM, p.height)
        else:
            limit = _extrusion_blend_limit(p, f)
        if size >= limit:
            raise _bad(f"The {what} is too large for the part.", f"a size below {limit:g} mm",
                       "use a smaller radius or size")
    if "vertical" in seen and ({"top", "bottom"} & set(seen)):
        raise _bad("Rounding the vertical edges and the top or bottom outline together is not supported.",
                   "vertical edges, or top and/or bottom edges", "keep one kind")
    if {"top", "bottom"} <= set(seen):
        total = sum(_blend_size(f) for f in blends if f.edges in ("top", "bottom"))
        height = p.height
        if total >= height:
            raise _bad(f"The top and bottom edge blends ({total:g} mm together) meet in the {height:g} mm "
                       "height.", f"less than {height:g} mm together", "make them smaller")
    return max((_blend_size(f) for f in blends), default=0.0)


def _extrusion_blend_limit(p: Extrusion, f) -> float:
    pts = centred_polygon(p.points)
    angles = _interior_angles(pts)
    if any(a >= math.pi - 1e-6 for a in angles):
        raise _bad("Only convex profiles can have their vertical edges rounded.", "a convex polygon",
                   "drop the fillet or chamfer")
    n = len(pts)
    limit = math.inf
    for i in range(n):
        side = math.dist(pts[i], pts[(i + 1) % n])
        # the blend's set-back at both ends of a side must fit on it
        back = lambda a: math.tan(math.pi / 2 - a / 2) if isinstance(f, Fillet) else 1.0
        limit = min(limit, side / (back(angles[i]) + back(angles[(i + 1) % n])))
    return limit


def check_part(s: CadSpec) -> None:
    """Raise IvluError when the part cannot be made as described."""
    p = s.part
    _check_base(p)
    blends = [f for f in s.features if isinstance(f, (Fillet, Chamfer))]
    margin = MIN_WALL_MM + _check_blends(p, blends)
    available = faces(p)
    placed: list[tuple[int, object, Face, list]] = []
    for i, f in enumerate(s.features, start=1):
        if isinstance(f, (Fillet, Chamfer)):
            continue
        what = feature_words(f)
        face = available.get(f.face)
        if face is None:
            raise _bad(f"A {p.shape.replace('_', ' ')} has no '{f.face}' face for the {what}.",
                       "one of the faces " + ", ".join(available), f"put it on the {next(iter(available))} face")
        if isinstance(f, Counterbore) and f.cbore_diameter <= f.diameter:
            raise _bad(f"The counterbore Ø{f.cbore_diameter:g} is not wider than its hole Ø{f.diameter:g}.",
                       "a counterbore diameter larger than the hole's", "swap or correct the diameters")
        if isinstance(f, Slot) and f.length <= f.width:
            raise _bad(f"The slot is {f.length:g} mm long but {f.width:g} mm wide.", "a length above the width",
                       "give a longer slot, or ask for a hole")
        outline = footprint(f)
        us, vs = [q[0] for q in outline], [q[1] for q in outline]
        span_u, span_v = max(us) - min(us), max(vs) - min(vs)
        face_u = 2 * (face.half[0] if face.region != "annulus" else (face.radius - face.inner) / 2)
        face_v = 2 * (face.half[1] if face.region != "annulus" else (face.radius - face.inner) / 2)
        if max(span_u, span_v) > max(face_u, face_v) - 2 * margin or min(span_u, span_v) > min(face_u, face_v) - 2 * margin:
            raise _bad(f"The {what} is wider than {face.words()}.", "features smaller than their face",
                       "make the feature smaller or put it on a larger face")
        if not all(face.inside(u, v, margin) for u, v in outline):
            raise _bad(f"The {what} at ({f.at[0]:g}, {f.at[1]:g}) falls outside {face.words()}.",
                       f"its whole outline inside the face, {margin:g} mm from the edges "
                       "(positions are measured from the face's centre)",
                       "move it towards the centre or make it smaller")
        if isinstance(f, CUTS):
            depth = cut_depth(f, face)
            deepest = f.cbore_depth if isinstance(f, Counterbore) else (getattr(f, "depth", None) or 0)
            if deepest and deepest >= face.thickness - MIN_WALL_MM and not (isinstance(f, Slot) and f.depth is None):
                raise _bad(f"The {what} is {deepest:g} mm deep but the part is {face.thickness:g} mm thick there.",
                           f"less than {face.thickness - MIN_WALL_MM:g} mm",
                           "give a shallower depth, or leave the depth out for a through feature")
            span = (-depth, 0.0)
        else:
            span = (0.0, f.height)
        placed.append((i, f, face, _box3d(face, outline, span)))
    for a in range(len(placed)):
        for b in range(a + 1, len(placed)):
            ia, fa, face_a, box_a = placed[a]
            ib, fb, face_b, box_b = placed[b]
            if face_a is face_b:
                clash = _outlines_overlap(footprint(fa), footprint(fb), MIN_WALL_MM)
            else:
                clash = all(lo1 < hi2 + MIN_WALL_MM and lo2 < hi1 + MIN_WALL_MM
                            for (lo1, hi1), (lo2, hi2) in zip(box_a, box_b))
            if clash:
                raise _bad(f"Features {ia} ({feature_words(fa)}) and {ib} ({feature_words(fb)}) overlap.",
                           f"features at least {MIN_WALL_MM:g} mm apart", "move one of them or make them smaller")


def _box3d(face: Face, outline, span) -> list[tuple[float, float]]:
    us, vs = [q[0] for q in outline], [q[1] for q in outline]
    corners = [face.point(u, v, n) for u in (min(us), max(us)) for v in (min(vs), max(vs)) for n in span]
    return [(min(c[k] for c in corners), max(c[k] for c in corners)) for k in range(3)]


def _outlines_overlap(a, b, gap: float) -> bool:
    if any(point_in_polygon(x, y, b) for x, y in a) or any(point_in_polygon(x, y, a) for x, y in b):
        return True
    ca = (sum(x for x, _ in a) / len(a), sum(y for _, y in a) / len(a))
    cb = (sum(x for x, _ in b) / len(b), sum(y for _, y in b) / len(b))
    ra = max(math.dist(ca, q) for q in a)
    rb = max(math.dist(cb, q) for q in b)
    if math.dist(ca, cb) > ra + rb + gap:
        return False
    return min(distance_to_outline(x, y, b) for x, y in a) < gap


# -- what the built solid must measure ------------------------------------------------------------


def expected_bbox(s: CadSpec) -> tuple[Vec, Vec]:
    """(min corner, max corner) of the finished part."""
    p = s.part
    if isinstance(p, (Box, LBracket)):
        lo, hi = [-p.length / 2, -p.width / 2, 0.0], [p.length / 2, p.width / 2, p.height]
    elif isinstance(p, (Cylinder, Tube)):
        r = (p.diameter if isinstance(p, Cylinder) else p.outer_diameter) / 2
        lo, hi = [-r, -r, 0.0], [r, r, p.height]
    else:
        pts = centred_polygon(p.points)
        blend = next((f for f in s.features if isinstance(f, (Fillet, Chamfer))), None)
        if blend is not None:
            pts = blended_outline(pts, blend)
        lo = [min(q[0] for q in pts), min(q[1] for q in pts), 0.0]
        hi = [max(q[0] for q in pts), max(q[1] for q in pts), p.height]
    available = faces(p)
    for f in s.features:
        if isinstance(f, Boss):
            for k, (a, b) in enumerate(_box3d(available[f.face], footprint(f, 360), (0.0, f.height))):
                lo[k], hi[k] = min(lo[k], a), max(hi[k], b)
    return tuple(lo), tuple(hi)


def blended_outline(pts, f) -> list[tuple[float, float]]:
    """A convex profile with its corners rounded or bevelled by the blend `f` (sampled points)."""
    r = _blend_size(f)
    out = []
    for i, (a, b) in enumerate(zip(pts, _interior_angles(pts))):
        prev, nxt = pts[i - 1], pts[(i + 1) % len(pts)]
        to_prev = (prev[0] - a[0], prev[1] - a[1])
        to_next = (nxt[0] - a[0], nxt[1] - a[1])
        lp, ln = math.hypot(*to_prev), math.hypot(*to_next)
        back = r / math.tan(b / 2) if isinstance(f, Fillet) else r
        p1 = (a[0] + to_prev[0] / lp * back, a[1] + to_prev[1] / lp * back)
        p2 = (a[0] + to_next[0] / ln * back, a[1] + to_next[1] / ln * back)
        if isinstance(f, Chamfer):
            out += [p1, p2]
            continue
        bis = (to_prev[0] / lp + to_next[0] / ln, to_prev[1] / lp + to_next[1] / ln)
        lb = math.hypot(*bis)
        centre = (a[0] + bis[0] / lb * r / math.sin(b / 2), a[1] + bis[1] / lb * r / math.sin(b / 2))
        a1 = math.atan2(p1[1] - centre[1], p1[0] - centre[0])
        a2 = math.atan2(p2[1] - centre[1], p2[0] - centre[0])
        sweep = (a2 - a1 + math.pi) % (2 * math.pi) - math.pi
        out += [(centre[0] + r * math.cos(a1 + sweep * k / 16), centre[1] + r * math.sin(a1 + sweep * k / 16))
                for k in range(17)]
    return out


def _base_volume(p) -> float:
    if isinstance(p, Box):
        return p.length * p.width * p.height
    if isinstance(p, Cylinder):
        return math.pi * p.diameter ** 2 / 4 * p.height
    if isinstance(p, Tube):
        return math.pi * (p.outer_diameter ** 2 - p.inner_diameter ** 2) / 4 * p.height
    if isinstance(p, LBracket):
        return p.thickness * p.width * (p.length + p.height - p.thickness)
    return polygon_area(p.points) * p.height


def _blend_volume(p, f) -> float:
    """Material a fillet or chamfer removes (exact for the edge sets allowed; corners included)."""
    fillet = isinstance(f, Fillet)
    r = _blend_size(f)
    section = (1 - math.pi / 4) * r * r if fillet else r * r / 2
    if isinstance(p, Box):
        if f.edges == "vertical":
            return 4 * section * p.height
        corner = r ** 3 / 3 if fillet else 2 * r ** 3 / 3
        return section * 2 * ((p.length - 2 * r) + (p.width - 2 * r)) + 4 * corner
    if isinstance(p, (Cylinder, Tube)):
        R = (p.diameter if isinstance(p, Cylinder) else p.outer_diameter) / 2
        if fillet:
            return 2 * math.pi * (R - r) * section + 2 * math.pi * r ** 3 / 6
        return 2 * math.pi * (R - r / 3) * section
    removed = 0.0
    for a in _interior_angles(centred_polygon(p.points)):
        removed += (r * r * (1 / math.tan(a / 2) - (math.pi - a) / 2) if fillet
                    else 0.5 * r * r * math.sin(a))
    return removed * p.height


def expected_volume(s: CadSpec) -> float:
    """Volume of the finished part in mm³ (features never overlap, so their volumes add up)."""
    p = s.part
    volume = _base_volume(p)
    available = faces(p)
    for f in s.features:
        if isinstance(f, (Fillet, Chamfer)):
            volume -= _blend_volume(p, f)
            continue
        face = available[f.face]
        if isinstance(f, Hole):
            volume -= math.pi * f.diameter ** 2 / 4 * cut_depth(f, face)
        elif isinstance(f, Counterbore):
            volume -= (math.pi * f.diameter ** 2 / 4 * face.thickness
                       + math.pi * (f.cbore_diameter ** 2 - f.diameter ** 2) / 4 * f.cbore_depth)
        elif isinstance(f, Slot):
            volume -= ((f.length - f.width) * f.width + math.pi * f.width ** 2 / 4) * cut_depth(f, face)
        elif isinstance(f, Pocket):
            volume -= f.length * f.width * f.depth
        elif isinstance(f, Boss):
            volume += math.pi * f.diameter ** 2 / 4 * f.height
    return volume


def expected_hole_faces(s: CadSpec) -> int:
    """How many concave cylindrical faces (hole walls, slot ends, a tube's bore) the part must have."""
    count = 1 if isinstance(s.part, Tube) else 0
    for f in s.features:
        count += {Hole: 1, Counterbore: 2, Slot: 2}.get(type(f), 0)
    return count


def hole_labels(s: CadSpec) -> list[tuple[str, str, list[tuple[float, float]]]]:
    """Diameter labels for the sheet: (text, face, centres on that face), holes of one size grouped."""
    groups: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for f in s.features:
        if isinstance(f, Hole):
            text = f"Ø{f.diameter:g}" + ("" if f.depth is None else f" × {f.depth:g} DEEP")
        elif isinstance(f, Counterbore):
            text = f"Ø{f.diameter:g} CBORE Ø{f.cbore_diameter:g}"
        else:
            continue
        groups.setdefault((text, f.face), []).append(f.at)
    return [(f"{len(c)}× {t}" if len(c) > 1 else t, face, c) for (t, face), c in groups.items()]
