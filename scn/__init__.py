"""scn: scale-wise convolution (Fan, Yu, Liu, Huang, AAAI 2020) for image restoration."""

from __future__ import annotations

from .allocator import keep_freed_memory
from .archs import RestorationNet, build
from .checkpoint import load_model, read_metadata, save_model
from .complexity import count_params, macs_per_pixel
from .config import ModelConfig, architecture_names, get_config, model_names, register_architecture
from .data.resize import imresize
from .errors import CheckpointError, ConfigError, ScnError
from .inference.api import restore
from .inference.engine import Restorer
from .models import create_model
from .resolve import resolve
from .tasks import Task, get_task, register_task, task_names
from .version import __version__

__all__ = ["__version__", "RestorationNet", "build", "create_model", "get_config", "model_names", "load_model",
           "save_model", "read_metadata", "count_params", "macs_per_pixel", "ModelConfig", "ScnError",
           "ConfigError", "CheckpointError", "restore", "Restorer", "resolve", "imresize", "Task", "get_task",
           "register_task", "task_names", "architecture_names", "register_architecture", "keep_freed_memory"]
