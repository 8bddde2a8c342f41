"""Versions of a thread: each finished turn is one, read back from LangGraph's checkpoints.

There is no second store: a version *is* a checkpoint, the one at the end of a turn (nothing left to
run, a plan, `turn` == N). A thread's checkpoints form a tree (time travel forks it), so its versions
are those on the line from the thread's head back to its root, found by following parent links through
`graph.get_state_history`.

- undo forks version N-1's checkpoint (`update_state(config, None, as_node="__copy__")`): the copy is
  N-1's sibling, so it becomes the head with N-1's values and N-1's ancestors; turn N stays in the
  database, off the line.
- branch writes the source line's versions 1..N onto the new thread in one `bulk_update_state`, one
  superstep per version, with the reducers bypassed (`Overwrite`), so the new thread has its own line
  (history, undo and diff work on it) and the source is not touched.
"""

from __future__ import annotations

from typing import Any, Callable

from .errors import IvluError
from .types import RunResult, Version

ResultOf = Callable[[dict, str], RunResult]  # the Agent's reading of checkpointed values as a RunResult


def history(graph: Any, thread_id: str, result_of: ResultOf) -> list[Version]:
    """The versions of the thread's current line, oldest first."""
    return [_version(s, thread_id, result_of) for s in _line(graph, thread_id)]


def show(graph: Any, thread_id: str, number: int | None, result_of: ResultOf) -> RunResult:
    """The result of version `number` (default: the latest) as it was checkpointed."""
    snapshot = _pick(_line(graph, thread_id), thread_id, number)
    return result_of(snapshot.values, thread_id)


def undo(graph: Any, thread_id: str, result_of: ResultOf) -> Version:
    """Make version N-1 the thread's current one, N being its latest version (an unfinished turn after N
    is left behind with it). Returns the version the thread is now at."""
    line = _line(graph, thread_id)
    if len(line) < 2:
        raise IvluError(f"Thread {thread_id!r} has {_count(len(line))}; there is no earlier version to go back to.",
                        "a thread with at least two versions",
                        f"see `ivlu history --thread {thread_id}`, or run a new request on the thread")
    config = graph.update_state(line[-2].config, None, as_node="__copy__")
    return _version(graph.get_state(config), thread_id, result_of)


def branch(graph: Any, thread_id: str, number: int, new_thread_id: str, result_of: ResultOf) -> Version:
    """Start thread `new_thread_id` at version `number` of `thread_id`, with versions 1..number as its own
    history. The source thread is unchanged. Returns the new thread's current version."""
    from langgraph.types import StateUpdate

    if not isinstance(new_thread_id, str) or not new_thread_id.strip():
        raise IvluError(f"The new thread id {new_thread_id!r} is empty.", "a name such as 'fig-1-alt'",
                        "give the branch a name (--to NAME)")
    line = _line(graph, thread_id)
    _pick(line, thread_id, number)
    if next(graph.get_state_history(_config(new_thread_id), limit=1), None) is not None:
        raise IvluError(f"Thread {new_thread_id!r} already exists in this home.", "the id of a new thread",
                        f"pick another name for the branch, or go on with {new_thread_id!r} "
                        f"(`ivlu run --thread {new_thread_id} ...`)")
    last = _turn_end_node(graph)
    updates = [[StateUpdate(_overwriting(graph, s.values), last)] for s in line[:number]]
    config = graph.bulk_update_state(_config(new_thread_id), updates)
    return _version(graph.get_state(config), new_thread_id, result_of)


def diff(graph: Any, thread_id: str, a: int, b: int) -> list[str]:
    """What changed in the plan from version `a` to version `b`, one plain-language line per step:
    added, removed, or changed (each field that differs, old → new). ["no change"] when none."""
    from .tools import parse_step

    line = _line(graph, thread_id)
    old = [parse_step(s) for s in _pick(line, thread_id, a).values["plan"]["steps"]]
    new = [parse_step(s) for s in _pick(line, thread_id, b).values["plan"]["steps"]]
    pairs = _match(old, new)
    lines = []
    for i, before in enumerate(old):
        if i not in pairs:
            lines.append(f"removed {before.id} ({before.kind}): {before.read_back()}")
            continue
        after = new[pairs[i]]
        changes = _changes(before.model_dump(mode="json"), after.model_dump(mode="json"))
        label = before.id if before.id == after.id else f"{before.id} → {after.id}"
        if changes:
            lines.append(f"changed {label} ({before.kind}): " + "; ".join(changes))
        elif before.id != after.id:
            lines.append(f"renumbered {label} ({before.kind}): {after.read_back()}")
    lines += [f"added {s.id} ({s.kind}): {s.read_back()}" for j, s in enumerate(new) if j not in pairs.values()]
    return lines or ["no change"]


# -- internals -------------------------------------------------------------------------------------


def _config(thread_id: str) -> dict:
    return {"configurable": {"thread_id": thread_id}}


def _line(graph: Any, thread_id: str) -> list:
    """The end-of-turn snapshots on the line from the thread's head to its root, oldest first."""
    snapshots = list(graph.get_state_history(_config(thread_id)))  # every checkpoint of the thread, newest first
    if not snapshots:
        raise IvluError(f"Unknown thread {thread_id!r}.", "the id of a thread run in this home",
                        "check --thread and --home (or IVLU_HOME)")
    by_id = {s.config["configurable"]["checkpoint_id"]: s for s in snapshots}
    line, turns = [], set()
    node = snapshots[0]  # the head: what `graph.get_state` reads and the next run builds on
    while node is not None:
        turn = node.values.get("turn")
        if not node.next and node.values.get("plan") and turn not in turns:
            line.append(node)
            turns.add(turn)
        parent = node.parent_config
        node = by_id.get(parent["configurable"]["checkpoint_id"]) if parent else None
    return line[::-1]


def _pick(line: list, thread_id: str, number: int | None):
    """Version `number` of the line (the latest when None); bad numbers are bad input."""
    if not line:
        raise IvluError(f"Thread {thread_id!r} has no finished version yet.", "a thread with a finished request",
                        f"finish it first (`ivlu resume --thread {thread_id}`) or run a request on it")
    if number is None:
        return line[-1]
    numbers = [s.values["turn"] for s in line]
    if number not in numbers:
        raise IvluError(f"Thread {thread_id!r} has no version {number!r}.",
                        f"a version from {numbers[0]} to {numbers[-1]}",
                        f"list them with `ivlu history --thread {thread_id}`")
    return line[numbers.index(number)]


def _count(n: int) -> str:
    return "no finished version" if n == 0 else "only one version" if n == 1 else f"{n} versions"


def _version(snapshot: Any, thread_id: str, result_of: ResultOf) -> Version:
    result = result_of(snapshot.values, thread_id)
    figures = [f for f in (result.figure, result.figure_svg) if f is not None]
    return Version(
        thread_id=thread_id, number=snapshot.values["turn"], request=result.request,
        describe=[s.describe for s in result.steps], status=result.status,
        artifacts=figures + [a for s in result.steps for a in s.artifacts],
        checkpoint_id=snapshot.config["configurable"]["checkpoint_id"], created_at=snapshot.created_at,
    )


def _turn_end_node(graph: Any) -> str:
    """The node with an edge to END (the turn's last): an update written as it leaves nothing to run."""
    from langgraph.graph import END

    return min(source for source, target in graph.builder.edges if target == END)


def _overwriting(graph: Any, values: dict) -> dict:
    """`values` as an update that sets each channel to exactly that value (reducers bypassed)."""
    from langgraph.channels import LastValue
    from langgraph.types import Overwrite

    return {k: v if isinstance(graph.channels[k], LastValue) else Overwrite(v) for k, v in values.items()}


def _match(old: list, new: list) -> dict[int, int]:
    """Index of each old step -> index of its new step: by step id (same kind), then by kind and caption."""
    pairs: dict[int, int] = {}
    for key in (lambda s: (s.id, s.kind), lambda s: (s.kind, s.caption())):
        free: dict[tuple, int] = {}
        for j, s in enumerate(new):
            if j not in pairs.values():
                free.setdefault(key(s), j)
        for i, s in enumerate(old):
            if i not in pairs and key(s) in free:
                pairs[i] = free.pop(key(s))
    return pairs


def _changes(before: dict, after: dict) -> list[str]:
    """'name 'aspirin' → 'ibuprofen'' for each field that differs (the step id and its source words aside)."""
    keys = [k for k in dict.fromkeys([*before, *after]) if k not in ("id", "source")]
    return [f"{k} {_short(before.get(k))} → {_short(after.get(k))}" for k in keys if before.get(k) != after.get(k)]


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"
