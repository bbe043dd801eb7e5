"""examples/ is a user's repository in miniature: run on its own, it declares and decides its own claims only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_example_repository_has_its_own_table(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    done = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "examples"), "-n", "0", "-p", "no:cacheprovider",
                           "--benchmark-disable", "--results-dir", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    payload = json.loads((tmp_path / "claims.json").read_text())
    assert sorted(r["id"] for r in payload["claims"]) == ["big-batches-cheaper-per-example", "more-data-helps",
                                                         "resume-is-exact", "skips-help-deep-nets"]
    assert payload["meta"]["untested_claims"] == []
    assert all(r["as_expected"] for r in payload["claims"])
    assert "skips-help-deep-nets" in done.stdout and "zero-init-symmetry" not in done.stdout
