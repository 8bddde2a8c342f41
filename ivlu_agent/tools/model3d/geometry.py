"""Where every ball and stick of a model lands in the picture: the CPK palette, the projection for a
viewpoint, the pixel layout both the renderer and the verifier use, and the least-occluded viewpoint.

Plain numpy (imported inside the functions), so the renderer draws exactly the layout the verifier
reads back, and the planner's worker can pick a viewpoint without matplotlib.
"""

from __future__ import annotations

import math

# CPK colours (Jmol's, with carbon darker so it stands apart from the grey sticks), 0-255 RGB.
CPK: dict[str, tuple[int, int, int]] = {
    "H": (255, 255, 255), "C": (72, 72, 72), "N": (48, 80, 248), "O": (240, 16, 16),
    "S": (255, 210, 40), "P": (255, 128, 0), "F": (144, 224, 80), "Cl": (31, 200, 31),
    "Br": (150, 36, 36), "I": (120, 0, 160), "B": (255, 176, 176), "Si": (218, 184, 140),
    "Se": (0, 160, 160), "Na": (171, 92, 242), "K": (0, 40, 120),
}
OTHER = (255, 20, 147)  # any element without a CPK entry: pink, and the legend names it
NAMES = {"H": "hydrogen", "C": "carbon", "N": "nitrogen", "O": "oxygen", "S": "sulfur", "P": "phosphorus",
         "F": "fluorine", "Cl": "chlorine", "Br": "bromine", "I": "iodine", "B": "boron", "Si": "silicon",
         "Se": "selenium", "Na": "sodium", "K": "potassium"}
BACKGROUND = (233, 238, 244)  # a pale blue-grey, so white hydrogens stand apart from the page
OUTLINE = (22, 22, 26)
STICK = (176, 176, 182)
TEXT = (30, 30, 34)
# Ball radii in ångström (a quarter of the van der Waals radius, so sticks show between balls).
VDW = {"H": 1.2, "C": 1.7, "N": 1.55, "O": 1.52, "F": 1.47, "P": 1.8, "S": 1.8, "Cl": 1.75, "Br": 1.85,
       "I": 1.98, "B": 1.92, "Si": 2.1, "Se": 1.9}
BALL_SCALE = 0.25
STICK_RADIUS = 0.075  # ångström
LEGEND_FRACTION = 0.12  # of the image height, at the bottom: element key and viewpoint
MAX_PX_PER_ANGSTROM = 0.22  # of the image side: water is not drawn as two giant balls


def color(element: str) -> tuple[int, int, int]:
    return CPK.get(element, OTHER)


def ball_radius(element: str) -> float:
    return BALL_SCALE * VDW.get(element, 2.0)


def axes(elevation: float, azimuth: float):
    """(screen x, screen y, towards the viewer) unit vectors for a viewpoint, matplotlib's convention:
    azimuth about z, elevation above the xy-plane."""
    import numpy as np

    e, a = math.radians(elevation), math.radians(azimuth)
    toward = np.array([math.cos(e) * math.cos(a), math.cos(e) * math.sin(a), math.sin(e)])
    right = np.array([-math.sin(a), math.cos(a), 0.0])
    up = np.cross(toward, right)
    return right, up, toward


def layout(coords, elements: list[str], bonds: list[tuple[int, int, int]], elevation: float, azimuth: float,
           size: int) -> dict:
    """The pixel layout of a model: balls (x, y, r, depth), sticks (segments with half-widths) and the
    order everything is painted in, far to near; pixel y grows downwards. `bonds` holds (a, b, order)."""
    import numpy as np

    xyz = np.asarray(coords, dtype=float)
    right, up, toward = axes(elevation, azimuth)
    sx, sy, depth = xyz @ right, xyz @ up, xyz @ toward
    radii = np.array([ball_radius(e) for e in elements])
    legend_h = round(LEGEND_FRACTION * size)
    draw_h = size - legend_h
    margin = 0.04 * size
    span_x = (sx + radii).max() - (sx - radii).min()
    span_y = (sy + radii).max() - (sy - radii).min()
    scale = min((size - 2 * margin) / max(span_x, 1e-6), (draw_h - 2 * margin) / max(span_y, 1e-6),
                MAX_PX_PER_ANGSTROM * size)
    cx = ((sx + radii).max() + (sx - radii).min()) / 2
    cy = ((sy + radii).max() + (sy - radii).min()) / 2
    px = size / 2 + (sx - cx) * scale
    py = draw_h / 2 - (sy - cy) * scale
    balls = [{"element": el, "x": round(float(px[i]), 2), "y": round(float(py[i]), 2),
              "r": round(float(radii[i] * scale), 2), "depth": round(float(depth[i]), 4)}
             for i, el in enumerate(elements)]
    half = max(1.5, STICK_RADIUS * scale)
    sticks = []
    for a, b, order in bonds:
        dx, dy = px[b] - px[a], py[b] - py[a]
        length = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / length, dx / length  # the screen normal: parallel sticks of a double bond
        strands = 1 if order < 2 else min(order, 3)
        strand = half if strands == 1 else half * 0.7
        for k in range(strands):
            off = (k - (strands - 1) / 2) * strand * 2.6
            sticks.append({"a": a, "b": b, "x1": round(float(px[a] + nx * off), 2),
                           "y1": round(float(py[a] + ny * off), 2), "x2": round(float(px[b] + nx * off), 2),
                           "y2": round(float(py[b] + ny * off), 2), "half": round(float(strand), 2),
                           "depth": round(float((depth[a] + depth[b]) / 2), 4)})
    # Painter's order: far first; a stick between two balls at the mean of their depths.
    items = [("ball", i, balls[i]["depth"]) for i in range(len(balls))] + \
            [("stick", j, s["depth"]) for j, s in enumerate(sticks)]
    items.sort(key=lambda t: (t[2], t[0] == "ball"))
    for rank, (what, idx, _) in enumerate(items):
        (balls if what == "ball" else sticks)[idx]["order"] = rank
    return {"size": size, "legend_top": draw_h, "scale": round(float(scale), 3), "balls": balls, "sticks": sticks,
            "elevation": elevation, "azimuth": azimuth}


def outline_px(size: int) -> float:
    """The dark rim drawn round every ball and stick, in pixels."""
    return max(1.0, size / 500)


def hidden_fractions(lay: dict, samples: int = 24) -> list[float]:
    """For each ball, the fraction of its disc that balls or sticks painted over it hide (sampled)."""
    import numpy as np

    balls, sticks = lay["balls"], lay["sticks"]
    ring = np.array([(0.0, 0.0)] + [(0.6 * math.cos(t), 0.6 * math.sin(t))
                                    for t in np.linspace(0, 2 * math.pi, samples - 1, endpoint=False)])
    bx = np.array([[b["x"], b["y"], b["r"], b["order"]] for b in balls])
    sx = np.array([[s["x1"], s["y1"], s["x2"], s["y2"], s["half"], s["order"]] for s in sticks]) \
        if sticks else np.zeros((0, 6))
    out = []
    for b in balls:
        pts = np.array([b["x"], b["y"]]) + ring * b["r"]
        covered = np.zeros(len(pts), bool)
        later = bx[bx[:, 3] > b["order"]]
        if len(later):
            d = np.hypot(pts[:, None, 0] - later[None, :, 0], pts[:, None, 1] - later[None, :, 1])
            covered |= (d <= later[None, :, 2]).any(axis=1)
        later = sx[sx[:, 5] > b["order"]]
        if len(later):
            covered |= (segment_distance(pts, later[:, :4]) <= later[None, :, 4]).any(axis=1)
        out.append(float(covered.mean()))
    return out


def segment_distance(points, segments):
    """Distance from each point (n, 2) to each segment (m, 4: x1 y1 x2 y2): an (n, m) array."""
    import numpy as np

    p = np.asarray(points, float)[:, None, :]
    a, b = segments[None, :, 0:2], segments[None, :, 2:4]
    ab = b - a
    t = np.clip(((p - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-9), 0, 1)
    return np.hypot(*np.moveaxis(p - (a + t[..., None] * ab), -1, 0))


PREFERRED = (20.0, 30.0)  # a conventional three-quarter view, preferred among equally clear ones


def best_view(coords, elements: list[str], bonds: list[tuple[int, int, int]]) -> tuple[float, float, float]:
    """(elevation, azimuth, mean hidden fraction) of the viewpoint that hides the least of the balls,
    searched on a 10° grid (coarser for large molecules); ties go to the view nearest 20°/30°."""
    import numpy as np

    n = len(elements)
    step = 10 if n <= 60 else 20 if n <= 150 else 40
    xyz = np.asarray(coords, dtype=float)
    # A centre off the middle of its neighbours (the N of a pyramid, the O of a bent molecule) shows its
    # shape only when that offset is not seen end-on: ammonia from straight above looks planar.
    offsets = []
    for i in range(n):
        around = [b if a == i else a for a, b, _ in bonds if i in (a, b)]
        if len(around) >= 2:
            offset = xyz[i] - xyz[around].mean(axis=0)
            if np.linalg.norm(offset) > 0.1:
                offsets.append(offset)
    best = None
    for elevation in range(-60, 61, step):
        for azimuth in range(0, 360, step):
            lay = layout(coords, elements, bonds, elevation, azimuth, 600)
            hidden = hidden_fractions(lay, 12 if n > 60 else 24)
            lost = sum(h > 0.5 for h in hidden)  # balls mostly hidden count first, then the area hidden
            toward = axes(elevation, azimuth)[2]
            end_on = sum(abs(float(o @ toward)) / float(np.linalg.norm(o)) > 0.5 for o in offsets)  # within 60°
            score = (lost, end_on, round(sum(hidden) / n, 3),
                     abs(elevation - PREFERRED[0]) + abs((azimuth - PREFERRED[1] + 180) % 360 - 180))
            if best is None or score < best[0]:
                best = (score, float(elevation), float(azimuth), sum(hidden) / n)
    return best[1], best[2], round(best[3], 4)
