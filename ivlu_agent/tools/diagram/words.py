"""The words a diagram request is written in, read without deciding what to draw: the edge-list
grammar ('A -> B -> C (4)', 'A-B, B-C', 'idle -coin-> ready'), the node and edge counts a request
names ('with 3 nodes and 2 edges'), DOT-safe ids for node names, flowchart step shapes, and the
bundled algorithm flowcharts from data/algorithms.json. DiagramRule in rule.py picks the diagram kind
and builds the spec from these pieces."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from ...errors import IvluError
from ..base import BadRequest
from .spec import Edge

ARROW = re.compile(
    r"\s*(?:(?P<bi><-{1,2}>|↔)"
    r"|(?<=\s)-{1,2}\[(?P<l1>[^\]]{1,40})\]-{1,2}>"
    r"|(?<=\s)-{1,2}(?P<l2>[^\s\->\[][^>]{0,39}?)-{1,2}>"
    r"|(?P<d>-{1,2}>|→|⟶|=>)"
    r"|(?P<u>--|—|–))\s*")
PLAIN_HYPHEN = re.compile(r"^\s*(?P<a>[\w'.]+)\s*-\s*(?P<b>[\w'.]+)\s*$")
EDGE_LABEL = re.compile(r"\s*(?:\((?P<p>[^()]{1,40})\)|\[(?P<b>[^\[\]]{1,40})\]|:\s*(?P<c>.{1,40})"
                        r"|\s(?:on|when|weight|w\s*=|cost)\s*(?P<o>.{1,40})|\s*=\s*(?P<e>-?\d+(?:\.\d+)?))\s*$", re.IGNORECASE)
# A count sits at the start of the body, after a comma, colon or '(' or after a joining word, so a step
# such as 'insert 1 node' stays a step: 'with 3 nodes and 2 edges', 'of 4 nodes', '3 nodes, 2 edges'.
COUNT = re.compile(r"(?P<lead>^\s*|[,(:]\s*|\b(?:with|having|has|of|on|and)\s+)(?:(?:exactly|just|only)\s+)?"
                   r"(?P<n>\d{1,3})\s+(?P<what>nodes?|vertices|vertex|states?|edges?|arrows?|transitions?)\b",
                   re.IGNORECASE)
ARROW_TEXT = re.compile(r"->|→|⟶|=>|<->|↔|--|—|–|\s-\S")
QUOTES = "\"'“”‘’"


@lru_cache(maxsize=1)
def algorithms() -> dict[str, dict]:
    """name and every alias (lower case) → {"name", "steps"} from data/algorithms.json."""
    raw = json.loads(resources.files("ivlu_agent.data").joinpath("algorithms.json").read_text(encoding="utf-8"))
    table: dict[str, dict] = {}
    for name, entry in raw.items():
        if name.startswith("_"):
            continue
        item = {"name": name, "steps": entry["steps"]}
        for key in (name, *entry.get("aliases", [])):
            table[key.lower()] = item
    return table


def clean_name(text: str) -> str:
    """The name without the quotes around it ('"idle"' -> idle); quotes inside stay (print 'even')."""
    text = text.strip()
    while len(text) >= 2 and text[0] in QUOTES and text[-1] in QUOTES:
        text = text[1:-1].strip()
    if text and ((text[0] in QUOTES and text.count(text[0]) == 1)
                 or (text[-1] in QUOTES and text.count(text[-1]) == 1)):
        text = text.strip(QUOTES)  # a lone quote left by splitting ("'A -> B'")
    return " ".join(text.split())


class NodeNames:
    """Stable, DOT-safe ids for node names, in first-seen order (ids are internal; labels keep the name
    as first written). `labels` maps each id to its label."""

    def __init__(self) -> None:
        self.taken: dict[str, str] = {}  # casefolded name -> id
        self.labels: dict[str, str] = {}

    def id(self, name: str) -> str:
        key = name.casefold()
        if key not in self.taken:
            base = re.sub(r"[^a-z0-9]+", "_", key).strip("_")[:30] or "node"  # ASCII ids; a CJK name stays the label
            nid = f"{base}_{len(self.taken)}" if not base[0].isalpha() or base in self.taken.values() else base
            self.taken[key] = nid
            self.labels[nid] = name
        return self.taken[key]

    def knows(self, name: str) -> bool:
        return name.casefold() in self.taken

    def edges(self, parsed: list[tuple[str, str, str, str]], both_ways: bool = False) -> list[Edge]:
        """Edges for `parse_edges` output; with `both_ways`, a '<->' edge (kind 'b') becomes two."""
        out = []
        for a, b, label, kind in parsed:
            out.append(Edge(source=self.id(a), target=self.id(b), label=label))
            if both_ways and kind == "b":
                out.append(Edge(source=self.id(b), target=self.id(a), label=label))
        return out


def split_items(text: str) -> list[str]:
    """Split at top-level ',' and ';' (not inside quotes, brackets or parentheses)."""
    items, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch in QUOTES else quote
        elif ch in QUOTES and (i == 0 or not text[i - 1].isalnum()):
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch in ",;" and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return [i.strip() for i in items if i.strip()]


def parse_item(item: str) -> list[tuple[str, str, str, str]] | None:
    """'A -> B -> C (4)' → [(A, B, '', 'd'), (B, C, '4', 'd')]; kind 'd' directed, 'u' undirected,
    'b' both ways. None when the item has no edge."""
    label = ""
    m = EDGE_LABEL.search(item)
    if m and (ARROW.search(item[:m.start()] + " ") or PLAIN_HYPHEN.match(item[:m.start()])):
        label = clean_name(next(g for g in m.groups() if g is not None))
        item = item[:m.start()]
    parts = ARROW.split(" " + item + " ")
    # re.split with groups: [node, bi, l1, l2, d, u, node, ...]
    if len(parts) == 1:
        plain = PLAIN_HYPHEN.match(item)
        if not plain:
            return None
        return [(clean_name(plain.group("a")), clean_name(plain.group("b")), label, "u")]
    names = parts[0::6]
    groups = [parts[i:i + 5] for i in range(1, len(parts), 6)]
    edges = []
    for k, (bi, l1, l2, d, u) in enumerate(groups):
        a, b = clean_name(names[k]), clean_name(names[k + 1])
        if not a or not b:
            return None
        kind = "b" if bi else ("u" if u else "d")
        edges.append((a, b, clean_name(l1 or l2 or ""), kind))
    if label:
        edges[-1] = (*edges[-1][:2], label, edges[-1][3])
    return edges


def parse_edges(text: str) -> tuple[list[tuple[str, str, str, str]], list[str]]:
    """All edges of an edge list, and the items that are not edges."""
    edges, rest = [], []
    for item in split_items(text):
        parsed = parse_item(item)
        if parsed is None and re.search(r"\s+and\s+", item):
            pieces = [parse_item(p) for p in re.split(r"\s+and\s+", item)]
            parsed = [e for p in pieces if p for e in p] if all(pieces) else None
        if parsed is None:
            rest.append(item)
        else:
            edges += parsed
    return edges, rest


def take_counts(text: str) -> tuple[dict[str, int], str]:
    """The node and edge counts a request names, and the text without them.

    'with 3 nodes and 2 edges: A-B, B-C' → ({'nodes': 3, 'edges': 2}, 'A-B, B-C')."""
    counts: dict[str, int] = {}

    def take(m: re.Match) -> str:
        what = m.group("what").lower()
        key = "nodes" if what.startswith(("node", "vert", "state")) else "edges"
        if key in counts and counts[key] != int(m.group("n")):
            raise BadRequest(f"The request names two {key[:-1]} counts, {counts[key]} and {m.group('n')}.",
                             f"one {key[:-1]} count", "keep the right one")
        counts[key] = int(m.group("n"))
        return "," if m.group("lead").strip() in (",", ":") else (" (" if "(" in m.group("lead") else " ")

    rest = COUNT.sub(take, text)
    rest = re.sub(r"\(\s*[,\s]*\)", " ", rest)  # '(3 nodes, 2 edges)' leaves '( , )'
    rest = re.sub(r"\s*,(?:\s*,)+", ",", rest)
    return counts, rest.strip(" .,:;")


def shape_of(name: str) -> str:
    low = name.lower()
    if low in ("start", "begin", "end", "stop", "finish", "done", "return") or low.startswith(("start:", "end:")):
        return "ellipse"
    if low.endswith("?") or low.startswith(("if ", "is ", "whether ")):
        return "diamond"
    if low.startswith(("read", "input", "print", "output", "display", "write", "show", "get ")):
        return "parallelogram"
    return "box"


# 'for a traffic light: red -> green -> yellow -> red': the words before a colon name what the diagram is
# about (its title), not a node, when the colon is followed by the diagram's own content.
SUBJECT = re.compile(r"^(?:(?:for|of|showing|about|on)\s+)?(?P<s>[^:>→]{1,80}?)\s*:\s*(?P<rest>\S.*)$", re.S)
STEP_BREAK = re.compile(r"\s*(?:,|;|\bthen\b|\band then\b|\band finally\b|\bfinally\b)\s*(?:and\s+)?", re.I)


BRACKETED_STEPS = re.compile(r"^(?P<s>[^():]{1,80}?)\s*\((?P<rest>[^()]*(?:->|→|⟶)[^()]*)\)\s*\.?$")


def take_subject(body: str, steps: bool = False) -> tuple[str, str]:
    """(subject, rest) when `body` opens with 'subject:' followed by arrows (or, with `steps`, a list of two or
    more steps), or names its steps in brackets ('the scientific method (question → hypothesis → …)');
    ('', body) otherwise."""
    bracketed = BRACKETED_STEPS.match(body.strip())
    if bracketed:
        body = f"{bracketed.group('s')}: {bracketed.group('rest')}"
    m = SUBJECT.match(body)
    if not m or ARROW_TEXT.search(m.group("s")):
        return "", body
    rest = m.group("rest")
    # 'Titration practical: a flowchart (fill burette → … → record volume)': the steps are in the brackets
    rest = re.sub(r"^(?:an?\s+|the\s+)?(?:flow\s*-?\s*charts?|flow\s+diagrams?|diagrams?|chains?|cycles?)\s*(?:of\s+)?",
                  "", rest, flags=re.I)
    inner = re.fullmatch(r"\s*\(([^()]*)\)\s*\.?", rest)
    rest = inner.group(1) if inner else rest
    if ARROW_TEXT.search(rest) or (steps and len([x for x in STEP_BREAK.split(rest) if x.strip()]) >= 2):
        subject = re.sub(r"^(?:a|an|the)\s+", "", m.group("s").strip(), flags=re.I)
        return subject[:1].upper() + subject[1:], rest
    return "", body


YES = re.compile(r"^(?:if\s+(?:yes|so|true|it\s+is)|yes|when\s+(?:yes|true))\b\s*[:,]?\s*(?:then\s+)?(?P<x>.+)$", re.I)
NO = re.compile(r"^(?:otherwise|else|if\s+(?:no|not|false)|no|when\s+(?:no|false))\b\s*[:,]?\s*(?:then\s+)?"
                r"(?P<x>.+)$", re.I)


IF_THEN = re.compile(r"\bif\s+(?!yes\b|so\b|no\b|not\b|true\b|false\b|it\s+is\b)(?P<c>[^,;?]+?)(?:\s*,\s*|\s+then\s+)",
                     re.I)


def steps_as_arrows(text: str) -> str:
    """Steps in prose as an edge list. 'boil water, add tea bag, then wait 3 minutes' → 'boil water -> add tea
    bag -> wait 3 minutes'. A step that asks a question is a decision, and only the branches written after it
    are drawn: 'is n even? If yes print even, otherwise print odd, then end' → 'is n even? -yes-> print even',
    'is n even? -no-> print odd', and both branches go on to 'end'. A question with one branch written goes
    on to the next step by the other."""
    items = []
    text = re.sub(r"\s*(?:->|→|⟶|=>)\s*", ", ", text)  # 'validate → if valid, save; otherwise show error → end'
    text = IF_THEN.sub(lambda m: f"{m.group('c').strip()}? if yes ", text)  # 'if valid, save': a question, its yes
    for x in STEP_BREAK.split(text):
        for part in re.split(r"(?<=\?)\s+", x or ""):  # 'is n even? If yes …': the question ends a step
            if part.strip(" ."):
                items.append(part.strip(" ."))
    edges: list[str] = []
    previous: list[str] = []  # the steps that lead into the next one
    decision, branches = "", {}
    for item in items:
        yes, no = YES.match(item), NO.match(item)
        if decision and (yes or no):
            word, target = ("yes", yes.group("x")) if yes else ("no", no.group("x"))
            edges.append(f"{decision} -{word}-> {target}")
            branches[word] = target
            continue
        if decision:  # the next step after a question and its branches
            ends = list(branches.values())
            missing = [w for w in ("yes", "no") if w not in branches]
            edges += [f"{e} -> {item}" for e in ends] + [f"{decision} -{w}-> {item}" for w in missing]
            decision, branches = "", {}
        else:
            edges += [f"{p} -> {item}" for p in previous]
        previous = [item]
        if item.endswith("?"):
            decision, previous = item, []
    return ", ".join(edges) if edges else " -> ".join(items)


def orient_tree(pairs: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Undirected tree edges → parent → child, rooted at the first node named."""
    if not pairs:
        return pairs
    root = pairs[0][0]
    adjacency: dict[str, list[tuple[str, str]]] = {}
    for a, b, label in pairs:
        adjacency.setdefault(a, []).append((b, label))
        adjacency.setdefault(b, []).append((a, label))
    seen, order, queue = {root}, [], [root]
    while queue:
        node = queue.pop(0)
        for nxt, label in adjacency[node]:
            if nxt not in seen:
                seen.add(nxt)
                order.append((node, nxt, label))
                queue.append(nxt)
    if len(order) != len(pairs):  # a cycle or a second component: keep as given for the error
        return pairs
    return order

def nested_tree(body: str) -> list[tuple[str, str, str]]:
    """'A(B(D, E), C)' → [(A, B), (B, D), (B, E), (A, C)]."""
    tokens = re.findall(r"[()]|,|[^(),]+", body)
    pairs: list[tuple[str, str, str]] = []
    stack: list[str] = []
    last = ""
    for tok in tokens:
        if tok == "(":
            if not last:
                raise IvluError(f"A '(' without a parent name in {body!r}.", "'A(B, C)'", "name the parent")
            stack.append(last)
        elif tok == ")":
            if not stack:
                raise IvluError(f"Unbalanced ')' in {body!r}.", "'A(B(D, E), C)'", "balance the parentheses")
            stack.pop()
            last = ""
        elif tok == ",":
            last = ""
        else:
            name = clean_name(tok)
            if not name:
                continue
            if stack:
                pairs.append((stack[-1], name, ""))
            last = name
    if stack:
        raise IvluError(f"Unbalanced '(' in {body!r}.", "'A(B(D, E), C)'", "balance the parentheses")
    return pairs


# Directive words this rule understands; the plan.faithful check counts them as accounted for.
VOCABULARY = frozenset({"diagram", "diagrams", "flowchart", "flowcharts", "flow", "chart", "tree", "trees", "binary",
                        "search", "bst", "graph", "graphs", "directed", "undirected", "weighted", "node", "nodes", "vertex",
                        "vertices", "edge", "edges", "arc", "arcs", "state", "states", "machine", "machines", "automaton",
                        "automata", "dfa", "nfa", "fsm", "finite", "transition", "transitions", "start", "starting",
                        "initial", "accept", "accepting", "final", "halting", "keys", "key", "values", "numbers", "elements",
                        "items", "insert", "inserted", "inserting", "order", "root", "child", "children", "parent", "leaf",
                        "leaves", "cluster", "clusters", "group", "subgraph", "complete", "cycle", "path", "wheel", "star",
                        "petersen", "k", "c", "p", "w", "s", "algorithm", "algorithms", "steps", "step", "decision",
                        "process", "procedure", "method", "of", "for", "with", "and", "to", "from", "on", "exactly",
                        "arrow", "arrows", "link", "links", "connected", "connect", "connects", "loop",
                        "loops", "branch", "branches", "yes", "no", "end", "stop", "begin",
                        # decisions, hierarchies, chains and insertions in prose
                        "if", "otherwise", "else", "so", "org", "organisation", "organization", "organisational",
                        "organizational", "hierarchy", "top", "report", "reports", "reporting", "manages", "under",
                        "empty", "resulting", "result", "into", "this", "that", "given", "chain", "sequence",
                        "cycle", "stages", "stage", "phases", "phase", "intermediates", "correct", "sequence",
                        "ending", "life", "lifecycle", "process", "classification", "taxonomy", "family", "branching",
                        "branches", "into"})
