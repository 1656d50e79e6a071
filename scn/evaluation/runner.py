"""Benchmark loop: load test sets, degrade each image once per setting under the protocol, run every method,
score, and collect per-image and per-set numbers."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from ..data.degrade import clip_to_8_bits
from ..data.io import SHARED, ImageError, as_gray, as_rgb, list_images, read_image, shared_path
from ..progress import Progress
from ..tasks import Task, get_task
from .methods import Method

SSIM_WINDOW = 11


@dataclass
class TestImage:
    name: str
    clean: np.ndarray  # SR: uint8 RGB; denoise / jpeg: uint8 gray
    gray_file: bool = False


@dataclass
class TestSet:
    name: str
    images: list[TestImage]


@dataclass
class Row:
    method: str
    dataset: str
    task: Task
    setting: int
    psnr: float = 0.0
    ssim: float = 0.0
    psnr_b: float | None = None
    seconds: float = 0.0
    images: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = {"method": self.method, "dataset": self.dataset, "task": self.task.name, "setting": self.setting,
             "psnr": round(self.psnr, 4), "ssim": round(self.ssim, 5), "num_images": len(self.images),
             "seconds": round(self.seconds, 2), "images": self.images}
        if self.psnr_b is not None:
            d["psnr_b"] = round(self.psnr_b, 4)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Row":
        """The row `to_dict` wrote (an earlier run's `--json`)."""
        return cls(d["method"], d["dataset"], get_task(d["task"]), int(d["setting"]), float(d["psnr"]),
                   float(d["ssim"]), d.get("psnr_b"), float(d.get("seconds", 0.0)), list(d["images"]))


TEST_SET_ROOTS = (f"{SHARED}/datasets/test", f"{SHARED}/datasets/real")  # where README's data lies


def test_set_folder(spec: str | Path) -> Path:
    """A folder of test images: `spec` itself when it is one, else a set's name (`Set5`) looked up in the data
    folders the README names (../shared/datasets/test, or under $SCN_SHARED)."""
    path = Path(spec)
    if path.is_dir():
        return path
    if len(path.parts) == 1:
        roots = [shared_path(r) for r in TEST_SET_ROOTS] + list(TEST_SET_ROOTS)  # $SCN_SHARED first, then ../shared
        for root in map(Path, dict.fromkeys(roots)):
            if (root / path).is_dir():
                return root / path
    where = f" nor a set in {', '.join(TEST_SET_ROOTS)}" if len(path.parts) == 1 else ""
    raise ImageError(f"{spec}: no such folder{where}; give a folder of clean images")


def load_test_set(folder: str | Path, task: Task, channels: int | None = None) -> TestSet:
    """Every image of `folder`: RGB for colour tasks (SR) or `channels=3` (gray files repeated to 3 channels),
    gray (Y) for the others."""
    folder = Path(folder)
    return load_test_files(list_images(folder), folder.resolve().name, task, channels)


def load_test_files(paths: list[Path], name: str, task: Task, channels: int | None = None) -> TestSet:
    """The given image files as a test set called `name` (read as `load_test_set` reads a folder's)."""
    images = []
    color = (channels or task.channels) == 3
    for path in paths:
        im = read_image(path)
        if color:
            images.append(TestImage(path.stem, as_rgb(im), gray_file=im.mode in ("L", "1", "I;16", "I")))
        else:
            images.append(TestImage(path.stem, as_gray(im)))
    return TestSet(name, images)


def _check_size(image: TestImage, dataset: str, t: Task, setting: int) -> None:
    h, w = t.prepare(image.clean, setting).shape[:2]
    scale = t.model_scale(setting)
    need = SSIM_WINDOW + (2 * scale if scale > 1 else 0)  # SR crops a border of `scale`
    if min(h, w) < need:
        raise ImageError(f"{dataset}/{image.name}: {h}x{w} is too small for {t} at {setting} "
                         f"(needs at least {need}x{need} for the border crop and SSIM)")


def run_benchmark(methods: list[Method], test_sets: list[TestSet], task: Task, settings: list[int],
                  save_images: str | Path | None = None, progress: bool = True,
                  clip_noise: bool = False) -> list[Row]:
    """Every method on every image of every set at every setting; `clip_noise` (denoising): the noisy pictures
    clipped and rounded to 8 bits before restoring."""
    rows = {(m.label, ts.name, s): Row(m.label, ts.name, task, s) for m in methods for ts in test_sets
            for s in settings}
    total = len(methods) * len(settings) * sum(len(ts.images) for ts in test_sets)
    for ts in test_sets:  # every size and every method's weights checked before any work
        for setting in settings:
            for image in ts.images:
                _check_size(image, ts.name, task, setting)
    for method in methods:
        for setting in settings:
            method.prepare(setting)
    bar = Progress(total, f"benchmark {task}", "images", enabled=progress, leave=False)
    for ts in test_sets:
        for setting in settings:
            for image in ts.images:
                clean = task.prepare(image.clean, setting)
                degraded = task.degrade(clean, setting)
                if clip_noise:
                    degraded = clip_to_8_bits(degraded)
                for method in methods:
                    bar.set_postfix(f"{method.label} {ts.name} {setting} {image.name}")
                    start = time.perf_counter()
                    scores, output = method.evaluate(clean, degraded, task, setting, image.gray_file)
                    row = rows[(method.label, ts.name, setting)]
                    row.seconds += time.perf_counter() - start
                    row.images.append({"name": image.name, **{k: round(v, 4) for k, v in scores.items()}})
                    if save_images:
                        out = Path(save_images) / method.label / ts.name / str(setting) / f"{image.name}.png"
                        out.parent.mkdir(parents=True, exist_ok=True)
                        Image.fromarray(output).save(out)
                    bar.update(1)
    bar.close()
    for row in rows.values():
        for key in ("psnr", "ssim", "psnr_b"):
            values = [img[key] for img in row.images if key in img]
            if values:
                setattr(row, key, float(np.mean(values)))
    return list(rows.values())
