"""The report trusts nothing it reads: a result set with a missing or mistyped field, a file in place of a folder,
a missing file: one usage error naming the field or file and what is allowed, no traceback, nothing written."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from dnnkit import __version__
from dnnkit.evidence.claimrun import ClaimRun
from dnnkit.evidence.claims import get_claim
from dnnkit.report import main
from dnnkit.results import storage

META = {"dnnkit": __version__, "torch": "x", "python": "3", "device": "cpu", "git_commit": "abc", "profile": "quick",
        "seed_base": 0}


def _valid_set(where: Path) -> dict:
    run = ClaimRun(get_claim("large-init-high-loss"), profile="quick", n_seeds=5, seed_base=0, device="cpu",
                   nodeid="t.py::test_x")
    run.decide([10, 11, 12, 13, 14], [1, 2, 3, 4, 5], label="loss")
    record = {**run.to_record(), "outcome": "passed"}
    storage.write_results(where, [record], META)
    return json.loads((where / "claims.json").read_text())


def _set(payload: dict, path: str, value: object) -> dict:
    out = copy.deepcopy(payload)
    keys = path.split(".")
    node = out
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    last = keys[-1]
    if value is KeyError:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


BAD_FIELDS = [
    ("meta", KeyError, "meta is None"),
    ("meta", "x", "meta is 'x'"),
    ("claims", {"a": 1}, "claims is 'dict'"),
    ("claims.0", 3, "claims[0] is 'int'"),
    ("claims.0.id", KeyError, "claims[0].id is None"),
    ("claims.0.id", "", "claims[0].id is ''"),
    ("claims.0.claim", KeyError, "claim is None"),
    ("claims.0.claim.section", 5, "claim.section is 5"),
    ("claims.0.claim.kind", None, "claim.kind is None"),
    ("claims.0.claim.sentence", KeyError, "claim.sentence is None"),
    ("claims.0.verdict", "maybe", "verdict is 'maybe'"),
    ("claims.0.decisions", "x", "decisions is 'str'"),
    ("claims.0.decisions.0.label", KeyError, "decisions[0].label is None"),
    ("claims.0.decisions.0.label", 7, "decisions[0].label is 7"),
    ("claims.0.decisions.0.decision", KeyError, "decisions[0].decision is None"),
    ("claims.0.decisions.0.decision.verdict", KeyError, "decision.verdict is None"),
    ("claims.0.decisions.0.decision.test", 1.5, "decision.test is 1.5"),
    ("claims.0.decisions.0.values", [1], "values/effect is [1]"),
]


@pytest.mark.parametrize("command", ["show", "compare", "claim"])
@pytest.mark.parametrize(("field", "value", "named"), BAD_FIELDS, ids=[f"{f}={v!r}" for f, v, _ in BAD_FIELDS])
def test_a_bad_field_is_named_without_a_traceback(tmp_path: Path, capsys, command: str, field: str, value: object,
                                                   named: str) -> None:
    good = _valid_set(tmp_path / "good")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "claims.json").write_text(json.dumps(_set(good, field, value)))
    before = sorted(p.name for p in bad.iterdir())
    argv = {"show": ["--results", str(bad)], "compare": ["--compare", str(tmp_path / "good"), str(bad)],
            "claim": ["--results", str(bad), "--claim", "large-init-high-loss"]}[command]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "Traceback" not in err
    assert "is not a valid dnnkit result set" in err and named in err and "allowed:" in err
    assert sorted(p.name for p in bad.iterdir()) == before


@pytest.mark.parametrize(("argv", "named"), [
    (["--results", "{tmp}/missing.json"], "cannot read dnnkit results"),
    (["--compare", "{tmp}/good", "{tmp}/nothing-here"], "cannot read dnnkit results"),
    (["--results", "{tmp}/good", "--markdown", "{tmp}/good/claims.md"], "is a file; give a directory"),
    (["--results", "{tmp}/good", "--plots", "{tmp}/good/runs.csv"], "is a file; give a directory"),
    (["--results", "{tmp}/not-json.json"], "cannot read dnnkit results"),
    (["--results", "{tmp}/other-schema.json"], "is not a dnnkit result set of schema 1"),
])
def test_bad_files_and_targets_are_usage_errors(tmp_path: Path, capsys, argv: list[str], named: str) -> None:
    _valid_set(tmp_path / "good")
    (tmp_path / "not-json.json").write_text("{not json")
    (tmp_path / "other-schema.json").write_text('{"schema": 2, "claims": []}')
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    with pytest.raises(SystemExit) as exit_info:
        main([a.format(tmp=tmp_path) for a in argv])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "Traceback" not in err and named in err
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize("loader", ["mnist_split", "cifar10_split", "load_mnist_idx", "load_cifar10"])
def test_a_data_dir_that_is_a_file_says_so(tmp_path: Path, loader: str) -> None:
    from dnnkit import data

    file = tmp_path / "train-images-idx3-ubyte"
    file.write_bytes(b"\x00" * 16)
    with pytest.raises(NotADirectoryError, match=f"data directory {file} is a file; give the directory"):
        getattr(data, loader)(file)
    missing = tmp_path / "missing"
    with pytest.raises(FileNotFoundError, match=f"data directory {missing} does not exist"):
        getattr(data, loader)(missing)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train-images-idx3-ubyte"]
