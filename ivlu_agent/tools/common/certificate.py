"""The depiction certificate: a drawing of ours checked pixel by pixel against the layout it was drawn from.

OSRA reads a drawing blind and misses many that are right (most acyclic ones). For a drawing we made,
the layout (`layout.py`) says where every bond stroke and atom label must be, so the PNG is checked
directly:

- every bond stroke (each line of a double or triple bond, each wedge, each dash of a hash) is ink
  along its whole length;
- wedges are filled and point the right way; hashes are dashed, not solid;
- there is no ink, bond-like or otherwise, where the layout has nothing;
- every atom label (heteroatoms, charged atoms, drawn hydrogens) reads back by OCR at its atom.

Pale highlights and the grey legend and notes are not ink (`colors.INK_THRESHOLD`), so highlighted
and labelled drawings are checked the same way.
"""

from __future__ import annotations

from .colors import INK_THRESHOLD

COVERAGE = 0.85  # share of a stroke's length (or a wedge's area) that must be ink
DASH_GAPS = 0.2  # a hash's centre line must be at least this much white (else it was drawn solid)
STRAY_PX = 24  # unexplained ink blobs smaller than this are anti-aliasing at wedge tips, not marks (a bond is 60+)
LABEL_HEIGHT = 48  # labels are scaled to this height before OCR (tesseract reads small text poorly)
# Element symbols' letters and the digits of hydrogen counts: what an atom label's letters can be. Other
# digits are left out: tesseract reads a lone O as 0 or 6 otherwise. Charge signs are read by shape.
LABEL_CHARS = "ABCDEFGHIKLMNOPRSTUVWXYZabcdefghiklmnoprstuy234"


def _ink(path: str):
    """The ink mask (darkest channel at or below the threshold) and the darkest channel itself, in which
    coloured letters are as dark as black ones and white stays white."""
    import numpy as np

    from .images import open_image

    darkest = np.asarray(open_image(path, "RGB")).min(axis=2)
    return darkest <= INK_THRESHOLD, darkest


def _samples(x0: float, y0: float, x1: float, y1: float, step: float = 1.5):
    import numpy as np

    n = max(2, int(np.hypot(x1 - x0, y1 - y0) / step))
    t = np.linspace(0.0, 1.0, n)
    return x0 + t * (x1 - x0), y0 + t * (y1 - y0)


def _hits(near, xs, ys):
    """Which sample points have ink nearby (`near` is the dilated ink mask)."""
    import numpy as np

    h, w = near.shape
    xi, yi = np.clip(np.round(xs).astype(int), 0, w - 1), np.clip(np.round(ys).astype(int), 0, h - 1)
    return near[yi, xi]


def _polygon_mask(shape, polygons, outline: int = 0):
    import numpy as np
    from PIL import Image, ImageDraw

    canvas = Image.new("L", (shape[1], shape[0]), 0)
    pen = ImageDraw.Draw(canvas)
    for poly in polygons:
        pen.polygon([tuple(p) for p in poly], fill=255, outline=255, width=max(1, outline))
    return np.asarray(canvas) > 0


def check_bonds(ink, layout: dict) -> tuple[list[str], dict]:
    """Problems with the bond strokes, and counts of what was seen."""
    import numpy as np
    from scipy import ndimage

    lw = layout.get("line_width", 2)
    near = ndimage.binary_dilation(ink, iterations=max(2, lw))
    # RDKit paints each atom label on a white box over whatever bond ends under it, so the parts of strokes
    # inside label boxes are not expected to show.
    hidden = _polygon_mask(ink.shape, [[[x0, y0], [x1, y0], [x1, y1], [x0, y1]] for x0, y0, x1, y1 in
                                       (a["box"] for a in layout["atoms"] if a["box"])])

    def covered(line) -> float:
        xs, ys = _samples(*line)
        shown = ~_hits(hidden, xs, ys)
        return float(_hits(near, xs[shown], ys[shown]).mean()) if shown.any() else 1.0

    problems: list[str] = []
    seen = {"strokes": 0, "multiple": 0, "wedges": 0, "hashes": 0}
    atoms = layout["atoms"]
    for n, bond in enumerate(layout["bonds"]):
        name = f"bond {atoms[bond['a']]['symbol']}{bond['a'] + 1}–{atoms[bond['b']]['symbol']}{bond['b'] + 1}"
        if bond["stereo"] == "wedge" and bond["polygons"]:
            # The wedge's inner pixels: its anti-aliased rim is pale, and a thin wedge is mostly rim.
            inside = ndimage.binary_erosion(_polygon_mask(ink.shape, bond["polygons"])) & ~hidden
            share = float(ink[inside].mean()) if inside.sum() >= 10 else covered(
                [*bond["polygons"][0][0], *np.mean(bond["polygons"][0][1:], axis=0)])
            if share < COVERAGE:
                problems.append(f"the wedge of {name} is {share:.0%} filled where it should be solid "
                                "(missing, or pointing the other way)")
            seen["wedges"] += 1
            continue
        if not bond["lines"]:
            problems.append(f"{name} has no stroke in the layout")
            continue
        if bond["stereo"] == "hash":
            a, b = atoms[bond["a"]], atoms[bond["b"]]
            xs, ys = _samples(a["x"], a["y"], b["x"], b["y"])
            middle = slice(len(xs) // 4, 3 * len(xs) // 4)  # clear of the atoms' labels
            centre = _hits(ink, xs[middle], ys[middle])
            if 1.0 - float(centre.mean()) < DASH_GAPS:
                problems.append(f"the hashed {name} is drawn solid")
            seen["hashes"] += 1
        lines = bond["lines"]
        if bond["stereo"] == "hash":  # the dashes at the narrow end are a pixel or two long: too small to read
            lines = [ln for ln in lines if abs(ln[2] - ln[0]) + abs(ln[3] - ln[1]) >= 3 * lw]
        shares = [covered(line) for line in lines]
        if bond["stereo"] == "hash":
            # Dashes at fractional pixel positions are drawn pale, below the ink threshold: a hash fails
            # when most of its dashes are missing (an erased hash), not when some are faint.
            missing = sum(c < 0.5 for c in shares)
            if len(shares) >= 3 and missing > len(shares) // 2:  # one or two readable dashes prove nothing
                problems.append(f"{missing} of the {len(shares)} dashes of the hashed {name} are missing")
            continue
        short = [c for c in shares if c < COVERAGE]
        if short:
            what = "stroke" if len(shares) == 1 else f"{len(short)} of its {len(shares)} parallel strokes"
            problems.append(f"{name} (order {bond['order']}): {what} only {min(short):.0%} ink")
        seen["strokes"] += len(shares)
        seen["multiple"] += len(shares) > 1
    return problems, seen


def explained(shape, layout: dict):
    """Where the layout puts ink: every stroke (widened for anti-aliasing) and every label's box."""
    import numpy as np
    from PIL import Image, ImageDraw

    lw = layout.get("line_width", 2)
    canvas = Image.new("L", (shape[1], shape[0]), 0)
    pen = ImageDraw.Draw(canvas)
    for bond in layout["bonds"]:
        for x0, y0, x1, y1 in bond["lines"]:
            pen.line([(x0, y0), (x1, y1)], fill=255, width=lw + 6)
        for poly in bond["polygons"]:
            pen.polygon([tuple(p) for p in poly], fill=255, outline=255, width=4)
    for atom in layout["atoms"]:
        if atom["box"]:
            x0, y0, x1, y1 = atom["box"]
            pen.rectangle([x0 - 4, y0 - 4, x1 + 4, y1 + 4], fill=255)
    return np.asarray(canvas) > 0


def check_stray_ink(ink, layout: dict) -> list[str]:
    """Ink where the layout has nothing (an extra bond, a moved atom, a mark)."""
    import numpy as np
    from scipy import ndimage

    stray = ink & ~explained(ink.shape, layout)
    labels, count = ndimage.label(stray, structure=np.ones((3, 3)))
    if not count:
        return []
    sizes = np.bincount(labels.ravel())[1:]
    big = [i for i, s in enumerate(sizes) if s >= STRAY_PX]
    out = []
    for i in sorted(big, key=lambda i: -sizes[i])[:3]:
        ys, xs = np.nonzero(labels == i + 1)
        out.append(f"{sizes[i]} px of ink where no bond or label is, around ({xs.mean():.0f}, {ys.mean():.0f})")
    return out


def _letters(text: str) -> str:
    """A label's letters, in order-free form: 'H2N' and 'NH2' agree. Case and l/I are folded: a label's
    letters never differ by case alone, and l and I look alike in sans fonts."""
    # A label never holds one letter twice in a row ('OH', 'NH2', 'Cl'); tesseract sometimes reads one round
    # letter twice ('oO'), so repeats are read once.
    letters = [ch for ch in text.casefold().replace("i", "l") if ch.isalpha()]
    return "".join(sorted(ch for n, ch in enumerate(letters) if not n or letters[n - 1] != ch))


def _sign(component) -> str:
    """'+', '-' or '' for one connected blob of a label (a boolean array cut to its box)."""
    h, w = component.shape
    fill = float(component.mean())
    if w >= 2 * h and fill >= 0.7:
        return "-"
    if 0.6 <= w / h <= 1.6 and h >= 5:
        row, col = component[h // 2 - 1:h // 2 + 2].any(axis=0).mean(), component[:, w // 2 - 1:w // 2 + 2].any(axis=1).mean()
        corners = [component[:h // 3, :w // 3], component[:h // 3, -(w // 3):],
                   component[-(h // 3):, :w // 3], component[-(h // 3):, -(w // 3):]]
        if row >= 0.8 and col >= 0.8 and max(float(c.mean()) for c in corners) <= 0.2:
            return "+"
    return ""


def split_signs(crop):
    """The charge signs in a label's ink (by shape: tesseract reads a small '+' as 't' and drops '-'),
    and the crop with them erased so OCR reads only the letters."""
    import numpy as np
    from scipy import ndimage

    labels, count = ndimage.label(crop, structure=np.ones((3, 3)))
    signs, letters = [], crop.copy()
    height, width = crop.shape
    for i, box in enumerate(ndimage.find_objects(labels), start=1):
        part = labels[box] == i
        rows, cols = box
        inside = rows.start > 0 and cols.start > 0 and rows.stop < height and cols.stop < width  # not a bond's end
        raised = (rows.start + rows.stop) / 2 <= 0.6 * height  # RDKit writes charges as superscripts
        if inside and raised and part.shape[0] <= 0.65 * height:  # and smaller than a capital
            sign = _sign(part)
            if sign:
                signs.append(sign)
                letters[box][part] = False
    return "".join(signs), letters


def label_image(grey, crop, pad: int):
    """The label's own glyphs, from `grey` (the drawing in grey levels, anti-aliasing kept: tesseract reads
    thin small letters better than from a binary mask) cut to the same box as `crop` (its ink, charge signs
    erased), with `pad` pixels around the label's box. A blob reaching the crop's edge is a bond's end:
    whitened, or, when it is mostly inside the box (a wedge touching its letter), cut to the box. A label
    stacked over several lines (RDKit writes the H of an N–H above or below the N) is laid out in one row,
    so OCR reads it as one line."""
    import numpy as np
    from scipy import ndimage

    labels, _ = ndimage.label(crop, structure=np.ones((3, 3)))
    glyphs = crop.copy()
    box = np.zeros_like(crop)
    box[pad:crop.shape[0] - pad, pad:crop.shape[1] - pad] = True
    for i, (rows, cols) in enumerate(ndimage.find_objects(labels), start=1):
        if rows.start == 0 or cols.start == 0 or rows.stop == crop.shape[0] or cols.stop == crop.shape[1]:
            blob = labels == i
            glyphs[blob & ~box if (blob & box).sum() >= 0.5 * blob.sum() else blob] = False
    # Levels from black up to the palest highlight fill (≥ 127) are stretched to black..white, so a letter
    # on a highlight disc reads like one on white paper.
    levels = np.clip(grey.astype(float) * 255 / 125, 0, 255)
    sizes = np.bincount(labels.ravel(), weights=glyphs.ravel().astype(float))
    glyphs &= sizes[labels] >= 4  # specks left where a bond's edge was taken away
    image = np.where(ndimage.binary_dilation(glyphs), levels, 255).astype("uint8")
    used = glyphs.any(axis=1)
    bands, start = [], None
    for y, on in enumerate([*used, False]):
        if on and start is None:
            start = y
        elif not on and start is not None:
            bands.append((start, y))
            start = None
    # Subscripts and superscripts touch their letters' rows, so only a blank row splits two lines of a label.
    if len(bands) <= 1:
        return image
    height = max(b - a for a, b in bands) + 2
    parts = []
    for a, b in bands:
        cols = np.nonzero(glyphs[a:b].any(axis=0))[0]
        part = image[max(0, a - 1):b + 1, max(0, cols.min() - 1):cols.max() + 2]
        row = np.full((height, part.shape[1] + 4), 255, dtype="uint8")
        row[height - part.shape[0]:, 2:2 + part.shape[1]] = part  # bottoms aligned, like letters on a line
        parts.append(row)
    return np.concatenate(parts, axis=1)


def bond_strokes(shape, layout: dict, widen: int = 0):
    """Where the layout draws bonds (lines `widen` pixels wider than drawn, and wedges): never a label."""
    import numpy as np
    from PIL import Image, ImageDraw

    canvas = Image.new("L", (shape[1], shape[0]), 0)
    pen = ImageDraw.Draw(canvas)
    for bond in layout["bonds"]:
        for x0, y0, x1, y1 in bond["lines"]:
            pen.line([(x0, y0), (x1, y1)], fill=255, width=layout.get("line_width", 2) + widen)
        for poly in bond["polygons"]:
            pen.polygon([tuple(p) for p in poly], fill=255)
    return np.asarray(canvas) > 0


# How each label is shown to tesseract, tried in turn for the labels the previous try did not read as
# expected (height in pixels, page segmentation mode): tesseract drops some lone letters at one scale and
# reads them at another. A label passes when one try reads its letters.
READINGS = ((48, 7), (32, 7), (64, 8))


def read_labels(ink, dark, layout: dict) -> list[dict]:
    """OCR of every atom label, one tesseract run per try (one page per label): [{atom, expected, read,
    signs, tries}]. `dark` is the drawing's darkest channel, so a coloured label (orange P, green Cl)
    reads as dark as a black one."""
    import tempfile
    from pathlib import Path

    from PIL import Image
    from scipy import ndimage

    from .ocr import read_text

    # Around a label, a bond's anti-aliased edges would read as a '-' or a stray letter, so a widened
    # stroke is taken away; inside the label's own box only the stroke as drawn, which leaves the letters
    # whole where a bond ends against them.
    wide = ndimage.binary_dilation(bond_strokes(ink.shape, layout, 2), iterations=2)
    exact = bond_strokes(ink.shape, layout, 1)
    crops, out = [], []
    for i, atom in enumerate(layout["atoms"]):
        if not atom["box"]:
            continue
        x0, y0, x1, y1 = (int(v) for v in atom["box"])
        pad = min(3, x0, y0)
        cut = (slice(y0 - pad, y1 + 1 + pad), slice(x0 - pad, x1 + 1 + pad))
        strokes = wide[cut].copy()
        strokes[pad:strokes.shape[0] - pad, pad:strokes.shape[1] - pad] = exact[y0:y1 + 1, x0:x1 + 1]
        signs, letters = split_signs(ink[cut] & ~strokes)
        crops.append(Image.fromarray(label_image(dark[cut], letters, pad)))
        out.append({"atom": i, "expected": atom["label"], "read": "", "signs": signs, "tries": 0})
    for height, psm in READINGS:
        todo = [n for n, r in enumerate(out) if _letters(r["expected"]) != _letters(r["read"])]
        if not todo:
            break
        with tempfile.TemporaryDirectory() as tmp:
            pages = []
            for n in todo:
                crop = crops[n]
                crop = crop.resize((max(1, round(crop.width * height / max(1, crop.height))), height),
                                   Image.LANCZOS)
                page = Image.new("L", (crop.width + 40, crop.height + 40), 255)
                page.paste(crop, (20, 20))
                pages.append(Path(tmp) / f"{n}.png")
                page.save(pages[-1])
            listing = Path(tmp) / "labels.txt"
            listing.write_text("".join(f"{p}\n" for p in pages))
            words = read_text(listing, "tesseract", psm=psm, whitelist=LABEL_CHARS, use_cache=False)
        reads = {n: "" for n in todo}
        for word in sorted(words, key=lambda w: w["box"][0]):
            reads[todo[word["page"] - 1]] += word["text"]
        for n, text in reads.items():
            out[n]["tries"] += 1
            if not out[n]["read"] or _letters(out[n]["expected"]) == _letters(text):
                out[n]["read"] = text
    return out


def label_problems(readings: list[dict], layout: dict) -> list[str]:
    problems = []
    for r in readings:
        want = r["expected"]
        sign = "".join(ch for ch in want if ch in "+-")[:1]
        if _letters(want) != _letters(r["read"]) or sign != r["signs"][:1]:
            atom = layout["atoms"][r["atom"]]
            seen = r["read"] + r["signs"]
            problems.append(f"the label of atom {r['atom'] + 1} ({atom['symbol']}) should read {want!r}, "
                            f"but reads {seen!r}")
    return problems


def certify(png_path: str, layout: dict, target_smiles: str, verifier: str = "molecule.depiction") -> dict:
    """The depiction certificate of one drawing, as a verdict dict: the structure the layout was drawn
    from is `target_smiles` (same InChIKey), and the pixels show that layout."""
    from .osra import inchikey

    ink, dark = _ink(png_path)
    checked = ("the drawing's embedded structure is the requested one (InChIKey), and the drawing's pixels show its layout: "
               "every bond stroke (parallel strokes of double and triple bonds, wedges, hashes) is ink, no ink "
               "lies where no bond or label is, and every atom label reads back by OCR (tesseract) at its atom")
    drawn, wanted = inchikey(layout.get("smiles", "")), inchikey(target_smiles)
    if drawn is None or drawn != wanted:
        return {"verifier": verifier, "passed": False, "score": 0.0, "checked": checked,
                "message": f"The drawing was made from {layout.get('smiles', '')!r}, which is not the requested "
                           f"structure {target_smiles}.",
                "details": {"drawn_inchikey": drawn, "target_inchikey": wanted}}
    if ink.shape != (layout["height"], layout["width"]):
        return {"verifier": verifier, "passed": False, "score": 0.0, "checked": checked,
                "message": f"The image is {ink.shape[1]}×{ink.shape[0]} px but its layout is for "
                           f"{layout['width']}×{layout['height']} px (resized after drawing?), so it was not checked.",
                "details": {"not_checkable": True}}
    bonds, seen = check_bonds(ink, layout)
    stray = check_stray_ink(ink, layout)
    readings = read_labels(ink, dark, layout)
    labels = label_problems(readings, layout)
    problems = bonds + stray + labels
    n_bonds, n_labels = len(layout["bonds"]), len(readings)
    details = {"bonds": n_bonds, "labels": n_labels, "seen": seen, "labels_read": readings,
               "problems": problems[:20]}
    if not n_bonds and not n_labels:
        return {"verifier": verifier, "passed": False, "score": 0.0, "checked": checked,
                "message": "The layout has no bond and no label, so nothing was checked.",
                "details": {**details, "not_checkable": True}}
    if problems:
        shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
        score = max(0.0, 1.0 - len(problems) / max(1, n_bonds + n_labels))
        return {"verifier": verifier, "passed": False, "score": round(score, 4), "checked": checked,
                "message": f"The drawing does not match its layout: {shown}.", "details": details}
    parts = [f"{n_bonds} bond(s) with {seen['strokes']} stroke(s)"]
    parts += [f"{seen['multiple']} multiple bond(s) as parallel strokes"] if seen["multiple"] else []
    parts += [f"{seen['wedges']} wedge(s)"] if seen["wedges"] else []
    parts += [f"{seen['hashes']} hash(es)"] if seen["hashes"] else []
    parts += [f"{n_labels} atom label(s) read back"] if n_labels else []
    return {"verifier": verifier, "passed": True, "score": 1.0, "checked": checked,
            "message": "Every stroke and label is where the layout puts it: " + ", ".join(parts)
                       + "; no stray ink.", "details": details}
