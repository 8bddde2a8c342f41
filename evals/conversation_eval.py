"""Score edit conversations: does each follow-up on a thread do the edit a person asked for?

    .venv/bin/python evals/conversation_eval.py                      # the "tune" split (default)
    .venv/bin/python evals/conversation_eval.py --split heldout      # once, at the end of a piece of work
    .venv/bin/python evals/conversation_eval.py --only c07 --out /tmp/c07.json
    .venv/bin/python evals/conversation_eval.py --split all --jobs 4
    .venv/bin/python evals/conversation_eval.py --file evals/conversations_v2.jsonl --split heldout --all-heldout
    .venv/bin/python evals/conversation_eval.py --file F --all-heldout --check   # the format only, no turn

Each script of evals/conversations.jsonl is played turn by turn on one thread of the real agent
(symbolic engine, a fresh temporary home per process). A turn says something (`say`) or undoes the
last version (`undo`), and holds when its status and every expectation hold:

- planned:     `agent.run` returned steps (verified, unverified or failed: rendering is not scored);
               the full ordered list of steps matches `steps` (kind, `has`/`lacks` substrings of each
               step's describe line) and every `same` pair kept its first artifact's sha256;
- refused:     `agent.run` raised IvluError with a message of at most 4 lines (naming `mentions`,
               if given), and the thread's plan is unchanged;
- needs_input: the result's status is "needs_input" with a `question` (naming `question_has`, if
               given); then `agent.answer(thread, answer)` must give the `after` plan;
- undo:        `agent.undo(thread)`, then `agent.result(thread)` must match `steps`; with `restores`,
               every step's describe line and sha256 equal those of the version before the undone one.

An API the agent lacks (answer, undo, a needs_input status) fails the turn with that reason; the
runner never crashes on it. See evals/conversations_README.md for the format and how the split was drawn.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

SCRIPTS = ROOT / "conversations.jsonl"
SPLIT_SEED = 2028  # the held-out third is random.Random(SPLIT_SEED).sample(sorted ids, len(ids) // 3)
KINDS = ("molecule", "lewis", "reaction", "equation", "text", "cad", "plot", "diagram", "model3d")
OPS = ("new", "add", "remove", "replace", "modify", "restyle", "refuse", "question", "undo")
STATUSES = ("planned", "refused", "needs_input")
PLANNED = ("verified", "unverified", "failed")
MAX_REFUSAL_LINES = 4


# -- the script set --------------------------------------------------------------------------------

def heldout_ids(ids: list[str], seed: int = SPLIT_SEED) -> set[str]:
    """The held-out third: a seeded random draw over the sorted script ids (never chosen by hand)."""
    ordered = sorted(ids)
    return set(random.Random(seed).sample(ordered, len(ordered) // 3))


def _check_steps(where: str, steps) -> list[str]:
    problems = []
    if not isinstance(steps, list):
        return [f"{where}: steps must be a list"]
    for k, step in enumerate(steps):
        if step.get("kind") not in KINDS:
            problems.append(f"{where} step {k}: kind {step.get('kind')!r} is not one of {', '.join(KINDS)}")
        for key in ("has", "lacks"):
            if not isinstance(step.get(key, []), list):
                problems.append(f"{where} step {k}: {key} must be a list")
    return problems


def _check_same(where: str, same, now: list, before: list | None) -> list[str]:
    if not same:
        return []
    if before is None:
        return [f"{where}: 'same' on a turn with no earlier plan"]
    return [f"{where}: same pair {pair} is out of range ({len(now)} steps now, {len(before)} before)"
            for pair in same if not (0 <= pair[0] < len(now) and 0 <= pair[1] < len(before))]


def check_script(script: dict) -> list[str]:
    """What is malformed in one script, in words (an empty list when it is well formed)."""
    sid = script.get("id", "?")
    problems = []
    if script.get("split") not in ("tune", "heldout"):
        problems.append(f"{sid}: split {script.get('split')!r} is not 'tune' or 'heldout'")
    kinds = script.get("kinds") or []
    if not kinds or set(kinds) - set(KINDS):
        problems.append(f"{sid}: kinds {kinds} must be a non-empty subset of {', '.join(KINDS)}")
    turns = script.get("turns") or []
    if not 2 <= len(turns) <= 5:
        problems.append(f"{sid}: {len(turns)} turns, expected 2 to 5")
    versions: list[list] = []  # the expected plan after each version, for the 'same' ranges
    for t, turn in enumerate(turns, 1):
        where = f"{sid} turn {t}"
        op, expect = turn.get("op"), turn.get("expect") or {}
        before = versions[-1] if versions else None
        if op not in OPS:
            problems.append(f"{where}: op {op!r} is not one of {', '.join(OPS)}")
        if ("say" in turn) == bool(turn.get("undo")):
            problems.append(f"{where}: give exactly one of 'say' or 'undo': true")
        if turn.get("undo"):
            if op != "undo":
                problems.append(f"{where}: an undo turn has op 'undo'")
            problems += _check_steps(where, expect.get("steps"))
            if len(versions) < 2:
                problems.append(f"{where}: undo needs two versions before it")
            elif expect.get("restores") and len(expect.get("steps") or []) != len(versions[-2]):
                problems.append(f"{where}: 'restores' but the steps differ in number from the version before")
            if len(versions) >= 2:
                versions = versions[:-1]
                versions[-1] = expect.get("steps") or []
            continue
        status = expect.get("status")
        if status not in STATUSES:
            problems.append(f"{where}: status {status!r} is not one of {', '.join(STATUSES)}")
        if (op == "refuse") != (status == "refused") or (op == "question") != (status == "needs_input"):
            problems.append(f"{where}: op {op!r} does not fit status {status!r}")
        if status == "planned":
            problems += _check_steps(where, expect.get("steps"))
            problems += _check_same(where, expect.get("same"), expect.get("steps") or [], before)
            versions.append(expect.get("steps") or [])
        elif status == "needs_input":
            after = turn.get("after") or {}
            if "answer" not in turn or after.get("status") != "planned":
                problems.append(f"{where}: a question needs 'answer' and an 'after' with status 'planned'")
            problems += _check_steps(where + " after", after.get("steps"))
            problems += _check_same(where + " after", after.get("same"), after.get("steps") or [], before)
            versions.append(after.get("steps") or [])
        if t == 1 and op not in ("new", "question"):
            problems.append(f"{where}: the first turn plans from nothing (op 'new' or 'question')")
    return problems


def load_scripts(path: str | Path = SCRIPTS, split: str = "tune", only: str = "",
                 all_heldout: bool = False) -> list[dict]:
    """The scripts of `split` ('all' for every one), or only those of `only` (comma-separated ids).

    Every script is checked first, and the stored split against the seeded draw, so a malformed set
    or a hand-picked held-out third fails before any turn runs. With `all_heldout` (a set written
    wholly held out, such as conversations_v2.jsonl) every script must say 'heldout' instead.
    """
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    scripts = [json.loads(line) for line in lines if line.strip()]
    problems = [p for s in scripts for p in check_script(s)]
    ids = [s.get("id") for s in scripts]
    problems += [f"{i}: the id is used {n} times" for i, n in Counter(ids).items() if n > 1]
    if all_heldout:
        problems += [f"{s['id']}: split {s['split']!r}, but --all-heldout says every script is 'heldout'"
                     for s in scripts if s.get("split") == "tune"]
    else:
        drawn = heldout_ids(ids)
        problems += [f"{s['id']}: split {s['split']!r}, but the seeded draw (seed {SPLIT_SEED}) says "
                     f"{'heldout' if s['id'] in drawn else 'tune'}"
                     for s in scripts if s.get("split") in ("tune", "heldout")
                     and (s["split"] == "heldout") != (s["id"] in drawn)]
    if problems:
        raise SystemExit(f"{path} is malformed:\n  " + "\n  ".join(problems[:20]))
    if only:
        wanted = set(only.split(","))
        unknown = wanted - set(ids)
        if unknown:
            raise SystemExit(f"Unknown script id(s): {', '.join(sorted(unknown))}")
        return [s for s in scripts if s["id"] in wanted]
    return [s for s in scripts if split == "all" or s["split"] == split]


# -- scoring one turn ------------------------------------------------------------------------------

def snapshot(result) -> list[dict]:
    """The plan of a result as plain data: kind, describe line, status and first artifact's sha256."""
    plan = []
    for step in getattr(result, "steps", None) or []:
        arts = step.artifacts
        plan.append({"kind": step.kind, "describe": step.describe, "status": step.status,
                     "sha256": arts[0].sha256 if arts else None})
    return plan


def _found(needle, text: str) -> bool:
    """`needle` (a string, or a list of alternatives) occurs in `text`, ignoring case."""
    options = needle if isinstance(needle, list) else [needle]
    return any(str(o).lower() in text.lower() for o in options)


def _shown(needle) -> str:
    return " | ".join(needle) if isinstance(needle, list) else needle


def plan_problems(want: list[dict], got: list[dict]) -> list[str]:
    """Where the plan `got` differs from the expected full ordered list of steps `want`."""
    problems = []
    if len(got) != len(want):
        problems.append(f"steps: expected {len(want)}, got {len(got)}")
    for k, (w, g) in enumerate(zip(want, got)):
        if g["kind"] != w["kind"]:
            problems.append(f"step {k}: kind {g['kind']!r}, expected {w['kind']!r}")
        missing = [_shown(h) for h in w.get("has", []) if not _found(h, g["describe"])]
        if missing:
            problems.append(f"step {k}: describe lacks {missing}")
        unwanted = [x for x in w.get("lacks", []) if _found(x, g["describe"])]
        if unwanted:
            problems.append(f"step {k}: describe still has {unwanted}")
    return problems


def same_problems(pairs: list, got: list[dict], before: list[dict] | None) -> list[str]:
    """Each [now, before] pair names a step the edit did not touch: its first artifact must be the same."""
    problems = []
    for now, then in pairs or []:
        if before is None or not (now < len(got) and then < len(before)):
            problems.append(f"same [{now}, {then}]: no such step to compare")
        elif got[now]["sha256"] is None or got[now]["sha256"] != before[then]["sha256"]:
            was, now_sha = (before[then]["sha256"] or "-")[:12], (got[now]["sha256"] or "-")[:12]
            problems.append(f"same [{now}, {then}]: {got[now]['describe']!r} is not the file of "
                            f"{before[then]['describe']!r} ({was} -> {now_sha})")
    return problems


def planned_problems(result, expect: dict, before: list[dict] | None) -> list[str]:
    """Problems of a result that should be a plan matching `expect`."""
    status = getattr(result, "status", None)
    if status == "needs_input":
        return [f"asked a question instead of planning: {question_text(result)[:200]}"]
    if status not in PLANNED:
        return [f"status {status!r}, expected a plan"]
    got = snapshot(result)
    return plan_problems(expect.get("steps", []), got) + same_problems(expect.get("same"), got, before)


def question_text(result) -> str:
    """The pending question as text, whatever its type (a pydantic model, a dict or a string)."""
    q = getattr(result, "question", None)
    if q is None:
        return ""
    if hasattr(q, "model_dump_json"):
        return q.model_dump_json()
    return q if isinstance(q, str) else json.dumps(q, default=str, ensure_ascii=False)


def first_line(e: BaseException) -> str:
    return (str(e).splitlines() or [type(e).__name__])[0]


def outcome(reasons: list[str], status, got: list[dict] | None, **extra) -> dict:
    """A turn's outcome: it held when nothing is wrong."""
    return {"held": not reasons, "reasons": reasons, "status": status, "got": got or [], **extra}


def same_version(a: list[dict] | None, b: list[dict] | None) -> bool:
    """Two plans are the same version when every step has the same describe line and the same first file."""
    return [(s["describe"], s["sha256"]) for s in a or []] == [(s["describe"], s["sha256"]) for s in b or []]


class Conversation:
    """One script played on one thread: runs each turn and remembers the versions of the plan.

    The versions are the plans the agent actually held after each planned, answered or undone turn,
    so a `same` pair or an undo is judged against what the thread really had, even after a miss.
    """

    def __init__(self, agent, thread: str):
        self.agent = agent
        self.thread = thread
        self.versions: list[list[dict]] = []

    @property
    def plan(self) -> list[dict] | None:
        return self.versions[-1] if self.versions else None

    def current(self) -> list[dict] | None:
        """The thread's plan as the agent holds it now (None when the thread has none)."""
        try:
            return snapshot(self.agent.result(self.thread))
        except Exception:  # noqa: BLE001 - an unknown or broken thread simply has no plan
            return None

    def play(self, turn: dict) -> dict:
        """Run one turn; return its outcome ({"held", "reasons", "status", "got", …})."""
        from ivlu_agent.errors import IvluError

        expect = turn.get("expect") or {}
        if turn.get("undo"):
            return self._undo(expect)
        try:
            result = self.agent.run(turn["say"], thread_id=self.thread)
        except IvluError as e:
            return self._refused(e, expect)
        if expect["status"] == "refused":
            return self._moved_on(result, [f"not refused: status {result.status!r}"])
        if expect["status"] == "needs_input":
            return self._asked(result, turn)
        return self._moved_on(result, planned_problems(result, expect, self.plan))

    def _moved_on(self, result, reasons: list[str]) -> dict:
        """Record the plan the agent now holds (it is what the next turn edits) and report the turn."""
        got = snapshot(result)
        status = getattr(result, "status", None)
        if status in PLANNED:
            self.versions.append(got)
        return outcome(reasons, status, got)

    def _refused(self, e: Exception, expect: dict) -> dict:
        message = str(e)
        if expect["status"] != "refused":
            return outcome([f"refused: {first_line(e)}"], "refused", self.plan, message=message)
        reasons = []
        lines = message.splitlines()
        if len(lines) > MAX_REFUSAL_LINES:
            reasons.append(f"the refusal has {len(lines)} lines, expected at most {MAX_REFUSAL_LINES}")
        unnamed = [_shown(m) for m in expect.get("mentions", []) if not _found(m, message)]
        if unnamed:
            reasons.append(f"the refusal does not name {unnamed}")
        now = self.current()
        if self.plan is not None and not same_version(now, self.plan):
            reasons.append("the refusal changed the thread's plan")
        return outcome(reasons, "refused", now, message=message)

    def _asked(self, result, turn: dict) -> dict:
        from ivlu_agent.errors import IvluError

        status = getattr(result, "status", None)
        if status != "needs_input":
            return self._moved_on(result, [f"status {status!r}: no question was asked"])
        text = question_text(result)
        if not text:
            return outcome(["status needs_input but no result.question"], status, snapshot(result))
        reasons = [f"the question does not offer {_shown(m)}"
                   for m in turn["expect"].get("question_has", []) if not _found(m, text)]
        answer = getattr(self.agent, "answer", None)
        if answer is None:
            return outcome(reasons + ["Agent.answer does not exist"], status, [], question=text)
        try:
            after = answer(self.thread, turn["answer"])
        except IvluError as e:
            return outcome(reasons + [f"answer refused: {first_line(e)}"], status, [], question=text)
        if not hasattr(after, "steps"):  # answer may resume without returning the result
            after = self.agent.result(self.thread)
        done = self._moved_on(after, planned_problems(after, turn["after"], self.plan))
        return outcome(reasons + [f"after the answer: {r}" for r in done["reasons"]], done["status"],
                       done["got"], question=text)

    def _undo(self, expect: dict) -> dict:
        from ivlu_agent.errors import IvluError

        undo = getattr(self.agent, "undo", None)
        if undo is None:
            return outcome(["Agent.undo does not exist"], None, self.plan)
        try:
            undo(self.thread)
            result = self.agent.result(self.thread)
        except IvluError as e:
            return outcome([f"undo refused: {first_line(e)}"], "refused", self.plan)
        got = snapshot(result)
        reasons = plan_problems(expect.get("steps", []), got)
        earlier = self.versions[-2] if len(self.versions) >= 2 else None
        if expect.get("restores") and earlier is not None and not same_version(got, earlier):
            reasons.append("the plan is not the version before (describe lines or sha256 differ)")
        if len(self.versions) >= 2:
            self.versions.pop()
        if self.versions:
            self.versions[-1] = got  # what the agent holds is what the next turn edits
        return outcome(reasons, result.status, got)


def play_script(agent, script: dict) -> list[dict]:
    """Every turn of one script on its own thread; a crash fails that turn and the script goes on."""
    conversation = Conversation(agent, thread=f"conv-{script['id']}")
    outcomes = []
    for t, turn in enumerate(script["turns"], 1):
        t0 = time.perf_counter()
        try:
            played = conversation.play(turn)
        except Exception as e:  # noqa: BLE001 - one crash must not end the evaluation
            played = outcome([f"crash: {type(e).__name__}: {first_line(e)}"], None, conversation.current(),
                             crashed=True)
        played.update(turn=t, op=turn["op"], seconds=round(time.perf_counter() - t0, 2))
        outcomes.append(played)
    return outcomes


def play_chunk(scripts: list[dict]) -> list[tuple[dict, list[dict]]]:
    """Play scripts one after another with one agent in a fresh temporary home (one process of --jobs)."""
    from ivlu_agent.agent import Agent

    played = []
    with tempfile.TemporaryDirectory(prefix="conv-eval-") as home:
        agent = Agent(home=home)
        try:
            for script in scripts:
                outcomes = play_script(agent, script)
                held = sum(o["held"] for o in outcomes)
                marks = " ".join("." if o["held"] else "x" for o in outcomes)
                print(f"{script['id']} {held}/{len(outcomes)} {marks}", file=sys.stderr, flush=True)
                if any(o.get("crashed") for o in outcomes):  # start clean after a crash
                    agent.close()
                    agent = Agent(home=home)
                played.append((script, outcomes))
        finally:
            agent.close()
    return played


# -- the report ------------------------------------------------------------------------------------

def tally(rows: list[tuple[str, bool]]) -> dict:
    counts = defaultdict(lambda: [0, 0])
    for key, held in rows:
        counts[key][0] += held
        counts[key][1] += 1
    return {k: {"held": h, "turns": n, "rate": round(h / n, 4)} for k, (h, n) in sorted(counts.items())}


def report(played: list[tuple[dict, list[dict]]], split: str, seconds: float) -> dict:
    """Turns held over total, per split, kind (a turn counts for every kind of its script) and operation."""
    turns = [(s, o) for s, outcomes in played for o in outcomes]
    held = sum(o["held"] for _, o in turns)
    failures = []
    for script, outcomes in played:
        for o in outcomes:
            if o["held"]:
                continue
            turn = script["turns"][o["turn"] - 1]
            failures.append({"id": script["id"], "split": script["split"], "turn": o["turn"], "op": o["op"],
                             "say": "(undo)" if turn.get("undo") else turn["say"],
                             **({"answer": turn["answer"]} if "answer" in turn else {}),
                             "status": o["status"], "reasons": o["reasons"],
                             "got": [f"{g['kind']}: {g['describe']}" for g in o["got"]],
                             **{k: o[k] for k in ("message", "question") if k in o}})
    return {
        "split": split, "scripts": len(played), "turns": len(turns), "held": held,
        "rate": round(held / len(turns), 4) if turns else 0.0, "seconds": round(seconds, 1),
        "scripts_fully_held": sum(all(o["held"] for o in outcomes) for _, outcomes in played),
        "follow_ups": tally([("follow-up", o["held"]) for _, o in turns if o["op"] != "new"]).get(
            "follow-up", {"held": 0, "turns": 0, "rate": 0.0}),
        "per_split": tally([(s["split"], o["held"]) for s, o in turns]),
        "per_kind": tally([(k, o["held"]) for s, o in turns for k in s["kinds"]]),
        "per_op": tally([(o["op"], o["held"]) for _, o in turns]),
        "failures": failures,
    }


def print_report(rep: dict) -> None:
    print(f"split {rep['split']}: {rep['scripts']} scripts, {rep['turns']} turns, {rep['seconds']:.0f} s")
    print(f"  turns held  {rep['rate']:6.1%}  ({rep['held']}/{rep['turns']}); "
          f"scripts fully held {rep['scripts_fully_held']}/{rep['scripts']}")
    f = rep["follow_ups"]
    print(f"  follow-ups  {f['rate']:6.1%}  ({f['held']}/{f['turns']}): every turn but a plain first request")
    for title, key in (("per split", "per_split"), ("per kind", "per_kind"), ("per operation", "per_op")):
        print(title + ":")
        for name, c in rep[key].items():
            print(f"  {name:<10} {c['rate']:6.1%}  ({c['held']}/{c['turns']})")
    print("failures:")
    for f in rep["failures"]:
        print(f"  {f['id']}#{f['turn']} {f['op']:<8} {f['say']!r}: {'; '.join(f['reasons'])[:300]}")
        for line in f["got"]:
            print(f"      {line[:160]}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="tune", choices=["tune", "heldout", "all"])
    ap.add_argument("--only", default="", help="comma-separated script ids to run (any split)")
    ap.add_argument("--out", default="", help="write the JSON report here")
    ap.add_argument("--jobs", type=int, default=1, help="scripts in this many parallel processes")
    ap.add_argument("--file", default=str(SCRIPTS), help="the script set")
    ap.add_argument("--all-heldout", action="store_true",
                    help="the file is wholly held out: every split must be 'heldout' (no seeded draw)")
    ap.add_argument("--check", action="store_true",
                    help="only check the file's format and print its counts; run no turn")
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error(f"--jobs {args.jobs}: expected 1 or more")

    scripts = load_scripts(args.file, args.split, args.only, all_heldout=args.all_heldout)
    if args.check:
        turns = [t for s in scripts for t in s["turns"]]
        print(f"{args.file}: well formed; {len(scripts)} scripts, {len(turns)} turns")
        print("  per op:   " + ", ".join(f"{k} {n}" for k, n in sorted(Counter(t["op"] for t in turns).items())))
        print("  per kind: " + ", ".join(f"{k} {n}/{m}" for k, (n, m) in sorted(
            {k: (sum(k in s["kinds"] for s in scripts),
                 sum(len(s["turns"]) for s in scripts if k in s["kinds"])) for k in KINDS}.items()))
              + "  (scripts/turns)")
        return 0
    started = time.perf_counter()
    jobs = min(args.jobs, len(scripts)) or 1
    if jobs == 1:
        played = play_chunk(scripts)
    else:
        chunks = [scripts[i::jobs] for i in range(jobs)]
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            played = [p for chunk in pool.map(play_chunk, chunks) for p in chunk]
        order = {s["id"]: i for i, s in enumerate(scripts)}
        played.sort(key=lambda p: order[p[0]["id"]])
    rep = report(played, f"only {args.only}" if args.only else args.split, time.perf_counter() - started)
    if args.out:  # written first, so a closed pipe on stdout cannot lose it
        Path(args.out).write_text(json.dumps(rep, indent=1, ensure_ascii=False, default=str) + "\n",
                                  encoding="utf-8")
    print_report(rep)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
