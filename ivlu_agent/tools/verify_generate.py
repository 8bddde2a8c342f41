"""Verify the head's pixels: exact raster checks where the step's content has them, then the judge.

- Exact checks: the fallback kind's raster verifier on the head's image (OSRA for molecules and
  reaction components, view matching for CAD, OCR for equations, text, plot labels and diagram node
  labels) and OCR (tesseract) of every word the step says must be legible.
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
from pathlib import Path

from ..specs.generate import GenerateSpec, NeuralSpec


def verify_generate(spec: dict, files: dict[str, str], meta: dict, context: dict) -> list[dict]:
    """All checks of a rendered generate step (runs in the model worker: the judge needs the model)."""
    return verify_neural(GenerateSpec.model_validate(spec), files, context)


def verify_neural(s: NeuralSpec, files: dict[str, str], context: dict) -> list[dict]:
    image = files["main.png"]
    exact = []
    fallback = s.fallback_spec() if isinstance(s, GenerateSpec) else None
    if fallback is not None:
        exact += raster_checks(fallback.model_dump(mode="json"), image)
    if s.text:
        exact.append(check_words(image, s.text))
    verdicts = exact + [judge_verdict(s, image, context, gating=not exact)]
    rel = _store_relative(image, context)
    for v in verdicts:
        v.setdefault("details", {})["image"] = rel
    return verdicts


def raster_checks(fallback: dict, image: str) -> list[dict]:
    """The exact kind's checks that read pixels alone (no renderer metadata); [] for kinds without one.
    Bad input inside a check (a formula SymPy cannot parse…) becomes a failed verdict."""
    from ..errors import IvluError

    check = PIXEL_CHECKS.get(fallback["kind"])
    if check is None:
        return []
    try:
        return check(fallback, image)
    except IvluError as e:
        return [{"verifier": f"{fallback['kind']}.pixels", "passed": False, "score": 0.0,
                 "checked": f"the {fallback['kind']} check could read the image", "message": e.problem}]


def _molecule(f: dict, image: str) -> list[dict]:
    from .verify_molecule import verify_molecule_image

    return verify_molecule_image(image, f["smiles"])


def _reaction(f: dict, image: str) -> list[dict]:
    from .read_osra import inchikey, read_structures

    read = read_structures(image)
    keys = {inchikey(r) for r in read}
    parts = f["reactants"] + f["products"]
    found = [c for c in parts if inchikey(c["smiles"]) in keys]
    ok = len(found) == len(parts)
    return [{"verifier": "reaction.osra", "passed": ok, "score": round(len(found) / len(parts), 4),
             "checked": "OSRA reads every reactant and product back (InChIKeys)",
             "message": (f"OSRA reads all {len(parts)} structures." if ok else
                         f"OSRA reads {len(found)} of {len(parts)} structures (it read {len(read)})."),
             "details": {"read": read}}]


def _equation(f: dict, image: str) -> list[dict]:
    from .verify_equation import verify_equation_image

    return verify_equation_image(image, f["latex"])


def _text(f: dict, image: str) -> list[dict]:
    from .verify_text import verify_text_image

    strings = [f[k] for k in ("heading", "subheading", "body") if f.get(k)]
    return verify_text_image(image, strings) if strings else []


def _cad(f: dict, image: str) -> list[dict]:
    from .verify_cad import verify_cad_image

    return verify_cad_image(image, f, {"name": "iso"})  # the native prompt asks for the isometric view


def _plot(f: dict, image: str) -> list[dict]:
    from .verify_plot import verify_plot_image

    return verify_plot_image(image, f)


def _diagram(f: dict, image: str) -> list[dict]:
    from .verify_diagram import verify_diagram_image

    return verify_diagram_image(image, f)


# Pixel-only checks by the fallback's kind: the same verifiers the exact renderers' output faces.
PIXEL_CHECKS = {"molecule": _molecule, "reaction": _reaction, "equation": _equation, "text": _text, "cad": _cad,
                "plot": _plot, "diagram": _diagram}


def check_words(image: str, words: list[str]) -> dict:
    """Every word is legible (tesseract); close misreadings are reported as misspellings to correct."""
    from .read_text import read_text

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


def judge_verdict(s: NeuralSpec, image: str, context: dict, gating: bool) -> dict:
    """The rubric answered by the model; weighted share of yes. Gating only for open imagery."""
    from ..model.internvlu_engine import head_judge
    from ..prompts import fill, neural_prompts

    points = [(p.question, p.weight) for p in s.rubric]
    if not points:
        default = neural_prompts()["rubric"]["default"][0]
        points = [(fill(default["question"], {"caption": s.caption()})[:200], 1.0)]
    answers, seconds = head_judge(context, image, [q for q, _ in points])
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


def _store_relative(path: str, context: dict) -> str:
    try:
        return Path(path).resolve().relative_to(Path(context["store_root"]).resolve()).as_posix()
    except (ValueError, KeyError):
        return ""
