"""Verify rendered text by reading it back: tesseract for clean Latin text, RapidOCR for CJK, math
symbols and small text, each as a second opinion for the other on Latin text.

A run passes only if every requested string (heading, subheading, each body paragraph) is read
back exactly, after folding what OCR cannot tell apart: Unicode compatibility forms (NFKC: ₂ → 2,
full-width punctuation), dash and quote variants, and whitespace (RapidOCR drops spaces).
Word accuracy and normalised edit distance are reported CVTG-2k style: words are whitespace tokens,
and every CJK character is a word.
"""

from __future__ import annotations

from ..common.readback import check_ocr, verify_text_image
from .spec import TextSpec


def check_fit(s: TextSpec, image_path: str, meta: dict) -> dict:
    """Every line lies inside the canvas at a readable size, and no ink touches an unframed edge."""
    import numpy as np
    from PIL import Image

    with Image.open(image_path) as im:
        gray = np.asarray(im.convert("L"))
    h, w = gray.shape
    problems = []
    for line in meta.get("lines", []):
        x0, y0, x1, y1 = line["box"]
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
            problems.append(f"the line {line['text'][:40]!r} runs off the canvas")
        if line["px"] < s.min_font_size:
            problems.append(f"the line {line['text'][:40]!r} is {line['px']} px, under {s.min_font_size} px")
    if s.layout == "poster":
        edge = np.concatenate([gray[:3].ravel(), gray[-3:].ravel(), gray[:, :3].ravel(),
                               gray[:, -3:].ravel()])
        if (edge < 128).any():
            problems.append("ink touches the edge of the canvas (clipped text)")
    ok = not problems
    return {"verifier": "text.fit", "passed": ok, "score": 1.0 if ok else 0.0,
            "checked": f"all {len(meta.get('lines', []))} lines fit the {w} × {h} canvas at "
                       f"≥ {s.min_font_size} px",
            "message": (f"{len(meta.get('lines', []))} line(s) fit the canvas." if ok else
                        "Text does not fit: " + "; ".join(problems[:4]) + "."),
            "details": {"px": meta.get("px", {}), "width": w, "height": h}}


def verify_text(spec: dict, files: dict[str, str], meta: dict | None = None) -> list[dict]:
    """All checks for a rendered TextSpec. `files` maps artifact names to absolute paths."""
    s = TextSpec.model_validate(spec)
    meta = meta or {}
    if "main.png" not in files:
        return [{"verifier": "text.ocr", "passed": False, "checked": "the image exists",
                 "message": "No image was rendered."}]
    smallest = min(meta["px"].values()) if meta.get("px") else None
    verdicts = []
    if meta.get("lines"):
        verdicts.append(check_fit(s, files["main.png"], meta))
    verdicts.append(check_ocr(s.strings(), files["main.png"], smallest))
    return verdicts


def check_pixels(spec: dict, image_path: str) -> list[dict]:
    """The check any image of this text faces (a head's drawing too): OCR reads every string back."""
    strings = [spec[k] for k in ("heading", "subheading", "body") if spec.get(k)]
    return verify_text_image(image_path, strings) if strings else []
