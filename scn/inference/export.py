"""`scn export`: ONNX, and torch.export programs (`.pt2`), with dynamic height and width: the pyramid's
padding and the crop back are inside the graph."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from ..archs import RestorationNet
from ..atomic import atomic_write
from ..config import ModelConfig
from ..errors import ScnError
from ..layers.conv import inference_copy

MAX_SIDE = 16384
CONFIG_KEY = "scn_config"  # the ONNX metadata entry holding the model's config (JSON)


def min_side(model: RestorationNet) -> int:
    """The smallest height/width an exported graph accepts: every pyramid level at least 2 pixels."""
    return model.config.architecture.min_side(model.config)


def for_export(model: RestorationNet) -> RestorationNet:
    """A copy with weight norm folded into plain weights (no norm in the graph), in fp32, in eval mode."""
    return inference_copy(model).float()


def _example_and_shapes(model: RestorationNet) -> tuple[torch.Tensor, dict]:
    """An example input and symbolic height / width in [min_side, MAX_SIDE]."""
    lo = min_side(model)
    h, w = torch.export.Dim("height", min=lo, max=MAX_SIDE), torch.export.Dim("width", min=lo, max=MAX_SIDE)
    align = model.config.architecture.size_multiple(model.config)
    example = torch.rand(1, model.config.in_channels, 3 * lo, 3 * lo + align)
    return example, {"x": {2: h, 3: w}}


def _add_metadata(path: str, model: RestorationNet) -> None:
    """Store the model's config in the ONNX file, so `scn restore --backend onnxruntime` needs nothing else."""
    import onnx

    proto = onnx.load(path)
    entry = proto.metadata_props.add()
    entry.key, entry.value = CONFIG_KEY, json.dumps(model.config.to_dict())
    onnx.save(proto, path)


def read_onnx_config(path: str | Path) -> ModelConfig:
    """The config `scn export` stored in an ONNX file (what a Restorer needs besides the graph)."""
    try:
        import onnx
    except ImportError:
        raise ScnError("reading an ONNX model needs onnx and onnxruntime: pip install 'scn[onnx]'") from None
    path = Path(path)
    if not path.is_file():
        raise ScnError(f"{path}: no such file")
    proto = onnx.load(str(path), load_external_data=False)
    meta = {p.key: p.value for p in proto.metadata_props}
    if CONFIG_KEY not in meta:
        raise ScnError(f"{path}: an ONNX file without scn metadata; export it with `scn export`")
    return ModelConfig.from_dict(json.loads(meta[CONFIG_KEY]))


def export_onnx(model: RestorationNet, path: str | Path, opset: int | None = None) -> Path:
    """Export with torch.export (dynamo) and symbolic height/width in [min_side, 16384]."""
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError:
        raise ScnError("ONNX export needs onnx and onnxscript: pip install 'scn[onnx]'") from None
    model = for_export(model)
    example, shapes = _example_and_shapes(model)
    kwargs = {"opset_version": opset} if opset else {}

    def write(tmp: str) -> None:
        torch.onnx.export(model, (example,), tmp, dynamo=True, external_data=False, verbose=False,
                          dynamic_shapes=shapes, input_names=["image"], output_names=["restored"], **kwargs)
        _add_metadata(tmp, model)

    try:
        return atomic_write(path, write)
    except Exception as e:  # noqa: BLE001 - the exporter raises many types
        raise ScnError(f"ONNX export failed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") \
            from None


def export_program(model: RestorationNet, path: str | Path) -> Path:
    """A torch.export ExportedProgram (`.pt2`, load with `torch.export.load(path).module()`), height and width
    symbolic. TorchScript cannot hold this: tracing bakes the pyramid's sizes into constants."""
    model = for_export(model)
    example, shapes = _example_and_shapes(model)
    program = torch.export.export(model, (example,), dynamic_shapes=shapes)
    return atomic_write(path, lambda tmp: torch.export.save(program, tmp))
