"""The report: `--compare` shows a verdict flip between two hand-made result sets, the tables and markdown render,
plots are written when matplotlib is installed and the run says how to get them when it is not."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dnnkit import plots, report
from dnnkit.results.storage import load_results


def _record(claim_id: str, verdict: str, estimate: float, p: float, *, reason: str | None = None,
            notes: dict | None = None) -> dict:
    """A claims.json record as the plugin writes it (one sub-decision, directional)."""
    decision = {"kind": "directional", "test": "Mann-Whitney U", "verdict": verdict, "reason": reason,
                "statistic": 60.0, "p_value": p, "p_opposite": 1 - p,
                "effect": {"estimate": estimate, "ci_low": estimate - 0.02, "ci_high": estimate + 0.02,
                           "ci_level": 0.9},
                "effect_name": "Hodges-Lehmann shift (A-B)", "n_a": 8, "n_b": 8, "alpha": 0.05}
    return {
        "claim": {"id": claim_id, "section": "batch norm", "sentence": f"{claim_id} holds.", "source": "test",
                  "kind": "directional", "metric": "final validation accuracy", "direction": "greater",
                  "arms": ["bn", "plain"], "delta": 0.01, "design": "independent", "seeds": {"quick": 8, "full": 20},
                  "amendments": []},
        "id": claim_id, "test": f"ablations/test_x.py::test_{claim_id}", "profile": "quick", "seed_base": 0,
        "n_seeds": 8, "device": "cpu", "mode": "sequential", "verdict": verdict, "reason": reason, "p_value": p,
        "decisions": [{"label": "bn vs plain", "kind": "directional", "direction": "greater", "delta": 0.01,
                       "values": {"bn": [0.9] * 8, "plain": [0.8] * 8}, "decision": decision}],
        "runs": [], "notes": notes or {}, "wall_s": 1.5, "outcome": "passed", "q_bh": p, "p_holm": p,
        "bh_flag": False,
    }


def _claims_file(path: Path, records: list[dict], dnnkit: str = "0.1.0", commit: str = "aaa") -> Path:
    meta = {"dnnkit": dnnkit, "torch": "2.13.0", "python": "3.11.7", "device": "cpu", "profile": "quick",
            "seed_base": 0, "git_commit": commit, "date": "2026-01-01", "cpu": "test"}
    path.mkdir(parents=True, exist_ok=True)
    (path / "claims.json").write_text(json.dumps({"schema": 1, "meta": meta, "claims": records}))
    return path / "claims.json"


@pytest.fixture
def two_sets(tmp_path: Path) -> tuple[Path, Path]:
    """OLD: both claims confirmed. NEW: bn-faster-convergence is no longer reproduced, bn-eval keeps its verdict."""
    old = _claims_file(tmp_path / "old", [_record("bn-faster-convergence", "confirmed", 0.10, 0.001),
                                          _record("bn-eval-uses-moving-stats", "confirmed", 0.30, 0.0002)])
    new = _claims_file(tmp_path / "new", [
        _record("bn-faster-convergence", "not reproduced", 0.01, 0.30, reason="inconclusive"),
        _record("bn-eval-uses-moving-stats", "confirmed", 0.31, 0.0001),
        _record("dropout-slows-convergence", "confirmed", 2.0, 0.01)], commit="bbb")
    return old, new


# ------------------------------------------------------------------------------------------------------------
# --compare
# ------------------------------------------------------------------------------------------------------------


def test_compare_shows_the_verdict_flip(two_sets, capsys: pytest.CaptureFixture) -> None:
    old, new = two_sets
    assert report.main(["--compare", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "1 verdict flip" in out
    assert "confirmed -> not reproduced (inconclusive) (FLIP)" in out
    assert "bn-eval-uses-moving-stats" in out and "new claims: dropout-slows-convergence" in out
    assert "commit aaa" in out and "commit bbb" in out


def test_compare_effect_changes(two_sets) -> None:
    old, new = (report.load_results(p) for p in two_sets)
    cmp = report.compare_results(old, new)
    assert cmp.flips == ["bn-faster-convergence"]
    change = {c.claim: c for c in cmp.changes}
    flipped, kept = change["bn-faster-convergence"], change["bn-eval-uses-moving-stats"]
    assert (flipped.old_effect, flipped.new_effect) == (0.10, 0.01) and flipped.outside_old_ci
    assert not kept.flipped and not kept.outside_old_ci
    assert report._delta(flipped) == "-0.09 (outside old CI)"


def test_compare_fail_on_flip_and_markdown(two_sets, tmp_path: Path) -> None:
    old, new = two_sets
    out = tmp_path / "md"
    assert report.main(["--compare", str(old), str(new), "--fail-on-flip", "--markdown", str(out)]) == 1
    text = (out / "changes.md").read_text()
    assert "Verdict flips: bn-faster-convergence." in text
    assert "**confirmed -> not reproduced (inconclusive) (flip)**" in text


def test_compare_refuses_incompatible_versions(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    old = _claims_file(tmp_path / "old", [_record("a", "confirmed", 1.0, 0.01)], dnnkit="0.1.0")
    new = _claims_file(tmp_path / "new", [_record("a", "refuted", -1.0, 0.99)], dnnkit="0.2.0")
    with pytest.raises(SystemExit):
        report.main(["--compare", str(old), str(new)])
    assert "incompatible dnnkit versions (0.1.0 vs 0.2.0)" in capsys.readouterr().err
    assert report.main(["--compare", str(old), str(new), "--allow-incompatible"]) == 0
    assert "confirmed -> refuted" in capsys.readouterr().out


def test_compare_refuses_non_result_files(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "other.json").write_text(json.dumps({"schema": 99, "claims": []}))
    good = _claims_file(tmp_path / "good", [])
    with pytest.raises(SystemExit):
        report.main(["--compare", str(tmp_path / "other.json"), str(good)])
    assert "not a dnnkit result set" in capsys.readouterr().err


def test_compare_notes_differing_setups(tmp_path: Path) -> None:
    old = report.load_results(_claims_file(tmp_path / "o", [_record("a", "confirmed", 1.0, 0.01)]))
    new = report.load_results(_claims_file(tmp_path / "n", [_record("a", "confirmed", 1.0, 0.01)]))
    new["meta"]["seed_base"] = 7
    assert report.compare_results(old, new).warnings == ["seed_base differs: 0 -> 7"]


# ------------------------------------------------------------------------------------------------------------
# tables and markdown
# ------------------------------------------------------------------------------------------------------------


def _bench_payload() -> dict:
    def bench(name: str, param: str, median: float, group: str, **extra) -> dict:
        return {"name": f"test_{name}[{param}]", "fullname": f"ablations/bench_kernels.py::test_{name}[{param}]",
                "group": group, "param": param, "extra_info": extra,
                "stats": {"min": median, "max": median, "mean": median, "median": median, "iqr": median / 10,
                          "rounds": 20, "iterations": 2}}

    gate = {"ratio": 1.02, "p_value": 0.3, "regressed": False}
    return {"machine_info": {"cpu": {"brand_raw": "Test CPU"}, "device": "cpu", "torch": "2.13.0",
                             "torch_threads": 1, "python_version": "3.11.7", "timer": "process CPU time"},
            "commit_info": {"id": "abc"}, "datetime": "2026-01-01",
            "benchmarks": [bench("act", "relu", 150e-6, "activation forward"),
                           bench("act", "elu", 3e-3, "activation forward"),
                           bench("train", "32", 1.5e-3, "training step", samples=32, samples_per_s=21000.0),
                           bench("gate", "fold", 2e-3, "regression gate", gate=gate)]}


def test_default_report_renders_claims_and_benchmarks(two_sets, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    results = two_sets[1].parent
    (results / "benchmarks").mkdir()
    (results / "benchmarks" / "latest.json").write_text(json.dumps(_bench_payload()))
    baseline = _bench_payload()
    baseline["benchmarks"][1]["stats"]["median"] = 1e-3  # elu now 3x the baseline: flagged
    (results / "benchmarks" / "baseline.json").write_text(json.dumps(baseline))
    assert report.main(["--results", str(results), "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "dnnkit claims" in out and "bn-faster-convergence" in out
    assert "activation forward" in out and "20.00" in out  # elu / relu in one run
    assert "3.00 REGRESSION" in out and "x1.020 p=0.3 ok" in out and "2.1e+04" in out
    md = (results / "benchmarks.md").read_text()
    assert "## activation forward" in md and "| elu | 3 ms |" in md
    assert (results / "claims.md").read_text().startswith("# dnnkit claims")


def _harness_payload(ensemble_2proc: float, fit_ratio: float) -> dict:
    """A bench_ensemble.py record with three rows."""
    def ratio(median: float, clock: str = "cpu") -> dict:
        return {"median_ratio": median, "q25_ratio": median - 0.1, "q75_ratio": median + 0.1, "rounds": 7,
                "median_a_us": 1.5e6, "median_b_us": 1.5e6 / median, "median_ratio_wall": median, "clock": clock}
    return {"workload": {"k": 16, "epochs": 2, "batch_size": 32, "rounds": 7, "net": "5x100 ELU",
                         "data": "digits"},
            "provenance": {"git_commit": "abc", "date": "2026-11-23", "cpu": "AMD EPYC"},
            "goals": {"ensemble_speedup": 5.0, "fit_overhead": 0.05},
            "ratios": {"sequential / ensemble": ratio(2.2),
                       "sequential / ensemble over 2 processes (whole machine, wall clock)": ratio(ensemble_2proc,
                                                                                                   "wall"),
                       "fit / hand loop": ratio(fit_ratio)}}


@pytest.mark.parametrize("two_proc, fit_ratio, verdicts", [(3.4, 1.01, ("not met", "met")),
                                                           (5.2, 1.08, ("met", "not met"))])
def test_report_shows_the_harness_speed_against_its_goals(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                          two_proc, fit_ratio, verdicts) -> None:
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "ensemble.json").write_text(json.dumps(_harness_payload(two_proc, fit_ratio)))
    assert report.main(["--results", str(tmp_path), "--markdown"]) == 0
    assert "dnnkit harness speed" in capsys.readouterr().out
    md = (tmp_path / "benchmarks.md").read_text()
    assert "## Harness speed" in md
    row = {line.split(" | ")[0].lstrip("| "): line for line in md.splitlines() if line.startswith("| ")}
    assert row["sequential / ensemble over 2 processes (whole machine, wall clock)"].endswith(
        f">= 5x: {verdicts[0]} |")
    assert row["fit / hand loop"].endswith(f"<= 1.05: {verdicts[1]} |")
    assert row["sequential / ensemble"].endswith("|  |")  # no goal on the one-core row
    assert "K=16, batch 32" not in md  # a record without kernel floors has no per-step table


def test_report_shows_each_ensemble_step_beside_its_floor(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    payload = _harness_payload(3.4, 1.01)
    payload["steps"] = {"K=16, batch 32": {
        "sequential_fit_ms_per_member_step": 1.0, "ensemble_ms_per_step": 4.8, "ensemble_fused_ms_per_step": 4.0,
        "gemm_floor_ms_per_step": 2.7, "floor_ms_per_step": 4.6, "floor_fused_ms_per_step": 3.7,
        "ceiling_ratio": 16 / 4.6, "ceiling_ratio_fused": 16 / 3.7, "ceiling_ratio_processes": 6.2,
        "ceiling_ratio_processes_fused": 7.8}}
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "ensemble.json").write_text(json.dumps(payload))
    assert report.main(["--results", str(tmp_path), "--markdown"]) == 0
    assert "beside its kernel floor" in capsys.readouterr().out
    md = (tmp_path / "benchmarks.md").read_text()
    assert "| K=16, batch 32 | 1.00 | 4.80 / 4.60 | 4.00 / 3.70 | 2.70 | 3.48x / 4.32x | 6.20x / 7.80x |" in md


def test_a_broken_harness_record_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "ensemble.json").write_text(json.dumps({"ratios": {}}))
    with pytest.raises(SystemExit):
        report.main(["--results", str(tmp_path)])
    assert "not a bench_ensemble.py record (needs 'workload' and 'ratios')" in capsys.readouterr().err


def test_report_with_nothing_to_show(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert report.main(["--results", str(tmp_path)]) == 1
    assert "nothing to show" in capsys.readouterr().out


def test_progress_line() -> None:
    record = _record("bn-faster-convergence", "confirmed", 0.1, 0.001)
    line = report.progress_line(record, 3, 13, color=False)
    assert line.startswith("[3/13] bn-faster-convergence") and "16/16 seeds" in line and "confirmed" in line
    failed = {**record, "outcome": "failed", "runs": [{}] * 5}
    assert "5/16 seeds" in report.progress_line(failed, 4, color=False)


# ------------------------------------------------------------------------------------------------------------
# the one-line claims table and `dnnkit --claim`
# ------------------------------------------------------------------------------------------------------------

LONG_ID = "unsupervised-pretraining-helps-few-labels"  # the catalog's longest id (41 characters)
EXPECT = {"verdicts": ["confirmed", "not reproduced"], "why": "the effect is within the noise at quick scale",
          "declared": "2026-12-02 at abc1234"}


def _table_records() -> list[dict]:
    """Records that push every column: the longest id, a declared expectation, a miss, several gating
    comparisons with a sensitivity one, long effects, a multiplicity flag and stability over five bases."""
    confirmed = _record("bn-faster-convergence", "confirmed", 0.1, 0.001)
    declared = _record("zero-init-symmetry", "not reproduced", -0.0200001, 0.111, reason="inconclusive")
    declared["claim"]["expect"] = EXPECT
    declared["expected"], declared["as_expected"] = EXPECT["verdicts"], True
    missed = _record(LONG_ID, "not reproduced", 1234.5678, 0.30, reason="absent")
    missed["as_expected"], missed["bh_flag"], missed["q_bh"] = False, True, 0.0612
    missed["decisions"][0]["decision"]["effect"].update(ci_low=-123456.7, ci_high=0.000123)
    missed["decisions"].append({**missed["decisions"][0], "label": "a setup set aside", "role": "sensitivity",
                                "sensitivity": "the chapter's default learning rate"})
    missed["claim"]["amendments"] = ["2026-12-03: delta 0.01 -> 0.02 Why: the pilot's noise. Decided again on "
                                     "seed base 200."]
    multi = _record("activation-ranking", "refuted", -0.05, 0.98)
    multi["decisions"] = [{**multi["decisions"][0], "label": f"pair {i}"} for i in range(5)]
    multi["decisions"][3]["decision"] = {**multi["decisions"][3]["decision"], "verdict": "confirmed"}
    records = [confirmed, declared, missed, multi]
    verdicts = {0: "confirmed", 1: "confirmed", 2: "confirmed", 3: "not reproduced", 4: "not reproduced"}
    for i, r in enumerate(records):
        r.setdefault("as_expected", True)
        per_base = {str(b): (v if i == 2 else r["verdict"]) for b, v in verdicts.items()}
        agree = max(list(per_base.values()).count(v) for v in per_base.values())
        r["stability"] = {"verdicts": per_base, "bases": 5, "agree": agree, "stable_at": 4, "as_expected": agree,
                          "amendment_bases": {"200": "confirmed"} if i == 2 else {}}
    return records


def test_terminal_table_has_one_line_per_claim_at_120_columns() -> None:
    from dnnkit.results import table

    records = _table_records()
    meta = {"profile": "quick", "seed_base": 0, "device": "cpu", "stability": {"stable_at": 4},
            "untested_claims": ["dying-relu"]}
    text = table.render_claims(records, meta, width=120)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 120
    head = next(i for i, line in enumerate(lines) if line.startswith("claim"))
    assert lines[head].split() == ["claim", "verdict", "bases", "effect", "[CI]", "p", "q", "(BH)"]
    body = lines[head + 2:head + 2 + len(records)]
    for record, line in zip(records, body, strict=True):  # one line each, in order, none wrapped
        assert line.startswith(record["id"][:38])
    assert lines[head + 2 + len(records)].startswith("verdicts other than declared")
    assert "confirmed ✓" in body[0] and "5/5" in body[0] and "0.1 [0.08, 0.12]" in body[0]
    assert "not reproduced ✓ (declared)" in body[1]
    assert "not reproduced ✗ (expected confirmed)" in body[2] and "3/5!" in body[2] and "0.061!" in body[2]
    # The first failing comparison decides; the effect column gives up its tail first, the longest id next.
    assert "refuted ✓" in body[3] and "-0.05 [-0.07, -0.…" in body[3]
    assert body[2].startswith("unsupervised-pretraining-helps-few-lab… ")
    footer = "\n".join(lines[head + 2 + len(records):])
    assert f"these tests failed):[/] {LONG_ID}" not in footer and f"these tests failed): {LONG_ID}" in footer
    assert "dnnkit --claim ID" in footer and "q!:" in footer and "fewer than 4 (unstable)" in footer
    # Narrower terminals truncate (an ellipsis), never wrap: still one line per claim.
    narrow = table.render_claims(records, meta, width=80).splitlines()
    assert max(len(line) for line in narrow[:head + 2 + len(records)]) <= 80
    assert [line.split()[0][:20] for line in narrow[head + 2:head + 2 + len(records)]] == [r["id"][:20] for r in records]
    assert narrow[head + 2 + len(records)].startswith("verdicts other than declared")
    assert "…" in "\n".join(narrow)


def test_old_records_without_expectations_still_render() -> None:
    from dnnkit.results import table

    record = _record("bn-faster-convergence", "confirmed", 0.1, 0.001)  # no as_expected: before issue 15
    assert table.cells(record)["verdict"] == "confirmed"
    assert table.cells({**record, "verdict": None, "decisions": []})["verdict"] == "error ✗ (expected confirmed)"
    assert table.cells({**record, "decisions": []})["effect"] == "-"


def test_claim_shows_one_claim_in_full(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _claims_file(tmp_path, _table_records())
    assert report.main(["--results", str(tmp_path), "--claim", LONG_ID]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{LONG_ID} (batch norm): not reproduced ✗ (expected confirmed)")
    for text in (f'"{LONG_ID} holds."', "kind directional, direction greater, design independent, delta 0.01",
                 "metric: final validation accuracy", "expected: confirmed (the chapter's prediction)",
                 "amendments:", "delta 0.01 -> 0.02", "verdict not reproduced (absent): p 0.3",
                 "not robust to multiplicity", "comparisons (2):", "bn vs plain [gating]: not reproduced",
                 "a setup set aside [sensitivity, not gating: the chapter's default learning rate]",
                 "Hodges-Lehmann shift (A-B) 1.23e+03 [-1.23e+05, 1.23e-04] (90% CI)", "bn (8): 0.9, 0.9",
                 "stability over seed bases: 3/5", "base 3: not reproduced", "amendment base 200: confirmed"):
        assert text in out, text
    assert report.main(["--results", str(tmp_path), "--claim", "zero-init-symmetry"]) == 0
    out = capsys.readouterr().out
    assert "expected: not refuted (declared 2026-12-02 at abc1234)" in out and EXPECT["why"] in out


def test_claim_unknown_id_names_close_matches(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _claims_file(tmp_path, _table_records())
    with pytest.raises(SystemExit) as exit_info:
        report.main(["--results", str(tmp_path), "--claim", "bn-faster-convergenc"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "no claim 'bn-faster-convergenc'" in err and "close matches: bn-faster-convergence" in err
    assert "run `dnnkit`" in err
    with pytest.raises(SystemExit):
        report.main(["--results", str(tmp_path), "--claim", "zzz"])
    assert "no close match" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        report.main(["--results", str(tmp_path / "missing"), "--claim", "x"])
    assert "cannot read dnnkit results" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------------------
# plots
# ------------------------------------------------------------------------------------------------------------


def _plot_results(tmp_path: Path) -> Path:
    notes_dead = {"dead_units_per_seed": {"relu": [170, 180], "elu": [0, 0]}}
    notes_selu = {"lecun standardized seed0 mean/std every 5 layers": [[0.0, 0.95], [0.01, 1.0]],
                  "matched_variance_by_layer_seed0": {"tanh": [0.3, 0.2, 0.1]}}
    notes_prune = {"accuracy_vs_sparsity": {"sparsity": [0.0, 0.5, 0.9], "accuracy": [0.95, 0.94, 0.6]}}
    notes_batch = {"objective_curves": {"batch 1": {"steps": [0, 10, 20], "objective": [2.3, 0.4, 0.5]},
                                        "full batch": {"steps": [0, 10, 20], "objective": [2.3, 0.6, 0.45]},
                                        "broken": {"steps": [0, 10], "objective": [1.0]}}}  # lengths differ: left out
    _claims_file(tmp_path, [_record("dying-relu", "confirmed", 0.3, 0.001, notes=notes_dead),
                            _record("selu-self-normalizes", "confirmed", -4.0, 0.001, notes=notes_selu),
                            _record("pruning-small-weights", "confirmed", 0.1, 0.01, notes=notes_prune),
                            _record("sgd-batch1-noisy", "confirmed", 0.01, 0.001, notes=notes_batch)])
    rng = np.random.default_rng(0)
    rows = [{"claim": "bn-faster-convergence", "arm": arm, "rep": rep, "epoch": e,
             "train_loss": 2.0 / e + rng.uniform(0, 0.1), "val_loss": 1.0, "val_acc": 0.5 + 0.05 * e}
            for arm in ("bn", "plain") for rep in range(3) for e in range(1, 6)]
    rows[0]["train_loss"] = float("inf")  # a diverged epoch stays in the table; the band leaves it out
    pd.DataFrame(rows).to_csv(tmp_path / "runs.csv", index=False)
    return tmp_path


def test_plots_written_with_matplotlib(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    result = plots.write_plots(_plot_results(tmp_path))
    names = sorted(p.name for p in result.written)
    assert names == ["activation_std_by_layer.png", "curves_batch_norm.png", "dead_units.png",
                     "minibatch_objective.png", "sparsity_vs_accuracy.png"]
    assert plots._objective_series(load_results(tmp_path)["claims"]) == [
        ("sgd-batch1-noisy", {"batch 1": ([0, 10, 20], [2.3, 0.4, 0.5]),
                              "full batch": ([0, 10, 20], [2.3, 0.6, 0.45])})]
    for path in result.written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(result.skipped) == {"curves_optimizers.png", "curves_schedules.png", "curves_dropout.png"}
    assert "3 plot(s) skipped" not in result.summary() and "skipped curves_dropout.png" in result.summary()


def test_plots_skip_missing_evidence(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    _claims_file(tmp_path, [_record("bias-zero-ok", "confirmed", 0.0, 0.01)])
    result = plots.write_plots(tmp_path)
    assert result.written == [] and len(result.skipped) == 8


def test_plots_message_without_matplotlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture) -> None:
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)  # makes `import` raise ImportError
    results = _plot_results(tmp_path)
    assert not plots.have_matplotlib()
    with pytest.raises(plots.PlotsUnavailable, match=r'pip install -e "\.\[plots\]"'):
        plots.write_plots(results)
    assert plots.plots_or_hint(results) == f"dnnkit: {plots.PLOTS_HINT}"
    assert report.main(["--results", str(results), "--plots"]) == 0
    assert 'pip install -e ".[plots]"' in capsys.readouterr().out
    assert not list(results.glob("*.png"))
