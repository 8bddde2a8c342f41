"""Verify a CAD drawing at three levels.

1. Part: the STEP file holds one valid solid whose bounding box, volume and number of hole walls
   match what the spec implies (computed from the spec's numbers, not from the renderer), and the
   STL encloses the same box.
2. View, for any raster (ours or a generator's): the image's edges and filled outline are compared
   with the hidden-line projection of the named view after normalising scale and translation
   (`compare_view`, in `match.py`). It catches another view, a mirrored view, a missing or moved hole and a
   stretched image.
3. Sheet: the views agree with each other (front width = top width, front height = side height,
   top depth = side width) in pixels, and every dimension label reads back through OCR.
"""

from __future__ import annotations

import math
import re
import struct

import numpy as np

from .geometry import expected_bbox, expected_hole_faces, expected_volume
from .match import compare_view, read_picture
from .spec import ORTHO_VIEWS, CadSpec, View, load_cad_spec
from .views import Projection, project

# -- the view verdict ------------------------------------------------------------------------------


def _alternatives(ink: np.ndarray, shaded: bool, solid, view: View, proj: Projection) -> str:
    """On a failed match, name what the image looks like instead (mirrored, or another view)."""
    if compare_view(ink, proj.mirrored(), shaded).passed:
        return " It matches the mirror image of this view."
    for name in ORTHO_VIEWS:
        if name != view.name and compare_view(ink, project(solid, View(name=name), mesh=shaded), shaded).passed:
            return f" It matches the {name} view instead."
    return ""


def check_view(s: CadSpec, solid, view: View, image_path: str, projection: Projection | None = None) -> dict:
    """Verdict for one raster (a line drawing or a shaded picture) against one named view of the part."""
    ink, shaded = read_picture(image_path)
    proj = projection if projection is not None and (projection.triangles is not None or not shaded) else \
        project(solid, view, mesh=shaded)
    match = compare_view(ink, proj, shaded)
    kind = "shaded picture" if shaded else "line drawing"
    verdict = {"verifier": f"cad.view.{view.label}", "passed": match.passed, "score": round(match.score, 4),
               "checked": f"the image ({kind}) against the {view.words} of the part "
                          f"({'silhouette and hole outlines' if shaded else 'edges and filled outline'}, "
                          "scale and position normalised)",
               "details": match.details()}
    if match.passed:
        verdict["message"] = (f"The {kind} shows the {view.words}: IoU {match.iou:.2f}, "
                              f"{'outline' if shaded else 'edge'} recall {match.recall:.2f}, "
                              f"extra {match.extra:.1%}.")
    else:
        verdict["message"] = (f"The image is not the {view.words}: " + "; ".join(match.problems) + "."
                              + _alternatives(ink, shaded, solid, view, proj))
    return verdict


# -- the part ---------------------------------------------------------------------------------------


def hole_faces(solid) -> int:
    """Concave cylindrical faces: hole walls, slot ends and bores (not bosses or fillets)."""
    from OCP.BRepAdaptor import BRepAdaptor_Surface

    count = 0
    for face in solid.Faces():
        if face.geomType() != "CYLINDER":
            continue
        surface = BRepAdaptor_Surface(face.wrapped)
        axis = surface.Cylinder().Axis()
        u = (surface.FirstUParameter() + surface.LastUParameter()) / 2
        v = (surface.FirstVParameter() + surface.LastVParameter()) / 2
        p = surface.Value(u, v)
        point = np.array([p.X(), p.Y(), p.Z()])
        loc, d = axis.Location(), axis.Direction()
        origin, direction = np.array([loc.X(), loc.Y(), loc.Z()]), np.array([d.X(), d.Y(), d.Z()])
        radial = point - origin - np.dot(point - origin, direction) * direction
        normal = face.normalAt(_vector(point)).toTuple()
        if float(np.dot(normal, radial)) < 0:
            count += 1
    return count


def _vector(p):
    import cadquery as cq

    return cq.Vector(*map(float, p))


def load_step(path: str):
    import cadquery as cq

    shape = cq.importers.importStep(path).val()
    solids = shape.Solids()
    return shape, solids


def check_part(s: CadSpec, step_path: str) -> dict:
    """The STEP file holds one valid solid with the expected box, volume and hole walls."""
    shape, solids = load_step(step_path)
    checked = "STEP: one valid solid; bounding box, volume and hole walls against the spec"
    if len(solids) != 1 or not shape.isValid():
        return {"verifier": "cad.part", "passed": False, "score": 0.0, "checked": checked,
                "message": f"The STEP file holds {len(solids)} solid(s)"
                           f"{'' if shape.isValid() else ', and the shape is invalid'}; expected one valid solid."}
    solid = solids[0]
    lo, hi = expected_bbox(s)
    bb = solid.BoundingBox()
    got_lo, got_hi = (bb.xmin, bb.ymin, bb.zmin), (bb.xmax, bb.ymax, bb.zmax)
    tol = 0.02 + 1e-4 * max(h - low for h, low in zip(hi, lo))
    box_ok = all(abs(a - b) <= tol for a, b in zip((*got_lo, *got_hi), (*lo, *hi)))
    volume, want_volume = solid.Volume(), expected_volume(s)
    volume_ok = abs(volume - want_volume) <= 1e-4 * want_volume + 1e-3
    holes, want_holes = hole_faces(solid), expected_hole_faces(s)
    problems = []
    size = lambda a, b: " × ".join(f"{y - x:.3g}" for x, y in zip(a, b))
    if not box_ok:
        problems.append(f"its bounding box is {size(got_lo, got_hi)} mm, expected {size(lo, hi)} mm")
    if not volume_ok:
        problems.append(f"its volume is {volume:.1f} mm³, expected {want_volume:.1f} mm³")
    if holes != want_holes:
        problems.append(f"it has {holes} hole wall(s), expected {want_holes}")
    ok = not problems
    score = (box_ok + volume_ok + (holes == want_holes)) / 3
    return {"verifier": "cad.part", "passed": ok, "score": round(score, 4), "checked": checked,
            "message": (f"The solid is valid: {size(lo, hi)} mm, {volume:.1f} mm³, {holes} hole wall(s)." if ok
                        else "The built part is wrong: " + "; ".join(problems) + "."),
            "details": {"bbox": [list(got_lo), list(got_hi)], "expected_bbox": [list(lo), list(hi)],
                        "volume": volume, "expected_volume": want_volume, "hole_walls": holes,
                        "expected_hole_walls": want_holes}}


def read_stl(path: str) -> np.ndarray:
    """Triangles (n, 3, 3) of a binary or ASCII STL."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) >= 84:
        (n,) = struct.unpack("<I", data[80:84])
        if 84 + 50 * n == len(data):
            rec = np.frombuffer(data[84:], dtype=np.dtype([("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")]))
            return rec["v"].astype(float)
    nums = re.findall(rb"vertex\s+(\S+)\s+(\S+)\s+(\S+)", data)
    return np.array(nums, dtype=float).reshape(-1, 3, 3)


def check_stl(s: CadSpec, stl_path: str) -> dict:
    """The STL is a closed mesh with the part's bounding box and (within tessellation) its volume."""
    tri = read_stl(stl_path)
    lo, hi = expected_bbox(s)
    if len(tri) == 0:
        return {"verifier": "cad.stl", "passed": False, "score": 0.0, "checked": "the STL has triangles",
                "message": "The STL file has no triangles."}
    pts = tri.reshape(-1, 3)
    diag = math.dist(lo, hi)
    box_ok = np.allclose(pts.min(axis=0), lo, atol=0.002 * diag) and np.allclose(pts.max(axis=0), hi,
                                                                                 atol=0.002 * diag)
    volume = float(np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6)
    want = expected_volume(s)
    volume_ok = abs(volume - want) <= 0.02 * want
    ok = box_ok and volume_ok
    return {"verifier": "cad.stl", "passed": ok, "score": (box_ok + volume_ok) / 2,
            "checked": "STL: bounding box and enclosed volume against the spec",
            "message": (f"The STL has {len(tri)} triangles enclosing {volume:.0f} mm³." if ok else
                        f"The STL does not match the part: volume {volume:.0f} mm³ (expected {want:.0f}), "
                        f"box {'matches' if box_ok else 'differs'}."),
            "details": {"triangles": len(tri), "volume": volume}}


# -- the sheet ----------------------------------------------------------------------------------------


def _black_ink(rgb: np.ndarray) -> np.ndarray:
    """Model lines (black and grey), not the blue dimensions."""
    r, g, b = (rgb[..., k].astype(int) for k in range(3))
    return (np.maximum(np.maximum(r, g), b) < 150) & (b - r < 60)


def check_sheet_views(s: CadSpec, sheet_path: str, meta: dict) -> dict:
    """Measured in the sheet's pixels: views that share an axis have the same extent along it."""
    from PIL import Image

    rgb = np.asarray(Image.open(sheet_path).convert("RGB"))
    ink = _black_ink(rgb)
    measured = {}
    for name, (x0, y0, x1, y1) in meta.get("boxes", {}).items():
        if name not in ORTHO_VIEWS:
            continue
        pad = 6
        ya, yb = max(0, int(y0) - pad), min(ink.shape[0], math.ceil(y1) + pad)
        xa, xb = max(0, int(x0) - pad), min(ink.shape[1], math.ceil(x1) + pad)
        ys, xs = np.nonzero(ink[ya:yb, xa:xb])
        if xs.size:
            measured[name] = (float(xs.max() - xs.min()), float(ys.max() - ys.min()))
    # (view, axis) pairs that must agree: 0 = width, 1 = height in pixels
    pairs = {"x": [("front", 0), ("top", 0), ("bottom", 0), ("back", 0)],
             "z": [("front", 1), ("right", 1), ("left", 1), ("back", 1)],
             "y": [("top", 1), ("bottom", 1), ("right", 0), ("left", 0)]}
    lo, hi = expected_bbox(s)
    scale = meta.get("scale", 1.0)
    tol = 2.0 + 0.003 * max(rgb.shape)
    problems, compared = [], 0
    for axis, members in pairs.items():
        sizes = {f"{v} {'width' if k == 0 else 'height'}": measured[v][k] for v, k in members if v in measured}
        expected = (hi["xyz".index(axis)] - lo["xyz".index(axis)]) * scale
        for what, px in sizes.items():
            compared += 1
            if abs(px - expected) > tol:
                problems.append(f"{what} is {px:.0f} px, expected {expected:.0f} px ({axis} size "
                                f"{hi['xyz'.index(axis)] - lo['xyz'.index(axis)]:g} mm at {scale:.2f} px/mm)")
        if len(sizes) > 1 and max(sizes.values()) - min(sizes.values()) > tol:
            problems.append(" vs ".join(f"{k} {v:.0f} px" for k, v in sizes.items()) + " disagree")
    ok = not problems and compared > 0
    return {"verifier": "cad.sheet.views", "passed": ok or compared == 0, "score": 1.0 if ok else 0.0,
            "checked": "on the sheet: front width = top width, front height = side height, top depth = side "
                       "width, each at the sheet's scale",
            "message": ("The views agree in size." if ok else
                        "No orthographic views on the sheet to compare." if compared == 0 else
                        "The sheet's views disagree: " + "; ".join(problems) + "."),
            "details": {"measured_px": measured}}


# OCR reads Ø as some other symbol, as 0 or 9, or not at all; × as x or *.
LOOKALIKES = {"Ø": "(?:[^\\d\\s]|[09])?", "×": "[×xX*]?"}


def label_pattern(text: str) -> re.Pattern:
    """What OCR may return for a label: the numbers and words exactly; Ø and × as look-alikes; any spacing."""
    parts = [r"\s*" if ch == " " else LOOKALIKES.get(ch, re.escape(ch)) for ch in text]
    return re.compile(r"\s*" + "".join(parts) + r"\s*", re.IGNORECASE)


def label_strip(sheet_path: str, labels: list[dict], zoom: int = 3):
    """The labels cut out of the sheet where they were drawn and set in one row on white, so one OCR
    call reads them all without the dimension lines around them. Returns the strip and each label's
    x range in it."""
    from PIL import Image

    sheet = Image.open(sheet_path).convert("RGB")
    crops = []
    for label in labels:
        x0, y0, x1, y1 = label["box"]
        crop = sheet.crop((int(x0) - 1, int(y0) - 2, math.ceil(x1) + 2, math.ceil(y1) + 2))
        crops.append(crop.resize((crop.width * zoom, crop.height * zoom), Image.LANCZOS))
    pad = 24 * zoom
    strip = Image.new("RGB", (sum(c.width + pad for c in crops) + pad, max(c.height for c in crops) + 2 * pad),
                      "white")
    spans, x = [], pad
    for crop in crops:
        strip.paste(crop, (x, pad + (strip.height - 2 * pad - crop.height) // 2))
        spans.append((x - pad / 2, x + crop.width + pad / 2))
        x += crop.width + pad
    return strip, spans


def check_sheet_labels(sheet_path: str, meta: dict) -> dict:
    """Every dimension label reads back through OCR (tesseract) from where it was drawn on the sheet.

    The labels are read at 3× and, for any that do not match, again at 2× (tesseract's reading of a
    Ø next to a digit changes with the glyph size).
    """
    import tempfile

    from ..common.ocr import read_text

    labels = meta.get("labels", [])
    if not labels:
        return {"verifier": "cad.sheet.labels", "passed": True, "score": 1.0, "checked": "no dimension labels",
                "message": "The sheet has no dimension labels to read."}
    readings: dict[int, list[str]] = {i: [] for i in range(len(labels))}
    pending = list(range(len(labels)))
    for zoom in (3, 2):
        strip, spans = label_strip(sheet_path, [labels[i] for i in pending], zoom)
        with tempfile.NamedTemporaryFile(suffix=".png") as tmp:
            strip.save(tmp.name)
            words = read_text(tmp.name)
        for i, (left, right) in zip(list(pending), spans):
            row = sorted((w for w in words if left <= (w["box"][0] + w["box"][2]) / 2 < right),
                         key=lambda w: w["box"][0])
            readings[i].append(" ".join(w["text"] for w in row))
            if label_pattern(labels[i]["text"]).fullmatch(readings[i][-1]):
                pending.remove(i)
        if not pending:
            break
    misread = [f"'{labels[i]['text']}' read as '{readings[i][0]}'" for i in pending]
    ok = not misread
    return {"verifier": "cad.sheet.labels", "passed": ok, "score": round(1 - len(misread) / len(labels), 4),
            "checked": f"OCR (tesseract) of the sheet's {len(labels)} dimension labels, cut out where they were drawn",
            "message": (f"All {len(labels)} dimension labels read back." if ok
                        else "Dimension labels do not read back: " + "; ".join(misread) + "."),
            "details": {"labels": [lb["text"] for lb in labels], "read": [readings[i] for i in range(len(labels))],
                        "misread": misread}}


# -- entry points -----------------------------------------------------------------------------------


def verify_cad(spec: dict, files: dict[str, str], meta: dict | None = None) -> list[dict]:
    """All checks for a rendered CadSpec. `files` maps artifact names to absolute paths."""
    from .render import build_part

    s = load_cad_spec(spec)
    meta = meta or {}
    verdicts = []
    if "part.step" in files:
        verdicts.append(check_part(s, files["part.step"]))
    else:
        verdicts.append({"verifier": "cad.part", "passed": False, "checked": "part.step exists",
                         "message": "The renderer wrote no STEP file."})
    if "part.stl" in files:
        verdicts.append(check_stl(s, files["part.stl"]))
    solid = build_part(s)
    for view in s.views:
        name = f"{view.label}.png"
        if name not in files:
            verdicts.append({"verifier": f"cad.view.{view.label}", "passed": False, "checked": f"{name} exists",
                             "message": f"The {view.words} was not drawn."})
            continue
        verdicts.append(check_view(s, solid, view, files[name]))
    if "main.png" in files and "sheet" in meta:
        verdicts.append(check_sheet_views(s, files["main.png"], meta["sheet"]))
        verdicts.append(check_sheet_labels(files["main.png"], meta["sheet"]))
    return verdicts


def verify_cad_image(image_path: str, spec: dict, view: dict) -> list[dict]:
    """Check any image (from this tool or a generator) against one view of a part."""
    from .render import build_part

    s = load_cad_spec(spec)
    v = View.model_validate(view)
    return [check_view(s, build_part(s), v, image_path)]


def check_pixels(spec: dict, image_path: str) -> list[dict]:
    """The checks a head's drawing of this part faces: the isometric view, which the native prompt asks for."""
    return verify_cad_image(image_path, spec, {"name": "iso"})
