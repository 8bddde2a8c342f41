"""Starting from the user's own molecule picture: OSRA reads RDKit drawings back to the same InChIKey, the
reading becomes a molecule step that a follow-up edits, and a picture it cannot read is a clear IvluError."""

import pytest
from PIL import Image, ImageDraw, ImageFont
from rdkit import Chem
from rdkit.Chem import Draw

from ivlu_agent.errors import IvluError
from ivlu_agent.tools.base import PlanContext
from ivlu_agent.tools.molecule import MoleculeRule, MoleculeSpec
from ivlu_agent.tools.molecule.from_image import read_molecule_image, steps_from_images
from ivlu_agent.tools.molecule.render import render_molecule

DRAWN = {  # name in the table: (SMILES, formula)
    "methyl benzoate": ("COC(=O)c1ccccc1", "C8H8O2"),
    "aspirin": ("CC(=O)Oc1ccccc1C(=O)O", "C9H8O4"),
    "caffeine": ("Cn1cnc2c1c(=O)n(C)c(=O)n2C", "C8H10N4O2"),
}


def drawing(tmp_path, smiles: str, size: int = 500, name: str = "drawing.png") -> str:
    path = tmp_path / name
    Draw.MolToFile(Chem.MolFromSmiles(smiles), str(path), size=(size, size))
    return str(path)


@pytest.mark.parametrize("name", list(DRAWN))
@pytest.mark.parametrize("size", [400, 600])
def test_a_drawing_reads_back_as_the_same_compound(tmp_path, name, size):
    smiles, formula = DRAWN[name]
    read = read_molecule_image(drawing(tmp_path, smiles, size))
    mol = Chem.MolFromSmiles(smiles)
    assert read["inchikey"] == Chem.MolToInchiKey(mol)
    assert read["smiles"] == Chem.MolToSmiles(mol)
    assert (read["name"], read["formula"], read["atoms"]) == (name, formula, mol.GetNumHeavyAtoms())
    assert read["read_by"] == "osra" and read["candidates"] >= 1


def test_a_jpeg_reads_too(tmp_path):
    path = tmp_path / "photo.jpg"
    Draw.MolToImage(Chem.MolFromSmiles(DRAWN["aspirin"][0]), size=(500, 500)).convert("RGB").save(path, quality=75)
    assert read_molecule_image(str(path))["name"] == "aspirin"


def test_a_compound_outside_the_table_is_given_by_formula(tmp_path):
    smiles = "CCOC(=O)c1ccc(Cl)cc1"  # ethyl 4-chlorobenzoate
    read = read_molecule_image(drawing(tmp_path, smiles))
    assert read["name"] == "" and read["formula"] == "C9H9ClO2"
    assert read["inchikey"] == Chem.MolToInchiKey(Chem.MolFromSmiles(smiles))


def test_our_own_highlighted_figure_reads_back(tmp_path):
    """Pale highlight discs are dropped before OSRA reads (it takes coloured discs for atoms)."""
    out = render_molecule({"kind": "molecule", "name": "caffeine", "smiles": DRAWN["caffeine"][0],
                           "highlight": ["methyl", "carbonyl"], "label_groups": True})
    png = next(f for f in out["files"] if f["name"] == "main.png")
    (tmp_path / "figure.png").write_bytes(png["data"])
    assert read_molecule_image(str(tmp_path / "figure.png"))["name"] == "caffeine"


def test_steps_from_images_become_molecule_steps_that_a_follow_up_edits(tmp_path, workers):
    images = [drawing(tmp_path, DRAWN["methyl benzoate"][0], name="mine.png"),
              drawing(tmp_path, "CCOC(=O)c1ccc(Cl)cc1", name="other.png")]
    steps, lines = steps_from_images(images, workers.call)
    specs = [MoleculeSpec.model_validate(s) for s in steps]
    assert [s.id for s in specs] == ["s1", "s2"]
    assert (specs[0].name, specs[0].formula, specs[0].inchikey) == ("methyl benzoate", "C8H8O2",
                                                                    "QPJVMBTYPHYUOC-UHFFFAOYSA-N")
    assert specs[0].title == "methyl benzoate (read from image)"
    assert (specs[1].name, specs[1].title) == ("", "C9H9ClO2 (read from image)")
    assert lines[0] == f"read {images[0]}: methyl benzoate (C8H8O2) by OSRA"
    assert lines[1].startswith(f"read {images[1]}: CCOC(=O)c1ccc(Cl)cc1 (C9H9ClO2) by OSRA")

    ctx = PlanContext(describe=lambda s: workers.call("ivlu_agent.tools.common.chem:describe", s),
                      call=workers.call)
    edited = MoleculeRule().follow_up("highlight the ester group", steps, ctx)
    assert [s.highlight for s in edited] == [["ester"], ["ester"]]
    assert [s.smiles for s in edited] == [s.smiles for s in specs]


def expect_error(path, match: str) -> IvluError:
    with pytest.raises(IvluError, match=match) as caught:
        read_molecule_image(str(path))
    err = caught.value
    assert err.expected and err.fix, "an error says what was expected and what to do"
    return err


def test_a_blank_picture_has_no_structure(tmp_path):
    Image.new("RGB", (500, 500), "white").save(tmp_path / "blank.png")
    expect_error(tmp_path / "blank.png", "OSRA found no chemical structure")


def test_a_picture_of_text_has_no_structure(tmp_path):
    image = Image.new("RGB", (700, 200), "white")
    ImageDraw.Draw(image).text((20, 70), "Hello chemistry world", fill="black", font=ImageFont.load_default(44))
    image.save(tmp_path / "text.png")
    expect_error(tmp_path / "text.png", "OSRA found no chemical structure")


def test_two_molecules_apart_are_counted_not_guessed(tmp_path):
    a = Draw.MolToImage(Chem.MolFromSmiles(DRAWN["methyl benzoate"][0]), size=(400, 400))
    b = Draw.MolToImage(Chem.MolFromSmiles(DRAWN["caffeine"][0]), size=(400, 400))
    page = Image.new("RGB", (1200, 400), "white")
    page.paste(a, (0, 0))
    page.paste(b, (800, 0))
    page.save(tmp_path / "two.png")
    err = expect_error(tmp_path / "two.png", "OSRA found 2 separate structures")
    assert "crop" in err.fix


def test_a_corrupt_or_missing_file_is_a_clear_error_even_through_the_worker(tmp_path, workers):
    whole = drawing(tmp_path, DRAWN["aspirin"][0])
    (tmp_path / "cut.png").write_bytes(open(whole, "rb").read()[:400])
    (tmp_path / "notes.png").write_text("not an image")
    expect_error(tmp_path / "cut.png", "Cannot read .*cut.png as an image")
    expect_error(tmp_path / "notes.png", "Cannot read .*notes.png as an image")
    expect_error(tmp_path / "missing.png", "There is no image file")
    with pytest.raises(IvluError, match="Cannot read .*cut.png as an image"):
        steps_from_images([str(tmp_path / "cut.png")], workers.call)


def test_a_tiny_picture_is_refused(tmp_path):
    Image.new("RGB", (20, 20), "white").save(tmp_path / "tiny.png")
    expect_error(tmp_path / "tiny.png", "only 20×20 pixels")
