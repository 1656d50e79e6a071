"""Tasks travel as objects: a fourth task is one subclass and a registration, and restores through `scn.restore`,
the benchmark loop and checkpoints without any other change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

import scn
from scn.evaluation import run_benchmark
from scn.evaluation.methods import Identity
from scn.evaluation import runner
from scn.tasks import DENOISE, JPEG, SR, TASKS, Task, TaskError, get_task


class Deblurring(Task):
    """A stand-in fourth task: a horizontal box blur of `radius` pixels (no crop, gray PSNR / SSIM)."""

    def degrade(self, clean: np.ndarray, setting: float, rng: np.random.Generator | None = None) -> np.ndarray:
        image = clean.astype(np.float64) / 255.0
        r = int(setting)
        padded = np.pad(image, ((0, 0), (r, r)), mode="edge")
        return sum(padded[:, i:i + image.shape[1]] for i in range(2 * r + 1)) / (2 * r + 1)


@pytest.fixture()
def deblur() -> Iterator[Task]:
    task = scn.register_task(Deblurring("deblur", "gray deblurring", "radius", (1, 5), "r{}", "r", channels=1,
                                        baseline="identity", default_setting=2,
                                        setting_help="blur radius in pixels"))
    yield task
    del TASKS["deblur"]


def test_a_fourth_task_restores_through_scn_restore(deblur: Task, tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = scn.create_model("scn_small_denoise", task="deblur", num_blocks=1, num_features=8)
    assert model.config.task is deblur and get_task("deblur") is deblur
    path = scn.save_model(model, tmp_path / "deblur.safetensors")
    assert scn.load_model(path).config.task is deblur  # the checkpoint records the name; loading finds the task
    clean = (np.random.RandomState(0).rand(24, 30) * 255).astype(np.uint8)
    blurred = deblur.degrade(clean, 2).astype(np.float32)
    out = scn.restore(blurred, "deblur", radius=2, model=str(path))
    with torch.no_grad():
        expected = model(torch.from_numpy(blurred)[None, None])[0, 0].clamp(0, 1).numpy()
    assert out.shape == blurred.shape and np.abs(out - expected).max() < 1e-5
    assert np.array_equal(scn.restore(blurred, deblur, radius=2, model=model), out)  # the task object as well
    with pytest.raises(TaskError, match="radius 9 is out of range"):
        scn.restore(blurred, "deblur", radius=9, model=model)
    with pytest.raises(TaskError, match="sigma does not apply to task 'deblur'"):
        scn.restore(blurred, "deblur", sigma=25, model=model)
    blur_set = runner.TestSet("blur", [runner.TestImage("a", clean)])
    rows = run_benchmark([Identity()], [blur_set], deblur, [1, 3], progress=False)
    assert [r.task.name for r in rows] == ["deblur", "deblur"] and rows[0].psnr > rows[1].psnr  # more blur, lower


def test_a_task_registered_twice_is_an_error(deblur: Task) -> None:
    with pytest.raises(TaskError, match="registered already"):
        scn.register_task(deblur)


def test_tasks_compare_and_print_as_their_names() -> None:
    assert SR == "sr" and "denoise" == DENOISE and JPEG != "sr" and str(JPEG) == "jpeg"
    assert {SR: 1}["sr"] == 1 and get_task(SR) is SR
    config = scn.get_config("scn_small_denoise")
    assert config.task is DENOISE and config.to_dict()["task"] == "denoise"
    assert scn.ModelConfig.from_dict(config.to_dict()) == config


def test_task_methods_answer_what_names_were_compared_for() -> None:
    assert DENOISE.level_input(25) == 25 and SR.level_input(2) is None and JPEG.level_input(10) is None
    assert DENOISE.model_channels(gray_picture=False) == 3 and DENOISE.model_channels(False, luma_only=True) == 1
    assert SR.model_channels(gray_picture=True) == 3 and JPEG.model_channels(gray_picture=True) == 1
    assert SR.parse_setting(scale=None) == 2 and DENOISE.parse_setting(sigma=None) is None
    with pytest.raises(TaskError, match="quality does not apply"):
        SR.parse_setting(quality=10)
