"""Fuzz the image reading path `scn restore` and `scn serve` share (`scn.inference.images.read_picture`).

Seeds are valid files made here (PNG 8/16-bit gray, RGB, RGBA, palette; JPEG, WebP, TIFF, BMP; EXIF with an
orientation and ICC profiles where the format holds them); each case mutates one (bit flips, truncation, a chunk
or marker duplicated, a length field or the dimensions set huge or changed) and reads it. A case passes when it
ends in a picture (finite, in [0, 1], the shape it says) or an ImageError of one line, within the per-case time
limit; anything else (another exception, a hang, a picture of the wrong shape) is a failure, saved with its seed
and case number so it can become a regression file (tests/data/fuzz/).

    python benchmarks/fuzz_images.py --cases 50000 --seed 1        # the long run of docs/restore.md
"""

from __future__ import annotations

import argparse
import io
import resource
import signal
import struct
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from scn.errors import ScnError
from scn.inference.images import read_picture

CASE_SECONDS = 10.0  # a case slower than this is a hang
MAX_PIXELS = 4_000_000  # as a server would set it: bombs are refused by size, not decoded


def _icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _exif(orientation: int = 6) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "scn fuzz"
    return exif.tobytes()


def seed_files() -> dict[str, bytes]:
    """Valid files of every kind the reader takes, small (a case must be cheap)."""
    rng = np.random.default_rng(0)
    rgb = (rng.random((23, 31, 3)) * 255).astype(np.uint8)
    icc, exif = _icc(), _exif()
    out: dict[str, bytes] = {}

    def save(name: str, image: Image.Image, fmt: str, **options: object) -> None:
        buffer = io.BytesIO()
        image.save(buffer, format=fmt, **options)
        out[name] = buffer.getvalue()

    base = Image.fromarray(rgb)
    save("rgb.png", base, "PNG", exif=exif, icc_profile=icc)
    save("gray.png", base.convert("L"), "PNG")
    save("rgba.png", base.convert("RGBA"), "PNG")
    save("palette.png", base.convert("P"), "PNG")
    save("gray16.png", Image.fromarray((rng.random((19, 17)) * 65535).astype(np.uint16)), "PNG")
    out["rgb16.png"] = _png16(rng)
    save("photo.jpg", base, "JPEG", quality=80, exif=exif, icc_profile=icc)
    save("gray.jpg", base.convert("L"), "JPEG", quality=60)
    save("progressive.jpg", base, "JPEG", quality=70, progressive=True)
    save("lossy.webp", base, "WEBP", quality=70, exif=exif, icc_profile=icc)
    save("lossless.webp", base.convert("RGBA"), "WEBP", lossless=True)
    save("rgb.tif", base, "TIFF", exif=exif)
    save("deflate.tif", base.convert("L"), "TIFF", compression="tiff_deflate")
    save("rgb.bmp", base, "BMP")
    save("palette.bmp", base.convert("P"), "BMP")
    return out


def _png16(rng: np.random.Generator) -> bytes:
    """A 16-bit RGB PNG written by hand (the reader takes these through pypng)."""
    h, w = 11, 13
    rows = (rng.random((h, w * 3)) * 65535).astype(">u2")
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# -- mutations ----------------------------------------------------------------------------------------------------
def _flip_bits(data: bytearray, rng: np.random.Generator) -> None:
    for _ in range(int(rng.integers(1, 9))):
        i = int(rng.integers(len(data)))
        data[i] ^= 1 << int(rng.integers(8))


def _truncate(data: bytearray, rng: np.random.Generator) -> None:
    if len(data) > 1:
        del data[int(rng.integers(1, len(data))):]


def _duplicate(data: bytearray, rng: np.random.Generator) -> None:
    """A span (a chunk, a marker segment, or any run of bytes) written twice."""
    start = int(rng.integers(len(data)))
    end = min(len(data), start + int(rng.integers(1, 256)))
    data[end:end] = data[start:end]


def _huge_field(data: bytearray, rng: np.random.Generator) -> None:
    """A 2- or 4-byte field (a length, a width, an offset) set to a huge or odd value."""
    width = int(rng.choice([2, 4]))
    i = int(rng.integers(max(1, len(data) - width)))
    value = int(rng.choice([0, 1, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, int(rng.integers(1 << 16))]))
    data[i:i + width] = value.to_bytes(4, "big")[-width:]


def _dimensions(data: bytearray, rng: np.random.Generator) -> None:
    """The image's stated size changed where it is known to lie (PNG IHDR, JPEG SOF, BMP header, WebP VP8)."""
    size = struct.pack(">I", int(rng.choice([0, 1, 3, 4096, 70000, 1 << 20, 1 << 31])))
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        at = 16 + 4 * int(rng.integers(2))
        data[at:at + 4] = size
    elif data[:2] == b"\xff\xd8" and (sof := data.find(b"\xff\xc0")) > 0 or (sof := data.find(b"\xff\xc2")) > 0:
        at = sof + 5 + 2 * int(rng.integers(2))
        data[at:at + 2] = size[-2:]
    elif data[:2] == b"BM":
        at = 18 + 4 * int(rng.integers(2))
        data[at:at + 4] = size[::-1]
    else:
        _huge_field(data, rng)


MUTATIONS: dict[str, Callable[[bytearray, np.random.Generator], None]] = {
    "bit flips": _flip_bits, "truncation": _truncate, "duplication": _duplicate, "huge field": _huge_field,
    "dimensions": _dimensions,
}


def mutate(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    """One or two mutations of `data`, and what they were."""
    out = bytearray(data)
    names = list(rng.choice(list(MUTATIONS), size=int(rng.integers(1, 3))))
    for name in names:
        MUTATIONS[name](out, rng)
    return bytes(out), " + ".join(names)


# -- running -------------------------------------------------------------------------------------------------------
@dataclass
class Report:
    cases: int = 0
    pictures: int = 0
    errors: Counter = field(default_factory=Counter)  # one-line error kinds
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in self.errors.most_common(6))
        return (f"{self.cases} cases in {self.seconds:.1f} s: {self.pictures} read, "
                f"{sum(self.errors.values())} one-line errors ({kinds}), {len(self.failures)} failures; slowest case "
                f"{self.slowest * 1000:.0f} ms, peak RSS {self.peak_rss_mb:.0f} MB")


class CaseTimeout(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise CaseTimeout()


def check_case(path: Path) -> str:
    """'picture', or 'error: KIND' for a one-line ImageError; raises AssertionError for anything else."""
    try:
        pic = read_picture(path, MAX_PIXELS)
    except ScnError as e:
        message = str(e)
        assert "\n" not in message and message.startswith(str(path)), f"not one line naming the file: {message!r}"
        reason = message[len(str(path)) + 2:]
        return "error: " + reason.split(" (")[0].split(":")[0][:40]
    color = pic.color
    assert color.ndim == 3 and color.shape[2] in (1, 3) and color.size > 0, f"shape {color.shape}"
    assert np.isfinite(color).all() and color.min() >= 0 and color.max() <= 1, "values out of [0, 1]"
    assert pic.alpha is None or pic.alpha.shape == color.shape[:2], "alpha of another shape"
    return "picture"


def run(cases: int, seed: int, failures_dir: Path | None = None, progress: bool = False) -> Report:
    seeds = seed_files()
    names = sorted(seeds)
    rng = np.random.default_rng(seed)
    report = Report()
    previous = signal.signal(signal.SIGALRM, _alarm)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="scn-fuzz-") as tmp:
        for case in range(cases):
            name = names[case % len(names)]
            data, how = mutate(seeds[name], rng)
            path = Path(tmp) / f"case{Path(name).suffix}"
            path.write_bytes(data)
            t0 = time.perf_counter()
            signal.setitimer(signal.ITIMER_REAL, CASE_SECONDS)
            try:
                outcome = check_case(path)
            except (AssertionError, CaseTimeout, Exception) as e:  # noqa: BLE001 - a failure, whatever it is
                outcome = "failure"
                kind = "hang" if isinstance(e, CaseTimeout) else f"{type(e).__name__}: {str(e)[:120]}"
                report.failures.append(f"case {case} ({name}, {how}): {kind}")
                if failures_dir is not None:
                    failures_dir.mkdir(parents=True, exist_ok=True)
                    (failures_dir / f"seed{seed}_case{case}_{name}").write_bytes(data)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            report.slowest = max(report.slowest, time.perf_counter() - t0)
            report.cases += 1
            if outcome == "picture":
                report.pictures += 1
            elif outcome.startswith("error"):
                report.errors[outcome[7:]] += 1
            if progress and case % 5000 == 4999:
                print(f"{case + 1} cases, {len(report.failures)} failures", file=sys.stderr, flush=True)
    signal.signal(signal.SIGALRM, previous)
    report.seconds = time.perf_counter() - started
    report.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--failures", type=Path, default=Path("runs/fuzz_failures"), help="where failing inputs go")
    args = ap.parse_args()
    report = run(args.cases, args.seed, args.failures, progress=True)
    print(report.summary())
    for line in report.failures[:20]:
        print("  " + line)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
