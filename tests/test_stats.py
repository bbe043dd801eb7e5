"""Unit tests of dnnkit.stats: verified scipy facts (statistics.md §3), verdict rules, edge cases, bad input."""

import json
import math

import numpy as np
import pytest
from scipy import stats as sps

from dnnkit.evidence import stats
from dnnkit.evidence.stats import (
    CONFIRMED,
    NOT_REPRODUCED,
    REFUTED,
    Decision,
    adjust_p_values,
    decide_directional,
    decide_equivalence,
    decide_exact,
    decide_paired,
    decide_time_to_target,
    decide_timing,
    worst_value,
)

INF = math.inf
LOW, HIGH = [1.0, 2, 3, 4, 5], [6.0, 7, 8, 9, 10]


# ---------------------------------------------------------------- directional (Mann-Whitney)


def test_perfect_separation_5v5_gives_exact_1_over_252():
    d = decide_directional(HIGH, LOW, direction="greater", delta=1.0)
    assert d.verdict == CONFIRMED and d.reason is None
    assert d.p_value == pytest.approx(1 / 252)
    assert d.p_opposite == pytest.approx(1.0)
    assert "exact" in d.test and "greater" in d.test
    assert d.effect["p_a_gt_b"] == 1.0 and d.effect["cliffs_delta"] == 1.0
    assert d.statistic == 25.0 and (d.n_a, d.n_b) == (5, 5)


@pytest.mark.parametrize(
    "x, u, p",
    [(5.5, 25, 0.0040), (4.5, 24, 0.0079), (3.5, 23, 0.0159), (2.5, 22, 0.0278), (1.5, 21, 0.0476), (0.5, 20, 0.0754)],
)
def test_5v5_exact_u_ladder(x, u, p):
    d = decide_directional([6, 7, 8, 9, x], LOW, direction="greater", delta=1.0)
    assert d.statistic == u
    assert d.p_value == pytest.approx(p, abs=5e-5)
    assert d.verdict == (CONFIRMED if u >= 21 else NOT_REPRODUCED)


def test_ties_route_to_permutation_and_match_the_verified_p():
    d = decide_directional([3, 4, 4, 5, 6], [5, 6, 6, 7, 8], direction="less", delta=1.0)
    assert "permutation" in d.test and "252" in d.test
    assert d.p_value == pytest.approx(0.0278, abs=1e-4)
    assert d.verdict == CONFIRMED
    # the untied 'exact' method would give a different (not tie-corrected) p
    assert d.p_value != pytest.approx(sps.mannwhitneyu([3, 4, 4, 5, 6], [5, 6, 6, 7, 8], alternative="less").pvalue)


def test_probability_of_improvement_counts_a_tie_as_half():
    d = decide_directional([5, 7, 8, 9, 10], [1, 2, 3, 5, 6], direction="greater", delta=1.0)
    assert d.statistic == 23.5
    assert d.effect["p_a_gt_b"] == pytest.approx(0.94)
    assert d.effect["cliffs_delta"] == pytest.approx(0.88)


def test_opposite_direction_is_refuted():
    d = decide_directional(LOW, HIGH, direction="greater", delta=1.0)
    assert d.verdict == REFUTED and d.reason is None
    assert d.p_opposite == pytest.approx(1 / 252)
    assert d.effect["hl_shift"] == -5.0


def test_hodges_lehmann_interval_is_the_exact_order_statistic():
    # differences a_i - b_j take k = 1..9 with multiplicity 5 - |k - 5|; 90% CI = 5th smallest/largest
    d = decide_directional(HIGH, LOW, direction="greater", delta=1.0)
    assert d.effect["estimate"] == d.effect["hl_shift"] == 5.0
    assert (d.effect["ci_low"], d.effect["ci_high"], d.effect["ci_level"]) == (3.0, 7.0, pytest.approx(0.9))
    assert d.effect_name.startswith("Hodges-Lehmann")
    assert d.effect["median_a"] == 8.0 and d.effect["median_b"] == 3.0


def test_hl_normal_approximation_agrees_with_exact_near_the_switch(monkeypatch):
    rng = np.random.default_rng(3)
    a, b = rng.normal(0.3, 1, 50), rng.normal(0, 1, 50)
    exact = stats._hl_interval(a, b, 0.9)
    monkeypatch.setattr(stats, "MAX_EXACT_HL", 0)
    approx = stats._hl_interval(a, b, 0.9)
    diffs = np.sort(np.subtract.outer(a, b).ravel())
    for e, x in zip(exact[1:], approx[1:], strict=True):
        assert abs(np.searchsorted(diffs, e) - np.searchsorted(diffs, x)) <= 1


def test_hl_interval_unbounded_when_too_few_seeds():
    d = decide_directional([2, 3], [0, 1], direction="greater", delta=1.0)  # min p = 1/6 > 0.05
    assert (d.effect["ci_low"], d.effect["ci_high"]) == (-INF, INF)
    assert d.verdict == NOT_REPRODUCED and d.reason == "inconclusive"


def test_hedges_g_small_sample_correction():
    a, b = np.array(HIGH), np.array(LOW)
    sp = math.sqrt((4 * a.var(ddof=1) + 4 * b.var(ddof=1)) / 8)
    expected = (a.mean() - b.mean()) / sp * (1 - 3 / (4 * 10 - 9))
    assert decide_directional(a, b, direction="greater", delta=1.0).effect["hedges_g"] == pytest.approx(expected)


def test_absent_versus_inconclusive():
    a = np.linspace(0.0, 0.38, 20)  # interleaved with b: no effect
    b = a + 0.01
    absent = decide_directional(a, b, direction="greater", delta=0.5)
    assert absent.verdict == NOT_REPRODUCED and absent.reason == "absent"
    assert -0.5 < absent.effect["ci_low"] < absent.effect["ci_high"] < 0.5
    tight = decide_directional(a, b, direction="greater", delta=0.05)
    assert tight.verdict == NOT_REPRODUCED and tight.reason == "inconclusive"


def test_infinite_values_are_ranked_not_averaged():
    a = [0.91, 0.92, 0.93, 0.94, 0.95]
    b = worst_value([0.5, np.nan, 0.6, np.nan, 0.7], higher_is_better=True)
    d = decide_directional(a, b, direction="greater", delta=0.01)
    assert d.verdict == CONFIRMED and d.p_value == pytest.approx(1 / 252)
    assert math.isnan(d.effect["hedges_g"])
    assert d.effect["ci_high"] == INF and d.effect["median_b"] == 0.5
    # both arms with a diverged run: -inf - -inf is a tie (0), and the test still runs
    d2 = decide_directional([-INF, 1, 2, 3, 4], [-INF, 1, 2, 3, 4], direction="greater", delta=1.0)
    assert d2.verdict == NOT_REPRODUCED and d2.effect["hl_shift"] == 0.0
    assert json.dumps(d2.to_dict(), allow_nan=False)


# ---------------------------------------------------------------- time to target


def test_censored_arm_time_to_target_still_1_over_252():
    d = decide_time_to_target([3, 4, 4, 5, 6], [INF] * 5, delta=2.0)
    assert d.kind == "time_to_target" and d.verdict == CONFIRMED
    assert d.p_value == pytest.approx(1 / 252)
    assert "permutation" in d.test
    e = d.effect
    assert e["median_ratio"] == 0.0 and e["p_a_lt_b"] == 1.0
    assert (e["reached_a"], e["reached_b"]) == (5, 0)
    assert e["estimate"] == -INF and e["ci_low"] == -INF


def test_time_to_target_ratio_and_ties():
    d = decide_time_to_target([2, 3, 3, 4, 4, 5], [6, 6, 7, 8, 8, INF], delta=1.0)
    assert d.verdict == CONFIRMED
    assert d.effect["median_ratio"] == pytest.approx(3.5 / 7.5)
    assert d.effect["reached_b"] == 5
    slower = decide_time_to_target([6, 6, 7, 8, 8, INF], [2, 3, 3, 4, 4, 5], delta=1.0)
    assert slower.verdict == REFUTED


def test_time_to_target_nobody_reaches_is_inconclusive_not_absent():
    d = decide_time_to_target([INF] * 5, [INF] * 5, delta=2.0)
    assert d.verdict == NOT_REPRODUCED and d.reason == "inconclusive"
    assert d.p_value == 1.0 and math.isnan(d.effect["median_ratio"])


# ---------------------------------------------------------------- paired


def test_paired_eight_wins_give_1_over_256_by_sign_flip():
    b = np.arange(8.0)
    a = b + np.array([0.1, 0.3, 0.2, 0.5, 0.4, 0.15, 0.25, 0.35])
    d = decide_paired(a, b, direction="greater", delta=0.05)
    assert "sign-flip" in d.test and "256" in d.test
    assert d.p_value == pytest.approx(1 / 256) and d.verdict == CONFIRMED
    assert d.effect["wins"] == 8 and d.effect["n_pairs"] == 8
    assert d.effect["within_pair_corr"] > 0.99
    assert d.effect["estimate"] == pytest.approx(0.28125)


def test_paired_small_n_uses_paired_t():
    a, b = [0.81, 0.85, 0.80, 0.86, 0.83], [0.78, 0.80, 0.79, 0.82, 0.81]
    d = decide_paired(a, b, direction="greater", delta=0.01)
    ref = sps.ttest_rel(a, b, alternative="greater")
    assert d.test.startswith("paired t-test")
    assert d.p_value == pytest.approx(ref.pvalue) and d.statistic == pytest.approx(ref.statistic)
    lo, hi = sps.ttest_1samp(np.subtract(a, b), 0).confidence_interval(0.9)
    assert (d.effect["ci_low"], d.effect["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))
    assert d.verdict == CONFIRMED and d.effect["wins"] == 5
    assert decide_paired(a, b, direction="less", delta=0.01).verdict == REFUTED


def test_paired_constant_differences_and_diverged_runs_do_not_crash():
    b = [1.0, 2, 3, 4, 5]
    const = decide_paired(np.add(b, 1), b, direction="greater", delta=0.5)
    assert const.p_value == pytest.approx(1 / 32) and const.verdict == CONFIRMED
    assert const.effect["ci_low"] == const.effect["ci_high"] == 1.0
    ties = decide_paired(b, b, direction="greater", delta=0.5)
    assert ties.p_value == 1.0 and ties.reason == "absent"
    a = [-INF, 2.5, 3.5, -INF, 5.5, 6.5, 7.5, 8.5]  # two pairs: A diverged; one pair both diverged
    bb = [0.0, 2.0, 3.0, -INF, 5.0, 6.0, 7.0, 8.0]
    d = decide_paired(a, bb, direction="greater", delta=0.1)
    assert "signed ranks" in d.test and d.verdict == NOT_REPRODUCED
    assert math.isnan(d.effect["within_pair_corr"]) and d.effect["wins"] == 6
    assert json.dumps(d.to_dict(), allow_nan=False)


# ---------------------------------------------------------------- equivalence (TOST)


def test_tost_equivalent_different_and_noisy():
    rng = np.random.default_rng(7)
    eq = decide_equivalence(rng.normal(0.9, 0.002, 30), rng.normal(0.9, 0.002, 30), delta=0.01)
    assert eq.verdict == CONFIRMED and eq.p_value < 1e-6 and eq.p_opposite is None
    assert -0.01 < eq.effect["ci_low"] < eq.effect["ci_high"] < 0.01 and eq.effect["delta"] == 0.01
    diff = decide_equivalence(rng.normal(0.95, 0.002, 10), rng.normal(0.90, 0.002, 10), delta=0.01)
    assert diff.verdict == REFUTED and diff.effect["ci_low"] > 0.01
    noisy = decide_equivalence(rng.normal(0.9, 0.05, 5), rng.normal(0.9, 0.05, 5), delta=0.01)
    assert noisy.verdict == NOT_REPRODUCED and noisy.reason == "inconclusive"


def test_tost_p_agrees_with_ci_inside_margin():
    rng = np.random.default_rng(11)
    for _ in range(50):
        a, b = rng.normal(rng.normal(0, 0.5), 1, 8), rng.normal(0, 1, 9)
        d = decide_equivalence(a, b, delta=1.0)
        assert (d.p_value < 0.05) == (-1.0 < d.effect["ci_low"] and d.effect["ci_high"] < 1.0)
        ref = sps.ttest_ind(a, b, equal_var=False).confidence_interval(0.9)
        assert d.effect["ci_low"] == pytest.approx(ref.low)


def test_tost_paired_and_degenerate_inputs():
    base = np.linspace(0.8, 0.9, 6)
    noise = np.array([0.001, -0.002, 0.0015, -0.001, 0.0005, -0.0005])
    d = decide_equivalence(base + noise, base, delta=0.01, paired=True)
    assert d.verdict == CONFIRMED and "paired" in d.test
    ind = decide_equivalence(base + noise, base, delta=0.01)  # unpaired ignores the shared spread
    assert ind.p_value > d.p_value
    same = decide_equivalence([1.0, 1, 1], [1.0, 1, 1], delta=0.1)
    assert same.verdict == CONFIRMED and same.p_value == 0.0
    diverged = decide_equivalence([0.9, -INF, 0.91], [0.9, 0.91, 0.92], delta=0.1)
    assert diverged.verdict == NOT_REPRODUCED and diverged.reason == "inconclusive"
    assert diverged.p_value == 1.0 and diverged.effect["estimate"] == -INF
    assert json.dumps(diverged.to_dict(), allow_nan=False)


# ---------------------------------------------------------------- exact, timing


def test_exact_property():
    ok = decide_exact([True] * 5, what="rows equal")
    assert ok.verdict == CONFIRMED and ok.p_value is None and "rows equal" in ok.test
    assert ok.effect == {"estimate": 1.0, "ci_low": 1.0, "ci_high": 1.0, "ci_level": 1.0, "held": 5, "n": 5}
    bad = decide_exact([True, False, True, True])
    assert bad.verdict == REFUTED and bad.effect["held"] == 3 and bad.effect["estimate"] == 0.75


def test_timing_constant_slowdown_confirmed():
    t_b = np.linspace(1.0, 2.0, 21)
    d = decide_timing(1.3 * t_b, t_b, direction="slower")
    assert d.verdict == CONFIRMED and d.p_value == pytest.approx(0.5**21)
    assert d.effect["median_ratio"] == pytest.approx(1.3)
    assert d.effect["ci_low"] == pytest.approx(1.3) and d.effect["slower_rounds"] == 21
    assert d.effect["rounds"] == 21 and d.effect["faster_rounds"] == 0
    assert decide_timing(1.3 * t_b, t_b, direction="faster").verdict == REFUTED
    assert decide_timing(1.3 * t_b, t_b, direction="equal", margin=0.1).verdict == REFUTED


def test_timing_equal_within_margin():
    rng = np.random.default_rng(5)
    t_b = rng.uniform(1.0, 2.0, 21)
    t_a = t_b * np.exp(rng.normal(0, 0.005, 21))
    d = decide_timing(t_a, t_b, direction="equal", margin=0.1)
    assert d.verdict == CONFIRMED and d.p_value < 0.05 and d.p_opposite is None
    assert 1 / 1.1 < d.effect["ci_low"] <= d.effect["estimate"] <= d.effect["ci_high"] < 1.1
    slow = decide_timing(t_a, t_b, direction="slower", margin=0.1)
    assert slow.verdict == NOT_REPRODUCED and slow.reason == "absent"
    few = decide_timing(t_a[:3], t_b[:3], direction="equal")  # too few rounds for a 90% CI
    assert few.verdict == NOT_REPRODUCED and few.reason == "inconclusive"


def test_timing_decides_against_the_declared_minimum_effect():
    rng = np.random.default_rng(7)
    t_b = rng.uniform(1.0, 2.0, 31)
    jitter = np.exp(rng.normal(0, 0.01, 31))
    # 5% slower, consistently: significant against 1, not against the declared 10%.
    small = decide_timing(1.05 * t_b * jitter, t_b, direction="slower", margin=0.1, min_effect=0.1)
    assert small.verdict == NOT_REPRODUCED and small.reason == "absent"
    assert decide_timing(1.05 * t_b * jitter, t_b, direction="slower", margin=0.1).verdict == CONFIRMED
    assert small.effect["median_ratio"] == pytest.approx(1.05, rel=0.02)  # the raw ratio is reported
    assert "by more than 10%" in small.test
    big = decide_timing(1.3 * t_b * jitter, t_b, direction="slower", margin=0.1, min_effect=0.1)
    assert big.verdict == CONFIRMED
    fast = decide_timing(0.8 * t_b * jitter, t_b, direction="faster", margin=0.1, min_effect=0.1)
    assert fast.verdict == CONFIRMED
    barely = decide_timing(0.95 * t_b * jitter, t_b, direction="faster", margin=0.1, min_effect=0.1)
    assert barely.verdict == NOT_REPRODUCED
    assert decide_timing(1.3 * t_b, t_b, direction="faster", min_effect=0.1).verdict == REFUTED
    with pytest.raises(ValueError, match="min_effect must be a finite number >= 0.*-0.1"):
        decide_timing(t_b, t_b, min_effect=-0.1)


# ---------------------------------------------------------------- multiplicity, helpers, serialisation


def test_bh_and_holm_by_hand():
    # sorted 0.005, 0.01, 0.03, 0.04 (m = 4): BH 0.02, 0.02, 0.04, 0.04; Holm 0.02, 0.03, 0.06, 0.06
    q, h = adjust_p_values([0.01, None, 0.04, 0.03, 0.005])
    assert q == [pytest.approx(0.02), None, pytest.approx(0.04), pytest.approx(0.04), pytest.approx(0.02)]
    assert h == [pytest.approx(0.03), None, pytest.approx(0.06), pytest.approx(0.06), pytest.approx(0.02)]
    assert adjust_p_values([0.5, 0.9])[1] == [1.0, 1.0]
    assert adjust_p_values([None, None]) == ([None, None], [None, None])
    assert adjust_p_values([]) == ([], [])


def test_worst_value():
    assert worst_value([1.0, np.nan, INF], higher_is_better=True).tolist() == [1.0, -INF, INF]
    assert worst_value([np.nan, 2.0], higher_is_better=False).tolist() == [INF, 2.0]


def test_determinism_with_monte_carlo_permutations():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 6, 12).astype(float), rng.integers(2, 8, 12).astype(float)
    d1 = decide_directional(a, b, direction="less", delta=1.0, seed=42)
    d2 = decide_directional(a, b, direction="less", delta=1.0, seed=42)
    assert "9999 resamples, seed 42" in d1.test
    assert d1.to_dict() == d2.to_dict()
    pa, pb = rng.normal(0, 1, 20), rng.normal(0.3, 1, 20)  # 2^20 sign patterns: Monte Carlo
    p1 = decide_paired(pa, pb, direction="less", delta=1.0, seed=1)
    assert "9999 resamples, seed 1" in p1.test
    assert p1.to_dict() == decide_paired(pa, pb, direction="less", delta=1.0, seed=1).to_dict()


def test_to_dict_round_trips_through_strict_json():
    d = decide_time_to_target([3, 4, INF, 5, 6], [INF] * 5, delta=2.0)
    text = json.dumps(d.to_dict(), allow_nan=False)
    raw = json.loads(text)
    assert raw["effect"]["median_b"] == "inf" and raw["effect"]["ci_low"] == "-inf"
    back = Decision.from_dict(raw)
    assert back.to_dict() == d.to_dict() and back.effect["median_b"] == INF
    assert d.to_json() == text


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: decide_directional([1, 2], [3, 4], direction="up", delta=1), "direction must be 'greater' or 'less', got 'up'"),
        (lambda: decide_directional([], [3, 4], direction="less", delta=1), "a needs at least 2 values.*got 0"),
        (lambda: decide_directional([1], [3, 4], direction="less", delta=1), "a needs at least 2 values.*got 1"),
        (lambda: decide_directional([1, 2], [3, np.nan], direction="less", delta=1), "b contains NaN.*worst_value"),
        (lambda: decide_directional([1, 2], [3, 4], direction="less", delta=-1), "delta must be .*>= 0.*got -1"),
        (lambda: decide_directional([1, 2], [3, 4], direction="less", delta=INF), "delta must be a finite.*got inf"),
        (lambda: decide_directional([1, 2], [3, 4], direction="less", delta=1, alpha=1.5), r"alpha must be in \(0, 0.5\).*1.5"),
        (lambda: decide_directional([1, 2], [3, 4], direction="less", delta=1, alpha=0), r"alpha must be in.*got 0"),
        (lambda: decide_paired([1, 2, 3], [3, 4], direction="less", delta=1), "equal lengths.*got 3 and 2"),
        (lambda: decide_time_to_target([-1, 2], [3, 4], delta=1), "must be >= 0 or \\+inf"),
        (lambda: decide_equivalence([1, 2], [3, 4], delta=0), "delta must be a finite number > 0.*got 0"),
        (lambda: decide_timing([1, 2], [1, 2], direction="up"), "'slower', 'faster' or 'equal', got 'up'"),
        (lambda: decide_timing([1, 0], [1, 2]), "t_a must hold finite times > 0"),
        (lambda: decide_timing([1, 2], [1, 2], margin=-0.1), "margin must be .*> 0.*-0.1"),
        (lambda: decide_exact([]), "held must contain"),
        (lambda: adjust_p_values([0.1, 1.2]), r"p-values must lie in \[0, 1\]"),
    ],
)
def test_bad_input_names_value_and_allowed(call, match):
    with pytest.raises(ValueError, match=match):
        call()
