"""InternVL-U `generation_decoder` component: config, condition padding/projection and the MMDiT it owns.

Its state dict is exactly the official one: `decoder.*` (the `InternVLUTransformer2DModel`), `encoder_padding_token`
and, for the `mlp2x_gelu` projector only, `decoder_projector.{0,2}.*`.

Interface for the pipeline
==========================
Shapes: B = rows in one call (3 per image: full condition, text dropped, unconditional, in that order),
N = VLM sequence length, D_llm = LLM hidden size, k = len(config.vlm_select_layer), Cz = VAE latent channels (16),
h, w = latent size (pixels // VAE factor).

1. `states = stack_vlm_layers(vlm_hidden_states, config.vlm_select_layer)`
   vlm_hidden_states: all hidden states of the VLM forward (embeddings first, n_layers + 1 entries of [B, N, D_llm]).
   Returns [B, N, k * D_llm], the selected layers concatenated in the listed order ([-1, -2]: last layer first).
2. Per row, cut the condition span: from the second `<|im_start|>` through the `<img>` that starts the generated
   image, both inclusive, padding excluded: `rows[b] = states[b, s:e + 1]` ([L_b, k * D_llm]) and
   `image_masks[b] = input_ids[b, s:e + 1] == IMG_CONTEXT_id` ([L_b] bool).
3. `encoder_hidden_states, encoder_attention_mask, encoder_image_token_mask = decoder.prepare_condition(rows,
   image_masks)` pads every row with the learned `encoder_padding_token` to max(longest row, max_sequence_length)
   (exactly max_sequence_length, truncating, if config.pad_to_fix_length) and applies the projector.
   Shapes [B, L, joint_attention_dim], [B, L] bool, [B, L] bool.
4. Per denoising step t (scheduler timestep on the 0..1000 scale, e.g. 999.0):
   `velocity = decoder(hidden_states, encoder_hidden_states, timestep, encoder_attention_mask=...,
   encoder_image_token_mask=..., image_fhw_cond=..., conditional_input=..., image_grid_thw_gen=...,
   image_grid_thw_gen_cond=...)` -> [B, Cz, h, w] (the model's flow velocity; the pipeline does CFG).
   - hidden_states [B, Cz, h, w]: the current latents repeated for the 3 rows (`torch.cat([latents] * 3)`).
   - timestep [B] float (or a scalar).
   - image_fhw_cond: per row a LongTensor [m_b, 3]: (1, vit_h, vit_w) token grid of each ViT image inside the row's
     condition span, in order (vit_h = pixel_h // vit_patch * downsample_ratio; 2x2 in the tiny fixture). Use
     `torch.zeros(0, 3, dtype=torch.long)` for rows without images. None = no images anywhere.
   - conditional_input (editing): per row a tensor [n_b, Cz, h_c, w_c] of clean input-image latents, normalised as
     (mode of the VAE posterior - latents_mean) / latents_std. Rows whose prompt has no image get [0, Cz, h, w]
     (in the official edit call: rows 0 and 1 carry the image, row 2 does not). None for text-to-image.
   - image_grid_thw_gen: [B, 3] long, (1, h, w) valid latent size of each row's target (from the processor's
     image_grid_thw_gen for the generated images); None = the whole latent.
   - image_grid_thw_gen_cond: per row a LongTensor [n_b, 3] of the conditioning latents' sizes; None = whole latents.
   Editing needs n_b < (min(h, w) // patch_size) // 2, e.g. at least a 64 px image for one input image.

Helpers also exported: `patchify_latents` / `unpatchify_latents` (2x2 latent patches <-> tokens),
`latent_grid_positions` / `sequence_positions` (MSRoPE positions). The transformer does all of this itself.

Positions: latent h/w are centred integer grids (a 1024 px image = 64x64 tokens, -32..31). Interpolation to another
grid is the config's `video_position_scale_factor` / `vlm_cond_position_scale_factor`, which stretch positions by
1/factor; the official code applies them as fixed config values (1.0 in every config seen), not per resolution.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import torch
from torch import nn

from .transformer import (
    InternVLUTransformer2DModel,
    InternVLUTransformerConfig,
    latent_grid_positions,
    patchify_latents,
    sequence_positions,
    unpatchify_latents,
)

__all__ = [
    "InternVLUGenerationDecoder",
    "InternVLUGenerationDecoderConfig",
    "InternVLUTransformerConfig",
    "check_state_dict",
    "full_size_config",
    "latent_grid_positions",
    "patchify_latents",
    "sequence_positions",
    "stack_vlm_layers",
    "unpatchify_latents",
]

MODEL_TYPE = "internvlu_generation_decoder"
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
# Keys that transformers-style config files carry besides the model's own fields; read and ignored.
METADATA_KEYS = {"architectures", "model_type", "is_composition", "torch_dtype", "dtype", "transformers_version",
                 "_name_or_path", "_commit_hash"}


@dataclass
class InternVLUGenerationDecoderConfig:
    """The `generation_decoder/config.json` fields. Defaults are the official code's defaults."""

    decoder_config: InternVLUTransformerConfig = field(default_factory=InternVLUTransformerConfig)  # the MMDiT
    decoder_projector_type: str = "mlp2x_gelu"  # "identity" or "mlp2x_gelu" (Linear-SiLU-Linear, 3x wide)
    input_hidden_size: int = 1536  # width of the stacked VLM states = LLM hidden * len(vlm_select_layer)
    output_hidden_size: int = 2304  # output width of the mlp2x_gelu projector (unused by identity)
    vlm_select_layer: list[int] = field(default_factory=lambda: [-1])  # VLM hidden-state layers, concatenated
    padding_encoder_hidden_states: bool = True  # whether the learned encoder_padding_token exists
    pad_to_fix_length: bool = True  # pad/truncate conditions to exactly max_sequence_length
    max_sequence_length: int = 512  # padded condition length (a minimum unless pad_to_fix_length)
    gen_image_height: int = 512  # image size the pipeline uses when the caller gives none
    gen_image_width: int = 512
    video_position_scale_factor: float = 1.0  # copied into decoder_config (this value wins), see transformer.py
    vlm_cond_position_scale_factor: float = 1.0  # likewise
    flow_shift: float = 3.0  # scheduler flow shift the head was trained with
    vae_downsample_factor: int = 32  # stored for the processor; the head itself does not use it
    all_cfg_scale: float = 0.0  # stored only; the pipeline takes the guidance scales as call arguments
    part_cfg_scale: float = 0.0
    # Stored only, so that configs round-trip: the VAE/visual projectors have no weights in the checkpoint, and
    # the rest configure training.
    vae_projector_type: str = "mlp2x_gelu"
    visual_input_hidden_size: int = 4096
    vae_input_hidden_size: int = 64
    qk_norm: str | None = None  # not read: the blocks always use per-head RMSNorm on q and k
    sigmas_as_weight: bool = False
    discrete_timestep: bool = False
    weighting_scheme: str | None = "logit_normal"
    logit_mean: float = 0.0
    logit_std: float = 1.0
    mode_scale: float = 1.29
    mask_weight_type: str | None = None
    region_weighting: bool = False

    def __post_init__(self):
        if isinstance(self.decoder_config, dict):
            self.decoder_config = InternVLUTransformerConfig.from_dict(self.decoder_config)
        # The official wrapper overwrites the transformer's position scales with its own.
        self.decoder_config = replace(self.decoder_config,
                                      video_position_scale_factor=self.video_position_scale_factor,
                                      vlm_cond_position_scale_factor=self.vlm_cond_position_scale_factor)
        joint = self.decoder_config.joint_attention_dim
        if self.decoder_projector_type == "identity":
            if self.input_hidden_size != joint:
                raise ValueError(f"decoder config: the identity projector needs input_hidden_size "
                                 f"({self.input_hidden_size}) == decoder_config.joint_attention_dim ({joint})")
        elif self.decoder_projector_type == "mlp2x_gelu":
            if self.output_hidden_size != joint:
                raise ValueError(f"decoder config: the mlp2x_gelu projector needs output_hidden_size "
                                 f"({self.output_hidden_size}) == decoder_config.joint_attention_dim ({joint})")
        else:
            raise ValueError(f"decoder config: decoder_projector_type must be 'identity' or 'mlp2x_gelu', "
                             f"got {self.decoder_projector_type!r}")
        if not self.vlm_select_layer or not all(isinstance(i, int) for i in self.vlm_select_layer):
            raise ValueError(f"decoder config: vlm_select_layer must be a non-empty list of ints, "
                             f"got {self.vlm_select_layer!r}")
        if self.max_sequence_length <= 0:
            raise ValueError(f"decoder config: max_sequence_length must be > 0, got {self.max_sequence_length}")

    @classmethod
    def from_dict(cls, data: dict) -> InternVLUGenerationDecoderConfig:
        if data.get("model_type", MODEL_TYPE) != MODEL_TYPE:
            raise ValueError(f"decoder config: model_type is {data['model_type']!r}, expected {MODEL_TYPE!r}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known - METADATA_KEYS)
        if unknown:
            raise ValueError(f"decoder config: unknown keys {unknown}")
        if data.get("decoder_config") is None:
            raise ValueError("decoder config: decoder_config (the transformer's shape) is missing")
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def from_json_file(cls, path: str | Path) -> InternVLUGenerationDecoderConfig:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no decoder config at {path}")
        return cls.from_dict(json.loads(path.read_text()))

    def to_dict(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["decoder_config"] = self.decoder_config.to_dict()
        data["vlm_select_layer"] = list(self.vlm_select_layer)
        return data


def full_size_config() -> InternVLUGenerationDecoderConfig:
    """The published head: 20 blocks, 12 heads x 128 = 1536 wide, FFN 6144, reading two 2048-wide LLM layers.

    Published: the table sizes, vlm_select_layer [-1, -2], identity projector, input width 4096, 16 latent channels,
    flow_shift 3.0, vae_downsample_factor 32 (its checkpoint has 654 tensors, which this structure reproduces).
    Not published, taken from the official code defaults: axes_dims_rope (16, 56, 56), position scale factors 1.0,
    pad_to_fix_length True with max_sequence_length 512, gen_image_height/width 512, output_hidden_size 2304 (unused).
    """
    return InternVLUGenerationDecoderConfig(
        decoder_config=InternVLUTransformerConfig(
            patch_size=2, in_channels=64, out_channels=16, num_layers=20, attention_head_dim=128,
            num_attention_heads=12, joint_attention_dim=4096, axes_dims_rope=(16, 56, 56)),
        decoder_projector_type="identity",
        input_hidden_size=4096,
        vlm_select_layer=[-1, -2],
        vae_downsample_factor=32,
        flow_shift=3.0,
    )


def stack_vlm_layers(hidden_states: Sequence[torch.Tensor], select_layers: Sequence[int]) -> torch.Tensor:
    """Concatenate the selected VLM hidden states ([B, N, D] each) along features, in the listed order."""
    n = len(hidden_states)
    bad = [i for i in select_layers if not -n <= i < n]
    if bad:
        raise ValueError(f"vlm_select_layer {list(select_layers)} includes {bad}, out of range for {n} hidden states")
    return torch.cat([hidden_states[i] for i in select_layers], dim=-1)


def check_state_dict(expected: dict[str, tuple], found: dict[str, tuple], source: str) -> None:
    """Raise one ValueError naming every missing, unexpected and mis-shaped key (name -> shape dicts)."""
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    misshaped = sorted(f"{k}: file {list(found[k])} vs model {list(expected[k])}"
                       for k in set(expected) & set(found) if tuple(found[k]) != tuple(expected[k]))
    if missing or unexpected or misshaped:
        parts = [f"{label} ({len(keys)}): {keys}" for label, keys in
                 (("missing", missing), ("unexpected", unexpected), ("mis-shaped", misshaped)) if keys]
        raise ValueError(f"{source} does not match the InternVL-U generation decoder config: " + "; ".join(parts))


class InternVLUGenerationDecoder(nn.Module):
    """Owns the MMDiT (`decoder`), the learned condition padding token and the condition projector."""

    def __init__(self, config: InternVLUGenerationDecoderConfig):
        super().__init__()
        self.config = config
        self.decoder = InternVLUTransformer2DModel(config.decoder_config)
        if config.padding_encoder_hidden_states:
            self.encoder_padding_token = nn.Parameter(torch.zeros(config.input_hidden_size))
        if config.decoder_projector_type == "mlp2x_gelu":  # the name is official; the activation is SiLU
            width = 3 * config.output_hidden_size
            self.decoder_projector = nn.Sequential(nn.Linear(config.input_hidden_size, width), nn.SiLU(),
                                                   nn.Linear(width, config.output_hidden_size))
        else:
            self.decoder_projector = nn.Identity()

    @property
    def dtype(self) -> torch.dtype:
        return self.decoder.dtype

    @property
    def device(self) -> torch.device:
        return self.decoder.img_in.weight.device

    def prepare_condition(self, states: Sequence[torch.Tensor],
                          image_token_masks: Sequence[torch.Tensor] | None = None,
                          ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Pad per-row condition states [L_b, input_hidden_size] into a batch and project them.

        Returns (encoder_hidden_states [B, L, joint_attention_dim], encoder_attention_mask [B, L] bool,
        encoder_image_token_mask [B, L] bool; all False when image_token_masks is None).
        """
        cfg = self.config
        if not cfg.padding_encoder_hidden_states:
            raise ValueError("this decoder has no encoder_padding_token (padding_encoder_hidden_states is false), "
                             "so it cannot pad per-row conditions")
        if isinstance(states, torch.Tensor) or len(states) == 0:
            raise ValueError("states must be a non-empty list of [L_b, input_hidden_size] tensors, one per row")
        for b, row in enumerate(states):
            if row.ndim != 2 or row.shape[1] != cfg.input_hidden_size:
                raise ValueError(f"states[{b}] must be [L, {cfg.input_hidden_size}], got {tuple(row.shape)}")
        if image_token_masks is not None:
            if len(image_token_masks) != len(states):
                raise ValueError(f"{len(image_token_masks)} image token masks for {len(states)} rows")
            for b, (row, m) in enumerate(zip(states, image_token_masks)):
                if tuple(m.shape) != (row.shape[0],):
                    raise ValueError(f"image_token_masks[{b}] must be [{row.shape[0]}], got {tuple(m.shape)}")

        longest = max(row.shape[0] for row in states)
        length = cfg.max_sequence_length if cfg.pad_to_fix_length else max(longest, cfg.max_sequence_length)
        pad = self.encoder_padding_token
        padded = pad[None, None].repeat(len(states), length, 1)
        attention_mask = torch.zeros(len(states), length, dtype=torch.bool, device=pad.device)
        image_mask = torch.zeros(len(states), length, dtype=torch.bool, device=pad.device)
        for b, row in enumerate(states):
            n = min(row.shape[0], length)
            padded[b, :n] = row[:n].to(device=pad.device, dtype=pad.dtype)
            attention_mask[b, :n] = True
            if image_token_masks is not None:
                image_mask[b, :n] = image_token_masks[b][:n].to(device=pad.device, dtype=torch.bool)
        return self.decoder_projector(padded), attention_mask, image_mask

    def forward(self, *args, **kwargs) -> torch.Tensor:
        """Velocity prediction; the arguments are those of `InternVLUTransformer2DModel.forward`."""
        return self.decoder(*args, **kwargs)

    @classmethod
    def from_config(cls, config: InternVLUGenerationDecoderConfig, torch_dtype: torch.dtype = torch.float32,
                    device: str | torch.device = "cpu") -> InternVLUGenerationDecoder:
        """A randomly initialised decoder (torch's default init) built directly on `device` in `torch_dtype`."""
        with torch.device(device):
            model = cls(config)
        return model.to(torch_dtype)

    @classmethod
    def from_pretrained(cls, folder: str | Path, torch_dtype: torch.dtype = torch.float32,
                        device: str | torch.device = "cpu") -> InternVLUGenerationDecoder:
        """Load `folder/config.json` + `folder/model.safetensors`; every tensor must be used, with its shape.

        The model is built on the meta device and the tensors are read one at a time straight onto `device` and
        assigned, so only one copy of the weights ever exists.
        """
        folder = Path(folder)
        config = InternVLUGenerationDecoderConfig.from_json_file(folder / CONFIG_NAME)
        weights = folder / WEIGHTS_NAME
        if not weights.is_file():
            raise FileNotFoundError(f"no decoder weights at {weights}")
        with torch.device("meta"):
            model = cls(config)
        expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}

        from safetensors import safe_open  # only needed when loading

        state = {}
        with safe_open(str(weights), framework="pt", device=str(torch.device(device))) as f:
            names = f.keys()  # a safe_open handle is not iterable itself
            check_state_dict(expected, {k: tuple(f.get_slice(k).get_shape()) for k in names}, str(weights))
            for key in names:
                tensor = f.get_tensor(key)
                state[key] = tensor.to(torch_dtype) if tensor.is_floating_point() else tensor
        model.load_state_dict(state, strict=True, assign=True)
        return model.eval()

    def save_pretrained(self, folder: str | Path) -> None:
        """Write `config.json` and `model.safetensors` in the official layout."""
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        config = self.config.to_dict()
        config.update(architectures=[type(self).__name__], model_type=MODEL_TYPE, is_composition=False,
                      torch_dtype=str(self.dtype).removeprefix("torch."), transformers_version=None)
        (folder / CONFIG_NAME).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        state = {k: v.detach().contiguous() for k, v in self.state_dict().items()}
        save_file(state, str(folder / WEIGHTS_NAME), metadata={"format": "pt"})
