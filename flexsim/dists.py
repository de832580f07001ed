"""Distribution specs: what a scenario says about a random quantity, with analytic moments.

Each spec is a frozen pydantic model tagged by `dist`; a bare number in a scenario file means a
deterministic value. `sample(rng, n)` draws a numpy array; `sampler(rng)` returns a fast scalar
callable that draws in blocks, because one numpy call per scalar costs more than the simulation
step that uses it. Every parameter is bounded (flexsim/limits.py) so that every draw is finite
and, for the integer families, fits numpy's 64-bit integers.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from itertools import chain, repeat
from typing import Annotated, Any, Literal, TypeVar

import numpy as np
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from flexsim.limits import MAX_CV, MAX_ERLANG_K, MAX_NUMBER, MIN_CV, MIN_POSITIVE
from flexsim.spec import Spec


def _not_tiny(value: float) -> float:
    if value < MIN_POSITIVE:
        raise ValueError(
            f"Input should be at least {MIN_POSITIVE:g}: a positive number smaller than that "
            "has no finite reciprocal"
        )
    return value


NOT_TINY = AfterValidator(_not_tiny)
"""With Field(gt=0): a number above 0 is at least MIN_POSITIVE (the message for a negative one
stays pydantic's "greater than 0")."""
NonNegative = Annotated[float, Field(ge=0, le=MAX_NUMBER)]
Positive = Annotated[float, Field(gt=0, le=MAX_NUMBER), NOT_TINY]
Integer = Annotated[int, Field(ge=0, le=int(MAX_NUMBER))]
Cv = Annotated[float, Field(ge=MIN_CV, le=MAX_CV)]
T = TypeVar("T")
BLOCK = 512  # draws per numpy call in sampler(); large enough to amortise the call
# A sampler's first block; each refill doubles it up to BLOCK. Most samplers belong to one buyer
# and draw a few times a year (a seller's transit times, payment terms): a full block each held
# about 0.14 MB per seller in Python floats (the default scenario at 540 sellers, tracemalloc),
# and a hot sampler reaches BLOCK in six refills.
FIRST_BLOCK = 16


class _Dist(Spec):
    """Common interface: analytic `expectation` and `variance`, vectorised and scalar sampling."""

    @property
    def expectation(self) -> float:
        raise NotImplementedError

    @property
    def variance(self) -> float:
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

    def sampler(
        self, rng: np.random.Generator, scale: float = 1.0, shared: bool = False
    ) -> Callable[[], float]:
        """A no-argument callable returning one draw times `scale` per call. It draws in blocks
        that grow from FIRST_BLOCK to BLOCK: numpy's Generator gives these distributions the
        same values whatever the block sizes (tests/test_dists.py), so only memory changes.
        When `rng` is `shared` with other samplers, the blocks stay BLOCK: their sizes decide
        which sampler gets which of the stream's values."""
        return _in_blocks(
            lambda n: array("d", (self.sample(rng, n) * scale).tobytes()),
            BLOCK if shared else self.first_block(),
        )

    def first_block(self) -> int:
        return FIRST_BLOCK


class Deterministic(_Dist):
    dist: Literal["deterministic"] = "deterministic"
    value: NonNegative

    @property
    def expectation(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)

    def sampler(
        self, rng: np.random.Generator, scale: float = 1.0, shared: bool = False
    ) -> Callable[[], float]:
        return repeat(self.value * scale).__next__  # the value on each call, no Python frame


class Exponential(_Dist):
    dist: Literal["exponential"]
    mean: Positive

    @property
    def expectation(self) -> float:
        return self.mean

    @property
    def variance(self) -> float:
        return self.mean**2

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean, n)


class Uniform(_Dist):
    """Continuous uniform on [low, high]."""

    dist: Literal["uniform"]
    low: NonNegative
    high: NonNegative

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be at least low ({self.low})")
        return self

    @property
    def expectation(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)


class UniformInt(_Dist):
    """Discrete uniform on the integers low, low + 1, …, high (both included)."""

    dist: Literal["uniform_int"]
    low: Integer
    high: Integer

    @model_validator(mode="after")
    def _ordered(self) -> UniformInt:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be at least low ({self.low})")
        return self

    @property
    def expectation(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return ((self.high - self.low + 1) ** 2 - 1) / 12

    def first_block(self) -> int:
        """Always BLOCK: numpy draws a range of up to 2**32 values two to a 64-bit word and drops
        a word's unused half at the end of a call, so the block sizes could shift the values."""
        return BLOCK

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.integers(self.low, self.high, n, endpoint=True).astype(float)


class Gamma(_Dist):
    """Gamma by mean and coefficient of variation: shape 1/cv², scale mean·cv²."""

    dist: Literal["gamma"]
    mean: Positive
    cv: Cv

    @property
    def expectation(self) -> float:
        return self.mean

    @property
    def variance(self) -> float:
        return (self.mean * self.cv) ** 2

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.gamma(1 / self.cv**2, self.mean * self.cv**2, n)


class Lognormal(_Dist):
    """Lognormal by mean and coefficient of variation of the variable itself (not of its log)."""

    dist: Literal["lognormal"]
    mean: Positive
    cv: Cv

    @property
    def expectation(self) -> float:
        return self.mean

    @property
    def variance(self) -> float:
        return (self.mean * self.cv) ** 2

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        return rng.lognormal(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2), n)


class Poisson(_Dist):
    dist: Literal["poisson"]
    mean: NonNegative

    @property
    def expectation(self) -> float:
        return self.mean

    @property
    def variance(self) -> float:
        return self.mean

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.poisson(self.mean, n).astype(float)


class Erlang(_Dist):
    """Erlang-k by mean: the sum of k exponential phases of mean mean/k each."""

    dist: Literal["erlang"]
    k: Annotated[int, Field(ge=1, le=MAX_ERLANG_K)]
    mean: Positive

    @property
    def expectation(self) -> float:
        return self.mean

    @property
    def variance(self) -> float:
        return self.mean**2 / self.k

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.gamma(self.k, self.mean / self.k, n)


def _number_is_deterministic(value: Any) -> Any:
    """Let a scenario write `unit_time_h = 0.2` for a deterministic 0.2."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "deterministic", "value": value}
    if isinstance(value, dict) and "dist" not in value:
        raise ValueError(
            f"a distribution needs a 'dist' key, one of {', '.join(DIST_NAMES)}, or a plain number"
        )
    return value


DistSpec = Annotated[
    Deterministic | Exponential | Uniform | UniformInt | Gamma | Lognormal | Poisson | Erlang,
    Field(discriminator="dist"),
    BeforeValidator(_number_is_deterministic),
]
"""Any distribution spec; use this as the annotation of a random scenario quantity."""

DIST_NAMES: tuple[str, ...] = (
    "deterministic",
    "exponential",
    "uniform",
    "uniform_int",
    "gamma",
    "lognormal",
    "poisson",
    "erlang",
)
"""The `dist` tags DistSpec accepts (tests check the list against the union)."""


def mean_at_least(least: float, unit: str, why: str) -> AfterValidator:
    """A validator for a distribution whose mean must be at least `least` (in `unit`): a gap
    between repeating events, which must advance the clock."""

    def check(dist: DistSpec) -> DistSpec:
        if dist.expectation < least:
            raise ValueError(
                f"the mean must be at least {least:.6g} {unit} ({why}), got {dist.expectation:g}"
            )
        return dist

    return AfterValidator(check)


def choice_sampler(rng: np.random.Generator, weights: list[float]) -> Callable[[], int]:
    """A no-argument callable returning an index drawn with the given relative weights."""
    if len(weights) == 1:
        return repeat(0).__next__
    p = np.asarray(weights, dtype=float) / sum(weights)
    return _in_blocks(lambda n: rng.choice(len(p), size=n, p=p).tolist(), FIRST_BLOCK)


def _in_blocks(block: Callable[[int], Sequence[T]], first: int) -> Callable[[], T]:
    """A no-argument callable returning the values of `block(n)` one per call, asking for the
    next block when they run out: `first` values, then twice as many each time up to BLOCK.

    The callable is `next` on the chained blocks, all of it C: a draw on the hot path (an
    order's interarrival, its unit time) runs no Python frame; Python runs once per block. A
    block of floats is an `array` of doubles, 8 bytes a value against a list's 32 (its
    pointer and the float object it holds), and iterating it, which makes each float as it is
    asked for, is a little faster than a list's: the full taobao-village's sellers hold enough
    blocks that lists of them raised its peak memory by about 450 MiB."""

    def blocks() -> Iterator[Sequence[T]]:
        size = first
        while True:
            yield block(size)
            size = min(2 * size, BLOCK)

    return partial(next, chain.from_iterable(blocks()))
