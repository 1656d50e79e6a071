"""The comparison methods of the paper's tables, written from their papers and their published weight layouts.

Weights are always a path the user gives (see shared/peers/README.md for where the published files come from);
none is part of this package. Legacy `.pth` files are read with `torch.load(weights_only=True)`.
"""

from .arcnn import ARCNN, load_arcnn
from .dncnn import DnCNN, load_dncnn
from .imdn import IMDN, load_imdn

__all__ = ["ARCNN", "load_arcnn", "DnCNN", "load_dncnn", "IMDN", "load_imdn"]
