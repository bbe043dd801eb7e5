"""Result files, written once by the controller and atomically: claims.json, claims.md and the long runs table."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd

from ..train.checkpoints import atomic_write_text
from .markdown import markdown

SCHEMA = 1


def runs_frame(records: list[dict]) -> pd.DataFrame:
    """The long table: one row per (claim, arm, seed, epoch) with metrics, training-only time and provenance columns."""
    frames = []
    for r in records:
        if not r.get("history"):
            continue
        df = pd.DataFrame(r["history"])
        seeds = {(run["arm"], run["rep"]): run["seeds"] for run in r.get("runs", [])}
        df.insert(0, "claim", r["id"])
        df["seed_init"] = [seeds.get((a, k), {}).get("init") for a, k in zip(df["arm"], df["rep"], strict=True)]
        modes = {(run["arm"], run["rep"]): run.get("mode") for run in r.get("runs", [])}
        df["mode"] = [modes.get((a, k), r.get("mode")) for a, k in zip(df["arm"], df["rep"], strict=True)]
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def write_claims(results_dir: str | Path, records: list[dict], meta: dict) -> None:
    """claims.json (records without per-epoch history) and claims.md; each file atomic."""
    out = Path(results_dir)
    slim = [{k: v for k, v in r.items() if k != "history"} for r in records]
    payload = {"schema": SCHEMA, "meta": meta, "claims": slim}
    atomic_write_text(out / "claims.json", json.dumps(payload, indent=1, allow_nan=False) + "\n")
    atomic_write_text(out / "claims.md", markdown(records, meta) + "\n")


def write_results(results_dir: str | Path, records: list[dict], meta: dict) -> None:
    """claims.json, claims.md and runs.csv; each file atomic."""
    out = Path(results_dir)
    write_claims(out, records, meta)
    frame = runs_frame(records)
    for key in ("dnnkit", "torch", "python", "device", "git_commit", "profile", "seed_base"):
        frame[key] = meta.get(key)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    atomic_write_text(out / "runs.csv", buffer.getvalue())


def load_results(path: str | Path) -> dict:
    """Read a claims.json (a directory or the file itself); ValueError if it is not a dnnkit result set."""
    path = Path(path)
    if path.is_dir():
        path = path / "claims.json"
    try:
        payload = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"cannot read dnnkit results from {str(path)!r}: {err}") from None
    if not isinstance(payload, dict) or payload.get("schema") != SCHEMA or "claims" not in payload:
        raise ValueError(f"{str(path)!r} is not a dnnkit result set of schema {SCHEMA}")
    return payload
