"""The packed operator (pyramid in canvases, gathers for the fusion) gives the literal operator's numbers.

Outputs and every parameter's gradient agree within 1e-5 (fp32) for every configuration the packed operator
serves, in both layouts; configurations it does not serve fall back to the literal operator.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import scn
from scn.layers.linear_maps import SparseMap, resample_matrix
from scn.archs.scn import fusion_spec
from scn.layers.packed import CanvasLayout, packed_matrices

TOL = 1e-5


def randomised(name: str, **overrides: object) -> scn.RestorationNet:
    model = scn.create_model(name, **{"num_blocks": 3, "num_features": 8, "width": 2, **overrides})
    with torch.no_grad():  # random (not initial) weights, so every tap and bias matters
        for p in model.parameters():
            p.normal_(0, 0.2)
    return model


def output_and_grads(model: scn.RestorationNet, x: torch.Tensor, operator: str, layout: str | None = None,
                     **forward: object) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    model.operator, model.layout = operator, layout
    model.zero_grad(set_to_none=True)
    y = model(x, **forward)
    weights = torch.linspace(-1, 1, y.numel(), device=y.device).view_as(y)  # every output pixel pulls its own way
    (y * weights).mean().backward()
    grads = {n: p.grad.clone() if p.grad is not None else torch.zeros_like(p) for n, p in model.named_parameters()}
    return y.detach(), grads


def assert_same(model: scn.RestorationNet, x: torch.Tensor, layout: str | None, tol: float = TOL,
                **forward: object) -> None:
    y_lit, g_lit = output_and_grads(model, x, "literal", **forward)
    y_pack, g_pack = output_and_grads(model, x, "packed", layout, **forward)
    def close(a: torch.Tensor, b: torch.Tensor) -> bool:  # within tol, scaled by the reference's size when > 1
        return (a - b).abs().max().item() <= tol * max(1.0, b.abs().max().item())
    assert close(y_pack, y_lit)
    for name, g in g_lit.items():
        assert close(g_pack[name], g), name
    assert any(g.abs().max() > 1e-3 for g in g_lit.values())


FUSIONS = [
    {"resampler": "bilinear", "align_corners": True},
    {"resampler": "bilinear", "align_corners": False},
    {"resampler": "bilinear", "ratio": 2 / 3, "num_scales": 3},
    {"resampler": "bilinear", "ratio": 3 / 4, "num_scales": 3, "align_corners": False},
    {"resampler": "avgpool"},
    {"resampler": "avgpool", "ratio": 1 / 3, "num_scales": 3},
]


@pytest.mark.parametrize("fusion", FUSIONS, ids=lambda f: "-".join(f"{k}={v}" for k, v in f.items()))
@pytest.mark.parametrize("k,ends,center", [(1, "reference", False), (2, "zero", True), (0, "reference", False),
                                           (1, "zero", False), (2, "reference", True)])
@pytest.mark.parametrize("layout", ["one", "split"])
def test_packed_equals_literal(fusion: dict, k: int, ends: str, center: bool, layout: str) -> None:
    model = randomised("scn_x2", scale_kernel=k, ends=ends, center_pointwise=center, **fusion)
    assert_same(model, torch.rand(2, 3, 19, 26), layout)


@pytest.mark.parametrize("name,size", [("scn_x3", (13, 21)), ("scn_x4", (9, 9)), ("scn_denoise", (33, 17)),
                                       ("scn_jpeg", (24, 40))])
def test_packed_equals_literal_every_task(name: str, size: tuple[int, int]) -> None:
    model = randomised(name, align_corners=False)
    assert_same(model, torch.rand(3, model.config.channels, *size), "one")


@pytest.mark.parametrize("forward", [{"num_scales": 1}, {"num_scales": 2}, {"num_scales": 6}, {"ratio": 2 / 3},
                                     {"ratio": 0.75, "num_scales": 5}])
def test_packed_equals_literal_at_other_depths_and_ratios(forward: dict) -> None:
    """The paper's Figs. 7 and 8: a model evaluated with another pyramid depth or level ratio."""
    model = randomised("scn_x2")
    assert_same(model, torch.rand(1, 3, 40, 36), "one", **forward)
    assert_same(model, torch.rand(1, 3, 40, 36), "split", **forward)


def test_packed_is_used_by_default_for_training_off_the_cpu_only() -> None:
    model = scn.create_model("scn_x2", num_blocks=1)
    assert model.operator == "auto" and model.packable
    assert not model.uses_packed(torch.device("cpu"))
    assert model.uses_packed(torch.device("cuda"))
    with torch.no_grad():  # inference: the literal operator measured faster on CUDA too
        assert not model.uses_packed(torch.device("cuda"))
    model.operator = "packed"
    assert model.uses_packed(torch.device("cpu"))
    model.operator = "fast"
    with pytest.raises(ValueError, match="operator"):
        model.uses_packed(torch.device("cpu"))


@pytest.mark.parametrize("name,overrides", [("scn_x2", {"resampler": "conv"}), ("scn_unshared_x2", {})])
def test_unserved_configurations_fall_back_to_the_literal_operator(name: str, overrides: dict) -> None:
    model = randomised(name, **overrides)
    assert not model.packable
    x = torch.rand(1, 3, 16, 16)
    y_lit, _ = output_and_grads(model, x, "literal")
    y_pack, _ = output_and_grads(model, x, "packed")
    assert torch.equal(y_lit, y_pack)


def test_gradcheck_float64() -> None:
    """The gathers' hand-written backward (the transposed map) is the true gradient."""
    model = randomised("scn_denoise", num_blocks=1, num_features=3, width=1, num_scales=3).double()
    model.operator = "packed"
    x = torch.rand(1, 1, 8, 12, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: model(t), (x,), eps=1e-6, atol=1e-7)


@pytest.mark.parametrize("kind,src,dst,align,factor", [
    ("bilinear", (9, 14), (18, 28), False, 0), ("bilinear", (9, 14), (5, 7), True, 0),
    ("bilinear", (21, 14), (14, 9), False, 0), ("avgpool", (12, 18), (6, 9), False, 2),
    ("avgpool", (4, 6), (12, 18), False, 0)])
def test_resample_matrices_equal_torch(kind: str, src: tuple, dst: tuple, align: bool, factor: int) -> None:
    x = torch.randn(2, 5, *src, dtype=torch.float64)
    if kind == "bilinear":
        expected = F.interpolate(x, size=dst, mode="bilinear", align_corners=align)
    elif factor:
        expected = F.avg_pool2d(x, factor)
    else:
        expected = F.interpolate(x, size=dst, mode="nearest")
    m = resample_matrix(kind, src, dst, align, factor)
    got = SparseMap(m, [src], [dst], 2, torch.device("cpu"), torch.float64)(x)[0]
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_layouts_hold_every_level_without_overlap() -> None:
    sizes = ((48, 64), (24, 32), (12, 16), (6, 8), (3, 4))
    for name in ("one", "split"):
        layout = CanvasLayout.pack(sizes, name)
        taken = [np.zeros(c, dtype=int) for c in layout.canvases]
        for (h, w), (c, y, x) in zip(sizes, layout.places):
            # the level and the one-pixel border around it (its zero padding) touch no other level
            taken[c][max(0, y - 1): y + h + 1, max(0, x - 1): x + w + 1] += 1
            assert y + h <= layout.canvases[c][0] and x + w <= layout.canvases[c][1]
        for s, ((h, w), (c, y, x)) in enumerate(zip(sizes, layout.places)):
            assert (taken[c][y: y + h, x: x + w] == 1).all(), (name, s)
    one = CanvasLayout.pack(sizes, "one").canvases
    assert len(one) == 1 and one[0][0] * one[0][1] <= 1.6 * sum(h * w for h, w in sizes)


def test_fusion_matrix_rows_sum_to_the_taps_and_the_residual() -> None:
    """Every level pixel receives weight 1 from each tap's resampling (bilinear weights sum to one), its centre
    coefficient from r and 1 from x; gap pixels receive nothing."""
    model = scn.create_model("scn_x2", num_blocks=1)
    spec = fusion_spec(model.config)
    m = packed_matrices(((16, 16), (8, 8), (4, 4), (2, 2)), spec, "one")
    sums = np.asarray(m.fusion.sum(axis=1)).reshape(m.layout.canvases[0])
    # level 0: tap from level 1 (1) + r twice (centre + missing finer neighbour) + x; middle levels: 2 taps + r + x
    assert np.allclose(sums[:16, :16], 4) and np.allclose(sums[:8, 17:25], 4)
    assert np.isclose(sums.sum(), 4 * (256 + 64 + 16 + 4))


needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device (scripts/gpu_check.sh runs these)")


@pytest.fixture
def cuda_fp32():
    """True fp32 on CUDA: TF32 would round each path's convs differently (1e-3), hiding real differences."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


@needs_cuda
@pytest.mark.parametrize("fusion", FUSIONS, ids=lambda f: "-".join(f"{k}={v}" for k, v in f.items()))
@pytest.mark.parametrize("k,ends,center", [(1, "reference", False), (2, "zero", True)])
@pytest.mark.parametrize("layout", ["one", "split"])
def test_packed_equals_literal_on_cuda(cuda_fp32: None, fusion: dict, k: int, ends: str, center: bool,
                                       layout: str) -> None:
    model = randomised("scn_x2", scale_kernel=k, ends=ends, center_pointwise=center, **fusion).cuda()
    assert_same(model, torch.rand(4, 3, 19, 26, device="cuda"), layout)


@needs_cuda
def test_packed_reference_size_on_cuda(cuda_fp32: None) -> None:
    """The full-size model (35 convolutions deep, outputs up to ~7): cuDNN picks its algorithm per shape, and the
    packed canvases have other shapes than the literal levels, so fp32 rounding differs more than in the small
    models (on an H200: outputs 8.4e-5 apart at most, 1.2e-5 of the largest). A wrong gather or weight would be
    off by 1e-1 or more, so here the bound is 1e-4 of the largest output (gradient)."""
    model = scn.create_model("scn_x2", align_corners=False).cuda().to(memory_format=torch.channels_last)
    assert_same(model, torch.rand(8, 3, 48, 48, device="cuda").to(memory_format=torch.channels_last), None,
                tol=1e-4)


@needs_cuda
def test_packed_under_bf16_autocast_on_cuda() -> None:
    model = randomised("scn_x2", align_corners=False).cuda()
    x = torch.rand(2, 3, 32, 32, device="cuda")
    outs = []
    for operator in ("literal", "packed"):
        model.operator = operator
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
            outs.append(model(x).float())
    assert (outs[0] - outs[1]).abs().max().item() < 0.05  # bf16 rounding, not a different function
