"""Output shapes for every task, scale, channel count, odd sizes, pyramid depth and ratio."""

import pytest
import torch

import scn
from conftest import TINY


@pytest.mark.parametrize("name", ["wdsr_x2", "scn_x2", "scn_x3", "scn_x4", "scn_denoise", "scn_jpeg",
                                  "unet_x2", "pspnet_x2", "scn_unshared_x2"])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [(17, 23), (1, 1), (8, 5)])
def test_shapes_every_model(name: str, channels: int, size: tuple[int, int]) -> None:
    model = scn.create_model(name, channels=channels, **{**TINY, "num_blocks": 4}).eval()
    s = model.config.scale
    with torch.no_grad():
        y = model(torch.rand(2, channels, *size))
    assert y.shape == (2, channels, size[0] * s, size[1] * s)
    assert torch.isfinite(y).all()


@pytest.mark.parametrize("ratio", [1 / 2, 2 / 3, 3 / 4])
@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("size", [(17, 23), (1, 1)])
def test_pyramid_depths_and_ratios(ratio: float, depth: int, size: tuple[int, int]) -> None:
    model = scn.create_model("scn_x2", num_scales=depth, ratio=ratio, **TINY).eval()
    with torch.no_grad():
        y = model(torch.rand(1, 3, *size))
    assert y.shape == (1, 3, 2 * size[0], 2 * size[1])


@pytest.mark.parametrize("resampler", ["avgpool", "conv"])
@pytest.mark.parametrize("ratio", [1 / 2, 1 / 3])
def test_integer_resamplers_any_size(resampler: str, ratio: float) -> None:
    model = scn.create_model("scn_x3", resampler=resampler, ratio=ratio, num_scales=3, scale_kernel=2,
                             **TINY).eval()
    with torch.no_grad():
        y = model(torch.rand(1, 3, 17, 23))
    assert y.shape == (1, 3, 51, 69)


def test_evaluation_at_other_depths() -> None:
    model = scn.create_model("scn_x2", num_scales=3, **TINY).eval()
    x = torch.rand(1, 3, 24, 24)
    with torch.no_grad():
        outs = {n: model(x, num_scales=n) for n in range(1, 7)}
        default = model(x)
    assert torch.equal(default, outs[3])
    assert all(o.shape == (1, 3, 48, 48) for o in outs.values())
    assert not torch.allclose(outs[2], outs[3])  # the depth really changes the computation


def test_unshared_and_pspnet_evaluate_at_fewer_levels_only() -> None:
    x = torch.rand(1, 3, 16, 16)
    for name in ("scn_unshared_x2", "pspnet_x2"):
        model = scn.create_model(name, **TINY).eval()
        built = model.config.num_scales
        with torch.no_grad():
            assert model(x, num_scales=built - 1).shape == (1, 3, 32, 32)
        with pytest.raises(scn.ConfigError, match="can be evaluated with"):
            model(x, num_scales=built + 1)


def test_wrong_channel_count_is_a_clear_error() -> None:
    model = scn.create_model("scn_denoise", **TINY)
    with pytest.raises(ValueError, match=r"expected an \(N, 1, H, W\) tensor"):
        model(torch.rand(1, 3, 8, 8))


def test_evaluation_at_another_ratio() -> None:
    model = scn.create_model("scn_x2", num_scales=3, **TINY).eval()
    x = torch.rand(1, 3, 19, 24)
    with torch.no_grad():
        assert torch.equal(model(x, ratio=0.5), model(x))
        other = model(x, ratio=2 / 3)
    assert other.shape == (1, 3, 38, 48) and not torch.allclose(other, model(x))
    fixed = scn.create_model("scn_x2", resampler="avgpool", **TINY)
    with pytest.raises(scn.ConfigError, match="only bilinear models"):
        fixed(x, ratio=2 / 3)
