"""Reading a Lewis structure back from its pixels: electron dots, charge signs, bond strokes, atom symbols.

Nothing here trusts what the renderer says it drew: dots and signs are found as connected components of dark
pixels by their shape alone and given to the nearest atom; strokes are counted along a line across each bond's
middle. The layout only says where the atoms are.
"""

from __future__ import annotations

import math

DARK = 150  # grey level below which a pixel is ink (anti-aliased edges included)
DOT_AREA = (0.45, 1.9)  # a dot's ink area, as a fraction of a disc of the layout's dot radius
SIGN_ARM = (7, 18)  # bounding box side of a '+' or the length of a '−', in pixels
STROKE_SAMPLES = (0.38, 0.5, 0.62)  # where along a bond its strokes are counted
HALF_WIDTH = 11.0  # how far either side of a bond's axis strokes are looked for (triple: ±7.5)
LABEL_BOX = 7  # half side of the square at an atom's centre where its symbol's ink must be


def grey(path: str):
    """The image as a float array of grey levels (0 black, 255 white); transparency reads as white."""
    import numpy as np
    from PIL import Image

    with Image.open(path) as im:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("L"), dtype=float)


def components(pixels) -> list[dict]:
    """Connected components of ink (8-connected): bounding box, area, centroid, and the mask inside the box."""
    import numpy as np
    from scipy import ndimage

    ink = pixels < DARK
    labels, _ = ndimage.label(ink, structure=np.ones((3, 3), dtype=int))
    out = []
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        mask = labels[box] == index
        ys, xs = np.nonzero(mask)
        out.append({"x0": box[1].start, "y0": box[0].start, "w": mask.shape[1], "h": mask.shape[0],
                    "area": int(mask.sum()), "cx": box[1].start + float(xs.mean()),
                    "cy": box[0].start + float(ys.mean()), "mask": mask})
    return out


def is_dot(c: dict, radius: float) -> bool:
    """A small round filled blob the size of an electron dot."""
    disc = math.pi * radius * radius
    side_ok = all(1.2 * radius <= s <= 3.0 * radius for s in (c["w"], c["h"]))
    return side_ok and DOT_AREA[0] * disc <= c["area"] <= DOT_AREA[1] * disc and c["area"] >= 0.6 * c["w"] * c["h"]


def sign_of(c: dict) -> str:
    """'+' or '−' when the component is a charge sign, else ''. A '−' is a short thick horizontal bar; a '+'
    is a square box whose middle row and middle column are both full of ink and whose corners are empty."""
    w, h, mask = c["w"], c["h"], c["mask"]
    lo, hi = SIGN_ARM
    if lo <= w <= hi and h <= 4 and c["area"] >= 0.7 * w * h:
        return "−"
    if lo <= w <= hi and lo <= h <= hi and abs(w - h) <= 4:
        row = mask[max(0, h // 2 - 1):h // 2 + 2].any(axis=0).mean()
        col = mask[:, max(0, w // 2 - 1):w // 2 + 2].any(axis=1).mean()
        corners = mask[:h // 4, :w // 4].any() or mask[:h // 4, -(w // 4):].any() \
            or mask[-(h // 4):, :w // 4].any() or mask[-(h // 4):, -(w // 4):].any()
        if row >= 0.85 and col >= 0.85 and not corners:
            return "+"
    return ""


def nearest(points: list[tuple[float, float]], x: float, y: float) -> int:
    """Index of the point nearest (x, y)."""
    return min(range(len(points)), key=lambda i: (points[i][0] - x) ** 2 + (points[i][1] - y) ** 2)


def runs(profile) -> int:
    """Separate stretches of ink along a profile of grey levels."""
    count, inside = 0, False
    for value in profile:
        dark = bool(value < DARK)
        count += int(dark and not inside)
        inside = dark
    return count


def strokes_across(pixels, a: tuple[float, float], b: tuple[float, float]) -> int:
    """How many parallel strokes cross the bond a–b near its middle (the median over three cuts)."""
    import numpy as np
    from scipy import ndimage

    (x1, y1), (x2, y2) = a, b
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    nx, ny = -(y2 - y1) / length, (x2 - x1) / length
    offsets = np.arange(-HALF_WIDTH, HALF_WIDTH + 0.01, 0.5)
    counts = []
    for t in STROKE_SAMPLES:
        px, py = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
        profile = ndimage.map_coordinates(pixels, [py + offsets * ny, px + offsets * nx], order=1, cval=255.0)
        counts.append(runs(profile))
    return int(sorted(counts)[1])


def label_ink(pixels, x: float, y: float) -> int:
    """Ink pixels in the small square at an atom's centre, where its symbol is written."""
    h, w = pixels.shape
    xi, yi = int(round(x)), int(round(y))
    box = pixels[max(0, yi - LABEL_BOX):min(h, yi + LABEL_BOX + 1), max(0, xi - LABEL_BOX):min(w, xi + LABEL_BOX + 1)]
    return int((box < DARK).sum())


def read_back(path: str, atoms_xy: list[tuple[float, float]], bonds: list[tuple[int, int]], dot_r: float) -> dict:
    """Everything the verifier compares, read from the image at `path`: dots and signs per atom, strokes per
    bond, symbol ink per atom, and the counts of components that are neither."""
    pixels = grey(path)
    found = components(pixels)
    dots = [0] * len(atoms_xy)
    signs: list[list[str]] = [[] for _ in atoms_xy]
    for c in found:
        if is_dot(c, dot_r):
            dots[nearest(atoms_xy, c["cx"], c["cy"])] += 1
        else:
            sign = sign_of(c)
            if sign:
                signs[nearest(atoms_xy, c["cx"], c["cy"])].append(sign)
    strokes = [strokes_across(pixels, atoms_xy[i], atoms_xy[j]) for i, j in bonds]
    return {"dots": dots, "signs": signs, "strokes": strokes,
            "label_ink": [label_ink(pixels, x, y) for x, y in atoms_xy], "size": list(pixels.shape[::-1])}
