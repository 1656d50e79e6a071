"""8-bit integer inference on the CPU: a network's ONNX export, statically quantized with ONNX Runtime.

What is quantized was chosen by measurement (docs/speed.md, "int8"): the body's convolutions and their ReLUs run
in int8 (weights per output channel, activations per tensor, QDQ format, which ONNX Runtime fuses into integer
convolutions); the head, the tail and the SR skip conv, and every sum (the residual adds, the scale-wise fusion's
resampled terms, the global skip) stay in float. Quantizing the sums too is 1.3x faster but costs 0.2 dB.

Calibration needs no data on the user's machine: 16 crops of the demo photo that ships with matplotlib (Grace
Hopper's portrait; no model is scored on it), degraded for the model's task (SR: bicubic; denoising: noise of
sigma 5-55; JPEG: quality 10-90), fixed by a seed. The quantized file is made once per model and cached
(`$SCN_CACHE/int8`, default ~/.cache/scn/int8), keyed by the weights, the config and the library versions.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from ..archs import RestorationNet, with_noise_map
from ..atomic import atomic_write
from ..data.resize import imresize
from ..data.samples import demo_photo
from ..errors import ScnError
from ..version import __version__
from .export import CONFIG_KEY, export_onnx

PRECISIONS = ("fp32", "bf16", "int8")
QUANTIZED_OPS = ["Conv", "Relu"]
PRECISION_KEY = "scn_precision"
CALIBRATION_CROPS = 16
CALIBRATION_SIZE = 64  # of the network's input (LR for SR)
_LUMA = np.array([65.481, 128.553, 24.966])


MARKS_FILE = Path(__file__).resolve().parents[1] / "weights" / "int8.json"
LOSS_LIMIT_DB = 0.05


def fp32_only(name: str | None) -> str | None:
    """Why shipped model `name` is restored in fp32 even when int8 is asked for (its int8 loss on a dev set is
    above LOSS_LIMIT_DB, measured by benchmarks/int8.py and kept in weights/int8.json); None when it is not."""
    if name is None or not MARKS_FILE.is_file():
        return None
    mark = json.loads(MARKS_FILE.read_text()).get("fp32_only", {}).get(name)
    if mark is None:
        return None
    return (f"{name} loses {mark['loss_db']:.2f} dB in int8 on {mark['on']} (more than {LOSS_LIMIT_DB} dB; "
            "docs/speed.md): restoring it in fp32 (`scn export --int8` writes its int8 file all the same)")


def check_precision(precision: str, device: str = "cpu") -> str:
    """`precision` checked: fp32, bf16 (autocast; pays on CUDA and on a CPU with AMX or AVX-512 BF16) or int8
    (CPU only)."""
    if precision not in PRECISIONS:
        raise ScnError(f"precision {precision!r} is not allowed; choose one of {', '.join(PRECISIONS)}")
    if precision == "int8" and not device.startswith("cpu"):
        raise ScnError("int8 runs on the CPU (ONNX Runtime's integer kernels); drop --device or use --precision fp32")
    return precision


def calibration_inputs(model: RestorationNet) -> list[np.ndarray]:
    """The 16 (1, C, 64, 64) float32 inputs the activation ranges are measured on (module docstring)."""
    config, task = model.config, model.config.task
    photo = demo_photo().astype(np.float64) / 255.0
    rng = np.random.RandomState(0)
    s = config.scale
    inputs = []
    for i in range(CALIBRATION_CROPS):
        size = CALIBRATION_SIZE * s
        y, x = rng.randint(0, photo.shape[0] - size), rng.randint(0, photo.shape[1] - size)
        crop = photo[y:y + size, x:x + size]
        if config.channels == 1:
            crop = ((crop @ _LUMA + 16.0) / 255.0)[..., None]
        if s > 1:
            degraded = imresize(crop, 1.0 / s)
        elif task.adds_noise:
            sigma = 5.0 + 50.0 * i / (CALIBRATION_CROPS - 1)
            degraded = crop + rng.normal(0.0, sigma / 255.0, crop.shape)
        else:
            quality = int(round(10 + 80 * i / (CALIBRATION_CROPS - 1)))
            pixels = np.round(np.clip(crop, 0, 1) * 255).astype(np.uint8)
            degraded = task.degrade(pixels[..., 0] if config.channels == 1 else pixels, quality) / 255.0
            degraded = degraded[..., None] if degraded.ndim == 2 else degraded
        tensor = torch.from_numpy(degraded.astype(np.float32).transpose(2, 0, 1)[None].copy())
        if config.noise_map:
            tensor = with_noise_map(tensor, 5.0 + 50.0 * i / (CALIBRATION_CROPS - 1))
        inputs.append(tensor.numpy())
    return inputs


def float_convs(proto: object, model: RestorationNet) -> list[str]:
    """The convolutions that stay in float: the head, the tail and the SR skip (found by their weights' shapes)."""
    c = model.config
    wanted = {(c.num_features, c.in_channels, 3, 3), (c.channels * c.scale ** 2, c.num_features, 3, 3),
              (c.channels * c.scale ** 2, c.channels, 5, 5)}
    graph = proto.graph  # type: ignore[attr-defined]
    shapes = {t.name: tuple(t.dims) for t in graph.initializer}
    return [n.name for n in graph.node if n.op_type == "Conv" and shapes.get(n.input[1]) in wanted]


def quantize(model: RestorationNet, path: str | Path, ops: list[str] | None = None, float_ends: bool = True,
             calibration: str = "minmax") -> Path:
    """Write `model` as a statically quantized int8 ONNX file (the scn metadata kept, plus its precision).
    `ops` (default QUANTIZED_OPS; [] for every op ONNX Runtime can quantize) and `float_ends` (head, tail and
    skip kept in float) and `calibration` (minmax, percentile, entropy) are there to compare choices
    (benchmarks/int8.py variants)."""
    try:
        import onnx
        from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                              quantize_static)
        from onnxruntime.quantization.shape_inference import quant_pre_process
    except ImportError:
        raise ScnError("int8 needs onnx and onnxruntime: pip install 'scn[onnx]'") from None
    inputs = calibration_inputs(model)
    with tempfile.TemporaryDirectory(prefix="scn-int8-") as tmp:
        exported, prepared = Path(tmp) / "fp32.onnx", Path(tmp) / "prepared.onnx"
        export_onnx(model, exported)
        quant_pre_process(str(exported), str(prepared), skip_symbolic_shape=True)
        proto = onnx.load(str(prepared))
        name = proto.graph.input[0].name
        excluded = float_convs(proto, model) if float_ends else []
        methods = {"minmax": CalibrationMethod.MinMax, "percentile": CalibrationMethod.Percentile,
                   "entropy": CalibrationMethod.Entropy}
        selection = {"op_types_to_quantize": QUANTIZED_OPS if ops is None else ops} if ops != [] else {}

        class Crops(CalibrationDataReader):
            def __init__(self) -> None:
                self.left = iter(inputs)

            def get_next(self) -> dict[str, np.ndarray] | None:
                x = next(self.left, None)
                return None if x is None else {name: x}

        def write(out: str) -> None:
            quantize_static(str(prepared), out, Crops(), quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                            nodes_to_exclude=excluded, calibrate_method=methods[calibration], **selection)
            result = onnx.load(out)
            meta = {p.key: p.value for p in result.metadata_props}
            if CONFIG_KEY not in meta:
                entry = result.metadata_props.add()
                entry.key, entry.value = CONFIG_KEY, json.dumps(model.config.to_dict())
            entry = result.metadata_props.add()
            entry.key, entry.value = PRECISION_KEY, "int8"
            onnx.save(result, out)

        return atomic_write(path, write)


class CacheUnwritable(ScnError):
    """The int8 cache folder cannot be made or written."""


def cache_dir() -> Path:
    return Path(os.environ.get("SCN_CACHE", Path.home() / ".cache" / "scn")) / "int8"


def model_key(model: RestorationNet) -> str:
    """A digest of what the quantized file depends on: weights, config, and the scn / ONNX Runtime versions."""
    import onnxruntime

    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().float().cpu().numpy().tobytes())
    digest.update(json.dumps(model.config.to_dict(), sort_keys=True).encode())
    digest.update(f"{__version__} {onnxruntime.__version__} {QUANTIZED_OPS}".encode())
    return digest.hexdigest()[:24]


def int8_model(model: RestorationNet, note: bool = True) -> Path:
    """The quantized ONNX file of `model`: from the cache, or made now (a few seconds, said on stderr)."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        raise ScnError("int8 needs onnxruntime: pip install 'scn[onnx]'") from None
    path = cache_dir() / f"{model_key(model)}.onnx"
    if not path.is_file():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CacheUnwritable(f"cannot write the int8 cache {path.parent} ({e.strerror or e}); set SCN_CACHE "
                                  "to a writable folder") from None
        if note:
            print(f"scn: quantizing the model to int8 once (cached in {path.parent})", file=sys.stderr)
        quantize(model, path)
    return path
