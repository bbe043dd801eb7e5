"""Unit tests of the activation components the chapter's later claims use: Mish and the sigmoid form of GELU in the
registry, the init each activation is matched with, Keras's defaults, latency candidates and exact-zero shares."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dnnkit import data as D
from dnnkit.nn import activations as A
from dnnkit.nn.activation_latency import latency_candidates
from dnnkit.nn.exact_zeros import exact_zero_share, exact_zero_shares
from dnnkit.nn.models import MLPConfig, build_mlp


def test_mish_is_z_tanh_softplus_z():
    z = torch.linspace(-20, 20, 4001, dtype=torch.float64)
    assert torch.equal(A.make_activation("mish")(z), F.mish(z))
    assert (A.make_activation("mish")(z) - z * torch.tanh(F.softplus(z))).abs().max().item() < 1e-12


def test_gelu_sigmoid_is_z_sigmoid_1_702_z_and_close_to_gelu():
    z = torch.linspace(-10, 10, 200001, dtype=torch.float64)
    approx = A.make_activation("gelu_sigmoid")(z)
    assert torch.equal(approx, z * torch.sigmoid(1.702 * z))
    # Hand-computed at z = 1: 1 / (1 + e^-1.702) = 0.84585...
    assert approx[110000].item() == pytest.approx(1 / (1 + math.exp(-1.702)), abs=1e-12)
    err = (approx - F.gelu(z)).abs().max().item()
    assert 0.02 < err < 0.021  # the known worst case, near z = -2.27


@pytest.mark.parametrize("name, init", [("relu", "he_normal"), ("gelu", "he_normal"), ("silu", "he_normal"),
                                        ("mish", "he_normal"), ("elu", "he_normal"), ("selu", "lecun_normal"),
                                        ("tanh", "glorot_normal"), ("sigmoid", "glorot_normal")])
def test_matched_init_follows_the_chapter(name, init):
    assert A.matched_init(name) == init


def test_every_registered_activation_has_a_matched_init():
    assert set(A.MATCHED_INIT) == set(A.ACTIVATIONS)
    with pytest.raises(ValueError, match=r"unknown activation 'swish'"):
        A.matched_init("swish")


def test_keras_defaults_differ_from_pytorch_and_the_registry_where_they_should():
    assert A.keras_params("leaky_relu") == {"alpha": 0.3}
    assert A.make_activation("leaky_relu", **A.keras_params("leaky_relu")).negative_slope == 0.3
    assert nn.LeakyReLU().negative_slope == 0.01  # PyTorch's default, the one the chapter's numbers do not use
    assert A.keras_params("elu") == {}  # the registry's alpha 1 is Keras's
    assert A.keras_params("relu") == {}
    with pytest.raises(ValueError, match=r"unknown activation"):
        A.keras_params("nope")


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_latency_candidates_share_weights_and_inputs_and_differ_only_in_activation():
    net = MLPConfig(n_inputs=8, n_outputs=3, depth=2, width=16)
    c = latency_candidates(("relu", "leaky_relu"), net, log2_elements=10, batch=32, data=_gen(1), init=lambda: _gen(2))
    assert set(c.kernel) == set(c.forward) == {"relu", "leaky_relu"}
    x = c.kernel["relu"].args[0]
    assert x.shape == (1024,) and torch.equal(c.kernel["relu"](), torch.relu(x))
    relu_net, leaky_net = (c.forward[n].func for n in ("relu", "leaky_relu"))
    assert not relu_net.training
    assert all(torch.equal(a, b) for a, b in zip(relu_net.state_dict().values(), leaky_net.state_dict().values(),
                                                 strict=True))
    # Same weights, same inputs: the outputs differ only through the negative pre-activations.
    assert not torch.equal(c.forward["relu"](), c.forward["leaky_relu"]())


def test_latency_candidates_without_a_net_time_kernels_only():
    c = latency_candidates(("gelu", "gelu_sigmoid"), None, log2_elements=4, data=_gen(), init=_gen)
    assert c.forward == {} and c.kernel["gelu"]().shape == (16,)


@pytest.mark.parametrize("kw, match", [
    ({"activations": ()}, r"give one or more distinct"),
    ({"activations": ("relu", "relu")}, r"give one or more distinct"),
    ({"activations": ("swish",)}, r"unknown activation 'swish'"),
    ({"log2_elements": 0}, r"log2_elements=0; allowed: an int in 1..30"),
    ({"log2_elements": True}, r"log2_elements=True"),
    ({"batch": None}, r"batch=None; allowed: an int in 1..1048576"),
])
def test_latency_candidates_bad_input(kw, match):
    args = {"activations": ("relu",), "log2_elements": 4, "batch": 8, **kw}
    with pytest.raises(ValueError, match=match):
        latency_candidates(args.pop("activations"), MLPConfig(n_inputs=4, n_outputs=2), data=_gen(), init=_gen,
                           **args)


def test_exact_zero_shares_count_exact_zeros_per_layer():
    model = build_mlp(MLPConfig(n_inputs=4, n_outputs=2, depth=2, width=3, activation="relu"), generator=_gen())
    with torch.no_grad():
        for lin in model.hidden:
            lin[0].weight.zero_()
            lin[0].bias.copy_(torch.tensor([-1.0, 0.0, 1.0]))  # unit 0 negative, unit 1 exactly 0, unit 2 positive
    model.train()
    shares = exact_zero_shares(model, torch.randn(5, 4, generator=_gen(3)))
    assert shares == pytest.approx([2 / 3, 2 / 3]) and model.training  # mode restored
    assert exact_zero_share(model, torch.randn(5, 4, generator=_gen(3))) == pytest.approx(2 / 3)


def test_exact_zero_share_of_elu_is_zero_even_for_very_negative_inputs():
    model = build_mlp(MLPConfig(n_inputs=4, n_outputs=2, depth=1, width=3, activation="elu"), generator=_gen())
    with torch.no_grad():
        model.hidden[0][0].weight.zero_()
        model.hidden[0][0].bias.fill_(-200.0)  # ELU -> -1, never 0
    assert exact_zero_share(model, torch.randn(5, 4)) == 0.0


def test_exact_zero_shares_refuse_models_without_hidden_outputs():
    with pytest.raises(ValueError, match=r"needs a model with hidden_outputs .*got Linear"):
        exact_zero_shares(nn.Linear(3, 2), torch.zeros(1, 3))


# ------------------------------------------------------------------------------------------ skip connections


def test_residual_outputs_add_the_skip_every_k_blocks_with_the_same_weights():
    from dnnkit.nn.residual import residual_hidden_outputs

    model = build_mlp(MLPConfig(n_inputs=4, n_outputs=2, depth=5, width=3, activation="relu"), generator=_gen())
    X = torch.randn(6, 4, generator=_gen(1))
    plain = model.hidden_outputs(X)
    res = residual_hidden_outputs(model, X, every=2)
    h = model.hidden
    # By hand: x0 = b0(X); x1 = b1(x0); x2 = b2(x1) + x0; x3 = b3(x2); x4 = b4(x3) + x2.
    x0 = h[0](X)
    x1 = h[1](x0)
    x2 = h[2](x1) + x0
    x3 = h[3](x2)
    x4 = h[4](x3) + x2
    for got, want in zip(res, (x0, x1, x2, x3, x4), strict=True):
        assert torch.equal(got, want)
    assert torch.equal(res[1], plain[1]) and not torch.equal(res[2], plain[2])


@pytest.mark.parametrize("every", [0, -1, 1.5, True])
def test_residual_outputs_refuse_a_bad_span(every):
    from dnnkit.nn.residual import residual_hidden_outputs

    model = build_mlp(MLPConfig(n_inputs=4, n_outputs=2, depth=2, width=3), generator=_gen())
    with pytest.raises(ValueError, match=r"every=.*allowed: an int >= 1"):
        residual_hidden_outputs(model, torch.zeros(1, 4), every)


def test_residual_outputs_need_an_mlp():
    from dnnkit.nn.residual import residual_hidden_outputs

    with pytest.raises(ValueError, match=r"needs dnnkit's MLP .*got Linear"):
        residual_hidden_outputs(nn.Linear(3, 2), torch.zeros(1, 3))


# ------------------------------------------------------------------------------------------ own rates


@pytest.fixture(scope="module")
def blobs() -> D.Split:
    return D.make_blobs_classification(400, 20, 5, seed=0)


def test_own_rates_choose_per_arm_from_the_grid_and_change_only_the_rate(blobs):
    from dnnkit.seeds import run_seeds
    from dnnkit.train.own_rates import own_rates
    from dnnkit.train.training import FitConfig

    fit = FitConfig(epochs=2, batch_size=64, optimizer="sgd", lr=0.5)
    arms = {"tanh": MLPConfig(20, 5, depth=1, width=8, activation="tanh"),
            "relu": MLPConfig(20, 5, depth=1, width=8, activation="relu")}
    pilots = [run_seeds(0, "own-rates-test", rep, "pilot") for rep in range(2)]
    rates = own_rates(arms, blobs, fit, (1e-4, 0.1), pilots)
    assert set(rates.lr) == set(arms) and all(lr in (1e-4, 0.1) for lr in rates.lr.values())
    # 1e-4 for 2 epochs of plain SGD barely moves: the larger rate wins on these easy blobs.
    assert rates.lr == {"tanh": 0.1, "relu": 0.1}
    for arm, fc in rates.fits.items():
        assert fc.lr == rates.lr[arm] and fc.epochs == fit.epochs and fc.optimizer == fit.optimizer
    assert set(rates.pilot_summary()["relu"]) == {"0.0001", "0.1"}


def test_own_rates_refuse_an_empty_grid_or_no_pilot_seeds(blobs):
    from dnnkit.seeds import run_seeds
    from dnnkit.train.own_rates import own_rates
    from dnnkit.train.training import FitConfig

    arms = {"relu": MLPConfig(20, 5, depth=1, width=8)}
    with pytest.raises(ValueError, match=r"non-empty rate grid and pilot seeds; got grid \[\]"):
        own_rates(arms, blobs, FitConfig(epochs=1), (), [run_seeds(0, "x", 0, "pilot")])
    with pytest.raises(ValueError, match=r"and 0 pilot seeds"):
        own_rates(arms, blobs, FitConfig(epochs=1), (0.1,), [])
