"""`ModelConfig`: every hyperparameter that defines a network of the SCN family, validated."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any

from .errors import ConfigError

ARCHITECTURES = ("scn", "wdsr", "scn_unshared", "unet", "pspnet")
TASKS = ("sr", "denoise", "jpeg")
RESAMPLERS = ("bilinear", "avgpool", "conv")
ENDS = ("reference", "zero")

# Architectures whose pyramid depth can change at evaluation time, and how far.
_DEPTH_ANY = ("scn",)
_DEPTH_AT_MOST_BUILT = ("scn_unshared", "pspnet")


def integer_factor(ratio: float) -> int | None:
    """1/ratio when it is an integer (ratio 1/2 -> 2, 1/3 -> 3), else None."""
    inverse = 1.0 / ratio
    nearest = round(inverse)
    return nearest if nearest >= 2 and math.isclose(inverse, nearest, rel_tol=1e-9) else None


@dataclass(frozen=True)
class ModelConfig:
    """Hyperparameters of one network. Field docs are the single source for `scn models` and checkpoints.

    arch: one of ARCHITECTURES. task: 'sr' (scale 2..4) or 'denoise' / 'jpeg' (scale 1).
    num_scales: pyramid levels the model is built (and trained) with; `ratio` the size ratio between levels.
    scale_kernel: k of the scale-wise kernel 2k+1 (0 switches fusion off).
    resampler: fusion resampling h_i: 'bilinear', 'avgpool' (avg-pool down, nearest up) or 'conv' (strided conv
    down, transposed conv up). ends: 'reference' (missing neighbour -> centre residual) or 'zero' (dropped).
    """

    arch: str = "scn"
    task: str = "sr"
    scale: int = 2
    channels: int = 3
    num_blocks: int = 16
    num_features: int = 32
    width: int = 4
    num_scales: int = 4
    ratio: float = 0.5
    scale_kernel: int = 1
    resampler: str = "bilinear"
    ends: str = "reference"
    align_corners: bool = True
    center_pointwise: bool = False
    weight_norm: bool = True
    image_mean: float = 0.5

    def __post_init__(self) -> None:
        self._check_types()
        self._check_values()

    # -- validation -------------------------------------------------------------------------------------------
    def _check_types(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            expected = {"int": int, "float": (int, float), "bool": bool, "str": str}.get(str(f.type))
            if expected is None:
                continue
            bad_bool = isinstance(value, bool) and expected is not bool
            if bad_bool or not isinstance(value, expected):
                raise ConfigError(f"{f.name}={value!r} must be of type {f.type}")
        if isinstance(self.ratio, int):
            object.__setattr__(self, "ratio", float(self.ratio))

    def _check_values(self) -> None:
        def choice(name: str, allowed: tuple[str, ...]) -> None:
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name}={getattr(self, name)!r} is not allowed; choose one of {', '.join(allowed)}")

        choice("arch", ARCHITECTURES)
        choice("task", TASKS)
        choice("resampler", RESAMPLERS)
        choice("ends", ENDS)
        if self.task == "sr" and self.scale < 2:
            raise ConfigError(f"scale={self.scale} is not allowed for task 'sr'; use an integer >= 2 (2, 3, 4)")
        if self.task != "sr" and self.scale != 1:
            raise ConfigError(f"scale={self.scale} is not allowed for task {self.task!r}; restoration uses scale=1")
        if self.channels not in (1, 3):
            raise ConfigError(f"channels={self.channels} is not allowed; use 1 (gray) or 3 (RGB)")
        for name in ("num_blocks", "num_features", "width", "num_scales"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}={getattr(self, name)} is not allowed; it must be >= 1")
        if self.scale_kernel < 0:
            raise ConfigError(f"scale_kernel={self.scale_kernel} is not allowed; k must be >= 0 (kernel 2k+1)")
        if not 0.0 < self.ratio < 1.0:
            raise ConfigError(f"ratio={self.ratio} is not allowed; the level-to-level size ratio must be in (0, 1)")
        if self.resampler != "bilinear" and integer_factor(self.ratio) is None:
            raise ConfigError(
                f"resampler={self.resampler!r} needs 1/ratio to be an integer (ratio 1/2, 1/3, ...), "
                f"got ratio={self.ratio:g}; use resampler='bilinear' for any ratio"
            )
        if self.arch == "wdsr" and self.num_scales != 1:
            raise ConfigError(f"num_scales={self.num_scales} is not allowed for arch 'wdsr'; it is single-scale (1)")
        if self.arch == "unet":
            if self.num_scales < 2:
                raise ConfigError("arch 'unet' needs num_scales >= 2")
            if self.num_blocks % (2 * self.num_scales):
                raise ConfigError(
                    f"arch 'unet' splits num_blocks={self.num_blocks} over 2*num_scales={2 * self.num_scales} "
                    "encoder/decoder stages; use a multiple of it"
                )

    # -- helpers --------------------------------------------------------------------------------------------------
    def check_eval_depth(self, num_scales: int) -> None:
        """Raise ConfigError unless the network can be evaluated with `num_scales` pyramid levels."""
        if num_scales < 1:
            raise ConfigError(f"num_scales={num_scales} is not allowed; it must be >= 1")
        if num_scales == self.num_scales or self.arch in _DEPTH_ANY:
            return
        if self.arch in _DEPTH_AT_MOST_BUILT and num_scales <= self.num_scales:
            return
        limit = {"wdsr": "1", "unet": str(self.num_scales)}.get(self.arch, f"1..{self.num_scales}")
        raise ConfigError(f"arch {self.arch!r} built with {self.num_scales} levels can be evaluated with {limit}, "
                          f"not num_scales={num_scales}")

    def check_eval_ratio(self, ratio: float) -> None:
        """Raise ConfigError unless the network can be evaluated with level ratio `ratio` (Fig. 8)."""
        if not 0.0 < ratio < 1.0:
            raise ConfigError(f"ratio={ratio} is not allowed; the level-to-level size ratio must be in (0, 1)")
        if self.resampler != "bilinear" and self.arch in ("scn", "scn_unshared"):
            raise ConfigError(f"resampler={self.resampler!r} is tied to ratio {self.ratio:g}; only bilinear models "
                              "can be evaluated at another ratio")

    def replace(self, **overrides: Any) -> "ModelConfig":
        """A copy with `overrides` applied; an unknown key is a ConfigError naming the allowed ones."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigError(f"unknown model option(s) {', '.join(unknown)}; allowed: {', '.join(sorted(known))}")
        return dataclasses.replace(self, **overrides)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        return cls().replace(**data)
