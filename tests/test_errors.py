"""Bad names, impossible combinations and bad overrides: one-line errors that say what is allowed."""

from __future__ import annotations

import pytest

import scn


def one_line_error(call, match: str) -> str:
    with pytest.raises(scn.ConfigError, match=match) as err:
        call()
    message = str(err.value)
    assert "\n" not in message
    return message


def test_unknown_model_name_suggests_close_names() -> None:
    msg = one_line_error(lambda: scn.create_model("scn_x5"), "unknown model 'scn_x5'")
    assert "did you mean" in msg and "scn models" in msg


def test_unknown_override_lists_allowed_keys() -> None:
    msg = one_line_error(lambda: scn.create_model("scn_x2", blocks=8), "unknown model option")
    assert "num_blocks" in msg


@pytest.mark.parametrize("overrides,match", [
    ({"resampler": "avgpool", "ratio": 2 / 3}, "needs 1/ratio to be an integer"),
    ({"resampler": "conv", "ratio": 0.75}, "use resampler='bilinear'"),
    ({"resampler": "lanczos"}, "choose one of bilinear, avgpool, conv"),
    ({"ends": "mirror"}, "choose one of reference, zero"),
    ({"ratio": 1.5}, r"must be in \(0, 1\)"),
    ({"ratio": 0.0}, r"must be in \(0, 1\)"),
    ({"num_blocks": 0}, ">= 1"),
    ({"num_blocks": "8"}, "must be of type int"),
    ({"align_corners": 1}, "must be of type bool"),
    ({"scale_kernel": -1}, "k must be >= 0"),
    ({"channels": 2}, "use 1 .gray. or 3"),
    ({"scale": 1}, "not allowed for task 'sr'"),
    ({"task": "denoise"}, "restoration uses scale=1"),
    ({"arch": "resnet"}, "choose one of scn, wdsr"),
])
def test_bad_overrides(overrides: dict, match: str) -> None:
    one_line_error(lambda: scn.create_model("scn_x2", **overrides), match)


def test_architecture_specific_rules() -> None:
    one_line_error(lambda: scn.create_model("wdsr_x2", num_scales=3), "single-scale")
    one_line_error(lambda: scn.create_model("unet_x2", num_blocks=6), "multiple of it")
    one_line_error(lambda: scn.create_model("unet_x2", num_scales=1), "num_scales >= 2")


def test_integer_ratio_resamplers_accept_exact_fractions() -> None:
    assert scn.create_model("scn_small_x2", resampler="conv", ratio=1 / 3).config.ratio == pytest.approx(1 / 3)
