"""Run: one scenario and one seed → RunResult; the only place that builds and runs a SimPy world.

The engine's guard: SimPy would loop for ever, its memory growing, on a model whose clock stops
(or crawls: a gap of a billionth of a day). So the run processes events in blocks of
GUARD_EVERY and looks at the clock between blocks; more than N events at one simulated time, or
more than 2N within one simulated hour, stop the run with a Runaway error that carries the
tables recorded so far, where N grows with the number of buyers (flexsim/limits.py).
Validation bounds every gap that could stop the clock; the guard is for what is left, such as a
seller whose size draw makes its launches a nanosecond apart.
"""

from __future__ import annotations

import functools
import gc
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

try:  # pandas keeps its strings in Arrow where pyarrow is installed (the extra `parquet`)
    import pyarrow as pa
except ImportError:  # pragma: no cover - then pandas keeps them as Python strings
    pa = None

from flexsim.limits import GUARD_EVENTS_PER_BUYER, GUARD_EVERY, GUARD_MIN_EVENTS
from flexsim.model import build
from flexsim.model.timer import Environment
from flexsim.records import COLUMN_TYPES, Recorder
from flexsim.scenario import Scenario, ScenarioError
from flexsim.streams import Streams

SORT_KEYS = {
    "orders": ["order_id"],
    "line_states": ["factory", "line", "at"],
    "ledger": ["at", "entry_id"],
    "items": ["seller", "launched_at"],
    "sales_days": ["at"],
    "seller_days": ["seller", "at"],
    "capacity": ["factory", "line", "at", "day_at"],
    "alliance_reviews": ["alliance", "end_at"],
    "steps": ["order_id", "step"],
}

# records a table has before a look at the clock turns them into columns (class _Columns): a
# block smaller than this would cost more in NumPy calls than it saves
BLOCK_ROWS = 1_000
# the struct code of each numeric column's dtype, in native size and byte order as numpy's
PACKED = {"int64": "q", "float64": "d", "bool": "?"}
# rows of the one Arrow array a string column of one value repeats (function _repeated)
REPEAT_ROWS = 1 << 14
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


@dataclass(frozen=True)
class Guard:
    """When the engine stops a run: after more than `at_one_instant` events at one simulated
    time or `per_hour` within one simulated hour, looking at the clock every `every` events."""

    at_one_instant: int
    per_hour: int
    every: int = GUARD_EVERY

    @classmethod
    def of(cls, scenario: Scenario) -> Guard:
        """The guard of a scenario: N = max(GUARD_MIN_EVENTS, GUARD_EVENTS_PER_BUYER × its
        buyers) at one instant, 2N within one hour."""
        buyers = sum(c.count for c in scenario.customers) + scenario.sellers.count
        most = max(GUARD_MIN_EVENTS, GUARD_EVENTS_PER_BUYER * buyers)
        return cls(most, 2 * most)


class Runaway(ScenarioError):
    """The engine's guard stopped a run whose clock had (nearly) stopped; `result` holds the
    tables recorded up to then (None only when the error was rebuilt from its message)."""

    def __init__(self, message: str, result: RunResult | None = None) -> None:
        super().__init__(message)
        self.result = result


class _Horizon(Exception):
    """The run reached its horizon (raised by the horizon event's callback)."""


def _reach_horizon() -> None:
    raise _Horizon


def run(scenario: Scenario, seed: int = DEFAULT_SEED, *, guard: Guard | None = None) -> RunResult:
    """Simulate `scenario` from time 0 to its horizon with random streams from `seed`; raise
    Runaway, with the tables so far, when the engine's guard (by default `Guard.of(scenario)`)
    stops it."""
    started = time.perf_counter()
    env = Environment()
    # The horizon is the first event scheduled, so that it comes before every other event at
    # that time, as SimPy's run(until) has it: the run simulates [0, horizon).
    env.call_in(scenario.horizon_h, _reach_horizon)
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
        columns = [_Columns(name, rows) for name, rows in recorder.lists().items()]
        stalled = _simulate(env, guard or Guard.of(scenario), columns)
        world.close(env.now if stalled else scenario.horizon_h)
        # Converting also empties the record lists: the model's objects refer to each other
        # (lines and their factory), so only the cyclic collector frees them, and the lists
        # with them; emptied now, the records are freed at once.
        tables = {table.name: _table(table) for table in columns}
        # The model is garbage now, held by those cycles; every object of it is in the
        # collector's youngest generation (the collector was paused), so one pass over that
        # generation frees it here, with the run, rather than in whatever the caller does next
        # (the KPI step took the 10,000 sellers of taobao-village's model for a second).
        del world, env
        gc.collect(0)
    finally:
        if collecting:
            gc.enable()
    result = RunResult(scenario, seed, tables, time.perf_counter() - started, streams.names())
    if stalled:
        raise Runaway(f"scenario '{scenario.name}', seed {seed}: {stalled}", result)
    return result


def _simulate(env: Environment, guard: Guard, columns: list[_Columns]) -> str:
    """Process events up to the horizon, checking the clock every `guard.every` events and
    turning the records of each block into columns; return "" at the horizon, or why the guard
    stopped the run.

    The inner loop is SimPy's own step, inlined in `Environment.steps`, until the horizon
    event raises; the guard costs a check per block.
    """
    instant, at_instant = env.now, 0  # events counted at the clock's current reading
    hour, in_hour = env.now, 0  # events counted since the clock read `hour`
    grown_from = _sizes(columns)
    try:
        while True:
            env.steps(guard.every)
            for table in columns:
                table.convert(BLOCK_ROWS)
            now = env.now
            if now == instant:
                at_instant += guard.every
            else:
                instant, at_instant = now, 0
            if now - hour >= 1.0:
                hour, in_hour, grown_from = now, 0, _sizes(columns)
            else:
                in_hour += guard.every
            if at_instant >= guard.at_one_instant:
                return _stalled(
                    f"the clock stopped at {now:,.6g} h: more than {guard.at_one_instant:,} "
                    "events happened at that one simulated instant",
                    guard,
                    columns,
                    grown_from,
                )
            if in_hour >= guard.per_hour:
                return _stalled(
                    f"the clock crawled: more than {guard.per_hour:,} events happened within "
                    f"one simulated hour, from {hour:,.6g} h to {now:,.6g} h",
                    guard,
                    columns,
                    grown_from,
                )
    except _Horizon:
        return ""


def _sizes(columns: list[_Columns]) -> dict[str, int]:
    return {table.name: len(table) for table in columns}


def _stalled(what: str, guard: Guard, columns: list[_Columns], grown_from: dict[str, int]) -> str:
    """The guard's message: what it saw, which tables grew meanwhile, and what to look at."""
    grown = {name: size - grown_from[name] for name, size in _sizes(columns).items()}
    growth = [f"{name} +{n:,}" for name, n in sorted(grown.items(), key=lambda x: -x[1]) if n]
    records = "records meanwhile: " + ", ".join(growth) if growth else "no records meanwhile"
    return (
        f"{what} ({records}), so it would never reach its horizon. Some gap between repeating "
        "events is (nearly) zero or some rate is enormous, such as a seller's launches "
        "(launches_per_week × its size and share draws × the season's launch factor). The "
        f"engine stops a run after {guard.at_one_instant:,} events at one instant or "
        f"{guard.per_hour:,} within one simulated hour (docs/scenario.md, The engine's guard)"
    )


class _Columns:
    """One table's records, turned into columns a block at a time while the run goes on.

    The model writes a record as a tuple (flexsim/records.py); the table wants columns. Each
    look at the clock turns the records written since the last one into a block of each
    column, while they are fresh in the processor's cache, and frees them; a numeric block
    that holds one value (a run's one quantity, prices of 0, a timestamp never reached) is made
    whole instead of value by value."""

    def __init__(self, name: str, rows: list[tuple[object, ...]]) -> None:
        self.name, self.rows, self.converted = name, rows, 0
        self.kinds = list(COLUMN_TYPES[name].values())
        self.blocks: list[list[Any]] = [[] for _ in self.kinds]  # per column, its blocks

    def __len__(self) -> int:
        return self.converted + len(self.rows)

    def convert(self, at_least: int = 1) -> None:
        """Turn the records written since the last call into a block of each column (when
        there are `at_least` of them), and empty the list the model writes to."""
        rows = self.rows
        size = len(rows)
        if size < at_least or not size:
            return
        values: Iterator[tuple[Any, ...]] = zip(*rows, strict=True)
        for blocks, kind, column in zip(self.blocks, self.kinds, values, strict=True):
            if kind == "str":  # strings stay tuples: the end makes each column at once
                blocks.append(column)
            elif _one_value(column, size, kind):
                blocks.append(np.full(size, column[0], kind))
            else:  # packed by struct in C, about twice as fast as numpy.fromiter on a tuple;
                # a read-only view of the bytes: the end copies every column's blocks into one
                packed = struct.Struct(f"{size}{PACKED[kind]}").pack(*column)
                blocks.append(np.frombuffer(packed, kind))
        self.converted += size
        rows.clear()


def _one_value(column: tuple[Any, ...], size: int, kind: str) -> bool:
    """Whether every value of a numeric column of `kind` is its first, bit for bit. Counting
    compares by identity, then by value: equal numbers have the same bits except 0.0 and -0.0,
    so a zero counts only in an integer or bool column; a NaN is equal only to itself, the same
    object, so a NaN column counts when it holds one NaN object (the model's NOT_YET)."""
    first, last = column[0], column[-1]
    if (last is not first and last != first) or (first == 0 and kind == "float64"):
        return False  # the last value tells most columns apart without counting
    return column.count(first) == size


def _table(table: _Columns) -> pd.DataFrame:
    table.convert()
    if not table.converted:
        return _empty(table.name).copy()
    columns, single = {}, set()
    for (column, kind), blocks in zip(COLUMN_TYPES[table.name].items(), table.blocks, strict=True):
        if kind != "str":
            columns[column] = np.concatenate(blocks)  # writable, as a table's columns are
        else:
            columns[column], one = _strings(blocks)
            if one:
                single.add(column)
        blocks.clear()  # a column's blocks go as it is made: the table is not held twice
    frame = pd.DataFrame(columns, copy=False)
    keys = SORT_KEYS[table.name]
    if _in_order(frame, keys, single):
        return frame  # what the sort would return: records are often written in key order
    # a stable sort keeps the order of records that share a key (simultaneous state changes)
    return frame.sort_values(keys, kind="stable", ignore_index=True)


def _strings(blocks: list[tuple[str, ...]]) -> tuple[Any, bool]:
    """A column of strings, and whether it holds a single value. Its distinct values (a run's
    one factory, a line's few states, the orders' statuses) become strings once and the column
    takes them by code: converting every value to pandas' string type cost about three times
    as much. A block of one value (a block of orders all delivered and paid) gets its codes
    whole. A column of one value (a run's one regime, reasons "") needs no codes at all: in
    Arrow (pandas' strings where pyarrow is installed) it is a small array of the value
    repeated (`_repeated`)."""
    dtype = pd.StringDtype(na_value=np.nan)  # pandas' "str", in Arrow where pyarrow is installed
    # each block's one value, or None when it has several (counted by identity first: C-fast)
    ones = [block[0] if block.count(block[0]) == len(block) else None for block in blocks]
    first = ones[0]
    if first is not None and ones.count(first) == len(ones) and dtype.storage == "pyarrow":
        size = sum(map(len, blocks))
        return pd.array(pa.chunked_array(_repeated(first, size)), dtype=dtype), True
    pairs = list(zip(blocks, ones, strict=True))
    several = [block for block, one in pairs if one is None]
    values = list({one for one in ones if one is not None}.union(*several))
    code = {value: i for i, value in enumerate(values)}.__getitem__
    codes = [
        np.fromiter(map(code, block), np.intp, len(block))
        if one is None
        else np.full(len(block), code(one), np.intp)
        for block, one in pairs
    ]
    return pd.array(values, dtype=dtype).take(np.concatenate(codes)), len(values) == 1


def _repeated(value: str, size: int) -> list[Any]:
    """`value` `size` times in Arrow: one array of it repeated (up to REPEAT_ROWS rows), laid
    out directly (its offsets by NumPy, its bytes repeated), and that array again and again:
    nothing to allocate and fill at the size of the table."""
    rows = min(size, REPEAT_ROWS)
    data = value.encode()
    offsets = np.arange(rows + 1, dtype=np.int64) * len(data)
    chunk = pa.LargeStringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(data * rows))
    return [chunk] * (size // rows) + ([chunk.slice(0, size % rows)] if size % rows else [])


@functools.cache
def _empty(name: str) -> pd.DataFrame:
    """The table without rows, its columns typed as records fill them (pandas would make them
    all objects); built once, copied for each run (a copy costs a fiftieth of the build)."""
    return pd.DataFrame({c: pd.Series(dtype=kind) for c, kind in COLUMN_TYPES[name].items()})


def _in_order(frame: pd.DataFrame, keys: list[str], single: set[str]) -> bool:
    """Whether the rows are already sorted by `keys`, checked cheaply: True when the leading
    keys each hold one value (strings `single` says do) and the last never decreases (one
    line's states, the orders of one queue, an empty table). False also means "not known":
    the caller sorts."""
    if len(frame) < 2:
        return True
    *leading, last = keys
    for key in leading:
        if key in single:
            continue
        column = frame[key]
        if not (column.iloc[0] == column.iloc[-1] and column.is_monotonic_increasing):
            return False
    return bool(frame[last].is_monotonic_increasing)
