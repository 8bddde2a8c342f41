"""The `ivlu` command line. Heavy modules load inside the commands, so `ivlu --help` is instant."""

from __future__ import annotations

import argparse
import json
import os
import sys

EXIT_OK, EXIT_UNVERIFIED, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_NOT_CHECKABLE = 4  # `ivlu verify`: nothing in the image could be read, which is not a finding that it is wrong


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
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser(argv).parse_args(argv)
    from .errors import IvluError

    try:
        if args.command == "verify":
            return cmd_verify(args)
        if args.command == "examples":
            return cmd_examples(args)
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
               dtype=getattr(args, "dtype", None), strict=getattr(args, "strict", False)) as agent:
        if args.command == "resume":
            result = agent.resume(args.thread, out=args.out)
        else:
            result = _run_with_progress(agent, args)
    if args.json:
        print(json.dumps(result.to_json_dict(), indent=2, ensure_ascii=False))
    else:
        _summary(result)
    return result.exit_code


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


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")
