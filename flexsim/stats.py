"""Statistics over replications: intervals, sequential stopping, warm-up truncation, summaries.

Every interval here is two-sided at `level` (95 % unless told) and built from independent
replications, one value per run. Rules shared by all functions:

- NaN marks a KPI that is undefined in a run (a run without orders has no lead time). It is
  dropped, and `n` counts the values used; a paired or ratio function drops the whole pair.
- Fewer than two values still give an `Interval`, so a summary keeps its row: one value gives
  its mean with NaN bounds and sd, none gives NaN throughout. Comparisons with NaN are false, so
  such an interval covers nothing, shows no difference and is never precise enough.
- A clear `ValueError` where no honest answer exists: an infinite value, paired samples of
  different lengths, a level outside (0, 1), a runs table that cannot be paired, a series too
  short for warm-up truncation (`TruncationError`).

t quantiles come from scipy.stats, imported where they are used: at module level it would nearly
double the start-up of every flexsim command, most of which never need it. Nothing here runs a
simulation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from flexsim.vocabulary import DAYS_PER_YEAR

Values: TypeAlias = npt.ArrayLike
"""One value per replication (a list, an array or a pandas Series)."""

LEVEL = 0.95
KEYS = ("variant", "replication", "seed")
"""The columns of a runs table that identify a run; every other numeric column is a KPI."""

RATIOS: dict[str, tuple[str, str]] = {
    "sellers.fill_rate": ("sellers.sold", "sellers.demand"),
}
"""KPIs that are ratios of sums, as flat KPI names: ratio → (numerator, denominator).

The one place they are listed: `summarise` reports Σ numerator / Σ denominator over runs
(`ratio_of_means`) beside the mean of the per-run ratios, which weighs every run alike however
much demand it had. Only a ratio whose numerator and denominator are KPIs themselves belongs
here (the fill rate: pieces sold over pieces demanded); the day counts of the cash cycle also
divide by the window's length, and shares over orders by counts that are not KPIs.
"""

BATCH = 5
"""Observations per batch mean in MSER-5."""


class Interval(NamedTuple):
    """An estimate with its two-sided confidence interval from `n` independent replications.

    `sd` is the standard deviation of the values the interval is built on (the per-run values,
    the per-pair differences, or a ratio's linearised residuals), so that its standard error is
    sd/√n; NaN where there is no such single sample (Welch) or fewer than two values.
    """

    mean: float
    low: float
    high: float
    n: int
    sd: float = math.nan

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    @property
    def relative_half_width(self) -> float:
        return self.half_width / abs(self.mean) if self.mean else math.inf

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high

    def precise(self, target: float, abs_tol: float) -> bool:
        """Whether the half-width is within `target` of the mean, or within `abs_tol` itself."""
        return self.relative_half_width <= target or self.half_width <= abs_tol


def mean_interval(values: Values, level: float = LEVEL) -> Interval:
    """Student-t interval for the mean of replication results: x̄ ± t(n−1) · s/√n."""
    data = _finite(values)
    mean = float(data.mean()) if data.size else math.nan
    sd = float(data.std(ddof=1)) if data.size > 1 else math.nan
    return _t_interval(mean, sd, data.size, level)


def paired_difference(treatment: Values, baseline: Values, level: float = LEVEL) -> Interval:
    """Interval for the mean of treatment − baseline over replications sharing their seeds.

    Common random numbers make the two correlated, which this interval exploits and Welch's
    ignores. A pair with NaN on either side is dropped.
    """
    own, base = _pairs(treatment, baseline)
    return mean_interval(own - base, level)


def welch_difference(a: Values, b: Values, level: float = LEVEL) -> Interval:
    """Interval for mean(a) − mean(b) from independent samples (different seeds), by Welch's t.

    Unequal variances are allowed; the degrees of freedom are Welch–Satterthwaite's (scipy's
    `ttest_ind(equal_var=False)`). `n` is the size of both samples together, `sd` is NaN.
    """
    _check_level(level)
    x, y = _finite(a), _finite(b)
    n = x.size + y.size
    mean = float(x.mean() - y.mean()) if x.size and y.size else math.nan
    if min(x.size, y.size) < 2:
        return Interval(mean, math.nan, math.nan, n)
    if x.var(ddof=1) == y.var(ddof=1) == 0:
        return Interval(mean, mean, mean, n)  # scipy's degrees of freedom would be 0/0
    from scipy import stats

    bounds = stats.ttest_ind(x, y, equal_var=False).confidence_interval(level)
    return Interval(mean, float(bounds.low), float(bounds.high), n)


def ratio_of_means(numerators: Values, denominators: Values, level: float = LEVEL) -> Interval:
    """Interval for E[x]/E[y], estimated by Σx/Σy over replications, by the delta method.

    The classical ratio estimator (Law, Simulation Modeling and Analysis, ch. 9): R = x̄/ȳ with
    variance (s²ₓ − 2R·sₓᵧ + R²·s²ᵧ)/(n·ȳ²) and t(n−1) quantiles. That variance is the sample
    variance of the residuals (xᵢ − R·yᵢ)/ȳ over n, which is how it is computed; `sd` is theirs.
    Use it for a KPI like the mean lead time over all orders, where runs with more orders should
    weigh more. Σy = 0 leaves the ratio undefined (NaN).
    """
    x, y = _pairs(numerators, denominators)
    if x.size == 0 or y.sum() == 0:
        return _t_interval(math.nan, math.nan, x.size, level)
    ratio = float(x.sum() / y.sum())
    residuals = (x - ratio * y) / abs(y.mean())
    sd = float(residuals.std(ddof=1)) if x.size > 1 else math.nan
    return _t_interval(ratio, sd, x.size, level)


def _t_interval(estimate: float, sd: float, n: int, level: float) -> Interval:
    """estimate ± t(n−1) · sd/√n; NaN bounds below two values, zero width for zero spread."""
    _check_level(level)
    if n < 2 or math.isnan(estimate):
        return Interval(estimate, math.nan, math.nan, n)
    if sd == 0:
        return Interval(estimate, estimate, estimate, n, 0.0)
    from scipy import stats

    low, high = stats.t.interval(level, n - 1, loc=estimate, scale=sd / math.sqrt(n))
    return Interval(estimate, float(low), float(high), n, sd)


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"a confidence level lies strictly between 0 and 1, not {level}")


def _values(values: Values) -> npt.NDArray[np.float64]:
    """The values as a flat float array; an infinite value is an error, not an outlier."""
    data = np.asarray(values, dtype=float)
    if data.ndim != 1:
        raise ValueError(f"expected one value per replication, got an array of shape {data.shape}")
    if np.isinf(data).any():
        raise ValueError("a replication value is infinite; a KPI that is undefined should be NaN")
    return data


def _finite(values: Values) -> npt.NDArray[np.float64]:
    data = _values(values)
    return data[~np.isnan(data)]


def _pairs(
    first: Values, second: Values
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The two samples, position by position, without the pairs where either is NaN."""
    x, y = _values(first), _values(second)
    if x.size != y.size:
        raise ValueError(f"paired samples need the same number of replications: {x.size}, {y.size}")
    both = ~(np.isnan(x) | np.isnan(y))
    return x[both], y[both]


# ── sequential replication ───────────────────────────────────────────────────────────────


def next_batch_size(jobs: int) -> int:
    """Replications each variant gets in the next sequential round: one per worker, at least two
    (so that the first round already gives an interval)."""
    return max(jobs, 2)


def needs_more(
    values_by_variant: Mapping[str, Values],
    baseline: str,
    target: float,
    abs_tol: float,
    *,
    maximum: int | None = None,
    level: float = LEVEL,
) -> bool:
    """Whether one KPI needs another round of replications in every variant.

    `values_by_variant` holds the KPI's value per replication so far, the same seeds in the same
    order for every variant. Another round is needed until each variant's mean interval and each
    non-baseline variant's paired difference with `baseline` is precise: relative half-width ≤
    `target` or half-width ≤ `abs_tol`; never once `maximum` replications are done. A difference
    near zero is only ever precise through `abs_tol` (or by being exactly zero, as when a variant
    does not touch the KPI). An interval from fewer than two values is never precise. The runner
    asks once per named KPI and stops when none needs more.
    """
    lengths = {len(np.asarray(values)) for values in values_by_variant.values()}
    if baseline not in values_by_variant:
        raise ValueError(f"baseline {baseline!r} is not among the variants {[*values_by_variant]}")
    if len(lengths) != 1:
        raise ValueError(f"every variant needs the same replications, got lengths {lengths}")
    if maximum is not None and lengths.pop() >= maximum:
        return False
    base = values_by_variant[baseline]
    intervals = [mean_interval(values, level) for values in values_by_variant.values()]
    intervals += [
        paired_difference(values, base, level)
        for name, values in values_by_variant.items()
        if name != baseline
    ]
    return not all(interval.precise(target, abs_tol) for interval in intervals)


# ── warm-up ──────────────────────────────────────────────────────────────────────────────


class TruncationError(ValueError):
    """MSER-5 finds no truncation point in the first half of a series: the series is too short
    for its transient, or never settles."""


class Warmup(NamedTuple):
    """One truncation point for all variants (pairing kept) and each variant's own MSER-5 point,
    in observations of the series (days for a daily series)."""

    point: int
    by_variant: dict[str, int]


def mser5(series: Values) -> int:
    """The MSER-5 truncation point of a series, in observations (White 1997; Franklin & White 2008).

    The series is cut into k batch means Z₁…Zₖ of five observations (a last incomplete batch is
    left out). For d batches truncated, MSER(d) = Σ_{j>d} (Zⱼ − Z̄(k,d))² / (k − d)², where Z̄(k,d)
    is the mean of the k − d batches kept: the squared half-width of the truncated mean's
    interval, up to a constant, which falls while dropping biased batches and rises once it
    drops good data. The point is 5·d* for the d* minimising MSER(d).

    MSER(d) sinks towards 0 as the last few batches remain, an artefact that makes the end of any
    series look best; so d is searched while at least a quarter of the batches (and two) remain.
    A minimiser beyond the first half of the batches means the series is too short for its
    transient, or never settles: that raises `TruncationError`, as does a series of fewer than
    two batches, so that no caller takes such a point for a warm-up.
    """
    data = _values(series)
    if np.isnan(data).any():
        raise ValueError("a series for warm-up truncation has no missing values")
    batches = data.size // BATCH
    if batches < 2:
        raise TruncationError(f"MSER-5 needs at least {2 * BATCH} observations, got {data.size}")
    means = data[: batches * BATCH].reshape(batches, BATCH).mean(axis=1)
    searched = _mser(means)[: batches - max(2, batches // 4) + 1]
    best = int(np.argmin(searched))
    if 2 * best > batches:
        raise TruncationError(
            f"MSER-5 is smallest after {BATCH * best} of {data.size} observations, beyond the "
            "first half: the series is too short for its transient, or never settles"
        )
    return BATCH * best


def _mser(means: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """MSER(d) for d = 0 … k−1, from suffix sums of the batch means."""
    centred = means - means.mean()  # the statistic ignores a shift; centring keeps sums small
    kept = np.arange(centred.size, 0, -1)
    sums = np.cumsum(centred[::-1])[::-1]
    squares = np.cumsum((centred**2)[::-1])[::-1]
    deviations = np.maximum(squares - sums**2 / kept, 0.0)  # rounding must not make them < 0
    result: npt.NDArray[np.float64] = deviations / kept**2
    return result


def common_warmup(series_by_variant: Mapping[str, Values], floor: int = 0) -> Warmup:
    """One warm-up for all variants: the largest of their MSER-5 points, never below `floor`
    (the longest payment term, in the series' observations, so that the cash cycle is settled).

    One point for all keeps the variants' replications paired over the same days.
    """
    by_variant = {}
    for name, series in series_by_variant.items():
        try:
            by_variant[name] = mser5(series)
        except TruncationError as error:
            raise TruncationError(f"variant {name!r}: {error}") from error
    return Warmup(max([floor, *by_variant.values()]), by_variant)


# ── summary ──────────────────────────────────────────────────────────────────────────────

SUMMARY_COLUMNS = (
    "variant",
    "kpi",
    "mean",
    "sd",
    "low",
    "high",
    "half_width",
    "n",
    "diff_mean",
    "diff_low",
    "diff_high",
    "diff_half_width",
    "verdict",
    "ratio_mean",
    "ratio_low",
    "ratio_high",
)
"""The summary's columns. `n` counts the runs where the KPI is defined; `diff_*` is the paired
difference variant − baseline over the seeds both ran (NaN in the baseline's rows); `verdict`
reads the difference ("higher", "lower", "no difference detected at 95 %", "undefined" when the
KPI is undefined in the runs, or "baseline");
`ratio_*` is the ratio-of-means interval of a KPI listed in RATIOS, NaN for the others."""


def summarise(
    runs: pd.DataFrame,
    baseline: str,
    kpis: Sequence[str] | None = None,
    *,
    ratios: Mapping[str, tuple[str, str]] | None = None,
    level: float = LEVEL,
) -> pd.DataFrame:
    """The tidy summary of a runs table: one row per KPI and variant (SUMMARY_COLUMNS).

    `runs` has one row per run with the columns variant, replication and seed, and one column
    per KPI; `kpis` defaults to every other numeric column (pass it when the table also holds
    numeric factor columns). Variants are paired with `baseline` by seed. `ratios` defaults to
    RATIOS. Rows come KPI by KPI, variants in the order they first appear.
    """
    frames = _by_variant(runs, baseline)
    names = list(kpis) if kpis is not None else _kpi_columns(runs)
    if unknown := [kpi for kpi in names if kpi not in runs.columns]:
        raise ValueError(f"the runs table has no KPI columns {unknown}")
    ratios = RATIOS if ratios is None else ratios
    rows = [
        _mean_row(frames[variant], kpi, level)
        | {"variant": variant, "kpi": kpi}
        | _difference_row(frames[variant], frames[baseline], kpi, variant == baseline, level)
        | _ratio_row(frames[variant], ratios.get(kpi), level)
        for kpi in names
        for variant in frames
    ]
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def _by_variant(runs: pd.DataFrame, baseline: str) -> dict[str, pd.DataFrame]:
    """Each variant's runs indexed by seed, checked for the keys pairing needs."""
    if missing := [key for key in ("variant", "seed") if key not in runs.columns]:
        raise ValueError(f"a runs table needs the columns variant and seed; missing {missing}")
    if runs.duplicated(["variant", "seed"]).any():
        raise ValueError("a runs table has one run per variant and seed; some seed repeats")
    frames = {
        str(name): rows.set_index("seed") for name, rows in runs.groupby("variant", sort=False)
    }
    if baseline not in frames:
        raise ValueError(f"baseline {baseline!r} is not among the variants {list(frames)}")
    return frames


def _kpi_columns(runs: pd.DataFrame) -> list[str]:
    return [
        str(column)
        for column in runs.columns
        if column not in KEYS and pd.api.types.is_numeric_dtype(runs[column])
    ]


def _mean_row(own: pd.DataFrame, kpi: str, level: float) -> dict[str, object]:
    interval = mean_interval(own[kpi].to_numpy(dtype=float), level)
    return {
        "mean": interval.mean,
        "sd": interval.sd,
        "low": interval.low,
        "high": interval.high,
        "half_width": interval.half_width,
        "n": interval.n,
    }


_BASELINE_ROW: dict[str, object] = {
    "diff_mean": math.nan,
    "diff_low": math.nan,
    "diff_high": math.nan,
    "diff_half_width": math.nan,
    "verdict": "baseline",
}


def _difference_row(
    own: pd.DataFrame, base: pd.DataFrame, kpi: str, is_baseline: bool, level: float
) -> dict[str, object]:
    if is_baseline:
        return dict(_BASELINE_ROW)
    seeds = own.index.intersection(base.index)
    diff = paired_difference(
        own.loc[seeds, kpi].to_numpy(dtype=float), base.loc[seeds, kpi].to_numpy(dtype=float), level
    )
    return {
        "diff_mean": diff.mean,
        "diff_low": diff.low,
        "diff_high": diff.high,
        "diff_half_width": diff.half_width,
        "verdict": verdict(diff, level),
    }


def verdict(difference: Interval, level: float = LEVEL) -> str:
    """How a difference's interval reads: higher or lower when it excludes 0."""
    if math.isnan(difference.mean):
        return "undefined"  # the KPI is undefined in the runs (a ratio over zero)
    if difference.low > 0:
        return "higher"
    if difference.high < 0:
        return "lower"
    return f"no difference detected at {level * 100:g} %"


def _ratio_row(own: pd.DataFrame, ratio: tuple[str, str] | None, level: float) -> dict[str, float]:
    if ratio is None:
        return {"ratio_mean": math.nan, "ratio_low": math.nan, "ratio_high": math.nan}
    missing = [column for column in ratio if column not in own.columns]
    if missing:
        raise ValueError(f"the ratio {ratio[0]} / {ratio[1]} needs the KPI columns {missing}")
    interval = ratio_of_means(
        own[ratio[0]].to_numpy(dtype=float), own[ratio[1]].to_numpy(dtype=float), level
    )
    return {"ratio_mean": interval.mean, "ratio_low": interval.low, "ratio_high": interval.high}


# ── investment appraisal ─────────────────────────────────────────────────────────────────


def annuity_factor(rate: float, years: float) -> float:
    """The value at time 0 of 1 a day, paid at the end of each day for `years` years of 365
    days, discounted at `rate` a year: Σ v^k for k = 1 … N, v = (1 + rate)^(−1/365), N = 365 ×
    years, that is v (1 − v^N) / (1 − v) (N when rate is 0; the formula for a part day too)."""
    days = years * DAYS_PER_YEAR
    if rate == 0:
        return days
    v = (1 + rate) ** (-1 / DAYS_PER_YEAR)
    return float(v * (1 - v**days) / (1 - v))


def npv_difference(cash_flow: Interval, investment: float, rate: float, years: float) -> Interval:
    """The net present value of a variant against the baseline: its mean daily cash-flow
    difference (with its interval) as `annuity_factor(rate, years)` days' worth, less its
    investment difference, paid at time 0 and known exactly."""
    factor = annuity_factor(rate, years)
    low, high = factor * cash_flow.low - investment, factor * cash_flow.high - investment
    return Interval(
        factor * cash_flow.mean - investment, low, high, cash_flow.n, factor * cash_flow.sd
    )


def payback_days(cash_flow: Interval, investment: float) -> Interval:
    """Days until a variant's extra cash flow pays back its extra investment: investment
    difference / mean daily cash-flow difference; infinite when that difference is ≤ 0, and 0
    when the variant invests no more than the baseline but earns more. The interval maps the
    cash flow's (a larger flow pays back sooner); NaN where the flow's is."""

    def days(flow: float) -> float:
        if math.isnan(flow):
            return math.nan
        return max(investment, 0.0) / flow if flow > 0 else math.inf

    return Interval(days(cash_flow.mean), days(cash_flow.high), days(cash_flow.low), cash_flow.n)
