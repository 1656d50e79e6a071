"""`scn restore` on the command line: options checked before any work, a JPEG's quality and the noise level read from
the picture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from scn.cli.main import main
from conftest import photo_crop


def test_restore_options_are_checked_before_any_work(sr_ckpt: Path, tmp_path: Path, capsys) -> None:
    Image.fromarray(photo_crop()[:20, :24]).save(tmp_path / "a.png")
    (tmp_path / "set" / "sub").mkdir(parents=True)
    Image.fromarray(photo_crop()[:20, :24]).save(tmp_path / "set" / "a.png")
    Image.fromarray(photo_crop()[20:40, :24]).save(tmp_path / "set" / "sub" / "b.png")
    base = ["restore", "--model", str(sr_ckpt), "--no-progress"]
    for extra, match in [(["--max-memory", "-1"], "--max-memory -1 is not allowed"),
                         (["--max-memory", "nan"], "--max-memory nan is not allowed"),
                         (["--tile", "16"], "--tile 16 is not allowed"), (["--tile", "-5"], "--tile -5 is not allowed"),
                         (["--tile-overlap", "-1"], "--tile-overlap -1 is not allowed"),
                         (["--jpeg-quality", "0"], "--jpeg-quality 0"),
                         (["--overwrite", "--skip-existing"], "contradict")]:
        assert main([*base, str(tmp_path / "a.png"), "-o", str(tmp_path / "o.png"), *extra]) == 2
        assert match in capsys.readouterr().err
    assert main([*base, str(tmp_path / "a.png"), "-o", str(tmp_path / "out" / "x.gif")]) == 2
    assert "unknown output format '.gif'" in capsys.readouterr().err and not (tmp_path / "out").exists()
    assert main([*base, str(tmp_path / "set"), "-o", str(tmp_path / "flat")]) == 0
    assert "1 subfolder(s) not searched" in capsys.readouterr().err
    assert main([*base, str(tmp_path / "set"), "-o", str(tmp_path / "deep"), "--recursive"]) == 0
    assert (tmp_path / "deep" / "sub" / "b.png").is_file()
    assert main([*base, str(tmp_path / "set"), "-o", str(tmp_path / "deep"), "--recursive"]) == 1  # exists
    capsys.readouterr()
    assert main([*base, str(tmp_path / "set"), "-o", str(tmp_path / "deep"), "--recursive", "--skip-existing"]) == 0
    assert "skipping 2 input(s) whose output exists" in capsys.readouterr().err



# -- a JPEG file's quality -----------------------------------------------------------------------------------------

def test_the_quality_a_jpeg_was_written_with_is_read_from_its_tables(tmp_path: Path) -> None:
    """Pillow's (libjpeg's) quality 10-95, colour and gray, read back exactly; other files give None; a table
    of another encoder gives the closest libjpeg quality, marked inexact."""
    from scn.data.jpeg_quality import jpeg_quality, libjpeg_tables, quality_from_table

    photo = Image.fromarray(photo_crop()[:64, :64])
    for image in (photo, photo.convert("L")):
        for quality in range(10, 96):
            path = tmp_path / f"{image.mode}_{quality}.jpg"
            image.save(path, quality=quality)
            found = jpeg_quality(path)
            assert found is not None and (found.quality, found.exact) == (quality, True), (image.mode, quality)
    photo.save(tmp_path / "p.png")
    assert jpeg_quality(tmp_path / "p.png") is None and jpeg_quality(b"not an image") is None
    camera = libjpeg_tables()[74].copy()  # quality 75's table, one entry moved: not libjpeg's any more
    camera[5] += 1
    assert quality_from_table(camera) == type(quality_from_table(camera))(75, False)


def test_restore_reads_a_jpegs_quality_and_says_which_model(tmp_path: Path, capsys) -> None:
    """`--task jpeg` with no --quality: a gray q10 file gets the gray q10 model (as --quality 10 does), a colour
    one the colour q10 model, a q95 one (past every model's range) the blind one; each says so in
    one line."""
    folder = tmp_path / "in"
    folder.mkdir()
    photo = Image.fromarray(photo_crop()[:64, :80])
    photo.convert("L").save(folder / "a.jpg", quality=10)
    photo.save(folder / "b.jpg", quality=95)
    photo.save(folder / "c.jpg", quality=10)
    assert main(["restore", str(folder), "-o", str(tmp_path / "out"), "--task", "jpeg", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "a.jpg: JPEG quality 10, read from its quantization tables; restoring with scn_small_jpeg.q10" in err
    assert "b.jpg: JPEG quality 95, read from its quantization tables; restoring with scn_jpeg_rgb.blind" in err
    assert "c.jpg: JPEG quality 10, read from its quantization tables; restoring with scn_jpeg_rgb.q10" in err
    assert main(["restore", str(folder / "a.jpg"), "-o", str(tmp_path / "q10.png"), "--task", "jpeg",
                 "--quality", "10"]) == 0
    assert main(["restore", str(folder / "a.jpg"), "-o", str(tmp_path / "auto.png"), "--task", "jpeg"]) == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "auto.png")), np.asarray(Image.open(tmp_path / "q10.png")))


def test_the_noise_level_estimator_finds_white_gaussian_noise() -> None:
    """Chen et al. 2015 on a real photo crop with sigma 5 / 20 / 45 (unclipped, every RGB value): within 1.0;
    gray and uint8 inputs too; a clean picture reads low; a picture smaller than a patch gives 0."""
    from scn.data.noise_level import estimate_sigma

    clean = photo_crop().astype(np.float64) / 255
    for sigma in (5, 20, 45):
        noisy = clean + np.random.RandomState(sigma).normal(0, sigma / 255, clean.shape)
        assert abs(estimate_sigma(noisy) - sigma) < 1.0, sigma
        assert abs(estimate_sigma(noisy[..., 1]) - sigma) < 1.5, sigma
    noisy8 = np.clip(np.round((clean + np.random.RandomState(0).normal(0, 10 / 255, clean.shape)) * 255), 0, 255)
    assert abs(estimate_sigma(noisy8.astype(np.uint8)) - 10) < 1.0
    assert estimate_sigma(clean) < 2.0 and estimate_sigma(clean[:5, :5]) == 0.0


def test_restore_estimates_a_colour_photos_noise_level_and_takes_any_sigma_in_range(tmp_path: Path,
                                                                                   capsys) -> None:
    """`scn restore --task denoise` on a colour photo without --sigma: the shipped colour denoiser told the level,
    which it estimates and says; --sigma 37 (off the field's list) runs it told 37, and removes more than 10."""
    clean = photo_crop().astype(np.float64)
    noisy = np.clip(clean + np.random.RandomState(3).normal(0, 20, clean.shape), 0, 255).astype(np.uint8)
    Image.fromarray(noisy).save(tmp_path / "noisy.png")
    outs = {}
    for name, flags in [("auto", []), ("s10", ["--sigma", "10"]), ("s37", ["--sigma", "37"])]:
        assert main(["restore", str(tmp_path / "noisy.png"), "-o", str(tmp_path / f"{name}.png"), "--task",
                     "denoise", "--no-progress", *flags]) == 0
        outs[name] = np.asarray(Image.open(tmp_path / f"{name}.png")).astype(np.float64)
        err = capsys.readouterr().err
        assert ("estimated from the picture" in err) == (name == "auto"), err
    change = {k: np.abs(v - noisy).mean() for k, v in outs.items()}
    assert change["s10"] < change["auto"] < change["s37"]
