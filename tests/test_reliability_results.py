"""Reliability of the plugin's options and of the result files: an unused option named in a warning and a good
results dir left as found (the bad options are cases of tests/test_bad_inputs.py), the result set written as one
(claims.json is a manifest of its siblings' hashes, moved in last), orphan temps of killed writers removed at the
next write, and real SIGKILLs of a process writing result sets and checkpoints.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dnnkit import __version__
from dnnkit.evidence.claims import get_claim
from dnnkit.pytest_plugin.fixture import ClaimRun
from dnnkit.results import storage
from dnnkit.train import checkpoints

pytest_plugins = ["pytester"]

INNER_ARGS = ("-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:benchmark")
META = {"dnnkit": __version__, "torch": "x", "python": "3", "device": "cpu", "git_commit": "abc", "profile": "quick",
        "seed_base": 0}
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _no_outer_xdist_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under an outer `pytest -n`, the inner sessions must not inherit the outer worker's xdist variables."""
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)


def _tree(root: Path) -> set[str]:
    """The files under root, less pytester's own (its captured output and the inner session's basetemp)."""
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if "__pycache__" not in p.parts and not p.relative_to(root).parts[0].startswith(("runpytest-", "std"))}


# ---------------------------------------------------------------- options (the bad ones: tests/test_bad_inputs.py)

def test_an_unused_data_dir_is_named_in_a_warning_and_a_good_results_dir_is_left_as_found(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_ok="def test_ok():\n    pass\n")
    (pytester.path / "data").mkdir()
    result = pytester.runpytest_subprocess(*INNER_ARGS, "--data-dir", "data", "--results-dir", "new/deep/res")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["*PytestConfigWarning: --data-dir data is unused: the quick profile*"])
    # The probe created the folder, wrote a file, and removed both: no claim ran, so nothing is written.
    assert not (pytester.path / "new").exists()


# ---------------------------------------------------------------- the result set as one

def _records(scale: int = 1, epochs: int = 2) -> list[dict]:
    run = ClaimRun(get_claim("large-init-high-loss"), profile="quick", n_seeds=None, seed_base=0, device="cpu",
                   nodeid="t.py::test_x")
    run.decide([10 * scale + k for k in range(5)], [k for k in range(5)], label="loss")
    run.runs.append({"arm": "N(0, 1) weights", "rep": 0, "seeds": {"init": scale}, "mode": "serial"})
    run.history += [{"arm": "N(0, 1) weights", "rep": 0, "epoch": e, "val_loss": scale / e} for e in range(1, epochs + 1)]
    record = run.to_record()
    record["outcome"] = "passed"
    return [record]


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(checkpoints.TEMP_PREFIX))


def test_claims_json_is_a_manifest_of_its_siblings(tmp_path: Path) -> None:
    out = tmp_path / "res"
    storage.write_results(out, _records(), META)
    assert sorted(p.name for p in out.iterdir()) == ["claims.json", "claims.md", "runs.csv"]
    payload = storage.load_results(out)
    assert sorted(payload["files"]) == ["claims.md", "runs.csv"] and payload["meta"] == META
    for name in ("runs.csv", "claims.md"):
        original = (out / name).read_bytes()
        (out / name).write_bytes(original + b"tampered\n")
        with pytest.raises(ValueError, match=rf"is mixed: {name} does not match claims.json"):
            storage.load_results(out)
        assert storage.load_results(out, verify=False)["claims"]  # still readable on purpose
        (out / name).write_bytes(original)
    (out / "runs.csv").unlink()  # a clone without the (untracked) runs table is complete, not mixed
    assert storage.load_results(out)["claims"]


def test_write_claims_keeps_vouching_for_an_untouched_runs_csv(tmp_path: Path) -> None:
    out = tmp_path / "res"
    storage.write_results(out, _records(), META)
    storage.write_claims(out, _records(2), META)  # claims.json and claims.md only (a stability merge, --markdown)
    assert "runs.csv" in storage.load_results(out)["files"]
    storage.write_claims(out, _records(3), META, runs_csv="claim\nx\n")
    assert (out / "runs.csv").read_text() == "claim\nx\n" and storage.load_results(out)


def test_a_write_killed_between_its_renames_is_detected_and_the_next_write_repairs_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "res"
    storage.write_results(out, _records(1), META)
    real_replace, moved = os.replace, []

    def replace_then_die(src, dst):
        if moved:
            raise KeyboardInterrupt("killed between the renames")
        moved.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(storage.os, "replace", replace_then_die)
    with pytest.raises(KeyboardInterrupt):
        storage.write_results(out, _records(2), META)
    monkeypatch.undo()
    assert [Path(p).name for p in moved] == ["claims.md"]
    with pytest.raises(ValueError, match="is mixed: claims.md does not match claims.json"):
        storage.load_results(out)
    assert _temps(out) == []  # the interrupted write removed its own temp folder
    storage.write_results(out, _records(3), META)
    assert storage.load_results(out)["claims"][0]["runs"][0]["seeds"] == {"init": 3}


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_orphan_temps_of_dead_writers_are_removed_at_the_next_write(tmp_path: Path) -> None:
    dead, alive = _dead_pid(), subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        names = {
            f".tmp-claims.json-{dead}-abc12345": True,  # a dead writer's file temp
            f".tmp-epoch-0003.pt-{dead}-x_y9": True,
            f".tmp-set-{dead}-qwerty12": True,  # a dead writer's set folder (made a folder below)
            ".tmp-epoch-0001.pt-oldstyle": True,  # no pid (older dnnkit), aged past STALE_AFTER_S below
            ".tmp-epoch-0002.pt-newstyle": False,  # no pid, fresh: may be a live writer's
            f".tmp-runs.csv-{alive.pid}-live1234": False,  # a live writer's
            f".tmp-runs.csv-{os.getpid()}-mine1234": False,  # this process's own
            "keep.txt": False,
        }
        for name in names:
            if name.startswith(".tmp-set-"):
                (tmp_path / name).mkdir()
                (tmp_path / name / "claims.json").write_text("{}")
            else:
                (tmp_path / name).write_bytes(b"x" * 100)
        aged = time.time() - checkpoints.STALE_AFTER_S - 60
        os.utime(tmp_path / ".tmp-epoch-0001.pt-oldstyle", (aged, aged))
        checkpoints.atomic_write_bytes(tmp_path / "epoch-0004.pt", b"new")
        left = {p.name for p in tmp_path.iterdir()}
        assert left == {name for name, stale in names.items() if not stale} | {"epoch-0004.pt"}
        storage.write_results(tmp_path, _records(), META)  # the result set's write cleans the same way
        assert {p.name for p in tmp_path.iterdir()} >= left
    finally:
        alive.kill()
        alive.wait()


# ---------------------------------------------------------------- real kills

WRITER = """
import sys
from pathlib import Path

import torch

from dnnkit.results import storage
from dnnkit.train.checkpoints import load_checkpoint, save_checkpoint
sys.path.insert(0, {tests!r})
from test_reliability_results import META, _records

out, ckpt, i = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
model = torch.nn.Linear(512, 512)
records = [_records(scale, epochs=2000) for scale in (1, 2)]
print("ready", flush=True)
while True:
    i += 1
    storage.write_results(out, records[i % 2], META)
    with torch.no_grad():
        model.weight.fill_(float(i))
    save_checkpoint(ckpt / f"epoch-{{i % 3}}.pt", model, step=i)
"""


def test_sigkill_at_random_moments_leaves_a_complete_or_detectably_mixed_set_and_no_orphan(tmp_path: Path) -> None:
    """A process writing result sets (a ~100 kB runs table) and 1 MB checkpoints in a loop, SIGKILLed 4 times at
    random moments: every kill leaves the last complete result set loadable, or one the manifest names as mixed;
    every checkpoint on disk whole; and the next write leaves no orphan temp."""
    out, ckpt = tmp_path / "res", tmp_path / "ckpt"
    ckpt.mkdir()
    storage.write_results(out, _records(1, epochs=2000), META)
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(tests=str(Path(__file__).parent)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    rng = random.Random(23)
    outcomes = []
    for kill in range(4):
        # Each writer counts its steps from its own start (exact in float32), so a checkpoint names its writer.
        proc = subprocess.Popen([sys.executable, str(script), str(out), str(ckpt), str(kill * 100_000)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
            time.sleep(rng.uniform(0.05, 0.6))
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        try:
            payload = storage.load_results(out)
            assert payload["claims"][0]["runs"][0]["seeds"]["init"] in (1, 2)
            outcomes.append("complete")
        except ValueError as err:
            assert "is mixed:" in str(err) and ("claims.md" in str(err) or "runs.csv" in str(err)), err
            outcomes.append("mixed")
        orphans = _temps(out) + _temps(ckpt)
        print(f"kill {kill}: result set {outcomes[-1]}, orphan temps {orphans}")
        for path in ckpt.glob("epoch-*.pt"):
            state = checkpoints.load_checkpoint(path)
            assert float(state["model"]["weight"][0, 0]) == state["extra"]["step"]
        # The next writes (the set, and a checkpoint in its folder) remove whatever the killed writer left.
        storage.write_results(out, _records(1, epochs=2000), META)
        checkpoints.atomic_write_bytes(ckpt / "marker", b"ok")
        assert _temps(out) == [] and _temps(ckpt) == []
        assert storage.load_results(out)
    assert len(outcomes) == 4
