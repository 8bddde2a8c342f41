"""3-D ball-and-stick models: prose to a verified figure, and the checks catching what is wrong in the pixels
and in the conformer. Real RDKit, matplotlib and worker processes."""

import json

import numpy as np
import pytest
from conftest import ivlu
from PIL import Image, ImageDraw
from pydantic import ValidationError

from ivlu_agent import IvluError
from ivlu_agent.tools.model3d import geometry
from ivlu_agent.tools.model3d.spec import Model3dSpec

RENDER = "ivlu_agent.tools.model3d.render:render_model3d"
VERIFY = "ivlu_agent.tools.model3d.verify:verify_model3d"


@pytest.mark.parametrize("request_text, formula, shape", [
    ("a ball-and-stick model of methane", "CH4", "C1 tetrahedral"),
    ("VSEPR shape of water", "H2O", "O1 bent"),
    ("show the trigonal pyramidal shape of ammonia", "H3N", "N1 trigonal pyramidal"),
    ("the 3-D structure of CO2 as balls and sticks", "CO2", "C2 linear"),
    ("Draw a 3D model of ethanol", "C2H6O", "O3 bent"),
])
def test_prose_to_a_verified_model(agent, request_text, formula, shape):
    result = agent.run(request_text)
    assert result.status == "verified", [(v.verifier, v.message) for s in result.steps for v in s.verdicts]
    (step,) = result.steps
    assert step.kind == "model3d" and step.spec["formula"] == formula and shape in step.spec["shapes"]
    assert f"({formula}), viewed from elevation" in step.describe and shape in step.describe
    checks = {v.verifier: v for v in step.verdicts}
    assert {"model3d.identity", "model3d.layout", "model3d.atoms", "model3d.extra", "model3d.legend",
            "model3d.angles", "model3d.shape"} <= set(checks)
    assert "±8°" in checks["model3d.angles"].checked and result.faithful.passed
    counts = checks["model3d.atoms"].details["counts"]
    assert all(c["seen"] == c["expected"] for c in counts.values()) and sum(c["seen"] for c in counts.values()) > 2
    assert {a.name for a in step.artifacts} == {"main.png", "main.svg", "model.sdf"}


def test_cli_run_writes_the_model(tmp_path):
    r = ivlu("run", "a ball-and-stick model of methane", "--out", str(tmp_path / "o"), "--json", home=tmp_path / "h")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["status"] == "verified" and data["steps"][0]["kind"] == "model3d"
    assert data["steps"][0]["describe"].startswith("ball-and-stick model of methane (CH4), viewed from elevation")
    assert (tmp_path / "o" / "figure.png").is_file() and (tmp_path / "o" / "panels" / "s1-model.sdf").is_file()


def test_a_wrong_shape_or_an_unknown_compound_is_said_plainly(agent):
    result = agent.run("the linear shape of water")
    shape = next(v for v in result.steps[0].verdicts if v.verifier == "model3d.shape")
    assert result.status == "unverified" and not shape.passed and "O1 bent" in shape.message
    with pytest.raises(IvluError, match="did you mean: caffeine"):
        agent.run("a 3D model of cafeine")
    with pytest.raises(IvluError, match="No compound named.*'unobtainium'"):
        agent.run("a ball-and-stick model of unobtainium")
    with pytest.raises(IvluError, match="Space-filling models are not drawn"):
        agent.run("a space-filling model of water")


def rendered(workers, tmp_path, smiles, **view):
    spec = Model3dSpec(smiles=smiles, elevation=view.get("elevation", 20), azimuth=view.get("azimuth", 30))
    out = workers.call(RENDER, spec.model_dump(mode="json"))
    files = {}
    for f in out["files"]:
        (tmp_path / f["name"]).write_bytes(f["data"])
        files[f["name"]] = str(tmp_path / f["name"])
    return spec.model_dump(mode="json"), files, out["meta"]


def verdicts(workers, spec, files, meta):
    return {v["verifier"]: v for v in workers.call(VERIFY, spec, files, meta)}


def test_perturbed_pixels_fail_the_pixel_checks(workers, tmp_path):
    spec, files, meta = rendered(workers, tmp_path, "CCO")
    assert all(v["passed"] for v in verdicts(workers, spec, files, meta).values())
    oxygen = next(b for b in meta["balls"] if b["element"] == "O")
    image = Image.open(files["main.png"]).convert("RGB")
    recoloured = image.copy()
    ImageDraw.Draw(recoloured).ellipse([oxygen["x"] - oxygen["r"] * 0.8, oxygen["y"] - oxygen["r"] * 0.8,
                                        oxygen["x"] + oxygen["r"] * 0.8, oxygen["y"] + oxygen["r"] * 0.8],
                                       fill=geometry.CPK["N"])
    recoloured.save(files["main.png"])
    atoms = verdicts(workers, spec, files, meta)["model3d.atoms"]
    assert not atoms["passed"] and "O" in atoms["message"] and "shows N" in atoms["message"]
    extra = image.copy()
    ImageDraw.Draw(extra).ellipse([20, 20, 60, 60], fill=geometry.CPK["Cl"], outline=geometry.OUTLINE)
    extra.save(files["main.png"])
    found = verdicts(workers, spec, files, meta)
    assert not found["model3d.extra"]["passed"] and "Cl at (40, 40)" in found["model3d.extra"]["message"]
    assert found["model3d.atoms"]["passed"]


def test_a_hidden_atom_is_not_checked(workers, tmp_path):
    # CO2 seen down its axis: the far oxygen and the carbon are behind the near oxygen.
    spec, files, meta = rendered(workers, tmp_path, "O=C=O", elevation=0, azimuth=90)
    atoms = verdicts(workers, spec, files, meta)["model3d.atoms"]
    assert len(atoms["details"]["not_checked"]) == 2 and "not checked" in atoms["message"]
    assert atoms["details"]["checked_balls"] == 1 and atoms["score"] < 0.5


def test_a_distorted_bond_angle_fails_the_vsepr_check(tmp_path):
    from rdkit.Chem import rdMolTransforms

    from ivlu_agent.tools.model3d.chemistry import conformer
    from ivlu_agent.tools.model3d.render import draw
    from ivlu_agent.tools.model3d.verify import verify_model3d

    mol, used = conformer("C", 42, "MMFF94")
    rdMolTransforms.SetAngleDeg(mol.GetConformer(), 1, 0, 2, 80.0)  # H-C-H squeezed from 109.5° to 80°
    spec = Model3dSpec(smiles="C", elevation=20, azimuth=30)
    out = draw(mol, spec, used)
    files = {}
    for f in out["files"]:
        (tmp_path / f["name"]).write_bytes(f["data"])
        files[f["name"]] = str(tmp_path / f["name"])
    found = {v["verifier"]: v for v in verify_model3d(spec.model_dump(mode="json"), files, out["meta"])}
    assert not found["model3d.angles"]["passed"] and "80.0°" in found["model3d.angles"]["message"]
    assert found["model3d.atoms"]["passed"] and found["model3d.layout"]["passed"]  # the picture is faithful
    moved = json.loads(json.dumps(out["meta"]))
    moved["balls"][1]["x"] += 12
    assert not verify_model3d(spec.model_dump(mode="json"), files, moved)[1]["passed"]  # model3d.layout


def test_the_spec_is_bounded_and_refines_the_force_field():
    with pytest.raises(ValidationError):
        Model3dSpec(smiles="C", size=100)
    with pytest.raises(ValidationError):
        Model3dSpec(smiles="C", elevation=120)
    with pytest.raises(ValidationError):
        Model3dSpec(smiles="C", asked_shape="banana")
    from ivlu_agent.types import Verdict

    spec = Model3dSpec(smiles="O=S(=O)=O", elevation=0, azimuth=0)
    changed, why = spec.refine([Verdict(verifier="model3d.angles", passed=False)], 1)
    assert changed.force_field == "UFF" and "UFF" in why


def test_the_picture_keeps_its_palette_apart():
    colours = [*geometry.CPK.values(), geometry.OTHER, geometry.BACKGROUND, geometry.STICK]
    gaps = [np.hypot.reduce(np.subtract(a, b)) for i, a in enumerate(colours) for b in colours[i + 1:]]
    assert min(gaps) > 25  # white hydrogen against the pale page is the closest pair


def test_a_named_shape_belongs_to_the_compound_written_after_it(agent):
    result = agent.run("a ball-and-stick model of ammonia, and the tetrahedral shape of methane")
    ammonia, methane = (s.spec for s in result.steps)
    assert (ammonia["asked_shape"], methane["asked_shape"]) == ("", "tetrahedral")
    assert result.status == "verified"
