"""The restoration tasks as objects: each owns its setting (flag, limits, label), its degradation, its baseline and
its scoring protocol. Every caller (CLI, API, benchmark, training, zoo, demo) asks the task rather than comparing
names. Adding a task means one subclass here, registered in TASKS, plus its tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .data.color import rgb_to_y, to_uint8
from .data.degrade import add_gaussian_noise, bicubic_downscale, jpeg_compress, modcrop
from .data.resize import imresize
from .errors import ScnError, did_you_mean
from .metrics.protocols import gray_scores, sr_scores

Scores = dict[str, float]


class TaskError(ScnError):
    """An unknown task, or a setting outside what a task takes."""


@dataclass(frozen=True)
class Task:
    """One restoration task. `setting` names the one number a degradation takes (scale, sigma, quality)."""

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

    # -- settings ------------------------------------------------------------------------------------------------
    @property
    def flag(self) -> str:
        return f"--{self.setting}"

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

    def score(self, output8: np.ndarray, clean: np.ndarray, setting: int, gray_file: bool = False) -> Scores:
        return gray_scores(output8, clean, with_psnr_b=True)


TASKS: dict[str, Task] = {
    task.name: task for task in (
        SuperResolution("sr", "super-resolution", "scale", (2, 8), "x{}", "x", channels=3, baseline="bicubic-rgb",
                        default_setting=2, setting_help="SR scale: 2, 3 or 4 (default 2)", levels=(2, 3, 4)),
        Denoising("denoise", "gray denoising", "sigma", (0, 255), "σ{}", "s", channels=1, baseline="identity",
                  setting_help="noise level on the 0..255 scale (default: unknown, for a blind model)",
                  setting_type=float, levels=(15, 25, 50)),
        JpegDeblocking("jpeg", "gray JPEG artifact removal", "quality", (1, 100), "q{}", "q", channels=1,
                       baseline="identity", crop_grid=8,
                       setting_help="JPEG quality the image was saved at (default: unknown, for a blind model)",
                       levels=(10, 20, 30, 40)),
    )
}


def get_task(name: str) -> Task:
    """The task called `name`; TaskError naming the tasks otherwise."""
    try:
        return TASKS[name]
    except (KeyError, TypeError):
        raise TaskError(f"task {name!r} is not known; {did_you_mean(str(name), TASKS)}choose one of "
                        f"{', '.join(TASKS)}") from None


def task_names() -> tuple[str, ...]:
    return tuple(TASKS)
