"""Where a depiction puts every atom label and bond stroke, and how that layout travels inside the PNG.

RDKit's Cairo and SVG drawers with the same options lay a molecule out on the same pixel frame, and
the SVG names each path by what it draws (`class='bond-3 atom-2 atom-4'`, `class='atom-4'`). The
layout is read from that SVG: per bond, its drawn strokes (a double bond's two lines, a wedge's
polygon, a hash's dashes); per atom, its label's box and the text the label must read as. The
depiction certificate (`certificate.py`) then checks the PNG's pixels against it.

The layout and the structure it was drawn from are stored in the PNG itself (a compressed `zTXt`
chunk, keyword `ivlu:depiction`), so `ivlu verify` can re-check one of our drawings after it has
left the tool. Pixels and layout are checked against each other; the chunk is not a signature.
"""

from __future__ import annotations

import json
import re
import struct
import zlib

CHUNK_KEY = b"ivlu:depiction"
LAYOUT_VERSION = 1
MAX_CHUNK_BYTES = 2_000_000  # a layout larger than this is not ours (a 150-atom drawing is ~40 kB)

_PATH = re.compile(r"<path class='(?P<cls>(?:bond|atom)-[^']*)' d='(?P<d>[^']*)'(?P<rest>[^>]*)>")
_COLOUR = re.compile(r"(?:fill|stroke)[:=]'?#([0-9A-Fa-f]{6})")
_POINT = re.compile(r"(-?\d+(?:\.\d+)?)[ ,](-?\d+(?:\.\d+)?)")


def label_text(atom) -> str:
    """What an atom's label says, as RDKit writes it: symbol, hydrogens, charge ('NH2', 'O-', 'NH3+')."""
    hs = atom.GetTotalNumHs()
    charge = atom.GetFormalCharge()
    text = atom.GetSymbol() + ("H" if hs else "") + (str(hs) if hs > 1 else "")
    sign = "+" if charge > 0 else "-"
    return text + (f"{abs(charge)}{sign}" if abs(charge) > 1 else sign if charge else "")


def _merge(segments: list[list[float]]) -> list[list[float]]:
    """Join consecutive collinear segments (RDKit splits a bond in two halves to colour each end)."""
    out: list[list[float]] = []
    for seg in segments:
        if out:
            x0, y0, x1, y1 = out[-1]
            if abs(x1 - seg[0]) < 0.2 and abs(y1 - seg[1]) < 0.2:
                cross = (x1 - x0) * (seg[3] - seg[1]) - (y1 - y0) * (seg[2] - seg[0])
                if abs(cross) < 0.02 * (abs(x1 - x0) + abs(y1 - y0) + 1) * (abs(seg[2] - seg[0]) + abs(seg[3] - seg[1]) + 1):
                    out[-1] = [x0, y0, seg[2], seg[3]]
                    continue
        out.append(list(seg))
    return out


def read_svg(svg: str) -> tuple[dict[int, dict], dict[int, list[float]]]:
    """Per bond index: its strokes ({'lines': [[x0, y0, x1, y1]…], 'polygons': [[[x, y]…]…]}); per atom
    index: its label's box [x0, y0, x1, y1]."""
    bonds: dict[int, dict] = {}
    boxes: dict[int, list[float]] = {}
    from .colors import INK_THRESHOLD

    for m in _PATH.finditer(svg):
        colours = [bytes.fromhex(c) for c in _COLOUR.findall(m.group("rest"))]
        if colours and all(min(c) > INK_THRESHOLD for c in colours):
            continue  # a highlight (pale, under the drawing), not a stroke or a letter
        classes = m.group("cls").split()
        points = [[float(x), float(y)] for x, y in _POINT.findall(m.group("d"))]
        if not points:
            continue
        head = classes[0]
        if head.startswith("bond-"):
            entry = bonds.setdefault(int(head[5:]), {"lines": [], "polygons": []})
            if "Z" in m.group("d"):
                entry["polygons"].append(points)
            else:
                entry["lines"] += [[*points[i], *points[i + 1]] for i in range(len(points) - 1)]
        elif head.startswith("atom-"):
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            old = boxes.get(int(head[5:]))
            box = [min(xs), min(ys), max(xs), max(ys)]
            boxes[int(head[5:])] = box if old is None else [min(old[0], box[0]), min(old[1], box[1]),
                                                           max(old[2], box[2]), max(old[3], box[3])]
    for entry in bonds.values():
        entry["lines"] = _merge(entry["lines"])
    return bonds, boxes


def build_layout(mol, smiles: str, drawer, svg: str, size: tuple[int, int], line_width: int) -> dict:
    """The layout of `mol` (prepared for drawing: kekulised, wedged) as drawn by `drawer` into `svg`;
    `smiles` is the structure it was prepared from."""
    from rdkit import Chem

    strokes, boxes = read_svg(svg)
    atoms = []
    for atom in mol.GetAtoms():
        p = drawer.GetDrawCoords(atom.GetIdx())
        box = boxes.get(atom.GetIdx())
        atoms.append({"symbol": atom.GetSymbol(), "charge": atom.GetFormalCharge(), "hs": atom.GetTotalNumHs(),
                      "x": round(p.x, 1), "y": round(p.y, 1),
                      "label": label_text(atom) if box else "",
                      "box": [round(v, 1) for v in box] if box else None})
    bonds = []
    for bond in mol.GetBonds():
        kind = bond.GetBondType()
        order = 3 if kind == Chem.BondType.TRIPLE else 2 if kind == Chem.BondType.DOUBLE else 1
        direction = bond.GetBondDir()
        stereo = ("wedge" if direction == Chem.BondDir.BEGINWEDGE else
                  "hash" if direction == Chem.BondDir.BEGINDASH else "")
        drawn = strokes.get(bond.GetIdx(), {"lines": [], "polygons": []})
        bonds.append({"a": bond.GetBeginAtomIdx(), "b": bond.GetEndAtomIdx(), "order": order, "stereo": stereo,
                      "lines": [[round(v, 1) for v in seg] for seg in drawn["lines"]],
                      "polygons": [[[round(x, 1), round(y, 1)] for x, y in poly] for poly in drawn["polygons"]]})
    return {"version": LAYOUT_VERSION, "kind": "molecule", "smiles": smiles, "width": size[0], "height": size[1],
            "line_width": line_width, "atoms": atoms, "bonds": bonds}


def embed(png: bytes, layout: dict) -> bytes:
    """The PNG with the layout in a zTXt chunk just before IEND (pixels untouched)."""
    body = CHUNK_KEY + b"\x00\x00" + zlib.compress(json.dumps(layout, separators=(",", ":")).encode(), 9)
    chunk = struct.pack(">I", len(body)) + b"zTXt" + body + struct.pack(">I", zlib.crc32(b"zTXt" + body))
    end = png.rfind(b"IEND") - 4
    return png[:end] + chunk + png[end:]


def extract(path, kind: str = "molecule") -> dict | None:
    """The layout of `kind` ('molecule', 'reaction') stored in a PNG by `embed`, or None (not a PNG, no chunk,
    a chunk that is not ours, or the layout of another kind of drawing)."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    at = 8
    while at + 8 <= len(data):
        length, chunk = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if chunk == b"zTXt" and body.startswith(CHUNK_KEY + b"\x00\x00") and length <= MAX_CHUNK_BYTES:
            try:
                raw = zlib.decompressobj().decompress(body[len(CHUNK_KEY) + 2:], MAX_CHUNK_BYTES * 20)
                layout = json.loads(raw)
            except (zlib.error, ValueError):
                return None
            ok = isinstance(layout, dict) and layout.get("version") == LAYOUT_VERSION \
                and layout.get("kind", "molecule") == kind
            return layout if ok else None
        if chunk == b"IEND":
            break
        at += 12 + length
    return None
