"""Experiment runner: replications of every design point on a backend, sequentially extended
until precise, with an automatic warm-up, each finished run kept as it completes.

    pilot (auto warm-up) → replications 0 … R−1 of every point → summary → more while imprecise

Replication r of experiment seed s runs with seed s + r at every design point, so the points
see the same random numbers (common random numbers) and are paired by seed. With an output
folder, each finished run is one JSON file under `runs/` of the partial folder; a resumed
experiment reads them back and runs only what is missing.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from flexsim import stats
from flexsim.experiment import appraisal
from flexsim.experiment.design import Experiment, Point, most_replications
from flexsim.experiment.errors import ExperimentError
from flexsim.experiment.execute import Backend, Measure, Outcome, Serial, Task
from flexsim.metrics import split_kpi_name
from flexsim.results import provenance, write_text
from flexsim.spec import did_you_mean

RUNS = "runs"  # the folder of one JSON file per finished run
SERIES = "series"  # the folder of each run's daily cash, with --series
TABLES = "tables"  # the folder of each run's results folder, with --tables
Progress = Callable[[int, int], None]  # (runs done, runs planned so far)


@dataclass
class ExperimentResult:
    """What an experiment produced: the runs table, the summary, the warm-up used."""

    experiment: Experiment
    runs: pd.DataFrame  # one row per design point × replication, sorted; factor and KPI columns
    summary: pd.DataFrame  # tidy: one row per cell × point × KPI (stats.SUMMARY_COLUMNS + factors)
    warmup: stats.Warmup | None
    failed: list[Outcome] = field(default_factory=list)
    wall_s: float = 0.0
    backend: str = "serial"  # which backend ran it, and with how many workers
    workers: int = 1

    def value(self, variant: str, kpi: str, column: str = "mean") -> float:
        """One figure of the summary, for a variant without factors."""
        rows = self.summary[(self.summary["variant"] == variant) & (self.summary["kpi"] == kpi)]
        if len(rows) != 1:
            raise KeyError(f"{len(rows)} summary rows for variant {variant!r} and KPI {kpi!r}")
        return float(rows[column].iloc[0])


def run_experiment(
    experiment: Experiment,
    backend: Backend | None = None,
    *,
    folder: Path | None = None,
    replications: int | None = None,
    measures: Mapping[str, Measure] | None = None,
    series: bool = False,
    tables: bool = False,
    table_format: str = "csv",
    progress: Progress | None = None,
) -> ExperimentResult:
    """Run every design point of `experiment` `replications` times (default: the file's), more
    while the sequential rule asks, on `backend` (default: serial). With `folder`, each
    finished run is written there as it completes, and runs already there are not run again;
    `series` keeps each run's daily cash there, `tables` each run's whole results folder
    (written by the worker, its tables in `table_format`). `progress` is called with the runs
    done and planned."""
    backend = backend or Serial()
    started = time.perf_counter()
    if tables and folder is None:
        raise ValueError("keeping each run's tables needs an output folder")
    state = _State(experiment, folder, dict(measures or {}), series, tables, progress, table_format)
    planned = replications or experiment.settings.replications
    warmup = _warmup(state, backend)
    while True:
        state.run(backend, planned)
        frame = runs_table(experiment, state.done.values())
        if not experiment.settings.sequential or not _imprecise(experiment, frame, planned):
            break
        planned = min(
            planned + stats.next_batch_size(backend.workers), most_replications(experiment.settings)
        )
    summary = summarise(experiment, frame, list(state.measures))
    failed = sorted(state.failed.values(), key=lambda o: (o.point, o.replication))
    wall = time.perf_counter() - started
    name = type(backend).__name__.lower()
    return ExperimentResult(experiment, frame, summary, warmup, failed, wall, name, backend.workers)


@dataclass
class _State:
    """The runs done so far, by (point, replication), and where each new one is kept."""

    experiment: Experiment
    folder: Path | None
    measures: dict[str, Measure]
    series: bool
    tables: bool
    progress: Progress | None
    table_format: str
    done: dict[tuple[int, int], Outcome] = field(default_factory=dict)
    failed: dict[tuple[int, int], Outcome] = field(default_factory=dict)
    warmup_days: float | None = None
    planned: int = 0

    def __post_init__(self) -> None:
        if self.folder is not None:
            for outcome in read_runs(self.folder):
                if not outcome.error:
                    self.done[(outcome.point, outcome.replication)] = outcome

    def run(self, backend: Backend, replications: int) -> None:
        """Run what is missing of replications 0 … replications − 1 of every point."""
        seed = self.experiment.settings.seed
        tasks = [
            self.task(index, point, r, seed + r)
            for r in range(replications)
            for index, point in enumerate(self.experiment.points)
            if (index, r) not in self.done
        ]
        self.planned = len(self.experiment.points) * replications
        self.report()
        for outcome in backend.run(tasks):
            self.keep(outcome)
        self.report()

    def task(self, index: int, point: Point, replication: int, seed: int) -> Task:
        scenario = point.scenario
        if self.warmup_days is not None:
            scenario = scenario.model_copy(update={"warmup_days": self.warmup_days})
        keep = ""
        if self.tables and self.folder is not None:
            keep = str(self.folder / TABLES / f"{index:05d}-{replication:06d}")
        return Task(
            index,
            replication,
            seed,
            scenario,
            self.measures,
            self.series,
            "",
            keep,
            self.table_format,
        )

    def keep(self, outcome: Outcome) -> None:
        key = (outcome.point, outcome.replication)
        if outcome.error:
            self.failed[key] = outcome
        else:
            if not self.done:  # the first run to finish tells which KPIs there can be
                _check_kinds(self.experiment, outcome.kpis)
            self.done[key] = outcome
            self.failed.pop(key, None)
        if self.folder is not None:
            write_run(self.folder, outcome)
            if outcome.series:
                _write_series(self.folder, self.experiment.points[outcome.point], outcome)
        self.report()

    def report(self) -> None:
        if self.progress is not None:
            self.progress(len(self.done) + len(self.failed), self.planned)


def _warmup(state: _State, backend: Backend) -> stats.Warmup | None:
    """The automatic warm-up: a pilot run (replication 0) of every point returns its daily
    series; the largest MSER-5 point of the variants, never below the longest payment term,
    becomes every point's warm-up. Kept in the folder, so a resumed experiment reuses it."""
    settings = state.experiment.settings
    if settings.warmup != "auto":
        return None
    saved = state.folder / "warmup.json" if state.folder is not None else None
    if saved is not None and saved.exists():
        data = json.loads(saved.read_text("utf-8"))
        warmup = stats.Warmup(int(data["point"]), dict(data["by_variant"]))
    else:
        points = state.experiment.points
        pilots = [
            Task(i, 0, settings.seed, p.scenario, series_of=settings.warmup_series)
            for i, p in enumerate(points)
        ]
        series: dict[str, Any] = {}
        for outcome in backend.run(pilots):
            name = points[outcome.point].name
            if outcome.error:
                raise ExperimentError(f"the warm-up pilot of {name}: {outcome.error}")
            series[name] = outcome.series["warmup"]
        floor = math.ceil(max(p.scenario.longest_term_days() for p in points))
        try:
            warmup = stats.common_warmup(series, floor)
        except stats.TruncationError as error:
            raise ExperimentError(
                f"{state.experiment.source}: experiment.warmup: the automatic warm-up found no "
                f"truncation point ({error}); lengthen horizon_days, or set warmup = "
                '"scenario" with the warmup_days you choose'
            ) from None
        if saved is not None:
            write_text(saved, json.dumps(warmup._asdict(), indent=2) + "\n")
    horizon = min(p.scenario.horizon_days for p in state.experiment.points)
    if warmup.point >= horizon:
        raise ExperimentError(
            f"the automatic warm-up of {warmup.point} days is not shorter than the horizon "
            f"({horizon:g} days): lengthen horizon_days"
        )
    state.warmup_days = float(warmup.point)
    return warmup


def _imprecise(experiment: Experiment, runs: pd.DataFrame, planned: int) -> bool:
    """Whether any named KPI of any cell still needs replications (and more are allowed)."""
    sequential = experiment.settings.sequential
    if sequential is None or planned >= sequential.max or runs.empty:
        return False
    names = _present(experiment, sequential.kpis or experiment.kpis, runs)
    baseline = experiment.baseline
    for _, cell in _cells(cell_keys(experiment), runs):
        for kpi in names:
            values = {
                str(label): rows.sort_values("seed")[kpi].to_numpy(float)
                for label, rows in cell.groupby("variant", sort=False)
            }
            if stats.needs_more(
                values, _baseline_label(cell, baseline), sequential.target, sequential.abs_tol
            ):
                return True
    return False


def _named(experiment: Experiment) -> list[str]:
    """The KPIs the file names (for its summary and its sequential rule)."""
    sequential = experiment.settings.sequential
    return experiment.settings.kpis + (sequential.kpis if sequential else [])


def _present(experiment: Experiment, names: list[str], runs: pd.DataFrame) -> list[str]:
    """The KPIs to summarise: the headline KPIs the runs have, or the named ones, each of
    which must be in the runs (a typo fails, naming the closest KPI)."""
    if not experiment.settings.kpis and names == experiment.kpis:
        return [name for name in names if name in runs.columns]
    columns = [c for c in runs.columns if "." in c]
    for name in names:
        if name not in runs.columns:
            raise ExperimentError(
                f"{experiment.source}: no KPI named '{name}' in the runs"
                f"{did_you_mean(name, columns)}; docs/results.md lists the flat KPI names"
            )
    return names


def _check_kinds(experiment: Experiment, kpis: dict[str, Any]) -> None:
    """Fail early on a misspelt KPI: a named KPI's measure (`mean_h` of `lead_time.trial.mean_h`)
    must be among one run's KPIs of its section, when the run has that section. Its section and
    key were checked against the scenario at load; the key (a kind of order, a line, a party) may
    be absent from this run yet present in others (trial orders in a design point without
    sellers), and so may a whole section (lead times where nothing was delivered)."""
    kinds = [split_kpi_name(name) for name in kpis if "." in name]
    measures = {(section, kpi) for section, _, kpi in kinds}
    for name in _named(experiment):
        section, _, kpi = split_kpi_name(name)
        if (section, kpi) not in measures and any(section == each[0] for each in kinds):
            _present(experiment, [name], pd.DataFrame([kpis]))


def runs_table(experiment: Experiment, outcomes: Iterable[Outcome]) -> pd.DataFrame:
    """One row per finished run, sorted by design point and replication: the variant, the
    point's label, its factors, replication and seed, then every KPI (no wall times, so the
    table is the same on every backend)."""
    rows = []
    for o in sorted(outcomes, key=lambda o: (o.point, o.replication)):
        point = experiment.points[o.point]
        head = {"variant": point.label, "base_variant": point.variant} | point.factors
        rows.append(head | {"replication": o.replication, "seed": o.seed} | o.kpis)
    frame = pd.DataFrame(rows)
    first = ["variant", "base_variant", *experiment.factor_keys, "replication", "seed"]
    first = [c for c in first if c in frame.columns]
    return frame[first + [c for c in frame.columns if c not in first]]


def summarise(
    experiment: Experiment, runs: pd.DataFrame, measures: list[str] | None = None
) -> pd.DataFrame:
    """stats.summarise of every cell of the global factors, the cell's factor values beside:
    the experiment's KPIs, then the measures; then, where some design point invests, each
    point's investment appraisal against the baseline (experiment/appraisal.py)."""
    if runs.empty:
        return pd.DataFrame(columns=list(stats.SUMMARY_COLUMNS))
    names = _present(experiment, experiment.kpis, runs) + list(measures or [])
    keys = cell_keys(experiment)
    frames = [summarise_cells(runs, experiment.baseline, names, keys)]
    for values, cell in _cells(keys, runs):
        baseline = _baseline_label(cell, experiment.baseline)
        if found := appraisal.rows(experiment.points, cell, baseline, values):
            columns = list(stats.SUMMARY_COLUMNS)
            frames.append(pd.DataFrame(found, columns=columns).assign(**values))
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def summarise_cells(
    runs: pd.DataFrame, baseline: str, kpis: list[str], keys: list[str]
) -> pd.DataFrame:
    """stats.summarise of the runs of each combination of the factors `keys` (a cell), each
    cell's variants compared with its point of the `baseline` variant, the cell's factor values
    beside; a runs table as runs_table makes it (or runs.csv holds it)."""
    frames = []
    for values, cell in _cells(keys, runs):
        summary = stats.summarise(cell, _baseline_label(cell, baseline), kpis)
        frames.append(summary.assign(**values))
    return pd.concat(frames, ignore_index=True)


def cell_keys(experiment: Experiment) -> list[str]:
    """The global factors: the factor keys every design point has."""
    return [k for k in experiment.factor_keys if all(k in p.factors for p in experiment.points)]


def _cells(keys: list[str], runs: pd.DataFrame) -> Iterable[tuple[dict[str, Any], pd.DataFrame]]:
    """The runs of each combination of the factors `keys` (all runs when there are none)."""
    if not keys:
        yield {}, runs
        return
    for values, cell in runs.groupby(keys, sort=False, dropna=False):
        yield dict(zip(keys, values if isinstance(values, tuple) else (values,), strict=True)), cell


def _baseline_label(cell: pd.DataFrame, baseline: str) -> str:
    labels = cell.loc[cell["base_variant"] == baseline, "variant"].unique()
    if len(labels) != 1:
        raise ExperimentError(
            f"the baseline variant '{baseline}' must be one design point per cell (it has "
            f"{len(labels)}): give it no factors of its own"
        )
    return str(labels[0])


def write_run(folder: Path, outcome: Outcome) -> None:
    """One finished run as runs/POINT-REPLICATION.json, written atomically."""
    (folder / RUNS).mkdir(exist_ok=True)
    data = dataclasses.asdict(outcome) | {"series": {}}
    path = folder / RUNS / f"{outcome.point:05d}-{outcome.replication:06d}.json"
    write_text(path, json.dumps(data, allow_nan=True) + "\n")


def read_runs(folder: Path) -> list[Outcome]:
    """The runs kept in a folder's runs/."""
    return [
        Outcome(**json.loads(path.read_text("utf-8")))
        for path in sorted((folder / RUNS).glob("*.json"))
    ]


def _write_series(folder: Path, point: Point, outcome: Outcome) -> None:
    (folder / SERIES).mkdir(exist_ok=True)
    table = pd.DataFrame(outcome.series).rename_axis("day").reset_index()
    path = folder / SERIES / f"{outcome.point:05d}-{outcome.replication:06d}.csv"
    write_text(path, table.assign(variant=point.label, seed=outcome.seed).to_csv(index=False))


def describe(experiment: Experiment, outcome: Outcome) -> str:
    """A run named for people: its design point, replication and seed."""
    label = experiment.points[outcome.point].label
    return f"{label} replication {outcome.replication} (seed {outcome.seed})"


def manifest(result: ExperimentResult) -> dict[str, Any]:
    """What made an experiment's results: file and digest, variants and points, seeds,
    warm-up, versions, commit, backend and wall time."""
    experiment = result.experiment
    done = result.runs.groupby(["variant", *experiment.factor_keys], dropna=False).size()
    return {
        "experiment": experiment.settings.name,
        "source": experiment.source,
        "digest": experiment.digest,
        "scenario": experiment.settings.scenario,
        "baseline": experiment.baseline,
        "variants": experiment.variants,
        "points": [{"variant": p.label, "factors": p.factors} for p in experiment.points],
        "seed": experiment.settings.seed,
        "replications": int(done.max()) if len(done) else 0,
        "kpis": experiment.kpis,
        "warmup_days": (
            {"point": result.warmup.point, "by_variant": result.warmup.by_variant}
            if result.warmup
            else "scenario"
        ),
        "failed": [describe(experiment, o) for o in result.failed],
        **provenance(),
        "backend": result.backend,
        "workers": result.workers,
        "wall_s": round(result.wall_s, 3),
    }
