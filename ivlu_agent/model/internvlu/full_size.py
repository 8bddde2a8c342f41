"""InternVL-U from configs with random weights: the published full size, and small presets.

    python -m ivlu_agent.model.internvlu.full_size          # build the ~4B model on the meta device, count
    python -m ivlu_agent.model.internvlu.full_size --json   # the same, machine-readable

Presets:
  * `full`:  the published architecture. On `meta` nothing is allocated; on cuda use bf16.
  * `bench`: about 300 MB of float32 weights, for the load-memory and speed benchmarks.
  * `tiny`:  the size of the golden fixture, for tests.

Published facts used for `full` (INTERNVLU.md, fixture README, paper table): InternViT-300M (24 layers, 1024
wide, 16 heads, MLP 4096, patch 14, 448 px tiles, 256 tokens per tile after the 0.5 pixel shuffle); Qwen3-1.7B
(28 layers, 2048 wide, 16/8 heads of 128, FFN 6144, vocabulary 151936, untied lm_head as in the fixture);
the head of decoder.full_size_config(); Qwen-Image's VAE (diffusers' AutoencoderKLQwenImage defaults).
Not published, chosen from the official code's defaults: the processor's generation kwargs (VAE factor 8,
merge 2 so a 16 px stride, 4096..16384 latent pixels = 512^2..1024^2 px inputs), rope_theta 1e6 and a 40960
token context (Qwen3-1.7B's own config).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field, replace

import torch
from torch import nn

from .decoder import InternVLUGenerationDecoder, InternVLUGenerationDecoderConfig, InternVLUTransformerConfig
from .decoder import full_size_config as full_decoder_config
from .processor import TEMPLATES, GenImageConfig, InternVLUProcessor, VitImageConfig
from .vit import InternVisionConfig
from .vlm import InternVLUChatConfig, InternVLUChatModel

SCHEDULER_CONFIG = {  # the published scheduler/scheduler_config.json
    "_class_name": "DPMSolverMultistepScheduler", "algorithm_type": "dpmsolver++", "beta_end": 0.02,
    "beta_schedule": "linear", "beta_start": 0.0001, "dynamic_thresholding_ratio": 0.995, "euler_at_final": False,
    "final_sigmas_type": "zero", "flow_shift": 3.0, "lambda_min_clipped": -math.inf, "lower_order_final": True,
    "num_train_timesteps": 1000, "prediction_type": "flow_prediction", "rescale_betas_zero_snr": False,
    "sample_max_value": 1.0, "solver_order": 2, "solver_type": "midpoint", "steps_offset": 0, "thresholding": False,
    "timestep_spacing": "linspace", "trained_betas": None, "use_beta_sigmas": False,
    "use_exponential_sigmas": False, "use_flow_sigmas": True, "use_karras_sigmas": False, "use_lu_lambdas": False,
    "variance_type": None,
}
# Tokens of the chat format, in the fixture's id order (0 = pad, 2 = eos).
TOKENIZER_SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<img>", "</img>", "<IMG_CONTEXT>", "<quad>",
                      "</quad>", "<ref>", "</ref>", "<box>", "</box>", "<img_uncond>")
PAPER_PARAMS = {"vision": 0.3e9, "llm": 2.0e9, "head": 1.7e9}  # the paper's table


def qwen3_config(hidden: int, layers: int, heads: int, kv_heads: int, head_dim: int, ffn: int, vocab: int,
                 context: int = 40960) -> dict:
    return {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "attention_bias": False,
            "attention_dropout": 0.0, "bos_token_id": 0, "eos_token_id": 2, "head_dim": head_dim, "hidden_act": "silu",
            "hidden_size": hidden, "initializer_range": 0.02, "intermediate_size": ffn,
            "max_position_embeddings": context, "max_window_layers": layers, "num_attention_heads": heads,
            "num_hidden_layers": layers, "num_key_value_heads": kv_heads, "rms_norm_eps": 1e-6, "rope_scaling": None,
            "rope_theta": 1000000.0, "sliding_window": None, "tie_word_embeddings": False, "use_cache": True,
            "use_sliding_window": False, "vocab_size": vocab}


@dataclass
class Preset:
    vlm: InternVLUChatConfig
    decoder: InternVLUGenerationDecoderConfig
    vae: dict  # AutoencoderKLQwenImage kwargs
    vit_image: VitImageConfig
    gen_image: GenImageConfig
    scheduler: dict = field(default_factory=lambda: dict(SCHEDULER_CONFIG))


def _vlm(vit: InternVisionConfig, llm: dict) -> InternVLUChatConfig:
    return InternVLUChatConfig(vision_config=vit, llm_config=llm, downsample_ratio=0.5, select_layer=-1,
                               force_image_size=vit.image_size, template="qwen2_5-chat-v3")


def full_preset() -> Preset:
    vit = InternVisionConfig(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
                             patch_size=14, image_size=448)
    return Preset(
        vlm=_vlm(vit, qwen3_config(2048, 28, 16, 8, 128, 6144, 151936)),
        decoder=replace(full_decoder_config(), vae_downsample_factor=32),
        vae={},  # diffusers' defaults are Qwen-Image's VAE
        vit_image=VitImageConfig(size=448),
        gen_image=GenImageConfig(vae_downsample_factor=8, gen_down_sample_ratio=0.5, min_dynamic_patch=4096,
                                 max_dynamic_patch=16384))


def _small_decoder(width_heads: int, head_dim: int, layers: int, llm_hidden: int, axes: tuple, gen_size: int):
    return InternVLUGenerationDecoderConfig(
        decoder_config=InternVLUTransformerConfig(
            patch_size=2, in_channels=64, out_channels=16, num_layers=layers, attention_head_dim=head_dim,
            num_attention_heads=width_heads, joint_attention_dim=2 * llm_hidden, axes_dims_rope=axes),
        decoder_projector_type="identity", input_hidden_size=2 * llm_hidden, output_hidden_size=2 * llm_hidden,
        vlm_select_layer=[-1, -2], pad_to_fix_length=False, max_sequence_length=32, gen_image_height=gen_size,
        gen_image_width=gen_size, vae_downsample_factor=8)


def tiny_preset() -> Preset:
    """The fixture's sizes (ViT 2x32, LLM 2x64, head 2 layers of 2x16, VAE base 8), 32-64 px edit inputs."""
    vit = InternVisionConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                             patch_size=8, image_size=32, initializer_factor=0.5)
    return Preset(
        vlm=_vlm(vit, qwen3_config(64, 2, 4, 2, 16, 128, 1024, context=4096)),
        decoder=_small_decoder(2, 16, 2, 64, (4, 6, 6), 64),
        vae={"base_dim": 8, "dim_mult": [1, 2, 2, 2], "num_res_blocks": 1},
        vit_image=VitImageConfig(size=32),
        gen_image=GenImageConfig(min_dynamic_patch=16, max_dynamic_patch=64))


def bench_preset() -> Preset:
    """About 300 MB in float32: big enough that load memory is dominated by weights."""
    vit = InternVisionConfig(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024,
                             patch_size=14, image_size=224)
    return Preset(
        vlm=_vlm(vit, qwen3_config(512, 4, 8, 4, 64, 2048, 32000, context=8192)),
        decoder=_small_decoder(4, 64, 4, 512, (16, 24, 24), 256),
        vae={"base_dim": 32, "dim_mult": [1, 2, 4, 4], "num_res_blocks": 1},
        vit_image=VitImageConfig(size=224),
        gen_image=GenImageConfig(min_dynamic_patch=1024, max_dynamic_patch=4096))


PRESETS = {"tiny": tiny_preset, "bench": bench_preset, "full": full_preset}


def make_tokenizer(extra_text: str = ""):
    """A small byte-level BPE (about 1000 tokens) with InternVL-U's special tokens at the fixture's ids."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    corpus = list(TEMPLATES.values()) + [
        "What colour is the circle? A red circle on a white background.", "Change the circle to blue.",
        "Here is a random image:", "Generate an image based on reference images.", "system user assistant",
        "the quick brown fox jumps over the lazy dog 0123456789", extra_text]
    trainer = trainers.BpeTrainer(vocab_size=1000, special_tokens=list(TOKENIZER_SPECIALS), show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   additional_special_tokens=list(TOKENIZER_SPECIALS[1:]), padding_side="left")


@torch.no_grad()
def reinit_(module: nn.Module, generator: torch.Generator) -> None:
    """Weights far from ties (as the fixture was made): matrices N(0, 1/fan_in), embeddings N(0, 1),
    norm weights 1 + 0.1 N, biases 0.02 N, layer scales 0.5 + 0.1 N."""
    for name, p in module.named_parameters():
        leaf = name.rsplit(".", 1)[-1]
        noise = torch.randn(p.shape, generator=generator).to(p)
        if leaf in ("ls1", "ls2"):
            p.copy_(0.5 + 0.1 * noise)
        elif leaf == "bias":
            p.copy_(0.02 * noise)
        elif p.ndim == 1:
            p.copy_(1 + 0.1 * noise)
        elif "embed" in name or "encoder_padding_token" in name:
            p.copy_(noise)
        else:
            p.copy_(noise / math.sqrt(p[0].numel()))


def random_pipeline(preset: Preset, seed: int = 0, dtype: torch.dtype = torch.float32, device="cpu",
                    reinit: bool = True):
    """A complete InternVLUPipeline with random weights, built on `device` (deterministic for a seed).

    `reinit=False` keeps torch's default initialisation (faster at full size; enough for timing)."""
    from diffusers import AutoencoderKLQwenImage, DPMSolverMultistepScheduler

    from .pipeline import InternVLUPipeline

    torch.manual_seed(seed)
    with torch.device(device):
        vlm = InternVLUChatModel(preset.vlm)
        decoder = InternVLUGenerationDecoder(preset.decoder)
        vae = AutoencoderKLQwenImage(**preset.vae)
    if reinit:
        g = torch.Generator().manual_seed(seed)
        for m in (vlm, decoder):
            reinit_(m, g)
    processor = InternVLUProcessor(make_tokenizer(), preset.vit_image, preset.gen_image,
                                   image_seq_length=preset.vlm.num_image_token, template=preset.vlm.template)
    scheduler = DPMSolverMultistepScheduler.from_config(preset.scheduler)
    for m in (vlm, decoder, vae):
        m.eval().requires_grad_(False)
    pipe = InternVLUPipeline(vlm, decoder, vae, scheduler, processor)
    return pipe.to(device, dtype)


def count(module: nn.Module, skip=lambda name: False) -> int:
    return sum(p.numel() for n, p in module.named_parameters() if not skip(n))


def meta_counts(preset: Preset | None = None) -> dict[str, int]:
    """Parameter counts of every component, built on the meta device (nothing is allocated)."""
    from diffusers import AutoencoderKLQwenImage

    preset = preset or full_preset()
    with torch.device("meta"):
        vlm = InternVLUChatModel(preset.vlm)
        head = InternVLUGenerationDecoder(preset.decoder)
        vae = AutoencoderKLQwenImage(**preset.vae)
    tensors = [t for m in (vlm, head, vae) for t in m.parameters()]
    assert all(t.is_meta for t in tensors), "a parameter was allocated"
    inner = preset.decoder.decoder_config.inner_dim

    def gate_half(name: str, p) -> int:  # the q projections are 2x wide: query + sigmoid gate
        return p.numel() // 2 if name.endswith(("to_q.weight", "add_q_proj.weight", "to_q.bias",
                                                  "add_q_proj.bias")) and p.shape[0] == 2 * inner else 0

    lm = vlm.language_model
    return {
        "vision": count(vlm.vision_model),
        "projector": count(vlm.mlp1) + count(vlm.special_token_embedding),
        "llm": count(lm),
        "llm_without_lm_head": count(lm.model),
        "vlm": count(vlm),
        "head": count(head),
        "head_without_gates": count(head) - sum(gate_half(n, p) for n, p in head.named_parameters()),
        "vae": count(vae),
        "total": count(vlm) + count(head) + count(vae),
        "tensors_vlm": len(vlm.state_dict()) - (1 if lm.config.tie_word_embeddings else 0),
        "tensors_head": len(head.state_dict()),
        "tensors_vae": len(vae.state_dict()),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = ap.parse_args(argv)
    c = meta_counts()
    if args.json:
        print(json.dumps(c, indent=2))
        return 0
    rows = [("InternViT (understanding encoder)", c["vision"], "vision"),
            ("Qwen3 LLM, untied lm_head (context backbone)", c["llm"], "llm"),
            ("  of which without lm_head ('1.7B LLM')", c["llm_without_lm_head"], None),
            ("MLP projector + special token embeddings", c["projector"], None),
            ("generation head (MMDiT)", c["head"], "head"),
            ("  without the sigmoid-gate half of the q projections", c["head_without_gates"], None),
            ("VAE (AutoencoderKLQwenImage)", c["vae"], None),
            ("total", c["total"], None)]
    print("InternVL-U full size, random weights on the meta device (nothing allocated)")
    for label, n, key in rows:
        ref = f"  paper {PAPER_PARAMS[key] / 1e9:.1f}B, {100 * (n / PAPER_PARAMS[key] - 1):+.1f}%" if key else ""
        print(f"  {label:<55} {n / 1e9:7.3f}B{ref}")
    print(f"  tensors: vlm {c['tensors_vlm']}, generation_decoder {c['tensors_head']}, vae {c['tensors_vae']}")
    ok = (abs(c["vision"] / PAPER_PARAMS["vision"] - 1) <= 0.05 and abs(c["llm"] / PAPER_PARAMS["llm"] - 1) <= 0.05
          and abs(c["head_without_gates"] / PAPER_PARAMS["head"] - 1) <= 0.05)
    print("within 5% of the paper's table (head compared without its gate halves):", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
