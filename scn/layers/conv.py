"""Convolutions with optional weight normalisation (Salimans & Kingma), as WDSR and the SCN reference use.

The parameters are named `weight_g`, `weight_v`, `bias` like `torch.nn.utils.weight_norm`, so state dicts of
the authors' code map onto ours by module name. The effective weight is g * v / ||v|| with the norm taken over
every dimension but the first (PyTorch's default `dim=0`).
"""

from __future__ import annotations

import copy
from typing import TypeVar

import torch
import torch.nn.functional as F
from torch import nn

M = TypeVar("M", bound=nn.Module)


def _normalised(g: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """g * v / ||v|| (norm over all dims but 0): one fused op forward and one backward (`torch._weight_norm`,
    what `torch.nn.utils.weight_norm` runs) instead of five small ones each way."""
    return torch._weight_norm(v, g, 0)


class _WeightNormMixin:
    """Replaces `weight` by (weight_g, weight_v); `gain=None` keeps the layer's default init (g = ||v||)."""

    def _setup_weight_norm(self, gain: float | None, zero_bias: bool) -> None:
        weight = self.weight  # type: ignore[has-type]
        del self.weight
        norm = weight.detach().flatten(1).norm(dim=1).view(-1, *([1] * (weight.dim() - 1)))
        g = torch.full_like(norm, gain) if gain is not None else norm.clone()
        self.weight_g = nn.Parameter(g)
        self.weight_v = nn.Parameter(weight.detach().clone())
        if zero_bias and self.bias is not None:  # type: ignore[has-type]
            nn.init.zeros_(self.bias)  # type: ignore[has-type]

    def effective_weight(self) -> torch.Tensor:
        return _normalised(self.weight_g, self.weight_v)


def weight_of(conv: nn.Module) -> torch.Tensor:
    """The weight a conv applies: g * v / ||v|| for weight-normalised ones, else `conv.weight`."""
    return conv.effective_weight() if isinstance(conv, _WeightNormMixin) else conv.weight  # type: ignore[return-value]


class WNConv2d(_WeightNormMixin, nn.Conv2d):
    """`nn.Conv2d` with weight normalisation."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int = 1, padding: int | None = None,
                 gain: float | None = None, zero_bias: bool = False) -> None:
        nn.Conv2d.__init__(self, in_ch, out_ch, kernel, stride=stride,
                           padding=kernel // 2 if padding is None else padding)
        self._setup_weight_norm(gain, zero_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.effective_weight(), self.bias)


class WNConvTranspose2d(_WeightNormMixin, nn.ConvTranspose2d):
    """`nn.ConvTranspose2d` with weight normalisation (norm over dim 0, the input channels, as PyTorch)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int, gain: float | None = None) -> None:
        nn.ConvTranspose2d.__init__(self, in_ch, out_ch, kernel, stride=stride)
        self._setup_weight_norm(gain, zero_bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return F.conv_transpose2d(x, self.effective_weight(), self.bias, self.stride)


def conv2d(in_ch: int, out_ch: int, kernel: int, *, weight_norm: bool, gain: float | None = None,
           zero_bias: bool = False, stride: int = 1, padding: int | None = None) -> nn.Conv2d:
    """A 'same'-padded conv; with weight norm, `gain` sets g (None: g = ||v||, PyTorch's init unchanged).

    Without weight norm the weight is rescaled so that every output filter has norm `gain`, which is the same
    function at initialisation.
    """
    if weight_norm:
        return WNConv2d(in_ch, out_ch, kernel, stride=stride, padding=padding, gain=gain, zero_bias=zero_bias)
    conv = nn.Conv2d(in_ch, out_ch, kernel, stride=stride, padding=kernel // 2 if padding is None else padding)
    if gain is not None:
        with torch.no_grad():
            conv.weight.copy_(_normalised(torch.full((out_ch,) + (1,) * 3, gain), conv.weight))
    if zero_bias:
        nn.init.zeros_(conv.bias)
    return conv


def conv_transpose2d(in_ch: int, out_ch: int, kernel: int, stride: int, *, weight_norm: bool) -> nn.ConvTranspose2d:
    if weight_norm:
        return WNConvTranspose2d(in_ch, out_ch, kernel, stride)
    return nn.ConvTranspose2d(in_ch, out_ch, kernel, stride=stride)


def fold_weight_norm(module: nn.Module) -> nn.Module:
    """Replace, in place, every weight-normalised conv of `module` by a plain one holding its effective weight
    (for inference and export: the same function with no norm computed per forward). Returns `module`. A folded
    network cannot be saved as a checkpoint of its config (its parameter names differ)."""
    for name, child in list(module.named_children()):
        if isinstance(child, _WeightNormMixin):
            weight = child.effective_weight().detach()
            plain: nn.Module
            if isinstance(child, WNConvTranspose2d):
                plain = nn.ConvTranspose2d(child.in_channels, child.out_channels, child.kernel_size, child.stride,
                                           child.padding, child.output_padding, child.groups,
                                           child.bias is not None, child.dilation)
            else:
                assert isinstance(child, WNConv2d)
                plain = nn.Conv2d(child.in_channels, child.out_channels, child.kernel_size, child.stride,
                                  child.padding, child.dilation, child.groups, child.bias is not None)
            plain = plain.to(device=weight.device, dtype=weight.dtype)
            with torch.no_grad():
                plain.weight.copy_(weight)
                if child.bias is not None:
                    plain.bias.copy_(child.bias)
            setattr(module, name, plain)
        else:
            fold_weight_norm(child)
    return module


def inference_copy(model: M, device: str | torch.device = "cpu") -> M:
    """A private copy of `model` to run inference with: weight norm folded, eval mode, on `device`, channels_last
    (faster on the CPU and on CUDA). The caller's model is left as it was."""
    return fold_weight_norm(copy.deepcopy(model)).to(device).eval().to(memory_format=torch.channels_last)
