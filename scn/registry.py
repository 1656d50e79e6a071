"""Named model configurations, as timm names its models: `create_model('scn_x2', num_scales=3)`.

Each architecture module registers its own names (`register_family` for the sizes x tasks grid, `register` for
the paper's special configurations). Sizes: the reference configuration (16 blocks, 32 features, x4 width),
`small` = the paper's ablation size (8 blocks), `large` = the paper's benchmark size (64 blocks, 64 features).
Names for every task come from `scn.tasks`: `{arch}_{size}x{scale}` for SR, `{arch}_{size}{task}` otherwise
(gray), and `{arch}_{size}{task}_rgb` for colour denoising and JPEG deblocking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .config import ModelConfig
from .errors import ConfigError, did_you_mean
from .tasks import TASKS, Task


@dataclass(frozen=True)
class ModelEntry:
    name: str
    config: ModelConfig
    description: str


_REGISTRY: dict[str, ModelEntry] = {}

SIZES = {"": (16, 32, "reference size"), "small_": (8, 32, "paper's ablation size"),
         "large_": (64, 64, "paper's benchmark size")}


def register(name: str, description: str, **fields: Any) -> None:
    if name in _REGISTRY:
        raise ValueError(f"model {name!r} registered twice")
    _REGISTRY[name] = ModelEntry(name, ModelConfig(**fields), description)


def family_name(arch: str, task: Task, setting: int | None = None, size: str = "", colour: bool = False) -> str:
    """The name `register_family` gives `arch` at `size` ('', 'small_', 'large_') for `task`: SR at scale
    `setting`; the colour model of a gray task with `colour`."""
    if task.resizes:
        return f"{arch}_{size}{task.tag}{setting}"
    return f"{arch}_{size}{task.name}" + ("_rgb" if colour else "")


def register_family(arch: str, title: str, **fields: Any) -> None:
    """`arch` at every size of SIZES for every task: SR x2 / x3 / x4 and one name per restoration task."""
    for prefix, (blocks, features, size_note) in SIZES.items():
        for task in TASKS.values():
            common = dict(arch=arch, task=task.name, channels=task.channels, num_blocks=blocks,
                          num_features=features, **fields)
            if task.resizes:  # one model per scale
                for scale in task.levels:
                    register(family_name(arch, task, scale, prefix), f"{title}, x{scale} SR, {size_note}",
                             scale=scale, **common)
            else:
                register(family_name(arch, task, size=prefix), f"{title}, {task.title}, {size_note}", scale=1, **common)
                colour = {**common, "channels": 3}  # the colour models of a gray task: RGB in, RGB out
                register(family_name(arch, task, size=prefix, colour=True),
                         f"{title}, {task.title.replace('gray ', 'colour ')} "
                         f"(RGB), {size_note}", scale=1, **colour)


def model_names() -> list[str]:
    return list(_REGISTRY)


def get_entry(name: str) -> ModelEntry:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown model {name!r}; {did_you_mean(name, _REGISTRY, 3)}`scn models` lists the "
                          f"{len(_REGISTRY)} names") from None


def get_config(name: str, **overrides: Any) -> ModelConfig:
    """The registered configuration `name` with `overrides` applied (validated)."""
    return get_entry(name).config.replace(**overrides)
