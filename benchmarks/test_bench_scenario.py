"""Scenario benchmarks: a simulated year of the default scenario, and scaling in sellers.

Targets (project brief): one simulated year of the default scenario in under 10 s, and time and
memory linear in the number of sellers.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest

import flexsim
from flexsim.dists import DistSpec
from flexsim.metrics import utilisation
from flexsim.scenario import DEFAULT_SCENARIO, LineSpec

SEED = 1
YEAR_DAYS = 365.0
YEAR_LIMIT_S = 10.0
SELLERS = (135, 270, 540, 1080)  # half to four times the default's 270: into the thousands
SCALING_ROUNDS = 5
LINEARITY = 2.0  # per-seller cost at the largest size may be at most this × the smallest's


def timed(function: Callable[..., Any], walls: list[float]) -> Callable[..., Any]:
    """`function`, appending the wall time of each call to `walls` (for --benchmark-disable)."""

    def call(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args)
        finally:
            walls.append(time.perf_counter() - started)

    return call


@pytest.mark.fast
@pytest.mark.benchmark(group="scenario")
def test_default_scenario_year_under_10_s(benchmark: Any, summary: list[str]) -> None:
    # the default as a user runs it: a warm-up and then the measured year (725 days in all)
    scenario = flexsim.load_builtin(DEFAULT_SCENARIO)
    assert scenario.horizon_days - scenario.warmup_days >= YEAR_DAYS
    walls: list[float] = []
    result = benchmark.pedantic(
        timed(flexsim.run, walls), args=(scenario, SEED), rounds=5, warmup_rounds=1
    )
    # under --benchmark-disable the run happens once, untimed by pytest-benchmark: use our clock
    mean_s = benchmark.stats.stats.mean if benchmark.stats else walls[-1]
    summary.append(
        f"{DEFAULT_SCENARIO}, {scenario.horizon_days:.0f} days (warm-up"
        f" {scenario.warmup_days:.0f}): mean {mean_s:.3f} s per run"
    )
    assert result.tables["orders"]["finished_at"].notna().any()  # it made something
    assert mean_s < YEAR_LIMIT_S


# --- scaling in the number of sellers -----------------------------------------------------------


class Size(NamedTuple):
    seconds: float  # fastest round
    peak_bytes: int  # tracemalloc peak during one run, above what was allocated before it
    orders: int
    ecom_busy: float  # the e-commerce lines' busy share of their open time (the least)


def ecom_lines(scenario: flexsim.Scenario) -> tuple[str, list[LineSpec]]:
    """The sellers' factory and its lines that make e-commerce orders."""
    factory = next(f for f in scenario.factories if f.name == scenario.sellers.factory)
    return factory.name, [line for line in factory.lines if "ecommerce" in line.channels]


def with_sellers(sellers: int) -> flexsim.Scenario:
    """The default scenario with `sellers` sellers and the same load on the e-commerce line.

    Each seller behaves as in the default, so the order rate grows with the count; the unit and
    changeover times of the lines that make the sellers' orders shrink in proportion, so their
    utilisation stays put and their queues stay stable: what grows is the number of sellers and of
    their items, orders, events and records.
    """
    base = flexsim.load_builtin(DEFAULT_SCENARIO)
    shrink = base.sellers.count / sellers
    factory, lines = ecom_lines(base)
    overrides: dict[str, Any] = {"sellers.count": sellers}
    for line in lines:
        where = f"factories.{factory}.lines.{line.name}"
        overrides[f"{where}.unit_time_h"] = _scaled(line.unit_time_h, shrink)
        overrides[f"{where}.changeover_h"] = {
            "same_family": line.changeover_h.same_family * shrink,
            "other_family": line.changeover_h.other_family * shrink,
        }
        if line.overtime is not None:  # the backlog that triggers overtime is in line hours
            overrides[f"{where}.overtime.backlog_h"] = line.overtime.backlog_h * shrink
    # the sample room proofs every launch: its making time shrinks with the line's
    making = next(f for f in base.factories if f.name == factory).sample_room.making_h
    overrides[f"factories.{factory}.sample_room.making_h"] = _scaled(making, shrink)
    return base.with_overrides(overrides)


def _scaled(dist: DistSpec, factor: float) -> dict[str, Any]:
    """A lognormal, exponential or deterministic spec with its mean times `factor`."""
    spec = dist.model_dump()
    key = "value" if spec["dist"] == "deterministic" else "mean"
    spec[key] *= factor
    return spec


def peak_bytes(function: Callable[..., Any], *args: Any) -> int:
    """Peak Python memory (tracemalloc, numpy and pandas included) allocated during one call."""
    gc.collect()
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        function(*args)
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        if not tracing:
            tracemalloc.stop()


@pytest.fixture(scope="module")
def sizes() -> dict[int, Size]:
    """Sellers → what the scaling benchmarks measured in this session."""
    return {}


@pytest.mark.slow
@pytest.mark.benchmark(group="scaling in sellers")
@pytest.mark.parametrize("sellers", SELLERS)
def test_scaling_in_sellers(
    benchmark: Any, sellers: int, sizes: dict[int, Size], summary: list[str]
) -> None:
    scenario = with_sellers(sellers)
    walls: list[float] = []
    result = benchmark.pedantic(
        timed(flexsim.run, walls), args=(scenario, SEED), rounds=SCALING_ROUNDS, warmup_rounds=1
    )
    # timed apart from the benchmark: tracemalloc slows everything it traces
    peak = peak_bytes(flexsim.run, scenario, SEED)
    shares = utilisation(result.tables["line_states"], scenario.warmup_h, scenario.horizon_h)
    factory, lines = ecom_lines(scenario)
    busy_of_open = shares["busy_of_open"]
    busy = min(float(busy_of_open[(factory, line.name)]) for line in lines)
    seconds = benchmark.stats.stats.min if benchmark.stats else min(walls)
    size = Size(seconds, peak, len(result.tables["orders"]), busy)
    benchmark.extra_info.update(size._asdict())
    sizes[sellers] = size
    summary.append(
        f"scaling, {sellers:>3} sellers: {seconds * 1000:7.1f} ms, peak {peak / 2**20:6.2f} MiB,"
        f" {size.orders:5} orders, e-commerce line busy {size.ecom_busy:.0%} of open time"
    )


def measured(sizes: dict[int, Size]) -> dict[int, Size]:
    missing = set(SELLERS) - set(sizes)
    if missing:
        pytest.skip(f"no scaling run for {sorted(missing)} sellers in this session; run the module")
    return sizes


def per_seller(values: dict[int, float]) -> tuple[float, float, str]:
    """Cost per seller at the smallest and largest size, and a line that says so."""
    small, large = SELLERS[0], SELLERS[-1]
    first, last = values[small] / small, values[large] / large
    line = f"per seller: {first:.4g} at {small}, {last:.4g} at {large} ({last / first:.2f}×)"
    return first, last, line


def marginal(values: dict[int, float]) -> tuple[float, float, str]:
    """Extra cost per added seller over the lower and the upper half of the sizes.

    Per-seller cost alone hides a quadratic term behind the fixed cost of the rest of the
    scenario (the bulk line, the wholesale customers); the slope of the upper half against the
    lower half does not.
    """
    a, b, c = SELLERS[0], SELLERS[-2], SELLERS[-1]
    lower = (values[b] - values[a]) / (b - a)
    upper = (values[c] - values[b]) / (c - b)
    return lower, upper, f"per added seller: {lower:.4g} ({a}→{b}), {upper:.4g} ({b}→{c})"


def assert_linear(values: dict[int, float], what: str, summary: list[str]) -> None:
    """Cost per seller, and per added seller, may grow at most LINEARITY-fold across sizes."""
    first, last, line = per_seller(values)
    lower, upper, slope = marginal(values)
    summary.append(f"scaling {what} {line}; {slope}")
    assert last <= LINEARITY * first, line
    assert upper <= LINEARITY * lower, slope


# The checks below request `benchmark` only so that --benchmark-only keeps them (it skips every
# test without it) and so they can see --benchmark-disable; they time nothing themselves.


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Benchmark fixture was not used")
def test_time_linear_in_sellers(benchmark: Any, sizes: dict[int, Size], summary: list[str]) -> None:
    if benchmark.disabled:
        pytest.skip("--benchmark-disable: each size ran once, too noisy to judge time linearity")
    assert_linear({n: s.seconds for n, s in measured(sizes).items()}, "time (s)", summary)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Benchmark fixture was not used")
def test_memory_linear_in_sellers(
    benchmark: Any, sizes: dict[int, Size], summary: list[str]
) -> None:
    peaks = {n: float(s.peak_bytes) for n, s in measured(sizes).items()}
    assert_linear(peaks, "peak memory (bytes)", summary)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Benchmark fixture was not used")
def test_scaled_scenarios_keep_the_ecom_load(benchmark: Any, sizes: dict[int, Size]) -> None:
    """The scaling is only fair if the line is as busy at every size: more sellers, same load.

    Same in expectation: the load is the sum of heavy-tailed item popularities (lognormal, cv 3),
    and 135 sellers launch only about 390 items in the window, so their total demand has a
    coefficient of variation near 3 / √390 ≈ 15 %; the busy shares may differ by that much."""
    busy = {n: s.ecom_busy for n, s in measured(sizes).items()}
    assert max(busy.values()) - min(busy.values()) <= 0.15, busy
