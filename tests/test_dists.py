"""Distribution specs: sample moments against the analytic mean and variance (theory), block
samplers equal to plain sampling, weighted choice frequencies, and parameter validation."""

from __future__ import annotations

import math
from typing import Any, get_args

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from flexsim.dists import BLOCK, DIST_NAMES, FIRST_BLOCK, Deterministic, DistSpec, choice_sampler

N = 200_000
Z = 5.0  # standard errors allowed: a fixed seed makes each check deterministic anyway
ADAPTER: TypeAdapter[Any] = TypeAdapter(DistSpec)

PARAMS: dict[str, dict[str, Any]] = {
    "deterministic": {"value": 2.5},
    "exponential": {"mean": 3.0},
    "uniform": {"low": 1.0, "high": 4.0},
    "uniform_int": {"low": 3, "high": 11},
    "gamma": {"mean": 2.0, "cv": 0.7},
    "lognormal": {"mean": 5.0, "cv": 0.6},
    "poisson": {"mean": 4.2},
    "erlang": {"k": 3, "mean": 6.0},
}
RANDOM = [name for name in PARAMS if name != "deterministic"]


def spec(name: str) -> Any:
    return ADAPTER.validate_python({"dist": name, **PARAMS[name]})


def union_tags() -> set[str]:
    union = get_args(DistSpec)[0]
    return {get_args(member.model_fields["dist"].annotation)[0] for member in get_args(union)}


def test_dist_names_match_the_union_tags() -> None:
    assert set(DIST_NAMES) == union_tags()
    assert len(DIST_NAMES) == len(set(DIST_NAMES))


def test_every_distribution_has_test_parameters() -> None:
    assert set(PARAMS) == set(DIST_NAMES)


@pytest.mark.parametrize("name", DIST_NAMES)
def test_spec_is_chosen_by_its_tag(name: str) -> None:
    assert spec(name).dist == name


@pytest.mark.parametrize("name", DIST_NAMES)
def test_sample_mean_matches_expectation(name: str) -> None:
    dist = spec(name)
    x = dist.sample(np.random.default_rng(11), N)
    assert x.shape == (N,)
    standard_error = math.sqrt(dist.variance / N)
    assert abs(x.mean() - dist.expectation) <= Z * standard_error + 1e-12


@pytest.mark.parametrize("name", DIST_NAMES)
def test_sample_variance_matches_variance(name: str) -> None:
    dist = spec(name)
    x = dist.sample(np.random.default_rng(12), N)
    centred = x - x.mean()
    variance = centred.var(ddof=1)
    # the standard error of a sample variance is sqrt((m4 - s⁴) / n), m4 the 4th central moment
    standard_error = math.sqrt(max((centred**4).mean() - variance**2, 0.0) / N)
    assert abs(variance - dist.variance) <= Z * standard_error + 1e-12
    assert abs(variance - dist.variance) <= 0.03 * dist.variance + 1e-12


def test_deterministic_samples_are_its_value() -> None:
    x = spec("deterministic").sample(np.random.default_rng(0), 10)
    assert np.array_equal(x, np.full(10, 2.5))


def test_uniform_int_includes_both_ends_and_only_integers() -> None:
    x = spec("uniform_int").sample(np.random.default_rng(3), 10_000)
    assert set(np.unique(x)) == set(range(3, 12))


def test_lognormal_is_positive_with_the_given_median() -> None:
    # mean m and cv c give log-median log(m) - log(1 + c²)/2
    dist = spec("lognormal")
    x = dist.sample(np.random.default_rng(4), N)
    assert (x > 0).all()
    median = dist.mean / math.sqrt(1 + dist.cv**2)
    assert abs(np.median(x) / median - 1) < 0.01


@pytest.mark.parametrize("name", DIST_NAMES)
@pytest.mark.parametrize("scale", [1.0, 2.5])
def test_sampler_returns_block_samples_scaled(name: str, scale: float) -> None:
    """The sampler's blocks grow from FIRST_BLOCK to BLOCK, and its draws are still those of
    full blocks: numpy gives the same values whatever the block sizes (what lets them grow)."""
    dist = spec(name)
    draw = dist.sampler(np.random.default_rng(21), scale)
    draws = [draw() for _ in range(4 * BLOCK + 7)]
    assert {type(value) for value in draws} == {float}  # Python's, as records pack them
    got = np.array(draws)
    reference = np.random.default_rng(21)
    blocks = np.concatenate([dist.sample(reference, BLOCK) for _ in range(5)])
    np.testing.assert_allclose(got, blocks[: len(got)] * scale, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", RANDOM)
def test_sampler_is_deterministic_per_seed(name: str) -> None:
    dist = spec(name)

    def draws(seed: int) -> list[float]:
        draw = dist.sampler(np.random.default_rng(seed))
        return [draw() for _ in range(BLOCK + 3)]

    assert draws(5) == draws(5)
    assert draws(5) != draws(6)


def test_deterministic_sampler_is_its_scaled_value() -> None:
    draw = spec("deterministic").sampler(np.random.default_rng(0), 4.0)
    assert [draw() for _ in range(3)] == [10.0, 10.0, 10.0]


def test_choice_sampler_frequencies_match_weights() -> None:
    weights = [1.0, 3.0, 6.0]
    draw = choice_sampler(np.random.default_rng(8), weights)
    n = 100_000
    counts = np.bincount([draw() for _ in range(n)], minlength=len(weights))
    for count, weight in zip(counts, weights, strict=True):
        p = weight / sum(weights)
        assert abs(count / n - p) <= Z * math.sqrt(p * (1 - p) / n)


def test_choice_sampler_never_picks_zero_weight() -> None:
    draw = choice_sampler(np.random.default_rng(9), [0.0, 2.0, 1.0])
    assert 0 not in {draw() for _ in range(5_000)}


def test_choice_sampler_with_one_weight_always_picks_it() -> None:
    draw = choice_sampler(np.random.default_rng(10), [7.0])
    assert {draw() for _ in range(100)} == {0}


def test_samplers_that_share_a_stream_draw_what_full_blocks_draw() -> None:
    """Two samplers on one stream (a seller's sample reviews at two factories): with growing
    blocks each would take a different share of the stream's values, so shared ones keep BLOCK."""
    dist = spec("exponential")
    rng = np.random.default_rng(6)
    first, second = (dist.sampler(rng, shared=True) for _ in range(2))
    got = [(first(), second()) for _ in range(BLOCK + 5)]
    reference = np.random.default_rng(6)
    blocks = [dist.sample(reference, BLOCK) for _ in range(4)]  # first, second, first, second
    expected = np.concatenate([blocks[0], blocks[2]]), np.concatenate([blocks[1], blocks[3]])
    assert [a for a, _ in got] == expected[0][: len(got)].tolist()
    assert [b for _, b in got] == expected[1][: len(got)].tolist()


def test_choice_sampler_draws_what_full_blocks_draw() -> None:
    weights = [1.0, 3.0, 6.0]
    draw = choice_sampler(np.random.default_rng(4), weights)
    got = [draw() for _ in range(2 * BLOCK + 3)]
    reference, p = np.random.default_rng(4), np.array(weights) / sum(weights)
    blocks = np.concatenate([reference.choice(3, size=BLOCK, p=p) for _ in range(3)])
    assert got == blocks[: len(got)].tolist()


def test_a_sampler_drawn_once_holds_a_small_block() -> None:
    """What makes a buyer's rarely used samplers cheap: the first block is FIRST_BLOCK draws."""
    calls: list[int] = []

    class Counting(np.random.Generator):
        def exponential(self, *args: Any, **kwargs: Any) -> Any:
            calls.append(args[-1])  # the block size
            return super().exponential(*args, **kwargs)

    draw = spec("exponential").sampler(Counting(np.random.PCG64(3)))
    for _ in range(7 * FIRST_BLOCK):
        draw()
    assert calls == [FIRST_BLOCK, 2 * FIRST_BLOCK, 4 * FIRST_BLOCK]


def test_choice_sampler_is_deterministic_per_seed() -> None:
    def draws(seed: int) -> list[int]:
        draw = choice_sampler(np.random.default_rng(seed), [1.0, 1.0, 1.0])
        return [draw() for _ in range(BLOCK + 3)]

    assert draws(1) == draws(1)
    assert draws(1) != draws(2)


@pytest.mark.parametrize("value", [0.2, 3])
def test_bare_number_becomes_deterministic(value: float) -> None:
    assert ADAPTER.validate_python(value) == Deterministic(value=value)


@pytest.mark.parametrize(
    "data",
    [
        {"dist": "gamma", "mean": 1.0, "cv": 0.0},
        {"dist": "gamma", "mean": 1.0, "cv": -0.5},
        {"dist": "lognormal", "mean": 1.0, "cv": 0.0},
        {"dist": "lognormal", "mean": 1.0, "cv": -1.0},
        {"dist": "uniform", "low": 2.0, "high": 1.0},
        {"dist": "uniform_int", "low": 5, "high": 4},
        {"dist": "erlang", "k": 0, "mean": 1.0},
        {"dist": "erlang", "k": -2, "mean": 1.0},
        {"dist": "deterministic", "value": -1.0},
        {"dist": "exponential", "mean": 0.0},
        {"dist": "poisson", "mean": -0.1},
        -0.5,
        True,
        {"dist": "exponential", "mean": 1.0, "scale": 2.0},
        {"dist": "weibull", "mean": 1.0},
        {"mean": 1.0},
    ],
    ids=[
        "gamma-cv-zero",
        "gamma-cv-negative",
        "lognormal-cv-zero",
        "lognormal-cv-negative",
        "uniform-high-below-low",
        "uniform-int-high-below-low",
        "erlang-k-zero",
        "erlang-k-negative",
        "deterministic-negative",
        "exponential-mean-zero",
        "poisson-mean-negative",
        "bare-negative-number",
        "boolean",
        "unknown-parameter",
        "unknown-dist",
        "missing-dist",
    ],
)
def test_invalid_parameters_are_rejected(data: Any) -> None:
    with pytest.raises(ValidationError):
        ADAPTER.validate_python(data)


def test_uniform_with_equal_ends_is_allowed() -> None:
    dist = ADAPTER.validate_python({"dist": "uniform", "low": 2.0, "high": 2.0})
    assert dist.expectation == 2.0
    assert dist.variance == 0.0


def test_high_below_low_message_names_both() -> None:
    with pytest.raises(ValidationError) as info:
        ADAPTER.validate_python({"dist": "uniform", "low": 2.0, "high": 1.0})
    assert "high" in str(info.value)
    assert "low" in str(info.value)


def test_specs_are_frozen() -> None:
    dist = spec("exponential")
    with pytest.raises(ValidationError):
        dist.mean = 1.0
