"""The `claim` fixture: seeds, profile sizes, training of arms and the statistical decision of one claim test."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from .. import stats
from ..claims import Claim
from ..experiment import ArmRuns, train_arms
from ..provenance import json_safe
from ..seeds import RunSeeds, derive_seed, run_seeds

_DECIDERS = {
    "directional": lambda c, a, b, o: stats.decide_directional(a, b, direction=o["direction"], delta=o["delta"], seed=o["seed"]),
    "paired": lambda c, a, b, o: stats.decide_paired(a, b, direction=o["direction"], delta=o["delta"], seed=o["seed"]),
    "time_to_target": lambda c, a, b, o: stats.decide_time_to_target(a, b, direction=o["direction"], delta=o["delta"],
                                                                      seed=o["seed"]),
    "equivalence": lambda c, a, b, o: stats.decide_equivalence(a, b, delta=o["delta"], paired=o["design"] == "paired"),
    "exact": lambda c, a, b, o: stats.decide_exact(a),
    "timing": lambda c, a, b, o: stats.decide_timing(a, b, direction=o["direction"], margin=o["min_effect"],
                                                      min_effect=0.0 if o["direction"] == "equal" else o["min_effect"]),
}
_OVERRIDES = ("kind", "direction", "delta", "design", "min_effect")


class ClaimRun:
    """One claim test's run: what it trained, the per-seed evidence, and the decisions; becomes one record."""

    def __init__(self, spec: Claim, *, profile: str, n_seeds: int | None, seed_base: int, device: str, nodeid: str,
                 data_dir: str | None = None, workers: int = 1):
        self.spec = spec
        self.id = spec.id
        self.profile = profile
        self.n_seeds = n_seeds or spec.seeds[profile]
        self.seed_base = seed_base
        self.device = device
        # The data split follows the seed base (base 0 keeps the split of seed 0), so a fresh base is a fresh draw
        # of seeds, data split and pilot choices alike.
        self.data_seed = seed_base
        self.data_dir = data_dir  # real MNIST/CIFAR-10 files for the full profile (None: offline stand-ins)
        self.workers = workers  # processes an arm's ensemble is split over (--ensemble-workers)
        self.decisions: list[dict[str, Any]] = []
        self.runs: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []
        self.notes: dict[str, Any] = {}
        self.modes: set[str] = set()
        self._t0 = time.perf_counter()
        self.nodeid = nodeid

    def seeds(self, role: str = "shared", n: int | None = None) -> list[RunSeeds]:
        """The derived seeds of this claim (arms sharing a role share init and data order)."""
        return [run_seeds(self.seed_base, self.id, rep, role) for rep in range(n or self.n_seeds)]

    def pilot_seeds(self, n: int = 2) -> list[RunSeeds]:
        """Seeds for design choices (learning-rate grids): never the evidence seeds."""
        return [run_seeds(self.seed_base, self.id, rep, "pilot") for rep in range(n)]

    def pick(self, quick: Any, full: Any) -> Any:
        """A size or budget that depends on the profile."""
        return full if self.profile == "full" else quick

    def on_device(self, split):
        """The split on the claim's device (--device): where its tensors live is where the runs train."""
        return split.to(self.device) if str(split.X_train.device) != str(self.device) else split

    def train(self, arms: Mapping[str, Any], split, fit_config, seeds: Sequence[RunSeeds] | None = None) -> dict[str, ArmRuns]:
        """Train every arm over the claim's seeds on the claim's device; record each run (per-seed facts, history)."""
        runs = train_arms(arms, self.on_device(split), fit_config, seeds or self.seeds(), workers=self.workers)
        for arm_runs in runs.values():
            self.record_runs(arm_runs)
        return runs

    def record_runs(self, arm_runs: ArmRuns) -> None:
        self.modes.add(arm_runs.mode)
        for rep, (s, r) in enumerate(zip(arm_runs.seeds, arm_runs.results, strict=True)):
            model_device = next((str(p.device) for p in r.model.parameters()), None) if r.model is not None else None
            self.runs.append({"arm": arm_runs.arm, "rep": rep, "seeds": s.as_dict(), "mode": arm_runs.mode,
                              "device": model_device,
                              "workers": arm_runs.workers,
                              "diverged": r.diverged, "epochs": len(r.history), "best_epoch": r.best_epoch,
                              "epochs_to_target": r.epochs_to_target, "train_time_s": r.train_time_s,
                              "ensemble_fallback": arm_runs.extra.get("ensemble_fallback")})
            for row in r.history.to_dict("records"):
                self.history.append({"arm": arm_runs.arm, "rep": rep, **row})

    def note(self, **items: Any) -> None:
        """Extra evidence shown with the claim (dead-unit counts, per-layer statistics...)."""
        self.notes.update(json_safe(items))

    def decide(self, a: Sequence, b: Sequence | None = None, *, label: str | None = None,
               arms: tuple[str, str] | None = None, sensitivity: str | None = None, **overrides: Any) -> stats.Decision:
        """Decide with the test the claim's kind prescribes (overrides allow a declared sub-comparison).

        sensitivity="why": a setup the claim did not choose (often the chapter's default, kept because it gave
        the other answer): decided and shown beside the verdict, never gating it.
        """
        opts = {"kind": self.spec.kind, "direction": self.spec.direction, "delta": self.spec.delta,
                "design": self.spec.design, "min_effect": self.spec.min_effect,
                "seed": derive_seed(self.seed_base, self.id, "stats", len(self.decisions))}
        unknown = set(overrides) - set(_OVERRIDES)
        if unknown:
            raise ValueError(f"decide() got unknown override(s) {sorted(unknown)}; allowed: {', '.join(_OVERRIDES)}")
        opts.update(overrides)
        if opts["kind"] == "timing" and opts["min_effect"] is None:
            raise ValueError(f"claim {self.id!r}: a timing decision needs min_effect (declare it on the Claim, or "
                             "override it for a timing sub-decision)")
        if sensitivity is not None and not str(sensitivity).strip():
            raise ValueError("decide(sensitivity=...) needs the reason this setup is a sensitivity check")
        decision = _DECIDERS[opts["kind"]](self, a, b, opts)
        names = arms or (self.spec.arms if len(self.spec.arms) == 2 else (*self.spec.arms, "B")[:2])
        values = {names[0]: list(a)} if b is None else {names[0]: list(a), names[1]: list(b)}
        self.decisions.append({"label": label or " vs ".join(values), "kind": opts["kind"],
                               "direction": opts["direction"], "delta": opts["delta"],
                               "min_effect": opts["min_effect"] if opts["kind"] == "timing" else None,
                               "role": "sensitivity" if sensitivity else "evidence", "sensitivity": sensitivity,
                               "values": json_safe(values), "decision": decision.to_dict()})
        return decision

    @property
    def gating(self) -> list[dict[str, Any]]:
        """The sub-decisions that set the verdict (sensitivity checks are shown, not counted)."""
        return [d for d in self.decisions if d.get("role") != "sensitivity"]

    @property
    def sensitivities(self) -> list[dict[str, Any]]:
        return [d for d in self.decisions if d.get("role") == "sensitivity"]

    @property
    def verdict(self) -> str | None:
        """All gating sub-decisions confirmed -> confirmed; any refuted -> refuted; else not reproduced."""
        verdicts = [d["decision"]["verdict"] for d in self.gating]
        if not verdicts:
            return None
        if all(v == stats.CONFIRMED for v in verdicts):
            return stats.CONFIRMED
        if any(v == stats.REFUTED for v in verdicts):
            return stats.REFUTED
        return stats.NOT_REPRODUCED

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
                    else "the chapter predicts: confirmed")
        lines = [f"claim {self.id!r}: verdict {self.verdict!r} at seed base {self.seed_base}, but {declared}"]
        for d in self.gating:
            dec = d["decision"]
            lines.append(f"  - {d['label']}: {dec['verdict']}" + (f" ({dec['reason']})" if dec.get("reason") else "")
                         + f", p {dec.get('p_value')}")
        return "\n".join(lines)

    def to_record(self) -> dict[str, Any]:
        ps = [d["decision"]["p_value"] for d in self.gating if isinstance(d["decision"].get("p_value"), float)]
        reasons = [d["decision"].get("reason") for d in self.gating if d["decision"].get("reason")]
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
            "history": self.history, "wall_s": time.perf_counter() - self._t0,
        })
