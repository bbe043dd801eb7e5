"""dnnkit stability: bases parsed, per-base result sets merged into a stability column, failures reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dnnkit import stability
from dnnkit.results import storage

META = {"dnnkit": "0.1.0", "profile": "quick", "seed_base": 0}


def _record(claim_id: str, verdict: str, expected=("confirmed",), amendment_bases=()) -> dict:
    return {"id": claim_id, "test": f"ablations/test_x.py::test_{claim_id}", "verdict": verdict, "outcome": "passed",
            "expected": list(expected), "as_expected": verdict in expected, "decisions": [], "n_seeds": 8,
            "mode": "ensemble", "claim": {"section": "x", "kind": "directional", "sentence": "s", "source": "t",
                                          "metric": "m", "direction": "greater", "design": "independent",
                                          "delta": 0.1, "amendment_bases": list(amendment_bases)}}


@pytest.mark.parametrize(("text", "bases"), [("0-4", [0, 1, 2, 3, 4]), ("0,2,7", [0, 2, 7]), ("1-2,5", [1, 2, 5]),
                                             ("100-104", [100, 101, 102, 103, 104])])
def test_parse_bases(text: str, bases: list[int]) -> None:
    assert stability.parse_bases(text) == bases


@pytest.mark.parametrize("text", ["", "a", "4-0", "-1", "3", "1-x"])
def test_parse_bases_refuses_bad_input(text: str) -> None:
    with pytest.raises(ValueError, match="--bases"):
        stability.parse_bases(text)


def test_merge_counts_agreement_and_expectations() -> None:
    per_base = {b: {"meta": dict(META, seed_base=b), "claims": [
        _record("steady", "confirmed"),
        _record("flipper", "confirmed" if b < 3 else "not reproduced"),
        _record("declared", "refuted", expected=("refuted",)),
    ]} for b in range(5)}
    merged = stability.merge(per_base, {200: {"meta": META, "claims": [_record("flipper", "confirmed")]}})
    st = {r["id"]: r["stability"] for r in merged["claims"]}
    assert st["steady"]["agree"] == 5 and st["steady"]["as_expected"] == 5
    assert st["flipper"]["agree"] == 3 and st["flipper"]["as_expected"] == 3
    assert st["flipper"]["verdicts"] == {"0": "confirmed", "1": "confirmed", "2": "confirmed", "3": "not reproduced",
                                         "4": "not reproduced"}
    assert st["flipper"]["amendment_bases"] == {"200": "confirmed"}
    assert st["declared"]["agree"] == 5 and st["declared"]["as_expected"] == 5
    assert merged["meta"]["stability"] == {"bases": [0, 1, 2, 3, 4], "claims": 3, "stable": 2, "stable_at": 4,
                                           "amendment_bases": [200]}
    from dnnkit.results.markdown import markdown

    text = markdown(merged["claims"], merged["meta"])
    assert "2 of 3 claims keep one verdict on at least 4 of 5 bases" in text
    assert "3/5 (0:C 1:C 2:C 3:N 4:N); declared verdict on 3/5 UNSTABLE" in text


def test_run_merges_bases_runs_amendments_and_fails_on_a_failed_base(tmp_path: Path, monkeypatch) -> None:
    calls: list[list[str]] = []

    def fake_run(cmd: list[str], log) -> int:
        calls.append(cmd)
        base = int(cmd[cmd.index("--seed-base") + 1])
        out = Path(cmd[cmd.index("--results-dir") + 1])
        verdict = "not reproduced" if base == 3 else "confirmed"
        records = [_record("a", verdict, amendment_bases=(200,)), _record("b", "confirmed")]
        records[0]["test"] += "@group"  # xdist's loadgroup suffix, which pytest cannot select
        if base == 200:
            records = records[:1]
        storage.write_results(out, records, dict(META, seed_base=base))
        return 1 if base == 3 else 0

    monkeypatch.setattr(stability, "_run", fake_run)
    lines: list[str] = []
    status = stability.run([0, 1, 2, 3, 4], tmp_path / "res", workers=2, options=["-k", "a"],
                           log=lines.append)
    assert status == 1
    assert any("FAILED at seed bases 3 (pytest exit 1)" in line for line in lines)
    assert [int(c[c.index("--seed-base") + 1]) for c in calls] == [0, 1, 2, 3, 4, 200]
    assert calls[-1][3] == "ablations/test_x.py::test_a" and "-k" in calls[-1]  # only the amended claim's test
    merged = json.loads((tmp_path / "res" / "claims.json").read_text())
    a = next(r for r in merged["claims"] if r["id"] == "a")
    assert a["stability"]["agree"] == 4 and a["stability"]["amendment_bases"] == {"200": "confirmed"}
    assert (tmp_path / "res" / "claims.md").exists() and (tmp_path / "res" / "runs.csv").exists()
    assert sorted(p.name for p in (tmp_path / "res" / "bases").iterdir()) == [
        "base-0", "base-1", "base-2", "base-200", "base-3", "base-4"]


def test_main_refuses_bad_options(capsys) -> None:
    for argv, message in ((["--bases", "3"], "at least two bases"), (["--workers", "0"], "--workers 0")):
        with pytest.raises(SystemExit) as exit_info:
            stability.main(argv)
        assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_reuse_keeps_passing_sets_of_this_commit_and_reruns_the_rest(tmp_path: Path, monkeypatch) -> None:
    for base, verdict in ((0, "confirmed"), (1, "confirmed"), (2, "not reproduced")):
        records = [_record("a", verdict)]
        records[0]["as_expected"] = verdict == "confirmed"
        storage.write_results(tmp_path / "res" / "bases" / f"base-{base}", records,
                              dict(META, seed_base=base, git_commit="abc" if base != 1 else "old"))
    ran: list[int] = []

    def fake_run(cmd: list[str], log) -> int:
        base = int(cmd[cmd.index("--seed-base") + 1])
        ran.append(base)
        storage.write_results(Path(cmd[cmd.index("--results-dir") + 1]), [_record("a", "confirmed")],
                              dict(META, seed_base=base, git_commit="abc"))
        return 0

    monkeypatch.setattr(stability, "_run", fake_run)
    monkeypatch.setattr(stability, "_commit", lambda: "abc")
    lines: list[str] = []
    assert stability.run([0, 1, 2], tmp_path / "res", log=lines.append, reuse=True) == 0
    assert ran == [1, 2]  # base 1: another commit; base 2: a verdict other than declared
    assert any("base 0 reused" in line for line in lines)
