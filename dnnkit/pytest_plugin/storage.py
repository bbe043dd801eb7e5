"""Moved to dnnkit.results.storage; this module keeps the old import path working."""

from ..results.storage import SCHEMA, load_results, runs_frame, write_claims, write_results

__all__ = ["SCHEMA", "load_results", "runs_frame", "write_claims", "write_results"]
