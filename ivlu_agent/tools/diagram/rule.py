"""Diagram rule: flowcharts ('flowchart of binary search', 'flowchart: start -> read x -> end'),
binary search trees ('BST with keys 50, 30, 70, 20'), trees ('tree A(B(D, E), C)'), graphs
('undirected graph A-B, B-C, C-A', 'K5', 'cycle graph C6') and state machines
('state machine: idle -coin-> unlocked, unlocked -push-> idle, start at idle')."""

from __future__ import annotations

import difflib
import re

from pydantic import ValidationError

from ...errors import IvluError, validation_problems
from ..base import BadRequest, PlanContext, owns_whole
from ..common.prose import FILLER as PROSE_FILLER
from .relations import (
    AFTER_TREE,
    COMPLETE_GRAPH,
    HIERARCHY_WORDS,
    INSERT_FIRST,
    OTHER_KINDS,
    REPORTS,
    TOP,
    _too_big,
    arrow_chain,
    chain_spec,
    cycle_items,
    cycle_spec,
    hierarchy_spec,
    known_sequence,
    sequence_spec,
)
from .spec import (
    PLAIN_TEXT,
    DiagramLayout,
    DiagramSpec,
    Edge,
    Expect,
    Node,
    bst_shape,
    dot_syntax,
    find_cycle,
)
from .words import (
    ARROW_TEXT,
    PLAIN_HYPHEN,
    VOCABULARY,
    NodeNames,
    algorithms,
    clean_name,
    nested_tree,
    orient_tree,
    parse_edges,
    shape_of,
    split_items,
    steps_as_arrows,
    take_counts,
    take_subject,  # the edge-list grammar and bundled flowcharts; tests import `algorithms` from here
)

DIAGRAM_WORDS = re.compile(
    r"\b(flow\s*-?\s*charts?|flow\s+diagrams?|trees?|bst|graphs?|digraphs?|state\s+(?:machines?|diagrams?|charts?)"
    r"|automat(?:on|a)|dfa|nfa|fsm|finite[- ]state|network\s+diagrams?)\b", re.IGNORECASE)
PLOT_PHRASES = re.compile(r"\b(?:graph\s+of|graph\s+y|graph\s+f\s*\(|bar\s+graphs?|line\s+graphs?|"
                          r"graph\s+(?:the\s+)?(?:function|curve))\b", re.IGNORECASE)
STATE_WORDS = re.compile(r"\b(state\s+(?:machines?|diagrams?|charts?)|automat(?:on|a)|dfa|nfa|fsm|finite[- ]state)\b",
                         re.IGNORECASE)
FLOW_WORDS = re.compile(r"\b(flow\s*-?\s*charts?|flow\s+diagrams?)\b", re.IGNORECASE)
BST_WORDS = re.compile(r"\b(binary\s+search\s+trees?|bst)\b", re.IGNORECASE)
LEAD = re.compile(
    r"^\s*(?:please\s+)?(?:(?:draw|make|show|create|give\s+me|render|sketch)\s+)?(?:(?:a|an|the)\s+)?"
    r"(?:(?!(?:flow|trees?|graphs?|state|bst)\b)[\w'-]+\s+){0,3}?"
    r"(?:flow\s*-?\s*charts?|flow\s+diagrams?|trees?|graphs?|digraphs?|state\s+(?:machines?|diagrams?|charts?)"
    r"|automat(?:on|a)|dfa|nfa|fsm|finite[- ]state\s+machines?|network\s+diagrams?)\s*"
    r"(?:(?:with|of|for|having|showing|where|that\s+has)\s+)?(?:(?:the\s+)?(?:edges?|transitions?|arcs?|links?)\s*)?:?\s*",
    re.IGNORECASE)
START = re.compile(r"\b(?:start(?:ing)?|initial(?:\s+state)?|begins?)\s*(?:state\s+)?(?:at|in|from|is|=|:)?\s*"
                   r"(?P<s>[\w'.]+)", re.IGNORECASE)
ACCEPT = re.compile(r"\b(?:accept(?:ing|s)?|final|halting)\s*(?:states?)?\s*(?:are|is|=|:|at|in)?\s*"
                    r"(?P<s>[\w'.]+(?:\s*(?:,|and)\s*[\w'.]+)*)", re.IGNORECASE)
EMPTY = re.compile(r"\b(?:empty|null)\s+(?:graph|tree|diagram|flow\s*chart)|\b(?:0|no|zero)\s+(?:nodes|vertices)\b",
                   re.IGNORECASE)
FAMILY = re.compile(
    r"\b(?:(?P<kmn>K_?\{?\s*(?P<m>\d{1,2})\s*,\s*(?P<n2>\d{1,2})\s*\}?)|(?P<fam>[KCPW])_?\{?(?P<n>\d{1,2})\}?"
    r"|(?P<word>complete|cycle|path|star|wheel)\s+graph\s+(?:on|with|of)\s+(?P<n3>\d{1,2})\s+(?:nodes|vertices|leaves))\b")
SUBSCRIPT = re.compile(r"\b[KCPWS]_?\{[\d,\s]*\}")  # K_{3,3}: the only braces a request may hold
BST_PREFIX = re.compile(r"\s*(?:please\s+)?(?:(?:draw|make|show|create|give\s+me|render|build|construct)\s+)?"
                        r"(?:(?:a|an|the)\s+)?(?:(?:balanced|unbalanced|small|simple)\s+)?", re.IGNORECASE)
KEYS_LEAD = re.compile(r"\b(?:keys?|values?|numbers?|elements?|items?)\b", re.IGNORECASE)



class DiagramRule:
    """Flowcharts, trees, BSTs, graphs and state machines."""

    name = "diagram"
    priority = 20  # before reactions: a graph's edge list has arrows too
    examples = (  # what the planner lists when it understands nothing in a request
        "flowcharts ('flowchart of binary search'), binary search trees ('BST with keys 50, 30, "
        "70, 20'), trees, graphs ('undirected graph A-B, B-C', 'K5') and state machines ('state "
        "machine: idle -coin-> ready, ready -push-> idle')"
    )
    vocabulary = VOCABULARY

    def claims(self, clause: str) -> bool:
        return bool(DIAGRAM_WORDS.search(PLOT_PHRASES.sub(" ", clause)) or HIERARCHY_WORDS.search(clause)
                    or arrow_chain(clause) or COMPLETE_GRAPH.search(clause) or cycle_items(clause)
                    or known_sequence(clause))

    def owns_together(self, clauses: list[str]) -> bool:
        """A flowchart's steps run on past a clause break ('…, print odd, then end'): the later clauses
        are short steps that name no other kind of figure."""
        steps = bool(FLOW_WORDS.search(clauses[0]) and ("," in clauses[0] or ":" in clauses[0])
                     and all(len(c.split()) <= 6 and not OTHER_KINDS.search(c) for c in clauses[1:]))
        # '…tree: root Animals with children Mammals and Birds; Mammals has Dog and Cat': relations run on
        relations = bool((HIERARCHY_WORDS.search(clauses[0]) or re.search(r"\btrees?\b", clauses[0], re.I))
                         and all(REPORTS.match(c.strip()) and not OTHER_KINDS.search(c) for c in clauses[1:]))
        return steps or relations

    def owns(self, text: str) -> bool:
        """True when the whole text reads as one diagram request (e.g. a list with commas)."""
        return owns_whole(self, text)

    def plan(self, clause: str, ctx: PlanContext) -> list[DiagramSpec]:
        spec, why = self.build(clause)
        ctx.reasoning.append(why)
        return [spec]

    def follow_up(self, clause: str, previous: list[dict], ctx: PlanContext, same_request: bool = False) -> None:
        return None

    def build(self, clause: str) -> tuple[DiagramSpec, str]:
        text = " ".join(clause.split())
        # Braces and file attributes are refused on the whole text (named graphs such as K_{3,3} aside):
        # a request that breaks the edge grammar with them should hear why, not "cannot read". A plain
        # IvluError, not a BadRequest, so a mixed request ('graph A-B and \frac{a}{b}') is still split.
        bad = dot_syntax(SUBSCRIPT.sub(" ", text).replace('"', " "))
        if bad:
            raise IvluError(*_dot_injection("diagram text", text, bad))
        try:
            return self._build(text)
        except ValidationError as e:
            injected = next((err for err in e.errors() if err["type"] == "dot_syntax"), None)
            if injected is None:
                raise
            ctx = injected["ctx"]
            raise BadRequest(*_dot_injection(ctx["what"], ctx["text"], ctx["bad"])) from None

    def _build(self, text: str) -> tuple[DiagramSpec, str]:
        if EMPTY.search(text):
            raise BadRequest(f"An empty diagram was requested ({text!r}): there is nothing to draw.",
                            "at least one node, e.g. 'graph A-B, B-C' or 'BST with keys 5, 3, 8'",
                            "name the nodes or edges to draw")
        if cycle_items(text) and not ARROW_TEXT.search(text):
            return cycle_spec(text)
        known = known_sequence(text)
        if known is not None and not STATE_WORDS.search(text) and not BST_WORDS.search(text):
            return sequence_spec(known)
        if HIERARCHY_WORDS.search(text) or (REPORTS.search(text) and not DIAGRAM_WORDS.search(text)):
            return hierarchy_spec(text)
        if STATE_WORDS.search(text):
            return self.state_machine(text)
        if BST_WORDS.search(text):
            return self.bst(text)
        if FLOW_WORDS.search(text):
            return self.flowchart(text)
        if re.search(r"\btrees?\b", text, re.IGNORECASE):
            return self.tree(text)
        if not DIAGRAM_WORDS.search(text) and arrow_chain(text):
            return chain_spec(text)
        return self.graph(text)

    # -- kinds -------------------------------------------------------------------------------------

    def bst(self, text: str) -> tuple[DiagramSpec, str]:
        words = BST_WORDS.search(text)
        before = text[:words.start()]
        if not BST_PREFIX.fullmatch(before):
            # 'Insert 8, 3, 10 in this order into an empty BST and draw the resulting tree': the keys come first
            keys_first = INSERT_FIRST.match(before)
            if not keys_first:
                raise IvluError(f"Cannot read {before.strip()!r} before the tree.",
                                "'binary search tree with keys 50, 30, 70, 20'",
                                "put other figures in their own clause")
            text = "BST with keys " + keys_first.group("keys") + " " + AFTER_TREE.sub("", text[words.end():])
            words = BST_WORDS.search(text)
        counts, body = take_counts(text[words.end():])
        m = KEYS_LEAD.search(body)
        body = body[m.end():] if m else body
        if re.search(r"\d+\.\d+", body):
            raise BadRequest(f"Binary search tree keys must be whole numbers ({body.strip()!r}).",
                            "integer keys, e.g. 50, 30, 70, 20", "round the keys")
        leftover = re.sub(r"[-−]?\d+|,|;|\band\b|\bthen\b|\bin\b|\border\b|\binserted\b|\binsert(?:ing|ion)?\b|"
                          r"\bthe\b|\bof\b|\bwith\b|\bare\b|:|\.", " ", body, flags=re.IGNORECASE).split()
        # words around the keys ('the tree you get by inserting 50, 30', '… neatly, for my lecture') do not stop
        # the tree: plan.faithful names the ones that mean something
        meaningful = [w for w in leftover if w.lower() not in PROSE_FILLER]
        if leftover and not re.search(r"\d", body):
            shown = " ".join(meaningful or leftover)
            raise IvluError(f"Cannot read {shown[:120] + ('…' if len(shown) > 120 else '')!r} as BST keys.",
                            "integer keys in insertion order",
                            "list the keys, e.g. 'binary search tree with keys 50, 30, 70, 20'")
        keys = [int(k.replace("−", "-")) for k in re.findall(r"[-−]?\d+", body)]
        if not keys:
            raise IvluError("No keys for the binary search tree.", "integer keys in insertion order",
                            "list them, e.g. 'BST with keys 50, 30, 70, 20'")
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise BadRequest(f"Key(s) {', '.join(map(str, dup))} appear more than once.",
                            "distinct keys (a BST stores each key once)", "remove the duplicates")
        if len(keys) > 63 or any(abs(k) > 10**9 for k in keys):
            raise BadRequest(f"{len(keys)} keys, largest |key| {max(abs(k) for k in keys)}.",
                            "at most 63 keys, each at most 1e9 in size", "use fewer or smaller keys")
        self._check_counts(counts, len(keys), len(keys) - 1, f"the keys {', '.join(map(str, keys))} give",
                           "fix the count, or list one key per node")
        shape = bst_shape(keys)
        nodes = [Node(id=f"k{i}", label=str(k), shape="circle") for i, k in enumerate(keys)]
        index = {k: i for i, k in enumerate(keys)}
        edges = [Edge(source=f"k{index[p]}", target=f"k{index[k]}", side=side)
                 for k, (p, side) in shape.items() if p is not None]
        spec = DiagramSpec(diagram="bst", nodes=nodes, edges=edges, title="Binary search tree",
                           expect=Expect(tree=True, bst_keys=keys, node_count=len(keys), edge_count=len(keys) - 1),
                           layout=DiagramLayout(arrowheads=False))
        depth = max(self._depth(k, shape) for k in keys)
        return spec, (f"Binary search tree of {len(keys)} keys inserted in the order {keys} "
                      f"(root {keys[0]}, height {depth}); checks: BST property, parents and sides, tree, counts.")

    @staticmethod
    def _depth(key: int, shape: dict) -> int:
        d = 0
        while shape[key][0] is not None:
            key, d = shape[key][0], d + 1
        return d

    def flowchart(self, text: str) -> tuple[DiagramSpec, str]:
        counts, body = take_counts(LEAD.sub("", text).strip(" ."))
        subject, listed = take_subject(body, steps=True)
        if subject and not ARROW_TEXT.search(listed):  # 'for making tea: boil water, add tea bag, …'
            return self.custom_flowchart(steps_as_arrows(listed), counts, subject)
        if not ARROW_TEXT.search(body) and (len(split_items(body)) >= 3 or "?" in body):  # 'start, read n, …'
            return self.custom_flowchart(steps_as_arrows(body), counts)
        if ARROW_TEXT.search(body) and re.search(r"\b(?:if|otherwise|else)\b", listed, re.I) \
                and not re.search(r"-\s*(?:yes|no)\s*->", listed, re.I):  # 'validate → if valid, save; otherwise …'
            return self.custom_flowchart(steps_as_arrows(listed), counts, subject)
        if ARROW_TEXT.search(body):
            return self.custom_flowchart(listed, counts, subject)
        name = re.sub(r"^(?:of|for|showing|the)\s+|\s+(?:algorithm|method|procedure)$", "",
                      body.lower().strip(" .")).strip()
        name = re.sub(r"^the\s+", "", name)
        table = algorithms()
        entry = table.get(name) or table.get(name.removesuffix(" algorithm"))
        if entry is None:
            known = sorted({e["name"] for e in table.values()})
            close = difflib.get_close_matches(name, list(table), n=3, cutoff=0.75)
            if len(close) >= 1 and name:
                entry = table[close[0]]
            else:
                raise IvluError(f"I do not know the algorithm {name!r} as a flowchart." if name else
                                "No algorithm or steps were given for the flowchart.",
                                "one of: " + ", ".join(known) + "; or steps like 'flowchart: start -> read x -> "
                                "print x -> end'", "name a known algorithm or list the steps with arrows")
        nodes, edges = [], []
        shapes = {"start": "ellipse", "end": "ellipse", "process": "box", "io": "parallelogram",
                  "decision": "diamond"}
        for step in entry["steps"]:
            nodes.append(Node(id=step["id"], label=step["text"], shape=shapes[step["type"]]))
            if step["type"] == "decision":
                edges.append(Edge(source=step["id"], target=step["yes"], label="yes"))
                edges.append(Edge(source=step["id"], target=step["no"], label="no"))
            elif step.get("next"):
                edges.append(Edge(source=step["id"], target=step["next"]))
        self._check_counts(counts, len(nodes), len(edges), f"the bundled flowchart of {entry['name']} has")
        acyclic = find_cycle([n.id for n in nodes], [(e.source, e.target) for e in edges]) is None
        spec = DiagramSpec(diagram="flowchart", nodes=nodes, edges=edges, title=f"Flowchart: {entry['name']}",
                           expect=Expect(acyclic=acyclic, node_count=len(nodes), edge_count=len(edges)))
        loops = "no loops" if acyclic else "loops drawn as back edges"
        return spec, (f"Flowchart of {entry['name']} from the bundled step list: {len(nodes)} steps, "
                      f"{len(edges)} arrows, {loops}.")

    def custom_flowchart(self, body: str, counts: dict[str, int], subject: str = "") -> tuple[DiagramSpec, str]:
        edges, rest = parse_edges(body)
        if rest or not edges:
            raise IvluError(f"Cannot read {'; '.join(rest) or body!r} as flowchart steps.",
                            "steps joined by arrows: 'start -> read x -> x > 0? -yes-> print x -> end'",
                            "join every step to the next with '->'")
        ids = NodeNames()
        spec_edges = ids.edges(edges)
        names = ids.labels
        _too_big(len(names), len(spec_edges))
        self._check_counts(counts, len(names), len(spec_edges))
        nodes = [Node(id=i, label=n, shape=shape_of(n)) for i, n in names.items()]
        acyclic = find_cycle(list(names), [(e.source, e.target) for e in spec_edges]) is None
        spec = DiagramSpec(diagram="flowchart", nodes=nodes, edges=spec_edges,
                           title=f"Flowchart: {subject}" if subject else "Flowchart",
                           expect=Expect(acyclic=acyclic, node_count=len(nodes), edge_count=len(spec_edges)))
        return spec, (f"Flowchart of {len(nodes)} steps and {len(spec_edges)} arrows as listed"
                      + ("; it has no loop, so the drawing must have none." if acyclic else "."))

    def tree(self, text: str) -> tuple[DiagramSpec, str]:
        counts, body = take_counts(LEAD.sub("", text).strip(" ."))
        if ARROW_TEXT.search(body) or PLAIN_HYPHEN.match(split_items(body)[0] if body else ""):
            edges, rest = parse_edges(body)
            if rest:
                raise IvluError(f"Cannot read {'; '.join(rest)!r} as tree edges.",
                                "parent -> child edges or nested names: 'tree A(B(D, E), C)'", "rewrite the edges")
            pairs = [(a, b, label) for a, b, label, _ in edges]
            pairs = orient_tree(pairs) if all(k == "u" for *_, k in edges) else pairs
        else:
            pairs = nested_tree(body)
        if not pairs and any(TOP.match(i) or REPORTS.match(i) for i in split_items(body)):
            return hierarchy_spec(text)  # 'root Animals with children Mammals and Birds; Mammals has Dog and Cat'
        if not pairs:
            raise IvluError(f"No tree structure in {text!r}.", "edges 'A -> B, A -> C' or nested 'A(B, C)'",
                            "list the parent–child pairs")
        ids = NodeNames()
        spec_edges = ids.edges([(a, b, label, "d") for a, b, label in pairs])
        names = ids.labels
        _too_big(len(names), len(spec_edges))
        cycle = find_cycle(list(names), [(e.source, e.target) for e in spec_edges])
        if cycle:
            raise BadRequest("A tree cannot contain a cycle, but the edges form "
                            + " → ".join(names[c] for c in cycle) + ".",
                            "edges where every node has one parent and no path leads back",
                            "remove an edge of the cycle, or ask for a graph instead")
        self._check_counts(counts, len(names), len(spec_edges))
        spec = DiagramSpec(diagram="tree", nodes=[Node(id=i, label=n, shape="ellipse") for i, n in names.items()],
                           edges=spec_edges, title="Tree",
                           expect=Expect(tree=True, node_count=len(names), edge_count=len(spec_edges)),
                           layout=DiagramLayout(arrowheads=False))
        return spec, f"Tree of {len(names)} nodes and {len(spec_edges)} edges; checks: one root, one parent each."

    def graph(self, text: str) -> tuple[DiagramSpec, str]:
        directed_words = bool(re.search(r"\b(directed|digraph)\b", text, re.IGNORECASE)) and not re.search(
            r"\bundirected\b", text, re.IGNORECASE)
        family = FAMILY.search(text)
        counts, body = take_counts(LEAD.sub("", text).strip(" ."))
        node_list: list[str] = []
        m = re.match(r"^(?:(?:with|having)\s+)?(?:nodes?|vertices)\s*:?\s*(?P<list>.+?)\s*(?:,?\s*(?:and|with)\s+"
                     r"(?:the\s+)?edges?\s*:?\s*(?P<rest>.*))?$", body, re.IGNORECASE)
        if m:
            node_list = [clean_name(n) for n in re.split(r"\s*(?:,|\band\b)\s*", m.group("list")) if clean_name(n)]
            body = m.group("rest") or ""
        if family and not ARROW_TEXT.search(body) and not PLAIN_HYPHEN.match(body or " "):
            return self.family(family, directed_words, counts)
        body = re.sub(r"^(?:(?:and|with)\s+)?(?:the\s+)?edges?\s*:?\s*", "", body, flags=re.IGNORECASE)
        edges, rest = parse_edges(body) if body else ([], [])
        if rest:
            raise IvluError(f"Cannot read {'; '.join(rest)!r} as graph edges.",
                            "edges like 'A-B, B-C' (undirected), 'A -> B' (directed), 'A-B (4)' (weighted), "
                            "or a named graph: K5, C6, P4, K3,3, 'star graph with 5 leaves'",
                            "rewrite the edges")
        if not edges and not node_list:
            raise BadRequest(f"No nodes or edges in {text!r}: an empty graph has nothing to draw.",
                            "edges like 'A-B, B-C' or a named graph such as K5",
                            "list the edges to draw")
        directed = directed_words or any(k in "db" for *_, k in edges)
        if re.search(r"\bundirected\b", text, re.IGNORECASE):
            directed = False
        ids = NodeNames()
        for n in node_list:
            ids.id(n)
        spec_edges = ids.edges(edges, both_ways=directed)
        names = ids.labels
        _too_big(len(names), len(spec_edges))
        self._check_counts(counts, len(names), len(spec_edges))
        shape = "circle" if max(len(n) for n in names.values()) <= 3 else "ellipse"
        spec = DiagramSpec(diagram="graph", directed=directed,
                           nodes=[Node(id=i, label=n, shape=shape) for i, n in names.items()], edges=spec_edges,
                           title="Directed graph" if directed else "Graph",
                           expect=Expect(node_count=len(names), edge_count=len(spec_edges)),
                           layout=DiagramLayout(engine="dot" if directed else "neato"))
        return spec, (f"{'Directed' if directed else 'Undirected'} graph of {len(names)} nodes and "
                      f"{len(spec_edges)} edges as listed; checks: nodes, edges, labels and counts.")

    def family(self, m: re.Match, directed: bool, counts: dict) -> tuple[DiagramSpec, str]:
        if m.group("kmn"):
            a, b = int(m.group("m")), int(m.group("n2"))
            kind, n = "bipartite", a + b
        else:
            letter = m.group("fam") or {"complete": "K", "cycle": "C", "path": "P", "star": "S",
                                         "wheel": "W"}[m.group("word").lower()]
            n = int(m.group("n") or m.group("n3"))
            kind = {"K": "complete", "C": "cycle", "P": "path", "S": "star", "W": "wheel"}[letter]
            if letter == "S":
                n += 1  # 'star graph with 5 leaves' has a centre too
        if not 1 <= n <= 16 or (kind == "cycle" and n < 3) or (kind == "wheel" and n < 4):
            raise BadRequest(f"A {kind} graph on {n} nodes cannot be drawn here.",
                            "1 to 16 nodes (cycles at least 3, wheels at least 4)", "pick another size")
        labels = [str(i) for i in range(1, n + 1)]
        if kind == "complete":
            pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
        elif kind == "cycle":
            pairs = [(i, (i + 1) % n) for i in range(n)]
        elif kind == "path":
            pairs = [(i, i + 1) for i in range(n - 1)]
        elif kind == "star":
            pairs = [(0, i) for i in range(1, n)]
        elif kind == "wheel":
            pairs = [(0, i) for i in range(1, n)] + [(i, i % (n - 1) + 1) for i in range(1, n)]
        else:
            labels = [f"a{i + 1}" for i in range(a)] + [f"b{j + 1}" for j in range(b)]
            pairs = [(i, a + j) for i in range(a) for j in range(b)]
        self._check_counts(counts, n, len(pairs))
        nodes = [Node(id=f"v{i}", label=labels[i], shape="circle") for i in range(n)]
        edges = [Edge(source=f"v{i}", target=f"v{j}") for i, j in pairs]
        engine = "circo" if kind in ("complete", "cycle", "wheel") else ("dot" if kind == "bipartite" else "neato")
        spec = DiagramSpec(diagram="graph", directed=directed, nodes=nodes, edges=edges,
                           title=f"{kind.capitalize()} graph" + (f" K{a},{b}" if kind == "bipartite" else f" ({n} nodes)"),
                           expect=Expect(node_count=n, edge_count=len(pairs), acyclic=False),
                           layout=DiagramLayout(engine=engine, rankdir="LR" if kind == "bipartite" else "TB"))
        return spec, f"{kind.capitalize()} graph on {n} nodes: {len(pairs)} edges; checks: counts and edges."

    def state_machine(self, text: str) -> tuple[DiagramSpec, str]:
        counts, body = take_counts(LEAD.sub("", text).strip(" ."))
        subject, body = take_subject(body)  # 'for a traffic light: red -> green -> …': the title, not a state
        start = accept = None
        items, kept = split_items(body), []
        for item in items:  # 'start at idle' and 'accept done' are items of their own
            s, a = START.fullmatch(item.strip()), ACCEPT.fullmatch(item.strip())
            if s and not ARROW_TEXT.search(item):
                start = clean_name(s.group("s"))
            elif a and not ARROW_TEXT.search(item):
                accept = [clean_name(x) for x in re.split(r"\s*(?:,|\band\b)\s*", a.group("s")) if clean_name(x)]
            else:
                kept.append(item)
        edges, rest = parse_edges(", ".join(kept))
        if rest or not edges:
            raise IvluError(f"Cannot read {'; '.join(rest) or body!r} as transitions.",
                            "transitions like 'idle -coin-> ready' or 'idle -> ready on coin', "
                            "then 'start at idle' and 'accept done'", "rewrite the transitions")
        ids = NodeNames()
        spec_edges = ids.edges(edges, both_ways=True)
        names = ids.labels
        for name in [start] + (accept or []):
            if name and not ids.knows(name):
                raise BadRequest(f"The state {name!r} has no transitions.", "start and accepting states that "
                                "appear in the transitions", "check the state names")
        _too_big(len(names), len(spec_edges))
        self._check_counts(counts, len(names), len(spec_edges))
        accepting = {ids.id(a) for a in accept or []}
        nodes = [Node(id=i, label=n, shape="doublecircle" if i in accepting else "circle") for i, n in names.items()]
        start_id = ids.id(start) if start else ids.id(edges[0][0])
        spec = DiagramSpec(diagram="state_machine", nodes=nodes, edges=spec_edges, start=start_id,
                           title=f"State machine: {subject}" if subject else "State machine", expect=Expect(node_count=len(nodes), edge_count=len(spec_edges)),
                           layout=DiagramLayout(rankdir="LR"))
        return spec, (f"State machine of {len(nodes)} states and {len(spec_edges)} transitions, starting at "
                      f"{names[start_id]}" + (f", accepting {', '.join(accept)}" if accept else "") + ".")

    # -- counts ------------------------------------------------------------------------------------

    @staticmethod
    def _check_counts(counts: dict[str, int], nodes: int, edges: int,
                      source: str = "the diagram it describes has", fix: str = "") -> None:
        """Refuse a requested count that contradicts the structure; `source` says where the real one is from."""
        wrong = [(what, counts[what], have) for what, have in (("nodes", nodes), ("edges", edges))
                 if what in counts and counts[what] != have]
        if not wrong:
            return
        asked = " and ".join(f"{n} {_plural(what, n)}" for what, n, _ in wrong)
        have = " and ".join(f"{h} {_plural(what, h)}" for what, _, h in wrong)
        fixes = " and ".join(what for what, *_ in wrong)
        raise BadRequest(f"The request asks for {asked}, but {source} {have}.",
                         "counts that match the listed structure" if len(wrong) > 1
                         else "a count that matches the listed structure",
                         fix or f"fix the count or the list of {fixes}")


def _plural(what: str, n: int) -> str:
    return what if n != 1 else what[:-1]


def _dot_injection(what: str, text: str, bad: str) -> tuple[str, str, str]:
    """Problem, expected and fix for text that tries DOT syntax."""
    return (f"The {what} {text!r} contains {bad!r}, which is DOT syntax, not text to draw.",
            f"labels in {PLAIN_TEXT}",
            "remove the double quotes, curly braces or file attributes and ask again")


def verify_target(value: str, options: dict, call) -> tuple[str, list]:
    """`ivlu verify IMAGE --diagram WORDS`: the diagram planned by the same rule as `ivlu run`."""
    try:
        spec = DiagramRule().build(value)[0]
    except ValidationError as e:
        raise IvluError(f"The diagram {value!r} is out of bounds: " + validation_problems(e),
                        "values inside the documented limits", "change the sizes or counts") from None
    return "ivlu_agent.tools.diagram.verify:verify_diagram_image", [spec.model_dump(mode="json")]
