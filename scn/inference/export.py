"""`scn export`: ONNX, and torch.export programs (`.pt2`), with dynamic height and width: the pyramid's
padding and the crop back are inside the graph."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import logging
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from ..archs import RestorationNet
from ..atomic import atomic_write
from ..config import ModelConfig
from ..errors import ScnError
from ..layers.conv import inference_copy
from ..layers.resample import bilinear, resize_traced_as

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


@contextlib.contextmanager
def _exporter_notes_kept_quiet() -> Iterator[None]:
    """Without the exporters' notes a user can do nothing about (that torchvision's operators are skipped where it
    is not installed; torch's own deprecation of a pytree class; the .pt2 writer's doubt about non-CPU weights);
    their errors still show."""
    exporter_log = logging.getLogger("torch.onnx")
    level = exporter_log.level
    exporter_log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*LeafSpec", category=FutureWarning)
            warnings.filterwarnings("ignore", message="No complete tensor found")  # .pt2 of CPU weights
            yield
    finally:
        exporter_log.setLevel(level)


@functools.cache
def _one_op_resize() -> tuple[Callable, Callable] | None:
    """The bilinear resize as one custom operator (`scn::bilinear_resize`) and its ONNX translation (the Resize node
    torch's exporter writes for F.interpolate; the same file but for a few shape nodes): traced whole instead of as
    F.interpolate's decomposition under symbolic sizes, ONNX export takes a quarter to a third less time
    (benchmarks/export_time.py). None where torch cannot (no custom operators or translation tables)."""
    if not hasattr(torch.library, "custom_op") or \
            "custom_translation_table" not in inspect.signature(torch.onnx.export).parameters:
        return None
    from onnxscript import opset18 as onnx_op

    @torch.library.custom_op("scn::bilinear_resize", mutates_args=())
    def resize(x: torch.Tensor, height: int, width: int, align_corners: bool) -> torch.Tensor:
        return bilinear(x, (height, width), align_corners)  # eager (not exporting): the layers' own resize

    @resize.register_fake
    def _(x: torch.Tensor, height: int, width: int, align_corners: bool) -> torch.Tensor:
        return x.new_empty(x.shape[0], x.shape[1], height, width)

    def to_onnx(x, height, width, align_corners: bool):  # noqa: ANN001, ANN202 - onnxscript values
        one = onnx_op.Constant(value_ints=[1])
        sizes = onnx_op.Concat(onnx_op.Shape(x, start=0, end=2), onnx_op.Reshape(onnx_op.Cast(height, to=7), one),
                               onnx_op.Reshape(onnx_op.Cast(width, to=7), one), axis=0)  # to=7: INT64
        return onnx_op.Resize(x, None, None, sizes, mode="linear", coordinate_transformation_mode=(
            "align_corners" if align_corners else "pytorch_half_pixel"))

    return resize, to_onnx


def export_onnx(model: RestorationNet, path: str | Path, opset: int | None = None) -> Path:
    """Export with torch.export (dynamo) and symbolic height/width in [min_side, 16384]."""
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError:
        raise ScnError("ONNX export needs onnx and onnxscript: pip install 'scn[onnx]'") from None
    model = for_export(model)
    example, shapes = _example_and_shapes(model)
    kwargs: dict = {"opset_version": opset} if opset else {}
    one_op = _one_op_resize() if opset is None or opset >= 18 else None
    if one_op is not None:
        kwargs["custom_translation_table"] = {torch.ops.scn.bilinear_resize.default: one_op[1]}

    def write(tmp: str) -> None:
        with resize_traced_as(one_op[0]) if one_op else contextlib.nullcontext(), _exporter_notes_kept_quiet():
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
    with _exporter_notes_kept_quiet():
        return atomic_write(path, lambda tmp: torch.export.save(program, tmp))
