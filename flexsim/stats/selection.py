"""Constrained ranking and selection: the sample sizes and decisions of a two-stage procedure
that picks the best of a few simulated systems among those that meet every constraint.

The procedure (named in docs/planning.md) joins two classical two-stage procedures by Bonferroni:

1. **Feasibility check**, one Stein (1945) two-stage test per system and constraint: from the
   first stage's n0 replications, the sample size N = max(n0, ⌈(t·S/ε)²⌉), with S the first
   stage's standard deviation of the constrained KPI, ε the constraint's tolerance and t the
   one-sided Student-t quantile at level 1 − α₁/(k·c) with n0 − 1 degrees of freedom (k
   systems, c constraints); the system passes the constraint when the mean of its N
   replications is on the right side of the bound. A system that meets the bound with a
   margin of ε passes, and one that misses it by more than ε fails, each with probability at
   least 1 − α₁/(k·c).
2. **Selection**, Nelson & Matejcik's (1995) procedure B with common random numbers: from the
   first stage, S² the largest sample variance of the paired difference of two systems'
   objectives, t the Student-t quantile at 1 − α₂/(k − 1) with n0 − 1 degrees of freedom, and
   one common size N = max(n0, ⌈(t·S/δ)²⌉) for all systems; the system with the best mean of N
   paired replications is chosen among those that passed every constraint.

With α₁ + α₂ = α, the chosen system then, with probability at least 1 − α, misses no constraint
by more than its tolerance, and its objective is within δ of the best system that meets every
constraint with a margin of its tolerance (the Bonferroni inequality over the k·c feasibility
tests and the k − 1 pairs of the selection). The data are taken as normal, which means over a
long run are nearly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats as scipy_stats

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Sizes:
    """The replications each system needs: `feasibility[i, j]` for system i's constraint j,
    `selection` for every system (common, for common random numbers), and the t quantiles
    they came from."""

    feasibility: npt.NDArray[np.int64]
    selection: int
    t_feasibility: float
    t_selection: float
    sd_feasibility: Array  # S of each system and constraint, from the first stage
    sd_selection: float  # the largest sd of a paired difference of objectives

    def needed(self) -> npt.NDArray[np.int64]:
        """Each system's total replications: the most any of its tests needs."""
        systems = self.feasibility.shape[0]
        most = self.feasibility.max(axis=1) if self.feasibility.size else np.zeros(systems)
        needed: npt.NDArray[np.int64] = np.maximum(most, self.selection).astype(np.int64)
        return needed


def split_alpha(
    alpha: float, constraints: int, systems: int, exact: bool = False
) -> tuple[float, float]:
    """α₁ for the feasibility check and α₂ for the selection: half each when both are needed,
    all of it to the one that is (the selection is not when there is one system, or when the
    objective is `exact`, the same in every replication, so that it makes no error)."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    check = constraints > 0
    select = systems > 1 and not exact
    if check and select:
        return alpha / 2, alpha / 2
    return (alpha, 0.0) if check else (0.0, alpha)


def stage_sizes(
    objective: Array,
    constrained: Array,
    tolerances: Array,
    delta: float,
    alpha: float,
    exact: bool = False,
) -> Sizes:
    """The sample sizes from the first stage: `objective[r, i]` is replication r of system i
    (the same seed across a row), `constrained[r, i, j]` system i's KPI of constraint j,
    `tolerances[j]` each constraint's ε > 0 and `delta` the indifference zone δ > 0; an
    `exact` objective (a decision variable's value) needs no selection stage."""
    n0, systems = objective.shape
    constraints = constrained.shape[2] if constrained.ndim == 3 else 0
    if n0 < 2:
        raise ValueError(f"the first stage needs at least 2 replications, got {n0}")
    if delta <= 0 or np.any(tolerances <= 0):
        raise ValueError("delta and every tolerance must be positive")
    alpha_check, alpha_select = split_alpha(alpha, constraints, systems, exact)
    dof = n0 - 1
    t_check = _t(1 - alpha_check / max(1, systems * constraints), dof) if constraints else 0.0
    sd_check = constrained.std(axis=0, ddof=1) if constraints else np.zeros((systems, 0))
    check = np.maximum(n0, np.ceil((t_check * sd_check / tolerances) ** 2)).astype(np.int64)
    t_select, sd_select = 0.0, 0.0
    selection = n0
    if systems > 1 and not exact:
        t_select = _t(1 - alpha_select / (systems - 1), dof)
        differences = objective[:, :, None] - objective[:, None, :]
        sd_select = float(np.sqrt(differences.var(axis=0, ddof=1).max()))
        selection = max(n0, math.ceil((t_select * sd_select / delta) ** 2))
    return Sizes(check, int(selection), t_check, t_select, sd_check, sd_select)


def achieved(sizes: Sizes, taken: npt.NDArray[np.int64]) -> tuple[Array, float]:
    """The tolerances and the δ that `taken` replications per system guarantee, where a cap
    kept them below what the procedure asked: t·S/√N for each test (the asked tolerance or
    less when nothing was capped)."""
    tolerance = sizes.t_feasibility * sizes.sd_feasibility / np.sqrt(taken)[:, None]
    common = min(int(taken.min()), sizes.selection) if taken.size else 0  # the paired ones
    delta = sizes.t_selection * sizes.sd_selection / math.sqrt(max(1, common))
    return tolerance, delta


def passes(means: Array, bounds: Array, at_most: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Whether each system (row) passes each constraint (column): its mean on the right side
    of the bound (≤ for an upper bound, ≥ for a lower one)."""
    return np.where(at_most, means <= bounds, means >= bounds)


def choose(objective_means: Array, feasible: npt.NDArray[np.bool_], maximize: bool) -> int | None:
    """The index of the system with the best objective mean among the feasible ones, the
    first on a tie; None when none is feasible."""
    candidates = np.flatnonzero(feasible)
    if candidates.size == 0:
        return None
    values = objective_means[candidates]
    best = np.argmax(values) if maximize else np.argmin(values)
    return int(candidates[best])


def _t(level: float, dof: int) -> float:
    return float(scipy_stats.t.ppf(level, dof))
