"""`scn serve`: a local web page to restore an image and compare before / after. Standard library only: one HTML
page (no remote assets), a small JSON API, and one worker thread per server that runs jobs one at a time through
the `Restorer` (a queue; the page shows the place in it).

API: GET /api/options; GET /api/demo?task=T&setting=S (a degraded demo photo and its clean reference); POST
/api/jobs?task=T&setting=S&model=M with a multipart form (`image`, optional `reference`); GET /api/jobs/ID
(`?wait=1` long-polls until the state changes); GET /api/jobs/ID/input.png and /result.png.
"""

from __future__ import annotations

import io
import json
import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np
from PIL import Image

from ..data.color import to_uint8
from ..data.io import as_gray, as_rgb
from ..data.samples import demo_photo
from ..errors import ScnError
from ..data.jpeg_quality import jpeg_quality
from ..inference.api import picture_channels, quality_in_range, task_setting
from ..inference.engine import Restorer
from ..inference.int8 import check_precision
from ..inference.images import Picture, picture_from_array, picture_to_pil, read_picture
from ..resolve import DEFAULT, checkpoint_config, resolve
from ..tasks import TASKS, Task, get_task
from ..zoo import pretrained_models

STATIC = Path(__file__).parent / "static"
MAX_UPLOAD = 40 * 2 ** 20  # bytes
MAX_PIXELS = 16_000_000  # per uploaded image
KEEP_JOBS = 20  # finished jobs kept for download
CLIENT_TIMEOUT = 60.0  # seconds a connection may sit silent
DRAIN_LIMIT = 2 ** 30  # read at most this much of a refused body, so the browser sees the reply


@dataclass
class Job:
    id: int
    task: str
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
    seconds: float = 0.0
    changed: threading.Condition = field(default_factory=threading.Condition)

    def status(self, position: int) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "state": self.state, "tiles_done": self.tiles[0],
                               "tiles_total": self.tiles[1], "task": self.task, "setting": self.setting,
                               "model": self.model, "weights": self.weights or self.model,
                               "seconds": round(self.seconds, 2)}
        if self.state == "queued":
            out["ahead"] = position
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
        self.checkpoint_tasks = {label: checkpoint_config(Path(path)).task  # read (and checked) once
                                 for label, path in self.checkpoints.items()}
        self.jobs: dict[int, Job] = {}
        self.pending: queue.Queue[Job] = queue.Queue()
        self.lock = threading.Lock()
        self.next_id = 1
        self._restorers: dict[tuple[str, str, int | None, int], tuple[str, Restorer]] = {}  # label, restorer
        threading.Thread(target=self._work, name="scn-serve-worker", daemon=True).start()

    # -- what the page may ask for --------------------------------------------------------------------------------
    def options(self) -> dict[str, Any]:
        tasks = []
        for name, task in TASKS.items():
            models = [DEFAULT] + [e.name for e in pretrained_models() if e.task == name]
            models += [label for label, task_name in self.checkpoint_tasks.items() if task_name == name]
            title = task.title if task.channels == 3 else f"{task.title.removeprefix('gray ')} (colour or gray)"
            tasks.append({"name": name, "title": title, "setting": task.setting,
                          "settings": [{"value": s, "label": task.label(s) if s is not None else "blind (unknown)"}
                                       for s in settings_offered(task)],
                          "models": models})
        return {"tasks": tasks, "max_upload": self.max_upload, "max_pixels": self.max_pixels}

    # -- jobs ---------------------------------------------------------------------------------------------------
    def submit(self, task: str, setting: int | None, model: str, image: bytes,
               reference: bytes | None = None) -> Job:
        t = get_task(task)
        _, setting = task_setting(task, **{t.setting: setting})
        if model != DEFAULT and model not in self.checkpoints and model not in {e.name for e in pretrained_models()}:
            raise ScnError(f"model {model!r} is not offered here; pick one from the list")
        picture = self._decode(image, "image")
        if task == "jpeg" and setting is None and model == DEFAULT:  # a JPEG upload says its quality
            setting = quality_in_range(jpeg_quality(image), picture_channels(picture, task, luma_only=False))
        ref = self._decode(reference, "reference") if reference else None
        with self.lock:
            job = Job(self.next_id, task, setting, model, picture, ref)
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
        channels = picture_channels(job.picture, job.task, luma_only=False)  # a colour photo: a colour model
        key = (job.model, job.task, job.setting, channels)
        if key not in self._restorers:  # keep one model in memory, prepared for inference once
            spec = self.checkpoints.get(job.model, job.model)
            source = resolve(spec, job.task, job.setting, channels=channels)
            level = job.setting if job.task == "denoise" else None
            restorer = Restorer.at_precision(source.load(), self.precision, device=self.device, noise_level=level)
            self._restorers = {key: (source.label, restorer)}
        label, restorer = self._restorers[key]
        job.set(weights=label)
        restorer.on_tile = lambda done, total: job.set(tiles=(done, total))
        result = restorer.restore(job.picture)
        job.set(result=result)
        if job.reference is not None:
            scores, on = self._scores(job, result)
            job.set(scores=scores, scored_on=on)

    @staticmethod
    def _scores(job: Job, result: Picture) -> tuple[dict[str, float], str]:
        """The task's protocol on 8-bit images made as test sets are read, and what it measured: SR on Y; denoising
        and JPEG on RGB where result and reference are colour (as `scn benchmark --color`), else on gray."""
        assert job.reference is not None
        task = get_task(job.task)
        colour = task.channels == 3 or not (result.gray or job.reference.gray)
        as_task = as_rgb if colour else as_gray
        out, ref = as_task(picture_to_pil(result)), as_task(picture_to_pil(job.reference))
        if out.shape[:2] != ref.shape[:2]:
            raise ScnError(f"the reference is {ref.shape[1]}x{ref.shape[0]}, the result {out.shape[1]}x"
                           f"{out.shape[0]}; give the clean image at the result's size")
        on = "Y" if task.resizes else "RGB" if colour else "gray"
        return task.score(out, ref, job.setting if job.setting is not None else 0), on


def settings_offered(task: Task) -> list[int | None]:
    """The page's choices: blind (None) where a task takes an unknown level, then the field's usual levels."""
    return ([None] if task.default_setting is None else []) + list(task.levels)


def demo_images(task: str, setting: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(degraded input, clean reference) of the bundled demo photo for a task and setting."""
    t = get_task(task)
    level = setting if setting is not None else t.default_setting or t.validation_setting(t.levels[0], t.levels[-1])
    clean = t.prepare(t.clean_image(demo_photo()[60:460, 56:456]), level)  # 400x400 around the face
    degraded = t.degrade(clean, level)
    if t.channels == 1:  # an 8-bit gray file, as a user's would be
        degraded = to_uint8(np.clip(degraded, 0, 1) * 255)
    return degraded, clean


def png_bytes(image: np.ndarray | Picture) -> bytes:
    pic = image if isinstance(image, Picture) else picture_from_array(image)[0]
    buf = io.BytesIO()
    picture_to_pil(pic).save(buf, format="PNG")
    return buf.getvalue()


class Handler(BaseHTTPRequestHandler):
    """The page, its API and the images; every error is a JSON `{"error": one line}` with a 4xx status."""

    service: RestoreService  # set on the subclass `make_server` builds
    server_version = "scn-serve"
    timeout = CLIENT_TIMEOUT  # a client that stops sending (mid-upload, or never) lets go of its thread

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # quiet: the page is for one person

    # -- replies ------------------------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, data: Any, status: int = 200) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def _error(self, message: str, status: int = HTTPStatus.BAD_REQUEST) -> None:
        self._json({"error": message.splitlines()[0] if message else "error"}, status)

    def _drain(self, length: int) -> None:
        """Read and drop a refused body in chunks (a client still sending would otherwise see a broken pipe, not
        the reason)."""
        left = min(length, DRAIN_LIMIT)
        while left > 0:
            chunk = self.rfile.read(min(left, 2 ** 20))
            if not chunk:
                break
            left -= len(chunk)

    def _job(self, part: str) -> Job | None:
        try:
            return self.service.jobs.get(int(part))
        except ValueError:
            return None

    # -- routes -------------------------------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        url = urlparse(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        parts = [p for p in url.path.split("/") if p]
        try:
            if not parts:
                self._send(200, (STATIC / "index.html").read_bytes(), "text/html; charset=utf-8")
            elif parts == ["api", "options"]:
                self._json(self.service.options())
            elif parts == ["api", "demo"]:
                task = query.get("task", "sr")
                _, setting = task_setting(task, **{get_task(task).setting: _number(query.get("setting"))})
                degraded, clean = demo_images(task, setting)
                which = query.get("image", "input")
                self._send(200, png_bytes(clean if which == "reference" else degraded), "image/png")
            elif len(parts) >= 3 and parts[:2] == ["api", "jobs"] and (job := self._job(parts[2])) is not None:
                if len(parts) == 3:
                    if query.get("wait"):
                        with job.changed:
                            job.changed.wait_for(lambda: job.state in ("done", "error"), timeout=10)
                    self._json(job.status(self.service.position(job)))
                elif parts[3] == "input.png":
                    self._send(200, png_bytes(job.picture), "image/png")
                elif parts[3] == "result.png" and job.result is not None:
                    name = f"restored_{job.task}_{job.id}.png"
                    self._send(200, png_bytes(job.result), "image/png",
                               {"Content-Disposition": f'inline; filename="{name}"'})
                else:
                    self._error("not found", HTTPStatus.NOT_FOUND)
            else:
                self._error("not found", HTTPStatus.NOT_FOUND)
        except ScnError as e:
            self._error(str(e))

    def do_POST(self) -> None:  # noqa: N802 - the base class's name
        url = urlparse(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if url.path.rstrip("/") != "/api/jobs":
            self._error("not found", HTTPStatus.NOT_FOUND)
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._error("a bad Content-Length header; send the image as multipart/form-data")
            self.close_connection = True
            return
        if length > 2 * self.service.max_upload + 65536:  # refused without keeping it in memory
            self._drain(length)
            self._error(f"the upload is {length / 2 ** 20:.1f} MB; the limit is "
                        f"{self.service.max_upload / 2 ** 20:.0f} MB per image", HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            self.close_connection = True
            return
        body = self.rfile.read(length)
        if len(body) < length:  # the client went away mid-upload: no one to answer
            self.close_connection = True
            return
        try:
            files = _form_files(self.headers.get("Content-Type", ""), body)
            if "image" not in files:
                raise ScnError("no image in the upload (form field 'image')")
            task = query.get("task", "sr")
            job = self.service.submit(task, _number(query.get("setting")), query.get("model", DEFAULT),
                                      files["image"], files.get("reference"))
        except ScnError as e:
            self._error(str(e))
            return
        self._json(job.status(self.service.position(job)), HTTPStatus.ACCEPTED)


def _number(text: str | None) -> int | None:
    if text in (None, "", "blind", "null"):
        return None
    try:
        return int(float(text))  # type: ignore[arg-type]
    except ValueError:
        raise ScnError(f"setting {text!r} is not a number") from None


def _form_files(content_type: str, body: bytes) -> dict[str, bytes]:
    """The file fields of a multipart/form-data body (empty ones left out)."""
    if not content_type.startswith("multipart/form-data"):
        raise ScnError("send the image as multipart/form-data (field 'image')")
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    files = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        if name and data:
            files[str(name)] = data
    return files


def make_server(host: str = "127.0.0.1", port: int = 8000, service: RestoreService | None = None
                ) -> ThreadingHTTPServer:
    """The HTTP server (not started: call `serve_forever`); port 0 picks a free one."""
    handler = type("BoundHandler", (Handler,), {"service": service or RestoreService()})
    server = QuietServer((host, port), handler)
    server.daemon_threads = True
    return server


class QuietServer(ThreadingHTTPServer):
    """A client that hangs up or stalls is the client's business: no traceback on the server's terminal. Anything
    else is reported in one line (the request fails; the server goes on). Connections wait in a queue of 128
    while threads are busy (the standard library's 5 made the system reset clients under load: the soak test)."""

    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        print(f"scn serve: a request from {client_address[0]} failed: {type(error).__name__}: {error}",
              file=sys.stderr)
