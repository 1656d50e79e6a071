"""Inference: image files as people have them, tiled restoration, the `restore` API, export."""

from .api import restore
from .engine import Restorer
from .images import Picture, read_picture, write_picture

__all__ = ["restore", "Restorer", "Picture", "read_picture", "write_picture"]
