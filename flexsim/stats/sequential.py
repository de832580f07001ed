"""The sequential stopping rule: how many replications the next round adds, and whether a KPI
needs another round before its intervals are precise."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from flexsim.stats.intervals import LEVEL, Values, mean_interval, paired_difference


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
