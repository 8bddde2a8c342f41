"""Benchmark of the neural path (engine internvlu): orchestration overhead and the share of verification.

    .venv/bin/python evals/bench_engine.py                       # tiny fixture checkpoint, CPU, 64 px, 2 steps
    .venv/bin/python evals/bench_engine.py --model PATH --size 512 --steps 20 --device cuda   # a GPU session

One agent (prefer native, budget 1) runs "draw caffeine" on fresh threads after a warm-up run: the model
plans (thinking + schema-guided JSON, retried), the head draws twice, OSRA and the judge check each
image, then the exact renderer draws the verified fallback. In the same process, the same model calls
are then made bare (the same functions, no graph, workers, store or verifiers): one thinking pass, as
many JSON plans and head images as the agent made, and the same judge questions.

Reported (medians over --runs): agent seconds per run, bare model seconds for the same calls, their ratio
(orchestration overhead), the share of the run spent verifying (exact checks and judge apart), and the
seconds of one neural refinement round (render + verify of one head attempt).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = REPO / "tests" / "fixtures" / "internvlu-tiny" / "checkpoint"
REQUEST = "draw caffeine"


def agent_runs(args, home: Path) -> tuple[list[dict], dict]:
    from ivlu_agent import Agent

    options = {"size": args.size, "steps": args.steps, "think_tokens": args.think_tokens,
               "plan_tokens": args.plan_tokens}
    rows = []
    with Agent(engine="internvlu", model_path=args.model, prefer="native", home=home, max_refinements=1,
               device=args.device, engine_options=options) as agent:
        started = time.perf_counter()
        agent.run(REQUEST, thread_id="warm-up")  # loads the model in its worker
        load_s = time.perf_counter() - started
        for i in range(args.runs):
            started = time.perf_counter()
            result = agent.run(REQUEST, thread_id=f"run-{i}")
            wall = time.perf_counter() - started
            planner = agent.planner.last
            (step,) = result.steps
            head = [a for a in step.attempts if a.spec["kind"] == "generate"]
            exact = [a for a in step.attempts if a.spec["kind"] != "generate"]
            judge_s = sum(v.details.get("seconds", 0.0) for a in head for v in a.verdicts
                          if v.verifier == "judge.rubric")
            rows.append({
                "wall_s": wall, "plan_s": result.timings.get("plan", 0.0), "status": result.status,
                "plans": len(planner["attempts"]), "head_attempts": len(head),
                "head_render_s": sum(a.render_s for a in head), "head_verify_s": sum(a.verify_s for a in head),
                "judge_s": judge_s, "exact_render_s": sum(a.render_s for a in exact),
                "exact_verify_s": sum(a.verify_s for a in exact),
                "round_s": [a.render_s + a.verify_s for a in head],
                "questions": [[p["question"] for p in a.spec["rubric"]] for a in head],
                "prompts": [a.spec["prompt"] + " " + " ".join(a.spec["corrections"]) for a in head],
                "seeds": [a.spec["seed"] for a in head],
            })
        context = dict(agent.engine.context)
    return rows, {"first_run_s": load_s, "context": context}


def bare_calls(args, context: dict, row: dict) -> float:
    """The same model calls as one agent run, made directly in this process (after a warm-up), with the
    thread count the model worker uses (torch's default, all cores, unless OMP_NUM_THREADS is set)."""
    import os

    import torch

    from ivlu_agent.model import engine as ie
    from ivlu_agent.planning.model import model_schema
    from ivlu_agent.prompts import template

    prompt = template("plan.md").substitute(kinds="", context="", request=REQUEST)
    schema = model_schema({})
    if os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))

    def once() -> None:
        thoughts = ie.worker_think(context, prompt, [], args.think_tokens)
        prefix = template("plan_json.md").substitute(thoughts=thoughts)
        for _ in range(row["plans"]):
            ie.worker_write_json(context, prompt, [], prefix, schema, args.plan_tokens)
        for p, seed, questions in zip(row["prompts"], row["seeds"], row["questions"]):
            png, _ = ie.head_generate(context, p, args.size, args.size, args.steps, seed)
            ie.head_judge(context, png, questions)

    once()  # load and warm up
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        once()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--think-tokens", type=int, default=32)
    p.add_argument("--plan-tokens", type=int, default=200)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--device", default=None)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if not args.model.is_dir():
        print(f"no checkpoint at {args.model}; pass --model", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        rows, info = agent_runs(args, Path(tmp))
    med = lambda key: statistics.median(r[key] for r in rows)
    bare = bare_calls(args, info["context"], rows[0])
    wall = med("wall_s")
    verify = med("head_verify_s") + med("exact_verify_s")
    rounds = [s for r in rows for s in r["round_s"]]
    summary = {
        "machine": f"{platform.processor() or platform.machine()}, {platform.system()}",
        "device": args.device or "auto", "size": args.size, "steps": args.steps, "runs": args.runs,
        "first_run_with_load_s": round(info["first_run_s"], 3),
        "agent_run_s": round(wall, 3), "plan_s": round(med("plan_s"), 3),
        "bare_model_calls_s": round(bare, 3), "overhead_ratio": round(wall / bare, 2),
        "verify_share": round(verify / wall, 3),
        "judge_share": round(med("judge_s") / wall, 3),
        "exact_checks_share": round((verify - med("judge_s")) / wall, 3),
        "refinement_round_s": round(statistics.median(rounds), 3),
        "plans_per_run": rows[0]["plans"], "head_attempts_per_run": rows[0]["head_attempts"],
        "status": rows[0]["status"],
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for k, v in summary.items():
            print(f"{k:24s} {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
