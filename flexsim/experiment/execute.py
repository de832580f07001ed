"""Execution: one replication as a task a worker runs, and the backends that run many tasks.

A task is a (scenario, seed) pair with what to measure; its result is one flat row of KPIs (and,
when asked, a small daily series), never the run's tables: a worker writes those itself when a
folder for them is given. The backends (serial, local processes, a Dask cluster) all call the
same `execute`, so the same tasks give bit-identical rows on any of them and any number of
workers; they yield results as tasks finish, in any order.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from flexsim import metrics, results
from flexsim.run import RunResult, run
from flexsim.scenario import Scenario
from flexsim.vocabulary import BUSY_STATES, HOURS_PER_DAY, REFUSED, SELLERS, sellers_among

Measure = Callable[[RunResult], float]  # a module-level function, so that it pickles


@dataclass(frozen=True)
class Task:
    """One replication of one design point."""

    point: int  # the design point's index in the experiment
    replication: int
    seed: int
    scenario: Scenario
    measures: Mapping[str, Measure] = field(default_factory=dict)
    series: bool = False  # return the daily cash of the factories, platform and sellers
    series_of: str = ""  # return this daily series for the warm-up (busy:F.L, waiting:F)
    tables_dir: str = ""  # write the run's results folder here (the worker writes it)
    table_format: str = "csv"  # its tables' format (results.TABLE_FORMATS)
    sections: tuple[str, ...] = ()  # the KPI sections to compute (metrics.SECTIONS; (): all)


@dataclass
class Outcome:
    """What a worker sends home for a task: a flat KPI row, or the error that stopped it."""

    point: int
    replication: int
    seed: int
    kpis: dict[str, Any]
    error: str = ""
    wall_s: float = 0.0
    series: dict[str, list[float]] = field(default_factory=dict)


def execute(task: Task) -> Outcome:
    """Run the task's replication and measure it; an exception becomes the outcome's error."""
    started = time.perf_counter()
    try:
        scenario = task.scenario
        result = run(scenario, task.seed)
        nested = metrics.scenario_kpis(result.tables, scenario, task.sections or None)
        row = metrics.kpi_row(nested)
        row.update({name: float(measure(result)) for name, measure in task.measures.items()})
        series = daily_cash(result) if task.series else {}
        if task.series_of:
            series["warmup"] = daily_series(result, task.series_of)
        if task.tables_dir:
            _write_tables(result, nested, Path(task.tables_dir), task.table_format)
    except Exception as error:
        last = traceback.extract_tb(error.__traceback__)[-1]
        where = f" ({Path(last.filename).name}:{last.lineno})"
        return Outcome(
            task.point, task.replication, task.seed, {}, f"{type(error).__name__}: {error}{where}"
        )
    return Outcome(
        task.point, task.replication, task.seed, row, "", time.perf_counter() - started, series
    )


def _write_tables(result: RunResult, kpis: dict[str, Any], folder: Path, table_format: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    results.write(result, kpis, folder, result.scenario.name, table_format=table_format)


def daily_cash(result: RunResult) -> dict[str, list[float]]:
    """Each factory's, the platform's and the sellers' summed cash at the end of each day."""
    positions = metrics.cash_positions(result.tables["ledger"], result.scenario.horizon_h)
    cash = party_cash(positions)
    return {str(name): cash.loc[name].tolist() for name in cash.index.unique(level=0)}


def party_cash(positions: pd.DataFrame) -> pd.Series:
    """From a `cash` table: each factory's, the platform's and the sellers' summed cash, by
    (party, day)."""
    parties = positions["party"]
    party = parties.where(~parties.isin(sellers_among(parties.unique())), SELLERS)
    return positions.groupby([party, positions["day"]])["cash"].sum()


def daily_series(result: RunResult, spec: str) -> list[float]:
    """A daily series for warm-up detection, from time 0 to the horizon: `busy:FACTORY.LINE`,
    the line's busy share of each day; `waiting:FACTORY`, the orders waiting at the factory
    (placed, not yet taken by a line) at the end of each day."""
    kind, _, where = spec.partition(":")
    edges = np.arange(int(result.scenario.horizon_h // HOURS_PER_DAY) + 1) * HOURS_PER_DAY
    if kind == "busy":
        factory, _, line = where.partition(".")
        states = result.tables["line_states"]
        mine = states[(states["factory"] == factory) & (states["line"] == line)]
        if mine.empty:
            raise ValueError(f"warmup_series {spec}: no line '{line}' at factory '{factory}'")
        at = mine["at"].to_numpy(float)
        busy = mine["state"].isin(BUSY_STATES).to_numpy(float)
        before = np.concatenate([[0.0], np.cumsum(busy[:-1] * np.diff(at))])  # busy h to each
        i = np.searchsorted(at, edges, side="right") - 1  # the record in force at each edge
        j = i.clip(0)
        upto = np.where(i >= 0, before[j] + (edges - at[j]) * busy[j], 0.0)
        return [float(x) for x in np.diff(upto) / HOURS_PER_DAY]
    orders = result.tables["orders"]
    mine = orders[(orders["factory"] == where) & (orders["status"] != REFUSED)]
    placed = np.sort(mine["placed_at"].to_numpy(float))
    taken = np.sort(mine["setup_at"].dropna().to_numpy(float))
    waiting = np.searchsorted(placed, edges[1:], "right") - np.searchsorted(
        taken, edges[1:], "right"
    )
    return [float(x) for x in waiting]


class Backend(Protocol):
    """Runs tasks and yields their outcomes as they finish."""

    workers: int

    def run(self, tasks: Iterable[Task]) -> Iterator[Outcome]: ...

    def close(self) -> None: ...


class Serial:
    """Every task in this process, one after the other."""

    workers = 1

    def run(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        return map(execute, tasks)

    def close(self) -> None:
        pass


class Processes:
    """A pool of local worker processes, one per core by default."""

    def __init__(self, jobs: int | None = None) -> None:
        self.workers = jobs or os.cpu_count() or 1
        self.pool = ProcessPoolExecutor(max_workers=self.workers)

    def run(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        pending: set[Future[Outcome]] = {self.pool.submit(execute, task) for task in tasks}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


class Dask:
    """A Dask distributed cluster: a running scheduler's address, or `local` for a
    LocalCluster of `jobs` single-threaded worker processes on this machine."""

    def __init__(self, address: str, jobs: int | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise RuntimeError(
                "--dask needs the optional packages dask and distributed: "
                'pip install "flexsim[dask]"'
            ) from None
        self.cluster = None
        if address == "local":
            self.cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=jobs or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            self.client = Client(self.cluster)  # type: ignore[no-untyped-call]
        else:
            self.client = Client(address, timeout="10s")  # type: ignore[no-untyped-call]
        threads = self.client.nthreads()  # type: ignore[no-untyped-call]
        self.workers = max(1, sum(threads.values()))

    def run(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        from distributed import as_completed

        futures = [self.client.submit(execute, task, pure=False) for task in tasks]
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            outcome: Outcome = future.result()
            future.release()
            yield outcome

    def close(self) -> None:
        self.client.close()  # type: ignore[no-untyped-call]
        if self.cluster is not None:
            self.cluster.close()


def backend(jobs: int | None = None, dask: str | None = None) -> Backend:
    """The backend for the command-line options: Dask when an address is given, else
    processes (one per core unless `jobs`), or serial for one job."""
    if dask:
        return Dask(dask, jobs)
    if jobs == 1:
        return Serial()
    return Processes(jobs)
