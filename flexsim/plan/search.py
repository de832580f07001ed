"""The search: Optuna's TPE sampler proposes candidates, the backend evaluates them over common
random numbers, until the budget of simulation runs is spent or every candidate has been tried.

The sampler is seeded by the plan's seed and asked for `batch` candidates at a time, a number
the planning file fixes rather than the worker count, so the same file gives the same candidates
on any backend; the batch's candidates run on the backend together and are told to the sampler
in the order they were asked. A candidate asked again (the sampler may repeat a discrete value)
is told its earlier results and costs no runs. The study lives in `optuna.db` (SQLite) in the
output folder, with each candidate's KPI values: a stopped search resumes from it, and a
candidate asked but not told when it stopped is marked failed. A constraint's violation (its
mean's distance beyond the bound) steers the sampler (`Trial.set_constraint`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from flexsim.experiment import Backend
from flexsim.plan.evaluate import SEARCH, Candidate, Progress, evaluate, key, search_seeds
from flexsim.plan.spec import Plan, PlanError, Value, Variable

STUDY_FILE = "optuna.db"
VALUES, RUNS, ERROR, DIGEST = "values", "runs", "error", "digest"
MAX_REPEATS = 20  # trials per run of budget at most: a sampler repeating itself stops


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise PlanError(
            'flexsim plan needs the optional package optuna: pip install "flexsim[plan]"'
        ) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def distributions(plan: Plan) -> dict[str, Any]:
    """Each variable's Optuna distribution."""
    dist = _optuna().distributions
    out: dict[str, Any] = {}
    for name, variable in plan.variables.items():
        if variable.choices is not None:
            out[name] = dist.CategoricalDistribution(variable.choices)
        elif variable.integer:
            low, high = int(variable.low or 0), int(variable.high or 0)
            out[name] = dist.IntDistribution(low, high, step=int(variable.step or 1))
        else:
            assert variable.low is not None and variable.high is not None
            step = float(variable.step) if variable.step is not None else None
            out[name] = dist.FloatDistribution(float(variable.low), float(variable.high), step=step)
    return out


def _tidy(params: dict[str, Any], variables: dict[str, Variable]) -> dict[str, Value]:
    """The sampler's values as the planning file would write them (a real on a step grid
    rounded, so 0.30000000000000004 is 0.3)."""
    out: dict[str, Value] = {}
    for name in variables:
        value = params[name]
        out[name] = round(value, 12) if isinstance(value, float) else value
    return out


def violations(plan: Plan, values: dict[str, list[float]]) -> list[float]:
    """Each constraint's violation by the mean of the values: above 0 when it is missed."""
    out = []
    for constraint in plan.constraints:
        kpi = values[constraint.kpi]
        mean = sum(kpi) / len(kpi) if kpi else math.nan
        gap = mean - constraint.bound if constraint.upper else constraint.bound - mean
        out.append(gap if math.isfinite(gap) else 1e300)
    return out


def open_study(plan: Plan, folder: Path) -> Any:
    """The plan's study in `folder`/optuna.db, created or loaded; refused when another
    planning file (or another version of it) started it."""
    optuna = _optuna()
    settings = plan.settings
    sampler = optuna.samplers.TPESampler(seed=settings.seed, n_startup_trials=settings.startup)
    storage = f"sqlite:///{(folder / STUDY_FILE).resolve()}"
    study = optuna.create_study(
        storage=storage,
        sampler=sampler,
        study_name=settings.name,
        direction=plan.objective.direction,
        load_if_exists=True,
    )
    digest = study.user_attrs.get(DIGEST)
    if digest is None:
        study.set_user_attr(DIGEST, plan.digest)
    elif digest != plan.digest:
        raise PlanError(
            f"{plan.source}: {folder / STUDY_FILE} holds the search of another version of the "
            f"planning file (sha256 {digest[:12]}…, now {plan.digest[:12]}…); plan into a new "
            "folder or give --overwrite"
        )
    return study


def search(
    plan: Plan, backend: Backend, folder: Path, progress: Progress | None = None
) -> tuple[list[Candidate], int]:
    """Run (or go on with) the search; the distinct candidates evaluated, in the order first
    asked, and the runs spent."""
    optuna = _optuna()
    state = optuna.trial.TrialState
    settings = plan.settings
    study = open_study(plan, folder)
    known: dict[str, Candidate] = {}
    used = 0
    for trial in study.get_trials(deepcopy=False):
        if trial.state == state.RUNNING:  # asked, never told: the search stopped there
            study.tell(trial.number, state=state.FAIL)
            continue
        used += int(trial.user_attrs.get(RUNS, 0))
        params = _tidy(trial.params, plan.variables)
        if key(params) not in known and (VALUES in trial.user_attrs or ERROR in trial.user_attrs):
            values = {k: list(v) for k, v in trial.user_attrs.get(VALUES, {}).items()}
            seeds = search_seeds(plan, trial.number, settings.replications)
            error = str(trial.user_attrs.get(ERROR, ""))
            known[key(params)] = Candidate(trial.number, params, SEARCH, seeds, values, error)
    if progress is not None and used:
        progress(used)
    space = plan.space_size()
    spaces = distributions(plan)
    most_trials = MAX_REPEATS * max(1, settings.budget // settings.replications)
    while len(study.trials) < most_trials and (space is None or len(known) < space):
        room = (settings.budget - used) // settings.replications
        if room < 1:
            break
        trials = [study.ask(spaces) for _ in range(min(settings.batch, room))]
        fresh: dict[str, Candidate] = {}
        for trial in trials:
            params = _tidy(trial.params, plan.variables)
            if key(params) not in known and key(params) not in fresh:
                fresh[key(params)] = Candidate(trial.number, params, SEARCH)
        work = [(c, search_seeds(plan, c.number, settings.replications)) for c in fresh.values()]
        evaluate(plan, backend, work, progress)
        used += len(work) * settings.replications
        known |= fresh
        for trial in trials:  # told in the order asked
            candidate = known[key(_tidy(trial.params, plan.variables))]
            first = candidate.number == trial.number
            _tell(study, plan, trial, candidate, first)
    return list(known.values()), used


def _tell(study: Any, plan: Plan, trial: Any, candidate: Candidate, first: bool) -> None:
    """Tell the sampler a trial's result: its objective's mean, with the constraints'
    violations; failed when a run raised or a KPI is undefined."""
    state = _optuna().trial.TrialState
    trial.set_user_attr(RUNS, plan.settings.replications if first else 0)
    if first:
        trial.set_user_attr(VALUES, candidate.values)
        if candidate.error:
            trial.set_user_attr(ERROR, candidate.error)
    if not candidate.defined:
        study.tell(trial, state=state.FAIL)
        return
    for i, violation in enumerate(violations(plan, candidate.values)):
        trial.set_constraint(f"constraint-{i}", violation)
    study.tell(trial, candidate.mean(plan.objective.name))
