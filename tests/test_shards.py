"""`dnnkit merge`: a suite split into shards (pytest's own -k here, on separate machines in CI) and merged is the
set one run of the whole writes: same records, per-seed values, verdicts, BH and Holm, same per-epoch runs.csv rows.
Mixed shards (a claim in two, or another profile, seed base, --seeds, version or commit) are refused in one line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from dnnkit.report import main as dnnkit_main
from dnnkit.results import storage
from dnnkit.results.merge import MixedShards, check_shards, merge_runs_csv, merge_shards

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
ABLATIONS = [str(ROOT / "ablations" / f"test_{name}.py")
             for name in ("activations", "initialization", "batch_norm", "regularization")]
# Six cheap claims (exact checks and at-initialization statistics: no long training), three with a p-value so
# BH and Holm have something to adjust; split as three shards of two by test name.
SHARDS = (("leaky_relu_never_zero_gradient", "matched_init_preserves_variance"),
          ("std_normal_unstable_gradients", "bn_eval_uses_moving_stats"),
          ("sigmoid_saturation_vanishing", "alpha_dropout_keeps_self_normalization"))
TIMING_RUNS_COLUMNS = {"train_time_s"}  # with a record's wall_s, all that depends on the clock
INNER_ARGS = ("-p", "no:cacheprovider", "-p", "no:randomly", "--benchmark-disable", "-n", "0", "-q")


@pytest.fixture(autouse=True)
def _no_outer_xdist_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under an outer `pytest -n`, the inner sessions must not inherit the outer worker's xdist variables."""
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)


def _run(pytester: pytest.Pytester, names: tuple[str, ...], out: str) -> Path:
    """The ablation tests `names` in one inner session (a subprocess: torch cannot be imported twice in one)."""
    result = pytester.runpytest_subprocess(*INNER_ARGS, "--rootdir", str(ROOT), *ABLATIONS, "-k", " or ".join(names),
                                          "--results-dir", str(pytester.path / out))
    assert result.ret == 0, "\n".join(result.outlines[-30:])
    result.assert_outcomes(passed=len(names), deselected=None)
    return pytester.path / out


def _untimed(record: dict) -> dict:
    """A record without its clock readings: the wall time and each run's training time."""
    runs = [{k: v for k, v in run.items() if k not in TIMING_RUNS_COLUMNS} for run in record["runs"]]
    return {**{k: v for k, v in record.items() if k != "wall_s"}, "runs": runs}


def _rows(runs_csv: Path) -> list[dict[str, str]]:
    return [{k: v for k, v in row.items() if k not in TIMING_RUNS_COLUMNS}
            for row in csv.DictReader(io.StringIO(runs_csv.read_text()))]


def _evidence(claims_md: Path) -> str:
    """claims.md from its per-claim evidence on: what the records say, without the header's date and times."""
    return claims_md.read_text().split("## Evidence", 1)[1]


def test_three_shards_merged_equal_one_run_of_the_six_claims(pytester: pytest.Pytester) -> None:
    single = _run(pytester, tuple(n for shard in SHARDS for n in shard), "single")
    shards = [_run(pytester, names, f"shard-{i}") for i, names in enumerate(SHARDS)]
    assert dnnkit_main(["merge", *map(str, shards), "--out", str(pytester.path / "merged")]) == 0
    merged_dir = pytester.path / "merged"
    assert {p.name for p in merged_dir.iterdir()} >= {"claims.json", "claims.md", "runs.csv"}
    one, merged = storage.load_results(single), storage.load_results(merged_dir)  # hashes checked: one set

    assert len(one["claims"]) == 6
    assert [_untimed(r) for r in merged["claims"]] == [_untimed(r) for r in one["claims"]]
    # Each shard adjusted over its own two claims; the merge over all six, as the single run did.
    assert [(r["id"], r["q_bh"], r["p_holm"], r["bh_flag"]) for r in merged["claims"]] == [
        (r["id"], r["q_bh"], r["p_holm"], r["bh_flag"]) for r in one["claims"]]
    assert sum(r["p_value"] is not None for r in merged["claims"]) >= 3
    for key in ("profile", "seed_base", "seeds_override", "dnnkit", "git_commit", "device", "claims_run",
                "untested_claims"):
        assert merged["meta"][key] == one["meta"][key], key
    assert [s["dir"] for s in merged["meta"]["shards"]] == list(map(str, shards))
    assert [s["claims_run"] for s in merged["meta"]["shards"]] == [2, 2, 2]

    assert _rows(merged_dir / "runs.csv") == _rows(single / "runs.csv")
    assert _evidence(merged_dir / "claims.md") == _evidence(single / "claims.md")
    assert "Merged from 3 shards" in (merged_dir / "claims.md").read_text()


# ---------------------------------------------------------------- hand-made shards: refusals and adjustment

META = {"dnnkit": "0.1.0", "torch": "2.13.0+cpu", "python": "3.11.7", "device": "cpu", "git_commit": "abc123",
        "profile": "quick", "seed_base": 0, "seeds_override": None, "workers": "2", "date": "2026-12-02T10:00:00+00:00",
        "claims_run": 1, "untested_claims": [], "argv": ["ablations"]}


def _record(claim_id: str, p: float | None, verdict: str = "confirmed") -> dict:
    return {"id": claim_id, "test": f"ablations/test_x.py::test_{claim_id}", "verdict": verdict, "outcome": "passed",
            "p_value": p, "expected": ["confirmed"], "as_expected": verdict == "confirmed", "decisions": [],
            "n_seeds": 8, "mode": "ensemble", "wall_s": 1.0,
            "claim": {"section": "x", "kind": "directional", "sentence": "s", "source": "t", "metric": "m",
                      "direction": "greater", "design": "independent", "delta": 0.1},
            "history": [{"arm": "A", "rep": 0, "epoch": 1, "val_loss": p}]}


def _shard(claims: list[dict], **meta) -> dict:
    return {"schema": storage.SCHEMA, "meta": {**META, "claims_run": len(claims), **meta}, "claims": claims}


def test_bh_and_holm_are_recomputed_across_the_union() -> None:
    merged = merge_shards({"a": _shard([_record("b", 0.04), _record("c", None)]),
                           "b": _shard([_record("a", 0.01)])})
    # Two p-values, 0.01 and 0.04: BH q = (min(0.02, 0.04), 0.04), Holm = (2 * 0.01, max(0.02, 0.04)).
    assert [(r["id"], r["q_bh"], r["p_holm"]) for r in merged["claims"]] == [
        ("a", pytest.approx(0.02), pytest.approx(0.02)), ("b", pytest.approx(0.04), pytest.approx(0.04)),
        ("c", None, None)]
    assert merged["meta"]["claims_run"] == 3


def test_merged_meta_keeps_each_shards_provenance() -> None:
    merged = merge_shards({
        "s0": _shard([_record("a", 0.01)], untested_claims=["b", "z"], date="2026-12-02T11:00:00+00:00"),
        "s1": _shard([_record("b", 0.02)], untested_claims=["a", "z"], torch="2.12.0+cpu")})
    meta = merged["meta"]
    assert meta["untested_claims"] == ["z"]  # untested in a shard but run in another is tested
    assert meta["torch"] == "2.13.0+cpu / 2.12.0+cpu" and meta["device"] == "cpu"
    assert meta["date"] == "2026-12-02T11:00:00+00:00"
    assert [(s["dir"], s["torch"], s["claims_run"]) for s in meta["shards"]] == [
        ("s0", "2.13.0+cpu", 1), ("s1", "2.12.0+cpu", 1)]
    assert "argv" not in meta and meta["shards"][0]["argv"] == ["ablations"]


@pytest.mark.parametrize(("key", "a", "b"), [("profile", "quick", "full"), ("seed_base", 0, 1),
                                             ("seeds_override", None, 3), ("dnnkit", "0.1.0", "0.2.0"),
                                             ("git_commit", "abc123", "abc123-dirty")])
def test_mixed_shards_are_refused_naming_the_values(key: str, a, b) -> None:
    with pytest.raises(MixedShards, match=f"shards differ in {key} \\(s0: {a!r}, s1: {b!r}\\)"):
        check_shards({"s0": _shard([_record("a", 0.1)], **{key: a}), "s1": _shard([_record("b", 0.1)], **{key: b})})


def test_a_claim_in_two_shards_is_refused() -> None:
    with pytest.raises(MixedShards, match="claim 'a' is in more than one shard \\(s0, s2\\)"):
        check_shards({"s0": _shard([_record("a", 0.1)]), "s1": _shard([_record("b", 0.1)]),
                      "s2": _shard([_record("a", 0.2)])})


def test_a_stability_set_is_no_shard() -> None:
    with pytest.raises(MixedShards, match="s1 is a `dnnkit stability` set"):
        check_shards({"s0": _shard([_record("a", 0.1)]), "s1": _shard([_record("b", 0.1)], stability={"bases": [0]})})


def test_runs_csv_rows_follow_the_merged_claims_and_cells_are_kept_as_written() -> None:
    a = "claim,arm,epoch,val_loss,dnnkit,device\nz,A,1,0.1000000000000000055511151231257827,0.1.0,cuda:1\n"
    b = "claim,arm,epoch,val_acc,dnnkit,device\nb,B,1,0.5,0.1.0,cuda:0\nb,B,2,0.75,0.1.0,cuda:0\n"
    text = merge_runs_csv({"s0": a, "s1": b}, ["b", "z"])
    assert text.splitlines() == ["claim,arm,epoch,val_loss,val_acc,dnnkit,device",
                                 "b,B,1,,0.5,0.1.0,cuda:0", "b,B,2,,0.75,0.1.0,cuda:0",
                                 "z,A,1,0.1000000000000000055511151231257827,,0.1.0,cuda:1"]


def _write(folder: Path, shard: dict) -> Path:
    storage.write_results(folder, shard["claims"], shard["meta"])
    return folder


def _refusal(capsys: pytest.CaptureFixture, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        dnnkit_main(argv)
    assert exit_info.value.code == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("dnnkit merge: error:")]
    assert len(err) == 1
    return err[0]


def test_the_command_refuses_mixed_shards_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    s0 = _write(tmp_path / "s0", _shard([_record("a", 0.1)]))
    s1 = _write(tmp_path / "s1", _shard([_record("b", 0.1)], seed_base=5))
    line = _refusal(capsys, ["merge", str(s0), str(s1), "--out", str(tmp_path / "out")])
    assert f"shards differ in seed_base ({s0}: 0, {s1}: 5)" in line
    assert not (tmp_path / "out").exists()


def test_the_command_refuses_a_shard_without_runs_csv_and_out_on_a_shard(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture) -> None:
    s0 = _write(tmp_path / "s0", _shard([_record("a", 0.1)]))
    s1 = _write(tmp_path / "s1", _shard([_record("b", 0.1)]))
    assert "is the shard" in _refusal(capsys, ["merge", str(s0), str(s1), "--out", str(s1)])
    assert "is given twice" in _refusal(capsys, ["merge", str(s0), f"{s0}/claims.json", "--out", str(tmp_path / "o")])
    (s1 / "runs.csv").unlink()
    assert f"shard {s1} has no readable runs.csv" in _refusal(capsys, ["merge", str(s0), str(s1),
                                                                       "--out", str(tmp_path / "o")])
    assert "cannot read dnnkit results from" in _refusal(capsys, ["merge", str(s0), str(tmp_path), "--out", str(tmp_path / "o")])


def test_the_command_writes_one_set_of_the_union(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    s0 = _write(tmp_path / "s0", _shard([_record("b", 0.04)]))
    s1 = _write(tmp_path / "s1", _shard([_record("a", 0.01)]))
    assert dnnkit_main(["merge", str(s0), str(s1), "--out", str(tmp_path / "out")]) == 0
    assert "2 claim record(s) from 2 shard(s) written" in capsys.readouterr().out
    merged = storage.load_results(tmp_path / "out")
    assert [r["id"] for r in merged["claims"]] == ["a", "b"]
    assert json.loads((tmp_path / "out" / "claims.json").read_text())["files"].keys() == {"claims.md", "runs.csv"}
    assert [row["claim"] for row in csv.DictReader(io.StringIO((tmp_path / "out" / "runs.csv").read_text()))] == [
        "a", "b"]
