"""Section: summary and practical guidelines (the default configuration, the self-normalizing one, the
low-latency recipe).

Each test is one claim of dnnkit/catalog/guidelines.py; the claim's sentence is in its docstring. The design and
the pilot numbers that fixed it are in that catalog's docstring.
"""

from __future__ import annotations

import copy

import pytest
import torch

from dnnkit.evidence.timing import ratio_summary
from dnnkit.nn.low_latency import low_latency, quantize_int8
from dnnkit.train.experiment import replace_fit
from dnnkit.train.holdout import split_validation
from dnnkit.train.random_search import found_one_cycle, random_search, sample_configs
from dnnkit.train.training import evaluate


def _test_acc(runs, split) -> list[float]:
    return [evaluate(r.model, split.X_test, split.y_test)[1] for r in runs.results]


def _rounded(values, digits: int = 3):
    if isinstance(values, dict):
        return {k: _rounded(v, digits) for k, v in values.items()}
    return [round(float(v), digits) for v in values]


@pytest.mark.claim("default-config-competitive")
def test_default_config_competitive(claim, digits500, data_seed):
    """Default DNN configuration: He initialization, ELU, none if shallow / batch norm if deep, early stopping,
    momentum optimization, 1cycle."""
    k = claim.knobs
    split = claim.on_device(split_validation(digits500, k.test_fraction, seed=data_seed))
    default_fit, lr = found_one_cycle(k.net, split, k.fit, claim.pilot_seeds(1, "lr finder")[0], k.finder_steps)
    candidates = sample_configs(k.space, k.net, replace_fit(k.fit, patience=None),
                                k.n_configs, seed=claim.pilot_seeds(1, "search")[0].init)
    best, table = random_search(candidates, split, claim.pilot_seeds(k.pilot_seeds, "search"))
    runs = claim.train({"default": k.net, best.name: best.net}, split,
                       {"default": default_fit, best.name: best.fit})
    test = {arm: _test_acc(ar, split) for arm, ar in runs.items()}
    claim.note(finder_lr=lr, search=table, best=best.name, test_acc=_rounded(test),
               search_size=f"{k.n_configs} configs ({claim.profile} profile; the full profile runs 20)")
    claim.decide([a + k.margin for a in test["default"]], test[best.name],
                 label=f"test accuracy: default + {k.margin} vs the search's best ({best.name})")


@pytest.mark.claim("self-normalizing-config-competitive")
def test_self_normalizing_config_competitive(claim, digits500, data_seed):
    """DNN configuration for a self-normalizing net: LeCun initialization, SELU, no normalization
    (self-normalization), alpha dropout if needed."""
    k = claim.knobs
    split = claim.on_device(split_validation(digits500, k.test_fraction, seed=data_seed))
    nets = {"self-normalizing": k.sn_net, "default": k.default_net, "sigmoid control": k.control_net}
    found = {arm: found_one_cycle(net, split, k.fit, claim.pilot_seeds(1, "lr finder")[0], k.finder_steps)
             for arm, net in nets.items()}
    runs = claim.train(nets, split, {arm: fc for arm, (fc, _) in found.items()})
    test = {arm: _test_acc(ar, split) for arm, ar in runs.items()}
    claim.note(finder_lr={arm: lr for arm, (_, lr) in found.items()}, test_acc=_rounded(test))
    claim.decide([a + k.margin for a in test["self-normalizing"]], test["default"],
                 label=f"test accuracy: self-normalizing + {k.margin} vs default (deep, BN)")
    claim.decide(test["sigmoid control"], [d - k.margin for d in test["default"]], direction="less",
                 arms=("sigmoid control", f"default - {k.margin}"),
                 control=True,
                 label=f"positive control: sigmoid net below the default by more than {k.margin}")


def _faster_and_as_accurate(claim, names: tuple[str, str], models: dict[str, list], val, X,
                            batches: tuple[int, int], acc_margin: float, reference_acc: list[float] | None = None,
                            why: str = "") -> None:
    """The shape of both low-latency claims: each arm's models (one per trained seed) scored on validation, the
    first pair timed interleaved at batches[0] (gating) and batches[1] (sensitivity `why`), and the accuracies
    decided equivalent within acc_margin (TOST, paired). reference_acc replaces the reference arm's accuracies."""
    fast, ref = names
    acc = {arm: [evaluate(m, val.X_val, val.y_val)[1] for m in ms] for arm, ms in models.items()}
    if reference_acc is not None:
        acc[ref] = reference_acc
    timed = {}
    with torch.no_grad():
        for batch in batches:
            rows = X[:batch]
            fns = {arm: lambda r=rows, m=models[arm][0]: m(r) for arm in names}
            timed[batch] = claim.time(fns, rounds=claim.n_seeds, label=f"forward, batch {batch}")
    claim.note(val_acc=_rounded(acc), torch_threads=torch.get_num_threads(),
               **{f"batch_{b}": ratio_summary(t[fast], t[ref]) for b, t in timed.items()})
    gate, other = batches
    claim.decide(timed[gate][fast], timed[gate][ref], label=f"forward, batch {gate}: {fast} / {ref}")
    claim.decide(acc[fast], acc[ref], kind="equivalence", design="paired", delta=acc_margin,
                 label=f"validation accuracy within {acc_margin} (TOST)")
    claim.decide(timed[other][fast], timed[other][ref], label=f"forward, batch {other}: {fast} / {ref}",
                 sensitivity=why)


@pytest.mark.claim("low-latency-recipe")
def test_low_latency_recipe(claim, digits500, digits):
    """Need a low latency model: fold Batch Normalization layers into previous layers and use a faster activation
    function like leaky ReLU."""
    k = claim.knobs
    arms = {"BN + ELU": k.net, "leaky ReLU": k.net.replace(activation="leaky_relu",
                                                           activation_params={"alpha": k.leaky_slope})}
    runs = claim.train(arms, digits500, k.fit, seeds=claim.seeds(n=k.train_seeds))
    models = {"folded leaky ReLU": [low_latency(r.model) for r in runs["leaky ReLU"].results],
              "BN + ELU": [r.model.eval() for r in runs["BN + ELU"].results]}
    _faster_and_as_accurate(claim, ("folded leaky ReLU", "BN + ELU"), models, claim.on_device(digits500),
                            claim.on_device(digits).X_train, (k.batch, k.throughput_batch), k.acc_margin,
                            why="throughput on all training rows instead of latency at batch 1")


@pytest.mark.claim("reduced-precision-faster")
def test_reduced_precision_faster(claim, digits500, digits):
    """Need a low latency model: reduce float precision."""
    k = claim.knobs
    runs = claim.train({"float32": k.net}, digits500, k.fit, seeds=claim.seeds(n=k.train_seeds))["float32"]
    # CPU copies: dynamic int8 quantization runs on the CPU only.
    models = {"int8 dynamic": [quantize_int8(r.model) for r in runs.results],
              "float32": [copy.deepcopy(r.model).to("cpu").eval() for r in runs.results]}
    _faster_and_as_accurate(claim, ("int8 dynamic", "float32"), models, digits500.to("cpu"),
                            digits.X_train.to("cpu"), (k.batch, k.latency_batch), k.acc_margin,
                            reference_acc=runs.values("val_acc"),
                            why="latency at batch 1, where quantizing the activations on the fly costs more than "
                                "the int8 products save")
