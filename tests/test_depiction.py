"""The depiction certificate: our molecule drawings are checked pixel by pixel against their own layout,
which travels inside the PNG. Real RDKit, tesseract and OSRA; the edits are real pixel edits."""

import pytest
from conftest import ivlu
from PIL import Image, ImageDraw

from ivlu_agent.tools import parse_step
from ivlu_agent.tools.common.certificate import certify
from ivlu_agent.tools.common.layout import embed, extract
from ivlu_agent.tools.molecule.render import render_molecule
from ivlu_agent.tools.molecule.verify import verify_molecule_image

CAFFEINE = "Cn1cnc2c1c(=O)n(C)c(=O)n2C"
ALANINE = "C[C@H](N)C(=O)O"


def drawn(tmp_path, smiles, **spec):
    png = tmp_path / "main.png"
    png.write_bytes(render_molecule({"kind": "molecule", "smiles": smiles, **spec})["files"][0]["data"])
    return png


def edited(png, layout, edit):
    """The PNG with `edit(pen, layout)` applied to its pixels, the layout kept (as a later pixel edit would)."""
    image = Image.open(png).convert("RGB")
    edit(ImageDraw.Draw(image), layout)
    out = png.with_name("edited.png")
    image.save(out)
    out.write_bytes(embed(out.read_bytes(), layout))
    return str(out)


def test_the_layout_travels_inside_the_png(tmp_path):
    png = drawn(tmp_path, CAFFEINE)
    layout = extract(png)
    assert layout["smiles"] and len(layout["bonds"]) == 15 and layout["width"] == 600
    assert sum(a["label"] == "O" for a in layout["atoms"]) == 2
    assert sum(len(b["lines"]) == 2 for b in layout["bonds"]) == 4  # C=O ×2 and two ring double bonds
    plain = tmp_path / "plain.png"
    Image.open(png).save(plain)  # another tool re-saving the pixels drops our chunk
    assert extract(plain) is None
    assert extract(tmp_path / "plain.png") is None and extract(__file__) is None


@pytest.mark.parametrize("smiles", ["NCC(=O)O", ALANINE, "CCO", "CO", "O", "CC(=O)O", CAFFEINE,
                                    "C[N+](C)(C)C", "CC(=O)[O-].[Na+]", "C#N", "C[C@@H](O)[C@H](Cl)Br"])
def test_correct_drawings_are_certified(tmp_path, smiles):
    png = drawn(tmp_path, smiles)
    verdict = certify(str(png), extract(png), smiles)
    assert verdict["passed"], verdict["message"]


def test_highlighted_labelled_and_displayed_drawings_are_certified(tmp_path):
    png = drawn(tmp_path, CAFFEINE, name="caffeine", highlight=["methyl"], label_groups=True)
    assert certify(str(png), extract(png), CAFFEINE)["passed"]
    png = drawn(tmp_path, "CC(=O)O", depiction={"explicit_hydrogens": True})
    verdict = certify(str(png), extract(png), "CC(=O)O")
    assert verdict["passed"] and verdict["details"]["labels"] == 6, verdict  # 2 O + 4 H read back


def erase_bond(pen, layout):
    for line in next(b for b in layout["bonds"] if b["lines"])["lines"]:
        pen.line([tuple(line[:2]), tuple(line[2:])], fill="white", width=8)


def erase_one_stroke_of_a_double_bond(pen, layout):
    double = next(b for b in layout["bonds"] if len(b["lines"]) == 2)
    pen.line([tuple(double["lines"][0][:2]), tuple(double["lines"][0][2:])], fill="white", width=6)


def change_a_label(pen, layout):
    from ivlu_agent.tools.common.canvas import font

    atom = next(a for a in layout["atoms"] if a["label"] == "O")
    x0, y0, x1, y1 = atom["box"]
    pen.rectangle([x0 - 1, y0 - 1, x1 + 1, y1 + 1], fill="white")
    pen.text(((x0 + x1) / 2, (y0 + y1) / 2), "S", fill="black", font=font(int(y1 - y0)), anchor="mm")


def add_a_bond(pen, layout):
    a, b = layout["atoms"][0], layout["atoms"][2]  # not bonded to each other in alanine
    pen.line([(a["x"], a["y"]), (b["x"], b["y"])], fill="black", width=2)


def flip_the_wedge(pen, layout):
    wedge = next(b for b in layout["bonds"] if b["stereo"] == "wedge")
    a, b = layout["atoms"][wedge["a"]], layout["atoms"][wedge["b"]]
    for poly in wedge["polygons"]:
        pen.polygon([tuple(p) for p in poly], fill="white", outline="white", width=3)
    pen.polygon([(b["x"], b["y"]), (a["x"] - 10, a["y"]), (a["x"] + 10, a["y"])], fill="black")


@pytest.mark.parametrize("edit", [erase_bond, erase_one_stroke_of_a_double_bond, change_a_label, add_a_bond,
                                  flip_the_wedge])
def test_pixel_edits_are_caught(tmp_path, edit):
    png = drawn(tmp_path, ALANINE)
    layout = extract(png)
    verdict = certify(edited(png, layout, edit), layout, ALANINE)
    assert not verdict["passed"] and "does not match its layout" in verdict["message"], verdict


def test_a_resized_drawing_is_not_checked_against_its_layout(tmp_path):
    png = drawn(tmp_path, CAFFEINE)
    layout = extract(png)
    small = tmp_path / "small.png"
    Image.open(png).resize((300, 300)).save(small)
    small.write_bytes(embed(small.read_bytes(), layout))
    verdict = certify(str(small), layout, CAFFEINE)
    assert not verdict["passed"] and verdict["details"]["not_checkable"] and "resized" in verdict["message"]


def test_verify_uses_the_embedded_layout_whatever_osra_says(tmp_path):
    png = drawn(tmp_path, CAFFEINE)  # OSRA reads caffeine: it would pass an erased bond
    layout = extract(png)
    depiction, osra = verify_molecule_image(edited(png, layout, erase_bond), CAFFEINE)
    assert not depiction["passed"] and osra["required"] is False


def test_cli_verify_own_drawing_foreign_drawing_and_not_checkable(tmp_path):
    png = drawn(tmp_path, "CCO")
    ok = ivlu("verify", str(png), "--molecule", "ethanol", home=tmp_path / "h")
    assert ok.returncode == 0 and "molecule.depiction" in ok.stdout and "status: passed" in ok.stdout
    layout = extract(png)
    broken = ivlu("verify", edited(png, layout, erase_bond), "--molecule", "ethanol", home=tmp_path / "h")
    assert broken.returncode == 1 and "status: failed" in broken.stdout
    other = ivlu("verify", str(png), "--molecule", "methanol", home=tmp_path / "h")
    assert other.returncode == 1 and "not the requested structure" in other.stdout
    plain = tmp_path / "plain.png"
    Image.open(png).save(plain)  # OSRA reads no ethanol, and the layout is gone: not checkable, not wrong
    unread = ivlu("verify", str(plain), "--molecule", "ethanol", home=tmp_path / "h")
    assert unread.returncode == 4 and "status: not checkable" in unread.stdout, unread.stdout


@pytest.mark.parametrize("name", ["glycine", "alanine", "ethanol", "methanol", "water", "acetic acid"])
def test_the_issue_compounds_are_verified_from_the_certificate(agent, name):
    result = agent.run(f"draw {name}")
    assert result.status == "verified" and result.exit_code == 0, [s.verdicts for s in result.steps]
    verdicts = {v.verifier: v for v in result.steps[0].verdicts}
    assert verdicts["molecule.depiction"].passed
    assert verdicts["molecule.osra"].required is False  # OSRA's reading is shown beside it
    assert len(result.steps[0].attempts) == 1  # at the first drawing


@pytest.mark.parametrize("smiles, title, ok", [
    ("C/C=C\\C", "cis-but-2-ene (Z)", True), ("C/C=C/C", "trans-but-2-ene (E)", True),
    ("C/C=C/C", "cis-but-2-ene (Z)", False),  # a trans drawing under a cis caption
    (ALANINE, "(S)-alanine", True), ("C[C@@H](N)C(=O)O", "(S)-alanine", False)])
def test_stereo_is_read_back_from_the_drawn_geometry_and_wedges(tmp_path, smiles, title, ok):
    from ivlu_agent.tools.common.drawn_stereo import check_stereo

    png = drawn(tmp_path, smiles)
    verdict = check_stereo(extract(png), smiles, title, "molecule.stereo")
    assert verdict["passed"] is ok, verdict["message"]


def test_a_drawing_of_the_other_enantiomer_is_not_the_requested_one(tmp_path):
    from ivlu_agent.tools.common.drawn_stereo import check_stereo

    png = drawn(tmp_path, "C[C@@H](N)C(=O)O")  # (R)-alanine drawn; (S) asked for
    verdict = check_stereo(extract(png), ALANINE, "", "molecule.stereo")
    assert not verdict["passed"] and "not the requested stereoisomer" in verdict["message"]


def test_isomer_panels_are_each_certified_with_their_label(agent):
    result = agent.run("Draw the cis and trans isomers of but-2-ene")
    assert result.status == "verified"
    for step in result.steps:
        stereo = next(v for v in step.verdicts if v.verifier == "molecule.stereo")
        assert stereo.passed and step.title.split("-")[0] in stereo.message


@pytest.mark.parametrize("request_text, checks", [
    ("Draw the cis and trans isomers of but-2-ene", {"molecule.depiction", "molecule.stereo"}),
    ("Draw the Kekulé structure of benzene showing every hydrogen atom", {"molecule.depiction",
                                                                          "molecule.displayed"})])
def test_new_depictions_verify_from_prose_through_the_cli(tmp_path, request_text, checks):
    import json

    run = ivlu("run", request_text, "--out", str(tmp_path / "out"), home=tmp_path / "home")
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    for step in result["steps"]:
        passed = {v["verifier"] for v in step["verdicts"] if v["passed"]}
        assert checks <= passed, step["verdicts"]


def test_a_scheme_of_two_steps_with_conditions_over_and_under_each_arrow(agent):
    result = agent.run("ethene ->[H3PO4, 300 °C, 60 atm] ethanol ->[K2Cr2O7, H2SO4, reflux] acetic acid")
    assert result.status == "verified", [(s.describe, s.verdicts) for s in result.steps]
    first, second = (parse_step(s.spec) for s in result.steps)
    assert (first.conditions, first.below) == ("H3PO4", "300 °C, 60 atm")
    assert (second.conditions, second.below) == ("K2Cr2O7, H2SO4", "reflux")
    assert first.products[0].inchikey == second.reactants[0].inchikey  # ethanol carries over
    for step in result.steps:
        passed = {v.verifier for v in step.verdicts if v.passed}
        assert {"reaction.depiction", "reaction.conditions"} <= passed


def test_a_displayed_formula_gets_room_for_its_hydrogens():
    from ivlu_agent.tools.common.depict import canvas_for

    assert canvas_for("C2H4O2", displayed=True) == 600  # acetic acid: 8 atoms
    assert canvas_for("C27H46O", displayed=False) == 600  # skeletal cholesterol: the default canvas
    assert canvas_for("C27H46O", displayed=True) == 800  # 74 labelled atoms: 600 px × √(74 / 40), in 50s


def test_a_scheme_is_not_read_as_one_molecule(tmp_path):
    from ivlu_agent.tools.reaction.render import render_reaction

    png = tmp_path / "scheme.png"
    png.write_bytes(render_reaction({"kind": "reaction", "reactants": [{"smiles": "C=C"}],
                                     "products": [{"smiles": "CCO"}]})["files"][0]["data"])
    assert extract(png) is None and extract(png, "reaction")["structures"]
