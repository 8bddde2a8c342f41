"""Render a DiagramSpec with graphviz: graph.dot, main.svg and main.png.

The DOT source is written here from typed fields only. Node ids in DOT are generated (`n0`, `n1`, …;
helpers are `h0`, …), every label is a quoted, escaped string, and the attribute names come from a
fixed allow-list that `check_dot` enforces on the finished source. The spec already refuses labels
with DOT syntax (`x" image="/etc/passwd`); this escaping is the second line of defence, so even a spec
that skipped validation has such a label drawn as text and no attribute that reads a file emitted.
Clusters are DOT subgraphs `cluster_0`, `cluster_1`, … in the order of `spec.clusters`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path

from ...errors import IvluError
from .spec import DiagramSpec

FONT = "DejaVu Sans"
ALLOWED_ATTRS = frozenset({
    "label", "shape", "style", "fillcolor", "color", "fontcolor", "fontname", "fontsize", "penwidth",
    "rankdir", "dpi", "nodesep", "ranksep", "ordering", "bgcolor", "pad", "margin", "width", "height",
    "fixedsize", "arrowhead", "arrowsize", "dir", "splines", "overlap", "labelloc", "weight", "charset",
})
SHAPES = {  # spec shape → DOT attributes
    "box": {"shape": "box"},
    "rounded": {"shape": "box", "style": "rounded,filled"},
    "ellipse": {"shape": "ellipse"},
    "circle": {"shape": "circle"},
    "doublecircle": {"shape": "doublecircle"},
    "diamond": {"shape": "diamond"},
    "parallelogram": {"shape": "parallelogram"},
}
FILL = {"diamond": "#fff4d6", "parallelogram": "#e8f6ec", "rounded": "#e6eefb", "ellipse": "#e6eefb"}


def quote(text: str) -> str:
    """A DOT double-quoted string that graphviz draws exactly as `text`.

    Backslashes would start escapes (\\N, \\l…), quotes would end the string, '&' would start an
    HTML entity; newlines become DOT's centred line break.
    """
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    return '"' + text.replace("\r", "").replace("\n", "\\n") + '"'


def attrs(values: dict) -> str:
    return "[" + ", ".join(f"{k}={quote(str(v))}" for k, v in values.items()) + "]"


def wrap(label: str, width: int) -> str:
    lines = []
    for line in label.split("\n"):
        lines += textwrap.wrap(line, width=width, break_long_words=False, break_on_hyphens=False) or [""]
    return "\n".join(lines)


_DOT_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|[A-Za-z_][A-Za-z0-9_]*|-?\d*\.?\d+|->|--|\S')


def check_dot(dot: str) -> list[str]:
    """Attribute names outside the allow-list in DOT source (empty when the source is safe)."""
    tokens = _DOT_TOKEN.findall(dot)
    bad = []
    for i, tok in enumerate(tokens[:-1]):
        if tokens[i + 1] == "=" and not tok.startswith('"') and tok not in ALLOWED_ATTRS:
            bad.append(tok)
        if tok.startswith('"') and tokens[i + 1] == "=":
            bad.append(tok)  # a quoted attribute name: never written by to_dot
    return bad


def to_dot(s: DiagramSpec) -> tuple[str, dict[str, str]]:
    """DOT source and the map DOT id → spec node id."""
    size = s.layout.font_size
    ids = {n.id: f"n{i}" for i, n in enumerate(s.nodes)}
    arrow = "->" if s.directed else "--"
    graph = {"rankdir": s.layout.rankdir, "bgcolor": "white", "pad": "0.25",
             "nodesep": "0.45", "ranksep": "0.5", "fontname": FONT, "fontsize": size, "charset": "UTF-8"}
    if s.diagram in ("tree", "bst"):
        graph["ordering"] = "out"
    if s.layout.engine != "dot":
        graph["overlap"] = "false"
        graph["splines"] = "true"
    edge = {"fontname": FONT, "fontsize": max(8.0, size - 2), "color": "#2c3e50", "penwidth": 1.2}
    if not s.layout.arrowheads:
        edge["arrowhead"] = "none"
    lines = [("digraph" if s.directed else "graph") + " G {",
             f"  graph {attrs(graph)};",
             f"  node {attrs({'fontname': FONT, 'fontsize': size, 'style': 'filled', 'fillcolor': '#eef3fb', 'color': '#2c3e50', 'penwidth': 1.4, 'margin': '0.15,0.08'})};",
             f"  edge {attrs(edge)};"]

    def node_line(n) -> str:
        a = {"label": wrap(n.label, s.layout.wrap), **SHAPES[n.shape]}
        if n.shape in FILL:
            a["fillcolor"] = FILL[n.shape]
        if n.shape in ("circle", "doublecircle"):
            a["width"] = "0.6"
        return f"  {ids[n.id]} {attrs(a)};"

    for k, cluster in enumerate(s.clusters):
        lines.append(f"  subgraph cluster_{k} {{")
        lines.append(f"    graph {attrs({'label': cluster.label, 'style': 'rounded', 'color': '#95a5a6'})};")
        lines += ["  " + node_line(n) for n in s.nodes if n.cluster == cluster.id]
        lines.append("  }")
    lines += [node_line(n) for n in s.nodes if not n.cluster]
    helpers = 0
    if s.start:
        lines.append(f"  h{helpers} {attrs({'shape': 'point', 'label': '', 'width': '0.12'})};")
        lines.append(f"  h{helpers} {arrow} {ids[s.start]};")
        helpers += 1
    if s.diagram == "bst":
        lines += bst_edges(s, ids, arrow)
    else:
        for e in s.edges:
            a = {"label": e.label} if e.label else {}
            lines.append(f"  {ids[e.source]} {arrow} {ids[e.target]}" + (f" {attrs(a)}" if a else "") + ";")
    lines.append("}")
    dot = "\n".join(lines) + "\n"
    bad = check_dot(dot)
    if bad:  # cannot happen with the code above; a guard for future edits
        raise IvluError(f"Refusing to run graphviz: DOT attributes outside the allow-list: {bad}.")
    return dot, {v: k for k, v in ids.items()}


def bst_edges(s: DiagramSpec, ids: dict[str, str], arrow: str) -> list[str]:
    """Edges of a binary tree, each parent's children as [left, invisible middle, right].

    graphviz centres a lone child under its parent and may put two children anywhere; the invisible
    middle child (heavy, straight down) and an invisible stand-in for a missing child keep every left
    child strictly left of its parent and every right child strictly right."""
    children: dict[str, dict[str, str]] = {}
    for e in s.edges:
        children.setdefault(e.source, {})[e.side or ("left" if "left" not in children.get(e.source, {}) else "right")] = e.target
    labels = {(e.source, e.target): e.label for e in s.edges}
    hidden = {"label": "", "style": "invis", "width": "0.3"}
    lines, helpers = [], 0
    for parent in (n.id for n in s.nodes):
        if parent not in children:
            continue
        for side in ("left", "middle", "right"):
            child = children[parent].get(side)
            if child is None:
                lines.append(f"  m{helpers} {attrs(hidden)};")
                weight = {"weight": "100"} if side == "middle" else {}
                lines.append(f"  {ids[parent]} {arrow} m{helpers} {attrs({'style': 'invis', **weight})};")
                helpers += 1
            else:
                a = {"label": labels[(parent, child)]} if labels[(parent, child)] else {}
                lines.append(f"  {ids[parent]} {arrow} {ids[child]}" + (f" {attrs(a)}" if a else "") + ";")
    return lines


def run_graphviz(dot: str, engine: str, dpi: int, timeout_s: float = 30.0) -> tuple[bytes, bytes]:
    """SVG (at 72 dpi: graphviz 2.43 writes a clipped viewBox at any other) and PNG (at `dpi`) bytes.
    The layout is in points, so both runs place everything identically."""
    exe = shutil.which(engine)
    if exe is None:
        raise RuntimeError(f"graphviz `{engine}` is not installed; run `make install`")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "graph.dot"
        src.write_text(dot, encoding="utf-8")
        out = {}
        for fmt, extra in (("svg", []), ("png", [f"-Gdpi={dpi}"])):
            target = Path(tmp) / f"main.{fmt}"
            run = subprocess.run([exe, *extra, f"-T{fmt}", "-o", str(target), str(src)],
                                 capture_output=True, text=True, timeout=timeout_s, cwd=tmp, check=False)
            if run.returncode != 0:
                raise RuntimeError(f"graphviz failed: {run.stderr.strip()[:500]}")
            out[fmt] = target.read_bytes()
        return out["svg"], out["png"]


def render_diagram(spec: dict) -> dict:
    """Draw one diagram. Returns main.png, main.svg and graph.dot; meta maps DOT ids to node ids."""
    s = DiagramSpec.model_validate(spec)
    dot, dot_ids = to_dot(s)
    svg, png = run_graphviz(dot, s.layout.engine, s.layout.dpi)
    return {
        "files": [
            {"name": "main.png", "mime": "image/png", "data": png},
            {"name": "main.svg", "mime": "image/svg+xml", "data": svg},
            {"name": "graph.dot", "mime": "text/vnd.graphviz", "data": dot.encode()},
        ],
        "meta": {"dot_ids": dot_ids, "engine": s.layout.engine, "dpi": s.layout.dpi},
    }
