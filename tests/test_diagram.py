"""Diagrams: DOT escaping and the attribute allow-list, the planner rule, the bundled algorithms,
structural checks (BST, tree, acyclic, counts), OCR of node labels, the loop and the CLI."""

import os
import re
import subprocess
import sys

import pytest
from pydantic import ValidationError

from ivlu_agent.errors import IvluError
from ivlu_agent.model.rules.diagram import DiagramRule, algorithms
from ivlu_agent.specs.diagram import DiagramSpec, find_cycle
from ivlu_agent.tools.render_diagram import check_dot, render_diagram, to_dot
from ivlu_agent.tools.verify_diagram import verify_diagram


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
           "back\\slash \\N \\l", "&lt; &amp; <b>bold</b>", 'edge" -> "n0']


def test_hostile_labels_are_drawn_as_text_and_never_reach_dot_as_attributes(tmp_path):
    spec = {"kind": "diagram", "diagram": "flowchart",
            "nodes": [{"id": f"n{i}", "label": label} for i, label in enumerate(HOSTILE)],
            "edges": [{"source": "n0", "target": "n1", "label": 'yes" color="red'}]}
    dot, _ = to_dot(DiagramSpec.model_validate(spec))
    outside_strings = re.split(r'"(?:\\.|[^"\\])*"', dot)
    assert check_dot(dot) == [] and not any("image" in part or "shapefile" in part for part in outside_strings)
    verdicts = render_and_verify(tmp_path, spec)
    assert verdicts["diagram.safety"]["passed"] and verdicts["diagram.graph"]["passed"], verdicts
    svg = (tmp_path / "main.svg").read_text()
    assert "x&quot; image=&quot;/etc/passwd" in svg and "&lt;b&gt;bold&lt;/b&gt;" in svg


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
])
def test_rule_rejects_bad_diagrams_clearly(text, problem):
    with pytest.raises(IvluError) as err:
        DiagramRule().build(text)
    assert problem in err.value.problem and err.value.fix


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

        from ivlu_agent.tools.verify_diagram import _px_box, read_svg

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


def ivlu(*args, home):
    env = {**os.environ, "IVLU_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "ivlu_agent", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


@pytest.mark.parametrize("request_text, message", [
    ("draw an empty graph", "nothing to draw"),
    ("a tree with edges A-B, B-C, C-A", "A tree cannot contain a cycle"),
])
def test_cli_bad_diagram_exits_2(tmp_path, request_text, message):
    r = ivlu("run", request_text, "--out", str(tmp_path / "o"), home=tmp_path / "h")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr and "Traceback" not in r.stderr


def test_any_diagram_image_is_checked_by_its_node_labels_and_the_cli_verifies_one(tmp_path):
    from ivlu_agent.tools.verify_diagram import verify_diagram_image

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
