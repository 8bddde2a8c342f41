"""Graph nodes and wiring with real services."""

from ivlu_agent.graph import nodes
from ivlu_agent.graph.state import merge_results
from ivlu_agent.planning.symbolic import SymbolicPlanner
from ivlu_agent.store import ArtifactStore
from ivlu_agent.worker import WorkerPool

CAFFEINE = {"kind": "molecule", "id": "s1", "name": "caffeine", "smiles": "Cn1c(=O)c2c(ncn2C)n(C)c1=O"}


def services(tmp_path, pool):
    return nodes.Services(store=ArtifactStore(tmp_path), workers=pool, planner=SymbolicPlanner(describe=lambda s: {}),
                          max_refinements=3)


def test_renderer_out_of_memory_becomes_failed_verdict(tmp_path):
    # 150 MB of address space is not enough to load RDKit: the renderer dies inside the worker.
    with WorkerPool(size=1, memory_mb=150) as pool:
        svc = services(tmp_path, pool)
        pending = nodes.execute({"step": CAFFEINE}, svc)["pending"]
        assert "render_molecule failed" in pending["error"] or "crashed" in pending["error"]
        (attempt,) = nodes.verify({"step": CAFFEINE, "pending": pending}, svc)["attempts"]
    assert attempt["verdicts"][0]["verifier"] == "molecule.render"
    assert not attempt["verdicts"][0]["passed"]
    result = nodes.finish({"step": CAFFEINE, "attempts": [attempt]})["results"]["s1"]
    assert result["status"] == "failed"


def test_execute_stores_files_and_verify_records_attempt(tmp_path, workers):
    svc = services(tmp_path, workers)
    pending = nodes.execute({"step": CAFFEINE}, svc)["pending"]
    assert {a["name"] for a in pending["artifacts"]} == {"main.png", "main.svg"}
    assert svc.store.count() == 2
    (attempt,) = nodes.verify({"step": CAFFEINE, "pending": pending}, svc)["attempts"]
    assert attempt["number"] == 1 and all(v["passed"] for v in attempt["verdicts"])
    assert nodes.after_verify({"attempts": [attempt]}, svc) == "finish"


def test_dispatch_fans_out_ready_steps_and_respects_dependencies():
    plan = {"steps": [{"id": "s1"}, {"id": "s2"}, {"id": "s3", "depends_on": ["s1"]}]}
    sends = nodes.dispatch({"plan": plan, "results": {}})
    assert [s.arg["step"]["id"] for s in sends] == ["s1", "s2"]
    sends = nodes.dispatch({"plan": plan, "results": {"s1": {}, "s2": {}}})
    assert [s.arg["step"]["id"] for s in sends] == ["s3"]
    assert nodes.dispatch({"plan": plan, "results": {"s1": {}, "s2": {}, "s3": {}}}) == "compose"


def test_results_reducer_merges_and_resets():
    assert merge_results({"a": 1}, {"b": 2}) == {"a": 1, "b": 2}
    assert merge_results({"a": 1}, None) == {}


def test_build_py_is_only_wiring():
    import inspect

    from ivlu_agent.graph import build

    source = inspect.getsource(build)
    assert "def build_graph" in source and source.count("\n") < 60
