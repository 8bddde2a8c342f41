"""The `ivlu` command line. Heavy modules load inside the commands, so `ivlu --help` is instant."""

from __future__ import annotations

import argparse
import json
import os
import sys

EXIT_OK, EXIT_UNVERIFIED, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_NOT_CHECKABLE = 4  # `ivlu verify`: nothing in the image could be read, which is not a finding that it is wrong
VERSION_COMMANDS = ("history", "show", "undo", "branch", "diff")


def parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line. The kinds' `verify` options come from the registry of kinds, which is loaded only
    when `argv` holds the `verify` command, so `ivlu --help` and `ivlu run` start without it."""
    p = argparse.ArgumentParser(prog="ivlu", description="Figures that are verified to be right.")
    p.add_argument("--home", help="agent home for artifacts and checkpoints (default: IVLU_HOME or ./.ivlu)")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="plan, render, verify and refine a figure")
    run.add_argument("request", help="what to draw, e.g. 'caffeine and aspirin, highlight the methyl groups'")
    run.add_argument("--out", default="ivlu-out", help="output folder (default: ./ivlu-out)")
    run.add_argument("--thread", help="conversation id; a second request on it sees the first")
    run.add_argument("--engine", default=os.environ.get("IVLU_ENGINE", "symbolic"),
                     help="symbolic (rules, default) or internvlu (the model plans, draws, edits and judges)")
    run.add_argument("--model", default=os.environ.get("IVLU_MODEL"),
                     help="InternVL-U checkpoint folder for --engine internvlu (default: IVLU_MODEL)")
    run.add_argument("--prefer", choices=("exact", "native"), default="exact",
                     help="exact: hybrid routing (default); native: the head attempts every step, exact as fallback")
    run.add_argument("--device", help="model device, e.g. cuda or cpu (default: cuda when present)")
    run.add_argument("--dtype", choices=("float32", "bfloat16", "float16"),
                     help="model dtype (default: bfloat16 on cuda, float32 on cpu)")
    run.add_argument("--image", action="append", default=[], help="an input image (PNG/JPEG); repeatable")
    run.add_argument("--budget", type=int, default=3, help="refinements per step (default 3)")
    run.add_argument("--strict", action="store_true",
                     help="refuse where a drafting convention would fill a gap (e.g. four holes at the corners)")
    run.add_argument("--json", action="store_true", help="print result.json instead of a summary")
    run.add_argument("--yes", action="store_true", help="take the first proposed answer to any question the run "
                     "asks (and approve the plan with --approve-plan)")
    run.add_argument("--answer", action="append", default=[], metavar="TEXT",
                     help="the answer to the run's next question; repeatable, used in order")
    run.add_argument("--approve-plan", action="store_true",
                     help="show the plan and wait for approve, an edit ('replace X with Y') or cancel")

    answer = sub.add_parser("answer", help="answer the question a paused run asked, and finish it")
    answer.add_argument("value", help="the answer: one of the proposals, or your own words")
    answer.add_argument("--thread", required=True)
    answer.add_argument("--out", default="ivlu-out")
    answer.add_argument("--json", action="store_true")

    resume = sub.add_parser("resume", help="finish an interrupted run on a thread")
    resume.add_argument("--thread", required=True)
    resume.add_argument("--engine", default=os.environ.get("IVLU_ENGINE", "symbolic"),
                        help="the engine the thread ran with (neural steps need internvlu)")
    resume.add_argument("--model", default=os.environ.get("IVLU_MODEL"), help="checkpoint folder for internvlu")
    resume.add_argument("--out", default="ivlu-out")
    resume.add_argument("--json", action="store_true")

    verify = sub.add_parser("verify", help="verify any image against what it should show")
    verify.add_argument("image", help="the image to check (PNG/JPEG)")
    target = verify.add_mutually_exclusive_group(required=True)  # one per kind of figure
    argv = sys.argv[1:] if argv is None else argv
    for check in _verify_checks() if "verify" in argv else []:
        target.add_argument(check.flag, metavar=check.metavar, help=check.help,
                            action="append" if check.repeatable else "store")
        for flag, help in check.options:
            verify.add_argument(flag, help=help)
    verify.add_argument("--json", action="store_true")

    examples = sub.add_parser("examples", help="list the requests each kind of figure understands")
    examples.add_argument("kind", nargs="?", help="one kind, e.g. molecule (default: every kind)")

    # versions: every finished request on a thread is one (see Agent.history)
    history = sub.add_parser("history", help="list a thread's versions, oldest first")
    history.add_argument("--thread", required=True)
    history.add_argument("--json", action="store_true")
    show = sub.add_parser("show", help="show one version of a thread, and write its files with --out")
    show.add_argument("--thread", required=True)
    show.add_argument("--version", type=int, help="the version number (default: the latest)")
    show.add_argument("--out", help="write figure.png, panels/, report.md and result.json here")
    show.add_argument("--json", action="store_true")
    undo = sub.add_parser("undo", help="go back to the thread's previous version")
    undo.add_argument("--thread", required=True)
    branch = sub.add_parser("branch", help="start a new thread at one version of a thread")
    branch.add_argument("--thread", required=True)
    branch.add_argument("--version", type=int, required=True)
    branch.add_argument("--to", required=True, help="the new thread's id")
    diff = sub.add_parser("diff", help="what changed in the plan between two versions")
    diff.add_argument("--thread", required=True)
    diff.add_argument("a", type=int)
    diff.add_argument("b", type=int)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser(argv).parse_args(argv)
    from .errors import IvluError

    try:
        if args.command == "verify":
            return cmd_verify(args)
        if args.command == "examples":
            return cmd_examples(args)
        if args.command in VERSION_COMMANDS:
            return cmd_versions(args)
        return cmd_run(args)
    except IvluError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted; resume with `ivlu resume --thread ID`", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - never a traceback for the user
        if os.environ.get("IVLU_DEBUG"):
            raise
        print(f"internal error: {type(e).__name__}: {e}\n(set IVLU_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL


def cmd_run(args) -> int:
    from .agent import Agent

    with Agent(engine=getattr(args, "engine", "symbolic"), home=args.home,
               max_refinements=getattr(args, "budget", 3), model_path=getattr(args, "model", None),
               prefer=getattr(args, "prefer", "exact"), device=getattr(args, "device", None),
               dtype=getattr(args, "dtype", None), strict=getattr(args, "strict", False),
               approve_plan=getattr(args, "approve_plan", False)) as agent:
        if args.command == "resume":
            result = agent.resume(args.thread, out=args.out)
        elif args.command == "answer":
            result = agent.answer(args.thread, args.value, out=args.out)
        else:
            result = _run_with_progress(agent, args)
        answers = list(getattr(args, "answer", []))
        while result.status == "needs_input":
            value = _answer(result, answers, getattr(args, "yes", False))
            if value is None:  # nobody to ask: say what was asked and how to answer
                _print_question(result, sys.stderr)
                return EXIT_BAD_INPUT
            result = agent.answer(result.thread_id, value, out=args.out)
    if args.json:
        print(json.dumps(result.to_json_dict(), indent=2, ensure_ascii=False))
    else:
        _summary(result)
    return result.exit_code


def _answer(result, answers: list[str], yes: bool) -> str | None:
    """The answer to a paused run's question: the next --answer, the first proposal with --yes, else asked on
    the terminal (a number picks a proposal); None when input is not a terminal."""
    q = result.question or {}
    proposals = ["approve"] if q.get("kind") == "approve" else list(q.get("options") or [])
    if answers:
        return answers.pop(0)
    if yes and proposals:
        print(f"{q.get('question', '')} → {proposals[0]} (--yes)", file=sys.stderr)
        return proposals[0]
    if not sys.stdin.isatty():
        return None
    _print_question(result, sys.stderr, terminal=True)
    while True:
        try:
            text = input("> ").strip()
        except EOFError:
            return None
        if text.isdigit() and 1 <= int(text) <= len(proposals):
            return proposals[int(text) - 1]
        if text:
            return text


def _print_question(result, stream, terminal: bool = False) -> None:
    """The question, its proposals, and (off a terminal) the flags that answer it."""
    q = result.question or {}
    print(f"question: {q.get('question', '')}", file=stream)
    for line in q.get("plan") or []:
        print(f"  {line}", file=stream)
    proposals = ["approve", "cancel"] if q.get("kind") == "approve" else list(q.get("options") or [])
    for i, option in enumerate(proposals, start=1):
        print(f"  {i}) {option}", file=stream)
    if terminal:
        print("type a number, or your own answer:", file=stream)
        return
    first = proposals[0] if proposals else "…"
    print(f"answer with: ivlu answer --thread {result.thread_id} '{first}'   "
          f"(or run again with --yes to take '{first}', or --answer TEXT)", file=stream)


def _run_with_progress(agent, args):
    from .types import RunResult

    stream = agent.stream(args.request, thread_id=args.thread, images=args.image, out=args.out)
    if args.json or not sys.stderr.isatty():
        for event in stream:
            if event.type == "done":
                return RunResult.model_validate(event.data["result"])
    from rich.console import Console

    console = Console(stderr=True)
    with console.status("planning…") as status:
        for event in stream:
            if event.type == "plan":
                console.print(f"[bold]plan[/]: {event.message}")
                status.update("rendering and verifying…")
            elif event.type == "attempt":
                console.print(f"  {event.message}")
            elif event.type == "step_done":
                colour = {"verified": "green", "unverified": "yellow"}.get(event.message, "red")
                console.print(f"[{colour}]{event.step_id} {event.data['title']}: {event.message}[/]")
            elif event.type == "compose":
                status.update("composing…")
            elif event.type == "done":
                return RunResult.model_validate(event.data["result"])


def _summary(result) -> None:
    print(f"status: {result.status}   thread: {result.thread_id}")
    if result.steps:  # the read-back, so a misread request shows before any verdict
        print("understood:")
    for s in result.steps:
        print(f"  {s.id}  {s.describe}")
    if result.faithful is not None and not result.faithful.passed:
        print(f"  ✗ plan.faithful: {result.faithful.message}")
    for note in result.notes:
        print(f"  note: {note}")
    if result.steps:
        print("steps:")
    for s in result.steps:
        failed = [v for v in s.verdicts if not v.passed and v.required]
        print(f"  {s.id} {s.kind:9s} {s.status:10s} {s.title}  ({len(s.attempts)} attempt(s))")
        for v in failed:
            print(f"      ✗ {v.verifier}: {v.message}")
    if result.out_dir:
        print(f"figure: {os.path.join(result.out_dir, 'figure.png')}")
        print(f"report: {os.path.join(result.out_dir, 'report.md')}")


def _verify_checks() -> list:
    """Each kind's `ivlu verify` option (its spec's `cli`), in registry order."""
    from .tools import SPECS

    return [spec.cli for spec in SPECS if spec.cli is not None]


def cmd_verify(args) -> int:
    from .errors import IvluError
    from .worker import WorkerPool, resolve

    if not os.path.isfile(args.image):
        raise IvluError(f"Image {args.image} does not exist.", "a path to a PNG or JPEG file", "check the path")
    checks = _verify_checks()
    check = next(c for c in checks if getattr(args, _dest(c.flag)) is not None)
    options = {_dest(flag): getattr(args, _dest(flag)) for c in checks for flag, _ in c.options}
    kind = check.flag.lstrip("-")
    with WorkerPool(size=1) as workers:
        target, extra = resolve(check.target)(getattr(args, _dest(check.flag)), options, workers.call)
        verdicts = workers.call(target, os.path.abspath(args.image), *extra)
    if not verdicts:
        raise IvluError(f"The {kind} asked for has no text to look for in an image.", check.empty or
                        f"a {kind} with something to check", "add the labels to the request")
    counted = [v for v in verdicts if v.get("required", True)]  # a second reader's report never decides
    passed = all(v["passed"] for v in counted)
    # "not checkable" (nothing could be read) is a third outcome, distinct from a finding that it is wrong
    status = "passed" if passed else "not checkable" if all(
        v["passed"] or v.get("details", {}).get("not_checkable") for v in counted) else "failed"
    if args.json:
        print(json.dumps({"passed": passed, "status": status, "verdicts": verdicts}, indent=2))
    else:
        for v in verdicts:
            mark = "✓" if v["passed"] else "?" if v.get("details", {}).get("not_checkable") else \
                "✗" if v.get("required", True) else "·"
            print(f"{mark} {v['verifier']} ({v['score']:.2f}): {v['message']}")
        print(f"status: {status}")
    return {"passed": EXIT_OK, "not checkable": EXIT_NOT_CHECKABLE}.get(status, EXIT_UNVERIFIED)


def cmd_examples(args) -> int:
    """What each kind's rule understands, in the rule's own words (the registry only: no native library)."""
    import textwrap

    from .errors import IvluError
    from .tools import REGISTRY

    kinds = {k.name: k for k in REGISTRY}
    if args.kind is not None and args.kind.lower() not in kinds:
        raise IvluError(f"Unknown kind {args.kind!r}.", "one of " + ", ".join(kinds),
                        "run `ivlu examples` to list every kind, or name one of those")
    for kind in [kinds[args.kind.lower()]] if args.kind else kinds.values():
        what = next(iter((kind.spec.__doc__ or "").strip().splitlines()), "")
        print(f"{kind.name}: {what}" if what else kind.name)
        words = kind.rule.examples if kind.rule is not None else (
            "no request words of its own: the model planner writes these steps (--engine internvlu)")
        print(textwrap.fill(words, width=100, initial_indent="    ", subsequent_indent="    ",
                            break_on_hyphens=False))
    return EXIT_OK


def cmd_versions(args) -> int:
    """history, show, undo, branch and diff: read or move a thread's versions (its checkpoints)."""
    from .agent import Agent

    with Agent(home=args.home) as agent:
        if args.command == "history":
            found = agent.history(args.thread)
            if args.json:
                print(json.dumps([v.model_dump(mode="json") for v in found], indent=2, ensure_ascii=False))
            for v in [] if args.json else found:
                print(f"{v.number}  {v.status:10s} {v.request}")
                for line in v.describe:
                    print(f"      {line}")
            return EXIT_OK
        if args.command == "show":
            result = agent.show(args.thread, args.version, out=args.out)
            if args.json:
                print(json.dumps(result.to_json_dict(), indent=2, ensure_ascii=False))
            else:
                _summary(result)
            return result.exit_code
        if args.command == "diff":
            print("\n".join(agent.diff(args.thread, args.a, args.b)))
            return EXIT_OK
        if args.command == "undo":
            v = agent.undo(args.thread)
            print(f"thread {v.thread_id} is back at version {v.number}: {v.request}")
        else:
            v = agent.branch(args.thread, args.version, args.to)
            print(f"thread {v.thread_id} starts at version {v.number} of {args.thread}: {v.request}")
    return EXIT_OK


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")
