"""The run context of a claim test or an exercise, free of pytest: derived seeds, profile sizes, the device, the
training and timing of arms with every run recorded, and the decisions by kind (one table, `_DECIDERS`).

`RunContext` is what the exercises hold; `ClaimRun` adds a declared `Claim` (its kind, margins and expectation)
and becomes one record of claims.json. The pytest plugin's `claim` fixture is a ClaimRun.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..nn.fields import is_int
from ..seeds import RunSeeds, derive_seed, run_seeds
from ..train.experiment import ArmRuns, per_arm, train_arm
from ..train.own_rates import own_rates
from ..train.training import FitResult, fit
from . import stats
from .claims import Claim
from .knobs import for_profile
from .provenance import json_safe


def _timing(a, b, o: Mapping[str, Any]) -> stats.Decision:
    # The asserted effect is min_effect ("equal": none, its band is the margin); the margin splits absent from
    # inconclusive and defaults to min_effect.
    margin = o["min_effect"] if o.get("margin") is None else o["margin"]
    return stats.decide_timing(a, b, direction=o["direction"], margin=margin,
                               min_effect=0.0 if o["direction"] == "equal" else o["min_effect"])


# kind -> the dnnkit.stats test it prescribes, from (a, b, options); the one place a kind becomes a test.
_DECIDERS: dict[str, Callable[[Any, Any, Mapping[str, Any]], stats.Decision]] = {
    "directional": lambda a, b, o: stats.decide_directional(a, b, direction=o["direction"], delta=o["delta"],
                                                            seed=o["seed"]),
    "paired": lambda a, b, o: stats.decide_paired(a, b, direction=o["direction"], delta=o["delta"], seed=o["seed"]),
    "time_to_target": lambda a, b, o: stats.decide_time_to_target(a, b, direction=o["direction"], delta=o["delta"],
                                                                  seed=o["seed"]),
    "equivalence": lambda a, b, o: stats.decide_equivalence(a, b, delta=o["delta"], paired=o["design"] == "paired"),
    "exact": lambda a, b, o: stats.decide_exact(a),
    "timing": _timing,
}
# What a decision may set (a claim's own come from its declaration; a sub-comparison overrides them).
DECISION_OPTIONS = ("kind", "direction", "delta", "design", "min_effect", "margin")


def decide_kind(a: Sequence, b: Sequence | None = None, *, kind: str, direction: str, delta: float | None = None,
                design: str = "independent", min_effect: float | None = None, margin: float | None = None,
                seed: int = 0) -> stats.Decision:
    """Decide A against B with the test `kind` prescribes (dnnkit.stats); `seed` drives any permutation test."""
    if kind not in _DECIDERS:
        raise ValueError(f"unknown decision kind {kind!r}; allowed: {', '.join(_DECIDERS)}")
    if kind == "timing" and min_effect is None:
        raise ValueError("a timing decision needs min_effect (the smallest relative effect it asserts, 0.1 = 10%): "
                         "declare it on the Claim, or pass min_effect= for a timing sub-decision")
    opts = {"direction": direction, "delta": delta, "design": design, "min_effect": min_effect, "margin": margin,
            "seed": seed}
    return _DECIDERS[kind](a, b, opts)


class RunContext:
    """One run of an experiment (a claim test, an exercise): seeds, sizes, device, recorded runs and decisions.

    role: the seed role of the evidence runs (arms sharing a role share init and data order). stats_seed: the seed
    of every permutation test, or None to derive one per decision from (seed base, id, "stats", index).
    """

    def __init__(self, run_id: str, *, n_seeds: int, profile: str = "quick", seed_base: int = 0, device: str = "cpu",
                 role: str = "shared", stats_seed: int | None = None, data_dir: str | None = None, workers: int = 1):
        self.id = run_id
        self.profile = profile
        self.n_seeds = n_seeds
        self.seed_base = seed_base
        self.device = device
        self.role = role
        self.stats_seed = stats_seed
        # The data split follows the seed base (base 0 keeps the split of seed 0), so a fresh base is a fresh draw
        # of seeds, data split and pilot choices alike.
        self.data_seed = seed_base
        self.data_dir = data_dir  # real MNIST/CIFAR-10 files for the full profile (None: offline stand-ins)
        self.workers = workers  # processes an arm's ensemble is split over (--ensemble-workers)
        self.decisions: list[dict[str, Any]] = []
        self.runs: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []
        self.notes: dict[str, Any] = {}
        self.timings: dict[str, dict[str, list[float]]] = {}
        self.modes: set[str] = set()
        self._pilot: set[RunSeeds] = set()  # seeds handed out for design runs: their runs are recorded as pilots
        self._t0 = time.perf_counter()

    # -- seeds and sizes

    def seeds(self, role: str | None = None, n: int | None = None) -> list[RunSeeds]:
        """The derived seeds of this run (arms sharing a role share init and data order); role defaults to the
        evidence role."""
        n = self.n_seeds if n is None else n
        if not (is_int(n) and n >= 1):
            raise ValueError(f"seeds(n={n!r}): n must be an int >= 1 (None: the run's {self.n_seeds} seeds)")
        return [run_seeds(self.seed_base, self.id, rep, role or self.role) for rep in range(n)]

    def pilot_seeds(self, n: int = 2, purpose: str | None = None) -> list[RunSeeds]:
        """Seeds for design choices (learning-rate grids, CV tuning): never the evidence seeds. A purpose gives a
        design choice its own stream ("pilot:<purpose>")."""
        if not (is_int(n) and n >= 1):
            raise ValueError(f"pilot_seeds(n={n!r}): n must be an int >= 1")
        seeds = [run_seeds(self.seed_base, self.id, rep, f"pilot:{purpose}" if purpose else "pilot") for rep in range(n)]
        self._pilot.update(seeds)
        return seeds

    def pick(self, quick: Any, full: Any) -> Any:
        """A size or budget that depends on the profile."""
        return full if self.profile == "full" else quick

    def on_device(self, split):
        """The split on the run's device (--device): where its tensors live is where the runs train."""
        return split.to(self.device) if str(split.X_train.device) != str(self.device) else split

    # -- training, recorded

    def train(self, arms: Mapping[str, Any], split, fit_config, seeds: Sequence[RunSeeds] | None = None
              ) -> dict[str, ArmRuns]:
        """Train every arm (an MLPConfig) over the run's seeds on its device; record each run (per-seed facts,
        history). `split` and `fit_config` are one for all arms, or a Mapping arm -> its own."""
        seeds, splits = self._given(seeds, "train"), self._splits(split, arms)
        out = {}
        for arm, config in arms.items():
            out[arm] = train_arm(arm, config, splits[arm], per_arm(fit_config, arm, "fit_config"), seeds,
                                 workers=self.workers)
            self.record_runs(out[arm])
        return out

    def train_at_own_rates(self, arms: Mapping[str, Any], split, fit_config, grid) -> dict[str, ArmRuns]:
        """Each arm at its own rate from `grid`, chosen on the pilot seeds (a shared rate rigs a comparison: DESIGN
        pitfall 2), then trained over the run's seeds; each arm's rate and pilot table are noted. `split`,
        `fit_config` and `grid` are one for all arms, or a Mapping arm -> its own."""
        splits = self._splits(split, arms)
        rates = own_rates(arms, splits, fit_config, grid, self.pilot_seeds())
        for arm in arms:
            self.note(**{f"{arm} lr": rates.lr[arm], f"{arm} lr grid": rates.tables[arm]})
        return self.train(arms, splits, rates.fits)

    def train_models(self, builders: Mapping[str, Callable[[RunSeeds], Any]], split, fit_config,
                     seeds: Sequence[RunSeeds] | None = None) -> dict[str, ArmRuns]:
        """Train every arm whose model is built by a function of the seeds (so it can be altered after it was
        built: weights edited, layers frozen...), seed after seed with `fit`, on the run's device; record each run
        as `train` does. `split` and `fit_config` are one for all arms, or a Mapping arm -> its own."""
        seeds, splits = self._given(seeds, "train_models"), self._splits(split, builders)
        out = {}
        for arm, build in builders.items():
            fc = per_arm(fit_config, arm, "fit_config")
            results = [fit(build(s).to(splits[arm].X_train.device), splits[arm], fc, s) for s in seeds]
            out[arm] = self.record(arm, seeds, results, fit_config=fc)
        return out

    def _given(self, seeds: Sequence[RunSeeds] | None, caller: str) -> list[RunSeeds]:
        """The seeds a caller passed (None: the run's evidence seeds); an empty list is an error, not the default."""
        if seeds is None:
            return self.seeds()
        seeds = list(seeds)
        if not seeds:
            raise ValueError(f"{caller}(seeds=[]): give at least one RunSeeds, or None for the run's own seeds")
        return seeds

    def _splits(self, split, arms: Mapping[str, Any]) -> dict[str, Any]:
        """Each arm's split on the run's device; a split shared by several arms is moved once."""
        moved: dict[int, Any] = {}
        out = {}
        for arm in arms:
            one = per_arm(split, arm, "split")
            if id(one) not in moved:
                moved[id(one)] = self.on_device(one)
            out[arm] = moved[id(one)]
        return out

    def record(self, arm: str | ArmRuns, seeds: Sequence[RunSeeds] | None = None,
               results: Sequence[FitResult] | None = None, *, fit_config=None) -> ArmRuns:
        """Record runs trained outside `train` (so they reach runs.csv): an ArmRuns, or an arm's name with its
        seeds and FitResults (one per seed, in order). Returns the recorded ArmRuns."""
        if isinstance(arm, ArmRuns):
            if seeds is not None or results is not None:
                raise ValueError("record(ArmRuns) takes no seeds or results: the ArmRuns holds them")
            runs = arm
        else:
            seeds, results = list(seeds or []), list(results or [])
            if not results or len(seeds) != len(results):
                raise ValueError(f"record({arm!r}, seeds, results) needs one FitResult per seed, got {len(seeds)} "
                                 f"seeds and {len(results)} results")
            bad = [type(r).__name__ for r in results if not isinstance(r, FitResult)]
            if bad:
                raise ValueError(f"record({arm!r}, ...) takes FitResults (what fit returns), got {', '.join(bad)}")
            config = getattr(results[0].model, "config", None)
            runs = ArmRuns(arm, config, fit_config, seeds, results)
        self.record_runs(runs)
        return runs

    def record_runs(self, arm_runs: ArmRuns) -> None:
        """One row per run (its seeds, device, mode and per-seed facts) and its per-epoch history. Runs on pilot
        seeds are recorded under "pilot: <arm>", so the long table never files a design run under an evidence arm."""
        self.modes.add(arm_runs.mode)
        pilot = bool(arm_runs.seeds) and all(s in self._pilot for s in arm_runs.seeds)
        arm = f"pilot: {arm_runs.arm}" if pilot else arm_runs.arm
        for rep, (s, r) in enumerate(zip(arm_runs.seeds, arm_runs.results, strict=True)):
            model_device = next((str(p.device) for p in r.model.parameters()), None) if r.model is not None else None
            self.runs.append({"arm": arm, "rep": rep, "seeds": s.as_dict(), "mode": arm_runs.mode,
                              "device": model_device,
                              "workers": arm_runs.workers,
                              "diverged": r.diverged, "epochs": len(r.history), "best_epoch": r.best_epoch,
                              "epochs_to_target": r.epochs_to_target, "train_time_s": r.train_time_s,
                              "ensemble_fallback": arm_runs.extra.get("ensemble_fallback")})
            for row in r.history.to_dict("records"):
                self.history.append({"arm": arm, "rep": rep, **row})

    # -- timing, recorded

    def time(self, fns: Mapping[str, Callable[[], Any]], *, rounds: int = 30, grad: bool = False, warmup: int = 3,
             inner: int | None = None, min_block_s: float = 2e-3, timer: Callable[[], float] | None = None,
             label: str | None = None) -> dict[str, list[float]]:
        """Per-round seconds per call of each candidate, interleaved on the run's device (dnnkit.timing);
        grad=True times whole training steps (backward needs autograd); timer=None is dnnkit.timing's default clock.
        The rounds are recorded under `label`."""
        from .timing import interleaved_rounds

        label = label or " vs ".join(fns)
        if label in self.timings:
            raise ValueError(f"timing {label!r} was already recorded in this run; give each timing its own label")
        out = interleaved_rounds(fns, rounds=rounds, inner=inner, warmup=warmup, min_block_s=min_block_s,
                                 device=self.device, timer=timer, grad=grad)
        self.timings[label] = {name: list(times) for name, times in out.items()}
        return out

    # -- evidence and decisions

    def note(self, **items: Any) -> None:
        """Extra evidence shown with the run (dead-unit counts, per-layer statistics...)."""
        self.notes.update(json_safe(items))

    def default_arms(self) -> tuple[str, str]:
        """The names of A and B when a decision does not give them."""
        return ("A", "B")

    def decide(self, a: Sequence, b: Sequence | None = None, *, kind: str, direction: str, delta: float | None = None,
               design: str = "independent", min_effect: float | None = None, margin: float | None = None,
               label: str | None = None, arms: tuple[str, str] | None = None, sensitivity: str | None = None,
               control: bool = False) -> stats.Decision:
        """Decide A against B with the test `kind` prescribes, and record the decision with its values.

        sensitivity="why": a setup the run did not choose (often the chapter's default, kept because it gave the
        other answer): decided and shown beside the verdict, never gating it.
        control=True: a positive control, an arm known to differ, showing the margin can fail (a confirmed
        equivalence is not vacuous). The claim is confirmed only if its controls are; a failed control leaves it
        "not reproduced", never refuted, and its p-value is not the claim's.
        """
        if sensitivity is not None and not str(sensitivity).strip():
            raise ValueError("decide(sensitivity=...) needs the reason this setup is a sensitivity check")
        if sensitivity is not None and control:
            raise ValueError("decide(): a decision is a sensitivity check or a positive control, not both")
        seed = (self.stats_seed if self.stats_seed is not None
                else derive_seed(self.seed_base, self.id, "stats", len(self.decisions)))
        decision = decide_kind(a, b, kind=kind, direction=direction, delta=delta, design=design,
                               min_effect=min_effect, margin=margin, seed=seed)
        names = arms or self.default_arms()
        values = {names[0]: list(a)} if b is None else {names[0]: list(a), names[1]: list(b)}
        self.decisions.append({"label": label or " vs ".join(values), "kind": kind,
                               "direction": direction, "delta": delta,
                               "min_effect": min_effect if kind == "timing" else None,
                               "role": "sensitivity" if sensitivity else "control" if control else "evidence",
                               "sensitivity": sensitivity,
                               "values": json_safe(values), "decision": decision.to_dict()})
        return decision

    @property
    def gating(self) -> list[dict[str, Any]]:
        """The sub-decisions that set the verdict (sensitivity checks and positive controls are shown, not counted)."""
        # The same rule as dnnkit.results.records.gating (the layers keep evidence from importing results).
        return [d for d in self.decisions if d.get("role") not in ("sensitivity", "control")]

    @property
    def failed_controls(self) -> list[dict[str, Any]]:
        """The positive controls that did not come out confirmed: the margin was not shown to be able to fail."""
        return [d for d in self.decisions if d.get("role") == "control" and d["decision"]["verdict"] != stats.CONFIRMED]

    @property
    def verdict(self) -> str | None:
        """All gating sub-decisions (and positive controls) confirmed -> confirmed; any gating one refuted ->
        refuted; else not reproduced."""
        verdicts = [d["decision"]["verdict"] for d in self.gating]
        if not verdicts:
            return None
        if all(v == stats.CONFIRMED for v in verdicts):
            return stats.NOT_REPRODUCED if self.failed_controls else stats.CONFIRMED
        if any(v == stats.REFUTED for v in verdicts):
            return stats.REFUTED
        return stats.NOT_REPRODUCED


class ClaimRun(RunContext):
    """One claim test's run: what it trained, the per-seed evidence, and the decisions; becomes one record."""

    def __init__(self, spec: Claim, *, profile: str, n_seeds: int | None, seed_base: int, device: str, nodeid: str,
                 data_dir: str | None = None, workers: int = 1):
        super().__init__(spec.id, n_seeds=n_seeds or spec.seeds[profile], profile=profile, seed_base=seed_base,
                         device=device, data_dir=data_dir, workers=workers)
        self.spec = spec
        self.nodeid = nodeid

    @property
    def knobs(self) -> Any:
        """The claim's design knobs for this run's profile (every QuickFull resolved): the numbers the test uses."""
        if self.spec.knobs is None:
            raise ValueError(f"claim {self.id!r} declares no knobs: declare Claim(knobs=...) with a dataclass of "
                             "its design numbers")
        return for_profile(self.spec.knobs, self.profile)

    def default_arms(self) -> tuple[str, str]:
        return self.spec.arms if len(self.spec.arms) == 2 else (*self.spec.arms, "B")[:2]

    def decide(self, a: Sequence, b: Sequence | None = None, *, label: str | None = None,
               arms: tuple[str, str] | None = None, sensitivity: str | None = None, control: bool = False,
               **overrides: Any) -> stats.Decision:
        """Decide with the test the claim's kind prescribes (overrides allow a declared sub-comparison).

        sensitivity="why": a setup the claim did not choose (often the chapter's default, kept because it gave
        the other answer): decided and shown beside the verdict, never gating it.
        """
        unknown = set(overrides) - set(DECISION_OPTIONS)
        if unknown:
            raise ValueError(f"decide() got unknown override(s) {sorted(unknown)}; allowed: {', '.join(DECISION_OPTIONS)}")
        opts = {"kind": self.spec.kind, "direction": self.spec.direction, "delta": self.spec.delta,
                "design": self.spec.design, "min_effect": self.spec.min_effect, **overrides}
        return super().decide(a, b, label=label, arms=arms, sensitivity=sensitivity, control=control, **opts)

    @property
    def as_expected(self) -> bool:
        """The verdict is one the claim declared (the chapter's "confirmed", or its declared expectation)."""
        return self.verdict in self.spec.expected_verdicts

    def expectation_failure(self) -> str | None:
        """Why the test fails, or None: no decision made, or a verdict other than the declared one."""
        if not self.gating:
            return (f"claim {self.id!r}: the test made no gating decision (call claim.decide at least once "
                    "without sensitivity=)")
        if self.as_expected:
            return None
        expect = self.spec.expect
        declared = (f"declared expectation: {expect.label()} ({expect.why})" if expect
                    else "the claim predicts: confirmed (no other expectation declared)")
        lines = [f"claim {self.id!r}: verdict {self.verdict!r} at seed base {self.seed_base}, but {declared}"]
        for d in self.gating + self.failed_controls:
            dec = d["decision"]
            lines.append(f"  - {d['label']}: {dec['verdict']}" + (f" ({dec['reason']})" if dec.get("reason") else "")
                         + f", p {dec.get('p_value')}")
        return "\n".join(lines)

    def to_record(self) -> dict[str, Any]:
        ps = [d["decision"]["p_value"] for d in self.gating if isinstance(d["decision"].get("p_value"), float)]
        reasons = [d["decision"].get("reason") for d in self.gating if d["decision"].get("reason")]
        if self.failed_controls and not reasons:
            reasons = ["positive control not confirmed"]
        trained_on = sorted({r["device"] for r in self.runs if r.get("device")})
        return json_safe({
            "claim": self.spec.as_dict(), "id": self.id, "test": self.nodeid, "profile": self.profile,
            "seed_base": self.seed_base, "data_seed": self.data_seed, "n_seeds": self.n_seeds, "device": self.device,
            "trained_on": trained_on, "fingerprint": self.spec.fingerprint(),
            "expected": list(self.spec.expected_verdicts), "as_expected": self.as_expected,
            "mode": "+".join(sorted(self.modes)) or "none", "verdict": self.verdict,
            "reason": reasons[0] if self.verdict == stats.NOT_REPRODUCED and reasons else None,
            # The claim holds only if every sub-comparison does (intersection-union): its p is the largest.
            "p_value": max(ps) if ps else None, "decisions": self.decisions, "runs": self.runs, "notes": self.notes,
            # Per-round times of claim.time (only when it was used: records without timings stay as they were).
            **({"timings": self.timings} if self.timings else {}),
            "history": self.history, "wall_s": time.perf_counter() - self._t0,
        })
