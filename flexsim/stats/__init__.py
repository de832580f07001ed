"""Statistics over replications: intervals, sequential stopping, warm-up truncation, summaries.

Split by noun: `intervals` (Student-t, paired, Welch and ratio-of-means intervals, and how a
difference reads), `sequential` (the stopping rule), `warmup` (MSER-5 and one warm-up for all
variants), `summary` (the tidy summary of a runs table) and `npv` (the value and payback of a
cash-flow difference). This package re-exports the names the rest of flexsim uses.

Every interval is two-sided at `level` (95 % unless told) and built from independent
replications, one value per run. Rules shared by all functions:

- NaN marks a KPI that is undefined in a run (a run without orders has no lead time). It is
  dropped, and `n` counts the values used; a paired or ratio function drops the whole pair.
- Fewer than two values still give an `Interval`, so a summary keeps its row: one value gives
  its mean with NaN bounds and sd, none gives NaN throughout. Comparisons with NaN are false, so
  such an interval covers nothing, shows no difference and is never precise enough.
- A clear `ValueError` where no honest answer exists: an infinite value, paired samples of
  different lengths, a level outside (0, 1), a runs table that cannot be paired, a series too
  short for warm-up truncation (`TruncationError`).

Nothing here runs a simulation.
"""

from flexsim.stats.intervals import (
    LEVEL,
    Interval,
    mean_interval,
    paired_difference,
    ratio_of_means,
    verdict,
    welch_difference,
)
from flexsim.stats.npv import annuity_factor, npv_difference, payback_days
from flexsim.stats.sequential import needs_more, next_batch_size
from flexsim.stats.summary import RATIOS, SUMMARY_COLUMNS, summarise
from flexsim.stats.warmup import TruncationError, Warmup, common_warmup, mser5

__all__ = [
    "LEVEL",
    "RATIOS",
    "SUMMARY_COLUMNS",
    "Interval",
    "TruncationError",
    "Warmup",
    "annuity_factor",
    "common_warmup",
    "mean_interval",
    "mser5",
    "needs_more",
    "next_batch_size",
    "npv_difference",
    "paired_difference",
    "payback_days",
    "ratio_of_means",
    "summarise",
    "verdict",
    "welch_difference",
]
