"""Unit tests of the components behind coverage part C's sparsity, max-norm/early-stopping and guidelines claims:
gradual pruning, CSR inference, the softmax regression, the hand loop, the validation/test split, the random
search, the LR-finder 1cycle, int8 quantization and the low-latency fold."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from dnnkit.data import make_blobs_classification
from dnnkit.nn.low_latency import low_latency, quantize_int8
from dnnkit.nn.models import MLPConfig, build_mlp
from dnnkit.nn.regularization import max_norm, penalty
from dnnkit.nn.sparse_inference import CsrLinear, to_csr
from dnnkit.nn.sparsity import (
    GradualPruning,
    polynomial_sparsity,
    prune_smallest,
    softmax_regression,
    sparsity,
)
from dnnkit.seeds import run_seeds
from dnnkit.train.hand_loop import hand_loop
from dnnkit.train.holdout import split_validation
from dnnkit.train.random_search import Candidate, SearchSpace, found_one_cycle, random_search, sample_configs
from dnnkit.train.training import FitConfig, fit

CFG = MLPConfig(n_inputs=20, n_outputs=5, depth=2, width=16)


@pytest.fixture(scope="module")
def blobs():
    return make_blobs_classification(n_samples=400, n_features=20, n_classes=5, seed=0)


def net(seed: int = 0, config: MLPConfig = CFG) -> nn.Module:
    return build_mlp(config, generator=torch.Generator().manual_seed(seed))


# ------------------------------------------------------------------------------------------ gradual pruning

def test_polynomial_schedule_matches_tf_mot():
    assert polynomial_sparsity(0, 0.9, 10, 110) == 0.0
    assert polynomial_sparsity(10, 0.9, 10, 110) == 0.0
    assert polynomial_sparsity(60, 0.9, 10, 110) == pytest.approx(0.9 * (1 - 0.5 ** 3))
    assert polynomial_sparsity(110, 0.9, 10, 110) == pytest.approx(0.9)
    assert polynomial_sparsity(500, 0.9, 10, 110) == pytest.approx(0.9)


@pytest.mark.parametrize("kw", [{"final_sparsity": 1.5}, {"begin_step": 5, "end_step": 5}, {"every": 0}])
def test_gradual_pruning_rejects_bad_settings(kw):
    args = {"final_sparsity": 0.5, "begin_step": 0, "end_step": 10, **kw}
    with pytest.raises(ValueError):
        GradualPruning(**args)


def test_gradual_pruning_reaches_its_sparsity_and_keeps_pruned_weights_zero(blobs):
    pruner = GradualPruning(0.8, begin_step=2, end_step=20, every=3)
    result = fit(net(), blobs, FitConfig(epochs=4, batch_size=32, lr=1e-2, after_step=[pruner]))
    assert sparsity(result.model)["zero_fraction"] == pytest.approx(0.8, abs=1e-3)
    # Per-model state: a second model starts its own schedule from step 0.
    other = net(1)
    pruner(other)
    assert sparsity(other)["zero_fraction"] == 0.0


def test_gradual_pruning_masks_survive_optimizer_steps():
    model = net()
    pruner = GradualPruning(0.5, begin_step=0, end_step=1)
    pruner(model)  # step 1 = end: prune to 50%
    zeros = [w == 0 for w in (model.hidden[0][0].weight,)]
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)  # an optimizer step moves every weight
    pruner(model)
    assert bool((model.hidden[0][0].weight[zeros[0]] == 0).all())


# ------------------------------------------------------------------------------------------ CSR inference

def test_csr_twin_computes_the_dense_function():
    dense = prune_smallest(net(), 0.9).eval()
    twin = to_csr(dense)
    assert all(not isinstance(m, nn.Linear) for m in twin.modules())
    x = torch.randn(33, 20, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        # float32 sums in another order: within a few eps of the outputs' scale
        ref = dense(x)
        assert (twin(x) - ref).abs().max() <= 64 * torch.finfo(torch.float32).eps * ref.abs().max()
    linears = [m for m in twin.modules() if isinstance(m, CsrLinear)]
    assert sum(m.weight.values().numel() for m in linears) == round(
        (1 - sparsity(dense)["zero_fraction"]) * sparsity(dense)["n_weights"])


def test_csr_weights_are_buffers_that_to_and_state_dict_reach():
    dense = prune_smallest(net(), 0.9).eval()
    twin = to_csr(dense)
    x = torch.randn(33, 20, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        out = twin(x)
    state = twin.state_dict()
    linears = {name: m for name, m in twin.named_modules() if isinstance(m, CsrLinear)}
    assert set(state) == {f"{name}.{key}" for name in linears for key in ("weight", "bias")}
    originals = dict(dense.named_modules())
    for name in linears:  # the dense model's weights and biases, the weights in CSR
        assert state[f"{name}.weight"].layout == torch.sparse_csr
        assert torch.equal(state[f"{name}.weight"].to_dense(), originals[name].weight)
        assert torch.equal(state[f"{name}.bias"], originals[name].bias)
    twin.to(torch.float64)  # the same _apply path as .to(device)
    assert all(m.weight.dtype == m.bias.dtype == torch.float64 and m.weight.layout == torch.sparse_csr
               for m in linears.values())
    with torch.no_grad():
        assert torch.allclose(twin(x.double()), dense.double()(x.double()), rtol=0, atol=1e-12)
        assert torch.equal(twin.float()(x), out)  # float32 -> float64 -> float32 is exact
    assert "bias" not in CsrLinear(nn.Linear(3, 2, bias=False)).state_dict()


# ------------------------------------------------------------------------------------------ softmax regression

def test_softmax_regression_is_one_glorot_linear():
    model = softmax_regression(64, 10, torch.Generator().manual_seed(0))
    (layer,) = [m for m in model.modules() if isinstance(m, nn.Linear)]
    bound = math.sqrt(6 / 74)
    assert layer.weight.shape == (10, 64) and float(layer.weight.detach().abs().max()) <= bound
    assert float(layer.bias.detach().abs().max()) == 0.0


# ------------------------------------------------------------------------------------------ hand loop

@pytest.mark.parametrize("extra", [{"after_step": [max_norm(0.5)]}, {}])
def test_hand_loop_matches_fit_bitwise_without_penalty(blobs, extra):
    config = FitConfig(epochs=2, batch_size=32, lr=1e-2, **extra)
    seeds = run_seeds(0, "hand", 0)
    logged = fit(net(), blobs, config, seeds)
    hand_model = net()
    hand = hand_loop(hand_model, blobs, config, seeds)
    assert logged.history["train_loss"].tolist() == hand.cross_entropy == hand.objective
    assert all(torch.equal(a, b) for a, b in zip(logged.model.state_dict().values(),
                                                     hand_model.state_dict().values(), strict=True))


def test_hand_loop_separates_the_penalty_from_the_cross_entropy(blobs):
    config = FitConfig(epochs=2, batch_size=32, lr=1e-2, penalty=penalty(l2=1e-2))
    logged = fit(net(), blobs, config)
    hand = hand_loop(net(), blobs, config)
    assert logged.history["train_loss"].tolist() == hand.objective
    assert all(o > c for o, c in zip(hand.objective, hand.cross_entropy, strict=True))


def test_hand_loop_refuses_what_it_does_not_reproduce(blobs):
    with pytest.raises(ValueError, match="patience"):
        hand_loop(net(), blobs, FitConfig(epochs=2, patience=1))


# ------------------------------------------------------------------------------------------ holdout

def test_split_validation_divides_the_validation_rows(blobs):
    halved = split_validation(blobs, 0.5, seed=1)
    assert len(halved.X_val) + len(halved.X_test) == len(blobs.X_val)
    rows = torch.cat([halved.X_val, halved.X_test])
    assert sorted(map(tuple, rows.tolist())) == sorted(map(tuple, blobs.X_val.tolist()))
    assert torch.equal(halved.X_test, split_validation(blobs, 0.5, seed=1).X_test)
    with pytest.raises(ValueError, match="already has a test set"):
        split_validation(halved)
    with pytest.raises(ValueError, match="test_fraction"):
        split_validation(blobs, 1.0)


# ------------------------------------------------------------------------------------------ random search

SPACE = SearchSpace(activations=("relu", "selu"), optimizers=("sgd", "adam"), lr_low=1e-3, lr_high=1e-1,
                    batch_norm=(None, "before"), dropout=(0.0, 0.2))


def test_sample_configs_is_seeded_and_stays_in_the_space():
    a = sample_configs(SPACE, CFG, FitConfig(epochs=2), 10, seed=5)
    b = sample_configs(SPACE, CFG, FitConfig(epochs=2), 10, seed=5)
    assert [c.name for c in a] == [c.name for c in b]
    for c in a:
        assert c.net.activation in SPACE.activations and c.fit.optimizer in SPACE.optimizers
        assert 1e-3 <= c.fit.lr <= 1e-1 and c.net.batch_norm in (None, "before")
        assert c.net.weight_init == ("lecun_normal" if c.net.activation == "selu" else "he_normal")
        assert (c.net.depth, c.fit.epochs) == (CFG.depth, 2)


_GOOD_SPACE = dict(activations=("relu",), optimizers=("sgd",), lr_low=1e-3, lr_high=1e-1, batch_norm=(None,),
                   dropout=(0.0,))


@pytest.mark.parametrize("field, value, match", [
    ("activations", ("relu", "swishy"), r"SearchSpace\.activations \['swishy'\]; allowed: .*relu"),
    ("activations", (), r"SearchSpace\.activations is empty"),
    ("optimizers", ("adam", "sgdd"), r"SearchSpace\.optimizers: unknown optimizer 'sgdd'; allowed: .*adam"),
    ("optimizers", (None,), r"SearchSpace\.optimizers: unknown optimizer None"),
    ("batch_norm", (None, "sideways"), r"SearchSpace\.batch_norm \['sideways'\]; allowed: None, 'before', 'after'"),
    ("dropout", (0.0, 1.5), r"SearchSpace\.dropout \[1\.5\]; allowed: rates in \[0, 1\)"),
    ("dropout", (-0.1,), r"SearchSpace\.dropout \[-0\.1\]"),
    ("dropout", (1.0,), r"SearchSpace\.dropout \[1\.0\]"),
    ("dropout", (True,), r"SearchSpace\.dropout \[True\]"),
    ("dropout", ("0.2",), r"SearchSpace\.dropout \['0\.2'\]"),
    ("lr_low", 1.0, r"lr_low=1\.0, lr_high=0\.1; allowed: 0 < lr_low < lr_high < inf"),
    ("lr_low", 0.0, r"lr_low=0\.0"),
    ("lr_high", math.inf, r"lr_high=inf"),
    ("lr_low", "1e-3", r"lr_low='1e-3'"),
])
def test_search_space_refuses_bad_values(field, value, match):
    with pytest.raises(ValueError, match=match):
        SearchSpace(**{**_GOOD_SPACE, field: value})


def test_search_space_accepts_every_allowed_value():
    allowed = dict(optimizers=("sgd", "momentum", "adam"), batch_norm=(None, "before", "after"), dropout=(0, 0.0, 0.999))
    space = SearchSpace(**{**_GOOD_SPACE, **allowed})
    assert {k: getattr(space, k) for k in allowed} == allowed


@pytest.mark.parametrize("n", [0, -1, True, 2.0, "3"])
def test_sample_configs_refuses_bad_n(n):
    with pytest.raises(ValueError, match=r"n=.*allowed: an int >= 1 \(not a bool\)"):
        sample_configs(SPACE, CFG, FitConfig(epochs=2), n, seed=0)


def test_random_search_picks_the_best_candidate(blobs):
    good = Candidate("good", CFG, FitConfig(epochs=3, lr=1e-2))
    bad = Candidate("bad", CFG, FitConfig(epochs=3, optimizer="sgd", lr=1e-6))
    best, table = random_search([bad, good], blobs, [run_seeds(0, "search", i) for i in range(2)])
    assert best is good and [row["name"] for row in table] == ["bad", "good"]


def test_found_one_cycle_sets_a_per_step_schedule(blobs):
    fc, lr = found_one_cycle(CFG, blobs, FitConfig(epochs=2, optimizer="momentum"), run_seeds(0, "f", 0), steps=30)
    assert 1e-6 <= lr <= 10 and fc.schedule is not None and fc.schedule_per_step
    assert not fit(net(), blobs, fc).diverged


# ------------------------------------------------------------------------------------------ low latency

def test_quantize_int8_keeps_predictions_close_and_leaves_the_original():
    model = net().eval()
    q = quantize_int8(model)
    assert any(isinstance(m, nn.Linear) for m in model.modules())
    x = torch.randn(64, 20, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref, out = model(x), q(x)
    assert not torch.equal(ref, out)
    assert float((ref - out).abs().max()) < 0.05 * float(ref.abs().max())


def test_low_latency_folds_batch_norm():
    model = build_mlp(CFG.replace(batch_norm="before", activation="leaky_relu"),
                      generator=torch.Generator().manual_seed(0)).eval()
    folded = low_latency(model)
    assert not any(isinstance(m, nn.BatchNorm1d) for m in folded.modules())
    x = torch.randn(16, 20, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.allclose(folded(x), model(x), atol=1e-5)
