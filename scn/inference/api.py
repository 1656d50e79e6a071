"""`scn.restore`: the Python API for restoring one image with a shipped or given model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..archs import RestorationNet
from ..checkpoint import load_model
from ..errors import ScnError
from .engine import DEFAULT_MAX_MEMORY, Restorer
from .images import Picture, read_picture, write_picture

TASK_SETTING = {"sr": "scale", "denoise": "sigma", "jpeg": "quality"}


def task_setting(task: str, scale: int | None, sigma: float | None, quality: int | None) -> int | None:
    """The one setting the task takes, checked. SR defaults to x2; denoising and JPEG without a level give None:
    a blind model (one trained over a range of levels) handles an unknown level."""
    if task not in TASK_SETTING:
        raise ScnError(f"task {task!r} is not known; use sr, denoise or jpeg")
    values = {"scale": scale, "sigma": sigma, "quality": quality}
    wanted = TASK_SETTING[task]
    extra = [k for k, v in values.items() if v is not None and k != wanted]
    if extra:
        raise ScnError(f"{', '.join(extra)} does not apply to task {task!r}; it takes {wanted}")
    value = values[wanted]
    if value is None:
        return 2 if task == "sr" else None
    limits = {"scale": (2, 8), "sigma": (0, 255), "quality": (1, 100)}[wanted]
    if not limits[0] <= value <= limits[1]:
        raise ScnError(f"{wanted} {value} is out of range {limits[0]}..{limits[1]}")
    return int(round(value))


def resolve_model(model: str | Path | RestorationNet | None, task: str, setting: int | None) -> RestorationNet:
    """A model instance from None (the shipped default), a checkpoint path, or a shipped model's name;
    checked against the task and setting."""
    from ..zoo import pretrained_for

    if isinstance(model, RestorationNet):
        net = model
    elif model is None:
        net = pretrained_for("scn", task, setting)
    elif Path(model).suffix == ".safetensors" or Path(model).is_file():
        net = load_model(model)
    else:
        net = pretrained_for(str(model), task, setting)
    cfg = net.config
    if cfg.task != task:
        raise ScnError(f"the model is a {cfg.task!r} model, not a {task!r} one")
    if task == "sr" and cfg.scale != setting:
        raise ScnError(f"the model is x{cfg.scale}, not x{setting}")
    return net


def _picture_from_array(arr: np.ndarray) -> tuple[Picture, str]:
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 2, 3, 4):
        raise ScnError(f"expected an (H, W), (H, W, 1|3|4) image array, got shape {arr.shape}")
    if arr.dtype == np.uint8:
        f, bits, kind = arr.astype(np.float32) / 255.0, 8, "uint8"
    elif arr.dtype == np.uint16:
        f, bits, kind = arr.astype(np.float32) / 65535.0, 16, "uint16"
    elif np.issubdtype(arr.dtype, np.floating):
        f, bits, kind = np.clip(arr.astype(np.float32), 0, 1), 16, "float"
    else:
        raise ScnError(f"image arrays must be uint8, uint16 or float in [0, 1], got {arr.dtype}")
    has_alpha = f.shape[2] in (2, 4)
    color = f[..., : f.shape[2] - 1] if has_alpha else f
    return Picture(np.ascontiguousarray(color), f[..., -1].copy() if has_alpha else None, bits), kind


def _array_from_picture(pic: Picture, kind: str) -> np.ndarray:
    f = pic.color if pic.alpha is None else np.concatenate([pic.color, pic.alpha[..., None]], axis=2)
    f = f[..., 0] if f.shape[2] == 1 else f
    if kind == "float":
        return f.astype(np.float32)
    peak, dtype = (255.0, np.uint8) if kind == "uint8" else (65535.0, np.uint16)
    return np.floor(np.clip(f, 0, 1) * peak + 0.5).astype(dtype)


def restore(image: np.ndarray | Image.Image | str | Path, task: str = "sr", *, scale: int | None = None,
            sigma: float | None = None, quality: int | None = None, model: Any = None, ensemble: bool = False,
            tile: int | None = None, tile_overlap: int | None = None, device: str = "cpu", half: bool = False,
            max_memory: float = DEFAULT_MAX_MEMORY, output: str | Path | None = None):
    """Restore `image` (a numpy array, a PIL image, or a path) and return the same kind.

    Arrays: uint8 / uint16 / float in [0, 1], (H, W) gray or (H, W, 3|4) RGB(A). A path needs `output`, where the
    result is written (format from its suffix); the output path is returned. `model`: None for the shipped
    default, a checkpoint path, a shipped model's name, or a model instance.
    """
    setting = task_setting(task, scale, sigma, quality)
    net = resolve_model(model, task, setting)
    restorer = Restorer(net, device=device, half=half, ensemble=ensemble, tile=tile, tile_overlap=tile_overlap,
                        max_memory=max_memory)
    if isinstance(image, (str, Path)):
        if output is None:
            raise ScnError("restoring a path needs output= (where to write the result)")
        if Path(output).resolve() == Path(image).resolve():
            raise ScnError(f"{output}: refusing to overwrite the input")
        return write_picture(restorer.restore(read_picture(image)), output)
    if isinstance(image, Image.Image):
        if image.mode in ("1", "L", "LA"):
            arr = np.asarray(image.convert("L") if image.mode == "1" else image)
        elif "A" in image.getbands() or (image.mode == "P" and "transparency" in image.info):
            arr = np.asarray(image.convert("RGBA"))
        else:
            arr = np.asarray(image.convert("RGB"))
        pic, _ = _picture_from_array(arr)
        pic.bits = 8
        out = _array_from_picture(restorer.restore(pic), "uint8")
        return Image.fromarray(out)
    if isinstance(image, np.ndarray):
        pic, kind = _picture_from_array(image)
        return _array_from_picture(restorer.restore(pic), kind)
    raise ScnError(f"restore takes a numpy array, a PIL image or a path, got {type(image).__name__}")
