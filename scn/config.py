"""Model configurations, in one home: `ModelConfig` (every hyperparameter that defines a network of the SCN family,
validated), the registry of architectures (each a class that owns its fields and rules: `register_architecture`),
and beside it the named configurations, as timm names its models (`create_model('scn_x2', num_scales=3)`).

Each architecture module registers its own names (`register_family` for the sizes x tasks grid, `register` for
the paper's special configurations). Sizes: the reference configuration (16 blocks, 32 features, x4 width),
`small` = the paper's ablation size (8 blocks), `large` = the paper's benchmark size (64 blocks, 64 features).
Names for every task come from `scn.tasks`: `{arch}_{size}x{scale}` for SR, `{arch}_{size}{task}` otherwise
(gray), and `{arch}_{size}{task}_rgb` for colour denoising and JPEG deblocking (`family_name`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cache
from dataclasses import dataclass, fields
from typing import Any

from .errors import ConfigError, did_you_mean
from .tasks import TASKS, Task

LEGACY_ARCHS = {"scn_unshared": {"arch": "scn", "shared": False}}  # names older checkpoints and configs use

_ARCHITECTURES: dict[str, Any] = {}  # name -> a RestorationNet subclass (archs/base.py lists its rules)


def register_architecture(name: str) -> Callable[[type], type]:
    """Class decorator: make `name` an `arch` a ModelConfig may name, built by and validated by the class."""
    def decorate(cls: type) -> type:
        if name in _ARCHITECTURES:
            raise ValueError(f"architecture {name!r} registered twice")
        cls.arch_name = name  # type: ignore[attr-defined]
        _ARCHITECTURES[name] = cls
        return cls
    return decorate


def _registered(table: dict[str, Any], name: str, unknown: Callable[[], str]) -> Any:
    """`table[name]`; a ConfigError saying `unknown()` (the closest names, what to do) otherwise."""
    if name in table:
        return table[name]
    raise ConfigError(unknown())


def architecture(name: str) -> Any:
    """The class registered for `name`; ConfigError naming the registered ones otherwise."""
    return _registered(_ARCHITECTURES, name, lambda: f"arch={name!r} is not allowed; "
                       f"{did_you_mean(name, _ARCHITECTURES)}choose one of {', '.join(_ARCHITECTURES)}")


def architecture_names() -> tuple[str, ...]:
    return tuple(_ARCHITECTURES)


@dataclass(frozen=True)
class ModelConfig:
    """Hyperparameters of one network. Field docs are the single source for `scn models` and checkpoints.

    arch: a registered architecture (`architecture_names()`). task: a `scn.tasks.Task` (given by name, 'sr' with
    scale >= 2, 'denoise' / 'jpeg' with scale 1, it is the task object from then on; `to_dict` writes the name).
    shared: SCN's one body for every level (False: one per level, Table 5).
    num_scales: pyramid levels the model is built (and trained) with; `ratio` the size ratio between levels.
    scale_kernel: k of the scale-wise kernel 2k+1 (0 switches fusion off).
    resampler: fusion resampling h_i: 'bilinear', 'avgpool' (avg-pool down, nearest up) or 'conv' (strided conv
    down, transposed conv up). ends: 'reference' (missing neighbour -> centre residual) or 'zero' (dropped).
    noise_map: a denoiser told the noise level, as one more input channel (sigma / 255 per pixel, FFDNet's map).
    noise_map_gain: what the network multiplies that map by before its head (the input stays sigma / 255). Adam
    moves each weight by about the learning rate per step, so a larger gain lets the map's weight grow faster.
    """

    arch: str = "scn"
    task: Task = TASKS["sr"]
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
    shared: bool = True
    res_scale: float = 1.0
    noise_map: bool = False
    noise_map_gain: float = 1.0

    def __post_init__(self) -> None:
        for key, value in LEGACY_ARCHS.get(self.arch, {}).items():
            object.__setattr__(self, key, value)
        if isinstance(self.task, str):  # a name, from a checkpoint's metadata, a YAML file or keyword arguments
            if self.task not in TASKS:
                raise ConfigError(f"task={self.task!r} is not allowed; choose one of {', '.join(TASKS)}")
            object.__setattr__(self, "task", TASKS[self.task])
        elif not isinstance(self.task, Task):
            raise ConfigError(f"task={self.task!r} must be a task's name ({', '.join(TASKS)})")
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
        for name in ("ratio", "res_scale", "noise_map_gain"):
            if isinstance(getattr(self, name), int):
                object.__setattr__(self, name, float(getattr(self, name)))

    def _check_values(self) -> None:
        arch = architecture(self.arch)
        self._check_owned_fields(arch)
        task = self.task
        if task.resizes and self.scale < 2:
            raise ConfigError(f"scale={self.scale} is not allowed for task {task.name!r}; use an integer >= 2 "
                              "(2, 3, 4)")
        if not task.resizes and self.scale != 1:
            raise ConfigError(f"scale={self.scale} is not allowed for task {task.name!r}; restoration uses scale=1")
        if self.channels not in (1, 3):
            raise ConfigError(f"channels={self.channels} is not allowed; use 1 (gray) or 3 (RGB)")
        for name in ("num_blocks", "num_features", "width", "num_scales"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}={getattr(self, name)} is not allowed; it must be >= 1")
        if not 0.0 < self.ratio < 1.0:
            raise ConfigError(f"ratio={self.ratio} is not allowed; the level-to-level size ratio must be in (0, 1)")
        if self.noise_map and not task.adds_noise:
            raise ConfigError(f"noise_map=True (a noise-level input) applies to task 'denoise' only, not "
                              f"{task.name!r}; leave it False")
        if not self.noise_map_gain > 0.0 or (self.noise_map_gain != 1.0 and not self.noise_map):
            raise ConfigError(f"noise_map_gain={self.noise_map_gain} is not allowed; it scales the noise-level map "
                              "of a noise_map denoiser and must be > 0 (1 without noise_map)")
        arch.check_config(self)

    def _check_owned_fields(self, arch: Any) -> None:
        """A field an architecture owns (`own_fields`: SCN's fusion and sharing, WDSR's residual scaling) keeps its
        default in every other architecture, which would ignore it."""
        defaults = field_defaults()
        owners: dict[str, list[str]] = {}
        for name in architecture_names():
            for field_name in architecture(name).own_fields:
                owners.setdefault(field_name, []).append(name)
        for field_name, names in owners.items():
            value = getattr(self, field_name)
            if self.arch not in names and value != defaults[field_name]:
                shown = f"{value:g}" if isinstance(value, float) else repr(value)
                raise ConfigError(f"{field_name}={shown} applies to arch {' / '.join(map(repr, names))} only, not "
                                  f"{self.arch!r}; leave it at {defaults[field_name]!r}")

    # -- helpers --------------------------------------------------------------------------------------------------
    def check_eval_depth(self, num_scales: int) -> None:
        """Raise ConfigError unless the network can be evaluated with `num_scales` pyramid levels (Fig. 7)."""
        if num_scales < 1:
            raise ConfigError(f"num_scales={num_scales} is not allowed; it must be >= 1")
        low, high = architecture(self.arch).eval_depths(self)
        if low <= num_scales and (high is None or num_scales <= high):
            return
        limit = f"{low}" if low == high else f"{low}..{high}" if high is not None else f">= {low}"
        raise ConfigError(f"arch {self.arch!r}{'' if self.shared else ' (un-shared)'} built with {self.num_scales} "
                          f"levels can be evaluated with {limit}, not num_scales={num_scales}")

    def check_eval_ratio(self, ratio: float) -> None:
        """Raise ConfigError unless the network can be evaluated with level ratio `ratio` (Fig. 8)."""
        if not 0.0 < ratio < 1.0:
            raise ConfigError(f"ratio={ratio} is not allowed; the level-to-level size ratio must be in (0, 1)")
        architecture(self.arch).check_eval_ratio(self, ratio)

    @property
    def in_channels(self) -> int:
        """Channels of the network's input: the picture's, and the noise-level map's when `noise_map`."""
        return self.channels + int(self.noise_map)

    def replace(self, **overrides: Any) -> "ModelConfig":
        """A copy with `overrides` applied; an unknown key is a ConfigError naming the allowed ones."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigError(f"unknown model option(s) {', '.join(unknown)}; allowed: {', '.join(sorted(known))}")
        return dataclasses.replace(self, **overrides)

    def as_arch(self, arch: str, **overrides: Any) -> "ModelConfig":
        """The same network in architecture `arch` (sizes, task, levels kept): the fields only the current one owns
        go back to their defaults, then `overrides` apply (e.g. `as_arch('wdsr', num_scales=1)`)."""
        defaults = field_defaults()
        reset = {name: defaults[name] for name in architecture(self.arch).own_fields
                 if name not in architecture(arch).own_fields}
        return self.replace(**{**reset, "arch": arch, **overrides})

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain data (the task by its name): what checkpoints and JSON record."""
        return {f.name: getattr(self, f.name) for f in fields(self)} | {"task": self.task.name}

    @property
    def architecture(self) -> Any:
        """The registered class of `arch`: builds the network and knows its rules."""
        return architecture(self.arch)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        return cls().replace(**data)


@cache
def field_defaults() -> dict[str, Any]:
    """Every ModelConfig field's default, by name."""
    return {f.name: f.default for f in fields(ModelConfig)}


# -- named configurations ------------------------------------------------------------------------------------------
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
    return _registered(_REGISTRY, name, lambda: f"unknown model {name!r}; {did_you_mean(name, _REGISTRY, 3)}"
                       f"`scn models` lists the {len(_REGISTRY)} names")


def get_config(name: str, **overrides: Any) -> ModelConfig:
    """The registered configuration `name` with `overrides` applied (validated)."""
    return get_entry(name).config.replace(**overrides)
