"""Random numbers: one ``SeedSequence`` per run, one named stream per mechanism.

A stream's key is a stable hash of its name, so adding or removing a mechanism never
shifts another mechanism's numbers, and strategies compared on the same seed share every
draw that their differences do not touch (common random numbers). Each mechanism draws
its numbers a year (``BLOCK_MONTHS``) at a time, in amounts that depend on the
consortium's size and on arrivals only, never on its state: month m of a run always gets
the same numbers, whatever the horizon and whatever happened before.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

STREAMS: tuple[str, ...] = (
    "init", "grants", "turnover", "coordination", "referrals", "funding", "engagement",
    "recruitment", "mesa",
)

SeedLike = int | np.random.SeedSequence


def as_seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    """Accept an int or a SeedSequence (e.g. one child of ``SeedSequence.spawn``)."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"a seed must be a non-negative integer, found {seed!r}")
    return np.random.SeedSequence(int(seed))


def stream(seed_seq: np.random.SeedSequence, name: str) -> np.random.Generator:
    """The generator of one named stream of a run."""
    key = (*seed_seq.spawn_key, zlib.crc32(name.encode()))
    child = np.random.SeedSequence(seed_seq.entropy, spawn_key=key,
                                   pool_size=seed_seq.pool_size)
    return np.random.Generator(np.random.PCG64(child))


BLOCK_MONTHS = 12  # random numbers are drawn a year of months at a time


def monthly_uniforms(rng: np.random.Generator, per_month: int) -> np.ndarray:
    """A year's uniforms for one mechanism: ``BLOCK_MONTHS`` rows of ``per_month``."""
    return rng.random((BLOCK_MONTHS, per_month))


class Streams(dict[str, np.random.Generator]):
    """A run's named streams, each made the first time it is asked for (a stream depends on
    its name only, so when it is made changes no number)."""

    def __init__(self, seed_seq: np.random.SeedSequence) -> None:
        super().__init__()
        self.seed_seq = seed_seq

    def __missing__(self, name: str) -> np.random.Generator:
        if name not in STREAMS:
            raise KeyError(f"no random stream named {name!r}; streams are {STREAMS}")
        generator = self[name] = stream(self.seed_seq, name)
        return generator


def make_streams(seed_seq: np.random.SeedSequence) -> Streams:
    """Every mechanism's stream, by name, each made when first used."""
    return Streams(seed_seq)


def describe(seed_seq: np.random.SeedSequence) -> dict[str, Any]:
    """What reproduces this run's randomness: entropy and spawn key."""
    return {"entropy": str(seed_seq.entropy), "spawn_key": list(seed_seq.spawn_key)}


def spawn_replicates(root_seed: int, n: int) -> list[np.random.SeedSequence]:
    """Replicate seeds for an experiment: the same list for every strategy."""
    return np.random.SeedSequence(root_seed).spawn(n)
