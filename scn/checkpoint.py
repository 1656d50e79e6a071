"""Self-describing checkpoints: safetensors whose metadata rebuild the model with no other file.

Metadata keys: `format` = "scn", `format_version`, `config` (JSON of every ModelConfig field), each field again
as its own key for people reading the header (`arch`, `num_blocks`, ...), `scn_version`, `dtype`, free-form
`notes` (training notes), and `data_sha256`, the sha256 of the tensor bytes, checked on load (a bit flipped on
disk is caught; safetensors itself checks only the header). Weights are loaded only through safetensors: nothing
is ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from .archs import RestorationNet, build
from .atomic import atomic_write
from .config import ModelConfig
from .errors import CheckpointError, ConfigError
from .version import __version__

FORMAT = "scn"
FORMAT_VERSION = "1"


def save_model(model: RestorationNet, path: str | os.PathLike[str], *, half: bool = False, notes: str = "",
               extra_metadata: dict[str, str] | None = None) -> Path:
    """Write `model` to `path` (safetensors) atomically; `half` stores fp16 weights. Returns the path."""
    path = Path(path)
    config = model.config
    tensors = {k: (v.detach().half() if half and v.is_floating_point() else v.detach()).cpu().contiguous()
               for k, v in model.state_dict().items()}
    metadata = {"format": FORMAT, "format_version": FORMAT_VERSION, "scn_version": __version__,
                "config": json.dumps(config.to_dict(), sort_keys=True), "notes": notes,
                "dtype": "float16" if half else "float32"}
    metadata.update({k: str(v) for k, v in config.to_dict().items()})
    metadata.update(extra_metadata or {})
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: str) -> None:  # the tensor bytes do not depend on the header: hash them, then write again
        save_file(tensors, tmp, metadata=metadata)
        save_file(tensors, tmp, metadata={**metadata, DATA_HASH: data_sha256(tmp)})

    return atomic_write(path, write)


DATA_HASH = "data_sha256"


def data_sha256(path: str | os.PathLike[str]) -> str:
    """The sha256 of a safetensors file's tensor bytes (all after its header)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        header = int.from_bytes(f.read(8), "little")
        f.seek(8 + header)
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """The metadata of an scn checkpoint; CheckpointError if `path` is not one."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as e:
        hint = " (a PyTorch pickle: scn reads only safetensors)" if _looks_like_pickle(path) else ""
        raise CheckpointError(f"{path}: not a safetensors file{hint}: {e}") from None
    if metadata.get("format") != FORMAT or "config" not in metadata:
        raise CheckpointError(f"{path}: a safetensors file but not an scn checkpoint (no scn metadata); "
                              "save models with scn.save_model")
    return metadata


def read_config(path: str | os.PathLike[str], metadata: dict[str, str] | None = None) -> ModelConfig:
    """The configuration the checkpoint at `path` records (from its `metadata` when already read), without reading
    its weights; CheckpointError when it cannot be read."""
    metadata = read_metadata(path) if metadata is None else metadata
    try:
        return ModelConfig.from_dict(json.loads(metadata["config"]))
    except (json.JSONDecodeError, ConfigError, TypeError) as e:
        raise CheckpointError(f"{path}: its model config cannot be read: {e}") from None


def load_model(path: str | os.PathLike[str], *, device: str | torch.device = "cpu",
               dtype: torch.dtype = torch.float32) -> RestorationNet:
    """Rebuild the model stored at `path` from its metadata alone and load its weights (eval mode)."""
    metadata = read_metadata(path)
    config = read_config(path, metadata)
    if DATA_HASH in metadata and data_sha256(path) != metadata[DATA_HASH]:
        raise CheckpointError(f"{path}: damaged: its weights fail their checksum (the file changed on disk after it "
                              "was written); use another copy, or the run's checkpoint before it")
    model = build(config)
    tensors: dict[str, Any] = {}
    with safe_open(str(path), framework="pt") as f:
        for key in f.keys():
            tensors[key] = f.get_tensor(key)
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as e:
        first = str(e).strip().splitlines()[0]
        raise CheckpointError(f"{path}: weights do not match its config ({first})") from None
    model.checkpoint_metadata = metadata  # type: ignore[assignment]
    return model.to(device=device, dtype=dtype).eval()


def _looks_like_pickle(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(4)
    return head[:2] == b"PK" or head[:1] == b"\x80"


