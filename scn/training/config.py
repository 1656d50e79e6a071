"""The `scn train` configuration: a validated schema read from YAML (with `base:` inheritance and
`--set key=value` overrides). An unknown or mistyped key is an error that names it."""

from __future__ import annotations

import dataclasses
import math
import re
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from ..config import ModelConfig, get_config
from ..data.io import IMAGE_SUFFIXES, shared_path
from ..errors import ConfigError
from ..tasks import TASKS, Task

SCHEDULES = ("paper", "reference", "cosine", "constant")
EXPONENT_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+")
LOSSES = ("l1", "l2")  # l1: the paper's; l2 (mean squared error, what PSNR measures): for a PSNR-polishing fine-tune


@dataclass
class ModelSection:
    """name: a registered model (`scn models`); overrides: ModelConfig fields to change."""

    name: str = "scn_small_x2"
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskSection:
    """type: sr | denoise | jpeg. scale (SR). sigma: a number or [low, high] (blind, drawn per patch).
    quality: a number or [low, high]. val_setting: the sigma / quality validation uses (blind models).
    focus / focus_fraction: a [low, high] part of the level range that this share of the patches draws its level
    from (the rest from the whole range), so a model trained for a range spends more steps where it is weakest
    (0 = off: every level drawn from the whole range)."""

    type: str = "sr"
    scale: int = 2
    sigma: Any = 25
    quality: Any = 10
    val_setting: int | None = None
    focus: list[float] | None = None
    focus_fraction: float = 0.0


@dataclass
class DataSection:
    """train / val: folders of clean images. patch_size: the input patch (LR for SR). patches_per_image: per
    epoch (the paper: 1000). cache_dir: where SR LR images are cached (default: ~/.cache/scn/lr). gray_fraction:
    the share of a colour model's denoising / JPEG patches made gray (R = G = B) before degradation, so it learns
    that a gray picture's chroma is all noise (0 = off, the paper). scales: every training image also enters
    down-scaled by these factors (MATLAB bicubic), as DnCNN's data does with 1, 0.9, 0.8, 0.7 ([1] = as is, the
    paper). clipped_fraction: the share of denoising patches whose noisy picture is clipped to [0, 1] and rounded to
    8 bits, as a noisy photo file holds it (`scn benchmark --clip`; 0 = off: the tables' unclipped noise).
    channel_gain_fraction: the share of a colour model's denoising / JPEG patches whose R, G and B are scaled by
    gains drawn each from U[channel_gains] (clipped to 8 bits) before degradation, a random white balance that carries
    luma texture into chroma as colourful pictures hold it and JPEG-born training pictures (BSD200) do not (0 = off).
    texture_fraction / texture_candidates: that share of the patches is cut where the most detail is among this many
    crops of its picture (the mean absolute difference of neighbouring values), patch sampling by informativeness
    as SamplingAug (Wang et al., BMVC 2021) does; the rest are cut uniformly (0 = off).
    val_clipped: validation's noisy pictures clipped and rounded the same way (the `--clip` protocol), for a model
    meant for 8-bit files; off, validation scores the tables' unclipped noise. holdout:
    pictures of the training folders ('FOLDER/FILE', e.g. 'BSD200/2092.png') that no step trains
    on; `val: [holdout]` validates on them, so stages are chosen on pictures no reported table uses."""

    train: list[str] = field(default_factory=list)
    val: list[str] = field(default_factory=list)
    patch_size: int = 48
    batch_size: int = 16
    patches_per_image: int = 1000
    workers: int = 0
    cache_dir: str | None = None
    val_max_images: int = 0
    gray_fraction: float = 0.0
    scales: list[float] = field(default_factory=lambda: [1.0])
    clipped_fraction: float = 0.0
    channel_gain_fraction: float = 0.0
    channel_gains: list[float] = field(default_factory=lambda: [0.5, 1.5])
    texture_fraction: float = 0.0
    texture_candidates: int = 4
    val_clipped: bool = False
    holdout: list[str] = field(default_factory=list)


@dataclass
class TrainSection:
    """epochs or steps (steps wins when > 0). schedule: paper (40 epochs, halve every 3 after the 25th, scaled
    to the run's length) | reference (x0.2 at 20/30 and 25/30) | cosine | constant. loss: l1 (the paper's) | l2.
    ema: decay, 0 = off. grad_clip: max global norm, 0 = off. val_every / checkpoint_every / log_every: in steps.
    amp / cpu_amp: bf16 autocast on CUDA / on the CPU (pays where the CPU has AMX or AVX-512 BF16: docs/training.md).
    channels_last: the model and batches in channels-last memory (faster on CUDA and on the CPUs first measured;
    a fifth slower on an AVX2 AMD EPYC: docs/training.md).
    init / zero_tail / zero_blocks / match_residual / bicubic_skip: where training starts (docs/training.md)."""

    epochs: float = 40
    steps: int = 0
    lr: float = 1e-3
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])
    weight_decay: float = 0.0
    schedule: str = "paper"
    loss: str = "l1"
    ema: float = 0.0
    grad_clip: float = 0.0
    seed: int = 0
    val_every: int = 1000
    checkpoint_every: int = 500
    log_every: int = 50
    deterministic: bool = False
    amp: bool = True
    cpu_amp: bool = False
    channels_last: bool = True
    threads: int = 0
    init: str | None = None
    zero_tail: bool = False
    zero_blocks: bool = False
    match_residual: bool = False
    bicubic_skip: bool = False


@dataclass
class TrainConfig:
    model: ModelSection = field(default_factory=ModelSection)
    task: TaskSection = field(default_factory=TaskSection)
    data: DataSection = field(default_factory=DataSection)
    train: TrainSection = field(default_factory=TrainSection)
    notes: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def model_config(self) -> ModelConfig:
        """The configuration of the model trained (its name with the overrides)."""
        return get_config(self.model.name, **self.model.overrides)

    @property
    def restoration_task(self) -> Task:
        """The task trained (the model's; `task.type` names it in the YAML)."""
        return self.model_config.task

    @property
    def model_channels(self) -> int:
        """The channels of the model trained: 3 (RGB) or 1 (gray Y); its images are read as such."""
        return self.model_config.channels

    # -- task helpers ------------------------------------------------------------------------------------------
    @property
    def setting_range(self) -> tuple[float, float]:
        """(low, high) of the degradation level; equal for a fixed-level model."""
        value = getattr(self.task, self.restoration_task.setting)
        return (float(value[0]), float(value[1])) if isinstance(value, list) else (float(value), float(value))

    @property
    def val_setting(self) -> int:
        """The setting validation runs at: SR's scale; else task.val_setting, or the task's choice in the range."""
        task = self.restoration_task
        if self.task.val_setting is not None and not task.resizes:
            return int(self.task.val_setting)
        return task.validation_setting(*self.setting_range)


def _check_share(name: str, value: float) -> None:
    """A share of the patches (gray_fraction, clipped_fraction, channel_gain_fraction, texture_fraction,
    focus_fraction) lies in [0, 1]."""
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name}={value} must be in [0, 1] (0 switches it off)")


def _check_channel_gains(data: DataSection, colour_patches: bool) -> None:
    """data.channel_gain_fraction is a share, on colour denoising / JPEG models only; data.channel_gains a
    [low, high] pair of positive gains."""
    _check_share("data.channel_gain_fraction", data.channel_gain_fraction)
    if data.channel_gain_fraction > 0 and not colour_patches:
        raise ConfigError("data.channel_gain_fraction scales the R, G, B of colour denoising / JPEG patches; this "
                          "model is not one, so leave it 0")
    gains = data.channel_gains
    if (not isinstance(gains, list) or len(gains) != 2 or not all(isinstance(v, (int, float)) for v in gains)
            or not 0.0 < gains[0] <= gains[1]):
        raise ConfigError(f"data.channel_gains={gains!r} must be [low, high] with 0 < low <= high (e.g. [0.5, 1.5])")


def _check_texture(data: DataSection) -> None:
    """data.texture_fraction is a share; data.texture_candidates counts the crops it picks from (2 or more)."""
    _check_share("data.texture_fraction", data.texture_fraction)
    if data.texture_fraction > 0 and data.texture_candidates < 2:
        raise ConfigError(f"data.texture_candidates={data.texture_candidates} must be 2 or more: the crop with the "
                          "most detail is picked among that many")


def _check_focus(task: TaskSection, low: float, high: float) -> None:
    """task.focus must be a [low, high] pair inside the level range, named where focus_fraction is not 0."""
    _check_share("task.focus_fraction", task.focus_fraction)
    if task.focus is None:
        if task.focus_fraction > 0:
            raise ConfigError("task.focus_fraction needs task.focus: the [low, high] part of the range to draw from")
        return
    focus = task.focus
    if (len(focus) != 2 or not all(isinstance(v, (int, float)) for v in focus)
            or not low <= focus[0] <= focus[1] <= high or low == high):
        raise ConfigError(f"task.focus={focus!r} must be a [low, high] pair inside the trained range "
                          f"{low:g}..{high:g} (a model trained for a range of levels)")


def _check_type(path: str, value: Any, annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any:
        return value
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _check_type(path, value, arg)
            except ConfigError:
                pass
        raise ConfigError(f"config key {path}={value!r} has the wrong type; expected {annotation}")
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"config key {path} must be a list, got {value!r}")
        return [_check_type(f"{path}[{i}]", v, args[0]) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"config key {path} must be a mapping, got {value!r}")
        return dict(value)
    if annotation in (float, int) and isinstance(value, str) and EXPONENT_NUMBER.fullmatch(value.strip()):
        number = float(value)  # YAML 1.1 (PyYAML) reads 1e-4 without a dot as a string
        if annotation is float:
            return number
        if number.is_integer():
            return int(number)
    if annotation is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if annotation is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if annotation in (str, bool) and isinstance(value, annotation):
        return value
    raise ConfigError(f"config key {path}={value!r} must be of type {getattr(annotation, '__name__', annotation)}")


def _build(cls: type, data: dict[str, Any], prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"config section {prefix or 'top level'} must be a mapping")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        where = f"in section {prefix.rstrip('.')}" if prefix else "at the top level"
        raise ConfigError(f"unknown config key(s) {', '.join(prefix + k for k in unknown)} {where}; "
                          f"allowed: {', '.join(sorted(known))}")
    kwargs = {}
    for name, value in data.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            kwargs[name] = _build(hint, value or {}, f"{prefix}{name}.")
        else:
            kwargs[name] = _check_type(prefix + name, value, hint)
    return cls(**kwargs)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) and k != "overrides" \
            else v
    if "overrides" in over and isinstance(base.get("overrides"), dict):
        out["overrides"] = {**base["overrides"], **over["overrides"]}
    return out


def read_yaml(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """YAML with `base: other.yaml` (relative to this file) merged underneath, recursively."""
    path = path.resolve()
    if path in seen:
        raise ConfigError(f"{path}: config inherits from itself")
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config must be a YAML mapping")
    base = data.pop("base", None)
    if base:
        data = _merge(read_yaml(path.parent / base, seen + (path,)), data)
    # relative data folders are relative to the working directory (configs name ../shared/... paths)
    return data


def apply_overrides(data: dict[str, Any], assignments: list[str]) -> dict[str, Any]:
    """`section.key=value` (value parsed as YAML) applied to the raw mapping."""
    data = _merge({}, data)
    for item in assignments:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set {item!r}: use section.key=value (e.g. train.steps=100)")
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {item!r}: {part} is not a section")
        node[parts[-1]] = yaml.safe_load(raw)
    return data


def load_config(path: str | Path, assignments: list[str] | None = None) -> TrainConfig:
    data = apply_overrides(read_yaml(Path(path)), assignments or [])
    config = _build(TrainConfig, data, "")
    config.data.train = [shared_path(f) for f in config.data.train]  # `../shared/...` follows $SCN_SHARED
    config.data.val = [f if f == HOLDOUT else shared_path(f) for f in config.data.val]
    validate(config)
    return config


HOLDOUT = "holdout"  # a data.val entry: the pictures data.holdout keeps out of training


def holdout_files(config: TrainConfig) -> list[Path]:
    """The files data.holdout names, found in the training folders (or a copy of one under another image suffix,
    as the lossless WebP copies that scripts/pack_gpu_data.sh packs); ConfigError for a name found in none."""
    folders = {Path(f).name: Path(f) for f in config.data.train}
    files = []
    for name in config.data.holdout:
        folder, file = Path(name).parts
        path = folders.get(folder, Path("/nonexistent")) / file
        if not path.is_file():
            path = next((c for c in map(path.with_suffix, IMAGE_SUFFIXES) if c.is_file()), path)
        if not path.is_file():
            raise ConfigError(f"data.holdout names {name}, which is not a picture of the training folders "
                              f"({', '.join(folders) or 'none'})")
        files.append(path)
    return files


def config_from_dict(data: dict[str, Any]) -> TrainConfig:
    config = _build(TrainConfig, data, "")
    validate(config)
    return config


def validate(c: TrainConfig) -> None:
    if c.task.type not in TASKS:
        raise ConfigError(f"task.type={c.task.type!r} is not allowed; choose {', '.join(TASKS)}")
    model = get_config(c.model.name, **c.model.overrides)
    task = model.task
    if task.name != c.task.type:
        raise ConfigError(f"model {c.model.name!r} is a {task.name!r} model but task.type is {c.task.type!r}")
    if task.resizes and model.scale != task.model_scale(c.task.scale):
        raise ConfigError(f"model {c.model.name!r} is x{model.scale} but task.scale is {c.task.scale}")
    for name in dict.fromkeys(t.setting for t in TASKS.values() if not t.resizes):  # the ranged settings
        value = getattr(c.task, name)
        values = value if isinstance(value, list) else [value]
        if len(values) not in (1, 2) or not all(isinstance(v, (int, float)) for v in values):
            raise ConfigError(f"task.{name}={value!r} must be a number or a [low, high] pair")
        if isinstance(value, list) and values[0] > values[1]:
            raise ConfigError(f"task.{name}={value!r}: low must not exceed high")
    low, high = c.setting_range
    if not task.resizes and not task.limits[0] <= low <= high <= task.limits[1]:
        raise ConfigError(f"task.{task.setting}={getattr(c.task, task.setting)!r} must lie in "
                          f"{task.limits[0]:g}..{task.limits[1]:g}")
    _check_focus(c.task, low, high)
    if not c.data.train:
        raise ConfigError("data.train is empty: give one or more folders of clean training images")
    for name in ("patch_size", "batch_size", "patches_per_image"):
        if getattr(c.data, name) < 1:
            raise ConfigError(f"data.{name} must be >= 1")
    colour_patches = not task.resizes and model.channels == 3  # colour denoising / JPEG: patches of RGB pictures
    _check_share("data.gray_fraction", c.data.gray_fraction)
    if c.data.gray_fraction > 0 and not colour_patches:
        raise ConfigError("data.gray_fraction makes colour denoising / JPEG patches gray; this model is not one, "
                          "so leave it 0")
    _check_channel_gains(c.data, colour_patches)
    _check_texture(c.data)
    _check_share("data.clipped_fraction", c.data.clipped_fraction)
    clipping = {"clipped_fraction": (c.data.clipped_fraction > 0, "0"), "val_clipped": (c.data.val_clipped, "false")}
    for key, (on, off) in clipping.items():
        if on and not task.adds_noise:
            raise ConfigError(f"data.{key} clips noisy pictures to 8 bits; task {task.name!r} adds no noise, so leave "
                              f"it {off}")
    scales = c.data.scales
    if (not isinstance(scales, list) or not scales
            or not all(isinstance(v, (int, float)) and 0.0 < v <= 1.0 for v in scales)):
        raise ConfigError(f"data.scales={scales!r} must be a non-empty list of down-scale factors in (0, 1] "
                          "(e.g. [1, 0.9, 0.8, 0.7]; [1] uses the images as they are)")
    if len(set(scales)) != len(scales):
        raise ConfigError(f"data.scales={scales!r} repeats a factor; list each once")
    if len(set(c.data.holdout)) != len(c.data.holdout) or not all(
            isinstance(h, str) and len(Path(h).parts) == 2 for h in c.data.holdout):
        raise ConfigError(f"data.holdout={c.data.holdout!r} must list pictures of the training folders once each, "
                          "as 'FOLDER/FILE' (e.g. 'BSD200/2092.png')")
    if HOLDOUT in c.data.val and not c.data.holdout:
        raise ConfigError(f"data.val names '{HOLDOUT}' but data.holdout lists no pictures")
    grid = task.grid(model.channels)
    if c.data.patch_size % grid:
        raise ConfigError(f"data.patch_size={c.data.patch_size} must be a multiple of {grid} for "
                          f"{c.task.type} (the block grid)")
    if c.train.schedule not in SCHEDULES:
        raise ConfigError(f"train.schedule={c.train.schedule!r} is not allowed; choose {', '.join(SCHEDULES)}")
    if c.train.loss not in LOSSES:
        raise ConfigError(f"train.loss={c.train.loss!r} is not allowed; choose {' or '.join(LOSSES)} "
                          "(l1 is the paper's)")
    if c.train.steps <= 0 and not (c.train.epochs > 0 and math.isfinite(c.train.epochs)):
        raise ConfigError("set train.steps > 0 or train.epochs > 0")
    if not 0.0 <= c.train.ema < 1.0:
        raise ConfigError(f"train.ema={c.train.ema} must be in [0, 1) (0 switches EMA off)")
    if len(c.train.betas) != 2:
        raise ConfigError("train.betas must be two numbers")
    if c.train.bicubic_skip and not task.resizes:
        raise ConfigError(f"train.bicubic_skip starts the SR skip conv as bicubic; a {c.task.type} model has none, "
                          "so leave it false")
    if c.train.match_residual and not model.architecture.can_match_residual(model):
        raise ConfigError(f"train.match_residual scales SCN's blocks to WDSR's residual size; this model is "
                          f"{model.arch!r}{'' if model.shared else ' (un-shared)'}, so leave it false")
    if c.train.match_residual and c.train.zero_blocks:
        raise ConfigError("train.match_residual and train.zero_blocks both set where blocks start; choose one")
    for name in ("val_every", "checkpoint_every", "log_every"):
        if getattr(c.train, name) < 1:
            raise ConfigError(f"train.{name} must be >= 1 (steps)")
