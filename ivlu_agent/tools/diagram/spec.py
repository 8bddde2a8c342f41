"""Diagram step: flowcharts, trees, binary search trees, graphs and state machines drawn by graphviz.

The spec is typed data: nodes, edges, labels, shapes and clusters. Labels are plain text: the spec
refuses text that tries DOT syntax (a double quote, a curly brace, `image=` and the other attributes
that read files), and the renderer still escapes every label and allow-lists every attribute, so no
field of the spec can make graphviz read a file. `expect` holds the structural facts the request
implies (a tree, no loops, the BST of some keys, counts), which the verifier checks on the drawing.
"""

from __future__ import annotations

import math
import re
from typing import ClassVar, Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ...types import Verdict
from ..base import CliCheck, StepSpec, listed, one_line

MAX_NODES = 80
MAX_EDGES = 200
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")  # newlines are allowed: they break label lines
# A quote would end a DOT string and a brace open a block; these attributes make graphviz read files.
FILE_ATTRIBUTES = ("image", "imagepath", "shapefile", "fontpath", "stylesheet")
DOT_SYNTAX = re.compile(r'["{}]|\b(?:' + "|".join(FILE_ATTRIBUTES) + r")\s*=", re.IGNORECASE)
PLAIN_TEXT = ("plain text: no double quotes, no curly braces and no attribute assignments such as "
              "image=, shapefile=, imagepath= or fontpath= (single quotes, brackets, '<', '&', '\\' and "
              "formulas such as 'low = mid + 1' are fine)")
NODE_ID = r"^[A-Za-z0-9_]{1,40}$"
Shape = Literal["box", "rounded", "ellipse", "circle", "doublecircle", "diamond", "parallelogram"]


def dot_syntax(text: str) -> str | None:
    """The first piece of DOT syntax in `text` (a double quote, a brace, `image =`…), or None."""
    m = DOT_SYNTAX.search(text)
    return m.group(0) if m else None


def _plain(text: str, what: str = "label") -> str:
    if CONTROL.search(text):
        raise ValueError(f"{what} {text!r} contains control characters; use plain text")
    bad = dot_syntax(text)
    if bad:
        # A typed error, so a planner can tell injection from other bounds and say so.
        raise PydanticCustomError(
            "dot_syntax", "{message}",
            {"message": f"{what} {text!r} contains the DOT syntax {bad!r}; expected {PLAIN_TEXT}; "
                        "remove it or reword the label",
             "text": text, "bad": bad, "what": what})
    return text


class Node(BaseModel):
    """One node. `id` is how edges name it; it never appears in the drawing or the DOT source."""

    id: str = Field(pattern=NODE_ID, description="Unique name used by edges, e.g. 'n1' or 'k50'.")
    label: str = Field(default="", max_length=80, description="Text drawn in the node, exactly as given.")
    shape: Shape = Field(default="box", description="Outline: box, rounded, ellipse, circle, doublecircle, "
                                                     "diamond (decision) or parallelogram (input/output).")
    cluster: str = Field(default="", pattern=r"^[A-Za-z0-9_]{0,40}$", description="Id of the cluster it sits in.")

    @field_validator("label")
    @classmethod
    def _plain_label(cls, v: str) -> str:
        return _plain(v, "node label")


class Edge(BaseModel):
    """One edge (an arrow when the diagram is directed)."""

    source: str = Field(pattern=NODE_ID)
    target: str = Field(pattern=NODE_ID)
    label: str = Field(default="", max_length=40, description="Text on the edge ('yes', a weight, an input).")
    side: Literal["", "left", "right"] = Field(default="", description="Child side in a binary tree.")

    @field_validator("label")
    @classmethod
    def _plain_label(cls, v: str) -> str:
        return _plain(v, "edge label")


class Cluster(BaseModel):
    """A labelled box around some nodes (drawn by the dot layout only)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_]{1,40}$", description="Name that nodes use in their `cluster` field.")
    label: str = Field(default="", max_length=60, description="Text drawn at the top of the box.")

    @field_validator("label")
    @classmethod
    def _plain_label(cls, v: str) -> str:
        return _plain(v, "cluster label")


class Expect(BaseModel):
    """Structure the request implies; each set field becomes a check on the drawn graph."""

    acyclic: bool = Field(default=False, description="The drawing must have no directed cycle.")
    tree: bool = Field(default=False, description="The drawing must be a rooted tree.")
    bst_keys: list[int] = Field(default_factory=list, max_length=63,
                                description="Keys in insertion order: the drawing must be their BST.")
    node_count: int | None = Field(default=None, ge=1, le=MAX_NODES)
    edge_count: int | None = Field(default=None, ge=0, le=MAX_EDGES)


class DiagramLayout(BaseModel):
    """How graphviz lays it out. `refine` enlarges fonts and resolution when OCR misses a label."""

    engine: Literal["dot", "neato", "circo"] = Field(default="dot", description="graphviz layout program.")
    rankdir: Literal["TB", "LR"] = Field(default="TB", description="Flow direction for dot.")
    font_size: float = Field(default=14.0, ge=8, le=36, description="Node label size in points.")
    dpi: int = Field(default=110, ge=72, le=300, description="PNG resolution.")
    wrap: int = Field(default=26, ge=8, le=80, description="Wrap node labels at about this many characters.")
    arrowheads: bool = Field(default=True, description="Draw arrowheads on directed edges (trees: False).")


class DiagramSpec(StepSpec):
    """Draw a diagram."""

    kind: Literal["diagram"] = "diagram"
    diagram: Literal["flowchart", "tree", "bst", "graph", "state_machine"] = "graph"
    directed: bool = Field(default=True, description="Arrows (True) or plain lines (False).")
    nodes: list[Node] = Field(min_length=1, max_length=MAX_NODES)
    edges: list[Edge] = Field(default_factory=list, max_length=MAX_EDGES)
    clusters: list[Cluster] = Field(default_factory=list, max_length=12)
    start: str = Field(default="", pattern=r"^[A-Za-z0-9_]{0,40}$",
                       description="Initial state of a state machine (drawn with an entry arrow).")
    expect: Expect = Field(default_factory=Expect)
    layout: DiagramLayout = Field(default_factory=DiagramLayout)

    style_fields: ClassVar[frozenset[str]] = frozenset({"layout"})
    renderer = "ivlu_agent.tools.diagram.render:render_diagram"
    verifier = "ivlu_agent.tools.diagram.verify:verify_diagram"
    pixel_check = "ivlu_agent.tools.diagram.verify:check_pixels"
    cli = CliCheck("--diagram", "the diagram in words, e.g. 'flowchart of binary search'; OCR reads its node labels",
                   "ivlu_agent.tools.diagram.rule:verify_target", metavar="REQUEST",
                   empty="a diagram with labels (a title, axis labels, categories or node names)")

    @field_validator("title")
    @classmethod
    def _plain_title(cls, v: str) -> str:
        return _plain(v, "title")

    @model_validator(mode="after")
    def _consistent(self) -> DiagramSpec:
        ids = [n.id for n in self.nodes]
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                raise ValueError(f"node id {i!r} is used twice")
            seen.add(i)
        self._check_clusters()
        for e in self.edges:
            for end in (e.source, e.target):
                if end not in seen:
                    raise ValueError(f"edge {e.source} → {e.target} names the unknown node {end!r}")
        sides: set[tuple[str, str]] = set()
        for e in self.edges:
            if e.side and (e.source, e.side) in sides:
                raise ValueError(f"node {e.source!r} has two {e.side} children")
            sides.add((e.source, e.side))
        if self.start and self.start not in seen:
            raise ValueError(f"the start state {self.start!r} is not a node")
        if self.diagram in ("tree", "bst") or self.expect.tree:
            problem = tree_problem(ids, [(e.source, e.target) for e in self.edges])
            if problem:
                raise ValueError(f"not a tree: {problem}")
        if self.expect.bst_keys and len(set(self.expect.bst_keys)) != len(self.expect.bst_keys):
            raise ValueError("binary search tree keys must be distinct")
        return self

    def _check_clusters(self) -> None:
        clusters = [c.id for c in self.clusters]
        twice = sorted({c for c in clusters if clusters.count(c) > 1})
        if twice:
            raise ValueError(f"cluster id(s) {', '.join(map(repr, twice))} used twice; give each cluster its own id")
        known = ", ".join(map(repr, clusters)) or "none"
        for n in self.nodes:
            if n.cluster and n.cluster not in clusters:
                raise ValueError(f"node {n.id!r} names the unknown cluster {n.cluster!r} (clusters: {known}); "
                                 "add that cluster to `clusters` or fix the node's `cluster`")
        empty = [c for c in clusters if not any(n.cluster == c for n in self.nodes)]
        if empty:  # graphviz draws no box for a cluster without nodes, so it could never be verified
            raise ValueError(f"cluster(s) {', '.join(map(repr, empty))} hold no node; put nodes in them "
                             "(node `cluster` field) or remove them")
        if clusters and self.layout.engine != "dot":
            raise ValueError(f"clusters are drawn only by the dot layout, not {self.layout.engine!r}; "
                             "set layout.engine to 'dot' or drop the clusters")

    def caption(self) -> str:
        if self.title:
            return self.title
        return {"flowchart": "flowchart", "tree": "tree", "bst": "binary search tree", "graph": "graph",
                "state_machine": "state machine"}[self.diagram]

    def describe(self) -> str:
        """'state machine: red → green → yellow → red'; 'binary search tree of the keys 50, 30, 70, 20'."""
        word = {"graph": "directed graph" if self.directed else "undirected graph",
                "state_machine": "state machine", "bst": "binary search tree"}.get(self.diagram, self.diagram)
        base = "graph" if self.diagram == "graph" else word  # the noun a title may begin with
        title = self.title.strip()
        if title.lower().startswith(base):  # 'Flowchart: binary search', 'State machine'
            rest = title.split(":", 1)[1].strip() if ":" in title else ""
            head = f"{word} of {rest}" if rest else word
        elif base in title.lower():  # 'Complete graph (5 nodes)'
            head = title
        else:
            head = word + (f" '{title}'" if title else "")
        if self.expect.bst_keys:
            return one_line(f"{head} with the keys {listed([str(k) for k in self.expect.bst_keys], 12)} "
                            "inserted in that order")
        label = {n.id: one_line(n.label or n.id, 30) for n in self.nodes}
        arrow = " → " if self.directed else " – "
        chain, end = "", None
        for e in self.edges:  # consecutive edges that continue a path read as one chain: a → b → c
            step = (f" –{e.label}→ " if self.directed else f" –{e.label}– ") if e.label else arrow
            if e.source == end:
                chain += step + label[e.target]
            else:
                chain += (", " if chain else "") + label[e.source] + step + label[e.target]
            end = e.target
        alone = [label[n.id] for n in self.nodes if not any(n.id in (e.source, e.target) for e in self.edges)]
        chain += (", " if chain and alone else "") + ", ".join(alone)
        line = f"{head}: {chain}"
        if len(line) > 160:  # too long to read whole: say how big it is, then how it begins
            line = f"{head}, {len(self.nodes)} nodes and {len(self.edges)} edges: {chain}"
        return one_line(line)

    def refine(self, verdicts: list[Verdict], attempt: int) -> tuple[DiagramSpec, str] | None:
        failed = {v.verifier for v in verdicts if not v.passed}
        if "diagram.ocr" in failed and self.layout.font_size < 36:
            size = min(36.0, math.ceil(self.layout.font_size * 1.3))
            layout = self.layout.model_copy(update={"font_size": size, "dpi": min(300, self.layout.dpi + 40)})
            return (self.model_copy(update={"layout": layout}),
                    f"enlarged node labels to {size:g} pt at {layout.dpi} dpi for OCR")
        return None


def find_cycle(nodes: list[str], edges: list[tuple[str, str]], directed: bool = True) -> list[str] | None:
    """A cycle as a node list (first node repeated at the end), or None."""
    if not directed:
        forest: dict[str, list[str]] = {n: [] for n in nodes}
        for a, b in edges:
            path = _path(forest, a, b)
            if path is not None:
                return path + [a]
            forest.setdefault(a, []).append(b)
            forest.setdefault(b, []).append(a)
        return None
    adjacency: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        adjacency.setdefault(a, []).append(b)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root, out in adjacency.items():
        if state.get(root):
            continue
        path, stack = [root], [iter(out)]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(adjacency[nxt]))
    return None


def _path(forest: dict[str, list[str]], a: str, b: str) -> list[str] | None:
    """The path from a to b in an undirected forest, or None."""
    if a == b:
        return [a]
    previous: dict[str, str | None] = {a: None}
    queue = [a]
    while queue:
        node = queue.pop(0)
        for nxt in forest.get(node, []):
            if nxt not in previous:
                previous[nxt] = node
                if nxt == b:
                    path: list[str] = [b]
                    while previous[path[-1]] is not None:
                        path.append(previous[path[-1]])  # type: ignore[arg-type]
                    return path[::-1]
                queue.append(nxt)
    return None


def tree_problem(nodes: list[str], edges: list[tuple[str, str]]) -> str | None:
    """Why parent → child `edges` over `nodes` are not one rooted tree, or None."""
    cycle = find_cycle(nodes, edges)
    if cycle:
        return "it has the cycle " + " → ".join(cycle)
    parents: dict[str, list[str]] = {}
    for a, b in edges:
        parents.setdefault(b, []).append(a)
    twice = [f"{c} (parents {', '.join(p)})" for c, p in parents.items() if len(p) > 1]
    if twice:
        return "a node has two parents: " + "; ".join(twice)
    roots = [n for n in nodes if n not in parents]
    if len(roots) != 1:
        return f"it has {len(roots)} roots ({', '.join(roots[:6])}); a tree has exactly one"
    return None


def bst_shape(keys: list[int]) -> dict[int, tuple[int | None, str]]:
    """key → (parent key, 'left' | 'right') for the BST built by inserting `keys` in order."""
    shape: dict[int, tuple[int | None, str]] = {keys[0]: (None, "")}
    child: dict[tuple[int, str], int] = {}
    for k in keys[1:]:
        node = keys[0]
        while True:
            side = "left" if k < node else "right"
            if (node, side) not in child:
                child[(node, side)] = k
                shape[k] = (node, side)
                break
            node = child[(node, side)]
    return shape
