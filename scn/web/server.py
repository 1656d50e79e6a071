"""`scn serve`: a local web page to restore an image and compare before / after. Standard library only: one HTML
page (no remote assets) and a small JSON API over the job service (web/service.py: one worker thread runs jobs
one at a time through the `Restorer`; the page shows the place in the queue). This module is the HTTP layer: routes,
multipart parsing, replies; task names from the page become tasks here.

API: GET /api/options; GET /api/demo?task=T&setting=S (a degraded demo photo and its clean reference); POST
/api/jobs?task=T&setting=S&model=M with a multipart form (`image`, optional `reference`); GET /api/jobs/ID
(`?wait=1` long-polls until the state changes); GET /api/jobs/ID/input.png and /result.png.
"""

from __future__ import annotations

import io
import json
import sys
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np

from ..errors import ScnError
from ..inference.images import Picture, picture_from_array, picture_to_pil
from ..resolve import DEFAULT
from ..tasks import get_task
from .service import MAX_PIXELS, MAX_UPLOAD, Job, RestoreService, demo_images

__all__ = ["MAX_PIXELS", "MAX_UPLOAD", "RestoreService", "demo_images", "make_server", "png_bytes"]

STATIC = Path(__file__).parent / "static"
CLIENT_TIMEOUT = 60.0  # seconds a connection may sit silent
DRAIN_LIMIT = 2 ** 30  # read at most this much of a refused body, so the browser sees the reply


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
                task = get_task(query.get("task", "sr"))
                degraded, clean = demo_images(task, task.check(_number(query.get("setting"))))
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
            task = get_task(query.get("task", "sr"))
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
