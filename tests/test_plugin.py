"""Tests of dnnkit's pytest plugin: inner pytest sessions (pytester, in subprocesses so the plugin loads through its
pytest11 entry point) on tiny claim tests that decide hand-made numbers, plus in-process unit tests of the storage,
the markdown table and the claim-level verdict rule.

The inner sessions are few (each costs a torch import) and are shared between tests through a module-level cache.
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import pytest

from dnnkit import __version__
from dnnkit.evidence import stats
from dnnkit.evidence.claims import get_claim, registry
from dnnkit.pytest_plugin.fixture import ClaimRun
from dnnkit.results import storage
from dnnkit.results.markdown import markdown
from dnnkit.results.records import effect_text, sensitivity_text

pytest_plugins = ["pytester"]

HIGH, LOW = [10, 11, 12, 13, 14], [1, 2, 3, 4, 5]
P_SEPARATED = 1 / math.comb(10, 5)  # exact one-sided Mann-Whitney p of 5 vs 5 perfectly separated values: 1/252
EXPECT_WHY = "hand-made numbers: declared refuted"
RESULT_FILES = {"claims.json", "claims.md", "runs.csv"}
TIMING_KEYS = {"wall_s"}  # the only per-record field that depends on timing (order is fixed by finalize's sort)

# The inner sessions declare dnnkit's catalog and one claim of their own, with an expectation other than the
# chapter's "confirmed", in a conftest's CLAIMS list (the public route a user's repository takes).
INNER_CONFTEST = f"""
from dnnkit.catalog import CLAIMS as CATALOG
from dnnkit.evidence.claims import Claim, Expect

CLAIMS = [*CATALOG, Claim(
    id="declared-refuted", section="initialization", sentence="A claim expected to be refuted at this scale.",
    source="tests", kind="directional", metric="loss", direction="greater", arms=("A", "B"), delta=0.5,
    expect=Expect(("refuted",), {EXPECT_WHY!r}, "2026-12-02 at test time"))]
"""

# Five claim tests, all on hand-made numbers (no training): a confirmed directional claim, a confirmed exact claim
# (no p-value), a claim declared refuted that is refuted (passes), one declared refuted that is confirmed (fails:
# unexpected in the other direction), and a claim the chapter predicts that is refuted (fails, with no assert).
INNER_CLAIMS = f"""
import pytest

HIGH, LOW = {HIGH!r}, {LOW!r}


@pytest.mark.claim("large-init-high-loss")
def test_confirmed(claim):
    assert claim.n_seeds == 5
    claim.decide(HIGH, LOW, label="hand-made loss")
    claim.decide(LOW, HIGH, label="a setup set aside", sensitivity="refuted here, shown but not gating")


@pytest.mark.claim("zero-init-symmetry")
def test_exact(claim):
    claim.decide([True] * 5, label="held on every seed")


@pytest.mark.claim("declared-refuted")
def test_expected_refuted(claim):
    claim.decide(LOW, HIGH)


@pytest.mark.claim("declared-refuted")
def test_unexpectedly_confirmed(claim):
    claim.decide(HIGH, LOW)


@pytest.mark.claim("matched-init-preserves-variance")
def test_failing(claim):
    claim.decide(HIGH, LOW)
"""

INNER_ONE_CLAIM = f"""
import pytest

from dnnkit.catalog import CLAIMS


@pytest.mark.claim("large-init-high-loss")
def test_confirmed(claim):
    assert claim.decide({HIGH!r}, {LOW!r}).verdict == "confirmed"
"""

INNER_UNKNOWN = """
import pytest

from dnnkit.catalog import CLAIMS


@pytest.mark.claim("no-such-claim")
def test_unknown(claim):
    pass


def test_plain():
    pass
"""

# Inner runs leave their own traces (pytester's stdout/stderr files, bytecode, its basetemp): not dnnkit's doing.
PYTESTER_FILES = {"stdout", "stderr", "__pycache__"}
INNER_ARGS = ("-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:benchmark")

_RUNS: dict[str, tuple[pytest.RunResult, Path]] = {}


def _inner_run(pytester: pytest.Pytester, key: str, *args: str) -> tuple[pytest.RunResult, Path]:
    """Run the four-claim inner session once per key (serial or xdist) and cache its result and results dir.

    Each key writes its own results dir, since both runs may share one pytester directory."""
    if key not in _RUNS:
        pytester.makeconftest(INNER_CONFTEST)
        pytester.makepyfile(test_claims=INNER_CLAIMS)
        out = f"out-{key}"
        result = pytester.runpytest_subprocess(*INNER_ARGS, "--seeds", "5", "--results-dir", out, *args)
        _RUNS[key] = (result, pytester.path / out)
    return _RUNS[key]


@pytest.fixture(autouse=True)
def _no_outer_xdist_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under an outer `pytest -n`, the inner sessions must not inherit the outer worker's xdist variables."""
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def serial_run(pytester: pytest.Pytester) -> tuple[pytest.RunResult, Path]:
    return _inner_run(pytester, "serial")


@pytest.fixture
def xdist_run(pytester: pytest.Pytester) -> tuple[pytest.RunResult, Path]:
    return _inner_run(pytester, "xdist", "-n", "2")


def _load(out: Path) -> dict:
    return json.loads((out / "claims.json").read_text())


def _by_test(payload: dict) -> dict[str, dict]:
    return {r["test"].split("::")[-1]: r for r in payload["claims"]}


def _untimed(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in records]


# ---------------------------------------------------------------- inner sessions


def test_unknown_claim_id_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_unknown=INNER_UNKNOWN)
    result = pytester.runpytest_subprocess(*INNER_ARGS)
    assert result.ret in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERRUPTED), result.stdout.str()
    output = result.stdout.str() + "\n" + result.stderr.str()
    assert "test_unknown.py::test_unknown: unknown claim id 'no-such-claim'" in output
    assert "declare it with a dnnkit.claims.Claim in a CLAIMS list of the test module or of a conftest.py" in output
    assert f"{len(registry())} declared in this run" in output
    assert "passed" not in result.stdout.str()  # nothing ran, not even the plain test
    assert not list(pytester.path.rglob("claims.json"))


def test_unknown_claim_id_under_xdist_fails_the_test_with_the_message(pytester: pytest.Pytester) -> None:
    # A UsageError in an xdist worker would crash it (INTERNALERROR) and lose the message.
    pytester.makepyfile(test_unknown=INNER_UNKNOWN)
    result = pytester.runpytest_subprocess(*INNER_ARGS, "-n", "2")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=1, errors=1)
    assert "unknown claim id 'no-such-claim'; declare it with" in result.stdout.str()


INNER_OWN_CLAIMS = """
import pytest

from dnnkit.evidence.claims import Claim

CLAIMS = [Claim(id="my-listed-claim", section="mine", sentence="Listed in the module.", source="me",
                kind="directional", metric="m", direction="greater", arms=("A", "B"), delta=0.1),
          Claim(id="my-untested-claim", section="mine", sentence="Declared, never tested.", source="me",
                kind="directional", metric="m", direction="greater", arms=("A", "B"), delta=0.1)]
INLINE = Claim(id="my-inline-claim", section="mine", sentence="Passed to the marker.", source="me", kind="exact",
               metric="m", direction="holds", arms=("A",))


@pytest.mark.claim("my-listed-claim")
def test_listed(claim, digits):
    assert digits.X_train.device.type == "cpu" and digits.name == "digits"
    claim.decide([10, 11, 12, 13, 14], [1, 2, 3, 4, 5])


@pytest.mark.claim(INLINE)
def test_inline(claim):
    claim.decide([True] * 5)
"""


def test_claims_declared_in_a_users_module_and_marker(pytester: pytest.Pytester) -> None:
    """A repository of its own: its claims only, no dnnkit catalog in the table or in 'claims with no test'."""
    pytester.makepyfile(test_mine=INNER_OWN_CLAIMS)
    result = pytester.runpytest_subprocess(*INNER_ARGS, "--seeds", "5", "--results-dir", "out")
    result.assert_outcomes(passed=2)
    payload = _load(pytester.path / "out")
    assert sorted(r["id"] for r in payload["claims"]) == ["my-inline-claim", "my-listed-claim"]
    assert payload["meta"]["untested_claims"] == ["my-untested-claim"]


def test_a_run_without_xdist_writes_its_results(pytester: pytest.Pytester) -> None:
    """-p no:xdist unregisters xdist's hooks; the plugin's xdist hook is optional, so the run is a plain serial one."""
    pytester.makepyfile(test_mine=INNER_OWN_CLAIMS)
    result = pytester.runpytest_subprocess(*INNER_ARGS, "-p", "no:xdist", "--seeds", "5", "--results-dir", "out")
    result.assert_outcomes(passed=2)
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    assert sorted(r["id"] for r in _load(pytester.path / "out")["claims"]) == ["my-inline-claim", "my-listed-claim"]


def test_a_duplicate_claim_id_names_both_places(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
from dnnkit.evidence.claims import Claim

CLAIMS = [Claim(id="my-listed-claim", section="other", sentence="Same id, another claim.", source="conftest",
                kind="exact", metric="m", direction="holds", arms=("A",))]
""")
    pytester.makepyfile(test_mine=INNER_OWN_CLAIMS)
    result = pytester.runpytest_subprocess(*INNER_ARGS)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    assert ("claim id 'my-listed-claim' is declared twice, differently: in conftest.py (CLAIMS) and in "
            "test_mine.py (CLAIMS)") in result.stderr.str()


def test_notes_accept_arrays_tensors_and_sets() -> None:
    import numpy as np
    import torch

    from dnnkit.evidence.provenance import json_safe

    cleaned = json_safe({"a": np.array([1.0, 2.0]), "t": torch.tensor([1.0, math.inf]), "s": {2, 1}, "x": np.float32(3)})
    assert cleaned == {"a": [1.0, 2.0], "t": [1.0, "inf"], "s": [1, 2], "x": 3.0}
    json.dumps(cleaned, allow_nan=False)


def test_evidence_reaches_the_results(serial_run: tuple[pytest.RunResult, Path]) -> None:
    result, out = serial_run
    result.assert_outcomes(passed=3, failed=2)
    assert sorted(p.name for p in out.iterdir()) == sorted(RESULT_FILES)  # no .tmp-* left behind

    payload = _load(out)
    assert payload["schema"] == storage.SCHEMA == 1
    meta = payload["meta"]
    assert meta["dnnkit"] == __version__
    import platform

    import torch

    assert meta["torch"] == torch.__version__ and meta["python"] == platform.python_version()
    assert isinstance(meta["git_commit"], str) and meta["git_commit"]
    assert (meta["profile"], meta["seed_base"], meta["seeds_override"]) == ("quick", 0, 5)
    assert meta["claims_run"] == 5
    assert meta["untested_claims"] == sorted(set(registry()) - {
        "large-init-high-loss", "zero-init-symmetry", "matched-init-preserves-variance"})

    records = payload["claims"]
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)  # sorted by claim id
    assert len(records) == 5
    confirmed = _by_test(payload)["test_confirmed"]
    assert confirmed["id"] == "large-init-high-loss"
    assert confirmed["test"] == "test_claims.py::test_confirmed"
    assert confirmed["claim"] == json.loads(json.dumps(get_claim("large-init-high-loss").as_dict()))
    assert (confirmed["verdict"], confirmed["outcome"], confirmed["n_seeds"]) == ("confirmed", "passed", 5)
    # The refuted sensitivity sub-decision is shown but neither sets the verdict nor the claim's p.
    assert confirmed["p_value"] == pytest.approx(P_SEPARATED, rel=1e-12)
    assert confirmed["as_expected"] is True and confirmed["expected"] == ["confirmed"]
    assert confirmed["fingerprint"] == get_claim("large-init-high-loss").fingerprint()
    assert confirmed["mode"] == "none" and confirmed["runs"] == [] and "history" not in confirmed
    decision, sensitivity = confirmed["decisions"]
    assert (decision["label"], decision["role"]) == ("hand-made loss", "evidence")
    assert decision["values"] == {"N(0, 1) weights": HIGH, "he_normal": LOW}
    assert decision["decision"]["p_value"] == pytest.approx(P_SEPARATED, rel=1e-12)
    assert (sensitivity["role"], sensitivity["decision"]["verdict"]) == ("sensitivity", "refuted")
    # Four p-values in the run (1/252 twice, 1, 1); the exact claim has none: BH q of the smallest is 4/(2*252).
    assert confirmed["q_bh"] == pytest.approx(2 * P_SEPARATED) and confirmed["p_holm"] == pytest.approx(4 * P_SEPARATED)
    assert confirmed["bh_flag"] is False

    exact = _by_test(payload)["test_exact"]
    assert (exact["verdict"], exact["p_value"], exact["q_bh"], exact["outcome"]) == ("confirmed", None, None, "passed")

    markdown = (out / "claims.md").read_text()
    assert "# dnnkit claims" in markdown
    assert re.search(r"^\| large-init-high-loss \| initialization \| directional \| confirmed \| confirmed \| yes \| "
                     r"a setup set aside: refuted \|", markdown, re.M), markdown
    for record in records:
        assert f"### {record['id']} (initialization)" in markdown

    with open(out / "runs.csv", newline="") as f:
        header = next(csv.reader(f), [])
    assert {"dnnkit", "torch", "git_commit", "profile", "seed_base"} <= set(header)

    stdout = result.stdout.lines
    progress = max(i for i, line in enumerate(stdout) if line.startswith("test_claims.py "))
    title = next(i for i, line in enumerate(stdout) if "dnnkit claims - profile quick, seed base 0" in line)
    assert title > progress
    after = "\n".join(stdout[title:])
    for record in records:
        assert record["id"] in after
    assert "dnnkit: evidence written to out-serial/" in after


def test_declared_expectations_decide_pass_and_fail(serial_run: tuple[pytest.RunResult, Path]) -> None:
    result, out = serial_run
    records = _by_test(_load(out))
    expected = records["test_expected_refuted"]
    assert (expected["verdict"], expected["outcome"], expected["as_expected"]) == ("refuted", "passed", True)
    assert expected["expected"] == ["refuted"]
    # Unexpected in either direction fails, and the evidence stays in the results.
    other_way = records["test_unexpectedly_confirmed"]
    assert (other_way["verdict"], other_way["outcome"], other_way["as_expected"]) == ("confirmed", "failed", False)
    failed = records["test_failing"]
    assert (failed["id"], failed["outcome"], failed["verdict"]) == ("matched-init-preserves-variance", "failed", "refuted")
    assert failed["p_value"] == pytest.approx(1.0)
    output = result.stdout.str()
    assert "claim 'declared-refuted': verdict 'confirmed' at seed base 0, but declared expectation: refuted" in output
    assert "claim 'matched-init-preserves-variance': verdict 'refuted' at seed base 0, but the claim predicts: confirmed" in output
    markdown = (out / "claims.md").read_text()
    assert f"Expected at this scale: **refuted** (declared 2026-12-02 at test time): {EXPECT_WHY}" in markdown
    assert re.search(r"^\| declared-refuted \| initialization \| directional \| refuted \| refuted \| "
                     r"yes \(declared at this scale\) \|", markdown, re.M), markdown
    assert "| refuted | confirmed | NO |" in markdown


INNER_XFAIL = """
import pytest

from dnnkit.catalog import CLAIMS


@pytest.mark.claim("large-init-high-loss")
@pytest.mark.xfail(strict=False, reason="cannot fail")
def test_xfailed(claim):
    claim.decide([10, 11, 12], [1, 2, 3])
"""

INNER_DYNAMIC_XFAIL = """
import pytest

from dnnkit.catalog import CLAIMS


@pytest.mark.claim("large-init-high-loss")
def test_dynamic(claim, request):
    request.applymarker(pytest.mark.xfail(strict=False, reason="added at run time"))
    claim.decide([1, 2, 3], [10, 11, 12])


@pytest.mark.claim("zero-init-symmetry")
def test_decides_nothing(claim):
    pass
"""


def test_xfail_on_a_claim_test_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x=INNER_XFAIL)
    result = pytester.runpytest_subprocess(*INNER_ARGS)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    assert "test_x.py::test_xfailed" in result.stderr.str()
    assert "xfail is refused on a claim test" in result.stderr.str()
    assert "passed" not in result.stdout.str()
    # Under xdist the worker cannot raise a usage error: the test fails with the message.
    result = pytester.runpytest_subprocess(*INNER_ARGS, "-n", "2")
    result.assert_outcomes(errors=1)
    assert "xfail is refused on a claim test" in result.stdout.str()


def test_run_time_xfail_and_a_test_that_decides_nothing_fail(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x=INNER_DYNAMIC_XFAIL)
    result = pytester.runpytest_subprocess(*INNER_ARGS)
    result.assert_outcomes(failed=2)
    output = result.stdout.str()
    assert "test_x.py::test_dynamic: xfail is refused on a claim test" in output
    assert "the test made no gating decision" in output


def test_xdist_gives_the_serial_records(serial_run: tuple[pytest.RunResult, Path],
                                        xdist_run: tuple[pytest.RunResult, Path]) -> None:
    result, out = xdist_run
    result.assert_outcomes(passed=3, failed=2)
    assert sorted(p.name for p in out.iterdir()) == sorted(RESULT_FILES)
    serial, parallel = _load(serial_run[1]), _load(out)
    assert serial["meta"]["workers"] == "1"
    assert _untimed(parallel["claims"]) == _untimed(serial["claims"])
    for key in ("claims_run", "untested_claims", "profile", "seed_base", "seeds_override", "dnnkit", "torch"):
        assert parallel["meta"][key] == serial["meta"][key], key
    # The table is printed once, by the controller.
    assert sum("dnnkit claims - profile" in line for line in result.stdout.lines) == 1


def test_xdist_meta_counts_the_workers(xdist_run: tuple[pytest.RunResult, Path]) -> None:
    assert _load(xdist_run[1])["meta"]["workers"] == "2"


def test_no_results_dir_writes_nothing_but_prints_the_table(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_one=INNER_ONE_CLAIM)
    before = {p.relative_to(pytester.path) for p in pytester.path.rglob("*")}
    result = pytester.runpytest_subprocess(*INNER_ARGS)
    result.assert_outcomes(passed=1)
    after = {p.relative_to(pytester.path) for p in pytester.path.rglob("*")}
    new = {p for p in after - before if p.parts[0] not in PYTESTER_FILES and not p.parts[0].startswith("runpytest-")}
    assert new == set()
    assert not [p for p in after if p.name in RESULT_FILES]
    output = result.stdout.str()
    assert "dnnkit claims - profile quick" in output and "large-init-high-loss" in output
    assert "evidence written" not in output


def test_results_dir_without_claim_tests_says_nothing_was_written(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess(*INNER_ARGS, "--results-dir", "out")
    result.assert_outcomes(passed=1)
    assert "no claim test ran, nothing written to out/" in result.stdout.str()
    assert not (pytester.path / "out").exists()


def test_effect_text_of_a_never_reached_target_shows_medians_and_counts() -> None:
    decision = stats.decide_time_to_target([3, 4, 5, 4, 5], [math.inf] * 5, direction="less", delta=1.0, seed=0)
    text = effect_text(decision.to_dict())
    assert "medians 4 vs inf" in text and "ratio 0" in text and "reached 5 vs 0" in text


def test_seeds_below_two_are_rejected(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_one=INNER_ONE_CLAIM)
    result = pytester.runpytest_subprocess(*INNER_ARGS, "--seeds", "1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--seeds 1 is not allowed" in result.stderr.str()
    assert "passed" not in result.stdout.str()


def test_bad_ensemble_workers_are_rejected(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_one=INNER_ONE_CLAIM)
    result = pytester.runpytest_subprocess(*INNER_ARGS, "--ensemble-workers", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--ensemble-workers 0 is not allowed: give 'auto' or an integer >= 1" in result.stderr.str()
    result = pytester.runpytest_subprocess(*INNER_ARGS, "--ensemble-workers", "2", "--torch-threads", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--ensemble-workers 2 needs --torch-threads 1 (got 2)" in result.stderr.str()


# ---------------------------------------------------------------- in-process units

class _Options:
    """The few options resolve_ensemble_workers reads, as a pytest.Config would answer them."""

    def __init__(self, workers: str = "auto", numprocesses: int | None = None, threads: int = 1, worker: bool = False):
        self.options = {"--ensemble-workers": workers, "numprocesses": numprocesses, "--torch-threads": threads}
        if worker:
            self.workerinput = {"workerid": "gw0"}

    def getoption(self, name: str, default=None):
        return self.options.get(name, default)


def test_ensemble_workers_auto_uses_the_cores_only_when_nothing_else_does() -> None:
    import os

    from dnnkit.pytest_plugin.plugin import resolve_ensemble_workers

    cores = len(os.sched_getaffinity(0))
    assert resolve_ensemble_workers(_Options(), "cpu") == cores
    assert resolve_ensemble_workers(_Options(numprocesses=2), "cpu") == 1  # the xdist controller
    assert resolve_ensemble_workers(_Options(worker=True), "cpu") == 1  # an xdist worker
    assert resolve_ensemble_workers(_Options(threads=2), "cpu") == 1  # threads already take the cores
    assert resolve_ensemble_workers(_Options(), "cuda") == 1
    assert resolve_ensemble_workers(_Options("3", numprocesses=2), "cpu") == 3  # asked for explicitly


def _claim_run(claim_id: str = "large-init-high-loss", nodeid: str = "t.py::test_x") -> ClaimRun:
    return ClaimRun(get_claim(claim_id), profile="quick", n_seeds=None, seed_base=0, device="cpu", nodeid=nodeid)


def _records() -> list[dict]:
    first = _claim_run()
    first.decide(HIGH, LOW, label="loss")
    first.runs.append({"arm": "N(0, 1) weights", "rep": 0, "seeds": {"init": 123}, "mode": "serial"})
    first.history += [{"arm": "N(0, 1) weights", "rep": 0, "epoch": e, "val_loss": 1.0 / e} for e in (1, 2)]
    first.note(spread=float("inf"))
    second = _claim_run("zero-init-symmetry", "t.py::test_y")
    second.decide([True, True, False])
    records = [first.to_record(), second.to_record()]
    for record in records:
        record["outcome"] = "passed"
    return records


META = {"dnnkit": __version__, "torch": "x", "python": "3", "device": "cpu", "git_commit": "abc", "profile": "quick",
        "seed_base": 0}


def test_write_and_load_results_round_trip(tmp_path: Path) -> None:
    records = _records()
    storage.write_results(tmp_path / "res", records, META)
    assert sorted(p.name for p in (tmp_path / "res").iterdir()) == sorted(RESULT_FILES)
    for where in (tmp_path / "res", tmp_path / "res" / "claims.json"):
        payload = storage.load_results(where)
        assert payload["schema"] == storage.SCHEMA and payload["meta"] == META
        assert payload["claims"] == [{k: v for k, v in r.items() if k != "history"} for r in records]
    assert payload["claims"][0]["notes"] == {"spread": "inf"}
    with open(tmp_path / "res" / "runs.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["claim"], r["epoch"], r["seed_init"], r["git_commit"]) for r in rows] == [
        ("large-init-high-loss", "1", "123", "abc"), ("large-init-high-loss", "2", "123", "abc")]
    assert "### zero-init-symmetry" in (tmp_path / "res" / "claims.md").read_text()


@pytest.mark.parametrize("content", ['{"claims": []}', '{"schema": 2, "claims": []}', '{"schema": 1}', "[1, 2]",
                                     "not json", None])
def test_load_results_refuses_what_is_not_a_dnnkit_result_set(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "claims.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValueError, match="dnnkit result"):
        storage.load_results(path)


def test_markdown_lists_every_record() -> None:
    records = _records()
    text = markdown(records, META)
    for record in records:
        assert f"| {record['id']} |" in text
        assert f"### {record['id']}" in text
    assert "| large-init-high-loss | initialization | directional | confirmed | confirmed | yes |" in text
    assert "| zero-init-symmetry | initialization | exact | confirmed | refuted | NO |" in text


@pytest.mark.parametrize(("decisions", "verdict"), [
    ([], None),
    ([(HIGH, LOW)], stats.CONFIRMED),
    ([(HIGH, LOW), ([True] * 3, None)], stats.CONFIRMED),
    ([(HIGH, LOW), (LOW, HIGH)], stats.REFUTED),
    ([(HIGH, LOW), (HIGH, HIGH)], stats.NOT_REPRODUCED),
    ([(HIGH, HIGH), (LOW, HIGH)], stats.REFUTED),
    ([(HIGH, LOW), ([True, False], None)], stats.REFUTED),
])
def test_claim_verdict_rule(decisions: list, verdict: str | None) -> None:
    run = _claim_run()
    for a, b in decisions:
        run.decide(a, b, **({"kind": "exact"} if b is None else {}))
    assert run.verdict == verdict
    assert run.to_record()["verdict"] == verdict


def test_claim_train_moves_the_split_to_the_claims_device(monkeypatch: pytest.MonkeyPatch) -> None:
    """--device decides where claims train: claim.train (and claim.on_device) move the split there. No GPU here,
    so the move is recorded and faked; the record says where the runs really trained."""
    from dnnkit import data
    from dnnkit.nn.models import MLPConfig
    from dnnkit.train.training import FitConfig

    split = data.make_blobs_classification(60, 4, 2, seed=0)
    moved_to: list[str] = []

    def fake_to(self, device):
        moved_to.append(str(device))
        return self

    monkeypatch.setattr(data.Split, "to", fake_to)
    run = ClaimRun(get_claim("bias-zero-ok"), profile="quick", n_seeds=2, seed_base=0, device="cuda", nodeid="t")
    run.train({"zero bias": MLPConfig(n_inputs=4, n_outputs=2, depth=1, width=4)}, split, FitConfig(epochs=1))
    assert moved_to == ["cuda"]
    assert run.on_device(split) is split and moved_to == ["cuda", "cuda"]
    record = run.to_record()
    assert record["device"] == "cuda" and record["trained_on"] == ["cpu"]  # where the tensors really were
    cpu = ClaimRun(get_claim("bias-zero-ok"), profile="quick", n_seeds=2, seed_base=0, device="cpu", nodeid="t")
    assert cpu.on_device(split) is split and moved_to == ["cuda", "cuda"]  # already there: no copy


def test_device_auto_follows_cuda_availability(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from dnnkit.pytest_plugin.plugin import resolve_device

    class Config:
        def __init__(self, choice: str):
            self.choice = choice

        def getoption(self, name: str, default=None):
            return self.choice

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device(Config("auto")) == "cuda" and resolve_device(Config("cuda")) == "cuda"
    assert resolve_device(Config("cpu")) == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device(Config("auto")) == "cpu"
    with pytest.raises(pytest.UsageError, match="--device cuda was asked for"):
        resolve_device(Config("cuda"))


def test_devices_resolve_without_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from dnnkit.evidence.devices import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu" and resolve_device("cpu") == "cpu"
    for bad in ("cuda", "tpu"):
        with pytest.raises(ValueError, match="--device cuda was asked for|not allowed; allowed: auto, cpu, cuda"):
            resolve_device(bad)


def test_old_result_module_paths_still_work() -> None:
    """dnnkit.pytest_plugin.table and .storage re-export what moved to dnnkit.results."""
    from dnnkit import results
    from dnnkit.pytest_plugin import storage as old_storage
    from dnnkit.pytest_plugin import table as old_table
    from dnnkit.pytest_plugin.options import resolve_device as new_resolve_device
    from dnnkit.pytest_plugin.options import resolve_ensemble_workers as new_resolve_ensemble_workers
    from dnnkit.pytest_plugin.plugin import resolve_device, resolve_ensemble_workers

    assert old_storage.load_results is results.load_results is storage.load_results
    assert old_storage.write_results is storage.write_results and old_storage.SCHEMA == results.SCHEMA
    assert old_table.markdown is markdown and old_table.effect_text is effect_text is results.effect_text
    assert callable(old_table.print_claims) and old_table.rows(_records())[0]["claim"] == "large-init-high-loss"
    assert (resolve_device, resolve_ensemble_workers) == (new_resolve_device, new_resolve_ensemble_workers)


def test_sensitivity_is_shown_not_gating_and_needs_a_reason() -> None:
    run = _claim_run()
    run.decide(HIGH, LOW, label="chosen setup")
    run.decide(LOW, HIGH, label="chapter default", sensitivity="the chapter's setup, refuted in a pilot")
    assert run.verdict == stats.CONFIRMED and run.as_expected
    record = run.to_record()
    assert record["p_value"] == pytest.approx(P_SEPARATED, rel=1e-12)
    assert sensitivity_text(record) == "chapter default: refuted"
    with pytest.raises(ValueError, match="needs the reason"):
        run.decide(HIGH, LOW, sensitivity=" ")
    only_sensitivity = _claim_run()
    only_sensitivity.decide(HIGH, LOW, sensitivity="context")
    assert only_sensitivity.verdict is None and "no gating decision" in only_sensitivity.expectation_failure()


def test_a_positive_control_is_needed_for_confirmed_and_never_refutes() -> None:
    """A control shows the margin can fail: without it a confirmed equivalence may be vacuous (not reproduced), and a
    control going the other way says nothing against the claim itself (never refuted); its p is not the claim's."""
    from dnnkit.results.detail import claim_detail

    held = _claim_run()
    held.decide(HIGH, LOW, label="the claim")
    held.decide(HIGH, LOW, label="positive control", control=True)
    assert held.verdict == stats.CONFIRMED and held.as_expected and held.expectation_failure() is None
    failed = _claim_run()
    failed.decide(HIGH, LOW, label="the claim")
    failed.decide(LOW, HIGH, label="positive control", control=True)
    assert failed.verdict == stats.NOT_REPRODUCED and not failed.as_expected
    assert "positive control: refuted" in failed.expectation_failure()
    record = failed.to_record()
    assert record["reason"] == "positive control not confirmed"
    assert record["p_value"] == pytest.approx(P_SEPARATED, rel=1e-12)  # the claim's own comparison, not the control's
    assert "[positive control, needed for confirmed]: refuted" in claim_detail(record)
    assert "*(positive control: needed for confirmed)*" in markdown([record], {})
    refuted = _claim_run()
    refuted.decide(LOW, HIGH, label="the claim")
    refuted.decide(LOW, HIGH, label="positive control", control=True)
    assert refuted.verdict == stats.REFUTED
    with pytest.raises(ValueError, match="a sensitivity check or a positive control, not both"):
        failed.decide(HIGH, LOW, control=True, sensitivity="why")
    only_control = _claim_run()
    only_control.decide(HIGH, LOW, control=True)
    assert only_control.verdict is None and "no gating decision" in only_control.expectation_failure()


def test_claim_declarations_are_checked_and_fingerprinted() -> None:
    from dataclasses import replace

    from dnnkit.evidence.claims import Amendment, Claim, Expect

    base = get_claim("large-init-high-loss")
    assert base.expected_verdicts == ("confirmed",)
    assert replace(base, amendments=("x",)).fingerprint() == base.fingerprint()  # amendments are not the declaration
    assert replace(base, delta=0.6).fingerprint() != base.fingerprint()
    with pytest.raises(ValueError, match="one or more of confirmed, refuted, not reproduced"):
        Expect(("holds",), "why", "today")
    with pytest.raises(ValueError, match="needs a reason"):
        Expect(("refuted",), "", "today")
    assert Expect.not_refuted("underpowered", "today").label() == "not refuted"
    with pytest.raises(ValueError, match="fresh seed base >= 200"):
        Amendment("2026-12-02", "seeds 8 -> 12", "flipped", base=3)
    timing = dict(id="t", section="s", sentence="x", source="y", kind="timing", metric="s", direction="slower",
                  arms=("a", "b"))
    with pytest.raises(ValueError, match="needs min_effect > 0"):
        Claim(**timing)
    assert Claim(**timing, min_effect=0.1).min_effect == 0.1
    with pytest.raises(ValueError, match="min_effect is for timing claims only"):
        replace(base, min_effect=0.1)


def test_compare_lists_declarations_changed_without_an_amendment() -> None:
    from dnnkit.report import compare_results

    old = {"meta": META, "claims": _records()}
    new = json.loads(json.dumps(old))
    new["claims"][0]["fingerprint"] = "changed"
    new["claims"][1]["fingerprint"] = "changed too"
    new["claims"][1]["claim"]["amendments"] = ["2026-12-02: seeds 8 -> 12"]
    cmp = compare_results(old, new)
    assert cmp.unamended == ["large-init-high-loss"]
    assert [c.claim for c in cmp.spec_changes if c.amended] == ["zero-init-symmetry"]


def test_compare_takes_a_design_first_written_as_knobs_with_its_text_unchanged_as_no_change() -> None:
    from dnnkit.report import compare_results

    old = {"meta": META, "claims": _records()}
    for record in old["claims"][:2]:
        record["claim"].pop("knobs", None)  # recorded before the claim had knobs
    new = json.loads(json.dumps(old))
    for record in new["claims"][:2]:
        record["fingerprint"] = "hashes the knobs now"
        record["claim"]["knobs"] = {"epochs": {"quick": 10, "full": 30}}
    new["claims"][1]["claim"]["metric"] += " (and a new number)"
    cmp = compare_results(old, new)
    assert cmp.unamended == [new["claims"][1]["id"]]
