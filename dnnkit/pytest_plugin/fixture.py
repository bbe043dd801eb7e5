"""The `claim` fixture's run context: `ClaimRun` lives in dnnkit.claimrun (free of pytest); re-exported here."""

from __future__ import annotations

from ..evidence.claimrun import ClaimRun

__all__ = ["ClaimRun"]
