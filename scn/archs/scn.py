"""SCN: residual blocks with scale-wise convolution over a bilinear feature pyramid (shared or un-shared bodies)."""

from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig
from ..layers import ScaleWiseConv, ScaleWiseResBlock, WideBody, level_sizes
from ..layers.packed import default_layout, fusion_spec, pack, packable, packed_block, packed_plan, unpack_finest
from ..layers.resample import bilinear
from .base import RestorationNet

OPERATORS = ("auto", "packed", "literal")


def build_pyramid(features: torch.Tensor, ratio: float, num_scales: int, align_corners: bool) -> list[torch.Tensor]:
    """Level 0 = `features`; each next level is the previous one bilinearly down-scaled (no anti-aliasing)."""
    sizes = level_sizes(features.shape[-2], features.shape[-1], ratio, num_scales)
    levels = [features]
    for size in sizes[1:]:
        levels.append(bilinear(levels[-1], size, align_corners))
    return levels


class SCN(RestorationNet):
    """Scale-wise convolutional network. With arch 'scn_unshared' each level has its own body (Table 5).

    `operator` chooses how the body runs; all give the same numbers (tests/test_packed.py):
    'packed' (`layers.packed`: the pyramid in canvases, a few kernels per block: the fast path where kernel
    launches set the time), 'literal' (level by level: fewest multiply-adds, the fast path on the CPU), or
    'auto' (the default: packed on CUDA and other accelerators, literal on the CPU). Configurations the packed
    operator does not serve (learned 'conv' resampler, un-shared bodies) and export (torch.export / ONNX, whose
    sizes stay symbolic) always run the literal one. `layout` is the packed layout ('one' / 'split'; None: 'one'
    on accelerators, 'split' on the CPU).
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        c = config
        shared = c.arch == "scn"

        def body() -> WideBody:
            return WideBody(c.num_features, c.width, c.num_blocks, c.weight_norm)

        self.body = nn.ModuleList(
            ScaleWiseResBlock(ScaleWiseConv(
                body() if shared else [body() for _ in range(c.num_scales)],
                c.num_features, c.scale_kernel, c.resampler, c.ratio, c.ends, c.align_corners,
                c.center_pointwise, c.weight_norm))
            for _ in range(c.num_blocks)
        )
        self.operator = "auto"
        self.layout: str | None = None
        self.packable = packable(c)  # whether the packed operator serves this network

    def uses_packed(self, device: torch.device) -> bool:
        if self.operator not in OPERATORS:
            raise ValueError(f"operator={self.operator!r}; choose one of {', '.join(OPERATORS)}")
        if self.operator == "literal" or torch.compiler.is_exporting() or not self.packable:
            return False
        return self.operator == "packed" or device.type != "cpu"

    def run_body(self, features: torch.Tensor, num_scales: int, ratio: float) -> torch.Tensor:
        if self.uses_packed(features.device):
            return self._run_packed(features, num_scales, ratio)
        levels = build_pyramid(features, ratio, num_scales, self.config.align_corners)
        for block in self.body:
            levels = block(levels)
        return levels[0]

    def _run_packed(self, features: torch.Tensor, num_scales: int, ratio: float) -> torch.Tensor:
        sizes = tuple(level_sizes(features.shape[-2], features.shape[-1], ratio, num_scales))
        spec = fusion_spec(self.config)
        layout = self.layout or default_layout(features.device)
        plan = packed_plan(sizes, spec, layout, features.shape[0], features.device, features.dtype)
        canvases = pack(features, plan)
        for block in self.body:
            canvases = packed_block(block.conv, canvases, plan)
        return unpack_finest(canvases, plan)
