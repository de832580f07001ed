"""Warm-up truncation: the MSER-5 point of a series, and one common warm-up for all variants."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from flexsim.stats.intervals import Values, as_values

BATCH = 5
"""Observations per batch mean in MSER-5."""


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
    data = as_values(series)
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
