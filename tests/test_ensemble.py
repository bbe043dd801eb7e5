"""Unit tests of the batched ensemble: every member's FitResult equals its sequential `fit` run (bitwise on CPU),
unsupported experiments fall back to sequential training, and the harness records which mode ran.
Tiny nets on a 480-example slice of digits: the whole file runs in seconds on one thread.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
import torch
from torch import nn

from dnnkit import data as D
from dnnkit.nn.diagnostics import dead_units
from dnnkit.nn.models import MLP, MLPConfig, build_mlp
from dnnkit.nn.regularization import max_norm, penalty
from dnnkit.optim import schedules
from dnnkit.seeds import run_seeds
from dnnkit.train import ensemble as ENS
from dnnkit.train import experiment as E
from dnnkit.train.training import FitConfig, fit

REL_TOL = 1e-5  # the contract on any device; on CPU the runs are bitwise equal and that is asserted too


@pytest.fixture(scope="module")
def small(digits: D.Split) -> D.Split:
    return D.Split(digits.X_train[:480].clone(), digits.y_train[:480].clone(), digits.X_val.clone(),
                   digits.y_val.clone(), None, None, 10, "digits-small", "first 480 digits training rows")


@pytest.fixture(scope="module")
def blobs() -> D.Split:
    """20 features, 5 classes: small widths and odd batch sizes give the tiny GEMMs ATen treats specially."""
    return D.make_blobs_classification(400, 20, 5, seed=0)


def seeds(k: int = 3):
    return [run_seeds(0, "test_ensemble", r) for r in range(k)]


def net(**changes) -> MLPConfig:
    return MLPConfig(**{"n_inputs": 64, "n_outputs": 10, "depth": 2, "width": 32, "activation": "elu", **changes})


def sequential(config: MLPConfig, split, fc: FitConfig, run_seeds_):
    return [fit(build_mlp(config, generator=s.generator("init")), split, fc, s) for s in run_seeds_]


def assert_same_runs(seq, ens, exact: bool = True) -> None:
    """Same epochs, stopping facts and history (within REL_TOL, NaN where NaN), same weights (bitwise if exact)."""
    assert len(seq) == len(ens)
    for i, (a, b) in enumerate(zip(seq, ens, strict=True)):
        assert (len(a.history), a.best_epoch, a.diverged, a.epochs_to_target) == \
               (len(b.history), b.best_epoch, b.diverged, b.epochs_to_target), f"member {i}"
        assert list(a.history.columns) == list(b.history.columns)
        for col in a.history.columns.drop("train_time_s"):
            np.testing.assert_allclose(b.history[col].to_numpy(float), a.history[col].to_numpy(float), rtol=REL_TOL,
                                       atol=0, equal_nan=True, err_msg=f"member {i}, {col}")
        sa, sb = a.model.state_dict(), b.model.state_dict()
        assert sa.keys() == sb.keys()
        for key in sa:
            if exact:
                assert torch.equal(sa[key], sb[key]) or torch.equal(sa[key].isnan(), sb[key].isnan()) and \
                    torch.equal(sa[key].nan_to_num(), sb[key].nan_to_num()), f"member {i}, {key}"
            else:
                torch.testing.assert_close(sb[key], sa[key], rtol=REL_TOL, atol=1e-6, equal_nan=True)
        if exact:
            cols = a.history.columns.drop("train_time_s")
            assert a.history[cols].equals(b.history[cols]), f"member {i}: history not bitwise equal"


def check(config: MLPConfig, split, fc: FitConfig, k: int = 3):
    run_seeds_ = seeds(k)
    seq = sequential(config, split, fc, run_seeds_)
    rng_after_seq = torch.get_rng_state()
    torch.manual_seed(12345)  # the ensemble must not depend on, and must leave, the global generator as fit does
    ens = ENS.fit_ensemble(config, split, fc, run_seeds_)
    assert torch.equal(torch.get_rng_state(), rng_after_seq)
    assert_same_runs(seq, ens, exact=split.X_train.device.type == "cpu")
    return seq, ens


# ------------------------------------------------------------------------------------- equality with fit

@pytest.mark.parametrize("fc", [
    FitConfig(epochs=3, batch_size=32),
    FitConfig(epochs=3, batch_size=64, optimizer="sgd", lr=0.1),
    FitConfig(epochs=3, batch_size=50, optimizer="momentum", lr=0.05),
    FitConfig(epochs=3, batch_size=64, optimizer="nesterov", lr=0.05, clip_norm=0.5),
    FitConfig(epochs=3, batch_size=64, optimizer="rmsprop", lr=1e-3, clip_value=0.05),
    FitConfig(epochs=3, batch_size=64, optimizer="adamw", optimizer_params={"weight_decay": 0.05}),
    FitConfig(epochs=3, batch_size=64, optimizer="nadam", lr=2e-3, eval_train=True),
    FitConfig(epochs=3, batch_size=64, optimizer="adagrad", lr=0.02),
    FitConfig(epochs=3, batch_size=64, optimizer="adamax", lr=2e-3),
    FitConfig(epochs=3, batch_size=64, optimizer="sgd", lr=0.2, schedule=schedules.one_cycle(0.2, 3),
              schedule_per_step=True),
    FitConfig(epochs=3, batch_size=64, optimizer="sgd", lr=0.1, schedule=schedules.exponential(2)),
], ids=["adam", "sgd", "momentum", "nesterov+clip_norm", "rmsprop+clip_value", "adamw", "nadam+eval_train", "adagrad",
        "adamax", "1cycle-per-step", "exponential-per-epoch"])
def test_plain_elu_net_matches_sequential(small, fc):
    check(net(), small, fc)


@pytest.mark.parametrize("fc", [
    FitConfig(epochs=3, batch_size=64, penalty=penalty(l2=1e-3)),
    FitConfig(epochs=3, batch_size=64, penalty=penalty(l1=1e-3, l2=1e-4, layers="hidden")),
    FitConfig(epochs=3, batch_size=64, lr=1e-2, after_step=[max_norm(0.5, dim=0), max_norm(1.0, layers="hidden")]),
    FitConfig(epochs=3, batch_size=64, optimizer="ftrl", lr=0.05, optimizer_params={"l1": 1e-3}),
], ids=["l2", "l1+l2-hidden", "max-norm", "ftrl"])
def test_dnnkit_regularizers_and_ftrl_match_sequential(small, fc):
    check(net(width=50), small, fc)


def test_penalty_on_every_parameter_with_batch_norm(small):
    check(net(batch_norm="before"), small, FitConfig(epochs=2, batch_size=64, penalty=penalty(l1=1e-4, layers="all")))


def test_early_stopping_restores_each_members_best_weights(small):
    # Pilot: these seeds stop after 10, 7 and 19 epochs.
    seq, ens = check(net(), small, FitConfig(epochs=25, batch_size=64, lr=1e-2, patience=2))
    epochs = [len(r.history) for r in seq]
    assert len(set(epochs)) > 1 and max(epochs) < 25, f"members should stop at different epochs: {epochs}"
    assert all(r.best_epoch == len(r.history) - 2 for r in ens)


def test_early_stopping_without_restore(small):
    check(net(), small, FitConfig(epochs=25, batch_size=64, lr=1e-2, patience=2, restore_best=False))


def test_target_and_stop_at_target(small):
    seq, _ = check(net(), small, FitConfig(epochs=15, batch_size=64, lr=3e-3, target=("val_acc", 0.9),
                                           stop_at_target=True), k=4)
    assert all(math.isfinite(r.epochs_to_target) for r in seq)
    check(net(), small, FitConfig(epochs=4, batch_size=64, target=("train_acc", 0.95), eval_train=True))


def test_a_diverging_member_stops_and_the_others_are_unaffected(small):
    # Pilot: ELU + momentum at lr 0.8 diverges on 2 of these 4 seeds in the first epoch, not on the other 2.
    seq, ens = check(net(depth=3), small, FitConfig(epochs=4, batch_size=32, optimizer="momentum", lr=0.8), k=4)
    diverged = [r.diverged for r in ens]
    assert any(diverged) and not all(diverged), diverged
    assert all(math.isinf(r.metric("val_loss")) for r in ens if r.diverged)


@pytest.mark.parametrize("config", [
    net(batch_norm="before"),
    net(batch_norm="after", input_batch_norm=True, bn_momentum=0.1),
    net(dropout=0.3, input_dropout=0.1),
    net(activation="selu", weight_init="lecun_normal", dropout=0.2, alpha_dropout=True),
    net(activation="relu", weight_init="zeros"),
    net(width=1),
    net(width=1, batch_norm="after"),
    net(activation="gelu", width=50, depth=3),
    net(activation="mish", width=50, depth=3),
], ids=["bn-before", "bn-after+input", "dropout", "alpha-dropout", "zero-init", "width-1", "width-1-bn", "gelu-w50",
        "mish-w50"])
def test_layers_match_sequential(small, config):
    check(config, small, FitConfig(epochs=2, batch_size=29))


@pytest.mark.parametrize("width, batch_size, activation", [(7, 32, "tanh"), (1, 29, "relu"), (10, 7, "sigmoid"),
                                                             (16, 1, "leaky_relu"), (33, 100, "silu")])
def test_tiny_and_unaligned_products_match_sequential(blobs, width, batch_size, activation):
    config = MLPConfig(20, 5, depth=2, width=width, activation=activation)
    check(config, blobs, FitConfig(epochs=2, batch_size=batch_size, optimizer="momentum", lr=0.05))


# ------------------------------------------------------------------------------------- fused Adam and the plain step

FUSED = {"fused": True}


@pytest.mark.parametrize("config, fc, k", [
    (net(), FitConfig(epochs=3, batch_size=32, optimizer_params=FUSED), 3),
    (net(width=50, depth=3), FitConfig(epochs=2, batch_size=29, optimizer="adamw",
                                       optimizer_params={**FUSED, "amsgrad": True, "weight_decay": 0.05}), 4),
    (net(), FitConfig(epochs=2, batch_size=64, lr=3e-3, clip_norm=0.5, optimizer_params={**FUSED, "maximize": False,
                                                                                          "betas": (0.8, 0.99)}), 3),
    (net(), FitConfig(epochs=3, batch_size=64, optimizer_params=FUSED, schedule=schedules.one_cycle(0.01, 3),
                      schedule_per_step=True), 3),
    (net(), FitConfig(epochs=25, batch_size=64, lr=1e-2, patience=2, optimizer_params=FUSED), 3),  # members drop out
    (net(batch_norm="before", dropout=0.2), FitConfig(epochs=2, batch_size=50, optimizer_params=FUSED), 3),
    (net(), FitConfig(epochs=2, batch_size=64, penalty=penalty(l1=1e-4, l2=1e-3), optimizer_params=FUSED), 3),
    (MLPConfig(20, 5, depth=2, width=7, activation="tanh"), FitConfig(epochs=2, batch_size=7, optimizer_params=FUSED),
     3),
], ids=["adam", "adamw+amsgrad+tail-batch", "clip-norm+betas", "1cycle-per-step", "early-stopping", "bn+dropout",
        "penalty", "tiny-widths"])
def test_fused_adam_members_equal_their_fused_fits(small, blobs, config, fc, k):
    """optimizer_params={"fused": True}: each member bitwise equal to its own fit with the same fused kernel, where a
    member's tensors are passed per member (sizes off the kernel's vector width) or stacked (on it)."""
    check(config, blobs if config.n_inputs == 20 else small, fc, k=k)


def test_fused_adam_over_processes_changes_nothing(small):
    fc = FitConfig(epochs=2, batch_size=64, optimizer_params=FUSED)
    assert_same_runs(sequential(net(), small, fc, seeds(3)), ENS.fit_ensemble(net(), small, fc, seeds(3), workers=2))


def test_exact_false_is_the_fused_fit(small):
    """exact=False runs the fused kernel per member (torch's own fused Adam over the padded stacked tensors would
    update the wrong elements): each member equals its fit with optimizer_params={"fused": True}."""
    ens = ENS.fit_ensemble(net(), small, FitConfig(epochs=2, batch_size=32), seeds(3), exact=False)
    assert_same_runs(sequential(net(), small, FitConfig(epochs=2, batch_size=32, optimizer_params=FUSED), seeds(3)),
                     ens)


def test_fused_kernels_of_other_optimizers_fall_back(small):
    fc = FitConfig(epochs=1, optimizer="sgd", lr=0.1, optimizer_params=FUSED)
    assert "fused=True with optimizer 'sgd'" in ENS.unsupported_reason(net(), fc)
    assert E.train_arm("a", net(), small, fc, seeds(2)).mode == "sequential"


@pytest.mark.parametrize("config, plain", [
    (net(), True), (net(activation="relu"), True), (net(activation="tanh"), True), (net(activation="sigmoid"), True),
    (net(activation="leaky_relu"), True), (net(batch_norm="before"), False), (net(dropout=0.1), False),
    (net(input_dropout=0.1), False), (net(activation="selu"), False), (net(activation="gelu"), False),
    (net(activation="silu"), False), (net(activation="mish"), False)])
def test_the_plain_step_takes_linear_and_known_activations_only(config, plain):
    """The hand-written step (no autograd) runs only the layers whose backward it knows; the tests above check every
    one of them against fit (ELU with every optimizer, ReLU/tanh/sigmoid/leaky ReLU at odd widths and batches)."""
    assert (ENS.StackedMLP([build_mlp(config)]).plan is not None) is plain


# ------------------------------------------------------------------------------------- results and harness

def test_member_models_are_plain_mlps_for_diagnostics(small):
    results = ENS.fit_ensemble(net(activation="relu"), small, FitConfig(epochs=1, batch_size=64), seeds(2))
    for r in results:
        assert type(r.model) is MLP and not r.model.training
        assert all(p.is_contiguous() and p.grad is None for p in r.model.parameters())
        assert len(dead_units(r.model, small.X_train)) == 2


def test_train_arm_uses_the_ensemble_by_default_and_records_it(small):
    runs = E.train_arm("a", net(), small, FitConfig(epochs=2, batch_size=64), seeds())
    assert runs.mode == "ensemble" and runs.extra == {}
    forced = E.train_arm("a", net(), small, FitConfig(epochs=2, batch_size=64), seeds(), mode="sequential")
    assert forced.mode == "sequential"
    assert_same_runs(forced.results, runs.results)
    assert E.train_arm("a", net(), small, FitConfig(epochs=1), seeds(1)).mode == "sequential"  # nothing to batch


def test_train_mode_from_environment(small, monkeypatch):
    monkeypatch.setenv("DNNKIT_TRAIN_MODE", "sequential")
    assert E.train_arm("a", net(), small, FitConfig(epochs=1), seeds(2)).mode == "sequential"
    monkeypatch.setenv("DNNKIT_TRAIN_MODE", "batched")
    with pytest.raises(ValueError, match="'batched'.*allowed: auto, ensemble, sequential"):
        E.train_arm("a", net(), small, FitConfig(epochs=1), seeds(2))


def _l2(model: nn.Module) -> torch.Tensor:
    return 1e-4 * sum(p.pow(2).sum() for p in model.parameters())


@pytest.mark.parametrize("config, fc, why", [
    (net(), FitConfig(epochs=1, penalty=_l2), "penalty"),
    (net(), FitConfig(epochs=1, after_step=[lambda m: None]), "after_step"),
    (net(activation="prelu"), FitConfig(epochs=1), "prelu"),
    (net(activation="rrelu"), FitConfig(epochs=1), "rrelu"),
    (net(), FitConfig(epochs=1, schedule=schedules.performance()), "ReduceLROnPlateau"),
    (net(), FitConfig(epochs=1, param_groups=lambda m: [{"params": list(m.head.parameters())}]), "param_groups"),
])
def test_unsupported_experiments_fall_back_to_sequential(small, config, fc, why):
    runs = E.train_arm("a", config, small, fc, seeds(2))
    assert runs.mode == "sequential" and why in runs.extra["ensemble_fallback"]
    with pytest.raises(ValueError, match=f"cannot train as an ensemble: .*{why}"):
        E.train_arm("a", config, small, fc, seeds(2), mode="ensemble")


def test_checkpoints_fall_back(small, tmp_path):
    fc = FitConfig(epochs=1, checkpoint_dir=tmp_path)
    assert "checkpoints" in ENS.unsupported_reason(net(), fc)
    assert E.train_arm("a", net(), small, fc, seeds(2)).mode == "sequential"


def test_bad_input_is_a_clear_error(small):
    with pytest.raises(ValueError, match="at least one RunSeeds"):
        ENS.fit_ensemble(net(), small, FitConfig(epochs=1), [])
    with pytest.raises(ValueError, match="label"):
        ENS.fit_ensemble(net(n_outputs=5), small, FitConfig(epochs=1), seeds(2))
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        E.train_arm("a", net(), small, FitConfig(epochs=1, optimizer="lbfgs"), seeds(2))


def test_claim_fixture_records_the_mode(small):
    from dnnkit.pytest_plugin.fixture import ClaimRun

    spec = type("Spec", (), {"id": "x", "seeds": {"quick": 2}})()
    run = ClaimRun(spec, profile="quick", n_seeds=2, seed_base=0, device="cpu", nodeid="t")
    run.train({"a": net(), "b": net(activation="prelu")}, small, FitConfig(epochs=1))
    assert run.modes == {"ensemble", "sequential"}
    assert {r["arm"]: r["mode"] for r in run.runs} == {"a": "ensemble", "b": "sequential"}


def test_a_one_row_batch_through_batch_norm_fails_as_in_fit(small):
    # 481 rows at batch 32 leave a last batch of one row: fit refuses it, the ensemble must too (not record NaN).
    split = D.Split(torch.cat([small.X_train, small.X_train[:1]]), torch.cat([small.y_train, small.y_train[:1]]),
                    small.X_val, small.y_val, None, None, 10, "digits-481", "481 rows")
    config, fc = net(batch_norm="before"), FitConfig(epochs=1, batch_size=32)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        fit(build_mlp(config, generator=seeds(1)[0].generator("init")), split, fc, seeds(1)[0])
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        ENS.fit_ensemble(config, split, fc, seeds(2))


def test_subclassed_penalty_or_callback_falls_back(small):
    class Louder(type(penalty(l2=1e-3))):
        def __call__(self, model):
            return 2 * super().__call__(model)

    assert "penalty" in ENS.unsupported_reason(net(), FitConfig(epochs=1, penalty=Louder(l2=1e-3)))


# ------------------------------------------------------------------------------------- members over processes

@pytest.mark.parametrize("k, workers", [(3, 2), (4, 2), (3, 5)], ids=["3-over-2", "4-over-2", "more-workers-than-seeds"])
def test_workers_split_the_members_and_change_nothing(small, k, workers):
    fc = FitConfig(epochs=2, batch_size=64, patience=1, eval_train=True)
    torch.manual_seed(1)
    one = ENS.fit_ensemble(net(dropout=0.1), small, fc, seeds(k))
    rng_after_one = torch.get_rng_state()
    torch.manual_seed(2)
    split = ENS.fit_ensemble(net(dropout=0.1), small, fc, seeds(k), workers=workers)
    assert torch.equal(torch.get_rng_state(), rng_after_one)  # the last member trained here, as it does sequentially
    assert_same_runs(one, split)
    assert all(type(r.model) is MLP and not r.model.training for r in split)


def test_train_arm_records_the_workers(small):
    runs = E.train_arm("a", net(), small, FitConfig(epochs=1, batch_size=64), seeds(3), workers=2)
    assert (runs.mode, runs.workers) == ("ensemble", 2)
    assert E.train_arm("a", net(), small, FitConfig(epochs=1), seeds(1), workers=2).workers == 1  # sequential


def test_an_error_in_a_worker_process_is_raised_here(small, monkeypatch):
    parent, train_epoch = os.getpid(), ENS._train_epoch

    def fails_in_child(*args, **kwargs):
        if os.getpid() != parent:
            raise FloatingPointError("boom in the child")
        return train_epoch(*args, **kwargs)

    monkeypatch.setattr(ENS, "_train_epoch", fails_in_child)  # forked children inherit the patch
    with pytest.raises(FloatingPointError, match="boom in the child"):
        ENS.fit_ensemble(net(), small, FitConfig(epochs=1, batch_size=64), seeds(2), workers=2)


def test_a_worker_process_that_dies_is_a_clear_error(small, monkeypatch):
    parent, train_epoch = os.getpid(), ENS._train_epoch

    def dies_in_child(*args, **kwargs):
        if os.getpid() != parent:
            os._exit(3)
        return train_epoch(*args, **kwargs)

    monkeypatch.setattr(ENS, "_train_epoch", dies_in_child)
    with pytest.raises(RuntimeError, match=r"ensemble worker process \d+ ended \(exit code 3\)"):
        ENS.fit_ensemble(net(), small, FitConfig(epochs=1, batch_size=64), seeds(2), workers=2)


@pytest.mark.parametrize("workers", [0, -1, True, 2.0, "2", None])
def test_bad_workers_are_a_clear_error(small, workers):
    with pytest.raises(ValueError, match=f"workers={workers!r} is not allowed: it must be an int >= 1"):
        ENS.fit_ensemble(net(), small, FitConfig(epochs=1), seeds(2), workers=workers)
    with pytest.raises(ValueError, match="it must be an int >= 1"):
        E.train_arm("a", net(), small, FitConfig(epochs=1), seeds(2), workers=workers)


def test_workers_on_cuda_are_refused_before_anything_forks():
    with pytest.raises(ValueError, match="workers=2 forks processes.*on cuda use workers=1"):
        ENS.check_workers(2, "cuda")
    assert ENS.check_workers(1, "cuda") == 1


def test_workers_need_one_torch_thread(small):
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with pytest.raises(ValueError, match=r"workers=2 needs torch.set_num_threads\(1\) \(now 2\)"):
            ENS.fit_ensemble(net(), small, FitConfig(epochs=1), seeds(2), workers=2)
    finally:
        torch.set_num_threads(threads)
