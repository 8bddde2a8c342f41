"""Drawing and checking by the model's head, shared by the kinds it draws (generate, edit).

These run in the agent process and reach the model only through the engine they are given (the one
door to the model): `engine.generate/edit` draw, `judge` answers rubric questions. Every check that
reads pixels (OSRA, OCR, view matching) runs in the isolated worker pool through `call`.

- Exact checks: the fallback kind's pixel check on the head's image (OSRA for molecules and reaction
  components, view matching for CAD, OCR for equations, text, plot labels and diagram node labels),
  and OCR (tesseract) of every word the step says must be legible.
- The judge: the model answers each rubric question yes or no (schema-guided, with a rationale);
  the score is the weighted share of yes, GenExam style.
- Gating: the judge decides the step only when no exact check applies (open imagery). Next to an
  exact check it is advisory (its verdict passes, its score and answers are recorded), so a judge
  that guesses can neither fail a verified render nor pass an unverified one.

Every verdict carries `details["image"]`, the store path of the image, which refinement may edit.
"""

from __future__ import annotations

import difflib
import re
import time
from pathlib import Path
from typing import Any, Callable

from ...errors import IvluError
from ...store import ArtifactStore
from ..base import KINDS
from .neural import NeuralSpec

CHECK_WORDS = "ivlu_agent.tools.common.head:check_words"


def output(image) -> dict:
    """A renderer's output for one image the head drew (an engine's HeadImage)."""
    return {"files": [{"name": "main.png", "mime": "image/png", "data": image.png}], "meta": image.meta}


def retouch(s: NeuralSpec, engine: Any, store: ArtifactStore):
    """A refinement's local correction: edit the earlier output `s.retouch` as `s.retouch_instruction` says
    (a HeadImage), or None when the spec asks for none."""
    if not s.retouch:
        return None
    return engine.edit(store.path(s.retouch), s.retouch_instruction, width=s.width, height=s.height,
                       steps=s.steps, seed=s.seed)


def verify_neural(s: NeuralSpec, files: dict[str, str], fallback: dict | None, *, judge: Callable,
                  call: Callable, store: ArtifactStore) -> list[dict]:
    """Every check of a head-drawn image: the fallback kind's pixel check, OCR of the words, then the judge."""
    image = files["main.png"]
    exact = []
    if fallback is not None:
        exact += pixel_checks(fallback, image, call)
    if s.text:
        exact.append(call(CHECK_WORDS, image, list(s.text)))
    verdicts = exact + [judge_verdict(s, image, judge, gating=not exact)]
    rel = _store_relative(image, store)
    for v in verdicts:
        v.setdefault("details", {})["image"] = rel
    return verdicts


def pixel_checks(fallback: dict, image: str, call: Callable) -> list[dict]:
    """The exact kind's checks that read pixels alone (no renderer metadata); [] for kinds without one.
    Bad input inside a check (a formula SymPy cannot parse…) becomes a failed verdict."""
    check = KINDS[fallback["kind"]].pixel_check
    if not check:
        return []
    try:
        return call(check, fallback, image)
    except IvluError as e:
        return [{"verifier": f"{fallback['kind']}.pixels", "passed": False, "score": 0.0,
                 "checked": f"the {fallback['kind']} check could read the image", "message": e.problem}]


def check_words(image: str, words: list[str]) -> dict:
    """Every word is legible (tesseract); close misreadings are reported as misspellings to correct.
    Runs in a worker."""
    from .ocr import read_text

    read = [re.sub(r"[^\w'-]", "", w["text"]) for w in read_text(image)]
    read = [w for w in read if w]
    lowered = [w.lower() for w in read]
    found, missing, misread = [], [], {}
    for word in words:
        if word.lower() in lowered or word.lower() in " ".join(lowered):
            found.append(word)
            continue
        close = difflib.get_close_matches(word.lower(), lowered, n=1, cutoff=0.6)
        if close:
            misread[read[lowered.index(close[0])]] = word
        else:
            missing.append(word)
    ok = not missing and not misread
    problems = [f"'{w}' reads as '{r}'" for r, w in misread.items()] + [f"'{w}' is not legible" for w in missing]
    return {"verifier": "text.ocr", "passed": ok, "score": round(len(found) / len(words), 4),
            "checked": f"OCR finds the words {', '.join(words)}",
            "message": "Every word is legible." if ok else "; ".join(problems) + ".",
            "details": {"read": read[:50], "missing": missing, "misread": misread}}


def judge_verdict(s: NeuralSpec, image: str, judge: Callable, gating: bool) -> dict:
    """The rubric answered by the model (`judge(image, questions)`); weighted share of yes. Gating only for
    open imagery."""
    from ...prompts import fill, neural_prompts

    points = [(p.question, p.weight) for p in s.rubric]
    if not points:
        default = neural_prompts()["rubric"]["default"][0]
        points = [(fill(default["question"], {"caption": s.caption()})[:200], 1.0)]
    started = time.perf_counter()
    answers = [a.model_dump() for a in judge(image, [q for q, _ in points])]
    seconds = time.perf_counter() - started
    total = sum(w for _, w in points) or float(len(points))
    weights = [w if sum(w for _, w in points) else 1.0 for _, w in points]
    score = sum(w for (a, w) in zip(answers, weights) if a["answer"] == "yes") / total
    for a, w in zip(answers, weights):
        a["weight"] = round(w / total, 4)
    met = sum(a["answer"] == "yes" for a in answers)
    summary = f"{met}/{len(answers)} rubric points met (score {score:.2f}, needs {s.pass_score:.2f})"
    missed = "; ".join(f"no: {a['question']}" for a in answers if a["answer"] == "no")
    if gating:
        passed = score >= s.pass_score
        message = summary + ("." if passed else f". {missed}.")
    else:
        passed = True
        message = f"advisory, exact checks decide: {summary}" + (f". {missed}." if missed else ".")
    return {"verifier": "judge.rubric", "passed": passed, "score": round(score, 4),
            "checked": "the model answers the rubric's yes/no questions about the image",
            "message": message,
            "details": {"answers": answers, "gating": gating, "seconds": round(seconds, 3)}}


def _store_relative(path: str, store: ArtifactStore) -> str:
    try:
        return Path(path).resolve().relative_to(store.root).as_posix()
    except ValueError:
        return ""
