"""`scn serve`: the HTTP API with a real server on a free port, and the page in a real headless Chromium."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scn.web.server import RestoreService, make_server
from test_api import colour_zoo  # noqa: F401 (a fixture)
from test_images import bomb_png

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def server() -> Iterator[tuple[str, RestoreService]]:
    service = RestoreService(max_upload=2 ** 20)
    httpd = make_server("127.0.0.1", 0, service)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", service
    httpd.shutdown()
    httpd.server_close()


def png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def post(url: str, files: dict[str, bytes]) -> tuple[int, dict]:
    boundary = uuid.uuid4().hex
    body = b"".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.png\"\r\n"
                    f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n"
                    for name, data in files.items()) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def finished(base: str, job: dict) -> dict:
    while job["state"] in ("queued", "running"):
        job = json.loads(get(f"{base}/api/jobs/{job['id']}?wait=1")[1])
    return job


def photo(h: int = 40, w: int = 48) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([(yy * 5) % 256, (xx * 4) % 256, ((yy + xx) * 3) % 256], axis=2).astype(np.uint8)


def test_page_and_options_are_served_locally(server) -> None:
    base, _ = server
    status, page = get(base + "/")
    assert status == 200 and b"<title>scn" in page
    assert b"http://" not in page and b"https://" not in page  # no CDN, no remote asset
    options = json.loads(get(base + "/api/options")[1])
    sr = next(t for t in options["tasks"] if t["name"] == "sr")
    assert [s["value"] for s in sr["settings"]] == [2, 3, 4] and "scn_small_x2.bicubic" in sr["models"]
    status, demo = get(base + "/api/demo?task=denoise&setting=25")
    assert status == 200 and Image.open(io.BytesIO(demo)).size == (400, 400)


def test_upload_run_download_with_scores(server) -> None:
    base, _ = server
    clean = photo(80, 96)
    lr = np.asarray(Image.fromarray(clean).resize((48, 40), Image.BICUBIC))
    status, job = post(base + "/api/jobs?task=sr&setting=2&model=scn", {"image": png(lr), "reference": png(clean)})
    assert status == 202 and job["state"] in ("queued", "running")
    job = finished(base, job)
    assert job["state"] == "done" and (job["width"], job["height"]) == (96, 80)
    assert 10 < job["psnr"] < 60 and 0 < job["ssim"] <= 1
    status, result = get(f"{base}/api/jobs/{job['id']}/result.png")
    assert status == 200 and Image.open(io.BytesIO(result)).size == (96, 80)
    status, echoed = get(f"{base}/api/jobs/{job['id']}/input.png")
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(echoed))), lr)


@pytest.mark.parametrize("case,match", [
    ("text", "not an image"),
    ("truncated", "unreadable image|not an image"),
    ("bomb", "declares 30000x30000 = 900,000,000 pixels, above the limit"),
    ("oversize", "the limit is 1 MB"),
    ("model_path", "is not offered here"),
    ("setting", "out of range"),
    ("no_image", "no image in the upload"),
])
def test_bad_uploads_get_one_line_and_the_server_goes_on(server, tmp_path: Path, case: str, match: str) -> None:
    base, _ = server
    good = png(photo())
    query, files = "task=sr&setting=2", {"image": good}
    if case == "text":
        files = {"image": b"hello, this is not a picture\n"}
    elif case == "truncated":
        files = {"image": good[: len(good) // 2]}
    elif case == "bomb":
        bomb_png(tmp_path / "bomb.png", 30000, 30000)
        files = {"image": (tmp_path / "bomb.png").read_bytes()}
    elif case == "oversize":
        files = {"image": good + b"\0" * (2 ** 20)}
    elif case == "model_path":
        query += "&model=/etc/passwd"
    elif case == "setting":
        query = "task=jpeg&setting=500"
    elif case == "no_image":
        files = {"reference": good}
    status, reply = post(f"{base}/api/jobs?{query}", files)
    if status == 202:  # a file that only fails when decoded in full: the job says why
        reply = finished(base, reply)
        assert reply["state"] == "error"
    else:
        assert status in (400, 413)
    message = reply["error"]
    assert "\n" not in message and "Traceback" not in message
    assert re.search(match, message), message
    assert get(base + "/api/options")[0] == 200  # still serving


def test_far_too_large_bodies_are_refused_with_a_reason(server) -> None:
    base, _ = server
    status, reply = post(base + "/api/jobs?task=sr", {"image": b"\0" * (3 * 2 ** 20)})
    assert status == 413 and "limit" in reply["error"]


def test_concurrent_jobs_queue_one_at_a_time(server) -> None:
    base, service = server
    replies: list[dict] = []
    gate, run = threading.Event(), service._run
    service._run = lambda job: (gate.wait(30), run(job))  # hold the first job until all are submitted

    def submit(i: int) -> None:
        replies.append(post(f"{base}/api/jobs?task=denoise&setting=25", {"image": png(photo(64 + i, 64)[..., 0])})[1])

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    gate.set()
    assert len({r["id"] for r in replies}) == 4
    done = [finished(base, r) for r in replies]
    assert all(d["state"] == "done" for d in done)
    assert sorted(r.get("ahead", 0) for r in replies)[-1] >= 2  # they waited for each other: one at a time


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium here (scripts/test.sh installs Debian's chromium)")
def test_the_page_in_headless_chromium_restores_the_demo(server, tmp_path: Path) -> None:
    """The page loads, runs SR x2 on the demo photo and shows the result beside the input."""
    base, service = server

    def screenshot(query: str, name: str) -> np.ndarray:
        path = tmp_path / name
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", "--window-size=1280,860",
                        "--virtual-time-budget=60000", f"--screenshot={path}", f"{base}/?{query}"],
                       capture_output=True, timeout=180, check=True)
        return np.asarray(Image.open(path).convert("RGB")).astype(np.int16)

    before = screenshot("demo=1&task=sr&setting=2", "before.png")
    after = screenshot("demo=1&task=sr&setting=2&run=1", "after.png")
    jobs = list(service.jobs.values())
    assert len(jobs) == 1 and jobs[0].state == "done", [j.error for j in jobs]
    result = jobs[0].result.color
    assert result.shape[:2] == (400, 400) and jobs[0].scores["psnr"] > 30
    stage = (slice(100, 500), slice(345, 1250))  # the comparison panel
    assert after[stage].std() > 20  # an image is shown, not an empty panel
    assert np.abs(after[stage] - before[stage]).mean() > 1  # the result appeared beside the input


@pytest.mark.parametrize("task,setting", [("denoise", 25), ("jpeg", 10)])
def test_gray_scores_follow_the_protocol(server, task: str, setting: int) -> None:
    """A gray upload and reference are scored as gray test images are (not through a colour Y of them)."""
    from scn.tasks import get_task
    from scn.web.server import demo_images, png_bytes

    base, service = server
    degraded, clean = demo_images(get_task(task), setting)
    status, job = post(f"{base}/api/jobs?task={task}&setting={setting}",
                       {"image": png_bytes(degraded), "reference": png_bytes(clean)})
    job = finished(base, job)
    result = np.asarray(Image.open(io.BytesIO(get(f"{base}/api/jobs/{job['id']}/result.png")[1])))
    assert result.ndim == 2 and job["psnr"] == round(get_task(task).score(result, clean, setting)["psnr"], 4)


def test_a_colour_upload_takes_the_colour_model_as_scn_restore_does(server, colour_zoo) -> None:
    """Denoising a colour photo on the page gives what `scn.restore` gives (the shipped colour model), a gray one
    what the gray model gives."""
    import scn

    base, _ = server
    noisy = photo(40, 48)
    noisy[::3, ::2] = 255 - noisy[::3, ::2]
    results = []
    for picture in (noisy, noisy[..., 1]):
        status, job = post(f"{base}/api/jobs?task=denoise&setting=25&model=scn", {"image": png(picture)})
        job = finished(base, job)
        results.append(np.asarray(Image.open(io.BytesIO(get(f"{base}/api/jobs/{job['id']}/result.png")[1]))))
        assert np.array_equal(results[-1], scn.restore(picture, "denoise", sigma=25))
    assert not np.array_equal(results[0], scn.restore(noisy, "denoise", sigma=25, luma_only=True))


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium here (scripts/test.sh installs Debian's chromium)")
def test_a_file_picked_after_the_demo_is_restored_without_the_demos_reference(server, tmp_path: Path) -> None:
    """In a real browser: the demo restored, then a file of one's own picked with the file chooser: it is restored
    (no stale reference from the demo), the download link appears only with a result and points at this job,
    and the result line names the weights that ran."""
    from cdp import Browser

    base, service = server
    Image.fromarray(photo(45, 30)).save(tmp_path / "mine.png")
    browser = Browser(CHROMIUM, tmp_path / "profile")
    status = "document.getElementById('status').textContent"
    download = "document.getElementById('download')"
    try:
        browser.open(f"{base}/?demo=1&task=sr&setting=2")
        browser.wait_for(f"{status}.includes('Press Restore')")
        assert browser.evaluate(f"getComputedStyle({download}).display") == "none"  # nothing to download yet
        browser.evaluate("document.getElementById('run').click()")
        browser.wait_for(f"{status}.startsWith('done in')")
        assert browser.evaluate("document.getElementById('metrics').textContent").startswith(
            "vs. the reference: Y PSNR")
        browser.pick_file("#file", tmp_path / "mine.png")
        browser.wait_for(f"{status}.startsWith('mine.png')")
        assert browser.evaluate(f"getComputedStyle({download}).display") == "none"
        browser.evaluate("document.getElementById('run').click()")
        done = browser.wait_for(f"{status}.startsWith('done in') && {status}")
        assert "60x90 with scn_small_x2.bicubic" in done, done
        assert browser.evaluate("document.getElementById('metrics').textContent") == ""
        mine = max(service.jobs)
        assert service.jobs[mine].state == "done" and service.jobs[mine].reference is None
        assert browser.evaluate(f"{download}.href").endswith(f"/api/jobs/{mine}/result.png")
        assert browser.evaluate(f"getComputedStyle({download}).display") != "none"
    finally:
        browser.close()


def test_titles_weights_and_what_the_scores_measure(server) -> None:
    base, _ = server
    titles = {t["name"]: t["title"] for t in json.loads(get(f"{base}/api/options")[1])["tasks"]}
    assert titles["denoise"] == "denoising (colour or gray)" and "gray" not in titles["sr"]
    clean = photo(40, 48)
    noisy = np.clip(clean + np.random.default_rng(0).normal(0, 25, clean.shape), 0, 255).astype(np.uint8)
    status, job = post(f"{base}/api/jobs?task=denoise&setting=25&model=scn",
                       {"image": png(noisy), "reference": png(clean)})
    job = finished(base, job)
    result = np.asarray(Image.open(io.BytesIO(get(f"{base}/api/jobs/{job['id']}/result.png")[1])))
    from scn.metrics.quality import psnr

    assert job["weights"] == "scn_denoise_rgb.sigma_8bit" and job["model"] == "scn"
    assert job["scored_on"] == "RGB" and job["psnr"] == pytest.approx(psnr(result, clean), abs=1e-3)


def test_a_jpeg_upload_without_a_quality_is_restored_at_the_quality_it_says(server) -> None:
    """task jpeg with no setting: a quality-10 JPEG upload gets quality 10 and its model, as `scn restore` does."""
    base, _ = server
    buffer = io.BytesIO()
    Image.fromarray(photo(48, 64)).save(buffer, format="JPEG", quality=10)
    status, job = post(f"{base}/api/jobs?task=jpeg&model=scn", {"image": buffer.getvalue()})
    job = finished(base, job)
    assert status == 202 and job["state"] == "done", job
    assert job["setting"] == 10 and job["weights"] == "scn_jpeg_rgb.q10"
    assert (job["level"], job["level_from"], job["level_text"]) == (10, "file", "quality 10, read from the file")


def test_a_noise_level_slider_sets_any_level_a_shipped_model_restores(server) -> None:
    """Denoising offers a knob from 0 to the highest level a shipped default restores; a level off the list (37)
    runs, with the model `scn restore --sigma 37` takes, and one past every model is a one-line error."""
    base, _ = server
    tasks = {t["name"]: t for t in json.loads(get(f"{base}/api/options")[1])["tasks"]}
    knob = tasks["denoise"]["knob"]
    assert knob["low"] == 0 and knob["high"] == 75 and knob["label"] == "σ{}"
    assert "knob" not in tasks["sr"] and "knob" not in tasks["jpeg"]
    noisy = np.clip(photo() + np.random.RandomState(0).normal(0, 37, (40, 48, 3)), 0, 255).astype(np.uint8)
    status, job = post(f"{base}/api/jobs?task=denoise&setting=37", {"image": png(noisy)})
    job = finished(base, job)
    assert status == 202 and job["state"] == "done" and job["setting"] == 37
    assert job["weights"] == resolve_name("denoise", 37) == "scn_denoise_rgb.sigma_8bit" and "level" not in job
    status, job = post(f"{base}/api/jobs?task=denoise&setting=80", {"image": png(noisy)})
    job = finished(base, job) if status == 202 else job
    assert "no shipped weights for denoise at sigma 80" in job["error"]


def test_a_colour_photo_denoised_with_no_level_gets_it_estimated_and_said(server) -> None:
    """No setting: the colour denoiser told the level runs, with the level estimated from the picture, which the
    job reports (and the page shows beside the model's name)."""
    base, _ = server
    noisy = photo() + np.random.RandomState(1).normal(0, 25, (40, 48, 3))
    status, job = post(f"{base}/api/jobs?task=denoise", {"image": png(np.clip(noisy, 0, 255).astype(np.uint8))})
    job = finished(base, job)
    assert status == 202 and job["state"] == "done" and job["setting"] is None, job
    assert job["weights"] == "scn_denoise_rgb.sigma_8bit" and job["level_from"] == "estimated"
    assert 10 < job["level"] < 40 and job["level_text"] == f"sigma {job['level']:g}, estimated from the picture"


def resolve_name(task: str, setting: int) -> str:
    from scn.resolve import DEFAULT, resolve

    return resolve(DEFAULT, task, setting, channels=3).label
