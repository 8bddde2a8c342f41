"""Tests for the InternVL-U generation head (`ivlu_agent.model.internvlu.{transformer,decoder}`).

The parity tests replay every recorded decoder call of the official tiny fixture; the rest use a tiny random
config of our own and need no fixture.
"""

from __future__ import annotations

import json
import os
import resource
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
safetensors = pytest.importorskip("safetensors")

from safetensors import safe_open  # noqa: E402 (after importorskip)
from safetensors.torch import load_file, save_file  # noqa: E402 (after importorskip)

from ivlu_agent.model.internvlu.decoder import (  # noqa: E402 (after importorskip)
    InternVLUGenerationDecoder,
    InternVLUGenerationDecoderConfig,
    InternVLUTransformerConfig,
    full_size_config,
    latent_grid_positions,
    patchify_latents,
    sequence_positions,
    stack_vlm_layers,
    unpatchify_latents,
)

torch.set_num_threads(2)


def _fixture_dir() -> Path:
    env = os.environ.get("IVLU_FIXTURES")
    if env:
        root = Path(env)
        return root / "internvlu-tiny" if (root / "internvlu-tiny").is_dir() else root
    return Path(__file__).resolve().parent / "fixtures" / "internvlu-tiny"


FIXTURE = _fixture_dir()
needs_fixture = pytest.mark.skipif(not (FIXTURE / "checkpoint" / "generation_decoder").is_dir(),
                                   reason=f"InternVL-U tiny fixture not found at {FIXTURE} (set IVLU_FIXTURES)")
CASES = ["b_t2i", "c_text_image_cot", "d_edit"]
IM_START, IMG_START, IMG_CONTEXT = 1, 3, 5  # fixture tokenizer ids


@pytest.fixture(scope="module")
def fixture_decoder():
    return InternVLUGenerationDecoder.from_pretrained(FIXTURE / "checkpoint" / "generation_decoder")


def _recorded_call(case: str, index: int) -> tuple[dict, torch.Tensor]:
    """The kwargs and output of one recorded transformer forward."""
    with safe_open(str(FIXTURE / "outputs" / f"{case}.safetensors"), "pt") as f:
        prefix = f"decoder_call{index}."
        everything = f.keys()  # a safe_open handle is not iterable itself
        names = [k[len(prefix):] for k in everything if k.startswith(prefix)]
        tensors = {n: f.get_tensor(prefix + n) for n in names}
    kwargs = {}
    for name in ("hidden_states", "encoder_hidden_states", "timestep", "encoder_attention_mask",
                 "encoder_image_token_mask", "image_grid_thw_gen"):
        kwargs[name] = tensors[name]
    for name in ("image_fhw_cond", "conditional_input", "image_grid_thw_gen_cond"):
        rows = sorted((n for n in tensors if n.startswith(name + "_")), key=lambda n: int(n.rsplit("_", 1)[1]))
        kwargs[name] = [tensors[n] for n in rows] or None
    return kwargs, tensors["output"]


# ---------------------------------------------------------------------------------------------------------------
# Parity with the official implementation (tiny fixture)
# ---------------------------------------------------------------------------------------------------------------


@needs_fixture
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("index", [0, 1])
def test_transformer_matches_recorded_calls(fixture_decoder, case, index):
    kwargs, expected = _recorded_call(case, index)
    assert kwargs["hidden_states"].shape[0] == 3  # all three CFG branches in one call
    with torch.no_grad():
        output = fixture_decoder(**kwargs)
    assert output.shape == expected.shape
    max_diff = (output - expected).abs().max().item()
    assert torch.allclose(output, expected, atol=1e-4, rtol=1e-4), f"{case} call {index}: max abs diff {max_diff}"
    assert expected.abs().max() > 1.0  # the reference is not trivially small


@needs_fixture
@pytest.mark.parametrize("case", ["b_t2i", "d_edit"])
def test_prepare_condition_matches_recorded_padding(fixture_decoder, case):
    """VLM hidden states -> stacked layers -> span cut -> padded condition, exactly as recorded."""
    with safe_open(str(FIXTURE / "outputs" / f"{case}.safetensors"), "pt") as f:
        hidden = f.get_tensor("vlm_hidden_states")
        input_ids = f.get_tensor("proc.input_ids")
        recorded = {k: f.get_tensor(f"decoder_call0.{k}") for k in
                    ("encoder_hidden_states", "encoder_attention_mask", "encoder_image_token_mask")}
    states = stack_vlm_layers(list(hidden), fixture_decoder.config.vlm_select_layer)
    rows, masks = [], []
    for ids, row_states in zip(input_ids, states):
        start = (ids == IM_START).nonzero().flatten()[1].item()
        end = (ids == IMG_START).nonzero().flatten()[-1].item()
        rows.append(row_states[start:end + 1])
        masks.append(ids[start:end + 1] == IMG_CONTEXT)
    with torch.no_grad():
        states, attention_mask, image_mask = fixture_decoder.prepare_condition(rows, masks)
    assert torch.equal(states, recorded["encoder_hidden_states"])
    assert torch.equal(attention_mask, recorded["encoder_attention_mask"])
    assert torch.equal(image_mask, recorded["encoder_image_token_mask"])


@needs_fixture
def test_from_pretrained_consumes_every_tensor(fixture_decoder):
    weights = load_file(str(FIXTURE / "checkpoint" / "generation_decoder" / "model.safetensors"))
    state = fixture_decoder.state_dict()
    assert len(weights) == 78
    assert set(state) == set(weights)
    assert all(torch.equal(state[k], weights[k]) for k in weights)
    assert not any(p.is_meta for p in fixture_decoder.parameters())


# ---------------------------------------------------------------------------------------------------------------
# A tiny config of our own
# ---------------------------------------------------------------------------------------------------------------


def tiny_config(**overrides) -> InternVLUGenerationDecoderConfig:
    transformer = InternVLUTransformerConfig(patch_size=2, in_channels=16, out_channels=4, num_layers=2,
                                             attention_head_dim=16, num_attention_heads=2, joint_attention_dim=24,
                                             axes_dims_rope=(4, 6, 6))
    values = {"decoder_config": transformer, "decoder_projector_type": "mlp2x_gelu", "input_hidden_size": 20,
              "output_hidden_size": 24, "vlm_select_layer": [-1, -2], "pad_to_fix_length": False,
              "max_sequence_length": 8}
    return InternVLUGenerationDecoderConfig(**{**values, **overrides})


def tiny_decoder(seed: int = 0, **overrides) -> InternVLUGenerationDecoder:
    torch.manual_seed(seed)
    model = InternVLUGenerationDecoder.from_config(tiny_config(**overrides))
    with torch.no_grad():  # move off the default init so norms, gates and the pad token all matter
        for name, param in model.named_parameters():
            if name.endswith("norm_q.weight") or "norm_k" in name or "norm_added" in name or "txt_norm" in name:
                param.copy_(1 + 0.1 * torch.randn_like(param))
            elif param.ndim == 1:
                param.copy_(0.1 * torch.randn_like(param))
    return model.eval()


def tiny_inputs(model, heights_widths=((8, 8),) * 3, seed: int = 1, with_image: bool = False):
    """Random condition rows of different lengths, latents and (optionally) one ViT image + editing latents."""
    g = torch.Generator().manual_seed(seed)
    cfg = model.config
    lengths = [7, 11, 5][:len(heights_widths)]
    rows = [torch.randn(n, cfg.input_hidden_size, generator=g) for n in lengths]
    masks = [torch.zeros(n, dtype=torch.bool) for n in lengths]
    fhw = None
    if with_image:
        masks[0][2:6] = True
        fhw = [torch.tensor([[1, 2, 2]]), torch.zeros(0, 3, dtype=torch.long), torch.zeros(0, 3, dtype=torch.long)]
    states, attention_mask, image_mask = model.prepare_condition(rows, masks)
    height = max(h for h, _ in heights_widths)
    width = max(w for _, w in heights_widths)
    channels = cfg.decoder_config.latent_channels
    kwargs = {
        "hidden_states": torch.randn(len(lengths), channels, height, width, generator=g),
        "encoder_hidden_states": states,
        "timestep": torch.tensor([999.0, 500.0, 3.0][:len(lengths)]),
        "encoder_attention_mask": attention_mask,
        "encoder_image_token_mask": image_mask,
        "image_fhw_cond": fhw,
        "image_grid_thw_gen": torch.tensor([[1, h, w] for h, w in heights_widths]),
    }
    if with_image:
        cond = torch.randn(1, channels, height, width, generator=g)
        kwargs["conditional_input"] = [cond, cond, torch.zeros(0, channels, height, width)]
    return kwargs


def test_save_load_round_trip_gives_identical_output(tmp_path):
    model = tiny_decoder()
    kwargs = tiny_inputs(model, with_image=True)
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["model_type"] == "internvlu_generation_decoder"
    assert config["decoder_config"]["num_layers"] == 2
    loaded = InternVLUGenerationDecoder.from_pretrained(tmp_path)
    assert loaded.config == model.config
    with torch.no_grad():
        expected, actual = model(**kwargs), loaded(**kwargs)
    assert torch.equal(expected, actual)
    assert expected.abs().max() > 0.1


def test_fixture_config_round_trips(tmp_path):
    """Our save_pretrained writes the official config.json key set and values."""
    if not (FIXTURE / "checkpoint" / "generation_decoder").is_dir():
        pytest.skip(f"InternVL-U tiny fixture not found at {FIXTURE}")
    original = json.loads((FIXTURE / "checkpoint" / "generation_decoder" / "config.json").read_text())
    InternVLUGenerationDecoder.from_pretrained(FIXTURE / "checkpoint" / "generation_decoder").save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text()) == original


def _rewrite_weights(folder: Path, edit) -> None:
    path = folder / "model.safetensors"
    state = load_file(str(path))
    edit(state)
    save_file(state, str(path), metadata={"format": "pt"})


@pytest.mark.parametrize("edit, expected_words", [
    (lambda s: s.pop("decoder.proj_out.bias"), ["missing", "decoder.proj_out.bias"]),
    (lambda s: s.update({"decoder.extra.weight": torch.zeros(2)}), ["unexpected", "decoder.extra.weight"]),
    (lambda s: s.update({"encoder_padding_token": torch.zeros(21)}), ["mis-shaped", "encoder_padding_token", "[21]"]),
])
def test_bad_checkpoint_keys_raise(tmp_path, edit, expected_words):
    tiny_decoder().save_pretrained(tmp_path)
    _rewrite_weights(tmp_path, edit)
    with pytest.raises(ValueError) as error:
        InternVLUGenerationDecoder.from_pretrained(tmp_path)
    for word in expected_words:
        assert word in str(error.value)


def test_all_problems_named_in_one_error(tmp_path):
    tiny_decoder().save_pretrained(tmp_path)

    def edit(state):
        state.pop("decoder.img_in.weight")
        state["decoder.bogus"] = torch.zeros(1)
        state["decoder.txt_in.bias"] = torch.zeros(3)

    _rewrite_weights(tmp_path, edit)
    with pytest.raises(ValueError, match=r"missing \(1\).*img_in.weight.*unexpected \(1\).*bogus.*mis-shaped \(1\)"):
        InternVLUGenerationDecoder.from_pretrained(tmp_path)


def test_bad_config_raises(tmp_path):
    tiny_decoder().save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "num_layerz": 3}))
    with pytest.raises(ValueError, match="unknown keys.*num_layerz"):
        InternVLUGenerationDecoder.from_pretrained(tmp_path)
    with pytest.raises(ValueError, match="sums to 14"):
        InternVLUTransformerConfig(attention_head_dim=16, num_attention_heads=2, axes_dims_rope=(4, 4, 6))
    with pytest.raises(ValueError, match="identity projector"):
        tiny_config(decoder_projector_type="identity")


def test_bf16_close_to_fp32():
    """bf16 weights and activations stay within 2% of the output scale (measured 0.5-0.8% over 6 seeds).

    The timesteps are exact in bf16: like the official head, the model first casts timestep to the latents' dtype,
    so in bf16 999 becomes 1000, a different (and equally valid) conditioning that is not numerical error.
    """
    model = tiny_decoder()
    kwargs = {**tiny_inputs(model, with_image=True), "timestep": torch.tensor([992.0, 500.0, 3.0])}
    with torch.no_grad():
        reference = model(**kwargs)
        model_bf16 = tiny_decoder().to(torch.bfloat16)
        states = {k: (v.to(torch.bfloat16) if isinstance(v, torch.Tensor) and v.is_floating_point() else v)
                  for k, v in kwargs.items()}
        output = model_bf16(**states)
    assert output.dtype == torch.bfloat16
    error = output.float() - reference
    assert (error.abs().max() / reference.abs().max()).item() < 0.02
    assert (error.norm() / reference.norm()).item() < 0.015


def test_non_square_and_mixed_sizes_in_one_batch():
    """Rows with different (non-square) grids batch together and give the same result as run alone."""
    model = tiny_decoder()
    sizes = ((8, 16), (12, 6), (16, 8))
    kwargs = tiny_inputs(model, heights_widths=sizes)
    with torch.no_grad():
        batched = model(**kwargs)
    assert batched.shape == (3, 4, 16, 16)
    for b, (h, w) in enumerate(sizes):
        single = {k: (v[b:b + 1] if isinstance(v, torch.Tensor) else v) for k, v in kwargs.items()}
        single["hidden_states"] = kwargs["hidden_states"][b:b + 1, :, :h, :w]
        with torch.no_grad():
            alone = model(**single)
        assert torch.allclose(batched[b:b + 1, :, :h, :w], alone, atol=1e-5)
        assert batched[b, :, h:, :].abs().sum() == 0 and batched[b, :, :, w:].abs().sum() == 0
        assert alone.abs().max() > 0.1


def test_editing_condition_changes_output_and_limit_is_enforced():
    model = tiny_decoder()
    kwargs = tiny_inputs(model, with_image=True)
    with torch.no_grad():
        edited = model(**kwargs)
        plain = model(**{**kwargs, "conditional_input": None})
    assert (edited[0] - plain[0]).abs().max() > 1e-3  # row 0 sees the conditioning latent
    assert torch.equal(edited[2], plain[2])  # row 2 has none
    too_many = [torch.randn(2, 4, 8, 8)] * 2 + [torch.zeros(0, 4, 8, 8)]  # 2 conditions on a 4x4 token grid
    with pytest.raises(ValueError, match="conditioning latent"):
        model(**{**kwargs, "conditional_input": too_many})


def test_inconsistent_inputs_raise():
    model = tiny_decoder()
    kwargs = tiny_inputs(model, with_image=True)
    bad_mask = kwargs["encoder_attention_mask"].clone()
    bad_mask[0, 0] = False
    with pytest.raises(ValueError, match="prefix"):
        model(**{**kwargs, "encoder_attention_mask": bad_mask})
    with pytest.raises(ValueError, match="1 run.*0 image"):
        model(**{**kwargs, "image_fhw_cond": None})
    with pytest.raises(ValueError, match="needs 9"):
        model(**{**kwargs, "image_fhw_cond": [torch.tensor([[1, 3, 3]])] + kwargs["image_fhw_cond"][1:]})
    with pytest.raises(ValueError, match="multiples of patch_size"):
        model(**{**kwargs, "image_grid_thw_gen": torch.tensor([[1, 7, 8]] * 3)})


# ---------------------------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------------------------


def test_sequence_positions_hand_computed():
    mask = torch.tensor([False, False, True, True, True, True, False])
    image_pos, text_pos = sequence_positions([(1, 4, 4), (1, 4, 4)], mask, [(1, 2, 2)])
    assert image_pos.shape == (32, 3)
    assert image_pos[0].tolist() == [0, -2, -2] and image_pos[15].tolist() == [0, 1, 1]
    assert image_pos[16].tolist() == [1, -2, -2]  # the condition latent is the next frame
    # text starts one past the latent block's largest coordinate (1); the ViT grid is centred at t = 4
    assert text_pos.tolist() == [[2, 2, 2], [3, 3, 3], [4, -1, -1], [4, -1, 0], [4, 0, -1], [4, 0, 0], [5, 5, 5]]


def test_position_scale_stretches_grid():
    pos = latent_grid_positions(1, 4, 1, scale=0.5)
    assert torch.allclose(pos[:, 1], torch.tensor([-4.0, -4 + 7 / 3, -4 + 14 / 3, 3.0]))
    assert pos[:, 2].tolist() == [-1.0] * 4  # a single column sits at -ceil(1/2) and is not stretched


def test_patchify_layout_and_round_trip():
    latents = torch.arange(2 * 4 * 6, dtype=torch.float32).reshape(2, 4, 6)
    tokens = patchify_latents(latents, 2)
    assert tokens.shape == (6, 8)
    # token 1 = rows 0-1, cols 2-3; features ordered (channel, dy, dx)
    assert tokens[1].tolist() == [2, 3, 8, 9, 26, 27, 32, 33]
    assert torch.equal(unpatchify_latents(tokens, 4, 6, 2), latents)


def test_stack_vlm_layers_order():
    hidden = [torch.full((1, 2, 3), float(i)) for i in range(4)]
    stacked = stack_vlm_layers(hidden, [-1, -2])
    assert stacked[0, 0].tolist() == [3, 3, 3, 2, 2, 2]
    with pytest.raises(ValueError, match="out of range"):
        stack_vlm_layers(hidden, [-5])


def test_prepare_condition_pads_with_learned_token():
    model = tiny_decoder(decoder_projector_type="identity", input_hidden_size=24)
    rows = [torch.randn(3, 24), torch.randn(10, 24)]
    states, attention_mask, image_mask = model.prepare_condition(rows)
    assert states.shape == (2, 10, 24)  # max(longest row 10, max_sequence_length 8)
    assert attention_mask.sum(1).tolist() == [3, 10] and not image_mask.any()
    assert torch.equal(states[0, 3:], model.encoder_padding_token.detach().expand(7, 24))
    fixed = tiny_decoder(decoder_projector_type="identity", input_hidden_size=24, pad_to_fix_length=True)
    states, attention_mask, _ = fixed.prepare_condition(rows)
    assert states.shape == (2, 8, 24) and attention_mask.sum(1).tolist() == [3, 8]  # truncated to 8


# ---------------------------------------------------------------------------------------------------------------
# The published size
# ---------------------------------------------------------------------------------------------------------------


def test_full_size_config_on_meta_device():
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    with torch.device("meta"):
        model = InternVLUGenerationDecoder(full_size_config())
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    params = list(model.parameters())
    assert all(p.is_meta for p in params)
    assert grown_mib < 200  # float32 weights would need ~7 GiB
    cfg = model.config.decoder_config
    assert (cfg.num_layers, cfg.num_attention_heads, cfg.inner_dim, cfg.joint_attention_dim) == (20, 12, 1536, 4096)
    assert model.decoder.transformer_blocks[0].img_mlp.net[0].proj.out_features == 6144
    assert len(model.state_dict()) == 654  # the published checkpoint's tensor count

    total = sum(p.numel() for p in params)
    assert total == 1_808_034_880
    # The paper's "1.7B" matches the head without the sigmoid-gate halves of the two query projections
    # (within 1%); with them the head has 1.81B, 6.4% above.
    gates = sum((m.weight.numel() + m.bias.numel()) // 2 for block in model.decoder.transformer_blocks
                for m in (block.attn.to_q, block.attn.add_q_proj))
    assert abs((total - gates) / 1.7e9 - 1) < 0.01
    assert abs(total / 1.7e9 - 1) < 0.07
