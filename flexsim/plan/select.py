"""The selection: the search's best candidates re-run with fresh seeds, and one of them chosen
by a constrained ranking-and-selection procedure with a stated guarantee.

Finalists: the incumbent (the search's best candidate whose means meet every constraint), the
runner-up, and the candidates with a better objective that may meet every constraint (each
mean, moved by its 95 % half-width towards the bound, meets it), those that miss by the fewest
standard errors first; then, while there is room, the next candidates whose means meet the
constraints. The
procedure is stats/selection.py's: a Stein two-stage feasibility check per finalist and
constraint, and Nelson & Matejcik's procedure B over common random numbers among the finalists
that pass, joined by Bonferroni (docs/planning.md). With `finalists = 0` the search's best
candidate that meets every constraint on its means is taken as it is, with no guarantee (the
negative control of tests/test_plan.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from flexsim.experiment import Backend
from flexsim.plan.evaluate import FINAL, Candidate, Progress, evaluate, final_seeds
from flexsim.plan.spec import Constraint, Plan
from flexsim.stats import selection

PROCEDURE = (
    "two-stage constrained selection: Stein's two-stage feasibility check per constraint, "
    "then Nelson & Matejcik's procedure B with common random numbers, joined by Bonferroni"
)
SCREEN_LEVEL = 0.95  # the half-widths that decide which search candidates may be feasible


@dataclass(frozen=True)
class Guarantee:
    """What the selection can promise, with the numbers that make it: the confidence, the δ
    and tolerances asked and those the replications taken achieve (larger where `max_final`
    capped them), each finalist's replications and whether it passed every constraint."""

    procedure: str
    confidence: float
    delta: float
    achieved_delta: float
    tolerances: list[float]
    achieved_tolerances: list[float]
    first_stage: int
    replications: list[int]
    feasible: list[bool]
    chosen: int | None  # index among the finalists

    @property
    def capped(self) -> bool:
        asked = [self.delta, *self.tolerances]
        got = [self.achieved_delta, *self.achieved_tolerances]
        return any(g > a * (1 + 1e-9) for a, g in zip(asked, got, strict=True))


def shortfall(plan: Plan, candidate: Candidate) -> float:
    """How many standard errors the candidate's mean misses its worst constraint by (below 0:
    every mean meets its bound; an exact miss, with no spread, is infinite)."""
    worst = -math.inf
    for constraint in plan.constraints:
        gap = _gap(candidate, constraint)
        values = candidate.array(constraint.kpi)
        error = float(values.std(ddof=1)) / math.sqrt(len(values)) if len(values) > 1 else 0.0
        if error > 0:
            worst = max(worst, gap / error)
        elif gap != 0:
            worst = max(worst, math.copysign(math.inf, gap))
        else:
            worst = max(worst, 0.0)
    return worst


def may_be_feasible(plan: Plan, candidate: Candidate) -> bool:
    """Whether the candidate may meet every constraint: each mean, moved towards its bound by
    the 95 % half-width, meets it (with one replication, the mean itself)."""
    for constraint in plan.constraints:
        width = candidate.half_width(constraint.kpi, SCREEN_LEVEL)
        if _gap(candidate, constraint) - (0.0 if math.isnan(width) else width) > 0:
            return False
    return True


def finalists(plan: Plan, candidates: list[Candidate]) -> list[Candidate]:
    """The search's candidates to re-run: the incumbent (the best whose means meet every
    constraint) and the runner-up (in case the incumbent fails), then the candidates with a
    better objective that may meet them, closest to meeting them first; then the next
    candidates whose means meet the constraints, best first; then the rest, closest to meeting
    them first; `finalists` of them at most."""
    defined = [c for c in candidates if c.defined]
    sign = -1.0 if plan.objective.direction == "maximize" else 1.0

    def score(candidate: Candidate) -> float:
        return sign * candidate.mean(plan.objective.name)

    short = {c.number: shortfall(plan, c) for c in defined}
    meets = sorted((c for c in defined if short[c.number] <= 0), key=score)
    others = sorted((c for c in defined if short[c.number] > 0), key=lambda c: short[c.number])
    chosen: list[Candidate] = []
    if meets:
        bar = score(meets[0])
        better = [c for c in others if score(c) < bar and may_be_feasible(plan, c)]
        chosen = [*meets[:2], *better]  # the runner-up in case the incumbent fails
    for candidate in [*meets, *others]:
        if all(candidate is not c for c in chosen):
            chosen.append(candidate)
    return chosen[: plan.settings.finalists]


def search_best(plan: Plan, candidates: list[Candidate]) -> Candidate | None:
    """The search's best candidate whose means meet every constraint (no guarantee)."""
    sign = -1.0 if plan.objective.direction == "maximize" else 1.0
    meets = [
        c
        for c in candidates
        if c.defined and all(_gap(c, constraint) <= 0 for constraint in plan.constraints)
    ]
    return min(meets, key=lambda c: sign * c.mean(plan.objective.name), default=None)


def _gap(candidate: Candidate, constraint: Constraint) -> float:
    mean = candidate.mean(constraint.kpi)
    return mean - constraint.bound if constraint.upper else constraint.bound - mean


def select(
    plan: Plan,
    backend: Backend,
    chosen_from: list[Candidate],
    progress: Progress | None = None,
) -> tuple[list[Candidate], Guarantee | None]:
    """Re-run the finalists with fresh seeds as the procedure asks and choose one; the
    finalists' candidates (phase `final`) and the guarantee (None without finalists)."""
    settings = plan.settings
    finals = [Candidate(i, c.params, FINAL) for i, c in enumerate(chosen_from)]
    if not finals:
        return [], None
    n0 = settings.first_stage
    evaluate(plan, backend, [(c, final_seeds(plan, 0, n0)) for c in finals], progress)
    live = [c for c in finals if c.defined]
    objective = plan.objective.name
    tolerances = np.array([c.tolerance for c in plan.constraints], dtype=float)
    asked = [c.tolerance for c in plan.constraints]
    alpha = 1 - settings.confidence
    if not live:
        nothing = [False] * len(finals)
        infinite = [math.inf] * len(asked)
        guarantee = Guarantee(
            PROCEDURE, settings.confidence, settings.delta, math.inf, asked, infinite, n0,
            [len(c.seeds) for c in finals], nothing, None,
        )  # fmt: skip
        return finals, guarantee
    first = np.array([c.array(objective) for c in live]).T
    constrained = np.zeros((n0, len(live), 0))
    if plan.constraints:
        by_system = [[c.array(k.kpi) for k in plan.constraints] for c in live]
        constrained = np.array(by_system).transpose(2, 0, 1)  # [replication, system, constraint]
    exact = bool(plan.objective.variable)  # a decision's own value: no selection error
    sizes = selection.stage_sizes(first, constrained, tolerances, settings.delta, alpha, exact)
    taken = np.minimum(sizes.needed(), settings.max_final)
    more = [(c, final_seeds(plan, n0, int(n))) for c, n in zip(live, taken, strict=True) if n > n0]
    evaluate(plan, backend, more, progress)
    ok = [c.defined for c in live]
    common = int(min(taken.min(), sizes.selection))
    objective_means = np.array([c.array(objective, common).mean() for c in live])
    means = np.array([[c.mean(k.kpi) for k in plan.constraints] for c in live])
    bounds = np.array([k.bound for k in plan.constraints], dtype=float)
    upper = np.array([k.upper for k in plan.constraints], dtype=bool)
    passed = selection.passes(means.reshape(len(live), -1), bounds, upper).all(axis=1)
    passed &= np.array(ok)
    maximize = plan.objective.direction == "maximize"
    best = selection.choose(objective_means, passed, maximize)
    tolerance_got, delta_got = selection.achieved(sizes, taken)
    index = {id(c): i for i, c in enumerate(finals)}
    feasible = [False] * len(finals)
    replications = [len(c.seeds) for c in finals]
    for c, flag in zip(live, passed, strict=True):
        feasible[index[id(c)]] = bool(flag)
    worst = tolerance_got.max(axis=0) if tolerance_got.size else np.zeros(0)
    return finals, Guarantee(
        PROCEDURE,
        settings.confidence,
        settings.delta,
        max(settings.delta, float(delta_got)) if len(live) > 1 else settings.delta,
        asked,
        [float(max(w, t)) if w > t * (1 + 1e-9) else t for w, t in zip(worst, asked, strict=True)],
        n0,
        replications,
        feasible,
        None if best is None else index[id(live[best])],
    )
