"""Pretrained weights shipped inside the package (the model zoo).

`scn/weights/manifest.json` lists each file: its name, older names it answers to, task, the settings it covers
(SR scale; sigma or quality range), sha256 (verified on every load), training data, steps and dev-set PSNR.

Names follow timm's `arch.tag`: the registered configuration the weights were trained in (`scn_small_x2`, see
`scn models`; the checkpoint records any option changed from it) and a tag for what they were trained on
(`bicubic` for SR, `blind` / `s25` for denoising, `blind` / `q10` for JPEG). `scn models --pretrained` prints
them; `scn.resolve` turns any of these names (or `scn`, the default for a task) into a model.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .checkpoint import load_model
from .errors import ScnError
from .registry import get_config, model_names
from .tasks import get_task

WEIGHTS_DIR = Path(__file__).parent / "weights"


class ZooError(ScnError):
    """No shipped weights for what was asked, or a shipped file that fails its checksum."""


@dataclass(frozen=True)
class Pretrained:
    name: str
    task: str
    file: str
    sha256: str
    scale: int = 1
    sigma: tuple[float, float] | None = None
    quality: tuple[int, int] | None = None
    default: bool = True
    training_data: str = ""
    steps: int = 0
    dev_psnr: dict[str, float] = field(default_factory=dict)
    notes: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def arch_name(self) -> str:
        """The registered configuration the weights were trained in (the part of the name before the tag)."""
        return self.name.split(".", 1)[0]

    @property
    def channels(self) -> int:
        """3 for a colour (RGB) model, 1 for a gray (Y) one: its registered configuration's."""
        return get_config(self.arch_name).channels if self.arch_name in model_names() else \
            get_task(self.task).channels

    @property
    def levels(self) -> tuple[float, float]:
        """The (low, high) settings the entry was trained on: (scale, scale) for SR, the noise levels or
        qualities otherwise (equal for a fixed-level model)."""
        value = getattr(self, get_task(self.task).setting)
        return (value, value) if isinstance(value, (int, float)) else tuple(value or (0, 0))  # type: ignore[return-value]

    @property
    def span(self) -> float:
        """How wide a range of settings the entry was trained on (0 for SR and fixed-level models)."""
        low, high = self.levels
        return high - low

    @property
    def blind(self) -> bool:
        """Trained over a range of noise levels / qualities, so it needs no level at run time."""
        return self.span > 0

    def covers(self, task: str, setting: int | None) -> bool:
        """Whether this entry restores `task` at `setting` (None: an unknown level, which only blind ones take)."""
        if task != self.task:
            return False
        if setting is None:
            return self.blind
        low, high = self.levels
        return low <= setting <= high

    def distance(self, setting: int | None) -> float:
        if setting is None:
            return 0.0 if self.blind else math.inf
        low, high = self.levels
        return 0.0 if low <= setting <= high else min(abs(setting - low), abs(setting - high))

    def setting_text(self) -> str:
        return get_task(self.task).range_text(*self.levels)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "aliases": list(self.aliases), "task": self.task, "file": self.file,
                             "sha256": self.sha256,
                             "default": self.default, "training_data": self.training_data, "steps": self.steps,
                             "dev_psnr": self.dev_psnr, "notes": self.notes}
        setting = get_task(self.task).setting
        value = getattr(self, setting)
        d[setting] = list(value) if isinstance(value, tuple) else value
        return d


def pretrained_models() -> tuple[Pretrained, ...]:
    """The entries of the shipped manifest (read once per weights folder)."""
    return _read_manifest(WEIGHTS_DIR / "manifest.json")


@lru_cache(maxsize=4)
def _read_manifest(manifest: Path) -> tuple[Pretrained, ...]:
    if not manifest.is_file():
        return ()
    data = json.loads(manifest.read_text())
    out = []
    for m in data.get("models", []):
        m = dict(m)
        for key in ("sigma", "quality"):
            if key in m and m[key] is not None:
                m[key] = tuple(m[key])
        m["dev_psnr"] = dict(m.get("dev_psnr", {}))
        m["aliases"] = tuple(m.get("aliases", ()))
        out.append(Pretrained(**m))
    return tuple(out)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


DEFAULT = "scn"  # the name that means: the shipped default for the task and setting asked


def named_entries(name: str) -> tuple[Pretrained, ...]:
    """The shipped entries `name` denotes: one by its name or an older name, or every tag of a registered
    configuration (`scn_small_x2` -> `scn_small_x2.bicubic`); empty when none."""
    entries = pretrained_models()
    exact = tuple(e for e in entries if name == e.name or name in e.aliases)
    return exact or tuple(e for e in entries if e.arch_name == name)


def find_pretrained(name: str, task: str, setting: int | None, channels: int | None = None) -> Pretrained:
    """The shipped entry `name` (or, for 'scn', the default for the task) that covers `setting`; where several
    do, the one trained on the narrowest range of levels (a fixed-level model before a blind one), among those of
    `channels` (3: colour, 1: gray; default: the task's) when any is."""
    entries = pretrained_models()
    if name != DEFAULT:
        entries = named_entries(name)
        if not entries:
            hint = "it is an architecture without shipped weights" if name in model_names() else "no such name"
            raise ZooError(f"no shipped weights named {name!r} ({hint}); `scn models --pretrained` lists them")
    hits = [e for e in entries if e.covers(task, setting) and (e.default or name != DEFAULT)]
    if hits:  # the most specific first: a model fine-tuned for sigma 25 before the blind one
        wanted = [e for e in hits if e.channels == (channels or get_task(task).channels)]
        return min(wanted or hits, key=lambda e: e.span)
    candidates = [e for e in entries if e.task == task]
    t = get_task(task)
    others = [e for e in pretrained_models() if e.covers(task, setting) and e.default]
    if name != DEFAULT and candidates and others:  # the named model does not fit, another shipped one does
        best = min(others, key=lambda e: e.span)
        asked = t.range_text(setting, setting) if setting is not None else f"an unknown {t.setting}"
        raise ZooError(f"{name!r} is {candidates[0].setting_text()}; for {task} at {asked} take {best.name!r} "
                       f"(or `{DEFAULT}`, which picks it)")
    if setting is None:
        setting_word = f"an unknown {t.setting} (give {t.flag})"
    else:
        setting_word = t.range_text(setting, setting)
    if not candidates:
        other = f" ({entries[0].name} is a {entries[0].task} model)" if entries and name != DEFAULT else ""
        raise ZooError(f"no shipped {task} weights yet for {setting_word}{other}; use a checkpoint trained by "
                       "`scn train` as the model")
    closest = min(candidates, key=lambda e: e.distance(setting))
    raise ZooError(f"no shipped weights for {task} at {setting_word}; the closest is {closest.name!r} "
                   f"({closest.setting_text()})")


def shipped_path(entry: Pretrained) -> Path:
    """Where the shipped file of `entry` lies; ZooError if the installed package lacks it."""
    path = WEIGHTS_DIR / entry.file
    if not path.is_file():
        raise ZooError(f"shipped weights file {entry.file} is missing from the installed package")
    return path


def load_pretrained(entry: Pretrained):
    """Load a shipped file after checking its sha256."""
    path = shipped_path(entry)
    digest = sha256_of(path)
    if digest != entry.sha256:
        raise ZooError(f"shipped weights {path} fail their checksum ({digest[:12]}... != {entry.sha256[:12]}...): "
                       "the file was damaged or replaced; repair it with `pip install --force-reinstall scn` "
                       f"(from a checkout: `git checkout -- scn/weights/{entry.file}`)")
    model = load_model(path)
    model.shipped_name = entry.name  # what int8 marks (INT8_MARKS) and notes refer to
    return model


def pretrained_for(name: str, task: str, setting: int | None):
    """The shipped model `name` (or the default `scn`) for `task` at `setting`, loaded and verified."""
    return load_pretrained(find_pretrained(name, task, setting))
