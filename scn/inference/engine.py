"""`Restorer`: the one inference engine. A network (PyTorch, or ONNX Runtime) applied to pictures or tensors:
colour handling, tiling, self-ensemble. `scn restore`, `scn.restore`, `scn demo`, `scn benchmark` and training's
validation all restore through it."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..archs import RestorationNet, with_noise_map
from ..config import ModelConfig
from ..cpu import cpu_has_bf16, cpu_has_int8_dot
from ..data.color import rgb_to_ycbcr, ycbcr_to_rgb
from ..data.noise_level import estimate_sigma
from ..data.resize import imresize
from ..errors import ScnError, ScnWarning
from ..layers.conv import inference_copy
from ..progress import Progress
from .ensemble import self_ensemble
from .images import Picture, image_from_tensor, tensor_from_image
from .int8 import check_precision, fp32_only, int8_model
from .tiling import Footprint, auto_tile, tiled_forward, tiling_error_db


INT8_MEMORY_SHARE = 0.25  # of the memory budget an int8 restore sizes its tiles by (at_precision)
NO_INT8_CPU = ("this CPU has no 8-bit multiply-add instructions (AVX2, VNNI or Arm dot product): restoring in "
               "fp32")
NO_BF16_CPU = ("this CPU has no bf16 instructions (AVX-512 BF16 or AMX), so bf16 would be emulated, slower than fp32: "
               "restoring in fp32")
_SAID: set[str] = set()  # the precision notes said (once per process)


class TilingWarning(ScnWarning):
    """Tiles will change the output of a model whose pyramid is not tile-exact."""


GRAY_NOISE = ("a colour denoiser does not restore a gray picture, nor an RGB one whose colours lie on one line (R = G = "
              "B, or a toned black-and-white photo): its noise is alike in every channel, and colour denoisers learn "
              "noise independent in R, G and B; take a gray denoiser (with no model named, the shipped default for "
              "such a picture is gray)")
DEFAULT_MAX_MEMORY = 1.5e9  # bytes of activations before tiling switches on
MIN_SIDE = 4


class Restorer:
    """Restores `Picture`s (or (1, C, H, W) tensors) with one network.

    `model`: a network of the family (its footprint is read from its config), or any module with `footprint`
    given (the peers); or no model and a `forward` function with `config` (an ONNX Runtime session).
    Colour handling: an RGB model on a gray picture sees it repeated to 3 channels and returns their mean (but for
    a colour denoiser, which refuses gray and monochrome pictures: their noise is alike in R, G and B); a gray model
    (denoise, JPEG) on a colour picture works on BT.601 Y and keeps Cb/Cr (bicubic-upscaled for SR), and a gray
    denoiser on a monochrome one (`scn.data.monochrome`: R = G = B, exactly that channel, or toned) on its luma,
    toned back.
    Alpha is resized bicubically on its own (SR) or kept (restoration). `noise_level`: the sigma (0-255 scale)
    a denoiser with a noise-level input (`noise_map`) is told; None: estimated from each picture
    (`scn.data.noise_level`, Chen et al. 2015) and kept in `estimated_level`; other models ignore it. `bf16`: the
    network runs under bf16 autocast (`at_precision` decides where that pays).
    """

    def __init__(self, model: nn.Module | None = None, *, config: ModelConfig | None = None,
                 footprint: Footprint | None = None, forward: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 device: str = "cpu", half: bool = False, ensemble: bool = False, tile: int | None = None,
                 tile_overlap: int | None = None, max_memory: float = DEFAULT_MAX_MEMORY, progress: bool = False,
                 compile: bool = False, on_tile: Callable[[int, int], None] | None = None,
                 noise_level: float | None = None, bf16: bool = False) -> None:
        if isinstance(model, RestorationNet):
            config = model.config
        if footprint is None:
            if config is None:
                raise ValueError("Restorer needs a network of the family, a config, or a footprint")
            footprint = Footprint.of(config)
        if model is None and forward is None:
            raise ValueError("Restorer needs a model or a forward function")
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ScnError(f"device {device!r} asked for, but no CUDA device is available; use the CPU")
        if half and bf16:
            raise ScnError("half (fp16 weights) and bf16 (autocast) are two precisions; choose one")
        if half and not device.startswith("cuda"):
            raise ScnError("half precision needs a CUDA device (fp16 is slow or unsupported on the CPU)")
        self.config, self.footprint = config, footprint
        self.told = config is not None and config.noise_map  # a denoiser told the noise level (its map)
        self.noise_level = noise_level if self.told else None
        self.estimated_level: float | None = None  # the level estimated for the last picture, when none was given
        self.device, self.half, self.ensemble, self.bf16 = device, half, ensemble, bf16
        self.tile, self.max_memory, self.progress, self.on_tile = tile, max_memory, progress, on_tile
        self.overlap = footprint.overlap if tile_overlap is None else tile_overlap
        self._model: nn.Module | None = None
        self._warned = False
        if model is not None:
            model = inference_copy(model, device)
            if half:
                model = model.half()
            if compile:
                # freezing folds weight norm and constants for inference (an inductor option: importing
                # torch._inductor to set it would cost every `import scn` a second)
                model = torch.compile(model, dynamic=False, options={"freezing": True})
            self._model = model
        self._forward = forward

    @classmethod
    def at_precision(cls, model: RestorationNet, precision: str = "fp32", **options: Any) -> "Restorer":
        """A restorer of `model` in `precision`: fp32 (PyTorch); bf16 (PyTorch under bf16 autocast: weights
        fp32, convolutions in bf16), which falls back to fp32 with a note on a CPU without bf16 instructions; or
        int8 (its quantized ONNX file run by ONNX Runtime, scn/inference/int8.py), which falls back to fp32 with a
        note on a CPU without 8-bit multiply-adds. `options` as for the constructor."""
        device = options.get("device", "cpu")
        check_precision(precision, device)
        reason = None
        if precision == "int8":
            reason = fp32_only(model.shipped_name) or (None if cpu_has_int8_dot() else NO_INT8_CPU)
        elif precision == "bf16" and device.startswith("cpu") and not cpu_has_bf16():
            reason = NO_BF16_CPU
        if reason:
            if reason not in _SAID:  # once per process
                _SAID.add(reason)
                warnings.warn(ScnWarning(reason), stacklevel=2)
            precision = "fp32"
        if precision in ("fp32", "bf16"):
            return cls(model, bf16=precision == "bf16", **options)
        options.pop("compile", None)
        options.pop("half", None)
        # ONNX Runtime holds more per tile than PyTorch, and ran big tiles slower: on the 2000x1500 x2 restore
        # (benchmarks/int8.py speed) a quarter of the budget gave 16 s and 1.2 GB against 27 s and 2.4 GB
        options["max_memory"] = options.get("max_memory", DEFAULT_MAX_MEMORY) * INT8_MEMORY_SHARE
        session: list[Callable[[torch.Tensor], torch.Tensor]] = []

        def forward(x: torch.Tensor) -> torch.Tensor:  # quantized at first use (a restorer made and not used costs
            if not session:                           # nothing)
                session.append(onnx_forward(int8_model(model)))
            return session[0](x)

        return cls(config=model.config, forward=forward, **options)

    def network(self, x: torch.Tensor) -> torch.Tensor:
        """The bare network on a (1, C, h, w) float tensor in [0, 1] (the noise-level map added where it takes one)."""
        if self.told:
            level = self.noise_level if self.noise_level is not None else self.estimated_level
            x = with_noise_map(x, 0.0 if level is None else level)
        if self._forward is not None:
            return self._forward(x)
        assert self._model is not None
        with torch.inference_mode(), torch.autocast(torch.device(self.device).type, torch.bfloat16, enabled=self.bf16):
            x = x.to(self.device, torch.float16 if self.half else torch.float32)
            return self._model(x.contiguous(memory_format=torch.channels_last)).float()

    def run(self, x: torch.Tensor) -> torch.Tensor:
        """Network (with ensemble) over tiles when needed; (1, C, h, w) -> (1, C, h*s, w*s) on the CPU."""
        h, w = x.shape[-2:]
        tile = self.tile if self.tile is not None else auto_tile(self.footprint, h, w, self.max_memory)
        fn = (lambda t: self_ensemble(self.network, t)) if self.ensemble else self.network
        if tile and (h > tile or w > tile) and self.footprint.inexact and not self._warned:
            self._warned = True
            self._warn_inexact(x, tile)
        bars: list[Progress] = []

        def report(done: int, total: int) -> None:  # a tile counter (a line every 30 s in a log)
            if self.on_tile is not None:
                self.on_tile(done, total)
            if self.progress:
                if not bars:
                    bars.append(Progress(total, "  tiles", "tiles", leave=False))
                bars[0].update(1)

        out = tiled_forward(fn, x, self.footprint.scale, tile, self.overlap, self.footprint.alignment,
                            report if (self.progress or self.on_tile) and tile else None)
        for bar in bars:
            bar.close()
        return out

    def _warn_inexact(self, x: torch.Tensor, tile: int) -> None:
        """One warning that tiles will change this model's output, with how much on a sample of this image."""
        forced = self.tile is not None
        align = self.footprint.alignment
        sample_tile = tile if forced else max(4 * align, tile // 2 // align * align)  # a sample within the budget
        db = tiling_error_db(self.network, x, self.footprint.scale, sample_tile, min(self.overlap, sample_tile // 2),
                             self.footprint.alignment)
        how = "drop the forced tile size" if forced else "raise the memory budget so the image fits whole"
        warnings.warn(TilingWarning(
            f"this model is not tile-exact ({self.footprint.inexact}); tiled output differs from a whole-image "
            f"run by about {db:.1f} dB PSNR on a sample of this image. To avoid it, {how}, or use a model with "
            "align_corners=False (the shipped ones)"), stacklevel=3)

    def restore_image(self, color: np.ndarray) -> np.ndarray:
        """(H, W, C) float in [0, 1] with the model's channels -> the restored (H*s, W*s, C) float32 in [0, 1]."""
        if self.told and self.noise_level is None:
            self.estimated_level = round(estimate_sigma(color), 1)
        return image_from_tensor(self.run(tensor_from_image(color)))

    def restore(self, pic: Picture) -> Picture:
        h, w = pic.color.shape[:2]
        if min(h, w) < MIN_SIDE:
            raise ScnError(f"the image is {w}x{h}; scn restores images of at least {MIN_SIDE}x{MIN_SIDE} pixels")
        s, model_channels = self.footprint.scale, self.footprint.channels
        color = pic.color
        gray = pic.gray if self.config is None else pic.gray_for(self.config.task)  # denoising: monochrome is gray
        if model_channels == 3:
            if gray and self.config is not None and self.config.task.adds_noise:
                raise ScnError(GRAY_NOISE)
            rgb = np.repeat(color, 3, axis=2) if pic.gray else color
            out = self.restore_image(rgb)
            out = out.mean(axis=2, keepdims=True) if pic.gray else out
        elif pic.gray:
            out = self.restore_image(color)
        elif gray:  # denoising a monochrome RGB picture: its luma (R = G = B: that one channel), toned back
            line = pic.monochrome
            out = line.colour(self.restore_image(line.luma(color)))
        else:  # a gray model on a colour picture: Y through the model, Cb/Cr kept
            ycbcr = rgb_to_ycbcr(color)
            y = self.restore_image((ycbcr[..., :1] / 255.0).astype(np.float32)) * 255.0
            cbcr = ycbcr[..., 1:] if s == 1 else imresize(ycbcr[..., 1:], float(s))
            out = np.clip(ycbcr_to_rgb(np.concatenate([y, cbcr], axis=2)), 0, 1).astype(np.float32)
        alpha = pic.alpha
        if alpha is not None and s > 1:
            alpha = np.clip(imresize(alpha, float(s)), 0, 1)
        return Picture(out, alpha, pic.bits, pic.exif, pic.icc)


def onnx_forward(path: str | Path, device: str = "cpu") -> Callable[[torch.Tensor], torch.Tensor]:
    """A forward function running an exported ONNX model with ONNX Runtime (the `onnxruntime` extra)."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise ScnError("running an ONNX model needs the onnxruntime package: pip install 'scn[onnx]'") from None
    providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if device.startswith("cuda") else \
        ["CPUExecutionProvider"]
    options = ort.SessionOptions()
    options.enable_cpu_mem_arena = False  # tiles of several sizes would otherwise grow the arena (RSS) for good
    options.intra_op_num_threads = torch.get_num_threads()  # the threads torch was given (torch.set_num_threads)
    session = ort.InferenceSession(str(path), sess_options=options, providers=providers)
    name = session.get_inputs()[0].name

    def forward(x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(session.run(None, {name: x.float().cpu().numpy()})[0])

    return forward
