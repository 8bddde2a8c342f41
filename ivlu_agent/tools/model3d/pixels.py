"""Read a ball-and-stick picture back: which CPK colour fills the visible part of each ball, whether any blob
of a CPK colour stands where no ball is, and whether the element key shows the right colours.

The layout (where each ball is, its radius and painting order) comes from the renderer's meta; the colours
come from the pixels alone. A ball mostly hidden behind nearer balls or sticks is reported as not checked.
"""

from __future__ import annotations

import math

from . import geometry

MIN_VISIBLE = 0.15  # of a ball's inner disc: less than this showing, and the ball is not checked
MIN_PIXELS = 12
MATCH = 0.9  # of the visible pixels must show the element's colour
EXTRA_RADIUS = 0.35  # of the smallest ball's radius: a CPK-coloured blob this wide where no ball is, is an extra ball


def palette() -> tuple[list[str], "object", "object"]:
    """(class names, their RGB colours, the distance within which a pixel counts as each)."""
    import numpy as np

    named = {**geometry.CPK, "other": geometry.OTHER, "background": geometry.BACKGROUND,
             "outline": geometry.OUTLINE, "stick": geometry.STICK, "text": geometry.TEXT}
    names = list(named)
    colours = np.array([named[n] for n in names], dtype=float)
    gaps = np.hypot.reduce(colours[:, None, :] - colours[None, :, :], axis=-1) + np.eye(len(names)) * 1e9
    reach = np.minimum(24.0, gaps.min(axis=1) / 2)
    return names, colours, reach


def classify(pixels) -> "object":
    """For each pixel, the index of the palette colour it shows, or -1 for a blend (anti-aliased edges)."""
    import numpy as np

    names, colours, reach = palette()
    flat = pixels.reshape(-1, 3).astype(float)
    best = np.full(len(flat), -1)
    best_d = np.full(len(flat), np.inf)
    for k, c in enumerate(colours):
        d = np.sqrt(((flat - c) ** 2).sum(axis=1))
        take = (d < best_d) & (d <= reach[k])
        best[take], best_d[take] = k, d[take]
    return best.reshape(pixels.shape[:2])


def visible_mask(lay: dict, index: int, box: tuple[int, int, int, int], margin: float):
    """Pixels of ball `index`'s inner disc (in `box`) that nothing painted after it covers."""
    import numpy as np

    x0, y0, x1, y1 = box
    ys, xs = np.mgrid[y0:y1, x0:x1] + 0.5
    ball = lay["balls"][index]
    mask = np.hypot(xs - ball["x"], ys - ball["y"]) <= ball["r"] - margin
    for other in lay["balls"]:
        if other["order"] > ball["order"]:
            mask &= np.hypot(xs - other["x"], ys - other["y"]) > other["r"] + 1.5
    later = [s for s in lay["sticks"] if s["order"] > ball["order"]]
    if later and mask.any():
        segs = np.array([[s["x1"], s["y1"], s["x2"], s["y2"]] for s in later])
        halves = np.array([s["half"] for s in later])
        pts = np.stack([xs[mask], ys[mask]], axis=1)
        clear = (geometry.segment_distance(pts, segs) > halves[None, :] + 1.5).all(axis=1)
        mask[mask] = clear
    return mask


def disc_box(x: float, y: float, r: float, height: int, width: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): the pixels around a disc of radius `r` at (x, y), clipped to the image."""
    return (max(0, int(x - r)), max(0, int(y - r)), min(width, int(x + r) + 2), min(height, int(y + r) + 2))


def read_balls(classes, lay: dict) -> list[dict]:
    """Per ball: 'seen' (the colour it shows, by palette name) or 'hidden', with the visible share."""
    import numpy as np

    names = palette()[0]
    height, width = classes.shape
    margin = geometry.outline_px(lay["size"]) + 1.5
    out = []
    for i, ball in enumerate(lay["balls"]):
        r = ball["r"]
        box = disc_box(ball["x"], ball["y"], r, height, width)
        inner = math.pi * max(r - margin, 0.5) ** 2
        mask = visible_mask(lay, i, box, margin)
        shown = int(mask.sum())
        row = {"atom": f"{ball['element']}{i + 1}", "element": ball["element"], "visible": round(shown / inner, 3)}
        if shown < max(MIN_PIXELS, MIN_VISIBLE * inner):
            out.append(row | {"status": "hidden"})
            continue
        seen = classes[box[1]:box[3], box[0]:box[2]][mask]
        counts = np.bincount(seen[seen >= 0], minlength=len(names))
        want = names.index(ball["element"]) if ball["element"] in geometry.CPK else names.index("other")
        share = counts[want] / shown
        top = names[int(counts.argmax())] if counts.sum() else "nothing"
        out.append(row | {"status": "match" if share >= MATCH else "mismatch", "share": round(float(share), 3),
                          "shows": ball["element"] if share >= MATCH else top})
    return out


def extra_blobs(classes, lay: dict) -> list[dict]:
    """Blobs of a CPK colour in the drawing area where no ball is: (colour, where, area in pixels)."""
    import numpy as np
    from scipy import ndimage

    names = palette()[0]
    elements = [k for k, n in enumerate(names) if n in geometry.CPK or n == "other"]
    top = int(lay["legend_top"]) - 1
    region = classes[:top]
    coloured = np.isin(region, elements)
    ys, xs = np.mgrid[0:region.shape[0], 0:region.shape[1]] + 0.5
    for ball in lay["balls"]:
        r = ball["r"] + 2.0
        x0, y0, x1, y1 = disc_box(ball["x"], ball["y"], r, *region.shape)
        if y0 < y1 and x0 < x1:
            near = np.hypot(xs[y0:y1, x0:x1] - ball["x"], ys[y0:y1, x0:x1] - ball["y"]) <= r
            coloured[y0:y1, x0:x1] &= ~near
    coloured = ndimage.binary_opening(coloured, structure=np.ones((3, 3), bool))  # drop anti-aliased seams
    smallest = min((b["r"] for b in lay["balls"]), default=4.0)
    labels, count = ndimage.label(coloured)
    found = []
    for k, area in enumerate(ndimage.sum(coloured, labels, range(1, count + 1)), start=1):
        if area >= max(30.0, math.pi * (EXTRA_RADIUS * smallest) ** 2):
            cy, cx = ndimage.center_of_mass(coloured, labels, k)
            colour = np.bincount(region[labels == k]).argmax()
            found.append({"colour": names[int(colour)], "x": round(float(cx)), "y": round(float(cy)),
                          "area": int(area)})
    return found


def read_legend(classes, lay: dict) -> list[dict]:
    """Per key entry: the colour its swatch shows."""
    import numpy as np

    names = palette()[0]
    height, width = classes.shape
    margin = geometry.outline_px(lay["size"]) + 1.5
    out = []
    for entry in lay.get("legend", []):
        r = entry["r"] - margin
        x0, y0, x1, y1 = disc_box(entry["x"], entry["y"], r, height, width)
        ys, xs = np.mgrid[y0:y1, x0:x1] + 0.5
        seen = classes[y0:y1, x0:x1][np.hypot(xs - entry["x"], ys - entry["y"]) <= r]
        counts = np.bincount(seen[seen >= 0], minlength=len(names))
        shows = names[int(counts.argmax())] if counts.sum() and len(seen) else "nothing"
        share = counts.max() / max(len(seen), 1)
        out.append({"element": entry["element"], "shows": shows if share >= MATCH else "mixed colours"})
    return out
