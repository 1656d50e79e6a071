"""scn: scale-wise convolution (Fan, Yu, Liu, Huang, AAAI 2020) for image restoration."""

from __future__ import annotations

__version__ = "0.1.0"

from .allocator import keep_freed_memory
from .archs import RestorationNet, build
from .checkpoint import load_model, read_metadata, save_model
from .complexity import count_params, macs_per_pixel
from .config import ModelConfig
from .errors import CheckpointError, ConfigError, ScnError
from .inference.api import restore
from .models import create_model
from .registry import get_config, model_names

__all__ = ["__version__", "RestorationNet", "build", "create_model", "get_config", "model_names", "load_model",
           "save_model", "read_metadata", "count_params", "macs_per_pixel", "ModelConfig", "ScnError",
           "ConfigError", "CheckpointError", "restore", "keep_freed_memory"]
