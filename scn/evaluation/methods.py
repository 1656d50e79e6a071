"""The methods `scn benchmark` runs side by side, made from their command-line specs.

Spec forms: `bicubic`, `bicubic-rgb` (SR), `identity` (denoise, jpeg), `bm3d` (denoise), `dncnn:WEIGHTS`,
`arcnn:WEIGHTS`, `imdn:WEIGHTS`, or any model spec `scn.resolve` takes (a checkpoint, `scn`, a shipped name).
Networks, ours and the peers, restore through the one inference engine (`scn.inference.Restorer`).
WEIGHTS may be a file, or a folder holding one file per setting whose path names the setting as a number
(`DnCNN-S-25/net.pth`, `q10.mat`, `IMDN_x2.pth`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
from torch import nn

from ..archs import RestorationNet
from ..data.color import rgb_to_y, to_uint8
from ..data.resize import imresize
from ..errors import ScnError
from ..inference.cache import RestorerCache
from ..inference.engine import Restorer
from ..inference.images import Picture
from ..inference.tiling import Footprint
from ..metrics.quality import psnr, ssim
from ..peers import load_arcnn, load_dncnn, load_imdn
from ..resolve import check_fits, check_known, is_checkpoint_path, resolve
from ..tasks import Task

Scores = dict[str, float]


class MethodError(ScnError):
    """A method spec that cannot be used for the task asked."""


class OptionalMissing(MethodError):
    """A method whose optional package is not installed: a benchmark goes on without it."""


class Method:
    """Restores degraded inputs; `evaluate` scores one image under the task's protocol."""

    label = "method"
    tasks: tuple[str, ...] = ("sr", "denoise", "jpeg")  # the names of the tasks it does

    def restore(self, degraded: np.ndarray, task: Task, setting: int) -> np.ndarray:
        """SR: uint8 RGB LR in, RGB out (uint8, or float in [0, 1]); gray tasks: float gray in, float out."""
        raise NotImplementedError

    def prepare(self, setting: int) -> None:
        """Load and check what `setting` needs, so a bad weights file fails before any work."""

    def evaluate(self, clean: np.ndarray, degraded: np.ndarray, task: Task, setting: int,
                 gray_file: bool = False) -> tuple[Scores, np.ndarray]:
        out8 = task.to_uint8(self.restore(degraded, task, setting))
        return task.score(out8, clean, setting, gray_file), out8


class Identity(Method):
    """The degraded input itself (the 'noisy' / 'JPEG' row)."""

    label, tasks = "identity", ("denoise", "jpeg")

    def restore(self, degraded: np.ndarray, task: Task, setting: int) -> np.ndarray:
        return degraded


class BicubicRGB(Method):
    """MATLAB bicubic up-scaling of the uint8 RGB LR, scored like every network (float Y of the RGB output)."""

    label, tasks = "bicubic-rgb", ("sr",)

    def restore(self, degraded: np.ndarray, task: Task, setting: int) -> np.ndarray:
        return imresize(degraded, float(setting))


class BicubicClassic(Method):
    """The published bicubic rows' chain (SRCNN/VDSR-era MATLAB): Y = rgb2ycbcr of the uint8 HR, rounded to uint8
    (a gray file is its own Y), modcrop, bicubic down and up in float on Y alone, output rounded to uint8, PSNR /
    SSIM on that Y with `scale` border pixels cropped. Reproduces the published Set5 / Set14 rows."""

    label, tasks = "bicubic", ("sr",)

    def evaluate(self, clean: np.ndarray, degraded: np.ndarray, task: Task, setting: int,
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
            raise OptionalMissing("method 'bm3d' needs the optional bm3d package: pip install bm3d "
                                  "(free for non-commercial use)") from None

    def restore(self, degraded: np.ndarray, task: Task, setting: int) -> np.ndarray:
        import bm3d

        if degraded.ndim == 3:  # colour: CBM3D (in a luminance-chrominance space, as Dabov et al. 2007b)
            return np.asarray(bm3d.bm3d_rgb(degraded, sigma_psd=setting / 255.0), dtype=np.float64)
        return np.asarray(bm3d.bm3d(degraded, sigma_psd=setting / 255.0), dtype=np.float64)


class NetworkMethod(Method):
    """A network, run by a `Restorer`: `load(setting)` gives the module for a setting (the last one kept);
    `footprint(setting)` describes modules that are not of the family (the peers). A denoiser with a noise-level
    input is told the sigma of the protocol, or (`estimating()`) estimates it from each picture as `scn restore`
    does without `--sigma`."""

    def __init__(self, label: str, tasks: tuple[str, ...], load: Callable[[int], nn.Module],
                 ensemble: bool = False, device: str = "cpu",
                 footprint: Callable[[int], Footprint] | None = None) -> None:
        self.label, self.tasks, self.load, self.ensemble, self.device = label, tasks, load, ensemble, device
        self.footprint = footprint
        self.family = footprint is None  # a network of the family (the peers describe their own footprint)
        self.precision = "fp32"  # int8: models of the family quantized (Restorer.at_precision)
        self._cache = RestorerCache(keep=1)  # one model in memory
        self.resolved: dict[int, str] = {}  # setting -> the model a name (`scn`, a configuration) resolved to
        self.estimate = False  # a noise-level input fed the level estimated from each picture, not the setting
        self.load_unknown: Callable[[int], nn.Module] | None = None  # a name's model for an unknown level

    def estimating(self) -> "NetworkMethod":
        """This method labelled `LABEL~est` as a user who does not know the level runs it: a name resolved for an
        unknown level, a noise-level input fed the level estimated from each picture."""
        twin = copy.copy(self)
        twin.label, twin.estimate = f"{self.label}~est", True
        twin._cache, twin.resolved = RestorerCache(keep=1), {}
        twin.load = self.load_unknown or self.load
        return twin

    def told_level(self, setting: int) -> bool:
        """Whether the model for `setting` is a denoiser told its noise level (loads it)."""
        return self.restorer(setting).told

    def restorer(self, setting: int) -> Restorer:
        def make() -> tuple[str, Restorer]:
            model = self.load(setting)
            if not isinstance(model, RestorationNet):  # a peer: it describes its own footprint
                footprint = self.footprint(setting) if self.footprint is not None else None
                return self.label, Restorer(model, footprint=footprint, device=self.device, ensemble=self.ensemble)
            if model.shipped_name:
                self.resolved[setting] = model.shipped_name
            level = setting if model.config.noise_map and not self.estimate else None  # None: estimated
            return self.label, Restorer.at_precision(model, self.precision, device=self.device,
                                                     ensemble=self.ensemble, noise_level=level)

        return self._cache.get(setting, make)[1]

    def prepare(self, setting: int) -> None:
        self.restorer(setting)

    def restore(self, degraded: np.ndarray, task: Task, setting: int) -> np.ndarray:
        """As `scn restore` would: a gray model on a colour image restores its Y and keeps Cb/Cr (the luma route),
        a colour model on a gray image sees it repeated to three channels."""
        x = degraded.astype(np.float32) / (255.0 if degraded.dtype == np.uint8 else 1.0)
        y = self.restorer(setting).restore(Picture(x if x.ndim == 3 else x[..., None])).color
        return (y if y.shape[2] == 3 else y[..., 0]).astype(np.float64)

    def evaluate(self, clean: np.ndarray, degraded: np.ndarray, task: Task, setting: int,
                 gray_file: bool = False) -> tuple[Scores, np.ndarray]:
        """Scores, with the `level` a noise-level input was fed when it was estimated from the picture."""
        scores, out8 = super().evaluate(clean, degraded, task, setting, gray_file)
        restorer = self.restorer(setting)
        if restorer.told and restorer.estimated_level is not None:
            scores["level"] = restorer.estimated_level
        return scores, out8


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


PEERS = {  # name: (loader, task, weight-file suffixes, channels)
    "dncnn": (load_dncnn, "denoise", (".pth", ".pt"), 1),
    "arcnn": (load_arcnn, "jpeg", (".mat",), 1),
    "imdn": (load_imdn, "sr", (".pth", ".pt"), 3),
}


SIMPLE_METHODS = ("bicubic", "bicubic-rgb", "identity", "bm3d")


def make_method(spec: str, task: Task, ensemble: bool = False, device: str = "cpu",
                channels: int | None = None, noise_clipped: bool = False) -> Method:
    """The method a command-line spec names, checked against `task`; `channels`: of the pictures scored (3 for
    colour denoising / JPEG), so `scn` and shipped names resolve to the model `scn restore` runs on them;
    `noise_clipped`: the noisy pictures are clipped as files hold them (`--clip`), so they take the denoiser
    `scn restore` runs on such files."""
    kind, _, arg = spec.partition(":")
    simple: dict[str, Callable[[], Method]] = dict(zip(SIMPLE_METHODS, (BicubicClassic, BicubicRGB, Identity, BM3D)))
    if kind in simple and not arg:
        method = simple[kind]()
    elif kind in PEERS:
        if not arg:
            raise MethodError(f"method {kind!r} needs weights: {kind}:PATH (a file or a folder of them)")
        loader, peer_task, suffixes, channels = PEERS[kind]
        root = Path(arg)
        method = NetworkMethod(kind, (peer_task,), lambda s: loader(resolve_weights(root, s, suffixes)), ensemble,
                               device, lambda s: Footprint(scale=task.model_scale(s), channels=channels))
    else:
        method = _model_method(spec, task, ensemble, device, channels, noise_clipped)
    if task.name not in method.tasks:
        raise MethodError(f"method {method.label!r} does not do task {task.name!r} (it does "
                          f"{', '.join(method.tasks)})")
    if ensemble and isinstance(method, NetworkMethod):
        method.label += "+"
    return method


def _model_method(spec: str, task: Task, ensemble: bool, device: str, channels: int | None = None,
                  noise_clipped: bool = False) -> Method:
    """A model of the family: resolved once per setting (the default `scn` and registered names pick the
    shipped weights covering it, of `channels` and for `noise_clipped` where such weights ship); a checkpoint is
    read once."""
    if is_checkpoint_path(spec):
        source = resolve(spec)
        model = source.load()
        return NetworkMethod(source.label, (model.config.task.name,), lambda s: _fitting(model, spec, task, s),
                             ensemble, device)
    try:
        check_known(spec)
    except ScnError as e:
        raise MethodError(f"{e}; methods: {', '.join(SIMPLE_METHODS)}, {', '.join(f'{p}:WEIGHTS' for p in PEERS)}, "
                          "or a model") from None

    def pick(setting: int | None) -> RestorationNet:
        return resolve(spec, task, setting, channels=channels, noise_clipped=noise_clipped).load()

    method = NetworkMethod(spec, (task.name,), pick, ensemble, device)
    method.load_unknown = lambda s: pick(None)
    return method


def _fitting(model: RestorationNet, spec: str, task: Task, setting: int) -> RestorationNet:
    check_fits(model.config, task, setting, spec)
    return model
