"""Unit tests of dnnkit's core: activations, initializers, models, seeds, optimizers, checkpoints, the fit loop,
diagnostics and the experiment helpers. Tiny nets, few epochs: the whole file runs in seconds on one thread.
"""

from __future__ import annotations

import copy
import math
import os
import re
import subprocess
import sys
import types

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dnnkit import data as D
from dnnkit import seeds as S
from dnnkit.nn import activations as A
from dnnkit.nn import diagnostics as G
from dnnkit.nn import initializers as I
from dnnkit.nn import models as M
from dnnkit.optim import optimizers as O
from dnnkit.train import checkpoints as C
from dnnkit.train import experiment as E
from dnnkit.train import training as T

# --------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def small(digits: D.Split) -> D.Split:
    """A 480-example slice of digits' training split (every class present), full validation split."""
    return D.Split(digits.X_train[:480].clone(), digits.y_train[:480].clone(), digits.X_val.clone(),
                   digits.y_val.clone(), None, None, 10, "digits-small", "first 480 digits training rows")


@pytest.fixture
def seeds() -> S.RunSeeds:
    return S.run_seeds(0, "test_core", 0)


def tiny_config(**changes) -> M.MLPConfig:
    base = dict(n_inputs=64, n_outputs=10, depth=2, width=16, activation="relu")
    base.update(changes)
    return M.MLPConfig(**base)


def build(config: M.MLPConfig, seeds: S.RunSeeds) -> M.MLP:
    return M.build_mlp(config, generator=seeds.generator("init"))


def params_equal(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


# ----------------------------------------------------------------------------------------- initializers

OUT, IN = 400, 100  # non-square so that fan_in (dim 1) and fan_out (dim 0) give different answers


def _draw(name: str, seed: int = 0, shape=(OUT, IN), **params) -> torch.Tensor:
    t = torch.empty(shape)
    I.get_initializer(name, **params)(t, torch.Generator().manual_seed(seed))
    return t


@pytest.mark.parametrize(
    "name, std",
    [
        ("he_normal", math.sqrt(2 / IN)),
        ("glorot_normal", math.sqrt(2 / (IN + OUT))),
        ("lecun_normal", math.sqrt(1 / IN)),
    ],
)
def test_normal_initializers_std_uses_pytorch_fans(name, std):
    t = _draw(name)
    assert abs(t.mean().item()) < 0.02 * std
    assert t.std().item() == pytest.approx(std, rel=0.02)


@pytest.mark.parametrize(
    "name, std",
    [
        ("he_uniform", math.sqrt(2 / IN)),
        ("glorot_uniform", math.sqrt(2 / (IN + OUT))),
        ("lecun_uniform", math.sqrt(1 / IN)),
    ],
)
def test_uniform_initializers_limits(name, std):
    limit = math.sqrt(3) * std
    t = _draw(name)
    assert t.abs().max().item() <= limit
    assert t.abs().max().item() > 0.99 * limit
    assert t.std().item() == pytest.approx(std, rel=0.02)


def test_plain_normal_and_uniform_parameters():
    assert _draw("normal", std=0.01).std().item() == pytest.approx(0.01, rel=0.02)
    t = _draw("uniform", limit=0.3)
    assert t.abs().max().item() <= 0.3 and t.abs().max().item() > 0.29


def test_he_constant_fills_one_value():
    t = _draw("he_constant")
    assert torch.all(t == t.flatten()[0])
    assert t.flatten()[0].item() != 0.0
    assert _draw("he_constant", seed=0).flatten()[0] == t.flatten()[0]
    assert _draw("he_constant", seed=1).flatten()[0] != t.flatten()[0]


@pytest.mark.parametrize("name", ["he_normal", "he_uniform", "he_constant"])
def test_he_gain_scales_the_std_and_defaults_to_plain_he(name):
    assert torch.equal(_draw(name, gain=1.0), _draw(name))  # gain 1 is bitwise plain He
    assert torch.allclose(_draw(name, gain=0.5), 0.5 * _draw(name), rtol=1e-6, atol=0)
    if name != "he_constant":
        assert _draw(name, gain=3).std().item() == pytest.approx(3 * math.sqrt(2 / IN), rel=0.02)
    for bad in (0, -1.0, math.inf, math.nan, True, "2"):
        with pytest.raises(ValueError, match=rf"'{name}': gain=.* is not allowed; gain must be a finite number > 0"):
            I.get_initializer(name, gain=bad)


def test_reached_target_is_at_least_for_accuracies_and_below_for_losses():
    assert T.reached_target("val_acc", 0.9, 0.9) and not T.reached_target("val_acc", 0.89, 0.9)
    assert T.reached_target("val_loss", 0.34, 0.35) and not T.reached_target("val_loss", 0.35, 0.35)
    assert not T.reached_target("train_loss_eval", 0.1, 0.1)


def test_zeros_and_constant():
    assert torch.all(_draw("zeros") == 0)
    assert torch.all(_draw("constant", value=0.25) == 0.25)
    assert torch.all(_draw("constant") == 0)  # default value


@pytest.mark.parametrize("name", sorted(I.INITIALIZERS))
def test_every_initializer_is_deterministic_under_a_seeded_generator(name):
    a, b = _draw(name, seed=7, shape=(30, 20)), _draw(name, seed=7, shape=(30, 20))
    assert torch.equal(a, b)
    assert torch.isfinite(a).all()
    if name not in ("zeros", "constant"):
        assert not torch.equal(a, _draw(name, seed=8, shape=(30, 20)))


def test_bias_shaped_tensor_gets_a_finite_init():
    t = _draw("he_normal", shape=(50,))
    assert torch.isfinite(t).all() and t.std() > 0


def test_initializer_bad_input_names_value_and_allowed():
    with pytest.raises(ValueError, match=r"unknown initializer 'bogus'; allowed: .*he_normal"):
        I.get_initializer("bogus")
    with pytest.raises(ValueError, match=r"'normal': std=-0\.5 is not allowed; std must be a finite number >= 0"):
        I.get_initializer("normal", std=-0.5)
    with pytest.raises(ValueError, match=r"'uniform': limit=nan is not allowed"):
        I.get_initializer("uniform", limit=float("nan"))
    with pytest.raises(ValueError, match=r"'constant': value=inf must be finite"):
        I.get_initializer("constant", value=float("inf"))
    with pytest.raises(ValueError, match=r"initializer 'he_normal' got bad parameters \{'std': 1\.0\}"):
        I.get_initializer("he_normal", std=1.0)


# ------------------------------------------------------------------------------------------ activations


@pytest.mark.parametrize("name", sorted(A.ACTIVATIONS))
def test_every_activation_builds_and_keeps_shape(name):
    act = A.make_activation(name)
    assert isinstance(act, nn.Module)
    x = torch.linspace(-3, 3, 12).reshape(3, 4)
    y = act(x)
    assert y.shape == x.shape and torch.isfinite(y).all()
    assert A.activation_family(name) in ("relu", "saturating", "smooth")


def test_leaky_relu_default_slope_is_0_2_and_gradient_never_zero():
    act = A.make_activation("leaky_relu")
    assert act.negative_slope == 0.2
    z = torch.tensor([-5.0, -1.0, -1e-3], requires_grad=True)
    act(z).sum().backward()
    assert torch.allclose(z.grad, torch.full_like(z, 0.2))
    z2 = torch.tensor([-2.0], requires_grad=True)
    A.make_activation("leaky_relu", alpha=0.05)(z2).sum().backward()
    assert z2.grad.item() == pytest.approx(0.05)


def test_elu_gradient_positive_for_negative_inputs():
    z = torch.tensor([-8.0, -2.0, -0.1], requires_grad=True)
    A.make_activation("elu")(z).sum().backward()
    assert (z.grad > 0).all()
    assert torch.allclose(z.grad, torch.exp(z.detach()))  # alpha = 1: d/dz alpha*(e^z - 1) = e^z


def test_relu_family_and_saturating_family():
    assert A.activation_family("relu") == "relu"
    assert A.activation_family("sigmoid") == "saturating"
    assert A.activation_family("selu") == "smooth"


def test_activation_bad_input():
    with pytest.raises(ValueError, match=r"unknown activation 'swish'; allowed: .*relu"):
        A.make_activation("swish")
    with pytest.raises(ValueError, match=r"alpha=1\.5 is out of range; allowed: 0 <= alpha < 1"):
        A.make_activation("leaky_relu", alpha=1.5)
    with pytest.raises(ValueError, match=r"alpha=-1\.0 is out of range; allowed: alpha > 0"):
        A.make_activation("elu", alpha=-1.0)
    with pytest.raises(ValueError, match=r"'relu' got unknown parameter\(s\) \['alpha'\]; allowed: none"):
        A.make_activation("relu", alpha=0.1)
    with pytest.raises(ValueError, match=r"lower=0\.3 must not exceed upper=0\.2"):
        A.make_activation("rrelu", lower=0.3, upper=0.2)
    with pytest.raises(ValueError, match=r"unknown activation 'nope'"):
        A.activation_family("nope")


# ------------------------------------------------------------------------------------ MLPConfig and MLP


@pytest.mark.parametrize(
    "changes, pattern",
    [
        ({"depth": 0}, r"MLPConfig\.depth=0 is not allowed"),
        ({"width": -3}, r"MLPConfig\.width=-3 is not allowed; it must be a positive integer"),
        ({"n_outputs": 0}, r"MLPConfig\.n_outputs=0"),
        ({"activation": "relu6"}, r"unknown activation 'relu6'; allowed:"),
        ({"weight_init": "kaiming"}, r"unknown initializer 'kaiming'; allowed:"),
        ({"bias_init": "ones"}, r"unknown initializer 'ones'; allowed:"),
        ({"weight_init": "normal", "weight_init_params": {"std": -1.0}}, r"std=-1\.0 is not allowed"),
        ({"activation": "elu", "activation_params": {"alpha": 0.0}}, r"alpha=0\.0 is out of range"),
        ({"dropout": 1.0}, r"dropout rate 1\.0 is not allowed; rates must lie in \[0, 1\)"),
        ({"dropout": -0.1}, r"dropout rate -0\.1 is not allowed"),
        ({"dropout": (0.1, 1.2)}, r"dropout rate 1\.2 is not allowed"),
        ({"dropout": (0.1, 0.2, 0.3)}, r"has 3 rates for depth 2"),
        ({"input_dropout": 1.0}, r"dropout rate 1\.0 is not allowed"),
        ({"batch_norm": "middle"}, r"batch_norm='middle'; allowed: None, 'before', 'after'"),
        ({"bn_momentum": 0.0}, r"bn_momentum=0\.0; allowed: 0 < bn_momentum <= 1"),
    ],
)
def test_mlp_config_bad_input(changes, pattern):
    with pytest.raises(ValueError, match=pattern):
        tiny_config(**changes)


def test_mlp_config_replace_validates():
    cfg = tiny_config()
    assert cfg.replace(width=8).width == 8
    with pytest.raises(ValueError, match=r"MLPConfig\.depth=-1"):
        cfg.replace(depth=-1)


def test_mlp_structure_plain():
    model = M.MLP(tiny_config(depth=3, width=8))
    assert len(model.hidden) == 3
    linears = model.linears()
    assert len(linears) == 4 and linears[-1] is model.head
    assert [(m.in_features, m.out_features) for m in linears] == [(64, 8), (8, 8), (8, 8), (8, 10)]
    assert not any(isinstance(m, (nn.BatchNorm1d, nn.Dropout, nn.AlphaDropout)) for m in model.modules())
    assert model(torch.randn(5, 64)).shape == (5, 10)


@pytest.mark.parametrize("position", ["before", "after"])
def test_mlp_batch_norm_position(position):
    model = M.MLP(tiny_config(batch_norm=position))
    for block in model.hidden:
        kinds = [type(m) for m in block]
        assert kinds[0] is nn.Linear
        bn, act = kinds.index(nn.BatchNorm1d), kinds.index(nn.ReLU)
        assert (bn < act) if position == "before" else (bn > act)
    assert sum(isinstance(m, nn.BatchNorm1d) for m in model.modules()) == 2


def test_mlp_batch_norm_moving_statistics_use_pytorch_momentum():
    model = M.MLP(tiny_config(batch_norm="before", bn_momentum=0.01, input_batch_norm=True))
    bn_in = model.input[0]
    assert isinstance(bn_in, nn.BatchNorm1d) and bn_in.momentum == 0.01
    x = torch.randn(256, 64) * 3 + 5
    model.train()
    model(x)
    # Keras momentum 0.99 == PyTorch momentum 0.01: running = 0.99 * running + 0.01 * batch.
    assert torch.allclose(bn_in.running_mean, 0.01 * x.mean(0), atol=1e-5)
    assert torch.allclose(bn_in.running_var, 0.99 + 0.01 * x.var(0, unbiased=True), atol=1e-4)


def test_mlp_dropout_layers():
    model = M.MLP(tiny_config(depth=3, dropout=(0.0, 0.2, 0.5), input_dropout=0.1))
    rates = [m.p for m in model.modules() if isinstance(m, nn.Dropout)]
    assert rates == [0.1, 0.2, 0.5]
    assert not any(isinstance(m, nn.Dropout) for m in model.hidden[0])
    alpha = M.MLP(tiny_config(activation="selu", dropout=0.1, alpha_dropout=True))
    assert sum(isinstance(m, nn.AlphaDropout) for m in alpha.modules()) == 2


def test_hidden_outputs_one_per_hidden_layer():
    model = M.build_mlp(tiny_config(depth=4, width=7), generator=torch.Generator().manual_seed(0))
    outs = model.hidden_outputs(torch.randn(9, 64))
    assert len(outs) == 4 and all(o.shape == (9, 7) for o in outs)


def test_same_seed_same_model_and_different_seed_different_model(seeds):
    cfg = tiny_config()
    assert params_equal(build(cfg, seeds), build(cfg, seeds))
    other = S.run_seeds(0, "test_core", 1)
    assert not params_equal(build(cfg, seeds), build(cfg, other))


def test_init_weights_draws_all_weights_before_biases(seeds):
    a = build(tiny_config(bias_init="zeros"), seeds)
    b = build(tiny_config(bias_init="normal", bias_init_params={"std": 0.1}), seeds)
    for la, lb in zip(a.linears(), b.linears(), strict=True):
        assert torch.equal(la.weight, lb.weight)
    assert all(torch.all(m.bias == 0) for m in a.linears())
    assert not torch.equal(a.head.bias, b.head.bias)


def test_init_weights_applies_configured_init():
    cfg = tiny_config(weight_init="constant", weight_init_params={"value": 0.5},
                      bias_init="constant", bias_init_params={"value": -0.25})
    model = M.build_mlp(cfg)
    for m in model.linears():
        assert torch.all(m.weight == 0.5) and torch.all(m.bias == -0.25)


# ------------------------------------------------------------------------------------------------ seeds


def test_derive_seed_properties():
    s = S.derive_seed(0, "claim", "shared", 0, "init")
    assert s == S.derive_seed(0, "claim", "shared", 0, "init")
    assert isinstance(s, int) and 0 <= s < 2 ** 63
    variants = [
        S.derive_seed(1, "claim", "shared", 0, "init"),
        S.derive_seed(0, "claim2", "shared", 0, "init"),
        S.derive_seed(0, "claim", "arm", 0, "init"),
        S.derive_seed(0, "claim", "shared", 1, "init"),
        S.derive_seed(0, "claim", "shared", 0, "data"),
    ]
    assert len(set(variants + [s])) == 6
    many = [S.derive_seed("x", i) for i in range(2000)]
    assert len(set(many)) == 2000 and all(0 <= v < 2 ** 63 for v in many)


def test_derive_seed_is_not_salted_per_process():
    code = "from dnnkit.seeds import derive_seed; print(derive_seed(3, 'claim', 'role', 2, 'data'))"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert int(out.stdout.strip()) == S.derive_seed(3, "claim", "role", 2, "data")


def test_run_seeds_streams_roles_and_reps():
    a = S.run_seeds(0, "c", 0)
    assert a == S.run_seeds(0, "c", 0)
    assert len({a.init, a.data, a.dropout}) == 3
    assert a != S.run_seeds(0, "c", 1)
    assert a != S.run_seeds(0, "c", 0, role="other")
    assert a.as_dict() == {"init": a.init, "data": a.data, "dropout": a.dropout}
    g1, g2 = a.generator("init"), a.generator("init")
    assert torch.equal(torch.rand(5, generator=g1), torch.rand(5, generator=g2))
    assert not torch.equal(torch.rand(5, generator=a.generator("init")),
                           torch.rand(5, generator=a.generator("data")))


def test_run_seeds_unknown_stream():
    with pytest.raises(ValueError, match=r"unknown seed stream 'noise'; allowed: init, data, dropout"):
        S.run_seeds(0, "c", 0).generator("noise")


# ------------------------------------------------------------------------------------------- optimizers


@pytest.mark.parametrize("name", sorted(O.OPTIMIZERS))
def test_every_optimizer_builds_and_steps(name):
    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    before = copy.deepcopy(model.state_dict())
    opt = O.make_optimizer(name, model.parameters(), 0.01)
    F.cross_entropy(model(torch.randn(8, 4)), torch.randint(0, 3, (8,))).backward()
    opt.step()
    assert not params_equal(model, _module_from_state(before))


def _module_from_state(state) -> nn.Module:
    m = nn.Linear(4, 3)
    m.load_state_dict(state)
    return m


def test_optimizer_defaults():
    p = [torch.zeros(2, requires_grad=True)]
    assert O.make_optimizer("momentum", p, 0.1).param_groups[0]["momentum"] == 0.9
    assert O.make_optimizer("nesterov", p, 0.1).param_groups[0]["nesterov"] is True
    assert O.make_optimizer("rmsprop", p, 0.1).param_groups[0]["alpha"] == 0.9
    assert O.make_optimizer("sgd", p, 0.1, momentum=0.5).param_groups[0]["momentum"] == 0.5


@pytest.mark.parametrize(
    "name, lr, hyper, pattern",
    [
        ("adam", -0.1, {}, r"learning rate -0\.1 is not allowed; it must be a finite number > 0"),
        ("adam", 0.0, {}, r"learning rate 0\.0 is not allowed"),
        ("sgd", float("nan"), {}, r"learning rate nan is not allowed"),
        ("sgd", 0.1, {"momentum": 1.5}, r"momentum=1\.5 is out of range; allowed: 0 <= momentum <= 1"),
        ("momentum", 0.1, {"momentum": -0.1}, r"momentum=-0\.1 is out of range"),
        ("adam", 0.1, {"weight_decay": -1.0}, r"weight_decay=-1\.0 is out of range; allowed: weight_decay >= 0"),
        ("adam", 0.1, {"betas": (0.9, 1.0)}, r"betas=\(0\.9, 1\.0\); allowed: two values in \[0, 1\)"),
        ("sgdd", 0.1, {}, r"unknown optimizer 'sgdd'; allowed: adagrad, adam, .*sgd"),
        ("adagrad", 0.1, {"momentum": 0.5}, r"optimizer 'adagrad' got bad hyperparameters"),
    ],
)
def test_optimizer_bad_input(name, lr, hyper, pattern):
    with pytest.raises(ValueError, match=pattern):
        O.make_optimizer(name, [torch.zeros(2, requires_grad=True)], lr, **hyper)


# ------------------------------------------------------------------------------------------ checkpoints


class SomeCustomClass:
    """A plain Python object: not allowed in a weights_only checkpoint."""

    def __init__(self):
        self.value = 42


_EXECUTED: list[str] = []


def _record_execution() -> str:
    _EXECUTED.append("ran")
    return "payload"


class CodeOnLoad:
    """Unpickling this calls _record_execution: a loader that executes code would append to _EXECUTED."""

    def __reduce__(self):
        return (_record_execution, ())


def _trained_state(seed: int = 0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.StepLR(opt, 2, 0.5)
    for _ in range(3):
        opt.zero_grad()
        F.cross_entropy(model(torch.randn(8, 4)), torch.randint(0, 3, (8,))).backward()
        opt.step()
        sched.step()
    return model, opt, sched


def test_checkpoint_round_trip_restores_model_optimizer_scheduler(tmp_path):
    model, opt, sched = _trained_state(0)
    path = C.save_checkpoint(tmp_path / "sub" / "ck.pt", model, opt, sched, epoch=3, data_seed=11)
    assert path.is_file()
    model2, opt2, sched2 = _trained_state(1)
    assert not params_equal(model, model2)
    state = C.load_checkpoint(path, model2, opt2, sched2)
    assert state["extra"] == {"epoch": 3, "data_seed": 11}
    assert params_equal(model, model2)
    assert sched2.state_dict() == sched.state_dict()
    assert sched2.get_last_lr() == sched.get_last_lr() == [0.005]
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    s1, s2 = opt.state_dict()["state"], opt2.state_dict()["state"]
    assert s1.keys() == s2.keys()
    for k in s1:
        for name in ("step", "exp_avg", "exp_avg_sq"):
            assert torch.equal(s1[k][name], s2[k][name])


def test_checkpoint_write_leaves_no_temp_files(tmp_path):
    model, opt, sched = _trained_state()
    C.save_checkpoint(tmp_path / "ck.pt", model, opt, sched)
    C.save_checkpoint(tmp_path / "ck.pt", model, opt, sched)  # overwrite
    assert sorted(os.listdir(tmp_path)) == ["ck.pt"]


def test_checkpoint_failed_save_keeps_previous_and_leaves_no_temp(tmp_path, monkeypatch):
    model, _, _ = _trained_state(0)
    path = C.save_checkpoint(tmp_path / "ck.pt", model)
    other, _, _ = _trained_state(1)

    def broken_replace(src, dst):
        raise OSError("disk went away")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk went away"):
        C.save_checkpoint(path, other)
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["ck.pt"]
    restored, _, _ = _trained_state(2)
    C.load_checkpoint(path, restored)
    assert params_equal(restored, model)


def test_checkpoint_truncated_or_corrupt_raises_value_error_naming_path(tmp_path):
    model, opt, _ = _trained_state()
    good = C.save_checkpoint(tmp_path / "good.pt", model, opt)
    raw = good.read_bytes()
    for name, content in [("half.pt", raw[: len(raw) // 2]), ("head.pt", raw[:100]), ("empty.pt", b""),
                          ("zeros.pt", bytes(256))]:
        bad = tmp_path / name
        bad.write_bytes(content)
        with pytest.raises(ValueError, match=re.escape(repr(str(bad)))):
            C.load_checkpoint(bad, model)


def test_checkpoint_missing_file_and_missing_parts(tmp_path):
    model, opt, sched = _trained_state()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        C.load_checkpoint(tmp_path / "absent.pt", model)
    path = C.save_checkpoint(tmp_path / "model_only.pt", model)
    with pytest.raises(ValueError, match="has no optimizer state"):
        C.load_checkpoint(path, optimizer=opt)
    with pytest.raises(ValueError, match="has no scheduler state"):
        C.load_checkpoint(path, scheduler=sched)
    notours = tmp_path / "notours.pt"
    torch.save({"weights": torch.zeros(2)}, notours)
    with pytest.raises(ValueError, match=r"not a dnnkit checkpoint \(no 'model' entry\)"):
        C.load_checkpoint(notours)


def test_checkpoint_load_is_weights_only(tmp_path):
    custom = tmp_path / "custom.pt"
    torch.save({"model": {}, "extra": {"x": SomeCustomClass()}}, custom)
    with pytest.raises(ValueError, match=re.escape(repr(str(custom)))):
        C.load_checkpoint(custom)
    code = tmp_path / "code.pt"
    torch.save({"model": {}, "extra": {"x": CodeOnLoad()}}, code)
    _EXECUTED.clear()
    with pytest.raises(ValueError):
        C.load_checkpoint(code)
    assert _EXECUTED == []


def test_checkpoint_garbage_bytes_raise_value_error(tmp_path):
    bad = tmp_path / "garbage.pt"
    bad.write_bytes(b"hello world")
    with pytest.raises(ValueError, match=re.escape(repr(str(bad)))):
        C.load_checkpoint(bad)


# ------------------------------------------------------------------------------------------ fit: config


@pytest.mark.parametrize(
    "changes, pattern",
    [
        ({"epochs": 0}, r"FitConfig\.epochs=0"),
        ({"batch_size": -1}, r"FitConfig\.batch_size=-1"),
        ({"clip_norm": 0.0}, r"FitConfig\.clip_norm=0\.0"),
        ({"clip_value": float("inf")}, r"FitConfig\.clip_value=inf"),
        ({"patience": 0}, r"FitConfig\.patience=0"),
        ({"target": ("accuracy", 0.9)}, r"target metric 'accuracy'; allowed: val_acc"),
    ],
)
def test_fit_config_bad_input(changes, pattern):
    with pytest.raises(ValueError, match=pattern):
        T.FitConfig(**changes)


def test_epoch_permutation_is_pure_function_of_seed_and_epoch():
    p = T.epoch_permutation(50, 123, 3)
    assert torch.equal(p, T.epoch_permutation(50, 123, 3))
    assert torch.equal(torch.sort(p).values, torch.arange(50))
    assert not torch.equal(p, T.epoch_permutation(50, 123, 4))
    assert not torch.equal(p, T.epoch_permutation(50, 124, 3))


# ------------------------------------------------------------------------------------ fit: equivalence


def test_fit_matches_hand_written_loop(small, seeds):
    """AlgoPerf-style: dnnkit's loop and a minimal PyTorch loop give the same per-epoch training losses."""
    cfg = tiny_config(activation="elu")
    epochs, batch, lr = 3, 32, 3e-3
    model_fit = build(cfg, seeds)
    model_hand = build(cfg, seeds)
    assert params_equal(model_fit, model_hand)

    result = T.fit(model_fit, small, T.FitConfig(epochs=epochs, batch_size=batch, optimizer="adam", lr=lr), seeds)

    X, y = small.X_train, small.y_train
    opt = torch.optim.Adam(model_hand.parameters(), lr=lr)
    hand_losses = []
    model_hand.train()
    for epoch in range(1, epochs + 1):
        perm = T.epoch_permutation(len(X), seeds.data, epoch)
        total = torch.zeros(())
        for start in range(0, len(X), batch):
            idx = perm[start:start + batch]
            loss = F.cross_entropy(model_hand(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.detach() * len(idx)
        hand_losses.append(total.item() / len(X))

    fit_losses = result.history["train_loss"].tolist()
    assert fit_losses == pytest.approx(hand_losses, abs=1e-6)
    assert fit_losses[-1] < fit_losses[0]
    for a, b in zip(model_fit.linears(), model_hand.linears(), strict=True):
        assert torch.allclose(a.weight, b.weight, atol=1e-6)
    model_hand.eval()
    val_loss, val_acc = T.evaluate(model_hand, small.X_val, small.y_val)
    assert result.history["val_loss"].iloc[-1] == pytest.approx(val_loss, abs=1e-6)
    assert result.history["val_acc"].iloc[-1] == pytest.approx(val_acc)


def test_fit_is_reproducible(small, seeds):
    cfg = tiny_config(dropout=0.2)
    fc = T.FitConfig(epochs=2, batch_size=64)
    h1 = T.fit(build(cfg, seeds), small, fc, seeds).history
    h2 = T.fit(build(cfg, seeds), small, fc, seeds).history
    assert h1["train_loss"].tolist() == h2["train_loss"].tolist()
    assert h1["val_loss"].tolist() == h2["val_loss"].tolist()


# ---------------------------------------------------------------------------------------- fit: history


def test_fit_history_columns_and_result(small, seeds):
    res = T.fit(build(tiny_config(), seeds), small, T.FitConfig(epochs=3, batch_size=64), seeds)
    h = res.history
    assert list(h.columns) == ["epoch", "train_loss", "val_loss", "val_acc", "lr", "train_time_s"]
    assert h["epoch"].tolist() == [1, 2, 3]
    assert (h["lr"] == 1e-3).all()
    assert h["train_time_s"].is_monotonic_increasing and (h["train_time_s"] > 0).all()
    assert res.train_time_s == pytest.approx(h["train_time_s"].iloc[-1])
    assert h["val_acc"].between(0, 1).all()
    assert not res.diverged and res.best_epoch is None and res.epochs_to_target == math.inf
    assert not res.model.training
    assert res.metric("val_acc") == h["val_acc"].iloc[-1]
    assert res.metric("val_acc", "best") == h["val_acc"].max()
    assert res.metric("val_loss", "best") == h["val_loss"].min()
    assert res.metric("val_loss", "mean_last_k", k=2) == pytest.approx(h["val_loss"].iloc[-2:].mean())
    with pytest.raises(ValueError, match=r"unknown reduction 'median'"):
        res.metric("val_acc", "median")


def test_fit_eval_train_adds_columns(small, seeds):
    res = T.fit(build(tiny_config(), seeds), small, T.FitConfig(epochs=1, batch_size=64, eval_train=True), seeds)
    assert {"train_loss_eval", "train_acc"} <= set(res.history.columns)
    loss, acc = T.evaluate(res.model, small.X_train, small.y_train)
    assert res.history["train_acc"].iloc[-1] == pytest.approx(acc)
    assert res.history["train_loss_eval"].iloc[-1] == pytest.approx(loss, abs=1e-6)


def test_evaluate_restores_mode_and_batches_consistently(small, seeds):
    model = build(tiny_config(batch_norm="before", dropout=0.3), seeds)
    model.train()
    a = T.evaluate(model, small.X_val, small.y_val, batch_size=7)
    b = T.evaluate(model, small.X_val, small.y_val)
    assert model.training
    assert a[0] == pytest.approx(b[0], abs=1e-5) and a[1] == b[1]


# ----------------------------------------------------------------------------------- fit: early stopping


def test_early_stopping_restores_best_weights(small, seeds):
    cfg = tiny_config(width=64)
    patience, epochs = 2, 60
    res = T.fit(build(cfg, seeds), small, T.FitConfig(epochs=epochs, batch_size=32, lr=1e-2, patience=patience),
                seeds)
    h = res.history
    assert len(h) < epochs, "the run should have stopped early"
    best = int(h["val_loss"].idxmin()) + 1
    assert res.best_epoch == best
    assert len(h) == best + patience
    assert (h["val_loss"].iloc[best:] >= h["val_loss"].iloc[best - 1]).all()
    val_loss, val_acc = T.evaluate(res.model, small.X_val, small.y_val)
    assert val_loss == pytest.approx(h["val_loss"].iloc[best - 1], abs=1e-6)
    assert val_acc == pytest.approx(h["val_acc"].iloc[best - 1])
    assert res.metric("val_loss") == h["val_loss"].iloc[best - 1]
    assert res.metric("val_loss") < h["val_loss"].iloc[-1]


def test_early_stopping_without_restore_keeps_last_weights(small, seeds):
    res = T.fit(build(tiny_config(width=64), seeds), small,
                T.FitConfig(epochs=60, batch_size=32, lr=1e-2, patience=2, restore_best=False), seeds)
    assert res.best_epoch is None
    val_loss, _ = T.evaluate(res.model, small.X_val, small.y_val)
    assert val_loss == pytest.approx(res.history["val_loss"].iloc[-1], abs=1e-6)
    assert res.metric("val_loss") == res.history["val_loss"].iloc[-1]


# ---------------------------------------------------------------------------------------- fit: target


def test_target_epochs_to_target(small, seeds):
    cfg = tiny_config()
    fc = T.FitConfig(epochs=4, batch_size=32, lr=1e-2, target=("val_acc", 0.5))
    res = T.fit(build(cfg, seeds), small, fc, seeds)
    h = res.history
    reached = h.loc[h["val_acc"] >= 0.5, "epoch"]
    assert len(reached) > 0, "precondition: the target is reachable in 4 epochs"
    assert res.epochs_to_target == float(reached.iloc[0])
    assert len(h) == 4

    stop = T.fit(build(cfg, seeds), small, E.replace_fit(fc, stop_at_target=True), seeds)
    assert len(stop.history) == res.epochs_to_target
    assert stop.epochs_to_target == res.epochs_to_target

    never = T.fit(build(cfg, seeds), small,
                  E.replace_fit(fc, epochs=2, target=("val_acc", 1.01), stop_at_target=True), seeds)
    assert never.epochs_to_target == math.inf and len(never.history) == 2


def test_target_on_loss_is_lower_is_better(small, seeds):
    res = T.fit(build(tiny_config(), seeds), small,
                T.FitConfig(epochs=2, batch_size=32, target=("val_loss", 100.0)), seeds)
    assert res.epochs_to_target == 1.0


def test_target_train_acc_needs_eval_train(small, seeds):
    with pytest.raises(ValueError, match="eval_train=True"):
        T.FitConfig(epochs=1, batch_size=64, target=("train_acc", 0.1))
    fc = T.FitConfig(epochs=1, batch_size=64, target=("train_acc", 0.1), eval_train=True)
    res = T.fit(build(tiny_config(), seeds), small, fc, seeds)
    assert "train_acc" in res.history.columns and res.epochs_to_target == 1.0


# ------------------------------------------------------------------------------------ fit: divergence


def test_divergence_is_a_result_not_a_crash(seeds):
    raw = D.make_blobs_classification(300, 8, 3, seed=0, scale_spread=4)  # unnormalized: scales 1e-2..1e2
    cfg = M.MLPConfig(8, 3, depth=2, width=16, activation="relu")
    res = T.fit(build(cfg, seeds), raw, T.FitConfig(epochs=5, batch_size=32, optimizer="sgd", lr=1e6, patience=3),
                seeds)
    assert res.diverged
    assert not math.isfinite(res.history["train_loss"].iloc[-1])
    assert len(res.history) < 5
    assert res.best_epoch is None
    assert res.metric("val_acc") == -math.inf
    assert res.metric("val_loss") == math.inf
    assert res.epochs_to_target == math.inf


def test_nan_penalty_marks_divergence(small, seeds):
    res = T.fit(build(tiny_config(), seeds), small,
                T.FitConfig(epochs=3, batch_size=64, penalty=lambda m: torch.tensor(float("nan"))), seeds)
    assert res.diverged and len(res.history) == 1
    assert res.metric("val_acc", "best") == -math.inf


# -------------------------------------------------------------------------------------- fit: clipping


def _total_grad_norm(model: nn.Module) -> float:
    return torch.linalg.vector_norm(
        torch.stack([p.grad.norm() for p in model.parameters() if p.grad is not None])).item()


def test_clip_norm_bounds_every_step(small, seeds):
    clip = 0.05
    seen: list[float] = []
    fc = T.FitConfig(epochs=2, batch_size=32, lr=1e-2, clip_norm=clip,
                     after_step=[lambda m: seen.append(_total_grad_norm(m))])
    T.fit(build(tiny_config(), seeds), small, fc, seeds)
    assert len(seen) == 2 * math.ceil(len(small.X_train) / 32)
    assert max(seen) <= clip * (1 + 1e-5)
    assert max(seen) == pytest.approx(clip, rel=1e-3)  # clipping was active

    unclipped: list[float] = []
    T.fit(build(tiny_config(), seeds), small,
          T.FitConfig(epochs=1, batch_size=32, lr=1e-2, after_step=[lambda m: unclipped.append(_total_grad_norm(m))]),
          seeds)
    assert max(unclipped) > clip  # the control run's gradients do exceed the bound


def test_clip_value_bounds_every_element(small, seeds):
    worst: list[float] = []

    def record(m):
        worst.append(max(p.grad.abs().max().item() for p in m.parameters()))

    T.fit(build(tiny_config(), seeds), small,
          T.FitConfig(epochs=1, batch_size=32, clip_value=1e-3, after_step=[record]), seeds)
    assert max(worst) <= torch.tensor(1e-3).item()  # 1e-3 as float32
    assert max(worst) == pytest.approx(1e-3)  # clipping was active


# ------------------------------------------------------------------------------------ fit: checkpoints


def _step_lr(opt, steps):
    return torch.optim.lr_scheduler.StepLR(opt, 2, 0.5)


def test_fit_writes_periodic_and_final_checkpoints(tmp_path, small, seeds):
    fc = T.FitConfig(epochs=4, batch_size=64, checkpoint_dir=tmp_path, checkpoint_every=2)
    res = T.fit(build(tiny_config(), seeds), small, fc, seeds)
    assert sorted(os.listdir(tmp_path)) == ["epoch-0002.pt", "epoch-0004.pt", "final.pt"]
    state = C.load_checkpoint(tmp_path / "epoch-0002.pt")
    assert {k: state["extra"][k] for k in ("epoch", "data_seed")} == {"epoch": 2, "data_seed": seeds.data}
    final = build(tiny_config(), seeds)
    assert C.load_checkpoint(tmp_path / "final.pt", final)["extra"]["epoch"] == 4
    assert params_equal(final, res.model)


def test_resume_reproduces_uninterrupted_run_with_schedule(tmp_path, small, seeds):
    cfg = tiny_config()
    full_dir, resumed_dir = tmp_path / "full", tmp_path / "resumed"
    full = T.fit(build(cfg, seeds), small,
                 T.FitConfig(epochs=5, batch_size=64, schedule=_step_lr, checkpoint_dir=full_dir, checkpoint_every=1),
                 seeds)
    assert full.history["lr"].tolist() == pytest.approx([1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4])

    # A fresh model from a different init: every bit of state must come from the checkpoint.
    other = S.run_seeds(1, "other", 0)
    resumed = T.fit(build(cfg, other), small,
                    T.FitConfig(epochs=5, batch_size=64, schedule=_step_lr, checkpoint_dir=resumed_dir),
                    seeds, resume_from=full_dir / "epoch-0002.pt")
    tail = full.history[full.history["epoch"] > 2].reset_index(drop=True)
    assert resumed.history["epoch"].tolist() == [3, 4, 5]
    assert resumed.history["lr"].tolist() == pytest.approx(tail["lr"].tolist(), rel=0, abs=1e-12)
    assert resumed.history["train_loss"].tolist() == pytest.approx(tail["train_loss"].tolist(), abs=1e-5)
    assert resumed.history["val_loss"].tolist() == pytest.approx(tail["val_loss"].tolist(), abs=1e-5)
    for a, b in zip(resumed.model.linears(), full.model.linears(), strict=True):
        assert torch.allclose(a.weight, b.weight, atol=1e-5)
    assert C.load_checkpoint(resumed_dir / "final.pt")["extra"]["epoch"] == 5


def test_resume_with_dropout_reproduces_uninterrupted_run(tmp_path, small, seeds):
    cfg = tiny_config(dropout=0.3)
    full = T.fit(build(cfg, seeds), small,
                 T.FitConfig(epochs=3, batch_size=64, checkpoint_dir=tmp_path, checkpoint_every=1), seeds)
    resumed = T.fit(build(cfg, seeds), small, T.FitConfig(epochs=3, batch_size=64), seeds,
                    resume_from=tmp_path / "epoch-0001.pt")
    assert resumed.history["train_loss"].tolist() == pytest.approx(
        full.history["train_loss"].iloc[1:].tolist(), abs=1e-5)


def test_metric_final_after_resume_with_early_stopping(tmp_path, small, seeds):
    cfg = tiny_config()
    T.fit(build(cfg, seeds), small,
          T.FitConfig(epochs=3, batch_size=64, lr=1e-2, checkpoint_dir=tmp_path, checkpoint_every=1), seeds)
    res = T.fit(build(cfg, seeds), small, T.FitConfig(epochs=30, batch_size=64, lr=1e-2, patience=2), seeds,
                resume_from=tmp_path / "epoch-0003.pt")
    h = res.history
    assert res.best_epoch in h["epoch"].tolist()
    assert res.metric("val_loss") == h.loc[h["epoch"] == res.best_epoch, "val_loss"].item()


# ---------------------------------------------------------------------------------------- fit: bad input


def test_fit_rejects_labels_outside_head(seeds):
    # The seed material's learner fed digits 5-9 (not relabeled) to a 5-way head.
    split = D.load_digits(seed=0, labels=range(5, 10), relabel=False)
    model = M.build_mlp(M.MLPConfig(64, 5, depth=1, width=8), generator=seeds.generator("init"))
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(ValueError, match=r"labels \[5, 6, 7, 8, 9\] are outside the range of a 5-way output head"):
        T.fit(model, split, T.FitConfig(epochs=1), seeds)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_fit_rejects_nan_in_training_inputs(small, seeds):
    X = small.X_train.clone()
    X[3, 7] = float("nan")
    bad = types.SimpleNamespace(X_train=X, y_train=small.y_train, X_val=small.X_val, y_val=small.y_val)
    with pytest.raises(ValueError, match=r"X_train contains 1 NaN/inf value\(s\), first at index \(3, 7\)"):
        T.fit(build(tiny_config(), seeds), bad, T.FitConfig(epochs=1), seeds)


def test_fit_rejects_bad_optimizer_settings(small, seeds):
    with pytest.raises(ValueError, match=r"learning rate -1\.0 is not allowed"):
        T.fit(build(tiny_config(), seeds), small, T.FitConfig(epochs=1, lr=-1.0), seeds)


# ------------------------------------------------------------------------------------------ diagnostics


@pytest.mark.parametrize("init", ["he_constant", "zeros"])
def test_symmetry_zero_for_symmetric_inits(init, seeds):
    model = build(tiny_config(weight_init=init), seeds)
    sym = G.symmetry(model)
    assert len(sym) == 2  # hidden Linears only
    assert (sym["max_unit_distance"] == 0).all() and (sym["relative_distance"] == 0).all()


def test_symmetry_positive_for_he(seeds):
    sym = G.symmetry(build(tiny_config(weight_init="he_normal"), seeds))
    assert (sym["max_unit_distance"] > 0).all() and (sym["relative_distance"] > 0).all()


def test_dead_units_counts_a_forced_dead_unit(small, seeds):
    model = build(tiny_config(width=16), seeds)
    X = small.X_val
    unit = 3
    assert (model.hidden_outputs(X)[0][:, unit] != 0).any(), "precondition: the unit is alive"
    before = G.dead_units(model, X)
    with torch.no_grad():
        model.hidden[0][0].bias[unit] = -1e3
    after = G.dead_units(model, X)
    assert len(after) == 2 and (after["units"] == 16).all()
    assert after.loc[0, "dead"] == before.loc[0, "dead"] + 1
    assert after.loc[0, "fraction"] == pytest.approx(after.loc[0, "dead"] / 16)


def test_gradient_norms_one_row_per_linear(small, seeds):
    model = build(tiny_config(depth=3), seeds)
    g = G.gradient_norms(model, small.X_val, small.y_val)
    assert g["layer"].tolist() == [0, 1, 2, 3]
    assert (g["grad_norm"] > 0).all() and g["grad_norm"].map(math.isfinite).all()
    assert all(p.grad is None for p in model.parameters())
    F.cross_entropy(model(small.X_val), small.y_val).backward()
    assert g.loc[0, "grad_norm"] == pytest.approx(model.linears()[0].weight.grad.norm().item(), rel=1e-5)


def test_activation_stats_one_row_per_hidden_layer(small, seeds):
    stats = G.activation_stats(build(tiny_config(depth=3, activation="tanh"), seeds), small.X_val)
    assert len(stats) == 3 and list(stats.columns) == ["layer", "mean", "std", "var"]
    assert stats["var"].to_numpy() == pytest.approx(stats["std"].to_numpy() ** 2, rel=1e-4)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_saturation_is_a_fraction(small, seeds, activation):
    sat = G.saturation(build(tiny_config(activation=activation), seeds), small.X_val)
    assert len(sat) == 2 and sat["saturated_fraction"].between(0, 1).all()


def test_saturation_high_for_large_sigmoid_weights(small, seeds):
    big = tiny_config(activation="sigmoid", weight_init="normal", weight_init_params={"std": 5.0})
    small_w = tiny_config(activation="sigmoid", weight_init="normal", weight_init_params={"std": 0.01})
    assert (G.saturation(build(big, seeds), small.X_val)["saturated_fraction"] > 0.5).all()
    assert (G.saturation(build(small_w, seeds), small.X_val)["saturated_fraction"] == 0).all()


# ------------------------------------------------------------------------------------------- experiment


def _seed_list(n: int) -> list[S.RunSeeds]:
    return [S.run_seeds(0, "test_core_exp", rep) for rep in range(n)]


def test_train_arms_share_seeds_and_pair_runs(small):
    seeds = _seed_list(2)
    cfg = tiny_config()
    arms = {"a": cfg, "a_again": cfg, "bias": cfg.replace(bias_init="constant", bias_init_params={"value": 0.1})}
    runs = E.train_arms(arms, small, T.FitConfig(epochs=2, batch_size=64), seeds)
    assert list(runs) == ["a", "a_again", "bias"]
    for name, r in runs.items():
        assert r.arm == name and r.seeds == seeds and r.mode == "ensemble"
        assert len(r.results) == 2
        vals = r.values("val_acc")
        assert len(vals) == 2 and all(0 <= v <= 1 for v in vals)
        assert r.epochs_to_target() == [math.inf, math.inf]
    # Identical configs on identical seeds give identical runs (common random numbers).
    for ra, rb in zip(runs["a"].results, runs["a_again"].results, strict=True):
        assert ra.history["train_loss"].tolist() == rb.history["train_loss"].tolist()
    # Different seeds give different runs.
    assert runs["a"].values("val_loss")[0] != runs["a"].values("val_loss")[1]


def test_train_arms_same_init_for_shared_params():
    seeds = _seed_list(3)
    cfg = tiny_config()

    def first_weights(model):
        return model.linears()[0].weight.sum().item()

    plain = E.at_init(cfg, seeds, first_weights)
    biased = E.at_init(cfg.replace(bias_init="constant", bias_init_params={"value": 0.1}), seeds, first_weights)
    assert len(plain) == 3
    assert plain == biased
    assert len(set(plain)) == 3


def test_train_arm_uses_each_seeds_init_stream(small):
    seeds = _seed_list(1)
    cfg = tiny_config()
    fc = T.FitConfig(epochs=1, batch_size=64)
    run = E.train_arm("x", cfg, small, fc, seeds)
    manual = T.fit(M.build_mlp(cfg, generator=seeds[0].generator("init")), small, fc, seeds[0])
    assert run.results[0].history["train_loss"].tolist() == manual.history["train_loss"].tolist()
    assert params_equal(run.results[0].model, manual.model)


def test_train_arms_per_arm_fit_config_and_callback(small):
    seeds = _seed_list(2)
    cfg = tiny_config()
    calls: list[int] = []
    runs = E.train_arms({"one": cfg, "two": cfg}, small,
                        {"one": T.FitConfig(epochs=1, batch_size=64), "two": T.FitConfig(epochs=2, batch_size=64)},
                        seeds, on_run=calls.append)
    assert [len(r.history) for r in runs["one"].results] == [1, 1]
    assert [len(r.history) for r in runs["two"].results] == [2, 2]
    assert calls == [0, 1, 0, 1]


def test_at_init_one_value_per_seed():
    seeds = _seed_list(4)
    values = E.at_init(tiny_config(), seeds, lambda m: float(len(m.linears())))
    assert values == [3.0] * 4


def test_select_lr_returns_grid_value_and_table(small):
    grid = [1e-4, 1e-2]
    fc = T.FitConfig(epochs=2, batch_size=64)
    best, table = E.select_lr(tiny_config(), small, fc, grid, _seed_list(2))
    assert best in grid
    assert [row["lr"] for row in table] == grid
    assert all(set(row) == {"lr", "median_epochs_to_target", "median_val_loss"} for row in table)
    # No target: every row has inf epochs, so the best median validation loss wins.
    assert all(row["median_epochs_to_target"] == math.inf for row in table)
    assert best == min(table, key=lambda row: row["median_val_loss"])["lr"]
    assert fc.lr == 1e-3  # the caller's config is not mutated


def test_select_lr_prefers_fewest_epochs_to_target(small):
    grid = [1e-5, 1e-2]
    fc = T.FitConfig(epochs=3, batch_size=64, target=("val_acc", 0.5))
    best, table = E.select_lr(tiny_config(), small, fc, grid, _seed_list(2))
    assert table[0]["median_epochs_to_target"] == math.inf  # lr 1e-5 cannot reach 50% in 3 epochs
    assert table[1]["median_epochs_to_target"] < math.inf
    assert best == 1e-2


def test_resume_keeps_the_best_weights_seen_before_the_checkpoint(tmp_path, small, seeds):
    # A rate high enough that validation loss worsens after the early epochs: the best epoch predates epoch 4.
    cfg = tiny_config()
    fc = T.FitConfig(epochs=6, batch_size=64, lr=0.1, patience=10, checkpoint_dir=tmp_path, checkpoint_every=1)
    full = T.fit(build(cfg, seeds), small, fc, seeds)
    assert full.best_epoch is not None and full.best_epoch <= 4, "precondition: the best epoch predates the checkpoint"
    resumed = T.fit(build(cfg, seeds), small, fc, seeds, resume_from=tmp_path / "epoch-0004.pt")
    assert resumed.best_epoch == full.best_epoch
    assert resumed.metric("val_loss") == pytest.approx(full.metric("val_loss"), abs=1e-6)
    for key, value in full.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[key], value, atol=1e-5, rtol=1e-5)


def test_fit_leaves_frozen_parameters_out_and_refuses_a_fully_frozen_model(small, seeds):
    model = build(tiny_config(), seeds)
    for p in model.hidden.parameters():
        p.requires_grad_(False)
    frozen = copy.deepcopy(model.hidden.state_dict())
    T.fit(model, small, T.FitConfig(epochs=1, batch_size=64, optimizer="adamw", optimizer_params={"weight_decay": 0.5}),
          seeds)
    # Frozen weights stay exactly as they were, even under decoupled weight decay.
    assert all(torch.equal(frozen[k], v) for k, v in model.hidden.state_dict().items())
    for p in model.parameters():
        p.requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        T.fit(model, small, T.FitConfig(epochs=1), seeds)


@pytest.mark.parametrize("make, match", [
    (lambda: T.FitConfig(clip_value=True), "clip_value=True"),
    (lambda: T.FitConfig(clip_norm="1"), "clip_norm='1'"),
    (lambda: M.MLPConfig(64, 10, input_batch_norm="yes"), "input_batch_norm='yes'"),
    (lambda: M.MLPConfig(64, 10, bn_momentum="0.1"), "bn_momentum='0.1'"),
])
def test_configs_reject_wrongly_typed_values_with_a_clear_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_fit_checks_labels_against_any_models_output_width(seeds):
    split = D.load_digits(seed=0, labels=range(5, 10), relabel=False)
    model = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 5))
    with pytest.raises(ValueError, match=r"labels \[5, 6, 7, 8, 9\] are outside the range of a 5-way output head"):
        T.fit(model, split, T.FitConfig(epochs=1), seeds)
    assert model.training  # the width probe restores the mode it found


def test_param_groups_of_another_model_are_refused(small, seeds):
    a, b = build(tiny_config(), seeds), build(tiny_config(), seeds)
    fc = T.FitConfig(epochs=1, param_groups=lambda model: [{"params": list(a.parameters())}])
    with pytest.raises(ValueError, match="not this model's"):
        T.fit(b, small, fc, seeds)


def test_param_groups_may_hand_generators(small, seeds):
    model = build(tiny_config(), seeds)
    before = model.head.weight.detach().clone()
    fc = T.FitConfig(epochs=1, param_groups=lambda m: [{"params": m.head.parameters(), "lr": 1e-2}])
    T.fit(model, small, fc, seeds)
    assert not torch.equal(model.head.weight, before)
