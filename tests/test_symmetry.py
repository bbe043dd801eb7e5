"""dnnkit.diagnostics.symmetry measures exactly: identical rows give 0, one float32 ulp is seen, and the width-1
twin of a symmetric net computes the same function."""

from __future__ import annotations

import pytest
import torch

from dnnkit.nn.diagnostics import FLOAT32_EPS, SYMMETRY_ULPS, one_unit_twin, symmetry, symmetry_tolerance
from dnnkit.nn.models import MLPConfig, build_mlp

NET = MLPConfig(n_inputs=64, n_outputs=10, depth=3, width=100, activation="elu")


def _net(**changes):
    return build_mlp(NET.replace(**changes), generator=torch.Generator().manual_seed(0))


def test_identical_rows_are_exactly_zero():
    model = _net()
    with torch.no_grad():
        for m in model.linears()[:-1]:
            m.weight.copy_(m.weight[:1].expand_as(m.weight))  # every row = row 0, bitwise
            m.bias.fill_(0.37)
    table = symmetry(model)
    assert (table["max_unit_distance"] == 0).all() and (table["min_unit_distance"] == 0).all()
    assert table["symmetric"].all()


def test_one_ulp_is_detected():
    model = _net(weight_init="he_constant")
    first = model.linears()[0]
    with torch.no_grad():
        value = first.weight[3, 5].clone()
        first.weight[3, 5] = torch.nextafter(value, torch.tensor(float("inf")))
    ulp = (torch.nextafter(value, torch.tensor(float("inf"))) - value).item()
    table = symmetry(model)
    assert table.loc[0, "max_unit_distance"] == pytest.approx(ulp, rel=0, abs=0)  # exact, not a cdist floor
    assert table.loc[0, "max_unit_distance"] > 0 and table.loc[0, "min_unit_distance"] == 0
    assert (table.loc[1:, "max_unit_distance"] == 0).all()
    assert table.loc[0, "symmetric"]  # one ulp is far inside the float32 tolerance


def test_constant_init_untrained_is_zero_and_random_init_far_outside_tolerance():
    constant, random = symmetry(_net(weight_init="he_constant")), symmetry(_net())
    assert (constant["max_unit_distance"] == 0).all() and constant["symmetric"].all()
    assert (random["min_unit_distance"] > 1e3 * random["tolerance"]).all() and not random["symmetric"].any()


def test_tolerance_is_stated_from_float32():
    assert FLOAT32_EPS == 2.0 ** -23
    assert symmetry_tolerance(0.5) == SYMMETRY_ULPS * 2.0 ** -23 * 0.5


def test_one_unit_twin_computes_the_same_function():
    model = _net(weight_init="he_constant", bias_init="constant", bias_init_params={"value": 0.1})
    twin = one_unit_twin(model)
    assert twin.config.width == 1
    X = torch.randn(256, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        a, b = model(X), twin(X)
    assert (a - b).abs().max() <= symmetry_tolerance(a.abs().max().item())
    with pytest.raises(ValueError, match="symmetric"):
        one_unit_twin(_net())
