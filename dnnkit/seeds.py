"""Derived seeds: hash(base, claim, role, repetition, stream), so no seed is typed by hand and streams are independent.

Init, data order and dropout each get their own torch.Generator: adding BN or biases to one arm does not shift
the other streams, and arms that share a (claim, repetition) share data order and init (common random numbers).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

import torch

STREAMS = ("init", "data", "dropout")


def derive_seed(*parts: object) -> int:
    """A stable 63-bit seed from any parts (not Python's hash(), which is salted per process)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


@dataclass(frozen=True)
class RunSeeds:
    """The seeds of one training run, one per random stream."""

    init: int
    data: int
    dropout: int

    def generator(self, stream: str, device: str | torch.device = "cpu") -> torch.Generator:
        if stream not in STREAMS:
            raise ValueError(f"unknown seed stream {stream!r}; allowed: {', '.join(STREAMS)}")
        return torch.Generator(device=device).manual_seed(getattr(self, stream))

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def run_seeds(base: int, claim_id: str, rep: int, role: str = "shared") -> RunSeeds:
    """Seeds for repetition `rep` of a claim; arms sharing `role` share every stream."""
    return RunSeeds(*(derive_seed(base, claim_id, role, rep, stream) for stream in STREAMS))
