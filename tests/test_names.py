"""One resolver for model names, the same names everywhere; tasks and architectures as registered objects."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import scn
import scn.zoo as zoo
from scn.cli.main import main
from scn.resolve import accepted_names, resolve
from scn.tasks import TaskError, get_task


def test_shipped_names_and_their_older_names_resolve_to_one_entry() -> None:
    for entry in zoo.pretrained_models():
        assert "." in entry.name and entry.arch_name in scn.model_names(), entry.name
        for name in (entry.name, *entry.aliases):
            source = resolve(name, entry.task, entry.levels[0] if entry.task == "sr" else None if entry.blind
                             else int(entry.levels[0]))
            assert source.kind == "pretrained" and source.entry == entry, name
        # the registered size the name starts with, but for the options the checkpoint records
        differs = {k for k, v in source.config.to_dict().items()
                   if scn.get_config(entry.arch_name).to_dict()[k] != v}
        # and the image mean of a colour model started from a gray one (train.init: colour_from_gray), and the
        # noise-level input of a model told the level (and that input's gain)
        allowed = {"align_corners", "image_mean"} | ({"noise_map", "noise_map_gain"} if entry.told_level else set())
        assert differs <= allowed, (entry.name, differs)


def test_a_registered_name_means_its_shipped_weights_where_weights_are_needed() -> None:
    assert resolve("scn_small_x2", "sr", 2).entry.name == "scn_small_x2.bicubic"
    assert resolve("scn_small_denoise", "denoise", 25).entry.name == "scn_small_denoise.s25"  # the narrowest
    assert resolve("scn_small_denoise", "denoise", None).entry.name == "scn_small_denoise.blind"
    assert resolve("scn", "jpeg", 10).entry.name == "scn_small_jpeg.q10"
    # where no weights are needed (describing), a registered name is its configuration, even an older shipped name
    described = resolve("scn_denoise", weights=False)
    assert described.kind == "config" and described.config.num_blocks == 16


@pytest.mark.parametrize("spec,task,setting,match", [
    ("scn_small_x2.bicubc", "sr", 2, "did you mean scn_small_x2.bicubic"),
    ("scn", None, None, "shipped default of a task"),
    ("scn_x2", "sr", 2, "architecture without shipped weights"),
    ("scn_small_x2.bicubic", "sr", 3, "'scn_small_x2.bicubic' is x2; for sr at x3 take 'scn_small_x3.bicubic'"),
    ("scn_small_denoise.s25", "denoise", 50, "is sigma 25; for denoise at sigma 50 take 'scn_small_denoise.blind'"),
    ("scn_small_x2.bicubic", "denoise", 25, "is a sr model|no shipped denoise weights"),
    ("missing.safetensors", "sr", 2, "no such checkpoint"),
])
def test_names_that_name_nothing_fail_in_one_line(spec: str, task: str | None, setting: int | None,
                                                    match: str) -> None:
    with pytest.raises(scn.ScnError, match=match) as err:
        resolve(spec, task, setting)
    assert "\n" not in str(err.value)


def test_models_pretrained_lists_the_names_commands_accept(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--pretrained", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    listed = {n for r in rows for n in (r["name"], *r["aliases"])}
    shipped = set(accepted_names()) - set(scn.model_names()) - {"scn"}
    assert listed >= shipped and listed - shipped <= {"scn_denoise", "scn_jpeg"}  # older names that are also sizes
    assert main(["models", "--pretrained"]) == 0
    table = capsys.readouterr().out
    assert "scn_small_x2.bicubic" in table and "scn_sr_x2" in table
    rows = table.split("\n\n")[0].splitlines()[1:]
    starts = {min(line.find(f" {t} ") for t in ("sr", "denoise", "jpeg") if f" {t} " in line) for line in rows}
    assert len(starts) == 1, table  # the task column starts at one place, however long the names


def test_the_listed_defaults_are_what_restore_runs() -> None:
    """Each row of `scn models --pretrained`'s defaults: `scn.restore` with no model gives what it gives with the
    file that row names, on a picture of that row's kind at the row's first setting (or an unknown one)."""
    rng = np.random.default_rng(0)
    colour = (rng.random((24, 32, 3)) * 255).astype(np.uint8)
    uses = zoo.default_uses()
    assert {(u.entry.task.name, u.pictures) for u in uses} == {("sr", "any"), ("denoise", "colour"),
                                                                ("denoise", "gray"), ("jpeg", "colour"), ("jpeg", "gray")}
    assert all(u.entry.channels == 1 for u in uses if u.pictures == "gray" and u.entry.task == "denoise")
    for use in uses:
        task = use.entry.task
        picture = colour[..., 0] if use.pictures == "gray" else colour
        setting = use.settings[0][0] if use.settings else None
        options = {task.setting: setting} if setting is not None else {}
        default = scn.restore(picture, task.name, **options)
        named = scn.restore(picture, task.name, model=use.entry.name, **options)
        assert np.array_equal(default, named), (use.entry.name, use.pictures, setting)


def test_every_command_and_the_api_take_the_same_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    lr = (rng.random((24, 20, 3)) * 255).astype(np.uint8)
    Image.fromarray(lr).save(tmp_path / "in.png")
    (tmp_path / "set").mkdir()
    Image.fromarray(np.kron(lr, np.ones((2, 2, 1), dtype=np.uint8))).save(tmp_path / "set" / "a.png")
    outputs = []
    for name in ("scn_small_x2.bicubic", "scn_sr_x2", "scn_small_x2", "scn"):
        outputs.append(scn.restore(lr, "sr", scale=2, model=name))
        task = ["--task", "sr"] if name == "scn" else []  # a named model implies its task; `scn` needs one
        assert main(["restore", str(tmp_path / "in.png"), "-o", str(tmp_path / f"{name}.png"), "--model", name,
                     *task, "--no-progress"]) == 0
        assert main(["benchmark", "--task", "sr", "--scale", "2", "--data", str(tmp_path / "set"), "--method", name,
                     "--no-progress"]) == 0
        assert main(["info", name, "--task", "sr", "--scale", "2"]) == 0
    assert all(np.array_equal(outputs[0], o) for o in outputs[1:])
    files = [np.asarray(Image.open(tmp_path / f"{n}.png")) for n in ("scn_small_x2.bicubic", "scn_sr_x2", "scn")]
    assert all(np.array_equal(files[0], f) for f in files[1:]) and np.array_equal(files[0], outputs[0])
    assert main(["export", "--model", "scn_sr_x2", "--format", "pt2", "-o", str(tmp_path / "m.pt2")]) == 0
    assert main(["export", "--model", "scn", "--format", "pt2", "-o", str(tmp_path / "n.pt2")]) == 2
    assert "shipped default of a task" in capsys.readouterr().err
    assert main(["export", "--model", "scn", "--task", "sr", "--format", "pt2", "-o", str(tmp_path / "n.pt2")]) == 0


def test_tasks_own_their_settings_and_labels() -> None:
    sr, dn, jp = get_task("sr"), get_task("denoise"), get_task("jpeg")
    assert (sr.label(2), dn.label(25), jp.label(10)) == ("x2", "σ25", "q10")
    assert (sr.file_label(2), dn.file_label(25), jp.file_label(10)) == ("x2", "s25", "q10")
    assert (sr.check(None), dn.check(None), dn.check(24.6)) == (2, None, 25)
    with pytest.raises(TaskError, match="sigma 300 is out of range 0..255"):
        dn.check(300)
    with pytest.raises(TaskError, match="choose one of sr, denoise, jpeg"):
        get_task("deblur")
    clean = (np.random.default_rng(1).random((16, 16)) * 255).astype(np.uint8)
    assert np.array_equal(dn.degrade(clean, 25), scn.data.add_gaussian_noise(clean / 255.0, 25, seed=0))
    assert np.array_equal(jp.degrade(clean, 10), scn.data.jpeg_compress(clean, 10) / 255.0)
    assert jp.score(clean, clean, 10)["psnr_b"] == float("inf") or "psnr_b" in jp.score(clean, clean, 10)


@pytest.mark.parametrize("argv", [
    ["restore", "x.png", "-o", "y.png", "--task", "denoise", "--sigma", "300"],
    ["benchmark", "--task", "denoise", "--sigma", "300", "--data", ".", "--method", "identity"],
])
def test_restore_and_benchmark_share_the_limits(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "sigma 300 is out of range 0..255" in capsys.readouterr().err


def test_shared_is_a_field_and_the_old_architecture_name_still_loads(tmp_path: Path) -> None:
    legacy = scn.ModelConfig.from_dict({"arch": "scn_unshared", "num_blocks": 2, "num_features": 8})
    assert legacy.arch == "scn" and legacy.shared is False
    assert scn.get_config("scn_unshared_x2").shared is False
    with pytest.raises(scn.ConfigError, match="shared=False applies to arch 'scn' only, not 'wdsr'"):
        scn.create_model("wdsr_x2", shared=False)
    assert scn.architecture_names()[:2] == ("scn", "wdsr")


@pytest.fixture
def toy_architecture():
    """A new architecture defined in one place (here), as ARCHITECTURE.md says; unregistered afterwards."""
    from torch import nn

    from scn import config as config_module
    from scn.archs.base import RestorationNet, wide_body_macs
    from scn.layers import WideResBlock

    @scn.register_architecture("toy")
    class Toy(RestorationNet):
        @classmethod
        def body_macs(cls, config: scn.ModelConfig, pixels: list[int]) -> int:
            return config.num_blocks * pixels[0] * wide_body_macs(config)

        def __init__(self, config: scn.ModelConfig) -> None:
            super().__init__(config)
            self.body = nn.Sequential(*[WideResBlock(config.num_features, config.width, config.num_blocks, True)
                                        for _ in range(config.num_blocks)])

        def run_body(self, features, num_scales, ratio):  # type: ignore[no-untyped-def]
            return self.body(features)

    config_module.register_family("toy", "a toy", num_scales=1)
    yield Toy
    del config_module._ARCHITECTURES["toy"]
    for name in [n for n in config_module.model_names() if n.startswith("toy_")]:
        del config_module._REGISTRY[name]


def test_a_new_architecture_is_one_class(toy_architecture, tmp_path: Path) -> None:
    import torch

    from scn.complexity import conv_macs, count_conv_macs

    assert "toy_x2" in scn.model_names() and "toy_small_denoise" in scn.model_names()
    model = scn.create_model("toy_x2", num_blocks=2, num_features=8)
    x = torch.rand(1, 3, 12, 10)
    assert count_conv_macs(model, x) == conv_macs(model.config, 12, 10)
    path = scn.save_model(model, tmp_path / "toy.safetensors")
    out = scn.restore((np.random.default_rng(0).random((12, 10, 3)) * 255).astype(np.uint8), "sr", scale=2,
                      model=str(path))
    assert out.shape == (24, 20, 3) and resolve(path).config.arch == "toy"
    with pytest.raises(scn.ConfigError, match="can be evaluated with 1"):
        model(x, num_scales=2)


def test_weight_files_are_named_after_their_models_and_former_file_names_still_load() -> None:
    entries = zoo.pretrained_models()
    assert all(e.file == f"{e.name}.safetensors" for e in entries)
    former = [(f, e) for e in entries for f in e.former_files]
    assert former and len({f for f, _ in former}) == len(former)
    for name, entry in former:
        source = resolve(zoo.WEIGHTS_DIR / name)  # what configs and scripts written before the renaming say
        assert source.kind == "pretrained" and source.entry == entry and source.label == entry.name
    with pytest.raises(scn.CheckpointError, match="no such checkpoint file"):
        resolve(zoo.WEIGHTS_DIR / "never_shipped.safetensors")
