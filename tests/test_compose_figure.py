"""The composed figure: panels keep their aspect ratio, captions, and an SVG that parses."""

import io

import cairosvg
from PIL import Image

from ivlu_agent.tools.common.compose import compose_figure
from ivlu_agent.tools.molecule.render import render_molecule
from ivlu_agent.tools.reaction.render import render_reaction


def write(tmp_path, out, prefix):
    paths = {}
    for f in out["files"]:
        p = tmp_path / f"{prefix}-{f['name']}"
        p.write_bytes(f["data"])
        paths[f["name"]] = str(p)
    return paths


def test_square_and_wide_panels_compose_with_a_valid_svg(tmp_path):
    mol = write(tmp_path, render_molecule({"kind": "molecule", "smiles": "CCO", "name": "ethanol"}), "m")
    rxn = write(tmp_path, render_reaction({"kind": "reaction", "reactants": [{"smiles": "CC(=O)O"}, {"smiles": "CCO"}],
                                           "products": [{"smiles": "CCOC(C)=O"}], "conditions": "H+"}), "r")
    out = compose_figure([{"caption": "ethanol", "png": mol["main.png"], "svg": mol["main.svg"]},
                          {"caption": "esterification", "png": rxn["main.png"], "svg": rxn["main.svg"]}])
    files = {f["name"]: f["data"] for f in out["files"]}
    figure = Image.open(io.BytesIO(files["figure.png"]))
    assert figure.width > 2 * figure.height  # the reaction cell is wide, the molecule cell square
    png = cairosvg.svg2png(bytestring=files["figure.svg"])
    assert Image.open(io.BytesIO(png)).size == figure.size
    assert b"(a) ethanol" in files["figure.svg"] and b"(b) esterification" in files["figure.svg"]


def test_no_svg_when_a_panel_has_none(tmp_path):
    mol = write(tmp_path, render_molecule({"kind": "molecule", "smiles": "CCO"}), "m")
    out = compose_figure([{"caption": "a", "png": mol["main.png"], "svg": None}])
    assert [f["name"] for f in out["files"]] == ["figure.png"]
