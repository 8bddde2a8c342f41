"""Diagrams: DOT escaping and the attribute allow-list, the planner rule, the bundled algorithms,
structural checks (BST, tree, acyclic, counts), OCR of node labels, the loop and the CLI."""

import re

import pytest
from conftest import ivlu
from pydantic import ValidationError

from ivlu_agent.errors import IvluError
from ivlu_agent.tools.diagram.render import check_dot, render_diagram, to_dot
from ivlu_agent.tools.diagram.rule import DiagramRule, algorithms
from ivlu_agent.tools.diagram.spec import DiagramSpec, find_cycle
from ivlu_agent.tools.diagram.verify import verify_diagram


def render_and_verify(tmp_path, spec: dict, drawn: dict | None = None, edit=None) -> dict[str, dict]:
    """Render `drawn` (default: `spec`), optionally tamper with a file, verify against `spec`."""
    out = render_diagram(drawn or spec)
    files = {}
    for f in out["files"]:
        path = tmp_path / f["name"]
        path.write_bytes(edit(f["name"], f["data"]) if edit else f["data"])
        files[f["name"]] = str(path)
    return {v["verifier"]: v for v in verify_diagram(spec, files, out["meta"])}


def planned(text: str) -> dict:
    spec, _ = DiagramRule().build(text)
    return spec.model_dump(mode="json")


# -- DOT safety -------------------------------------------------------------------------------------

HOSTILE = ['x" image="/etc/passwd', '} node [shape=none image="/etc/hosts"] {', "shapefile=/etc/shadow",
           'edge" -> "n0', "a ImagePath = /tmp b", "fontpath =/usr", "digraph{C"]
LEGIT = ["back\\slash \\N \\l", "&lt; &amp; <b>bold</b>", "A[mid] < t?", "low = mid + 1", "it's 'quoted'",
         "二叉搜索树", "image processing", "x == y"]


@pytest.mark.parametrize("label", HOSTILE)
def test_spec_refuses_labels_that_try_dot_syntax(label):
    node = {"id": "a", "label": label}
    plain = [{"id": "a"}]
    for where, spec in (("node label", {"nodes": [node]}),
                        ("edge label", {"nodes": plain, "edges": [{"source": "a", "target": "a", "label": label}]}),
                        ("cluster label", {"nodes": [{"id": "a", "cluster": "c"}],
                                           "clusters": [{"id": "c", "label": label}]}),
                        ("title", {"nodes": plain, "title": label})):
        with pytest.raises(ValidationError) as err:
            DiagramSpec.model_validate({"kind": "diagram", **spec})
        (e,) = err.value.errors()
        assert e["type"] == "dot_syntax" and e["msg"].startswith(f"{where} ") and "no double quotes" in e["msg"], e


def test_escaping_still_holds_for_a_spec_that_skipped_validation(tmp_path):
    """Defence in depth: model_construct bypasses the spec's refusal, and the DOT is still safe."""
    from ivlu_agent.tools.diagram.render import run_graphviz
    from ivlu_agent.tools.diagram.spec import Edge, Node
    from ivlu_agent.tools.diagram.verify import check_safety, read_svg

    labels = HOSTILE + LEGIT
    nodes = [Node.model_construct(id=f"n{i}", label=label, shape="box", cluster="") for i, label in enumerate(labels)]
    edge = Edge.model_construct(source="n0", target="n1", label='yes" color="red', side="")
    spec = DiagramSpec.model_construct(diagram="flowchart", nodes=nodes, edges=[edge])
    dot, dot_ids = to_dot(spec)
    outside_strings = re.split(r'"(?:\\.|[^"\\])*"', dot)
    assert check_dot(dot) == [] and not any(re.search(r"image|shapefile|fontpath", part, re.I)
                                            for part in outside_strings)
    (tmp_path / "graph.dot").write_text(dot)
    assert check_safety(str(tmp_path / "graph.dot"))["passed"]
    svg, _ = run_graphviz(dot, "dot", 72)
    (tmp_path / "main.svg").write_bytes(svg)
    drawn = read_svg(str(tmp_path / "main.svg"))
    assert {dot_ids[d]: n.label for d, n in drawn.nodes.items()} == {
        f"n{i}": " ".join(label.split()) for i, label in enumerate(labels)}  # drawn literally, every one
    assert [e[2] for e in drawn.edges] == ['yes" color="red']
    assert "x&quot; image=&quot;/etc/passwd" in svg.decode() and "&lt;b&gt;bold&lt;/b&gt;" in svg.decode()


def test_legit_labels_with_backslashes_markup_and_cjk_are_drawn_exactly(tmp_path):
    spec = {"kind": "diagram", "diagram": "flowchart",
            "nodes": [{"id": f"n{i}", "label": label} for i, label in enumerate(LEGIT)],
            "edges": [{"source": "n0", "target": "n1", "label": "a\\b & <i>"}], "title": "it's <ok> & fine"}
    verdicts = render_and_verify(tmp_path, spec)
    assert verdicts["diagram.safety"]["passed"] and verdicts["diagram.graph"]["passed"], verdicts
    flow = planned("flowchart: start -> A[mid] < t? -yes-> low = mid + 1 -> end, A[mid] < t? -no-> 结束")
    assert [n["label"] for n in flow["nodes"]] == ["start", "A[mid] < t?", "low = mid + 1", "end", "结束"]


def test_check_dot_flags_file_reading_attributes():
    assert check_dot('digraph { n0 [label="a", image="/etc/passwd"]; }') == ["image"]
    assert check_dot('digraph { n0 [shapefile="x"]; graph [fontpath="/"]; }') == ["shapefile", "fontpath"]
    assert check_dot('digraph { n0 [label="image=x shapefile=y"]; }') == []


# -- planner rule and bundled algorithms ------------------------------------------------------------


def test_at_least_ten_algorithms_build_valid_flowcharts():
    names = sorted({entry["name"] for entry in algorithms().values()})
    assert len(names) >= 10
    for name in names:
        spec, _ = DiagramRule().build(f"flowchart of {name}")
        ids = [n.id for n in spec.nodes]
        assert spec.nodes[0].shape == "ellipse" and any(n.shape == "diamond" for n in spec.nodes), name
        assert find_cycle(ids, [(e.source, e.target) for e in spec.edges]), f"{name} has no loop"
        assert {e.label for e in spec.edges} >= {"yes", "no"}


def test_rule_reads_trees_graphs_and_state_machines():
    bst = planned("binary search tree with keys 50, 30, 70, 20")
    assert bst["expect"]["bst_keys"] == [50, 30, 70, 20] and bst["expect"]["tree"]
    assert [(e["source"], e["target"], e["side"]) for e in bst["edges"]] == [
        ("k0", "k1", "left"), ("k0", "k2", "right"), ("k1", "k3", "left")]
    tree = planned("tree A(B(D, E), C)")
    assert tree["expect"] == {**tree["expect"], "tree": True, "node_count": 5, "edge_count": 4}
    graph = planned("weighted graph A-B (4), B-C (2), A-C (7)")
    assert not graph["directed"] and [e["label"] for e in graph["edges"]] == ["4", "2", "7"]
    k5 = planned("complete graph K5")
    assert (len(k5["nodes"]), len(k5["edges"])) == (5, 10)
    fsm = planned("state machine: idle -coin-> unlocked, unlocked -push-> idle, start at idle")
    assert fsm["start"] == "idle" and [e["label"] for e in fsm["edges"]] == ["coin", "push"]
    flow = planned("flowchart: start -> read x -> x > 0? -yes-> print x -> end, x > 0? -no-> end")
    assert flow["expect"]["acyclic"] and [n["shape"] for n in flow["nodes"]][:3] == ["ellipse", "parallelogram",
                                                                                      "diamond"]


@pytest.mark.parametrize("text, problem", [
    ("tree with edges A-B, B-C, C-A", "cannot contain a cycle"),
    ("an empty graph", "nothing to draw"),
    ("BST with keys 50, 30, 70, 30", "more than once"),
    ("graph with 5 nodes: A-B, B-C", "asks for 5 nodes"),
    ("flowchart of making tea", "do not know the algorithm"),
    ("binary search tree of 3 nodes with keys 50, 30, 70, 20", "asks for 3 nodes, but the keys 50, 30, 70, 20 give 4"),
    ("undirected graph with 3 nodes and 4 edges: A-B, B-C", "asks for 4 edges, but the diagram it describes has 2"),
    ("graph of 4 nodes, 3 edges: A-B, B-C", "asks for 4 nodes and 3 edges, but the diagram it describes has 3 nodes "
                                            "and 2 edges"),
    ("flowchart of binary search with 11 nodes", "the bundled flowchart of binary search has 12 nodes"),
    ('flowchart: start -> x" image="/etc/passwd -> end', "contains 'image=', which is DOT syntax"),
    ("graph A -> B}", "contains '}', which is DOT syntax"),
    ("flowchart: start -> check shapefile=/etc/shadow -> end", "contains 'shapefile=', which is DOT syntax"),
    ("tree A(B, C IMAGEPATH = /x)", "contains 'IMAGEPATH =', which is DOT syntax"),
    ('flowchart: start -> say "hi -> end', "The node label 'say \"hi' contains '\"'"),
    ('graph A-B (x"y)', "The edge label 'x\"y' contains '\"'"),
])
def test_rule_rejects_bad_diagrams_clearly(text, problem):
    with pytest.raises(IvluError) as err:
        DiagramRule().build(text)
    assert problem in err.value.problem and err.value.expected and err.value.fix


def test_braces_elsewhere_in_a_mixed_request_do_not_block_the_diagram(workers):
    """The whole-text DOT check must not swallow another clause's LaTeX: the request is still split."""
    from ivlu_agent.planning.symbolic import SymbolicPlanner

    planner = SymbolicPlanner(describe=lambda smiles: pytest.fail(f"no molecule expected, got {smiles!r}"),
                              call=workers.call)
    steps = planner.plan("graph A-B, B-C and the equation \\frac{a}{b}", [], []).steps
    assert [s.kind for s in steps] == ["diagram", "equation"]
    assert [n.label for n in steps[0].nodes] == ["A", "B", "C"]
    with pytest.raises(IvluError, match="contains '}', which is DOT syntax"):
        planner.plan("graph A -> B}, B -> C", [], [])


@pytest.mark.parametrize("text, nodes, edges", [
    ("BST of 4 nodes with keys 50, 30, 70, 20", 4, 3),
    ("binary search tree with keys 50, 30, 70, 20 and 3 edges", 4, 3),
    ("undirected graph with 3 nodes and 2 edges: A-B, B-C", 3, 2),
    ("graph with 3 nodes with edges A-B, B-C", 3, 2),
    ("graph 3 nodes, 2 edges: A-B, B-C", 3, 2),
    ("graph: A-B, B-C with 3 nodes and 2 edges", 3, 2),
    ("directed graph A -> B, B -> C (3 nodes, 2 edges)", 3, 2),
    ("tree of 4 nodes: A(B, C, D)", 4, 3),
    ("complete graph K4 with 6 edges", 4, 6),
    ("state machine with 2 states and 2 transitions: idle -coin-> ready, ready -push-> idle", 2, 2),
    ("flowchart with 3 nodes and 2 arrows: start -> insert 1 node -> end", 3, 2),
])
def test_rule_reads_requested_counts_in_common_phrasings(text, nodes, edges):
    spec = planned(text)
    assert (len(spec["nodes"]), len(spec["edges"])) == (nodes, edges)
    assert (spec["expect"]["node_count"], spec["expect"]["edge_count"]) == (nodes, edges)
    assert "node" not in " ".join(n["label"] for n in spec["nodes"] if n["label"] != "insert 1 node")


def test_requested_counts_are_checked_on_the_drawing(tmp_path):
    spec = planned("undirected graph with 3 nodes and 2 edges: A-B, B-C")
    assert render_and_verify(tmp_path, spec)["diagram.counts"]["passed"]
    extra = {**spec, "edges": [*spec["edges"], {"source": "a", "target": "c"}]}
    counts = render_and_verify(tmp_path, spec, extra)["diagram.counts"]
    assert not counts["passed"] and counts["message"] == "3 edges drawn, 2 requested"


def test_spec_rejects_cyclic_trees_unknown_nodes_and_empty_graphs():
    with pytest.raises(ValidationError, match="not a tree: it has the cycle a → b → a"):
        DiagramSpec(diagram="tree", nodes=[{"id": "a"}, {"id": "b"}],
                    edges=[{"source": "a", "target": "b"}, {"source": "b", "target": "a"}])
    with pytest.raises(ValidationError, match="unknown node 'c'"):
        DiagramSpec(nodes=[{"id": "a"}], edges=[{"source": "a", "target": "c"}])
    with pytest.raises(ValidationError, match="at least 1 item"):
        DiagramSpec(nodes=[])
    with pytest.raises(ValidationError, match="two left children"):
        DiagramSpec(diagram="bst", nodes=[{"id": "a"}, {"id": "b"}, {"id": "c"}],
                    edges=[{"source": "a", "target": "b", "side": "left"},
                           {"source": "a", "target": "c", "side": "left"}])


# -- clusters ---------------------------------------------------------------------------------------

CLUSTERED = {"kind": "diagram", "diagram": "graph", "title": "Client and server",
             "nodes": [{"id": "ui", "label": "Browser", "cluster": "client"},
                       {"id": "cache", "label": "Cache", "cluster": "client"},
                       {"id": "api", "label": "API", "cluster": "server"},
                       {"id": "db", "label": "Database", "shape": "ellipse", "cluster": "server"},
                       {"id": "log", "label": "Logs"}],
             "edges": [{"source": "ui", "target": "cache"}, {"source": "ui", "target": "api", "label": "HTTP"},
                       {"source": "api", "target": "db"}, {"source": "api", "target": "log"}],
             "clusters": [{"id": "client", "label": "Client side"}, {"id": "server", "label": "Server side"}],
             "expect": {"acyclic": True, "node_count": 5, "edge_count": 4}}


def test_two_clusters_are_drawn_around_their_nodes_and_verified(tmp_path):
    verdicts = render_and_verify(tmp_path, CLUSTERED)
    assert all(v["passed"] for v in verdicts.values()), verdicts
    assert {"diagram.safety", "diagram.graph", "diagram.acyclic", "diagram.counts", "diagram.ocr"} <= set(verdicts)
    from ivlu_agent.tools.diagram.verify import read_svg

    drawn = read_svg(str(tmp_path / "main.svg"))
    assert [label for label, _ in drawn.clusters.values()] == ["Client side", "Server side"]
    # The same nodes drawn with the database outside its cluster: only the cluster check can tell.
    moved = {**CLUSTERED, "nodes": [{**n, "cluster": ""} if n["id"] == "db" else n for n in CLUSTERED["nodes"]]}
    graph = render_and_verify(tmp_path, CLUSTERED, moved)["diagram.graph"]
    assert not graph["passed"] and graph["message"] == "node 'Database' is drawn outside its cluster 'Server side'"
    relabelled = {**CLUSTERED, "clusters": [CLUSTERED["clusters"][0], {"id": "server", "label": "Backend"}]}
    graph = render_and_verify(tmp_path, CLUSTERED, relabelled)["diagram.graph"]
    assert not graph["passed"] and "cluster 'server' shows 'Backend', expected 'Server side'" in graph["message"]


@pytest.mark.parametrize("change, message", [
    ({"nodes": [*CLUSTERED["nodes"][:4], {"id": "log", "label": "Logs", "cluster": "storage"}]},
     "node 'log' names the unknown cluster 'storage' (clusters: 'client', 'server'); add that cluster"),
    ({"clusters": [*CLUSTERED["clusters"], {"id": "client", "label": "Again"}]}, "cluster id(s) 'client' used twice"),
    ({"clusters": [*CLUSTERED["clusters"], {"id": "spare"}]}, "cluster(s) 'spare' hold no node"),
    ({"layout": {"engine": "neato"}}, "clusters are drawn only by the dot layout, not 'neato'"),
])
def test_spec_refuses_broken_clusters_clearly(change, message):
    with pytest.raises(ValidationError) as err:
        DiagramSpec.model_validate({**CLUSTERED, **change})
    assert message in str(err.value)


# -- structure and raster checks --------------------------------------------------------------------


def test_bst_verified_and_a_wrong_side_or_missing_node_is_caught(tmp_path):
    spec = planned("BST with keys 50, 30, 70, 20, 40, 60, 80, 35, 65")
    verdicts = render_and_verify(tmp_path, spec)
    assert all(v["passed"] for v in verdicts.values()), verdicts
    assert {"diagram.bst", "diagram.tree", "diagram.counts", "diagram.ocr"} <= set(verdicts)
    swapped = {**spec, "edges": [{**e, "side": {"left": "right", "right": "left"}[e["side"]]}
                                 if e["target"] == "k7" else e for e in spec["edges"]]}  # 35 drawn right of 40
    bst = render_and_verify(tmp_path, spec, swapped)["diagram.bst"]
    assert not bst["passed"] and "35 must be the left child of 40" in bst["message"]
    missing = {**spec, "nodes": spec["nodes"][:-1], "edges": spec["edges"][:-1]}
    verdicts = render_and_verify(tmp_path, spec, missing)
    assert not verdicts["diagram.graph"]["passed"] and "node '65' is missing" in verdicts["diagram.graph"]["message"]
    assert not verdicts["diagram.bst"]["passed"] and not verdicts["diagram.counts"]["passed"]


def test_a_loop_in_a_flowchart_without_loops_is_caught(tmp_path):
    spec = planned("flowchart: start -> read x -> print x -> end")
    assert render_and_verify(tmp_path, spec)["diagram.acyclic"]["passed"]
    looped = {**spec, "edges": [*spec["edges"], {"source": "print_x", "target": "read_x"}]}
    verdicts = render_and_verify(tmp_path, spec, looped)
    assert not verdicts["diagram.acyclic"]["passed"] and "read x → print x → read x" in verdicts["diagram.acyclic"]["message"]


def test_ocr_finds_single_letters_and_misses_an_erased_label(tmp_path):
    spec = planned("undirected graph A-B, B-C, C-D, D-A, A-C")
    verdicts = render_and_verify(tmp_path, spec)
    assert verdicts["diagram.ocr"]["passed"], verdicts["diagram.ocr"]

    def erase_c(name: str, data: bytes) -> bytes:  # white out node C's label in the PNG only
        if name != "main.png":
            return data
        import io

        from PIL import Image, ImageDraw

        from ivlu_agent.tools.diagram.verify import _px_box, read_svg

        drawn = read_svg(str(tmp_path / "main.svg"))
        node = next(n for n in drawn.nodes.values() if n.label == "C")
        im = Image.open(io.BytesIO(data)).convert("RGB")
        ImageDraw.Draw(im).rectangle(_px_box(drawn, node.text_box, im.size, pad=3), fill="#eef3fb")
        buf = io.BytesIO()
        im.save(buf, "PNG")
        return buf.getvalue()

    verdicts = render_and_verify(tmp_path, spec, edit=erase_c)
    assert verdicts["diagram.graph"]["passed"]  # the SVG is intact: only the raster check can see it
    assert not verdicts["diagram.ocr"]["passed"] and verdicts["diagram.ocr"]["details"]["unread"] == ["c"]


# -- the loop ---------------------------------------------------------------------------------------


def test_agent_draws_a_bst_and_a_flowchart_verified(agent, tmp_path):
    result = agent.run("binary search tree with keys 50, 30, 70, 20; flowchart of binary search",
                       out=tmp_path / "out")
    assert result.status == "verified", [v.message for s in result.steps for v in s.verdicts]
    bst, flow = result.steps
    assert {v.verifier for v in bst.verdicts} >= {"diagram.bst", "diagram.ocr", "diagram.safety"}
    assert flow.spec["diagram"] == "flowchart" and len(flow.spec["nodes"]) == 12
    assert (tmp_path / "out" / "panels" / "s1-graph.dot").is_file()




@pytest.mark.parametrize("request_text, message", [
    ("draw an empty graph", "nothing to draw"),
    ("a tree with edges A-B, B-C, C-A", "A tree cannot contain a cycle"),
    ('flowchart: start -> x" image="/etc/passwd -> end', "contains 'image=', which is DOT syntax"),
    ("graph A -> B}; digraph{C", "contains '}', which is DOT syntax"),
    ("flowchart: start -> shapefile=/etc/shadow -> end", "contains 'shapefile=', which is DOT syntax"),
    ('flowchart: start -> say "hi -> end', "The node label 'say \"hi' contains"),  # refused by the spec itself
    ("binary search tree of 3 nodes with keys 50, 30, 70, 20", "asks for 3 nodes, but the keys"),
])
def test_cli_bad_diagram_exits_2(tmp_path, request_text, message):
    r = ivlu("run", request_text, "--out", str(tmp_path / "o"), home=tmp_path / "h")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr and "Traceback" not in r.stderr


def test_any_diagram_image_is_checked_by_its_node_labels_and_the_cli_verifies_one(tmp_path):
    from ivlu_agent.tools.diagram.verify import verify_diagram_image

    request = "state machine: idle -coin-> ready, ready -push-> idle"
    spec = planned(request)
    for f in render_diagram(spec)["files"]:
        (tmp_path / f["name"]).write_bytes(f["data"])
    (ok,) = verify_diagram_image(str(tmp_path / "main.png"), spec)
    assert ok["verifier"] == "diagram.ocr" and ok["passed"], ok["message"]
    other = planned("state machine: idle -coin-> ready, ready -push-> locked")
    (missing,) = verify_diagram_image(str(tmp_path / "main.png"), other)
    assert not missing["passed"] and "locked" in missing["message"]

    r = ivlu("verify", str(tmp_path / "main.png"), "--diagram", request, home=tmp_path / "h")
    assert r.returncode == 0 and "diagram.ocr" in r.stdout, (r.stdout, r.stderr)
    r = ivlu("verify", str(tmp_path / "main.png"), "--diagram", "draw an empty graph", home=tmp_path / "h")
    assert r.returncode == 2 and "nothing to draw" in r.stderr and "Traceback" not in r.stderr


def test_a_subject_before_the_colon_is_the_title_not_a_node():
    from ivlu_agent.tools.diagram.rule import DiagramRule

    spec, _ = DiagramRule().build("Draw a state machine for a traffic light: red -> green -> yellow -> red")
    assert [n.label for n in spec.nodes] == ["red", "green", "yellow"] and len(spec.edges) == 3  # the cycle
    assert spec.title == "State machine: Traffic light"
    tea, _ = DiagramRule().build("Draw a flowchart for making tea: boil water, add tea bag, wait 3 minutes, "
                                 "then add milk")
    assert [n.label for n in tea.nodes] == ["boil water", "add tea bag", "wait 3 minutes", "add milk"]
    assert len(tea.edges) == 3 and tea.title == "Flowchart: Making tea"
