"""Every parameter that can reach the output receives a non-zero gradient.

Only the finest level reaches the tail, so some fusion weights of the last blocks are structurally dead (as in
the reference code): a tap i < 0 of block b writes to levels >= |i|, and a level t at the input of block b+1
reaches level 0 only if t <= k * (B - 1 - b); an un-shared body of level t in block b matters only if
t <= k * (B - b). The test derives that set from this rule and checks every other parameter has a gradient,
and that the dead ones really have none.
"""

import re

import pytest
import torch

import scn
from conftest import TINY

CASES = [
    ("wdsr_x2", {}),
    ("scn_x2", {}),
    ("scn_x2", {"scale_kernel": 2, "center_pointwise": True, "num_scales": 3}),
    ("scn_x2", {"resampler": "avgpool", "ends": "zero", "num_scales": 3}),
    ("scn_x2", {"resampler": "conv", "scale_kernel": 2, "num_scales": 3, "num_blocks": 3}),
    ("scn_x2", {"ratio": 2 / 3, "align_corners": False}),
    ("scn_x2", {"weight_norm": False}),
    ("scn_denoise", {}),
    ("scn_unshared_x2", {"num_blocks": 3}),
    ("unet_x2", {"num_blocks": 4}),
    ("pspnet_x2", {}),
]


def structurally_dead(name: str, config: scn.ModelConfig) -> bool:
    b_total, k = config.num_blocks, config.scale_kernel
    tap = re.match(r"body\.(\d+)\.conv\.taps\.m(\d+)\.", name)
    if tap:
        block, offset = int(tap.group(1)), int(tap.group(2))
        return offset > k * (b_total - 1 - block)
    body = re.match(r"body\.(\d+)\.conv\.spatial\.(\d+)\.", name)
    if body and not config.shared:
        block, level = int(body.group(1)), int(body.group(2))
        return level > k * (b_total - block)
    return False


@pytest.mark.parametrize("name,overrides", CASES)
def test_every_live_parameter_gets_a_gradient(name: str, overrides: dict) -> None:
    model = scn.create_model(name, **{**TINY, **overrides})
    x = torch.rand(2, model.config.channels, 16, 16)
    target = torch.rand(2, model.config.channels, 16 * model.config.scale, 16 * model.config.scale)
    torch.nn.functional.l1_loss(model(x), target).backward()
    has_grad = {n: p.grad is not None and bool(p.grad.abs().sum() > 0) for n, p in model.named_parameters()}
    dead = {n for n in has_grad if structurally_dead(n, model.config)}
    assert not [n for n, ok in has_grad.items() if not ok and n not in dead], "live parameters without gradient"
    assert not [n for n in dead if has_grad[n]], "parameters thought dead received a gradient"
    if model.config.arch.startswith("scn") and model.config.scale_kernel:
        assert dead  # the last block's downward taps never reach the output
