"""The packed scale-wise convolution: the pyramid's levels side by side in canvases, a few kernels per block.

The literal operator (`ScaleWiseConv.forward`) runs the shared body once per level, one 1x1 conv and one resize
per tap and level, and many small adds: on a GPU it is bound by kernel launches. Here the levels are laid out in
canvases, separated by one row / column of zeros:

- the body's 3x3 convs run once per canvas; zero gaps are exactly the convs' zero padding, and the gaps are
  zeroed again between the two convs (with the ReLU), so every level gets exactly its own convolution;
- every 1x1 tap q_i runs once per canvas;
- the rest of the block (each tap's resampling h_i from level s+i to level s, the centre term with the
  missing-neighbour rule, the residual) is one fixed sparse matrix over the canvases' pixels, applied as one
  weighted gather (`linear_maps.SparseMap`) whose backward is the transposed gather;
- the pyramid is built from the head's features by one gather too (bilinear down-scaling, composed).

Layouts: 'one' puts every level in one canvas (fewest kernels: the accelerator default); 'split' keeps level 0
alone and the coarser levels in a second canvas (13% fewer multiply-adds than 'one' and no odd canvas widths).
On the CPU, where arithmetic rather than launches sets the time, the level-by-level operator is faster still
and is the default there (docs/speed.md).

It serves shared bodies with fixed resamplers (bilinear at any ratio, avgpool / nearest); the learned 'conv'
resampler and un-shared bodies use the literal operator. Equality with the literal operator (outputs and
gradients) is tested for every configuration served (tests/test_packed.py).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from .conv import weight_of
from .linear_maps import SparseMap, resample_matrix
from .scale_conv import ScaleWiseConv

Size = tuple[int, int]
LAYOUTS = ("one", "split")


def _shelf(sizes: list[Size]) -> tuple[list[Size], Size]:
    """Origins and extent of `sizes` packed as: the first at the corner, the rest in a row below it or a column
    beside it (whichever rectangle is smaller), one zero row / column between neighbours."""
    if len(sizes) == 1:
        return [(0, 0)], sizes[0]
    best: tuple[int, list[Size], Size] | None = None
    for below in (True, False):
        (h0, w0) = sizes[0]
        origins: list[Size] = [(0, 0)]
        y, x = (h0 + 1, 0) if below else (0, w0 + 1)
        for h, w in sizes[1:]:
            origins.append((y, x))
            x, y = (x + w + 1, y) if below else (x, y + h + 1)
        extent = (max(oy + h for (oy, _), (h, _) in zip(origins, sizes)),
                  max(ox + w for (_, ox), (_, w) in zip(origins, sizes)))
        if best is None or extent[0] * extent[1] < best[0]:
            best = (extent[0] * extent[1], origins, extent)
    assert best is not None
    return best[1], best[2]


@dataclass(frozen=True)
class CanvasLayout:
    """Where each pyramid level sits: `places[s]` = (canvas, y, x) of level s's top-left corner."""

    sizes: tuple[Size, ...]
    places: tuple[tuple[int, int, int], ...]
    canvases: tuple[Size, ...]

    @staticmethod
    def pack(sizes: tuple[Size, ...], layout: str) -> "CanvasLayout":
        """'one': level 0 at the corner, the coarser levels (shelved) beside or below it, whichever canvas is
        smaller; 'split': level 0 alone, the coarser levels shelved in a second canvas."""
        if layout not in LAYOUTS:
            raise ValueError(f"layout {layout!r}: choose one of {', '.join(LAYOUTS)}")
        if len(sizes) == 1:
            return CanvasLayout(sizes, ((0, 0, 0),), (sizes[0],))
        coarse, (ch, cw) = _shelf(list(sizes[1:]))
        if layout == "split":
            return CanvasLayout(sizes, ((0, 0, 0), *((1, y, x) for y, x in coarse)), (sizes[0], (ch, cw)))
        (h0, w0) = sizes[0]
        # the coarse block to the right of level 0 or below it, whichever canvas is smaller
        right, below = (max(h0, ch), w0 + 1 + cw), (h0 + 1 + ch, max(w0, cw))
        dy, dx = (0, w0 + 1) if right[0] * right[1] <= below[0] * below[1] else (h0 + 1, 0)
        canvas = right if dx else below
        return CanvasLayout(sizes, ((0, 0, 0), *((0, y + dy, x + dx) for y, x in coarse)), (canvas,))

    @property
    def offsets(self) -> list[int]:
        """Index of each canvas's first pixel in the canvases' concatenated pixels."""
        return list(np.cumsum([0] + [h * w for h, w in self.canvases])[:-1])

    @property
    def pixels(self) -> int:
        return sum(h * w for h, w in self.canvases)

    def placement(self, level: int) -> sp.csr_matrix:
        """(canvas pixels, level pixels) 0/1 matrix putting level `level` at its place."""
        (h, w), (c, oy, ox) = self.sizes[level], self.places[level]
        width = self.canvases[c][1]
        rows = (self.offsets[c] + (oy + np.arange(h))[:, None] * width + ox + np.arange(w)[None, :]).reshape(-1)
        return sp.csr_matrix((np.ones(h * w), (rows, np.arange(h * w))), shape=(self.pixels, h * w))

    def level_values(self, values: list[float]) -> list[np.ndarray]:
        """Per canvas, an array holding `values[s]` on the pixels of level s and 0 in the gaps."""
        out = [np.zeros(size) for size in self.canvases]
        for (h, w), (c, oy, ox), v in zip(self.sizes, self.places, values):
            out[c][oy: oy + h, ox: ox + w] = v
        return out


@dataclass(frozen=True)
class FusionSpec:
    """What the packed maps depend on besides the level sizes and the layout."""

    resampler: str  # 'bilinear' or 'avgpool'
    align_corners: bool
    factor: int  # 1/ratio of the built model (avgpool); 0 for bilinear
    k: int
    ends: str
    center_pointwise: bool

    @property
    def slots(self) -> list[int]:
        """Tap offsets in the order of `ScaleWiseConv.taps`."""
        return [i for i in range(-self.k, self.k + 1) if i != 0 or self.center_pointwise]


@dataclass(frozen=True)
class PackedMatrices:
    """The sparse maps of one geometry: `build` (canvases <- level 0: the pyramid), `fusion` (canvases <- the
    slot canvases [q_i(r) for each tap i..., r, x], each as many canvases as the layout has: a residual block
    after its convs) and `finest` (level 0 <- canvases); `masks` per canvas (None where it has no gap)."""

    layout: CanvasLayout
    build: sp.csr_matrix
    fusion: sp.csr_matrix
    finest: sp.csr_matrix
    masks: tuple[np.ndarray | None, ...]
    slots: int


@lru_cache(maxsize=32)
def packed_matrices(sizes: tuple[Size, ...], spec: FusionSpec, layout_name: str) -> PackedMatrices:
    layout = CanvasLayout.pack(sizes, layout_name)
    levels, pixels = len(sizes), layout.pixels
    n = [h * w for h, w in sizes]
    place = [layout.placement(s) for s in range(levels)]
    # build: level s = bilinear(level s-1), composed down from level 0
    chain = sp.identity(n[0], format="csr")
    build = place[0] @ chain
    for s in range(1, levels):
        chain = resample_matrix("bilinear", sizes[s - 1], sizes[s], spec.align_corners) @ chain
        build = build + place[s] @ chain
    # slot t: each tap i's 1x1 output resampled from level s+i to level s; then r with the centre coefficient
    # (p(x_s) itself unless the centre has its own 1x1 conv, plus one per missing neighbour under the reference
    # ends); then x (the residual)
    slot_maps: list[sp.csr_matrix] = []
    for i in spec.slots:
        total = sp.csr_matrix((pixels, pixels))
        for s in range(levels):
            j = s + i
            if not 0 <= j < levels:
                continue
            if i == 0:
                resample = sp.identity(n[s], format="csr")
            else:
                factor = spec.factor ** abs(i) if i < 0 else 0
                resample = resample_matrix(spec.resampler, sizes[j], sizes[s], spec.align_corners, factor)
            total = total + place[s] @ resample @ place[j].T
        slot_maps.append(total)
    centre = []
    for s in range(levels):
        missing = sum(1 for i in range(-spec.k, spec.k + 1) if i and not 0 <= s + i < levels)
        centre.append((0 if spec.center_pointwise else 1) + (missing if spec.ends == "reference" else 0))
    flat = lambda canvases: np.concatenate([c.reshape(-1) for c in canvases])  # noqa: E731
    slot_maps.append(sp.diags(flat(layout.level_values(centre)), format="csr"))
    masks = layout.level_values([1.0] * levels)
    slot_maps.append(sp.diags(flat(masks), format="csr"))
    fusion = sp.hstack(slot_maps, format="csr")
    fusion.eliminate_zeros()
    return PackedMatrices(layout, build.tocsr(), fusion, place[0].T.tocsr(),
                          tuple(None if m.all() else m for m in masks), len(slot_maps))


class PackedPlan:
    """The maps of one geometry as tensors for one batch size, device and dtype."""

    def __init__(self, sizes: tuple[Size, ...], spec: FusionSpec, layout: str, batch: int, device: torch.device,
                 dtype: torch.dtype) -> None:
        m = packed_matrices(sizes, spec, layout)
        canvases = list(m.layout.canvases)
        self.layout = m.layout
        self.build = SparseMap(m.build, [sizes[0]], canvases, batch, device, dtype)
        self.fusion = SparseMap(m.fusion, canvases * m.slots, canvases, batch, device, dtype)
        self.finest = SparseMap(m.finest, canvases, [sizes[0]], batch, device, dtype)
        self.masks = [None if mask is None else torch.from_numpy(mask).to(device=device, dtype=dtype)
                      .view(1, 1, *mask.shape) for mask in m.masks]


_PLANS: OrderedDict[tuple, PackedPlan] = OrderedDict()
_MAX_PLANS = 8


def packed_plan(sizes: tuple[Size, ...], spec: FusionSpec, layout: str, batch: int, device: torch.device,
                dtype: torch.dtype) -> PackedPlan:
    """The cached plan for this geometry (the few most recent kept: training reuses one, tiling a handful)."""
    key = (sizes, spec, layout, batch, device, dtype)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = PackedPlan(sizes, spec, layout, batch, device, dtype)
        while len(_PLANS) > _MAX_PLANS:
            _PLANS.popitem(last=False)
    else:
        _PLANS.move_to_end(key)
    return plan


def default_layout(device: torch.device) -> str:
    """'one' where kernel launches set the time (CUDA and other accelerators), 'split' on the CPU."""
    return "split" if device.type == "cpu" else "one"


class _MaskedReLU(torch.autograd.Function):
    """relu(h) * mask in place; backward zeroes the gradient where the output is 0, gaps included."""

    @staticmethod
    def forward(ctx, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        out = h.relu_().mul_(mask)
        ctx.mark_dirty(h)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        (out,) = ctx.saved_tensors
        return torch.ops.aten.threshold_backward(grad, out, 0), None


def relu_gaps_zero_(h: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """ReLU in place on `h` (a conv output nothing else holds), and zero the canvas gaps where it has some."""
    return torch.relu_(h) if mask is None else _MaskedReLU.apply(h, mask)


def pack(features: torch.Tensor, plan: PackedPlan) -> tuple[torch.Tensor, ...]:
    """Level 0 = `features` (N, C, H, W); the canvases holding every level of its bilinear pyramid."""
    return plan.build(features)


def unpack_finest(canvases: tuple[torch.Tensor, ...], plan: PackedPlan) -> torch.Tensor:
    """Level 0 out of the canvases (a gather, so that gradients flow back channels_last)."""
    return plan.finest(*canvases)[0]


def packed_block(op: ScaleWiseConv, xs: tuple[torch.Tensor, ...], plan: PackedPlan) -> tuple[torch.Tensor, ...]:
    """x + ScaleWiseConv(x) on packed canvases (zeros in the gaps in, zeros in the gaps out)."""
    body = op.spatial
    weights = body.weights()
    rs = [body.run(x, weights, lambda h, mask=mask: relu_gaps_zero_(h, mask)) for x, mask in zip(xs, plan.masks)]
    qs = [F.conv2d(r, weight_of(tap.pointwise), tap.pointwise.bias) for tap in op.taps.values() for r in rs]
    return plan.fusion(*qs, *rs, *xs)
