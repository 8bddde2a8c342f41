"""Start from the user's own molecule picture: OSRA reads the drawing, RDKit checks what it read, and the
result becomes an ordinary molecule step that the request then edits ('highlight the ester group').

`read_molecule_image` runs in the isolated worker (it runs OSRA and RDKit); `steps_from_images` runs in the
planner and reaches it only through `call`.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from ...errors import IvluError, RenderError
from ..common.colors import INK_THRESHOLD
from .spec import MoleculeSpec

READ = "ivlu_agent.tools.molecule.from_image:read_molecule_image"
# OSRA reads RDKit-style drawings best when the longest side is 600 to 1,000 px; small pictures are read again
# enlarged, and large ones (whose OSRA time grows with the square of the side) only at 1,000 px.
PASS_SIDES = (600, 1000)
MAX_NATIVE_SIDE = 1400
MIN_SIDE, MAX_PIXELS = 32, 40_000_000
OSRA_BUDGET_S = 45.0  # all passes together, inside the worker call's 60 s
MIN_CONFIDENCE = 0.0  # OSRA's own estimate; below it, its readings were all wrong in our trials
UNSURE = 0.5  # below this, the reasoning line asks the user to check what was read
PALE_FILL_SHARE = 0.002  # pale coloured pixels (highlight discs) above this share: binarise before reading

RETRY = ("crop the picture to the one molecule, draw it larger with plain dark bonds and standard atom labels, "
         "or name the compound or give its SMILES in the request instead")


def read_molecule_image(path: str) -> dict:
    """Read the one molecule drawn in the image at `path` with OSRA.

    The picture is read at its own size and enlarged (small pictures read poorly), and OSRA's most confident
    reading is taken; RDKit must then accept it as a complete structure. Runs in a worker (OSRA, RDKit).

    Args:
        path: a PNG, JPEG or other raster image of one structure drawing.

    Returns:
        {"smiles": canonical SMILES, "formula", "inchikey", "name": the compound table's name or "",
        "atoms": heavy-atom count, "read_by": "osra", "candidates": how many different structures the passes
        read (1 when they all agree), "confidence": OSRA's estimate for the reading taken}.

    Raises:
        IvluError: the file is not a decodable image; OSRA finds no structure, or several separate ones;
            what it read is not a valid, complete structure.
    """
    image = _load(path)
    passes = _read_passes(image)
    readings = [r for found in passes for r in found]
    if not readings:
        raise IvluError(f"OSRA found no chemical structure in {path}.",
                        "a drawing of one molecule: bonds as lines, heteroatoms as element symbols", RETRY)
    best = max(readings, key=lambda r: r[1])
    if best[1] < MIN_CONFIDENCE:
        raise IvluError(f"OSRA could only guess at a structure in {path} (its best reading, {best[0]}, has "
                        f"confidence {best[1]:.2f}, below {MIN_CONFIDENCE:g}).",
                        "a drawing of one molecule: bonds as lines, heteroatoms as element symbols", RETRY)
    chosen = next(found for found in passes if best in found)
    structures = list(dict.fromkeys(_canonical(s) or s for s, _ in chosen))
    if len(structures) > 1:
        raise IvluError(f"OSRA found {len(structures)} separate structures in {path} and cannot tell which one "
                        "is meant: " + ", ".join(structures[:4]) + ("…" if len(structures) > 4 else "") + ".",
                        "a picture of one molecule", "crop the picture to the molecule you mean, or give one "
                        "picture per molecule")
    mol = _checked(best[0], path)
    from rdkit import Chem

    from ..common.chem import describe

    facts = describe(Chem.MolToSmiles(mol))
    return {"smiles": facts["smiles"], "formula": facts["formula"], "inchikey": facts["inchikey"],
            "name": table_names().get(facts["inchikey"], ""), "atoms": facts["heavy_atoms"], "read_by": "osra",
            "candidates": len({_canonical(s) or s for s, _ in readings}), "confidence": round(best[1], 3)}


def steps_from_images(images: list[str], call: Callable[..., Any]) -> tuple[list[dict], list[str]]:
    """One molecule step per image (as `MoleculeSpec.model_dump(mode="json")`, ids 's1', 's2', …), read by
    OSRA in the worker, and a reasoning line per image saying what was read.

    The steps are what the request then edits, as if they were the previous turn's plan. An image that cannot
    be read raises IvluError, naming the image; a worker crash or timeout does too.
    """
    steps, lines = [], []
    for number, path in enumerate(images, start=1):
        try:
            read = call(READ, path, timeout_s=60)
        except RenderError as e:
            raise IvluError(f"Reading {path} with OSRA failed: {str(e).splitlines()[0]}",
                            "a picture OSRA can read within a minute", RETRY) from None
        what = read["name"] or read["formula"]
        spec = MoleculeSpec(id=f"s{number}", name=read["name"], smiles=read["smiles"], formula=read["formula"],
                            inchikey=read["inchikey"], title=f"{what} (read from image)")
        steps.append(spec.model_dump(mode="json"))
        shown = read["name"] or read["smiles"]
        doubt = (f"; its readings disagreed ({read['candidates']} structures), the most confident was taken"
                 if read["candidates"] > 1 else "")
        if read["confidence"] < UNSURE:
            doubt += f"; OSRA is unsure of it (confidence {read['confidence']:.2f}): check the structure"
        lines.append(f"read {path}: {shown} ({read['formula']}) by OSRA{doubt}")
    return steps, lines


@lru_cache(maxsize=1)
def table_names() -> dict[str, str]:
    """InChIKey → name of every compound in the bundled table (rows without a key get RDKit's)."""
    from rdkit import Chem, RDLogger

    from ..common.chem import compounds

    RDLogger.DisableLog("rdApp.*")
    names: dict[str, str] = {}
    for compound in compounds().values():
        key = compound.inchikey
        if not key:
            mol = Chem.MolFromSmiles(compound.smiles)
            key = Chem.MolToInchiKey(mol) if mol is not None else ""
        if key:
            names.setdefault(key, compound.name)
    return names


def _load(path: str):
    """The picture as RGB on white, dark-on-light; IvluError for anything that is not a usable image."""
    from PIL import Image

    from ..common.images import open_image

    if not Path(path).is_file():
        raise IvluError(f"There is no image file at {path}.", "the path of a PNG or JPEG file",
                        "check the file name")
    try:
        with Image.open(path) as probe:
            width, height = probe.size
    except Exception:  # noqa: BLE001 - any decoder failure is the same bad file; open_image words it below
        width = height = 0
    if width * height > MAX_PIXELS:
        raise IvluError(f"{path} is {width}×{height} pixels.", f"at most {MAX_PIXELS // 1_000_000} megapixels",
                        "crop the picture to the molecule or scale it down")
    image = open_image(path, "RGB")  # raises IvluError for a truncated or non-image file
    if min(image.size) < MIN_SIDE:
        raise IvluError(f"{path} is only {image.width}×{image.height} pixels.",
                        f"a drawing at least {MIN_SIDE} px on each side (OSRA needs 300 px or more to read well)",
                        "give a larger picture")
    return image


def _prepared(image):
    """White-on-black is inverted; pale highlight fills are dropped, leaving dark ink on white, as
    `common/osra.binarise` does (OSRA reads coloured discs as atoms)."""
    import numpy as np
    from PIL import Image, ImageOps

    rgb = np.asarray(image)
    if rgb.mean() < 100:  # a dark background
        image = ImageOps.invert(image)
        rgb = np.asarray(image)
    low, high = rgb.min(axis=2), rgb.max(axis=2)
    pale_fill = (low > INK_THRESHOLD) & (high - low > 40)
    if pale_fill.mean() > PALE_FILL_SHARE:
        return Image.fromarray(np.where(low <= INK_THRESHOLD, 0, 255).astype("uint8")).convert("RGB")
    return image


def _scales(width: int, height: int) -> list[float]:
    """Factors to read the picture at: its own size (unless large), and enlarged to PASS_SIDES."""
    side = max(width, height)
    factors = [1.0] if side <= MAX_NATIVE_SIDE else []
    factors += [target / side for target in PASS_SIDES if target > side * 1.4]
    if side > MAX_NATIVE_SIDE * 0.8:
        factors.append(PASS_SIDES[-1] / side)
    return factors


def _read_passes(image) -> list[list[tuple[str, float]]]:
    """What OSRA reads in each pass: [(SMILES, confidence) per structure found] per scale. The passes run
    side by side; one that fails or runs past the budget reads nothing."""
    from PIL import Image

    if shutil.which("osra") is None:
        raise IvluError("OSRA, which reads molecule pictures, is not installed.", "the osra program on the PATH",
                        "run `make install` (it apt-installs osra), or `apt-get install osra`")
    image = _prepared(image)
    deadline = time.monotonic() + OSRA_BUDGET_S
    runs: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for i, factor in enumerate(_scales(*image.size)):
                scaled = image if factor == 1.0 else image.resize(
                    (max(1, round(image.width * factor)), max(1, round(image.height * factor))), Image.LANCZOS)
                png = Path(tmp) / f"pass{i}.png"
                scaled.save(png)  # OSRA only ever sees a clean PNG of ours, never the user's bytes
                runs.append(subprocess.Popen(["osra", "-p", str(png)], stdout=subprocess.PIPE,
                                             stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True))
            return [_structures(run, deadline) for run in runs]
        finally:
            for run in runs:
                if run.poll() is None:
                    run.kill()
                    run.wait()


def _structures(run: subprocess.Popen, deadline: float) -> list[tuple[str, float]]:
    """The (SMILES, confidence) lines of one OSRA run; none when it fails or is still running at `deadline`."""
    try:
        out, _ = run.communicate(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        run.kill()
        run.communicate()
        return []
    found = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            try:
                found.append((parts[0], float(parts[1])))
            except ValueError:
                continue
    return found


def _canonical(smiles: str) -> str | None:
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    return Chem.MolToSmiles(mol) if mol is not None else None


def _checked(smiles: str, path: str):
    """The RDKit molecule of OSRA's reading; IvluError when it is not a valid, complete structure."""
    from rdkit import Chem, RDLogger
    from rdkit.Chem import Descriptors

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles, sanitize=False)
    why = "RDKit cannot parse it" if mol is None else None
    if mol is not None:
        try:
            Chem.SanitizeMol(mol)
        except Exception as e:  # noqa: BLE001 - RDKit's sanitisation errors share no useful base class
            why = f"RDKit rejects it: {str(e).strip().splitlines()[0]}"
    if why:
        raise IvluError(f"OSRA read {path} as {smiles}, which is not a valid structure ({why}); usually a "
                        "misread bond or label, or two drawings touching.", "one clearly drawn molecule", RETRY)
    unknown = sum(1 for atom in mol.GetAtoms() if atom.GetAtomicNum() == 0)
    if unknown:
        raise IvluError(f"OSRA could not identify {unknown} atom label(s) in {path} (it read {smiles}, '*' "
                        "marking each).", "element symbols (C, N, O, Cl …) or common abbreviations (Me, Ph, OMe, "
                        "CO2H)", RETRY)
    radicals = Descriptors.NumRadicalElectrons(mol)
    if radicals:
        raise IvluError(f"OSRA read {path} as {smiles}, which leaves {radicals} unpaired electron(s): usually a "
                        "misread bond or label.", "a closed-shell molecule (every valence filled)", RETRY)
    return mol
