"""The tidy summary of a runs table: each KPI's interval per variant, its paired difference from
the baseline, and the ratio-of-means interval of the KPIs that are ratios of sums."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from flexsim.stats.intervals import LEVEL, mean_interval, paired_difference, ratio_of_means, verdict

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
