"""Keep freed CPU memory for reuse instead of returning it to the OS on every forward pass.

glibc serves allocations above a threshold (at most 32 MB) with fresh `mmap`s and unmaps them when freed, so each
forward pass of a big image or batch page-faults all of its large activations in again: a third of the time of a
big CPU restore went to the kernel (docs/speed.md). `keep_freed_memory()` makes glibc serve them from its heap and
keep freed memory mapped (resident memory stays near the peak, as with PyTorch's CUDA caching allocator). The
`scn` command applies it at start-up; library users may call it. No effect off glibc; SCN_KEEP_FREED_MEMORY=0
switches it off.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_applied: bool | None = None


def keep_freed_memory() -> bool:
    """Apply the setting once per process; True where it took effect."""
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if os.environ.get("SCN_KEEP_FREED_MEMORY", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _applied = bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))
    return _applied
