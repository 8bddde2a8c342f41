"""Diagrams written as relations, chains and cycles rather than edge lists: 'an org chart: CEO at the top, CTO
and CFO report to the CEO', 'food chain: grass → rabbit → fox', 'the water cycle as a loop of evaporation,
condensation and precipitation', and BST keys inserted before the tree is named. DiagramRule (rule.py) routes
to these readers."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from ...errors import IvluError
from ..base import BadRequest
from .spec import MAX_EDGES, MAX_NODES, DiagramLayout, DiagramSpec, Expect, Node, find_cycle
from .words import NodeNames, clean_name, parse_edges, split_items, take_counts, take_subject


def _too_big(n_nodes: int, n_edges: int) -> None:
    if n_nodes > MAX_NODES or n_edges > MAX_EDGES:
        raise BadRequest(f"The diagram has {n_nodes} nodes and {n_edges} edges.",
                        f"at most {MAX_NODES} nodes and {MAX_EDGES} edges", "split it into several diagrams")


# 'Insert 8, 3, 10, 1 (in this order) into an empty binary search tree (and draw the resulting tree)'
INSERT_FIRST = re.compile(r"^\s*(?:please\s+)?(?:insert|add|put)\s+(?:the\s+)?(?:keys?\s+|values?\s+|numbers?\s+)?"
                          r"(?P<keys>[-−]?\d+(?:\s*(?:,|and)\s*[-−]?\d+)*)\s*,?\s*(?:\(?(?:in\s+)?(?:this|that|the\s+given)"
                          r"\s+order\)?\s*,?\s*)?(?:(?:in)?to|in)\s+(?:an?\s+|the\s+)?(?:(?:empty|initially\s+empty|new)\s+)?$",
                          re.I)
AFTER_TREE = re.compile(r"^\s*,?\s*(?:and\s+)?(?:then\s+)?(?:draw|show|sketch)\s+(?:the\s+)?(?:resulting|final|"
                        r"finished)\s+(?:tree|bst)\s*\.?\s*$", re.I)
# Hierarchies written as relations: 'an org chart: CEO at the top, CTO and CFO report to the CEO'.
HIERARCHY_WORDS = re.compile(r"\b(?:org(?:ani[sz]ation(?:al)?)?\s*charts?|hierarch(?:y|ies))\b", re.I)
REPORTS = re.compile(r"^(?P<kids>.+?)\s+(?:reports?|answers?)\s+to\s+(?:the\s+)?(?P<boss>.+)$|"
                     r"^(?P<boss6>.*?)\s*(?:branch(?:es|ing)?|splits?|splitting|divides?|dividing|divided)\s+(?:in)?to\s+"
                     r"(?P<kids6>.+)$|"
                     r"^(?:(?:the\s+)?root\s+)?(?P<boss4>.+?)\s+(?:has|have|with|contains)\s+(?:the\s+)?(?:(?:two|three|four|"
                     r"\d+)\s+)?(?:children|child|kids|sub-?categories|subtypes|branches|members)?\s*:?\s*(?P<kids4>.+)$|"
                     r"^(?P<boss2>.+?)\s+(?:manages|supervises|leads|is\s+(?:the\s+)?(?:boss|manager|head|parent)"
                     r"\s+of)\s+(?:the\s+)?(?P<kids2>.+)$|"
                     r"^(?P<kids3>.+?)\s+(?:(?:is|are)\s+)?(?:under|below|beneath)\s+(?:the\s+)?(?P<boss3>.+)$", re.I)
# 'the Krebs cycle as a cycle diagram with citrate, isocitrate, …': the items in a loop, the last back to the first.
CYCLE_LIST = re.compile(r"\b(?:cycle|circular|loop)\s+(?:diagram\s+|chart\s+)?(?:with|of|showing|through|:)\s+"
                        r"(?:the\s+)?(?:stages?\s+|steps?\s+|intermediates?\s+)?:?\s*(?P<items>[^.;]+?)\s*\.?$", re.I)
TOP = re.compile(r"^(?:the\s+)?(?P<n>.+?)\s+(?:is\s+)?(?:at\s+the\s+top|on\s+top|at\s+the\s+root|is\s+the\s+root)$",
                 re.I)
# 'draw K5', 'K_{3,3}': complete graphs need no 'graph' (C6 or P4 might be molecules, so they do).
COMPLETE_GRAPH = re.compile(r"(?<![\w-])K_?\{?\s*\d{1,2}(?:\s*,\s*\d{1,2})?\s*\}?(?![\w-])")
OTHER_KINDS = re.compile(r"\b(?:draw|plot|chart|graph|molecule|structure|equation|formula|poster|slide|view|"
                         r"reaction)\b", re.I)


NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def _members(phrase: str) -> list[str]:
    """'the CTO' -> ['CTO']; 'two engineers' -> ['Engineer 1', 'Engineer 2']."""
    phrase = re.sub(r"^(?:the|a|an)\s+", "", clean_name(phrase), flags=re.I)
    m = re.match(r"^(?P<n>\d|two|three|four|five|six)\s+(?P<what>\w[\w\s-]*?)s?$", phrase, re.I)
    if not m:
        return [phrase] if phrase else []
    n = int(NUMBER_WORDS.get(m.group("n").lower(), m.group("n")))
    what = m.group("what").strip()
    return [f"{what[:1].upper()}{what[1:]} {i}" for i in range(1, n + 1)]


def cycle_items(text: str) -> list[str]:
    """The items of a cycle written as a list ('a cycle diagram with A, B, C and D'), or []."""
    m = CYCLE_LIST.search(text)
    if not m:
        return []
    items = [clean_name(i) for i in re.split(r"\s*(?:,|\band\b|\bthen\b)\s*", m.group("items")) if clean_name(i)]
    return items if 3 <= len(items) <= 20 and all(len(i.split()) <= 5 for i in items) else []


def arrow_chain(text: str) -> bool:
    """'food chain: grass → rabbit → fox': a chain of named things joined by arrows, none of them a compound
    (a chain of compounds is a reaction scheme)."""
    from ..common.names import molecule_spans

    body = text.split(":", 1)[1] if ":" in text.split("->")[0].split("→")[0] else text
    if len(re.findall(r"->|→|⟶", body)) < 1 or re.search(r"\+|⇌|<=>", body):
        return False
    items = [i.strip(" .") for i in re.split(r"\s*(?:->|→|⟶)\s*", body)]
    return len(items) >= 2 and all(items) and all(len(i.split()) <= 5 for i in items) \
        and not molecule_spans(body)



def chain_spec(text: str) -> tuple[DiagramSpec, str]:
    """'food chain: grass → rabbit → fox': a directed chain (a cycle when it comes back), titled by its
    subject."""
    counts, body = take_counts(text.strip(" ."))
    subject, body = take_subject(body)
    edges, rest = parse_edges(body)
    if rest or not edges:
        raise IvluError(f"Cannot read {'; '.join(rest) or body!r} as a chain.", "'grass → rabbit → fox'",
                        "join every item to the next with an arrow")
    ids = NodeNames()
    spec_edges = ids.edges(edges, both_ways=True)
    names = ids.labels
    _too_big(len(names), len(spec_edges))
    acyclic = find_cycle(list(names), [(e.source, e.target) for e in spec_edges]) is None
    spec = DiagramSpec(diagram="graph", directed=True,
                       nodes=[Node(id=i, label=n, shape="box") for i, n in names.items()], edges=spec_edges,
                       title=subject or "Chain",
                       expect=Expect(acyclic=acyclic, node_count=len(names), edge_count=len(spec_edges)),
                       layout=DiagramLayout(engine="dot", rankdir="LR"))
    return spec, (f"Chain of {len(names)} items and {len(spec_edges)} arrows as listed"
                  + ("" if acyclic else ", the cycle kept") + "; checks: nodes, edges, labels and counts.")

def cycle_spec(text: str) -> tuple[DiagramSpec, str]:
    """'the water cycle as a loop of evaporation, condensation and precipitation': each item to the next,
    and the last back to the first."""
    items = cycle_items(text)
    subject = re.sub(r"^(?:(?:please\s+)?(?:draw|show|make|sketch)\s+)?(?:the\s+|a\s+)?", "",
                     text[:CYCLE_LIST.search(text).start()], flags=re.I).strip(" ,:")
    subject = re.sub(r"\s+(?:as|in)(?:\s+an?)?$", "", subject, flags=re.I).strip()
    body = " -> ".join(items + items[:1])
    spec, _ = chain_spec(f"{subject or 'Cycle'}: {body}")
    spec = spec.model_copy(update={"layout": DiagramLayout(engine="circo")})
    return spec, f"Cycle of {len(items)} items in the order given, the last back to the first."

def hierarchy_spec(text: str) -> tuple[DiagramSpec, str]:
    """'org chart: CEO at the top, CTO and CFO report to the CEO, two engineers report to the CTO': a
    tree from relations ('report to', 'manages', 'under'); 'two engineers' are two nodes."""
    body = re.sub(r"^.*?\b(?:org(?:ani[sz]ation(?:al)?)?\s*charts?|hierarch(?:y|ies)|trees?)\b\s*"
                  r"(?:(?:of|for|showing)\s+[^:]{0,60})?:?\s*", "", text.strip(" ."), flags=re.I)
    root, pairs, boss = "", [], ""
    for item in split_items(body):
        top, rel = TOP.match(item), REPORTS.match(item)
        if top:
            root = clean_name(top.group("n"))
        elif rel:
            kids = rel.group("kids") or rel.group("kids2") or rel.group("kids3") or rel.group("kids4") \
                or rel.group("kids6")
            boss = clean_name(rel.group("boss") or rel.group("boss2") or rel.group("boss3") or rel.group("boss4")
                              or rel.group("boss6") or root)  # '…, branching into A, B': the root's children
            if rel.group("boss4") and not root and not pairs:
                root = boss
            for kid in re.split(r"\s*(?:,|\band\b)\s*", kids):
                pairs += [(boss, name) for name in _members(kid)]
        elif boss and len(item.split()) <= 4:  # '… branching into Mammals, Birds and Fish': the list runs on
            for kid in re.split(r"\s*(?:,|\band\b)\s*", item):
                pairs += [(boss, name) for name in _members(kid)]
        else:
            raise IvluError(f"Cannot read {item!r} as part of the hierarchy.",
                            "'X at the top', 'A and B report to X', 'X manages C'",
                            "write each relation as 'A reports to B'")
    if not pairs:
        raise IvluError(f"No relations in {text!r}.", "'A and B report to X'", "say who reports to whom")
    ids = NodeNames()
    if root:
        ids.id(root)
    spec_edges = ids.edges([(a, b, "", "d") for a, b in pairs])
    names = ids.labels
    _too_big(len(names), len(spec_edges))
    if find_cycle(list(names), [(e.source, e.target) for e in spec_edges]):
        raise BadRequest("The relations go round in a circle, so they form no hierarchy.",
                         "each person under one other, with one at the top", "check who reports to whom")
    spec = DiagramSpec(diagram="tree", nodes=[Node(id=i, label=n, shape="box") for i, n in names.items()],
                       edges=spec_edges, title="Hierarchy",
                       expect=Expect(tree=True, node_count=len(names), edge_count=len(spec_edges)),
                       layout=DiagramLayout(arrowheads=False))
    return spec, f"Hierarchy of {len(names)} nodes from the relations; checks: one root, one parent each."


@lru_cache(maxsize=1)
def sequences() -> dict[str, dict]:
    """Every name and alias (lower case) of data/sequences.json → {"name", "kind", "stages"}."""
    raw = json.loads(resources.files("ivlu_agent.data").joinpath("sequences.json").read_text(encoding="utf-8"))
    table: dict[str, dict] = {}
    for name, entry in raw.items():
        if not name.startswith("_"):
            for key in (name, *entry["aliases"]):
                table[key.lower()] = {"name": name, "kind": entry["kind"], "stages": entry["stages"]}
    return table


@lru_cache(maxsize=1)
def _sequence_regex() -> re.Pattern:
    keys = sorted(sequences(), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, keys)) + r")(?![\w-])", re.I)


def known_sequence(text: str) -> dict | None:
    """The bundled sequence or cycle a request names without listing its stages ('the stages of mitosis',
    'the Krebs cycle'), or None (a request that lists steps or arrows draws those instead)."""
    m = _sequence_regex().search(text)
    if not m or re.search(r"->|→|⟶", text) or cycle_items(text):
        return None
    return sequences()[m.group().lower()]


def sequence_spec(entry: dict) -> tuple[DiagramSpec, str]:
    """A known sequence as a chain, a known cycle as a loop, from data/sequences.json."""
    stages = entry["stages"] + (entry["stages"][:1] if entry["kind"] == "cycle" else [])
    spec, _ = chain_spec(f"{entry['name'][:1].upper() + entry['name'][1:]}: " + " -> ".join(stages))
    if entry["kind"] == "cycle":
        spec = spec.model_copy(update={"layout": DiagramLayout(engine="circo")})
    return spec, (f"{entry['name']}: its {len(entry['stages'])} stages in order from the bundled table "
                  f"(data/sequences.json)" + (", the last back to the first." if entry["kind"] == "cycle" else "."))
