import io

from PIL import Image

from ivlu_agent.tools.molecule.render import render_molecule

CAFFEINE = "Cn1cnc2c1c(=O)n(C)c(=O)n2C"


def test_png_and_svg_with_highlights():
    out = render_molecule({"kind": "molecule", "name": "caffeine", "smiles": CAFFEINE,
                           "highlight": ["methyl"], "label_groups": True})
    files = {f["name"]: f for f in out["files"]}
    im = Image.open(io.BytesIO(files["main.png"]["data"]))
    assert im.size == (600, 600)
    assert b"<svg" in files["main.svg"]["data"] and b"#75757A" in files["main.svg"]["data"]  # grey labels
    assert len(out["meta"]["highlighted"]["methyl"]) == 3
    assert len(out["meta"]["labels"]) == 3


def test_depiction_changes_the_drawing():
    a = render_molecule({"kind": "molecule", "smiles": CAFFEINE})
    b = render_molecule({"kind": "molecule", "smiles": CAFFEINE,
                         "depiction": {"size": 500, "bond_length": 40, "line_width": 3}})
    assert a["files"][0]["data"] != b["files"][0]["data"]
    assert Image.open(io.BytesIO(b["files"][0]["data"])).size == (500, 500)
