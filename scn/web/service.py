"""The job service behind `scn serve`: jobs queued and run one at a time by one worker thread through a
`Restorer`, the options the page may choose from, and its demo pictures. No HTTP here (web/server.py)."""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..checkpoint import read_config
from ..data.color import to_uint8
from ..data.io import as_gray, as_rgb
from ..data.samples import demo_photo
from ..errors import ScnError
from ..inference.api import quality_in_range
from ..inference.cache import RestorerCache
from ..inference.engine import Restorer
from ..inference.int8 import check_precision
from ..inference.images import Picture, picture_to_pil, read_picture
from ..resolve import DEFAULT, resolve
from ..tasks import TASKS, Task
from ..zoo import pretrained_models

MAX_UPLOAD = 40 * 2 ** 20  # bytes
MAX_PIXELS = 16_000_000  # per uploaded image
KEEP_JOBS = 20  # finished jobs kept for download


@dataclass
class Job:
    id: int
    task: Task
    setting: int | None
    model: str
    picture: Picture
    reference: Picture | None = None
    state: str = "queued"  # queued, running, done, error
    error: str = ""
    tiles: tuple[int, int] = (0, 0)
    result: Picture | None = None
    scores: dict[str, float] = field(default_factory=dict)
    scored_on: str = ""  # what PSNR / SSIM were measured on: Y (SR's protocol), RGB or gray
    weights: str = ""  # the model that ran: `scn` resolved to a shipped name
    level_from: str = ""  # where the level came from: 'file' (a JPEG's quality), 'estimated' (a noise level)
    estimated: float | None = None  # the noise level estimated from the picture, for a model told the level
    seconds: float = 0.0
    changed: threading.Condition = field(default_factory=threading.Condition)

    def status(self, position: int) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "state": self.state, "tiles_done": self.tiles[0],
                               "tiles_total": self.tiles[1], "task": self.task.name, "setting": self.setting,
                               "model": self.model, "weights": self.weights or self.model,
                               "seconds": round(self.seconds, 2)}
        if self.state == "queued":
            out["ahead"] = position
        if self.estimated is not None:
            out["level"], out["level_from"] = self.estimated, "estimated"
        elif self.level_from:
            out["level"], out["level_from"] = self.setting, self.level_from
        if "level" in out:
            where = {"estimated": "estimated from the picture", "file": "read from the file"}[out["level_from"]]
            out["level_text"] = f"{self.task.setting} {out['level']:g}, {where}"
        if self.error:
            out["error"] = self.error
        if self.result is not None:
            out["height"], out["width"] = self.result.color.shape[:2]
        out.update({k: round(v, 4) for k, v in self.scores.items()})
        if self.scores:
            out["scored_on"] = self.scored_on
        return out

    def set(self, **changes: Any) -> None:
        with self.changed:
            for key, value in changes.items():
                setattr(self, key, value)
            self.changed.notify_all()


class RestoreService:
    """Jobs and the worker that runs them, one at a time, on one device."""

    def __init__(self, device: str = "cpu", checkpoints: list[str] | None = None, max_upload: int = MAX_UPLOAD,
                 max_pixels: int = MAX_PIXELS, precision: str = "fp32") -> None:
        self.device, self.max_upload, self.max_pixels = device, max_upload, max_pixels
        self.precision = check_precision(precision, device)
        self.checkpoints = {Path(c).name: c for c in checkpoints or []}  # what the page may name: no paths
        self.checkpoint_tasks = {label: read_config(path).task  # read (and checked) once
                                 for label, path in self.checkpoints.items()}
        self.jobs: dict[int, Job] = {}
        self.pending: queue.Queue[Job] = queue.Queue()
        self.lock = threading.Lock()
        self.next_id = 1
        self._restorers = RestorerCache(keep=1)  # one model in memory, prepared for inference once
        threading.Thread(target=self._work, name="scn-serve-worker", daemon=True).start()

    # -- what the page may ask for --------------------------------------------------------------------------------
    def options(self) -> dict[str, Any]:
        tasks = []
        for name, task in TASKS.items():
            models = [DEFAULT] + [e.name for e in pretrained_models() if e.task == task]
            models += [label for label, of_task in self.checkpoint_tasks.items() if of_task == task]
            title = task.title if task.channels == 3 else f"{task.title.removeprefix('gray ')} (colour or gray)"
            entry = {"name": name, "title": title, "setting": task.setting,
                     "settings": [{"value": s, "label": task.label(s) if s is not None else "blind (unknown)"}
                                  for s in settings_offered(task)],
                     "models": models}
            if (knob := level_knob(task)) is not None:
                entry["knob"] = knob
            tasks.append(entry)
        return {"tasks": tasks, "max_upload": self.max_upload, "max_pixels": self.max_pixels}

    # -- jobs ---------------------------------------------------------------------------------------------------
    def submit(self, task: Task, setting: int | None, model: str, image: bytes,
               reference: bytes | None = None) -> Job:
        setting = task.check(setting)
        if model != DEFAULT and model not in self.checkpoints and model not in {e.name for e in pretrained_models()}:
            raise ScnError(f"model {model!r} is not offered here; pick one from the list")
        picture = self._decode(image, "image")
        from_file = ""
        if setting is None and model == DEFAULT:  # the level an upload says it has (a JPEG's quality)
            setting = quality_in_range(task.setting_in_file(image), task, task.model_channels(picture.gray_for(task)))
            from_file = "file" if setting is not None else ""
        ref = self._decode(reference, "reference") if reference else None
        with self.lock:
            job = Job(self.next_id, task, setting, model, picture, ref, level_from=from_file)
            self.next_id += 1
            self.jobs[job.id] = job
            finished = [j for j in self.jobs.values() if j.state in ("done", "error")]
            for old in finished[:-KEEP_JOBS]:
                del self.jobs[old.id]
        self.pending.put(job)
        return job

    def _decode(self, data: bytes, what: str) -> Picture:
        """An uploaded file as a picture, through the one image reader (limits, bombs, EXIF); errors name the
        upload, never a server path."""
        if len(data) > self.max_upload:
            raise ScnError(f"the {what} is {len(data) / 2 ** 20:.1f} MB; the limit is {self.max_upload / 2 ** 20:.0f} MB")
        return read_picture(data, self.max_pixels, name=f"the {what}")

    def position(self, job: Job) -> int:
        with self.lock:
            return sum(1 for j in self.jobs.values() if j.state in ("queued", "running") and j.id < job.id)

    def _work(self) -> None:
        while True:
            job = self.pending.get()
            job.set(state="running")
            start = time.perf_counter()
            try:
                self._run(job)
                job.set(state="done", seconds=time.perf_counter() - start)
            except ScnError as e:
                job.set(state="error", error=str(e), seconds=time.perf_counter() - start)
            except Exception as e:  # noqa: BLE001 - the page gets one line, the server keeps serving
                job.set(state="error", error=f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")

    def _run(self, job: Job) -> None:
        channels = job.task.model_channels(job.picture.gray_for(job.task))  # a colour photo: a colour model

        def make() -> tuple[str, Restorer]:
            source = resolve(self.checkpoints.get(job.model, job.model), job.task, job.setting, channels=channels)
            return source.label, Restorer.at_precision(source.load(), self.precision, device=self.device,
                                                       noise_level=job.task.level_input(job.setting))

        label, restorer = self._restorers.get((job.model, job.task.name, job.setting, channels), make)
        job.set(weights=label)
        restorer.on_tile = lambda done, total: job.set(tiles=(done, total))
        result = restorer.restore(job.picture)
        job.set(result=result, estimated=restorer.estimated_level)
        if job.reference is not None:
            scores, on = self._scores(job, result)
            job.set(scores=scores, scored_on=on)

    @staticmethod
    def _scores(job: Job, result: Picture) -> tuple[dict[str, float], str]:
        """The task's protocol on 8-bit images made as test sets are read, and what it measured: SR on Y; denoising
        and JPEG on RGB where result and reference are colour (as `scn benchmark --color`), else on gray."""
        assert job.reference is not None
        task = job.task
        colour = task.channels == 3 or not (result.gray or job.reference.gray)
        as_task = as_rgb if colour else as_gray
        out, ref = as_task(picture_to_pil(result)), as_task(picture_to_pil(job.reference))
        if out.shape[:2] != ref.shape[:2]:
            raise ScnError(f"the reference is {ref.shape[1]}x{ref.shape[0]}, the result {out.shape[1]}x"
                           f"{out.shape[0]}; give the clean image at the result's size")
        on = "Y" if task.resizes else "RGB" if colour else "gray"
        return task.score(out, ref, job.setting if job.setting is not None else 0), on


def level_knob(task: Task) -> dict[str, Any] | None:
    """The page's slider for a noise level, any value from 0 to the highest a shipped default restores (where a
    model is told the level, it takes exactly that one; a blind model restores at any); None for other tasks."""
    if not task.adds_noise:
        return None
    highs = [e.levels[1] for e in pretrained_models() if e.task == task and e.default]
    return {"low": 0, "high": int(max(highs, default=task.limits[1])), "label": task.label_format}


def settings_offered(task: Task) -> list[int | None]:
    """The page's choices: blind (None) where a task takes an unknown level, then the field's usual levels."""
    return ([None] if task.default_setting is None else []) + list(task.levels)


def demo_images(t: Task, setting: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(degraded input, clean reference) of the bundled demo photo for a task and setting."""
    level = setting if setting is not None else t.default_setting or t.validation_setting(t.levels[0], t.levels[-1])
    degraded, clean = t.example(demo_photo()[60:460, 56:456], level)  # 400x400 around the face
    if degraded.dtype != np.uint8:  # noisy / decoded floats: an 8-bit file, as a user's would be
        degraded = to_uint8(np.clip(degraded, 0, 1) * 255)
    return degraded, clean
