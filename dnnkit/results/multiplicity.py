"""Multiplicity across one result set: the records in their table order with BH q-values and Holm p-values over
every claim's p. One function, so a run (the plugin) and a merge of shards (`dnnkit merge`) adjust the same way."""

from __future__ import annotations

from ..evidence import stats

BH_ROBUST_AT = 0.05  # a confirmed claim whose BH q reaches this is flagged "not robust to multiplicity"


def adjust_across(records: list[dict]) -> list[dict]:
    """Sort `records` by (claim id, test) in place (xdist and shard order are arbitrary) and set each one's q_bh,
    p_holm and bh_flag across all of them; returns the list."""
    records.sort(key=lambda r: (r["id"], r["test"]))
    q, holm = stats.adjust_p_values([r.get("p_value") if isinstance(r.get("p_value"), float) else None
                                     for r in records])
    for record, qv, hv in zip(records, q, holm, strict=True):
        record["q_bh"], record["p_holm"] = qv, hv
        record["bh_flag"] = record["verdict"] == stats.CONFIRMED and qv is not None and qv >= BH_ROBUST_AT
    return records
