"""bf16 inference (`--precision bf16`: the PyTorch model under bf16 autocast): agreement with fp32, the fallback on
a CPU without bf16 instructions (and int8's without 8-bit multiply-adds), the options' checks, and the CPU probe
(scn/cpu.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import scn
from scn.cli.main import main
from scn.cpu import cpu_has_amx, cpu_has_bf16, cpu_has_int8_dot, cpu_flags
from scn.data.samples import demo_photo
from scn.errors import ScnWarning
from scn.inference.engine import Restorer
from scn.inference.images import Picture
from scn.metrics import psnr


def noisy_crop() -> Picture:
    x = demo_photo()[120:217, 140:253].astype(np.float32) / 255  # 97x113: odd sizes
    return Picture(x + np.random.RandomState(0).normal(0, 25 / 255, x.shape).astype(np.float32))


def eight_bit(x: np.ndarray) -> np.ndarray:
    return np.floor(np.clip(x, 0, 1) * 255 + 0.5)


def test_bf16_agrees_with_fp32_and_did_run_in_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped colour denoiser in bf16: within 45 dB PSNR of fp32 on the 8-bit outputs (the dev-set
    differences are in docs/speed.md), and not identical (autocast did act)."""
    monkeypatch.setenv("SCN_BF16_CPU", "1")
    model = scn.resolve("scn_denoise_rgb.sigma").load()
    pic = noisy_crop()
    fp32 = eight_bit(Restorer(model, tile=0, noise_level=25).restore(pic).color)
    restorer = Restorer.at_precision(model, "bf16", tile=0, noise_level=25)
    assert restorer.bf16
    bf16 = eight_bit(restorer.restore(pic).color)
    assert fp32.shape == bf16.shape and fp32.dtype == bf16.dtype
    assert 45 < psnr(bf16, fp32) < 100


@pytest.mark.parametrize("precision, variable, note", [("bf16", "SCN_BF16_CPU", "no bf16 instructions"),
                                                     ("int8", "SCN_INT8_CPU", "no 8-bit multiply-add instructions")])
def test_a_cpu_that_would_not_gain_falls_back_to_fp32_with_a_note(monkeypatch: pytest.MonkeyPatch, precision: str,
                                                                  variable: str, note: str) -> None:
    """bf16 without bf16 instructions, int8 without 8-bit multiply-adds: the fp32 restorer, the same output, and a
    note."""
    import scn.inference.engine as engine

    monkeypatch.setenv(variable, "0")
    monkeypatch.setattr(engine, "_SAID", set())
    model = scn.create_model("scn_small_x2", num_blocks=2, num_features=8, width=2).eval()
    with pytest.warns(ScnWarning, match=note):
        restorer = Restorer.at_precision(model, precision, tile=0)
    assert not restorer.bf16 and restorer._forward is None
    pic = Picture(demo_photo()[:40, :48].astype(np.float32) / 255)
    assert np.array_equal(restorer.restore(pic).color, Restorer(model, tile=0).restore(pic).color)


def test_bf16_options_that_contradict_it_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    image = tmp_path / "in.png"
    from PIL import Image
    Image.fromarray(demo_photo()[:32, :32]).save(image)
    for extra in (["--half"], ["--backend", "onnxruntime"]):
        assert main(["restore", str(image), "-o", str(tmp_path / "out.png"), "--task", "sr", "--scale", "2",
                     "--precision", "bf16", *extra]) == 2
        assert "--precision bf16 runs the PyTorch model under bf16 autocast" in capsys.readouterr().err
    assert not (tmp_path / "out.png").exists()
    assert main(["restore", str(image), "-o", str(tmp_path / "out.png"), "--task", "sr", "--scale", "2",
                 "--precision", "bf17"]) == 2
    assert "choose one of fp32, bf16, int8" in capsys.readouterr().err
    with pytest.raises(scn.ScnError, match="choose one"):
        Restorer(scn.create_model("scn_small_x2", num_blocks=1, num_features=8, width=2), half=True, bf16=True)


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCN_BF16_CPU", raising=False)
    monkeypatch.delenv("SCN_INT8_CPU", raising=False)
    intel = tmp_path / "intel"
    intel.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_vnni avx512_bf16 amx_bf16 amx_tile\n\n"
                     "processor\t: 1\nflags\t\t: fpu avx2 avx512f avx512_vnni avx512_bf16 amx_bf16 amx_tile\n")
    amd = tmp_path / "amd"
    amd.write_text("flags\t\t: fpu avx2 avx512f avx512_vnni avx512_bf16\n")
    arm = tmp_path / "arm"
    arm.write_text("Features\t: fp asimd asimddp bf16\n")
    assert "amx_tile" in (cpu_flags(intel) or set()) and cpu_flags(tmp_path / "absent") is None
    assert [cpu_has_amx(p) for p in (intel, amd, arm)] == [True, False, False]
    assert [cpu_has_int8_dot(p) for p in (intel, amd, arm)] == [True, True, True]
    avx_only = tmp_path / "avx"
    avx_only.write_text("flags\t\t: fpu sse4_2 avx fma f16c\n")
    assert [cpu_has_bf16(p) for p in (intel, amd, arm, avx_only)] == [True, True, True, False]
    monkeypatch.setenv("SCN_BF16_CPU", "1")
    assert cpu_has_amx(amd)  # what the probe cannot see, said by the user


def test_bf16_runs_where_the_cpu_has_bf16_instructions_without_amx(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """An AMD EPYC with AVX-512 BF16 and no AMX restores in bf16 (2.1-2.3x over fp32 there: docs/speed.md); a CPU
    with AVX alone falls back to fp32, where bf16 would be emulated."""
    import scn.inference.engine as engine

    monkeypatch.delenv("SCN_BF16_CPU", raising=False)
    monkeypatch.setattr(engine, "_SAID", set())
    model = scn.create_model("scn_small_x2", num_blocks=2, num_features=8, width=2).eval()
    for flags, bf16 in [("fpu avx2 avx512f avx512_vnni avx512_bf16", True), ("fpu sse4_2 avx fma f16c", False)]:
        cpuinfo = tmp_path / "cpuinfo"
        cpuinfo.write_text(f"flags\t\t: {flags}\n")
        monkeypatch.setattr(engine, "cpu_has_bf16", lambda path=cpuinfo: cpu_has_bf16(path))
        if bf16:
            assert Restorer.at_precision(model, "bf16", tile=0).bf16
        else:
            with pytest.warns(ScnWarning, match="no bf16 instructions"):
                assert not Restorer.at_precision(model, "bf16", tile=0).bf16
