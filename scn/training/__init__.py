"""Training: config schema, deterministic patch data, LR schedules, the resumable loop."""

from .config import TrainConfig, config_from_dict, load_config
from .loop import Trainer

__all__ = ["TrainConfig", "Trainer", "load_config", "config_from_dict"]
