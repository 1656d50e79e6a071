"""The scale-wise convolution operator against a slow, literal implementation of the paper's equation

    x_s' = sum_{i=-k..k} h_i(q_i(p(x_{s+i})))

written here from the formulas only: bilinear resampling by explicit interpolation matrices, average pooling by
reshape-and-mean, nearest up-sampling by repetition, strided (transposed) convs by patch einsums.
"""

from __future__ import annotations

import math

import pytest
import torch

from scn.layers import ScaleWiseConv, WideBody, level_sizes
from scn.layers.conv import WNConv2d, WNConvTranspose2d


def interpolation_matrix(n_in: int, n_out: int, align_corners: bool) -> torch.Tensor:
    m = torch.zeros(n_out, n_in, dtype=torch.float64)
    for o in range(n_out):
        if align_corners:
            src = o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        else:
            src = max((o + 0.5) * n_in / n_out - 0.5, 0.0)
        i0 = min(int(math.floor(src)), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        frac = src - i0
        m[o, i0] += 1 - frac
        m[o, i1] += frac
    return m


def literal_bilinear(x: torch.Tensor, size: tuple[int, int], align_corners: bool) -> torch.Tensor:
    mh = interpolation_matrix(x.shape[-2], size[0], align_corners)
    mw = interpolation_matrix(x.shape[-1], size[1], align_corners)
    return torch.einsum("oh,nchw,pw->ncop", mh, x.double(), mw).to(x.dtype)


def weight_of(conv: torch.nn.Module) -> torch.Tensor:
    return conv.effective_weight() if isinstance(conv, (WNConv2d, WNConvTranspose2d)) else conv.weight


def literal_pointwise(conv: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    w = weight_of(conv)[:, :, 0, 0]
    return torch.einsum("oc,nchw->nohw", w, x) + conv.bias.view(1, -1, 1, 1)


def literal_resample(tap: torch.nn.Module, x: torch.Tensor, size: tuple[int, int], kind: str, offset: int,
                     factor: int, align_corners: bool) -> torch.Tensor:
    n, c, h, w = x.shape
    if kind == "bilinear":
        return literal_bilinear(x, size, align_corners)
    f = factor ** abs(offset)
    if kind == "avgpool":
        if offset < 0:
            return x.reshape(n, c, h // f, f, w // f, f).mean(dim=(3, 5))
        return x.repeat_interleave(f, dim=2).repeat_interleave(f, dim=3)
    conv = tap.resample.conv
    wt = weight_of(conv)
    if offset < 0:  # kernel = stride = f: non-overlapping patches
        patches = x.reshape(n, c, h // f, f, w // f, f)
        return torch.einsum("ncyaxb,ocab->noyx", patches, wt) + conv.bias.view(1, -1, 1, 1)
    out = torch.einsum("ncyx,coab->noyaxb", x, wt).reshape(n, wt.shape[1], h * f, w * f)
    return out + conv.bias.view(1, -1, 1, 1)


def literal_scale_conv(op: ScaleWiseConv, xs: list[torch.Tensor], kind: str, factor: int, k: int, ends: str,
                       center_pointwise: bool, align_corners: bool) -> list[torch.Tensor]:
    out = []
    for s in range(len(xs)):
        size = tuple(xs[s].shape[-2:])
        total = torch.zeros_like(xs[s])
        for i in range(-k, k + 1):
            if not 0 <= s + i < len(xs):
                if ends == "reference":
                    total = total + op.spatial(xs[s])
                continue
            r = op.spatial(xs[s + i])  # p, recomputed per tap: literal, not clever
            if i == 0 and not center_pointwise:
                total = total + r
                continue
            tap = op.taps[op.tap_name(i)]
            q = literal_pointwise(tap.pointwise, r)
            total = total + (q if i == 0 else literal_resample(tap, q, size, kind, i, factor, align_corners))
        out.append(total)
    return out


CASES = [(kind, k, ratio) for k in (0, 1, 2) for kind, ratio in
         [("bilinear", 1 / 2), ("bilinear", 2 / 3), ("avgpool", 1 / 2), ("conv", 1 / 2), ("avgpool", 1 / 3)]]


@pytest.mark.parametrize("kind,k,ratio", CASES)
@pytest.mark.parametrize("ends", ["reference", "zero"])
@pytest.mark.parametrize("center_pointwise", [False, True])
def test_operator_equals_literal_equation(kind: str, k: int, ratio: float, ends: str, center_pointwise: bool) -> None:
    torch.manual_seed(k)
    features, levels, align_corners = 6, 4, kind == "bilinear" and ratio == 0.5
    factor = round(1 / ratio)
    base = factor ** (levels - 1) * 2 if kind != "bilinear" or ratio == 0.5 else 19
    op = ScaleWiseConv(WideBody(features, 2, 4, True), features, k, kind, ratio, ends, align_corners,
                       center_pointwise, True).double()
    with torch.no_grad():  # random (not initial) weights, so every term matters
        for p in op.parameters():
            p.normal_()
    sizes = level_sizes(base, base + factor ** (levels - 1), ratio, levels)
    xs = [torch.randn(2, features, *size, dtype=torch.float64) for size in sizes]
    with torch.no_grad():
        fast = op(xs)
        slow = literal_scale_conv(op, xs, kind, factor, k, ends, center_pointwise, align_corners)
    for level, (a, b) in enumerate(zip(fast, slow)):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-9, msg=f"level {level}")


def test_reference_single_level_block_is_x_plus_3r() -> None:
    op = ScaleWiseConv(WideBody(4, 2, 4, True), 4, 1, "bilinear", 0.5, "reference", True, False, True)
    x = torch.randn(1, 4, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(op([x])[0], 3 * op.spatial(x))

