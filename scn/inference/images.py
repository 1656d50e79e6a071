"""Images as people have them: PNG, JPEG, BMP, TIFF, WebP; 8 or 16 bits; gray, RGB, RGBA, palette; EXIF
orientation. Read into float32 in [0, 1] (colour and alpha apart) and written back in the input's bit depth.

16-bit colour PNGs are read and written with `pypng` (Pillow reduces them to 8 bits); 16-bit gray goes through
Pillow. Outputs are written to a temporary name and renamed, so a crash leaves no partial file.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ..atomic import atomic_write
from ..data.io import ImageError
from ..data.monochrome import Monochrome, monochrome
from ..errors import ScnWarning
from ..tasks import Task

DEFAULT_MAX_PIXELS = 200_000_000  # 200 MP: a photo, not a decompression bomb
WRITE_SUFFIXES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF",
                  ".webp": "WEBP"}


@dataclass
class Picture:
    """Colour (H, W, 1 or 3) and optional alpha (H, W), float32 in [0, 1], with the file's bit depth."""

    color: np.ndarray
    alpha: np.ndarray | None = None
    bits: int = 8
    exif: bytes | None = None  # the file's EXIF, orientation already applied (and removed)
    icc: bytes | None = None  # the file's ICC colour profile

    @property
    def gray(self) -> bool:
        return self.color.shape[2] == 1

    @cached_property
    def monochrome(self) -> Monochrome | None:
        """How an RGB picture whose colours lie on one line (R = G = B, or toned) follows its luma; None for a gray
        picture or a colour one."""
        return None if self.gray else monochrome(self.color)

    def gray_for(self, task: Task) -> bool:
        """Whether `task` restores this picture as gray: a gray picture, or, for a task that adds noise (denoising),
        a monochrome RGB one (R = G = B, or toned: `scn.data.monochrome`). Such noise is alike in every channel,
        which a gray denoiser removes and a colour one, trained on noise independent in R, G and B, leaves in."""
        return self.gray or (task.adds_noise and self.monochrome is not None)


# -- conversions: arrays, PIL images and tensors to pictures and back (the only place they are made) -------------

def picture_from_array(arr: np.ndarray) -> tuple[Picture, str]:
    """A picture of an (H, W) or (H, W, 1|2|3|4) array (uint8, uint16, or float in [0, 1]; a last channel of 2
    or 4 is alpha), and the array's kind ('uint8', 'uint16', 'float') to give the result back in."""
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 2, 3, 4):
        raise ImageError(f"expected an (H, W), (H, W, 1|3|4) image array, got shape {arr.shape}")
    if arr.dtype == np.uint8:
        f, bits, kind = arr.astype(np.float32) / 255.0, 8, "uint8"
    elif arr.dtype == np.uint16:
        f, bits, kind = arr.astype(np.float32) / 65535.0, 16, "uint16"
    elif np.issubdtype(arr.dtype, np.floating):
        f, bits, kind = np.clip(arr.astype(np.float32), 0, 1), 16, "float"
    else:
        raise ImageError(f"image arrays must be uint8, uint16 or float in [0, 1], got {arr.dtype}")
    has_alpha = f.shape[2] in (2, 4)
    color = f[..., : f.shape[2] - 1] if has_alpha else f
    return Picture(np.ascontiguousarray(color), f[..., -1].copy() if has_alpha else None, bits), kind


def array_from_picture(pic: Picture, kind: str) -> np.ndarray:
    """The picture as an array of `kind` ('uint8', 'uint16', 'float'); (H, W) when gray without alpha."""
    f = pic.color if pic.alpha is None else np.concatenate([pic.color, pic.alpha[..., None]], axis=2)
    f = f[..., 0] if f.shape[2] == 1 else f
    if kind == "float":
        return f.astype(np.float32)
    return _quantise(f, 16 if kind == "uint16" else 8)


def picture_from_pil(image: Image.Image) -> Picture:
    """An 8-bit picture of a PIL image (gray, gray + alpha, RGB, RGBA, palette)."""
    if image.mode in ("1", "L", "LA"):
        arr = np.asarray(image.convert("L") if image.mode == "1" else image)
    elif "A" in image.getbands() or (image.mode == "P" and "transparency" in image.info):
        arr = np.asarray(image.convert("RGBA"))
    else:
        arr = np.asarray(image.convert("RGB"))
    pic, _ = picture_from_array(arr)
    pic.bits = 8
    return pic


def tensor_from_image(color: np.ndarray) -> torch.Tensor:
    """(H, W, C) float in [0, 1] -> a (1, C, H, W) float32 tensor."""
    return torch.from_numpy(np.ascontiguousarray(color.transpose(2, 0, 1), dtype=np.float32))[None]


def image_from_tensor(y: torch.Tensor) -> np.ndarray:
    """A (1, C, H, W) network output -> (H, W, C) float32 in [0, 1] (clamped in place where it may be)."""
    y = y[0]
    y = y.clamp(0, 1) if y.is_inference() else y.clamp_(0, 1)  # in place on big tiled outputs
    return y.permute(1, 2, 0).numpy()


@contextlib.contextmanager
def _native_stderr_quiet(active: bool) -> Iterator[None]:
    """Keep a C library's messages off stderr while it decodes (libtiff prints every complaint about a damaged
    TIFF there, around the one-line error that follows). Only for TIFF files, briefly: fd 2 is the process's."""
    if not active:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _is_tiff(data: bytes) -> bool:
    return data[:4] in (b"II*\x00", b"MM\x00*")


def _png_header(data: bytes) -> tuple[int, int, int, int] | None:
    """(width, height, bit depth, colour type) of a PNG, None for other files."""
    head = data[:29]
    if len(head) < 29 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return (int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big"), head[24], head[25])


def _check_pixels(name: str, width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageError(f"{name}: declares {width}x{height} = {width * height:,} pixels, above the limit of "
                         f"{max_pixels:,} (a decompression bomb?); raise max_pixels (--max-pixels) if the file is real")


def _pypng():  # type: ignore[no-untyped-def]
    """pypng, for 16-bit colour PNGs (Pillow reduces them to 8 bits); only they need it."""
    try:
        import png
    except ImportError:
        raise ImageError("16-bit colour PNGs need the pypng package: pip install pypng") from None
    return png


def _read_png16(data: bytes) -> Picture:
    png = _pypng()
    width, height, rows, info = png.Reader(bytes=data).asDirect()
    planes = info["planes"]
    data = np.vstack([np.asarray(r, dtype=np.uint16) for r in rows]).reshape(height, width, planes)
    data = data.astype(np.float32) / 65535.0
    has_alpha = info.get("alpha", False)
    color = data[..., : planes - 1] if has_alpha else data
    return Picture(np.ascontiguousarray(color), data[..., -1].copy() if has_alpha else None, bits=16)


def read_picture(source: str | Path | bytes | BinaryIO, max_pixels: int = DEFAULT_MAX_PIXELS,
                 name: str | None = None) -> Picture:
    """Read an image (a file path, its bytes, or an open binary file; EXIF orientation applied); one-line
    ImageError for anything unusable, naming the file (or `name`, e.g. 'the upload')."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), name or "the image"
    elif hasattr(source, "read"):
        data, name = source.read(), name or str(getattr(source, "name", "the image"))  # type: ignore[union-attr]
    else:
        path = Path(source)
        name = name or str(path)
        if not path.is_file():
            raise ImageError(f"{name}: no such file")
        data = path.read_bytes()
    if not data:
        raise ImageError(f"{name}: empty file (0 bytes)")
    header = _png_header(data)
    if header:
        _check_pixels(name, header[0], header[1], max_pixels)
        if header[2] == 16 and header[3] in (2, 4, 6):  # 16-bit RGB, gray+alpha, RGBA
            try:
                return _read_png16(data)
            except ImageError:
                raise
            except Exception as e:  # noqa: BLE001 - pypng raises its own error types
                raise ImageError(f"{name}: unreadable 16-bit PNG ({type(e).__name__})") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's notes on damaged files ('Corrupt EXIF data', ...): the
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # file reads, or fails in one line
            saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
            try:
                with _native_stderr_quiet(_is_tiff(data)), Image.open(io.BytesIO(data)) as im:
                    _check_pixels(name, im.width, im.height, max_pixels)
                    im.load()
                    icc = im.info.get("icc_profile")
                    im = ImageOps.exif_transpose(im)
                    pic = _to_picture(im)
                    pic.exif, pic.icc = _exif_bytes(im), icc or None
                    return pic
            finally:
                Image.MAX_IMAGE_PIXELS = saved
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image file Pillow can read") from None
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001 - a damaged file can break a decoder anywhere (a TypeError in a TIFF
        # reader, found by benchmarks/fuzz_images.py): whatever it raises, the file is unreadable
        raise ImageError(f"{name}: unreadable image ({str(e).splitlines()[0] if str(e) else type(e).__name__})") \
            from None


EXIF_SIZE_TAGS = (0xA002, 0xA003)  # PixelXDimension / PixelYDimension: wrong once the size changes


def _exif_bytes(im: Image.Image) -> bytes | None:
    exif = im.getexif()
    if not exif:
        return None
    exif.pop(0x0112, None)  # orientation: applied to the pixels
    sub = exif.get_ifd(0x8769)
    for tag in EXIF_SIZE_TAGS:
        sub.pop(tag, None)
    return exif.tobytes()


def _metadata(pic: Picture, fmt: str) -> dict[str, bytes]:
    """The EXIF / ICC save options `fmt` can hold; a warning names what it cannot."""
    keep = {"exif": pic.exif, "icc_profile": pic.icc}
    able = {"JPEG": ("exif", "icc_profile"), "PNG": ("exif", "icc_profile"), "WEBP": ("exif", "icc_profile"),
            "TIFF": ("exif", "icc_profile"), "BMP": ()}.get(fmt, ())
    lost = [k for k, v in keep.items() if v and k not in able]
    if lost:
        names = " and ".join("EXIF" if k == "exif" else "the ICC profile" for k in lost)
        warnings.warn(ImageWarning(f"{fmt} cannot hold {names} of the input; the output has none"), stacklevel=3)
    return {k: v for k, v in keep.items() if v and k in able}


class ImageWarning(ScnWarning):
    """Something of the input that an output format cannot keep."""


def _to_picture(im: Image.Image) -> Picture:
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im, dtype=np.float32)
        return Picture((np.clip(arr, 0, 65535) / 65535.0)[..., None], None, bits=16)
    if im.mode == "F":
        return Picture(np.clip(np.asarray(im, dtype=np.float32), 0, 1)[..., None], None, bits=16)
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("1", "L"):
        return Picture((np.asarray(im.convert("L"), dtype=np.float32) / 255.0)[..., None])
    if im.mode == "LA":
        arr = np.asarray(im, dtype=np.float32) / 255.0
        return Picture(arr[..., :1].copy(), arr[..., 1].copy())
    if im.mode in ("RGBA", "RGBa", "PA"):
        arr = np.asarray(im.convert("RGBA"), dtype=np.float32) / 255.0
        return Picture(arr[..., :3].copy(), arr[..., 3].copy())
    return Picture(np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0)


def _quantise(x: np.ndarray, bits: int) -> np.ndarray:
    """Round to the bit depth, with a single float temporary (big images)."""
    peak = 65535.0 if bits == 16 else 255.0
    y = np.clip(x, 0, 1)
    y *= peak
    y += 0.5
    np.floor(y, out=y)
    return y.astype(np.uint16 if bits == 16 else np.uint8)


def picture_to_pil(pic: Picture) -> Image.Image:
    """8-bit PIL image of a picture (L, LA, RGB or RGBA)."""
    color = _quantise(pic.color, 8)
    if pic.alpha is not None:
        arr = np.concatenate([color, _quantise(pic.alpha, 8)[..., None]], axis=2)
        return Image.fromarray(arr, "LA" if pic.gray else "RGBA")
    return Image.fromarray(color[..., 0], "L") if pic.gray else Image.fromarray(color, "RGB")


def output_format(path: Path) -> str:
    fmt = WRITE_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise ImageError(f"{path}: unknown output format {path.suffix!r}; use one of "
                         f"{', '.join(sorted(WRITE_SUFFIXES))}")
    return fmt


def write_picture(pic: Picture, path: str | Path, quality: int = 95) -> Path:
    """Write `pic` in the format its suffix names, 16 bits where the input had 16 and the format allows it
    (PNG, TIFF gray), atomically; `quality` for JPEG and WebP."""
    path = Path(path)
    fmt = output_format(path)

    def write(tmp: str) -> None:
        if pic.bits == 16 and fmt == "PNG" and not (pic.gray and pic.alpha is None):
            _metadata(pic, "16-bit colour PNG (written by pypng)")  # warns if the input carried any
            _write_png16(pic, tmp)
        elif pic.bits == 16 and fmt in ("PNG", "TIFF") and pic.gray and pic.alpha is None:
            Image.fromarray(_quantise(pic.color[..., 0], 16)).save(tmp, format=fmt, **_metadata(pic, fmt))
        else:
            im = picture_to_pil(pic)
            if fmt == "JPEG" and im.mode in ("RGBA", "LA"):
                im = im.convert("RGB" if im.mode == "RGBA" else "L")  # JPEG has no alpha
            options: dict[str, object] = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
            im.save(tmp, format=fmt, **options, **_metadata(pic, fmt))

    try:
        return atomic_write(path, write)
    except OSError as e:
        raise ImageError(f"{path}: cannot write into {path.parent} ({e.strerror or e})") from None


def _write_png16(pic: Picture, path: str) -> None:
    png = _pypng()
    arr = _quantise(pic.color, 16)
    if pic.alpha is not None:
        arr = np.concatenate([arr, _quantise(pic.alpha, 16)[..., None]], axis=2)
    h, w, planes = arr.shape
    writer = png.Writer(w, h, bitdepth=16, greyscale=pic.gray, alpha=pic.alpha is not None)
    with open(path, "wb") as f:
        writer.write(f, arr.reshape(h, w * planes))
