"""`scn.restore`: the Python API for restoring one image with a shipped or given model."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..archs import RestorationNet
from ..data.jpeg_quality import JpegQuality
from ..errors import ScnError
from ..resolve import DEFAULT, ResolveError, check_fits, resolve
from ..tasks import Task, get_task
from ..zoo import ZooError
from .engine import DEFAULT_MAX_MEMORY, Restorer
from .images import (array_from_picture, picture_from_array, picture_from_pil, picture_to_pil, read_picture,
                     write_picture)

log = logging.getLogger("scn")


def model_for(model: str | Path | RestorationNet | None, task: Task, setting: int | None,
              channels: int | None = None) -> RestorationNet:
    """A model instance from None (the shipped default; of `channels` where such weights ship), a model instance,
    or any spec `scn.resolve` takes; checked against the task and setting."""
    if isinstance(model, RestorationNet):
        check_fits(model.config, task, setting)
        return model
    return resolve(DEFAULT if model is None else model, task, setting, channels=channels).load()


def quality_in_range(found: JpegQuality | None, task: Task, channels: int) -> int | None:
    """A file's quality as the setting to restore at, where a shipped model takes it (None: the blind one)."""
    if found is None:
        return None
    try:
        resolve(DEFAULT, task, found.quality, channels=channels)  # names weights; loads (and checks) nothing
    except (ResolveError, ZooError):
        return None
    return found.quality


def restore(image: np.ndarray | Image.Image | str | Path, task: str | Task = "sr", *, scale: int | None = None,
            sigma: float | None = None, quality: int | None = None, model: Any = None, ensemble: bool = False,
            tile: int | None = None, tile_overlap: int | None = None, device: str = "cpu", half: bool = False,
            max_memory: float = DEFAULT_MAX_MEMORY, output: str | Path | None = None, luma_only: bool = False,
            precision: str = "fp32", **settings: float | None):
    """Restore `image` (a numpy array, a PIL image, or a path) and return the same kind.

    Arrays: uint8 / uint16 / float in [0, 1], (H, W) gray or (H, W, 3|4) RGB(A). A path needs `output`, where the
    result is written (format from its suffix); the output path is returned. `model`: None for the shipped
    default, a checkpoint path, a shipped model's name, or a model instance. Denoising and JPEG of a colour image
    take a shipped colour model where one ships; `luma_only` keeps the gray one (the luma restored, Cb/Cr kept).
    `settings`: the setting of a task registered besides these three, by its name (`scn.tasks.register_task`).
    `precision` 'bf16' runs the convolutions in bf16 (autocast; fast on CUDA and on a CPU with AMX or AVX-512 BF16,
    else fp32 with a note), 'int8' the model quantized to 8-bit integers (ONNX Runtime, CPU; scn/inference/int8.py).
    A JPEG file restored without `quality` (and without `model`) is restored at the quality its quantization
    tables say (`scn.data.jpeg_quality`). A denoiser told the noise level, given no `sigma`, estimates it from the
    picture (`scn.data.noise_level`). The level so found is logged at INFO on the `scn` logger. Every picture is
    clipped to its range on the way in, as a stored one is, so denoising takes the shipped denoiser trained on noise
    so clipped where one ships (`Pretrained.clipped_noise`).
    """
    t = get_task(task)
    setting = t.parse_setting(scale=scale, sigma=sigma, quality=quality, **settings)
    t.check_luma_only(luma_only, model_given=model is not None)
    if isinstance(image, (str, Path)):
        if output is None:
            raise ScnError("restoring a path needs output= (where to write the result)")
        if Path(output).resolve() == Path(image).resolve():
            raise ScnError(f"{output}: refusing to overwrite the input")
        pic, kind = read_picture(image), "path"
        if setting is None and model is None:  # the level the file says (a JPEG's quality)
            setting = quality_in_range(t.setting_in_file(image), t, t.model_channels(pic.gray_for(t), luma_only))
            if setting is not None:
                log.info("scn.restore: %s: %s %g, read from the file", Path(image).name, t.setting, setting)
    elif isinstance(image, Image.Image):
        pic, kind = picture_from_pil(image), "pil"
    elif isinstance(image, np.ndarray):
        pic, kind = picture_from_array(image)
    else:
        raise ScnError(f"restore takes a numpy array, a PIL image or a path, got {type(image).__name__}")
    net = model_for(model, t, setting, t.model_channels(pic.gray_for(t), luma_only))
    restorer = Restorer.at_precision(net, precision, device=device, half=half, ensemble=ensemble, tile=tile,
                                     tile_overlap=tile_overlap, max_memory=max_memory,
                                     noise_level=t.level_input(setting))
    restored = restorer.restore(pic)
    if restorer.estimated_level is not None:
        log.info("scn.restore: noise level sigma %g, estimated from the picture (Chen et al. 2015); sigma= sets "
                 "another", restorer.estimated_level)
    if kind == "path":
        return write_picture(restored, output)  # type: ignore[arg-type]
    return picture_to_pil(restored) if kind == "pil" else array_from_picture(restored, kind)
