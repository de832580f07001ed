"""Streams: named random number generators derived from one seed, stable under additions.

`Streams(seed)["line.unit_time/fuchun.ecom"]` is a numpy Generator whose numbers depend only on
the seed and the name. The name is hashed with BLAKE2 (not Python's salted `hash`), so the
streams are the same in every process and under every PYTHONHASHSEED, and adding a seller, a
line or a new stream never shifts the numbers of another: that is what keeps common random
numbers common when the variants of an experiment differ. A draw that belongs to a buyer's order
at a shared place (a factory's fabric, a line's unit time, a sample room's making time) comes
from that buyer's own stream there, `NAME/BUYER` (`PerBuyer`), so one buyer's orders never
shift another's numbers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

import numpy as np

T = TypeVar("T")

_WORDS = 4  # 32-bit words of the name's hash fed to SeedSequence: 128 bits, collisions moot


def name_key(name: str) -> tuple[int, ...]:
    """A stable tuple of 32-bit integers for a stream name."""
    digest = hashlib.blake2b(name.encode(), digest_size=4 * _WORDS).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 4 * _WORDS, 4))


class Streams:
    """One independent numpy Generator per stream name, created on first use and then reused."""

    def __init__(self, seed: int) -> None:
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        self.seed = seed
        self._generators: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        rng = self._generators.get(name)
        if rng is None:
            sequence = np.random.SeedSequence(self.seed, spawn_key=name_key(name))
            rng = self._generators[name] = np.random.Generator(np.random.PCG64(sequence))
        return rng

    def names(self) -> list[str]:
        """The streams used so far, sorted: a run's manifest lists them."""
        return sorted(self._generators)


class Lazy(dict[str, T]):
    """A dict whose missing key's value is made by `make(key)` on first lookup, and kept."""

    def __init__(self, make: Callable[[str], T]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: str) -> T:
        value = self[key] = self.make(key)
        return value


class PerBuyer(Lazy[T]):
    """The samplers of one quantity at one place, one per buyer, each drawing from the buyer's
    own stream `NAME/BUYER` and made on the buyer's first order.

    A Lazy dict, so looking a buyer up on the hot path is a plain dictionary lookup.
    """

    def __init__(
        self, streams: Streams, name: str, make: Callable[[np.random.Generator], T]
    ) -> None:
        super().__init__(lambda buyer: make(streams[f"{name}/{buyer}"]))
