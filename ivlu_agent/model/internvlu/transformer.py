"""InternVL-U generation head: a dual-stream MMDiT with sigmoid-gated joint attention and unified MSRoPE.

Read top to bottom: config -> MSRoPE positions -> small layers -> block -> model.

The model predicts a flow-matching velocity for VAE latents, conditioned on VLM hidden states. Two token streams
keep their own weights (modulation, QKV, output projection, FFN) and meet in one joint attention per block:

* image stream: 2x2 patches of the target latent, followed by 2x2 patches of the conditioning latents (editing);
* text stream:  the VLM condition tokens (text plus any ViT image tokens inside them).

Every token gets a 3-D (t, h, w) rotary position. Latent grids are centred on 0; text tokens count up from the end
of the latent block, and ViT tokens inside the text get their own centred grid (see `sequence_positions`).

Batch rows are independent sequences of different lengths. Both streams are padded to the longest row and padded
keys are masked in attention, so one call serves all classifier-free-guidance branches at once.

Parameter names match the official `InternVLUTransformer2DModel` state dict, so its checkpoints load unchanged.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn

ROPE_THETA = 10000  # fixed in the official code, not a config field
NORM_EPS = 1e-6  # every LayerNorm / RMSNorm in the head
TIMESTEP_FEATURES = 256  # width of the sinusoidal timestep features


@dataclass
class InternVLUTransformerConfig:
    """Shape of the MMDiT. Field names are those of the official `decoder_config` dict."""

    patch_size: int = 2  # latent pixels per patch side
    in_channels: int = 64  # features per input patch = latent channels * patch_size**2
    out_channels: int = 16  # latent channels predicted per latent pixel
    num_layers: int = 60  # dual-stream blocks (official default; the published head has 20)
    attention_head_dim: int = 128  # width of one attention head
    num_attention_heads: int = 24  # heads; model width = heads * head dim
    joint_attention_dim: int = 3584  # width of the incoming condition tokens (stacked VLM layers)
    axes_dims_rope: tuple[int, int, int] = (16, 56, 56)  # rotary dims for (t, h, w); must sum to the head dim
    video_position_scale_factor: float = 1.0  # h/w positions of latent grids are stretched by 1/this (1 = integers)
    vlm_cond_position_scale_factor: float = 1.0  # the same for ViT image tokens inside the text stream

    def __post_init__(self):
        self.axes_dims_rope = tuple(int(d) for d in self.axes_dims_rope)
        for name in ("patch_size", "in_channels", "out_channels", "num_layers", "attention_head_dim",
                     "num_attention_heads", "joint_attention_dim"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"transformer config: {name} must be a positive int, got {value!r}")
        if self.in_channels % self.patch_size**2:
            raise ValueError(f"transformer config: in_channels={self.in_channels} is not a multiple of "
                             f"patch_size**2={self.patch_size**2}")
        if len(self.axes_dims_rope) != 3 or any(d <= 0 or d % 2 for d in self.axes_dims_rope):
            raise ValueError(f"transformer config: axes_dims_rope must be three positive even ints, "
                             f"got {list(self.axes_dims_rope)}")
        if sum(self.axes_dims_rope) != self.attention_head_dim:
            raise ValueError(f"transformer config: axes_dims_rope {list(self.axes_dims_rope)} sums to "
                             f"{sum(self.axes_dims_rope)}, but attention_head_dim is {self.attention_head_dim}")
        for name in ("video_position_scale_factor", "vlm_cond_position_scale_factor"):
            if not getattr(self, name) > 0:
                raise ValueError(f"transformer config: {name} must be > 0, got {getattr(self, name)!r}")

    @property
    def inner_dim(self) -> int:
        return self.num_attention_heads * self.attention_head_dim

    @property
    def latent_channels(self) -> int:
        return self.in_channels // self.patch_size**2

    @classmethod
    def from_dict(cls, data: dict) -> InternVLUTransformerConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"transformer config: unknown keys {unknown}; expected a subset of {sorted(known)}")
        return cls(**data)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["axes_dims_rope"] = list(self.axes_dims_rope)
        return data


# ---------------------------------------------------------------------------------------------------------------
# Latent patches
# ---------------------------------------------------------------------------------------------------------------


def patchify_latents(latents: torch.Tensor, patch_size: int) -> torch.Tensor:
    """[C, H, W] latent -> [(H/p)*(W/p), C*p*p] tokens, row-major; features are ordered (channel, dy, dx)."""
    c, h, w = latents.shape
    p = patch_size
    if h % p or w % p:
        raise ValueError(f"latent size {h}x{w} is not a multiple of patch_size={p}")
    return latents.reshape(c, h // p, p, w // p, p).permute(1, 3, 0, 2, 4).reshape((h // p) * (w // p), c * p * p)


def unpatchify_latents(tokens: torch.Tensor, height: int, width: int, patch_size: int) -> torch.Tensor:
    """Inverse of `patchify_latents`: [(H/p)*(W/p), C*p*p] -> [C, H, W] for an H x W latent."""
    p = patch_size
    gh, gw = height // p, width // p
    if tokens.shape[0] != gh * gw or tokens.shape[1] % (p * p):
        raise ValueError(f"cannot unpatchify tokens of shape {tuple(tokens.shape)} into a {height}x{width} latent "
                         f"with patch_size={p}")
    c = tokens.shape[1] // (p * p)
    return tokens.reshape(gh, gw, c, p, p).permute(2, 0, 3, 1, 4).reshape(c, height, width)


# ---------------------------------------------------------------------------------------------------------------
# Unified MSRoPE: (t, h, w) positions for every token
# ---------------------------------------------------------------------------------------------------------------


def _centred_axis(n: int, scale: float, device=None) -> torch.Tensor:
    """Positions -ceil(n/2) .. floor(n/2)-1. With scale != 1 the same n points are spread linearly over the range
    a grid of n/scale points would cover (so 0.5 doubles the span); a single point stays put."""
    neg, pos = n - n // 2, n // 2
    idx = torch.arange(-neg, pos, dtype=torch.float32, device=device)
    if scale != 1.0 and n > 1:
        lo, hi = -int(neg / scale), int(pos / scale) - 1
        idx = lo + (idx + neg) * (hi - lo) / (n - 1)
    return idx


def latent_grid_positions(frames: int, height: int, width: int, scale: float = 1.0, first_frame: int = 0,
                          device=None) -> torch.Tensor:
    """[frames*height*width, 3] float (t, h, w) positions of a token grid, row-major over (t, h, w).

    `height`/`width` are in tokens (for VAE latents: latent pixels // patch_size). h and w are centred on 0, so a
    64x64 grid spans -32..31 whatever the image size; t counts frames from `first_frame`.
    """
    t = torch.arange(first_frame, first_frame + frames, dtype=torch.float32, device=device)
    h = _centred_axis(height, scale, device)
    w = _centred_axis(width, scale, device)
    grid = torch.meshgrid(t, h, w, indexing="ij")
    return torch.stack([g.flatten() for g in grid], dim=1)


def sequence_positions(latent_grids: list[tuple[int, int, int]], text_image_mask: torch.Tensor,
                       vit_grids: list[tuple[int, int, int]], latent_scale: float = 1.0, vit_scale: float = 1.0,
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """MSRoPE positions of one sequence: ([n_latent, 3] image-stream positions, [T, 3] text-stream positions).

    latent_grids:    (frames, h, w) token grids in image-stream order: the target first, then each conditioning
                     latent. They are stacked along t (target t=0, first condition t=1, ...), all centred in h/w.
    text_image_mask: [T] bool, True where a condition token is a ViT image token.
    vit_grids:       (frames, h, w) of each ViT image, in order; image i must be the i-th run of True in the mask.

    Text tokens take (n, n, n) with n counting up; the count starts one past the largest coordinate of the latent
    block. A ViT run takes its own centred grid with t shifted by the running count, and the count resumes one past
    that block's largest coordinate.
    """
    device = text_image_mask.device
    blocks, frame = [], 0
    for f, h, w in latent_grids:
        blocks.append(latent_grid_positions(f, h, w, latent_scale, first_frame=frame, device=device))
        frame += f
    image_pos = torch.cat(blocks)
    next_pos = int(image_pos.max().item()) + 1

    mask = text_image_mask.to(torch.bool).tolist()
    runs, start = [], None  # [start, end) of each run of ViT tokens
    for i, is_image in enumerate(mask + [False]):
        if is_image and start is None:
            start = i
        elif not is_image and start is not None:
            runs.append((start, i))
            start = None
    if runs and runs[0][0] == 0:
        raise ValueError("encoder_image_token_mask marks the first condition token as an image token; the condition "
                         "must start with text (the official head would silently mis-position it)")
    if len(runs) != len(vit_grids):
        raise ValueError(f"encoder_image_token_mask has {len(runs)} run(s) of image tokens but image_fhw_cond lists "
                         f"{len(vit_grids)} image(s); they must match one to one")

    text_pos = torch.zeros(len(mask), 3, dtype=torch.float32, device=device)
    cursor = 0
    for (start, end), (f, h, w) in zip(runs, vit_grids):
        if end - start != f * h * w:
            raise ValueError(f"image-token run at condition positions {start}..{end - 1} has {end - start} tokens, "
                             f"but its image_fhw_cond entry {[f, h, w]} needs {f * h * w}")
        text_pos[cursor:start] = torch.arange(next_pos, next_pos + start - cursor, device=device)[:, None]
        next_pos += start - cursor
        block = latent_grid_positions(f, h, w, vit_scale, device=device)
        block[:, 0] += next_pos
        text_pos[start:end] = block
        next_pos = int(block.max().item()) + 1
        cursor = end
    text_pos[cursor:] = torch.arange(next_pos, next_pos + len(mask) - cursor, device=device)[:, None]
    return image_pos, text_pos


def rope_cos_sin(positions: torch.Tensor, axes_dims: tuple[int, int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """[..., 3] positions -> (cos, sin), each [..., head_dim/2] float32: t, h and w frequencies side by side."""
    angles = []
    for axis, dim in enumerate(axes_dims):
        inv_freq = 1.0 / torch.pow(ROPE_THETA, torch.arange(0, dim, 2, device=positions.device).float().div(dim))
        angles.append(positions[..., axis, None].float() * inv_freq)
    angles = torch.cat(angles, dim=-1)
    return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate adjacent channel pairs (2i, 2i+1) of x [B, S, heads, D] by the angles behind cos/sin [B, S, D/2]."""
    pairs = x.float().unflatten(-1, (-1, 2))
    real, imag = pairs[..., 0], pairs[..., 1]
    cos, sin = cos[:, :, None], sin[:, :, None]
    rotated = torch.stack([real * cos - imag * sin, real * sin + imag * cos], dim=-1)
    return rotated.flatten(-2).to(x.dtype)


# ---------------------------------------------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------------------------------------------


class RMSNorm(nn.Module):
    """Root-mean-square norm with a learned scale; statistics in float32."""

    def __init__(self, dim: int, eps: float = NORM_EPS):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        variance = x.float().pow(2).mean(-1, keepdim=True)
        return (x * torch.rsqrt(variance + self.eps)).to(self.weight.dtype) * self.weight


def layer_norm(x: torch.Tensor) -> torch.Tensor:
    """Affine-free LayerNorm computed in float32 (bf16 statistics are too coarse)."""
    return F.layer_norm(x.float(), (x.shape[-1],), eps=NORM_EPS).to(x.dtype)


def sinusoidal_timestep_features(timestep: torch.Tensor, dim: int = TIMESTEP_FEATURES) -> torch.Tensor:
    """[B] scheduler timesteps (0..1000) -> [B, dim] float32 features, cosines first.

    The frequencies are scaled by another 1000, as in Qwen-Image; the op order is kept so the float32 angles (which
    reach ~1e6) round exactly as in the original.
    """
    half = dim // 2
    exponent = -math.log(10000) * torch.arange(half, dtype=torch.float32, device=timestep.device)
    freqs = torch.exp(exponent / half)
    angles = 1000 * (timestep[:, None].float() * freqs[None, :])
    return torch.cat([torch.cos(angles), torch.sin(angles)], dim=-1)


class TimestepEmbedder(nn.Module):
    """Sinusoidal features -> MLP -> the conditioning vector `temb` shared by all blocks."""

    def __init__(self, dim: int):
        super().__init__()
        self.linear_1 = nn.Linear(TIMESTEP_FEATURES, dim)
        self.linear_2 = nn.Linear(dim, dim)

    def forward(self, timestep: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        features = sinusoidal_timestep_features(timestep).to(dtype)
        return self.linear_2(F.silu(self.linear_1(features)))


class TimeEmbedding(nn.Module):
    """Holds the embedder under the name the checkpoint uses (`time_text_embed.timestep_embedder.*`)."""

    def __init__(self, dim: int):
        super().__init__()
        self.timestep_embedder = TimestepEmbedder(dim)

    def forward(self, timestep: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        return self.timestep_embedder(timestep, dtype)


class LinearGELU(nn.Module):
    def __init__(self, dim_in: int, dim_out: int):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.proj(x), approximate="tanh")


class FeedForward(nn.Module):
    """dim -> 4*dim (tanh-GELU) -> dim. `net.1` is a parameter-free dropout slot kept for the checkpoint's indices."""

    def __init__(self, dim: int, mult: int = 4):
        super().__init__()
        self.net = nn.Sequential(LinearGELU(dim, mult * dim), nn.Dropout(0.0), nn.Linear(mult * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class JointAttention(nn.Module):
    """One attention over image and text tokens; each stream has its own projections and a sigmoid output gate.

    The query projection of each stream is twice as wide: per head it yields [query | gate score], and the stream's
    output is `out_proj(attention) * sigmoid(gate score)`. Image-stream weights: to_q/to_k/to_v/to_out.0 and
    norm_q/norm_k; text-stream weights: add_q_proj/add_k_proj/add_v_proj/to_add_out and norm_added_q/norm_added_k.
    """

    def __init__(self, dim: int, heads: int, head_dim: int):
        super().__init__()
        self.heads, self.head_dim = heads, head_dim
        self.to_q = nn.Linear(dim, 2 * dim)
        self.to_k = nn.Linear(dim, dim)
        self.to_v = nn.Linear(dim, dim)
        self.add_q_proj = nn.Linear(dim, 2 * dim)
        self.add_k_proj = nn.Linear(dim, dim)
        self.add_v_proj = nn.Linear(dim, dim)
        self.norm_q, self.norm_k = RMSNorm(head_dim), RMSNorm(head_dim)
        self.norm_added_q, self.norm_added_k = RMSNorm(head_dim), RMSNorm(head_dim)
        self.to_out = nn.ModuleList([nn.Linear(dim, dim)])
        self.to_add_out = nn.Linear(dim, dim)

    def _qkv_gate(self, x, to_q, to_k, to_v, norm_q, norm_k):
        b, s, _ = x.shape
        query, gate = to_q(x).view(b, s, self.heads, 2 * self.head_dim).split(self.head_dim, dim=-1)
        key = to_k(x).view(b, s, self.heads, self.head_dim)
        value = to_v(x).view(b, s, self.heads, self.head_dim)
        return norm_q(query), norm_k(key), value, gate.reshape(b, s, -1)

    def forward(self, img: torch.Tensor, txt: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
                key_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        q_img, k_img, v_img, gate_img = self._qkv_gate(img, self.to_q, self.to_k, self.to_v, self.norm_q, self.norm_k)
        q_txt, k_txt, v_txt, gate_txt = self._qkv_gate(txt, self.add_q_proj, self.add_k_proj, self.add_v_proj,
                                                       self.norm_added_q, self.norm_added_k)
        query = apply_rope(torch.cat([q_img, q_txt], dim=1), cos, sin)
        key = apply_rope(torch.cat([k_img, k_txt], dim=1), cos, sin)
        value = torch.cat([v_img, v_txt], dim=1)
        out = F.scaled_dot_product_attention(query.transpose(1, 2), key.transpose(1, 2), value.transpose(1, 2),
                                             attn_mask=key_mask[:, None, None, :])
        out = out.transpose(1, 2).flatten(2)
        n_img = img.shape[1]
        img_out = self.to_out[0](out[:, :n_img]) * torch.sigmoid(gate_img)
        txt_out = self.to_add_out(out[:, n_img:]) * torch.sigmoid(gate_txt)
        return img_out, txt_out


def _modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return layer_norm(x) * (1 + scale) + shift


class InternVLUTransformerBlock(nn.Module):
    """Dual-stream block: per-stream adaLN modulation (shift, scale, gate twice) from temb, joint attention, FFN."""

    def __init__(self, dim: int, heads: int, head_dim: int):
        super().__init__()
        self.img_mod = nn.Sequential(nn.SiLU(), nn.Linear(dim, 6 * dim))
        self.txt_mod = nn.Sequential(nn.SiLU(), nn.Linear(dim, 6 * dim))
        self.attn = JointAttention(dim, heads, head_dim)
        self.img_mlp = FeedForward(dim)
        self.txt_mlp = FeedForward(dim)

    def forward(self, img, txt, temb, cos, sin, key_mask):
        i_shift1, i_scale1, i_gate1, i_shift2, i_scale2, i_gate2 = self.img_mod(temb)[:, None].chunk(6, dim=-1)
        t_shift1, t_scale1, t_gate1, t_shift2, t_scale2, t_gate2 = self.txt_mod(temb)[:, None].chunk(6, dim=-1)

        img_attn, txt_attn = self.attn(_modulate(img, i_shift1, i_scale1), _modulate(txt, t_shift1, t_scale1),
                                       cos, sin, key_mask)
        img = img + i_gate1 * img_attn
        txt = txt + t_gate1 * txt_attn

        img = img + i_gate2 * self.img_mlp(_modulate(img, i_shift2, i_scale2))
        txt = txt + t_gate2 * self.txt_mlp(_modulate(txt, t_shift2, t_scale2))
        if img.dtype == torch.float16:  # keep fp16 residuals finite
            img, txt = img.clip(-65504, 65504), txt.clip(-65504, 65504)
        return img, txt


class AdaNormOut(nn.Module):
    """Final adaLN: LayerNorm(x) * (1 + scale) + shift with (scale, shift) = linear(silu(temb)), in float32."""

    def __init__(self, dim: int):
        super().__init__()
        self.linear = nn.Linear(dim, 2 * dim)

    def forward(self, x: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        scale, shift = self.linear(F.silu(temb).to(x.dtype)).float().chunk(2, dim=-1)
        normed = F.layer_norm(x.float(), (x.shape[-1],), eps=NORM_EPS)
        return (normed * (1 + scale[:, None]) + shift[:, None]).to(x.dtype)


# ---------------------------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------------------------


def _as_grid_list(value, batch: int, name: str) -> list[list[list[int]]] | None:
    """None or a per-row sequence of [n, 3] grids (tensors or lists) -> list of lists of [f, h, w]."""
    if value is None:
        return None
    if len(value) != batch:
        raise ValueError(f"{name} must have one entry per batch row ({batch}), got {len(value)}")
    rows = []
    for b, grids in enumerate(value):
        grids = grids.tolist() if isinstance(grids, torch.Tensor) else [list(g) for g in grids]
        if any(len(g) != 3 for g in grids):
            raise ValueError(f"{name}[{b}] must be a list of [frames, height, width] triples, got {grids}")
        rows.append([[int(x) for x in g] for g in grids])
    return rows


@dataclass
class _Rows:
    """Validated forward arguments, one entry per batch row where it is a list."""

    timestep: torch.Tensor  # [B]
    text_mask: torch.Tensor  # [B, L] bool, a prefix of True
    text_lens: list[int]  # valid condition tokens per row
    image_token_mask: torch.Tensor  # [B, L] bool, ViT tokens in the condition
    gen_grids: list[list[int]]  # (1, h, w) target latent size
    vit_grids: list[list[list[int]]]  # (f, h, w) per ViT image
    cond_latents: list[list[torch.Tensor]]  # [C, Hc, Wc] per conditioning latent
    cond_grids: list[list[list[int]]]  # (1, h, w) per conditioning latent


class InternVLUTransformer2DModel(nn.Module):
    """Velocity predictor. See `forward` for the inputs; the module docstring for the token layout."""

    def __init__(self, config: InternVLUTransformerConfig):
        super().__init__()
        self.config = config
        dim = config.inner_dim
        p = config.patch_size
        self.time_text_embed = TimeEmbedding(dim)
        self.txt_norm = RMSNorm(config.joint_attention_dim)  # variance normalisation of the VLM states
        self.txt_in = nn.Linear(config.joint_attention_dim, dim)
        self.img_in = nn.Linear(config.in_channels, dim)
        self.transformer_blocks = nn.ModuleList(
            InternVLUTransformerBlock(dim, config.num_attention_heads, config.attention_head_dim)
            for _ in range(config.num_layers))
        self.norm_out = AdaNormOut(dim)
        self.proj_out = nn.Linear(dim, p * p * config.out_channels)

    @property
    def dtype(self) -> torch.dtype:
        return self.img_in.weight.dtype

    def forward(
        self,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor,
        timestep: torch.Tensor,
        encoder_attention_mask: torch.Tensor | None = None,
        encoder_image_token_mask: torch.Tensor | None = None,
        image_fhw_cond=None,
        conditional_input=None,
        image_grid_thw_gen: torch.Tensor | None = None,
        image_grid_thw_gen_cond=None,
    ) -> torch.Tensor:
        """Predict the velocity of every batch row.

        hidden_states:            [B, C, H, W] noisy latents (C = in_channels / patch_size**2). Row b uses its top-left
                                  image_grid_thw_gen[b] region; the rest is padding.
        encoder_hidden_states:    [B, L, joint_attention_dim] condition tokens (padded, projected, before txt_norm).
        timestep:                 [B] (or scalar) scheduler timesteps on the 0..1000 scale. Cast to the latents'
                                  dtype first, as the official head does (in bf16, 999 becomes 1000).
        encoder_attention_mask:   [B, L] bool, a prefix of True per row (valid tokens first). None = all valid.
        encoder_image_token_mask: [B, L] bool, True at ViT image tokens inside the condition. None = none.
        image_fhw_cond:           per row, [m_b, 3] (frames, h, w) token grid of each ViT image in the condition,
                                  in order of appearance. None = no ViT images.
        conditional_input:        per row, [n_b, C, Hc, Wc] clean VAE latents of the images to edit (n_b may be 0).
        image_grid_thw_gen:       [B, 3] (1, h, w) latent size of each target row; None = the full H x W.
        image_grid_thw_gen_cond:  per row, [n_b, 3] (1, h, w) latent size of each conditioning latent; None = full.

        Returns [B, out_channels, H, W]; outside each row's target region it is zero.
        """
        rows = self._check_inputs(hidden_states, encoder_hidden_states, timestep, encoder_attention_mask,
                                  encoder_image_token_mask, image_fhw_cond, conditional_input, image_grid_thw_gen,
                                  image_grid_thw_gen_cond)
        img_tokens, cos, sin, img_valid, txt_valid, gen_counts = self._layout(hidden_states, rows)
        dtype, p = self.dtype, self.config.patch_size

        temb = self.time_text_embed(rows.timestep.to(hidden_states.dtype), dtype)
        img = self.img_in(img_tokens)
        txt = self.txt_in(self.txt_norm(encoder_hidden_states[:, :txt_valid.shape[1]].to(dtype)))
        # Padded slots are masked as keys; zero them so nothing non-finite can leak through 0 * value.
        img = img.masked_fill(~img_valid[..., None], 0)
        txt = txt.masked_fill(~txt_valid[..., None], 0)
        key_mask = torch.cat([img_valid, txt_valid], dim=1)

        for block in self.transformer_blocks:
            img, txt = block(img, txt, temb, cos, sin, key_mask)

        velocity = self.proj_out(self.norm_out(img[:, :max(gen_counts)], temb))
        batch, _, height, width = hidden_states.shape
        output = velocity.new_zeros(batch, self.config.out_channels, height, width)
        for b, (_, gh, gw) in enumerate(rows.gen_grids):
            output[b, :, :gh, :gw] = unpatchify_latents(velocity[b, :gen_counts[b]], gh, gw, p)
        return output

    def _layout(self, hidden_states: torch.Tensor, rows: _Rows):
        """Patchify each row's target and condition latents into one padded image stream and compute the MSRoPE
        angles of both streams. Returns (patch tokens [B, I, in_channels], cos, sin [B, I+T, head_dim/2],
        image-slot validity [B, I], text-slot validity [B, T], target token count per row)."""
        cfg, p = self.config, self.config.patch_size
        device, batch = hidden_states.device, hidden_states.shape[0]
        img_rows, img_pos_rows, txt_pos_rows, gen_counts = [], [], [], []
        for b in range(batch):
            _, gh, gw = rows.gen_grids[b]
            patches = [patchify_latents(hidden_states[b, :, :gh, :gw], p)]
            token_grids = [(1, gh // p, gw // p)]
            for latent, (_, ch, cw) in zip(rows.cond_latents[b], rows.cond_grids[b]):
                patches.append(patchify_latents(latent[:, :ch, :cw], p))
                token_grids.append((1, ch // p, cw // p))
            img_rows.append(torch.cat(patches))
            gen_counts.append(patches[0].shape[0])
            img_pos, txt_pos = sequence_positions(
                token_grids, rows.image_token_mask[b, :rows.text_lens[b]], [tuple(g) for g in rows.vit_grids[b]],
                cfg.video_position_scale_factor, cfg.vlm_cond_position_scale_factor)
            img_pos_rows.append(img_pos)
            txt_pos_rows.append(txt_pos)

        img_lens = [r.shape[0] for r in img_rows]
        n_img, n_txt = max(img_lens), max(rows.text_lens)
        img_tokens = torch.zeros(batch, n_img, cfg.in_channels, device=device, dtype=self.dtype)
        positions = torch.zeros(batch, n_img + n_txt, 3, device=device)
        for b in range(batch):
            img_tokens[b, :img_lens[b]] = img_rows[b].to(self.dtype)
            positions[b, :img_lens[b]] = img_pos_rows[b]
            positions[b, n_img:n_img + rows.text_lens[b]] = txt_pos_rows[b]
        cos, sin = rope_cos_sin(positions, cfg.axes_dims_rope)
        img_valid = torch.arange(n_img, device=device)[None] < torch.tensor(img_lens, device=device)[:, None]
        txt_valid = rows.text_mask[:, :n_txt].to(device)
        return img_tokens, cos, sin, img_valid, txt_valid, gen_counts

    def _check_inputs(self, hidden_states, encoder_hidden_states, timestep, encoder_attention_mask,
                      encoder_image_token_mask, image_fhw_cond, conditional_input, image_grid_thw_gen,
                      image_grid_thw_gen_cond) -> _Rows:
        """Validate the forward arguments and normalise them into per-row Python lists."""
        cfg, p = self.config, self.config.patch_size
        if hidden_states.ndim != 4 or hidden_states.shape[1] != cfg.latent_channels:
            raise ValueError(f"hidden_states must be [B, {cfg.latent_channels}, H, W], got {tuple(hidden_states.shape)}")
        batch, _, height, width = hidden_states.shape
        if encoder_hidden_states.ndim != 3 or encoder_hidden_states.shape[0] != batch \
                or encoder_hidden_states.shape[2] != cfg.joint_attention_dim:
            raise ValueError(f"encoder_hidden_states must be [{batch}, L, {cfg.joint_attention_dim}], "
                             f"got {tuple(encoder_hidden_states.shape)}")
        cond_len = encoder_hidden_states.shape[1]
        timestep = torch.as_tensor(timestep, device=hidden_states.device).reshape(-1)
        if timestep.numel() == 1:
            timestep = timestep.expand(batch)
        if timestep.numel() != batch:
            raise ValueError(f"timestep must be a scalar or have {batch} entries, got {timestep.numel()}")

        text_mask = self._check_mask(encoder_attention_mask, batch, cond_len, "encoder_attention_mask", True)
        image_token_mask = self._check_mask(encoder_image_token_mask, batch, cond_len, "encoder_image_token_mask",
                                            False)
        text_lens = text_mask.sum(dim=1).tolist()
        if not torch.equal(text_mask, torch.arange(cond_len, device=text_mask.device)[None] <
                           torch.tensor(text_lens, device=text_mask.device)[:, None]):
            raise ValueError("encoder_attention_mask must mark the valid tokens at the start of each row "
                             "(a prefix of True); pad conditions at the end")

        if image_grid_thw_gen is None:
            gen_grids = [[1, height, width]] * batch
        else:
            gen_grids = _as_grid_list([image_grid_thw_gen], 1, "image_grid_thw_gen")[0]
            if len(gen_grids) != batch:
                raise ValueError(f"image_grid_thw_gen must be [{batch}, 3], got {len(gen_grids)} rows")
        for b, (f, h, w) in enumerate(gen_grids):
            if f != 1 or not (0 < h <= height and 0 < w <= width) or h % p or w % p:
                raise ValueError(f"image_grid_thw_gen[{b}] = {[f, h, w]} must be (1, h, w) with h <= {height}, "
                                 f"w <= {width}, both multiples of patch_size={p}")
        vit_grids = _as_grid_list(image_fhw_cond, batch, "image_fhw_cond") or [[] for _ in range(batch)]
        cond_latents, cond_grids = self._check_conditions(conditional_input, image_grid_thw_gen_cond, batch)
        num_conds_max = max(len(g) for g in cond_grids)
        if num_conds_max:
            # Condition latents take t = 1..n; the official head only supports fewer than half the grid side.
            limit = int(min(min(h for _, h, _ in gen_grids), min(w for _, _, w in gen_grids)) // p // 2
                        / cfg.video_position_scale_factor)
            if num_conds_max >= limit:
                raise ValueError(f"{num_conds_max} conditioning latent(s) per row, but a {height}x{width} latent "
                                 f"allows fewer than {limit}; use a larger image or fewer condition images")
        return _Rows(timestep, text_mask, text_lens, image_token_mask, gen_grids, vit_grids, cond_latents,
                     cond_grids)

    @staticmethod
    def _check_mask(mask, batch: int, length: int, name: str, default: bool) -> torch.Tensor:
        if mask is None:
            return torch.full((batch, length), default, dtype=torch.bool)
        if tuple(mask.shape) != (batch, length):
            raise ValueError(f"{name} must be [{batch}, {length}], got {tuple(mask.shape)}")
        return mask.to(torch.bool)

    def _check_conditions(self, conditional_input, grids_cond, batch: int):
        """Per-row lists of conditioning latents [C, Hc, Wc] and their (1, h, w) valid sizes."""
        p, channels = self.config.patch_size, self.config.latent_channels
        if conditional_input is None:
            if grids_cond is not None and any(len(g) for g in grids_cond):
                raise ValueError("image_grid_thw_gen_cond was given without conditional_input")
            return [[] for _ in range(batch)], [[] for _ in range(batch)]
        if len(conditional_input) != batch:
            raise ValueError(f"conditional_input must have one entry per batch row ({batch}), "
                             f"got {len(conditional_input)}")
        latents = []
        for b, cond in enumerate(conditional_input):
            if cond.ndim != 4 or cond.shape[1] != channels:
                raise ValueError(f"conditional_input[{b}] must be [n, {channels}, H, W], got {tuple(cond.shape)}")
            latents.append(list(cond))
        grids = _as_grid_list(grids_cond, batch, "image_grid_thw_gen_cond")
        if grids is None:
            grids = [[[1, c.shape[-2], c.shape[-1]] for c in row] for row in latents]
        for b, (row, row_grids) in enumerate(zip(latents, grids)):
            if len(row) != len(row_grids):
                raise ValueError(f"row {b}: {len(row)} conditional_input latent(s) but {len(row_grids)} "
                                 f"image_grid_thw_gen_cond entries")
            for latent, (f, h, w) in zip(row, row_grids):
                if f != 1 or not (0 < h <= latent.shape[-2] and 0 < w <= latent.shape[-1]) or h % p or w % p:
                    raise ValueError(f"row {b}: image_grid_thw_gen_cond entry {[f, h, w]} must be (1, h, w) within "
                                     f"the latent {tuple(latent.shape[-2:])}, multiples of patch_size={p}")
        return latents, grids
