"""Verify a reaction scheme: every component is the named compound, and each structure's box in the PNG
passes the depiction certificate against the layout embedded in the PNG; OSRA's reading is reported."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..common.certificate import certify
from ..common.chem import check_identity
from ..common.layout import extract
from ..common.osra import match_structure
from .spec import ReactionSpec


def verify_reaction(spec: dict, files: dict[str, str], meta: dict | None = None) -> list[dict]:
    """Identity of every component, then an OSRA read of each structure's box in the PNG."""
    from PIL import Image

    s = ReactionSpec.model_validate(spec)
    verdicts = []
    for c in [*s.reactants, *s.products]:
        v = check_identity(c.smiles, c.name, c.inchikey)
        v["verifier"] = "reaction.identity"
        verdicts.append(v)
    boxes = (meta or {}).get("boxes", [])
    if "main.png" not in files:
        return verdicts
    scheme = extract(files["main.png"], "reaction") or {}
    layouts = {tuple(s["box"]): s["layout"] for s in scheme.get("structures", [])}
    with Image.open(files["main.png"]) as image, tempfile.TemporaryDirectory() as tmp:
        certified, read_ok, problems, messages = 0, 0, [], []
        for i, b in enumerate(boxes):
            crop = Path(tmp) / f"c{i}.png"
            image.crop(tuple(b["box"])).save(crop)
            name = b["name"] or b["smiles"]
            layout = layouts.get(tuple(b["box"]))
            v = certify(str(crop), layout, b["smiles"], "reaction.depiction") if layout else None
            certified += bool(v and v["passed"])
            if not (v and v["passed"]):
                problems.append(f"{name}: {v['message'] if v else 'no layout is embedded for it'}")
            v = match_structure(crop, b["smiles"], "reaction.osra")
            read_ok += v["passed"]
            if not v["passed"]:
                messages.append(f"{name}: {v['message']}")
    n = max(1, len(boxes))
    verdicts.append({
        "verifier": "reaction.depiction", "passed": certified == len(boxes) and bool(boxes),
        "score": round(certified / n, 4),
        "checked": "each structure's box against its embedded layout (the depiction certificate: every bond "
                   "stroke and atom label where the layout puts it, no stray ink)",
        "message": (f"All {len(boxes)} structures match their layouts." if certified == len(boxes)
                    else " ".join(problems)),
    })
    texts = [(role, t) for role, t in (("over the arrow", s.conditions), ("under the arrow", s.below)) if t]
    arrow = (meta or {}).get("arrow")
    if texts and arrow:
        verdicts.append(check_conditions(files["main.png"], arrow, texts))
    verdicts.append({
        "verifier": "reaction.osra", "passed": read_ok == len(boxes) and bool(boxes), "score": round(read_ok / n, 4),
        "checked": "OSRA read each structure of the scheme back and compared InChIKeys",
        "message": "Second reader: " + (f"OSRA reads all {len(boxes)} structures as requested."
                                        if read_ok == len(boxes) else " ".join(messages)),
        "required": False,
    })
    return verdicts


def check_conditions(png: str, arrow: list[int], texts: list[tuple[str, str]]) -> dict:
    """The conditions read back by OCR around the arrow (they may run wider than its cell). Formulas are
    compared with O and 0 as one letter: OCR reads 'H2SO4' as 'H2S04', and no condition differs by that."""
    from PIL import Image

    from ..common.readback import normalise, ocr

    def fold(text: str) -> str:
        return normalise(text).replace("0", "O").casefold()

    with Image.open(png) as image, tempfile.TemporaryDirectory() as tmp:
        x0, y0, x1, y1 = arrow
        crop = Path(tmp) / "arrow.png"
        image.crop((max(0, x0 - 160), max(0, y0), min(image.width, x1 + 160), min(image.height, y1))).save(crop)
        reads = {engine: fold(ocr(str(crop), engine, 10)) for engine in ("tesseract", "rapid")}
    missing = [(role, t) for role, t in texts if not any(fold(t) in r for r in reads.values())]
    ok = not missing
    return {"verifier": "reaction.conditions", "passed": ok, "score": 1.0 - len(missing) / len(texts),
            "checked": "the conditions over and under the arrow are read back by OCR (tesseract, RapidOCR)",
            "message": ("The conditions read back: " + "; ".join(f"{r}: {t!r}" for r, t in texts) + "." if ok else
                        "OCR did not read back " + "; ".join(f"{r}: {t!r}" for r, t in missing) + "."),
            "details": {"read": reads}}


def check_pixels(spec: dict, image_path: str) -> list[dict]:
    """The check any image of this scheme faces (a head's drawing too): OSRA reads every structure back."""
    from ..common.osra import inchikey, read_structures

    read = read_structures(image_path)
    keys = {inchikey(r) for r in read}
    parts = spec["reactants"] + spec["products"]
    found = [c for c in parts if inchikey(c["smiles"]) in keys]
    ok = len(found) == len(parts)
    return [{"verifier": "reaction.osra", "passed": ok, "score": round(len(found) / len(parts), 4),
             "checked": "OSRA reads every reactant and product back (InChIKeys)",
             "message": (f"OSRA reads all {len(parts)} structures." if ok else
                         f"OSRA reads {len(found)} of {len(parts)} structures (it read {len(read)})."),
             "details": {"read": read}}]
