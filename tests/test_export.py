"""Export: ONNX Runtime equals PyTorch on an unseen size; pt2 and the TorchScript message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import scn
from scn.cli.main import main
from conftest import cli, photo_crop


# -- export ------------------------------------------------------------------------------------------------------

def test_onnx_runtime_equals_pytorch_on_an_unseen_size(sr_ckpt: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    onnx_path = tmp_path / "m.onnx"
    assert main(["export", "--model", str(sr_ckpt), "--format", "onnx", "-o", str(onnx_path)]) == 0
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


def test_pt2_export_and_torchscript_message(sr_ckpt: Path, tmp_path: Path, capsys) -> None:
    assert main(["export", "--model", str(sr_ckpt), "--format", "pt2", "-o", str(tmp_path / "m.pt2")]) == 0
    program = torch.export.load(tmp_path / "m.pt2").module()
    x = torch.rand(1, 3, 29, 43)
    with torch.no_grad():
        torch.testing.assert_close(program(x), scn.load_model(sr_ckpt)(x))
    assert main(["export", "--model", str(sr_ckpt), "--format", "torchscript", "-o", str(tmp_path / "m.pt")]) == 2
    assert "use --format pt2" in capsys.readouterr().err
