"""Benchmark of a thread's versions (issue 12). Run: `.venv/bin/python evals/bench_versions.py`.

A 5-turn thread of cheap symbolic requests, then:

1. Checkpoint bytes per turn: growth of the `checkpoints` and `writes` tables of checkpoints.sqlite (sum of
   their blob lengths, for that thread) after each turn; and what one undo and one branch add.
2. Time of history, show, diff, undo and branch, each as a ratio against `agent.result(thread)` (one
   checkpoint read) and against one turn of the thread (`agent.run`), both measured in the same process;
   medians of N. Undo is timed on fresh branches of the thread, so every repeat undoes the same 5-version
   line. A branch holds one checkpoint per version where the thread holds about six per turn, and reading
   a line costs about the same per checkpoint, so the history of a branch is timed too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

from ivlu_agent import Agent

TURNS = ("draw caffeine", "draw aspirin", "write E = mc^2", "draw ibuprofen, highlight the methyl groups",
         "draw caffeine and aspirin")


def thread_bytes(agent: Agent, thread_id: str) -> int:
    """Bytes of the thread's checkpoint rows and pending writes (blob lengths)."""
    (checkpoints,) = agent._db.execute(
        "SELECT COALESCE(SUM(LENGTH(checkpoint) + LENGTH(metadata)), 0) FROM checkpoints WHERE thread_id = ?",
        (thread_id,)).fetchone()
    (writes,) = agent._db.execute("SELECT COALESCE(SUM(LENGTH(value)), 0) FROM writes WHERE thread_id = ?",
                                  (thread_id,)).fetchone()
    return checkpoints + writes


def median_s(call, repeats: int) -> float:
    times = []
    for i in range(repeats):
        started = time.perf_counter()
        call(i)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=21)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Agent(home=tmp) as agent:
        per_turn, before, turn_s = [], 0, []
        for request in TURNS:
            started = time.perf_counter()
            assert agent.run(request, thread_id="t").status == "verified", request
            turn_s.append(time.perf_counter() - started)
            size = thread_bytes(agent, "t")
            per_turn.append(size - before)
            before = size

        agent.branch("t", len(TURNS), "sized")  # also warms imports and first-call caches
        branch_bytes = thread_bytes(agent, "sized")
        agent.undo("sized")
        undo_bytes = thread_bytes(agent, "sized") - branch_bytes
        for call in (agent.result, agent.history):
            call("t")
        baseline = median_s(lambda i: agent.result("t"), args.repeats)
        timed = {
            "history": median_s(lambda i: agent.history("t"), args.repeats),
            "show": median_s(lambda i: agent.show("t", 2), args.repeats),
            "diff": median_s(lambda i: agent.diff("t", 1, 5), args.repeats),
            "branch": median_s(lambda i: agent.branch("t", len(TURNS), f"b{i}"), args.repeats),
            "undo": median_s(lambda i: agent.undo(f"b{i}"), args.repeats),
            "history_of_a_branch": median_s(lambda i: agent.history(f"b{i}"), args.repeats),
        }
        report = {
            "turns": len(TURNS),
            "checkpoint_bytes_per_turn": per_turn,
            "checkpoint_bytes_per_turn_mean": statistics.mean(per_turn),
            "thread_bytes": before,
            "branch_bytes": branch_bytes,
            "undo_bytes": undo_bytes,
            "baseline_result_ms": round(baseline * 1000, 3),
            "ms": {k: round(v * 1000, 3) for k, v in timed.items()},
            "ratio_to_result": {k: round(v / baseline, 2) for k, v in timed.items()},
            "turn_ms_median": round(statistics.median(turn_s) * 1000, 1),
            "ratio_to_turn": {k: round(v / statistics.median(turn_s), 3) for k, v in timed.items()},
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
