"""Fixed resamplings as sparse matrices, and applying one to a batch of feature maps as a single weighted gather.

Every resampling of the scale-wise convolution except the learned one (bilinear either way at any ratio, average
pooling, nearest up-sampling) is a fixed linear map from the pixels of one grid to those of another. Written as a
sparse matrix (rows: target pixels, columns: source pixels, row-major), any number of them can be summed into one
matrix and applied with one kernel (`F.embedding_bag` with per-sample weights); its gradient is the transposed
matrix applied the same way, so backward is one deterministic kernel too (no atomics, no scatter).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

Size = tuple[int, int]


def bilinear_matrix_1d(n_in: int, n_out: int, align_corners: bool) -> sp.csr_matrix:
    """(n_out, n_in) weights of PyTorch's 1-D linear interpolation (no anti-aliasing) for `size=` resizing:
    source = dst * (n_in-1)/(n_out-1) with align_corners, else (dst + 0.5) * n_in/n_out - 0.5 clamped at 0."""
    dst = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = dst * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
    else:
        src = np.maximum((dst + 0.5) * (n_in / n_out) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    frac = src - i0
    rows = np.concatenate([np.arange(n_out), np.arange(n_out)])
    return sp.csr_matrix((np.concatenate([1 - frac, frac]), (rows, np.concatenate([i0, i1]))), shape=(n_out, n_in))


def average_matrix_1d(n_in: int, factor: int) -> sp.csr_matrix:
    """(n_in // factor, n_in): the mean of each run of `factor` samples (one axis of `F.avg_pool2d(x, factor)`)."""
    n_out = n_in // factor
    rows = np.repeat(np.arange(n_out), factor)
    return sp.csr_matrix((np.full(n_out * factor, 1.0 / factor), (rows, np.arange(n_out * factor))),
                         shape=(n_out, n_in))


def nearest_matrix_1d(n_in: int, n_out: int) -> sp.csr_matrix:
    """(n_out, n_in): PyTorch's 'nearest' for `size=` resizing, source = min(floor(dst * n_in / n_out), n_in-1)."""
    src = np.minimum(np.floor(np.arange(n_out) * (n_in / n_out)).astype(np.int64), n_in - 1)
    return sp.csr_matrix((np.ones(n_out), (np.arange(n_out), src)), shape=(n_out, n_in))


def resample_matrix(kind: str, src: Size, dst: Size, align_corners: bool, factor: int = 0) -> sp.csr_matrix:
    """(h'w', hw) matrix of a 2-D resampling from grid `src` to grid `dst` (row-major pixels).

    kind 'bilinear': `F.interpolate(mode='bilinear')`; 'avgpool': with `factor` > 0 `F.avg_pool2d(x, factor)`
    (down), else `F.interpolate(mode='nearest')` (up), as the 'avgpool' resampler of the scale-wise convolution."""
    if kind == "bilinear":
        rows, cols = bilinear_matrix_1d(src[0], dst[0], align_corners), bilinear_matrix_1d(src[1], dst[1],
                                                                                            align_corners)
    elif kind == "avgpool" and factor:
        rows, cols = average_matrix_1d(src[0], factor), average_matrix_1d(src[1], factor)
    elif kind == "avgpool":
        rows, cols = nearest_matrix_1d(src[0], dst[0]), nearest_matrix_1d(src[1], dst[1])
    else:
        raise ValueError(f"no fixed linear map for resampler {kind!r}")
    return sp.kron(rows, cols, format="csr")


class SparseMap:
    """A sparse matrix between two lists of pixel grids, applied to batches of feature maps.

    Columns are the source grids' pixels (grid after grid, row-major within each), rows the target grids'. Applied
    to one (N, C, h_g, w_g) tensor per source grid, it returns one channels_last (N, C, H_g, W_g) tensor per target
    grid: out[g'][n, :, p] = sum over (g, j) of M[(g', p), (g, j)] * in[g][n, :, j]; rows with no entry give
    zeros. The inputs are read as one table of C-channel rows (grid, sample, pixel), with no copy but their
    concatenation."""

    def __init__(self, matrix: sp.csr_matrix, sources: list[Size], targets: list[Size], batch: int,
                 device: torch.device, dtype: torch.dtype) -> None:
        matrix = matrix.tocsr()
        matrix.sum_duplicates()
        src_pixels, dst_pixels = [h * w for h, w in sources], [h * w for h, w in targets]
        assert matrix.shape == (sum(dst_pixels), sum(src_pixels))
        self.sources, self.targets, self.batch = list(sources), list(targets), batch
        self.forward_args = self._bags(matrix, batch, dst_pixels, src_pixels, device, dtype)
        self.backward_args = self._bags(matrix.T.tocsr(), batch, src_pixels, dst_pixels, device, dtype)

    @staticmethod
    def _bags(matrix: sp.csr_matrix, batch: int, row_grids: list[int], col_grids: list[int],
              device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """`embedding_bag` arguments applying `matrix` to every sample: bags ordered (target grid, sample, pixel),
        each holding its row's entries with column (g, j) mapped to table row batch*offset_g + n*pixels_g + j."""
        indptr = matrix.indptr
        indices, data = np.asarray(matrix.indices, dtype=np.int64), np.asarray(matrix.data, dtype=np.float64)
        counts = np.diff(indptr)
        col_offsets = np.concatenate([[0], np.cumsum(col_grids)]).astype(np.int64)
        grid = np.searchsorted(col_offsets, indices, side="right") - 1
        base = indices + (batch - 1) * col_offsets[grid]
        step = np.asarray(col_grids, dtype=np.int64)[grid]
        index, sizes, weights = [], [], []
        row = 0
        for pixels in row_grids:
            lo, hi = indptr[row], indptr[row + pixels]
            for n in range(batch):
                index.append(base[lo:hi] + n * step[lo:hi])
                sizes.append(counts[row:row + pixels])
                weights.append(data[lo:hi])
            row += pixels
        offsets = np.concatenate([[0], np.cumsum(np.concatenate(sizes))[:-1]]).astype(np.int64)
        return (torch.from_numpy(np.concatenate(index)).to(device), torch.from_numpy(offsets).to(device),
                torch.from_numpy(np.concatenate(weights)).to(device=device, dtype=dtype))

    def __call__(self, *maps: torch.Tensor) -> tuple[torch.Tensor, ...]:
        assert len(maps) == len(self.sources)
        return _ApplySparse.apply(self, *maps)


def _gather(rows: torch.Tensor, args: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
    index, offsets, weights = args
    if weights.dtype != rows.dtype:
        weights = weights.to(rows.dtype)
    return F.embedding_bag(index, rows, offsets, mode="sum", per_sample_weights=weights)


def _rows(maps: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """Feature maps as one (sum of N*h*w, C) table of rows: a view for one channels_last map, else a copy."""
    parts = [m.contiguous(memory_format=torch.channels_last) for m in maps]
    c = parts[0].shape[1]
    if all(p.shape == parts[0].shape for p in parts):  # stacked along the batch: one contiguous copy
        table = parts[0] if len(parts) == 1 else torch.cat(parts)
        return table.as_strided((table.numel() // c, c), (c, 1))
    return torch.cat([p.permute(0, 2, 3, 1).reshape(-1, c) for p in parts])


def _maps(rows: torch.Tensor, batch: int, grids: list[Size]) -> tuple[torch.Tensor, ...]:
    """(sum of N*h*w, C) rows as channels_last (N, C, h, w) views, grid after grid."""
    c, start, out = rows.shape[1], rows.storage_offset(), []
    for h, w in grids:
        out.append(rows.as_strided((batch, c, h, w), (h * w * c, 1, w * c, c), start))
        start += batch * h * w * c
    return tuple(out)


class _ApplySparse(torch.autograd.Function):
    """y = M x with backward dx = M^T dy, each one `embedding_bag` call; layout changes are strided views."""

    @staticmethod
    def forward(ctx, m: SparseMap, *maps: torch.Tensor) -> tuple[torch.Tensor, ...]:  # type: ignore[override]
        ctx.m = m
        return _maps(_gather(_rows(maps), m.forward_args), m.batch, m.targets)

    @staticmethod
    def backward(ctx, *grads: torch.Tensor) -> tuple[torch.Tensor | None, ...]:  # type: ignore[override]
        m: SparseMap = ctx.m
        return (None, *_maps(_gather(_rows(grads), m.backward_args), m.batch, m.sources))
