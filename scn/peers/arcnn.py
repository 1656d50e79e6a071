"""ARCNN (Dong et al., ICCV 2015): conv 9x9 1->64, 7x7 64->32, 1x1 32->16 (ReLU after each), 5x5 16->1;
'same' output size with replicate padding; gray input in [0, 1]. Weights: the authors' MATLAB files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy.io import loadmat
from torch import nn

from ..errors import CheckpointError

_LAYERS = (("conv1", 1, 64, 9), ("conv2", 64, 32, 7), ("conv22", 32, 16, 1), ("conv3", 16, 1, 5))


class ARCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(cin, cout, k) for _, cin, cout, k in _LAYERS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, conv in enumerate(self.convs):
            pad = conv.kernel_size[0] // 2
            x = conv(F.pad(x, (pad,) * 4, mode="replicate") if pad else x)
            if i < len(self.convs) - 1:
                x = F.relu(x)
        return x


def _matlab_to_torch(weights: np.ndarray, cin: int, cout: int, k: int) -> torch.Tensor:
    """(in, k*k, out) with tap t at row t mod k, column t div k (column-major) -> (out, in, k, k)."""
    w = np.asarray(weights, dtype=np.float64).reshape(cin, k * k, cout)
    w = w.reshape(cin, k, k, cout)  # [in, column, row, out] because t = column * k + row
    return torch.from_numpy(w.transpose(3, 0, 2, 1).copy()).float()


def load_arcnn(path: str | Path) -> ARCNN:
    """An ARCNN with the weights of one of the authors' `.mat` files (one file per JPEG quality)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such weights file")
    try:
        mat = loadmat(str(path))
    except Exception as e:  # scipy raises several types for non-MAT input
        raise CheckpointError(f"{path}: not a MATLAB .mat file ({type(e).__name__})") from None
    model = ARCNN()
    with torch.no_grad():
        for conv, (name, cin, cout, k) in zip(model.convs, _LAYERS):
            if f"weights_{name}" not in mat or f"biases_{name}" not in mat:
                raise CheckpointError(f"{path}: missing weights_{name} / biases_{name}: not an ARCNN weight file")
            conv.weight.copy_(_matlab_to_torch(mat[f"weights_{name}"], cin, cout, k))
            conv.bias.copy_(torch.from_numpy(np.asarray(mat[f"biases_{name}"], dtype=np.float64).ravel()).float())
    return model.eval()
