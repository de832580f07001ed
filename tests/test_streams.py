"""Named random streams: reproducible per (seed, name), independent of which other streams exist
or in what order they were made, and the same in every process whatever PYTHONHASHSEED is."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from flexsim.streams import PerBuyer, Streams, name_key

NAMES = ["a", "demand.sales/seller-17", "line.unit_time/fuchun.ecom", "ünïcode/名"]


def first(streams: Streams, name: str, n: int = 8) -> list[float]:
    return streams[name].random(n).tolist()


def test_same_seed_and_name_give_the_same_numbers() -> None:
    assert first(Streams(5), "a") == first(Streams(5), "a")


def test_a_stream_is_one_generator_that_continues() -> None:
    streams = Streams(5)
    assert streams["a"] is streams["a"]
    head = first(streams, "a", 4)
    tail = first(streams, "a", 4)
    assert head + tail == first(Streams(5), "a", 8)


def test_different_names_give_different_numbers() -> None:
    streams = Streams(5)
    draws = [tuple(first(streams, name)) for name in NAMES]
    assert len(set(draws)) == len(NAMES)


def test_different_seeds_give_different_numbers() -> None:
    assert first(Streams(5), "a") != first(Streams(6), "a")


def test_stream_is_stable_under_additions() -> None:
    alone = first(Streams(9), "a")
    crowded = Streams(9)
    for name in ["b", "c", "line.unit_time/x", "a.b", "a/"]:
        crowded[name].random(1000)
    assert first(crowded, "a") == alone


def test_stream_is_stable_under_creation_order() -> None:
    forward, backward = Streams(3), Streams(3)
    ahead = {name: first(forward, name) for name in NAMES}
    behind = {name: first(backward, name) for name in reversed(NAMES)}
    assert ahead == behind


def test_per_buyer_samplers_draw_from_each_buyers_own_stream() -> None:
    streams = Streams(4)
    made: list[str] = []

    def make(rng: np.random.Generator) -> np.random.Generator:
        made.append("sampler")
        return rng

    unit_time = PerBuyer(streams, "line.unit_time/fuchun.ecom", make)
    assert unit_time["seller-3"] is unit_time["seller-3"]  # made once, on first use
    assert unit_time["seller-3"] is streams["line.unit_time/fuchun.ecom/seller-3"]
    assert len(made) == 1
    # a buyer's numbers are the same whoever else draws at the same place, and in what order
    unit_time["seller-1"].random(100)
    alone = PerBuyer(Streams(4), "line.unit_time/fuchun.ecom", make)
    assert alone["seller-3"].random(8).tolist() == unit_time["seller-3"].random(8).tolist()


def test_names_lists_the_streams_used_sorted() -> None:
    streams = Streams(0)
    for name in ["z", "a", "m", "a"]:
        streams[name]
    assert streams.names() == ["a", "m", "z"]


def test_seed_zero_is_allowed() -> None:
    assert len(first(Streams(0), "a")) == 8


def test_negative_seed_raises() -> None:
    with pytest.raises(ValueError, match="-1"):
        Streams(-1)


def test_name_key_is_four_32_bit_words() -> None:
    for name in NAMES:
        key = name_key(name)
        assert len(key) == 4
        assert all(isinstance(word, int) and 0 <= word < 2**32 for word in key)
    assert len({name_key(name) for name in NAMES}) == len(NAMES)


def test_name_key_is_pinned() -> None:
    # golden values: changing the hash would silently change every stream of every seed
    assert name_key("a") == (1851704103, 2139583379, 1180886313, 2118731342)


PROBE = (
    "import json, sys; from flexsim.streams import Streams, name_key; "
    "names = json.loads(sys.argv[1]); "
    "print(json.dumps([[list(name_key(n)) for n in names], "
    "[Streams(3)[n].random(4).tolist() for n in names]]))"
)


def in_subprocess(hash_seed: str) -> list[list[list[float]]]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(NAMES)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result: list[list[list[float]]] = json.loads(out.stdout)
    return result


def test_name_key_is_the_same_under_any_pythonhashseed() -> None:
    zero, other = in_subprocess("0"), in_subprocess("123")
    here = [[list(name_key(n)) for n in NAMES], [first(Streams(3), n, 4) for n in NAMES]]
    assert zero == other == here


def test_generators_are_pcg64() -> None:
    # the stream family is part of reproducibility: results must not depend on numpy's default
    assert isinstance(Streams(1)["a"].bit_generator, np.random.PCG64)
