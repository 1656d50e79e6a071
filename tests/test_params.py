"""Parameter counts against the reference code's numbers (shared/docs/REFERENCE.md) and the paper's tables."""

import pytest

import scn

REFERENCE_COUNTS = {
    "wdsr_x2": 1_190_100, "wdsr_x3": 1_195_605, "wdsr_x4": 1_203_312,
    "scn_x2": 1_224_916, "scn_x3": 1_230_421, "scn_x4": 1_238_128,
}


@pytest.mark.parametrize("name,count", REFERENCE_COUNTS.items())
def test_reference_parameter_counts(name: str, count: int) -> None:
    assert scn.count_params(scn.create_model(name)) == count


def test_scn_adds_two_weight_normed_1x1_convs_per_block() -> None:
    extra = scn.count_params(scn.create_model("scn_x2")) - scn.count_params(scn.create_model("wdsr_x2"))
    assert extra == 16 * 2 * (32 * 32 + 32 + 32)


@pytest.mark.parametrize("name,low,high", [
    ("scn_unshared_x2", 1.15e6, 1.25e6),        # Table 5: un-shared 1.2M
    ("scn_unshared_large_x2", 2.05e6, 2.15e6),  # Table 5: un-shared large 2.1M
])
def test_table5_sizes(name: str, low: float, high: float) -> None:
    assert low <= scn.count_params(scn.create_model(name)) <= high


def test_table4_models_have_almost_equal_sizes() -> None:
    counts = [scn.count_params(scn.create_model(n)) for n in ("scn_table4_x2", "unet_x2", "pspnet_x2")]
    assert max(counts) / min(counts) < 1.05


def test_scale_kernel_and_center_pointwise_add_the_expected_taps() -> None:
    base = scn.count_params(scn.create_model("scn_small_x2", scale_kernel=0))
    k2 = scn.count_params(scn.create_model("scn_small_x2", scale_kernel=2, center_pointwise=True))
    assert k2 - base == 8 * 5 * (32 * 32 + 64)
