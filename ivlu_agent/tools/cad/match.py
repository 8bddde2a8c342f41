"""Matching a raster against one view of a part: reading the ink (or, in a shaded picture, the
silhouette) out of any image, and comparing it with the view's hidden-line projection after
normalising scale and translation (`compare_view`, giving a `ViewMatch` with its problems in
words). The pass thresholds live here; `verify.py` turns a match into a verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..common.images import open_image
from .views import Placement, Projection, fill_triangles, rasterise

# Pass thresholds of the view comparison (see docs/cad.md for the evaluation that set them).
MIN_IOU = 0.90  # filled outline
MIN_RECALL = 0.92  # share of expected edge length found in the image
MIN_EDGE = 0.6  # share of each single expected edge found
MAX_EXTRA = 0.04  # share of the image's ink far from every expected edge
ASPECT_TOL = 0.035  # |log(aspect ratio of the image / of the view)|, plus a pixel allowance


# -- reading an image -------------------------------------------------------------------------------


def read_picture(path) -> tuple[np.ndarray, bool]:
    """(ink, shaded) of an image. Ink is every pixel that differs from the background (the border's
    colour). In a line drawing the ink is the lines; in a shaded or filled picture (`shaded`: ink
    covers most of its outline) the ink is the part's silhouette, holes included."""
    from scipy import ndimage

    gray = np.asarray(open_image(path, "L"), dtype=float)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    ink = np.abs(gray - np.median(border)) > 48
    labels, n = ndimage.label(ink, structure=np.ones((3, 3)))
    if n:
        sizes = ndimage.sum(ink, labels, range(1, n + 1))
        ink &= np.isin(labels, 1 + np.flatnonzero(sizes >= 3))
    return ink, bool(ink.any() and ink.sum() >= 0.6 * _fill(ink).sum())


def read_ink(path) -> np.ndarray:
    return read_picture(path)[0]


def stroke_width(ink: np.ndarray) -> float:
    """Typical line width: the median, over ink pixels, of the shorter of their horizontal and vertical runs."""
    def runs(mask: np.ndarray) -> np.ndarray:
        out = np.zeros(mask.shape, dtype=np.int32)
        for i, row in enumerate(mask):
            if not row.any():
                continue
            padded = np.concatenate([[0], row.astype(np.int8), [0]])
            edges = np.flatnonzero(np.diff(padded))
            for a, b in zip(edges[::2], edges[1::2]):
                out[i, a:b] = b - a
        return out

    both = np.minimum(runs(ink), runs(ink.T).T)
    values = both[ink]
    return float(np.median(values)) if values.size else 1.0


# -- comparing one view -----------------------------------------------------------------------------


@dataclass
class ViewMatch:
    """How well an image matches a view's projection; `problems` says what is wrong, in words."""

    passed: bool
    score: float
    iou: float = 0.0
    aspect: float = 1.0
    recall: float = 0.0
    worst_edge: float = 0.0
    extra: float = 0.0
    chamfer: float = 1.0
    hidden_drawn: bool = False
    shaded: bool = False
    problems: list[str] = field(default_factory=list)

    def details(self) -> dict:
        return {"iou": round(self.iou, 4), "aspect_ratio": round(self.aspect, 4), "edge_recall": round(self.recall, 4),
                "worst_edge": round(self.worst_edge, 4), "extra_ink": round(self.extra, 4),
                "chamfer": round(self.chamfer, 4), "hidden_lines_drawn": bool(self.hidden_drawn),
                "shaded": bool(self.shaded)}


def _resample(line: np.ndarray, step: float = 1.0) -> np.ndarray:
    seg = np.hypot(*np.diff(line, axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    t = np.linspace(0, cum[-1], max(2, int(cum[-1] / step) + 1))
    return np.column_stack([np.interp(t, cum, line[:, 0]), np.interp(t, cum, line[:, 1])])


def _lookup(field_: np.ndarray, pts: np.ndarray) -> np.ndarray:
    h, w = field_.shape
    xs = np.clip(np.round(pts[:, 0]).astype(int), 0, w - 1)
    ys = np.clip(np.round(pts[:, 1]).astype(int), 0, h - 1)
    return field_[ys, xs]


def _fill(mask: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    closed = ndimage.binary_closing(mask, structure=np.ones((3, 3)), iterations=2)
    return ndimage.binary_fill_holes(closed | mask)


def _boundary(mask: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    return mask & ~ndimage.binary_erosion(mask, structure=np.ones((3, 3)))


def _pieces(mask: np.ndarray) -> list[np.ndarray]:
    """The connected pieces of a mask as (x, y) pixel lists."""
    from scipy import ndimage

    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if not n:
        return []
    ys, xs = np.nonzero(labels)
    order = np.argsort(labels[ys, xs], kind="stable")
    ids = labels[ys, xs][order]
    cuts = np.flatnonzero(np.diff(ids)) + 1
    return [np.column_stack([x, y]).astype(float)
            for x, y in zip(np.split(xs[order], cuts), np.split(ys[order], cuts))]


def compare_view(ink: np.ndarray, proj: Projection, shaded: bool = False) -> ViewMatch:
    """Compare a picture with a projection, normalising scale and translation by the outline's box.

    A line drawing (`ink` = its lines) is compared edge by edge with the projection's visible
    edges, and with its hidden edges when the picture draws them. A shaded picture (`ink` = its
    silhouette) is compared outline by outline, holes included, with the silhouette of the solid's
    mesh (`proj` needs `triangles`): crease lines cannot be relied on under unknown lighting.
    The scale is the geometric mean of the two axes' scales, so a stretched image keeps its wrong
    aspect ratio instead of being fitted away.
    """
    from scipy import ndimage

    ys, xs = np.nonzero(ink)
    if xs.size < 20:
        return ViewMatch(False, 0.0, problems=["the image has no drawing on it"])
    if shaded and proj.triangles is None:
        raise ValueError("a shaded picture needs the projection's mesh: project(..., mesh=True)")
    width = 1.0 if shaded else stroke_width(ink)
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    w_px, h_px = max(1.0, x1 - x0 + 1 - width), max(1.0, y1 - y0 + 1 - width)
    u0, v0, u1, v1 = proj.bounds()
    w_mm, h_mm = max(u1 - u0, 1e-6), max(v1 - v0, 1e-6)
    # A side thinner than a few strokes (a 0.5 mm plate seen edge-on) says nothing about scale or aspect.
    thin = None
    if h_mm / w_mm * w_px < 3 * width + 2:
        thin, scale = "v", w_px / w_mm
    elif w_mm / h_mm * h_px < 3 * width + 2:
        thin, scale = "u", h_px / h_mm
    else:
        scale = math.sqrt((w_px / w_mm) * (h_px / h_mm))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    place = Placement(scale, u0, v1, cx - w_mm * scale / 2, cy - h_mm * scale / 2)
    size = (ink.shape[1], ink.shape[0])
    diag = math.hypot(w_px, h_px)
    tol = max(2.0, 0.75 * width + 1.0, 0.012 * diag)

    if shaded:
        silhouette = fill_triangles(np.stack([place(t) for t in proj.triangles]) if len(proj.triangles) else
                                    np.zeros((0, 3, 2)), size)
        lines, expected, optional = _boundary(ink), _pieces(_boundary(silhouette)), []
        ref_mask, filled_img, filled_ref = _boundary(silhouette), ink, silhouette
        hidden_drawn = False
    else:
        visible = [place(line) for line in proj.drawn]
        hidden = [place(line) for line in proj.hidden]
        vis_mask = rasterise(visible, size, max(1.0, width))
        ref_mask = vis_mask | rasterise(hidden, size, max(1.0, width))
        to_vis = ndimage.distance_transform_edt(~vis_mask)
        lines, expected = ink, [_resample(line) for line in visible]
        optional = [pts[_lookup(to_vis, pts) > tol] for pts in (_resample(line) for line in hidden)]
        filled_img, filled_ref = _fill(ink), _fill(vis_mask)
    to_ink = ndimage.distance_transform_edt(~lines)
    to_ref = ndimage.distance_transform_edt(~ref_mask)

    # Edge coverage: how much of each expected edge (or outline) has ink near it.
    def coverage(groups: list[np.ndarray]) -> list[tuple[float, float, np.ndarray]]:
        return [(float(np.mean(_lookup(to_ink, pts) <= tol)), float(len(pts)), pts) for pts in groups if len(pts) >= 2]

    exp_cov = coverage(expected)
    if not shaded:
        opt_cov = coverage(optional)
        opt_len = sum(n for _, n, _ in opt_cov)
        hidden_drawn = bool(opt_len > 0 and sum(c * n for c, n, _ in opt_cov) / opt_len >= 0.5)
        if hidden_drawn:
            exp_cov += opt_cov
    total = sum(n for _, n, _ in exp_cov) or 1.0
    recall = sum(c * n for c, n, _ in exp_cov) / total
    long_edges = [(c, n, p) for c, n, p in exp_cov if n >= 2 * tol]
    worst = min(long_edges, key=lambda e: e[0]) if long_edges else (1.0, 0.0, None)

    far = lines & (to_ref > tol)
    extra = float(far.sum()) / float(lines.sum() or 1)
    biggest = max((len(p) for p in _pieces(far)), default=0)
    iou = float((filled_img & filled_ref).sum()) / float((filled_img | filled_ref).sum() or 1)
    aspect = (w_px / h_px) / (w_mm / h_mm)
    ref_pts = np.concatenate([p for _, _, p in exp_cov]) if exp_cov else np.zeros((0, 2))
    chamfer = (float(np.mean(_lookup(to_ink, ref_pts))) if len(ref_pts) else 0.0) + float(np.mean(to_ref[lines]))
    chamfer = chamfer / 2 / diag

    def where(pts: np.ndarray) -> str:
        c = pts.mean(axis=0)
        return f"(u {u0 + (c[0] - place.x0) / scale:.0f}, v {v1 - (c[1] - place.y0) / scale:.0f}) mm"

    problems = []
    if thin:
        thin_px, expected_px = (h_px, h_mm * scale) if thin == "v" else (w_px, w_mm * scale)
        if thin_px > expected_px + 2 * width + 2:
            problems.append(f"it is {thin_px:.0f} px across where the view is {expected_px:.1f} px "
                            "(wrong aspect ratio)")
    elif abs(math.log(aspect)) > ASPECT_TOL + 1.5 / min(w_px, h_px):
        problems.append(f"its aspect ratio is {aspect:.2f}× the view's (stretched "
                        f"{'horizontally' if aspect > 1 else 'vertically'})")
    if iou < MIN_IOU and not thin:
        problems.append(f"its {'silhouette' if shaded else 'outline'} differs from the view's "
                        f"({'' if shaded else 'filled-outline '}IoU {iou:.2f})")
    if recall < MIN_RECALL or worst[0] < MIN_EDGE:
        near = f" near {where(worst[2])}" if worst[2] is not None and worst[0] < MIN_EDGE else ""
        problems.append(f"expected {'outlines' if shaded else 'edges'} are missing{near} "
                        f"({'outline' if shaded else 'edge'} recall {recall:.2f}, worst {worst[0]:.2f})")
    if extra > MAX_EXTRA or biggest > 4 * tol * max(width, 1.0):
        ys_f, xs_f = np.nonzero(far)
        problems.append(f"it has {'outlines' if shaded else 'lines'} the view does not have near "
                        f"{where(np.column_stack([xs_f, ys_f]))} ({extra:.1%} of the {'outline' if shaded else 'ink'})")
    score = max(0.0, min(1.0, iou * recall * (1.0 - extra)))
    return ViewMatch(not problems, float(score), float(iou), float(aspect), float(recall), float(worst[0]),
                     float(extra), float(chamfer), hidden_drawn, shaded, problems)
