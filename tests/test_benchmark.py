"""`scn benchmark`: published numbers reproduced (with ../shared), determinism, output files, error paths."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import scn
from scn.cli.main import main
from scn.tasks import DENOISE
from conftest import SHARED, TINY, cli, needs_shared

TEST = SHARED / "datasets/test"
PEERS = SHARED / "peers"


def bench(tmp_path: Path, *args: str) -> list[dict]:
    out = tmp_path / "rows.json"
    assert main(["benchmark", "--no-progress", "--json", str(out), *args]) == 0
    return json.loads(out.read_text())["rows"]


def cell(rows: list[dict], method: str, dataset: str, setting: int) -> dict:
    return next(r for r in rows if r["method"] == method and r["dataset"] == dataset and r["setting"] == setting)


@needs_shared
def test_bicubic_reproduces_published_rows(tmp_path: Path) -> None:
    rows = bench(tmp_path, "--task", "sr", "--scale", "2", "3", "4", "--data", str(TEST / "Set5"),
                 str(TEST / "Set14"), "--method", "bicubic")
    for s, (p5, s5, p14) in {2: (33.66, 0.9299, 30.24), 3: (30.39, 0.8682, 27.55), 4: (28.42, 0.8104, 26.00)}.items():
        assert cell(rows, "bicubic", "Set5", s)["psnr"] == pytest.approx(p5, abs=0.01)
        assert cell(rows, "bicubic", "Set5", s)["ssim"] == pytest.approx(s5, abs=0.0005)
        assert cell(rows, "bicubic", "Set14", s)["psnr"] == pytest.approx(p14, abs=0.02)
    again = bench(tmp_path, "--task", "sr", "--scale", "2", "--data", str(TEST / "Set5"), "--method", "bicubic")
    assert again[0]["images"] == cell(rows, "bicubic", "Set5", 2)["images"]  # deterministic


@needs_shared
def test_imdn_x2_on_set5(tmp_path: Path) -> None:
    rows = bench(tmp_path, "--task", "sr", "--scale", "2", "--data", str(TEST / "Set5"),
                 "--method", f"imdn:{PEERS / 'IMDN'}")
    assert rows[0]["psnr"] == pytest.approx(38.00, abs=0.02)


@needs_shared
def test_arcnn_q10_and_jpeg_row_on_classic5(tmp_path: Path) -> None:
    rows = bench(tmp_path, "--task", "jpeg", "--quality", "10", "--data", str(TEST / "Classic5"),
                 "--method", "identity", f"arcnn:{PEERS / 'ARCNN'}")
    assert cell(rows, "identity", "Classic5", 10)["psnr"] == pytest.approx(27.82, abs=0.01)
    assert cell(rows, "arcnn", "Classic5", 10)["psnr"] == pytest.approx(29.03, abs=0.02)
    assert cell(rows, "arcnn", "Classic5", 10)["ssim"] == pytest.approx(0.7929, abs=0.0005)
    assert "psnr_b" in rows[0] and "psnr_b" in rows[0]["images"][0]


@needs_shared
def test_dncnn_kair_sigma25_on_set12(tmp_path: Path) -> None:
    rows = bench(tmp_path, "--task", "denoise", "--sigma", "25", "--data", str(TEST / "Set12"),
                 "--method", f"dncnn:{PEERS / 'DnCNN_KAIR' / 'dncnn_25.pth'}")
    assert rows[0]["psnr"] == pytest.approx(30.44, abs=0.02)


# -- synthetic data: run anywhere ----------------------------------------------------------------------------------

def make_set(folder: Path, n: int = 2, size: tuple[int, int] = (40, 36), mode: str = "RGB") -> Path:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        shape = size + ((3,) if mode == "RGB" else ())
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode=mode).save(folder / f"im{i}.png")
    return folder


def test_checkpoint_method_with_ensemble_csv_and_images(tmp_path: Path) -> None:
    data = make_set(tmp_path / "Tiny")
    ckpt = scn.save_model(scn.create_model("scn_x2", **TINY), tmp_path / "tiny.safetensors")
    rows = bench(tmp_path, "--task", "sr", "--scale", "2", "--data", str(data), "--method", str(ckpt),
                 "bicubic-rgb", "--ensemble", "--csv", str(tmp_path / "rows.csv"), "--save-images",
                 str(tmp_path / "out"))
    assert [r["method"] for r in rows] == ["tiny+", "bicubic-rgb"]
    assert rows[0]["setting"] == 2 and len(rows[0]["images"]) == 2 and rows[0]["task"] == "sr"
    assert (tmp_path / "rows.csv").read_text().startswith("method,dataset,task,setting,psnr,ssim")
    saved = Image.open(tmp_path / "out" / "tiny+" / "Tiny" / "2" / "im0.png")
    assert saved.size == (36, 40)


def test_gray_tasks_convert_colour_files_to_y(tmp_path: Path) -> None:
    data = make_set(tmp_path / "Mixed", n=1)
    make_set(tmp_path / "Gray", n=1, mode="L")
    rows = bench(tmp_path, "--task", "denoise", "--sigma", "15", "--data", str(data), str(tmp_path / "Gray"),
                 "--method", "identity")
    assert {r["dataset"] for r in rows} == {"Mixed", "Gray"}
    assert all(20 < r["psnr"] < 30 for r in rows)  # sigma 15 noise on [0,255] gives ~24.6 dB


@pytest.mark.parametrize("case", ["missing", "empty", "text_png", "small", "sigma_for_sr", "identity_sr",
                                  "no_weights", "bad_weights", "no_setting", "ambiguous", "model_scale"])
def test_errors_are_one_line(tmp_path: Path, case: str) -> None:
    good = make_set(tmp_path / "Good")
    args = ["benchmark", "--task", "sr", "--scale", "2", "--data", str(good), "--method", "bicubic"]
    expect = {
        "missing": "no such folder", "empty": "no images", "text_png": "unreadable image",
        "small": "too small", "sigma_for_sr": "--sigma does not apply", "identity_sr": "does not do task 'sr'",
        "no_weights": "needs weights", "bad_weights": "not a loadable weights file",
        "no_setting": "needs --scale", "ambiguous": "need exactly one weights file", "model_scale": "is x2, not x3",
    }[case]
    if case == "missing":
        args[6] = str(tmp_path / "nope")
    elif case == "empty":
        (tmp_path / "Empty").mkdir()
        args[6] = str(tmp_path / "Empty")
    elif case == "text_png":
        (good / "broken.png").write_text("not an image")
    elif case == "small":
        args[6] = str(make_set(tmp_path / "Small", size=(12, 12)))
    elif case == "sigma_for_sr":
        args += ["--sigma", "25"]
    elif case == "identity_sr":
        args[-1] = "identity"
    elif case == "no_weights":
        args[-1] = "imdn"
    elif case == "bad_weights":
        (tmp_path / "w.pth").write_bytes(b"garbage")
        args[-1] = f"imdn:{tmp_path / 'w.pth'}"
    elif case == "no_setting":
        args = args[:3] + args[5:]
    elif case == "ambiguous":
        (tmp_path / "W").mkdir()
        for name in ("a_x2.pth", "b_x2.pth"):
            (tmp_path / "W" / name).write_bytes(b"")
        args[-1] = f"imdn:{tmp_path / 'W'}"
    elif case == "model_scale":
        ckpt = scn.save_model(scn.create_model("scn_x2", **TINY), tmp_path / "m.safetensors")
        args[4], args[-1] = "3", str(ckpt)
    proc = cli(*args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expect in lines[0] and "Traceback" not in proc.stderr


def test_bm3d_missing_package_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def fake_import(name: str, *args, **kwargs):
        if name == "bm3d":
            raise ImportError("no bm3d")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    from scn.evaluation.methods import MethodError, make_method

    with pytest.raises(MethodError, match="pip install bm3d"):
        make_method("bm3d", DENOISE)


# -- colour denoising and deblocking ------------------------------------------------------------------------------
def test_colour_benchmark_scores_rgb_and_gray_models_take_the_luma_route(tmp_path: Path) -> None:
    """--color: noise on every RGB value (sigma 25: about 20-21 dB RGB PSNR after rounding and clipping), colour
    JPEG; a gray model restores the luma only (as `scn restore` does), which lifts RGB PSNR a little: the colour
    noise stays."""
    photo = scn.data.samples.demo_photo()[100:228, 120:248]
    data = tmp_path / "Colour"
    data.mkdir()
    Image.fromarray(photo).save(data / "face.png")
    rows = bench(tmp_path, "--task", "denoise", "--sigma", "25", "--color", "--data", str(data), "--method",
                 "identity", "scn_small_denoise.s25")
    noisy, luma = cell(rows, "identity", "Colour", 25), cell(rows, "scn_small_denoise.s25", "Colour", 25)
    assert 20.0 < noisy["psnr"] < 21.5 and noisy["psnr"] < luma["psnr"] < noisy["psnr"] + 2
    gray = bench(tmp_path, "--task", "denoise", "--sigma", "25", "--data", str(data), "--method", "identity")
    assert 20.0 < gray[0]["psnr"] < 21.5 and gray[0]["ssim"] != noisy["ssim"]  # the same level, on Y alone
    jpeg = bench(tmp_path, "--task", "jpeg", "--quality", "10", "--color", "--data", str(data), "--method",
                 "identity", "scn_small_jpeg.q10")
    assert cell(jpeg, "scn_small_jpeg.q10", "Colour", 10)["psnr"] > cell(jpeg, "identity", "Colour", 10)["psnr"]
    assert main(["benchmark", "--task", "sr", "--scale", "2", "--color", "--data", str(data), "--method",
                 "bicubic"]) == 2


def test_colour_jpeg_is_4_2_0_as_pillow_writes_it() -> None:
    import io

    from scn.data.degrade import jpeg_compress
    from scn.metrics.protocols import gray_scores
    from scn.metrics.quality import ssim

    rgb = scn.data.samples.demo_photo()[:96, :128]
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=20, subsampling="4:2:0")
    assert np.array_equal(jpeg_compress(rgb, 20), np.array(Image.open(io.BytesIO(buf.getvalue()))))
    assert jpeg_compress(rgb[..., 0], 20).shape == (96, 128)
    out = jpeg_compress(rgb, 20)
    scores = gray_scores(out, rgb, with_psnr_b=True)
    mse = np.mean((out.astype(float) - rgb) ** 2)
    assert np.isclose(scores["psnr"], 10 * np.log10(255 ** 2 / mse))
    assert np.isclose(scores["ssim"], np.mean([ssim(out[..., c], rgb[..., c]) for c in range(3)]))


@pytest.mark.parametrize("task, flag, setting, protocol, shipped", [
    ("denoise", "--sigma", "25", ["--color"], "scn_denoise_rgb.sigma"),
    ("denoise", "--sigma", "25", ["--color", "--clip"], "scn_denoise_rgb.sigma_8bit"),
    ("jpeg", "--quality", "10", ["--color"], "scn_jpeg_rgb.q10"),
    ("denoise", "--sigma", "25", [], "scn_small_denoise.s25"),
])
def test_scn_scores_the_model_scn_restore_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str], task: str,
                                               flag: str, setting: str, protocol: list[str], shipped: str) -> None:
    """`--method scn` is the shipped default for the pictures scored (colour ones: the colour model, as `scn
    restore` takes; noise clipped as files hold it, --clip: the denoiser trained on such noise, which `scn restore`
    runs on files), named under the table; whole names head the columns."""
    data = tmp_path / "Photo"
    data.mkdir()
    Image.fromarray(scn.data.samples.demo_photo()[100:164, 120:184]).save(data / "face.png")
    rows = bench(tmp_path, "--task", task, flag, setting, *protocol, "--data", str(data), "--method", "scn", shipped)
    ours, named = cell(rows, "scn", "Photo", int(setting)), cell(rows, shipped, "Photo", int(setting))
    assert ours["psnr"] == named["psnr"] and ours["ssim"] == named["ssim"]
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("set "))  # after the --clip line
    assert shipped in header and f"scn: {shipped} at" in out


def test_a_missing_optional_method_is_skipped_with_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    import builtins

    real_import = builtins.__import__
    monkeypatch.setattr(builtins, "__import__", lambda name, *a, **k: (_ for _ in ()).throw(ImportError(name))
                        if name == "bm3d" else real_import(name, *a, **k))
    rows = bench(tmp_path, "--task", "denoise", "--sigma", "15", "--data", str(make_set(tmp_path / "S")), "--method",
                 "identity", "bm3d")
    assert {r["method"] for r in rows} == {"identity"}
    assert "skipping bm3d: method 'bm3d' needs the optional bm3d package" in capsys.readouterr().err
    proc = cli("benchmark", "--task", "denoise", "--sigma", "15", "--data", str(tmp_path / "S"), "--method",
               "bm3d_rgb")
    assert proc.returncode == 2 and "methods: bicubic, bicubic-rgb, identity, bm3d, dncnn:WEIGHTS" in proc.stderr


@needs_shared
def test_data_takes_a_set_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = bench(tmp_path, "--task", "sr", "--scale", "4", "--data", "Set5", "--method", "bicubic")
    assert rows[0]["dataset"] == "Set5" and round(rows[0]["psnr"], 2) == 28.42
    assert "Set5: " in capsys.readouterr().err
    assert cli("benchmark", "--task", "sr", "--scale", "4", "--data", "Set55", "--method",
               "bicubic").stderr.count("no such folder nor a set in ../shared/datasets/test") == 1


def test_clip_scores_noisy_pictures_as_8_bit_files_hold_them(tmp_path: Path) -> None:
    """--clip: the restorer gets the noisy picture clipped to [0, 1] and on the 1/255 grid (the noise an 8-bit
    file holds), so a network scores otherwise than on unclipped noise; the input row is the same (it is scored
    as 8 bits either way); --clip with another task is a one-line error."""
    from scn.evaluation.methods import Method
    from scn.evaluation.runner import run_benchmark
    from scn.evaluation import runner

    photo = scn.data.samples.demo_photo()[100:164, 120:184]
    data = tmp_path / "Colour"
    data.mkdir()
    Image.fromarray(photo).save(data / "face.png")
    seen: list[np.ndarray] = []

    class Spy(Method):
        label, tasks = "spy", ("denoise",)

        def restore(self, degraded: np.ndarray, task: str, setting: int) -> np.ndarray:
            seen.append(degraded)
            return degraded

    test_set = runner.load_test_set(data, DENOISE, 3)
    run_benchmark([Spy()], [test_set], DENOISE, [50], progress=False, clip_noise=True)
    run_benchmark([Spy()], [test_set], DENOISE, [50], progress=False)
    clipped, raw = seen
    assert clipped.min() >= 0 and clipped.max() <= 1 and np.allclose(clipped * 255, np.round(clipped * 255))
    assert raw.min() < 0 or raw.max() > 1
    plain = bench(tmp_path, "--task", "denoise", "--sigma", "50", "--color", "--data", str(data), "--method",
                  "identity", "scn_small_denoise_rgb.blind")
    clip = bench(tmp_path, "--task", "denoise", "--sigma", "50", "--color", "--clip", "--data", str(data),
                 "--method", "identity", "scn_small_denoise_rgb.blind")
    assert cell(plain, "identity", "Colour", 50)["psnr"] == cell(clip, "identity", "Colour", 50)["psnr"]
    blind = "scn_small_denoise_rgb.blind"
    assert cell(plain, blind, "Colour", 50)["psnr"] != cell(clip, blind, "Colour", 50)["psnr"]
    assert main(["benchmark", "--task", "jpeg", "--quality", "10", "--clip", "--data", str(data), "--method",
                 "identity"]) == 2


def test_rows_from_an_earlier_run_share_the_table_and_pictures_are_counted(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """--rows-from adds a slow method's saved rows (scored once) to a new run's table; --versus counts, picture by
    picture, where each method beats it; rows degraded otherwise (--clip), a method given twice and an unknown
    --versus are one-line errors."""
    photo = scn.data.samples.demo_photo()
    data = tmp_path / "Crops"
    data.mkdir()
    for i, (y, x) in enumerate([(100, 120), (20, 20), (150, 200)]):
        Image.fromarray(photo[y:y + 48, x:x + 48]).save(data / f"crop{i}.png")
    common = ["--task", "denoise", "--sigma", "25", "--color", "--data", str(data)]
    saved = tmp_path / "identity.json"
    assert main(["benchmark", "--no-progress", "--json", str(saved), *common, "--method", "identity"]) == 0
    capsys.readouterr()
    blind = "scn_small_denoise_rgb.blind"
    out = tmp_path / "both.json"
    assert main(["benchmark", "--no-progress", "--json", str(out), *common, "--method", blind, "--rows-from",
                 str(saved), "--versus", "identity"]) == 0
    printed = capsys.readouterr().out
    both = json.loads(out.read_text())
    assert [r["method"] for r in both["rows"]] == [blind, "identity"]
    assert both["rows"][1] == json.loads(saved.read_text())["rows"][0]  # the saved row as it was
    (count,) = both["picture_counts"]
    assert (count["method"], count["versus"], count["higher"], count["of"]) == (blind, "identity", 3, 3)
    gains = [a["psnr"] - b["psnr"] for a, b in zip(both["rows"][0]["images"], both["rows"][1]["images"])]
    assert count["mean_gain"] == pytest.approx(np.mean(gains), abs=1e-3) and count["mean_gain"] > 3
    assert "pictures with a higher PSNR than identity" in printed and "3/3 (+" in printed
    table = tmp_path / "table.json"  # no --method: a table of saved rows alone, counted all the same
    assert main(["benchmark", "--no-progress", "--json", str(table), *common, "--rows-from", str(saved), str(out),
                 "--versus", "identity"]) == 0
    assert json.loads(table.read_text())["rows"] == json.loads(saved.read_text())["rows"] + both["rows"][:1]
    assert json.loads(table.read_text())["picture_counts"] == both["picture_counts"]
    for extra, expect in [(["--clip", "--method", blind], "degraded otherwise"),
                          (["--method", "identity"], "scored twice"),
                          (["--method", blind, "--versus", "bm3d"], "--versus bm3d: no such method")]:
        proc = cli("benchmark", "--no-progress", *common, "--rows-from", str(saved), *extra)
        assert proc.returncode == 2 and expect in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, \
            proc.stderr


def test_estimated_sigma_scores_a_conditioned_denoiser_told_and_estimating(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """--estimated-sigma: a model told the noise level gets a twin column NAME~est fed the level estimated from
    each picture (as `scn restore` without --sigma), the levels in the JSON and printed; a blind model gets none;
    another task is a one-line error."""
    photo = scn.data.samples.demo_photo()
    data = tmp_path / "Crops"
    data.mkdir()
    for i, (y, x) in enumerate([(100, 120), (150, 200)]):
        Image.fromarray(photo[y:y + 64, x:x + 64]).save(data / f"crop{i}.png")
    told = scn.save_model(scn.create_model("scn_denoise_rgb", noise_map=True, **TINY), tmp_path / "told.safetensors")
    rows = bench(tmp_path, "--task", "denoise", "--sigma", "30", "--color", "--data", str(data), "--method",
                 str(told), "identity", "--estimated-sigma")
    assert [r["method"] for r in rows] == ["told", "told~est", "identity"]
    levels = [img["level"] for img in rows[1]["images"]]
    assert len(levels) == 2 and all(20 < v < 40 for v in levels)
    assert all("level" not in img for img in rows[0]["images"])
    assert rows[0]["images"] != rows[1]["images"]
    assert "told~est on Crops at σ30: estimated sigma" in capsys.readouterr().out
    rows = bench(tmp_path, "--task", "denoise", "--sigma", "30", "--color", "--data", str(data), "--method",
                 "scn_small_denoise_rgb.blind", "--estimated-sigma")
    assert [r["method"] for r in rows] == ["scn_small_denoise_rgb.blind"]
    assert "no method is told the noise level" in capsys.readouterr().err
    proc = cli("benchmark", "--task", "jpeg", "--quality", "10", "--data", str(data), "--method", "identity",
               "--estimated-sigma")
    assert proc.returncode == 2 and "--estimated-sigma applies to --task denoise" in proc.stderr


def test_the_default_estimating_runs_what_a_user_without_a_sigma_gets(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """`scn` with --estimated-sigma: told each sigma it resolves as `scn restore --sigma S` does (the model told the
    level), and its twin `scn~est` as `scn restore` without --sigma does (the model told the level, estimating it)."""
    photo = scn.data.samples.demo_photo()
    data = tmp_path / "Crops"
    data.mkdir()
    Image.fromarray(photo[100:164, 120:184]).save(data / "crop.png")
    out = tmp_path / "rows.json"
    assert main(["benchmark", "--no-progress", "--json", str(out), "--task", "denoise", "--sigma", "25", "--color",
                 "--data", str(data), "--method", "scn", "--estimated-sigma"]) == 0
    resolved = json.loads(out.read_text())["resolved"]
    assert resolved == {"scn": {"σ25": "scn_denoise_rgb.sigma"}, "scn~est": {"σ25": "scn_denoise_rgb.sigma"}}
    assert "scn~est: scn_denoise_rgb.sigma at σ25" in capsys.readouterr().out


def test_holdout_of_scores_a_configs_held_out_pictures_as_a_folder_of_them_scores(tmp_path: Path) -> None:
    """--holdout-of CONFIG: the pictures the config's data.holdout keeps out of training, scored as the set
    'holdout', the same numbers as a folder holding just those pictures; a config holding none out, or neither
    --data nor --holdout-of, is a one-line error."""
    import shutil

    import yaml

    pool = make_set(tmp_path / "Pool", n=4, size=(48, 44))
    config = {"model": {"name": "scn_denoise_rgb", "overrides": TINY}, "task": {"type": "denoise", "sigma": 25},
              "data": {"train": [str(pool)], "val": ["holdout"], "holdout": ["Pool/im1.png", "Pool/im3.png"]},
              "train": {"steps": 1}}
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(config))
    held = tmp_path / "by_hand" / "holdout"
    held.mkdir(parents=True)
    for name in ("im1.png", "im3.png"):
        shutil.copy(pool / name, held / name)
    args = ["--task", "denoise", "--sigma", "15", "--color", "--method", "identity"]
    rows = bench(tmp_path, *args, "--holdout-of", str(tmp_path / "cfg.yaml"))
    assert [(r["dataset"], [i["name"] for i in r["images"]]) for r in rows] == [("holdout", ["im1", "im3"])]
    untimed = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    assert untimed(rows) == untimed(bench(tmp_path, *args, "--data", str(held)))
    config["data"].update(val=[str(pool)], holdout=[])
    (tmp_path / "none.yaml").write_text(yaml.safe_dump(config))
    for extra, expect in [(["--holdout-of", str(tmp_path / "none.yaml")], "holds no pictures out"),
                          (["--holdout-of", str(tmp_path / "nope.yaml")], "no such config file"), ([], "--data")]:
        proc = cli("benchmark", *args, *extra)
        assert proc.returncode == 2 and expect in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, \
            proc.stderr


def test_a_long_folder_name_keeps_the_table_columns_apart() -> None:
    """A set named by a long folder (a held-out view, say) is written whole, its setting in a column of its own."""
    from scn.evaluation.report import format_table
    from scn.evaluation.runner import Row

    rows = [Row("identity", name, DENOISE, 15, 20.0, 0.5) for name in ("Set5", "holdout_vivid_half")]
    lines = format_table(rows).splitlines()
    assert lines[2].startswith("Set5 ") and lines[3].startswith("holdout_vivid_half  σ15")
    assert len({line.index("σ15") for line in lines[2:]}) == 1 and lines[0].index("setting") == lines[2].index("σ15")
