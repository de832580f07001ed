"""A planning problem solved: the search, then the selection among its finalists, on one
backend, with the chosen plan as a ready scenario."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from flexsim.experiment import Backend, Serial
from flexsim.plan.evaluate import Candidate, Progress
from flexsim.plan.search import search
from flexsim.plan.select import Guarantee, finalists, search_best, select
from flexsim.plan.spec import Plan
from flexsim.scenario import Scenario


@dataclass(frozen=True)
class PlanResult:
    """What a planning run found: every candidate of the search, the finalists re-run with
    fresh seeds, the guarantee, and the chosen candidate with its scenario (None when no
    candidate met the constraints)."""

    plan: Plan
    candidates: list[Candidate]
    finals: list[Candidate]
    guarantee: Guarantee | None
    chosen: Candidate | None
    scenario: Scenario | None
    search_runs: int
    final_runs: int
    wall_s: float
    backend: str
    workers: int


def run_plan(
    plan: Plan,
    folder: Path,
    backend: Backend | None = None,
    progress: Progress | None = None,
) -> PlanResult:
    """Search (resuming the study in `folder` when there is one), then select; `progress` is
    called with the runs as they finish."""
    backend = backend or Serial()
    started = time.perf_counter()
    candidates, search_runs = search(plan, backend, folder, progress)
    finals: list[Candidate] = []
    guarantee = None
    if plan.settings.finalists:
        finals, guarantee = select(plan, backend, finalists(plan, candidates), progress)
        chosen = None
        if guarantee is not None and guarantee.chosen is not None:
            chosen = finals[guarantee.chosen]
    else:
        chosen = search_best(plan, candidates)
    scenario = plan.scenario(chosen.params) if chosen is not None else None
    if scenario is not None:
        named = scenario.model_dump() | {"name": plan.settings.name}
        scenario = Scenario.model_validate(named)  # the copies, as run
    return PlanResult(
        plan,
        candidates,
        finals,
        guarantee,
        chosen,
        scenario,
        search_runs,
        sum(len(c.seeds) for c in finals),
        time.perf_counter() - started,
        type(backend).__name__.lower(),
        backend.workers,
    )
