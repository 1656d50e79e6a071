"""`scn restore`, `scn.restore`, images as people have them, tiling, export, the model zoo, `scn demo`."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import time
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import scn
import scn.zoo as zoo
from scn.cli.demo_cmd import demo_photo
from scn.cli.main import main
from scn.inference.engine import Restorer, TilingWarning
from scn.inference.images import Picture, read_picture, write_picture
from scn.inference.tiling import Footprint
from scn.metrics import psnr
from conftest import TINY


def tame(model: scn.RestorationNet) -> scn.RestorationNet:
    """An untrained model whose residual branches are small, so it behaves like a trained one (smooth, stable);
    raw random SCNs amplify their input across blocks and are no fair test of tiling."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("conv2.weight_g") or (".taps." in name and name.endswith("weight_g")):
                p.mul_(0.1)
    return model.eval()


def quick_fit(model: scn.RestorationNet, steps: int = 150) -> scn.RestorationNet:
    """A few seconds of x2 training on the demo photo: enough for image-like, stable outputs (an untrained SCN
    is chaotic and no fair test of tiling)."""
    photo = demo_photo()
    lr = torch.from_numpy(scn.data.imresize(photo, 0.5).transpose(2, 0, 1) / 255.0).float()
    hr = torch.from_numpy(photo.transpose(2, 0, 1) / 255.0).float()
    rng = np.random.default_rng(0)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(steps):
        ys, xs = rng.integers(0, lr.shape[1] - 24, 8), rng.integers(0, lr.shape[2] - 24, 8)
        x = torch.stack([lr[:, y:y + 24, x:x + 24] for y, x in zip(ys, xs)])
        y = torch.stack([hr[:, 2 * y:2 * y + 48, 2 * x:2 * x + 48] for y, x in zip(ys, xs)])
        loss = torch.nn.functional.l1_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


@pytest.fixture(scope="module")
def sr_ckpt(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "sr_x2.safetensors"
    model = scn.create_model("scn_small_x2", num_blocks=4, num_features=16, align_corners=False)
    return scn.save_model(quick_fit(model), path)


@pytest.fixture(scope="module")
def denoise_ckpt(tmp_path_factory) -> Path:
    torch.manual_seed(1)
    path = tmp_path_factory.mktemp("ckpt") / "dn.safetensors"
    return scn.save_model(tame(scn.create_model("scn_denoise", **TINY)), path)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scn.cli.main", *args], capture_output=True, text=True)


def photo_crop() -> np.ndarray:
    return demo_photo()[100:400, 150:410]  # 300x260 of a real photograph (matplotlib's sample data)


# -- tiling --------------------------------------------------------------------------------------------------------

def test_tiled_equals_untiled_on_a_real_photo(sr_ckpt: Path) -> None:
    """The 300x260 crop at x2 with 96-pixel tiles: the pyramid of an aligned tile samples the image in the same
    phase as the whole image's (align_corners=False, the shipped models' setting)."""
    model = scn.load_model(sr_ckpt)
    pic = Picture(photo_crop().astype(np.float32) / 255)
    full = Restorer(model, tile=0).restore(pic).color
    tiled = Restorer(model, tile=96).restore(pic).color
    a, b = np.floor(full * 255 + 0.5), np.floor(tiled * 255 + 0.5)
    assert full.shape == (600, 520, 3)
    assert psnr(a, b) > 50 and np.abs(a - b).max() <= 2


def test_a_noise_map_denoiser_is_told_the_sigma_tiles_exactly_or_estimates_it() -> None:
    """A denoiser with a noise-level input gets the sigma asked for as its map: another sigma, another result;
    tiled matches whole as for the other models; through `scn.restore` and the benchmark's method the same;
    without a sigma, the picture's own level, estimated."""
    from scn.evaluation.methods import NetworkMethod

    model = scn.create_model("scn_small_denoise_rgb", noise_map=True, align_corners=False, **TINY).eval()
    with torch.no_grad():
        model.head.weight_v[:, 3:].normal_(0, 1.0)  # the map matters
    pic = Picture(photo_crop()[:120, :100].astype(np.float32) / 255)
    at25 = Restorer(model, tile=0, noise_level=25).restore(pic).color
    assert np.abs(at25 - Restorer(model, tile=0, noise_level=50).restore(pic).color).max() > 1e-3
    tiled = np.floor(Restorer(model, tile=48, noise_level=25).restore(pic).color * 255 + 0.5)
    whole = np.floor(at25 * 255 + 0.5)
    assert psnr(tiled, whole) > 50 and np.abs(tiled - whole).max() <= 2  # as tiles do without the map
    np.testing.assert_allclose(scn.restore(pic.color, "denoise", sigma=25, model=model), at25, atol=1e-6)
    method = NetworkMethod("m", ("denoise",), lambda s: model)
    np.testing.assert_allclose(method.restore(pic.color, "denoise", 25), at25, atol=1e-6)
    noisy = pic.color + np.random.RandomState(0).normal(0, 30 / 255, pic.color.shape)  # unclipped, as tables
    estimating = Restorer(model, tile=0)  # no sigma: estimated from the picture (Chen et al. 2015)
    out = estimating.restore(Picture(noisy.astype(np.float32))).color
    assert estimating.estimated_level is not None and abs(estimating.estimated_level - 30) < 3
    told = Restorer(model, tile=0, noise_level=estimating.estimated_level).restore(Picture(noisy.astype(np.float32)))
    np.testing.assert_allclose(out, told.color, atol=1e-6)


def test_a_model_that_is_not_tile_exact_is_restored_whole_or_warns(sr_ckpt: Path) -> None:
    """align_corners=True (the registry's default): whole when it fits the budget, so equal to the untiled run;
    forced tiles give one warning with how far they move this image; a tile-exact model gives none."""
    fitted = scn.load_model(sr_ckpt)
    model = scn.build(fitted.config.replace(align_corners=True))
    model.load_state_dict(fitted.state_dict())
    pic = Picture(photo_crop().astype(np.float32) / 255)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning while nothing is tiled
        assert np.array_equal(Restorer(model).restore(pic).color, Restorer(model, tile=0).restore(pic).color)
    with pytest.warns(TilingWarning, match=r"not tile-exact \(align_corners=True.*about \d+\.\d dB PSNR") as caught:
        restorer = Restorer(model, tile=96)
        restorer.restore(pic)
        restorer.restore(pic)
    assert len(caught) == 1  # once per Restorer
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Restorer(fitted, tile=96).restore(pic)  # align_corners=False: tile-exact, no warning


def test_the_tiling_warning_is_one_line_in_the_cli(sr_ckpt: Path, tmp_path: Path) -> None:
    fitted = scn.load_model(sr_ckpt)
    model = scn.build(fitted.config.replace(align_corners=True))
    model.load_state_dict(fitted.state_dict())
    path = scn.save_model(model, tmp_path / "ac.safetensors")
    Image.fromarray(photo_crop()[:120, :100]).save(tmp_path / "in.png")
    proc = subprocess.run([sys.executable, "-m", "scn.cli.main", "restore", str(tmp_path / "in.png"), "-o",
                           str(tmp_path / "out.png"), "--model", str(path), "--tile", "48", "--no-progress"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scn restore: warning: this model is not tile-exact")


def test_tiling_switches_on_by_itself(sr_ckpt: Path) -> None:
    model = scn.load_model(sr_ckpt)
    x = torch.rand(1, 3, 120, 100)
    auto = Restorer(model, max_memory=2e6)  # far below what 120x100 needs
    assert scn.inference.tiling.auto_tile(Footprint.of(model.config), 120, 100, 2e6) > 0
    explicit = Restorer(model, tile=scn.inference.tiling.auto_tile(Footprint.of(model.config), 120, 100, 2e6))
    assert torch.equal(auto.run(x), explicit.run(x))
    assert scn.inference.tiling.auto_tile(Footprint.of(model.config), 120, 100, 1e12) == 0


# -- the Python API ------------------------------------------------------------------------------------------------

def test_api_returns_the_kind_it_was_given(sr_ckpt: Path, tmp_path: Path) -> None:
    rgb = photo_crop()[:40, :32]
    out = scn.restore(rgb, "sr", scale=2, model=sr_ckpt)
    assert out.dtype == np.uint8 and out.shape == (80, 64, 3)
    gray16 = (rgb[..., 0].astype(np.uint16) * 257)
    out16 = scn.restore(gray16, "sr", model=sr_ckpt)
    assert out16.dtype == np.uint16 and out16.shape == (80, 64)
    outf = scn.restore(rgb.astype(np.float32) / 255, "sr", model=sr_ckpt)
    assert outf.dtype == np.float32 and np.abs(outf * 255 - out).max() <= 1
    pil = scn.restore(Image.fromarray(rgb), "sr", model=sr_ckpt)
    assert isinstance(pil, Image.Image) and pil.size == (64, 80)
    Image.fromarray(rgb).save(tmp_path / "in.png")
    written = scn.restore(tmp_path / "in.png", "sr", model=sr_ckpt, output=tmp_path / "out.png")
    assert Image.open(written).size == (64, 80)
    with pytest.raises(scn.ScnError, match="sigma does not apply to task 'sr'"):
        scn.restore(rgb, "sr", sigma=25)
    with pytest.raises(scn.ScnError, match="not x3"):
        scn.restore(rgb, "sr", scale=3, model=sr_ckpt)


def test_gray_model_on_colour_keeps_chroma(denoise_ckpt: Path) -> None:
    rgb = photo_crop()[:48, :48]
    out = scn.restore(rgb, "denoise", sigma=25, model=denoise_ckpt)
    assert out.shape == rgb.shape
    from scn.data import rgb_to_ycbcr

    cin, cout = rgb_to_ycbcr(rgb)[..., 1:], rgb_to_ycbcr(out)[..., 1:]
    assert np.abs(cin - cout).mean() < 2.0  # Cb/Cr kept (up to rounding and clipping)


# -- files as people have them --------------------------------------------------------------------------------------

def test_formats_bit_depths_alpha_palette_exif(sr_ckpt: Path, tmp_path: Path) -> None:
    rgb = photo_crop()[:24, :20]
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 200, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    Image.fromarray(rgb).convert("P", palette=Image.ADAPTIVE).save(tmp_path / "p.png")
    Image.fromarray(rgb).save(tmp_path / "j.jpg", quality=95)
    Image.fromarray(rgb).save(tmp_path / "w.webp")
    Image.fromarray(rgb).save(tmp_path / "b.bmp")
    Image.fromarray(rgb[..., 0]).save(tmp_path / "g.tif")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when displayed
    Image.fromarray(rgb).save(tmp_path / "rot.jpg", exif=exif.tobytes())
    write_picture(Picture((rgb / 255.0).astype(np.float32), None, bits=16), tmp_path / "c16.png")
    out = tmp_path / "out"
    assert main(["restore", str(tmp_path), "-o", str(out), "--model", str(sr_ckpt), "--no-progress"]) == 0
    a = Image.open(out / "a.png")
    assert a.mode == "RGBA" and a.size == (40, 48) and abs(np.asarray(a)[..., 3].astype(int) - 200).max() <= 1
    assert Image.open(out / "p.png").size == (40, 48)
    assert Image.open(out / "g.tif").mode == "L"
    assert Image.open(out / "rot.jpg").size == (48, 40)  # EXIF orientation applied: portrait becomes landscape
    sixteen = read_picture(out / "c16.png")
    assert sixteen.bits == 16 and sixteen.color.shape == (48, 40, 3)
    for name in ("j.jpg", "w.webp", "b.bmp"):
        assert Image.open(out / name).size == (40, 48)


def test_sixteen_bit_round_trip(tmp_path: Path) -> None:
    values = (np.arange(12 * 10 * 3).reshape(12, 10, 3) * 181 % 65536).astype(np.float32) / 65535
    write_picture(Picture(values, values[..., 0].copy(), bits=16), tmp_path / "x.png")
    back = read_picture(tmp_path / "x.png")
    assert back.bits == 16 and np.abs(back.color - values).max() < 1e-6 and back.alpha is not None


def bomb_png(path: Path, width: int, height: int) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))


@pytest.mark.parametrize("case", ["text_png", "zero_bytes", "one_pixel", "unwritable", "bomb"])
def test_bad_inputs_are_one_line_errors_leaving_nothing(sr_ckpt: Path, tmp_path: Path, case: str) -> None:
    src = tmp_path / "in.png"
    out_dir = tmp_path / "out"
    expect = {"text_png": "not an image", "zero_bytes": "empty file", "one_pixel": "at least 4x4",
              "unwritable": "cannot", "bomb": "decompression bomb"}[case]
    if case == "text_png":
        src.write_text("hello, I am text")
    elif case == "zero_bytes":
        src.write_bytes(b"")
    elif case == "one_pixel":
        Image.new("RGB", (1, 1)).save(src)
    elif case == "unwritable":
        Image.fromarray(photo_crop()[:20, :20]).save(src)
        (tmp_path / "afile").write_text("x")
        out_dir = tmp_path / "afile" / "out"  # a folder that cannot be made
    else:
        bomb_png(src, 50000, 50000)
    proc = cli("restore", str(src), "-o", str(out_dir), "--model", str(sr_ckpt), "--no-progress")
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.strip().splitlines() if not line.startswith("restored ")]
    assert len(lines) == 1 and expect in lines[0] and "Traceback" not in proc.stderr, proc.stderr
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and p.name not in ("in.png", "afile")]
    assert not leftovers


def test_bomb_limit_can_be_raised_and_batch_goes_on(sr_ckpt: Path, tmp_path: Path) -> None:
    good = photo_crop()[:20, :24]
    Image.fromarray(good).save(tmp_path / "a.png")
    (tmp_path / "b.png").write_text("broken")
    Image.fromarray(good).save(tmp_path / "c.png")
    proc = cli("restore", str(tmp_path / "*.png"), "-o", str(tmp_path / "out"), "--model", str(sr_ckpt),
               "--no-progress")
    assert proc.returncode == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "c.png"]
    assert "b.png" in proc.stderr and "restored 2 of 3" in proc.stderr
    proc = cli("restore", str(tmp_path / "a.png"), "-o", str(tmp_path / "out2"), "--model", str(sr_ckpt),
               "--no-progress", "--max-pixels", "100")
    assert "above the limit of 100" in proc.stderr


def test_never_overwrites_without_permission_and_never_the_input(sr_ckpt: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.png"
    Image.fromarray(photo_crop()[:20, :24]).save(src)
    before = src.read_bytes()
    dst = tmp_path / "o.png"
    dst.write_bytes(b"keep me")
    proc = cli("restore", str(src), "-o", str(dst), "--model", str(sr_ckpt), "--no-progress")
    assert proc.returncode == 1 and "--overwrite" in proc.stderr and dst.read_bytes() == b"keep me"
    assert cli("restore", str(src), "-o", str(dst), "--model", str(sr_ckpt), "--overwrite",
               "--no-progress").returncode == 0
    assert Image.open(dst).size == (48, 40)
    proc = cli("restore", str(src), "-o", str(src), "--model", str(sr_ckpt), "--overwrite", "--no-progress")
    assert proc.returncode == 1 and "overwrite the input" in proc.stderr and src.read_bytes() == before


# -- export ------------------------------------------------------------------------------------------------------

def test_onnx_runtime_equals_pytorch_on_an_unseen_size(sr_ckpt: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    onnx_path = tmp_path / "m.onnx"
    assert main(["export", "--model", str(sr_ckpt), "--format", "onnx", "-o", str(onnx_path)]) == 0
    from scn.inference.engine import onnx_forward

    model = scn.load_model(sr_ckpt)
    x = torch.rand(1, 3, 37, 51)  # export used another size
    with torch.no_grad():
        exported = onnx_forward(onnx_path)(x)
        for operator in ("literal", "packed"):  # the CPU's default operator and the accelerators'
            model.operator = operator
            torch.testing.assert_close(exported, model(x), rtol=0, atol=1e-4)
    img = photo_crop()[:30, :26]
    Image.fromarray(img).save(tmp_path / "in.png")
    assert main(["restore", str(tmp_path / "in.png"), "-o", str(tmp_path / "o.png"), "--backend", "onnxruntime",
                 "--model", str(onnx_path), "--no-progress"]) == 0
    ours = np.asarray(Image.open(tmp_path / "o.png")).astype(int)
    reference = scn.restore(img, "sr", model=sr_ckpt).astype(int)
    assert np.abs(ours - reference).max() <= 1


def test_pt2_export_and_torchscript_message(sr_ckpt: Path, tmp_path: Path, capsys) -> None:
    assert main(["export", "--model", str(sr_ckpt), "--format", "pt2", "-o", str(tmp_path / "m.pt2")]) == 0
    program = torch.export.load(tmp_path / "m.pt2").module()
    x = torch.rand(1, 3, 29, 43)
    with torch.no_grad():
        torch.testing.assert_close(program(x), scn.load_model(sr_ckpt)(x))
    assert main(["export", "--model", str(sr_ckpt), "--format", "torchscript", "-o", str(tmp_path / "m.pt")]) == 2
    assert "use --format pt2" in capsys.readouterr().err


# -- the model zoo and the demo ---------------------------------------------------------------------------------

@pytest.fixture
def fake_zoo(tmp_path: Path, sr_ckpt: Path, denoise_ckpt: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "weights"
    folder.mkdir()
    entries = []
    for name, ckpt, extra in [("scn_sr_x2", sr_ckpt, {"task": "sr", "scale": 2}),
                              ("scn_denoise_blind", denoise_ckpt, {"task": "denoise", "sigma": [0, 55]}),
                              ("scn_denoise_s25", denoise_ckpt, {"task": "denoise", "sigma": [25, 25]})]:
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
    assert {r["name"] for r in rows} == {"scn_sr_x2", "scn_denoise_blind", "scn_denoise_s25"}
    assert next(r for r in rows if r["task"] == "sr")["scale"] == 2
    assert next(r for r in rows if r["task"] == "denoise")["sigma"] == [0, 55]
    assert zoo.pretrained_for("scn", "denoise", 25).config.task == "denoise"
    assert zoo.find_pretrained("scn", "denoise", None).name == "scn_denoise_blind"  # unknown level: blind model
    assert zoo.find_pretrained("scn", "denoise", 25).name == "scn_denoise_s25"  # the specific one where it fits
    assert zoo.find_pretrained("scn", "denoise", 30).name == "scn_denoise_blind"
    with pytest.raises(zoo.ZooError, match="closest is 'scn_denoise_blind'"):
        zoo.pretrained_for("scn", "denoise", 60)
    with pytest.raises(zoo.ZooError, match="the closest is 'scn_sr_x2' \\(x2\\)"):
        zoo.pretrained_for("scn", "sr", 4)
    with pytest.raises(zoo.ZooError, match="no shipped jpeg weights"):
        zoo.pretrained_for("scn", "jpeg", 10)
    with pytest.raises(zoo.ZooError, match="unknown quality \\(give --quality\\)"):
        zoo.pretrained_for("scn", "jpeg", None)
    (fake_zoo / "scn_sr_x2.safetensors").write_bytes(b"tampered")
    with pytest.raises(zoo.ZooError, match="fail their checksum"):
        zoo.pretrained_for("scn", "sr", 2)


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
    assert {e.scale for e in entries if e.task == "sr"} == {2, 3, 4}
    for task in ("denoise", "jpeg"):  # an unknown level (no --sigma / --quality) has a model
        assert zoo.find_pretrained("scn", task, None).blind, f"no blind default {task} model"
    for entry in entries:
        path = zoo.WEIGHTS_DIR / entry.file
        assert path.stat().st_size < 5e6, f"{entry.name}: over 5 MB"
        with safe_open(str(path), framework="pt") as f:
            assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.float16}, entry.name
        meta = read_metadata(path)
        assert "config" in meta and meta.get("notes"), entry.name
        model = zoo.load_pretrained(entry)  # checks the sha256
        assert model.config.task == entry.task and (entry.task != "sr" or model.config.scale == entry.scale)
        assert entry.training_data and entry.steps > 0 and entry.dev_psnr, entry.name
    for task in ("sr", "denoise", "jpeg"):
        defaults = [e for e in entries if e.task == task and e.default]
        settings = [(e.scale if task == "sr" else e.levels, e.channels) for e in defaults]
        assert len(settings) == len(set(settings)), f"two default {task} models for one setting and channels"


def test_outputs_keep_exif_and_icc_and_get_the_umask(sr_ckpt: Path, tmp_path: Path) -> None:
    from PIL import ImageCms

    im = Image.fromarray(photo_crop()[:40, :48])
    exif = im.getexif()
    exif[0x0110], exif[0x0112] = "TestCam 1", 6  # camera model; orientation: rotate
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    im.save(tmp_path / "in.jpg", exif=exif.tobytes(), icc_profile=icc, quality=95)
    old = os.umask(0o022)
    try:
        for name in ("out.png", "out.jpg", "out.webp"):
            assert main(["restore", str(tmp_path / "in.jpg"), "-o", str(tmp_path / name), "--model", str(sr_ckpt),
                         "--no-progress", "--jpeg-quality", "90"]) == 0
            with Image.open(tmp_path / name) as out:
                assert out.size == (80, 96) and out.getexif().get(0x0110) == "TestCam 1", name
                assert 0x0112 not in out.getexif() and out.info.get("icc_profile") == icc, name
            assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name  # as any new file, not 0600
    finally:
        os.umask(old)
    with pytest.warns(UserWarning, match="BMP cannot hold EXIF and the ICC profile"):
        write_picture(read_picture(tmp_path / "in.jpg"), tmp_path / "out.bmp")


def test_restore_options_are_checked_before_any_work(sr_ckpt: Path, tmp_path: Path, capsys) -> None:
    Image.fromarray(photo_crop()[:20, :24]).save(tmp_path / "a.png")
    (tmp_path / "set" / "sub").mkdir(parents=True)
    Image.fromarray(photo_crop()[:20, :24]).save(tmp_path / "set" / "a.png")
    Image.fromarray(photo_crop()[20:40, :24]).save(tmp_path / "set" / "sub" / "b.png")
    base = ["restore", "--model", str(sr_ckpt), "--no-progress"]
    for extra, match in [(["--max-memory", "-1"], "--max-memory -1 is not allowed"),
                         (["--max-memory", "nan"], "--max-memory nan is not allowed"),
                         (["--tile", "16"], "--tile 16 is not allowed"), (["--tile", "-5"], "--tile -5 is not allowed"),
                         (["--tile-overlap", "-1"], "--tile-overlap -1 is not allowed"),
                         (["--jpeg-quality", "0"], "--jpeg-quality 0"),
                         (["--overwrite", "--skip-existing"], "contradict")]:
        assert main([*base, str(tmp_path / "a.png"), "-o", str(tmp_path / "o.png"), *extra]) == 2
        assert match in capsys.readouterr().err
    assert main([*base, str(tmp_path / "a.png"), "-o", str(tmp_path / "out" / "x.gif")]) == 2
    assert "unknown output format '.gif'" in capsys.readouterr().err and not (tmp_path / "out").exists()
    assert main([*base, str(tmp_path / "set"), "-o", str(tmp_path / "flat")]) == 0
    assert "1 subfolder(s) not searched" in capsys.readouterr().err
    assert main([*base, str(tmp_path / "set"), "-o", str(tmp_path / "deep"), "--recursive"]) == 0
    assert (tmp_path / "deep" / "sub" / "b.png").is_file()
    assert main([*base, str(tmp_path / "set"), "-o", str(tmp_path / "deep"), "--recursive"]) == 1  # exists
    capsys.readouterr()
    assert main([*base, str(tmp_path / "set"), "-o", str(tmp_path / "deep"), "--recursive", "--skip-existing"]) == 0
    assert "skipping 2 input(s) whose output exists" in capsys.readouterr().err


def test_compiled_restorer_equals_eager(sr_ckpt: Path) -> None:
    """`--compile` (inductor with freezing, set per call: no global inductor setting is left changed)."""
    model = scn.load_model(sr_ckpt)
    x = torch.from_numpy(photo_crop()[:24, :20].astype(np.float32) / 255).permute(2, 0, 1)[None]
    eager, compiled = Restorer(model).run(x), Restorer(model, compile=True).run(x)
    assert torch.allclose(eager, compiled, atol=1e-4)


# -- colour pictures and the shipped colour models ---------------------------------------------------------------
@pytest.fixture
def colour_zoo() -> zoo.Pretrained:
    """The shipped blind colour denoiser."""
    return next(e for e in zoo.pretrained_models() if e.task == "denoise" and e.channels == 3 and e.blind)


def test_colour_pictures_take_a_shipped_colour_model_unless_luma_only(colour_zoo: zoo.Pretrained,
                                                                      tmp_path: Path) -> None:
    assert colour_zoo.channels == 3
    assert scn.resolve("scn", "denoise", 30, channels=3).label == colour_zoo.name == "scn_small_denoise_rgb.blind"
    assert scn.resolve("scn", "denoise", None, channels=3).label == colour_zoo.name
    assert scn.resolve("scn", "denoise", 25, channels=3).label == "scn_denoise_rgb.s25"  # the fixed-level one
    assert scn.resolve("scn", "denoise", 25).label == "scn_small_denoise.s25"  # gray pictures: the gray model
    photo = demo_photo()[100:164, 120:184]
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(photo).save(src / "colour.png")
    Image.fromarray(photo[..., 1]).save(src / "gray.png")
    for flag, out in (([], "auto"), (["--luma-only"], "luma")):
        assert main(["restore", str(src), "-o", str(tmp_path / out), "--task", "denoise", "--no-progress", *flag]) == 0
    auto = {n: np.array(Image.open(tmp_path / "auto" / n)) for n in ("colour.png", "gray.png")}
    luma = {n: np.array(Image.open(tmp_path / "luma" / n)) for n in ("colour.png", "gray.png")}
    colour_net = scn.load_model(zoo.shipped_path(colour_zoo))
    colour_model = scn.Restorer(colour_net).restore(Picture(photo[..., :3] / np.float32(255)))
    assert np.array_equal(auto["colour.png"], np.round(colour_model.color * 255).astype(np.uint8))
    assert not np.array_equal(auto["colour.png"], luma["colour.png"])
    assert np.array_equal(auto["gray.png"], luma["gray.png"])  # gray pictures: the gray model either way
    api = scn.restore(photo, "denoise", luma_only=True)
    assert np.array_equal(api, luma["colour.png"])
    assert main(["restore", str(src / "colour.png"), "-o", str(tmp_path / "x.png"), "--task", "sr",
                 "--luma-only"]) == 2
    assert main(["restore", str(src / "colour.png"), "-o", str(tmp_path / "x.png"), "--task", "denoise",
                 "--model", "scn_small_denoise.s25", "--luma-only"]) == 2
    assert not (tmp_path / "x.png").exists()


def test_colour_jpeg_takes_a_colour_deblocker_that_repairs_chroma() -> None:
    """A colour JPEG gets a shipped colour deblocker (the q10 one at quality 10, the blind one at any other or an
    unknown quality; gray pictures keep the gray ones), which repairs the chroma the luma route leaves: RGB PSNR
    well above the luma route's on a q10 crop of the demo photo."""
    import io

    assert scn.resolve("scn", "jpeg", 10, channels=3).label == "scn_small_jpeg_rgb.q10"
    assert scn.resolve("scn", "jpeg", 30, channels=3).label == "scn_small_jpeg_rgb.blind"
    assert scn.resolve("scn", "jpeg", None, channels=3).label == "scn_small_jpeg_rgb.blind"
    assert scn.resolve("scn", "jpeg", 10).label == "scn_small_jpeg.q10"
    photo = demo_photo()[96:224, 160:288]
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, "JPEG", quality=10)
    blocky = np.array(Image.open(buffer).convert("RGB"))
    scores = {how: psnr(scn.restore(blocky, "jpeg", quality=10, luma_only=how == "luma"), photo)
              for how in ("colour", "luma")}
    assert scores["colour"] > scores["luma"] + 0.3 > psnr(blocky, photo) + 0.3, scores


def test_the_task_and_setting_follow_the_model_and_outputs_are_checked_first(tmp_path: Path, capsys) -> None:
    Image.fromarray(photo_crop()[:20, :24]).save(tmp_path / "in.png")
    src = str(tmp_path / "in.png")
    assert main(["restore", src, "-o", str(tmp_path / "o.png")]) == 2  # neither --task nor --model: no guessing
    assert "say what to do: --task sr | denoise | jpeg" in capsys.readouterr().err
    assert main(["restore", src, "-o", str(tmp_path / "x4.png"), "--model", "scn_small_x4.bicubic",
                 "--no-progress"]) == 0
    assert Image.open(tmp_path / "x4.png").size == (96, 80)
    assert "--scale 4 (what scn_small_x4.bicubic was made for)" in capsys.readouterr().err
    assert main(["restore", src, "-o", str(tmp_path / "d.png"), "--model", "scn_small_denoise.s25",
                 "--no-progress"]) == 0
    assert "--sigma 25 (what scn_small_denoise.s25 was made for)" in capsys.readouterr().err
    (tmp_path / "file").write_text("")
    started = time.perf_counter()
    assert main(["restore", src, "-o", str(tmp_path / "file" / "o.png"), "--task", "sr", "--no-progress"]) == 2
    assert "cannot write results there" in capsys.readouterr().err and time.perf_counter() - started < 5
    assert main(["restore", src, "-o", str(tmp_path / "o.png"), "--model", "scn"]) == 2
    assert "or give --task" in capsys.readouterr().err


def test_a_refused_picture_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "text.png").write_text("not a picture")
    proc = subprocess.run([sys.executable, "-m", "scn.cli.main", "restore", str(tmp_path / "text.png"), "-o",
                           str(tmp_path / "o.png"), "--task", "sr"], capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stderr.strip().splitlines() == [
        f"scn restore: {tmp_path / 'text.png'}: not an image file Pillow can read"]


# -- a JPEG file's quality -----------------------------------------------------------------------------------------

def test_the_quality_a_jpeg_was_written_with_is_read_from_its_tables(tmp_path: Path) -> None:
    """Pillow's (libjpeg's) quality 10-95, colour and gray, read back exactly; other files give None; a table
    of another encoder gives the closest libjpeg quality, marked inexact."""
    from scn.data.jpeg_quality import jpeg_quality, libjpeg_tables, quality_from_table

    photo = Image.fromarray(photo_crop()[:64, :64])
    for image in (photo, photo.convert("L")):
        for quality in range(10, 96):
            path = tmp_path / f"{image.mode}_{quality}.jpg"
            image.save(path, quality=quality)
            found = jpeg_quality(path)
            assert found is not None and (found.quality, found.exact) == (quality, True), (image.mode, quality)
    photo.save(tmp_path / "p.png")
    assert jpeg_quality(tmp_path / "p.png") is None and jpeg_quality(b"not an image") is None
    camera = libjpeg_tables()[74].copy()  # quality 75's table, one entry moved: not libjpeg's any more
    camera[5] += 1
    assert quality_from_table(camera) == type(quality_from_table(camera))(75, False)


def test_restore_reads_a_jpegs_quality_and_says_which_model(tmp_path: Path, capsys) -> None:
    """`--task jpeg` with no --quality: a q10 file gets the q10 model (as --quality 10 does), a q95 one (past
    every model's range) the blind one; each says so in one line."""
    folder = tmp_path / "in"
    folder.mkdir()
    photo = Image.fromarray(photo_crop()[:64, :80])
    photo.save(folder / "a.jpg", quality=10)
    photo.save(folder / "b.jpg", quality=95)
    assert main(["restore", str(folder), "-o", str(tmp_path / "out"), "--task", "jpeg", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "a.jpg: JPEG quality 10, read from its quantization tables; restoring with scn_small_jpeg_rgb.q10" in err
    assert "b.jpg: JPEG quality 95, read from its quantization tables; restoring with scn_small_jpeg_rgb.blind" in err
    assert main(["restore", str(folder / "a.jpg"), "-o", str(tmp_path / "q10.png"), "--task", "jpeg",
                 "--quality", "10"]) == 0
    assert main(["restore", str(folder / "a.jpg"), "-o", str(tmp_path / "auto.png"), "--task", "jpeg"]) == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "auto.png")), np.asarray(Image.open(tmp_path / "q10.png")))


def test_the_noise_level_estimator_finds_white_gaussian_noise() -> None:
    """Chen et al. 2015 on a real photo crop with sigma 5 / 20 / 45 (unclipped, every RGB value): within 1.0;
    gray and uint8 inputs too; a clean picture reads low; a picture smaller than a patch gives 0."""
    from scn.data.noise_level import estimate_sigma

    clean = photo_crop().astype(np.float64) / 255
    for sigma in (5, 20, 45):
        noisy = clean + np.random.RandomState(sigma).normal(0, sigma / 255, clean.shape)
        assert abs(estimate_sigma(noisy) - sigma) < 1.0, sigma
        assert abs(estimate_sigma(noisy[..., 1]) - sigma) < 1.5, sigma
    noisy8 = np.clip(np.round((clean + np.random.RandomState(0).normal(0, 10 / 255, clean.shape)) * 255), 0, 255)
    assert abs(estimate_sigma(noisy8.astype(np.uint8)) - 10) < 1.0
    assert estimate_sigma(clean) < 2.0 and estimate_sigma(clean[:5, :5]) == 0.0


def test_read_picture_takes_a_path_bytes_or_an_open_file_alike(tmp_path: Path) -> None:
    """One reader for files and uploads: the same picture from a path, its bytes and an open file; errors name
    what was given (`name` for bytes, e.g. the page's 'the image'), never a temporary path."""
    from scn.inference.images import ImageError

    path = tmp_path / "a.png"
    Image.fromarray(photo_crop()[:40, :50]).save(path)
    by_path = read_picture(path)
    with open(path, "rb") as f:
        by_file = read_picture(f)
    by_bytes = read_picture(path.read_bytes(), name="the upload")
    assert np.array_equal(by_path.color, by_bytes.color) and np.array_equal(by_path.color, by_file.color)
    with pytest.raises(ImageError, match="^the upload: not an image file Pillow can read$"):
        read_picture(b"not an image", name="the upload")
    with pytest.raises(ImageError, match="^the image: empty file"):
        read_picture(b"")
