"""The methods `scn benchmark` runs side by side, made from their command-line specs.

Spec forms: `bicubic`, `bicubic-rgb` (SR), `identity` (denoise, jpeg), `bm3d` (denoise), `dncnn:WEIGHTS`,
`arcnn:WEIGHTS`, `imdn:WEIGHTS`, a path to an scn checkpoint, or a registered model name with shipped weights.
WEIGHTS may be a file, or a folder holding one file per setting whose path names the setting as a number
(`DnCNN-S-25/net.pth`, `q10.mat`, `IMDN_x2.pth`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..data.color import rgb_to_y, to_uint8
from ..data.resize import imresize
from ..errors import ScnError
from ..layers.conv import inference_copy
from ..metrics.protocols import gray_scores, sr_scores
from ..metrics.quality import psnr, ssim
from .ensemble import self_ensemble

Scores = dict[str, float]


class MethodError(ScnError):
    """A method spec that cannot be used for the task asked."""


class Method:
    """Restores degraded inputs; `evaluate` scores one image under the task's protocol."""

    label = "method"
    tasks: tuple[str, ...] = ("sr", "denoise", "jpeg")

    def restore(self, degraded: np.ndarray, task: str, setting: int) -> np.ndarray:
        """SR: uint8 RGB LR in, RGB out (uint8, or float in [0, 1]); gray tasks: float gray in, float out."""
        raise NotImplementedError

    def evaluate(self, clean: np.ndarray, degraded: np.ndarray, task: str, setting: int,
                 gray_file: bool = False) -> tuple[Scores, np.ndarray]:
        out = self.restore(degraded, task, setting)
        if task == "sr":
            out8 = out if out.dtype == np.uint8 else to_uint8(np.clip(out, 0, 1) * 255)
            return sr_scores(out8, clean, setting), out8
        out8 = to_uint8(np.clip(out, 0, 1) * 255)
        return gray_scores(out8, clean, with_psnr_b=task == "jpeg"), out8


class Identity(Method):
    """The degraded input itself (the 'noisy' / 'JPEG' row)."""

    label, tasks = "identity", ("denoise", "jpeg")

    def restore(self, degraded: np.ndarray, task: str, setting: int) -> np.ndarray:
        return degraded


class BicubicRGB(Method):
    """MATLAB bicubic up-scaling of the uint8 RGB LR, scored like every network (float Y of the RGB output)."""

    label, tasks = "bicubic-rgb", ("sr",)

    def restore(self, degraded: np.ndarray, task: str, setting: int) -> np.ndarray:
        return imresize(degraded, float(setting))


class BicubicClassic(Method):
    """The published bicubic rows' chain (SRCNN/VDSR-era MATLAB): Y = rgb2ycbcr of the uint8 HR, rounded to uint8
    (a gray file is its own Y), modcrop, bicubic down and up in float on Y alone, output rounded to uint8, PSNR /
    SSIM on that Y with `scale` border pixels cropped. Reproduces the published Set5 / Set14 rows."""

    label, tasks = "bicubic", ("sr",)

    def evaluate(self, clean: np.ndarray, degraded: np.ndarray, task: str, setting: int,
                 gray_file: bool = False) -> tuple[Scores, np.ndarray]:
        s = setting
        y = clean[..., 0] if gray_file else to_uint8(rgb_to_y(clean))
        hr = y.astype(np.float64) / 255.0
        up = to_uint8(imresize(imresize(hr, 1.0 / s), float(s)) * 255.0).astype(np.float64)
        a, b = up[s:-s, s:-s], hr[s:-s, s:-s] * 255.0
        return {"psnr": psnr(a, b), "ssim": ssim(a, b)}, up.astype(np.uint8)


class BM3D(Method):
    """BM3D (Dabov et al. 2007) through the optional `bm3d` package (`pip install 'scn[bm3d]'`)."""

    label, tasks = "bm3d", ("denoise",)

    def __init__(self) -> None:
        try:
            import bm3d  # noqa: F401
        except ImportError:
            raise MethodError("method 'bm3d' needs the optional bm3d package: pip install bm3d "
                              "(free for non-commercial use)") from None

    def restore(self, degraded: np.ndarray, task: str, setting: int) -> np.ndarray:
        import bm3d

        return np.asarray(bm3d.bm3d(degraded, sigma_psd=setting / 255.0), dtype=np.float64)


class TorchMethod(Method):
    """A network: `load(setting)` gives the module for a setting (cached); inputs and outputs in [0, 1]."""

    def __init__(self, label: str, tasks: tuple[str, ...], load: Callable[[int], nn.Module],
                 ensemble: bool = False, device: str = "cpu") -> None:
        self.label, self.tasks, self.load, self.ensemble, self.device = label, tasks, load, ensemble, device
        self._cache: dict[int, nn.Module] = {}

    def module(self, setting: int) -> nn.Module:
        if setting not in self._cache:
            self._cache = {setting: inference_copy(self.load(setting), self.device)}  # keep one in memory
        return self._cache[setting]

    def restore(self, degraded: np.ndarray, task: str, setting: int) -> np.ndarray:
        model = self.module(setting)
        x = degraded.astype(np.float32) / (255.0 if degraded.dtype == np.uint8 else 1.0)
        t = torch.from_numpy(x).permute(2, 0, 1) if x.ndim == 3 else torch.from_numpy(x)[None]
        with torch.inference_mode():
            t = t[None].to(self.device).contiguous(memory_format=torch.channels_last)
            y = self_ensemble(model, t) if self.ensemble else model(t)
        y = y[0].float().cpu()
        return (y.permute(1, 2, 0) if y.shape[0] == 3 else y[0]).numpy().astype(np.float64)


# -- spec parsing --------------------------------------------------------------------------------------------------

def resolve_weights(path: Path, setting: int, suffixes: tuple[str, ...]) -> Path:
    """`path` itself if a file; in a folder, the one file (with a suffix in `suffixes`) naming `setting`."""
    if path.is_file():
        return path
    if not path.exists():
        raise MethodError(f"{path}: no such weights file or folder")
    pattern = re.compile(rf"(?<!\d){setting}(?!\d)")
    hits = sorted(p for p in path.rglob("*") if p.suffix in suffixes and pattern.search(str(p.relative_to(path))))
    if len(hits) != 1:
        found = ", ".join(str(p.relative_to(path)) for p in hits) or "none"
        raise MethodError(f"{path}: need exactly one weights file naming setting {setting}, found {found}")
    return hits[0]


def make_method(spec: str, task: str, ensemble: bool = False, device: str = "cpu") -> Method:
    """The method a command-line spec names, checked against `task`."""
    from ..peers import load_arcnn, load_dncnn, load_imdn

    kind, _, arg = spec.partition(":")
    simple: dict[str, Callable[[], Method]] = {"bicubic": BicubicClassic, "bicubic-rgb": BicubicRGB,
                                               "identity": Identity, "bm3d": BM3D}
    peers = {"dncnn": (load_dncnn, ("denoise",), (".pth", ".pt")), "arcnn": (load_arcnn, ("jpeg",), (".mat",)),
             "imdn": (load_imdn, ("sr",), (".pth", ".pt"))}
    if kind in simple and not arg:
        method = simple[kind]()
    elif kind in peers:
        if not arg:
            raise MethodError(f"method {kind!r} needs weights: {kind}:PATH (a file or a folder of them)")
        loader, tasks, suffixes = peers[kind]
        root = Path(arg)
        method = TorchMethod(kind, tasks, lambda s: loader(resolve_weights(root, s, suffixes)), ensemble, device)
    elif spec.endswith(".safetensors") or Path(spec).is_file():
        method = _checkpoint_method(spec, ensemble, device)
    else:
        from ..zoo import pretrained_for

        method = TorchMethod(spec, (task,), lambda s: pretrained_for(spec, task, s), ensemble, device)
    if task not in method.tasks:
        raise MethodError(f"method {method.label!r} does not do task {task!r} (it does {', '.join(method.tasks)})")
    if ensemble and isinstance(method, TorchMethod):
        method.label += "+"
    return method


def _checkpoint_method(spec: str, ensemble: bool, device: str) -> Method:
    from ..checkpoint import load_model

    model = load_model(spec)
    cfg = model.config

    def load(setting: int) -> nn.Module:
        if cfg.task == "sr" and cfg.scale != setting:
            raise MethodError(f"{spec}: an x{cfg.scale} model cannot be scored at x{setting}")
        return model

    return TorchMethod(Path(spec).stem, (cfg.task,), load, ensemble, device)
