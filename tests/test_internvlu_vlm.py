"""InternVL-U context model and processor: parity with the official golden fixture, checkpoint I/O, errors.

The fixture (tests/fixtures/internvlu-tiny, or $IVLU_FIXTURES) was saved and run by the official code; the
tolerances are the ones its README suggests (float32 atol/rtol 1e-4, token ids exact).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
from PIL import Image  # noqa: E402 (after importorskip)

FIXTURE = Path(os.environ.get("IVLU_FIXTURES") or Path(__file__).resolve().parent / "fixtures"
               / "internvlu-tiny")
needs_fixture = pytest.mark.skipif(not (FIXTURE / "checkpoint").is_dir(),
                                   reason=f"golden fixture not found at {FIXTURE} (set IVLU_FIXTURES)")
TOL = {"atol": 1e-4, "rtol": 1e-4}


def golden(case: str) -> dict:
    from safetensors.torch import load_file

    return load_file(str(FIXTURE / "outputs" / f"{case}.safetensors"))


@pytest.fixture(scope="module")
def vlm():
    from ivlu_agent.model.internvlu.processor import InternVLUProcessor
    from ivlu_agent.model.internvlu.vlm import InternVLUChatModel

    torch.set_num_threads(2)
    model = InternVLUChatModel.from_pretrained(FIXTURE / "checkpoint" / "vlm")
    processor = InternVLUProcessor.from_pretrained(FIXTURE / "checkpoint" / "processor")
    model.set_special_token_ids(processor.tokenizer.convert_tokens_to_ids)
    return model, processor


@pytest.fixture(scope="module")
def image():
    return Image.open(FIXTURE / "inputs" / "image.png").convert("RGB")


@needs_fixture
@pytest.mark.parametrize("case", ["a_text_understanding", "b_t2i", "c_text_image_cot", "d_edit"])
def test_processor_matches_official_exactly(vlm, image, case):
    _, processor = vlm
    spec = next(c for c in json.loads((FIXTURE / "cases.json").read_text())["cases"] if c["name"] == case)
    ref = golden(case)
    out = processor(spec["prompt"], image if spec["image"] else None, spec["generation_mode"])
    assert torch.equal(out.input_ids, ref["proc.input_ids"])
    assert torch.equal(out.attention_mask, ref["proc.attention_mask"])
    if "proc.pixel_values" in ref:  # bf16-rounded, bit for bit; the official repeats the image per row
        assert out.pixel_values.dtype == torch.bfloat16
        assert torch.equal(out.pixel_values[out.image_index], ref["proc.pixel_values"])
    if "proc.pixel_values_gen" in ref:
        assert torch.equal(out.pixel_values_gen.expand_as(ref["proc.pixel_values_gen"]), ref["proc.pixel_values_gen"])


@needs_fixture
@pytest.mark.parametrize("case", ["a_text_understanding", "d_edit"])
def test_vit_and_projector_match_official(vlm, case):
    model, _ = vlm
    ref = golden(case)
    feats = model.image_features(ref["vit_pixel_values"])
    torch.testing.assert_close(feats, ref["vit_embeds_after_mlp1"], **TOL)


@needs_fixture
def test_greedy_text_matches_official_tokens_and_logits(vlm):
    model, processor = vlm
    ref = golden("a_text_understanding")
    feats = model.image_features(ref["vit_pixel_values"])
    out = model.generate(ref["proc.input_ids"], ref["proc.attention_mask"], feats, max_new_tokens=8, do_sample=False,
                         eos_token_id=[2, 3], pad_token_id=2, output_scores=True, return_dict_in_generate=True)
    assert out.sequences.tolist() == ref["generated_token_ids"].tolist()
    torch.testing.assert_close(torch.stack(out.scores, 1), ref["lm_generate_step_logits"], **TOL)
    text = processor.tokenizer.batch_decode(out.sequences, skip_special_tokens=True)
    assert text == ["�� ne sunset blueronaut�� ans"]


@needs_fixture
@pytest.mark.parametrize("case", ["b_t2i", "d_edit"])
def test_context_hidden_states_match_official_including_padding(vlm, image, case):
    model, processor = vlm
    ref = golden(case)
    out = processor("a red circle" if case == "b_t2i" else "Change the circle to blue.",
                    image if case == "d_edit" else None, "image")
    feats = model.image_features(out.pixel_values)[out.image_index] if out.pixel_values is not None else None
    embeds, hidden = model.context_hidden_states(out.input_ids, out.attention_mask, feats)
    assert (out.attention_mask == 0).any()  # rows are padded, and padded positions must match too
    torch.testing.assert_close(embeds, ref["vlm_inputs_embeds"], **TOL)
    torch.testing.assert_close(torch.stack(hidden), ref["vlm_hidden_states"], **TOL)


@needs_fixture
def test_special_tokens_use_their_own_embedding_rows(vlm):
    from ivlu_agent.model.internvlu.vlm import SPECIAL_TOKENS

    model, processor = vlm
    ids = torch.tensor([[processor.tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS if t != "<IMG_CONTEXT>"]])
    x = model.input_embeddings(ids)
    rows = [i for i, t in enumerate(SPECIAL_TOKENS) if t != "<IMG_CONTEXT>"]
    assert torch.equal(x[0], model.special_token_embedding.weight[rows])
    with pytest.raises(ValueError, match="<IMG_CONTEXT> tokens"):
        model.input_embeddings(torch.tensor([[5, 5]]), torch.zeros(1, 3, x.shape[-1]))


def test_pixel_shuffle_folds_2x2_windows_row_major():
    from ivlu_agent.model.internvlu.vit import pixel_shuffle

    x = torch.arange(16.0).reshape(1, 4, 4, 1)  # value = 4 * row + col
    y = pixel_shuffle(x, 0.5)
    assert y.shape == (1, 4, 4)
    # token (0, 0) holds rows 0-1 x cols 0-1, the row outermost: [r0c0, r0c1, r1c0, r1c1]
    assert y[0, 0].tolist() == [0.0, 1.0, 4.0, 5.0]
    assert y[0, 1].tolist() == [2.0, 3.0, 6.0, 7.0]
    assert y[0, 2].tolist() == [8.0, 9.0, 12.0, 13.0]


# -- checkpoint I/O and errors (our own tiny config) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def saved_vlm(tmp_path_factory):
    from ivlu_agent.model.internvlu.full_size import tiny_preset
    from ivlu_agent.model.internvlu.vlm import InternVLUChatModel

    torch.manual_seed(0)
    model = InternVLUChatModel(tiny_preset().vlm)
    folder = tmp_path_factory.mktemp("vlm")
    model.save_pretrained(folder)
    return model, folder


def test_save_load_round_trip_is_exact(saved_vlm):
    from ivlu_agent.model.internvlu.vlm import InternVLUChatModel

    model, folder = saved_vlm
    loaded = InternVLUChatModel.from_pretrained(folder)
    a, b = model.state_dict(), loaded.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert json.loads((folder / "config.json").read_text())["model_type"] == "internvlu_chat"
    bf16 = InternVLUChatModel.from_pretrained(folder, dtype=torch.bfloat16)
    assert all(p.dtype == torch.bfloat16 for p in bf16.parameters())
    assert not any(p.is_meta for p in bf16.parameters())


def _rewrite(folder: Path, dest: Path, edit) -> Path:
    from safetensors.torch import load_file, save_file

    shutil.copytree(folder, dest)
    state = load_file(str(dest / "model.safetensors"))
    edit(state)
    save_file(state, str(dest / "model.safetensors"))
    return dest


def test_checkpoint_errors_name_the_keys(saved_vlm, tmp_path):
    from ivlu_agent.model.internvlu.vlm import InternVLUChatModel

    _, folder = saved_vlm
    bad = _rewrite(folder, tmp_path / "a", lambda s: (s.pop("mlp1.1.bias"), s.__setitem__("extra.weight", torch.ones(2)),
                                                     s.__setitem__("mlp1.3.weight", torch.ones(3, 3))))
    with pytest.raises(ValueError) as e:
        InternVLUChatModel.from_pretrained(bad)
    msg = str(e.value)
    assert "missing keys: mlp1.1.bias" in msg and "unexpected keys: extra.weight" in msg
    assert "mis-shaped keys: mlp1.3.weight (checkpoint [3, 3], model [64, 64])" in msg


def test_missing_and_corrupt_files_are_named(saved_vlm, tmp_path):
    from ivlu_agent.model.internvlu.vlm import InternVLUChatModel

    _, folder = saved_vlm
    shutil.copytree(folder, tmp_path / "v")
    (tmp_path / "v" / "model.safetensors").write_bytes((folder / "model.safetensors").read_bytes()[:5000])
    with pytest.raises(ValueError, match=r"corrupt safetensors file .*model\.safetensors"):
        InternVLUChatModel.from_pretrained(tmp_path / "v")
    (tmp_path / "v" / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        InternVLUChatModel.from_pretrained(tmp_path / "v")
    (tmp_path / "v" / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"corrupt JSON in .*config\.json"):
        InternVLUChatModel.from_pretrained(tmp_path / "v")
    (tmp_path / "v" / "config.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"missing file: .*config\.json"):
        InternVLUChatModel.from_pretrained(tmp_path / "v")


def test_importing_the_model_package_does_not_import_torch():
    code = ("import sys, ivlu_agent.model as m; assert 'torch' not in sys.modules, 'torch imported';"
            "from ivlu_agent.model import InternVLUPipeline; assert InternVLUPipeline.__name__ == 'InternVLUPipeline'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_full_size_on_meta_matches_the_paper_table():
    from ivlu_agent.model.internvlu.full_size import PAPER_PARAMS, meta_counts

    c = meta_counts()  # asserts that no parameter was allocated
    assert abs(c["vision"] / PAPER_PARAMS["vision"] - 1) < 0.05
    assert abs(c["llm"] / PAPER_PARAMS["llm"] - 1) < 0.05
    assert abs(c["llm_without_lm_head"] / 1.7e9 - 1) < 0.05
    # The head is 6% above the table's 1.7B; without the gate half of its q projections it is within 1%.
    assert abs(c["head_without_gates"] / PAPER_PARAMS["head"] - 1) < 0.05
    assert (c["tensors_vlm"], c["tensors_head"], c["tensors_vae"]) == (658, 654, 194)  # the published counts
