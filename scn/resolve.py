"""One resolver for every place a model is named (`scn restore / benchmark / export / info`, `scn.restore`).

A spec is, in this order: a checkpoint file (`.safetensors`, or any existing file); `scn`, the shipped default
for the task and setting; a shipped model's name (`scn_small_x2.bicubic`) or one of its older names
(`scn_sr_x2`); a registered configuration (`scn_small_x2`), which means its shipped weights where weights are
needed (timm's default tag) and the configuration itself where not (`scn info`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .archs import RestorationNet
from .checkpoint import load_model, read_config
from .config import ModelConfig, get_config, model_names
from .errors import CheckpointError, ScnError, did_you_mean
from .tasks import Task, get_task
from .zoo import (DEFAULT, Pretrained, find_pretrained, former_file_entry, load_pretrained, named_entries,
                  pretrained_models, shipped_path, verified_path)

CHECKPOINT_SUFFIXES = (".safetensors",)


class ResolveError(ScnError):
    """A model spec that names nothing, or a model that does not do what was asked."""


@dataclass(frozen=True)
class ModelSource:
    """Where a named model comes from: a checkpoint file, shipped weights, or a bare registered configuration."""

    spec: str
    kind: str  # 'checkpoint' | 'pretrained' | 'config'
    config: ModelConfig
    path: Path | None = None
    entry: Pretrained | None = None

    @property
    def label(self) -> str:
        """A short name for tables: the file's stem, the shipped name, or the registered name."""
        if self.path is not None:
            return self.path.stem
        return self.entry.name if self.entry is not None else self.spec

    def load(self) -> RestorationNet:
        """The model with its weights (shipped files are checked against their sha256)."""
        if self.kind == "checkpoint":
            assert self.path is not None
            return load_model(self.path)
        if self.kind == "pretrained":
            assert self.entry is not None
            return load_pretrained(self.entry)
        raise ResolveError(f"{self.spec!r} is an architecture without trained weights; train it with `scn train` "
                           "or pick shipped weights (`scn models --pretrained`)")


def shipped_config(entry: Pretrained) -> ModelConfig:
    """The configuration a shipped file records; a file that cannot be read is checked against its sha256 first,
    so a damaged one is named as such (ZooError), with the repair."""
    try:
        return read_config(shipped_path(entry))
    except CheckpointError:
        verified_path(entry)
        raise


def is_checkpoint_path(spec: str | Path) -> bool:
    return Path(spec).suffix in CHECKPOINT_SUFFIXES or Path(spec).is_file()


def accepted_names() -> list[str]:
    """Every name a command accepts besides file paths: `scn`, shipped names and their older names, and the
    registered configurations."""
    shipped = [n for e in pretrained_models() for n in (e.name, *e.aliases)]
    return [DEFAULT, *shipped, *[n for n in model_names() if n not in shipped]]


def resolve(spec: str | Path, task: Task | str | None = None, setting: int | None = None,
            weights: bool = True, channels: int | None = None, noise_clipped: bool = True) -> ModelSource:
    """What `spec` names. With `task` (and `setting`: SR scale, sigma, quality), shipped weights are chosen to
    cover them (of `channels`, 3 for colour pictures, where such weights ship; trained on noise clipped as in
    stored pictures unless `noise_clipped` is False, see `find_pretrained`) and the model is checked to do that
    task. `weights=False` (describing, not running): a registered name is its configuration, even where it is also
    an older name of shipped weights (`scn_denoise`)."""
    text = str(spec)
    task = None if task is None else get_task(task)  # the public API takes a task's name too
    if is_checkpoint_path(spec) and (former := former_file_entry(Path(spec))) is not None:
        source = ModelSource(text, "pretrained", shipped_config(former), entry=former)
    elif is_checkpoint_path(spec):
        path = Path(spec)
        source = ModelSource(text, "checkpoint", read_config(path), path=path)
    elif not weights and text in model_names():
        source = ModelSource(text, "config", get_config(text))
    elif text == DEFAULT or named_entries(text):
        if task is None:
            if text == DEFAULT:
                raise ResolveError(f"{DEFAULT!r} means the shipped default of a task; name the task, or a model "
                                   "(`scn models --pretrained`)")
            entries = named_entries(text)
            if len(entries) > 1:
                raise ResolveError(f"{text!r} has several shipped weights ({', '.join(e.name for e in entries)}); "
                                   "name one")
            entry = entries[0]
        else:
            entry = find_pretrained(text, task, setting, channels, noise_clipped)
        source = ModelSource(text, "pretrained", shipped_config(entry), entry=entry)
    else:
        check_known(text)
        if weights:
            find_pretrained(text, task or get_config(text).task, setting)  # raises, naming what ships
        source = ModelSource(text, "config", get_config(text))
    if task is not None:
        check_fits(source.config, task, setting, source.label)
    return source


def check_known(spec: str) -> None:
    """ResolveError, with the closest names, unless `spec` is a checkpoint path or a name `resolve` takes."""
    if is_checkpoint_path(spec) or spec == DEFAULT or named_entries(spec) or spec in model_names():
        return
    raise ResolveError(f"unknown model {spec!r} (neither a checkpoint file nor a model name); "
                       f"{did_you_mean(spec, accepted_names(), 3)}`scn models --pretrained` lists shipped weights, "
                       "`scn models` the configurations")


def check_fits(config: ModelConfig, task: Task, setting: int | None, label: str = "the model") -> None:
    """ResolveError unless a model of `config` restores `task` at `setting`."""
    if config.task != task:
        raise ResolveError(f"{label} is a {config.task.name!r} model, not a {task.name!r} one")
    if setting is not None and config.scale != task.model_scale(setting):
        raise ResolveError(f"{label} is x{config.scale}, not x{setting}")
