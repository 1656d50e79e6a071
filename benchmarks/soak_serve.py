"""Soak `scn serve`: many clients at once for a bounded time, mixing good pictures, bad files, oversized bodies,
slow uploads, connections dropped mid-upload and unknown job ids. The server must keep answering, every accepted
job must end (done, or a stated error), memory must stop growing once warm, and every result must belong to its
job (each picture has a size of its own, and a picture restored twice must come back the same).

    python benchmarks/soak_serve.py --seconds 600 --clients 16      # the long run of docs/restore.md
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import json
import random
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from scn.web.server import RestoreService, make_server

JOB_DEADLINE = 600.0  # an accepted job must end within this (one worker: the queue can be long under load)
KINDS = ("good", "good", "good", "bad file", "oversized", "slow upload", "dropped upload", "unknown job", "no image")


def rss_mb() -> float:
    """This process's resident memory (Linux), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pictures(count: int = 8) -> list[bytes]:
    """PNGs of distinct sizes (a result of the wrong job has the wrong size)."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(count):
        h, w = 24 + 4 * i, 20 + 6 * i
        buffer = io.BytesIO()
        Image.fromarray((rng.random((h, w, 3)) * 255).astype(np.uint8)).save(buffer, format="PNG")
        out.append(buffer.getvalue())
    return out


def multipart(files: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = b"".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.png\"\r\n"
                    f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n"
                    for name, data in files.items()) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@dataclass
class Soak:
    host: str
    port: int
    max_upload: int
    pictures: list[bytes]
    requests: Counter = field(default_factory=Counter)  # kind -> requests made
    replies: Counter = field(default_factory=Counter)  # 'kind: status' -> count
    problems: list[str] = field(default_factory=list)
    accepted: dict[int, int] = field(default_factory=dict)  # job id -> picture index
    results: dict[int, str] = field(default_factory=dict)  # picture index -> sha256 of its first result
    latencies: list[float] = field(default_factory=list)  # seconds from submission to the job's end
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None,
                timeout: float = 60) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body or None, headers=headers or {})
            reply = conn.getresponse()
            return reply.status, reply.read()
        finally:
            conn.close()

    def note(self, kind: str, status: int) -> None:
        with self.lock:
            self.replies[f"{kind}: {status}"] += 1

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)

    def one(self, kind: str, rng: random.Random) -> None:
        with self.lock:
            self.requests[kind] += 1
        if kind in ("good", "bad file", "no image"):
            index = rng.randrange(len(self.pictures))
            files = {"image": self.pictures[index]} if kind == "good" else \
                {"image": self.pictures[index][: rng.randrange(8, 200)]} if kind == "bad file" else {"other": b"x"}
            body, content_type = multipart(files)
            status, data = self.request("POST", "/api/jobs?task=sr&setting=2", body, {"Content-Type": content_type})
            self.note(kind, status)
            reply = json.loads(data)
            if kind == "good" and status == 202:
                with self.lock:
                    self.accepted[int(reply["id"])] = index
                self.follow(int(reply["id"]), index)
            elif kind != "good" and (status != 400 or "\n" in reply.get("error", "\n")):
                self.problem(f"{kind}: {status} {reply}")
        elif kind == "oversized":
            body = b"\0" * (2 * self.max_upload + 200_000)
            status, data = self.request("POST", "/api/jobs?task=sr&setting=2", body,
                                        {"Content-Type": "multipart/form-data; boundary=x"})
            self.note(kind, status)
            if status != 413:
                self.problem(f"oversized: {status}")
        elif kind in ("slow upload", "dropped upload"):
            body, content_type = multipart({"image": self.pictures[0]})
            sock = socket.create_connection((self.host, self.port), timeout=30)
            try:
                sock.sendall(f"POST /api/jobs?task=sr&setting=2 HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}"
                             f"\r\nContent-Length: {len(body)}\r\n\r\n".encode())
                cut = len(body) // 2
                for start in range(0, cut, 97):
                    sock.sendall(body[start:min(cut, start + 97)])
                    time.sleep(0.01)
                if kind == "slow upload":
                    sock.sendall(body[cut:])
                    status = int(sock.recv(4096).split(b" ", 2)[1])
                    self.note(kind, status)
                    if status != 202:
                        self.problem(f"slow upload: {status}")
                else:
                    self.note(kind, 0)
            finally:
                sock.close()
        elif kind == "unknown job":
            status, _ = self.request("GET", f"/api/jobs/{rng.randrange(10 ** 6, 10 ** 7)}")
            self.note(kind, status)
            if status != 404:
                self.problem(f"unknown job: {status}")

    def follow(self, job: int, index: int) -> None:
        """Poll a job to its end; its result must have its picture's size x2 and the same bytes every time."""
        submitted = time.monotonic()
        deadline = submitted + JOB_DEADLINE
        while time.monotonic() < deadline:
            status, data = self.request("GET", f"/api/jobs/{job}?wait=1")
            reply = json.loads(data)
            if status != 200:
                self.problem(f"job {job}: status {status} {reply}")
                return
            if reply["state"] in ("done", "error"):
                break
        else:
            self.problem(f"job {job} did not end in {JOB_DEADLINE:.0f} s")
            return
        with self.lock:
            self.latencies.append(time.monotonic() - submitted)
        if reply["state"] == "error":
            self.problem(f"job {job}: {reply.get('error')}")
            return
        status, png = self.request("GET", f"/api/jobs/{job}/result.png")
        size = Image.open(io.BytesIO(self.pictures[index])).size
        got = Image.open(io.BytesIO(png)).size
        if got != (2 * size[0], 2 * size[1]):
            self.problem(f"job {job}: result {got} for a picture of {size}: another job's result")
        digest = hashlib.sha256(png).hexdigest()
        with self.lock:
            first = self.results.setdefault(index, digest)
        if first != digest:
            self.problem(f"job {job}: picture {index} restored to other bytes than before")


@dataclass
class Report:
    seconds: float
    clients: int
    requests: Counter
    replies: Counter
    problems: list[str]
    jobs: int
    unfinished: int
    rss_warm_mb: float
    rss_end_mb: float
    rss_peak_mb: float
    latencies: list[float] = field(default_factory=list)

    def summary(self) -> str:
        waits = sorted(self.latencies) or [0.0]
        wait = f"job latency median {waits[len(waits) // 2]:.1f} s, max {waits[-1]:.1f} s; "
        return (f"{sum(self.requests.values())} requests from {self.clients} clients in {self.seconds:.0f} s "
                f"({', '.join(f'{k} {v}' for k, v in sorted(self.requests.items()))}); {self.jobs} jobs accepted, "
                f"{self.unfinished} unfinished; {wait}replies: {', '.join(f'{k} {v}' for k, v in sorted(self.replies.items()))}; "
                f"RSS after the first quarter {self.rss_warm_mb:.0f} MB, at the end {self.rss_end_mb:.0f} MB, "
                f"peak {self.rss_peak_mb:.0f} MB; {len(self.problems)} problems")


def soak(seconds: float, clients: int = 16, seed: int = 0, max_upload: int = 2 ** 20) -> Report:
    """Run a server in this process and `clients` threads against it for `seconds`."""
    service = RestoreService(max_upload=max_upload)
    server = make_server("127.0.0.1", 0, service)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    soaker = Soak("127.0.0.1", server.server_address[1], max_upload, pictures())
    stop = time.monotonic() + seconds
    rss = {"warm": 0.0, "peak": rss_mb()}

    def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        while time.monotonic() < stop:
            kind = rng.choice(KINDS)
            try:
                soaker.one(kind, rng)
            except Exception as e:  # noqa: BLE001 - a client's failure is a finding, not a crash of the soak
                soaker.problem(f"{kind}: {type(e).__name__}: {e}")

    def watch() -> None:
        started = time.monotonic()
        while time.monotonic() < stop:
            rss["peak"] = max(rss["peak"], rss_mb())
            if not rss["warm"] and time.monotonic() - started > seconds / 4:
                rss["warm"] = rss_mb()
            time.sleep(0.5)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)] + [threading.Thread(target=watch)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    deadline = time.monotonic() + 60
    while any(j.state in ("queued", "running") for j in list(service.jobs.values())) and time.monotonic() < deadline:
        time.sleep(0.1)
    unfinished = sum(j.state in ("queued", "running") for j in list(service.jobs.values()))
    server.shutdown()
    server.server_close()
    return Report(elapsed, clients, soaker.requests, soaker.replies, soaker.problems, len(soaker.accepted),
                  unfinished, rss["warm"], rss_mb(), rss["peak"], soaker.latencies)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    report = soak(args.seconds, args.clients, args.seed)
    print(report.summary())
    for line in report.problems[:20]:
        print("  " + line)
    return 1 if report.problems or report.unfinished else 0


if __name__ == "__main__":
    sys.exit(main())
