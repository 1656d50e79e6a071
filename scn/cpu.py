"""What this CPU multiplies fast, read from its feature flags (Linux's /proc/cpuinfo: `flags` on x86, `Features`
on Arm). Users and tests can say what the probe cannot see: SCN_INT8_CPU / SCN_BF16_CPU = 1 or 0."""

from __future__ import annotations

import os
import sys
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")


def cpu_flags(cpuinfo: str | Path = CPUINFO) -> set[str] | None:
    """The CPU's feature flags; None where there is no cpuinfo to read them from (not Linux)."""
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        return None
    flags: set[str] = set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            flags |= set(line.split(":", 1)[1].split())
    return flags


def _told(variable: str) -> bool | None:
    value = os.environ.get(variable)
    return value == "1" if value in ("0", "1") else None


def cpu_has_int8_dot(cpuinfo: str | Path = CPUINFO) -> bool:
    """Whether this CPU has the 8-bit multiply-add instructions ONNX Runtime's integer kernels are built on
    (x86: AVX2 vpmaddubsw, AVX-512 VNNI, AVX-VNNI; Arm: the dot product extension)."""
    told = _told("SCN_INT8_CPU")
    if told is not None:
        return told
    flags = cpu_flags(cpuinfo)
    if flags is None:
        return sys.platform == "darwin"  # Apple silicon has the dot product extension
    return bool(flags & {"avx2", "avx512_vnni", "avx_vnni", "asimddp"})


def cpu_has_bf16(cpuinfo: str | Path = CPUINFO) -> bool:
    """Whether this CPU has any bf16 instructions (x86: AVX-512 BF16 or AMX; Arm: the BF16 extension). Without
    them bf16 autocast is emulated: a training step of the colour denoiser took 50 s against 4.8 s in fp32 on an
    AMD EPYC with AVX alone (docs/training.md)."""
    told = _told("SCN_BF16_CPU")
    if told is not None:
        return told
    flags = cpu_flags(cpuinfo)
    if flags is None:
        return sys.platform == "darwin"
    return bool(flags & {"avx512_bf16", "amx_bf16", "bf16"})


def cpu_has_amx(cpuinfo: str | Path = CPUINFO) -> bool:
    """Whether this CPU multiplies bf16 matrices in hardware (Intel AMX), where bf16 convolutions pay: 2.86x a
    training step and 2.1-2.3x a restore on an Intel Xeon with it (docs/speed.md); AVX-512 BF16 alone (AMD EPYC)
    gave training no gain."""
    told = _told("SCN_BF16_CPU")
    if told is not None:
        return told
    return "amx_bf16" in (cpu_flags(cpuinfo) or set())
