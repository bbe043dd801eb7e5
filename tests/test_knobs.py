"""Design knobs: QuickFull resolves per profile (nested configs too), the prose check finds a missing number and is
not fooled by a number inside another, claims.json carries the knobs, and a claim test reads them resolved."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from dnnkit import Claim
from dnnkit.evidence.claimrun import ClaimRun
from dnnkit.evidence.knobs import QuickFull, as_data, fmt, for_profile, is_stated, unstated
from dnnkit.nn.models import MLPConfig
from dnnkit.train.training import FitConfig


@dataclass(frozen=True)
class Demo:
    net: QuickFull[MLPConfig]
    fit: FitConfig
    epochs: QuickFull[int]
    rounds: QuickFull[int]
    grid: tuple[float, ...]


DEMO = Demo(net=QuickFull(MLPConfig(n_inputs=64, n_outputs=10, depth=3, width=50),
                          MLPConfig(n_inputs=64, n_outputs=10, depth=6, width=50)),
            fit=FitConfig(epochs=10, batch_size=64, target=("val_acc", 0.95)), epochs=QuickFull(10, 30),
            rounds=QuickFull(40, 100), grid=(1e-3, 3e-3))
TEXT = "3 x 50 ELU quick (6 full), batch 64, 10 epochs quick / 30 full to val accuracy 0.95, 40 rounds (100 full), " \
       "rates 1e-3 and 0.003"


def test_quick_full_resolves_per_profile_including_nested_configs() -> None:
    quick, full = for_profile(DEMO, "quick"), for_profile(DEMO, "full")
    assert (quick.net.depth, quick.epochs, quick.rounds) == (3, 10, 40)
    assert (full.net.depth, full.epochs, full.rounds) == (6, 30, 100)
    assert quick.grid == DEMO.grid and quick.fit.target == ("val_acc", 0.95)
    with pytest.raises(ValueError, match="'fast'.*quick, full"):
        QuickFull(1, 2).at("fast")


def test_every_knob_stated_passes_and_a_missing_one_is_named() -> None:
    assert unstated(DEMO, TEXT) == []
    assert unstated(DEMO, TEXT.replace("batch 64", "batch 32")) == ["fit.batch_size=64"]
    assert unstated(DEMO, TEXT.replace("40 rounds", "rounds")) == ["rounds.quick=40"]
    assert unstated(DEMO, TEXT.replace("(6 full)", "")) == ["net.full.depth=6"]


def test_a_number_is_found_only_as_a_whole_token() -> None:
    assert is_stated(0.1, "lr 0.1, batch 64")
    assert not is_stated(0.1, "lr 0.15") and not is_stated(0.1, "lr 10.1") and not is_stated(1, "10 epochs")
    assert is_stated(0.001, "Adam 1e-3") and is_stated(3e-4, "rate 3e-4") and is_stated(0.95, "95% of seeds")
    assert is_stated("he_normal", "He normal init") and is_stated("val_acc", "validation accuracy 0.9")
    assert fmt(1e-9) == "1e-9" and fmt(0.01) == "0.01" and fmt(64) == "64"


def test_config_defaults_and_data_widths_are_not_knobs_of_the_claim() -> None:
    data = as_data(DEMO)
    assert data["net"] == {"quick": {"depth": 3, "width": 50}, "full": {"depth": 6, "width": 50}}
    assert data["fit"]["target"] == ["val_acc", 0.95] and "optimizer" not in data["fit"]


def _claim(**kw) -> Claim:
    return Claim(id="demo", section="demo", sentence="s", source="src", kind="directional", metric=TEXT,
                 direction="greater", arms=("A", "B"), delta=0.0, **kw)


def test_a_claim_carries_knobs_and_its_run_reads_them_for_its_profile() -> None:
    claim = _claim(knobs=DEMO)
    assert claim.as_dict()["knobs"]["rounds"] == {"quick": 40, "full": 100}
    assert claim.fingerprint() != _claim().fingerprint()
    assert claim.fingerprint() != _claim(knobs=replace(DEMO, grid=(1e-3,))).fingerprint()
    for profile, rounds in (("quick", 40), ("full", 100)):
        run = ClaimRun(claim, profile=profile, n_seeds=2, seed_base=0, device="cpu", nodeid="t")
        assert run.knobs.rounds == rounds


def test_bad_knobs_are_refused_with_what_is_allowed() -> None:
    with pytest.raises(ValueError, match="knobs must be a dataclass instance.*got \\{'epochs': 10\\}"):
        _claim(knobs={"epochs": 10})
    with pytest.raises(ValueError, match="knobs must be a dataclass instance"):
        _claim(knobs=Demo)
    run = ClaimRun(_claim(), profile="quick", n_seeds=2, seed_base=0, device="cpu", nodeid="t")
    with pytest.raises(ValueError, match="'demo' declares no knobs"):
        run.knobs  # noqa: B018


def test_the_fingerprint_hashes_whole_configs_while_claims_json_keeps_what_the_claim_set() -> None:
    whole = as_data(DEMO, compact=False)
    assert whole["net"]["quick"]["bias_init"] == "zeros" and whole["net"]["quick"]["n_inputs"] == 64
    assert "bias_init" not in _claim(knobs=DEMO).as_dict()["knobs"]["net"]["quick"]
    changed = replace(DEMO, net=QuickFull(DEMO.net.quick.replace(bn_momentum=0.02), DEMO.net.full))
    assert _claim(knobs=changed).fingerprint() != _claim(knobs=DEMO).fingerprint()
