"""int8 inference (scn/inference/int8.py): agreement with fp32 for one shipped model per task, tiles, the fp32-only
marks, the option's checks, and `scn export --int8` (the fallback on a CPU without 8-bit multiply-adds: test_bf16)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import scn
from scn.cli.main import main
from scn.errors import ScnWarning
from scn.data.samples import demo_photo
from scn.inference.engine import Restorer
from scn.inference.images import Picture
from scn.metrics import psnr

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Quantized files in a folder of this module's (made once per model here, not read from the user's cache)."""
    patch = pytest.MonkeyPatch()
    patch.setenv("SCN_CACHE", str(tmp_path_factory.mktemp("cache")))
    patch.setenv("SCN_INT8_CPU", "1")
    yield
    patch.undo()


def crop(gray: bool = False) -> Picture:
    x = demo_photo()[120:217, 140:253].astype(np.float32) / 255  # 97x113: odd sizes, padded inside the graph
    return Picture(x.mean(axis=2, keepdims=True) if gray else x)


def eight_bit(x: np.ndarray) -> np.ndarray:
    return np.floor(np.clip(x, 0, 1) * 255 + 0.5)


@pytest.mark.parametrize("name, gray, degrade", [
    ("scn_small_x2.bicubic", False, None),
    ("scn_small_denoise.blind", True, 25),
    ("scn_small_jpeg.blind", True, 10),
])
def test_int8_agrees_with_fp32_on_a_photo(name: str, gray: bool, degrade: int | None) -> None:
    """One shipped model per task: the int8 result within 40 dB PSNR of the fp32 one (on the 8-bit outputs; the
    dev-set differences are in docs/speed.md), and not identical (it did run in int8)."""
    pic = crop(gray)
    if degrade and "denoise" in name:
        pic = Picture(pic.color + np.random.RandomState(0).normal(0, degrade / 255, pic.color.shape).astype(np.float32))
    elif degrade:
        from scn.tasks import get_task
        u8 = eight_bit(pic.color[..., 0]).astype(np.uint8)
        pic = Picture((get_task("jpeg").degrade(u8, degrade) / 255.0).astype(np.float32)[..., None])
    model = scn.resolve(name).load()
    model.shipped_name = None  # the int8 numbers themselves, whatever weights/int8.json says of the shipped file
    fp32 = eight_bit(Restorer(model, tile=0).restore(pic).color)
    int8 = eight_bit(Restorer.at_precision(model, "int8", tile=0).restore(pic).color)
    assert fp32.shape == int8.shape
    assert 40 < psnr(int8, fp32) < 100


def test_int8_tiles_match_whole_as_fp32_tiles_do() -> None:
    model = scn.resolve("scn_small_x2.bicubic").load()
    model.shipped_name = None  # int8 whatever weights/int8.json says
    pic = crop()
    whole = eight_bit(Restorer.at_precision(model, "int8", tile=0).restore(pic).color)
    tiled = eight_bit(Restorer.at_precision(model, "int8", tile=48).restore(pic).color)
    assert psnr(tiled, whole) > 50 and np.abs(tiled - whole).max() <= 2


def test_a_shipped_model_marked_fp32_only_is_restored_in_fp32_with_its_measured_loss(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import scn.inference.engine as engine
    import scn.inference.int8 as int8

    marks = tmp_path / "int8.json"
    marks.write_text(json.dumps({"fp32_only": {"scn_small_x2.bicubic": {"loss_db": 0.2, "on": "Set5 x2"}}}))
    monkeypatch.setattr(int8, "MARKS_FILE", marks)
    monkeypatch.setattr(engine, "_SAID", set())
    model = scn.resolve("scn_small_x2.bicubic").load()
    assert model.shipped_name == "scn_small_x2.bicubic"
    with pytest.warns(ScnWarning, match="loses 0.20 dB in int8 on Set5 x2 .*restoring it in fp32"):
        restorer = Restorer.at_precision(model, "int8", tile=0)
    pic = crop()
    assert np.array_equal(restorer.restore(pic).color, Restorer(model, tile=0).restore(pic).color)


def test_precision_is_checked_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    Image.fromarray(demo_photo()[:64, :64]).save(tmp_path / "a.png")
    for args, match in [(["--precision", "int4"], "precision 'int4' is not allowed; choose one of fp32, bf16, int8"),
                        (["--precision", "int8", "--half"], "--precision int8 quantizes the model itself")]:
        assert main(["restore", str(tmp_path / "a.png"), "-o", str(tmp_path / "b.png"), "--task", "sr",
                     *args]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and match in err[0], err
    assert not (tmp_path / "b.png").exists()
    with pytest.raises(scn.ScnError, match="int8 runs on the CPU"):
        Restorer.at_precision(scn.create_model("scn_small_x2"), "int8", device="cuda")


def test_export_int8_writes_the_model_restore_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`scn export --int8` writes the file `--precision int8` runs, taken from the cache when restore made it (and
    quantized into it when not)."""
    import onnx
    from scn.inference.engine import onnx_forward
    from scn.inference.export import read_onnx_config
    from scn.inference.int8 import int8_model

    model = scn.resolve("scn_small_x2.bicubic").load()
    model.shipped_name = None  # int8 whatever weights/int8.json says
    pic = crop()
    restored = Restorer.at_precision(model, "int8", tile=0).restore(pic).color  # quantizes into the cache if new
    capsys.readouterr()
    out = tmp_path / "x2_int8.onnx"
    assert main(["export", "--model", "scn_small_x2.bicubic", "--int8", "-o", str(out)]) == 0
    assert "quantizing" not in capsys.readouterr().err and out.read_bytes() == int8_model(model).read_bytes()
    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert meta["scn_precision"] == "int8" and read_onnx_config(out).scale == 2
    exported = Restorer(config=read_onnx_config(out), forward=onnx_forward(out), tile=0).restore(pic).color
    np.testing.assert_array_equal(exported, restored)
    assert main(["export", "--model", "scn_small_x2.bicubic", "--int8", "--format", "pt2", "-o",
                 str(tmp_path / "x.pt2")]) == 2


def test_an_unwritable_cache_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the int8 cache cannot be made, int8 restore says so in one line with what to do (`scn export --int8`
    quantizes straight into its output instead)."""
    from scn.inference.int8 import CacheUnwritable

    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv("SCN_CACHE", str(blocker))
    model = scn.resolve("scn_small_x2.bicubic").load()
    model.shipped_name = None
    with pytest.raises(CacheUnwritable, match=r"cannot write the int8 cache .*a_file.*set SCN_CACHE"):
        Restorer.at_precision(model, "int8", tile=0).restore(crop())
