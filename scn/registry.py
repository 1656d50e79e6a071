"""Named model configurations, as timm names its models: `create_model('scn_x2', num_scales=3)`.

Sizes: the reference configuration (16 blocks, 32 features, x4 width), `small` = the paper's ablation size
(8 blocks, 32 features, x4 width), `large` = the paper's benchmark size (64 blocks, 64 features, x4 width).
SCN entries use the reference fusion: k = 1, bilinear, ratio 1/2, reference ends, 4 pyramid levels.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from .config import ModelConfig
from .errors import ConfigError


@dataclass(frozen=True)
class ModelEntry:
    name: str
    config: ModelConfig
    description: str


_REGISTRY: dict[str, ModelEntry] = {}

_SIZES = {"": (16, 32, "reference size"), "small_": (8, 32, "paper's ablation size"),
          "large_": (64, 64, "paper's benchmark size")}


def register(name: str, description: str, **fields: Any) -> None:
    if name in _REGISTRY:
        raise ValueError(f"model {name!r} registered twice")
    _REGISTRY[name] = ModelEntry(name, ModelConfig(**fields), description)


def _register_defaults() -> None:
    for prefix, (blocks, features, size_note) in _SIZES.items():
        for scale in (2, 3, 4):
            register(f"wdsr_{prefix}x{scale}", f"WDSR-A single-scale, x{scale} SR, {size_note}",
                     arch="wdsr", scale=scale, num_blocks=blocks, num_features=features, num_scales=1)
            register(f"scn_{prefix}x{scale}", f"SCN, x{scale} SR, {size_note}",
                     arch="scn", scale=scale, num_blocks=blocks, num_features=features)
        for task in ("denoise", "jpeg"):
            what = "gray denoising" if task == "denoise" else "gray JPEG artifact removal"
            register(f"wdsr_{prefix}{task}", f"WDSR-A single-scale, {what}, {size_note}",
                     arch="wdsr", task=task, scale=1, channels=1, num_blocks=blocks, num_features=features,
                     num_scales=1)
            register(f"scn_{prefix}{task}", f"SCN, {what}, {size_note}",
                     arch="scn", task=task, scale=1, channels=1, num_blocks=blocks, num_features=features)
    # The paper's ablations (x2 SR). Table 4: 2 levels, 8 blocks. Table 5: 1.2M / 2.1M un-shared, 4 levels.
    register("scn_table4_x2", "Table 4 SCN: 2 levels, 8 blocks", arch="scn", num_blocks=8, num_scales=2)
    register("unet_x2", "Table 4 U-Net style: 2 levels, 2 blocks per stage, 8 blocks", arch="unet",
             num_blocks=8, num_scales=2)
    register("pspnet_x2", "Table 4 PSPNet style: 2 levels x 8 shared blocks, fused at the output",
             arch="pspnet", num_blocks=8, num_scales=2)
    register("scn_unshared_x2", "Table 5 un-shared 1.2M: 4 levels, a body per level, 4 blocks",
             arch="scn_unshared", num_blocks=4)
    register("scn_unshared_large_x2", "Table 5 un-shared large 2.1M: 4 levels, a body per level, 7 blocks",
             arch="scn_unshared", num_blocks=7)


_register_defaults()


def model_names() -> list[str]:
    return list(_REGISTRY)


def get_entry(name: str) -> ModelEntry:
    try:
        return _REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(name, _REGISTRY, n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise ConfigError(f"unknown model {name!r}; {hint}`scn models` lists the {len(_REGISTRY)} names") from None


def get_config(name: str, **overrides: Any) -> ModelConfig:
    """The registered configuration `name` with `overrides` applied (validated)."""
    return get_entry(name).config.replace(**overrides)
