"""Pretrained weights shipped inside the package (the model zoo).

`scn/weights/manifest.json` lists each file: its name, older names it answers to, task, the settings it covers
(SR scale; sigma or quality range), sha256 (verified on every load), training data, steps and dev-set PSNR.

Names follow timm's `arch.tag`: the registered configuration the weights were trained in (`scn_small_x2`, see
`scn models`; the checkpoint records any option changed from it) and a tag for what they were trained on
(`bicubic` for SR, `blind` / `s25` for denoising, `sigma` / `sigma_8bit` told the level, the latter trained on
noise clipped as picture files hold it, `blind` / `q10` for JPEG). `scn models --pretrained` prints
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
from .config import get_config, model_names
from .tasks import TASKS, Task

WEIGHTS_DIR = Path(__file__).parent / "weights"


class ZooError(ScnError):
    """No shipped weights for what was asked, or a shipped file that fails its checksum."""


@dataclass(frozen=True)
class Pretrained:
    """One shipped file: its name and older names, task, the settings it was trained on (`levels`: (scale, scale)
    for SR; the noise levels or qualities, equal for a fixed-level model), checksum and training record. The
    manifest writes `levels` under the task's setting name (`scale`, `sigma`, `quality`). `told_level`: a denoiser
    with a noise-level input (`noise_map`), told any level of its range or estimating it from the picture.
    `clipped_noise`: a denoiser trained on noise as picture files hold it (clipped to the picture's range and rounded
    to 8 bits), chosen for stored pictures; the others are trained on the field's unclipped noise."""

    name: str
    task: Task
    file: str
    sha256: str
    levels: tuple[float, float]
    default: bool = True
    training_data: str = ""
    steps: int = 0
    dev_psnr: dict[str, float] = field(default_factory=dict)
    notes: str = ""
    aliases: tuple[str, ...] = ()
    former_files: tuple[str, ...] = ()  # the names its file had before files were named after their models
    told_level: bool = False
    clipped_noise: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Pretrained":
        """An entry of manifest.json; its task is its registered configuration's (the manifest's `task` names it for
        readers and must agree)."""
        m = dict(data)
        task = get_config(str(m["name"]).split(".", 1)[0]).task
        if m.pop("task") != task.name:
            raise ZooError(f"manifest entry {m['name']!r} says task {data['task']!r}, but its configuration is a "
                           f"{task.name!r} model")
        value = m.pop(task.setting, None)
        for other in TASKS.values():
            m.pop(other.setting, None)
        levels = (value, value) if isinstance(value, (int, float)) else tuple(value or (0, 0))
        return cls(task=task, levels=levels, dev_psnr=dict(m.pop("dev_psnr", {})),  # type: ignore[arg-type]
                   aliases=tuple(m.pop("aliases", ())), former_files=tuple(m.pop("former_files", ())), **m)

    @property
    def arch_name(self) -> str:
        """The registered configuration the weights were trained in (the part of the name before the tag)."""
        return self.name.split(".", 1)[0]

    @property
    def channels(self) -> int:
        """3 for a colour (RGB) model, 1 for a gray (Y) one: its registered configuration's."""
        return get_config(self.arch_name).channels

    @property
    def span(self) -> float:
        """How wide a range of settings the entry was trained on (0 for SR and fixed-level models)."""
        low, high = self.levels
        return high - low

    @property
    def blind(self) -> bool:
        """Trained over a range of noise levels / qualities, so it needs no level at run time."""
        return self.span > 0

    @property
    def specificity(self) -> tuple[int, float]:
        """Sorts the entries covering a setting, most specific first: a fixed-level model, then one told the level
        (it restores at exactly the level asked), then blind ones, the narrowest range first."""
        return (0 if not self.blind else 1 if self.told_level else 2), self.span

    def covers(self, task: Task, setting: int | None) -> bool:
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
        return self.task.range_text(*self.levels)

    def to_dict(self) -> dict[str, Any]:
        """The manifest's entry: the levels under the task's setting name (SR: the scale alone)."""
        low, high = self.levels
        levels: Any = int(low) if self.task.resizes else [low, high]
        return {"name": self.name, "aliases": list(self.aliases), "task": self.task.name, "file": self.file,
                "sha256": self.sha256, "default": self.default, "training_data": self.training_data,
                "steps": self.steps, "dev_psnr": self.dev_psnr, "notes": self.notes, self.task.setting: levels,
                **({"former_files": list(self.former_files)} if self.former_files else {}),
                **({"told_level": True} if self.told_level else {}),
                **({"clipped_noise": True} if self.clipped_noise else {})}


def pretrained_models() -> tuple[Pretrained, ...]:
    """The entries of the shipped manifest (read once per weights folder)."""
    return _read_manifest(WEIGHTS_DIR / "manifest.json")


@lru_cache(maxsize=4)
def _read_manifest(manifest: Path) -> tuple[Pretrained, ...]:
    if not manifest.is_file():
        return ()
    return tuple(Pretrained.from_dict(m) for m in json.loads(manifest.read_text()).get("models", []))


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


def find_pretrained(name: str, task: Task, setting: int | None, channels: int | None = None,
                    noise_clipped: bool = True) -> Pretrained:
    """The shipped entry `name` (or, for 'scn', the default for the task) that covers `setting`; where several
    do, the most specific (`Pretrained.specificity`: a fixed-level model, then one told the level, then a blind one
    of the narrowest range), among those of `channels` (3: colour, 1: gray; default: the task's) when any is, and
    among those trained on noise as the pictures hold it when any is: `noise_clipped`, clipped to the picture's range
    as in every stored picture (what `scn restore` and `scn.restore` are given), or not (False: the noise of the
    field's tables, added to floats; `scn benchmark` without --clip)."""
    entries = pretrained_models()
    if name != DEFAULT:
        entries = named_entries(name)
        if not entries:
            hint = "it is an architecture without shipped weights" if name in model_names() else "no such name"
            raise ZooError(f"no shipped weights named {name!r} ({hint}); `scn models --pretrained` lists them")
    # a gray picture's noise is alike in R, G and B: colour denoisers, which learn it independent, leave it in
    gray_noise = channels == 1 and task.adds_noise

    def usable(e: Pretrained) -> bool:
        return not (gray_noise and e.channels == 3)

    hits = [e for e in entries if e.covers(task, setting) and (e.default or name != DEFAULT) and usable(e)]
    if hits:  # the most specific first: a model fine-tuned for sigma 25 before the blind one
        wanted = [e for e in hits if e.channels == (channels or task.channels)] or hits
        alike = [e for e in wanted if e.clipped_noise == noise_clipped] or wanted
        return min(alike, key=lambda e: e.specificity)
    candidates = [e for e in entries if e.task == task and usable(e)]
    others = [e for e in pretrained_models() if e.covers(task, setting) and e.default and usable(e)]
    if name != DEFAULT and gray_noise and not candidates and any(e.task == task for e in entries):
        instead = (f"take {min(others, key=lambda e: e.specificity).name!r} (or `{DEFAULT}`, which picks it)" if others
                   else "take a gray denoiser (`scn models --pretrained`)")
        raise ZooError(f"{name!r} is a colour denoiser, and a gray picture's noise (alike in R, G and B) is not what "
                       f"colour denoisers remove; {instead}")
    if name != DEFAULT and candidates and others:  # the named model does not fit, another shipped one does
        alike = [e for e in others if e.channels == (channels or candidates[0].channels)]  # gray for gray
        best = min(alike or others, key=lambda e: e.specificity)
        asked = task.range_text(setting, setting) if setting is not None else f"an unknown {task.setting}"
        raise ZooError(f"{name!r} is {candidates[0].setting_text()}; for {task} at {asked} take {best.name!r} "
                       f"(or `{DEFAULT}`, which picks it)")
    if setting is None:
        setting_word = f"an unknown {task.setting} (give {task.flag})"
    else:
        setting_word = task.range_text(setting, setting)
    if not candidates:
        other = f" ({entries[0].name} is a {entries[0].task} model)" if entries and name != DEFAULT else ""
        raise ZooError(f"no shipped {task} weights yet for {setting_word}{other}; use a checkpoint trained by "
                       "`scn train` as the model")
    closest = min(candidates, key=lambda e: e.distance(setting))
    raise ZooError(f"no shipped weights for {task} at {setting_word}; the closest is {closest.name!r} "
                   f"({closest.setting_text()})")


@dataclass(frozen=True)
class DefaultUse:
    """Where `scn` (no model named) takes one shipped entry: for pictures that ask for `channels` (3: colour, 1: gray,
    `Task.model_channels`; None: any picture), at `settings` (runs of whole settings, low and high), and, if
    `unknown`, when no level is given or read from the file."""

    entry: Pretrained
    channels: int | None
    settings: tuple[tuple[int, int], ...]
    unknown: bool

    @property
    def pictures(self) -> str:
        return {None: "any", 3: "colour", 1: "gray"}[self.channels]

    def settings_text(self) -> str:
        """'sigma 0-24, sigma 26-55, sigma unknown' (SR: 'x2'; a model told the level: 'sigma unknown (estimated)')."""
        parts = [self.entry.task.range_text(low, high) for low, high in self.settings]
        if self.unknown:
            parts.append(f"{self.entry.task.setting} unknown" + (" (estimated)" if self.entry.told_level else ""))
        return ", ".join(parts)


def default_uses(noise_clipped: bool = True) -> tuple[DefaultUse, ...]:
    """What `find_pretrained('scn', ...)` picks at every whole setting of each task's range, for colour and for gray
    pictures (once for any picture where the two pick alike), grouped by the entry picked, lowest setting first: the
    answer to "what runs when I name no model". `noise_clipped` as in `find_pretrained` (True: what `scn restore`,
    `scn.restore` and `scn serve` run)."""
    uses: list[DefaultUse] = []
    for task in TASKS.values():
        low, high = task.limits
        settings: list[int | None] = list(range(math.ceil(low), math.floor(high) + 1))
        if task.default_setting is None:
            settings.insert(0, None)
        by_channels = {channels: _picks(task, settings, channels, noise_clipped)
                       for channels in sorted({task.model_channels(gray) for gray in (False, True)}, reverse=True)}
        first = next(iter(by_channels.values()))
        if all(picks == first for picks in by_channels.values()):
            by_channels = {None: first}
        uses += [DefaultUse(entry, channels, runs, unknown)
                 for channels, picks in by_channels.items() for entry, runs, unknown in picks]
    return tuple(uses)


def _picks(task: Task, settings: list[int | None], channels: int,
           noise_clipped: bool) -> tuple[tuple[Pretrained, tuple[tuple[int, int], ...], bool], ...]:
    """(entry, runs of settings, picked when the level is unknown) for each entry the default takes, lowest first."""
    picked: dict[str, tuple[Pretrained, list[int | None]]] = {}
    for setting in settings:
        try:
            entry = find_pretrained(DEFAULT, task, setting, channels, noise_clipped)
        except ZooError:
            continue
        picked.setdefault(entry.name, (entry, []))[1].append(setting)
    ordered = sorted(picked.values(), key=lambda p: min((s for s in p[1] if s is not None), default=math.inf))
    return tuple((entry, _runs([s for s in where if s is not None]), None in where) for entry, where in ordered)


def _runs(values: list[int]) -> tuple[tuple[int, int], ...]:
    """Ascending whole numbers as runs of consecutive ones: [0, 1, 2, 5] -> ((0, 2), (5, 5))."""
    runs: list[tuple[int, int]] = []
    for v in values:
        if runs and v == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], v)
        else:
            runs.append((v, v))
    return tuple(runs)


def former_file_entry(path: Path) -> Pretrained | None:
    """The entry whose file `path` (in the weights folder) was before files were named after their models (configs
    and scripts written then name `scn/weights/scn_sr_x2.safetensors`); None for any other path."""
    if path.exists() or path.parent.resolve() != WEIGHTS_DIR.resolve():
        return None
    return next((e for e in pretrained_models() if path.name in e.former_files), None)


def shipped_path(entry: Pretrained) -> Path:
    """Where the shipped file of `entry` lies; ZooError if the installed package lacks it."""
    path = WEIGHTS_DIR / entry.file
    if not path.is_file():
        raise ZooError(f"shipped weights file {entry.file} is missing from the installed package")
    return path


def load_pretrained(entry: Pretrained):
    """Load a shipped file after checking its sha256."""
    model = load_model(verified_path(entry))
    model.shipped_name = entry.name  # what int8 marks (INT8_MARKS) and notes refer to
    return model


def verified_path(entry: Pretrained) -> Path:
    """The shipped file of `entry`, checked against its sha256 (ZooError naming the repair otherwise)."""
    path = shipped_path(entry)
    digest = sha256_of(path)
    if digest != entry.sha256:
        raise ZooError(f"shipped weights {path} fail their checksum ({digest[:12]}... != {entry.sha256[:12]}...): "
                       "the file was damaged or replaced; repair it with `pip install --force-reinstall scn` "
                       f"(from a checkout: `git checkout -- scn/weights/{entry.file}`)")
    return path
