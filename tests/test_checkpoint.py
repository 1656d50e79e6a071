"""Self-describing checkpoints: bit-exact round trip, fp16, metadata, and refusal of anything else."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
import numpy as np
import torch
from safetensors.torch import save_file

import scn
from conftest import TINY


@pytest.mark.parametrize("name,overrides", [
    ("scn_x3", {"ratio": 2 / 3, "num_scales": 3, "scale_kernel": 2, "ends": "zero", "center_pointwise": True}),
    ("scn_x2", {"resampler": "conv"}), ("wdsr_x4", {}), ("unet_x2", {"num_blocks": 4}), ("pspnet_x2", {}),
    ("scn_unshared_x2", {}), ("scn_jpeg", {"weight_norm": False}),
])
def test_round_trip_is_bit_exact(tmp_path: Path, name: str, overrides: dict) -> None:
    model = scn.create_model(name, **{**TINY, **overrides}).eval()
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.05)
    path = scn.save_model(model, tmp_path / "m.safetensors", notes="trained on nothing")
    loaded = scn.load_model(path)
    assert loaded.config == model.config
    for (k1, v1), (k2, v2) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert k1 == k2 and torch.equal(v1, v2)
    x = torch.rand(1, model.config.channels, 13, 11)
    with torch.no_grad():
        assert torch.equal(model(x), loaded(x))
    assert not loaded.training


def test_metadata_carries_every_hyperparameter(tmp_path: Path) -> None:
    model = scn.create_model("scn_x2", **TINY)
    path = scn.save_model(model, tmp_path / "m.safetensors", notes="lr 1e-3, 40 epochs")
    meta = scn.read_metadata(path)
    assert meta["format"] == "scn" and meta["notes"] == "lr 1e-3, 40 epochs"
    for key, value in model.config.to_dict().items():
        assert meta[key] == str(value)
    assert json.loads(meta["config"]) == model.config.to_dict()


def test_half_precision_file(tmp_path: Path) -> None:
    model = scn.create_model("scn_x2", **TINY)
    full = scn.save_model(model, tmp_path / "full.safetensors")
    half = scn.save_model(model, tmp_path / "half.safetensors", half=True)
    assert half.stat().st_size < 0.6 * full.stat().st_size
    loaded = scn.load_model(half)
    assert scn.read_metadata(half)["dtype"] == "float16"
    for k, v in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v.half().float())


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "m.safetensors"
    scn.save_model(scn.create_model("wdsr_x2", **TINY), path)
    scn.save_model(scn.create_model("wdsr_x2", **TINY), path)  # overwrite in place
    assert sorted(p.name for p in path.parent.iterdir()) == ["m.safetensors"]


class _Exploit:
    def __reduce__(self):  # runs at unpickling time
        return (Path.touch, (Path(self.flag),))

    def __init__(self, flag: str) -> None:
        self.flag = flag


def test_pickle_is_refused_and_never_unpickled(tmp_path: Path) -> None:
    flag = tmp_path / "pwned"
    bad = tmp_path / "model.pth"
    torch.save({"x": _Exploit(str(flag))}, bad)
    plain = tmp_path / "model.pkl"
    plain.write_bytes(pickle.dumps(_Exploit(str(flag))))
    for path in (bad, plain):
        with pytest.raises(scn.CheckpointError, match="not a safetensors file") as err:
            scn.load_model(path)
        assert "\n" not in str(err.value)
    assert not flag.exists()


def test_non_scn_safetensors_and_garbage_are_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign))
    with pytest.raises(scn.CheckpointError, match="not an scn checkpoint"):
        scn.load_model(foreign)
    for name, content in [("empty.safetensors", b""), ("text.safetensors", b"hello world, not weights")]:
        (tmp_path / name).write_bytes(content)
        with pytest.raises(scn.CheckpointError):
            scn.load_model(tmp_path / name)
    with pytest.raises(scn.CheckpointError, match="no such checkpoint"):
        scn.load_model(tmp_path / "missing.safetensors")


def test_weights_that_do_not_match_the_config(tmp_path: Path) -> None:
    model = scn.create_model("scn_x2", **TINY)
    path = tmp_path / "m.safetensors"
    scn.save_model(model, path, extra_metadata={"config": json.dumps(model.config.replace(num_blocks=3).to_dict())})
    with pytest.raises(scn.CheckpointError, match="do not match its config"):
        scn.load_model(path)


@pytest.mark.parametrize("name", ["scn_x2", "wdsr_denoise_res2", "scn_denoise_rgb_noise_map",
                                  "scn_jpeg_unshared_avgpool"])
def test_checkpoints_saved_before_the_restructuring_load_and_give_the_same_outputs(name: str) -> None:
    """tests/data/checkpoints_v1: tiny models saved by commit 95bdba9 (before tasks became objects and
    architectures their fields' owners), with their outputs on fixed inputs then. Within a few float32 steps of
    outputs up to ~2 (CPUs' convolution kernels sum in other orders: 1.4e-6 on an Intel Xeon with AMX)."""
    folder = Path(__file__).parent / "data" / "checkpoints_v1"
    model = scn.load_model(folder / f"{name}.safetensors")
    saved = np.load(folder / f"{name}.npz")
    with torch.no_grad():
        output = model(torch.from_numpy(saved["input"])).numpy()
    assert output.shape == saved["output"].shape and np.abs(output - saved["output"]).max() < 1e-5
