"""Interleaved timing rounds: shape of the output, rotation of the order, validation."""

from __future__ import annotations

import pytest

from dnnkit.evidence.timing import calibrate_inner, interleaved_rounds, ratio_summary


def test_rounds_time_every_candidate_once_per_round_in_rotated_order():
    calls: list[str] = []
    fns = {name: (lambda n=name: calls.append(n)) for name in ("a", "b", "c")}
    out = interleaved_rounds(fns, rounds=3, inner=1, warmup=0)
    assert {k: len(v) for k, v in out.items()} == {"a": 3, "b": 3, "c": 3}
    assert all(t > 0 for v in out.values() for t in v)
    assert calls == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]  # each candidate leads one round


def test_calibrated_blocks_last_at_least_the_minimum():
    assert calibrate_inner(lambda: None, min_block_s=1e-4) >= 2
    assert calibrate_inner(lambda: sum(range(20_000)), min_block_s=1e-6) == 1


def test_ratio_summary_reports_median_and_spread():
    s = ratio_summary([2.0, 4.0, 6.0], [1.0, 2.0, 2.0])
    assert s["median_ratio"] == 2.0 and s["rounds"] == 3 and s["q25_ratio"] <= 2.0 <= s["q75_ratio"]


@pytest.mark.parametrize("kw, name", [({"rounds": 1}, "rounds"), ({"inner": 0}, "inner"), ({"warmup": -1}, "warmup")])
def test_bad_arguments_name_the_value(kw, name):
    with pytest.raises(ValueError, match=name):
        interleaved_rounds({"a": lambda: None}, **kw)
    with pytest.raises(ValueError, match="at least one"):
        interleaved_rounds({})
