"""Verify a rendered diagram.

- `diagram.safety`: graph.dot uses only allow-listed attributes (nothing that reads a file).
- `diagram.graph`: the SVG graphviz wrote has exactly the spec's nodes, labels, edges and edge labels,
  and each cluster's box, with its label, around the nodes the spec puts in it.
- `diagram.tree`, `diagram.acyclic`, `diagram.counts`, `diagram.bst`: the structure the request implies
  holds in the drawing (from the SVG: edges by title, left/right by position).
- `diagram.ocr`: RapidOCR finds every node label in its node's box in main.png; nodes it misses on
  the whole image (single letters, small text) are cropped, enlarged and read again.
"""

from __future__ import annotations

import re
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..base import verdict
from ..common.images import stack_crops
from ..common.labels import missing_words, words
from ..common.ocr import read_text
from .render import check_dot
from .spec import DiagramSpec, bst_shape, find_cycle, tree_problem

NS = "{http://www.w3.org/2000/svg}"
_NUMBER = re.compile(r"-?\d*\.?\d+(?:[eE][-+]?\d+)?")
SPEC_NODE = re.compile(r"n\d+")  # render_diagram names spec nodes n0, n1, …; helpers (entry point, spacers) otherwise


@dataclass
class DrawnNode:
    dot_id: str
    label: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in graph coordinates (y down)
    text_box: tuple[float, float, float, float] | None
    line_boxes: list[tuple[float, float, float, float]] = field(default_factory=list)  # one per text line

    @property
    def center(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2


@dataclass
class DrawnGraph:
    """What graphviz drew, read from its SVG."""

    nodes: dict[str, DrawnNode] = field(default_factory=dict)  # dot id → node (helpers excluded)
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (dot source, dot target, label)
    # DOT name (cluster_0, …) → (label, box)
    clusters: dict[str, tuple[str, tuple[float, float, float, float]]] = field(default_factory=dict)
    offset: tuple[float, float] = (0.0, 0.0)
    size: tuple[float, float] = (1.0, 1.0)  # viewBox width and height

    def to_px(self, x: float, y: float, png_size: tuple[int, int]) -> tuple[float, float]:
        return ((x + self.offset[0]) * png_size[0] / self.size[0],
                (y + self.offset[1]) * png_size[1] / self.size[1])


def read_svg(path: str) -> DrawnGraph:
    root = ET.parse(path).getroot()
    view = [float(v) for v in root.get("viewBox", "0 0 1 1").split()]
    g = root.find(f"{NS}g")
    offset = (0.0, 0.0)
    if g is not None:
        m = re.search(r"translate\(([-\d.]+)[ ,]([-\d.]+)\)", g.get("transform", ""))
        if m:
            offset = (float(m.group(1)), float(m.group(2)))
    drawn = DrawnGraph(offset=offset, size=(view[2], view[3]))
    for el in root.iter(f"{NS}g"):
        cls = el.get("class")
        title = (el.findtext(f"{NS}title") or "").strip()
        texts = [("".join(t.itertext()), t) for t in el.findall(f"{NS}text")]
        label = " ".join(" ".join(t for t, _ in texts).split())
        if cls == "node" and SPEC_NODE.fullmatch(title):
            xs, ys = [], []
            for shape in el:
                if shape.tag == f"{NS}ellipse":
                    cx, cy, rx, ry = (float(shape.get(k)) for k in ("cx", "cy", "rx", "ry"))
                    xs += [cx - rx, cx + rx]
                    ys += [cy - ry, cy + ry]
                elif shape.tag in (f"{NS}polygon", f"{NS}path"):
                    nums = [float(v) for v in _NUMBER.findall(shape.get("points") or shape.get("d") or "")]
                    xs += nums[0::2]
                    ys += nums[1::2]
            if not xs:
                continue
            lines = [b for _, t in texts if (b := _text_box([t]))]
            drawn.nodes[title] = DrawnNode(title, label, (min(xs), min(ys), max(xs), max(ys)),
                                           _text_box([t for _, t in texts]), lines)
        elif cls == "edge":
            m = re.match(r"(\w+)\s*(?:->|--)\s*(\w+)", title)
            if m and SPEC_NODE.fullmatch(m.group(1)) and SPEC_NODE.fullmatch(m.group(2)):
                drawn.edges.append((m.group(1), m.group(2), label))
        elif cls == "cluster":
            outline = next((c for c in el if c.tag in (f"{NS}polygon", f"{NS}path")), None)  # rounded: a path
            points = (outline.get("points") or outline.get("d") or "") if outline is not None else ""
            nums = [float(v) for v in _NUMBER.findall(points)]
            if nums:
                xs, ys = nums[0::2], nums[1::2]
                drawn.clusters[title] = (label, (min(xs), min(ys), max(xs), max(ys)))
    return drawn


def _text_box(texts: list) -> tuple[float, float, float, float] | None:
    """Where a node's text lines sit (graphviz gives the baseline, anchor and font size)."""
    boxes = []
    for t in texts:
        content = "".join(t.itertext())
        if not content.strip():
            continue
        x, y, size = float(t.get("x")), float(t.get("y")), float(t.get("font-size", 14))
        width = 0.6 * size * len(content)  # DejaVu Sans averages about 0.55 em a character
        anchor = t.get("text-anchor", "middle")
        x0 = x - width / 2 if anchor == "middle" else (x - width if anchor == "end" else x)
        boxes.append((x0, y - 0.95 * size, x0 + width, y + 0.3 * size))
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


# -- checks ----------------------------------------------------------------------------------------


def check_safety(dot_path: str | None) -> dict:
    if dot_path is None:
        return verdict("diagram.safety", False, 0.0, "the DOT source", "graph.dot is missing; re-render.")
    bad = check_dot(Path(dot_path).read_text(encoding="utf-8"))
    ok = not bad
    return verdict("diagram.safety", ok, 1.0 if ok else 0.0,
                   "every attribute in graph.dot is on the allow-list (no image, shapefile, fontpath…)",
                   "The DOT source uses only allow-listed attributes." if ok else
                   f"The DOT source has attributes outside the allow-list: {sorted(set(bad))}.", bad=bad)


def spec_label(text: str) -> str:
    return " ".join(text.split())


def check_graph(s: DiagramSpec, drawn: DrawnGraph, dot_ids: dict[str, str]) -> dict:
    """Nodes, labels, edges and edge labels in the SVG are exactly the spec's."""
    problems = []
    by_spec = {n.id: n for n in s.nodes}
    drawn_ids = {dot_ids.get(d, d): n for d, n in drawn.nodes.items()}
    for nid, node in by_spec.items():
        got = drawn_ids.get(nid)
        if got is None:
            problems.append(f"node {spec_label(node.label) or nid!r} is missing")
        elif got.label != spec_label(node.label):
            problems.append(f"node {nid!r} shows {got.label!r}, expected {spec_label(node.label)!r}")
    extra = [n.label or nid for nid, n in drawn_ids.items() if nid not in by_spec]
    if extra:
        problems.append(f"unexpected node(s): {', '.join(map(repr, extra[:5]))}")

    def key(a: str, b: str, label: str) -> tuple:
        ends = (a, b) if s.directed else tuple(sorted((a, b)))
        return (*ends, spec_label(label))

    want = Counter(key(e.source, e.target, e.label) for e in s.edges)
    got = Counter(key(dot_ids.get(a, a), dot_ids.get(b, b), label) for a, b, label in drawn.edges)
    arrow = "→" if s.directed else "—"
    for e, n in (want - got).items():
        problems.append(f"edge {e[0]} {arrow} {e[1]}" + (f" [{e[2]}]" if e[2] else "") + " is missing"
                        + (f" ×{n}" if n > 1 else ""))
    for e, n in (got - want).items():
        problems.append(f"unexpected edge {e[0]} {arrow} {e[1]}" + (f" [{e[2]}]" if e[2] else ""))
    problems += check_clusters(s, drawn, dot_ids)
    total = len(s.nodes) + len(s.edges)
    ok = not problems
    return verdict("diagram.graph", ok, max(0.0, 1 - len(problems) / max(total, 1)),
                   f"{len(s.nodes)} nodes and {len(s.edges)} edges with their labels in the SVG",
                   "The drawing has exactly the requested nodes, labels and edges." if ok else "; ".join(problems[:6]),
                   drawn_nodes=len(drawn.nodes), drawn_edges=len(drawn.edges))


def check_clusters(s: DiagramSpec, drawn: DrawnGraph, dot_ids: dict[str, str]) -> list[str]:
    """Each cluster is drawn (render_diagram names them cluster_0, … in spec order) with its label,
    and its box holds exactly the nodes the spec puts in it."""
    problems = []
    inverse = {v: k for k, v in dot_ids.items()}
    for k, c in enumerate(s.clusters):
        name = spec_label(c.label) or c.id
        got = drawn.clusters.get(f"cluster_{k}")
        if got is None:
            problems.append(f"cluster {name!r} is missing")
            continue
        label, (x0, y0, x1, y1) = got
        if label != spec_label(c.label):
            problems.append(f"cluster {c.id!r} shows {label!r}, expected {spec_label(c.label)!r}")
        for n in s.nodes:
            node = drawn.nodes.get(inverse.get(n.id, n.id))
            if node is None:
                continue  # reported as a missing node
            inside = x0 <= node.center[0] <= x1 and y0 <= node.center[1] <= y1
            if n.cluster == c.id and not inside:
                problems.append(f"node {spec_label(n.label) or n.id!r} is drawn outside its cluster {name!r}")
            elif n.cluster != c.id and inside:
                problems.append(f"node {spec_label(n.label) or n.id!r} is drawn inside the cluster {name!r}")
    return problems


def check_structure(s: DiagramSpec, drawn: DrawnGraph, dot_ids: dict[str, str]) -> list[dict]:
    """The structural facts in `s.expect`, checked on the drawn graph."""
    nodes = [dot_ids.get(d, d) for d in drawn.nodes]
    edges = [(dot_ids.get(a, a), dot_ids.get(b, b)) for a, b, _ in drawn.edges]
    names = {n.id: spec_label(n.label) or n.id for n in s.nodes}
    out = []
    if s.expect.tree:
        problem = tree_problem(nodes, edges)
        out.append(verdict("diagram.tree", problem is None, 1.0 if problem is None else 0.0,
                           "the drawn graph is one rooted tree (one root, one parent each, no cycle)",
                           "The drawing is a tree." if problem is None else
                           "The drawing is not a tree: " + _named(problem, names) + "."))
    if s.expect.acyclic:
        cycle = find_cycle(nodes, edges, s.directed)
        out.append(verdict("diagram.acyclic", cycle is None, 1.0 if cycle is None else 0.0,
                           "the drawn graph has no cycle (a flowchart without loops)",
                           "The drawing has no loop." if cycle is None else
                           "The drawing has a loop: " + " → ".join(names.get(c, c) for c in cycle) + "."))
    if s.expect.node_count is not None or s.expect.edge_count is not None:
        wrong = []
        if s.expect.node_count is not None and len(nodes) != s.expect.node_count:
            wrong.append(f"{len(nodes)} nodes drawn, {s.expect.node_count} requested")
        if s.expect.edge_count is not None and len(edges) != s.expect.edge_count:
            wrong.append(f"{len(edges)} edges drawn, {s.expect.edge_count} requested")
        out.append(verdict("diagram.counts", not wrong, 0.0 if wrong else 1.0,
                           "the numbers of nodes and edges the request names",
                           "; ".join(wrong) if wrong else
                           f"{len(nodes)} nodes and {len(edges)} edges, as requested."))
    if s.expect.bst_keys:
        out.append(check_bst(s.expect.bst_keys, drawn))
    return out


def _named(problem: str, names: dict[str, str]) -> str:
    return re.sub(r"\b\w+\b", lambda m: names.get(m.group(0), m.group(0)), problem)


def check_bst(keys: list[int], drawn: DrawnGraph) -> dict:
    """The drawing is the BST of `keys` in insertion order: same parent for every key, and each
    left child drawn left of its parent, each right child right of it."""
    want = bst_shape(keys)
    by_key: dict[int, DrawnNode] = {}
    problems = []
    for node in drawn.nodes.values():
        try:
            by_key[int(node.label)] = node
        except ValueError:
            problems.append(f"node label {node.label!r} is not a key")
    parent_of = {}
    for a, b, _ in drawn.edges:
        if a in drawn.nodes and b in drawn.nodes:
            parent_of[b] = a
    for key, (parent, side) in want.items():
        node = by_key.get(key)
        if node is None:
            problems.append(f"key {key} is missing")
            continue
        drawn_parent = parent_of.get(node.dot_id)
        got = drawn.nodes[drawn_parent].label if drawn_parent in drawn.nodes else None
        if parent is None:
            if got is not None:
                problems.append(f"root {key} is drawn under {got}")
            continue
        if got != str(parent):
            problems.append(f"{key} is drawn under {got}, expected under {parent} ({side})")
            continue
        dx = node.center[0] - drawn.nodes[drawn_parent].center[0]
        if (side == "left" and dx > -1) or (side == "right" and dx < 1):
            problems.append(f"{key} must be the {side} child of {parent} but is drawn on the other side")
    extra = sorted(set(by_key) - set(want))
    if extra:
        problems.append(f"keys not requested: {extra}")
    ok = not problems
    return verdict("diagram.bst", ok, max(0.0, 1 - len(problems) / len(keys)),
                   f"the BST of {keys} (insertion order): parents and left/right sides in the drawing",
                   "The drawing is the binary search tree of the keys in insertion order." if ok
                   else "; ".join(problems[:6]))


# -- raster ----------------------------------------------------------------------------------------


def check_ocr(s: DiagramSpec, drawn: DrawnGraph, dot_ids: dict[str, str], png_path: str) -> dict | None:
    """Every node label is read by OCR inside its node's box.

    RapidOCR reads the whole PNG first (graphviz text is upright, so its angle classifier is off). For
    nodes it misses (single letters, short labels), each text line is cropped, enlarged and read again
    in one strip, by RapidOCR and by tesseract; either may read it."""
    from PIL import Image

    image = Image.open(png_path).convert("L")
    size = image.size
    inverse = {v: k for k, v in dot_ids.items()}
    targets = [(n, drawn.nodes.get(inverse.get(n.id, n.id))) for n in s.nodes if words(n.label)]
    if not targets:
        return None
    lines = read_text(png_path, "rapid", upright=True)
    unread: dict[str, str] = {}
    engines: dict[str, str] = {}
    for node, box in targets:
        if box is None:
            unread[node.id] = node.label
            continue
        if missing_words(node.label, _lines_in(lines, _px_box(drawn, box.box, size, pad=2)), spaced=False):
            unread[node.id] = node.label
        else:
            engines[node.id] = "rapid"
    retry = [(node, box) for node, box in targets if node.id in unread and box is not None and box.line_boxes]
    if retry:
        crops = [(f"{node.id}/{k}", _inside(_px_box(drawn, line, size, pad=4), _px_box(drawn, box.box, size, pad=-4)))
                 for node, box in retry for k, line in enumerate(box.line_boxes)]
        strip, spans = _strip(image, crops)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "lines.png"
            strip.save(path)
            reads = {"rapid (crop)": read_text(path, "rapid", upright=True),
                     "tesseract (crop)": read_text(path, "tesseract", psm=6)}
        for node, box in retry:
            for engine, found in reads.items():
                read = " ".join(_in_span(found, spans[f"{node.id}/{k}"]) for k in range(len(box.line_boxes)))
                if not missing_words(node.label, read, spaced=False):
                    del unread[node.id]
                    engines[node.id] = engine
                    break
    n = len(targets)
    ok = not unread
    return verdict("diagram.ocr", ok, (n - len(unread)) / n,
                   f"OCR finds each of {n} node label(s) inside its node in the PNG",
                   f"OCR read all {n} node labels." if ok else
                   "OCR could not find " + ", ".join(repr(spec_label(v)) for v in list(unread.values())[:8])
                   + " in the drawing; enlarging the labels.",
                   unread=list(unread), engines=dict(Counter(engines.values())))


def _inside(box, frame):
    """`box` clipped to `frame` (keeps the node's outline out of a label crop)."""
    x0, y0, x1, y1 = max(box[0], frame[0]), max(box[1], frame[1]), min(box[2], frame[2]), min(box[3], frame[3])
    return (x0, y0, x1, y1) if x1 - x0 > 2 and y1 - y0 > 2 else box


def _in_span(found: list[dict], span: tuple[float, float]) -> str:
    inside = [w for w in found if span[0] <= (w["box"][1] + w["box"][3]) / 2 <= span[1]]
    return " ".join(w["text"] for w in sorted(inside, key=lambda w: w["box"][0]))


def _px_box(drawn: DrawnGraph, box, size, pad: float) -> tuple[float, float, float, float]:
    x0, y0 = drawn.to_px(box[0], box[1], size)
    x1, y1 = drawn.to_px(box[2], box[3], size)
    return (max(0, x0 - pad), max(0, y0 - pad), min(size[0], x1 + pad), min(size[1], y1 + pad))


def _lines_in(lines: list[dict], box) -> str:
    inside = [w for w in lines if box[0] <= (w["box"][0] + w["box"][2]) / 2 <= box[2]
              and box[1] <= (w["box"][1] + w["box"][3]) / 2 <= box[3]]
    inside.sort(key=lambda w: (w["box"][1], w["box"][0]))
    return " ".join(w["text"] for w in inside)


def _strip(image, boxes: list[tuple[str, tuple]], scale: int = 3, gap: int = 40):
    from PIL import Image

    crops = []
    for name, (x0, y0, x1, y1) in boxes:
        crop = image.crop((int(x0), int(y0), int(x1 + 1), int(y1 + 1)))
        crops.append((name, crop.resize((max(1, crop.width * scale), max(1, crop.height * scale)), Image.LANCZOS)))
    return stack_crops(crops, gap)


def verify_diagram(spec: dict, files: dict[str, str], meta: dict | None = None) -> list[dict]:
    """All checks for a rendered DiagramSpec. `files` maps artifact names to absolute paths."""
    s = DiagramSpec.model_validate(spec)
    meta = meta or {}
    dot_ids = meta.get("dot_ids") or {f"n{i}": n.id for i, n in enumerate(s.nodes)}
    verdicts = [check_safety(files.get("graph.dot"))]
    if "main.svg" not in files:
        return verdicts + [verdict("diagram.graph", False, 0.0, "the SVG", "The render produced no SVG.")]
    drawn = read_svg(files["main.svg"])
    verdicts.append(check_graph(s, drawn, dot_ids))
    verdicts += check_structure(s, drawn, dot_ids)
    if "main.png" in files:
        ocr = check_ocr(s, drawn, dot_ids, files["main.png"])
        if ocr:
            verdicts.append(ocr)
    return verdicts


MAX_IMAGE_LABELS = 60  # whole-image OCR of more labels than this says little more


def verify_diagram_image(image_path: str, spec: dict) -> list[dict]:
    """Raster check of any image of a diagram (ours, the head's or another generator's): OCR reads every
    node label anywhere in the image. Structure (edges, BST order, acyclicity) is checked only on this
    tool's own SVG. [] when no node has a label to read."""
    from ..common.readback import verify_text_image

    s = DiagramSpec.model_validate(spec)
    strings = list(dict.fromkeys(spec_label(n.label) for n in s.nodes if words(n.label)))[:MAX_IMAGE_LABELS]
    if not strings:
        return []
    return [{**v, "verifier": "diagram.ocr",
             "checked": f"OCR reads {len(strings)} node label(s) in the image (from pixels alone; edges and "
                        "structure are checked only on this tool's SVG)"}
            for v in verify_text_image(image_path, strings)]


def check_pixels(spec: dict, image_path: str) -> list[dict]:
    """The checks any image of this diagram faces (a head's drawing too): OCR reads its node labels."""
    return verify_diagram_image(image_path, spec)
