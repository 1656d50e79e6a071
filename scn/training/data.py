"""Training data: folders of clean images turned into degraded/clean patch pairs, deterministically.

Every sample is addressed by (epoch, index): image = index mod #images; the crop, the dihedral augmentation and
the degradation level / noise are drawn from a generator seeded by (seed, epoch, index). So the data a step sees
depends only on the step, whatever the number of workers or processes, and resuming needs only the step.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from ..data.color import FULL_RANGE_LUMA, to_uint8
from ..data.degrade import clip_to_8_bits, modcrop
from ..data.io import ImageError, as_gray, as_rgb, list_images, read_image
from ..data.resize import imresize
from ..archs import with_noise_map
from .config import TrainConfig, holdout_files

LR_BORDER = 2  # SR crops avoid a 2-pixel LR border (the reference code)
CACHE_VERSION = "imresize-matlab-v1"


def default_cache_dir() -> Path:
    return Path(os.environ.get("SCN_CACHE", Path.home() / ".cache" / "scn")) / "lr"


def cached_lr(hr: np.ndarray, scale: int, cache_dir: Path) -> np.ndarray:
    """MATLAB-bicubic LR of a whole (modcropped) HR image, cached on disk under a key of its content."""
    key = hashlib.sha256(hr.tobytes() + repr((hr.shape, scale, CACHE_VERSION)).encode()).hexdigest()[:32]
    path = cache_dir / f"{key}_x{scale}.npy"
    if path.is_file():
        try:
            lr = np.load(path, allow_pickle=False)
            if lr.shape[:2] == (hr.shape[0] // scale, hr.shape[1] // scale):
                return lr
        except (OSError, ValueError):
            pass  # a damaged cache entry is simply recomputed
    lr = imresize(hr, 1.0 / scale)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".npy.tmp")
        with os.fdopen(fd, "wb") as f:
            np.save(f, lr, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        pass  # caching is an optimisation; a read-only cache still trains
    return lr


def training_files(config: TrainConfig) -> list[Path]:
    """The pictures training reads: every image of the training folders but those data.holdout keeps for
    validation, in folder order."""
    held_out = {p.resolve() for p in holdout_files(config)}
    return [p for folder in config.data.train for p in list_images(folder) if p.resolve() not in held_out]


def load_training_images(config: TrainConfig) -> list[np.ndarray]:
    """Every clean image of the training folders: uint8 RGB for colour models (SR; colour denoising and JPEG),
    uint8 gray (Y) otherwise; each once per factor of data.scales (down-scaled by MATLAB bicubic), in folder order
    and, within an image, in the order of data.scales."""
    task, patch = config.restoration_task, config.data.patch_size
    color = config.model_channels == 3
    scale = task.model_scale(config.task.scale)
    need = (patch + 2 * LR_BORDER) * scale if scale > 1 else patch
    images, too_small = [], []
    for path in training_files(config):
        im = read_image(path)
        original = as_rgb(im) if color else as_gray(im)
        for factor in config.data.scales:
            arr = original if factor == 1 else imresize(original, float(factor))
            if scale > 1:
                arr = modcrop(arr, scale)
            if min(arr.shape[:2]) < need:
                too_small.append(path.name if factor == 1 else f"{path.name}@{factor:g}")
                continue
            images.append(arr)
    if not images:
        raise ImageError(f"every training image is smaller than a patch needs ({need}x{need}); "
                         "lower data.patch_size")
    if too_small:
        print(f"scn train: skipping {len(too_small)} image(s) smaller than {need}x{need} "
              f"({', '.join(too_small[:3])}{', ...' if len(too_small) > 3 else ''})", file=sys.stderr)
    return images


def _augment(arrays: list[np.ndarray], code: int) -> list[np.ndarray]:
    """One of the 8 dihedral transforms: bit 0 horizontal flip, bit 1 vertical flip, bit 2 transpose."""
    out = []
    for a in arrays:
        if code & 1:
            a = a[:, ::-1]
        if code & 2:
            a = a[::-1]
        if code & 4:
            a = a.swapaxes(0, 1)
        out.append(np.ascontiguousarray(a))
    return out


def detail(patch: np.ndarray) -> float:
    """How much detail a crop holds: the mean absolute difference of neighbouring values, down and across, over
    every channel (in the crop's own units)."""
    a = patch.astype(np.float32)
    return float(np.abs(np.diff(a, axis=0)).mean() + np.abs(np.diff(a, axis=1)).mean())


def _to_tensor(a: np.ndarray) -> torch.Tensor:
    a = a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)
    return torch.from_numpy(a.transpose(2, 0, 1).copy() if a.ndim == 3 else a[None].copy())


class PatchDataset(Dataset):
    """(degraded, clean) patch pairs for one task; keys are (epoch, index) pairs."""

    def __init__(self, config: TrainConfig, images: list[np.ndarray]) -> None:
        self.config = config
        self.images = images
        self.task = config.restoration_task
        self.scale = self.task.model_scale(config.task.scale)
        self.patch = config.data.patch_size
        self.grid = self.task.grid(config.model_channels)
        self.low, self.high = config.setting_range
        self.gray_fraction = config.data.gray_fraction
        self.clipped_fraction = config.data.clipped_fraction
        self.channel_gain_fraction = config.data.channel_gain_fraction
        self.channel_gains = config.data.channel_gains
        self.noise_map = config.model_config.noise_map  # a denoiser told its level: the map beside the picture
        self.texture_fraction = config.data.texture_fraction
        self.texture_candidates = config.data.texture_candidates
        self.focus = config.task.focus
        self.focus_fraction = config.task.focus_fraction
        self.lrs: list[np.ndarray] = []
        if self.scale > 1:  # LR images made once per image (MATLAB bicubic), patches cut from both
            cache = Path(config.data.cache_dir) if config.data.cache_dir else default_cache_dir()
            self.lrs = [cached_lr(hr, config.task.scale, cache) for hr in images]

    def __len__(self) -> int:
        return len(self.images) * self.config.data.patches_per_image

    def draw(self, epoch: int, index: int, stream: int) -> float:
        """U[0, 1) from a stream of its own (1: gray, 2: clipped, 3: focus, 4: channel gains, 5: texture), so
        turning gray_fraction, clipped_fraction, focus_fraction, channel_gain_fraction or texture_fraction on
        changes no other draw (the first four no crop, the first two no noise)."""
        return float(np.random.default_rng([self.config.train.seed, epoch, index, stream]).random())

    def __getitem__(self, key: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        epoch, index = key
        rng = np.random.default_rng([self.config.train.seed, epoch, index])
        image = self.images[index % len(self.images)]
        p = self.patch
        if self.scale > 1:
            s = self.scale
            lr = self.lrs[index % len(self.images)]

            def lr_position(r: np.random.Generator) -> tuple[int, int]:
                return (int(r.integers(LR_BORDER, lr.shape[0] - p - LR_BORDER + 1)),
                        int(r.integers(LR_BORDER, lr.shape[1] - p - LR_BORDER + 1)))

            y, x = self.textured(lr_position, rng, epoch, index,
                                 lambda y, x: image[y * s:(y + p) * s, x * s:(x + p) * s])
            lr_p, hr_p = _augment([lr[y:y + p, x:x + p], image[y * s:(y + p) * s, x * s:(x + p) * s]],
                                  int(rng.integers(8)))
            return _to_tensor(lr_p), _to_tensor(hr_p)
        g = self.grid  # JPEG: crops on the image's block grid, so blocks fall where they would

        def position(r: np.random.Generator) -> tuple[int, int]:
            return (g * int(r.integers(0, (image.shape[0] - p) // g + 1)),
                    g * int(r.integers(0, (image.shape[1] - p) // g + 1)))

        y, x = self.textured(position, rng, epoch, index, lambda y, x: image[y:y + p, x:x + p])
        (clean,) = _augment([image[y:y + p, x:x + p]], int(rng.integers(8)))
        if self.gray_fraction > 0 and self.draw(epoch, index, 1) < self.gray_fraction:
            clean = np.repeat(to_uint8(clean @ FULL_RANGE_LUMA)[..., None], 3, axis=2)
        elif self.channel_gain_fraction > 0 and self.draw(epoch, index, 4) < self.channel_gain_fraction:
            clean = self.with_channel_gains(clean, epoch, index)
        low, high = self.low, self.high
        if self.focus_fraction > 0 and self.draw(epoch, index, 3) < self.focus_fraction:
            low, high = self.focus  # one draw either way: the rest of the patch's randomness stays as it was
        level = self.task.draw_setting(rng, low, high)
        degraded = self.task.degrade(clean, level, rng)
        if self.clipped_fraction > 0 and self.draw(epoch, index, 2) < self.clipped_fraction:
            degraded = clip_to_8_bits(degraded)  # as a noisy photo file holds it; told the sigma added all the same
        degraded = _to_tensor(degraded)
        if self.noise_map:
            degraded = with_noise_map(degraded, level)
        return degraded, _to_tensor(clean)

    def textured(self, position: Callable[[np.random.Generator], tuple[int, int]], rng: np.random.Generator,
                 epoch: int, index: int, crop: Callable[[int, int], np.ndarray]) -> tuple[int, int]:
        """The crop position: `position(rng)` (uniform), or for data.texture_fraction of the patches the one whose
        `crop` holds the most detail among that and texture_candidates - 1 more drawn by `position` from a stream of
        their own (5), so the augmentation and degradation draws stay as they were."""
        first = position(rng)
        if not (self.texture_fraction > 0 and self.draw(epoch, index, 5) < self.texture_fraction):
            return first
        more = np.random.default_rng([self.config.train.seed, epoch, index, 5, 1])
        candidates = [first] + [position(more) for _ in range(self.texture_candidates - 1)]
        return max(candidates, key=lambda c: detail(crop(*c)))

    def with_channel_gains(self, clean: np.ndarray, epoch: int, index: int) -> np.ndarray:
        """`clean` (uint8 RGB) with each channel scaled by its own gain from U[channel_gains], clipped to 8 bits;
        the gains come from a stream of their own (4), so the crop and noise draws stay as they were."""
        low, high = self.channel_gains
        gains = np.random.default_rng([self.config.train.seed, epoch, index, 4, 1]).uniform(low, high, 3)
        return to_uint8(clean.astype(np.float64) * gains)


class StepBatchSampler(Sampler[list[tuple[int, int]]]):
    """Batches for steps start..total-1 of one process: step t of epoch e takes positions
    [(t mod steps_per_epoch) * B * W + rank * B, ... + B) of epoch e's permutation (wrapping around)."""

    def __init__(self, num_samples: int, batch_size: int, seed: int, start: int, total: int, rank: int = 0,
                 world: int = 1) -> None:
        self.n, self.batch, self.seed = num_samples, batch_size, seed
        self.start, self.total, self.rank, self.world = start, total, rank, world
        self.steps_per_epoch = max(1, -(-num_samples // (batch_size * world)))
        self._perm: tuple[int, np.ndarray] | None = None

    def permutation(self, epoch: int) -> np.ndarray:
        if self._perm is None or self._perm[0] != epoch:
            self._perm = (epoch, np.random.default_rng([self.seed, epoch, 7]).permutation(self.n))
        return self._perm[1]

    def batch_at(self, step: int) -> list[tuple[int, int]]:
        epoch, pos = divmod(step, self.steps_per_epoch)
        perm = self.permutation(epoch)
        first = pos * self.batch * self.world + self.rank * self.batch
        return [(epoch, int(perm[(first + i) % self.n])) for i in range(self.batch)]

    def __iter__(self):
        for step in range(self.start, self.total):
            yield self.batch_at(step)

    def __len__(self) -> int:
        return max(0, self.total - self.start)
