"""scripts/holdout_view.py, scripts/chroma_report.py and scripts/crop_detail.py: the chroma-richer view of held-out
pictures, the measure of colour detail and of where a denoiser's error lies, and the detail of crops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

import scn
from scn.data.resize import imresize

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


@pytest.fixture()
def scripts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(SCRIPTS))


def textured(seed: int, size: tuple[int, int] = (40, 48)) -> np.ndarray:
    return np.random.default_rng(seed).integers(40, 216, (*size, 3)).astype(np.uint8)


def test_chroma_detail_is_zero_for_gray_and_grows_with_saturation(scripts: None) -> None:
    """A gray picture holds no chroma detail, nor a picture saturated by 0; saturating by 2 more than doubles it; the
    opponent basis keeps squared error axis by axis (orthonormal)."""
    from chroma_report import OPPONENT, chroma_detail, opponent
    from holdout_view import saturated

    colour = textured(0).astype(np.float64)
    gray = np.repeat(colour.mean(axis=2, keepdims=True), 3, axis=2)
    assert chroma_detail(gray) == pytest.approx(0.0, abs=1e-12)
    base = chroma_detail(colour)
    assert base > 0.1
    assert chroma_detail(saturated(colour, 0.0)) == pytest.approx(0.0, abs=1e-12)
    assert chroma_detail(saturated(colour, 2.0)) > 2 * base  # chroma x2 (about x4 in energy); luma not quite kept
    assert np.allclose(OPPONENT @ OPPONENT.T, np.eye(3))
    error = colour - gray
    assert np.sum(opponent(error) ** 2) == pytest.approx(np.sum(error ** 2))


def test_holdout_view_writes_the_held_out_pictures_scaled_and_saturated(scripts: None, tmp_path: Path) -> None:
    """The held-out pictures of a config, down-scaled by MATLAB bicubic and saturated, one PNG each; a config with
    nothing held out is refused with a ConfigError."""
    from holdout_view import saturated, write_view

    train = tmp_path / "pool"
    train.mkdir()
    for i in range(3):
        Image.fromarray(textured(i)).save(train / f"p{i}.png")
    config = {"model": {"name": "scn_denoise_rgb", "overrides": {"num_blocks": 2, "num_features": 8, "width": 2,
                                                                 "num_scales": 2}},
              "task": {"type": "denoise", "sigma": [0, 50]},
              "data": {"train": [str(train)], "val": ["holdout"], "holdout": ["pool/p1.png", "pool/p2.png"],
                       "patch_size": 16}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    written = write_view(str(path), tmp_path / "view", 0.5, 1.5)
    assert [p.name for p in written] == ["pool_p1.png", "pool_p2.png"]
    expected = saturated(imresize(textured(1).astype(np.float64), 0.5), 1.5)
    got = np.asarray(Image.open(written[0])).astype(np.float64)
    assert got.shape == (20, 24, 3)
    assert np.abs(got - np.clip(np.floor(expected + 0.5), 0, 255)).max() == 0
    config["data"].update(holdout=[], val=[str(train)])
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(scn.ConfigError, match="holds no pictures out"):
        write_view(str(path), tmp_path / "none", 0.5)


def test_stage_verdict_applies_the_rule_and_picks_the_largest_passing_view_gain(scripts: None) -> None:
    """A candidate passes on a view gain at the named sigma of at least min_gain with no held-out cell falling by
    more than max_drop; the largest passing gain is chosen; none passing keeps the incumbent."""
    from stage_verdict import judge, next_start

    held = {("holdout", 15): 35.0, ("holdout", 50): 29.0}
    scores = {"shipped": {("view", 15): 33.0, **held},
              "a": {("view", 15): 33.06, ("holdout", 15): 34.99, ("holdout", 50): 29.0},   # passes, +0.06
              "b": {("view", 15): 33.10, ("holdout", 15): 35.0, ("holdout", 50): 28.97},   # falls 0.03 at sigma 50
              "c": {("view", 15): 33.07, ("holdout", 15): 35.1, ("holdout", 50): 29.1}}    # passes, +0.07
    judged, chosen = judge(scores, "shipped", "view", 15, 0.05, 0.02)
    assert [(j.label, j.passes) for j in judged] == [("a", True), ("b", False), ("c", True)] and chosen == "c"
    assert judged[1].worst_drop == pytest.approx(0.03) and judged[2].worst_drop == pytest.approx(-0.1)
    assert judge(scores, "shipped", "view", 15, 0.08, 0.02)[1] is None
    judged = judge(scores, "shipped", "view", 15, 0.08, 0.02)[0]
    assert next_start(judged, ["b", "c"], "shipped", 0.03) == "b"  # the larger view gain of those within 0.03
    assert next_start(judged, ["c", "b"], "shipped", 0.03) == "b"  # whatever the order
    assert next_start(judged, ["a", "c"], "shipped", 0.03) == "c"
    assert next_start(judged, ["b"], "shipped", 0.02) == "shipped"  # b fell 0.03
    assert next_start(judged, [], "shipped", 0.03) == "shipped"  # means do not carry on


def tiny_holdout(tmp_path: Path, size: int, held: list[str]) -> Path:
    """A config of a two-block colour denoiser whose pool is three random pictures, `held` of them held out, and
    its view (scripts/holdout_view.py) in tmp_path / "view"; the config's path."""
    from holdout_view import write_view

    train = tmp_path / "pool"
    train.mkdir()
    for i in range(3):
        Image.fromarray(textured(i, (size, size))).save(train / f"p{i}.png")
    config = {"model": {"name": "scn_denoise_rgb", "overrides": {"num_blocks": 2, "num_features": 8, "width": 2}},
              "task": {"type": "denoise", "sigma": 25},
              "data": {"train": [str(train)], "val": ["holdout"], "holdout": [f"pool/{h}.png" for h in held]}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    write_view(str(tmp_path / "config.yaml"), tmp_path / "view", 1.0, 1.5)
    return tmp_path / "config.yaml"


def test_stage_verdict_scores_candidates_and_means_on_view_and_held_out(scripts: None, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end on a tiny model: the incumbent given again as the candidate scores exactly as the incumbent, and
    so does its mean with itself, on the view and on the held-out pictures; so a zero gain fails a 0.05 rule."""
    import json
    import sys

    import stage_verdict

    tiny_holdout(tmp_path, 48, ["p1", "p2"])
    incumbent = scn.save_model(scn.create_model("scn_denoise_rgb", num_blocks=2, num_features=8, width=2),
                               tmp_path / "shipped.safetensors")
    out = tmp_path / "verdict.json"
    monkeypatch.setattr(sys, "argv", ["stage_verdict", "--incumbent", str(incumbent), "--candidate",
                                      f"again={incumbent}", "--mean", "--view", str(tmp_path / "view"),
                                      "--holdout-of", str(tmp_path / "config.yaml"), "--sigma", "15", "50",
                                      "--gain-at", "15", "--min-gain", "0.05", "--max-drop", "0.02",
                                      "--json", str(out)])
    assert stage_verdict.main() == 0
    result = json.loads(out.read_text())
    scores = result["scores"]
    assert set(scores) == {"shipped", "again", "again_mean"}
    assert set(scores["shipped"]) == {"view@15", "view@50", "holdout@15", "holdout@50"}
    assert scores["again"] == scores["shipped"] == scores["again_mean"]
    assert result["chosen"] is None and [j["passes"] for j in result["judged"]] == [False, False]


def test_stage_verdict_keep_rows_scores_only_what_is_new(scripts: None, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """--keep-rows: a second verdict with one more candidate scores only it (and its mean), and gives the first
    candidate the same numbers; a label the file scored from other weights is refused, not reused."""
    import json
    import sys

    import torch

    import stage_verdict

    tiny_holdout(tmp_path, 40, ["p1"])
    make = lambda seed: (torch.manual_seed(seed),  # noqa: E731
                         scn.create_model("scn_denoise_rgb", num_blocks=2, num_features=8, width=2))[1]
    incumbent = scn.save_model(make(0), tmp_path / "shipped.safetensors")
    first, second = (scn.save_model(make(s), tmp_path / f"run{s}.safetensors") for s in (1, 2))
    scored: list[list[str]] = []
    real = stage_verdict.scn_main

    def spy(argv: list[str]) -> int:
        after = argv[argv.index("--method") + 1:] if "--method" in argv else []
        flags = [i for i, a in enumerate(after) if a.startswith("--")]
        scored.append([Path(m).stem for m in after[:flags[0] if flags else None]])
        return real(argv)

    monkeypatch.setattr(stage_verdict, "scn_main", spy)
    keep = tmp_path / "rows.json"

    def verdict(*candidates: str, code: int = 0) -> dict:
        out = tmp_path / "verdict.json"
        argv = ["stage_verdict", "--incumbent", str(incumbent), "--view", str(tmp_path / "view"), "--holdout-of",
                str(tmp_path / "config.yaml"), "--sigma", "25", "--gain-at", "25", "--min-gain", "0.05",
                "--max-drop", "0.02", "--mean", "--keep-rows", str(keep), "--json", str(out)]
        for c in candidates:
            argv += ["--candidate", c]
        monkeypatch.setattr(sys, "argv", argv)
        assert stage_verdict.main() == code
        return json.loads(out.read_text())["scores"] if code == 0 else {}

    once = verdict(f"a={first}")
    assert scored[-1] == ["shipped", "a", "a_mean"]
    twice = verdict(f"a={first}", f"b={second}")
    assert scored[-1] == ["b", "b_mean"]
    assert set(twice) == {"shipped", "a", "a_mean", "b", "b_mean"}
    assert all(twice[k] == once[k] for k in once)
    verdict(f"a={first}")  # everything kept: nothing scored
    assert scored[-1] == []
    verdict(f"a={second}", code=2)  # "a" was scored from other weights


def test_crop_detail_best_of_more_crops_holds_more_detail(scripts: None) -> None:
    """scripts/crop_detail.py: a flat picture holds no detail; the most detailed of N crops is never below the
    uniform crop drawn first, and on a picture half flat, half textured it holds more on average."""
    from crop_detail import crop_details

    flat = np.full((64, 64, 3), 128, np.uint8)
    assert crop_details(flat, 16, 5, 4, np.random.default_rng(0)) == [0.0] * 5
    half = flat.copy()
    half[:, 32:] = textured(1, (64, 32))
    uniform = crop_details(half, 16, 200, 1, np.random.default_rng(0))
    best = crop_details(half, 16, 200, 4, np.random.default_rng(0))
    assert best[0] >= uniform[0] and np.mean(best) > np.mean(uniform) + 5
