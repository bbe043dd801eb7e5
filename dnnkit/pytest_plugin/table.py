"""Moved to dnnkit.results (records, table, markdown); this module keeps the old import path working."""

from ..results.markdown import markdown, rows
from ..results.records import (
    as_expected_text,
    effect_text,
    expected_text,
    num,
    sensitivity_text,
    stability_text,
    verdict_text,
)
from ..results.records import deciding as _deciding
from ..results.records import gating as _gating
from ..results.table import VERDICT_STYLE, print_claims

__all__ = ["VERDICT_STYLE", "_deciding", "_gating", "as_expected_text", "effect_text", "expected_text", "markdown",
           "num", "print_claims", "rows", "sensitivity_text", "stability_text", "verdict_text"]
