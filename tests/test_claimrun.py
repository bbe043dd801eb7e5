"""The run context (dnnkit.claimrun): one decision table by kind, seeds, and the `claim` helpers a test uses instead
of hand-written training, timing and recording (train_models, per-arm splits, time with grad, record)."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from dnnkit.data import Split, make_blobs_classification
from dnnkit.evidence import stats
from dnnkit.evidence.claimrun import ClaimRun, RunContext, decide_kind
from dnnkit.evidence.claims import Claim
from dnnkit.evidence.devices import resolve_device
from dnnkit.evidence.provenance import json_safe
from dnnkit.evidence.timing import interleaved_rounds
from dnnkit.nn.models import MLPConfig, build_mlp
from dnnkit.pytest_plugin.storage import runs_frame
from dnnkit.seeds import run_seeds
from dnnkit.train.experiment import ArmRuns, epoch_ratios, replace_fit, select_lr, train_arm
from dnnkit.train.training import FitConfig, fit

NET = MLPConfig(n_inputs=4, n_outputs=2, depth=1, width=8)
FIT = FitConfig(epochs=2, batch_size=16)
SPEC = Claim(id="claimrun-test", section="tests", sentence="A beats B.", source="tests", kind="directional",
             metric="validation accuracy", direction="greater", arms=("a", "b"), delta=0.0,
             seeds={"quick": 2, "full": 3})
HIGH, LOW = [0.9, 0.91, 0.92, 0.93], [0.5, 0.51, 0.52, 0.53]


@pytest.fixture(scope="module")
def blobs() -> Split:
    return make_blobs_classification(80, 4, 2, seed=0)


def claim_run(**kw) -> ClaimRun:
    return ClaimRun(SPEC, **{"profile": "quick", "n_seeds": None, "seed_base": 0, "device": "cpu", "nodeid": "t",
                             **kw})


def same_weights(m1: torch.nn.Module, m2: torch.nn.Module) -> bool:
    return all(torch.equal(p, q) for p, q in zip(m1.state_dict().values(), m2.state_dict().values(), strict=True))


# ------------------------------------------------------------------------------------------ one run context


def test_claimrun_is_free_of_pytest_and_the_fixture_module_reexports_it():
    from dnnkit.pytest_plugin import fixture

    assert fixture.ClaimRun is ClaimRun and issubclass(ClaimRun, RunContext)
    code = "import sys, dnnkit.evidence.claimrun, dnnkit.studies.exercises.common; assert 'pytest' not in sys.modules, 'pytest'"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(("kind", "a", "b", "opts", "expected"), [
    ("directional", HIGH, LOW, {"direction": "greater", "delta": 0.0},
     lambda: stats.decide_directional(HIGH, LOW, direction="greater", delta=0.0, seed=5)),
    ("paired", HIGH, LOW, {"direction": "greater", "delta": 0.0},
     lambda: stats.decide_paired(HIGH, LOW, direction="greater", delta=0.0, seed=5)),
    ("time_to_target", [2, 3, 3, 4], [6, 7, 9, float("inf")], {"direction": "less", "delta": 1.0},
     lambda: stats.decide_time_to_target([2, 3, 3, 4], [6, 7, 9, float("inf")], direction="less", delta=1.0,
                                         seed=5)),
    ("equivalence", HIGH, HIGH, {"direction": "equivalent", "delta": 0.05, "design": "paired"},
     lambda: stats.decide_equivalence(HIGH, HIGH, delta=0.05, paired=True)),
    ("exact", [True, True], None, {"direction": "holds"}, lambda: stats.decide_exact([True, True])),
    ("timing", [2.0] * 6, [1.0] * 6, {"direction": "slower", "min_effect": 0.2},
     lambda: stats.decide_timing([2.0] * 6, [1.0] * 6, direction="slower", margin=0.2, min_effect=0.2)),
    ("timing", [1.0] * 6, [1.0] * 6, {"direction": "equal", "min_effect": 0.2},
     lambda: stats.decide_timing([1.0] * 6, [1.0] * 6, direction="equal", margin=0.2, min_effect=0.0)),
    ("timing", [2.0] * 6, [1.0] * 6, {"direction": "slower", "min_effect": 0.0, "margin": 0.1},  # the exercises'
     lambda: stats.decide_timing([2.0] * 6, [1.0] * 6, direction="slower", margin=0.1)),
])
def test_decide_kind_is_the_stats_test_of_each_kind(kind, a, b, opts, expected):
    assert decide_kind(a, b, kind=kind, seed=5, **opts).to_dict() == expected().to_dict()


def test_decide_kind_refuses_what_it_cannot_decide():
    with pytest.raises(ValueError, match="unknown decision kind 'bayes'; allowed: directional, paired"):
        decide_kind(HIGH, LOW, kind="bayes", direction="greater")
    with pytest.raises(ValueError, match="timing decision needs min_effect"):
        decide_kind(HIGH, LOW, kind="timing", direction="slower")


def test_stats_seed_is_fixed_for_the_exercises_and_derived_for_claims():
    a, b = [1, 2, 2, 3], [2, 3, 3, 4]  # ties: the permutation test, which uses the seed
    fixed = RunContext("x", n_seeds=2, stats_seed=0)
    fixed.decide(a, b, kind="directional", direction="less", delta=0.0, arms=("A", "B"))
    fixed_dec = stats.decide_directional(a, b, direction="less", delta=0.0, seed=0)
    assert fixed.decisions[0]["decision"] == fixed_dec.to_dict()
    assert fixed.decisions[0]["values"] == {"A": a, "B": b} and fixed.verdict == fixed_dec.verdict
    run = claim_run()
    run.decide(HIGH, LOW, direction="greater")
    run.decide(HIGH, LOW)
    assert run.decisions[0]["label"] == "a vs b" and run.verdict == stats.CONFIRMED
    with pytest.raises(ValueError, match=r"unknown override\(s\) \['alpha'\]"):
        run.decide(HIGH, LOW, alpha=0.1)


def test_seeds_roles_and_pilot_purposes():
    ctx = RunContext("recipe", n_seeds=3, seed_base=4, role="evidence")
    assert ctx.seeds() == [run_seeds(4, "recipe", i, "evidence") for i in range(3)]
    assert ctx.seeds("other", n=1) == [run_seeds(4, "recipe", 0, "other")]
    assert ctx.pilot_seeds(1, purpose="cv") == [run_seeds(4, "recipe", 0, "pilot:cv")]
    assert claim_run().pilot_seeds() == [run_seeds(0, SPEC.id, i, "pilot") for i in range(2)]
    assert claim_run().seeds() == [run_seeds(0, SPEC.id, i, "shared") for i in range(2)]
    assert claim_run(profile="full").n_seeds == 3 and claim_run(n_seeds=5).n_seeds == 5


@pytest.mark.parametrize("call, message", [
    (lambda run: run.seeds(n=0), r"seeds\(n=0\): n must be an int >= 1"),
    (lambda run: run.pilot_seeds(0), r"pilot_seeds\(n=0\): n must be an int >= 1"),
    (lambda run: run.pilot_seeds(True), r"pilot_seeds\(n=True\)"),
    (lambda run: run.train({"a": NET}, None, FIT, seeds=[]), r"train\(seeds=\[\]\): give at least one RunSeeds"),
    (lambda run: run.train_models({"a": lambda s: build_mlp(NET)}, None, FIT, seeds=[]),
     r"train_models\(seeds=\[\]\)"),
])
def test_no_seeds_is_an_error_not_the_default(call, message):
    with pytest.raises(ValueError, match=message):
        call(claim_run())


def test_runs_on_pilot_seeds_are_recorded_as_pilots(blobs):
    """A design run trained through `train` on pilot seeds keeps its arm's name out of the evidence rows."""
    run = claim_run()
    run.train({"a": NET}, blobs, FIT, seeds=run.pilot_seeds(2, "grid"))
    run.train({"a": NET}, blobs, FIT)
    assert [(r["arm"], r["rep"]) for r in run.runs] == [("pilot: a", 0), ("pilot: a", 1), ("a", 0), ("a", 1)]
    assert {h["arm"] for h in run.history} == {"pilot: a", "a"}
    # Evidence seeds passed explicitly are evidence runs.
    run.train({"b": NET}, blobs, FIT, seeds=run.seeds())
    assert run.runs[-1]["arm"] == "b"


def test_exercise_options_give_the_exercises_their_run_context(tmp_path):
    from dnnkit.studies.exercises.common import Options, Report

    options = Options(seeds=3, seed_base=2, device="cpu", out_dir=tmp_path)
    ctx = options.run_context("mnist-0-4")
    # the seeds the exercises were always run on: (base, recipe, i, "evidence"), pilots "pilot:<purpose>"
    assert ctx.seeds() == [run_seeds(2, "mnist-0-4", i, role="evidence") for i in range(3)]
    assert ctx.pilot_seeds(1, purpose="lr") == [run_seeds(2, "mnist-0-4", 0, role="pilot:lr")]
    assert ctx.device == "cpu" and ctx.stats_seed == 0
    report = Report("demo", "demo", options, "data")
    report.decide("A faster?", a="A", b="B", values_a=[1.0] * 5, values_b=[2.0] * 5, test="timing",
                  direction="faster", delta=0.1, metric="s")
    expected = stats.decide_timing([1.0] * 5, [2.0] * 5, direction="faster", margin=0.1)
    assert report.verdicts[0]["decision"] == expected.to_dict() and report.run.decisions[0]["label"] == "A faster?"
    with pytest.raises(ValueError, match="unknown test 'exact'; allowed: directional, paired, time_to_target, timing"):
        report.decide("q", a="A", b="B", values_a=[1.0], values_b=[1.0], test="exact", direction="holds", delta=0,
                      metric="m")


def test_resolve_device(monkeypatch):
    assert resolve_device("cpu") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    for choice in ("cuda", "cuda:1"):
        with pytest.raises(ValueError, match=f"--device {choice} was asked for"):
            resolve_device(choice)
    with pytest.raises(ValueError, match="device 'tpu' is not allowed; allowed: auto, cpu, cuda or cuda:N"):
        resolve_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda" and resolve_device("cuda:1") == "cuda:1"


# ------------------------------------------------------------------------------------------ claim helpers


def test_train_models_trains_a_model_altered_after_it_was_built(blobs):
    built = []

    def halved(seeds):
        model = build_mlp(NET, generator=seeds.generator("init"))
        with torch.no_grad():
            model.head.weight.mul_(0.5)  # an edit after construction: not expressible as an MLPConfig
        built.append(seeds)
        return model

    run = claim_run()
    runs = run.train_models({"a": halved}, blobs, FIT)
    assert built == run.seeds() and isinstance(runs["a"], ArmRuns) and runs["a"].config == NET
    # each run is exactly fit() of the altered model on its seeds
    by_hand = fit(halved(run.seeds()[0]), blobs, FIT, run.seeds()[0])
    assert same_weights(runs["a"].results[0].model, by_hand.model)
    plain = fit(build_mlp(NET, generator=run.seeds()[0].generator("init")), blobs, FIT, run.seeds()[0])
    assert not same_weights(runs["a"].results[0].model, plain.model)
    # recorded like claim.train's runs: one row per seed, the history per epoch, in runs.csv
    assert [(r["arm"], r["rep"], r["mode"], r["epochs"]) for r in run.runs] == [("a", 0, "sequential", 2),
                                                                                 ("a", 1, "sequential", 2)]
    frame = runs_frame([run.to_record()])
    assert len(frame) == 4 and set(frame["arm"]) == {"a"}
    assert list(frame["seed_init"]) == [s.init for s in run.seeds() for _ in range(2)]


def test_train_models_moves_the_built_model_to_the_splits_device(blobs, monkeypatch):
    moved = []
    real_to = torch.nn.Module.to

    def spy(self, *args, **kw):
        moved.append(args[0] if args else kw.get("device"))
        return real_to(self, *args, **kw)

    run = claim_run(n_seeds=2)
    built = {s: build_mlp(NET, generator=s.generator("init")) for s in run.seeds()}
    monkeypatch.setattr(torch.nn.Module, "to", spy)
    run.train_models({"a": built.__getitem__}, blobs, FitConfig(epochs=1))
    assert [str(d) for d in moved] == ["cpu", "cpu"]  # the split's device, once per built model


def test_train_takes_a_split_per_arm(blobs):
    other = make_blobs_classification(60, 4, 2, seed=1)
    run = claim_run()
    runs = run.train({"a": NET, "b": NET}, {"a": blobs, "b": other}, FIT)
    for arm, split in (("a", blobs), ("b", other)):
        alone = train_arm(arm, NET, split, FIT, run.seeds())
        assert all(same_weights(r.model, s.model) for r, s in zip(runs[arm].results, alone.results, strict=True))
    assert not same_weights(runs["a"].results[0].model, runs["b"].results[0].model)
    assert {r["arm"] for r in run.runs} == {"a", "b"}
    with pytest.raises(ValueError, match="split is given per arm but has no entry for arm 'b'"):
        run.train({"a": NET, "b": NET}, {"a": blobs}, FIT)
    with pytest.raises(ValueError, match="fit_config is given per arm but has no entry for arm 'a'"):
        run.train_models({"a": lambda s: build_mlp(NET)}, blobs, {"b": FIT})


def test_train_at_own_rates_chooses_each_arms_rate_on_pilot_seeds_and_notes_it(blobs):
    run = claim_run()
    grids = {"a": (1e-4, 0.5), "b": (0.5,)}
    runs = run.train_at_own_rates({"a": NET, "b": NET}, blobs, FIT, grids)
    for arm, grid in grids.items():
        lr, table = select_lr(NET, blobs, FIT, grid, run.pilot_seeds())
        assert run.notes[f"{arm} lr"] == lr and run.notes[f"{arm} lr grid"] == json_safe(table)
        alone = train_arm(arm, NET, blobs, replace_fit(FIT, lr=lr), run.seeds())
        assert all(same_weights(r.model, s.model) for r, s in zip(runs[arm].results, alone.results, strict=True))
    assert not set(s.init for s in run.pilot_seeds()) & set(s.init for s in run.seeds())
    with pytest.raises(ValueError, match="grid is given per arm but has no entry for arm 'b'"):
        run.train_at_own_rates({"b": NET}, blobs, FIT, {"a": (0.1,)})


def test_epoch_ratios_is_a_per_seed_slowdown_with_censored_runs():
    assert epoch_ratios([6.0, math.inf, math.inf, 3.0], [2.0, 4.0, math.inf, math.inf]) == [3.0, math.inf, 1.0, 1.0]
    with pytest.raises(ValueError, match="pairs seeds: got 2 and 1"):
        epoch_ratios([1.0, 2.0], [1.0])


def test_a_split_shared_by_arms_moves_to_the_device_once(blobs, monkeypatch):
    moves = []

    def fake_to(self, device):
        moves.append(str(device))
        return self

    monkeypatch.setattr(Split, "to", fake_to)
    run = claim_run(device="cuda")  # no GPU needed: the move is faked
    run.train({"a": NET, "b": NET}, blobs, FitConfig(epochs=1))
    assert moves == ["cuda"]
    run.train({"a": NET, "b": NET, "c": NET}, {"a": blobs, "b": blobs, "c": blobs}, FitConfig(epochs=1))
    assert moves == ["cuda", "cuda"]


def test_time_runs_whole_training_steps_with_grad_and_records_the_rounds(blobs):
    model = build_mlp(NET, generator=torch.Generator().manual_seed(0))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    X, y = blobs.X_train[:16], blobs.y_train[:16]

    def step():
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(X), y).backward()
        optimizer.step()

    with pytest.raises(RuntimeError, match="does not require grad"):
        interleaved_rounds({"step": step}, rounds=2, inner=1, warmup=0)  # the default stays no_grad
    run = claim_run()
    before = model.head.weight.detach().clone()
    times = run.time({"step": step, "forward": lambda: model(X)}, rounds=3, inner=1, warmup=1, grad=True,
                     label="train step")
    assert set(times) == {"step", "forward"} and all(len(t) == 3 and min(t) > 0 for t in times.values())
    assert not torch.equal(before, model.head.weight)  # the steps really trained
    assert run.to_record()["timings"] == {"train step": times}
    with pytest.raises(ValueError, match="'train step' was already recorded"):
        run.time({"step": step}, rounds=2, inner=1, grad=True, label="train step")
    with pytest.raises(ValueError, match="grad must be True"):
        interleaved_rounds({"step": step}, rounds=2, grad="yes")
    assert "timings" not in claim_run().to_record()  # a record without timings keeps its old keys


def test_time_takes_the_claims_own_clock_and_records_its_rounds():
    """A claim that times with its own clock (bn-folding's wall-clock sensitivity) still records through claim.time:
    a fake clock ticking 1 per read gives (2 reads apart) / inner = 0.5 s per call in every round."""
    ticks = itertools.count()
    run = claim_run()
    out = run.time({"a": lambda: None, "b": lambda: None}, rounds=3, warmup=0, inner=2,
                   timer=lambda: float(next(ticks)), label="fake clock")
    assert out == {"a": [0.5] * 3, "b": [0.5] * 3} and run.timings["fake clock"] == out


def test_record_takes_fit_results_or_arm_runs(blobs):
    run = claim_run()
    seeds = run.seeds()
    results = [fit(build_mlp(NET, generator=s.generator("init")), blobs, FIT, s) for s in seeds]
    recorded = run.record("by hand", seeds, results)
    assert recorded.values("val_acc") == [r.metric("val_acc") for r in results] and recorded.config == NET
    again = run.record(ArmRuns("as ArmRuns", NET, FIT, seeds, results))
    assert again.arm == "as ArmRuns"
    frame = runs_frame([run.to_record()])
    assert list(frame.groupby("arm", sort=False).size().items()) == [("by hand", 4), ("as ArmRuns", 4)]
    assert run.to_record()["mode"] == "sequential"
    with pytest.raises(ValueError, match="needs one FitResult per seed, got 2 seeds and 1 results"):
        run.record("x", seeds, results[:1])
    with pytest.raises(ValueError, match="takes FitResults .* got Linear, Linear"):
        run.record("x", seeds, [torch.nn.Linear(1, 1)] * 2)
    with pytest.raises(ValueError, match="takes no seeds or results"):
        run.record(again, seeds)
