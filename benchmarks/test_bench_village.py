"""Village benchmarks: taobao-village at its full size, and its scaling in sellers and factories.

Targets (issue 16): the village's 545 days run, KPIs included, in under 3 minutes with a peak
resident memory under 3 GiB on a 2-core machine; time and memory linear in sellers and in
factories (per unit at the largest size at most 1.25× the smallest); the KPI step under 10 % of
a run's time at every size.

Each size runs in a fresh Python process, so its peak resident memory (the kernel's high-water
mark, VmHWM) is its own. These are slow: `python -m pytest benchmarks -m slow -k village -s`;
they are not part of `.ci/run`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any, NamedTuple

import pytest

SEED = 1
VILLAGE = "taobao-village"
SELLERS = (1_250, 2_500, 5_000, 10_000)  # at the village's 50 factories
SMALL_FACTORIES = (10, 20, 40, 80)  # beside its 5 big ones, at FACTORY_SELLERS sellers
FACTORY_SELLERS = 2_000
LINEARITY = 1.25  # cost per unit at the largest size at most this × the smallest's
LIMIT_S = 180.0  # the full village, KPIs included
LIMIT_RSS = 3 * 2**30
KPI_SHARE = 0.10

# One size, in a process of its own: the run, then the KPIs, each timed; the peak resident
# memory after both. Prints one JSON line.
ONE_SIZE = """
import json, sys, time
import flexsim
from flexsim import metrics
scenario = flexsim.load_builtin(sys.argv[1], json.loads(sys.argv[2]))
started = time.perf_counter()
result = flexsim.run(scenario, int(sys.argv[3]))
ran = time.perf_counter()
metrics.scenario_kpis(result.tables, scenario)
done = time.perf_counter()
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps({
    "run_s": ran - started,
    "kpi_s": done - ran,
    "peak_rss": int(status["VmHWM"].split()[0]) * 1024,
    "orders": len(result.tables["orders"]),
    "ledger": len(result.tables["ledger"]),
}))
"""


class Size(NamedTuple):
    run_s: float
    kpi_s: float
    peak_rss: int
    orders: int
    ledger: int

    @property
    def total_s(self) -> float:
        return self.run_s + self.kpi_s


def measure(overrides: dict[str, Any]) -> Size:
    """The village with `overrides` run once in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", ONE_SIZE, VILLAGE, json.dumps(overrides), str(SEED)],
        capture_output=True,
        text=True,
        check=True,
    )
    return Size(**json.loads(done.stdout.splitlines()[-1]))


def describe(label: str, size: Size) -> str:
    return (
        f"{label}: run {size.run_s:6.1f} s + KPIs {size.kpi_s:5.1f} s "
        f"({size.kpi_s / size.total_s:.1%}), peak RSS {size.peak_rss / 2**20:6.0f} MiB, "
        f"{size.orders:,} orders, {size.ledger:,} postings"
    )


def assert_linear(sizes: dict[int, Size], unit: str, summary: list[str]) -> None:
    """Time and peak memory per unit at the largest size at most LINEARITY × the smallest's,
    and the KPI step under KPI_SHARE of each run."""
    small, large = min(sizes), max(sizes)
    for what, value in (("time (s)", Size.total_s.fget), ("peak RSS (MiB)", None)):
        cost = {n: (value(s) if value else s.peak_rss / 2**20) / n for n, s in sizes.items()}
        ratio = cost[large] / cost[small]
        summary.append(
            f"village {what} per {unit}: {cost[small]:.4g} at {small:,}, {cost[large]:.4g} at "
            f"{large:,} ({ratio:.2f}×)"
        )
        assert ratio <= LINEARITY, f"{what} per {unit} grew {ratio:.2f}× from {small} to {large}"
    for n, size in sizes.items():
        assert size.kpi_s <= KPI_SHARE * size.total_s, describe(f"{n:,} {unit}", size)


@pytest.mark.slow
def test_village_scales_in_sellers_and_runs_within_its_limits(summary: list[str]) -> None:
    sizes = {n: measure({"sellers.count": n}) for n in SELLERS}
    for n, size in sizes.items():
        summary.append(describe(f"village, {n:>6,} sellers, 50 factories", size))
    full = sizes[max(SELLERS)]
    assert full.total_s < LIMIT_S, describe("the full village", full)
    assert full.peak_rss < LIMIT_RSS, describe("the full village", full)
    assert_linear(sizes, "seller", summary)


@pytest.mark.slow
def test_village_scales_in_factories(summary: list[str]) -> None:
    sizes = {}
    for small in SMALL_FACTORIES:
        factories = small + 5
        overrides = {"sellers.count": FACTORY_SELLERS, "factories.small.count": small}
        sizes[factories] = measure(overrides)
        summary.append(
            describe(
                f"village, {FACTORY_SELLERS:,} sellers, {factories:>3} factories", sizes[factories]
            )
        )
    assert_linear(sizes, "factory", summary)
