"""Benchmarks of the verified loop (issue 2). Run: `.venv/bin/python evals/bench_loop.py`.

1. Orchestration overhead: wall time of `agent.run` for a three-molecule request divided by the
   time spent inside the renderers and verifiers (measured in the worker) in the same run. With
   two workers the steps overlap, so the ratio can drop below 1; one worker gives the serial figure.
   Warm: the workers and imports are warmed by one run first; the median of N runs is reported.
2. Checkpoint growth: bytes added to checkpoints.sqlite per run, for 300 px and 2000 px drawings.
3. Start-up: wall time of `ivlu --help`, and which heavy modules it imports (none).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ivlu_agent import Agent

REQUEST = "draw caffeine, aspirin and ibuprofen, highlight the methyl groups"


def db_bytes(agent: Agent) -> int:
    """Size of checkpoints.sqlite after folding the write-ahead log into it."""
    agent._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return (agent.home / "checkpoints.sqlite").stat().st_size


def overhead(runs: int, workers: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp, Agent(home=tmp, workers=workers) as agent:
        agent.run(REQUEST)  # warm: worker processes, imports, OSRA page cache
        ratios, walls, inside = [], [], []
        for _ in range(runs):
            started = time.perf_counter()
            result = agent.run(REQUEST)
            wall = time.perf_counter() - started
            work = result.timings["render"] + result.timings["verify"]
            walls.append(wall)
            inside.append(work)
            ratios.append(wall / work)
    return {"workers": workers, "runs": runs, "wall_s": statistics.median(walls),
            "render_verify_s": statistics.median(inside), "ratio": statistics.median(ratios)}


def checkpoint_growth(runs: int) -> dict:
    out = {}
    for size in (300, 2000):
        with tempfile.TemporaryDirectory() as tmp, Agent(home=tmp) as agent:
            agent.run(f"draw caffeine at {size} px", thread_id="warm")
            before = db_bytes(agent)
            for i in range(runs):
                agent.run(f"draw caffeine at {size} px", thread_id=f"t{i}")
            png = max(p.stat().st_size for p in Path(tmp, "objects").rglob("*.png"))
            out[f"{size}px"] = {"bytes_per_run": (db_bytes(agent) - before) / runs, "largest_png_bytes": png}
    return out


def startup(repeats: int) -> dict:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ivlu_agent", "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    code = ("import sys\nfrom ivlu_agent.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print([m for m in ('torch','diffusers','rdkit','cadquery','transformers') if m in sys.modules])")
    heavy = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return {"help_s_median": statistics.median(times), "heavy_modules_imported": heavy}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    report = {
        "overhead_parallel": overhead(args.runs, workers=2),
        "overhead_serial": overhead(args.runs, workers=1),
        "checkpoint_growth": checkpoint_growth(args.runs),
        "startup": startup(5),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
