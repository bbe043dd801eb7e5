"""Per-claim statistical verdicts: seeds in, a `Decision` out (protocol: shared/research/statistics.md).

Every function tests one pre-registered direction at a one-sided ``alpha`` and reports the effect with a
``1 - 2*alpha`` confidence interval (90% at the default alpha = 0.05), so that "confirmed" and "CI excludes 0"
agree. Failed runs stay in as +-inf (see `worst_value`); NaN is rejected because it cannot be ranked.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats

CONFIRMED, REFUTED, NOT_REPRODUCED = "confirmed", "refuted", "not reproduced"
ABSENT, INCONCLUSIVE = "absent", "inconclusive"
DIRECTIONS = ("greater", "less")
TIMING_DIRECTIONS = ("slower", "faster", "equal")
# Above this many splits/sign patterns an enumeration is too slow (10 vs 10 = 184,756 took 4 s): Monte Carlo.
MAX_ENUMERATION = 20_000
MAX_SIGN_FLIP_N = 16  # 2^16 sign patterns still enumerate in well under a second
MC_RESAMPLES = 9_999
# Exact null of U for the HL interval up to this n*m; beyond it a normal approximation is accurate.
MAX_EXACT_HL = 2_500

ArrayLike = Sequence[float] | np.ndarray


@dataclass
class Decision:
    """A claim's verdict with the test that produced it and its effect sizes."""

    kind: str
    test: str
    verdict: str
    reason: str | None
    statistic: float | None
    p_value: float | None
    p_opposite: float | None
    effect: dict[str, float] = field(default_factory=dict)
    effect_name: str = ""
    n_a: int = 0
    n_b: int = 0
    alpha: float = 0.05

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: non-finite floats become the strings "inf", "-inf", "nan" (lossless, see `from_dict`)."""
        return _json_safe(asdict(self))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Decision:
        """Inverse of `to_dict` (strings "inf", "-inf", "nan" in numeric slots become floats again)."""
        d = dict(d)
        for key in ("statistic", "p_value", "p_opposite", "alpha"):
            if isinstance(d.get(key), str):
                d[key] = float(d[key])
        d["effect"] = {k: float(v) for k, v in d.get("effect", {}).items()}
        return cls(**d)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)


def _json_safe(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return x if math.isfinite(x) else ("nan" if math.isnan(x) else ("inf" if x > 0 else "-inf"))
    return x


# ----------------------------------------------------------------------------------------------------------
# validation
# ----------------------------------------------------------------------------------------------------------


def _sample(x: ArrayLike, name: str, *, min_len: int = 2) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of per-seed values, got shape {arr.shape}")
    if arr.size < min_len:
        raise ValueError(f"{name} needs at least {min_len} values (one per seed), got {arr.size}")
    if np.isnan(arr).any():
        raise ValueError(
            f"{name} contains NaN at positions {np.flatnonzero(np.isnan(arr)).tolist()}; "
            "map diverged runs to the worst value with worst_value() first"
        )
    return arr


def _check(direction: str, delta: float, alpha: float, *, allowed: Sequence[str] = DIRECTIONS) -> None:
    if direction not in allowed:
        raise ValueError(f"direction must be {' or '.join(repr(a) for a in allowed)}, got {direction!r}")
    _check_alpha(alpha)
    if not isinstance(delta, (int, float, np.integer, np.floating)) or not math.isfinite(delta) or delta < 0:
        raise ValueError(f"delta must be a finite number >= 0 in metric units, got {delta!r}")


def _check_alpha(alpha: float) -> None:
    # alpha >= 0.5 would make the 1 - 2*alpha interval empty; a one-sided test at that level means nothing.
    if not isinstance(alpha, (int, float, np.floating)) or not 0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5) (one-sided level), got {alpha!r}")


def _same_length(a: np.ndarray, b: np.ndarray, what: str) -> None:
    if a.size != b.size:
        raise ValueError(f"{what} needs equal lengths (one pair per seed/round), got {a.size} and {b.size}")


# ----------------------------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------------------------


def worst_value(values: ArrayLike, higher_is_better: bool) -> np.ndarray:
    """Replace NaN (diverged run) by the worst possible value, so failed runs stay in a rank test."""
    arr = np.asarray(values, dtype=float).copy()
    arr[np.isnan(arr)] = -np.inf if higher_is_better else np.inf
    return arr


def _median(x: np.ndarray) -> float:
    """Median that tolerates +-inf: opposite infinities in the middle average to 0 rather than NaN."""
    s = np.sort(x)
    lo, hi = s[(s.size - 1) // 2], s[s.size // 2]
    if lo == hi:
        return float(lo)
    mid = (lo + hi) / 2
    return 0.0 if np.isnan(mid) else float(mid)


def _pairwise_diffs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        d = np.subtract.outer(a, b).ravel()
    # inf - inf: two runs that both diverged (or both never reached the target) are a tie.
    d[np.isnan(d)] = 0.0
    return np.sort(d)


def _mwu_null_cdf(n: int, m: int) -> np.ndarray:
    """Exact P(U <= u) for u = 0..n*m without ties: coefficients of the Gaussian binomial [n+m choose n]_q."""
    c = [1] + [0] * (n * m + n)
    deg = 0
    for i in range(1, n + 1):
        s = m + i
        for k in range(deg + s, s - 1, -1):  # multiply by (1 - q^s)
            c[k] -= c[k - s]
        deg += s - i
        for k in range(i, deg + 1):  # divide by (1 - q^i): exact in integers
            c[k] += c[k - i]
        c[deg + 1 :] = [0] * (len(c) - deg - 1)  # the remainder above the quotient's degree is zero
    counts = np.array([float(v) for v in c[: n * m + 1]])
    return np.cumsum(counts) / math.comb(n + m, n)


def _hl_interval(a: np.ndarray, b: np.ndarray, level: float) -> tuple[float, float, float]:
    """Hodges-Lehmann shift and its CI by inverting the Mann-Whitney test (order statistics of a_i - b_j)."""
    d = _pairwise_diffs(a, b)
    n, m = a.size, b.size
    tail = (1 - level) / 2
    if n * m <= MAX_EXACT_HL:
        ok = np.flatnonzero(_mwu_null_cdf(n, m) <= tail)
        c = int(ok[-1]) if ok.size else -1
    else:
        sd = math.sqrt(n * m * (n + m + 1) / 12)
        c = math.floor(n * m / 2 - 0.5 - stats.norm.ppf(1 - tail) * sd)
    # c = largest u with P(U <= u) <= tail; the CI is [d_(c+1), d_(nm-c)] (1-based). Too few seeds: unbounded.
    lo, hi = (float(d[c]), float(d[d.size - 1 - c])) if c >= 0 else (-np.inf, np.inf)
    return _median(d), lo, hi


def _hedges_g(a: np.ndarray, b: np.ndarray) -> float:
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float("nan")
    n, m = a.size, b.size
    sp = math.sqrt(((n - 1) * a.var(ddof=1) + (m - 1) * b.var(ddof=1)) / (n + m - 2))
    if sp == 0:
        return float("nan")
    return float((a.mean() - b.mean()) / sp * (1 - 3 / (4 * (n + m) - 9)))


def _verdict(p: float, p_opp: float, lo: float, hi: float, delta: float, alpha: float) -> tuple[str, str | None]:
    if p < alpha:
        return CONFIRMED, None
    if p_opp < alpha:
        return REFUTED, None
    return NOT_REPRODUCED, (ABSENT if -delta < lo and hi < delta else INCONCLUSIVE)


def _other(direction: str) -> str:
    return "less" if direction == "greater" else "greater"


def _ci(effect: dict[str, float], est: float, lo: float, hi: float, level: float) -> dict[str, float]:
    return {"estimate": float(est), "ci_low": float(lo), "ci_high": float(hi), "ci_level": float(level), **effect}


# ----------------------------------------------------------------------------------------------------------
# independent arms: directional and time-to-target (Mann-Whitney)
# ----------------------------------------------------------------------------------------------------------


def _mwu(a: np.ndarray, b: np.ndarray, direction: str, seed: int, force_perm: bool) -> tuple[float, float, float, str]:
    pooled = np.concatenate([a, b])
    ties = np.unique(pooled).size < pooled.size
    if not (ties or force_perm):
        # 'exact' ignores ties, hence only without them (statistics.md §3: 10/200 decisions flipped otherwise).
        res = [stats.mannwhitneyu(a, b, alternative=alt, method="exact") for alt in (direction, _other(direction))]
        label = "Mann-Whitney U (exact)"
    else:
        splits = math.comb(a.size + b.size, a.size)
        n_res = np.inf if splits <= MAX_ENUMERATION else MC_RESAMPLES
        res = [
            stats.mannwhitneyu(
                a, b, alternative=alt,
                method=stats.PermutationMethod(n_resamples=n_res, rng=np.random.default_rng(seed)),
            )
            for alt in (direction, _other(direction))
        ]
        how = f"all {splits} splits" if n_res == np.inf else f"{MC_RESAMPLES} resamples, seed {seed}"
        label = f"Mann-Whitney U (permutation, {how})"
    return float(res[0].statistic), float(res[0].pvalue), float(res[1].pvalue), f"{label}, one-sided {direction}"


def decide_directional(
    a: ArrayLike, b: ArrayLike, *, direction: str, delta: float, alpha: float = 0.05, seed: int = 0
) -> Decision:
    """Is A `direction` than B over independent seeds? Mann-Whitney U (exact, or permutation with ties).

    Effect: Hodges-Lehmann shift A-B with its rank-test-consistent CI; also P(A>B), Cliff's delta, Hedges' g.
    """
    _check(direction, delta, alpha)
    a, b = _sample(a, "a"), _sample(b, "b")
    u, p, p_opp, test = _mwu(a, b, direction, seed, force_perm=False)
    level = 1 - 2 * alpha
    hl, lo, hi = _hl_interval(a, b, level)
    prob = u / (a.size * b.size)
    effect = {
        "p_a_gt_b": prob, "cliffs_delta": 2 * prob - 1, "hl_shift": hl,
        "median_a": _median(a), "median_b": _median(b), "hedges_g": _hedges_g(a, b),
    }
    verdict, reason = _verdict(p, p_opp, lo, hi, delta, alpha)
    return Decision("directional", test, verdict, reason, u, p, p_opp, _ci(effect, hl, lo, hi, level),
                    "Hodges-Lehmann shift (A-B)", a.size, b.size, alpha)


def decide_time_to_target(
    a: ArrayLike, b: ArrayLike, *, direction: str = "less", delta: float, alpha: float = 0.05, seed: int = 0
) -> Decision:
    """Does A reach the target in fewer (direction "less") epochs than B? +inf = never reached.

    Always the permutation Mann-Whitney: integer epochs and censored runs tie. delta is in epochs.
    """
    _check(direction, delta, alpha)
    a, b = _sample(a, "a"), _sample(b, "b")
    for name, x in (("a", a), ("b", b)):
        if (x < 0).any():
            raise ValueError(f"{name} holds epochs/steps to target, which must be >= 0 or +inf, got {x.tolist()}")
    u, p, p_opp, test = _mwu(a, b, direction, seed, force_perm=True)
    level = 1 - 2 * alpha
    hl, lo, hi = _hl_interval(a, b, level)
    med_a, med_b = _median(a), _median(b)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = float(np.divide(med_a, med_b))  # inf/inf and 0/0 -> nan, x/inf -> 0, x/0 -> inf
    reached_a, reached_b = int(np.isfinite(a).sum()), int(np.isfinite(b).sum())
    effect = {
        "median_ratio": ratio, "p_a_lt_b": 1 - u / (a.size * b.size), "hl_shift": hl,
        "median_a": med_a, "median_b": med_b, "reached_a": reached_a, "reached_b": reached_b,
    }
    verdict, reason = _verdict(p, p_opp, lo, hi, delta, alpha)
    if reason == ABSENT and reached_a + reached_b == 0:
        reason = INCONCLUSIVE  # no run reached the target: "no difference" would only mean the budget was too short
    return Decision("time_to_target", test, verdict, reason, u, p, p_opp, _ci(effect, hl, lo, hi, level),
                    "Hodges-Lehmann shift in epochs (A-B)", a.size, b.size, alpha)


# ----------------------------------------------------------------------------------------------------------
# paired seeds
# ----------------------------------------------------------------------------------------------------------


def _paired_diffs(a: ArrayLike, b: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a, b = _sample(a, "a"), _sample(b, "b")
    _same_length(a, b, "a paired design")
    with np.errstate(invalid="ignore"):
        d = a - b
    d[np.isnan(d)] = 0.0  # both runs of the pair diverged: a tie
    return a, b, d


def _sign_flip(x: np.ndarray, direction: str, seed: int) -> tuple[float, float, str]:
    """One-sample sign-flip permutation test of sum(x); exact over all 2^n sign patterns when feasible."""
    n_res = np.inf if x.size <= MAX_SIGN_FLIP_N else MC_RESAMPLES
    ps = [
        stats.permutation_test(
            (x,), lambda v, axis: np.sum(v, axis=axis), permutation_type="samples", vectorized=True,
            alternative=alt, n_resamples=n_res, rng=np.random.default_rng(seed),
        ).pvalue
        for alt in (direction, _other(direction))
    ]
    how = f"all {2 ** x.size} sign patterns" if n_res == np.inf else f"{MC_RESAMPLES} resamples, seed {seed}"
    return float(ps[0]), float(ps[1]), how


def decide_paired(
    a: ArrayLike, b: ArrayLike, *, direction: str, delta: float, alpha: float = 0.05, seed: int = 0
) -> Decision:
    """Is A `direction` than B when a[i], b[i] share init and data order? Paired t (n < 8), else sign-flip.

    Non-finite differences (a diverged run) make means undefined: then the exact sign-flip runs on signed
    ranks (Wilcoxon signed-rank statistic) and the estimate is the median difference with a sign-test CI.
    """
    _check(direction, delta, alpha)
    a, b, d = _paired_diffs(a, b)
    n, level = d.size, 1 - 2 * alpha
    finite = bool(np.isfinite(d).all())
    if finite and n < 8 and np.ptp(d) > 0:
        t = [stats.ttest_rel(a, b, alternative=alt) for alt in (direction, _other(direction))]
        stat, p, p_opp, test = float(t[0].statistic), float(t[0].pvalue), float(t[1].pvalue), "paired t-test"
    elif finite:
        # Constant differences make t degenerate (0/0 or p = 0); the sign flip gives the honest 2^-n floor.
        p, p_opp, how = _sign_flip(d, direction, seed)
        stat, test = float(d.mean()), f"sign-flip permutation test on the mean difference ({how})"
    else:
        sr = np.sign(d) * stats.rankdata(np.abs(d))
        p, p_opp, how = _sign_flip(sr, direction, seed)
        stat, test = float(sr.sum()), f"sign-flip test on signed ranks, Wilcoxon ({how}; non-finite differences)"
    if finite:
        est = float(d.mean())
        lo, hi = (est, est) if np.ptp(d) == 0 else stats.ttest_1samp(d, 0).confidence_interval(level)
        name = "mean paired difference (A-B), t CI"
    else:
        est = _median(d)
        ci = stats.quantile_test(d, q=0).confidence_interval(level)
        lo, hi, name = ci.low, ci.high, "median paired difference (A-B), sign-test CI"
    wins = int((d > 0).sum() if direction == "greater" else (d < 0).sum())
    corr = float("nan")
    if np.isfinite(a).all() and np.isfinite(b).all() and np.ptp(a) > 0 and np.ptp(b) > 0:
        corr = float(np.corrcoef(a, b)[0, 1])
    effect = {"mean_diff": float(np.mean(d)) if finite else float("nan"), "wins": wins, "n_pairs": n,
              "within_pair_corr": corr}
    verdict, reason = _verdict(p, p_opp, lo, hi, delta, alpha)
    return Decision("paired", f"{test}, one-sided {direction}", verdict, reason, stat, p, p_opp,
                    _ci(effect, est, lo, hi, level), name, n, n, alpha)


# ----------------------------------------------------------------------------------------------------------
# equivalence (TOST), exact properties, timing
# ----------------------------------------------------------------------------------------------------------


def decide_equivalence(
    a: ArrayLike, b: ArrayLike, *, delta: float, paired: bool = False, alpha: float = 0.05
) -> Decision:
    """Are A and B equivalent within +-delta? TOST with two shifted Welch (or paired one-sample) t-tests.

    Non-finite values (diverged runs) leave the mean difference without a CI: the verdict is then
    "not reproduced / inconclusive" with p = 1, never "equivalent".
    """
    _check_alpha(alpha)
    if not isinstance(delta, (int, float, np.integer, np.floating)) or not math.isfinite(delta) or delta <= 0:
        raise ValueError(f"delta must be a finite number > 0 (the equivalence margin), got {delta!r}")
    if paired:
        a, b, d = _paired_diffs(a, b)
        diffs = [d]
    else:
        a, b = _sample(a, "a"), _sample(b, "b")
        diffs = [a, b]
    level, design = 1 - 2 * alpha, "paired t" if paired else "Welch t"
    test = f"TOST, two one-sided {design}-tests against +-{delta:g}"
    with np.errstate(invalid="ignore"):
        est = float(np.mean(d) if paired else np.mean(a) - np.mean(b))
        spread = max(float(np.ptp(x)) for x in diffs)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        stat, p, lo, hi, test = None, 1.0, float("nan"), float("nan"), test + " (non-finite values: undefined)"
    elif spread == 0:
        # No variance: the difference is known exactly, and t would be 0/0.
        stat, p, lo, hi, test = None, (0.0 if abs(est) < delta else 1.0), est, est, test + " (zero variance)"
    else:
        if paired:
            lower = stats.ttest_1samp(d + delta, 0, alternative="greater")
            upper = stats.ttest_1samp(d - delta, 0, alternative="less")
            ci = stats.ttest_1samp(d, 0).confidence_interval(level)
        else:
            lower = stats.ttest_ind(a + delta, b, equal_var=False, alternative="greater")
            upper = stats.ttest_ind(a - delta, b, equal_var=False, alternative="less")
            ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(level)
        worse = lower if lower.pvalue >= upper.pvalue else upper
        stat, p, lo, hi = float(worse.statistic), float(worse.pvalue), float(ci.low), float(ci.high)
    if p < alpha:
        verdict, reason = CONFIRMED, None
    elif lo >= delta or hi <= -delta:
        verdict, reason = REFUTED, None
    else:
        verdict, reason = NOT_REPRODUCED, INCONCLUSIVE
    effect = _ci({"mean_diff": est, "delta": float(delta)}, est, lo, hi, level)
    return Decision("equivalence", test, verdict, reason, stat, p, None, effect,
                    "mean difference (A-B)", a.size, b.size, alpha)


def decide_exact(held: Sequence[bool], *, what: str = "") -> Decision:
    """A structural property asserted on every seed: confirmed iff it held on all of them (no p-value)."""
    flags = [bool(h) for h in held]
    if not flags:
        raise ValueError("held must contain one bool per seed, got an empty sequence")
    k, n = sum(flags), len(flags)
    frac = k / n
    effect = _ci({"held": k, "n": n}, frac, frac, frac, 1.0)
    test = "exact property on every seed" + (f": {what}" if what else "")
    # alpha = 0: an exact claim tolerates no exception.
    return Decision("exact", test, CONFIRMED if k == n else REFUTED, None, None, None, None, effect,
                    "fraction of seeds on which the property held", n, 0, 0.0)


def decide_timing(
    t_a: ArrayLike, t_b: ArrayLike, *, direction: str = "slower", margin: float = 0.1, alpha: float = 0.05,
    min_effect: float = 0.0,
) -> Decision:
    """Is A slower/faster than B by more than `min_effect`, or "equal" (within 1+margin)? Sign test on interleaved
    per-round log ratios.

    "slower" tests the median ratio against 1 + min_effect, "faster" against 1 / (1 + min_effect) (0: the pure
    direction); refuted means significant the other way from 1; `margin` splits absent/inconclusive.
    "equal" is an equivalence: the 1-2*alpha CI of the median ratio must lie inside (1/(1+m), 1+m).
    """
    if direction not in TIMING_DIRECTIONS:
        raise ValueError(f"direction must be 'slower', 'faster' or 'equal', got {direction!r}")
    _check_alpha(alpha)
    if not isinstance(margin, (int, float, np.floating)) or not math.isfinite(margin) or margin <= 0:
        raise ValueError(f"margin must be a finite number > 0 (relative, 0.1 = 10%), got {margin!r}")
    if not isinstance(min_effect, (int, float, np.floating)) or not math.isfinite(min_effect) or min_effect < 0:
        raise ValueError(f"min_effect must be a finite number >= 0 (relative, 0.1 = 10%), got {min_effect!r}")
    t_a, t_b = _sample(t_a, "t_a"), _sample(t_b, "t_b")
    _same_length(t_a, t_b, "interleaved timing")
    for name, t in (("t_a", t_a), ("t_b", t_b)):
        if not (np.isfinite(t).all() and (t > 0).all()):
            raise ValueError(f"{name} must hold finite times > 0, got {t.tolist()}")
    r = np.log(t_a / t_b)
    level, bound = 1 - 2 * alpha, math.log1p(margin)
    ci = stats.quantile_test(r, q=0).confidence_interval(level)
    lo, hi = float(ci.low), float(ci.high)  # NaN when too few rounds for this level: never "inside"
    inside = -bound < lo and hi < bound
    if direction == "equal":
        lower = stats.quantile_test(r, q=-bound, alternative="greater")
        upper = stats.quantile_test(r, q=bound, alternative="less")
        worse = lower if lower.pvalue >= upper.pvalue else upper
        stat, p, p_opp = float(worse.statistic), float(worse.pvalue), None
        test = f"TOST sign tests on per-round log ratios, margin {margin:g}"
        if inside:
            verdict, reason = CONFIRMED, None
        elif lo > bound or hi < -bound:
            verdict, reason = REFUTED, None
        else:
            verdict, reason = NOT_REPRODUCED, INCONCLUSIVE
    else:
        alt = "greater" if direction == "slower" else "less"
        shift = math.log1p(min_effect) * (1 if direction == "slower" else -1)
        res = stats.quantile_test(r, q=shift, alternative=alt)
        stat, p = float(res.statistic), float(res.pvalue)
        p_opp = float(stats.quantile_test(r, q=0, alternative=_other(alt)).pvalue)
        beyond = f" by more than {min_effect:.0%}" if min_effect else ""
        test = f"sign test (quantile_test) on per-round log ratios, A {direction} than B{beyond}"
        verdict, reason = _verdict(p, p_opp, lo, hi, bound, alpha)
    ratio = math.exp(float(np.median(r)))
    effect = {"median_ratio": ratio, "rounds": r.size, "faster_rounds": int((r < 0).sum()),
              "slower_rounds": int((r > 0).sum())}
    return Decision("timing", test, verdict, reason, stat, p, p_opp,
                    _ci(effect, ratio, math.exp(lo), math.exp(hi), level),
                    "median per-round time ratio A/B", t_a.size, t_b.size, alpha)


# ----------------------------------------------------------------------------------------------------------
# multiplicity (report columns, never the verdict)
# ----------------------------------------------------------------------------------------------------------


def adjust_p_values(p: Sequence[float | None]) -> tuple[list[float | None], list[float | None]]:
    """BH q-values and Holm-adjusted p over the non-None entries (None kept in place), for the run's table."""
    idx = [i for i, v in enumerate(p) if v is not None]
    vals = np.array([p[i] for i in idx], dtype=float)
    if ((vals < 0) | (vals > 1) | np.isnan(vals)).any():
        raise ValueError(f"p-values must lie in [0, 1] (or be None), got {list(p)}")
    q_bh: list[float | None] = [None] * len(p)
    holm: list[float | None] = [None] * len(p)
    if not idx:
        return q_bh, holm
    q = stats.false_discovery_control(vals, method="bh")
    order = np.argsort(vals, kind="stable")
    m = vals.size
    adj = np.minimum(np.maximum.accumulate((m - np.arange(m)) * vals[order]), 1.0)
    h = np.empty(m)
    h[order] = adj
    for j, i in enumerate(idx):
        q_bh[i], holm[i] = float(q[j]), float(h[j])
    return q_bh, holm
