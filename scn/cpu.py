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


def _has_any(variable: str, wanted: set[str], cpuinfo: str | Path, unreadable: bool) -> bool:
    """What `variable` says (1 / 0), else whether the CPU's flags hold any of `wanted`, else `unreadable`."""
    told = _told(variable)
    if told is not None:
        return told
    flags = cpu_flags(cpuinfo)
    return unreadable if flags is None else bool(flags & wanted)


def cpu_has_int8_dot(cpuinfo: str | Path = CPUINFO) -> bool:
    """Whether this CPU has the 8-bit multiply-add instructions ONNX Runtime's integer kernels are built on
    (x86: AVX2 vpmaddubsw, AVX-512 VNNI, AVX-VNNI; Arm: the dot product extension). Apple silicon, with no
    cpuinfo to read, has the dot product extension."""
    return _has_any("SCN_INT8_CPU", {"avx2", "avx512_vnni", "avx_vnni", "asimddp"}, cpuinfo,
                    unreadable=sys.platform == "darwin")


def cpu_has_bf16(cpuinfo: str | Path = CPUINFO) -> bool:
    """Whether this CPU has any bf16 instructions (x86: AVX-512 BF16 or AMX; Arm: the BF16 extension). Without
    them bf16 autocast is emulated: a training step of the colour denoiser took 49 s against 4.9 s in fp32 on an
    AMD EPYC with AVX alone (docs/training.md)."""
    return _has_any("SCN_BF16_CPU", {"avx512_bf16", "amx_bf16", "bf16"}, cpuinfo, unreadable=sys.platform == "darwin")


def cpu_has_amx(cpuinfo: str | Path = CPUINFO) -> bool:
    """Whether this CPU multiplies bf16 matrices in hardware (Intel AMX), where bf16 convolutions pay: 2.86x a
    training step and 2.1-2.3x a restore on an Intel Xeon with it (docs/speed.md); AVX-512 BF16 alone gave training
    no gain on one AMD EPYC and 1.94x on another (docs/training.md)."""
    return _has_any("SCN_BF16_CPU", {"amx_bf16"}, cpuinfo, unreadable=False)


def usable_cpus() -> int:
    """How many CPUs this process may run on: its affinity mask where the OS has one (`taskset`, cgroups' cpusets),
    else the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def fit_threads(wanted: int) -> tuple[int, str | None]:
    """`wanted` intra-op threads capped at the CPUs this process may run on, and a note where it was capped: two
    threads on one pinned core took 2.9 s a training step against 0.97 s with one (AMD EPYC, docs/training.md)."""
    cpus = usable_cpus()
    if wanted <= cpus:
        return wanted, None
    return cpus, (f"train.threads is {wanted} but this process may run on {cpus} CPU{'s' if cpus > 1 else ''}; "
                  f"using {cpus} (more threads than CPUs only make them wait on each other)")
