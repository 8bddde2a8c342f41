"""Verify a rendered plot at two levels.

Spec level, from main.svg (every element carries an id, see render_plot):
- `plot.curve`: each drawn vertex lies on its function, the curve covers the range wherever the
  function is defined and visible, and no segment joins across a pole or jump;
- `plot.data`: bar heights, line and scatter points and pie wedge angles round-trip to the values;
- `plot.labels`: title, axis labels, legend entries and category names are the requested text.

Raster level, from main.png:
- `plot.ocr`: tesseract (RapidOCR as a fallback) reads every word of the title and axis labels
  (pie: the category names) in crops of the PNG.
"""

from __future__ import annotations

import itertools
import math
import re
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from ..base import verdict
from ..common.images import stack_crops
from ..common.labels import missing_words, words
from ..common.ocr import read_text, text_of
from . import maths
from .spec import PlotSpec

SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}href"
Y_TOL_PT = 0.05  # a drawn vertex may sit this far (in SVG points) from where the spec puts it
ANGLE_TOL_DEG = 0.2


# -- SVG reading ------------------------------------------------------------------------------------


class SvgPlot:
    """The elements of a render_plot SVG by id, and the map from SVG points to data coordinates."""

    def __init__(self, path: str, meta: dict):
        root = ET.parse(path).getroot()
        self.by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
        frame = self.path_points("axes-frame")
        if frame:
            xs = [p[0] for sub in frame for p in sub]
            ys = [p[1] for sub in frame for p in sub]
            self.box = (min(xs), min(ys), max(xs), max(ys))  # x0, top, x1, bottom in SVG points
        else:
            s = meta.get("svg_scale", 0.72)
            x0, y0, x1, y1 = meta["axes_px"]
            self.box = (x0 * s, y0 * s, x1 * s, y1 * s)
        self.xlim = meta.get("xlim", [0.0, 1.0])
        self.ylim = meta.get("ylim", [0.0, 1.0])

    def path_points(self, gid: str) -> list[list[tuple[float, float]]]:
        """Subpaths (split at M) of the first <path> under the element `gid`."""
        el = self.by_id.get(gid)
        path = el if el is not None and el.tag == SVG_NS + "path" else (
            el.find(f".//{SVG_NS}path") if el is not None else None)
        if path is None:
            return []
        return parse_path(path.get("d", ""))

    def uses(self, gid: str) -> list[tuple[float, float]]:
        """Marker positions (<use x= y=>) under the element `gid` (scatter points)."""
        el = self.by_id.get(gid)
        if el is None:
            return []
        return [(float(u.get("x")), float(u.get("y"))) for u in el.iter(SVG_NS + "use")
                if u.get("x") is not None]

    def text(self, gid: str) -> str | None:
        el = self.by_id.get(gid)
        if el is None:
            return None
        return " ".join("".join(t.itertext()) for t in el.iter(SVG_NS + "text")).strip()

    def to_data(self, x: float, y: float) -> tuple[float, float]:
        x0, top, x1, bottom = self.box
        return (self.xlim[0] + (x - x0) / (x1 - x0) * (self.xlim[1] - self.xlim[0]),
                self.ylim[0] + (bottom - y) / (bottom - top) * (self.ylim[1] - self.ylim[0]))

    def y_to_svg(self, y):
        _, top, _, bottom = self.box
        return bottom - (y - self.ylim[0]) / (self.ylim[1] - self.ylim[0]) * (bottom - top)

    def x_to_svg(self, x):
        x0, _, x1, _ = self.box
        return x0 + (x - self.xlim[0]) / (self.xlim[1] - self.xlim[0]) * (x1 - x0)

    def inside(self, x: float, y: float, margin: float = 0.01) -> bool:
        x0, top, x1, bottom = self.box
        return x0 - margin <= x <= x1 + margin and top - margin <= y <= bottom + margin


_PATH_TOKEN = re.compile(r"[MLCQZmlcqz]|-?\d*\.?\d+(?:[eE][-+]?\d+)?")


def parse_path(d: str) -> list[list[tuple[float, float]]]:
    """Absolute M/L/C/Q/Z path data (what matplotlib writes) → subpaths of on-curve points."""
    subpaths: list[list[tuple[float, float]]] = []
    tokens = _PATH_TOKEN.findall(d)
    i, cmd = 0, "M"
    arity = {"M": 2, "L": 2, "C": 6, "Q": 4}
    while i < len(tokens):
        tok = tokens[i]
        if tok.upper() in "MLCQZ" and tok.isalpha():
            cmd = tok.upper()
            i += 1
            if cmd == "Z":
                if subpaths and subpaths[-1]:
                    subpaths[-1].append(subpaths[-1][0])
                continue
            if cmd == "M":
                subpaths.append([])
            continue
        n = arity[cmd]
        nums = [float(t) for t in tokens[i:i + n]]
        i += n
        if not subpaths:
            subpaths.append([])
        subpaths[-1].append((nums[-2], nums[-1]))
    return [s for s in subpaths if s]


# -- spec level ------------------------------------------------------------------------------------


def check_curves(s: PlotSpec, svg: SvgPlot) -> dict:
    """Vertices on the function, coverage of the visible range, no joins across breaks."""
    import numpy as np

    problems, on_curve, total = [], 0, 0
    step = (s.x_max - s.x_min) / (s.samples - 1)
    for i, curve in enumerate(s.functions):
        f = maths.parse(curve.expr, curve.variable)
        subpaths = svg.path_points(f"curve-{i}")
        if not subpaths:
            problems.append(f"{curve.legend()} is not drawn")
            continue
        pts = np.array([p for sub in subpaths for p in sub if svg.inside(*p)])
        if len(pts) == 0:
            problems.append(f"no point of {curve.legend()} lies inside the axes")
            continue
        breaks = maths.breaks(f, s.x_min, s.x_max, s.samples)
        data = np.array([svg.to_data(x, y) for x, y in pts])
        fx = f(data[:, 0])
        for b in breaks:  # a removable point is drawn at its limit
            if b.kind == "removable":
                fx[np.abs(data[:, 0] - b.x) <= 1e-9 * max(1.0, abs(b.x)) + 1e-12 * (s.x_max - s.x_min)] = b.value
        expected = svg.y_to_svg(fx)
        off = np.abs(expected - pts[:, 1])
        good = np.isfinite(off) & (off <= Y_TOL_PT)
        on_curve += int(good.sum())
        total += len(good)
        if not good.all():
            k = int(np.argmax(np.where(np.isfinite(off), off, np.inf)))
            problems.append(f"{int((~good).sum())} of {len(good)} points of {curve.legend()} are off the "
                            f"function (worst at x = {data[k, 0]:.4g}: drawn y = {data[k, 1]:.4g}, "
                            f"f(x) = {f(np.array([data[k, 0]]))[0]:.4g})")
        # Coverage: wherever f is defined and inside the y range, a drawn vertex is near.
        probe = np.linspace(s.x_min, s.x_max, 201)[1:-1]
        fp = f(probe)
        lo, hi = sorted(svg.ylim)
        visible = probe[np.isfinite(fp) & (fp > lo) & (fp < hi)]
        xs_drawn = np.sort(np.array([svg.to_data(x, y)[0] for sub in subpaths for x, y in sub]))
        if visible.size:
            idx = np.clip(np.searchsorted(xs_drawn, visible), 1, len(xs_drawn) - 1)
            gap = np.minimum(np.abs(xs_drawn[idx] - visible), np.abs(xs_drawn[idx - 1] - visible))
            missing = visible[gap > 2.5 * step]
            if missing.size:
                problems.append(f"{curve.legend()} is missing near x = "
                                + ", ".join(f"{v:.3g}" for v in missing[:5]))
        # Joins: no drawn segment spans a pole or jump.
        cuts = [b.x for b in breaks if b.kind != "removable"]
        joined = []
        for sub in subpaths:
            xs = np.array([svg.to_data(x, y)[0] for x, y in sub])
            for p in cuts:
                if np.any((xs[:-1] < p) & (xs[1:] > p)):
                    joined.append(p)
        if joined:
            problems.append(f"{curve.legend()} is drawn straight across the break(s) at x = "
                            + ", ".join(f"{p:.4g}" for p in sorted(set(joined))[:5]))
    score = on_curve / total if total else 0.0
    ok = not problems
    return verdict("plot.curve", ok, score if ok else min(score, 0.99),
                   f"{total} drawn vertices of {len(s.functions)} curve(s) against the function(s), "
                   "coverage of the visible range and breaks at poles and jumps",
                   "Every curve lies on its function and breaks where it must." if ok else "; ".join(problems),
                   on_curve=on_curve, vertices=total)


def check_data(s: PlotSpec, svg: SvgPlot) -> dict:
    """The values drawn in the SVG are the spec's values."""
    problems, checked, matched = [], 0, 0

    def close_y(drawn_y: float, value: float) -> bool:
        return abs(svg.y_to_svg(value) - drawn_y) <= Y_TOL_PT

    if s.chart == "pie":
        values = s.series[0].values
        total = sum(values)
        for j, (value, name) in enumerate(zip(values, s.categories)):
            checked += 1
            sweep = wedge_sweep(svg.path_points(f"wedge-{j}"))
            want = 360.0 * value / total
            if sweep is None and value == 0 or sweep is not None and abs(sweep - want) <= ANGLE_TOL_DEG:
                matched += 1
            else:
                got = "missing" if sweep is None else f"{sweep / 3.6:.2f}%"
                problems.append(f"wedge {name!r} is {got}, expected {want / 3.6:.2f}%")
    for i, series in enumerate(s.series if s.chart != "pie" else []):
        name = series.label or f"series {i + 1}"
        n = len(series.values)
        if s.chart == "bar":
            for j, value in enumerate(series.values):
                checked += 1
                rect = svg.path_points(f"bar-{i}-{j}")
                if not rect:
                    problems.append(f"bar {j + 1} of {name} is missing")
                    continue
                ys = sorted({round(p[1], 6) for p in rect[0]})
                drawn = max(ys, key=lambda y: abs(svg.y_to_svg(0.0) - y))  # the edge away from zero
                if close_y(drawn, value):
                    matched += 1
                else:
                    label = s.categories[j] if s.categories else str(j + 1)
                    problems.append(f"bar {label!r} of {name} is drawn at {svg.to_data(0, drawn)[1]:.4g}, "
                                    f"expected {value:g}")
            continue
        points = (svg.uses(f"series-{i}") if s.chart == "scatter" else
                  [p for sub in svg.path_points(f"series-{i}") for p in sub])
        xs = series.x or list(range(n))
        want = sorted(zip(xs, series.values)) if s.chart == "scatter" else list(zip(xs, series.values))
        got = sorted(points, key=lambda p: (round(p[0], 3), -p[1])) if s.chart == "scatter" else points
        checked += n
        if len(got) != n:
            problems.append(f"{name} has {len(got)} drawn points, expected {n}")
            continue
        for (x, value), (px, py) in zip(want, got):
            if abs(svg.x_to_svg(x) - px) <= Y_TOL_PT and close_y(py, value):
                matched += 1
            else:
                dx, dy = svg.to_data(px, py)
                problems.append(f"{name}: drawn ({dx:.4g}, {dy:.4g}), expected ({x:g}, {value:g})")
    ok = not problems and checked > 0
    return verdict("plot.data", ok, matched / checked if checked else 0.0,
                   f"{checked} value(s) of the {s.chart} chart read back from the SVG",
                   f"All {checked} values round-trip." if ok else "; ".join(problems[:6]),
                   matched=matched, values=checked)


def wedge_sweep(subpaths: list[list[tuple[float, float]]]) -> float | None:
    """A pie wedge's angle in degrees: its arc points turn around the centre (the last vertex)."""
    if not subpaths or len(subpaths[0]) < 3:
        return None
    pts = subpaths[0]
    if pts[-1] == pts[0]:
        pts = pts[:-1]
    cx, cy = pts[-1]
    arc = pts[:-1]
    total = 0.0
    for (x0, y0), (x1, y1) in itertools.pairwise(arc):
        a0, a1 = math.atan2(y0 - cy, x0 - cx), math.atan2(y1 - cy, x1 - cx)
        total += (a1 - a0 + math.pi) % (2 * math.pi) - math.pi
    return abs(math.degrees(total))


def expected_texts(s: PlotSpec) -> dict[str, str]:
    """SVG id → the text it must show."""
    want = {"title": s.title, "x-label": s.x_label, "y-label": s.y_label}
    want = {k: v for k, v in want.items() if v}
    if s.show_legend():
        names = [c.legend() for c in s.functions] or [x.label for x in s.series]
        want.update({f"legend-text-{i}": n for i, n in enumerate(names) if n})
    for j, c in enumerate(s.categories):
        want[f"pie-label-{j}" if s.chart == "pie" else f"category-{j}"] = c
    return want


def check_labels(s: PlotSpec, svg: SvgPlot) -> dict:
    want = expected_texts(s)
    wrong = []
    for gid, text in want.items():
        got = svg.text(gid)
        if got is None or " ".join(got.split()) != " ".join(text.split()):
            wrong.append(f"{gid} shows {got!r}, expected {text!r}" if got is not None else f"{gid} is missing")
    ok = not wrong
    return verdict("plot.labels", ok, (len(want) - len(wrong)) / len(want) if want else 1.0,
                   f"{len(want)} text element(s) in the SVG: title, axis labels, legend, categories",
                   f"All {len(want)} texts are as requested." if ok else "; ".join(wrong[:6]),
                   expected=len(want), wrong=len(wrong))


# -- raster level ----------------------------------------------------------------------------------


def label_strip(png_path: str, boxes: list[tuple[str, list[float], bool]], scale: int = 3):
    """Crop each (name, box, rotated) from the PNG, turn rotated crops upright, stack them with white
    gaps, enlarge `scale` times. Returns the strip image and each crop's y range in it."""
    from PIL import Image

    im = Image.open(png_path).convert("L")
    crops, pad = [], 6
    for name, (x0, y0, x1, y1), rotated in boxes:
        crop = im.crop((max(0, int(x0) - pad), max(0, int(y0) - pad),
                        min(im.width, math.ceil(x1) + pad), min(im.height, math.ceil(y1) + pad)))
        if rotated:
            crop = crop.rotate(-90, expand=True)
        crops.append((name, crop.resize((crop.width * scale, crop.height * scale), Image.LANCZOS)))
    return stack_crops(crops, gap=30)


def words_in_span(found: list[dict], span: tuple[float, float]) -> str:
    inside = [w for w in found if span[0] <= (w["box"][1] + w["box"][3]) / 2 <= span[1]]
    inside.sort(key=lambda w: (w["box"][1] // 20, w["box"][0]))
    return text_of(inside)


def check_ocr(s: PlotSpec, png_path: str, meta: dict) -> dict | None:
    """OCR reads the title and axis labels (pie: category names) in crops of the PNG."""
    boxes = meta.get("text_boxes", {})
    want = {"title": s.title, "x_label": s.x_label, "y_label": s.y_label}
    targets = [(k, boxes[k], k == "y_label") for k, v in want.items() if v and k in boxes]
    expected = {k: v for k, v in want.items() if v}
    if s.chart == "pie":
        for j, (name, box) in enumerate(zip(s.categories, boxes.get("categories", []))):
            if box:
                targets.append((f"category {j + 1}", box, False))
                expected[f"category {j + 1}"] = name
    if not expected:
        return None
    lost = [k for k in expected if k not in {t[0] for t in targets}]
    strip, spans = label_strip(png_path, targets) if targets else (None, {})
    unread: dict[str, list[str]] = {}
    engines = {}
    if strip is not None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "labels.png"
            strip.save(path)
            found = read_text(path, "tesseract")
            for name, _, _ in targets:
                miss = missing_words(expected[name], words_in_span(found, spans[name]))
                if miss:
                    unread[name] = miss
                else:
                    engines[name] = "tesseract"
            if unread:  # RapidOCR reads what tesseract missed (it drops spaces, so match in order)
                lines = read_text(path, "rapid", upright=True)
                for name in list(unread):
                    if not missing_words(expected[name], words_in_span(lines, spans[name]), spaced=False):
                        del unread[name]
                        engines[name] = "rapid"
            for name in list(unread):  # a lone short label ('x'): tesseract on its crop alone, as one line
                y0, y1 = spans[name]
                alone = Path(tmp) / "label.png"
                strip.crop((0, int(y0), strip.width, int(y1))).save(alone)
                if not missing_words(expected[name], text_of(read_text(alone, "tesseract", psm=7)), spaced=False):
                    del unread[name]
                    engines[name] = "tesseract (line)"
    for name in lost:
        unread[name] = words(expected[name])
    ok = not unread
    n = len(expected)
    return verdict("plot.ocr", ok, (n - len(unread)) / n,
                   f"OCR of {', '.join(expected)} in the PNG",
                   (f"OCR read all {n} label(s)." if ok else
                    "OCR could not read " + "; ".join(f"{k} {expected[k]!r} (missing: {' '.join(v)})"
                                                     for k, v in unread.items())
                    + ". Enlarging the fonts."),
                   engines=engines, unread=unread)


def verify_plot(spec: dict, files: dict[str, str], meta: dict | None = None) -> list[dict]:
    """All checks for a rendered PlotSpec. `files` maps artifact names to absolute paths."""
    s = PlotSpec.model_validate(spec)
    meta = meta or {}
    verdicts = []
    if "main.svg" in files and meta.get("xlim"):
        svg = SvgPlot(files["main.svg"], meta)
        verdicts.append(check_curves(s, svg) if s.chart == "function" else check_data(s, svg))
        verdicts.append(check_labels(s, svg))
    else:
        verdicts.append(verdict("plot.data", False, 0.0, "the SVG and its axes geometry",
                                "The render produced no SVG or no axes geometry; re-render."))
    if "main.png" in files:
        ocr = check_ocr(s, files["main.png"], meta)
        if ocr:
            verdicts.append(ocr)
    return verdicts


def verify_plot_image(image_path: str, spec: dict) -> list[dict]:
    """Raster check of any image of a plot (ours, the head's or another generator's): OCR reads its
    title, axis labels, legend entries and category names anywhere in the image. The curves and data
    points themselves are checked only on this tool's own SVG. [] when the plot has no text to read."""
    from ..common.readback import verify_text_image

    strings = list(dict.fromkeys(expected_texts(PlotSpec.model_validate(spec)).values()))
    if not strings:
        return []
    return [{**v, "verifier": "plot.ocr",
             "checked": "OCR reads the plot's title, axis labels, legend and category names in the image "
                        "(from pixels alone; the curves and data are checked only on this tool's SVG)"}
            for v in verify_text_image(image_path, strings)]


def check_pixels(spec: dict, image_path: str) -> list[dict]:
    """The checks any image of this plot faces (a head's drawing too): OCR reads its labels."""
    return verify_plot_image(image_path, spec)
