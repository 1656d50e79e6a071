"""Equivalences between code paths: SCN with fusion off is WDSR; un-shared with equal bodies is shared SCN;
analytic MAC counts equal hook-measured ones."""

import pytest
import torch

import scn
from scn.complexity import conv_macs, count_conv_macs
from conftest import TINY


def wdsr_state_from_scn(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k.replace(".conv.spatial.", ".body."): v for k, v in state.items()}


@pytest.mark.parametrize("levels,size", [(1, (17, 23)), (3, (20, 24)), (4, (16, 32))])
@pytest.mark.parametrize("name", ["scn_x3", "scn_denoise"])
def test_scn_without_fusion_equals_wdsr(name: str, levels: int, size: tuple[int, int]) -> None:
    model = scn.create_model(name, scale_kernel=0, num_scales=levels, **TINY).eval()
    wdsr = scn.build(model.config.as_arch("wdsr", num_scales=1)).eval()
    with pytest.raises(scn.ConfigError, match="scale_kernel=0 applies to arch 'scn' only, not 'wdsr'"):
        model.config.replace(arch="wdsr", num_scales=1)  # SCN's own field left set: as_arch resets it
    wdsr.load_state_dict(wdsr_state_from_scn(model.state_dict()), strict=True)
    x = torch.rand(1, model.config.channels, *size)
    with torch.no_grad():
        model.operator = "packed"
        packed = model(x)
        model.operator = "literal"
        assert torch.equal(model(x), wdsr(x))  # the literal operator: bit for bit
        torch.testing.assert_close(packed, wdsr(x), rtol=0, atol=1e-5)


def test_fusion_on_differs_from_wdsr() -> None:
    model = scn.create_model("scn_x2", num_scales=2, **TINY).eval()
    for p in model.parameters():  # random weights so the 1x1 fusion convs matter
        torch.nn.init.normal_(p, std=0.1)
    wdsr = scn.build(model.config.as_arch("wdsr", num_scales=1)).eval()
    state = {k: v for k, v in model.state_dict().items() if ".taps." not in k}
    wdsr.load_state_dict(wdsr_state_from_scn(state))
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        assert not torch.allclose(model(x), wdsr(x))


def test_unshared_with_identical_bodies_equals_shared() -> None:
    shared = scn.create_model("scn_x2", num_scales=3, **TINY).eval()
    unshared = scn.build(shared.config.replace(arch="scn_unshared")).eval()
    state = {}
    for key, value in shared.state_dict().items():
        if ".conv.spatial." in key:
            for level in range(3):
                state[key.replace(".conv.spatial.", f".conv.spatial.{level}.")] = value
        else:
            state[key] = value
    unshared.load_state_dict(state, strict=True)
    x = torch.rand(1, 3, 20, 20)
    with torch.no_grad():
        shared.operator = "packed"
        torch.testing.assert_close(unshared(x), shared(x), rtol=0, atol=1e-5)
        shared.operator = "literal"
        torch.testing.assert_close(unshared(x), shared(x), rtol=0, atol=0)


@pytest.mark.parametrize("name,overrides", [
    ("scn_x2", {}), ("wdsr_x4", {}), ("unet_x2", {}), ("pspnet_x2", {}), ("scn_unshared_x2", {}),
    ("scn_x2", {"resampler": "conv", "scale_kernel": 2, "center_pointwise": True, "num_scales": 3}),
    ("scn_denoise", {"ratio": 2 / 3, "num_scales": 5}),
])
def test_analytic_macs_equal_measured(name: str, overrides: dict) -> None:
    model = scn.create_model(name, **{**TINY, "num_blocks": 4, **overrides}).eval()
    model.operator = "literal"  # the packed operator also convolves its canvases' gaps
    x = torch.rand(1, model.config.channels, 21, 18)
    assert conv_macs(model.config, 21, 18) == count_conv_macs(model, x)


@pytest.mark.parametrize("name,overrides", [("scn_x2", {"resampler": "conv", "num_scales": 3}), ("wdsr_x3", {}),
                                            ("scn_denoise", {})])
def test_folded_weight_norm_is_the_same_function(name: str, overrides: dict) -> None:
    """Inference and export fold weight norm into plain conv weights (no norm per forward): same outputs."""
    import copy

    from scn.layers.conv import fold_weight_norm

    model = scn.create_model(name, **{**TINY, **overrides}).eval()
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.2)
    folded = fold_weight_norm(copy.deepcopy(model))
    assert not any(n.endswith("weight_g") for n, _ in folded.named_parameters())
    assert scn.count_params(folded) < scn.count_params(model)  # g is gone, v became the weight
    x = torch.rand(2, model.config.channels, 20, 20)
    with torch.no_grad():
        torch.testing.assert_close(folded(x), model(x), rtol=0, atol=1e-5)


def test_allocator_setting_applies_once() -> None:
    import sys

    first = scn.keep_freed_memory()
    assert scn.keep_freed_memory() is first
    assert first or not sys.platform.startswith("linux")
