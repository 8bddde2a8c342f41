import io

from PIL import Image

from ivlu_agent.tools.molecule.render import render_molecule
from ivlu_agent.tools.molecule.verify import verify_molecule, verify_molecule_image

CAFFEINE = "Cn1cnc2c1c(=O)n(C)c(=O)n2C"
ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"


def rendered(tmp_path, spec):
    out = render_molecule(spec)
    files = {}
    for f in out["files"]:
        (tmp_path / f["name"]).write_bytes(f["data"])
        files[f["name"]] = str(tmp_path / f["name"])
    return files, out["meta"]


def test_highlighted_caffeine_passes_every_check(tmp_path):
    spec = {"kind": "molecule", "name": "caffeine", "smiles": CAFFEINE, "highlight": ["methyl", "carbonyl"],
            "label_groups": True}
    files, meta = rendered(tmp_path, spec)
    verdicts = verify_molecule(spec, files, meta)
    assert {v["verifier"] for v in verdicts} == {"molecule.identity", "molecule.highlight", "molecule.depiction",
                                                 "molecule.osra"}
    assert all(v["passed"] for v in verdicts), verdicts
    osra = [v for v in verdicts if v["verifier"] == "molecule.osra"][0]
    assert osra["required"] is False and osra["message"].startswith("Second reader:")


def foreign(tmp_path, path):
    """The same pixels without our embedded layout (as any other tool would save them)."""
    out = tmp_path / "foreign.png"
    Image.open(path).save(out)
    return str(out)


def test_wrong_structure_for_name_is_caught(tmp_path):
    spec = {"kind": "molecule", "name": "caffeine", "smiles": ASPIRIN}
    files, meta = rendered(tmp_path, spec)
    identity = verify_molecule(spec, files, meta)[0]
    assert not identity["passed"] and identity["details"]["target_smiles"]


def test_missing_highlight_is_caught_in_pixels(tmp_path):
    spec = {"kind": "molecule", "name": "caffeine", "smiles": CAFFEINE, "highlight": ["methyl"]}
    files, meta = rendered(tmp_path, spec)
    blank = Image.new("RGB", (600, 600), "white")
    blank.save(files["main.png"])
    highlight = [v for v in verify_molecule(spec, files, meta) if v["verifier"] == "molecule.highlight"][0]
    assert not highlight["passed"] and highlight["score"] == 0.0


def test_osra_rejects_another_molecule(tmp_path):
    files, _ = rendered(tmp_path, {"kind": "molecule", "smiles": ASPIRIN})
    image = foreign(tmp_path, files["main.png"])
    (verdict,) = verify_molecule_image(image, CAFFEINE)
    assert not verdict["passed"] and "OSRA read the drawing as" in verdict["message"]
    (verdict,) = verify_molecule_image(image, ASPIRIN)
    assert verdict["passed"]


def test_our_drawing_of_another_molecule_fails_its_certificate(tmp_path):
    files, _ = rendered(tmp_path, {"kind": "molecule", "smiles": ASPIRIN})
    depiction, osra = verify_molecule_image(files["main.png"], CAFFEINE)
    assert depiction["verifier"] == "molecule.depiction" and not depiction["passed"]
    assert "not the requested structure" in depiction["message"]
    assert osra["required"] is False


def test_absent_group_is_reported(tmp_path):
    spec = {"kind": "molecule", "name": "caffeine", "smiles": CAFFEINE, "highlight": ["hydroxyl"]}
    files, meta = rendered(tmp_path, spec)
    v = [v for v in verify_molecule(spec, files, meta) if v["verifier"] == "molecule.highlight"][0]
    assert not v["passed"] and "has no hydroxyl group" in v["message"]


def test_corrupt_image_is_bad_input(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    import pytest

    from ivlu_agent.errors import IvluError

    with pytest.raises(IvluError, match="Cannot read"):
        verify_molecule_image(str(bad), CAFFEINE)
    assert io  # keep import used


def test_an_unread_foreign_drawing_is_not_checkable_rather_than_wrong(tmp_path):
    files, _ = rendered(tmp_path, {"kind": "molecule", "smiles": "CCO"})
    (verdict,) = verify_molecule_image(foreign(tmp_path, files["main.png"]), "CCO")  # OSRA reads no ethanol
    assert not verdict["passed"] and verdict["details"]["read"] == [] and verdict["details"]["not_checkable"]
    assert "rarely reads acyclic structures" in verdict["message"] and "not checkable" in verdict["message"]
    blank = tmp_path / "blank.png"
    Image.new("RGB", (300, 300), "white").save(blank)
    (verdict,) = verify_molecule_image(str(blank), CAFFEINE)
    assert verdict["message"].startswith("OSRA found no structure in the drawing.")
    assert verdict["details"]["not_checkable"]


def test_our_acyclic_drawing_is_certified_from_its_pixels(tmp_path):
    files, _ = rendered(tmp_path, {"kind": "molecule", "smiles": "CCO"})
    depiction, osra = verify_molecule_image(files["main.png"], "CCO")
    assert depiction["passed"], depiction
    assert not osra["passed"] and osra["required"] is False  # OSRA's blind reading is reported, not required
