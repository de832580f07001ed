"""Run: one scenario and one seed → RunResult; the only place that builds and runs a SimPy world."""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field

import pandas as pd
import simpy

from flexsim.model import build
from flexsim.records import TABLES, Recorder
from flexsim.scenario import Scenario
from flexsim.streams import Streams

SORT_KEYS = {
    "orders": ["order_id"],
    "line_states": ["factory", "line", "at"],
    "ledger": ["at", "entry_id"],
    "items": ["seller", "launched_at"],
    "seller_days": ["seller", "at"],
    "capacity": ["factory", "line", "at", "day_at"],
}

DEFAULT_SEED = 1  # of a run, and the first replication's of an experiment


def replication_seeds(replications: int, seed: int = DEFAULT_SEED) -> list[int]:
    """The seeds of an experiment's replications: replication r of experiment seed s runs with
    seed s + r in every variant, so the variants meet common random numbers."""
    return list(range(seed, seed + replications))


@dataclass(frozen=True)
class RunResult:
    """The record tables of one run, with the scenario and seed that made them."""

    scenario: Scenario
    seed: int
    tables: dict[str, pd.DataFrame]
    wall_s: float
    streams: list[str] = field(default_factory=list)


def run(scenario: Scenario, seed: int = DEFAULT_SEED) -> RunResult:
    """Simulate `scenario` from time 0 to its horizon with random streams from `seed`."""
    started = time.perf_counter()
    env = simpy.Environment()
    streams = Streams(seed)
    recorder = Recorder()
    # The cyclic garbage collector is paused while the model runs and its tables are built:
    # its passes rescan the growing record lists again and again (about a sixth of an M/M/1
    # run, benchmarks/README.md), and the model's own objects are freed by reference counting;
    # anything cyclic left over is collected as usual once it is switched back on.
    collecting = gc.isenabled()
    gc.disable()
    try:
        world = build(env, scenario, streams, recorder)
        env.run(until=scenario.horizon_h)
        world.close(scenario.horizon_h)
        tables = {}
        for name, rows in recorder.lists().items():
            tables[name] = _table(name, rows)
            # The model's objects refer to each other (lines and their factory), so only the
            # cyclic collector frees them, and these lists with them; emptied now, the records
            # are freed at once and the collector's next pass has only the model to scan.
            rows.clear()
    finally:
        if collecting:
            gc.enable()
    return RunResult(scenario, seed, tables, time.perf_counter() - started, streams.names())


def _table(name: str, rows: list[tuple[object, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=TABLES[name])
    keys = SORT_KEYS[name]
    if _in_order(frame, keys):
        return frame  # what the sort would return: records are often written in key order
    # a stable sort keeps the order of records that share a key (simultaneous state changes)
    return frame.sort_values(keys, kind="stable", ignore_index=True)


def _in_order(frame: pd.DataFrame, keys: list[str]) -> bool:
    """Whether the rows are already sorted by `keys`, checked cheaply: True when the leading
    keys each hold one value and the last never decreases (one line's states, the orders of
    one queue, an empty table). False also means "not known": the caller sorts."""
    if len(frame) < 2:
        return True
    *leading, last = keys
    for key in leading:
        column = frame[key]
        if not (column.iloc[0] == column.iloc[-1] and column.is_monotonic_increasing):
            return False
    return bool(frame[last].is_monotonic_increasing)
