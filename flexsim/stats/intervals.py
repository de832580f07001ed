"""Confidence intervals over replications: Student-t, paired, Welch and ratio-of-means, and how a
difference's interval reads.

Every interval is two-sided at `level` (95 % unless told) and built from independent
replications, one value per run; the package's docstring states the rules they share (NaN
dropped, fewer than two values, errors). t quantiles come from scipy.stats, imported where they
are used: at module level it would nearly double the start-up of every flexsim command, most of
which never need it.
"""

from __future__ import annotations

import math
from typing import NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt

Values: TypeAlias = npt.ArrayLike
"""One value per replication (a list, an array or a pandas Series)."""

LEVEL = 0.95


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


def as_values(values: Values) -> npt.NDArray[np.float64]:
    """The values as a flat float array; an infinite value is an error, not an outlier."""
    data = np.asarray(values, dtype=float)
    if data.ndim != 1:
        raise ValueError(f"expected one value per replication, got an array of shape {data.shape}")
    if np.isinf(data).any():
        raise ValueError("a replication value is infinite; a KPI that is undefined should be NaN")
    return data


def _finite(values: Values) -> npt.NDArray[np.float64]:
    data = as_values(values)
    return data[~np.isnan(data)]


def _pairs(
    first: Values, second: Values
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The two samples, position by position, without the pairs where either is NaN."""
    x, y = as_values(first), as_values(second)
    if x.size != y.size:
        raise ValueError(f"paired samples need the same number of replications: {x.size}, {y.size}")
    both = ~(np.isnan(x) | np.isnan(y))
    return x[both], y[both]


def verdict(difference: Interval, level: float = LEVEL) -> str:
    """How a difference's interval reads: higher or lower when it excludes 0."""
    if math.isnan(difference.mean):
        return "undefined"  # the KPI is undefined in the runs (a ratio over zero)
    if difference.low > 0:
        return "higher"
    if difference.high < 0:
        return "lower"
    return f"no difference detected at {level * 100:g} %"
