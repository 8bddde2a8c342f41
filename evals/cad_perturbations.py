"""Detection and false-alarm rates of the CAD view verifier on a perturbation set.

For each of N random, valid parts (boxes, cylinders, tubes, L brackets, prisms with holes, slots,
pockets, bosses, fillets and chamfers) the script draws:

- correct views, in six line styles (sizes 320–720 px, line widths 1–3 px, with and without
  hidden lines, one saved as JPEG with a wide margin, one rasterised from the SVG by cairosvg, one on
  grey with blur and noise), the isometric and a randomly rotated view, and shaded pictures (no
  lines: z-buffered, lit triangles, as a renderer or an image generator would draw the part);
- views with one defect each: another view given for the named one, a mirrored image, a hole
  missing, a hole moved, an image stretched by 12–18 % along one axis; a mirrored and a
  hole-missing isometric view; and shaded pictures with the wrong view, mirrored, a hole missing
  or moved, or stretched.

The primary view looks straight at the face that carries the first hole. A defect that leaves the
picture unchanged (a mirror of a symmetric view, say) is not a defect: an exact check on the
projected edges (not the verifier) finds those, and they are left out and counted.

    .venv/bin/python evals/cad_perturbations.py              # 32 parts, seed 7
    .venv/bin/python evals/cad_perturbations.py --seed 11    # another draw of parts
    .venv/bin/python evals/cad_perturbations.py --limits     # and subtle defects, to see where detection ends
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ivlu_agent.errors import IvluError
from ivlu_agent.tools.cad.geometry import faces
from ivlu_agent.tools.cad.match import compare_view, read_picture
from ivlu_agent.tools.cad.render import build_part, draw_view
from ivlu_agent.tools.cad.spec import CadSpec, View, make_cad_spec
from ivlu_agent.tools.cad.views import Projection, project

FACE_VIEW = {"top": "top", "bottom": "bottom", "front": "front", "back": "back", "right": "right", "left": "left",
             "base": "top", "upright": "right"}
STYLES = {
    "default": {"view_px": 480, "line_px": 2},
    "small-thin": {"view_px": 320, "line_px": 1},
    "large-thick": {"view_px": 720, "line_px": 3},
    "no-hidden-jpeg": {"view_px": 560, "line_px": 2, "hidden": False, "margin": 70},
}


# -- random parts -------------------------------------------------------------------------------------


def random_part(rng: random.Random) -> dict:
    kind = rng.choices(["box", "cylinder", "tube", "l_bracket", "extrusion"], [4, 1.5, 1, 2, 1.5])[0]
    r = lambda a, b: round(rng.uniform(a, b), 1)
    if kind == "box":
        return {"shape": "box", "length": r(40, 120), "width": r(25, 80), "height": r(6, 40)}
    if kind == "cylinder":
        return {"shape": "cylinder", "diameter": r(30, 90), "height": r(8, 60)}
    if kind == "tube":
        d = r(40, 90)
        return {"shape": "tube", "outer_diameter": d, "inner_diameter": round(d * rng.uniform(0.3, 0.5), 1),
                "height": r(10, 50)}
    if kind == "l_bracket":
        length = r(40, 90)
        return {"shape": "l_bracket", "length": length, "height": r(30, 90), "width": r(25, 60),
                "thickness": r(4, 10)}
    n = rng.choice([3, 4, 5, 6])
    radius = r(20, 45)
    pts = [(round(radius * math.cos(2 * math.pi * k / n + 0.3) * rng.uniform(0.8, 1.15), 1),
            round(radius * math.sin(2 * math.pi * k / n + 0.3) * rng.uniform(0.8, 1.15), 1)) for k in range(n)]
    return {"shape": "extrusion", "points": pts, "height": r(6, 30)}


def random_features(rng: random.Random, part: dict) -> list[dict]:
    spec = make_cad_spec(part=part)
    available = faces(spec.part)
    names = list(available)
    feats: list[dict] = []
    hole_faces = [n for n in names if n in ("top", "base", "upright")] or names
    face = rng.choice(hole_faces if rng.random() < 0.7 else names)
    f = available[face]
    size = min(f.half) * 2 if f.region != "annulus" else (f.radius - f.inner)
    for _ in range(rng.choice([1, 2, 2, 3])):
        d = round(rng.uniform(0.12, 0.3) * size, 1)
        if f.region == "annulus":
            rho, ang = (f.inner + f.radius) / 2, rng.uniform(0, 2 * math.pi)
            at = (round(rho * math.cos(ang), 1), round(rho * math.sin(ang), 1))
        else:
            at = (round(rng.uniform(-0.6, 0.6) * f.half[0], 1), round(rng.uniform(-0.6, 0.6) * f.half[1], 1))
        kind = rng.choice(["hole", "hole", "hole", "blind", "counterbore"])
        if kind == "hole":
            feats.append({"type": "hole", "face": face, "at": at, "diameter": d})
        elif kind == "blind":
            feats.append({"type": "hole", "face": face, "at": at, "diameter": d,
                          "depth": round(f.thickness * 0.5, 1)})
        else:
            feats.append({"type": "counterbore", "face": face, "at": at, "diameter": d,
                          "cbore_diameter": round(d * 1.7, 1), "cbore_depth": round(f.thickness * 0.3, 1)})
    extra = rng.choice(["none", "slot", "pocket", "boss", "fillet", "chamfer"])
    if extra in ("slot", "pocket", "boss") and part["shape"] in ("box", "l_bracket", "extrusion", "cylinder"):
        other = rng.choice(names)
        g = available[other]
        at = (round(rng.uniform(-0.5, 0.5) * g.half[0], 1), round(rng.uniform(-0.5, 0.5) * g.half[1], 1))
        small = min(g.half) if g.region != "annulus" else (g.radius - g.inner) / 2
        if extra == "slot":
            feats.append({"type": "slot", "face": other, "at": at, "length": round(small * 0.8, 1),
                          "width": round(small * 0.25, 1), "angle": rng.choice([0, 30, 90])})
        elif extra == "pocket":
            feats.append({"type": "pocket", "face": other, "at": at, "length": round(small * 0.6, 1),
                          "width": round(small * 0.4, 1), "depth": round(g.thickness * 0.3, 1)})
        else:
            feats.append({"type": "boss", "face": other, "at": at, "diameter": round(small * 0.5, 1),
                          "height": round(small * 0.3, 1)})
    elif extra in ("fillet", "chamfer") and part["shape"] in ("box", "cylinder"):
        edges = "vertical" if part["shape"] == "box" else "top"
        size = 1.5
        feats.append({"type": "fillet", "edges": edges, "radius": size} if extra == "fillet"
                     else {"type": "chamfer", "edges": edges, "size": size})
    return feats


def random_spec(rng: random.Random) -> CadSpec:
    while True:
        part = random_part(rng)
        try:
            return make_cad_spec(part=part, features=random_features(rng, part))
        except IvluError:
            continue


def moved_hole(rng: random.Random, spec: CadSpec, index: int, fraction: float | None = None) -> CadSpec | None:
    """The spec with hole `index` moved by 20–45 % of its face's half size (at least 3 mm), or by `fraction`."""
    f = spec.features[index]
    face = faces(spec.part)[f.face]
    span = min(face.half) if face.region != "annulus" else (face.radius - face.inner) / 2
    for _ in range(40):
        du, dv = rng.choice([(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1)])
        step = fraction * span if fraction else max(3.0, rng.uniform(0.2, 0.45) * span)
        feats = [g.model_dump() for g in spec.features]
        feats[index]["at"] = (round(f.at[0] + du * step, 1), round(f.at[1] + dv * step, 1))
        try:
            return make_cad_spec(part=spec.part.model_dump(), features=feats)
        except IvluError:
            continue
    return None


# -- the exact "is it visible" check ----------------------------------------------------------------------


def _points(proj: Projection) -> np.ndarray:
    pts = []
    for line in proj.drawn + proj.hidden:
        seg = np.hypot(*np.diff(line, axis=0).T)
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        t = np.linspace(0, cum[-1], max(2, int(cum[-1] / 0.25) + 1))
        pts.append(np.column_stack([np.interp(t, cum, line[:, 0]), np.interp(t, cum, line[:, 1])]))
    pts = np.concatenate(pts)
    u0, v0, u1, v1 = proj.bounds()
    scale = math.sqrt(max(u1 - u0, 1e-6) * max(v1 - v0, 1e-6))
    return (pts - [(u0 + u1) / 2, (v0 + v1) / 2]) / scale


def _outline_points(proj: Projection, pixels: int = 1000) -> np.ndarray:
    """Boundary of the projected mesh (silhouette with its holes), sampled finely, normalised like _points."""
    from scipy import ndimage

    from ivlu_agent.tools.cad.views import fill_triangles

    u0, v0, u1, v1 = proj.bounds()
    scale = pixels / max(u1 - u0, v1 - v0)
    tri = (proj.triangles - [u0, v0]) * scale
    mask = fill_triangles(tri, (int((u1 - u0) * scale) + 2, int((v1 - v0) * scale) + 2))
    ys, xs = np.nonzero(mask & ~ndimage.binary_erosion(mask))
    pts = np.column_stack([xs, ys]) / scale + [u0, v0]
    norm = math.sqrt(max(u1 - u0, 1e-6) * max(v1 - v0, 1e-6))
    return (pts - [(u0 + u1) / 2, (v0 + v1) / 2]) / norm


def visibly_different(a: Projection, b: Projection, tol: float = 0.01, shaded: bool = False) -> bool:
    """True when the two drawings differ by more than 1 % of their size somewhere (Hausdorff distance).
    For a shaded picture only the silhouette and its holes count."""
    from scipy.spatial import cKDTree

    pa, pb = (_outline_points(a), _outline_points(b)) if shaded else (_points(a), _points(b))
    return max(cKDTree(pb).query(pa)[0].max(), cKDTree(pa).query(pb)[0].max()) > tol


# -- images -------------------------------------------------------------------------------------------------


def shaded_png(solid, view: View, size: int = 480, margin: int = 30, supersample: int = 2) -> bytes:
    """A shaded picture of the view (z-buffered, Lambert-lit triangles): how a renderer or an image
    generator would show the part, with no lines drawn at all."""
    from PIL import Image

    from ivlu_agent.tools.cad.views import frame

    normal, right, up = frame(view)
    verts, tris = solid.tessellate(solid.BoundingBox().DiagonalLength / 3000, 0.15)
    P = np.array([v.toTuple() for v in verts])
    T = np.array(tris)
    uv, depth = np.column_stack([P @ right, P @ up]), P @ normal
    n = np.cross(P[T[:, 1]] - P[T[:, 0]], P[T[:, 2]] - P[T[:, 0]])
    length = np.linalg.norm(n, axis=1)
    keep = length > 1e-12
    n[keep] /= length[keep, None]
    light = normal * 0.6 + up * 0.5 + right * 0.3
    shade = 0.35 + 0.65 * np.abs(n @ (light / np.linalg.norm(light)))
    u0, v0 = uv.min(0)
    u1, v1 = uv.max(0)
    s = (size - 2 * margin) / max(u1 - u0, v1 - v0) * supersample
    W, H = int((u1 - u0) * s) + 2 * margin * supersample, int((v1 - v0) * s) + 2 * margin * supersample
    xy = np.column_stack([margin * supersample + (uv[:, 0] - u0) * s, margin * supersample + (v1 - uv[:, 1]) * s])
    zbuf, img = np.full((H, W), -np.inf), np.full((H, W, 3), 255.0)
    colour = np.array([150.0, 170.0, 200.0])
    for t in np.flatnonzero(keep):
        a, b, c = xy[T[t]]
        x0, x1 = max(0, int(np.floor(min(a[0], b[0], c[0])))), min(W - 1, int(np.ceil(max(a[0], b[0], c[0]))))
        y0, y1 = max(0, int(np.floor(min(a[1], b[1], c[1])))), min(H - 1, int(np.ceil(max(a[1], b[1], c[1]))))
        den = (b[1] - c[1]) * (a[0] - c[0]) + (c[0] - b[0]) * (a[1] - c[1])
        if x1 < x0 or y1 < y0 or abs(den) < 1e-12:
            continue
        X, Y = np.meshgrid(np.arange(x0, x1 + 1) + 0.5, np.arange(y0, y1 + 1) + 0.5)
        l1 = ((b[1] - c[1]) * (X - c[0]) + (c[0] - b[0]) * (Y - c[1])) / den
        l2 = ((c[1] - a[1]) * (X - c[0]) + (a[0] - c[0]) * (Y - c[1])) / den
        l3 = 1 - l1 - l2
        z = l1 * depth[T[t][0]] + l2 * depth[T[t][1]] + l3 * depth[T[t][2]]
        sub = zbuf[y0:y1 + 1, x0:x1 + 1]
        nearer = (l1 >= -1e-9) & (l2 >= -1e-9) & (l3 >= -1e-9) & (z > sub)
        sub[nearer] = z[nearer]
        img[y0:y1 + 1, x0:x1 + 1][nearer] = colour * shade[t]
    buf = io.BytesIO()
    Image.fromarray(img.astype(np.uint8)).reduce(supersample).save(buf, "PNG")
    return buf.getvalue()


def cairosvg_png(svg: bytes) -> bytes:
    """Another rasteriser (anti-aliased, round caps) for the same drawing."""
    import cairosvg

    return cairosvg.svg2png(bytestring=svg, output_width=600)


def as_ink(png: bytes, jpeg: bool = False, flip: bool = False, stretch: tuple[float, float] | None = None,
           scan: random.Random | None = None):
    from PIL import Image, ImageFilter

    im = Image.open(io.BytesIO(png)).convert("RGB")
    if scan is not None:  # like a photo or a generator's output: grey paper, soft lines, noise
        grey = np.asarray(im.filter(ImageFilter.GaussianBlur(1.2)), dtype=float) * 0.85 + 20
        noise = np.random.default_rng(scan.randrange(1 << 30)).normal(0, 6, grey.shape)
        im = Image.fromarray(np.clip(grey + noise, 0, 255).astype(np.uint8))
    if flip:
        im = im.transpose(Image.FLIP_LEFT_RIGHT)
    if stretch:
        im = im.resize((round(im.width * stretch[0]), round(im.height * stretch[1])), Image.BICUBIC)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85) if jpeg else im.save(buf, "PNG")
    buf.seek(0)
    return read_picture(buf)


def run(n_specs: int, seed: int, sensitivity: bool = False) -> dict:
    rng = random.Random(seed)
    cases: list[dict] = []
    skipped: dict[str, int] = defaultdict(int)
    started = time.perf_counter()
    for i in range(n_specs):
        spec = random_spec(rng)
        solid = build_part(spec)
        holes = [k for k, f in enumerate(spec.features) if f.type in ("hole", "counterbore")]
        primary = View(name=FACE_VIEW[spec.features[holes[0]].face])
        rotated = View(name="rotated", rx=rng.choice([0, 20, 35]), ry=rng.choice([0, 15]), rz=rng.choice([25, 40, 60]))
        proj = {v.label: project(solid, v, mesh=True) for v in (primary, View(name="iso"), rotated)}

        def add(kind: str, view: View, picture: tuple, defect: bool, note: str = "", i=i, spec=spec,
                proj=proj) -> None:
            match = compare_view(picture[0], proj[view.label], picture[1])
            cases.append({"spec": i, "part": spec.part.shape, "view": view.label, "kind": kind, "defect": defect,
                          "flagged": not match.passed, "problems": match.problems, "note": note,
                          "iou": round(match.iou, 3), "recall": round(match.recall, 3)})

        for style, options in STYLES.items():
            png = draw_view(proj[primary.label], **options)[0]
            add(f"correct/{style}", primary, as_ink(png, jpeg=style.endswith("jpeg")), False)
        svg = draw_view(proj[primary.label])[1]
        add("correct/svg-via-cairosvg", primary, as_ink(cairosvg_png(svg)), False)
        add("correct/grey-blurred-noisy", primary, as_ink(draw_view(proj[primary.label])[0], scan=rng), False)
        for view in (View(name="iso"), rotated):
            add("correct/default", view, as_ink(draw_view(proj[view.label])[0]), False)

        good = draw_view(proj[primary.label])[0]
        others = [View(name=n) for n in ("front", "top", "right", "left", "bottom", "back") if n != primary.name]
        wrong = next((v for v in others if visibly_different(project(solid, v), proj[primary.label])), None)
        if wrong is None:
            skipped["wrong view"] += 1
        else:
            add("wrong view", primary, as_ink(draw_view(project(solid, wrong))[0]), True, f"{wrong.label} given")
        for view in (primary, View(name="iso")):
            if visibly_different(proj[view.label].mirrored(), proj[view.label]):
                add("mirrored", view, as_ink(draw_view(proj[view.label])[0], flip=True), True)
            else:
                skipped["mirrored"] += 1
        k = holes[0]
        without = make_cad_spec(part=spec.part.model_dump(),
                                features=[f.model_dump() for j, f in enumerate(spec.features) if j != k])
        solid_without = build_part(without)
        for view in (primary, View(name="iso")):
            changed = project(solid_without, view)
            if visibly_different(changed, proj[view.label]):
                add("hole missing", view, as_ink(draw_view(changed)[0]), True)
            else:
                skipped["hole missing"] += 1
        moved = moved_hole(rng, spec, k)
        changed = project(build_part(moved), primary) if moved else None
        if changed is not None and visibly_different(changed, proj[primary.label]):
            add("hole moved", primary, as_ink(draw_view(changed)[0]), True)
        else:
            skipped["hole moved"] += 1
        factor = rng.uniform(1.12, 1.18)
        stretch = (factor, 1.0) if i % 2 == 0 else (1.0, factor)
        add("stretched", primary, as_ink(good, stretch=stretch), True, f"{factor:.2f}× {'x' if i % 2 == 0 else 'y'}")
        shaded = shaded_png(solid, primary)
        add("correct/shaded", primary, as_ink(shaded), False)
        add("correct/shaded", View(name="iso"), as_ink(shaded_png(solid, View(name="iso"))), False)
        if wrong is not None and visibly_different(project(solid, wrong, mesh=True), proj[primary.label], shaded=True):
            add("shaded: wrong view", primary, as_ink(shaded_png(solid, wrong)), True, f"{wrong.label} given")
        else:
            skipped["shaded: wrong view"] += 1
        if visibly_different(proj[primary.label].mirrored(), proj[primary.label], shaded=True):
            add("shaded: mirrored", primary, as_ink(shaded, flip=True), True)
        else:
            skipped["shaded: mirrored"] += 1
        if visibly_different(project(solid_without, primary, mesh=True), proj[primary.label], shaded=True):
            add("shaded: hole missing", primary, as_ink(shaded_png(solid_without, primary)), True)
        else:
            skipped["shaded: hole missing"] += 1
        changed = project(build_part(moved), primary, mesh=True) if moved else None
        if changed is not None and visibly_different(changed, proj[primary.label], shaded=True):
            add("shaded: hole moved", primary, as_ink(shaded_png(build_part(moved), primary)), True)
        else:
            skipped["shaded: hole moved"] += 1
        add("shaded: stretched", primary, as_ink(shaded, stretch=stretch), True)
        if not sensitivity:
            continue
        for factor in (1.03, 1.05, 1.08):
            stretch = (factor, 1.0) if i % 2 == 0 else (1.0, factor)
            add(f"limits/stretched {factor - 1:.0%}", primary, as_ink(good, stretch=stretch), True)
        for fraction in (0.03, 0.06, 0.1):
            moved = moved_hole(rng, spec, k, fraction)
            changed = project(build_part(moved), primary) if moved else None
            if changed is not None and visibly_different(changed, proj[primary.label], tol=0.002):
                add(f"limits/hole moved {fraction:.0%} of half-face", primary, as_ink(draw_view(changed)[0]), True)
    return summarise(cases, skipped, n_specs, seed, time.perf_counter() - started)


def summarise(cases, skipped, n_specs, seed, seconds) -> dict:
    correct = [c for c in cases if not c["defect"]]
    defects = [c for c in cases if c["defect"] and not c["kind"].startswith("limits/")]
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for c in cases:
        by_kind[c["kind"]][0] += c["flagged"]
        by_kind[c["kind"]][1] += 1
    return {
        "specs": n_specs, "seed": seed, "seconds": round(seconds, 1),
        "correct_views": len(correct), "false_alarms": sum(c["flagged"] for c in correct),
        "false_alarm_rate": round(sum(c["flagged"] for c in correct) / len(correct), 4),
        "defective_views": len(defects), "detected": sum(c["flagged"] for c in defects),
        "detection_rate": round(sum(c["flagged"] for c in defects) / len(defects), 4),
        "by_kind": {k: {"flagged": f, "of": n} for k, (f, n) in sorted(by_kind.items())},
        "left_out_invisible": dict(skipped),
        "misses": [c for c in defects if not c["flagged"]],
        "false_alarm_cases": [c for c in correct if c["flagged"]],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--specs", type=int, default=32)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", help="write the full result here")
    ap.add_argument("--limits", action="store_true",
                    help="also try subtle defects (3–8 %% stretch, holes moved 3–10 %%), reported apart")
    args = ap.parse_args()
    result = run(args.specs, args.seed, args.limits)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    print(f"{result['specs']} parts, seed {result['seed']}, {result['seconds']} s")
    print(f"detection:   {result['detected']}/{result['defective_views']} = {result['detection_rate']:.1%}")
    print(f"false alarm: {result['false_alarms']}/{result['correct_views']} = {result['false_alarm_rate']:.1%}")
    for kind, r in result["by_kind"].items():
        print(f"  {kind:28s} flagged {r['flagged']:3d} of {r['of']:3d}")
    if result["left_out_invisible"]:
        print("left out (the defect changes nothing visible):", result["left_out_invisible"])
    for c in result["misses"][:10]:
        print("  missed:", c["spec"], c["part"], c["view"], c["kind"], c["note"], c["iou"], c["recall"])
    for c in result["false_alarm_cases"][:10]:
        print("  false alarm:", c["spec"], c["part"], c["view"], c["kind"], c["problems"])


if __name__ == "__main__":
    main()
