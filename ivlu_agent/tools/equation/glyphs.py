"""OCR read-back of an equation image: the glyphs the LaTeX draws must be the glyphs the image shows.

The spec's LaTeX is laid out again (`render.layout`) to learn where each glyph should be; the image
is cut at those places, every glyph is set at one size on one baseline, and tesseract reads that
strip. Letters, digits and operators must all be read back; glyphs tesseract has no alphabet for
(π, ±, √, ∫, Greek) are compared by shape against the reference layout. `check_glyphs` gives the
`equation.glyphs` verdict.
"""

from __future__ import annotations

import string
import tempfile
from pathlib import Path

from ..common.images import open_image
from ..common.ocr import read_text
from .spec import DPI, EquationSpec

# -- raster: the glyphs carry the meaning -------------------------------------------------------------

MARKS = string.digits + "+-=()<>/.,!'[]|"
OCR_ALPHABET = string.ascii_letters + MARKS
# What tesseract reads for a glyph, folded to one class: look-alike cases and strokes.
_FOLD = str.maketrans({"−": "-", "–": "-", "—": "-", "X": "x", "C": "c", "O": "o", "0": "o", "S": "s",
                       "V": "v", "W": "w", "Z": "z", "P": "p", "U": "u", "K": "k", "l": "1", "I": "1",
                       "|": "1", "[": "(", "]": ")", "'": ""})
# Strip settings (pixels per em, gap in ems) read in turn until one reads the formula exactly:
# tesseract's errors on isolated glyphs are noisy, a defect reads wrong in every setting.
STRIP_VARIANTS = [(40, 0.1), (32, 0.06), (24, 0.1), (28, 0.03), (48, 0.08)]
SLOT_ASCENT, SLOT_DESCENT = 0.75, 0.22  # each glyph's slot: this much of an em above and below its baseline


def fold(text: str) -> str:
    return "".join(text.split()).translate(_FOLD)


def _ink_box(gray) -> tuple[int, int, int, int] | None:
    import numpy as np

    rows = np.where((gray < 128).any(axis=1))[0]
    cols = np.where((gray < 128).any(axis=0))[0]
    if not len(rows):
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _correlation(a, b) -> float:
    import numpy as np

    a, b = a.astype(float).ravel(), b.astype(float).ravel()
    a, b = a - a.mean(), b - b.mean()
    denom = (np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denom) if denom else 0.0


def slot(g: dict) -> tuple[float, float, float, float]:
    """Where a glyph's character sits: its ink box widened to a full line height around its baseline,
    so a '+' drawn where a '−' belongs is seen whole."""
    em = g["size"] * DPI / 72
    x0, y0, x1, y1 = g["box"]
    top, bottom = g["baseline"] - SLOT_ASCENT * em, g["baseline"] + SLOT_DESCENT * em
    return x0 - 1, min(y0 - 1, top), x1 + 1, max(y1 + 1, bottom)


def glyph_strip(gray, owner, glyphs: list[dict], mapping, em_px: int, gap_em: float):
    """Cut each glyph's slot out of the image and set them in a row at one size (a PIL image).

    `owner` says which reference glyph inks each pixel (in image coordinates); ink another glyph
    or a bar owns is whitened out of a slot, so an italic f's slot does not show part of the next
    '('. Ink nobody owns stays: that is where a wrong glyph shows."""
    from PIL import Image

    pieces = []
    for g in glyphs:
        x0, y0, x1, y1 = (round(v) for v in mapping(slot(g)))
        x0, y0 = max(0, x0), max(0, y0)
        crop = gray[y0:y1, x0:x1].copy()
        others = owner[y0:y1, x0:x1]
        crop[(others != -1) & (others != g["index"])] = 255
        piece = Image.fromarray(crop)
        scale = em_px / (g["size"] * DPI / 72) * (slot(g)[2] - slot(g)[0]) / max(1, piece.width)
        w, h = max(1, round(piece.width * scale)), max(1, round(piece.height * scale))
        rise = (g["baseline"] - slot(g)[1]) * em_px / (g["size"] * DPI / 72)
        pieces.append((piece.resize((w, h), Image.LANCZOS), rise))
    gap = max(1, round(em_px * gap_em))
    pad = em_px // 4
    ascent = max(r for _, r in pieces)
    descent = max(p.height - r for p, r in pieces)
    strip = Image.new("L", (sum(p.width for p, _ in pieces) + gap * (len(pieces) - 1) + 2 * pad,
                            round(ascent + descent) + 2 * pad), 255)
    x = pad
    for piece, rise in pieces:
        strip.paste(piece, (x, round(pad + ascent - rise)))
        x += piece.width + gap
    return strip


def owner_in_image(reference: dict, shape: tuple[int, int], inverse) -> object:
    """The reference's glyph-ownership map resampled onto the image (nearest pixel), grown by one
    pixel so anti-aliased fringes go with their glyph."""
    import numpy as np

    h, w = shape
    xs, ys = inverse(np.arange(w), np.arange(h))
    ref = reference["owner"]
    xi = np.clip(np.round(xs).astype(int), 0, ref.shape[1] - 1)
    yi = np.clip(np.round(ys).astype(int), 0, ref.shape[0] - 1)
    inside = ((xs >= 0) & (xs < ref.shape[1]))[None, :] & ((ys >= 0) & (ys < ref.shape[0]))[:, None]
    mapped = np.where(inside, ref[yi[:, None], xi[None, :]], -1)
    grown = mapped.copy()
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        shifted = np.roll(mapped, (dy, dx), axis=(0, 1))
        grown = np.where((grown == -1) & (shifted != -1), shifted, grown)
    return grown


def _read_strips(gray, owner, glyphs: list[dict], mapping, whitelist: str, variants,
                 tmp: Path) -> tuple[bool, list[str]]:
    """Read the glyphs' strip in each setting until one read is exact: (exact, the reads made)."""
    expected = fold("".join(g["char"] for g in glyphs))
    reads = []
    for n, (em_px, gap_em) in enumerate(variants, start=1):
        path = tmp / f"strip-{len(whitelist)}-{n}.png"
        glyph_strip(gray, owner, glyphs, mapping, em_px, gap_em).save(path)
        reads.append("".join(w["text"] for w in read_text(path, "tesseract", psm=7, whitelist=whitelist)))
        if fold(reads[-1]) == expected:
            return True, reads
    return False, reads


def _sign_differs(expected: str, read: str) -> bool:
    """A read that differs from the expected glyphs in a sign or relation (+ − = < >)."""
    import difflib

    a, b = fold(expected), fold(read)
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return any(set(a[i1:i2] + b[j1:j2]) & set("+-=<>") for op, i1, i2, j1, j2 in ops if op != "equal")


def check_glyphs(s: EquationSpec, image_path: str, strict_shapes: bool = True) -> dict:
    """OCR reads back every letter, digit and operator the LaTeX draws; other glyphs match by shape.

    The whole row is read first. If no setting reads it exactly, and the misreads are not about
    signs (most reads show a + − = < > that should not be there, or miss one), letters and the rest
    (digits, operators) are read as two rows, each with only its own alphabet allowed: tesseract
    then cannot take an italic z for a 2 among digits, and a wrong digit still reads wrong.
    `strict_shapes` False (another renderer's image) compares shapes only at this renderer's scale."""
    import numpy as np
    from PIL import Image

    from .render import layout

    gray = np.asarray(open_image(image_path, "L"))
    reference = layout(s.latex, s.font_size)
    ref_gray = 255 - reference["ink"]
    got, want = _ink_box(gray), _ink_box(ref_gray)
    base = {"verifier": "equation.glyphs", "checked": "OCR of the image reads the formula's letters, digits "
                                                      "and operators; other symbols match by shape"}
    if got is None or want is None:
        return {**base, "passed": False, "score": 0.0, "message": "The image is blank: no formula is drawn."}
    sx = (got[2] - got[0]) / max(1, want[2] - want[0])
    sy = (got[3] - got[1]) / max(1, want[3] - want[1])

    def mapping(box):
        return (got[0] + (box[0] - want[0]) * sx, got[1] + (box[1] - want[1]) * sy,
                got[0] + (box[2] - want[0]) * sx, got[1] + (box[3] - want[1]) * sy)

    def inverse(xs, ys):
        return (xs - got[0]) / sx + want[0], (ys - got[1]) / sy + want[1]

    glyphs = [dict(g, index=i) for i, g in enumerate(reference["glyphs"])]
    readable = [g for g in glyphs if g["char"].translate(_FOLD) in OCR_ALPHABET or g["char"] == "−"]
    shapes = [g for g in glyphs if g not in readable]
    expected = "".join(g["char"] for g in readable)
    owner = owner_in_image(reference, gray.shape, inverse)
    exact, reads, split = not readable, [], False
    with tempfile.TemporaryDirectory() as tmp:
        if readable:
            exact, reads = _read_strips(gray, owner, readable, mapping, OCR_ALPHABET, STRIP_VARIANTS,
                                        Path(tmp))
        signs_doubtful = sum(_sign_differs(expected, r) for r in reads) * 2 >= len(reads)
        if not exact and not signs_doubtful:
            letters = [g for g in readable if g["char"].isalpha()]
            marks = [g for g in readable if not g["char"].isalpha()]
            parts = [_read_strips(gray, owner, group, mapping, alphabet, STRIP_VARIANTS[:3], Path(tmp))
                     for group, alphabet in ((letters, string.ascii_letters), (marks, MARKS)) if group]
            split = exact = all(ok for ok, _ in parts)
            reads_apart = sum(len(r) for _, r in parts)
        else:
            reads_apart = 0
    read = reads[-1] if exact and not split else (reads[0] if reads else "")
    shape_scores = []
    for g in shapes:
        x0, y0, x1, y1 = [round(v) for v in g["box"]]
        ref = Image.fromarray(ref_gray[max(0, y0 - 1):y1 + 2, max(0, x0 - 1):x1 + 2])
        m = [round(v) for v in mapping(g["box"])]
        crop = Image.fromarray(gray).crop((m[0] - 1, m[1] - 1, m[2] + 2, m[3] + 2)).resize(ref.size)
        shape_scores.append((g["char"], _correlation(np.asarray(ref), np.asarray(crop))))
    # Shapes are compared only at this renderer's own scale; another renderer's fonts draw π or ± otherwise.
    same_geometry = strict_shapes or (abs(sx - 1) < 0.05 and abs(sy - 1) < 0.05)
    bad_shapes = [c for c, score in shape_scores if score < 0.8] if same_geometry else []
    import difflib

    want_f, read_f = fold(expected), fold(read)
    ratio = difflib.SequenceMatcher(None, want_f, read_f, autojunk=False).ratio() if want_f else 1.0
    ok = exact and not bad_shapes
    problems = []
    if not exact:
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, want_f, read_f, autojunk=False).get_opcodes():
            if op != "equal":
                want_part, read_part = want_f[i1:i2], read_f[j1:j2]
                problems.append(f"'{want_part}' read as '{read_part}'" if op == "replace" else
                                f"'{want_part}' not read" if op == "delete" else f"extra '{read_part}'")
    if bad_shapes:
        problems.append("symbol(s) " + " ".join(bad_shapes) + " do not match their shape")
    shape_part = ((f" and {len(shapes)} symbol(s) by shape" if same_geometry else
                   f"; {len(shapes)} symbol(s) not compared by shape (another renderer's geometry)")
                  if shapes else "")
    return {
        **base, "passed": ok, "score": round((1.0 if exact else ratio) * (1.0 if not bad_shapes else 0.5), 4),
        "message": (f"OCR read all {len(expected)} letters, digits and operators"
                    + (" (letters and digits read apart)" if split else "") + f"{shape_part}." if ok else
                    "The image does not show the formula's glyphs: " + "; ".join(problems[:6])
                    + "."),
        "details": {"expected": expected, "read": read, "reads": len(reads) + reads_apart,
                    "read_apart": split,
                    "shapes": {c: round(v, 3) for c, v in shape_scores},
                    "scale": [round(sx, 3), round(sy, 3)]},
    }
