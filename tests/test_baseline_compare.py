"""Stored-baseline comparison in the mode the machines allow (dnnkit.evidence.baseline_compare), and the
`dnnkit bench --compare` command around it. The two-host data is real: tests/data/two_hosts/host1.json and
host2.json hold unchanged kernels timed on two hosts of one machine kind (the second "regressed" 19 kernels by > 2x
in an absolute comparison); slowdowns are injected into copies of them. They are frozen copies of the
results/benchmarks/baseline.json and other-host.json of 2026-12-02, so that re-recording the user's baseline there
leaves these tests alone."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from dnnkit.bench import cli
from dnnkit.evidence import baseline_compare as bc
from dnnkit.evidence import regression

TWO_HOSTS = Path(__file__).resolve().parent / "data" / "two_hosts"
FULL_FP = {"cpu_model": "AMD EPYC", "cpu_family": "25", "cpu_flags": ["avx2", "avx512_bf16"], "caches": {"L2": 1 << 20},
           "cores": 2, "torch": "2.13.0+cpu", "torch_threads": 1, "device": "cpu", "gpu": None}


@pytest.fixture(scope="module")
def two_hosts() -> tuple[dict, dict]:
    return (regression.load_benchmark_json(TWO_HOSTS / "host1.json"),
            regression.load_benchmark_json(TWO_HOSTS / "host2.json"))


def _bench_json(medians: dict[str, float], fingerprint: dict | None = None, groups: dict | None = None,
                params: dict | None = None, **machine) -> dict:
    info = {"cpu": {"brand_raw": "Test CPU", "count": 2}, "cpu_brand": "Test CPU", "device": "cpu",
            "torch": "2.13.0", "torch_threads": 1, "machine": "x86_64", **machine}
    if fingerprint is not None:
        info["fingerprint"] = fingerprint
    return {"machine_info": info, "commit_info": {"id": "abc"}, "datetime": "2026-01-01T00:00:00",
            "benchmarks": [{"name": n, "fullname": f"bench.py::{n}", "group": (groups or {}).get(n, "g"),
                            "params": (params or {}).get(n, {}), "extra_info": {},
                            "stats": {"min": m, "max": m, "mean": m, "median": m, "rounds": 20}}
                           for n, m in medians.items()]}


def _slowed(payload: dict, name: str, factor: float) -> dict:
    out = copy.deepcopy(payload)
    for bench in out["benchmarks"]:
        if bench["name"] == name:
            bench["stats"] = {k: v * factor if isinstance(v, float) else v for k, v in bench["stats"].items()}
    return out


# -- mode selection ------------------------------------------------------------------------------------------


def test_same_full_fingerprint_is_same_mode() -> None:
    choice = bc.select_mode({"fingerprint": FULL_FP}, {"fingerprint": dict(FULL_FP)})
    assert choice.mode == bc.SAME and "same fingerprint" in choice.reason


def test_a_differing_flag_is_cross_mode() -> None:
    other = {**FULL_FP, "cpu_flags": ["avx2"]}
    choice = bc.select_mode({"fingerprint": FULL_FP}, {"fingerprint": other})
    assert choice.mode == bc.CROSS and set(choice.diff) == {"cpu_flags"} and "cpu_flags" in choice.reason


def test_the_issue_case_brand_and_cores_agree_caches_differ(two_hosts) -> None:
    baseline, other = two_hosts
    choice = bc.select_mode(baseline["machine_info"], other["machine_info"])
    assert choice.mode == bc.CROSS and set(choice.diff) == {"l2_cache_size", "l3_cache_size"}


def test_old_files_of_one_machine_keep_the_absolute_comparison() -> None:
    a, b = _bench_json({"k": 1.0})["machine_info"], _bench_json({"k": 1.0})["machine_info"]
    assert bc.select_mode(a, b).mode == bc.SAME
    assert bc.select_mode(a, {**b, "torch": "2.14.0"}).mode == bc.CROSS
    assert bc.select_mode(a, {**b, "python_version": "3.12.1"}).mode == bc.CROSS


def test_a_new_run_against_an_old_baseline_compares_the_keys_both_have() -> None:
    old = _bench_json({"k": 1.0})["machine_info"]
    new = {**old, "fingerprint": FULL_FP}
    choice = bc.select_mode(old, new)
    assert choice.mode == bc.SAME and "no full fingerprint in the baseline" in choice.reason
    assert bc.select_mode(old, {**new, "cpu": {"brand_raw": "Test CPU", "count": 4}}).mode == bc.CROSS


# -- same-fingerprint mode: unchanged behaviour (absolute, 2x) -----------------------------------------------


def test_same_mode_flags_only_2x() -> None:
    base = _bench_json({"fast": 1e-3, "drift": 1e-3, "doubled": 1e-3, "gone": 1e-3}, FULL_FP)
    now = _bench_json({"fast": 0.7e-3, "drift": 1.6e-3, "doubled": 2.5e-3, "new": 1e-3}, FULL_FP)
    v = bc.compare(base, now)
    assert v.mode.mode == bc.SAME and v.fail_ratio == 2.0
    assert [k.name for k in v.regressions] == ["bench.py::doubled"]
    assert {k.name: k.normalized for k in v.kernels} == {f"bench.py::{n}": None for n in ("doubled", "drift", "fast")}
    assert v.skipped == {"bench.py::new": "not in the baseline (new kernel)"} and not v.passed


# -- cross-fingerprint mode on the two-host data ------------------------------------------------------------


def _worst(v: bc.BaselineVerdict) -> float:
    return float(np.exp(max(abs(np.log(k.normalized)) for k in v.kernels)))


def test_identical_code_on_two_hosts_passes_across_fingerprints(two_hosts) -> None:
    baseline, other = two_hosts
    absolute = regression.compare_benchmarks(baseline, other)
    assert len(absolute.regressions) == 19  # what the issue reported: the absolute comparison cries wolf
    for a, b in ((baseline, other), (other, baseline)):
        v = bc.compare(a, b)
        assert v.mode.mode == bc.CROSS and v.passed and v.regressions == []
        assert v.coverage >= 0.8
        (name, why), = v.skipped.items()
        assert name.endswith("test_inference_dtype[bfloat16]") and "bfloat16" in why and "unknown" in why


def test_the_recorded_spread_covers_the_two_hosts_and_stays_below_the_threshold(two_hosts) -> None:
    worst = _worst(bc.compare(*two_hosts))
    assert worst <= bc.CROSS_HOST_WORST < bc.CROSS_FAIL_RATIO


def test_cross_mode_catches_a_slowdown_at_its_threshold(two_hosts) -> None:
    """Each kernel slowed just past the threshold (on top of its own host noise) fails, alone; slowed just short
    of it, nothing fails."""
    baseline, other = two_hosts
    normalized = {k.name.split("::")[1]: k.normalized for k in bc.compare(baseline, other).kernels}
    for name in ("test_activation_forward[relu]", "test_training_step[32]", "test_dropout_forward[train]"):
        needed = bc.CROSS_FAIL_RATIO / normalized[name]
        caught = bc.compare(baseline, _slowed(other, name, needed * 1.02))
        assert [k.name.split("::")[1] for k in caught.regressions] == [name] and not caught.passed
        assert "FAIL (cross-fingerprint)" in bc.format_verdict(caught)
        assert bc.compare(baseline, _slowed(other, name, needed * 0.98)).passed


def test_cross_mode_half_precision_with_known_flags() -> None:
    names = {f"k{i}": 1e-3 for i in range(6)} | {"bf16": 1e-3}
    params = {"bf16": {"dtype": "bfloat16"}}
    base = _bench_json(names, FULL_FP, params=params)
    same_flags = _bench_json(names, {**FULL_FP, "caches": {"L2": 2 << 20}}, params=params)
    no_bf16 = _bench_json(names, {**FULL_FP, "cpu_flags": ["avx2"]}, params=params)
    assert "bench.py::bf16" not in bc.compare(base, same_flags).skipped
    assert "yes -> no" in bc.compare(base, no_bf16).skipped["bench.py::bf16"]


def test_calibration_kernels_catch_a_slowdown_of_the_whole_suite() -> None:
    """Every kernel 4x slower while plain torch is not: the median kernel cannot see it, the calibration can."""
    groups = {"cal": bc.CALIBRATION_GROUP}
    base = _bench_json({f"k{i}": 1e-3 for i in range(6)} | {"cal": 1e-3}, FULL_FP, groups)
    host = {**FULL_FP, "caches": {"L2": 2 << 20}}
    v = bc.compare(base, _bench_json({f"k{i}": 4e-3 for i in range(6)} | {"cal": 1e-3}, host, groups))
    assert v.mode.mode == bc.CROSS and v.regressions == [] and v.suite_regressed and not v.passed
    assert "whole suite slowed x4.00" in bc.format_verdict(v)
    slower_host = bc.compare(base, _bench_json({f"k{i}": 4e-3 for i in range(6)} | {"cal": 4e-3}, host, groups))
    assert slower_host.passed and slower_host.host_factor == pytest.approx(4.0)


def test_too_few_kernels_and_no_calibration_compare_nothing_across_hosts() -> None:
    v = bc.compare(_bench_json({"k": 1e-3}), _bench_json({"k": 5e-3}, torch="2.14.0"))
    assert v.mode.mode == bc.CROSS and v.kernels == [] and not v.passed
    assert "record a new baseline" in bc.format_verdict(v)


@pytest.mark.parametrize(("kwargs", "match"), [({"stat": "p99"}, "stat='p99'"), ({"mode": "fast"}, "mode='fast'"),
                                               ({"cross_fail_ratio": 0.5}, "cross_fail_ratio")])
def test_compare_rejects_bad_settings(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        bc.compare(_bench_json({"k": 1.0}), _bench_json({"k": 1.0}), **kwargs)


# -- the command -------------------------------------------------------------------------------------------


def test_cli_passes_identical_code_across_hosts_and_names_the_mode(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["--compare", str(TWO_HOSTS / "host1.json"), str(TWO_HOSTS / "host2.json")]) == 0
    out = capsys.readouterr().out
    assert "mode: cross-fingerprint" in out and "PASS (cross-fingerprint)" in out
    assert "compared 40 of 41 kernels" in out and "test_inference_dtype[bfloat16]: bfloat16 kernel" in out


def test_cli_fails_readably_on_a_regression(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    base, slow = tmp_path / "base.json", tmp_path / "slow.json"
    base.write_text(json.dumps(_bench_json({"a": 1e-3, "b": 1e-3}, FULL_FP)))
    slow.write_text(json.dumps(_bench_json({"a": 1e-3, "b": 2.5e-3}, FULL_FP)))
    assert cli.main(["--compare", str(base), str(slow)]) == 1
    out = capsys.readouterr().out
    assert "FAIL (same-fingerprint): 1 kernel(s) regressed by >= 2x: b x2.50" in out
    assert "Traceback" not in out


def test_cli_bad_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--compare", str(tmp_path / "x.json"), str(tmp_path / "x.json")])
    assert exit_info.value.code == 2 and "not a pytest-benchmark JSON" in capsys.readouterr().err


def test_regression_module_cli_uses_the_modes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert regression.main([str(TWO_HOSTS / "host1.json"), str(TWO_HOSTS / "host2.json")]) == 0
    assert "mode: cross-fingerprint" in capsys.readouterr().out
