"""Export: ONNX Runtime equals PyTorch on an unseen size; pt2 and the TorchScript message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import scn
from scn.cli.main import main
from conftest import photo_crop


# -- export ------------------------------------------------------------------------------------------------------

def test_onnx_runtime_equals_pytorch_on_an_unseen_size(sr_ckpt: Path, tmp_path: Path,
                                                       capfd: pytest.CaptureFixture[str]) -> None:
    """And the export says what it does in one line, without the exporter's notes (torchvision, deprecations)."""
    pytest.importorskip("onnxruntime")
    onnx_path = tmp_path / "m.onnx"
    capfd.readouterr()
    assert main(["export", "--model", str(sr_ckpt), "--format", "onnx", "-o", str(onnx_path)]) == 0
    assert capfd.readouterr().err.splitlines() == ["scn export: tracing the model for onnx (tens of seconds)"]
    from scn.inference.engine import onnx_forward

    model = scn.load_model(sr_ckpt)
    x = torch.rand(1, 3, 37, 51)  # export used another size
    with torch.no_grad():
        exported = onnx_forward(onnx_path)(x)
        for operator in ("literal", "packed"):  # the CPU's default operator and the accelerators'
            model.operator = operator
            torch.testing.assert_close(exported, model(x), rtol=0, atol=1e-4)
    img = photo_crop()[:30, :26]
    Image.fromarray(img).save(tmp_path / "in.png")
    assert main(["restore", str(tmp_path / "in.png"), "-o", str(tmp_path / "o.png"), "--backend", "onnxruntime",
                 "--model", str(onnx_path), "--no-progress"]) == 0
    ours = np.asarray(Image.open(tmp_path / "o.png")).astype(int)
    reference = scn.restore(img, "sr", model=sr_ckpt).astype(int)
    assert np.abs(ours - reference).max() <= 1


def test_pt2_export_and_torchscript_message(sr_ckpt: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    assert main(["export", "--model", str(sr_ckpt), "--format", "pt2", "-o", str(tmp_path / "m.pt2")]) == 0
    assert capfd.readouterr().err.splitlines() == ["scn export: tracing the model for pt2 (tens of seconds)"]
    program = torch.export.load(tmp_path / "m.pt2").module()
    x = torch.rand(1, 3, 29, 43)
    with torch.no_grad():
        torch.testing.assert_close(program(x), scn.load_model(sr_ckpt)(x))
    assert main(["export", "--model", str(sr_ckpt), "--format", "torchscript", "-o", str(tmp_path / "m.pt")]) == 2
    assert "use --format pt2" in capfd.readouterr().err


def test_a_denoiser_told_the_level_with_a_map_gain_exports_to_onnx_as_it_runs(tmp_path: Path) -> None:
    """The map's gain is inside the graph: ONNX Runtime, given the picture and the plain sigma / 255 map, equals
    PyTorch at two levels."""
    pytest.importorskip("onnxruntime")
    from scn.archs import with_noise_map
    from scn.inference.engine import onnx_forward
    from scn.inference.export import export_onnx, read_onnx_config

    torch.manual_seed(0)
    model = scn.create_model("scn_small_denoise_rgb", noise_map=True, noise_map_gain=8.0, num_blocks=2).eval()
    with torch.no_grad():  # a map weight large enough that a lost gain would show
        model.head.weight_v[:, 3].normal_(0, 0.5)
    path = export_onnx(model, tmp_path / "d.onnx")
    assert read_onnx_config(path).noise_map_gain == 8.0
    x = torch.rand(1, 3, 37, 51)
    with torch.no_grad():
        for sigma in (5.0, 50.0):
            torch.testing.assert_close(onnx_forward(path)(with_noise_map(x, sigma)), model(with_noise_map(x, sigma)),
                                       rtol=1e-4, atol=1e-4)


def test_onnx_export_traces_each_bilinear_resize_as_one_operator_and_pt2_keeps_torchs() -> None:
    """Inside `resize_traced_as`, torch.export traces each bilinear resize as `scn::bilinear_resize` (what ONNX
    export translates to a Resize node), one per resize the plain trace holds; eager calls there are untouched, and
    outside it (the .pt2 export) no scn operator is traced."""
    from conftest import TINY
    from scn.inference.export import _example_and_shapes, _one_op_resize, for_export
    from scn.layers.resample import resize_traced_as

    one_op = _one_op_resize()
    if one_op is None:
        pytest.skip("this torch has no custom operators or ONNX translation tables: F.interpolate is traced")
    model = for_export(scn.create_model("scn_small_x2", **TINY))
    example, shapes = _example_and_shapes(model)

    def targets(program: torch.export.ExportedProgram) -> list[str]:
        return [str(n.target) for n in program.graph.nodes if n.op == "call_function"]

    with torch.no_grad():
        plain = targets(torch.export.export(model, (example,), dynamic_shapes=shapes))
        calls: list[tuple] = []
        with resize_traced_as(lambda *args: calls.append(args)):
            model(example)  # eager: F.interpolate, not the operator
        assert calls == []
        with resize_traced_as(one_op[0]):
            traced = targets(torch.export.export(model, (example,), dynamic_shapes=shapes))
    resizes = sum("upsample_bilinear2d" in t for t in plain)
    assert resizes > 0 and not any("scn." in t for t in plain)
    assert sum(t == "scn.bilinear_resize.default" for t in traced) == resizes
    assert not any("upsample_bilinear2d" in t for t in traced)
