"""SCN: residual blocks with scale-wise convolution over a bilinear feature pyramid (shared or un-shared bodies)."""

from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig, register, register_architecture, register_family
from ..errors import ConfigError
from ..layers import ScaleWiseConv, ScaleWiseResBlock, WideBody, integer_factor, level_sizes
from ..layers.packed import FusionSpec, default_layout, pack, packed_block, packed_plan, unpack_finest
from ..layers.resample import bilinear
from .base import RestorationNet, wide_body_macs

RESAMPLERS = ("bilinear", "avgpool", "conv")  # the fusion's resampling h_i (ModelConfig.resampler)
ENDS = ("reference", "zero")  # what a level without a neighbour takes (ModelConfig.ends)

OPERATORS = ("auto", "packed", "literal")


def build_pyramid(features: torch.Tensor, ratio: float, num_scales: int, align_corners: bool) -> list[torch.Tensor]:
    """Level 0 = `features`; each next level is the previous one bilinearly down-scaled (no anti-aliasing)."""
    sizes = level_sizes(features.shape[-2], features.shape[-1], ratio, num_scales)
    levels = [features]
    for size in sizes[1:]:
        levels.append(bilinear(levels[-1], size, align_corners))
    return levels


def block_outputs(num_blocks: int, depth: int, k: int) -> list[int]:
    """How many of the finest levels each block must output for the network's level 0: all but in the last
    blocks, whose coarse levels nothing reads (the last outputs 1, the one before 1 + k, ...)."""
    return [min(depth, 1 + k * (num_blocks - 1 - b)) for b in range(num_blocks)]


def packable(config: ModelConfig) -> bool:
    """Whether the packed operator serves this network: a shared body and fixed resamplers (else the literal
    operator runs)."""
    return config.shared and (config.resampler in ("bilinear", "avgpool") or config.scale_kernel == 0)


def fusion_spec(config: ModelConfig) -> FusionSpec:
    """What the packed operator's fixed maps depend on, from the configuration."""
    factor = (integer_factor(config.ratio) or 0) if config.resampler == "avgpool" else 0
    return FusionSpec(config.resampler, config.align_corners, factor, config.scale_kernel, config.ends,
                      config.center_pointwise)


@register_architecture("scn")
class SCN(RestorationNet):
    """Scale-wise convolutional network. With `shared=False` each level has its own body (Table 5).

    `operator` chooses how the body runs; all give the same numbers (tests/test_packed.py):
    'packed' (`layers.packed`: the pyramid in canvases, a few kernels per block: the fast path where kernel
    launches set the time), 'literal' (level by level: fewest multiply-adds, the fast path on the CPU and for
    inference), or 'auto' (the default: packed for training on CUDA and other accelerators, literal on the CPU
    and wherever autograd is off, where it measured faster on an H200: docs/speed.md). Configurations the packed
    operator does not serve (learned 'conv' resampler, un-shared bodies) and export (torch.export / ONNX, whose
    sizes stay symbolic) always run the literal one. `layout` is the packed layout ('one' / 'split'; None: 'one'
    on accelerators, 'split' on the CPU).
    """

    own_fields = frozenset({"scale_kernel", "resampler", "ends", "center_pointwise", "shared"})

    @classmethod
    def check_config(cls, config: ModelConfig) -> None:
        for name, allowed in (("resampler", RESAMPLERS), ("ends", ENDS)):
            if getattr(config, name) not in allowed:
                raise ConfigError(f"{name}={getattr(config, name)!r} is not allowed; choose one of "
                                  f"{', '.join(allowed)}")
        if config.scale_kernel < 0:
            raise ConfigError(f"scale_kernel={config.scale_kernel} is not allowed; k must be >= 0 (kernel 2k+1)")
        if config.resampler != "bilinear" and integer_factor(config.ratio) is None:
            raise ConfigError(
                f"resampler={config.resampler!r} needs 1/ratio to be an integer (ratio 1/2, 1/3, ...), "
                f"got ratio={config.ratio:g}; use resampler='bilinear' for any ratio"
            )

    @classmethod
    def can_match_residual(cls, config: ModelConfig) -> bool:
        return config.shared

    @classmethod
    def eval_depths(cls, config: ModelConfig) -> tuple[int, int | None]:
        return 1, None if config.shared else config.num_scales  # un-shared: one body per level it was built with

    @classmethod
    def check_eval_ratio(cls, config: ModelConfig, ratio: float) -> None:
        if config.resampler != "bilinear":
            raise ConfigError(f"resampler={config.resampler!r} is tied to ratio {config.ratio:g}; only bilinear "
                              "models can be evaluated at another ratio")

    @classmethod
    def body_macs(cls, config: ModelConfig, pixels: list[int]) -> int:
        c, f, levels = config, config.num_features, len(pixels)
        factor = integer_factor(c.ratio) or 1
        total = 0
        for outputs in block_outputs(c.num_blocks, levels, c.scale_kernel):
            total += sum(pixels[:min(levels, outputs + c.scale_kernel)]) * wide_body_macs(c)
            for s in range(outputs):
                for i in range(-c.scale_kernel, c.scale_kernel + 1):
                    if not 0 <= s + i < levels or (i == 0 and not c.center_pointwise):
                        continue
                    fixed_down = i < 0 and c.resampler != "conv"  # q_i runs after the down-sampling, at level s
                    total += pixels[s if fixed_down else s + i] * f * f  # q_i
                    if c.resampler == "conv" and i:
                        total += pixels[max(s, s + i)] * f * f * factor ** (2 * abs(i))  # at the coarser level
        return total

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        c = config
        shared = c.shared

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
        # on an H200, packed: train step 26.7 vs 48.6 ms; inference 540x960 42.8 vs 26.8 ms (docs/speed.md)
        return self.operator == "packed" or (device.type != "cpu" and torch.is_grad_enabled())

    def run_body(self, features: torch.Tensor, num_scales: int, ratio: float) -> torch.Tensor:
        if self.uses_packed(features.device):
            return self._run_packed(features, num_scales, ratio)
        levels = build_pyramid(features, ratio, num_scales, self.config.align_corners)
        depth = len(levels)
        for block, outputs in zip(self.body, block_outputs(len(self.body), depth, self.config.scale_kernel)):
            levels = block(levels, outputs=outputs, num_levels=depth)
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


register_family("scn", "SCN")
# The paper's ablations (x2 SR). Table 4: 2 levels, 8 blocks. Table 5: 1.2M / 2.1M un-shared, 4 levels.
register("scn_table4_x2", "Table 4 SCN: 2 levels, 8 blocks", arch="scn", num_blocks=8, num_scales=2)
register("scn_unshared_x2", "Table 5 un-shared 1.2M: 4 levels, a body per level, 4 blocks", arch="scn",
         shared=False, num_blocks=4)
register("scn_unshared_large_x2", "Table 5 un-shared large 2.1M: 4 levels, a body per level, 7 blocks",
         arch="scn", shared=False, num_blocks=7)
