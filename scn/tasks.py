"""The restoration tasks as objects: each owns its setting (flag, limits, label), its degradation, its baseline and
its scoring protocol. Every caller (CLI, API, benchmark, training, zoo, demo) asks the task rather than comparing
names. Adding a task means one subclass here, registered in TASKS, plus its tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from .data.color import rgb_to_y, to_uint8
from .data.degrade import add_gaussian_noise, bicubic_downscale, jpeg_compress, modcrop
from .data.jpeg_quality import JpegQuality, jpeg_quality
from .data.resize import imresize
from .errors import ScnError, did_you_mean
from .metrics.protocols import gray_scores, sr_scores

Scores = dict[str, float]


class TaskError(ScnError):
    """An unknown task, or a setting outside what a task takes."""


@dataclass(frozen=True, eq=False)
class Task:
    """One restoration task. `setting` names the one number a degradation takes (scale, sigma, quality).

    A task is its name to the outside: it prints as its name and compares equal to it (and hashes like it), as a
    `StrEnum` member does, so `config.task == "sr"` keeps working where code was written for names."""

    name: str
    title: str
    setting: str
    limits: tuple[float, float]
    label_format: str  # how tables write a setting: 'x{}', 'σ{}', 'q{}'
    tag: str  # how file names write it: 'x', 's', 'q'
    channels: int  # the channels of its models and test images by default: 3 (RGB) or 1 (gray Y; colour models of
    # denoising and JPEG, channels=3, are trained and scored on RGB)
    baseline: str  # the method a trained model is compared with: `scn benchmark --method NAME`
    default_setting: int | None = None  # None: an unknown level, for which a blind model is used
    crop_grid: int = 1  # training crops start on multiples of this (JPEG's 8x8 blocks)
    setting_help: str = ""  # what the command-line flag means
    setting_type: type = int
    levels: tuple[int, ...] = ()  # the settings the field reports (the paper's tables), offered by `scn serve`
    resizes: ClassVar[bool] = False  # whether the output is larger than the input (the setting is the scale)
    adds_noise: ClassVar[bool] = False  # whether the degradation is additive noise (its level can be estimated,
    # told to a model as an input map, and clipped to 8 bits as a photo file holds it)

    def __str__(self) -> str:
        return self.name

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Task):
            return self.name == other.name
        return self.name == other if isinstance(other, str) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.name)

    # -- settings ------------------------------------------------------------------------------------------------
    @property
    def flag(self) -> str:
        return f"--{self.setting}"

    def parse_setting(self, **settings: float | None) -> int | None:
        """The one setting this task takes, from keyword values named by any task's setting (`scale=`, `sigma=`,
        `quality=`), checked; None for an unknown level. A setting of another task is a TaskError."""
        extra = [k for k, v in settings.items() if v is not None and k != self.setting]
        if extra:
            raise TaskError(f"{', '.join(extra)} does not apply to task {self.name!r}; it takes {self.setting}")
        return self.check(settings.get(self.setting))

    def check(self, value: float | None) -> int | None:
        """The setting as an integer, or the default when `value` is None; TaskError when out of range."""
        if value is None:
            return self.default_setting
        low, high = self.limits
        if not low <= value <= high:
            raise TaskError(f"{self.setting} {value:g} is out of range {low:g}..{high:g} for task {self.name!r}")
        return int(round(value))

    def label(self, setting: float) -> str:
        """'x2', 'σ25', 'q10'."""
        return self.label_format.format(f"{setting:g}")

    def file_label(self, setting: float) -> str:
        """'x2', 's25', 'q10' (ASCII, for file names)."""
        return f"{self.tag}{setting:g}"

    def range_text(self, low: float, high: float) -> str:
        """A range of settings a model covers: 'sigma 0-55', 'q 10' (SR: 'x2')."""
        key = "q" if self.setting == "quality" else self.setting
        return f"{key} {low:g}" if low == high else f"{key} {low:g}-{high:g}"

    def model_scale(self, setting: int) -> int:
        """The scale factor of the network that restores `setting` (1 for same-size restoration)."""
        return 1

    # -- pictures and models ---------------------------------------------------------------------------------------
    def model_channels(self, gray_picture: bool, luma_only: bool = False) -> int:
        """The channels of the shipped model a picture asks for: a colour picture of a gray task (denoising, JPEG)
        asks for a colour model (taken where one ships; else the gray one restores its luma), unless `luma_only`."""
        return 3 if self.channels == 1 and not gray_picture and not luma_only else self.channels

    def check_luma_only(self, luma_only: bool, model_given: bool) -> None:
        """TaskError unless `luma_only` (restore a colour picture's luma with the gray model) applies: to gray tasks,
        choosing among the shipped models (with a model given, that model decides)."""
        if luma_only and self.channels == 3:
            raise TaskError(f"luma-only applies to denoising and JPEG (gray models); task {self.name!r} restores RGB")
        if luma_only and model_given:
            raise TaskError("luma-only chooses among the shipped models; with a model given, that model decides "
                            "(a gray one restores the luma)")

    def level_input(self, setting: int | None) -> int | None:
        """The level a model conditioned on its input's noise is told (denoising: sigma); None otherwise."""
        return setting if self.adds_noise else None

    def setting_in_file(self, path: str | Path | bytes) -> JpegQuality | None:
        """What an image file says of its own degradation level (JPEG: its quality); None where it says nothing."""
        return None

    # -- data ----------------------------------------------------------------------------------------------------
    def clean_image(self, rgb: np.ndarray, channels: int | None = None) -> np.ndarray:
        """A test / training image as this task uses it, from uint8 RGB: RGB for colour tasks (or `channels=3`),
        Y for gray ones."""
        return rgb if (channels or self.channels) == 3 else to_uint8(rgb_to_y(rgb))

    def prepare(self, clean: np.ndarray, setting: int) -> np.ndarray:
        """The ground truth the protocol scores against (SR: modcropped to the scale)."""
        return clean

    def degrade(self, clean: np.ndarray, setting: float, rng: np.random.Generator | None = None) -> np.ndarray:
        """The protocol's degraded input of uint8 `clean`; `rng` draws the randomness (None: the protocol's seed)."""
        raise NotImplementedError

    def example(self, rgb: np.ndarray, setting: int) -> tuple[np.ndarray, np.ndarray]:
        """(degraded input, clean reference) of a uint8 RGB photo at `setting`, as the protocol makes them (the demo
        pictures of `scn demo` and `scn serve`)."""
        clean = self.prepare(self.clean_image(rgb), setting)
        return self.degrade(clean, setting), clean

    def draw_setting(self, rng: np.random.Generator, low: float, high: float) -> float:
        """A training patch's level, drawn from [low, high] (fixed when they are equal)."""
        return low

    def grid(self, channels: int) -> int:
        """Training crops start on multiples of this, for models of `channels` (JPEG: its block grid)."""
        return self.crop_grid

    def validation_setting(self, low: float, high: float) -> int:
        """The level a model trained on [low, high] is validated at (the low end unless a task prefers one)."""
        return int(low)

    # -- scoring -------------------------------------------------------------------------------------------------
    def score(self, output8: np.ndarray, clean: np.ndarray, setting: int, gray_file: bool = False) -> Scores:
        """PSNR / SSIM (and PSNR-B for JPEG) of uint8 `output8` vs. `clean` under the field's protocol."""
        return gray_scores(output8, clean)

    def to_uint8(self, output: np.ndarray) -> np.ndarray:
        """A method's output (uint8, or float in [0, 1]) as the uint8 image that is scored."""
        return output if output.dtype == np.uint8 else to_uint8(np.clip(output, 0, 1) * 255)


class SuperResolution(Task):
    """Bicubic super-resolution (MATLAB `imresize` down-scaling), scored on Y with a border of `scale` cropped."""

    resizes = True

    def model_scale(self, setting: int) -> int:
        return int(setting)

    def prepare(self, clean: np.ndarray, setting: int) -> np.ndarray:
        return modcrop(clean, int(setting))

    def degrade(self, clean: np.ndarray, setting: float, rng: np.random.Generator | None = None) -> np.ndarray:
        return bicubic_downscale(clean, int(setting))

    def score(self, output8: np.ndarray, clean: np.ndarray, setting: int, gray_file: bool = False) -> Scores:
        return sr_scores(output8, clean, setting)

    def range_text(self, low: float, high: float) -> str:
        return self.label(low) if low == high else f"{self.label(low)}-{self.label(high)}"

    def upscale(self, image: np.ndarray, setting: int) -> np.ndarray:
        """The bicubic baseline (MATLAB `imresize`)."""
        return imresize(image, float(setting))


class Denoising(Task):
    """Additive white Gaussian noise of level sigma (0..255 scale), float, unclipped (colour: on each RGB value);
    no crop."""

    adds_noise = True

    def degrade(self, clean: np.ndarray, setting: float, rng: np.random.Generator | None = None) -> np.ndarray:
        return add_gaussian_noise(clean.astype(np.float64) / 255.0, setting, seed=0, rng=rng)

    def draw_setting(self, rng: np.random.Generator, low: float, high: float) -> float:
        return float(rng.uniform(low, high)) if high > low else low

    def validation_setting(self, low: float, high: float) -> int:
        return 25 if low <= 25 <= high else int(round((low + high) / 2))  # sigma 25: the field's usual level


class JpegDeblocking(Task):
    """JPEG compression at quality q (libjpeg through Pillow; colour as YCbCr 4:2:0), decoded; no crop, PSNR-B as
    well."""

    def degrade(self, clean: np.ndarray, setting: float, rng: np.random.Generator | None = None) -> np.ndarray:
        return jpeg_compress(clean, int(setting)).astype(np.float64) / 255.0

    def draw_setting(self, rng: np.random.Generator, low: float, high: float) -> float:
        return float(rng.integers(int(low), int(high) + 1))

    def grid(self, channels: int) -> int:
        return 16 if channels == 3 else self.crop_grid  # colour 4:2:0: chroma blocks span 16x16 pixels

    def setting_in_file(self, path: str | Path | bytes) -> JpegQuality | None:
        return jpeg_quality(path)

    def score(self, output8: np.ndarray, clean: np.ndarray, setting: int, gray_file: bool = False) -> Scores:
        return gray_scores(output8, clean, with_psnr_b=True)


SR = SuperResolution("sr", "super-resolution", "scale", (2, 8), "x{}", "x", channels=3, baseline="bicubic-rgb",
                    default_setting=2, setting_help="SR scale: 2, 3 or 4 (default 2)", levels=(2, 3, 4))
DENOISE = Denoising("denoise", "gray denoising", "sigma", (0, 255), "σ{}", "s", channels=1, baseline="identity",
                    setting_help="noise level on the 0..255 scale (default: unknown, for a blind model)",
                    setting_type=float, levels=(15, 25, 50))
JPEG = JpegDeblocking("jpeg", "gray JPEG artifact removal", "quality", (1, 100), "q{}", "q", channels=1,
                      baseline="identity", crop_grid=8,
                      setting_help="JPEG quality the image was saved at (default: unknown, for a blind model)",
                      levels=(10, 20, 30, 40))

TASKS: dict[str, Task] = {task.name: task for task in (SR, DENOISE, JPEG)}


def register_task(task: Task) -> Task:
    """Make `task` known by its name: to configs, checkpoints, `scn.restore`, the commands' --task (parsers made
    after this) and the benchmark. Its setting's keyword (`task.setting`) is taken by `scn.restore`."""
    if task.name in TASKS:
        raise TaskError(f"task {task.name!r} is registered already")
    TASKS[task.name] = task
    return task


def get_task(name: str | Task) -> Task:
    """The task called `name` (a task given is returned as it is); TaskError naming the tasks otherwise."""
    if isinstance(name, Task):
        return name
    try:
        return TASKS[name]
    except (KeyError, TypeError):
        raise TaskError(f"task {name!r} is not known; {did_you_mean(str(name), TASKS)}choose one of "
                        f"{', '.join(TASKS)}") from None


def task_names() -> tuple[str, ...]:
    return tuple(TASKS)
