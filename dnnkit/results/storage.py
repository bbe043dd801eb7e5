"""Result files, written once by the controller as one set: claims.json, claims.md and the long runs table.

claims.json is the set's manifest: it carries the sha256 of its siblings and is moved in last, so a write killed
half-way leaves either the complete new set or an old claims.json whose hashes name the sibling that changed."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from ..train.checkpoints import remove_stale_temps, temp_prefix
from .markdown import markdown

SCHEMA = 1
MANIFEST = "claims.json"
SIBLINGS = ("claims.md", "runs.csv")  # the files claims.json may list under "files"


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


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(directory: Path) -> None:
    """Make the renames durable (where the platform lets a directory be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _kept_runs_csv(out: Path) -> dict[str, str]:
    """The hash of an existing runs.csv that the current manifest vouches for, so a set rewritten without its runs
    table (write_claims) still lists it; {} when there is none or it does not match."""
    try:
        digest = json.loads((out / MANIFEST).read_text()).get("files", {}).get("runs.csv")
        return {"runs.csv": digest} if digest == _sha256((out / "runs.csv").read_bytes()) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def write_set(results_dir: str | Path, payload: dict, siblings: dict[str, str]) -> None:
    """Write `siblings` (name -> text) and claims.json (`payload` plus their sha256 under "files") as one set.

    All files go to a fresh temp folder inside results_dir (same filesystem), then are moved in with os.replace,
    claims.json last. Orphan temps of killed earlier writers are removed first; none of this write's is left."""
    out = Path(results_dir)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out)
    encoded = {name: text.encode("utf-8") for name, text in siblings.items()}
    files = {**_kept_runs_csv(out), **{name: _sha256(data) for name, data in encoded.items()}}
    manifest = {**payload, "files": dict(sorted(files.items()))}
    encoded[MANIFEST] = (json.dumps(manifest, indent=1, allow_nan=False) + "\n").encode("utf-8")
    tmp = Path(tempfile.mkdtemp(dir=out, prefix=temp_prefix("set")))
    try:
        for name, data in encoded.items():
            _write_synced(tmp / name, data)
        for name in [*siblings, MANIFEST]:  # the manifest last: before it moves, the old one flags the mix
            os.replace(tmp / name, out / name)
        _fsync_dir(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_claims(results_dir: str | Path, records: list[dict], meta: dict, *, runs_csv: str | None = None) -> None:
    """claims.json (records without per-epoch history) and claims.md, plus `runs_csv` when given, as one set."""
    slim = [{k: v for k, v in r.items() if k != "history"} for r in records]
    siblings = {"claims.md": markdown(records, meta) + "\n"}
    if runs_csv is not None:
        siblings["runs.csv"] = runs_csv
    write_set(results_dir, {"schema": SCHEMA, "meta": meta, "claims": slim}, siblings)


def runs_csv_text(records: list[dict], meta: dict) -> str:
    """runs.csv: the long table with the run's provenance columns."""
    frame = runs_frame(records)
    for key in ("dnnkit", "torch", "python", "device", "git_commit", "profile", "seed_base"):
        frame[key] = meta.get(key)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue()


def write_results(results_dir: str | Path, records: list[dict], meta: dict) -> None:
    """claims.json, claims.md and runs.csv, as one set (write_set)."""
    write_claims(results_dir, records, meta, runs_csv=runs_csv_text(records, meta))


def check_manifest(claims_json: Path, payload: dict) -> None:
    """ValueError naming the sibling whose sha256 differs from the one claims.json lists (a write killed between
    its renames, or a file changed by hand). A listed file that is absent (a clone without runs.csv) is fine."""
    files = payload.get("files", {})
    if not isinstance(files, dict) or not set(files) <= set(SIBLINGS):
        raise ValueError(f"{str(claims_json)!r}: 'files' must map {' / '.join(SIBLINGS)} to sha256 hashes, "
                         f"got {files!r}")
    for name, digest in files.items():
        sibling = claims_json.parent / name
        try:
            data = sibling.read_bytes()
        except FileNotFoundError:
            continue
        except OSError as err:
            raise ValueError(f"cannot read {str(sibling)!r} of the result set: {err}") from None
        if _sha256(data) != digest:
            raise ValueError(f"result set {str(claims_json.parent)!r} is mixed: {name} does not match claims.json "
                             f"(sha256 {_sha256(data)[:12]}, claims.json lists {str(digest)[:12]}); a write was "
                             "interrupted or the file was changed: rerun to write the set again")


_A_RESULT_SET = "a results directory holding the claims.json that --results-dir wrote, or that claims.json itself"


def load_results(path: str | Path, verify: bool = True) -> dict:
    """Read a claims.json (a directory or the file itself); ValueError if it is not a dnnkit result set, or (verify)
    if a sibling it lists differs from its hash."""
    path = Path(path)
    if path.is_dir():
        path = path / "claims.json"
    try:
        payload = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"cannot read dnnkit results from {str(path)!r}: {err}; give {_A_RESULT_SET}") from None
    if not isinstance(payload, dict) or payload.get("schema") != SCHEMA or "claims" not in payload:
        raise ValueError(f"{str(path)!r} is not a dnnkit result set of schema {SCHEMA}; allowed: {_A_RESULT_SET} "
                         f"(schema {SCHEMA}, with a 'claims' list)")
    problem = schema_problem(payload)
    if problem:
        raise ValueError(f"{str(path)!r} is not a valid dnnkit result set: {problem}")
    if verify and "files" in payload:
        check_manifest(path, payload)
    return payload


VERDICT_VALUES = (None, "confirmed", "refuted", "not reproduced")
# What the tables, the comparison and the detail view read from a record, with the type each must have.
CLAIM_FIELDS = {"section": str, "kind": str, "sentence": str, "source": str, "metric": str, "direction": str}
DECISION_FIELDS = {"verdict": str, "test": str}


def _bad(where: str, value: object, allowed: str) -> str:
    return f"{where} is {value!r}; allowed: {allowed}"


def _mistyped(obj: dict, fields: dict[str, type], where: str) -> str | None:
    for key, kind in fields.items():
        if not isinstance(obj.get(key), kind):
            return _bad(f"{where}.{key}", obj.get(key), f"a {kind.__name__}")
    return None


def schema_problem(payload: dict) -> str | None:
    """The first field of a loaded result set that the report cannot read (None if it can): meta, and per claim its
    id, declaration, verdict and decisions. Named by its path, so a hand-edited or foreign file says where it breaks."""
    if not isinstance(payload.get("meta"), dict):
        return _bad("meta", payload.get("meta"), "an object with the run's provenance (dnnkit, torch, profile, ...)")
    if not isinstance(payload["claims"], list):
        return _bad("claims", type(payload["claims"]).__name__, "a list of claim records")
    for i, r in enumerate(payload["claims"]):
        where = f"claims[{i}]"
        if not isinstance(r, dict):
            return _bad(where, type(r).__name__, "an object (one claim record)")
        if not isinstance(r.get("id"), str) or not r["id"]:
            return _bad(f"{where}.id", r.get("id"), "a non-empty string")
        where = f"claims[{i}] ({r['id']})"
        claim = r.get("claim")
        if not isinstance(claim, dict):
            return _bad(f"{where}.claim", claim, "the claim's declaration (an object)")
        mistyped = _mistyped(claim, CLAIM_FIELDS, f"{where}.claim")
        if mistyped:
            return mistyped
        if r.get("verdict") not in VERDICT_VALUES:
            return _bad(f"{where}.verdict", r.get("verdict"), ", ".join(map(str, VERDICT_VALUES)))
        decisions = r.get("decisions", [])
        if not isinstance(decisions, list):
            return _bad(f"{where}.decisions", type(decisions).__name__, "a list")
        for j, d in enumerate(decisions):
            at = f"{where}.decisions[{j}]"
            if not isinstance(d, dict) or not isinstance(d.get("label"), str):
                return _bad(f"{at}.label", d.get("label") if isinstance(d, dict) else d, "a string")
            dec = d.get("decision")
            if not isinstance(dec, dict):
                return _bad(f"{at}.decision", dec, "the decision (an object)")
            mistyped = _mistyped(dec, DECISION_FIELDS, f"{at}.decision")
            if mistyped:
                return mistyped
            if not isinstance(dec.get("effect", {}), dict) or not isinstance(d.get("values", {}), dict):
                return _bad(f"{at}.values/effect", d.get("values"), "objects")
    return None


def unwritable_dir_reason(value: str | Path) -> str | None:
    """Why `value` cannot take output files, or None (checked before a long run, not after it): the folder is created (with missing parents), a probe
    file written and removed, and whatever the check created removed again, so a refused run writes nothing."""
    path = Path(value)
    if path.exists() and not path.is_dir():
        return "it is a file, not a directory"
    created = [p for p in (path, *path.parents) if not p.exists()]
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=temp_prefix("probe"))
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        return err.strerror or str(err)
    finally:
        for folder in created:  # deepest first
            try:
                folder.rmdir()
            except OSError:
                break
    return None
