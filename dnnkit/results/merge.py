"""Result sets side by side: two sets compared claim by claim (`dnnkit --compare`), the sets of several seed
bases merged into one with a stability column (`dnnkit stability`), and the shards of one run (a suite split over
machines) merged into the set a single run writes (`dnnkit merge`)."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .multiplicity import adjust_across
from .records import verdict_text

STABLE_AT = 4  # of 5 bases: a claim whose modal verdict holds on fewer is flagged as unstable


class IncompatibleResults(ValueError):
    """Two result sets that must not be compared (schema or dnnkit minor version differ)."""


@dataclass
class ClaimChange:
    """One claim (and one of its sub-comparisons) in two result sets."""

    claim: str
    label: str
    old_verdict: str
    new_verdict: str
    effect_name: str
    old_effect: float | None
    new_effect: float | None
    old_ci: tuple[float, float] | None
    old_p: float | None
    new_p: float | None

    @property
    def flipped(self) -> bool:
        return self.old_verdict != self.new_verdict

    @property
    def outside_old_ci(self) -> bool:
        """The new estimate lies outside the old run's CI: the effect moved, not just the noise."""
        if self.old_ci is None or self.new_effect is None:
            return False
        lo, hi = self.old_ci
        return not lo <= self.new_effect <= hi


@dataclass
class SpecChange:
    """A claim whose declaration (its fingerprint) differs between two result sets."""

    claim: str
    old_fingerprint: str
    new_fingerprint: str
    new_amendments: list[str]

    @property
    def amended(self) -> bool:
        return bool(self.new_amendments)


@dataclass
class ResultComparison:
    old_meta: dict
    new_meta: dict
    changes: list[ClaimChange] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    spec_changes: list[SpecChange] = field(default_factory=list)
    unfingerprinted: list[str] = field(default_factory=list)

    @property
    def flips(self) -> list[str]:
        return sorted({c.claim for c in self.changes if c.flipped})

    @property
    def unamended(self) -> list[str]:
        """Claims whose declaration changed with no new amendment: a change after the results were seen."""
        return [c.claim for c in self.spec_changes if not c.amended]


def spec_change(old: dict, new: dict) -> SpecChange | None:
    """The declaration change of one claim between two records (None if unchanged or not fingerprinted)."""
    fa, fb = old.get("fingerprint"), new.get("fingerprint")
    if not fa or not fb or fa == fb or _knobs_added_text_same(old["claim"], new["claim"]):
        return None
    before = list(old["claim"].get("amendments") or [])
    return SpecChange(new["id"], fa, fb, [a for a in new["claim"].get("amendments") or [] if a not in before])


def _knobs_added_text_same(old: dict, new: dict) -> bool:
    """A claim first declared with knobs, every other field as before: the same design written as data (its
    fingerprint now hashes the knobs too), not a change."""
    if old.get("knobs") is not None or new.get("knobs") is None:
        return False
    skip = {"amendments", "amendment_bases", "fingerprint", "knobs"}
    return {k: v for k, v in old.items() if k not in skip} == {k: v for k, v in new.items() if k not in skip}


def _minor(version: Any) -> tuple[str, ...]:
    return tuple(str(version).split(".")[:2])


def check_compatible(old_meta: dict, new_meta: dict) -> list[str]:
    """Raise IncompatibleResults for different dnnkit minor versions; return warnings for differing set-ups."""
    if _minor(old_meta.get("dnnkit")) != _minor(new_meta.get("dnnkit")):
        raise IncompatibleResults(
            f"result sets made by incompatible dnnkit versions ({old_meta.get('dnnkit')} vs {new_meta.get('dnnkit')}): "
            "claim definitions and statistics may differ; rerun both with one version (or pass --allow-incompatible)")
    return [f"{key} differs: {old_meta.get(key)!r} -> {new_meta.get(key)!r}"
            for key in ("profile", "seed_base", "device", "torch", "seeds_override")
            if old_meta.get(key) != new_meta.get(key)]


def _float(x: Any) -> float | None:
    if isinstance(x, bool) or x is None:
        return None
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _estimate(decision: dict | None) -> tuple[float | None, tuple[float, float] | None]:
    if not decision:
        return None, None
    effect = decision.get("effect", {})
    lo, hi = _float(effect.get("ci_low")), _float(effect.get("ci_high"))
    return _float(effect.get("estimate")), (lo, hi) if lo is not None and hi is not None else None


def compare_results(old: dict, new: dict, *, allow_incompatible: bool = False) -> ResultComparison:
    """Match claims by id and their sub-comparisons by label; verdicts and effects before and after."""
    try:
        warnings = check_compatible(old.get("meta", {}), new.get("meta", {}))
    except IncompatibleResults:
        if not allow_incompatible:
            raise
        warnings = ["dnnkit versions differ; compared anyway (--allow-incompatible)"]
    old_by = {r["id"]: r for r in old["claims"]}
    new_by = {r["id"]: r for r in new["claims"]}
    out = ResultComparison(old.get("meta", {}), new.get("meta", {}), warnings=warnings,
                           added=sorted(set(new_by) - set(old_by)), removed=sorted(set(old_by) - set(new_by)))
    for cid in sorted(set(old_by) & set(new_by)):
        a, b = old_by[cid], new_by[cid]
        change = spec_change(a, b)
        if change is not None:
            out.spec_changes.append(change)
        elif not a.get("fingerprint") or not b.get("fingerprint"):
            out.unfingerprinted.append(cid)
        va, vb = verdict_text(a), verdict_text(b)
        dec_a = {d["label"]: d["decision"] for d in a.get("decisions", [])}
        dec_b = {d["label"]: d["decision"] for d in b.get("decisions", [])}
        labels = list(dict.fromkeys([*dec_a, *dec_b])) or [""]
        for label in labels:
            da, db = dec_a.get(label), dec_b.get(label)
            est_a, ci_a = _estimate(da)
            est_b, _ = _estimate(db)
            out.changes.append(ClaimChange(
                claim=cid, label=label,
                old_verdict=(da or {}).get("verdict", "-") if len(labels) > 1 else va,
                new_verdict=(db or {}).get("verdict", "-") if len(labels) > 1 else vb,
                effect_name=(db or da or {}).get("effect_name", ""), old_effect=est_a, new_effect=est_b, old_ci=ci_a,
                old_p=_float((da or {}).get("p_value")), new_p=_float((db or {}).get("p_value"))))
        if len(labels) > 1 and va != vb:
            # The claim-level verdict, so a flip shows even when every sub-comparison kept its own.
            out.changes.append(ClaimChange(cid, "(claim verdict)", va, vb, "", None, None, None,
                                           _float(a.get("p_value")), _float(b.get("p_value"))))
    return out


def merge_bases(per_base: dict[int, dict], amended: dict[int, dict] | None = None) -> dict:
    """The first base's result set with each claim's verdicts over all bases (and at its amendment bases)."""
    bases = sorted(per_base)
    first = per_base[bases[0]]
    verdicts = {b: {r["id"]: r for r in per_base[b]["claims"]} for b in bases}
    amended_records = {b: {r["id"]: r for r in s["claims"]} for b, s in (amended or {}).items()}
    stable = 0
    for record in first["claims"]:
        by_base = {str(b): verdicts[b][record["id"]]["verdict"] if record["id"] in verdicts[b] else None
                   for b in bases}
        counts = collections.Counter(by_base.values())
        modal, agree = counts.most_common(1)[0]
        expected = set(record.get("expected") or ["confirmed"])
        as_expected = sum(1 for b in bases if record["id"] in verdicts[b] and verdicts[b][record["id"]].get("as_expected"))
        record["stability"] = {
            "verdicts": by_base, "bases": len(bases), "agree": agree, "modal": modal, "stable_at": STABLE_AT,
            "as_expected": as_expected, "expected": sorted(expected),
            "amendment_bases": {str(b): s[record["id"]]["verdict"] for b, s in amended_records.items()
                                if record["id"] in s},
        }
        stable += agree >= STABLE_AT
    first["meta"]["stability"] = {"bases": bases, "claims": len(first["claims"]), "stable": stable,
                                  "stable_at": STABLE_AT, "amendment_bases": sorted(amended or {})}
    return first


# ------------------------------------------------------------------------------------------------------------
# shards of one suite (split over machines) merged into one result set: `dnnkit merge`
# ------------------------------------------------------------------------------------------------------------

SHARD_KEYS = ("profile", "seed_base", "seeds_override", "dnnkit", "git_commit")  # must agree: one run, split
SHARD_PROVENANCE = ("date", "device", "gpu", "cpu", "torch", "workers", "claims_run", "argv")  # kept per shard
RUNS_PROVENANCE = ("dnnkit", "torch", "python", "device", "git_commit", "profile", "seed_base")  # runs.csv's last


class MixedShards(ValueError):
    """Result sets that are not shards of one run: a claim in two of them, or a differing profile, seed base,
    seed count, dnnkit version or commit."""


def check_shards(shards: dict[str, dict]) -> None:
    """MixedShards naming the first key whose values differ (with each shard's value), or a claim id held by two
    shards; a stability set (already merged over seed bases) is no shard."""
    for name, payload in shards.items():
        if payload["meta"].get("stability"):
            raise MixedShards(f"{name} is a `dnnkit stability` set (merged over seed bases), not a shard of one run")
    for key in SHARD_KEYS:
        values = {name: payload["meta"].get(key) for name, payload in shards.items()}
        if len({repr(v) for v in values.values()}) > 1:
            listed = ", ".join(f"{name}: {value!r}" for name, value in values.items())
            raise MixedShards(f"shards differ in {key} ({listed}); merge only shards of one run (same profile, "
                              "seed base, --seeds, dnnkit version and commit)")
    holders: dict[str, list[str]] = collections.defaultdict(list)
    for name, payload in shards.items():
        for cid in dict.fromkeys(r["id"] for r in payload["claims"]):
            holders[cid].append(name)
    for cid, names in holders.items():
        if len(names) > 1:
            raise MixedShards(f"claim {cid!r} is in more than one shard ({', '.join(names)}); split the suite so "
                              "each claim runs in exactly one shard")


def _merged_meta(shards: dict[str, dict], claim_ids: set[str]) -> dict:
    """The first shard's provenance, a value that differs between shards written as 'a / b', the latest date; each
    shard's own provenance under "shards"; untested claims: untested in some shard and run in none."""
    metas = [payload["meta"] for payload in shards.values()]
    meta: dict = {}
    for key in dict.fromkeys(k for m in metas for k in m):
        if key in ("argv", "shards", "untested_claims"):
            continue
        if len({repr(m.get(key)) for m in metas}) == 1:
            meta[key] = metas[0].get(key)
        else:
            meta[key] = " / ".join(str(m.get(key)) for m in metas)
    meta["date"] = max(str(m.get("date")) for m in metas)
    meta["claims_run"] = sum(len(payload["claims"]) for payload in shards.values())
    meta["untested_claims"] = sorted({c for m in metas for c in m.get("untested_claims") or []} - claim_ids)
    meta["shards"] = [entry for name, m in zip(shards, metas, strict=True)
                      for entry in (m.get("shards") or [{"dir": name, **{k: m.get(k) for k in SHARD_PROVENANCE}}])]
    return meta


def merge_shards(shards: dict[str, dict]) -> dict:
    """One result set from the shards of one run (name -> loaded claims.json): the records' union in the table's
    order, BH and Holm recomputed across the union (as a single run adjusts them), provenance per shard."""
    if not shards:
        raise ValueError("no shards to merge: give at least one result set")
    check_shards(shards)
    records = adjust_across([dict(r) for payload in shards.values() for r in payload["claims"]])
    meta = _merged_meta(shards, {r["id"] for r in records})
    return {"schema": next(iter(shards.values()))["schema"], "meta": meta, "claims": records}


def merge_runs_csv(texts: dict[str, str], claim_order: list[str]) -> str:
    """The shards' runs.csv (name -> text) as one table: rows grouped by claim in `claim_order` (each claim's rows
    in its shard's order), columns in order of first appearance with the provenance columns last. Cells are kept
    as written (read as text), so a number is not reparsed."""
    import io

    import pandas as pd

    frames: dict[str, pd.DataFrame] = {}
    for name, text in texts.items():
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except (ValueError, pd.errors.ParserError) as err:
            raise ValueError(f"{name}: runs.csv is not readable ({err})") from None
        if not len(frame):
            continue  # a shard whose claims recorded no per-epoch history
        if "claim" not in frame.columns:
            raise ValueError(f"{name}: runs.csv has no 'claim' column (columns: {', '.join(frame.columns)})")
        frames.update({cid: rows for cid, rows in frame.groupby("claim", sort=False)})
    columns = list(dict.fromkeys(c for name in texts for c in _header(texts[name])))
    columns = [c for c in columns if c not in RUNS_PROVENANCE] + [c for c in RUNS_PROVENANCE if c in columns]
    parts = [frames[cid] for cid in dict.fromkeys(claim_order) if cid in frames]
    merged = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    buffer = io.StringIO()
    merged.reindex(columns=columns).fillna("").to_csv(buffer, index=False)
    return buffer.getvalue()


def _header(text: str) -> list[str]:
    import csv
    import io

    return next(csv.reader(io.StringIO(text)), [])


def merge_shard_dirs(dirs: list[str | Path], out: str | Path) -> dict:
    """`dnnkit merge`: load each shard's result set (claims.json checked against its hashes, runs.csv required),
    merge them and write claims.json / claims.md / runs.csv into `out` as one set; returns the merged payload."""
    from .storage import load_results, write_claims

    out = Path(out)
    shards, runs, seen = {}, {}, {}
    for d in dirs:
        folder = Path(d).parent if Path(d).suffix == ".json" else Path(d)
        name = str(d)
        if folder.resolve() in seen:
            raise MixedShards(f"shard {name} is given twice (as {seen[folder.resolve()]} too)")
        seen[folder.resolve()] = name
        if folder.resolve() == out.resolve():
            raise ValueError(f"--out {str(out)!r} is the shard {name}; write the merged set to another directory")
        shards[name] = load_results(d)
        try:
            runs[name] = (folder / "runs.csv").read_text()
        except OSError as err:
            raise ValueError(f"shard {name} has no readable runs.csv ({err.strerror or err}); keep the whole results "
                             "dir of each shard (claims.json, claims.md, runs.csv)") from None
    merged = merge_shards(shards)
    runs_csv = merge_runs_csv(runs, [r["id"] for r in merged["claims"]])
    write_claims(out, merged["claims"], merged["meta"], runs_csv=runs_csv)
    return merged
