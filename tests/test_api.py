"""The Python API `scn.restore`, and colour pictures taking the shipped colour models."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import scn
import scn.zoo as zoo
from scn.cli.demo_cmd import demo_photo
from scn.cli.main import main
from scn.data.monochrome import monochrome
from scn.inference.images import Picture
from scn.metrics import psnr
from scn.tasks import DENOISE
from conftest import cli, photo_crop


# -- the Python API ------------------------------------------------------------------------------------------------

def test_api_returns_the_kind_it_was_given(sr_ckpt: Path, tmp_path: Path) -> None:
    rgb = photo_crop()[:40, :32]
    out = scn.restore(rgb, "sr", scale=2, model=sr_ckpt)
    assert out.dtype == np.uint8 and out.shape == (80, 64, 3)
    gray16 = (rgb[..., 0].astype(np.uint16) * 257)
    out16 = scn.restore(gray16, "sr", model=sr_ckpt)
    assert out16.dtype == np.uint16 and out16.shape == (80, 64)
    outf = scn.restore(rgb.astype(np.float32) / 255, "sr", model=sr_ckpt)
    assert outf.dtype == np.float32 and np.abs(outf * 255 - out).max() <= 1
    pil = scn.restore(Image.fromarray(rgb), "sr", model=sr_ckpt)
    assert isinstance(pil, Image.Image) and pil.size == (64, 80)
    Image.fromarray(rgb).save(tmp_path / "in.png")
    written = scn.restore(tmp_path / "in.png", "sr", model=sr_ckpt, output=tmp_path / "out.png")
    assert Image.open(written).size == (64, 80)
    with pytest.raises(scn.ScnError, match="sigma does not apply to task 'sr'"):
        scn.restore(rgb, "sr", sigma=25)
    with pytest.raises(scn.ScnError, match="not x3"):
        scn.restore(rgb, "sr", scale=3, model=sr_ckpt)


def test_gray_model_on_colour_keeps_chroma(denoise_ckpt: Path) -> None:
    rgb = photo_crop()[:48, :48]
    out = scn.restore(rgb, "denoise", sigma=25, model=denoise_ckpt)
    assert out.shape == rgb.shape
    from scn.data import rgb_to_ycbcr

    cin, cout = rgb_to_ycbcr(rgb)[..., 1:], rgb_to_ycbcr(out)[..., 1:]
    assert np.abs(cin - cout).mean() < 2.0  # Cb/Cr kept (up to rounding and clipping)



# -- colour pictures and the shipped colour models ---------------------------------------------------------------
@pytest.fixture
def colour_zoo() -> zoo.Pretrained:
    """The shipped colour denoiser for an unknown level (told the level, it estimates it from the picture)."""
    return zoo.find_pretrained("scn", DENOISE, None, channels=3)


def test_colour_pictures_take_a_shipped_colour_model_unless_luma_only(colour_zoo: zoo.Pretrained,
                                                                      tmp_path: Path) -> None:
    assert colour_zoo.channels == 3 and colour_zoo.told_level
    assert scn.resolve("scn", "denoise", 30, channels=3).label == colour_zoo.name == "scn_denoise_rgb.sigma_8bit"
    assert colour_zoo.clipped_noise  # pictures hold clipped noise; the field's unclipped tables take the other:
    assert scn.resolve("scn", "denoise", 30, channels=3, noise_clipped=False).label == "scn_denoise_rgb.sigma"
    assert scn.resolve("scn", "denoise", None, channels=3).label == colour_zoo.name
    assert scn.resolve("scn", "denoise", 25, channels=3).label == colour_zoo.name  # the sigma-25 one is named-only
    assert scn.resolve("scn_denoise_rgb.s25", "denoise", 25, channels=3).label == "scn_denoise_rgb.s25"
    assert scn.resolve("scn", "denoise", 25).label == "scn_small_denoise.s25"  # gray pictures: the gray model
    photo = demo_photo()[100:164, 120:184]
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(photo).save(src / "colour.png")
    Image.fromarray(photo[..., 1]).save(src / "gray.png")
    for flag, out in (([], "auto"), (["--luma-only"], "luma")):
        assert main(["restore", str(src), "-o", str(tmp_path / out), "--task", "denoise", "--no-progress", *flag]) == 0
    auto = {n: np.array(Image.open(tmp_path / "auto" / n)) for n in ("colour.png", "gray.png")}
    luma = {n: np.array(Image.open(tmp_path / "luma" / n)) for n in ("colour.png", "gray.png")}
    colour_net = scn.load_model(zoo.shipped_path(colour_zoo))
    colour_model = scn.Restorer(colour_net).restore(Picture(photo[..., :3] / np.float32(255)))
    assert np.array_equal(auto["colour.png"], np.round(colour_model.color * 255).astype(np.uint8))
    assert not np.array_equal(auto["colour.png"], luma["colour.png"])
    assert np.array_equal(auto["gray.png"], luma["gray.png"])  # gray pictures: the gray model either way
    api = scn.restore(photo, "denoise", luma_only=True)
    assert np.array_equal(api, luma["colour.png"])
    assert main(["restore", str(src / "colour.png"), "-o", str(tmp_path / "x.png"), "--task", "sr",
                 "--luma-only"]) == 2
    assert main(["restore", str(src / "colour.png"), "-o", str(tmp_path / "x.png"), "--task", "denoise",
                 "--model", "scn_small_denoise.s25", "--luma-only"]) == 2
    assert not (tmp_path / "x.png").exists()


def test_gray_noise_takes_a_gray_denoiser_however_the_picture_is_stored(tmp_path: Path) -> None:
    """Noise alike in R, G and B (a gray picture, one stored as RGB with R = G = B, or a toned one) is what gray
    denoisers remove and colour ones, trained on noise independent in each channel, leave in: such pictures take the
    gray default, restored on their one channel (exactly, for R = G = B) and toned back; a colour denoiser named for
    them fails in one line, and `scn restore` goes on with the rest."""
    clean = photo_crop()[:64, :64, 1]
    noise = np.random.default_rng(0).normal(0, 25, clean.shape)
    noisy = np.clip(np.round(clean + noise), 0, 255).astype(np.uint8)
    as_rgb = np.repeat(noisy[..., None], 3, axis=2)
    gray_out = scn.restore(noisy, "denoise", sigma=25)
    assert np.array_equal(gray_out, scn.restore(noisy, "denoise", sigma=25, model="scn_small_denoise.s25"))
    assert np.array_equal(scn.restore(as_rgb, "denoise", sigma=25), np.repeat(gray_out[..., None], 3, axis=2))
    assert psnr(gray_out, clean) > psnr(noisy, clean) + 5
    sepia = np.array([1.0, 0.85, 0.65])  # a toned black-and-white photo: the same noise, scaled, in each channel
    toned_clean = np.round(clean[..., None] * sepia)
    toned = np.clip(np.round((clean + noise)[..., None] * sepia), 0, 255).astype(np.uint8)
    toned_out = scn.restore(toned, "denoise")
    assert psnr(toned_out, toned_clean) > psnr(toned, toned_clean) + 5
    line = monochrome(toned_out / np.float32(255))
    assert line is not None and np.allclose(line.slopes / line.slopes[0], sepia, atol=0.01)  # toned as it came
    for picture in (noisy, as_rgb, toned):
        with pytest.raises(scn.ScnError, match="colour denoiser") as err:
            scn.restore(picture, "denoise", sigma=25, model="scn_denoise_rgb.sigma_8bit")
        assert "\n" not in str(err.value)
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(as_rgb).save(src / "a_gray_as_rgb.png")
    Image.fromarray(photo_crop()[:64, :64]).save(src / "b_colour.png")
    run = cli("restore", str(src), "-o", str(tmp_path / "out"), "--task", "denoise", "--sigma", "25",
              "--model", "scn_denoise_rgb.sigma_8bit", "--no-progress")
    assert run.returncode != 0 and "a_gray_as_rgb.png" in run.stderr and "colour denoiser" in run.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["b_colour.png"]


def test_colour_jpeg_takes_a_colour_deblocker_that_repairs_chroma() -> None:
    """A colour JPEG gets the shipped colour deblockers (16 blocks: the q10 one at quality 10, the blind one at any
    other quality, known or not; gray pictures keep the gray ones, the q10 one at quality 10), which repair the
    chroma the luma route leaves: RGB PSNR well above the luma route's on a q10 crop of the demo photo."""
    import io

    assert scn.resolve("scn", "jpeg", 10, channels=3).label == "scn_jpeg_rgb.q10"
    assert scn.resolve("scn", "jpeg", 11, channels=3).label == "scn_jpeg_rgb.blind"
    assert scn.resolve("scn", "jpeg", 30, channels=3).label == "scn_jpeg_rgb.blind"
    assert scn.resolve("scn", "jpeg", None, channels=3).label == "scn_jpeg_rgb.blind"
    assert scn.resolve("scn", "jpeg", 10).label == "scn_small_jpeg.q10"
    photo = demo_photo()[96:224, 160:288]
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, "JPEG", quality=10)
    blocky = np.array(Image.open(buffer).convert("RGB"))
    scores = {how: psnr(scn.restore(blocky, "jpeg", quality=10, luma_only=how == "luma"), photo)
              for how in ("colour", "luma")}
    assert scores["colour"] > scores["luma"] + 0.3 > psnr(blocky, photo) + 0.3, scores


def test_the_task_and_setting_follow_the_model_and_outputs_are_checked_first(tmp_path: Path, capsys) -> None:
    Image.fromarray(photo_crop()[:20, :24]).save(tmp_path / "in.png")
    src = str(tmp_path / "in.png")
    assert main(["restore", src, "-o", str(tmp_path / "o.png")]) == 2  # neither --task nor --model: no guessing
    assert "say what to do: --task sr | denoise | jpeg" in capsys.readouterr().err
    assert main(["restore", src, "-o", str(tmp_path / "x4.png"), "--model", "scn_small_x4.bicubic",
                 "--no-progress"]) == 0
    assert Image.open(tmp_path / "x4.png").size == (96, 80)
    assert "--scale 4 (what scn_small_x4.bicubic was made for)" in capsys.readouterr().err
    assert main(["restore", src, "-o", str(tmp_path / "d.png"), "--model", "scn_small_denoise.s25",
                 "--no-progress"]) == 0
    assert "--sigma 25 (what scn_small_denoise.s25 was made for)" in capsys.readouterr().err
    (tmp_path / "file").write_text("")
    started = time.perf_counter()
    assert main(["restore", src, "-o", str(tmp_path / "file" / "o.png"), "--task", "sr", "--no-progress"]) == 2
    assert "cannot write results there" in capsys.readouterr().err and time.perf_counter() - started < 5
    assert main(["restore", src, "-o", str(tmp_path / "o.png"), "--model", "scn"]) == 2
    assert "or give --task" in capsys.readouterr().err


def test_a_refused_picture_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "text.png").write_text("not a picture")
    proc = cli("restore", str(tmp_path / "text.png"), "-o", str(tmp_path / "o.png"), "--task", "sr")
    assert proc.returncode == 1 and proc.stderr.strip().splitlines() == [
        f"scn restore: {tmp_path / 'text.png'}: not an image file Pillow can read"]


def test_a_colour_photo_denoised_with_no_sigma_gets_it_estimated_and_any_sigma_in_range_is_taken(
        caplog: pytest.LogCaptureFixture) -> None:
    """scn.restore on a noisy colour photo: without sigma the model told the level estimates it and logs it; any
    sigma in range (37, off the field's list) runs it told that level, and a stronger one removes more."""
    clean = demo_photo()[100:164, 120:184].astype(np.float64)
    noisy = np.clip(clean + np.random.RandomState(2).normal(0, 25, clean.shape), 0, 255).astype(np.uint8)
    with caplog.at_level("INFO", logger="scn"):
        auto = scn.restore(noisy, "denoise")
    (message,) = [r.getMessage() for r in caplog.records if "estimated from the picture" in r.getMessage()]
    level = float(message.split("noise level sigma ")[1].split(",")[0])
    assert 15 < level < 35
    told = scn.restore(noisy, "denoise", sigma=level)
    assert np.abs(auto.astype(int) - told.astype(int)).max() <= 1  # the estimate is what it was told
    weak, strong = scn.restore(noisy, "denoise", sigma=5), scn.restore(noisy, "denoise", sigma=37)
    assert np.abs(strong.astype(float) - noisy).mean() > np.abs(weak.astype(float) - noisy).mean()
    assert psnr(auto.astype(float), clean) > psnr(noisy.astype(float), clean) + 5
