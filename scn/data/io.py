"""Reading images and folders of images, with one-line errors for everything that can go wrong."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import ScnError
from .color import rgb_to_y, to_uint8

SHARED = "../shared"  # the project's data beside a checkout (its README lists it), as configs and docs write it
SHARED_PARTS = Path(SHARED).parts


def shared_path(folder: str) -> str:
    """A data folder as configs and docs write it, with `../shared` replaced by $SCN_SHARED when that is set (data
    sent along with the code to a machine without ../shared, e.g. by scripts/pack_gpu_data.sh)."""
    root = os.environ.get("SCN_SHARED")
    if root and (folder == SHARED or folder.startswith(SHARED + "/")):
        return str(Path(root) / folder[len(SHARED):].lstrip("/"))
    return folder


def where_relative(folder: Path) -> str:
    """For a missing relative folder: where it was looked for, and (for ../shared) how to point there."""
    if folder.is_absolute():
        return ""
    under_shared = folder.parts[:len(SHARED_PARTS)] == SHARED_PARTS
    hint = "; run from the checkout, or set SCN_SHARED to the data folder" if under_shared else ""
    return f" (relative to the working folder {Path.cwd()}{hint})"


IMAGE_SUFFIXES = (".png", ".bmp", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


class ImageError(ScnError):
    """An image or folder that cannot be used."""


def list_images(folder: str | Path) -> list[Path]:
    """The image files directly in `folder`, sorted by name; an error if it is missing or has none."""
    folder = Path(folder)
    if not folder.exists():
        raise ImageError(f"{folder}: no such folder{where_relative(folder)}")
    if not folder.is_dir():
        raise ImageError(f"{folder}: not a folder (give a folder of images)")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ImageError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder")
    return files


def read_image(path: str | Path) -> Image.Image:
    """Open an image fully (so a truncated file fails here, not later)."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            return im.copy()
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        reason = "not an image Pillow can read" if isinstance(e, UnidentifiedImageError) else str(e).splitlines()[0]
        raise ImageError(f"{path}: unreadable image ({reason})") from None


def as_rgb(im: Image.Image) -> np.ndarray:
    """uint8 (H, W, 3): gray repeated to 3 channels, palette expanded, alpha dropped."""
    return np.array(im.convert("RGB"))


def as_gray(im: Image.Image) -> np.ndarray:
    """uint8 (H, W): gray files as they are; colour files converted to BT.601 Y, rounded (the JPEG protocol)."""
    if im.mode in ("L", "1", "I;16", "I"):
        return np.array(im.convert("L"))
    return to_uint8(rgb_to_y(as_rgb(im)))
