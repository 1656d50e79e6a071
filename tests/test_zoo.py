"""The model zoo: listing, choosing, verifying the shipped files; the shipped default and the demo."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import scn
import scn.zoo as zoo
from scn.tasks import DENOISE, JPEG, SR
from scn.cli.main import main
from scn.resolve import resolve
from conftest import TINY, photo_crop


# -- the model zoo and the demo ---------------------------------------------------------------------------------

@pytest.fixture
def fake_zoo(tmp_path: Path, sr_ckpt: Path, denoise_ckpt: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "weights"
    folder.mkdir()
    entries = []
    for name, ckpt, extra in [("scn_x2.test", sr_ckpt, {"task": "sr", "scale": 2}),
                              ("scn_denoise.blind", denoise_ckpt, {"task": "denoise", "sigma": [0, 55]}),
                              ("scn_denoise.s25", denoise_ckpt, {"task": "denoise", "sigma": [25, 25]})]:
        target = folder / f"{name}.safetensors"
        target.write_bytes(Path(ckpt).read_bytes())
        entries.append({"name": name, "file": target.name, "sha256": zoo.sha256_of(target),
                        "training_data": "none (test)", "steps": 0, "dev_psnr": {"Set5": 1.0}, **extra})
    (folder / "manifest.json").write_text(json.dumps({"models": entries}))
    monkeypatch.setattr(zoo, "WEIGHTS_DIR", folder)
    return folder


def test_zoo_lists_verifies_and_names_the_closest(fake_zoo: Path, capsys) -> None:
    assert main(["models", "--pretrained", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} == {"scn_x2.test", "scn_denoise.blind", "scn_denoise.s25"}
    assert next(r for r in rows if r["task"] == "sr")["scale"] == 2
    assert next(r for r in rows if r["task"] == "denoise")["sigma"] == [0, 55]
    assert resolve("scn", DENOISE, 25).load().config.task == "denoise"
    assert zoo.find_pretrained("scn", DENOISE, None).name == "scn_denoise.blind"  # unknown level: blind model
    assert zoo.find_pretrained("scn", DENOISE, 25).name == "scn_denoise.s25"  # the specific one where it fits
    assert zoo.find_pretrained("scn", DENOISE, 30).name == "scn_denoise.blind"
    with pytest.raises(zoo.ZooError, match="closest is 'scn_denoise.blind'"):
        resolve("scn", DENOISE, 60)
    with pytest.raises(zoo.ZooError, match="the closest is 'scn_x2.test' \\(x2\\)"):
        resolve("scn", SR, 4)
    with pytest.raises(zoo.ZooError, match="no shipped jpeg weights"):
        resolve("scn", JPEG, 10)
    with pytest.raises(zoo.ZooError, match="unknown quality \\(give --quality\\)"):
        resolve("scn", JPEG, None)
    (fake_zoo / "scn_x2.test.safetensors").write_bytes(b"tampered")
    with pytest.raises(zoo.ZooError, match="fail their checksum"):
        resolve("scn", SR, 2).load()


def test_the_defaults_listed_are_runs_of_what_the_default_picks(fake_zoo: Path, capsys) -> None:
    """`scn models --pretrained` says which shipped file runs when no model is named: every whole setting grouped
    into runs per file (the gray models take colour pictures too where no colour one ships: 'any')."""
    uses = [(u.entry.name, u.pictures, u.settings_text()) for u in zoo.default_uses()]
    assert uses == [("scn_x2.test", "any", "x2"),
                    ("scn_denoise.blind", "any", "sigma 0-24, sigma 26-55, sigma unknown"),
                    ("scn_denoise.s25", "any", "sigma 25")]
    assert main(["models", "--pretrained"]) == 0
    listing = capsys.readouterr().out.split("take:\n")[1].splitlines()
    assert listing[2].split() == ["denoise", "any", "scn_denoise.blind", "sigma", "0-24,", "sigma", "26-55,", "sigma",
                                  "unknown"]
    assert main(["models", "--pretrained", "--json"]) == 0
    rows = {r["name"]: r["default_for"] for r in json.loads(capsys.readouterr().out)}
    assert rows["scn_denoise.s25"] == [{"pictures": "any", "settings": "sigma 25"}]


def test_a_model_told_the_level_comes_after_a_fixed_level_one_and_before_blind_ones(fake_zoo: Path,
                                                                                     tmp_path: Path) -> None:
    """A shipped denoiser with a noise-level input (`told_level`) covering 0-75 takes an unknown level (it estimates
    it) and every level but the one a fixed-level model was trained at; the manifest keeps the flag."""
    told = scn.save_model(scn.create_model("scn_denoise", noise_map=True, **TINY), tmp_path / "told.safetensors")
    target = fake_zoo / "scn_denoise.sigma.safetensors"
    target.write_bytes(told.read_bytes())
    manifest = json.loads((fake_zoo / "manifest.json").read_text())
    manifest["models"].append({"name": "scn_denoise.sigma", "task": "denoise", "file": target.name,
                               "sha256": zoo.sha256_of(target), "training_data": "none (test)", "steps": 1,
                               "sigma": [0, 75], "told_level": True})
    (fake_zoo / "manifest.json").write_text(json.dumps(manifest))
    zoo._read_manifest.cache_clear()
    try:
        picks = {s: zoo.find_pretrained("scn", DENOISE, s).name for s in (None, 0, 25, 30, 55, 75)}
        assert picks == {None: "scn_denoise.sigma", 0: "scn_denoise.sigma", 25: "scn_denoise.s25",
                         30: "scn_denoise.sigma", 55: "scn_denoise.sigma", 75: "scn_denoise.sigma"}
        entry = zoo.find_pretrained("scn_denoise.sigma", DENOISE, None)
        assert entry.told_level and entry.to_dict()["told_level"] is True
        assert "told_level" not in zoo.find_pretrained("scn", DENOISE, 25).to_dict()
        assert zoo.load_pretrained(entry).config.noise_map
    finally:
        zoo._read_manifest.cache_clear()


def test_stored_pictures_take_the_denoiser_trained_on_clipped_noise(fake_zoo: Path, tmp_path: Path,
                                                                    capsys) -> None:
    """Two denoisers told the level over one range: the one trained on noise clipped as files hold it
    (`clipped_noise`) restores pictures (`scn restore`, `scn.restore` of uint8 and float arrays, `scn benchmark
    --clip`), the other the field's unclipped noise (`scn benchmark` without --clip); the manifest keeps the flag."""
    from scn.evaluation import make_method

    manifest = json.loads((fake_zoo / "manifest.json").read_text())
    for seed, name in enumerate(("scn_denoise.sigma", "scn_denoise.sigma_8bit")):
        torch.manual_seed(seed)
        target = scn.save_model(scn.create_model("scn_denoise", noise_map=True, **TINY),
                                fake_zoo / f"{name}.safetensors")
        manifest["models"].append({"name": name, "task": "denoise", "file": target.name,
                                   "sha256": zoo.sha256_of(target), "training_data": "none (test)", "steps": 1,
                                   "sigma": [0, 75], "told_level": True, **({"clipped_noise": True} if seed else {})})
    (fake_zoo / "manifest.json").write_text(json.dumps(manifest))
    zoo._read_manifest.cache_clear()
    try:
        for level in (None, 25, 30):  # before the fixed-level model trained on unclipped noise too
            assert zoo.find_pretrained("scn", DENOISE, level).name == "scn_denoise.sigma_8bit"
        assert zoo.find_pretrained("scn", DENOISE, 30, noise_clipped=False).name == "scn_denoise.sigma"
        assert zoo.find_pretrained("scn", DENOISE, 25, noise_clipped=False).name == "scn_denoise.s25"
        entry = zoo.find_pretrained("scn_denoise.sigma_8bit", DENOISE, 30)
        assert entry.clipped_noise and entry.to_dict()["clipped_noise"] is True
        assert "clipped_noise" not in zoo.find_pretrained("scn_denoise.sigma", DENOISE, 30).to_dict()
        for clip, name in [(True, "scn_denoise.sigma_8bit"), (False, "scn_denoise.sigma")]:
            method = make_method("scn", DENOISE, noise_clipped=clip)
            assert method.load(30).shipped_name == name

        clean = photo_crop()[:24, :32, 0].astype(np.float64)
        noisy = np.clip(clean + np.random.default_rng(0).normal(0, 30, clean.shape), 0, 255).astype(np.uint8)
        for picture in (noisy, noisy / 255.0):
            default = scn.restore(picture, "denoise", sigma=30)
            assert np.array_equal(default, scn.restore(picture, "denoise", sigma=30, model="scn_denoise.sigma_8bit"))
            assert not np.array_equal(default, scn.restore(picture, "denoise", sigma=30, model="scn_denoise.sigma"))
        Image.fromarray(noisy).save(tmp_path / "noisy.png")
        for out, flags in [("default", []), ("named", ["--model", "scn_denoise.sigma_8bit"])]:
            assert main(["restore", str(tmp_path / "noisy.png"), "-o", str(tmp_path / f"{out}.png"), "--task",
                         "denoise", "--sigma", "30", "--no-progress", *flags]) == 0
        assert (tmp_path / "default.png").read_bytes() == (tmp_path / "named.png").read_bytes()
        capsys.readouterr()
        assert main(["models", "--pretrained"]) == 0
        line = next(row for row in capsys.readouterr().out.splitlines() if row.startswith("scn_denoise.sigma_8bit"))
        assert "sigma 0-75, 8-bit noise" in line
    finally:
        zoo._read_manifest.cache_clear()


def test_restore_uses_the_shipped_default_and_demo_runs(fake_zoo: Path, tmp_path: Path, capsys) -> None:
    Image.fromarray(photo_crop()[:20, :24]).save(tmp_path / "in.png")
    assert main(["restore", str(tmp_path / "in.png"), "-o", str(tmp_path / "o.png"), "--task", "sr",
                 "--no-progress"]) == 0
    assert main(["restore", str(tmp_path / "in.png"), "-o", str(tmp_path / "d.png"), "--task", "denoise",
                 "--no-progress"]) == 0  # no --sigma: the blind model
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr()
    assert {p.name for p in (tmp_path / "demo").iterdir()} == {"sr_x2.png", "denoise_s25.png"}
    assert "sr" in out.out and "skipped sr 4" in out.err and "skipped jpeg 10" in out.err


def test_every_shipped_file_is_small_fp16_described_and_verified() -> None:
    from safetensors import safe_open

    from scn.checkpoint import read_metadata

    entries = zoo.pretrained_models()
    assert {e.task for e in entries} == {"sr", "denoise", "jpeg"}
    assert {e.levels[0] for e in entries if e.task == "sr"} == {2, 3, 4}
    for task in ("denoise", "jpeg"):  # an unknown level (no --sigma / --quality) has a model
        assert zoo.find_pretrained("scn", scn.get_task(task), None).blind, f"no blind default {task} model"
    for entry in entries:
        path = zoo.WEIGHTS_DIR / entry.file
        assert path.stat().st_size < 5e6, f"{entry.name}: over 5 MB"
        with safe_open(str(path), framework="pt") as f:
            assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.float16}, entry.name
        meta = read_metadata(path)
        assert "config" in meta and meta.get("notes"), entry.name
        model = zoo.load_pretrained(entry)  # checks the sha256
        assert model.config.task == entry.task and (entry.task != "sr" or model.config.scale == entry.levels[0])
        assert entry.told_level == model.config.noise_map, f"{entry.name}: told_level disagrees with its file"
        assert entry.training_data and entry.steps > 0 and entry.dev_psnr, entry.name
    for task in ("sr", "denoise", "jpeg"):
        defaults = [e for e in entries if e.task == task and e.default]
        settings = [(e.levels[0] if task == "sr" else e.levels, e.channels, e.clipped_noise) for e in defaults]
        assert len(settings) == len(set(settings)), f"two default {task} models for one setting, channels and noise"


def test_average_weights_is_the_mean_of_one_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """scripts/average_weights.py: every float tensor the mean of the inputs'; another configuration is refused."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "scripts"))
    from average_weights import average

    files = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        files.append(str(scn.save_model(scn.create_model("scn_denoise", **TINY), tmp_path / f"{seed}.safetensors")))
    states = [scn.load_model(f).state_dict() for f in files]
    mean = average(files).state_dict()
    assert all(torch.allclose(mean[k], (states[0][k] + states[1][k]) / 2) for k in mean)
    assert any(not torch.equal(states[0][k], states[1][k]) for k in mean)
    other = scn.save_model(scn.create_model("scn_denoise", **{**TINY, "num_blocks": 3}), tmp_path / "o.safetensors")
    with pytest.raises(scn.ConfigError, match="not the configuration"):
        average([files[0], str(other)])


def test_each_committed_training_record_ran_the_schedule_its_config_names() -> None:
    """docs/zoo keeps each trained model's config beside its log: a log never runs past its config's steps, and a
    run that reached them logged the learning rate of the config's schedule over those steps (a row logs the rate
    of the step it ends)."""
    import csv

    import yaml

    from scn.training.schedule import lr_factor

    records = sorted((Path(__file__).parent.parent / "docs" / "zoo").rglob("*config.yaml"))
    assert len(records) > 20
    checked = 0
    for config_path in records:
        log_path = config_path.with_name(config_path.name.replace("config.yaml", "log.csv"))
        train = yaml.safe_load(config_path.read_text())["train"]
        rows = [r for r in csv.DictReader(log_path.read_text().splitlines()) if r["lr"]]
        steps, last = int(train["steps"]), int(rows[-1]["step"])
        assert last <= steps, f"{config_path}: its log runs past its {steps} steps"
        if last < steps:
            continue  # stopped early (a time budget or a snapshot): the schedule's length is not in the config
        for row in rows:
            want = train["lr"] * lr_factor(train["schedule"], (int(row["step"]) - 1) / steps)
            assert float(row["lr"]) == pytest.approx(want, rel=1e-4, abs=1e-12), f"{config_path} step {row['step']}"
        checked += 1
    assert checked >= 10
