"""Files as people have them: formats, bit depths, alpha, palettes, EXIF / ICC, bombs, refusals, and one reader for
paths, bytes and open files."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scn.cli.main import main
from scn.inference.images import Picture, read_picture, write_picture
from conftest import cli, cli_subprocess, photo_crop


# -- files as people have them --------------------------------------------------------------------------------------

def test_formats_bit_depths_alpha_palette_exif(sr_ckpt: Path, tmp_path: Path) -> None:
    rgb = photo_crop()[:24, :20]
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 200, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    Image.fromarray(rgb).convert("P", palette=Image.ADAPTIVE).save(tmp_path / "p.png")
    Image.fromarray(rgb).save(tmp_path / "j.jpg", quality=95)
    Image.fromarray(rgb).save(tmp_path / "w.webp")
    Image.fromarray(rgb).save(tmp_path / "b.bmp")
    Image.fromarray(rgb[..., 0]).save(tmp_path / "g.tif")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when displayed
    Image.fromarray(rgb).save(tmp_path / "rot.jpg", exif=exif.tobytes())
    write_picture(Picture((rgb / 255.0).astype(np.float32), None, bits=16), tmp_path / "c16.png")
    out = tmp_path / "out"
    assert main(["restore", str(tmp_path), "-o", str(out), "--model", str(sr_ckpt), "--no-progress"]) == 0
    a = Image.open(out / "a.png")
    assert a.mode == "RGBA" and a.size == (40, 48) and abs(np.asarray(a)[..., 3].astype(int) - 200).max() <= 1
    assert Image.open(out / "p.png").size == (40, 48)
    assert Image.open(out / "g.tif").mode == "L"
    assert Image.open(out / "rot.jpg").size == (48, 40)  # EXIF orientation applied: portrait becomes landscape
    sixteen = read_picture(out / "c16.png")
    assert sixteen.bits == 16 and sixteen.color.shape == (48, 40, 3)
    for name in ("j.jpg", "w.webp", "b.bmp"):
        assert Image.open(out / name).size == (40, 48)


def test_sixteen_bit_round_trip(tmp_path: Path) -> None:
    values = (np.arange(12 * 10 * 3).reshape(12, 10, 3) * 181 % 65536).astype(np.float32) / 65535
    write_picture(Picture(values, values[..., 0].copy(), bits=16), tmp_path / "x.png")
    back = read_picture(tmp_path / "x.png")
    assert back.bits == 16 and np.abs(back.color - values).max() < 1e-6 and back.alpha is not None


def bomb_png(path: Path, width: int, height: int) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))


@pytest.mark.parametrize("case", ["text_png", "zero_bytes", "one_pixel", "unwritable", "bomb"])
def test_bad_inputs_are_one_line_errors_leaving_nothing(sr_ckpt: Path, tmp_path: Path, case: str) -> None:
    src = tmp_path / "in.png"
    out_dir = tmp_path / "out"
    expect = {"text_png": "not an image", "zero_bytes": "empty file", "one_pixel": "at least 4x4",
              "unwritable": "cannot", "bomb": "decompression bomb"}[case]
    if case == "text_png":
        src.write_text("hello, I am text")
    elif case == "zero_bytes":
        src.write_bytes(b"")
    elif case == "one_pixel":
        Image.new("RGB", (1, 1)).save(src)
    elif case == "unwritable":
        Image.fromarray(photo_crop()[:20, :20]).save(src)
        (tmp_path / "afile").write_text("x")
        out_dir = tmp_path / "afile" / "out"  # a folder that cannot be made
    else:
        bomb_png(src, 50000, 50000)
    run = cli_subprocess if case == "bomb" else cli  # a bomb let through would take the test process with it
    proc = run("restore", str(src), "-o", str(out_dir), "--model", str(sr_ckpt), "--no-progress")
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.strip().splitlines() if not line.startswith("restored ")]
    assert len(lines) == 1 and expect in lines[0] and "Traceback" not in proc.stderr, proc.stderr
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and p.name not in ("in.png", "afile")]
    assert not leftovers


def test_bomb_limit_can_be_raised_and_batch_goes_on(sr_ckpt: Path, tmp_path: Path) -> None:
    good = photo_crop()[:20, :24]
    Image.fromarray(good).save(tmp_path / "a.png")
    (tmp_path / "b.png").write_text("broken")
    Image.fromarray(good).save(tmp_path / "c.png")
    proc = cli("restore", str(tmp_path / "*.png"), "-o", str(tmp_path / "out"), "--model", str(sr_ckpt),
               "--no-progress")
    assert proc.returncode == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "c.png"]
    assert "b.png" in proc.stderr and "restored 2 of 3" in proc.stderr
    proc = cli("restore", str(tmp_path / "a.png"), "-o", str(tmp_path / "out2"), "--model", str(sr_ckpt),
               "--no-progress", "--max-pixels", "100")
    assert "above the limit of 100" in proc.stderr


def test_never_overwrites_without_permission_and_never_the_input(sr_ckpt: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.png"
    Image.fromarray(photo_crop()[:20, :24]).save(src)
    before = src.read_bytes()
    dst = tmp_path / "o.png"
    dst.write_bytes(b"keep me")
    proc = cli("restore", str(src), "-o", str(dst), "--model", str(sr_ckpt), "--no-progress")
    assert proc.returncode == 1 and "--overwrite" in proc.stderr and dst.read_bytes() == b"keep me"
    assert cli("restore", str(src), "-o", str(dst), "--model", str(sr_ckpt), "--overwrite",
               "--no-progress").returncode == 0
    assert Image.open(dst).size == (48, 40)
    proc = cli("restore", str(src), "-o", str(src), "--model", str(sr_ckpt), "--overwrite", "--no-progress")
    assert proc.returncode == 1 and "overwrite the input" in proc.stderr and src.read_bytes() == before



def test_outputs_keep_exif_and_icc_and_get_the_umask(sr_ckpt: Path, tmp_path: Path) -> None:
    from PIL import ImageCms

    im = Image.fromarray(photo_crop()[:40, :48])
    exif = im.getexif()
    exif[0x0110], exif[0x0112] = "TestCam 1", 6  # camera model; orientation: rotate
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    im.save(tmp_path / "in.jpg", exif=exif.tobytes(), icc_profile=icc, quality=95)
    old = os.umask(0o022)
    try:
        for name in ("out.png", "out.jpg", "out.webp"):
            assert main(["restore", str(tmp_path / "in.jpg"), "-o", str(tmp_path / name), "--model", str(sr_ckpt),
                         "--no-progress", "--jpeg-quality", "90"]) == 0
            with Image.open(tmp_path / name) as out:
                assert out.size == (80, 96) and out.getexif().get(0x0110) == "TestCam 1", name
                assert 0x0112 not in out.getexif() and out.info.get("icc_profile") == icc, name
            assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name  # as any new file, not 0600
    finally:
        os.umask(old)
    with pytest.warns(UserWarning, match="BMP cannot hold EXIF and the ICC profile"):
        write_picture(read_picture(tmp_path / "in.jpg"), tmp_path / "out.bmp")



def test_read_picture_takes_a_path_bytes_or_an_open_file_alike(tmp_path: Path) -> None:
    """One reader for files and uploads: the same picture from a path, its bytes and an open file; errors name
    what was given (`name` for bytes, e.g. the page's 'the image'), never a temporary path."""
    from scn.inference.images import ImageError

    path = tmp_path / "a.png"
    Image.fromarray(photo_crop()[:40, :50]).save(path)
    by_path = read_picture(path)
    with open(path, "rb") as f:
        by_file = read_picture(f)
    by_bytes = read_picture(path.read_bytes(), name="the upload")
    assert np.array_equal(by_path.color, by_bytes.color) and np.array_equal(by_path.color, by_file.color)
    with pytest.raises(ImageError, match="^the upload: not an image file Pillow can read$"):
        read_picture(b"not an image", name="the upload")
    with pytest.raises(ImageError, match="^the image: empty file"):
        read_picture(b"")
