"""Write a run's outputs: figure.png/svg, panels/, report.md and result.json."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from .errors import IvluError
from .store import ArtifactStore
from .types import RunResult


def check_writable(out: Path) -> None:
    """Fail before any work if `out` cannot be created and written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".ivlu-probe-"):
            pass
    except OSError as e:
        raise IvluError(f"Cannot write to {out} ({e.strerror or e}).", "a folder you can create and write to",
                        "choose another --out folder or fix its permissions") from None


MANIFEST = ".ivlu-manifest.json"  # the files the last write put in the folder, relative to it


def write_outputs(result: RunResult, store: ArtifactStore, out: Path) -> Path:
    """Write the result's files into `out`, leaving it holding exactly them: files an earlier write put there
    (listed in its manifest) and this one does not are removed; files it never wrote are never touched."""
    check_writable(out)
    written: list[Path] = []

    def copy(ref, to: Path) -> None:
        to.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(store.path(ref), to)
        written.append(to)

    if result.figure:
        copy(result.figure, out / "figure.png")
    if result.figure_svg:
        copy(result.figure_svg, out / "figure.svg")
    for step in result.steps:
        for a in step.artifacts:
            copy(a, out / "panels" / f"{step.id}-{a.name}")
        for image in _attempt_images(step):  # every attempt's picture, for the report's attempt table
            copy(image[1], out / "panels" / image[0])
    (out / "panels").mkdir(exist_ok=True)
    (out / "result.json").write_text(json.dumps(result.to_json_dict(), indent=2, ensure_ascii=False))
    (out / "report.md").write_text(render_report(result))
    written += [out / "result.json", out / "report.md"]
    _replace_manifest(out, sorted({p.relative_to(out).as_posix() for p in written}))
    return out


def _replace_manifest(out: Path, names: list[str]) -> None:
    """Remove what the previous manifest lists and `names` does not, then record `names`."""
    manifest = out / MANIFEST
    try:
        before = json.loads(manifest.read_text())
    except (OSError, ValueError):
        before = []  # no manifest (a folder never written, or by an older version): nothing is known to be ours
    root = out.resolve()
    for name in {str(n) for n in before} - set(names) if isinstance(before, list) else ():
        path = (out / name).resolve()
        if path.parent.is_relative_to(root) and path.is_file():  # never outside the folder, never a folder
            path.unlink()
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(json.dumps(names, indent=1))
    tmp.replace(manifest)


def _attempt_images(step) -> list[tuple[str, object, int]]:
    """(file name, main.png ref, attempt number) of each attempt, when a step took more than one."""
    if len(step.attempts) < 2:
        return []
    return [(f"{step.id}-attempt{a.number}.png", ref, a.number)
            for a in step.attempts for ref in a.artifacts if ref.name == "main.png"]


def render_report(result: RunResult) -> str:
    lines = [f"# {result.request}", "",
             f"**Status:** {result.status} · thread `{result.thread_id}`", ""]
    if result.figure:
        lines += ["![figure](figure.png)", ""]
    if result.steps:  # the read-back: what each step was asked to draw
        lines += ["## What was understood", "", *[f"- **{s.id}** ({s.kind}): {s.describe}" for s in result.steps], ""]
    lines += ["## Plan", ""] + ([f"**Planner:** {result.planner}", ""] if result.planner else [])
    if result.faithful is not None:
        mark = "✅" if result.faithful.passed else "❌"
        lines += [f"**Faithfulness:** {mark} {result.faithful.message}", ""]
    if result.notes:
        lines += ["**Notes** (conventions used, things understood but not acted on):", "",
                  *[f"- {n}" for n in result.notes], ""]
    lines += [result.reasoning or "(no reasoning given)", ""]
    for step in result.steps:
        lines += [f"## Step {step.id}: {step.title} ({step.kind}) — {step.status}", "",
                  "```json", json.dumps(step.spec, indent=2, ensure_ascii=False), "```", ""]
        if step.fallback:
            lines += [f"> **Fallback:** {step.fallback}", ""]
        if any(a.name == "main.png" for a in step.artifacts):
            lines += [f"![{step.id}](panels/{step.id}-main.png)", ""]
        others = [a.name for a in step.artifacts if not a.name.startswith("main.")]
        if others:  # per-view images, STEP and STL files…
            lines += ["Files: " + ", ".join(f"[{n}](panels/{step.id}-{n})" for n in others), ""]
        lines += ["| attempt | change | render s | verify s | verdicts |", "|---|---|---|---|---|"]
        shots = {n: name for name, _, n in _attempt_images(step)}
        for a in step.attempts:
            verdicts = "<br>".join(f"{'✅' if v.passed else '❌' if v.required else 'ℹ️'} {v.verifier} "
                                   f"({v.score:.2f}){'' if v.required else ' (reported, not required)'}: {v.message}"
                                   for v in a.verdicts)
            label = f"{a.number} ({a.spec.get('kind', step.kind)})" + (
                f" [image](panels/{shots[a.number]})" if a.number in shots else "")
            lines.append(f"| {label} | {a.change or '—'} | {a.render_s:.2f} | {a.verify_s:.2f} | "
                         f"{verdicts.replace('|', '/')} |")
        lines.append("")
    lines += ["## Timings", "", *[f"- {k}: {v:.3f} s" for k, v in result.timings.items()], ""]
    return "\n".join(lines)
