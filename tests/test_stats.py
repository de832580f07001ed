"""Statistics tests: each interval against hand-computed values, coverage on known models (each
with a negative control that the same check rejects), MSER-5, sequential stopping, the summary."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, t

from flexsim import stats
from flexsim.stats import (
    SUMMARY_COLUMNS,
    Interval,
    TruncationError,
    common_warmup,
    mean_interval,
    mser5,
    needs_more,
    next_batch_size,
    paired_difference,
    ratio_of_means,
    summarise,
    welch_difference,
)

# Student-t 97.5 % quantiles from a printed table, so the hand checks do not ask scipy.
T_2, T_3, T_4 = 4.302653, 3.182446, 2.776445  # 2, 3 and 4 degrees of freedom


# ── hand-computed intervals ──────────────────────────────────────────────────────────────


def test_mean_interval_matches_the_t_formula() -> None:
    # 1…5: mean 3, s² = (4+1+0+1+4)/4 = 2.5, half-width t(4)·s/√5
    interval = mean_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    half = T_4 * math.sqrt(2.5) / math.sqrt(5)
    assert interval.mean == 3.0 and interval.n == 5
    assert interval.sd == pytest.approx(math.sqrt(2.5))
    assert interval.low == pytest.approx(3 - half, abs=1e-5)
    assert interval.high == pytest.approx(3 + half, abs=1e-5)
    assert interval.relative_half_width == pytest.approx(half / 3, abs=1e-5)


def test_mean_interval_drops_nan_and_counts_the_rest() -> None:
    assert mean_interval([1.0, math.nan, 2.0, 3.0, 4.0, 5.0]) == mean_interval([1, 2, 3, 4, 5])


def test_mean_interval_of_fewer_than_two_values_keeps_a_row() -> None:
    one = mean_interval([7.0, math.nan])
    assert (one.mean, one.n) == (7.0, 1)
    assert math.isnan(one.low) and math.isnan(one.high) and math.isnan(one.sd)
    assert not one.covers(7.0)  # an interval that does not exist covers nothing
    none = mean_interval([math.nan])
    assert none.n == 0 and math.isnan(none.mean)
    assert mean_interval([]).n == 0


def test_zero_spread_gives_a_zero_width_interval() -> None:
    interval = mean_interval([4.0, 4.0, 4.0])
    assert (interval.low, interval.high, interval.sd) == (4.0, 4.0, 0.0)


def test_bad_values_and_levels_raise() -> None:
    with pytest.raises(ValueError, match="infinite"):
        mean_interval([1.0, math.inf])
    with pytest.raises(ValueError, match="between 0 and 1"):
        mean_interval([1.0, 2.0], level=95)
    with pytest.raises(ValueError, match="same number"):
        paired_difference([1.0, 2.0], [1.0])


def test_paired_difference_is_the_t_interval_of_the_differences() -> None:
    # differences 2, 3, 2, 3: mean 2.5, s² = 4·0.25/3 = 1/3
    interval = paired_difference([3.0, 5.0, 4.0, 6.0], [1.0, 2.0, 2.0, 3.0])
    half = T_3 * math.sqrt(1 / 3) / 2
    assert (interval.mean, interval.n) == (2.5, 4)
    assert interval.low == pytest.approx(2.5 - half, abs=1e-5)
    assert interval.high == pytest.approx(2.5 + half, abs=1e-5)


def test_paired_difference_drops_a_pair_with_nan_on_either_side() -> None:
    with_gaps = paired_difference([3.0, 5.0, math.nan, 4.0, 6.0, 1.0], [1, 2, 7, 2, 3, math.nan])
    assert with_gaps == paired_difference([3.0, 5.0, 4.0, 6.0], [1.0, 2.0, 2.0, 3.0])


def test_welch_difference_matches_welch_satterthwaite() -> None:
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 5.0, 7.0]
    va, vb = 5 / 3 / 4, 19 / 3 / 3  # s²/n: s²(a) = 5/3, s²(b) = (49/9 + 1/9 + 121/9)/2 = 19/3
    df = (va + vb) ** 2 / (va**2 / 3 + vb**2 / 2)
    half = t.ppf(0.975, df) * math.sqrt(va + vb)
    interval = welch_difference(a, b)
    assert interval.mean == pytest.approx(2.5 - 14 / 3)
    assert interval.half_width == pytest.approx(half)
    assert interval.n == 7 and math.isnan(interval.sd)
    assert math.isnan(welch_difference([1.0], b).low)


def test_ratio_of_means_matches_the_delta_method() -> None:
    x, y = [2.0, 4.0, 9.0], [1.0, 2.0, 3.0]
    ratio = 15 / 6
    # s²ₓ = 26/2, s²ᵧ = 2/2, sₓᵧ = (3 + 0 + 4)/2 from deviations (−3, −1, 4) and (−1, 0, 1)
    variance = 13 - 2 * ratio * 3.5 + ratio**2 * 1
    half = T_2 * math.sqrt(variance / 3) / 2  # ȳ = 2
    interval = ratio_of_means(x, y)
    assert interval.mean == ratio and interval.n == 3
    assert interval.low == pytest.approx(ratio - half, abs=1e-5)
    assert interval.high == pytest.approx(ratio + half, abs=1e-5)


def test_ratio_of_means_is_undefined_without_a_denominator() -> None:
    assert math.isnan(ratio_of_means([1.0, 2.0], [0.0, 0.0]).mean)
    assert ratio_of_means([1.0, 2.0, math.nan], [1.0, 1.0, 5.0]).n == 2


# ── coverage on known models ─────────────────────────────────────────────────────────────

EXPERIMENTS = 1000
REPLICATIONS = 10


def acceptance_band(experiments: int = EXPERIMENTS) -> tuple[float, float]:
    """The share of 95 % intervals covering the truth, 99 % of the time, if they are right."""
    low, high = binom.interval(0.99, experiments, 0.95)
    return low / experiments, high / experiments


def coverage(intervals: Sequence[Interval], truth: float) -> float:
    return float(np.mean([interval.covers(truth) for interval in intervals]))


def within_band(share: float) -> bool:
    low, high = acceptance_band()
    return low <= share <= high


def kpi_runs(rng: np.random.Generator, mean: float = 2.0) -> np.ndarray:
    """Per experiment and replication, a KPI that is the mean of 20 exponential waits.

    A KPI is an average over a run, so nearly normal; raw exponential values with n = 10 give
    a t interval covering only about 90 % of the time, a known weakness, not this code's.
    """
    waits: np.ndarray = rng.exponential(mean, (EXPERIMENTS, REPLICATIONS, 20)).mean(axis=2)
    return waits


def test_mean_interval_covers_the_true_mean_95_percent_of_the_time() -> None:
    runs = kpi_runs(np.random.default_rng(101))
    assert within_band(coverage([mean_interval(values) for values in runs], 2.0))


def test_coverage_check_rejects_an_interval_too_narrow() -> None:
    """Negative control: s/n instead of s/√n for the standard error."""
    runs = kpi_runs(np.random.default_rng(101))
    half = t.ppf(0.975, REPLICATIONS - 1) * runs.std(axis=1, ddof=1) / REPLICATIONS
    wrong = [
        Interval(m, m - h, m + h, REPLICATIONS)
        for m, h in zip(runs.mean(axis=1), half, strict=True)
    ]
    assert coverage(wrong, 2.0) < acceptance_band()[0]


def correlated_pairs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Common random numbers: both variants share a run's KPI; the treatment adds 0.3 to it."""
    common = kpi_runs(rng)
    noise = rng.normal(0.0, 0.1, (2, *common.shape))
    return common + 0.3 + noise[0], common + noise[1]


def test_paired_difference_covers_the_true_difference_95_percent_of_the_time() -> None:
    treatment, baseline = correlated_pairs(np.random.default_rng(202))
    intervals = [paired_difference(a, b) for a, b in zip(treatment, baseline, strict=True)]
    assert within_band(coverage(intervals, 0.3))


def test_coverage_check_rejects_an_interval_that_ignores_pairing() -> None:
    """Negative control: treating positively correlated pairs as independent samples,
    s²(a)/n + s²(b)/n with 2n − 2 degrees of freedom, makes the interval far too wide."""
    treatment, baseline = correlated_pairs(np.random.default_rng(202))
    variance = (treatment.var(axis=1, ddof=1) + baseline.var(axis=1, ddof=1)) / REPLICATIONS
    half = t.ppf(0.975, 2 * REPLICATIONS - 2) * np.sqrt(variance)
    diff = treatment.mean(axis=1) - baseline.mean(axis=1)
    wrong = [Interval(d, d - h, d + h, REPLICATIONS) for d, h in zip(diff, half, strict=True)]
    assert coverage(wrong, 0.3) > acceptance_band()[1]


def unequal_samples(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Independent samples of unequal size and spread: 5 values of sd 4, 20 of sd 1; Δ = −1."""
    return rng.normal(0.0, 4.0, (EXPERIMENTS, 5)), rng.normal(1.0, 1.0, (EXPERIMENTS, 20))


@pytest.mark.slow  # scipy's ttest_ind takes about a millisecond a call
def test_welch_difference_covers_the_true_difference_95_percent_of_the_time() -> None:
    a, b = unequal_samples(np.random.default_rng(303))
    assert within_band(coverage([welch_difference(x, y) for x, y in zip(a, b, strict=True)], -1.0))


def test_coverage_check_rejects_a_pooled_variance_interval() -> None:
    """Negative control: Student's pooled variance assumes equal spreads, wrong here."""
    a, b = unequal_samples(np.random.default_rng(303))
    pooled = ((a.var(axis=1, ddof=1) * 4 + b.var(axis=1, ddof=1) * 19) / 23) ** 0.5
    half = t.ppf(0.975, 23) * pooled * math.sqrt(1 / 5 + 1 / 20)
    diff = a.mean(axis=1) - b.mean(axis=1)
    wrong = [Interval(d, d - h, d + h, 25) for d, h in zip(diff, half, strict=True)]
    assert coverage(wrong, -1.0) < acceptance_band()[0]


def orders_and_lead_times(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per run: Poisson(20) orders and their total lead time, each order exponential of mean 3.

    The true ratio E[total]/E[orders] is 3, and total rises with orders (dependent)."""
    orders = rng.poisson(20, (EXPERIMENTS, REPLICATIONS))
    total = np.where(orders > 0, rng.gamma(np.maximum(orders, 1), 3.0), 0.0)
    return total, orders.astype(float)


def test_ratio_of_means_covers_the_true_ratio_95_percent_of_the_time() -> None:
    total, orders = orders_and_lead_times(np.random.default_rng(404))
    intervals = [ratio_of_means(x, y) for x, y in zip(total, orders, strict=True)]
    assert within_band(coverage(intervals, 3.0))


def test_coverage_check_rejects_a_ratio_interval_that_treats_dependent_sums_as_independent() -> (
    None
):
    """Negative control: dropping the covariance term −2R·sₓᵧ makes the interval far too wide."""
    total, orders = orders_and_lead_times(np.random.default_rng(404))
    ratio = total.sum(axis=1) / orders.sum(axis=1)
    variance = total.var(axis=1, ddof=1) + ratio**2 * orders.var(axis=1, ddof=1)
    half = t.ppf(0.975, REPLICATIONS - 1) * np.sqrt(variance / REPLICATIONS) / orders.mean(axis=1)
    wrong = [Interval(r, r - h, r + h, REPLICATIONS) for r, h in zip(ratio, half, strict=True)]
    assert coverage(wrong, 3.0) > acceptance_band()[1]


# ── MSER-5 ───────────────────────────────────────────────────────────────────────────────


def batched(means: Sequence[float], tail: Sequence[float] = ()) -> np.ndarray:
    """Five observations around each batch mean (so batching matters), then an unbatched tail."""
    return np.concatenate([[m - 2, m + 1, m, m + 2, m - 1] for m in means] + [list(tail)])


def test_mser5_minimises_the_standard_statistic() -> None:
    # Batch means 4, 0, 0, 0, 1, 3. MSER(d) = Σ_{j>d}(Zⱼ − Z̄)²/(6 − d)²:
    # d=0: (64+3·16+1+25)/9 / 36 = 23/54 ≈ 0.426   d=1: (3·16+1+121)/25 / 25 = 34/125 = 0.272
    # d=2: 6/16 = 0.375   d=3: (16+1+25)/9 / 9 = 14/27 ≈ 0.519   d=4: 2/4 = 0.5
    # so d* = 1: five observations. (Dividing by 6 − d instead, d* would be 4.) The three
    # observations after the last full batch are left out, or they would move every value.
    assert mser5(batched([4, 0, 0, 0, 1, 3], tail=[100, 100, 100])) == 5


def test_mser5_finds_the_end_of_an_exponential_transient() -> None:
    """Bias 10·e^(−t/20) over unit noise: it is below 1.5 sd from t = 40, below 0.1 from t = 92."""
    time = np.arange(1000)
    points = [
        mser5(10 * np.exp(-time / 20) + np.random.default_rng(seed).normal(size=time.size))
        for seed in range(20)
    ]
    assert all(40 <= point <= 200 for point in points), points
    assert 45 <= np.median(points) <= 100, points


def ar1(rng: np.random.Generator, phi: float, size: int) -> np.ndarray:
    """A stationary autoregressive series (started in its stationary law), like a daily share."""
    shocks = rng.normal(size=size)
    series = np.empty(size)
    series[0] = shocks[0] / math.sqrt(1 - phi**2)
    for day in range(1, size):
        series[day] = phi * series[day - 1] + shocks[day]
    return series


@pytest.mark.parametrize("phi", [0.0, 0.5])
def test_mser5_truncates_little_of_a_stationary_series(phi: float) -> None:
    points = [mser5(ar1(np.random.default_rng(seed), phi, 1000)) for seed in range(20)]
    assert np.median(points) <= 5 and max(points) <= 50, points


def test_mser5_refuses_a_series_that_never_settles() -> None:
    with pytest.raises(TruncationError, match="beyond the first half"):
        mser5(np.arange(100.0))
    with pytest.raises(TruncationError, match="at least 10"):
        mser5(np.ones(9))
    with pytest.raises(ValueError, match="missing"):
        mser5([1.0, math.nan] * 10)


def test_common_warmup_is_the_largest_point_never_below_the_floor() -> None:
    early, late = batched([4, 0, 0, 0, 1, 3]), batched([9, 9, 0, 1, 0, 1, 0, 1])
    assert mser5(late) == 10
    assert common_warmup({"a": early, "b": late}) == (10, {"a": 5, "b": 10})
    assert common_warmup({"a": early, "b": late}, floor=30).point == 30
    with pytest.raises(TruncationError, match="variant 'b'"):
        common_warmup({"a": early, "b": np.arange(100.0)})


# ── sequential replication ───────────────────────────────────────────────────────────────

BASE = [100.0, 101.0, 99.0, 100.5, 99.5]
NEAR = [b + d for b, d in zip(BASE, [0.1, -0.2, 0.3, -0.1, 0.0], strict=True)]  # same mean ± 0.2


def test_next_batch_size_is_one_per_worker_and_at_least_two() -> None:
    assert [next_batch_size(jobs) for jobs in (1, 2, 8)] == [2, 2, 8]


def test_needs_more_until_every_mean_and_difference_is_precise() -> None:
    values = {"base": BASE, "near": NEAR}
    # both means are within 2 %, but the difference (≈ 0.02 ± 0.24) is not relatively precise
    assert needs_more(values, "base", target=0.05, abs_tol=0.0)
    assert not needs_more(values, "base", target=0.05, abs_tol=0.5)
    assert needs_more(values, "base", target=0.001, abs_tol=0.5)  # means are not within 0.1 %
    assert not needs_more(values, "base", target=0.05, abs_tol=0.0, maximum=5)


def test_needs_more_stops_on_an_identical_variant_and_not_before_two_values() -> None:
    assert not needs_more({"base": BASE, "same": BASE}, "base", target=0.05, abs_tol=0.0)
    assert needs_more({"base": BASE[:1], "same": BASE[:1]}, "base", target=0.05, abs_tol=1e9)


def test_needs_more_rejects_unpaired_input() -> None:
    with pytest.raises(ValueError, match="same replications"):
        needs_more({"base": BASE, "near": NEAR[:3]}, "base", 0.05, 0.0)
    with pytest.raises(ValueError, match="baseline 'other'"):
        needs_more({"base": BASE}, "other", 0.05, 0.0)


# ── the summary ──────────────────────────────────────────────────────────────────────────


def runs_table() -> pd.DataFrame:
    """Three variants × seeds 11-13, rows shuffled so that pairing by row order would be wrong."""
    rows = [
        ("base", 0, 11, 10.0, 1.0, 10.0),
        ("fast", 2, 13, 11.0, 0.0, 0.0),
        ("base", 1, 12, 12.0, 4.0, 20.0),
        ("same", 0, 11, 10.0, 1.0, 10.0),
        ("fast", 0, 11, 8.0, 2.0, 10.0),
        ("base", 2, 13, 14.0, 3.0, 30.0),
        ("same", 1, 12, 12.0, 4.0, 20.0),
        ("fast", 1, 12, 9.5, math.nan, math.nan),
        ("same", 2, 13, 14.0, 3.0, 30.0),
    ]
    runs = pd.DataFrame(rows, columns=["variant", "replication", "seed", "lead", "late", "orders"])
    return runs.assign(late_share=runs["late"] / runs["orders"])


def summary_row(summary: pd.DataFrame, variant: str, kpi: str) -> pd.Series:
    return summary.set_index(["variant", "kpi"]).loc[(variant, kpi)]


def test_summary_means_and_paired_differences_by_hand() -> None:
    summary = summarise(runs_table(), "base")
    assert tuple(summary.columns) == SUMMARY_COLUMNS
    assert list(summary["kpi"].unique()) == ["lead", "late", "orders", "late_share"]
    base = summary_row(summary, "base", "lead")  # 10, 12, 14: mean 12, s = 2
    assert (base["mean"], base["sd"], base["n"], base["verdict"]) == (12.0, 2.0, 3, "baseline")
    assert base["half_width"] == pytest.approx(T_2 * 2 / math.sqrt(3), abs=1e-5)
    assert math.isnan(base["diff_mean"]) and math.isnan(base["ratio_mean"])
    fast = summary_row(summary, "fast", "lead")  # by seed: −2, −2.5, −3; mean −2.5, s = 0.5
    assert fast["diff_mean"] == -2.5
    assert fast["diff_half_width"] == pytest.approx(T_2 * 0.5 / math.sqrt(3), abs=1e-5)
    assert fast["diff_high"] < 0 and fast["verdict"] == "lower"
    same = summary_row(summary, "same", "lead")
    assert (same["diff_mean"], same["diff_half_width"]) == (0.0, 0.0)
    assert same["verdict"] == "no difference detected at 95 %"


def test_summary_counts_only_runs_where_a_kpi_is_defined() -> None:
    """The fast variant's late share is undefined for seed 12 (not recorded) and 13 (no orders)."""
    fast = summary_row(summarise(runs_table(), "base"), "fast", "late_share")
    assert (fast["n"], fast["mean"], fast["diff_mean"]) == (1, 0.2, pytest.approx(0.2 - 0.1))
    assert math.isnan(fast["low"]) and math.isnan(fast["diff_low"])  # one value: no interval
    assert fast["verdict"] == "no difference detected at 95 %"


def test_summary_reports_a_ratio_kpi_beside_its_per_run_mean(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(stats.RATIOS, "late_share", ("late", "orders"))
    row = summary_row(summarise(runs_table(), "base"), "base", "late_share")
    # late 1, 4, 3 over orders 10, 20, 30: Σ 8/60; residuals late − R·orders over ȳ = 20
    ratio = 8 / 60
    residuals = [(late - ratio * orders) / 20 for late, orders in [(1, 10), (4, 20), (3, 30)]]
    half = T_2 * float(np.std(residuals, ddof=1)) / math.sqrt(3)
    assert row["mean"] == pytest.approx((0.1 + 0.2 + 0.1) / 3)  # each run weighs alike
    assert row["ratio_mean"] == pytest.approx(ratio)
    assert row["ratio_low"] == pytest.approx(ratio - half, abs=1e-5)
    assert row["ratio_high"] == pytest.approx(ratio + half, abs=1e-5)


def test_summary_ratios_default_to_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    assert summarise(runs_table(), "base")["ratio_mean"].isna().all()
    monkeypatch.setitem(stats.RATIOS, "late_share", ("late", "orders"))
    filled = summarise(runs_table(), "base").set_index("kpi")["ratio_mean"]
    assert filled.loc["late_share"].notna().all() and filled.drop("late_share").isna().all()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda runs: runs.drop(columns="seed"), "columns variant and seed"),
        (lambda runs: pd.concat([runs, runs.head(1)]), "some seed repeats"),
        (lambda runs: runs[runs["variant"] != "base"], "baseline 'base'"),
    ],
)
def test_summary_rejects_a_table_it_cannot_pair(
    edit: Callable[[pd.DataFrame], pd.DataFrame], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        summarise(edit(runs_table()), "base")


def test_summary_rejects_a_ratio_without_its_columns() -> None:
    with pytest.raises(ValueError, match="needs the KPI columns"):
        summarise(runs_table(), "base", ["lead"], ratios={"lead": ("late", "hours")})
