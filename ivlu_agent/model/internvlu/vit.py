"""InternViT: the understanding encoder of InternVL-U, plus the pixel-shuffle projector input.

A plain pre-norm ViT with a class token, learned (bicubic-interpolated) position embeddings and
per-channel layer scales (`ls1`, `ls2`) on both residual branches. Parameter names follow the official
checkpoint (`vision_model.*`), so a state dict loads without renaming.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class InternVisionConfig:
    hidden_size: int = 1024  # token width
    num_hidden_layers: int = 24
    num_attention_heads: int = 16  # head_dim = hidden_size // num_attention_heads
    intermediate_size: int = 4096  # MLP width
    patch_size: int = 14  # conv patch side in pixels
    image_size: int = 448  # tile side; the position-embedding grid is image_size // patch_size square
    num_channels: int = 3
    qkv_bias: bool = True
    qk_normalization: bool = False  # RMSNorm over q and k (all heads together), InternViT-6B style
    norm_type: str = "layer_norm"  # "layer_norm" or "rms_norm"
    layer_norm_eps: float = 1e-6
    hidden_act: str = "gelu"  # exact (erf) GELU
    initializer_factor: float = 0.1  # initial value of the ls1/ls2 layer scales
    extra: dict = field(default_factory=dict)  # config.json keys we do not use, kept for a faithful save

    @classmethod
    def from_dict(cls, d: dict) -> InternVisionConfig:
        known = {f.name for f in fields(cls)} - {"extra"}
        return cls(**{k: v for k, v in d.items() if k in known}, extra={k: v for k, v in d.items() if k not in known})

    def to_dict(self) -> dict:
        out = dict(self.extra)
        out.update({f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"})
        out.setdefault("architectures", ["InternVisionModel"])
        out.setdefault("model_type", "intern_vit_6b")
        return out


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x.float()
        y = y * torch.rsqrt(y.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * y.to(x.dtype)


def _norm(cfg: InternVisionConfig) -> nn.Module:
    if cfg.norm_type == "layer_norm":
        return nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
    if cfg.norm_type == "rms_norm":
        return RMSNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
    raise ValueError(f"vision_config.norm_type must be 'layer_norm' or 'rms_norm', got {cfg.norm_type!r}")


class VisionEmbeddings(nn.Module):
    def __init__(self, cfg: InternVisionConfig):
        super().__init__()
        self.grid = cfg.image_size // cfg.patch_size
        self.class_embedding = nn.Parameter(torch.zeros(1, 1, cfg.hidden_size))
        self.patch_embedding = nn.Conv2d(cfg.num_channels, cfg.hidden_size, cfg.patch_size, stride=cfg.patch_size)
        self.position_embedding = nn.Parameter(torch.zeros(1, self.grid * self.grid + 1, cfg.hidden_size))

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        dtype = self.patch_embedding.weight.dtype
        x = self.patch_embedding(pixel_values.to(dtype))  # [B, C, h, w]
        b, _, h, w = x.shape
        x = torch.cat([self.class_embedding.to(dtype).expand(b, 1, -1), x.flatten(2).transpose(1, 2)], dim=1)
        # Patch positions live on a grid x grid lattice; resample them (in fp32) to the actual h x w.
        pos = self.position_embedding[:, 1:].float().reshape(1, self.grid, self.grid, -1).permute(0, 3, 1, 2)
        pos = F.interpolate(pos, size=(h, w), mode="bicubic", align_corners=False)
        pos = pos.flatten(2).transpose(1, 2).to(dtype)
        return x + torch.cat([self.position_embedding[:, :1].to(dtype), pos], dim=1)


class VisionAttention(nn.Module):
    def __init__(self, cfg: InternVisionConfig):
        super().__init__()
        self.n_head = cfg.num_attention_heads
        self.qkv = nn.Linear(cfg.hidden_size, 3 * cfg.hidden_size, bias=cfg.qkv_bias)
        self.proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.qk_norm = cfg.qk_normalization
        if self.qk_norm:
            self.q_norm = RMSNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
            self.k_norm = RMSNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=-1)
        if self.qk_norm:
            q, k = self.q_norm(q), self.k_norm(k)
        q, k, v = (t.view(b, n, self.n_head, c // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v)
        return self.proj(y.transpose(1, 2).reshape(b, n, c))


class VisionMLP(nn.Module):
    def __init__(self, cfg: InternVisionConfig):
        super().__init__()
        if cfg.hidden_act != "gelu":
            raise ValueError(f"vision_config.hidden_act {cfg.hidden_act!r} is not supported (only 'gelu')")
        self.fc1 = nn.Linear(cfg.hidden_size, cfg.intermediate_size)
        self.fc2 = nn.Linear(cfg.intermediate_size, cfg.hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class VisionBlock(nn.Module):
    def __init__(self, cfg: InternVisionConfig):
        super().__init__()
        self.norm1, self.norm2 = _norm(cfg), _norm(cfg)
        self.attn = VisionAttention(cfg)
        self.mlp = VisionMLP(cfg)
        self.ls1 = nn.Parameter(torch.full((cfg.hidden_size,), cfg.initializer_factor))
        self.ls2 = nn.Parameter(torch.full((cfg.hidden_size,), cfg.initializer_factor))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x)) * self.ls1
        return x + self.mlp(self.norm2(x)) * self.ls2


class VisionEncoder(nn.Module):
    def __init__(self, cfg: InternVisionConfig):
        super().__init__()
        self.layers = nn.ModuleList(VisionBlock(cfg) for _ in range(cfg.num_hidden_layers))


class InternVisionModel(nn.Module):
    def __init__(self, cfg: InternVisionConfig):
        super().__init__()
        self.config = cfg
        self.embeddings = VisionEmbeddings(cfg)
        self.encoder = VisionEncoder(cfg)

    def forward(self, pixel_values: torch.Tensor, select_layer: int = -1) -> torch.Tensor:
        """[B, 3, H, W] pixels -> [B, 1 + h*w, C] tokens of layer `select_layer` (-1: the last block)."""
        x = self.embeddings(pixel_values)
        states = [x]
        for block in self.encoder.layers:
            x = block(x)
            states.append(x)
        return states[select_layer]


def pixel_shuffle(x: torch.Tensor, scale: float) -> torch.Tensor:
    """Fold neighbouring tokens into channels: [N, h, w, C] -> [N, h*w*scale^2, C/scale^2] ("v2" ordering).

    First pairs of columns are merged into channels, then pairs of rows, so each output token holds a
    (1/scale) x (1/scale) window with the row-neighbour outermost.
    """
    n, h, w, c = x.shape
    x = x.reshape(n, h, int(w * scale), int(c / scale)).transpose(1, 2)
    x = x.reshape(n, int(w * scale), int(h * scale), int(c / (scale * scale))).transpose(1, 2)
    return x.reshape(n, -1, int(c / (scale * scale)))
