"""Tiled inference: tiles equal a whole-image run where the model allows it, warn where not, switch on by themselves;
the compiled restorer equals eager."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import scn
from scn.inference.engine import Restorer, TilingWarning
from scn.inference.images import Picture
from scn.inference.tiling import Footprint
from scn.metrics import psnr
from conftest import TINY, cli, photo_crop


# -- tiling --------------------------------------------------------------------------------------------------------

def test_tiled_equals_untiled_on_a_real_photo(sr_ckpt: Path) -> None:
    """The 300x260 crop at x2 with 96-pixel tiles: the pyramid of an aligned tile samples the image in the same
    phase as the whole image's (align_corners=False, the shipped models' setting)."""
    model = scn.load_model(sr_ckpt)
    pic = Picture(photo_crop().astype(np.float32) / 255)
    full = Restorer(model, tile=0).restore(pic).color
    tiled = Restorer(model, tile=96).restore(pic).color
    a, b = np.floor(full * 255 + 0.5), np.floor(tiled * 255 + 0.5)
    assert full.shape == (600, 520, 3)
    assert psnr(a, b) > 50 and np.abs(a - b).max() <= 2


def test_a_noise_map_denoiser_is_told_the_sigma_tiles_exactly_or_estimates_it() -> None:
    """A denoiser with a noise-level input gets the sigma asked for as its map: another sigma, another result;
    tiled matches whole as for the other models; through `scn.restore` and the benchmark's method the same;
    without a sigma, the picture's own level, estimated."""
    from scn.evaluation.methods import NetworkMethod

    model = scn.create_model("scn_small_denoise_rgb", noise_map=True, align_corners=False, **TINY).eval()
    with torch.no_grad():
        model.head.weight_v[:, 3:].normal_(0, 1.0)  # the map matters
    pic = Picture(photo_crop()[:120, :100].astype(np.float32) / 255)
    at25 = Restorer(model, tile=0, noise_level=25).restore(pic).color
    assert np.abs(at25 - Restorer(model, tile=0, noise_level=50).restore(pic).color).max() > 1e-3
    tiled = np.floor(Restorer(model, tile=48, noise_level=25).restore(pic).color * 255 + 0.5)
    whole = np.floor(at25 * 255 + 0.5)
    assert psnr(tiled, whole) > 50 and np.abs(tiled - whole).max() <= 2  # as tiles do without the map
    np.testing.assert_allclose(scn.restore(pic.color, "denoise", sigma=25, model=model), at25, atol=1e-6)
    method = NetworkMethod("m", ("denoise",), lambda s: model)
    np.testing.assert_allclose(method.restore(pic.color, "denoise", 25), at25, atol=1e-6)
    noisy = pic.color + np.random.RandomState(0).normal(0, 30 / 255, pic.color.shape)  # unclipped, as tables
    estimating = Restorer(model, tile=0)  # no sigma: estimated from the picture (Chen et al. 2015)
    out = estimating.restore(Picture(noisy.astype(np.float32))).color
    assert estimating.estimated_level is not None and abs(estimating.estimated_level - 30) < 3
    told = Restorer(model, tile=0, noise_level=estimating.estimated_level).restore(Picture(noisy.astype(np.float32)))
    np.testing.assert_allclose(out, told.color, atol=1e-6)


def test_a_model_that_is_not_tile_exact_is_restored_whole_or_warns(sr_ckpt: Path) -> None:
    """align_corners=True (the registry's default): whole when it fits the budget, so equal to the untiled run;
    forced tiles give one warning with how far they move this image; a tile-exact model gives none."""
    fitted = scn.load_model(sr_ckpt)
    model = scn.build(fitted.config.replace(align_corners=True))
    model.load_state_dict(fitted.state_dict())
    pic = Picture(photo_crop().astype(np.float32) / 255)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning while nothing is tiled
        assert np.array_equal(Restorer(model).restore(pic).color, Restorer(model, tile=0).restore(pic).color)
    with pytest.warns(TilingWarning, match=r"not tile-exact \(align_corners=True.*about \d+\.\d dB PSNR") as caught:
        restorer = Restorer(model, tile=96)
        restorer.restore(pic)
        restorer.restore(pic)
    assert len(caught) == 1  # once per Restorer
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Restorer(fitted, tile=96).restore(pic)  # align_corners=False: tile-exact, no warning


def test_the_tiling_warning_is_one_line_in_the_cli(sr_ckpt: Path, tmp_path: Path) -> None:
    fitted = scn.load_model(sr_ckpt)
    model = scn.build(fitted.config.replace(align_corners=True))
    model.load_state_dict(fitted.state_dict())
    path = scn.save_model(model, tmp_path / "ac.safetensors")
    Image.fromarray(photo_crop()[:120, :100]).save(tmp_path / "in.png")
    proc = cli("restore", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"), "--model", str(path), "--tile",
               "48", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scn restore: warning: this model is not tile-exact")


def test_tiling_switches_on_by_itself(sr_ckpt: Path) -> None:
    model = scn.load_model(sr_ckpt)
    x = torch.rand(1, 3, 120, 100)
    auto = Restorer(model, max_memory=2e6)  # far below what 120x100 needs
    assert scn.inference.tiling.auto_tile(Footprint.of(model.config), 120, 100, 2e6) > 0
    explicit = Restorer(model, tile=scn.inference.tiling.auto_tile(Footprint.of(model.config), 120, 100, 2e6))
    assert torch.equal(auto.run(x), explicit.run(x))
    assert scn.inference.tiling.auto_tile(Footprint.of(model.config), 120, 100, 1e12) == 0



def test_compiled_restorer_equals_eager(sr_ckpt: Path) -> None:
    """`--compile` (inductor with freezing, set per call: no global inductor setting is left changed)."""
    model = scn.load_model(sr_ckpt)
    x = torch.from_numpy(photo_crop()[:24, :20].astype(np.float32) / 255).permute(2, 0, 1)[None]
    eager, compiled = Restorer(model).run(x), Restorer(model, compile=True).run(x)
    assert torch.allclose(eager, compiled, atol=1e-4)
