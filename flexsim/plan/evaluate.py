"""Candidates: a plan's values of the decision variables, evaluated by replications on one of
the experiment layer's backends, with their seeds and the KPIs the plan is judged by.

Seeds: in the search, replication r of every candidate runs seed s + r (common random numbers,
so candidates pair by seed), or, without common random numbers, seeds of the candidate's own
(s + (number + 1)·SEARCH_STRIDE + r); the finalists run fresh seeds s + FINAL_OFFSET + r, a
range the search never uses.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from flexsim.experiment import Backend
from flexsim.experiment.execute import Task
from flexsim.metrics import split_kpi_name
from flexsim.plan.spec import Plan, Value
from flexsim.stats import mean_interval

SEARCH_STRIDE = 1_000_003  # seeds of one candidate without common random numbers
FINAL_OFFSET = 10**15  # the finalists' fresh seeds start here (above any search seed)
SEARCH, FINAL = "search", "final"

Progress = Callable[[int], None]  # called with the runs just finished


@dataclass
class Candidate:
    """One evaluated candidate: its number (the search's trial, or the finalist's rank), its
    values, the seeds of its replications and each KPI's value in each of them (NaN where a
    run left it undefined); `error` when a run raised."""

    number: int
    params: dict[str, Value]
    phase: str
    seeds: list[int] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=dict)
    error: str = ""

    def array(self, kpi: str, upto: int | None = None) -> np.ndarray[Any, np.dtype[np.float64]]:
        return np.asarray(self.values[kpi][:upto], dtype=float)

    def mean(self, kpi: str) -> float:
        values = self.array(kpi)
        return float(values.mean()) if values.size else math.nan

    def half_width(self, kpi: str, level: float) -> float:
        return mean_interval(self.array(kpi), level).half_width

    @property
    def defined(self) -> bool:
        """Whether every run finished and every KPI is defined in each."""
        return not self.error and all(
            len(v) > 0 and not np.isnan(np.asarray(v, dtype=float)).any()
            for v in self.values.values()
        )


def key(params: dict[str, Value]) -> str:
    """A candidate's identity: its values in the variables' order."""
    return repr(sorted(params.items()))


def search_seeds(plan: Plan, number: int, replications: int) -> list[int]:
    seed = plan.settings.seed
    if plan.settings.common_random_numbers:
        return [seed + r for r in range(replications)]
    return [seed + (number + 1) * SEARCH_STRIDE + r for r in range(replications)]


def final_seeds(plan: Plan, start: int, stop: int) -> list[int]:
    return [plan.settings.seed + FINAL_OFFSET + r for r in range(start, stop)]


def evaluate(
    plan: Plan,
    backend: Backend,
    work: Sequence[tuple[Candidate, list[int]]],
    progress: Progress | None = None,
) -> None:
    """Run each candidate at the given new seeds (all of them on the backend at once) and
    append the results to its values, in seed order whatever order the runs finish in."""
    tasks = []
    sections = tuple(dict.fromkeys(split_kpi_name(kpi)[0] for kpi in plan.kpis))
    for index, (candidate, seeds) in enumerate(work):
        scenario = plan.scenario(candidate.params)
        tasks += [Task(index, r, seed, scenario, sections=sections) for r, seed in enumerate(seeds)]
    found: dict[tuple[int, int], dict[str, float]] = {}
    errors: dict[int, str] = {}
    for outcome in backend.run(tasks):
        if outcome.error:
            errors.setdefault(outcome.point, outcome.error)
        else:
            found[(outcome.point, outcome.replication)] = {
                name: _number(outcome.kpis.get(name)) for name in plan.kpis
            }
        if progress is not None:
            progress(1)
    for index, (candidate, seeds) in enumerate(work):
        if index in errors:
            candidate.error = errors[index]
            continue
        for r, seed in enumerate(seeds):
            row = found[(index, r)]
            candidate.seeds.append(seed)
            for name in plan.kpis:
                candidate.values.setdefault(name, []).append(row[name])
            if plan.objective.variable:  # the objective is the plan's own value: no noise
                value = float(candidate.params[plan.objective.variable])
                candidate.values.setdefault(plan.objective.name, []).append(value)


def _number(value: Any) -> float:
    """A KPI's value as a float; NaN where the run left it undefined (None)."""
    if value is None or isinstance(value, bool):
        return math.nan
    return float(value)
